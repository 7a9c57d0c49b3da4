//! `taio bench dashboard`: grows a synthetic data set step by step and prints how long a team
//! dashboard takes at each size, beside a baseline (the first page of the incident list) timed in
//! the same run, since absolute times on a shared machine say little.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use taio_core::incident::{IncidentFilter, PageRequest};
use taio_core::team::{DirectoryRepository, Role, TeamKey};
use taio_core::{Clock, Text, Viewer};
use taio_persistence::Database;
use taio_persistence::bulk::BulkSpec;

/// Settings of one benchmark run.
#[derive(Debug, Clone)]
pub struct BenchSettings {
    /// Total incident counts to measure at, ascending.
    pub steps: Vec<u64>,
    /// Actions per incident.
    pub actions_per_incident: u32,
    /// Teams the incidents are spread over.
    pub teams: usize,
    /// Timed repetitions per measurement (the median is reported).
    pub repeat: usize,
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn text(value: &str) -> Result<Text, String> {
    Text::parse("name", value, 200).map_err(|e| e.to_string())
}

/// Runs the benchmark, writing progress to stderr and results through `say`.
///
/// # Errors
/// A message when the database holds real incidents or a step fails.
pub async fn dashboard(
    database: &Database,
    clock: Arc<dyn Clock>,
    settings: &BenchSettings,
    say: impl Fn(&str),
) -> Result<(), String> {
    let real = database.count_non_benchmark_incidents().await.map_err(|e| e.to_string())?;
    if real > 0 {
        return Err(format!("the database holds {real} real incidents: run the benchmark on an empty database"));
    }
    let directory = database.directory();
    let now = clock.now();
    let mut teams = Vec::new();
    for n in 1..=settings.teams.max(1) {
        let key = TeamKey::parse(&format!("BENCH-{n}")).map_err(|e| e.to_string())?;
        let team = match directory.team_by_key(&key).await.map_err(|e| e.to_string())? {
            Some(team) => team,
            None => directory
                .create_team(&key, &text(&format!("Benchmark team {n}"))?, now, None)
                .await
                .map_err(|e| e.to_string())?,
        };
        teams.push(team);
    }
    let mut people = Vec::new();
    for n in 1..=20 {
        let person =
            directory.person_named(&text(&format!("Benchmark analyst {n}"))?, now).await.map_err(|e| e.to_string())?;
        for team in &teams {
            directory.set_membership(team.id, person.id, Role::Lead, now, None).await.map_err(|e| e.to_string())?;
        }
        people.push(person.id);
    }
    let lead = directory.person_named(&text("Benchmark analyst 1")?, now).await.map_err(|e| e.to_string())?;
    let token =
        directory.issue_token(lead.id, &text("benchmark")?, None, now, None).await.map_err(|e| e.to_string())?;
    let viewer: Viewer = directory.authenticate(&token.secret, now).await.map_err(|e| e.to_string())?.ok_or("token")?;
    let team = teams[0].id;
    let dashboards = database.dashboard_service(Arc::clone(&clock));
    let incidents = database.incident_service(Arc::clone(&clock));

    say(&format!(
        "backend {:?}; {} teams; {} actions per incident; dashboard of team {} over the last 90 days; median of {} runs",
        database.backend(),
        teams.len(),
        settings.actions_per_incident,
        teams[0].key,
        settings.repeat
    ));
    say("incidents\tactions\tteam incidents\tdashboard ms\tlist ms (baseline)\tdashboard / baseline");
    let mut loaded = database.count_incidents().await.map_err(|e| e.to_string())?;
    for &target in &settings.steps {
        if target > loaded {
            let spec = BulkSpec {
                teams: teams.iter().map(|t| t.id).collect(),
                people: people.clone(),
                first: loaded,
                count: target - loaded,
                actions_per_incident: settings.actions_per_incident,
                now,
                days: 3 * 365,
            };
            let started = Instant::now();
            database
                .bulk_load(&spec, |done| {
                    let total = spec.first + done;
                    let width = 30_u64;
                    let filled = usize::try_from(total * width / target.max(1)).unwrap_or(0);
                    eprint!(
                        "\r  loading [{:<30}] {total}/{target} incidents ({:.0}s)",
                        "#".repeat(filled),
                        started.elapsed().as_secs_f64()
                    );
                    let _ = std::io::stderr().flush();
                })
                .await
                .map_err(|e| e.to_string())?;
            eprintln!();
            loaded = target;
        }
        let mut dashboard_times = Vec::new();
        let mut list_times = Vec::new();
        let mut team_incidents = 0;
        for _ in 0..settings.repeat.max(1) {
            let started = Instant::now();
            let d = dashboards.dashboard(&viewer, team, None, None).await.map_err(|e| e.to_string())?;
            dashboard_times.push(started.elapsed());
            team_incidents = d.backlog.total + d.quality.reported;
            let started = Instant::now();
            let filter = IncidentFilter { team: Some(team), ..IncidentFilter::default() };
            incidents.list(&viewer, filter, PageRequest::default()).await.map_err(|e| e.to_string())?;
            list_times.push(started.elapsed());
        }
        let (d, l) = (median(dashboard_times), median(list_times));
        say(&format!(
            "{loaded}\t{}\t{team_incidents} (open + reported in period)\t{:.1}\t{:.1}\t{:.1}",
            loaded * u64::from(settings.actions_per_incident),
            d.as_secs_f64() * 1000.0,
            l.as_secs_f64() * 1000.0,
            d.as_secs_f64() / l.as_secs_f64().max(1e-9)
        ));
    }
    Ok(())
}
