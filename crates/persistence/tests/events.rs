//! The event outbox against real databases (a fresh SQLite file, and PostgreSQL when
//! `TAIO_TEST_DATABASE_URL` is set): an event exists exactly when its change committed, positions
//! are handed out in commit order without gaps, and readers are woken.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use taio_core::id::IncidentId;
use taio_core::incident::{
    ActionKind, Classification, Command, EventKind, EventLog, EventPosition, IncidentService, NewActionRequest,
    NewIncidentRequest, Severity, Stage, Urgency, WorkflowState,
};
use taio_core::{Clock, IncidentError, SystemClock, Text, Viewer};
use taio_persistence::testing::{TestDatabase, postgres, team_fixture, test_databases};
use taio_persistence::{Database, DatabaseConfig};

fn text(value: &str) -> Text {
    Text::parse("text", value, 500).unwrap()
}

fn service(db: &Database) -> IncidentService {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    db.incident_service(clock)
}

async fn report(service: &IncidentService, viewer: &Viewer, title: &str) -> taio_core::incident::Incident {
    let team_id = viewer.memberships[0].team_id;
    let request = NewIncidentRequest {
        team_id,
        title: text(title),
        description: None,
        source: None,
        reported_at: None,
        detected_at: None,
        tlp: None,
    };
    service.report(viewer, request).await.unwrap()
}

fn note(incident: IncidentId, services: &[&str]) -> NewActionRequest {
    NewActionRequest {
        incident_id: incident,
        stage: None,
        kind: ActionKind::Note,
        summary: text("Checked the mail gateway logs"),
        details: None,
        services: services.iter().map(|s| (*s).to_owned()).collect(),
        performed_at: None,
        effort_minutes: None,
        outcome: None,
        notification: None,
        evidence: Vec::new(),
        supersedes: None,
    }
}

async fn all_events(db: &TestDatabase) -> Vec<taio_core::incident::IncidentEvent> {
    db.database.events().read(EventPosition::START, None, 10_000).await.unwrap()
}

#[tokio::test]
async fn every_committed_change_has_one_event_in_commit_order() {
    for db in test_databases().await {
        let fixture = team_fixture(&db.database, "SOC").await;
        let lead = &fixture.lead.viewer;
        let service = service(&db.database);
        let incident = report(&service, lead, "Phishing wave").await;
        let acked =
            service.change(lead, incident.id, 1, Command::Acknowledge { owner: lead.person_id() }).await.unwrap();
        let classification = Classification {
            determination: Some(taio_core::incident::Determination::Confirmed),
            category: Some(taio_core::incident::IncidentCategory::parse("fraud/phishing").unwrap()),
            severity: Some(Severity::High),
            urgency: Some(Urgency::Medium),
            ..Classification::default()
        };
        let classified =
            service.change(lead, incident.id, acked.version, Command::Classify(classification)).await.unwrap();
        let contained = service
            .change(
                lead,
                incident.id,
                classified.version,
                Command::Transition { to: Stage::D4, reason: None, classification: None },
            )
            .await
            .unwrap();
        let action = service.record_action(lead, note(incident.id, &["G-2", "A-10"])).await.unwrap();

        let events = all_events(&db).await;
        let b = db.backend;
        let positions: Vec<i64> = events.iter().map(|e| e.position.value()).collect();
        assert_eq!(positions, vec![1, 2, 3, 4, 5], "{b}: gap-free, from 1");
        let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::Reported,
                EventKind::Acknowledged,
                EventKind::Classified,
                EventKind::Transitioned,
                EventKind::ActionRecorded
            ],
            "{b}"
        );
        let versions: Vec<i64> = events.iter().map(|e| e.version).collect();
        assert_eq!(versions, vec![1, 2, 3, 4, 5], "{b}: each event carries the version it produced");
        assert_eq!(contained.version, 4, "{b}");
        assert!(events.iter().all(|e| e.incident_id == incident.id && e.team_id == fixture.team.id), "{b}");
        assert!(events.iter().all(|e| e.actor == Some(lead.person_id())), "{b}");
        assert_eq!((events[0].change.from, events[0].change.to), (None, Some(WorkflowState::D1)), "{b}");
        assert_eq!(
            (events[1].change.from, events[1].change.to),
            (Some(WorkflowState::D1), Some(WorkflowState::D3)),
            "{b}"
        );
        for field in ["stage", "owner", "acknowledgedAt"] {
            assert!(events[1].change.fields.iter().any(|f| f == field), "{b}: {field} in {:?}", events[1].change);
        }
        for field in ["determination", "category", "severity", "urgency", "priority"] {
            assert!(events[2].change.fields.iter().any(|f| f == field), "{b}: {field} in {:?}", events[2].change);
        }
        assert!(!events[2].change.fields.iter().any(|f| f == "stage"), "{b}: classifying does not move");
        assert_eq!(events[4].change.action, Some(action.id), "{b}");
        assert_eq!(events[4].change.action_stage, Some(Stage::D4), "{b}");
        assert_eq!(db.database.events().head().await.unwrap(), EventPosition::from_stored(5), "{b}");
    }
}

#[tokio::test]
async fn a_refused_change_leaves_no_event() {
    for db in test_databases().await {
        let fixture = team_fixture(&db.database, "SOC").await;
        let lead = &fixture.lead.viewer;
        let service = service(&db.database);
        let incident = report(&service, lead, "Suspicious login").await;
        let b = db.backend;

        let stale = service.change(lead, incident.id, 7, Command::Acknowledge { owner: lead.person_id() }).await;
        assert!(matches!(stale, Err(IncidentError::Conflict { .. })), "{b}: {stale:?}");
        let unknown = service.record_action(lead, note(incident.id, &["C-1", "Z-9"])).await;
        assert!(matches!(unknown, Err(IncidentError::UnknownServices(_))), "{b}: {unknown:?}");
        let illegal = service
            .change(lead, incident.id, 1, Command::Transition { to: Stage::D5, reason: None, classification: None })
            .await;
        assert!(matches!(illegal, Err(IncidentError::InvalidTransition { .. })), "{b}: {illegal:?}");

        let events = all_events(&db).await;
        assert_eq!(events.len(), 1, "{b}: only the report: {events:?}");
        assert_eq!(db.database.events().head().await.unwrap(), EventPosition::from_stored(1), "{b}: no position used");
        let next = service.record_action(lead, note(incident.id, &["C-1"])).await;
        assert!(next.is_ok(), "{b}");
        let positions: Vec<i64> = all_events(&db).await.iter().map(|e| e.position.value()).collect();
        assert_eq!(positions, vec![1, 2], "{b}: a refused change leaves no gap either");
    }
}

/// Writers on several incidents at once while a follower reads after its last position: if a
/// position could become visible before a smaller one, the follower would see a gap (and, had it
/// trusted its position, skipped the late event for ever).
#[tokio::test]
async fn concurrent_writers_get_positions_a_follower_reads_without_gaps() {
    const WRITERS: usize = 6;
    const ACTIONS: usize = 40;
    for db in test_databases().await {
        let fixture = team_fixture(&db.database, "SOC").await;
        let lead = fixture.lead.viewer.clone();
        let service = service(&db.database);
        let mut incidents = Vec::new();
        for n in 0..WRITERS {
            incidents.push(report(&service, &lead, &format!("Host {n} beaconing")).await.id);
        }
        let start = db.database.events().head().await.unwrap();
        let total = i64::try_from(WRITERS * ACTIONS).unwrap();
        let log = db.database.events();
        let follower = tokio::spawn(async move {
            let mut last = start;
            let mut reads = 0_u64;
            while last.value() < start.value() + total {
                let page = log.read(last, None, 1_000).await.unwrap();
                for event in &page {
                    assert_eq!(event.position.value(), last.value() + 1, "a position appeared before a smaller one");
                    last = event.position;
                }
                reads += 1;
                if page.is_empty() {
                    log.wait_after(last, Duration::from_millis(50)).await;
                }
            }
            (last, reads)
        });
        let mut writers = Vec::new();
        for incident in incidents.clone() {
            let (service, lead) = (service.clone(), lead.clone());
            writers.push(tokio::spawn(async move {
                for _ in 0..ACTIONS {
                    service.record_action(&lead, note(incident, &["C-4"])).await.unwrap();
                }
            }));
        }
        for writer in writers {
            writer.await.unwrap();
        }
        let (last, reads) = tokio::time::timeout(Duration::from_secs(60), follower).await.unwrap().unwrap();
        let b = db.backend;
        assert_eq!(last.value(), start.value() + total, "{b}");
        assert!(reads > 1, "{b}: the follower read while the writers wrote");
        let events = all_events(&db).await;
        for incident in incidents {
            let versions: Vec<i64> = events.iter().filter(|e| e.incident_id == incident).map(|e| e.version).collect();
            let expected: Vec<i64> = (1..=i64::try_from(ACTIONS).unwrap() + 1).collect();
            assert_eq!(versions, expected, "{b}: one event per version of {incident}, in order");
        }
    }
}

#[tokio::test]
async fn a_commit_wakes_a_reader_waiting_in_the_same_process() {
    for db in test_databases().await {
        let fixture = team_fixture(&db.database, "SOC").await;
        let service = service(&db.database);
        let seen = db.database.events().head().await.unwrap();
        let log = db.database.events();
        let waiter = tokio::spawn(async move { log.wait_after(seen, Duration::from_secs(600)).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiter.is_finished(), "{}: nothing committed yet", db.backend);
        report(&service, &fixture.lead.viewer, "Wake up").await;
        let woken = tokio::time::timeout(Duration::from_secs(30), waiter).await;
        assert!(woken.is_ok(), "{}: the commit woke the reader", db.backend);
    }
}

/// Two pools on one PostgreSQL database stand for two servers: a commit through one wakes a
/// reader of the other through `NOTIFY`.
#[tokio::test]
async fn a_commit_on_one_server_wakes_a_reader_on_another_through_notify() {
    let Some(db) = postgres().await else { return };
    let fixture = team_fixture(&db.database, "SOC").await;
    let other = Database::connect(&DatabaseConfig::new(db.url.as_str())).await.unwrap();
    other.listen_for_events(None);
    let log = other.events();
    let seen = log.head().await.unwrap();
    // The listener needs a moment to LISTEN; until then only the poll would find the event.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let waiter = tokio::spawn(async move { log.wait_after(seen, Duration::from_secs(600)).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiter.is_finished(), "nothing committed yet");
    report(&service(&db.database), &fixture.lead.viewer, "Across servers").await;
    let woken = tokio::time::timeout(Duration::from_secs(30), waiter).await;
    assert!(woken.is_ok(), "the other pool's listener was notified");
    assert_eq!(other.events().head().await.unwrap().value(), seen.value() + 1);
    other.close().await;
}

#[tokio::test]
async fn pruning_removes_old_events_and_expires_the_cursors_before_them() {
    for db in test_databases().await {
        let b = db.backend;
        let fixture = team_fixture(&db.database, "SOC").await;
        let lead = &fixture.lead.viewer;
        let service = service(&db.database);
        let first = report(&service, lead, "Old news").await;
        service.record_action(lead, note(first.id, &["C-4"])).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let cutoff = chrono::Utc::now();
        tokio::time::sleep(Duration::from_millis(20)).await;
        report(&service, lead, "Fresh").await;

        let pruned = db.database.prune_events(cutoff).await.unwrap();
        assert_eq!((pruned.events, pruned.through), (2, EventPosition::from_stored(2)), "{b}");
        let kept: Vec<i64> = all_events(&db).await.iter().map(|e| e.position.value()).collect();
        assert_eq!(kept, vec![3], "{b}: only what was recorded after the cutoff");

        let scope = service.event_scope(lead, None, None).await.unwrap();
        for stale in [EventPosition::START, EventPosition::from_stored(1)] {
            let refused = service.events_after(lead, &scope, stale, 100).await;
            assert!(
                matches!(refused, Err(IncidentError::CursorExpired { pruned_through: 2 })),
                "{b}: a cursor before the pruned events is refused: {refused:?}"
            );
        }
        let (rest, _) = service.events_after(lead, &scope, EventPosition::from_stored(2), 100).await.unwrap();
        assert_eq!(rest.len(), 1, "{b}: resuming right after the pruned events works");

        let again = db.database.prune_events(cutoff).await.unwrap();
        assert_eq!((again.events, again.through), (0, EventPosition::from_stored(2)), "{b}: nothing more to prune");
        report(&service, lead, "After pruning").await;
        assert_eq!(db.database.events().head().await.unwrap(), EventPosition::from_stored(4), "{b}: no reuse");
    }
}
