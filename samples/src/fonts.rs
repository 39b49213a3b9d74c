//! The freely licensed fonts the generator draws with, loaded once from Debian's font packages
//! (`fonts-liberation2`, `fonts-dejavu-core`, `fonts-urw-base35`, installed by `scripts/setup`).
//!
//! Liberation Sans/Serif/Mono are metric-compatible with Helvetica/Times/Courier, so a page laid
//! out with them can also be written as a born-digital PDF using the standard PDF fonts and keep
//! the same word positions.

use ab_glyph::{Font as _, FontArc};
use std::sync::OnceLock;

/// A typeface the layouts may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Font {
    Sans,
    SansBold,
    SansItalic,
    Serif,
    SerifBold,
    SerifItalic,
    Mono,
    MonoBold,
    /// DejaVu Sans: a wider sans, common on software-printed invoices.
    Dejavu,
    DejavuBold,
    /// Nimbus Sans Narrow: condensed, as on pharmacy tickets and dense tables.
    Narrow,
    NarrowBold,
    /// URW Bookman: a typewriter-era serif for old-fashioned letters.
    Bookman,
    /// C059 (Century Schoolbook): another letter serif.
    Century,
    /// Z003, a calligraphic face: stands in for handwriting.
    Hand,
}

impl Font {
    pub const ALL: [Font; 15] = [
        Font::Sans,
        Font::SansBold,
        Font::SansItalic,
        Font::Serif,
        Font::SerifBold,
        Font::SerifItalic,
        Font::Mono,
        Font::MonoBold,
        Font::Dejavu,
        Font::DejavuBold,
        Font::Narrow,
        Font::NarrowBold,
        Font::Bookman,
        Font::Century,
        Font::Hand,
    ];

    fn file(self) -> &'static str {
        match self {
            Font::Sans => "LiberationSans-Regular.ttf",
            Font::SansBold => "LiberationSans-Bold.ttf",
            Font::SansItalic => "LiberationSans-Italic.ttf",
            Font::Serif => "LiberationSerif-Regular.ttf",
            Font::SerifBold => "LiberationSerif-Bold.ttf",
            Font::SerifItalic => "LiberationSerif-Italic.ttf",
            Font::Mono => "LiberationMono-Regular.ttf",
            Font::MonoBold => "LiberationMono-Bold.ttf",
            Font::Dejavu => "DejaVuSans.ttf",
            Font::DejavuBold => "DejaVuSans-Bold.ttf",
            Font::Narrow => "NimbusSansNarrow-Regular.otf",
            Font::NarrowBold => "NimbusSansNarrow-Bold.otf",
            Font::Bookman => "URWBookman-Light.otf",
            Font::Century => "C059-Roman.otf",
            Font::Hand => "Z003-MediumItalic.otf",
        }
    }

    /// The standard PDF font a born-digital page uses for this face, and whether its metrics
    /// match (only the Liberation faces do; the others are approximated).
    pub fn pdf_base_font(self) -> (&'static str, bool) {
        match self {
            Font::Sans => ("Helvetica", true),
            Font::SansBold => ("Helvetica-Bold", true),
            Font::SansItalic => ("Helvetica-Oblique", true),
            Font::Serif => ("Times-Roman", true),
            Font::SerifBold => ("Times-Bold", true),
            Font::SerifItalic => ("Times-Italic", true),
            Font::Mono => ("Courier", true),
            Font::MonoBold => ("Courier-Bold", true),
            Font::Dejavu | Font::Narrow => ("Helvetica", false),
            Font::DejavuBold | Font::NarrowBold => ("Helvetica-Bold", false),
            Font::Bookman | Font::Century => ("Times-Roman", false),
            Font::Hand => ("Times-Italic", false),
        }
    }

    /// Whether a born-digital PDF can carry this face with exact word positions.
    pub fn pdf_exact(self) -> bool {
        self.pdf_base_font().1
    }
}

fn dir_of(font: Font) -> &'static str {
    match font {
        Font::Sans
        | Font::SansBold
        | Font::SansItalic
        | Font::Serif
        | Font::SerifBold
        | Font::SerifItalic
        | Font::Mono
        | Font::MonoBold => "/usr/share/fonts/truetype/liberation2/",
        Font::Dejavu | Font::DejavuBold => "/usr/share/fonts/truetype/dejavu/",
        _ => "/usr/share/fonts/opentype/urw-base35/",
    }
}

/// All faces, loaded.
pub struct FontSet {
    faces: Vec<FontArc>,
}

static FONTS: OnceLock<Result<FontSet, String>> = OnceLock::new();

impl FontSet {
    fn load() -> Result<FontSet, String> {
        let mut faces = Vec::with_capacity(Font::ALL.len());
        for f in Font::ALL {
            let path = format!("{}{}", dir_of(f), f.file());
            let bytes = std::fs::read(&path).map_err(|e| {
                format!("font {path} is missing ({e}); run scripts/setup to install the fonts")
            })?;
            let face = FontArc::try_from_vec(bytes)
                .map_err(|e| format!("font {path} cannot be read: {e}"))?;
            faces.push(face);
        }
        Ok(FontSet { faces })
    }

    /// The loaded fonts.
    ///
    /// # Errors
    /// When a font file is missing (the set-up script was not run).
    pub fn get() -> Result<&'static FontSet, String> {
        FONTS
            .get_or_init(FontSet::load)
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn face(&self, f: Font) -> &FontArc {
        &self.faces[Font::ALL.iter().position(|x| *x == f).unwrap_or(0)]
    }
}

/// Metrics in millimetres for text set in `font` at `size_pt` points.
pub struct Metrics {
    pub ascent_mm: f32,
    pub descent_mm: f32,
}

const PT_TO_MM: f32 = 25.4 / 72.0;

/// Advance width of `text` in millimetres, with kerning.
pub fn width_mm(font: Font, size_pt: f32, text: &str) -> f32 {
    let Ok(set) = FontSet::get() else {
        // Approximation used only when fonts are missing; rendering will then fail loudly.
        return text.chars().count() as f32 * size_pt * 0.5 * PT_TO_MM;
    };
    let face = set.face(font);
    let per_unit = size_pt * PT_TO_MM / face.units_per_em().unwrap_or(1000.0);
    let mut w = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = face.glyph_id(c);
        if let Some(p) = prev {
            w += face.kern_unscaled(p, id);
        }
        w += face.h_advance_unscaled(id);
        prev = Some(id);
    }
    w * per_unit
}

/// Ascent and descent of the face at that size, in millimetres (descent positive, below baseline).
pub fn metrics(font: Font, size_pt: f32) -> Metrics {
    match FontSet::get() {
        Ok(set) => {
            let face = set.face(font);
            let per_unit = size_pt * PT_TO_MM / face.units_per_em().unwrap_or(1000.0);
            Metrics {
                ascent_mm: face.ascent_unscaled() * per_unit,
                descent_mm: -face.descent_unscaled() * per_unit,
            }
        }
        Err(_) => Metrics {
            ascent_mm: 0.8 * size_pt * PT_TO_MM,
            descent_mm: 0.2 * size_pt * PT_TO_MM,
        },
    }
}

pub fn pt_to_mm(pt: f32) -> f32 {
    pt * PT_TO_MM
}
