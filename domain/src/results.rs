//! The pipeline's output (shared/contracts/RESULTS.md): one [`EnvelopeResult`] per line of
//! a JSON Lines file.
//!
//! Unknown keys are accepted when reading (the contract allows extra keys), and `error` is
//! always written, as `null` when there is none, so every line has the same shape.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Class;

/// Whether the envelope could be read at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Read and split into documents.
    Processed,
    /// Could not be read; `error` says why.
    Rejected,
}

/// What the pipeline says about one envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvelopeResult {
    /// The envelope's folder name, or its file name without extension.
    pub envelope: String,
    /// Processed or rejected.
    pub status: Status,
    /// For a rejected envelope, why, in one plain sentence; `null` otherwise.
    #[serde(default)]
    pub error: Option<String>,
    /// Page count, numbered as in SAMPLES.md.
    #[serde(default)]
    pub pages: u32,
    /// 1-based blank pages.
    #[serde(default)]
    pub blank_pages: Vec<u32>,
    /// The documents found, in page order.
    #[serde(default)]
    pub documents: Vec<ResultDocument>,
}

/// One document found in an envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultDocument {
    /// The class the pipeline chose.
    pub class: Class,
    /// Confidence of the class, in `[0, 1]`.
    pub confidence: f64,
    /// Its 1-based pages.
    pub pages: Vec<u32>,
    /// Extracted fields by key (sorted, so output is stable).
    #[serde(default)]
    pub fields: BTreeMap<String, FieldResult>,
}

/// One extracted field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldResult {
    /// The value in normalised form.
    pub value: serde_json::Value,
    /// Confidence of the value, in `[0, 1]`.
    pub confidence: f64,
    /// Whether the value passed its check rules.
    pub valid: bool,
    /// The 1-based page it was read on.
    pub page: u32,
    /// `[x0, y0, x1, y1]` in pixels of that page's image as decoded, before any rotation.
    pub bbox: [u32; 4],
}

impl EnvelopeResult {
    /// The line of an envelope that could not be read: no documents, `error` set.
    pub fn rejected(envelope: impl Into<String>, error: impl Into<String>, pages: u32) -> Self {
        EnvelopeResult {
            envelope: envelope.into(),
            status: Status::Rejected,
            error: Some(error.into()),
            pages,
            blank_pages: Vec::new(),
            documents: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EXAMPLE: &str = r#"{
  "envelope": "env-000123",
  "status": "processed",
  "error": null,
  "pages": 4,
  "blank_pages": [4],
  "documents": [
    { "class": "membership_form", "confidence": 0.97, "pages": [1, 2],
      "fields": {
        "nir":  { "value": "269054958815780", "confidence": 0.99, "valid": true,
                  "page": 1, "bbox": [412, 880, 1310, 934] },
        "iban": { "value": "FR7613335000400893289136106", "confidence": 0.95, "valid": true,
                  "page": 2, "bbox": [300, 1502, 1620, 1550] }
      } },
    { "class": "other", "confidence": 0.88, "pages": [3], "fields": {} }
  ]
}"#;

    #[test]
    fn reads_the_contract_example() {
        let r: EnvelopeResult = serde_json::from_str(EXAMPLE).unwrap();
        assert_eq!(r.status, Status::Processed);
        assert_eq!(r.error, None);
        assert_eq!(r.pages, 4);
        assert_eq!(r.documents[0].class, Class::MembershipForm);
        let nir = &r.documents[0].fields["nir"];
        assert_eq!(nir.value, json!("269054958815780"));
        assert!(nir.valid);
        assert_eq!(nir.bbox, [412, 880, 1310, 934]);
        assert_eq!(r.documents[1].fields.len(), 0);
    }

    #[test]
    fn round_trip_order_and_null_error() {
        let r: EnvelopeResult = serde_json::from_str(EXAMPLE).unwrap();
        let s = serde_json::to_string(&r).unwrap();
        assert!(
            s.starts_with(r#"{"envelope":"env-000123","status":"processed","error":null,"pages":4,"blank_pages":[4],"documents":[{"class":"membership_form","confidence":0.97,"pages":[1,2],"fields":{"iban":{"value":"FR7613335000400893289136106","confidence":0.95,"valid":true,"page":2,"bbox":[300,1502,1620,1550]},"nir":"#),
            "{s}"
        );
        let back: EnvelopeResult = serde_json::from_str(&s).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn rejected_line() {
        let r = EnvelopeResult::rejected(
            "env-9",
            "page 2: image is 60000x60000 pixels, over the 40 megapixel limit",
            2,
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["status"], json!("rejected"));
        assert_eq!(v["documents"], json!([]));
        assert!(v["error"].as_str().unwrap().contains("megapixel"));
    }

    #[test]
    fn extra_keys_are_allowed() {
        let line = r#"{"envelope":"e","status":"processed","error":null,"pages":1,"blank_pages":[],
            "duration_ms":12,"documents":[{"class":"invoice","confidence":0.5,"pages":[1],"model":"v2",
            "fields":{"paid":{"value":true,"confidence":0.9,"valid":true,"page":1,"bbox":[0,0,1,1],"raw":"Acquittée"}}}]}"#;
        let r: EnvelopeResult = serde_json::from_str(line).unwrap();
        assert_eq!(r.documents[0].fields["paid"].value, json!(true));
        // A rejected line may omit everything but envelope and status.
        let r: EnvelopeResult =
            serde_json::from_str(r#"{"envelope":"e","status":"rejected","error":"illisible"}"#)
                .unwrap();
        assert_eq!(r.pages, 0);
        assert!(
            serde_json::from_str::<EnvelopeResult>(r#"{"envelope":"e","status":"done"}"#).is_err()
        );
    }
}
