//! Identifiers and codes: NIR, IBAN, BIC, SIRET/FINESS/RPPS, phone, postal code, member
//! number, invoice/quote numbers, e-mail.
//!
//! These functions fix the form (spaces, separators, case); they do not check keys.

/// Removes whitespace and the given separator characters.
fn strip(s: &str, separators: &[char]) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !separators.contains(c) && !super::is_invisible(*c))
        .collect()
}

/// A NIR: spaces, dots and dashes removed, upper case; `Some` when 15 characters remain,
/// all digits except `2A`/`2B` as department (positions 6–7).
/// `2 69 05 49 588 157 80` → `269054958815780`.
pub fn nir(s: &str) -> Option<String> {
    let t = strip(s, &['.', '-']).to_uppercase();
    let b = t.as_bytes();
    let ok = b.len() == 15
        && b.iter().enumerate().all(|(i, c)| {
            c.is_ascii_digit() || (i == 6 && b[5] == b'2' && matches!(c, b'A' | b'B'))
        });
    ok.then_some(t)
}

/// An IBAN: upper case, spaces and dashes removed, a leading `IBAN` label dropped; `Some`
/// when 15–34 letters and digits remain, starting with a 2-letter country and 2 digits.
/// `FR76 1333 5000 4008 9328 9136 106` → `FR7613335000400893289136106`.
pub fn iban(s: &str) -> Option<String> {
    let t = strip(s, &['-', ':']).to_uppercase();
    let t = t.strip_prefix("IBAN").map(str::to_string).unwrap_or(t);
    let b = t.as_bytes();
    let ok = (15..=34).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit);
    ok.then_some(t)
}

/// A BIC: upper case, spaces removed; `Some` when 8 or 11 letters and digits remain.
pub fn bic(s: &str) -> Option<String> {
    let t = strip(s, &[]).to_uppercase();
    let ok = matches!(t.len(), 8 | 11)
        && t.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    ok.then_some(t)
}

/// Digits only, for SIRET, FINESS and RPPS: every character other than an ASCII digit is
/// dropped, except that a FINESS's Corsican department keeps its letter (`2A`, `2B`,
/// either case, directly after a leading `2`). `Some` when at least one digit remains.
/// `552 100 554 00014` → `55210055400014`.
pub fn digits(s: &str) -> Option<String> {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            out.push(c);
        } else if out == "2" && matches!(c, 'A' | 'B' | 'a' | 'b') {
            out.push(c.to_ascii_uppercase());
        }
    }
    out.bytes().any(|b| b.is_ascii_digit()).then_some(out)
}

/// A French phone number in national form: `+33 6 12 34 56 78`, `+33 (0)6 12 34 56 78`,
/// `0033 6 12 34 56 78`, `06.12.34.56.78`, `06-12-34-56-78` → `0612345678`. `Some` when
/// 10 digits starting with `0` remain.
pub fn phone(s: &str) -> Option<String> {
    let t = strip(s, &['.', '-', '/']).replace("(0)", "");
    let t = strip(&t, &['(', ')']);
    let national = if let Some(rest) = t.strip_prefix("+33") {
        format!("0{rest}")
    } else if let Some(rest) = t.strip_prefix("0033") {
        format!("0{rest}")
    } else {
        t
    };
    let ok = national.len() == 10
        && national.starts_with('0')
        && national.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(national)
}

/// A postal code: spaces removed; `Some` when 5 digits remain (`75 015` → `75015`).
pub fn postal_code(s: &str) -> Option<String> {
    let t = strip(s, &[]);
    (t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit())).then_some(t)
}

/// A member number: upper case, spaces, dots, dashes and slashes removed; `Some` when only
/// letters and digits remain. `adh 004 213 7` → `ADH0042137`.
pub fn member_number(s: &str) -> Option<String> {
    let t = strip(s, &['.', '-', '/']).to_uppercase();
    let ok = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    ok.then_some(t)
}

/// An invoice or quote number: upper case, no spaces, other characters kept
/// (`fa 2025/0042` → `FA2025/0042`). `None` when nothing is left.
pub fn code(s: &str) -> Option<String> {
    let t = strip(s, &[]).to_uppercase();
    (!t.is_empty()).then_some(t)
}

/// An e-mail address: spaces removed, lower case (addresses are case-insensitive in
/// practice and OCR mixes cases). `None` unless exactly one `@` remains.
pub fn email(s: &str) -> Option<String> {
    let t = strip(s, &[]).to_lowercase();
    (t.matches('@').count() == 1).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn nirs() {
        assert_eq!(nir("2 69 05 49 588 157 80"), some("269054958815780"));
        assert_eq!(nir("2.69.05.49.588.157.80"), some("269054958815780"));
        assert_eq!(nir("1 84 02 2a 004 123 45"), some("184022A00412345"));
        assert_eq!(nir("1\u{a0}84 02 2B 004 123 45"), some("184022B00412345"));
        assert_eq!(nir("2 69 05 49 588 157"), None);
        assert_eq!(nir("2 69 05 49 588 157 80 1"), None);
        assert_eq!(nir("2 69 05 4A 588 157 80"), None);
        assert_eq!(nir("2 69 O5 49 588 157 80"), None);
        assert_eq!(nir(""), None);
    }

    #[test]
    fn ibans_and_bics() {
        assert_eq!(
            iban("FR76 1333 5000 4008 9328 9136 106"),
            some("FR7613335000400893289136106")
        );
        assert_eq!(
            iban("IBAN : fr14 2004 1010 0505 0001 3m02 606"),
            some("FR1420041010050500013M02606")
        );
        assert_eq!(iban("FR76"), None);
        assert_eq!(iban("7613 3350 0040 0893 2891 3610 6FR"), None);
        assert_eq!(iban("FR76 1333 5000 4008 9328 9136 1O6 €"), None);
        assert_eq!(bic("cepa fr pp 333"), some("CEPAFRPP333"));
        assert_eq!(bic("BNPAFRPP"), some("BNPAFRPP"));
        assert_eq!(bic("BNPAFRP"), None);
        assert_eq!(bic("BNPA-FRPP"), None);
    }

    #[test]
    fn digit_identifiers() {
        assert_eq!(digits("552 100 554 00014"), some("55210055400014"));
        assert_eq!(digits("SIRET : 732.829.320.00074"), some("73282932000074"));
        assert_eq!(digits("2A 000 001 4"), some("2A0000014"));
        assert_eq!(digits("2b0000014"), some("2B0000014"));
        assert_eq!(digits("75 A 0712184"), some("750712184"));
        assert_eq!(digits("RPPS 10001234567"), some("10001234567"));
        assert_eq!(digits("abc"), None);
        assert_eq!(digits(""), None);
    }

    #[test]
    fn phones() {
        for s in [
            "+33 6 12 34 56 78",
            "+33 (0)6 12 34 56 78",
            "0033 6 12 34 56 78",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "06 12 34 56 78",
            "0612345678",
            "(06) 12 34 56 78",
        ] {
            assert_eq!(phone(s), some("0612345678"), "{s}");
        }
        assert_eq!(phone("01 45 67 89 01"), some("0145678901"));
        assert_eq!(phone("6 12 34 56 78"), None);
        assert_eq!(phone("+44 20 7946 0958"), None);
        assert_eq!(phone("06 12 34 56 7"), None);
        assert_eq!(phone("06 12 34 56 78 90"), None);
        assert_eq!(phone("tél"), None);
    }

    #[test]
    fn postal_codes_member_numbers_codes() {
        assert_eq!(postal_code("75015"), some("75015"));
        assert_eq!(postal_code("75 015"), some("75015"));
        assert_eq!(postal_code("7501"), None);
        assert_eq!(postal_code("75O15"), None);
        assert_eq!(member_number("adh 004 213 7"), some("ADH0042137"));
        assert_eq!(member_number("ADH-004.213/7"), some("ADH0042137"));
        assert_eq!(member_number("adh_0042137"), None);
        assert_eq!(member_number("  "), None);
        assert_eq!(code("fa 2025-0042"), some("FA2025-0042"));
        assert_eq!(code(" Dev 12 "), some("DEV12"));
        assert_eq!(code(" "), None);
    }

    #[test]
    fn emails() {
        assert_eq!(
            email(" Nathalie.Durand @ Example.fr "),
            some("nathalie.durand@example.fr")
        );
        assert_eq!(email("no-at-sign.fr"), None);
        assert_eq!(email("a@b@c.fr"), None);
    }
}
