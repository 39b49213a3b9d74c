//! # mailroom-workers: reading, qualifying and routing envelopes
//!
//! - [`process`]: one envelope, whatever queue it came from: its files from the store, read
//!   by the OCR stage, qualified, routed, stored in one transaction (or rejected with the
//!   operator's sentence). The broker's consumer and the embedded queue both call
//!   [`process::process_envelope`].
//! - [`routing`]: which service queue each class goes to, and a complaint's deadlines.
//! - [`embedded`]: `mailroom run`, the one-machine mode: hot folder, an in-process queue kept
//!   in the store (leases, so a crash loses nothing), upload endpoint, clean shutdown.
//! - [`broker`]: the RabbitMQ side: topology, messages, publisher, outbox relay, consumer.
//! - [`worker`]: `mailroom worker`, the consumer and the relay over the store.

pub mod broker;
pub mod bus;
pub mod embedded;
mod error;
pub mod process;
pub mod routing;
pub mod worker;

pub use error::WorkerError;
pub use process::{Outcome, Pipeline, process_envelope};
