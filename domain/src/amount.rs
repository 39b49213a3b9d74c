//! Money amounts in euro cents.
//!
//! Amounts are compared exactly by the evaluation and must add up to the cent, so they are
//! integers (cents), never floats. The normalised form `1234.56` is the only form this type
//! parses; printed forms (`1 234,56 €`) go through [`crate::normalize::amount`].

use std::fmt;
use std::ops::{Add, Sub};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of euros held as a whole number of cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(i64);

/// A string that is not a normalised amount (`-?digits.dd`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not of the form `-?\d+\.\d{2}`.
    #[error("montant mal formé (attendu: 1234.56)")]
    Format,
    /// Too large to be held in cents on 64 bits.
    #[error("montant trop grand")]
    Overflow,
}

impl Amount {
    /// Zero euros.
    pub const ZERO: Amount = Amount(0);

    /// Builds an amount from a number of cents (`123456` is 1 234,56 €).
    pub const fn from_cents(cents: i64) -> Self {
        Amount(cents)
    }

    /// The number of cents.
    pub const fn cents(&self) -> i64 {
        self.0
    }

    /// True for amounts below zero.
    pub const fn is_negative(&self) -> bool {
        self.0 < 0
    }

    /// The absolute value (saturating at `i64::MAX` cents).
    pub const fn abs(&self) -> Amount {
        Amount(self.0.saturating_abs())
    }

    /// Addition that reports overflow instead of saturating.
    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// Subtraction that reports overflow instead of saturating.
    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    /// The normalised form of truth and results: `.` decimal separator, exactly two
    /// decimals, `-` for negatives, no currency (`1234.56`, `0.00`, `-0.50`).
    pub fn to_normalized(&self) -> String {
        self.to_string()
    }

    /// The French print form: space as thousands separator, comma as decimal separator
    /// (`1 234,56`), as the sample generator prints amounts on documents.
    pub fn format_fr(&self) -> String {
        let abs = self.0.unsigned_abs();
        let euros = (abs / 100).to_string();
        let mut grouped = String::with_capacity(euros.len() + euros.len() / 3 + 4);
        if self.0 < 0 {
            grouped.push('-');
        }
        let len = euros.len();
        for (i, ch) in euros.chars().enumerate() {
            if i > 0 && (len - i).is_multiple_of(3) {
                grouped.push(' ');
            }
            grouped.push(ch);
        }
        format!("{grouped},{:02}", abs % 100)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    /// Parses the normalised form only (`-?\d+\.\d{2}`): anything printed must go through
    /// [`crate::normalize::amount`] first, so that a stray OCR form never passes for a
    /// normalised value.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (negative, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (euros, cents) = body.split_once('.').ok_or(AmountError::Format)?;
        let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(euros) || cents.len() != 2 || !all_digits(cents) {
            return Err(AmountError::Format);
        }
        let mut total: i64 = 0;
        for b in euros.bytes().chain(cents.bytes()) {
            total = total
                .checked_mul(10)
                .and_then(|t| t.checked_add(i64::from(b - b'0')))
                .ok_or(AmountError::Overflow)?;
        }
        Ok(Amount(if negative { -total } else { total }))
    }
}

impl Add for Amount {
    type Output = Amount;

    /// Saturating, so that adding OCR'd garbage never panics nor wraps to a plausible value.
    fn add(self, rhs: Amount) -> Amount {
        Amount(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Amount {
    type Output = Amount;

    /// Saturating, for the same reason as [`Add`].
    fn sub(self, rhs: Amount) -> Amount {
        Amount(self.0.saturating_sub(rhs.0))
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_form() {
        assert_eq!(Amount::from_cents(0).to_normalized(), "0.00");
        assert_eq!(Amount::from_cents(5).to_string(), "0.05");
        assert_eq!(Amount::from_cents(123456).to_normalized(), "1234.56");
        assert_eq!(Amount::from_cents(-50).to_string(), "-0.50");
        assert_eq!(Amount::from_cents(-123456).to_string(), "-1234.56");
        assert_eq!(
            Amount::from_cents(i64::MIN).to_string(),
            "-92233720368547758.08"
        );
    }

    #[test]
    fn french_form() {
        assert_eq!(Amount::from_cents(0).format_fr(), "0,00");
        assert_eq!(Amount::from_cents(123456).format_fr(), "1 234,56");
        assert_eq!(Amount::from_cents(99999).format_fr(), "999,99");
        assert_eq!(Amount::from_cents(100000).format_fr(), "1 000,00");
        assert_eq!(Amount::from_cents(123456789).format_fr(), "1 234 567,89");
        assert_eq!(Amount::from_cents(-123456).format_fr(), "-1 234,56");
    }

    #[test]
    fn parses_normalized_only() {
        assert_eq!("1234.56".parse(), Ok(Amount::from_cents(123456)));
        assert_eq!("0.00".parse(), Ok(Amount::ZERO));
        assert_eq!("-12.00".parse(), Ok(Amount::from_cents(-1200)));
        for bad in [
            "", "12", "12.5", "12.567", "1 234.56", "1234,56", "+1.00", ".50", "1.", "--1.00",
            "1e3.00", "١٢.00",
        ] {
            assert_eq!(bad.parse::<Amount>(), Err(AmountError::Format), "{bad}");
        }
        assert_eq!(
            "999999999999999999999.00".parse::<Amount>(),
            Err(AmountError::Overflow)
        );
    }

    #[test]
    fn arithmetic_saturates() {
        let a = Amount::from_cents(1000);
        let b = Amount::from_cents(250);
        assert_eq!(a + b, Amount::from_cents(1250));
        assert_eq!(a - b, Amount::from_cents(750));
        assert_eq!(
            Amount::from_cents(i64::MAX) + a,
            Amount::from_cents(i64::MAX)
        );
        assert_eq!(Amount::from_cents(i64::MAX).checked_add(a), None);
    }

    #[test]
    fn serde_as_string() {
        let a = Amount::from_cents(123456);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"1234.56\"");
        assert_eq!(serde_json::from_str::<Amount>("\"1234.56\"").unwrap(), a);
        assert!(serde_json::from_str::<Amount>("\"1 234,56\"").is_err());
        assert!(serde_json::from_str::<Amount>("1234.56").is_err());
    }
}
