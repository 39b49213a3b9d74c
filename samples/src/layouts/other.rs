//! Placeholder: being written.
use super::{Ctx, OtherKind};
use crate::doc::{Doc, DocBuilder, Rng};
use mailroom_domain::Class;

pub fn render(_rng: &mut Rng, _ctx: &Ctx, _kind: OtherKind) -> Doc {
    DocBuilder::new(Class::Other, "other/placeholder").finish()
}
