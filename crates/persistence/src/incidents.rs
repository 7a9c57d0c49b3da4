//! Incident storage: numbering, conditional updates, filtered keyset pages, transitions.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Datelike;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use taio_core::id::{IncidentId, PersonId, TeamId};
use taio_core::incident::{
    AuditEntry, Incident, IncidentKey, IncidentPage, IncidentQuery, IncidentRepository, NewEvent, NewIncident, Tlp,
    Transition,
};
use taio_core::{Audit, RepoError};

use crate::audit::{self, Entry, digest_of, incident_chain};
use crate::convert::{incident_from_row, incident_to_row, transition_from_row, transition_to_row};
use crate::db::begin_write;
use crate::entity::{action_service, incident, incident_counter, incident_participant, transition};
use crate::error::repo_err;
use crate::events::{self, EventSignal};

/// [`IncidentRepository`] on sea-orm.
#[derive(Debug, Clone)]
pub struct SqlIncidents {
    conn: DatabaseConnection,
    signal: EventSignal,
}

impl SqlIncidents {
    /// A repository over `conn` that raises `signal` after each committed event.
    #[must_use]
    pub fn new(conn: DatabaseConnection, signal: EventSignal) -> Self {
        Self { conn, signal }
    }

    /// Rows to incidents, with their participants read in one query.
    pub(crate) async fn hydrate(&self, rows: Vec<incident::Model>) -> Result<Vec<Incident>, RepoError> {
        let mut participants: HashMap<uuid::Uuid, Vec<PersonId>> = HashMap::new();
        // In chunks, so that large reads stay under the databases' limits on bound parameters.
        for chunk in rows.chunks(1000) {
            let named = incident_participant::Entity::find()
                .filter(incident_participant::Column::IncidentId.is_in(chunk.iter().map(|r| r.id)))
                .order_by_asc(incident_participant::Column::IncidentId)
                .order_by_asc(incident_participant::Column::PersonId)
                .all(&self.conn)
                .await
                .map_err(repo_err)?;
            for p in named {
                participants.entry(p.incident_id).or_default().push(PersonId::from_uuid(p.person_id));
            }
        }
        rows.into_iter()
            .map(|row| {
                let named = participants.remove(&row.id).unwrap_or_default();
                incident_from_row(row, named)
            })
            .collect()
    }
}

fn uuids<T: Copy>(ids: &[T], f: fn(&T) -> uuid::Uuid) -> Vec<uuid::Uuid> {
    ids.iter().map(f).collect()
}

/// Escapes `%`, `_` and `\` so that user text matches literally inside a LIKE pattern.
fn like_pattern(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

#[async_trait]
impl IncidentRepository for SqlIncidents {
    async fn create(&self, new: NewIncident, audit: &Audit) -> Result<Incident, RepoError> {
        let txn = begin_write(&self.conn).await.map_err(repo_err)?;
        let year = new.created_at.year();
        let counter = Query::insert()
            .into_table(incident_counter::Entity)
            .columns([incident_counter::Column::TeamId, incident_counter::Column::Year, incident_counter::Column::Last])
            .values([new.team_id.as_uuid().into(), year.into(), 1_i64.into()])
            .map_err(|e| RepoError::Internal(e.to_string()))?
            .on_conflict(
                OnConflict::columns([incident_counter::Column::TeamId, incident_counter::Column::Year])
                    .value(
                        incident_counter::Column::Last,
                        Expr::col((incident_counter::Entity, incident_counter::Column::Last)).add(1),
                    )
                    .to_owned(),
            )
            .returning_col(incident_counter::Column::Last)
            .to_owned();
        let row = txn
            .query_one(&counter)
            .await
            .map_err(repo_err)?
            .ok_or_else(|| RepoError::Internal("incident counter returned no row".into()))?;
        let last: i64 = row.try_get_by_index(0).map_err(repo_err)?;
        let sequence = u64::try_from(last).map_err(|_| RepoError::Internal("negative incident counter".into()))?;
        let report = new.report_transition();
        let created = new.into_incident(IncidentKey::new(year, sequence));
        incident::Entity::insert(incident_to_row(&created).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(repo_err)?;
        transition::Entity::insert(transition_to_row(&report, created.version, created.team_id).into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(repo_err)?;
        let entry = Entry {
            chain: incident_chain(created.id),
            operation: audit.operation,
            object_type: "incident",
            object_id: created.id.to_string(),
            before: None,
            after: Some(digest_of(&created)),
            actor: Some(&audit.actor),
            at: created.created_at,
        };
        audit::append(&txn, entry).await?;
        let position = events::append(&txn, &NewEvent::reported(&created, audit)).await?;
        txn.commit().await.map_err(repo_err)?;
        self.signal.raise(position);
        Ok(created)
    }

    async fn find(&self, id: IncidentId) -> Result<Option<Incident>, RepoError> {
        let row = incident::Entity::find_by_id(id.as_uuid()).one(&self.conn).await.map_err(repo_err)?;
        Ok(self.hydrate(row.into_iter().collect()).await?.pop())
    }

    async fn find_many(&self, ids: &[IncidentId]) -> Result<HashMap<IncidentId, Incident>, RepoError> {
        let mut found = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let rows = incident::Entity::find()
                .filter(incident::Column::Id.is_in(uuids(chunk, IncidentId::as_uuid)))
                .all(&self.conn)
                .await
                .map_err(repo_err)?;
            found.extend(self.hydrate(rows).await?.into_iter().map(|incident| (incident.id, incident)));
        }
        Ok(found)
    }

    async fn find_by_key(&self, teams: &[TeamId], key: &IncidentKey) -> Result<Vec<Incident>, RepoError> {
        if teams.is_empty() {
            return Ok(Vec::new());
        }
        let rows = incident::Entity::find()
            .filter(incident::Column::TeamId.is_in(uuids(teams, TeamId::as_uuid)))
            .filter(incident::Column::Key.eq(key.as_str()))
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        self.hydrate(rows).await
    }

    async fn list(&self, q: &IncidentQuery) -> Result<IncidentPage, RepoError> {
        use incident::Column as C;
        let mut select = incident::Entity::find().filter(C::TeamId.is_in(uuids(&q.teams, TeamId::as_uuid)));
        let me = q.reader.person.as_uuid();
        let mut visible = Condition::any()
            .add(Condition::all().add(C::Restricted.eq(false)).add(C::Tlp.ne(Tlp::Red.as_str())))
            .add(C::OwnerId.eq(me))
            .add(C::ReportedBy.eq(me))
            .add(
                C::Id.in_subquery(
                    Query::select()
                        .column(incident_participant::Column::IncidentId)
                        .from(incident_participant::Entity)
                        .and_where(incident_participant::Column::PersonId.eq(me))
                        .to_owned(),
                ),
            );
        if !q.reader.lead_of.is_empty() {
            visible = visible.add(C::TeamId.is_in(uuids(&q.reader.lead_of, TeamId::as_uuid)));
        }
        select = select.filter(visible);
        if !q.stages.is_empty() {
            select = select.filter(C::Stage.is_in(q.stages.iter().map(|s| s.as_str())));
        }
        if let Some(status) = q.status {
            select = select.filter(C::Status.eq(status.as_str()));
        }
        if !q.severities.is_empty() {
            select = select.filter(C::Severity.is_in(q.severities.iter().map(|s| s.as_str())));
        }
        if !q.priorities.is_empty() {
            select = select.filter(C::Priority.is_in(q.priorities.iter().map(|p| p.as_str())));
        }
        if let Some(owner) = q.owner {
            select = select.filter(C::OwnerId.eq(owner.as_uuid()));
        }
        if let Some(service) = &q.service {
            select = select.filter(
                C::Id.in_subquery(
                    Query::select()
                        .column(action_service::Column::IncidentId)
                        .from(action_service::Entity)
                        .and_where(action_service::Column::ServiceCode.eq(service.to_string()))
                        .to_owned(),
                ),
            );
        }
        if let Some(from) = q.reported_from {
            select = select.filter(C::ReportedAt.gte(from));
        }
        if let Some(to) = q.reported_to {
            select = select.filter(C::ReportedAt.lt(to));
        }
        if let Some(text) = &q.text {
            let pattern = like_pattern(text);
            let like = |column: C| {
                Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(pattern.clone()).escape('\\'))
            };
            select = select.filter(Condition::any().add(like(C::Key)).add(like(C::Title)).add(like(C::Description)));
        }
        let total_count = select.clone().count(&self.conn).await.map_err(repo_err)?;
        if let Some(after) = q.after {
            select = select.filter(
                Condition::any()
                    .add(C::ReportedAt.lt(after.reported_at))
                    .add(Condition::all().add(C::ReportedAt.eq(after.reported_at)).add(C::Id.lt(after.id.as_uuid()))),
            );
        }
        let mut rows = select
            .order_by_desc(C::ReportedAt)
            .order_by_desc(C::Id)
            .limit(q.limit + 1)
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        let has_next_page = rows.len() as u64 > q.limit;
        rows.truncate(usize::try_from(q.limit).unwrap_or(usize::MAX));
        let incidents = self.hydrate(rows).await?;
        Ok(IncidentPage { incidents, has_next_page, total_count })
    }

    async fn update(
        &self,
        previous: &Incident,
        next: &Incident,
        transition: Option<&Transition>,
        audit: &Audit,
    ) -> Result<(), RepoError> {
        let expected_version = previous.version;
        let txn = begin_write(&self.conn).await.map_err(repo_err)?;
        let mut row = incident_to_row(next).into_active_model().reset_all();
        row.id = ActiveValue::NotSet;
        let result = incident::Entity::update_many()
            .set(row)
            .filter(incident::Column::Id.eq(next.id.as_uuid()))
            .filter(incident::Column::Version.eq(expected_version))
            .exec(&txn)
            .await
            .map_err(repo_err)?;
        if result.rows_affected != 1 {
            return Err(RepoError::Conflict);
        }
        if let Some(transition) = transition {
            transition::Entity::insert(transition_to_row(transition, next.version, next.team_id).into_active_model())
                .exec_without_returning(&txn)
                .await
                .map_err(repo_err)?;
        }
        if previous.participants != next.participants {
            incident_participant::Entity::delete_many()
                .filter(incident_participant::Column::IncidentId.eq(next.id.as_uuid()))
                .exec(&txn)
                .await
                .map_err(repo_err)?;
            if !next.participants.is_empty() {
                let rows = next.participants.iter().map(|p| {
                    incident_participant::Model { incident_id: next.id.as_uuid(), person_id: p.as_uuid() }
                        .into_active_model()
                });
                incident_participant::Entity::insert_many(rows).exec_without_returning(&txn).await.map_err(repo_err)?;
            }
        }
        let entry = Entry {
            chain: incident_chain(next.id),
            operation: audit.operation,
            object_type: "incident",
            object_id: next.id.to_string(),
            before: Some(digest_of(previous)),
            after: Some(digest_of(next)),
            actor: Some(&audit.actor),
            at: next.updated_at,
        };
        audit::append(&txn, entry).await?;
        let position = events::append(&txn, &NewEvent::updated(previous, next, transition, audit)).await?;
        txn.commit().await.map_err(repo_err)?;
        self.signal.raise(position);
        Ok(())
    }

    async fn audit_trail(&self, id: IncidentId) -> Result<Vec<AuditEntry>, RepoError> {
        audit::incident_trail(&self.conn, id).await
    }

    async fn transitions_for(&self, ids: &[IncidentId]) -> Result<HashMap<IncidentId, Vec<Transition>>, RepoError> {
        let mut by_incident: HashMap<IncidentId, Vec<Transition>> = HashMap::new();
        if ids.is_empty() {
            return Ok(by_incident);
        }
        let rows = transition::Entity::find()
            .filter(transition::Column::IncidentId.is_in(uuids(ids, IncidentId::as_uuid)))
            .order_by_asc(transition::Column::IncidentId)
            .order_by_asc(transition::Column::IncidentVersion)
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        for row in rows {
            let t = transition_from_row(row)?;
            by_incident.entry(t.incident_id).or_default().push(t);
        }
        Ok(by_incident)
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_wildcards_in_search_text_match_literally() {
        assert_eq!(like_pattern("100%_A\\b"), "%100\\%\\_a\\\\b%");
    }
}
