//! `/metrics` on a real server over each backend: after known traffic, the scrape is read with a
//! small parser of the text format and every counter, histogram and gauge is compared with what
//! the test itself counted. Also the label cap against hostile operation names, the metrics token
//! and the switch that turns `/metrics` off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::{Value, json};
use taio_core::SystemClock;
use taio_persistence::testing::{TeamFixture, TestDatabase, team_fixture, test_databases};
use taio_server::AppState;
use taio_server::edge::{EdgeArgs, MetricsToken};

#[path = "support/server.rs"]
mod server;
use server::{Served, serve};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";
const METRICS_TOKEN: &str = "scrape-0123456789-abcdef";
/// Distinct operation names labelled by name (`MAX_OPERATION_NAMES` in `src/metrics.rs`).
const CAP: usize = 200;
/// Label values that are not operation names.
const RESERVED: [&str; 3] = ["anonymous", "other", "unknown"];

// ---------------------------------------------------------------------------------------------
// Harness: a server, a client that counts what it sends, a parser of the exposition
// ---------------------------------------------------------------------------------------------

/// The app served on a local port.
struct Server {
    backend: &'static str,
    http: reqwest::Client,
    base: String,
    _served: Served,
    /// GraphQL requests sent, by (operation, type, outcome) as `/metrics` should label them.
    sent: BTreeMap<(String, String, String), u64>,
}

async fn start(db: &TestDatabase, edge: &EdgeArgs) -> Server {
    let served = serve(AppState::with_edge(db.database.clone(), Arc::new(SystemClock), edge)).await;
    let (http, base) = (served.http.clone(), served.base.clone());
    Server { backend: db.backend, http, base, _served: served, sent: BTreeMap::new() }
}

/// How `/metrics` should label a request: operation, type, outcome.
type Expect<'a> = (&'a str, &'a str, &'a str);

impl Server {
    /// `POST /graphql` with `body`, expecting the labels `expect`; checks the status fits the
    /// outcome and returns the body.
    async fn post(&mut self, token: Option<&str>, body: Value, expect: Expect<'_>) -> Value {
        let mut request =
            self.http.post(format!("{}/graphql", self.base)).header(ACCEPT, GRAPHQL_RESPONSE_JSON).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("POST /graphql");
        self.answered(response, expect).await
    }

    /// `GET /graphql?query=…`, expecting the labels `expect`.
    async fn get(&mut self, token: &str, query: &str, expect: Expect<'_>) -> Value {
        let response = self
            .http
            .get(format!("{}/graphql", self.base))
            .query(&[("query", query)])
            .header(ACCEPT, GRAPHQL_RESPONSE_JSON)
            .bearer_auth(token)
            .send()
            .await
            .expect("GET /graphql");
        self.answered(response, expect).await
    }

    async fn answered(&mut self, response: reqwest::Response, (operation, kind, outcome): Expect<'_>) -> Value {
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON body");
        let errors = body.get("errors").is_some();
        let fits = match outcome {
            "ok" => status == StatusCode::OK && !errors,
            "error" => status == StatusCode::OK && errors,
            "rejected" => status.is_client_error() && status != StatusCode::UNAUTHORIZED,
            "unauthenticated" => status == StatusCode::UNAUTHORIZED,
            other => panic!("no outcome {other}"),
        };
        assert!(fits, "[{}] expected {outcome} for {operation}, got {status}: {body}", self.backend);
        *self.sent.entry((operation.to_owned(), kind.to_owned(), outcome.to_owned())).or_default() += 1;
        body
    }

    /// A named mutation `name` of `field` with `input`, as `token`; its result.
    async fn mutate(&mut self, token: &str, name: &str, field: &str, input: Value, selection: &str) -> Value {
        let input_type = format!("{}{}Input", field[..1].to_uppercase(), &field[1..]);
        let query = format!("mutation {name}($input: {input_type}!) {{ {field}(input: $input) {{ {selection} }} }}");
        let body = self
            .post(Some(token), json!({ "query": query, "variables": { "input": input } }), (name, "mutation", "ok"))
            .await;
        body["data"][field].clone()
    }

    /// Reports an incident in `team`: its id and version.
    async fn report(&mut self, team: &TeamFixture, title: &str) -> (String, i64) {
        let input = json!({ "teamId": team.team.id.to_string(), "title": title });
        let incident = self.mutate(&team.responder.token, "Report", "reportIncident", input, "id version").await;
        (incident["id"].as_str().unwrap().to_owned(), incident["version"].as_i64().unwrap())
    }

    /// Runs `field` (acknowledge, classify, close) on incident `id` at `*version` as `token`.
    async fn step(&mut self, token: &str, name: &str, field: &str, id: &str, version: &mut i64, extra: Value) {
        let mut input = json!({ "incidentId": id, "expectedVersion": *version });
        input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let incident = self.mutate(token, name, field, input, "version").await;
        *version = incident["version"].as_i64().unwrap();
    }

    /// `GET /metrics` with an optional `Authorization` value: status, content type and body.
    async fn scrape_as(&self, authorization: Option<&str>) -> (StatusCode, String, String, reqwest::header::HeaderMap) {
        let mut request = self.http.get(format!("{}/metrics", self.base));
        if let Some(authorization) = authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        let response = request.send().await.expect("GET /metrics");
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        (status, content_type, response.text().await.expect("a text body"), headers)
    }

    /// A scrape that must succeed, parsed.
    async fn scrape(&self) -> Exposition {
        let (status, content_type, body, _) = self.scrape_as(None).await;
        assert_eq!(status, StatusCode::OK, "[{}] {body}", self.backend);
        assert_eq!(content_type, EXPOSITION, "[{}]", self.backend);
        Exposition::parse(&body)
    }

    async fn status_of(&self, path: &str) -> StatusCode {
        self.http.get(format!("{}{path}", self.base)).send().await.expect("GET").status()
    }
}

/// One sample line.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A parsed scrape.
#[derive(Debug)]
struct Exposition {
    samples: Vec<Sample>,
    types: BTreeMap<String, String>,
}

impl Exposition {
    /// Parses the text format, checking that the samples of each family come together right
    /// after its `# HELP` and `# TYPE` lines and that no family is declared twice.
    fn parse(text: &str) -> Self {
        let mut samples = Vec::new();
        let mut types = BTreeMap::new();
        let mut helps = BTreeSet::new();
        let mut current = String::new();
        for line in text.lines().filter(|l| !l.is_empty()) {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap().to_owned();
                assert!(helps.insert(name.clone()), "HELP for {name} twice");
                continue;
            }
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert!(helps.contains(name), "TYPE before HELP for {name}");
                assert!(types.insert(name.to_owned(), kind.to_owned()).is_none(), "TYPE for {name} twice");
                name.clone_into(&mut current);
                continue;
            }
            assert!(!line.starts_with('#'), "unexpected comment {line}");
            let sample = parse_sample(line);
            let family = family_of(&sample.name, &types);
            assert_eq!(family, current, "{} is not in the group of its family's TYPE line", sample.name);
            samples.push(sample);
        }
        Self { samples, types }
    }

    fn all(&self, name: &str) -> impl Iterator<Item = &Sample> {
        self.samples.iter().filter(move |s| s.name == name)
    }

    /// The value of the sample `name` with exactly `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let wanted: BTreeMap<String, String> = labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.all(name).find(|s| s.labels == wanted).map(|s| s.value)
    }

    fn must(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels).unwrap_or_else(|| panic!("no {name}{labels:?} in {:#?}", self.samples))
    }
}

/// The family a sample belongs to: itself, or a histogram's name for its series.
fn family_of(name: &str, types: &BTreeMap<String, String>) -> String {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix)
            && types.get(base).is_some_and(|kind| kind == "histogram")
        {
            return base.to_owned();
        }
    }
    name.to_owned()
}

/// `name{label="value",…} value`, label values unescaped.
fn parse_sample(line: &str) -> Sample {
    let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("no value in {line}"));
    let name = line[..name_end].to_owned();
    assert!(
        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !name.starts_with(|c: char| c.is_ascii_digit()),
        "bad metric name in {line}"
    );
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(mut inner) = rest.strip_prefix('{') {
        while !inner.starts_with('}') {
            let (label, after) = inner.split_once("=\"").unwrap_or_else(|| panic!("no label=\"value\" in {line}"));
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                let (at, c) = chars.next().unwrap_or_else(|| panic!("unterminated value in {line}"));
                match c {
                    '\\' => match chars.next().map(|(_, c)| c) {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        other => panic!("bad escape {other:?} in {line}"),
                    },
                    '"' => break at,
                    c => value.push(c),
                }
            };
            assert!(labels.insert(label.to_owned(), value).is_none(), "label {label} twice in {line}");
            inner = &after[end + 1..];
            assert!(inner.starts_with([',', '}']), "expected , or }} after a label in {line}");
            inner = inner.strip_prefix(',').unwrap_or(inner);
        }
        rest = &inner[1..];
    }
    let value = rest.strip_prefix(' ').unwrap_or_else(|| panic!("no space before the value in {line}"));
    let value = value.parse::<f64>().unwrap_or_else(|_| panic!("bad value in {line}"));
    Sample { name, labels, value }
}

/// The parser reads what the server writes, escapes included.
#[test]
fn the_parser_reads_labels_with_escapes() {
    let sample = parse_sample(r#"m_total{a="x\"y",b="back\\slash\nline"} 3"#);
    assert_eq!(sample.name, "m_total");
    assert_eq!(sample.labels["a"], "x\"y");
    assert_eq!(sample.labels["b"], "back\\slash\nline");
    assert!((sample.value - 3.0).abs() < f64::EPSILON);
    assert!((parse_sample("m 0.25").value - 0.25).abs() < f64::EPSILON);
}

// ---------------------------------------------------------------------------------------------
// The scenarios
// ---------------------------------------------------------------------------------------------

const BOARD: &str = "query Board { incidents(first: 10) { totalCount nodes { key stage severity } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_traffic_is_counted_exactly() {
    for db in test_databases().await {
        let mut s = start(&db, &EdgeArgs::default()).await;
        let n = s.backend;
        let soc = team_fixture(&db.database, "SOC").await;
        let csirt = team_fixture(&db.database, "CSIRT").await;

        // Open: two SOC reports in D1, a SOC incident classified LOW in D3, a CSIRT incident
        // classified HIGH in D3. Closed (not counted): a SOC false positive.
        s.report(&soc, "Phishing mail reported").await;
        s.report(&soc, "Second phishing mail").await;
        let (low, mut v) = s.report(&soc, "Port scan from the guest Wi-Fi").await;
        s.step(&soc.responder.token, "Acknowledge", "acknowledgeIncident", &low, &mut v, json!({})).await;
        s.step(&soc.responder.token, "Classify", "classifyIncident", &low, &mut v, json!({ "severity": "LOW" })).await;
        let (high, mut v) = s.report(&csirt, "Ransom note on a file server").await;
        s.step(&csirt.responder.token, "Acknowledge", "acknowledgeIncident", &high, &mut v, json!({})).await;
        s.step(&csirt.responder.token, "Classify", "classifyIncident", &high, &mut v, json!({ "severity": "HIGH" }))
            .await;
        let (closed, mut v) = s.report(&soc, "EDR alert on a build agent").await;
        s.step(&soc.responder.token, "Acknowledge", "acknowledgeIncident", &closed, &mut v, json!({})).await;
        s.step(&soc.lead.token, "Close", "closeIncident", &closed, &mut v, json!({ "resolution": "FALSE_POSITIVE" }))
            .await;

        let responder = soc.responder.token.clone();
        for _ in 0..3 {
            let board = s.post(Some(&responder), json!({ "query": BOARD }), ("Board", "query", "ok")).await;
            assert_eq!(board["data"]["incidents"]["totalCount"], 4, "[{n}] the SOC board: {board}");
        }
        let empty_title = json!({
            "query": "mutation Report($input: ReportIncidentInput!) { reportIncident(input: $input) { id } }",
            "variables": { "input": { "teamId": soc.team.id.to_string(), "title": "  " } },
        });
        let failed = s.post(Some(&responder), empty_title, ("Report", "mutation", "error")).await;
        assert_eq!(failed["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "[{n}] {failed}");
        s.post(None, json!({ "query": BOARD }), ("unknown", "unknown", "unauthenticated")).await;
        s.post(Some(&responder), json!({ "query": "{ me { person { name } } }" }), ("anonymous", "query", "ok")).await;
        // Refused before execution: their names were never admitted, so they are `other`.
        s.post(Some(&responder), json!({ "query": "query Broken { nope }" }), ("other", "query", "rejected")).await;
        s.get(&responder, "mutation Sneak { __typename }", ("other", "mutation", "rejected")).await;
        s.post(Some(&responder), json!({ "query": "query {" }), ("unknown", "unknown", "rejected")).await;

        assert_eq!(s.status_of("/healthz").await, StatusCode::OK);
        assert_eq!(s.status_of("/no-such-page").await, StatusCode::NOT_FOUND);
        let first = s.scrape().await;
        let metrics = s.scrape().await;

        // Every request counted once, under the labels the test expected, and nothing else.
        let counted: BTreeMap<(String, String, String), u64> = metrics
            .all("taio_graphql_requests_total")
            .map(|s| {
                let key = (s.labels["operation"].clone(), s.labels["type"].clone(), s.labels["outcome"].clone());
                (key, s.value as u64)
            })
            .collect();
        assert_eq!(counted, s.sent, "[{n}] taio_graphql_requests_total");
        assert_eq!(metrics.types["taio_graphql_requests_total"], "counter");
        assert_eq!(s.sent[&("Board".to_owned(), "query".to_owned(), "ok".to_owned())], 3);
        assert_eq!(s.sent[&("Report".to_owned(), "mutation".to_owned(), "ok".to_owned())], 5);

        // The histogram: cumulative buckets ending in +Inf = _count = the requests of the series.
        assert_eq!(metrics.types["taio_graphql_request_duration_seconds"], "histogram");
        let mut per_series: BTreeMap<(String, String), u64> = BTreeMap::new();
        for ((operation, kind, _), count) in &s.sent {
            *per_series.entry((operation.clone(), kind.clone())).or_default() += count;
        }
        let mut total = 0;
        for ((operation, kind), requests) in &per_series {
            let labels = [("operation", operation.as_str()), ("type", kind.as_str())];
            let mut buckets: Vec<(f64, f64)> = metrics
                .all("taio_graphql_request_duration_seconds_bucket")
                .filter(|b| b.labels["operation"] == *operation && b.labels["type"] == *kind)
                .map(|b| {
                    let le = &b.labels["le"];
                    (if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap() }, b.value)
                })
                .collect();
            buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert!(buckets.len() > 5, "[{n}] buckets of {operation}: {buckets:?}");
            assert!(
                buckets.windows(2).all(|w| w[0].1 <= w[1].1),
                "[{n}] cumulative buckets of {operation}: {buckets:?}"
            );
            let last = buckets.last().unwrap();
            assert!(last.0.is_infinite(), "[{n}] the last bucket is +Inf");
            let count = metrics.must("taio_graphql_request_duration_seconds_count", &labels);
            assert_eq!(last.1, count, "[{n}] +Inf equals _count for {operation}");
            assert_eq!(count as u64, *requests, "[{n}] _count of {operation} {kind}");
            let sum = metrics.must("taio_graphql_request_duration_seconds_sum", &labels);
            assert!(sum > 0.0 && sum < 60.0 * count, "[{n}] _sum of {operation}: {sum}");
            total += count as u64;
        }
        assert_eq!(metrics.all("taio_graphql_request_duration_seconds_count").count(), per_series.len(), "[{n}]");
        assert_eq!(total, s.sent.values().sum::<u64>(), "[{n}] _count adds up to every request");
        assert_eq!(total, 20, "[{n}] the requests this test sent");

        // Other routes: by route pattern and status, `/graphql` excluded.
        assert_eq!(metrics.must("taio_http_requests_total", &[("route", "/healthz"), ("status", "200")]), 1.0);
        assert_eq!(metrics.must("taio_http_requests_total", &[("route", "other"), ("status", "404")]), 1.0);
        assert_eq!(metrics.must("taio_http_requests_total", &[("route", "/metrics"), ("status", "200")]), 1.0);
        assert!(metrics.all("taio_http_requests_total").all(|s| s.labels["route"] != "/graphql"), "[{n}]");

        // Open incidents, computed from the database at scrape time.
        let open: BTreeMap<(String, String, String), f64> = metrics
            .all("taio_open_incidents")
            .map(|s| ((s.labels["team"].clone(), s.labels["stage"].clone(), s.labels["severity"].clone()), s.value))
            .collect();
        let expected: BTreeMap<(String, String, String), f64> =
            [(("CSIRT", "D3", "high"), 1.0), (("SOC", "D1", "none"), 2.0), (("SOC", "D3", "low"), 1.0)]
                .into_iter()
                .map(|((t, st, sev), v)| ((t.to_owned(), st.to_owned(), sev.to_owned()), v))
                .collect();
        assert_eq!(open, expected, "[{n}] taio_open_incidents");
        assert_eq!(metrics.types["taio_open_incidents"], "gauge");

        // The pool and the statements.
        let max = metrics.must("taio_db_pool_max_connections", &[]);
        assert_eq!(max, 10.0, "[{n}] the pool's configured size");
        let idle = metrics.must("taio_db_pool_connections", &[("state", "idle")]);
        let in_use = metrics.must("taio_db_pool_connections", &[("state", "in_use")]);
        assert!(idle + in_use >= 1.0 && idle + in_use <= max, "[{n}] idle {idle} + in use {in_use} within {max}");
        let statements = metrics.must("taio_db_statements_total", &[]);
        assert!(statements > first.must("taio_db_statements_total", &[]), "[{n}] the statement counter moves");
        assert_eq!(metrics.types["taio_db_statements_total"], "counter");
        assert_eq!(metrics.must("taio_db_up", &[]), 1.0);
        assert_eq!(metrics.must("taio_build_info", &[("version", env!("CARGO_PKG_VERSION"))]), 1.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_operation_names_add_no_label_values_past_the_cap() {
    for db in test_databases().await {
        let mut s = start(&db, &EdgeArgs::default()).await;
        let n = s.backend;
        let token = team_fixture(&db.database, "SOC").await.responder.token;

        let too_long = format!("Q{}", "x".repeat(64));
        s.post(
            Some(&token),
            json!({ "query": format!("query {too_long} {{ __typename }}") }),
            ("other", "query", "ok"),
        )
        .await;
        let injected = json!({ "query": "query A { __typename }", "operationName": "A\"} 1\ntaio_evil 1" });
        s.post(Some(&token), injected, ("other", "unknown", "rejected")).await;
        s.post(Some(&token), json!({ "query": "query Never { nope }" }), ("other", "query", "rejected")).await;
        for i in 0..CAP + 5 {
            let name = format!("Q{i}");
            let expect = if i < CAP { name.as_str() } else { "other" };
            let query = format!("query {name} {{ __typename }}");
            s.post(Some(&token), json!({ "query": query }), (expect, "query", "ok")).await;
        }
        // A name admitted before the cap was reached keeps its label after it.
        s.post(Some(&token), json!({ "query": "query Q7 { __typename }" }), ("Q7", "query", "ok")).await;

        let metrics = s.scrape().await;
        let names: BTreeSet<&str> = metrics
            .all("taio_graphql_requests_total")
            .chain(metrics.all("taio_graphql_request_duration_seconds_count"))
            .map(|s| s.labels["operation"].as_str())
            .filter(|name| !RESERVED.contains(name))
            .collect();
        assert_eq!(names.len(), CAP, "[{n}] at most {CAP} names");
        assert!(names.iter().all(|name| name.starts_with('Q') && name.len() <= 64), "[{n}] {names:?}");
        assert_eq!(
            metrics
                .must("taio_graphql_requests_total", &[("operation", "other"), ("type", "query"), ("outcome", "ok")]),
            6.0
        );
        assert_eq!(
            metrics.must("taio_graphql_requests_total", &[("operation", "Q7"), ("type", "query"), ("outcome", "ok")]),
            2.0
        );
        assert!(metrics.all("taio_evil").next().is_none(), "[{n}] no injected sample");
        let counted: BTreeMap<(String, String, String), u64> = metrics
            .all("taio_graphql_requests_total")
            .map(|s| {
                ((s.labels["operation"].clone(), s.labels["type"].clone(), s.labels["outcome"].clone()), s.value as u64)
            })
            .collect();
        assert_eq!(counted, s.sent, "[{n}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_metrics_token_a_scrape_without_it_is_unauthorized() {
    for db in test_databases().await {
        let edge = EdgeArgs { metrics_token: Some(MetricsToken::parse(METRICS_TOKEN).unwrap()), ..EdgeArgs::default() };
        let s = start(&db, &edge).await;
        let n = s.backend;
        let wrong = format!("Bearer {METRICS_TOKEN}x");
        for authorization in [None, Some("Bearer nonsense"), Some(wrong.as_str()), Some("Basic c2NyYXBlOnNjcmFwZQ==")] {
            let (status, _, body, headers) = s.scrape_as(authorization).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "[{n}] {authorization:?}");
            assert!(!body.contains("taio_"), "[{n}] no metrics without the token: {body}");
            let challenge = headers.get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).unwrap_or_default();
            assert!(challenge.starts_with("Bearer"), "[{n}] a bearer challenge: {challenge:?}");
        }
        let (status, content_type, body, _) = s.scrape_as(Some(&format!("Bearer {METRICS_TOKEN}"))).await;
        assert_eq!(status, StatusCode::OK, "[{n}] {body}");
        assert_eq!(content_type, EXPOSITION, "[{n}]");
        let metrics = Exposition::parse(&body);
        assert_eq!(metrics.must("taio_http_requests_total", &[("route", "/metrics"), ("status", "401")]), 4.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_metrics_off_there_is_no_metrics_page() {
    for db in test_databases().await {
        let s = start(&db, &EdgeArgs { metrics: false, ..EdgeArgs::default() }).await;
        let (status, _, body, _) = s.scrape_as(None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "[{}] {body}", s.backend);
        assert_eq!(s.status_of("/healthz").await, StatusCode::OK, "[{}] the rest is served", s.backend);
    }
}
