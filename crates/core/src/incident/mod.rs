//! The incident aggregate: model, vocabularies, state machine, actions, ports and service.

mod action;
mod category;
mod enums;
mod event;
mod key;
mod machine;
mod model;
mod ports;
mod progress;
mod service;

pub use action::{Action, Evidence, MAX_EFFORT_MINUTES, Notification, Sha256Hex, is_response_report};
pub use category::{IncidentCategory, RSIT};
pub use enums::{
    ActionKind, Audience, Determination, EvidenceKind, Outcome, Priority, ProgressState, Resolution, Severity, Source,
    Stage, Status, Tlp, Urgency, WorkflowState,
};
pub use event::{EventChange, EventKind, EventPosition, EventScope, IncidentEvent, NewEvent, changed_fields};
pub use key::IncidentKey;
pub use machine::{Command, Decision, allowed_resolutions, allowed_targets, decide, main_line_index};
pub use model::{Classification, Incident, Milestones, NewIncident, Transition, Triage};
pub use ports::{
    ActionEffects, ActionRepository, AuditEntry, EventLog, IncidentPage, IncidentQuery, IncidentRepository, PageCursor,
    Reader,
};
pub use progress::{StageProgress, stage_progress};
pub use service::{
    DEFAULT_PAGE_SIZE, EventWithIncident, IncidentFilter, IncidentService, MAX_EVENT_BATCH, MAX_PAGE_SIZE,
    NewActionRequest, NewEvidence, NewIncidentRequest, PageRequest, VisibleIncident, may_follow, visible_to,
};
