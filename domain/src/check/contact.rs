//! Contact details and the member number.

use super::CheckError;

/// Checks a French phone number in national form: 10 digits, `0` then a digit 1–9.
///
/// # Errors
///
/// [`CheckError::PhoneFormat`] when the layout does not match.
pub fn check_phone(s: &str) -> Result<(), CheckError> {
    let b = s.as_bytes();
    let ok = b.len() == 10
        && b[0] == b'0'
        && (b'1'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit);
    if ok {
        Ok(())
    } else {
        Err(CheckError::PhoneFormat)
    }
}

/// Checks a French postal code: 5 digits within 01000–98999 (00xxx and 99xxx are not
/// delivery codes).
///
/// # Errors
///
/// [`CheckError::PostalCode`] when not 5 digits or out of range.
pub fn check_postal_code(s: &str) -> Result<(), CheckError> {
    if s.len() != 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CheckError::PostalCode);
    }
    match s.parse::<u32>() {
        Ok(n) if (1000..=98999).contains(&n) => Ok(()),
        _ => Err(CheckError::PostalCode),
    }
}

/// Checks an e-mail address simply: one `@`, a non-empty local part, a domain with a dot
/// between non-empty labels, no spaces nor control characters. Deliberately lenient: the
/// aim is to catch OCR breakage, not to implement RFC 5322.
///
/// # Errors
///
/// [`CheckError::Email`] when the address does not have that shape.
pub fn check_email(s: &str) -> Result<(), CheckError> {
    let Some((local, domain)) = s.split_once('@') else {
        return Err(CheckError::Email);
    };
    let clean = |p: &str| {
        !p.is_empty()
            && !p.chars().any(|c| {
                c.is_whitespace() || c.is_control() || matches!(c, '@' | ',' | ';' | '<' | '>')
            })
    };
    let labels_ok = domain.contains('.') && domain.split('.').all(|l| !l.is_empty());
    if clean(local) && clean(domain) && labels_ok && s.len() <= 254 {
        Ok(())
    } else {
        Err(CheckError::Email)
    }
}

/// Checks a normalised member number: 4–20 upper-case ASCII letters and digits.
///
/// # Errors
///
/// [`CheckError::MemberNumber`] when the format does not match.
pub fn check_member_number(s: &str) -> Result<(), CheckError> {
    let ok = (4..=20).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(CheckError::MemberNumber)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(check_phone("0612345678"), Ok(()));
        assert_eq!(check_phone("0145678901"), Ok(()));
        assert_eq!(check_phone("0012345678"), Err(CheckError::PhoneFormat));
        assert_eq!(check_phone("612345678"), Err(CheckError::PhoneFormat));
        assert_eq!(check_phone("06123456789"), Err(CheckError::PhoneFormat));
        assert_eq!(check_phone("06 12 34 56 78"), Err(CheckError::PhoneFormat));
        assert_eq!(check_phone("+33612345678"), Err(CheckError::PhoneFormat));
    }

    #[test]
    fn postal_codes() {
        assert_eq!(check_postal_code("75015"), Ok(()));
        assert_eq!(check_postal_code("01000"), Ok(()));
        assert_eq!(check_postal_code("20000"), Ok(()));
        assert_eq!(check_postal_code("97400"), Ok(()));
        assert_eq!(check_postal_code("98999"), Ok(()));
        assert_eq!(check_postal_code("00999"), Err(CheckError::PostalCode));
        assert_eq!(check_postal_code("99000"), Err(CheckError::PostalCode));
        assert_eq!(check_postal_code("7501"), Err(CheckError::PostalCode));
        assert_eq!(check_postal_code("750155"), Err(CheckError::PostalCode));
        assert_eq!(check_postal_code("75 15"), Err(CheckError::PostalCode));
        assert_eq!(check_postal_code("+7501"), Err(CheckError::PostalCode));
    }

    #[test]
    fn emails() {
        assert_eq!(check_email("nathalie.durand@example.fr"), Ok(()));
        assert_eq!(check_email("a+b@sub.domaine.com"), Ok(()));
        assert_eq!(
            check_email("nathalie.durand@example"),
            Err(CheckError::Email)
        );
        assert_eq!(check_email("@example.fr"), Err(CheckError::Email));
        assert_eq!(check_email("a@@example.fr"), Err(CheckError::Email));
        assert_eq!(check_email("a b@example.fr"), Err(CheckError::Email));
        assert_eq!(check_email("a@example..fr"), Err(CheckError::Email));
        assert_eq!(check_email("a@example.fr."), Err(CheckError::Email));
        assert_eq!(check_email(""), Err(CheckError::Email));
    }

    #[test]
    fn member_numbers() {
        assert_eq!(check_member_number("ADH0042137"), Ok(()));
        assert_eq!(check_member_number("1234"), Ok(()));
        assert_eq!(check_member_number("123"), Err(CheckError::MemberNumber));
        assert_eq!(
            check_member_number("A".repeat(21).as_str()),
            Err(CheckError::MemberNumber)
        );
        assert_eq!(
            check_member_number("adh0042137"),
            Err(CheckError::MemberNumber)
        );
        assert_eq!(
            check_member_number("ADH 0042137"),
            Err(CheckError::MemberNumber)
        );
        assert_eq!(
            check_member_number("ADH-0042137"),
            Err(CheckError::MemberNumber)
        );
    }
}
