//! The caller.

use async_graphql::{Context, Object};

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::team::ViewerInfo;

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// Who you are, and your teams and roles.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<ViewerInfo> {
        ctx.viewer()?;
        Ok(ViewerInfo)
    }
}
