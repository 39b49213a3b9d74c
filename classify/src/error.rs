//! The one error type of the crate.

use std::path::{Path, PathBuf};

/// Why qualifying, evaluating or training could not go on.
///
/// An envelope that cannot be *read* is not an error here: it becomes a `rejected` line of
/// the results, as RESULTS.md requires. These are the failures of the run itself.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The OCR stage could not start (worker program or language models missing).
    #[error("the OCR stage could not start: {0}")]
    Ocr(String),
    /// A model file is missing, of another version, or inconsistent.
    #[error("classifier model: {0}")]
    Model(String),
    /// Training could not produce a model.
    #[error("training: {0}")]
    Train(String),
    /// A results or truth file does not follow its contract.
    #[error("{}: line {line}: {message}", path.display())]
    Format {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl ClassifyError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ClassifyError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Whether trying again later could help (a disk or machine fault, not the data's).
    pub fn retryable(&self) -> bool {
        matches!(self, ClassifyError::Io { .. } | ClassifyError::Ocr(_))
    }
}
