//! Small validated newtypes: envelope identifiers and confidences.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The identifier of an envelope: its folder name, or its file name without extension.
///
/// It becomes a file name (`truth/<id>.json`) and a key in the store, so it is restricted to
/// 1–64 characters of `[A-Za-z0-9._-]` not starting with `.`: no path separators, no hidden
/// files, no `..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnvelopeId(String);

/// Why a string cannot be an envelope identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeIdError {
    /// Empty or longer than 64 characters.
    #[error("identifiant de pli: 1 à 64 caractères attendus")]
    Length,
    /// Contains a character outside `[A-Za-z0-9._-]`.
    #[error("identifiant de pli: caractère interdit {0:?}")]
    Character(char),
    /// Starts with a dot (hidden file, `.` or `..`).
    #[error("identifiant de pli: ne doit pas commencer par un point")]
    LeadingDot,
}

impl EnvelopeId {
    /// Maximum length in characters.
    pub const MAX_LEN: usize = 64;

    /// Validates and wraps an identifier.
    ///
    /// # Errors
    ///
    /// [`EnvelopeIdError`] when `s` is empty, longer than 64 characters, starts with `.` or
    /// holds a character outside `[A-Za-z0-9._-]`.
    pub fn new(s: impl Into<String>) -> Result<Self, EnvelopeIdError> {
        let s = s.into();
        if s.is_empty() || s.len() > Self::MAX_LEN {
            return Err(EnvelopeIdError::Length);
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            return Err(EnvelopeIdError::Character(bad));
        }
        if s.starts_with('.') {
            return Err(EnvelopeIdError::LeadingDot);
        }
        Ok(EnvelopeId(s))
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Unwraps the identifier.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for EnvelopeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for EnvelopeId {
    type Err = EnvelopeIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EnvelopeId::new(s)
    }
}

impl AsRef<str> for EnvelopeId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for EnvelopeId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EnvelopeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        EnvelopeId::new(s).map_err(serde::de::Error::custom)
    }
}

/// A confidence in `[0, 1]`, as results report it.
///
/// Built only through [`Confidence::new`], so NaN and out-of-range scores never reach the
/// results file, where the evaluation would mis-rank them.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Confidence(f64);

impl Confidence {
    /// Certain.
    pub const ONE: Confidence = Confidence(1.0);
    /// No confidence at all.
    pub const ZERO: Confidence = Confidence(0.0);

    /// Wraps `x` when it lies in `[0, 1]` (NaN is refused).
    pub fn new(x: f64) -> Option<Self> {
        (0.0..=1.0).contains(&x).then_some(Confidence(x))
    }

    /// Clamps any finite score into `[0, 1]`; NaN becomes 0. For scores computed by
    /// heuristics that may overshoot slightly.
    pub fn clamped(x: f64) -> Self {
        if x.is_nan() {
            Confidence(0.0)
        } else {
            Confidence(x.clamp(0.0, 1.0))
        }
    }

    /// The score.
    pub fn get(&self) -> f64 {
        self.0
    }
}

impl From<Confidence> for f64 {
    fn from(c: Confidence) -> f64 {
        c.0
    }
}

impl Serialize for Confidence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for Confidence {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let x = f64::deserialize(deserializer)?;
        Confidence::new(x).ok_or_else(|| serde::de::Error::custom("confidence outside [0, 1]"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_ids() {
        assert!(EnvelopeId::new("env-000123").is_ok());
        assert!(EnvelopeId::new("A.b_c-9").is_ok());
        assert_eq!(EnvelopeId::new(""), Err(EnvelopeIdError::Length));
        assert_eq!(
            EnvelopeId::new("x".repeat(65)),
            Err(EnvelopeIdError::Length)
        );
        assert!(EnvelopeId::new("x".repeat(64)).is_ok());
        assert_eq!(EnvelopeId::new(".hidden"), Err(EnvelopeIdError::LeadingDot));
        assert_eq!(EnvelopeId::new(".."), Err(EnvelopeIdError::LeadingDot));
        assert_eq!(EnvelopeId::new("a/b"), Err(EnvelopeIdError::Character('/')));
        assert_eq!(
            EnvelopeId::new("pli é"),
            Err(EnvelopeIdError::Character(' '))
        );
        let id: EnvelopeId = serde_json::from_str("\"env-1\"").unwrap();
        assert_eq!(id.as_str(), "env-1");
        assert!(serde_json::from_str::<EnvelopeId>("\"../etc\"").is_err());
    }

    #[test]
    fn confidences() {
        assert_eq!(Confidence::new(0.5).map(|c| c.get()), Some(0.5));
        assert!(Confidence::new(0.0).is_some());
        assert!(Confidence::new(1.0).is_some());
        assert!(Confidence::new(1.0001).is_none());
        assert!(Confidence::new(-0.1).is_none());
        assert!(Confidence::new(f64::NAN).is_none());
        assert_eq!(Confidence::clamped(1.3).get(), 1.0);
        assert_eq!(Confidence::clamped(f64::NAN).get(), 0.0);
        assert!(serde_json::from_str::<Confidence>("1.5").is_err());
        assert_eq!(serde_json::to_string(&Confidence::ONE).unwrap(), "1.0");
    }
}
