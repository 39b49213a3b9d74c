//! Writing pages as the files scanners and software produce: CCITT G4 bitonal TIFF, grey
//! multi-page TIFF, JPEG, PNG, image-only PDF, and born-digital PDF with a real text layer.
//!
//! TIFF and PDF are written by hand (both containers are small) so that G4 data from the `fax`
//! crate can be stored as is, and every byte is deterministic.

use crate::doc::{A4_H, Item, Page};
use crate::fonts::Font;
use fax::{Color, VecWriter, encoder::Encoder};
use image::GrayImage;
use std::io::Write as _;

/// Compresses a black-and-white page (pixels < 128 are black) with CCITT Group 4.
pub fn g4(img: &GrayImage) -> Vec<u8> {
    let (w, _) = img.dimensions();
    let mut enc = Encoder::new(VecWriter::new());
    for row in img.as_raw().chunks(w as usize) {
        let pels = row
            .iter()
            .map(|&p| if p < 128 { Color::Black } else { Color::White });
        // Writing to a Vec cannot fail.
        let _ = enc.encode_line(pels, w as u16);
    }
    enc.finish().map(VecWriter::finish).unwrap_or_default()
}

/// One page of a TIFF file.
pub enum TiffPage<'a> {
    /// Bitonal, CCITT G4 (the mailroom scanners' usual output).
    G4(&'a GrayImage),
    /// 8-bit grey, Deflate.
    Gray(&'a GrayImage),
}

/// A TIFF file of one or several pages, at `dpi`.
pub fn tiff(pages: &[(TiffPage<'_>, u32)]) -> Vec<u8> {
    let mut out: Vec<u8> = b"II*\0\0\0\0\0".to_vec();
    let mut prev_ifd_link = 4usize;
    let n = pages.len() as u32;
    for (index, (page, dpi)) in pages.iter().enumerate() {
        let (img, data, bits, compression, photometric) = match page {
            TiffPage::G4(img) => (*img, g4(img), 1u32, 4u32, 0u32),
            TiffPage::Gray(img) => {
                let mut z =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
                let _ = z.write_all(img.as_raw());
                (*img, z.finish().unwrap_or_default(), 8, 8, 1)
            }
        };
        let (w, h) = img.dimensions();
        // Image data, word aligned.
        let data_off = out.len() as u32;
        out.extend_from_slice(&data);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        // Resolution rationals.
        let res_off = out.len() as u32;
        for _ in 0..2 {
            out.extend_from_slice(&dpi.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
        }
        let ifd_off = out.len() as u32;
        out[prev_ifd_link..prev_ifd_link + 4].copy_from_slice(&ifd_off.to_le_bytes());
        // (tag, type, count, value): type 3 SHORT, 4 LONG, 5 RATIONAL.
        let entries: [(u16, u16, u32, u32); 13] = [
            (254, 4, 1, if n > 1 { 2 } else { 0 }),
            (256, 4, 1, w),
            (257, 4, 1, h),
            (258, 3, 1, bits),
            (259, 3, 1, compression),
            (262, 3, 1, photometric),
            (273, 4, 1, data_off),
            (277, 3, 1, 1),
            (278, 4, 1, h),
            (279, 4, 1, data.len() as u32),
            (282, 5, 1, res_off),
            (283, 5, 1, res_off + 8),
            (296, 3, 1, 2),
        ];
        let mut entries = entries.to_vec();
        if n > 1 {
            // PageNumber: two SHORTs packed in the value field.
            entries.push((297, 3, 2, (index as u32) | (n << 16)));
        }
        entries.sort_by_key(|e| e.0);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, ty, count, value) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&ty.to_le_bytes());
            out.extend_from_slice(&count.to_le_bytes());
            if ty == 3 && count == 1 {
                out.extend_from_slice(&(value as u16).to_le_bytes());
                out.extend_from_slice(&[0, 0]);
            } else {
                out.extend_from_slice(&value.to_le_bytes());
            }
        }
        prev_ifd_link = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    out
}

/// A JPEG at `quality`, with the resolution recorded.
pub fn jpeg(img: &GrayImage, quality: u8, dpi: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    enc.set_pixel_density(image::codecs::jpeg::PixelDensity::dpi(dpi as u16));
    let _ = enc.encode_image(img);
    out
}

/// A PNG (grey, or 1-bit when the page is bitonal).
pub fn png(img: &GrayImage) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::Adaptive,
    );
    let _ = image::ImageEncoder::write_image(
        enc,
        img.as_raw(),
        img.width(),
        img.height(),
        image::ExtendedColorType::L8,
    );
    out
}

/// An image of a scanned page inside a PDF.
pub enum PdfImage<'a> {
    /// Grey JPEG (DCTDecode) at this quality.
    Jpeg(&'a GrayImage, u8),
    /// Bitonal CCITT G4 (CCITTFaxDecode).
    G4(&'a GrayImage),
}

/// One page of a PDF: a scanned image, or born-digital vector content.
pub enum PdfPage<'a> {
    Scan(PdfImage<'a>, u32),
    Digital(&'a Page),
}

/// Minimal PDF writer: objects, then the cross-reference table.
struct PdfWriter {
    buf: Vec<u8>,
    offsets: Vec<usize>,
}

impl PdfWriter {
    fn new() -> Self {
        PdfWriter {
            buf: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec(),
            offsets: Vec::new(),
        }
    }

    /// Reserves an object number.
    fn reserve(&mut self) -> usize {
        self.offsets.push(0);
        self.offsets.len()
    }

    fn object(&mut self, id: usize, dict: &str, stream: Option<&[u8]>) {
        self.offsets[id - 1] = self.buf.len();
        let _ = write!(self.buf, "{id} 0 obj\n{dict}");
        if let Some(data) = stream {
            self.buf.extend_from_slice(b"\nstream\n");
            self.buf.extend_from_slice(data);
            self.buf.extend_from_slice(b"\nendstream");
        }
        self.buf.extend_from_slice(b"\nendobj\n");
    }

    fn finish(mut self, root: usize, info: usize) -> Vec<u8> {
        let xref = self.buf.len();
        let _ = write!(
            self.buf,
            "xref\n0 {}\n0000000000 65535 f \n",
            self.offsets.len() + 1
        );
        for off in &self.offsets {
            let _ = writeln!(self.buf, "{off:010} 00000 n ");
        }
        let _ = write!(
            self.buf,
            "trailer\n<< /Size {} /Root {root} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            self.offsets.len() + 1
        );
        self.buf
    }
}

const PT_PER_MM: f32 = 72.0 / 25.4;

/// A PDF of these pages. `producer` names the software that "made" it (scanner driver or
/// invoicing software), as real files do.
pub fn pdf(pages: &[PdfPage<'_>], producer: &str) -> Vec<u8> {
    let mut w = PdfWriter::new();
    let catalog = w.reserve();
    let pages_id = w.reserve();
    let info = w.reserve();
    let fonts: Vec<(Font, usize)> = Font::ALL.iter().map(|f| (*f, 0)).collect();
    let mut font_ids = fonts;
    let any_digital = pages.iter().any(|p| matches!(p, PdfPage::Digital(_)));
    let mut font_res = String::new();
    if any_digital {
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for (f, id) in &mut font_ids {
            let base = f.pdf_base_font().0;
            if let Some((_, existing)) = seen.iter().find(|(b, _)| *b == base) {
                *id = *existing;
                continue;
            }
            let oid = w.reserve();
            w.object(
                oid,
                &format!(
                    "<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding /WinAnsiEncoding >>"
                ),
                None,
            );
            seen.push((base, oid));
            *id = oid;
        }
        for (base, oid) in &seen {
            font_res.push_str(&format!("/{} {oid} 0 R ", base.replace('-', "")));
        }
    }
    let mut kids = Vec::new();
    for page in pages {
        let page_id = w.reserve();
        let content_id = w.reserve();
        kids.push(page_id);
        match page {
            PdfPage::Scan(image, dpi) => {
                let (img, data, filter) = match image {
                    PdfImage::Jpeg(img, q) => (
                        *img,
                        jpeg(img, *q, *dpi),
                        "/Filter /DCTDecode /BitsPerComponent 8".to_string(),
                    ),
                    PdfImage::G4(img) => (
                        *img,
                        g4(img),
                        format!(
                            "/Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns {} /Rows {} /BlackIs1 false >> /BitsPerComponent 1",
                            img.width(),
                            img.height()
                        ),
                    ),
                };
                let (pw, ph) = (
                    img.width() as f32 * 72.0 / *dpi as f32,
                    img.height() as f32 * 72.0 / *dpi as f32,
                );
                let img_id = w.reserve();
                w.object(
                    img_id,
                    &format!(
                        "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray {filter} /Length {} >>",
                        img.width(),
                        img.height(),
                        data.len()
                    ),
                    Some(&data),
                );
                let content = format!("q {pw:.2} 0 0 {ph:.2} 0 0 cm /Im0 Do Q");
                w.object(
                    content_id,
                    &format!("<< /Length {} >>", content.len()),
                    Some(content.as_bytes()),
                );
                w.object(
                    page_id,
                    &format!(
                        "<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {pw:.2} {ph:.2}] /Resources << /XObject << /Im0 {img_id} 0 R >> >> /Contents {content_id} 0 R >>"
                    ),
                    None,
                );
            }
            PdfPage::Digital(p) => {
                let content = page_content(p);
                w.object(
                    content_id,
                    &format!("<< /Length {} >>", content.len()),
                    Some(&content),
                );
                let (pw, ph) = (crate::doc::A4_W * PT_PER_MM, A4_H * PT_PER_MM);
                w.object(
                    page_id,
                    &format!(
                        "<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {pw:.2} {ph:.2}] /Resources << /Font << {font_res}>> >> /Contents {content_id} 0 R >>"
                    ),
                    None,
                );
            }
        }
    }
    let kids_s: Vec<String> = kids.iter().map(|k| format!("{k} 0 R")).collect();
    w.object(
        pages_id,
        &format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids_s.join(" "),
            kids.len()
        ),
        None,
    );
    w.object(
        catalog,
        &format!("<< /Type /Catalog /Pages {pages_id} 0 R >>"),
        None,
    );
    w.object(
        info,
        &format!("<< /Producer ({}) >>", pdf_string(producer)),
        None,
    );
    w.finish(catalog, info)
}

/// The content stream of a born-digital page: the same drawing as the raster, in points.
fn page_content(page: &Page) -> Vec<u8> {
    let x = |mm: f32| mm * PT_PER_MM;
    let y = |mm: f32| (A4_H - mm) * PT_PER_MM;
    let g = |gray: u8| f32::from(gray) / 255.0;
    let mut s = String::new();
    for item in &page.items {
        match item {
            Item::Text {
                x: tx,
                y: ty,
                font,
                size,
                text,
                gray,
            } => {
                let name = font.pdf_base_font().0.replace('-', "");
                s.push_str(&format!(
                    "BT {:.3} g /{name} {size:.2} Tf {:.2} {:.2} Td ({}) Tj ET\n",
                    g(*gray),
                    x(*tx),
                    y(*ty),
                    pdf_string(text)
                ));
            }
            Item::Line {
                x0,
                y0,
                x1,
                y1,
                width,
                gray,
            } => {
                s.push_str(&format!(
                    "{:.3} G {:.2} w {:.2} {:.2} m {:.2} {:.2} l S\n",
                    g(*gray),
                    x(*width).max(0.3),
                    x(*x0),
                    y(*y0),
                    x(*x1),
                    y(*y1)
                ));
            }
            Item::Rect {
                x: rx,
                y: ry,
                w,
                h,
                stroke,
                fill,
            } => {
                let (px, py, pw, ph) = (x(*rx), y(*ry + *h), x(*w), x(*h));
                if let Some(f) = fill {
                    s.push_str(&format!(
                        "{:.3} g {px:.2} {py:.2} {pw:.2} {ph:.2} re f\n",
                        g(*f)
                    ));
                }
                if let Some((sw, sg)) = stroke {
                    s.push_str(&format!(
                        "{:.3} G {:.2} w {px:.2} {py:.2} {pw:.2} {ph:.2} re S\n",
                        g(*sg),
                        x(*sw).max(0.3)
                    ));
                }
            }
            Item::Stroke {
                points,
                width,
                gray,
            } => {
                if let Some((first, rest)) = points.split_first() {
                    s.push_str(&format!(
                        "{:.3} G {:.2} w 1 J 1 j {:.2} {:.2} m ",
                        g(*gray),
                        x(*width),
                        x(first.0),
                        y(first.1)
                    ));
                    for p in rest {
                        s.push_str(&format!("{:.2} {:.2} l ", x(p.0), y(p.1)));
                    }
                    s.push_str("S\n");
                }
            }
        }
    }
    s.into_bytes()
}

/// A PDF literal string body in WinAnsiEncoding: Latin-1 plus the Windows-1252 extras (€, œ,
/// quotes, dashes); anything else becomes '?'. Delimiters are escaped.
fn pdf_string(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let byte: Option<u8> = match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                Some(c as u8)
            }
            '\u{20}'..='\u{7e}' => Some(c as u8),
            '€' => Some(0x80),
            '‚' => Some(0x82),
            '„' => Some(0x84),
            '…' => Some(0x85),
            '‹' => Some(0x8b),
            'Œ' => Some(0x8c),
            '‘' => Some(0x91),
            '’' => Some(0x92),
            '“' => Some(0x93),
            '”' => Some(0x94),
            '•' => Some(0x95),
            '–' => Some(0x96),
            '—' => Some(0x97),
            '›' => Some(0x9b),
            'œ' => Some(0x9c),
            'Ÿ' => Some(0x9f),
            '\u{a0}'..='\u{ff}' => Some(c as u32 as u8),
            '\u{202f}' => Some(0xa0),
            _ => Some(b'?'),
        };
        if let Some(b) = byte {
            if b >= 0x80 {
                out.push_str(&format!("\\{b:03o}"));
            } else {
                out.push(b as char);
            }
        }
    }
    out
}
