//! Intake: taking envelopes from scanners into the store.
//!
//! Filled in by the pipeline (issue #5).
