//! The document layouts, one module per class. Each layout draws a document on a
//! [`DocBuilder`](crate::doc::DocBuilder) and records the truth fields it prints.
//!
//! Layouts are genuinely different designs (not one template with other values): each module
//! has several, chosen at random, and each records its name in [`Doc::layout`](crate::doc::Doc).

use crate::values::{Member, Mutuelle};
use mailroom_domain::Amount;
use time::Date;

pub mod care;
pub mod complaint;
pub mod invoice;
pub mod membership;
pub mod other;
pub mod quote;

/// What every document of an envelope shares: who sent it, to which insurer, when it arrived.
#[derive(Clone, Debug)]
pub struct Ctx<'a> {
    /// The day the envelope was received; every date printed on its documents is on or before it
    /// (except effective dates and quote validity, which look ahead).
    pub received: Date,
    pub member: &'a Member,
    pub mutuelle: &'a Mutuelle,
}

/// A care invoice as a complaint letter cites it: the complaint about a reimbursement names the
/// invoice that came in the same envelope.
#[derive(Clone, Debug)]
pub struct DisputeRef {
    /// The invoice number, normalised (upper case, no spaces).
    pub reference: String,
    /// The invoice number as printed on the invoice.
    pub printed_reference: String,
    pub date: Date,
    pub provider_name: String,
    pub total: Amount,
    /// What the member says is missing (usually the reste à charge or part of it).
    pub disputed: Amount,
    /// One of FIELDS.md's care types: `optical`, `dental`, …
    pub care_type: &'static str,
}

/// The kinds of "other" document an envelope holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtherKind {
    /// Relevé d'identité bancaire.
    Rib,
    /// Photocopy of a national identity card.
    IdCard,
    /// Photocopy of a Carte Vitale.
    CarteVitale,
    /// Ordonnance (prescription).
    Prescription,
    /// Letter announcing a change of address (not a complaint).
    AddressChange,
    /// Attestation de droits from the Assurance Maladie.
    Attestation,
}

/// What layout tests share: a context per seed, and the soundness checks every document passes.
#[cfg(test)]
pub(crate) mod testkit {
    use super::Ctx;
    use crate::doc::{Doc, Rng};
    use crate::values::{self, Member, Mutuelle};
    use rand::SeedableRng as _;
    use time::{Date, Month};

    /// A random member and reception day for `seed`.
    pub fn setup(seed: u64) -> (Rng, Member, &'static Mutuelle, Date) {
        let mut rng = Rng::seed_from_u64(seed);
        let received = values::date_between(
            &mut rng,
            Date::from_calendar_date(2025, Month::January, 6).unwrap(),
            Date::from_calendar_date(2026, Month::October, 30).unwrap(),
        );
        let member = values::member(&mut rng, received);
        let mutuelle = values::pick(&mut rng, values::MUTUELLES);
        (rng, member, mutuelle, received)
    }

    pub fn ctx<'a>(member: &'a Member, mutuelle: &'a Mutuelle, received: Date) -> Ctx<'a> {
        Ctx {
            received,
            member,
            mutuelle,
        }
    }

    /// Every truth field is known, normalised and valid; every marked value is printed on its
    /// page; the document has at least one page with text.
    pub fn assert_sound(doc: &Doc, received: Date) {
        let problems =
            mailroom_domain::validate::check_document(doc.class, &doc.fields, Some(received));
        assert!(
            problems.is_empty(),
            "{}: {problems:?} in {:#?}",
            doc.layout,
            doc.fields
        );
        assert!(!doc.pages.is_empty(), "{}: no page", doc.layout);
        for (i, page) in doc.pages.iter().enumerate() {
            assert!(
                page.text_runs().next().is_some(),
                "{}: page {} has no text",
                doc.layout,
                i + 1
            );
            let text: String = page
                .text_runs()
                .map(|(t, _)| t)
                .collect::<Vec<_>>()
                .join("\n");
            for span in &page.spans {
                assert!(
                    text.contains(span.printed.as_str())
                        || span
                            .printed
                            .chars()
                            .filter(|c| !c.is_whitespace())
                            .all(|c| text.contains(c)),
                    "{}: marked value {:?} ({}) is not printed on page {}",
                    doc.layout,
                    span.printed,
                    span.key,
                    i + 1
                );
            }
        }
        for key in doc.fields.keys() {
            let marked = doc
                .pages
                .iter()
                .flat_map(|p| &p.spans)
                .any(|s| &s.key == key || s.key.starts_with(&format!("{key}.")));
            assert!(
                marked,
                "{}: truth field {key} is not marked anywhere on the pages",
                doc.layout
            );
        }
    }
}
