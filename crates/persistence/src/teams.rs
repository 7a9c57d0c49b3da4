//! Team and people reads for the services and loaders.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use taio_core::RepoError;
use taio_core::id::{PersonId, TeamId};
use taio_core::team::{Person, Role, Team, TeamRepository};

use crate::convert::{person_from_row, role_from_str, team_from_row};
use crate::entity::{membership, person, team};
use crate::error::repo_err;

/// [`TeamRepository`] on sea-orm.
#[derive(Debug, Clone)]
pub struct SqlTeams {
    conn: DatabaseConnection,
}

impl SqlTeams {
    /// A repository over `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

#[async_trait]
impl TeamRepository for SqlTeams {
    async fn teams_by_ids(&self, ids: &[TeamId]) -> Result<HashMap<TeamId, Team>, RepoError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = team::Entity::find()
            .filter(team::Column::Id.is_in(ids.iter().map(TeamId::as_uuid)))
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(team_from_row).map(|t| (t.id, t)).collect())
    }

    async fn people_by_ids(&self, ids: &[PersonId]) -> Result<HashMap<PersonId, Person>, RepoError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = person::Entity::find()
            .filter(person::Column::Id.is_in(ids.iter().map(PersonId::as_uuid)))
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(person_from_row).map(|p| (p.id, p)).collect())
    }

    async fn role_of(&self, person: PersonId, team: TeamId) -> Result<Option<Role>, RepoError> {
        let row = membership::Entity::find_by_id((team.as_uuid(), person.as_uuid()))
            .one(&self.conn)
            .await
            .map_err(repo_err)?;
        row.map(|m| role_from_str(&m.role)).transpose()
    }
}
