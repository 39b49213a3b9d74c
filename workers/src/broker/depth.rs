//! Broker queue depths for `mailroom_queue_depth_messages`, and the broker's readiness check.
//!
//! [`poll_depths`] keeps one plain connection (no automatic recovery: a failure is simply
//! retried at the next poll) and every few seconds asks the broker, by a passive
//! `queue.declare`, how many messages are ready in each queue: the envelope work queue, the
//! dead letters, the four service queues and the events. Queues are labelled by their role
//! (`envelopes`, `dead_letters`, `adhesions`…), never by their prefixed name. A passive
//! declaration creates nothing, and the topology is declared on connect like everywhere
//! else, so the queues exist.

use std::future::Future;
use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};
use mailroom_telemetry::health::ProbeFuture;
use mailroom_telemetry::metrics::{Component, Queue, metrics};

use super::message::ServiceQueue;
use super::{Backoff, BrokerConfig, BrokerError, Names, publisher};

/// How often `mailroom worker` polls the queue depths.
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Each watched queue, with its name on the broker.
fn watched(names: &Names) -> Vec<(Queue, String)> {
    let mut out = vec![
        (Queue::Envelopes, names.envelopes.clone()),
        (Queue::DeadLetters, names.dead_letters.clone()),
    ];
    out.extend(
        ServiceQueue::ALL
            .into_iter()
            .map(|q| (Queue::Service(q.as_str()), names.service(q))),
    );
    out.push((Queue::Events, names.events.clone()));
    out
}

/// Polls the queue depths every `every` until `stop` resolves, reconnecting with a backoff
/// when the broker is away (`mailroom_component_up{component="broker"}` says so meanwhile).
pub async fn poll_depths(config: BrokerConfig, every: Duration, stop: impl Future<Output = ()>) {
    let mut stop = std::pin::pin!(stop);
    let mut backoff = Backoff::new(&config);
    loop {
        let session = tokio::select! {
            () = &mut stop => return,
            s = config.open("mailroom queue depths", false) => s,
        };
        match session {
            Ok((connection, channel)) => {
                backoff.reset();
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let stopped = loop {
                    tokio::select! {
                        () = &mut stop => break true,
                        _ = tick.tick() => {}
                    }
                    // Bounded by the operation timeout, and cut short by a stop.
                    let round = tokio::select! {
                        () = &mut stop => break true,
                        r = depths(&config, &channel) => r,
                    };
                    match round {
                        Ok(()) => metrics().set_up(Component::Broker, true),
                        Err(error) => {
                            metrics().set_up(Component::Broker, false);
                            tracing::warn!(error = %error, "queue depths not read; reconnecting");
                            break false;
                        }
                    }
                };
                let _ = connection.close(200, "done".into()).await;
                if stopped {
                    return;
                }
            }
            Err(BrokerError::InvalidUrl) => {
                metrics().set_up(Component::Broker, false);
                tracing::error!("queue depths not polled: AMQP_URL is not a valid amqp:// url");
                return;
            }
            Err(error) => {
                metrics().set_up(Component::Broker, false);
                tracing::warn!(error = %error, "queue depths: broker unreachable");
            }
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(backoff.next_delay().max(every)) => {}
        }
    }
}

/// One round of passive declarations.
async fn depths(config: &BrokerConfig, channel: &Channel) -> Result<(), BrokerError> {
    for (queue, name) in watched(&config.names()) {
        let declared = publisher::bounded(
            config,
            "queue depth",
            channel.queue_declare(
                name.as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            ),
        )
        .await?
        .map_err(|source| BrokerError::Channel {
            operation: "queue depth",
            source,
        })?;
        metrics().set_queue_depth(queue, u64::from(declared.message_count()));
    }
    Ok(())
}

/// The broker's readiness check: a fresh AMQP connection (TCP, handshake, login), closed at
/// once. The probe's own timeout bounds it.
pub fn probe(config: BrokerConfig) -> impl Fn() -> ProbeFuture + Send + Sync + 'static {
    move || {
        let config = config.clone();
        Box::pin(async move {
            let uri = config.uri().map_err(|e| e.to_string())?;
            let props =
                ConnectionProperties::default().with_connection_name("mailroom readiness".into());
            let connection = Connection::connect_uri(uri, props)
                .await
                .map_err(|e| BrokerError::Connect { source: e }.to_string())?;
            let _ = connection.close(200, "checked".into()).await;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_are_labelled_by_role_not_by_name() {
        let names = BrokerConfig::new(BrokerConfig::DEFAULT_URL)
            .with_prefix("t-42")
            .names();
        let w = watched(&names);
        assert_eq!(w.len(), 7);
        assert_eq!(
            w[1],
            (Queue::DeadLetters, "t-42.mailroom.envelopes.dead".into())
        );
        for (queue, _) in &w {
            assert!(!queue.as_str().contains("t-42"));
        }
    }
}
