//! The stage state machine (DOMAIN §2) as a pure function: (incident, command) → new incident and
//! the transition to store, or a refusal naming the states that are allowed.

use chrono::{DateTime, Utc};

use super::enums::{Determination, Resolution, Stage, Status, WorkflowState};
use super::model::{Classification, Incident, Transition};
use crate::error::{FieldError, IncidentError};
use crate::id::{IncidentId, PersonId, TransitionId};
use crate::text::{Markdown, Text};

/// A change a caller asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// D-1 → D-3 with an owner (starts D-2).
    Acknowledge {
        /// The responder in charge.
        owner: PersonId,
    },
    /// Update triage fields without moving.
    Classify(Classification),
    /// Hand the incident to another owner.
    Assign {
        /// The new owner.
        owner: PersonId,
    },
    /// Move along the main line (forward, back, or the D-1 → D-4 fast path).
    Transition {
        /// Target stage.
        to: Stage,
        /// Why; needed for backward moves.
        reason: Option<Text>,
        /// Triage fields given in the same request (the fast path needs them).
        classification: Option<Classification>,
    },
    /// Close with a resolution.
    Close {
        /// How it ends.
        resolution: Resolution,
        /// Closing summary.
        summary: Option<Markdown>,
        /// The incident this one duplicates (for DUPLICATE).
        duplicate_of: Option<IncidentId>,
    },
    /// Reopen a closed incident.
    Reopen {
        /// Target stage; D-3 when not given.
        to: Option<Stage>,
        /// Why (required).
        reason: Option<Text>,
    },
}

impl Command {
    /// The API operation the command stands for, as the audit trail names it.
    #[must_use]
    pub fn operation(&self) -> &'static str {
        match self {
            Self::Acknowledge { .. } => "acknowledgeIncident",
            Self::Classify(_) => "classifyIncident",
            Self::Assign { .. } => "reassignIncident",
            Self::Transition { .. } => "transitionIncident",
            Self::Close { .. } => "closeIncident",
            Self::Reopen { .. } => "reopenIncident",
        }
    }
}

/// The outcome of an accepted command.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The incident after the change, its version one higher.
    pub incident: Incident,
    /// The transition to store with it, if the state moved.
    pub transition: Option<Transition>,
}

/// Stages the main line runs through, in order.
const MAIN_LINE: [Stage; 5] = [Stage::D1, Stage::D3, Stage::D4, Stage::D5, Stage::D7];

/// Position of a main-line stage in [`MAIN_LINE`].
#[must_use]
pub fn main_line_index(stage: Stage) -> Option<usize> {
    MAIN_LINE.iter().position(|s| *s == stage)
}

/// The states an incident can move to from where it is now, given what is stored on it.
/// Guards that depend on the request (a reason, a resolution, fast-path triage fields) are not
/// evaluated here, so a listed target may still need them.
#[must_use]
pub fn allowed_targets(incident: &Incident) -> Vec<WorkflowState> {
    use WorkflowState as W;
    match (incident.status, incident.stage) {
        (Status::Closed, _) => {
            if incident.milestones.declared_at.is_some() {
                vec![W::D3, W::D4, W::D5, W::D7]
            } else {
                vec![W::D3]
            }
        }
        (Status::Open, Stage::D1) => vec![W::D3, W::D4, W::Closed],
        (Status::Open, Stage::D3) => {
            if incident.triage.is_ready_to_declare() {
                vec![W::D4, W::D5, W::D7, W::Closed]
            } else {
                vec![W::Closed]
            }
        }
        (Status::Open, Stage::D4) => vec![W::D3, W::D5],
        (Status::Open, Stage::D5) => vec![W::D4, W::D7],
        (Status::Open, Stage::D7) => {
            if needs_report(incident) {
                vec![W::D4, W::D5]
            } else {
                vec![W::D4, W::D5, W::Closed]
            }
        }
        (Status::Open, Stage::D2 | Stage::D6) => Vec::new(),
    }
}

/// The resolutions a close from this stage accepts.
#[must_use]
pub fn allowed_resolutions(incident: &Incident) -> Vec<Resolution> {
    use Resolution as R;
    match (incident.status, incident.stage) {
        (Status::Open, Stage::D1) => vec![R::Duplicate, R::NotAnIncident, R::OutOfScope],
        (Status::Open, Stage::D3) => {
            let mut allowed = vec![R::FalsePositive, R::Benign, R::Duplicate];
            if incident.triage.determination == Determination::NearMiss {
                allowed.push(R::Resolved);
            }
            allowed
        }
        (Status::Open, Stage::D7) => vec![R::Resolved],
        _ => Vec::new(),
    }
}

/// Applies `command` to `current` at time `at` on behalf of `by`.
///
/// # Errors
/// - [`IncidentError::InvalidTransition`] when the state machine does not allow the move from the
///   current state (it names the allowed targets), including a missing guard such as triage
///   fields, a response report or a reason for a backward move.
/// - [`IncidentError::Invalid`] for a request that is malformed for the current state: a
///   resolution not allowed from this stage, a duplicate without `duplicateOf`, classification
///   before acknowledgement.
pub fn decide(
    current: &Incident,
    command: Command,
    at: DateTime<Utc>,
    by: PersonId,
) -> Result<Decision, IncidentError> {
    let mut next = current.clone();
    next.version = current.version + 1;
    next.updated_at = at;
    let transition = match command {
        Command::Acknowledge { owner } => {
            require_state(
                current,
                WorkflowState::D3,
                current.state() == WorkflowState::D1,
                "only a reported (D-1) incident can be acknowledged",
            )?;
            acknowledge(&mut next, owner, at);
            next.stage = Stage::D3;
            Some(record(current, WorkflowState::D3, at, by, None))
        }
        Command::Classify(classification) => {
            require_open(current, "a closed incident cannot be reclassified; reopen it first")?;
            if current.stage == Stage::D1 {
                return Err(FieldError::new(
                    "incidentId",
                    "acknowledge the incident before classifying it, or move it to D4 with the classification",
                )
                .into());
            }
            apply_classification(&mut next, classification);
            None
        }
        Command::Assign { owner } => {
            require_open(current, "a closed incident cannot be reassigned; reopen it first")?;
            next.owner_id = Some(owner);
            None
        }
        Command::Transition { to, reason, classification } => {
            Some(move_along(current, &mut next, to, reason, classification, at, by)?)
        }
        Command::Close { resolution, summary, duplicate_of } => {
            Some(close(current, &mut next, resolution, summary, duplicate_of, at, by)?)
        }
        Command::Reopen { to, reason } => Some(reopen(current, &mut next, to, reason, at, by)?),
    };
    Ok(Decision { incident: next, transition })
}

fn move_along(
    current: &Incident,
    next: &mut Incident,
    to: Stage,
    reason: Option<Text>,
    classification: Option<Classification>,
    at: DateTime<Utc>,
    by: PersonId,
) -> Result<Transition, IncidentError> {
    let target = WorkflowState::of_stage(to);
    if current.status == Status::Closed {
        return Err(refuse(current, target, "the incident is closed: reopen it to resume work".to_owned()));
    }
    let Some(target) = target else {
        return Err(refuse(
            current,
            None,
            format!("{} is not a main-line stage: D-2 follows the owner and D-6 the notifications", to.code()),
        ));
    };
    let from = current.stage;
    if let Some(classification) = classification {
        apply_classification(next, classification);
    }
    let (Some(from_index), Some(to_index)) = (main_line_index(from), main_line_index(to)) else {
        return Err(refuse(current, Some(target), format!("{} cannot move to {}", from.code(), to.code())));
    };
    match (from, to) {
        _ if from == to => {
            return Err(refuse(current, Some(target), format!("the incident is already in {}", to.code())));
        }
        (Stage::D1, Stage::D3) => acknowledge(next, current.owner_id.unwrap_or(by), at),
        (Stage::D1, Stage::D4) | (Stage::D3, Stage::D4 | Stage::D5 | Stage::D7) => {
            if !next.triage.is_ready_to_declare() {
                let missing = next.triage.missing_for_declaration().join(", ");
                let how = if from == Stage::D1 {
                    "the D-1 → D-4 fast path needs the triage fields in the same request"
                } else {
                    "declaring the incident needs triage"
                };
                return Err(refuse(current, Some(target), format!("{how}; missing: {missing}")));
            }
            if from == Stage::D1 {
                acknowledge(next, current.owner_id.unwrap_or(by), at);
            }
            next.milestones.triaged_at.get_or_insert(at);
            next.milestones.declared_at.get_or_insert(at);
        }
        (Stage::D4, Stage::D5) => {
            next.milestones.contained_at.get_or_insert(at);
        }
        (Stage::D5, Stage::D7) => {
            next.milestones.recovered_at.get_or_insert(at);
        }
        (Stage::D4, Stage::D3) | (Stage::D5, Stage::D4) | (Stage::D7, Stage::D4 | Stage::D5) => {
            if reason.is_none() {
                return Err(refuse(
                    current,
                    Some(target),
                    format!("moving back from {} to {} needs a reason", from.code(), to.code()),
                ));
            }
        }
        _ => {
            let direction = if to_index > from_index { "forward" } else { "back" };
            return Err(refuse(
                current,
                Some(target),
                format!("{} cannot move {direction} to {}", from.code(), to.code()),
            ));
        }
    }
    next.stage = to;
    Ok(record(current, target, at, by, reason))
}

fn close(
    current: &Incident,
    next: &mut Incident,
    resolution: Resolution,
    summary: Option<Markdown>,
    duplicate_of: Option<IncidentId>,
    at: DateTime<Utc>,
    by: PersonId,
) -> Result<Transition, IncidentError> {
    let closed = Some(WorkflowState::Closed);
    if current.status == Status::Closed {
        return Err(refuse(current, closed, "the incident is already closed".to_owned()));
    }
    let allowed = allowed_resolutions(current);
    if allowed.is_empty() {
        return Err(refuse(
            current,
            closed,
            format!(
                "an incident in {} cannot be closed: finish the work and the D-7 report first",
                current.stage.code()
            ),
        ));
    }
    if !allowed.contains(&resolution) {
        let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        return Err(FieldError::new(
            "resolution",
            format!("{resolution} is not allowed from {}; allowed: {}", current.stage.code(), names.join(", ")),
        )
        .into());
    }
    match (resolution, duplicate_of) {
        (Resolution::Duplicate, None) => {
            return Err(
                FieldError::new("duplicateOf", "a DUPLICATE resolution names the incident it duplicates").into()
            );
        }
        (Resolution::Duplicate, Some(original)) if original == current.id => {
            return Err(FieldError::new("duplicateOf", "an incident cannot duplicate itself").into());
        }
        (Resolution::Duplicate, Some(_)) => {}
        (_, Some(_)) => {
            return Err(FieldError::new("duplicateOf", "only a DUPLICATE resolution names another incident").into());
        }
        (_, None) => {}
    }
    if current.stage == Stage::D7 {
        if needs_report(current) {
            return Err(refuse(
                current,
                closed,
                "a declared incident needs its response report: record a D-7 action before closing".to_owned(),
            ));
        }
        next.milestones.report_completed_at.get_or_insert(at);
    }
    if current.stage == Stage::D3 {
        // Closing from D-3 (false positive, benign, duplicate) ends triage too: time to triage counts it.
        next.milestones.triaged_at.get_or_insert(at);
    }
    match resolution {
        Resolution::FalsePositive => next.triage.determination = Determination::FalsePositive,
        Resolution::Benign => next.triage.determination = Determination::Benign,
        _ => {}
    }
    next.status = Status::Closed;
    next.on_hold = None;
    next.resolution = Some(resolution);
    next.closure_summary = summary;
    next.duplicate_of = duplicate_of;
    next.milestones.closed_at.get_or_insert(at);
    let mut transition = record(current, WorkflowState::Closed, at, by, None);
    transition.resolution = Some(resolution);
    Ok(transition)
}

fn reopen(
    current: &Incident,
    next: &mut Incident,
    to: Option<Stage>,
    reason: Option<Text>,
    at: DateTime<Utc>,
    by: PersonId,
) -> Result<Transition, IncidentError> {
    let to = to.unwrap_or(Stage::D3);
    let target = WorkflowState::of_stage(to);
    if current.status == Status::Open {
        return Err(refuse(current, target, "the incident is open: only a closed incident can be reopened".to_owned()));
    }
    let allowed = allowed_targets(current);
    let Some(target) = target.filter(|t| allowed.contains(t)) else {
        return Err(refuse(current, target, format!("a closed incident cannot be reopened to {}", to.code())));
    };
    if reason.is_none() {
        return Err(refuse(current, Some(target), "reopening needs a reason".to_owned()));
    }
    acknowledge(next, current.owner_id.unwrap_or(by), at);
    next.status = Status::Open;
    next.stage = to;
    next.reopen_count = current.reopen_count + 1;
    next.resolution = None;
    next.closure_summary = None;
    next.duplicate_of = None;
    Ok(record(current, target, at, by, reason))
}

/// Whether a declared incident still lacks the response report it needs to close.
fn needs_report(incident: &Incident) -> bool {
    incident.milestones.declared_at.is_some() && incident.report_recorded_at.is_none()
}

fn acknowledge(next: &mut Incident, owner: PersonId, at: DateTime<Utc>) {
    next.owner_id = Some(owner);
    next.milestones.acknowledged_at.get_or_insert(at);
}

fn apply_classification(next: &mut Incident, c: Classification) {
    let triage = &mut next.triage;
    if let Some(determination) = c.determination {
        triage.determination = determination;
    }
    if let Some(category) = c.category {
        triage.category = Some(category);
    }
    if let Some(severity) = c.severity {
        triage.severity = Some(severity);
    }
    if let Some(urgency) = c.urgency {
        triage.urgency = Some(urgency);
    }
    if let Some(tlp) = c.tlp {
        next.tlp = tlp;
    }
    if let Some((priority, reason)) = c.priority_override {
        triage.priority = Some(priority);
        triage.priority_override_reason = Some(reason);
    } else if triage.priority_override_reason.is_none() {
        triage.priority = match (triage.severity, triage.urgency) {
            (Some(severity), Some(urgency)) => Some(super::enums::Priority::from_matrix(severity, urgency)),
            _ => None,
        };
    }
}

fn record(current: &Incident, to: WorkflowState, at: DateTime<Utc>, by: PersonId, reason: Option<Text>) -> Transition {
    Transition {
        id: TransitionId::generate(),
        incident_id: current.id,
        from: Some(current.state()),
        to,
        at,
        by,
        reason,
        resolution: None,
    }
}

fn require_open(current: &Incident, message: &str) -> Result<(), IncidentError> {
    if current.status == Status::Closed {
        return Err(refuse(current, None, message.to_owned()));
    }
    Ok(())
}

fn require_state(current: &Incident, target: WorkflowState, holds: bool, message: &str) -> Result<(), IncidentError> {
    if holds { Ok(()) } else { Err(refuse(current, Some(target), message.to_owned())) }
}

fn refuse(current: &Incident, to: Option<WorkflowState>, message: String) -> IncidentError {
    let allowed = allowed_targets(current);
    let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    let hint =
        if names.is_empty() { "no moves are allowed now".to_owned() } else { format!("allowed: {}", names.join(", ")) };
    IncidentError::InvalidTransition { from: current.state(), to, allowed, message: format!("{message} ({hint})") }
}
