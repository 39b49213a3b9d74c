//! The broker layer against the real RabbitMQ at `AMQP_URL` (default 127.0.0.1:5672).
//!
//! Every test declares its own topology behind a random prefix and deletes it at the end, so
//! tests run side by side and never touch production names. The restart test stops and starts
//! the broker's application with `rabbitmqctl` and restarts it even when it fails.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::options::{BasicGetOptions, BasicPublishOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use mailroom_domain::{Class, EnvelopeId};
use mailroom_workers::broker::{
    self, Attempt, BrokerConfig, ConsumerReport, DocumentId, DocumentReady, EnvelopeMessage,
    Outbound, Outbox, Outcome, PendingEvent, Publisher, RoutedDocument, ServiceQueue, run_consumer,
    run_relay,
};
use rand::Rng;
use time::macros::date;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// Tests that stop the broker take this for writing, the others for reading, so that no test
/// sees the broker go away under it when the test binary runs them in parallel.
static BROKER: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// How long any wait in these tests may last before the test fails.
const PATIENCE: Duration = Duration::from_secs(120);

fn config() -> BrokerConfig {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let prefix = format!("test-{:016x}", rand::rng().random::<u64>());
    let mut config = BrokerConfig::from_env()
        .unwrap_or_else(|| BrokerConfig::new(BrokerConfig::DEFAULT_URL))
        .with_prefix(prefix)
        .with_prefetch(4)
        .with_delivery_limit(2);
    config.relay_interval = Duration::from_millis(500);
    config.backoff_min = Duration::from_millis(100);
    config.backoff_max = Duration::from_secs(2);
    config.shutdown_grace = Duration::from_secs(5);
    config
}

fn id(s: impl Into<String>) -> EnvelopeId {
    EnvelopeId::new(s).unwrap()
}

/// A fresh configuration with a random prefix, the shared hold on the broker, and the
/// clean-up of the test's topology (dropped first).
async fn setup() -> (
    BrokerConfig,
    tokio::sync::RwLockReadGuard<'static, ()>,
    Cleanup,
) {
    let config = config();
    let broker = BROKER.read().await;
    let cleanup = Cleanup(config.clone());
    (config, broker, cleanup)
}

/// A plain connection and channel for looking at queues from outside.
async fn inspector(config: &BrokerConfig) -> (Connection, Channel) {
    let conn = Connection::connect(&config.url, ConnectionProperties::default())
        .await
        .unwrap();
    let channel = conn.create_channel().await.unwrap();
    (conn, channel)
}

/// Messages ready in a queue (unacked ones are not counted).
async fn ready(channel: &Channel, queue: &str) -> u32 {
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    channel
        .queue_declare(queue.into(), passive, FieldTable::default())
        .await
        .unwrap()
        .message_count()
}

/// Deletes the test's queues and exchanges when dropped, even when the test fails.
struct Cleanup(BrokerConfig);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let config = self.0.clone();
        // Its own thread and runtime: Drop cannot await, and may run inside the test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let (conn, channel) = inspector(&config).await;
                broker::topology::delete(&channel, &config.names())
                    .await
                    .unwrap();
                conn.close(200, "done".into()).await.unwrap();
            });
        })
        .join();
    }
}

/// Polls `cond` every 50 ms until it holds; fails the test after [`PATIENCE`].
async fn wait_until(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What a test handler saw: every attempt of every envelope.
#[derive(Default)]
struct Seen {
    attempts: Mutex<HashMap<EnvelopeId, Vec<Attempt>>>,
}

impl Seen {
    fn record(&self, envelope: &EnvelopeId, attempt: Attempt) {
        self.attempts
            .lock()
            .unwrap()
            .entry(envelope.clone())
            .or_default()
            .push(attempt);
    }
    fn count(&self) -> usize {
        self.attempts.lock().unwrap().len()
    }
    fn of(&self, envelope: &str) -> Vec<Attempt> {
        self.attempts
            .lock()
            .unwrap()
            .get(&id(envelope))
            .cloned()
            .unwrap_or_default()
    }
}

/// A consumer in the background, stopped by `stop`.
struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<ConsumerReport>,
}

impl Running {
    async fn stop(self) -> ConsumerReport {
        let _ = self.stop.send(());
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("consumer stops")
            .unwrap()
    }
}

fn spawn_consumer<H, Fut>(config: &BrokerConfig, handler: H) -> Running
where
    H: Fn(EnvelopeId, Attempt) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let (stop, rx) = oneshot::channel::<()>();
    let config = config.clone();
    let task = tokio::spawn(async move {
        run_consumer(&config, handler, async move {
            let _ = rx.await;
        })
        .await
        .unwrap()
    });
    Running { stop, task }
}

/// A consumer whose handler takes `work` per envelope, records it in `seen` ("commits") and
/// answers [`Outcome::Done`].
fn recording_consumer(config: &BrokerConfig, seen: &Arc<Seen>, work: Duration) -> Running {
    let seen = Arc::clone(seen);
    spawn_consumer(config, move |envelope, attempt| {
        let seen = Arc::clone(&seen);
        async move {
            tokio::time::sleep(work).await;
            seen.record(&envelope, attempt);
            Outcome::Done
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topology_declares_twice_without_error() {
    let (config, _broker, _cleanup) = setup().await;
    let (conn, channel) = inspector(&config).await;
    let names = config.names();
    broker::topology::declare(&channel, &names, config.delivery_limit)
        .await
        .unwrap();
    broker::topology::declare(&channel, &names, config.delivery_limit)
        .await
        .unwrap();
    // A publisher declares it a third time on its own connection.
    Publisher::connect(&config).await.unwrap().close().await;
    assert_eq!(ready(&channel, &names.envelopes).await, 0);
    assert_eq!(
        ready(
            &channel,
            &names.service(ServiceQueue::QualificationManuelle)
        )
        .await,
        0
    );
    conn.close(200, "done".into()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmed_envelopes_are_consumed_and_acked_after_the_handler() {
    let (config, _broker, _cleanup) = setup().await;
    let publisher = Publisher::connect(&config).await.unwrap();
    let ids: Vec<EnvelopeId> = (0..40).map(|i| id(format!("env-{i:04}"))).collect();
    let confirmed = publisher.publish_envelopes(&ids).await.unwrap();
    assert_eq!(confirmed, ids, "every envelope confirmed, in order");
    publisher.close().await;

    let (conn, channel) = inspector(&config).await;
    assert_eq!(ready(&channel, &config.names().envelopes).await, 40);

    let seen = Arc::new(Seen::default());
    let running = recording_consumer(&config, &seen, Duration::from_millis(5));
    wait_until("40 envelopes handled", async || seen.count() == 40).await;
    let report = running.stop().await;
    assert_eq!(report.done, 40);
    assert_eq!(
        (
            report.retried,
            report.poisoned,
            report.malformed,
            report.returned
        ),
        (0, 0, 0, 0)
    );
    // Each envelope was delivered once, as a first attempt.
    for envelope in &ids {
        assert_eq!(
            seen.of(envelope.as_str()),
            vec![Attempt { number: 1, max: 3 }]
        );
    }
    // The channel is closed: anything unacked would be back in the queue.
    assert_eq!(ready(&channel, &config.names().envelopes).await, 0);
    conn.close(200, "done".into()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_returns_in_flight_work_which_is_redelivered() {
    let (mut config, _broker, _cleanup) = setup().await;
    config.shutdown_grace = Duration::from_millis(300);
    let publisher = Publisher::connect(&config).await.unwrap();
    publisher.publish_envelope(&id("env-slow")).await.unwrap();
    publisher.close().await;

    // A handler that never finishes: the store never commits, so there must be no ack.
    let started = Arc::new(Notify::new());
    let st = Arc::clone(&started);
    let running = spawn_consumer(&config, move |_envelope, _attempt| {
        let st = Arc::clone(&st);
        async move {
            st.notify_one();
            std::future::pending::<Outcome>().await
        }
    });
    tokio::time::timeout(PATIENCE, started.notified())
        .await
        .expect("handler started");
    let report = running.stop().await;
    assert_eq!((report.done, report.returned), (0, 1));

    let (conn, channel) = inspector(&config).await;
    assert_eq!(
        ready(&channel, &config.names().envelopes).await,
        1,
        "the envelope is back"
    );

    // The next worker gets it again, as a second attempt, and acks it.
    let seen = Arc::new(Seen::default());
    let running = recording_consumer(&config, &seen, Duration::ZERO);
    wait_until("redelivery", async || seen.count() == 1).await;
    let report = running.stop().await;
    assert_eq!(report.done, 1);
    assert_eq!(seen.of("env-slow"), vec![Attempt { number: 2, max: 3 }]);
    assert_eq!(ready(&channel, &config.names().envelopes).await, 0);
    conn.close(200, "done".into()).await.unwrap();
}

/// The dead-letter reason RabbitMQ recorded on a dead message.
fn death_reason(props: &BasicProperties) -> Option<String> {
    match props
        .headers()
        .as_ref()?
        .inner()
        .get("x-first-death-reason")?
    {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashing_and_poison_envelopes_are_dead_lettered_while_others_flow() {
    let (config, _broker, _cleanup) = setup().await;
    let names = config.names();
    let publisher = Publisher::connect(&config).await.unwrap();
    let mut ids = vec![id("crash-1"), id("poison-1")];
    ids.extend((0..30).map(|i| id(format!("env-{i:04}"))));
    assert_eq!(
        publisher.publish_envelopes(&ids).await.unwrap().len(),
        ids.len()
    );
    publisher.close().await;
    // And a body that is no envelope message at all.
    let (conn, channel) = inspector(&config).await;
    channel
        .basic_publish(
            names.exchange.as_str().into(),
            broker::topology::ENVELOPE_KEY.into(),
            BasicPublishOptions::default(),
            b"not json",
            BasicProperties::default(),
        )
        .await
        .unwrap()
        .await
        .unwrap();

    let seen = Arc::new(Seen::default());
    let s = Arc::clone(&seen);
    let running = spawn_consumer(&config, move |envelope, attempt| {
        let s = Arc::clone(&s);
        async move {
            s.record(&envelope, attempt);
            match envelope.as_str() {
                "crash-1" => panic!("processing crashed"),
                "poison-1" => Outcome::Poison("page 1: not an image".into()),
                _ => Outcome::Done,
            }
        }
    });
    wait_until("three dead letters", async || {
        ready(&channel, &names.dead_letters).await == 3
    })
    .await;
    wait_until("all good envelopes", async || seen.count() == ids.len()).await;
    let report = running.stop().await;

    assert_eq!(report.done, 30);
    assert_eq!(report.poisoned, 1);
    assert_eq!(report.malformed, 1);
    assert_eq!(
        report.retried, 3,
        "the crashing envelope was tried 1 + delivery limit times"
    );
    let crash: Vec<u32> = seen.of("crash-1").iter().map(|a| a.number).collect();
    assert_eq!(crash, vec![1, 2, 3]);
    assert!(seen.of("crash-1").last().unwrap().is_last());
    assert_eq!(seen.of("poison-1").len(), 1);
    assert_eq!(ready(&channel, &names.envelopes).await, 0);

    let mut dead = HashMap::new();
    for _ in 0..3 {
        let msg = channel
            .basic_get(
                names.dead_letters.as_str().into(),
                BasicGetOptions { no_ack: true },
            )
            .await
            .unwrap()
            .expect("a dead letter");
        let key = serde_json::from_slice::<EnvelopeMessage>(&msg.delivery.data)
            .map(|m| m.envelope.into_string())
            .unwrap_or_else(|_| "malformed".into());
        dead.insert(key, death_reason(&msg.delivery.properties));
    }
    assert_eq!(dead["crash-1"].as_deref(), Some("delivery_limit"));
    assert_eq!(dead["poison-1"].as_deref(), Some("rejected"));
    assert_eq!(dead["malformed"].as_deref(), Some("rejected"));
    conn.close(200, "done".into()).await.unwrap();
}

/// The tests' outbox: the store's contract, kept in memory.
#[derive(Default)]
struct MemoryOutbox {
    state: Mutex<OutboxState>,
}

#[derive(Default)]
struct OutboxState {
    unpublished: Vec<EnvelopeId>,
    events: Vec<PendingEvent>,
    published: HashSet<EnvelopeId>,
}

impl MemoryOutbox {
    fn add(&self, ids: impl IntoIterator<Item = EnvelopeId>) {
        self.state.lock().unwrap().unpublished.extend(ids);
    }
    fn pending(&self) -> (usize, usize) {
        let s = self.state.lock().unwrap();
        (s.unpublished.len(), s.events.len())
    }
}

impl Outbox for MemoryOutbox {
    type Error = Infallible;

    async fn unpublished(&self, limit: usize) -> Result<Vec<EnvelopeId>, Infallible> {
        Ok(self
            .state
            .lock()
            .unwrap()
            .unpublished
            .iter()
            .take(limit)
            .cloned()
            .collect())
    }

    async fn mark_published(&self, ids: &[EnvelopeId]) -> Result<(), Infallible> {
        let mut s = self.state.lock().unwrap();
        s.unpublished.retain(|id| !ids.contains(id));
        s.published.extend(ids.iter().cloned());
        Ok(())
    }

    async fn pending_events(&self, limit: usize) -> Result<Vec<PendingEvent>, Infallible> {
        Ok(self
            .state
            .lock()
            .unwrap()
            .events
            .iter()
            .take(limit)
            .cloned()
            .collect())
    }

    async fn mark_events_sent(&self, ids: &[i64]) -> Result<(), Infallible> {
        self.state
            .lock()
            .unwrap()
            .events
            .retain(|e| !ids.contains(&e.id));
        Ok(())
    }
}

fn spawn_relay(
    config: &BrokerConfig,
    outbox: &Arc<MemoryOutbox>,
    wake: &Arc<Notify>,
) -> (oneshot::Sender<()>, JoinHandle<broker::RelayReport>) {
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(run_relay(
        config.clone(),
        Arc::clone(outbox),
        Arc::clone(wake),
        async move {
            let _ = rx.await;
        },
    ));
    (stop, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_publishes_envelopes_routed_documents_and_events() {
    let (config, _broker, _cleanup) = setup().await;
    let names = config.names();
    let outbox = Arc::new(MemoryOutbox::default());
    outbox.add((0..5).map(|i| id(format!("env-{i}"))));
    let routed = RoutedDocument {
        queue: ServiceQueue::Reclamations,
        document: DocumentId(7),
        envelope: id("env-0"),
        class: Class::Complaint,
        acknowledge_by: Some(date!(2026 - 12 - 04)),
        answer_by: Some(date!(2027 - 01 - 20)),
    };
    let ready_event = DocumentReady {
        document: DocumentId(7),
        envelope: id("env-0"),
        class: Class::Complaint,
    };
    outbox.state.lock().unwrap().events = vec![
        PendingEvent {
            id: 1,
            message: Outbound::Routed(routed.clone()),
        },
        PendingEvent {
            id: 2,
            message: Outbound::Ready(ready_event.clone()),
        },
    ];
    let wake = Arc::new(Notify::new());
    let (stop, task) = spawn_relay(&config, &outbox, &wake);
    wait_until("outbox drained", async || outbox.pending() == (0, 0)).await;
    let _ = stop.send(());
    let report = task.await.unwrap();
    assert_eq!((report.envelopes, report.events), (5, 2));

    let (conn, channel) = inspector(&config).await;
    assert_eq!(ready(&channel, &names.envelopes).await, 5);
    let get = async |queue: &str| {
        let msg = channel
            .basic_get(queue.into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
            .expect("a message");
        assert_eq!(
            msg.delivery.properties.delivery_mode(),
            &Some(2),
            "persistent"
        );
        msg.delivery.data
    };
    let body = get(&names.service(ServiceQueue::Reclamations)).await;
    assert_eq!(
        serde_json::from_slice::<RoutedDocument>(&body).unwrap(),
        routed
    );
    let body = get(&names.events).await;
    assert_eq!(
        serde_json::from_slice::<DocumentReady>(&body).unwrap(),
        ready_event
    );
    assert_eq!(
        ready(&channel, &names.service(ServiceQueue::Adhesions)).await,
        0
    );
    conn.close(200, "done".into()).await.unwrap();
}

#[path = "support/rabbit.rs"]
mod rabbit;
use rabbit::BrokerStopped;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_mid_run_loses_nothing() {
    // lapin's automatic recovery reconnects and resumes the consumer.
    restart_mid_run(config()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_outlasting_lapin_recovery_loses_nothing() {
    // lapin gives up at once: the consumer's own loop must open a new connection.
    let mut config = config();
    config.recovery_attempts = 1;
    config.recovery_timeout = Duration::from_secs(2);
    restart_mid_run(config).await;
}

/// 200 envelopes in the outbox, a relay and a consumer running; the broker's application is
/// stopped for 3 s mid-run while 60 more envelopes arrive; every one must be processed.
async fn restart_mid_run(config: BrokerConfig) {
    let _broker = BROKER.write().await;
    let _cleanup = Cleanup(config.clone());
    let outbox = Arc::new(MemoryOutbox::default());
    let wake = Arc::new(Notify::new());
    let first: Vec<EnvelopeId> = (0..200).map(|i| id(format!("env-{i:04}"))).collect();
    outbox.add(first.iter().cloned());
    let (stop_relay, relay) = spawn_relay(&config, &outbox, &wake);

    // The "store": which envelopes were committed, and how many times a handler ran for each.
    let seen = Arc::new(Seen::default());
    let running = recording_consumer(&config, &seen, Duration::from_millis(20));

    wait_until("a quarter processed", async || seen.count() >= 50).await;
    let restart = BrokerStopped::stop();
    // Intake goes on during the outage: these are stored, their publish cannot happen yet.
    let second: Vec<EnvelopeId> = (200..260).map(|i| id(format!("env-{i:04}"))).collect();
    outbox.add(second.iter().cloned());
    wake.notify_one();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        seen.count() < 260,
        "nothing can be processed while the broker is down"
    );
    drop(restart);

    wait_until("every envelope processed", async || seen.count() == 260).await;
    wait_until("outbox empty", async || outbox.pending() == (0, 0)).await;
    let report = running.stop().await;
    let _ = stop_relay.send(());
    let relay_report = relay.await.unwrap();

    for envelope in first.iter().chain(&second) {
        assert!(!seen.of(envelope.as_str()).is_empty(), "{envelope} lost");
    }
    let (conn, channel) = inspector(&config).await;
    assert_eq!(ready(&channel, &config.names().envelopes).await, 0);
    assert_eq!(ready(&channel, &config.names().dead_letters).await, 0);
    conn.close(200, "done".into()).await.unwrap();
    let runs: usize = seen.attempts.lock().unwrap().values().map(Vec::len).sum();
    eprintln!(
        "restart: {} envelopes, {runs} handler runs, consumer {report:?}, relay {relay_report:?}",
        seen.count()
    );
    assert!(
        report.recoveries >= 1,
        "the consumer went through a recovery"
    );
    assert!(relay_report.envelopes >= 260);
}
