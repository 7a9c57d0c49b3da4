//! What a team dashboard shows, and the team's SLA targets and service portfolio.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Months, NaiveTime, Utc};

use crate::catalog::ServiceCode;
use crate::id::{IncidentId, PersonId};
use crate::incident::{Determination, Incident, Milestones, Priority, Severity, Stage, Status, WorkflowState};

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
    /// When this clock stopped, if it has.
    #[must_use]
    pub fn stopped_at(self, m: &Milestones) -> Option<DateTime<Utc>> {
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
    pub fn seconds(self, incident: &IncidentFact) -> Option<i64> {
        self.stopped_at(&incident.milestones).map(|at| (at - incident.reported_at).num_seconds())
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

impl Period {
    /// The calendar months (UTC) the period touches: each month's label `YYYY-MM` and its first
    /// instant, oldest first.
    #[must_use]
    pub fn months(&self) -> Vec<(String, DateTime<Utc>)> {
        let mut months = Vec::new();
        let mut start = self.from.date_naive().with_day(1).map_or(self.from, |d| d.and_time(NaiveTime::MIN).and_utc());
        while start < self.to {
            months.push((start.format("%Y-%m").to_string(), start));
            start = start
                .date_naive()
                .checked_add_months(Months::new(1))
                .map_or(self.to, |d| d.and_time(NaiveTime::MIN).and_utc());
        }
        months
    }
}

/// Whose dashboard is read: restricted incidents count only where the reader may see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audience {
    /// The reader.
    pub person: PersonId,
    /// The reader sees every restricted incident of the team (a lead).
    pub sees_restricted: bool,
}

/// An incident's dates and classification, as the clocks, SLA, flow and quality use them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFact {
    /// The incident.
    pub id: IncidentId,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
    /// Open or closed.
    pub status: Status,
    /// Its severity once classified.
    pub severity: Option<Severity>,
    /// Its priority once classified.
    pub priority: Option<Priority>,
    /// Whether it is real.
    pub determination: Determination,
    /// How often it was reopened.
    pub reopen_count: i32,
    /// When the clocks stopped.
    pub milestones: Milestones,
}

/// How many open incidents share a stage, a classification and an owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenGroup {
    /// The stage.
    pub stage: Stage,
    /// The severity (`None`: not classified).
    pub severity: Option<Severity>,
    /// The priority (`None`: not classified).
    pub priority: Option<Priority>,
    /// The owner.
    pub owner: Option<PersonId>,
    /// Acknowledged (so in D-2).
    pub acknowledged: bool,
    /// On hold.
    pub on_hold: bool,
    /// How many.
    pub count: u64,
}

/// How often a service was exercised at one stage in one month of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUse {
    /// The D-service of the actions.
    pub stage: Stage,
    /// The service.
    pub service: ServiceCode,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Actions.
    pub actions: u64,
}

/// One person's recorded work in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonWork {
    /// Who.
    pub person: PersonId,
    /// Actions performed.
    pub actions: u64,
    /// Effort recorded, minutes.
    pub effort_minutes: i64,
}

/// A stage move of an incident reported in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageEntry {
    /// The incident.
    pub incident: IncidentId,
    /// The state entered.
    pub state: WorkflowState,
    /// When.
    pub at: DateTime<Utc>,
}

/// What the storage gives the dashboard, already aggregated where it can be and limited to what
/// the [`Audience`] may see. Actions superseded by a correction are not counted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DashboardFacts {
    /// Incidents reported or closed in the period.
    pub incidents: Vec<IncidentFact>,
    /// Open incidents, grouped.
    pub open: Vec<OpenGroup>,
    /// The open incident reported first.
    pub oldest_open: Option<Incident>,
    /// D-6 notifications still planned on open incidents.
    pub pending_notifications: u64,
    /// Open incidents with such notifications.
    pub pending_notification_incidents: u64,
    /// Stage moves of the incidents reported in the period, oldest first per incident.
    pub stage_entries: Vec<StageEntry>,
    /// D-5 → D-4 moves in the period.
    pub failed_containments: u64,
    /// Actions in the period per stage, service and month.
    pub service_uses: Vec<ServiceUse>,
    /// Actions and effort in the period per person.
    pub work: Vec<PersonWork>,
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
