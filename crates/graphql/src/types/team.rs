//! Teams, people and the caller.

use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use taio_core::team;

use super::enums::Role;
use crate::context::ContextExt;
use crate::error::{ApiError, ApiResult, nullable};

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

    /// The team's members and their roles (visible to its members and administrators).
    async fn members(&self, ctx: &Context<'_>) -> Option<Vec<TeamMember>> {
        let members = async {
            let viewer = ctx.viewer()?;
            ApiResult::Ok(ctx.services()?.directory.members(viewer, self.0.id).await?)
        };
        let members = nullable(ctx, members.await)?;
        Some(members.into_iter().map(|m| TeamMember { role: m.role.into(), person: Person(m.person) }).collect())
    }
}

/// A member of a team.
#[derive(SimpleObject)]
pub struct TeamMember {
    /// Their role in the team.
    pub role: Role,
    /// The person.
    pub person: Person,
}

/// An API token as stored: never the secret.
pub struct ApiToken(pub(crate) team::TokenInfo);

/// An API token as stored: never the secret.
#[Object]
impl ApiToken {
    /// Identity.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Its label.
    async fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// The visible start of the secret, to tell tokens apart.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }

    /// Whose it is.
    async fn person_id(&self) -> ID {
        ID(self.0.person.to_string())
    }

    /// When it was issued.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it stops working.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }

    /// When it was revoked.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// When it was last used (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
}

/// A person who uses Taiō.
#[derive(Clone)]
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

    /// Your API tokens, newest first.
    async fn tokens(&self, ctx: &Context<'_>) -> ApiResult<Vec<ApiToken>> {
        let viewer = ctx.viewer()?;
        Ok(ctx.services()?.directory.tokens(viewer, None).await?.into_iter().map(ApiToken).collect())
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
