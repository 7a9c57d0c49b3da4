//! Teams, people and the caller.

use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};
use taio_core::team;

use super::enums::Role;
use crate::context::ContextExt;
use crate::error::{ApiError, ApiResult};

/// A team: incidents belong to one.
pub struct Team(pub(crate) team::Team);

/// A team: incidents belong to one.
#[Object]
impl Team {
    /// Identity.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Short unique key, e.g. `SOC`.
    async fn key(&self) -> &str {
        self.0.key.as_str()
    }

    /// Display name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }
}

/// A person who uses Taiō.
pub struct Person(pub(crate) team::Person);

/// A person who uses Taiō.
#[Object]
impl Person {
    /// Identity.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Display name.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }
}

/// The caller's role in one team.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TeamMembership {
    /// The role.
    pub role: Role,
    #[graphql(skip)]
    pub(crate) team_id: taio_core::id::TeamId,
}

#[ComplexObject]
impl TeamMembership {
    /// The team.
    async fn team(&self, ctx: &Context<'_>) -> ApiResult<Team> {
        let team = ctx.request()?.teams.load_one(self.team_id).await?;
        team.map(Team).ok_or_else(|| ApiError::not_found("team"))
    }
}

/// The authenticated caller.
pub struct ViewerInfo;

/// The authenticated caller.
#[Object(name = "Viewer")]
impl ViewerInfo {
    /// The person behind the token.
    async fn person(&self, ctx: &Context<'_>) -> ApiResult<Person> {
        Ok(Person(ctx.viewer()?.person.clone()))
    }

    /// Whether the person is an instance administrator.
    async fn admin(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        Ok(ctx.viewer()?.person.admin)
    }

    /// The person's teams and roles.
    async fn teams(&self, ctx: &Context<'_>) -> ApiResult<Vec<TeamMembership>> {
        Ok(ctx
            .viewer()?
            .memberships
            .iter()
            .map(|m| TeamMembership { role: m.role.into(), team_id: m.team_id })
            .collect())
    }
}
