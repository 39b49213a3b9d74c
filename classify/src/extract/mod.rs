//! Field extraction: every field of FIELDS.md, from the words of a document.
//!
//! Identifiers, dates and amounts are found by their labels ([`engine`]) and read by kind
//! ([`values`]), identifiers repaired only when their check digit confirms it
//! ([`crate::repair`]). Names, free text and yes/no fields have their own readers in
//! [`special`]. Every value is then checked with the domain's rules (`valid`), including the
//! cross-field ones (NIR against birth date, amounts that add up, dates not after reception).

pub mod engine;
pub mod ink;
pub mod rules;
pub mod special;
pub mod values;

use std::collections::BTreeMap;

use mailroom_domain::fields::FieldKind;
use mailroom_domain::validate::check_document;
use mailroom_domain::{Class, FieldResult};
#[cfg(test)]
use serde_json::json;
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
        special::drop_insurer_emails(&doc, &mut cands);
    }
    if class == Class::Quote {
        special::keep_chosen_offer(&doc, &mut cands);
    }
    if matches!(class, Class::Invoice | Class::Quote) {
        special::confusable_amounts(&mut cands);
        special::amounts_that_add_up(&mut cands, class == Class::Quote);
        special::derive_missing_amount(&doc, class, &mut cands);
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
/// A signature cannot be seen in words: it is marked valid only when the OCR stage saw ink as
/// wide as a signature under its caption.
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
        Some(K::Boolean) if key == "signed" => c.checked,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::testkit::{fixture, page};
    use crate::model::Model;

    fn run(class: Class, pages: &[crate::page::ReadPage]) -> BTreeMap<String, FieldResult> {
        let model = Model::embedded().expect("model");
        let layouts: Vec<PageLayout> = pages.iter().map(PageLayout::new).collect();
        let refs: Vec<&PageLayout> = layouts.iter().collect();
        let ctx = Context {
            received: None,
            model: &model,
        };
        extract(class, &refs, &ctx)
    }

    /// On real OCR output of each class: every field marked valid is the truth's, and the
    /// identifiers, dates and amounts the fixture prints are found.
    #[test]
    fn fixtures_valid_fields_are_right() {
        for c in [
            Class::MembershipForm,
            Class::Invoice,
            Class::Quote,
            Class::Complaint,
        ] {
            let (pages, truth) = fixture(c.as_str());
            let got = run(c, &pages);
            for (k, f) in &got {
                if f.valid {
                    let spec = mailroom_domain::fields::field_spec(c, k).expect("a field");
                    let want = truth.fields.get(k).unwrap_or(&Value::Null);
                    assert!(
                        crate::eval::same_value(k, spec.kind, want, &f.value),
                        "{c}.{k}: {} marked valid, truth {want}",
                        f.value
                    );
                }
            }
        }
        let (pages, truth) = fixture("invoice");
        let got = run(Class::Invoice, &pages);
        for k in [
            "invoice_number",
            "invoice_date",
            "total_amount",
            "provider_siret",
            "member_number",
        ] {
            assert_eq!(got.get(k).map(|f| &f.value), truth.fields.get(k), "{k}");
        }
    }

    #[test]
    fn labels_right_and_below() {
        let p = page(
            1,
            &[
                (100, 100, "FACTURE N° FA-2025-00123"),
                (1400, 100, "Date : 12/03/2025"),
                (100, 300, "N° adhérent : ADH 004 213 7"),
                (100, 400, "Siret : 732 829 320 00074"),
                (100, 600, "Montant total : 100,00 €"),
                (100, 700, "Part Sécurité sociale : 60,00 €"),
                (100, 800, "Part mutuelle : 30,00 €"),
                (100, 900, "Reste à charge : 10,00 €"),
            ],
        );
        let got = run(Class::Invoice, &[p]);
        let v = |k: &str| got.get(k).map(|f| f.value.clone());
        assert_eq!(v("invoice_number"), Some(json!("FA-2025-00123")));
        assert_eq!(v("invoice_date"), Some(json!("2025-03-12")));
        assert_eq!(v("member_number"), Some(json!("ADH0042137")));
        assert_eq!(v("provider_siret"), Some(json!("73282932000074")));
        assert_eq!(v("total_amount"), Some(json!("100.00")));
        assert_eq!(v("remaining_amount"), Some(json!("10.00")));
        // Amounts that add up are valid; the SIRET's Luhn sum holds.
        assert!(got["total_amount"].valid && got["provider_siret"].valid);
        assert_eq!(got["provider_siret"].page, 1);
        assert!(got["provider_siret"].bbox[2] > got["provider_siret"].bbox[0]);

        // Under the label, as forms print it; a wrong NIR key is never valid.
        let p = page(
            1,
            &[
                (100, 100, "N° de sécurité sociale"),
                (100, 160, "2 69 05 49 588 157 81"),
                (1200, 100, "IBAN"),
                (1200, 160, "FR76 1333 5000 4008 9328 9136 106"),
            ],
        );
        let got = run(Class::MembershipForm, &[p]);
        assert_eq!(got["nir"].value, json!("269054958815781"));
        assert!(!got["nir"].valid);
        assert_eq!(got["iban"].value, json!("FR7613335000400893289136106"));
        assert!(got["iban"].valid);
    }

    /// An IBAN written one character per cell: the gaps between groups of cells split the
    /// line into segments; the whole line is read when its check holds.
    #[test]
    fn iban_across_the_gaps_of_a_comb() {
        let p = page(
            1,
            &[
                (100, 500, "IBAN"),
                (300, 500, "FR76 1333 5000 4008 9328"),
                (1000, 500, "9136 106"),
            ],
        );
        let got = run(Class::MembershipForm, &[p]);
        assert_eq!(got["iban"].value, json!("FR7613335000400893289136106"));
        assert!(got["iban"].valid);
    }

    #[test]
    fn amounts_that_do_not_add_up_are_not_valid() {
        let p = page(
            1,
            &[
                (100, 600, "Montant total : 100,00 €"),
                (100, 700, "Part Sécurité sociale : 60,00 €"),
                (100, 900, "Reste à charge : 20,00 €"),
            ],
        );
        let got = run(Class::Invoice, &[p]);
        assert_eq!(got["total_amount"].value, json!("100.00"));
        assert!(!got["total_amount"].valid && !got["remaining_amount"].valid);
    }

    #[test]
    fn complaint_fields() {
        let p = page(
            1,
            &[
                (100, 100, "Mme Anne DURAND"),
                (100, 160, "N° adhérent : M12345678"),
                (1400, 300, "Lyon, le 3 mars 2025"),
                (100, 400, "Objet : Refus de remboursement"),
                (100, 500, "Madame, Monsieur,"),
                (
                    100,
                    600,
                    "Votre décompte n° DEC-2025-12345 ne rembourse rien.",
                ),
                (
                    100,
                    700,
                    "Il me manque 45,20 € sur la facture n° FA-2025-00999.",
                ),
                (100, 800, "Sans réponse, je saisirai le médiateur."),
                (100, 900, "Veuillez agréer mes salutations distinguées."),
                (100, 1000, "Anne DURAND"),
            ],
        );
        let got = run(Class::Complaint, &[p]);
        let v = |k: &str| got.get(k).map(|f| f.value.clone());
        assert_eq!(v("last_name"), Some(json!("DURAND")));
        assert_eq!(v("first_name"), Some(json!("Anne")));
        assert_eq!(v("member_number"), Some(json!("M12345678")));
        assert_eq!(v("letter_date"), Some(json!("2025-03-03")));
        assert_eq!(v("subject"), Some(json!("Refus de remboursement")));
        assert_eq!(v("disputed_amount"), Some(json!("45.20")));
        assert_eq!(v("escalation"), Some(json!(true)));
        assert_eq!(
            v("references"),
            Some(json!(["DEC-2025-12345", "FA-2025-00999"]))
        );
    }

    /// A quote printing two offers side by side: the amounts are those of the offer whose
    /// box OCR did not read as an empty outline.
    #[test]
    fn quote_amounts_of_the_chosen_offer() {
        let p = page(
            1,
            &[
                (100, 1000, "Prix total TTC 260,00 €"),
                (1300, 1000, "Prix total TTC 905,50 €"),
                (100, 1060, "Remboursement AMO 40,20 €"),
                (1300, 1060, "Remboursement AMO 0,09 €"),
                (100, 1120, "Reste à charge 219,80 €"),
                (1300, 1120, "Reste à charge 905,41 €"),
                (100, 1200, "[] Offre choisie par le patient"),
                (1300, 1200, "Offre choisie par le patient"),
            ],
        );
        let got = run(Class::Quote, &[p]);
        let v = |k: &str| got.get(k).map(|f| f.value.clone());
        assert_eq!(v("total_amount"), Some(json!("905.50")));
        assert_eq!(v("social_security_amount"), Some(json!("0.09")));
        assert_eq!(v("remaining_amount"), Some(json!("905.41")));
        assert!(got["total_amount"].valid);
    }

    /// The same with the OCR stage's check boxes: the ticked one before a caption names the
    /// offer, whatever its outline was read as.
    #[test]
    fn quote_amounts_of_the_offer_ticked() {
        let mut p = page(
            1,
            &[
                (100, 1000, "Prix total TTC 125,00 €"),
                (1300, 1000, "Prix total TTC 530,90 €"),
                (100, 1060, "Remboursement AMO 17,40 €"),
                (1300, 1060, "Remboursement AMO 0,09 €"),
                (100, 1120, "Remboursement AMC estimé 107,60 €"),
                (1300, 1120, "Remboursement AMC estimé 280,00 €"),
                (100, 1180, "Reste à charge 0,00 €"),
                (1300, 1180, "Reste à charge 250,81 €"),
                (160, 1260, "Offre choisie par le patient"),
                (1360, 1260, "[1 Offre choisie par le patient"),
            ],
        );
        let mark = |x: u32, ticked: bool| crate::page::ReadMark {
            bbox: [x, 1256, x + 46, 1302],
            ticked,
            fill: if ticked { 0.4 } else { 0.0 },
        };
        p.marks = vec![mark(100, true), mark(1250, false)];
        p.ink_read = true;
        let got = run(Class::Quote, &[p]);
        let v = |k: &str| got.get(k).map(|f| f.value.clone());
        assert_eq!(v("total_amount"), Some(json!("125.00")));
        assert_eq!(v("social_security_amount"), Some(json!("17.40")));
        assert_eq!(v("remaining_amount"), Some(json!("0.00")));
    }

    /// Amounts whose decimal comma OCR dropped (`12500€`, `1740 €`) are read as cents when
    /// that makes the amounts add up.
    #[test]
    fn amounts_without_their_comma_that_add_up() {
        let p = page(
            1,
            &[
                (100, 600, "Prix total TTC 12500€"),
                (100, 700, "Remboursement AMO 1740 €"),
                (100, 800, "Remboursement AMC estimé 107,60 €"),
                (100, 900, "Reste à charge 0,00 €"),
            ],
        );
        let got = run(Class::Quote, &[p]);
        assert_eq!(got["total_amount"].value, json!("125.00"));
        assert_eq!(got["social_security_amount"].value, json!("17.40"));
        assert_eq!(got["complementary_amount"].value, json!("107.60"));
    }

    /// Alone, nothing confirms the cents reading: the figure is read as printed.
    #[test]
    fn amounts_without_their_comma_alone_are_read_as_printed() {
        let p = page(1, &[(100, 600, "Prix total TTC 12500€")]);
        let got = run(Class::Quote, &[p]);
        assert_eq!(got["total_amount"].value, json!("12500.00"));
    }

    /// `Patient(e) :` names the patient; the insured printed under it is someone else.
    #[test]
    fn patient_not_the_insured() {
        let p = page(
            1,
            &[
                (100, 300, "Patient(e) : M. Jean ARNAUD (né le 14/08/2008)"),
                (100, 360, "Assuré(e) : ROY Vincent"),
            ],
        );
        let got = run(Class::Invoice, &[p]);
        assert_eq!(got["patient_last_name"].value, json!("ARNAUD"));
        assert_eq!(got["patient_first_name"].value, json!("Jean"));
    }

    /// A figure misread by one confusable digit (`0,00` read `6,00`) is read again when that,
    /// and only that, makes the amounts add up; it stays in doubt (not valid).
    #[test]
    fn a_misread_digit_mended_by_the_sum() {
        let p = page(
            1,
            &[
                (100, 600, "Montant total : 548,92 €"),
                (100, 700, "Part Sécurité sociale : 300,00 €"),
                (100, 800, "Part mutuelle : 248,92 €"),
                (100, 900, "Reste à charge : 6,00 €"),
            ],
        );
        let got = run(Class::Invoice, &[p]);
        assert_eq!(got["remaining_amount"].value, json!("0.00"));
        assert!(!got["remaining_amount"].valid);
        // Amounts that add up as read are kept as read.
        let p = page(
            1,
            &[
                (100, 600, "Montant total : 554,92 €"),
                (100, 700, "Part Sécurité sociale : 300,00 €"),
                (100, 800, "Part mutuelle : 248,92 €"),
                (100, 900, "Reste à charge : 6,00 €"),
            ],
        );
        let got = run(Class::Invoice, &[p]);
        assert_eq!(got["remaining_amount"].value, json!("6.00"));
        assert!(got["remaining_amount"].valid);
    }

    /// A form's `Nom Prénom` label over the full name; `nom de voie` is an address's.
    #[test]
    fn member_full_name_under_one_label() {
        let p = page(
            1,
            &[
                (100, 300, "Nom Prénom"),
                (100, 360, "HUBERT Margaux"),
                (100, 500, "Adresse (n°, type et nom de voie)"),
                (100, 560, "83 boulevard Gambetta"),
            ],
        );
        let got = run(Class::MembershipForm, &[p]);
        let v = |k: &str| got.get(k).map(|f| f.value.clone());
        assert_eq!(v("last_name"), Some(json!("HUBERT")));
        assert_eq!(v("first_name"), Some(json!("Margaux")));
        assert_eq!(v("address"), Some(json!("83 boulevard Gambetta")));
    }

    /// A web mail's printout: the title above `1 message` is the subject, the sender below.
    #[test]
    fn webmail_subject_and_sender() {
        let p = page(
            1,
            &[
                (100, 100, "Orange Sandrine BRUNET <brunet@orange.fr>"),
                (100, 160, "Réclamation – montant remboursé insuffisant"),
                (100, 220, "1 message"),
                (
                    100,
                    280,
                    "BRUNET Sandrine <brunet@orange.fr> mar. 28 octobre 2025",
                ),
                (100, 400, "Bonjour,"),
                (100, 460, "Je conteste le remboursement de ma facture."),
            ],
        );
        let got = run(Class::Complaint, &[p]);
        let v = |k: &str| got.get(k).map(|f| f.value.clone());
        assert_eq!(
            v("subject"),
            Some(json!("Réclamation – montant remboursé insuffisant"))
        );
        assert_eq!(v("last_name"), Some(json!("BRUNET")));
        assert_eq!(v("first_name"), Some(json!("Sandrine")));
    }

    /// An invoice with VAT: the total paid is the last amount of the total row, the sum of
    /// the amount before tax and the tax; a foreign label and date are read.
    #[test]
    fn vat_total_and_foreign_labels() {
        let p = page(
            1,
            &[
                (100, 100, "Rechnungsnr. 30064443"),
                (100, 160, "Rechnungsdatum 7. Mai 2014"),
                (100, 600, "Total facture 24,99 5,00 29,99"),
                (100, 700, "TVA 20% payée sur les encaissements 5,00"),
            ],
        );
        let got = run(Class::Invoice, &[p]);
        let v = |k: &str| got.get(k).map(|f| f.value.clone());
        assert_eq!(v("total_amount"), Some(json!("29.99")));
        assert_eq!(v("invoice_number"), Some(json!("30064443")));
        assert_eq!(v("invoice_date"), Some(json!("2014-05-07")));
    }

    /// A dependants table: rows start with a last name in capitals (`LE GALL Zoé`); a line
    /// of another column between rows does not end it; `Aucun bénéficiaire` declares none,
    /// and the signature's line closes an empty table before a legal notice's date.
    #[test]
    fn dependants_rows_and_their_end() {
        let p = page(
            1,
            &[
                (100, 100, "Ayants droit à couvrir"),
                (100, 160, "Nom Prénom Date de naissance"),
                (100, 220, "LE GALL Zoé 08/01/2014"),
                (100, 280, "J'autorise la mutuelle à prélever"),
                (100, 340, "Enfant LE GALL Mohamed 10/10/2014"),
                (100, 400, "Fait à Brest le 12/03/2025"),
            ],
        );
        let got = run(Class::MembershipForm, &[p]);
        assert_eq!(
            got["dependants"].value,
            json!([
                {"last_name": "LE GALL", "first_name": "Zoé", "birth_date": "2014-01-08"},
                {"last_name": "LE GALL", "first_name": "Mohamed", "birth_date": "2014-10-10"}
            ])
        );
        let p = page(
            1,
            &[
                (100, 100, "Bénéficiaires"),
                (100, 160, "Nom Prénom Date de naissance Régime"),
                (100, 220, "Fait à Paris Signature"),
                (100, 280, "Solidarité Mutualiste Code SIREN 05/12/2023"),
            ],
        );
        let got = run(Class::MembershipForm, &[p]);
        assert_eq!(got["dependants"].value, json!([]));
        let p = page(
            1,
            &[
                (100, 100, "Bénéficiaires"),
                (
                    100,
                    160,
                    "Aucun bénéficiaire déclaré en plus du souscripteur.",
                ),
            ],
        );
        let got = run(Class::MembershipForm, &[p]);
        assert!(!got.contains_key("dependants"));
    }

    /// The insurer's data protection address in the legal notice is not the member's.
    #[test]
    fn the_insurers_email_is_not_the_members() {
        let p = page(
            1,
            &[
                (100, 100, "Nom : DURAND Prénom : Anne"),
                (
                    100,
                    3000,
                    "RGPD - Vos données sont traitées : dpo@sante-horizon.fr",
                ),
            ],
        );
        let got = run(Class::MembershipForm, &[p]);
        assert!(!got.contains_key("email"));
    }

    /// `DA SILVAJulie`: cut where the case changes, neither part trusted alone.
    #[test]
    fn a_glued_name_is_cut_and_not_trusted() {
        let p = page(1, &[(100, 300, "Patient : DA SILVAJulie")]);
        let got = run(Class::Invoice, &[p]);
        assert_eq!(got["patient_last_name"].value, json!("DA SILVA"));
        assert_eq!(got["patient_first_name"].value, json!("Julie"));
        assert!(!got["patient_last_name"].valid && !got["patient_first_name"].valid);
    }

    /// The sender's civility and name at the head of a letter are not its salutation: the
    /// date alone on its line above the subject is the letter's.
    #[test]
    fn letter_date_under_the_senders_name() {
        let p = page(
            1,
            &[
                (100, 100, "Monsieur David MAILLARD"),
                (100, 160, "21000 Dijon"),
                (1400, 300, "09/04/2025"),
                (100, 500, "Objet : Transmission de documents"),
                (100, 600, "Madame, Monsieur,"),
            ],
        );
        let got = run(Class::Complaint, &[p]);
        assert_eq!(got["letter_date"].value, json!("2025-04-09"));
    }

    /// A plan printed as `Formule 4` after its label; `étabii le` for `établi le`.
    #[test]
    fn plan_named_formule_and_quote_established() {
        let p = page(1, &[(100, 100, "Formule"), (700, 100, "Formule 4")]);
        let got = run(Class::MembershipForm, &[p]);
        assert_eq!(got["plan"].value, json!("Formule 4"));
        let p = page(1, &[(100, 100, "Devis n° 93345932 étabii le 06/04/2026")]);
        let got = run(Class::Quote, &[p]);
        assert_eq!(got["quote_date"].value, json!("2026-04-06"));
    }

    /// A total row whose `TOTAL` OCR misread: its amounts are the sums of the rows above in
    /// their columns, and the first is the sum of the others.
    #[test]
    fn a_total_row_without_its_label() {
        let p = page(
            1,
            &[
                (100, 900, "Honoraires Remb. AMO Reste à charge"),
                (100, 1000, "25 Couronne"),
                (1200, 1000, "491,00"),
                (1600, 1000, "72,00"),
                (2000, 1000, "419,00"),
                (100, 1060, "31 Couronne"),
                (1200, 1060, "500,00"),
                (1600, 1060, "72,00"),
                (2000, 1060, "428,00"),
                (100, 1120, "roma."),
                (1200, 1120, "991,00"),
                (1600, 1120, "144,00"),
                (2000, 1120, "847,00"),
            ],
        );
        let got = run(Class::Quote, &[p]);
        let v = |k: &str| got.get(k).map(|f| f.value.clone());
        assert_eq!(v("total_amount"), Some(json!("991.00")));
        assert_eq!(v("social_security_amount"), Some(json!("144.00")));
        assert_eq!(v("remaining_amount"), Some(json!("847.00")));
    }

    /// Two-column forms: `Nom [] Essentielle 38,49 € / mois` is a list of plans beside the
    /// label; the name stands under it, its particle in capitals kept (`LE GALL`).
    #[test]
    fn a_name_under_its_label_beside_a_price_list() {
        let p = page(
            1,
            &[
                (100, 500, "Nom []"),
                (1300, 500, "Essentielle"),
                (1800, 500, "38,49 € / mois"),
                (100, 560, "LE GALL"),
            ],
        );
        let got = run(Class::MembershipForm, &[p]);
        assert_eq!(got["last_name"].value, json!("LE GALL"));
    }
}
