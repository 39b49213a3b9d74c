//! Dates as printed on French documents.

use std::sync::LazyLock;

use regex::Regex;
use time::{Date, Month};

use super::fold_text;

/// A regex built once. `None` only if the pattern were invalid, which the tests rule out;
/// keeping it an `Option` means no code path can panic.
type Lazy = LazyLock<Option<Regex>>;

/// `2025-03-12`, `2025/03/12`.
static ISO: Lazy = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9])([0-9]{4})\s*[-/.]\s*([0-9]{1,2})\s*[-/.]\s*([0-9]{1,2})(?:[^0-9]|$)")
        .ok()
});

/// `12/03/2025`, `12-03-2025`, `12.03.25`, `12 / 03 / 25`.
static DMY: Lazy = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9])([0-9]{1,2})\s*[-/.]\s*([0-9]{1,2})\s*[-/.]\s*([0-9]{4}|[0-9]{2})(?:[^0-9]|$)")
        .ok()
});

/// `12 mars 2025`, `1er avril 2025`, `12 janv. 2025`, `12-mars-25` (on folded text).
static TEXTUAL: Lazy = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[^0-9])([0-9]{1,2})\s*(?:er|e|°)?[\s.\-/]*([a-z]+)\.?[\s.,\-/]*([0-9]{4}|[0-9]{2})(?:[^0-9]|$)",
    )
    .ok()
});

/// French month names, full and abbreviated, as [`fold_text`] leaves them (no accents).
fn month_from_name(name: &str) -> Option<Month> {
    Some(match name {
        "janvier" | "janv" | "jan" => Month::January,
        "fevrier" | "fevr" | "fev" => Month::February,
        "mars" | "mar" => Month::March,
        "avril" | "avr" => Month::April,
        "mai" => Month::May,
        "juin" => Month::June,
        "juillet" | "juil" | "jul" => Month::July,
        "aout" | "aou" => Month::August,
        "septembre" | "sept" | "sep" => Month::September,
        "octobre" | "oct" => Month::October,
        "novembre" | "nov" => Month::November,
        "decembre" | "dec" => Month::December,
        _ => return None,
    })
}

/// Years of documents and birth dates; anything outside is a misread.
const YEARS: std::ops::RangeInclusive<i32> = 1800..=2199;

/// A year as printed: four digits as is, two digits 00–69 → 20xx and 70–99 → 19xx.
fn year(s: &str) -> Option<i32> {
    let y: i32 = s.parse().ok()?;
    let y = match s.len() {
        2 if y < 70 => 2000 + y,
        2 => 1900 + y,
        4 => y,
        _ => return None,
    };
    YEARS.contains(&y).then_some(y)
}

fn build(y: &str, month: Option<Month>, d: &str) -> Option<Date> {
    let day: u8 = d.parse().ok()?;
    Date::from_calendar_date(year(y)?, month?, day).ok()
}

fn numeric_month(m: &str) -> Option<Month> {
    Month::try_from(m.parse::<u8>().ok()?).ok()
}

/// Reads a date as printed: `12/03/2025`, `12-03-2025`, `12.03.25`, `12/03/25`,
/// `2025-03-12`, `12 mars 2025`, `12 MARS 2025`, `le 1er avril 2025`,
/// `mardi 12 mars 2025`, `12 janv. 2025`, `fév`/`févr.`, accents optional (`fevrier`,
/// `aout`, `decembre`). Two-digit years 00–69 are 20xx, 70–99 19xx.
///
/// The date may sit inside other text (`Fait à Lyon, le 3 mars 2025`); the first readable
/// date wins, ISO first, then day-month-year with digits, then with a month name.
/// `None` when no real calendar date (`31/02/2025` is not one) can be read.
pub fn date(s: &str) -> Option<Date> {
    let folded = fold_text(&s.replace("ᵉʳ", "er"));
    let first = |re: &Lazy, f: &dyn Fn(&regex::Captures<'_>) -> Option<Date>| {
        re.as_ref()?.captures_iter(&folded).find_map(|c| f(&c))
    };
    first(&ISO, &|c| build(&c[1], numeric_month(&c[2]), &c[3]))
        .or_else(|| first(&DMY, &|c| build(&c[3], numeric_month(&c[2]), &c[1])))
        .or_else(|| first(&TEXTUAL, &|c| build(&c[3], month_from_name(&c[2]), &c[1])))
}

/// The normalised form of a date, `YYYY-MM-DD`.
pub fn date_to_string(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn numeric_forms() {
        let d = Some(date!(2025 - 03 - 12));
        for s in [
            "12/03/2025",
            "12-03-2025",
            "12.03.25",
            "12/03/25",
            "2025-03-12",
            "12.03.2025",
            "12 / 03 / 2025",
            "Date: 12/03/2025.",
            "2025/03/12",
            "le 12/03/2025",
        ] {
            assert_eq!(date(s), d, "{s}");
        }
        assert_eq!(date("1/4/2025"), Some(date!(2025 - 04 - 01)));
    }

    #[test]
    fn textual_forms() {
        let d = Some(date!(2025 - 03 - 12));
        for s in [
            "12 mars 2025",
            "12 MARS 2025",
            "mardi 12 mars 2025",
            "Mardi 12 Mars 25",
            "12-mars-2025",
        ] {
            assert_eq!(date(s), d, "{s}");
        }
        let april = Some(date!(2025 - 04 - 01));
        for s in [
            "le 1er avril 2025",
            "1er avril 2025",
            "1 avril 2025",
            "Le 1ER AVRIL 2025",
            "1ᵉʳ avril 2025",
        ] {
            assert_eq!(date(s), april, "{s}");
        }
        assert_eq!(
            date("Fait à Lyon, le 3 mars 2025"),
            Some(date!(2025 - 03 - 03))
        );
    }

    #[test]
    fn month_names_and_abbreviations() {
        let cases = [
            ("12 janv. 2025", date!(2025 - 01 - 12)),
            ("12 janvier 2025", date!(2025 - 01 - 12)),
            ("5 fév 2025", date!(2025 - 02 - 05)),
            ("5 févr. 2025", date!(2025 - 02 - 05)),
            ("5 fevrier 2025", date!(2025 - 02 - 05)),
            ("5 Février 2025", date!(2025 - 02 - 05)),
            ("15 aout 2024", date!(2024 - 08 - 15)),
            ("15 août 2024", date!(2024 - 08 - 15)),
            ("1 mai 2025", date!(2025 - 05 - 01)),
            ("21 juin 2025", date!(2025 - 06 - 21)),
            ("14 juil. 2025", date!(2025 - 07 - 14)),
            ("14 juillet 2025", date!(2025 - 07 - 14)),
            ("3 sept. 2025", date!(2025 - 09 - 03)),
            ("3 oct 2025", date!(2025 - 10 - 03)),
            ("11 nov. 2025", date!(2025 - 11 - 11)),
            ("25 decembre 2025", date!(2025 - 12 - 25)),
            ("25 déc. 2025", date!(2025 - 12 - 25)),
            ("2 avr. 2025", date!(2025 - 04 - 02)),
            ("9 mar 2025", date!(2025 - 03 - 09)),
        ];
        for (s, d) in cases {
            assert_eq!(date(s), Some(d), "{s}");
        }
    }

    #[test]
    fn two_digit_years() {
        assert_eq!(date("01/01/00"), Some(date!(2000 - 01 - 01)));
        assert_eq!(date("01/01/69"), Some(date!(2069 - 01 - 01)));
        assert_eq!(date("01/01/70"), Some(date!(1970 - 01 - 01)));
        assert_eq!(date("12 mars 99"), Some(date!(1999 - 03 - 12)));
    }

    #[test]
    fn impossible_or_garbage() {
        for s in [
            "31/02/2025",
            "29.02.2025",
            "00/01/2025",
            "12/13/2025",
            "32 mars 2025",
            "12 foo 2025",
            "12/03/0025",
            "",
            "   ",
            "1 234,56",
            "12/03",
            "123/03/2025",
            "12/03/20255",
            "mars 2025",
            "\u{0}\u{ffff}",
            "١٢/٠٣/٢٠٢٥",
        ] {
            assert_eq!(date(s), None, "{s:?}");
        }
        assert_eq!(date("29/02/2024"), Some(date!(2024 - 02 - 29)));
    }

    #[test]
    fn to_string() {
        assert_eq!(date_to_string(date!(2025 - 03 - 12)), "2025-03-12");
        assert_eq!(date_to_string(date!(1901 - 12 - 01)), "1901-12-01");
    }
}
