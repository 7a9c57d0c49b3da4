//! Taiō's domain: the ISOG-J service catalog, incidents and their D-stage state machine, teams and
//! access rules, and the ports that storage implements. No I/O and no framework lives here.

#[macro_use]
mod vocabulary;

pub mod access;
pub mod catalog;
pub mod clock;
pub mod error;
pub mod id;
pub mod incident;
pub mod metrics;
pub mod team;
mod text;

pub use access::{Actor, Audit, Operation, Viewer};
pub use catalog::{Catalog, CatalogService, Category, ServiceCode};
pub use clock::{Clock, SystemClock};
pub use error::{IncidentError, RepoError};
pub use text::{Markdown, Text};
