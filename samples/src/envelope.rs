//! Planning and writing envelopes (*plis*): which documents travel together, how the scanner
//! saw the sheets, which files it wrote, and the ground truth.
//!
//! An envelope is planned entirely from its own random source before anything is drawn, so the
//! truth of envelope *i* of seed *s* can be recomputed cheaply (see [`plan`]) and rendering can
//! run in parallel.

use crate::doc::{A4_W, Doc, Page, Rng};
use crate::encode::{self, PdfImage, PdfPage, TiffPage};
use crate::fonts::Font;
use crate::layouts::{self, Ctx, OtherKind};
use crate::raster;
use crate::scanner::{self, Placement, ScanProfile};
use crate::values::{self, Member, Mutuelle};
use anyhow::Context as _;
use image::GrayImage;
use mailroom_domain::Class;
use mailroom_domain::truth::{Truth, TruthDocument};
use rand::Rng as _;
use rand::SeedableRng as _;
use serde::Serialize;
use std::path::Path;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// The file types a page can be stored as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Bitonal TIFF, CCITT G4 (one or several pages).
    TiffG4,
    /// Grey TIFF, Deflate (one or several pages).
    TiffGray,
    Jpeg,
    Png,
    /// PDF of scanned images, G4 inside.
    PdfG4,
    /// PDF of scanned images, JPEG inside.
    PdfJpeg,
    /// Born-digital PDF with a real text layer.
    PdfText,
}

impl Format {
    fn ext(self) -> &'static str {
        match self {
            Format::TiffG4 | Format::TiffGray => "tif",
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::PdfG4 | Format::PdfJpeg | Format::PdfText => "pdf",
        }
    }

    fn bitonal(self) -> bool {
        matches!(self, Format::TiffG4 | Format::PdfG4)
    }

    fn lossy(self) -> bool {
        matches!(self, Format::Jpeg | Format::PdfJpeg)
    }
}

/// What a page of the envelope is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Sheet {
    /// Page `page` (0-based) of document `doc` (0-based).
    Content { doc: usize, page: usize },
    /// The empty back of the sheet before it.
    BlankBack,
    /// A separator sheet put in by the mailroom before a document.
    Separator,
}

#[derive(Clone, Debug)]
pub struct PlannedPage {
    pub sheet: Sheet,
    pub profile: ScanProfile,
    pub jpeg_quality: u8,
}

#[derive(Clone, Debug)]
pub struct PlannedFile {
    /// File name inside the envelope folder, or `<id>.<ext>` for a single-file envelope.
    pub name: String,
    pub format: Format,
    /// Indices into [`EnvelopePlan::pages`].
    pub pages: Vec<usize>,
}

/// Everything about one envelope, decided before drawing.
#[derive(Clone, Debug)]
pub struct EnvelopePlan {
    pub id: String,
    pub seed: u64,
    pub index: u64,
    pub received_at: OffsetDateTime,
    pub scanner: String,
    /// The envelope is one file (`<id>.pdf` or `<id>.tif`) rather than a folder.
    pub single_file: bool,
    pub docs: Vec<Doc>,
    pub born_digital: Vec<bool>,
    pub pages: Vec<PlannedPage>,
    pub files: Vec<PlannedFile>,
    pub truth: Truth,
}

/// Born-digital pages have no pixels: their boxes are given in pixels of the page drawn at this
/// resolution, the same convention as the OCR stage's.
pub const TEXT_LAYER_DPI: u32 = 300;

/// The random source of envelope `index` of the set made with `seed`.
pub fn envelope_rng(seed: u64, index: u64) -> Rng {
    // SplitMix64 of the pair, so neighbouring seeds and indices give unrelated streams.
    let mut z = seed ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    Rng::seed_from_u64(z ^ (z >> 31))
}

pub fn envelope_id(index: u64) -> String {
    format!("env-{:06}", index + 1)
}

/// A document to draw, before drawing.
enum Want {
    Membership,
    Invoice(Option<&'static str>),
    Quote,
    /// A complaint; `true` when it cites the invoice of the same envelope.
    Complaint(bool),
    Other(OtherKind),
}

/// Realistic combinations of documents in one envelope, with their weights.
fn combination(rng: &mut Rng) -> Vec<Want> {
    use Want::*;
    let roll = rng.random_range(0..100);
    match roll {
        0..=13 => {
            let mut v = vec![Membership];
            if rng.random_bool(0.8) {
                v.push(Other(OtherKind::Rib));
            }
            if rng.random_bool(0.55) {
                v.push(Other(OtherKind::IdCard));
            }
            if v.len() < 4 && rng.random_bool(0.25) {
                v.push(Other(if rng.random_bool(0.5) {
                    OtherKind::Attestation
                } else {
                    OtherKind::CarteVitale
                }));
            }
            v
        }
        14..=17 => vec![Membership],
        18..=31 => vec![Invoice(None)],
        32..=40 => {
            let care = *values::pick(rng, &["optical", "pharmacy", "paramedical"]);
            vec![Invoice(Some(care)), Other(OtherKind::Prescription)]
        }
        41..=44 => vec![Invoice(None), Invoice(None)],
        45..=53 => vec![Quote],
        54..=56 => vec![Quote, Other(OtherKind::Prescription)],
        57..=64 => vec![Complaint(false)],
        65..=73 => vec![Complaint(true), Invoice(None)],
        74..=76 => vec![Invoice(None), Complaint(true)],
        77..=79 => vec![Other(OtherKind::Rib)],
        80..=84 => {
            if rng.random_bool(0.4) {
                vec![Other(OtherKind::AddressChange), Other(OtherKind::Rib)]
            } else {
                vec![Other(OtherKind::AddressChange)]
            }
        }
        85..=87 => vec![Other(OtherKind::Attestation)],
        88..=89 => vec![Other(if rng.random_bool(0.5) {
            OtherKind::CarteVitale
        } else {
            OtherKind::IdCard
        })],
        90..=93 => vec![Complaint(false), Other(OtherKind::Attestation)],
        _ => vec![Invoice(None), Quote],
    }
}

fn paris_offset(d: Date) -> UtcOffset {
    // Summer time from the last Sunday of March to the last Sunday of October.
    let last_sunday = |m: Month| {
        let mut day = Date::from_calendar_date(d.year(), m, 31).unwrap_or(d);
        while day.weekday() != Weekday::Sunday {
            day = day.previous_day().unwrap_or(day);
        }
        day
    };
    let summer = d >= last_sunday(Month::March) && d < last_sunday(Month::October);
    UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// Plans envelope `index` of the set made with `seed`: documents (drawn), pages, files, truth.
pub fn plan(seed: u64, index: u64) -> EnvelopePlan {
    let mut rng = envelope_rng(seed, index);
    let id = envelope_id(index);
    // Received on a working day between January 2025 and October 2026, during opening hours.
    let mut received = values::date_between(
        &mut rng,
        Date::from_calendar_date(2025, Month::January, 6).unwrap_or(Date::MIN),
        Date::from_calendar_date(2026, Month::October, 30).unwrap_or(Date::MIN),
    );
    while matches!(received.weekday(), Weekday::Saturday | Weekday::Sunday) {
        received = received.next_day().unwrap_or(received);
    }
    let time = Time::from_hms(rng.random_range(8..17), rng.random_range(0..60), 0)
        .unwrap_or(Time::MIDNIGHT);
    let received_at = PrimitiveDateTime::new(received, time).assume_offset(paris_offset(received));
    let scanner = format!("scan-{:02}", rng.random_range(1..=4));
    let member: Member = values::member(&mut rng, received);
    let mutuelle: &Mutuelle = values::pick(&mut rng, values::MUTUELLES);
    let ctx = Ctx {
        received,
        member: &member,
        mutuelle,
    };

    // Draw the documents. A complaint citing an invoice needs the invoice first.
    let wants = combination(&mut rng);
    let mut dispute = None;
    let mut drawn: Vec<Option<Doc>> = Vec::new();
    for w in &wants {
        if let Want::Invoice(care) = w {
            let (doc, d) = layouts::invoice::render(&mut rng, &ctx, *care);
            dispute.get_or_insert(d);
            drawn.push(Some(doc));
        } else {
            drawn.push(None);
        }
    }
    let mut docs = Vec::new();
    for (w, d) in wants.iter().zip(drawn) {
        let doc = match (w, d) {
            (_, Some(doc)) => doc,
            (Want::Membership, _) => layouts::membership::render(&mut rng, &ctx),
            (Want::Quote, _) => layouts::quote::render(&mut rng, &ctx),
            (Want::Complaint(cites), _) => layouts::complaint::render(
                &mut rng,
                &ctx,
                if *cites { dispute.as_ref() } else { None },
            ),
            (Want::Other(kind), _) => layouts::other::render(&mut rng, &ctx, *kind),
            (Want::Invoice(_), None) => unreachable!("invoices are drawn first"),
        };
        docs.push(doc);
    }

    // How the envelope reached the scanner and which files it made.
    let digital_ok = |d: &Doc| {
        matches!(d.class, Class::Invoice | Class::Quote)
            || d.layout.starts_with("other/attestation")
    };
    let mode = rng.random_range(0..100);
    let any_digital_ok = docs.iter().any(digital_ok);
    let (single_file, per_doc, formats): (bool, bool, Vec<Format>) = if any_digital_ok && mode < 10
    {
        // Documents that were printed from software and sent as files (upload or e-mail
        // printout re-digitised as PDF): born-digital where possible, scanned otherwise.
        let scan = if rng.random_bool(0.5) {
            Format::PdfG4
        } else {
            Format::TiffG4
        };
        let f = docs
            .iter()
            .map(|d| if digital_ok(d) { Format::PdfText } else { scan })
            .collect();
        (false, true, f)
    } else if mode < 45 {
        let f = *values::pick(
            &mut rng,
            &[
                Format::TiffG4,
                Format::TiffG4,
                Format::TiffG4,
                Format::Jpeg,
                Format::Jpeg,
                Format::Png,
            ],
        );
        (false, false, vec![f; docs.len()])
    } else if mode < 75 {
        let f = *values::pick(
            &mut rng,
            &[
                Format::TiffG4,
                Format::TiffG4,
                Format::TiffGray,
                Format::PdfG4,
                Format::PdfJpeg,
                Format::PdfG4,
            ],
        );
        (false, true, vec![f; docs.len()])
    } else {
        let f = *values::pick(&mut rng, &[Format::PdfG4, Format::PdfJpeg, Format::TiffG4]);
        (true, false, vec![f; docs.len()])
    };

    // The page sequence: separators, content, blank backs.
    let duplex = rng.random_bool(0.15);
    let separators = rng.random_bool(0.08);
    let jpeg_quality = rng.random_range(35..80u8);
    let mut pages: Vec<PlannedPage> = Vec::new();
    let mut page_doc: Vec<usize> = Vec::new(); // which document's file a page belongs to
    for (di, doc) in docs.iter().enumerate() {
        let fmt = formats[di];
        let mut push = |sheet: Sheet, rng: &mut Rng| {
            let profile = if fmt == Format::PdfText {
                ScanProfile::clean(TEXT_LAYER_DPI)
            } else {
                ScanProfile::random(rng, fmt.bitonal(), fmt.lossy())
            };
            pages.push(PlannedPage {
                sheet,
                profile,
                jpeg_quality,
            });
            page_doc.push(di);
        };
        if fmt != Format::PdfText && separators && (di > 0 || rng.random_bool(0.5)) {
            push(Sheet::Separator, &mut rng);
        }
        for pi in 0..doc.pages.len() {
            push(Sheet::Content { doc: di, page: pi }, &mut rng);
            if fmt != Format::PdfText && (duplex || rng.random_bool(0.04)) {
                push(Sheet::BlankBack, &mut rng);
            }
        }
    }
    // Blank backs share their front's resolution and format.
    for i in 1..pages.len() {
        if pages[i].sheet == Sheet::BlankBack {
            let (dpi, bitonal) = (pages[i - 1].profile.dpi, pages[i - 1].profile.bitonal);
            pages[i].profile.dpi = dpi;
            pages[i].profile.bitonal = bitonal;
            pages[i].profile.quarter_turns = 0;
        }
    }

    // Files.
    let mut files = Vec::new();
    if single_file {
        files.push(PlannedFile {
            name: format!("{id}.{}", formats[0].ext()),
            format: formats[0],
            pages: (0..pages.len()).collect(),
        });
    } else if per_doc {
        for (di, format) in formats.iter().enumerate() {
            let idx: Vec<usize> = (0..pages.len()).filter(|&p| page_doc[p] == di).collect();
            let n = files.len() + 1;
            files.push(PlannedFile {
                name: format!("{n:03}.{}", format.ext()),
                format: *format,
                pages: idx,
            });
        }
    } else {
        for p in 0..pages.len() {
            files.push(PlannedFile {
                name: format!("{:03}.{}", p + 1, formats[0].ext()),
                format: formats[0],
                pages: vec![p],
            });
        }
    }

    let truth = truth_of(&id, &docs, &pages);
    EnvelopePlan {
        id,
        seed,
        index,
        received_at,
        scanner,
        single_file,
        born_digital: formats.iter().map(|f| *f == Format::PdfText).collect(),
        docs,
        pages,
        files,
        truth,
    }
}

/// The ground truth: documents with their 1-based pages, and the blank pages.
fn truth_of(id: &str, docs: &[Doc], pages: &[PlannedPage]) -> Truth {
    let mut documents: Vec<TruthDocument> = docs
        .iter()
        .map(|d| TruthDocument {
            class: d.class,
            pages: Vec::new(),
            fields: d.fields.clone(),
        })
        .collect();
    let mut blank_pages = Vec::new();
    for (i, p) in pages.iter().enumerate() {
        let n = i as u32 + 1;
        match p.sheet {
            Sheet::Content { doc, .. } => documents[doc].pages.push(n),
            Sheet::BlankBack | Sheet::Separator => blank_pages.push(n),
        }
    }
    Truth {
        envelope: id.to_string(),
        documents,
        blank_pages,
    }
}

/// A separator sheet: a big caption and patch-code bars, as mailrooms print them.
fn separator_page(rng: &mut Rng) -> Page {
    let mut b = crate::doc::DocBuilder::new(Class::Other, "separator");
    let caption = *values::pick(
        rng,
        &[
            "FEUILLE DE SÉPARATION",
            "SÉPARATEUR DE DOCUMENTS",
            "INTERCALAIRE",
        ],
    );
    b.text_center(A4_W / 2.0, 60.0, Font::SansBold, 28.0, caption);
    for i in 0..4 {
        b.fill(70.0 + i as f32 * 18.0, 100.0, 8.0, 120.0, 0);
    }
    b.text_center(
        A4_W / 2.0,
        250.0,
        Font::Sans,
        12.0,
        "Ne pas retirer - PATCH T",
    );
    b.finish().pages.remove(0)
}

/// Per-page facts kept beside the truth: how each page was scanned, what text was printed
/// where (for OCR error rates), where each field value is (for box accuracy).
#[derive(Serialize)]
pub struct PageMeta {
    pub page: u32,
    pub file: String,
    #[serde(flatten)]
    pub sheet: Sheet,
    pub layout: Option<String>,
    pub format: Format,
    /// Resolution of the stored image; for a born-digital page, the resolution its boxes are
    /// given at ([`TEXT_LAYER_DPI`]).
    pub dpi: u32,
    pub width: u32,
    pub height: u32,
    pub skew_deg: f32,
    pub quarter_turns: u8,
    pub bitonal: bool,
    pub jpeg_quality: Option<u8>,
    pub noise: u8,
    pub specks: u32,
    pub blur: u8,
    /// Printed text runs, in drawing order, with boxes in pixels of the stored image.
    pub lines: Vec<TextRun>,
    pub fields: Vec<FieldMeta>,
}

#[derive(Serialize)]
pub struct TextRun {
    pub text: String,
    pub bbox: [u32; 4],
}

#[derive(Serialize)]
pub struct FieldMeta {
    pub key: String,
    pub printed: String,
    pub bbox: [u32; 4],
}

#[derive(Serialize)]
pub struct EnvelopeMeta {
    pub envelope: String,
    pub seed: u64,
    pub index: u64,
    pub received_at: String,
    pub scanner: String,
    pub files: Vec<String>,
    pub layouts: Vec<String>,
    pub pages: Vec<PageMeta>,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A page rendered for storage.
struct Rendered {
    img: Option<GrayImage>,
    meta: PageMeta,
}

/// Draws, scans and writes the envelope under `envelopes_dir`; returns its metadata.
///
/// # Errors
/// When fonts are missing or files cannot be written.
pub fn write(plan: &EnvelopePlan, envelopes_dir: &Path) -> anyhow::Result<EnvelopeMeta> {
    let mut rng = envelope_rng(plan.seed ^ 0x5CA7_7E12, plan.index);
    let mut rendered: Vec<Rendered> = Vec::with_capacity(plan.pages.len());
    let mut last_clean: Option<GrayImage> = None;
    let file_of = |p: usize| {
        plan.files
            .iter()
            .find(|f| f.pages.contains(&p))
            .map(|f| (f.name.clone(), f.format))
    };
    for (i, pp) in plan.pages.iter().enumerate() {
        let (file, format) = file_of(i).context("page without file")?;
        let mut meta = PageMeta {
            page: i as u32 + 1,
            file,
            sheet: pp.sheet,
            layout: None,
            format,
            dpi: pp.profile.dpi,
            width: 0,
            height: 0,
            skew_deg: pp.profile.skew_deg,
            quarter_turns: pp.profile.quarter_turns,
            bitonal: pp.profile.bitonal,
            jpeg_quality: format.lossy().then_some(pp.jpeg_quality),
            noise: pp.profile.noise,
            specks: pp.profile.specks,
            blur: pp.profile.blur,
            lines: Vec::new(),
            fields: Vec::new(),
        };
        let page: Option<Page> = match pp.sheet {
            Sheet::Content { doc, page } => {
                meta.layout = Some(plan.docs[doc].layout.clone());
                Some(plan.docs[doc].pages[page].clone())
            }
            Sheet::Separator => Some(separator_page(&mut rng)),
            Sheet::BlankBack => None,
        };
        if format == Format::PdfText {
            let page = page.context("born-digital pages have content")?;
            // A born-digital page has no pixels; its boxes are given as if it were drawn at
            // TEXT_LAYER_DPI, as the OCR stage reports them.
            let to_px = |b: [f32; 4]| {
                b.map(|v| raster::mm_to_px(v, TEXT_LAYER_DPI).max(0.0).round() as u32)
            };
            let (w, h) = raster::page_px(TEXT_LAYER_DPI);
            meta.width = w;
            meta.height = h;
            meta.lines = page
                .text_runs()
                .map(|(t, b)| TextRun {
                    text: t.to_string(),
                    bbox: to_px(b),
                })
                .collect();
            meta.fields = page
                .spans
                .iter()
                .map(|s| FieldMeta {
                    key: s.key.clone(),
                    printed: s.printed.clone(),
                    bbox: to_px(s.bbox_mm),
                })
                .collect();
            rendered.push(Rendered { img: None, meta });
            continue;
        }
        let img = match &page {
            Some(page) => {
                let clean = raster::render(page, pp.profile.dpi).map_err(anyhow::Error::msg)?;
                let (scanned, placement) = scanner::scan(&clean, &pp.profile, &mut rng);
                let px = |b: [f32; 4]| b.map(|v| raster::mm_to_px(v, pp.profile.dpi));
                let place = |pl: &Placement, b: [f32; 4]| pl.bbox(px(b));
                meta.lines = page
                    .text_runs()
                    .map(|(t, b)| TextRun {
                        text: t.to_string(),
                        bbox: place(&placement, b),
                    })
                    .collect();
                meta.fields = page
                    .spans
                    .iter()
                    .map(|s| FieldMeta {
                        key: s.key.clone(),
                        printed: s.printed.clone(),
                        bbox: place(&placement, s.bbox_mm),
                    })
                    .collect();
                last_clean = Some(clean);
                scanned
            }
            None => scanner::blank_back(
                last_clean.as_ref(),
                pp.profile.dpi,
                &mut rng,
                pp.profile.bitonal,
            ),
        };
        meta.width = img.width();
        meta.height = img.height();
        rendered.push(Rendered {
            img: Some(img),
            meta,
        });
    }

    let dir = if plan.single_file {
        envelopes_dir.to_path_buf()
    } else {
        envelopes_dir.join(&plan.id)
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for f in &plan.files {
        let bytes = encode_file(plan, f, &rendered);
        std::fs::write(dir.join(&f.name), bytes).with_context(|| format!("writing {}", f.name))?;
    }
    if !plan.single_file {
        let info = serde_json::json!({ "scanner": plan.scanner, "received_at": rfc3339(plan.received_at) });
        std::fs::write(dir.join("envelope.json"), serde_json::to_vec_pretty(&info)?)?;
    }
    Ok(EnvelopeMeta {
        envelope: plan.id.clone(),
        seed: plan.seed,
        index: plan.index,
        received_at: rfc3339(plan.received_at),
        scanner: plan.scanner.clone(),
        files: plan.files.iter().map(|f| f.name.clone()).collect(),
        layouts: plan.docs.iter().map(|d| d.layout.clone()).collect(),
        pages: rendered.into_iter().map(|r| r.meta).collect(),
    })
}

fn encode_file(plan: &EnvelopePlan, f: &PlannedFile, rendered: &[Rendered]) -> Vec<u8> {
    let img = |p: usize| rendered[p].img.as_ref();
    let dpi = |p: usize| plan.pages[p].profile.dpi;
    let q = plan.pages.first().map_or(60, |p| p.jpeg_quality);
    match f.format {
        Format::TiffG4 | Format::TiffGray => {
            let pages: Vec<(TiffPage<'_>, u32)> = f
                .pages
                .iter()
                .filter_map(|&p| {
                    img(p).map(|i| {
                        (
                            if f.format == Format::TiffG4 {
                                TiffPage::G4(i)
                            } else {
                                TiffPage::Gray(i)
                            },
                            dpi(p),
                        )
                    })
                })
                .collect();
            encode::tiff(&pages)
        }
        Format::Jpeg => img(f.pages[0])
            .map(|i| encode::jpeg(i, q, dpi(f.pages[0])))
            .unwrap_or_default(),
        Format::Png => img(f.pages[0]).map(encode::png).unwrap_or_default(),
        Format::PdfG4 | Format::PdfJpeg => {
            let pages: Vec<PdfPage<'_>> = f
                .pages
                .iter()
                .filter_map(|&p| {
                    img(p).map(|i| {
                        let im = if f.format == Format::PdfG4 {
                            PdfImage::G4(i)
                        } else {
                            PdfImage::Jpeg(i, q)
                        };
                        PdfPage::Scan(im, dpi(p))
                    })
                })
                .collect();
            encode::pdf(&pages, &format!("{} (numérisation)", plan.scanner))
        }
        Format::PdfText => {
            let pages: Vec<PdfPage<'_>> = f
                .pages
                .iter()
                .filter_map(|&p| match plan.pages[p].sheet {
                    Sheet::Content { doc, page } => {
                        Some(PdfPage::Digital(&plan.docs[doc].pages[page]))
                    }
                    _ => None,
                })
                .collect();
            encode::pdf(&pages, "Logiciel de facturation")
        }
    }
}
