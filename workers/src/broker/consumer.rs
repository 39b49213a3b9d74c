//! Consuming envelopes: manual acks after the handler, bounded concurrency, recovery, graceful
//! shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_lite::StreamExt;
use lapin::message::Delivery as LapinDelivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Acker, Channel, Connection, Event};
use mailroom_domain::EnvelopeId;
use mailroom_telemetry::metrics::{Settlement, metrics};
use tokio::task::JoinSet;

use super::message::EnvelopeMessage;
use super::{Backoff, BrokerConfig, BrokerError};

/// What the handler made of an envelope. It is returned only after the store committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Processed and committed (or found already processed): ack.
    Done,
    /// Failed in a way that may pass (store unreachable, OCR pool restarting): requeue. After
    /// the delivery limit the broker dead-letters it.
    Retry,
    /// Can never succeed: dead-letter now. The handler has recorded the reason in the store;
    /// the reason is not logged nor put in any message (it may quote the document).
    Poison(String),
}

/// Which delivery of an envelope this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// 1 for the first delivery; quorum queues count the others in `x-delivery-count`.
    pub number: u32,
    /// The last attempt the broker allows (delivery limit + 1).
    pub max: u32,
}

impl Attempt {
    /// Whether the broker dead-letters the envelope if this attempt fails too: the handler
    /// should then record why in the store.
    pub fn is_last(&self) -> bool {
        self.number >= self.max
    }
}

/// Whether an ack or nack reached the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acked {
    /// The broker has it.
    Yes,
    /// The channel this delivery came on is gone (lapin answered `false` after a recovery):
    /// the broker has already requeued the message and will deliver it again.
    Stale,
}

/// One envelope taken from the queue. Its ack, retry and dead-letter consume it, so it can be
/// settled only once.
#[derive(Debug)]
pub struct Delivery {
    envelope: EnvelopeId,
    attempt: Attempt,
    acker: Acker,
}

impl Delivery {
    /// The envelope to process.
    pub fn envelope(&self) -> &EnvelopeId {
        &self.envelope
    }

    /// Which delivery this is.
    pub fn attempt(&self) -> Attempt {
        self.attempt
    }

    /// Acks: the envelope is done.
    ///
    /// # Errors
    ///
    /// [`BrokerError::Channel`] when the ack could not be sent; the broker then redelivers.
    pub async fn ack(self) -> Result<Acked, BrokerError> {
        settled(self.acker.ack(BasicAckOptions::default()).await, "ack")
    }

    /// Requeues the envelope for another attempt.
    ///
    /// # Errors
    ///
    /// As [`ack`](Self::ack).
    pub async fn retry(self) -> Result<Acked, BrokerError> {
        nack(&self.acker, true).await
    }

    /// Dead-letters the envelope now.
    ///
    /// # Errors
    ///
    /// As [`ack`](Self::ack).
    pub async fn dead_letter(self) -> Result<Acked, BrokerError> {
        nack(&self.acker, false).await
    }
}

async fn nack(acker: &Acker, requeue: bool) -> Result<Acked, BrokerError> {
    let opts = BasicNackOptions {
        requeue,
        multiple: false,
    };
    settled(acker.nack(opts).await, "nack")
}

fn settled(result: lapin::Result<bool>, operation: &'static str) -> Result<Acked, BrokerError> {
    match result {
        Ok(true) => Ok(Acked::Yes),
        Ok(false) => Ok(Acked::Stale),
        Err(source) => Err(BrokerError::Channel { operation, source }),
    }
}

/// `x-delivery-count`, whatever integer type the broker used.
fn delivery_count(headers: Option<&FieldTable>) -> u32 {
    let Some(value) = headers.and_then(|h| h.inner().get("x-delivery-count")) else {
        return 0;
    };
    let n: i64 = match value {
        AMQPValue::ShortShortInt(v) => (*v).into(),
        AMQPValue::ShortShortUInt(v) => (*v).into(),
        AMQPValue::ShortInt(v) => (*v).into(),
        AMQPValue::ShortUInt(v) => (*v).into(),
        AMQPValue::LongInt(v) => (*v).into(),
        AMQPValue::LongUInt(v) => (*v).into(),
        AMQPValue::LongLongInt(v) => *v,
        _ => 0,
    };
    u32::try_from(n).unwrap_or(0)
}

/// What a consumer did before it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsumerReport {
    /// Acked after [`Outcome::Done`].
    pub done: u64,
    /// Requeued after [`Outcome::Retry`] or a handler panic.
    pub retried: u64,
    /// Dead-lettered after [`Outcome::Poison`].
    pub poisoned: u64,
    /// Bodies that were not an envelope message, dead-lettered unread.
    pub malformed: u64,
    /// Settlements lapin answered `false` to (the channel was recovered meanwhile).
    pub stale: u64,
    /// Deliveries handed back to the queue at shutdown (never started, or still running when
    /// the grace period ended).
    pub returned: u64,
    /// Times the consumer's connection was recovered by lapin or opened again.
    pub recoveries: u64,
}

impl ConsumerReport {
    fn with_recoveries(mut self, health: &Health) -> Self {
        self.recoveries += health.recoveries;
        self
    }

    fn count(&mut self, settled: Settled) {
        match settled {
            Settled::Done => self.done += 1,
            Settled::Retried => self.retried += 1,
            Settled::Poisoned => self.poisoned += 1,
            Settled::Stale => self.stale += 1,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Settled {
    Done,
    Retried,
    Poisoned,
    Stale,
}

/// Runs `handler` on every envelope of the queue until `shutdown` resolves.
///
/// At most [`BrokerConfig::prefetch`] handlers run at once (the broker sends no more unacked
/// deliveries than that, and the loop takes no more). Each handler runs in its own task; a panic
/// counts as [`Outcome::Retry`]. The consumer survives broker outages: lapin recovers the
/// connection and resumes the consumer, and if that fails the loop reconnects with a backoff.
///
/// On shutdown it cancels the consumer (no new deliveries), hands back deliveries not yet
/// started, lets running handlers finish for [`BrokerConfig::shutdown_grace`] and then aborts
/// the rest (their envelopes go back to the queue when the channel closes), and closes the
/// channel and the connection.
///
/// # Errors
///
/// Only [`BrokerError::InvalidUrl`]: every broker failure is retried.
pub async fn run_consumer<H, Fut>(
    config: &BrokerConfig,
    handler: H,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<ConsumerReport, BrokerError>
where
    H: Fn(EnvelopeId, Attempt) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let handler = Arc::new(handler);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut report = ConsumerReport::default();
    let mut in_flight: JoinSet<Settled> = JoinSet::new();
    let mut backoff = Backoff::new(config);
    let names = config.names();
    let max_attempt = config.delivery_limit.saturating_add(1);
    let slots = usize::from(config.prefetch.max(1));
    let mut health = Health::new(config);
    loop {
        let session = tokio::select! {
            () = &mut shutdown => {
                drain_in_flight(&mut in_flight, config.shutdown_grace, &mut report).await;
                return Ok(report.with_recoveries(&health));
            }
            session = open_session(config) => session,
        };
        let (connection, channel, mut consumer, _watcher) = match session {
            Ok(session) => session,
            Err(BrokerError::InvalidUrl) => return Err(BrokerError::InvalidUrl),
            Err(error) => {
                let delay = backoff.next_delay();
                tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "consumer cannot reach the broker");
                tokio::select! {
                    () = &mut shutdown => {
                        drain_in_flight(&mut in_flight, config.shutdown_grace, &mut report).await;
                        return Ok(report.with_recoveries(&health));
                    }
                    () = tokio::time::sleep(delay) => continue,
                }
            }
        };
        backoff.reset();
        tracing::info!(queue = %names.envelopes, prefetch = config.prefetch, "consumer started");
        let mut tick = tokio::time::interval(HEALTH_CHECK);
        health.down_since = None;
        let stop = loop {
            tokio::select! {
                biased;
                () = &mut shutdown => break true,
                _ = tick.tick() => if health.dead(&connection, &channel) {
                    tracing::warn!("consumer connection gave up recovering, reconnecting");
                    break false;
                },
                Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                    match joined {
                        Ok(settled) => report.count(settled),
                        Err(e) => tracing::error!(error = %e, "delivery task failed"),
                    }
                }
                next = consumer.next(), if in_flight.len() < slots => match next {
                    Some(Ok(delivery)) => {
                        // A delivery after an outage is the first sign of a recovery.
                        health.observe(&connection, &channel);
                        if let Some(task) = start(delivery, max_attempt, &mut report).await {
                            let handler = Arc::clone(&handler);
                            in_flight.spawn(task.run(handler, config.op_timeout));
                        }
                    }
                    Some(Err(error)) => {
                        tracing::warn!(error = %error, "consumer lost the broker, waiting for recovery");
                        let error_copy = error.clone();
                        let recovery = tokio::select! {
                            () = &mut shutdown => break true,
                            r = channel.wait_for_recovery(error) => r,
                            () = health.until_dead(&connection, &channel) => Err(error_copy),
                        };
                        match recovery {
                            // Counted by the health check.
                            Ok(()) => tracing::info!("consumer resumed"),
                            Err(error) => {
                                tracing::warn!(error = %error, "consumer recovery failed, reconnecting");
                                break false;
                            }
                        }
                    }
                    None => {
                        tracing::warn!("consumer was cancelled by the broker, reconnecting");
                        break false;
                    }
                },
            }
        };
        if stop {
            health.observe(&connection, &channel);
            stop_session(
                config,
                &connection,
                &channel,
                consumer,
                &mut in_flight,
                &mut report,
            )
            .await;
            return Ok(report.with_recoveries(&health));
        }
        report.recoveries += 1;
        let _ = connection.close(200, "reconnect".into()).await;
        tokio::select! {
            () = &mut shutdown => {
                drain_in_flight(&mut in_flight, config.shutdown_grace, &mut report).await;
                return Ok(report.with_recoveries(&health));
            }
            () = tokio::time::sleep(backoff.next_delay()) => {}
        }
    }
}

/// How often the consumer checks that lapin has not given up on its connection.
const HEALTH_CHECK: Duration = Duration::from_secs(1);

/// Tells when lapin's recovery has failed. lapin does not always say so: after a failed
/// reconnect attempt the connection can stay "reconnecting" for ever without waking the
/// consumer (seen with lapin 4.12.3 and a broker down longer than its backoff), so a connection
/// that is not connected for longer than [`BrokerConfig::recovery_timeout`] counts as dead.
struct Health {
    timeout: Duration,
    down_since: Option<tokio::time::Instant>,
    /// Times the connection came back after being seen down.
    recoveries: u64,
}

impl Health {
    fn new(config: &BrokerConfig) -> Self {
        Health {
            timeout: config.recovery_timeout,
            down_since: None,
            recoveries: 0,
        }
    }

    fn dead(&mut self, connection: &Connection, channel: &Channel) -> bool {
        let status = connection.status();
        if status.errored() || status.closed() {
            return true;
        }
        // During a recovery the connection can read "connected" while the channel is still
        // "reconnecting": both must be up.
        if status.connected() && channel.status().connected() {
            if self.down_since.take().is_some() {
                self.recoveries += 1;
                tracing::info!("consumer connection recovered");
            }
            return false;
        }
        let since = *self
            .down_since
            .get_or_insert_with(tokio::time::Instant::now);
        since.elapsed() > self.timeout
    }

    /// Updates the outage bookkeeping (counts a recovery) without asking for a verdict.
    fn observe(&mut self, connection: &Connection, channel: &Channel) {
        let _ = self.dead(connection, channel);
    }

    /// Resolves once the connection is dead.
    async fn until_dead(&mut self, connection: &Connection, channel: &Channel) {
        while !self.dead(connection, channel) {
            tokio::time::sleep(HEALTH_CHECK).await;
        }
    }
}

/// Connects, declares the topology, sets the prefetch and starts consuming. The last part is a
/// task that logs the connection's events.
async fn open_session(
    config: &BrokerConfig,
) -> Result<(Connection, Channel, lapin::Consumer, AbortOnDrop<()>), BrokerError> {
    let (connection, channel) = config.open("mailroom worker", true).await?;
    let watcher = AbortOnDrop(tokio::spawn(watch_events(connection.events_listener())));
    let chan = |operation: &'static str| {
        move |source: lapin::Error| BrokerError::Channel { operation, source }
    };
    let names = config.names();
    channel
        .basic_qos(config.prefetch.max(1), BasicQosOptions::default())
        .await
        .map_err(chan("qos"))?;
    let consumer = channel
        .basic_consume(
            names.envelopes.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(chan("consume"))?;
    Ok((connection, channel, consumer, watcher))
}

/// Logs what happens to the connection: lapin recovers it without the consumer stream
/// seeing an error, so this is where a loss shows.
async fn watch_events(mut events: impl futures_lite::Stream<Item = Event> + Unpin) {
    while let Some(event) = events.next().await {
        match event {
            Event::Error(error) => {
                tracing::warn!(error = %error, "consumer connection lost, recovering");
            }
            Event::ConnectionBlocked(reason) => {
                tracing::warn!(reason = %reason, "broker blocked the connection");
            }
            _ => {}
        }
    }
}

/// An ack, retry or dead-letter under way.
type SettleFuture = std::pin::Pin<Box<dyn Future<Output = Result<Acked, BrokerError>> + Send>>;

/// A delivery ready to be handled.
struct Task {
    delivery: Delivery,
}

impl Task {
    async fn run<H, Fut>(self, handler: Arc<H>, op_timeout: Duration) -> Settled
    where
        H: Fn(EnvelopeId, Attempt) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
    {
        let Task { delivery } = self;
        let envelope = delivery.envelope.clone();
        let attempt = delivery.attempt;
        // Its own task, so a panic in the handler is caught here and becomes a retry; the guard
        // aborts it if this task is aborted at the end of the shutdown grace.
        let mut handle = AbortOnDrop(tokio::spawn(handler(envelope.clone(), attempt)));
        let outcome = match (&mut handle.0).await {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::error!(envelope = %envelope, attempt = attempt.number, panic = e.is_panic(), "envelope handler crashed");
                Outcome::Retry
            }
        };
        let (settle, settled) = match outcome {
            Outcome::Done => (Box::pin(delivery.ack()) as SettleFuture, Settled::Done),
            Outcome::Retry => {
                tracing::info!(envelope = %envelope, attempt = attempt.number, max = attempt.max, "envelope will be retried");
                (Box::pin(delivery.retry()) as SettleFuture, Settled::Retried)
            }
            Outcome::Poison(_reason) => {
                tracing::warn!(envelope = %envelope, attempt = attempt.number, "envelope dead-lettered as poison");
                (
                    Box::pin(delivery.dead_letter()) as SettleFuture,
                    Settled::Poisoned,
                )
            }
        };
        // Bounded: a channel stuck in recovery must not hold a prefetch slot for ever.
        let result = tokio::time::timeout(op_timeout, settle)
            .await
            .unwrap_or(Err(BrokerError::Timeout { operation: "ack" }));
        match result {
            Ok(Acked::Yes) => {
                metrics().delivery(match settled {
                    Settled::Done => Settlement::Acked,
                    Settled::Retried => Settlement::Retried,
                    Settled::Poisoned => Settlement::DeadLettered,
                    Settled::Stale => Settlement::Stale,
                });
                settled
            }
            Ok(Acked::Stale) => {
                metrics().delivery(Settlement::Stale);
                tracing::info!(envelope = %envelope, "settlement after a reconnect was stale, the broker redelivers");
                Settled::Stale
            }
            Err(error) => {
                metrics().delivery(Settlement::Stale);
                tracing::warn!(envelope = %envelope, error = %error, "settlement failed, the broker redelivers");
                Settled::Stale
            }
        }
    }
}

/// Aborts the task when dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Wraps a lapin delivery; a body that is not an envelope message is dead-lettered at once.
async fn start(delivery: LapinDelivery, max: u32, report: &mut ConsumerReport) -> Option<Task> {
    let count = delivery_count(delivery.properties.headers().as_ref());
    let attempt = Attempt {
        number: count.saturating_add(1),
        max,
    };
    match serde_json::from_slice::<EnvelopeMessage>(&delivery.data) {
        Ok(message) => Some(Task {
            delivery: Delivery {
                envelope: message.envelope,
                attempt,
                acker: delivery.acker,
            },
        }),
        Err(_) => {
            // The body is not logged: it is not ours and may hold anything.
            tracing::warn!(
                bytes = delivery.data.len(),
                "malformed envelope message dead-lettered"
            );
            report.malformed += 1;
            metrics().delivery(Settlement::Malformed);
            if let Ok(Acked::Stale) | Err(_) = nack(&delivery.acker, false).await {
                report.stale += 1;
            }
            None
        }
    }
}

/// The graceful end of a session: cancel, hand back what was not started, let running work
/// finish within the grace, close.
async fn stop_session(
    config: &BrokerConfig,
    connection: &Connection,
    channel: &Channel,
    mut consumer: lapin::Consumer,
    in_flight: &mut JoinSet<Settled>,
    report: &mut ConsumerReport,
) {
    tracing::info!(in_flight = in_flight.len(), "consumer stopping");
    let tag = consumer.tag();
    if let Err(error) = channel
        .basic_cancel(tag, BasicCancelOptions::default())
        .await
    {
        tracing::warn!(error = %error, "consumer cancel failed");
    }
    // Deliveries the broker sent before the cancel took effect: never started, hand them back.
    // The stream ends once the cancel is confirmed; bounded in case it never is.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(delivery)) = consumer.next().await {
            if nack(&delivery.acker, true).await.is_ok() {
                report.returned += 1;
                metrics().delivery(Settlement::Returned);
            }
        }
    })
    .await;
    drain_in_flight(in_flight, config.shutdown_grace, report).await;
    let _ = channel.close(200, "shutdown".into()).await;
    let _ = connection.close(200, "shutdown".into()).await;
    tracing::info!(
        done = report.done,
        retried = report.retried,
        poisoned = report.poisoned,
        returned = report.returned,
        "consumer stopped"
    );
}

/// Waits for running handlers up to `grace`, then aborts the rest (counted as returned: their
/// deliveries are unacked and go back to the queue with the channel).
async fn drain_in_flight(
    in_flight: &mut JoinSet<Settled>,
    grace: Duration,
    report: &mut ConsumerReport,
) {
    let deadline = tokio::time::Instant::now() + grace;
    while !in_flight.is_empty() {
        match tokio::time::timeout_at(deadline, in_flight.join_next()).await {
            Ok(Some(Ok(settled))) => report.count(settled),
            Ok(Some(Err(e))) => tracing::error!(error = %e, "delivery task failed"),
            Ok(None) => break,
            Err(_) => {
                report.returned += in_flight.len() as u64;
                metrics().deliveries(Settlement::Returned, in_flight.len() as u64);
                tracing::info!(
                    returned = in_flight.len(),
                    "grace period over, returning in-flight envelopes"
                );
                in_flight.shutdown().await;
                break;
            }
        }
    }
}
