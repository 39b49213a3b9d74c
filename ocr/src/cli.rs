//! `mailroom ocr FILE... [--json]`: the stage from the command line.

use crate::{Config, Reader};
use std::io::Write;
use std::path::PathBuf;

/// Reads each FILE (a page file, a multi-page PDF or TIFF, or an envelope folder) and prints,
/// per page, a header line and the text; with `json`, one JSON object per FILE and line:
/// `{"path", "pages": [PageText…]}` or `{"path", "error", "page", "retryable"}`.
///
/// A FILE that cannot be read is reported and the others still are.
///
/// # Errors
/// When the OCR workers cannot start, output cannot be written, or any FILE failed (after all
/// were tried), so that the exit status tells.
pub fn ocr_command(files: &[PathBuf], json: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let reader = Reader::new(Config::default())?;
    let mut failed = 0usize;
    for path in files {
        match reader.read_envelope(path) {
            Ok(pages) if json => {
                serde_json::to_writer(
                    &mut *out,
                    &serde_json::json!({ "path": path, "pages": pages }),
                )?;
                writeln!(out)?;
            }
            Ok(pages) => {
                writeln!(out, "== {} ==", path.display())?;
                for p in &pages {
                    writeln!(
                        out,
                        "--- page {} · {} · confidence {:.2} · rotation {}° · {} words · {} ms ---",
                        p.page,
                        serde_json::to_value(p.source)?.as_str().unwrap_or_default(),
                        p.confidence.get(),
                        p.rotation,
                        p.words.len(),
                        p.elapsed_ms
                    )?;
                    if !p.text.is_empty() {
                        writeln!(out, "{}", p.text)?;
                    }
                }
            }
            Err(e) => {
                failed += 1;
                if json {
                    serde_json::to_writer(
                        &mut *out,
                        &serde_json::json!({ "path": path, "error": e.to_string(), "page": e.page(), "retryable": e.retryable() }),
                    )?;
                    writeln!(out)?;
                } else {
                    writeln!(out, "== {} ==\nerror: {e}", path.display())?;
                }
            }
        }
    }
    anyhow::ensure!(
        failed == 0,
        "{failed} of {} files could not be read",
        files.len()
    );
    Ok(())
}
