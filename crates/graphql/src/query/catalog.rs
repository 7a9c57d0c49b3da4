//! The service catalog.

use async_graphql::{Context, Object};

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::catalog::Catalog;

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The ISOG-J service catalog (ITU-T X.1060 Annex A): 9 categories, 64 services, and the
    /// seven D-stages.
    async fn catalog(&self, ctx: &Context<'_>) -> ApiResult<Catalog> {
        ctx.viewer()?;
        Ok(Catalog(ctx.services()?.incidents.catalog()))
    }
}
