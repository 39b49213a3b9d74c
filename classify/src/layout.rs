//! A read page as lines and segments of words, upright and straightened.
//!
//! OCR gives words with boxes in the pixels of the page as decoded, before the rotation it
//! applied, and Tesseract's own lines run across columns. Field extraction reasons about
//! "right of a label" and "under a label", so it needs the page as a person sees it: every
//! box turned upright, the residual skew sheared out, and words regrouped into visual lines,
//! each cut into segments where a wide gap separates columns. The original boxes are kept
//! for the results (RESULTS.md wants pixels of the decoded image).

use crate::page::ReadPage;
use mailroom_domain::normalize::fold_text;

/// One word of a page.
#[derive(Debug, Clone)]
pub struct Tok {
    /// As read.
    pub text: String,
    /// [`fold_text`] of the text: lower case, no accents.
    pub fold: String,
    /// Box in pixels of the decoded image (for results).
    pub bbox: [u32; 4],
    /// Box upright and straightened (for geometry).
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    /// OCR confidence in [0, 1].
    pub conf: f32,
    /// Index of the segment of its line this word belongs to.
    pub seg: usize,
}

impl Tok {
    pub fn h(&self) -> f32 {
        self.y1 - self.y0
    }
    pub fn yc(&self) -> f32 {
        (self.y0 + self.y1) / 2.0
    }
}

/// A visual line: words left to right.
#[derive(Debug, Clone, Default)]
pub struct Line {
    pub toks: Vec<Tok>,
    /// Folded words joined by single spaces.
    pub fold: String,
    /// Byte offset of each word in `fold`.
    pub starts: Vec<usize>,
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl Line {
    fn finish(&mut self) {
        self.toks.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        let h = median(self.toks.iter().map(Tok::h).collect()).max(4.0);
        // Columns are told apart by the gaps between words: a mark (a bar, a dash) standing
        // in a gap does not bridge it, nor start a column of its own.
        let mut seg = 0;
        let mut last_x1: Option<f32> = None;
        for t in &mut self.toks {
            if t.text.chars().any(char::is_alphanumeric) {
                if last_x1.is_some_and(|x1| t.x0 - x1 > 1.6 * h) {
                    seg += 1;
                }
                last_x1 = Some(t.x1);
            }
            t.seg = seg;
        }
        self.fold.clear();
        self.starts.clear();
        for t in &self.toks {
            if !self.fold.is_empty() {
                self.fold.push(' ');
            }
            self.starts.push(self.fold.len());
            self.fold.push_str(&t.fold);
        }
        self.x0 = self.toks.iter().map(|t| t.x0).fold(f32::MAX, f32::min);
        self.x1 = self.toks.iter().map(|t| t.x1).fold(f32::MIN, f32::max);
        self.y0 = self.toks.iter().map(|t| t.y0).fold(f32::MAX, f32::min);
        self.y1 = self.toks.iter().map(|t| t.y1).fold(f32::MIN, f32::max);
    }

    /// The words overlapping the byte range `[a, b)` of `fold`.
    pub fn toks_in(&self, a: usize, b: usize) -> std::ops::Range<usize> {
        let mut first = None;
        let mut last = 0;
        for (i, &s) in self.starts.iter().enumerate() {
            let e = s + self.toks[i].fold.len();
            if s < b && e > a {
                first.get_or_insert(i);
                last = i + 1;
            }
        }
        match first {
            Some(f) => f..last,
            None => 0..0,
        }
    }

    /// The text of words `r`, as read, joined by spaces.
    pub fn text_of(&self, r: std::ops::Range<usize>) -> String {
        self.toks[r]
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The text of the whole line, as read.
    pub fn text(&self) -> String {
        self.text_of(0..self.toks.len())
    }

    /// Typical word height.
    pub fn h(&self) -> f32 {
        median(self.toks.iter().map(Tok::h).collect()).max(4.0)
    }
}

/// A page as lines.
#[derive(Debug, Clone, Default)]
pub struct PageLayout {
    /// 1-based page number over the envelope.
    pub page: u32,
    pub lines: Vec<Line>,
    /// Upright width and height.
    pub width: f32,
    pub height: f32,
    /// The OCR stage found no ink.
    pub blank: bool,
    /// Median word height.
    pub line_h: f32,
    /// Mean word confidence.
    pub confidence: f32,
    /// Check boxes the OCR stage found, upright and straightened like the words.
    pub marks: Vec<CheckBox>,
    /// Ink no word covers (a signature, a handwritten mark), upright and straightened.
    pub scribbles: Vec<Placed>,
    /// The OCR stage looked for boxes and scribbles.
    pub ink_read: bool,
}

/// A box of the page: as decoded (for results) and upright, straightened (for geometry).
#[derive(Debug, Clone, Copy, Default)]
pub struct Placed {
    pub bbox: [u32; 4],
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
}

impl Placed {
    pub fn w(&self) -> f32 {
        self.x1 - self.x0
    }
    pub fn h(&self) -> f32 {
        self.y1 - self.y0
    }
    pub fn xc(&self) -> f32 {
        (self.x0 + self.x1) / 2.0
    }
    pub fn yc(&self) -> f32 {
        (self.y0 + self.y1) / 2.0
    }
}

/// A check box of the page.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckBox {
    pub at: Placed,
    pub ticked: bool,
    /// Share of the inside of the frame that is ink.
    pub fill: f32,
}

impl PageLayout {
    /// Builds the layout of a read page.
    pub fn new(p: &ReadPage) -> PageLayout {
        let (w, h) = (p.width as f32, p.height as f32);
        let rot = p.rotation % 360;
        let (uw, uh) = if rot == 90 || rot == 270 {
            (h, w)
        } else {
            (w, h)
        };
        let upright = |x: f32, y: f32| -> (f32, f32) {
            match rot {
                90 => (h - y, x),
                180 => (w - x, h - y),
                270 => (y, w - x),
                _ => (x, y),
            }
        };
        let mut toks: Vec<Tok> = p
            .words
            .iter()
            .filter(|wd| !wd.text.trim().is_empty())
            .map(|wd| {
                let b = wd.bbox;
                let (ax, ay) = upright(b[0] as f32, b[1] as f32);
                let (bx, by) = upright(b[2] as f32, b[3] as f32);
                Tok {
                    text: wd.text.clone(),
                    fold: fold_text(&wd.text),
                    bbox: b,
                    x0: ax.min(bx),
                    y0: ay.min(by),
                    x1: ax.max(bx),
                    y1: ay.max(by),
                    conf: wd.confidence,
                    seg: 0,
                }
            })
            .collect();
        // A sideways page the OCR stage did not turn: Tesseract still reads its words, as
        // vertical lines. Turn the boxes a quarter, in the direction the lines read.
        let long: Vec<&Tok> = toks
            .iter()
            .filter(|t| t.text.chars().count() >= 4)
            .collect();
        let vertical = long.len() >= 10
            && long
                .iter()
                .filter(|t| (t.y1 - t.y0) > 1.5 * (t.x1 - t.x0))
                .count()
                * 10
                >= long.len() * 7;
        let (mut uw, mut uh) = (uw, uh);
        let (vw, vh) = (uw, uh);
        let mut turned_down = true;
        if vertical {
            // Along a line, do the words go down the page (turned clockwise) or up?
            let (mut down, mut up) = (0, 0);
            for w in toks.windows(2) {
                if (w[0].x0 - w[1].x0).abs() < (w[0].x1 - w[0].x0) {
                    if w[1].y0 > w[0].y0 {
                        down += 1;
                    } else {
                        up += 1;
                    }
                }
            }
            turned_down = down >= up;
            for t in &mut toks {
                let (x0, y0, x1, y1) = (t.x0, t.y0, t.x1, t.y1);
                (t.x0, t.y0, t.x1, t.y1) = if down >= up {
                    (y0, uw - x1, y1, uw - x0)
                } else {
                    (uh - y1, x0, uh - y0, x1)
                };
            }
            (uw, uh) = (uh, uw);
        }
        // Tesseract's lines: the words of each text line, in order (the words of `text`).
        let mut tess_lines: Vec<std::ops::Range<usize>> = Vec::new();
        let mut i = 0;
        for l in p.text.split('\n') {
            let n = l.split_whitespace().count();
            if n > 0 {
                tess_lines.push(i..(i + n).min(toks.len()));
                i += n;
            }
        }
        let slope = if i == toks.len() {
            estimate_slope(&toks, &tess_lines)
        } else {
            0.0
        };
        if slope != 0.0 {
            for t in &mut toks {
                let xc = (t.x0 + t.x1) / 2.0;
                t.y0 -= slope * xc;
                t.y1 -= slope * xc;
            }
        }
        let line_h = median(toks.iter().map(Tok::h).collect()).max(4.0);
        let lines = group_lines(toks, line_h);
        let confidence = p.confidence;
        // Boxes and scribbles go through the same turns and shear as the words.
        let place = |b: [u32; 4]| -> Placed {
            let (ax, ay) = upright(b[0] as f32, b[1] as f32);
            let (bx, by) = upright(b[2] as f32, b[3] as f32);
            let (mut x0, mut y0, mut x1, mut y1) = (ax.min(bx), ay.min(by), ax.max(bx), ay.max(by));
            if vertical {
                (x0, y0, x1, y1) = if turned_down {
                    (y0, vw - x1, y1, vw - x0)
                } else {
                    (vh - y1, x0, vh - y0, x1)
                };
            }
            let xc = (x0 + x1) / 2.0;
            Placed {
                bbox: b,
                x0,
                y0: y0 - slope * xc,
                x1,
                y1: y1 - slope * xc,
            }
        };
        let marks = p
            .marks
            .iter()
            .map(|m| CheckBox {
                at: place(m.bbox),
                ticked: m.ticked,
                fill: m.fill,
            })
            .collect();
        let scribbles = p.scribbles.iter().map(|b| place(*b)).collect();
        PageLayout {
            page: p.page,
            lines,
            width: uw,
            height: uh,
            blank: p.blank,
            line_h,
            confidence,
            marks,
            scribbles,
            ink_read: p.ink_read,
        }
    }

    /// All folded text, one line per line.
    pub fn fold(&self) -> String {
        self.lines
            .iter()
            .map(|l| l.fold.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Number of words.
    pub fn words(&self) -> usize {
        self.lines.iter().map(|l| l.toks.len()).sum()
    }
}

/// The median of some values (0 for none).
pub fn median(mut v: Vec<f32>) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

/// The slope dy/dx of the text lines, from Tesseract's lines long enough to tell.
fn estimate_slope(toks: &[Tok], lines: &[std::ops::Range<usize>]) -> f32 {
    let mut slopes = Vec::new();
    for r in lines {
        if r.len() < 3 {
            continue;
        }
        let ws = &toks[r.clone()];
        let (a, b) = (&ws[0], &ws[ws.len() - 1]);
        let dx = (b.x0 + b.x1) / 2.0 - (a.x0 + a.x1) / 2.0;
        if dx < 150.0 {
            continue;
        }
        // Bottom of the words, less sensitive to capitals than the centre.
        let n = ws.len() as f32;
        let mx = ws.iter().map(|t| (t.x0 + t.x1) / 2.0).sum::<f32>() / n;
        let my = ws.iter().map(|t| t.y1).sum::<f32>() / n;
        let sxx: f32 = ws.iter().map(|t| ((t.x0 + t.x1) / 2.0 - mx).powi(2)).sum();
        let sxy: f32 = ws
            .iter()
            .map(|t| ((t.x0 + t.x1) / 2.0 - mx) * (t.y1 - my))
            .sum();
        if sxx > 0.0 {
            slopes.push(sxy / sxx);
        }
    }
    if slopes.len() < 2 {
        return 0.0;
    }
    let s = median(slopes);
    if s.abs() < 0.002 || s.abs() > 0.1 {
        0.0
    } else {
        s
    }
}

/// Groups words into visual lines by their straightened vertical position.
///
/// Two words of one line never overlap much horizontally (a clash), but punctuation is not
/// held to that: OCR boxes of a colon or a bar often overlap the word before it (`postal`
/// `:`), and a clash there split `Code postal : 44000` over two lines. A word whose box is
/// much taller than a line (merged with a stroke or the word below) is placed by its top or
/// bottom line height, whichever sits on a line, and beside the nearest word when both do.
fn group_lines(mut toks: Vec<Tok>, line_h: f32) -> Vec<Line> {
    toks.sort_by(|a, b| a.yc().total_cmp(&b.yc()));
    // Tall words last, once the lines they may sit on all exist.
    let (tall_toks, toks): (Vec<Tok>, Vec<Tok>) =
        toks.into_iter().partition(|t| t.h() > 1.5 * line_h);
    let mut lines: Vec<(f32, f32, Vec<Tok>)> = Vec::new(); // (centre, height, words)
    for t in toks.into_iter().chain(tall_toks) {
        let tall = t.h() > 1.5 * line_h;
        let th = t.h().min(line_h * 1.6).max(line_h * 0.5);
        let word = t.text.chars().any(char::is_alphanumeric);
        let mut best: Option<(usize, f32)> = None;
        let from = if tall {
            0
        } else {
            lines.len().saturating_sub(8)
        };
        for (li, (yc, lh, ws)) in lines.iter().enumerate().skip(from) {
            let centre = (t.yc() - yc).abs();
            let d = if tall {
                let top = (t.y0 + 0.5 * line_h - yc).abs();
                let bottom = (t.y1 - 0.5 * line_h - yc).abs();
                top.min(bottom)
            } else {
                centre
            };
            let near = centre <= 0.5 * th.min(*lh) || (tall && d <= 0.5 * line_h.min(*lh));
            if !near {
                continue;
            }
            let clash = word
                && ws.iter().any(|o| {
                    let ov = t.x1.min(o.x1) - t.x0.max(o.x0);
                    o.text.chars().any(char::is_alphanumeric)
                        && ov > 0.3 * (t.x1 - t.x0).min(o.x1 - o.x0)
                });
            if clash {
                continue;
            }
            // A tall word: the line whose nearest word is closest beside it (a line of
            // stray marks only when no line of words is near).
            let key = if tall {
                ws.iter()
                    .filter(|o| o.text.chars().any(char::is_alphanumeric))
                    .map(|o| (o.x0 - t.x1).max(t.x0 - o.x1).max(0.0))
                    .fold(f32::MAX, f32::min)
            } else {
                d
            };
            if best.is_none_or(|(_, bd)| key < bd) {
                best = Some((li, key));
            }
        }
        match best {
            Some((li, _)) => {
                let (yc, lh, ws) = &mut lines[li];
                if !tall {
                    let n = ws.len() as f32;
                    *yc = (*yc * n + t.yc()) / (n + 1.0);
                    *lh = (*lh * n + th) / (n + 1.0);
                }
                ws.push(t);
            }
            None => lines.push((t.yc(), th, vec![t])),
        }
    }
    // Marks (a dash, a bar) left on a line of their own because the taller words they stand
    // between were placed after them: back onto the line of tall words they sit on.
    let alnum = |t: &Tok| t.text.chars().any(char::is_alphanumeric);
    let (marks, mut lines): (Vec<_>, Vec<_>) = lines
        .into_iter()
        .partition(|(_, _, ws)| !ws.iter().any(alnum));
    for (yc, lh, ws) in marks {
        let target = lines
            .iter()
            .enumerate()
            .filter(|(_, (_, _, ow))| {
                let y0 = ow.iter().map(|t| t.y0).fold(f32::MAX, f32::min);
                let y1 = ow.iter().map(|t| t.y1).fold(f32::MIN, f32::max);
                ow.iter().any(|o| o.h() > 1.5 * line_h)
                    && yc > y0
                    && yc < y1
                    && ws
                        .iter()
                        .all(|t| ow.iter().all(|o| t.x1 <= o.x0 || t.x0 >= o.x1))
            })
            .map(|(i, (_, _, ow))| {
                let gap = ws
                    .iter()
                    .flat_map(|t| ow.iter().map(move |o| (o.x0 - t.x1).max(t.x0 - o.x1)))
                    .fold(f32::MAX, f32::min);
                (i, gap)
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i);
        match target {
            Some(i) => lines[i].2.extend(ws),
            None => lines.push((yc, lh, ws)),
        }
    }
    let mut out: Vec<Line> = lines
        .into_iter()
        .map(|(_, _, toks)| {
            let mut l = Line {
                toks,
                ..Line::default()
            };
            l.finish();
            l
        })
        .collect();
    out.sort_by(|a, b| ((a.y0 + a.y1) / 2.0).total_cmp(&((b.y0 + b.y1) / 2.0)));
    out
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Pages made of words placed by hand, for extractor tests.
    use crate::page::{ReadPage, ReadWord};
    use mailroom_domain::TruthDocument;

    /// A document of the development set as the OCR stage read it, with its truth
    /// (`tests/fixtures/<class>.json`).
    pub fn fixture(class: &str) -> (Vec<ReadPage>, TruthDocument) {
        let text = match class {
            "membership_form" => include_str!("../tests/fixtures/membership_form.json"),
            "invoice" => include_str!("../tests/fixtures/invoice.json"),
            "quote" => include_str!("../tests/fixtures/quote.json"),
            "complaint" => include_str!("../tests/fixtures/complaint.json"),
            _ => include_str!("../tests/fixtures/other.json"),
        };
        #[derive(serde::Deserialize)]
        struct F {
            pages: Vec<ReadPage>,
            truth: TruthDocument,
        }
        let f: F = serde_json::from_str(text).expect("fixture");
        (f.pages, f.truth)
    }

    /// A page from lines of text at given positions: each `(x, y, text)` puts the words of
    /// `text` left to right from `x` on a line whose top is `y`, 20 px per character.
    pub fn page(n: u32, lines: &[(u32, u32, &str)]) -> ReadPage {
        let mut words = Vec::new();
        let mut text = String::new();
        for &(x, y, t) in lines {
            let mut cx = x;
            for w in t.split_whitespace() {
                let wlen = w.chars().count() as u32 * 20;
                words.push(ReadWord {
                    text: w.to_string(),
                    bbox: [cx, y, cx + wlen, y + 40],
                    confidence: 0.95,
                });
                cx += wlen + 15;
            }
            text.push_str(t);
            text.push('\n');
        }
        ReadPage {
            page: n,
            text,
            words,
            confidence: 0.95,
            rotation: 0,
            blank: false,
            width: 2480,
            height: 3508,
            ..ReadPage::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_become_segments_of_one_line() {
        let p = testkit::page(
            1,
            &[
                (100, 100, "Optique Weber"),
                (1400, 105, "Facture d'optique"),
                (100, 200, "Siret : 744 490 350 00074"),
            ],
        );
        let l = PageLayout::new(&p);
        assert_eq!(l.lines.len(), 2);
        assert_eq!(l.lines[0].fold, "optique weber facture d'optique");
        let segs: Vec<usize> = l.lines[0].toks.iter().map(|t| t.seg).collect();
        assert_eq!(segs, [0, 0, 1, 1]);
        assert_eq!(l.lines[1].toks_in(0, 7), 0..2);
    }

    #[test]
    fn sideways_text_is_turned() {
        // Words read as vertical lines, top to bottom, lines going right to left.
        let mut p = testkit::page(1, &[]);
        p.width = 2339;
        p.height = 1654;
        let mut text = String::new();
        for (line, words) in [["Madame,", "Monsieur,"], ["Veuillez", "trouver"]]
            .iter()
            .enumerate()
        {
            let x = 2200 - 60 * line as u32;
            let mut y = 200;
            for w in words {
                let h = w.len() as u32 * 20;
                p.words.push(crate::page::ReadWord {
                    text: w.to_string(),
                    bbox: [x, y, x + 40, y + h],
                    confidence: 0.9,
                });
                y += h + 15;
            }
            text.push_str(&words.join(" "));
            text.push('\n');
        }
        for i in 0..8 {
            let w = format!("mot{i}abc");
            p.words.push(crate::page::ReadWord {
                text: w.clone(),
                bbox: [100 + 60 * i, 200, 140 + 60 * i, 400],
                confidence: 0.9,
            });
            text.push_str(&w);
            text.push('\n');
        }
        p.text = text;
        let l = PageLayout::new(&p);
        assert_eq!(l.lines[0].fold, "madame, monsieur,");
        assert_eq!(l.lines[1].fold, "veuillez trouver");
    }

    #[test]
    fn upside_down_page_is_turned_back() {
        let mut p = testkit::page(
            1,
            &[(100, 100, "Nom : DURAND"), (100, 200, "Prénom : Anne")],
        );
        // As decoded, the page was upside down: boxes mirrored in both axes.
        for w in &mut p.words {
            let b = w.bbox;
            w.bbox = [2480 - b[2], 3508 - b[3], 2480 - b[0], 3508 - b[1]];
        }
        p.rotation = 180;
        let l = PageLayout::new(&p);
        assert_eq!(l.lines[0].fold, "nom : durand");
        assert_eq!(l.lines[1].fold, "prenom : anne");
    }

    fn word(text: &str, bbox: [u32; 4]) -> crate::page::ReadWord {
        crate::page::ReadWord {
            text: text.to_string(),
            bbox,
            confidence: 0.95,
        }
    }

    /// A colon whose box overlaps the word before it (`postal` `:`) stays on its line: the
    /// clash that split `Code postal : 44000` over two lines holds for words only.
    #[test]
    fn a_colon_overlapping_its_word_stays_on_the_line() {
        let mut p = testkit::page(1, &[]);
        p.words = vec![
            word("Code", [188, 976, 274, 1007]),
            word("postal", [285, 975, 404, 1016]),
            word(":", [394, 966, 416, 1023]),
            word("76000", [452, 973, 559, 1006]),
            word("Ville", [779, 981, 878, 1014]),
            word(":", [871, 972, 893, 1029]),
            word("ROUEN", [920, 975, 1040, 1008]),
        ];
        let l = PageLayout::new(&p);
        assert_eq!(l.lines.len(), 1);
        assert_eq!(l.lines[0].fold, "code postal : 76000 ville : rouen");
    }

    /// A word whose box runs down over the next line (`Date`, merged with a stroke) sits
    /// on the line of the words beside it, not on the line its centre falls on.
    #[test]
    fn a_tall_word_joins_the_words_beside_it() {
        let mut p = testkit::page(1, &[]);
        p.words = vec![
            word("Date", [1944, 329, 2026, 411]),
            word(":", [2038, 340, 2044, 361]),
            word("14/10/2025", [2061, 325, 2255, 362]),
            word("Tél.", [132, 380, 193, 410]),
            word("01", [205, 380, 245, 408]),
            word("54", [259, 380, 297, 408]),
            word("Valable", [1763, 396, 1890, 432]),
            word("jusqu'au", [1901, 398, 2047, 435]),
            word("14/01/2026", [2061, 398, 2257, 432]),
        ];
        let l = PageLayout::new(&p);
        let date = l
            .lines
            .iter()
            .find(|l| l.fold.contains("14/10/2025"))
            .expect("the date's line");
        assert_eq!(date.fold, "date : 14/10/2025");
    }

    /// A bar standing in the gap between columns neither bridges it nor makes a column.
    #[test]
    fn a_bar_in_a_gap_does_not_bridge_columns() {
        let p = testkit::page(1, &[(100, 100, "Total TTC"), (700, 100, "| 448,00 €")]);
        let l = PageLayout::new(&p);
        let segs: Vec<usize> = l.lines[0].toks.iter().map(|t| t.seg).collect();
        assert_eq!(segs, [0, 0, 0, 1, 1]);
    }
}
