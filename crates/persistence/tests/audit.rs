//! The audit trail against real databases: a history written through the incident service
//! verifies intact, every way of tampering with the stored trail is caught and named, rejected
//! writes leave no record, and on PostgreSQL the application's role cannot rewrite history.
//! Every test runs on a fresh SQLite file and, when `TAIO_TEST_DATABASE_URL` is set, on a fresh
//! PostgreSQL database; the grants test runs on PostgreSQL only.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, RuntimeErr, Statement};
use sha2::{Digest, Sha256};
use taio_core::id::{IncidentId, TeamId};
use taio_core::incident::{
    ActionKind, AuditEntry, Classification, Command, Determination, Incident, IncidentCategory, IncidentService,
    NewActionRequest, NewIncidentRequest, Severity, Stage, Urgency,
};
use taio_core::team::{DirectoryRepository, Role};
use taio_core::{IncidentError, SystemClock, Text, Viewer};
use taio_migrations::{Migrator, MigratorTrait};
use taio_persistence::grants::{APPEND_ONLY, TABLE_PRIVILEGES, apply_grants};
use taio_persistence::testing::{TeamFixture, TestDatabase, execute, scalar, team_fixture, test_databases};
use taio_persistence::{AuditReport, BrokenLink, Database, DatabaseConfig, GENESIS};

/// The operations on the incident with the long history, in order.
const MAIN_TRAIL: [&str; 6] =
    ["reportIncident", "acknowledgeIncident", "classifyIncident", "transitionIncident", "recordAction", "recordAction"];
/// The operations on the other incident.
const OTHER_TRAIL: [&str; 2] = ["reportIncident", "acknowledgeIncident"];
/// The fixture's `createTeam`, three `createPerson` and three `createApiToken`.
const INSTANCE_RECORDS: u64 = 7;
/// The fixture's three `setTeamMember`.
const TEAM_RECORDS: u64 = 3;
/// Instance, team and the two incidents.
const CHAINS: u64 = 4;
const RECORDS: u64 = INSTANCE_RECORDS + TEAM_RECORDS + MAIN_TRAIL.len() as u64 + OTHER_TRAIL.len() as u64;

/// A team and two incidents whose writes interleave, all made through the incident service.
struct History {
    team: TeamFixture,
    service: IncidentService,
    main: Incident,
    other: Incident,
}

impl History {
    fn lead(&self) -> &Viewer {
        &self.team.lead.viewer
    }

    fn responder(&self) -> &Viewer {
        &self.team.responder.viewer
    }

    async fn trail(&self, id: IncidentId) -> Vec<AuditEntry> {
        self.service.audit_trail(self.lead(), id).await.unwrap()
    }
}

fn text(value: &str) -> Text {
    Text::parse("text", value, 500).unwrap()
}

fn report(team: TeamId, title: &str) -> NewIncidentRequest {
    NewIncidentRequest {
        team_id: team,
        title: text(title),
        description: None,
        source: None,
        reported_at: None,
        detected_at: None,
        tlp: None,
    }
}

fn classification() -> Classification {
    Classification {
        determination: Some(Determination::Confirmed),
        category: Some(IncidentCategory::parse("malicious-code/infected-system").unwrap()),
        severity: Some(Severity::High),
        urgency: Some(Urgency::High),
        tlp: None,
        priority_override: None,
    }
}

fn action(incident: IncidentId, kind: ActionKind, summary: &str, services: &[&str]) -> NewActionRequest {
    NewActionRequest {
        incident_id: incident,
        stage: None,
        kind,
        summary: text(summary),
        details: None,
        services: services.iter().map(|s| (*s).to_owned()).collect(),
        performed_at: None,
        effort_minutes: Some(20),
        outcome: None,
        notification: None,
        evidence: Vec::new(),
        supersedes: None,
    }
}

/// Builds the history on `database`: the fixture team, then two incidents reported, both
/// acknowledged, the first classified, moved to D4 and given two actions.
async fn history(database: &Database) -> History {
    let team = team_fixture(database, "SOC").await;
    let service = database.incident_service(Arc::new(SystemClock));
    let by = &team.responder.viewer;
    let owner = by.person_id();
    let main = service.report(by, report(team.team.id, "Beaconing from WS-042")).await.unwrap();
    let other = service.report(by, report(team.team.id, "Phishing wave")).await.unwrap();
    let main = service.change(by, main.id, main.version, Command::Acknowledge { owner }).await.unwrap();
    let other = service.change(by, other.id, other.version, Command::Acknowledge { owner }).await.unwrap();
    let main = service.change(by, main.id, main.version, Command::Classify(classification())).await.unwrap();
    let to_d4 = Command::Transition { to: Stage::D4, reason: None, classification: None };
    let main = service.change(by, main.id, main.version, to_d4).await.unwrap();
    service.record_action(by, action(main.id, ActionKind::Containment, "Isolated WS-042", &["C-4"])).await.unwrap();
    service.record_action(by, action(main.id, ActionKind::Analysis, "Beacon decoded", &["C-1", "A-9"])).await.unwrap();
    let main = service.get(by, main.id).await.unwrap();
    History { team, service, main, other }
}

fn chain(id: IncidentId) -> String {
    format!("incident:{id}")
}

/// The record hash as documented: SHA-256 (lowercase hex) of the JSON array of the chain and the
/// record's fields. Anyone can recompute it, which is why the anchor must be kept elsewhere.
fn published_hash(chain: &str, e: &AuditEntry) -> String {
    let fields = serde_json::json!([
        chain,
        e.seq,
        e.at.timestamp_micros(),
        e.person.map(|p| p.to_string()),
        e.token.map(|t| t.to_string()),
        e.operation,
        e.object_type,
        e.object_id,
        e.before_digest,
        e.after_digest,
        e.request_id,
        e.prev_hash,
    ]);
    Sha256::digest(fields.to_string().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

async fn verify(db: &TestDatabase) -> AuditReport {
    db.database.verify_audit().await.unwrap()
}

/// The broken link verify reports, failing the test when the tampering went unnoticed.
async fn broken(db: &TestDatabase) -> BrokenLink {
    let report = verify(db).await;
    let link = report.broken.clone();
    link.unwrap_or_else(|| panic!("{}: tampering went unnoticed: {report:?}", db.backend))
}

async fn audit_records(database: &Database) -> i64 {
    scalar(database, "SELECT COUNT(*) FROM audit_records").await
}

#[tokio::test]
async fn a_history_written_through_the_service_verifies_intact() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let report = verify(&db).await;
        assert_eq!(report.broken, None, "{}", db.backend);
        assert_eq!((report.chains, report.records), (CHAINS, RECORDS), "{}", db.backend);
        assert_eq!(report.anchor.len(), 64, "{}: the anchor is SHA-256 hex", db.backend);
        assert_eq!(verify(&db).await.anchor, report.anchor, "{}: no write, same anchor", db.backend);
        assert_eq!(audit_records(&db.database).await, i64::try_from(RECORDS).unwrap(), "{}", db.backend);
        assert_eq!(scalar(&db.database, "SELECT COUNT(*) FROM audit_heads").await, 4, "{}", db.backend);

        for (incident, operations) in [(&h.main, &MAIN_TRAIL[..]), (&h.other, &OTHER_TRAIL[..])] {
            let trail = h.trail(incident.id).await;
            let listed: Vec<&str> = trail.iter().map(|e| e.operation.as_str()).collect();
            assert_eq!(listed, operations, "{}", db.backend);
            let mut prev = GENESIS.to_owned();
            for (n, entry) in (1..).zip(&trail) {
                assert_eq!(entry.seq, n, "{}: numbered from 1 without gaps", db.backend);
                assert_eq!(entry.prev_hash, prev, "{}: record {n} links to the one before", db.backend);
                assert_eq!(entry.hash, published_hash(&chain(incident.id), entry), "{}: record {n}", db.backend);
                assert_eq!(entry.person, Some(h.responder().person_id()), "{}: who", db.backend);
                assert_eq!(entry.token, h.responder().token_id, "{}: with which token", db.backend);
                assert!(entry.after_digest.is_some(), "{}: record {n} has an after digest", db.backend);
                prev.clone_from(&entry.hash);
            }
            assert_eq!(trail[0].before_digest, None, "{}: a report has no before", db.backend);
            for pair in trail.windows(2).filter(|p| p[1].operation != "recordAction") {
                assert_eq!(pair[1].before_digest, pair[0].after_digest, "{}: {}", db.backend, pair[1].operation);
            }
            let kinds: Vec<&str> = trail.iter().map(|e| e.object_type.as_str()).collect();
            let expected: Vec<&str> =
                operations.iter().map(|op| if *op == "recordAction" { "action" } else { "incident" }).collect();
            assert_eq!(kinds, expected, "{}", db.backend);
        }
        let main = h.trail(h.main.id).await;
        assert!(main[..4].iter().all(|e| e.object_id == h.main.id.to_string()), "{}", db.backend);

        let responder = h.service.audit_trail(h.responder(), h.main.id).await;
        assert!(matches!(responder, Err(IncidentError::Forbidden(_))), "{}: leads only: {responder:?}", db.backend);

        h.service
            .change(h.responder(), h.other.id, h.other.version, Command::Classify(classification()))
            .await
            .unwrap();
        let after = verify(&db).await;
        assert_eq!((after.broken, after.records), (None, RECORDS + 1), "{}", db.backend);
        assert_ne!(after.anchor, report.anchor, "{}: a write moves the anchor", db.backend);
    }
}

#[tokio::test]
async fn changing_a_field_of_a_middle_record_is_caught_at_that_record() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let main = chain(h.main.id);
        execute(
            &db.database,
            &format!("UPDATE audit_records SET operation = 'noteAdded' WHERE chain = '{main}' AND seq = 3"),
        )
        .await;
        let link = broken(&db).await;
        assert_eq!((link.chain.as_str(), link.seq), (main.as_str(), Some(3)), "{}: {link}", db.backend);
        assert!(link.problem.contains("does not match its hash"), "{}: {link}", db.backend);
    }
}

#[tokio::test]
async fn changing_the_object_of_a_team_record_is_caught_at_that_record() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let team = format!("team:{}", h.team.team.id);
        let someone = h.team.lead.viewer.person_id();
        execute(
            &db.database,
            &format!("UPDATE audit_records SET object_id = '{someone}' WHERE chain = '{team}' AND seq = 2"),
        )
        .await;
        let link = broken(&db).await;
        assert_eq!((link.chain.as_str(), link.seq), (team.as_str(), Some(2)), "{}: {link}", db.backend);
    }
}

#[tokio::test]
async fn deleting_a_middle_record_is_caught_where_the_gap_is() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let main = chain(h.main.id);
        execute(&db.database, &format!("DELETE FROM audit_records WHERE chain = '{main}' AND seq = 3")).await;
        let link = broken(&db).await;
        assert_eq!((link.chain.as_str(), link.seq), (main.as_str(), Some(4)), "{}: {link}", db.backend);
        assert!(link.problem.contains("expected record 3"), "{}: {link}", db.backend);
    }
}

#[tokio::test]
async fn swapping_two_records_is_caught_at_the_first_of_them() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let main = chain(h.main.id);
        // Through a free number: (chain, seq) is unique.
        for (from, to) in [(3, -1), (4, 3), (-1, 4)] {
            execute(
                &db.database,
                &format!("UPDATE audit_records SET seq = {to} WHERE chain = '{main}' AND seq = {from}"),
            )
            .await;
        }
        let link = broken(&db).await;
        assert_eq!((link.chain.as_str(), link.seq), (main.as_str(), Some(3)), "{}: {link}", db.backend);
        assert!(link.problem.contains("link to the previous record"), "{}: {link}", db.backend);
    }
}

#[tokio::test]
async fn deleting_the_last_record_of_a_chain_is_caught_by_its_head() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let main = chain(h.main.id);
        let last = MAIN_TRAIL.len();
        execute(&db.database, &format!("DELETE FROM audit_records WHERE chain = '{main}' AND seq = {last}")).await;
        let link = broken(&db).await;
        // Named at the last record left, with the head's record in the message.
        assert_eq!((link.chain.as_str(), link.seq), (main.as_str(), Some(5)), "{}: {link}", db.backend);
        assert!(link.problem.contains("its head is record 6"), "{}: {link}", db.backend);
    }
}

#[tokio::test]
async fn deleting_every_record_of_a_chain_is_caught_by_its_head() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let other = chain(h.other.id);
        execute(&db.database, &format!("DELETE FROM audit_records WHERE chain = '{other}'")).await;
        let link = broken(&db).await;
        assert_eq!((link.chain.as_str(), link.seq), (other.as_str(), None), "{}: {link}", db.backend);
        assert!(link.problem.contains("no records"), "{}: {link}", db.backend);
    }
}

#[tokio::test]
async fn deleting_a_chain_head_is_caught() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let other = chain(h.other.id);
        execute(&db.database, &format!("DELETE FROM audit_heads WHERE chain = '{other}'")).await;
        let link = broken(&db).await;
        assert_eq!((link.chain.as_str(), link.seq), (other.as_str(), None), "{}: {link}", db.backend);
        assert!(link.problem.contains("no head"), "{}: {link}", db.backend);
    }
}

#[tokio::test]
async fn wiping_the_whole_trail_is_caught_by_the_incidents_left_without_a_chain() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        execute(&db.database, "DELETE FROM audit_records").await;
        execute(&db.database, "DELETE FROM audit_heads").await;
        let report = verify(&db).await;
        let link = report.broken.clone().unwrap_or_else(|| panic!("{}: unnoticed: {report:?}", db.backend));
        assert!([chain(h.main.id), chain(h.other.id)].contains(&link.chain), "{}: {link}", db.backend);
        assert_eq!(link.seq, None, "{}", db.backend);
        assert!(link.problem.contains("the incident exists but its audit chain does not"), "{}: {link}", db.backend);
        assert_eq!((report.chains, report.records), (0, 0), "{}", db.backend);
    }
}

#[tokio::test]
async fn an_altered_record_with_a_made_up_hash_is_caught_at_that_record() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let main = chain(h.main.id);
        let made_up = "ab".repeat(32);
        execute(
            &db.database,
            &format!(
                "UPDATE audit_records SET operation = 'closeIncident', hash = '{made_up}' WHERE chain = '{main}' AND seq = 3"
            ),
        )
        .await;
        let link = broken(&db).await;
        assert_eq!((link.chain.as_str(), link.seq), (main.as_str(), Some(3)), "{}: {link}", db.backend);
    }
}

#[tokio::test]
async fn an_altered_record_with_its_hash_recomputed_is_caught_by_the_next_record() {
    for seq in [3, 6] {
        for db in test_databases().await {
            let h = history(&db.database).await;
            let main = chain(h.main.id);
            let mut trail = h.trail(h.main.id).await;
            let record = &mut trail[seq - 1];
            record.object_id = "forged".into();
            record.hash = published_hash(&main, record);
            let sql = format!(
                "UPDATE audit_records SET object_id = 'forged', hash = '{}' WHERE chain = '{main}' AND seq = {seq}",
                record.hash
            );
            execute(&db.database, &sql).await;
            let link = broken(&db).await;
            // The next record's link catches a middle record; the head catches the last one.
            let caught_at = if seq == trail.len() { seq } else { seq + 1 };
            assert_eq!(
                (link.chain.as_str(), link.seq),
                (main.as_str(), Some(i64::try_from(caught_at).unwrap())),
                "{}: {link}",
                db.backend
            );
            if seq == 6 {
                assert!(link.problem.contains("head"), "{}: {link}", db.backend);
            }
        }
    }
}

#[tokio::test]
async fn a_consistent_rewrite_passes_verify_but_moves_the_anchor() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let before = verify(&db).await;
        let main = chain(h.main.id);
        let mut trail = h.trail(h.main.id).await;
        trail[2].operation = "noteAdded".into();
        for i in 2..trail.len() {
            trail[i].prev_hash = trail[i - 1].hash.clone();
            trail[i].hash = published_hash(&main, &trail[i]);
            let r = &trail[i];
            let sql = format!(
                "UPDATE audit_records SET operation = '{}', prev_hash = '{}', hash = '{}' WHERE chain = '{main}' AND seq = {}",
                r.operation, r.prev_hash, r.hash, r.seq
            );
            execute(&db.database, &sql).await;
        }
        let head = &trail[trail.len() - 1].hash;
        execute(&db.database, &format!("UPDATE audit_heads SET hash = '{head}' WHERE chain = '{main}'")).await;
        let after = verify(&db).await;
        assert_eq!(after.broken, None, "{}: whoever can write the tables can rewrite a chain", db.backend);
        assert_ne!(after.anchor, before.anchor, "{}: but the anchor kept elsewhere shows it", db.backend);
    }
}

#[tokio::test]
async fn rejected_writes_leave_no_audit_record() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let (service, by) = (&h.service, h.responder());
        let count = audit_records(&db.database).await;
        let (main, version) = (h.main.id, h.main.version);

        let stale = service.change(by, main, version - 1, Command::Classify(classification())).await;
        assert!(matches!(stale, Err(IncidentError::Conflict { .. })), "{}: {stale:?}", db.backend);
        let unknown = service.record_action(by, action(main, ActionKind::Note, "Odd", &["C-4", "Z-99"])).await;
        assert!(matches!(unknown, Err(IncidentError::UnknownServices(_))), "{}: {unknown:?}", db.backend);
        let refused = service
            .change(by, main, version, Command::Transition { to: Stage::D1, reason: None, classification: None })
            .await;
        assert!(matches!(refused, Err(IncidentError::InvalidTransition { .. })), "{}: {refused:?}", db.backend);
        let viewer = service.report(&h.team.viewer.viewer, report(h.team.team.id, "Not mine to report")).await;
        assert!(matches!(viewer, Err(IncidentError::Forbidden(_))), "{}: {viewer:?}", db.backend);
        let close =
            Command::Close { resolution: taio_core::incident::Resolution::Resolved, summary: None, duplicate_of: None };
        let responder_close = service.change(by, main, version, close).await;
        assert!(matches!(responder_close, Err(IncidentError::Forbidden(_))), "{}: {responder_close:?}", db.backend);

        assert_eq!(audit_records(&db.database).await, count, "{}", db.backend);
        assert_eq!(service.get(by, main).await.unwrap().version, version, "{}", db.backend);
        assert_eq!(verify(&db).await.broken, None, "{}", db.backend);
    }
}

#[tokio::test]
async fn racing_changes_of_one_version_append_exactly_one_record() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let count = audit_records(&db.database).await;
        let tasks: Vec<_> = [Severity::Low, Severity::Medium, Severity::High, Severity::Critical]
            .into_iter()
            .cycle()
            .take(8)
            .map(|severity| {
                let (service, by, incident) = (h.service.clone(), h.responder().clone(), h.other.clone());
                let mut triage = classification();
                triage.severity = Some(severity);
                tokio::spawn(async move {
                    service.change(&by, incident.id, incident.version, Command::Classify(triage)).await
                })
            })
            .collect();
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                Err(IncidentError::Conflict { .. }) => {}
                Err(other) => panic!("{}: {other:?}", db.backend),
            }
        }
        assert_eq!(won, 1, "{}", db.backend);
        assert_eq!(audit_records(&db.database).await, count + 1, "{}: one record for one change", db.backend);
        let trail = h.trail(h.other.id).await;
        assert_eq!(trail.len(), OTHER_TRAIL.len() + 1, "{}", db.backend);
        assert_eq!(verify(&db).await.broken, None, "{}", db.backend);
    }
}

/// `url` connecting as `user` (no password: the test server trusts local connections).
fn as_user(url: &str, user: &str) -> String {
    let authority = url.find("://").map_or(0, |i| i + 3);
    let host = url[authority..].find('@').filter(|at| !url[authority..authority + at].contains('/'));
    let rest = host.map_or(&url[authority..], |at| &url[authority + at + 1..]);
    format!("{}{user}@{rest}", &url[..authority])
}

/// The SQLSTATE of a refused statement.
fn sqlstate(error: &DbErr) -> Option<String> {
    match error {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            e.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned())
        }
        _ => None,
    }
}

async fn strings(conn: &DatabaseConnection, sql: &str) -> BTreeSet<String> {
    let rows = conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()
}

#[test]
fn a_url_names_another_user() {
    assert_eq!(as_user("postgres://postgres@127.0.0.1:5432/t1", "app"), "postgres://app@127.0.0.1:5432/t1");
    assert_eq!(as_user("postgres://u:pw@h/t1?sslmode=disable", "app"), "postgres://app@h/t1?sslmode=disable");
    assert_eq!(as_user("postgres://h:5432/t1", "app"), "postgres://app@h:5432/t1");
}

#[tokio::test]
async fn the_application_role_works_but_cannot_rewrite_history() {
    let Some(owner) = taio_persistence::testing::postgres().await else { return };
    let role = format!("taio_app_{}", uuid::Uuid::new_v4().simple());
    execute(&owner.database, &format!("CREATE ROLE {role} LOGIN")).await;
    let outcome = tokio::spawn(work_as_application_role(owner.database.clone(), owner.url.clone(), role.clone())).await;
    if let Ok(admin) = sea_orm::Database::connect(owner.url.as_str()).await {
        for cleanup in [format!("DROP OWNED BY {role}"), format!("DROP ROLE {role}")] {
            if let Err(error) = admin.execute_unprepared(&cleanup).await {
                eprintln!("cleanup {cleanup:?} failed: {error}");
            }
        }
        let _ = admin.close().await;
    }
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

async fn work_as_application_role(owner: Database, owner_url: String, role: String) {
    let admin = sea_orm::Database::connect(owner_url.as_str()).await.unwrap();
    let tables =
        strings(&admin, "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'").await;
    let listed: BTreeSet<String> = TABLE_PRIVILEGES.iter().map(|(t, _)| (*t).to_owned()).collect();
    assert_eq!(tables, listed, "every table has a rule in grants::TABLE_PRIVILEGES, and only tables");
    apply_grants(&owner, &role).await.unwrap();
    apply_grants(&owner, &role).await.unwrap();

    let url = as_user(&owner_url, &role);
    let app = Database::connect(&DatabaseConfig::new(url.as_str())).await.unwrap();
    let user = scalar(&app, &format!("SELECT COUNT(*) FROM (SELECT 1 WHERE current_user = '{role}') AS me")).await;
    assert_eq!(user, 1, "connected as the application role");
    let raw = sea_orm::Database::connect(url.as_str()).await.unwrap();
    let pending = Migrator::get_pending_migrations_read_only(&raw).await.unwrap();
    assert!(pending.is_empty(), "the application role can tell the schema is current");

    // Everything the application does, as the application role.
    let h = history(&app).await;
    let directory = app.directory();
    let now = Utc::now();
    let (team, lead) = (h.team.team.id, h.lead().clone());
    let viewer = h.team.viewer.viewer.clone();
    directory.set_membership(team, viewer.person_id(), Role::Responder, now, None).await.unwrap();
    directory.remove_membership(team, viewer.person_id(), now, None).await.unwrap();
    directory.set_admin(viewer.person_id(), true, now, None).await.unwrap();
    directory.revoke_token(viewer.token_id.unwrap(), now, None).await.unwrap();
    let main =
        h.service.set_participant(&lead, h.main.id, h.main.version, h.responder().person_id(), true).await.unwrap();
    let main = h.service.set_restricted(&lead, main.id, main.version, true).await.unwrap();
    let main = h.service.set_participant(&lead, main.id, main.version, h.responder().person_id(), false).await.unwrap();
    let to_d5 = Command::Transition { to: Stage::D5, reason: None, classification: None };
    h.service.change(h.responder(), main.id, main.version, to_d5).await.unwrap();
    h.service.record_action(h.responder(), action(main.id, ActionKind::Recovery, "Reimaged", &["C-4"])).await.unwrap();
    let report = app.verify_audit().await.unwrap();
    assert_eq!(report.broken, None);
    let records = audit_records(&app).await;

    for sql in [
        "UPDATE audit_records SET operation = 'noteAdded' WHERE seq = 1",
        "DELETE FROM audit_records",
        "TRUNCATE audit_records",
        "UPDATE actions SET summary = 'nothing happened'",
        "DELETE FROM actions",
        "TRUNCATE actions CASCADE",
        "UPDATE action_services SET service_code = 'C-1'",
        "DELETE FROM action_services",
        "UPDATE incident_transitions SET reason = 'rewritten'",
        "DELETE FROM incident_transitions",
        "TRUNCATE incident_transitions",
        "DELETE FROM incidents",
        "DELETE FROM audit_heads",
        "UPDATE teams SET name = 'Renamed'",
        "UPDATE catalog_services SET title_en = 'x'",
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m99999999_000000_forged', 0)",
        "ALTER TABLE audit_records DISABLE TRIGGER ALL",
        "DROP TABLE audit_records",
        "CREATE TABLE shadow_audit (id integer)",
    ] {
        let result = raw.execute_unprepared(sql).await;
        let error = result.err().unwrap_or_else(|| panic!("the application role ran {sql:?}"));
        assert_eq!(sqlstate(&error).as_deref(), Some("42501"), "{sql}: a permission error, got {error}");
    }
    for table in APPEND_ONLY {
        assert!(scalar(&app, &format!("SELECT COUNT(*) FROM {table}")).await > 0, "{table} still has its rows");
    }
    assert_eq!(audit_records(&app).await, records);
    assert_eq!(app.verify_audit().await.unwrap(), report, "nothing changed");
    let _ = raw.close().await;
    let _ = admin.close().await;
    app.close().await;
}

#[tokio::test]
async fn verify_during_concurrent_writes_reports_no_false_break() {
    for db in test_databases().await {
        let h = history(&db.database).await;
        let (service, by, id) = (h.service.clone(), h.responder().clone(), h.other.id);
        let writer = tokio::spawn(async move {
            for n in 0..100 {
                let current = service.get(&by, id).await.unwrap();
                let mut triage = classification();
                triage.severity = Some(if n % 2 == 0 { Severity::Low } else { Severity::High });
                service.change(&by, id, current.version, Command::Classify(triage)).await.unwrap();
            }
        });
        while !writer.is_finished() {
            let report = verify(&db).await;
            assert_eq!(report.broken, None, "{}: nobody tampered", db.backend);
        }
        writer.await.unwrap();
    }
}

#[tokio::test]
async fn deleting_the_instance_chain_and_its_head_is_caught() {
    for db in test_databases().await {
        history(&db.database).await;
        execute(&db.database, "DELETE FROM audit_records WHERE chain = 'instance'").await;
        execute(&db.database, "DELETE FROM audit_heads WHERE chain = 'instance'").await;
        let link = broken(&db).await;
        assert_eq!(link.chain, "instance", "{}: {link}", db.backend);
    }
}
