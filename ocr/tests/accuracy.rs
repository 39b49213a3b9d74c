//! Accuracy of the stage: character error rate (CER) against known text.
//!
//! - `baselines`: real scans of `../shared/external/ocr-baselines` that have a transcription
//!   (skipped when the folder is absent). CER on the whole page text (whitespace collapsed),
//!   and the share of transcription words not found (order-free: two of these pages have
//!   ground truth in another reading order than the layout's).
//! - `demo_set`: generated pages against the text the generator printed (`meta/`), line by
//!   line: OCR words are matched to a printed line by their box, so the layout's reading order
//!   does not count, and words matched to no line count as inserted characters (printed lines
//!   with no letter or digit, rules drawn with dashes, are left out). Pages are
//!   grouped: clean scans, degraded scans (and by defect), handwriting, text-layer PDFs. Also
//!   blank-page detection and orientation against the generator's facts.
//!
//! Slow (they OCR every page), so ignored by default:
//!
//! ```sh
//! OMP_THREAD_LIMIT=1 cargo test --release -p mailroom-ocr --test accuracy -- --ignored --nocapture
//! ```
//!
//! `MAILROOM_OCR_SET=/path/to/set` measures a given set (default: the committed demo set
//! `samples/demo`, or one generated with its seed); `MAILROOM_OCR_COUNT=N` generates N envelopes
//! instead; `MAILROOM_OCR_SETTINGS='{"psm":6}'` overrides settings, to compare variants.

use image::GrayImage;
use mailroom_ocr::{Config, PageText, Reader, Settings};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn settings() -> Settings {
    let mut v = serde_json::to_value(Settings::default()).unwrap();
    if let Ok(s) = std::env::var("MAILROOM_OCR_SETTINGS") {
        let over: Value = serde_json::from_str(&s).expect("MAILROOM_OCR_SETTINGS is a JSON object");
        for (k, x) in over.as_object().expect("an object") {
            assert!(v.get(k).is_some(), "no setting {k}");
            v[k] = x.clone();
        }
    }
    serde_json::from_value(v).unwrap()
}

fn reader() -> Reader {
    let config = Config {
        settings: settings(),
        worker: Some(env!("CARGO_BIN_EXE_mailroom-ocr-worker").into()),
        ..Config::default()
    };
    eprintln!(
        "settings: {}",
        serde_json::to_string(&config.settings).unwrap()
    );
    Reader::new(config).expect("the OCR workers start")
}

/// Whitespace collapsed, typographic variants folded (quotes, dashes, ligatures, spaces).
fn norm(s: &str) -> Vec<char> {
    let mut out = Vec::new();
    for c in s.chars() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '`' | '\u{b4}' => '\'',
            '\u{201c}' | '\u{201d}' | '\u{201e}' => '"',
            '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
            '\u{a0}' | '\u{202f}' | '\t' | '\n' | '\r' => ' ',
            '\u{fb01}' => {
                out.extend(['f', 'i']);
                continue;
            }
            '\u{fb02}' => {
                out.extend(['f', 'l']);
                continue;
            }
            c => c,
        };
        if c == ' ' && (out.is_empty() || out.last() == Some(&' ')) {
            continue;
        }
        out.push(c);
    }
    while out.last() == Some(&' ') {
        out.pop();
    }
    out
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Share of the truth's words (as a multiset) missing from the OCR's.
fn words_missed(truth: &str, ocr: &str) -> f64 {
    let mut have: BTreeMap<String, usize> = BTreeMap::new();
    for w in ocr.split_whitespace() {
        *have.entry(w.to_string()).or_default() += 1;
    }
    let (mut total, mut missed) = (0usize, 0usize);
    for w in truth.split_whitespace() {
        total += 1;
        match have.get_mut(w) {
            Some(n) if *n > 0 => *n -= 1,
            _ => missed += 1,
        }
    }
    missed as f64 / total.max(1) as f64
}

const BASELINES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/external/ocr-baselines"
);

#[test]
#[ignore = "slow: OCRs the baseline pages; run with --ignored --nocapture"]
fn baselines() {
    let dir = Path::new(BASELINES);
    if !dir.is_dir() {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    }
    let cases = [
        (
            "tesseract-test/phototest.tif",
            "tesseract-test/phototest.gold.txt",
        ),
        ("tesseract-test/eurotext.tif", "tesseract-test/eurotext.txt"),
        (
            "tesseract-test/8071_093.3B.tif",
            "tesseract-test/8071_093.3B.txt",
        ),
        (
            "tesseract-test/8087_054.3B.tif",
            "tesseract-test/8087_054.3B.txt",
        ),
        ("ocrmypdf/linn.pdf", "ocrmypdf/linn.txt"),
        ("ocrmypdf/skew.pdf", "ocrmypdf/linn.txt"),
        ("ocrmypdf/rotated_skew.pdf", "ocrmypdf/linn.txt"),
    ];
    let reader = reader();
    let (mut errs, mut chars, mut ms) = (0usize, 0usize, 0u64);
    println!(
        "{:<32} {:>6} {:>7} {:>8} {:>5} {:>7}",
        "page", "chars", "CER", "missed", "rot", "ms"
    );
    for (img, txt) in cases {
        let truth = std::fs::read_to_string(dir.join(txt)).unwrap();
        let pages = reader
            .read_envelope(&dir.join(img))
            .unwrap_or_else(|e| panic!("{img}: {e}"));
        let text: String = pages
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let (t, o) = (norm(&truth), norm(&text));
        let e = levenshtein(&t, &o);
        errs += e;
        chars += t.len();
        ms += pages.iter().map(|p| p.elapsed_ms).sum::<u64>();
        println!(
            "{img:<32} {:>6} {:>6.2}% {:>7.1}% {:>5} {:>7}",
            t.len(),
            100.0 * e as f64 / t.len() as f64,
            100.0 * words_missed(&truth, &text),
            pages[0].rotation,
            pages.iter().map(|p| p.elapsed_ms).sum::<u64>()
        );
    }
    println!(
        "{:<32} {chars:>6} {:>6.2}% {:>8} {:>5} {ms:>7}",
        "all",
        100.0 * errs as f64 / chars as f64,
        "",
        ""
    );
}

/// The set to measure: `$MAILROOM_OCR_SET`, the committed demo set, or the demo seed generated.
fn the_set() -> (PathBuf, Option<tempfile::TempDir>) {
    if let Ok(p) = std::env::var("MAILROOM_OCR_SET") {
        return (p.into(), None);
    }
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/demo");
    let count = std::env::var("MAILROOM_OCR_COUNT")
        .ok()
        .and_then(|s| s.parse().ok());
    if count.is_none() && committed.join("meta").is_dir() {
        return (committed, None);
    }
    let tmp = tempfile::tempdir().unwrap();
    let count = count.unwrap_or(mailroom_samples::DEMO_COUNT);
    mailroom_samples::generate(tmp.path(), count, mailroom_samples::DEMO_SEED, &|_| {}).unwrap();
    (tmp.path().to_path_buf(), Some(tmp))
}

#[derive(Default)]
struct Tally {
    pages: usize,
    chars: usize,
    errors: usize,
    ms: u64,
}

#[derive(Default)]
struct Times {
    pages: usize,
    decode: f64,
    clean: f64,
    recognize: f64,
    recognize_cpu: f64,
    cpu: f64,
    elapsed: f64,
}

impl Tally {
    fn add(&mut self, chars: usize, errors: usize, ms: u64) {
        self.pages += 1;
        self.chars += chars;
        self.errors += errors;
        self.ms += ms;
    }
    fn line(&self, name: &str) -> String {
        format!(
            "{name:<34} {:>5} {:>7} {:>7.2}% {:>7}",
            self.pages,
            self.chars,
            100.0 * self.errors as f64 / self.chars.max(1) as f64,
            self.ms / self.pages.max(1) as u64
        )
    }
}

/// A printed line as a rotated rectangle in the page before its quarter turns: centre,
/// direction, half length and half height.
struct Band {
    text: Vec<char>,
    cx: f64,
    cy: f64,
    half_w: f64,
    half_h: f64,
}

/// Errors of one page against its printed lines: (truth chars, errors).
///
/// The generator gives each line's axis-aligned box in the stored image, after skew and quarter
/// turns. Both are undone here: word centres and boxes go back through the quarter turns, and
/// each box is turned back into the skewed band it came from, so that on a skewed page a word
/// is matched to its own line and not to the neighbour whose box overlaps.
fn page_errors(page: &PageText, meta: &Value) -> (usize, usize) {
    let (mw, mh) = (
        meta["width"].as_f64().unwrap_or(1.0),
        meta["height"].as_f64().unwrap_or(1.0),
    );
    let scale = mw / f64::from(page.width);
    let qt = meta["quarter_turns"].as_u64().unwrap_or(0) % 4;
    // Size before the turns.
    let (pw, ph) = if qt % 2 == 1 { (mh, mw) } else { (mw, mh) };
    let unturn = |x: f64, y: f64| -> (f64, f64) {
        match qt {
            1 => (y, ph - 1.0 - x),
            2 => (pw - 1.0 - x, ph - 1.0 - y),
            3 => (pw - 1.0 - y, x),
            _ => (x, y),
        }
    };
    let theta = meta["skew_deg"].as_f64().unwrap_or(0.0).to_radians();
    let (sin, cos) = (theta.sin(), theta.cos());
    let bands: Vec<Band> = meta["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let b: Vec<f64> = l["bbox"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let (a, c) = (unturn(b[0], b[1]), unturn(b[2], b[3]));
            let (x0, x1, y0, y1) = (a.0.min(c.0), a.0.max(c.0), a.1.min(c.1), a.1.max(c.1));
            let (bw, bh) = (x1 - x0, y1 - y0);
            // The box of a w x h rectangle turned by theta is W = w cos + h sin, H = w sin + h cos.
            let (s, c2) = (sin.abs(), cos * cos - sin * sin);
            let w = ((bw * cos - bh * s) / c2).max(bw * 0.5);
            let h = ((bh * cos - bw * s) / c2).max(bh.min(12.0)).max(4.0);
            Band {
                text: norm(l["text"].as_str().unwrap()),
                cx: (x0 + x1) / 2.0,
                cy: (y0 + y1) / 2.0,
                half_w: w / 2.0,
                half_h: h / 2.0,
            }
        })
        .collect();
    let mut per_line: Vec<Vec<(f64, &str)>> = vec![Vec::new(); bands.len()];
    let mut stray = 0usize;
    for w in &page.words {
        let (x, y) = unturn(
            f64::from(w.bbox[0] + w.bbox[2]) / 2.0 * scale,
            f64::from(w.bbox[1] + w.bbox[3]) / 2.0 * scale,
        );
        // Position along and across each band (lines run along (cos, -sin): the generator turns
        // the page by theta about its centre).
        let hit = bands
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let (dx, dy) = (x - b.cx, y - b.cy);
                let along = dx * cos - dy * sin;
                let across = dx * sin + dy * cos;
                let pad = b.half_h * 0.5;
                (along.abs() <= b.half_w + pad && across.abs() <= b.half_h + pad).then_some((
                    i,
                    across.abs() / b.half_h,
                    along,
                ))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match hit {
            Some((i, _, along)) => per_line[i].push((along, &w.text)),
            None => stray += norm(&w.text).len(),
        }
    }
    let (mut chars, mut errors) = (0usize, stray);
    for (band, mut got) in bands.iter().zip(per_line) {
        // A rule drawn with dashes or dots is decoration, not text: Tesseract rightly takes it
        // for a line. Neither it nor what was read on it counts.
        if !band.text.iter().any(|c| c.is_alphanumeric()) {
            continue;
        }
        got.sort_by(|a, b| a.0.total_cmp(&b.0));
        let text: Vec<&str> = got.iter().map(|g| g.1).collect();
        chars += band.text.len();
        errors += levenshtein(&band.text, &norm(&text.join(" ")));
    }
    (chars, errors)
}

#[test]
#[ignore = "slow: OCRs a whole sample set; run with --ignored --nocapture"]
fn demo_set() {
    let (set, _tmp) = the_set();
    let reader = reader();
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    let (mut blank_ok, mut blank_missed, mut blank_false) = (0, 0, 0);
    let (mut turned, mut turned_ok) = (0, 0);
    let mut sideways: Vec<u32> = Vec::new();
    let mut failed = Vec::new();
    let started = Instant::now();
    let mut metas: Vec<PathBuf> = std::fs::read_dir(set.join("meta"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("env-"))
        .collect();
    metas.sort();
    let mut all_pages = 0usize;
    let mut times = Times::default();
    // Two envelopes at a time, as a worker pool is meant to be used.
    let results: Vec<(Value, Result<Vec<PageText>, mailroom_ocr::OcrError>)> = {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let out = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..reader.config().slots {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(m) = metas.get(i) else { break };
                        let meta: Value =
                            serde_json::from_slice(&std::fs::read(m).unwrap()).unwrap();
                        let id = meta["envelope"].as_str().unwrap().to_string();
                        let env = set.join("envelopes");
                        let path = [
                            env.join(&id),
                            env.join(format!("{id}.pdf")),
                            env.join(format!("{id}.tif")),
                        ]
                        .into_iter()
                        .find(|p| p.exists())
                        .unwrap();
                        let r = reader.read_envelope(&path);
                        out.lock().unwrap().push((i, meta, r));
                    }
                });
            }
        });
        let mut v = out.into_inner().unwrap();
        v.sort_by_key(|x| x.0);
        v.into_iter().map(|(_, m, r)| (m, r)).collect()
    };
    let wall = started.elapsed().as_secs_f64();
    for (meta, result) in results {
        let pages = match result {
            Ok(p) => p,
            Err(e) => {
                failed.push(format!("{}: {e}", meta["envelope"]));
                continue;
            }
        };
        let metas = meta["pages"].as_array().unwrap();
        assert_eq!(pages.len(), metas.len(), "{}: page count", meta["envelope"]);
        for (page, m) in pages.iter().zip(metas) {
            all_pages += 1;
            if page.source == mailroom_ocr::Source::Ocr {
                times.pages += 1;
                times.decode += page.timings.decode_ms;
                times.clean += page.timings.clean_ms;
                times.recognize += page.timings.recognize_ms;
                times.recognize_cpu += page.timings.recognize_cpu_ms;
                times.cpu += page.timings.cpu_ms;
                times.elapsed += page.elapsed_ms as f64;
            }
            let kind = m["kind"].as_str().unwrap();
            if kind == "content" {
                if page.blank {
                    blank_false += 1;
                }
            } else if page.blank {
                blank_ok += 1;
            } else {
                blank_missed += 1;
            }
            if kind != "content" || page.blank {
                continue;
            }
            let qt = m["quarter_turns"].as_u64().unwrap_or(0) as u32;
            if qt == 2 {
                turned += 1;
                if page.rotation == 180 {
                    turned_ok += 1;
                }
            } else if qt != 0 {
                // Tesseract's layout analysis reads sideways text by itself (rotation 0); OSD
                // turns the page when it does not. The CER of the group says whether it read.
                sideways.push(page.rotation);
            }
            let (chars, errors) = page_errors(page, m);
            let layout = m["layout"].as_str().unwrap_or("");
            let format = m["format"].as_str().unwrap_or("");
            let skew = m["skew_deg"].as_f64().unwrap_or(0.0).abs();
            let noise = m["noise"].as_u64().unwrap_or(0);
            let blur = m["blur"].as_u64().unwrap_or(0);
            let specks = m["specks"].as_u64().unwrap_or(0);
            let q = m["jpeg_quality"].as_u64();
            let dpi = m["dpi"].as_u64().unwrap_or(0);
            let ms = page.elapsed_ms;
            let group = if format == "pdf-text" {
                "text layer (born-digital PDF)"
            } else if layout.contains("hand") {
                "handwriting (not expected to read)"
            } else if qt == 0
                && skew <= 0.5
                && noise == 0
                && blur == 0
                && specks < 100
                && q.is_none_or(|q| q >= 70)
                && dpi >= 300
            {
                "scans: clean"
            } else {
                "scans: degraded"
            };
            if std::env::var_os("MAILROOM_OCR_VERBOSE").is_some() {
                println!(
                    "{} page {}: {group}, {layout}, {format}, {dpi} dpi: {:.1}% of {chars}",
                    meta["envelope"].as_str().unwrap_or_default(),
                    page.page,
                    100.0 * errors as f64 / chars.max(1) as f64
                );
            }
            groups
                .entry(group.into())
                .or_default()
                .add(chars, errors, ms);
            if group == "scans: degraded" {
                let mut defect = |name: &str, on: bool| {
                    if on {
                        groups
                            .entry(format!("  degraded: {name}"))
                            .or_default()
                            .add(chars, errors, ms);
                    }
                };
                defect("upside down / sideways", qt != 0);
                defect("skew > 1°", skew > 1.0);
                defect("JPEG quality < 60", q.is_some_and(|q| q < 60));
                defect("noise", noise > 0);
                defect("blur", blur > 0);
                defect("specks >= 100", specks >= 100);
                defect("200 dpi", dpi < 240);
                defect("bitonal", m["bitonal"].as_bool().unwrap_or(false));
            }
        }
    }
    println!("set: {}", set.display());
    println!(
        "{:<34} {:>5} {:>7} {:>8} {:>7}",
        "pages", "n", "chars", "CER", "ms/page"
    );
    for (name, t) in &groups {
        println!("{}", t.line(name));
    }
    println!(
        "blank pages: {blank_ok} found, {blank_missed} missed; {blank_false} content pages taken for blank"
    );
    println!(
        "upside-down pages turned 180°: {turned_ok} of {turned}; sideways pages, rotation applied: {sideways:?}"
    );
    println!(
        "{all_pages} pages in {wall:.1} s: {:.2} pages/s",
        all_pages as f64 / wall
    );
    let n = times.pages.max(1) as f64;
    println!(
        "OCR pages: {}; mean ms: decode {:.0}, clean-up {:.0}, recognition {:.0}, whole page {:.0}; CPU ms: recognition {:.0}, whole page {:.0}",
        times.pages,
        times.decode / n,
        times.clean / n,
        times.recognize / n,
        times.elapsed / n,
        times.recognize_cpu / n,
        times.cpu / n
    );
    for f in &failed {
        println!("failed: {f}");
    }
}

/// Over-resolved scans: the born-digital pages of the set rasterised at 600 dpi (as a 600-dpi
/// colour scanner would deliver them, less the colour), read with and without downscaling to
/// 300 dpi. Prints CER and time for both.
#[test]
#[ignore = "slow: OCRs pages twice at 600 dpi; run with --ignored --nocapture"]
fn over_resolved() {
    let (set, _tmp) = the_set();
    let tmp = tempfile::tempdir().unwrap();
    let mut pages: Vec<(PathBuf, Value)> = Vec::new();
    let mut metas: Vec<PathBuf> = std::fs::read_dir(set.join("meta"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    metas.sort();
    for m in metas {
        let meta: Value = serde_json::from_slice(&std::fs::read(&m).unwrap()).unwrap();
        let Some(list) = meta["pages"].as_array() else {
            continue;
        };
        let id = meta["envelope"].as_str().unwrap();
        for p in list.iter().filter(|p| p["format"] == "pdf-text") {
            let file = p["file"].as_str().unwrap();
            let src = [
                set.join("envelopes").join(id).join(file),
                set.join("envelopes").join(file),
            ]
            .into_iter()
            .find(|p| p.exists())
            .unwrap();
            let index = p["page"].as_u64().unwrap() + 1;
            let out = tmp.path().join(format!("{}-{index}", pages.len()));
            let ok = std::process::Command::new("pdftoppm")
                .args([
                    "-r",
                    "600",
                    "-gray",
                    "-png",
                    "-singlefile",
                    "-f",
                    &index.to_string(),
                    "-l",
                    &index.to_string(),
                ])
                .arg(&src)
                .arg(&out)
                .status()
                .unwrap()
                .success();
            assert!(ok, "pdftoppm on {}", src.display());
            pages.push((out.with_extension("png"), p.clone()));
        }
    }
    if pages.is_empty() {
        eprintln!("skipped: the set has no born-digital page");
        return;
    }
    for downscale in [0u32, Settings::default().downscale_above_dpi] {
        let config = Config {
            settings: Settings {
                downscale_above_dpi: downscale,
                ..settings()
            },
            worker: Some(env!("CARGO_BIN_EXE_mailroom-ocr-worker").into()),
            ..Config::default()
        };
        let reader = Reader::new(config).unwrap();
        let mut t = Tally::default();
        let mut recognize = 0.0;
        for (png, meta) in &pages {
            let page = &reader.read_envelope(png).unwrap()[0];
            let (chars, errors) = page_errors(page, meta);
            t.add(chars, errors, page.elapsed_ms);
            recognize += page.timings.recognize_ms;
        }
        let name = if downscale == 0 {
            "600 dpi as is".to_string()
        } else {
            format!("600 dpi scaled to {} dpi", Settings::default().target_dpi)
        };
        println!(
            "{}  (recognition {:.0} ms/page)",
            t.line(&name),
            recognize / t.pages as f64
        );
    }
}

/// Clean pages against degraded copies of the same pages: the born-digital pages of the set
/// rasterised at 300 dpi (clean), then each defect alone: JPEG quality 30, 200 dpi bitonal
/// (threshold 128), skew of 2.5°, upside down, speckle. Same text in every row, so the rows
/// compare the defects and nothing else.
#[test]
#[ignore = "slow: OCRs every born-digital page six times; run with --ignored --nocapture"]
fn clean_against_degraded() {
    let (set, _tmp) = the_set();
    let tmp = tempfile::tempdir().unwrap();
    let mut pages: Vec<(GrayImage, Value)> = Vec::new();
    let mut metas: Vec<PathBuf> = std::fs::read_dir(set.join("meta"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    metas.sort();
    for m in metas {
        let meta: Value = serde_json::from_slice(&std::fs::read(&m).unwrap()).unwrap();
        let Some(list) = meta["pages"].as_array() else {
            continue;
        };
        let id = meta["envelope"].as_str().unwrap();
        for p in list.iter().filter(|p| p["format"] == "pdf-text") {
            let file = p["file"].as_str().unwrap();
            let src = [
                set.join("envelopes").join(id).join(file),
                set.join("envelopes").join(file),
            ]
            .into_iter()
            .find(|p| p.exists())
            .unwrap();
            let index = (p["page"].as_u64().unwrap() + 1).to_string();
            let out = tmp.path().join(format!("{}", pages.len()));
            let ok = std::process::Command::new("pdftoppm")
                .args([
                    "-r",
                    "300",
                    "-gray",
                    "-png",
                    "-singlefile",
                    "-f",
                    &index,
                    "-l",
                    &index,
                ])
                .arg(&src)
                .arg(&out)
                .status()
                .unwrap()
                .success();
            assert!(ok, "pdftoppm on {}", src.display());
            pages.push((
                image::open(out.with_extension("png")).unwrap().into_luma8(),
                p.clone(),
            ));
        }
    }
    if pages.is_empty() {
        eprintln!("skipped: the set has no born-digital page");
        return;
    }
    let reader = reader();
    type Defect = fn(&GrayImage, &mut Value) -> GrayImage;
    let defects: [(&str, Defect); 6] = [
        ("clean, 300 dpi grey", |img, _| img.clone()),
        ("JPEG quality 30", |img, _| {
            let mut bytes = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 30)
                .encode_image(img)
                .unwrap();
            image::load_from_memory(&bytes).unwrap().into_luma8()
        }),
        ("200 dpi bitonal", |img, _| {
            let small = image::imageops::resize(
                img,
                img.width() * 2 / 3,
                img.height() * 2 / 3,
                image::imageops::FilterType::Triangle,
            );
            GrayImage::from_fn(small.width(), small.height(), |x, y| {
                image::Luma([if small.get_pixel(x, y).0[0] < 128 {
                    0
                } else {
                    255
                }])
            })
        }),
        ("skewed 2.5°", |img, meta| skew(img, meta, 2.5)),
        ("upside down", |img, meta| {
            // The line boxes as the generator gives them: on the page as turned.
            let (mw, mh) = (
                meta["width"].as_f64().unwrap(),
                meta["height"].as_f64().unwrap(),
            );
            for l in meta["lines"].as_array_mut().unwrap() {
                let b: Vec<f64> = l["bbox"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect();
                l["bbox"] = serde_json::json!([
                    mw - 1.0 - b[2],
                    mh - 1.0 - b[3],
                    mw - 1.0 - b[0],
                    mh - 1.0 - b[1]
                ]);
            }
            meta["quarter_turns"] = 2.into();
            image::imageops::rotate180(img)
        }),
        ("speckle (0.3 % of pixels)", |img, _| {
            let mut out = img.clone();
            let (w, h) = out.dimensions();
            for i in 0..(u64::from(w) * u64::from(h) / 300) {
                let (x, y) = (
                    (i * 7919 % u64::from(w)) as u32,
                    (i * 104_729 / 7 % u64::from(h)) as u32,
                );
                out.put_pixel(x, y, image::Luma([0]));
            }
            out
        }),
    ];
    println!(
        "{} born-digital pages rasterised at 300 dpi, each defect alone:",
        pages.len()
    );
    for (name, defect) in defects {
        let mut t = Tally::default();
        for (img, meta) in &pages {
            let mut meta = meta.clone();
            let img = defect(img, &mut meta);
            let page = &reader
                .read_bytes(
                    &mailroom_samples::encode::png(&img),
                    mailroom_ocr::FileKind::Png,
                )
                .unwrap()[0];
            let (chars, errors) = page_errors(page, &meta);
            t.add(chars, errors, page.elapsed_ms);
        }
        println!("{}", t.line(name));
    }
}

/// The page turned by `deg` as the generator's scanner turns it (about the centre), with the
/// line boxes of `meta` (in its own units) moved the same way.
fn skew(img: &GrayImage, meta: &mut Value, deg: f64) -> GrayImage {
    let (s, c) = deg.to_radians().sin_cos();
    let (w, h) = img.dimensions();
    let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
    let out = GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (f64::from(x) - cx, f64::from(y) - cy);
        let (sx, sy) = (cx + dx * c - dy * s, cy + dx * s + dy * c);
        if sx < 0.0 || sy < 0.0 || sx >= f64::from(w - 1) || sy >= f64::from(h - 1) {
            return image::Luma([255]);
        }
        img.get_pixel(sx.round() as u32, sy.round() as u32)
            .to_owned()
    });
    let (mw, mh) = (
        meta["width"].as_f64().unwrap(),
        meta["height"].as_f64().unwrap(),
    );
    let (mx, my) = (mw / 2.0, mh / 2.0);
    let place = |x: f64, y: f64| {
        (
            mx + (x - mx) * c + (y - my) * s,
            my - (x - mx) * s + (y - my) * c,
        )
    };
    for l in meta["lines"].as_array_mut().unwrap() {
        let b: Vec<f64> = l["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let pts = [
            place(b[0], b[1]),
            place(b[2], b[1]),
            place(b[0], b[3]),
            place(b[2], b[3]),
        ];
        let xs = pts.map(|p| p.0);
        let ys = pts.map(|p| p.1);
        let min = |v: [f64; 4]| v.into_iter().fold(f64::MAX, f64::min);
        let max = |v: [f64; 4]| v.into_iter().fold(f64::MIN, f64::max);
        l["bbox"] = serde_json::json!([min(xs), min(ys), max(xs), max(ys)]);
    }
    meta["skew_deg"] = deg.into();
    out
}
