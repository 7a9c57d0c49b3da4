//! Team dashboards (DOMAIN §6): backlog, flow, the named clocks with median and 90th percentile,
//! SLA breaches, quality, workload and catalog coverage — computed as pure functions of what the
//! storage port returns, over the incidents the caller may see.

mod compute;
mod model;
mod service;

pub use compute::{compute, stats, week_start};
pub use model::{
    ActionFact, Backlog, ClockKind, ClockStats, Coverage, Dashboard, DashboardFacts, Period, Provision, Quality,
    SlaBreach, SlaTarget, StageBacklog, StageTime, Stats, TransitionFact, WeekFlow, Workload, default_sla,
};
pub use service::{DashboardService, MetricsRepository};
