//! Reading pages: decoders, page clean-up and OCR, isolated from hostile input.
//!
//! Filled in by the OCR stage (issue #3).
