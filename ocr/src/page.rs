//! What the stage says about each page.

use mailroom_domain::Confidence;
use serde::{Deserialize, Serialize};

/// A box `[x0, y0, x1, y1]` in pixels of the page image as decoded, before any rotation the stage
/// applied (RESULTS.md). For a born-digital PDF page, which has no pixels, the page is taken at
/// [`TEXT_LAYER_DPI`].
pub type BBox = [u32; 4];

/// The resolution at which born-digital PDF pages are given pixel coordinates.
pub const TEXT_LAYER_DPI: u32 = 300;

/// One word, as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    pub bbox: BBox,
    /// Tesseract's word confidence scaled to [0, 1]; 1 for a text layer.
    pub confidence: Confidence,
}

/// Where a page's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Recognised by Tesseract from the page's pixels.
    Ocr,
    /// Taken from a born-digital PDF's text layer; no OCR.
    TextLayer,
    /// The page has no ink; nothing was read.
    Blank,
}

/// Where the time of a page went, in milliseconds, as measured inside the worker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Parsing the file and decoding the page's pixels (or its text layer).
    pub decode_ms: f64,
    /// Blank detection, scaling, orientation and deskew.
    pub clean_ms: f64,
    /// Inside Tesseract's recognition, all attempts included.
    pub recognize_ms: f64,
    /// CPU time of the worker on the page, and of its recognition: unlike the wall times, not
    /// stretched when other processes share the cores.
    pub cpu_ms: f64,
    pub recognize_cpu_ms: f64,
    /// Recognitions of the page: more than one when the first reading was unsure (turned
    /// again, or read in the fallback languages).
    #[serde(default)]
    pub readings: u32,
    /// Lines read again on their own in the fallback languages.
    #[serde(default)]
    pub lines_reread: u32,
    /// Finding check boxes and scribbles ([`PageText::marks`], [`PageText::scribbles`]).
    #[serde(default)]
    pub marks_ms: f64,
}

/// A check box printed on the page: a small hollow square, with or without ink inside.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// The box's frame, in pixels of the decoded page (as [`Word::bbox`]).
    pub bbox: BBox,
    /// Ink inside the frame: a cross, a check, a filled box.
    pub ticked: bool,
    /// Share of the inside of the frame that is ink, the frame itself not counted: a cross
    /// fills 20–50 %, an empty box under 2 %.
    pub fill: f32,
}

/// One page, read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageText {
    /// 1-based over the whole envelope (SAMPLES.md).
    pub page: u32,
    /// The text in reading order: lines separated by `\n`, blocks by a blank line.
    pub text: String,
    pub words: Vec<Word>,
    /// Mean word confidence; 1 for a text layer, 0 for a blank page.
    pub confidence: Confidence,
    /// Clockwise rotation applied before reading: 0, 90, 180 or 270 degrees.
    pub rotation: u32,
    /// Small-angle skew corrected before reading, in degrees (positive: the lines descended to the
    /// right).
    pub deskew_deg: f32,
    pub blank: bool,
    pub source: Source,
    /// Wall time of the page in its worker, from the request to the answer (the wait for a
    /// free worker not included).
    pub elapsed_ms: u64,
    /// Size of the page image as decoded (for a text layer: at [`TEXT_LAYER_DPI`]).
    pub width: u32,
    pub height: u32,
    /// Resolution of the page image, from the file or estimated from an A4 sheet.
    pub dpi: u32,
    pub timings: Timings,
    /// Check boxes found on the page (none for a text layer or a blank page; pages read before
    /// boxes were looked for have none either).
    #[serde(default)]
    pub marks: Vec<Mark>,
    /// Ink no word covers, straight lines left out: a signature, a handwritten mark. Boxes in
    /// pixels of the decoded page.
    #[serde(default)]
    pub scribbles: Vec<BBox>,
}
