//! GraphQL over HTTP, as the GraphQL-over-HTTP specification describes it: `POST` with
//! `application/json` bodies, `GET` for queries, responses in `application/graphql-response+json`
//! (request errors are 4xx) or `application/json` (request errors are 200), and a bearer token on
//! every operation.

use async_graphql::parser::types::OperationType;
use async_graphql::{ServerError, Variables};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use taio_core::RepoError;
use taio_core::Viewer;

use crate::app::AppState;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// The media type a response is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponse,
    Json,
}

impl MediaType {
    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        })
    }

    /// The status of a response that failed before execution: 4xx for the GraphQL media type,
    /// 200 for legacy `application/json` clients.
    fn request_error_status(self, status: StatusCode) -> StatusCode {
        if self == Self::Json { StatusCode::OK } else { status }
    }
}

/// Picks the response media type from `Accept`; `None` when the client accepts neither.
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(MediaType::Json);
    };
    let mut json = false;
    let mut any = false;
    for range in accept.split(',') {
        let media = range.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match media.as_str() {
            GRAPHQL_RESPONSE_JSON => return Some(MediaType::GraphqlResponse),
            APPLICATION_JSON => json = true,
            "*/*" | "application/*" => any = true,
            _ => {}
        }
    }
    if json {
        Some(MediaType::Json)
    } else if any {
        Some(MediaType::GraphqlResponse)
    } else {
        None
    }
}

/// 406: the client accepts neither GraphQL response media type.
fn not_acceptable() -> Response {
    (StatusCode::NOT_ACCEPTABLE, "accept application/graphql-response+json or application/json\n").into_response()
}

/// An error response outside execution: `{"errors": [...]}` with a code.
fn request_error(media: MediaType, status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    write(media, media.request_error_status(status), &body)
}

fn write(media: MediaType, status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, media.header())], bytes).into_response()
}

/// The parameters of a GraphQL request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Value>,
    #[allow(dead_code)]
    extensions: Option<Value>,
}

/// `POST /graphql`.
pub(crate) async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(media) = negotiate(&headers) else { return not_acceptable() };
    let viewer = match authenticate(&state, &headers, media).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence != APPLICATION_JSON {
        return request_error(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as Content-Type: application/json",
        );
    }
    let params: Params = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(_)) => {
            return request_error(
                media,
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "batched requests are not supported: send one operation per request",
            );
        }
        Ok(value @ Value::Object(_)) => match serde_json::from_value(value) {
            Ok(params) => params,
            Err(error) => {
                return request_error(
                    media,
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    &format!("malformed request: {error}"),
                );
            }
        },
        Ok(_) => return request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", "the body must be a JSON object"),
        Err(_) => return request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", "the body is not valid JSON"),
    };
    execute(&state, media, viewer, params, false).await
}

/// `GET /graphql`: queries only.
pub(crate) async fn get(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let Some(media) = negotiate(&headers) else { return not_acceptable() };
    let viewer = match authenticate(&state, &headers, media).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    let pairs: Vec<(String, String)> = match serde_urlencoded_pairs(query.as_deref().unwrap_or_default()) {
        Some(pairs) => pairs,
        None => return request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", "malformed query string"),
    };
    let lookup = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let variables = match lookup("variables").filter(|v| !v.is_empty()) {
        None => None,
        Some(raw) => match serde_json::from_str(&raw) {
            Ok(value) => Some(value),
            Err(_) => {
                return request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", "variables must be a JSON object");
            }
        },
    };
    let params = Params {
        query: lookup("query"),
        operation_name: lookup("operationName").filter(|v| !v.is_empty()),
        variables,
        extensions: None,
    };
    execute(&state, media, viewer, params, true).await
}

/// Splits `a=b&c=d` with percent-decoding.
fn serde_urlencoded_pairs(raw: &str) -> Option<Vec<(String, String)>> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Resolves the bearer token to a caller; answers 401 (or 503) otherwise.
async fn authenticate(state: &AppState, headers: &HeaderMap, media: MediaType) -> Result<Viewer, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let unauthenticated = || {
        let body = json!({ "errors": [{
            "message": "a valid API token is required: send Authorization: Bearer <token>",
            "extensions": { "code": "UNAUTHENTICATED" }
        }] });
        let mut response = write(media, StatusCode::UNAUTHORIZED, &body);
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"taio\""));
        response
    };
    let Some(token) = token else { return Err(unauthenticated()) };
    match state.directory.authenticate(token, state.clock.now()).await {
        Ok(Some(viewer)) => Ok(viewer),
        Ok(None) => Err(unauthenticated()),
        Err(RepoError::Unavailable(detail)) => {
            tracing::warn!(detail, "token check failed: database unavailable");
            Err(request_error(
                media,
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "the database is unavailable or busy; retry shortly",
            ))
        }
        Err(error) => {
            tracing::error!(%error, "token check failed");
            Err(request_error(
                media,
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "Internal server error",
            ))
        }
    }
}

/// Parses, checks and executes one operation.
async fn execute(state: &AppState, media: MediaType, viewer: Viewer, params: Params, via_get: bool) -> Response {
    let Some(query) = params.query.filter(|q| !q.trim().is_empty()) else {
        return request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", "the request has no query");
    };
    let document = match async_graphql::parser::parse_query(&query) {
        Ok(document) => document,
        Err(error) => {
            let error = ServerError::from(error);
            let body = json!({ "errors": [{
                "message": error.message,
                "locations": error.locations.iter().map(|l| json!({"line": l.line, "column": l.column})).collect::<Vec<_>>(),
                "extensions": { "code": "GRAPHQL_PARSE_FAILED" }
            }] });
            return write(media, media.request_error_status(StatusCode::BAD_REQUEST), &body);
        }
    };
    if via_get {
        let operation = match params.operation_name.as_deref() {
            Some(name) => {
                document.operations.iter().find(|(n, _)| n.map(|n| n.as_str()) == Some(name)).map(|(_, op)| op)
            }
            None => document.operations.iter().next().map(|(_, op)| op),
        };
        if operation.is_some_and(|op| op.node.ty != OperationType::Query) {
            let mut response = request_error(
                media,
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "only queries may be sent with GET; use POST",
            );
            *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
            response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
    }
    let variables = match params.variables {
        None | Some(Value::Null) => Variables::default(),
        Some(value @ Value::Object(_)) => Variables::from_json(value),
        Some(_) => {
            return request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", "variables must be a JSON object");
        }
    };
    let mut request = async_graphql::Request::new(query).variables(variables);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    let request = taio_graphql::prepare_request(request, &state.services, viewer);
    let response = state.schema.execute(request).await;

    let before_execution = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let errors: Vec<Value> = response.errors.iter().map(|e| error_json(e, before_execution)).collect();
    if before_execution {
        return write(media, media.request_error_status(StatusCode::BAD_REQUEST), &json!({ "errors": errors }));
    }
    let mut body = json!({ "data": response.data });
    if !errors.is_empty() {
        body["errors"] = Value::Array(errors);
    }
    write(media, StatusCode::OK, &body)
}

/// One error as JSON, with a code: validation failures that carry none get
/// `GRAPHQL_VALIDATION_FAILED`.
fn error_json(error: &ServerError, validation: bool) -> Value {
    let mut value = serde_json::to_value(error).unwrap_or_else(|_| json!({ "message": error.message }));
    let has_code = value.pointer("/extensions/code").is_some();
    if !has_code {
        let code = if validation { "GRAPHQL_VALIDATION_FAILED" } else { "INTERNAL_SERVER_ERROR" };
        if let Some(object) = value.as_object_mut() {
            let extensions = object.entry("extensions").or_insert_with(|| json!({}));
            if let Some(extensions) = extensions.as_object_mut() {
                extensions.insert("code".into(), Value::from(code));
            }
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_graphql_media_type_wins_when_accepted() {
        assert_eq!(
            negotiate(&accept("application/json, application/graphql-response+json")),
            Some(MediaType::GraphqlResponse)
        );
    }

    #[test]
    fn a_client_without_accept_gets_json() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(MediaType::Json));
    }

    #[test]
    fn a_client_accepting_only_html_is_refused() {
        assert_eq!(negotiate(&accept("text/html")), None);
    }

    #[test]
    fn percent_encoded_query_strings_decode() {
        assert_eq!(
            serde_urlencoded_pairs("query=%7B+me+%7D&x="),
            Some(vec![("query".into(), "{ me }".into()), ("x".into(), String::new())])
        );
    }
}
