//! The one error type of the stage.

use std::time::Duration;

/// Why an envelope (or a page of it) could not be read.
///
/// `Display` is one sentence an operator understands, starting with the page it concerns
/// ("page 2: image is 60000x60000 pixels, over the 40 megapixel limit"); RESULTS.md puts it in
/// the `error` of a rejected envelope. Pages are numbered as in SAMPLES.md, 1-based over the
/// envelope; an error about a whole file names the file's first page.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    /// The file is not one of the formats the stage reads (TIFF, JPEG, PNG, PDF).
    #[error("page {page}: {reason}")]
    Unsupported {
        page: u32,
        file: String,
        reason: String,
    },
    /// The file is of a format we read, but broken: truncated, corrupt, inconsistent.
    #[error("page {page}: {reason}")]
    Damaged {
        page: u32,
        file: String,
        reason: String,
    },
    /// Over a configured limit (file size, pixels, pages, PDF nesting or decompressed size).
    #[error("page {page}: {reason}")]
    OverLimit {
        page: u32,
        file: String,
        reason: String,
    },
    /// Reading the page took longer than the page deadline; its worker was killed.
    #[error("page {page}: reading this page took more than {} s; it was stopped", limit.as_secs())]
    Timeout {
        page: u32,
        file: String,
        limit: Duration,
    },
    /// The worker reading the page died (segmentation fault, abort, stack overflow, memory
    /// limit); it was replaced.
    #[error("page {page}: reading this page crashed the reader ({cause}); it was restarted")]
    Crashed {
        page: u32,
        file: String,
        cause: String,
    },
    /// The file could not be read from disk.
    #[error("page {page}: the file {file} could not be read ({source})")]
    Io {
        page: u32,
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The OCR machinery itself failed (worker program missing, models missing, worker would not
    /// start): not the page's fault.
    #[error("page {page}: {reason}")]
    Engine { page: u32, reason: String },
}

impl OcrError {
    /// The page the error is about (1-based over the envelope).
    pub fn page(&self) -> u32 {
        match self {
            OcrError::Unsupported { page, .. }
            | OcrError::Damaged { page, .. }
            | OcrError::OverLimit { page, .. }
            | OcrError::Timeout { page, .. }
            | OcrError::Crashed { page, .. }
            | OcrError::Io { page, .. }
            | OcrError::Engine { page, .. } => *page,
        }
    }

    /// The file of the envelope the page is in ("" when not known).
    pub fn file(&self) -> &str {
        match self {
            OcrError::Unsupported { file, .. }
            | OcrError::Damaged { file, .. }
            | OcrError::OverLimit { file, .. }
            | OcrError::Timeout { file, .. }
            | OcrError::Crashed { file, .. }
            | OcrError::Io { file, .. } => file,
            OcrError::Engine { .. } => "",
        }
    }

    /// Whether trying the same envelope again later could succeed.
    ///
    /// The page's own faults (format, damage, limits, a crash or a timeout it caused) repeat on
    /// every try: the envelope goes to a person. Disk and engine failures are the machine's:
    /// retry.
    pub fn retryable(&self) -> bool {
        matches!(self, OcrError::Io { .. } | OcrError::Engine { .. })
    }

    /// A short label for metrics and logs: `unsupported`, `damaged`, `over_limit`, `timeout`,
    /// `crashed`, `io`, `engine`.
    pub fn kind(&self) -> &'static str {
        match self {
            OcrError::Unsupported { .. } => "unsupported",
            OcrError::Damaged { .. } => "damaged",
            OcrError::OverLimit { .. } => "over_limit",
            OcrError::Timeout { .. } => "timeout",
            OcrError::Crashed { .. } => "crashed",
            OcrError::Io { .. } => "io",
            OcrError::Engine { .. } => "engine",
        }
    }
}
