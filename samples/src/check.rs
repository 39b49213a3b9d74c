//! Checking a sample set against the contract: every truth file well formed and valid per
//! FIELDS.md, every page file decodable, and page counts agreeing between files and truth.
//!
//! It reads any set in the SAMPLES.md layout, not only generated ones. Images are decoded with
//! the `tiff` and `image` crates (every page of a multi-page TIFF, G4 included); PDFs with
//! poppler's `pdfinfo` and `pdftoppm`, an independent decoder.

use anyhow::Context as _;
use mailroom_domain::truth::Truth;
use mailroom_domain::validate::check_document;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What a check found.
#[derive(Debug, Default, serde::Serialize)]
pub struct SetReport {
    pub envelopes: usize,
    pub pages: usize,
    pub blank_pages: usize,
    pub documents_per_class: BTreeMap<String, usize>,
    pub files_per_type: BTreeMap<String, usize>,
    pub bytes: u64,
    /// Each problem names the envelope; empty when the set is sound.
    pub problems: Vec<String>,
}

/// The files of an envelope, in page order: the folder's files by name, or the file itself.
pub fn envelope_files(entry: &Path) -> std::io::Result<Vec<PathBuf>> {
    if entry.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(entry)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "envelope.json"))
            .collect();
        files.sort();
        Ok(files)
    } else {
        Ok(vec![entry.to_path_buf()])
    }
}

/// The envelope id of a folder or file entry: its name without extension.
pub fn envelope_id(entry: &Path) -> String {
    let name = entry
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if entry.is_dir() {
        name
    } else {
        name.rsplit_once('.')
            .map_or(name.clone(), |(stem, _)| stem.to_string())
    }
}

/// Decodes every page of `file`; returns the page count.
///
/// # Errors
/// When the file does not decode, with the reason.
pub fn decode_pages(file: &Path) -> anyhow::Result<usize> {
    let ext = file
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "tif" | "tiff" => {
            let f = std::io::BufReader::new(std::fs::File::open(file)?);
            let mut dec = tiff::decoder::Decoder::new(f).context("not a TIFF")?;
            let mut n = 0;
            loop {
                dec.read_image()
                    .with_context(|| format!("TIFF page {} does not decode", n + 1))?;
                n += 1;
                if !dec.more_images() {
                    break;
                }
                dec.next_image()?;
            }
            Ok(n)
        }
        "jpg" | "jpeg" | "png" => {
            image::open(file).with_context(|| format!("{} does not decode", file.display()))?;
            Ok(1)
        }
        "pdf" => {
            let info = Command::new("pdfinfo")
                .arg(file)
                .output()
                .context("pdfinfo (poppler-utils) is missing: run scripts/setup")?;
            anyhow::ensure!(
                info.status.success(),
                "pdfinfo refuses it: {}",
                String::from_utf8_lossy(&info.stderr).trim()
            );
            let text = String::from_utf8_lossy(&info.stdout);
            let pages: usize = text
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Pages:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .context("pdfinfo gives no page count")?;
            let tmp = tempfile_dir()?;
            let out = Command::new("pdftoppm")
                .args(["-r", "20", "-gray"])
                .arg(file)
                .arg(tmp.join("p"))
                .output()?;
            let errors = String::from_utf8_lossy(&out.stderr);
            let _ = std::fs::remove_dir_all(&tmp);
            anyhow::ensure!(
                out.status.success() && !errors.contains("Error"),
                "pdftoppm cannot draw it: {}",
                errors.trim()
            );
            Ok(pages)
        }
        other => anyhow::bail!("unexpected file type .{other}"),
    }
}

fn tempfile_dir() -> std::io::Result<PathBuf> {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let d = std::env::temp_dir().join(format!(
        "mailroom-check-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

/// The reception day written in `envelope.json`, when there is one.
fn received_of(entry: &Path) -> Option<time::Date> {
    let raw = std::fs::read(entry.join("envelope.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&raw).ok()?;
    let s = v.get("received_at")?.as_str()?;
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.date())
}

/// Checks the set at `dir`.
///
/// # Errors
/// When the set's folders cannot be read; problems with envelopes are listed in the report.
pub fn check_set(dir: &Path) -> anyhow::Result<SetReport> {
    let env_dir = dir.join("envelopes");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&env_dir)
        .with_context(|| format!("{} has no envelopes/ folder", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let reports: Vec<SetReport> = {
        use rayon::prelude::*;
        entries.par_iter().map(|e| check_envelope(dir, e)).collect()
    };
    let mut total = SetReport::default();
    for r in reports {
        total.envelopes += r.envelopes;
        total.pages += r.pages;
        total.blank_pages += r.blank_pages;
        total.bytes += r.bytes;
        for (k, v) in r.documents_per_class {
            *total.documents_per_class.entry(k).or_default() += v;
        }
        for (k, v) in r.files_per_type {
            *total.files_per_type.entry(k).or_default() += v;
        }
        total.problems.extend(r.problems);
    }
    Ok(total)
}

fn check_envelope(dir: &Path, entry: &Path) -> SetReport {
    let mut r = SetReport {
        envelopes: 1,
        ..SetReport::default()
    };
    let id = envelope_id(entry);
    let mut problem = |m: String| r.problems.push(format!("{id}: {m}"));
    let truth_path = dir.join("truth").join(format!("{id}.json"));
    let truth: Truth = match std::fs::read(&truth_path)
        .map_err(anyhow::Error::from)
        .and_then(|b| Ok(serde_json::from_slice(&b)?))
    {
        Ok(t) => t,
        Err(e) => {
            problem(format!("truth unreadable: {e}"));
            return r;
        }
    };
    if truth.envelope != id {
        problem(format!("truth names envelope {:?}", truth.envelope));
    }
    let mut pages = 0;
    let mut files_per_type = BTreeMap::new();
    let mut bytes = 0;
    match envelope_files(entry) {
        Ok(files) if files.is_empty() => problem("no page file".into()),
        Ok(files) => {
            for f in files {
                let ext = f
                    .extension()
                    .map(|e| e.to_string_lossy().to_lowercase())
                    .unwrap_or_default();
                *files_per_type.entry(ext).or_insert(0) += 1;
                bytes += std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
                match decode_pages(&f) {
                    Ok(n) => pages += n,
                    Err(e) => problem(format!("{}: {e:#}", f.display())),
                }
            }
        }
        Err(e) => problem(format!("unreadable: {e}")),
    }
    // Every page in exactly one document or blank; pages of a document ascending.
    let mut seen = vec![0u32; pages];
    for n in truth
        .documents
        .iter()
        .flat_map(|d| d.pages.iter())
        .chain(truth.blank_pages.iter())
    {
        match (*n as usize).checked_sub(1).and_then(|i| seen.get_mut(i)) {
            Some(s) => *s += 1,
            None => problem(format!("truth names page {n}, the files hold {pages}")),
        }
    }
    for (i, s) in seen.iter().enumerate() {
        if *s != 1 {
            problem(format!("page {} is in {s} places in the truth", i + 1));
        }
    }
    let received = if entry.is_dir() {
        received_of(entry)
    } else {
        None
    };
    let mut per_class = BTreeMap::new();
    for (i, d) in truth.documents.iter().enumerate() {
        *per_class.entry(d.class.as_str().to_string()).or_insert(0) += 1;
        if d.pages.is_empty() || !d.pages.windows(2).all(|w| w[0] < w[1]) {
            problem(format!("document {} has pages {:?}", i + 1, d.pages));
        }
        for p in check_document(d.class, &d.fields, received) {
            problem(format!("document {} ({}): {p}", i + 1, d.class.as_str()));
        }
    }
    r.pages = pages;
    r.blank_pages = truth.blank_pages.len();
    r.documents_per_class = per_class;
    r.files_per_type = files_per_type;
    r.bytes = bytes;
    r
}
