//! Benchmarks live in `benches/benches/`; this library holds what they share.

use std::path::{Path, PathBuf};

/// The envelopes of a sample set (`SET/envelopes/*`), in name order.
///
/// # Errors
/// When the folder cannot be listed.
pub fn envelopes(set: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(set.join("envelopes"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    v.sort();
    Ok(v)
}
