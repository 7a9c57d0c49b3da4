//! What a team dashboard shows, and the team's SLA targets and service portfolio.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::catalog::ServiceCode;
use crate::id::{IncidentId, PersonId};
use crate::incident::{Incident, Priority, Severity, Stage, WorkflowState};

vocabulary! {
    /// The named clocks of DOMAIN §6, each measured from `reportedAt`.
    ClockKind {
        /// acknowledgedAt − reportedAt.
        Acknowledge = "ACKNOWLEDGE",
        /// triagedAt − reportedAt.
        Triage = "TRIAGE",
        /// containedAt − reportedAt.
        Contain = "CONTAIN",
        /// recoveredAt − reportedAt.
        Recover = "RECOVER",
        /// closedAt − reportedAt.
        Close = "CLOSE",
    }
}

impl ClockKind {
    /// When this clock stopped on `incident`, if it has.
    #[must_use]
    pub fn stopped_at(self, incident: &Incident) -> Option<DateTime<Utc>> {
        let m = &incident.milestones;
        match self {
            Self::Acknowledge => m.acknowledged_at,
            Self::Triage => m.triaged_at,
            Self::Contain => m.contained_at,
            Self::Recover => m.recovered_at,
            Self::Close => m.closed_at,
        }
    }

    /// The clock's value on `incident`, in seconds, once stopped.
    #[must_use]
    pub fn seconds(self, incident: &Incident) -> Option<i64> {
        self.stopped_at(incident).map(|at| (at - incident.reported_at).num_seconds())
    }
}

vocabulary! {
    /// Whether the team performs a catalog service itself.
    Provision {
        /// The team performs it.
        InHouse = "IN_HOUSE",
        /// A provider performs it for the team.
        Outsourced = "OUTSOURCED",
        /// Nobody performs it.
        NotProvided = "NOT_PROVIDED",
    }
}

/// A team's target for one clock at one priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTarget {
    /// The priority.
    pub priority: Priority,
    /// The clock.
    pub clock: ClockKind,
    /// The target, in seconds.
    pub target_seconds: i64,
}

/// The targets used when a team has set none: tighter for higher priorities.
#[must_use]
pub fn default_sla() -> Vec<SlaTarget> {
    let hours = |h: i64| h * 3600;
    let table = [
        (Priority::P1, [hours(1) / 4, hours(1), hours(4), hours(24), hours(24 * 7)]),
        (Priority::P2, [hours(1), hours(4), hours(24), hours(72), hours(24 * 14)]),
        (Priority::P3, [hours(4), hours(24), hours(72), hours(24 * 7), hours(24 * 30)]),
        (Priority::P4, [hours(24), hours(72), hours(24 * 7), hours(24 * 14), hours(24 * 60)]),
    ];
    table
        .into_iter()
        .flat_map(|(priority, targets)| {
            ClockKind::ALL.iter().zip(targets).map(move |(&clock, target_seconds)| SlaTarget {
                priority,
                clock,
                target_seconds,
            })
        })
        .collect()
}

/// A reporting period, `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// Start, included.
    pub from: DateTime<Utc>,
    /// End, excluded.
    pub to: DateTime<Utc>,
}

impl Period {
    /// Whether `at` falls in the period.
    #[must_use]
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.to
    }

    /// The last 90 days up to `now`.
    #[must_use]
    pub fn default_until(now: DateTime<Utc>) -> Self {
        Self { from: now - Duration::days(90), to: now }
    }
}

/// An action as the dashboard counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionFact {
    /// The incident.
    pub incident: IncidentId,
    /// The D-service performed.
    pub stage: Stage,
    /// The services exercised.
    pub services: Vec<ServiceCode>,
    /// Who did it.
    pub performed_by: PersonId,
    /// When.
    pub performed_at: DateTime<Utc>,
    /// Effort in minutes.
    pub effort_minutes: Option<i32>,
    /// A D-6 notification still planned.
    pub planned_notification: bool,
}

/// A stage move, as the dashboard counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionFact {
    /// The incident.
    pub incident: IncidentId,
    /// From.
    pub from: Option<WorkflowState>,
    /// To.
    pub to: WorkflowState,
    /// When.
    pub at: DateTime<Utc>,
}

/// What the storage gives the dashboard: the team's incidents that are open or were reported or
/// closed in the period, their transitions, and the actions (not superseded) on them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DashboardFacts {
    /// The incidents.
    pub incidents: Vec<Incident>,
    /// Their transitions, oldest first per incident.
    pub transitions: Vec<TransitionFact>,
    /// Actions on them that no later action supersedes.
    pub actions: Vec<ActionFact>,
}

/// Count, median and 90th percentile of a set of durations (nearest-rank).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// How many values.
    pub count: u64,
    /// Median in seconds (nearest rank).
    pub median: Option<i64>,
    /// 90th percentile in seconds (nearest rank).
    pub p90: Option<i64>,
}

/// One clock's statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockStats {
    /// The clock.
    pub clock: ClockKind,
    /// Over every incident reported in the period.
    pub overall: Stats,
    /// Per priority.
    pub by_priority: BTreeMap<Priority, Stats>,
    /// Per severity.
    pub by_severity: BTreeMap<Severity, Stats>,
}

/// Breaches of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaBreach {
    /// The clock.
    pub clock: ClockKind,
    /// The priority.
    pub priority: Priority,
    /// The target applied, seconds.
    pub target_seconds: i64,
    /// Incidents whose clock stopped, or is still running, in the measure.
    pub measured: u64,
    /// Stopped after the target.
    pub breached: u64,
    /// Still running and already past the target.
    pub running_breached: u64,
}

/// The backlog of one D-stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StageBacklog {
    /// The D-service.
    pub stage: Option<Stage>,
    /// Open incidents in it (D-2: every acknowledged open incident; D-6: open incidents with
    /// pending notifications).
    pub count: u64,
    /// D-2: with an owner.
    pub owned: u64,
    /// D-2: without an owner.
    pub unowned: u64,
    /// D-2: on hold.
    pub on_hold: u64,
    /// D-6: notifications still planned.
    pub pending_notifications: u64,
}

/// Open incidents at a glance.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Backlog {
    /// Open incidents.
    pub total: u64,
    /// Per D-stage, D-1 to D-7.
    pub by_stage: Vec<StageBacklog>,
    /// Per severity (`None`: not classified).
    pub by_severity: BTreeMap<Option<Severity>, u64>,
    /// Per priority (`None`: not classified).
    pub by_priority: BTreeMap<Option<Priority>, u64>,
    /// Per owner (`None`: unowned).
    pub by_owner: BTreeMap<Option<PersonId>, u64>,
    /// The open incident reported first.
    pub oldest: Option<Incident>,
}

/// Opened and closed in one ISO week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekFlow {
    /// Monday 00:00 UTC of the week.
    pub week_start: DateTime<Utc>,
    /// Reported that week.
    pub opened: u64,
    /// First closed that week.
    pub closed: u64,
}

/// How often work had to be undone.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Quality {
    /// Incidents reported in the period.
    pub reported: u64,
    /// Of those, determined false positives.
    pub false_positives: u64,
    /// Of those, closed at least once.
    pub closed: u64,
    /// Of the closed, reopened at least once.
    pub reopened: u64,
    /// D-5 → D-4 moves in the period.
    pub failed_containments: u64,
}

/// One person's load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Workload {
    /// Open incidents they own.
    pub open_owned: u64,
    /// Actions they performed in the period.
    pub actions: u64,
    /// Effort they recorded in the period, minutes.
    pub effort_minutes: i64,
}

/// Which catalog services the team's actions exercised.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Coverage {
    /// Services in the catalog.
    pub catalog_services: u64,
    /// Actions per service in the period.
    pub services: BTreeMap<ServiceCode, u64>,
    /// Actions per (stage, service).
    pub stage_matrix: BTreeMap<(Stage, ServiceCode), u64>,
    /// Service uses per (category letter, month `YYYY-MM`).
    pub category_months: BTreeMap<(char, String), u64>,
    /// The team's declared portfolio.
    pub portfolio: BTreeMap<ServiceCode, Provision>,
    /// Declared (in house or outsourced) but not exercised in the period.
    pub declared_not_exercised: Vec<ServiceCode>,
    /// Exercised in the period but not declared as provided.
    pub exercised_not_declared: Vec<ServiceCode>,
}

impl Coverage {
    /// Share of the catalog exercised, 0 to 1.
    #[must_use]
    pub fn ratio(&self) -> f64 {
        if self.catalog_services == 0 {
            return 0.0;
        }
        #[allow(clippy::cast_precision_loss)]
        let ratio = self.services.len() as f64 / self.catalog_services as f64;
        ratio
    }
}

/// Time spent in one main-line stage, over stays that ended in the period's incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageTime {
    /// The state.
    pub state: WorkflowState,
    /// Durations of finished stays.
    pub stats: Stats,
}

/// A whole team dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    /// The period.
    pub period: Period,
    /// When it was computed.
    pub generated_at: DateTime<Utc>,
    /// Open incidents now.
    pub backlog: Backlog,
    /// Opened and closed per week.
    pub flow: Vec<WeekFlow>,
    /// The clocks.
    pub clocks: Vec<ClockStats>,
    /// Time in each main-line stage.
    pub time_in_stage: Vec<StageTime>,
    /// The targets applied.
    pub sla_policy: Vec<SlaTarget>,
    /// Breaches per clock and priority.
    pub sla: Vec<SlaBreach>,
    /// False positives, reopenings, failed containments.
    pub quality: Quality,
    /// Per person.
    pub workload: BTreeMap<PersonId, Workload>,
    /// Catalog coverage.
    pub coverage: Coverage,
}
