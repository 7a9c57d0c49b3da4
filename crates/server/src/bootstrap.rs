//! Commands that manage the directory, and the first-run setup of `taio serve`.

use chrono::Duration;
use taio_core::id::TokenId;
use taio_core::team::{DirectoryRepository, IssuedToken, Role, TeamKey, TokenInfo};
use taio_core::{Clock, Text};
use taio_persistence::Directory;

use crate::config::RoleArg;

/// Why a directory command failed.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// An argument was rejected.
    #[error("{0}")]
    Invalid(String),
    /// The team does not exist.
    #[error("no team with key {0}")]
    UnknownTeam(String),
    /// Storage failed.
    #[error("database error: {0}")]
    Storage(#[from] taio_core::RepoError),
}

impl From<taio_core::error::FieldError> for DirectoryError {
    fn from(error: taio_core::error::FieldError) -> Self {
        Self::Invalid(error.to_string())
    }
}

/// Creates a team; returns its id.
///
/// # Errors
/// [`DirectoryError::Invalid`] for a malformed key or name; storage errors (a taken key is a
/// duplicate).
pub async fn create_team(
    directory: &Directory,
    clock: &dyn Clock,
    key: &str,
    name: &str,
) -> Result<taio_core::team::Team, DirectoryError> {
    let key = TeamKey::parse(key)?;
    let name = Text::parse("name", name, 200)?;
    Ok(directory.create_team(&key, &name, clock.now(), None).await?)
}

/// Issues a token for the person named `person` with `role` in team `team_key`.
///
/// # Errors
/// [`DirectoryError::UnknownTeam`]; [`DirectoryError::Invalid`] for malformed names; storage
/// errors.
pub async fn create_token(
    directory: &Directory,
    clock: &dyn Clock,
    team_key: &str,
    role: RoleArg,
    person: &str,
    label: &str,
    expires_in_days: Option<u32>,
) -> Result<IssuedToken, DirectoryError> {
    let now = clock.now();
    let key = TeamKey::parse(team_key)?;
    let team = directory.team_by_key(&key).await?.ok_or_else(|| DirectoryError::UnknownTeam(key.to_string()))?;
    let person = directory.person_named(&Text::parse("name", person, 200)?, now).await?;
    let team_role = match role {
        RoleArg::Viewer => Role::Viewer,
        RoleArg::Responder => Role::Responder,
        RoleArg::Lead | RoleArg::Admin => Role::Lead,
    };
    if role == RoleArg::Admin {
        directory.set_admin(person.id, true, now, None).await?;
    }
    directory.set_membership(team.id, person.id, team_role, now, None).await?;
    let expires_at = expires_in_days.map(|days| now + Duration::days(i64::from(days)));
    Ok(directory.issue_token(person.id, &Text::parse("label", label, 200)?, expires_at, now, None).await?)
}

/// The tokens of the person named `person`.
///
/// # Errors
/// [`DirectoryError::Invalid`] when there is no such person; storage errors.
pub async fn list_tokens(directory: &Directory, person: &str) -> Result<Vec<TokenInfo>, DirectoryError> {
    let name = Text::parse("name", person, 200)?;
    let person = directory
        .person_by_name(&name)
        .await?
        .ok_or_else(|| DirectoryError::Invalid(format!("no person named {person:?}")))?;
    Ok(directory.tokens_of(person.id).await?)
}

/// Revokes a token.
///
/// # Errors
/// [`DirectoryError::Invalid`] for an unknown token; storage errors.
pub async fn revoke_token(
    directory: &Directory,
    clock: &dyn Clock,
    id: uuid::Uuid,
) -> Result<TokenInfo, DirectoryError> {
    match directory.revoke_token(TokenId::from_uuid(id), clock.now(), None).await {
        Err(taio_core::RepoError::NotFound) => Err(DirectoryError::Invalid(format!("no token with id {id}"))),
        other => Ok(other?),
    }
}

/// What the first start of a server created.
#[derive(Debug)]
pub struct FirstRun {
    /// The administrator's token.
    pub token: IssuedToken,
    /// The team's key.
    pub team_key: String,
}

/// On a database with no tokens at all, creates an administrator who leads a first team, and
/// returns their token; otherwise does nothing.
///
/// # Errors
/// Storage errors.
pub async fn first_run(directory: &Directory, clock: &dyn Clock) -> Result<Option<FirstRun>, DirectoryError> {
    if directory.token_count().await? > 0 {
        return Ok(None);
    }
    let team_key = "SOC";
    let key = TeamKey::parse(team_key)?;
    if directory.team_by_key(&key).await?.is_none() {
        create_team(directory, clock, team_key, "Security Operations").await?;
    }
    let token = create_token(directory, clock, team_key, RoleArg::Admin, "Administrator", "first-run", None).await?;
    Ok(Some(FirstRun { token, team_key: team_key.to_owned() }))
}
