//! The store's suite, run against both backends: a SQLite file in a temporary folder, and
//! PostgreSQL (`MAILROOM_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`)
//! in a fresh schema per test, so concurrent runs never see each other's rows. When
//! PostgreSQL cannot be reached its half is skipped with a printed notice.

use std::collections::BTreeMap;
use std::time::Duration;

use mailroom_domain::{Class, Confidence, EnvelopeResult, FieldResult, ResultDocument, Status};
use mailroom_ocr::{PageText, Source, Timings, Word};
use mailroom_store::{
    Claim, Completed, EnvelopeFile, EnvelopeStatus, NewEnvelope, Received, Route, Store,
};
use serde_json::json;
use time::macros::{date, datetime};

#[macro_use]
mod support;

fn envelope(name: &str, pages: &[&[u8]]) -> NewEnvelope {
    NewEnvelope {
        name: name.into(),
        source: "cli".into(),
        received_at: datetime!(2025-03-05 10:31 +01:00),
        files: pages
            .iter()
            .enumerate()
            .map(|(i, b)| EnvelopeFile {
                name: format!("page-{}.png", i + 1),
                bytes: b.to_vec(),
            })
            .collect(),
    }
}

fn page(n: u32, text: &str) -> PageText {
    PageText {
        page: n,
        text: text.into(),
        words: vec![Word {
            text: text.into(),
            bbox: [10, 20, 30, 40],
            confidence: Confidence::clamped(0.9),
        }],
        confidence: Confidence::clamped(0.9),
        rotation: 0,
        deskew_deg: 0.0,
        blank: false,
        source: Source::Ocr,
        elapsed_ms: 5,
        width: 100,
        height: 200,
        dpi: 200,
        timings: Timings::default(),
        marks: Vec::new(),
        scribbles: Vec::new(),
    }
}

fn result(name: &str) -> EnvelopeResult {
    let field =
        |value: &str, confidence: f64, valid: bool, page: u32, bbox: [u32; 4]| FieldResult {
            value: json!(value),
            confidence,
            valid,
            page,
            bbox,
        };
    let fields = BTreeMap::from([
        (
            "nir".to_string(),
            field("269054958815780", 0.99, true, 1, [412, 880, 1310, 934]),
        ),
        (
            "iban".to_string(),
            field(
                "FR7613335000400893289136107",
                0.5,
                false,
                2,
                [300, 1502, 1620, 1550],
            ),
        ),
    ]);
    EnvelopeResult {
        envelope: name.into(),
        status: Status::Processed,
        error: None,
        pages: 3,
        blank_pages: vec![3],
        documents: vec![
            ResultDocument {
                class: Class::MembershipForm,
                confidence: 0.97,
                pages: vec![1, 2],
                fields,
            },
            ResultDocument {
                class: Class::Complaint,
                confidence: 0.8,
                pages: vec![3],
                fields: BTreeMap::new(),
            },
        ],
    }
}

fn routes() -> Vec<Route> {
    vec![
        Route {
            queue: "adhesions".into(),
            acknowledge_by: None,
            answer_by: None,
        },
        Route {
            queue: "reclamations".into(),
            acknowledge_by: Some(date!(2025 - 03 - 19)),
            answer_by: Some(date!(2025 - 05 - 05)),
        },
    ]
}

const LEASE: Duration = Duration::from_secs(300);

async fn receive_and_duplicates(store: &Store) {
    let a = envelope("env-1", &[b"one", b"two"]);
    let Received::New(id) = store.receive(&a).await.unwrap() else {
        panic!("first copy must be new");
    };
    let files = store.files(&id).await.unwrap();
    assert_eq!(files, a.files);
    // Same content from another door, under another name: the original's id.
    let mut again = a.clone();
    again.name = "env-1-again".into();
    again.source = "hot_folder".into();
    assert_eq!(
        store.receive(&again).await.unwrap(),
        Received::Duplicate(id.clone())
    );
    // The same pages in another order are another envelope.
    let swapped = envelope("env-2", &[b"two", b"one"]);
    let Received::New(other) = store.receive(&swapped).await.unwrap() else {
        panic!("reordered pages are new content");
    };
    assert_ne!(other, id);
    let h = store.history(&id).await.unwrap();
    let statuses: Vec<&str> = h.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(statuses, ["received", "duplicate"]);
    assert!(h[1].detail.contains("hot_folder"), "{}", h[1].detail);
    let info = store.info(&id).await.unwrap();
    assert_eq!(info.status, EnvelopeStatus::Received);
    assert_eq!(info.name, "env-1");
    assert_eq!(info.received_at, datetime!(2025-03-05 10:31 +01:00));
    let counts = store.counts().await.unwrap();
    assert_eq!(counts[&EnvelopeStatus::Received], 2);
    assert_eq!(counts[&EnvelopeStatus::Rejected], 0);
}
both!(receive, receive_and_duplicates);

async fn claim_complete_export(store: &Store) {
    let Received::New(id) = store
        .receive(&envelope("env-7", &[b"a", b"b", b"c"]))
        .await
        .unwrap()
    else {
        panic!("new");
    };
    // Completing an envelope nobody claimed writes nothing.
    let r = result("env-7");
    let pages = [page(1, "BULLETIN"), page(2, "suite"), page(3, "plainte")];
    assert_eq!(
        store.complete(&id, &r, &pages, &routes()).await.unwrap(),
        Completed::AlreadyDone
    );
    assert_eq!(
        store.claim(&id, "w1", LEASE).await.unwrap(),
        Claim::Claimed { attempts: 1 }
    );
    // A redelivery to another worker takes over and counts an attempt.
    assert_eq!(
        store.claim(&id, "w2", LEASE).await.unwrap(),
        Claim::Claimed { attempts: 2 }
    );
    assert!(
        store
            .complete(&id, &r, &pages, &routes()[..1])
            .await
            .is_err()
    );
    assert_eq!(
        store.complete(&id, &r, &pages, &routes()).await.unwrap(),
        Completed::Stored
    );
    // Second completion and later claims change nothing.
    assert_eq!(
        store.complete(&id, &r, &pages, &routes()).await.unwrap(),
        Completed::AlreadyDone
    );
    assert_eq!(
        store.claim(&id, "w1", LEASE).await.unwrap(),
        Claim::AlreadyDone(EnvelopeStatus::AwaitingValidation)
    );
    assert!(!store.reject(&id, "too late").await.unwrap());
    let exported = store.export().await.unwrap();
    assert_eq!(exported, vec![r]);
    assert_eq!(store.routes(&id).await.unwrap(), routes());
    let stored = store.pages(&id).await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[2].text, "plainte");
    assert_eq!(stored[0].words[0]["bbox"], json!([10, 20, 30, 40]));
    let events = store.pending_events(100).await.unwrap();
    let keys: Vec<&str> = events.iter().map(|e| e.routing_key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "route.adhesions",
            "document.ready.membership_form",
            "route.reclamations",
            "document.ready.complaint"
        ]
    );
    for e in &events {
        // Ids and names only: never a field value.
        assert!(!e.payload.contains("269054958815780"), "{}", e.payload);
        let v: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
        assert_eq!(v["envelope"], json!(id.as_str()));
    }
    let complaint: serde_json::Value = serde_json::from_str(&events[2].payload).unwrap();
    assert_eq!(complaint["acknowledge_by"], json!("2025-03-19"));
    let ids: Vec<i64> = events.iter().take(3).map(|e| e.id).collect();
    store.mark_events_sent(&ids).await.unwrap();
    let left = store.pending_events(100).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].routing_key, "document.ready.complaint");
    let statuses: Vec<String> = store
        .history(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.status)
        .collect();
    assert_eq!(
        statuses,
        ["received", "reading", "reading", "awaiting_validation"]
    );
    assert_eq!(
        store.counts().await.unwrap()[&EnvelopeStatus::AwaitingValidation],
        1
    );
}
both!(complete, claim_complete_export);

async fn queue_and_leases(store: &Store) {
    let mut ids = Vec::new();
    for i in 0..3u8 {
        let r = store
            .receive(&envelope(&format!("q-{i}"), &[&[i]]))
            .await
            .unwrap();
        ids.push(r.id().clone());
        // Distinct intake times, so the order is the intake order.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let first = store
        .claim_next("w1", Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.id, ids[0]);
    assert_eq!(first.attempts, 1);
    let second = store.claim_next("w2", LEASE).await.unwrap().unwrap();
    assert_eq!(second.id, ids[1]);
    // w1's lease has run out; w2's has not.
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(store.release_stale().await.unwrap(), 1);
    assert_eq!(
        store.info(&ids[0]).await.unwrap().status,
        EnvelopeStatus::Received
    );
    assert_eq!(
        store.info(&ids[1]).await.unwrap().status,
        EnvelopeStatus::Reading
    );
    let again = store.claim_next("w3", LEASE).await.unwrap().unwrap();
    assert_eq!(again.id, ids[0]);
    assert_eq!(again.attempts, 2);
    assert!(store.renew(&ids[0], "w3", LEASE).await.unwrap());
    assert!(!store.renew(&ids[0], "w1", LEASE).await.unwrap());
    // w2 restarts: what it held comes back.
    assert_eq!(store.release_worker("w2").await.unwrap(), 1);
    let third = store.claim_next("w2", LEASE).await.unwrap().unwrap();
    assert_eq!(third.id, ids[1]);
    let fourth = store.claim_next("w2", LEASE).await.unwrap().unwrap();
    assert_eq!(fourth.id, ids[2]);
    assert_eq!(store.claim_next("w2", LEASE).await.unwrap(), None);
    // A machine fault gives it back to the queue.
    assert!(
        store
            .retry_later(&ids[2], "engine unavailable")
            .await
            .unwrap()
    );
    assert_eq!(
        store.claim_next("w2", LEASE).await.unwrap().map(|c| c.id),
        Some(ids[2].clone())
    );
}
both!(queue, queue_and_leases);

async fn concurrent_claims_take_each_envelope_once(store: &Store) {
    let n = 12u8;
    for i in 0..n {
        store
            .receive(&envelope(&format!("c-{i}"), &[&[i, i]]))
            .await
            .unwrap();
    }
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(c) = store.claim_next(&format!("w{w}"), LEASE).await.unwrap() {
                got.push(c.id);
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(total, usize::from(n), "an envelope was claimed twice");
    assert_eq!(all.len(), usize::from(n));
}
both!(concurrent, concurrent_claims_take_each_envelope_once);

async fn reject_and_outbox(store: &Store) {
    let a = store.receive(&envelope("bad", &[b"x"])).await.unwrap();
    let b = store.receive(&envelope("good", &[b"y"])).await.unwrap();
    let unpublished = store.unpublished(10).await.unwrap();
    assert_eq!(unpublished, vec![a.id().clone(), b.id().clone()]);
    store.mark_published(&unpublished[..1]).await.unwrap();
    assert_eq!(store.unpublished(10).await.unwrap(), vec![b.id().clone()]);
    let reason = "page 1: the file is not a PNG image (text)";
    assert!(store.reject(a.id(), reason).await.unwrap());
    assert!(!store.reject(a.id(), "again").await.unwrap());
    assert_eq!(
        store.claim(a.id(), "w", LEASE).await.unwrap(),
        Claim::AlreadyDone(EnvelopeStatus::Rejected)
    );
    let exported = store.export().await.unwrap();
    assert_eq!(exported, vec![EnvelopeResult::rejected("bad", reason, 0)]);
    let h = store.history(a.id()).await.unwrap();
    assert_eq!(h.last().unwrap().detail, reason);
    assert_eq!(
        store
            .claim(
                &mailroom_domain::EnvelopeId::new("e-none").unwrap(),
                "w",
                LEASE
            )
            .await
            .unwrap(),
        Claim::Unknown
    );
}
both!(reject, reject_and_outbox);

async fn scanners(store: &Store) {
    let token = store.add_scanner("scan-01").await.unwrap();
    assert!(token.len() > 40);
    assert_eq!(
        store.scanner_for_token(&token).await.unwrap().as_deref(),
        Some("scan-01")
    );
    assert_eq!(store.scanner_for_token("mrs_wrong").await.unwrap(), None);
    assert!(store.add_scanner("scan-01").await.is_err());
    assert!(store.add_scanner("../x").await.is_err());
    let other = store.add_scanner("scan-02").await.unwrap();
    assert_ne!(other, token);
}
both!(scanner_tokens, scanners);
