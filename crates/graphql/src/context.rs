//! What resolvers reach through the context: the services (schema-wide) and, per request, the
//! caller and the loaders. Always through [`ContextExt`], never `data_unchecked`.

use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache};
use taio_core::Viewer;
use taio_core::incident::IncidentService;
use taio_core::team::{DirectoryService, TeamRepository};

use crate::error::{ApiError, ApiResult};
use crate::loader::{ActionLoader, PersonLoader, TeamLoader, TransitionLoader};

/// The services the schema is built over.
#[derive(Debug, Clone)]
pub struct Services {
    /// Incidents and actions.
    pub incidents: IncidentService,
    /// Teams and people.
    pub teams: Arc<dyn TeamRepository>,
    /// Team, member and token management.
    pub directory: DirectoryService,
    /// Team dashboards and their settings.
    pub dashboards: taio_core::metrics::DashboardService,
    /// This server's fan-out of incident events to subscribers.
    pub events: crate::subscription::EventHub,
}

/// Per-request state: the caller and request-scoped caching loaders, so that whatever a request
/// has loaded once it never loads again.
pub(crate) struct RequestState {
    pub viewer: Viewer,
    pub actions: DataLoader<ActionLoader, HashMapCache>,
    pub transitions: DataLoader<TransitionLoader, HashMapCache>,
    pub people: DataLoader<PersonLoader, HashMapCache>,
    pub teams: DataLoader<TeamLoader, HashMapCache>,
    /// On a WebSocket connection: how many subscriptions it has open.
    pub subscriptions: Option<Arc<std::sync::atomic::AtomicUsize>>,
}

/// Attaches the caller and fresh loaders to a request.
#[must_use]
pub fn prepare_request(request: async_graphql::Request, services: &Services, viewer: Viewer) -> async_graphql::Request {
    request.data(request_state(services, viewer))
}

/// The data of a WebSocket connection authenticated as `viewer`. Its loaders batch but do not
/// cache: the connection lives for hours, and each event must show the incident as it is now.
#[must_use]
pub fn connection_data(services: &Services, viewer: Viewer) -> async_graphql::Data {
    let mut state = request_state(services, viewer);
    state.subscriptions = Some(Arc::default());
    state.actions.enable_all_cache(false);
    state.transitions.enable_all_cache(false);
    state.people.enable_all_cache(false);
    state.teams.enable_all_cache(false);
    let mut data = async_graphql::Data::default();
    data.insert(state);
    data
}

fn request_state(services: &Services, viewer: Viewer) -> RequestState {
    let spawn = |future| {
        tokio::spawn(future);
    };
    RequestState {
        actions: DataLoader::with_cache(
            ActionLoader::new(services.incidents.clone(), viewer.clone()),
            spawn,
            HashMapCache::default(),
        ),
        transitions: DataLoader::with_cache(
            TransitionLoader::new(services.incidents.clone(), viewer.clone()),
            spawn,
            HashMapCache::default(),
        ),
        people: DataLoader::with_cache(PersonLoader::new(Arc::clone(&services.teams)), spawn, HashMapCache::default()),
        teams: DataLoader::with_cache(TeamLoader::new(Arc::clone(&services.teams)), spawn, HashMapCache::default()),
        viewer,
        subscriptions: None,
    }
}

/// Fallible access to context data.
pub(crate) trait ContextExt {
    /// The schema's services.
    fn services(&self) -> ApiResult<&Services>;
    /// This request's state; a request without a caller is unauthenticated.
    fn request(&self) -> ApiResult<&RequestState>;
    /// The caller.
    fn viewer(&self) -> ApiResult<&Viewer> {
        self.request().map(|r| &r.viewer)
    }
}

impl ContextExt for Context<'_> {
    fn services(&self) -> ApiResult<&Services> {
        self.data::<Services>().map_err(|_| ApiError::internal("schema built without services"))
    }

    fn request(&self) -> ApiResult<&RequestState> {
        self.data::<RequestState>().map_err(|_| ApiError::unauthenticated())
    }
}
