//! The access tests' harness: the real router on a real socket per backend, a GraphQL client that
//! keeps whole replies (so that two denials can be compared byte for byte), and people made
//! through the real directory so that their tokens authenticate as in production.

use std::collections::BTreeSet;
use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::StatusCode;
use reqwest::header::ACCEPT;
use serde_json::{Value, json};
use taio_core::id::{PersonId, TeamId, TokenId};
use taio_core::team::{DirectoryRepository, Role, TokenInfo};
use taio_core::{Clock, SystemClock, Text};
use taio_persistence::testing::{Member, TeamFixture, TestDatabase, test_databases};
use taio_server::AppState;

use crate::server::{Served, serve};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// A client of one running server.
#[derive(Clone)]
pub struct Api {
    /// `sqlite` or `postgres`, for assertion messages.
    pub backend: &'static str,
    http: reqwest::Client,
    url: String,
}

/// The app served over a fresh database of one backend.
pub struct Backend {
    api: Api,
    pub db: TestDatabase,
    _server: Served,
}

impl Deref for Backend {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

/// One running server per available backend.
pub async fn backends() -> Vec<Backend> {
    let mut backends = Vec::new();
    for db in test_databases().await {
        let served = serve(AppState::new(db.database.clone(), Arc::new(SystemClock))).await;
        let api = Api { backend: db.backend, http: served.http.clone(), url: format!("{}/graphql", served.base) };
        backends.push(Backend { api, db, _server: served });
    }
    backends
}

/// A whole GraphQL reply: the HTTP status and the JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// The first error's `extensions.code`, if there is an error.
    pub fn code(&self) -> Option<&str> {
        self.body.get("errors").map(|errors| errors[0]["extensions"]["code"].as_str().unwrap_or("<no code>"))
    }

    /// Whether the request ran without any error.
    pub fn succeeded(&self) -> bool {
        self.status == StatusCode::OK && self.body.get("errors").is_none()
    }

    /// `data.<field>`.
    pub fn data(&self, field: &str) -> &Value {
        &self.body["data"][field]
    }

    /// Whether the reply carries nothing: no data at all, or only null root fields.
    pub fn carries_no_data(&self) -> bool {
        match &self.body["data"] {
            Value::Null => true,
            Value::Object(fields) => fields.values().all(Value::is_null),
            _ => false,
        }
    }
}

impl Api {
    /// `POST /graphql` with `token` as bearer (none when `None`).
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Reply {
        let mut request = self.http.post(&self.url).header(ACCEPT, GRAPHQL_RESPONSE_JSON).json(&json!({
            "query": query,
            "variables": variables,
        }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("[{}] POST /graphql: {e}", self.backend));
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or_else(|e| panic!("[{}] a JSON body: {e}", self.backend));
        Reply { status, body }
    }

    /// A request that must succeed: its `data`.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let reply = self.post(Some(token), query, variables).await;
        assert!(
            reply.succeeded(),
            "[{}] request failed with {}: {}\nquery: {query}",
            self.backend,
            reply.status,
            reply.body
        );
        reply.body["data"].clone()
    }

    /// Runs mutation `field` with `input` (of GraphQL type `input_type`), selecting `selection`
    /// (empty for scalar results).
    pub async fn mutation(
        &self,
        token: Option<&str>,
        field: &str,
        input_type: &str,
        selection: &str,
        input: Value,
    ) -> Reply {
        let selection = if selection.is_empty() { String::new() } else { format!("{{ {selection} }}") };
        let query = format!("mutation($input: {input_type}!) {{ {field}(input: $input) {selection} }}");
        self.post(token, &query, json!({ "input": input })).await
    }

    /// A mutation returning an incident that must succeed: the incident's `id key version`.
    pub async fn change(&self, token: &str, field: &str, input: Value) -> Value {
        let input_type = input_type_of(field);
        let reply =
            self.mutation(Some(token), field, &input_type, "id key version restricted accessLimited", input).await;
        assert!(reply.succeeded(), "[{}] {field} failed with {}: {}", self.backend, reply.status, reply.body);
        reply.data(field).clone()
    }

    /// Runs `field` on the incident at `version`, which must succeed; the new version.
    pub async fn step(&self, token: &str, field: &str, id: &str, version: i64, input: Value) -> i64 {
        let input = merge(json!({ "incidentId": id, "expectedVersion": version }), input);
        let incident = self.change(token, field, input).await;
        let next = version_of(&incident);
        assert_eq!(next, version + 1, "[{}] {field} bumps the version by one", self.backend);
        next
    }

    /// Reports an incident into `team` as `token`: its `id key version`.
    pub async fn report(&self, token: &str, team: &str, title: &str, extra: Value) -> Value {
        self.change(token, "reportIncident", merge(json!({ "teamId": team, "title": title }), extra)).await
    }

    /// Records an action that must succeed; its id.
    pub async fn record(&self, token: &str, id: &str, service: &str) -> String {
        let input = json!({ "incidentId": id, "kind": "ANALYSIS", "summary": "Looked at it", "services": [service] });
        let reply = self.mutation(Some(token), "recordAction", "RecordActionInput", "id", input).await;
        assert!(reply.succeeded(), "[{}] recordAction failed: {}", self.backend, reply.body);
        text(&reply.data("recordAction")["id"])
    }

    /// The incident's `id version restricted accessLimited participants`, which `token` must see.
    pub async fn incident(&self, token: &str, id: &str) -> Value {
        let query = "query($id: ID!) { incident(id: $id) { id key version restricted accessLimited \
                     participants { id } actions { id } } }";
        self.ok(token, query, json!({ "id": id })).await["incident"].clone()
    }

    /// The incident's priority, which `token` must see.
    pub async fn priority(&self, token: &str, id: &str) -> Value {
        let query = "query($id: ID!) { incident(id: $id) { priority } }";
        let priority = self.ok(token, query, json!({ "id": id })).await["incident"]["priority"].clone();
        assert!(priority.is_string(), "[{}] the triage set a priority", self.backend);
        priority
    }

    /// The ids of one page of up to 100 incidents a filter selects, and the total count.
    pub async fn list(&self, token: &str, filter: Value) -> (BTreeSet<String>, i64) {
        let query = "query($f: IncidentFilter) { incidents(first: 100, filter: $f) { totalCount nodes { id } } }";
        let data = self.ok(token, query, json!({ "f": filter })).await;
        let ids = data["incidents"]["nodes"].as_array().expect("nodes").iter().map(id_of).collect();
        (ids, data["incidents"]["totalCount"].as_i64().expect("totalCount"))
    }
}

/// The input type of an incident mutation.
pub fn input_type_of(field: &str) -> String {
    match field {
        "addIncidentParticipant" | "removeIncidentParticipant" => "IncidentParticipantInput".to_owned(),
        _ => format!("{}{}Input", field[..1].to_uppercase(), &field[1..]),
    }
}

/// Someone who can call the API.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub token: String,
}

impl Person {
    /// The fixture member as a person.
    pub fn of(member: &Member) -> Self {
        Self { id: member.viewer.person.id.to_string(), token: member.token.clone() }
    }

    pub fn person_id(&self) -> PersonId {
        PersonId::from_uuid(uuid::Uuid::parse_str(&self.id).expect("a person id"))
    }
}

/// People made directly through the persistence directory, outside the API under test.
pub struct Directory<'a> {
    pub db: &'a TestDatabase,
}

impl Directory<'_> {
    fn repo(&self) -> taio_persistence::Directory {
        self.db.database.directory()
    }

    fn label(value: &str) -> Text {
        Text::parse("name", value, 200).expect("a valid label")
    }

    /// A new person (an instance administrator when `admin`), with a token and no team.
    pub async fn person(&self, name: &str, admin: bool) -> Person {
        let person =
            self.repo().create_person(&Self::label(name), admin, SystemClock.now(), None).await.expect("person");
        let token = self.token_for(person.id, None).await;
        Person { id: person.id.to_string(), token: token.1 }
    }

    /// A new person with `role` in `team`.
    pub async fn member(&self, team: &TeamFixture, name: &str, role: Role) -> Person {
        let person = self.person(name, false).await;
        self.set_role(team.team.id, &person, role).await;
        person
    }

    /// Gives `person` `role` in `team`.
    pub async fn set_role(&self, team: TeamId, person: &Person, role: Role) {
        self.repo().set_membership(team, person.person_id(), role, SystemClock.now(), None).await.expect("membership");
    }

    /// Issues a token for `person` (with `expires_at`, unchecked): its id and secret.
    pub async fn token_for(&self, person: PersonId, expires_at: Option<DateTime<Utc>>) -> (String, String) {
        let issued = self
            .repo()
            .issue_token(person, &Self::label("issued by the test"), expires_at, SystemClock.now(), None)
            .await
            .expect("token");
        (issued.token.id.to_string(), issued.secret)
    }

    /// One token as stored.
    pub async fn token(&self, id: &str) -> Option<TokenInfo> {
        let id = TokenId::from_uuid(uuid::Uuid::parse_str(id).expect("a token id"));
        self.repo().token(id).await.expect("read a token")
    }

    /// How many tokens exist.
    pub async fn token_count(&self) -> u64 {
        self.repo().token_count().await.expect("count tokens")
    }

    /// The ids of the members of `team`.
    pub async fn members(&self, team: &str) -> BTreeSet<String> {
        let team = TeamId::from_uuid(uuid::Uuid::parse_str(team).expect("a team id"));
        self.repo().members(team).await.expect("members").iter().map(|m| m.person.id.to_string()).collect()
    }
}

/// `a` with the fields of `b` added (objects only).
pub fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

pub fn version_of(incident: &Value) -> i64 {
    incident["version"].as_i64().unwrap_or_else(|| panic!("no version in {incident}"))
}

pub fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}")).to_owned()
}

pub fn id_of(value: &Value) -> String {
    text(&value["id"])
}

pub fn team_id(team: &TeamFixture) -> String {
    team.team.id.to_string()
}

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A whole hour well in the past, so that reported times are never in the future.
pub fn past_hour() -> DateTime<Utc> {
    let at = Utc::now() - chrono::Duration::days(2);
    DateTime::from_timestamp(at.timestamp() - at.timestamp() % 3600, 0).expect("a time")
}

/// A fresh id that names nothing.
pub fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
