//! The routing table: which back-office service receives each class of document.
//!
//! | class | service queue |
//! |---|---|
//! | membership form | `adhesions` |
//! | invoice, quote | `prestations` |
//! | complaint | `reclamations`, with its deadlines |
//! | other | `qualification_manuelle` |
//!
//! A complaint carries the two ACPR deadlines (2022-R-01), counted from the envelope's
//! reception: acknowledgement within 10 working days, answer within 2 months
//! ([`mailroom_domain::calendar`]).

use mailroom_domain::{Class, EnvelopeResult, calendar};
use mailroom_store::Route;
use time::Date;

/// The membership service.
pub const ADHESIONS: &str = "adhesions";
/// Claims for care: invoices and quotes.
pub const PRESTATIONS: &str = "prestations";
/// Complaints.
pub const RECLAMATIONS: &str = "reclamations";
/// Documents a person has to qualify.
pub const QUALIFICATION_MANUELLE: &str = "qualification_manuelle";

/// Every service queue, for topology declarations and dashboards.
pub const QUEUES: [&str; 4] = [ADHESIONS, PRESTATIONS, RECLAMATIONS, QUALIFICATION_MANUELLE];

/// The service queue of a class.
pub fn queue(class: Class) -> &'static str {
    match class {
        Class::MembershipForm => ADHESIONS,
        Class::Invoice | Class::Quote => PRESTATIONS,
        Class::Complaint => RECLAMATIONS,
        Class::Other => QUALIFICATION_MANUELLE,
    }
}

/// The route of a document of `class` in an envelope received on `received`.
pub fn route(class: Class, received: Date) -> Route {
    let deadlines = (class == Class::Complaint)
        .then(|| calendar::complaint_deadlines(received))
        .flatten();
    Route {
        queue: queue(class).to_string(),
        acknowledge_by: deadlines.map(|d| d.acknowledge_by),
        answer_by: deadlines.map(|d| d.answer_by),
    }
}

/// One route per document of `result`, in order.
pub fn routes(result: &EnvelopeResult, received: Date) -> Vec<Route> {
    result
        .documents
        .iter()
        .map(|d| route(d.class, received))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn table() {
        assert_eq!(queue(Class::MembershipForm), "adhesions");
        assert_eq!(queue(Class::Invoice), "prestations");
        assert_eq!(queue(Class::Quote), "prestations");
        assert_eq!(queue(Class::Complaint), "reclamations");
        assert_eq!(queue(Class::Other), "qualification_manuelle");
    }

    #[test]
    fn complaints_carry_deadlines() {
        // Received Monday 28 April 2025: 1 and 8 May are holidays.
        let r = route(Class::Complaint, date!(2025 - 04 - 28));
        assert_eq!(r.acknowledge_by, Some(date!(2025 - 05 - 14)));
        assert_eq!(r.answer_by, Some(date!(2025 - 06 - 28)));
        let r = route(Class::Invoice, date!(2025 - 04 - 28));
        assert_eq!((r.acknowledge_by, r.answer_by), (None, None));
    }
}
