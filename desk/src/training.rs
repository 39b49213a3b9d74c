//! Corrections as training data for `mailroom train` (#4), which reads sample sets
//! (SAMPLES.md): every envelope whose documents were all approved at the desk is written as
//! `envelopes/<name>/` (its files as scanned, with an `envelope.json` giving the reception
//! time) and `truth/<name>.json` (the documents, pages and fields as the clerks validated
//! them). `corrections.jsonl` beside them lists each correction, before and after, NIR and
//! IBAN masked. The set holds health data: keep it where the store is kept.

use std::io::Write as _;
use std::path::Path;

use mailroom_store::Store;
use mailroom_store::desk::{is_secret, mask};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

use crate::error::DeskError;

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainingExport {
    pub envelopes: usize,
    pub corrections: usize,
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> DeskError {
    move |source| DeskError::Io { context, source }
}

fn safe_name(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('.') && !s.contains(['/', '\\', '\0']) && s.len() <= 200
}

/// Writes the validated envelopes as a sample set in `out`, and the corrections.
///
/// # Errors
/// [`DeskError::Store`] when the store fails; [`DeskError::Io`] when a file cannot be written.
pub async fn export_training_set(store: &Store, out: &Path) -> Result<TrainingExport, DeskError> {
    let envelopes = out.join("envelopes");
    let truth_dir = out.join("truth");
    for d in [&envelopes, &truth_dir] {
        std::fs::create_dir_all(d).map_err(io(format!("creating {}", d.display())))?;
    }
    let truths = store.desk_validated_truths().await?;
    let mut written = 0;
    for (id, mut truth) in truths {
        let mut name = truth.envelope.clone();
        if !safe_name(&name) || envelopes.join(&name).exists() {
            name = id.as_str().to_string();
        }
        truth.envelope = name.clone();
        let dir = envelopes.join(&name);
        std::fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
        for (i, f) in store.files(&id).await?.into_iter().enumerate() {
            let file = if safe_name(&f.name) {
                f.name.clone()
            } else {
                format!("{:03}.bin", i + 1)
            };
            std::fs::write(dir.join(&file), &f.bytes)
                .map_err(io(format!("writing {}", dir.join(&file).display())))?;
        }
        let info = store.info(&id).await?;
        let meta = serde_json::json!({
            "received_at": info.received_at.format(&Rfc3339).unwrap_or_default(),
            "scanner": info.source,
        });
        std::fs::write(dir.join("envelope.json"), format!("{meta:#}\n"))
            .map_err(io(format!("writing {}", dir.display())))?;
        let path = truth_dir.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(&truth).unwrap_or_default();
        std::fs::write(&path, text + "\n").map_err(io(format!("writing {}", path.display())))?;
        written += 1;
    }
    let corrections = store.desk_corrections(u32::MAX).await?;
    let path = out.join("corrections.jsonl");
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(&path).map_err(io(format!("creating {}", path.display())))?,
    );
    for mut c in corrections.iter().cloned() {
        if is_secret(&c.field) {
            for v in [&mut c.before, &mut c.after].into_iter().flatten() {
                if let Value::String(s) = v {
                    *v = Value::String(mask(s));
                }
            }
        }
        let line = serde_json::to_string(&c).unwrap_or_default();
        writeln!(f, "{line}").map_err(io(format!("writing {}", path.display())))?;
    }
    f.flush()
        .map_err(io(format!("writing {}", path.display())))?;
    Ok(TrainingExport {
        envelopes: written,
        corrections: corrections.len(),
    })
}
