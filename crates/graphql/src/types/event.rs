//! Incident events, as subscriptions deliver them.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use taio_core::incident::EventWithIncident;

use super::enums::{Stage, WorkflowState};
use super::incident::{Incident, load_person};
use super::team::Person;
use crate::error::{ApiResult, nullable};

/// What happened to an incident.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::incident::EventKind")]
pub enum IncidentEventKind {
    /// Reported: it entered D-1.
    Reported,
    /// Acknowledged: an owner was set and it moved D-1 → D-3.
    Acknowledged,
    /// Triage fields changed (determination, category, severity, urgency, priority, TLP).
    Classified,
    /// The owner changed.
    Reassigned,
    /// It moved between main-line stages.
    Transitioned,
    /// Closed.
    Closed,
    /// Reopened after closing.
    Reopened,
    /// Put on hold.
    Held,
    /// Resumed from hold.
    Resumed,
    /// Marked restricted, or the mark lifted.
    RestrictionChanged,
    /// A participant was named or removed.
    ParticipantsChanged,
    /// An action was recorded.
    ActionRecorded,
}

/// One committed change to an incident.
pub struct IncidentEvent(pub(crate) Arc<EventWithIncident>);

/// One committed change to an incident.
#[Object]
impl IncidentEvent {
    /// This event's place in the log: pass it as `after` to resume right after it. Cursors grow
    /// in the order changes committed.
    async fn cursor(&self) -> String {
        self.0.event.position.cursor()
    }

    /// What happened.
    async fn kind(&self) -> IncidentEventKind {
        self.0.event.kind.into()
    }

    /// Server time of the change.
    async fn at(&self) -> DateTime<Utc> {
        self.0.event.at
    }

    /// The incident's id.
    async fn incident_id(&self) -> ID {
        ID(self.0.event.incident_id.to_string())
    }

    /// The incident's team.
    async fn team_id(&self) -> ID {
        ID(self.0.event.team_id.to_string())
    }

    /// The incident's version after this change: send it as `expectedVersion` to change it next.
    async fn version(&self) -> i64 {
        self.0.event.version
    }

    /// The incident fields the change touched, by their names on `Incident` (`stage`, `owner`,
    /// `severity`, `actions` …).
    async fn changed_fields(&self) -> &[String] {
        &self.0.event.change.fields
    }

    /// For moves of the state machine: where it was (null for the report).
    async fn from_state(&self) -> Option<WorkflowState> {
        self.0.event.change.from.map(Into::into)
    }

    /// For moves of the state machine: where it went.
    async fn to_state(&self) -> Option<WorkflowState> {
        self.0.event.change.to.map(Into::into)
    }

    /// For `ACTION_RECORDED`: the action's id.
    async fn action_id(&self) -> Option<ID> {
        self.0.event.change.action.map(|id| ID(id.to_string()))
    }

    /// For `ACTION_RECORDED`: the D-service the action performed.
    async fn action_stage(&self) -> Option<Stage> {
        self.0.event.change.action_stage.map(Into::into)
    }

    /// Who made the change.
    async fn actor(&self, ctx: &Context<'_>) -> Option<Person> {
        let id = self.0.event.actor?;
        nullable(ctx, load_person(ctx, id).await)
    }

    /// The incident as it stood when the event was delivered: at `version` or newer.
    async fn incident(&self) -> ApiResult<Incident> {
        Ok(Incident(self.0.incident.clone()))
    }
}
