//! Mutation root.

mod incident;

use async_graphql::MergedObject;

/// All mutations.
#[derive(MergedObject, Default)]
pub struct MutationRoot(incident::IncidentMutation);
