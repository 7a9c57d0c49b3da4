//! The schema: one builder with no data (for SDL export and tests) and one with services.

use async_graphql::{EmptySubscription, SDLExportOptions, Schema, SchemaBuilder};

use crate::context::Services;
use crate::mutation::MutationRoot;
use crate::query::QueryRoot;

/// Taiō's schema type.
pub type TaioSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// Most complex query accepted.
pub const MAX_COMPLEXITY: usize = 5_000;

/// The schema builder with Taiō's limits and no data attached.
#[must_use]
pub fn schema_builder() -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(16)
}

/// The schema over `services`.
#[must_use]
pub fn build_schema(services: Services) -> TaioSchema {
    schema_builder().data(services).finish()
}

/// The schema's SDL with types, fields, arguments and enum values sorted, as kept in
/// `schema.graphql`.
#[must_use]
pub fn sdl() -> String {
    schema_builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_arguments().sorted_enum_items())
}
