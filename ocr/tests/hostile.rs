//! Hostile input: every file of `tests/hostile/` goes through the stage and must come back as an
//! error naming the page and the reason, within seconds, without taking the process down; and a
//! worker that segfaults, aborts, overflows its stack, loops, eats memory or panics fails only
//! its own request.
//!
//! The corpus is committed; `write_hostile_corpus` (ignored) rewrites it:
//! `cargo test --release -p mailroom-ocr --test hostile -- --ignored write_hostile_corpus`.

use mailroom_ocr::{Config, Limits, Misbehaviour, OcrError, Reader};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

fn reader(slots: usize) -> Reader {
    Reader::new(Config {
        slots,
        limits: Limits {
            page_timeout: Duration::from_secs(5),
            worker_memory_bytes: 1 << 30,
            max_pdf_stream_bytes: 20_000_000,
            ..Limits::default()
        },
        worker: Some(env!("CARGO_BIN_EXE_mailroom-ocr-worker").into()),
        test_faults: true,
        ..Config::default()
    })
    .expect("the OCR workers start")
}

/// Each corpus file and a phrase its error must contain.
const EXPECTED: &[(&str, &str)] = &[
    (
        "huge-header.png",
        "image is 60000x60000 pixels, over the 40 megapixel limit",
    ),
    (
        "huge-header.tif",
        "image is 60000x60000 pixels, over the 40 megapixel limit",
    ),
    (
        "huge-image.pdf",
        "image is 60000x60000 pixels, over the 40 megapixel limit",
    ),
    (
        "huge-page.pdf",
        "too large to read under the 40 megapixel limit",
    ),
    ("truncated.tif", "the TIFF image is truncated"),
    ("truncated-strip.tif", "the TIFF image is damaged"),
    ("truncated.jpg", "the JPEG image is truncated"),
    ("truncated.pdf", "the PDF is truncated"),
    (
        "nested-arrays.pdf",
        "the PDF nests arrays or dictionaries more than 64 levels deep",
    ),
    ("xref-loop.pdf", "the PDF has no readable page"),
    ("page-tree-loop.pdf", "the PDF has no readable page"),
    (
        "deflate-bomb.pdf",
        "the PDF page's content decompresses to more than 20 MB, the limit",
    ),
    (
        "one-pixel.png",
        "image is only 1x1 pixels, too small to hold a page",
    ),
    ("empty.tif", "the file is empty"),
    ("text.pdf", "the file is not a PDF (it looks like text)"),
    (
        "webpage.jpg",
        "the file is not a JPEG image (it looks like a web page)",
    ),
];

#[test]
fn every_hostile_file_fails_with_its_page_and_reason_within_seconds() {
    let reader = reader(2);
    let dir = corpus_dir();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            continue;
        }
        let expected = EXPECTED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, e)| *e)
            .unwrap_or_else(|| panic!("{name} has no expectation"));
        let t = Instant::now();
        let result = reader.read_envelope(&path);
        let took = t.elapsed();
        let err = result
            .err()
            .unwrap_or_else(|| panic!("{name} was read without an error"));
        let msg = err.to_string();
        println!("{name:<22} {:>5} ms  {msg}", took.as_millis());
        assert!(msg.starts_with("page 1: "), "{name}: {msg}");
        assert!(msg.contains(expected), "{name}: {msg:?} lacks {expected:?}");
        assert!(
            !err.retryable(),
            "{name}: the file's own fault is not retryable"
        );
        assert!(took < Duration::from_secs(10), "{name} took {took:?}");
        seen += 1;
    }
    assert_eq!(seen, EXPECTED.len(), "every expected file is in the corpus");
    // The stage still reads a good page afterwards.
    let good = good_page_png();
    let pages = reader
        .read_bytes(&good, mailroom_ocr::FileKind::Png)
        .expect("a good page reads");
    assert!(pages[0].text.contains("MAILROOM"), "{:?}", pages[0].text);
}

#[test]
fn a_bad_file_names_its_page_in_the_envelope() {
    let reader = reader(2);
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env-1");
    std::fs::create_dir(&env).unwrap();
    std::fs::write(env.join("001.png"), good_page_png()).unwrap();
    std::fs::write(env.join("002.png"), good_page_png()).unwrap();
    std::fs::copy(corpus_dir().join("text.pdf"), env.join("003.pdf")).unwrap();
    std::fs::write(env.join("envelope.json"), br#"{"scanner": "scan-01"}"#).unwrap();
    let err = reader.read_envelope(&env).unwrap_err();
    assert_eq!(
        err.to_string(),
        "page 3: the file is not a PDF (it looks like text)"
    );
    assert_eq!(err.file(), "003.pdf");
    std::fs::remove_file(env.join("003.pdf")).unwrap();
    let pages = reader.read_envelope(&env).unwrap();
    assert_eq!(pages.iter().map(|p| p.page).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn a_worker_that_dies_or_hangs_fails_only_its_request() {
    let reader = reader(1);
    let cases = [
        (Misbehaviour::Segfault, "segmentation fault"),
        (Misbehaviour::Abort, "abort"),
        (Misbehaviour::StackOverflow, "stack overflow"),
        (Misbehaviour::Allocate, "out of memory"),
        (Misbehaviour::Loop, "took more than 5 s"),
        (Misbehaviour::Panic, "internal error"),
    ];
    for (how, phrase) in cases {
        let t = Instant::now();
        let err = reader.misbehave(how).unwrap_err();
        println!("{how:?}: {} ms: {err}", t.elapsed().as_millis());
        assert!(err.to_string().contains(phrase), "{how:?}: {err}");
        assert!(
            matches!(
                err,
                OcrError::Crashed { .. } | OcrError::Timeout { .. } | OcrError::Damaged { .. }
            ),
            "{how:?}: {err:?}"
        );
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{how:?} took {:?}",
            t.elapsed()
        );
        // The one slot was restarted: a page still reads.
        let pages = reader
            .read_bytes(&good_page_png(), mailroom_ocr::FileKind::Png)
            .expect("the pool recovers");
        assert!(pages[0].text.contains("MAILROOM"));
    }
}

#[test]
fn a_looping_xref_with_intact_objects_is_read() {
    // lopdf stops at the repeated section; the page is a blank A4, read as blank.
    let reader = reader(1);
    let pages = reader
        .read_bytes(&xref_loop_pdf(true), mailroom_ocr::FileKind::Pdf)
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert!(pages[0].blank, "{:?}", pages[0]);
}

// ---- the corpus ---------------------------------------------------------------------------

/// A 1240x1754 (A4 at 150 dpi) page with one line of big text, drawn with the generator's fonts.
fn good_page() -> image::GrayImage {
    use mailroom_samples::doc::{Item, Page};
    use mailroom_samples::fonts::Font;
    let page = Page {
        items: vec![Item::Text {
            x: 25.0,
            y: 40.0,
            font: Font::ALL[0],
            size: 28.0,
            text: "MAILROOM TEST PAGE".into(),
            gray: 0,
        }],
        ..Page::default()
    };
    mailroom_samples::raster::render(&page, 150).expect("fonts are installed")
}

fn good_page_png() -> Vec<u8> {
    mailroom_samples::encode::png(&good_page())
}

fn png_chunk(out: &mut Vec<u8>, ty: &[u8], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut c = ty.to_vec();
    c.extend_from_slice(data);
    out.extend_from_slice(&c);
    out.extend_from_slice(&crc32(&c).to_be_bytes());
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_with_size(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grey
    png_chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of a few zero rows: far too little for the header's claim.
    png_chunk(
        &mut out,
        b"IDAT",
        &[
            0x78, 0x9c, 0x63, 0x60, 0x18, 0x05, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
        ],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A one-page TIFF with its directory first and `data` as its single strip.
fn tiff_ifd_first(w: u32, h: u32, bits: u16, compression: u16, data: &[u8]) -> Vec<u8> {
    let entries: [(u16, u16, u32, u32); 9] = [
        (256, 4, 1, w),
        (257, 4, 1, h),
        (258, 3, 1, u32::from(bits)),
        (259, 3, 1, u32::from(compression)),
        (262, 3, 1, 0),
        (273, 4, 1, 0), // strip offset, patched below
        (277, 3, 1, 1),
        (278, 4, 1, h),
        (279, 4, 1, data.len() as u32),
    ];
    let mut out = b"II*\0\x08\0\0\0".to_vec();
    let data_off = 8 + 2 + entries.len() as u32 * 12 + 4;
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, ty, count, value) in entries {
        let value = if tag == 273 { data_off } else { value };
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&ty.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        if ty == 3 {
            out.extend_from_slice(&(value as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// A PDF from numbered object bodies, with a correct cross-reference table.
fn pdf(objects: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        write!(out, "{} 0 obj\n{body}\nendobj\n", i + 1).unwrap();
    }
    let xref = out.len();
    write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).unwrap();
    for o in offsets {
        writeln!(out, "{o:010} 00000 n ").unwrap();
    }
    write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    )
    .unwrap();
    out
}

fn page_pdf(page_extra: &str, content: &str, more: &[String]) -> Vec<u8> {
    let mut objs = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R {page_extra} >>"
        ),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
    ];
    objs.extend_from_slice(more);
    pdf(&objs)
}

/// Two cross-reference sections whose `/Prev` point at each other. With `intact`, they list
/// real objects (a blank page); without, the file holds no object at all.
fn xref_loop_pdf(intact: bool) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    if intact {
        for body in [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ] {
            offsets.push(out.len());
            write!(out, "{} 0 obj\n{body}\nendobj\n", offsets.len()).unwrap();
        }
    } else {
        offsets = vec![9999, 19999, 29999];
    }
    let table = |out: &mut Vec<u8>| {
        write!(out, "xref\n0 4\n0000000000 65535 f \n").unwrap();
        for o in &offsets {
            writeln!(out, "{o:010} 00000 n ").unwrap();
        }
    };
    // Section A at `a`, section B at `b`: A's /Prev is B, B's /Prev is A.
    let a = out.len();
    let b_guess = a + 200;
    table(&mut out);
    write!(
        out,
        "trailer\n<< /Size 4 /Root 1 0 R /Prev {b_guess:08} >>\n"
    )
    .unwrap();
    while out.len() < b_guess {
        out.push(b' ');
    }
    table(&mut out);
    write!(
        out,
        "trailer\n<< /Size 4 /Root 1 0 R /Prev {a:08} >>\nstartxref\n{b_guess}\n%%EOF\n"
    )
    .unwrap();
    out
}

#[test]
#[ignore = "rewrites the committed corpus"]
fn write_hostile_corpus() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let w = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
    let page = good_page();
    let bitonal = image::GrayImage::from_fn(page.width(), page.height(), |x, y| {
        image::Luma([if page.get_pixel(x, y).0[0] < 128 {
            0
        } else {
            255
        }])
    });

    w("huge-header.png", &png_with_size(60_000, 60_000));
    w(
        "huge-header.tif",
        &tiff_ifd_first(60_000, 60_000, 1, 4, &[0u8; 64]),
    );
    w("one-pixel.png", &png_with_size(1, 1));
    w("empty.tif", b"");
    w(
        "text.pdf",
        "Bonjour,\nje vous envoie ci-joint ma facture de dentiste.\nCordialement,\nMme Durand\n"
            .as_bytes(),
    );
    w("webpage.jpg", b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not Found</body></html>\n");

    // Truncated files: real pages cut in half.
    let tif =
        mailroom_samples::encode::tiff(&[(mailroom_samples::encode::TiffPage::G4(&bitonal), 150)]);
    w("truncated.tif", &tif[..tif.len() / 2]);
    let g4 = mailroom_samples::encode::g4(&bitonal);
    let strip = tiff_ifd_first(bitonal.width(), bitonal.height(), 1, 4, &g4);
    w("truncated-strip.tif", &strip[..strip.len() - g4.len() / 2]);
    let jpg = mailroom_samples::encode::jpeg(&page, 60, 150);
    w("truncated.jpg", &jpg[..jpg.len() / 2]);
    let whole = mailroom_samples::encode::pdf(
        &[mailroom_samples::encode::PdfPage::Scan(
            mailroom_samples::encode::PdfImage::Jpeg(&page, 60),
            150,
        )],
        "scanner",
    );
    w("truncated.pdf", &whole[..whole.len() / 2]);

    // Nesting 100 000 arrays deep.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    w(
        "nested-arrays.pdf",
        &page_pdf(&format!("/Deep {deep}"), "", &[]),
    );
    w("xref-loop.pdf", &xref_loop_pdf(false));
    // A page tree whose /Kids holds itself.
    w(
        "page-tree-loop.pdf",
        &pdf(&[
            "<< /Type /Catalog /Pages 2 0 R >>".into(),
            "<< /Type /Pages /Kids [2 0 R] /Count 1 >>".into(),
        ]),
    );
    // A content stream that inflates to 100 MB of zeros (100 kB on disk).
    let mut z = flate_zeros(100_000_000);
    let mut bomb = format!("<< /Length {} /Filter /FlateDecode >>\nstream\n", z.len()).into_bytes();
    bomb.append(&mut z);
    bomb.extend_from_slice(b"\nendstream");
    let mut objs: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
    ];
    objs.push(bomb);
    w("deflate-bomb.pdf", &pdf_bytes(&objs));
    // An image XObject that claims 60000x60000 pixels.
    w(
        "huge-image.pdf",
        &page_pdf(
            "/Resources << /XObject << /Im0 5 0 R >> >>",
            "q 595 0 0 842 0 0 cm /Im0 Do Q",
            &["<< /Type /XObject /Subtype /Image /Width 60000 /Height 60000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length 4 >>\nstream\n\u{0}\u{0}\u{0}\u{0}\nendstream".into()],
        ),
    );
    // A vector page of 5 x 5 metres: no image to measure, too big to rasterise.
    w(
        "huge-page.pdf",
        &pdf(&[
            "<< /Type /Catalog /Pages 2 0 R >>".into(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Contents 4 0 R >>".into(),
            "<< /Length 24 >>\nstream\n0 0 m 14400 14400 l S\n\nendstream".into(),
        ]),
    );
}

fn flate_zeros(n: usize) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        z.write_all(&chunk[..k]).unwrap();
        left -= k;
    }
    z.finish().unwrap()
}

fn pdf_bytes(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        writeln!(out, "{} 0 obj", i + 1).unwrap();
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).unwrap();
    for o in offsets {
        writeln!(out, "{o:010} 00000 n ").unwrap();
    }
    write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    )
    .unwrap();
    out
}
