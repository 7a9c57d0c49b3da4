//! End-to-end tests of the GraphQL API: the real router on a real socket, spoken to over HTTP,
//! on a fresh SQLite database and (when `TAIO_TEST_DATABASE_URL` is set) a fresh PostgreSQL one.
//! Every scenario runs on every backend and names the backend when it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, ALLOW, AUTHORIZATION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::{Value, json};
use taio_core::SystemClock;
use taio_persistence::testing::{Member, TeamFixture, TestDatabase, team_fixture, test_databases};
use taio_server::AppState;
use tokio::task::JoinSet;

#[path = "support/server.rs"]
mod server;
use server::{Served, serve};

// ---------------------------------------------------------------------------------------------
// Harness: one server per backend, a GraphQL client, fixtures and assertions
// ---------------------------------------------------------------------------------------------

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The incident fields every mutation and lookup returns.
const INCIDENT: &str = "id key title version stage status state determination category severity urgency \
    priority owner { id name } reopenCount reportedAt acknowledgedAt triagedAt declaredAt containedAt \
    recoveredAt reportCompletedAt closedAt firstNotifiedAt resolution allowedTransitions";

/// What hangs off an incident, read after a scenario.
const INCIDENT_DETAIL: &str = "services { code } \
    stageProgress { stage state enteredAt completedAt } \
    transitions { from to at reason resolution by { id name } } \
    timeline { kind at summary } \
    actions { id stage kind summary services { code } evidence { kind uri sha256 } \
              notification { audience recipient } performedBy { name } }";

/// The action fields `recordAction` returns.
const ACTION: &str = "id incidentId stage kind summary outcome services { code } \
    evidence { kind uri sha256 } notification { audience recipient } performedBy { id name }";

/// A client of one running server.
#[derive(Clone)]
struct Api {
    /// `sqlite` or `postgres`, for assertion messages.
    backend: &'static str,
    http: reqwest::Client,
    base: String,
}

/// The app served over a fresh database of one backend.
struct Backend {
    api: Api,
    db: TestDatabase,
    _server: Served,
}

impl Deref for Backend {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

/// One running server per available backend.
async fn backends() -> Vec<Backend> {
    let mut backends = Vec::new();
    for db in test_databases().await {
        let served = serve(AppState::new(db.database.clone(), Arc::new(SystemClock))).await;
        let api = Api { backend: db.backend, http: served.http.clone(), base: served.base.clone() };
        backends.push(Backend { api, db, _server: served });
    }
    backends
}

/// A GraphQL request that failed: the HTTP status and the whole body.
#[derive(Debug, Clone)]
struct GqlError {
    status: StatusCode,
    body: Value,
}

impl GqlError {
    fn first(&self) -> &Value {
        &self.body["errors"][0]
    }

    fn code(&self) -> &str {
        self.first()["extensions"]["code"].as_str().unwrap_or("<no code>")
    }

    fn message(&self) -> &str {
        self.first()["message"].as_str().unwrap_or_default()
    }

    fn extension(&self, key: &str) -> &Value {
        &self.first()["extensions"][key]
    }
}

/// `POST /graphql` with `{query, variables}`, a bearer token (when given) and the GraphQL
/// response media type; the status and the JSON body.
async fn gql(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (StatusCode, Value) {
    let mut request =
        client.post(url).header(ACCEPT, GRAPHQL_RESPONSE_JSON).json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("POST /graphql");
    let status = response.status();
    let body = response.json::<Value>().await.expect("a JSON body");
    (status, body)
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A GraphQL request with `token`.
    async fn gql(&self, token: &str, query: &str, variables: Value) -> (StatusCode, Value) {
        gql(&self.http, &self.url("/graphql"), Some(token), query, variables).await
    }

    /// A GraphQL request without a token, or with a raw `Authorization` value.
    async fn gql_as(&self, authorization: Option<&str>, query: &str) -> (StatusCode, Value) {
        let mut request =
            self.http.post(self.url("/graphql")).header(ACCEPT, GRAPHQL_RESPONSE_JSON).json(&json!({ "query": query }));
        if let Some(authorization) = authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        let response = request.send().await.expect("POST /graphql");
        let status = response.status();
        let body = response.json::<Value>().await.expect("a JSON body");
        (status, body)
    }

    /// A query that must succeed: its `data`.
    async fn query(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.gql(token, query, variables).await;
        assert!(
            status == StatusCode::OK && body.get("errors").is_none(),
            "[{}] query failed with {status}: {body}\nquery: {query}",
            self.backend
        );
        body["data"].clone()
    }

    /// A query expected to fail: the error.
    async fn query_error(&self, token: &str, query: &str, variables: Value) -> GqlError {
        let (status, body) = self.gql(token, query, variables).await;
        assert!(body.get("errors").is_some(), "[{}] expected an error, got {status}: {body}", self.backend);
        GqlError { status, body }
    }

    /// Runs mutation `field` with `input`, selecting the incident (or, for `recordAction`, the
    /// action) fields.
    async fn mutate(&self, token: &str, field: &str, input: Value) -> Result<Value, GqlError> {
        let selection = if field == "recordAction" { ACTION } else { INCIDENT };
        let input_type = format!("{}{}Input", field[..1].to_uppercase(), &field[1..]);
        let query = format!("mutation($input: {input_type}!) {{ {field}(input: $input) {{ {selection} }} }}");
        let (status, body) = self.gql(token, &query, json!({ "input": input })).await;
        if body.get("errors").is_some() || status != StatusCode::OK {
            return Err(GqlError { status, body });
        }
        Ok(body["data"][field].clone())
    }

    /// Unwraps a mutation result, naming the backend and the step.
    fn must(&self, step: &str, result: Result<Value, GqlError>) -> Value {
        result.unwrap_or_else(|e| panic!("[{}] {step} failed ({}): {}", self.backend, e.status, e.body))
    }

    /// Unwraps an expected failure, naming the backend and the step.
    fn must_fail(&self, step: &str, result: Result<Value, GqlError>) -> GqlError {
        match result {
            Ok(value) => panic!("[{}] {step} should have failed, but returned {value}", self.backend),
            Err(error) => error,
        }
    }

    /// Runs a mutation that changes the incident at `*version`: sends it as `expectedVersion`,
    /// checks the result is one version higher and moves `*version` on.
    async fn step(&self, token: &str, field: &str, id: &str, version: &mut i64, input: Value) -> Value {
        let input = merge(json!({ "incidentId": id, "expectedVersion": *version }), input);
        let incident = self.must(field, self.mutate(token, field, input).await);
        assert_eq!(version_of(&incident), *version + 1, "[{}] {field} bumps the version by one", self.backend);
        *version = version_of(&incident);
        incident
    }

    /// Records an action, then checks that the incident's version went up by one.
    async fn record(&self, token: &str, id: &str, version: &mut i64, input: Value) -> Value {
        let action = self
            .must("recordAction", self.mutate(token, "recordAction", merge(json!({ "incidentId": id }), input)).await);
        let now = version_of(&self.incident(token, id).await);
        assert_eq!(now, *version + 1, "[{}] recordAction bumps the incident's version by one", self.backend);
        *version = now;
        action
    }

    /// Reports an incident in `team` as `token`.
    async fn report(&self, token: &str, team: &TeamFixture, title: &str, extra: Value) -> Value {
        let input = merge(json!({ "teamId": team.team.id.to_string(), "title": title }), extra);
        self.must("reportIncident", self.mutate(token, "reportIncident", input).await)
    }

    /// The incident with all its details; it must be visible.
    async fn incident(&self, token: &str, id: &str) -> Value {
        let query = format!("query($id: ID!) {{ incident(id: $id) {{ {INCIDENT} {INCIDENT_DETAIL} }} }}");
        self.query(token, &query, json!({ "id": id })).await["incident"].clone()
    }

    /// The keys of the incidents a filter selects (one page of up to 100), and the total count.
    async fn keys(&self, token: &str, filter: Value) -> (Vec<String>, i64) {
        let query =
            "query($filter: IncidentFilter) { incidents(first: 100, filter: $filter) { totalCount nodes { key } } }";
        let data = self.query(token, query, json!({ "filter": filter })).await;
        let keys = data["incidents"]["nodes"].as_array().unwrap().iter().map(|n| text(&n["key"])).collect();
        (keys, data["incidents"]["totalCount"].as_i64().unwrap())
    }

    /// A request outside the GraphQL helpers.
    async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.http.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body.to_owned());
        }
        request.send().await.unwrap_or_else(|e| panic!("[{}] {path}: {e}", self.backend))
    }
}

/// `a` with the fields of `b` added (objects only).
fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

fn version_of(incident: &Value) -> i64 {
    incident["version"].as_i64().unwrap_or_else(|| panic!("no version in {incident}"))
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}")).to_owned()
}

fn id_of(value: &Value) -> String {
    text(&value["id"])
}

fn person_id(member: &Member) -> String {
    member.viewer.person.id.to_string()
}

fn person_name(member: &Member) -> String {
    member.viewer.person.name.as_str().to_owned()
}

fn team_id(team: &TeamFixture) -> String {
    team.team.id.to_string()
}

fn timestamp(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_else(|| panic!("not a time: {value}")))
        .unwrap_or_else(|e| panic!("{value} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A whole hour well in the past, so that reported times are never in the future.
fn past_hour() -> DateTime<Utc> {
    let at = Utc::now() - chrono::Duration::days(2);
    DateTime::from_timestamp(at.timestamp() - at.timestamp() % 3600, 0).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().unwrap_or_else(|| panic!("not a list: {value}")).iter().map(text).collect()
}

fn codes(services: &Value) -> Vec<String> {
    services.as_array().unwrap().iter().map(|s| text(&s["code"])).collect()
}

fn sorted(mut keys: Vec<String>) -> Vec<String> {
    keys.sort();
    keys
}

/// Reads a header as text ("" when absent).
fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

// ---------------------------------------------------------------------------------------------
// The workflow
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_goes_through_every_stage_to_closure() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let (responder, lead) = (team.responder.token.as_str(), team.lead.token.as_str());
        let year = Utc::now().year();

        let reported =
            b.report(responder, &team, "Beaconing from HR laptop", json!({ "source": "INTERNAL_MONITORING" })).await;
        assert_eq!(reported["stage"], "D1", "[{n}] a report starts in D1");
        assert_eq!(reported["status"], "OPEN", "[{n}]");
        assert_eq!(text(&reported["key"]), format!("INC-{year}-000001"), "[{n}] the first key of the team");
        assert!(reported["owner"].is_null() && reported["acknowledgedAt"].is_null(), "[{n}] nobody owns a report");
        let id = id_of(&reported);
        let mut version = version_of(&reported);

        let acknowledged = b.step(responder, "acknowledgeIncident", &id, &mut version, json!({})).await;
        assert_eq!(acknowledged["stage"], "D3", "[{n}] acknowledging moves to D3");
        assert_eq!(text(&acknowledged["owner"]["id"]), person_id(&team.responder), "[{n}] the caller owns it");
        assert!(acknowledged["acknowledgedAt"].is_string(), "[{n}] acknowledgedAt is set");

        let classified = b
            .step(
                responder,
                "classifyIncident",
                &id,
                &mut version,
                json!({
                    "determination": "CONFIRMED",
                    "category": "intrusions/system-compromise",
                    "severity": "HIGH",
                    "urgency": "HIGH",
                }),
            )
            .await;
        assert_eq!(classified["stage"], "D3", "[{n}] classifying does not move");
        assert_eq!(classified["determination"], "CONFIRMED", "[{n}]");
        assert_eq!(classified["category"], "intrusions/system-compromise", "[{n}]");
        assert_eq!(classified["priority"], "P1", "[{n}] HIGH × HIGH is P1");

        let containing = b.step(responder, "transitionIncident", &id, &mut version, json!({ "to": "D4" })).await;
        assert_eq!(containing["stage"], "D4", "[{n}]");
        assert!(containing["triagedAt"].is_string() && containing["declaredAt"].is_string(), "[{n}] declared");

        let digest = "AB".repeat(32);
        let containment = b
            .record(
                responder,
                &id,
                &mut version,
                json!({
                    "stage": "D4",
                    "kind": "CONTAINMENT",
                    "summary": "Isolated the laptop from the network",
                    "services": ["G-4", "C-4"],
                    "outcome": "SUCCEEDED",
                    "evidence": [{ "kind": "DISK_IMAGE", "uri": "s3://evidence/hr-laptop.img", "sha256": digest }],
                }),
            )
            .await;
        assert_eq!(containment["stage"], "D4", "[{n}]");
        assert_eq!(containment["kind"], "CONTAINMENT", "[{n}]");
        assert_eq!(codes(&containment["services"]), ["G-4", "C-4"], "[{n}] services as recorded");
        assert_eq!(containment["evidence"][0]["sha256"], "ab".repeat(32), "[{n}] sha256 stored lowercase");
        assert_eq!(text(&containment["performedBy"]["id"]), person_id(&team.responder), "[{n}]");

        let recovering = b.step(responder, "transitionIncident", &id, &mut version, json!({ "to": "D5" })).await;
        assert_eq!(recovering["stage"], "D5", "[{n}]");
        assert!(recovering["containedAt"].is_string(), "[{n}] containedAt is set on D4 → D5");

        let reporting = b.step(responder, "transitionIncident", &id, &mut version, json!({ "to": "D7" })).await;
        assert_eq!(reporting["stage"], "D7", "[{n}]");
        assert!(reporting["recoveredAt"].is_string(), "[{n}] recoveredAt is set on D5 → D7");
        assert!(reporting["firstNotifiedAt"].is_null(), "[{n}] nobody was notified yet");

        let notification = b
            .record(
                responder,
                &id,
                &mut version,
                json!({
                    "stage": "D6",
                    "kind": "COMMUNICATION",
                    "summary": "Briefed the CISO",
                    "services": ["B-3", "I-7"],
                    "notification": { "audience": "MANAGEMENT", "recipient": "CISO" },
                }),
            )
            .await;
        assert_eq!(notification["notification"]["audience"], "MANAGEMENT", "[{n}]");
        assert_eq!(notification["notification"]["recipient"], "CISO", "[{n}]");

        let report = b
            .record(
                responder,
                &id,
                &mut version,
                json!({
                    "stage": "D7",
                    "kind": "NOTE",
                    "summary": "Response report written",
                    "services": ["F-1", "I-7"],
                    "outcome": "SUCCEEDED",
                }),
            )
            .await;
        assert_eq!(report["stage"], "D7", "[{n}]");

        let closed = b.step(lead, "closeIncident", &id, &mut version, json!({ "resolution": "RESOLVED" })).await;
        assert_eq!(closed["status"], "CLOSED", "[{n}]");
        assert_eq!(closed["state"], "CLOSED", "[{n}]");
        assert_eq!(closed["stage"], "D7", "[{n}] the stage stays at the last one");
        assert_eq!(closed["resolution"], "RESOLVED", "[{n}]");

        let incident = b.incident(responder, &id).await;
        assert_eq!(version_of(&incident), version, "[{n}] the stored version is the last one returned");
        for milestone in [
            "acknowledgedAt",
            "triagedAt",
            "declaredAt",
            "containedAt",
            "recoveredAt",
            "firstNotifiedAt",
            "reportCompletedAt",
            "closedAt",
        ] {
            assert!(incident[milestone].is_string(), "[{n}] {milestone} is set: {incident}");
        }
        let milestones: Vec<DateTime<Utc>> = [
            "acknowledgedAt",
            "declaredAt",
            "containedAt",
            "recoveredAt",
            "firstNotifiedAt",
            "reportCompletedAt",
            "closedAt",
        ]
        .iter()
        .map(|m| timestamp(&incident[*m]))
        .collect();
        assert!(milestones.is_sorted(), "[{n}] milestones follow the work: {milestones:?}");

        assert_eq!(
            codes(&incident["services"]),
            ["B-3", "C-4", "F-1", "G-4", "I-7"],
            "[{n}] the distinct services, in catalog order"
        );

        let progress: Vec<(String, String)> = incident["stageProgress"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (text(&p["stage"]), text(&p["state"])))
            .collect();
        let expected: Vec<(String, String)> =
            ["D1", "D2", "D3", "D4", "D5", "D6", "D7"].iter().map(|s| ((*s).to_owned(), "DONE".to_owned())).collect();
        assert_eq!(progress, expected, "[{n}] all seven D-services are done");
        for p in incident["stageProgress"].as_array().unwrap() {
            assert!(p["enteredAt"].is_string(), "[{n}] {} was entered: {p}", p["stage"]);
        }

        let transitions: Vec<(Value, Value)> =
            incident["transitions"].as_array().unwrap().iter().map(|t| (t["from"].clone(), t["to"].clone())).collect();
        assert_eq!(
            transitions,
            [
                (Value::Null, json!("D1")),
                (json!("D1"), json!("D3")),
                (json!("D3"), json!("D4")),
                (json!("D4"), json!("D5")),
                (json!("D5"), json!("D7")),
                (json!("D7"), json!("CLOSED")),
            ],
            "[{n}] every move is stored"
        );
        let last = incident["transitions"].as_array().unwrap().last().unwrap();
        assert_eq!(last["resolution"], "RESOLVED", "[{n}]");
        assert_eq!(text(&last["by"]["name"]), person_name(&team.lead), "[{n}] the lead closed it");

        let timeline = incident["timeline"].as_array().unwrap();
        let at: Vec<DateTime<Utc>> = timeline.iter().map(|e| timestamp(&e["at"])).collect();
        assert!(at.is_sorted(), "[{n}] the timeline is in time order: {at:?}");
        let summaries: Vec<String> = timeline.iter().map(|e| text(&e["summary"])).collect();
        assert_eq!(
            summaries,
            [
                "Reported (D1)",
                "D1 → D3",
                "D3 → D4",
                "[D-4] Isolated the laptop from the network",
                "D4 → D5",
                "D5 → D7",
                "[D-6] Briefed the CISO",
                "[D-7] Response report written",
                "D7 → CLOSED",
            ],
            "[{n}] transitions and actions merged in order"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_d1_to_d4_fast_path_works_only_with_the_classification_in_the_same_request() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let responder = team.responder.token.as_str();
        let reported = b.report(responder, &team, "Ransom note on the file server", json!({})).await;
        let id = id_of(&reported);
        let version = version_of(&reported);

        let bare = b
            .mutate(
                responder,
                "transitionIncident",
                json!({ "incidentId": id, "expectedVersion": version, "to": "D4" }),
            )
            .await;
        let error = b.must_fail("D1 → D4 without classification", bare);
        assert_eq!(error.code(), "INVALID_TRANSITION", "[{n}] {}", error.body);
        assert_eq!(error.extension("from"), "D1", "[{n}]");
        assert_eq!(error.extension("to"), "D4", "[{n}]");
        let allowed = strings(error.extension("allowed"));
        assert_eq!(allowed, ["D3", "D4", "CLOSED"], "[{n}] the allowed targets from D1");
        for target in &allowed {
            assert!(error.message().contains(target.as_str()), "[{n}] the message names {target}: {}", error.message());
        }

        let partial = b
            .mutate(
                responder,
                "transitionIncident",
                json!({
                    "incidentId": id,
                    "expectedVersion": version,
                    "to": "D4",
                    "classification": { "severity": "HIGH" },
                }),
            )
            .await;
        let error = b.must_fail("D1 → D4 with part of the classification", partial);
        assert_eq!(error.code(), "INVALID_TRANSITION", "[{n}] {}", error.body);

        let unchanged = b.incident(responder, &id).await;
        assert_eq!(version_of(&unchanged), version, "[{n}] refused moves change nothing");
        assert_eq!(unchanged["stage"], "D1", "[{n}]");
        assert!(unchanged["severity"].is_null(), "[{n}] a refused move stores no triage field");

        let mut version = version;
        let fast = b
            .step(
                responder,
                "transitionIncident",
                &id,
                &mut version,
                json!({
                    "to": "D4",
                    "classification": {
                        "determination": "SUSPECTED",
                        "category": "malicious-code/infected-system",
                        "severity": "CRITICAL",
                        "urgency": "HIGH",
                    },
                }),
            )
            .await;
        assert_eq!(fast["stage"], "D4", "[{n}] the fast path lands in D4");
        assert_eq!(fast["priority"], "P1", "[{n}]");
        assert_eq!(text(&fast["owner"]["id"]), person_id(&team.responder), "[{n}] the caller owns it");
        for milestone in ["acknowledgedAt", "triagedAt", "declaredAt"] {
            assert!(fast[milestone].is_string(), "[{n}] {milestone} is set by the fast path");
        }
        let incident = b.incident(responder, &id).await;
        let moves: Vec<(Value, Value)> =
            incident["transitions"].as_array().unwrap().iter().map(|t| (t["from"].clone(), t["to"].clone())).collect();
        assert_eq!(moves, [(Value::Null, json!("D1")), (json!("D1"), json!("D4"))], "[{n}]");
        let d3 = &incident["stageProgress"][2];
        assert_eq!((d3["stage"].clone(), d3["state"].clone()), (json!("D3"), json!("DONE")), "[{n}] D3 done inline");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_false_positive_reopens_into_d3_only_with_a_reason() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let (responder, lead) = (team.responder.token.as_str(), team.lead.token.as_str());
        let id = id_of(&b.report(responder, &team, "EDR alert on build agent", json!({})).await);
        let mut version = 1;
        b.step(responder, "acknowledgeIncident", &id, &mut version, json!({})).await;
        let closed = b.step(lead, "closeIncident", &id, &mut version, json!({ "resolution": "FALSE_POSITIVE" })).await;
        assert_eq!(closed["status"], "CLOSED", "[{n}]");
        assert_eq!(closed["stage"], "D3", "[{n}]");
        assert_eq!(closed["determination"], "FALSE_POSITIVE", "[{n}] closing as a false positive says so");

        let omitted = b
            .gql(
                lead,
                "mutation($id: ID!, $v: Int!) { \
                 reopenIncident(input: { incidentId: $id, expectedVersion: $v }) { version } }",
                json!({ "id": id, "v": version }),
            )
            .await;
        assert_eq!(omitted.0, StatusCode::BAD_REQUEST, "[{n}] a reopen without reason is invalid: {}", omitted.1);
        assert_eq!(omitted.1["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "[{n}]");

        let blank = b
            .mutate(lead, "reopenIncident", json!({ "incidentId": id, "expectedVersion": version, "reason": "   " }))
            .await;
        let error = b.must_fail("reopen with a blank reason", blank);
        assert_eq!(error.code(), "BAD_USER_INPUT", "[{n}] {}", error.body);
        assert_eq!(error.extension("field"), "reason", "[{n}]");

        let still_closed = b.incident(lead, &id).await;
        assert_eq!(still_closed["status"], "CLOSED", "[{n}] a refused reopen changes nothing");
        assert_eq!(version_of(&still_closed), version, "[{n}]");

        let reopened = b
            .step(
                lead,
                "reopenIncident",
                &id,
                &mut version,
                json!({ "reason": "the same hash showed up on two more hosts" }),
            )
            .await;
        assert_eq!(reopened["status"], "OPEN", "[{n}]");
        assert_eq!(reopened["stage"], "D3", "[{n}] reopening resumes in D3 by default");
        assert_eq!(reopened["reopenCount"], 1, "[{n}]");
        assert!(reopened["resolution"].is_null(), "[{n}] the resolution is cleared");
        assert!(reopened["closedAt"].is_string(), "[{n}] the first closing is kept");

        let incident = b.incident(lead, &id).await;
        let last = incident["transitions"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["from"].clone(), last["to"].clone()), (json!("CLOSED"), json!("D3")), "[{n}]");
        assert_eq!(last["reason"], "the same hash showed up on two more hosts", "[{n}]");
        assert_eq!(incident["transitions"].as_array().unwrap().len(), 4, "[{n}] the history is kept");
    }
}

// ---------------------------------------------------------------------------------------------
// Error codes through HTTP
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_a_valid_token_is_unauthenticated() {
    for b in backends().await {
        let n = b.backend;
        team_fixture(&b.db.database, "SOC").await;
        let challenges =
            [None, Some("Bearer taio_not-a-real-token"), Some("Bearer nonsense"), Some("Basic dXNlcjpwYXNz")];
        for authorization in challenges {
            let mut headers = vec![("accept", GRAPHQL_RESPONSE_JSON), ("content-type", "application/json")];
            if let Some(authorization) = authorization {
                headers.push(("authorization", authorization));
            }
            let response = b.raw(reqwest::Method::POST, "/graphql", &headers, Some(ME)).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "[{n}] {authorization:?}");
            assert!(header(&response, WWW_AUTHENTICATE).starts_with("Bearer"), "[{n}] a bearer challenge");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "[{n}] {authorization:?}: {body}");
            assert!(body.get("data").is_none(), "[{n}] nothing was executed: {body}");
        }
        let (status, body) = b.gql_as(None, "mutation { __typename }").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "[{n}] mutations need a token too: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_too_low_for_the_operation_is_forbidden() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let (viewer, responder) = (team.viewer.token.as_str(), team.responder.token.as_str());

        let denied =
            b.mutate(viewer, "reportIncident", json!({ "teamId": team_id(&team), "title": "Viewer report" })).await;
        let error = b.must_fail("a viewer reports", denied);
        assert_eq!(error.status, StatusCode::OK, "[{n}] an execution error is a 200");
        assert_eq!(error.code(), "FORBIDDEN", "[{n}] {}", error.body);
        assert!(error.body["data"].is_null(), "[{n}]");
        assert_eq!(error.first()["path"], json!(["reportIncident"]), "[{n}]");
        assert_eq!(b.keys(viewer, json!({})).await.1, 0, "[{n}] no incident was created");

        let id = id_of(&b.report(responder, &team, "Port scan from partner range", json!({})).await);
        let closing = b
            .mutate(
                responder,
                "closeIncident",
                json!({ "incidentId": id, "expectedVersion": 1, "resolution": "NOT_AN_INCIDENT" }),
            )
            .await;
        let error = b.must_fail("a responder closes", closing);
        assert_eq!(error.code(), "FORBIDDEN", "[{n}] {}", error.body);
        let incident = b.incident(responder, &id).await;
        assert_eq!((incident["status"].clone(), version_of(&incident)), (json!("OPEN"), 1), "[{n}] nothing changed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_teams_incident_is_not_found_exactly_like_a_missing_one() {
    for b in backends().await {
        let n = b.backend;
        let ours = team_fixture(&b.db.database, "SOC").await;
        let theirs = team_fixture(&b.db.database, "CERT").await;
        let lead = ours.lead.token.as_str();
        b.report(&theirs.responder.token, &theirs, "Their first incident", json!({})).await;
        let hidden = b.report(&theirs.responder.token, &theirs, "Their second incident", json!({})).await;
        let (hidden_id, hidden_key) = (id_of(&hidden), text(&hidden["key"]));
        let missing_id = uuid::Uuid::new_v4().to_string();
        let year = hidden_key[4..8].to_owned();
        let missing_key = format!("INC-{year}-999999");

        let by_id = "query($id: ID!) { incident(id: $id) { id title } }";
        let theirs_reply = b.gql(lead, by_id, json!({ "id": hidden_id })).await;
        let missing_reply = b.gql(lead, by_id, json!({ "id": missing_id })).await;
        assert_eq!(theirs_reply.1["errors"][0]["extensions"]["code"], "NOT_FOUND", "[{n}] {}", theirs_reply.1);
        assert_eq!(
            theirs_reply.1["data"],
            json!({ "incident": null }),
            "[{n}] the field is present and null: {}",
            theirs_reply.1
        );
        assert_eq!(theirs_reply, missing_reply, "[{n}] incident(id): hidden and missing look the same");

        let by_key = "query($key: String!, $team: ID) { incidentByKey(key: $key, teamId: $team) { id title } }";
        let theirs_reply = b.gql(lead, by_key, json!({ "key": hidden_key })).await;
        let missing_reply = b.gql(lead, by_key, json!({ "key": missing_key })).await;
        assert_eq!(theirs_reply.1["errors"][0]["extensions"]["code"], "NOT_FOUND", "[{n}] {}", theirs_reply.1);
        assert_eq!(theirs_reply, missing_reply, "[{n}] incidentByKey: hidden and missing look the same");
        let named_team = b.gql(lead, by_key, json!({ "key": hidden_key, "team": team_id(&theirs) })).await;
        assert_eq!(named_team, missing_reply, "[{n}] naming their team does not help");

        let acknowledge =
            "mutation($id: ID!) { acknowledgeIncident(input: { incidentId: $id, expectedVersion: 1 }) { id } }";
        let theirs_reply = b.gql(lead, acknowledge, json!({ "id": hidden_id })).await;
        let missing_reply = b.gql(lead, acknowledge, json!({ "id": missing_id })).await;
        assert_eq!(theirs_reply.1["errors"][0]["extensions"]["code"], "NOT_FOUND", "[{n}] {}", theirs_reply.1);
        assert_eq!(theirs_reply, missing_reply, "[{n}] a mutation: hidden and missing look the same");
        let untouched = b.incident(&theirs.lead.token, &hidden_id).await;
        assert_eq!((untouched["stage"].clone(), version_of(&untouched)), (json!("D1"), 1), "[{n}] nothing changed");

        let (keys, total) = b.keys(lead, json!({ "teamId": team_id(&theirs) })).await;
        assert_eq!((keys.len(), total), (0, 0), "[{n}] listing another team shows nothing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_a_bad_user_input_error_naming_the_field() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let responder = team.responder.token.as_str();
        let future = rfc3339(Utc::now() + chrono::Duration::days(1));
        let empty_title = json!({ "teamId": team_id(&team), "title": "  " });
        let future_report = json!({ "teamId": team_id(&team), "title": "Tomorrow", "reportedAt": future });
        let cases = [
            (
                "an empty title",
                b.must_fail("an empty title", b.mutate(responder, "reportIncident", empty_title).await),
                "title",
            ),
            (
                "a report time in the future",
                b.must_fail("a future report", b.mutate(responder, "reportIncident", future_report).await),
                "reportedAt",
            ),
            (
                "a malformed id",
                b.query_error(responder, "{ incident(id: \"not-a-uuid\") { id } }", json!({})).await,
                "id",
            ),
            (
                "a page of 1000",
                b.query_error(responder, "{ incidents(first: 1000) { totalCount } }", json!({})).await,
                "first",
            ),
        ];
        for (case, error, field) in cases {
            assert_eq!(error.code(), "BAD_USER_INPUT", "[{n}] {case}: {}", error.body);
            assert_eq!(error.extension("field"), field, "[{n}] {case}: {}", error.body);
        }
        assert_eq!(b.keys(responder, json!({})).await.1, 0, "[{n}] nothing was reported");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_service_codes_are_named_and_nothing_is_stored() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let responder = team.responder.token.as_str();
        let id = id_of(&b.report(responder, &team, "Credential stuffing on the portal", json!({})).await);
        let mut version = 1;
        b.step(responder, "acknowledgeIncident", &id, &mut version, json!({})).await;

        let result = b
            .mutate(
                responder,
                "recordAction",
                json!({
                    "incidentId": id,
                    "kind": "ANALYSIS",
                    "summary": "Checked the logs",
                    "services": ["C-1", "Z-9", "X-42"],
                }),
            )
            .await;
        let error = b.must_fail("an action with unknown services", result);
        assert_eq!(error.code(), "UNKNOWN_SERVICE", "[{n}] {}", error.body);
        assert!(error.message().contains("Z-9") && error.message().contains("X-42"), "[{n}] {}", error.message());
        assert_eq!(strings(error.extension("unknownServices")), ["Z-9", "X-42"], "[{n}] only the unknown codes");

        let incident = b.incident(responder, &id).await;
        assert_eq!(incident["actions"], json!([]), "[{n}] no action was stored");
        assert_eq!(incident["services"], json!([]), "[{n}] no service was stored");
        assert_eq!(version_of(&incident), version, "[{n}] the version is unchanged");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_illegal_transition_names_the_allowed_targets() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let responder = team.responder.token.as_str();
        let id = id_of(&b.report(responder, &team, "Web shell on the CMS", json!({})).await);
        let mut version = 1;
        let classification = json!({
            "determination": "CONFIRMED",
            "category": "intrusions/application-compromise",
            "severity": "HIGH",
            "urgency": "MEDIUM",
        });
        b.step(
            responder,
            "transitionIncident",
            &id,
            &mut version,
            json!({ "to": "D4", "classification": classification }),
        )
        .await;

        let jump = b
            .mutate(
                responder,
                "transitionIncident",
                json!({ "incidentId": id, "expectedVersion": version, "to": "D7" }),
            )
            .await;
        let error = b.must_fail("D4 → D7", jump);
        assert_eq!(error.code(), "INVALID_TRANSITION", "[{n}] {}", error.body);
        assert_eq!((error.extension("from"), error.extension("to")), (&json!("D4"), &json!("D7")), "[{n}]");
        assert_eq!(strings(error.extension("allowed")), ["D3", "D5"], "[{n}]");
        assert!(error.message().contains("D3") && error.message().contains("D5"), "[{n}] {}", error.message());
        let incident = b.incident(responder, &id).await;
        assert_eq!((incident["stage"].clone(), version_of(&incident)), (json!("D4"), version), "[{n}] nothing changed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_expected_version_is_a_conflict_with_the_current_version() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let responder = team.responder.token.as_str();
        let id = id_of(&b.report(responder, &team, "Malicious OAuth app", json!({})).await);
        let mut version = 1;
        b.step(responder, "acknowledgeIncident", &id, &mut version, json!({})).await;
        b.step(responder, "classifyIncident", &id, &mut version, json!({ "severity": "LOW" })).await;

        let stale = b
            .mutate(
                responder,
                "classifyIncident",
                json!({ "incidentId": id, "expectedVersion": 2, "severity": "CRITICAL" }),
            )
            .await;
        let error = b.must_fail("a classification at a stale version", stale);
        assert_eq!(error.code(), "CONFLICT", "[{n}] {}", error.body);
        assert_eq!(error.extension("currentVersion"), version, "[{n}]");
        assert_eq!(error.extension("expectedVersion"), 2, "[{n}]");
        let incident = b.incident(responder, &id).await;
        assert_eq!(
            (incident["severity"].clone(), version_of(&incident)),
            (json!("LOW"), version),
            "[{n}] not overwritten"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_edits_never_silently_overwrite() {
    const ROUNDS: usize = 10;
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let (responder, lead) = (team.responder.token.as_str(), team.lead.token.as_str());
        let other = b.api.clone();
        let other = Api { http: reqwest::Client::builder().no_proxy().build().unwrap(), ..other };
        let id = id_of(&b.report(responder, &team, "Lateral movement alert", json!({})).await);
        let initial = version_of(&b.incident(responder, &id).await);
        assert_eq!(initial, 1, "[{n}] a new report is at version 1");
        let mut version = initial;
        let mut successes = 0;
        for round in 0..ROUNDS {
            let (field, mine, theirs) = if round == 0 {
                ("acknowledgeIncident", json!({}), json!({ "ownerId": person_id(&team.lead) }))
            } else {
                let (x, y) = if round % 2 == 0 { ("LOW", "HIGH") } else { ("MEDIUM", "CRITICAL") };
                ("classifyIncident", json!({ "severity": x }), json!({ "severity": y }))
            };
            let base = json!({ "incidentId": id, "expectedVersion": version });
            let (first, second) = tokio::join!(
                b.mutate(responder, field, merge(base.clone(), mine)),
                other.mutate(lead, field, merge(base.clone(), theirs)),
            );
            let outcomes = [first, second];
            let winners: Vec<&Value> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
            assert_eq!(
                winners.len(),
                1,
                "[{n}] round {round}: exactly one of two edits of version {version} wins: {outcomes:?}"
            );
            for loser in outcomes.iter().filter_map(|o| o.as_ref().err()) {
                assert_eq!(
                    loser.code(),
                    "CONFLICT",
                    "[{n}] round {round}: the other edit is a conflict: {}",
                    loser.body
                );
            }
            let winner = winners[0].clone();
            assert_eq!(version_of(&winner), version + 1, "[{n}] round {round}");
            let stored = b.incident(responder, &id).await;
            assert_eq!(version_of(&stored), version + 1, "[{n}] round {round}: one write per version");
            if round == 0 {
                assert_eq!(stored["owner"], winner["owner"], "[{n}] the winner's owner is stored");
            } else {
                assert_eq!(
                    stored["severity"], winner["severity"],
                    "[{n}] round {round}: the winner's severity is stored"
                );
            }
            version = version_of(&winner);
            successes += 1;
        }
        let last = b.incident(responder, &id).await;
        assert_eq!(version_of(&last), initial + successes, "[{n}] the final version counts the successes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reports_get_unique_keys() {
    const REPORTS: usize = 30;
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let year_before = Utc::now().year();
        let mut reports = JoinSet::new();
        for i in 0..REPORTS {
            let (api, token, team_id) = (b.api.clone(), team.responder.token.clone(), team_id(&team));
            reports.spawn(async move {
                api.mutate(&token, "reportIncident", json!({ "teamId": team_id, "title": format!("Alert {i}") })).await
            });
        }
        let mut keys = Vec::new();
        while let Some(joined) = reports.join_next().await {
            keys.push(text(&b.must("a concurrent report", joined.expect("the task ran"))["key"]));
        }
        let year_after = Utc::now().year();
        let distinct: BTreeSet<&String> = keys.iter().collect();
        assert_eq!(distinct.len(), REPORTS, "[{n}] {REPORTS} distinct keys: {keys:?}");
        let expected = |year: i32| -> Vec<String> { (1..=REPORTS).map(|i| format!("INC-{year}-{i:06}")).collect() };
        let keys = sorted(keys);
        assert!(
            keys == expected(year_before) || keys == expected(year_after),
            "[{n}] keys run from 000001 to {REPORTS:06} without gaps: {keys:?}"
        );
        assert_eq!(
            b.keys(&team.viewer.token, json!({})).await.1,
            i64::try_from(REPORTS).unwrap(),
            "[{n}] all were stored"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Cost of a page
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_incidents_costs_a_fixed_number_of_statements() {
    const INCIDENTS: usize = 50;
    let page = "query($first: Int) { incidents(first: $first) { nodes { key owner { name } team { key } \
        actions { services { code } performedBy { name } } transitions { by { name } } services { code } \
        stageProgress { state } timeline { summary } } } }";
    let mut measured = Vec::new();
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "PERF").await;
        let responder = team.responder.token.as_str();
        let base = past_hour();
        for i in 0..INCIDENTS {
            let reported_at = rfc3339(base - chrono::Duration::minutes(i64::try_from(i).unwrap()));
            let id = id_of(
                &b.report(responder, &team, &format!("Seeded incident {i}"), json!({ "reportedAt": reported_at }))
                    .await,
            );
            let mut version = 1;
            b.step(responder, "acknowledgeIncident", &id, &mut version, json!({})).await;
            for (kind, services) in [("ANALYSIS", ["A-9", "C-1"]), ("NOTE", ["B-2", "E-2"])] {
                b.record(
                    responder,
                    &id,
                    &mut version,
                    json!({ "kind": kind, "summary": format!("{kind} {i}"), "services": services }),
                )
                .await;
            }
        }

        // Warm up: the token's last use is recorded at most once a minute, by the auth lookup.
        b.query(responder, page, json!({ "first": 1 })).await;
        let mut counts = BTreeMap::new();
        for first in [5_usize, INCIDENTS] {
            let before = b.db.database.statement_count();
            let data = b.query(responder, page, json!({ "first": first })).await;
            let statements = b.db.database.statement_count() - before;
            let nodes = data["incidents"]["nodes"].as_array().unwrap();
            assert_eq!(nodes.len(), first, "[{n}] a page of {first}");
            for node in nodes {
                assert_eq!(text(&node["owner"]["name"]), person_name(&team.responder), "[{n}]");
                assert_eq!(node["team"]["key"], "PERF", "[{n}]");
                assert_eq!(node["actions"].as_array().unwrap().len(), 2, "[{n}] {node}");
                assert_eq!(node["transitions"].as_array().unwrap().len(), 2, "[{n}] {node}");
                assert_eq!(node["services"].as_array().unwrap().len(), 4, "[{n}] {node}");
                assert_eq!(node["timeline"].as_array().unwrap().len(), 4, "[{n}] {node}");
                assert_eq!(node["stageProgress"].as_array().unwrap().len(), 7, "[{n}] {node}");
            }
            eprintln!("[{n}] incidents(first: {first}) ran {statements} SQL statements");
            counts.insert(first, statements);
        }
        measured.push((n, counts[&5], counts[&INCIDENTS]));
    }
    // Both backends are measured before judging, so that a failure shows every count.
    let uneven: Vec<_> = measured.iter().filter(|(_, few, many)| few != many).collect();
    assert!(
        uneven.is_empty(),
        "a page of {INCIDENTS} must cost what a page of 5 costs; (backend, 5, {INCIDENTS}) = {uneven:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Filters and pagination
// ---------------------------------------------------------------------------------------------

/// A team with seven incidents of known shape (and another team's lookalike), for the filters.
struct FilterWorld {
    team: TeamFixture,
    /// Keys by letter: A (newest) … E, then F and G reported at the same moment.
    keys: BTreeMap<char, String>,
    /// Reported times by letter.
    reported: BTreeMap<char, DateTime<Utc>>,
}

impl FilterWorld {
    async fn seed(b: &Backend) -> Self {
        let team = team_fixture(&b.db.database, "SOC").await;
        let outsiders = team_fixture(&b.db.database, "CERT").await;
        let (responder, lead) = (team.responder.token.as_str(), team.lead.token.as_str());
        let base = past_hour();
        let hours = |h: i64| base - chrono::Duration::hours(h);
        let specs: [(char, &str, Option<&str>, i64); 7] = [
            ('A', "Phishing wave at HQ", Some("Users received credential-harvesting mail"), 1),
            ('B', "Ransomware on FILE-SRV-02", None, 2),
            ('C', "100% CPU on web-01", None, 3),
            ('D', "Suspicious login from a new country", None, 4),
            ('E', "DDoS against the portal", Some("Botnet traffic from many ASNs"), 5),
            ('F', "Lost laptop, 100 percent encrypted", None, 6),
            ('G', "Vendor advisory for the VPN appliance", None, 6),
        ];
        let mut keys = BTreeMap::new();
        let mut reported = BTreeMap::new();
        let mut ids = BTreeMap::new();
        for (letter, title, description, h) in specs {
            let mut extra = json!({ "reportedAt": rfc3339(hours(h)) });
            if let Some(description) = description {
                extra["description"] = json!(description);
            }
            let incident = b.report(responder, &team, title, extra).await;
            keys.insert(letter, text(&incident["key"]));
            reported.insert(letter, hours(h));
            ids.insert(letter, id_of(&incident));
        }
        let outsider =
            b.report(&outsiders.responder.token, &outsiders, "Ransomware 100% at a partner", json!({})).await;
        let mut v = 1;
        b.step(&outsiders.responder.token, "acknowledgeIncident", &id_of(&outsider), &mut v, json!({})).await;
        b.record(
            &outsiders.responder.token,
            &id_of(&outsider),
            &mut v,
            json!({ "kind": "NOTE", "summary": "x", "services": ["C-1", "G-4"] }),
        )
        .await;

        // B: P1 in D4, with a C-1 + G-4 action.
        let (id, mut v) = (ids[&'B'].clone(), 1);
        b.step(responder, "acknowledgeIncident", &id, &mut v, json!({})).await;
        let triage = json!({
            "determination": "CONFIRMED",
            "category": "malicious-code/infected-system",
            "severity": "HIGH",
            "urgency": "HIGH",
        });
        b.step(responder, "classifyIncident", &id, &mut v, triage).await;
        b.step(responder, "transitionIncident", &id, &mut v, json!({ "to": "D4" })).await;
        b.record(
            responder,
            &id,
            &mut v,
            json!({ "kind": "CONTAINMENT", "summary": "Isolated", "services": ["C-1", "G-4"] }),
        )
        .await;
        // C: owned by the lead, P4, in D3.
        let (id, mut v) = (ids[&'C'].clone(), 1);
        b.step(responder, "acknowledgeIncident", &id, &mut v, json!({ "ownerId": person_id(&team.lead) })).await;
        b.step(
            responder,
            "classifyIncident",
            &id,
            &mut v,
            json!({ "determination": "SUSPECTED", "severity": "MEDIUM", "urgency": "LOW" }),
        )
        .await;
        // D: a false positive, closed from D3.
        let (id, mut v) = (ids[&'D'].clone(), 1);
        b.step(responder, "acknowledgeIncident", &id, &mut v, json!({})).await;
        b.step(lead, "closeIncident", &id, &mut v, json!({ "resolution": "FALSE_POSITIVE" })).await;
        // E: P2 in D3, with a G-4 action.
        let (id, mut v) = (ids[&'E'].clone(), 1);
        b.step(responder, "acknowledgeIncident", &id, &mut v, json!({})).await;
        b.step(responder, "classifyIncident", &id, &mut v, json!({ "severity": "CRITICAL", "urgency": "LOW" })).await;
        b.record(
            responder,
            &id,
            &mut v,
            json!({ "kind": "ANALYSIS", "summary": "Traffic analysis", "services": ["G-4"] }),
        )
        .await;

        Self { team, keys, reported }
    }

    /// The keys of these incidents, in the order given.
    fn in_order(&self, letters: &str) -> Vec<String> {
        letters.chars().map(|l| self.keys[&l].clone()).collect()
    }

    /// The keys of these incidents, sorted.
    fn keys_of(&self, letters: &str) -> Vec<String> {
        sorted(self.in_order(letters))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_filter_by_stage_status_severity_priority_owner_and_service() {
    for b in backends().await {
        let n = b.backend;
        let world = FilterWorld::seed(&b).await;
        let viewer = world.team.viewer.token.as_str();
        let cases = [
            (json!({}), "ABCDEFG"),
            (json!({ "stage": ["D1"] }), "AFG"),
            (json!({ "stage": ["D3"] }), "CDE"),
            (json!({ "stage": ["D3", "D4"] }), "BCDE"),
            (json!({ "stage": ["D5", "D7"] }), ""),
            (json!({ "status": "CLOSED" }), "D"),
            (json!({ "status": "OPEN" }), "ABCEFG"),
            (json!({ "stage": ["D3"], "status": "OPEN" }), "CE"),
            (json!({ "severity": ["HIGH"] }), "B"),
            (json!({ "severity": ["HIGH", "CRITICAL"] }), "BE"),
            (json!({ "severity": ["MEDIUM"] }), "C"),
            (json!({ "priority": ["P1"] }), "B"),
            (json!({ "priority": ["P2", "P4"] }), "CE"),
            (json!({ "priority": ["P3"] }), ""),
            (json!({ "ownerId": person_id(&world.team.lead) }), "C"),
            (json!({ "ownerId": person_id(&world.team.responder) }), "BDE"),
            (json!({ "service": "C-1" }), "B"),
            (json!({ "service": "G-4" }), "BE"),
            (json!({ "service": "A-1" }), ""),
            (json!({ "service": "G-4", "priority": ["P2"] }), "E"),
            (json!({ "teamId": team_id(&world.team) }), "ABCDEFG"),
        ];
        for (filter, letters) in cases {
            let (keys, total) = b.keys(viewer, filter.clone()).await;
            let expected = world.keys_of(letters);
            assert_eq!(sorted(keys), expected, "[{n}] filter {filter}");
            assert_eq!(total, i64::try_from(expected.len()).unwrap(), "[{n}] totalCount of filter {filter}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_filter_by_reported_period_and_search_text() {
    for b in backends().await {
        let n = b.backend;
        let world = FilterWorld::seed(&b).await;
        let viewer = world.team.viewer.token.as_str();
        let at = |l: char| rfc3339(world.reported[&l]);
        let key_a = world.keys[&'A'].clone();
        let cases = [
            (json!({ "reportedFrom": at('D'), "reportedTo": at('B') }), "CD"),
            (json!({ "reportedFrom": at('B') }), "AB"),
            (json!({ "reportedTo": at('E') }), "FG"),
            (json!({ "reportedFrom": at('F'), "reportedTo": at('E') }), "FG"),
            (json!({ "search": "ransomware" }), "B"),
            (json!({ "search": "RANSOMWARE" }), "B"),
            (json!({ "search": "file-srv" }), "B"),
            (json!({ "search": "botnet" }), "E"),
            (json!({ "search": "100%" }), "C"),
            (json!({ "search": "%" }), "C"),
            (json!({ "search": "100" }), "CF"),
            (json!({ "search": "_" }), ""),
            (json!({ "search": key_a.to_lowercase() }), "A"),
            (json!({ "search": "  " }), "ABCDEFG"),
            (json!({ "search": "portal", "stage": ["D3"] }), "E"),
        ];
        for (filter, letters) in cases {
            let (keys, total) = b.keys(viewer, filter.clone()).await;
            let expected = world.keys_of(letters);
            assert_eq!(sorted(keys), expected, "[{n}] filter {filter}");
            assert_eq!(total, i64::try_from(expected.len()).unwrap(), "[{n}] totalCount of filter {filter}");
        }
        let backwards = b
            .query_error(
                viewer,
                "query($f: IncidentFilter) { incidents(filter: $f) { totalCount } }",
                json!({ "f": { "reportedFrom": at('A'), "reportedTo": at('G') } }),
            )
            .await;
        assert_eq!(backwards.code(), "BAD_USER_INPUT", "[{n}] an inverted period is refused: {}", backwards.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_visits_every_incident_once_newest_first() {
    const PAGE: &str = "query($after: String) { incidents(first: 3, after: $after) { totalCount \
        pageInfo { hasNextPage endCursor } edges { cursor node { key reportedAt } } } }";
    for b in backends().await {
        let n = b.backend;
        let world = FilterWorld::seed(&b).await;
        let viewer = world.team.viewer.token.as_str();
        let mut seen: Vec<(String, DateTime<Utc>)> = Vec::new();
        let mut after = Value::Null;
        let mut pages = 0;
        loop {
            pages += 1;
            assert!(pages <= 10, "[{n}] paging does not end: {seen:?}");
            let data = b.query(viewer, PAGE, json!({ "after": after })).await;
            let connection = &data["incidents"];
            assert_eq!(connection["totalCount"], 7, "[{n}] totalCount is stable on page {pages}");
            let edges = connection["edges"].as_array().unwrap();
            assert!(edges.len() <= 3, "[{n}] at most 3 per page");
            seen.extend(edges.iter().map(|e| (text(&e["node"]["key"]), timestamp(&e["node"]["reportedAt"]))));
            if let Some(last) = edges.last() {
                assert_eq!(connection["pageInfo"]["endCursor"], last["cursor"], "[{n}] endCursor is the last edge's");
            }
            if connection["pageInfo"]["hasNextPage"] == json!(false) {
                break;
            }
            after = connection["pageInfo"]["endCursor"].clone();
            assert!(after.is_string(), "[{n}] a next page has a cursor");
        }
        assert_eq!(pages, 3, "[{n}] seven incidents in pages of three");
        let keys: Vec<String> = seen.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(sorted(keys.clone()), world.keys_of("ABCDEFG"), "[{n}] every incident exactly once: {keys:?}");
        let times: Vec<DateTime<Utc>> = seen.iter().map(|(_, at)| *at).collect();
        assert!(times.is_sorted_by(|a, b| a >= b), "[{n}] newest report first: {seen:?}");
        assert_eq!(keys[..5], world.in_order("ABCDE")[..], "[{n}] A to E come first, in order");
    }
}

// ---------------------------------------------------------------------------------------------
// GraphQL over HTTP
// ---------------------------------------------------------------------------------------------

const ME: &str = r#"{"query":"{ me { person { name } } }"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_json_body_is_a_400_for_graphql_clients_and_a_200_for_json_clients() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let bearer = format!("Bearer {}", team.lead.token);
        for (accept, status, media) in [
            (GRAPHQL_RESPONSE_JSON, StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON),
            ("application/json", StatusCode::OK, "application/json"),
        ] {
            let response = b
                .raw(
                    reqwest::Method::POST,
                    "/graphql",
                    &[("authorization", &bearer), ("content-type", "application/json"), ("accept", accept)],
                    Some(r#"{"query": "{ me { person { name } } }""#),
                )
                .await;
            assert_eq!(response.status(), status, "[{n}] Accept: {accept}");
            assert!(header(&response, CONTENT_TYPE).starts_with(media), "[{n}] Accept: {accept}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "[{n}] {body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parse_and_validation_failures_are_400_with_their_codes() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        for (query, code) in
            [("{ me { person { name }", "GRAPHQL_PARSE_FAILED"), ("{ nope }", "GRAPHQL_VALIDATION_FAILED")]
        {
            let (status, body) = b.gql(&team.lead.token, query, json!({})).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "[{n}] {query}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["code"], code, "[{n}] {query}: {body}");
            assert!(body.get("data").is_none(), "[{n}] a request error has no data: {body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_declared_as_json_is_415() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let bearer = format!("Bearer {}", team.lead.token);
        let response = b
            .raw(
                reqwest::Method::POST,
                "/graphql",
                &[("authorization", &bearer), ("content-type", "text/plain"), ("accept", GRAPHQL_RESPONSE_JSON)],
                Some(ME),
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "[{n}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_runs_queries_and_refuses_mutations_with_405() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let get = |query: &'static str| {
            b.http
                .get(b.url("/graphql"))
                .query(&[("query", query)])
                .bearer_auth(&team.lead.token)
                .header(ACCEPT, GRAPHQL_RESPONSE_JSON)
                .send()
        };
        let response = get("{ me { person { name } } }").await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "[{n}]");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["me"]["person"]["name"], person_name(&team.lead), "[{n}] {body}");

        let response = get("mutation { reportIncident(input: { teamId: \"x\", title: \"y\" }) { id } }").await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "[{n}]");
        assert_eq!(header(&response, ALLOW), "POST", "[{n}]");
        assert_eq!(b.keys(&team.lead.token, json!({})).await.1, 0, "[{n}] nothing was reported");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batched_request_is_400() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let bearer = format!("Bearer {}", team.lead.token);
        let response = b
            .raw(
                reqwest::Method::POST,
                "/graphql",
                &[("authorization", &bearer), ("content-type", "application/json"), ("accept", GRAPHQL_RESPONSE_JSON)],
                Some(&format!("[{ME},{ME}]")),
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "[{n}]");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST", "[{n}] {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_accepting_only_html_is_406() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let bearer = format!("Bearer {}", team.lead.token);
        let response = b
            .raw(
                reqwest::Method::POST,
                "/graphql",
                &[("authorization", &bearer), ("content-type", "application/json"), ("accept", "text/html")],
                Some(ME),
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE, "[{n}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_answer_200() {
    for b in backends().await {
        let n = b.backend;
        for path in ["/healthz", "/readyz"] {
            let response = b.raw(reqwest::Method::GET, path, &[], None).await;
            assert_eq!(response.status(), StatusCode::OK, "[{n}] {path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_pages_are_html_with_a_content_security_policy() {
    for b in backends().await {
        let n = b.backend;
        for path in ["/", "/graphiql"] {
            let response = b.raw(reqwest::Method::GET, path, &[], None).await;
            assert_eq!(response.status(), StatusCode::OK, "[{n}] {path}");
            assert!(header(&response, CONTENT_TYPE).starts_with("text/html"), "[{n}] {path}");
            let csp = header(&response, CONTENT_SECURITY_POLICY);
            assert!(csp.contains("default-src 'self'"), "[{n}] {path}: CSP {csp:?}");
            let page = response.text().await.unwrap();
            assert!(page.to_ascii_lowercase().contains("<html"), "[{n}] {path} is a page");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vendored_graphiql_script_is_served_as_javascript() {
    for b in backends().await {
        let n = b.backend;
        let response = b.raw(reqwest::Method::GET, "/assets/vendor/graphiql.min.js", &[], None).await;
        assert_eq!(response.status(), StatusCode::OK, "[{n}]");
        assert!(
            header(&response, CONTENT_TYPE).starts_with("text/javascript"),
            "[{n}] {}",
            header(&response, CONTENT_TYPE)
        );
        assert!(!response.bytes().await.unwrap().is_empty(), "[{n}]");
    }
}

// ---------------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Viewer,
    Responder,
    Lead,
}

const MUTATIONS: [&str; 8] = [
    "reportIncident",
    "acknowledgeIncident",
    "classifyIncident",
    "transitionIncident",
    "recordAction",
    "closeIncident",
    "reopenIncident",
    "reassignIncident",
];

/// DOMAIN §5: viewers read; responders report, act and transition; leads also close, reopen and
/// reassign.
fn may(role: Role, mutation: &str) -> bool {
    match role {
        Role::Viewer => false,
        Role::Responder => !matches!(mutation, "closeIncident" | "reopenIncident" | "reassignIncident"),
        Role::Lead => true,
    }
}

/// An incident (made by the lead) in the state `mutation` applies to, and the mutation's input
/// for it.
async fn prepare(b: &Backend, team: &TeamFixture, mutation: &str) -> (Option<(String, i64)>, Value) {
    let lead = team.lead.token.as_str();
    if mutation == "reportIncident" {
        return (None, json!({ "teamId": team_id(team), "title": "Role matrix report" }));
    }
    let id = id_of(&b.report(lead, team, &format!("Role matrix: {mutation}"), json!({})).await);
    let mut version = 1;
    if mutation != "acknowledgeIncident" {
        b.step(lead, "acknowledgeIncident", &id, &mut version, json!({})).await;
    }
    let input = match mutation {
        "acknowledgeIncident" => json!({}),
        "classifyIncident" => json!({ "severity": "MEDIUM" }),
        "transitionIncident" => {
            let triage = json!({
                "determination": "CONFIRMED",
                "category": "fraud/phishing",
                "severity": "LOW",
                "urgency": "LOW",
            });
            b.step(lead, "classifyIncident", &id, &mut version, triage).await;
            json!({ "to": "D4" })
        }
        "recordAction" => json!({ "kind": "NOTE", "summary": "Looked at it", "services": ["A-9"] }),
        "closeIncident" => json!({ "resolution": "FALSE_POSITIVE" }),
        "reopenIncident" => {
            b.step(lead, "closeIncident", &id, &mut version, json!({ "resolution": "BENIGN" })).await;
            json!({ "reason": "more hosts affected" })
        }
        "reassignIncident" => json!({ "ownerId": person_id(&team.responder) }),
        other => unreachable!("no preparation for {other}"),
    };
    let mut input = merge(json!({ "incidentId": id }), input);
    if mutation != "recordAction" {
        input["expectedVersion"] = json!(version);
    }
    (Some((id, version)), input)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutation_is_allowed_exactly_to_the_roles_that_may_perform_it() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        for mutation in MUTATIONS {
            for role in [Role::Viewer, Role::Responder, Role::Lead] {
                let member = match role {
                    Role::Viewer => &team.viewer,
                    Role::Responder => &team.responder,
                    Role::Lead => &team.lead,
                };
                let (target, input) = prepare(&b, &team, mutation).await;
                let count_before = b.keys(&team.lead.token, json!({})).await.1;
                let result = b.mutate(&member.token, mutation, input).await;
                let after = match &target {
                    Some((id, _)) => Some(b.incident(&team.lead.token, id).await),
                    None => None,
                };
                let count_after = b.keys(&team.lead.token, json!({})).await.1;
                let case = format!("[{n}] {mutation} as {role:?}");
                if may(role, mutation) {
                    let value = result.unwrap_or_else(|e| panic!("{case} is allowed, but failed: {}", e.body));
                    match (&target, &after) {
                        (Some((_, version)), Some(incident)) => {
                            assert_eq!(version_of(incident), version + 1, "{case} changed the incident")
                        }
                        _ => {
                            assert_eq!(value["status"], "OPEN", "{case}");
                            assert_eq!(count_after, count_before + 1, "{case} created an incident");
                        }
                    }
                } else {
                    let error = b.must_fail(&case, result);
                    assert_eq!(error.code(), "FORBIDDEN", "{case}: {}", error.body);
                    assert_eq!(count_after, count_before, "{case} created nothing");
                    if let (Some((_, version)), Some(incident)) = (&target, &after) {
                        assert_eq!(version_of(incident), *version, "{case} changed nothing");
                        assert_eq!(incident["actions"], json!([]), "{case} recorded nothing");
                    }
                }
            }
        }
    }
}
