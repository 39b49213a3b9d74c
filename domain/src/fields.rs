//! Which fields each class carries (shared/domain/FIELDS.md).
//!
//! The table is static data so that the generator, the extractor, the user interface and the
//! evaluation cannot disagree on a key, a label or a kind.

use crate::Class;

/// The kind of a field: decides its normalised form, its check rule and how the evaluation
/// compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// Free text as printed, single spaces; compared case- and accent-insensitively.
    Text,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A euro amount, `1234.56`.
    Amount,
    /// French social security number, 15 characters.
    Nir,
    /// IBAN, upper case, no spaces.
    Iban,
    /// BIC, 8 or 11 characters.
    Bic,
    /// SIRET, 14 digits.
    Siret,
    /// FINESS, 9 characters (department first, `2A`/`2B` kept).
    Finess,
    /// RPPS, 11 digits.
    Rpps,
    /// French phone number in national form, `0XXXXXXXXX`.
    Phone,
    /// French postal code, 5 digits.
    PostalCode,
    /// The mutual's member number, upper case alphanumeric.
    MemberNumber,
    /// `true` / `false` (a ticked box, a signature, "Acquittée").
    Boolean,
    /// An invoice or quote number: upper case, no spaces.
    Code,
    /// One of [`CARE_TYPES`].
    CareType,
    /// An e-mail address.
    Email,
    /// A list of `{last_name, first_name, birth_date}` objects.
    Dependants,
    /// A list of text values (references cited by a complaint).
    TextList,
}

impl FieldKind {
    /// True for kinds the evaluation compares case- and accent-insensitively
    /// (see [`crate::normalize::fold_text`]).
    pub fn is_text(&self) -> bool {
        matches!(self, FieldKind::Text | FieldKind::TextList)
    }
}

/// One field of a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The key used in truth and results.
    pub key: &'static str,
    /// The label shown to clerks.
    pub label_fr: &'static str,
    /// The kind of value.
    pub kind: FieldKind,
}

/// The values of `care_type`, as written in truth and results.
pub const CARE_TYPES: [&str; 8] = [
    "optical",
    "dental",
    "hearing",
    "hospital",
    "pharmacy",
    "consultation",
    "paramedical",
    "other",
];

const fn spec(key: &'static str, label_fr: &'static str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        key,
        label_fr,
        kind,
    }
}

use FieldKind as K;

const MEMBERSHIP_FORM: &[FieldSpec] = &[
    spec("last_name", "Nom", K::Text),
    spec("first_name", "Prénom", K::Text),
    spec("birth_date", "Date de naissance", K::Date),
    spec("nir", "N° de sécurité sociale", K::Nir),
    spec("address", "Adresse", K::Text),
    spec("postal_code", "Code postal", K::PostalCode),
    spec("city", "Ville", K::Text),
    spec("email", "E-mail", K::Email),
    spec("phone", "Téléphone", K::Phone),
    spec("iban", "IBAN (prélèvement / remboursements)", K::Iban),
    spec("bic", "BIC", K::Bic),
    spec("plan", "Formule / garantie choisie", K::Text),
    spec("effective_date", "Date d'effet souhaitée", K::Date),
    spec("signature_date", "Fait le", K::Date),
    spec("signed", "Signature présente", K::Boolean),
    spec("dependants", "Ayants droit", K::Dependants),
];

const INVOICE: &[FieldSpec] = &[
    spec("member_number", "N° d'adhérent", K::MemberNumber),
    spec("patient_last_name", "Bénéficiaire des soins (nom)", K::Text),
    spec(
        "patient_first_name",
        "Bénéficiaire des soins (prénom)",
        K::Text,
    ),
    spec(
        "provider_name",
        "Professionnel / établissement de santé",
        K::Text,
    ),
    spec("provider_finess", "N° FINESS", K::Finess),
    spec("provider_rpps", "N° RPPS", K::Rpps),
    spec("provider_siret", "N° SIRET", K::Siret),
    spec("invoice_number", "N° de facture", K::Code),
    spec("invoice_date", "Date de facture", K::Date),
    spec("care_date", "Date des soins", K::Date),
    spec("care_type", "Nature des soins", K::CareType),
    spec("total_amount", "Montant total", K::Amount),
    spec(
        "social_security_amount",
        "Part Sécurité sociale (AMO)",
        K::Amount,
    ),
    spec(
        "complementary_amount",
        "Part complémentaire (AMC)",
        K::Amount,
    ),
    spec("remaining_amount", "Reste à charge", K::Amount),
    spec("paid", "Facture acquittée", K::Boolean),
];

const QUOTE: &[FieldSpec] = &[
    spec("member_number", "N° d'adhérent", K::MemberNumber),
    spec("patient_last_name", "Patient (nom)", K::Text),
    spec("patient_first_name", "Patient (prénom)", K::Text),
    spec("provider_name", "Professionnel", K::Text),
    spec("provider_finess", "N° FINESS", K::Finess),
    spec("provider_rpps", "N° RPPS", K::Rpps),
    spec("provider_siret", "N° SIRET", K::Siret),
    spec("quote_number", "N° de devis", K::Code),
    spec("quote_date", "Date du devis", K::Date),
    spec("valid_until", "Valable jusqu'au", K::Date),
    spec("care_type", "Nature des soins", K::CareType),
    spec("total_amount", "Montant total", K::Amount),
    spec(
        "social_security_amount",
        "Part Sécurité sociale (AMO)",
        K::Amount,
    ),
    spec(
        "complementary_amount",
        "Part complémentaire (AMC)",
        K::Amount,
    ),
    spec("remaining_amount", "Reste à charge", K::Amount),
];

const COMPLAINT: &[FieldSpec] = &[
    spec("member_number", "N° d'adhérent", K::MemberNumber),
    spec("last_name", "Réclamant (nom)", K::Text),
    spec("first_name", "Réclamant (prénom)", K::Text),
    spec("letter_date", "Date du courrier", K::Date),
    spec("subject", "Objet", K::Text),
    spec("references", "Références citées", K::TextList),
    spec("disputed_amount", "Montant contesté", K::Amount),
    spec(
        "escalation",
        "Mention d'escalade (médiateur, ACPR, avocat…)",
        K::Boolean,
    ),
];

/// The fields of a class, in the order of FIELDS.md (the order forms show them in).
/// `other` has none: it goes to manual qualification.
pub fn fields_of(class: Class) -> &'static [FieldSpec] {
    match class {
        Class::MembershipForm => MEMBERSHIP_FORM,
        Class::Invoice => INVOICE,
        Class::Quote => QUOTE,
        Class::Complaint => COMPLAINT,
        Class::Other => &[],
    }
}

/// The spec of `key` in `class`, if `class` has such a field.
pub fn field_spec(class: Class, key: &str) -> Option<&'static FieldSpec> {
    fields_of(class).iter().find(|f| f.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn field_counts_and_uniqueness() {
        assert_eq!(fields_of(Class::MembershipForm).len(), 16);
        assert_eq!(fields_of(Class::Invoice).len(), 16);
        assert_eq!(fields_of(Class::Quote).len(), 15);
        assert_eq!(fields_of(Class::Complaint).len(), 8);
        assert!(fields_of(Class::Other).is_empty());
        for c in Class::ALL {
            let keys: HashSet<_> = fields_of(c).iter().map(|f| f.key).collect();
            assert_eq!(keys.len(), fields_of(c).len(), "duplicate key in {c}");
        }
    }

    #[test]
    fn kinds_of_key_fields() {
        let k = |c, key| field_spec(c, key).map(|f| f.kind);
        assert_eq!(k(Class::MembershipForm, "nir"), Some(K::Nir));
        assert_eq!(k(Class::MembershipForm, "dependants"), Some(K::Dependants));
        assert_eq!(k(Class::MembershipForm, "email"), Some(K::Email));
        assert_eq!(k(Class::Invoice, "invoice_number"), Some(K::Code));
        assert_eq!(k(Class::Invoice, "provider_finess"), Some(K::Finess));
        assert_eq!(k(Class::Invoice, "provider_rpps"), Some(K::Rpps));
        assert_eq!(k(Class::Invoice, "provider_siret"), Some(K::Siret));
        assert_eq!(k(Class::Quote, "quote_number"), Some(K::Code));
        assert_eq!(k(Class::Quote, "valid_until"), Some(K::Date));
        assert_eq!(k(Class::Quote, "paid"), None);
        assert_eq!(k(Class::Complaint, "references"), Some(K::TextList));
        assert_eq!(k(Class::Complaint, "escalation"), Some(K::Boolean));
        assert_eq!(k(Class::Other, "nir"), None);
    }
}
