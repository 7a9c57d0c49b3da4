//! Reading incidents.

use async_graphql::{Context, ID, Object};
use taio_core::id::{IncidentId, TeamId};
use taio_core::incident::{IncidentKey, PageRequest};

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::ids::{parse_id, parse_opt_id};
use crate::types::incident::{Incident, IncidentConnection, decode_cursor};
use crate::types::input::IncidentFilter;

#[derive(Default)]
pub struct IncidentQuery;

#[Object]
impl IncidentQuery {
    /// The incident with this id. An incident that does not exist and one of a team you are not in
    /// are both `NOT_FOUND`.
    async fn incident(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Incident>> {
        let id = parse_id("id", &id, IncidentId::from_uuid)?;
        let viewer = ctx.viewer()?;
        Ok(Some(Incident(ctx.services()?.incidents.get(viewer, id).await?)))
    }

    /// The incident with this key, e.g. `INC-2026-000123`; `NOT_FOUND` when none is visible to you.
    /// Keys are unique per team: name the team when you belong to several that use the key.
    async fn incident_by_key(
        &self,
        ctx: &Context<'_>,
        key: String,
        team_id: Option<ID>,
    ) -> ApiResult<Option<Incident>> {
        let key = IncidentKey::parse(&key)?;
        let team = parse_opt_id("teamId", team_id.as_ref(), TeamId::from_uuid)?;
        let viewer = ctx.viewer()?;
        Ok(Some(Incident(ctx.services()?.incidents.get_by_key(viewer, &key, team).await?)))
    }

    /// Incidents of your teams, newest report first, filtered and paginated (`first` up to 100,
    /// default 20; `after` a cursor from a previous page).
    async fn incidents(
        &self,
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
        Ok(IncidentConnection { page })
    }
}
