//! Page images for the document view: the envelope's file decoded (in process: these files
//! were read by the OCR workers already, within the same limits), scaled to at most
//! [`MAX_WIDTH`] pixels wide and sent as PNG. Decoding runs on the blocking pool, at most
//! [`DECODERS`] at a time and bounded in time; the last few images are kept in memory.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailroom_domain::EnvelopeId;
use mailroom_store::Store;
use tokio::sync::Semaphore;

use crate::error::DeskError;

/// Widest image sent: enough to read a page at a comfortable zoom, light enough to flip fast.
pub const MAX_WIDTH: u32 = 1400;
/// Decodes at once (the machine's cores are the OCR's).
pub const DECODERS: usize = 2;
/// Longest a page image may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);
const CACHED: usize = 24;

type Key = (String, u32);

pub(crate) struct Images {
    cache: Mutex<VecDeque<(Key, Arc<Vec<u8>>)>>,
    permits: Semaphore,
}

impl Images {
    pub(crate) fn new() -> Images {
        Images {
            cache: Mutex::new(VecDeque::new()),
            permits: Semaphore::new(DECODERS),
        }
    }

    fn cached(&self, key: &Key) -> Option<Arc<Vec<u8>>> {
        let cache = self.cache.lock().ok()?;
        cache.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    /// The PNG of page `page` (1-based over the envelope).
    pub(crate) async fn page(
        &self,
        store: &Store,
        envelope: &EnvelopeId,
        page: u32,
    ) -> Result<Arc<Vec<u8>>, DeskError> {
        let key = (envelope.as_str().to_string(), page);
        if let Some(png) = self.cached(&key) {
            return Ok(png);
        }
        let fail = |reason: String| DeskError::Image {
            envelope: envelope.as_str().to_string(),
            page,
            reason,
        };
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| fail("closing".into()))?;
        let files = store.files(envelope).await?;
        let job = tokio::task::spawn_blocking(move || render(files, page));
        let png = tokio::time::timeout(TIMEOUT, job)
            .await
            .map_err(|_| fail("took too long".into()))?
            .map_err(|_| fail("decoder crashed".into()))?
            .map_err(fail)?;
        let png = Arc::new(png);
        if let Ok(mut cache) = self.cache.lock() {
            cache.push_back((key, png.clone()));
            while cache.len() > CACHED {
                cache.pop_front();
            }
        }
        Ok(png)
    }
}

/// Decodes the files in order until page `page`, scales it and encodes it.
fn render(files: Vec<mailroom_store::EnvelopeFile>, page: u32) -> Result<Vec<u8>, String> {
    let limits = mailroom_ocr::Limits::default();
    let mut seen = 0u32;
    for f in files {
        if f.name == "envelope.json" {
            continue;
        }
        let pages = match mailroom_ocr::decode_pages_in_process(&f.bytes, &limits) {
            Ok(p) => p,
            Err(_) => continue,
        };
        let n = pages.len() as u32;
        if page > seen && page <= seen + n {
            let (img, _dpi) = pages
                .into_iter()
                .nth((page - seen - 1) as usize)
                .ok_or("page missing")?;
            let img = if img.width() > MAX_WIDTH {
                let h = (u64::from(img.height()) * u64::from(MAX_WIDTH) / u64::from(img.width()))
                    .max(1) as u32;
                image::imageops::resize(&img, MAX_WIDTH, h, image::imageops::FilterType::Triangle)
            } else {
                img
            };
            let mut out = std::io::Cursor::new(Vec::new());
            image::DynamicImage::ImageLuma8(img)
                .write_to(&mut out, image::ImageFormat::Png)
                .map_err(|e| format!("png: {e}"))?;
            return Ok(out.into_inner());
        }
        seen += n;
    }
    Err(format!("no page {page}"))
}
