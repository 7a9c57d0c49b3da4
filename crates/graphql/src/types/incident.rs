//! Incidents, their transitions, stage progress and timeline, and the paginated connection.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use taio_core::id::{IncidentId, PersonId};
use taio_core::incident::{self, PageCursor, VisibleIncident, allowed_targets, stage_progress};

use super::action::Action;
use super::catalog::CatalogService;
use super::enums::{
    Determination, Priority, ProgressState, Resolution, Severity, Source, Stage, Status, Tlp, Urgency, WorkflowState,
};
use super::team::{Person, Team};
use crate::context::ContextExt;
use crate::error::{ApiError, ApiResult, nullable};

pub(crate) async fn load_person(ctx: &Context<'_>, id: PersonId) -> ApiResult<Person> {
    let person = ctx.request()?.people.load_one(id).await?;
    person.map(Person).ok_or_else(|| ApiError::not_found("person"))
}

/// A security incident, tracked through the D-stages of the ISOG-J catalog.
pub struct Incident(pub(crate) incident::Incident);

impl Incident {
    fn visible(&self) -> VisibleIncident {
        VisibleIncident::of(&self.0)
    }

    async fn load_actions(&self, ctx: &Context<'_>) -> ApiResult<Arc<Vec<incident::Action>>> {
        Ok(ctx.request()?.actions.load_one(self.visible()).await?.unwrap_or_default())
    }

    async fn load_transitions(&self, ctx: &Context<'_>) -> ApiResult<Arc<Vec<incident::Transition>>> {
        Ok(ctx.request()?.transitions.load_one(self.visible()).await?.unwrap_or_default())
    }
}

/// A security incident, tracked through the D-stages of the ISOG-J catalog.
#[Object]
impl Incident {
    /// Identity.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Human key, unique in its team, e.g. `INC-2026-000123`.
    async fn key(&self) -> &str {
        self.0.key.as_str()
    }

    /// One-line title.
    async fn title(&self) -> &str {
        self.0.title.as_str()
    }

    /// Markdown description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_ref().map(|d| d.as_str())
    }

    /// The team it belongs to.
    async fn team(&self, ctx: &Context<'_>) -> ApiResult<Team> {
        let team = ctx.request()?.teams.load_one(self.0.team_id).await?;
        team.map(Team).ok_or_else(|| ApiError::not_found("team"))
    }

    /// Main-line stage: D1, D3, D4, D5 or D7 (kept at the last one when closed).
    async fn stage(&self) -> Stage {
        self.0.stage.into()
    }

    /// Open or closed.
    async fn status(&self) -> Status {
        self.0.status.into()
    }

    /// Where it is on the main line, closed included.
    async fn state(&self) -> WorkflowState {
        self.0.state().into()
    }

    /// Optimistic-concurrency version: send it back as `expectedVersion` when changing the
    /// incident.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// Sharing label.
    async fn tlp(&self) -> Tlp {
        self.0.tlp.into()
    }

    /// The sharing label as TLP 2.0 writes it, e.g. `TLP:AMBER+STRICT`.
    async fn tlp_label(&self) -> &str {
        self.0.tlp.label()
    }

    /// What triage concluded.
    async fn determination(&self) -> Determination {
        self.0.triage.determination.into()
    }

    /// ENISA RSIT `class/type`.
    async fn category(&self) -> Option<&str> {
        self.0.triage.category.as_ref().map(|c| c.as_str())
    }

    /// Harm.
    async fn severity(&self) -> Option<Severity> {
        self.0.triage.severity.map(Into::into)
    }

    /// How soon.
    async fn urgency(&self) -> Option<Urgency> {
        self.0.triage.urgency.map(Into::into)
    }

    /// Priority: the severity × urgency matrix, or a manual override.
    async fn priority(&self) -> Option<Priority> {
        self.0.triage.priority.map(Into::into)
    }

    /// Why the priority was set by hand, when it was.
    async fn priority_override_reason(&self) -> Option<&str> {
        self.0.triage.priority_override_reason.as_ref().map(|r| r.as_str())
    }

    /// The responder in charge (D-2).
    async fn owner(&self, ctx: &Context<'_>) -> ApiResult<Option<Person>> {
        match self.0.owner_id {
            Some(id) => load_person(ctx, id).await.map(Some),
            None => Ok(None),
        }
    }

    /// Why the incident is on hold, while it is.
    async fn on_hold_reason(&self) -> Option<&str> {
        self.0.on_hold.as_ref().map(|r| r.as_str())
    }

    /// Who reported it into Taiō.
    async fn reported_by(&self, ctx: &Context<'_>) -> ApiResult<Person> {
        load_person(ctx, self.0.reported_by).await
    }

    /// Where the report came from.
    async fn source(&self) -> Source {
        self.0.source.into()
    }

    /// When it was reported.
    async fn reported_at(&self) -> DateTime<Utc> {
        self.0.reported_at
    }

    /// When it was first detected.
    async fn detected_at(&self) -> Option<DateTime<Utc>> {
        self.0.detected_at
    }

    /// First acknowledgement (D-1 → D-3).
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.milestones.acknowledged_at
    }

    /// First end of triage (left D-3).
    async fn triaged_at(&self) -> Option<DateTime<Utc>> {
        self.0.milestones.triaged_at
    }

    /// First declaration as an incident.
    async fn declared_at(&self) -> Option<DateTime<Utc>> {
        self.0.milestones.declared_at
    }

    /// First containment (D-4 → D-5).
    async fn contained_at(&self) -> Option<DateTime<Utc>> {
        self.0.milestones.contained_at
    }

    /// First recovery (D-5 → D-7).
    async fn recovered_at(&self) -> Option<DateTime<Utc>> {
        self.0.milestones.recovered_at
    }

    /// First completion of the response report (D-7 → closed).
    async fn report_completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.milestones.report_completed_at
    }

    /// First closing.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.milestones.closed_at
    }

    /// First D-6 notification.
    async fn first_notified_at(&self) -> Option<DateTime<Utc>> {
        self.0.milestones.first_notified_at
    }

    /// How it was closed.
    async fn resolution(&self) -> Option<Resolution> {
        self.0.resolution.map(Into::into)
    }

    /// The closing summary.
    async fn closure_summary(&self) -> Option<&str> {
        self.0.closure_summary.as_ref().map(|s| s.as_str())
    }

    /// The incident this one duplicates.
    async fn duplicate_of(&self) -> Option<ID> {
        self.0.duplicate_of.map(|id| ID(id.to_string()))
    }

    /// How many times it was reopened.
    async fn reopen_count(&self) -> i32 {
        self.0.reopen_count
    }

    /// The states it can move to now (guards on request data, such as a reason, still apply).
    async fn allowed_transitions(&self) -> Vec<WorkflowState> {
        allowed_targets(&self.0).into_iter().map(Into::into).collect()
    }

    /// Progress of all seven D-services, D-1 to D-7.
    async fn stage_progress(&self, ctx: &Context<'_>) -> ApiResult<Vec<StageProgress>> {
        let transitions = self.load_transitions(ctx).await?;
        Ok(stage_progress(&self.0, &transitions)
            .into_iter()
            .map(|p| StageProgress {
                stage: p.stage.into(),
                state: p.state.into(),
                entered_at: p.entered_at,
                completed_at: p.completed_at,
            })
            .collect())
    }

    /// Actions, in the order they were performed.
    async fn actions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Action>> {
        Ok(self.load_actions(ctx).await?.iter().cloned().map(Action).collect())
    }

    /// Stage transitions, oldest first (the report itself is the first, from null to D1).
    async fn transitions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Transition>> {
        Ok(self.load_transitions(ctx).await?.iter().cloned().map(Transition).collect())
    }

    /// Actions and transitions merged in time order.
    async fn timeline(&self, ctx: &Context<'_>) -> ApiResult<Vec<TimelineEntry>> {
        let (actions, transitions) = tokio::try_join!(self.load_actions(ctx), self.load_transitions(ctx))?;
        let mut entries: Vec<TimelineEntry> = transitions
            .iter()
            .map(|t| TimelineEntry {
                at: t.at,
                kind: TimelineKind::Transition,
                transition: Some(t.clone()),
                action: None,
            })
            .chain(actions.iter().map(|a| TimelineEntry {
                at: a.performed_at,
                kind: TimelineKind::Action,
                transition: None,
                action: Some(a.clone()),
            }))
            .collect();
        entries.sort_by_key(|e| e.at);
        Ok(entries)
    }

    /// The distinct catalog services its actions exercised, in catalog order.
    async fn services(&self, ctx: &Context<'_>) -> ApiResult<Vec<CatalogService>> {
        let catalog = ctx.services()?.incidents.catalog();
        let actions = self.load_actions(ctx).await?;
        let codes: BTreeSet<_> = actions.iter().flat_map(|a| a.services.iter().cloned()).collect();
        Ok(codes.iter().filter_map(|c| catalog.service(c)).map(CatalogService).collect())
    }

    /// Whether the incident is marked restricted. A restricted incident, and any TLP:RED one, is
    /// visible only to its owner, its reporter, its participants and the team's leads.
    async fn restricted(&self) -> bool {
        self.0.restricted
    }

    /// Whether access is limited now (marked restricted, or TLP:RED).
    async fn access_limited(&self) -> bool {
        self.0.is_restricted()
    }

    /// People named on the incident: they see it while it is restricted.
    async fn participants(&self, ctx: &Context<'_>) -> ApiResult<Vec<Person>> {
        let people = ctx.request()?.people.load_many(self.0.participants.iter().copied()).await?;
        Ok(self.0.participants.iter().filter_map(|id| people.get(id).cloned()).map(Person).collect())
    }

    /// The tamper-evident audit trail of the incident, oldest first. Team leads only: for others it
    /// is null with a `FORBIDDEN` error.
    async fn audit_trail(&self, ctx: &Context<'_>) -> Option<Vec<AuditRecord>> {
        let trail = async {
            let viewer = ctx.viewer()?;
            ApiResult::Ok(ctx.services()?.incidents.audit_trail(viewer, self.0.id).await?)
        };
        nullable(ctx, trail.await).map(|trail| trail.into_iter().map(AuditRecord).collect())
    }

    /// Server time of creation.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Server time of the last change.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One record of an incident's audit trail. Records are hash-chained: each names the hash of the
/// one before, so `taio audit verify` can tell when one was altered, removed or reordered.
pub struct AuditRecord(incident::AuditEntry);

/// One record of an incident's audit trail. Records are hash-chained: each names the hash of the
/// one before, so `taio audit verify` can tell when one was altered, removed or reordered.
#[Object]
impl AuditRecord {
    /// Position in the incident's chain, from 1.
    async fn seq(&self) -> i64 {
        self.0.seq
    }

    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// Who.
    async fn person(&self, ctx: &Context<'_>) -> ApiResult<Option<Person>> {
        match self.0.person {
            Some(id) => load_person(ctx, id).await.map(Some),
            None => Ok(None),
        }
    }

    /// The id of the API token used.
    async fn token_id(&self) -> Option<ID> {
        self.0.token.map(|t| ID(t.to_string()))
    }

    /// The API operation, e.g. `closeIncident`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }

    /// What kind of object changed: `incident` or `action`.
    async fn object_type(&self) -> &str {
        &self.0.object_type
    }

    /// Which object.
    async fn object_id(&self) -> &str {
        &self.0.object_id
    }

    /// SHA-256 digest of the object before the change.
    async fn before_digest(&self) -> Option<&str> {
        self.0.before_digest.as_deref()
    }

    /// SHA-256 digest of the object after the change.
    async fn after_digest(&self) -> Option<&str> {
        self.0.after_digest.as_deref()
    }

    /// The HTTP request id (`x-request-id`).
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// Hash of the previous record.
    async fn prev_hash(&self) -> &str {
        &self.0.prev_hash
    }

    /// Hash of this record.
    async fn hash(&self) -> &str {
        &self.0.hash
    }
}

/// One D-service's progress on an incident.
#[derive(SimpleObject)]
pub struct StageProgress {
    /// The D-service.
    pub stage: Stage,
    /// How far it has got.
    pub state: ProgressState,
    /// When it began.
    pub entered_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub completed_at: Option<DateTime<Utc>>,
}

/// A stored move of the state machine.
pub struct Transition(pub(crate) incident::Transition);

/// A stored move of the state machine.
#[Object]
impl Transition {
    /// Where it was; null for the report that created the incident.
    async fn from(&self) -> Option<WorkflowState> {
        self.0.from.map(Into::into)
    }

    /// Where it went.
    async fn to(&self) -> WorkflowState {
        self.0.to.into()
    }

    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// Who moved it.
    async fn by(&self, ctx: &Context<'_>) -> ApiResult<Person> {
        load_person(ctx, self.0.by).await
    }

    /// Why (backward moves and reopens).
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_ref().map(|r| r.as_str())
    }

    /// The resolution, for a move to closed.
    async fn resolution(&self) -> Option<Resolution> {
        self.0.resolution.map(Into::into)
    }
}

/// What a timeline entry is.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum TimelineKind {
    /// A stage transition (a system entry).
    Transition,
    /// An action someone recorded.
    Action,
}

/// One entry of an incident's timeline.
pub struct TimelineEntry {
    at: DateTime<Utc>,
    kind: TimelineKind,
    transition: Option<incident::Transition>,
    action: Option<incident::Action>,
}

/// One entry of an incident's timeline.
#[Object]
impl TimelineEntry {
    /// When it happened (performed time for actions).
    async fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// Transition or action.
    async fn kind(&self) -> TimelineKind {
        self.kind
    }

    /// A one-line description.
    async fn summary(&self) -> String {
        match (&self.transition, &self.action) {
            (Some(t), _) => match t.from {
                None => "Reported (D1)".to_owned(),
                Some(from) => format!("{} → {}", from.as_str(), t.to.as_str()),
            },
            (_, Some(a)) => format!("[{}] {}", a.stage.code(), a.summary.as_str()),
            _ => String::new(),
        }
    }

    /// The transition, for transition entries.
    async fn transition(&self) -> Option<Transition> {
        self.transition.clone().map(Transition)
    }

    /// The action, for action entries.
    async fn action(&self) -> Option<Action> {
        self.action.clone().map(Action)
    }
}

/// A page of incidents.
pub struct IncidentConnection {
    pub(crate) page: incident::IncidentPage,
}

/// An incident with its cursor.
pub struct IncidentEdge(incident::Incident);

/// An incident with its cursor.
#[Object]
impl IncidentEdge {
    /// Opaque position of this incident: pass it as `after` to read on.
    async fn cursor(&self) -> String {
        encode_cursor(&self.0)
    }

    /// The incident.
    async fn node(&self) -> Incident {
        Incident(self.0.clone())
    }
}

/// Where a page ends.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether more incidents follow.
    pub has_next_page: bool,
    /// The cursor of the last incident on the page.
    pub end_cursor: Option<String>,
}

/// A page of incidents.
#[Object]
impl IncidentConnection {
    /// The incidents with their cursors.
    async fn edges(&self) -> Vec<IncidentEdge> {
        self.page.incidents.iter().cloned().map(IncidentEdge).collect()
    }

    /// The incidents.
    async fn nodes(&self) -> Vec<Incident> {
        self.page.incidents.iter().cloned().map(Incident).collect()
    }

    /// Paging information.
    async fn page_info(&self) -> PageInfo {
        PageInfo { has_next_page: self.page.has_next_page, end_cursor: self.page.incidents.last().map(encode_cursor) }
    }

    /// How many incidents match the filter in all.
    async fn total_count(&self) -> u64 {
        self.page.total_count
    }
}

const CURSOR_VERSION: &str = "i1";

fn encode_cursor(incident: &incident::Incident) -> String {
    let raw = format!("{CURSOR_VERSION}|{}|{}", incident.reported_at.timestamp_micros(), incident.id);
    URL_SAFE_NO_PAD.encode(raw)
}

/// Reads a cursor made by [`encode_cursor`].
pub(crate) fn decode_cursor(cursor: &str) -> ApiResult<PageCursor> {
    let bad = || ApiError::bad_input("after", "is not a cursor returned by this API");
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = raw.split('|');
    let (Some(CURSOR_VERSION), Some(micros), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let reported_at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    let id = uuid::Uuid::parse_str(id).map_err(|_| bad())?;
    Ok(PageCursor { reported_at, id: IncidentId::from_uuid(id) })
}
