//! The in-process event bus of `mailroom run`: outbox rows reach subscribers and the journal,
//! are marked sent, and a validation event that would carry a name never leaves the store.

use std::sync::Arc;
use std::time::Duration;

use mailroom_store::Store;
use mailroom_workers::broker::{Outbound, Outbox};
use mailroom_workers::bus::{BusConfig, EventBus, deliver_pending, run_bus};
use tokio::sync::Notify;

async fn store_with_rows(dir: &std::path::Path, rows: &[(&str, &str)]) -> (Store, String) {
    let url = format!("sqlite://{}", dir.join("store.db").display());
    let store = Store::open(Some(&url)).await.unwrap();
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&url).await.unwrap();
    for (key, body) in rows {
        sqlx::query("INSERT INTO events (routing_key, payload, created_ms) VALUES ($1, $2, 0)")
            .bind(*key)
            .bind(*body)
            .execute(&raw)
            .await
            .unwrap();
    }
    raw.close().await;
    (store, url)
}

const CLAIM: &str = r#"{"envelope":"e-1","document":1,"class":"invoice","received_at":"2026-11-20T09:00:00Z","fields":{"invoice_number":"F-12","total_amount":"120.50"}}"#;
const CARD_WITH_NAME: &str = r#"{"envelope":"e-1","document":2,"class":"membership_form","received_at":"2026-11-20T09:00:00Z","fields":{"plan":"Niveau 3","last_name":"GIRARD"}}"#;
const READY: &str = r#"{"envelope":"e-1","document":1,"class":"invoice"}"#;

#[tokio::test]
async fn events_reach_subscribers_and_the_journal_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = store_with_rows(
        dir.path(),
        &[
            ("document.ready.invoice", READY),
            ("claim.validated", CLAIM),
            ("membership.validated", CARD_WITH_NAME),
        ],
    )
    .await;
    let bus = EventBus::new(16);
    let mut rx = bus.subscribe();
    let journal = dir.path().join("events").join("events.jsonl");
    let config = BusConfig {
        journal: Some(journal.clone()),
        ..BusConfig::default()
    };
    let n = deliver_pending(&bus, &store, &config).await.unwrap();
    assert_eq!(n, 2, "the row carrying a name is set aside, not delivered");
    let first = rx.recv().await.unwrap();
    assert_eq!(first.routing_key, "document.ready.invoice");
    let second = rx.recv().await.unwrap();
    assert_eq!(second.routing_key, "claim.validated");
    assert!(matches!(second.message, Outbound::Validated(ref v) if v.document.0 == 1));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["routing_key"], "claim.validated");
    assert_eq!(lines[1]["body"]["fields"]["invoice_number"], "F-12");
    assert!(
        !std::fs::read_to_string(&journal)
            .unwrap()
            .contains("GIRARD")
    );
    // Marked sent: a second pass delivers nothing.
    assert_eq!(deliver_pending(&bus, &store, &config).await.unwrap(), 0);
    assert!(Outbox::pending_events(&store, 10).await.unwrap().is_empty());
    store.close().await;
}

#[tokio::test]
async fn a_running_bus_delivers_when_woken_and_drains_at_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = store_with_rows(dir.path(), &[]).await;
    let store = Arc::new(store);
    let bus = EventBus::new(16);
    let mut rx = bus.subscribe();
    let wake = Arc::new(Notify::new());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run_bus(
        bus.clone(),
        store.clone(),
        BusConfig {
            journal: None,
            interval: Duration::from_secs(3600),
            batch: 1,
        },
        wake.clone(),
        async move {
            let _ = stop_rx.await;
        },
    ));
    let raw = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("INSERT INTO events (routing_key, payload, created_ms) VALUES ($1, $2, 0)")
        .bind("claim.validated")
        .bind(CLAIM)
        .execute(&raw)
        .await
        .unwrap();
    wake.notify_one();
    let got = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("delivered once woken")
        .unwrap();
    assert_eq!(got.routing_key, "claim.validated");
    // Committed just before the stop: still delivered.
    sqlx::query("INSERT INTO events (routing_key, payload, created_ms) VALUES ($1, $2, 0)")
        .bind("document.ready.invoice")
        .bind(READY)
        .execute(&raw)
        .await
        .unwrap();
    stop_tx.send(()).unwrap();
    let delivered = task.await.unwrap();
    assert_eq!(delivered, 2);
    assert_eq!(
        rx.recv().await.unwrap().routing_key,
        "document.ready.invoice"
    );
    raw.close().await;
    store.close().await;
}
