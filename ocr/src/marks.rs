//! What a pen leaves on a form that OCR does not report: check boxes, ticked or not, and ink
//! that no word covers (a signature, a handwritten mark).
//!
//! Tesseract reports words only: it cannot say which box of a list holds a cross, nor that a
//! signature box holds a scribble. This looks at the straightened page the engine read,
//! binarised at the clean-up's ink level (grey under 128):
//!
//! - ink regions (8-connected) are built from the runs of ink of each row (one pass over the
//!   pixels with a fast path over white, then a union-find over the runs): a mostly white
//!   page costs a few milliseconds;
//! - a **check box** is a region whose box is square, [`BOX_MIN_MM`]–[`BOX_MAX_MM`] a side,
//!   with ink along the whole length of each of its four sides, near the edge (a letter O or D,
//!   an X glyph, fails at the corners). Its fill is the share of inked pixels inside the frame,
//!   the frame's own thickness left out; a cross or a check mark fills 20–50 %, an empty box
//!   under 2 %;
//! - a **scribble** is what remains of a region at least [`SCRIBBLE_MIN_MM`] long once its
//!   straight lines are taken out (horizontal or vertical runs of ink longer than
//!   [`LINE_MIN_MM`]: rules, frames, table grids) and the words OCR read with some confidence
//!   are masked, when enough ink remains. Scribbles close to each other are merged.
//!
//! Boxes are in pixels of the image given; the worker maps them to the decoded page.

use crate::clean::Geometry;
use crate::engine::RawWord;
use crate::page::{BBox, Mark};
use image::GrayImage;

/// Grey level under which a pixel is ink (the clean-up's own).
const INK: u8 = 128;
/// The side of a check box, in millimetres.
pub(crate) const BOX_MIN_MM: f32 = 2.3;
pub(crate) const BOX_MAX_MM: f32 = 6.5;
/// A box is ticked when at least this share of the inside of its frame is ink.
pub(crate) const TICKED_FILL: f32 = 0.08;
/// The smallest extent of a scribble.
pub(crate) const SCRIBBLE_MIN_MM: f32 = 4.0;
/// Straight runs of ink at least this long are lines, not handwriting.
pub(crate) const LINE_MIN_MM: f32 = 3.0;
/// Words read with at least this confidence (0–100) cover their ink.
const WORD_MIN_CONF: f32 = 50.0;
/// Scribbles kept per page, the largest first.
const MAX_SCRIBBLES: usize = 64;

/// A check box found: its box (`[x0, y0, x1, y1]`, exclusive ends) and the share of the inside
/// of its frame that is ink.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FoundBox {
    pub bbox: [u32; 4],
    pub fill: f32,
}

impl FoundBox {
    pub(crate) fn ticked(&self) -> bool {
        self.fill >= TICKED_FILL
    }
}

/// What a page holds besides its words.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Found {
    pub boxes: Vec<FoundBox>,
    pub scribbles: Vec<[u32; 4]>,
}

/// One run of ink of a row: `x0..x1`.
#[derive(Debug, Clone, Copy)]
struct Run {
    y: u32,
    x0: u32,
    x1: u32,
}

/// An ink region: its box (exclusive ends), pixel count, and where its runs are listed.
#[derive(Debug, Clone, Copy)]
struct Region {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
    pixels: u32,
    /// Range in the runs-by-region order.
    first: usize,
    count: usize,
}

impl Region {
    fn w(&self) -> u32 {
        self.x1 - self.x0
    }
    fn h(&self) -> u32 {
        self.y1 - self.y0
    }
}

/// The runs of ink of every row, in row order.
fn ink_runs(img: &GrayImage) -> Vec<Run> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let raw = img.as_raw();
    let mut runs = Vec::new();
    for y in 0..h {
        let row = &raw[y * w..(y + 1) * w];
        let mut x = 0;
        while x < w {
            // White is any byte with its high bit set (>= 128): skip eight at a time.
            while x + 8 <= w {
                let mut chunk = [0u8; 8];
                chunk.copy_from_slice(&row[x..x + 8]);
                if u64::from_ne_bytes(chunk) & HIGH == HIGH {
                    x += 8;
                } else {
                    break;
                }
            }
            while x < w && row[x] >= INK {
                x += 1;
            }
            if x >= w {
                break;
            }
            let s = x;
            while x < w && row[x] < INK {
                x += 1;
            }
            runs.push(Run {
                y: y as u32,
                x0: s as u32,
                x1: x as u32,
            });
        }
    }
    runs
}

fn find_root(parent: &mut [u32], mut i: u32) -> u32 {
    while parent[i as usize] != i {
        let p = parent[i as usize];
        parent[i as usize] = parent[p as usize];
        i = p;
    }
    i
}

/// The 8-connected regions of the runs, and the run indices grouped by region.
fn regions(runs: &[Run]) -> (Vec<Region>, Vec<u32>) {
    let n = runs.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    // Rows: [start, end) of each row's runs.
    let mut prev: (usize, usize) = (0, 0);
    let mut prev_y = u32::MAX;
    let mut i = 0;
    while i < n {
        let y = runs[i].y;
        let start = i;
        while i < n && runs[i].y == y {
            i += 1;
        }
        if prev_y != u32::MAX && prev_y + 1 == y {
            let mut j = prev.0;
            for c in start..i {
                while j < prev.1 && runs[j].x1 < runs[c].x0 {
                    j += 1;
                }
                let mut k = j;
                while k < prev.1 && runs[k].x0 <= runs[c].x1 {
                    let (a, b) = (
                        find_root(&mut parent, c as u32),
                        find_root(&mut parent, k as u32),
                    );
                    if a != b {
                        parent[a.max(b) as usize] = a.min(b);
                    }
                    k += 1;
                }
            }
        }
        prev = (start, i);
        prev_y = y;
    }
    let mut id = vec![u32::MAX; n];
    let mut regions: Vec<Region> = Vec::new();
    let mut of_run = vec![0u32; n];
    for (r, run) in runs.iter().enumerate() {
        let root = find_root(&mut parent, r as u32) as usize;
        if id[root] == u32::MAX {
            id[root] = regions.len() as u32;
            regions.push(Region {
                x0: run.x0,
                y0: run.y,
                x1: run.x1,
                y1: run.y + 1,
                pixels: 0,
                first: 0,
                count: 0,
            });
        }
        let g = &mut regions[id[root] as usize];
        g.x0 = g.x0.min(run.x0);
        g.x1 = g.x1.max(run.x1);
        g.y1 = g.y1.max(run.y + 1);
        g.pixels += run.x1 - run.x0;
        g.count += 1;
        of_run[r] = id[root];
    }
    let mut next = 0;
    for g in &mut regions {
        g.first = next;
        next += g.count;
    }
    let mut fill: Vec<usize> = regions.iter().map(|g| g.first).collect();
    let mut order = vec![0u32; n];
    for (r, g) in of_run.iter().enumerate() {
        order[fill[*g as usize]] = r as u32;
        fill[*g as usize] += 1;
    }
    (regions, order)
}

/// Finds the check boxes and scribbles of a straightened page at `dpi`; `words` are the boxes
/// `[x0, y0, x1, y1]` in the same pixels and confidences (0–100) of the words OCR read.
pub(crate) fn find(img: &GrayImage, dpi: u32, words: &[([u32; 4], f32)]) -> Found {
    let px = dpi.max(50) as f32 / 25.4;
    let runs = ink_runs(img);
    let (regions, order) = regions(&runs);
    let (bmin, bmax) = (
        (BOX_MIN_MM * px).floor() as u32,
        (BOX_MAX_MM * px).ceil() as u32,
    );
    let mut found = Found::default();
    for g in &regions {
        let (w, h) = (g.w(), g.h());
        if (bmin..=bmax).contains(&w)
            && (bmin..=bmax).contains(&h)
            && w.abs_diff(h) <= (w.max(h) / 6).max(2)
            && let Some(fill) = check_box(img, g)
        {
            found.boxes.push(FoundBox {
                bbox: [g.x0, g.y0, g.x1, g.y1],
                fill,
            });
        }
    }
    let strong: Vec<[u32; 4]> = words
        .iter()
        .filter(|(_, c)| *c >= WORD_MIN_CONF)
        .map(|(b, _)| *b)
        .collect();
    let smin = (SCRIBBLE_MIN_MM * px).round() as u32;
    let min_pixels = (1.5 * px * px) as u32;
    let line = ((LINE_MIN_MM * px).round() as u32).max(4);
    let inside_box = |g: &Region| {
        found.boxes.iter().any(|b| {
            g.x0 + 1 >= b.bbox[0]
                && g.y0 + 1 >= b.bbox[1]
                && g.x1 <= b.bbox[2] + 1
                && g.y1 <= b.bbox[3] + 1
        })
    };
    let lines = line_runs(&runs, &rows(&runs), line, ((1.2 * px) as u32).max(3));
    let mut scribbles: Vec<([u32; 4], u32)> = Vec::new();
    for g in &regions {
        if g.w().max(g.h()) < smin || g.pixels < min_pixels || inside_box(g) {
            continue;
        }
        let near: Vec<[u32; 4]> = strong
            .iter()
            .filter(|b| b[0] < g.x1 && b[2] > g.x0 && b[1] < g.y1 && b[3] > g.y0)
            .copied()
            .collect();
        let its = &order[g.first..g.first + g.count];
        if let Some(s) = residue(its, &runs, &lines, &near)
            && (s.0[2] - s.0[0]).max(s.0[3] - s.0[1]) >= smin
            && s.1 >= min_pixels
            // Ink spread thin over a large box: the frayed edges of a frame, not a stroke.
            && s.1 as f32 >= 0.02 * ((s.0[2] - s.0[0]) * (s.0[3] - s.0[1])) as f32
        {
            scribbles.push(s);
        }
    }
    found.scribbles = merge(scribbles, (2.0 * px) as u32);
    found
}

/// Whether a square region is the frame of a box (ink along each side near the edge, over at
/// least 90 % of its length), and if so the share of the inside of the frame that is ink
/// (all ink there, whichever region it belongs to: a cross may not touch the frame).
fn check_box(img: &GrayImage, g: &Region) -> Option<f32> {
    let (w, h) = (g.w() as usize, g.h() as usize);
    let ink = |x: usize, y: usize| img.get_pixel(g.x0 + x as u32, g.y0 + y as u32).0[0] < INK;
    let d = (w.min(h) * 3 / 20).max(2);
    // Coverage of each side: columns (or rows) with ink within `d` of the edge.
    let cover_h = |from_top: bool| {
        (0..w)
            .filter(|&x| {
                (0..d).any(|k| {
                    let y = if from_top { k } else { h - 1 - k };
                    ink(x, y)
                })
            })
            .count() as f32
            / w as f32
    };
    let cover_v = |from_left: bool| {
        (0..h)
            .filter(|&y| {
                (0..d).any(|k| {
                    let x = if from_left { k } else { w - 1 - k };
                    ink(x, y)
                })
            })
            .count() as f32
            / h as f32
    };
    if cover_h(true) < 0.9 || cover_h(false) < 0.9 || cover_v(true) < 0.9 || cover_v(false) < 0.9 {
        return None;
    }
    // The frame's thickness on each side: rows (columns) from the edge that are mostly ink.
    let row_full = |y: usize| (0..w).filter(|&x| ink(x, y)).count() * 2 >= w;
    let col_full = |x: usize| (0..h).filter(|&y| ink(x, y)).count() * 2 >= h;
    let t_top = (0..d).take_while(|&k| row_full(k)).count().max(1);
    let t_bottom = (0..d).take_while(|&k| row_full(h - 1 - k)).count().max(1);
    let t_left = (0..d).take_while(|&k| col_full(k)).count().max(1);
    let t_right = (0..d).take_while(|&k| col_full(w - 1 - k)).count().max(1);
    // A margin inside the frame: its inner edge is not a cross.
    let m = (w.min(h) / 14).max(1);
    let (ix0, iy0) = (t_left + m, t_top + m);
    let (ix1, iy1) = (
        w.saturating_sub(t_right + m),
        h.saturating_sub(t_bottom + m),
    );
    if ix1 < ix0 + 3 || iy1 < iy0 + 3 {
        return None;
    }
    let mut n = 0usize;
    for y in iy0..iy1 {
        for x in ix0..ix1 {
            n += usize::from(ink(x, y));
        }
    }
    Some(n as f32 / ((ix1 - ix0) * (iy1 - iy0)) as f32)
}

/// The rows of runs: `(y, start, end)` ranges into `runs`.
fn rows(runs: &[Run]) -> Vec<(u32, usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let (y, s) = (runs[i].y, i);
        while i < runs.len() && runs[i].y == y {
            i += 1;
        }
        out.push((y, s, i));
    }
    out
}

/// Calls `f(c, k)` for each run `c` of row `cur` and run `k` of the row above, `prev`, that
/// touch (8-connected).
fn touching(
    runs: &[Run],
    prev: (usize, usize),
    cur: (usize, usize),
    mut f: impl FnMut(usize, usize),
) {
    let mut j = prev.0;
    for c in cur.0..cur.1 {
        while j < prev.1 && runs[j].x1 < runs[c].x0 {
            j += 1;
        }
        let mut k = j;
        while k < prev.1 && runs[k].x0 <= runs[c].x1 {
            f(c, k);
            k += 1;
        }
    }
}

/// Which runs belong to straight lines: horizontal runs at least `long` pixels long; thin runs
/// (at most `thin`) stacked into a vertical line at least `long` rows tall that leans by no more
/// than about 2° (a steep pen stroke drifts more); and the short runs along either, where a
/// resampled line frays.
fn line_runs(runs: &[Run], rows: &[(u32, usize, usize)], long: u32, thin: u32) -> Vec<bool> {
    let n = runs.len();
    let xc = |r: usize| (runs[r].x0 + runs[r].x1) as f32 / 2.0;
    let len = |r: usize| runs[r].x1 - runs[r].x0;
    let mut up = vec![1u32; n];
    let mut start: Vec<f32> = (0..n).map(xc).collect();
    let mut pred = vec![u32::MAX; n];
    for w in rows.windows(2) {
        let (p, c) = (w[0], w[1]);
        if p.0 + 1 != c.0 {
            continue;
        }
        touching(runs, (p.1, p.2), (c.1, c.2), |c, k| {
            if len(c) <= thin
                && len(k) <= thin
                && (xc(c) - start[k]).abs() <= 1.5 + 0.035 * (up[k] + 1) as f32
                && up[k] + 1 > up[c]
            {
                up[c] = up[k] + 1;
                start[c] = start[k];
                pred[c] = k as u32;
            }
        });
    }
    let mut tall = up.clone();
    for r in (0..n).rev() {
        if pred[r] != u32::MAX {
            let k = pred[r] as usize;
            tall[k] = tall[k].max(tall[r]);
        }
    }
    let mut line: Vec<bool> = (0..n)
        .map(|r| len(r) >= long || (len(r) <= thin && tall[r] >= long))
        .collect();
    // Frayed edges: short runs touching a line run in the row above or below.
    let fray = (thin / 2).max(2);
    let mut frayed = vec![false; n];
    for w in rows.windows(2) {
        let (p, c) = (w[0], w[1]);
        if p.0 + 1 != c.0 {
            continue;
        }
        touching(runs, (p.1, p.2), (c.1, c.2), |c, k| {
            if line[k] && !line[c] && len(c) <= fray {
                frayed[c] = true;
            }
            if line[c] && !line[k] && len(k) <= fray {
                frayed[k] = true;
            }
        });
    }
    for (l, f) in line.iter_mut().zip(frayed) {
        *l |= f;
    }
    line
}

/// What is left of a region once its straight lines are taken out and the confident words
/// masked: the box and pixel count of the rest, `None` when nothing is.
fn residue(
    its: &[u32],
    runs: &[Run],
    line: &[bool],
    words: &[[u32; 4]],
) -> Option<([u32; 4], u32)> {
    let (mut x0, mut y0, mut x1, mut y1, mut n) = (u32::MAX, u32::MAX, 0, 0, 0u32);
    for &r in its {
        if line[r as usize] {
            continue;
        }
        let run = runs[r as usize];
        // The parts of the run outside the words (a word box cuts at most into two parts).
        let mut parts: [(u32, u32); 2] = [(run.x0, run.x1), (0, 0)];
        for b in words {
            if run.y < b[1] || run.y >= b[3] {
                continue;
            }
            for k in 0..2 {
                let (a, z) = parts[k];
                if a >= z || z <= b[0] || a >= b[2] {
                    continue;
                }
                let left = (a, b[0].max(a));
                let right = (b[2].min(z), z);
                parts[k] = if left.0 < left.1 { left } else { (0, 0) };
                if right.0 < right.1 {
                    if parts[k].0 >= parts[k].1 {
                        parts[k] = right;
                    } else if parts[1 - k].0 >= parts[1 - k].1 {
                        parts[1 - k] = right;
                    }
                }
            }
        }
        for (a, z) in parts {
            if a < z {
                n += z - a;
                x0 = x0.min(a);
                x1 = x1.max(z);
                y0 = y0.min(run.y);
                y1 = y1.max(run.y + 1);
            }
        }
    }
    (n > 0).then_some(([x0, y0, x1, y1], n))
}

/// Merges boxes less than `gap` apart; keeps the [`MAX_SCRIBBLES`] with the most ink.
fn merge(mut boxes: Vec<([u32; 4], u32)>, gap: u32) -> Vec<[u32; 4]> {
    let near = |a: &[u32; 4], b: &[u32; 4]| {
        a[0] <= b[2] + gap && b[0] <= a[2] + gap && a[1] <= b[3] + gap && b[1] <= a[3] + gap
    };
    let mut merged = true;
    while merged {
        merged = false;
        'outer: for i in 0..boxes.len() {
            for j in i + 1..boxes.len() {
                if near(&boxes[i].0, &boxes[j].0) {
                    let (b, n) = boxes.swap_remove(j);
                    let a = &mut boxes[i];
                    a.0 = [
                        a.0[0].min(b[0]),
                        a.0[1].min(b[1]),
                        a.0[2].max(b[2]),
                        a.0[3].max(b[3]),
                    ];
                    a.1 += n;
                    merged = true;
                    break 'outer;
                }
            }
        }
    }
    boxes.sort_by_key(|b| std::cmp::Reverse(b.1));
    boxes.truncate(MAX_SCRIBBLES);
    boxes.sort_by_key(|b| (b.0[1], b.0[0]));
    boxes.into_iter().map(|b| b.0).collect()
}

/// The check boxes and scribbles of the page a reading was made on (`seen`, at `dpi`, with the
/// words read on it), in pixels of the decoded page, and the time it took.
pub(crate) fn of_reading(
    seen: &GrayImage,
    dpi: u32,
    words: &[RawWord],
    geometry: &Geometry,
) -> (Vec<Mark>, Vec<BBox>, f64) {
    let t = std::time::Instant::now();
    let boxes: Vec<([u32; 4], f32)> = words
        .iter()
        .map(|w| ([w.left, w.top, w.left + w.width, w.top + w.height], w.conf))
        .collect();
    let found = find(seen, dpi, &boxes);
    let marks = found
        .boxes
        .iter()
        .map(|b| Mark {
            bbox: geometry.bbox(b.bbox),
            ticked: b.ticked(),
            fill: (b.fill * 1000.0).round() / 1000.0,
        })
        .collect();
    let scribbles = found.scribbles.iter().map(|b| geometry.bbox(*b)).collect();
    (marks, scribbles, t.elapsed().as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailroom_samples::doc::{Item, Page, text_box};
    use mailroom_samples::fonts::Font;

    const DPI: u32 = 200;

    fn px(mm: f32) -> u32 {
        (mm * DPI as f32 / 25.4).round() as u32
    }

    fn frame(x: f32, y: f32, s: f32) -> Item {
        Item::Rect {
            x,
            y,
            w: s,
            h: s,
            stroke: Some((0.25, 0)),
            fill: None,
        }
    }

    /// A hand-drawn cross inside a box of side `s` at (x, y), as the generator draws one.
    fn cross(x: f32, y: f32, s: f32) -> [Item; 2] {
        [
            Item::Stroke {
                points: vec![(x + 0.8, y + 0.9), (x + s - 0.7, y + s - 0.8)],
                width: 0.5,
                gray: 20,
            },
            Item::Stroke {
                points: vec![(x + s - 0.9, y + 0.7), (x + 0.7, y + s - 0.9)],
                width: 0.5,
                gray: 20,
            },
        ]
    }

    fn text(x: f32, y: f32, size: f32, t: &str) -> Item {
        Item::Text {
            x,
            y,
            font: Font::Sans,
            size,
            text: t.into(),
            gray: 0,
        }
    }

    /// The page and the boxes of its text items in pixels, as confident words.
    fn render(items: Vec<Item>) -> (GrayImage, Vec<([u32; 4], f32)>) {
        let page = Page {
            items,
            ..Page::default()
        };
        let words = page
            .text_runs()
            .map(|(_, b)| ([px(b[0]), px(b[1]), px(b[2]), px(b[3])], 95.0))
            .collect();
        let img = mailroom_samples::raster::render(&page, DPI).expect("fonts are installed");
        (img, words)
    }

    fn near(b: [u32; 4], mm: [f32; 4]) -> bool {
        let want = mm.map(px);
        b.iter().zip(want).all(|(g, w)| g.abs_diff(w) <= 3)
    }

    #[test]
    fn ticked_and_empty_boxes() {
        let mut items = vec![frame(20.0, 30.0, 3.4), frame(60.0, 30.0, 3.4)];
        items.extend(cross(20.0, 30.0, 3.4));
        items.push(text(25.0, 33.0, 10.0, "Confort"));
        items.push(text(65.0, 33.0, 10.0, "Essentielle"));
        // A bigger box, as a table header prints it.
        items.push(frame(100.0, 30.0, 5.5));
        items.extend(cross(100.0, 30.0, 5.5));
        let (img, words) = render(items);
        let found = find(&img, DPI, &words);
        assert_eq!(found.boxes.len(), 3, "{:?}", found.boxes);
        let at = |x: f32| {
            found
                .boxes
                .iter()
                .find(|b| b.bbox[0].abs_diff(px(x)) <= 3)
                .copied()
                .expect("a box there")
        };
        assert!(
            near(at(20.0).bbox, [20.0, 30.0, 23.4, 33.4]),
            "{:?}",
            at(20.0)
        );
        assert!(at(20.0).ticked() && at(20.0).fill > 0.2, "{:?}", at(20.0));
        assert!(!at(60.0).ticked() && at(60.0).fill < 0.02, "{:?}", at(60.0));
        assert!(at(100.0).ticked(), "{:?}", at(100.0));
        // Neither the cross nor the words are scribbles.
        assert!(found.scribbles.is_empty(), "{:?}", found.scribbles);
    }

    #[test]
    fn a_typed_x_in_a_box_ticks_it_and_letters_are_not_boxes() {
        // `[X]` filled on screen then printed: a box holding the letter X.
        let mut items = vec![frame(20.0, 30.0, 4.0), text(20.9, 33.3, 10.0, "X")];
        // Letters that are roughly square and as big as a box, alone: not boxes.
        items.push(text(60.0, 34.0, 14.0, "X O D 0 H"));
        items.push(text(60.0, 50.0, 14.0, "□"));
        let (img, words) = render(items);
        let found = find(&img, DPI, &words);
        let boxes: Vec<&FoundBox> = found
            .boxes
            .iter()
            .filter(|b| b.bbox[1] < px(40.0))
            .collect();
        assert_eq!(boxes.len(), 1, "{:?}", found.boxes);
        assert!(
            near(boxes[0].bbox, [20.0, 30.0, 24.0, 34.0]),
            "{:?}",
            boxes[0]
        );
        assert!(boxes[0].ticked(), "{:?}", boxes[0]);
    }

    #[test]
    fn a_signature_is_a_scribble_and_its_frame_and_rules_are_not() {
        let sig = Item::Stroke {
            points: vec![
                (125.0, 250.0),
                (128.0, 242.0),
                (131.0, 251.0),
                (134.0, 243.0),
                (138.0, 250.0),
                (142.0, 244.0),
                (147.0, 249.0),
                (152.0, 245.0),
            ],
            width: 0.45,
            gray: 30,
        };
        let items = vec![
            // The signature box and its caption.
            Item::Rect {
                x: 118.0,
                y: 230.0,
                w: 77.0,
                h: 26.0,
                stroke: Some((0.3, 0)),
                fill: None,
            },
            text(119.5, 233.3, 7.5, "Signature de l'adhérent"),
            sig,
            // Rules: a long one, a dotted-line field's underline, a short dash, a table grid.
            Item::Line {
                x0: 15.0,
                y0: 280.0,
                x1: 195.0,
                y1: 280.0,
                width: 0.2,
                gray: 0,
            },
            Item::Line {
                x0: 40.0,
                y0: 240.0,
                x1: 100.0,
                y1: 240.0,
                width: 0.3,
                gray: 0,
            },
            Item::Rect {
                x: 15.0,
                y: 100.0,
                w: 180.0,
                h: 60.0,
                stroke: Some((0.35, 0)),
                fill: None,
            },
            Item::Line {
                x0: 80.0,
                y0: 100.0,
                x1: 80.0,
                y1: 160.0,
                width: 0.2,
                gray: 0,
            },
            Item::Line {
                x0: 15.0,
                y0: 120.0,
                x1: 195.0,
                y1: 120.0,
                width: 0.2,
                gray: 0,
            },
            text(20.0, 110.0, 10.0, "Hospitalisation"),
        ];
        let (img, words) = render(items);
        let found = find(&img, DPI, &words);
        assert_eq!(found.scribbles.len(), 1, "{:?}", found.scribbles);
        let s = found.scribbles[0];
        assert!(near(s, [124.8, 241.8, 152.2, 251.2]), "{s:?}");
        assert!(found.boxes.is_empty(), "{:?}", found.boxes);
    }

    #[test]
    fn words_cover_their_ink_unless_unsure() {
        // Handwritten-looking text read as words: covered. The same ink with no word: a
        // scribble; read with a low confidence: still a scribble.
        let items = vec![text(20.0, 50.0, 16.0, "Valence")];
        let (img, words) = render(items);
        assert!(find(&img, DPI, &words).scribbles.is_empty());
        assert_eq!(find(&img, DPI, &[]).scribbles.len(), 1);
        let unsure: Vec<([u32; 4], f32)> = words.iter().map(|(b, _)| (*b, 20.0)).collect();
        assert_eq!(find(&img, DPI, &unsure).scribbles.len(), 1);
        // Inside the text's box.
        let b = text_box(20.0, 50.0, Font::Sans, 16.0, "Valence").map(px);
        let s = find(&img, DPI, &[]).scribbles[0];
        assert!(s[0] + 2 >= b[0] && s[1] + 2 >= b[1] && s[2] <= b[2] + 2 && s[3] <= b[3] + 2);
    }

    #[test]
    fn a_blank_page_costs_little_and_holds_nothing() {
        let img = GrayImage::from_pixel(1654, 2339, image::Luma([255]));
        let t = std::time::Instant::now();
        let found = find(&img, DPI, &[]);
        assert_eq!(found, Found::default());
        assert!(t.elapsed().as_millis() < 50, "{:?}", t.elapsed());
    }
}

#[cfg(test)]
mod debug {
    /// `MARKS_DEBUG_IMG=page.png MARKS_DEBUG_DPI=300 cargo test --release -p mailroom-ocr
    /// marks::debug -- --ignored --nocapture`: what a page holds, and the time it takes.
    #[test]
    #[ignore]
    fn on_a_file() {
        let Ok(path) = std::env::var("MARKS_DEBUG_IMG") else {
            return;
        };
        let dpi: u32 = std::env::var("MARKS_DEBUG_DPI")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200);
        let img = image::open(path).expect("an image").to_luma8();
        let mut best = f64::MAX;
        let mut found = super::Found::default();
        for _ in 0..10 {
            let t = std::time::Instant::now();
            found = super::find(&img, dpi, &[]);
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        }
        eprintln!("{:?} {best:.1} ms at best of 10", img.dimensions());
        let mut best = f64::MAX;
        for _ in 0..10 {
            let t = std::time::Instant::now();
            let runs = super::ink_runs(&img);
            let rows = super::rows(&runs);
            let _ = super::line_runs(&runs, &rows, 30, 10);
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        }
        eprintln!("runs + lines {best:.1} ms at best of 10");
        let t = std::time::Instant::now();
        let runs = super::ink_runs(&img);
        let t1 = t.elapsed().as_secs_f64() * 1000.0;
        let (regions, _) = super::regions(&runs);
        eprintln!(
            "runs {} ({t1:.1} ms), regions {} ({:.1} ms)",
            runs.len(),
            regions.len(),
            t.elapsed().as_secs_f64() * 1000.0
        );
        for b in &found.boxes {
            eprintln!("box {:?} fill {:.3}", b.bbox, b.fill);
        }
        for s in &found.scribbles {
            eprintln!("scribble {s:?}");
        }
    }
}
