//! Intake against a real SQLite store: the CLI door with duplicates and path safety, the hot
//! folder's completeness conventions, and the upload endpoint with and without a token.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt as _;
use mailroom_ingest::{HotFolder, IngestError, Limits, UploadState, check_file_name};
use mailroom_store::{EnvelopeStatus, Received, Store};
use tokio::sync::Notify;
use tower::ServiceExt as _;

async fn store(dir: &Path) -> Store {
    let url = format!("sqlite://{}", dir.join("mailroom.db").display());
    Store::open(Some(&url)).await.expect("store")
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

fn refused(r: Result<Received, IngestError>) -> String {
    match r {
        Err(IngestError::Refused(s)) => s,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn ingest_folders_files_and_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store(tmp.path()).await;
    let limits = Limits::default();
    let env = tmp.path().join("in/env-000042");
    write(&env.join("002.png"), b"second page");
    write(&env.join("001.png"), b"first page");
    write(&env.join(".ready"), b"");
    write(
        &env.join("envelope.json"),
        br#"{"received_at": "2025-03-05T10:31:00+01:00", "scanner": "scan-01"}"#,
    );
    let Received::New(id) = mailroom_ingest::ingest_path(&store, &env, "cli", &limits)
        .await
        .unwrap()
    else {
        panic!("new envelope");
    };
    let files = store.files(&id).await.unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["001.png", "002.png"],
        "page order, marker and metadata left out"
    );
    let info = store.info(&id).await.unwrap();
    assert_eq!(info.name, "env-000042");
    assert_eq!(
        info.received_at.to_string(),
        "2025-03-05 10:31:00.0 +01:00:00"
    );
    // A copy under another name is the same envelope.
    let copy = tmp.path().join("in/copy-of-42");
    write(&copy.join("001.png"), b"first page");
    write(&copy.join("002.png"), b"second page");
    assert_eq!(
        mailroom_ingest::ingest_path(&store, &copy, "cli", &limits)
            .await
            .unwrap(),
        Received::Duplicate(id.clone())
    );
    let history = store.history(&id).await.unwrap();
    assert_eq!(history.last().unwrap().status, "duplicate");
    // A single file is an envelope named after its stem.
    let single = tmp.path().join("in/env-000043.pdf");
    write(&single, b"%PDF-1.4 not much");
    let r = mailroom_ingest::ingest_path(&store, &single, "cli", &limits)
        .await
        .unwrap();
    assert_eq!(store.info(r.id()).await.unwrap().name, "env-000043");
    assert_eq!(store.counts().await.unwrap()[&EnvelopeStatus::Received], 2);
}

#[tokio::test]
async fn links_nested_folders_and_limits_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store(tmp.path()).await;
    let limits = Limits {
        max_file_bytes: 100,
        max_envelope_bytes: 150,
        max_files: 3,
    };
    let secret = tmp.path().join("secret.png");
    write(&secret, b"not for intake");
    // A link as the envelope itself.
    let link = tmp.path().join("in/link.png");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&secret, &link).unwrap();
    let why = refused(mailroom_ingest::ingest_path(&store, &link, "cli", &limits).await);
    assert!(why.contains("symbolic link"), "{why}");
    // A link inside an envelope folder.
    let env = tmp.path().join("in/env-link");
    write(&env.join("001.png"), b"page");
    std::os::unix::fs::symlink(&secret, env.join("002.png")).unwrap();
    let why = refused(mailroom_ingest::ingest_path(&store, &env, "cli", &limits).await);
    assert!(
        why.contains("symbolic link") && why.contains("002.png"),
        "{why}"
    );
    // A linked folder.
    let linked_dir = tmp.path().join("in/env-dirlink");
    std::os::unix::fs::symlink(tmp.path().join("in/env-link"), &linked_dir).unwrap();
    let why = refused(mailroom_ingest::ingest_path(&store, &linked_dir, "cli", &limits).await);
    assert!(why.contains("symbolic link"), "{why}");
    // A nested folder.
    let nested = tmp.path().join("in/env-nested");
    write(&nested.join("sub/001.png"), b"page");
    let why = refused(mailroom_ingest::ingest_path(&store, &nested, "cli", &limits).await);
    assert!(why.contains("folder"), "{why}");
    // Too large a file, too large an envelope, too many files, nothing at all.
    let big = tmp.path().join("in/env-big");
    write(&big.join("001.png"), &[0u8; 101]);
    let why = refused(mailroom_ingest::ingest_path(&store, &big, "cli", &limits).await);
    assert!(why.contains("over the"), "{why}");
    let fat = tmp.path().join("in/env-fat");
    write(&fat.join("001.png"), &[1u8; 80]);
    write(&fat.join("002.png"), &[2u8; 80]);
    let why = refused(mailroom_ingest::ingest_path(&store, &fat, "cli", &limits).await);
    assert!(why.contains("MB of files"), "{why}");
    let many = tmp.path().join("in/env-many");
    for i in 0..4 {
        write(&many.join(format!("00{i}.png")), &[i]);
    }
    let why = refused(mailroom_ingest::ingest_path(&store, &many, "cli", &limits).await);
    assert!(why.contains("more than 3 files"), "{why}");
    let empty = tmp.path().join("in/env-empty");
    write(&empty.join(".ready"), b"");
    let why = refused(mailroom_ingest::ingest_path(&store, &empty, "cli", &limits).await);
    assert!(why.contains("no page file"), "{why}");
    // Nothing was stored.
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.values().sum::<u64>(), 0);
}

#[test]
fn file_names_are_never_paths() {
    for bad in [
        "../etc/passwd",
        "/etc/passwd",
        "..",
        ".",
        ".hidden.png",
        "a/b.png",
        "a\\b.png",
        "C:evil.png",
        "",
        "bell\u{7}.png",
    ] {
        assert!(check_file_name(bad).is_err(), "{bad:?} accepted");
    }
    for good in ["001.tif", "page 2.png", "facture-é.pdf", "a..b.png"] {
        assert!(check_file_name(good).is_ok(), "{good:?} refused");
    }
    assert!(check_file_name(&"x".repeat(256)).is_err());
}

fn folder(inbox: &Path, settle: Duration) -> HotFolder {
    HotFolder {
        inbox: inbox.to_path_buf(),
        settle,
        poll: Duration::from_millis(50),
        limits: Limits::default(),
    }
}

#[tokio::test]
async fn hot_folder_takes_only_complete_envelopes() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store(tmp.path()).await;
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    // Settle time far longer than the test: only the marker and nothing else can make an
    // envelope complete here.
    let slow = folder(&inbox, Duration::from_secs(3600));
    let notify = Notify::new();
    let mut seen = HashMap::new();
    write(&inbox.join(".env-1.pdf"), b"%PDF being written");
    write(&inbox.join("env-2.pdf.part"), b"%PDF being written");
    write(&inbox.join("env-3.tmp"), b"%PDF being written");
    write(&inbox.join("env-4/001.png"), b"page one");
    write(&inbox.join("env-5/001.png"), b"page one of five");
    write(&inbox.join("env-5/.ready"), b"");
    write(&inbox.join("env-6.pdf"), b"%PDF written in place");
    assert_eq!(slow.scan(&store, &mut seen, &notify).await, 1);
    assert!(
        !inbox.join("env-5").exists(),
        "stored envelope leaves the inbox"
    );
    for waiting in [
        ".env-1.pdf",
        "env-2.pdf.part",
        "env-3.tmp",
        "env-4",
        "env-6.pdf",
    ] {
        assert!(inbox.join(waiting).exists(), "{waiting} taken too early");
    }
    assert_eq!(slow.scan(&store, &mut seen, &notify).await, 0);
    // With a short settle time, unchanged envelopes are taken on a later scan, temporary
    // names never.
    let quick = folder(&inbox, Duration::from_millis(200));
    let mut seen = HashMap::new();
    assert_eq!(
        quick.scan(&store, &mut seen, &notify).await,
        0,
        "first sight"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    // env-4 is still being written: its clock starts again.
    write(&inbox.join("env-4/002.png"), b"page two");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        quick.scan(&store, &mut seen, &notify).await,
        1,
        "env-6 only"
    );
    assert!(!inbox.join("env-6.pdf").exists());
    assert!(inbox.join("env-4").exists());
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        quick.scan(&store, &mut seen, &notify).await,
        1,
        "env-4 settled"
    );
    // Rename from the temporary name: taken once settled.
    std::fs::rename(inbox.join("env-2.pdf.part"), inbox.join("env-2.pdf")).unwrap();
    quick.scan(&store, &mut seen, &notify).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(quick.scan(&store, &mut seen, &notify).await, 1);
    assert!(inbox.join(".env-1.pdf").exists() && inbox.join("env-3.tmp").exists());
    let names: Vec<String> = store
        .list(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names.len(), 4);
    for n in ["env-5", "env-6", "env-4", "env-2"] {
        assert!(names.contains(&n.to_string()), "{n} missing from {names:?}");
    }
    let env4 = store
        .list(None, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.name == "env-4")
        .unwrap();
    assert_eq!(store.files(&env4.id).await.unwrap().len(), 2, "taken whole");
}

#[tokio::test]
async fn hot_folder_sets_refused_envelopes_aside_and_drops_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store(tmp.path()).await;
    let inbox = tmp.path().join("inbox");
    let hot = folder(&inbox, Duration::from_millis(100));
    let secret = tmp.path().join("secret.png");
    write(&secret, b"secret");
    write(&inbox.join("env-a/001.png"), b"page");
    std::os::unix::fs::symlink(&secret, inbox.join("env-a/002.png")).unwrap();
    write(&inbox.join("env-b/001.png"), b"good page");
    write(&inbox.join("env-b/.ready"), b"");
    write(&inbox.join("env-c/sub/001.png"), b"nested");
    write(&inbox.join("env-c/.ready"), b"");
    // Run the watcher loop itself, with events and polling.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let notify = Arc::new(Notify::new());
    let task = {
        let (store, hot, notify) = (store.clone(), hot.clone(), notify.clone());
        tokio::spawn(async move { hot.run(store, stop_rx, notify).await })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while inbox.join("env-a").exists()
        || inbox.join("env-b").exists()
        || inbox.join("env-c").exists()
    {
        assert!(tokio::time::Instant::now() < deadline, "inbox not emptied");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A duplicate of env-b, dropped later: recognised, removed, not stored again.
    write(&inbox.join("env-b-again/001.png"), b"good page");
    write(&inbox.join("env-b-again/.ready"), b"");
    while inbox.join("env-b-again").exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "duplicate not taken"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop_tx.send(true).unwrap();
    task.await.unwrap().unwrap();
    let rejected = inbox.join(".rejected");
    let a = std::fs::read_to_string(rejected.join("env-a.reason.txt")).unwrap();
    assert!(a.contains("symbolic link"), "{a}");
    let c = std::fs::read_to_string(rejected.join("env-c.reason.txt")).unwrap();
    assert!(c.contains("folder"), "{c}");
    assert!(rejected.join("env-a").is_dir() && rejected.join("env-c").is_dir());
    let stored = store.list(None, 10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "env-b");
    let h = store.history(&stored[0].id).await.unwrap();
    assert_eq!(h.last().unwrap().status, "duplicate");
    assert!(secret.exists(), "the link's target is untouched");
}

fn multipart(token: Option<&str>, parts: &[(&str, Option<&str>, &[u8])]) -> Request<Body> {
    let boundary = "XmailroomX";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut req = Request::post("/api/v1/envelopes").header(
        "content-type",
        format!("multipart/form-data; boundary={boundary}"),
    );
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    req.body(Body::from(body)).unwrap()
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

#[tokio::test]
async fn upload_needs_a_scanner_token() {
    let tmp = tempfile::tempdir().unwrap();
    let store = store(tmp.path()).await;
    let token = store.add_scanner("scan-07").await.unwrap();
    let app = mailroom_ingest::router(UploadState {
        store: store.clone(),
        limits: Limits {
            max_file_bytes: 1000,
            max_envelope_bytes: 1500,
            max_files: 5,
        },
    });
    let pages: [(&str, Option<&str>, &[u8]); 3] = [
        ("name", None, b"env-up-1"),
        ("file", Some("001.png"), b"page one"),
        ("file", Some("002.png"), b"page two"),
    ];
    let (status, body) = call(&app, multipart(None, &pages)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = call(&app, multipart(Some("mrs_forged"), &pages)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(store.counts().await.unwrap().values().sum::<u64>(), 0);
    let (status, body) = call(&app, multipart(Some(&token), &pages)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["duplicate"], false);
    let id: mailroom_domain::EnvelopeId = serde_json::from_value(body["envelope"].clone()).unwrap();
    let info = store.info(&id).await.unwrap();
    assert_eq!(info.name, "env-up-1");
    assert_eq!(info.source, "upload:scan-07");
    assert_eq!(store.files(&id).await.unwrap()[1].bytes, b"page two");
    // The same envelope again: the original's id.
    let (status, body) = call(&app, multipart(Some(&token), &pages)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["duplicate"], true);
    assert_eq!(body["envelope"], id.as_str());
    // A file name that is a path, and an oversized file, are refused with a sentence.
    let (status, body) = call(
        &app,
        multipart(
            Some(&token),
            &[("file", Some("../../etc/cron.d/x"), b"evil")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("path"), "{body}");
    let (status, _) = call(
        &app,
        multipart(Some(&token), &[("file", Some("big.png"), &[0u8; 1001])]),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _) = call(&app, multipart(Some(&token), &[("name", None, b"x")])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(store.counts().await.unwrap().values().sum::<u64>(), 1);
}
