//! # mailroom-classify: qualifying the documents of an envelope
//!
//! What a mailroom clerk does by hand today, from the pages the OCR stage read:
//!
//! - [`qualify`]: split an envelope into documents from their content (no separator sheet
//!   needed; blank pages and separators dropped), classify each one with the learned model
//!   ([`model`]; an uncertain document goes to `other`), and extract its fields
//!   ([`extract`]), each normalised, checked (`valid`) and located (page, pixel box).
//! - [`process`]: every envelope of a folder to RESULTS.md lines, with a summary.
//! - [`eval`]: results scored against a sample set's truth.
//! - [`train`]: the classifier retrained from sample sets, written as a versioned model file.
//!
//! Reading pages is slow (about a second a page), so [`process`] and [`train`] can keep the
//! pages they read in an OCR cache folder, keyed by a hash of the envelope's files.

#![forbid(unsafe_code)]

pub mod cache;
pub mod error;
pub mod eval;
pub mod extract;
pub mod layout;
pub mod model;
pub mod page;
pub mod process;
pub mod qualify;
pub mod repair;
pub mod train;

pub use error::ClassifyError;
pub use eval::{EvalReport, eval};
pub use model::Model;
pub use process::{ProcessOptions, Progress, Summary, process};
pub use qualify::Qualifier;
pub use train::{TrainOptions, TrainReport, train};
