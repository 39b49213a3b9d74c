//! The one error type of intake.

use std::path::PathBuf;

/// Why an envelope was not taken in.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The envelope breaks an intake rule; the sentence is for the operator, and retrying the
    /// same envelope will not help.
    #[error("{0}")]
    Refused(String),
    /// A file could not be read (retry may help).
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The store failed (retry may help).
    #[error(transparent)]
    Store(#[from] mailroom_store::StoreError),
    /// The folder watcher or the upload server could not start.
    #[error("{0}")]
    Start(String),
}

impl IngestError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IngestError::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether trying the same envelope again later could succeed.
    pub fn retryable(&self) -> bool {
        match self {
            IngestError::Refused(_) => false,
            IngestError::Io { .. } | IngestError::Start(_) => true,
            IngestError::Store(e) => e.retryable(),
        }
    }
}
