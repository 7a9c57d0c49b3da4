//! Hostile requests against a real server on a real socket: each is refused quickly, with a
//! status and an `extensions.code` that say why, while the server goes on answering everyone
//! else. Also the edge's switches (production mode, GraphiQL, CORS, security headers) and its
//! timeouts (the request deadline, the wait for a pooled connection) on real databases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use taio_core::SystemClock;
use taio_persistence::testing::{TeamFixture, execute, postgres, sqlite, team_fixture};
use taio_persistence::{Database, DatabaseConfig};
use taio_server::AppState;
use taio_server::edge::EdgeArgs;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

#[path = "support/server.rs"]
mod server;
use server::{Served, serve};

/// An answer slower than this is a hang, not a refusal. Generous: this is not a benchmark.
const HANG: Duration = Duration::from_secs(5);

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// What a well-behaved client asks meanwhile.
const ME: &str = "{ me { person { name } } }";

// ---------------------------------------------------------------------------------------------
// Harness: a server over a database, a client, answers
// ---------------------------------------------------------------------------------------------

/// The app served on a local port with some edge settings.
struct Server {
    client: Client,
    address: std::net::SocketAddr,
    _served: Served,
}

async fn start(database: &Database, edge: &EdgeArgs) -> Server {
    let served = serve(AppState::with_edge(database.clone(), Arc::new(SystemClock), edge)).await;
    let client = Client { http: served.http.clone(), base: served.base.clone() };
    Server { client, address: served.address, _served: served }
}

/// A client of one server.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
}

/// A request, described.
#[derive(Debug, Clone)]
struct Req {
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
}

impl Req {
    /// `POST /graphql` with `body` as JSON, asking for the GraphQL response media type.
    fn post(token: Option<&str>, body: impl Into<Vec<u8>>) -> Self {
        Self::post_as(token, "application/json", body)
    }

    /// `POST /graphql` with `body` sent as `content_type`.
    fn post_as(token: Option<&str>, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        let mut headers = vec![("accept", GRAPHQL_RESPONSE_JSON.to_owned())];
        if !content_type.is_empty() {
            headers.push(("content-type", content_type.to_owned()));
        }
        if let Some(token) = token {
            headers.push(("authorization", format!("Bearer {token}")));
        }
        Self { method: Method::POST, path: "/graphql".to_owned(), headers, body: Some(body.into()) }
    }

    /// `POST /graphql` with `{query, variables}`.
    fn query(token: &str, query: &str, variables: Value) -> Self {
        Self::post(Some(token), json!({ "query": query, "variables": variables }).to_string())
    }

    fn get(path: &str) -> Self {
        Self { method: Method::GET, path: path.to_owned(), headers: Vec::new(), body: None }
    }

    /// With header `name` set to `value` (replacing any).
    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// A response read whole, and how long it took from sending to the last byte.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    text: String,
    took: Duration,
}

impl Answer {
    fn error(&self) -> &Value {
        &self.body["errors"][0]
    }

    fn code(&self) -> &str {
        self.error()["extensions"]["code"].as_str().unwrap_or("<no code>")
    }

    fn limit(&self) -> Option<&str> {
        self.error()["extensions"]["limit"].as_str()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn ok(&self) -> bool {
        self.status == StatusCode::OK && self.body.get("errors").is_none() && !self.body["data"].is_null()
    }
}

impl Client {
    async fn send(&self, req: Req) -> Answer {
        let what = format!("{} {}", req.method, req.path.chars().take(60).collect::<String>());
        let mut request = self.http.request(req.method, format!("{}{}", self.base, req.path));
        for (name, value) in req.headers {
            request = request.header(name, value);
        }
        if let Some(body) = req.body {
            request = request.body(body);
        }
        let started = Instant::now();
        let response = request.send().await.unwrap_or_else(|e| panic!("{what}: no response: {e:?}"));
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_else(|e| panic!("{what}: no body: {e:?}"));
        let took = started.elapsed();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, headers, body, text, took }
    }

    async fn gql(&self, token: &str, query: &str, variables: Value) -> Answer {
        self.send(Req::query(token, query, variables)).await
    }
}

impl std::ops::Deref for Server {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

/// Sets a column of one fixture token to its creation time, through SQL: `expires_at` expires
/// it, `revoked_at` revokes it.
async fn age_token(database: &Database, token: &str, column: &str) {
    let prefix: String = token.chars().take(12).collect();
    execute(database, &format!("UPDATE api_tokens SET {column} = created_at WHERE prefix = '{prefix}'")).await;
}

async fn report(client: &Client, token: &str, team: &TeamFixture) -> Answer {
    client
        .gql(
            token,
            "mutation($input: ReportIncidentInput!) { reportIncident(input: $input) { id } }",
            json!({ "input": { "teamId": team.team.id.to_string(), "title": "Beacon to a sinkholed domain" } }),
        )
        .await
}

// ---------------------------------------------------------------------------------------------
// The hostile requests
// ---------------------------------------------------------------------------------------------

/// A hostile request and the refusal it must get.
struct Case {
    name: &'static str,
    request: Req,
    status: StatusCode,
    code: &'static str,
    /// The limit named in `extensions.limit`, for `QUERY_TOO_COMPLEX`.
    limit: Option<&'static str>,
}

fn case(name: &'static str, request: Req, status: StatusCode, code: &'static str) -> Case {
    Case { name, request, status, code, limit: None }
}

fn too_complex(name: &'static str, request: Req, limit: &'static str) -> Case {
    Case { name, request, status: StatusCode::BAD_REQUEST, code: "QUERY_TOO_COMPLEX", limit: Some(limit) }
}

/// `{ a { a { … } } }`, `levels` deep.
fn nested(levels: usize) -> String {
    format!("{}{}", "{ a ".repeat(levels), "}".repeat(levels))
}

/// Fragments that each spread the one below twice, `levels` high: 2^levels fields once expanded.
fn fragment_bomb(levels: usize) -> String {
    let mut query = format!("{{ ...F{levels} }} fragment F0 on Query {{ __typename }}");
    for level in 1..=levels {
        let below = level - 1;
        query.push_str(&format!(" fragment F{level} on Query {{ ...F{below} ...F{below} }}"));
    }
    query
}

/// Fragments that each spread the next, `length` long.
fn fragment_chain(length: usize) -> String {
    let mut query = String::from("{ ...F0 }");
    for link in 0..length {
        query.push_str(&format!(" fragment F{link} on Query {{ ...F{} }}", link + 1));
    }
    query.push_str(&format!(" fragment F{length} on Query {{ __typename }}"));
    query
}

fn hostile_cases(good: &str, expired: &str, revoked: &str) -> Vec<Case> {
    let q = |query: &str| Req::query(good, query, json!({}));
    let aliases: String = (0..5_000).map(|i| format!("a{i}: __typename ")).collect();
    let operations: String = (0..2_000).map(|i| format!("query Q{i} {{ me {{ person {{ name }} }} }} ")).collect();
    let keys = "key ".repeat(60);
    let batch: Vec<Value> = (0..1_000).map(|_| json!({ "query": ME })).collect();
    let deep_json = format!(
        "{{\"query\": \"{{ me {{ admin }} }}\", \"variables\": {{\"v\": {}{}}}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let huge = json!({ "query": format!("{{ me {{ admin }} }} #{}", "x".repeat(2 * 1024 * 1024)) }).to_string();
    let get_deep =
        format!("/graphql?query={}", nested(2_000).replace(' ', "+").replace('{', "%7B").replace('}', "%7D"));
    vec![
        too_complex("selections nested 100 000 deep", q(&nested(100_000)), "depth"),
        too_complex("selections nested 20 deep", q(&nested(20)), "depth"),
        too_complex("selections nested 40 deep", q(&nested(40)), "recursiveDepth"),
        too_complex(
            "a GET with selections nested 2 000 deep",
            Req::get(&get_deep)
                .header("accept", GRAPHQL_RESPONSE_JSON)
                .header("authorization", &format!("Bearer {good}")),
            "depth",
        ),
        too_complex(
            "arguments nested 10 000 deep",
            q(&format!("{{ incidents(after: {}{}) {{ totalCount }} }}", "[".repeat(10_000), "]".repeat(10_000))),
            "depth",
        ),
        case(
            "a fragment cycle",
            q("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
            StatusCode::BAD_REQUEST,
            "GRAPHQL_VALIDATION_FAILED",
        ),
        too_complex("a chain of 200 fragments", q(&fragment_chain(200)), "recursiveDepth"),
        too_complex("fragments doubling 20 times", q(&fragment_bomb(20)), "fields"),
        too_complex("5 000 aliases", q(&format!("{{ {aliases} }}")), "aliases"),
        too_complex("5 000 fields", q(&format!("{{ {} }}", "__typename ".repeat(5_000))), "fields"),
        too_complex(
            "5 000 directives on one field",
            q(&format!("{{ __typename {} }}", "@skip(if: false) ".repeat(5_000))),
            "directives",
        ),
        too_complex("2 000 operations in one document", q(&operations), "fields"),
        too_complex(
            "a page of 100 incidents, 60 fields each",
            q(&format!("{{ incidents(first: 100) {{ nodes {{ {keys} }} }} }}")),
            "complexity",
        ),
        case("first: 999999999", q("{ incidents(first: 999999999) { totalCount } }"), StatusCode::OK, "BAD_USER_INPUT"),
        case("a body over 1 MiB", Req::post(Some(good), huge), StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
        case(
            "a batch of 1 000 operations",
            Req::post(Some(good), serde_json::to_vec(&batch).unwrap()),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        case(
            "malformed JSON",
            Req::post(Some(good), "{\"query\": \"{ me { admin } }\""),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        case("JSON nested 10 000 deep", Req::post(Some(good), deep_json), StatusCode::BAD_REQUEST, "BAD_REQUEST"),
        case(
            "a JSON string for a body",
            Req::post(Some(good), "\"{ me { admin } }\""),
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
        ),
        case(
            "a text/plain body",
            Req::post_as(Some(good), "text/plain", "{ me { admin } }"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        case(
            "a form body",
            Req::post_as(Some(good), "application/x-www-form-urlencoded", "query=%7B+me+%7D"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        case(
            "a multipart body",
            Req::post_as(Some(good), "multipart/form-data; boundary=x", "--x\r\n\r\n{ me { admin } }\r\n--x--"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        case(
            "a body without a content type",
            Req::post_as(Some(good), "", json!({ "query": ME }).to_string()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        case("an expired token", Req::query(expired, ME, json!({})), StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
        case("a revoked token", Req::query(revoked, ME, json!({})), StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
        case(
            "a made-up token",
            Req::query("taio_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ME, json!({})),
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
        ),
        case(
            "an 8 KiB token",
            Req::query(&"taio_".repeat(1_600), ME, json!({})),
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
        ),
        case(
            "no token",
            Req::post(None, json!({ "query": ME }).to_string()),
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
        ),
    ]
}

/// A chunked body (no `Content-Length`) past the limit, written on a raw socket while the answer
/// is read: the limit must hold while reading, not only on the declared length, and the client
/// must get the answer rather than a broken pipe. The status and the body of the answer.
async fn chunked_flood(address: std::net::SocketAddr, token: &str) -> (u16, Value) {
    let stream = TcpStream::connect(address).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: taio\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nAccept: {GRAPHQL_RESPONSE_JSON}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let flood = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
        for _ in 0..64 {
            writer.write_all(chunk.as_bytes()).await?;
        }
        writer.write_all(b"0\r\n\r\n").await?;
        // Kept open: a half-closed connection is a client gone, and the server drops the request.
        Ok::<_, std::io::Error>(writer)
    });
    let mut raw = Vec::new();
    let _ = reader.read_to_end(&mut raw).await;
    drop(flood.await);
    let raw = String::from_utf8_lossy(&raw);
    let status = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = raw.split_once("\r\n\r\n").and_then(|(_, body)| serde_json::from_str(body).ok()).unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_are_refused_quickly_with_a_code_while_others_are_served() {
    let db = sqlite().await;
    let team = team_fixture(&db.database, "SOC").await;
    age_token(&db.database, &team.viewer.token, "expires_at").await;
    age_token(&db.database, &team.responder.token, "revoked_at").await;
    let server = start(&db.database, &EdgeArgs::default()).await;
    let good = team.lead.token.clone();

    let running = Arc::new(AtomicBool::new(true));
    let bystander = tokio::spawn({
        let client = server.client.clone();
        let running = Arc::clone(&running);
        let token = good.clone();
        async move {
            let mut answers = Vec::new();
            while running.load(Ordering::Relaxed) || answers.is_empty() {
                let answer = client.gql(&token, ME, json!({})).await;
                answers.push((answer.ok(), answer.took, answer.text));
            }
            answers
        }
    });

    let mut hostile = JoinSet::new();
    for case in hostile_cases(&good, &team.viewer.token, &team.responder.token) {
        let client = server.client.clone();
        hostile.spawn(async move { (case.name, case.status, case.code, case.limit, client.send(case.request).await) });
    }
    let address = server.address;
    let token = good.clone();
    let started = Instant::now();
    let flood = tokio::spawn(async move { chunked_flood(address, &token).await });

    let mut failures = Vec::new();
    while let Some(joined) = hostile.join_next().await {
        let (name, status, code, limit, answer) = joined.expect("the request task");
        eprintln!("{name}: {} {} {:?} in {:?}", answer.status, answer.code(), answer.limit(), answer.took);
        if answer.status != status || answer.code() != code || answer.limit() != limit || answer.took >= HANG {
            failures.push(format!(
                "{name}: expected {status} {code} {limit:?} within {HANG:?}, got {} in {:?}: {}",
                answer.status,
                answer.took,
                answer.text.chars().take(400).collect::<String>()
            ));
        }
        if answer.error()["message"].as_str().is_none_or(str::is_empty) {
            failures.push(format!("{name}: the error has no message: {}", answer.text));
        }
    }
    let (status, body) = flood.await.expect("the flood task");
    let took = started.elapsed();
    eprintln!("a chunked body over 1 MiB: {status} {} in {took:?}", body["errors"][0]["extensions"]["code"]);
    if status != 413 || body["errors"][0]["extensions"]["code"] != "PAYLOAD_TOO_LARGE" || took >= HANG {
        failures.push(format!("a chunked body over 1 MiB: expected 413 PAYLOAD_TOO_LARGE, got {status} {body}"));
    }

    running.store(false, Ordering::Relaxed);
    let answers = bystander.await.expect("the bystander task");
    for (ok, took, text) in &answers {
        if !ok || *took >= HANG {
            failures.push(format!("a well-behaved query meanwhile failed or hung ({took:?}): {text}"));
        }
    }
    eprintln!("{} well-behaved queries answered meanwhile", answers.len());
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));

    let after = server.gql(&good, ME, json!({})).await;
    assert!(after.ok(), "the server still serves: {}", after.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_weighted_by_first() {
    let db = sqlite().await;
    let team = team_fixture(&db.database, "SOC").await;
    let server = start(&db.database, &EdgeArgs::default()).await;
    let page = |fields: usize| {
        format!("query($first: Int) {{ incidents(first: $first) {{ nodes {{ {} }} }} }}", "key ".repeat(fields))
    };
    let small = server.gql(&team.lead.token, &page(60), json!({ "first": 10 })).await;
    assert!(small.ok(), "a page of 10 × 60 fields is allowed: {}", small.text);
    let narrow = server.gql(&team.lead.token, &page(40), json!({ "first": 100 })).await;
    assert!(narrow.ok(), "a page of 100 × 40 fields is allowed: {}", narrow.text);
    let page = page(60);
    let large = server.gql(&team.lead.token, &page, json!({ "first": 100 })).await;
    assert_eq!(
        (large.status, large.code(), large.limit()),
        (StatusCode::BAD_REQUEST, "QUERY_TOO_COMPLEX", Some("complexity")),
        "{}",
        large.text
    );
    assert_eq!(large.error()["extensions"]["max"], 5_000);

    let legacy = server
        .send(Req::query(&team.lead.token, &page, json!({ "first": 100 })).header("accept", "application/json"))
        .await;
    assert_eq!((legacy.status, legacy.code()), (StatusCode::OK, "QUERY_TOO_COMPLEX"), "{}", legacy.text);
}

// ---------------------------------------------------------------------------------------------
// Switches
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_turns_off_introspection_suggestions_and_graphiql() {
    let db = sqlite().await;
    let team = team_fixture(&db.database, "SOC").await;
    let token = team.lead.token.as_str();
    let development = start(&db.database, &EdgeArgs::default()).await;
    let production = start(&db.database, &EdgeArgs { production: true, ..EdgeArgs::default() }).await;

    let introspection = "{ __schema { queryType { name } } }";
    let answer = development.gql(token, introspection, json!({})).await;
    assert_eq!(answer.body["data"]["__schema"]["queryType"]["name"], "Query", "{}", answer.text);
    for query in [
        introspection,
        "{ __type(name: \"Incident\") { name } }",
        "{ ...T } fragment T on Query { __schema { types { name } } }",
    ] {
        let answer = production.gql(token, query, json!({})).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::BAD_REQUEST, "INTROSPECTION_DISABLED"),
            "{query}: {}",
            answer.text
        );
    }
    let answer = production.gql(token, "{ __typename me { admin } }", json!({})).await;
    assert!(answer.ok(), "ordinary queries still work: {}", answer.text);

    let typo = "{ incidentz { totalCount } }";
    let suggested = development.gql(token, typo, json!({})).await;
    assert!(suggested.text.contains("Did you mean"), "development suggests: {}", suggested.text);
    let silent = production.gql(token, typo, json!({})).await;
    assert_eq!(silent.code(), "GRAPHQL_VALIDATION_FAILED", "{}", silent.text);
    assert!(!silent.text.contains("Did you mean"), "production does not suggest: {}", silent.text);

    for path in ["/", "/graphiql", "/assets/graphiql.js"] {
        assert_eq!(development.send(Req::get(path)).await.status, StatusCode::OK, "{path}");
        assert_eq!(production.send(Req::get(path)).await.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_can_be_turned_off_alone() {
    let db = sqlite().await;
    let team = team_fixture(&db.database, "SOC").await;
    let server = start(&db.database, &EdgeArgs { graphiql: Some(false), ..EdgeArgs::default() }).await;
    for path in ["/", "/graphiql"] {
        assert_eq!(server.send(Req::get(path)).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let answer = server.gql(&team.lead.token, "{ __schema { queryType { name } } }", json!({})).await;
    assert!(answer.ok(), "introspection stays on: {}", answer.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_are_sent_and_hsts_only_behind_tls() {
    let db = sqlite().await;
    let team = team_fixture(&db.database, "SOC").await;
    let plain = start(&db.database, &EdgeArgs::default()).await;
    let tls = start(&db.database, &EdgeArgs { behind_tls: true, ..EdgeArgs::default() }).await;
    for server in [&plain, &tls] {
        for req in [Req::get("/graphiql"), Req::query(&team.lead.token, ME, json!({})), Req::get("/healthz")] {
            let path = req.path.clone();
            let answer = server.send(req).await;
            assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{path}");
            assert_eq!(answer.header("referrer-policy"), Some("no-referrer"), "{path}");
            assert_eq!(answer.header("cross-origin-opener-policy"), Some("same-origin"), "{path}");
            assert!(answer.header("permissions-policy").is_some_and(|p| p.contains("camera=()")), "{path}");
        }
    }
    let page = plain.send(Req::get("/graphiql")).await;
    assert!(page.header("content-security-policy").is_some_and(|csp| csp.contains("frame-ancestors 'none'")));
    let api = plain.send(Req::query(&team.lead.token, ME, json!({}))).await;
    assert_eq!(api.header("cache-control"), Some("no-store"), "API answers are not cached");
    assert_eq!(api.header("strict-transport-security"), None, "no HSTS over plain HTTP");
    let api = tls.send(Req::query(&team.lead.token, ME, json!({}))).await;
    assert!(api.header("strict-transport-security").is_some_and(|h| h.starts_with("max-age=")), "HSTS behind TLS");
}

/// A browser's preflight for `POST /graphql` from `origin` with a bearer token.
fn preflight(origin: &str) -> Req {
    Req {
        method: Method::OPTIONS,
        path: "/graphql".to_owned(),
        headers: vec![
            ("origin", origin.to_owned()),
            ("access-control-request-method", "POST".to_owned()),
            ("access-control-request-headers", "authorization,content-type".to_owned()),
        ],
        body: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_is_closed_unless_an_origin_is_configured() {
    let db = sqlite().await;
    let team = team_fixture(&db.database, "SOC").await;
    let allowed = "https://soc.example.com";
    let closed = start(&db.database, &EdgeArgs::default()).await;
    let open = start(&db.database, &EdgeArgs { cors_origins: vec![allowed.to_owned()], ..EdgeArgs::default() }).await;
    let acao = "access-control-allow-origin";

    let answer = closed.send(preflight(allowed)).await;
    assert_eq!(answer.header(acao), None, "no origin configured: {:?}", answer.headers);
    let answer = closed.send(Req::query(&team.lead.token, ME, json!({})).header("origin", allowed)).await;
    assert_eq!(answer.header(acao), None);

    let answer = open.send(preflight(allowed)).await;
    assert!(answer.status.is_success(), "{:?}", answer.status);
    assert_eq!(answer.header(acao), Some(allowed));
    let methods = answer.header("access-control-allow-methods").unwrap_or_default().to_ascii_lowercase();
    assert!(methods.contains("post"), "{methods}");
    let headers = answer.header("access-control-allow-headers").unwrap_or_default().to_ascii_lowercase();
    assert!(headers.contains("authorization") && headers.contains("content-type"), "{headers}");
    let answer = open.send(Req::query(&team.lead.token, ME, json!({})).header("origin", allowed)).await;
    assert!(answer.ok(), "{}", answer.text);
    assert_eq!(answer.header(acao), Some(allowed));

    let answer = open.send(preflight("https://evil.example")).await;
    assert_eq!(answer.header(acao), None, "another origin is refused");
}

// ---------------------------------------------------------------------------------------------
// Timeouts on real databases
// ---------------------------------------------------------------------------------------------

/// A pool of one connection.
async fn pool_of_one(url: &str, acquire_timeout: Duration) -> Database {
    let mut config = DatabaseConfig::new(url);
    config.max_connections = 1;
    config.acquire_timeout = acquire_timeout;
    Database::connect(&config).await.expect("a pool of one")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_deadline_is_answered_timeout_and_the_server_recovers() {
    let deadline = Duration::from_millis(500);
    let edge = EdgeArgs { request_timeout: deadline, ..EdgeArgs::default() };

    // SQLite: another process holds the write lock, so a write waits for it.
    let db = sqlite().await;
    let team = team_fixture(&db.database, "SOC").await;
    let server = start(&db.database, &edge).await;
    let locker = pool_of_one(&db.url, Duration::from_secs(5)).await;
    execute(&locker, "BEGIN IMMEDIATE").await;
    let answer = report(&server, &team.responder.token, &team).await;
    execute(&locker, "ROLLBACK").await;
    assert_eq!((answer.status, answer.code()), (StatusCode::GATEWAY_TIMEOUT, "TIMEOUT"), "[sqlite] {}", answer.text);
    assert!(answer.took >= deadline && answer.took < HANG, "[sqlite] answered in {:?}", answer.took);
    let after = report(&server, &team.responder.token, &team).await;
    assert!(after.ok(), "[sqlite] the next write succeeds: {}", after.text);
    drop(server);

    // PostgreSQL: the only pooled connection is busy longer than the deadline.
    let Some(db) = postgres().await else { return };
    let team = team_fixture(&db.database, "SOC").await;
    let pool = pool_of_one(&db.url, Duration::from_secs(30)).await;
    let server = start(&pool, &edge).await;
    let busy = tokio::spawn({
        let pool = pool.clone();
        async move { execute(&pool, "SELECT pg_sleep(2)").await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answer = server.gql(&team.lead.token, ME, json!({})).await;
    assert_eq!((answer.status, answer.code()), (StatusCode::GATEWAY_TIMEOUT, "TIMEOUT"), "[postgres] {}", answer.text);
    assert!(answer.took >= deadline && answer.took < HANG, "[postgres] answered in {:?}", answer.took);
    busy.await.expect("the busy statement");
    let after = server.gql(&team.lead.token, ME, json!({})).await;
    assert!(after.ok(), "[postgres] served again: {}", after.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_pool_is_answered_unavailable_not_a_hang() {
    let Some(db) = postgres().await else {
        eprintln!(
            "note: an_exhausted_pool_is_answered_unavailable_not_a_hang needs PostgreSQL (TAIO_TEST_DATABASE_URL)"
        );
        return;
    };
    let team = team_fixture(&db.database, "SOC").await;
    let pool = pool_of_one(&db.url, Duration::from_millis(200)).await;
    let server = start(&pool, &EdgeArgs::default()).await;
    let busy = tokio::spawn({
        let pool = pool.clone();
        async move { execute(&pool, "SELECT pg_sleep(3)").await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    for accept in [GRAPHQL_RESPONSE_JSON, "application/json"] {
        let answer = server.send(Req::query(&team.lead.token, ME, json!({})).header("accept", accept)).await;
        let status = if accept == GRAPHQL_RESPONSE_JSON { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
        assert_eq!((answer.status, answer.code()), (status, "UNAVAILABLE"), "{accept}: {}", answer.text);
        assert!(answer.took < HANG, "answered in {:?}", answer.took);
        assert!(!busy.is_finished(), "the pool was still busy when the answer came");
        assert!(answer.header("content-type").is_some_and(|t| t.starts_with(accept)), "{accept}");
    }
    busy.await.expect("the busy statement");
    let after = server.gql(&team.lead.token, ME, json!({})).await;
    assert!(after.ok(), "served again once a connection is free: {}", after.text);
}
