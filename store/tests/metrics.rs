//! The operations figures of `mailroom_store::metrics`, on both backends: a SQLite file in a
//! temporary folder, and PostgreSQL (`MAILROOM_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`) in a fresh schema per test. When PostgreSQL
//! cannot be reached its half is skipped with a printed notice.

use std::collections::BTreeMap;
use std::time::Duration;

use mailroom_domain::{Class, EnvelopeResult, ResultDocument, Status};
use mailroom_ocr::{PageText, Timings};
use mailroom_store::desk::DocKey;
use mailroom_store::metrics::{AgeBucket, CorrectionKind, Deadline, at_risk_until};
use mailroom_store::{Claim, Completed, EnvelopeFile, NewEnvelope, Received, Route, Store};
use time::{Date, OffsetDateTime};

#[macro_use]
mod support;

fn envelope(name: &str) -> NewEnvelope {
    NewEnvelope {
        name: name.into(),
        source: "cli".into(),
        received_at: OffsetDateTime::now_utc(),
        files: vec![EnvelopeFile {
            name: "001.png".into(),
            bytes: name.as_bytes().to_vec(),
        }],
    }
}

/// A read page, built from its JSON form so that fields the OCR stage adds with a default do
/// not break this test.
fn page() -> PageText {
    serde_json::from_value(serde_json::json!({
        "page": 1,
        "text": "text",
        "words": [],
        "confidence": 0.9,
        "rotation": 0,
        "deskew_deg": 0.0,
        "blank": false,
        "source": "ocr",
        "elapsed_ms": 5,
        "width": 100,
        "height": 200,
        "dpi": 200,
        "timings": serde_json::to_value(Timings::default()).unwrap(),
    }))
    .expect("a page")
}

fn result(name: &str, classes: &[Class]) -> EnvelopeResult {
    EnvelopeResult {
        envelope: name.into(),
        status: Status::Processed,
        error: None,
        pages: 1,
        blank_pages: vec![],
        documents: classes
            .iter()
            .map(|c| ResultDocument {
                class: *c,
                confidence: 0.9,
                pages: vec![1],
                fields: BTreeMap::new(),
            })
            .collect(),
    }
}

async fn stored(store: &Store, name: &str) -> mailroom_domain::EnvelopeId {
    match store.receive(&envelope(name)).await.unwrap() {
        Received::New(id) => id,
        other => panic!("{other:?}"),
    }
}

/// Receives, claims and completes an envelope with these documents and routes.
async fn complete(
    store: &Store,
    name: &str,
    classes: &[Class],
    routes: Vec<Route>,
) -> mailroom_domain::EnvelopeId {
    let id = stored(store, name).await;
    assert!(matches!(
        store
            .claim(&id, "w", Duration::from_secs(60))
            .await
            .unwrap(),
        Claim::Claimed { .. }
    ));
    let done = store
        .complete(&id, &result(name, classes), &[page()], &routes)
        .await
        .unwrap();
    assert_eq!(done, Completed::Stored);
    id
}

fn route(queue: &str, ack: Option<Date>, answer: Option<Date>) -> Route {
    Route {
        queue: queue.into(),
        acknowledge_by: ack,
        answer_by: answer,
    }
}

async fn figures(store: &Store) {
    store.ping().await.unwrap();
    let start = store.history_cursor().await.unwrap();
    let now = OffsetDateTime::now_utc();
    let today = now.date();
    let day = time::Duration::days(1);
    // Two complaints: one acknowledgement overdue, one due within 2 working days; answers far.
    complete(
        store,
        "c1",
        &[Class::Complaint],
        vec![route(
            "reclamations",
            Some(today - day),
            Some(today + 40 * day),
        )],
    )
    .await;
    complete(
        store,
        "c2",
        &[Class::Complaint, Class::Invoice],
        vec![
            route(
                "reclamations",
                Some(at_risk_until(today)),
                Some(today + 60 * day),
            ),
            route("prestations", None, None),
        ],
    )
    .await;
    complete(
        store,
        "c3",
        &[Class::Complaint],
        vec![route(
            "reclamations",
            Some(today + 30 * day),
            Some(today - day),
        )],
    )
    .await;
    // One rejected, one waiting, one being read.
    let rejected = stored(store, "r1").await;
    store.reject(&rejected, "unreadable").await.unwrap();
    stored(store, "w1").await;
    let reading = stored(store, "w2").await;
    store
        .claim(&reading, "w", Duration::from_secs(60))
        .await
        .unwrap();

    let q = store.queue_figures().await.unwrap();
    assert_eq!((q.waiting, q.reading), (1, 1));
    // Nothing was published: every envelope still waiting is in the outbox.
    assert_eq!(q.unpublished_envelopes, 1);
    // Two events (route, document.ready) per document: 4 documents.
    assert_eq!(q.pending_events, 8);

    let backlog = store.validation_backlog(now).await.unwrap();
    let by = |service: &str, age: AgeBucket| {
        backlog
            .iter()
            .find(|b| b.service == service && b.age == age)
            .map(|b| b.documents)
            .unwrap_or(0)
    };
    assert_eq!(by("reclamations", AgeBucket::Under1Day), 3);
    assert_eq!(by("prestations", AgeBucket::Under1Day), 1);
    assert_eq!(backlog.iter().map(|b| b.documents).sum::<u64>(), 4);
    // Seen two days later, the same documents are one to three days old.
    let later = store
        .validation_backlog(now + time::Duration::days(2))
        .await
        .unwrap();
    assert!(
        later.iter().all(|b| b.age == AgeBucket::Days1To3),
        "{later:?}"
    );
    let week = store
        .validation_backlog(now + time::Duration::days(8))
        .await
        .unwrap();
    assert!(
        week.iter().all(|b| b.age == AgeBucket::Over7Days),
        "{week:?}"
    );

    let deadlines = store.deadline_counts(today).await.unwrap();
    let of = |d: Deadline| *deadlines.iter().find(|c| c.deadline == d).unwrap();
    assert_eq!(
        (
            of(Deadline::Acknowledge).overdue,
            of(Deadline::Acknowledge).at_risk
        ),
        (1, 1)
    );
    assert_eq!(
        (of(Deadline::Answer).overdue, of(Deadline::Answer).at_risk),
        (1, 0)
    );

    // Results since the cursor: three stored, one rejected, in order, each once.
    let finished = store
        .finished_since(start, now - time::Duration::hours(1), 100)
        .await
        .unwrap();
    assert_eq!(finished.len(), 4, "{finished:?}");
    assert_eq!(finished.iter().filter(|f| f.rejected).count(), 1);
    assert!(finished.windows(2).all(|w| w[0].cursor < w[1].cursor));
    assert!(finished.iter().all(|f| f.latency < Duration::from_secs(60)));
    let last = finished.last().unwrap().cursor;
    assert!(
        store
            .finished_since(last, now - time::Duration::hours(1), 100)
            .await
            .unwrap()
            .is_empty()
    );
    let two = store
        .finished_since(start, now - time::Duration::hours(1), 2)
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    // Results older than the window are left out.
    assert!(
        store
            .finished_since(start, now + time::Duration::hours(1), 100)
            .await
            .unwrap()
            .is_empty()
    );

    let at = store.stored_at(&rejected).await.unwrap();
    assert!((now - at).abs() < time::Duration::minutes(1));
}

async fn ping_fails_once_closed(store: &Store) {
    store.ping().await.unwrap();
    store.close().await;
    assert!(store.ping().await.is_err());
}

/// The clerks' last hour: decisions by service, corrections by kind, documents held, refused
/// logins; nothing before the window counts.
async fn desk_figures(store: &Store) {
    let lease = Duration::from_secs(600);
    let start = OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let empty = store
        .desk_activity(start, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert!(empty.decisions.is_empty() && empty.claimed.is_empty());
    assert_eq!(empty.corrected_documents + empty.login_failures, 0);
    let routes = || {
        vec![
            route("prestations", None, None),
            route("prestations", None, None),
            route("reclamations", None, None),
        ]
    };
    let id = complete(
        store,
        "d1",
        &[Class::Invoice, Class::Invoice, Class::Complaint],
        routes(),
    )
    .await;
    let key = |position| DocKey {
        envelope: id.clone(),
        position,
    };
    // An invoice corrected twice then approved, one rejected, the complaint held.
    assert!(store.desk_claim(&key(0), "ana", lease).await.unwrap());
    for amount in ["12.50", "125.00"] {
        store
            .desk_correct(
                &key(0),
                "ana",
                "total_amount",
                Some(serde_json::json!(amount)),
                lease,
            )
            .await
            .unwrap();
    }
    store.desk_approve(&key(0), "ana", lease).await.unwrap();
    assert!(store.desk_claim(&key(1), "ana", lease).await.unwrap());
    assert!(
        !store
            .desk_reject(&key(1), "ana", "illisible", lease)
            .await
            .unwrap(),
        "the envelope is not done while its complaint waits"
    );
    assert!(store.desk_claim(&key(2), "bob", lease).await.unwrap());
    store
        .desk_audit("mallory", "login_failed", None, "wrong login or password")
        .await
        .unwrap();
    let now = OffsetDateTime::now_utc();
    let a = store.desk_activity(start, now).await.unwrap();
    assert_eq!(
        a.decisions,
        [
            ("prestations".to_string(), "rejected".to_string(), 1),
            ("prestations".to_string(), "validated".to_string(), 1),
        ]
    );
    assert_eq!(
        a.corrections,
        [
            (CorrectionKind::Field, 2),
            (CorrectionKind::Class, 0),
            (CorrectionKind::Pages, 0)
        ]
    );
    assert_eq!(a.corrected_documents, 1);
    assert_eq!(a.claimed, [("reclamations".to_string(), 1)]);
    assert_eq!(a.login_failures, 1);
    // A window that starts after it all sees none of it; the claim still holds.
    let later = store
        .desk_activity(now + time::Duration::seconds(1), now)
        .await
        .unwrap();
    assert!(later.decisions.is_empty());
    assert_eq!(later.corrected_documents + later.login_failures, 0);
    assert_eq!(later.claimed.len(), 1);
}

both!(operations_figures, figures);
both!(desk_activity, desk_figures);
both!(ping_after_close, ping_fails_once_closed);
