//! Issue #7, point 3: `mailroom run` on the whole demo set, logging at `trace` for every
//! mailroom crate, with stderr piped (not a terminal, so JSON lines): every line is JSON, the
//! lines about envelopes and documents carry their ids, and no NIR, IBAN, person's name from
//! the demo set's truth, nor any line of OCR text the store holds (12 characters or more),
//! appears anywhere in the log. Needs the OCR worker program (`cargo build --release
//! --workspace`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mailroom_store::Store;
use regex::Regex;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/demo")
}

/// Copies the demo envelopes into the inbox as a scanner would: folders marked complete,
/// single files as they are.
fn fill_inbox(inbox: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(demo().join("envelopes")).unwrap() {
        let e = e.unwrap();
        let to = inbox.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
            for f in std::fs::read_dir(e.path()).unwrap() {
                let f = f.unwrap();
                std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
            }
            std::fs::write(to.join(".ready"), b"").unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
        n += 1;
    }
    n
}

/// What must never be logged, from the truth files: NIRs, IBANs (compact and grouped by 4)
/// and people's names.
fn secrets() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut exact = BTreeSet::new();
    let mut names = BTreeSet::new();
    for e in std::fs::read_dir(demo().join("truth")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        let truth: serde_json::Value = serde_json::from_str(&text).unwrap();
        for d in truth["documents"].as_array().unwrap() {
            let fields = d["fields"].as_object().unwrap();
            for (k, v) in fields {
                let Some(v) = v.as_str() else { continue };
                match k.as_str() {
                    "nir" => {
                        exact.insert(v.to_string());
                    }
                    "iban" => {
                        exact.insert(v.to_string());
                        let grouped: Vec<String> = v
                            .as_bytes()
                            .chunks(4)
                            .map(|c| String::from_utf8_lossy(c).into_owned())
                            .collect();
                        exact.insert(grouped.join(" "));
                    }
                    "first_name" | "last_name" | "patient_first_name" | "patient_last_name"
                        if v.chars().count() >= 3 =>
                    {
                        names.insert(v.to_string());
                    }
                    "provider_name" => {
                        exact.insert(v.to_string());
                    }
                    _ => {}
                }
            }
        }
    }
    (exact, names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_of_the_demo_set_hold_ids_and_no_personal_data() {
    let tmp = tempfile::tempdir().unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let envelopes = fill_inbox(&inbox);
    let url = format!("sqlite://{}", tmp.path().join("mailroom.db").display());
    let log_path = tmp.path().join("run.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let crates = [
        "mailroom",
        "mailroom_workers",
        "mailroom_store",
        "mailroom_ingest",
        "mailroom_ocr",
        "mailroom_classify",
        "mailroom_telemetry",
        "mailroom_domain",
    ];
    let filter = std::iter::once("info".to_string())
        .chain(crates.iter().map(|c| format!("{c}=trace")))
        .collect::<Vec<_>>()
        .join(",");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .arg("run")
        .arg("--inbox")
        .arg(&inbox)
        .args([
            "--database-url",
            &url,
            "--settle",
            "0.2",
            "--exit-when-idle",
        ])
        .env("OMP_THREAD_LIMIT", "1")
        .env("RUST_LOG", &filter)
        .env_remove("AMQP_URL")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("mailroom run starts");
    let deadline = Instant::now() + Duration::from_secs(1200);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("mailroom run did not finish the demo set in time");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(status.success(), "mailroom run failed: {status}");
    let log = std::fs::read_to_string(&log_path).unwrap();

    // Every line is a JSON object with level, target and fields.
    let mut lines = Vec::new();
    for line in log.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["level"].is_string() && v["fields"].is_object(), "{line}");
        lines.push(v);
    }
    assert!(lines.len() > envelopes, "{} lines", lines.len());

    // Every envelope's id is in the log, every "envelope processed" line names its envelope,
    // and routed documents carry their number.
    let store = Store::open(Some(&url)).await.unwrap();
    let stored = store.list(None, 1000).await.unwrap();
    assert_eq!(stored.len(), envelopes, "every demo envelope stored");
    let id = Regex::new(r"^e-[0-9a-f]{20}$").unwrap();
    let logged: BTreeSet<&str> = lines
        .iter()
        .filter_map(|v| v["fields"]["envelope"].as_str())
        .collect();
    for e in &stored {
        assert!(logged.contains(e.id.as_str()), "{} never logged", e.id);
    }
    for v in &lines {
        let message = v["fields"]["message"].as_str().unwrap_or_default();
        if message == "envelope processed" || message == "document routed" {
            let envelope = v["fields"]["envelope"].as_str().unwrap_or_default();
            assert!(id.is_match(envelope), "{v}");
        }
        if message == "document routed" {
            assert!(v["fields"]["document"].is_u64(), "{v}");
        }
    }
    assert!(
        lines
            .iter()
            .any(|v| v["fields"]["message"] == "document routed"),
        "no document line at trace level"
    );

    // No personal data: NIRs, IBANs, provider names verbatim; people's names as whole words.
    let (exact, names) = secrets();
    assert!(exact.len() > 10 && names.len() > 10);
    for s in &exact {
        assert!(!log.contains(s.as_str()), "logged: {s}");
    }
    for name in &names {
        let word = Regex::new(&format!(r"(?u)\b{}\b", regex::escape(name))).unwrap();
        if let Some(m) = word.find(&log) {
            let line = log[..m.start()].lines().count();
            panic!("a name from the truth is logged ({name}) on line {line}");
        }
    }

    // No OCR text: no line of 12 characters or more from the pages the store holds, neither
    // as it is nor as JSON escapes it.
    let mut checked = 0;
    for e in &stored {
        for p in store.pages(&e.id).await.unwrap() {
            for text_line in p.text.lines().map(str::trim) {
                if text_line.chars().count() < 12 {
                    continue;
                }
                checked += 1;
                let escaped = serde_json::to_string(text_line).unwrap();
                let escaped = &escaped[1..escaped.len() - 1];
                assert!(
                    !log.contains(text_line) && !log.contains(escaped),
                    "OCR text logged: {text_line}"
                );
            }
        }
    }
    assert!(checked > 500, "only {checked} OCR lines checked");
    eprintln!(
        "{} log lines, {} envelopes, {} personal values and {} names, {checked} OCR lines checked",
        lines.len(),
        envelopes,
        exact.len(),
        names.len()
    );
    store.close().await;
}
