//! Teams, people and their roles, the storage ports for them, and their management.

mod directory;

pub use directory::{DirectoryRepository, DirectoryService, IssuedToken, Member, TokenInfo};

use std::collections::HashMap;
use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::{FieldError, RepoError};
use crate::id::{PersonId, TeamId};
use crate::text::Text;

vocabulary! {
    /// A person's role in a team. Each role can do what the ones before it can.
    Role {
        /// Reads the team's incidents.
        Viewer = "VIEWER",
        /// Also reports, acknowledges, classifies, transitions and records actions.
        Responder = "RESPONDER",
        /// Also closes, reopens and reassigns.
        Lead = "LEAD",
    }
}

/// A team: incidents belong to one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Identity.
    pub id: TeamId,
    /// Short unique key, e.g. `SOC`.
    pub key: TeamKey,
    /// Display name.
    pub name: Text,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A team's short key: 2 to 16 characters of `A-Z`, `0-9` and `-`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TeamKey(String);

impl TeamKey {
    /// Parses a team key (stored uppercase).
    ///
    /// # Errors
    /// A [`FieldError`] on `key` when it is not 2–16 characters of letters, digits and hyphens
    /// starting with a letter.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let upper = value.trim().to_ascii_uppercase();
        let valid = (2..=16).contains(&upper.len())
            && upper.starts_with(|c: char| c.is_ascii_uppercase())
            && upper.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(upper))
        } else {
            Err(FieldError::new("key", "must be 2–16 letters, digits or hyphens, starting with a letter"))
        }
    }

    /// The key text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Rebuilds a key read back from storage.
    #[must_use]
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Display for TeamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person who uses Taiō.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Identity.
    pub id: PersonId,
    /// Display name.
    pub name: Text,
    /// Instance administrator.
    pub admin: bool,
}

/// A person's role in one team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    /// The team.
    pub team_id: TeamId,
    /// The role there.
    pub role: Role,
}

/// Team and people storage.
#[async_trait]
pub trait TeamRepository: Send + Sync + std::fmt::Debug {
    /// The teams with these ids (missing ones are absent from the map).
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn teams_by_ids(&self, ids: &[TeamId]) -> Result<HashMap<TeamId, Team>, RepoError>;

    /// The people with these ids (missing ones are absent from the map).
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn people_by_ids(&self, ids: &[PersonId]) -> Result<HashMap<PersonId, Person>, RepoError>;

    /// The role `person` has in `team`, if any.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn role_of(&self, person: PersonId, team: TeamId) -> Result<Option<Role>, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_key_is_stored_uppercase() {
        assert_eq!(TeamKey::parse("soc-jp").map(|k| k.0), Ok("SOC-JP".to_owned()));
    }

    #[test]
    fn malformed_team_keys_are_rejected() {
        for bad in ["", "S", "1SOC", "SOC JP", "A-VERY-LONG-TEAM-KEY"] {
            assert!(TeamKey::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn roles_are_ordered_by_what_they_allow() {
        assert!(Role::Viewer < Role::Responder && Role::Responder < Role::Lead);
    }
}
