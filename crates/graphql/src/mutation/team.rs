//! Team settings used by dashboards: SLA targets and the service portfolio.

use async_graphql::{Context, ID, InputObject, Object};
use taio_core::id::TeamId;
use taio_core::metrics;

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::catalog::CatalogService;
use crate::types::dashboard::{Clock, PortfolioEntry, Provision, SlaTarget};
use crate::types::enums::Priority;
use crate::types::ids::parse_id;

/// A target for one clock at one priority.
#[derive(InputObject)]
pub struct SlaTargetInput {
    /// The priority.
    pub priority: Priority,
    /// The clock.
    pub clock: Clock,
    /// The target, seconds (1 second to a year).
    pub target_seconds: i64,
}

/// SLA targets to set for a team; targets not named keep their value.
#[derive(InputObject)]
pub struct SetSlaPolicyInput {
    /// The team.
    pub team_id: ID,
    /// The targets.
    pub targets: Vec<SlaTargetInput>,
}

/// How the team provides one catalog service.
#[derive(InputObject)]
pub struct PortfolioEntryInput {
    /// The service code, e.g. `C-1`.
    pub code: String,
    /// How.
    pub provision: Provision,
}

/// Portfolio entries to set for a team; services not named keep their entry.
#[derive(InputObject)]
pub struct SetServicePortfolioInput {
    /// The team.
    pub team_id: ID,
    /// The entries.
    pub services: Vec<PortfolioEntryInput>,
}

#[derive(Default)]
pub struct TeamMutation;

#[Object]
impl TeamMutation {
    /// Sets the team's SLA targets (the team's leads). Returns the whole policy in force.
    async fn set_sla_policy(&self, ctx: &Context<'_>, input: SetSlaPolicyInput) -> ApiResult<Vec<SlaTarget>> {
        let team = parse_id("teamId", &input.team_id, TeamId::from_uuid)?;
        let targets: Vec<metrics::SlaTarget> = input
            .targets
            .iter()
            .map(|t| metrics::SlaTarget {
                priority: t.priority.into(),
                clock: t.clock.into(),
                target_seconds: t.target_seconds,
            })
            .collect();
        let viewer = ctx.viewer()?;
        let policy = ctx.services()?.dashboards.set_sla_policy(viewer, team, &targets).await?;
        Ok(policy.into_iter().map(Into::into).collect())
    }

    /// Declares how the team provides catalog services (the team's leads): IN_HOUSE, OUTSOURCED
    /// or NOT_PROVIDED. Unknown codes are `UNKNOWN_SERVICE`. Returns the whole portfolio.
    async fn set_service_portfolio(
        &self,
        ctx: &Context<'_>,
        input: SetServicePortfolioInput,
    ) -> ApiResult<Vec<PortfolioEntry>> {
        let team = parse_id("teamId", &input.team_id, TeamId::from_uuid)?;
        let entries: Vec<(String, metrics::Provision)> =
            input.services.into_iter().map(|e| (e.code, e.provision.into())).collect();
        let viewer = ctx.viewer()?;
        let services = ctx.services()?;
        let portfolio = services.dashboards.set_portfolio(viewer, team, &entries).await?;
        let catalog = services.incidents.catalog();
        Ok(portfolio
            .into_iter()
            .filter_map(|(code, p)| {
                catalog.service(&code).map(|s| PortfolioEntry { service: CatalogService(s), provision: p.into() })
            })
            .collect())
    }
}
