//! The in-process event bus of `mailroom run`, the one-machine mode without a broker.
//!
//! What the store's outbox holds for downstream systems (documents routed to a service,
//! `document.ready.<class>`, and the validations: `membership.validated`, `claim.validated`,
//! `complaint.registered`) is delivered here instead of to RabbitMQ:
//!
//! 1. appended to a JSON-lines journal (one `{"routing_key", "body"}` object per line, flushed
//!    to disk) that the downstream tools of a one-machine install read or tail;
//! 2. broadcast to subscribers in this process ([`EventBus::subscribe`]);
//! 3. only then marked sent in the store.
//!
//! The same outbox rows, the same typed bodies ([`Outbound`]: ids and business values, never a
//! name, a NIR or an IBAN) and the same guarantee as the broker relay: a crash between 1 and 3
//! sends an event again at the next start, never loses it, so consumers key their work by
//! (envelope, document, routing key).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, broadcast};

use crate::broker::{Outbound, Outbox};

/// One event as subscribers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusEvent {
    /// The routing key the broker would have used (`claim.validated`, `route.prestations`…).
    pub routing_key: String,
    /// The typed body.
    pub message: Outbound,
}

/// The bus: cheap to clone; subscribers that fall behind by more than its capacity miss the
/// oldest events (the journal still has them).
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<BusEvent>,
}

impl EventBus {
    /// A bus keeping up to `capacity` events for slow subscribers.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        EventBus { tx }
    }

    /// Events delivered from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<BusEvent> {
        self.tx.subscribe()
    }
}

/// Where and how often the bus delivers.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// The JSON-lines journal; `None` for subscribers in this process only.
    pub journal: Option<PathBuf>,
    /// A pass runs at least this often, and whenever it is woken.
    pub interval: Duration,
    /// Outbox rows read per batch.
    pub batch: usize,
}

impl Default for BusConfig {
    fn default() -> Self {
        BusConfig {
            journal: None,
            interval: Duration::from_secs(2),
            batch: 200,
        }
    }
}

/// Why a delivery pass stopped; the next pass retries.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The store could not be read or updated.
    #[error("the outbox could not be read or updated")]
    Outbox(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The journal could not be written.
    #[error("the event journal {path} could not be written")]
    Journal {
        /// The journal.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

/// Delivers pending events until `shutdown`, a pass every `interval` or when `wake` fires.
/// Returns how many events it delivered.
pub async fn run_bus<O: Outbox>(
    bus: EventBus,
    outbox: Arc<O>,
    config: BusConfig,
    wake: Arc<Notify>,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> u64 {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut delivered = 0;
    loop {
        match deliver_pending(&bus, outbox.as_ref(), &config).await {
            Ok(n) => delivered += n,
            Err(error) => {
                tracing::warn!(error = %error, source = ?std::error::Error::source(&error).map(ToString::to_string), "event delivery pass failed, will retry");
            }
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(config.interval) => {}
        }
    }
    // What was committed just before the stop goes out too.
    if let Ok(n) = deliver_pending(&bus, outbox.as_ref(), &config).await {
        delivered += n;
    }
    delivered
}

/// One pass: every pending event, batch by batch, journal first, then subscribers, then the
/// store. Returns how many were delivered.
///
/// # Errors
/// [`BusError`] when the store or the journal fails; what was not marked sent is delivered
/// again by a later pass.
pub async fn deliver_pending<O: Outbox>(
    bus: &EventBus,
    outbox: &O,
    config: &BusConfig,
) -> Result<u64, BusError> {
    let mut delivered = 0;
    loop {
        let events = outbox
            .pending_events(config.batch.max(1))
            .await
            .map_err(|e| BusError::Outbox(Box::new(e)))?;
        if events.is_empty() {
            return Ok(delivered);
        }
        let out: Vec<BusEvent> = events
            .iter()
            .map(|e| BusEvent {
                routing_key: e.message.routing_key(),
                message: e.message.clone(),
            })
            .collect();
        if let Some(path) = &config.journal {
            append(path.clone(), &out).await?;
        }
        for e in out {
            // No subscriber is not an error: the journal has it.
            let _ = bus.tx.send(e);
        }
        let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
        outbox
            .mark_events_sent(&ids)
            .await
            .map_err(|e| BusError::Outbox(Box::new(e)))?;
        delivered += ids.len() as u64;
        tracing::debug!(events = ids.len(), "events delivered on the in-process bus");
    }
}

/// Appends the events to the journal and flushes them to disk, off the async threads.
async fn append(path: PathBuf, events: &[BusEvent]) -> Result<(), BusError> {
    let mut lines = Vec::new();
    for e in events {
        // The body as the broker would carry it, spliced in as is (it is JSON already).
        let body = e.message.body().unwrap_or_else(|_| b"null".to_vec());
        let key = serde_json::to_string(&e.routing_key).unwrap_or_default();
        lines.extend_from_slice(br#"{"routing_key":"#);
        lines.extend_from_slice(key.as_bytes());
        lines.extend_from_slice(br#","body":"#);
        lines.extend_from_slice(&body);
        lines.extend_from_slice(b"}\n");
    }
    let p = path.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)?;
        f.write_all(&lines)?;
        f.sync_data()
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())))
    .map_err(|source| BusError::Journal { path, source })
}
