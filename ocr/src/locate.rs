//! Finding the worker program.

use std::path::{Path, PathBuf};

/// The worker binary's name.
pub const WORKER_BIN: &str = "mailroom-ocr-worker";
/// Environment variable naming the worker program, overriding the search.
pub const WORKER_PATH_ENV: &str = "MAILROOM_OCR_WORKER";

/// The program to start workers from, in this order: the configured path; `$MAILROOM_OCR_WORKER`;
/// this very executable when it called [`crate::run_if_worker`]; `mailroom-ocr-worker` next to
/// this executable or one folder up (test and bench binaries live in `target/<profile>/deps/`,
/// the worker in `target/<profile>/`); `mailroom-ocr-worker` on the `PATH`.
pub(crate) fn worker_exe(configured: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = configured {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(WORKER_PATH_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let me = std::env::current_exe()
        .map_err(|e| format!("cannot tell which program is running ({e})"))?;
    if crate::worker::host_is_worker() {
        return Ok(me);
    }
    let dir = me.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut looked = Vec::new();
    for d in [Some(dir.as_path()), dir.parent()].into_iter().flatten() {
        let p = d.join(WORKER_BIN);
        if p.is_file() {
            return Ok(p);
        }
        looked.push(d.display().to_string());
    }
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            let p = d.join(WORKER_BIN);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(format!(
        "the OCR worker program {WORKER_BIN} was not found (looked in {} and on the PATH); build it with `cargo build --release --workspace` or name it in {WORKER_PATH_ENV}",
        looked.join(", ")
    ))
}
