//! The repositories against real databases: every test runs on a fresh SQLite file and, when
//! `TAIO_TEST_DATABASE_URL` is set, on a fresh PostgreSQL database.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{Duration, SubsecRound, Utc};
use taio_core::catalog::ServiceCode;
use taio_core::id::{ActionId, IncidentId, PersonId, TeamId};
use taio_core::incident::{
    Action, ActionEffects, ActionKind, ActionRepository, Command, IncidentQuery, IncidentRepository, NewIncident,
    Reader, Source, Stage, Tlp, decide,
};
use taio_core::team::DirectoryRepository;
use taio_core::{Actor, Audit, RepoError, Text};
use taio_persistence::testing::{TestDatabase, scalar, team_fixture, test_databases};
use taio_persistence::{SqlActions, SqlIncidents};

fn text(value: &str) -> Text {
    Text::parse("text", value, 500).unwrap()
}

fn new_incident(team: TeamId, reporter: PersonId, title: &str) -> NewIncident {
    let now = Utc::now().trunc_subsecs(6);
    NewIncident {
        id: IncidentId::generate(),
        team_id: team,
        title: text(title),
        description: None,
        source: Source::InternalMonitoring,
        tlp: Tlp::Amber,
        reported_by: reporter,
        reported_at: now,
        detected_at: None,
        created_at: now,
    }
}

fn action(incident: IncidentId, by: PersonId, codes: &[&str]) -> Action {
    let now = Utc::now().trunc_subsecs(6);
    Action {
        id: ActionId::generate(),
        incident_id: incident,
        stage: Stage::D4,
        kind: ActionKind::Containment,
        summary: text("Isolated host"),
        details: None,
        services: codes.iter().map(|c| ServiceCode::parse(c).unwrap()).collect(),
        catalog_version: "isog-j-2025".into(),
        performed_by: by,
        performed_at: now,
        recorded_by: by,
        recorded_at: now,
        outcome: None,
        effort_minutes: Some(15),
        notification: None,
        evidence: Vec::new(),
        supersedes: None,
    }
}

fn repos(db: &TestDatabase) -> (Arc<SqlIncidents>, Arc<SqlActions>) {
    (Arc::new(db.database.incidents()), Arc::new(db.database.actions()))
}

#[tokio::test]
async fn the_catalog_seed_holds_9_categories_and_64_services() {
    for db in test_databases().await {
        assert_eq!(scalar(&db.database, "SELECT COUNT(*) FROM catalog_categories").await, 9, "{}", db.backend);
        assert_eq!(scalar(&db.database, "SELECT COUNT(*) FROM catalog_services").await, 64, "{}", db.backend);
    }
}

#[tokio::test]
async fn running_migrations_again_changes_nothing() {
    for db in test_databases().await {
        db.database.migrate().await.unwrap();
        assert_eq!(scalar(&db.database, "SELECT COUNT(*) FROM catalog_services").await, 64, "{}", db.backend);
    }
}

#[tokio::test]
async fn incidents_are_numbered_per_team_and_year() {
    for db in test_databases().await {
        let (incidents, _) = repos(&db);
        let a = team_fixture(&db.database, "ALPHA").await;
        let b = team_fixture(&db.database, "BRAVO").await;
        let year = Utc::now().format("%Y").to_string();
        let mut keys = Vec::new();
        for (team, person) in [(&a, &a.responder), (&a, &a.responder), (&b, &b.responder)] {
            let created =
                incidents.create(new_incident(team.team.id, person.viewer.person.id, "Scan"), &audit()).await.unwrap();
            keys.push(created.key.to_string());
        }
        assert_eq!(
            keys,
            vec![format!("INC-{year}-000001"), format!("INC-{year}-000002"), format!("INC-{year}-000001")],
            "{}",
            db.backend
        );
    }
}

#[tokio::test]
async fn concurrent_reports_in_one_team_never_share_a_key() {
    for db in test_databases().await {
        let (incidents, _) = repos(&db);
        let team = team_fixture(&db.database, "SOC").await;
        let tasks: Vec<_> = (0..25)
            .map(|i| {
                let incidents = Arc::clone(&incidents);
                let new = new_incident(team.team.id, team.responder.viewer.person.id, &format!("Alert {i}"));
                tokio::spawn(async move { incidents.create(new, &audit()).await })
            })
            .collect();
        let mut keys = Vec::new();
        for task in tasks {
            keys.push(task.await.unwrap().unwrap().key.to_string());
        }
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 25, "{}: duplicate keys", db.backend);
    }
}

#[tokio::test]
async fn a_stale_version_writes_nothing() {
    for db in test_databases().await {
        let (incidents, _) = repos(&db);
        let team = team_fixture(&db.database, "SOC").await;
        let by = team.responder.viewer.person.id;
        let created = incidents.create(new_incident(team.team.id, by, "Beaconing"), &audit()).await.unwrap();
        let ack = decide(&created, Command::Acknowledge { owner: by }, Utc::now().trunc_subsecs(6), by).unwrap();
        incidents.update(&created, &ack.incident, ack.transition.as_ref(), &audit()).await.unwrap();
        // A second writer that also saw version 1 loses, and its transition is not stored.
        let late = decide(&created, Command::Acknowledge { owner: by }, Utc::now().trunc_subsecs(6), by).unwrap();
        let result = incidents.update(&created, &late.incident, late.transition.as_ref(), &audit()).await;
        assert_eq!(result, Err(RepoError::Conflict), "{}", db.backend);
        let stored = incidents.find(created.id).await.unwrap().unwrap();
        assert_eq!(stored.version, 2, "{}", db.backend);
        let transitions = incidents.transitions_for(&[created.id]).await.unwrap();
        assert_eq!(transitions[&created.id].len(), 2, "{}: report + one acknowledgement", db.backend);
    }
}

#[tokio::test]
async fn an_incident_round_trips_every_field() {
    for db in test_databases().await {
        let (incidents, _) = repos(&db);
        let team = team_fixture(&db.database, "SOC").await;
        let by = team.lead.viewer.person.id;
        let created = incidents.create(new_incident(team.team.id, by, "Ransomware on FS01"), &audit()).await.unwrap();
        let classification = taio_core::incident::Classification {
            determination: Some(taio_core::incident::Determination::Confirmed),
            category: Some(taio_core::incident::IncidentCategory::parse("malicious-code/infected-system").unwrap()),
            severity: Some(taio_core::incident::Severity::Critical),
            urgency: Some(taio_core::incident::Urgency::High),
            tlp: Some(Tlp::Red),
            priority_override: None,
        };
        let command = Command::Transition { to: Stage::D4, reason: None, classification: Some(classification) };
        let moved = decide(&created, command, Utc::now().trunc_subsecs(6), by).unwrap();
        incidents.update(&created, &moved.incident, moved.transition.as_ref(), &audit()).await.unwrap();
        let stored = incidents.find(created.id).await.unwrap().unwrap();
        assert_eq!(stored, moved.incident, "{}", db.backend);
    }
}

#[tokio::test]
async fn an_action_naming_a_service_missing_from_the_catalog_table_is_not_stored() {
    for db in test_databases().await {
        let (incidents, actions) = repos(&db);
        let team = team_fixture(&db.database, "SOC").await;
        let by = team.responder.viewer.person.id;
        let created = incidents.create(new_incident(team.team.id, by, "Odd login"), &audit()).await.unwrap();
        // "I-99" parses as a code but has no catalog row: the foreign key refuses it, and the
        // version bump made earlier in the same transaction is rolled back.
        let result = actions.append(&action(created.id, by, &["C-1", "I-99"]), effects(), &audit()).await;
        assert!(matches!(result, Err(RepoError::MissingReference(_))), "{}: {result:?}", db.backend);
        assert_eq!(scalar(&db.database, "SELECT COUNT(*) FROM actions").await, 0, "{}", db.backend);
        assert_eq!(scalar(&db.database, "SELECT COUNT(*) FROM action_services").await, 0, "{}", db.backend);
        assert_eq!(incidents.find(created.id).await.unwrap().unwrap().version, 1, "{}", db.backend);
    }
}

fn audit() -> Audit {
    Audit { actor: Actor { person: PersonId::generate(), token: None, request_id: None }, operation: "test" }
}

fn effects() -> ActionEffects {
    ActionEffects { notified_at: None, report_recorded_at: None, at: Utc::now().trunc_subsecs(6) }
}

#[tokio::test]
async fn actions_come_back_per_incident_with_their_services_in_order() {
    for db in test_databases().await {
        let (incidents, actions) = repos(&db);
        let team = team_fixture(&db.database, "SOC").await;
        let by = team.responder.viewer.person.id;
        let first = incidents.create(new_incident(team.team.id, by, "One"), &audit()).await.unwrap();
        let second = incidents.create(new_incident(team.team.id, by, "Two"), &audit()).await.unwrap();
        let version = actions.append(&action(first.id, by, &["G-4", "C-4", "C-1"]), effects(), &audit()).await.unwrap();
        assert_eq!(version, 2, "{}: appending bumps the incident's version", db.backend);
        actions.append(&action(second.id, by, &["B-1"]), effects(), &audit()).await.unwrap();
        let loaded = actions.for_incidents(&[first.id, second.id]).await.unwrap();
        let codes =
            |id: IncidentId| -> Vec<String> { loaded[&id][0].services.iter().map(ToString::to_string).collect() };
        assert_eq!(codes(first.id), vec!["G-4", "C-4", "C-1"], "{}", db.backend);
        assert_eq!(codes(second.id), vec!["B-1"], "{}", db.backend);
    }
}

#[tokio::test]
async fn the_first_notification_time_is_the_earliest_performed() {
    for db in test_databases().await {
        let (incidents, actions) = repos(&db);
        let team = team_fixture(&db.database, "SOC").await;
        let by = team.responder.viewer.person.id;
        let created = incidents.create(new_incident(team.team.id, by, "Leak"), &audit()).await.unwrap();
        let now = Utc::now().trunc_subsecs(6);
        for offset in [Duration::minutes(-10), Duration::minutes(-30), Duration::minutes(-5)] {
            let notified = ActionEffects { notified_at: Some(now + offset), report_recorded_at: None, at: now };
            actions.append(&action(created.id, by, &["B-3"]), notified, &audit()).await.unwrap();
        }
        let stored = incidents.find(created.id).await.unwrap().unwrap();
        assert_eq!(stored.milestones.first_notified_at, Some(now - Duration::minutes(30)), "{}", db.backend);
    }
}

#[tokio::test]
async fn a_search_for_percent_matches_it_literally() {
    for db in test_databases().await {
        let (incidents, _) = repos(&db);
        let team = team_fixture(&db.database, "SOC").await;
        let by = team.responder.viewer.person.id;
        incidents.create(new_incident(team.team.id, by, "CPU at 100% on web01"), &audit()).await.unwrap();
        incidents.create(new_incident(team.team.id, by, "CPU at 1000 on web02"), &audit()).await.unwrap();
        let query = IncidentQuery {
            teams: vec![team.team.id],
            reader: Reader { person: by, lead_of: Vec::new() },
            stages: vec![],
            status: None,
            severities: vec![],
            priorities: vec![],
            owner: None,
            service: None,
            reported_from: None,
            reported_to: None,
            text: Some("100%".into()),
            after: None,
            limit: 10,
        };
        let page = incidents.list(&query).await.unwrap();
        let titles: Vec<&str> = page.incidents.iter().map(|i| i.title.as_str()).collect();
        assert_eq!(titles, vec!["CPU at 100% on web01"], "{}", db.backend);
        assert_eq!(page.total_count, 1, "{}", db.backend);
    }
}

#[tokio::test]
async fn tokens_are_stored_only_as_digests_and_expired_ones_fail() {
    for db in test_databases().await {
        let team = team_fixture(&db.database, "SOC").await;
        let directory = db.database.directory();
        let secret = &team.lead.token;
        assert!(secret.starts_with("taio_") && secret.len() >= 5 + 43, "{}: a 256-bit token", db.backend);
        let leaked = scalar(
            &db.database,
            &format!("SELECT COUNT(*) FROM api_tokens WHERE secret_hash = '{secret}' OR prefix = '{secret}'"),
        )
        .await;
        assert_eq!(leaked, 0, "{}: the secret itself is not stored", db.backend);

        let now = Utc::now().trunc_subsecs(6);
        let person = team.viewer.viewer.person.id;
        let expired = directory
            .issue_token(person, &text("old"), Some(now - Duration::hours(1)), now - Duration::days(2), None)
            .await
            .unwrap();
        assert!(directory.authenticate(&expired.secret, now).await.unwrap().is_none(), "{}: expired", db.backend);
        assert!(
            directory.authenticate("taio_not-a-real-token", now).await.unwrap().is_none(),
            "{}: unknown",
            db.backend
        );
        let viewer = directory.authenticate(secret, now).await.unwrap().unwrap();
        assert_eq!(viewer.memberships.len(), 1, "{}", db.backend);
    }
}
