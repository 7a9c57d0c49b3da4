//! Batch loaders: what hangs off a page of incidents costs one query per kind, whatever the page
//! size. Each is created per request and reads through the core services, so access checks hold.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use taio_core::Viewer;
use taio_core::id::{IncidentId, PersonId, TeamId};
use taio_core::incident::{Action, IncidentService, Transition, VisibleIncident};
use taio_core::team::{Person, Team, TeamRepository};

use crate::error::ApiError;

/// Actions of incidents.
pub(crate) struct ActionLoader {
    service: IncidentService,
    viewer: Viewer,
}

impl ActionLoader {
    pub(crate) fn new(service: IncidentService, viewer: Viewer) -> Self {
        Self { service, viewer }
    }
}

impl Loader<VisibleIncident> for ActionLoader {
    type Value = Arc<Vec<Action>>;
    type Error = ApiError;

    async fn load(&self, keys: &[VisibleIncident]) -> Result<HashMap<VisibleIncident, Self::Value>, Self::Error> {
        let mut found = self.service.actions_of(&self.viewer, keys).await?;
        Ok(keys.iter().map(|k| (*k, Arc::new(found.remove(&k.id()).unwrap_or_default()))).collect())
    }
}

/// Transitions of incidents.
pub(crate) struct TransitionLoader {
    service: IncidentService,
    viewer: Viewer,
}

impl TransitionLoader {
    pub(crate) fn new(service: IncidentService, viewer: Viewer) -> Self {
        Self { service, viewer }
    }
}

impl Loader<VisibleIncident> for TransitionLoader {
    type Value = Arc<Vec<Transition>>;
    type Error = ApiError;

    async fn load(&self, keys: &[VisibleIncident]) -> Result<HashMap<VisibleIncident, Self::Value>, Self::Error> {
        let mut found: HashMap<IncidentId, Vec<Transition>> = self.service.transitions_of(&self.viewer, keys).await?;
        Ok(keys.iter().map(|k| (*k, Arc::new(found.remove(&k.id()).unwrap_or_default()))).collect())
    }
}

/// People by id (owners, reporters, performers), as referenced by visible objects.
pub(crate) struct PersonLoader {
    teams: Arc<dyn TeamRepository>,
}

impl PersonLoader {
    pub(crate) fn new(teams: Arc<dyn TeamRepository>) -> Self {
        Self { teams }
    }
}

impl Loader<PersonId> for PersonLoader {
    type Value = Person;
    type Error = ApiError;

    async fn load(&self, keys: &[PersonId]) -> Result<HashMap<PersonId, Person>, Self::Error> {
        self.teams.people_by_ids(keys).await.map_err(|e| taio_core::IncidentError::from(e).into())
    }
}

/// Teams by id, as referenced by visible objects.
pub(crate) struct TeamLoader {
    teams: Arc<dyn TeamRepository>,
}

impl TeamLoader {
    pub(crate) fn new(teams: Arc<dyn TeamRepository>) -> Self {
        Self { teams }
    }
}

impl Loader<TeamId> for TeamLoader {
    type Value = Team;
    type Error = ApiError;

    async fn load(&self, keys: &[TeamId]) -> Result<HashMap<TeamId, Team>, Self::Error> {
        self.teams.teams_by_ids(keys).await.map_err(|e| taio_core::IncidentError::from(e).into())
    }
}
