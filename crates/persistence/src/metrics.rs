//! What team dashboards read, and the team settings they use.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use taio_core::catalog::ServiceCode;
use taio_core::id::{IncidentId, PersonId, TeamId};
use taio_core::incident::{Outcome, Stage, Status, WorkflowState};
use taio_core::metrics::{
    ActionFact, ClockKind, DashboardFacts, MetricsRepository, Period, Provision, SlaTarget, TransitionFact,
};
use taio_core::{Actor, RepoError};

use crate::SqlIncidents;
use crate::audit::{self, Entry, digest_of, team_chain};
use crate::convert::parse;
use crate::db::begin_write;
use crate::entity::{action, action_service, incident, service_portfolio, sla_target, transition};
use crate::error::{corrupt, repo_err};

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

/// Ids of the team's incidents that a dashboard of `period` needs: open, reported or closed in
/// the period, or worked on or moved in it.
fn relevant_incidents(team: TeamId, period: Period) -> SelectStatement {
    use incident::Column as C;
    let worked = Query::select()
        .column(action::Column::IncidentId)
        .from(action::Entity)
        .and_where(action::Column::TeamId.eq(team.as_uuid()))
        .and_where(action::Column::PerformedAt.gte(period.from))
        .and_where(action::Column::PerformedAt.lt(period.to))
        .to_owned();
    let moved = Query::select()
        .column(transition::Column::IncidentId)
        .from(transition::Entity)
        .and_where(transition::Column::TeamId.eq(team.as_uuid()))
        .and_where(transition::Column::At.gte(period.from))
        .and_where(transition::Column::At.lt(period.to))
        .to_owned();
    Query::select()
        .column(C::Id)
        .from(incident::Entity)
        .and_where(C::TeamId.eq(team.as_uuid()))
        .cond_where(
            Condition::any()
                .add(C::Status.eq(Status::Open.as_str()))
                .add(Condition::all().add(C::ReportedAt.gte(period.from)).add(C::ReportedAt.lt(period.to)))
                .add(Condition::all().add(C::ClosedAt.gte(period.from)).add(C::ClosedAt.lt(period.to)))
                .add(C::Id.in_subquery(worked))
                .add(C::Id.in_subquery(moved)),
        )
        .to_owned()
}

#[async_trait]
impl MetricsRepository for SqlMetrics {
    async fn facts(&self, team: TeamId, period: Period) -> Result<DashboardFacts, RepoError> {
        let rows = incident::Entity::find()
            .filter(incident::Column::Id.in_subquery(relevant_incidents(team, period)))
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        let incidents = SqlIncidents::new(self.conn.clone()).hydrate(rows).await?;

        // Time in stage needs the history of incidents reported in the period; failed containments
        // need the moves made in it.
        let reported_in_period = Query::select()
            .column(incident::Column::Id)
            .from(incident::Entity)
            .and_where(incident::Column::TeamId.eq(team.as_uuid()))
            .and_where(incident::Column::ReportedAt.gte(period.from))
            .and_where(incident::Column::ReportedAt.lt(period.to))
            .to_owned();
        let transitions = transition::Entity::find()
            .filter(transition::Column::IncidentId.in_subquery(relevant_incidents(team, period)))
            .filter(Condition::any().add(transition::Column::IncidentId.in_subquery(reported_in_period)).add(
                Condition::all().add(transition::Column::At.gte(period.from)).add(transition::Column::At.lt(period.to)),
            ))
            .order_by_asc(transition::Column::IncidentId)
            .order_by_asc(transition::Column::IncidentVersion)
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(|t| {
                Ok(TransitionFact {
                    incident: IncidentId::from_uuid(t.incident_id),
                    from: t.from_state.as_deref().map(|s| parse("from_state", s, WorkflowState::parse)).transpose()?,
                    to: parse("to_state", &t.to_state, WorkflowState::parse)?,
                    at: t.at,
                })
            })
            .collect::<Result<Vec<_>, RepoError>>()?;

        // Coverage and workload count actions performed in the period; the D-6 backlog counts
        // notifications still planned.
        let counted = Condition::any()
            .add(
                Condition::all()
                    .add(action::Column::PerformedAt.gte(period.from))
                    .add(action::Column::PerformedAt.lt(period.to)),
            )
            .add(
                Condition::all()
                    .add(action::Column::Stage.eq(Stage::D6.as_str()))
                    .add(action::Column::Outcome.eq(Outcome::Planned.as_str())),
            );
        let counted_ids = Query::select()
            .column(action::Column::Id)
            .from(action::Entity)
            .and_where(action::Column::IncidentId.in_subquery(relevant_incidents(team, period)))
            .cond_where(counted.clone())
            .to_owned();
        // A correlated NOT EXISTS rather than NOT IN, whose null semantics keep PostgreSQL from an
        // anti-join over the `supersedes` index.
        let correction = Alias::new("correction");
        let superseded = Query::select()
            .expr(Expr::val(1))
            .from_as(action::Entity, correction.clone())
            .and_where(Expr::col((correction, action::Column::Supersedes)).equals((action::Entity, action::Column::Id)))
            .to_owned();
        let action_rows = action::Entity::find()
            .filter(action::Column::IncidentId.in_subquery(relevant_incidents(team, period)))
            .filter(counted)
            .filter(Condition::all().add(Expr::exists(superseded)).not())
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        let mut services: HashMap<uuid::Uuid, Vec<ServiceCode>> = HashMap::new();
        let service_rows = action_service::Entity::find()
            .filter(action_service::Column::IncidentId.in_subquery(relevant_incidents(team, period)))
            .filter(action_service::Column::ActionId.in_subquery(counted_ids))
            .order_by_asc(action_service::Column::ActionId)
            .order_by_asc(action_service::Column::Position)
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        for row in service_rows {
            let code = ServiceCode::parse(&row.service_code).map_err(|_| corrupt("service_code", &row.service_code))?;
            services.entry(row.action_id).or_default().push(code);
        }
        let actions = action_rows
            .into_iter()
            .map(|a| {
                let stage = parse("stage", &a.stage, Stage::parse)?;
                let outcome = a.outcome.as_deref().map(|o| parse("outcome", o, Outcome::parse)).transpose()?;
                Ok(ActionFact {
                    incident: IncidentId::from_uuid(a.incident_id),
                    stage,
                    services: services.remove(&a.id).unwrap_or_default(),
                    performed_by: PersonId::from_uuid(a.performed_by),
                    performed_at: a.performed_at,
                    effort_minutes: a.effort_minutes,
                    planned_notification: stage == Stage::D6 && outcome == Some(Outcome::Planned),
                })
            })
            .collect::<Result<Vec<_>, RepoError>>()?;
        Ok(DashboardFacts { incidents, transitions, actions })
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
