//! Placeholder: being written.
use super::Ctx;
use crate::doc::{Doc, DocBuilder, Rng};
use mailroom_domain::Class;

pub fn render(_rng: &mut Rng, _ctx: &Ctx) -> Doc {
    DocBuilder::new(Class::Other, "quote/placeholder").finish()
}
