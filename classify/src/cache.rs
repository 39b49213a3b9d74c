//! Reading envelopes, with an optional cache of what was read.
//!
//! Reading a page costs about a second; qualifying it, a few milliseconds. Evaluating and
//! training go over the same sample sets many times, so the pages of an envelope can be kept
//! as JSON in a cache folder, under a key that hashes the envelope's file names and bytes: a
//! changed file is read again, an unchanged one never.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mailroom_ocr::{Config, OcrError, Reader};

use crate::page::ReadPage;

use crate::error::ClassifyError;

/// Where pages come from: the OCR stage, through the cache when there is one.
pub struct PageSource {
    config: Config,
    cache: Option<PathBuf>,
    reader: OnceLock<Result<Reader, String>>,
}

/// The files of an envelope in page order: a folder's page files by name (`envelope.json`
/// and hidden files skipped), or the envelope's single file.
pub fn envelope_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                p.is_file() && !name.starts_with('.') && name != "envelope.json"
            })
            .collect();
        files.sort();
        Ok(files)
    } else {
        Ok(vec![path.to_path_buf()])
    }
}

/// FNV-1a, 64 bits: a stable hash (std's is not promised to stay the same across releases).
fn fnv(h: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *h ^= u64::from(*b);
        *h = h.wrapping_mul(0x0100_0000_01b3);
    }
}

/// What a cached page holds: changed when the OCR stage starts reporting something new
/// (here: check boxes and scribbles), so that pages read before are read again.
const CACHE_FORMAT: &[u8] = b"pages+marks/1";

/// The cache key of an envelope: its name and a hash of its files' names and bytes.
pub fn envelope_key(path: &Path) -> std::io::Result<String> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    fnv(&mut h, CACHE_FORMAT);
    for f in envelope_files(path)? {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        fnv(&mut h, name.as_bytes());
        fnv(&mut h, &std::fs::read(&f)?);
    }
    let stem = envelope_name(path);
    Ok(format!("{stem}-{h:016x}"))
}

/// The envelope's identifier: its folder name, or its file name without extension.
pub fn envelope_name(path: &Path) -> String {
    if path.is_dir() {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        path.file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

impl PageSource {
    /// Pages read with `config`, kept in `cache` when given. The OCR workers start only when
    /// a page must really be read.
    pub fn new(config: Config, cache: Option<PathBuf>) -> Self {
        PageSource {
            config,
            cache,
            reader: OnceLock::new(),
        }
    }

    fn reader(&self) -> Result<&Reader, ClassifyError> {
        self.reader
            .get_or_init(|| Reader::new(self.config.clone()).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| ClassifyError::Ocr(e.clone()))
    }

    /// How many envelopes may usefully be read at once.
    pub fn slots(&self) -> usize {
        self.config.slots.max(1)
    }

    /// The pages of an envelope. The outer error is the run's (OCR cannot start); the inner
    /// one is the envelope's (it cannot be read: RESULTS.md's `rejected`).
    ///
    /// # Errors
    /// [`ClassifyError::Ocr`] when the OCR stage cannot start.
    pub fn read(&self, path: &Path) -> Result<Result<Vec<ReadPage>, OcrError>, ClassifyError> {
        let key = match &self.cache {
            Some(_) => envelope_key(path).ok(),
            None => None,
        };
        if let (Some(dir), Some(k)) = (&self.cache, &key) {
            let f = dir.join(format!("{k}.json"));
            if let Ok(s) = std::fs::read_to_string(&f)
                && let Ok(pages) = serde_json::from_str::<Vec<ReadPage>>(&s)
            {
                return Ok(Ok(pages));
            }
        }
        let r = self
            .reader()?
            .read_envelope(path)
            .map(|pages| pages.iter().map(ReadPage::from).collect::<Vec<_>>());
        if let (Some(dir), Some(k), Ok(pages)) = (&self.cache, &key, &r) {
            // A cache that cannot be written only costs time.
            let _ = store(dir, k, pages);
        }
        if let Err(e) = &r
            && matches!(e, OcrError::Engine { .. })
        {
            return Err(ClassifyError::Ocr(e.to_string()));
        }
        Ok(r)
    }
}

fn store(dir: &Path, key: &str, pages: &[ReadPage]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{key}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    serde_json::to_writer(&mut f, pages)?;
    f.flush()?;
    std::fs::rename(tmp, dir.join(format!("{key}.json")))
}

/// Fills a cache from the output of `mailroom ocr --json` run on a set's envelopes (one
/// line per envelope: `{"path", "pages"}`): for tools that read a set once elsewhere.
///
/// # Errors
/// [`ClassifyError::Io`] when a file cannot be read or written.
pub fn import_ocr_jsonl(jsonl: &Path, cache: &Path) -> Result<usize, ClassifyError> {
    let s = std::fs::read_to_string(jsonl).map_err(|e| ClassifyError::io(jsonl, e))?;
    let mut n = 0;
    for line in s.lines() {
        #[derive(serde::Deserialize)]
        struct Line {
            path: PathBuf,
            pages: Option<Vec<ReadPage>>,
        }
        let l = serde_json::from_str::<Line>(line).map_err(|e| ClassifyError::Format {
            path: jsonl.to_path_buf(),
            line: n + 1,
            message: e.to_string(),
        })?;
        let (Some(pages), Ok(key)) = (l.pages, envelope_key(&l.path)) else {
            continue;
        };
        store(cache, &key, &pages).map_err(|e| ClassifyError::io(cache, e))?;
        n += 1;
    }
    Ok(n)
}
