//! The error type of the pipeline side of the workers.

/// Why processing could not go on. An envelope that cannot be *read* is not an error: it is
/// rejected in the store. These are the failures of the machinery.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] mailroom_store::StoreError),
    /// The OCR stage could not start (worker program or models missing).
    #[error("the OCR stage could not start: {0}")]
    Ocr(#[from] mailroom_ocr::OcrError),
    /// The classifier could not be loaded.
    #[error(transparent)]
    Classify(#[from] mailroom_classify::ClassifyError),
    /// Intake (hot folder, upload server) failed.
    #[error(transparent)]
    Ingest(#[from] mailroom_ingest::IngestError),
    /// The broker configuration is unusable (an invalid `AMQP_URL`); outages are waited out.
    #[error(transparent)]
    Broker(#[from] crate::broker::BrokerError),
    /// A file or socket failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl WorkerError {
    /// Whether trying again later could help.
    pub fn retryable(&self) -> bool {
        match self {
            WorkerError::Store(e) => e.retryable(),
            WorkerError::Ocr(e) => e.retryable(),
            WorkerError::Classify(e) => e.retryable(),
            WorkerError::Broker(e) => e.is_transient(),
            WorkerError::Ingest(_) | WorkerError::Io { .. } => true,
        }
    }
}
