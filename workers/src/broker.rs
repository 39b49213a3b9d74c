//! The RabbitMQ layer: topology, typed messages, publisher with confirms, outbox relay and
//! consumer.
//!
//! # Topology
//!
//! The program declares everything it uses, on every connect (declarations are idempotent):
//!
//! | name | kind | why |
//! |---|---|---|
//! | `mailroom` | durable topic exchange | every message goes through it, routed by key |
//! | `mailroom.envelopes` | quorum queue, key `envelope.received` | the work queue of the workers |
//! | `mailroom.dead` | durable fanout exchange | dead-letter exchange of `mailroom.envelopes` |
//! | `mailroom.envelopes.dead` | durable quorum queue bound to `mailroom.dead` | envelopes that failed too often or were poison |
//! | `adhesions`, `prestations`, `reclamations`, `qualification_manuelle` | quorum queues, keys `route.<queue>` | one per back-office service |
//! | `mailroom.events` | quorum queue, key `document.ready.#` | downstream systems' `document.ready.<class>` events |
//!
//! Quorum queues replicate and survive a broker restart, and they count deliveries
//! (`x-delivery-count`), which is what makes a delivery limit possible. RabbitMQ 3.10 sets no
//! limit by default, so a message that crashes its consumer would come back forever: the
//! envelope queue is declared with `x-delivery-limit` ([`BrokerConfig::delivery_limit`]).
//! [`BrokerConfig::prefix`] puts a prefix before every name so tests (and staging) never touch
//! production queues.
//!
//! # Message shapes
//!
//! Bodies are small JSON objects built from the typed structs of [`message`]: an envelope id,
//! a document id, a class, a service queue, dates and deadlines. There is no field where a name,
//! a NIR, an IBAN or OCR text could go: the store holds the content and the broker only says
//! "this id is ready". Unknown fields are refused when reading, so a producer cannot smuggle
//! content in either.
//!
//! # Acks come after the commit
//!
//! The consumer never auto-acks. The handler ([`consumer::run_consumer`]) returns an
//! [`Outcome`] only once the store has committed what it did; the delivery is acked after that.
//! A worker that dies before the ack loses nothing: the broker hands the envelope to another
//! worker. A worker that dies after the commit but before the ack causes a redelivery, which is
//! harmless because processing is idempotent: the store's claim on the envelope (keyed by its id
//! and content hash) turns a second run into a no-op that only acks again.
//!
//! # Outage
//!
//! - Intake writes the envelope to the store first, then publishes. A publish that is not
//!   confirmed by the broker leaves the envelope "unpublished" in the store (the [`Outbox`]);
//!   the [`relay`](outbox::run_relay) drains the outbox on every wake-up and every
//!   [`BrokerConfig::relay_interval`], reconnecting with an exponential backoff, so a broker
//!   outage at intake delays envelopes but loses none. A message can be published twice (the
//!   confirm was lost with the connection), never zero times; consumers are idempotent.
//! - The consumer's connection uses lapin's automatic recovery (reconnect, re-declare the
//!   topology, re-apply prefetch, resume the consumer), with heartbeats to notice a dead peer.
//!   When that recovery gives up, an outer loop reconnects from scratch with a backoff. Deliveries
//!   taken before the outage cannot be acked any more (lapin answers `false`): the broker has
//!   already put them back, and their redelivery is a no-op in the store.
//!
//! # Delivery limit and dead letters
//!
//! A handler answers [`Outcome::Retry`] for a failure that may pass (the delivery is
//! requeued) and [`Outcome::Poison`] for an envelope that can never succeed (dead-lettered at
//! once). A crash of the handler counts as a retry, and so does a worker killed mid-envelope.
//! After [`BrokerConfig::delivery_limit`] redeliveries the broker itself moves the envelope to
//! `mailroom.envelopes.dead` (`x-first-death-reason` says `delivery_limit` or `rejected`). The
//! handler sees the attempt number ([`Attempt::is_last`]) and records its reason in the store
//! before giving up; the message carries none. Other envelopes keep flowing meanwhile: a retried
//! message goes back to the queue and only takes one of the prefetch slots while it runs.

pub mod consumer;
pub mod depth;
pub mod message;
pub mod outbox;
pub mod publisher;
mod store_outbox;
pub mod topology;

use std::time::Duration;

use lapin::uri::AMQPUri;
use lapin::{Channel, Connection, ConnectionProperties};

pub use consumer::{Acked, Attempt, ConsumerReport, Delivery, Outcome, run_consumer};
pub use message::{
    CLAIM_VALIDATED, COMPLAINT_REGISTERED, DocumentId, DocumentReady, DocumentValidated,
    EnvelopeMessage, MEMBERSHIP_VALIDATED, Outbound, RoutedDocument, ServiceQueue, ValidatedFields,
};
pub use outbox::{Outbox, PendingEvent, RelayReport, relay_once, run_relay};
pub use publisher::Publisher;
pub use topology::Names;

/// The environment variable that sets [`BrokerConfig::prefix`].
pub const PREFIX_VAR: &str = "MAILROOM_AMQP_PREFIX";

/// How the program talks to RabbitMQ.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    /// AMQP URL, e.g. `amqp://guest:guest@127.0.0.1:5672/%2f`.
    pub url: String,
    /// Put before every exchange and queue name (`<prefix>.mailroom`…); `None` in production.
    pub prefix: Option<String>,
    /// Unacked deliveries a consumer may hold: the envelopes in flight (by default the OCR
    /// slots), so that every slot has an envelope and none waits in a worker while another
    /// worker is idle.
    pub prefetch: u16,
    /// Redeliveries of one envelope before the broker dead-letters it.
    pub delivery_limit: u32,
    /// Heartbeat interval asked of the broker, seconds, so that a dead peer is noticed.
    pub heartbeat_secs: u16,
    /// How long a shutting-down consumer lets in-flight handlers finish before it returns
    /// their envelopes to the queue.
    pub shutdown_grace: Duration,
    /// Period of the outbox relay when nothing wakes it.
    pub relay_interval: Duration,
    /// Ids the relay takes from the outbox per batch.
    pub relay_batch: usize,
    /// First and last delays of the reconnect backoff.
    pub backoff_min: Duration,
    /// Upper bound of the reconnect backoff.
    pub backoff_max: Duration,
    /// Reconnect attempts lapin's automatic recovery makes before it gives up and the consumer's
    /// own loop opens a fresh connection (which it retries for ever).
    pub recovery_attempts: usize,
    /// How long the consumer's connection may stay down (lapin recovering it) before the
    /// consumer drops it and opens a fresh one.
    pub recovery_timeout: Duration,
    /// Bound on a connect, a topology declaration or a batch of confirms, so an unresponsive
    /// broker cannot hang a task.
    pub op_timeout: Duration,
}

impl BrokerConfig {
    /// Default URL when `AMQP_URL` names none (RabbitMQ's local default).
    pub const DEFAULT_URL: &'static str = "amqp://guest:guest@127.0.0.1:5672/%2f";

    /// A configuration with the defaults and this URL.
    pub fn new(url: impl Into<String>) -> Self {
        BrokerConfig {
            url: url.into(),
            prefix: None,
            prefetch: 2,
            delivery_limit: 3,
            heartbeat_secs: 10,
            shutdown_grace: Duration::from_secs(30),
            relay_interval: Duration::from_secs(5),
            relay_batch: 500,
            backoff_min: Duration::from_millis(200),
            backoff_max: Duration::from_secs(10),
            recovery_attempts: 20,
            recovery_timeout: Duration::from_secs(60),
            op_timeout: Duration::from_secs(30),
        }
    }

    /// The configuration named by `AMQP_URL`, or `None` when the variable is unset or empty
    /// (the program then runs its embedded queue). `MAILROOM_AMQP_PREFIX`, when set and not
    /// empty, becomes the name [`prefix`](Self::prefix) (tests and staging share a broker with
    /// production that way without touching its queues).
    pub fn from_env() -> Option<Self> {
        let config = match std::env::var("AMQP_URL") {
            Ok(url) if !url.trim().is_empty() => Self::new(url.trim()),
            _ => return None,
        };
        Some(match std::env::var(PREFIX_VAR) {
            Ok(prefix) if !prefix.trim().is_empty() => config.with_prefix(prefix.trim()),
            _ => config,
        })
    }

    /// Sets the name prefix (tests use a random one).
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Sets the prefetch, normally to the envelopes in flight (at least 1).
    #[must_use]
    pub fn with_prefetch(mut self, prefetch: u16) -> Self {
        self.prefetch = prefetch.max(1);
        self
    }

    /// Sets the delivery limit.
    #[must_use]
    pub fn with_delivery_limit(mut self, limit: u32) -> Self {
        self.delivery_limit = limit;
        self
    }

    /// The exchange and queue names, prefix applied.
    pub fn names(&self) -> Names {
        Names::new(self.prefix.as_deref())
    }

    /// Parses the URL and adds the heartbeat when the URL does not set one.
    fn uri(&self) -> Result<AMQPUri, BrokerError> {
        let mut uri: AMQPUri = self.url.parse().map_err(|_| BrokerError::InvalidUrl)?;
        if uri.query.heartbeat.is_none() {
            uri.query.heartbeat = Some(self.heartbeat_secs);
        }
        Ok(uri)
    }

    /// Opens a connection and a channel, and declares the topology on it, each step bounded
    /// by [`op_timeout`](Self::op_timeout).
    ///
    /// `recover` turns on lapin's automatic recovery (for long-lived consumers); the topology
    /// is declared on the returned channel so that lapin replays it after a recovery.
    async fn open(&self, name: &str, recover: bool) -> Result<(Connection, Channel), BrokerError> {
        let uri = self.uri()?;
        let mut props = ConnectionProperties::default().with_connection_name(name.into());
        if recover {
            let (min, max, times) = (self.backoff_min, self.backoff_max, self.recovery_attempts);
            props = props.enable_auto_recover().configure_backoff(move |b| {
                b.with_min_delay(min)
                    .with_max_delay(max)
                    .with_max_times(times)
            });
        }
        let connection = publisher::bounded(self, "connect", Connection::connect_uri(uri, props))
            .await?
            .map_err(|source| BrokerError::Connect { source })?;
        let channel = connection
            .create_channel()
            .await
            .map_err(|source| BrokerError::Channel {
                operation: "channel open",
                source,
            })?;
        let names = self.names();
        let declare = topology::declare(&channel, &names, self.delivery_limit);
        publisher::bounded(self, "topology", declare).await??;
        Ok((connection, channel))
    }
}

/// What went wrong between the program and the broker.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// `AMQP_URL` is not an AMQP URL (its text is not repeated: it may hold a password).
    #[error("AMQP_URL is not a valid amqp:// url")]
    InvalidUrl,
    /// The broker could not be reached or refused the login.
    #[error("cannot connect to the broker")]
    Connect {
        /// lapin's error.
        #[source]
        source: lapin::Error,
    },
    /// Declaring an exchange, a queue or a binding failed.
    #[error("cannot declare {object} on the broker")]
    Topology {
        /// Which declaration.
        object: String,
        /// lapin's error.
        #[source]
        source: lapin::Error,
    },
    /// A channel operation (publish, consume, ack, qos, close) failed.
    #[error("broker {operation} failed")]
    Channel {
        /// Which operation.
        operation: &'static str,
        /// lapin's error.
        #[source]
        source: lapin::Error,
    },
    /// The broker did not answer in time.
    #[error("broker {operation} timed out")]
    Timeout {
        /// Which operation.
        operation: &'static str,
    },
    /// The broker refused (nack) or could not route a published message.
    #[error("broker did not accept the message for routing key {routing_key}")]
    NotConfirmed {
        /// Where it was sent.
        routing_key: String,
    },
    /// A message could not be encoded (a bug, not a broker state).
    #[error("cannot encode a broker message")]
    Encode(#[source] serde_json::Error),
    /// An outbox row is not one of the typed messages (a bug in its producer; not retried).
    #[error("outbox row for {routing_key} is not a valid message")]
    InvalidEvent {
        /// The row's routing key.
        routing_key: String,
    },
    /// The outbox (the store) failed.
    #[error("outbox failed")]
    Outbox(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl BrokerError {
    /// Whether trying again later can help (the broker or the store may come back); `false`
    /// for configuration errors and bugs.
    pub fn is_transient(&self) -> bool {
        !matches!(
            self,
            BrokerError::InvalidUrl | BrokerError::Encode(_) | BrokerError::InvalidEvent { .. }
        )
    }
}

/// Exponential backoff between reconnects, bounded both ways.
#[derive(Debug)]
struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    fn new(config: &BrokerConfig) -> Self {
        Backoff {
            min: config.backoff_min,
            max: config.backoff_max,
            next: config.backoff_min,
        }
    }

    /// The delay to wait now; doubles the next one.
    fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        delay
    }

    fn reset(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_is_asked_unless_the_url_sets_one() {
        let config = BrokerConfig::new("amqp://guest:guest@127.0.0.1:5672/%2f");
        assert_eq!(config.uri().unwrap().query.heartbeat, Some(10));
        let config = BrokerConfig::new("amqp://127.0.0.1:5672/%2f?heartbeat=4");
        assert_eq!(config.uri().unwrap().query.heartbeat, Some(4));
        assert!(matches!(
            BrokerConfig::new("http://x").uri(),
            Err(BrokerError::InvalidUrl)
        ));
    }

    #[test]
    fn names_take_the_prefix() {
        let names = BrokerConfig::new(BrokerConfig::DEFAULT_URL)
            .with_prefix("t1")
            .names();
        assert_eq!(names.envelopes, "t1.mailroom.envelopes");
        assert_eq!(names.service(ServiceQueue::Adhesions), "t1.adhesions");
        assert_eq!(Names::new(None).dead_letters, "mailroom.envelopes.dead");
    }

    #[test]
    fn backoff_doubles_up_to_its_bound_and_resets() {
        let mut config = BrokerConfig::new(BrokerConfig::DEFAULT_URL);
        config.backoff_min = Duration::from_millis(100);
        config.backoff_max = Duration::from_millis(300);
        let mut backoff = Backoff::new(&config);
        let delays: Vec<u128> = (0..4).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 300, 300]);
        backoff.reset();
        assert_eq!(backoff.next_delay().as_millis(), 100);
    }
}
