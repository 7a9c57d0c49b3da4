//! The `taio` server: configuration, the HTTP router (GraphQL over HTTP, GraphiQL, health,
//! Prometheus metrics), and
//! the commands behind the CLI. This crate only composes the others.

pub mod app;
mod assets;
pub mod bench;
pub mod bench_events;
pub mod bootstrap;
pub mod config;
pub mod edge;
mod graphql_http;
mod graphql_ws;
mod metrics;

pub use app::{AppState, app};
