//! Field extraction: every field of FIELDS.md, from the words of a document.
//!
//! Identifiers, dates and amounts are found by their labels ([`engine`]) and read by kind
//! ([`values`]), identifiers repaired only when their check digit confirms it
//! ([`crate::repair`]). Names, free text and yes/no fields have their own readers in
//! [`special`]. Every value is then checked with the domain's rules (`valid`), including the
//! cross-field ones (NIR against birth date, amounts that add up, dates not after reception).

pub mod engine;
pub mod rules;
pub mod special;
pub mod values;

use std::collections::BTreeMap;

use mailroom_domain::fields::FieldKind;
use mailroom_domain::validate::check_document;
use mailroom_domain::{Class, FieldResult};
use serde_json::{Map, Value};
use time::Date;

use crate::layout::PageLayout;
use crate::model::Model;
use engine::{Cand, Doc};

/// What extraction needs besides the pages.
pub struct Context<'a> {
    /// The envelope's reception day, when known (dates after it are not valid).
    pub received: Option<Date>,
    /// The classifier model, for its lexicon of first names.
    pub model: &'a Model,
}

/// The amounts of invoices and quotes.
const AMOUNTS: [&str; 4] = [
    "total_amount",
    "social_security_amount",
    "complementary_amount",
    "remaining_amount",
];

/// Extracts the fields of a document of class `class` from its pages (1-based page numbers
/// are taken from the layouts).
pub fn extract(
    class: Class,
    pages: &[&PageLayout],
    ctx: &Context<'_>,
) -> BTreeMap<String, FieldResult> {
    if class == Class::Other || pages.is_empty() {
        return BTreeMap::new();
    }
    let doc = Doc {
        pages: pages.to_vec(),
    };
    let mut cands: Vec<Cand> = Vec::new();
    for r in rules::rules(class) {
        cands.extend(engine::candidates(&doc, r));
    }
    cands.extend(special::candidates(class, &doc, ctx));
    if class == Class::MembershipForm {
        special::below_dependants(&doc, &mut cands);
    }
    if matches!(class, Class::Invoice | Class::Quote) {
        special::amounts_that_add_up(&mut cands);
    }
    let mut chosen = engine::assign(cands);
    if let Some(c) = chosen.get_mut("birth_date") {
        c.value = birth_century(&c.value, ctx.received);
    }
    if let Some(c) = chosen.get_mut("dependants")
        && let Value::Array(list) = &mut c.value
    {
        for d in list {
            if let Some(b) = d.get_mut("birth_date") {
                *b = birth_century(b, ctx.received);
            }
        }
    }
    finish(class, &doc, chosen, ctx)
}

/// A birth date read with a two-digit year lands in the future (`30/07/42` → 2042): a
/// person is born a century earlier.
fn birth_century(v: &Value, received: Option<Date>) -> Value {
    let today = received.unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    let Some(d) = v
        .as_str()
        .and_then(|s| mailroom_domain::check::parse_date(s).ok())
    else {
        return v.clone();
    };
    if d <= today {
        return v.clone();
    }
    match d.replace_year(d.year() - 100) {
        Ok(e) => Value::String(mailroom_domain::normalize::date_to_string(e)),
        Err(_) => v.clone(),
    }
}

/// Checks the chosen values with the domain's rules and turns them into results.
fn finish(
    class: Class,
    doc: &Doc<'_>,
    chosen: BTreeMap<&'static str, Cand>,
    ctx: &Context<'_>,
) -> BTreeMap<String, FieldResult> {
    let mut values = Map::new();
    for (k, c) in &chosen {
        values.insert((*k).to_string(), c.value.clone());
    }
    let problems = check_document(class, &values, ctx.received);
    let mut bad: std::collections::HashSet<String> =
        problems.iter().map(|p| p.key.clone()).collect();
    if problems
        .iter()
        .any(|p| p.key == "total_amount" && p.message.contains("incohérents"))
    {
        bad.extend(AMOUNTS.iter().map(|s| (*s).to_string()));
    }
    let mut out = BTreeMap::new();
    for (k, c) in chosen {
        let kind = mailroom_domain::fields::field_spec(class, k).map(|s| s.kind);
        let passed = c.valid && !bad.contains(k);
        let valid = passed && !c.doubt && verified(kind, k, &c);
        let mut conf = c.ocr.clamp(0.0, 1.0) * c.score.clamp(0.2, 1.0);
        if !valid {
            conf *= 0.6;
        }
        if c.doubt {
            conf *= 0.7;
        }
        if c.repaired {
            conf *= 0.9;
        }
        let page = doc.pages.get(c.pi).map_or(1, |p| p.page);
        out.insert(
            k.to_string(),
            FieldResult {
                value: c.value,
                confidence: (conf * 1000.0).round() / 1000.0,
                valid,
                page,
                bbox: c.bbox,
            },
        );
    }
    out
}

/// Whether a value that passed its check rules is also trustworthy enough to be marked
/// valid, so that a clerk may skip it: a check digit or key confirmed it, the amounts add
/// up, or (for values no rule can confirm) it was read clearly beside a specific label.
/// A signature cannot be seen in words: it is never marked valid.
fn verified(kind: Option<FieldKind>, key: &str, c: &Cand) -> bool {
    use FieldKind as K;
    let clear = c.score >= 0.85 && c.ocr >= 0.85 && !c.repaired;
    match kind {
        Some(K::Nir | K::Iban | K::Siret) => true,
        Some(K::Rpps | K::Finess) => {
            let digits: String = c
                .value
                .as_str()
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            mailroom_domain::check::luhn_valid(&digits) || clear
        }
        Some(K::Amount) if AMOUNTS.contains(&key) => c.checked,
        Some(K::Boolean) if key == "signed" => false,
        Some(K::Text | K::TextList | K::Dependants) => clear && c.score >= 0.9 && c.ocr >= 0.92,
        _ => clear,
    }
}

/// The values of extracted fields only (for tests and tools).
pub fn values_of(fields: &BTreeMap<String, FieldResult>) -> BTreeMap<String, Value> {
    fields
        .iter()
        .map(|(k, f)| (k.clone(), f.value.clone()))
        .collect()
}
