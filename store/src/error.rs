//! The one error type of the store.

use mailroom_domain::EnvelopeId;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL or the place of the store is not usable.
    #[error("store configuration: {0}")]
    Config(String),
    /// The database failed or could not be reached (retry may help).
    #[error("database: {0}")]
    Database(#[source] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("store schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// No envelope has this id.
    #[error("no envelope {0}")]
    NotFound(EnvelopeId),
    /// The caller asked for something the store refuses (a scanner name taken, routes that
    /// do not match the documents).
    #[error("{0}")]
    Invalid(String),
    /// Stored data does not read back (a bug or a hand-edited database).
    #[error("stored data: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether trying again later could help: the database's faults, not the request's.
    pub fn retryable(&self) -> bool {
        matches!(self, StoreError::Database(_))
    }
}
