//! The five document classes.
//!
//! A class decides which fields are extracted and which back-office queue the document goes
//! to, so it is a closed enum: a typo in a class name must fail at parse time, not route a
//! complaint to nowhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The kind of a document found in an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Bulletin d'adhésion: a membership application.
    MembershipForm,
    /// Facture: an invoice for care (optical, dental, hospital…).
    Invoice,
    /// Devis: a quote for planned care.
    Quote,
    /// Réclamation: any expression of dissatisfaction; it starts a regulatory clock.
    Complaint,
    /// Anything else (RIB, ID copy, prescription, a letter that is not a complaint…).
    Other,
}

impl Class {
    /// Every class, in the order the user interface lists them.
    pub const ALL: [Class; 5] = [
        Class::MembershipForm,
        Class::Invoice,
        Class::Quote,
        Class::Complaint,
        Class::Other,
    ];

    /// The wire name used in truth and results (`membership_form`, `invoice`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            Class::MembershipForm => "membership_form",
            Class::Invoice => "invoice",
            Class::Quote => "quote",
            Class::Complaint => "complaint",
            Class::Other => "other",
        }
    }

    /// The French label clerks see.
    pub fn label_fr(&self) -> &'static str {
        match self {
            Class::MembershipForm => "Bulletin d'adhésion",
            Class::Invoice => "Facture",
            Class::Quote => "Devis",
            Class::Complaint => "Réclamation",
            Class::Other => "Autre",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the five wire names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("type de document inconnu: {0:?}")]
pub struct ParseClassError(pub String);

impl FromStr for Class {
    type Err = ParseClassError;

    /// Parses the wire name exactly (`invoice`, not `Invoice` nor `facture`), because the
    /// wire name is a contract, not free text.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Class::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| ParseClassError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for c in Class::ALL {
            assert_eq!(c.as_str().parse::<Class>(), Ok(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
            let back: Class = serde_json::from_str(&format!("\"{c}\"")).unwrap();
            assert_eq!(back, c);
        }
        assert_eq!(
            serde_json::to_string(&Class::MembershipForm).unwrap(),
            "\"membership_form\""
        );
    }

    #[test]
    fn unknown_names_are_rejected() {
        assert!("Invoice".parse::<Class>().is_err());
        assert!("facture".parse::<Class>().is_err());
        assert!("".parse::<Class>().is_err());
        assert!(serde_json::from_str::<Class>("\"letter\"").is_err());
    }

    #[test]
    fn french_labels() {
        assert_eq!(Class::MembershipForm.label_fr(), "Bulletin d'adhésion");
        assert_eq!(Class::Invoice.label_fr(), "Facture");
        assert_eq!(Class::Quote.label_fr(), "Devis");
        assert_eq!(Class::Complaint.label_fr(), "Réclamation");
        assert_eq!(Class::Other.label_fr(), "Autre");
    }
}
