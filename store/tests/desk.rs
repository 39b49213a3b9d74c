//! The desk's part of the store (issue #6), on both backends like `store.rs`: a SQLite file in
//! a temporary folder, and PostgreSQL (`MAILROOM_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`) in a fresh schema per test; skipped with a
//! notice when PostgreSQL cannot be reached.

use std::collections::BTreeMap;
use std::time::Duration;

use mailroom_domain::{Class, EnvelopeId, EnvelopeResult, FieldResult, ResultDocument, Status};
use mailroom_ocr::{PageText, Source, Timings};
use mailroom_store::desk::{AuditQuery, DocKey, Hold, Role};
use mailroom_store::{EnvelopeFile, NewEnvelope, Route, Store};
use serde_json::json;
use time::macros::{date, datetime};

const LEASE: Duration = Duration::from_secs(600);
const GOOD_NIR: &str = "269054958815780";
const BAD_NIR: &str = "269054958815781";
const IBAN: &str = "FR7618206776172728899929013";

#[macro_use]
mod support;

/// A page as read (through serde, so that fields the reader adds later take their defaults).
fn page(n: u32) -> PageText {
    serde_json::from_value(json!({
        "page": n, "text": "", "words": [], "confidence": 0.9, "rotation": 0,
        "deskew_deg": 0.0, "blank": false, "source": Source::Ocr, "elapsed_ms": 1,
        "width": 1000, "height": 1400, "dpi": 200, "timings": Timings::default(),
    }))
    .expect("page")
}

fn field(value: serde_json::Value, page: u32, valid: bool) -> FieldResult {
    FieldResult {
        value,
        confidence: if valid { 0.97 } else { 0.4 },
        valid,
        page,
        bbox: [100, 200, 400, 240],
    }
}

/// An envelope of 3 pages: a membership form on pages 1-2 (wrong NIR key) and a complaint on
/// page 3. Returns its id.
async fn stored(store: &Store, name: &str) -> EnvelopeId {
    let id = store
        .receive(&NewEnvelope {
            name: name.into(),
            source: "cli".into(),
            received_at: datetime!(2025-03-05 10:31 +01:00),
            files: vec![EnvelopeFile {
                name: format!("{name}.bin"),
                bytes: name.as_bytes().to_vec(),
            }],
        })
        .await
        .expect("receive")
        .id()
        .clone();
    store.claim(&id, "w", LEASE).await.expect("claim");
    let form = BTreeMap::from([
        ("last_name".to_string(), field(json!("GIRARD"), 1, true)),
        ("nir".to_string(), field(json!(BAD_NIR), 1, false)),
        ("iban".to_string(), field(json!(IBAN), 2, true)),
        (
            "birth_date".to_string(),
            field(json!("1969-05-12"), 1, true),
        ),
    ]);
    let complaint = BTreeMap::from([(
        "member_number".to_string(),
        field(json!("ADH0042137"), 3, true),
    )]);
    let result = EnvelopeResult {
        envelope: name.into(),
        status: Status::Processed,
        error: None,
        pages: 3,
        blank_pages: vec![],
        documents: vec![
            ResultDocument {
                class: Class::MembershipForm,
                confidence: 0.9,
                pages: vec![1, 2],
                fields: form,
            },
            ResultDocument {
                class: Class::Complaint,
                confidence: 0.9,
                pages: vec![3],
                fields: complaint,
            },
        ],
    };
    let routes = vec![
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
    ];
    store
        .complete(&id, &result, &[page(1), page(2), page(3)], &routes)
        .await
        .expect("complete");
    id
}

fn key(id: &EnvelopeId, position: u32) -> DocKey {
    DocKey {
        envelope: id.clone(),
        position,
    }
}

async fn users_and_sessions(store: &Store, _raw: &sqlx::AnyPool) {
    store
        .desk_add_user(
            "alice",
            "$argon2id$fake",
            Role::Gestionnaire,
            Some("adhesions"),
        )
        .await
        .expect("add");
    assert!(
        store
            .desk_add_user("alice", "x", Role::Manager, None)
            .await
            .is_err(),
        "a login is taken once"
    );
    assert!(
        store
            .desk_add_user("bob", "x", Role::Gestionnaire, None)
            .await
            .is_err(),
        "a gestionnaire needs a service"
    );
    let (user, hash) = store.desk_user("alice").await.unwrap().expect("alice");
    assert_eq!(hash, "$argon2id$fake");
    assert_eq!(user.service.as_deref(), Some("adhesions"));
    store
        .desk_open_session("alice", "h1", "csrf1", Duration::from_secs(60))
        .await
        .unwrap();
    let s = store
        .desk_session("h1", Duration::from_secs(60))
        .await
        .unwrap()
        .expect("live session");
    assert_eq!(s.csrf, "csrf1");
    assert_eq!(s.user.login, "alice");
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(
        store
            .desk_session("h1", Duration::from_millis(10))
            .await
            .unwrap()
            .is_none(),
        "idle for longer than the timeout: the session is dead"
    );
    store
        .desk_open_session("alice", "h2", "csrf2", Duration::from_secs(60))
        .await
        .unwrap();
    store.desk_close_session("h2", "alice").await.unwrap();
    assert!(
        store
            .desk_session("h2", Duration::from_secs(60))
            .await
            .unwrap()
            .is_none()
    );
}
both_raw!(users_and_sessions_, users_and_sessions);

async fn claims_are_exclusive(store: &Store, _raw: &sqlx::AnyPool) {
    let id = stored(store, "env-claims").await;
    for login in ["a", "b"] {
        store
            .desk_add_user(login, "x", Role::Gestionnaire, Some("adhesions"))
            .await
            .unwrap();
    }
    // Two clerks race for the one adhesions document, many times over: one gets it.
    let (a, b) = tokio::join!(
        store.desk_claim_next("a", Some("adhesions"), LEASE),
        store.desk_claim_next("b", Some("adhesions"), LEASE)
    );
    let got: Vec<DocKey> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(got, vec![key(&id, 0)], "exactly one clerk holds it");
    let holder = if store.desk_hold(&key(&id, 0), "a").await.unwrap() == Hold::Mine {
        "a"
    } else {
        "b"
    };
    let other = if holder == "a" { "b" } else { "a" };
    assert_eq!(
        store.desk_hold(&key(&id, 0), other).await.unwrap(),
        Hold::Other
    );
    assert!(!store.desk_claim(&key(&id, 0), other, LEASE).await.unwrap());
    // The other clerk cannot change it.
    assert!(
        store
            .desk_correct(&key(&id, 0), other, "nir", Some(json!(GOOD_NIR)), LEASE)
            .await
            .is_err()
    );
    // A claim that ran out is free again.
    store.desk_release(&key(&id, 0), holder).await.unwrap();
    assert!(
        store
            .desk_claim(&key(&id, 0), holder, Duration::from_millis(1))
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(store.desk_claim(&key(&id, 0), other, LEASE).await.unwrap());
    // Queues: the complaint is in its own queue with its deadlines, overdue today.
    let items = store
        .desk_queue(Some("reclamations"), date!(2025 - 06 - 01))
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    let d = items[0].deadline.expect("acknowledgement deadline");
    assert_eq!(d.due, date!(2025 - 03 - 19));
    assert!(d.overdue);
    // Membership forms are due 2 working days after reception (Wed 5 March 2025 → Fri 7).
    let items = store
        .desk_queue(Some("adhesions"), date!(2025 - 03 - 06))
        .await
        .unwrap();
    let d = items[0].deadline.expect("keying deadline");
    assert_eq!(d.due, date!(2025 - 03 - 07));
    assert!(!d.overdue);
}
both_raw!(claims_are_exclusive_, claims_are_exclusive);

async fn correct_approve_and_audit(store: &Store, raw: &sqlx::AnyPool) {
    let id = stored(store, "env-approve").await;
    let k = key(&id, 0);
    store
        .desk_add_user("alice", "x", Role::Gestionnaire, Some("adhesions"))
        .await
        .unwrap();
    assert!(store.desk_claim(&k, "alice", LEASE).await.unwrap());
    let doc = store.desk_document(&k).await.unwrap().expect("document");
    let nir = doc.fields.iter().find(|f| f.name == "nir").unwrap();
    assert!(!nir.valid);
    assert!(
        nir.message.as_deref().unwrap_or("").contains("clé"),
        "the check rule's message: {:?}",
        nir.message
    );
    let err = store.desk_approve(&k, "alice", LEASE).await.unwrap_err();
    assert!(err.to_string().contains("nir"), "{err}");
    store
        .desk_correct(&k, "alice", "nir", Some(json!(GOOD_NIR)), LEASE)
        .await
        .unwrap();
    let doc = store.desk_document(&k).await.unwrap().unwrap();
    assert!(doc.all_valid(), "{:?}", doc.fields);
    let approved = store.desk_approve(&k, "alice", LEASE).await.unwrap();
    assert_eq!(approved.event.as_deref(), Some("membership.validated"));
    assert!(!approved.envelope_done, "the complaint still waits");
    // The event: ids and the fields downstream needs, never the NIR or the IBAN.
    let events = store.pending_events(100).await.unwrap();
    let ev = events
        .iter()
        .find(|e| e.routing_key == "membership.validated")
        .expect("event in the outbox");
    assert!(ev.payload.contains(id.as_str()));
    assert!(ev.payload.contains("dependants_count"));
    assert!(!ev.payload.contains("GIRARD"), "no name in an event");
    assert!(!ev.payload.contains(GOOD_NIR) && !ev.payload.contains(IBAN));
    // The complaint: approve it and the envelope is validated.
    store
        .desk_add_user("rec", "x", Role::Gestionnaire, Some("reclamations"))
        .await
        .unwrap();
    let k1 = store
        .desk_claim_next("rec", Some("reclamations"), LEASE)
        .await
        .unwrap()
        .expect("complaint");
    let done = store.desk_approve(&k1, "rec", LEASE).await.unwrap();
    assert_eq!(done.event.as_deref(), Some("complaint.registered"));
    assert!(done.envelope_done);
    assert_eq!(
        store.info(&id).await.unwrap().status,
        mailroom_store::EnvelopeStatus::Validated
    );
    let events = store.pending_events(100).await.unwrap();
    let ev = events
        .iter()
        .find(|e| e.routing_key == "complaint.registered")
        .unwrap();
    assert!(ev.payload.contains("2025-03-19") && ev.payload.contains("ADH0042137"));
    // Corrections, before/after.
    let c = store.desk_corrections(100).await.unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].before, Some(json!(BAD_NIR)));
    assert_eq!(c[0].after, Some(json!(GOOD_NIR)));
    // Training truth for the validated envelope.
    let truths = store.desk_validated_truths().await.unwrap();
    assert_eq!(truths.len(), 1);
    assert_eq!(truths[0].1.documents[0].fields["nir"], json!(GOOD_NIR));
    // Audit: claim, correct, approve, with who; searchable; append-only.
    let log = store
        .desk_audit_log(&AuditQuery {
            envelope: Some(id.as_str().into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .rev()
        .map(|a| (a.login.as_str(), a.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("alice", "claim"),
            ("alice", "correct"),
            ("alice", "approve"),
            ("rec", "claim"),
            ("rec", "approve")
        ]
    );
    assert!(
        log.iter()
            .all(|a| !a.detail.contains(GOOD_NIR) && !a.detail.contains(BAD_NIR)),
        "no NIR in the audit trail"
    );
    for sql in [
        "UPDATE desk_audit SET login = 'mallory'",
        "DELETE FROM desk_audit",
    ] {
        assert!(
            sqlx::query(sql).execute(raw).await.is_err(),
            "{sql} must be refused"
        );
    }
    // Status lookup: each step with its time, by envelope and by member number.
    let report = store.desk_status(&id).await.unwrap();
    let steps: Vec<&str> = report.steps.iter().map(|s| s.step.as_str()).collect();
    for s in [
        "received",
        "reading",
        "awaiting_validation",
        "approve",
        "validated",
    ] {
        assert!(steps.contains(&s), "{s} in {steps:?}");
    }
    assert_eq!(
        store
            .desk_envelopes_of_member("adh 004 2137")
            .await
            .unwrap(),
        vec![id.clone()]
    );
}
both_raw!(correct_approve_and_audit_, correct_approve_and_audit);

async fn restructure_and_reject(store: &Store, _raw: &sqlx::AnyPool) {
    let id = stored(store, "env-split").await;
    let k = key(&id, 0);
    store
        .desk_add_user("m", "x", Role::Manager, None)
        .await
        .unwrap();
    assert!(store.desk_claim(&k, "m", LEASE).await.unwrap());
    // Split the form before page 2: page 2 (with the IBAN) becomes document 1, the complaint 2.
    let k = store.desk_split(&k, "m", 2, LEASE).await.unwrap();
    assert_eq!(k.position, 0);
    let d0 = store.desk_document(&key(&id, 0)).await.unwrap().unwrap();
    let d1 = store.desk_document(&key(&id, 1)).await.unwrap().unwrap();
    let d2 = store.desk_document(&key(&id, 2)).await.unwrap().unwrap();
    assert_eq!(
        (d0.pages.clone(), d1.pages.clone(), d2.pages.clone()),
        (vec![1], vec![2], vec![3])
    );
    assert!(d1.fields.iter().any(|f| f.name == "iban"));
    assert!(!d0.fields.iter().any(|f| f.name == "iban"));
    assert_eq!(d2.class, Class::Complaint);
    // Merge it back.
    let k = store.desk_merge(&k, "m", 1, LEASE).await.unwrap();
    let d0 = store.desk_document(&k).await.unwrap().unwrap();
    assert_eq!(d0.pages, vec![1, 2]);
    assert!(d0.fields.iter().any(|f| f.name == "iban"));
    assert!(store.desk_document(&key(&id, 2)).await.unwrap().is_none());
    // Move page 2 to the complaint (now document 1).
    let k = store.desk_move_page(&k, "m", 2, 1, LEASE).await.unwrap();
    let d1 = store.desk_document(&key(&id, 1)).await.unwrap().unwrap();
    assert_eq!(d1.pages, vec![2, 3]);
    // Reclassify the form as "other": it goes to manual qualification, its fields go.
    store
        .desk_reclassify(
            &k,
            "m",
            Class::Other,
            &Route {
                queue: "qualification_manuelle".into(),
                acknowledge_by: None,
                answer_by: None,
            },
            LEASE,
        )
        .await
        .unwrap();
    let d0 = store.desk_document(&k).await.unwrap().unwrap();
    assert_eq!(
        (d0.class, d0.queue.as_str()),
        (Class::Other, "qualification_manuelle")
    );
    assert!(d0.fields.is_empty());
    assert_eq!(
        store.desk_hold(&k, "m").await.unwrap(),
        Hold::Free,
        "a document sent to another queue is given back"
    );
    assert!(store.desk_claim(&k, "m", LEASE).await.unwrap());
    // Reject needs a reason.
    assert!(store.desk_reject(&k, "m", "  ", LEASE).await.is_err());
    store
        .desk_reject(&k, "m", "document illisible", LEASE)
        .await
        .unwrap();
    let d0 = store.desk_document(&k).await.unwrap().unwrap();
    assert_eq!(d0.status, "rejected");
    assert_eq!(d0.reject_reason.as_deref(), Some("document illisible"));
    let c = store.desk_corrections(100).await.unwrap();
    assert!(c.iter().any(|c| c.field == "class"));
    assert!(c.iter().any(|c| c.field == "pages"));
}
both_raw!(restructure_and_reject_, restructure_and_reject);
