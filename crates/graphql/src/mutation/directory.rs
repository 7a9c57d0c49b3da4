//! Managing teams, members and API tokens. The rules of who may do what live in the core
//! directory service.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use taio_core::Text;
use taio_core::id::{PersonId, TeamId, TokenId};
use taio_core::team::TeamKey;

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::enums::Role;
use crate::types::ids::{parse_id, parse_opt_id};
use crate::types::team::{ApiToken, Person, Team};

/// A new team.
#[derive(InputObject)]
pub struct CreateTeamInput {
    /// Short unique key, e.g. `CSIRT` (2–16 letters, digits, hyphens).
    pub key: String,
    /// Display name.
    pub name: String,
}

/// A new person.
#[derive(InputObject)]
pub struct CreatePersonInput {
    /// Display name.
    pub name: String,
    /// Instance administrator.
    #[graphql(default)]
    pub admin: bool,
}

/// A person's role in a team.
#[derive(InputObject)]
pub struct SetTeamMemberInput {
    /// The team.
    pub team_id: ID,
    /// The person.
    pub person_id: ID,
    /// Their role.
    pub role: Role,
}

/// A person to remove from a team.
#[derive(InputObject)]
pub struct RemoveTeamMemberInput {
    /// The team.
    pub team_id: ID,
    /// The person.
    pub person_id: ID,
}

/// A new API token.
#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// A label, to tell tokens apart.
    pub name: String,
    /// Whose token; yours when omitted (administrators may name anyone).
    pub person_id: Option<ID>,
    /// When it stops working; never when omitted.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token to revoke.
#[derive(InputObject)]
pub struct RevokeApiTokenInput {
    /// The token.
    pub token_id: ID,
}

/// A token just created.
#[derive(SimpleObject)]
pub struct CreatedApiToken {
    /// What is stored about it.
    pub token: ApiToken,
    /// The secret: shown this once, never again.
    pub secret: String,
}

#[derive(Default)]
pub struct DirectoryMutation;

#[Object]
impl DirectoryMutation {
    /// Creates a team (administrators).
    async fn create_team(&self, ctx: &Context<'_>, input: CreateTeamInput) -> ApiResult<Team> {
        let key = TeamKey::parse(&input.key)?;
        let name = Text::parse("name", &input.name, 200)?;
        let viewer = ctx.viewer()?;
        Ok(Team(ctx.services()?.directory.create_team(viewer, &key, &name).await?))
    }

    /// Creates a person (administrators).
    async fn create_person(&self, ctx: &Context<'_>, input: CreatePersonInput) -> ApiResult<Person> {
        let name = Text::parse("name", &input.name, 200)?;
        let viewer = ctx.viewer()?;
        Ok(Person(ctx.services()?.directory.create_person(viewer, &name, input.admin).await?))
    }

    /// Gives a person a role in a team, or changes it (the team's leads, administrators).
    async fn set_team_member(&self, ctx: &Context<'_>, input: SetTeamMemberInput) -> ApiResult<bool> {
        let team = parse_id("teamId", &input.team_id, TeamId::from_uuid)?;
        let person = parse_id("personId", &input.person_id, PersonId::from_uuid)?;
        let viewer = ctx.viewer()?;
        ctx.services()?.directory.set_member(viewer, team, person, input.role.into()).await?;
        Ok(true)
    }

    /// Removes a person from a team (the team's leads, administrators).
    async fn remove_team_member(&self, ctx: &Context<'_>, input: RemoveTeamMemberInput) -> ApiResult<bool> {
        let team = parse_id("teamId", &input.team_id, TeamId::from_uuid)?;
        let person = parse_id("personId", &input.person_id, PersonId::from_uuid)?;
        let viewer = ctx.viewer()?;
        ctx.services()?.directory.remove_member(viewer, team, person).await?;
        Ok(true)
    }

    /// Creates an API token for you (or, for administrators, anyone). The secret is returned
    /// once; only its SHA-256 digest is kept.
    async fn create_api_token(&self, ctx: &Context<'_>, input: CreateApiTokenInput) -> ApiResult<CreatedApiToken> {
        let name = Text::parse("name", &input.name, 200)?;
        let person = parse_opt_id("personId", input.person_id.as_ref(), PersonId::from_uuid)?;
        let viewer = ctx.viewer()?;
        let issued = ctx.services()?.directory.issue_token(viewer, person, &name, input.expires_at).await?;
        Ok(CreatedApiToken { token: ApiToken(issued.token), secret: issued.secret })
    }

    /// Revokes one of your tokens (administrators: anyone's). It stops working at once.
    async fn revoke_api_token(&self, ctx: &Context<'_>, input: RevokeApiTokenInput) -> ApiResult<ApiToken> {
        let id = parse_id("tokenId", &input.token_id, TokenId::from_uuid)?;
        let viewer = ctx.viewer()?;
        Ok(ApiToken(ctx.services()?.directory.revoke_token(viewer, id).await?))
    }
}
