//! Qualification on real pages: golden tests on demo envelopes and the accuracy gate.
//!
//! Both read pages with the real OCR stage, so this test binary has its own `main`
//! (`harness = false`): it serves as its own OCR worker (`mailroom_ocr::run_if_worker`),
//! which a libtest binary cannot do.
//!
//! - **golden**: the first envelopes of the demo set (`samples/demo`, or generated with its
//!   seed when the folder is absent) are qualified and compared with `tests/golden/*.json`:
//!   classes, pages, blank pages and every field value. `MAILROOM_BLESS=1` rewrites the
//!   golden files after an intended change.
//! - **gate**: a set of 60 envelopes generated with a seed the model never saw is processed
//!   and scored; the thresholds sit a little below issue #4's targets where the stage meets
//!   them, and just under today's figures where it does not yet (see the README).
//!
//! - **external**: real invoices and receipts nobody on the team wrote (`../shared/external`,
//!   read in place, never copied; skipped when the folder is absent): every one is classed
//!   `invoice` or `other`, never `membership_form` or `complaint`, and invoice2data's golden
//!   fields (date, total, number) are right for at least 80 % of its files.
//!
//! `MAILROOM_OCR_CACHE=DIR` keeps the pages read between runs (developer machines).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mailroom_classify::cache::PageSource;
use mailroom_classify::process::{ProcessOptions, qualify_path};
use mailroom_classify::{Model, Qualifier};
use serde_json::{Value, json};

const GOLDEN: [&str; 4] = ["env-000001", "env-000002", "env-000003", "env-000004"];
const GATE_SEED: u64 = 4242;
const GATE_COUNT: u64 = 60;

/// Thresholds of the gate (fractions). Issue #4's targets are 98 % (class), 97 % (split),
/// 99.5 % (valid) and 85 % (straight-through); the gate sits a little below where the stage
/// meets them and just under today's figures where it does not yet (README).
const MIN_CLASS: f64 = 0.97;
const MIN_SPLIT: f64 = 0.96;
const MIN_VALID_PRECISION: f64 = 0.99;
const MIN_STRAIGHT_THROUGH: f64 = 0.77;
/// Identifiers and dates of invoices, quotes and complaints. With the OCR stage reading French
/// first (English only for unsure pages), member numbers and RPPS numbers of this set measure
/// 90.9 % and 92.6 %; with French + English on every page 97 % and 100 %, for 30 % more OCR
/// time (README, "Reading pages").
const MIN_ID_DATE: f64 = 0.90;
const ID_DATE_FIELDS: [&str; 9] = [
    "member_number",
    "invoice_number",
    "invoice_date",
    "care_date",
    "quote_number",
    "quote_date",
    "valid_until",
    "provider_siret",
    "provider_rpps",
];
/// Amounts and letter dates: held back by values OCR does not read (pharmacy totals, a
/// ticked box read as nothing) and quotes whose chosen offer only ink would show. Measured on
/// this gate set: 85 % at the lowest (remaining_amount), straight-through 77 %.
const MIN_AMOUNT: f64 = 0.82;
const AMOUNT_FIELDS: [&str; 4] = [
    "total_amount",
    "social_security_amount",
    "remaining_amount",
    "letter_date",
];

fn main() {
    mailroom_ocr::run_if_worker();
    // `cargo test --test accuracy -- golden` runs only the tests named.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut failed = Vec::new();
    let mut passed = 0;
    for (name, f) in [
        ("golden", golden as fn() -> Result<(), String>),
        ("gate", gate),
        ("external", external),
    ] {
        if !only.is_empty() && !only.iter().any(|o| name.contains(o.as_str())) {
            continue;
        }
        let t = std::time::Instant::now();
        match f() {
            Ok(()) => {
                passed += 1;
                eprintln!("{name}: ok ({:.0} s)", t.elapsed().as_secs_f64());
            }
            Err(e) => {
                eprintln!("{name}: FAILED\n{e}");
                failed.push(name);
            }
        }
    }
    println!("{passed} passed, {} failed", failed.len());
    if !failed.is_empty() {
        std::process::exit(1);
    }
}

fn source() -> PageSource {
    let cache = std::env::var_os("MAILROOM_OCR_CACHE").map(PathBuf::from);
    PageSource::new(mailroom_ocr::Config::default(), cache)
}

/// The demo set, or the same envelopes generated with its seed into `tmp`.
fn demo_set(tmp: &Path, count: u64) -> PathBuf {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/demo");
    if committed.join("envelopes").is_dir() {
        return committed;
    }
    mailroom_samples::generate(tmp, count, mailroom_samples::DEMO_SEED, &|_| {})
        .expect("the demo envelopes generate");
    tmp.to_path_buf()
}

fn envelope_path(set: &Path, name: &str) -> PathBuf {
    let dir = set.join("envelopes");
    for ext in ["", ".pdf", ".tif", ".tiff"] {
        let p = dir.join(format!("{name}{ext}"));
        if p.exists() {
            return p;
        }
    }
    dir.join(name)
}

/// What a golden file keeps of a result: no confidences nor boxes, which move with the OCR
/// engine's version.
fn essential(r: &mailroom_domain::EnvelopeResult) -> Value {
    let docs: Vec<Value> = r
        .documents
        .iter()
        .map(|d| {
            let fields: BTreeMap<&String, &Value> =
                d.fields.iter().map(|(k, f)| (k, &f.value)).collect();
            json!({"class": d.class, "pages": d.pages, "fields": fields})
        })
        .collect();
    json!({"envelope": r.envelope, "status": r.status, "pages": r.pages,
           "blank_pages": r.blank_pages, "documents": docs})
}

fn golden() -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let set = demo_set(tmp.path(), GOLDEN.len() as u64);
    let q = Qualifier::new(Model::embedded().map_err(|e| e.to_string())?);
    let src = source();
    let bless = std::env::var_os("MAILROOM_BLESS").is_some();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut problems = Vec::new();
    for name in GOLDEN {
        let r = qualify_path(&q, &src, &envelope_path(&set, name)).map_err(|e| e.to_string())?;
        let got = essential(&r);
        let file = dir.join(format!("{name}.json"));
        if bless {
            let text = serde_json::to_string_pretty(&got).unwrap_or_default();
            std::fs::write(&file, text + "\n").map_err(|e| e.to_string())?;
            continue;
        }
        let want: Value = std::fs::read_to_string(&file)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .ok_or_else(|| format!("{}: missing (run with MAILROOM_BLESS=1)", file.display()))?;
        if got != want {
            problems.push(format!(
                "{name}: differs from {}\n got: {got}\nwant: {want}",
                file.display()
            ));
        }
        // Whatever the golden file says, classes and splits must be the truth's.
        let truth: mailroom_domain::Truth =
            std::fs::read_to_string(set.join(format!("truth/{name}.json")))
                .ok()
                .and_then(|s| serde_json::from_str(&s).ok())
                .ok_or_else(|| format!("{name}: no truth"))?;
        let split: Vec<(String, Vec<u32>)> = r
            .documents
            .iter()
            .map(|d| (d.class.to_string(), d.pages.clone()))
            .collect();
        let want_split: Vec<(String, Vec<u32>)> = truth
            .documents
            .iter()
            .map(|d| (d.class.to_string(), d.pages.clone()))
            .collect();
        if split != want_split || r.blank_pages != truth.blank_pages {
            problems.push(format!(
                "{name}: split {split:?} / blank {:?}, truth {want_split:?} / blank {:?}",
                r.blank_pages, truth.blank_pages
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn gate() -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let set = tmp.path().join("set");
    mailroom_samples::generate(&set, GATE_COUNT, GATE_SEED, &|_| {}).map_err(|e| e.to_string())?;
    let results = tmp.path().join("results.jsonl");
    let mut out = std::fs::File::create(&results).map_err(|e| e.to_string())?;
    let opts = ProcessOptions {
        ocr_cache: std::env::var_os("MAILROOM_OCR_CACHE").map(PathBuf::from),
        ..ProcessOptions::default()
    };
    let summary = mailroom_classify::process(&set.join("envelopes"), &mut out, &opts, &|_| {})
        .map_err(|e| e.to_string())?;
    let r = mailroom_classify::eval(&results, &set).map_err(|e| e.to_string())?;
    eprintln!("{summary}\n{r}");
    let mut problems = Vec::new();
    let mut at_least = |what: &str, got: f64, min: f64| {
        if got < min {
            problems.push(format!(
                "{what}: {:.1} % < {:.1} %",
                100.0 * got,
                100.0 * min
            ));
        }
    };
    at_least("class accuracy", r.class_accuracy(), MIN_CLASS);
    at_least("split accuracy", r.split_accuracy(), MIN_SPLIT);
    at_least(
        "precision of valid",
        r.valid_precision(),
        MIN_VALID_PRECISION,
    );
    at_least(
        "straight-through",
        r.straight_through_rate(),
        MIN_STRAIGHT_THROUGH,
    );
    for (fields, min) in [
        (&ID_DATE_FIELDS[..], MIN_ID_DATE),
        (&AMOUNT_FIELDS[..], MIN_AMOUNT),
    ] {
        for f in fields {
            if r.fields.get(*f).is_some_and(|s| s.truth >= 5) {
                at_least(f, r.field_accuracy(f), min);
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The external folders of invoice-like documents, and invoice2data's share to reach.
const EXTERNAL_INVOICES: [&str; 5] = [
    "invoice2data",
    "facturx-fr",
    "facturx-de",
    "oca-edi",
    "sroie/img",
];
const MIN_INVOICE2DATA: f64 = 0.8;

/// Processes one external folder; `None` when it is absent.
fn process_external(dir: &Path) -> Result<Option<Vec<mailroom_domain::EnvelopeResult>>, String> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut out = Vec::new();
    let opts = ProcessOptions {
        ocr_cache: std::env::var_os("MAILROOM_OCR_CACHE").map(PathBuf::from),
        ..ProcessOptions::default()
    };
    mailroom_classify::process(dir, &mut out, &opts, &|_| {}).map_err(|e| e.to_string())?;
    let text = String::from_utf8(out).map_err(|e| e.to_string())?;
    text.lines()
        .map(|l| serde_json::from_str(l).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// invoice2data's expected value of one of our fields, in our normalised form.
fn invoice2data_expected(exp: &Value, key: &str) -> Option<String> {
    match key {
        "invoice_date" => exp.get("date")?.as_str().map(str::to_string),
        "total_amount" => exp.get("amount")?.as_f64().map(|a| format!("{a:.2}")),
        _ => exp.get("invoice_number")?.as_str().map(str::to_string),
    }
}

fn external() -> Result<(), String> {
    // `../shared/external` beside the workspace (this crate is one level down).
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/external");
    if !root.is_dir() {
        eprintln!("external: {} absent, skipped", root.display());
        return Ok(());
    }
    let mut problems = Vec::new();
    for folder in EXTERNAL_INVOICES {
        let Some(results) = process_external(&root.join(folder))? else {
            continue;
        };
        for r in &results {
            for d in &r.documents {
                if matches!(
                    d.class,
                    mailroom_domain::Class::MembershipForm | mailroom_domain::Class::Complaint
                ) {
                    problems.push(format!("{folder}/{}: classed {}", r.envelope, d.class));
                }
            }
        }
    }
    // invoice2data: the results come in the folder's order, one line per file.
    let dir = root.join("invoice2data");
    if let Some(results) = process_external(&dir)? {
        let files = mailroom_classify::process::list_envelopes(&dir).map_err(|e| e.to_string())?;
        let mut right = 0;
        for (f, r) in files.iter().zip(&results) {
            let exp: Value = std::fs::read_to_string(f.with_extension("json"))
                .ok()
                .and_then(|s| serde_json::from_str::<Value>(&s).ok())
                .and_then(|v| v.get(0).cloned())
                .ok_or_else(|| format!("{}: no expected json", f.display()))?;
            let ok = ["invoice_date", "total_amount", "invoice_number"]
                .iter()
                .all(|k| {
                    let Some(want) = invoice2data_expected(&exp, k) else {
                        return true; // not asserted upstream
                    };
                    // Numbers are compared as FIELDS.md normalises them: upper case.
                    r.documents
                        .iter()
                        .find_map(|d| d.fields.get(*k))
                        .is_some_and(|g| {
                            g.value.as_str().map(str::to_uppercase) == Some(want.to_uppercase())
                        })
                });
            eprintln!(
                "external: invoice2data {} {}",
                f.display(),
                if ok { "right" } else { "wrong" }
            );
            right += usize::from(ok);
        }
        let share = right as f64 / files.len().max(1) as f64;
        eprintln!(
            "external: invoice2data {right} of {} files right",
            files.len()
        );
        if share < MIN_INVOICE2DATA {
            problems.push(format!(
                "invoice2data: {right} of {} files with date, total and number right",
                files.len()
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}
