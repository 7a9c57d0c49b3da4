//! GraphQL subscriptions over WebSocket at `/graphql/ws`, in the `graphql-transport-ws` protocol
//! (GraphiQL, the `graphql-ws` client) and the older `graphql-ws` one. The connection
//! authenticates in its `connection_init` payload, `{"token": "…"}` or
//! `{"Authorization": "Bearer …"}`; browsers cannot set headers on a WebSocket, and no cookie is
//! involved, so another site's page cannot ride on a user's session.

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use serde_json::Value;
use taio_core::RepoError;

use crate::app::AppState;

/// `GET /graphql/ws`: upgrades to a GraphQL WebSocket.
pub(crate) async fn upgrade(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    ws: WebSocketUpgrade,
) -> Response {
    let max = state.edge.max_body_bytes;
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS).max_message_size(max).max_frame_size(max).on_upgrade(
        move |socket| async move {
            let schema = state.schema.clone();
            state.metrics.websocket_opened();
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init({
                    let state = state.clone();
                    move |payload| connection_init(state, payload)
                })
                .serve()
                .await;
            state.metrics.websocket_closed();
        },
    )
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
    use serde_json::json;

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

    use serde_json::Value;
}
