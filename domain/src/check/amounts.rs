//! Amount rules: the parts of an invoice or quote add up to its total.

use super::CheckError;
use crate::Amount;

/// The tolerance of the sum rule: one cent, for printed parts rounded separately.
const TOLERANCE_CENTS: i64 = 1;

/// Checks that an amount is not negative (a single amount, e.g. `disputed_amount`).
///
/// # Errors
///
/// [`CheckError::NegativeAmount`] when `a` is below zero.
pub fn check_amount_non_negative(a: Amount) -> Result<(), CheckError> {
    if a.is_negative() {
        Err(CheckError::NegativeAmount)
    } else {
        Ok(())
    }
}

fn within_tolerance(total: Amount, parts: &[Amount]) -> bool {
    let sum = parts
        .iter()
        .try_fold(Amount::ZERO, |acc, p| acc.checked_add(*p));
    sum.and_then(|s| total.checked_sub(s))
        .is_some_and(|d| d.cents().abs() <= TOLERANCE_CENTS)
}

/// Checks the amounts of an invoice or quote, each `None` when not printed:
///
/// - every printed amount is ≥ 0 (a care invoice has no negative share);
/// - when all four are printed, `total = AMO + AMC + reste à charge` within 0.01;
/// - when the complementary share (AMC) is not printed but the three others are,
///   `total = AMO + reste à charge` within 0.01 (the mutual's share is then still to come).
///
/// # Errors
///
/// [`CheckError::NegativeAmount`], [`CheckError::AmountsMismatch`] or
/// [`CheckError::AmountsMismatchNoComplementary`].
pub fn check_amounts(
    total: Option<Amount>,
    social_security: Option<Amount>,
    complementary: Option<Amount>,
    remaining: Option<Amount>,
) -> Result<(), CheckError> {
    [total, social_security, complementary, remaining]
        .into_iter()
        .flatten()
        .try_for_each(check_amount_non_negative)?;
    match (total, social_security, complementary, remaining) {
        (Some(t), Some(ss), Some(amc), Some(rac)) => {
            if within_tolerance(t, &[ss, amc, rac]) {
                Ok(())
            } else {
                Err(CheckError::AmountsMismatch)
            }
        }
        (Some(t), Some(ss), None, Some(rac)) => {
            if within_tolerance(t, &[ss, rac]) {
                Ok(())
            } else {
                Err(CheckError::AmountsMismatchNoComplementary)
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(cents: i64) -> Option<Amount> {
        Some(Amount::from_cents(cents))
    }

    #[test]
    fn all_four_must_add_up() {
        assert_eq!(check_amounts(a(10000), a(3000), a(5000), a(2000)), Ok(()));
        assert_eq!(check_amounts(a(10001), a(3000), a(5000), a(2000)), Ok(()));
        assert_eq!(check_amounts(a(9999), a(3000), a(5000), a(2000)), Ok(()));
        assert_eq!(
            check_amounts(a(10002), a(3000), a(5000), a(2000)),
            Err(CheckError::AmountsMismatch)
        );
        assert_eq!(
            check_amounts(a(12000), a(3000), a(5000), a(2000)),
            Err(CheckError::AmountsMismatch)
        );
    }

    #[test]
    fn without_complementary() {
        assert_eq!(check_amounts(a(5000), a(3000), None, a(2000)), Ok(()));
        assert_eq!(
            check_amounts(a(10000), a(3000), None, a(2000)),
            Err(CheckError::AmountsMismatchNoComplementary)
        );
    }

    #[test]
    fn partial_sets_only_need_non_negative() {
        assert_eq!(check_amounts(a(10000), None, None, None), Ok(()));
        assert_eq!(check_amounts(a(10000), a(3000), a(9000), None), Ok(()));
        assert_eq!(check_amounts(None, None, None, None), Ok(()));
        assert_eq!(
            check_amounts(a(10000), a(-3000), None, None),
            Err(CheckError::NegativeAmount)
        );
        assert_eq!(
            check_amounts(None, None, None, a(-1)),
            Err(CheckError::NegativeAmount)
        );
    }

    #[test]
    fn extreme_values_do_not_panic() {
        assert_eq!(
            check_amounts(a(i64::MAX), a(i64::MAX), a(i64::MAX), a(i64::MAX)),
            Err(CheckError::AmountsMismatch)
        );
        assert_eq!(
            check_amount_non_negative(Amount::from_cents(i64::MIN)),
            Err(CheckError::NegativeAmount)
        );
    }
}
