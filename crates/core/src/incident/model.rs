//! The incident aggregate as stored, its triage fields, milestones and transition history.

use chrono::{DateTime, Utc};

use super::category::IncidentCategory;
use super::enums::{Determination, Priority, Resolution, Severity, Source, Stage, Status, Tlp, Urgency, WorkflowState};
use super::key::IncidentKey;
use crate::id::{IncidentId, PersonId, TeamId, TransitionId};
use crate::text::{Markdown, Text};

/// An incident: what was reported, where it stands, and what triage concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Identity.
    pub id: IncidentId,
    /// The owning team.
    pub team_id: TeamId,
    /// Human key, unique in the team.
    pub key: IncidentKey,
    /// One-line title.
    pub title: Text,
    /// Markdown description.
    pub description: Option<Markdown>,
    /// Where the report came from.
    pub source: Source,
    /// Sharing label.
    pub tlp: Tlp,
    /// Main-line stage (D1, D3, D4, D5 or D7); kept at the last stage when closed.
    pub stage: Stage,
    /// Open or closed.
    pub status: Status,
    /// Optimistic-concurrency version, +1 on every change.
    pub version: i64,
    /// Triage conclusions (D-3).
    pub triage: Triage,
    /// The responder in charge (D-2).
    pub owner_id: Option<PersonId>,
    /// Why the incident is on hold (waiting on a third party, a change window…), while it is.
    pub on_hold: Option<Text>,
    /// Who reported it into Taiō.
    pub reported_by: PersonId,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
    /// When it was first detected, if known.
    pub detected_at: Option<DateTime<Utc>>,
    /// First-occurrence timestamps written by transitions.
    pub milestones: Milestones,
    /// How it was closed.
    pub resolution: Option<Resolution>,
    /// The closing summary.
    pub closure_summary: Option<Markdown>,
    /// The incident this one duplicates.
    pub duplicate_of: Option<IncidentId>,
    /// How many times it was reopened.
    pub reopen_count: i32,
    /// When the latest D-7 response-report action was recorded.
    pub report_recorded_at: Option<DateTime<Utc>>,
    /// Marked restricted: only its owner, its reporter, its participants and the team's leads see it.
    pub restricted: bool,
    /// People named on the incident, who may see it when it is restricted.
    pub participants: Vec<PersonId>,
    /// Server time of creation.
    pub created_at: DateTime<Utc>,
    /// Server time of the last change.
    pub updated_at: DateTime<Utc>,
}

/// The D-3 conclusions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    /// What the report is.
    pub determination: Determination,
    /// RSIT class/type.
    pub category: Option<IncidentCategory>,
    /// Harm.
    pub severity: Option<Severity>,
    /// How soon.
    pub urgency: Option<Urgency>,
    /// Effective priority: the manual override, else the matrix.
    pub priority: Option<Priority>,
    /// Why the priority was set by hand, when it was.
    pub priority_override_reason: Option<Text>,
}

impl Default for Triage {
    fn default() -> Self {
        Self {
            determination: Determination::Undetermined,
            category: None,
            severity: None,
            urgency: None,
            priority: None,
            priority_override_reason: None,
        }
    }
}

impl Triage {
    /// Whether triage declares an incident with everything D-4 needs: a CONFIRMED or SUSPECTED
    /// determination, a category, a severity and an urgency.
    #[must_use]
    pub fn is_ready_to_declare(&self) -> bool {
        self.determination.is_declared() && self.category.is_some() && self.severity.is_some() && self.urgency.is_some()
    }

    /// The fields still missing for [`Self::is_ready_to_declare`], as API field names.
    #[must_use]
    pub fn missing_for_declaration(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if !self.determination.is_declared() {
            missing.push("determination (CONFIRMED or SUSPECTED)");
        }
        if self.category.is_none() {
            missing.push("category");
        }
        if self.severity.is_none() {
            missing.push("severity");
        }
        if self.urgency.is_none() {
            missing.push("urgency");
        }
        missing
    }
}

/// Milestones: each written once, by the first transition that reaches it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Milestones {
    /// Acknowledged (D-1 → D-3, owner set).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Triage finished (left D-3).
    pub triaged_at: Option<DateTime<Utc>>,
    /// Declared an incident (left D-3 for D-4, D-5 or D-7).
    pub declared_at: Option<DateTime<Utc>>,
    /// Contained (D-4 → D-5).
    pub contained_at: Option<DateTime<Utc>>,
    /// Recovered (D-5 → D-7).
    pub recovered_at: Option<DateTime<Utc>>,
    /// Response report completed (D-7 → closed).
    pub report_completed_at: Option<DateTime<Utc>>,
    /// Closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// First D-6 notification.
    pub first_notified_at: Option<DateTime<Utc>>,
}

/// Changes to the triage fields requested by a caller; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    /// New determination.
    pub determination: Option<Determination>,
    /// New category.
    pub category: Option<IncidentCategory>,
    /// New severity.
    pub severity: Option<Severity>,
    /// New urgency.
    pub urgency: Option<Urgency>,
    /// New TLP.
    pub tlp: Option<Tlp>,
    /// A manual priority with its reason.
    pub priority_override: Option<(Priority, Text)>,
}

/// One stored move of the state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// Identity.
    pub id: TransitionId,
    /// The incident.
    pub incident_id: IncidentId,
    /// Where it was; `None` for the report that created it.
    pub from: Option<WorkflowState>,
    /// Where it went.
    pub to: WorkflowState,
    /// When.
    pub at: DateTime<Utc>,
    /// Who moved it.
    pub by: PersonId,
    /// Why, for backward moves and reopens.
    pub reason: Option<Text>,
    /// The resolution, for moves to closed.
    pub resolution: Option<Resolution>,
}

/// What a reporter gives to open an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    /// Identity chosen up front.
    pub id: IncidentId,
    /// Owning team.
    pub team_id: TeamId,
    /// Title.
    pub title: Text,
    /// Description.
    pub description: Option<Markdown>,
    /// Source.
    pub source: Source,
    /// TLP (AMBER unless given).
    pub tlp: Tlp,
    /// Reporter.
    pub reported_by: PersonId,
    /// Reported time.
    pub reported_at: DateTime<Utc>,
    /// Detected time.
    pub detected_at: Option<DateTime<Utc>>,
    /// Server time of creation.
    pub created_at: DateTime<Utc>,
}

impl NewIncident {
    /// The incident in D-1 as it is stored under `key`, version 1.
    #[must_use]
    pub fn into_incident(self, key: IncidentKey) -> Incident {
        Incident {
            id: self.id,
            team_id: self.team_id,
            key,
            title: self.title,
            description: self.description,
            source: self.source,
            tlp: self.tlp,
            stage: Stage::D1,
            status: Status::Open,
            version: 1,
            triage: Triage::default(),
            owner_id: None,
            on_hold: None,
            reported_by: self.reported_by,
            reported_at: self.reported_at,
            detected_at: self.detected_at,
            milestones: Milestones::default(),
            resolution: None,
            closure_summary: None,
            duplicate_of: None,
            reopen_count: 0,
            report_recorded_at: None,
            restricted: false,
            participants: Vec::new(),
            created_at: self.created_at,
            updated_at: self.created_at,
        }
    }

    /// The transition that records the report (– → D-1).
    #[must_use]
    pub fn report_transition(&self) -> Transition {
        Transition {
            id: TransitionId::generate(),
            incident_id: self.id,
            from: None,
            to: WorkflowState::D1,
            at: self.reported_at,
            by: self.reported_by,
            reason: None,
            resolution: None,
        }
    }
}

impl Incident {
    /// Whether only its owner, reporter, participants and the team's leads may see it: when marked so, and
    /// always at TLP:RED.
    #[must_use]
    pub fn is_restricted(&self) -> bool {
        self.restricted || self.tlp == Tlp::Red
    }

    /// Where the incident is on the main line, closing included.
    #[must_use]
    pub fn state(&self) -> WorkflowState {
        match self.status {
            Status::Closed => WorkflowState::Closed,
            Status::Open => WorkflowState::of_stage(self.stage).unwrap_or(WorkflowState::D1),
        }
    }
}
