//! Action storage: append-only rows with their catalog services, written with the incident's
//! version bump and the dashboard rollups in one transaction.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder,
};
use taio_core::id::TeamId;
use taio_core::id::{ActionId, IncidentId};
use taio_core::incident::{Action, ActionEffects, ActionRepository, NewEvent};
use taio_core::{Audit, RepoError};

use crate::audit::{self, Entry, digest_of, incident_chain};
use crate::convert::{action_from_row, action_to_row};
use crate::db::begin_write;
use crate::entity::{action, action_service, incident};
use crate::error::repo_err;
use crate::events::{self, EventSignal};
use crate::rollup::{Counted, Delta};

/// [`ActionRepository`] on sea-orm.
#[derive(Debug, Clone)]
pub struct SqlActions {
    conn: DatabaseConnection,
    signal: EventSignal,
}

impl SqlActions {
    /// A repository over `conn` that raises `signal` after each committed event.
    #[must_use]
    pub fn new(conn: DatabaseConnection, signal: EventSignal) -> Self {
        Self { conn, signal }
    }

    async fn services_of(&self, action_ids: Vec<uuid::Uuid>) -> Result<HashMap<uuid::Uuid, Vec<String>>, RepoError> {
        let mut by_action: HashMap<uuid::Uuid, Vec<String>> = HashMap::new();
        if action_ids.is_empty() {
            return Ok(by_action);
        }
        let rows = action_service::Entity::find()
            .filter(action_service::Column::ActionId.is_in(action_ids))
            .order_by_asc(action_service::Column::ActionId)
            .order_by_asc(action_service::Column::Position)
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        for row in rows {
            by_action.entry(row.action_id).or_default().push(row.service_code);
        }
        Ok(by_action)
    }
}

#[async_trait]
impl ActionRepository for SqlActions {
    async fn append(&self, a: &Action, effects: ActionEffects, audit: &Audit) -> Result<i64, RepoError> {
        use incident::Column as C;
        let txn = begin_write(&self.conn).await.map_err(repo_err)?;
        let mut bump = Query::update();
        bump.table(incident::Entity)
            .value(C::Version, Expr::col(C::Version).add(1))
            .value(C::UpdatedAt, effects.at)
            .and_where(C::Id.eq(a.incident_id.as_uuid()))
            .returning(Query::returning().columns([C::Version, C::TeamId, C::FirstNotifiedAt]));
        if let Some(notified_at) = effects.notified_at {
            bump.value(
                C::FirstNotifiedAt,
                Expr::case(
                    Condition::any()
                        .add(Expr::col(C::FirstNotifiedAt).is_null())
                        .add(Expr::col(C::FirstNotifiedAt).gt(notified_at)),
                    notified_at,
                )
                .finally(Expr::col(C::FirstNotifiedAt)),
            );
        }
        if let Some(report_at) = effects.report_recorded_at {
            bump.value(C::ReportRecordedAt, report_at);
        }
        let bumped = txn.query_one(&bump).await.map_err(repo_err)?.ok_or(RepoError::NotFound)?;
        let version: i64 = bumped.try_get("", "version").map_err(repo_err)?;
        let team: uuid::Uuid = bumped.try_get("", "team_id").map_err(repo_err)?;
        let first_notified_at: Option<chrono::DateTime<chrono::Utc>> =
            bumped.try_get("", "first_notified_at").map_err(repo_err)?;
        let mut row = action_to_row(a)?;
        row.team_id = Some(team);
        let codes: Vec<String> = a.services.iter().map(ToString::to_string).collect();
        let mut delta = Delta::default();
        delta.add(
            Counted {
                team,
                performed_at: row.performed_at,
                stage: &row.stage,
                performed_by: row.performed_by,
                effort_minutes: row.effort_minutes,
                services: &codes,
            },
            1,
        );
        action::Entity::insert(row.clone().into_active_model()).exec_without_returning(&txn).await.map_err(repo_err)?;
        let services = a.services.iter().enumerate().map(|(position, code)| {
            action_service::Model {
                action_id: a.id.as_uuid(),
                incident_id: a.incident_id.as_uuid(),
                catalog_version: a.catalog_version.clone(),
                service_code: code.to_string(),
                position: i32::try_from(position).unwrap_or(i32::MAX),
            }
            .into_active_model()
        });
        action_service::Entity::insert_many(services).exec_without_returning(&txn).await.map_err(repo_err)?;
        if let Some(superseded) = a.supersedes {
            // The first correction takes the superseded action out of the counts; a later one
            // finds it gone already. The version bump above serialises the incident's writers.
            let corrections = action::Entity::find()
                .filter(action::Column::Supersedes.eq(superseded.as_uuid()))
                .count(&txn)
                .await
                .map_err(repo_err)?;
            if corrections == 1
                && let Some(old) = action::Entity::find_by_id(superseded.as_uuid()).one(&txn).await.map_err(repo_err)?
            {
                let old_codes: Vec<String> = action_service::Entity::find()
                    .filter(action_service::Column::ActionId.eq(old.id))
                    .all(&txn)
                    .await
                    .map_err(repo_err)?
                    .into_iter()
                    .map(|s| s.service_code)
                    .collect();
                delta.add(
                    Counted {
                        team: old.team_id.unwrap_or(team),
                        performed_at: old.performed_at,
                        stage: &old.stage,
                        performed_by: old.performed_by,
                        effort_minutes: old.effort_minutes,
                        services: &old_codes,
                    },
                    -1,
                );
            }
        }
        delta.apply(&txn).await?;
        let entry = Entry {
            chain: incident_chain(a.incident_id),
            operation: audit.operation,
            object_type: "action",
            object_id: a.id.to_string(),
            before: None,
            after: Some(digest_of(a)),
            actor: Some(&audit.actor),
            at: effects.at,
        };
        audit::append(&txn, entry).await?;
        let mut fields = vec!["actions".to_owned()];
        if effects.notified_at.is_some() && effects.notified_at == first_notified_at {
            fields.push("firstNotifiedAt".to_owned());
        }
        if effects.report_recorded_at.is_some() {
            fields.push("reportRecordedAt".to_owned());
        }
        let event = NewEvent::action_recorded(a, TeamId::from_uuid(team), version, fields);
        let position = events::append(&txn, &event).await?;
        txn.commit().await.map_err(repo_err)?;
        self.signal.raise(position);
        Ok(version)
    }

    async fn find(&self, id: ActionId) -> Result<Option<Action>, RepoError> {
        let Some(row) = action::Entity::find_by_id(id.as_uuid()).one(&self.conn).await.map_err(repo_err)? else {
            return Ok(None);
        };
        let mut services = self.services_of(vec![row.id]).await?;
        let codes = services.remove(&row.id).unwrap_or_default();
        action_from_row(row, codes).map(Some)
    }

    async fn for_incidents(&self, ids: &[IncidentId]) -> Result<HashMap<IncidentId, Vec<Action>>, RepoError> {
        let mut by_incident: HashMap<IncidentId, Vec<Action>> = HashMap::new();
        if ids.is_empty() {
            return Ok(by_incident);
        }
        let rows = action::Entity::find()
            .filter(action::Column::IncidentId.is_in(ids.iter().map(IncidentId::as_uuid)))
            .order_by_asc(action::Column::PerformedAt)
            .order_by_asc(action::Column::RecordedAt)
            .order_by_asc(action::Column::Id)
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        let mut services = self.services_of(rows.iter().map(|r| r.id).collect()).await?;
        for row in rows {
            let codes = services.remove(&row.id).unwrap_or_default();
            let action = action_from_row(row, codes)?;
            by_incident.entry(action.incident_id).or_default().push(action);
        }
        Ok(by_incident)
    }
}
