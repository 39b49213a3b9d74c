//! `mailroom run` as a process: killed mid-run, a restart finishes what was in flight from
//! the store; SIGTERM stops taking work, finishes what is in flight and exits cleanly.
//! Needs the OCR worker program (`cargo build --release --workspace`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailroom_store::{EnvelopeStatus, Store};

fn demo(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/demo/envelopes")
        .join(name)
}

/// Copies an envelope folder into the inbox, marked complete.
fn drop_envelope(inbox: &Path, name: &str) {
    let to = inbox.join(name);
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(demo(name)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    std::fs::write(to.join(".ready"), b"").unwrap();
}

fn start(tmp: &Path, url: &str, extra: &[&str], log: &str) -> Child {
    let log = std::fs::File::create(tmp.join(log)).unwrap();
    Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .arg("run")
        .arg("--inbox")
        .arg(tmp.join("inbox"))
        .args(["--database-url", url, "--settle", "0.2", "--slots", "2"])
        .arg("--events-journal")
        .arg(tmp.join("events.jsonl"))
        .args(extra)
        .env("OMP_THREAD_LIMIT", "1")
        .env_remove("AMQP_URL")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("mailroom run starts")
}

/// Waits until an envelope is being read, and returns the ids being read.
async fn wait_reading(store: &Store, child: &mut Child) -> Vec<mailroom_domain::EnvelopeId> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "mailroom run exited early"
        );
        let reading = store
            .list(Some(EnvelopeStatus::Reading), 100)
            .await
            .unwrap();
        if !reading.is_empty() {
            return reading.into_iter().map(|e| e.id).collect();
        }
        assert!(Instant::now() < deadline, "no envelope was ever read");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("mailroom run did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_a_crash_finishes_what_was_in_flight() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("inbox")).unwrap();
    let url = format!("sqlite://{}", tmp.path().join("mailroom.db").display());
    let names = ["env-000005", "env-000006", "env-000007", "env-000008"];
    for n in names {
        drop_envelope(&tmp.path().join("inbox"), n);
    }
    let store = Store::open(Some(&url)).await.unwrap();
    let mut first = start(tmp.path(), &url, &[], "first.log");
    let in_flight = wait_reading(&store, &mut first).await;
    first.kill().unwrap(); // SIGKILL: no chance to clean up.
    first.wait().unwrap();
    // What it held is still marked as being read, under its lease.
    for id in &in_flight {
        let s = store.info(id).await.unwrap().status;
        assert!(s == EnvelopeStatus::Reading || s.is_finished(), "{id}: {s}");
    }
    let mut second = start(tmp.path(), &url, &["--exit-when-idle"], "second.log");
    let status = wait_exit(&mut second, Duration::from_secs(600));
    assert!(status.success(), "second run failed: {status}");
    let all = store.list(None, 100).await.unwrap();
    assert_eq!(all.len(), names.len());
    for e in &all {
        assert_eq!(e.status, EnvelopeStatus::AwaitingValidation, "{e:?}");
        let history = store.history(&e.id).await.unwrap();
        let completions = history
            .iter()
            .filter(|h| h.status == "awaiting_validation")
            .count();
        assert_eq!(completions, 1, "{}: processed {completions} times", e.name);
        let result = store.result(&e.id).await.unwrap().unwrap();
        assert_eq!(store.pages(&e.id).await.unwrap().len() as u32, result.pages);
        assert_eq!(
            store.routes(&e.id).await.unwrap().len(),
            result.documents.len()
        );
    }
    // Every document's ready event went out on the in-process bus, to the journal (at least
    // once: a run killed between the journal and the store's mark sends it again).
    let journal = std::fs::read_to_string(tmp.path().join("events.jsonl")).unwrap();
    let mut ready = std::collections::BTreeSet::new();
    for line in journal.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = v["routing_key"].as_str().unwrap();
        if key.starts_with("document.ready.") {
            ready.insert((
                v["body"]["envelope"].as_str().unwrap().to_string(),
                v["body"]["document"].as_u64().unwrap(),
            ));
        }
    }
    let documents: usize = {
        let mut n = 0;
        for e in &all {
            n += store.routes(&e.id).await.unwrap().len();
        }
        n
    };
    assert_eq!(ready.len(), documents, "one ready event per document");
    let recovered = in_flight
        .iter()
        .filter(|id| all.iter().any(|e| &e.id == *id && e.attempts >= 2))
        .count();
    assert!(
        recovered >= 1,
        "the envelopes in flight were read again after the restart"
    );
    for id in &in_flight {
        let history = store.history(id).await.unwrap();
        assert!(
            history.iter().any(|h| h.detail == "worker restarted")
                || history.iter().filter(|h| h.status == "reading").count() == 1,
            "{history:?}"
        );
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_work_and_exits_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("inbox")).unwrap();
    let url = format!("sqlite://{}", tmp.path().join("mailroom.db").display());
    let store = Store::open(Some(&url)).await.unwrap();
    let mut run = start(tmp.path(), &url, &[], "run.log");
    for n in [
        "env-000005",
        "env-000007",
        "env-000008",
        "env-000006",
        "env-000002",
    ] {
        drop_envelope(&tmp.path().join("inbox"), n);
    }
    let in_flight = wait_reading(&store, &mut run).await;
    let term = Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = wait_exit(&mut run, Duration::from_secs(300));
    assert!(status.success(), "exit status {status}");
    // Nothing is left half done: what was in flight was finished, the rest waits.
    for id in &in_flight {
        assert_eq!(
            store.info(id).await.unwrap().status,
            EnvelopeStatus::AwaitingValidation,
            "{id}"
        );
    }
    let counts = store.counts().await.unwrap();
    assert_eq!(counts[&EnvelopeStatus::Reading], 0, "{counts:?}");
    let log = std::fs::read_to_string(tmp.path().join("run.log")).unwrap();
    assert!(log.contains("embedded pipeline stopped"), "{log}");
    // Logs are JSON lines (not a terminal) and carry no page text.
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("{line}"));
        assert!(v.get("fields").is_some(), "{line}");
    }
    store.close().await;
}
