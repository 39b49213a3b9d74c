//! What qualification needs of a read page, in a form of its own.
//!
//! The OCR stage's [`PageText`] carries timings and details that grow as that stage does;
//! the OCR cache and the tests keep pages in this smaller, stable form instead, so a cache
//! written today still reads after the OCR stage adds a field.

use mailroom_ocr::PageText;
use serde::{Deserialize, Serialize};

/// One word: text, box in pixels of the decoded image, confidence in [0, 1].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadWord {
    pub text: String,
    pub bbox: [u32; 4],
    pub confidence: f32,
}

/// A check box printed on the page: box in pixels of the decoded image, whether ink stands
/// inside its frame, and the share of the inside that is ink.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadMark {
    pub bbox: [u32; 4],
    pub ticked: bool,
    pub fill: f32,
}

/// One page as read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadPage {
    /// 1-based over the envelope.
    pub page: u32,
    /// Text in reading order, one OCR line per line.
    pub text: String,
    pub words: Vec<ReadWord>,
    /// Mean word confidence in [0, 1].
    pub confidence: f32,
    /// Clockwise rotation the OCR stage applied before reading (0, 90, 180, 270).
    pub rotation: u32,
    /// The OCR stage found no ink.
    pub blank: bool,
    /// Size of the page image as decoded.
    pub width: u32,
    pub height: u32,
    /// Check boxes the OCR stage found (none on pages read before it looked for them).
    pub marks: Vec<ReadMark>,
    /// Ink no word covers (a signature, a handwritten mark), in pixels of the decoded image.
    pub scribbles: Vec<[u32; 4]>,
    /// The OCR stage looked for boxes and scribbles: none found then means none there.
    pub ink_read: bool,
}

impl From<&PageText> for ReadPage {
    fn from(p: &PageText) -> Self {
        ReadPage {
            page: p.page,
            text: p.text.clone(),
            words: p
                .words
                .iter()
                .map(|w| ReadWord {
                    text: w.text.clone(),
                    bbox: w.bbox,
                    confidence: w.confidence.get() as f32,
                })
                .collect(),
            confidence: p.confidence.get() as f32,
            rotation: p.rotation,
            blank: p.blank,
            width: p.width,
            height: p.height,
            marks: p
                .marks
                .iter()
                .map(|m| ReadMark {
                    bbox: m.bbox,
                    ticked: m.ticked,
                    fill: m.fill,
                })
                .collect(),
            scribbles: p.scribbles.clone(),
            ink_read: p.timings.marks_ms > 0.0,
        }
    }
}
