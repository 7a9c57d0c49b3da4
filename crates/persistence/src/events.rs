//! The event outbox: each incident write appends its event in its own transaction, and readers
//! follow the log in position order.
//!
//! Positions come from the one row of `event_positions`, taken as the last statement before
//! commit: its row lock makes writers hand out positions in commit order, so a reader that has
//! seen position N has already been able to see every position below it (see the migration).
//! Readers are woken by a [`EventSignal`]: in this process after each commit, and on PostgreSQL
//! also by `NOTIFY taio_events` from any server, which a listener task turns into the same
//! signal. A wake-up only says "look": a lost one costs a poll interval, never an event.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use serde::{Deserialize, Serialize};
use taio_core::RepoError;
use taio_core::id::{ActionId, IncidentId, PersonId, TeamId};
use taio_core::incident::{
    EventChange, EventKind, EventLog, EventPosition, EventScope, IncidentEvent, NewEvent, Stage, WorkflowState,
};
use tokio::sync::watch;

use crate::entity::{event_position, incident_event};
use crate::error::{corrupt, repo_err};

/// The PostgreSQL notification channel that tells servers an event committed.
pub const NOTIFY_CHANNEL: &str = "taio_events";

/// The newest event position known to this process, shared by writers (who raise it after
/// commit), the PostgreSQL listener and readers (who wait for it to move).
#[derive(Debug, Clone)]
pub struct EventSignal {
    sender: Arc<watch::Sender<EventPosition>>,
}

impl Default for EventSignal {
    fn default() -> Self {
        Self { sender: Arc::new(watch::Sender::new(EventPosition::START)) }
    }
}

impl EventSignal {
    /// Raises the known position to `position` (never lowers it) and wakes waiting readers.
    pub fn raise(&self, position: EventPosition) {
        self.sender.send_if_modified(|known| {
            if position > *known {
                *known = position;
                true
            } else {
                false
            }
        });
    }

    /// Wakes waiting readers without a position (a notification whose position is unknown, or a
    /// reconnected listener that may have missed some).
    pub fn poke(&self) {
        self.sender.send_modify(|_| {});
    }

    /// Waits until the known position passes `seen` or the signal is poked, for at most `timeout`.
    pub async fn wait_after(&self, seen: EventPosition, timeout: Duration) {
        let mut receiver = self.sender.subscribe();
        if *receiver.borrow_and_update() > seen {
            return;
        }
        let _ = tokio::time::timeout(timeout, receiver.changed()).await;
    }
}

/// How an event's change is kept in the `payload` column.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Payload {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    action: Option<uuid::Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "actionStage")]
    action_stage: Option<String>,
}

/// Appends `event` inside the caller's transaction, as its last statement before commit, and
/// returns its position. On PostgreSQL the transaction also notifies [`NOTIFY_CHANNEL`], which
/// PostgreSQL delivers only if it commits.
pub(crate) async fn append<C: ConnectionTrait>(txn: &C, event: &NewEvent) -> Result<EventPosition, RepoError> {
    let take = Query::update()
        .table(event_position::Entity)
        .value(event_position::Column::Last, Expr::col(event_position::Column::Last).add(1))
        .and_where(event_position::Column::Id.eq(1))
        .returning(Query::returning().column(event_position::Column::Last))
        .to_owned();
    let row = txn
        .query_one(&take)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| RepoError::Internal("event_positions has no row".into()))?;
    let position: i64 = row.try_get_by_index(0).map_err(repo_err)?;
    let change = &event.change;
    let payload = Payload {
        fields: change.fields.clone(),
        from: change.from.map(|s| s.as_str().to_owned()),
        to: change.to.map(|s| s.as_str().to_owned()),
        action: change.action.map(|a| a.as_uuid()),
        action_stage: change.action_stage.map(|s| s.as_str().to_owned()),
    };
    let payload = serde_json::to_string(&payload).map_err(|e| RepoError::Internal(e.to_string()))?;
    let row = incident_event::Model {
        position,
        at: event.at,
        team_id: event.team_id.as_uuid(),
        incident_id: event.incident_id.as_uuid(),
        incident_version: event.version,
        kind: event.kind.as_str().to_owned(),
        actor_id: event.actor.map(|p| p.as_uuid()),
        payload,
    };
    incident_event::Entity::insert(row.into_active_model()).exec_without_returning(txn).await.map_err(repo_err)?;
    if txn.get_database_backend() == DbBackend::Postgres {
        let notify = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [NOTIFY_CHANNEL.into(), position.to_string().into()],
        );
        txn.execute_raw(notify).await.map_err(repo_err)?;
    }
    Ok(EventPosition::from_stored(position))
}

fn event_from_row(row: incident_event::Model) -> Result<IncidentEvent, RepoError> {
    let kind = EventKind::parse(&row.kind).ok_or_else(|| corrupt("event kind", &row.kind))?;
    let payload: Payload = serde_json::from_str(&row.payload).map_err(|_| corrupt("event payload", &row.payload))?;
    let state = |value: Option<String>| {
        value.map(|v| WorkflowState::parse(&v).ok_or_else(|| corrupt("event state", &v))).transpose()
    };
    let action_stage =
        payload.action_stage.map(|v| Stage::parse(&v).ok_or_else(|| corrupt("event action stage", &v))).transpose()?;
    Ok(IncidentEvent {
        position: EventPosition::from_stored(row.position),
        at: row.at,
        team_id: TeamId::from_uuid(row.team_id),
        incident_id: IncidentId::from_uuid(row.incident_id),
        version: row.incident_version,
        kind,
        actor: row.actor_id.map(PersonId::from_uuid),
        change: EventChange {
            fields: payload.fields,
            from: state(payload.from)?,
            to: state(payload.to)?,
            action: payload.action.map(ActionId::from_uuid),
            action_stage,
        },
    })
}

/// [`EventLog`] on sea-orm.
#[derive(Debug, Clone)]
pub struct SqlEvents {
    conn: DatabaseConnection,
    signal: EventSignal,
}

impl SqlEvents {
    /// The log in `conn`, woken by `signal`.
    #[must_use]
    pub fn new(conn: DatabaseConnection, signal: EventSignal) -> Self {
        Self { conn, signal }
    }
}

#[async_trait]
impl EventLog for SqlEvents {
    async fn read(
        &self,
        after: EventPosition,
        scope: Option<&EventScope>,
        limit: u64,
    ) -> Result<Vec<IncidentEvent>, RepoError> {
        use incident_event::Column as C;
        let mut select = incident_event::Entity::find().filter(C::Position.gt(after.value()));
        if let Some(scope) = scope {
            if let Some(incident) = scope.incident {
                select = select.filter(C::IncidentId.eq(incident.as_uuid()));
            }
            select = select.filter(C::TeamId.is_in(scope.teams.iter().map(TeamId::as_uuid)));
        }
        let rows = select.order_by_asc(C::Position).limit(limit).all(&self.conn).await.map_err(repo_err)?;
        rows.into_iter().map(event_from_row).collect()
    }

    async fn head(&self) -> Result<EventPosition, RepoError> {
        let row = event_position::Entity::find_by_id(1)
            .one(&self.conn)
            .await
            .map_err(repo_err)?
            .ok_or_else(|| RepoError::Internal("event_positions has no row".into()))?;
        Ok(EventPosition::from_stored(row.last))
    }

    async fn pruned_through(&self) -> Result<EventPosition, RepoError> {
        let row = event_position::Entity::find_by_id(1)
            .one(&self.conn)
            .await
            .map_err(repo_err)?
            .ok_or_else(|| RepoError::Internal("event_positions has no row".into()))?;
        Ok(EventPosition::from_stored(row.pruned_through))
    }

    async fn wait_after(&self, seen: EventPosition, timeout: Duration) {
        self.signal.wait_after(seen, timeout).await;
    }
}

/// What [`prune`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    /// Events deleted.
    pub events: u64,
    /// The last position removed so far (this run's or an earlier one's).
    pub through: EventPosition,
}

/// Deletes the events recorded before `before`, oldest first up to the last such position, and
/// records how far, in one transaction. Cursors from before that are then refused with
/// `CURSOR_EXPIRED`. Needs DELETE on `incident_events`, which the application role is not
/// granted: run it as the tables' owner.
pub(crate) async fn prune(
    conn: &DatabaseConnection,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<Pruned, RepoError> {
    use incident_event::Column as C;
    let txn = crate::db::begin_write(conn).await.map_err(repo_err)?;
    let newest_old = incident_event::Entity::find()
        .filter(C::At.lt(before))
        .order_by_desc(C::Position)
        .one(&txn)
        .await
        .map_err(repo_err)?
        .map(|row| row.position);
    let current = event_position::Entity::find_by_id(1)
        .one(&txn)
        .await
        .map_err(repo_err)?
        .ok_or_else(|| RepoError::Internal("event_positions has no row".into()))?;
    let Some(through) = newest_old.filter(|p| *p > current.pruned_through) else {
        txn.commit().await.map_err(repo_err)?;
        return Ok(Pruned { events: 0, through: EventPosition::from_stored(current.pruned_through) });
    };
    let deleted =
        incident_event::Entity::delete_many().filter(C::Position.lte(through)).exec(&txn).await.map_err(repo_err)?;
    let record = Query::update()
        .table(event_position::Entity)
        .value(event_position::Column::PrunedThrough, through)
        .and_where(event_position::Column::Id.eq(1))
        // A prune running at the same time with a later cutoff may have recorded more already.
        .and_where(event_position::Column::PrunedThrough.lt(through))
        .to_owned();
    txn.execute(&record).await.map_err(repo_err)?;
    txn.commit().await.map_err(repo_err)?;
    Ok(Pruned { events: deleted.rows_affected, through: EventPosition::from_stored(through) })
}

/// Listens on [`NOTIFY_CHANNEL`] over its own connection to `url` and raises `signal` for every
/// notification, reconnecting with a pause when the connection drops (and poking the signal
/// then, since notifications sent while it was down are lost). Runs until the process ends.
pub(crate) async fn listen(url: String, signal: EventSignal) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        let mut listener = match PgListener::connect(&url).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "event listener cannot connect; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(NOTIFY_CHANNEL).await {
            tracing::warn!(%error, "event listener cannot LISTEN; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        signal.poke();
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => match notification.payload().parse::<i64>() {
                    Ok(position) => signal.raise(EventPosition::from_stored(position)),
                    Err(_) => signal.poke(),
                },
                Ok(None) => {
                    tracing::warn!("event listener lost its connection; reconnecting");
                    signal.poke();
                }
                Err(error) => {
                    tracing::warn!(%error, "event listener failed; reconnecting");
                    signal.poke();
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
