//! Fields that only ink shows: the plan of a membership form chosen by a ticked box, and
//! whether the form is signed. The OCR stage reports check boxes (ticked or not) and ink no
//! word covers ("scribbles"); this ties them to the words around them.
//!
//! - **plan**: the boxes of the list of plans are those that follow a plan caption
//!   (`Formule`, `Garantie souhaitée`, `Niveau de couverture`…) on its line or just under it,
//!   and those aligned with them in a row or a column. Each box's label is the text just right
//!   of it on its line, up to dot leaders, a price or the next box; or, for a box standing
//!   over a table column, the words centred under it. One ticked box: its label is the plan.
//!   None ticked: no plan at all (no guess from the printed list). The printed-text path
//!   remains for forms that print the plan as text (a recap of an online application).
//! - **signed**: a scribble in the area under and right of a `Signature` caption.

use std::sync::LazyLock;

use mailroom_domain::normalize::{self, fold_text};
use regex::Regex;
use serde_json::Value;

use super::engine::{Cand, Doc, TokRef, union};
use crate::layout::{CheckBox, PageLayout, Placed};

/// What the boxes of a form say about its plan.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanRead {
    /// The page shows no list of plans with boxes (or was read before boxes were looked for).
    NoList,
    /// A list of plans, none ticked.
    NoneTicked,
    /// The label of the ticked box, with its words and how clear the choice is (0–1).
    Chosen {
        label: String,
        toks: Vec<TokRef>,
        pi: usize,
        bbox: [u32; 4],
        clarity: f64,
    },
}

/// Captions of a list of plans.
static PLAN_CAPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(formules?|garanties?|niveau de (couverture|garanties?)|niveaux de garanties|offre|couverture choisie|option choisie)\b",
    )
    .expect("a valid pattern")
});

/// A box and its label.
struct Labelled {
    pi: usize,
    b: CheckBox,
    label: String,
    toks: Vec<TokRef>,
}

fn dotted(t: &str) -> bool {
    let n = t.chars().count();
    n >= 2
        && t.chars()
            .filter(|c| matches!(c, '.' | '…' | '_' | '-'))
            .count()
            * 2
            >= n
}

fn price_like(f: &str) -> bool {
    f.contains('€')
        || f.starts_with("eur")
        || (f.chars().any(|c| c.is_ascii_digit())
            && (f.contains(',') || f.contains('.'))
            && f.chars().filter(|c| c.is_ascii_digit()).count() >= 2)
        || f == "/"
        || f == "mois"
}

/// The words of `p` forming the label of box `b`: right of it on its line, or centred under
/// it.
fn label_of(
    p: &PageLayout,
    pi: usize,
    b: &Placed,
    boxes: &[CheckBox],
) -> Option<(String, Vec<TokRef>)> {
    let lh = p.line_h;
    let mut best: Option<(f32, usize, usize)> = None;
    for (li, l) in p.lines.iter().enumerate() {
        for (ti, t) in l.toks.iter().enumerate() {
            let xc = (t.x0 + t.x1) / 2.0;
            if (t.yc() - b.yc()).abs() > (0.6 * b.h()).max(0.5 * t.h())
                || xc < b.x1 + 0.1 * b.w()
                || t.x0 > b.x1 + 2.5 * b.w().max(lh)
                || !t.text.chars().any(char::is_alphanumeric)
                // A speck or the box's own edge read as a letter or two.
                || (t.conf < 0.5 && t.text.chars().filter(|c| c.is_alphanumeric()).count() < 3)
            {
                continue;
            }
            if best.is_none_or(|(x, _, _)| t.x0 < x) {
                best = Some((t.x0, li, ti));
            }
        }
    }
    if let Some((_, li, ti)) = best {
        let l = &p.lines[li];
        let mut toks = Vec::new();
        let mut words = Vec::new();
        let mut prev_x1 = b.x1;
        for (k, t) in l.toks.iter().enumerate().skip(ti) {
            let f = fold_text(&t.text);
            let between = boxes.iter().any(|o| {
                o.at.x0 >= prev_x1 - 1.0
                    && o.at.x1 <= t.x0 + 1.0
                    && (o.at.yc() - b.yc()).abs() < b.h()
            });
            if (k > ti && t.x0 - prev_x1 > 1.2 * lh)
                || between
                || dotted(&t.text)
                || price_like(&f)
                || f.starts_with(':')
                || words.len() >= 4
            {
                break;
            }
            let w = t.text.trim_end_matches(['.', '…', ':', '_']);
            words.push(w.to_string());
            toks.push((pi, li, k));
            prev_x1 = t.x1;
            if t.text.ends_with(':') || t.text.ends_with("..") {
                break;
            }
        }
        let s = words.join(" ");
        let s = s.trim_matches(|c: char| !c.is_alphanumeric());
        if let Some(t) = normalize::text(s)
            && t.chars().any(char::is_alphabetic)
        {
            return Some((t, toks));
        }
    }
    // Under the box, centred: a column header of a table of plans. The first words under
    // it (a header's line may also hold taller cells, so words are looked at, not lines).
    let mut below: Option<(f32, usize, usize)> = None;
    for (li, l) in p.lines.iter().enumerate() {
        for (ti, t) in l.toks.iter().enumerate() {
            if t.y0 < b.y1 - 0.3 * b.h()
                || t.y0 > b.y1 + 3.0 * b.h().max(lh)
                || t.x1 < b.xc() - b.w()
                || t.x0 > b.xc() + b.w()
            {
                continue;
            }
            if below.is_none_or(|(y, _, _)| t.y0 < y) {
                below = Some((t.y0, li, ti));
            }
        }
    }
    let (_, li, centre) = below?;
    let l = &p.lines[li];
    // The words around it, while the gaps are those between words.
    let (mut a, mut z) = (centre, centre);
    while a > 0 && l.toks[a].x0 - l.toks[a - 1].x1 < 1.0 * lh {
        a -= 1;
    }
    while z + 1 < l.toks.len() && l.toks[z + 1].x0 - l.toks[z].x1 < 1.0 * lh {
        z += 1;
    }
    let (x0, x1) = (l.toks[a].x0, l.toks[z].x1);
    // Centred under the box (within a quarter of its width).
    if ((x0 + x1) / 2.0 - b.xc()).abs() > (x1 - x0) / 4.0 + b.w() || z - a >= 4 {
        return None;
    }
    let words: Vec<&str> = l.toks[a..=z].iter().map(|t| t.text.as_str()).collect();
    let s = words.join(" ");
    let t = normalize::text(s.trim_matches(|c: char| !c.is_alphanumeric()))?;
    t.chars()
        .any(char::is_alphabetic)
        .then(|| (t, (a..=z).map(|k| (pi, li, k)).collect()))
}

/// A plan's name: words, not a cell of figures (`100 % BR`) nor a price.
fn plausible_label(label: &str) -> bool {
    let f = fold_text(label);
    !f.contains('%')
        && !price_like(&f)
        && f.split_whitespace()
            .any(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 3)
}

/// Reads the plan from the boxes of a document's pages.
pub fn plan(doc: &Doc<'_>) -> PlanRead {
    for (pi, p) in doc.pages.iter().enumerate() {
        if p.marks.is_empty() {
            continue;
        }
        let lh = p.line_h;
        let labelled: Vec<Labelled> = p
            .marks
            .iter()
            .filter_map(|b| {
                label_of(p, pi, &b.at, &p.marks)
                    .filter(|(label, _)| plausible_label(label))
                    .map(|(label, toks)| Labelled {
                        pi,
                        b: *b,
                        label,
                        toks,
                    })
            })
            .collect();
        // Captions, not inside a box's label.
        let captions: Vec<(f32, f32, f32, f32)> = p
            .lines
            .iter()
            .enumerate()
            .flat_map(|(li, l)| {
                PLAN_CAPTION
                    .find_iter(&l.fold)
                    .map(move |m| (li, l.toks_in(m.start(), m.end())))
            })
            .filter(|(li, r)| {
                !labelled
                    .iter()
                    .any(|x| r.clone().any(|ti| x.toks.contains(&(pi, *li, ti))))
            })
            .filter_map(|(li, r)| {
                let l = &p.lines[li];
                let t = l.toks.get(r.start)?;
                Some((t.x0, l.y0, l.toks[r.end - 1].x1, l.y1))
            })
            .collect();
        // Boxes a caption introduces: on its line, right of it, or just under it.
        let mut group: Vec<usize> = (0..labelled.len())
            .filter(|&i| {
                let b = &labelled[i].b.at;
                captions.iter().any(|&(cx0, cy0, cx1, cy1)| {
                    let same_line =
                        b.yc() > cy0 - 0.3 * lh && b.yc() < cy1 + 0.3 * lh && b.x0 > cx1;
                    let under = b.y0 >= cy1 - 0.3 * lh
                        && b.y0 - cy1 < 4.0 * lh.max(b.h())
                        && b.x1 > cx0 - 10.0 * lh;
                    same_line || under
                })
            })
            .collect();
        if group.is_empty() {
            continue;
        }
        // And the boxes aligned with those: the rest of a row or a column of plans.
        loop {
            let add: Vec<usize> = (0..labelled.len())
                .filter(|i| !group.contains(i))
                .filter(|&i| {
                    let b = &labelled[i].b.at;
                    group.iter().any(|&g| {
                        let o = &labelled[g].b.at;
                        // In a row, one box follows the other's label closely.
                        let follows = |a: &Labelled, z: &Placed| {
                            let end = a
                                .toks
                                .last()
                                .map_or(a.b.at.x1, |r| doc.line(r.0, r.1).toks[r.2].x1);
                            z.x0 > a.b.at.x0 && z.x0 - end < 4.0 * lh
                        };
                        let row = (b.yc() - o.yc()).abs() < 0.5 * o.h()
                            && (follows(&labelled[g], b) || follows(&labelled[i], o));
                        let column = (b.x0 - o.x0).abs() < 0.6 * o.w()
                            && (b.y0.max(o.y0) - b.y1.min(o.y1)) < 2.5 * o.h().max(lh);
                        row || column
                    })
                })
                .collect();
            if add.is_empty() {
                break;
            }
            group.extend(add);
        }
        let mut ticked: Vec<&Labelled> = group
            .iter()
            .map(|&i| &labelled[i])
            .filter(|x| x.b.ticked)
            .collect();
        ticked.sort_by(|a, b| b.b.fill.total_cmp(&a.b.fill));
        let untouched = group
            .iter()
            .filter(|&&i| !labelled[i].b.ticked)
            .all(|&i| labelled[i].b.fill < 0.03);
        return match ticked.as_slice() {
            [] => PlanRead::NoneTicked,
            [one] => PlanRead::Chosen {
                label: one.label.clone(),
                toks: one.toks.clone(),
                pi: one.pi,
                bbox: union([one.b.at.bbox].into_iter()),
                clarity: if untouched { 1.0 } else { 0.8 },
            },
            // Two ticked: the fuller, when clearly so, as a doubtful reading.
            [a, b, ..] if a.b.fill > 2.0 * b.b.fill => PlanRead::Chosen {
                label: a.label.clone(),
                toks: a.toks.clone(),
                pi: a.pi,
                bbox: a.b.at.bbox,
                clarity: 0.5,
            },
            _ => PlanRead::NoneTicked,
        };
    }
    PlanRead::NoList
}

/// The plan candidate of a ticked box.
pub fn plan_cand(doc: &Doc<'_>, read: &PlanRead) -> Option<Cand> {
    let PlanRead::Chosen {
        label,
        toks,
        pi,
        bbox,
        clarity,
    } = read
    else {
        return None;
    };
    let confs: Vec<f64> = toks
        .iter()
        .map(|r| f64::from(doc.line(r.0, r.1).toks[r.2].conf))
        .collect();
    let ocr = confs.iter().sum::<f64>() / confs.len().max(1) as f64;
    let words = union(
        toks.iter()
            .map(|r| doc.line(r.0, r.1).toks[r.2].bbox)
            .chain([*bbox]),
    );
    Some(Cand {
        key: "plan",
        value: Value::String(label.clone()),
        score: 1.2 * clarity,
        ocr,
        valid: true,
        repaired: false,
        pi: *pi,
        bbox: words,
        toks: toks.clone(),
        checked: false,
        doubt: *clarity < 0.6,
        shared: false,
    })
}

/// Whether the pages of a document were read with boxes and scribbles looked for.
pub fn ink_read(doc: &Doc<'_>) -> bool {
    doc.pages.iter().any(|p| p.ink_read)
}

/// The scribbles in the area a `Signature` caption heads: under and right of it, over about
/// half the page's width and ten lines down. `None` when the page was read before scribbles
/// were looked for.
pub fn signature_ink(doc: &Doc<'_>, pi: usize, li: usize, ti: usize) -> Option<Vec<Placed>> {
    let p = doc.pages[pi];
    if !p.ink_read {
        return None;
    }
    let l = &p.lines[li];
    let t = &l.toks[ti];
    let lh = p.line_h;
    let (x0, x1) = (t.x0 - 2.0 * lh, (t.x0 + 0.48 * p.width).min(p.width));
    let (y0, y1) = (l.y0 - 0.5 * lh, l.y1 + 12.0 * lh);
    let min = 4.0 * lh / 2.5;
    Some(
        p.scribbles
            .iter()
            .filter(|s| {
                s.xc() > x0 && s.xc() < x1 && s.yc() > y0 && s.yc() < y1 && s.w().max(s.h()) >= min
            })
            .copied()
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Context, extract};
    use crate::layout::PageLayout;
    use crate::layout::testkit::page;
    use crate::model::Model;
    use crate::page::{ReadMark, ReadPage};
    use mailroom_domain::{Class, FieldResult};
    use serde_json::json;
    use std::collections::BTreeMap;

    fn run(pages: &[ReadPage]) -> BTreeMap<String, FieldResult> {
        let model = Model::embedded().expect("model");
        let layouts: Vec<PageLayout> = pages.iter().map(PageLayout::new).collect();
        let refs: Vec<&PageLayout> = layouts.iter().collect();
        let ctx = Context {
            received: None,
            model: &model,
        };
        extract(Class::MembershipForm, &refs, &ctx)
    }

    /// A 40 px box with its top left at (x, y).
    fn mark(x: u32, y: u32, ticked: bool) -> ReadMark {
        ReadMark {
            bbox: [x, y, x + 40, y + 40],
            ticked,
            fill: if ticked { 0.3 } else { 0.0 },
        }
    }

    fn with_ink(mut p: ReadPage, marks: Vec<ReadMark>, scribbles: Vec<[u32; 4]>) -> ReadPage {
        p.marks = marks;
        p.scribbles = scribbles;
        p.ink_read = true;
        p
    }

    fn plan(got: &BTreeMap<String, FieldResult>) -> Option<serde_json::Value> {
        got.get("plan").map(|f| f.value.clone())
    }

    #[test]
    fn plan_of_the_ticked_box_of_a_row() {
        let lines = [
            (100, 300, "Nom : DURAND"),
            (100, 1000, "Formule (une seule case) :"),
            (700, 1000, "Essentielle"),
            (1050, 1000, "Confort"),
            (1350, 1000, "Confort Plus"),
            (1700, 1000, "Sérénité"),
        ];
        let boxes = |t: usize| {
            [640, 990, 1290, 1640]
                .iter()
                .enumerate()
                .map(|(i, &x)| mark(x, 1000, i == t))
                .collect()
        };
        let got = run(&[with_ink(page(1, &lines), boxes(2), vec![])]);
        assert_eq!(plan(&got), Some(json!("Confort Plus")));
        assert!(got["plan"].confidence > 0.8, "{:?}", got["plan"]);
        let got = run(&[with_ink(page(1, &lines), boxes(0), vec![])]);
        assert_eq!(plan(&got), Some(json!("Essentielle")));
        // None ticked: no plan, not a guess from the printed list.
        let got = run(&[with_ink(page(1, &lines), boxes(9), vec![])]);
        assert_eq!(plan(&got), None);
    }

    #[test]
    fn plan_of_a_column_with_prices_and_of_a_table_header() {
        let lines = [
            (1300, 900, "Formule choisie :"),
            (1360, 960, "Niveau 1 ........ 25,62 € / mois"),
            (1360, 1030, "Niveau 2 ........ 38,10 € / mois"),
            (1360, 1100, "Niveau 3 ........ 51,00 € / mois"),
            (100, 960, "Civilité :"),
            (400, 960, "Madame"),
            (650, 960, "Monsieur"),
        ];
        let marks = vec![
            mark(1300, 960, false),
            mark(1300, 1030, true),
            mark(1300, 1100, false),
            // Civility: ticked, but not a plan.
            mark(340, 960, true),
            mark(590, 960, false),
        ];
        let got = run(&[with_ink(page(1, &lines), marks, vec![])]);
        assert_eq!(plan(&got), Some(json!("Niveau 2")));

        // Boxes over the columns of a table of guarantees, names centred under them.
        let lines = [
            (100, 800, "VOTRE NIVEAU DE COUVERTURE (une seule case)"),
            (100, 940, "Garanties"),
            (790, 940, "Essentielle"),
            (1230, 940, "Confort"),
            (1580, 940, "Confort Plus"),
            (100, 1000, "Hospitalisation 100 % BR 150 % BR 200 % BR"),
        ];
        let marks = vec![
            mark(880, 870, false),
            mark(1280, 870, true),
            mark(1680, 870, false),
        ];
        let got = run(&[with_ink(page(1, &lines), marks, vec![])]);
        assert_eq!(plan(&got), Some(json!("Confort")));
    }

    #[test]
    fn boxes_outside_a_list_of_plans_leave_the_printed_plan() {
        // A recap prints the plan; its only boxes are the civility's.
        let lines = [
            (100, 500, "Civilité :"),
            (400, 500, "Madame"),
            (650, 500, "Monsieur"),
            (100, 1200, "Formule : Confort"),
        ];
        let marks = vec![mark(340, 500, true), mark(590, 500, false)];
        let got = run(&[with_ink(page(1, &lines), marks, vec![])]);
        assert_eq!(plan(&got), Some(json!("Confort")));
    }

    #[test]
    fn signed_when_a_scribble_stands_under_the_caption() {
        let lines = [
            (100, 2000, "Fait à Valence le 11/07/2025"),
            (1500, 2000, "Signature de l'adhérent"),
            (
                100,
                2400,
                "Droit de renonciation : signature du présent bulletin sous 14 jours",
            ),
            (
                100,
                2460,
                "Lettre recommandée avec avis de réception adressée",
            ),
        ];
        let sig = [1600, 2090, 2050, 2230];
        let got = run(&[with_ink(page(1, &lines), vec![], vec![sig])]);
        assert_eq!(got["signed"].value, json!(true));
        assert!(got["signed"].confidence > 0.85, "{:?}", got["signed"]);
        assert_eq!(got["signed"].bbox, sig);
        // No ink under the caption: not signed, whatever text follows lower down.
        let got = run(&[with_ink(page(1, &lines), vec![], vec![])]);
        assert_eq!(got["signed"].value, json!(false));
        // Ink elsewhere (a handwritten place) is not a signature.
        let got = run(&[with_ink(
            page(1, &lines),
            vec![],
            vec![[300, 1990, 600, 2040]],
        )]);
        assert_eq!(got["signed"].value, json!(false));
    }
}
