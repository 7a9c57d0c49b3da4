//! The fan-out: one task per server follows the event log (woken by the storage's signal, with a
//! poll as a safety net) and broadcasts each event, with its incident, to this server's
//! subscribers. Each subscriber may fall at most `buffer` events behind; past that its receiver
//! reports the loss, never a silent gap.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use taio_core::IncidentError;
use taio_core::incident::{EventPosition, EventWithIncident, IncidentService, MAX_EVENT_BATCH};
use tokio::sync::broadcast;

/// How the fan-out runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubOptions {
    /// How many events a subscriber may fall behind before it is told to resume.
    pub buffer: usize,
    /// Longest wait between two reads of the log when no wake-up comes.
    pub poll: Duration,
    /// How often a subscription checks that its token is still valid and its teams still its own.
    pub recheck: Duration,
    /// Most subscriptions one WebSocket connection may have open at once.
    pub per_connection: usize,
}

impl Default for HubOptions {
    fn default() -> Self {
        Self { buffer: 1024, poll: Duration::from_secs(1), recheck: Duration::from_secs(30), per_connection: 32 }
    }
}

/// One server's event fan-out. Cloning shares it.
#[derive(Clone)]
pub struct EventHub {
    sender: broadcast::Sender<Arc<EventWithIncident>>,
    options: HubOptions,
    active: Arc<AtomicI64>,
    broadcast_position: Arc<AtomicI64>,
}

impl std::fmt::Debug for EventHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHub")
            .field("options", &self.options)
            .field("subscriptions", &self.active_subscriptions())
            .finish_non_exhaustive()
    }
}

impl EventHub {
    /// Starts following the log from its current head, in a task of the current Tokio runtime.
    #[must_use]
    pub fn start(incidents: IncidentService, options: HubOptions) -> Self {
        let (sender, _) = broadcast::channel(options.buffer.max(1));
        let hub = Self {
            sender,
            options,
            active: Arc::new(AtomicI64::new(0)),
            broadcast_position: Arc::new(AtomicI64::new(0)),
        };
        tokio::spawn(follow(incidents, hub.sender.clone(), options, Arc::clone(&hub.broadcast_position)));
        hub
    }

    /// A receiver of every event broadcast from now on, unfiltered: subscriptions check
    /// [`taio_core::incident::may_follow`] on each.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<EventWithIncident>> {
        self.sender.subscribe()
    }

    /// The options it runs with.
    #[must_use]
    pub fn options(&self) -> HubOptions {
        self.options
    }

    /// How many subscriptions are open on this server.
    #[must_use]
    pub fn active_subscriptions(&self) -> i64 {
        self.active.load(Ordering::Relaxed)
    }

    /// The position of the last event broadcast.
    #[must_use]
    pub fn broadcast_up_to(&self) -> EventPosition {
        EventPosition::from_stored(self.broadcast_position.load(Ordering::Relaxed))
    }

    /// Counts a subscription as open until the guard is dropped.
    pub(crate) fn open(&self) -> OpenSubscription {
        self.active.fetch_add(1, Ordering::Relaxed);
        OpenSubscription(Arc::clone(&self.active))
    }
}

/// An open subscription, counted until dropped.
pub(crate) struct OpenSubscription(Arc<AtomicI64>);

impl Drop for OpenSubscription {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A subscription's place among its connection's, given back when dropped.
pub(crate) struct ConnectionSlot(Option<Arc<AtomicUsize>>);

impl ConnectionSlot {
    /// Takes a place among at most `max` on `connection` (no limit off a WebSocket connection);
    /// `None` when all are taken.
    pub(crate) fn take(connection: Option<&Arc<AtomicUsize>>, max: usize) -> Option<Self> {
        let Some(open) = connection else { return Some(Self(None)) };
        open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1)).ok()?;
        Some(Self(Some(Arc::clone(open))))
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        if let Some(open) = &self.0 {
            open.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

async fn follow(
    incidents: IncidentService,
    sender: broadcast::Sender<Arc<EventWithIncident>>,
    options: HubOptions,
    broadcast_position: Arc<AtomicI64>,
) {
    let mut last = loop {
        match incidents.event_head().await {
            Ok(head) => break head,
            Err(error) => {
                tracing::warn!(?error, "event fan-out cannot read the log head; retrying");
                tokio::time::sleep(options.poll).await;
            }
        }
    };
    broadcast_position.store(last.value(), Ordering::Relaxed);
    loop {
        match incidents.feed_after(last, MAX_EVENT_BATCH).await {
            Ok((events, read_up_to)) => {
                let full = read_up_to.value() - last.value() >= i64::try_from(MAX_EVENT_BATCH).unwrap_or(i64::MAX);
                for event in events {
                    // No receivers is not an error: nobody is subscribed right now.
                    let _ = sender.send(Arc::new(event));
                }
                last = read_up_to;
                broadcast_position.store(last.value(), Ordering::Relaxed);
                if !full {
                    incidents.wait_for_events(last, options.poll).await;
                }
            }
            Err(IncidentError::CursorExpired { pruned_through }) => {
                // Pruned past what this server had read: its subscribers resume and are told.
                tracing::warn!(pruned_through, "events this server had not read yet were pruned; skipping them");
                last = last.max(EventPosition::from_stored(pruned_through));
            }
            Err(error) => {
                tracing::warn!(?error, "event fan-out cannot read the log; retrying");
                tokio::time::sleep(options.poll).await;
            }
        }
    }
}
