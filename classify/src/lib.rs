//! Qualifying documents: splitting an envelope's pages, classifying, extracting fields.
//!
//! Filled in by the qualification stage (issue #4).
