//! Team dashboards (DOMAIN §6): backlog, flow, the named clocks with median and 90th percentile,
//! SLA breaches, quality, workload and catalog coverage — computed as pure functions of what the
//! storage port returns. The storage aggregates what only needs counting (open incidents, actions
//! per service and month, work per person) and returns row by row only what needs order
//! statistics (clock values, stays in a stage), all limited to the incidents the caller may see.

mod compute;
mod model;
mod service;

pub use compute::{compute, stats, week_start};
pub use model::{
    Audience, Backlog, ClockKind, ClockStats, Coverage, Dashboard, DashboardFacts, IncidentFact, OpenGroup, Period,
    PersonWork, Provision, Quality, ServiceUse, SlaBreach, SlaTarget, StageBacklog, StageEntry, StageTime, Stats,
    WeekFlow, Workload, default_sla,
};
pub use service::{DashboardService, MetricsRepository};
