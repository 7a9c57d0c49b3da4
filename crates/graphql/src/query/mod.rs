//! Query root: the catalog, incidents and the caller.

mod catalog;
mod incident;
mod viewer;

use async_graphql::MergedObject;

/// All queries.
#[derive(MergedObject, Default)]
pub struct QueryRoot(catalog::CatalogQuery, incident::IncidentQuery, viewer::ViewerQuery);
