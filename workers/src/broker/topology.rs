//! Exchange and queue names, and the declarations the program makes on every connect.

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongInt};
use lapin::{Channel, ExchangeKind};

use super::BrokerError;
use super::message::ServiceQueue;

/// Routing key of a new envelope.
pub const ENVELOPE_KEY: &str = "envelope.received";

/// The names of everything the program declares, with an optional prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The topic exchange every message goes through.
    pub exchange: String,
    /// The quorum work queue of envelopes.
    pub envelopes: String,
    /// The dead-letter exchange of the envelope queue.
    pub dead_exchange: String,
    /// Where dead envelopes end.
    pub dead_letters: String,
    /// Where `document.ready.<class>` and validation events (`membership.validated`,
    /// `claim.validated`, `complaint.registered`) are kept for downstream systems.
    pub events: String,
    prefix: Option<String>,
}

impl Names {
    /// The names, each behind `<prefix>.` when a prefix is given.
    pub fn new(prefix: Option<&str>) -> Self {
        let name = |base: &str| match prefix {
            Some(p) => format!("{p}.{base}"),
            None => base.to_owned(),
        };
        Names {
            exchange: name("mailroom"),
            envelopes: name("mailroom.envelopes"),
            dead_exchange: name("mailroom.dead"),
            dead_letters: name("mailroom.envelopes.dead"),
            events: name("mailroom.events"),
            prefix: prefix.map(str::to_owned),
        }
    }

    /// The queue of a back-office service (`adhesions`, … behind the prefix).
    pub fn service(&self, queue: ServiceQueue) -> String {
        match &self.prefix {
            Some(p) => format!("{p}.{}", queue.as_str()),
            None => queue.as_str().to_owned(),
        }
    }
}

/// Turns lapin's error into a [`BrokerError::Topology`] naming `object`.
fn refused(object: String) -> impl FnOnce(lapin::Error) -> BrokerError {
    move |source| BrokerError::Topology { object, source }
}

fn quorum_args() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    args
}

fn durable() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    }
}

/// Declares the exchanges, queues and bindings. Idempotent: declaring the same thing twice
/// with the same arguments is a no-op for the broker.
///
/// # Errors
///
/// [`BrokerError::Topology`] naming the first declaration the broker refused (for instance a
/// queue that exists with other arguments: a different delivery limit must be applied by a
/// policy or by deleting the queue, not by redeclaring it).
pub async fn declare(
    channel: &Channel,
    names: &Names,
    delivery_limit: u32,
) -> Result<(), BrokerError> {
    let exchange_opts = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    for (exchange, kind) in [
        (&names.exchange, ExchangeKind::Topic),
        (&names.dead_exchange, ExchangeKind::Fanout),
    ] {
        channel
            .exchange_declare(
                exchange.as_str().into(),
                kind,
                exchange_opts,
                FieldTable::default(),
            )
            .await
            .map_err(refused(format!("exchange {exchange}")))?;
    }

    // (queue, exchange, routing key)
    let mut bindings: Vec<(String, &str, String)> = Vec::new();

    let mut envelope_args = quorum_args();
    let limit = LongInt::try_from(delivery_limit).unwrap_or(LongInt::MAX);
    envelope_args.insert("x-delivery-limit".into(), AMQPValue::LongInt(limit));
    envelope_args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(names.dead_exchange.as_str().into()),
    );
    declare_queue(channel, &names.envelopes, envelope_args).await?;
    bindings.push((
        names.envelopes.clone(),
        &names.exchange,
        ENVELOPE_KEY.to_owned(),
    ));

    declare_queue(channel, &names.dead_letters, quorum_args()).await?;
    bindings.push((
        names.dead_letters.clone(),
        &names.dead_exchange,
        String::new(),
    ));

    for queue in ServiceQueue::ALL {
        let name = names.service(queue);
        declare_queue(channel, &name, quorum_args()).await?;
        bindings.push((name, &names.exchange, queue.routing_key()));
    }
    declare_queue(channel, &names.events, quorum_args()).await?;
    bindings.push((
        names.events.clone(),
        &names.exchange,
        "document.ready.#".to_owned(),
    ));
    for key in [
        super::message::MEMBERSHIP_VALIDATED,
        super::message::COMPLAINT_REGISTERED,
        super::message::CLAIM_VALIDATED,
    ] {
        bindings.push((names.events.clone(), &names.exchange, key.to_owned()));
    }

    for (queue, exchange, key) in bindings {
        channel
            .queue_bind(
                queue.as_str().into(),
                exchange.into(),
                key.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(refused(format!("binding of {queue}")))?;
    }
    Ok(())
}

async fn declare_queue(channel: &Channel, name: &str, args: FieldTable) -> Result<(), BrokerError> {
    channel
        .queue_declare(name.into(), durable(), args)
        .await
        .map(drop)
        .map_err(refused(format!("queue {name}")))
}

/// Deletes every queue and exchange of these names (tests and tear-downs; never called by the
/// program itself).
///
/// # Errors
///
/// [`BrokerError::Topology`] when the broker refuses a deletion.
pub async fn delete(channel: &Channel, names: &Names) -> Result<(), BrokerError> {
    let mut queues = vec![
        names.envelopes.clone(),
        names.dead_letters.clone(),
        names.events.clone(),
    ];
    queues.extend(ServiceQueue::ALL.into_iter().map(|q| names.service(q)));
    for queue in queues {
        channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await
            .map_err(refused(format!("queue {queue}")))?;
    }
    for exchange in [&names.exchange, &names.dead_exchange] {
        channel
            .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
            .await
            .map_err(refused(format!("exchange {exchange}")))?;
    }
    Ok(())
}
