//! Checks of values already in normalised form: one field, or a whole document with its
//! cross-field rules.
//!
//! Used on both sides of the contracts: the sample generator asserts its truth is clean,
//! the pipeline sets `valid` from it, and the evaluation can tell a wrong value from a
//! malformed one. A problem names the field key and says what is wrong in French.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use time::Date;

use crate::check::{self, CheckError};
use crate::fields::{CARE_TYPES, FieldKind, field_spec};
use crate::{Amount, Class, normalize};

/// A field that fails a rule: its key and a French message for the clerk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct FieldProblem {
    /// The field key (`nir`, `total_amount`, …).
    pub key: String,
    /// What is wrong, in French.
    pub message: String,
}

impl FieldProblem {
    fn new(key: &str, message: impl Into<String>) -> Self {
        FieldProblem {
            key: key.to_string(),
            message: message.into(),
        }
    }
}

/// A single-value check: `Err` holds the French message.
type Check = Result<(), String>;

fn from_check(r: Result<(), CheckError>) -> Check {
    r.map_err(|e| e.to_string())
}

fn as_str<'a>(value: &'a Value, what: &str) -> Result<&'a str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("{what} attendu (chaîne de caractères)"))
}

fn check_text(value: &Value) -> Check {
    let s = as_str(value, "texte")?;
    match normalize::text(s) {
        None => Err("texte vide".into()),
        Some(n) if n == s => Ok(()),
        Some(_) => Err("texte non normalisé (espaces simples, sans espace en bord)".into()),
    }
}

fn check_date(value: &Value) -> Check {
    let s = as_str(value, "date")?;
    let layout = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !layout {
        return Err("date non normalisée (AAAA-MM-JJ attendu)".into());
    }
    from_check(check::parse_date(s).map(|_| ()))
}

fn check_amount(value: &Value) -> Check {
    let s = as_str(value, "montant")?;
    let a: Amount = s
        .parse()
        .map_err(|_| "montant non normalisé (1234.56 attendu)".to_string())?;
    from_check(check::check_amount_non_negative(a))
}

fn check_code(value: &Value) -> Check {
    let s = as_str(value, "numéro")?;
    let ok = !s.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.to_uppercase() == s;
    if ok {
        Ok(())
    } else {
        Err("numéro non normalisé (majuscules, sans espace)".into())
    }
}

fn check_care_type(value: &Value) -> Check {
    let s = as_str(value, "nature des soins")?;
    if CARE_TYPES.contains(&s) {
        Ok(())
    } else {
        Err(format!(
            "nature des soins inconnue (attendu: {})",
            CARE_TYPES.join(", ")
        ))
    }
}

fn check_dependants(value: &Value) -> Check {
    const KEYS: [&str; 3] = ["last_name", "first_name", "birth_date"];
    // An empty list is a value: the form has a dependants table and the member listed nobody.
    let list = value.as_array().ok_or("liste d'ayants droit attendue")?;
    for (i, item) in list.iter().enumerate() {
        let n = i + 1;
        let obj = item
            .as_object()
            .ok_or_else(|| format!("ayant droit n° {n}: objet attendu"))?;
        if let Some(extra) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!("ayant droit n° {n}: clé inconnue {extra:?}"));
        }
        for key in KEYS {
            let v = obj
                .get(key)
                .ok_or_else(|| format!("ayant droit n° {n}: {key} manquant"))?;
            let r = if key == "birth_date" {
                check_date(v)
            } else {
                check_text(v)
            };
            r.map_err(|m| format!("ayant droit n° {n}: {key}: {m}"))?;
        }
    }
    Ok(())
}

fn check_text_list(value: &Value) -> Check {
    let list = value.as_array().ok_or("liste de textes attendue")?;
    if list.is_empty() {
        return Err("liste vide".into());
    }
    for (i, item) in list.iter().enumerate() {
        check_text(item).map_err(|m| format!("élément n° {}: {m}", i + 1))?;
    }
    Ok(())
}

/// Checks a value against the normalised form and the single-field rule of its kind.
fn check_value(kind: FieldKind, value: &Value) -> Check {
    let str_rule = |what: &str, rule: fn(&str) -> Result<(), CheckError>| -> Check {
        from_check(rule(as_str(value, what)?))
    };
    match kind {
        FieldKind::Text => check_text(value),
        FieldKind::Date => check_date(value),
        FieldKind::Amount => check_amount(value),
        FieldKind::Nir => from_check(check::check_nir(as_str(value, "NIR")?, None)),
        FieldKind::Iban => str_rule("IBAN", check::check_iban),
        FieldKind::Bic => str_rule("BIC", check::check_bic),
        FieldKind::Siret => str_rule("SIRET", check::check_siret),
        FieldKind::Finess => str_rule("FINESS", check::check_finess),
        FieldKind::Rpps => str_rule("RPPS", check::check_rpps),
        FieldKind::Phone => str_rule("téléphone", check::check_phone),
        FieldKind::PostalCode => str_rule("code postal", check::check_postal_code),
        FieldKind::MemberNumber => str_rule("n° d'adhérent", check::check_member_number),
        FieldKind::Email => str_rule("e-mail", check::check_email),
        FieldKind::Boolean => {
            if value.is_boolean() {
                Ok(())
            } else {
                Err("vrai/faux attendu (true ou false)".into())
            }
        }
        FieldKind::Code => check_code(value),
        FieldKind::CareType => check_care_type(value),
        FieldKind::Dependants => check_dependants(value),
        FieldKind::TextList => check_text_list(value),
    }
}

/// Checks one field of a document: that `key` is a field of `class`, that `value` is in
/// the normalised form of its kind (FIELDS.md), and that it passes its single-field check
/// rule (NIR key, IBAN mod 97, SIRET Luhn, real date, amount ≥ 0, …).
///
/// # Errors
///
/// A [`FieldProblem`] naming `key`, with a French message saying what is wrong.
pub fn check_field(class: Class, key: &str, value: &Value) -> Result<(), FieldProblem> {
    let spec = field_spec(class, key).ok_or_else(|| {
        FieldProblem::new(
            key,
            format!("champ inconnu pour un document « {} »", class.label_fr()),
        )
    })?;
    check_value(spec.kind, value).map_err(|m| FieldProblem::new(key, m))
}

/// The fields of one document that passed [`check_field`], for the cross-field rules.
struct Checked<'a> {
    fields: &'a Map<String, Value>,
    failed: BTreeSet<&'a str>,
}

impl Checked<'_> {
    fn ok_str(&self, key: &str) -> Option<&str> {
        if self.failed.contains(key) {
            return None;
        }
        self.fields.get(key)?.as_str()
    }

    fn date(&self, key: &str) -> Option<Date> {
        check::parse_date(self.ok_str(key)?).ok()
    }

    fn amount(&self, key: &str) -> Option<Amount> {
        self.ok_str(key)?.parse().ok()
    }
}

/// Dates that cannot be after the envelope's reception.
const NOT_FUTURE: [&str; 6] = [
    "care_date",
    "invoice_date",
    "quote_date",
    "letter_date",
    "signature_date",
    "birth_date",
];

/// The invoice and quote amounts, in the order of [`check::check_amounts`].
const AMOUNTS: [&str; 4] = [
    "total_amount",
    "social_security_amount",
    "complementary_amount",
    "remaining_amount",
];

/// Checks every field of a document with [`check_field`], then the cross-field rules of
/// FIELDS.md on the fields that passed:
///
/// - the NIR's birth year and month agree with `birth_date`;
/// - care, invoice, quote, letter, signature (and birth) dates are not after `received`,
///   the envelope's reception day, when it is known;
/// - `valid_until` is after `quote_date`;
/// - `effective_date` is not before `signature_date`;
/// - the amounts add up (see [`check::check_amounts`]).
///
/// Returns every problem found, field problems first (in key order), then cross-field
/// problems, each attached to the field a clerk should look at. Empty means clean.
pub fn check_document(
    class: Class,
    fields: &Map<String, Value>,
    received: Option<Date>,
) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    let mut failed = BTreeSet::new();
    for (key, value) in fields {
        if let Err(p) = check_field(class, key, value) {
            failed.insert(key.as_str());
            problems.push(p);
        }
    }
    let doc = Checked { fields, failed };
    let mut cross = |key: &str, r: Result<(), CheckError>| {
        if let Err(e) = r {
            problems.push(FieldProblem::new(key, e.to_string()));
        }
    };

    if let (Some(nir), Some(birth)) = (doc.ok_str("nir"), doc.date("birth_date")) {
        cross("nir", check::check_nir(nir, Some(birth)));
    }
    if let Some(received) = received {
        for key in NOT_FUTURE {
            if let Some(d) = doc.date(key) {
                cross(key, check::check_date_not_future(d, received));
            }
        }
    }
    if let (Some(q), Some(v)) = (doc.date("quote_date"), doc.date("valid_until")) {
        cross("valid_until", check::check_valid_until(q, v));
    }
    if let (Some(s), Some(e)) = (doc.date("signature_date"), doc.date("effective_date")) {
        cross("effective_date", check::check_effective_date(s, e));
    }
    // A printed but malformed amount would read as "not printed" and skew the sum rule.
    let amounts_clean = AMOUNTS
        .iter()
        .all(|k| !fields.contains_key(*k) || doc.amount(k).is_some());
    if amounts_clean {
        let [t, ss, amc, rac] = AMOUNTS.map(|k| doc.amount(k));
        cross("total_amount", check::check_amounts(t, ss, amc, rac));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    fn fields(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn keys(problems: &[FieldProblem]) -> Vec<&str> {
        problems.iter().map(|p| p.key.as_str()).collect()
    }

    #[test]
    fn single_fields_in_normalised_form() {
        let ok = |c, k, v: Value| check_field(c, k, &v);
        use Class::*;
        assert_eq!(ok(MembershipForm, "last_name", json!("DURAND")), Ok(()));
        assert_eq!(
            ok(MembershipForm, "birth_date", json!("1969-05-12")),
            Ok(())
        );
        assert_eq!(ok(MembershipForm, "nir", json!("269054958815780")), Ok(()));
        assert_eq!(
            ok(MembershipForm, "iban", json!("FR1420041010050500013M02606")),
            Ok(())
        );
        assert_eq!(ok(MembershipForm, "bic", json!("CEPAFRPP333")), Ok(()));
        assert_eq!(ok(MembershipForm, "phone", json!("0612345678")), Ok(()));
        assert_eq!(ok(MembershipForm, "postal_code", json!("75015")), Ok(()));
        assert_eq!(
            ok(MembershipForm, "email", json!("n.durand@example.fr")),
            Ok(())
        );
        assert_eq!(ok(MembershipForm, "signed", json!(true)), Ok(()));
        assert_eq!(
            ok(
                MembershipForm,
                "dependants",
                json!([{"last_name": "DURAND", "first_name": "Léo", "birth_date": "2012-07-01"}])
            ),
            Ok(())
        );
        assert_eq!(ok(Invoice, "invoice_number", json!("FA-2025-0042")), Ok(()));
        assert_eq!(ok(Invoice, "care_type", json!("optical")), Ok(()));
        assert_eq!(ok(Invoice, "total_amount", json!("1234.56")), Ok(()));
        assert_eq!(
            ok(Invoice, "provider_siret", json!("73282932000074")),
            Ok(())
        );
        assert_eq!(ok(Invoice, "provider_finess", json!("2A0000014")), Ok(()));
        assert_eq!(ok(Invoice, "provider_rpps", json!("10001234567")), Ok(()));
        assert_eq!(ok(Invoice, "member_number", json!("ADH0042137")), Ok(()));
        assert_eq!(
            ok(
                Complaint,
                "references",
                json!(["FA-2025-0042", "dossier 12"])
            ),
            Ok(())
        );
        assert_eq!(ok(Complaint, "disputed_amount", json!("0.00")), Ok(()));
    }

    #[test]
    fn single_field_failures() {
        let err = |c, k, v: Value| check_field(c, k, &v).unwrap_err().message;
        use Class::*;
        assert!(err(Other, "nir", json!("269054958815780")).contains("champ inconnu"));
        assert!(err(Quote, "paid", json!(true)).contains("champ inconnu"));
        assert_eq!(
            err(MembershipForm, "nir", json!("269054958815781")),
            "clé NIR incorrecte"
        );
        assert_eq!(
            err(MembershipForm, "nir", json!(269054958815780_u64)),
            "NIR attendu (chaîne de caractères)"
        );
        assert_eq!(
            err(MembershipForm, "iban", json!("FR1420041010050500013M02607")),
            "IBAN invalide (clé de contrôle)"
        );
        assert_eq!(
            err(Invoice, "provider_siret", json!("73282932000075")),
            "SIRET invalide (Luhn)"
        );
        assert!(err(MembershipForm, "birth_date", json!("12/03/2025")).contains("AAAA-MM-JJ"));
        assert_eq!(
            err(MembershipForm, "birth_date", json!("2025-02-30")),
            "date impossible"
        );
        assert!(err(Invoice, "total_amount", json!("1234.5")).contains("non normalisé"));
        assert!(err(Invoice, "total_amount", json!(1234.56)).contains("chaîne"));
        assert_eq!(
            err(Complaint, "disputed_amount", json!("-5.00")),
            "montant négatif"
        );
        assert!(err(MembershipForm, "signed", json!("true")).contains("true ou false"));
        assert!(err(Invoice, "invoice_number", json!("fa-2025")).contains("majuscules"));
        assert!(err(Invoice, "invoice_number", json!("FA 2025")).contains("majuscules"));
        assert!(err(Invoice, "care_type", json!("optique")).contains("inconnue"));
        assert!(err(MembershipForm, "last_name", json!(" DURAND")).contains("non normalisé"));
        assert!(err(MembershipForm, "last_name", json!("LE  GALL")).contains("non normalisé"));
        assert_eq!(err(MembershipForm, "last_name", json!("")), "texte vide");
        assert!(
            err(
                MembershipForm,
                "dependants",
                json!([{"last_name": "A", "first_name": "B"}])
            )
            .contains("birth_date manquant")
        );
        assert!(
            err(
                MembershipForm,
                "dependants",
                json!([{"last_name": "A", "first_name": "B", "birth_date": "2012-13-01"}])
            )
            .contains("ayant droit n° 1: birth_date")
        );
        assert!(err(MembershipForm, "dependants", json!({"last_name": "A"})).contains("liste"));
        assert!(check_field(MembershipForm, "dependants", &json!([])).is_ok());
        assert!(err(Complaint, "references", json!(["ok", 3])).contains("élément n° 2"));
        assert!(err(MembershipForm, "phone", json!("+33612345678")).contains("téléphone"));
        let p = check_field(Invoice, "provider_siret", &json!("1")).unwrap_err();
        assert_eq!(
            p.to_string(),
            "provider_siret: SIRET mal formé (14 chiffres attendus)"
        );
    }

    #[test]
    fn clean_documents_have_no_problems() {
        let form = fields(json!({
            "last_name": "DURAND", "first_name": "Nathalie", "birth_date": "1969-05-12",
            "nir": "269054958815780", "iban": "FR1420041010050500013M02606",
            "effective_date": "2025-04-01", "signature_date": "2025-03-10", "signed": true
        }));
        assert_eq!(
            check_document(Class::MembershipForm, &form, Some(date!(2025 - 03 - 14))),
            vec![]
        );
        let invoice = fields(json!({
            "invoice_date": "2025-03-01", "care_date": "2025-02-27", "care_type": "dental",
            "total_amount": "100.00", "social_security_amount": "30.00",
            "complementary_amount": "50.00", "remaining_amount": "20.00", "paid": true
        }));
        assert_eq!(
            check_document(Class::Invoice, &invoice, Some(date!(2025 - 03 - 14))),
            vec![]
        );
        assert_eq!(check_document(Class::Other, &Map::new(), None), vec![]);
    }

    #[test]
    fn nir_must_match_birth_date() {
        let form = fields(json!({"birth_date": "1970-05-12", "nir": "269054958815780"}));
        let p = check_document(Class::MembershipForm, &form, None);
        assert_eq!(keys(&p), ["nir"]);
        assert_eq!(p[0].message, "NIR incohérent avec la date de naissance");
        // A malformed birth date is reported once, not again as a NIR mismatch.
        let form = fields(json!({"birth_date": "1970-02-30", "nir": "269054958815780"}));
        assert_eq!(
            keys(&check_document(Class::MembershipForm, &form, None)),
            ["birth_date"]
        );
    }

    #[test]
    fn dates_not_in_the_future() {
        let received = Some(date!(2025 - 03 - 14));
        let inv = fields(json!({"invoice_date": "2025-03-15", "care_date": "2025-03-14"}));
        let p = check_document(Class::Invoice, &inv, received);
        assert_eq!(keys(&p), ["invoice_date"]);
        assert_eq!(p[0].message, "date dans le futur");
        // Without a reception date the rule cannot apply.
        assert_eq!(check_document(Class::Invoice, &inv, None), vec![]);
        let letter = fields(json!({"letter_date": "2026-01-01"}));
        assert_eq!(
            keys(&check_document(Class::Complaint, &letter, received)),
            ["letter_date"]
        );
        let quote = fields(json!({"quote_date": "2025-04-01", "valid_until": "2025-07-01"}));
        assert_eq!(
            keys(&check_document(Class::Quote, &quote, received)),
            ["quote_date"]
        );
        let form = fields(json!({"signature_date": "2025-03-20", "effective_date": "2025-04-01"}));
        assert_eq!(
            keys(&check_document(Class::MembershipForm, &form, received)),
            ["signature_date"]
        );
    }

    #[test]
    fn date_orderings() {
        let quote = fields(json!({"quote_date": "2025-03-01", "valid_until": "2025-02-01"}));
        let p = check_document(Class::Quote, &quote, None);
        assert_eq!(keys(&p), ["valid_until"]);
        let form = fields(json!({"signature_date": "2025-03-10", "effective_date": "2025-03-01"}));
        let p = check_document(Class::MembershipForm, &form, None);
        assert_eq!(keys(&p), ["effective_date"]);
        assert_eq!(
            p[0].message,
            "date d'effet antérieure à la date de signature"
        );
    }

    #[test]
    fn amounts_add_up() {
        let inv = fields(json!({
            "total_amount": "100.00", "social_security_amount": "30.00",
            "complementary_amount": "50.00", "remaining_amount": "25.00"
        }));
        let p = check_document(Class::Invoice, &inv, None);
        assert_eq!(keys(&p), ["total_amount"]);
        assert_eq!(
            p[0].message,
            "montants incohérents: total ≠ AMO + AMC + reste à charge"
        );
        let no_amc = fields(json!({
            "total_amount": "100.00", "social_security_amount": "30.00", "remaining_amount": "70.00"
        }));
        assert_eq!(check_document(Class::Quote, &no_amc, None), vec![]);
        let no_amc_bad = fields(json!({
            "total_amount": "100.00", "social_security_amount": "30.00", "remaining_amount": "60.00"
        }));
        assert_eq!(
            keys(&check_document(Class::Quote, &no_amc_bad, None)),
            ["total_amount"]
        );
        // A malformed AMC is reported once and does not trigger the no-AMC sum rule.
        let bad_amc = fields(json!({
            "total_amount": "100.00", "social_security_amount": "30.00",
            "complementary_amount": "50,00", "remaining_amount": "20.00"
        }));
        assert_eq!(
            keys(&check_document(Class::Invoice, &bad_amc, None)),
            ["complementary_amount"]
        );
    }

    #[test]
    fn unknown_and_multiple_problems() {
        let doc = fields(json!({"nir": "269054958815780", "paid": "oui", "total_amount": "-1.00"}));
        let p = check_document(Class::Invoice, &doc, None);
        assert_eq!(keys(&p), ["nir", "paid", "total_amount"]);
    }
}
