//! Bulk loading of a synthetic history, for benchmarks: `COPY` on PostgreSQL, many rows per
//! statement on SQLite, one transaction per batch either way. What it writes is consistent for dashboards (milestones follow the main line,
//! transitions and actions match them) but carries no audit trail: never run it against a
//! database that holds real incidents.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::fmt::Write as _;

use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::{self, Connection as _};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IdenStatic, IntoActiveModel, Iterable, ModelTrait,
    TransactionTrait, Value,
};
use taio_core::RepoError;
use taio_core::catalog::Catalog;
use taio_core::id::{PersonId, TeamId};
use taio_core::incident::{Determination, Priority, Resolution, Severity, Stage, Status, Urgency, WorkflowState};

use crate::entity::{action, action_service, incident, transition};
use crate::error::repo_err;
use crate::rollup::{Counted, Delta};

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

/// The first draws for incident `index`: its team, owner and report time.
fn opening(spec: &BulkSpec, index: u64) -> (Rng, TeamId, PersonId, DateTime<Utc>) {
    let mut rng = Rng::new(index + 1);
    let team = *rng.pick(&spec.teams);
    let owner = *rng.pick(&spec.people);
    let reported_at = spec.now
        - Duration::minutes(i64::try_from(rng.below(u64::try_from(spec.days * 24 * 60).unwrap_or(1))).unwrap_or(0));
    (rng, team, owner, reported_at)
}

fn generate(spec: &BulkSpec, index: u64, codes: &[String], into: &mut Generated) {
    let (mut rng, team, owner, reported_at) = opening(spec, index);
    let id = uuid::Uuid::now_v7();
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
    // Batches in report order, as incidents arrive: each batch then touches few days, so its
    // rollup changes sum into few rows, and rows of one day sit together as they would in use.
    let mut order: Vec<(DateTime<Utc>, u64)> =
        (spec.first..spec.first + spec.count).map(|index| (opening(spec, index).3, index)).collect();
    order.sort_unstable();
    let mut done = 0;
    for batch in order.chunks(usize::try_from(INCIDENTS_PER_BATCH).unwrap_or(1)) {
        let rows = generate_batch(spec, batch.iter().map(|(_, index)| *index), &codes);
        store(conn, &rows).await?;
        done += batch.len() as u64;
        progress(done);
    }
    // Fresh statistics (both databases know ANALYZE), so that plans fit the tables as they are.
    conn.execute_unprepared("ANALYZE").await.map_err(repo_err)?;
    Ok(())
}

fn generate_batch(spec: &BulkSpec, indexes: impl Iterator<Item = u64>, codes: &[String]) -> Generated {
    let mut rows =
        Generated { incidents: Vec::new(), transitions: Vec::new(), actions: Vec::new(), services: Vec::new() };
    for index in indexes {
        generate(spec, index, codes, &mut rows);
    }
    rows
}

/// Stores one batch the fastest way the backend knows, with its rollups, in one transaction.
async fn store(conn: &DatabaseConnection, rows: &Generated) -> Result<(), RepoError> {
    let mut services: HashMap<uuid::Uuid, Vec<String>> = HashMap::new();
    for s in &rows.services {
        services.entry(s.action_id).or_default().push(s.service_code.clone());
    }
    let mut delta = Delta::default();
    for a in &rows.actions {
        let counted = Counted {
            team: a.team_id.unwrap_or_default(),
            performed_at: a.performed_at,
            stage: &a.stage,
            performed_by: a.performed_by,
            effort_minutes: a.effort_minutes,
            services: services.get(&a.id).map_or(&[], Vec::as_slice),
        };
        delta.add(counted, 1);
    }
    match conn.get_database_backend() {
        DbBackend::Postgres => copy_batch(conn, rows, &delta).await,
        _ => insert_batch(conn, rows, &delta).await,
    }
}

/// One batch as multi-row `INSERT`s in one transaction.
async fn insert_batch(conn: &DatabaseConnection, rows: &Generated, delta: &Delta) -> Result<(), RepoError> {
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
    delta.apply(&txn).await?;
    txn.commit().await.map_err(repo_err)
}

fn copy_err(error: sqlx::Error) -> RepoError {
    RepoError::Internal(format!("bulk copy: {error}"))
}

/// Session tables for rollup changes, emptied at each commit.
const STAGING: &str = r#"
    CREATE TEMP TABLE IF NOT EXISTS "staged_service_uses" (LIKE "service_use_days") ON COMMIT DELETE ROWS;
    CREATE TEMP TABLE IF NOT EXISTS "staged_work" (LIKE "work_days") ON COMMIT DELETE ROWS;
"#;

/// Adds the staged changes to the rollups.
const UPSERT_STAGED: &str = r#"
    INSERT INTO "service_use_days" SELECT * FROM "staged_service_uses"
    ON CONFLICT ("team_id", "day", "stage", "service_code")
    DO UPDATE SET "uses" = "service_use_days"."uses" + "excluded"."uses";
    INSERT INTO "work_days" SELECT * FROM "staged_work"
    ON CONFLICT ("team_id", "day", "person_id")
    DO UPDATE SET "actions" = "work_days"."actions" + "excluded"."actions",
                  "effort_minutes" = "work_days"."effort_minutes" + "excluded"."effort_minutes";
"#;

/// One batch streamed with `COPY … FROM STDIN` into each table, in one transaction.
async fn copy_batch(conn: &DatabaseConnection, rows: &Generated, delta: &Delta) -> Result<(), RepoError> {
    let mut pg = conn.get_postgres_connection_pool().acquire().await.map_err(copy_err)?;
    let mut txn = pg.begin().await.map_err(copy_err)?;
    copy_into::<incident::Entity>(&mut txn, &rows.incidents).await?;
    copy_into::<transition::Entity>(&mut txn, &rows.transitions).await?;
    copy_into::<action::Entity>(&mut txn, &rows.actions).await?;
    copy_into::<action_service::Entity>(&mut txn, &rows.services).await?;
    // The rollup changes go through staging tables, then one upsert per rollup.
    sqlx::raw_sql(STAGING).execute(&mut *txn).await.map_err(copy_err)?;
    let (uses, work) = delta.copy_rows();
    for (table, rows) in [("staged_service_uses", uses), ("staged_work", work)] {
        let mut copy = txn.copy_in_raw(&format!(r#"COPY "{table}" FROM STDIN"#)).await.map_err(copy_err)?;
        copy.send(rows.as_bytes()).await.map_err(copy_err)?;
        copy.finish().await.map_err(copy_err)?;
    }
    sqlx::raw_sql(UPSERT_STAGED).execute(&mut *txn).await.map_err(copy_err)?;
    txn.commit().await.map_err(copy_err)
}

async fn copy_into<E: EntityTrait>(conn: &mut PgConnection, rows: &[E::Model]) -> Result<(), RepoError> {
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let names: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
    let statement = format!("COPY \"{}\" ({}) FROM STDIN", E::default().table_name(), names.join(", "));
    let mut data = String::with_capacity(rows.len() * 256);
    for row in rows {
        for (n, column) in columns.iter().enumerate() {
            if n > 0 {
                data.push('\t');
            }
            copy_field(&mut data, &row.get(*column))?;
        }
        data.push('\n');
    }
    let mut copy = conn.copy_in_raw(&statement).await.map_err(copy_err)?;
    copy.send(data.as_bytes()).await.map_err(copy_err)?;
    copy.finish().await.map_err(copy_err)?;
    Ok(())
}

/// One value in `COPY`'s text format: `\N` for null, backslash escapes for the separators.
fn copy_field(out: &mut String, value: &Value) -> Result<(), RepoError> {
    let written = match value {
        Value::Bool(Some(b)) => write!(out, "{}", if *b { 't' } else { 'f' }),
        Value::Int(Some(n)) => write!(out, "{n}"),
        Value::BigInt(Some(n)) => write!(out, "{n}"),
        Value::Uuid(Some(u)) => write!(out, "{}", u.hyphenated()),
        Value::ChronoDateTimeUtc(Some(at)) => write!(out, "{}", at.format("%Y-%m-%d %H:%M:%S%.6f+00")),
        Value::String(Some(text)) => {
            for c in text.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
            Ok(())
        }
        Value::Bool(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::Uuid(None)
        | Value::ChronoDateTimeUtc(None)
        | Value::String(None) => write!(out, "\\N"),
        other => return Err(RepoError::Internal(format!("bulk copy: no text form for {other:?}"))),
    };
    written.map_err(|e| RepoError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use chrono::SubsecRound;
    use sea_orm::{EntityTrait, QueryOrder};

    use super::*;
    use crate::testing::{team_fixture, test_databases};

    /// `COPY` on PostgreSQL and `INSERT` on SQLite store exactly the generated rows, awkward text
    /// (separators, backslashes, non-ASCII) and nulls included.
    #[tokio::test]
    async fn each_loader_stores_exactly_what_was_generated() {
        for db in test_databases().await {
            let team = team_fixture(&db.database, "BULK").await;
            let spec = BulkSpec {
                teams: vec![team.team.id],
                people: vec![team.lead.viewer.person_id(), team.responder.viewer.person_id()],
                first: 0,
                count: 40,
                actions_per_incident: 3,
                now: Utc::now().trunc_subsecs(6),
                days: 30,
            };
            let codes: Vec<String> = Catalog::embedded().services().map(|s| s.code.to_string()).collect();
            let mut rows = generate_batch(&spec, 0..spec.count, &codes);
            rows.incidents[0].title = "tab\there, new\nline, back\\slash \\N, 対応".into();
            rows.incidents[0].description = Some("\r\n\\.".into());
            rows.actions[0].details = Some("a\tb".into());
            store(&db.database.conn, &rows).await.unwrap();

            let conn = &db.database.conn;
            let mut incidents = incident::Entity::find().order_by_asc(incident::Column::Id).all(conn).await.unwrap();
            let mut expected = rows.incidents.clone();
            expected.sort_by_key(|i| i.id);
            incidents.retain(|i| i.team_id == team.team.id.as_uuid());
            assert_eq!(incidents, expected, "{}: incidents", db.backend);
            let mut transitions = transition::Entity::find().all(conn).await.unwrap();
            transitions.sort_by_key(|t| t.id);
            rows.transitions.sort_by_key(|t| t.id);
            assert_eq!(transitions, rows.transitions, "{}: transitions", db.backend);
            let mut actions = action::Entity::find().all(conn).await.unwrap();
            actions.sort_by_key(|a| a.id);
            rows.actions.sort_by_key(|a| a.id);
            assert_eq!(actions, rows.actions, "{}: actions", db.backend);
            let mut services = action_service::Entity::find().all(conn).await.unwrap();
            services.sort_by_key(|a| (a.action_id, a.position));
            rows.services.sort_by_key(|a| (a.action_id, a.position));
            assert_eq!(services, rows.services, "{}: action services", db.backend);
            assert_eq!(
                crate::rollup::tests::stored(conn).await,
                crate::rollup::tests::recount(conn).await,
                "{}: rollups",
                db.backend
            );
            // A second batch adds to the rollup rows the first one made.
            store(conn, &generate_batch(&spec, spec.count..2 * spec.count, &codes)).await.unwrap();
            assert_eq!(
                crate::rollup::tests::stored(conn).await,
                crate::rollup::tests::recount(conn).await,
                "{}: rollups after a second batch",
                db.backend
            );
        }
    }
}
