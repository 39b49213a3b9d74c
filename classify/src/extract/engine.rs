//! Finding labels on a document and reading the value beside or under each.
//!
//! A field is found the way a clerk finds it: look for its label (any of the wordings the
//! insurers and providers use), then read the value to the right of it on the same line, or
//! under it for forms whose labels sit above their boxes. Every place a label matches gives
//! a candidate with a score (how specific the label is, where the value stands, whether it
//! passed its check); candidates of all fields are then taken best first, and a word already
//! taken by one field is not given to another.

use std::collections::{BTreeMap, HashSet};

use regex::Regex;
use serde_json::Value;

use super::values::{self, Parsed, V, VK};
use crate::layout::{Line, PageLayout};

/// A word of the document: (page index in the document, line, word).
pub type TokRef = (usize, usize, usize);

/// One possible value of a field.
#[derive(Debug, Clone)]
pub struct Cand {
    pub key: &'static str,
    pub value: Value,
    pub score: f64,
    /// Mean OCR confidence of the words read.
    pub ocr: f64,
    pub valid: bool,
    pub repaired: bool,
    /// Index of the page in the document.
    pub pi: usize,
    pub bbox: [u32; 4],
    pub toks: Vec<TokRef>,
    /// Confirmed by a rule beyond its own form (amounts that add up).
    pub checked: bool,
    /// Another reading of the field is nearly as likely.
    pub doubt: bool,
    /// Derived from words that may also be another field's value (a yes/no mention).
    pub shared: bool,
}

/// Words offered to a value parser, each with where it stands.
pub type Words = Vec<(V, TokRef)>;

/// Where a value may stand relative to its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Right,
    Below,
    Both,
}

/// A label of a field: its wording (regex on folded text), how specific it is, and where
/// the value stands.
pub struct Label {
    pub re: Regex,
    pub weight: f64,
    pub dir: Dir,
}

/// A field found by its labels.
pub struct Rule {
    pub key: &'static str,
    pub kind: VK,
    pub labels: Vec<Label>,
    /// How many labels were declared (a pattern that does not compile is dropped; the
    /// tests compare).
    pub declared: usize,
}

/// Builds a rule from `(pattern, weight, dir)` triples; patterns are checked by the tests.
pub fn rule(key: &'static str, kind: VK, labels: &[(&str, f64, Dir)]) -> Rule {
    Rule {
        key,
        kind,
        declared: labels.len(),
        labels: labels
            .iter()
            .filter_map(|(p, w, d)| {
                Regex::new(p).ok().map(|re| Label {
                    re,
                    weight: *w,
                    dir: *d,
                })
            })
            .collect(),
    }
}

/// The pages of one document.
pub struct Doc<'a> {
    pub pages: Vec<&'a PageLayout>,
}

/// A label found: page, line, its words, and the byte where the match ends.
#[derive(Debug, Clone)]
pub struct Hit {
    pub pi: usize,
    pub li: usize,
    pub toks: std::ops::Range<usize>,
    pub end: usize,
}

impl Doc<'_> {
    /// Every place `re` matches a line, or one of its segments (so that `^` also anchors
    /// at the start of a column).
    pub fn hits(&self, re: &Regex) -> Vec<Hit> {
        let mut out: Vec<Hit> = Vec::new();
        for (pi, p) in self.pages.iter().enumerate() {
            for (li, l) in p.lines.iter().enumerate() {
                let mut push = |toks: std::ops::Range<usize>, end: usize| {
                    if !toks.is_empty()
                        && !out
                            .iter()
                            .any(|h| h.pi == pi && h.li == li && h.toks == toks)
                    {
                        out.push(Hit { pi, li, toks, end });
                    }
                };
                for m in re.find_iter(&l.fold) {
                    push(l.toks_in(m.start(), m.end()), m.end());
                }
                // Segments after the first, on their own.
                let mut ti = 0;
                while ti < l.toks.len() {
                    let seg = l.toks[ti].seg;
                    let end = l.toks[ti..]
                        .iter()
                        .position(|t| t.seg != seg)
                        .map_or(l.toks.len(), |n| ti + n);
                    if ti > 0 {
                        let a = l.starts[ti];
                        let b = l.starts[end - 1] + l.toks[end - 1].fold.len();
                        for m in re.find_iter(&l.fold[a..b]) {
                            push(l.toks_in(a + m.start(), a + m.end()), a + m.end());
                        }
                    }
                    ti = end;
                }
            }
        }
        out
    }

    pub fn line(&self, pi: usize, li: usize) -> &Line {
        &self.pages[pi].lines[li]
    }

    /// The words right of a label on its line: the rest of its segment (with a value glued
    /// to the label's last word first, `Date:12/03`), and the next segment when it stands
    /// within half a page.
    pub fn right_parts(&self, h: &Hit) -> (Words, Words) {
        let l = self.line(h.pi, h.li);
        let mut rest = Vec::new();
        let mut next = Vec::new();
        let last = h.toks.end - 1;
        let lt = &l.toks[last];
        let tok_end = l.starts[last] + lt.fold.len();
        if h.end < tok_end {
            let off = h.end - l.starts[last];
            if lt.fold.len() == lt.text.len() && lt.text.is_char_boundary(off) {
                let r = &lt.text[off..];
                if r.chars().any(char::is_alphanumeric) {
                    rest.push((
                        V {
                            text: r.to_string(),
                            bbox: lt.bbox,
                            conf: lt.conf,
                        },
                        (h.pi, h.li, last),
                    ));
                }
            }
        }
        let seg = lt.seg;
        let mut end_x = lt.x1;
        for (ti, t) in l.toks.iter().enumerate().skip(h.toks.end) {
            let w = (
                V {
                    text: t.text.clone(),
                    bbox: t.bbox,
                    conf: t.conf,
                },
                (h.pi, h.li, ti),
            );
            if t.seg == seg {
                end_x = t.x1;
                rest.push(w);
            } else if t.seg == seg + 1 {
                if t.x0 - end_x > 0.55 * self.pages[h.pi].width {
                    break;
                }
                next.push(w);
            } else {
                break;
            }
        }
        (rest, next)
    }

    /// All the words right of a label on its line, whatever the gaps.
    pub fn line_after(&self, h: &Hit) -> Vec<(V, TokRef)> {
        let l = self.line(h.pi, h.li);
        l.toks
            .iter()
            .enumerate()
            .skip(h.toks.end)
            .map(|(ti, t)| {
                (
                    V {
                        text: t.text.clone(),
                        bbox: t.bbox,
                        conf: t.conf,
                    },
                    (h.pi, h.li, ti),
                )
            })
            .collect()
    }

    /// The words right of a label: the rest of its segment, or the next segment when the
    /// rest holds no value word.
    pub fn right_of(&self, h: &Hit) -> Vec<(V, TokRef)> {
        let (rest, next) = self.right_parts(h);
        if rest.iter().all(|(v, _)| values::is_filler(&v.text)) {
            next
        } else {
            rest
        }
    }

    /// The words under a label: on the next line (within two line heights), the segment
    /// that starts under the label, from its first word that overlaps the label's span.
    pub fn below(&self, h: &Hit) -> Vec<(V, TokRef)> {
        let p = self.pages[h.pi];
        let l = &p.lines[h.li];
        let lab = &l.toks[h.toks.clone()];
        // The label's column starts where its segment does (`N° de sécurité sociale`).
        let seg = lab[0].seg;
        let seg_x0 = l
            .toks
            .iter()
            .find(|t| t.seg == seg)
            .map_or(lab[0].x0, |t| t.x0);
        let (x0, x1) = (
            lab.iter().map(|t| t.x0).fold(seg_x0, f32::min),
            lab.iter().map(|t| t.x1).fold(f32::MIN, f32::max),
        );
        let y1 = lab.iter().map(|t| t.y1).fold(f32::MIN, f32::max);
        let lh = l.h();
        for (li, nl) in p.lines.iter().enumerate().skip(h.li + 1) {
            if nl.y0 > y1 + 2.6 * lh {
                break;
            }
            if nl.y0 < y1 - 0.3 * lh {
                continue;
            }
            let slack = 1.5 * lh;
            let (wx0, wx1) = (x0 - slack, x1.max(x0 + 6.0 * lh) + slack);
            // The words under the label, and the rest of the last one's segment (a long
            // value runs on to the right).
            let mut last_seg = None;
            let ws: Vec<(V, TokRef)> = nl
                .toks
                .iter()
                .enumerate()
                .filter(|(_, t)| {
                    let under = t.x1 > wx0 && t.x0 < wx1;
                    if under {
                        last_seg = Some(t.seg);
                    }
                    good_word(t) && (under || (t.x0 >= wx1 && Some(t.seg) == last_seg))
                })
                .map(|(ti, t)| {
                    (
                        V {
                            text: t.text.clone(),
                            bbox: t.bbox,
                            conf: t.conf,
                        },
                        (h.pi, li, ti),
                    )
                })
                .collect();
            if !ws.is_empty() {
                return ws;
            }
        }
        Vec::new()
    }
}

/// A word that is text, not the dots of a line to fill in or a box read as letters.
pub fn good_word(t: &crate::layout::Tok) -> bool {
    let n = t.text.chars().count();
    let alnum = t.text.chars().filter(|c| c.is_alphanumeric()).count();
    t.conf >= 0.3 && alnum * 2 >= n && !(n >= 12 && t.conf < 0.5)
}

/// The union of boxes.
pub fn union(boxes: impl Iterator<Item = [u32; 4]>) -> [u32; 4] {
    let mut b = [u32::MAX, u32::MAX, 0, 0];
    for x in boxes {
        b[0] = b[0].min(x[0]);
        b[1] = b[1].min(x[1]);
        b[2] = b[2].max(x[2]);
        b[3] = b[3].max(x[3]);
    }
    if b[0] == u32::MAX { [0, 0, 0, 0] } else { b }
}

/// A candidate from words `ws` read as `p`.
pub fn cand_from(key: &'static str, p: Parsed, ws: &[(V, TokRef)], score: f64) -> Cand {
    let used = &ws[p.range.clone()];
    let ocr = used.iter().map(|(v, _)| f64::from(v.conf)).sum::<f64>() / used.len().max(1) as f64;
    let skipped = p.range.start as f64;
    let mut s = score - 0.05 * skipped;
    if !p.valid {
        s *= 0.6;
    }
    if p.repaired {
        s *= 0.95;
    }
    Cand {
        key,
        value: p.value,
        score: s,
        ocr,
        valid: p.valid,
        repaired: p.repaired,
        pi: used.first().map_or(0, |(_, r)| r.0),
        bbox: union(used.iter().map(|(v, _)| v.bbox)),
        toks: used.iter().map(|(_, r)| *r).collect(),
        checked: false,
        doubt: false,
        shared: false,
    }
}

/// Every candidate of a rule on a document.
pub fn candidates(doc: &Doc<'_>, r: &Rule) -> Vec<Cand> {
    let mut out = Vec::new();
    for lab in &r.labels {
        for h in doc.hits(&lab.re) {
            if matches!(lab.dir, Dir::Right | Dir::Both) {
                let (rest, next) = doc.right_parts(&h);
                let vs: Vec<V> = rest.iter().map(|w| w.0.clone()).collect();
                // An identifier written in a comb of boxes: the gaps between groups of cells
                // can split it into segments. The rest of the line, when its check holds.
                if matches!(r.kind, VK::Iban | VK::Nir)
                    && values::parse(r.kind, &vs).is_none_or(|p| !p.valid)
                {
                    let all = doc.line_after(&h);
                    let va: Vec<V> = all.iter().map(|w| w.0.clone()).collect();
                    if all.len() > rest.len()
                        && let Some(p) = values::parse(r.kind, &va)
                        && p.valid
                    {
                        out.push(cand_from(r.key, p, &all, lab.weight));
                    }
                }
                match values::parse(r.kind, &vs) {
                    Some(p) => {
                        if r.kind == VK::Amount
                            && let Some(alt) = values::amount_without_comma(&p, &vs)
                        {
                            out.push(cand_from(r.key, alt, &rest, lab.weight * 0.5));
                        }
                        out.push(cand_from(r.key, p, &rest, lab.weight));
                    }
                    None => {
                        // A sign left at the end of the label's column belongs to the value
                        // in the next one (`Invoice No : #` `BLR_…`).
                        let next: Words = match rest.last() {
                            Some(w) if w.0.text == "#" => {
                                std::iter::once(w.clone()).chain(next.clone()).collect()
                            }
                            _ => next.clone(),
                        };
                        let vs: Vec<V> = next.iter().map(|w| w.0.clone()).collect();
                        if let Some(p) = values::parse(r.kind, &vs) {
                            if r.kind == VK::Amount
                                && let Some(alt) = values::amount_without_comma(&p, &vs)
                            {
                                out.push(cand_from(r.key, alt, &next, lab.weight * 0.45));
                            }
                            out.push(cand_from(r.key, p, &next, lab.weight * 0.95));
                        }
                    }
                }
            }
            if matches!(lab.dir, Dir::Below | Dir::Both) {
                let ws = doc.below(&h);
                let vs: Vec<V> = ws.iter().map(|w| w.0.clone()).collect();
                if let Some(p) = values::parse(r.kind, &vs) {
                    let w = if lab.dir == Dir::Both {
                        lab.weight * 0.85
                    } else {
                        lab.weight
                    };
                    if r.kind == VK::Amount
                        && let Some(alt) = values::amount_without_comma(&p, &vs)
                    {
                        out.push(cand_from(r.key, alt, &ws, w * 0.5));
                    }
                    out.push(cand_from(r.key, p, &ws, w));
                }
            }
        }
    }
    out
}

/// Takes candidates best first: one per field, no word given to two fields. A field whose
/// runner-up reads differently with nearly the same score is marked in doubt.
pub fn assign(mut cands: Vec<Cand>) -> BTreeMap<&'static str, Cand> {
    cands.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut used: HashSet<TokRef> = HashSet::new();
    let mut out: BTreeMap<&'static str, Cand> = BTreeMap::new();
    for c in &cands {
        if out.contains_key(c.key) || c.score <= 0.0 {
            continue;
        }
        if !c.shared && c.toks.iter().any(|t| used.contains(t)) {
            continue;
        }
        if !c.shared {
            used.extend(c.toks.iter().copied());
        }
        out.insert(c.key, c.clone());
    }
    for c in out.values_mut() {
        let rival = cands.iter().any(|o| {
            o.key == c.key && o.value != c.value && o.score >= 0.85 * c.score && o.score > 0.0
        });
        c.doubt |= rival;
    }
    out
}
