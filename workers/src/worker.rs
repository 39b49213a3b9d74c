//! `mailroom worker`: envelopes from RabbitMQ, several worker processes sharing one queue.
//!
//! Each process runs two loops over one store:
//!
//! - the consumer ([`crate::broker::run_consumer`]) with a prefetch of the envelopes in
//!   flight ([`Pipeline::in_flight`]: one more than the OCR slots by default), so every slot
//!   has work and only one envelope per process waits while another process may be idle. Each
//!   delivery is claimed in the store ([`mailroom_store::Store::claim`]: a finished
//!   envelope only gets acked again) and processed ([`process_claimed`]); the delivery is
//!   settled after the store committed:
//!
//!   | what the store holds afterwards | delivery |
//!   |---|---|
//!   | documents stored, or the envelope rejected with its sentence (a damaged page…) | ack |
//!   | already finished (a redelivery) or unknown | ack |
//!   | a machine fault (OCR pool restarting, store unreachable) | requeue |
//!   | the same fault on the broker's last attempt: rejected with the reason | dead-letter |
//!   | more interrupted attempts than the delivery limit (the envelope kills its worker): rejected with the reason | dead-letter |
//!
//!   The store counts attempts itself, claims included, so an envelope that makes its worker
//!   crash is rejected in the store on the broker's last delivery at the latest
//!   ([`crate::process::Pipeline::max_attempts`] is set to the delivery limit);
//! - the outbox relay ([`crate::broker::run_relay`]), woken after each stored envelope: it
//!   publishes the routed documents and `document.ready.<class>` events, and the envelopes
//!   that intake stored while the broker was down.
//!
//! On shutdown (the `shutdown` future: SIGTERM, Ctrl-C) the consumer stops taking deliveries,
//! lets the in-flight envelopes finish (or hands them back after the grace period), then the
//! relay makes a last pass and the process returns.
//!
//! # Metrics and health
//!
//! With [`WorkerConfig::metrics_listen`] set (`mailroom worker --metrics-listen`, by default
//! `127.0.0.1:9187`) the process serves `/metrics`, `/health/live` and `/health/ready` (the
//! store and the broker must answer). It polls the broker's queue depths every few seconds
//! ([`crate::broker::depth`]) and samples the store ([`mailroom_telemetry::Sampler`]). When the
//! address is taken (a second worker on the same machine without its own address) the worker
//! logs it and runs without the endpoint rather than not at all.
//!
//! # Test fault hook
//!
//! `MAILROOM_TEST_CRASH_ON=<envelope name>` makes the process abort when it starts reading
//! the envelope of that name, which is how the tests make a poison envelope. It is honoured
//! only when a queue prefix is set too (`MAILROOM_AMQP_PREFIX`: test or staging queues, never
//! the production names), and logged at start when active.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mailroom_domain::EnvelopeId;
use mailroom_store::{Claim, Store};
use tokio::sync::{Notify, watch};

use crate::broker::{self, Attempt, BrokerConfig, ConsumerReport, RelayReport};
use crate::error::WorkerError;
use crate::process::{Outcome, Pipeline, process_claimed};

/// The environment variable of the test fault hook (see the module docs).
pub const CRASH_ON_VAR: &str = "MAILROOM_TEST_CRASH_ON";

/// How `mailroom worker` runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The broker; its prefetch is set to the envelopes in flight by [`run`].
    pub broker: BrokerConfig,
    /// The store (`None`: the default SQLite file).
    pub database_url: Option<String>,
    /// The OCR stage; its slots are the envelopes read at once.
    pub ocr: mailroom_ocr::Config,
    /// Envelopes in flight (`0`: one more than the OCR slots, see [`Pipeline::in_flight`]).
    pub in_flight: usize,
    /// A classifier model file instead of the one built in.
    pub model: Option<PathBuf>,
    /// The name claims are recorded under (in the status history).
    pub worker: String,
    /// How long a claim holds an envelope for the embedded queue's sweeps.
    pub lease: Duration,
    /// The test fault hook: abort when reading the envelope of this name.
    pub crash_on: Option<String>,
    /// Serve `/metrics` and the health endpoints here (`None`: not served; the sampler and
    /// the queue-depth poller run all the same).
    pub metrics_listen: Option<SocketAddr>,
}

impl WorkerConfig {
    /// Defaults: the default store, OCR settings and model, `worker@<host>:<pid>`, 10-minute
    /// claims, and the fault hook from the environment (when allowed, see the module docs).
    pub fn new(broker: BrokerConfig) -> WorkerConfig {
        let host = crate::embedded::host_name();
        let crash_on = broker
            .prefix
            .as_ref()
            .and_then(|_| std::env::var(CRASH_ON_VAR).ok())
            .filter(|n| !n.is_empty());
        WorkerConfig {
            broker,
            database_url: None,
            ocr: mailroom_ocr::Config::default(),
            in_flight: 0,
            model: None,
            worker: format!("worker@{host}:{}", std::process::id()),
            lease: Duration::from_secs(600),
            crash_on,
            metrics_listen: None,
        }
    }
}

/// What a worker process did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerSummary {
    pub consumer: ConsumerReport,
    pub relay: RelayReport,
}

/// Opens the store, starts the OCR stage and runs until `shutdown` completes.
///
/// # Errors
/// [`WorkerError`] when the store, the OCR stage or the classifier cannot be set up, or the
/// broker URL is invalid. Broker outages are waited out, never returned.
pub async fn run(
    config: WorkerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<WorkerSummary, WorkerError> {
    let store = Store::open(config.database_url.as_deref()).await?;
    let pipeline = Pipeline::start(config.ocr.clone(), config.model.clone())
        .await?
        .with_in_flight(config.in_flight);
    let result = run_with(&config, store.clone(), pipeline, shutdown).await;
    store.close().await;
    result
}

/// As [`run`], with a store and a pipeline already set up.
///
/// # Errors
/// As [`run`].
pub async fn run_with(
    config: &WorkerConfig,
    store: Store,
    pipeline: Pipeline,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<WorkerSummary, WorkerError> {
    if config.crash_on.is_some() {
        tracing::warn!(
            var = CRASH_ON_VAR,
            "test fault hook active: this process aborts on one envelope"
        );
    }
    let (telemetry_stop, telemetry_rx) = watch::channel(false);
    let telemetry = start_telemetry(config, &store, &pipeline, telemetry_rx).await;
    let result = consume(config, store, pipeline, Arc::new(Notify::new()), shutdown).await;
    let _ = telemetry_stop.send(true);
    for task in telemetry {
        let _ = task.await;
    }
    result
}

/// The worker's metrics endpoint, queue-depth poller and store sampler, until `stop` says so.
async fn start_telemetry(
    config: &WorkerConfig,
    store: &Store,
    pipeline: &Pipeline,
    stop: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    use mailroom_telemetry::metrics::{Component, metrics};
    metrics().set_ocr_slots(pipeline.slots());
    let mut tasks = Vec::new();
    if let Some(addr) = config.metrics_listen {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => {
                let probes = mailroom_telemetry::Probes::new().store(store.clone()).with(
                    Component::Broker,
                    broker::depth::probe(config.broker.clone()),
                );
                let app = mailroom_telemetry::routes(probes);
                tracing::info!(addr = ?listener.local_addr().ok(), "serving metrics and health");
                let stop = stopped(stop.clone());
                tasks.push(tokio::spawn(async move {
                    if let Err(e) = mailroom_telemetry::serve(listener, app, stop).await {
                        tracing::error!(error = %e, "metrics endpoint failed");
                    }
                }));
            }
            Err(e) => tracing::error!(
                addr = %addr,
                error = %e,
                "metrics endpoint not served (give each worker its own --metrics-listen); working without it"
            ),
        }
    }
    tasks.push(tokio::spawn(broker::depth::poll_depths(
        config.broker.clone(),
        broker::depth::POLL_INTERVAL,
        stopped(stop.clone()),
    )));
    let sampler = mailroom_telemetry::Sampler::new(
        store.clone(),
        mailroom_telemetry::History::global(),
        mailroom_telemetry::SamplerConfig {
            embedded_queue: false,
            broker: true,
            ..mailroom_telemetry::SamplerConfig::default()
        },
    );
    tasks.push(tokio::spawn(sampler.run(stopped(stop))));
    tasks
}

/// The consumer and the relay over `store` until `shutdown`; `wake` wakes the relay (intake
/// notifies it after storing an envelope, when `mailroom run` goes through the broker).
pub(crate) async fn consume(
    config: &WorkerConfig,
    store: Store,
    pipeline: Pipeline,
    wake: Arc<Notify>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<WorkerSummary, WorkerError> {
    let slots = pipeline.slots();
    let in_flight = u16::try_from(pipeline.in_flight()).unwrap_or(u16::MAX);
    let broker = config.broker.clone().with_prefetch(in_flight);
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("stop requested: finishing envelopes in flight");
        let _ = stop_tx.send(true);
    });
    let (relay_stop_tx, relay_stop_rx) = watch::channel(false);
    let relay = tokio::spawn(broker::run_relay(
        broker.clone(),
        Arc::new(store.clone()),
        wake.clone(),
        stopped(relay_stop_rx),
    ));
    let mut pipeline = pipeline;
    pipeline.max_attempts = broker.delivery_limit.max(1);
    let handler = {
        let ctx = Arc::new(Handler {
            store: store.clone(),
            pipeline,
            worker: config.worker.clone(),
            lease: config.lease,
            crash_on: config.crash_on.clone(),
            wake,
        });
        move |id: EnvelopeId, attempt: Attempt| {
            let ctx = Arc::clone(&ctx);
            async move { ctx.handle(&id, attempt).await }
        }
    };
    tracing::info!(worker = %config.worker, slots, in_flight, "worker running");
    let consumer = broker::run_consumer(&broker, handler, stopped(stop_rx)).await;
    let _ = relay_stop_tx.send(true);
    let mut relay = relay.await.unwrap_or_default();
    // What the last envelopes routed goes out now rather than at the next start; whatever
    // is not confirmed stays in the outbox.
    match tokio::time::timeout(broker.op_timeout, broker::relay_once(&broker, &store)).await {
        Ok(Ok(last)) => {
            relay.envelopes += last.envelopes;
            relay.events += last.events;
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "last relay pass failed; events stay in the outbox")
        }
        Err(_) => tracing::warn!("last relay pass timed out; events stay in the outbox"),
    }
    let consumer = consumer?;
    tracing::info!(
        done = consumer.done,
        retried = consumer.retried,
        poisoned = consumer.poisoned,
        returned = consumer.returned,
        events = relay.events,
        "worker stopped"
    );
    Ok(WorkerSummary { consumer, relay })
}

/// Resolves once `rx` says stop (or its sender is gone).
async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// What every delivery needs.
struct Handler {
    store: Store,
    pipeline: Pipeline,
    worker: String,
    lease: Duration,
    crash_on: Option<String>,
    wake: Arc<Notify>,
}

impl Handler {
    /// Claims, processes and maps the result to a settlement (table in the module docs).
    async fn handle(&self, id: &EnvelopeId, attempt: Attempt) -> broker::Outcome {
        match self.process(id).await {
            Ok((Outcome::Stored { .. }, _)) => {
                self.wake.notify_one();
                broker::Outcome::Done
            }
            Ok((Outcome::Rejected { reason }, true)) => broker::Outcome::Poison(reason),
            Ok((Outcome::Rejected { .. } | Outcome::AlreadyDone, false)) => broker::Outcome::Done,
            Ok((Outcome::AlreadyDone, true)) => broker::Outcome::Done,
            Ok((Outcome::RetryLater { reason }, _)) => {
                self.retry_or_give_up(id, attempt, &reason).await
            }
            Err(e) => {
                tracing::warn!(envelope = %id, attempt = attempt.number, error = %e, "envelope failed; given back");
                self.retry_or_give_up(id, attempt, &e.to_string()).await
            }
        }
    }

    /// The envelope's outcome, and whether its earlier attempts were all interrupted (it
    /// kills its worker: the store has just rejected it, and it goes to the dead letters).
    async fn process(&self, id: &EnvelopeId) -> Result<(Outcome, bool), WorkerError> {
        let gate = self.pipeline.gate().await;
        let attempts = match self.store.claim(id, &self.worker, self.lease).await? {
            Claim::Claimed { attempts } => attempts,
            Claim::AlreadyDone(_) => return Ok((Outcome::AlreadyDone, false)),
            Claim::Unknown => {
                tracing::warn!(envelope = %id, "no such envelope in the store; message dropped");
                return Ok((Outcome::AlreadyDone, false));
            }
        };
        let _turn = gate.settle(attempts).await;
        let interrupted = attempts > self.pipeline.max_attempts;
        if !interrupted
            && let Some(name) = &self.crash_on
            && &self.store.info(id).await?.name == name
        {
            tracing::error!(envelope = %id, "test fault hook: aborting");
            std::process::abort();
        }
        let outcome = process_claimed(&self.store, &self.pipeline, id, attempts).await?;
        Ok((outcome, interrupted))
    }

    /// Requeues, or on the broker's last attempt rejects the envelope in the store with the
    /// reason and dead-letters it.
    async fn retry_or_give_up(
        &self,
        id: &EnvelopeId,
        attempt: Attempt,
        reason: &str,
    ) -> broker::Outcome {
        if !attempt.is_last() {
            return broker::Outcome::Retry;
        }
        let sentence = format!(
            "the envelope could not be processed after {} attempts ({reason}); a person must look at it",
            attempt.number
        );
        match self.store.reject(id, &sentence).await {
            Ok(true) => {
                let m = mailroom_telemetry::metrics();
                m.envelope_rejected("attempts");
                m.envelope_processed(mailroom_telemetry::metrics::Processed::Rejected);
            }
            Ok(false) => {}
            Err(e) => {
                tracing::error!(envelope = %id, error = %e, "last attempt failed and the rejection could not be stored")
            }
        }
        broker::Outcome::Poison(sentence)
    }
}
