//! Reading incidents.

use async_graphql::{Context, ID};
use taio_core::id::{IncidentId, TeamId};
use taio_core::incident::{IncidentKey, PageRequest};

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::loader::prime;
use crate::types::ids::{parse_id, parse_opt_id};
use crate::types::incident::{Incident, IncidentConnection, decode_cursor};
use crate::types::input::IncidentFilter;

/// One incident by id.
pub(super) async fn incident(ctx: &Context<'_>, id: &ID) -> ApiResult<Incident> {
    let id = parse_id("id", id, IncidentId::from_uuid)?;
    let viewer = ctx.viewer()?;
    Ok(Incident(ctx.services()?.incidents.get(viewer, id).await?))
}

/// One incident by key.
pub(super) async fn incident_by_key(ctx: &Context<'_>, key: &str, team_id: Option<&ID>) -> ApiResult<Incident> {
    let key = IncidentKey::parse(key)?;
    let team = parse_opt_id("teamId", team_id, TeamId::from_uuid)?;
    let viewer = ctx.viewer()?;
    Ok(Incident(ctx.services()?.incidents.get_by_key(viewer, &key, team).await?))
}

/// A filtered page, with what its selection needs loaded in one batch per kind.
pub(super) async fn incidents(
    ctx: &Context<'_>,
    filter: Option<IncidentFilter>,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<IncidentConnection> {
    let viewer = ctx.viewer()?;
    let filter = filter.unwrap_or_default().try_into()?;
    let after = after.as_deref().map(decode_cursor).transpose()?;
    let page = PageRequest { first: first.map(i64::from), after };
    let page = ctx.services()?.incidents.list(viewer, filter, page).await?;
    let look_ahead = ctx.look_ahead();
    prime(ctx, &page.incidents, &[look_ahead.field("nodes"), look_ahead.field("edges").field("node")]).await?;
    Ok(IncidentConnection { page })
}
