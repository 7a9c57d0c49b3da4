//! Identity and access, proved end to end over HTTP on every backend: one role table that covers
//! every query and mutation of the schema, cross-team and restricted-incident probes through every
//! read path, API tokens, and team management.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "access/harness.rs"]
mod harness;
#[path = "support/server.rs"]
mod server;

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use taio_core::team::Role;
use taio_persistence::testing::{TeamFixture, scalar, team_fixture};

use harness::{
    Backend, Directory, Person, Reply, backends, id_of, input_type_of, merge, past_hour, random_id, rfc3339, team_id,
    text, version_of,
};

// ---------------------------------------------------------------------------------------------
// The role table
// ---------------------------------------------------------------------------------------------

/// What a caller gets for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// No error, and the effect is visible (the change is stored, or the data is in the answer).
    Allowed,
    /// No error, but the answer holds nothing of the team (lists filtered to what one may see).
    Hidden,
    /// `FORBIDDEN`: the caller sees the object but their role is too low.
    Forbidden,
    /// `NOT_FOUND` (with `null` for a nullable field): the object does not exist for the caller.
    NotFound,
    /// HTTP 401 `UNAUTHENTICATED`: no token.
    Unauthenticated,
}

const OK: Outcome = Outcome::Allowed;
const HIDDEN: Outcome = Outcome::Hidden;
const DENIED: Outcome = Outcome::Forbidden;
const ABSENT: Outcome = Outcome::NotFound;
const NO_TOKEN: Outcome = Outcome::Unauthenticated;

/// Who calls, relative to the team `SOC` whose objects every request targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Viewer,
    Responder,
    Lead,
    /// An instance administrator who is not a member of the team.
    Admin,
    /// The lead of another team.
    Outsider,
    /// No token at all.
    Anonymous,
}

const CALLERS: [Caller; 6] =
    [Caller::Viewer, Caller::Responder, Caller::Lead, Caller::Admin, Caller::Outsider, Caller::Anonymous];

/// Every field of `Query` and `Mutation` (and nested fields with their own rule), with the outcome
/// for each caller in the order of [`CALLERS`]. Person-scoped rows (`apiTokens`,
/// `createApiToken`, `revokeApiToken`) target the team's responder's tokens.
#[rustfmt::skip]
const RULES: &[(&str, [Outcome; 6])] = &[
    //                                    viewer  responder lead    admin   outsider anonymous
    ("Query.apiTokens",                  [DENIED, OK,       DENIED, OK,     DENIED,  NO_TOKEN]),
    ("Query.catalog",                    [OK,     OK,       OK,     OK,     OK,      NO_TOKEN]),
    ("Query.eventCursor",                [OK,     OK,       OK,     OK,     OK,      NO_TOKEN]),
    ("Query.incident",                   [OK,     OK,       OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Query.incidentByKey",              [OK,     OK,       OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Query.incidents",                  [OK,     OK,       OK,     HIDDEN, HIDDEN,  NO_TOKEN]),
    ("Query.me",                         [OK,     OK,       OK,     OK,     OK,      NO_TOKEN]),
    ("Query.teams",                      [OK,     OK,       OK,     OK,     HIDDEN,  NO_TOKEN]),
    ("Query.teamDashboard",              [OK,     OK,       OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Incident.auditTrail",              [DENIED, DENIED,   OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Team.members",                     [OK,     OK,       OK,     OK,     HIDDEN,  NO_TOKEN]),
    ("Mutation.acknowledgeIncident",     [DENIED, OK,       OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.addIncidentParticipant",  [DENIED, DENIED,   OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.classifyIncident",        [DENIED, OK,       OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.closeIncident",           [DENIED, DENIED,   OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.createApiToken",          [DENIED, OK,       DENIED, OK,     DENIED,  NO_TOKEN]),
    ("Mutation.createPerson",            [DENIED, DENIED,   DENIED, OK,     DENIED,  NO_TOKEN]),
    ("Mutation.createTeam",              [DENIED, DENIED,   DENIED, OK,     DENIED,  NO_TOKEN]),
    ("Mutation.reassignIncident",        [DENIED, DENIED,   OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.recordAction",            [DENIED, OK,       OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.removeIncidentParticipant", [DENIED, DENIED, OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.removeTeamMember",        [DENIED, DENIED,   OK,     OK,     ABSENT,  NO_TOKEN]),
    ("Mutation.reopenIncident",          [DENIED, DENIED,   OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.reportIncident",          [DENIED, OK,       OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.restrictIncident",        [DENIED, DENIED,   OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.revokeApiToken",          [ABSENT, OK,       ABSENT, OK,     ABSENT,  NO_TOKEN]),
    ("Mutation.setTeamMember",           [DENIED, DENIED,   OK,     OK,     ABSENT,  NO_TOKEN]),
    ("Mutation.setIncidentHold",         [DENIED, OK,       OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.setSlaPolicy",            [DENIED, DENIED,   OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.setServicePortfolio",     [DENIED, DENIED,   OK,     ABSENT, ABSENT,  NO_TOKEN]),
    ("Mutation.transitionIncident",      [DENIED, OK,       OK,     ABSENT, ABSENT,  NO_TOKEN]),
];

/// The mutations that change one existing incident.
const INCIDENT_MUTATIONS: [&str; 11] = [
    "acknowledgeIncident",
    "classifyIncident",
    "transitionIncident",
    "recordAction",
    "closeIncident",
    "reopenIncident",
    "reassignIncident",
    "restrictIncident",
    "addIncidentParticipant",
    "removeIncidentParticipant",
    "setIncidentHold",
];

/// A triage that allows the move to D4.
fn triage() -> Value {
    json!({
        "determination": "CONFIRMED",
        "category": "intrusions/system-compromise",
        "severity": "HIGH",
        "urgency": "HIGH",
    })
}

/// The team `SOC` every request targets, another team, an administrator outside both, and an
/// incident of `SOC` to read.
struct World {
    b: Backend,
    soc: TeamFixture,
    cert: TeamFixture,
    admin: Person,
    target: Value,
}

impl World {
    async fn new(b: Backend) -> Self {
        let soc = team_fixture(&b.db.database, "SOC").await;
        let cert = team_fixture(&b.db.database, "CERT").await;
        let admin = Directory { db: &b.db }.person("Instance admin", true).await;
        let target = b.report(&soc.responder.token, &team_id(&soc), "Matrix target", json!({})).await;
        Self { b, soc, cert, admin, target }
    }

    fn directory(&self) -> Directory<'_> {
        Directory { db: &self.b.db }
    }

    fn token(&self, caller: Caller) -> Option<&str> {
        match caller {
            Caller::Viewer => Some(&self.soc.viewer.token),
            Caller::Responder => Some(&self.soc.responder.token),
            Caller::Lead => Some(&self.soc.lead.token),
            Caller::Admin => Some(&self.admin.token),
            Caller::Outsider => Some(&self.cert.lead.token),
            Caller::Anonymous => None,
        }
    }

    fn person_id(&self, caller: Caller) -> Option<String> {
        match caller {
            Caller::Viewer => Some(Person::of(&self.soc.viewer).id),
            Caller::Responder => Some(Person::of(&self.soc.responder).id),
            Caller::Lead => Some(Person::of(&self.soc.lead).id),
            Caller::Admin => Some(self.admin.id.clone()),
            Caller::Outsider => Some(Person::of(&self.cert.lead).id),
            Caller::Anonymous => None,
        }
    }

    fn lead(&self) -> &str {
        &self.soc.lead.token
    }

    /// How many incidents of `SOC` its lead sees.
    async fn incident_count(&self) -> i64 {
        self.b.list(self.lead(), json!({ "teamId": team_id(&self.soc) })).await.1
    }

    /// A fresh incident (made by the lead, who owns it) in the state `mutation` applies to, and
    /// the mutation's input for it.
    async fn prepare(&self, mutation: &str, n: usize) -> (String, i64, Value) {
        let (b, lead) = (&self.b, self.lead());
        let id = id_of(&b.report(lead, &team_id(&self.soc), &format!("Matrix {mutation} {n}"), json!({})).await);
        let mut version = 1;
        if mutation != "acknowledgeIncident" {
            version = b.step(lead, "acknowledgeIncident", &id, version, json!({})).await;
        }
        let viewer = Person::of(&self.soc.viewer).id;
        let input = match mutation {
            "acknowledgeIncident" => json!({}),
            "classifyIncident" => json!({ "severity": "MEDIUM" }),
            "transitionIncident" => {
                version = b.step(lead, "classifyIncident", &id, version, triage()).await;
                json!({ "to": "D4" })
            }
            "recordAction" => json!({ "kind": "NOTE", "summary": "Looked at it", "services": ["A-9"] }),
            "closeIncident" => json!({ "resolution": "FALSE_POSITIVE" }),
            "reopenIncident" => {
                version = b.step(lead, "closeIncident", &id, version, json!({ "resolution": "BENIGN" })).await;
                json!({ "reason": "more hosts affected" })
            }
            "reassignIncident" => json!({ "ownerId": Person::of(&self.soc.responder).id }),
            "restrictIncident" => json!({ "restricted": true }),
            "setIncidentHold" => json!({ "reason": "waiting for the vendor" }),
            "addIncidentParticipant" => json!({ "personId": viewer }),
            "removeIncidentParticipant" => {
                version = b.step(lead, "addIncidentParticipant", &id, version, json!({ "personId": viewer })).await;
                json!({ "personId": viewer })
            }
            other => unreachable!("no preparation for {other}"),
        };
        let mut input = merge(json!({ "incidentId": id }), input);
        if mutation != "recordAction" {
            input["expectedVersion"] = json!(version);
        }
        (id, version, input)
    }

    /// Runs the representative request of `rule` as `caller`: the reply, and whether its effect
    /// is visible (the change was stored, or the answer holds the team's data).
    async fn probe(&self, rule: &str, caller: Caller, n: usize) -> (Reply, bool) {
        let (b, token) = (&self.b, self.token(caller));
        let directory = self.directory();
        let soc = team_id(&self.soc);
        let responder = Person::of(&self.soc.responder);
        let target = id_of(&self.target);
        let list_has = |list: &Value, field: &str, value: &str| {
            list.as_array().is_some_and(|items| items.iter().any(|item| item[field] == value))
        };
        match rule {
            "Query.apiTokens" => {
                let query = "query($p: ID) { apiTokens(personId: $p) { id personId prefix } }";
                let reply = b.post(token, query, json!({ "p": responder.id })).await;
                let tokens = reply.data("apiTokens").as_array().cloned().unwrap_or_default();
                let effect = !tokens.is_empty() && tokens.iter().all(|t| t["personId"] == responder.id.as_str());
                (reply, effect)
            }
            "Query.catalog" => {
                let reply = b.post(token, "{ catalog { services { code } } }", json!({})).await;
                let effect = reply.data("catalog")["services"].as_array().is_some_and(|s| s.len() == 64);
                (reply, effect)
            }
            "Query.eventCursor" => {
                let reply = b.post(token, "{ eventCursor }", json!({})).await;
                let effect = reply.data("eventCursor").as_str().is_some_and(|c| c.starts_with("ev:"));
                (reply, effect)
            }
            "Query.incident" => {
                let reply =
                    b.post(token, "query($id: ID!) { incident(id: $id) { id } }", json!({ "id": target })).await;
                let effect = reply.data("incident")["id"] == target.as_str();
                (reply, effect)
            }
            "Query.incidentByKey" => {
                let query = "query($key: String!, $team: ID) { incidentByKey(key: $key, teamId: $team) { id } }";
                let reply = b.post(token, query, json!({ "key": self.target["key"], "team": soc })).await;
                let effect = reply.data("incidentByKey")["id"] == target.as_str();
                (reply, effect)
            }
            "Query.incidents" => {
                let query = "query($team: ID) { incidents(first: 100, filter: { teamId: $team }) { totalCount \
                             nodes { id } } }";
                let reply = b.post(token, query, json!({ "team": soc })).await;
                let page = reply.data("incidents");
                let effect = list_has(&page["nodes"], "id", &target) || page["totalCount"].as_i64().unwrap_or(0) > 0;
                (reply, effect)
            }
            "Query.me" => {
                let reply = b.post(token, "{ me { person { id } } }", json!({})).await;
                let effect = self.person_id(caller).is_some_and(|me| reply.data("me")["person"]["id"] == me.as_str());
                (reply, effect)
            }
            "Query.teams" => {
                let reply = b.post(token, "{ teams { id } }", json!({})).await;
                let effect = list_has(reply.data("teams"), "id", &soc);
                (reply, effect)
            }
            "Incident.auditTrail" => {
                let query = "query($id: ID!) { incident(id: $id) { id auditTrail { seq operation } } }";
                let reply = b.post(token, query, json!({ "id": target })).await;
                let effect = reply.data("incident")["auditTrail"].as_array().is_some_and(|t| !t.is_empty());
                (reply, effect)
            }
            "Team.members" => {
                let reply = b.post(token, "{ teams { id members { role person { id } } } }", json!({})).await;
                let lead = Person::of(&self.soc.lead).id;
                let ours =
                    reply.data("teams").as_array().and_then(|teams| teams.iter().find(|t| t["id"] == soc.as_str()));
                let effect = ours.is_some_and(|team| {
                    let members = team["members"].as_array().cloned().unwrap_or_default();
                    members.iter().any(|m| m["person"]["id"] == lead.as_str() && m["role"] == "LEAD")
                });
                (reply, effect)
            }
            "Query.teamDashboard" => {
                let query = "query($team: ID!) { teamDashboard(teamId: $team) { openIncidents } }";
                let reply = b.post(token, query, json!({ "team": soc })).await;
                let effect = reply.data("teamDashboard")["openIncidents"].as_i64().unwrap_or(0) > 0;
                (reply, effect)
            }
            "Mutation.setSlaPolicy" | "Mutation.setServicePortfolio" => {
                let operation = &rule["Mutation.".len()..];
                let audited = format!("SELECT COUNT(*) FROM audit_records WHERE operation = '{operation}'");
                let before = scalar(&b.db.database, &audited).await;
                let reply = if operation == "setSlaPolicy" {
                    let targets = json!([{ "priority": "P1", "clock": "ACKNOWLEDGE", "targetSeconds": 600 + n }]);
                    let input = json!({ "teamId": soc, "targets": targets });
                    b.mutation(token, operation, "SetSlaPolicyInput", "priority clock targetSeconds", input).await
                } else {
                    let input = json!({ "teamId": soc, "services": [{ "code": "C-1", "provision": "IN_HOUSE" }] });
                    b.mutation(token, operation, "SetServicePortfolioInput", "provision", input).await
                };
                (reply, scalar(&b.db.database, &audited).await > before)
            }
            "Mutation.reportIncident" => {
                let before = self.incident_count().await;
                let input = json!({ "teamId": soc, "title": format!("Matrix report {n}") });
                let reply = b.mutation(token, "reportIncident", "ReportIncidentInput", "id", input).await;
                (reply, self.incident_count().await > before)
            }
            "Mutation.createTeam" => {
                let key = format!("NEW-{n}");
                let input = json!({ "key": key, "name": format!("Matrix team {n}") });
                let reply = b.mutation(token, "createTeam", "CreateTeamInput", "id key", input).await;
                let teams = b.ok(&self.admin.token, "{ teams { key } }", json!({})).await;
                (reply, list_has(&teams["teams"], "key", &key))
            }
            "Mutation.createPerson" => {
                let count = || scalar(&b.db.database, "SELECT COUNT(*) FROM people");
                let before = count().await;
                let input = json!({ "name": format!("Matrix person {n}") });
                let reply = b.mutation(token, "createPerson", "CreatePersonInput", "id name", input).await;
                (reply, count().await > before)
            }
            "Mutation.setTeamMember" => {
                let newcomer = directory.person(&format!("Matrix newcomer {n}"), false).await;
                let input = json!({ "teamId": soc, "personId": newcomer.id, "role": "VIEWER" });
                let reply = b.mutation(token, "setTeamMember", "SetTeamMemberInput", "", input).await;
                (reply, directory.members(&team_id(&self.soc)).await.contains(&newcomer.id))
            }
            "Mutation.removeTeamMember" => {
                let member = directory.member(&self.soc, &format!("Matrix member {n}"), Role::Viewer).await;
                let input = json!({ "teamId": soc, "personId": member.id });
                let reply = b.mutation(token, "removeTeamMember", "RemoveTeamMemberInput", "", input).await;
                (reply, !directory.members(&team_id(&self.soc)).await.contains(&member.id))
            }
            "Mutation.createApiToken" => {
                let before = directory.token_count().await;
                let input = json!({ "name": format!("Matrix token {n}"), "personId": responder.id });
                let reply = b.mutation(token, "createApiToken", "CreateApiTokenInput", "secret", input).await;
                (reply, directory.token_count().await > before)
            }
            "Mutation.revokeApiToken" => {
                let (id, _) = directory.token_for(responder.person_id(), None).await;
                let input = json!({ "tokenId": id });
                let reply = b.mutation(token, "revokeApiToken", "RevokeApiTokenInput", "id revokedAt", input).await;
                (reply, directory.token(&id).await.is_some_and(|t| t.revoked_at.is_some()))
            }
            _ => match rule.strip_prefix("Mutation.").filter(|m| INCIDENT_MUTATIONS.contains(m)) {
                Some(mutation) => {
                    let (id, version, input) = self.prepare(mutation, n).await;
                    let input_type = input_type_of(mutation);
                    let reply = b.mutation(token, mutation, &input_type, "__typename", input).await;
                    let after = b.incident(self.lead(), &id).await;
                    (reply, version_of(&after) != version)
                }
                None => panic!("no representative request for {rule}: add one to `World::probe`"),
            },
        }
    }
}

/// The outcome a reply shows, or why it shows none. A refused root field carries no data; a
/// refused nested field (`nested`) is the one the error's path names.
fn observed(reply: &Reply, effect: bool, nested: Option<&str>) -> Result<Outcome, String> {
    let Some(code) = reply.code() else {
        if reply.status != StatusCode::OK {
            return Err(format!("no error, but HTTP {}", reply.status));
        }
        return Ok(if effect { Outcome::Allowed } else { Outcome::Hidden });
    };
    let outcome = match (reply.status, code) {
        (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED") => Outcome::Unauthenticated,
        (StatusCode::OK, "FORBIDDEN") => Outcome::Forbidden,
        (StatusCode::OK, "NOT_FOUND") => Outcome::NotFound,
        (status, code) => return Err(format!("unexpected {code} with HTTP {status}")),
    };
    if effect {
        return Err(format!("refused with {code}, yet the effect is visible"));
    }
    match nested {
        _ if outcome == Outcome::Unauthenticated && reply.body.get("data").is_some() => {
            Err("unauthenticated, yet data came back".to_owned())
        }
        Some(field) if outcome != Outcome::Unauthenticated => {
            let path = &reply.body["errors"][0]["path"];
            let last = path.as_array().and_then(|p| p.last()).and_then(Value::as_str);
            if last == Some(field) || reply.carries_no_data() {
                Ok(outcome)
            } else {
                Err(format!("refused with {code} at {path}, not at {field}"))
            }
        }
        _ if !reply.carries_no_data() => Err(format!("refused with {code}, yet data came back")),
        _ => Ok(outcome),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_follows_the_role_table() {
    for b in backends().await {
        let w = World::new(b).await;
        let n = w.b.backend;

        let names: Vec<&str> = RULES.iter().map(|(name, _)| *name).collect();
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "[{n}] one row per operation");
        let schema = w
            .b
            .ok(w.lead(), "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }", json!({}))
            .await;
        let mut in_schema = BTreeSet::new();
        for (root, kind) in [("Query", "queryType"), ("Mutation", "mutationType")] {
            for field in schema["__schema"][kind]["fields"].as_array().unwrap() {
                in_schema.insert(format!("{root}.{}", text(&field["name"])));
            }
        }
        let in_table: BTreeSet<String> = unique
            .iter()
            .filter(|name| name.starts_with("Query.") || name.starts_with("Mutation."))
            .map(|name| (*name).to_owned())
            .collect();
        assert_eq!(
            in_table,
            in_schema,
            "[{n}] the role table lists exactly the schema's operations; without a rule: {:?}; not in the schema: {:?}",
            in_schema.difference(&in_table).collect::<Vec<_>>(),
            in_table.difference(&in_schema).collect::<Vec<_>>(),
        );
        for nested in unique.iter().filter(|name| !name.starts_with("Query.") && !name.starts_with("Mutation.")) {
            let (object, field) = nested.split_once('.').unwrap();
            let fields =
                w.b.ok(w.lead(), "query($t: String!) { __type(name: $t) { fields { name } } }", json!({ "t": object }))
                    .await;
            let exists = fields["__type"]["fields"].as_array().is_some_and(|f| f.iter().any(|f| f["name"] == field));
            assert!(exists, "[{n}] the table's nested field {nested} is in the schema");
        }

        let mut failures = Vec::new();
        for (row, (rule, expected)) in RULES.iter().enumerate() {
            for (column, caller) in CALLERS.iter().enumerate() {
                let (reply, effect) = w.probe(rule, *caller, row * 10 + column).await;
                let want = expected[column];
                let nested = (!rule.starts_with("Query.") && !rule.starts_with("Mutation."))
                    .then(|| rule.split_once('.').map_or(*rule, |(_, field)| field));
                match observed(&reply, effect, nested) {
                    Ok(got) if got == want => {}
                    Ok(got) => {
                        failures.push(format!("{rule} as {caller:?}: expected {want:?}, got {got:?}: {}", reply.body))
                    }
                    Err(why) => {
                        failures.push(format!("{rule} as {caller:?}: expected {want:?}, but {why}: {}", reply.body))
                    }
                }
            }
        }
        assert!(failures.is_empty(), "[{n}] {} cells of the role table fail:\n{}", failures.len(), failures.join("\n"));
    }
}

// ---------------------------------------------------------------------------------------------
// Another team's incident
// ---------------------------------------------------------------------------------------------

/// Every field an incident hangs things off, for probing nested paths.
const NESTED: &str = "id key title description owner { id name } reportedBy { id } team { id key members { role } } \
    actions { id summary performedBy { id } } transitions { to by { id } } timeline { summary } \
    services { code } stageProgress { stage state } participants { id } auditTrail { seq operation }";

/// The mutations on one incident with valid inputs (`person` as the person to name), at `version`.
fn incident_mutations(id: &str, version: i64, person: &str) -> Vec<(&'static str, Value)> {
    INCIDENT_MUTATIONS
        .iter()
        .map(|mutation| {
            let input = match *mutation {
                "acknowledgeIncident" => json!({}),
                "classifyIncident" => json!({ "severity": "LOW" }),
                "transitionIncident" => json!({ "to": "D4" }),
                "recordAction" => json!({ "kind": "NOTE", "summary": "Probing", "services": ["A-9"] }),
                "closeIncident" => json!({ "resolution": "FALSE_POSITIVE" }),
                "reopenIncident" => json!({ "reason": "probing" }),
                "reassignIncident" => json!({ "ownerId": person }),
                "restrictIncident" => json!({ "restricted": false }),
                "setIncidentHold" => json!({ "reason": "probing" }),
                "addIncidentParticipant" | "removeIncidentParticipant" => json!({ "personId": person }),
                other => unreachable!("no input for {other}"),
            };
            let mut input = merge(json!({ "incidentId": id }), input);
            if *mutation != "recordAction" {
                input["expectedVersion"] = json!(version);
            }
            (*mutation, input)
        })
        .collect()
}

/// Runs `query` twice as `token`, with `hidden` and with `missing` variables, and checks that both
/// replies are the same error with the same body.
async fn same_as_missing(b: &Backend, case: &str, token: &str, query: &str, hidden: Value, missing: Value, code: &str) {
    let n = b.backend;
    let hidden_reply = b.post(Some(token), query, hidden).await;
    let missing_reply = b.post(Some(token), query, missing).await;
    assert_eq!(hidden_reply.code(), Some(code), "[{n}] {case}: {}", hidden_reply.body);
    assert_eq!(hidden_reply, missing_reply, "[{n}] {case}: the hidden object and a missing one look the same");
}

/// The same for a mutation on `input` with one field set to a hidden and to a missing id: both
/// `NOT_FOUND`.
async fn same_mutation_as_missing(
    b: &Backend,
    case: &str,
    token: &str,
    mutation: &str,
    input: &Value,
    field: &str,
    hidden: &str,
) {
    let query =
        format!("mutation($input: {}!) {{ {mutation}(input: $input) {{ __typename }} }}", input_type_of(mutation));
    let with = |value: &str| {
        let mut input = input.clone();
        input[field] = json!(value);
        json!({ "input": input })
    };
    same_as_missing(b, &format!("{case}: {mutation}"), token, &query, with(hidden), with(&random_id()), "NOT_FOUND")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_teams_incident_is_not_found_through_every_path_exactly_like_a_missing_one() {
    const THEIR_TITLE: &str = "Exfiltration through a rogue OAuth app";
    const THEIR_NEEDLE: &str = "needle-7f3a";
    for b in backends().await {
        let n = b.backend;
        let directory = Directory { db: &b.db };
        let ours = team_fixture(&b.db.database, "SOC").await;
        let theirs = team_fixture(&b.db.database, "CERT").await;
        let admin = directory.person("Instance admin", true).await;
        let at = past_hour();
        let period = json!({ "reportedFrom": rfc3339(at), "reportedTo": rfc3339(at + Duration::hours(1)) });

        let their_responder = theirs.responder.token.as_str();
        for filler in ["Their first incident", "Their second incident"] {
            b.report(their_responder, &team_id(&theirs), filler, json!({})).await;
        }
        let details =
            json!({ "description": format!("Found {THEIR_NEEDLE} in the app grant"), "reportedAt": rfc3339(at) });
        let hidden = b.report(their_responder, &team_id(&theirs), THEIR_TITLE, details).await;
        let (hidden_id, hidden_key) = (id_of(&hidden), text(&hidden["key"]));
        let mut version = b.step(their_responder, "acknowledgeIncident", &hidden_id, 1, json!({})).await;
        version = b.step(their_responder, "classifyIncident", &hidden_id, version, triage()).await;
        let their_action = b.record(their_responder, &hidden_id, "C-1").await;
        version += 1;

        let our_responder = ours.responder.token.as_str();
        let twin =
            b.report(our_responder, &team_id(&ours), "Our own incident", json!({ "reportedAt": rfc3339(at) })).await;
        let twin_id = id_of(&twin);
        let mut twin_version = b.step(our_responder, "acknowledgeIncident", &twin_id, 1, json!({})).await;
        twin_version = b.step(our_responder, "classifyIncident", &twin_id, twin_version, triage()).await;
        b.record(our_responder, &twin_id, "C-1").await;
        twin_version += 1;
        let priority = b.priority(&theirs.lead.token, &hidden_id).await;

        let us = [
            ("our lead", ours.lead.token.as_str()),
            ("our responder", our_responder),
            ("our viewer", ours.viewer.token.as_str()),
            ("an administrator", admin.token.as_str()),
        ];

        // incidents(filter): (case, filter, our incident matches, theirs matches).
        let their_owner = Person::of(&theirs.responder).id;
        let our_owner = Person::of(&ours.responder).id;
        let every_filter = merge(
            json!({ "stage": ["D3"], "status": "OPEN", "severity": ["HIGH"], "priority": [priority] }),
            merge(json!({ "service": "C-1" }), period.clone()),
        );
        let filters = [
            ("no filter", json!({}), true, true),
            ("teamId", json!({ "teamId": team_id(&theirs) }), false, true),
            ("stage", json!({ "stage": ["D3"] }), true, true),
            ("status", json!({ "status": "OPEN" }), true, true),
            ("severity", json!({ "severity": ["HIGH"] }), true, true),
            ("priority", json!({ "priority": [priority] }), true, true),
            ("their owner", json!({ "ownerId": their_owner }), false, true),
            ("our owner", json!({ "ownerId": our_owner }), true, false),
            ("service", json!({ "service": "C-1" }), true, true),
            ("period", period.clone(), true, true),
            ("search for their exact title", json!({ "search": THEIR_TITLE }), false, true),
            ("search for their description", json!({ "search": THEIR_NEEDLE }), false, true),
            ("search for their key", json!({ "search": hidden_key }), false, true),
            ("every filter at once", every_filter, true, true),
        ];
        for (case, filter, ours_match, theirs_match) in &filters {
            let (seen, _) = b.list(&theirs.lead.token, filter.clone()).await;
            assert_eq!(
                seen.contains(&hidden_id),
                *theirs_match,
                "[{n}] control: {case} selects their incident for them"
            );
            for (who, token) in us {
                let expected: BTreeSet<String> =
                    if *ours_match && who != "an administrator" { [twin_id.clone()].into() } else { BTreeSet::new() };
                let (ids, total) = b.list(token, filter.clone()).await;
                assert_eq!(ids, expected, "[{n}] {who}, {case}: only what they may see");
                assert_eq!(
                    total,
                    i64::try_from(ids.len()).unwrap(),
                    "[{n}] {who}, {case}: totalCount counts only that"
                );
                let query = "query($f: IncidentFilter) { incidents(first: 100, filter: $f) { totalCount \
                             pageInfo { hasNextPage endCursor } nodes { id } } }";
                let in_their_team = merge(filter.clone(), json!({ "teamId": team_id(&theirs) }));
                let in_no_team = merge(filter.clone(), json!({ "teamId": random_id() }));
                let their_team = b.post(Some(token), query, json!({ "f": in_their_team })).await;
                let no_team = b.post(Some(token), query, json!({ "f": in_no_team })).await;
                assert!(their_team.succeeded(), "[{n}] {who}, {case} in their team: {}", their_team.body);
                assert_eq!(their_team.data("incidents")["totalCount"], 0, "[{n}] {who}, {case} in their team: nothing");
                assert_eq!(
                    their_team, no_team,
                    "[{n}] {who}, {case}: their team lists like a team that does not exist"
                );
            }
        }

        let year = &hidden_key[4..8];
        let missing_key = format!("INC-{year}-999999");
        for (who, token) in us {
            let by_id = format!("query($id: ID!) {{ incident(id: $id) {{ {NESTED} }} }}");
            same_as_missing(
                &b,
                &format!("{who}: incident(id) with every nested field"),
                token,
                &by_id,
                json!({ "id": hidden_id }),
                json!({ "id": random_id() }),
                "NOT_FOUND",
            )
            .await;
            let reply = b.post(Some(token), &by_id, json!({ "id": hidden_id })).await;
            assert_eq!(reply.body["data"], json!({ "incident": null }), "[{n}] {who}: the field is present and null");

            let by_key =
                format!("query($key: String!, $team: ID) {{ incidentByKey(key: $key, teamId: $team) {{ {NESTED} }} }}");
            same_as_missing(
                &b,
                &format!("{who}: incidentByKey"),
                token,
                &by_key,
                json!({ "key": hidden_key }),
                json!({ "key": missing_key }),
                "NOT_FOUND",
            )
            .await;
            same_as_missing(
                &b,
                &format!("{who}: incidentByKey in their team"),
                token,
                &by_key,
                json!({ "key": hidden_key, "team": team_id(&theirs) }),
                json!({ "key": missing_key, "team": team_id(&theirs) }),
                "NOT_FOUND",
            )
            .await;
            same_as_missing(
                &b,
                &format!("{who}: incidentByKey naming their team"),
                token,
                &by_key,
                json!({ "key": hidden_key, "team": team_id(&theirs) }),
                json!({ "key": hidden_key, "team": random_id() }),
                "NOT_FOUND",
            )
            .await;

            for (mutation, input) in incident_mutations(&hidden_id, version, &Person::of(&ours.responder).id) {
                same_mutation_as_missing(&b, who, token, mutation, &input, "incidentId", &hidden_id).await;
            }
            let report = json!({ "teamId": "", "title": "Into their team" });
            same_mutation_as_missing(&b, who, token, "reportIncident", &report, "teamId", &team_id(&theirs)).await;

            let teams = b.ok(token, "{ teams { id } me { teams { team { id } } } }", json!({})).await;
            let listed = teams.to_string();
            if who == "an administrator" {
                assert!(listed.contains(&team_id(&theirs)), "[{n}] an administrator sees every team: {listed}");
            } else {
                assert!(!listed.contains(&team_id(&theirs)), "[{n}] {who} does not see their team: {listed}");
            }
        }

        let lead = ours.lead.token.as_str();
        let their_member = Person::of(&theirs.viewer).id;
        let membership = json!({ "teamId": "", "personId": Person::of(&ours.viewer).id, "role": "VIEWER" });
        for (mutation, input) in
            [("setTeamMember", membership), ("removeTeamMember", json!({ "teamId": "", "personId": their_member }))]
        {
            let query = format!("mutation($input: {}!) {{ {mutation}(input: $input) }}", input_type_of(mutation));
            let with = |team: &str| {
                let mut input = input.clone();
                input["teamId"] = json!(team);
                json!({ "input": input })
            };
            same_as_missing(
                &b,
                &format!("our lead: {mutation} on their team"),
                lead,
                &query,
                with(&team_id(&theirs)),
                with(&random_id()),
                "NOT_FOUND",
            )
            .await;
        }
        assert_eq!(directory.members(&team_id(&theirs)).await.len(), 3, "[{n}] their members are unchanged");

        let (their_token_id, their_secret) = directory.token_for(Person::of(&theirs.responder).person_id(), None).await;
        let revoke = json!({ "tokenId": "" });
        same_mutation_as_missing(&b, "our lead", lead, "revokeApiToken", &revoke, "tokenId", &their_token_id).await;
        b.ok(&their_secret, "{ me { person { id } } }", json!({})).await;
        let tokens = "query($p: ID) { apiTokens(personId: $p) { id prefix } }";
        same_as_missing(
            &b,
            "our lead: apiTokens of their responder",
            lead,
            tokens,
            json!({ "p": their_owner }),
            json!({ "p": random_id() }),
            "FORBIDDEN",
        )
        .await;

        let twin_now = json!({ "incidentId": twin_id, "expectedVersion": twin_version });
        let references = [
            (
                "closeIncident",
                merge(twin_now.clone(), json!({ "resolution": "DUPLICATE" })),
                "duplicateOf",
                hidden_id.clone(),
            ),
            (
                "recordAction",
                json!({ "incidentId": twin_id, "kind": "NOTE", "summary": "Correction", "services": ["A-9"] }),
                "supersedes",
                their_action.clone(),
            ),
            ("reassignIncident", twin_now.clone(), "ownerId", their_owner.clone()),
            ("addIncidentParticipant", twin_now.clone(), "personId", their_owner.clone()),
        ];
        for (mutation, input, field, reference) in references {
            let query = format!(
                "mutation($input: {}!) {{ {mutation}(input: $input) {{ __typename }} }}",
                input_type_of(mutation)
            );
            let with = |value: &str| {
                let mut input = input.clone();
                input[field] = json!(value);
                json!({ "input": input })
            };
            let naming_theirs = b.post(Some(lead), &query, with(&reference)).await;
            let naming_nothing = b.post(Some(lead), &query, with(&random_id())).await;
            let refused = naming_theirs.code().is_some();
            assert!(refused, "[{n}] {mutation} on ours naming their {field} is refused: {}", naming_theirs.body);
            assert_eq!(
                naming_theirs, naming_nothing,
                "[{n}] {mutation}: naming their {field} looks like naming nothing"
            );
        }
        let ours_after = b.incident(lead, &twin_id).await;
        assert_eq!(version_of(&ours_after), twin_version, "[{n}] refused references change nothing");
        let members = b
            .ok(
                lead,
                "query($id: ID!) { incident(id: $id) { team { members { person { id } } } } }",
                json!({ "id": twin_id }),
            )
            .await;
        assert!(!members.to_string().contains(&their_owner), "[{n}] our team's members are ours only");

        let untouched = b.incident(&theirs.lead.token, &hidden_id).await;
        assert_eq!(version_of(&untouched), version, "[{n}] their incident was not changed");
        assert_eq!(untouched["participants"], json!([]), "[{n}] nobody was named on it");
        assert_eq!(untouched["actions"].as_array().unwrap().len(), 1, "[{n}] no action was added");
        assert_eq!(untouched["restricted"], false, "[{n}]");
    }
}

// ---------------------------------------------------------------------------------------------
// Restricted incidents
// ---------------------------------------------------------------------------------------------

/// A restricted incident under probe, and the filters that all select it.
struct Probed<'a> {
    b: &'a Backend,
    team: &'a TeamFixture,
    id: String,
    key: String,
    filters: Vec<(&'static str, Value)>,
}

impl Probed<'_> {
    /// Reports `title` as `owner` with `extra`; the team's lead acknowledges it for `owner`
    /// (whoever may see it then), triages it and records an action, so that every filter
    /// selects it.
    async fn new<'a>(
        b: &'a Backend,
        team: &'a TeamFixture,
        owner: &Person,
        title: &'static str,
        extra: Value,
    ) -> Probed<'a> {
        let at = past_hour();
        let reported =
            b.report(&owner.token, &team_id(team), title, merge(json!({ "reportedAt": rfc3339(at) }), extra)).await;
        let (id, key) = (id_of(&reported), text(&reported["key"]));
        let lead = team.lead.token.as_str();
        let version = b.step(lead, "acknowledgeIncident", &id, 1, json!({ "ownerId": owner.id })).await;
        b.step(lead, "classifyIncident", &id, version, json!({ "severity": "HIGH", "urgency": "HIGH" })).await;
        b.record(lead, &id, "C-1").await;
        let priority = b.priority(lead, &id).await;
        let filters = vec![
            ("no filter", json!({})),
            ("teamId", json!({ "teamId": team_id(team) })),
            ("stage", json!({ "stage": ["D3"] })),
            ("status", json!({ "status": "OPEN" })),
            ("severity", json!({ "severity": ["HIGH"] })),
            ("priority", json!({ "priority": [priority] })),
            ("ownerId", json!({ "ownerId": owner.id })),
            ("service", json!({ "service": "C-1" })),
            ("period", json!({ "reportedFrom": rfc3339(at), "reportedTo": rfc3339(at + Duration::hours(1)) })),
            ("search by title", json!({ "search": title })),
            ("search by key", json!({ "search": key })),
        ];
        Probed { b, team, id, key, filters }
    }

    async fn version(&self) -> i64 {
        version_of(&self.b.incident(&self.team.lead.token, &self.id).await)
    }

    /// Checks that `who` sees the incident through every path.
    async fn assert_visible(&self, who: &str, person: &Person) {
        let (b, n) = (self.b, self.b.backend);
        let found = b.incident(&person.token, &self.id).await;
        assert_eq!(id_of(&found), self.id, "[{n}] {who} sees it by id");
        let by_key = "query($key: String!, $team: ID) { incidentByKey(key: $key, teamId: $team) { id } }";
        for team in [Value::Null, json!(team_id(self.team))] {
            let data = b.ok(&person.token, by_key, json!({ "key": self.key, "team": team })).await;
            assert_eq!(data["incidentByKey"]["id"], self.id.as_str(), "[{n}] {who} sees it by key (team {team})");
        }
        for (case, filter) in &self.filters {
            let (ids, total) = b.list(&person.token, filter.clone()).await;
            assert!(ids.contains(&self.id), "[{n}] {who} finds it in the list with {case}");
            assert_eq!(total, i64::try_from(ids.len()).unwrap(), "[{n}] {who}, {case}: totalCount");
        }
    }

    /// Checks that the incident does not exist for `who`: every read path and every mutation
    /// answers as for a missing incident, and nothing changes.
    async fn assert_hidden(&self, who: &str, person: &Person) {
        let (b, n) = (self.b, self.b.backend);
        let version = self.version().await;
        let by_id = format!("query($id: ID!) {{ incident(id: $id) {{ {NESTED} }} }}");
        let token = person.token.as_str();
        same_as_missing(
            b,
            &format!("{who}: incident(id)"),
            token,
            &by_id,
            json!({ "id": self.id }),
            json!({ "id": random_id() }),
            "NOT_FOUND",
        )
        .await;
        let missing_key = format!("INC-{}-999999", &self.key[4..8]);
        let by_key = "query($key: String!, $team: ID) { incidentByKey(key: $key, teamId: $team) { id title } }";
        for team in [Value::Null, json!(team_id(self.team))] {
            same_as_missing(
                b,
                &format!("{who}: incidentByKey (team {team})"),
                token,
                by_key,
                json!({ "key": self.key, "team": team }),
                json!({ "key": missing_key, "team": team }),
                "NOT_FOUND",
            )
            .await;
        }
        for (case, filter) in &self.filters {
            let (ids, total) = b.list(token, filter.clone()).await;
            assert!(!ids.contains(&self.id), "[{n}] {who} does not find it in the list with {case}");
            assert_eq!(total, i64::try_from(ids.len()).unwrap(), "[{n}] {who}, {case}: totalCount does not count it");
        }
        for (mutation, input) in incident_mutations(&self.id, version, &person.id) {
            same_mutation_as_missing(b, who, token, mutation, &input, "incidentId", &self.id).await;
        }
        assert_eq!(self.version().await, version, "[{n}] {who}'s refused mutations changed nothing");
    }

    /// Runs an access mutation as `token` with `input`, which must succeed.
    async fn access(&self, token: &str, mutation: &str, input: Value) -> Value {
        let version = self.version().await;
        let input = merge(json!({ "incidentId": self.id, "expectedVersion": version }), input);
        self.b.change(token, mutation, input).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restricted_incident_is_visible_only_to_its_owner_participants_and_leads() {
    for b in backends().await {
        let n = b.backend;
        let directory = Directory { db: &b.db };
        let team = team_fixture(&b.db.database, "SOC").await;
        let (owner, lead, viewer) = (Person::of(&team.responder), Person::of(&team.lead), Person::of(&team.viewer));
        let colleague = directory.member(&team, "SOC second responder", Role::Responder).await;
        let incident = Probed::new(&b, &team, &owner, "Payroll mailbox compromise", json!({})).await;
        incident.assert_visible("another responder, before the mark", &colleague).await;
        incident.assert_visible("a viewer, before the mark", &viewer).await;

        let marked = incident.access(&lead.token, "restrictIncident", json!({ "restricted": true })).await;
        assert_eq!(
            (marked["restricted"].clone(), marked["accessLimited"].clone()),
            (json!(true), json!(true)),
            "[{n}]"
        );
        incident.assert_hidden("another responder", &colleague).await;
        incident.assert_hidden("a viewer", &viewer).await;
        incident.assert_visible("the owner", &owner).await;
        incident.assert_visible("a lead", &lead).await;

        let named = incident.access(&lead.token, "addIncidentParticipant", json!({ "personId": colleague.id })).await;
        assert_eq!(named["restricted"], true, "[{n}] naming someone keeps the mark");
        incident.assert_visible("a participant", &colleague).await;
        incident.assert_hidden("a viewer beside a participant", &viewer).await;
        let participants = b.incident(&colleague.token, &incident.id).await["participants"].clone();
        assert_eq!(participants, json!([{ "id": colleague.id }]), "[{n}] the participant is listed");

        incident.access(&owner.token, "removeIncidentParticipant", json!({ "personId": colleague.id })).await;
        incident.assert_hidden("a former participant", &colleague).await;

        let lifted = incident.access(&lead.token, "restrictIncident", json!({ "restricted": false })).await;
        assert_eq!(
            (lifted["restricted"].clone(), lifted["accessLimited"].clone()),
            (json!(false), json!(false)),
            "[{n}]"
        );
        incident.assert_visible("another responder, after the mark is lifted", &colleague).await;
        incident.assert_visible("a viewer, after the mark is lifted", &viewer).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tlp_red_incident_is_restricted_without_the_mark() {
    for b in backends().await {
        let n = b.backend;
        let directory = Directory { db: &b.db };
        let team = team_fixture(&b.db.database, "SOC").await;
        let (owner, lead, viewer) = (Person::of(&team.responder), Person::of(&team.lead), Person::of(&team.viewer));
        let colleague = directory.member(&team, "SOC second responder", Role::Responder).await;
        let incident = Probed::new(&b, &team, &owner, "Board member's phone seized", json!({ "tlp": "RED" })).await;
        let state = b.incident(&lead.token, &incident.id).await;
        assert_eq!((state["restricted"].clone(), state["accessLimited"].clone()), (json!(false), json!(true)), "[{n}]");

        incident.assert_hidden("another responder", &colleague).await;
        incident.assert_hidden("a viewer", &viewer).await;
        incident.assert_visible("the owner", &owner).await;
        incident.assert_visible("a lead", &lead).await;

        incident.access(&lead.token, "addIncidentParticipant", json!({ "personId": colleague.id })).await;
        incident.assert_visible("a participant", &colleague).await;
        incident.assert_hidden("a viewer beside a participant", &viewer).await;
        incident.access(&lead.token, "removeIncidentParticipant", json!({ "personId": colleague.id })).await;
        incident.assert_hidden("a former participant", &colleague).await;

        incident.access(&lead.token, "restrictIncident", json!({ "restricted": false })).await;
        incident.assert_hidden("another responder, with no mark to lift", &colleague).await;
        incident.assert_hidden("a viewer, with no mark to lift", &viewer).await;

        incident.access(&owner.token, "classifyIncident", json!({ "tlp": "AMBER" })).await;
        incident.assert_visible("another responder, once it is AMBER", &colleague).await;
        incident.assert_visible("a viewer, once it is AMBER", &viewer).await;
    }
}

// ---------------------------------------------------------------------------------------------
// API tokens
// ---------------------------------------------------------------------------------------------

const TOKEN_FIELDS: &str = "id name prefix personId createdAt expiresAt revokedAt lastUsedAt";
const WHO_AM_I: &str = "{ me { person { id } } }";

/// Creates a token through the API as `token` with `input`; the reply.
async fn create_token(b: &Backend, token: &str, input: Value) -> Reply {
    let selection = format!("secret token {{ {TOKEN_FIELDS} }}");
    b.mutation(Some(token), "createApiToken", "CreateApiTokenInput", &selection, input).await
}

/// Revokes a token through the API as `token`; the reply.
async fn revoke_token(b: &Backend, token: &str, id: &str) -> Reply {
    b.mutation(Some(token), "revokeApiToken", "RevokeApiTokenInput", TOKEN_FIELDS, json!({ "tokenId": id })).await
}

/// Checks that `secret` is refused with 401 `UNAUTHENTICATED`.
async fn assert_refused(b: &Backend, case: &str, secret: &str) {
    let reply = b.post(Some(secret), WHO_AM_I, json!({})).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "[{}] {case}: {}", b.backend, reply.body);
    assert_eq!(reply.code(), Some("UNAUTHENTICATED"), "[{}] {case}: {}", b.backend, reply.body);
    assert!(reply.body.get("data").is_none(), "[{}] {case}: nothing ran: {}", b.backend, reply.body);
}

/// The tokens `token` lists for `person` (their own when `None`), which must succeed.
async fn tokens_of(b: &Backend, token: &str, person: Option<&str>) -> Value {
    let query = format!("query($p: ID) {{ apiTokens(personId: $p) {{ {TOKEN_FIELDS} }} }}");
    b.ok(token, &query, json!({ "p": person })).await["apiTokens"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_token_is_shown_once_works_and_stops_at_revocation() {
    for b in backends().await {
        let n = b.backend;
        let team = team_fixture(&b.db.database, "SOC").await;
        let person = Person::of(&team.responder);

        let reply = create_token(&b, &person.token, json!({ "name": "laptop" })).await;
        assert!(reply.succeeded(), "[{n}] a person creates a token for themselves: {}", reply.body);
        let created = reply.data("createApiToken");
        let secret = text(&created["secret"]);
        let info = created["token"].clone();
        let token_id = id_of(&info);
        let random_part = secret.strip_prefix("taio_").unwrap_or_else(|| panic!("[{n}] {secret} starts with taio_"));
        assert!(random_part.len() >= 43, "[{n}] at least 256 bits of base64 after the prefix: {}", random_part.len());
        let prefix = text(&info["prefix"]);
        assert!(secret.starts_with(&prefix) && prefix.len() < secret.len() / 2, "[{n}] the prefix is a short start");
        assert_eq!(info["personId"], person.id.as_str(), "[{n}] the token is theirs");
        assert_eq!(info["name"], "laptop", "[{n}]");
        assert!(info["lastUsedAt"].is_null() && info["revokedAt"].is_null(), "[{n}] unused, not revoked: {info}");

        let api_token = b.ok(&person.token, r#"{ __type(name: "ApiToken") { fields { name } } }"#, json!({})).await;
        let fields = api_token["__type"]["fields"].to_string().to_lowercase();
        assert!(!fields.contains("secret") && !fields.contains("hash"), "[{n}] ApiToken has no secret field: {fields}");
        let listed = b.ok(&person.token, &format!("{{ me {{ tokens {{ {TOKEN_FIELDS} }} }} }}"), json!({})).await;
        let own = tokens_of(&b, &person.token, None).await;
        for (case, list) in [("me.tokens", &listed["me"]["tokens"]), ("apiTokens", &own)] {
            assert!(
                list.as_array().unwrap().iter().any(|t| t["id"] == token_id.as_str() && t["prefix"] == prefix.as_str()),
                "[{n}] {case} lists the token by its prefix: {list}"
            );
            assert!(!list.to_string().contains(random_part), "[{n}] {case} never shows the secret: {list}");
        }
        let again = create_token(&b, &person.token, json!({ "name": "laptop" })).await;
        assert_ne!(text(&again.data("createApiToken")["secret"]), secret, "[{n}] every secret is new");

        let me = b.ok(&secret, WHO_AM_I, json!({})).await;
        assert_eq!(me["me"]["person"]["id"], person.id.as_str(), "[{n}] the new token authenticates its person");
        let used = tokens_of(&b, &secret, None).await;
        let used = used.as_array().unwrap().iter().find(|t| t["id"] == token_id.as_str()).unwrap().clone();
        assert!(used["lastUsedAt"].is_string(), "[{n}] lastUsedAt is set once the token is used: {used}");

        let revoked = revoke_token(&b, &person.token, &token_id).await;
        assert!(revoked.succeeded(), "[{n}] a person revokes their own token: {}", revoked.body);
        assert!(revoked.data("revokeApiToken")["revokedAt"].is_string(), "[{n}] revokedAt is set");
        assert_refused(&b, "the next request with a revoked token", &secret).await;
        b.ok(&person.token, WHO_AM_I, json!({})).await;

        let replay = revoke_token(&b, &person.token, &token_id).await;
        assert_eq!(
            replay.data("revokeApiToken")["revokedAt"],
            revoked.data("revokeApiToken")["revokedAt"],
            "[{n}] revoking twice keeps the first time: {}",
            replay.body
        );
        assert_refused(&b, "a revoked token after a second revocation", &secret).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiry_in_the_past_is_refused_and_an_expired_token_is_unauthenticated() {
    for b in backends().await {
        let n = b.backend;
        let directory = Directory { db: &b.db };
        let team = team_fixture(&b.db.database, "SOC").await;
        let person = Person::of(&team.responder);
        let before = directory.token_count().await;

        let past = rfc3339(Utc::now() - Duration::minutes(5));
        let reply = create_token(&b, &person.token, json!({ "name": "stale", "expiresAt": past })).await;
        assert_eq!(reply.code(), Some("BAD_USER_INPUT"), "[{n}] an expiry in the past: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], "expiresAt", "[{n}]");
        assert_eq!(directory.token_count().await, before, "[{n}] no token was created");

        let (_, expired) = directory.token_for(person.person_id(), Some(Utc::now() - Duration::seconds(1))).await;
        assert_refused(&b, "a token stored with a past expiry", &expired).await;

        let soon = Utc::now() + Duration::seconds(2);
        let reply =
            create_token(&b, &person.token, json!({ "name": "short-lived", "expiresAt": soon.to_rfc3339() })).await;
        assert!(reply.succeeded(), "[{n}] a near expiry is accepted: {}", reply.body);
        let secret = text(&reply.data("createApiToken")["secret"]);
        let me = b.ok(&secret, WHO_AM_I, json!({})).await;
        assert_eq!(me["me"]["person"]["id"], person.id.as_str(), "[{n}] it works until it expires");
        let wait = (soon - Utc::now()).to_std().unwrap_or_default() + std::time::Duration::from_millis(200);
        tokio::time::sleep(wait).await;
        assert_refused(&b, "a token past its expiry", &secret).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_administrator_lists_creates_and_revokes_another_persons_tokens() {
    for b in backends().await {
        let n = b.backend;
        let directory = Directory { db: &b.db };
        let team = team_fixture(&b.db.database, "SOC").await;
        let admin = directory.person("Instance admin", true).await;
        let owner = Person::of(&team.responder);
        let reply = create_token(&b, &owner.token, json!({ "name": "ci" })).await;
        let (token_id, secret) =
            (id_of(&reply.data("createApiToken")["token"]), text(&reply.data("createApiToken")["secret"]));

        for (who, other) in [("a viewer", Person::of(&team.viewer)), ("a lead", Person::of(&team.lead))] {
            let query = format!("query($p: ID) {{ apiTokens(personId: $p) {{ {TOKEN_FIELDS} }} }}");
            let listing = b.post(Some(&other.token), &query, json!({ "p": owner.id })).await;
            assert_eq!(listing.code(), Some("FORBIDDEN"), "[{n}] {who} lists another's tokens: {}", listing.body);
            assert!(listing.carries_no_data(), "[{n}] {who}: {}", listing.body);
            let own = tokens_of(&b, &other.token, None).await;
            assert!(!own.to_string().contains(&token_id), "[{n}] {who}'s own tokens are their own");

            let count = directory.token_count().await;
            let creating = create_token(&b, &other.token, json!({ "name": "sneaky", "personId": owner.id })).await;
            assert_eq!(
                creating.code(),
                Some("FORBIDDEN"),
                "[{n}] {who} creates a token for another: {}",
                creating.body
            );
            assert_eq!(directory.token_count().await, count, "[{n}] {who}: no token was created");

            let revoking = revoke_token(&b, &other.token, &token_id).await;
            let missing = revoke_token(&b, &other.token, &random_id()).await;
            assert_eq!(revoking.code(), Some("NOT_FOUND"), "[{n}] {who} revokes another's token: {}", revoking.body);
            assert_eq!(revoking, missing, "[{n}] {who}: another's token looks like a missing one");
            let me = b.ok(&secret, WHO_AM_I, json!({})).await;
            assert_eq!(me["me"]["person"]["id"], owner.id.as_str(), "[{n}] {who} did not revoke it");
        }

        let listed = tokens_of(&b, &admin.token, Some(&owner.id)).await;
        assert!(listed.as_array().unwrap().iter().any(|t| t["id"] == token_id.as_str()), "[{n}] an admin lists it");
        assert!(!listed.to_string().contains(&secret[5..]), "[{n}] without the secret");

        let issued = create_token(&b, &admin.token, json!({ "name": "for them", "personId": owner.id })).await;
        assert!(issued.succeeded(), "[{n}] an admin creates a token for another person: {}", issued.body);
        let issued_secret = text(&issued.data("createApiToken")["secret"]);
        let me = b.ok(&issued_secret, WHO_AM_I, json!({})).await;
        assert_eq!(me["me"]["person"]["id"], owner.id.as_str(), "[{n}] it authenticates that person, not the admin");

        let revoked = revoke_token(&b, &admin.token, &token_id).await;
        assert!(revoked.succeeded(), "[{n}] an admin revokes another person's token: {}", revoked.body);
        assert_refused(&b, "a token an admin revoked", &secret).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Teams and members
// ---------------------------------------------------------------------------------------------

/// A team built through the API: an administrator creates it and its lead, the lead adds a
/// responder who reports an incident.
struct BuiltTeam {
    team_id: String,
    lead: Person,
    responder: Person,
    incident: String,
}

/// `setTeamMember` as `token`.
async fn set_member(b: &Backend, token: &str, team: &str, person: &str, role: &str) -> Reply {
    let input = json!({ "teamId": team, "personId": person, "role": role });
    b.mutation(Some(token), "setTeamMember", "SetTeamMemberInput", "", input).await
}

async fn build_team(b: &Backend, admin: &Person) -> BuiltTeam {
    let n = b.backend;
    let created = b
        .mutation(
            Some(&admin.token),
            "createTeam",
            "CreateTeamInput",
            "id key",
            json!({ "key": "ir", "name": "Incident response" }),
        )
        .await;
    assert!(created.succeeded(), "[{n}] an admin creates a team: {}", created.body);
    assert_eq!(created.data("createTeam")["key"], "IR", "[{n}] keys are stored in capitals");
    let team_id = id_of(created.data("createTeam"));

    let mut people = Vec::new();
    for name in ["Lena Lead", "Rafa Responder"] {
        let person = b
            .mutation(Some(&admin.token), "createPerson", "CreatePersonInput", "id name", json!({ "name": name }))
            .await;
        assert!(person.succeeded(), "[{n}] an admin creates a person: {}", person.body);
        let id = id_of(person.data("createPerson"));
        let token = create_token(b, &admin.token, json!({ "name": "first", "personId": id })).await;
        assert!(token.succeeded(), "[{n}] an admin issues their first token: {}", token.body);
        people.push(Person { id, token: text(&token.data("createApiToken")["secret"]) });
    }
    let (lead, responder) = (people.remove(0), people.remove(0));
    let made_lead = set_member(b, &admin.token, &team_id, &lead.id, "LEAD").await;
    assert!(
        made_lead.succeeded() && made_lead.data("setTeamMember") == true,
        "[{n}] the admin makes a lead: {}",
        made_lead.body
    );
    let added = set_member(b, &lead.token, &team_id, &responder.id, "RESPONDER").await;
    assert!(
        added.succeeded() && added.data("setTeamMember") == true,
        "[{n}] the lead adds a responder: {}",
        added.body
    );

    let me = b.ok(&responder.token, "{ me { teams { role team { id key } } } }", json!({})).await;
    assert_eq!(me["me"]["teams"], json!([{ "role": "RESPONDER", "team": { "id": team_id, "key": "IR" } }]), "[{n}]");
    let incident = id_of(&b.report(&responder.token, &team_id, "First IR incident", json!({})).await);
    b.incident(&lead.token, &incident).await;
    BuiltTeam { team_id, lead, responder, incident }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_builds_a_team_whose_lead_adds_a_responder_who_can_report() {
    for b in backends().await {
        let n = b.backend;
        let directory = Directory { db: &b.db };
        let admin = directory.person("Instance admin", true).await;
        let other = team_fixture(&b.db.database, "SOC").await;
        let built = build_team(&b, &admin).await;
        let newcomer = directory.person("Nora Newcomer", false).await;
        let members = "query { teams { id members { role person { id } } } }";
        let before = b.ok(&built.lead.token, members, json!({})).await.to_string();

        let duplicate = b
            .mutation(
                Some(&admin.token),
                "createTeam",
                "CreateTeamInput",
                "id",
                json!({ "key": "IR", "name": "Again" }),
            )
            .await;
        assert_eq!(duplicate.code(), Some("BAD_USER_INPUT"), "[{n}] a team key is unique: {}", duplicate.body);

        for (mutation, input) in [
            ("setTeamMember", json!({ "teamId": built.team_id, "personId": newcomer.id, "role": "VIEWER" })),
            ("setTeamMember", json!({ "teamId": built.team_id, "personId": built.responder.id, "role": "LEAD" })),
            ("removeTeamMember", json!({ "teamId": built.team_id, "personId": built.lead.id })),
        ] {
            let by_responder =
                b.mutation(Some(&built.responder.token), mutation, &input_type_of(mutation), "", input.clone()).await;
            assert_eq!(
                by_responder.code(),
                Some("FORBIDDEN"),
                "[{n}] a responder: {mutation} {input}: {}",
                by_responder.body
            );
            assert!(by_responder.carries_no_data(), "[{n}]");

            let by_other_lead =
                b.mutation(Some(&other.lead.token), mutation, &input_type_of(mutation), "", input.clone()).await;
            let mut elsewhere = input.clone();
            elsewhere["teamId"] = json!(random_id());
            let missing = b.mutation(Some(&other.lead.token), mutation, &input_type_of(mutation), "", elsewhere).await;
            assert_eq!(
                by_other_lead.code(),
                Some("NOT_FOUND"),
                "[{n}] another team's lead: {mutation}: {}",
                by_other_lead.body
            );
            assert_eq!(by_other_lead, missing, "[{n}] to another team's lead this team does not exist");
        }
        assert_eq!(
            b.ok(&built.lead.token, members, json!({})).await.to_string(),
            before,
            "[{n}] refused changes leave the members as they were"
        );
        let teams = b.ok(&other.lead.token, "{ teams { id } }", json!({})).await;
        assert!(!teams.to_string().contains(&built.team_id), "[{n}] another team's lead does not see the team");
        let probe = b
            .post(
                Some(&other.lead.token),
                "query($id: ID!) { incident(id: $id) { id } }",
                json!({ "id": built.incident }),
            )
            .await;
        assert_eq!(probe.code(), Some("NOT_FOUND"), "[{n}] nor its incidents: {}", probe.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_member_takes_their_access_away_at_once() {
    for b in backends().await {
        let n = b.backend;
        let directory = Directory { db: &b.db };
        let admin = directory.person("Instance admin", true).await;
        let built = build_team(&b, &admin).await;
        let responder = built.responder.token.as_str();
        b.incident(responder, &built.incident).await;

        let input = json!({ "teamId": built.team_id, "personId": built.responder.id });
        let removed =
            b.mutation(Some(&built.lead.token), "removeTeamMember", "RemoveTeamMemberInput", "", input.clone()).await;
        assert!(
            removed.succeeded() && removed.data("removeTeamMember") == true,
            "[{n}] the lead removes them: {}",
            removed.body
        );

        let by_id = "query($id: ID!) { incident(id: $id) { id title } }";
        same_as_missing(
            &b,
            "the removed member: incident(id)",
            responder,
            by_id,
            json!({ "id": built.incident }),
            json!({ "id": random_id() }),
            "NOT_FOUND",
        )
        .await;
        let (ids, total) = b.list(responder, json!({})).await;
        assert_eq!((ids.len(), total), (0, 0), "[{n}] the list is empty at once");
        let (ids, total) = b.list(responder, json!({ "teamId": built.team_id })).await;
        assert_eq!((ids.len(), total), (0, 0), "[{n}] even naming the team");
        let me = b.ok(responder, "{ me { teams { role } } teams { id } }", json!({})).await;
        assert_eq!(me, json!({ "me": { "teams": [] }, "teams": [] }), "[{n}] no team is left");
        let report = b
            .mutation(
                Some(responder),
                "reportIncident",
                "ReportIncidentInput",
                "id",
                json!({ "teamId": built.team_id, "title": "After removal" }),
            )
            .await;
        assert_eq!(report.code(), Some("NOT_FOUND"), "[{n}] reporting into the team: {}", report.body);
        let (ids, total) = b.list(&built.lead.token, json!({})).await;
        assert_eq!((ids.len(), total), (1, 1), "[{n}] nothing was reported");
        assert!(!directory.members(&built.team_id).await.contains(&built.responder.id), "[{n}]");

        let again = b.mutation(Some(&built.lead.token), "removeTeamMember", "RemoveTeamMemberInput", "", input).await;
        assert_eq!(again.code(), Some("NOT_FOUND"), "[{n}] removing a non-member: {}", again.body);
    }
}
