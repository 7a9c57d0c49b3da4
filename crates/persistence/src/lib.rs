//! sea-orm implementation of Taiō's storage ports, on PostgreSQL and SQLite alike: connection
//! setup, migrations, the incident, action and team repositories, and the token directory.

mod actions;
mod audit;
pub mod bulk;
mod convert;
mod db;
mod directory;
mod entity;
mod error;
mod events;
mod gauges;
pub mod grants;
mod incidents;
mod metrics;
mod rollup;
mod teams;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use actions::SqlActions;
pub use audit::{AuditReport, BrokenLink, GENESIS};
pub use db::{Backend, Database, DatabaseConfig, redact as redact_url};
pub use directory::Directory;
pub use events::{EventSignal, NOTIFY_CHANNEL, Pruned, SqlEvents};
pub use gauges::{Gauges, OpenIncidentCount, PoolUse};
pub use incidents::SqlIncidents;
pub use metrics::SqlMetrics;
pub use teams::SqlTeams;
