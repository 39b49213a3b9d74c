//! One envelope: its read pages in, its result line out.
//!
//! 1. Blank pages and separator sheets are dropped (the OCR stage's blank flag, pages with
//!    almost no readable word, and the mailroom's separator captions).
//! 2. The remaining pages are split into documents from their content: a page starts a new
//!    document unless it says it continues the previous one (`page 2/2`, `- suite`, a
//!    previous page announcing `suite au verso`), or it is the headless continuation of a
//!    letter.
//! 3. Each document is classified by the learned model; a calibrated probability under the
//!    model's threshold sends it to `other`, for manual qualification.
//! 4. Its fields are extracted and checked.

use std::sync::LazyLock;

use mailroom_domain::{Class, EnvelopeResult, ResultDocument, Status};
use mailroom_ocr::PageText;

use crate::page::ReadPage;
use regex::Regex;
use time::Date;

use crate::extract::{self, Context};
use crate::layout::PageLayout;
use crate::model::{Model, Prediction};

fn re(p: &str) -> Regex {
    Regex::new(p)
        .unwrap_or_else(|_| Regex::new(r"[^\s\S]").expect("a pattern that matches nothing"))
}

/// A separator sheet's caption; upside down, OCR reads `PATCH T … ne pas` as
/// `L HD1Vd … sed an`.
static SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"separation|separateur|intercalaire|patch\s*t\b|ne pas retirer|\bl ?h\w{2,3}d\b.{0,20}\bse[dq]",
    )
});
/// `page 2/3`, `2/2` at the end of a line.
static PAGE_OF: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:page|p\.)\s*(\d)\s*/\s*(\d)\b|(?:^|\s)(\d)\s*/\s*(\d)$"));
static CONTINUES: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"suite au verso|suite (du devis|de la lettre|page suivante)|en page 2|voir verso|t\.?s\.?v\.?p",
    )
});
static CONTINUATION_HEAD: LazyLock<Regex> =
    LazyLock::new(|| re(r"^.{0,60}[-–] (suite|conditions)\b|^suite\b"));
/// What an invoice calls itself at its head, in the languages invoices reach the mailroom in.
static INVOICE_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(invoices?|rechnung|factuur|faktura|fattura|factura)\b|^facture\b|\bfacture n")
});
/// A letter's opening: a continuation page of a letter has none of these.
static LETTER_HEAD: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^objet\b|madame, monsieur|^madame|^monsieur|^messieurs|^bonjour|, le \d|^de\s*:")
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::testkit::page;

    #[test]
    fn separators_are_blank_even_upside_down() {
        let sep = page(
            1,
            &[
                (500, 400, "SÉPARATEUR DE DOCUMENTS"),
                (500, 3000, "Ne pas retirer - PATCH T"),
            ],
        );
        assert!(is_blank(&PageLayout::new(&sep)));
        let upside = page(
            1,
            &[
                (500, 400, "L HD1Vd - Jane. sedan —"),
                (500, 3000, "‘SLNAWNDOG 3a HNILVHVAIS"),
            ],
        );
        assert!(is_separator(&PageLayout::new(&upside)) || is_blank(&PageLayout::new(&upside)));
        let upside = page(
            1,
            &[
                (500, 400, "L H91Vd - 181191 sed an"),
                (500, 3000, "NOILVAHVdIS 34 37111N3+"),
            ],
        );
        assert!(is_separator(&PageLayout::new(&upside)));
        let letter = page(
            1,
            &[
                (100, 100, "Madame, Monsieur,"),
                (100, 200, "je vous écris au sujet de ma facture"),
            ],
        );
        assert!(!is_blank(&PageLayout::new(&letter)));
    }

    #[test]
    fn page_marks_split_and_join() {
        let a = page(
            1,
            &[
                (100, 100, "Devis n° D-1 établi le 12/03/2025"),
                (100, 3300, "Devis D-1 - page 1/2"),
            ],
        );
        let b = page(
            2,
            &[
                (100, 100, "Conditions"),
                (100, 3300, "Devis D-1 - page 2/2"),
            ],
        );
        let c = page(
            3,
            &[
                (100, 100, "FACTURE N° F-2"),
                (100, 1500, "DOLIPRANE 1000MG CPR 8/8"),
            ],
        );
        let layouts: Vec<PageLayout> = [a, b, c].iter().map(PageLayout::new).collect();
        let folds: Vec<String> = layouts.iter().map(PageLayout::fold).collect();
        let model = Model::embedded().expect("model");
        let preds: Vec<Prediction> = folds.iter().map(|f| model.predict(f)).collect();
        let s = split(&layouts, &folds, &preds, &[0, 1, 2]);
        let pages: Vec<Vec<usize>> = s.into_iter().map(|d| d.pages).collect();
        assert_eq!(pages, vec![vec![0, 1], vec![2]]);
    }
}

/// Decides everything about one envelope.
pub struct Qualifier {
    model: Model,
}

/// A document found in the envelope, before extraction.
#[derive(Debug, Clone)]
pub struct Split {
    /// Indices of its pages in the envelope's page list.
    pub pages: Vec<usize>,
}

impl Qualifier {
    /// A qualifier using `model`.
    pub fn new(model: Model) -> Self {
        Qualifier { model }
    }

    /// The model in use.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The result line of an envelope whose pages the OCR stage read. `received` is the
    /// envelope's reception day when known (dates after it are not valid).
    pub fn qualify(
        &self,
        envelope: &str,
        pages: &[PageText],
        received: Option<Date>,
    ) -> EnvelopeResult {
        let pages: Vec<ReadPage> = pages.iter().map(ReadPage::from).collect();
        self.qualify_pages(envelope, &pages, received)
    }

    /// As [`Qualifier::qualify`], from pages in the cache's form.
    pub fn qualify_pages(
        &self,
        envelope: &str,
        pages: &[ReadPage],
        received: Option<Date>,
    ) -> EnvelopeResult {
        let layouts: Vec<PageLayout> = pages.iter().map(PageLayout::new).collect();
        let mut blank_pages = Vec::new();
        let mut content = Vec::new();
        for (i, l) in layouts.iter().enumerate() {
            // A page with ink but no readable word is a blank back when it follows another
            // page; the first page of an envelope is no one's back: a document OCR could not
            // read (a card photocopy), kept for a person to qualify.
            let unreadable_front = i == 0 && !l.blank && !is_separator(l);
            if is_blank(l) && !unreadable_front {
                blank_pages.push(l.page);
            } else {
                content.push(i);
            }
        }
        let folds: Vec<String> = layouts.iter().map(PageLayout::fold).collect();
        let preds: Vec<Prediction> = folds.iter().map(|f| self.model.predict(f)).collect();
        let splits = split(&layouts, &folds, &preds, &content);
        let ctx = Context {
            received,
            model: &self.model,
        };
        let documents = splits
            .iter()
            .map(|s| {
                let text: String = s
                    .pages
                    .iter()
                    .map(|&i| folds[i].as_str())
                    .collect::<Vec<_>>()
                    .join("\n");
                let (class, confidence) = self.classify(&text);
                let doc_pages: Vec<&PageLayout> = s.pages.iter().map(|&i| &layouts[i]).collect();
                let fields = extract::extract(class, &doc_pages, &ctx);
                ResultDocument {
                    class,
                    confidence: (confidence * 1000.0).round() / 1000.0,
                    pages: s.pages.iter().map(|&i| layouts[i].page).collect(),
                    fields,
                }
            })
            .collect();
        EnvelopeResult {
            envelope: envelope.to_string(),
            status: Status::Processed,
            error: None,
            pages: pages.len() as u32,
            blank_pages,
            documents,
        }
    }

    /// The class of a document's folded text and its calibrated confidence; uncertain
    /// documents go to `other`.
    pub fn classify(&self, fold: &str) -> (Class, f64) {
        let p = self.model.predict(fold);
        let (c, conf) = p.best();
        // A hand rule beside the model, which learned French care invoices only: a document
        // whose head calls itself an invoice in another language (or `Facture n°`) and that
        // the model sees as no other service's is an invoice.
        let head: String = fold.lines().take(20).collect::<Vec<_>>().join("\n");
        let services = [Class::MembershipForm, Class::Quote, Class::Complaint];
        if (c == Class::Other || conf < self.model.min_confidence)
            && INVOICE_TITLE.is_match(&head)
            && services
                .iter()
                .all(|s| p.prob(*s) < p.prob(Class::Invoice).max(0.2))
        {
            return (Class::Invoice, p.prob(Class::Invoice).max(0.6));
        }
        if c != Class::Other && conf < self.model.min_confidence {
            return (Class::Other, p.prob(Class::Other).max(1.0 - conf));
        }
        (c, conf)
    }
}

/// A page with nothing to read: blank for the OCR stage, almost no confident word (a blank
/// back with show-through), or a separator sheet.
pub fn is_blank(l: &PageLayout) -> bool {
    if l.blank {
        return true;
    }
    let good = l
        .lines
        .iter()
        .flat_map(|x| &x.toks)
        .filter(|t| t.conf > 0.5 && t.fold.chars().filter(|c| c.is_alphanumeric()).count() >= 2)
        .count();
    if good < 3 {
        return true;
    }
    is_separator(l)
}

/// A mailroom separator sheet: a big caption and patch-code bars.
pub fn is_separator(l: &PageLayout) -> bool {
    l.words() < 25 && SEPARATOR.is_match(&l.fold())
}

/// The `page k/n` mark of a page: (k, n, explicit). A bare `k/n` (no "page") counts only
/// at the end of a line in the page's head or foot, where pages are numbered; elsewhere it
/// is a quantity or a pack size (`B/8` read as `8/8`).
fn page_of(l: &PageLayout) -> Option<(u32, u32, bool)> {
    for line in &l.lines {
        if let Some(c) = PAGE_OF.captures(&line.fold) {
            let g = |a: usize, b: usize| -> Option<(u32, u32)> {
                let k = c.get(a)?.as_str().parse().ok()?;
                let n = c.get(b)?.as_str().parse().ok()?;
                Some((k, n))
            };
            let margin = line.y1 < 0.12 * l.height || line.y0 > 0.85 * l.height;
            let found = g(1, 2)
                .map(|(k, n)| (k, n, true))
                .or_else(|| g(3, 4).filter(|_| margin).map(|(k, n)| (k, n, false)));
            if let Some((k, n, explicit)) = found
                && k >= 1
                && k <= n
                && n <= 9
            {
                return Some((k, n, explicit));
            }
        }
    }
    None
}

/// Splits the content pages into documents.
pub fn split(
    layouts: &[PageLayout],
    folds: &[String],
    preds: &[Prediction],
    content: &[usize],
) -> Vec<Split> {
    let mut out: Vec<Split> = Vec::new();
    let mut prev: Option<usize> = None;
    for &i in content {
        let cont = prev.is_some_and(|p| continues(layouts, folds, preds, p, i));
        match (cont, out.last_mut()) {
            (true, Some(d)) => d.pages.push(i),
            _ => out.push(Split { pages: vec![i] }),
        }
        prev = Some(i);
    }
    out
}

/// Whether page `b` continues the document of page `a` (the content page before it).
fn continues(
    layouts: &[PageLayout],
    folds: &[String],
    preds: &[Prediction],
    a: usize,
    b: usize,
) -> bool {
    let (pa, pb) = (page_of(&layouts[a]), page_of(&layouts[b]));
    if let Some((k, n, explicit)) = pb {
        if k == 1 {
            return false;
        }
        // Page k of n follows page k-1 of n; a bare mark alone is not enough.
        match pa {
            Some((ka, na, _)) => return na == n && ka + 1 == k,
            None if explicit => return true,
            None => {}
        }
    }
    if let Some((k, n, _)) = pa
        && k < n
    {
        return true;
    }
    let head: String = layouts[b]
        .lines
        .iter()
        .take(3)
        .map(|l| l.fold.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    if head.lines().any(|l| CONTINUATION_HEAD.is_match(l)) {
        return true;
    }
    if CONTINUES.is_match(&folds[a]) {
        return true;
    }
    // The second page of a letter: no opening, and both pages read as the same letter.
    let (ca, _) = preds[a].best();
    let (cb, pbb) = preds[b].best();
    ca == Class::Complaint
        && cb == Class::Complaint
        && pbb > 0.5
        && !layouts[b]
            .lines
            .iter()
            .take(12)
            .any(|l| LETTER_HEAD.is_match(&l.fold))
}
