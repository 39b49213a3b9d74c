//! `mailroom run`: the whole pipeline on one machine, no broker.
//!
//! - The hot folder ([`mailroom_ingest::HotFolder`]) stores complete envelopes.
//! - The queue is the store itself: [`mailroom_store::Store::claim_next`] leases the oldest
//!   waiting envelope to this process; as many envelopes are in flight as the OCR stage has
//!   slots (a semaphore), and each one's lease is renewed while it is worked on.
//! - After a crash nothing is lost: at start the process takes back what a previous process
//!   of the same worker name held ([`mailroom_store::Store::release_worker`]), and leases of
//!   other processes that ran out come back too ([`mailroom_store::Store::release_stale`]).
//! - On shutdown (SIGTERM, Ctrl-C: the `shutdown` future) it stops taking envelopes, lets the
//!   ones in flight finish, stops the hot folder and the HTTP server, and returns.
//! - With `listen` set it serves the upload endpoint, `/metrics`, `/health/live` and
//!   `/health/ready`, merged with the router the caller passes (the web app). When the caller
//!   passes none, the ops page (`/ops`) is served too, openly; a web app mounts
//!   [`ops_router`] behind its own role check instead.
//! - A sampler ([`mailroom_telemetry::Sampler`]) reads the store every few seconds for the
//!   gauges (backlog, deadlines, the queue's depth) and the ops page's history; with a broker,
//!   the broker's queue depths are polled too.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mailroom_ingest::{HotFolder, UploadState};
use mailroom_store::Store;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::error::WorkerError;
use crate::process::{Outcome, Pipeline, process_claimed};

/// How `mailroom run` runs.
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// The hot folder.
    pub inbox: PathBuf,
    /// The store (`None`: the SQLite file by default).
    pub database_url: Option<String>,
    /// The OCR stage; its slots are the envelopes read at once.
    pub ocr: mailroom_ocr::Config,
    /// Envelopes in flight (`0`: one more than the OCR slots, see [`Pipeline::in_flight`]).
    pub in_flight: usize,
    /// A classifier model file instead of the one built in.
    pub model: Option<PathBuf>,
    /// The name leases are taken under; a restart under the same name takes back its
    /// envelopes at once.
    pub worker: String,
    /// How long an envelope stays leased without renewal.
    pub lease: Duration,
    /// Hot folder settle time and scan interval.
    pub settle: Duration,
    pub poll: Duration,
    /// Serve the upload endpoint (and the caller's router) here.
    pub listen: Option<SocketAddr>,
    /// Stop once no envelope waits, is in flight, or sits in the inbox (for batch runs and
    /// tests); otherwise run until `shutdown`. Embedded queue only (not with `broker`).
    pub exit_when_idle: bool,
    /// Process through RabbitMQ instead of the store-kept queue (`AMQP_URL` set): intake
    /// stores envelopes and wakes the outbox relay, which publishes them, and this process
    /// consumes them like a `mailroom worker` (other workers share the queue).
    pub broker: Option<crate::broker::BrokerConfig>,
    /// How often the store is sampled for the metrics and the ops page's history (whether the
    /// queue is the store's or the broker's is set from `broker`).
    pub sampler: mailroom_telemetry::SamplerConfig,
    /// Without a broker: where the in-process bus delivers the outbox's events
    /// ([`crate::bus`]), and the bus subscribers in this process listen on.
    pub events: crate::bus::BusConfig,
    pub bus: crate::bus::EventBus,
}

impl EmbeddedConfig {
    /// Defaults for an inbox: the default store, OCR settings and model; 10-minute leases.
    pub fn new(inbox: impl Into<PathBuf>) -> EmbeddedConfig {
        let host = host_name();
        EmbeddedConfig {
            inbox: inbox.into(),
            database_url: None,
            ocr: mailroom_ocr::Config::default(),
            in_flight: 0,
            model: None,
            worker: format!("embedded@{host}"),
            lease: Duration::from_secs(600),
            settle: Duration::from_secs(2),
            poll: Duration::from_secs(1),
            listen: None,
            exit_when_idle: false,
            broker: None,
            sampler: mailroom_telemetry::SamplerConfig::default(),
            events: crate::bus::BusConfig::default(),
            bus: crate::bus::EventBus::new(1024),
        }
    }
}

/// The ops page (`/ops`, `/ops/series.json`) over this process's history, without
/// authentication: for the web app to mount behind its ops/manager role check. [`run`]
/// serves it openly itself only when it is given no router to merge.
pub fn ops_router() -> axum::Router {
    mailroom_telemetry::ops::router(mailroom_telemetry::History::global())
}

/// The readiness checks of this configuration: the store, and the broker when there is one.
fn probes(config: &EmbeddedConfig, store: &Store) -> mailroom_telemetry::Probes {
    let probes = mailroom_telemetry::Probes::new().store(store.clone());
    match &config.broker {
        Some(b) => probes.with(
            mailroom_telemetry::metrics::Component::Broker,
            crate::broker::depth::probe(b.clone()),
        ),
        None => probes,
    }
}

/// Resolves once `rx` says stop (or its sender is gone).
async fn until_stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// This machine's name, for worker names in the status history.
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub stored: u64,
    pub rejected: u64,
    pub retried: u64,
    /// Envelopes taken back from a previous process at start.
    pub recovered: u64,
}

/// Runs until `shutdown` completes (or, with `exit_when_idle`, until there is nothing left).
///
/// # Errors
/// [`WorkerError`] when the store, the OCR stage, the classifier or the listening socket
/// cannot be set up. Failures on single envelopes are handled and logged, never returned.
pub async fn run(
    config: EmbeddedConfig,
    extra_routes: Option<axum::Router>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<RunSummary, WorkerError> {
    let store = Store::open(config.database_url.as_deref()).await?;
    let pipeline = Pipeline::start(config.ocr.clone(), config.model.clone())
        .await?
        .with_in_flight(config.in_flight);
    let result = run_with(&config, store.clone(), pipeline, extra_routes, shutdown).await;
    store.close().await;
    result
}

/// As [`run`], with a store and a pipeline already set up.
///
/// # Errors
/// As [`run`].
pub async fn run_with(
    config: &EmbeddedConfig,
    store: Store,
    pipeline: Pipeline,
    extra_routes: Option<axum::Router>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<RunSummary, WorkerError> {
    let mut summary = RunSummary {
        recovered: store.release_worker(&config.worker).await?,
        ..RunSummary::default()
    };
    if summary.recovered > 0 {
        tracing::info!(
            envelopes = summary.recovered,
            "envelopes in flight at the last stop taken back"
        );
    }
    store.release_stale().await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    {
        let stop_tx = stop_tx.clone();
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
    }
    let wake = Arc::new(Notify::new());
    let folder = HotFolder {
        inbox: config.inbox.clone(),
        settle: config.settle,
        poll: config.poll,
        limits: mailroom_ingest::Limits::from(&pipeline.reader.config().limits),
    };
    let hot = {
        let (store, rx, wake, folder) =
            (store.clone(), stop_rx.clone(), wake.clone(), folder.clone());
        tokio::spawn(async move { folder.run(store, rx, wake).await })
    };
    mailroom_telemetry::metrics().set_ocr_slots(pipeline.slots());
    let mut telemetry = Vec::new();
    {
        let mut sampler = config.sampler.clone();
        sampler.embedded_queue = config.broker.is_none();
        sampler.broker = config.broker.is_some();
        let sampler = mailroom_telemetry::Sampler::new(
            store.clone(),
            mailroom_telemetry::History::global(),
            sampler,
        );
        telemetry.push(tokio::spawn(sampler.run(until_stopped(stop_rx.clone()))));
    }
    if let Some(broker) = &config.broker {
        telemetry.push(tokio::spawn(crate::broker::depth::poll_depths(
            broker.clone(),
            crate::broker::depth::POLL_INTERVAL,
            until_stopped(stop_rx.clone()),
        )));
    }
    let server = match config.listen {
        Some(addr) => Some(
            serve(
                addr,
                store.clone(),
                folder.limits.clone(),
                extra_routes,
                probes(config, &store),
                stop_rx.clone(),
            )
            .await?,
        ),
        None => None,
    };
    if let Some(broker) = &config.broker {
        let mut worker = crate::worker::WorkerConfig::new(broker.clone());
        worker.worker = config.worker.clone();
        worker.lease = config.lease;
        let mut stop = stop_rx.clone();
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let consumed =
            crate::worker::consume(&worker, store.clone(), pipeline, wake.clone(), stopped).await;
        let _ = stop_tx.send(true);
        finish_intake(hot, server).await;
        for task in telemetry {
            let _ = task.await;
        }
        let report = consumed?.consumer;
        summary.stored = report.done;
        summary.retried = report.retried;
        summary.rejected = report.poisoned;
        return Ok(summary);
    }
    // No broker: what the outbox holds for downstream systems (routed documents, ready and
    // validation events) goes out on the in-process bus, until the envelopes in flight are done.
    let (bus_stop_tx, bus_stop_rx) = watch::channel(false);
    let bus = tokio::spawn(crate::bus::run_bus(
        config.bus.clone(),
        Arc::new(store.clone()),
        config.events.clone(),
        // Its own: the queue's `wake` is for the queue loop (a notify_one must not go astray).
        Arc::new(Notify::new()),
        until_stopped(bus_stop_rx),
    ));
    let (slots, in_flight_max) = (pipeline.slots(), pipeline.in_flight());
    tracing::info!(slots, in_flight = in_flight_max, worker = %config.worker, "embedded pipeline running");
    let sem = Arc::new(Semaphore::new(in_flight_max));
    let mut in_flight: JoinSet<Result<Outcome, WorkerError>> = JoinSet::new();
    let mut stop = stop_rx.clone();
    let mut last_sweep = tokio::time::Instant::now();
    loop {
        while let Some(done) = in_flight.try_join_next() {
            tally(&mut summary, done);
        }
        if *stop.borrow() {
            break;
        }
        if last_sweep.elapsed() >= Duration::from_secs(30) {
            last_sweep = tokio::time::Instant::now();
            if let Err(e) = store.release_stale().await {
                tracing::warn!(error = %e, "stale leases not released");
            }
        }
        let permit = tokio::select! {
            _ = stop.changed() => continue,
            p = sem.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let gate = tokio::select! {
            _ = stop.changed() => continue,
            g = pipeline.gate() => g,
        };
        match store.claim_next(&config.worker, config.lease).await {
            Ok(Some(claimed)) => {
                // Here, not in the task: nothing else is claimed until it is settled.
                let turn = gate.settle(claimed.attempts).await;
                let (store, pipeline, worker, lease) = (
                    store.clone(),
                    pipeline.clone(),
                    config.worker.clone(),
                    config.lease,
                );
                in_flight.spawn(async move {
                    let _permit = permit;
                    let _turn = turn;
                    let work = process_claimed(&store, &pipeline, &claimed.id, claimed.attempts);
                    tokio::pin!(work);
                    let mut renew = tokio::time::interval(lease / 3);
                    renew.tick().await;
                    loop {
                        tokio::select! {
                            r = &mut work => break r,
                            _ = renew.tick() => {
                                if let Err(e) = store.renew(&claimed.id, &worker, lease).await {
                                    tracing::warn!(envelope = %claimed.id, error = %e, "lease not renewed");
                                }
                            }
                        }
                    }
                });
            }
            Ok(None) => {
                drop((permit, gate));
                // The inbox is looked at before the queue: an envelope stored in between is
                // then seen waiting.
                if config.exit_when_idle
                    && in_flight.is_empty()
                    && inbox_empty(&config.inbox)
                    && store
                        .list(Some(mailroom_store::EnvelopeStatus::Received), 1)
                        .await
                        .is_ok_and(|w| w.is_empty())
                {
                    tracing::info!("nothing left to do; stopping");
                    break;
                }
                tokio::select! {
                    _ = stop.changed() => {}
                    _ = wake.notified() => {}
                    Some(done) = in_flight.join_next() => tally(&mut summary, done),
                    _ = tokio::time::sleep(config.poll) => {}
                }
            }
            Err(e) => {
                drop((permit, gate));
                tracing::warn!(error = %e, "queue unavailable; retrying");
                tokio::time::sleep(config.poll).await;
            }
        }
    }
    tracing::info!(
        in_flight = in_flight.len(),
        "stopping: finishing envelopes in flight"
    );
    while let Some(done) = in_flight.join_next().await {
        tally(&mut summary, done);
    }
    let _ = stop_tx.send(true);
    let _ = bus_stop_tx.send(true);
    if let Ok(events) = bus.await {
        tracing::info!(events, "events delivered on the in-process bus");
    }
    finish_intake(hot, server).await;
    for task in telemetry {
        let _ = task.await;
    }
    tracing::info!(
        stored = summary.stored,
        rejected = summary.rejected,
        retried = summary.retried,
        "embedded pipeline stopped"
    );
    Ok(summary)
}

/// Waits for the hot folder and the upload server, told to stop, to end.
async fn finish_intake(
    hot: tokio::task::JoinHandle<Result<(), mailroom_ingest::IngestError>>,
    server: Option<tokio::task::JoinHandle<()>>,
) {
    match hot.await {
        Ok(Err(e)) => tracing::warn!(error = %e, "hot folder stopped with an error"),
        Err(e) => tracing::warn!(error = %e, "hot folder task failed"),
        Ok(Ok(())) => {}
    }
    if let Some(server) = server {
        let _ = server.await;
    }
}

fn tally(
    summary: &mut RunSummary,
    done: Result<Result<Outcome, WorkerError>, tokio::task::JoinError>,
) {
    match done {
        Ok(Ok(Outcome::Stored { .. })) => summary.stored += 1,
        Ok(Ok(Outcome::Rejected { .. })) => summary.rejected += 1,
        Ok(Ok(Outcome::RetryLater { .. })) => summary.retried += 1,
        Ok(Ok(Outcome::AlreadyDone)) => {}
        // The lease runs out and the envelope comes back: nothing is lost.
        Ok(Err(e)) => tracing::error!(error = %e, "envelope left for a later try"),
        Err(e) => tracing::error!(error = %e, "envelope task failed"),
    }
}

/// Whether the inbox holds no envelope (hidden entries and `.rejected/` aside).
fn inbox_empty(inbox: &std::path::Path) -> bool {
    std::fs::read_dir(inbox)
        .map(|d| {
            d.flatten()
                .all(|e| e.file_name().to_string_lossy().starts_with('.'))
        })
        .unwrap_or(true)
}

async fn serve(
    addr: SocketAddr,
    store: Store,
    limits: mailroom_ingest::Limits,
    extra: Option<axum::Router>,
    probes: mailroom_telemetry::Probes,
    mut stop: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, WorkerError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| WorkerError::Io {
            context: format!("listening on {addr}"),
            source,
        })?;
    let local = listener.local_addr().ok();
    let mut app = mailroom_ingest::router(UploadState { store, limits })
        .merge(mailroom_telemetry::routes(probes));
    app = match extra {
        Some(extra) => app.merge(extra),
        // No web app to put the ops page behind a role check: serve it openly.
        None => app.merge(ops_router()),
    };
    tracing::info!(addr = ?local, "serving the upload endpoint");
    Ok(tokio::spawn(async move {
        let shutdown = async move {
            while !*stop.borrow() {
                if stop.changed().await.is_err() {
                    break;
                }
            }
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "http server failed");
        }
    }))
}
