//! Europe/Paris local time without a time-zone database: the mailroom's working hours and
//! the ops page's clock.
//!
//! France follows the EU rule since 1996: summer time (UTC+2) from the last Sunday of March,
//! 01:00 UTC, to the last Sunday of October, 01:00 UTC; UTC+1 otherwise.

use time::{Date, Month, OffsetDateTime, Time, UtcOffset, Weekday};

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: Month) -> Option<Date> {
    let last = time::util::days_in_month(month, year);
    let mut d = Date::from_calendar_date(year, month, last).ok()?;
    while d.weekday() != Weekday::Sunday {
        d = d.previous_day()?;
    }
    Some(d)
}

/// The offset of Paris from UTC at `t`.
pub fn offset(t: OffsetDateTime) -> UtcOffset {
    let utc = t.to_offset(UtcOffset::UTC);
    let year = utc.year();
    let one = Time::from_hms(1, 0, 0).unwrap_or(Time::MIDNIGHT);
    let summer = match (
        last_sunday(year, Month::March),
        last_sunday(year, Month::October),
    ) {
        (Some(start), Some(end)) => {
            let start = start.with_time(one).assume_utc();
            let end = end.with_time(one).assume_utc();
            utc >= start && utc < end
        }
        _ => false,
    };
    let hours = if summer { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// `t` in Paris local time.
pub fn local(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(offset(t))
}

/// Today's date in Paris.
pub fn today(t: OffsetDateTime) -> Date {
    local(t).date()
}

/// Whether `t` falls in the mailroom's working hours: Monday to Friday, 08:00 to 18:00 in
/// Paris, French public holidays excepted.
pub fn working_hours(t: OffsetDateTime) -> bool {
    let l = local(t);
    mailroom_domain::calendar::is_working_day(l.date()) && (8..18).contains(&l.hour())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn summer_and_winter_time() {
        assert_eq!(offset(datetime!(2025-01-15 12:00 UTC)).whole_hours(), 1);
        assert_eq!(offset(datetime!(2025-07-15 12:00 UTC)).whole_hours(), 2);
        // 2025: summer time from 30 March 01:00 UTC to 26 October 01:00 UTC.
        assert_eq!(offset(datetime!(2025-03-30 00:59 UTC)).whole_hours(), 1);
        assert_eq!(offset(datetime!(2025-03-30 01:00 UTC)).whole_hours(), 2);
        assert_eq!(offset(datetime!(2025-10-26 00:59 UTC)).whole_hours(), 2);
        assert_eq!(offset(datetime!(2025-10-26 01:00 UTC)).whole_hours(), 1);
    }

    #[test]
    fn working_hours_in_paris() {
        // Tuesday 15 July 2025, 06:30 UTC = 08:30 in Paris.
        assert!(working_hours(datetime!(2025-07-15 06:30 UTC)));
        // 16:30 UTC = 18:30 in Paris.
        assert!(!working_hours(datetime!(2025-07-15 16:30 UTC)));
        // Tuesday 14 January 2025, 07:30 UTC = 08:30 in Paris (winter).
        assert!(working_hours(datetime!(2025-01-14 07:30 UTC)));
        assert!(!working_hours(datetime!(2025-01-14 06:30 UTC)));
        // Saturday, and Monday 14 July (Bastille Day).
        assert!(!working_hours(datetime!(2025-07-12 10:00 UTC)));
        assert!(!working_hours(datetime!(2025-07-14 10:00 UTC)));
    }
}
