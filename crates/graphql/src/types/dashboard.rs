//! A team dashboard as the API shows it.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use taio_core::catalog::{Catalog as CoreCatalog, ServiceCode};
use taio_core::metrics::{self, Stats};

use super::catalog::CatalogService;
use super::enums::{Priority, Severity, Stage, WorkflowState};
use super::incident::{Incident, load_person};
use super::team::Person;
use crate::error::ApiResult;

/// One of the named clocks, each measured from `reportedAt` (never a plain "MTTR").
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::metrics::ClockKind")]
pub enum Clock {
    /// Time to acknowledge: acknowledgedAt − reportedAt.
    Acknowledge,
    /// Time to triage: triagedAt − reportedAt.
    Triage,
    /// Time to contain: containedAt − reportedAt.
    Contain,
    /// Time to recover: recoveredAt − reportedAt.
    Recover,
    /// Time to close: closedAt − reportedAt.
    Close,
}

/// How a team provides a catalog service.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
#[graphql(remote = "taio_core::metrics::Provision")]
pub enum Provision {
    /// The team performs it.
    InHouse,
    /// A provider performs it for the team.
    Outsourced,
    /// Nobody performs it.
    NotProvided,
}

/// Count, median and 90th percentile of durations, in seconds (nearest-rank percentiles).
#[derive(SimpleObject, Clone, Copy)]
pub struct DurationStats {
    /// How many incidents the clock stopped for.
    pub count: u64,
    /// Median, seconds.
    pub median_seconds: Option<i64>,
    /// 90th percentile, seconds.
    pub p90_seconds: Option<i64>,
}

impl From<Stats> for DurationStats {
    fn from(s: Stats) -> Self {
        Self { count: s.count, median_seconds: s.median, p90_seconds: s.p90 }
    }
}

/// A clock's statistics for one priority.
#[derive(SimpleObject)]
pub struct PriorityStats {
    /// The priority.
    pub priority: Priority,
    /// The statistics.
    pub stats: DurationStats,
}

/// A clock's statistics for one severity.
#[derive(SimpleObject)]
pub struct SeverityStats {
    /// The severity.
    pub severity: Severity,
    /// The statistics.
    pub stats: DurationStats,
}

/// One clock over the incidents reported in the period.
#[derive(SimpleObject)]
pub struct ClockStats {
    /// The clock.
    pub clock: Clock,
    /// Over every incident.
    pub overall: DurationStats,
    /// Per priority.
    pub by_priority: Vec<PriorityStats>,
    /// Per severity.
    pub by_severity: Vec<SeverityStats>,
}

/// Time spent in one main-line stage (finished stays of the period's incidents).
#[derive(SimpleObject)]
pub struct StageTime {
    /// The stage.
    pub state: WorkflowState,
    /// Durations.
    pub stats: DurationStats,
}

/// Open incidents in one D-stage.
#[derive(SimpleObject)]
pub struct StageBacklog {
    /// The D-service.
    pub stage: Stage,
    /// Open incidents in it. D-2: acknowledged open incidents; D-6: open incidents with
    /// notifications still planned.
    pub count: u64,
    /// D-2: owned.
    pub owned: u64,
    /// D-2: without an owner.
    pub unowned: u64,
    /// D-2: on hold.
    pub on_hold: u64,
    /// D-6: notifications still planned.
    pub pending_notifications: u64,
}

/// Open incidents with one severity (null: not classified yet).
#[derive(SimpleObject)]
pub struct SeverityCount {
    /// The severity.
    pub severity: Option<Severity>,
    /// How many.
    pub count: u64,
}

/// Open incidents with one priority (null: not classified yet).
#[derive(SimpleObject)]
pub struct PriorityCount {
    /// The priority.
    pub priority: Option<Priority>,
    /// How many.
    pub count: u64,
}

/// Opened and closed in one week.
#[derive(SimpleObject)]
pub struct WeekFlow {
    /// Monday 00:00 UTC.
    pub week_start: DateTime<Utc>,
    /// Reported that week.
    pub opened: u64,
    /// First closed that week.
    pub closed: u64,
}

/// Breaches of one SLA target.
#[derive(SimpleObject)]
pub struct SlaBreach {
    /// The clock.
    pub clock: Clock,
    /// The priority.
    pub priority: Priority,
    /// The target, seconds.
    pub target_seconds: i64,
    /// Incidents measured (clock stopped, or still running).
    pub measured: u64,
    /// Stopped after the target.
    pub breached: u64,
    /// Still running and already past the target.
    pub running_breached: u64,
}

/// A target for one clock at one priority.
#[derive(SimpleObject)]
pub struct SlaTarget {
    /// The priority.
    pub priority: Priority,
    /// The clock.
    pub clock: Clock,
    /// The target, seconds.
    pub target_seconds: i64,
}

impl From<metrics::SlaTarget> for SlaTarget {
    fn from(t: metrics::SlaTarget) -> Self {
        Self { priority: t.priority.into(), clock: t.clock.into(), target_seconds: t.target_seconds }
    }
}

/// How often work had to be undone.
#[derive(SimpleObject)]
pub struct Quality {
    /// Incidents reported in the period.
    pub reported: u64,
    /// Of those, determined false positives.
    pub false_positives: u64,
    /// falsePositives / reported.
    pub false_positive_share: Option<f64>,
    /// Of those, closed at least once.
    pub closed: u64,
    /// Of the closed, reopened at least once.
    pub reopened: u64,
    /// reopened / closed.
    pub reopen_rate: Option<f64>,
    /// D-5 → D-4 moves in the period.
    pub failed_containments: u64,
}

/// Use of one catalog service.
#[derive(SimpleObject)]
pub struct ServiceUse {
    /// The service.
    pub service: CatalogService,
    /// Actions that exercised it in the period.
    pub count: u64,
}

/// One cell of the stage × service matrix.
#[derive(SimpleObject)]
pub struct StageServiceCount {
    /// The D-stage the actions performed.
    pub stage: Stage,
    /// The service code.
    pub code: String,
    /// Actions.
    pub count: u64,
}

/// One cell of the category × month heat map.
#[derive(SimpleObject)]
pub struct CategoryMonthCount {
    /// The category letter.
    pub category: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Service uses.
    pub count: u64,
}

/// How the team declares it provides a service.
#[derive(SimpleObject)]
pub struct PortfolioEntry {
    /// The service.
    pub service: CatalogService,
    /// How.
    pub provision: Provision,
}

/// Which catalog services the team's actions exercised in the period.
#[derive(SimpleObject)]
pub struct Coverage {
    /// Services in the catalog (64).
    pub catalog_services: u64,
    /// Distinct services exercised.
    pub exercised_count: u64,
    /// exercisedCount / catalogServices.
    pub ratio: f64,
    /// Per service, in catalog order.
    pub services: Vec<ServiceUse>,
    /// Stage × service.
    pub stage_matrix: Vec<StageServiceCount>,
    /// Category × month.
    pub category_months: Vec<CategoryMonthCount>,
    /// The declared portfolio.
    pub portfolio: Vec<PortfolioEntry>,
    /// Declared as provided (in house or outsourced) but never exercised in the period.
    pub declared_not_exercised: Vec<CatalogService>,
    /// Exercised in the period but not declared as provided.
    pub exercised_not_declared: Vec<CatalogService>,
}

fn share(part: u64, whole: u64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn services(catalog: &'static CoreCatalog, codes: &[ServiceCode]) -> Vec<CatalogService> {
    codes.iter().filter_map(|c| catalog.service(c)).map(CatalogService).collect()
}

/// A team dashboard: where incidents stand and how well the team responds.
pub struct TeamDashboard {
    pub(crate) dashboard: metrics::Dashboard,
    pub(crate) catalog: &'static CoreCatalog,
}

/// A team dashboard: where incidents stand and how well the team responds.
#[Object]
impl TeamDashboard {
    /// Start of the period, included.
    async fn from(&self) -> DateTime<Utc> {
        self.dashboard.period.from
    }

    /// End of the period, excluded.
    async fn to(&self) -> DateTime<Utc> {
        self.dashboard.period.to
    }

    /// When the figures were computed.
    async fn generated_at(&self) -> DateTime<Utc> {
        self.dashboard.generated_at
    }

    /// Open incidents now.
    async fn open_incidents(&self) -> u64 {
        self.dashboard.backlog.total
    }

    /// Open incidents per D-stage, D-1 to D-7.
    async fn backlog_by_stage(&self) -> Vec<StageBacklog> {
        self.dashboard
            .backlog
            .by_stage
            .iter()
            .filter_map(|b| {
                Some(StageBacklog {
                    stage: b.stage?.into(),
                    count: b.count,
                    owned: b.owned,
                    unowned: b.unowned,
                    on_hold: b.on_hold,
                    pending_notifications: b.pending_notifications,
                })
            })
            .collect()
    }

    /// Open incidents per severity.
    async fn backlog_by_severity(&self) -> Vec<SeverityCount> {
        self.dashboard
            .backlog
            .by_severity
            .iter()
            .map(|(s, c)| SeverityCount { severity: s.map(Into::into), count: *c })
            .collect()
    }

    /// Open incidents per priority.
    async fn backlog_by_priority(&self) -> Vec<PriorityCount> {
        self.dashboard
            .backlog
            .by_priority
            .iter()
            .map(|(p, c)| PriorityCount { priority: p.map(Into::into), count: *c })
            .collect()
    }

    /// Open incidents per owner (unowned ones have no owner).
    async fn backlog_by_owner(&self, ctx: &Context<'_>) -> ApiResult<Vec<OwnerCount>> {
        let mut out = Vec::new();
        for (owner, count) in &self.dashboard.backlog.by_owner {
            let person = match owner {
                Some(id) => Some(load_person(ctx, *id).await?),
                None => None,
            };
            out.push(OwnerCount { owner: person, count: *count });
        }
        Ok(out)
    }

    /// The open incident reported first.
    async fn oldest_open_incident(&self) -> Option<Incident> {
        self.dashboard.backlog.oldest.clone().map(Incident)
    }

    /// Opened and closed per week of the period.
    async fn flow(&self) -> Vec<WeekFlow> {
        self.dashboard
            .flow
            .iter()
            .map(|w| WeekFlow { week_start: w.week_start, opened: w.opened, closed: w.closed })
            .collect()
    }

    /// The named clocks over incidents reported in the period.
    async fn clocks(&self) -> Vec<ClockStats> {
        self.dashboard
            .clocks
            .iter()
            .map(|c| ClockStats {
                clock: c.clock.into(),
                overall: c.overall.into(),
                by_priority: c
                    .by_priority
                    .iter()
                    .map(|(p, s)| PriorityStats { priority: (*p).into(), stats: (*s).into() })
                    .collect(),
                by_severity: c
                    .by_severity
                    .iter()
                    .map(|(v, s)| SeverityStats { severity: (*v).into(), stats: (*s).into() })
                    .collect(),
            })
            .collect()
    }

    /// Time spent in each main-line stage.
    async fn time_in_stage(&self) -> Vec<StageTime> {
        self.dashboard
            .time_in_stage
            .iter()
            .map(|t| StageTime { state: t.state.into(), stats: t.stats.into() })
            .collect()
    }

    /// The SLA targets applied (the team's, and defaults where it set none).
    async fn sla_policy(&self) -> Vec<SlaTarget> {
        self.dashboard.sla_policy.iter().copied().map(Into::into).collect()
    }

    /// SLA breaches per clock and priority, over incidents reported in the period.
    async fn sla_breaches(&self) -> Vec<SlaBreach> {
        self.dashboard
            .sla
            .iter()
            .map(|b| SlaBreach {
                clock: b.clock.into(),
                priority: b.priority.into(),
                target_seconds: b.target_seconds,
                measured: b.measured,
                breached: b.breached,
                running_breached: b.running_breached,
            })
            .collect()
    }

    /// False positives, reopenings and failed containments.
    async fn quality(&self) -> Quality {
        let q = self.dashboard.quality;
        Quality {
            reported: q.reported,
            false_positives: q.false_positives,
            false_positive_share: share(q.false_positives, q.reported),
            closed: q.closed,
            reopened: q.reopened,
            reopen_rate: share(q.reopened, q.closed),
            failed_containments: q.failed_containments,
        }
    }

    /// Per person: open incidents owned, actions performed and effort in the period.
    async fn workload(&self, ctx: &Context<'_>) -> ApiResult<Vec<PersonWorkload>> {
        let mut out = Vec::new();
        for (person, w) in &self.dashboard.workload {
            out.push(PersonWorkload {
                person: load_person(ctx, *person).await?,
                open_owned: w.open_owned,
                actions: w.actions,
                effort_minutes: w.effort_minutes,
            });
        }
        Ok(out)
    }

    /// Catalog coverage: which of the 64 services the team's actions exercised in the period.
    async fn coverage(&self) -> Coverage {
        let c = &self.dashboard.coverage;
        let catalog = self.catalog;
        let uses = catalog
            .services()
            .filter_map(|s| c.services.get(&s.code).map(|n| ServiceUse { service: CatalogService(s), count: *n }))
            .collect();
        Coverage {
            catalog_services: c.catalog_services,
            exercised_count: c.services.len() as u64,
            ratio: c.ratio(),
            services: uses,
            stage_matrix: c
                .stage_matrix
                .iter()
                .map(|((stage, code), n)| StageServiceCount {
                    stage: (*stage).into(),
                    code: code.to_string(),
                    count: *n,
                })
                .collect(),
            category_months: c
                .category_months
                .iter()
                .map(|((cat, month), n)| CategoryMonthCount {
                    category: cat.to_string(),
                    month: month.clone(),
                    count: *n,
                })
                .collect(),
            portfolio: c
                .portfolio
                .iter()
                .filter_map(|(code, p)| {
                    catalog.service(code).map(|s| PortfolioEntry { service: CatalogService(s), provision: (*p).into() })
                })
                .collect(),
            declared_not_exercised: services(catalog, &c.declared_not_exercised),
            exercised_not_declared: services(catalog, &c.exercised_not_declared),
        }
    }
}

/// Open incidents of one owner.
#[derive(SimpleObject)]
pub struct OwnerCount {
    /// The owner; null for unowned incidents.
    pub owner: Option<Person>,
    /// How many.
    pub count: u64,
}

/// One person's load.
#[derive(SimpleObject)]
pub struct PersonWorkload {
    /// The person.
    pub person: Person,
    /// Open incidents they own.
    pub open_owned: u64,
    /// Actions they performed in the period.
    pub actions: u64,
    /// Effort they recorded in the period, minutes.
    pub effort_minutes: i64,
}
