//! The caller's side: envelopes in, pages out, through the pool of workers.

use crate::decode::{describe, kind_name, sniff};
use crate::error::OcrError;
use crate::page::PageText;
use crate::pool::{CallError, Pool, PoolConfig};
use crate::protocol::{Fault, FaultKind, Misbehaviour, PageInfo, Request, Response};
use crate::{Config, FileKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Reads envelopes. Cheap to share: every method takes `&self`, and concurrent calls share the
/// pool's slots (a call waits for a free slot).
pub struct Reader {
    pool: Pool,
    config: Config,
}

/// A file as read: name, the kind its name claims, bytes.
type RawInput = (String, Option<FileKind>, Vec<u8>);

/// One file of an envelope, in memory.
struct Input {
    name: String,
    kind: FileKind,
    bytes: Vec<u8>,
}

impl Reader {
    /// Starts `config.slots` workers and waits until each has loaded its models (100–300 ms),
    /// so that a missing model or worker program shows here rather than on the first page.
    ///
    /// # Errors
    /// [`OcrError::Engine`] (page 0) when the worker program cannot be found or started, or the
    /// language models cannot be loaded.
    pub fn new(config: Config) -> Result<Reader, OcrError> {
        let exe = crate::locate::worker_exe(config.worker.as_deref())
            .map_err(|reason| OcrError::Engine { page: 0, reason })?;
        let pool = Pool::new(PoolConfig {
            exe,
            settings: config.settings.clone(),
            limits: config.limits.clone(),
            slots: config.slots,
            faults: config.test_faults,
        })
        .map_err(|reason| OcrError::Engine { page: 0, reason })?;
        Ok(Reader { pool, config })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Reads every page of an envelope: a folder of page files taken in name order
    /// (`envelope.json` and hidden files skipped), or a single PDF or TIFF file (SAMPLES.md).
    ///
    /// All or nothing: the first page that cannot be read (in page order) fails the whole
    /// envelope, which RESULTS.md then reports as `rejected` with the error's sentence. A page
    /// silently dropped would be a document lost, and a split made without it could misfile the
    /// pages around it; a person looks at the envelope instead.
    ///
    /// # Errors
    /// An [`OcrError`] naming the first page that failed and why.
    pub fn read_envelope(&self, path: &Path) -> Result<Vec<PageText>, OcrError> {
        let files = envelope_files(path)?;
        let max_total = self.config.limits.max_envelope_bytes;
        let mut inputs = Vec::with_capacity(files.len());
        let mut total = 0u64;
        for file in files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // Pages before this file are not counted yet: an error here names the file's first
            // page once the earlier files are probed (in `read_inputs`).
            if file.is_dir() {
                let reason =
                    format!("the envelope holds a folder, {name}, where page files are expected");
                inputs.push(Err((
                    name,
                    Pending::Fault(Fault::new(0, FaultKind::Unsupported, reason)),
                )));
                continue;
            }
            let bytes = match read_limited(&file, self.config.limits.max_file_bytes) {
                Ok(b) => b,
                Err(e) => {
                    inputs.push(Err((name, e)));
                    continue;
                }
            };
            total += bytes.len() as u64;
            if total > max_total {
                let reason = format!(
                    "the envelope holds more than {} MB of files, the limit",
                    max_total >> 20
                );
                inputs.push(Err((
                    name,
                    Pending::Fault(Fault::new(0, FaultKind::Limit, reason)),
                )));
                break;
            }
            inputs.push(Ok((name.clone(), FileKind::from_path(&file), bytes)));
        }
        self.read_inputs(inputs)
    }

    /// Reads the pages of one file held in memory; `kind` is what the file claims to be (from
    /// its name or MIME type). The bytes decide when they are clearly another supported format;
    /// when they are none, the error says what they look like.
    ///
    /// # Errors
    /// As [`Reader::read_envelope`].
    pub fn read_bytes(&self, bytes: &[u8], kind: FileKind) -> Result<Vec<PageText>, OcrError> {
        if bytes.len() as u64 > self.config.limits.max_file_bytes {
            return Err(OcrError::OverLimit {
                page: 1,
                file: String::new(),
                reason: file_too_large(bytes.len() as u64, self.config.limits.max_file_bytes),
            });
        }
        self.read_inputs(vec![Ok((String::new(), Some(kind), bytes.to_vec()))])
    }

    #[doc(hidden)]
    /// Test hook: asks a worker to misbehave, to prove the pool survives it. Needs
    /// `Config::test_faults`.
    pub fn misbehave(&self, how: Misbehaviour) -> Result<(), OcrError> {
        match self.pool.call(
            &Request::Misbehave { how },
            &[],
            self.config.limits.page_timeout,
        ) {
            Ok((Response::Fault(f), _)) => Err(fault_error(f, 1, "")),
            Ok(_) => Ok(()),
            Err(e) => Err(call_error(e, 1, "", self.config.limits.page_timeout)),
        }
    }

    fn read_inputs(
        &self,
        inputs: Vec<Result<RawInput, (String, Pending)>>,
    ) -> Result<Vec<PageText>, OcrError> {
        // Identify every file from its bytes, then probe them all (in parallel).
        let inputs: Vec<Result<Input, (String, Pending)>> = inputs
            .into_iter()
            .map(|r| {
                r.and_then(
                    |(name, declared, bytes)| match identify(&bytes, declared, &name) {
                        Ok(kind) => Ok(Input { name, kind, bytes }),
                        Err(f) => Err((name, Pending::Fault(f))),
                    },
                )
            })
            .collect();
        if inputs.is_empty() {
            return Err(OcrError::Damaged {
                page: 1,
                file: String::new(),
                reason: "the envelope holds no page file".into(),
            });
        }
        let limits = &self.config.limits;
        let probes: Vec<Option<Result<Vec<PageInfo>, Pending>>> =
            parallel(inputs.len(), self.pool.slots(), |i| match &inputs[i] {
                Err(_) => Err(Pending::Skip),
                Ok(input) => match self.pool.call(
                    &Request::Probe { kind: input.kind },
                    &input.bytes,
                    limits.page_timeout,
                ) {
                    Ok((Response::Probed { pages }, _)) => Ok(pages),
                    Ok((Response::Fault(f), _)) => Err(Pending::Fault(f)),
                    Ok(_) => Err(Pending::Fault(Fault::new(
                        0,
                        FaultKind::Engine,
                        "the OCR worker gave an unexpected answer",
                    ))),
                    Err(e) => Err(Pending::Call(e)),
                },
            });
        // Number the pages; the first file that failed (in order) fails the envelope.
        let mut jobs: Vec<(usize, u32, u32)> = Vec::new();
        let mut next_page = 1u32;
        for (i, (input, probe)) in inputs.iter().zip(probes).enumerate() {
            let pending = match (input, probe) {
                (Err((name, p)), _) => Some((name.as_str(), p.clone_reason())),
                (Ok(input), Some(Err(p))) => Some((input.name.as_str(), p)),
                (Ok(input), None) => Some((
                    input.name.as_str(),
                    Pending::Fault(Fault::new(0, FaultKind::Engine, "the file was not probed")),
                )),
                (Ok(_), Some(Ok(pages))) => {
                    for index in 0..pages.len() as u32 {
                        jobs.push((i, index, next_page));
                        next_page += 1;
                    }
                    None
                }
            };
            if let Some((name, p)) = pending {
                return Err(p.into_error(next_page, name, limits.page_timeout));
            }
            if next_page - 1 > limits.max_pages {
                return Err(OcrError::OverLimit {
                    page: limits.max_pages + 1,
                    file: input.as_ref().map(|i| i.name.clone()).unwrap_or_default(),
                    reason: format!(
                        "the envelope has more than {} pages, the limit",
                        limits.max_pages
                    ),
                });
            }
        }
        // Read the pages, in parallel over the slots; stop early on the first failure.
        let inputs: Vec<&Input> = inputs.iter().filter_map(|r| r.as_ref().ok()).collect();
        let results = parallel(jobs.len(), self.pool.slots(), |j| {
            let (file, index, page) = jobs[j];
            let input = inputs[file];
            let r = self.pool.call(
                &Request::Page {
                    kind: input.kind,
                    index,
                },
                &input.bytes,
                limits.page_timeout,
            );
            match r {
                Ok((Response::Page(mut p), busy)) => {
                    p.page = page;
                    p.elapsed_ms = busy.as_millis() as u64;
                    tracing::debug!(page, source = ?p.source, elapsed_ms = p.elapsed_ms, "page read");
                    Ok(*p)
                }
                Ok((Response::Fault(f), _)) => Err(fault_error(f, page - index, &input.name)),
                Ok(_) => Err(OcrError::Engine {
                    page,
                    reason: "the OCR worker gave an unexpected answer".into(),
                }),
                Err(e) => Err(call_error(e, page, &input.name, limits.page_timeout)),
            }
        });
        let mut pages = Vec::with_capacity(results.len());
        for (j, r) in results.into_iter().enumerate() {
            match r {
                Some(Ok(p)) => pages.push(p),
                Some(Err(e)) => {
                    tracing::warn!(page = e.page(), kind = e.kind(), "page not read");
                    return Err(e);
                }
                None => {
                    return Err(OcrError::Engine {
                        page: jobs[j].2,
                        reason: "the page was not read".into(),
                    });
                }
            }
        }
        Ok(pages)
    }
}

/// An error found before the page numbers are known.
enum Pending {
    Fault(Fault),
    Call(CallError),
    Io(std::io::Error),
    /// Skipped because the file already failed.
    Skip,
}

impl Pending {
    fn clone_reason(&self) -> Pending {
        match self {
            Pending::Fault(f) => Pending::Fault(f.clone()),
            Pending::Io(e) => Pending::Io(std::io::Error::new(e.kind(), e.to_string())),
            Pending::Call(CallError::Timeout) => Pending::Call(CallError::Timeout),
            Pending::Call(CallError::Crashed(c)) => Pending::Call(CallError::Crashed(c.clone())),
            Pending::Call(CallError::Start(c)) => Pending::Call(CallError::Start(c.clone())),
            Pending::Skip => Pending::Skip,
        }
    }

    /// The error, for a file whose first page is `first_page`.
    fn into_error(self, first_page: u32, file: &str, timeout: std::time::Duration) -> OcrError {
        match self {
            Pending::Fault(f) => fault_error(f, first_page, file),
            Pending::Call(e) => call_error(e, first_page, file, timeout),
            Pending::Io(source) => OcrError::Io {
                page: first_page,
                file: file.to_string(),
                source,
            },
            Pending::Skip => OcrError::Engine {
                page: first_page,
                reason: "the file was skipped".into(),
            },
        }
    }
}

fn fault_error(f: Fault, first_page: u32, file: &str) -> OcrError {
    let page = first_page + f.index;
    let file = file.to_string();
    match f.kind {
        FaultKind::Unsupported => OcrError::Unsupported {
            page,
            file,
            reason: f.reason,
        },
        FaultKind::Damaged => OcrError::Damaged {
            page,
            file,
            reason: f.reason,
        },
        FaultKind::Limit => OcrError::OverLimit {
            page,
            file,
            reason: f.reason,
        },
        FaultKind::Engine => OcrError::Engine {
            page,
            reason: f.reason,
        },
    }
}

fn call_error(e: CallError, page: u32, file: &str, limit: std::time::Duration) -> OcrError {
    let file = file.to_string();
    match e {
        CallError::Timeout => OcrError::Timeout { page, file, limit },
        CallError::Crashed(cause) => OcrError::Crashed { page, file, cause },
        CallError::Start(reason) => OcrError::Engine { page, reason },
    }
}

fn file_too_large(len: u64, max: u64) -> String {
    format!(
        "the file is {:.1} MB, over the {} MB limit",
        len as f64 / 1e6,
        max / 1_000_000
    )
}

/// Reads a file, refusing it when larger than `max` (checked before reading, and again while
/// reading, since the file may grow).
fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, Pending> {
    use std::io::Read as _;
    let f = std::fs::File::open(path).map_err(Pending::Io)?;
    let len = f.metadata().map_err(Pending::Io)?.len();
    if len > max {
        return Err(Pending::Fault(Fault::new(
            0,
            FaultKind::Limit,
            file_too_large(len, max),
        )));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    f.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(Pending::Io)?;
    if bytes.len() as u64 > max {
        return Err(Pending::Fault(Fault::new(
            0,
            FaultKind::Limit,
            file_too_large(bytes.len() as u64, max),
        )));
    }
    Ok(bytes)
}

/// The files of an envelope, in page order.
fn envelope_files(path: &Path) -> Result<Vec<PathBuf>, OcrError> {
    let io = |source| OcrError::Io {
        page: 1,
        file: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "envelope.json" {
            continue;
        }
        files.push(entry.path());
    }
    files.sort();
    Ok(files)
}

/// The kind to read a file as: what its bytes are, when they are one of ours.
fn identify(bytes: &[u8], declared: Option<FileKind>, name: &str) -> Result<FileKind, Fault> {
    if let Some(kind) = sniff(bytes) {
        return Ok(kind);
    }
    let reason = match (bytes.is_empty(), declared) {
        (true, _) => "the file is empty".to_string(),
        (false, Some(kind)) => format!("the file is not {} ({})", kind_name(kind), describe(bytes)),
        (false, None) if name.is_empty() => {
            format!("the file is not an image or a PDF ({})", describe(bytes))
        }
        (false, None) => format!(
            "the file {name} is not an image or a PDF ({})",
            describe(bytes)
        ),
    };
    let kind = if bytes.is_empty() {
        FaultKind::Damaged
    } else {
        FaultKind::Unsupported
    };
    Err(Fault::new(0, kind, reason))
}

/// Runs `f` over `0..n` on up to `threads` threads, in index order per thread; after the first
/// `Err`, items not yet started are left `None`.
fn parallel<T: Send, E: Send>(
    n: usize,
    threads: usize,
    f: impl Fn(usize) -> Result<T, E> + Sync,
) -> Vec<Option<Result<T, E>>> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let slots: Vec<std::sync::Mutex<Option<Result<T, E>>>> =
        (0..n).map(|_| std::sync::Mutex::new(None)).collect();
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n || stop.load(Ordering::Relaxed) {
                break;
            }
            let r = f(i);
            if r.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
            *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
        }
    };
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
        .collect()
}
