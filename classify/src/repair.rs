//! Identifiers read by OCR, repaired only when a check digit confirms the repair.
//!
//! OCR confuses letters and digits that look alike (O/0, I/l/1, S/5, B/8, Z/2, G/6) and
//! breaks numbers with stray spaces. Each function here takes the text read after a label
//! and returns the identifier in normalised form with whether it passed its check: the text
//! as read is tried first; a repaired form is returned as valid only when its check digit,
//! key or Luhn sum holds, and a form that fails its check is never valid.

use mailroom_domain::check;
use mailroom_domain::normalize;

/// An identifier read from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// Normalised value.
    pub value: String,
    /// Passed its check rule.
    pub valid: bool,
    /// Letters were turned into digits (or back) to get there.
    pub repaired: bool,
}

/// The digit a letter is commonly misread for, if any.
pub fn as_digit(c: char) -> Option<char> {
    Some(match c {
        '0'..='9' => c,
        'O' | 'o' | 'D' | 'Q' | 'U' => '0',
        'I' | 'l' | 'i' | '|' | '!' | 'L' | 'J' | ']' | '[' => '1',
        'Z' | 'z' => '2',
        'S' | 's' | '$' => '5',
        'B' => '8',
        'G' | 'b' => '6',
        'T' => '7',
        'g' | 'q' => '9',
        'A' => '4',
        _ => return None,
    })
}

/// The letter a digit is commonly misread for (in a place where a letter is expected).
fn as_letter(c: char) -> char {
    match c {
        '0' => 'O',
        '1' => 'I',
        '2' => 'Z',
        '5' => 'S',
        '8' => 'B',
        '6' => 'G',
        _ => c.to_ascii_uppercase(),
    }
}

/// Characters that carry an identifier: letters and digits, and the look-alikes of digits.
fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '|' | '!' | '$' | ']' | '['))
        .collect()
}

/// All characters mapped to digits; `None` if one cannot be.
fn all_digits(s: &str) -> Option<String> {
    s.chars().map(as_digit).collect()
}

/// A NIR (15 characters; `2A`/`2B` department kept).
pub fn nir(raw: &str, birth: Option<time::Date>) -> Option<Read> {
    let c = compact(raw).to_uppercase();
    let check = |v: &str| check::check_nir(v, birth).is_ok();
    if let Some(v) = normalize::nir(&c)
        && check(&v)
    {
        return Some(Read {
            value: v,
            valid: true,
            repaired: false,
        });
    }
    // Repair: digits everywhere except a Corsican department (positions 5-6: `2A`/`2B`).
    let chars: Vec<char> = compact(raw).chars().collect();
    if chars.len() == 15 {
        let mut out = String::new();
        for (i, &ch) in chars.iter().enumerate() {
            let corsica = i == 6 && out.ends_with('2') && matches!(ch, 'A' | 'B' | 'a' | 'b');
            if corsica {
                out.push(ch.to_ascii_uppercase());
            } else {
                out.push(as_digit(ch)?);
            }
        }
        if let Some(v) = normalize::nir(&out) {
            // Each character read again is a guess: past two, a key that holds may be chance
            // (the bars of a comb of boxes read as 1s), so the reading is not trusted.
            let guesses = out.chars().zip(c.chars()).filter(|(a, b)| a != b).count();
            let ok = check(&v) && guesses <= 2;
            return Some(Read {
                value: v,
                valid: ok,
                repaired: out != c,
            });
        }
    }
    normalize::nir(&c).map(|v| Read {
        value: v,
        valid: false,
        repaired: false,
    })
}

/// An IBAN: country letters, check digits and, for French IBANs, a numeric bank and branch.
pub fn iban(raw: &str) -> Option<Read> {
    let first = iban_once(raw);
    if first.as_ref().is_some_and(|r| r.valid) {
        return first;
    }
    // Written in a comb of boxes, whose lines OCR reads as `|`, `[` or `]` (taken above for
    // a 1): without them, when the check digits confirm it.
    if raw.contains(['|', '[', ']']) {
        let bare: String = raw
            .chars()
            .filter(|c| !matches!(c, '|' | '[' | ']'))
            .collect();
        if let Some(r) = iban_once(&bare)
            && r.valid
        {
            return Some(Read {
                repaired: true,
                ..r
            });
        }
    }
    first
}

fn iban_once(raw: &str) -> Option<Read> {
    let c = compact(raw).to_uppercase();
    let c = c.strip_prefix("IBAN").map(str::to_string).unwrap_or(c);
    // The country must be one with IBANs of that length: random letters and digits pass
    // the mod 97 test once in 97 tries.
    let ok = |v: &str| {
        check::check_iban(v).is_ok()
            && check::iban_length(v.get(..2).unwrap_or("")) == Some(v.len())
    };
    if let Some(v) = normalize::iban(&c)
        && ok(&v)
    {
        return Some(Read {
            value: v,
            valid: true,
            repaired: false,
        });
    }
    let mut chars: Vec<char> = c.chars().collect();
    if chars.len() < 15 {
        return None;
    }
    // A French IBAN whose country OCR misread (`ER76`, `FB76`): 27 characters and `76`.
    let fr_like = chars.len() == 27
        && chars[2..4]
            .iter()
            .map(|&c| as_digit(c))
            .collect::<Option<String>>()
            .as_deref()
            == Some("76");
    if fr_like && (chars[0] == 'F' || chars[1] == 'R') {
        chars[0] = 'F';
        chars[1] = 'R';
    }
    // Positions 0-1 letters, 2-3 digits; for FR, 4-13 digits and the last two digits.
    let mut fixed = String::new();
    let fr = chars.len() == 27 && as_letter(chars[0]) == 'F' && as_letter(chars[1]) == 'R';
    for (i, &ch) in chars.iter().enumerate() {
        let digit_place = (2..4).contains(&i) || (fr && ((4..14).contains(&i) || i >= 25));
        if i < 2 {
            fixed.push(as_letter(ch));
        } else if digit_place {
            fixed.push(as_digit(ch).unwrap_or(ch));
        } else {
            fixed.push(ch);
        }
    }
    if ok(&fixed) {
        return Some(Read {
            value: fixed,
            valid: true,
            repaired: true,
        });
    }
    // The account number of a French IBAN is digits in practice: try them as digits too.
    if fr {
        let mut all: String = fixed[..14].to_string();
        for ch in fixed[14..].chars() {
            all.push(as_digit(ch).unwrap_or(ch));
        }
        if ok(&all) {
            return Some(Read {
                value: all,
                valid: true,
                repaired: true,
            });
        }
    }
    // Comb boxes: a cell border read as `I`, `1` or `|` lengthens a French IBAN. Dropping
    // such characters is accepted only when the result passes both the IBAN key and the RIB
    // key it embeds, and only one way of dropping them does.
    let raw: Vec<char> = c.chars().collect();
    if (28..=29).contains(&raw.len()) {
        let extra = raw.len() - 27;
        let spots: Vec<usize> = (1..raw.len())
            .filter(|&i| matches!(raw[i], 'I' | '1' | 'L' | '|' | '!' | ']' | '['))
            .collect();
        let mut found: Vec<String> = Vec::new();
        let mut try_without = |skip: &[usize]| {
            let cand: Vec<char> = raw
                .iter()
                .enumerate()
                .filter(|(i, _)| !skip.contains(i))
                .map(|(_, c)| *c)
                .collect();
            if let Some(v) = french_iban(&cand)
                && !found.contains(&v)
            {
                found.push(v);
            }
        };
        for (a, &i) in spots.iter().enumerate() {
            if extra == 1 {
                try_without(&[i]);
            } else {
                for &j in &spots[a + 1..] {
                    try_without(&[i, j]);
                }
            }
        }
        if found.len() == 1 {
            return Some(Read {
                value: found.remove(0),
                valid: true,
                repaired: true,
            });
        }
    }
    normalize::iban(&c).map(|v| Read {
        value: v,
        valid: false,
        repaired: false,
    })
}

/// 27 characters read as a French IBAN (country letters, digits where a French IBAN has
/// digits), when both its IBAN key and its RIB key hold.
fn french_iban(chars: &[char]) -> Option<String> {
    if chars.len() != 27 {
        return None;
    }
    let mut v = String::from("FR");
    for (i, &ch) in chars.iter().enumerate().skip(2) {
        let digit_place = !(14..25).contains(&i);
        v.push(if digit_place { as_digit(ch)? } else { ch });
    }
    let rib =
        v[25..27].parse::<u32>().ok() == Some(check::rib_key(&v[4..9], &v[9..14], &v[14..25]));
    (rib && check::check_iban(&v).is_ok()).then_some(v)
}

/// A run of digits with a check rule (SIRET, RPPS, FINESS): letters mapped to digits only
/// when `confirm` holds for the result.
fn digits_with(
    raw: &str,
    len: usize,
    valid: impl Fn(&str) -> bool,
    confirm: impl Fn(&str) -> bool,
) -> Option<Read> {
    let c = compact(raw);
    if c.len() == len && c.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Read {
            valid: valid(&c),
            value: c,
            repaired: false,
        });
    }
    let d = all_digits(&c)?;
    if d.len() != len {
        return None;
    }
    if confirm(&d) && valid(&d) {
        Some(Read {
            value: d,
            valid: true,
            repaired: true,
        })
    } else {
        Some(Read {
            value: d,
            valid: false,
            repaired: true,
        })
    }
}

/// A SIRET (14 digits, Luhn or La Poste rule).
pub fn siret(raw: &str) -> Option<Read> {
    let ok = |v: &str| check::check_siret(v).is_ok();
    digits_with(raw, 14, ok, ok)
}

/// An RPPS (11 digits). Its Luhn key is only a warning for validity, but a repair needs it.
pub fn rpps(raw: &str) -> Option<Read> {
    digits_with(raw, 11, |v| check::check_rpps(v).is_ok(), check::luhn_valid)
        .or_else(|| rpps_extra_digit(raw))
}

/// An RPPS read with one digit too many (`109965768129`: a stroke read twice). The digit
/// whose removal leaves an RPPS (`10…`) with a Luhn sum that holds, when only one does, a
/// digit read twice (beside its copy) preferred. One chance in ten that a wrong removal
/// passes Luhn: the value is read, never marked valid.
fn rpps_extra_digit(raw: &str) -> Option<Read> {
    let c = compact(raw);
    if c.len() != 12 || !c.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let b = c.as_bytes();
    let mut found: Vec<(String, bool)> = Vec::new();
    for i in 0..b.len() {
        let v = format!("{}{}", &c[..i], &c[i + 1..]);
        if v.starts_with("10") && check::luhn_valid(&v) && !found.iter().any(|(f, _)| *f == v) {
            let twice = (i > 0 && b[i - 1] == b[i]) || b.get(i + 1) == Some(&b[i]);
            found.push((v, twice));
        }
    }
    let pick = if found.len() == 1 {
        found.pop()
    } else {
        let mut twice: Vec<(String, bool)> = found.into_iter().filter(|(_, t)| *t).collect();
        if twice.len() == 1 { twice.pop() } else { None }
    };
    pick.map(|(value, _)| Read {
        value,
        valid: false,
        repaired: true,
    })
}

/// A FINESS (9 characters, department first; `2A`/`2B` kept).
pub fn finess(raw: &str) -> Option<Read> {
    let c = compact(raw).to_uppercase();
    if c.len() != 9 {
        return None;
    }
    if check::check_finess(&c).is_ok() {
        return Some(Read {
            value: c,
            valid: true,
            repaired: false,
        });
    }
    let corsica = c.starts_with("2A") || c.starts_with("2B");
    let body: Option<String> = if corsica {
        all_digits(&c[2..]).map(|d| format!("{}{d}", &c[..2]))
    } else {
        all_digits(&c)
    };
    let d = body?;
    let confirmed = corsica || check::luhn_valid(&d);
    let valid = confirmed && check::check_finess(&d).is_ok();
    Some(Read {
        value: if valid { d } else { c },
        valid,
        repaired: valid,
    })
}

/// A BIC: 4 letters (bank), 2 letters (country), 2 alphanumerics, optional 3.
pub fn bic(raw: &str) -> Option<Read> {
    let c = compact(raw).to_uppercase();
    if c.len() != 8 && c.len() != 11 {
        return None;
    }
    if check::check_bic(&c).is_ok() {
        return Some(Read {
            value: c,
            valid: true,
            repaired: false,
        });
    }
    let fixed: String = c
        .chars()
        .enumerate()
        .map(|(i, ch)| if i < 6 { as_letter(ch) } else { ch })
        .collect();
    // No check digit in a BIC: a repaired BIC is given, never valid.
    Some(Read {
        value: fixed,
        valid: false,
        repaired: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nir_as_printed_and_repaired() {
        let r = nir("2 69 05 49 588 157 80", None).unwrap();
        assert_eq!(
            (r.value.as_str(), r.valid, r.repaired),
            ("269054958815780", true, false)
        );
        // O for 0 and l for 1, confirmed by the key.
        let r = nir("2 69 O5 49 588 l57 80", None).unwrap();
        assert_eq!(
            (r.value.as_str(), r.valid, r.repaired),
            ("269054958815780", true, true)
        );
        // A wrong key is read but never valid.
        let r = nir("2 69 05 49 588 157 81", None).unwrap();
        assert_eq!((r.value.as_str(), r.valid), ("269054958815781", false));
        // A repair that the key does not confirm is not valid.
        let r = nir("2 69 O5 49 588 l57 81", None).unwrap();
        assert!(!r.valid);
        // Corsica keeps its letter.
        let r = nir("1 85 12 2A 004 123 ", None);
        assert!(r.is_none() || !r.unwrap().valid);
        assert_eq!(nir("12", None), None);
    }

    #[test]
    fn nir_must_agree_with_birth_date() {
        let born = time::macros::date!(1969 - 05 - 12);
        assert!(nir("269054958815780", Some(born)).unwrap().valid);
        let other = time::macros::date!(1970 - 05 - 12);
        assert!(!nir("269054958815780", Some(other)).unwrap().valid);
    }

    #[test]
    fn iban_in_a_comb_of_boxes() {
        // The cells' lines read as `|` and `]`: without them the check digits hold.
        let r = iban("FR7|613335000400| 89328913 6106]").unwrap();
        assert_eq!(
            (r.value.as_str(), r.valid),
            ("FR7613335000400893289136106", true)
        );
        // Not when the check fails without them either.
        assert!(!iban("FR7|613335000400| 89328913 6107]").is_some_and(|r| r.valid));
    }

    #[test]
    fn iban_known_valid_and_invalid() {
        let r = iban("FR76 1333 5000 4008 9328 9136 106").unwrap();
        assert_eq!(
            (r.value.as_str(), r.valid),
            ("FR7613335000400893289136106", true)
        );
        let r = iban("FR76 1333 5OOO 4OO8 9328 9136 lO6").unwrap();
        assert_eq!(
            (r.value.as_str(), r.valid, r.repaired),
            ("FR7613335000400893289136106", true, true)
        );
        let r = iban("ER76 1333 5000 4008 9328 9136 106").unwrap();
        assert_eq!(
            (r.value.as_str(), r.valid, r.repaired),
            ("FR7613335000400893289136106", true, true)
        );
        let r = iban("FR76 1333 5000 4008 9328 9136 107").unwrap();
        assert!(!r.valid);
        let r = iban("FR14 2004 1010 0505 0001 3M02 606").unwrap();
        assert_eq!(
            (r.value.as_str(), r.valid),
            ("FR1420041010050500013M02606", true)
        );
        assert_eq!(iban("FR76 1333"), None);
        // Garbage that passes mod 97 by chance, in no IBAN country.
        assert!(!iban("II918AYUENUEIDEVERDUN").is_some_and(|r| r.valid));
        // A comb box's borders read as letters: confirmed by both keys.
        let r = iban("FIR 716 1333 5000 4008 9328 9136 106").unwrap();
        assert_eq!(
            (r.value.as_str(), r.valid, r.repaired),
            ("FR7613335000400893289136106", true, true)
        );
    }

    #[test]
    fn siret_known_valid_and_invalid() {
        let r = siret("732 829 320 00074").unwrap();
        assert_eq!((r.value.as_str(), r.valid), ("73282932000074", true));
        let r = siret("732 829 32O OOO74").unwrap();
        assert_eq!(
            (r.value.as_str(), r.valid, r.repaired),
            ("73282932000074", true, true)
        );
        let r = siret("732 829 320 00075").unwrap();
        assert!(!r.valid);
        // A repair the Luhn sum does not confirm is not valid.
        assert!(!siret("732 829 32O OOO75").unwrap().valid);
        // La Poste: digit sum multiple of 5.
        assert!(siret("356 000 000 00029").unwrap().valid);
        assert!(!siret("356 000 000 00028").unwrap().valid);
        assert_eq!(siret("552 100"), None);
    }

    #[test]
    fn rpps_and_finess() {
        let r = rpps("10544567026").unwrap();
        assert!(r.valid);
        let r = rpps("1O544567O26").unwrap();
        assert_eq!((r.value.as_str(), r.valid), ("10544567026", true));
        // A letter whose digit reading fails Luhn is not confirmed.
        assert!(!rpps("1O544567O27").unwrap().valid);
        assert!(finess("750712184").unwrap().valid);
        assert!(finess("2A0000018").unwrap().valid);
        assert_eq!(finess("75071"), None);
    }

    #[test]
    fn bic_is_never_valid_when_repaired() {
        let r = bic("CEPAFRPP333").unwrap();
        assert!(r.valid && !r.repaired);
        let r = bic("CEPAFRPP33").unwrap_or(Read {
            value: String::new(),
            valid: false,
            repaired: false,
        });
        assert!(!r.valid);
        let r = bic("CE0AFRPP333").unwrap();
        assert_eq!((r.value.as_str(), r.valid), ("CEOAFRPP333", false));
    }

    /// The bars of a comb of boxes read as 1s can make a key hold by chance: past two
    /// characters read again, a NIR is not trusted.
    #[test]
    fn nir_with_many_guesses_is_not_valid() {
        let r = nir("1|7|1|1|1|0|1|1|1|9|1|6|1", None);
        assert!(r.is_none_or(|r| !r.valid));
        let r = nir("l l 7 l l l 0 l l l l 9 l 6 l", None).unwrap();
        assert!(!r.valid);
    }

    /// An RPPS read with a digit too many: the one removal that leaves a Luhn sum that
    /// holds (or the digit read twice beside its copy), never valid.
    #[test]
    fn rpps_with_a_digit_too_many() {
        let r = rpps("101140424118").unwrap();
        assert_eq!((r.value.as_str(), r.valid), ("10114042418", false));
        let r = rpps("109965768129").unwrap();
        assert_eq!((r.value.as_str(), r.valid), ("10965768129", false));
        // Two removals possible, neither a digit read twice: nothing is guessed.
        assert!(rpps("106544661944").is_none());
    }
}
