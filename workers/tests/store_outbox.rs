//! The store as the relay's outbox: an event row that is not a valid message is set aside
//! (never sent, never offered again) and the rows after it still go out.

use mailroom_store::Store;
use mailroom_workers::broker::{Outbound, Outbox};

#[tokio::test]
async fn an_undecodable_event_is_set_aside_and_the_others_flow() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let store = Store::open(Some(&url)).await.unwrap();
    // Rows written behind the store's back, as a buggy producer would: a body with a field
    // the message does not have, a key that matches no message, then a good one.
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&url).await.unwrap();
    for (key, body) in [
        (
            "document.ready.invoice",
            r#"{"envelope":"e-1","document":1,"class":"invoice","nir":"1"}"#,
        ),
        ("nowhere", r#"{"envelope":"e-1"}"#),
        (
            "document.ready.invoice",
            r#"{"envelope":"e-1","document":2,"class":"invoice"}"#,
        ),
    ] {
        sqlx::query("INSERT INTO events (routing_key, payload, created_ms) VALUES ($1, $2, 0)")
            .bind(key)
            .bind(body)
            .execute(&raw)
            .await
            .unwrap();
    }
    let pending = Outbox::pending_events(&store, 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, 3);
    assert!(matches!(&pending[0].message, Outbound::Ready(r) if r.document.0 == 2));
    // The bad rows are not offered again, and stay in the table, marked.
    let again = Outbox::pending_events(&store, 10).await.unwrap();
    assert_eq!(again.iter().map(|e| e.id).collect::<Vec<_>>(), [3]);
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE failed_ms IS NOT NULL")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(failed, 2);
    Outbox::mark_events_sent(&store, &[3]).await.unwrap();
    assert!(Outbox::pending_events(&store, 10).await.unwrap().is_empty());
    raw.close().await;
    store.close().await;
}
