//! Date rules: real calendar dates, nothing after the envelope's reception, and the two
//! orderings FIELDS.md asks for.

use time::{Date, Month};

use super::CheckError;

/// Parses a normalised date, `YYYY-MM-DD` exactly, into a real calendar date.
///
/// # Errors
///
/// [`CheckError::DateImpossible`] when `s` is not `YYYY-MM-DD` or names a day that does not
/// exist (`2025-02-29`, `2025-13-01`).
pub fn parse_date(s: &str) -> Result<Date, CheckError> {
    let b = s.as_bytes();
    let layout_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !layout_ok {
        return Err(CheckError::DateImpossible);
    }
    let num =
        |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0'));
    let year = i32::try_from(num(0..4)).map_err(|_| CheckError::DateImpossible)?;
    let month = u8::try_from(num(5..7))
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or(CheckError::DateImpossible)?;
    let day = u8::try_from(num(8..10)).map_err(|_| CheckError::DateImpossible)?;
    Date::from_calendar_date(year, month, day).map_err(|_| CheckError::DateImpossible)
}

/// Checks that a date printed on a document (care, invoice, quote, letter or signature
/// date) is not after the day the envelope was received: a document cannot be dated after
/// it reached the mailroom, so such a date is a misread.
///
/// # Errors
///
/// [`CheckError::DateInFuture`] when `d` is after `received`.
pub fn check_date_not_future(d: Date, received: Date) -> Result<(), CheckError> {
    if d > received {
        Err(CheckError::DateInFuture)
    } else {
        Ok(())
    }
}

/// Checks that a quote's end of validity comes after its date.
///
/// # Errors
///
/// [`CheckError::ValidUntilBeforeQuote`] when `valid_until` is on or before `quote_date`.
pub fn check_valid_until(quote_date: Date, valid_until: Date) -> Result<(), CheckError> {
    if valid_until > quote_date {
        Ok(())
    } else {
        Err(CheckError::ValidUntilBeforeQuote)
    }
}

/// Checks that a membership does not take effect before it was signed.
///
/// # Errors
///
/// [`CheckError::EffectiveBeforeSignature`] when `effective_date` is before
/// `signature_date`.
pub fn check_effective_date(signature_date: Date, effective_date: Date) -> Result<(), CheckError> {
    if effective_date >= signature_date {
        Ok(())
    } else {
        Err(CheckError::EffectiveBeforeSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn parses_normalised_dates_only() {
        assert_eq!(parse_date("2025-03-12"), Ok(date!(2025 - 03 - 12)));
        assert_eq!(parse_date("2024-02-29"), Ok(date!(2024 - 02 - 29)));
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-00-10",
            "2025-04-31",
            "2025-04-00",
            "12/03/2025",
            "2025-3-12",
            "2025-03-12 ",
            "",
            "2025_03_12",
            "２０２５-03-12",
            "2025-03-1é",
        ] {
            assert_eq!(parse_date(bad), Err(CheckError::DateImpossible), "{bad}");
        }
    }

    #[test]
    fn future_dates() {
        let received = date!(2025 - 03 - 14);
        assert_eq!(
            check_date_not_future(date!(2025 - 03 - 14), received),
            Ok(())
        );
        assert_eq!(
            check_date_not_future(date!(2024 - 12 - 31), received),
            Ok(())
        );
        assert_eq!(
            check_date_not_future(date!(2025 - 03 - 15), received),
            Err(CheckError::DateInFuture)
        );
    }

    #[test]
    fn orderings() {
        let d = date!(2025 - 03 - 01);
        assert_eq!(check_valid_until(d, date!(2025 - 05 - 30)), Ok(()));
        assert_eq!(
            check_valid_until(d, d),
            Err(CheckError::ValidUntilBeforeQuote)
        );
        assert_eq!(
            check_valid_until(d, date!(2025 - 02 - 01)),
            Err(CheckError::ValidUntilBeforeQuote)
        );
        assert_eq!(check_effective_date(d, d), Ok(()));
        assert_eq!(check_effective_date(d, date!(2025 - 04 - 01)), Ok(()));
        assert_eq!(
            check_effective_date(d, date!(2025 - 02 - 28)),
            Err(CheckError::EffectiveBeforeSignature)
        );
    }
}
