//! What the parent and a worker process say to each other over the worker's stdin and stdout.
//!
//! A frame is a little-endian `u32` length and a JSON header, then a `u32` length and a binary
//! payload (the file's bytes for a request, empty otherwise). Lengths are checked against a cap
//! before anything is allocated, so a confused peer cannot make the other side allocate
//! gigabytes.

use crate::page::{PageText, Source};
use crate::{FileKind, Limits, Settings};
use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};

/// Fingerprint of the message types: a worker program from another build (a stale
/// `mailroom-ocr-worker` next to a fresh `mailroom`) is refused at start with a clear error
/// rather than misread.
pub(crate) const PROTOCOL: u64 = fnv(include_bytes!("protocol.rs"))
    ^ fnv(include_bytes!("lib.rs")).rotate_left(1)
    ^ fnv(include_bytes!("page.rs")).rotate_left(2);

const fn fnv(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}

/// The largest header either side accepts (a page's words fit many times over).
const MAX_HEADER: usize = 64 << 20;

/// Parent → worker.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Request {
    /// First message: load the engine with these settings. Answered by `Ready` or `Fault`.
    Init { settings: Settings, limits: Limits },
    /// Count and check the pages of a file (payload: the file). Answered by `Probed` or `Fault`.
    Probe { kind: FileKind },
    /// Read one page (0-based within the file; payload: the file). Answered by `Page` or `Fault`.
    Page { kind: FileKind, index: u32 },
    /// Test hook: misbehave on purpose (only honoured when the worker was started with
    /// `MAILROOM_OCR_FAULTS=1`), to prove the supervisor copes.
    Misbehave { how: Misbehaviour },
}

/// The ways a worker can fail that the supervisor must survive.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Dereferences a null pointer (SIGSEGV).
    Segfault,
    /// Calls `abort()` (SIGABRT), as a failed C++ assertion does.
    Abort,
    /// Recurses until the stack overflows.
    StackOverflow,
    /// Spins forever.
    Loop,
    /// Allocates until the memory limit stops it.
    Allocate,
    /// Panics (caught in the worker: answered as a fault, the worker lives on).
    Panic,
}

/// Worker → parent.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Response {
    /// The engine is loaded; `protocol` is the worker's [`PROTOCOL`].
    Ready {
        protocol: u64,
    },
    Probed {
        pages: Vec<PageInfo>,
    },
    Page(Box<PageText>),
    Fault(Fault),
}

/// What a probe learns about a page without decoding its pixels.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PageInfo {
    pub width: u32,
    pub height: u32,
    pub source: Source,
}

/// Why a worker could not do what it was asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Fault {
    /// 0-based page within the file.
    pub index: u32,
    pub kind: FaultKind,
    /// A sentence for the operator, without the page number (the parent adds it).
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) enum FaultKind {
    /// Not a format we read.
    Unsupported,
    /// A format we read, but broken.
    Damaged,
    /// Over a configured limit.
    Limit,
    /// The engine or the machine failed, not the page.
    Engine,
}

impl Fault {
    pub(crate) fn new(index: u32, kind: FaultKind, reason: impl Into<String>) -> Fault {
        Fault {
            index,
            kind,
            reason: reason.into(),
        }
    }
}

/// Writes one frame.
pub(crate) fn write_frame<T: Serialize>(
    w: &mut impl Write,
    header: &T,
    payload: &[u8],
) -> io::Result<()> {
    let h = serde_json::to_vec(header).map_err(io::Error::other)?;
    let hl = u32::try_from(h.len()).map_err(io::Error::other)?;
    let pl = u32::try_from(payload.len()).map_err(io::Error::other)?;
    w.write_all(&hl.to_le_bytes())?;
    w.write_all(&h)?;
    w.write_all(&pl.to_le_bytes())?;
    w.write_all(payload)?;
    w.flush()
}

/// Reads one frame; `Ok(None)` on a clean end of stream before the frame starts.
pub(crate) fn read_frame<T: for<'de> Deserialize<'de>>(
    r: &mut impl Read,
    max_payload: usize,
) -> io::Result<Option<(T, Vec<u8>)>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let hl = u32::from_le_bytes(len) as usize;
    if hl > MAX_HEADER {
        return Err(io::Error::other(format!("frame header of {hl} bytes")));
    }
    let mut h = vec![0u8; hl];
    r.read_exact(&mut h)?;
    r.read_exact(&mut len)?;
    let pl = u32::from_le_bytes(len) as usize;
    if pl > max_payload {
        return Err(io::Error::other(format!("frame payload of {pl} bytes")));
    }
    let mut payload = vec![0u8; pl];
    r.read_exact(&mut payload)?;
    let header = serde_json::from_slice(&h).map_err(io::Error::other)?;
    Ok(Some((header, payload)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let mut buf = Vec::new();
        write_frame(
            &mut buf,
            &Request::Page {
                kind: FileKind::Tiff,
                index: 3,
            },
            b"abc",
        )
        .unwrap();
        let (req, payload): (Request, Vec<u8>) =
            read_frame(&mut buf.as_slice(), 10).unwrap().unwrap();
        assert!(matches!(
            req,
            Request::Page {
                kind: FileKind::Tiff,
                index: 3
            }
        ));
        assert_eq!(payload, b"abc");
        assert!(
            read_frame::<Request>(&mut buf.as_slice(), 2).is_err(),
            "payload over the cap"
        );
        assert!(read_frame::<Request>(&mut &[][..], 10).unwrap().is_none());
    }
}
