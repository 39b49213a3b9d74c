//! The only shapes a broker message can take.
//!
//! Each body is one of these structs serialised as JSON. They hold ids, a class, a service
//! queue and dates, nothing else: a name, a NIR, an IBAN or OCR text has no field to go in,
//! and `deny_unknown_fields` refuses a body that carries more than the struct.

use std::fmt;

use mailroom_domain::{Class, EnvelopeId};
use serde::{Deserialize, Serialize};
use time::Date;

use super::BrokerError;

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// A document's number in its envelope, as the store numbers it: with the envelope id it names
/// the document in the store, and it says nothing about the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DocumentId(pub u32);

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// "This envelope is stored and waits for reading": the body of `envelope.received`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeMessage {
    /// The envelope to process; the worker reads its pages from the store.
    pub envelope: EnvelopeId,
}

/// A back-office service queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceQueue {
    /// Adhésions: membership forms.
    Adhesions,
    /// Prestations: invoices and quotes.
    Prestations,
    /// Réclamations: complaints, with their regulatory deadlines.
    Reclamations,
    /// Qualification manuelle: anything else, or anything the pipeline is unsure of.
    QualificationManuelle,
}

impl ServiceQueue {
    /// Every service queue.
    pub const ALL: [ServiceQueue; 4] = [
        ServiceQueue::Adhesions,
        ServiceQueue::Prestations,
        ServiceQueue::Reclamations,
        ServiceQueue::QualificationManuelle,
    ];

    /// The queue a document of this class goes to when the pipeline is sure of the class
    /// ([`crate::routing`] holds the table).
    pub fn for_class(class: Class) -> Self {
        Self::from_name(crate::routing::queue(class)).unwrap_or(ServiceQueue::QualificationManuelle)
    }

    /// The queue of this name (without prefix), if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == name)
    }

    /// The queue name without prefix (ASCII: queue names travel in AMQP short strings and
    /// management URLs).
    pub fn as_str(&self) -> &'static str {
        match self {
            ServiceQueue::Adhesions => "adhesions",
            ServiceQueue::Prestations => "prestations",
            ServiceQueue::Reclamations => "reclamations",
            ServiceQueue::QualificationManuelle => "qualification_manuelle",
        }
    }

    /// `route.<queue>`.
    pub fn routing_key(&self) -> String {
        format!("route.{}", self.as_str())
    }
}

/// "This document waits for a clerk of this service": the body of `route.<queue>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutedDocument {
    /// Its envelope.
    pub envelope: EnvelopeId,
    /// The document in the envelope.
    pub document: DocumentId,
    /// Its class as the pipeline read it.
    pub class: Class,
    /// The service whose clerks validate it.
    pub queue: ServiceQueue,
    /// Complaints: acknowledge by this date (10 working days, ACPR 2022-R-01).
    #[serde(with = "iso_date::option", default)]
    pub acknowledge_by: Option<Date>,
    /// Complaints: answer by this date (2 months).
    #[serde(with = "iso_date::option", default)]
    pub answer_by: Option<Date>,
}

/// "This document is qualified": the body of `document.ready.<class>`, for downstream systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentReady {
    /// The document in the store.
    pub document: DocumentId,
    /// Its envelope.
    pub envelope: EnvelopeId,
    /// Its class.
    pub class: Class,
}

/// "A clerk validated this document": the body of `membership.validated` (issuing the
/// tiers-payant card, the welcome message), `claim.validated` (invoices and quotes) and
/// `complaint.registered` (with its deadlines), sent once a gestionnaire approved it.
///
/// It carries ids and the validated values a downstream service acts on, never who the member
/// is: no name, NIR, IBAN, address, e-mail or phone has a field here, and the receiving service
/// reads those through the desk API, under its own credentials, with the document's ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentValidated {
    /// Its envelope.
    pub envelope: EnvelopeId,
    /// The document in the envelope.
    pub document: DocumentId,
    /// Its class as validated.
    pub class: Class,
    /// When the envelope came in (RFC 3339).
    pub received_at: String,
    /// The validated values, in FIELDS.md's normalised form.
    pub fields: ValidatedFields,
    /// Complaints: acknowledge by this date (10 working days, ACPR 2022-R-01).
    #[serde(
        with = "iso_date::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub acknowledge_by: Option<Date>,
    /// Complaints: answer by this date (2 months).
    #[serde(
        with = "iso_date::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub answer_by: Option<Date>,
}

/// The fields a validation event may carry (FIELDS.md names and forms). Any other key, a name
/// or a NIR say, makes the body invalid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ValidatedFields {
    // membership_form
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_date: Option<serde_json::Value>,
    /// How many dependants the form covers (not who they are).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependants_count: Option<u32>,
    // invoice, quote, complaint
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_number: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_finess: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_rpps: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_siret: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_date: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_number: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_date: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_date: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub care_type: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub social_security_amount: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complementary_amount: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_amount: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub letter_date: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disputed_amount: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<serde_json::Value>,
}

impl DocumentValidated {
    /// The event's routing key for a validated document of `class`; `None` for `other`, which
    /// sends no event.
    pub fn routing_key_for(class: Class) -> Option<&'static str> {
        match class {
            Class::MembershipForm => Some(MEMBERSHIP_VALIDATED),
            Class::Complaint => Some(COMPLAINT_REGISTERED),
            Class::Invoice | Class::Quote => Some(CLAIM_VALIDATED),
            Class::Other => None,
        }
    }
}

/// Routing key: a membership form validated.
pub const MEMBERSHIP_VALIDATED: &str = "membership.validated";
/// Routing key: a complaint registered.
pub const COMPLAINT_REGISTERED: &str = "complaint.registered";
/// Routing key: an invoice or a quote validated.
pub const CLAIM_VALIDATED: &str = "claim.validated";

/// A message waiting in the store's outbox: a routed document, a ready event, or a validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outbound {
    /// To a service queue.
    Routed(RoutedDocument),
    /// To downstream systems.
    Ready(DocumentReady),
    /// To downstream systems, once a clerk validated the document.
    Validated(Box<DocumentValidated>),
}

impl Outbound {
    /// The routing key on the exchange.
    pub fn routing_key(&self) -> String {
        match self {
            Outbound::Routed(r) => r.queue.routing_key(),
            Outbound::Ready(r) => format!("document.ready.{}", r.class.as_str()),
            Outbound::Validated(v) => DocumentValidated::routing_key_for(v.class)
                .unwrap_or("other.validated")
                .to_owned(),
        }
    }

    /// Reads an outbox row kept as routing key and JSON body (the store's form), refusing a
    /// body with any field the typed message does not have, or a key that does not match it.
    ///
    /// # Errors
    ///
    /// [`BrokerError::InvalidEvent`] naming the routing key.
    pub fn decode(routing_key: &str, payload: &[u8]) -> Result<Self, BrokerError> {
        let invalid = || BrokerError::InvalidEvent {
            routing_key: routing_key.to_owned(),
        };
        let message = if routing_key.starts_with("route.") {
            Outbound::Routed(serde_json::from_slice(payload).map_err(|_| invalid())?)
        } else if routing_key.starts_with("document.ready.") {
            Outbound::Ready(serde_json::from_slice(payload).map_err(|_| invalid())?)
        } else if [MEMBERSHIP_VALIDATED, COMPLAINT_REGISTERED, CLAIM_VALIDATED]
            .contains(&routing_key)
        {
            Outbound::Validated(serde_json::from_slice(payload).map_err(|_| invalid())?)
        } else {
            return Err(invalid());
        };
        if message.routing_key() != routing_key {
            return Err(invalid());
        }
        Ok(message)
    }

    /// The body (the inner struct, without the `kind` tag).
    ///
    /// # Errors
    ///
    /// serde_json's error, which these plain structs cannot produce in practice.
    pub fn body(&self) -> Result<Vec<u8>, serde_json::Error> {
        match self {
            Outbound::Routed(r) => serde_json::to_vec(r),
            Outbound::Ready(r) => serde_json::to_vec(r),
            Outbound::Validated(v) => serde_json::to_vec(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn every_class_has_a_service_queue() {
        assert_eq!(
            ServiceQueue::for_class(Class::Quote),
            ServiceQueue::Prestations
        );
        assert_eq!(
            ServiceQueue::for_class(Class::Complaint).routing_key(),
            "route.reclamations"
        );
        assert_eq!(
            ServiceQueue::for_class(Class::Other).as_str(),
            "qualification_manuelle"
        );
    }

    #[test]
    fn routed_body_holds_ids_and_dates_only() {
        let msg = Outbound::Routed(RoutedDocument {
            envelope: EnvelopeId::new("env-000001").unwrap(),
            document: DocumentId(2),
            class: Class::Complaint,
            queue: ServiceQueue::Reclamations,
            acknowledge_by: Some(date!(2026 - 12 - 04)),
            answer_by: Some(date!(2027 - 01 - 20)),
        });
        let body = msg.body().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "envelope": "env-000001", "document": 2, "class": "complaint",
                "queue": "reclamations", "acknowledge_by": "2026-12-04", "answer_by": "2027-01-20"
            })
        );
        assert_eq!(Outbound::decode("route.reclamations", &body).unwrap(), msg);
        assert!(
            Outbound::decode("route.adhesions", &body).is_err(),
            "key must match"
        );
    }

    #[test]
    fn store_rows_decode() {
        let ready = br#"{"envelope":"env-1","document":1,"class":"invoice"}"#;
        let msg = Outbound::decode("document.ready.invoice", ready).unwrap();
        assert_eq!(msg.routing_key(), "document.ready.invoice");
        let routed = br#"{"envelope":"env-1","document":1,"class":"invoice","queue":"prestations","acknowledge_by":null,"answer_by":null}"#;
        assert!(Outbound::decode("route.prestations", routed).is_ok());
        let leaky = br#"{"envelope":"env-1","document":1,"class":"invoice","iban":"FR76"}"#;
        assert!(Outbound::decode("document.ready.invoice", leaky).is_err());
    }

    #[test]
    fn extra_fields_are_refused() {
        let smuggled = br#"{"envelope":"env-1","nir":"269054958815780"}"#;
        assert!(serde_json::from_slice::<EnvelopeMessage>(smuggled).is_err());
        let ok = br#"{"envelope":"env-1"}"#;
        assert!(serde_json::from_slice::<EnvelopeMessage>(ok).is_ok());
    }

    #[test]
    fn validation_events_carry_ids_and_business_values_only() {
        let body = br#"{"envelope":"env-1","document":1,"class":"complaint","received_at":"2026-11-20T09:00:00Z","fields":{"member_number":"M123","escalation":true},"acknowledge_by":"2026-12-04","answer_by":"2027-01-20"}"#;
        let msg = Outbound::decode("complaint.registered", body).unwrap();
        assert_eq!(msg.routing_key(), "complaint.registered");
        let back: serde_json::Value = serde_json::from_slice(&msg.body().unwrap()).unwrap();
        assert_eq!(back["acknowledge_by"], "2026-12-04");
        assert_eq!(back["fields"]["member_number"], "M123");
        assert!(
            Outbound::decode("claim.validated", body).is_err(),
            "a complaint is not a claim"
        );
        let card = br#"{"envelope":"env-1","document":2,"class":"membership_form","received_at":"2026-11-20T09:00:00Z","fields":{"plan":"Niveau 3","effective_date":"2026-12-01","dependants_count":1}}"#;
        assert!(Outbound::decode("membership.validated", card).is_ok());
        for leak in [
            "last_name",
            "first_name",
            "nir",
            "iban",
            "email",
            "address",
            "phone",
        ] {
            let body = format!(
                r#"{{"envelope":"env-1","document":2,"class":"membership_form","received_at":"2026-11-20T09:00:00Z","fields":{{"{leak}":"x"}}}}"#
            );
            assert!(
                Outbound::decode("membership.validated", body.as_bytes()).is_err(),
                "{leak} must not travel"
            );
        }
        let other = br#"{"envelope":"env-1","document":3,"class":"other","received_at":"2026-11-20T09:00:00Z","fields":{}}"#;
        assert!(Outbound::decode("other.validated", other).is_err());
    }
}
