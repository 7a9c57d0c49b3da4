//! What team dashboards read, and the team settings they use.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Alias, CaseStatement, Expr, ExprTrait, Func, OnConflict, Order, Query, SelectStatement, Value,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, IntoActiveModel,
    QueryFilter, QueryResult,
};
use taio_core::catalog::ServiceCode;
use taio_core::id::{IncidentId, PersonId, TeamId};
use taio_core::incident::{
    Determination, Incident, Milestones, Outcome, Priority, Severity, Stage, Status, WorkflowState,
};
use taio_core::metrics::{
    Audience, ClockKind, DashboardFacts, IncidentFact, MetricsRepository, OpenGroup, Period, PersonWork, Provision,
    ServiceUse, SlaTarget, StageEntry,
};
use taio_core::{Actor, RepoError};

use crate::SqlIncidents;
use crate::audit::{self, Entry, digest_of, team_chain};
use crate::convert::parse;
use crate::db::begin_write;
use crate::entity::{
    action, action_service, incident, incident_participant, service_portfolio, sla_target, transition,
};
use crate::error::{corrupt, repo_err};
use crate::rollup::{ServiceUseDays, WorkDays, day_of, day_start};

/// [`MetricsRepository`] on sea-orm.
#[derive(Debug, Clone)]
pub struct SqlMetrics {
    conn: DatabaseConnection,
}

impl SqlMetrics {
    /// A repository over `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

/// The stored form of "restricted": marked, or TLP:RED. Written out literally (as in the partial
/// index `ix_incidents_team_restricted`) so that both databases can use that index.
const RESTRICTED: &str = r#"("restricted" OR "tlp" = 'RED')"#;

/// Ids of the team's restricted incidents that `audience` may not see (not owner, reporter or
/// participant), or `None` when it sees them all.
fn hidden(team: TeamId, audience: Audience) -> Option<SelectStatement> {
    use incident::Column as C;
    if audience.sees_restricted {
        return None;
    }
    let me = audience.person.as_uuid();
    let participates = Query::select()
        .expr(Expr::val(1))
        .from(incident_participant::Entity)
        .and_where(
            Expr::col((incident_participant::Entity, incident_participant::Column::IncidentId))
                .equals((incident::Entity, C::Id)),
        )
        .and_where(Expr::col((incident_participant::Entity, incident_participant::Column::PersonId)).eq(me))
        .to_owned();
    Some(
        Query::select()
            .column((incident::Entity, C::Id))
            .from(incident::Entity)
            .and_where(Expr::col((incident::Entity, C::TeamId)).eq(team.as_uuid()))
            .and_where(Expr::cust(RESTRICTED))
            .cond_where(Condition::any().add(C::OwnerId.is_null()).add(C::OwnerId.ne(me)))
            .and_where(C::ReportedBy.ne(me))
            .and_where(Expr::exists(participates).not())
            .to_owned(),
    )
}

/// Limits `query`, whose incident id is `incident_id`, to incidents the audience may see.
fn visible(query: &mut SelectStatement, incident_id: Expr, team: TeamId, audience: Audience) {
    if let Some(hidden) = hidden(team, audience) {
        query.and_where(incident_id.not_in_subquery(hidden));
    }
}

/// No later action supersedes the action of the `actions` table in scope. A correlated NOT EXISTS
/// rather than NOT IN, whose null semantics keep PostgreSQL from an anti-join.
fn not_superseded() -> Expr {
    let correction = Alias::new("correction");
    let superseded = Query::select()
        .expr(Expr::val(1))
        .from_as(action::Entity, correction.clone())
        .and_where(Expr::col((correction, action::Column::Supersedes)).equals((action::Entity, action::Column::Id)))
        .to_owned();
    Expr::exists(superseded).not()
}

/// Which of the team's incidents a count over actions covers.
#[derive(Debug, Clone, Copy)]
enum Incidents {
    /// Those the audience may see.
    Visible,
    /// Only the restricted ones it may not see.
    Hidden,
}

/// The team's actions performed in `ranges` that no correction superseded, on `incidents`.
fn actions_in(query: &mut SelectStatement, team: TeamId, ranges: &[Range], audience: Audience, incidents: Incidents) {
    use action::Column as A;
    let performed = || Expr::col((action::Entity, A::PerformedAt));
    let mut when = Condition::any();
    for range in ranges {
        when = when.add(Condition::all().add(performed().gte(range.0)).add(performed().lt(range.1)));
    }
    query
        .and_where(Expr::col((action::Entity, A::TeamId)).eq(team.as_uuid()))
        .cond_where(when)
        .and_where(not_superseded());
    let incident = Expr::col((action::Entity, A::IncidentId));
    match (incidents, hidden(team, audience)) {
        (Incidents::Visible, Some(hidden)) => {
            query.and_where(incident.not_in_subquery(hidden));
        }
        (Incidents::Hidden, Some(hidden)) => {
            query.and_where(incident.in_subquery(hidden));
        }
        (Incidents::Visible, None) => {}
        (Incidents::Hidden, None) => {
            query.and_where(Expr::val(1).eq(0));
        }
    }
}

/// `[start, end)`.
type Range = (DateTime<Utc>, DateTime<Utc>);

/// A period split into whole UTC days, read from the rollups, and the partial days at its edges,
/// read from the actions.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Split {
    /// `[first, end)` in days since the epoch, when the period holds a whole day.
    days: Option<(i32, i32)>,
    /// The rest of the period.
    edges: Vec<Range>,
}

impl Split {
    fn of(period: Period) -> Self {
        let from_day = day_of(period.from);
        let first = if day_start(from_day) == period.from { from_day } else { from_day + 1 };
        let end = day_of(period.to);
        if first < end {
            Self { days: Some((first, end)), edges: vec![(period.from, day_start(first)), (day_start(end), period.to)] }
        } else {
            Self { days: None, edges: vec![(period.from, period.to)] }
        }
    }
}

/// The index into `boundaries`' gaps that `value` falls in: 0 before the first boundary, 1
/// before the second, and so on; computed by the database from bound values.
fn bucket(value: &dyn Fn() -> Expr, boundaries: impl IntoIterator<Item = Value>) -> Expr {
    let mut case: Option<CaseStatement> = None;
    let mut last = 0;
    for (index, boundary) in (0_i32..).zip(boundaries) {
        let when = value().lt(Expr::val(boundary));
        case = Some(match case {
            None => Expr::case(when, index),
            Some(case) => case.case(when, index),
        });
        last = index + 1;
    }
    case.map_or_else(|| Expr::val(0), |case| case.finally(last).into())
}

/// Sums of signed counts under one key.
type Tally<K> = HashMap<K, (i64, i64)>;

fn add_rows<K: std::hash::Hash + Eq>(
    tally: &mut Tally<K>,
    rows: &[QueryResult],
    sign: i64,
    key: impl Fn(&QueryResult) -> Result<K, RepoError>,
) -> Result<(), RepoError> {
    for row in rows {
        let n: i64 = row.try_get("", "n").map_err(repo_err)?;
        let m: i64 = row.try_get("", "m").map_err(repo_err)?;
        let entry = tally.entry(key(row)?).or_default();
        entry.0 += sign * n;
        entry.1 += sign * m;
    }
    Ok(())
}

/// A non-negative count, or an error naming rollups that disagree with the actions.
fn tallied(n: i64) -> Result<u64, RepoError> {
    u64::try_from(n).map_err(|_| RepoError::Internal(format!("dashboard rollups out of step ({n})")))
}

fn count(row: &QueryResult, column: &str) -> Result<u64, RepoError> {
    let n: i64 = row.try_get("", column).map_err(repo_err)?;
    u64::try_from(n).map_err(|_| corrupt(column, &n.to_string()))
}

fn count_star() -> Expr {
    Expr::cust("COUNT(*)")
}

#[derive(Debug, FromQueryResult)]
struct IncidentFactRow {
    id: uuid::Uuid,
    reported_at: DateTime<Utc>,
    status: String,
    severity: Option<String>,
    priority: Option<String>,
    determination: String,
    reopen_count: i32,
    acknowledged_at: Option<DateTime<Utc>>,
    triaged_at: Option<DateTime<Utc>>,
    declared_at: Option<DateTime<Utc>>,
    contained_at: Option<DateTime<Utc>>,
    recovered_at: Option<DateTime<Utc>>,
    report_completed_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    first_notified_at: Option<DateTime<Utc>>,
}

impl IncidentFactRow {
    fn into_fact(self) -> Result<IncidentFact, RepoError> {
        Ok(IncidentFact {
            id: IncidentId::from_uuid(self.id),
            reported_at: self.reported_at,
            status: parse("status", &self.status, Status::parse)?,
            severity: self.severity.as_deref().map(|s| parse("severity", s, Severity::parse)).transpose()?,
            priority: self.priority.as_deref().map(|p| parse("priority", p, Priority::parse)).transpose()?,
            determination: parse("determination", &self.determination, Determination::parse)?,
            reopen_count: self.reopen_count,
            milestones: Milestones {
                acknowledged_at: self.acknowledged_at,
                triaged_at: self.triaged_at,
                declared_at: self.declared_at,
                contained_at: self.contained_at,
                recovered_at: self.recovered_at,
                report_completed_at: self.report_completed_at,
                closed_at: self.closed_at,
                first_notified_at: self.first_notified_at,
            },
        })
    }
}

impl SqlMetrics {
    async fn rows(&self, query: &SelectStatement) -> Result<Vec<QueryResult>, RepoError> {
        let backend = self.conn.get_database_backend();
        self.conn.query_all_raw(backend.build(query)).await.map_err(repo_err)
    }

    /// Incidents reported or closed in the period, one narrow row each.
    async fn period_incidents(
        &self,
        team: TeamId,
        period: Period,
        audience: Audience,
    ) -> Result<Vec<IncidentFact>, RepoError> {
        use incident::Column as C;
        let mut query = Query::select();
        query
            .columns([
                C::Id,
                C::ReportedAt,
                C::Status,
                C::Severity,
                C::Priority,
                C::Determination,
                C::ReopenCount,
                C::AcknowledgedAt,
                C::TriagedAt,
                C::DeclaredAt,
                C::ContainedAt,
                C::RecoveredAt,
                C::ReportCompletedAt,
                C::ClosedAt,
                C::FirstNotifiedAt,
            ])
            .from(incident::Entity)
            .and_where(C::TeamId.eq(team.as_uuid()))
            .cond_where(
                Condition::any()
                    .add(Condition::all().add(C::ReportedAt.gte(period.from)).add(C::ReportedAt.lt(period.to)))
                    .add(Condition::all().add(C::ClosedAt.gte(period.from)).add(C::ClosedAt.lt(period.to))),
            );
        visible(&mut query, Expr::col((incident::Entity, C::Id)), team, audience);
        let backend = self.conn.get_database_backend();
        IncidentFactRow::find_by_statement(backend.build(&query))
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(IncidentFactRow::into_fact)
            .collect()
    }

    /// Open incidents counted by stage, classification, owner, acknowledgement and hold.
    async fn open_groups(&self, team: TeamId, audience: Audience) -> Result<Vec<OpenGroup>, RepoError> {
        use incident::Column as C;
        let acknowledged = Expr::case(C::AcknowledgedAt.is_null(), 0).finally(1);
        let on_hold = Expr::case(C::OnHoldReason.is_null(), 0).finally(1);
        let mut query = Query::select();
        query
            .columns([C::Stage, C::Severity, C::Priority, C::OwnerId])
            .expr_as(acknowledged, Alias::new("is_acknowledged"))
            .expr_as(on_hold, Alias::new("is_on_hold"))
            .expr_as(count_star(), Alias::new("n"))
            .from(incident::Entity)
            .and_where(C::TeamId.eq(team.as_uuid()))
            .and_where(C::Status.eq(Status::Open.as_str()))
            .group_by_columns([C::Stage, C::Severity, C::Priority, C::OwnerId])
            // By output name: the expressions carry bound values, which PostgreSQL does not match.
            .group_by_col(Alias::new("is_acknowledged"))
            .group_by_col(Alias::new("is_on_hold"));
        visible(&mut query, Expr::col((incident::Entity, C::Id)), team, audience);
        self.rows(&query)
            .await?
            .iter()
            .map(|row| {
                let text = |column: &str| -> Result<Option<String>, RepoError> {
                    row.try_get::<Option<String>>("", column).map_err(repo_err)
                };
                let flag = |column: &str| -> Result<bool, RepoError> {
                    Ok(row.try_get::<i32>("", column).map_err(repo_err)? != 0)
                };
                let stage = text("stage")?.unwrap_or_default();
                Ok(OpenGroup {
                    stage: parse("stage", &stage, Stage::parse)?,
                    severity: text("severity")?
                        .as_deref()
                        .map(|s| parse("severity", s, Severity::parse))
                        .transpose()?,
                    priority: text("priority")?
                        .as_deref()
                        .map(|p| parse("priority", p, Priority::parse))
                        .transpose()?,
                    owner: row
                        .try_get::<Option<uuid::Uuid>>("", "owner_id")
                        .map_err(repo_err)?
                        .map(PersonId::from_uuid),
                    acknowledged: flag("is_acknowledged")?,
                    on_hold: flag("is_on_hold")?,
                    count: count(row, "n")?,
                })
            })
            .collect()
    }

    /// The open incident reported first, whole.
    async fn oldest_open(&self, team: TeamId, audience: Audience) -> Result<Option<Incident>, RepoError> {
        use incident::Column as C;
        let mut ids = Query::select();
        ids.column(C::Id)
            .from(incident::Entity)
            .and_where(C::TeamId.eq(team.as_uuid()))
            .and_where(C::Status.eq(Status::Open.as_str()))
            .order_by(C::ReportedAt, Order::Asc)
            .order_by(C::Id, Order::Asc)
            .limit(1);
        visible(&mut ids, Expr::col((incident::Entity, C::Id)), team, audience);
        let Some(row) = self.rows(&ids).await?.into_iter().next() else {
            return Ok(None);
        };
        let id: uuid::Uuid = row.try_get("", "id").map_err(repo_err)?;
        let rows = incident::Entity::find_by_id(id).all(&self.conn).await.map_err(repo_err)?;
        Ok(SqlIncidents::new(self.conn.clone(), crate::EventSignal::default()).hydrate(rows).await?.into_iter().next())
    }

    /// D-6 notifications still planned on open incidents, and how many incidents have them.
    async fn pending_notifications(&self, team: TeamId, audience: Audience) -> Result<(u64, u64), RepoError> {
        use action::Column as A;
        // Literal, as in the partial index `ix_actions_team_planned_notifications`.
        let planned = format!(
            r#""actions"."stage" = '{}' AND "actions"."outcome" = '{}'"#,
            Stage::D6.as_str(),
            Outcome::Planned.as_str()
        );
        let mut query = Query::select();
        query
            .expr_as(count_star(), Alias::new("n"))
            .expr_as(Func::count_distinct(Expr::col((action::Entity, A::IncidentId))), Alias::new("incidents"))
            .from(action::Entity)
            .inner_join(
                incident::Entity,
                Expr::col((incident::Entity, incident::Column::Id)).equals((action::Entity, A::IncidentId)),
            )
            .and_where(Expr::col((action::Entity, A::TeamId)).eq(team.as_uuid()))
            .and_where(Expr::cust(planned))
            .and_where(Expr::col((incident::Entity, incident::Column::Status)).eq(Status::Open.as_str()))
            .and_where(not_superseded());
        visible(&mut query, Expr::col((action::Entity, A::IncidentId)), team, audience);
        match self.rows(&query).await?.first() {
            Some(row) => Ok((count(row, "n")?, count(row, "incidents")?)),
            None => Ok((0, 0)),
        }
    }

    /// Every stage move of the incidents reported in the period, oldest first per incident.
    async fn stage_entries(
        &self,
        team: TeamId,
        period: Period,
        audience: Audience,
    ) -> Result<Vec<StageEntry>, RepoError> {
        use transition::Column as T;
        let mut reported = Query::select();
        reported
            .column((incident::Entity, incident::Column::Id))
            .from(incident::Entity)
            .and_where(incident::Column::TeamId.eq(team.as_uuid()))
            .and_where(incident::Column::ReportedAt.gte(period.from))
            .and_where(incident::Column::ReportedAt.lt(period.to));
        visible(&mut reported, Expr::col((incident::Entity, incident::Column::Id)), team, audience);
        let query = Query::select()
            .columns([T::IncidentId, T::ToState, T::At])
            .from(transition::Entity)
            .and_where(Expr::col((transition::Entity, T::IncidentId)).in_subquery(reported))
            .order_by(T::IncidentId, Order::Asc)
            .order_by(T::IncidentVersion, Order::Asc)
            .to_owned();
        self.rows(&query)
            .await?
            .iter()
            .map(|row| {
                let state: String = row.try_get("", "to_state").map_err(repo_err)?;
                Ok(StageEntry {
                    incident: IncidentId::from_uuid(row.try_get("", "incident_id").map_err(repo_err)?),
                    state: parse("to_state", &state, WorkflowState::parse)?,
                    at: row.try_get("", "at").map_err(repo_err)?,
                })
            })
            .collect()
    }

    /// D-5 → D-4 moves made in the period.
    async fn failed_containments(&self, team: TeamId, period: Period, audience: Audience) -> Result<u64, RepoError> {
        use transition::Column as T;
        let mut query = Query::select();
        query
            .expr_as(count_star(), Alias::new("n"))
            .from(transition::Entity)
            .and_where(T::TeamId.eq(team.as_uuid()))
            .and_where(T::At.gte(period.from))
            .and_where(T::At.lt(period.to))
            // Literal, as in the partial index `ix_incident_transitions_team_failed_containments`.
            .and_where(Expr::cust(format!(
                r#""incident_transitions"."from_state" = '{}' AND "incident_transitions"."to_state" = '{}'"#,
                WorkflowState::D5.as_str(),
                WorkflowState::D4.as_str()
            )));
        visible(&mut query, Expr::col((transition::Entity, T::IncidentId)), team, audience);
        self.rows(&query).await?.first().map_or(Ok(0), |row| count(row, "n"))
    }

    /// Signed sums over the period, keyed by `group` columns of the actions (`raw`) and of the
    /// rollups (`rolled`): rollups for whole days, minus what hidden incidents add to them, plus
    /// the visible actions of the partial days. `n` and `m` are the two sums each row carries.
    async fn tally<K: std::hash::Hash + Eq>(
        &self,
        team: TeamId,
        period: Period,
        audience: Audience,
        rolled: impl Fn(i32, i32) -> SelectStatement,
        raw: impl Fn() -> SelectStatement,
        key: impl Fn(&QueryResult) -> Result<K, RepoError>,
    ) -> Result<Tally<K>, RepoError> {
        let split = Split::of(period);
        let mut tally = Tally::new();
        let mut edges = raw();
        actions_in(&mut edges, team, &split.edges, audience, Incidents::Visible);
        add_rows(&mut tally, &self.rows(&edges).await?, 1, &key)?;
        if let Some((first, end)) = split.days {
            add_rows(&mut tally, &self.rows(&rolled(first, end)).await?, 1, &key)?;
            if !audience.sees_restricted {
                let mut hidden = raw();
                let whole_days = [(day_start(first), day_start(end))];
                actions_in(&mut hidden, team, &whole_days, audience, Incidents::Hidden);
                add_rows(&mut tally, &self.rows(&hidden).await?, -1, &key)?;
            }
        }
        Ok(tally)
    }

    /// Actions in the period counted by stage, service and month.
    async fn service_uses(
        &self,
        team: TeamId,
        period: Period,
        audience: Audience,
    ) -> Result<Vec<ServiceUse>, RepoError> {
        use ServiceUseDays as U;
        use action::Column as A;
        let months = period.months();
        let rolled = |first: i32, end: i32| {
            let day = || Expr::col((U::Table, U::Day));
            let starts = months.iter().skip(1).map(|(_, start)| Value::from(day_of(*start)));
            Query::select()
                .column((U::Table, U::Stage))
                .column((U::Table, U::ServiceCode))
                .expr_as(bucket(&day, starts), Alias::new("month_index"))
                .expr_as(Expr::cust(r#"CAST(SUM("uses") AS BIGINT)"#), Alias::new("n"))
                .expr_as(Expr::cust("CAST(0 AS BIGINT)"), Alias::new("m"))
                .from(U::Table)
                .and_where(Expr::col((U::Table, U::TeamId)).eq(team.as_uuid()))
                .and_where(day().gte(first))
                .and_where(day().lt(end))
                .group_by_col((U::Table, U::Stage))
                .group_by_col((U::Table, U::ServiceCode))
                // By output name: the expression carries bound values, which PostgreSQL does not match.
                .group_by_col(Alias::new("month_index"))
                .to_owned()
        };
        let raw = || {
            let performed = || Expr::col((action::Entity, A::PerformedAt));
            let starts = months.iter().skip(1).map(|(_, start)| Value::from(*start));
            Query::select()
                .expr_as(Expr::col((action::Entity, A::Stage)), Alias::new("stage"))
                .column((action_service::Entity, action_service::Column::ServiceCode))
                .expr_as(bucket(&performed, starts), Alias::new("month_index"))
                .expr_as(count_star(), Alias::new("n"))
                .expr_as(Expr::cust("CAST(0 AS BIGINT)"), Alias::new("m"))
                .from(action::Entity)
                .inner_join(
                    action_service::Entity,
                    Expr::col((action_service::Entity, action_service::Column::ActionId))
                        .equals((action::Entity, A::Id)),
                )
                .group_by_col((action::Entity, A::Stage))
                .group_by_col((action_service::Entity, action_service::Column::ServiceCode))
                .group_by_col(Alias::new("month_index"))
                .to_owned()
        };
        let key = |row: &QueryResult| -> Result<(String, String, i32), RepoError> {
            Ok((
                row.try_get("", "stage").map_err(repo_err)?,
                row.try_get("", "service_code").map_err(repo_err)?,
                row.try_get("", "month_index").map_err(repo_err)?,
            ))
        };
        let tally = self.tally(team, period, audience, rolled, raw, key).await?;
        let mut uses = Vec::new();
        for ((stage, code, index), (n, _)) in tally {
            if n == 0 {
                continue;
            }
            let month = usize::try_from(index)
                .ok()
                .and_then(|i| months.get(i))
                .ok_or_else(|| corrupt("month_index", &index.to_string()))?;
            uses.push(ServiceUse {
                stage: parse("stage", &stage, Stage::parse)?,
                service: ServiceCode::parse(&code).map_err(|_| corrupt("service_code", &code))?,
                month: month.0.clone(),
                actions: tallied(n)?,
            });
        }
        Ok(uses)
    }

    /// Actions and effort in the period per person.
    async fn work(&self, team: TeamId, period: Period, audience: Audience) -> Result<Vec<PersonWork>, RepoError> {
        use WorkDays as W;
        use action::Column as A;
        let rolled = |first: i32, end: i32| {
            let day = || Expr::col((W::Table, W::Day));
            Query::select()
                .expr_as(Expr::col((W::Table, W::PersonId)), Alias::new("performed_by"))
                .expr_as(Expr::cust(r#"CAST(SUM("actions") AS BIGINT)"#), Alias::new("n"))
                .expr_as(Expr::cust(r#"CAST(SUM("effort_minutes") AS BIGINT)"#), Alias::new("m"))
                .from(W::Table)
                .and_where(Expr::col((W::Table, W::TeamId)).eq(team.as_uuid()))
                .and_where(day().gte(first))
                .and_where(day().lt(end))
                .group_by_col((W::Table, W::PersonId))
                .to_owned()
        };
        let raw = || {
            let effort = Func::sum(Func::coalesce([Expr::col((action::Entity, A::EffortMinutes)), Expr::val(0)]));
            Query::select()
                .column((action::Entity, A::PerformedBy))
                .expr_as(count_star(), Alias::new("n"))
                .expr_as(Func::cast_as(effort, Alias::new("BIGINT")), Alias::new("m"))
                .from(action::Entity)
                .group_by_col((action::Entity, A::PerformedBy))
                .to_owned()
        };
        let key =
            |row: &QueryResult| -> Result<uuid::Uuid, RepoError> { row.try_get("", "performed_by").map_err(repo_err) };
        let tally = self.tally(team, period, audience, rolled, raw, key).await?;
        let mut work = Vec::new();
        for (person, (n, effort)) in tally {
            if n != 0 {
                work.push(PersonWork {
                    person: PersonId::from_uuid(person),
                    actions: tallied(n)?,
                    effort_minutes: effort,
                });
            }
        }
        Ok(work)
    }
}

#[async_trait]
impl MetricsRepository for SqlMetrics {
    async fn facts(&self, team: TeamId, period: Period, audience: Audience) -> Result<DashboardFacts, RepoError> {
        let incidents = self.period_incidents(team, period, audience).await?;
        let open = self.open_groups(team, audience).await?;
        let oldest_open = self.oldest_open(team, audience).await?;
        let (pending_notifications, pending_notification_incidents) =
            self.pending_notifications(team, audience).await?;
        let stage_entries = self.stage_entries(team, period, audience).await?;
        let failed_containments = self.failed_containments(team, period, audience).await?;
        let service_uses = self.service_uses(team, period, audience).await?;
        let work = self.work(team, period, audience).await?;
        Ok(DashboardFacts {
            incidents,
            open,
            oldest_open,
            pending_notifications,
            pending_notification_incidents,
            stage_entries,
            failed_containments,
            service_uses,
            work,
        })
    }

    async fn sla_targets(&self, team: TeamId) -> Result<Vec<SlaTarget>, RepoError> {
        sla_target::Entity::find()
            .filter(sla_target::Column::TeamId.eq(team.as_uuid()))
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(|row| {
                Ok(SlaTarget {
                    priority: parse("priority", &row.priority, taio_core::incident::Priority::parse)?,
                    clock: parse("clock", &row.clock, ClockKind::parse)?,
                    target_seconds: row.target_seconds,
                })
            })
            .collect()
    }

    async fn set_sla_targets(
        &self,
        team: TeamId,
        targets: &[SlaTarget],
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<(), RepoError> {
        let txn = begin_write(&self.conn).await.map_err(repo_err)?;
        for t in targets {
            let row = sla_target::Model {
                team_id: team.as_uuid(),
                priority: t.priority.as_str().to_owned(),
                clock: t.clock.as_str().to_owned(),
                target_seconds: t.target_seconds,
            };
            sla_target::Entity::insert(row.into_active_model())
                .on_conflict(
                    OnConflict::columns([
                        sla_target::Column::TeamId,
                        sla_target::Column::Priority,
                        sla_target::Column::Clock,
                    ])
                    .update_column(sla_target::Column::TargetSeconds)
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .map_err(repo_err)?;
        }
        let entry = Entry::record(
            team_chain(team),
            "setSlaPolicy",
            "sla_policy",
            team.to_string(),
            Some(digest_of(&targets)),
            Some(actor),
            at,
        );
        audit::append(&txn, entry).await?;
        txn.commit().await.map_err(repo_err)
    }

    async fn portfolio(&self, team: TeamId) -> Result<BTreeMap<ServiceCode, Provision>, RepoError> {
        service_portfolio::Entity::find()
            .filter(service_portfolio::Column::TeamId.eq(team.as_uuid()))
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(|row| {
                let code =
                    ServiceCode::parse(&row.service_code).map_err(|_| corrupt("service_code", &row.service_code))?;
                Ok((code, parse("provision", &row.provision, Provision::parse)?))
            })
            .collect()
    }

    async fn set_portfolio(
        &self,
        team: TeamId,
        entries: &[(ServiceCode, Provision)],
        catalog_version: &str,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<(), RepoError> {
        let txn = begin_write(&self.conn).await.map_err(repo_err)?;
        for (code, provision) in entries {
            let row = service_portfolio::Model {
                team_id: team.as_uuid(),
                catalog_version: catalog_version.to_owned(),
                service_code: code.to_string(),
                provision: provision.as_str().to_owned(),
            };
            service_portfolio::Entity::insert(row.into_active_model())
                .on_conflict(
                    OnConflict::columns([service_portfolio::Column::TeamId, service_portfolio::Column::ServiceCode])
                        .update_columns([
                            service_portfolio::Column::Provision,
                            service_portfolio::Column::CatalogVersion,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .map_err(repo_err)?;
        }
        let entry = Entry::record(
            team_chain(team),
            "setServicePortfolio",
            "service_portfolio",
            team.to_string(),
            Some(digest_of(&entries)),
            Some(actor),
            at,
        );
        audit::append(&txn, entry).await?;
        txn.commit().await.map_err(repo_err)
    }
}
