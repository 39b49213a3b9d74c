//! Processing one envelope, independent of the queue it came from.
//!
//! The caller has claimed the envelope ([`mailroom_store::Store::claim`] for a broker
//! delivery, [`mailroom_store::Store::claim_next`] for the embedded queue). Then:
//!
//! 1. its files come from the store (the store, not the inbox, is the system of record);
//! 2. the OCR stage reads them, file after file, pages numbered over the envelope;
//! 3. the classifier splits, classifies and extracts, with the envelope's reception day;
//! 4. the routing table gives each document its service queue;
//! 5. [`mailroom_store::Store::complete`] stores it all in one transaction.
//!
//! Reading and qualifying are CPU work and blocking calls into the OCR pool, so they run on
//! tokio's blocking threads, never on the async workers. A page the OCR stage cannot read
//! rejects the envelope with its sentence; a fault of the machine (the OCR engine, a disk)
//! gives the envelope back to the queue, up to [`Pipeline::max_attempts`].
//!
//! Each step is measured (`mailroom_stage_duration_seconds{stage="ocr|classify|store"}`,
//! `mailroom_ocr_slots_busy`, pages by kind, documents by class and route, straight-through
//! documents, and per envelope its outcome and end-to-end time): see
//! [`mailroom_telemetry::metrics`]. Logs carry the envelope id and document numbers only.

use std::sync::Arc;

use mailroom_classify::Qualifier;
use mailroom_domain::EnvelopeId;
use mailroom_ocr::{FileKind, OcrError, PageText, Reader};
use mailroom_store::{Claim, Completed, EnvelopeFile, Store};
use mailroom_telemetry::metrics::{PageKind, Processed, Stage, metrics};

use crate::error::WorkerError;
use crate::routing;

/// What the pipeline needs besides the store: the OCR stage and the classifier, shared by
/// every envelope in flight.
///
/// The envelopes in flight ([`Pipeline::in_flight`]) are by default one more than the OCR
/// slots ([`Pipeline::slots`]): the next envelope waits at the slots while one is classified,
/// stored and acked, so the slots do not wait for the queue (busy 98.6 % of a bench run instead
/// of 97.4 %; `benches/pipeline.rs` prints it). An envelope waits for an OCR slot before
/// reading, so `mailroom_ocr_slots_busy` never exceeds the slots.
///
/// Envelopes pass a [`Gate`] to be claimed, one at a time, and are then given their [`Turn`]. If a poison envelope kills the worker
/// process, every envelope claimed in that process is charged an interrupted attempt; so an
/// envelope whose earlier try was interrupted is processed alone in its process (its turn is
/// exclusive), and an innocent one charged beside a poison one is never charged again.
#[derive(Clone)]
pub struct Pipeline {
    pub reader: Arc<Reader>,
    pub qualifier: Arc<Qualifier>,
    /// Tries before an envelope whose processing keeps failing for the machine's reasons is
    /// rejected (a poison envelope must not come back for ever).
    pub max_attempts: u32,
    in_flight: usize,
    reading: Arc<tokio::sync::Semaphore>,
    turns: Turns,
}

/// The default of [`Pipeline::max_attempts`].
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

impl Pipeline {
    /// Starts the OCR stage with `ocr` and loads the classifier (`model`, or the one built in).
    ///
    /// # Errors
    /// [`WorkerError::Ocr`] when the OCR workers cannot start, [`WorkerError::Classify`] when
    /// the model cannot be loaded.
    pub fn new(
        ocr: mailroom_ocr::Config,
        model: Option<&std::path::Path>,
    ) -> Result<Pipeline, WorkerError> {
        let model = match model {
            Some(p) => mailroom_classify::Model::load(p)?,
            None => mailroom_classify::Model::embedded()?,
        };
        let slots = ocr.slots.max(1);
        Ok(Pipeline {
            reader: Arc::new(Reader::new(ocr)?),
            qualifier: Arc::new(Qualifier::new(model)),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            in_flight: slots + 1,
            reading: Arc::new(tokio::sync::Semaphore::new(slots)),
            turns: Turns::default(),
        })
    }

    /// [`Pipeline::new`] on a blocking thread (starting the OCR workers and loading the model
    /// is blocking work), for async callers.
    ///
    /// # Errors
    /// As [`Pipeline::new`], and [`WorkerError::Io`] when the blocking task fails.
    pub async fn start(
        ocr: mailroom_ocr::Config,
        model: Option<std::path::PathBuf>,
    ) -> Result<Pipeline, WorkerError> {
        tokio::task::spawn_blocking(move || Pipeline::new(ocr, model.as_deref()))
            .await
            .map_err(|e| WorkerError::Io {
                context: "starting the OCR stage".into(),
                source: std::io::Error::other(e.to_string()),
            })?
    }

    /// OCR slots: how many envelopes are read at once.
    pub fn slots(&self) -> usize {
        self.reader.config().slots.max(1)
    }

    /// How many envelopes to keep in flight (claimed, or prefetched from the broker): by
    /// default one more than the OCR slots, see the type's docs.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Sets [`Pipeline::in_flight`] (at least the OCR slots; `0` keeps the default).
    #[must_use]
    pub fn with_in_flight(mut self, n: usize) -> Pipeline {
        if n > 0 {
            self.in_flight = n.max(self.slots());
        }
        self
    }

    /// Waits for this process's turn to claim an envelope; claim it, then [`Gate::settle`]
    /// with the claim's attempts (see the type's docs). Claims in one process go one at a time.
    pub async fn gate(&self) -> Gate {
        Gate::take(&self.turns).await
    }
}

/// The turns of one process's envelopes: shared by first tries, exclusive for an envelope
/// whose earlier try was interrupted; and claims, one at a time.
#[derive(Debug, Default, Clone)]
pub(crate) struct Turns {
    claiming: Arc<tokio::sync::Mutex<()>>,
    running: Arc<tokio::sync::RwLock<()>>,
}

/// The right to claim one envelope in this process, taken before the claim: no other envelope
/// of the process is claimed until it is settled.
#[derive(Debug)]
pub struct Gate {
    claiming: tokio::sync::OwnedMutexGuard<()>,
    shared: tokio::sync::OwnedRwLockReadGuard<()>,
    running: Arc<tokio::sync::RwLock<()>>,
}

impl Gate {
    async fn take(turns: &Turns) -> Gate {
        let claiming = turns.claiming.clone().lock_owned().await;
        let shared = turns.running.clone().read_owned().await;
        Gate {
            claiming,
            shared,
            running: turns.running.clone(),
        }
    }

    /// The turn of try `attempts` of the envelope just claimed, held until it is finished. A
    /// first try runs beside the others. After an interrupted try, it waits (holding the claim
    /// gate, so nothing else is claimed meanwhile) until the envelopes in flight beside it are
    /// finished, and runs alone: no other envelope of this process is claimed while it runs.
    pub async fn settle(self, attempts: u32) -> Turn {
        let Gate {
            claiming,
            shared,
            running,
        } = self;
        if attempts <= 1 {
            return Turn::Shared(shared);
        }
        drop(shared);
        let alone = running.write_owned().await;
        drop(claiming);
        Turn::Alone(alone)
    }
}

/// An envelope's turn, held until it is finished: see [`Pipeline`]'s docs.
#[derive(Debug)]
pub enum Turn {
    /// Beside the other envelopes in flight (a first try).
    Shared(tokio::sync::OwnedRwLockReadGuard<()>),
    /// Alone in its process.
    Alone(tokio::sync::OwnedRwLockWriteGuard<()>),
}

impl Turn {
    /// Whether the envelope runs alone.
    pub fn alone(&self) -> bool {
        matches!(self, Turn::Alone(_))
    }
}

/// What became of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Documents stored; status `awaiting_validation`.
    Stored { pages: u32, documents: usize },
    /// Rejected with this sentence.
    Rejected { reason: String },
    /// Given back to the queue after a machine fault.
    RetryLater { reason: String },
    /// Already finished (a redelivery, or another worker was faster): nothing done.
    AlreadyDone,
}

/// Claims `id` for `worker` and processes it: what the broker's consumer calls for each
/// delivery. A finished envelope is [`Outcome::AlreadyDone`] (acknowledge it); an unknown id
/// too, since there is nothing to do for it.
///
/// # Errors
/// As [`process_envelope`].
pub async fn claim_and_process(
    store: &Store,
    pipeline: &Pipeline,
    id: &EnvelopeId,
    worker: &str,
    lease: std::time::Duration,
) -> Result<Outcome, WorkerError> {
    let gate = pipeline.gate().await;
    match store.claim(id, worker, lease).await? {
        Claim::Claimed { attempts } => {
            let _turn = gate.settle(attempts).await;
            process_claimed(store, pipeline, id, attempts).await
        }
        Claim::AlreadyDone(_) => Ok(Outcome::AlreadyDone),
        Claim::Unknown => {
            tracing::warn!(envelope = %id, "no such envelope in the store");
            Ok(Outcome::AlreadyDone)
        }
    }
}

/// Processes an envelope the caller has claimed (this is try `attempts`): reads, qualifies,
/// routes and stores it, or rejects it. Past [`Pipeline::max_attempts`] tries it is rejected
/// without being read again.
///
/// # Errors
/// [`WorkerError::Store`] when the store fails; the envelope stays claimed, and its lease
/// running out gives it back.
pub async fn process_claimed(
    store: &Store,
    pipeline: &Pipeline,
    id: &EnvelopeId,
    attempts: u32,
) -> Result<Outcome, WorkerError> {
    // Tries that never ended (the process died mid-envelope, every time) count too: a poison
    // envelope must not take the pipeline down for ever.
    if attempts > pipeline.max_attempts {
        let sentence = format!(
            "the envelope could not be processed: {} attempts were interrupted; a person must look at it",
            attempts - 1
        );
        store.reject(id, &sentence).await?;
        tracing::warn!(envelope = %id, attempts, "envelope rejected after interrupted attempts");
        metrics().envelope_rejected("attempts");
        let outcome = Outcome::Rejected { reason: sentence };
        record_outcome(store, id, &outcome).await;
        return Ok(outcome);
    }
    let outcome = process_envelope(store, pipeline, id).await?;
    if let Outcome::RetryLater { reason } = &outcome
        && attempts >= pipeline.max_attempts
    {
        let sentence = format!(
            "the envelope could not be processed after {attempts} attempts ({reason}); a person must look at it"
        );
        store.reject(id, &sentence).await?;
        tracing::warn!(envelope = %id, attempts, "envelope rejected after repeated failures");
        metrics().envelope_rejected("attempts");
        let outcome = Outcome::Rejected { reason: sentence };
        record_outcome(store, id, &outcome).await;
        return Ok(outcome);
    }
    record_outcome(store, id, &outcome).await;
    Ok(outcome)
}

/// Counts an envelope's outcome and, once it has a result, its end-to-end time (from intake's
/// commit, read back from the store, to now).
async fn record_outcome(store: &Store, id: &EnvelopeId, outcome: &Outcome) {
    let processed = match outcome {
        Outcome::Stored { .. } => Processed::Stored,
        Outcome::Rejected { .. } => Processed::Rejected,
        Outcome::RetryLater { .. } => Processed::Retried,
        Outcome::AlreadyDone => Processed::AlreadyDone,
    };
    metrics().envelope_processed(processed);
    if matches!(processed, Processed::Stored | Processed::Rejected) {
        match store.stored_at(id).await {
            Ok(at) => {
                let elapsed = time::OffsetDateTime::now_utc() - at;
                metrics().envelope_duration(elapsed.try_into().unwrap_or_default());
            }
            Err(e) => tracing::debug!(envelope = %id, error = %e, "end-to-end time not measured"),
        }
    }
}

/// Reads, qualifies, routes and stores one claimed envelope; see the module docs.
///
/// # Errors
/// [`WorkerError::Store`] when the store fails.
pub async fn process_envelope(
    store: &Store,
    pipeline: &Pipeline,
    id: &EnvelopeId,
) -> Result<Outcome, WorkerError> {
    let started = std::time::Instant::now();
    let info = store.info(id).await?;
    let files = store.files(id).await?;
    let reader = pipeline.reader.clone();
    // Wait for an OCR slot: the envelopes in flight beyond the slots are read next.
    let permit = pipeline
        .reading
        .clone()
        .acquire_owned()
        .await
        .expect("the reading semaphore is never closed");
    let reading = std::time::Instant::now();
    let slot = metrics().ocr_slot_busy();
    // The OCR stage's own page lines carry the envelope through this span.
    let span = tracing::debug_span!("envelope", envelope = %id);
    let read = tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        read_files(&reader, &files)
    })
    .await;
    drop(slot);
    drop(permit);
    metrics().stage_duration(Stage::Ocr, reading.elapsed());
    let pages = match read {
        Ok(Ok(pages)) => {
            count_pages(&pages);
            pages
        }
        Ok(Err(e)) if e.retryable() => {
            let reason = e.to_string();
            tracing::warn!(envelope = %id, kind = e.kind(), page = e.page(), "machine fault while reading; envelope given back");
            store.retry_later(id, &reason).await?;
            return Ok(Outcome::RetryLater { reason });
        }
        Ok(Err(e)) => {
            let reason = e.to_string();
            tracing::info!(envelope = %id, kind = e.kind(), page = e.page(), "envelope rejected");
            metrics().envelope_rejected(e.kind());
            store.reject(id, &reason).await?;
            return Ok(Outcome::Rejected { reason });
        }
        Err(join) => {
            let reason = "the envelope could not be read (the reader failed unexpectedly); a person must look at it".to_string();
            tracing::error!(envelope = %id, panic = join.is_panic(), "reading failed unexpectedly");
            metrics().envelope_rejected("reader_failed");
            store.reject(id, &reason).await?;
            return Ok(Outcome::Rejected { reason });
        }
    };
    let received = info.received_at.date();
    let qualifier = pipeline.qualifier.clone();
    let name = info.name.clone();
    let qualifying = std::time::Instant::now();
    let qualified = tokio::task::spawn_blocking(move || {
        let result = qualifier.qualify(&name, &pages, Some(received));
        (result, pages)
    })
    .await;
    metrics().stage_duration(Stage::Classify, qualifying.elapsed());
    let (result, pages) = match qualified {
        Ok(r) => r,
        Err(join) => {
            let reason = "the envelope could not be qualified (the classifier failed unexpectedly); a person must look at it".to_string();
            tracing::error!(envelope = %id, panic = join.is_panic(), "qualifying failed unexpectedly");
            metrics().envelope_rejected("classifier_failed");
            store.reject(id, &reason).await?;
            return Ok(Outcome::Rejected { reason });
        }
    };
    let routes = routing::routes(&result, received);
    let storing = std::time::Instant::now();
    let completed = store.complete(id, &result, &pages, &routes).await?;
    metrics().stage_duration(Stage::Store, storing.elapsed());
    match completed {
        Completed::Stored => {
            let threshold = pipeline.qualifier.model().min_confidence;
            for (n, (doc, route)) in result.documents.iter().zip(&routes).enumerate() {
                let straight = mailroom_telemetry::straight_through(doc, threshold);
                metrics().document_stored(doc.class, straight);
                tracing::debug!(
                    envelope = %id,
                    document = n,
                    class = doc.class.as_str(),
                    queue = %route.queue,
                    straight_through = straight,
                    "document routed"
                );
            }
            tracing::info!(
                envelope = %id,
                pages = result.pages,
                documents = result.documents.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "envelope processed"
            );
            Ok(Outcome::Stored {
                pages: result.pages,
                documents: result.documents.len(),
            })
        }
        Completed::AlreadyDone => {
            tracing::info!(envelope = %id, "envelope already finished elsewhere; result dropped");
            Ok(Outcome::AlreadyDone)
        }
    }
}

/// Counts an envelope's pages by how they were read.
fn count_pages(pages: &[PageText]) {
    let recognition: f64 = pages.iter().map(|p| p.timings.recognize_cpu_ms).sum();
    metrics().recognition_cpu(std::time::Duration::from_secs_f64(
        recognition.max(0.0) / 1000.0,
    ));
    for kind in PageKind::ALL {
        let n = pages
            .iter()
            .filter(|p| {
                kind == match p.source {
                    mailroom_ocr::Source::Ocr => PageKind::Ocr,
                    mailroom_ocr::Source::TextLayer => PageKind::TextLayer,
                    mailroom_ocr::Source::Blank => PageKind::Blank,
                }
            })
            .count();
        if n > 0 {
            metrics().pages_read(kind, n as u64);
        }
    }
}

/// Reads every file of an envelope, numbering pages over the envelope (SAMPLES.md). All or
/// nothing, like [`Reader::read_envelope`]: the first page that fails fails the envelope.
fn read_files(reader: &Reader, files: &[EnvelopeFile]) -> Result<Vec<PageText>, OcrError> {
    if files.is_empty() {
        return Err(OcrError::Damaged {
            page: 1,
            file: String::new(),
            reason: "the envelope holds no page file".into(),
        });
    }
    let max_pages = reader.config().limits.max_pages;
    let mut pages: Vec<PageText> = Vec::new();
    for f in files {
        let offset = pages.len() as u32;
        let Some(kind) = file_kind(f) else {
            return Err(OcrError::Unsupported {
                page: offset + 1,
                file: f.name.clone(),
                reason: format!("the file {} is not an image or a PDF", f.name),
            });
        };
        let read = reader
            .read_bytes(&f.bytes, kind)
            .map_err(|e| renumber(e, offset, &f.name))?;
        for mut p in read {
            p.page += offset;
            pages.push(p);
        }
        if pages.len() as u32 > max_pages {
            return Err(OcrError::OverLimit {
                page: max_pages + 1,
                file: f.name.clone(),
                reason: format!("the envelope has more than {max_pages} pages, the limit"),
            });
        }
    }
    Ok(pages)
}

/// What a file claims to be: its extension, else its first bytes; `None` when neither says
/// image or PDF (the OCR stage checks the bytes again either way).
fn file_kind(f: &EnvelopeFile) -> Option<FileKind> {
    if let Some(k) = FileKind::from_path(std::path::Path::new(&f.name)) {
        return Some(k);
    }
    let b = f.bytes.as_slice();
    if b.starts_with(b"%PDF") {
        Some(FileKind::Pdf)
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        Some(FileKind::Tiff)
    } else if b.starts_with(b"\x89PNG") {
        Some(FileKind::Png)
    } else if b.starts_with(b"\xFF\xD8\xFF") {
        Some(FileKind::Jpeg)
    } else {
        None
    }
}

/// An error about a file read alone, with its page numbered over the envelope and the file
/// named.
fn renumber(e: OcrError, offset: u32, name: &str) -> OcrError {
    let file = name.to_string();
    match e {
        OcrError::Unsupported { page, reason, .. } => OcrError::Unsupported {
            page: page + offset,
            file,
            reason,
        },
        OcrError::Damaged { page, reason, .. } => OcrError::Damaged {
            page: page + offset,
            file,
            reason,
        },
        OcrError::OverLimit { page, reason, .. } => OcrError::OverLimit {
            page: page + offset,
            file,
            reason,
        },
        OcrError::Timeout { page, limit, .. } => OcrError::Timeout {
            page: page + offset,
            file,
            limit,
        },
        OcrError::Crashed { page, cause, .. } => OcrError::Crashed {
            page: page + offset,
            file,
            cause,
        },
        OcrError::Io { page, source, .. } => OcrError::Io {
            page: page + offset,
            file,
            source,
        },
        OcrError::Engine { page, reason } => OcrError::Engine {
            page: page + offset,
            reason,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Whether the gate opens within a short wait.
    async fn opens(turns: &Turns) -> Option<Gate> {
        tokio::time::timeout(Duration::from_millis(100), Gate::take(turns))
            .await
            .ok()
    }

    #[tokio::test]
    async fn first_tries_share_and_an_interrupted_one_runs_alone() {
        let turns = Turns::default();
        let a = Gate::take(&turns).await.settle(1).await;
        let b = Gate::take(&turns).await.settle(1).await;
        assert!(!a.alone() && !b.alone(), "first tries run side by side");
        // A second try waits for the envelopes in flight beside it, and nothing else is
        // claimed meanwhile...
        let suspect = Gate::take(&turns).await;
        let alone = tokio::spawn(async move { suspect.settle(2).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!alone.is_finished(), "ran beside envelopes still in flight");
        assert!(
            opens(&turns).await.is_none(),
            "claimed while a suspect waits"
        );
        drop(a);
        assert!(!alone.is_finished());
        drop(b);
        let alone = tokio::time::timeout(Duration::from_secs(5), alone)
            .await
            .expect("runs once the others are done")
            .unwrap();
        assert!(alone.alone());
        // ...nor while it runs.
        assert!(opens(&turns).await.is_none(), "claimed beside a suspect");
        drop(alone);
        let next = opens(&turns).await.expect("the gate opens again");
        assert!(!next.settle(1).await.alone());
    }
}
