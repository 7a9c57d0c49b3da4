//! The service catalog.

use async_graphql::Context;

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::catalog::Catalog;

/// The embedded catalog edition.
pub(super) fn catalog(ctx: &Context<'_>) -> ApiResult<Catalog> {
    ctx.viewer()?;
    Ok(Catalog(ctx.services()?.incidents.catalog()))
}
