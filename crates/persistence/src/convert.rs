//! Rows to domain types and back. Stored values were validated on the way in; a value that does
//! not parse back is reported as corruption rather than guessed at.

use serde::{Deserialize, Serialize};
use taio_core::RepoError;
use taio_core::catalog::ServiceCode;
use taio_core::id::{ActionId, IncidentId, PersonId, TeamId, TransitionId};
use taio_core::incident::{
    Action, ActionKind, Audience, Determination, Evidence, EvidenceKind, Incident, IncidentCategory, IncidentKey,
    Milestones, Notification, Outcome, Priority, Resolution, Severity, Sha256Hex, Source, Stage, Status, Tlp,
    Transition, Triage, Urgency, WorkflowState,
};
use taio_core::team::{Person, Role, Team, TeamKey};
use taio_core::{Markdown, Text};

use crate::entity::{action, incident, person, team, transition};
use crate::error::corrupt;

/// Parses a stored vocabulary value.
pub(crate) fn parse<T>(column: &str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T, RepoError> {
    parse(value).ok_or_else(|| corrupt(column, value))
}

fn parse_opt<T>(column: &str, value: Option<&str>, parse: fn(&str) -> Option<T>) -> Result<Option<T>, RepoError> {
    value.map(|v| self::parse(column, v, parse)).transpose()
}

pub(crate) fn incident_from_row(row: incident::Model, participants: Vec<PersonId>) -> Result<Incident, RepoError> {
    Ok(Incident {
        id: IncidentId::from_uuid(row.id),
        team_id: TeamId::from_uuid(row.team_id),
        key: IncidentKey::from_stored(row.key),
        title: Text::from_stored(row.title),
        description: row.description.map(Markdown::from_stored),
        source: parse("source", &row.source, Source::parse)?,
        tlp: parse("tlp", &row.tlp, Tlp::parse)?,
        stage: parse("stage", &row.stage, Stage::parse)?,
        status: parse("status", &row.status, Status::parse)?,
        version: row.version,
        triage: Triage {
            determination: parse("determination", &row.determination, Determination::parse)?,
            category: row.category.map(IncidentCategory::from_stored),
            severity: parse_opt("severity", row.severity.as_deref(), Severity::parse)?,
            urgency: parse_opt("urgency", row.urgency.as_deref(), Urgency::parse)?,
            priority: parse_opt("priority", row.priority.as_deref(), Priority::parse)?,
            priority_override_reason: row.priority_override_reason.map(Text::from_stored),
        },
        owner_id: row.owner_id.map(PersonId::from_uuid),
        on_hold: row.on_hold_reason.map(Text::from_stored),
        reported_by: PersonId::from_uuid(row.reported_by),
        reported_at: row.reported_at,
        detected_at: row.detected_at,
        milestones: Milestones {
            acknowledged_at: row.acknowledged_at,
            triaged_at: row.triaged_at,
            declared_at: row.declared_at,
            contained_at: row.contained_at,
            recovered_at: row.recovered_at,
            report_completed_at: row.report_completed_at,
            closed_at: row.closed_at,
            first_notified_at: row.first_notified_at,
        },
        resolution: parse_opt("resolution", row.resolution.as_deref(), Resolution::parse)?,
        closure_summary: row.closure_summary.map(Markdown::from_stored),
        duplicate_of: row.duplicate_of.map(IncidentId::from_uuid),
        reopen_count: row.reopen_count,
        report_recorded_at: row.report_recorded_at,
        restricted: row.restricted,
        participants,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(crate) fn incident_to_row(i: &Incident) -> incident::Model {
    incident::Model {
        id: i.id.as_uuid(),
        team_id: i.team_id.as_uuid(),
        key: i.key.as_str().to_owned(),
        title: i.title.as_str().to_owned(),
        description: i.description.as_ref().map(|d| d.as_str().to_owned()),
        source: i.source.as_str().to_owned(),
        tlp: i.tlp.as_str().to_owned(),
        stage: i.stage.as_str().to_owned(),
        status: i.status.as_str().to_owned(),
        version: i.version,
        determination: i.triage.determination.as_str().to_owned(),
        category: i.triage.category.as_ref().map(|c| c.as_str().to_owned()),
        severity: i.triage.severity.map(|s| s.as_str().to_owned()),
        urgency: i.triage.urgency.map(|u| u.as_str().to_owned()),
        priority: i.triage.priority.map(|p| p.as_str().to_owned()),
        priority_override_reason: i.triage.priority_override_reason.as_ref().map(|r| r.as_str().to_owned()),
        owner_id: i.owner_id.map(|p| p.as_uuid()),
        reported_by: i.reported_by.as_uuid(),
        reported_at: i.reported_at,
        detected_at: i.detected_at,
        acknowledged_at: i.milestones.acknowledged_at,
        triaged_at: i.milestones.triaged_at,
        declared_at: i.milestones.declared_at,
        contained_at: i.milestones.contained_at,
        recovered_at: i.milestones.recovered_at,
        report_completed_at: i.milestones.report_completed_at,
        closed_at: i.milestones.closed_at,
        first_notified_at: i.milestones.first_notified_at,
        resolution: i.resolution.map(|r| r.as_str().to_owned()),
        closure_summary: i.closure_summary.as_ref().map(|s| s.as_str().to_owned()),
        duplicate_of: i.duplicate_of.map(|d| d.as_uuid()),
        reopen_count: i.reopen_count,
        report_recorded_at: i.report_recorded_at,
        restricted: i.restricted,
        on_hold_reason: i.on_hold.as_ref().map(|r| r.as_str().to_owned()),
        created_at: i.created_at,
        updated_at: i.updated_at,
    }
}

pub(crate) fn transition_from_row(row: transition::Model) -> Result<Transition, RepoError> {
    Ok(Transition {
        id: TransitionId::from_uuid(row.id),
        incident_id: IncidentId::from_uuid(row.incident_id),
        from: parse_opt("from_state", row.from_state.as_deref(), WorkflowState::parse)?,
        to: parse("to_state", &row.to_state, WorkflowState::parse)?,
        at: row.at,
        by: PersonId::from_uuid(row.by_person),
        reason: row.reason.map(Text::from_stored),
        resolution: parse_opt("resolution", row.resolution.as_deref(), Resolution::parse)?,
    })
}

pub(crate) fn transition_to_row(t: &Transition, incident_version: i64, team: TeamId) -> transition::Model {
    transition::Model {
        id: t.id.as_uuid(),
        incident_id: t.incident_id.as_uuid(),
        incident_version,
        from_state: t.from.map(|s| s.as_str().to_owned()),
        to_state: t.to.as_str().to_owned(),
        at: t.at,
        by_person: t.by.as_uuid(),
        reason: t.reason.as_ref().map(|r| r.as_str().to_owned()),
        resolution: t.resolution.map(|r| r.as_str().to_owned()),
        team_id: Some(team.as_uuid()),
    }
}

/// Evidence as kept in the action's JSON column.
#[derive(Serialize, Deserialize)]
struct StoredEvidence {
    kind: String,
    uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    collected_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    custody_note: Option<String>,
}

pub(crate) fn evidence_to_json(evidence: &[Evidence]) -> Result<String, RepoError> {
    let stored: Vec<StoredEvidence> = evidence
        .iter()
        .map(|e| StoredEvidence {
            kind: e.kind.as_str().to_owned(),
            uri: e.uri.as_str().to_owned(),
            sha256: e.sha256.as_ref().map(|s| s.as_str().to_owned()),
            collected_at: e.collected_at,
            custody_note: e.custody_note.as_ref().map(|n| n.as_str().to_owned()),
        })
        .collect();
    serde_json::to_string(&stored).map_err(|e| RepoError::Internal(e.to_string()))
}

fn evidence_from_json(json: &str) -> Result<Vec<Evidence>, RepoError> {
    let stored: Vec<StoredEvidence> = serde_json::from_str(json).map_err(|_| corrupt("evidence", json))?;
    stored
        .into_iter()
        .map(|e| {
            Ok(Evidence {
                kind: parse("evidence.kind", &e.kind, EvidenceKind::parse)?,
                uri: Text::from_stored(e.uri),
                sha256: e
                    .sha256
                    .as_deref()
                    .map(Sha256Hex::parse)
                    .transpose()
                    .map_err(|_| corrupt("evidence.sha256", json))?,
                collected_at: e.collected_at,
                custody_note: e.custody_note.map(Text::from_stored),
            })
        })
        .collect()
}

pub(crate) fn action_from_row(row: action::Model, services: Vec<String>) -> Result<Action, RepoError> {
    let services = services
        .iter()
        .map(|code| ServiceCode::parse(code).map_err(|_| corrupt("service_code", code)))
        .collect::<Result<Vec<_>, _>>()?;
    let notification = match (row.audience.as_deref(), row.recipient) {
        (Some(audience), Some(recipient)) => Some(Notification {
            audience: parse("audience", audience, Audience::parse)?,
            recipient: Text::from_stored(recipient),
        }),
        _ => None,
    };
    Ok(Action {
        id: ActionId::from_uuid(row.id),
        incident_id: IncidentId::from_uuid(row.incident_id),
        stage: parse("stage", &row.stage, Stage::parse)?,
        kind: parse("kind", &row.kind, ActionKind::parse)?,
        summary: Text::from_stored(row.summary),
        details: row.details.map(Markdown::from_stored),
        services,
        catalog_version: row.catalog_version,
        performed_by: PersonId::from_uuid(row.performed_by),
        performed_at: row.performed_at,
        recorded_by: PersonId::from_uuid(row.recorded_by),
        recorded_at: row.recorded_at,
        outcome: parse_opt("outcome", row.outcome.as_deref(), Outcome::parse)?,
        effort_minutes: row.effort_minutes,
        notification,
        evidence: evidence_from_json(&row.evidence)?,
        supersedes: row.supersedes.map(ActionId::from_uuid),
    })
}

pub(crate) fn action_to_row(a: &Action) -> Result<action::Model, RepoError> {
    Ok(action::Model {
        id: a.id.as_uuid(),
        incident_id: a.incident_id.as_uuid(),
        stage: a.stage.as_str().to_owned(),
        kind: a.kind.as_str().to_owned(),
        summary: a.summary.as_str().to_owned(),
        details: a.details.as_ref().map(|d| d.as_str().to_owned()),
        catalog_version: a.catalog_version.clone(),
        performed_by: a.performed_by.as_uuid(),
        performed_at: a.performed_at,
        recorded_by: a.recorded_by.as_uuid(),
        recorded_at: a.recorded_at,
        outcome: a.outcome.map(|o| o.as_str().to_owned()),
        effort_minutes: a.effort_minutes,
        audience: a.notification.as_ref().map(|n| n.audience.as_str().to_owned()),
        recipient: a.notification.as_ref().map(|n| n.recipient.as_str().to_owned()),
        evidence: evidence_to_json(&a.evidence)?,
        supersedes: a.supersedes.map(|s| s.as_uuid()),
        team_id: None,
    })
}

pub(crate) fn team_from_row(row: team::Model) -> Team {
    Team {
        id: TeamId::from_uuid(row.id),
        key: TeamKey::from_stored(row.key),
        name: Text::from_stored(row.name),
        created_at: row.created_at,
    }
}

pub(crate) fn person_from_row(row: person::Model) -> Person {
    Person { id: PersonId::from_uuid(row.id), name: Text::from_stored(row.name), admin: row.admin }
}

pub(crate) fn role_from_str(value: &str) -> Result<Role, RepoError> {
    parse("role", value, Role::parse)
}
