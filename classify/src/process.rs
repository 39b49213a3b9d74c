//! `mailroom process DIR --out results.jsonl`: every envelope of a folder, one RESULTS.md
//! line each, embedded (no broker, no server).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mailroom_domain::{Class, EnvelopeResult, Status};
use serde::Serialize;
use time::Date;

use crate::cache::{PageSource, envelope_name};
use crate::error::ClassifyError;
use crate::model::Model;
use crate::qualify::Qualifier;

/// How to process a folder.
#[derive(Debug, Clone, Default)]
pub struct ProcessOptions {
    /// The OCR stage's configuration (slots, limits, settings).
    pub ocr: mailroom_ocr::Config,
    /// Keep read pages here, and reuse them (see [`crate::cache`]).
    pub ocr_cache: Option<PathBuf>,
    /// A model file to use instead of the one compiled in.
    pub model: Option<PathBuf>,
}

/// What the progress callback is told, after each envelope.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// Envelopes finished so far (written or not yet, in any order).
    pub done: usize,
    /// Envelopes in the folder.
    pub total: usize,
    /// The envelope just finished.
    pub envelope: &'a str,
    /// Its pages.
    pub pages: u32,
    /// Whether it was rejected.
    pub rejected: bool,
}

/// The summary printed at the end of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub envelopes: usize,
    pub rejected: usize,
    pub pages: u64,
    pub blank_pages: u64,
    /// Documents per class (wire names).
    pub documents: BTreeMap<String, usize>,
    pub elapsed_s: f64,
    pub envelopes_per_hour: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} envelopes ({} rejected), {} pages ({} blank or separators)",
            self.envelopes, self.rejected, self.pages, self.blank_pages
        )?;
        let docs: usize = self.documents.values().sum();
        let per: Vec<String> = Class::ALL
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    c.as_str(),
                    self.documents.get(c.as_str()).unwrap_or(&0)
                )
            })
            .collect();
        writeln!(f, "{docs} documents: {}", per.join(", "))?;
        write!(
            f,
            "{:.1} s, {:.0} envelopes per hour",
            self.elapsed_s, self.envelopes_per_hour
        )
    }
}

/// The envelopes of a folder laid out like SAMPLES.md's `envelopes/`: sub-folders, and
/// single PDF or TIFF files, by name.
///
/// # Errors
/// [`ClassifyError::Io`] when the folder cannot be listed.
pub fn list_envelopes(dir: &Path) -> Result<Vec<PathBuf>, ClassifyError> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ClassifyError::io(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') {
                return false;
            }
            p.is_dir() || mailroom_ocr::FileKind::from_path(p).is_some()
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The reception day in an envelope folder's `envelope.json`, when there is one.
pub fn received_at(path: &Path) -> Option<Date> {
    let s = std::fs::read_to_string(path.join("envelope.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&s).ok()?;
    let t = v.get("received_at")?.as_str()?;
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|d| d.date())
}

/// Qualifies one envelope from its path: reads it (through `source`) and returns its line.
///
/// # Errors
/// [`ClassifyError::Ocr`] when the OCR stage cannot start; an envelope that cannot be read
/// is a `rejected` line, not an error.
pub fn qualify_path(
    q: &Qualifier,
    source: &PageSource,
    path: &Path,
) -> Result<EnvelopeResult, ClassifyError> {
    let name = envelope_name(path);
    Ok(match source.read(path)? {
        Ok(pages) => q.qualify_pages(&name, &pages, received_at(path)),
        Err(e) => EnvelopeResult::rejected(name, e.to_string(), 0),
    })
}

/// Processes every envelope of `dir`, writing one RESULTS.md line per envelope to `out` in
/// the folder's order, and calls `progress` after each envelope. Envelopes are read
/// concurrently, as many as the OCR stage has slots.
///
/// # Errors
/// [`ClassifyError::Io`] when the folder cannot be listed or `out` cannot be written,
/// [`ClassifyError::Ocr`] when the OCR stage cannot start, [`ClassifyError::Model`] when
/// the model file given cannot be used.
pub fn process(
    dir: &Path,
    out: &mut (dyn Write + Send),
    opts: &ProcessOptions,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<Summary, ClassifyError> {
    let start = Instant::now();
    let model = match &opts.model {
        Some(p) => Model::load(p)?,
        None => Model::embedded()?,
    };
    let q = Qualifier::new(model);
    let envelopes = list_envelopes(dir)?;
    let source = PageSource::new(opts.ocr.clone(), opts.ocr_cache.clone());
    let total = envelopes.len();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    // Results wait here until every earlier envelope is written, so lines keep the order.
    struct Sink<'a> {
        out: &'a mut (dyn Write + Send),
        pending: BTreeMap<usize, EnvelopeResult>,
        next_to_write: usize,
        summary: Summary,
        error: Option<ClassifyError>,
    }
    let sink = Mutex::new(Sink {
        out,
        pending: BTreeMap::new(),
        next_to_write: 0,
        summary: Summary::default(),
        error: None,
    });
    let threads = source.slots().min(total.max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        break;
                    }
                    let r = qualify_path(&q, &source, &envelopes[i]);
                    let mut g = match sink.lock() {
                        Ok(g) => g,
                        Err(p) => p.into_inner(),
                    };
                    let r = match r {
                        Ok(r) => r,
                        Err(e) => {
                            g.error.get_or_insert(e);
                            next.store(total, Ordering::SeqCst);
                            break;
                        }
                    };
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    progress(Progress {
                        done: n,
                        total,
                        envelope: &r.envelope,
                        pages: r.pages,
                        rejected: r.status == Status::Rejected,
                    });
                    g.pending.insert(i, r);
                    let sink = &mut *g;
                    while let Some(r) = sink.pending.remove(&sink.next_to_write) {
                        sink.next_to_write += 1;
                        count(&mut sink.summary, &r);
                        let line = serde_json::to_string(&r).unwrap_or_default();
                        if let Err(e) = writeln!(sink.out, "{line}") {
                            sink.error
                                .get_or_insert(ClassifyError::io(Path::new("results"), e));
                            next.store(total, Ordering::SeqCst);
                        }
                    }
                }
            });
        }
    });
    let sink = sink.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = sink.error {
        return Err(e);
    }
    sink.out
        .flush()
        .map_err(|e| ClassifyError::io(Path::new("results"), e))?;
    let mut summary = sink.summary;
    let elapsed = start.elapsed().max(Duration::from_millis(1));
    summary.elapsed_s = elapsed.as_secs_f64();
    summary.envelopes_per_hour = summary.envelopes as f64 * 3600.0 / elapsed.as_secs_f64();
    Ok(summary)
}

fn count(s: &mut Summary, r: &EnvelopeResult) {
    s.envelopes += 1;
    s.pages += u64::from(r.pages);
    s.blank_pages += r.blank_pages.len() as u64;
    if r.status == Status::Rejected {
        s.rejected += 1;
    }
    for d in &r.documents {
        *s.documents.entry(d.class.as_str().to_string()).or_default() += 1;
    }
}
