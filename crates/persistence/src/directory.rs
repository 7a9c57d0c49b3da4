//! The directory of teams, people, memberships and API tokens, and token authentication.
//! Tokens are random 256-bit secrets shown once and stored only as SHA-256 digests.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
};
use sha2::{Digest, Sha256};
use taio_core::id::{PersonId, TeamId, TokenId};
use taio_core::team::{Membership, Person, Role, Team, TeamKey};
use taio_core::{RepoError, Text, Viewer};

use crate::convert::{person_from_row, role_from_str, team_from_row};
use crate::entity::{api_token, membership, person, team};
use crate::error::repo_err;

/// Every token starts with this, so that secret scanners and people can recognise one.
pub const TOKEN_PREFIX: &str = "taio_";
/// How many characters of a token are kept in clear to tell tokens apart.
const VISIBLE_CHARS: usize = 12;
/// `lastUsedAt` is written at most this often per token, so reads stay reads.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

/// A token just created: the secret is only ever shown here.
#[derive(Clone)]
pub struct IssuedToken {
    /// Its id.
    pub id: TokenId,
    /// The whole secret, to hand to the person once.
    pub secret: String,
    /// The visible start of the secret.
    pub prefix: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("id", &self.id)
            .field("prefix", &self.prefix)
            .field("secret", &"***")
            .finish()
    }
}

/// Teams, people, memberships and tokens.
#[derive(Debug, Clone)]
pub struct Directory {
    conn: DatabaseConnection,
}

fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

impl Directory {
    /// A directory over `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    /// Creates a team.
    ///
    /// # Errors
    /// [`RepoError::Duplicate`] when the key is taken.
    pub async fn create_team(&self, key: &TeamKey, name: &Text, now: DateTime<Utc>) -> Result<Team, RepoError> {
        let row = team::Model {
            id: TeamId::generate().as_uuid(),
            key: key.as_str().to_owned(),
            name: name.as_str().to_owned(),
            created_at: now,
        };
        team::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(team_from_row(row))
    }

    /// The team with this key.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn team_by_key(&self, key: &TeamKey) -> Result<Option<Team>, RepoError> {
        let row =
            team::Entity::find().filter(team::Column::Key.eq(key.as_str())).one(&self.conn).await.map_err(repo_err)?;
        Ok(row.map(team_from_row))
    }

    /// The person with exactly this name, created if there is none.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn person_named(&self, name: &Text, now: DateTime<Utc>) -> Result<Person, RepoError> {
        if let Some(row) = person::Entity::find()
            .filter(person::Column::Name.eq(name.as_str()))
            .one(&self.conn)
            .await
            .map_err(repo_err)?
        {
            return Ok(person_from_row(row));
        }
        let row = person::Model {
            id: PersonId::generate().as_uuid(),
            name: name.as_str().to_owned(),
            admin: false,
            created_at: now,
        };
        person::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(person_from_row(row))
    }

    /// Makes a person an instance administrator (or not).
    ///
    /// # Errors
    /// [`RepoError::NotFound`] for an unknown person.
    pub async fn set_admin(&self, person: PersonId, admin: bool) -> Result<(), RepoError> {
        let update = person::ActiveModel {
            id: ActiveValue::Unchanged(person.as_uuid()),
            admin: ActiveValue::Set(admin),
            ..Default::default()
        };
        let result = person::Entity::update_many()
            .set(update)
            .filter(person::Column::Id.eq(person.as_uuid()))
            .exec(&self.conn)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 { Err(RepoError::NotFound) } else { Ok(()) }
    }

    /// Gives `person` `role` in `team`, replacing any role they had there.
    ///
    /// # Errors
    /// [`RepoError::MissingReference`] for an unknown team or person.
    pub async fn set_membership(
        &self,
        team: TeamId,
        person: PersonId,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let row = membership::Model {
            team_id: team.as_uuid(),
            person_id: person.as_uuid(),
            role: role.as_str().to_owned(),
            created_at: now,
        };
        membership::Entity::insert(row.into_active_model())
            .on_conflict(
                OnConflict::columns([membership::Column::TeamId, membership::Column::PersonId])
                    .update_column(membership::Column::Role)
                    .to_owned(),
            )
            .exec_without_returning(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    /// Issues a new token for `person`.
    ///
    /// # Errors
    /// [`RepoError::MissingReference`] for an unknown person; [`RepoError::Internal`] when the
    /// system has no randomness to give.
    pub async fn issue_token(
        &self,
        person: PersonId,
        name: &Text,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, RepoError> {
        let mut random = [0_u8; 32];
        getrandom::fill(&mut random).map_err(|e| RepoError::Internal(format!("no randomness: {e}")))?;
        let secret = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
        let prefix: String = secret.chars().take(VISIBLE_CHARS).collect();
        let id = TokenId::generate();
        let row = api_token::Model {
            id: id.as_uuid(),
            person_id: person.as_uuid(),
            name: name.as_str().to_owned(),
            prefix: prefix.clone(),
            secret_hash: digest(&secret),
            created_at: now,
            expires_at,
            revoked_at: None,
            last_used_at: None,
        };
        api_token::Entity::insert(row.into_active_model())
            .exec_without_returning(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(IssuedToken { id, secret, prefix })
    }

    /// How many tokens exist (revoked ones included).
    ///
    /// # Errors
    /// Storage failures.
    pub async fn token_count(&self) -> Result<u64, RepoError> {
        api_token::Entity::find().count(&self.conn).await.map_err(repo_err)
    }

    /// The caller a bearer token stands for, or `None` when the token is unknown, revoked or
    /// expired.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn authenticate(&self, secret: &str, now: DateTime<Utc>) -> Result<Option<Viewer>, RepoError> {
        if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 128 {
            return Ok(None);
        }
        let Some(token) = api_token::Entity::find()
            .filter(api_token::Column::SecretHash.eq(digest(secret)))
            .one(&self.conn)
            .await
            .map_err(repo_err)?
        else {
            return Ok(None);
        };
        if token.revoked_at.is_some() || token.expires_at.is_some_and(|at| at <= now) {
            return Ok(None);
        }
        let Some(person) = person::Entity::find_by_id(token.person_id).one(&self.conn).await.map_err(repo_err)? else {
            return Ok(None);
        };
        let memberships = membership::Entity::find()
            .filter(membership::Column::PersonId.eq(token.person_id))
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(|m| Ok(Membership { team_id: TeamId::from_uuid(m.team_id), role: role_from_str(&m.role)? }))
            .collect::<Result<Vec<_>, RepoError>>()?;
        if token.last_used_at.is_none_or(|at| now - at >= LAST_USED_RESOLUTION) {
            let touch = api_token::ActiveModel {
                id: ActiveValue::Unchanged(token.id),
                last_used_at: ActiveValue::Set(Some(now)),
                ..Default::default()
            };
            if let Err(error) = api_token::Entity::update(touch).exec(&self.conn).await {
                tracing::warn!(error = %error, "recording a token's last use failed");
            }
        }
        Ok(Some(Viewer { person: person_from_row(person), token_id: Some(TokenId::from_uuid(token.id)), memberships }))
    }
}

#[cfg(test)]
mod tests {
    use super::digest;

    #[test]
    fn a_token_digest_is_hex_sha256() {
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
