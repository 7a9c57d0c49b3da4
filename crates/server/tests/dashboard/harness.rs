//! The harness of the dashboard tests: a settable clock shared with a real server per backend, a
//! GraphQL client, the people of two teams, a tiny seeded random generator, and the executor that
//! drives a planned history through the API at the planned times.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use taio_core::team::{DirectoryRepository, Role};
use taio_core::{Clock, Text};
use taio_persistence::testing::{Member, TeamFixture, TestDatabase, team_fixture, test_databases};
use taio_server::AppState;

use crate::server::{Served, serve};

use super::model::{Op, TeamTag, World};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

// ---------------------------------------------------------------------------------------------
// Time control
// ---------------------------------------------------------------------------------------------

/// A clock the test sets: every milestone happens at the time the test chose.
#[derive(Debug)]
pub struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap() = at;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().unwrap().trunc_subsecs(6)
    }
}

// ---------------------------------------------------------------------------------------------
// Servers and the client
// ---------------------------------------------------------------------------------------------

/// The app served over a fresh database of one backend, on its own clock.
pub struct Backend {
    /// `sqlite` or `postgres`.
    pub name: &'static str,
    pub db: TestDatabase,
    pub clock: Arc<TestClock>,
    server: Served,
}

/// One running server per available backend, its clock at `start`.
pub async fn backends(start: DateTime<Utc>) -> Vec<Backend> {
    let mut backends = Vec::new();
    for db in test_databases().await {
        let clock = Arc::new(TestClock::new(start));
        let shared: Arc<dyn Clock> = clock.clone();
        let server = serve(AppState::new(db.database.clone(), shared)).await;
        backends.push(Backend { name: db.backend, db, clock, server });
    }
    backends
}

impl Backend {
    /// `POST /graphql` as `token`: the status and the body.
    pub async fn post(&self, token: &str, query: &str, variables: Value) -> (StatusCode, Value) {
        let response = self
            .server
            .http
            .post(format!("{}/graphql", self.server.base))
            .header(reqwest::header::ACCEPT, GRAPHQL_RESPONSE_JSON)
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap_or_else(|e| panic!("[{}] POST /graphql: {e}", self.name));
        let status = response.status();
        let body = response.json::<Value>().await.expect("a JSON body");
        (status, body)
    }

    /// A request that must succeed: its `data`.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(token, query, variables.clone()).await;
        assert!(
            status == StatusCode::OK && body.get("errors").is_none(),
            "[{}] request failed with {status}: {body}\nquery: {query}\nvariables: {variables}",
            self.name
        );
        body["data"].clone()
    }

    /// A request that must fail: the `extensions.code` of its first error, and the body.
    pub async fn error(&self, token: &str, query: &str, variables: Value) -> (String, Value) {
        let (status, body) = self.post(token, query, variables).await;
        let code = body["errors"][0]["extensions"]["code"].as_str().map(str::to_owned);
        let code = code.unwrap_or_else(|| panic!("[{}] expected an error, got {status}: {body}", self.name));
        assert!(
            body["data"].is_null() || body.get("data").is_none(),
            "[{}] an error carries no data: {body}",
            self.name
        );
        (code, body)
    }

    /// Mutation `field(input: $input) { selection }`, which must succeed.
    pub async fn mutate(&self, token: &str, field: &str, input: Value, selection: &str, step: &str) -> Value {
        let input_type = match field {
            "addIncidentParticipant" | "removeIncidentParticipant" => "IncidentParticipantInput".to_owned(),
            _ => format!("{}{}Input", field[..1].to_uppercase(), &field[1..]),
        };
        let query = format!("mutation($input: {input_type}!) {{ {field}(input: $input) {{ {selection} }} }}");
        let (status, body) = self.post(token, &query, json!({ "input": input })).await;
        assert!(
            status == StatusCode::OK && body.get("errors").is_none(),
            "[{}] {step}: {field} failed with {status}: {body}\ninput: {input}",
            self.name
        );
        body["data"][field].clone()
    }
}

// ---------------------------------------------------------------------------------------------
// People
// ---------------------------------------------------------------------------------------------

/// The SOC lead.
pub const LEAD: usize = 0;
/// The SOC responders (R2 also responds for OPS).
pub const R1: usize = 1;
pub const R2: usize = 2;
pub const R3: usize = 3;
/// The SOC viewer.
pub const VIEWER: usize = 4;
/// The OPS lead and responder.
pub const OPS_LEAD: usize = 5;
pub const OPS_R: usize = 6;

/// Everyone the tests act as, by index: ids and tokens.
#[derive(Debug, Clone)]
pub struct People {
    pub ids: Vec<String>,
    pub tokens: Vec<String>,
    pub soc: String,
    pub ops: String,
}

impl People {
    pub fn team_id(&self, team: TeamTag) -> &str {
        match team {
            TeamTag::Soc => &self.soc,
            TeamTag::Ops => &self.ops,
        }
    }
}

fn member(m: &Member) -> (String, String) {
    (m.viewer.person.id.to_string(), m.token.clone())
}

/// Teams SOC (lead, three responders, viewer) and OPS (lead, responder, and SOC's second responder).
pub async fn people(db: &TestDatabase) -> People {
    let soc: TeamFixture = team_fixture(&db.database, "SOC").await;
    let ops: TeamFixture = team_fixture(&db.database, "OPS").await;
    let directory = db.database.directory();
    let now = Utc::now().trunc_subsecs(6);
    let mut extra = Vec::new();
    for name in ["SOC responder two", "SOC responder three"] {
        let person = directory
            .create_person(&Text::parse("name", name, 200).unwrap(), false, now, None)
            .await
            .expect("create a person");
        directory.set_membership(soc.team.id, person.id, Role::Responder, now, None).await.expect("membership");
        let token = directory
            .issue_token(person.id, &Text::parse("label", "test", 200).unwrap(), None, now, None)
            .await
            .expect("token");
        extra.push((person.id, token.secret));
    }
    directory.set_membership(ops.team.id, extra[0].0, Role::Responder, now, None).await.expect("membership in OPS");
    let all = [
        member(&soc.lead),
        member(&soc.responder),
        (extra[0].0.to_string(), extra[0].1.clone()),
        (extra[1].0.to_string(), extra[1].1.clone()),
        member(&soc.viewer),
        member(&ops.lead),
        member(&ops.responder),
    ];
    People {
        ids: all.iter().map(|(id, _)| id.clone()).collect(),
        tokens: all.iter().map(|(_, token)| token.clone()).collect(),
        soc: soc.team.id.to_string(),
        ops: ops.team.id.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Randomness and time
// ---------------------------------------------------------------------------------------------

/// xorshift64: enough randomness for a reproducible data set.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let unit = (self.next() >> 11) as f64 / (1_u64 << 53) as f64;
        unit
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }
}

/// RFC 3339 with microseconds.
pub fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_else(|| panic!("not a time: {value}")))
        .unwrap_or_else(|e| panic!("{value} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

// ---------------------------------------------------------------------------------------------
// The executor
// ---------------------------------------------------------------------------------------------

/// Plays `world` through the API, each step at its time; the incidents' ids, by index.
pub async fn execute(b: &Backend, people: &People, world: &World) -> Vec<String> {
    let mut order: Vec<_> = world.steps.iter().collect();
    order.sort_by_key(|s| (s.at, s.incident, s.seq));
    let n = world.incidents.len();
    let mut ids = vec![String::new(); n];
    let mut versions = vec![0_i64; n];
    let mut actions: Vec<Vec<String>> = vec![Vec::new(); n];
    for step in order {
        b.clock.set(step.at);
        let token = &people.tokens[step.by];
        let i = step.incident;
        let label = format!("incident #{i} step {} at {}", step.seq, ts(step.at));
        match &step.op {
            Op::Report { source, tlp, reported_at } => {
                let inc = &world.incidents[i];
                let mut input = json!({
                    "teamId": people.team_id(inc.team),
                    "title": format!("Incident #{i}"),
                    "source": source,
                    "tlp": tlp,
                });
                if let Some(at) = reported_at {
                    input["reportedAt"] = json!(ts(*at));
                }
                let reported = b.mutate(token, "reportIncident", input, "id version", &label).await;
                ids[i] = reported["id"].as_str().unwrap().to_owned();
                versions[i] = reported["version"].as_i64().unwrap();
            }
            Op::Action { local, input } => {
                assert_eq!(actions[i].len(), *local, "[{}] {label}: actions are recorded in order", b.name);
                let mut input = merge(input.clone(), json!({ "incidentId": ids[i] }));
                if let Some(old) = world.incidents[i].actions[*local].supersedes {
                    input["supersedes"] = json!(actions[i][old]);
                }
                let action = b.mutate(token, "recordAction", input, "id", &label).await;
                actions[i].push(action["id"].as_str().unwrap().to_owned());
                versions[i] += 1;
            }
            other => {
                let (field, input) = change(other, people, &ids);
                let input = merge(json!({ "incidentId": ids[i], "expectedVersion": versions[i] }), input);
                let changed = b.mutate(token, field, input, "id version", &label).await;
                let version = changed["version"].as_i64().unwrap();
                assert_eq!(version, versions[i] + 1, "[{}] {label}: {field} bumps the version by one", b.name);
                versions[i] = version;
            }
        }
    }
    ids
}

fn change(op: &Op, people: &People, ids: &[String]) -> (&'static str, Value) {
    match op {
        Op::Acknowledge { owner } => {
            ("acknowledgeIncident", owner.map_or_else(|| json!({}), |o| json!({ "ownerId": people.ids[o] })))
        }
        Op::Classify(input) => ("classifyIncident", input.clone()),
        Op::Transition { to, reason, classification } => {
            let mut input = json!({ "to": to });
            if *reason {
                input["reason"] = json!("it came back: re-scoping");
            }
            if let Some(c) = classification {
                input["classification"] = c.clone();
            }
            ("transitionIncident", input)
        }
        Op::Close { resolution, duplicate_of } => {
            let mut input = json!({ "resolution": resolution, "summary": "closed by the test" });
            if let Some(original) = duplicate_of {
                input["duplicateOf"] = json!(ids[*original]);
            }
            ("closeIncident", input)
        }
        Op::Reopen { to } => {
            let mut input = json!({ "reason": "new evidence" });
            if let Some(to) = to {
                input["to"] = json!(to);
            }
            ("reopenIncident", input)
        }
        Op::Hold(on) => ("setIncidentHold", json!({ "reason": on.then_some("waiting on the hosting provider") })),
        Op::Reassign(owner) => ("reassignIncident", json!({ "ownerId": people.ids[*owner] })),
        Op::Restrict(on) => ("restrictIncident", json!({ "restricted": on })),
        Op::Participant(person) => ("addIncidentParticipant", json!({ "personId": people.ids[*person] })),
        Op::Report { .. } | Op::Action { .. } => unreachable!("handled by the executor"),
    }
}

/// Sets SLA targets as the SOC lead; the policy the mutation returns, as `P1/ACKNOWLEDGE → s`.
pub async fn set_sla(b: &Backend, people: &People, targets: &[(&str, &str, i64)]) -> BTreeMap<String, i64> {
    let targets: Vec<Value> =
        targets.iter().map(|(p, c, s)| json!({ "priority": p, "clock": c, "targetSeconds": s })).collect();
    let input = json!({ "teamId": people.soc, "targets": targets });
    let data = b
        .data(
            &people.tokens[LEAD],
            "mutation($input: SetSlaPolicyInput!) { setSlaPolicy(input: $input) { priority clock targetSeconds } }",
            json!({ "input": input }),
        )
        .await;
    data["setSlaPolicy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                format!("{}/{}", t["priority"].as_str().unwrap(), t["clock"].as_str().unwrap()),
                t["targetSeconds"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Declares services as the SOC lead; the portfolio the mutation returns.
pub async fn set_portfolio(b: &Backend, people: &People, entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    let services: Vec<Value> = entries.iter().map(|(c, p)| json!({ "code": c, "provision": p })).collect();
    let input = json!({ "teamId": people.soc, "services": services });
    let data = b
        .data(
            &people.tokens[LEAD],
            "mutation($input: SetServicePortfolioInput!) { setServicePortfolio(input: $input) { service { code } provision } }",
            json!({ "input": input }),
        )
        .await;
    data["setServicePortfolio"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["service"]["code"].as_str().unwrap().to_owned(), e["provision"].as_str().unwrap().to_owned()))
        .collect()
}
