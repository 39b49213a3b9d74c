//! Image decoders: TIFF (every page, CCITT G4 included), PNG and JPEG, to 8-bit grey.
//!
//! Every decoder reads the image's size from its header and checks it against the pixel limit
//! before it allocates the pixels, so a 60000x60000 header costs nothing. They run only inside a
//! worker process.

use crate::protocol::{Fault, FaultKind, PageInfo};
use crate::{FileKind, Limits, Source};
use image::{GrayImage, ImageDecoder as _};
use std::io::Cursor;

/// A decoded page: grey pixels (0 = black) and the resolution the file states, if any.
pub(crate) struct Decoded {
    pub img: GrayImage,
    pub dpi: Option<u32>,
}

/// The kind of a file from its first bytes, or `None`.
pub(crate) fn sniff(bytes: &[u8]) -> Option<FileKind> {
    if bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"II+\0")
        || bytes.starts_with(b"MM\0+")
    {
        Some(FileKind::Tiff)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileKind::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileKind::Png)
    } else if bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-")
    {
        Some(FileKind::Pdf)
    } else {
        None
    }
}

/// What a file that is none of our formats looks like, for the operator.
pub(crate) fn describe(bytes: &[u8]) -> &'static str {
    let head = &bytes[..bytes.len().min(512)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let has = |s: &[u8]| lower.windows(s.len()).any(|w| w == s);
    if bytes.is_empty() {
        "it is empty"
    } else if head.starts_with(b"GIF8") {
        "it is a GIF image"
    } else if head.starts_with(b"BM") {
        "it is a BMP image"
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        "it is a WebP image"
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" {
        "it is a HEIC photo or a video"
    } else if head.starts_with(b"PK\x03\x04") {
        "it is a ZIP archive or an Office document"
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        "it is an old Office document"
    } else if has(b"<html") || has(b"<!doctype html") {
        "it looks like a web page"
    } else if std::str::from_utf8(head).is_ok()
        || head.iter().all(|&b| b >= 0x20 || b"\t\r\n".contains(&b))
    {
        "it looks like text"
    } else {
        "its content is not a known format"
    }
}

/// The same file kind in an operator's words.
pub(crate) fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Tiff => "a TIFF image",
        FileKind::Jpeg => "a JPEG image",
        FileKind::Png => "a PNG image",
        FileKind::Pdf => "a PDF",
    }
}

fn limit_pixels(index: u32, w: u32, h: u32, limits: &Limits) -> Result<(), Fault> {
    let px = u64::from(w) * u64::from(h);
    if px > limits.max_pixels {
        return Err(Fault::new(
            index,
            FaultKind::Limit,
            format!(
                "image is {w}x{h} pixels, over the {} megapixel limit",
                limits.max_pixels / 1_000_000
            ),
        ));
    }
    if w < limits.min_side || h < limits.min_side {
        return Err(Fault::new(
            index,
            FaultKind::Unsupported,
            format!(
                "image is only {w}x{h} pixels, too small to hold a page (under {} pixels a side)",
                limits.min_side
            ),
        ));
    }
    Ok(())
}

/// Lists the pages of an image file, checking each page's size from its header.
pub(crate) fn probe_image(
    bytes: &[u8],
    kind: FileKind,
    limits: &Limits,
) -> Result<Vec<PageInfo>, Fault> {
    match kind {
        FileKind::Tiff => {
            let mut dec = tiff_decoder(bytes, limits)?;
            let mut pages = Vec::new();
            loop {
                let index = pages.len() as u32;
                let (w, h) = dec.dimensions().map_err(|e| tiff_fault(index, e))?;
                limit_pixels(index, w, h, limits)?;
                pages.push(PageInfo {
                    width: w,
                    height: h,
                    source: Source::Ocr,
                });
                if !dec.more_images() {
                    break;
                }
                if pages.len() as u32 >= limits.max_pages {
                    return Err(too_many_pages(pages.len() as u32, limits));
                }
                dec.next_image().map_err(|e| tiff_fault(index + 1, e))?;
            }
            Ok(pages)
        }
        FileKind::Png | FileKind::Jpeg => {
            jpeg_complete(bytes, kind)?;
            let (w, h) = raster_decoder(bytes, kind, limits)?.dimensions();
            limit_pixels(0, w, h, limits)?;
            Ok(vec![PageInfo {
                width: w,
                height: h,
                source: Source::Ocr,
            }])
        }
        FileKind::Pdf => unreachable!("PDFs are probed by pdf::probe"),
    }
}

pub(crate) fn too_many_pages(at: u32, limits: &Limits) -> Fault {
    Fault::new(
        at,
        FaultKind::Limit,
        format!(
            "the file has more than {} pages, the limit per envelope",
            limits.max_pages
        ),
    )
}

/// Decodes page `index` (0-based) of an image file.
pub(crate) fn decode_image(
    bytes: &[u8],
    kind: FileKind,
    index: u32,
    limits: &Limits,
) -> Result<Decoded, Fault> {
    match kind {
        FileKind::Tiff => decode_tiff(bytes, index, limits),
        FileKind::Png | FileKind::Jpeg => {
            if index != 0 {
                return Err(Fault::new(
                    index,
                    FaultKind::Damaged,
                    "the image has a single page",
                ));
            }
            jpeg_complete(bytes, kind)?;
            let dec = raster_decoder(bytes, kind, limits)?;
            let (w, h) = dec.dimensions();
            limit_pixels(0, w, h, limits)?;
            let img = image::DynamicImage::from_decoder(dec)
                .map_err(|e| image_fault(kind, e))?
                .into_luma8();
            let dpi = match kind {
                FileKind::Png => png_dpi(bytes),
                _ => jpeg_dpi(bytes),
            };
            Ok(Decoded { img, dpi })
        }
        FileKind::Pdf => unreachable!("PDFs are decoded by pdf::read_page"),
    }
}

/// A JPEG ends with its EOI marker (padding aside). Without it the file was cut short, and the
/// decoder would fill the missing rows with grey rather than fail.
fn jpeg_complete(bytes: &[u8], kind: FileKind) -> Result<(), Fault> {
    if kind != FileKind::Jpeg {
        return Ok(());
    }
    let end = bytes
        .iter()
        .rposition(|&b| b != 0 && !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    if end >= 2 && bytes[end - 2..end] == [0xFF, 0xD9] {
        Ok(())
    } else {
        Err(Fault::new(
            0,
            FaultKind::Damaged,
            "the JPEG image is truncated (the file ends too early)",
        ))
    }
}

fn image_limits(limits: &Limits) -> image::Limits {
    let mut l = image::Limits::default();
    // The pixel check proper is ours (with its own sentence); these stop a decoder that would
    // allocate for a header it has not shown us.
    l.max_image_width = Some(200_000);
    l.max_image_height = Some(200_000);
    l.max_alloc = Some(limits.max_pixels.saturating_mul(4).saturating_add(64 << 20));
    l
}

fn raster_decoder<'a>(
    bytes: &'a [u8],
    kind: FileKind,
    limits: &Limits,
) -> Result<Box<dyn image::ImageDecoder + 'a>, Fault> {
    let mut reader = image::ImageReader::with_format(
        Cursor::new(bytes),
        if kind == FileKind::Png {
            image::ImageFormat::Png
        } else {
            image::ImageFormat::Jpeg
        },
    );
    reader.limits(image_limits(limits));
    let dec = reader.into_decoder().map_err(|e| image_fault(kind, e))?;
    Ok(Box::new(dec))
}

fn image_fault(kind: FileKind, e: image::ImageError) -> Fault {
    use image::ImageError as E;
    let name = if kind == FileKind::Png { "PNG" } else { "JPEG" };
    match e {
        E::Limits(_) => Fault::new(
            0,
            FaultKind::Limit,
            format!("the {name} image is too large to decode"),
        ),
        E::Unsupported(u) => Fault::new(
            0,
            FaultKind::Unsupported,
            format!("the {name} image uses a variant we cannot read ({u})"),
        ),
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => Fault::new(
            0,
            FaultKind::Damaged,
            format!("the {name} image is truncated (the file ends too early)"),
        ),
        other => Fault::new(
            0,
            FaultKind::Damaged,
            format!("the {name} image is damaged ({other})"),
        ),
    }
}

fn tiff_decoder<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<tiff::decoder::Decoder<Cursor<&'a [u8]>>, Fault> {
    let mut tl = tiff::decoder::Limits::default();
    tl.decoding_buffer_size =
        usize::try_from(limits.max_pixels.saturating_mul(4)).unwrap_or(usize::MAX);
    tl.intermediate_buffer_size = tl.decoding_buffer_size;
    let dec = tiff::decoder::Decoder::new(Cursor::new(bytes)).map_err(|e| tiff_fault(0, e))?;
    Ok(dec.with_limits(tl))
}

fn tiff_fault(index: u32, e: tiff::TiffError) -> Fault {
    use tiff::TiffError as E;
    match e {
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => Fault::new(
            index,
            FaultKind::Damaged,
            "the TIFF image is truncated (the file ends too early)",
        ),
        E::LimitsExceeded => Fault::new(
            index,
            FaultKind::Limit,
            "the TIFF image is too large to decode",
        ),
        E::UnsupportedError(u) => Fault::new(
            index,
            FaultKind::Unsupported,
            format!("the TIFF image uses a variant we cannot read ({u})"),
        ),
        other => Fault::new(
            index,
            FaultKind::Damaged,
            format!("the TIFF image is damaged ({other})"),
        ),
    }
}

fn decode_tiff(bytes: &[u8], index: u32, limits: &Limits) -> Result<Decoded, Fault> {
    use tiff::ColorType as C;
    use tiff::decoder::DecodingResult as R;
    let mut dec = tiff_decoder(bytes, limits)?;
    if index > 0 {
        dec.seek_to_image(index as usize)
            .map_err(|e| tiff_fault(index, e))?;
    }
    let f = |e| tiff_fault(index, e);
    let (w, h) = dec.dimensions().map_err(f)?;
    limit_pixels(index, w, h, limits)?;
    let color = dec.colortype().map_err(f)?;
    // The tiff crate applies PhotometricInterpretation itself (it inverts WhiteIsZero data,
    // CCITT included): samples come out with 0 as black, whatever the file says (measured on
    // WhiteIsZero G4 and raw files and on BlackIsZero G4 ones).
    let dpi = tiff_dpi(&mut dec);
    let data = dec.read_image().map_err(f)?;
    let (wu, hu) = (w as usize, h as usize);
    let mut out = vec![0u8; wu * hu];
    let short = || {
        Fault::new(
            index,
            FaultKind::Damaged,
            "the TIFF image holds fewer pixels than its header claims",
        )
    };
    match (color, data) {
        (C::Gray(1), R::U8(v)) => {
            let stride = wu.div_ceil(8);
            if v.len() < stride * hu {
                return Err(short());
            }
            // Eight pixels per source byte from a table (a bit-by-bit loop took about 4 ms
            // of an A4 page at 300 dpi).
            let table = bit_table();
            for y in 0..hu {
                let row = &v[y * stride..(y + 1) * stride];
                let dst = &mut out[y * wu..(y + 1) * wu];
                let mut chunks = dst.chunks_exact_mut(8);
                for (px, byte) in (&mut chunks).zip(row) {
                    px.copy_from_slice(&table[usize::from(*byte)]);
                }
                let rest = chunks.into_remainder();
                if let Some(byte) = row.get(wu / 8) {
                    let n = rest.len();
                    rest.copy_from_slice(&table[usize::from(*byte)][..n]);
                }
            }
        }
        (C::Gray(8), R::U8(v)) => {
            if v.len() < wu * hu {
                return Err(short());
            }
            out.copy_from_slice(&v[..wu * hu]);
        }
        (C::Gray(16), R::U16(v)) => {
            if v.len() < wu * hu {
                return Err(short());
            }
            for (o, s) in out.iter_mut().zip(&v) {
                *o = (s >> 8) as u8;
            }
        }
        (C::RGB(8), R::U8(v)) => luma(&v, 3, &mut out).ok_or_else(short)?,
        (C::RGBA(8), R::U8(v)) => luma(&v, 4, &mut out).ok_or_else(short)?,
        (C::GrayA(8), R::U8(v)) => {
            if v.len() < wu * hu * 2 {
                return Err(short());
            }
            for (o, s) in out.iter_mut().zip(v.chunks_exact(2)) {
                *o = s[0];
            }
        }
        (c, _) => {
            return Err(Fault::new(
                index,
                FaultKind::Unsupported,
                format!("the TIFF image uses a colour type we cannot read ({c:?})"),
            ));
        }
    }
    let img = GrayImage::from_raw(w, h, out).ok_or_else(short)?;
    Ok(Decoded { img, dpi })
}

/// The eight grey pixels of each byte of 1-bit samples (most significant bit first; a 1 bit
/// is white, since the tiff crate has applied the photometric interpretation).
fn bit_table() -> &'static [[u8; 8]; 256] {
    static TABLE: std::sync::OnceLock<[[u8; 8]; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [[0u8; 8]; 256];
        for (byte, px) in t.iter_mut().enumerate() {
            for (i, p) in px.iter_mut().enumerate() {
                *p = if (byte >> (7 - i)) & 1 == 1 { 255 } else { 0 };
            }
        }
        t
    })
}

/// Rec. 601 luma of packed 8-bit RGB(A) pixels.
fn luma(v: &[u8], channels: usize, out: &mut [u8]) -> Option<()> {
    if v.len() < out.len() * channels {
        return None;
    }
    for (o, s) in out.iter_mut().zip(v.chunks_exact(channels)) {
        *o = ((u32::from(s[0]) * 299 + u32::from(s[1]) * 587 + u32::from(s[2]) * 114) / 1000) as u8;
    }
    Some(())
}

fn tiff_dpi(dec: &mut tiff::decoder::Decoder<Cursor<&[u8]>>) -> Option<u32> {
    use tiff::tags::Tag;
    let x = dec
        .find_tag(Tag::XResolution)
        .ok()
        .flatten()?
        .into_f64()
        .ok()?;
    let unit = dec
        .find_tag_unsigned::<u16>(Tag::ResolutionUnit)
        .ok()
        .flatten()
        .unwrap_or(2);
    let dpi = if unit == 3 { x * 2.54 } else { x };
    plausible_dpi(dpi)
}

fn plausible_dpi(dpi: f64) -> Option<u32> {
    (72.0..=2400.0).contains(&dpi).then_some(dpi.round() as u32)
}

/// The pHYs chunk of a PNG, in dots per inch.
fn png_dpi(bytes: &[u8]) -> Option<u32> {
    let mut i = 8;
    while i + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[i..i + 4].try_into().ok()?) as usize;
        let ty = &bytes[i + 4..i + 8];
        if ty == b"pHYs" && len >= 9 && i + 8 + 9 <= bytes.len() {
            let d = &bytes[i + 8..i + 17];
            let ppu = u32::from_be_bytes(d[0..4].try_into().ok()?);
            return if d[8] == 1 {
                plausible_dpi(f64::from(ppu) * 0.0254)
            } else {
                None
            };
        }
        if ty == b"IDAT" {
            return None;
        }
        i = i.checked_add(12 + len)?;
    }
    None
}

/// The JFIF density of a JPEG, in dots per inch.
fn jpeg_dpi(bytes: &[u8]) -> Option<u32> {
    let app0 = bytes.get(2..)?;
    if app0.len() < 16 || app0[0] != 0xFF || app0[1] != 0xE0 || &app0[4..9] != b"JFIF\0" {
        return None;
    }
    let unit = app0[11];
    let x = f64::from(u16::from_be_bytes([app0[12], app0[13]]));
    match unit {
        1 => plausible_dpi(x),
        2 => plausible_dpi(x * 2.54),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_and_describes() {
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Some(FileKind::Tiff));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some(FileKind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), Some(FileKind::Png));
        assert_eq!(sniff(b"junk\n%PDF-1.4"), Some(FileKind::Pdf));
        assert_eq!(sniff(b"hello"), None);
        assert_eq!(describe(b""), "it is empty");
        assert_eq!(
            describe(b"Bonjour, voici mon dossier.\n"),
            "it looks like text"
        );
        assert_eq!(
            describe(b"<!DOCTYPE html><html>"),
            "it looks like a web page"
        );
        assert_eq!(
            describe(b"PK\x03\x04rest"),
            "it is a ZIP archive or an Office document"
        );
    }

    /// A 16x2 1-bit uncompressed TIFF whose rows are 0xFF 0x00, with this photometric tag.
    fn bilevel_tiff(photometric: u16) -> Vec<u8> {
        bilevel_tiff_of(photometric, 16, &[0xFF, 0x00, 0xFF, 0x00])
    }

    /// A `width`x2 1-bit uncompressed TIFF of these row bytes.
    fn bilevel_tiff_of(photometric: u16, width: u32, data: &[u8]) -> Vec<u8> {
        let entries: [(u16, u16, u32); 9] = [
            (256, 3, width),
            (257, 3, 2),
            (258, 3, 1),
            (259, 3, 1),
            (262, 3, u32::from(photometric)),
            (273, 4, 122),
            (277, 3, 1),
            (278, 3, 2),
            (279, 4, data.len() as u32),
        ];
        let mut out = b"II*\0\x08\0\0\0".to_vec();
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, ty, value) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&ty.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(out.len(), 122);
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn bilevel_rows_not_a_multiple_of_eight_wide() {
        let limits = Limits {
            min_side: 1,
            ..Limits::default()
        };
        // BlackIsZero, 13 pixels a row (2 bytes, 3 padding bits).
        let rows = [0b1010_1010, 0b1100_1111, 0b0000_0000, 0b0011_1000];
        let d = decode_image(&bilevel_tiff_of(1, 13, &rows), FileKind::Tiff, 0, &limits).unwrap();
        let row = |y: u32| -> String {
            (0..13)
                .map(|x| {
                    if d.img.get_pixel(x, y).0[0] == 255 {
                        '1'
                    } else {
                        '0'
                    }
                })
                .collect()
        };
        assert_eq!(
            (row(0).as_str(), row(1).as_str()),
            ("1010101011001", "0000000000111")
        );
    }

    #[test]
    fn bilevel_tiff_follows_its_photometric_tag() {
        let limits = Limits {
            min_side: 1,
            ..Limits::default()
        };
        // WhiteIsZero: 1 bits are ink.
        let d = decode_image(&bilevel_tiff(0), FileKind::Tiff, 0, &limits).unwrap();
        assert_eq!(
            (d.img.get_pixel(0, 0).0[0], d.img.get_pixel(8, 1).0[0]),
            (0, 255)
        );
        // BlackIsZero: 0 bits are ink.
        let d = decode_image(&bilevel_tiff(1), FileKind::Tiff, 0, &limits).unwrap();
        assert_eq!(
            (d.img.get_pixel(0, 0).0[0], d.img.get_pixel(8, 1).0[0]),
            (255, 0)
        );
    }

    #[test]
    fn decodes_a_grey_png_with_its_resolution() {
        let img = GrayImage::from_fn(200, 100, |x, _| {
            image::Luma([if x < 100 { 0 } else { 255 }])
        });
        let mut bytes = Vec::new();
        img.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
            .unwrap();
        let limits = Limits::default();
        let pages = probe_image(&bytes, FileKind::Png, &limits).unwrap();
        assert_eq!((pages[0].width, pages[0].height), (200, 100));
        let d = decode_image(&bytes, FileKind::Png, 0, &limits).unwrap();
        assert_eq!(d.img.get_pixel(10, 10).0[0], 0);
        assert_eq!(d.img.get_pixel(150, 10).0[0], 255);
    }
}
