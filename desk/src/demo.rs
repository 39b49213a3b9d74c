//! Demo documents for the desk without running the OCR: an envelope of a generated sample set
//! (SAMPLES.md) stored as the pipeline would have left it, its fields taken from the set's
//! truth and their boxes from its `meta/`. Tests and demos use it; the pipeline never does.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use mailroom_domain::{EnvelopeId, EnvelopeResult, FieldResult, ResultDocument, Status, Truth};
use mailroom_ocr::{PageText, Source, Timings};
use mailroom_store::{Claim, EnvelopeFile, NewEnvelope, Received, Store};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::DeskError;

fn bad(what: String) -> DeskError {
    DeskError::Io {
        context: what,
        source: std::io::Error::from(std::io::ErrorKind::InvalidData),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, DeskError> {
    std::fs::read(path).map_err(|source| DeskError::Io {
        context: format!("reading {}", path.display()),
        source,
    })
}

/// Stores envelope `name` of the sample set `set` awaiting validation, as if read by the
/// pipeline: fields from the truth (confidence 0.97), boxes from `meta/`. `tamper` replaces
/// field values (confidence 0.4), to give a clerk something to correct. An envelope already
/// stored is left as it is. Returns its id.
///
/// # Errors
/// [`DeskError::Io`] when the set cannot be read; [`DeskError::Store`].
pub async fn seed_from_sample(
    store: &Store,
    set: &Path,
    name: &str,
    tamper: &[(&str, Value)],
) -> Result<EnvelopeId, DeskError> {
    let truth: Truth = serde_json::from_slice(&read(&set.join(format!("truth/{name}.json")))?)
        .map_err(|e| bad(format!("truth of {name}: {e}")))?;
    let meta: Value = serde_json::from_slice(&read(&set.join(format!("meta/{name}.json")))?)
        .map_err(|e| bad(format!("meta of {name}: {e}")))?;
    let received_at = meta["received_at"]
        .as_str()
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
        .unwrap_or_else(OffsetDateTime::now_utc);
    let dir = set.join("envelopes").join(name);
    let mut files = Vec::new();
    if dir.is_dir() {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map_err(|source| DeskError::Io {
                context: format!("listing {}", dir.display()),
                source,
            })?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "envelope.json" && !n.starts_with('.'))
            .collect();
        names.sort();
        for n in names {
            files.push(EnvelopeFile {
                bytes: read(&dir.join(&n))?,
                name: n,
            });
        }
    } else {
        for ext in ["pdf", "tif", "tiff"] {
            let p = set.join("envelopes").join(format!("{name}.{ext}"));
            if p.is_file() {
                files.push(EnvelopeFile {
                    name: format!("{name}.{ext}"),
                    bytes: read(&p)?,
                });
                break;
            }
        }
    }
    let id = match store
        .receive(&NewEnvelope {
            name: name.to_string(),
            source: "demo".into(),
            received_at,
            files,
        })
        .await?
    {
        Received::New(id) | Received::Duplicate(id) => id,
    };
    match store
        .claim(&id, "desk-demo", Duration::from_secs(60))
        .await?
    {
        Claim::Claimed { .. } => {}
        _ => return Ok(id),
    }
    let meta_pages = meta["pages"].as_array().cloned().unwrap_or_default();
    // Pages in envelope order; the meta's second `page` key is the page within its document,
    // so the envelope page is the position in the list.
    let pages = meta_pages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let blank = p["kind"].as_str() != Some("content");
            // Through serde, so that fields the reader adds later take their defaults.
            serde_json::from_value::<PageText>(serde_json::json!({
                "page": i + 1,
                "text": "",
                "words": [],
                "confidence": if blank { 0.0 } else { 0.9 },
                "rotation": 0,
                "deskew_deg": 0.0,
                "blank": blank,
                "source": if blank { Source::Blank } else { Source::Ocr },
                "elapsed_ms": 0,
                "width": p["width"].as_u64().unwrap_or(1654),
                "height": p["height"].as_u64().unwrap_or(2339),
                "dpi": p["dpi"].as_u64().unwrap_or(200),
                "timings": Timings::default(),
            }))
            .map_err(|e| bad(format!("page of {name}: {e}")))
        })
        .collect::<Result<Vec<PageText>, DeskError>>()?;
    // Where each field of each document is printed.
    let mut boxes: BTreeMap<(u64, String), (u32, [u32; 4])> = BTreeMap::new();
    for (i, p) in meta_pages.iter().enumerate() {
        let doc = p["doc"].as_u64().unwrap_or(0);
        let page = i as u32 + 1;
        for f in p["fields"].as_array().into_iter().flatten() {
            let (Some(key), Some(b)) = (f["key"].as_str(), f["bbox"].as_array()) else {
                continue;
            };
            let c = |i: usize| b.get(i).and_then(Value::as_u64).unwrap_or(0) as u32;
            boxes
                .entry((doc, key.to_string()))
                .or_insert((page, [c(0), c(1), c(2), c(3)]));
        }
    }
    let documents = truth
        .documents
        .iter()
        .enumerate()
        .map(|(n, d)| {
            let fields = d
                .fields
                .iter()
                .map(|(k, v)| {
                    let tampered = tamper.iter().find(|(t, _)| t == k);
                    let value = tampered
                        .map(|(_, v)| v.clone())
                        .unwrap_or_else(|| v.clone());
                    let (page, bbox) = boxes
                        .get(&(n as u64, k.clone()))
                        .copied()
                        .unwrap_or((d.pages.first().copied().unwrap_or(1), [0; 4]));
                    let valid = mailroom_domain::validate::check_field(d.class, k, &value).is_ok();
                    (
                        k.clone(),
                        FieldResult {
                            value,
                            confidence: if tampered.is_some() { 0.4 } else { 0.97 },
                            valid,
                            page,
                            bbox,
                        },
                    )
                })
                .collect();
            ResultDocument {
                class: d.class,
                confidence: 0.95,
                pages: d.pages.clone(),
                fields,
            }
        })
        .collect();
    let result = EnvelopeResult {
        envelope: name.to_string(),
        status: Status::Processed,
        error: None,
        pages: pages.len() as u32,
        blank_pages: truth.blank_pages.clone(),
        documents,
    };
    let routes = mailroom_workers::routing::routes(&result, received_at.date());
    store.complete(&id, &result, &pages, &routes).await?;
    Ok(id)
}
