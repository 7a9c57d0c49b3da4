//! Query root. Each field delegates to the module of its noun; the root is a plain object so that
//! a failed nullable field comes back as `null` beside the others.

mod catalog;
mod incident;
mod viewer;

use async_graphql::{Context, ID, Object};

use crate::context::ContextExt;
use crate::error::{ApiResult, nullable};
use crate::types::catalog::Catalog;
use crate::types::dashboard::TeamDashboard;
use crate::types::ids::{parse_id, parse_opt_id};
use crate::types::incident::{Incident, IncidentConnection};
use crate::types::input::IncidentFilter;
use crate::types::team::{ApiToken, Team, ViewerInfo};
use chrono::{DateTime, Utc};
use taio_core::id::PersonId;
use taio_core::id::TeamId;

/// Everything Taiō can be asked: the catalog, incidents and the caller.
#[derive(Default)]
pub struct QueryRoot;

/// Everything Taiō can be asked: the catalog, incidents and the caller.
#[Object(name = "Query")]
impl QueryRoot {
    /// The ISOG-J service catalog (ITU-T X.1060 Annex A): 9 categories, 64 services, and the
    /// seven D-stages.
    async fn catalog(&self, ctx: &Context<'_>) -> ApiResult<Catalog> {
        catalog::catalog(ctx)
    }

    /// The incident with this id. An incident that does not exist and one of a team you are not in
    /// are both `NOT_FOUND`.
    async fn incident(&self, ctx: &Context<'_>, id: ID) -> Option<Incident> {
        nullable(ctx, incident::incident(ctx, &id).await)
    }

    /// The incident with this key, e.g. `INC-2026-000123`; `NOT_FOUND` when none is visible to you.
    /// Keys are unique per team: name the team when you belong to several that use the key.
    async fn incident_by_key(
        &self,
        ctx: &Context<'_>,
        key: String,
        team_id: Option<ID>,
    ) -> ApiResult<Option<Incident>> {
        incident::incident_by_key(ctx, &key, team_id.as_ref()).await.map(Some)
    }

    /// Incidents of your teams, newest report first, filtered and paginated (`first` up to 100,
    /// default 20; `after` a cursor from a previous page).
    #[graphql(complexity = "crate::schema::page_complexity(first, child_complexity)")]
    async fn incidents(
        &self,
        ctx: &Context<'_>,
        filter: Option<IncidentFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<IncidentConnection> {
        incident::incidents(ctx, filter, first, after).await
    }

    /// The teams you may see: yours, or every team for administrators.
    async fn teams(&self, ctx: &Context<'_>) -> ApiResult<Vec<Team>> {
        let viewer = ctx.viewer()?;
        Ok(ctx.services()?.directory.teams(viewer).await?.into_iter().map(Team).collect())
    }

    /// A person's API tokens: yours when `personId` is omitted; administrators may name anyone.
    async fn api_tokens(&self, ctx: &Context<'_>, person_id: Option<ID>) -> ApiResult<Vec<ApiToken>> {
        let person = parse_opt_id("personId", person_id.as_ref(), PersonId::from_uuid)?;
        let viewer = ctx.viewer()?;
        Ok(ctx.services()?.directory.tokens(viewer, person).await?.into_iter().map(ApiToken).collect())
    }

    /// A team's dashboard for `[from, to)` (the last 90 days when omitted): backlog, flow, the
    /// clocks, SLA breaches, quality, workload and catalog coverage, over the incidents you may
    /// see.
    async fn team_dashboard(
        &self,
        ctx: &Context<'_>,
        team_id: ID,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> ApiResult<TeamDashboard> {
        let team = parse_id("teamId", &team_id, TeamId::from_uuid)?;
        let viewer = ctx.viewer()?;
        let services = ctx.services()?;
        let dashboard = services.dashboards.dashboard(viewer, team, from, to).await?;
        Ok(TeamDashboard { dashboard, catalog: services.incidents.catalog() })
    }

    /// The cursor of the last committed incident event. Read it with the data a screen shows,
    /// then subscribe to `incidentEvents(after: …)` with it to receive every change from there.
    async fn event_cursor(&self, ctx: &Context<'_>) -> ApiResult<String> {
        ctx.viewer()?;
        Ok(ctx.services()?.incidents.event_head().await?.cursor())
    }

    /// Who you are, and your teams and roles.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<ViewerInfo> {
        viewer::me(ctx)
    }
}
