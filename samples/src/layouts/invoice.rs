//! Placeholder: being written.
use super::{Ctx, DisputeRef};
use crate::doc::{Doc, DocBuilder, Rng};
use mailroom_domain::{Amount, Class};

pub fn render(_rng: &mut Rng, ctx: &Ctx, _care_type: Option<&'static str>) -> (Doc, DisputeRef) {
    let d = DisputeRef {
        reference: "X".into(),
        printed_reference: "X".into(),
        date: ctx.received,
        provider_name: "X".into(),
        total: Amount::from_cents(0),
        disputed: Amount::from_cents(0),
        care_type: "other",
    };
    (DocBuilder::new(Class::Invoice, "invoice/placeholder").finish(), d)
}
