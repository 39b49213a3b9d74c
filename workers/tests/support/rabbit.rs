//! Stopping the local RabbitMQ for a test, shared by the broker tests of `workers/` and the
//! reliability tests of the `mailroom` binary (included by `#[path]`).

use std::process::{Command, Stdio};

/// The broker's application, stopped; started again when dropped, even when the test fails, so
/// a failing test does not leave the broker down for everybody else.
pub struct BrokerStopped;

impl BrokerStopped {
    /// Runs `rabbitmqctl stop_app`.
    pub fn stop() -> BrokerStopped {
        rabbitmqctl("stop_app");
        BrokerStopped
    }
}

impl Drop for BrokerStopped {
    fn drop(&mut self) {
        rabbitmqctl("start_app");
    }
}

fn rabbitmqctl(command: &str) {
    let status = Command::new("rabbitmqctl")
        .arg("-q")
        .arg(command)
        .stdout(Stdio::null())
        .status()
        .expect("rabbitmqctl runs");
    assert!(status.success(), "rabbitmqctl {command} failed");
}
