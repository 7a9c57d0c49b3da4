//! The caller.

use async_graphql::Context;

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::team::ViewerInfo;

/// The authenticated caller.
pub(super) fn me(ctx: &Context<'_>) -> ApiResult<ViewerInfo> {
    ctx.viewer()?;
    Ok(ViewerInfo)
}
