//! Luhn (mod 10) and the identifiers that use it: SIREN and SIRET.

use super::CheckError;

/// The SIREN of La Poste, whose establishments do not follow Luhn.
const LA_POSTE_SIREN: &str = "356000000";
/// La Poste's head office, the one La Poste SIRET that does follow Luhn.
const LA_POSTE_HEAD_OFFICE: &str = "35600000000048";

fn luhn_sum(digits: impl DoubleEndedIterator<Item = u32>, double_first: bool) -> u32 {
    digits
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if (i % 2 == 0) == double_first {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum()
}

/// True when `digits` is a non-empty string of ASCII digits whose Luhn sum is a multiple
/// of 10 (the last digit being the check digit).
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    luhn_sum(digits.bytes().map(|b| u32::from(b - b'0')), false) % 10 == 0
}

/// The Luhn check digit to append to `digits_without_check`. Characters other than ASCII
/// digits are ignored, so the function is total.
pub fn luhn_check_digit(digits_without_check: &str) -> u32 {
    let digits: Vec<u32> = digits_without_check
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u32::from(b - b'0'))
        .collect();
    (10 - luhn_sum(digits.into_iter(), true) % 10) % 10
}

fn all_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a SIREN (9 digits, Luhn).
///
/// # Errors
///
/// [`CheckError::SirenFormat`] when not 9 digits, [`CheckError::SirenLuhn`] when the Luhn
/// check fails.
pub fn check_siren(s: &str) -> Result<(), CheckError> {
    if !all_digits(s, 9) {
        return Err(CheckError::SirenFormat);
    }
    if luhn_valid(s) {
        Ok(())
    } else {
        Err(CheckError::SirenLuhn)
    }
}

/// Checks a SIRET (14 digits, Luhn). La Poste's establishments (SIREN 356000000) instead
/// need a digit sum that is a multiple of 5, except its head office `35600000000048`,
/// which follows Luhn like everyone else.
///
/// # Errors
///
/// [`CheckError::SiretFormat`] when not 14 digits, [`CheckError::SiretLaPoste`] or
/// [`CheckError::SiretLuhn`] when the check fails.
pub fn check_siret(s: &str) -> Result<(), CheckError> {
    if !all_digits(s, 14) {
        return Err(CheckError::SiretFormat);
    }
    if s.starts_with(LA_POSTE_SIREN) && s != LA_POSTE_HEAD_OFFICE {
        let sum: u32 = s.bytes().map(|b| u32::from(b - b'0')).sum();
        return if sum.is_multiple_of(5) {
            Ok(())
        } else {
            Err(CheckError::SiretLaPoste)
        };
    }
    if luhn_valid(s) {
        Ok(())
    } else {
        Err(CheckError::SiretLuhn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_basics() {
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(luhn_valid("0"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("7992 7398 713"));
        assert_eq!(luhn_check_digit("7992739871"), 3);
        assert_eq!(luhn_check_digit(""), 0);
        assert_eq!(luhn_check_digit("7992-7398-71"), 3);
        for base in ["1", "73282932000", "1000000000", "987654321"] {
            let full = format!("{base}{}", luhn_check_digit(base));
            assert!(luhn_valid(&full), "{full}");
        }
    }

    #[test]
    fn sirets() {
        assert_eq!(check_siret("73282932000074"), Ok(()));
        assert_eq!(check_siret("55210055400013"), Ok(()));
        assert_eq!(check_siret("55210055400014"), Err(CheckError::SiretLuhn));
        assert_eq!(check_siret("73282932000075"), Err(CheckError::SiretLuhn));
        assert_eq!(check_siret("73282932000047"), Err(CheckError::SiretLuhn));
        assert_eq!(check_siret("7328293200007"), Err(CheckError::SiretFormat));
        assert_eq!(check_siret("732829320000744"), Err(CheckError::SiretFormat));
        assert_eq!(check_siret("7328293200007A"), Err(CheckError::SiretFormat));
        assert_eq!(
            check_siret("732 829 320 00074"),
            Err(CheckError::SiretFormat)
        );
    }

    #[test]
    fn la_poste_sirets() {
        // Head office: Luhn.
        assert_eq!(check_siret("35600000000048"), Ok(()));
        // Establishments: digit sum multiple of 5, Luhn irrelevant.
        assert_eq!(check_siret("35600000000001"), Ok(()));
        assert!(!luhn_valid("35600000000001"));
        assert_eq!(check_siret("35600000012346"), Ok(()));
        assert_eq!(check_siret("35600000000014"), Err(CheckError::SiretLaPoste));
        assert_eq!(check_siret("35600000000049"), Err(CheckError::SiretLaPoste));
    }

    #[test]
    fn sirens() {
        assert_eq!(check_siren("732829320"), Ok(()));
        assert_eq!(check_siren("356000000"), Ok(()));
        assert_eq!(check_siren("732829321"), Err(CheckError::SirenLuhn));
        assert_eq!(check_siren("73282932"), Err(CheckError::SirenFormat));
        assert_eq!(check_siren(""), Err(CheckError::SirenFormat));
    }
}
