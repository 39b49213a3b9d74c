//! Workers that take envelopes from the queue, read and qualify them, and route the documents.
//!
//! Filled in by the pipeline (issue #5).
