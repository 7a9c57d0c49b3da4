//! The directory of teams, people, memberships and API tokens, and token authentication.
//! Tokens are random 256-bit secrets shown once and stored only as SHA-256 digests. Every write
//! appends an audit record in the same transaction: memberships to their team's chain, teams,
//! people and tokens to the instance chain.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};
use taio_core::id::{PersonId, TeamId, TokenId};
use taio_core::team::{DirectoryRepository, IssuedToken, Member, Membership, Person, Role, Team, TeamKey, TokenInfo};
use taio_core::{Actor, RepoError, Text, Viewer};

use crate::audit::{self, Entry, INSTANCE_CHAIN, digest_of, sha256_hex, team_chain};
use crate::convert::{person_from_row, role_from_str, team_from_row};
use crate::db::begin_write;
use crate::entity::{api_token, membership, person, team};
use crate::error::repo_err;

/// Every token starts with this, so that secret scanners and people can recognise one.
pub const TOKEN_PREFIX: &str = "taio_";
/// How many characters of a token are kept in clear to tell tokens apart.
const VISIBLE_CHARS: usize = 12;
/// `lastUsedAt` is written at most this often per token, so reads stay reads.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

/// Teams, people, memberships and tokens.
#[derive(Debug, Clone)]
pub struct Directory {
    conn: DatabaseConnection,
}

fn digest(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

fn token_from_row(row: api_token::Model) -> TokenInfo {
    TokenInfo {
        id: TokenId::from_uuid(row.id),
        person: PersonId::from_uuid(row.person_id),
        name: Text::from_stored(row.name),
        prefix: row.prefix,
        created_at: row.created_at,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
        last_used_at: row.last_used_at,
    }
}

impl Directory {
    /// A directory over `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
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

    /// The person with exactly this name.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn person_by_name(&self, name: &Text) -> Result<Option<Person>, RepoError> {
        let row = person::Entity::find()
            .filter(person::Column::Name.eq(name.as_str()))
            .one(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(row.map(person_from_row))
    }

    /// The person with exactly this name, created if there is none.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn person_named(&self, name: &Text, now: DateTime<Utc>) -> Result<Person, RepoError> {
        match self.person_by_name(name).await? {
            Some(person) => Ok(person),
            None => self.create_person(name, false, now, None).await,
        }
    }

    /// Makes a person an instance administrator (or not).
    ///
    /// # Errors
    /// [`RepoError::NotFound`] for an unknown person.
    pub async fn set_admin(
        &self,
        person: PersonId,
        admin: bool,
        now: DateTime<Utc>,
        actor: Option<&Actor>,
    ) -> Result<(), RepoError> {
        let txn = begin_write(&self.conn).await.map_err(repo_err)?;
        let update = person::ActiveModel {
            id: ActiveValue::Unchanged(person.as_uuid()),
            admin: ActiveValue::Set(admin),
            ..Default::default()
        };
        let result = person::Entity::update_many()
            .set(update)
            .filter(person::Column::Id.eq(person.as_uuid()))
            .exec(&txn)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            return Err(RepoError::NotFound);
        }
        let operation = if admin { "grantAdmin" } else { "revokeAdmin" };
        audit::append(
            &txn,
            Entry::record(INSTANCE_CHAIN.into(), operation, "person", person.to_string(), None, actor, now),
        )
        .await?;
        txn.commit().await.map_err(repo_err)
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
        let memberships = self.memberships(PersonId::from_uuid(token.person_id)).await?;
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
        Ok(Some(Viewer {
            person: person_from_row(person),
            token_id: Some(TokenId::from_uuid(token.id)),
            memberships,
            request_id: None,
        }))
    }
}

#[async_trait]
impl DirectoryRepository for Directory {
    async fn create_team(
        &self,
        key: &TeamKey,
        name: &Text,
        at: DateTime<Utc>,
        actor: Option<&Actor>,
    ) -> Result<Team, RepoError> {
        let row = team::Model {
            id: TeamId::generate().as_uuid(),
            key: key.as_str().to_owned(),
            name: name.as_str().to_owned(),
            created_at: at,
        };
        let txn = begin_write(&self.conn).await.map_err(repo_err)?;
        team::Entity::insert(row.clone().into_active_model()).exec_without_returning(&txn).await.map_err(repo_err)?;
        let after = Some(digest_of(&row));
        audit::append(
            &txn,
            Entry::record(INSTANCE_CHAIN.into(), "createTeam", "team", row.id.to_string(), after, actor, at),
        )
        .await?;
        txn.commit().await.map_err(repo_err)?;
        Ok(team_from_row(row))
    }

    async fn all_teams(&self) -> Result<Vec<Team>, RepoError> {
        let rows = team::Entity::find().order_by_asc(team::Column::Key).all(&self.conn).await.map_err(repo_err)?;
        Ok(rows.into_iter().map(team_from_row).collect())
    }

    async fn create_person(
        &self,
        name: &Text,
        admin: bool,
        at: DateTime<Utc>,
        actor: Option<&Actor>,
    ) -> Result<Person, RepoError> {
        let row =
            person::Model { id: PersonId::generate().as_uuid(), name: name.as_str().to_owned(), admin, created_at: at };
        let txn = begin_write(&self.conn).await.map_err(repo_err)?;
        person::Entity::insert(row.clone().into_active_model()).exec_without_returning(&txn).await.map_err(repo_err)?;
        let after = Some(digest_of(&row));
        audit::append(
            &txn,
            Entry::record(INSTANCE_CHAIN.into(), "createPerson", "person", row.id.to_string(), after, actor, at),
        )
        .await?;
        txn.commit().await.map_err(repo_err)?;
        Ok(person_from_row(row))
    }

    async fn set_membership(
        &self,
        team: TeamId,
        person: PersonId,
        role: Role,
        at: DateTime<Utc>,
        actor: Option<&Actor>,
    ) -> Result<(), RepoError> {
        let row = membership::Model {
            team_id: team.as_uuid(),
            person_id: person.as_uuid(),
            role: role.as_str().to_owned(),
            created_at: at,
        };
        let after = Some(digest_of(&row));
        let txn = begin_write(&self.conn).await.map_err(repo_err)?;
        membership::Entity::insert(row.into_active_model())
            .on_conflict(
                OnConflict::columns([membership::Column::TeamId, membership::Column::PersonId])
                    .update_column(membership::Column::Role)
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .map_err(repo_err)?;
        audit::append(
            &txn,
            Entry::record(team_chain(team), "setTeamMember", "membership", person.to_string(), after, actor, at),
        )
        .await?;
        txn.commit().await.map_err(repo_err)
    }

    async fn remove_membership(
        &self,
        team: TeamId,
        person: PersonId,
        at: DateTime<Utc>,
        actor: Option<&Actor>,
    ) -> Result<(), RepoError> {
        let txn = begin_write(&self.conn).await.map_err(repo_err)?;
        let result =
            membership::Entity::delete_by_id((team.as_uuid(), person.as_uuid())).exec(&txn).await.map_err(repo_err)?;
        if result.rows_affected == 0 {
            return Err(RepoError::NotFound);
        }
        audit::append(
            &txn,
            Entry::record(team_chain(team), "removeTeamMember", "membership", person.to_string(), None, actor, at),
        )
        .await?;
        txn.commit().await.map_err(repo_err)
    }

    async fn members(&self, team: TeamId) -> Result<Vec<Member>, RepoError> {
        let rows = membership::Entity::find()
            .filter(membership::Column::TeamId.eq(team.as_uuid()))
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        let people = person::Entity::find()
            .filter(person::Column::Id.is_in(rows.iter().map(|m| m.person_id)))
            .order_by_asc(person::Column::Name)
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        people
            .into_iter()
            .filter_map(|p| {
                let role = rows.iter().find(|m| m.person_id == p.id).map(|m| role_from_str(&m.role))?;
                Some(role.map(|role| Member { person: person_from_row(p), role }))
            })
            .collect()
    }

    async fn memberships(&self, person: PersonId) -> Result<Vec<Membership>, RepoError> {
        membership::Entity::find()
            .filter(membership::Column::PersonId.eq(person.as_uuid()))
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(|m| Ok(Membership { team_id: TeamId::from_uuid(m.team_id), role: role_from_str(&m.role)? }))
            .collect()
    }

    async fn issue_token(
        &self,
        person: PersonId,
        name: &Text,
        expires_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
        actor: Option<&Actor>,
    ) -> Result<IssuedToken, RepoError> {
        let mut random = [0_u8; 32];
        getrandom::fill(&mut random).map_err(|e| RepoError::Internal(format!("no randomness: {e}")))?;
        let secret = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
        let row = api_token::Model {
            id: TokenId::generate().as_uuid(),
            person_id: person.as_uuid(),
            name: name.as_str().to_owned(),
            prefix: secret.chars().take(VISIBLE_CHARS).collect(),
            secret_hash: digest(&secret),
            created_at: at,
            expires_at,
            revoked_at: None,
            last_used_at: None,
        };
        let txn = begin_write(&self.conn).await.map_err(repo_err)?;
        api_token::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(repo_err)?;
        let after = Some(digest_of(&row));
        audit::append(
            &txn,
            Entry::record(INSTANCE_CHAIN.into(), "createApiToken", "token", row.id.to_string(), after, actor, at),
        )
        .await?;
        txn.commit().await.map_err(repo_err)?;
        Ok(IssuedToken { token: token_from_row(row), secret })
    }

    async fn tokens_of(&self, person: PersonId) -> Result<Vec<TokenInfo>, RepoError> {
        let rows = api_token::Entity::find()
            .filter(api_token::Column::PersonId.eq(person.as_uuid()))
            .order_by_desc(api_token::Column::CreatedAt)
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(token_from_row).collect())
    }

    async fn token(&self, id: TokenId) -> Result<Option<TokenInfo>, RepoError> {
        let row = api_token::Entity::find_by_id(id.as_uuid()).one(&self.conn).await.map_err(repo_err)?;
        Ok(row.map(token_from_row))
    }

    async fn revoke_token(
        &self,
        id: TokenId,
        at: DateTime<Utc>,
        actor: Option<&Actor>,
    ) -> Result<TokenInfo, RepoError> {
        let txn = begin_write(&self.conn).await.map_err(repo_err)?;
        let revoke = api_token::ActiveModel {
            id: ActiveValue::Unchanged(id.as_uuid()),
            revoked_at: ActiveValue::Set(Some(at)),
            ..Default::default()
        };
        let result = api_token::Entity::update_many()
            .set(revoke)
            .filter(api_token::Column::Id.eq(id.as_uuid()))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 1 {
            audit::append(
                &txn,
                Entry::record(INSTANCE_CHAIN.into(), "revokeApiToken", "token", id.to_string(), None, actor, at),
            )
            .await?;
        }
        let row = api_token::Entity::find_by_id(id.as_uuid())
            .one(&txn)
            .await
            .map_err(repo_err)?
            .ok_or(RepoError::NotFound)?;
        txn.commit().await.map_err(repo_err)?;
        Ok(token_from_row(row))
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
