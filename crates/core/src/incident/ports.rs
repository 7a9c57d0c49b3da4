//! What the incident service needs from storage.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::action::Action;
use super::enums::{Priority, Severity, Stage, Status};
use super::event::{EventPosition, EventScope, IncidentEvent};
use super::key::IncidentKey;
use super::model::{Incident, NewIncident, Transition};
use crate::access::Audit;
use crate::catalog::ServiceCode;
use crate::error::RepoError;
use crate::id::{ActionId, IncidentId, PersonId, TeamId};

/// Who is reading, for restricted incidents: those are returned only to their owner, their
/// participants and the leads of their team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    /// The person reading.
    pub person: PersonId,
    /// The teams where they are a lead.
    pub lead_of: Vec<TeamId>,
}

/// A filtered, keyset-paginated read of incidents.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentQuery {
    /// Teams to read from; never empty (the caller's visible teams, narrowed by the filter).
    pub teams: Vec<TeamId>,
    /// Who reads, so that restricted incidents are filtered out for others.
    pub reader: Reader,
    /// Any of these stages.
    pub stages: Vec<Stage>,
    /// This status.
    pub status: Option<Status>,
    /// Any of these severities.
    pub severities: Vec<Severity>,
    /// Any of these priorities.
    pub priorities: Vec<Priority>,
    /// Owned by this person.
    pub owner: Option<PersonId>,
    /// Has an action that exercised this catalog service.
    pub service: Option<ServiceCode>,
    /// Reported at or after.
    pub reported_from: Option<DateTime<Utc>>,
    /// Reported before.
    pub reported_to: Option<DateTime<Utc>>,
    /// Case-insensitive substring of key, title or description.
    pub text: Option<String>,
    /// Continue after this position.
    pub after: Option<PageCursor>,
    /// Page size.
    pub limit: u64,
}

/// A position in the incident order (newest report first, then id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCursor {
    /// Reported time of the last incident seen.
    pub reported_at: DateTime<Utc>,
    /// Its id, to break ties.
    pub id: IncidentId,
}

/// One page of incidents.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentPage {
    /// The incidents, in order.
    pub incidents: Vec<Incident>,
    /// Whether more follow.
    pub has_next_page: bool,
    /// How many match the filter in all.
    pub total_count: u64,
}

/// Incident storage.
#[async_trait]
pub trait IncidentRepository: Send + Sync + std::fmt::Debug {
    /// Stores a new incident in D-1 with its report transition, audit record and `REPORTED` event,
    /// giving it the next key of its team and year, in one transaction.
    ///
    /// # Errors
    /// [`RepoError::MissingReference`] when the team or reporter does not exist;
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`] otherwise.
    async fn create(&self, incident: NewIncident, audit: &Audit) -> Result<Incident, RepoError>;

    /// The incident with this id.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn find(&self, id: IncidentId) -> Result<Option<Incident>, RepoError>;

    /// The incidents with these ids that exist.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn find_many(&self, ids: &[IncidentId]) -> Result<HashMap<IncidentId, Incident>, RepoError>;

    /// The incidents with this key in any of `teams` (keys are unique per team only).
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn find_by_key(&self, teams: &[TeamId], key: &IncidentKey) -> Result<Vec<Incident>, RepoError>;

    /// A page of incidents matching `query`, with the total count.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn list(&self, query: &IncidentQuery) -> Result<IncidentPage, RepoError>;

    /// Writes `incident` (whose version is `previous.version + 1`) only if the stored version is
    /// still `previous.version`, and stores `transition`, the audit record and the change's event
    /// ([`super::NewEvent::updated`]) with it, in one transaction.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] when the stored version moved on (nothing is written);
    /// [`RepoError::MissingReference`] for an unknown owner or duplicate target.
    async fn update(
        &self,
        previous: &Incident,
        incident: &Incident,
        transition: Option<&Transition>,
        audit: &Audit,
    ) -> Result<(), RepoError>;

    /// The transitions of each incident, oldest first.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn transitions_for(&self, ids: &[IncidentId]) -> Result<HashMap<IncidentId, Vec<Transition>>, RepoError>;

    /// The audit trail of an incident, oldest first.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn audit_trail(&self, id: IncidentId) -> Result<Vec<AuditEntry>, RepoError>;
}

/// One record of an incident's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub person: Option<PersonId>,
    /// With which token.
    pub token: Option<crate::id::TokenId>,
    /// The API operation.
    pub operation: String,
    /// What kind of object changed (`incident`, `action`).
    pub object_type: String,
    /// Which object.
    pub object_id: String,
    /// Digest of the object before.
    pub before_digest: Option<String>,
    /// Digest of the object after.
    pub after_digest: Option<String>,
    /// The request.
    pub request_id: Option<String>,
    /// The previous record's hash.
    pub prev_hash: String,
    /// This record's hash.
    pub hash: String,
}

/// What appending an action changes on its incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionEffects {
    /// The action is a D-6 notification: set `firstNotifiedAt` if unset.
    pub notified_at: Option<DateTime<Utc>>,
    /// The action is a D-7 response report: set `reportRecordedAt`.
    pub report_recorded_at: Option<DateTime<Utc>>,
    /// Server time, the incident's new `updatedAt`.
    pub at: DateTime<Utc>,
}

/// Action storage (append-only).
#[async_trait]
pub trait ActionRepository: Send + Sync + std::fmt::Debug {
    /// Appends `action` with its services, audit record and `ACTION_RECORDED` event and bumps its
    /// incident's version, applying `effects`, in one transaction. Returns the incident's new
    /// version.
    ///
    /// # Errors
    /// [`RepoError::MissingReference`] when a service code is not in the stored catalog or the
    /// incident is gone; nothing is written then.
    async fn append(&self, action: &Action, effects: ActionEffects, audit: &Audit) -> Result<i64, RepoError>;

    /// The action with this id.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn find(&self, id: ActionId) -> Result<Option<Action>, RepoError>;

    /// The actions of each incident, in the order they were performed.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn for_incidents(&self, ids: &[IncidentId]) -> Result<HashMap<IncidentId, Vec<Action>>, RepoError>;
}

/// The event log (the outbox): read in position order, which is commit order.
#[async_trait]
pub trait EventLog: Send + Sync + std::fmt::Debug {
    /// At most `limit` events after `after`, oldest first, in `scope` (every team when `None`).
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn read(
        &self,
        after: EventPosition,
        scope: Option<&EventScope>,
        limit: u64,
    ) -> Result<Vec<IncidentEvent>, RepoError>;

    /// The position of the last committed event.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn head(&self) -> Result<EventPosition, RepoError>;

    /// The last position removed by pruning ([`EventPosition::START`] when none was): a read
    /// after an older position would miss events.
    ///
    /// # Errors
    /// [`RepoError::Unavailable`] / [`RepoError::Internal`].
    async fn pruned_through(&self) -> Result<EventPosition, RepoError>;

    /// Returns when an event after `seen` may have committed (a wake-up from this process or, on
    /// PostgreSQL, a notification from any server), or after `timeout` at the latest. A wake-up
    /// is a hint: the caller reads the log to learn what is there.
    async fn wait_after(&self, seen: EventPosition, timeout: std::time::Duration);
}
