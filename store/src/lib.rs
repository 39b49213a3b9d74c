//! # mailroom-store: the system of record
//!
//! Every envelope the mailroom takes in is accounted for here, whatever happens to the
//! processes around it: its files (the page images, bytes included), the pages as read, the
//! documents and fields found, where each document was routed, and the history of its status:
//!
//! ```text
//! received → reading → awaiting_validation → validated
//!                  ╰──→ rejected
//! ```
//!
//! (`duplicate` entries in the history record a second copy that was refused.)
//!
//! ## Backends
//!
//! A SQLite file by default ([`DEFAULT_SQLITE_PATH`]), PostgreSQL when the URL names one
//! (`postgres://…`, as `DATABASE_URL` does). Both go through sqlx's `Any` driver, so every
//! query is written once with `$n` placeholders (SQLite reads them too); only the schema
//! differs, in `migrations/sqlite` and `migrations/postgres`, applied by [`Store::open`]. Times
//! are Unix milliseconds and JSON is text, the types both engines share.
//!
//! ## Why the queue lives here
//!
//! The store is the only part that survives a crash, so the work queue is a column of it:
//! [`Store::claim_next`] leases an envelope to a worker for a while, and a lease that runs
//! out ([`Store::release_stale`]) gives the envelope back. [`Store::complete`] writes the
//! documents, fields, pages, route events and new status in one transaction, and only if the
//! envelope is still being read: a redelivered or taken-over envelope is never stored twice.
//!
//! ## Outboxes, for the broker
//!
//! Nothing is published in the same transaction as it is stored, because a broker outage
//! must not stop intake. Instead two outboxes hold what is still to be published, and a
//! publisher drains them at its pace: [`Store::unpublished`] / [`Store::mark_published`]
//! (new envelopes, to the work queue) and [`Store::pending_events`] /
//! [`Store::mark_events_sent`] (`route.<queue>` and `document.ready.<class>` events). Their
//! payloads hold ids, class and queue names only, never a page's content.

#![forbid(unsafe_code)]

pub mod desk;
mod error;
mod hash;
pub mod metrics;

pub use error::StoreError;
pub use hash::{content_hash, sha256_hex};

use std::collections::BTreeMap;
use std::str::FromStr as _;
use std::sync::Once;
use std::time::Duration;

use mailroom_domain::{Class, EnvelopeId, EnvelopeResult, FieldResult, ResultDocument, Status};
use mailroom_ocr::PageText;
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row as _};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Where the SQLite store is when no URL is given.
pub const DEFAULT_SQLITE_PATH: &str = "data/mailroom.db";

/// The statuses of an envelope, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvelopeStatus {
    /// Stored, waiting for a worker.
    Received,
    /// A worker holds it.
    Reading,
    /// Read and qualified; a clerk has to validate its documents.
    AwaitingValidation,
    /// A clerk validated it.
    Validated,
    /// It could not be read; `reason` says why.
    Rejected,
}

impl EnvelopeStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [EnvelopeStatus; 5] = [
        EnvelopeStatus::Received,
        EnvelopeStatus::Reading,
        EnvelopeStatus::AwaitingValidation,
        EnvelopeStatus::Validated,
        EnvelopeStatus::Rejected,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EnvelopeStatus::Received => "received",
            EnvelopeStatus::Reading => "reading",
            EnvelopeStatus::AwaitingValidation => "awaiting_validation",
            EnvelopeStatus::Validated => "validated",
            EnvelopeStatus::Rejected => "rejected",
        }
    }

    /// Whether nothing more is to be done by a worker.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            EnvelopeStatus::AwaitingValidation
                | EnvelopeStatus::Validated
                | EnvelopeStatus::Rejected
        )
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        EnvelopeStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown envelope status {s:?}")))
    }
}

impl std::fmt::Display for EnvelopeStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One file of an envelope: its name (never used as a path) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// An envelope as intake hands it over.
#[derive(Debug, Clone)]
pub struct NewEnvelope {
    /// The folder name, or the file name without extension (RESULTS.md `envelope`).
    pub name: String,
    /// Which door it came through: `hot_folder`, `cli`, `upload:<scanner>`.
    pub source: String,
    /// When the mailroom received it (from the scanner's `envelope.json` when it has one).
    pub received_at: OffsetDateTime,
    /// The page files in page order.
    pub files: Vec<EnvelopeFile>,
}

/// What [`Store::receive`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Stored as a new envelope.
    New(EnvelopeId),
    /// The same content is already stored under this id; nothing new was stored, and the
    /// original's history records the second copy.
    Duplicate(EnvelopeId),
}

impl Received {
    /// The envelope id, new or original.
    pub fn id(&self) -> &EnvelopeId {
        match self {
            Received::New(id) | Received::Duplicate(id) => id,
        }
    }
}

/// What [`Store::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller holds the envelope now; `attempts` counts this one.
    Claimed { attempts: u32 },
    /// The envelope is finished: a redelivered message must only be acknowledged.
    AlreadyDone(EnvelopeStatus),
    /// No such envelope.
    Unknown,
}

/// An envelope leased by [`Store::claim_next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: EnvelopeId,
    /// Tries so far, this one included.
    pub attempts: u32,
}

/// What [`Store::complete`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completed {
    /// Documents stored, status `awaiting_validation`.
    Stored,
    /// The envelope was not being read any more (finished by another worker, or rejected):
    /// nothing was written.
    AlreadyDone,
}

/// Where a document goes, decided by the routing table (mailroom-workers) and stored with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The service queue (`adhesions`, `prestations`, `reclamations`,
    /// `qualification_manuelle`).
    pub queue: String,
    /// For a complaint, when its acknowledgement is due.
    pub acknowledge_by: Option<time::Date>,
    /// For a complaint, when its answer is due.
    pub answer_by: Option<time::Date>,
}

/// One entry of an envelope's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// A status name, or `duplicate` / `retry`.
    pub status: String,
    /// Who or why: the worker, the reason, the source of a duplicate.
    pub detail: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// An event waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    /// `route.<queue>` or `document.ready.<class>`.
    pub routing_key: String,
    /// JSON with ids, class and queue names only.
    pub payload: String,
}

/// A summary of one envelope, for listings and the embedded queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeInfo {
    pub id: EnvelopeId,
    pub name: String,
    pub source: String,
    pub status: EnvelopeStatus,
    pub reason: Option<String>,
    pub attempts: u32,
    pub received_at: OffsetDateTime,
}

/// A stored page, as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPage {
    pub page: u32,
    /// `ocr`, `text_layer` or `blank`.
    pub source: String,
    pub text: String,
    /// The words with boxes and confidences, as JSON (`mailroom_ocr::Word`s).
    pub words: serde_json::Value,
    pub confidence: f64,
    pub rotation: u32,
}

/// The backend behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The store: cheap to clone (a pool of connections).
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn parse_id(s: String) -> Result<EnvelopeId, StoreError> {
    EnvelopeId::new(s).map_err(|e| StoreError::Corrupt(format!("envelope id: {e}")))
}

fn db(e: sqlx::Error) -> StoreError {
    StoreError::Database(e)
}

/// The id of an envelope with this content hash: stable, so that two doors racing with the
/// same envelope meet on the primary key.
fn id_for_hash(hash: &str) -> Result<EnvelopeId, StoreError> {
    EnvelopeId::new(format!("e-{}", &hash[..20.min(hash.len())]))
        .map_err(|e| StoreError::Corrupt(format!("envelope id: {e}")))
}

impl Store {
    /// Opens the store named by `url` and brings its schema up to date.
    ///
    /// `url` is `sqlite://PATH` (the file and its folder are created), `postgres://…`, or
    /// `None` for [`DEFAULT_SQLITE_PATH`]. A SQLite store is put in WAL mode, so that the
    /// `ingest` command can add envelopes while `mailroom run` works.
    ///
    /// # Errors
    /// [`StoreError::Config`] for a URL of another kind, [`StoreError::Database`] when the
    /// database cannot be reached, [`StoreError::Migrate`] when its schema cannot be brought
    /// up to date (for example a newer schema than this program knows).
    pub async fn open(url: Option<&str>) -> Result<Store, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let url = match url {
            Some(u) => u.to_string(),
            None => format!("sqlite://{DEFAULT_SQLITE_PATH}"),
        };
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Config(
                "the store URL must start with sqlite:// or postgres://".into(),
            ));
        };
        let url = match backend {
            Backend::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                if let Some(dir) = std::path::Path::new(path).parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Config(format!(
                            "cannot create the store's folder {}: {e}",
                            dir.display()
                        ))
                    })?;
                }
                if url.contains('?') {
                    url
                } else {
                    format!("{url}?mode=rwc")
                }
            }
            Backend::Postgres => url,
        };
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 8,
            })
            .acquire_timeout(Duration::from_secs(60));
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // Another process (ingest, a second worker) may hold the write lock for a
                    // while: wait rather than fail.
                    sqlx::query("PRAGMA busy_timeout = 30000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(&url).await.map_err(db)?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(db)?;
        }
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        // PostgreSQL serialises concurrent migrators with an advisory lock; SQLite has none, so
        // two processes opening a fresh file at once (two workers started together) race, and
        // the loser's transaction fails on a table the winner created. Each migration commits
        // with its record, so trying again sees it applied.
        let mut tries = 0;
        loop {
            match migrator.run(&pool).await {
                Ok(()) => break,
                Err(_) if backend == Backend::Sqlite && tries < 5 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100 * tries)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Store { pool, backend })
    }

    /// Which database is behind the store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for connections in use to come back.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Stores a new envelope with its files, or recognises a copy of one already stored (same
    /// [`content_hash`]): then nothing is stored, the original's history gets a `duplicate`
    /// entry, and its id is returned.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the database fails; nothing is stored then.
    pub async fn receive(&self, env: &NewEnvelope) -> Result<Received, StoreError> {
        let hash = content_hash(&env.files);
        let id = id_for_hash(&hash)?;
        let now = now_ms();
        let received_at = env
            .received_at
            .format(&Rfc3339)
            .map_err(|e| StoreError::Corrupt(format!("received_at: {e}")))?;
        let mut tx = self.pool.begin().await.map_err(db)?;
        let inserted = sqlx::query(
            "INSERT INTO envelopes (id, name, source, content_hash, received_at, stored_ms, status, updated_ms)
             VALUES ($1, $2, $3, $4, $5, $6, 'received', $6)
             ON CONFLICT DO NOTHING",
        )
        .bind(id.as_str())
        .bind(&env.name)
        .bind(&env.source)
        .bind(&hash)
        .bind(&received_at)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        if inserted == 0 {
            let original: String =
                sqlx::query_scalar("SELECT id FROM envelopes WHERE content_hash = $1")
                    .bind(&hash)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?;
            let original = parse_id(original)?;
            history(
                &mut tx,
                &original,
                "duplicate",
                &format!(
                    "same content received again from {} as {}",
                    env.source, env.name
                ),
                now,
            )
            .await?;
            tx.commit().await.map_err(db)?;
            tracing::info!(envelope = %original, "duplicate envelope refused");
            return Ok(Received::Duplicate(original));
        }
        for (i, f) in env.files.iter().enumerate() {
            sqlx::query(
                "INSERT INTO envelope_files (envelope_id, position, name, bytes) VALUES ($1, $2, $3, $4)",
            )
            .bind(id.as_str())
            .bind(i as i64)
            .bind(&f.name)
            .bind(f.bytes.as_slice())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        history(
            &mut tx,
            &id,
            "received",
            &format!("from {}", env.source),
            now,
        )
        .await?;
        tx.commit().await.map_err(db)?;
        tracing::info!(envelope = %id, files = env.files.len(), "envelope stored");
        Ok(Received::New(id))
    }

    /// The files of an envelope, in page order.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown id; [`StoreError::Database`].
    pub async fn files(&self, id: &EnvelopeId) -> Result<Vec<EnvelopeFile>, StoreError> {
        self.info(id).await?;
        self.map_rows(
            "SELECT name, bytes FROM envelope_files WHERE envelope_id = $1 ORDER BY position",
            id,
            |r| {
                Ok(EnvelopeFile {
                    name: col(r, "name")?,
                    bytes: col(r, "bytes")?,
                })
            },
        )
        .await
    }

    /// The rows `sql` gives for one envelope (`$1`), each turned into a `T` by `f`.
    async fn map_rows<T>(
        &self,
        sql: &'static str,
        id: &EnvelopeId,
        f: impl Fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.by_envelope(sql, id).await?.iter().map(f).collect()
    }

    /// The rows `sql` gives for one envelope (`$1`).
    async fn by_envelope(
        &self,
        sql: &'static str,
        id: &EnvelopeId,
    ) -> Result<Vec<AnyRow>, StoreError> {
        sqlx::query(sql)
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }

    /// The one row `sql` gives for an envelope (`$1`).
    async fn envelope_row(&self, sql: &'static str, id: &EnvelopeId) -> Result<AnyRow, StoreError> {
        sqlx::query(sql)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .ok_or_else(|| StoreError::NotFound(id.clone()))
    }

    /// An envelope's summary.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown id; [`StoreError::Database`].
    pub async fn info(&self, id: &EnvelopeId) -> Result<EnvelopeInfo, StoreError> {
        let row = self
            .envelope_row(
                "SELECT id, name, source, status, reason, attempts, received_at FROM envelopes WHERE id = $1",
                id,
            )
            .await?;
        info_from_row(&row)
    }

    /// Envelopes by status (all when `None`), oldest first, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn list(
        &self,
        status: Option<EnvelopeStatus>,
        limit: u32,
    ) -> Result<Vec<EnvelopeInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, source, status, reason, attempts, received_at FROM envelopes
             WHERE ($1 = '' OR status = $1) ORDER BY stored_ms, id LIMIT $2",
        )
        .bind(status.map(|s| s.as_str()).unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(info_from_row).collect()
    }

    /// Takes an envelope for `worker` (the broker's consumer): idempotent, so a redelivered
    /// message never processes an envelope twice. A finished envelope is
    /// [`Claim::AlreadyDone`]; otherwise the caller holds it for `lease` (taking it over from a
    /// worker whose message came back, since the broker gives a message to one consumer at a
    /// time), and its attempts count one more.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn claim(
        &self,
        id: &EnvelopeId,
        worker: &str,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let now = now_ms();
        let until = now.saturating_add(lease.as_millis() as i64);
        let mut tx = self.pool.begin().await.map_err(db)?;
        let row = sqlx::query(
            "UPDATE envelopes SET status = 'reading', lease_worker = $2, lease_until_ms = $3,
                 attempts = attempts + 1, updated_ms = $4
             WHERE id = $1 AND status IN ('received', 'reading')
             RETURNING attempts",
        )
        .bind(id.as_str())
        .bind(worker)
        .bind(until)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(row) = row else {
            let status: Option<String> =
                sqlx::query_scalar("SELECT status FROM envelopes WHERE id = $1")
                    .bind(id.as_str())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
            tx.commit().await.map_err(db)?;
            return Ok(match status {
                None => Claim::Unknown,
                Some(s) => Claim::AlreadyDone(EnvelopeStatus::parse(&s)?),
            });
        };
        let attempts: i64 = col(&row, "attempts")?;
        history(
            &mut tx,
            id,
            "reading",
            &format!("{worker}, attempt {attempts}"),
            now,
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(Claim::Claimed {
            attempts: attempts as u32,
        })
    }

    /// Leases the oldest waiting envelope to `worker` for `lease` (the embedded queue). `None`
    /// when nothing waits.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn claim_next(
        &self,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<Claimed>, StoreError> {
        // Two workers may pick the same envelope; the second's conditional update then
        // changes nothing, and it looks again.
        for _ in 0..8 {
            let now = now_ms();
            let until = now.saturating_add(lease.as_millis() as i64);
            let mut tx = self.pool.begin().await.map_err(db)?;
            let row = sqlx::query(
                "UPDATE envelopes SET status = 'reading', lease_worker = $1, lease_until_ms = $2,
                     attempts = attempts + 1, updated_ms = $3
                 WHERE id = (SELECT id FROM envelopes WHERE status = 'received'
                             ORDER BY stored_ms, id LIMIT 1)
                   AND status = 'received'
                 RETURNING id, attempts",
            )
            .bind(worker)
            .bind(until)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            match row {
                Some(row) => {
                    let id = parse_id(col(&row, "id")?)?;
                    let attempts: i64 = col(&row, "attempts")?;
                    history(
                        &mut tx,
                        &id,
                        "reading",
                        &format!("{worker}, attempt {attempts}"),
                        now,
                    )
                    .await?;
                    tx.commit().await.map_err(db)?;
                    return Ok(Some(Claimed {
                        id,
                        attempts: attempts as u32,
                    }));
                }
                None => {
                    tx.commit().await.map_err(db)?;
                    let waiting: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM envelopes WHERE status = 'received'",
                    )
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db)?;
                    if waiting == 0 {
                        return Ok(None);
                    }
                }
            }
        }
        Ok(None)
    }

    /// Extends the lease `worker` holds on an envelope (a long envelope outlives one lease).
    /// `false` when the worker does not hold it any more.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn renew(
        &self,
        id: &EnvelopeId,
        worker: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let until = now_ms().saturating_add(lease.as_millis() as i64);
        let n = sqlx::query(
            "UPDATE envelopes SET lease_until_ms = $3
             WHERE id = $1 AND status = 'reading' AND lease_worker = $2",
        )
        .bind(id.as_str())
        .bind(worker)
        .bind(until)
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(n > 0)
    }

    /// Stores what was read and found in one transaction: pages, documents with their routes,
    /// fields with their check messages, one `route.<queue>` and one `document.ready.<class>`
    /// event per document, the page counts, and status `awaiting_validation`. Only an envelope
    /// being read is completed; otherwise nothing is written ([`Completed::AlreadyDone`]).
    ///
    /// `routes` holds one route per document of `result`, in order.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when `routes` does not match the documents;
    /// [`StoreError::Database`] (nothing is written then).
    pub async fn complete(
        &self,
        id: &EnvelopeId,
        result: &EnvelopeResult,
        pages: &[PageText],
        routes: &[Route],
    ) -> Result<Completed, StoreError> {
        if routes.len() != result.documents.len() {
            return Err(StoreError::Invalid(format!(
                "{} routes for {} documents",
                routes.len(),
                result.documents.len()
            )));
        }
        let now = now_ms();
        let blank = serde_json::to_string(&result.blank_pages).map_err(json)?;
        let mut tx = self.pool.begin().await.map_err(db)?;
        // The write comes first: it takes the row (PostgreSQL) or the database (SQLite) lock,
        // so a second worker completing the same envelope waits, then changes nothing.
        let row = sqlx::query(
            "UPDATE envelopes SET status = 'awaiting_validation', pages = $2, blank_pages = $3,
                 reason = NULL, lease_worker = NULL, lease_until_ms = NULL, updated_ms = $4
             WHERE id = $1 AND status = 'reading'
             RETURNING received_at",
        )
        .bind(id.as_str())
        .bind(i64::from(result.pages))
        .bind(&blank)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(row) = row else {
            tx.rollback().await.map_err(db)?;
            return Ok(Completed::AlreadyDone);
        };
        let received: String = col(&row, "received_at")?;
        let received = OffsetDateTime::parse(&received, &Rfc3339)
            .ok()
            .map(|d| d.date());
        for p in pages {
            let source = match p.source {
                mailroom_ocr::Source::Ocr => "ocr",
                mailroom_ocr::Source::TextLayer => "text_layer",
                mailroom_ocr::Source::Blank => "blank",
            };
            sqlx::query(
                "INSERT INTO pages (envelope_id, page, source, text, words, confidence, rotation, width, height, dpi)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id.as_str())
            .bind(i64::from(p.page))
            .bind(source)
            .bind(&p.text)
            .bind(serde_json::to_string(&p.words).map_err(json)?)
            .bind(p.confidence.get())
            .bind(i64::from(p.rotation))
            .bind(i64::from(p.width))
            .bind(i64::from(p.height))
            .bind(i64::from(p.dpi))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        for (n, (doc, route)) in result.documents.iter().zip(routes).enumerate() {
            sqlx::query(
                "INSERT INTO documents (envelope_id, position, class, confidence, pages, queue, ack_due, answer_due, status)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'awaiting_validation')",
            )
            .bind(id.as_str())
            .bind(n as i64)
            .bind(doc.class.as_str())
            .bind(doc.confidence)
            .bind(serde_json::to_string(&doc.pages).map_err(json)?)
            .bind(&route.queue)
            .bind(route.acknowledge_by.map(|d| d.to_string()))
            .bind(route.answer_by.map(|d| d.to_string()))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            let values: serde_json::Map<String, serde_json::Value> = doc
                .fields
                .iter()
                .map(|(k, f)| (k.clone(), f.value.clone()))
                .collect();
            let mut messages: BTreeMap<String, String> = BTreeMap::new();
            for p in mailroom_domain::validate::check_document(doc.class, &values, received) {
                messages.entry(p.key).or_insert(p.message);
            }
            for (name, f) in &doc.fields {
                sqlx::query(
                    "INSERT INTO fields (envelope_id, document, name, value, confidence, valid, page, x0, y0, x1, y1, message)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(id.as_str())
                .bind(n as i64)
                .bind(name)
                .bind(serde_json::to_string(&f.value).map_err(json)?)
                .bind(f.confidence)
                .bind(i64::from(f.valid))
                .bind(i64::from(f.page))
                .bind(i64::from(f.bbox[0]))
                .bind(i64::from(f.bbox[1]))
                .bind(i64::from(f.bbox[2]))
                .bind(i64::from(f.bbox[3]))
                .bind(messages.get(name).map(String::as_str))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            }
            let route_payload = serde_json::json!({
                "envelope": id.as_str(),
                "document": n,
                "class": doc.class.as_str(),
                "queue": route.queue,
                "acknowledge_by": route.acknowledge_by.map(|d| d.to_string()),
                "answer_by": route.answer_by.map(|d| d.to_string()),
            });
            let ready_payload = serde_json::json!({
                "envelope": id.as_str(),
                "document": n,
                "class": doc.class.as_str(),
            });
            for (key, payload) in [
                (format!("route.{}", route.queue), route_payload),
                (
                    format!("document.ready.{}", doc.class.as_str()),
                    ready_payload,
                ),
            ] {
                sqlx::query(
                    "INSERT INTO events (routing_key, payload, created_ms) VALUES ($1, $2, $3)",
                )
                .bind(key)
                .bind(payload.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            }
        }
        history(
            &mut tx,
            id,
            "awaiting_validation",
            &format!(
                "{} pages, {} documents",
                result.pages,
                result.documents.len()
            ),
            now,
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(Completed::Stored)
    }

    /// Rejects an envelope that cannot be read, with the operator's sentence. Only an
    /// envelope not finished yet changes; `false` otherwise.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn reject(&self, id: &EnvelopeId, reason: &str) -> Result<bool, StoreError> {
        self.transition(
            id,
            "UPDATE envelopes SET status = 'rejected', reason = $3, lease_worker = NULL,
                 lease_until_ms = NULL, updated_ms = $2
             WHERE id = $1 AND status IN ('received', 'reading')",
            Some(reason),
            "rejected",
            reason,
        )
        .await
    }

    /// Gives an envelope being read back to the queue (a machine fault: try again later).
    /// `false` when it was not being read.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn retry_later(&self, id: &EnvelopeId, why: &str) -> Result<bool, StoreError> {
        self.transition(
            id,
            "UPDATE envelopes SET status = 'received', lease_worker = NULL, lease_until_ms = NULL,
                 updated_ms = $2
             WHERE id = $1 AND status = 'reading'",
            None,
            "retry",
            why,
        )
        .await
    }

    /// Runs a conditional status change (`$1` id, `$2` now, `$3` the optional text) and, when
    /// it changed the envelope, records it in the history, in one transaction.
    async fn transition(
        &self,
        id: &EnvelopeId,
        sql: &'static str,
        text: Option<&str>,
        status: &str,
        detail: &str,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut q = sqlx::query(sql).bind(id.as_str()).bind(now);
        if let Some(t) = text {
            q = q.bind(t);
        }
        let n = q.execute(&mut *tx).await.map_err(db)?.rows_affected();
        if n > 0 {
            history(&mut tx, id, status, detail, now).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(n > 0)
    }

    /// Gives back the envelopes whose lease ran out (their worker crashed or hangs): they wait
    /// for a worker again. Returns how many.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn release_stale(&self) -> Result<u64, StoreError> {
        self.release(
            "UPDATE envelopes SET status = 'received', lease_worker = NULL, lease_until_ms = NULL,
                 updated_ms = $1
             WHERE status = 'reading' AND lease_until_ms < $1
             RETURNING id",
            None,
            "lease expired",
        )
        .await
    }

    /// Gives back every envelope `worker` holds, whatever its lease: called when a worker
    /// starts, since a worker of that name that held them before has died. Returns how many.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn release_worker(&self, worker: &str) -> Result<u64, StoreError> {
        self.release(
            "UPDATE envelopes SET status = 'received', lease_worker = NULL, lease_until_ms = NULL,
                 updated_ms = $1
             WHERE status = 'reading' AND lease_worker = $2
             RETURNING id",
            Some(worker),
            "worker restarted",
        )
        .await
    }

    async fn release(
        &self,
        sql: &'static str,
        worker: Option<&str>,
        why: &str,
    ) -> Result<u64, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let mut q = sqlx::query(sql).bind(now);
        if let Some(w) = worker {
            q = q.bind(w);
        }
        let rows = q.fetch_all(&mut *tx).await.map_err(db)?;
        for row in &rows {
            let id = parse_id(col(row, "id")?)?;
            history(&mut tx, &id, "received", why, now).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(rows.len() as u64)
    }

    /// New envelopes not yet published to the broker's work queue, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn unpublished(&self, limit: u32) -> Result<Vec<EnvelopeId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM envelopes WHERE published_ms IS NULL AND status = 'received'
             ORDER BY stored_ms, id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        ids.into_iter().map(parse_id).collect()
    }

    /// Records that these envelopes were published (their confirms came back).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_published(&self, ids: &[EnvelopeId]) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        for id in ids {
            sqlx::query("UPDATE envelopes SET published_ms = $2 WHERE id = $1")
                .bind(id.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    /// Events not yet sent, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn pending_events(&self, limit: u32) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, routing_key, payload FROM events WHERE sent_ms IS NULL AND failed_ms IS NULL
             ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(Event {
                    id: col(r, "id")?,
                    routing_key: col(r, "routing_key")?,
                    payload: col(r, "payload")?,
                })
            })
            .collect()
    }

    /// Records that these events were sent.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_events_sent(&self, ids: &[i64]) -> Result<(), StoreError> {
        self.stamp_events("UPDATE events SET sent_ms = $2 WHERE id = $1", ids)
            .await
    }

    /// Sets these events aside as undeliverable (the relay could not decode them): they stay
    /// in the table for inspection and are never offered again by [`Store::pending_events`].
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_events_failed(&self, ids: &[i64]) -> Result<(), StoreError> {
        self.stamp_events(
            "UPDATE events SET failed_ms = $2 WHERE id = $1 AND sent_ms IS NULL",
            ids,
        )
        .await
    }

    /// Runs `sql` (`$1` the event id, `$2` now) for each of `ids`, in one transaction.
    async fn stamp_events(&self, sql: &'static str, ids: &[i64]) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        for id in ids {
            sqlx::query(sql)
                .bind(*id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    /// An envelope's history, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn history(&self, id: &EnvelopeId) -> Result<Vec<HistoryEntry>, StoreError> {
        self.map_rows(
            "SELECT status, detail, at_ms FROM status_history WHERE envelope_id = $1 ORDER BY id",
            id,
            |r| {
                Ok(HistoryEntry {
                    status: col(r, "status")?,
                    detail: col(r, "detail")?,
                    at: from_ms(col(r, "at_ms")?),
                })
            },
        )
        .await
    }

    /// Envelopes per status (every status listed, zero included), for operations.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn counts(&self) -> Result<BTreeMap<EnvelopeStatus, u64>, StoreError> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM envelopes GROUP BY status")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let mut out: BTreeMap<EnvelopeStatus, u64> =
            EnvelopeStatus::ALL.into_iter().map(|s| (s, 0)).collect();
        for r in &rows {
            let s: String = col(r, "status")?;
            let n: i64 = col(r, "n")?;
            out.insert(EnvelopeStatus::parse(&s)?, n as u64);
        }
        Ok(out)
    }

    /// The pages of an envelope as read.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn pages(&self, id: &EnvelopeId) -> Result<Vec<StoredPage>, StoreError> {
        self.map_rows(
            "SELECT page, source, text, words, confidence, rotation FROM pages
                 WHERE envelope_id = $1 ORDER BY page",
            id,
            |r| {
                let words: String = col(r, "words")?;
                Ok(StoredPage {
                    page: col::<i64>(r, "page")? as u32,
                    source: col(r, "source")?,
                    text: col(r, "text")?,
                    words: serde_json::from_str(&words).map_err(json)?,
                    confidence: col(r, "confidence")?,
                    rotation: col::<i64>(r, "rotation")? as u32,
                })
            },
        )
        .await
    }

    /// The routes stored for an envelope's documents, in document order.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn routes(&self, id: &EnvelopeId) -> Result<Vec<Route>, StoreError> {
        let rows = self.by_envelope("SELECT queue, ack_due, answer_due FROM documents WHERE envelope_id = $1 ORDER BY position", id).await?;
        let date = |s: Option<String>| -> Result<Option<time::Date>, StoreError> {
            s.map(|s| {
                time::Date::parse(
                    &s,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map_err(|e| StoreError::Corrupt(format!("date {s:?}: {e}")))
            })
            .transpose()
        };
        rows.iter()
            .map(|r| {
                Ok(Route {
                    queue: col(r, "queue")?,
                    acknowledge_by: date(col(r, "ack_due")?)?,
                    answer_by: date(col(r, "answer_due")?)?,
                })
            })
            .collect()
    }

    /// The result of one finished envelope in RESULTS.md form; `None` while it is still
    /// waiting or being read.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Database`]; [`StoreError::Corrupt`].
    pub async fn result(&self, id: &EnvelopeId) -> Result<Option<EnvelopeResult>, StoreError> {
        let row = self
            .envelope_row(
                "SELECT name, status, reason, pages, blank_pages FROM envelopes WHERE id = $1",
                id,
            )
            .await?;
        let name: String = col(&row, "name")?;
        let status = EnvelopeStatus::parse(&col::<String>(&row, "status")?)?;
        let pages = col::<i64>(&row, "pages")? as u32;
        match status {
            EnvelopeStatus::Received | EnvelopeStatus::Reading => Ok(None),
            EnvelopeStatus::Rejected => {
                let reason: Option<String> = col(&row, "reason")?;
                Ok(Some(EnvelopeResult::rejected(
                    name,
                    reason.unwrap_or_else(|| "rejected".into()),
                    pages,
                )))
            }
            EnvelopeStatus::AwaitingValidation | EnvelopeStatus::Validated => {
                let blank: String = col(&row, "blank_pages")?;
                let documents = self.documents(id).await?;
                Ok(Some(EnvelopeResult {
                    envelope: name,
                    status: Status::Processed,
                    error: None,
                    pages,
                    blank_pages: serde_json::from_str(&blank).map_err(json)?,
                    documents,
                }))
            }
        }
    }

    async fn documents(&self, id: &EnvelopeId) -> Result<Vec<ResultDocument>, StoreError> {
        let docs = self
            .by_envelope(
                "SELECT position, class, confidence, pages FROM documents WHERE envelope_id = $1 ORDER BY position",
                id,
            )
            .await?;
        let fields = self
            .by_envelope(
                "SELECT document, name, value, confidence, valid, page, x0, y0, x1, y1 FROM fields
             WHERE envelope_id = $1 ORDER BY document, name",
                id,
            )
            .await?;
        let mut out: Vec<ResultDocument> = Vec::with_capacity(docs.len());
        for d in &docs {
            let class: String = col(d, "class")?;
            let pages: String = col(d, "pages")?;
            out.push(ResultDocument {
                class: Class::from_str(&class)
                    .map_err(|e| StoreError::Corrupt(format!("document class: {e}")))?,
                confidence: col(d, "confidence")?,
                pages: serde_json::from_str(&pages).map_err(json)?,
                fields: BTreeMap::new(),
            });
        }
        for f in &fields {
            let n = col::<i64>(f, "document")? as usize;
            let value: String = col(f, "value")?;
            let coord = |c: &str| -> Result<u32, StoreError> { Ok(col::<i64>(f, c)? as u32) };
            let field = FieldResult {
                value: serde_json::from_str(&value).map_err(json)?,
                confidence: col(f, "confidence")?,
                valid: col::<i64>(f, "valid")? != 0,
                page: coord("page")?,
                bbox: [coord("x0")?, coord("y0")?, coord("x1")?, coord("y1")?],
            };
            let doc = out
                .get_mut(n)
                .ok_or_else(|| StoreError::Corrupt(format!("field of missing document {n}")))?;
            doc.fields.insert(col(f, "name")?, field);
        }
        Ok(out)
    }

    /// Every finished envelope (processed or rejected) in RESULTS.md form, by envelope name;
    /// envelopes still waiting or being read are left out, as they have no result yet.
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`].
    pub async fn export(&self) -> Result<Vec<EnvelopeResult>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM envelopes WHERE status IN ('awaiting_validation', 'validated', 'rejected')
             ORDER BY name, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(r) = self.result(&parse_id(id)?).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Registers a scanner for the upload endpoint and returns its token, which is shown
    /// once: only its SHA-256 is stored (the token is 256 random bits, so a plain hash is
    /// enough to make a stolen database useless for uploading).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when a scanner of that name exists or the name is not
    /// `[A-Za-z0-9._-]{1,64}`; [`StoreError::Database`].
    pub async fn add_scanner(&self, name: &str) -> Result<String, StoreError> {
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(StoreError::Invalid(
                "a scanner name is 1 to 64 letters, digits, '.', '_' or '-'".into(),
            ));
        }
        let mut raw = [0u8; 32];
        rand::Rng::fill(&mut rand::rng(), &mut raw);
        let token = format!("mrs_{}", hash::hex(&raw));
        let n = sqlx::query(
            "INSERT INTO scanners (name, token_hash, created_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(name)
        .bind(sha256_hex(token.as_bytes()))
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Invalid(format!(
                "a scanner named {name} already exists"
            )));
        }
        Ok(token)
    }

    /// The scanner a token belongs to, if any.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn scanner_for_token(&self, token: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT name FROM scanners WHERE token_hash = $1")
            .bind(sha256_hex(token.as_bytes()))
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }
}

/// A column of a row, with the store's error.
fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name).map_err(db)
}

fn json(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("json: {e}"))
}

fn info_from_row(row: &AnyRow) -> Result<EnvelopeInfo, StoreError> {
    let received: String = col(row, "received_at")?;
    Ok(EnvelopeInfo {
        id: parse_id(col(row, "id")?)?,
        name: col(row, "name")?,
        source: col(row, "source")?,
        status: EnvelopeStatus::parse(&col::<String>(row, "status")?)?,
        reason: col(row, "reason")?,
        attempts: col::<i64>(row, "attempts")? as u32,
        received_at: OffsetDateTime::parse(&received, &Rfc3339)
            .map_err(|e| StoreError::Corrupt(format!("received_at: {e}")))?,
    })
}

async fn history(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &EnvelopeId,
    status: &str,
    detail: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO status_history (envelope_id, status, detail, at_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(id.as_str())
    .bind(status)
    .bind(detail)
    .bind(at)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}
