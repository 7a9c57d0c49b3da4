//! Settings of the HTTP and GraphQL edge: request limits, timeouts, introspection, GraphiQL, CORS.

use clap::Args;

/// Edge settings of `taio serve`.
#[derive(Debug, Args, Clone, Default)]
pub struct EdgeArgs {}
