//! The store as the relay's [`Outbox`].
//!
//! Envelope ids map one to one. Event rows are kept by the store as a routing key and a JSON
//! body; each is read back through [`Outbound::decode`], which refuses a body with a field the
//! typed message does not have. A row that does not decode is a producer bug: it is set aside
//! in the store ([`Store::mark_events_failed`]) with a log line naming its row id and routing
//! key only (never the body, which could hold anything), and the relay goes on with the rows
//! after it.

use mailroom_domain::EnvelopeId;
use mailroom_store::{Store, StoreError};

use super::message::Outbound;
use super::outbox::{Outbox, PendingEvent};

/// The store's limits are `u32`; the relay's batch size is a `usize`.
fn limit_u32(limit: usize) -> u32 {
    u32::try_from(limit).unwrap_or(u32::MAX)
}

impl Outbox for Store {
    type Error = StoreError;

    async fn unpublished(&self, limit: usize) -> Result<Vec<EnvelopeId>, StoreError> {
        Store::unpublished(self, limit_u32(limit)).await
    }

    async fn mark_published(&self, ids: &[EnvelopeId]) -> Result<(), StoreError> {
        Store::mark_published(self, ids).await
    }

    async fn pending_events(&self, limit: usize) -> Result<Vec<PendingEvent>, StoreError> {
        // Rows set aside are not offered again, so this loop ends: each turn either returns
        // or takes at least one row out of the pending set.
        loop {
            let rows = Store::pending_events(self, limit_u32(limit)).await?;
            if rows.is_empty() {
                return Ok(Vec::new());
            }
            let mut good = Vec::with_capacity(rows.len());
            let mut bad = Vec::new();
            for row in rows {
                match Outbound::decode(&row.routing_key, row.payload.as_bytes()) {
                    Ok(message) => good.push(PendingEvent {
                        id: row.id,
                        message,
                    }),
                    Err(_) => {
                        tracing::error!(
                            event = row.id,
                            routing_key = %row.routing_key,
                            "outbox event is not a valid message; set aside, not sent"
                        );
                        bad.push(row.id);
                    }
                }
            }
            if !bad.is_empty() {
                Store::mark_events_failed(self, &bad).await?;
            }
            if !good.is_empty() {
                return Ok(good);
            }
        }
    }

    async fn mark_events_sent(&self, ids: &[i64]) -> Result<(), StoreError> {
        Store::mark_events_sent(self, ids).await
    }
}
