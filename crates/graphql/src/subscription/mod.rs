//! Subscription root: live incident events over WebSocket, resumable from a cursor.

mod hub;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use async_graphql::{Context, ID, Subscription};
use futures_util::Stream;
use taio_core::Viewer;
use taio_core::id::{IncidentId, TeamId};
use taio_core::incident::{EventPosition, EventScope, EventWithIncident, IncidentService, MAX_EVENT_BATCH, may_follow};
use taio_core::team::DirectoryService;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

pub use hub::{EventHub, HubOptions};

use crate::context::ContextExt;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::types::event::IncidentEvent;
use crate::types::ids::parse_opt_id;

/// Live updates.
#[derive(Default)]
pub struct SubscriptionRoot;

/// Live updates.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Every change to the incidents of `teamId` (all your teams when omitted), or of one
    /// incident: reported, acknowledged, classified, transitioned, action recorded, closed,
    /// reopened … in the order the changes committed, each once. Restricted incidents appear only
    /// to those who may see them. Pass the `cursor` of the last event you received as `after` to
    /// resume without a gap; without `after` the stream starts with the next change (read
    /// `eventCursor` with your first query to start from a known point). A subscriber that falls
    /// too far behind receives a `SUBSCRIPTION_LAGGED` error with `resumeAfter` and the stream
    /// ends; a revoked token ends it with `UNAUTHENTICATED`, a cursor from before pruned events
    /// with `CURSOR_EXPIRED`, and a connection may hold a limited number of subscriptions
    /// (`TOO_MANY_SUBSCRIPTIONS`).
    async fn incident_events(
        &self,
        ctx: &Context<'_>,
        team_id: Option<ID>,
        incident_id: Option<ID>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = Result<IncidentEvent, ApiError>> + use<>, ApiError> {
        let team = parse_opt_id("teamId", team_id.as_ref(), TeamId::from_uuid)?;
        let incident = parse_opt_id("incidentId", incident_id.as_ref(), IncidentId::from_uuid)?;
        let after = after.as_deref().map(EventPosition::parse_cursor).transpose()?;
        let request = ctx.request()?;
        let viewer = request.viewer.clone();
        let services = ctx.services()?;
        let hub = services.events.clone();
        let max = hub.options().per_connection;
        let slot = hub::ConnectionSlot::take(request.subscriptions.as_ref(), max).ok_or_else(|| {
            ApiError::new(
                ErrorCode::TooManySubscriptions,
                format!("this connection already has {max} subscriptions open; stop one or open another connection"),
            )
            .with("max", i64::try_from(max).unwrap_or(i64::MAX))
        })?;
        let scope = services.incidents.event_scope(&viewer, team, incident).await?;
        // Renewed before each read of the log (see `Follower::step`).
        let receiver = hub.subscribe();
        let start = match after {
            Some(after) => after,
            None => services.incidents.event_head().await?,
        };
        let follower = Follower {
            incidents: services.incidents.clone(),
            directory: services.directory.clone(),
            viewer,
            scope,
            receiver,
            last: start,
            pending: VecDeque::new(),
            catching_up: true,
            finished: false,
            checked_at: Instant::now(),
            recheck: hub.options().recheck,
            _open: hub.open(),
            _slot: slot,
        };
        Ok(futures_util::stream::unfold(follower, |mut follower| async move {
            let item = follower.next().await?;
            Some((item.map(IncidentEvent), follower))
        }))
    }
}

/// One subscription's progress: it reads the log from its cursor until it has caught up, then
/// follows the broadcast, skipping what it has already passed.
struct Follower {
    incidents: IncidentService,
    directory: DirectoryService,
    viewer: Viewer,
    scope: EventScope,
    receiver: broadcast::Receiver<Arc<EventWithIncident>>,
    /// Every event up to here was delivered or is not for this subscriber.
    last: EventPosition,
    pending: VecDeque<EventWithIncident>,
    catching_up: bool,
    finished: bool,
    checked_at: Instant,
    recheck: std::time::Duration,
    _open: hub::OpenSubscription,
    _slot: hub::ConnectionSlot,
}

impl Follower {
    async fn next(&mut self) -> Option<ApiResult<Arc<EventWithIncident>>> {
        if self.finished {
            return None;
        }
        let item = self.step().await;
        if item.is_err() {
            self.finished = true;
        }
        Some(item)
    }

    async fn step(&mut self) -> ApiResult<Arc<EventWithIncident>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Arc::new(event));
            }
            if self.checked_at.elapsed() >= self.recheck {
                self.recheck_viewer().await?;
            }
            if self.catching_up {
                // A fresh receiver before each read: whatever commits after the read is in it,
                // and it never holds more than one read's worth of events.
                self.receiver = self.receiver.resubscribe();
                let (page, read_up_to) =
                    self.incidents.events_after(&self.viewer, &self.scope, self.last, MAX_EVENT_BATCH).await?;
                self.catching_up = read_up_to != self.last;
                self.last = read_up_to;
                self.pending.extend(page);
                continue;
            }
            let wait = self.recheck.saturating_sub(self.checked_at.elapsed());
            match tokio::time::timeout(wait, self.receiver.recv()).await {
                Err(_) => {}
                Ok(Ok(event)) => {
                    if event.event.position <= self.last {
                        continue;
                    }
                    self.last = event.event.position;
                    if may_follow(&self.viewer, &self.scope, &event) {
                        return Ok(event);
                    }
                }
                Ok(Err(RecvError::Lagged(missed))) => return Err(lagged(self.last, missed)),
                Ok(Err(RecvError::Closed)) => {
                    return Err(ApiError::new(
                        ErrorCode::Unavailable,
                        "the event feed stopped; resume from your cursor",
                    )
                    .with("resumeAfter", self.last.cursor()));
                }
            }
        }
    }

    /// Ends the subscription once its token no longer works or its teams are no longer the
    /// caller's; otherwise keeps the caller's current roles.
    async fn recheck_viewer(&mut self) -> ApiResult<()> {
        self.checked_at = Instant::now();
        let Some(viewer) = self.directory.refresh(&self.viewer).await? else {
            return Err(ApiError::unauthenticated());
        };
        self.scope.teams.retain(|team| viewer.can_read(*team));
        self.viewer = viewer;
        if self.scope.teams.is_empty() {
            return Err(ApiError::new(ErrorCode::NotFound, "you no longer belong to the team these events are from"));
        }
        Ok(())
    }
}

pub(crate) fn lagged(last: EventPosition, missed: u64) -> ApiError {
    ApiError::new(
        ErrorCode::SubscriptionLagged,
        format!(
            "this subscription fell {missed} events behind and was stopped; subscribe again with after: resumeAfter"
        ),
    )
    .with("resumeAfter", last.cursor())
}
