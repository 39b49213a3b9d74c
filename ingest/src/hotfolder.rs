//! The hot folder: scanners drop envelopes in an inbox folder; complete ones are stored and
//! leave it. The convention is in the crate docs.
//!
//! One loop scans the inbox: at every poll interval, and at once when the file system reports
//! a change (inotify through `notify`; network shares send no events, so the polling scan is
//! the fallback, not an extra). A scan remembers each candidate's signature (names, sizes,
//! modification times) and takes it when the signature has held for the settle time, or at
//! once for a folder with a `.ready` marker. Envelopes are stored one after the other; a
//! refused one is moved aside, so the ones after it are never blocked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use mailroom_store::{Received, Store};
use tokio::sync::{Notify, mpsc, watch};

use crate::envelope::Limits;
use crate::error::IngestError;

/// Where refused envelopes go, inside the inbox.
pub const REJECTED_DIR: &str = ".rejected";
/// The marker that says an envelope folder is complete.
pub const READY_MARKER: &str = ".ready";

/// A watched inbox.
#[derive(Debug, Clone)]
pub struct HotFolder {
    pub inbox: PathBuf,
    /// How long an envelope must stay unchanged before it is taken (no `.ready` marker).
    pub settle: Duration,
    /// How often the inbox is scanned even without file system events.
    pub poll: Duration,
    pub limits: Limits,
}

impl HotFolder {
    /// An inbox with the default settle time (2 s) and poll interval (1 s).
    pub fn new(inbox: impl Into<PathBuf>) -> HotFolder {
        HotFolder {
            inbox: inbox.into(),
            settle: Duration::from_secs(2),
            poll: Duration::from_secs(1),
            limits: Limits::default(),
        }
    }

    /// Watches the inbox until `shutdown` turns true, storing every complete envelope and
    /// calling `stored.notify_one()` after each new one (to wake a queue).
    ///
    /// # Errors
    /// [`IngestError::Io`] when the inbox cannot be created. Failures on one envelope are
    /// logged and retried at the next scan (the store down) or end with the envelope moved to
    /// `.rejected/` (the envelope's fault); they never stop the loop.
    pub async fn run(
        &self,
        store: Store,
        mut shutdown: watch::Receiver<bool>,
        stored: Arc<Notify>,
    ) -> Result<(), IngestError> {
        std::fs::create_dir_all(&self.inbox).map_err(|e| IngestError::io(&self.inbox, e))?;
        let (tx, mut rx) = mpsc::channel::<()>(1);
        // The watcher lives as long as this loop; without it, polling alone still works.
        let _watcher = match watch_events(&self.inbox, tx) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "file system events unavailable; polling the inbox only");
                None
            }
        };
        let mut seen: HashMap<String, (Signature, Instant)> = HashMap::new();
        tracing::info!(inbox = %self.inbox.display(), "hot folder watched");
        loop {
            if *shutdown.borrow() {
                break;
            }
            self.scan(&store, &mut seen, &stored).await;
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = rx.recv() => {
                    // Let a burst of events settle into one scan.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
        Ok(())
    }

    /// One pass over the inbox; returns how many envelopes left it (stored, duplicates, or
    /// refused).
    pub async fn scan(
        &self,
        store: &Store,
        seen: &mut HashMap<String, (Signature, Instant)>,
        stored: &Notify,
    ) -> usize {
        let inbox = self.inbox.clone();
        let candidates = match tokio::task::spawn_blocking(move || candidates(&inbox)).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "inbox cannot be listed");
                return 0;
            }
            Err(_) => return 0,
        };
        let now = Instant::now();
        let present: std::collections::HashSet<&String> =
            candidates.iter().map(|c| &c.name).collect();
        seen.retain(|k, _| present.contains(k));
        let mut left = 0;
        for c in &candidates {
            let ready = c.marked
                || match seen.get(&c.name) {
                    Some((sig, since)) if *sig == c.signature => {
                        now.duration_since(*since) >= self.settle
                    }
                    _ => {
                        seen.insert(c.name.clone(), (c.signature.clone(), now));
                        false
                    }
                };
            if !ready {
                continue;
            }
            seen.remove(&c.name);
            let path = self.inbox.join(&c.name);
            match crate::ingest_path(store, &path, "hot_folder", &self.limits).await {
                Ok(r) => {
                    match &r {
                        Received::New(id) => {
                            tracing::info!(envelope = %id, "envelope taken from the hot folder");
                            stored.notify_one();
                        }
                        Received::Duplicate(id) => {
                            tracing::info!(envelope = %id, "duplicate dropped in the hot folder; not processed again");
                        }
                    }
                    if let Err(e) = remove(&path).await {
                        tracing::error!(error = %e, "stored envelope could not be removed from the inbox");
                    }
                    left += 1;
                }
                Err(IngestError::Refused(reason)) => {
                    tracing::warn!("envelope refused at intake; moved to .rejected");
                    if let Err(e) = self.set_aside(&c.name, &reason).await {
                        tracing::error!(error = %e, "refused envelope could not be moved aside");
                    }
                    left += 1;
                }
                Err(e) => {
                    // The store or the disk: the envelope stays, the next scan tries again.
                    tracing::warn!(error = %e, "envelope not taken; will retry");
                }
            }
        }
        left
    }

    /// Moves a refused envelope to `.rejected/`, beside a `NAME.reason.txt`.
    async fn set_aside(&self, name: &str, reason: &str) -> std::io::Result<()> {
        let dir = self.inbox.join(REJECTED_DIR);
        tokio::fs::create_dir_all(&dir).await?;
        let mut target = name.to_string();
        let mut n = 1;
        while tokio::fs::symlink_metadata(dir.join(&target)).await.is_ok() {
            n += 1;
            target = format!("{name}-{n}");
        }
        tokio::fs::rename(self.inbox.join(name), dir.join(&target)).await?;
        tokio::fs::write(
            dir.join(format!("{target}.reason.txt")),
            format!("{reason}\n"),
        )
        .await
    }
}

/// What identifies the state of a candidate: its entries' names, sizes and modification
/// times. Equal across the settle time means nobody is writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(Vec<(String, u64, Option<SystemTime>)>);

struct Candidate {
    name: String,
    signature: Signature,
    /// A folder with a `.ready` marker.
    marked: bool,
}

/// Names being written: a leading dot (also `.rejected/` and markers), `.tmp`, `.part`.
fn in_progress(name: &str) -> bool {
    name.starts_with('.') || name.ends_with(".tmp") || name.ends_with(".part")
}

fn candidates(inbox: &Path) -> std::io::Result<Vec<Candidate>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(inbox)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if in_progress(&name) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        let mut sig = vec![(String::new(), meta.len(), meta.modified().ok())];
        let mut marked = false;
        if meta.is_dir() {
            if let Ok(list) = std::fs::read_dir(entry.path()) {
                for e in list.flatten() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    if n == READY_MARKER {
                        marked = true;
                    }
                    if let Ok(m) = std::fs::symlink_metadata(e.path()) {
                        sig.push((n, m.len(), m.modified().ok()));
                    }
                }
            }
            sig.sort();
        }
        out.push(Candidate {
            name,
            signature: Signature(sig),
            marked,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

async fn remove(path: &Path) -> std::io::Result<()> {
    let meta = tokio::fs::symlink_metadata(path).await?;
    if meta.is_dir() {
        tokio::fs::remove_dir_all(path).await
    } else {
        tokio::fs::remove_file(path).await
    }
}

/// A file system watcher that pokes `tx` on any change in the inbox or its folders.
fn watch_events(
    inbox: &Path,
    tx: mpsc::Sender<()>,
) -> Result<notify::RecommendedWatcher, notify::Error> {
    use notify::Watcher as _;
    let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if res.is_ok() {
            // A full channel already holds a wake-up: this one can go.
            let _ = tx.try_send(());
        }
    })?;
    w.watch(inbox, notify::RecursiveMode::Recursive)?;
    Ok(w)
}
