//! PDF pages: the text layer of born-digital pages, the embedded image of scanned ones, and
//! rasterisation for everything else.
//!
//! Choices, measured on the generated set (see the crate docs for the figures):
//! - Structure (page count, which page has text, which image covers it): `lopdf`, in process
//!   (about 1 ms a file). Version 0.47 caps nesting at 100 levels and decompression per stream;
//!   our own scan of the raw bytes adds a nesting limit with an operator's sentence, and both run
//!   inside a worker process, so a parser bug costs a worker, not the caller.
//! - Text with word boxes: `pdftotext -bbox-layout` (poppler). pdf-extract panics by design on
//!   malformed files and overflows its stack on nested arrays; lopdf's text extraction has no
//!   positions. poppler handles embedded fonts, ToUnicode maps and damaged files, costs ~15 ms
//!   a page, and runs as its own process under the worker's deadline.
//! - Scanned pages: the embedded image is decoded directly when one image covers the page
//!   without rotation (CCITT G3/G4, JPEG, Flate grey/RGB): this is lossless and ~10x cheaper than
//!   rasterising. Anything else (JBIG2, JPEG 2000, rotated pages, vector drawings) goes through
//!   `pdftoppm`.

use crate::decode::{Decoded, too_many_pages};
use crate::engine::RawWord;
use crate::protocol::{Fault, FaultKind, PageInfo};
use crate::{Limits, Source, TEXT_LAYER_DPI};
use image::GrayImage;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::io::{Read as _, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a PDF page turned out to be.
pub(crate) enum PdfPage {
    /// Pixels to OCR (an embedded image or a rasterisation).
    Image(Decoded),
    /// Words of the text layer, in pixels at [`TEXT_LAYER_DPI`], and the page size in those pixels.
    Text {
        words: Vec<RawWord>,
        width: u32,
        height: u32,
    },
}

fn fault(index: u32, kind: FaultKind, reason: impl Into<String>) -> Fault {
    Fault::new(index, kind, reason)
}

/// Deepest nesting of arrays and dictionaries in the file, scanning the raw bytes (strings,
/// comments and stream data skipped). Stops as soon as `limit` is passed.
pub(crate) fn nesting_depth(bytes: &[u8], limit: usize) -> usize {
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    let n = bytes.len();
    while i < n {
        match bytes[i] {
            b'%' => {
                while i < n && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'(' => {
                // Literal string: balanced parentheses, backslash escapes.
                let mut level = 1usize;
                i += 1;
                while i < n && level > 0 {
                    match bytes[i] {
                        b'\\' => i += 1,
                        b'(' => level += 1,
                        b')' => level -= 1,
                        _ => {}
                    }
                    i += 1;
                }
                continue;
            }
            b'[' => {
                depth += 1;
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 1;
            }
            b']' => depth = depth.saturating_sub(1),
            b'>' if bytes.get(i + 1) == Some(&b'>') => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b's' if bytes[i..].starts_with(b"stream")
                && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) =>
            {
                // Skip the stream's data up to `endstream`.
                match find(&bytes[i + 6..], b"endstream") {
                    Some(p) => i += 6 + p + 9,
                    None => return max,
                }
                depth = 0;
                continue;
            }
            b'o' if bytes[i..].starts_with(b"obj")
                && i > 0
                && bytes[i - 1].is_ascii_whitespace() =>
            {
                depth = 0
            }
            _ => {}
        }
        max = max.max(depth);
        if max > limit {
            return max;
        }
        i += 1;
    }
    max
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Loads a PDF under the limits.
fn load(bytes: &[u8], limits: &Limits) -> Result<Document, Fault> {
    let depth = nesting_depth(bytes, limits.max_pdf_depth as usize);
    if depth > limits.max_pdf_depth as usize {
        return Err(fault(
            0,
            FaultKind::Limit,
            format!(
                "the PDF nests arrays or dictionaries more than {} levels deep; it was not opened",
                limits.max_pdf_depth
            ),
        ));
    }
    // A file cut short (a transfer that stopped) ends before its last `%%EOF`; lopdf would
    // rebuild what it can and read a partial page as if whole.
    match bytes.windows(5).rposition(|w| w == b"%%EOF") {
        Some(p) if bytes.len() - p <= 1024 => {}
        _ => {
            return Err(fault(
                0,
                FaultKind::Damaged,
                "the PDF is truncated (the file ends too early)",
            ));
        }
    }
    let opts = lopdf::LoadOptions {
        max_decompressed_size: Some(limits.max_pdf_stream_bytes as usize),
        ..Default::default()
    };
    let doc = Document::load_mem_with_options(bytes, opts).map_err(load_fault)?;
    if doc.is_encrypted() && doc.encryption_state.is_none() {
        return Err(fault(
            0,
            FaultKind::Unsupported,
            "the PDF is password-protected",
        ));
    }
    Ok(doc)
}

fn load_fault(e: lopdf::Error) -> Fault {
    use lopdf::Error as E;
    match e {
        E::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })
        | E::RecursionLimit
        | E::ReferenceLimit => fault(
            0,
            FaultKind::Limit,
            format!("the PDF is built to exhaust the reader ({e}); it was not opened"),
        ),
        E::InvalidPassword | E::Decryption(_) | E::UnsupportedSecurityHandler(_) => {
            fault(0, FaultKind::Unsupported, "the PDF is password-protected")
        }
        other => fault(
            0,
            FaultKind::Damaged,
            format!("the PDF is damaged and cannot be opened ({other})"),
        ),
    }
}

/// The page's MediaBox (inherited through the page tree), in points: (width, height).
fn media_box(doc: &Document, page: &Dictionary) -> Option<(f32, f32)> {
    let mut node = page;
    for _ in 0..32 {
        if let Ok(mb) = node
            .get(b"MediaBox")
            .and_then(|o| doc.dereference(o))
            .and_then(|(_, o)| o.as_array())
        {
            let v: Vec<f32> = mb
                .iter()
                .filter_map(|o| doc.dereference(o).ok().and_then(|(_, o)| o.as_float().ok()))
                .collect();
            if v.len() == 4 {
                let (w, h) = ((v[2] - v[0]).abs(), (v[3] - v[1]).abs());
                return (w >= 1.0 && h >= 1.0 && w.is_finite() && h.is_finite()).then_some((w, h));
            }
        }
        node = node
            .get(b"Parent")
            .and_then(Object::as_reference)
            .and_then(|id| doc.get_dictionary(id))
            .ok()?;
    }
    None
}

fn inherited<'a>(doc: &'a Document, page: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let mut node = page;
    for _ in 0..32 {
        if let Ok(o) = node.get(key) {
            return doc.dereference(o).ok().map(|(_, o)| o);
        }
        node = node
            .get(b"Parent")
            .and_then(Object::as_reference)
            .and_then(|id| doc.get_dictionary(id))
            .ok()?;
    }
    None
}

/// A drawing of an image XObject: its name and the transformation it was drawn with.
struct Draw {
    name: Vec<u8>,
    ctm: [f32; 6],
}

/// What a page's content stream does, as far as choosing how to read it goes.
#[derive(Default)]
struct Survey {
    /// Text-showing operators with a non-empty string.
    shows_text: bool,
    /// `Do` of an XObject, with the CTM at that point.
    draws: Vec<Draw>,
    /// Path painting operators (vector drawing).
    paints: usize,
}

fn mul(a: [f32; 6], b: [f32; 6]) -> [f32; 6] {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn survey(doc: &Document, page_id: ObjectId, index: u32, limits: &Limits) -> Result<Survey, Fault> {
    let content = doc
        .get_page_content_with_limit(page_id, limits.max_pdf_stream_bytes as usize)
        .map_err(|e| match e {
            lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => fault(
                index,
                FaultKind::Limit,
                format!(
                    "the PDF page's content decompresses to more than {} MB, the limit",
                    limits.max_pdf_stream_bytes / 1_000_000
                ),
            ),
            e => fault(
                index,
                FaultKind::Damaged,
                format!("the PDF page's content is damaged ({e})"),
            ),
        })?;
    let ops = lopdf::content::Content::decode(&content).map_err(|e| {
        fault(
            index,
            FaultKind::Damaged,
            format!("the PDF page's content is damaged ({e})"),
        )
    })?;
    let mut s = Survey::default();
    let mut ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
    let mut stack: Vec<[f32; 6]> = Vec::new();
    for op in &ops.operations {
        match op.operator.as_str() {
            "q" if stack.len() < 256 => stack.push(ctm),
            "Q" => ctm = stack.pop().unwrap_or(ctm),
            "cm" => {
                let v: Vec<f32> = op
                    .operands
                    .iter()
                    .filter_map(|o| o.as_float().ok())
                    .collect();
                if let [a, b, c, d, e, f] = v[..] {
                    ctm = mul([a, b, c, d, e, f], ctm);
                }
            }
            "Do" => {
                if let Some(Ok(name)) = op.operands.first().map(Object::as_name) {
                    s.draws.push(Draw {
                        name: name.to_vec(),
                        ctm,
                    });
                }
            }
            "Tj" | "'" | "\""
                if op
                    .operands
                    .iter()
                    .any(|o| matches!(o, Object::String(b, _) if !b.is_empty())) =>
            {
                s.shows_text = true;
            }
            "TJ" => {
                if let Some(Object::Array(a)) = op.operands.first()
                    && a.iter()
                        .any(|o| matches!(o, Object::String(b, _) if !b.is_empty()))
                {
                    s.shows_text = true;
                }
            }
            "S" | "s" | "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" => s.paints += 1,
            _ => {}
        }
    }
    Ok(s)
}

/// Whether a form XObject drawn by the page shows text (born-digital PDFs from some software
/// put the whole page in a form).
fn form_shows_text(doc: &Document, stream: &lopdf::Stream, limits: &Limits) -> bool {
    let Ok(data) = stream
        .decompressed_content_with_limit(limits.max_pdf_stream_bytes as usize)
        .or_else(|_| {
            if stream.dict.get(b"Filter").is_err() {
                Ok(stream.content.clone())
            } else {
                Err(())
            }
        })
    else {
        return false;
    };
    let _ = doc;
    lopdf::content::Content::decode(&data)
        .map(|c| {
            c.operations.iter().any(|op| {
                matches!(op.operator.as_str(), "Tj" | "TJ" | "'" | "\"")
                    && op.operands.iter().any(|o| match o {
                        Object::String(b, _) => !b.is_empty(),
                        Object::Array(a) => a
                            .iter()
                            .any(|o| matches!(o, Object::String(b, _) if !b.is_empty())),
                        _ => false,
                    })
            })
        })
        .unwrap_or(false)
}

fn xobject<'a>(doc: &'a Document, page: &'a Dictionary, name: &[u8]) -> Option<&'a lopdf::Stream> {
    let res = inherited(doc, page, b"Resources")?.as_dict().ok()?;
    let xo = doc
        .dereference(res.get(b"XObject").ok()?)
        .ok()?
        .1
        .as_dict()
        .ok()?;
    doc.dereference(xo.get(name).ok()?).ok()?.1.as_stream().ok()
}

/// How one page is to be read.
enum Plan<'a> {
    Text,
    /// The one image that covers the page, upright.
    Embedded(&'a lopdf::Stream),
    Rasterise,
}

struct PagePlan<'a> {
    plan: Plan<'a>,
    /// Page size in points.
    size: (f32, f32),
    /// Has an image to fall back on when the text layer is nearly empty.
    has_image: bool,
}

fn plan_page<'a>(
    doc: &'a Document,
    page_id: ObjectId,
    index: u32,
    limits: &Limits,
) -> Result<PagePlan<'a>, Fault> {
    let page = doc.get_dictionary(page_id).map_err(|e| {
        fault(
            index,
            FaultKind::Damaged,
            format!("the PDF page is damaged ({e})"),
        )
    })?;
    let size = media_box(doc, page).unwrap_or((595.0, 842.0));
    let s = survey(doc, page_id, index, limits)?;
    let mut images = Vec::new();
    let mut forms_text = false;
    for d in &s.draws {
        if let Some(st) = xobject(doc, page, &d.name) {
            match st.dict.get(b"Subtype").and_then(Object::as_name) {
                Ok(b"Image") => images.push((st, &d.ctm)),
                Ok(b"Form") => forms_text |= form_shows_text(doc, st, limits),
                _ => {}
            }
        }
    }
    let has_image = !images.is_empty();
    if s.shows_text || forms_text {
        return Ok(PagePlan {
            plan: Plan::Text,
            size,
            has_image,
        });
    }
    let rotate = inherited(doc, page, b"Rotate")
        .and_then(|o| o.as_i64().ok())
        .unwrap_or(0)
        .rem_euclid(360);
    if let [(st, ctm)] = images[..] {
        let upright = ctm[0] > 0.0 && ctm[3] > 0.0 && ctm[1].abs() < 1e-3 && ctm[2].abs() < 1e-3;
        let covers = ctm[0] * ctm[3] >= 0.9 * size.0 * size.1;
        if rotate == 0 && upright && covers && s.paints == 0 {
            return Ok(PagePlan {
                plan: Plan::Embedded(st),
                size,
                has_image,
            });
        }
    }
    Ok(PagePlan {
        plan: Plan::Rasterise,
        size,
        has_image,
    })
}

fn pages(doc: &Document, limits: &Limits) -> Result<Vec<ObjectId>, Fault> {
    let mut ids = Vec::new();
    for id in doc.page_iter() {
        if ids.len() as u32 >= limits.max_pages {
            return Err(too_many_pages(ids.len() as u32, limits));
        }
        ids.push(id);
    }
    if ids.is_empty() {
        return Err(fault(
            0,
            FaultKind::Damaged,
            "the PDF has no readable page (its page tree is missing or damaged)",
        ));
    }
    Ok(ids)
}

/// Pixel size a page will have when read: its embedded image, or a rasterisation.
fn pixel_size(plan: &PagePlan<'_>, limits: &Limits) -> (u32, u32) {
    match &plan.plan {
        Plan::Embedded(st) => {
            let n = |k: &[u8]| {
                st.dict
                    .get(k)
                    .and_then(Object::as_i64)
                    .unwrap_or(0)
                    .clamp(0, u32::MAX as i64) as u32
            };
            (n(b"Width"), n(b"Height"))
        }
        Plan::Text => (
            pt_to_px(plan.size.0, TEXT_LAYER_DPI),
            pt_to_px(plan.size.1, TEXT_LAYER_DPI),
        ),
        Plan::Rasterise => {
            let dpi = raster_dpi(plan.size, limits);
            (pt_to_px(plan.size.0, dpi), pt_to_px(plan.size.1, dpi))
        }
    }
}

fn pt_to_px(pt: f32, dpi: u32) -> u32 {
    (pt * dpi as f32 / 72.0).round().clamp(0.0, u32::MAX as f32) as u32
}

/// 300 dpi, or less for a page so large that 300 dpi would pass the pixel limit.
fn raster_dpi(size: (f32, f32), limits: &Limits) -> u32 {
    let sq_in = f64::from(size.0) * f64::from(size.1) / (72.0 * 72.0);
    let fit = (limits.max_pixels as f64 / sq_in).sqrt();
    fit.clamp(1.0, 300.0) as u32
}

/// Lists the pages of a PDF and how each will be read, checking sizes and limits.
pub(crate) fn probe(bytes: &[u8], limits: &Limits) -> Result<Vec<PageInfo>, Fault> {
    let doc = load(bytes, limits)?;
    let ids = pages(&doc, limits)?;
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.into_iter().enumerate() {
        let index = i as u32;
        let plan = plan_page(&doc, id, index, limits)?;
        let (w, h) = pixel_size(&plan, limits);
        check_page_pixels(index, w, h, &plan, limits)?;
        let source = if matches!(plan.plan, Plan::Text) {
            Source::TextLayer
        } else {
            Source::Ocr
        };
        out.push(PageInfo {
            width: w,
            height: h,
            source,
        });
    }
    Ok(out)
}

fn check_page_pixels(
    index: u32,
    w: u32,
    h: u32,
    plan: &PagePlan<'_>,
    limits: &Limits,
) -> Result<(), Fault> {
    if matches!(plan.plan, Plan::Embedded(_)) && u64::from(w) * u64::from(h) > limits.max_pixels {
        return Err(fault(
            index,
            FaultKind::Limit,
            format!(
                "image is {w}x{h} pixels, over the {} megapixel limit",
                limits.max_pixels / 1_000_000
            ),
        ));
    }
    if matches!(plan.plan, Plan::Rasterise) && raster_dpi(plan.size, limits) < 100 {
        let mm = |pt: f32| (pt / 72.0 * 25.4).round() as u32;
        return Err(fault(
            index,
            FaultKind::Limit,
            format!(
                "the PDF page is {}x{} mm, too large to read under the {} megapixel limit",
                mm(plan.size.0),
                mm(plan.size.1),
                limits.max_pixels / 1_000_000
            ),
        ));
    }
    if w == 0 || h == 0 {
        return Err(fault(index, FaultKind::Damaged, "the PDF page has no size"));
    }
    Ok(())
}

/// Reads page `index` (0-based) of a PDF.
pub(crate) fn read_page(
    bytes: &[u8],
    index: u32,
    limits: &Limits,
    deadline: Instant,
) -> Result<PdfPage, Fault> {
    let doc = load(bytes, limits).map_err(|f| Fault { index, ..f })?;
    let ids = pages(&doc, limits).map_err(|f| Fault { index, ..f })?;
    let id = *ids.get(index as usize).ok_or_else(|| {
        fault(
            index,
            FaultKind::Damaged,
            "the PDF has fewer pages than counted",
        )
    })?;
    let plan = plan_page(&doc, id, index, limits)?;
    let (w, h) = pixel_size(&plan, limits);
    check_page_pixels(index, w, h, &plan, limits)?;
    match plan.plan {
        Plan::Text => {
            let (words, width, height) = text_layer(bytes, index, deadline)?;
            // A scan with a stamp of text ("page 1/2") is still a scan: OCR its image.
            if words.len() < 3 && plan.has_image {
                return rasterise(bytes, index, plan.size, limits, deadline).map(PdfPage::Image);
            }
            Ok(PdfPage::Text {
                words,
                width,
                height,
            })
        }
        Plan::Embedded(st) => match embedded_image(st, plan.size, limits) {
            Some(Ok(d)) => Ok(PdfPage::Image(d)),
            Some(Err(reason)) => Err(fault(index, FaultKind::Damaged, reason)),
            None => rasterise(bytes, index, plan.size, limits, deadline).map(PdfPage::Image),
        },
        Plan::Rasterise => rasterise(bytes, index, plan.size, limits, deadline).map(PdfPage::Image),
    }
}

/// Page `index` as pixels whatever it holds (a text layer is rasterised): for tools.
pub(crate) fn page_pixels(bytes: &[u8], index: u32, limits: &Limits) -> Result<Decoded, Fault> {
    let deadline = Instant::now() + limits.page_timeout;
    match read_page(bytes, index, limits, deadline)? {
        PdfPage::Image(d) => Ok(d),
        PdfPage::Text { .. } => {
            let doc = load(bytes, limits)?;
            let ids = pages(&doc, limits)?;
            let page = ids
                .get(index as usize)
                .and_then(|id| doc.get_dictionary(*id).ok());
            let size = page
                .and_then(|p| media_box(&doc, p))
                .unwrap_or((595.0, 842.0));
            rasterise(bytes, index, size, limits, deadline)
        }
    }
}

/// Decodes an embedded page image; `None` when its encoding is one we leave to `pdftoppm`.
fn embedded_image(
    st: &lopdf::Stream,
    size: (f32, f32),
    limits: &Limits,
) -> Option<Result<Decoded, String>> {
    let d = &st.dict;
    let w = u32::try_from(d.get(b"Width").and_then(Object::as_i64).ok()?).ok()?;
    let h = u32::try_from(d.get(b"Height").and_then(Object::as_i64).ok()?).ok()?;
    if d.get(b"ImageMask")
        .and_then(Object::as_bool)
        .unwrap_or(false)
    {
        return None;
    }
    let filters: Vec<Vec<u8>> = match d.get(b"Filter") {
        Ok(Object::Name(n)) => vec![n.clone()],
        Ok(Object::Array(a)) => a
            .iter()
            .filter_map(|o| o.as_name().ok().map(<[u8]>::to_vec))
            .collect(),
        _ => vec![],
    };
    let bpc = d
        .get(b"BitsPerComponent")
        .and_then(Object::as_i64)
        .unwrap_or(8);
    let channels = match d.get(b"ColorSpace") {
        Ok(Object::Name(n)) if n == b"DeviceGray" || n == b"CalGray" => 1,
        Ok(Object::Name(n)) if n == b"DeviceRGB" || n == b"CalRGB" => 3,
        Ok(Object::Name(_)) | Ok(Object::Array(_)) | Ok(Object::Reference(_)) => 0,
        _ => 1,
    };
    let inverted = matches!(d.get(b"Decode"), Ok(Object::Array(a)) if a.first().and_then(|o| o.as_float().ok()) == Some(1.0));
    let dpi = Some(((w as f32) / (size.0 / 72.0)).round().clamp(1.0, 10_000.0) as u32);
    let parms = |k: &[u8]| -> Option<&Object> {
        match d.get(b"DecodeParms") {
            Ok(Object::Dictionary(p)) => p.get(k).ok(),
            Ok(Object::Array(a)) => a
                .first()
                .and_then(|o| o.as_dict().ok())
                .and_then(|p| p.get(k).ok()),
            _ => None,
        }
    };
    let f: Vec<&[u8]> = filters.iter().map(Vec::as_slice).collect();
    let mut img = match f[..] {
        [b"CCITTFaxDecode"] => {
            let k = parms(b"K").and_then(|o| o.as_i64().ok()).unwrap_or(0);
            let cols = parms(b"Columns")
                .and_then(|o| o.as_i64().ok())
                .unwrap_or(1728);
            let black_is1 = parms(b"BlackIs1")
                .and_then(|o| o.as_bool().ok())
                .unwrap_or(false);
            if cols != i64::from(w) || k > 0 {
                return None;
            }
            Some(ccitt(&st.content, w, h, k < 0, black_is1 != inverted))
        }
        [b"DCTDecode"] => {
            let mut r = image::ImageReader::with_format(
                std::io::Cursor::new(&st.content),
                image::ImageFormat::Jpeg,
            );
            let mut l = image::Limits::default();
            l.max_alloc = Some(limits.max_pixels.saturating_mul(4).saturating_add(64 << 20));
            r.limits(l);
            Some(
                r.decode()
                    .map(|i| {
                        let mut g = i.into_luma8();
                        if inverted {
                            image::imageops::invert(&mut g);
                        }
                        g
                    })
                    .map_err(|e| format!("the scanned image in the PDF is damaged ({e})")),
            )
        }
        [] | [b"FlateDecode"] if channels > 0 && (bpc == 8 || (bpc == 1 && channels == 1)) => {
            let raw = match st.decompressed_content_with_limit(limits.max_pdf_stream_bytes as usize)
            {
                Ok(r) => r,
                Err(_) if f.is_empty() => st.content.clone(),
                Err(e) => {
                    return Some(Err(format!(
                        "the scanned image in the PDF cannot be decompressed ({e})"
                    )));
                }
            };
            Some(raw_pixels(&raw, w, h, channels, bpc == 1, inverted))
        }
        _ => None,
    }?;
    if let Ok(g) = &img
        && g.dimensions() != (w, h)
    {
        img = Err("the scanned image in the PDF does not have the size it declares".into());
    }
    Some(img.map(|img| Decoded { img, dpi }))
}

/// CCITT G4 (or G3 1-D) data to grey pixels. `black_is_white`: the sample that fax calls black
/// shows as white (BlackIs1 without an inverting Decode array, or the reverse).
fn ccitt(data: &[u8], w: u32, h: u32, g4: bool, black_is_white: bool) -> Result<GrayImage, String> {
    let (wu, hu) = (w as usize, h as usize);
    let w16 = u16::try_from(w)
        .map_err(|_| "the scanned image in the PDF is too wide for fax coding".to_string())?;
    let h16 = u16::try_from(h)
        .map_err(|_| "the scanned image in the PDF is too tall for fax coding".to_string())?;
    let (ink, paper) = if black_is_white {
        (255u8, 0u8)
    } else {
        (0u8, 255u8)
    };
    let mut out = vec![paper; wu * hu];
    let mut y = 0usize;
    let mut line = |transitions: &[u16]| {
        if y >= hu {
            return;
        }
        let row = &mut out[y * wu..(y + 1) * wu];
        // Runs alternate white, black, white… starting at x = 0.
        let mut x0 = 0usize;
        for (i, &t) in transitions.iter().enumerate() {
            let x1 = (t as usize).min(wu);
            if i % 2 == 1 && x0 < x1 {
                row[x0..x1].fill(ink);
            }
            x0 = x1;
        }
        if transitions.len() % 2 == 1 && x0 < wu {
            row[x0..].fill(ink);
        }
        y += 1;
    };
    let ok = if g4 {
        fax::decoder::decode_g4(data.iter().copied(), w16, Some(h16), &mut line)
    } else {
        fax::decoder::decode_g3(data.iter().copied(), &mut line)
    };
    if ok.is_none() && y < hu {
        return Err("the scanned image in the PDF is damaged (its fax data ends early)".into());
    }
    GrayImage::from_raw(w, h, out).ok_or_else(|| "the scanned image in the PDF is damaged".into())
}

fn raw_pixels(
    raw: &[u8],
    w: u32,
    h: u32,
    channels: usize,
    bits1: bool,
    inverted: bool,
) -> Result<GrayImage, String> {
    let (wu, hu) = (w as usize, h as usize);
    let short = || "the scanned image in the PDF holds fewer pixels than it declares".to_string();
    let mut out = vec![0u8; wu * hu];
    if bits1 {
        let stride = wu.div_ceil(8);
        if raw.len() < stride * hu {
            return Err(short());
        }
        for y in 0..hu {
            for x in 0..wu {
                let bit = (raw[y * stride + (x >> 3)] >> (7 - (x & 7))) & 1;
                out[y * wu + x] = if bit == 1 { 255 } else { 0 };
            }
        }
    } else if channels == 1 {
        out.copy_from_slice(raw.get(..wu * hu).ok_or_else(short)?);
    } else {
        let src = raw.get(..wu * hu * 3).ok_or_else(short)?;
        for (o, s) in out.iter_mut().zip(src.chunks_exact(3)) {
            *o = ((u32::from(s[0]) * 299 + u32::from(s[1]) * 587 + u32::from(s[2]) * 114) / 1000)
                as u8;
        }
    }
    if inverted {
        out.iter_mut().for_each(|p| *p = 255 - *p);
    }
    GrayImage::from_raw(w, h, out).ok_or_else(short)
}

/// Runs a poppler tool with the PDF on its stdin; its stdout, or a reason.
fn run_tool(
    tool: &str,
    args: &[&str],
    input: &[u8],
    deadline: Instant,
    max_out: usize,
) -> Result<Vec<u8>, String> {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{tool} could not be started ({e}); is poppler-utils installed?"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let result = std::thread::scope(|s| {
        s.spawn(move || {
            // The tool may stop reading early (it has what it needs): not an error.
            let _ = stdin.write_all(input);
        });
        let mut out = Vec::new();
        let read = (&mut stdout).take(max_out as u64 + 1).read_to_end(&mut out);
        (read, out)
    });
    let (read, out) = result;
    // The worker's own deadline (set by the parent) bounds the tool too: the parent kills the
    // worker's whole process group. This wait only reaps.
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                read.map_err(|e| format!("{tool} output could not be read ({e})"))?;
                if out.len() > max_out {
                    return Err(format!("{tool} produced more than {} MB", max_out >> 20));
                }
                return if status.success() {
                    Ok(out)
                } else {
                    Err(format!("{tool} failed ({status})"))
                };
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{tool} did not finish in time"));
            }
        }
    }
}

fn rasterise(
    bytes: &[u8],
    index: u32,
    size: (f32, f32),
    limits: &Limits,
    deadline: Instant,
) -> Result<Decoded, Fault> {
    let dpi = raster_dpi(size, limits);
    let p = (index + 1).to_string();
    let r = dpi.to_string();
    let max_out = usize::try_from(limits.max_pixels)
        .unwrap_or(usize::MAX)
        .saturating_add(1 << 20);
    let pgm = run_tool(
        "pdftoppm",
        &["-r", &r, "-gray", "-f", &p, "-l", &p, "-singlefile", "-"],
        bytes,
        deadline,
        max_out,
    )
    .map_err(|e| {
        fault(
            index,
            FaultKind::Damaged,
            format!("the PDF page could not be rasterised: {e}"),
        )
    })?;
    let img = parse_pgm(&pgm).ok_or_else(|| {
        fault(
            index,
            FaultKind::Damaged,
            "the PDF page could not be rasterised (unexpected output)",
        )
    })?;
    Ok(Decoded {
        img,
        dpi: Some(dpi),
    })
}

/// Parses a binary 8-bit PGM (`P5`), as `pdftoppm -gray` writes it.
pub(crate) fn parse_pgm(b: &[u8]) -> Option<GrayImage> {
    let mut fields = Vec::new();
    let mut i = 2;
    if !b.starts_with(b"P5") {
        return None;
    }
    while fields.len() < 3 {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) == Some(&b'#') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        fields.push(
            std::str::from_utf8(&b[start..i])
                .ok()?
                .parse::<u32>()
                .ok()?,
        );
    }
    let (w, h, max) = (fields[0], fields[1], fields[2]);
    if max != 255 {
        return None;
    }
    let data = b.get(i + 1..)?;
    let n = (w as usize).checked_mul(h as usize)?;
    GrayImage::from_raw(w, h, data.get(..n)?.to_vec())
}

/// The words of one page's text layer, in pixels at [`TEXT_LAYER_DPI`], and the page size.
fn text_layer(
    bytes: &[u8],
    index: u32,
    deadline: Instant,
) -> Result<(Vec<RawWord>, u32, u32), Fault> {
    let p = (index + 1).to_string();
    let out = run_tool(
        "pdftotext",
        &[
            "-bbox-layout",
            "-enc",
            "UTF-8",
            "-f",
            &p,
            "-l",
            &p,
            "-",
            "-",
        ],
        bytes,
        deadline,
        64 << 20,
    )
    .map_err(|e| {
        fault(
            index,
            FaultKind::Damaged,
            format!("the PDF text could not be read: {e}"),
        )
    })?;
    Ok(parse_bbox_layout(&String::from_utf8_lossy(&out)))
}

/// Parses `pdftotext -bbox-layout` XHTML: `<page width height>`, `<block>`, `<line>`,
/// `<word xMin yMin xMax yMax>text</word>`.
pub(crate) fn parse_bbox_layout(xhtml: &str) -> (Vec<RawWord>, u32, u32) {
    let scale = TEXT_LAYER_DPI as f32 / 72.0;
    let attr = |tag: &str, name: &str| -> Option<f32> {
        let key = format!("{name}=\"");
        let start = tag.find(&key)? + key.len();
        let end = tag[start..].find('"')? + start;
        tag[start..end].parse().ok()
    };
    let (mut width, mut height) = (0u32, 0u32);
    let (mut block, mut line) = (0u32, 0u32);
    let mut words = Vec::new();
    let mut rest = xhtml;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        let Some(gt) = rest.find('>') else { break };
        let tag = &rest[1..gt];
        if tag.starts_with("page ") {
            width = (attr(tag, "width").unwrap_or(0.0) * scale).round() as u32;
            height = (attr(tag, "height").unwrap_or(0.0) * scale).round() as u32;
        } else if tag.starts_with("block") {
            block += 1;
        } else if tag.starts_with("line") {
            line += 1;
        } else if tag.starts_with("word ") {
            let after = &rest[gt + 1..];
            let Some(close) = after.find("</word>") else {
                break;
            };
            let text = unescape(&after[..close]);
            let px = |n: &str| (attr(tag, n).unwrap_or(0.0) * scale).max(0.0).round() as u32;
            let (x0, y0, x1, y1) = (px("xMin"), px("yMin"), px("xMax"), px("yMax"));
            if !text.trim().is_empty() {
                words.push(RawWord {
                    text: text.trim().to_string(),
                    left: x0,
                    top: y0,
                    width: x1.saturating_sub(x0),
                    height: y1.saturating_sub(y0),
                    conf: 100.0,
                    block,
                    par: 0,
                    line,
                });
            }
            rest = &after[close..];
            continue;
        }
        rest = &rest[gt + 1..];
    }
    (words, width, height)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_measured_outside_strings_and_streams() {
        assert_eq!(
            nesting_depth(b"1 0 obj << /A [1 [2 [3]]] >> endobj", 100),
            4
        );
        assert_eq!(nesting_depth(b"1 0 obj << /S ([[[[[) >> endobj", 100), 1);
        assert_eq!(
            nesting_depth(
                b"1 0 obj << /Length 3 >> stream\n[[[\nendstream endobj",
                100
            ),
            1
        );
        let deep = [b"1 0 obj ".to_vec(), vec![b'['; 5000], vec![b']'; 5000]].concat();
        assert!(nesting_depth(&deep, 64) > 64);
    }

    #[test]
    fn parses_pgm() {
        let img = parse_pgm(b"P5\n# made by hand\n3 2\n255\n\x00\x01\x02\x03\x04\x05").unwrap();
        assert_eq!(img.dimensions(), (3, 2));
        assert_eq!(img.get_pixel(2, 1).0[0], 5);
        assert!(parse_pgm(b"P5 3 2 255\n\x00").is_none());
    }

    #[test]
    fn parses_pdftotext_bbox_layout() {
        let x = r#"<page width="595.44" height="842.04"><flow><block xMin="1"><line xMin="1">
<word xMin="72.0" yMin="72.0" xMax="144.0" yMax="84.0">Facture</word>
<word xMin="150.0" yMin="72.0" xMax="170.0" yMax="84.0">n&#39;&amp;1</word></line></block></flow></page>"#;
        let (w, pw, ph) = parse_bbox_layout(x);
        assert_eq!((pw, ph), (2481, 3508));
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].text, "Facture");
        assert_eq!(
            (w[0].left, w[0].top, w[0].width, w[0].height),
            (300, 300, 300, 50)
        );
        assert_eq!(w[1].text, "n'&1");
        assert_eq!((w[1].block, w[1].line), (1, 1));
    }
}
