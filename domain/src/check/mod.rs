//! The check rules of FIELDS.md: what `valid: true` promises.
//!
//! Each rule takes a value in normalised form and returns `Result<(), CheckError>`; the
//! error's `Display` is a short French sentence shown to the clerk as is. The module also
//! holds the key computations (NIR key, RIB key, IBAN check digits, Luhn) that the sample
//! generator uses to build valid identifiers, so generator and checker share one
//! implementation.
//!
//! No function here panics, whatever the input: values come from OCR.

mod amounts;
mod bank;
mod contact;
mod dates;
mod health;
mod luhn;
mod nir;

pub use amounts::{check_amount_non_negative, check_amounts};
pub use bank::{check_bic, check_iban, iban_check_digits, iban_fr, iban_length, rib_key};
pub use contact::{check_email, check_member_number, check_phone, check_postal_code};
pub use dates::{check_date_not_future, check_effective_date, check_valid_until, parse_date};
pub use health::{check_finess, check_rpps, finess_luhn_warning, rpps_luhn_warning};
pub use luhn::{check_siren, check_siret, luhn_check_digit, luhn_valid};
pub use nir::{check_nir, nir_key};

/// Why a value fails its check rule. `Display` is the French message for the clerk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// Not 15 characters of digits (with `2A`/`2B` allowed as department).
    #[error("NIR mal formé (15 caractères attendus)")]
    NirFormat,
    /// First digit not 1, 2, 7 or 8.
    #[error("NIR: premier chiffre (sexe) impossible")]
    NirSex,
    /// Month not 01–12, 20–42 or 50–99.
    #[error("NIR: mois de naissance impossible")]
    NirMonth,
    /// Department not 01–99, 2A or 2B.
    #[error("NIR: département de naissance impossible")]
    NirDepartment,
    /// Key does not match the first 13 characters.
    #[error("clé NIR incorrecte")]
    NirKey,
    /// Birth year or month disagree with the birth date on the document.
    #[error("NIR incohérent avec la date de naissance")]
    NirBirthDate,
    /// Not upper-case letters and digits, or too short/long, or no country prefix.
    #[error("IBAN mal formé")]
    IbanFormat,
    /// Wrong length for the country.
    #[error("IBAN: longueur incorrecte pour le pays")]
    IbanLength,
    /// ISO 13616 mod 97 is not 1.
    #[error("IBAN invalide (clé de contrôle)")]
    IbanKey,
    /// Not 8 or 11 characters of the BIC layout.
    #[error("BIC mal formé")]
    BicFormat,
    /// Not 14 digits.
    #[error("SIRET mal formé (14 chiffres attendus)")]
    SiretFormat,
    /// Luhn check failed.
    #[error("SIRET invalide (Luhn)")]
    SiretLuhn,
    /// La Poste establishment whose digit sum is not a multiple of 5.
    #[error("SIRET La Poste invalide (somme des chiffres)")]
    SiretLaPoste,
    /// Not 9 digits.
    #[error("SIREN mal formé (9 chiffres attendus)")]
    SirenFormat,
    /// Luhn check failed.
    #[error("SIREN invalide (Luhn)")]
    SirenLuhn,
    /// Not 9 characters starting with a department.
    #[error("FINESS mal formé (9 caractères, département en tête)")]
    FinessFormat,
    /// Not 11 digits.
    #[error("RPPS mal formé (11 chiffres attendus)")]
    RppsFormat,
    /// Not `0` followed by 9 digits, second digit 1–9.
    #[error("téléphone mal formé (10 chiffres commençant par 0)")]
    PhoneFormat,
    /// Not 5 digits within 01000–98999.
    #[error("code postal invalide")]
    PostalCode,
    /// Not a plausible e-mail address.
    #[error("adresse e-mail invalide")]
    Email,
    /// Not 4–20 upper-case letters and digits.
    #[error("n° d'adhérent mal formé (4 à 20 lettres majuscules ou chiffres)")]
    MemberNumber,
    /// Not a real calendar date (or not `YYYY-MM-DD`).
    #[error("date impossible")]
    DateImpossible,
    /// After the envelope's reception.
    #[error("date dans le futur")]
    DateInFuture,
    /// `valid_until` not after `quote_date`.
    #[error("fin de validité antérieure ou égale à la date du devis")]
    ValidUntilBeforeQuote,
    /// `effective_date` before `signature_date`.
    #[error("date d'effet antérieure à la date de signature")]
    EffectiveBeforeSignature,
    /// `total ≠ AMO + AMC + reste à charge`.
    #[error("montants incohérents: total ≠ AMO + AMC + reste à charge")]
    AmountsMismatch,
    /// `total ≠ AMO + reste à charge` (no AMC printed).
    #[error("montants incohérents: total ≠ AMO + reste à charge")]
    AmountsMismatchNoComplementary,
    /// An amount below zero.
    #[error("montant négatif")]
    NegativeAmount,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_french() {
        assert_eq!(CheckError::NirKey.to_string(), "clé NIR incorrecte");
        assert_eq!(
            CheckError::IbanKey.to_string(),
            "IBAN invalide (clé de contrôle)"
        );
        assert_eq!(CheckError::SiretLuhn.to_string(), "SIRET invalide (Luhn)");
        assert_eq!(CheckError::DateImpossible.to_string(), "date impossible");
        assert_eq!(CheckError::DateInFuture.to_string(), "date dans le futur");
        assert_eq!(
            CheckError::AmountsMismatch.to_string(),
            "montants incohérents: total ≠ AMO + AMC + reste à charge"
        );
    }
}
