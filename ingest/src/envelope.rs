//! Reading one envelope from disk, with every intake rule checked before bytes are read.

use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use mailroom_store::EnvelopeFile;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::IngestError;

/// Bounds on what one envelope may hold, checked before its bytes are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file.
    pub max_file_bytes: u64,
    /// Largest envelope, all files together.
    pub max_envelope_bytes: u64,
    /// Most files in one envelope.
    pub max_files: u32,
}

impl From<&mailroom_ocr::Limits> for Limits {
    /// The OCR stage's own bounds: a file it would refuse is refused at the door, before it
    /// takes space in the store. One file holds at least one page, so a page limit bounds the
    /// file count too.
    fn from(l: &mailroom_ocr::Limits) -> Self {
        Limits {
            max_file_bytes: l.max_file_bytes,
            max_envelope_bytes: l.max_envelope_bytes,
            max_files: l.max_pages,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from(&mailroom_ocr::Limits::default())
    }
}

/// An envelope read from disk, not stored yet.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The folder name, or the file name without extension.
    pub name: String,
    /// From `envelope.json`, when the scanner wrote one.
    pub received_at: Option<OffsetDateTime>,
    /// From `envelope.json`, when the scanner wrote one.
    pub scanner: Option<String>,
    /// The page files, in name order.
    pub files: Vec<EnvelopeFile>,
}

/// The metadata file a scanner may put in an envelope folder (SAMPLES.md).
const METADATA: &str = "envelope.json";
/// Largest metadata file read.
const MAX_METADATA_BYTES: u64 = 64 * 1024;

/// Checks that a file name from a scanner or an upload is a plain name, never a path: not
/// empty, at most 255 bytes, no `/`, `\` or `:`, no leading `.` (hidden files, `.`, `..`),
/// no control character.
///
/// # Errors
/// [`IngestError::Refused`] saying what is wrong with the name.
pub fn check_file_name(name: &str) -> Result<(), IngestError> {
    let refuse = |why: &str| {
        Err(IngestError::Refused(format!(
            "the file name {:?} is refused: {why}",
            name.chars().take(80).collect::<String>()
        )))
    };
    if name.is_empty() {
        return refuse("it is empty");
    }
    if name.len() > 255 {
        return refuse("it is longer than 255 bytes");
    }
    if name.contains(['/', '\\']) {
        return refuse("a file name cannot hold a path (no / or \\)");
    }
    if name.contains(':') {
        return refuse("a file name cannot hold a drive or stream (no :)");
    }
    if name.starts_with('.') {
        return refuse("it starts with a dot (hidden files, . and .. are not pages)");
    }
    if name.chars().any(char::is_control) {
        return refuse("it holds control characters");
    }
    Ok(())
}

/// Checks an envelope name (a folder or file name, or an upload's `name` field) by the same
/// rules as [`check_file_name`].
///
/// # Errors
/// [`IngestError::Refused`].
pub fn check_envelope_name(name: &str) -> Result<(), IngestError> {
    check_file_name(name).map_err(|e| IngestError::Refused(format!("envelope name: {e}")))
}

fn file_name_of(path: &Path) -> Result<String, IngestError> {
    let name = path
        .file_name()
        .ok_or_else(|| IngestError::Refused(format!("{} names no file", path.display())))?;
    name.to_str().map(str::to_string).ok_or_else(|| {
        IngestError::Refused(format!(
            "the name {} is not valid UTF-8",
            name.to_string_lossy()
        ))
    })
}

/// Reads the envelope at `path`: a folder of page files (taken in name order, hidden files
/// and markers skipped, `envelope.json` read as metadata), or a single file. Links, nested
/// folders, bad names, and files or envelopes over [`Limits`] are refused.
///
/// # Errors
/// [`IngestError::Refused`] with the operator's sentence; [`IngestError::Io`].
pub fn load_path(path: &Path, limits: &Limits) -> Result<Loaded, IngestError> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| IngestError::io(path, e))?;
    let name = file_name_of(path)?;
    if meta.file_type().is_symlink() {
        return Err(IngestError::Refused(format!(
            "{name} is a symbolic link; links are refused, copy the envelope itself"
        )));
    }
    if meta.is_file() {
        check_file_name(&name)?;
        let stem = Path::new(&name)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(&name)
            .to_string();
        let bytes = read_file(path, &name, limits.max_file_bytes)?;
        if bytes.len() as u64 > limits.max_envelope_bytes {
            return Err(over_envelope(limits));
        }
        return Ok(Loaded {
            name: stem,
            received_at: None,
            scanner: None,
            files: vec![EnvelopeFile { name, bytes }],
        });
    }
    if !meta.is_dir() {
        return Err(IngestError::Refused(format!(
            "{name} is neither a file nor a folder"
        )));
    }
    check_envelope_name(&name)?;
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| IngestError::io(path, e))? {
        let entry = entry.map_err(|e| IngestError::io(path, e))?;
        let entry_name = file_name_of(&entry.path())?;
        if entry_name.starts_with('.') {
            continue;
        }
        let ft = entry
            .file_type()
            .map_err(|e| IngestError::io(entry.path(), e))?;
        if ft.is_symlink() {
            return Err(IngestError::Refused(format!(
                "the envelope {name} holds a symbolic link, {entry_name}; links are refused"
            )));
        }
        if ft.is_dir() {
            return Err(IngestError::Refused(format!(
                "the envelope {name} holds a folder, {entry_name}, where page files are expected"
            )));
        }
        if !ft.is_file() {
            return Err(IngestError::Refused(format!(
                "the envelope {name} holds {entry_name}, which is not a regular file"
            )));
        }
        entries.push(entry_name);
    }
    entries.sort();
    let mut received_at = None;
    let mut scanner = None;
    let mut files = Vec::new();
    let mut total = 0u64;
    for entry_name in entries {
        let p = path.join(&entry_name);
        if entry_name == METADATA {
            let bytes = read_file(&p, &entry_name, MAX_METADATA_BYTES)?;
            let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
                IngestError::Refused(format!(
                    "the envelope {name} has an envelope.json that is not valid JSON ({e})"
                ))
            })?;
            if let Some(t) = v.get("received_at").and_then(|t| t.as_str()) {
                received_at = Some(OffsetDateTime::parse(t, &Rfc3339).map_err(|_| {
                    IngestError::Refused(format!(
                        "the envelope {name} has a received_at that is not an RFC 3339 time"
                    ))
                })?);
            }
            scanner = v
                .get("scanner")
                .and_then(|s| s.as_str())
                .map(str::to_string);
            continue;
        }
        check_file_name(&entry_name)?;
        if files.len() as u32 >= limits.max_files {
            return Err(IngestError::Refused(format!(
                "the envelope {name} holds more than {} files, the limit",
                limits.max_files
            )));
        }
        let bytes = read_file(&p, &entry_name, limits.max_file_bytes)?;
        total += bytes.len() as u64;
        if total > limits.max_envelope_bytes {
            return Err(over_envelope(limits));
        }
        files.push(EnvelopeFile {
            name: entry_name,
            bytes,
        });
    }
    if files.is_empty() {
        return Err(IngestError::Refused(format!(
            "the envelope {name} holds no page file"
        )));
    }
    Ok(Loaded {
        name,
        received_at,
        scanner,
        files,
    })
}

fn over_envelope(limits: &Limits) -> IngestError {
    IngestError::Refused(format!(
        "the envelope holds more than {} MB of files, the limit",
        limits.max_envelope_bytes / 1_000_000
    ))
}

/// Reads a file without following a link (`O_NOFOLLOW`: a file swapped for a link after it
/// was listed is refused too), refusing it when larger than `max`, checked before and while
/// reading.
fn read_file(path: &Path, name: &str, max: u64) -> Result<Vec<u8>, IngestError> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                IngestError::Refused(format!("{name} is a symbolic link; links are refused"))
            } else {
                IngestError::io(path, e)
            }
        })?;
    let too_large = |len: u64| {
        IngestError::Refused(format!(
            "the file {name} is {:.1} MB, over the {} MB limit",
            len as f64 / 1e6,
            max / 1_000_000
        ))
    };
    let len = f.metadata().map_err(|e| IngestError::io(path, e))?.len();
    if len > max {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    f.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| IngestError::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}
