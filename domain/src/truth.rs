//! Ground truth of a sample set (shared/contracts/SAMPLES.md): `truth/<envelope-id>.json`.
//!
//! Field order in the structs is the serialisation order of the contract (`envelope`,
//! `documents`, `blank_pages`; `class`, `pages`, `fields`), so that generated files read
//! the same as the examples and diff cleanly.

use serde::{Deserialize, Serialize};

use crate::Class;

/// The truth of one envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// The envelope's folder name, or its file name without extension.
    pub envelope: String,
    /// Every document of the envelope, in page order.
    pub documents: Vec<TruthDocument>,
    /// 1-based pages with no content (blank backs, separator sheets).
    #[serde(default)]
    pub blank_pages: Vec<u32>,
}

/// One document of an envelope and the fields printed on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthDocument {
    /// What the document is.
    pub class: Class,
    /// Its 1-based pages over the whole envelope.
    pub pages: Vec<u32>,
    /// The printed fields of FIELDS.md in normalised form; an absent key is not printed.
    #[serde(default)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl Truth {
    /// The number of pages the truth accounts for: the highest page named by a document
    /// or as blank (0 for an empty envelope).
    pub fn page_count(&self) -> u32 {
        self.documents
            .iter()
            .flat_map(|d| d.pages.iter())
            .chain(self.blank_pages.iter())
            .copied()
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EXAMPLE: &str = r#"{
  "envelope": "env-000123",
  "documents": [
    { "class": "membership_form", "pages": [1, 2],
      "fields": { "last_name": "DURAND", "first_name": "Nathalie", "nir": "269054958815780",
                  "iban": "FR7613335000400893289136106", "effective_date": "2025-04-01" } },
    { "class": "other", "pages": [3], "fields": {} }
  ],
  "blank_pages": [4]
}"#;

    #[test]
    fn reads_the_contract_example() {
        let t: Truth = serde_json::from_str(EXAMPLE).unwrap();
        assert_eq!(t.envelope, "env-000123");
        assert_eq!(t.documents.len(), 2);
        assert_eq!(t.documents[0].class, Class::MembershipForm);
        assert_eq!(t.documents[0].pages, vec![1, 2]);
        assert_eq!(t.documents[0].fields["nir"], json!("269054958815780"));
        assert_eq!(t.documents[1].class, Class::Other);
        assert!(t.documents[1].fields.is_empty());
        assert_eq!(t.blank_pages, vec![4]);
        assert_eq!(t.page_count(), 4);
    }

    #[test]
    fn round_trip_keeps_field_order() {
        let t: Truth = serde_json::from_str(EXAMPLE).unwrap();
        let s = serde_json::to_string(&t).unwrap();
        let env = s.find("\"envelope\"").unwrap();
        let docs = s.find("\"documents\"").unwrap();
        let blank = s.find("\"blank_pages\"").unwrap();
        assert!(env < docs && docs < blank, "{s}");
        let class = s.find("\"class\"").unwrap();
        let pages = s.find("\"pages\"").unwrap();
        let fields = s.find("\"fields\"").unwrap();
        assert!(class < pages && pages < fields, "{s}");
        assert!(s.starts_with(r#"{"envelope":"env-000123","documents":[{"class":"membership_form","pages":[1,2],"fields":{"#));
        assert!(s.ends_with(r#"{"class":"other","pages":[3],"fields":{}}],"blank_pages":[4]}"#));
        let back: Truth = serde_json::from_str(&s).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn rejects_unknown_class() {
        let bad = r#"{"envelope":"e","documents":[{"class":"letter","pages":[1],"fields":{}}],"blank_pages":[]}"#;
        assert!(serde_json::from_str::<Truth>(bad).is_err());
    }
}
