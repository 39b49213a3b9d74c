//! What operations see over HTTP, with real parts: `mailroom run`'s server (`/metrics`,
//! `/health/*`, `/ops`) after processing demo envelopes, and readiness when the store is
//! closed or the broker's port is closed. Needs the OCR worker program (`cargo build
//! --release --workspace`).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use mailroom_store::Store;
use mailroom_telemetry::metrics::Component;
use mailroom_workers::Pipeline;
use mailroom_workers::broker::BrokerConfig;
use mailroom_workers::embedded::{EmbeddedConfig, run_with};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tower::ServiceExt as _;

fn demo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .join("samples/demo/envelopes")
        .join(name)
}

fn drop_envelope(inbox: &Path, name: &str) {
    let to = inbox.join(name);
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(demo(name)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    std::fs::write(to.join(".ready"), b"").unwrap();
}

/// A port nothing listens on (bound, then released).
fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// A plain HTTP/1.1 GET: the status and the body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("server up");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// The value of one sample line (`name{labels} value`), 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// The sum of every sample of a metric, whatever its labels.
fn total(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.starts_with(name) && matches!(l.as_bytes().get(name.len()), Some(b'{' | b' '))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

const LABEL_KEYS: [&str; 14] = [
    "door",
    "outcome",
    "reason",
    "kind",
    "stage",
    "le",
    "class",
    "route",
    "queue",
    "service",
    "age",
    "deadline",
    "component",
    "decision",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_after_processing_and_labels_hold_no_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut config = EmbeddedConfig::new(&inbox);
    config.database_url = Some(format!("sqlite://{}", tmp.path().join("m.db").display()));
    config.ocr.slots = 2;
    config.settle = Duration::from_millis(200);
    config.poll = Duration::from_millis(100);
    config.worker = "telemetry-test".into();
    config.sampler.tick = Duration::from_millis(200);
    config.sampler.step = Duration::from_millis(200);
    let addr = free_addr();
    config.listen = Some(addr);
    let store = Store::open(config.database_url.as_deref()).await.unwrap();
    let ocr = config.ocr.clone();
    let pipeline = tokio::task::spawn_blocking(move || Pipeline::new(ocr, None))
        .await
        .unwrap()
        .expect("OCR stage (build the workspace first: cargo build --release --workspace)");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let run = {
        let (config, store) = (config.clone(), store.clone());
        tokio::spawn(async move {
            run_with(&config, store, pipeline, None, async move {
                let _ = stop_rx.await;
            })
            .await
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let before = loop {
        if let Ok(s) = tokio::net::TcpStream::connect(addr).await {
            drop(s);
            break get(addr, "/metrics").await;
        }
        assert!(Instant::now() < deadline, "server never came up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(before.0, 200);
    let names = ["env-000005", "env-000006", "env-000007"];
    for n in names {
        drop_envelope(&inbox, n);
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let all = store.list(None, 100).await.unwrap();
        if all.len() == names.len() && all.iter().all(|e| e.status.is_finished()) {
            break;
        }
        assert!(Instant::now() < deadline, "envelopes not finished: {all:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let the sampler see the results.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, after) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    let (b, a) = (&before.1, &after);
    let finished = |t: &str| {
        value(t, "mailroom_envelopes_processed_total{outcome=\"stored\"}")
            + value(
                t,
                "mailroom_envelopes_processed_total{outcome=\"rejected\"}",
            )
    };
    assert!(finished(a) - finished(b) >= 3.0, "{a}");
    assert!(
        value(a, "mailroom_envelopes_received_total{door=\"hot_folder\"}")
            - value(b, "mailroom_envelopes_received_total{door=\"hot_folder\"}")
            >= 3.0
    );
    for metric in [
        "mailroom_pages_total",
        "mailroom_documents_total",
        "mailroom_envelope_duration_seconds_count",
        "mailroom_stage_duration_seconds_count",
    ] {
        assert!(total(a, metric) > total(b, metric), "{metric} did not move");
    }
    assert!(value(a, "mailroom_envelopes_per_hour") >= 3.0);
    assert_eq!(value(a, "mailroom_ocr_slots_busy"), 0.0);
    assert_eq!(value(a, "mailroom_ocr_slots"), 2.0);
    assert!(a.ends_with("# EOF\n"));
    // Labels: only known keys, and never an envelope id, name or document id.
    let ids: Vec<String> = store
        .list(None, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id.as_str().to_string())
        .collect();
    let mut keys = BTreeSet::new();
    for line in a.lines().filter(|l| !l.starts_with('#')) {
        if let Some((_, labels)) = line.split_once('{') {
            let labels = labels.split('}').next().unwrap_or_default();
            for pair in labels.split(',') {
                let (k, v) = pair.split_once('=').unwrap();
                keys.insert(k.to_string());
                let v = v.trim_matches('"');
                assert!(!v.starts_with("e-") && !v.starts_with("env-"), "{line}");
                assert!(v.len() <= 24, "{line}");
            }
        }
        for id in &ids {
            assert!(!line.contains(id.as_str()), "{line}");
        }
    }
    for k in &keys {
        assert!(LABEL_KEYS.contains(&k.as_str()), "unexpected label {k}");
    }
    // Health and the ops page on the same server.
    let (status, body) = get(addr, "/health/live").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(addr, "/health/ready").await;
    assert_eq!(status, 200, "{body}");
    let ready: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ready["checks"]["store"], "up");
    let (status, page) = get(addr, "/ops").await;
    assert_eq!(status, 200);
    // To look at the page as a person would (a browser screenshot of this file).
    if let Ok(out) = std::env::var("MAILROOM_OPS_PAGE_OUT") {
        std::fs::write(out, &page).unwrap();
    }
    assert!(page.contains("Salle du courrier"));
    assert!(page.contains("<svg"));
    assert!(!page.contains("<script"));
    let (status, series) = get(addr, "/ops/series.json").await;
    assert_eq!(status, 200);
    let series: serde_json::Value = serde_json::from_str(&series).unwrap();
    let latest = &series["latest"];
    assert!(
        latest["envelopes_per_hour"].as_u64().unwrap() >= 3,
        "{series}"
    );
    assert!(!series["samples"].as_array().unwrap().is_empty());
    for id in &ids {
        assert!(!page.contains(id.as_str()));
    }
    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("run stops")
        .unwrap()
        .unwrap();
    store.close().await;
}

async fn ready(probes: mailroom_telemetry::Probes) -> (StatusCode, serde_json::Value) {
    let app = mailroom_telemetry::routes(probes);
    let response = app
        .oneshot(Request::get("/health/ready").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_false_when_the_store_is_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("r.db").display());
    let store = Store::open(Some(&url)).await.unwrap();
    let probes = mailroom_telemetry::Probes::new().store(store.clone());
    let (status, body) = ready(probes.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ready"], true);
    store.close().await;
    let (status, body) = ready(probes).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["ready"], false);
    assert_eq!(body["down"], serde_json::json!(["store"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_false_when_the_broker_port_is_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("b.db").display());
    let store = Store::open(Some(&url)).await.unwrap();
    let closed = free_addr();
    let broker = BrokerConfig::new(format!("amqp://guest:guest@{closed}/%2f"));
    let probes = mailroom_telemetry::Probes::new().store(store.clone()).with(
        Component::Broker,
        mailroom_workers::broker::depth::probe(broker),
    );
    let started = Instant::now();
    let (status, body) = ready(probes).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["down"], serde_json::json!(["broker"]));
    assert_eq!(body["checks"]["store"], "up");
    assert_eq!(body["checks"]["broker"], "down");
    // The answer does not hang on the dead broker.
    assert!(started.elapsed() < Duration::from_secs(10));
    // Nor does the answer quote the URL (it may hold a password).
    assert!(!body.to_string().contains("guest"));
    store.close().await;
}

/// Queue depths from the real RabbitMQ (skipped with a notice when it cannot be reached):
/// messages put in the dead-letter queue and a service queue of a fresh, prefixed topology
/// show in `mailroom_queue_depth_messages` under their role, and readiness says the broker is
/// up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_depths_come_from_the_broker() {
    use lapin::options::BasicPublishOptions;
    use lapin::{BasicProperties, Connection, ConnectionProperties};
    use mailroom_telemetry::metrics::{Queue, metrics};

    let prefix = format!(
        "telemetry-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let config = BrokerConfig::from_env()
        .unwrap_or_else(|| BrokerConfig::new(BrokerConfig::DEFAULT_URL))
        .with_prefix(prefix);
    let Ok(conn) = Connection::connect(&config.url, ConnectionProperties::default()).await else {
        eprintln!("notice: RabbitMQ unreachable at its default address; test skipped");
        return;
    };
    let channel = conn.create_channel().await.unwrap();
    let names = config.names();
    mailroom_workers::broker::topology::declare(&channel, &names, config.delivery_limit)
        .await
        .unwrap();
    let publish = async |exchange: &str, key: &str, n: usize| {
        for i in 0..n {
            let body = format!("{{\"envelope\":\"e-{i:020}\"}}");
            channel
                .basic_publish(
                    exchange.into(),
                    key.into(),
                    BasicPublishOptions::default(),
                    body.as_bytes(),
                    BasicProperties::default(),
                )
                .await
                .unwrap()
                .await
                .unwrap();
        }
    };
    publish(&names.dead_exchange, "", 3).await;
    publish(&names.exchange, "route.reclamations", 2).await;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let poller = tokio::spawn(mailroom_workers::broker::depth::poll_depths(
        config.clone(),
        Duration::from_millis(100),
        async move {
            let _ = stop_rx.await;
        },
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    while metrics().queue_depth(Queue::DeadLetters) != 3
        || metrics().queue_depth(Queue::Service("reclamations")) != 2
    {
        assert!(Instant::now() < deadline, "depths never read");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = metrics().encode();
    assert!(text.contains("mailroom_queue_depth_messages{queue=\"dead_letters\"} 3"));
    assert!(!text.contains("telemetry-"), "a queue name became a label");
    let probes = mailroom_telemetry::Probes::new().with(
        Component::Broker,
        mailroom_workers::broker::depth::probe(config.clone()),
    );
    let (status, body) = ready(probes).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(10), poller)
        .await
        .expect("the poller stops")
        .unwrap();
    mailroom_workers::broker::topology::delete(&channel, &names)
        .await
        .unwrap();
    let _ = conn.close(200, "done".into()).await;
}
