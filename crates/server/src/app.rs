//! The router and the state it serves.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use taio_core::Clock;
use taio_graphql::{Services, TaioSchema};
use taio_persistence::{Database, Directory};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::edge::EdgeArgs;
use crate::metrics::Metrics;
use crate::{assets, graphql_http, graphql_ws, metrics};

/// Largest request body accepted by default, in bytes.
pub const MAX_BODY_BYTES: usize = crate::edge::DEFAULT_MAX_BODY_BYTES;

/// Browser features Taiō's pages never use.
const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), hid=(), midi=()";
/// One year, without `includeSubDomains`: other hosts of the domain are not Taiō's to decide.
const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";
/// How long a browser may cache a CORS preflight.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub(crate) schema: TaioSchema,
    pub(crate) services: Services,
    pub(crate) directory: Directory,
    pub(crate) database: Database,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) edge: Arc<EdgeArgs>,
    pub(crate) metrics: Arc<Metrics>,
}

impl AppState {
    /// The state over an opened, migrated database, with the default edge settings.
    #[must_use]
    pub fn new(database: Database, clock: Arc<dyn Clock>) -> Self {
        Self::with_edge(database, clock, &EdgeArgs::default())
    }

    /// The state over an opened, migrated database, limited and exposed as `edge` says. Starts
    /// this server's event fan-out, so it is called from a Tokio runtime.
    #[must_use]
    pub fn with_edge(database: Database, clock: Arc<dyn Clock>, edge: &EdgeArgs) -> Self {
        let incidents = database.incident_service(Arc::clone(&clock));
        let services = Services {
            events: taio_graphql::EventHub::start(incidents.clone(), edge.hub_options()),
            incidents,
            teams: Arc::new(database.teams()),
            directory: taio_core::team::DirectoryService::new(Arc::new(database.directory()), Arc::clone(&clock)),
            dashboards: database.dashboard_service(Arc::clone(&clock)),
        };
        let schema = taio_graphql::build_schema(services.clone(), &edge.schema_options());
        Self {
            schema,
            services,
            directory: database.directory(),
            database,
            clock,
            edge: Arc::new(edge.clone()),
            metrics: Arc::new(Metrics::default()),
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("database", &self.database).field("edge", &self.edge).finish_non_exhaustive()
    }
}

/// The HTTP application.
pub fn app(state: AppState) -> Router {
    let edge = Arc::clone(&state.edge);
    let request_id = HeaderName::from_static("x-request-id");
    let mut graphql = get(graphql_http::get).post(graphql_http::post);
    if let Some(cors) = cors(&edge) {
        graphql = graphql.layer(cors);
    }
    let mut router = Router::new()
        .route("/graphql", graphql)
        .route("/graphql/ws", get(graphql_ws::upgrade))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz));
    if edge.graphiql_enabled() {
        router = router
            .route("/", get(assets::graphiql))
            .route("/graphiql", get(assets::graphiql))
            .route("/dashboard", get(assets::dashboard))
            .route("/assets/{*path}", get(assets::asset));
    }
    if edge.metrics {
        router = router.route("/metrics", get(metrics::scrape));
    }
    let mut router = router
        .layer(from_fn_with_state(state.clone(), metrics::count_http))
        .with_state(state)
        .layer(DefaultBodyLimit::max(edge.max_body_bytes))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(PERMISSIONS_POLICY),
        ));
    if edge.behind_tls {
        router = router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        ));
    }
    router
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// CORS for `/graphql`, only when origins are configured: those origins may send `GET` and `POST`
/// with a bearer token. Without origins there is no CORS layer, so browsers refuse cross-origin
/// calls.
fn cors(edge: &EdgeArgs) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> =
        edge.cors_origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()).collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
            .expose_headers([HeaderName::from_static("x-request-id")])
            .max_age(PREFLIGHT_MAX_AGE),
    )
}

/// `GET /healthz`: the process is up.
async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: the database answers within a second.
async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(1), state.database.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready\n").into_response(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database timed out\n").into_response(),
    }
}
