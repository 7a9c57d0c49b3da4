//! The incident service: every read and write of incidents and actions goes through here, checked
//! against the caller's role and team, validated, decided by the state machine and stored.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, SubsecRound, Utc};

use super::action::{Action, Evidence, MAX_EFFORT_MINUTES, Notification, Sha256Hex, is_response_report};
use super::enums::{ActionKind, Audience, EvidenceKind, Outcome, Priority, Severity, Source, Stage, Status, Tlp};
use super::event::{EventPosition, EventScope, IncidentEvent};
use super::key::IncidentKey;
use super::machine::{Command, decide};
use super::model::{Incident, NewIncident, Transition};
use super::ports::{
    ActionEffects, ActionRepository, AuditEntry, EventLog, IncidentPage, IncidentQuery, IncidentRepository, PageCursor,
    Reader,
};
use crate::access::{Operation, Viewer};
use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::error::{FieldError, IncidentError, RepoError};
use crate::id::{ActionId, IncidentId, PersonId, TeamId};
use crate::team::{Role, TeamRepository};
use crate::text::{Markdown, Text};

/// How far in the future a reported or performed time may lie (clock skew between machines).
const CLOCK_SKEW: Duration = Duration::minutes(5);
/// Page size when the caller gives none.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page a caller may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;
/// Longest search text.
const MAX_SEARCH_CHARS: usize = 200;
/// Most evidence references on one action.
const MAX_EVIDENCE: usize = 50;

/// A report of a new incident, its texts already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncidentRequest {
    /// The team it belongs to.
    pub team_id: TeamId,
    /// Title.
    pub title: Text,
    /// Description.
    pub description: Option<Markdown>,
    /// Source; OTHER when not given.
    pub source: Option<Source>,
    /// Reported time; now when not given.
    pub reported_at: Option<DateTime<Utc>>,
    /// Detected time.
    pub detected_at: Option<DateTime<Utc>>,
    /// TLP; AMBER when not given.
    pub tlp: Option<Tlp>,
}

/// Which incidents to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentFilter {
    /// One team; all the caller's teams when not given.
    pub team: Option<TeamId>,
    /// Any of these stages.
    pub stages: Vec<Stage>,
    /// This status.
    pub status: Option<Status>,
    /// Any of these severities.
    pub severities: Vec<Severity>,
    /// Any of these priorities.
    pub priorities: Vec<Priority>,
    /// Owned by.
    pub owner: Option<PersonId>,
    /// With an action that exercised this service code.
    pub service: Option<String>,
    /// Reported at or after.
    pub reported_from: Option<DateTime<Utc>>,
    /// Reported before.
    pub reported_to: Option<DateTime<Utc>>,
    /// Text to look for in key, title and description.
    pub text: Option<String>,
}

/// Which page to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Page size (0–100); 20 when not given.
    pub first: Option<i64>,
    /// Continue after this cursor.
    pub after: Option<PageCursor>,
}

/// An action to record, its texts already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewActionRequest {
    /// The incident.
    pub incident_id: IncidentId,
    /// The D-service performed; the incident's stage when not given.
    pub stage: Option<Stage>,
    /// What sort of work.
    pub kind: ActionKind,
    /// Summary.
    pub summary: Text,
    /// Details.
    pub details: Option<Markdown>,
    /// Catalog service codes as the caller typed them.
    pub services: Vec<String>,
    /// When it was done; now when not given.
    pub performed_at: Option<DateTime<Utc>>,
    /// Effort in minutes.
    pub effort_minutes: Option<i32>,
    /// How it went.
    pub outcome: Option<Outcome>,
    /// For D-6: audience and recipient.
    pub notification: Option<(Audience, Text)>,
    /// Evidence references.
    pub evidence: Vec<NewEvidence>,
    /// The action this one corrects.
    pub supersedes: Option<ActionId>,
}

/// An evidence reference as given by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvidence {
    /// What it is.
    pub kind: EvidenceKind,
    /// Where it is kept.
    pub uri: Text,
    /// Its SHA-256 in hex.
    pub sha256: Option<String>,
    /// When it was collected.
    pub collected_at: Option<DateTime<Utc>>,
    /// Custody note.
    pub custody_note: Option<Text>,
}

/// An incident the caller has been shown: the key for reading what hangs off it. Only the
/// service makes these, from incidents it has checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VisibleIncident {
    id: IncidentId,
    team_id: TeamId,
}

impl VisibleIncident {
    /// The key for an incident returned by this service.
    #[must_use]
    pub fn of(incident: &Incident) -> Self {
        Self { id: incident.id, team_id: incident.team_id }
    }

    /// The incident id.
    #[must_use]
    pub fn id(&self) -> IncidentId {
        self.id
    }
}

/// Reads and changes incidents and their actions on behalf of a [`Viewer`].
#[derive(Debug, Clone)]
pub struct IncidentService {
    incidents: Arc<dyn IncidentRepository>,
    actions: Arc<dyn ActionRepository>,
    teams: Arc<dyn TeamRepository>,
    events: Arc<dyn EventLog>,
    catalog: &'static Catalog,
    clock: Arc<dyn Clock>,
}

/// An event with the incident it concerns, as it stood when the event was read (at least as new
/// as the event).
#[derive(Debug, Clone, PartialEq)]
pub struct EventWithIncident {
    /// The event.
    pub event: IncidentEvent,
    /// The incident.
    pub incident: Incident,
}

/// Most events read from the log at once.
pub const MAX_EVENT_BATCH: u64 = 500;

impl IncidentService {
    /// A service over these ports.
    #[must_use]
    pub fn new(
        incidents: Arc<dyn IncidentRepository>,
        actions: Arc<dyn ActionRepository>,
        teams: Arc<dyn TeamRepository>,
        events: Arc<dyn EventLog>,
        catalog: &'static Catalog,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { incidents, actions, teams, events, catalog, clock }
    }

    /// The catalog edition actions are checked against.
    #[must_use]
    pub fn catalog(&self) -> &'static Catalog {
        self.catalog
    }

    /// Reports a new incident in D-1.
    ///
    /// # Errors
    /// `NotFound` for a team the caller is not in, `Forbidden` for a viewer, `Invalid` for times
    /// in the future or detection after the report.
    pub async fn report(&self, viewer: &Viewer, request: NewIncidentRequest) -> Result<Incident, IncidentError> {
        viewer.authorize(request.team_id, Operation::Report)?;
        let now = self.clock.now();
        let reported_at = request.reported_at.map_or(now, stored_precision);
        let detected_at = request.detected_at.map(stored_precision);
        not_in_future("reportedAt", reported_at, now)?;
        if let Some(detected_at) = detected_at {
            not_in_future("detectedAt", detected_at, now)?;
            if detected_at > reported_at {
                return Err(FieldError::new("detectedAt", "must not be later than reportedAt").into());
            }
        }
        let new = NewIncident {
            id: IncidentId::generate(),
            team_id: request.team_id,
            title: request.title,
            description: request.description,
            source: request.source.unwrap_or(Source::Other),
            tlp: request.tlp.unwrap_or(Tlp::Amber),
            reported_by: viewer.person_id(),
            reported_at,
            detected_at,
            created_at: now,
        };
        Ok(self.incidents.create(new, &viewer.audit("reportIncident")).await?)
    }

    /// The incident with this id, if the caller can see it.
    ///
    /// # Errors
    /// `NotFound` when it does not exist or belongs to a team the caller is not in.
    pub async fn get(&self, viewer: &Viewer, id: IncidentId) -> Result<Incident, IncidentError> {
        self.load(viewer, id, Operation::Read).await
    }

    /// The incident with this key among the caller's teams (or in `team`).
    ///
    /// # Errors
    /// `NotFound` when no visible incident has the key; `Invalid` on `teamId` when the key exists
    /// in several of the caller's teams and no team was named.
    pub async fn get_by_key(
        &self,
        viewer: &Viewer,
        key: &IncidentKey,
        team: Option<TeamId>,
    ) -> Result<Incident, IncidentError> {
        let teams: Vec<TeamId> = match team {
            Some(team) if viewer.can_read(team) => vec![team],
            Some(_) => return Err(IncidentError::NotFound),
            None => viewer.team_ids(),
        };
        if teams.is_empty() {
            return Err(IncidentError::NotFound);
        }
        let mut found = self.incidents.find_by_key(&teams, key).await?;
        found.retain(|incident| visible_to(viewer, incident));
        match found.len() {
            0 => Err(IncidentError::NotFound),
            1 => Ok(found.remove(0)),
            _ => Err(FieldError::new("teamId", "this key exists in several of your teams: name the team").into()),
        }
    }

    /// A page of the incidents the caller can see, filtered.
    ///
    /// # Errors
    /// `Invalid` for a page size outside 0–100, a malformed period or an over-long search text;
    /// `UnknownServices` for a service filter not in the catalog.
    pub async fn list(
        &self,
        viewer: &Viewer,
        filter: IncidentFilter,
        page: PageRequest,
    ) -> Result<IncidentPage, IncidentError> {
        let limit = match page.first {
            None => DEFAULT_PAGE_SIZE,
            Some(first) => u64::try_from(first)
                .ok()
                .filter(|f| *f <= MAX_PAGE_SIZE)
                .ok_or_else(|| FieldError::new("first", format!("must be between 0 and {MAX_PAGE_SIZE}")))?,
        };
        let (reported_from, reported_to) =
            (filter.reported_from.map(stored_precision), filter.reported_to.map(stored_precision));
        if let (Some(from), Some(to)) = (reported_from, reported_to)
            && from > to
        {
            return Err(FieldError::new("filter.reportedFrom", "must not be later than reportedTo").into());
        }
        let service = match filter.service.as_deref() {
            None => None,
            Some(code) => Some(self.catalog.resolve(&[code]).map_err(IncidentError::UnknownServices)?.remove(0)),
        };
        let text = match filter.text.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) if text.chars().count() > MAX_SEARCH_CHARS => {
                return Err(
                    FieldError::new("filter.search", format!("must be at most {MAX_SEARCH_CHARS} characters")).into()
                );
            }
            Some(text) => Some(text.to_owned()),
        };
        let teams = match filter.team {
            Some(team) if viewer.can_read(team) => vec![team],
            Some(_) => Vec::new(),
            None => viewer.team_ids(),
        };
        if teams.is_empty() {
            return Ok(IncidentPage { incidents: Vec::new(), has_next_page: false, total_count: 0 });
        }
        let reader = Reader {
            person: viewer.person_id(),
            lead_of: viewer.memberships.iter().filter(|m| m.role == Role::Lead).map(|m| m.team_id).collect(),
        };
        let query = IncidentQuery {
            teams,
            reader,
            stages: filter.stages,
            status: filter.status,
            severities: filter.severities,
            priorities: filter.priorities,
            owner: filter.owner,
            service,
            reported_from,
            reported_to,
            text,
            after: page.after,
            limit,
        };
        Ok(self.incidents.list(&query).await?)
    }

    /// Runs a state-machine command that needs nothing beyond the incident itself.
    ///
    /// # Errors
    /// `Conflict` for a stale version; whatever [`decide`] refuses; `NotFound` / `Forbidden`.
    pub async fn change(
        &self,
        viewer: &Viewer,
        id: IncidentId,
        expected_version: i64,
        command: Command,
    ) -> Result<Incident, IncidentError> {
        let operation = match &command {
            Command::Acknowledge { .. } => Operation::Acknowledge,
            Command::Classify(_) => Operation::Classify,
            Command::Assign { .. } => Operation::Reassign,
            Command::Transition { .. } => Operation::Transition,
            Command::Close { .. } => Operation::Close,
            Command::Reopen { .. } => Operation::Reopen,
        };
        let current = self.load_current(viewer, id, expected_version, operation).await?;
        match &command {
            Command::Acknowledge { owner } | Command::Assign { owner } => self.check_owner(&current, *owner).await?,
            Command::Close { duplicate_of: Some(original), .. } => {
                let same_team = self.incidents.find(*original).await?.is_some_and(|o| o.team_id == current.team_id);
                if !same_team {
                    return Err(FieldError::new("duplicateOf", "no such incident in this team").into());
                }
            }
            _ => {}
        }
        self.apply(viewer, &current, command).await
    }

    /// Records an action on an incident.
    ///
    /// # Errors
    /// `UnknownServices` naming every code not in the catalog; `Invalid` for a missing service,
    /// a D-6 action without its audience (or a notification outside D-6), a time in the future,
    /// effort out of range, a superseded action of another incident, or D-1–D-5 work on a closed
    /// incident; `NotFound` / `Forbidden` as for reads.
    pub async fn record_action(&self, viewer: &Viewer, request: NewActionRequest) -> Result<Action, IncidentError> {
        let incident = self.load(viewer, request.incident_id, Operation::RecordAction).await?;
        let now = self.clock.now();
        let stage = request.stage.unwrap_or(incident.stage);
        if incident.status == Status::Closed && !matches!(stage, Stage::D6 | Stage::D7) {
            return Err(FieldError::new(
                "stage",
                "the incident is closed: only D6 notifications and D7 report amendments can be recorded; reopen it first",
            )
            .into());
        }
        if request.services.is_empty() {
            return Err(FieldError::new("services", "name at least one catalog service, e.g. \"C-4\"").into());
        }
        let services = self.catalog.resolve(&request.services).map_err(IncidentError::UnknownServices)?;
        let notification = match (stage, request.notification) {
            (Stage::D6, Some((audience, recipient))) => Some(Notification { audience, recipient }),
            (Stage::D6, None) => {
                return Err(
                    FieldError::new("notification", "a D6 notification names its audience and recipient").into()
                );
            }
            (_, Some(_)) => return Err(FieldError::new("notification", "only a D6 action is a notification").into()),
            (_, None) => None,
        };
        let performed_at = request.performed_at.map_or(now, stored_precision);
        not_in_future("performedAt", performed_at, now)?;
        if let Some(effort) = request.effort_minutes
            && !(0..=MAX_EFFORT_MINUTES).contains(&effort)
        {
            return Err(FieldError::new("effortMinutes", format!("must be between 0 and {MAX_EFFORT_MINUTES}")).into());
        }
        if request.evidence.len() > MAX_EVIDENCE {
            return Err(FieldError::new("evidence", format!("at most {MAX_EVIDENCE} references per action")).into());
        }
        let evidence = request
            .evidence
            .into_iter()
            .map(|e| {
                if let Some(collected_at) = e.collected_at {
                    not_in_future("evidence.collectedAt", collected_at, now)?;
                }
                Ok(Evidence {
                    kind: e.kind,
                    uri: e.uri,
                    sha256: e.sha256.as_deref().map(Sha256Hex::parse).transpose()?,
                    collected_at: e.collected_at.map(stored_precision),
                    custody_note: e.custody_note,
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
        if let Some(superseded) = request.supersedes {
            let same_incident = self.actions.find(superseded).await?.is_some_and(|a| a.incident_id == incident.id);
            if !same_incident {
                return Err(FieldError::new("supersedes", "no such action on this incident").into());
            }
        }
        let action = Action {
            id: ActionId::generate(),
            incident_id: incident.id,
            stage,
            kind: request.kind,
            summary: request.summary,
            details: request.details,
            services,
            catalog_version: self.catalog.version().to_owned(),
            performed_by: viewer.person_id(),
            performed_at,
            recorded_by: viewer.person_id(),
            recorded_at: now,
            outcome: request.outcome,
            effort_minutes: request.effort_minutes,
            notification,
            evidence,
            supersedes: request.supersedes,
        };
        let effects = ActionEffects {
            notified_at: (stage == Stage::D6).then_some(performed_at),
            report_recorded_at: is_response_report(stage, request.outcome).then_some(now),
            at: now,
        };
        self.actions.append(&action, effects, &viewer.audit("recordAction")).await.map_err(|e| match e {
            RepoError::MissingReference(_) => {
                IncidentError::UnknownServices(action.services.iter().map(ToString::to_string).collect())
            }
            other => other.into(),
        })?;
        Ok(action)
    }

    /// The actions of incidents the caller was shown, in the order performed.
    ///
    /// # Errors
    /// Storage failures only; incidents of teams the caller left are silently empty.
    pub async fn actions_of(
        &self,
        viewer: &Viewer,
        keys: &[VisibleIncident],
    ) -> Result<HashMap<IncidentId, Vec<Action>>, IncidentError> {
        let ids = readable(viewer, keys);
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self.actions.for_incidents(&ids).await?)
    }

    /// The transitions of incidents the caller was shown, oldest first.
    ///
    /// # Errors
    /// Storage failures only.
    pub async fn transitions_of(
        &self,
        viewer: &Viewer,
        keys: &[VisibleIncident],
    ) -> Result<HashMap<IncidentId, Vec<Transition>>, IncidentError> {
        let ids = readable(viewer, keys);
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self.incidents.transitions_for(&ids).await?)
    }

    async fn load(&self, viewer: &Viewer, id: IncidentId, operation: Operation) -> Result<Incident, IncidentError> {
        let incident = self.incidents.find(id).await?.ok_or(IncidentError::NotFound)?;
        if !visible_to(viewer, &incident) {
            return Err(IncidentError::NotFound);
        }
        if operation == Operation::ManageAccess && incident.owner_id == Some(viewer.person_id()) {
            viewer.authorize(incident.team_id, Operation::RecordAction)?;
        } else {
            viewer.authorize(incident.team_id, operation)?;
        }
        Ok(incident)
    }

    async fn load_current(
        &self,
        viewer: &Viewer,
        id: IncidentId,
        expected_version: i64,
        operation: Operation,
    ) -> Result<Incident, IncidentError> {
        let incident = self.load(viewer, id, operation).await?;
        if incident.version != expected_version {
            return Err(IncidentError::Conflict { expected: expected_version, actual: Some(incident.version) });
        }
        Ok(incident)
    }

    async fn apply(&self, viewer: &Viewer, current: &Incident, command: Command) -> Result<Incident, IncidentError> {
        let operation = command.operation();
        let decision = decide(current, command, self.clock.now(), viewer.person_id())?;
        self.store(viewer, current, decision.incident, decision.transition.as_ref(), operation).await
    }

    async fn store(
        &self,
        viewer: &Viewer,
        current: &Incident,
        next: Incident,
        transition: Option<&Transition>,
        operation: &'static str,
    ) -> Result<Incident, IncidentError> {
        self.incidents.update(current, &next, transition, &viewer.audit(operation)).await.map_err(|e| match e {
            RepoError::Conflict => IncidentError::Conflict { expected: current.version, actual: None },
            other => other.into(),
        })?;
        Ok(next)
    }

    /// Marks an incident restricted (or lifts the mark): then only its owner, its participants
    /// and the team's leads see it. TLP:RED incidents are restricted whatever the mark says.
    /// Leads and the incident's owner may do this.
    ///
    /// # Errors
    /// `Conflict` for a stale version; `NotFound` / `Forbidden` as for other changes.
    pub async fn set_restricted(
        &self,
        viewer: &Viewer,
        id: IncidentId,
        expected_version: i64,
        restricted: bool,
    ) -> Result<Incident, IncidentError> {
        let current = self.load_current(viewer, id, expected_version, Operation::ManageAccess).await?;
        let mut next = self.next_version(&current);
        next.restricted = restricted;
        self.store(viewer, &current, next, None, "restrictIncident").await
    }

    /// Names a person on the incident (they may see it while it is restricted), or removes them.
    /// Participants must belong to the team. Leads and the incident's owner may do this.
    ///
    /// # Errors
    /// `Invalid` on `personId` for someone outside the team; as [`Self::set_restricted`].
    pub async fn set_participant(
        &self,
        viewer: &Viewer,
        id: IncidentId,
        expected_version: i64,
        person: PersonId,
        named: bool,
    ) -> Result<Incident, IncidentError> {
        let current = self.load_current(viewer, id, expected_version, Operation::ManageAccess).await?;
        let mut next = self.next_version(&current);
        if named {
            if self.teams.role_of(person, current.team_id).await?.is_none() {
                return Err(FieldError::new("personId", "participants must belong to the incident's team").into());
            }
            if !next.participants.contains(&person) {
                next.participants.push(person);
            }
        } else {
            next.participants.retain(|p| *p != person);
        }
        let operation = if named { "addIncidentParticipant" } else { "removeIncidentParticipant" };
        self.store(viewer, &current, next, None, operation).await
    }

    /// Puts an open, acknowledged incident on hold with a reason (D-2 handling waits), or resumes
    /// it (`None`). Responders may.
    ///
    /// # Errors
    /// `InvalidTransition` for a closed incident; `Invalid` for one not acknowledged yet; `Conflict`
    /// for a stale version; `NotFound` /
    /// `Forbidden` as for other changes.
    pub async fn set_hold(
        &self,
        viewer: &Viewer,
        id: IncidentId,
        expected_version: i64,
        reason: Option<Text>,
    ) -> Result<Incident, IncidentError> {
        let current = self.load_current(viewer, id, expected_version, Operation::Transition).await?;
        if current.status == Status::Closed {
            return Err(IncidentError::InvalidTransition {
                from: current.state(),
                to: None,
                allowed: super::machine::allowed_targets(&current),
                message: "a closed incident cannot be put on hold".into(),
            });
        }
        if reason.is_some() && current.milestones.acknowledged_at.is_none() {
            return Err(FieldError::new("incidentId", "acknowledge the incident before putting it on hold").into());
        }
        let mut next = self.next_version(&current);
        let operation = if reason.is_some() { "holdIncident" } else { "resumeIncident" };
        next.on_hold = reason;
        self.store(viewer, &current, next, None, operation).await
    }

    /// The incident's audit trail (leads of its team).
    ///
    /// # Errors
    /// `Forbidden` below lead; `NotFound` as for reads.
    pub async fn audit_trail(&self, viewer: &Viewer, id: IncidentId) -> Result<Vec<AuditEntry>, IncidentError> {
        let incident = self.load(viewer, id, Operation::ReadAudit).await?;
        Ok(self.incidents.audit_trail(incident.id).await?)
    }

    /// The events a caller may follow: those of `team` (every team of theirs when `None`), or of
    /// one incident they can see.
    ///
    /// # Errors
    /// `NotFound` for a team the caller is not in or an incident they cannot see, or an incident
    /// outside the named team.
    pub async fn event_scope(
        &self,
        viewer: &Viewer,
        team: Option<TeamId>,
        incident: Option<IncidentId>,
    ) -> Result<EventScope, IncidentError> {
        if let Some(team) = team
            && !viewer.can_read(team)
        {
            return Err(IncidentError::NotFound);
        }
        if let Some(id) = incident {
            let incident = self.load(viewer, id, Operation::Read).await?;
            if team.is_some_and(|team| team != incident.team_id) {
                return Err(IncidentError::NotFound);
            }
            return Ok(EventScope { teams: vec![incident.team_id], incident: Some(id) });
        }
        let teams = team.map_or_else(|| viewer.team_ids(), |team| vec![team]);
        if teams.is_empty() {
            return Err(IncidentError::NotFound);
        }
        Ok(EventScope { teams, incident: None })
    }

    /// The events in `scope` after `after` that the caller may see, oldest first, with their
    /// incidents; `read_up_to` is the position of the last event read, seen or not, so that a
    /// caller that continues from it skips nothing.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn events_after(
        &self,
        viewer: &Viewer,
        scope: &EventScope,
        after: EventPosition,
        limit: u64,
    ) -> Result<(Vec<EventWithIncident>, EventPosition), IncidentError> {
        let (mut delivered, read_up_to) = self.read_events(after, Some(scope), limit).await?;
        delivered.retain(|e| may_follow(viewer, scope, e));
        Ok((delivered, read_up_to))
    }

    /// Every team's events after `after`, oldest first, with their incidents and the position of
    /// the last event read, for a fan-out that checks [`may_follow`] for each of its subscribers.
    /// Not for answering a caller directly.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn feed_after(
        &self,
        after: EventPosition,
        limit: u64,
    ) -> Result<(Vec<EventWithIncident>, EventPosition), IncidentError> {
        self.read_events(after, None, limit).await
    }

    /// A batch of the log after `after` with its incidents, and the position of its last event.
    /// Pruning is checked after the read, which it may have overtaken: pruning removes events and
    /// records how far in one transaction, so a read that missed removed events sees the record.
    async fn read_events(
        &self,
        after: EventPosition,
        scope: Option<&EventScope>,
        limit: u64,
    ) -> Result<(Vec<EventWithIncident>, EventPosition), IncidentError> {
        let events = self.events.read(after, scope, limit.clamp(1, MAX_EVENT_BATCH)).await?;
        let pruned_through = self.events.pruned_through().await?;
        if after < pruned_through {
            return Err(IncidentError::CursorExpired { pruned_through: pruned_through.value() });
        }
        let read_up_to = events.last().map_or(after, |e| e.position);
        Ok((self.with_incidents(events).await?, read_up_to))
    }

    /// The position of the last committed event: a subscriber starting from it receives what
    /// happens next.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn event_head(&self) -> Result<EventPosition, IncidentError> {
        Ok(self.events.head().await?)
    }

    /// Waits until an event after `seen` may have committed, or `timeout` passes.
    pub async fn wait_for_events(&self, seen: EventPosition, timeout: std::time::Duration) {
        self.events.wait_after(seen, timeout).await;
    }

    async fn with_incidents(&self, events: Vec<IncidentEvent>) -> Result<Vec<EventWithIncident>, IncidentError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids: Vec<IncidentId> = events.iter().map(|e| e.incident_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let incidents = self.incidents.find_many(&ids).await?;
        Ok(events
            .into_iter()
            .filter_map(|event| {
                let incident = incidents.get(&event.incident_id)?.clone();
                Some(EventWithIncident { event, incident })
            })
            .collect())
    }

    fn next_version(&self, current: &Incident) -> Incident {
        let mut next = current.clone();
        next.version = current.version + 1;
        next.updated_at = self.clock.now();
        next
    }

    async fn check_owner(&self, incident: &Incident, owner: PersonId) -> Result<(), IncidentError> {
        match self.teams.role_of(owner, incident.team_id).await? {
            Some(role) if role >= Role::Responder => Ok(()),
            _ => Err(FieldError::new("ownerId", "the owner must be a responder or lead of the incident's team").into()),
        }
    }
}

/// Whether the viewer may see the incident at all: a member of its team, and for a restricted
/// incident also its owner, its reporter, a participant or a lead of the team.
#[must_use]
pub fn visible_to(viewer: &Viewer, incident: &Incident) -> bool {
    match viewer.role_in(incident.team_id) {
        None => false,
        Some(Role::Lead) => true,
        Some(_) if !incident.is_restricted() => true,
        Some(_) => {
            let me = viewer.person_id();
            incident.owner_id == Some(me) || incident.reported_by == me || incident.participants.contains(&me)
        }
    }
}

/// Whether a subscriber following `scope` is shown this event: it is in the scope and the
/// subscriber may see its incident as it stands now.
#[must_use]
pub fn may_follow(viewer: &Viewer, scope: &EventScope, event: &EventWithIncident) -> bool {
    scope.covers(&event.event) && visible_to(viewer, &event.incident)
}

fn readable(viewer: &Viewer, keys: &[VisibleIncident]) -> Vec<IncidentId> {
    keys.iter().filter(|k| viewer.can_read(k.team_id)).map(|k| k.id).collect()
}

/// Times are kept to the microsecond, the precision both databases store.
fn stored_precision(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

fn not_in_future(field: &'static str, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), FieldError> {
    if at > now + CLOCK_SKEW {
        return Err(FieldError::new(field, "must not be in the future"));
    }
    if at.year() < 1970 {
        return Err(FieldError::new(field, "must be after 1970"));
    }
    Ok(())
}
