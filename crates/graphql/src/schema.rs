//! The schema: one builder with no data (for SDL export and tests) and one with services, built
//! with the limits and switches the server is configured with.

use async_graphql::{SDLExportOptions, Schema, SchemaBuilder};

use crate::context::Services;
use crate::mutation::MutationRoot;
use crate::query::QueryRoot;
use crate::subscription::SubscriptionRoot;

/// Taiō's schema type.
pub type TaioSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Deepest query accepted: deep enough for the introspection query GraphiQL sends (types nested
/// nine `ofType` levels under field arguments reach depth 15).
pub const MAX_DEPTH: usize = 16;
/// Most complex query accepted.
pub const MAX_COMPLEXITY: usize = 5_000;
/// Deepest nesting of selection sets and fragment spreads, checked before validation.
pub const MAX_RECURSIVE_DEPTH: usize = 32;
/// Most directives on one field.
pub const MAX_DIRECTIVES: usize = 16;

/// The page size the incident service uses when `first` is absent, and the largest it accepts.
const DEFAULT_PAGE: u64 = 20;
const MAX_PAGE: u64 = 100;

/// What the schema limits and exposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaOptions {
    /// Answer `__schema` and `__type`.
    pub introspection: bool,
    /// Suggest names ("Did you mean …?") in validation errors.
    pub suggestions: bool,
    /// Deepest selection nesting.
    pub max_depth: usize,
    /// Highest complexity: one per field, a page counted `first` times.
    pub max_complexity: usize,
    /// Deepest nesting of selection sets and fragment spreads.
    pub max_recursive_depth: usize,
    /// Most directives on one field.
    pub max_directives: usize,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        Self {
            introspection: true,
            suggestions: true,
            max_depth: MAX_DEPTH,
            max_complexity: MAX_COMPLEXITY,
            max_recursive_depth: MAX_RECURSIVE_DEPTH,
            max_directives: MAX_DIRECTIVES,
        }
    }
}

/// The schema builder with Taiō's default limits and no data attached.
#[must_use]
pub fn schema_builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    configured_builder(&SchemaOptions::default())
}

fn configured_builder(options: &SchemaOptions) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    let mut builder = Schema::build(QueryRoot, MutationRoot::default(), SubscriptionRoot)
        .limit_depth(options.max_depth)
        .limit_complexity(options.max_complexity)
        .limit_recursive_depth(options.max_recursive_depth)
        .limit_directives(options.max_directives);
    if !options.introspection {
        builder = builder.disable_introspection();
    }
    if !options.suggestions {
        builder = builder.disable_suggestions();
    }
    builder
}

/// The schema over `services`, limited and switched as `options` say.
#[must_use]
pub fn build_schema(services: Services, options: &SchemaOptions) -> TaioSchema {
    configured_builder(options).data(services).finish()
}

/// The complexity of a paginated list field: its items' complexity times the page size (`first`,
/// 20 when absent, counted as at most 100 since the resolver refuses more), plus one.
#[must_use]
pub(crate) fn page_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let page = first.map_or(DEFAULT_PAGE, |first| u64::try_from(first).unwrap_or(0).min(MAX_PAGE));
    usize::try_from(page).unwrap_or(usize::MAX).saturating_mul(child_complexity).saturating_add(1)
}

/// The schema's SDL with types, fields, arguments and enum values sorted, as kept in
/// `schema.graphql`.
#[must_use]
pub fn sdl() -> String {
    schema_builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_arguments().sorted_enum_items())
}

#[cfg(test)]
mod tests {
    use super::page_complexity;

    #[test]
    fn a_page_weighs_its_items_times_first() {
        assert_eq!(page_complexity(Some(50), 3), 151);
    }

    #[test]
    fn a_page_without_first_weighs_twenty_items() {
        assert_eq!(page_complexity(None, 2), 41);
    }

    #[test]
    fn an_oversized_or_negative_first_cannot_overflow_the_weight() {
        assert_eq!(page_complexity(Some(i32::MAX), 2), 201);
        assert_eq!(page_complexity(Some(-5), 2), 1);
    }
}
