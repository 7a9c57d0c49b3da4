//! Input objects, and their conversion into validated domain requests.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use taio_core::id::{ActionId, IncidentId, PersonId, TeamId};
use taio_core::incident::{
    Classification, IncidentCategory, IncidentFilter as CoreFilter, NewActionRequest, NewEvidence, NewIncidentRequest,
};
use taio_core::{Markdown, Text};

use super::enums::{
    ActionKind, Audience, Determination, EvidenceKind, Outcome, Priority, Resolution, Severity, Source, Stage, Status,
    Tlp, Urgency,
};
use super::ids::{parse_id, parse_opt_id};
use crate::error::{ApiError, ApiResult};

/// Longest title.
const TITLE_CHARS: usize = 200;
/// Longest action summary.
const SUMMARY_CHARS: usize = 500;
/// Longest reason, recipient, URI or note.
const NOTE_CHARS: usize = 2000;

fn opt_text(field: &'static str, value: Option<&str>, max: usize) -> ApiResult<Option<Text>> {
    Ok(value.map(|v| Text::parse(field, v, max)).transpose()?)
}

/// A new incident report.
#[derive(InputObject)]
pub struct ReportIncidentInput {
    /// The team it belongs to.
    pub team_id: ID,
    /// One-line title (up to 200 characters).
    pub title: String,
    /// Markdown description.
    pub description: Option<String>,
    /// Where the report came from; OTHER when omitted.
    pub source: Option<Source>,
    /// When it was reported; now when omitted. Not in the future.
    pub reported_at: Option<DateTime<Utc>>,
    /// When it was first detected; not after `reportedAt`.
    pub detected_at: Option<DateTime<Utc>>,
    /// Sharing label; AMBER when omitted.
    pub tlp: Option<Tlp>,
}

impl TryFrom<ReportIncidentInput> for NewIncidentRequest {
    type Error = ApiError;

    fn try_from(input: ReportIncidentInput) -> ApiResult<Self> {
        Ok(Self {
            team_id: parse_id("teamId", &input.team_id, TeamId::from_uuid)?,
            title: Text::parse("title", &input.title, TITLE_CHARS)?,
            description: Markdown::parse_optional("description", input.description.as_deref())?,
            source: input.source.map(Into::into),
            reported_at: input.reported_at,
            detected_at: input.detected_at,
            tlp: input.tlp.map(Into::into),
        })
    }
}

/// Acknowledge a reported incident (D-1 → D-3).
#[derive(InputObject)]
pub struct AcknowledgeIncidentInput {
    /// The incident.
    pub incident_id: ID,
    /// The version you saw.
    pub expected_version: i64,
    /// The responder in charge; you when omitted.
    pub owner_id: Option<ID>,
}

/// Triage fields. Omitted fields stay as they are.
#[derive(InputObject, Default)]
pub struct ClassificationInput {
    /// What the report is; CONFIRMED or SUSPECTED declares an incident.
    pub determination: Option<Determination>,
    /// ENISA RSIT `class/type`, e.g. `intrusions/system-compromise`.
    pub category: Option<String>,
    /// Harm.
    pub severity: Option<Severity>,
    /// How soon.
    pub urgency: Option<Urgency>,
    /// Sharing label.
    pub tlp: Option<Tlp>,
    /// A manual priority instead of the matrix; needs `priorityReason`.
    pub priority: Option<Priority>,
    /// Why the priority is set by hand.
    pub priority_reason: Option<String>,
}

impl TryFrom<ClassificationInput> for Classification {
    type Error = ApiError;

    fn try_from(input: ClassificationInput) -> ApiResult<Self> {
        let priority_override = match (input.priority, input.priority_reason.as_deref()) {
            (Some(priority), Some(reason)) => {
                Some((priority.into(), Text::parse("priorityReason", reason, SUMMARY_CHARS)?))
            }
            (Some(_), None) => return Err(ApiError::bad_input("priorityReason", "a manual priority needs a reason")),
            (None, Some(_)) => return Err(ApiError::bad_input("priority", "a priority reason needs a priority")),
            (None, None) => None,
        };
        Ok(Self {
            determination: input.determination.map(Into::into),
            category: input.category.as_deref().map(IncidentCategory::parse).transpose()?,
            severity: input.severity.map(Into::into),
            urgency: input.urgency.map(Into::into),
            tlp: input.tlp.map(Into::into),
            priority_override,
        })
    }
}

/// Change an incident's triage fields.
#[derive(InputObject)]
pub struct ClassifyIncidentInput {
    /// The incident.
    pub incident_id: ID,
    /// The version you saw.
    pub expected_version: i64,
    /// The triage fields to change.
    #[graphql(flatten)]
    pub classification: ClassificationInput,
}

/// Move an incident along the main line.
#[derive(InputObject)]
pub struct TransitionIncidentInput {
    /// The incident.
    pub incident_id: ID,
    /// The version you saw.
    pub expected_version: i64,
    /// Target stage: D3, D4, D5 or D7.
    pub to: Stage,
    /// Why; required for backward moves.
    pub reason: Option<String>,
    /// Triage fields to set in the same step (the D1 → D4 fast path needs them).
    pub classification: Option<ClassificationInput>,
}

/// Close an incident.
#[derive(InputObject)]
pub struct CloseIncidentInput {
    /// The incident.
    pub incident_id: ID,
    /// The version you saw.
    pub expected_version: i64,
    /// How it ends.
    pub resolution: Resolution,
    /// Closing summary (markdown).
    pub summary: Option<String>,
    /// For DUPLICATE: the incident it duplicates.
    pub duplicate_of: Option<ID>,
}

/// Reopen a closed incident.
#[derive(InputObject)]
pub struct ReopenIncidentInput {
    /// The incident.
    pub incident_id: ID,
    /// The version you saw.
    pub expected_version: i64,
    /// Why it is reopened.
    pub reason: String,
    /// Stage to resume in; D3 when omitted.
    pub to: Option<Stage>,
}

/// Hand an incident to another owner.
#[derive(InputObject)]
pub struct ReassignIncidentInput {
    /// The incident.
    pub incident_id: ID,
    /// The version you saw.
    pub expected_version: i64,
    /// The new owner: a responder or lead of the team.
    pub owner_id: ID,
}

/// Mark an incident restricted, or lift the mark.
#[derive(InputObject)]
pub struct RestrictIncidentInput {
    /// The incident.
    pub incident_id: ID,
    /// The version you saw.
    pub expected_version: i64,
    /// Whether only its owner, reporter, participants and the team's leads may see it.
    pub restricted: bool,
}

/// Put an incident on hold, or resume it.
#[derive(InputObject)]
pub struct SetIncidentHoldInput {
    /// The incident.
    pub incident_id: ID,
    /// The version you saw.
    pub expected_version: i64,
    /// Why it waits (a third party, a change window…); null resumes it.
    pub reason: Option<String>,
}

/// Name a person on an incident, or remove them.
#[derive(InputObject)]
pub struct IncidentParticipantInput {
    /// The incident.
    pub incident_id: ID,
    /// The version you saw.
    pub expected_version: i64,
    /// The person, a member of the incident's team.
    pub person_id: ID,
}

/// The addressee of a D-6 notification.
#[derive(InputObject)]
pub struct NotificationInput {
    /// Which audience.
    pub audience: Audience,
    /// The recipient (organisation, person or channel).
    pub recipient: String,
}

/// A reference to a piece of evidence.
#[derive(InputObject)]
pub struct EvidenceInput {
    /// What it is.
    pub kind: EvidenceKind,
    /// Where it is kept.
    pub uri: String,
    /// SHA-256 as 64 hex digits.
    pub sha256: Option<String>,
    /// When it was collected.
    pub collected_at: Option<DateTime<Utc>>,
    /// Chain-of-custody note.
    pub custody_note: Option<String>,
}

/// Record an action on an incident.
#[derive(InputObject)]
pub struct RecordActionInput {
    /// The incident.
    pub incident_id: ID,
    /// The D-service performed; the incident's current stage when omitted.
    pub stage: Option<Stage>,
    /// What sort of work.
    pub kind: ActionKind,
    /// One-line summary (up to 500 characters).
    pub summary: String,
    /// Markdown details.
    pub details: Option<String>,
    /// Catalog service codes exercised, at least one, e.g. `["C-1", "C-4"]`.
    pub services: Vec<String>,
    /// When it was done; now when omitted. May be back-dated, not in the future.
    pub performed_at: Option<DateTime<Utc>>,
    /// Effort in minutes.
    pub effort_minutes: Option<i32>,
    /// How it went.
    pub outcome: Option<Outcome>,
    /// For stage D6: to whom.
    pub notification: Option<NotificationInput>,
    /// Evidence references.
    pub evidence: Option<Vec<EvidenceInput>>,
    /// The earlier action this one corrects.
    pub supersedes: Option<ID>,
}

impl TryFrom<RecordActionInput> for NewActionRequest {
    type Error = ApiError;

    fn try_from(input: RecordActionInput) -> ApiResult<Self> {
        let notification = match input.notification {
            Some(n) => Some((n.audience.into(), Text::parse("notification.recipient", &n.recipient, NOTE_CHARS)?)),
            None => None,
        };
        let evidence = input
            .evidence
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                Ok(NewEvidence {
                    kind: e.kind.into(),
                    uri: Text::parse("evidence.uri", &e.uri, NOTE_CHARS)?,
                    sha256: e.sha256,
                    collected_at: e.collected_at,
                    custody_note: opt_text("evidence.custodyNote", e.custody_note.as_deref(), NOTE_CHARS)?,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Self {
            incident_id: parse_id("incidentId", &input.incident_id, IncidentId::from_uuid)?,
            stage: input.stage.map(Into::into),
            kind: input.kind.into(),
            summary: Text::parse("summary", &input.summary, SUMMARY_CHARS)?,
            details: Markdown::parse_optional("details", input.details.as_deref())?,
            services: input.services,
            performed_at: input.performed_at,
            effort_minutes: input.effort_minutes,
            outcome: input.outcome.map(Into::into),
            notification,
            evidence,
            supersedes: parse_opt_id("supersedes", input.supersedes.as_ref(), ActionId::from_uuid)?,
        })
    }
}

/// Which incidents to list. All conditions must hold; list-valued ones match any of their values.
#[derive(InputObject, Default)]
pub struct IncidentFilter {
    /// One team; all your teams when omitted.
    pub team_id: Option<ID>,
    /// In any of these stages.
    pub stage: Option<Vec<Stage>>,
    /// With this status.
    pub status: Option<Status>,
    /// With any of these severities.
    pub severity: Option<Vec<Severity>>,
    /// With any of these priorities.
    pub priority: Option<Vec<Priority>>,
    /// Owned by this person.
    pub owner_id: Option<ID>,
    /// With an action that exercised this catalog service, e.g. `C-1`.
    pub service: Option<String>,
    /// Reported at or after.
    pub reported_from: Option<DateTime<Utc>>,
    /// Reported before.
    pub reported_to: Option<DateTime<Utc>>,
    /// Text in the key, title or description (case-insensitive).
    pub search: Option<String>,
}

impl TryFrom<IncidentFilter> for CoreFilter {
    type Error = ApiError;

    fn try_from(f: IncidentFilter) -> ApiResult<Self> {
        Ok(Self {
            team: parse_opt_id("filter.teamId", f.team_id.as_ref(), TeamId::from_uuid)?,
            stages: list(f.stage),
            status: f.status.map(Into::into),
            severities: list(f.severity),
            priorities: list(f.priority),
            owner: parse_opt_id("filter.ownerId", f.owner_id.as_ref(), PersonId::from_uuid)?,
            service: f.service,
            reported_from: f.reported_from,
            reported_to: f.reported_to,
            text: f.search,
        })
    }
}

fn list<A, B: From<A>>(values: Option<Vec<A>>) -> Vec<B> {
    values.unwrap_or_default().into_iter().map(Into::into).collect()
}

/// Parses an optional reason.
pub(crate) fn reason(value: Option<&str>) -> ApiResult<Option<Text>> {
    opt_text("reason", value, NOTE_CHARS)
}
