//! NIR (numéro d'inscription au répertoire, "numéro de sécurité sociale").
//!
//! Layout of the 15 characters: sex (1), birth year (2), birth month (2), department (2,
//! `2A`/`2B` for Corsica), commune (3), order (3), key (2).

use time::Date;

use super::CheckError;

/// The numeric value of the two department characters for the key computation:
/// `2A` counts as 19 and `2B` as 18 (the historical rule that keeps Corsican keys
/// compatible with the old department 20).
fn department_digits(a: u8, b: u8) -> Option<[u8; 2]> {
    match (a, b) {
        (b'2', b'A') => Some([1, 9]),
        (b'2', b'B') => Some([1, 8]),
        (a, b) if a.is_ascii_digit() && b.is_ascii_digit() => Some([a - b'0', b - b'0']),
        _ => None,
    }
}

/// The key of a NIR from its first 13 characters: `97 − (n mod 97)`, with `2A` read as 19
/// and `2B` as 18 in positions 6–7. `None` when `first13` is not 13 characters of digits
/// (letters allowed only as `2A`/`2B` in positions 6–7).
pub fn nir_key(first13: &str) -> Option<u32> {
    let b = first13.as_bytes();
    if b.len() != 13 {
        return None;
    }
    let dept = department_digits(b[5], b[6])?;
    let mut n: u64 = 0;
    for (i, &c) in b.iter().enumerate() {
        let d = match i {
            5 => dept[0],
            6 => dept[1],
            _ if c.is_ascii_digit() => c - b'0',
            _ => return None,
        };
        n = n * 10 + u64::from(d);
    }
    // n < 10^13, so the remainder fits u32 and the key lies in 1..=97.
    Some(97 - (n % 97) as u32)
}

fn two_digits(b: &[u8]) -> Option<u32> {
    match b {
        [a, c] if a.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

/// Checks a normalised NIR (15 characters, no spaces, `2A`/`2B` upper case) and, when the
/// document also prints a birth date, that the NIR's birth year and month agree with it
/// (the month only when the NIR's month is a real month, 01–12).
///
/// # Errors
///
/// [`CheckError::NirFormat`], [`CheckError::NirSex`], [`CheckError::NirMonth`],
/// [`CheckError::NirDepartment`], [`CheckError::NirKey`] or
/// [`CheckError::NirBirthDate`], the first rule that fails in that order.
pub fn check_nir(nir: &str, birth_date: Option<Date>) -> Result<(), CheckError> {
    let b = nir.as_bytes();
    if b.len() != 15 {
        return Err(CheckError::NirFormat);
    }
    let digits_ok = b
        .iter()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || (i == 6 && b[5] == b'2' && matches!(c, b'A' | b'B')));
    if !digits_ok {
        return Err(CheckError::NirFormat);
    }
    if !matches!(b[0], b'1' | b'2' | b'7' | b'8') {
        return Err(CheckError::NirSex);
    }
    let month = two_digits(&b[3..5]).ok_or(CheckError::NirFormat)?;
    if !matches!(month, 1..=12 | 20..=42 | 50..=99) {
        return Err(CheckError::NirMonth);
    }
    if let Some(dept) = two_digits(&b[5..7])
        && dept == 0
    {
        return Err(CheckError::NirDepartment);
    }
    let expected = nir_key(&nir[..13]).ok_or(CheckError::NirFormat)?;
    let key = two_digits(&b[13..15]).ok_or(CheckError::NirFormat)?;
    if key != expected {
        return Err(CheckError::NirKey);
    }
    if let Some(birth) = birth_date {
        let year = two_digits(&b[1..3]).ok_or(CheckError::NirFormat)?;
        let birth_year = birth.year().rem_euclid(100).unsigned_abs();
        if year != birth_year
            || ((1..=12).contains(&month) && month != u32::from(u8::from(birth.month())))
        {
            return Err(CheckError::NirBirthDate);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// Builds a full NIR from its first 13 characters.
    fn with_key(first13: &str) -> String {
        format!("{first13}{:02}", nir_key(first13).unwrap())
    }

    #[test]
    fn known_valid_nir() {
        assert_eq!(nir_key("2690549588157"), Some(80));
        assert_eq!(check_nir("269054958815780", None), Ok(()));
        assert_eq!(
            check_nir("269054958815780", Some(date!(1969 - 05 - 12))),
            Ok(())
        );
    }

    #[test]
    fn one_changed_digit_breaks_the_key() {
        assert_eq!(check_nir("269054958815781", None), Err(CheckError::NirKey));
        assert_eq!(check_nir("269054958825780", None), Err(CheckError::NirKey));
        assert_eq!(check_nir("169054958815780", None), Err(CheckError::NirKey));
    }

    #[test]
    fn corsican_departments_use_19_and_18() {
        let first13 = "184022A004123";
        let key_2a = nir_key(first13).unwrap();
        let as_19 = (1_840_219_004_123_u64 % 97) as u32;
        assert_eq!(key_2a, 97 - as_19);
        let nir = with_key(first13);
        assert_eq!(check_nir(&nir, None), Ok(()));
        let first13b = "184022B004123";
        assert_eq!(
            nir_key(first13b),
            Some(97 - (1_840_218_004_123_u64 % 97) as u32)
        );
        assert_eq!(check_nir(&with_key(first13b), None), Ok(()));
        // The 2A key does not fit a 2B number (they differ by 1 000 000 ≢ 0 mod 97).
        let wrong = format!("{first13b}{key_2a:02}");
        assert_eq!(check_nir(&wrong, None), Err(CheckError::NirKey));
        // Lower case and other letters are not normalised NIRs.
        assert_eq!(nir_key("184022a004123"), None);
        assert_eq!(nir_key("18402AC004123"), None);
        assert_eq!(
            check_nir(&nir.to_lowercase(), None),
            Err(CheckError::NirFormat)
        );
    }

    #[test]
    fn structure_rules() {
        assert_eq!(check_nir("", None), Err(CheckError::NirFormat));
        assert_eq!(
            check_nir("26905495881578", None),
            Err(CheckError::NirFormat)
        );
        assert_eq!(
            check_nir("2690549588157800", None),
            Err(CheckError::NirFormat)
        );
        assert_eq!(
            check_nir("26905495881578O", None),
            Err(CheckError::NirFormat)
        );
        assert_eq!(
            check_nir("2690549588157é", None),
            Err(CheckError::NirFormat)
        );
        assert_eq!(
            check_nir(&with_key("3690549588157"), None),
            Err(CheckError::NirSex)
        );
        assert_eq!(
            check_nir(&with_key("2691349588157"), None),
            Err(CheckError::NirMonth)
        );
        assert_eq!(
            check_nir(&with_key("2690049588157"), None),
            Err(CheckError::NirMonth)
        );
        assert_eq!(
            check_nir(&with_key("2694349588157"), None),
            Err(CheckError::NirMonth)
        );
        assert_eq!(
            check_nir(&with_key("2690500588157"), None),
            Err(CheckError::NirDepartment)
        );
        // Unknown month (20–42, 50–99), foreign-born (99), overseas (97), temp. sex 7/8.
        for first13 in [
            "2692099588157",
            "1695099216001",
            "8690597411157",
            "7690599588157",
        ] {
            assert_eq!(check_nir(&with_key(first13), None), Ok(()), "{first13}");
        }
    }

    #[test]
    fn birth_date_must_agree() {
        let nir = "269054958815780";
        assert_eq!(
            check_nir(nir, Some(date!(1968 - 05 - 12))),
            Err(CheckError::NirBirthDate)
        );
        assert_eq!(
            check_nir(nir, Some(date!(1969 - 06 - 12))),
            Err(CheckError::NirBirthDate)
        );
        assert_eq!(check_nir(nir, Some(date!(2069 - 05 - 01))), Ok(()));
        // An unknown month in the NIR agrees with any birth month.
        let unknown = with_key("2693049588157");
        assert_eq!(check_nir(&unknown, Some(date!(1969 - 11 - 30))), Ok(()));
        assert_eq!(
            check_nir(&unknown, Some(date!(1970 - 11 - 30))),
            Err(CheckError::NirBirthDate)
        );
    }
}
