//! Bulk loading of a synthetic history, for benchmarks: many rows per statement, many statements
//! per transaction. What it writes is consistent for dashboards (milestones follow the main line,
//! transitions and actions match them) but carries no audit trail: never run it against a
//! database that holds real incidents.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, TransactionTrait};
use taio_core::RepoError;
use taio_core::catalog::Catalog;
use taio_core::id::{PersonId, TeamId};
use taio_core::incident::{Determination, Priority, Resolution, Severity, Stage, Status, Urgency, WorkflowState};

use crate::entity::{action, action_service, incident, transition};
use crate::error::repo_err;

/// What to generate.
#[derive(Debug, Clone)]
pub struct BulkSpec {
    /// Teams the incidents are spread over, round robin.
    pub teams: Vec<TeamId>,
    /// People who own incidents and perform actions.
    pub people: Vec<PersonId>,
    /// Index of the first incident to generate (so that a data set can grow step by step).
    pub first: u64,
    /// How many incidents to generate.
    pub count: u64,
    /// Actions per incident.
    pub actions_per_incident: u32,
    /// Reports spread over the years before this time.
    pub now: DateTime<Utc>,
    /// Over how many days reports are spread.
    pub days: i64,
}

/// A small deterministic generator (xorshift64*), seeded per incident.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }

    fn minutes(&mut self, max: u64) -> Duration {
        Duration::minutes(i64::try_from(1 + self.below(max)).unwrap_or(1))
    }
}

struct Generated {
    incidents: Vec<incident::Model>,
    transitions: Vec<transition::Model>,
    actions: Vec<action::Model>,
    services: Vec<action_service::Model>,
}

fn generate(spec: &BulkSpec, index: u64, codes: &[String], into: &mut Generated) {
    let mut rng = Rng::new(index + 1);
    let id = uuid::Uuid::now_v7();
    let team = *rng.pick(&spec.teams);
    let owner = *rng.pick(&spec.people);
    let reported_at = spec.now
        - Duration::minutes(i64::try_from(rng.below(u64::try_from(spec.days * 24 * 60).unwrap_or(1))).unwrap_or(0));
    let severity = *rng.pick(Severity::ALL);
    let urgency = *rng.pick(Urgency::ALL);
    // Where it got to: most are closed; false positives close from D-3.
    let roll = rng.below(100);
    let (closed, false_positive, reached) = match roll {
        0..=24 => (true, true, 1),
        25..=89 => (true, false, 5),
        _ => (false, false, rng.below(5)),
    };
    let main = [WorkflowState::D1, WorkflowState::D3, WorkflowState::D4, WorkflowState::D5, WorkflowState::D7];
    let mut at = reported_at;
    let mut stamps: Vec<(WorkflowState, DateTime<Utc>)> = vec![(WorkflowState::D1, at)];
    for state in main.iter().skip(1).take(usize::try_from(reached.min(4)).unwrap_or(0)) {
        at += rng.minutes(if *state == WorkflowState::D3 { 240 } else { 3 * 24 * 60 });
        stamps.push((*state, at.min(spec.now)));
    }
    let closed_at = closed.then(|| (at + rng.minutes(7 * 24 * 60)).min(spec.now));
    let stamp = |s: WorkflowState| stamps.iter().find(|(state, _)| *state == s).map(|(_, t)| *t);
    let left_d3 = stamps.get(2).map(|(_, t)| *t).or(if false_positive { closed_at } else { None });
    let (stage, status) = match (closed, stamps.last()) {
        (true, Some((s, _))) => (s.stage().unwrap_or(Stage::D7), Status::Closed),
        (false, Some((s, _))) => (s.stage().unwrap_or(Stage::D1), Status::Open),
        (_, None) => (Stage::D1, Status::Open),
    };
    let determination = if false_positive {
        Determination::FalsePositive
    } else if reached >= 2 {
        Determination::Confirmed
    } else {
        Determination::Undetermined
    };
    let triaged = reached >= 1 || false_positive;
    into.incidents.push(incident::Model {
        id,
        team_id: team.as_uuid(),
        key: format!("INC-BENCH-{index:08}"),
        title: format!("Synthetic incident {index}"),
        description: None,
        source: "INTERNAL_MONITORING".into(),
        tlp: "AMBER".into(),
        stage: stage.as_str().into(),
        status: status.as_str().into(),
        version: i64::try_from(stamps.len()).unwrap_or(1) + i64::from(spec.actions_per_incident),
        determination: determination.as_str().into(),
        category: triaged.then(|| "intrusions/system-compromise".into()),
        severity: triaged.then(|| severity.as_str().into()),
        urgency: triaged.then(|| urgency.as_str().into()),
        priority: triaged.then(|| Priority::from_matrix(severity, urgency).as_str().into()),
        priority_override_reason: None,
        owner_id: stamp(WorkflowState::D3).map(|_| owner.as_uuid()),
        reported_by: owner.as_uuid(),
        reported_at,
        detected_at: None,
        acknowledged_at: stamp(WorkflowState::D3),
        triaged_at: if triaged { left_d3 } else { None },
        declared_at: stamp(WorkflowState::D4),
        contained_at: stamp(WorkflowState::D5),
        recovered_at: stamp(WorkflowState::D7),
        report_completed_at: if closed && !false_positive { closed_at } else { None },
        closed_at,
        first_notified_at: None,
        resolution: closed
            .then(|| if false_positive { Resolution::FalsePositive } else { Resolution::Resolved }.as_str().into()),
        closure_summary: None,
        duplicate_of: None,
        reopen_count: 0,
        report_recorded_at: if closed && !false_positive { closed_at } else { None },
        restricted: false,
        on_hold_reason: None,
        created_at: reported_at,
        updated_at: closed_at.unwrap_or(at),
    });
    let mut from: Option<WorkflowState> = None;
    let mut moves: Vec<(WorkflowState, DateTime<Utc>)> = stamps.clone();
    if let Some(closed_at) = closed_at {
        moves.push((WorkflowState::Closed, closed_at));
    }
    for (version, (to, at)) in (1..).zip(moves) {
        into.transitions.push(transition::Model {
            id: uuid::Uuid::now_v7(),
            incident_id: id,
            incident_version: version,
            from_state: from.map(|s| s.as_str().into()),
            to_state: to.as_str().into(),
            at,
            by_person: owner.as_uuid(),
            reason: None,
            resolution: (to == WorkflowState::Closed)
                .then(|| if false_positive { Resolution::FalsePositive } else { Resolution::Resolved }.as_str().into()),
            team_id: Some(team.as_uuid()),
        });
        from = Some(to);
    }
    let end = closed_at.unwrap_or(spec.now);
    let span = u64::try_from((end - reported_at).num_minutes().max(1)).unwrap_or(1);
    for _ in 0..spec.actions_per_incident {
        let action_id = uuid::Uuid::now_v7();
        let stage = *rng.pick(&[Stage::D1, Stage::D3, Stage::D4, Stage::D5, Stage::D6, Stage::D7]);
        let performed_at = reported_at + Duration::minutes(i64::try_from(rng.below(span)).unwrap_or(0));
        into.actions.push(action::Model {
            id: action_id,
            incident_id: id,
            stage: stage.as_str().into(),
            kind: "ANALYSIS".into(),
            summary: "Synthetic action".into(),
            details: None,
            catalog_version: Catalog::embedded().version().into(),
            performed_by: rng.pick(&spec.people).as_uuid(),
            performed_at,
            recorded_by: owner.as_uuid(),
            recorded_at: performed_at,
            outcome: Some("SUCCEEDED".into()),
            effort_minutes: Some(i32::try_from(rng.below(120)).unwrap_or(0)),
            audience: (stage == Stage::D6).then(|| "MANAGEMENT".into()),
            recipient: (stage == Stage::D6).then(|| "CISO".into()),
            evidence: "[]".into(),
            supersedes: None,
            team_id: Some(team.as_uuid()),
        });
        let first = rng.pick(codes).clone();
        let second = rng.pick(codes).clone();
        for (position, code) in [first.clone(), second].into_iter().enumerate() {
            if position == 1 && code == first {
                continue;
            }
            into.services.push(action_service::Model {
                action_id,
                incident_id: id,
                catalog_version: Catalog::embedded().version().into(),
                service_code: code,
                position: i32::try_from(position).unwrap_or(0),
            });
        }
    }
}

/// Rows per statement for each table, under SQLite's and PostgreSQL's limits on bound parameters.
const INCIDENTS_PER_STATEMENT: usize = 500;
const ROWS_PER_STATEMENT: usize = 1_000;
/// Incidents per transaction.
const INCIDENTS_PER_BATCH: u64 = 2_000;

/// Loads `spec.count` incidents with their transitions, actions and services, calling
/// `progress(done)` after each batch.
///
/// # Errors
/// Storage failures.
pub async fn bulk_load(
    conn: &DatabaseConnection,
    spec: &BulkSpec,
    mut progress: impl FnMut(u64),
) -> Result<(), RepoError> {
    let codes: Vec<String> = Catalog::embedded().services().map(|s| s.code.to_string()).collect();
    let mut done = 0;
    while done < spec.count {
        let batch = INCIDENTS_PER_BATCH.min(spec.count - done);
        let mut rows =
            Generated { incidents: Vec::new(), transitions: Vec::new(), actions: Vec::new(), services: Vec::new() };
        for i in 0..batch {
            generate(spec, spec.first + done + i, &codes, &mut rows);
        }
        let txn = conn.begin().await.map_err(repo_err)?;
        for chunk in rows.incidents.chunks(INCIDENTS_PER_STATEMENT) {
            incident::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
                .exec_without_returning(&txn)
                .await
                .map_err(repo_err)?;
        }
        for chunk in rows.transitions.chunks(ROWS_PER_STATEMENT) {
            transition::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
                .exec_without_returning(&txn)
                .await
                .map_err(repo_err)?;
        }
        for chunk in rows.actions.chunks(ROWS_PER_STATEMENT) {
            action::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
                .exec_without_returning(&txn)
                .await
                .map_err(repo_err)?;
        }
        for chunk in rows.services.chunks(ROWS_PER_STATEMENT * 2) {
            action_service::Entity::insert_many(chunk.iter().cloned().map(IntoActiveModel::into_active_model))
                .exec_without_returning(&txn)
                .await
                .map_err(repo_err)?;
        }
        txn.commit().await.map_err(repo_err)?;
        done += batch;
        progress(done);
    }
    // Fresh statistics (both databases know ANALYZE), so that plans fit the tables as they are.
    conn.execute_unprepared("ANALYZE").await.map_err(repo_err)?;
    Ok(())
}
