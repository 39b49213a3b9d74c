//! `mailroom eval`: results scored against a sample set's truth.
//!
//! Each truth document is paired with the result document of its envelope that shares the
//! most pages. Then:
//!
//! - **class accuracy**: the paired document has the truth's class (no pair is wrong); the
//!   confusion matrix counts truth class × result class;
//! - **split accuracy**: the paired document has exactly the truth's pages (also given per
//!   envelope: every document and the blank pages exactly right);
//! - **field accuracy**, per field: the paired document, of the right class, has the field
//!   with the truth's value (text compared case- and accent-insensitively, the complaint
//!   subject by word overlap ≥ 80 %, lists as sets); fields a result gives that the truth
//!   does not have are counted apart ("extra");
//! - **precision of `valid`**: of the fields a result marks valid, the share whose value is
//!   right (a field on a document of the wrong class, or absent from the truth, is wrong);
//! - **straight-through**: truth documents with the right class, the right pages, every
//!   field right and no extra field: nothing left for a clerk to correct.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

use mailroom_domain::fields::{FieldKind, field_spec};
use mailroom_domain::normalize::fold_text;
use mailroom_domain::{Class, EnvelopeResult, ResultDocument, Status, Truth, TruthDocument};
use serde::Serialize;
use serde_json::Value;

use crate::error::ClassifyError;

/// Counts of one field.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldScore {
    /// Truth documents that carry the field.
    pub truth: usize,
    /// Of those, how many results have it right.
    pub right: usize,
    /// Results that give the field where the truth does not have it.
    pub extra: usize,
}

impl FieldScore {
    pub fn accuracy(&self) -> f64 {
        ratio(self.right, self.truth)
    }
}

/// The scores of a results file against a set.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EvalReport {
    pub envelopes: usize,
    /// Envelopes of the truth with no result line.
    pub missing: Vec<String>,
    pub rejected: usize,
    pub documents: usize,
    /// truth class × result class (the last column: no result document).
    pub confusion: [[usize; 6]; 5],
    pub class_right: usize,
    pub split_right: usize,
    pub envelopes_split_right: usize,
    pub fields: BTreeMap<String, FieldScore>,
    pub valid_marked: usize,
    pub valid_right: usize,
    pub straight_through: usize,
    /// Which fields were wrong in documents that missed straight-through only by fields.
    pub blockers: BTreeMap<String, usize>,
    /// The first fields marked valid whose value is wrong: (envelope, field, value).
    pub valid_wrong: Vec<(String, String, Value)>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl EvalReport {
    pub fn class_accuracy(&self) -> f64 {
        ratio(self.class_right, self.documents)
    }
    pub fn split_accuracy(&self) -> f64 {
        ratio(self.split_right, self.documents)
    }
    pub fn envelope_split_accuracy(&self) -> f64 {
        ratio(self.envelopes_split_right, self.envelopes)
    }
    pub fn valid_precision(&self) -> f64 {
        ratio(self.valid_right, self.valid_marked)
    }
    pub fn straight_through_rate(&self) -> f64 {
        ratio(self.straight_through, self.documents)
    }
    /// The accuracy of one field (0 when the truth never has it).
    pub fn field_accuracy(&self, key: &str) -> f64 {
        self.fields.get(key).map_or(0.0, FieldScore::accuracy)
    }
}

/// Whether a result value equals the truth's, for a field of `kind`.
pub fn same_value(key: &str, kind: FieldKind, truth: &Value, got: &Value) -> bool {
    match kind {
        FieldKind::Text if key == "subject" => {
            let words = |v: &Value| -> Vec<String> {
                fold_text(v.as_str().unwrap_or_default())
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect()
            };
            let (t, g) = (words(truth), words(got));
            let gs: BTreeSet<&String> = g.iter().collect();
            let common = t.iter().filter(|w| gs.contains(w)).count();
            !t.is_empty() && common as f64 >= 0.8 * t.len().max(g.len()) as f64
        }
        FieldKind::Text => match (truth.as_str(), got.as_str()) {
            (Some(a), Some(b)) => fold_text(a) == fold_text(b),
            _ => false,
        },
        FieldKind::TextList => {
            let set = |v: &Value| -> Option<BTreeSet<String>> {
                v.as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).map(fold_text).collect())
            };
            set(truth).is_some() && set(truth) == set(got)
        }
        FieldKind::Dependants => {
            let norm = |v: &Value| -> Option<Vec<(String, String, String)>> {
                v.as_array().map(|a| {
                    a.iter()
                        .map(|d| {
                            let s =
                                |k: &str| fold_text(d.get(k).and_then(Value::as_str).unwrap_or(""));
                            (s("last_name"), s("first_name"), s("birth_date"))
                        })
                        .collect()
                })
            };
            norm(truth).is_some() && norm(truth) == norm(got)
        }
        _ => truth == got,
    }
}

fn kind_of(class: Class, key: &str) -> FieldKind {
    field_spec(class, key).map_or(FieldKind::Text, |s| s.kind)
}

fn read_results(path: &Path) -> Result<HashMap<String, EnvelopeResult>, ClassifyError> {
    let s = std::fs::read_to_string(path).map_err(|e| ClassifyError::io(path, e))?;
    let mut out = HashMap::new();
    for (i, line) in s.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let r: EnvelopeResult = serde_json::from_str(line).map_err(|e| ClassifyError::Format {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?;
        out.insert(r.envelope.clone(), r);
    }
    Ok(out)
}

/// Reads every `truth/*.json` of a set, by envelope.
///
/// # Errors
/// [`ClassifyError::Io`] or [`ClassifyError::Format`] when a file cannot be read or parsed.
pub fn read_truth(set: &Path) -> Result<BTreeMap<String, Truth>, ClassifyError> {
    let dir = set.join("truth");
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).map_err(|e| ClassifyError::io(&dir, e))? {
        let p = e.map_err(|e| ClassifyError::io(&dir, e))?.path();
        if p.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let s = std::fs::read_to_string(&p).map_err(|e| ClassifyError::io(&p, e))?;
        let t: Truth = serde_json::from_str(&s).map_err(|e| ClassifyError::Format {
            path: p.clone(),
            line: 1,
            message: e.to_string(),
        })?;
        out.insert(t.envelope.clone(), t);
    }
    Ok(out)
}

/// Scores `results` (a RESULTS.md JSON Lines file) against the truth of the sample set
/// `set`.
///
/// # Errors
/// [`ClassifyError::Io`] or [`ClassifyError::Format`] when a file cannot be read or does
/// not follow its contract.
pub fn eval(results: &Path, set: &Path) -> Result<EvalReport, ClassifyError> {
    let res = read_results(results)?;
    let truth = read_truth(set)?;
    let mut rep = EvalReport::default();
    for (env, t) in &truth {
        rep.envelopes += 1;
        let r = res.get(env);
        if r.is_none() {
            rep.missing.push(env.clone());
        }
        if r.is_some_and(|r| r.status == Status::Rejected) {
            rep.rejected += 1;
        }
        let docs: &[ResultDocument] = r.map_or(&[], |r| &r.documents);
        score_envelope(&mut rep, t, docs, r);
    }
    Ok(rep)
}

fn score_envelope(
    rep: &mut EvalReport,
    t: &Truth,
    docs: &[ResultDocument],
    r: Option<&EnvelopeResult>,
) {
    let mut all_split = r.is_some_and(|r| {
        let mut a = r.blank_pages.clone();
        let mut b = t.blank_pages.clone();
        a.sort_unstable();
        b.sort_unstable();
        a == b
    }) && docs.len() == t.documents.len();
    let mut paired = vec![false; docs.len()];
    for td in &t.documents {
        rep.documents += 1;
        let best = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (i, d.pages.iter().filter(|p| td.pages.contains(p)).count()))
            .filter(|(_, n)| *n > 0)
            .max_by_key(|(i, n)| (*n, std::cmp::Reverse(*i)));
        let ti = Class::ALL.iter().position(|c| *c == td.class).unwrap_or(4);
        let Some((di, _)) = best else {
            rep.confusion[ti][5] += 1;
            all_split = false;
            for k in td.fields.keys() {
                rep.fields.entry(k.clone()).or_default().truth += 1;
            }
            continue;
        };
        paired[di] = true;
        let d = &docs[di];
        let pi = Class::ALL.iter().position(|c| *c == d.class).unwrap_or(4);
        rep.confusion[ti][pi] += 1;
        let class_ok = d.class == td.class;
        let split_ok = d.pages == td.pages;
        rep.class_right += usize::from(class_ok);
        rep.split_right += usize::from(split_ok);
        all_split &= split_ok;
        let (fields_ok, wrong) = score_fields(rep, td, d, class_ok, &t.envelope);
        if class_ok && split_ok && fields_ok {
            rep.straight_through += 1;
        } else if class_ok && split_ok {
            for k in wrong {
                *rep.blockers.entry(k).or_default() += 1;
            }
        }
    }
    // Result documents paired with no truth document: their valid fields are all wrong.
    for (i, d) in docs.iter().enumerate() {
        if !paired[i] {
            rep.valid_marked += d.fields.values().filter(|f| f.valid).count();
        }
    }
    rep.envelopes_split_right += usize::from(all_split);
}

/// Scores the fields of a paired document; returns whether all were right and which were
/// wrong or extra.
fn score_fields(
    rep: &mut EvalReport,
    td: &TruthDocument,
    d: &ResultDocument,
    class_ok: bool,
    envelope: &str,
) -> (bool, Vec<String>) {
    let mut wrong = Vec::new();
    for (k, tv) in &td.fields {
        let s = rep.fields.entry(k.clone()).or_default();
        s.truth += 1;
        let right = class_ok
            && d.fields
                .get(k)
                .is_some_and(|f| same_value(k, kind_of(td.class, k), tv, &f.value));
        if right {
            s.right += 1;
        } else {
            wrong.push(k.clone());
        }
    }
    for (k, f) in &d.fields {
        let in_truth = class_ok && td.fields.contains_key(k);
        if !in_truth {
            rep.fields.entry(k.clone()).or_default().extra += 1;
            wrong.push(format!("{k} (extra)"));
        }
        if f.valid {
            rep.valid_marked += 1;
            let right = in_truth
                && td
                    .fields
                    .get(k)
                    .is_some_and(|tv| same_value(k, kind_of(td.class, k), tv, &f.value));
            rep.valid_right += usize::from(right);
            if !right && rep.valid_wrong.len() < 20 {
                rep.valid_wrong
                    .push((envelope.to_string(), k.clone(), f.value.clone()));
            }
        }
    }
    (wrong.is_empty(), wrong)
}

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} envelopes ({} without a result line, {} rejected), {} documents",
            self.envelopes,
            self.missing.len(),
            self.rejected,
            self.documents
        )?;
        writeln!(f)?;
        writeln!(f, "confusion matrix (rows: truth, columns: result)")?;
        let short = [
            "membership",
            "invoice",
            "quote",
            "complaint",
            "other",
            "none",
        ];
        write!(f, "{:>12}", "")?;
        for s in short {
            write!(f, "{s:>11}")?;
        }
        writeln!(f)?;
        for (i, row) in self.confusion.iter().enumerate() {
            write!(f, "{:>12}", short[i])?;
            for n in row {
                write!(f, "{n:>11}")?;
            }
            writeln!(f)?;
        }
        writeln!(f)?;
        writeln!(f, "class accuracy        {}", pct(self.class_accuracy()))?;
        writeln!(
            f,
            "split accuracy        {} of documents, {} of envelopes",
            pct(self.split_accuracy()),
            pct(self.envelope_split_accuracy())
        )?;
        writeln!(
            f,
            "precision of valid    {} ({} of {})",
            pct(self.valid_precision()),
            self.valid_right,
            self.valid_marked
        )?;
        writeln!(
            f,
            "straight-through      {} ({} of {})",
            pct(self.straight_through_rate()),
            self.straight_through,
            self.documents
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<24}{:>8}{:>8}{:>10}{:>7}",
            "field", "truth", "right", "accuracy", "extra"
        )?;
        for (k, s) in &self.fields {
            writeln!(
                f,
                "{k:<24}{:>8}{:>8}{:>10}{:>7}",
                s.truth,
                s.right,
                pct(s.accuracy()),
                s.extra
            )?;
        }
        if !self.valid_wrong.is_empty() {
            writeln!(f)?;
            writeln!(
                f,
                "fields marked valid but wrong (first {}):",
                self.valid_wrong.len()
            )?;
            for (e, k, v) in &self.valid_wrong {
                writeln!(f, "  {e} {k} {v}")?;
            }
        }
        if !self.blockers.is_empty() {
            let mut b: Vec<(&String, &usize)> = self.blockers.iter().collect();
            b.sort_by(|a, b| b.1.cmp(a.1));
            let top: Vec<String> = b.iter().take(8).map(|(k, n)| format!("{k} {n}")).collect();
            writeln!(f)?;
            writeln!(
                f,
                "fields keeping documents from straight-through: {}",
                top.join(", ")
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn comparisons() {
        assert!(same_value(
            "last_name",
            FieldKind::Text,
            &json!("CARRÉ"),
            &json!("Carre")
        ));
        assert!(!same_value(
            "last_name",
            FieldKind::Text,
            &json!("CARRÉ"),
            &json!("Carrel")
        ));
        assert!(same_value(
            "subject",
            FieldKind::Text,
            &json!("Mise en demeure – remboursement de la facture n° 95695161"),
            &json!("Mise en demeure — remboursement de la facture n° 95695161")
        ));
        assert!(!same_value(
            "subject",
            FieldKind::Text,
            &json!("Retard de remboursement"),
            &json!("Retard")
        ));
        assert!(same_value(
            "references",
            FieldKind::TextList,
            &json!(["A1", "b2"]),
            &json!(["B2", "a1"])
        ));
        assert!(!same_value(
            "nir",
            FieldKind::Nir,
            &json!("269054958815780"),
            &json!("269054958815781")
        ));
    }
}
