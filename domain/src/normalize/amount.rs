//! Amounts as printed on French (and a few foreign) invoices.

use crate::Amount;

/// Currency marks accepted before or after the number, longest first, lower case.
const CURRENCIES: [&str; 4] = ["euros", "euro", "eur", "€"];

/// Strips currency marks and a minus sign from both ends; returns (negative, number).
fn strip_decorations(s: &str) -> (bool, String) {
    let mut t = s.trim().to_string();
    let mut negative = false;
    loop {
        let before = t.len();
        let lower = t.to_lowercase();
        // `to_lowercase` keeps byte lengths for the ASCII and `€` marks we look for, but
        // not for every character, so the cuts below are made only when they land on
        // character boundaries of `t`.
        for cur in CURRENCIES {
            if lower.starts_with(cur) && t.is_char_boundary(cur.len()) {
                t = t[cur.len()..].trim_start().to_string();
                break;
            }
            if lower.ends_with(cur) && lower.len() == t.len() {
                let cut = t.len() - cur.len();
                if t.is_char_boundary(cut) {
                    t = t[..cut].trim_end().to_string();
                    break;
                }
            }
        }
        for minus in ['-', '\u{2212}', '\u{2013}'] {
            if let Some(rest) = t.strip_prefix(minus) {
                negative = true;
                t = rest.trim_start().to_string();
            }
        }
        if t.len() == before {
            return (negative, t);
        }
    }
}

/// Splits a number into (integer part, decimal digits) by finding its decimal separator.
fn split_decimal(body: &str) -> Option<(&str, &str)> {
    let last_dot = body.rfind('.');
    let last_comma = body.rfind(',');
    let sep = match (last_dot, last_comma) {
        // Both kinds: the last one is the decimal separator (`1.234,56`, `1,234.56`).
        (Some(d), Some(c)) => Some(d.max(c)),
        (Some(p), None) | (None, Some(p)) => {
            let sep_char = &body[p..=p];
            let after = body.len() - p - 1;
            // Once with 1 or 2 digits after: decimal (`12,5`, `12.50`); otherwise it is a
            // thousands separator (`1.234`, `1.234.567`).
            (body.matches(sep_char).count() == 1 && (1..=2).contains(&after)).then_some(p)
        }
        (None, None) => None,
    };
    match sep {
        Some(p) => {
            let decimals = &body[p + 1..];
            ((1..=2).contains(&decimals.len()) && decimals.bytes().all(|b| b.is_ascii_digit()))
                .then_some((&body[..p], decimals))
        }
        None => Some((body, "")),
    }
}

/// The euros of an integer part with optional thousands separators (space, `.`, `,`,
/// `'`): groups after the first must have exactly three digits, so that two numbers side
/// by side (`12 50`) are not read as one.
fn parse_euros(int_part: &str) -> Option<i64> {
    let groups: Vec<&str> = int_part.trim().split([' ', '.', ',', '\'']).collect();
    let first = groups.first()?;
    let grouped = groups.len() > 1;
    if first.is_empty() || (grouped && first.len() > 3) {
        return None;
    }
    let mut euros: i64 = 0;
    for (i, g) in groups.iter().enumerate() {
        if !g.bytes().all(|b| b.is_ascii_digit()) || (i > 0 && g.len() != 3) {
            return None;
        }
        for b in g.bytes() {
            euros = euros.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
        }
    }
    Some(euros)
}

/// Reads an amount as printed: `1 234,56 €`, `1 234,56` with no-break or narrow no-break
/// spaces, `1234.56 EUR`, `1.234,56`, `1,234.56`, `12,5` (12.50), `€ 12,50`, `12 €`,
/// `-12,00`, `12€50`.
///
/// A single `.` or `,` followed by exactly three digits is read as a thousands separator
/// (`1.234` = 1234.00): amounts on care invoices never have three decimals.
/// `None` when the text is not one amount.
pub fn amount(s: &str) -> Option<Amount> {
    let spaced: String = s
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let (negative, mut body) = strip_decorations(&spaced);
    // `12€50`: the euro sign as decimal separator.
    if let Some((euros, cents)) = body.split_once('€')
        && cents.len() == 2
        && cents.bytes().all(|b| b.is_ascii_digit())
    {
        body = format!("{euros},{cents}");
    }
    if body.is_empty()
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'.' | b',' | b'\''))
    {
        return None;
    }
    let (int_part, decimals) = split_decimal(&body)?;
    let euros = parse_euros(int_part)?;
    let cents: i64 = match decimals.len() {
        0 => 0,
        1 => decimals.parse::<i64>().ok()? * 10,
        _ => decimals.parse().ok()?,
    };
    let total = euros.checked_mul(100)?.checked_add(cents)?;
    Some(Amount::from_cents(if negative { -total } else { total }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(s: &str) -> Option<i64> {
        amount(s).map(|a| a.cents())
    }

    #[test]
    fn french_and_foreign_forms() {
        let cases = [
            ("1 234,56 €", 123456),
            ("1\u{a0}234,56", 123456),
            ("1\u{202f}234,56\u{a0}€", 123456),
            ("1234.56 EUR", 123456),
            ("1234,56 euros", 123456),
            ("1.234,56", 123456),
            ("1,234.56", 123456),
            ("12,5", 1250),
            ("€ 12,50", 1250),
            ("EUR 12.50", 1250),
            ("12 €", 1200),
            ("12€", 1200),
            ("12€50", 1250),
            ("-12,00", -1200),
            ("- 12,00 €", -1200),
            ("€ -12,00", -1200),
            ("\u{2212}3,10", -310),
            ("0,00", 0),
            ("1.234", 123400),
            ("1 234 567,89", 123456789),
            ("1.234.567,89", 123456789),
            ("  42  ", 4200),
            ("1'234.56", 123456),
        ];
        for (s, c) in cases {
            assert_eq!(cents(s), Some(c), "{s:?}");
        }
    }

    #[test]
    fn garbage_is_refused() {
        for s in [
            "",
            "€",
            "EUR",
            "42,",
            "abc",
            "12,345,67",
            "12 50",
            "1234 567",
            "12.3456",
            "12..50",
            "1,2,3",
            ",50",
            "12,50 €uros!",
            "--",
            "1e5",
            "99999999999999999999,00",
            "€€€",
            "İ€",
            "12,5€0",
            "\u{0}",
            "١٢,٥٠",
        ] {
            assert_eq!(cents(s), None, "{s:?}");
        }
    }

    #[test]
    fn round_trips_french_print_form() {
        for c in [0, 1, 99, 100, 123456, 100000000, -5050] {
            let a = Amount::from_cents(c);
            assert_eq!(amount(&a.format_fr()), Some(a));
            assert_eq!(amount(&format!("{} €", a.format_fr())), Some(a));
            assert_eq!(amount(&a.to_normalized()), Some(a));
        }
    }
}
