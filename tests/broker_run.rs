//! `mailroom worker` processes against the real RabbitMQ (`AMQP_URL`, default
//! 127.0.0.1:5672) and a shared SQLite store: a poison envelope is dead-lettered with its reason
//! while the others flow; workers SIGKILLed mid-run and a broker restarted mid-run lose and
//! duplicate nothing. Needs the OCR worker program (`cargo build --release --workspace`).
//!
//! Every test uses its own queue prefix (`MAILROOM_AMQP_PREFIX`) and deletes its queues at the
//! end; the tests take a lock so that they run one after the other (two workers each fill the
//! two cores, and one of them stops the broker).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use mailroom_store::{EnvelopeStatus, Store};
use mailroom_workers::broker::BrokerConfig;

/// One test at a time (see the module docs).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long a test may wait for the envelopes to be finished before it fails.
const PATIENCE: Duration = Duration::from_secs(600);

fn amqp_url() -> String {
    std::env::var("AMQP_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| BrokerConfig::DEFAULT_URL.to_string())
}

/// A test's world: temp dir, store (a SQLite file, or a fresh PostgreSQL schema), queue
/// prefix; its queues and schema go when dropped.
struct World {
    dir: tempfile::TempDir,
    db: String,
    broker: BrokerConfig,
    /// The PostgreSQL schema to drop.
    schema: Option<String>,
}

/// The PostgreSQL database of the tests (`MAILROOM_TEST_POSTGRES`, as the store's tests).
fn postgres_base() -> String {
    std::env::var("MAILROOM_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn psql(sql: &str) {
    let status = Command::new("psql")
        .args([&postgres_base(), "-q", "-c", sql])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("psql runs");
    assert!(status.success(), "psql {sql} failed");
}

impl World {
    async fn new(tag: &str, postgres: bool) -> World {
        let dir = tempfile::tempdir().unwrap();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let unique = format!("{tag}_{}_{nanos:08x}", std::process::id());
        let (db, schema) = if postgres {
            let schema = format!("t_{unique}");
            psql(&format!("CREATE SCHEMA {schema}"));
            let base = postgres_base();
            let sep = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
            (url, Some(schema))
        } else {
            let path = dir.path().join("store.db");
            (format!("sqlite://{}", path.display()), None)
        };
        let broker = BrokerConfig::new(amqp_url()).with_prefix(format!("test-{unique}"));
        wait_for_broker(&broker.url).await;
        World {
            dir,
            db,
            broker,
            schema,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mailroom"));
        c.args(args)
            .args(["--database-url", &self.db])
            .env("AMQP_URL", &self.broker.url)
            .env(
                "MAILROOM_AMQP_PREFIX",
                self.broker.prefix.as_deref().unwrap(),
            )
            .env("OMP_THREAD_LIMIT", "1")
            .env("RUST_LOG", "info");
        c
    }

    /// Stores (and publishes) envelopes with `mailroom ingest`.
    fn ingest(&self, envelopes: &[PathBuf]) {
        let out = self
            .command(&["ingest"])
            .args(envelopes)
            .stderr(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "ingest failed: {text}");
        assert!(text.contains("envelopes published"), "ingest said: {text}");
    }

    /// Starts a `mailroom worker` with one OCR slot; its log goes to `<name>.log`.
    fn worker(&self, name: &str, crash_on: Option<&str>) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path().join(format!("{name}.log")))
            .unwrap();
        let mut c = self.command(&["worker", "--slots", "1"]);
        if let Some(n) = crash_on {
            c.env("MAILROOM_TEST_CRASH_ON", n);
        }
        c.stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("mailroom worker starts")
    }

    async fn store(&self) -> Store {
        Store::open(Some(&self.db)).await.unwrap()
    }

    /// Messages waiting in one of the test's queues.
    async fn queue_depth(&self, queue: &str) -> u32 {
        let conn =
            lapin::Connection::connect(&self.broker.url, lapin::ConnectionProperties::default())
                .await
                .unwrap();
        let channel = conn.create_channel().await.unwrap();
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        let n = channel
            .queue_declare(queue.into(), passive, FieldTable::default())
            .await
            .unwrap()
            .message_count();
        let _ = conn.close(200, "done".into()).await;
        n
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema {
            psql(&format!("DROP SCHEMA {schema} CASCADE"));
        }
        let config = self.broker.clone();
        // Its own thread and runtime: Drop cannot await and may run inside the test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let props = lapin::ConnectionProperties::default();
                if let Ok(conn) = lapin::Connection::connect(&config.url, props).await
                    && let Ok(channel) = conn.create_channel().await
                {
                    let _ =
                        mailroom_workers::broker::topology::delete(&channel, &config.names()).await;
                    let _ = conn.close(200, "done".into()).await;
                }
            });
        })
        .join();
    }
}

/// Waits for the broker to accept connections (it may be coming back from a restart test).
async fn wait_for_broker(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let props = lapin::ConnectionProperties::default();
        match lapin::Connection::connect(url, props).await {
            Ok(conn) => {
                let _ = conn.close(200, "up".into()).await;
                return;
            }
            Err(e) => assert!(
                Instant::now() < deadline,
                "RabbitMQ is not running at {url}: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// `count` small envelopes from the sample generator: the first page file of each generated
/// envelope folder, alone in a folder of its own (distinct content, so none is a duplicate).
fn small_envelopes(dir: &Path, count: usize, seed: u64) -> Vec<PathBuf> {
    let set = dir.join("set");
    // About two thirds of the generated envelopes are folders.
    mailroom_samples::generate(&set, (count * 3 / 2 + 8) as u64, seed, &|_| {}).unwrap();
    let mut folders: Vec<PathBuf> = std::fs::read_dir(set.join("envelopes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    assert!(folders.len() >= count, "the generator made too few folders");
    folders
        .iter()
        .take(count)
        .enumerate()
        .map(|(i, folder)| {
            let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x != "json"))
                .collect();
            files.sort();
            let to = dir.join("in").join(format!("small-{i:04}"));
            std::fs::create_dir_all(&to).unwrap();
            let first = &files[0];
            std::fs::copy(first, to.join(first.file_name().unwrap())).unwrap();
            to
        })
        .collect()
}

/// Makes `count` small envelopes, ingests them (stored and published) and starts two
/// workers; returns the store, the workers and when ingest began.
async fn start(
    world: &World,
    count: usize,
    seed: u64,
    crash_on: Option<&str>,
) -> (Store, Vec<(String, Child)>, Instant) {
    let envelopes = small_envelopes(world.path(), count, seed);
    let started = Instant::now();
    world.ingest(&envelopes);
    let store = world.store().await;
    let workers = ["w1", "w2"]
        .iter()
        .map(|n| (n.to_string(), world.worker(n, crash_on)))
        .collect();
    (store, workers, started)
}

/// Envelopes per status.
async fn statuses(store: &Store) -> BTreeMap<EnvelopeStatus, u64> {
    store.counts().await.unwrap()
}

fn finished(counts: &BTreeMap<EnvelopeStatus, u64>) -> u64 {
    counts
        .iter()
        .filter(|(s, _)| s.is_finished())
        .map(|(_, n)| n)
        .sum()
}

/// Restarts any worker that died (as systemd would), counting the restarts.
fn supervise(world: &World, workers: &mut [(String, Child)], crash_on: Option<&str>) -> u32 {
    let mut restarts = 0;
    for (name, child) in workers.iter_mut() {
        if child.try_wait().unwrap().is_some() {
            *child = world.worker(name, crash_on);
            restarts += 1;
        }
    }
    restarts
}

/// SIGTERMs the workers and checks that each exits cleanly (else shows the end of its log).
fn stop(world: &World, workers: Vec<(String, Child)>) {
    for (_, child) in &workers {
        // SAFETY: kill(2) on the pid of a child we own.
        unsafe { libc_kill(child.id() as i32, 15) };
    }
    for (name, mut child) in workers {
        let deadline = Instant::now() + Duration::from_secs(90);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{name} did not stop after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if !status.success() {
            let log = std::fs::read_to_string(world.path().join(format!("{name}.log")))
                .unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "{name} exited with {status} after SIGTERM; its log ends:\n{}",
                tail.join("\n")
            );
        }
    }
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

/// Every envelope finished exactly once: stored (`awaiting_validation`) in its history once,
/// and nothing left waiting or being read.
async fn assert_each_stored_once(store: &Store, expected: usize) {
    let all = store.list(None, 100_000).await.unwrap();
    assert_eq!(all.len(), expected, "envelopes in the store");
    for e in &all {
        assert_eq!(
            e.status,
            EnvelopeStatus::AwaitingValidation,
            "{} ended {:?} ({:?})",
            e.name,
            e.status,
            e.reason
        );
        let stored = store
            .history(&e.id)
            .await
            .unwrap()
            .iter()
            .filter(|h| h.status == "awaiting_validation")
            .count();
        assert_eq!(stored, 1, "{} stored {stored} times", e.name);
    }
}

/// Waits until `expected` envelopes are finished, keeping the workers alive; `tick` runs on
/// every round (kills, broker restarts).
async fn run_until_finished(
    world: &World,
    store: &Store,
    workers: &mut [(String, Child)],
    crash_on: Option<&str>,
    expected: u64,
    mut tick: impl FnMut(u64, &mut [(String, Child)]),
) -> u32 {
    let deadline = Instant::now() + PATIENCE;
    let mut restarts = 0;
    loop {
        let done = finished(&statuses(store).await);
        if done >= expected {
            return restarts;
        }
        assert!(
            Instant::now() < deadline,
            "only {done} of {expected} envelopes finished; logs in {}",
            world.path().display()
        );
        tick(done, workers);
        restarts += supervise(world, workers, crash_on);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_envelope_is_dead_lettered_with_its_reason_while_others_flow() {
    poison_envelope(false).await;
}

/// The same on PostgreSQL, then `mailroom export` from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_envelope_on_postgres_and_export() {
    poison_envelope(true).await;
}

async fn poison_envelope(postgres: bool) {
    let _serial = SERIAL.lock().await;
    let world = World::new("poison", postgres).await;
    let poison = "small-0002";
    let (store, mut workers, _) = start(&world, 6, 31, Some(poison)).await;
    let restarts =
        run_until_finished(&world, &store, &mut workers, Some(poison), 6, |_, _| {}).await;
    stop(&world, workers);
    println!("poison envelope: {restarts} worker restarts");
    let all = store.list(None, 100).await.unwrap();
    for e in &all {
        if e.name == poison {
            assert_eq!(e.status, EnvelopeStatus::Rejected);
            let reason = e.reason.clone().unwrap_or_default();
            assert!(reason.contains("interrupted"), "reason: {reason}");
            let history = store.history(&e.id).await.unwrap();
            let reads = history.iter().filter(|h| h.status == "reading").count();
            assert_eq!(reads as u32, BrokerConfig::new("").delivery_limit + 1);
            let last = history.last().unwrap();
            assert_eq!(
                (last.status.as_str(), last.detail.as_str()),
                ("rejected", reason.as_str())
            );
        } else {
            assert_eq!(
                e.status,
                EnvelopeStatus::AwaitingValidation,
                "{} ({:?})",
                e.name,
                e.reason
            );
        }
    }
    assert_eq!(
        restarts,
        BrokerConfig::new("").delivery_limit,
        "each interrupted attempt killed a worker"
    );
    let names = world.broker.names();
    assert_eq!(world.queue_depth(&names.dead_letters).await, 1);
    assert_eq!(world.queue_depth(&names.envelopes).await, 0);
    store.close().await;
    // The export holds every finished envelope, the rejected one with its reason.
    let out = world.path().join("results.jsonl");
    let export = world
        .command(&["export", "--out", out.to_str().unwrap()])
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(export.status.success(), "export failed");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6, "exported envelopes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_killed_mid_run_lose_and_duplicate_nothing() {
    let _serial = SERIAL.lock().await;
    let world = World::new("kill", false).await;
    // 40 by default to keep CI short; MAILROOM_RELIABILITY_ENVELOPES=300 for the full run.
    let count = std::env::var("MAILROOM_RELIABILITY_ENVELOPES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let (store, mut workers, started) = start(&world, count, 32, None).await;
    // SIGKILL w1 while it reads an envelope, three times, a few envelopes apart.
    let mut kills = Vec::new();
    let mut next_kill_at = 4;
    let mut reading_now: Vec<String> = Vec::new();
    let probe = world.store().await;
    let mut interrupted = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let done = finished(&statuses(&store).await);
        if done >= count as u64 {
            break;
        }
        assert!(Instant::now() < deadline, "only {done} of {count} finished");
        if kills.len() < 3 && done >= next_kill_at {
            let pid = workers[0].1.id();
            reading_now.clear();
            for e in probe
                .list(Some(EnvelopeStatus::Reading), 100)
                .await
                .unwrap()
            {
                let h = probe.history(&e.id).await.unwrap();
                if h.last()
                    .is_some_and(|h| h.detail.contains(&format!(":{pid},")))
                {
                    reading_now.push(e.name.clone());
                }
            }
            if !reading_now.is_empty() {
                workers[0].1.kill().unwrap();
                let _ = workers[0].1.wait();
                kills.push(done);
                interrupted.append(&mut reading_now);
                next_kill_at = done + 5;
            }
        }
        supervise(&world, &mut workers, None);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    stop(&world, workers);
    println!(
        "{count} envelopes, 2 workers, w1 SIGKILLed at {kills:?} envelopes done (interrupting {interrupted:?}): all finished in {:.1} s",
        elapsed.as_secs_f64()
    );
    assert_eq!(kills.len(), 3, "w1 was killed three times");
    assert_each_stored_once(&store, count).await;
    for e in store.list(None, 1000).await.unwrap() {
        if interrupted.contains(&e.name) {
            assert!(e.attempts >= 2, "{} was interrupted, yet read once", e.name);
        }
    }
    assert_eq!(world.queue_depth(&world.broker.names().envelopes).await, 0);
    assert_eq!(
        world.queue_depth(&world.broker.names().dead_letters).await,
        0
    );
    probe.close().await;
    store.close().await;
}

#[path = "../workers/tests/support/rabbit.rs"]
mod rabbit;
use rabbit::BrokerStopped;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restarted_mid_run_loses_and_duplicates_nothing() {
    let _serial = SERIAL.lock().await;
    let world = World::new("restart", false).await;
    let count = 24;
    let (store, mut workers, started) = start(&world, count, 33, None).await;
    let mut restarted_at = None;
    let restarts = run_until_finished(
        &world,
        &store,
        &mut workers,
        None,
        count as u64,
        |done, _| {
            if restarted_at.is_none() && done >= 4 {
                let stopped = BrokerStopped::stop();
                std::thread::sleep(Duration::from_secs(3));
                drop(stopped);
                restarted_at = Some(done);
            }
        },
    )
    .await;
    let elapsed = started.elapsed();
    stop(&world, workers);
    println!(
        "{count} envelopes, 2 workers, broker restarted at {restarted_at:?} envelopes done, {restarts} worker restarts: all finished in {:.1} s",
        elapsed.as_secs_f64()
    );
    assert!(restarted_at.is_some(), "the broker was restarted mid-run");
    assert_eq!(restarts, 0, "no worker died of the outage");
    assert_each_stored_once(&store, count).await;
    let names = world.broker.names();
    assert_eq!(world.queue_depth(&names.envelopes).await, 0);
    // Every routed document reached its service queue, and every one its ready event (at
    // least once: a confirm lost in the outage means a second copy, never none).
    assert!(store.pending_events(10).await.unwrap().is_empty());
    let mut routed = 0;
    for e in store.list(None, 1000).await.unwrap() {
        routed += store.routes(&e.id).await.unwrap().len() as u32;
    }
    let mut in_service_queues = 0;
    for q in mailroom_workers::broker::ServiceQueue::ALL {
        in_service_queues += world.queue_depth(&names.service(q)).await;
    }
    assert!(routed >= count as u32, "{routed} documents routed");
    assert!(
        in_service_queues >= routed,
        "{in_service_queues} routed messages for {routed} documents"
    );
    assert!(world.queue_depth(&names.events).await >= routed);
    store.close().await;
}

/// With `AMQP_URL` set, `mailroom run` takes the hot folder's envelopes through RabbitMQ.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mailroom_run_goes_through_the_broker_when_amqp_url_is_set() {
    let _serial = SERIAL.lock().await;
    let world = World::new("run", false).await;
    let envelopes = small_envelopes(world.path(), 3, 34);
    let inbox = world.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let log = std::fs::File::create(world.path().join("run.log")).unwrap();
    let inbox_arg = inbox.to_str().unwrap().to_string();
    let run = world
        .command(&[
            "run", "--inbox", &inbox_arg, "--settle", "0.2", "--slots", "1",
        ])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    for e in &envelopes {
        let to = inbox.join(e.file_name().unwrap());
        std::fs::create_dir_all(&to).unwrap();
        for f in std::fs::read_dir(e).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
        }
        std::fs::write(to.join(".ready"), b"").unwrap();
    }
    let store = world.store().await;
    let mut workers = vec![("run".to_string(), run)];
    let deadline = Instant::now() + PATIENCE;
    while finished(&statuses(&store).await) < 3 {
        assert!(
            workers[0].1.try_wait().unwrap().is_none(),
            "mailroom run exited: {}",
            std::fs::read_to_string(world.path().join("run.log")).unwrap_or_default()
        );
        assert!(Instant::now() < deadline, "envelopes not finished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop(&world, workers);
    assert_each_stored_once(&store, 3).await;
    // Published by the relay and consumed from the queue, not taken from the store's queue.
    let published = store.unpublished(10).await.unwrap();
    assert!(published.is_empty());
    let log = std::fs::read_to_string(world.path().join("run.log")).unwrap();
    assert!(
        log.contains("consumer started"),
        "the run consumed from RabbitMQ"
    );
    assert_eq!(world.queue_depth(&world.broker.names().envelopes).await, 0);
    store.close().await;
}
