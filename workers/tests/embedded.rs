//! The embedded pipeline with real parts: the hot folder, a SQLite store, the OCR stage's
//! worker processes (`cargo build --release --workspace` first) and the classifier.

use std::path::{Path, PathBuf};
use std::time::Duration;

use mailroom_store::{EnvelopeStatus, Store};
use mailroom_workers::Pipeline;
use mailroom_workers::embedded::{EmbeddedConfig, run_with};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

async fn setup(tmp: &Path) -> (EmbeddedConfig, Store, Pipeline) {
    let inbox = tmp.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut config = EmbeddedConfig::new(&inbox);
    config.database_url = Some(format!("sqlite://{}", tmp.join("mailroom.db").display()));
    config.ocr.slots = 2;
    config.settle = Duration::from_millis(200);
    config.poll = Duration::from_millis(100);
    config.exit_when_idle = true;
    config.worker = "test-worker".into();
    let store = Store::open(config.database_url.as_deref()).await.unwrap();
    let ocr = config.ocr.clone();
    let pipeline = tokio::task::spawn_blocking(move || Pipeline::new(ocr, None))
        .await
        .unwrap()
        .expect("OCR stage (build the workspace first: cargo build --release --workspace)");
    (config, store, pipeline)
}

/// Runs until idle, with a generous bound so a hang fails instead of blocking the suite.
async fn run_until_idle(config: &EmbeddedConfig, store: &Store, pipeline: Pipeline) {
    let run = run_with(
        config,
        store.clone(),
        pipeline,
        None,
        std::future::pending(),
    );
    tokio::time::timeout(Duration::from_secs(600), run)
        .await
        .expect("the run hung")
        .expect("the run failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_are_rejected_and_the_inbox_keeps_flowing() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut config, store, _) = setup(tmp.path()).await;
    // The corpus's decompression bomb inflates to 100 MB: set the stream limit under it, as
    // the OCR stage's own hostile test does (the default, 200 MB, lets it through).
    config.ocr.limits.max_pdf_stream_bytes = 20_000_000;
    let ocr = config.ocr.clone();
    let pipeline = tokio::task::spawn_blocking(move || Pipeline::new(ocr, None))
        .await
        .unwrap()
        .unwrap();
    let hostile = repo().join("ocr/tests/hostile");
    let mut names = Vec::new();
    for e in std::fs::read_dir(&hostile).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            continue;
        }
        std::fs::copy(&p, config.inbox.join(&name)).unwrap();
        names.push(name);
    }
    assert!(names.len() >= 10, "hostile corpus missing: {names:?}");
    // A good envelope named to come after all of them.
    copy_dir(
        &repo().join("samples/demo/envelopes/env-000002"),
        &config.inbox.join("zz-env-000002"),
    );
    run_until_idle(&config, &store, pipeline).await;
    let all = store.list(None, 1000).await.unwrap();
    assert_eq!(all.len(), names.len() + 1, "every envelope was taken");
    for e in &all {
        if e.name == "zz-env-000002" {
            assert_eq!(e.status, EnvelopeStatus::AwaitingValidation, "{e:?}");
            let r = store.result(&e.id).await.unwrap().unwrap();
            assert!(!r.documents.is_empty());
            continue;
        }
        assert_eq!(e.status, EnvelopeStatus::Rejected, "{e:?}");
        let reason = e.reason.as_deref().unwrap_or("");
        assert!(reason.starts_with("page 1: "), "{}: {reason}", e.name);
        eprintln!("{}: {reason}", e.name);
    }
    let rejected = |stem: &str| -> Vec<String> {
        all.iter()
            .filter(|e| e.name == stem)
            .filter_map(|e| e.reason.clone())
            .collect()
    };
    assert!(
        rejected("huge-header")
            .iter()
            .all(|r| r.contains("megapixel")),
        "{:?}",
        rejected("huge-header")
    );
    assert!(
        rejected("empty").iter().all(|r| r.contains("empty")),
        "{:?}",
        rejected("empty")
    );
    // The inbox is empty: nothing blocked, nothing set aside.
    let left: Vec<_> = std::fs::read_dir(&config.inbox)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_matches_direct_processing_and_scores_with_eval() {
    let tmp = tempfile::tempdir().unwrap();
    let (config, store, pipeline) = setup(tmp.path()).await;
    let demo = repo().join("samples/demo");
    let picked = ["env-000002", "env-000005", "env-000008"];
    let set = tmp.path().join("set");
    std::fs::create_dir_all(set.join("truth")).unwrap();
    for name in picked {
        copy_dir(&demo.join("envelopes").join(name), &config.inbox.join(name));
        std::fs::copy(
            demo.join("truth").join(format!("{name}.json")),
            set.join("truth").join(format!("{name}.json")),
        )
        .unwrap();
    }
    let reader = pipeline.reader.clone();
    let qualifier = pipeline.qualifier.clone();
    run_until_idle(&config, &store, pipeline).await;
    let exported = store.export().await.unwrap();
    assert_eq!(exported.len(), picked.len());
    // The same envelopes read and qualified directly, as `mailroom process` does: the store
    // must give back exactly that.
    let direct = tokio::task::spawn_blocking(move || {
        picked
            .iter()
            .map(|name| {
                let path = demo.join("envelopes").join(name);
                let pages = reader.read_envelope(&path).unwrap();
                qualifier.qualify(name, &pages, mailroom_classify::process::received_at(&path))
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert_eq!(exported, direct);
    let results = tmp.path().join("results.jsonl");
    let lines: Vec<String> = exported
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(&results, lines.join("\n") + "\n").unwrap();
    let report = mailroom_classify::eval(&results, &set).unwrap();
    eprintln!("{report:?}");
    assert_eq!(report.envelopes, 3);
    assert!(report.missing.is_empty(), "{:?}", report.missing);
    assert_eq!(report.rejected, 0);
    assert_eq!(report.documents, 5);
    assert!(
        report.class_right >= 3,
        "class right {}",
        report.class_right
    );
    // Routes and deadlines are stored per document.
    for e in store.list(None, 10).await.unwrap() {
        let routes = store.routes(&e.id).await.unwrap();
        let result = store.result(&e.id).await.unwrap().unwrap();
        assert_eq!(routes.len(), result.documents.len());
        for (d, r) in result.documents.iter().zip(&routes) {
            assert_eq!(r.queue, mailroom_workers::routing::queue(d.class));
        }
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_envelope_whose_tries_keep_dying_is_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let (_config, store, pipeline) = setup(tmp.path()).await;
    let env = mailroom_store::NewEnvelope {
        name: "poison".into(),
        source: "cli".into(),
        received_at: time::OffsetDateTime::now_utc(),
        files: vec![mailroom_store::EnvelopeFile {
            name: "001.png".into(),
            bytes: b"whatever".to_vec(),
        }],
    };
    let id = store.receive(&env).await.unwrap().id().clone();
    // Each claim is a try that a crashed process never finished.
    let mut attempts = 0;
    for _ in 0..=pipeline.max_attempts {
        match store
            .claim(&id, "w", Duration::from_secs(60))
            .await
            .unwrap()
        {
            mailroom_store::Claim::Claimed { attempts: a } => attempts = a,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(attempts, pipeline.max_attempts + 1);
    let outcome = mailroom_workers::process::process_claimed(&store, &pipeline, &id, attempts)
        .await
        .unwrap();
    let mailroom_workers::Outcome::Rejected { reason } = outcome else {
        panic!("{outcome:?}");
    };
    assert!(reason.contains("interrupted"), "{reason}");
    let info = store.info(&id).await.unwrap();
    assert_eq!(info.status, EnvelopeStatus::Rejected);
    assert!(store.pages(&id).await.unwrap().is_empty(), "not read again");
    store.close().await;
}
