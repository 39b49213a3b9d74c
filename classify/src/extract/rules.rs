//! The labels of each field, as insurers, providers and members print them (folded: lower
//! case, no accents). A weight under 1 marks a wording that also labels other things.

use std::sync::LazyLock;

use mailroom_domain::Class;

use super::engine::{Dir, Rule, rule};
use super::values::VK;

use Dir::{Below, Both, Right};

/// `n°` as OCR reads it: `n°`, `nº`, `no`, `n*`, `n'`.
const NUM: &str = r"\bn\s?[°ºo*'e]?\.?";

fn member_number() -> Rule {
    rule(
        "member_number",
        VK::Member,
        &[
            (&format!(r"{NUM}\s*(d'?)?adh[ae]rent"), 1.0, Both),
            (r"adh[ae]rent\s*n", 1.0, Both),
            (r"(^|\s)adh[ae]rente?\s*:", 0.85, Right),
            (r"^adh[ae]rente?\b\s*:?", 0.7, Right),
            (r"\bref\.?\s*adherent", 1.0, Both),
            (r"numero\s*(d')?adherent", 1.0, Both),
            (r"\bmatricule\b", 0.9, Both),
            (r"\badh\b\.?\s*:", 0.8, Right),
            (r"contrat adherent\s*:?", 1.0, Right),
            (r"dossier d'adherent\s*(n\s?[°º]\s*)?:?", 0.9, Right),
            (r"adherente? sous \S{1,3} (numero|n°)", 0.9, Right),
            (r"(mon )?numero d'adherent\s*(est)?\s*:?", 1.0, Right),
            (
                r"adherente? (de|a|chez) (votre|la) mutuelle\s*\(?",
                0.9,
                Right,
            ),
            (r"numero de (contrat|membre)", 0.6, Right),
        ],
    )
}

fn provider_ids() -> Vec<Rule> {
    vec![
        rule("provider_siret", VK::Siret, &[(r"\bsiret\b", 1.0, Both)]),
        rule("provider_rpps", VK::Rpps, &[(r"\brpps\b", 1.0, Both)]),
        rule("provider_finess", VK::Finess, &[(r"\bfiness\b", 1.0, Both)]),
    ]
}

fn amounts(quote: bool) -> Vec<Rule> {
    let est = if quote { 1.0 } else { 0.9 };
    vec![
        rule(
            "total_amount",
            VK::Amount,
            &[
                (r"montant total", 1.0, Both),
                (
                    r"total (ttc|facture|des honoraires|des soins|du devis|general)",
                    1.0,
                    Both,
                ),
                (r"prix total", 1.0, Both),
                (r"somme a payer|montant a payer", 0.9, Both),
                (
                    r"total (due|amount( due)?|for this invoice)|amount due|balance due|grand total",
                    0.9,
                    Both,
                ),
                (
                    r"gesamtbetrag|rechnungsbetrag|endbetrag|totaal|te betalen",
                    0.9,
                    Both,
                ),
                (r"montant (ttc|du devis|des soins|facture)", 0.9, Both),
                (r"\btotal\b", 0.75, Both),
                (r"net a payer", 0.6, Right),
                (r"honoraires? total", 0.9, Right),
            ],
        ),
        rule(
            "social_security_amount",
            VK::Amount,
            &[
                (
                    r"part (de la )?(securite sociale|secu|s\.?s\.?|obligatoire|amo|assurance maladie|regime obligatoire|caisse)",
                    1.0,
                    Both,
                ),
                (
                    r"(remboursement|prise en charge|rembourse(ment)? par l'?) ?(amo|assurance maladie|securite sociale|secu|regime obligatoire)",
                    1.0,
                    Both,
                ),
                // `Part SS` with its space lost (`PartsS 0,09 €`).
                (r"\bparts\.?s\.?(\s|$)", 0.9, Right),
                (r"\bamo\b", 0.6, Both),
                (r"base (de )?remboursement", 0.2, Right),
            ],
        ),
        rule(
            "complementary_amount",
            VK::Amount,
            &[
                (
                    r"part (de l'|de la )?(complementaire|mutuelle|amc|organisme complementaire|rc)",
                    1.0,
                    Both,
                ),
                (
                    r"(remboursement|prise en charge|rembourse(ment)? par (la|votre)) ?(amc|mutuelle|complementaire)( estimee?)?",
                    est,
                    Both,
                ),
                (r"montant estime rembourse par la complementaire", 1.0, Both),
                (r"\bamc\b", 0.6, Both),
            ],
        ),
        rule(
            "remaining_amount",
            VK::Amount,
            &[
                (r"reste a (votre )?charge", 1.0, Both),
                (r"part (du )?(patient|assure|client)", 1.0, Both),
                (r"a payer (par l')?assure", 1.0, Both),
                (r"\bnon remb", 0.8, Both),
                (r"^reste\b", 0.7, Both),
                (r"reste du\b", 0.4, Right),
            ],
        ),
    ]
}

fn care_rules(class: Class) -> Vec<Rule> {
    let mut v = vec![member_number()];
    v.extend(provider_ids());
    if class == Class::Invoice {
        v.push(rule(
            "invoice_number",
            VK::Code,
            &[
                (r"facture\s*(n|num)[°º]?\.?", 1.0, Both),
                // Invoices from abroad (English, German, Dutch, Polish).
                (r"invoice\s*(no|number|num|nr|id)\b\.?\s*:?", 1.0, Both),
                (r"^invoice\b", 0.5, Right),
                (r"^#", 0.4, Right),
                (r"rechnungs?-?\s*(nr|nummer|number)\b\.?", 1.0, Both),
                (r"factuurnummer|numer faktury", 1.0, Both),
                (&format!(r"{NUM}\s*(de )?facture"), 1.0, Both),
                (r"note d'honoraires? n", 1.0, Right),
                (r"numero( de facture)?\s*:", 0.7, Right),
                (r"(^|\s)n\s?[°º]\s*:?", 0.5, Right),
                (r"\bref(erence)?\.?\s*:?", 0.45, Right),
            ],
        ));
        v.push(rule(
            "invoice_date",
            VK::Date,
            &[
                (r"date (de (la )?)?facture", 1.0, Both),
                (r"facture\s*n\S*\s+(\S+\s+)?du\b", 0.8, Right),
                (r"invoice date|date of (issue|invoice)|bill date", 1.0, Both),
                (r"rechnungsdatum|factuurdatum|data wystawienia", 1.0, Both),
                (r"date d'emission", 1.0, Both),
                (r"\bemise? le", 1.0, Right),
                (r"factur[e]e? le", 0.9, Right),
                (r"facture du", 0.8, Right),
                (r"^date(\s+[^\w\s]{1,2})*\s*:", 0.6, Right),
                (r"\bdate\s*:", 0.5, Right),
                (r"[a-z-]+, le\b", 0.6, Right),
                (r"^le\b", 0.5, Right),
                (r"^du\b", 0.35, Right),
            ],
        ));
        v.push(rule(
            "care_date",
            VK::Date,
            &[
                (r"date (des|du) soins?", 1.0, Both),
                (
                    r"date de (l'acte|la consultation|la seance|delivrance|l'intervention)",
                    1.0,
                    Both,
                ),
                (r"date d'adaptation", 1.0, Both),
                (r"\bdelivr(ance|e|es)\b( le)?", 0.9, Right),
                (r"\blivre(e|s)? le", 0.9, Right),
                (r"appareille(e)? le", 1.0, Right),
                (r"soins (realises|effectues|dispenses) le", 1.0, Right),
                (
                    r"(sejour|consultation|seance|acte|visite|intervention) du",
                    0.85,
                    Right,
                ),
                (r"hospitalisation[a-z ]* le", 0.85, Right),
                (r"^date$", 0.55, Below),
                (r"^date (de l')?acte$", 0.6, Below),
            ],
        ));
    } else {
        v.push(rule(
            "quote_number",
            VK::Code,
            &[
                (r"devis\s*(n|num)", 1.0, Both),
                (&format!(r"{NUM}\s*(de )?devis"), 1.0, Both),
                (r"reference du devis", 1.0, Both),
                (r"(^|\s)n\s?[°º]\s*:?", 0.5, Right),
            ],
        ));
        v.push(rule(
            "quote_date",
            VK::Date,
            &[
                (r"date du devis", 1.0, Both),
                // `établi le`, `étabii le` (an l read as an i).
                (r"\beta[bh][il1][il1]e?s? le\b", 1.0, Right),
                // `établi [e 07.04.26`: the `le` read as something else.
                (r"\betabli\b", 0.85, Right),
                (r"edite le", 1.0, Right),
                (r"devis du", 0.8, Right),
                // `Date ate : 23 mai 2025`: the label read twice, its colon apart.
                (r"^date\s+\S{1,4}\s*:", 0.45, Right),
                (r"^date(\s+[^\w\s]{1,2})*\s*:", 0.6, Right),
                (r"\bdate\s*:", 0.5, Right),
                (r"[a-z-]+, le\b", 0.55, Right),
            ],
        ));
        v.push(rule(
            "valid_until",
            VK::Date,
            &[
                (r"(valable|valide) jusqu'?\s?au", 1.0, Both),
                (r"validite( du devis)?", 0.9, Both),
                (r"jusqu'?\s?au", 0.6, Right),
            ],
        ));
    }
    v.extend(amounts(class == Class::Quote));
    v
}

fn membership_rules() -> Vec<Rule> {
    vec![
        rule(
            "nir",
            VK::Nir,
            &[
                (r"securite sociale", 1.0, Both),
                (r"immatriculation", 1.0, Both),
                (r"\bnir\b", 1.0, Both),
                (&format!(r"{NUM}\s*s\.?\s?s\b\.?"), 0.9, Both),
                (r"\binsee\b", 0.8, Both),
            ],
        ),
        rule(
            "birth_date",
            VK::Date,
            &[
                (r"date de naissance", 1.0, Both),
                (r"\bne\(?e?\)?\s*le\b", 1.0, Both),
                (r"\bnee? le\b", 1.0, Both),
            ],
        ),
        rule(
            "postal_code",
            VK::Postal,
            &[(r"code postal", 1.0, Both), (r"\bcp\b", 0.8, Right)],
        ),
        rule(
            "email",
            VK::Email,
            &[(r"e-?\s?mail", 1.0, Both), (r"courriel", 1.0, Both)],
        ),
        rule(
            "phone",
            VK::Phone,
            &[
                (r"\btelephone\b", 1.0, Both),
                (r"\btel\b", 1.0, Both),
                (r"portable|mobile", 0.9, Both),
            ],
        ),
        rule("iban", VK::Iban, &[(r"\biban\b", 1.0, Both)]),
        rule(
            "bic",
            VK::Bic,
            &[(r"\bbic\b", 1.0, Both), (r"swift", 0.8, Both)],
        ),
        rule(
            "effective_date",
            VK::Date,
            &[
                (r"date d'effet", 1.0, Both),
                (r"a effet (du|au)", 1.0, Both),
                (r"(prise|date) d'effet", 1.0, Both),
                (r"\beffet\b", 0.6, Both),
            ],
        ),
        rule(
            "signature_date",
            VK::Date,
            &[
                (r"fait ?a\b[^,]*,?\s*le\b", 1.0, Both),
                // `Fait Bordeaux 20.07.25`: the `à` and `le` lost; the date follows closely.
                (r"^\W*fait\b", 0.8, Right),
                (r"fait le\b", 1.0, Both),
                (r"date de (la )?signature", 1.0, Both),
                (r"^le\b\s*:?", 0.7, Both),
                (r", le\b", 0.6, Right),
            ],
        ),
    ]
}

fn complaint_rules() -> Vec<Rule> {
    vec![member_number()]
}

static MEMBERSHIP: LazyLock<Vec<Rule>> = LazyLock::new(membership_rules);
static INVOICE: LazyLock<Vec<Rule>> = LazyLock::new(|| care_rules(Class::Invoice));
static QUOTE: LazyLock<Vec<Rule>> = LazyLock::new(|| care_rules(Class::Quote));
static COMPLAINT: LazyLock<Vec<Rule>> = LazyLock::new(complaint_rules);

/// The label rules of a class.
pub fn rules(class: Class) -> &'static [Rule] {
    match class {
        Class::MembershipForm => &MEMBERSHIP,
        Class::Invoice => &INVOICE,
        Class::Quote => &QUOTE,
        Class::Complaint => &COMPLAINT,
        Class::Other => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        for c in Class::ALL {
            for r in rules(c) {
                assert_eq!(
                    r.labels.len(),
                    r.declared,
                    "{c}.{}: a pattern does not compile",
                    r.key
                );
            }
        }
    }

    #[test]
    fn fields_are_fields_of_their_class() {
        for c in Class::ALL {
            for r in rules(c) {
                assert!(
                    mailroom_domain::fields::field_spec(c, r.key).is_some(),
                    "{} is not a field of {c}",
                    r.key
                );
            }
        }
    }
}
