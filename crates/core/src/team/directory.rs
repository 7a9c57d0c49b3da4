//! Managing teams, members and API tokens, with the rules of who may do what: administrators
//! manage teams, people and anyone's tokens; a team's leads manage its members; everyone manages
//! their own tokens.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Membership, Person, Role, Team, TeamKey};
use crate::access::{Actor, Viewer};
use crate::clock::Clock;
use crate::error::{FieldError, IncidentError, RepoError};
use crate::id::{PersonId, TeamId, TokenId};
use crate::text::Text;

/// A token just issued: the secret is shown here and never again.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// What is stored about it.
    pub token: TokenInfo,
    /// The whole secret.
    pub secret: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken").field("token", &self.token).field("secret", &"***").finish()
    }
}

/// What is stored about a token (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Identity.
    pub id: TokenId,
    /// Whose it is.
    pub person: PersonId,
    /// Its label.
    pub name: Text,
    /// The visible start of the secret.
    pub prefix: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A member of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The person.
    pub person: Person,
    /// Their role.
    pub role: Role,
}

/// Storage of teams, people, memberships and tokens. Every write appends an audit record.
#[async_trait]
pub trait DirectoryRepository: Send + Sync + std::fmt::Debug {
    /// Creates a team.
    ///
    /// # Errors
    /// [`RepoError::Duplicate`] when the key is taken.
    async fn create_team(
        &self,
        key: &TeamKey,
        name: &Text,
        at: DateTime<Utc>,
        actor: Option<&Actor>,
    ) -> Result<Team, RepoError>;

    /// Every team.
    ///
    /// # Errors
    /// Storage failures.
    async fn all_teams(&self) -> Result<Vec<Team>, RepoError>;

    /// Creates a person.
    ///
    /// # Errors
    /// Storage failures.
    async fn create_person(
        &self,
        name: &Text,
        admin: bool,
        at: DateTime<Utc>,
        actor: Option<&Actor>,
    ) -> Result<Person, RepoError>;

    /// Gives `person` `role` in `team`, replacing any role they had there.
    ///
    /// # Errors
    /// [`RepoError::MissingReference`] for an unknown team or person.
    async fn set_membership(
        &self,
        team: TeamId,
        person: PersonId,
        role: Role,
        at: DateTime<Utc>,
        actor: Option<&Actor>,
    ) -> Result<(), RepoError>;

    /// Removes `person` from `team`.
    ///
    /// # Errors
    /// [`RepoError::NotFound`] when they were not a member.
    async fn remove_membership(
        &self,
        team: TeamId,
        person: PersonId,
        at: DateTime<Utc>,
        actor: Option<&Actor>,
    ) -> Result<(), RepoError>;

    /// The members of `team`.
    ///
    /// # Errors
    /// Storage failures.
    async fn members(&self, team: TeamId) -> Result<Vec<Member>, RepoError>;

    /// The memberships of `person`.
    ///
    /// # Errors
    /// Storage failures.
    async fn memberships(&self, person: PersonId) -> Result<Vec<Membership>, RepoError>;

    /// Issues a token for `person`.
    ///
    /// # Errors
    /// [`RepoError::MissingReference`] for an unknown person.
    async fn issue_token(
        &self,
        person: PersonId,
        name: &Text,
        expires_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
        actor: Option<&Actor>,
    ) -> Result<IssuedToken, RepoError>;

    /// The tokens of `person`, newest first.
    ///
    /// # Errors
    /// Storage failures.
    async fn tokens_of(&self, person: PersonId) -> Result<Vec<TokenInfo>, RepoError>;

    /// One token.
    ///
    /// # Errors
    /// Storage failures.
    async fn token(&self, id: TokenId) -> Result<Option<TokenInfo>, RepoError>;

    /// Revokes a token (revoking twice keeps the first time).
    ///
    /// # Errors
    /// [`RepoError::NotFound`] for an unknown token.
    async fn revoke_token(&self, id: TokenId, at: DateTime<Utc>, actor: Option<&Actor>)
    -> Result<TokenInfo, RepoError>;
}

/// Team, member and token management on behalf of a [`Viewer`].
#[derive(Debug, Clone)]
pub struct DirectoryService {
    repo: Arc<dyn DirectoryRepository>,
    clock: Arc<dyn Clock>,
}

fn forbidden(what: &str) -> IncidentError {
    IncidentError::Forbidden(format!("only {what}"))
}

impl DirectoryService {
    /// A service over `repo`.
    #[must_use]
    pub fn new(repo: Arc<dyn DirectoryRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }

    /// The caller as they stand now, for long-lived connections: `None` once the token they
    /// connected with is revoked or expired; otherwise the same caller with their current teams.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn refresh(&self, viewer: &Viewer) -> Result<Option<Viewer>, IncidentError> {
        if let Some(token) = viewer.token_id {
            let now = self.clock.now();
            let valid = self.repo.token(token).await?.is_some_and(|t| {
                t.person == viewer.person_id() && t.revoked_at.is_none() && t.expires_at.is_none_or(|at| at > now)
            });
            if !valid {
                return Ok(None);
            }
        }
        let mut refreshed = viewer.clone();
        refreshed.memberships = self.repo.memberships(viewer.person_id()).await?;
        Ok(Some(refreshed))
    }

    fn actor(viewer: &Viewer) -> Actor {
        Actor { person: viewer.person_id(), token: viewer.token_id, request_id: viewer.request_id.clone() }
    }

    /// Creates a team (administrators).
    ///
    /// # Errors
    /// `Forbidden` for others; `Invalid` on `key` when it is taken.
    pub async fn create_team(&self, viewer: &Viewer, key: &TeamKey, name: &Text) -> Result<Team, IncidentError> {
        if !viewer.person.admin {
            return Err(forbidden("administrators create teams"));
        }
        self.repo.create_team(key, name, self.clock.now(), Some(&Self::actor(viewer))).await.map_err(|e| match e {
            RepoError::Duplicate(_) => FieldError::new("key", "a team with this key exists").into(),
            other => other.into(),
        })
    }

    /// The teams the caller may see: all for administrators, their own for others.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn teams(&self, viewer: &Viewer) -> Result<Vec<Team>, IncidentError> {
        let mut teams = self.repo.all_teams().await?;
        if !viewer.person.admin {
            teams.retain(|t| viewer.can_read(t.id));
        }
        Ok(teams)
    }

    /// Creates a person (administrators).
    ///
    /// # Errors
    /// `Forbidden` for others.
    pub async fn create_person(&self, viewer: &Viewer, name: &Text, admin: bool) -> Result<Person, IncidentError> {
        if !viewer.person.admin {
            return Err(forbidden("administrators create people"));
        }
        Ok(self.repo.create_person(name, admin, self.clock.now(), Some(&Self::actor(viewer))).await?)
    }

    fn may_manage(viewer: &Viewer, team: TeamId) -> Result<(), IncidentError> {
        if viewer.person.admin || viewer.role_in(team) == Some(Role::Lead) {
            return Ok(());
        }
        if viewer.can_read(team) {
            Err(forbidden("the team's leads manage its members"))
        } else {
            Err(IncidentError::NotFound)
        }
    }

    /// Gives a person a role in a team (the team's leads, administrators).
    ///
    /// # Errors
    /// `NotFound` for a team the caller is not in; `Forbidden` below lead; `Invalid` on `personId`
    /// for an unknown person.
    pub async fn set_member(
        &self,
        viewer: &Viewer,
        team: TeamId,
        person: PersonId,
        role: Role,
    ) -> Result<(), IncidentError> {
        Self::may_manage(viewer, team)?;
        self.repo.set_membership(team, person, role, self.clock.now(), Some(&Self::actor(viewer))).await.map_err(|e| {
            match e {
                RepoError::MissingReference(_) => FieldError::new("personId", "no such person").into(),
                other => other.into(),
            }
        })
    }

    /// Removes a person from a team (the team's leads, administrators).
    ///
    /// # Errors
    /// As [`Self::set_member`]; `NotFound` when they were not a member.
    pub async fn remove_member(&self, viewer: &Viewer, team: TeamId, person: PersonId) -> Result<(), IncidentError> {
        Self::may_manage(viewer, team)?;
        Ok(self.repo.remove_membership(team, person, self.clock.now(), Some(&Self::actor(viewer))).await?)
    }

    /// The members of a team (its members, administrators).
    ///
    /// # Errors
    /// `NotFound` for a team the caller is not in.
    pub async fn members(&self, viewer: &Viewer, team: TeamId) -> Result<Vec<Member>, IncidentError> {
        if !viewer.person.admin && !viewer.can_read(team) {
            return Err(IncidentError::NotFound);
        }
        Ok(self.repo.members(team).await?)
    }

    fn may_manage_tokens_of(viewer: &Viewer, person: PersonId) -> Result<(), IncidentError> {
        if viewer.person.admin || viewer.person_id() == person {
            Ok(())
        } else {
            Err(forbidden("administrators manage other people's tokens"))
        }
    }

    /// Issues a token for the caller, or (administrators) for anyone.
    ///
    /// # Errors
    /// `Forbidden` for someone else's token; `Invalid` for an expiry in the past.
    pub async fn issue_token(
        &self,
        viewer: &Viewer,
        person: Option<PersonId>,
        name: &Text,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<IssuedToken, IncidentError> {
        let person = person.unwrap_or(viewer.person_id());
        Self::may_manage_tokens_of(viewer, person)?;
        let now = self.clock.now();
        if expires_at.is_some_and(|at| at <= now) {
            return Err(FieldError::new("expiresAt", "must be in the future").into());
        }
        self.repo.issue_token(person, name, expires_at, now, Some(&Self::actor(viewer))).await.map_err(|e| match e {
            RepoError::MissingReference(_) => FieldError::new("personId", "no such person").into(),
            other => other.into(),
        })
    }

    /// The tokens of the caller, or (administrators) of anyone.
    ///
    /// # Errors
    /// `Forbidden` for someone else's tokens.
    pub async fn tokens(&self, viewer: &Viewer, person: Option<PersonId>) -> Result<Vec<TokenInfo>, IncidentError> {
        let person = person.unwrap_or(viewer.person_id());
        Self::may_manage_tokens_of(viewer, person)?;
        Ok(self.repo.tokens_of(person).await?)
    }

    /// Revokes one of the caller's tokens, or (administrators) anyone's.
    ///
    /// # Errors
    /// `NotFound` for an unknown token or someone else's (unless administrator).
    pub async fn revoke_token(&self, viewer: &Viewer, id: TokenId) -> Result<TokenInfo, IncidentError> {
        let token = self.repo.token(id).await?.ok_or(IncidentError::NotFound)?;
        if !viewer.person.admin && token.person != viewer.person_id() {
            return Err(IncidentError::NotFound);
        }
        Ok(self.repo.revoke_token(id, self.clock.now(), Some(&Self::actor(viewer))).await?)
    }
}
