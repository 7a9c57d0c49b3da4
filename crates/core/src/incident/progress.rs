//! The progress of all seven D-services on one incident, derived from its transitions, owner and
//! notifications, so that a board can show D-1 … D-7 while the state machine stays small.

use chrono::{DateTime, Utc};

use super::enums::{ProgressState, Stage, Status, WorkflowState};
use super::machine::main_line_index;
use super::model::{Incident, Transition};

/// One D-service's progress on an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageProgress {
    /// The D-service.
    pub stage: Stage,
    /// How far it has got.
    pub state: ProgressState,
    /// When it began.
    pub entered_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub completed_at: Option<DateTime<Utc>>,
}

/// Progress of D-1 … D-7, in order. `transitions` is the incident's history in time order.
#[must_use]
pub fn stage_progress(incident: &Incident, transitions: &[Transition]) -> Vec<StageProgress> {
    let closed = incident.status == Status::Closed;
    let last_close = transitions.iter().rev().find(|t| t.to == WorkflowState::Closed).map(|t| t.at);
    Stage::ALL
        .iter()
        .map(|&stage| match stage {
            Stage::D2 => overlay(stage, incident.milestones.acknowledged_at, closed, last_close, true),
            Stage::D6 => overlay(stage, incident.milestones.first_notified_at, closed, None, false),
            _ => main_line(incident, transitions, stage),
        })
        .collect()
}

fn overlay(
    stage: Stage,
    entered_at: Option<DateTime<Utc>>,
    closed: bool,
    completed_at: Option<DateTime<Utc>>,
    skipped_when_closed: bool,
) -> StageProgress {
    let state = match (entered_at, closed) {
        (None, true) if skipped_when_closed => ProgressState::Skipped,
        (None, _) => ProgressState::NotStarted,
        (Some(_), false) => ProgressState::Active,
        (Some(_), true) => ProgressState::Done,
    };
    let completed_at = if state == ProgressState::Done { completed_at } else { None };
    StageProgress { stage, state, entered_at, completed_at }
}

fn main_line(incident: &Incident, transitions: &[Transition], stage: Stage) -> StageProgress {
    let Some(index) = main_line_index(stage) else {
        return StageProgress { stage, state: ProgressState::NotStarted, entered_at: None, completed_at: None };
    };
    let here = WorkflowState::of_stage(stage);
    // The D-1 → D-4 fast path performs D-3 inline: it is entered and completed at that moment.
    let fast_path =
        |t: &Transition| stage == Stage::D3 && t.from == Some(WorkflowState::D1) && t.to == WorkflowState::D4;
    let entered_at = transitions.iter().find(|t| t.to.stage() == Some(stage) || fast_path(t)).map(|t| t.at);
    let left_at = transitions.iter().rev().find(|t| (t.from.is_some() && t.from == here) || fast_path(t)).map(|t| t.at);
    let jumped_over = transitions.iter().any(|t| {
        let from = t.from.and_then(WorkflowState::stage).and_then(main_line_index);
        let to = t.to.stage().and_then(main_line_index);
        matches!((from, to), (Some(f), Some(to)) if f < index && index < to) && !fast_path(t)
    });
    let current = incident.status == Status::Open && incident.stage == stage;
    let (state, completed_at) = if current {
        (ProgressState::Active, None)
    } else if entered_at.is_some() {
        (ProgressState::Done, left_at)
    } else if jumped_over || incident.status == Status::Closed {
        (ProgressState::Skipped, None)
    } else {
        (ProgressState::NotStarted, None)
    };
    StageProgress { stage, state, entered_at, completed_at }
}
