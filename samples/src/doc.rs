//! The page model the layouts draw on, in millimetres on an A4 sheet (origin top left, y down).
//!
//! A layout describes a document once, as drawing items; the same description is then rasterised
//! at any resolution (scanned pages) or written as a born-digital PDF. Every printed field value
//! is recorded with its printed text and box, so the ground truth holds exactly what is printed
//! and the evaluation knows where each value stands.

use crate::fonts::{self, Font};
use mailroom_domain::Class;
use rand::Rng as _;
use serde::Serialize;
use serde_json::{Map, Value};

pub const A4_W: f32 = 210.0;
pub const A4_H: f32 = 297.0;

/// Ink of comb boxes: forms print them in a light "dropout" tint that scanners and OCR
/// binarisation remove, leaving the handwritten characters alone. Any darker than about 210
/// and Tesseract's recogniser, which reads the grey image rather than the binarised one, takes
/// the cell ticks for characters (`:`, `|`, `1`) between the written ones.
pub const COMB_GRAY: u8 = 215;

/// The generator's random source: seeded, portable and fast.
pub type Rng = rand_chacha::ChaCha8Rng;

/// A box `[x0, y0, x1, y1]` in millimetres.
pub type BoxMm = [f32; 4];

/// One drawing instruction.
#[derive(Clone, Debug)]
pub enum Item {
    /// Text whose baseline starts at (x, y). `gray` is the ink: 0 black, 255 white.
    Text {
        x: f32,
        y: f32,
        font: Font,
        size: f32,
        text: String,
        gray: u8,
    },
    Line {
        x0: f32,
        y0: f32,
        x1: f32,
        y1: f32,
        width: f32,
        gray: u8,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        stroke: Option<(f32, u8)>,
        fill: Option<u8>,
    },
    /// A hand-drawn stroke (signature, tick) through these points.
    Stroke {
        points: Vec<(f32, f32)>,
        width: f32,
        gray: u8,
    },
}

/// A printed field value: what the key is, how it was printed, where.
#[derive(Clone, Debug, Serialize)]
pub struct FieldSpan {
    pub key: String,
    pub printed: String,
    pub bbox_mm: BoxMm,
}

/// One sheet side.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub items: Vec<Item>,
    pub spans: Vec<FieldSpan>,
}

impl Page {
    /// The printed text lines of the page with their boxes, in drawing order.
    pub fn text_runs(&self) -> impl Iterator<Item = (&str, BoxMm)> {
        self.items.iter().filter_map(|it| match it {
            Item::Text {
                x,
                y,
                font,
                size,
                text,
                ..
            } => Some((text.as_str(), text_box(*x, *y, *font, *size, text))),
            _ => None,
        })
    }
}

/// Box of `text` drawn at baseline (x, y).
pub fn text_box(x: f32, y: f32, font: Font, size: f32, text: &str) -> BoxMm {
    let m = fonts::metrics(font, size);
    [
        x,
        y - m.ascent_mm,
        x + fonts::width_mm(font, size, text),
        y + m.descent_mm,
    ]
}

/// A finished document: its pages and its ground-truth fields.
#[derive(Clone, Debug)]
pub struct Doc {
    pub class: Class,
    /// Which layout drew it, e.g. `invoice/optician-2`; kept in the sample metadata so accuracy
    /// can be broken down by layout.
    pub layout: String,
    pub pages: Vec<Page>,
    pub fields: Map<String, Value>,
}

/// Builds a document page by page. Drawing calls act on the current (last) page.
pub struct DocBuilder {
    class: Class,
    layout: String,
    pages: Vec<Page>,
    fields: Map<String, Value>,
}

impl DocBuilder {
    /// Starts a document of `class` drawn by `layout` (e.g. `"quote/dental-1"`), with one empty
    /// page.
    pub fn new(class: Class, layout: impl Into<String>) -> Self {
        DocBuilder {
            class,
            layout: layout.into(),
            pages: vec![Page::default()],
            fields: Map::new(),
        }
    }

    /// Starts a new page; later drawing goes there.
    pub fn new_page(&mut self) {
        self.pages.push(Page::default());
    }

    /// Number of the current page, 0-based within the document.
    pub fn page_index(&self) -> usize {
        self.pages.len() - 1
    }

    fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("a document always has a page")
    }

    /// Sets a ground-truth field value (normalised form, see FIELDS.md) without drawing.
    /// Use it for values that are not one printed string: lists, booleans, enums.
    pub fn set_field(&mut self, key: &str, value: impl Into<Value>) {
        self.fields.insert(key.to_string(), value.into());
    }

    /// Records where a field's value is printed (for evaluation of boxes); the box is usually
    /// the one returned by [`DocBuilder::text`].
    pub fn mark(&mut self, key: &str, printed: &str, bbox_mm: BoxMm) {
        self.page().spans.push(FieldSpan {
            key: key.to_string(),
            printed: printed.to_string(),
            bbox_mm,
        });
    }

    /// Draws `text` with its baseline at (x, y) and returns its box.
    pub fn text(&mut self, x: f32, y: f32, font: Font, size: f32, text: &str) -> BoxMm {
        self.text_gray(x, y, font, size, text, 0)
    }

    /// [`DocBuilder::text`] with a given ink (0 black … 255 white), for grey captions.
    pub fn text_gray(
        &mut self,
        x: f32,
        y: f32,
        font: Font,
        size: f32,
        text: &str,
        gray: u8,
    ) -> BoxMm {
        let text = text.trim_end().to_string();
        let b = text_box(x, y, font, size, &text);
        if !text.is_empty() {
            self.page().items.push(Item::Text {
                x,
                y,
                font,
                size,
                text,
                gray,
            });
        }
        b
    }

    /// Draws text ending at `x_right`.
    pub fn text_right(&mut self, x_right: f32, y: f32, font: Font, size: f32, text: &str) -> BoxMm {
        let w = fonts::width_mm(font, size, text);
        self.text(x_right - w, y, font, size, text)
    }

    /// Draws text centred on `x_center`.
    pub fn text_center(
        &mut self,
        x_center: f32,
        y: f32,
        font: Font,
        size: f32,
        text: &str,
    ) -> BoxMm {
        let w = fonts::width_mm(font, size, text);
        self.text(x_center - w / 2.0, y, font, size, text)
    }

    /// Draws a field's printed value at (x, y), sets its truth `value` and marks its box.
    /// Returns the box.
    #[allow(clippy::too_many_arguments)]
    pub fn field(
        &mut self,
        key: &str,
        value: impl Into<Value>,
        x: f32,
        y: f32,
        font: Font,
        size: f32,
        printed: &str,
    ) -> BoxMm {
        let b = self.text(x, y, font, size, printed);
        self.set_field(key, value);
        self.mark(key, printed, b);
        b
    }

    /// Draws `label` then, after a small gap, the field's printed value; returns the value's box.
    #[allow(clippy::too_many_arguments)]
    pub fn label_field(
        &mut self,
        x: f32,
        y: f32,
        label_font: Font,
        font: Font,
        size: f32,
        label: &str,
        key: &str,
        value: impl Into<Value>,
        printed: &str,
    ) -> BoxMm {
        let lb = self.text(x, y, label_font, size, label);
        let gap = fonts::width_mm(font, size, " ");
        self.field(key, value, lb[2] + gap, y, font, size, printed)
    }

    /// Sets `text` as a paragraph in a column `width` mm wide, starting at baseline y; returns the
    /// baseline of the line after the last. `leading` is the line pitch in mm.
    #[allow(clippy::too_many_arguments)]
    pub fn paragraph(
        &mut self,
        x: f32,
        y: f32,
        width: f32,
        font: Font,
        size: f32,
        leading: f32,
        text: &str,
    ) -> f32 {
        let mut y = y;
        for line in wrap(font, size, width, text) {
            self.text(x, y, font, size, &line);
            y += leading;
        }
        y
    }

    /// A straight line; `width` in mm.
    pub fn line(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, width: f32) {
        self.page().items.push(Item::Line {
            x0,
            y0,
            x1,
            y1,
            width,
            gray: 0,
        });
    }

    /// A rectangle outline.
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, stroke_width: f32) {
        self.page().items.push(Item::Rect {
            x,
            y,
            w,
            h,
            stroke: Some((stroke_width, 0)),
            fill: None,
        });
    }

    /// A filled rectangle (shaded header, logo block). `gray` 0 black … 255 white.
    pub fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, gray: u8) {
        self.page().items.push(Item::Rect {
            x,
            y,
            w,
            h,
            stroke: None,
            fill: Some(gray),
        });
    }

    /// A square box of side `size` mm at (x, y) top-left, ticked with a hand-drawn cross when
    /// `checked`.
    pub fn checkbox(&mut self, rng: &mut Rng, x: f32, y: f32, size: f32, checked: bool) {
        self.rect(x, y, size, size, 0.25);
        if checked {
            let j = |rng: &mut Rng| rng.random_range(-0.4..0.4f32);
            let a = vec![
                (x + 0.8 + j(rng), y + 0.8 + j(rng)),
                (x + size - 0.8 + j(rng), y + size - 0.8 + j(rng)),
            ];
            let b = vec![
                (x + size - 0.8 + j(rng), y + 0.8 + j(rng)),
                (x + 0.8 + j(rng), y + size - 0.8 + j(rng)),
            ];
            self.page().items.push(Item::Stroke {
                points: a,
                width: 0.5,
                gray: 20,
            });
            self.page().items.push(Item::Stroke {
                points: b,
                width: 0.5,
                gray: 20,
            });
        }
    }

    /// Characters in a row of boxes ("comb"), as on forms filled in by hand: one character per
    /// cell of `cell_w` mm, `cells` cells. Returns the box of the written characters.
    #[allow(clippy::too_many_arguments)]
    pub fn comb(
        &mut self,
        x: f32,
        y_top: f32,
        cell_w: f32,
        cell_h: f32,
        cells: usize,
        font: Font,
        size: f32,
        text: &str,
    ) -> BoxMm {
        for i in 0..=cells {
            let xi = x + i as f32 * cell_w;
            self.page().items.push(Item::Line {
                x0: xi,
                y0: y_top + cell_h * 0.45,
                x1: xi,
                y1: y_top + cell_h,
                width: 0.2,
                gray: COMB_GRAY,
            });
        }
        self.page().items.push(Item::Line {
            x0: x,
            y0: y_top + cell_h,
            x1: x + cells as f32 * cell_w,
            y1: y_top + cell_h,
            width: 0.2,
            gray: COMB_GRAY,
        });
        let base = y_top + cell_h - 1.2;
        let mut bbox = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
        for (i, c) in text.chars().take(cells).enumerate() {
            if c == ' ' {
                continue;
            }
            let s = c.to_string();
            let w = fonts::width_mm(font, size, &s);
            let b = self.text(
                x + i as f32 * cell_w + (cell_w - w) / 2.0,
                base,
                font,
                size,
                &s,
            );
            bbox = [
                bbox[0].min(b[0]),
                bbox[1].min(b[1]),
                bbox[2].max(b[2]),
                bbox[3].max(b[3]),
            ];
        }
        if bbox[0] == f32::MAX {
            [x, y_top, x, y_top + cell_h]
        } else {
            bbox
        }
    }

    /// A hand-written signature scribble inside the box (x, y, w, h).
    pub fn signature(&mut self, rng: &mut Rng, x: f32, y: f32, w: f32, h: f32) {
        let n = rng.random_range(18..34);
        let mut points = Vec::with_capacity(n);
        let mid = y + h * 0.6;
        for i in 0..n {
            let t = i as f32 / (n - 1) as f32;
            let px = x + w * (0.05 + 0.85 * t) + rng.random_range(-1.5..1.5);
            let amp = h * 0.35 * (1.0 - 0.5 * t);
            let py = mid + if i % 2 == 0 { -amp } else { amp } * rng.random_range(0.4..1.0);
            points.push((px, py));
        }
        self.page().items.push(Item::Stroke {
            points,
            width: 0.45,
            gray: 30,
        });
        // The underline flourish.
        let fy = mid + h * 0.3;
        let flourish = vec![
            (x + w * 0.1, fy),
            (x + w * 0.5, fy + 1.0),
            (x + w * 0.9, fy - 1.5),
        ];
        self.page().items.push(Item::Stroke {
            points: flourish,
            width: 0.4,
            gray: 30,
        });
    }

    /// Ends the document.
    pub fn finish(self) -> Doc {
        Doc {
            class: self.class,
            layout: self.layout,
            pages: self.pages,
            fields: self.fields,
        }
    }
}

/// Breaks `text` into lines no wider than `width` mm (paragraph breaks on '\n').
pub fn wrap(font: Font, size: f32, width: f32, text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && fonts::width_mm(font, size, &candidate) > width {
                lines.push(std::mem::take(&mut line));
                line = word.to_string();
            } else {
                line = candidate;
            }
        }
        lines.push(line);
    }
    lines
}
