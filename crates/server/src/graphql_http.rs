//! GraphQL over HTTP, as the GraphQL-over-HTTP specification describes it: `POST` with
//! `application/json` bodies, `GET` for queries, responses in `application/graphql-response+json`
//! (request errors are 4xx) or `application/json` (request errors are 200), and a bearer token on
//! every operation. Also the edge's guards: the body limit, the per-request deadline, and the
//! limits counted on the parsed document (nesting, fields, aliases, directives, fragment depth)
//! before anything is validated or executed. Every request is counted and timed for `/metrics`
//! by operation and outcome.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{ServerError, Variables};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use taio_core::RepoError;
use taio_core::Viewer;

use crate::app::AppState;
use crate::edge::EdgeArgs;
use crate::metrics::{Observation, Outcome};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// Deepest bracket nesting (`{`, `(`, `[`) a document may have. The parser recurses once per
/// level, so this is checked on the raw text before parsing; it also keeps the parser's own limit
/// (64 selection sets) from being the first to speak.
const MAX_NESTING: usize = 64;

/// Most bytes of a refused body read and discarded before answering.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;
/// Longest a refused body is read before answering.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// The code of a request refused by a limit on its document.
pub(crate) const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";

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

/// 413, whatever the media type: the body was not read whole, so there is no GraphQL request to answer.
fn payload_too_large(media: MediaType, max: usize) -> Response {
    let body = json!({ "errors": [{
        "message": format!("the request body is larger than {max} bytes"),
        "extensions": { "code": "PAYLOAD_TOO_LARGE", "max": max }
    }] });
    write(media, StatusCode::PAYLOAD_TOO_LARGE, &body)
}

/// Responses carry incident data: no cache may keep them.
fn write(media: MediaType, status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, media.header()), (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        bytes,
    )
        .into_response()
}

/// Runs `work` within the request timeout; past it, answers `TIMEOUT` (504 for the GraphQL media
/// type) and drops the work.
async fn within_deadline(
    state: &AppState,
    media: MediaType,
    observation: &Observation,
    work: impl Future<Output = Response>,
) -> Response {
    let limit = state.edge.request_timeout;
    match tokio::time::timeout(limit, work).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(?limit, "request timed out");
            observation.outcome(Outcome::Error);
            request_error(
                media,
                StatusCode::GATEWAY_TIMEOUT,
                "TIMEOUT",
                &format!("the request took longer than {limit:?}; retry, or ask for less"),
            )
        }
    }
}

/// Why a body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyError {
    /// Longer than the limit (whatever `Content-Length` said, or with none).
    TooLarge,
    /// The connection failed while reading.
    Unreadable,
}

/// Reads a body of at most `max` bytes. The rest of a longer one is drained (see [`drain`]).
async fn read_body(mut body: Body, max: usize) -> Result<Bytes, BodyError> {
    let mut buffer = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(data) = frame.map_err(|_| BodyError::Unreadable)?.into_data() else { continue };
        if buffer.len().saturating_add(data.len()) > max {
            drain(body).await;
            return Err(BodyError::TooLarge);
        }
        buffer.extend_from_slice(&data);
    }
    Ok(Bytes::from(buffer))
}

/// Reads and discards what a client sends of a body already refused, up to [`DRAIN_BYTES`] and
/// [`DRAIN_TIME`], so that a client still writing gets the 413 rather than a broken pipe. Past
/// either bound the connection is closed.
async fn drain(mut body: Body) {
    let mut seen = 0_usize;
    let discard = async {
        while let Some(Ok(frame)) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            seen = seen.saturating_add(frame.data_ref().map_or(0, Bytes::len));
            if seen > DRAIN_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
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
pub(crate) async fn post(State(state): State<AppState>, headers: HeaderMap, request: Request) -> Response {
    let started = Instant::now();
    let observation = Observation::default();
    let response = post_observed(&state, &headers, request, &observation).await;
    state.metrics.record_graphql(&observation, response.status(), started.elapsed());
    response
}

async fn post_observed(state: &AppState, headers: &HeaderMap, request: Request, observation: &Observation) -> Response {
    let Some(media) = negotiate(headers) else { return not_acceptable() };
    let max = state.edge.max_body_bytes;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| usize::try_from(length).map_or(true, |length| length > max)) {
        drain(request.into_body()).await;
        return payload_too_large(media, max);
    }
    within_deadline(state, media, observation, post_within_deadline(state, headers, media, request, observation)).await
}

async fn post_within_deadline(
    state: &AppState,
    headers: &HeaderMap,
    media: MediaType,
    request: Request,
    observation: &Observation,
) -> Response {
    let viewer = match authenticate(state, headers, media, observation).await {
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
    let body = match read_body(request.into_body(), state.edge.max_body_bytes).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return payload_too_large(media, state.edge.max_body_bytes),
        Err(BodyError::Unreadable) => {
            return request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", "the request body could not be read");
        }
    };
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
    execute(state, media, viewer, params, false, observation).await
}

/// `GET /graphql`: queries only.
pub(crate) async fn get(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let started = Instant::now();
    let observation = Observation::default();
    let response = match negotiate(&headers) {
        None => not_acceptable(),
        Some(media) => {
            let work = get_within_deadline(&state, &headers, media, query, &observation);
            within_deadline(&state, media, &observation, work).await
        }
    };
    state.metrics.record_graphql(&observation, response.status(), started.elapsed());
    response
}

async fn get_within_deadline(
    state: &AppState,
    headers: &HeaderMap,
    media: MediaType,
    query: Option<String>,
    observation: &Observation,
) -> Response {
    let viewer = match authenticate(state, headers, media, observation).await {
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
    execute(state, media, viewer, params, true, observation).await
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
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    media: MediaType,
    observation: &Observation,
) -> Result<Viewer, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let unauthenticated = || {
        observation.outcome(Outcome::Unauthenticated);
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
        Ok(Some(mut viewer)) => {
            viewer.request_id =
                headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(|id| id.chars().take(64).collect());
            Ok(viewer)
        }
        Ok(None) => Err(unauthenticated()),
        Err(RepoError::Unavailable(detail)) => {
            tracing::warn!(detail, "token check failed: database unavailable");
            observation.outcome(Outcome::Error);
            Err(request_error(
                media,
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "the database is unavailable or busy; retry shortly",
            ))
        }
        Err(error) => {
            tracing::error!(%error, "token check failed");
            observation.outcome(Outcome::Error);
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
async fn execute(
    state: &AppState,
    media: MediaType,
    viewer: Viewer,
    params: Params,
    via_get: bool,
    observation: &Observation,
) -> Response {
    let Some(query) = params.query.filter(|q| !q.trim().is_empty()) else {
        return request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", "the request has no query");
    };
    if nesting_exceeds(&query, MAX_NESTING) {
        return Refusal::too_nested().response(media);
    }
    let document = match async_graphql::parser::parse_query(&query) {
        Ok(document) => document,
        Err(async_graphql::parser::Error::RecursionLimitExceeded) => return Refusal::too_nested().response(media),
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
    let operation = match params.operation_name.as_deref() {
        Some(name) => document.operations.iter().find(|(n, _)| n.map(|n| n.as_str()) == Some(name)),
        None => document.operations.iter().next(),
    };
    let kind = operation.map(|(_, op)| op.node.ty);
    let name = params.operation_name.as_deref().or_else(|| operation.and_then(|(name, _)| name).map(|n| n.as_str()));
    observation.operation(name, kind.map_or_else(Default::default, Into::into));
    if let Err(refusal) = check_document(&document, DocumentLimits::of(&state.edge)) {
        return refusal.response(media);
    }
    if via_get && kind.is_some_and(|kind| kind != OperationType::Query) {
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
    let variables = match params.variables {
        None | Some(Value::Null) => Variables::default(),
        Some(value @ Value::Object(_)) => Variables::from_json(value),
        Some(_) => {
            return request_error(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", "variables must be a JSON object");
        }
    };
    let mut request = async_graphql::Request::new(query).variables(variables);
    request.set_parsed_query(document);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    let request = taio_graphql::prepare_request(request, &state.services, viewer);
    let response = state.schema.execute(request).await;

    let before_execution = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let errors: Vec<Value> = response.errors.iter().map(|e| error_json(e, before_execution, &state.edge)).collect();
    observation.outcome(match (before_execution, errors.is_empty()) {
        (true, _) => Outcome::Rejected,
        (false, true) => Outcome::Ok,
        (false, false) => Outcome::Error,
    });
    if before_execution {
        return write(media, media.request_error_status(StatusCode::BAD_REQUEST), &json!({ "errors": errors }));
    }
    let mut body = json!({ "data": response.data });
    if !errors.is_empty() {
        body["errors"] = Value::Array(errors);
    }
    write(media, StatusCode::OK, &body)
}

/// One error as JSON, with a code: a limit the schema enforced gets `QUERY_TOO_COMPLEX` with the
/// limit's name, other validation failures that carry no code get `GRAPHQL_VALIDATION_FAILED`.
fn error_json(error: &ServerError, validation: bool, edge: &EdgeArgs) -> Value {
    let mut value = serde_json::to_value(error).unwrap_or_else(|_| json!({ "message": error.message }));
    let has_code = value.pointer("/extensions/code").is_some();
    if !has_code {
        let mut fields = serde_json::Map::new();
        match schema_limit(&error.message, edge) {
            Some((limit, max)) if validation => {
                fields.insert("code".into(), Value::from(QUERY_TOO_COMPLEX));
                fields.insert("limit".into(), Value::from(limit));
                fields.insert("max".into(), Value::from(max));
            }
            _ => {
                let code = if validation { "GRAPHQL_VALIDATION_FAILED" } else { "INTERNAL_SERVER_ERROR" };
                fields.insert("code".into(), Value::from(code));
            }
        }
        if let Some(object) = value.as_object_mut() {
            let extensions = object.entry("extensions").or_insert_with(|| json!({}));
            if let Some(extensions) = extensions.as_object_mut() {
                extensions.extend(fields);
            }
        }
    }
    value
}

/// The limit an async-graphql validation message reports, with its configured maximum. These two
/// limits need the schema, so async-graphql checks them and gives the errors no code; the others
/// are checked on the document first. `tests/hostile.rs` fails if an upgrade changes the messages.
pub(crate) fn schema_limit(message: &str, edge: &EdgeArgs) -> Option<(&'static str, usize)> {
    match message {
        "Query is too complex." => Some(("complexity", edge.max_complexity)),
        "Query is nested too deep." => Some(("depth", edge.max_depth)),
        _ => None,
    }
}

/// A request refused before execution: its code, message and, for a limit, which one and its
/// maximum.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    code: &'static str,
    message: String,
    limit: Option<(&'static str, usize)>,
}

impl Refusal {
    fn limit(limit: &'static str, max: usize, message: String) -> Self {
        Self { code: QUERY_TOO_COMPLEX, message, limit: Some((limit, max)) }
    }

    fn too_nested() -> Self {
        Self::limit("depth", MAX_NESTING, format!("the query nests deeper than {MAX_NESTING} levels"))
    }

    fn response(&self, media: MediaType) -> Response {
        let mut extensions = json!({ "code": self.code });
        if let Some((limit, max)) = self.limit {
            extensions["limit"] = Value::from(limit);
            extensions["max"] = Value::from(max);
        }
        let body = json!({ "errors": [{ "message": self.message, "extensions": extensions }] });
        write(media, media.request_error_status(StatusCode::BAD_REQUEST), &body)
    }
}

/// Whether brackets in a GraphQL document nest deeper than `limit`. Strings, block strings and
/// comments are skipped; the scan stops at the first level past the limit.
fn nesting_exceeds(source: &str, limit: usize) -> bool {
    let bytes = source.as_bytes();
    let mut depth = 0_usize;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'#' => {
                while bytes.get(i).is_some_and(|b| *b != b'\n' && *b != b'\r') {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                loop {
                    if i >= bytes.len() {
                        return false;
                    }
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'"' => {
                i += 1;
                while let Some(&b) = bytes.get(i) {
                    match b {
                        b'\\' => i += 2,
                        b'"' | b'\n' | b'\r' => break,
                        _ => i += 1,
                    }
                }
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

/// The limits counted on a parsed document.
#[derive(Debug, Clone, Copy)]
struct DocumentLimits {
    fields: usize,
    aliases: usize,
    directives: usize,
    recursive_depth: usize,
    introspection: bool,
}

impl DocumentLimits {
    fn of(edge: &EdgeArgs) -> Self {
        Self {
            fields: edge.max_fields,
            aliases: edge.max_aliases,
            directives: edge.max_directives,
            recursive_depth: edge.max_recursive_depth,
            introspection: edge.introspection_enabled(),
        }
    }
}

/// What a selection set expands to: fields and aliases with fragments spread (saturating), and
/// how many selection sets deep it goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Size {
    fields: usize,
    aliases: usize,
    height: usize,
}

impl Size {
    fn add(&mut self, child: Self) {
        self.fields = self.fields.saturating_add(child.fields);
        self.aliases = self.aliases.saturating_add(child.aliases);
        self.height = self.height.max(child.height);
    }

    /// One selection set further down.
    fn below(mut self) -> Self {
        self.height += 1;
        self
    }
}

/// Checks `document` against `limits` before it reaches the schema. Fragments are measured once
/// each and their size reused at every spread, so a document whose fragments double at each level
/// costs time in its length, not in its expansion; spreads nest no deeper than the recursive-depth
/// limit, so neither does this walk.
fn check_document(document: &ExecutableDocument, limits: DocumentLimits) -> Result<(), Refusal> {
    let mut walk = Walk { document, limits, sizes: HashMap::new(), open: Vec::new() };
    let mut total = Size::default();
    for (_, operation) in document.operations.iter() {
        walk.directives(operation.node.directives.len())?;
        total.add(walk.selection_set(&operation.node.selection_set.node, 0)?);
        walk.within(total)?;
    }
    Ok(())
}

struct Walk<'d> {
    document: &'d ExecutableDocument,
    limits: DocumentLimits,
    sizes: HashMap<&'d str, Size>,
    open: Vec<&'d str>,
}

impl<'d> Walk<'d> {
    fn selection_set(&mut self, set: &'d SelectionSet, depth: usize) -> Result<Size, Refusal> {
        if depth > self.limits.recursive_depth {
            return Err(self.too_deep());
        }
        let mut size = Size::default();
        for selection in &set.items {
            let child = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.directives(field.directives.len())?;
                    if !self.limits.introspection && matches!(field.name.node.as_str(), "__schema" | "__type") {
                        return Err(Refusal {
                            code: "INTROSPECTION_DISABLED",
                            message: "introspection is disabled on this server".to_owned(),
                            limit: None,
                        });
                    }
                    let mut child = if field.selection_set.node.items.is_empty() {
                        Size::default()
                    } else {
                        self.selection_set(&field.selection_set.node, depth + 1)?.below()
                    };
                    child.fields = child.fields.saturating_add(1);
                    if field.alias.is_some() {
                        child.aliases = child.aliases.saturating_add(1);
                    }
                    child
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(spread.node.directives.len())?;
                    self.fragment(spread.node.fragment_name.node.as_str(), depth + 1)?.below()
                }
                Selection::InlineFragment(inline) => {
                    self.directives(inline.node.directives.len())?;
                    self.selection_set(&inline.node.selection_set.node, depth + 1)?.below()
                }
            };
            size.add(child);
            self.within(size)?;
        }
        Ok(size)
    }

    /// The size of fragment `name`, whose selection set sits `depth` sets deep.
    fn fragment(&mut self, name: &'d str, depth: usize) -> Result<Size, Refusal> {
        if let Some(size) = self.sizes.get(name) {
            if depth + size.height > self.limits.recursive_depth {
                return Err(self.too_deep());
            }
            return Ok(*size);
        }
        if self.open.contains(&name) {
            return Err(Refusal {
                code: "GRAPHQL_VALIDATION_FAILED",
                message: format!("fragment `{name}` spreads itself"),
                limit: None,
            });
        }
        let Some((_, fragment)) = self.document.fragments.iter().find(|(n, _)| n.as_str() == name) else {
            return Ok(Size::default());
        };
        self.open.push(name);
        let size = self.selection_set(&fragment.node.selection_set.node, depth)?;
        self.open.pop();
        self.sizes.insert(name, size);
        Ok(size)
    }

    fn directives(&self, count: usize) -> Result<(), Refusal> {
        if count > self.limits.directives {
            let max = self.limits.directives;
            return Err(Refusal::limit("directives", max, format!("more than {max} directives on one selection")));
        }
        Ok(())
    }

    fn within(&self, size: Size) -> Result<(), Refusal> {
        if size.fields > self.limits.fields {
            let max = self.limits.fields;
            return Err(Refusal::limit("fields", max, format!("the query selects more than {max} fields")));
        }
        if size.aliases > self.limits.aliases {
            let max = self.limits.aliases;
            return Err(Refusal::limit("aliases", max, format!("the query uses more than {max} aliases")));
        }
        Ok(())
    }

    fn too_deep(&self) -> Refusal {
        let max = self.limits.recursive_depth;
        Refusal::limit("recursiveDepth", max, format!("selections and fragment spreads nest deeper than {max} levels"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> DocumentLimits {
        DocumentLimits::of(&EdgeArgs::default())
    }

    fn check(query: &str) -> Result<(), Refusal> {
        check_document(&async_graphql::parser::parse_query(query).unwrap(), limits())
    }

    fn limit_of(result: Result<(), Refusal>) -> Option<&'static str> {
        result.err().and_then(|refusal| refusal.limit).map(|(limit, _)| limit)
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count_as_nesting() {
        let deep = "[".repeat(100);
        assert!(!nesting_exceeds(&format!("{{ a(s: \"{deep}\") # {deep}\n }}"), 3));
        assert!(!nesting_exceeds(&format!("{{ a(s: \"\"\"{deep} \\\"\"\" {deep}\"\"\") }}"), 3));
        assert!(!nesting_exceeds("{ a(s: \"\\\"{{{{\") }", 3));
    }

    #[test]
    fn nesting_past_the_limit_is_found_before_parsing() {
        assert!(nesting_exceeds(&"{ a ".repeat(5), 4));
        assert!(!nesting_exceeds(&format!("{}{}", "{ a ".repeat(4), "}".repeat(4)), 4));
        assert!(nesting_exceeds(&format!("{{ a(f: {}) }}", "[".repeat(10)), 8));
    }

    #[test]
    fn fragments_that_double_at_each_level_are_measured_without_expanding_them() {
        let mut query = String::from("{ ...F20 } fragment F0 on Query { __typename }");
        for level in 1..=20 {
            let below = level - 1;
            query.push_str(&format!(" fragment F{level} on Query {{ ...F{below} ...F{below} }}"));
        }
        let started = std::time::Instant::now();
        assert_eq!(limit_of(check(&query)), Some("fields"));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn aliases_are_counted_through_fragments() {
        let aliases: String = (0..60).map(|i| format!("a{i}: __typename ")).collect();
        let query = format!("{{ ...A ...A }} fragment A on Query {{ {aliases} }}");
        assert_eq!(limit_of(check(&query)), Some("aliases"));
        assert_eq!(check(&format!("{{ ...A }} fragment A on Query {{ {aliases} }}")), Ok(()));
    }

    #[test]
    fn a_fragment_cycle_is_refused() {
        let refusal = check("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }").unwrap_err();
        assert_eq!(refusal.code, "GRAPHQL_VALIDATION_FAILED");
    }

    #[test]
    fn a_long_chain_of_fragments_is_refused_at_the_recursive_depth() {
        let mut query = String::from("{ ...F0 }");
        for level in 0..200 {
            query.push_str(&format!(" fragment F{level} on Query {{ ...F{} }}", level + 1));
        }
        query.push_str(" fragment F200 on Query { __typename }");
        assert_eq!(limit_of(check(&query)), Some("recursiveDepth"));
    }

    #[test]
    fn a_fragment_measured_shallow_is_refused_where_it_is_spread_too_deep() {
        let mut limits = limits();
        limits.recursive_depth = 3;
        let shallow = "{ ...A b { c { d { ...A } } } } fragment A on Query { x { y } }";
        let refusal = check_document(&async_graphql::parser::parse_query(shallow).unwrap(), limits).unwrap_err();
        assert_eq!(refusal.limit.map(|(limit, _)| limit), Some("recursiveDepth"));
    }

    #[test]
    fn directives_are_counted_per_selection() {
        let many = "@skip(if: false) ".repeat(17);
        assert_eq!(limit_of(check(&format!("{{ __typename {many} }}"))), Some("directives"));
        assert_eq!(limit_of(check(&format!("{{ ... on Query {many} {{ __typename }} }}"))), Some("directives"));
        let allowed = "@skip(if: false) ".repeat(16);
        assert_eq!(check(&format!("{{ __typename {allowed} }}")), Ok(()));
    }

    #[test]
    fn introspection_is_refused_only_when_disabled() {
        let query = "{ ...T } fragment T on Query { __schema { types { name } } }";
        assert_eq!(check(query), Ok(()));
        let mut limits = limits();
        limits.introspection = false;
        let refusal = check_document(&async_graphql::parser::parse_query(query).unwrap(), limits).unwrap_err();
        assert_eq!(refusal.code, "INTROSPECTION_DISABLED");
        assert_eq!(check_document(&async_graphql::parser::parse_query("{ __typename }").unwrap(), limits), Ok(()));
    }

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
