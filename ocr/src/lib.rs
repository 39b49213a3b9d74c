//! # mailroom-ocr: reading every page of an envelope
//!
//! Decoders, page clean-up and OCR, isolated from hostile input. A [`Reader`] takes an
//! envelope (SAMPLES.md: a folder of page files in name order, or one PDF/TIFF file) and gives
//! one [`PageText`] per page: text, words with boxes and confidences, rotation applied, blank or
//! not, where the text came from and how long it took.
//!
//! ```no_run
//! let reader = mailroom_ocr::Reader::new(mailroom_ocr::Config::default())?;
//! for page in reader.read_envelope(std::path::Path::new("envelopes/env-000001"))? {
//!     println!("page {}: {} words", page.page, page.words.len());
//! }
//! # Ok::<(), mailroom_ocr::OcrError>(())
//! ```
//!
//! ## Isolation: a supervised pool of worker processes
//!
//! Tesseract and Leptonica are C++/C, poppler is C++, and our own decoders parse bytes chosen
//! by whoever posted the letter. They can segfault, abort on a failed assertion, overflow the
//! stack, allocate without bound or loop. A panic guard catches none of the first four, and
//! a thread cannot be stopped from outside. So every byte of a page file is parsed in a
//! worker **process** ([`worker`]), `slots` of them, each holding one Tesseract engine created
//! once and reused:
//!
//! - each request (probe a file, read a page) has a deadline; a worker that misses it is killed
//!   with its process group (a `pdftoppm` it started goes too), and the page fails with
//!   [`OcrError::Timeout`];
//! - a worker that dies (signal, abort, stack overflow, out of memory) fails only the page it
//!   held ([`OcrError::Crashed`], with the cause read from its exit status and stderr); the slot
//!   starts a new worker for the next request;
//! - a worker limits its own address space (`RLIMIT_AS`, [`Limits::worker_memory_bytes`]), dies
//!   with its parent (`PR_SET_PDEATHSIG`), and runs with `OMP_THREAD_LIMIT=1`, which the parent
//!   puts in its environment: libgomp reads it when libtesseract loads, so a process cannot set
//!   it for itself (the worker re-executes itself if started without it).
//!
//! The price is one pipe round trip and a copy of the file per page (under 1 ms for a scanned
//! page against ~1 s of recognition) and 25 MB of models per slot. Threads with
//! `catch_unwind` would cost nothing but leave the caller's process as exposed as the engine;
//! `fork` per page would pay the engine's 100–300 ms start-up on every page.
//!
//! The worker program is `mailroom-ocr-worker` (this crate's bin target), found next to the
//! running executable or one folder up, or named by `$MAILROOM_OCR_WORKER`; a host binary that
//! calls [`run_if_worker`] first thing in `main` serves as its own worker instead.
//!
//! ## Errors: one bad page rejects the envelope
//!
//! [`Reader::read_envelope`] is all or nothing: the first page that cannot be read fails the
//! envelope with an [`OcrError`] whose sentence names the page and the reason, which RESULTS.md
//! reports as `status: rejected`. Dropping a page would lose a document and could misfile the
//! pages around it in the split; a person looks at the envelope instead.
//! [`OcrError::retryable`] tells a machine fault (retry later) from the page's own.

mod clean;
pub mod cli;
mod decode;
mod engine;
mod error;
mod locate;
mod marks;
mod page;
mod pdf;
mod pool;
mod protocol;
mod reader;
pub mod worker;

pub use cli::ocr_command;
pub use error::OcrError;
pub use locate::{WORKER_BIN, WORKER_PATH_ENV};
pub use page::{BBox, Mark, PageText, Source, TEXT_LAYER_DPI, Timings, Word};
pub use protocol::Misbehaviour;
pub use reader::Reader;
pub use worker::run_if_worker;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The formats the stage reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileKind {
    Tiff,
    Jpeg,
    Png,
    Pdf,
}

impl FileKind {
    /// The kind a file name claims by its extension.
    pub fn from_path(path: &Path) -> Option<FileKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "tif" | "tiff" => Some(FileKind::Tiff),
            "jpg" | "jpeg" | "jpe" => Some(FileKind::Jpeg),
            "png" => Some(FileKind::Png),
            "pdf" => Some(FileKind::Pdf),
            _ => None,
        }
    }
}

/// Bounds on what a file may cost. Each is checked before the cost is paid, with an error an
/// operator understands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Limits {
    /// Largest page file.
    pub max_file_bytes: u64,
    /// Largest envelope, all files together.
    pub max_envelope_bytes: u64,
    /// Largest page image, read from the header before decoding (A4 at 600 dpi is 35 MP).
    pub max_pixels: u64,
    /// Smallest width or height of a page image (a 1x1 image is no page).
    pub min_side: u32,
    /// Most pages in one envelope (and in one file).
    pub max_pages: u32,
    /// Most bytes one PDF stream may decompress to.
    pub max_pdf_stream_bytes: u64,
    /// Deepest nesting of PDF arrays and dictionaries.
    pub max_pdf_depth: u32,
    /// Longest a page (or the probe of a file) may take before its worker is killed.
    pub page_timeout: Duration,
    /// Address space of a worker process (`RLIMIT_AS`); 0 for none.
    pub worker_memory_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 100_000_000,
            max_envelope_bytes: 500_000_000,
            max_pixels: 40_000_000,
            min_side: 32,
            max_pages: 200,
            max_pdf_stream_bytes: 200_000_000,
            max_pdf_depth: 64,
            page_timeout: Duration::from_secs(60),
            worker_memory_bytes: 2 << 30,
        }
    }
}

/// How pages are turned upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Orientation {
    /// Read pages as they come.
    Off,
    /// Tesseract's orientation detection (OSD) before every page.
    Osd,
    /// Upright or upside down from the letters' shape (ascenders outnumber descenders, a few
    /// milliseconds); sideways text Tesseract's layout analysis finds by itself. When the reading
    /// is unsure, OSD decides and the page is read again turned.
    OsdWhenUnsure,
}

/// What a second reading, in the fallback languages, covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FallbackScope {
    /// The whole page again; the better page is kept.
    Page,
    /// Only the page's unsure lines, each cut out and read as a single line; for each line the
    /// better reading is kept. Most lines of an unsure page read well the first time, so this
    /// costs a fraction of a second page.
    Lines,
}

/// How pages are read. The defaults are the measured best (crate docs, README).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Tesseract languages of the first reading.
    pub languages: String,
    /// Languages of a second reading, for pages whose first reading is unsure (mean word
    /// confidence under `fallback_below`); the better of the two is kept. Empty for none.
    /// French mail reads as well with French alone, with about 25 % less CPU than with French and
    /// English together; English helps only on the odd English page (README, measured).
    pub fallback_languages: String,
    pub fallback_below: f32,
    /// What the second reading covers: the whole page, or only its unsure lines.
    pub fallback_scope: FallbackScope,
    /// With [`FallbackScope::Lines`]: a line whose mean word confidence (weighted by letters) is
    /// under this is read again.
    pub line_fallback_below: f32,
    /// Tesseract page segmentation mode.
    pub psm: u32,
    pub orientation: Orientation,
    /// OSD's confidence needed to turn a page.
    pub osd_min_confidence: f32,
    /// OSD runs on a copy reduced by a whole factor to about this resolution.
    pub osd_dpi: u32,
    /// With [`Orientation::OsdWhenUnsure`]: mean word confidence (0..100) under which a result
    /// is unsure.
    pub unsure_below: f32,
    /// Read again, as blocks, the bands of a page where ink stands that no word covers (lines
    /// the page layout dropped, such as rows of dotted leaders).
    pub recover_missed: bool,
    /// Straighten pages whose lines are skewed by at least `deskew_min_deg`.
    pub deskew: bool,
    pub deskew_min_deg: f32,
    /// A page with less ink than this (cells of about 1 mm with ink, per 10 000) is blank and
    /// not read; 0 turns blank detection off.
    pub blank_ink_per_10k: u32,
    /// Pages scanned above this resolution are scaled down to `target_dpi`; 0 for never.
    pub downscale_above_dpi: u32,
    /// Pages scanned below this resolution are scaled up to `target_dpi`; 0 for never.
    pub upscale_below_dpi: u32,
    pub target_dpi: u32,
    /// Tesseract parameters set on the engine (name, value).
    pub variables: Vec<(String, String)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            languages: "fra".into(),
            fallback_languages: "fra+eng".into(),
            fallback_below: 85.0,
            fallback_scope: FallbackScope::Lines,
            line_fallback_below: 80.0,
            psm: 3,
            orientation: Orientation::OsdWhenUnsure,
            osd_min_confidence: 2.0,
            osd_dpi: 150,
            unsure_below: 60.0,
            recover_missed: true,
            deskew: true,
            deskew_min_deg: 0.5,
            blank_ink_per_10k: 5,
            downscale_above_dpi: 210,
            upscale_below_dpi: 0,
            target_dpi: 200,
            variables: Vec::new(),
        }
    }
}

/// Everything a [`Reader`] needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Worker processes, each with one engine; defaults to the number of cores.
    pub slots: usize,
    pub settings: Settings,
    pub limits: Limits,
    /// The worker program; `None` to search (see [`Reader::new`]).
    pub worker: Option<PathBuf>,
    #[doc(hidden)]
    /// Lets [`Reader::misbehave`] make workers crash, for tests of the supervisor.
    pub test_faults: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            slots: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            settings: Settings::default(),
            limits: Limits::default(),
            worker: None,
            test_faults: false,
        }
    }
}

/// Every page of a file as grey pixels with its resolution, decoded **in this process**: for
/// tools and benchmarks (the reference run of the plain `tesseract` command needs the page
/// images). Untrusted files belong in a [`Reader`], which decodes them in its workers.
///
/// # Errors
/// The reason, when the file cannot be decoded.
#[doc(hidden)]
pub fn decode_pages_in_process(
    bytes: &[u8],
    limits: &Limits,
) -> Result<Vec<(image::GrayImage, u32)>, String> {
    let kind = decode::sniff(bytes)
        .ok_or_else(|| format!("not an image or a PDF ({})", decode::describe(bytes)))?;
    let count = match kind {
        FileKind::Pdf => pdf::probe(bytes, limits),
        _ => decode::probe_image(bytes, kind, limits),
    }
    .map_err(|f| f.reason)?
    .len() as u32;
    (0..count)
        .map(|i| {
            let d = match kind {
                FileKind::Pdf => pdf::page_pixels(bytes, i, limits),
                _ => decode::decode_image(bytes, kind, i, limits),
            }
            .map_err(|f| f.reason)?;
            let dpi = d.dpi.unwrap_or(300);
            Ok((d.img, dpi))
        })
        .collect()
}

/// The ink measure blank detection uses (see [`Settings::blank_ink_per_10k`]), for tools that
/// calibrate it.
#[doc(hidden)]
pub fn ink_per_10k(img: &image::GrayImage, dpi: u32) -> u32 {
    clean::ink_per_10k(img, dpi)
}

/// The upside-down test of the orientation step, for tools that calibrate it.
#[doc(hidden)]
pub fn upside_down(img: &image::GrayImage, dpi: u32) -> Option<bool> {
    let skew = clean::estimate_skew(img, dpi, 5.0);
    let straight = if skew.abs() >= 0.5 {
        clean::deskew(img, skew)
    } else {
        img.clone()
    };
    clean::upside_down(&straight, dpi)
}
