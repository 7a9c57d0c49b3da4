//! Query root: the catalog, incidents and the caller.

mod catalog;
mod incident;
mod viewer;

use async_graphql::MergedObject;

/// Everything Taiō can be asked: the catalog, incidents and the caller.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(catalog::CatalogQuery, incident::IncidentQuery, viewer::ViewerQuery);
