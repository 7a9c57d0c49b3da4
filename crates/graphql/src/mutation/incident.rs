//! Changing incidents and recording actions. Each mutation parses its input, calls one core
//! service method and maps the result.

use async_graphql::{Context, Object};
use taio_core::id::{IncidentId, PersonId};
use taio_core::incident::{Command, NewActionRequest, NewIncidentRequest};
use taio_core::{Markdown, Text};

use crate::context::ContextExt;
use crate::error::ApiResult;
use crate::types::action::Action;
use crate::types::ids::{parse_id, parse_opt_id};
use crate::types::incident::Incident;
use crate::types::input::{
    AcknowledgeIncidentInput, ClassifyIncidentInput, CloseIncidentInput, IncidentParticipantInput,
    ReassignIncidentInput, RecordActionInput, ReopenIncidentInput, ReportIncidentInput, RestrictIncidentInput,
    SetIncidentHoldInput, TransitionIncidentInput, reason,
};

#[derive(Default)]
pub struct IncidentMutation;

impl IncidentMutation {
    async fn change(
        &self,
        ctx: &Context<'_>,
        incident_id: &async_graphql::ID,
        expected_version: i64,
        command: Command,
    ) -> ApiResult<Incident> {
        let id = parse_id("incidentId", incident_id, IncidentId::from_uuid)?;
        let viewer = ctx.viewer()?;
        Ok(Incident(ctx.services()?.incidents.change(viewer, id, expected_version, command).await?))
    }
}

#[Object]
impl IncidentMutation {
    /// Reports a new incident into D-1 (report intake). Needs the RESPONDER role in the team.
    async fn report_incident(&self, ctx: &Context<'_>, input: ReportIncidentInput) -> ApiResult<Incident> {
        let viewer = ctx.viewer()?;
        let request = NewIncidentRequest::try_from(input)?;
        Ok(Incident(ctx.services()?.incidents.report(viewer, request).await?))
    }

    /// Acknowledges a reported incident: D-1 → D-3, with an owner (you by default), which starts
    /// D-2 handling.
    async fn acknowledge_incident(&self, ctx: &Context<'_>, input: AcknowledgeIncidentInput) -> ApiResult<Incident> {
        let owner = match parse_opt_id("ownerId", input.owner_id.as_ref(), PersonId::from_uuid)? {
            Some(owner) => owner,
            None => ctx.viewer()?.person_id(),
        };
        self.change(ctx, &input.incident_id, input.expected_version, Command::Acknowledge { owner }).await
    }

    /// Sets triage fields (D-3): determination, category, severity, urgency, TLP, and optionally a
    /// manual priority with a reason. Priority otherwise follows the severity × urgency matrix.
    async fn classify_incident(&self, ctx: &Context<'_>, input: ClassifyIncidentInput) -> ApiResult<Incident> {
        let classification = input.classification.try_into()?;
        self.change(ctx, &input.incident_id, input.expected_version, Command::Classify(classification)).await
    }

    /// Moves an incident along the main line (D3, D4, D5, D7), forward or back (back needs a
    /// reason). From D1 straight to D4 only with the classification in the same request.
    async fn transition_incident(&self, ctx: &Context<'_>, input: TransitionIncidentInput) -> ApiResult<Incident> {
        let command = Command::Transition {
            to: input.to.into(),
            reason: reason(input.reason.as_deref())?,
            classification: input.classification.map(TryInto::try_into).transpose()?,
        };
        self.change(ctx, &input.incident_id, input.expected_version, command).await
    }

    /// Records an action: what was done, in which D-stage, exercising which catalog services.
    /// Unknown service codes are rejected with `UNKNOWN_SERVICE`, naming them.
    async fn record_action(&self, ctx: &Context<'_>, input: RecordActionInput) -> ApiResult<Action> {
        let viewer = ctx.viewer()?;
        let request = NewActionRequest::try_from(input)?;
        Ok(Action(ctx.services()?.incidents.record_action(viewer, request).await?))
    }

    /// Closes an incident with a resolution (LEAD): intake rejections from D1, false positives,
    /// benign activity and duplicates from D3, RESOLVED from D7 once the response report exists.
    async fn close_incident(&self, ctx: &Context<'_>, input: CloseIncidentInput) -> ApiResult<Incident> {
        let command = Command::Close {
            resolution: input.resolution.into(),
            summary: Markdown::parse_optional("summary", input.summary.as_deref())?,
            duplicate_of: parse_opt_id("duplicateOf", input.duplicate_of.as_ref(), IncidentId::from_uuid)?,
        };
        self.change(ctx, &input.incident_id, input.expected_version, command).await
    }

    /// Reopens a closed incident (LEAD) with a reason, into D3 or the stage named.
    async fn reopen_incident(&self, ctx: &Context<'_>, input: ReopenIncidentInput) -> ApiResult<Incident> {
        let command =
            Command::Reopen { to: input.to.map(Into::into), reason: Some(Text::parse("reason", &input.reason, 2000)?) };
        self.change(ctx, &input.incident_id, input.expected_version, command).await
    }

    /// Hands an open incident to another owner (LEAD).
    async fn reassign_incident(&self, ctx: &Context<'_>, input: ReassignIncidentInput) -> ApiResult<Incident> {
        let owner = parse_id("ownerId", &input.owner_id, PersonId::from_uuid)?;
        self.change(ctx, &input.incident_id, input.expected_version, Command::Assign { owner }).await
    }

    /// Marks an incident restricted, or lifts the mark (team leads and the incident's owner).
    /// A restricted incident, and any TLP:RED one, is visible only to its owner, its participants
    /// and the team's leads; to everyone else it does not exist.
    async fn restrict_incident(&self, ctx: &Context<'_>, input: RestrictIncidentInput) -> ApiResult<Incident> {
        let id = parse_id("incidentId", &input.incident_id, IncidentId::from_uuid)?;
        let viewer = ctx.viewer()?;
        let service = &ctx.services()?.incidents;
        Ok(Incident(service.set_restricted(viewer, id, input.expected_version, input.restricted).await?))
    }

    /// Names a team member on an incident, so they see it while it is restricted (team leads and
    /// the incident's owner).
    async fn add_incident_participant(
        &self,
        ctx: &Context<'_>,
        input: IncidentParticipantInput,
    ) -> ApiResult<Incident> {
        participant(ctx, input, true).await
    }

    /// Puts an open incident on hold with a reason, or resumes it when `reason` is null
    /// (responders). The D-2 backlog counts incidents on hold.
    async fn set_incident_hold(&self, ctx: &Context<'_>, input: SetIncidentHoldInput) -> ApiResult<Incident> {
        let id = parse_id("incidentId", &input.incident_id, IncidentId::from_uuid)?;
        let reason = reason(input.reason.as_deref())?;
        let viewer = ctx.viewer()?;
        Ok(Incident(ctx.services()?.incidents.set_hold(viewer, id, input.expected_version, reason).await?))
    }

    /// Removes a person named on an incident (team leads and the incident's owner).
    async fn remove_incident_participant(
        &self,
        ctx: &Context<'_>,
        input: IncidentParticipantInput,
    ) -> ApiResult<Incident> {
        participant(ctx, input, false).await
    }
}

async fn participant(ctx: &Context<'_>, input: IncidentParticipantInput, named: bool) -> ApiResult<Incident> {
    let id = parse_id("incidentId", &input.incident_id, IncidentId::from_uuid)?;
    let person = parse_id("personId", &input.person_id, PersonId::from_uuid)?;
    let viewer = ctx.viewer()?;
    let service = &ctx.services()?.incidents;
    Ok(Incident(service.set_participant(viewer, id, input.expected_version, person, named).await?))
}
