//! Health-care provider identifiers: FINESS (establishments) and RPPS (practitioners).
//!
//! FIELDS.md makes both "format only": their Luhn key is not reliable enough across the
//! registries to reject a value, so a failed Luhn check is a warning for the clerk, never a
//! reason for `valid: false`.

use super::CheckError;
use super::luhn::luhn_valid;

/// True when the two first characters of a FINESS name a department: 01–95, 2A, 2B, or an
/// overseas department / collectivity (97x, 98x).
fn finess_department(a: u8, b: u8) -> bool {
    match (a, b) {
        (b'2', b'A' | b'B') => true,
        (b'9', b'7' | b'8') => true,
        (a, b) if a.is_ascii_digit() && b.is_ascii_digit() => {
            let dept = (a - b'0') * 10 + (b - b'0');
            (1..=95).contains(&dept)
        }
        _ => false,
    }
}

/// Checks the format of a FINESS number: 9 characters, the first two a department
/// (01–95, 2A, 2B, 97x/98x overseas), the other seven digits.
///
/// # Errors
///
/// [`CheckError::FinessFormat`] when the format does not match.
pub fn check_finess(s: &str) -> Result<(), CheckError> {
    let b = s.as_bytes();
    let ok = b.len() == 9 && finess_department(b[0], b[1]) && b[2..].iter().all(u8::is_ascii_digit);
    if ok {
        Ok(())
    } else {
        Err(CheckError::FinessFormat)
    }
}

/// Checks the format of an RPPS number: 11 digits.
///
/// # Errors
///
/// [`CheckError::RppsFormat`] when `s` is not 11 ASCII digits.
pub fn check_rpps(s: &str) -> Result<(), CheckError> {
    if s.len() == 11 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(CheckError::RppsFormat)
    }
}

/// The warning to show a clerk when a well-formed RPPS fails its Luhn check; `None` when it
/// passes, or when the value is malformed (that is [`check_rpps`]'s business).
pub fn rpps_luhn_warning(s: &str) -> Option<&'static str> {
    (check_rpps(s).is_ok() && !luhn_valid(s))
        .then_some("RPPS: clé de contrôle (Luhn) incorrecte, à vérifier")
}

/// The warning to show a clerk when a well-formed, all-digit FINESS fails its Luhn check;
/// `None` otherwise (Corsican `2A`/`2B` numbers are not checked).
pub fn finess_luhn_warning(s: &str) -> Option<&'static str> {
    (check_finess(s).is_ok() && s.bytes().all(|b| b.is_ascii_digit()) && !luhn_valid(s))
        .then_some("FINESS: clé de contrôle (Luhn) incorrecte, à vérifier")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::luhn_check_digit;

    #[test]
    fn finess_format() {
        assert_eq!(check_finess("750712184"), Ok(()));
        assert_eq!(check_finess("2A0000014"), Ok(()));
        assert_eq!(check_finess("2B0000014"), Ok(()));
        assert_eq!(check_finess("970421038"), Ok(()));
        assert_eq!(check_finess("010000024"), Ok(()));
        assert_eq!(check_finess("000000000"), Err(CheckError::FinessFormat));
        assert_eq!(check_finess("960000000"), Err(CheckError::FinessFormat));
        assert_eq!(check_finess("2C0000014"), Err(CheckError::FinessFormat));
        assert_eq!(check_finess("2a0000014"), Err(CheckError::FinessFormat));
        assert_eq!(check_finess("75071218"), Err(CheckError::FinessFormat));
        assert_eq!(check_finess("7507121845"), Err(CheckError::FinessFormat));
        assert_eq!(check_finess("75071218X"), Err(CheckError::FinessFormat));
        assert_eq!(check_finess(""), Err(CheckError::FinessFormat));
    }

    #[test]
    fn finess_luhn_is_a_warning_only() {
        let good = format!("75071218{}", luhn_check_digit("75071218"));
        let bad_digit = (luhn_check_digit("75071218") + 1) % 10;
        let bad = format!("75071218{bad_digit}");
        assert_eq!(check_finess(&good), Ok(()));
        assert_eq!(check_finess(&bad), Ok(()));
        assert_eq!(finess_luhn_warning(&good), None);
        assert!(finess_luhn_warning(&bad).is_some());
        assert_eq!(finess_luhn_warning("2A0000019"), None);
    }

    #[test]
    fn rpps_format_and_warning() {
        let good = format!("1000000000{}", luhn_check_digit("1000000000"));
        assert_eq!(check_rpps(&good), Ok(()));
        assert_eq!(rpps_luhn_warning(&good), None);
        let bad_digit = (luhn_check_digit("1000000000") + 5) % 10;
        let bad = format!("1000000000{bad_digit}");
        assert_eq!(check_rpps(&bad), Ok(()));
        assert!(rpps_luhn_warning(&bad).is_some());
        assert_eq!(check_rpps("1000000000"), Err(CheckError::RppsFormat));
        assert_eq!(check_rpps("1000000000A"), Err(CheckError::RppsFormat));
        assert_eq!(check_rpps("100 000 000 00"), Err(CheckError::RppsFormat));
        assert_eq!(rpps_luhn_warning("garbage"), None);
    }
}
