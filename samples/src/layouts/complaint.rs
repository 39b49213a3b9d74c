//! Placeholder: being written.
use super::{Ctx, DisputeRef};
use crate::doc::{Doc, DocBuilder, Rng};
use mailroom_domain::Class;

pub fn render(_rng: &mut Rng, _ctx: &Ctx, _disputed: Option<&DisputeRef>) -> Doc {
    DocBuilder::new(Class::Complaint, "complaint/placeholder").finish()
}
