//! `taio bench events`: what the event outbox costs writers and how fast events reach
//! subscribers. Writers record actions through the incident service while subscribers follow this
//! process's fan-out; each step reports throughput beside one writer's (the baseline of the same
//! run: the position counter orders commits, so this ratio shows how far writes still overlap)
//! and the time from a write's return to its event reaching a subscriber, beside the write's own
//! time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use taio_core::id::ActionId;
use taio_core::incident::{
    ActionKind, IncidentFilter, IncidentService, NewActionRequest, NewIncidentRequest, PageRequest,
};
use taio_core::team::{DirectoryRepository, Role, TeamKey};
use taio_core::{Clock, Text, Viewer};
use taio_graphql::{EventHub, HubOptions};
use taio_persistence::Database;
use tokio::sync::broadcast::error::RecvError;

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct EventBenchSettings {
    /// Concurrent writer counts to measure, in order; the first is the baseline.
    pub writers: Vec<usize>,
    /// Actions each writer records per step.
    pub actions: usize,
    /// Subscribers following the fan-out.
    pub subscribers: usize,
}

fn text(value: &str) -> Result<Text, String> {
    Text::parse("text", value, 200).map_err(|e| e.to_string())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Nearest rank.
    let rank = (p * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs the benchmark and prints its table through `say`.
///
/// # Errors
/// A message when the database holds real incidents or a write fails.
pub async fn events(
    database: &Database,
    clock: Arc<dyn Clock>,
    settings: &EventBenchSettings,
    say: impl Fn(&str),
) -> Result<(), String> {
    let viewer = bench_viewer(database, clock.as_ref()).await?;
    let team = viewer.memberships.first().map(|m| m.team_id).ok_or("the benchmark lead has no team")?;
    let incidents = database.incident_service(Arc::clone(&clock));
    let filter = IncidentFilter { team: Some(team), ..IncidentFilter::default() };
    let page = PageRequest { first: Some(0), after: None };
    let own = incidents.list(&viewer, filter, page).await.map_err(|e| e.to_string())?.total_count;
    let real = database.count_non_benchmark_incidents().await.map_err(|e| e.to_string())?.saturating_sub(own);
    if real > 0 {
        return Err(format!("the database holds {real} real incidents: run the benchmark on an empty database"));
    }
    let buffer = settings.writers.iter().max().copied().unwrap_or(1) * settings.actions + 1024;
    let hub = EventHub::start(incidents.clone(), HubOptions { buffer, ..HubOptions::default() });
    say(&format!(
        "backend {:?}; {} actions per writer per step; {} subscribers; baseline: {} writer(s)",
        database.backend(),
        settings.actions,
        settings.subscribers,
        settings.writers.first().copied().unwrap_or(1)
    ));
    say(
        "writers\tactions/s\t× baseline\twrite p50 ms\twrite p99 ms\tdelivery p50 ms\tdelivery p99 ms\tdelivery p50 / write p50",
    );
    let mut baseline = None;
    for &writers in &settings.writers {
        let writers = writers.max(1);
        let mut targets = Vec::new();
        for n in 0..writers {
            let request = NewIncidentRequest {
                team_id: team,
                title: text(&format!("Benchmark incident {n}"))?,
                description: None,
                source: None,
                reported_at: None,
                detected_at: None,
                tlp: None,
            };
            targets.push(incidents.report(&viewer, request).await.map_err(|e| e.to_string())?.id);
        }
        let expected = writers * settings.actions;
        // Subscribers: the first one times every event; the others only receive, as screens do.
        let mut receivers = Vec::new();
        for n in 0..settings.subscribers.max(1) {
            let mut receiver = hub.subscribe();
            receivers.push(tokio::spawn(async move {
                let mut received: HashMap<ActionId, Instant> = HashMap::new();
                let mut count = 0;
                while count < expected {
                    match tokio::time::timeout(Duration::from_secs(60), receiver.recv()).await {
                        Ok(Ok(event)) => {
                            if let Some(action) = event.event.change.action {
                                count += 1;
                                if n == 0 {
                                    received.insert(action, Instant::now());
                                }
                            }
                        }
                        Ok(Err(RecvError::Lagged(missed))) => return Err(format!("a subscriber lagged by {missed}")),
                        Ok(Err(RecvError::Closed)) | Err(_) => return Err("the fan-out stopped".to_owned()),
                    }
                }
                Ok(received)
            }));
        }
        let started = Instant::now();
        let mut tasks = Vec::new();
        for incident in targets {
            let (incidents, viewer, actions) = (incidents.clone(), viewer.clone(), settings.actions);
            tasks.push(tokio::spawn(async move { write(&incidents, &viewer, incident, actions).await }));
        }
        let mut done: Vec<(ActionId, Instant, Duration)> = Vec::with_capacity(expected);
        for task in tasks {
            done.extend(task.await.map_err(|e| e.to_string())??);
        }
        let elapsed = started.elapsed();
        let mut received = HashMap::new();
        for (n, receiver) in receivers.into_iter().enumerate() {
            let got = receiver.await.map_err(|e| e.to_string())??;
            if n == 0 {
                received = got;
            }
        }
        let mut writes: Vec<Duration> = done.iter().map(|(_, _, took)| *took).collect();
        let mut deliveries: Vec<Duration> = done
            .iter()
            .map(|(id, returned, _)| {
                received.get(id).map_or(Duration::ZERO, |at| at.saturating_duration_since(*returned))
            })
            .collect();
        writes.sort_unstable();
        deliveries.sort_unstable();
        let rate = expected as f64 / elapsed.as_secs_f64().max(1e-9);
        let base = *baseline.get_or_insert(rate);
        let (w50, w99) = (percentile(&writes, 0.5), percentile(&writes, 0.99));
        let (d50, d99) = (percentile(&deliveries, 0.5), percentile(&deliveries, 0.99));
        say(&format!(
            "{writers}\t{rate:.0}\t{:.2}\t{:.2}\t{:.2}\t{:.2}\t{:.2}\t{:.2}",
            rate / base,
            ms(w50),
            ms(w99),
            ms(d50),
            ms(d99),
            d50.as_secs_f64() / w50.as_secs_f64().max(1e-9)
        ));
    }
    Ok(())
}

async fn write(
    incidents: &IncidentService,
    viewer: &Viewer,
    incident: taio_core::id::IncidentId,
    actions: usize,
) -> Result<Vec<(ActionId, Instant, Duration)>, String> {
    let mut done = Vec::with_capacity(actions);
    for n in 0..actions {
        let request = NewActionRequest {
            incident_id: incident,
            stage: None,
            kind: ActionKind::Note,
            summary: text(&format!("Benchmark step {n}"))?,
            details: None,
            services: vec!["C-4".to_owned()],
            performed_at: None,
            effort_minutes: None,
            outcome: None,
            notification: None,
            evidence: Vec::new(),
            supersedes: None,
        };
        let started = Instant::now();
        let action = incidents.record_action(viewer, request).await.map_err(|e| format!("{e:?}"))?;
        let returned = Instant::now();
        done.push((action.id, returned, returned - started));
    }
    Ok(done)
}

/// A lead of team BENCH-EVENTS, made on first use.
async fn bench_viewer(database: &Database, clock: &dyn Clock) -> Result<Viewer, String> {
    let directory = database.directory();
    let now = clock.now();
    let key = TeamKey::parse("BENCH-EVENTS").map_err(|e| e.to_string())?;
    let team = match directory.team_by_key(&key).await.map_err(|e| e.to_string())? {
        Some(team) => team,
        None => directory.create_team(&key, &text("Event benchmark")?, now, None).await.map_err(|e| e.to_string())?,
    };
    let person = directory.person_named(&text("Event benchmark lead")?, now).await.map_err(|e| e.to_string())?;
    directory.set_membership(team.id, person.id, Role::Lead, now, None).await.map_err(|e| e.to_string())?;
    let token = directory
        .issue_token(person.id, &text("event benchmark")?, None, now, None)
        .await
        .map_err(|e| e.to_string())?;
    directory.authenticate(&token.secret, now).await.map_err(|e| e.to_string())?.ok_or_else(|| "token".to_owned())
}
