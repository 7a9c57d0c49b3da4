//! Incident events: what subscribers are told after each committed change. Storage writes one
//! event per change in the change's own transaction (the outbox), numbered in commit order; this
//! module decides what each event says.

use chrono::{DateTime, Utc};

use super::action::Action;
use super::enums::{Stage, WorkflowState};
use super::model::{Incident, Transition};
use crate::access::Audit;
use crate::error::FieldError;
use crate::id::{ActionId, IncidentId, PersonId, TeamId};

vocabulary! {
    /// What happened to an incident.
    EventKind {
        /// Reported (entered D-1).
        Reported = "REPORTED",
        /// Acknowledged: an owner was set, D-1 → D-3.
        Acknowledged = "ACKNOWLEDGED",
        /// Triage fields changed.
        Classified = "CLASSIFIED",
        /// The owner changed.
        Reassigned = "REASSIGNED",
        /// Moved between main-line stages.
        Transitioned = "TRANSITIONED",
        /// Closed.
        Closed = "CLOSED",
        /// Reopened after closing.
        Reopened = "REOPENED",
        /// Put on hold.
        Held = "HELD",
        /// Resumed from hold.
        Resumed = "RESUMED",
        /// Marked restricted, or the mark lifted.
        RestrictionChanged = "RESTRICTION_CHANGED",
        /// A participant was named or removed.
        ParticipantsChanged = "PARTICIPANTS_CHANGED",
        /// An action was recorded.
        ActionRecorded = "ACTION_RECORDED",
    }
}

impl EventKind {
    /// The kind of event an API operation makes.
    #[must_use]
    pub fn of_operation(operation: &str) -> Option<Self> {
        Some(match operation {
            "reportIncident" => Self::Reported,
            "acknowledgeIncident" => Self::Acknowledged,
            "classifyIncident" => Self::Classified,
            "reassignIncident" => Self::Reassigned,
            "transitionIncident" => Self::Transitioned,
            "closeIncident" => Self::Closed,
            "reopenIncident" => Self::Reopened,
            "holdIncident" => Self::Held,
            "resumeIncident" => Self::Resumed,
            "restrictIncident" => Self::RestrictionChanged,
            "addIncidentParticipant" | "removeIncidentParticipant" => Self::ParticipantsChanged,
            "recordAction" => Self::ActionRecorded,
            _ => return None,
        })
    }
}

/// A position in the event log: events are numbered 1, 2, 3 … in the order their changes
/// committed. Its text form is the cursor subscribers resume from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EventPosition(i64);

impl EventPosition {
    /// Before the first event.
    pub const START: Self = Self(0);

    /// A position read back from storage.
    #[must_use]
    pub fn from_stored(value: i64) -> Self {
        Self(value.max(0))
    }

    /// The stored value.
    #[must_use]
    pub fn value(self) -> i64 {
        self.0
    }

    /// Reads a cursor given by a client.
    ///
    /// # Errors
    /// A [`FieldError`] on `after` for anything but a cursor this server handed out.
    pub fn parse_cursor(cursor: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new("after", "not an event cursor: pass the cursor of an event you received");
        let digits = cursor.strip_prefix("ev:").ok_or_else(invalid)?;
        if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        digits.parse().map(Self).map_err(|_| invalid())
    }

    /// The cursor a client resumes from.
    #[must_use]
    pub fn cursor(self) -> String {
        format!("ev:{}", self.0)
    }
}

/// What an event says beyond its kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventChange {
    /// The incident's fields that changed, as API field names (`stage`, `owner`, `severity` …).
    pub fields: Vec<String>,
    /// The state before, for moves of the state machine.
    pub from: Option<WorkflowState>,
    /// The state after, for moves of the state machine.
    pub to: Option<WorkflowState>,
    /// The action recorded, for [`EventKind::ActionRecorded`].
    pub action: Option<ActionId>,
    /// The D-service the action performed.
    pub action_stage: Option<Stage>,
}

/// An event to append with a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Server time of the change.
    pub at: DateTime<Utc>,
    /// The incident's team.
    pub team_id: TeamId,
    /// The incident.
    pub incident_id: IncidentId,
    /// The incident's version after the change.
    pub version: i64,
    /// What happened.
    pub kind: EventKind,
    /// Who did it.
    pub actor: Option<PersonId>,
    /// What changed.
    pub change: EventChange,
}

impl NewEvent {
    /// The event of a newly reported incident.
    #[must_use]
    pub fn reported(incident: &Incident, audit: &Audit) -> Self {
        Self {
            at: incident.created_at,
            team_id: incident.team_id,
            incident_id: incident.id,
            version: incident.version,
            kind: EventKind::Reported,
            actor: Some(audit.actor.person),
            change: EventChange { to: Some(incident.state()), ..EventChange::default() },
        }
    }

    /// The event of a change from `previous` to `next`, made by `audit`'s operation.
    #[must_use]
    pub fn updated(previous: &Incident, next: &Incident, transition: Option<&Transition>, audit: &Audit) -> Self {
        let kind = EventKind::of_operation(audit.operation).unwrap_or(match transition {
            Some(_) => EventKind::Transitioned,
            None => EventKind::Classified,
        });
        Self {
            at: next.updated_at,
            team_id: next.team_id,
            incident_id: next.id,
            version: next.version,
            kind,
            actor: Some(audit.actor.person),
            change: EventChange {
                fields: changed_fields(previous, next),
                from: transition.and_then(|t| t.from),
                to: transition.map(|t| t.to),
                ..EventChange::default()
            },
        }
    }

    /// The event of an action appended to its incident, which is now at `version`.
    #[must_use]
    pub fn action_recorded(action: &Action, team_id: TeamId, version: i64, fields: Vec<String>) -> Self {
        Self {
            at: action.recorded_at,
            team_id,
            incident_id: action.incident_id,
            version,
            kind: EventKind::ActionRecorded,
            actor: Some(action.recorded_by),
            change: EventChange {
                fields,
                action: Some(action.id),
                action_stage: Some(action.stage),
                ..EventChange::default()
            },
        }
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentEvent {
    /// Its place in the log, which is its identity.
    pub position: EventPosition,
    /// Server time of the change.
    pub at: DateTime<Utc>,
    /// The incident's team.
    pub team_id: TeamId,
    /// The incident.
    pub incident_id: IncidentId,
    /// The incident's version after the change.
    pub version: i64,
    /// What happened.
    pub kind: EventKind,
    /// Who did it.
    pub actor: Option<PersonId>,
    /// What changed.
    pub change: EventChange,
}

/// Which events a subscriber follows: some teams, optionally one incident of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventScope {
    /// Teams; never empty.
    pub teams: Vec<TeamId>,
    /// One incident only.
    pub incident: Option<IncidentId>,
}

impl EventScope {
    /// Whether an event falls in this scope (visibility is checked separately).
    #[must_use]
    pub fn covers(&self, event: &IncidentEvent) -> bool {
        self.teams.contains(&event.team_id) && self.incident.is_none_or(|id| id == event.incident_id)
    }
}

/// The fields that differ between two states of an incident, as API field names, in a fixed order.
#[must_use]
pub fn changed_fields(previous: &Incident, next: &Incident) -> Vec<String> {
    let (p, n) = (previous, next);
    let (pm, nm) = (&p.milestones, &n.milestones);
    let (pt, nt) = (&p.triage, &n.triage);
    let checks: [(&str, bool); 31] = [
        ("title", p.title != n.title),
        ("description", p.description != n.description),
        ("source", p.source != n.source),
        ("tlp", p.tlp != n.tlp),
        ("stage", p.stage != n.stage),
        ("status", p.status != n.status),
        ("determination", pt.determination != nt.determination),
        ("category", pt.category != nt.category),
        ("severity", pt.severity != nt.severity),
        ("urgency", pt.urgency != nt.urgency),
        ("priority", pt.priority != nt.priority),
        ("priorityOverrideReason", pt.priority_override_reason != nt.priority_override_reason),
        ("owner", p.owner_id != n.owner_id),
        ("onHoldReason", p.on_hold != n.on_hold),
        ("detectedAt", p.detected_at != n.detected_at),
        ("acknowledgedAt", pm.acknowledged_at != nm.acknowledged_at),
        ("triagedAt", pm.triaged_at != nm.triaged_at),
        ("declaredAt", pm.declared_at != nm.declared_at),
        ("containedAt", pm.contained_at != nm.contained_at),
        ("recoveredAt", pm.recovered_at != nm.recovered_at),
        ("reportCompletedAt", pm.report_completed_at != nm.report_completed_at),
        ("closedAt", pm.closed_at != nm.closed_at),
        ("firstNotifiedAt", pm.first_notified_at != nm.first_notified_at),
        ("resolution", p.resolution != n.resolution),
        ("closureSummary", p.closure_summary != n.closure_summary),
        ("duplicateOf", p.duplicate_of != n.duplicate_of),
        ("reopenCount", p.reopen_count != n.reopen_count),
        ("reportRecordedAt", p.report_recorded_at != n.report_recorded_at),
        ("restricted", p.restricted != n.restricted),
        ("participants", p.participants != n.participants),
        ("accessLimited", p.is_restricted() != n.is_restricted()),
    ];
    checks.iter().filter(|(_, changed)| *changed).map(|(name, _)| (*name).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::{EventKind, EventPosition};

    #[test]
    fn a_cursor_reads_back_as_its_position() {
        let position = EventPosition::from_stored(4711);
        assert_eq!(EventPosition::parse_cursor(&position.cursor()), Ok(position));
    }

    #[test]
    fn a_malformed_cursor_is_rejected_on_after() {
        for cursor in ["", "ev:", "4711", "ev:-1", "ev:1e3", "ev:99999999999999999999", "ev: 1"] {
            let error = EventPosition::parse_cursor(cursor).expect_err(cursor);
            assert_eq!(error.field, "after", "{cursor}");
        }
    }

    #[test]
    fn every_state_machine_command_has_its_own_event_kind() {
        use crate::id::PersonId;
        use crate::incident::{Classification, Command, Resolution, Stage};
        let owner = PersonId::generate();
        let commands = [
            (Command::Acknowledge { owner }, EventKind::Acknowledged),
            (Command::Classify(Classification::default()), EventKind::Classified),
            (Command::Assign { owner }, EventKind::Reassigned),
            (Command::Transition { to: Stage::D4, reason: None, classification: None }, EventKind::Transitioned),
            (Command::Close { resolution: Resolution::Resolved, summary: None, duplicate_of: None }, EventKind::Closed),
            (Command::Reopen { to: None, reason: None }, EventKind::Reopened),
        ];
        for (command, kind) in commands {
            assert_eq!(EventKind::of_operation(command.operation()), Some(kind), "{}", command.operation());
        }
    }

    #[test]
    fn the_other_incident_writes_have_event_kinds_and_directory_writes_none() {
        for (operation, kind) in [
            ("reportIncident", EventKind::Reported),
            ("holdIncident", EventKind::Held),
            ("resumeIncident", EventKind::Resumed),
            ("restrictIncident", EventKind::RestrictionChanged),
            ("addIncidentParticipant", EventKind::ParticipantsChanged),
            ("removeIncidentParticipant", EventKind::ParticipantsChanged),
            ("recordAction", EventKind::ActionRecorded),
        ] {
            assert_eq!(EventKind::of_operation(operation), Some(kind), "{operation}");
        }
        assert_eq!(EventKind::of_operation("createTeam"), None);
    }
}
