//! GraphQL subscriptions over WebSocket at `/graphql/ws`, in the `graphql-transport-ws` protocol
//! (GraphiQL, the `graphql-ws` client) and the older `graphql-ws` one. The connection
//! authenticates in its `connection_init` payload, `{"token": "…"}` or
//! `{"Authorization": "Bearer …"}`; browsers cannot set headers on a WebSocket, and no cookie is
//! involved, so another site's page cannot ride on a user's session.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::future::Future;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{Data, Executor};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use serde_json::Value;
use taio_core::RepoError;

use crate::app::AppState;
use crate::edge::EdgeArgs;
use crate::graphql_http::{QUERY_TOO_COMPLEX, schema_limit};
use taio_graphql::TaioSchema;

/// `GET /graphql/ws`: upgrades to a GraphQL WebSocket.
pub(crate) async fn upgrade(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    ws: WebSocketUpgrade,
) -> Response {
    let max = state.edge.max_body_bytes;
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| serve(state, protocol, socket))
}

async fn serve(state: AppState, protocol: GraphQLProtocol, socket: WebSocket) {
    state.metrics.websocket_opened();
    let initialised = Arc::new(AtomicBool::new(false));
    let executor = Coded { schema: state.schema.clone(), edge: Arc::clone(&state.edge) };
    let connection = GraphQLWebSocket::new(socket, executor, protocol)
        .on_connection_init({
            let (state, initialised) = (state.clone(), Arc::clone(&initialised));
            move |payload| {
                initialised.store(true, Ordering::Relaxed);
                connection_init(state, payload)
            }
        })
        .serve();
    // Sockets that never authenticate must not pile up.
    let init_deadline = async {
        tokio::time::sleep(state.edge.websocket_init_timeout).await;
        if initialised.load(Ordering::Relaxed) {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = connection => {}
        () = init_deadline => tracing::debug!("WebSocket dropped: no connection_init in time"),
    }
    state.metrics.websocket_closed();
}

/// The schema as the WebSocket runs it: errors the schema raised without a code (validation, its
/// limits) get one, as they do over HTTP.
#[derive(Clone)]
struct Coded {
    schema: TaioSchema,
    edge: Arc<EdgeArgs>,
}

impl Executor for Coded {
    fn execute(&self, request: async_graphql::Request) -> impl Future<Output = async_graphql::Response> + Send {
        let (schema, edge) = (self.schema.clone(), Arc::clone(&self.edge));
        async move { with_codes(schema.execute(request).await, &edge) }
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        let edge = Arc::clone(&self.edge);
        Executor::execute_stream(&self.schema, request, session_data)
            .map(move |response| with_codes(response, &edge))
            .boxed()
    }
}

/// Gives every error without `extensions.code` one: `QUERY_TOO_COMPLEX` (with the limit) or
/// `GRAPHQL_VALIDATION_FAILED` before execution, `INTERNAL_SERVER_ERROR` during it.
fn with_codes(mut response: async_graphql::Response, edge: &EdgeArgs) -> async_graphql::Response {
    let before_execution = response.data == async_graphql::Value::Null;
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_some() {
            continue;
        }
        let validation = before_execution && error.path.is_empty();
        match schema_limit(&error.message, edge) {
            Some((limit, max)) if validation => {
                extensions.set("code", QUERY_TOO_COMPLEX);
                extensions.set("limit", limit);
                extensions.set("max", max);
            }
            _ if validation => extensions.set("code", "GRAPHQL_VALIDATION_FAILED"),
            _ => extensions.set("code", "INTERNAL_SERVER_ERROR"),
        }
    }
    response
}

/// The token a `connection_init` payload carries.
fn token_of(payload: &Value) -> Option<&str> {
    if let Some(token) = payload.get("token").and_then(Value::as_str) {
        return Some(token.trim());
    }
    let header = ["Authorization", "authorization"].iter().find_map(|key| payload.get(*key)?.as_str())?;
    header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).map(str::trim)
}

async fn connection_init(state: AppState, payload: Value) -> async_graphql::Result<Data> {
    let refused =
        || async_graphql::Error::new("Forbidden: send a valid API token as {\"token\": \"…\"} in connection_init");
    let Some(token) = token_of(&payload) else { return Err(refused()) };
    match state.directory.authenticate(token, state.clock.now()).await {
        Ok(Some(viewer)) => Ok(taio_graphql::connection_data(&state.services, viewer)),
        Ok(None) => Err(refused()),
        Err(RepoError::Unavailable(detail)) => {
            tracing::warn!(detail, "subscription token check failed: database unavailable");
            Err(async_graphql::Error::new("the database is unavailable or busy; retry shortly"))
        }
        Err(error) => {
            tracing::error!(%error, "subscription token check failed");
            Err(async_graphql::Error::new("Internal server error"))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::token_of;

    #[test]
    fn a_token_is_read_from_either_payload_form() {
        assert_eq!(token_of(&json!({ "token": " taio_abc " })), Some("taio_abc"));
        assert_eq!(token_of(&json!({ "Authorization": "Bearer taio_abc" })), Some("taio_abc"));
        assert_eq!(token_of(&json!({ "authorization": "bearer taio_abc" })), Some("taio_abc"));
        assert_eq!(token_of(&json!({ "Authorization": "Basic abc" })), None);
        assert_eq!(token_of(&json!({})), None);
        assert_eq!(token_of(&Value::Null), None);
    }
}
