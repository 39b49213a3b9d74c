//! # mailroom-domain
//!
//! The vocabulary every stage of the mailroom pipeline shares: the sample generator, the OCR
//! and classification stages, the ingest store and the evaluation all speak about the same
//! documents, so the words live here, once.
//!
//! - [`Class`]: the five kinds of document an envelope ("pli") can hold.
//! - [`fields`]: which fields each class carries and of which kind
//!   (shared/domain/FIELDS.md).
//! - [`normalize`]: printed form (as OCR reads it) → normalised form (as truth and results
//!   write it). Every function takes arbitrary text and returns `None` rather than panicking,
//!   because its input is OCR output and therefore routinely garbage.
//! - [`check`]: the check rules behind `valid: true` (NIR key, IBAN mod 97, SIRET Luhn, …),
//!   with French error messages a clerk understands, plus the generation helpers the sample
//!   generator uses to build valid identifiers.
//! - [`validate`]: a whole-field and whole-document check of values already in normalised
//!   form, including the cross-field rules (NIR vs birth date, amounts that add up, …).
//! - [`truth`] and [`results`]: the serde types of the two on-disk contracts
//!   (shared/contracts/SAMPLES.md and RESULTS.md).
//! - [`Amount`], [`EnvelopeId`], [`Confidence`]: newtypes that carry their invariant, so a
//!   value that exists is a value that is well formed.
//!
//! Nothing in this crate does I/O; it is pure data and rules, cheap to depend on.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod amount;
pub mod calendar;
pub mod check;
pub mod class;
pub mod fields;
pub mod ids;
pub mod normalize;
pub mod results;
pub mod truth;
pub mod validate;

pub use amount::{Amount, AmountError};
pub use check::CheckError;
pub use class::{Class, ParseClassError};
pub use fields::{FieldKind, FieldSpec};
pub use ids::{Confidence, EnvelopeId, EnvelopeIdError};
pub use results::{EnvelopeResult, FieldResult, ResultDocument, Status};
pub use truth::{Truth, TruthDocument};
pub use validate::FieldProblem;
