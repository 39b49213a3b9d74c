//! The outbox: what the store has committed but the broker has not yet confirmed.
//!
//! Intake and the worker write to the store first, in the same transaction as the data
//! ("envelope stored, not yet published"; "document routed, event not yet sent"). The relay
//! publishes what is pending and marks it done only once the broker confirmed it. So a crash or
//! a broker outage between the commit and the publish delays a message, never loses it; the
//! price is that a message may go out twice, which consumers absorb (idempotent handlers).

use std::future::Future;
use std::sync::Arc;

use mailroom_domain::EnvelopeId;
use tokio::sync::Notify;

use super::message::Outbound;
use super::publisher::Publisher;
use super::{Backoff, BrokerConfig, BrokerError};

/// A routed document or event waiting in the store, with the store's id of that outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    /// The outbox row, given back to [`Outbox::mark_events_sent`].
    pub id: i64,
    /// What to publish.
    pub message: Outbound,
}

/// What the store offers the relay. Implemented by the store; tests use an in-memory one.
pub trait Outbox: Send + Sync + 'static {
    /// The store's error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Up to `limit` envelopes stored but not yet confirmed by the broker, oldest first.
    fn unpublished(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<EnvelopeId>, Self::Error>> + Send;

    /// Records that the broker confirmed these envelopes.
    fn mark_published(
        &self,
        ids: &[EnvelopeId],
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Up to `limit` routed documents and events not yet confirmed, oldest first.
    fn pending_events(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PendingEvent>, Self::Error>> + Send;

    /// Records that the broker confirmed these outbox rows.
    fn mark_events_sent(&self, ids: &[i64])
    -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// What a relay did before it stopped (for tests and the shutdown log line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// Envelopes confirmed and marked published.
    pub envelopes: u64,
    /// Routed documents and events confirmed and marked sent.
    pub events: u64,
    /// Passes that failed (broker or store down) and were retried after a backoff.
    pub failed_passes: u64,
}

/// Drains `outbox` into the broker until `shutdown` resolves.
///
/// It runs a pass at start, whenever `wake` is notified (intake calls `notify_one` after each
/// commit) and every [`BrokerConfig::relay_interval`]. A pass that fails drops the connection
/// and the next one comes after an exponential backoff; what was not confirmed stays pending in
/// the store and goes again.
pub async fn run_relay<O: Outbox>(
    config: BrokerConfig,
    outbox: Arc<O>,
    wake: Arc<Notify>,
    shutdown: impl Future<Output = ()> + Send,
) -> RelayReport {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut report = RelayReport::default();
    let mut publisher: Option<Publisher> = None;
    let mut backoff = Backoff::new(&config);
    loop {
        let pass = tokio::select! {
            () = &mut shutdown => break,
            pass = drain(&config, outbox.as_ref(), &mut publisher, &mut report) => pass,
        };
        let wait = match pass {
            Ok(()) => {
                backoff.reset();
                config.relay_interval
            }
            Err(error) => {
                report.failed_passes += 1;
                tracing::warn!(error = %error, source = ?std::error::Error::source(&error).map(ToString::to_string), "outbox relay pass failed, will retry");
                if let Some(p) = publisher.take() {
                    p.close().await;
                }
                backoff
                    .next_delay()
                    .min(config.relay_interval.max(config.backoff_min))
            }
        };
        tokio::select! {
            () = &mut shutdown => break,
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
    if let Some(p) = publisher {
        p.close().await;
    }
    tracing::info!(
        envelopes = report.envelopes,
        events = report.events,
        failed_passes = report.failed_passes,
        "outbox relay stopped"
    );
    report
}

/// One relay pass: publishes everything pending in `outbox`, then closes the connection.
/// `mailroom ingest` calls it after storing, so its envelopes go out at once when the broker
/// is up; when it is not, they stay in the outbox for a worker's [`run_relay`].
///
/// # Errors
///
/// The pass's [`BrokerError`]: the broker is unreachable or refused a message, or the store
/// failed. What was not confirmed stays pending.
pub async fn relay_once<O: Outbox>(
    config: &BrokerConfig,
    outbox: &O,
) -> Result<RelayReport, BrokerError> {
    let mut report = RelayReport::default();
    let mut publisher = None;
    let pass = drain(config, outbox, &mut publisher, &mut report).await;
    if let Some(p) = publisher {
        p.close().await;
    }
    pass.map(|()| report)
}

/// Publishes everything pending, batch by batch, until the outbox is empty or a batch is not
/// entirely confirmed (the rest waits for the next pass rather than spinning on a refusal).
async fn drain<O: Outbox>(
    config: &BrokerConfig,
    outbox: &O,
    publisher: &mut Option<Publisher>,
    report: &mut RelayReport,
) -> Result<(), BrokerError> {
    let limit = config.relay_batch.max(1);
    let store_err = |e: O::Error| BrokerError::Outbox(Box::new(e));
    loop {
        let ids = outbox.unpublished(limit).await.map_err(store_err)?;
        if ids.is_empty() {
            break;
        }
        let p = connected(config, publisher).await?;
        let confirmed = p.publish_envelopes(&ids).await?;
        if !confirmed.is_empty() {
            outbox.mark_published(&confirmed).await.map_err(store_err)?;
            report.envelopes += confirmed.len() as u64;
        }
        if confirmed.len() < ids.len() {
            return Err(BrokerError::NotConfirmed {
                routing_key: super::topology::ENVELOPE_KEY.into(),
            });
        }
    }
    loop {
        let events = outbox.pending_events(limit).await.map_err(store_err)?;
        if events.is_empty() {
            return Ok(());
        }
        let p = connected(config, publisher).await?;
        let messages: Vec<Outbound> = events.iter().map(|e| e.message.clone()).collect();
        let confirmed = p.publish_outbound(&messages).await?;
        let sent: Vec<i64> = events
            .iter()
            .zip(&confirmed)
            .filter(|(_, ok)| **ok)
            .map(|(e, _)| e.id)
            .collect();
        if !sent.is_empty() {
            outbox.mark_events_sent(&sent).await.map_err(store_err)?;
            report.events += sent.len() as u64;
        }
        if sent.len() < events.len() {
            let failed = events
                .iter()
                .zip(&confirmed)
                .find(|(_, ok)| !**ok)
                .map(|(e, _)| e);
            return Err(BrokerError::NotConfirmed {
                routing_key: failed.map(|e| e.message.routing_key()).unwrap_or_default(),
            });
        }
    }
}

/// The publisher, connecting it first if there is none.
async fn connected<'a>(
    config: &BrokerConfig,
    publisher: &'a mut Option<Publisher>,
) -> Result<&'a Publisher, BrokerError> {
    if publisher.is_none() {
        *publisher = Some(Publisher::connect(config).await?);
        tracing::info!("outbox relay connected to the broker");
    }
    Ok(publisher.as_ref().expect("set just above"))
}
