//! Working days in France, for the deadlines a complaint starts.
//!
//! ACPR recommendation 2022-R-01 gives an insurer 10 working days to acknowledge a complaint
//! and 2 months to answer it, both counted from its reception. Working days are Monday to
//! Friday except the eleven French public holidays (metropolitan France: Alsace-Moselle's two
//! extra days are not counted, so a deadline is never later than the national one).

use time::{Date, Duration, Month, Weekday};

/// Easter Sunday of `year` (anonymous Gregorian algorithm, valid for every Gregorian year).
pub fn easter(year: i32) -> Option<Date> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

/// Whether `date` is a French public holiday (jour férié légal, Code du travail L3133-1).
pub fn is_public_holiday(date: Date) -> bool {
    let fixed = matches!(
        (date.month(), date.day()),
        (Month::January, 1)
            | (Month::May, 1)
            | (Month::May, 8)
            | (Month::July, 14)
            | (Month::August, 15)
            | (Month::November, 1)
            | (Month::November, 11)
            | (Month::December, 25)
    );
    if fixed {
        return true;
    }
    let Some(easter) = easter(date.year()) else {
        return false;
    };
    // Easter Monday, Ascension Thursday, Whit Monday.
    [1, 39, 50]
        .iter()
        .any(|&days| easter.checked_add(Duration::days(days)) == Some(date))
}

/// Whether `date` is a working day: Monday to Friday and not a public holiday.
pub fn is_working_day(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_public_holiday(date)
}

/// The day `n` working days after `from` (`from` itself is not counted: a complaint received
/// on a Monday with 1 working day is due on Tuesday). `None` past the calendar's end.
pub fn add_working_days(from: Date, n: u32) -> Option<Date> {
    let mut date = from;
    let mut left = n;
    while left > 0 {
        date = date.next_day()?;
        if is_working_day(date) {
            left -= 1;
        }
    }
    Some(date)
}

/// The same day `n` months after `from`, or the month's last day when it has no such day
/// (31 January + 1 month = 28 or 29 February), as months are counted in French law.
pub fn add_months(from: Date, n: u32) -> Option<Date> {
    let months = i32::from(u8::from(from.month())) - 1 + i32::try_from(n).ok()?;
    let year = from.year().checked_add(months.div_euclid(12))?;
    let month = Month::try_from(u8::try_from(months.rem_euclid(12) + 1).ok()?).ok()?;
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, from.day().min(last)).ok()
}

/// Deadlines of a complaint received on `received`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplaintDeadlines {
    /// Acknowledgement due: 10 working days after reception.
    pub acknowledge_by: Date,
    /// Answer due: 2 months after reception.
    pub answer_by: Date,
}

/// Working days allowed to acknowledge a complaint.
pub const ACKNOWLEDGE_WORKING_DAYS: u32 = 10;
/// Months allowed to answer a complaint.
pub const ANSWER_MONTHS: u32 = 2;

/// The deadlines of a complaint received on `received` (ACPR 2022-R-01); `None` past the
/// calendar's end (year 9999).
pub fn complaint_deadlines(received: Date) -> Option<ComplaintDeadlines> {
    Some(ComplaintDeadlines {
        acknowledge_by: add_working_days(received, ACKNOWLEDGE_WORKING_DAYS)?,
        answer_by: add_months(received, ANSWER_MONTHS)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn easter_dates() {
        assert_eq!(easter(2024), Some(date!(2024 - 03 - 31)));
        assert_eq!(easter(2025), Some(date!(2025 - 04 - 20)));
        assert_eq!(easter(2026), Some(date!(2026 - 04 - 05)));
        assert_eq!(easter(2038), Some(date!(2038 - 04 - 25)));
        assert_eq!(easter(2008), Some(date!(2008 - 03 - 23)));
    }

    #[test]
    fn holidays() {
        for d in [
            date!(2025 - 01 - 01),
            date!(2025 - 04 - 21),
            date!(2025 - 05 - 01),
            date!(2025 - 05 - 08),
            date!(2025 - 05 - 29),
            date!(2025 - 06 - 09),
            date!(2025 - 07 - 14),
            date!(2025 - 08 - 15),
            date!(2025 - 11 - 01),
            date!(2025 - 11 - 11),
            date!(2025 - 12 - 25),
        ] {
            assert!(is_public_holiday(d), "{d}");
        }
        assert!(!is_public_holiday(date!(2025 - 04 - 20)));
        assert!(!is_public_holiday(date!(2025 - 12 - 26)));
        assert!(!is_working_day(date!(2025 - 11 - 22)), "saturday");
        assert!(is_working_day(date!(2025 - 11 - 21)));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Friday + 1 = Monday.
        assert_eq!(
            add_working_days(date!(2025 - 11 - 21), 1),
            Some(date!(2025 - 11 - 24))
        );
        // 2025-04-28 (Mon) + 10: May 1 and May 8 (Thursdays) are holidays.
        assert_eq!(
            add_working_days(date!(2025 - 04 - 28), 10),
            Some(date!(2025 - 05 - 14))
        );
        // Received on a Saturday: counting starts on Monday.
        assert_eq!(
            add_working_days(date!(2025 - 03 - 01), 10),
            Some(date!(2025 - 03 - 14))
        );
        assert_eq!(
            add_working_days(date!(2025 - 03 - 01), 0),
            Some(date!(2025 - 03 - 01))
        );
    }

    #[test]
    fn months_clamp_to_the_month_end() {
        assert_eq!(
            add_months(date!(2025 - 12 - 31), 2),
            Some(date!(2026 - 02 - 28))
        );
        assert_eq!(
            add_months(date!(2023 - 12 - 31), 2),
            Some(date!(2024 - 02 - 29))
        );
        assert_eq!(
            add_months(date!(2025 - 03 - 15), 2),
            Some(date!(2025 - 05 - 15))
        );
        assert_eq!(
            add_months(date!(2025 - 11 - 30), 2),
            Some(date!(2026 - 01 - 30))
        );
        let d = complaint_deadlines(date!(2025 - 04 - 28)).unwrap();
        assert_eq!(d.acknowledge_by, date!(2025 - 05 - 14));
        assert_eq!(d.answer_by, date!(2025 - 06 - 28));
    }
}
