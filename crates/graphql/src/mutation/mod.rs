//! Mutation root.

mod directory;
mod incident;
mod team;

use async_graphql::MergedObject;

/// Every change Taiō accepts: reporting, moving and closing incidents, recording actions.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(incident::IncidentMutation, directory::DirectoryMutation, team::TeamMutation);
