//! Batch loaders: what hangs off a page of incidents costs one query per kind, whatever the page
//! size. Each is created per request with a cache, reads through the core services (so access
//! checks hold), and is primed by [`prime`] for list results, so that nested fields never depend
//! on how the batching window happens to split their loads.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Lookahead};
use taio_core::Viewer;
use taio_core::id::{IncidentId, PersonId, TeamId};
use taio_core::incident::{Action, Incident, IncidentService, Transition, VisibleIncident};
use taio_core::team::{Person, Team, TeamRepository};

use crate::context::ContextExt;
use crate::error::{ApiError, ApiResult};

/// Loads, in one batch per kind, what the selected fields of `incidents` will ask for: actions,
/// transitions, the people they name, and teams. `selections` are the incident selections
/// (e.g. `nodes` and `edges.node` of a connection).
pub(crate) async fn prime(ctx: &Context<'_>, incidents: &[Incident], selections: &[Lookahead<'_>]) -> ApiResult<()> {
    if incidents.is_empty() {
        return Ok(());
    }
    let wants = |field: &str| selections.iter().any(|s| s.field(field).exists());
    let request = ctx.request()?;
    let keys: Vec<VisibleIncident> = incidents.iter().map(VisibleIncident::of).collect();
    let need_actions = wants("actions") || wants("services") || wants("timeline");
    let need_transitions = wants("transitions") || wants("stageProgress") || wants("timeline");
    let (actions, transitions) = tokio::try_join!(
        async { if need_actions { request.actions.load_many(keys.iter().copied()).await } else { Ok(HashMap::new()) } },
        async {
            if need_transitions {
                request.transitions.load_many(keys.iter().copied()).await
            } else {
                Ok(HashMap::new())
            }
        },
    )?;
    let mut people: HashSet<PersonId> = HashSet::new();
    for incident in incidents {
        people.insert(incident.reported_by);
        people.extend(incident.owner_id);
    }
    for action in actions.values().flat_map(|list| list.iter()) {
        people.insert(action.performed_by);
        people.insert(action.recorded_by);
    }
    people.extend(transitions.values().flat_map(|list| list.iter().map(|t| t.by)));
    let need_people = wants("owner") || wants("reportedBy") || need_actions || need_transitions;
    let teams: HashSet<TeamId> = incidents.iter().map(|i| i.team_id).collect();
    tokio::try_join!(
        async { if need_people { request.people.load_many(people).await.map(drop) } else { Ok(()) } },
        async { if wants("team") { request.teams.load_many(teams).await.map(drop) } else { Ok(()) } },
    )?;
    Ok(())
}

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
