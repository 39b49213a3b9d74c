//! Generator of realistic French mutuelle mail: scanned envelopes with their ground truth.
//!
//! Everything else in mailroom is built and measured on these sample sets, so they follow
//! `shared/contracts/SAMPLES.md` exactly and their truth follows `shared/domain/FIELDS.md`.
//!
//! How a set is made:
//! 1. [`envelope`] plans each envelope from its own seeded random source: a member, realistic
//!    combinations of documents, blank backs and separator sheets.
//! 2. [`layouts`] draw each document on the page model of [`doc`], recording every printed field.
//! 3. [`raster`] prints each page at 200–300 dpi; [`scanner`] adds what a scanner does to paper
//!    (skew, upside-down sheets, speckle, blur, JPEG artefacts, bitonal thresholding).
//! 4. [`encode`] writes the files: CCITT G4 TIFF, multi-page TIFF, JPEG, PNG, image-only PDF, and
//!    born-digital PDF with a real text layer.
//!
//! Generation is deterministic for a seed: envelope *i* of seed *s* depends on (s, i) only, so
//! envelopes are generated in parallel and a set can be extended without changing its start.

/// Seed and size of the committed demo set `samples/demo/`.
pub const DEMO_SEED: u64 = 20_251_121;
pub const DEMO_COUNT: u64 = 60;

pub mod check;
pub mod doc;
pub mod fonts;
pub mod layouts;
pub mod raster;
pub mod values;

use std::path::{Path, PathBuf};

/// Renders every page of `doc` as PNG files `<dir>/<name>-<n>.png` at `dpi`, clean (no scanner
/// effects): for looking at a layout while writing it.
///
/// # Errors
/// When the fonts are missing or a file cannot be written.
pub fn preview(doc: &doc::Doc, dir: &Path, name: &str, dpi: u32) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut out = Vec::new();
    for (i, page) in doc.pages.iter().enumerate() {
        let img = raster::render(page, dpi).map_err(anyhow::Error::msg)?;
        let p = dir.join(format!("{name}-{}.png", i + 1));
        img.save(&p)?;
        out.push(p);
    }
    Ok(out)
}

pub mod encode;
pub mod envelope;
pub mod scanner;

use anyhow::Context as _;
use rayon::prelude::*;

/// What a generation run made.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Summary {
    pub envelopes: usize,
    pub pages: usize,
    pub documents: usize,
    pub bytes: u64,
}

/// Writes a sample set of `count` envelopes made with `seed` under `out`, in the layout of
/// SAMPLES.md (`envelopes/`, `truth/`) plus `meta/` (per-page scan facts, printed text and field
/// boxes, which the pipeline never reads). `progress` is called after each envelope.
///
/// # Errors
/// When the fonts are missing or the files cannot be written.
pub fn generate(
    out: &Path,
    count: u64,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<Summary> {
    fonts::FontSet::get().map_err(anyhow::Error::msg)?;
    let env_dir = out.join("envelopes");
    let truth_dir = out.join("truth");
    let meta_dir = out.join("meta");
    for d in [&env_dir, &truth_dir, &meta_dir] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let done = std::sync::atomic::AtomicU64::new(0);
    let parts: Vec<Summary> = (0..count)
        .into_par_iter()
        .map(|i| -> anyhow::Result<Summary> {
            let plan = envelope::plan(seed, i);
            let meta = envelope::write(&plan, &env_dir)?;
            write_json(&truth_dir.join(format!("{}.json", plan.id)), &plan.truth)?;
            write_json(&meta_dir.join(format!("{}.json", plan.id)), &meta)?;
            let bytes = plan
                .files
                .iter()
                .map(|f| {
                    let p = if plan.single_file {
                        env_dir.join(&f.name)
                    } else {
                        env_dir.join(&plan.id).join(&f.name)
                    };
                    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
                })
                .sum();
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            Ok(Summary {
                envelopes: 1,
                pages: plan.pages.len(),
                documents: plan.docs.len(),
                bytes,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let summary = parts.into_iter().fold(Summary::default(), |a, b| Summary {
        envelopes: a.envelopes + b.envelopes,
        pages: a.pages + b.pages,
        documents: a.documents + b.documents,
        bytes: a.bytes + b.bytes,
    });
    write_json(
        &meta_dir.join("set.json"),
        &serde_json::json!({ "seed": seed, "count": count, "generator": env!("CARGO_PKG_VERSION") }),
    )?;
    Ok(summary)
}

/// The truth of envelope `index` of the set made with `seed`, without drawing any pixel.
pub fn truth(seed: u64, index: u64) -> mailroom_domain::truth::Truth {
    envelope::plan(seed, index).truth
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
