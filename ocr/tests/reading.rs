//! The stage reads every format it promises, numbers pages over the envelope, turns pages upright
//! and gives word boxes in pixels of the page as decoded.

use image::GrayImage;
use mailroom_ocr::{Config, FileKind, PageText, Reader, Source};
use mailroom_samples::doc::{Item, Page};
use mailroom_samples::encode::{self, PdfImage, PdfPage, TiffPage};
use mailroom_samples::fonts::Font;

fn reader() -> Reader {
    Reader::new(Config {
        worker: Some(env!("CARGO_BIN_EXE_mailroom-ocr-worker").into()),
        ..Config::default()
    })
    .expect("the OCR workers start")
}

/// An A4 page with a title and a few lines of French, drawn with the generator's fonts.
fn page(title: &str) -> Page {
    let mut items = vec![Item::Text {
        x: 20.0,
        y: 30.0,
        font: Font::ALL[1],
        size: 20.0,
        text: title.into(),
        gray: 0,
    }];
    let lines = [
        "Madame, Monsieur, je vous prie de bien vouloir trouver ci-joint",
        "la facture de soins dentaires du 12 mars 2025 pour un montant de",
        "245,80 euros, réglée par chèque. Je vous remercie de procéder au",
        "remboursement de la part complémentaire sur mon compte habituel.",
        "Veuillez agréer l'expression de mes salutations distinguées.",
        "Numéro d'adhérent : 4512 8870 - Nathalie Durand, Lyon",
        "Pièces jointes : facture, relevé de la Sécurité sociale.",
        "Je reste à votre disposition pour tout renseignement utile.",
        "Fait à Lyon, le 14 mars 2025, pour servir et valoir ce que de droit.",
        "Merci de noter également mon changement d'adresse postale.",
    ];
    for (i, l) in lines.iter().enumerate() {
        items.push(Item::Text {
            x: 20.0,
            y: 50.0 + 9.0 * i as f32,
            font: Font::ALL[3],
            size: 11.0,
            text: (*l).into(),
            gray: 0,
        });
    }
    Page {
        items,
        ..Page::default()
    }
}

fn raster(p: &Page, dpi: u32) -> GrayImage {
    mailroom_samples::raster::render(p, dpi).expect("fonts are installed")
}

fn bitonal(img: &GrayImage) -> GrayImage {
    GrayImage::from_fn(img.width(), img.height(), |x, y| {
        image::Luma([if img.get_pixel(x, y).0[0] < 128 {
            0
        } else {
            255
        }])
    })
}

/// The image turned by `deg` about its centre (bilinear, white outside), as a sheet fed askew.
fn turn(img: &GrayImage, deg: f32) -> GrayImage {
    let (w, h) = img.dimensions();
    let (s, c) = deg.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let (sx, sy) = (dx * c + dy * s + cx, -dx * s + dy * c + cy);
        if sx < 0.0 || sy < 0.0 || sx >= (w - 1) as f32 || sy >= (h - 1) as f32 {
            return image::Luma([255]);
        }
        let (x0, y0) = (sx as u32, sy as u32);
        let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
        let p = |x, y| f32::from(img.get_pixel(x, y).0[0]);
        let top = p(x0, y0) * (1.0 - fx) + p(x0 + 1, y0) * fx;
        let bottom = p(x0, y0 + 1) * (1.0 - fx) + p(x0 + 1, y0 + 1) * fx;
        image::Luma([(top * (1.0 - fy) + bottom * fy).round() as u8])
    })
}

fn word<'a>(p: &'a PageText, text: &str) -> &'a mailroom_ocr::Word {
    p.words
        .iter()
        .find(|w| w.text == text)
        .unwrap_or_else(|| panic!("no word {text:?} in {:?}", p.text))
}

#[test]
fn reads_every_format_and_numbers_pages_over_the_envelope() {
    let reader = reader();
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("env-1");
    std::fs::create_dir(&env).unwrap();
    let (a, b) = (
        raster(&page("ALPHA PAGE"), 300),
        raster(&page("BRAVO PAGE"), 200),
    );
    let blank = GrayImage::from_pixel(a.width(), a.height(), image::Luma([255]));
    // 001.tif: G4 page, grey page, blank back; 002.jpg; 003.png; 004.pdf: scanned G4 + JPEG;
    // 005.pdf: born digital.
    let tif = encode::tiff(&[
        (TiffPage::G4(&bitonal(&a)), 300),
        (TiffPage::Gray(&b), 200),
        (TiffPage::G4(&blank), 300),
    ]);
    std::fs::write(env.join("001.tif"), tif).unwrap();
    std::fs::write(
        env.join("002.jpg"),
        encode::jpeg(&raster(&page("CHARLIE PAGE"), 200), 70, 200),
    )
    .unwrap();
    std::fs::write(
        env.join("003.png"),
        encode::png(&raster(&page("DELTA PAGE"), 200)),
    )
    .unwrap();
    let (c, d) = (
        raster(&page("ECHO PAGE"), 300),
        raster(&page("FOXTROT PAGE"), 200),
    );
    let scanned = encode::pdf(
        &[
            PdfPage::Scan(PdfImage::G4(&bitonal(&c)), 300),
            PdfPage::Scan(PdfImage::Jpeg(&d, 70), 200),
        ],
        "scanner",
    );
    std::fs::write(env.join("004.pdf"), scanned).unwrap();
    let digital_page = page("GOLF PAGE");
    std::fs::write(
        env.join("005.pdf"),
        encode::pdf(&[PdfPage::Digital(&digital_page)], "invoicing"),
    )
    .unwrap();
    std::fs::write(env.join("envelope.json"), b"{}").unwrap();

    let pages = reader.read_envelope(&env).unwrap();
    assert_eq!(
        pages.iter().map(|p| p.page).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<_>>()
    );
    let titles = [
        "ALPHA", "BRAVO", "", "CHARLIE", "DELTA", "ECHO", "FOXTROT", "GOLF",
    ];
    for (p, t) in pages.iter().zip(titles) {
        if t.is_empty() {
            assert!(
                p.blank && p.source == Source::Blank && p.words.is_empty(),
                "page {} is blank",
                p.page
            );
            continue;
        }
        assert!(p.text.contains(t), "page {}: {:?}", p.page, p.text);
        assert!(
            p.text.contains("remboursement"),
            "page {}: {:?}",
            p.page,
            p.text
        );
        assert!(
            p.confidence.get() > 0.7,
            "page {}: confidence {:?}",
            p.page,
            p.confidence
        );
    }
    assert_eq!(pages[7].source, Source::TextLayer);
    assert_eq!(pages[7].confidence.get(), 1.0);
    assert!(
        pages[..7]
            .iter()
            .all(|p| p.source == Source::Ocr || p.blank)
    );
    // Word boxes are in pixels of the page as decoded: the title at 20 mm, 30 mm (baseline).
    let px = |mm: f32, dpi: u32| (mm / 25.4 * dpi as f32) as i64;
    for (p, dpi) in [(&pages[0], 300), (&pages[1], 200), (&pages[7], 300)] {
        let w = word(p, titles[p.page as usize - 1]);
        assert!(
            (i64::from(w.bbox[0]) - px(20.0, dpi)).abs() < px(2.0, dpi),
            "page {}: {:?}",
            p.page,
            w.bbox
        );
        assert!(
            (i64::from(w.bbox[3]) - px(30.0, dpi)).abs() < px(3.0, dpi),
            "page {}: {:?}",
            p.page,
            w.bbox
        );
    }
}

#[test]
fn an_upside_down_page_reads_right_with_boxes_on_the_page_as_scanned() {
    let reader = reader();
    let upright = raster(&page("RETOURNEE"), 300);
    let turned = image::imageops::rotate180(&upright);
    assert_eq!(mailroom_ocr::upside_down(&upright, 300), Some(false));
    assert_eq!(mailroom_ocr::upside_down(&turned, 300), Some(true));
    let p = &reader
        .read_bytes(&encode::png(&turned), FileKind::Png)
        .unwrap()[0];
    assert_eq!(p.rotation, 180);
    assert!(
        p.text.contains("RETOURNEE") && p.text.contains("remboursement"),
        "{:?}",
        p.text
    );
    // On the page as scanned the title sits at the bottom right, upside down.
    let w = word(p, "RETOURNEE");
    let (wd, ht) = (upright.width(), upright.height());
    let x1 = wd - (20.0 / 25.4 * 300.0) as u32;
    assert!(
        w.bbox[2].abs_diff(x1) < 30,
        "{:?} vs right edge {x1}",
        w.bbox
    );
    assert!(
        w.bbox[1] > ht - (33.0 / 25.4 * 300.0) as u32,
        "{:?}",
        w.bbox
    );
}

#[test]
fn a_skewed_page_is_straightened_and_its_boxes_stay_on_the_page_as_scanned() {
    let reader = reader();
    let upright = raster(&page("PENCHEE"), 300);
    let skewed = turn(&upright, 2.5);
    let p = &reader
        .read_bytes(&encode::png(&skewed), FileKind::Png)
        .unwrap()[0];
    assert!(p.deskew_deg.abs() > 1.5, "deskew {}", p.deskew_deg);
    assert!(p.text.contains("remboursement"), "{:?}", p.text);
    // Each word's box holds ink of the skewed image.
    for w in p.words.iter().filter(|w| w.text.len() > 5) {
        let [x0, y0, x1, y1] = w.bbox;
        let ink = (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| skewed.get_pixel(x, y).0[0] < 128)
            .count();
        assert!(ink > 20, "no ink under {:?} {:?}", w.text, w.bbox);
    }
}
