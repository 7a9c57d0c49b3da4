//! Daily rollups of recorded work, kept in the transaction that records each action: service uses
//! per team, UTC day, stage and service, and actions and effort per team, day and person. A
//! correction moves its superseded action's counts to itself. Dashboards read whole days here and
//! only the partial days at the edges of a period from the actions themselves.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, InsertStatement, OnConflict, Query};
use taio_core::RepoError;

use crate::error::repo_err;

/// Rows per upsert statement.
const ROWS_PER_STATEMENT: usize = 500;

#[derive(Debug, Clone, Copy, sea_orm::DeriveIden)]
pub(crate) enum ServiceUseDays {
    Table,
    TeamId,
    Day,
    Stage,
    ServiceCode,
    Uses,
}

#[derive(Debug, Clone, Copy, sea_orm::DeriveIden)]
pub(crate) enum WorkDays {
    Table,
    TeamId,
    Day,
    PersonId,
    Actions,
    EffortMinutes,
}

/// Days since 1970-01-01 (UTC) of `at`.
pub(crate) fn day_of(at: DateTime<Utc>) -> i32 {
    i32::try_from(at.timestamp().div_euclid(86_400)).unwrap_or(i32::MAX)
}

/// The first instant of `day`.
pub(crate) fn day_start(day: i32) -> DateTime<Utc> {
    DateTime::from_timestamp(i64::from(day) * 86_400, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// One action as the rollups count it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counted<'a> {
    pub team: uuid::Uuid,
    pub performed_at: DateTime<Utc>,
    pub stage: &'a str,
    pub performed_by: uuid::Uuid,
    pub effort_minutes: Option<i32>,
    pub services: &'a [String],
}

/// Changes to the rollups, summed per row before they are written. Ordered, so that concurrent
/// writers lock the rows they share in the same order and cannot deadlock on them.
#[derive(Debug, Default)]
pub(crate) struct Delta {
    uses: BTreeMap<(uuid::Uuid, i32, String, String), i64>,
    work: BTreeMap<(uuid::Uuid, i32, uuid::Uuid), (i64, i64)>,
}

impl Delta {
    /// Counts `action` once more (`sign` 1) or once less (`sign` -1).
    pub(crate) fn add(&mut self, action: Counted<'_>, sign: i64) {
        let day = day_of(action.performed_at);
        for code in action.services {
            *self.uses.entry((action.team, day, action.stage.to_owned(), code.clone())).or_default() += sign;
        }
        let work = self.work.entry((action.team, day, action.performed_by)).or_default();
        work.0 += sign;
        work.1 += sign * i64::from(action.effort_minutes.unwrap_or(0));
    }

    /// The upserts that apply the changes (each adds to the stored sums).
    pub(crate) fn statements(&self) -> Result<Vec<InsertStatement>, RepoError> {
        let invalid = |e: sea_orm::sea_query::error::Error| RepoError::Internal(e.to_string());
        let mut statements = Vec::new();
        let uses: Vec<_> = self.uses.iter().filter(|(_, n)| **n != 0).collect();
        for chunk in uses.chunks(ROWS_PER_STATEMENT) {
            use ServiceUseDays as U;
            let mut insert = Query::insert();
            insert.into_table(U::Table).columns([U::TeamId, U::Day, U::Stage, U::ServiceCode, U::Uses]).on_conflict(
                OnConflict::columns([U::TeamId, U::Day, U::Stage, U::ServiceCode])
                    .value(U::Uses, Expr::col((U::Table, U::Uses)).add(Expr::cust(r#""excluded"."uses""#)))
                    .to_owned(),
            );
            for ((team, day, stage, code), n) in chunk {
                insert
                    .values([(*team).into(), (*day).into(), stage.clone().into(), code.clone().into(), (**n).into()])
                    .map_err(invalid)?;
            }
            statements.push(insert);
        }
        let work: Vec<_> = self.work.iter().filter(|(_, sums)| **sums != (0, 0)).collect();
        for chunk in work.chunks(ROWS_PER_STATEMENT) {
            use WorkDays as W;
            let mut insert = Query::insert();
            insert
                .into_table(W::Table)
                .columns([W::TeamId, W::Day, W::PersonId, W::Actions, W::EffortMinutes])
                .on_conflict(
                    OnConflict::columns([W::TeamId, W::Day, W::PersonId])
                        .value(W::Actions, Expr::col((W::Table, W::Actions)).add(Expr::cust(r#""excluded"."actions""#)))
                        .value(
                            W::EffortMinutes,
                            Expr::col((W::Table, W::EffortMinutes)).add(Expr::cust(r#""excluded"."effort_minutes""#)),
                        )
                        .to_owned(),
                );
            for ((team, day, person), (n, effort)) in chunk {
                insert
                    .values([(*team).into(), (*day).into(), (*person).into(), (*n).into(), (*effort).into()])
                    .map_err(invalid)?;
            }
            statements.push(insert);
        }
        Ok(statements)
    }

    /// The changes as rows of `COPY`'s text format, for `service_use_days` and `work_days`
    /// (their columns in order). The values (ids, numbers, stage and service codes) need no
    /// escaping.
    pub(crate) fn copy_rows(&self) -> (String, String) {
        let mut uses = String::new();
        for ((team, day, stage, code), n) in self.uses.iter().filter(|(_, n)| **n != 0) {
            uses.push_str(&format!("{}\t{day}\t{stage}\t{code}\t{n}\n", team.hyphenated()));
        }
        let mut work = String::new();
        for ((team, day, person), (n, effort)) in self.work.iter().filter(|(_, sums)| **sums != (0, 0)) {
            work.push_str(&format!("{}\t{day}\t{}\t{n}\t{effort}\n", team.hyphenated(), person.hyphenated()));
        }
        (uses, work)
    }

    /// Applies the changes on `conn` (a transaction, so that they commit with the actions).
    pub(crate) async fn apply(&self, conn: &impl ConnectionTrait) -> Result<(), RepoError> {
        for statement in self.statements()? {
            conn.execute(&statement).await.map_err(repo_err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use chrono::Duration;
    use sea_orm::{EntityTrait, Statement};
    use taio_core::incident::{ActionKind, NewActionRequest, NewIncidentRequest, Stage};
    use taio_core::{SystemClock, Text};
    use taio_migrations::MigratorTrait;

    use super::*;
    use crate::entity::{action, action_service};
    use crate::testing::{scalar, team_fixture, test_databases};

    pub(crate) type Sums =
        (BTreeMap<(uuid::Uuid, i32, String, String), i64>, BTreeMap<(uuid::Uuid, i32, uuid::Uuid), (i64, i64)>);

    /// The rollups as stored, rows that sum to nothing left out.
    pub(crate) async fn stored(conn: &sea_orm::DatabaseConnection) -> Sums {
        let backend = conn.get_database_backend();
        let query = |sql: &str| conn.query_all_raw(Statement::from_string(backend, sql.to_owned()));
        let mut uses = BTreeMap::new();
        for row in query("SELECT team_id, day, stage, service_code, uses FROM service_use_days").await.unwrap() {
            let n: i64 = row.try_get("", "uses").unwrap();
            if n != 0 {
                let key = (
                    row.try_get("", "team_id").unwrap(),
                    row.try_get("", "day").unwrap(),
                    row.try_get("", "stage").unwrap(),
                    row.try_get("", "service_code").unwrap(),
                );
                uses.insert(key, n);
            }
        }
        let mut work = BTreeMap::new();
        for row in query("SELECT team_id, day, person_id, actions, effort_minutes FROM work_days").await.unwrap() {
            let sums: (i64, i64) = (row.try_get("", "actions").unwrap(), row.try_get("", "effort_minutes").unwrap());
            if sums != (0, 0) {
                let key = (
                    row.try_get("", "team_id").unwrap(),
                    row.try_get("", "day").unwrap(),
                    row.try_get("", "person_id").unwrap(),
                );
                work.insert(key, sums);
            }
        }
        (uses, work)
    }

    /// The same sums counted afresh from the actions no correction supersedes.
    pub(crate) async fn recount(conn: &sea_orm::DatabaseConnection) -> Sums {
        let actions = action::Entity::find().all(conn).await.unwrap();
        let services = action_service::Entity::find().all(conn).await.unwrap();
        let superseded: Vec<uuid::Uuid> = actions.iter().filter_map(|a| a.supersedes).collect();
        let (mut uses, mut work): Sums = Default::default();
        for a in actions.iter().filter(|a| !superseded.contains(&a.id)) {
            let (team, day) = (a.team_id.unwrap(), day_of(a.performed_at));
            for s in services.iter().filter(|s| s.action_id == a.id) {
                *uses.entry((team, day, a.stage.clone(), s.service_code.clone())).or_default() += 1;
            }
            let w = work.entry((team, day, a.performed_by)).or_default();
            w.0 += 1;
            w.1 += i64::from(a.effort_minutes.unwrap_or(0));
        }
        (uses, work)
    }

    /// Recording actions, corrections (one action corrected twice) included, keeps the rollups
    /// equal to a recount; so does the migration's backfill run on the same actions.
    #[tokio::test]
    async fn rollups_equal_a_recount_of_the_actions() {
        for db in test_databases().await {
            let team = team_fixture(&db.database, "ROLL").await;
            let service = db.database.incident_service(Arc::new(SystemClock));
            let now = Utc::now();
            let text = |s: &str| Text::parse("text", s, 200).unwrap();
            let incident = service
                .report(
                    &team.lead.viewer,
                    NewIncidentRequest {
                        team_id: team.team.id,
                        title: text("Rollups"),
                        description: None,
                        source: None,
                        reported_at: Some(now - Duration::days(20)),
                        detected_at: None,
                        tlp: None,
                    },
                )
                .await
                .unwrap();
            let codes = ["C-1", "C-4", "G-4", "B-1", "D-1"];
            let mut recorded = Vec::new();
            for k in 0..24_usize {
                let by = if k % 3 == 0 { &team.responder.viewer } else { &team.lead.viewer };
                let request = NewActionRequest {
                    incident_id: incident.id,
                    stage: Some([Stage::D1, Stage::D3, Stage::D4][k % 3]),
                    kind: ActionKind::Analysis,
                    summary: text(&format!("step {k}")),
                    details: None,
                    services: vec![codes[k % 5].to_owned(), codes[(k * 7 + 1) % 5].to_owned()],
                    // 23 corrects 22 a minute later: same person, same day, other effort.
                    performed_at: Some(
                        now - Duration::hours(i64::try_from(k.min(22)).unwrap() * 17)
                            + Duration::minutes(i64::from(k == 23)),
                    ),
                    effort_minutes: (k % 4 != 0).then(|| i32::try_from(k).unwrap() * 5),
                    outcome: None,
                    notification: None,
                    evidence: Vec::new(),
                    // Corrections: 8 and 9 correct 2; 15 corrects 10; 23 corrects 22.
                    supersedes: match k {
                        8 | 9 => Some(recorded[2]),
                        15 => Some(recorded[10]),
                        23 => Some(recorded[22]),
                        _ => None,
                    },
                };
                recorded.push(service.record_action(by, request).await.unwrap().id);
            }
            let conn = &db.database.conn;
            let expected = recount(conn).await;
            assert!(!expected.0.is_empty() && !expected.1.is_empty());
            assert_eq!(stored(conn).await, expected, "{}: kept by the writes", db.backend);

            // Back to before the rollup migration (and the later ones), then up again.
            let names: Vec<String> =
                taio_migrations::Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
            let rollups = names.iter().position(|n| n == "m20261126_000005_create_dashboard_rollups").unwrap();
            let steps = u32::try_from(names.len() - rollups).unwrap();
            taio_migrations::Migrator::down(conn, Some(steps)).await.unwrap();
            assert_eq!(
                scalar(&db.database, "SELECT COUNT(*) FROM seaql_migrations").await,
                i64::try_from(rollups).unwrap()
            );
            taio_migrations::Migrator::up(conn, None).await.unwrap();
            assert_eq!(stored(conn).await, expected, "{}: counted by the migration", db.backend);
        }
    }

    #[test]
    fn days_count_from_the_epoch_in_utc() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(day_of(at("1970-01-01T00:00:00Z")), 0);
        assert_eq!(day_of(at("1970-01-01T23:59:59.999999Z")), 0);
        assert_eq!(day_of(at("1970-01-02T08:59:59+09:00")), 0, "JST morning is the previous UTC day");
        assert_eq!(day_of(at("2026-11-26T00:00:00Z")), 20_783);
        assert_eq!(day_start(20_783), at("2026-11-26T00:00:00Z"));
    }

    /// Writers recording actions on the same team, day and services at once (naming the services
    /// in opposite orders) all succeed, and no count is lost.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_writers_lose_no_counts() {
        for db in test_databases().await {
            let team = team_fixture(&db.database, "BUSY").await;
            let service = Arc::new(db.database.incident_service(Arc::new(SystemClock)));
            let text = |s: &str| Text::parse("text", s, 200).unwrap();
            let mut writers = Vec::new();
            for w in 0..4_usize {
                let report = NewIncidentRequest {
                    team_id: team.team.id,
                    title: text(&format!("Busy {w}")),
                    description: None,
                    source: None,
                    reported_at: None,
                    detected_at: None,
                    tlp: None,
                };
                let incident = service.report(&team.lead.viewer, report).await.unwrap();
                let (service, lead) = (Arc::clone(&service), team.lead.viewer.clone());
                writers.push(tokio::spawn(async move {
                    let mut codes = vec!["C-1".to_owned(), "C-4".to_owned(), "G-4".to_owned()];
                    if w % 2 == 1 {
                        codes.reverse();
                    }
                    for k in 0..12 {
                        let request = NewActionRequest {
                            incident_id: incident.id,
                            stage: Some(Stage::D1),
                            kind: ActionKind::Analysis,
                            summary: Text::parse("summary", &format!("step {k}"), 200).unwrap(),
                            details: None,
                            services: codes.clone(),
                            performed_at: None,
                            effort_minutes: Some(1),
                            outcome: None,
                            notification: None,
                            evidence: Vec::new(),
                            supersedes: None,
                        };
                        service.record_action(&lead, request).await.unwrap();
                    }
                }));
            }
            for writer in writers {
                writer.await.unwrap();
            }
            let conn = &db.database.conn;
            let expected = recount(conn).await;
            assert_eq!(expected.1.values().map(|(n, _)| n).sum::<i64>(), 48, "{}: every action stored", db.backend);
            assert_eq!(stored(conn).await, expected, "{}", db.backend);
        }
    }
}
