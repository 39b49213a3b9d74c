//! # mailroom-ingest: taking envelopes from scanners into the store
//!
//! Three doors, one rule: an envelope is taken whole, checked, and stored with its files in
//! one transaction ([`mailroom_store::Store::receive`]); a second copy (same content hash) is
//! recognised, recorded in the original's history, and not processed again.
//!
//! - [`ingest_path`]: `mailroom ingest PATH...` — a folder is one envelope, a single file is
//!   one envelope.
//! - [`hotfolder`]: the scanners' shared inbox folder, watched (inotify through `notify`, with
//!   a polling scan as fallback for network shares, which send no events).
//! - [`upload`]: `POST /api/v1/envelopes`, multipart, one envelope per request, with a
//!   per-scanner bearer token (`mailroom scanner add NAME`).
//!
//! ## File names never become paths
//!
//! A file name from a scanner or an upload is a label: it is checked by [`check_file_name`]
//! (no `/`, `\`, `:`, no leading `.`, no `..`, no control character, at most 255 bytes) and
//! stored as text; no file is ever created from it. On disk, links are refused (the folder,
//! its files, and the single file itself; files are opened with `O_NOFOLLOW`), and so are
//! folders nested in an envelope. Sizes and counts are bounded before anything is read
//! ([`Limits`], from the OCR stage's own limits).
//!
//! ## The hot folder convention (for scanner set-up)
//!
//! ```text
//! inbox/
//!   env-000123/            a folder = one envelope: its page files, taken in name order
//!     001.tif  002.tif
//!     envelope.json        optional: {"received_at": "2025-03-05T10:31:00+01:00", "scanner": "scan-01"}
//!     .ready               optional marker: "this folder is complete", taken at once
//!   env-000124.pdf         a single PDF or TIFF file = one envelope
//!   .env-000125.pdf        being written: ignored (leading dot)
//!   env-000126.pdf.part    being written: ignored (.part or .tmp suffix)
//!   .rejected/             envelopes refused at intake, each with NAME.reason.txt
//! ```
//!
//! An envelope is taken only when it is complete, which a scanner can say in three ways:
//!
//! 1. **write under a temporary name, then rename**: a name with a leading `.` or ending in
//!    `.tmp` or `.part` is never looked at; the rename is atomic, so the final name appears
//!    with all its bytes;
//! 2. **a `.ready` marker** in an envelope folder, written last: the folder is taken at the
//!    next scan;
//! 3. **nothing**: the envelope is taken once its files' names, sizes and modification times
//!    have not changed for the settle time (2 s by default). This is also checked for 1.,
//!    since a file written in place under its final name looks the same as a renamed one.
//!
//! Once an envelope is safely stored (the transaction committed) it is **deleted** from the
//! inbox, duplicates included: the store is the system of record and holds the bytes, and a
//! second copy of health data on a shared folder is one more place to leak it from and to
//! fill up. An envelope refused at intake (a link, a nested folder, a name that is a path,
//! too large, empty) is moved to `inbox/.rejected/` with `NAME.reason.txt` saying why in one
//! sentence, so the inbox is never blocked by it. An envelope that is stored but cannot be
//! read (a corrupt page) is rejected later by the workers, in the store, with its reason.

#![forbid(unsafe_code)]

mod envelope;
mod error;
pub mod hotfolder;
pub mod upload;

pub use envelope::{Limits, Loaded, check_envelope_name, check_file_name, load_path};
pub use error::IngestError;
pub use hotfolder::HotFolder;
pub use upload::{UploadState, router};

use std::path::Path;

use mailroom_store::{NewEnvelope, Received, Store};

/// Reads the envelope at `path` (a folder or a single file) and stores it, from `source`
/// (`cli`, `hot_folder`). Without an `envelope.json` reception time, the envelope is
/// received now. Counted in `mailroom_envelopes_received_total`, `…_duplicated_total` or
/// `…_refused_total` by door.
///
/// # Errors
/// [`IngestError::Refused`] when the envelope breaks a rule (with the sentence for the
/// operator), [`IngestError::Io`] when it cannot be read, [`IngestError::Store`].
pub async fn ingest_path(
    store: &Store,
    path: &Path,
    source: &str,
    limits: &Limits,
) -> Result<Received, IngestError> {
    let result = store_path(store, path, source, limits).await;
    let door = mailroom_telemetry::metrics::Door::from_source(source);
    let m = mailroom_telemetry::metrics();
    match &result {
        Ok(Received::New(_)) => m.envelope_received(door),
        Ok(Received::Duplicate(_)) => m.envelope_duplicated(door),
        Err(IngestError::Refused(_)) => m.envelope_refused(door),
        Err(_) => {}
    }
    result
}

async fn store_path(
    store: &Store,
    path: &Path,
    source: &str,
    limits: &Limits,
) -> Result<Received, IngestError> {
    let owned = path.to_path_buf();
    let limits = limits.clone();
    let loaded = tokio::task::spawn_blocking(move || load_path(&owned, &limits))
        .await
        .map_err(|e| IngestError::Refused(format!("the envelope could not be read ({e})")))??;
    let env = NewEnvelope {
        name: loaded.name,
        source: source.to_string(),
        received_at: loaded
            .received_at
            .unwrap_or_else(time::OffsetDateTime::now_utc),
        files: loaded.files,
    };
    Ok(store.receive(&env).await?)
}
