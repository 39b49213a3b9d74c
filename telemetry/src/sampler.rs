//! The periodic sampler: what only the store knows, turned into gauges and into the ops
//! page's history.
//!
//! Every [`SamplerConfig::tick`] it reads the store ([`mailroom_store::metrics`]): the
//! validation backlog, complaint deadlines, the store's queue and outboxes, the clerks' last
//! hour, and the envelopes that reached a result since the last tick. It sets the matching gauges, and every
//! [`SamplerConfig::step`] it appends a [`Sample`] to the [`History`] ring.
//!
//! Throughput and latency on the ops page come from the store, not from this process's
//! counters, so they count every worker process sharing the store. They are read by the
//! status history's primary key from a cursor kept here: no query scans the history by time.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::time::Duration;

use mailroom_store::metrics::Finished;
use mailroom_store::{Store, StoreError};
use time::OffsetDateTime;

use crate::metrics::{Component, Queue, metrics};
use crate::ops::{History, Sample};

/// How the sampler runs.
#[derive(Debug, Clone)]
pub struct SamplerConfig {
    /// How often the store is read and the gauges set.
    pub tick: Duration,
    /// How often a sample goes into the history (the charts' resolution).
    pub step: Duration,
    /// The latency percentiles cover the envelopes finished over this window.
    pub latency_window: Duration,
    /// The envelope queue is the store's (`mailroom run` without a broker): its depth is the
    /// envelopes waiting in the store. Otherwise the broker poller sets it.
    pub embedded_queue: bool,
    /// A broker is used: the dead-letter queue's depth is shown.
    pub broker: bool,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig {
            tick: Duration::from_secs(10),
            step: Duration::from_secs(30),
            latency_window: Duration::from_secs(15 * 60),
            embedded_queue: true,
            broker: false,
        }
    }
}

/// History rows read per query, and queries per tick at most (a backlog of results after a
/// long pause is caught up over several ticks).
const BATCH: u32 = 5_000;
const BATCHES_PER_TICK: usize = 20;
/// How far back in the history a starting sampler looks for the last hour's results.
const LOOK_BACK_ROWS: i64 = 200_000;
/// Bound on the results kept for the last hour.
const WINDOW_CAP: usize = 200_000;

/// Reads the store and records what it finds; see the module docs.
#[derive(Debug)]
pub struct Sampler {
    store: Store,
    history: History,
    config: SamplerConfig,
    cursor: Option<i64>,
    window: VecDeque<Finished>,
    last_push: Option<OffsetDateTime>,
}

impl Sampler {
    /// A sampler over `store`, feeding `history`.
    pub fn new(store: Store, history: History, config: SamplerConfig) -> Sampler {
        history.set_step(config.step);
        Sampler {
            store,
            history,
            config,
            cursor: None,
            window: VecDeque::new(),
            last_push: None,
        }
    }

    /// Ticks until `stop` resolves. A store that does not answer is logged and marked down
    /// (`mailroom_component_up{component="store"}`); the next tick tries again.
    pub async fn run(mut self, stop: impl Future<Output = ()>) {
        let mut stop = std::pin::pin!(stop);
        let mut interval = tokio::time::interval(self.config.tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = interval.tick() => {}
            }
            // A store that does not answer must not hold up a stop.
            let round = tokio::select! {
                () = &mut stop => return,
                r = self.tick(OffsetDateTime::now_utc()) => r,
            };
            if let Err(e) = round {
                metrics().set_up(Component::Store, false);
                tracing::warn!(error = %e, "metrics sampler could not read the store");
            }
        }
    }

    /// One round: reads the store, sets the gauges, updates the latest sample and, once a
    /// step has passed, appends it to the history.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be read; nothing is recorded then.
    pub async fn tick(&mut self, now: OffsetDateTime) -> Result<Sample, StoreError> {
        let queue = self.store.queue_figures().await?;
        let backlog = self.store.validation_backlog(now).await?;
        let deadlines = self.store.deadline_counts(crate::paris::today(now)).await?;
        let desk = self
            .store
            .desk_activity(now - Duration::from_secs(3600), now)
            .await?;
        self.read_finished(now).await?;
        let m = metrics();
        m.set_up(Component::Store, true);
        m.set_store_figures(&backlog, &deadlines, &queue);
        m.set_desk_activity(&desk);
        if self.config.embedded_queue {
            m.set_queue_depth(Queue::Envelopes, queue.waiting);
        }
        let since = now - self.config.latency_window;
        let mut latencies: Vec<f64> = self
            .window
            .iter()
            .filter(|f| f.at >= since)
            .map(|f| f.latency.as_secs_f64())
            .collect();
        latencies.sort_by(f64::total_cmp);
        let mut by_service: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_age: BTreeMap<String, u64> = BTreeMap::new();
        for b in &backlog {
            *by_service.entry(b.service.clone()).or_default() += b.documents;
            *by_age.entry(b.age.as_str().to_string()).or_default() += b.documents;
        }
        let sample = Sample {
            at: now.unix_timestamp(),
            envelopes_per_hour: self.window.len() as u64,
            waiting: if self.config.embedded_queue {
                queue.waiting
            } else {
                m.queue_depth(Queue::Envelopes)
            },
            reading: queue.reading,
            dead_letters: self
                .config
                .broker
                .then(|| m.queue_depth(Queue::DeadLetters)),
            latency_p50_seconds: percentile(&latencies, 0.50),
            latency_p95_seconds: percentile(&latencies, 0.95),
            backlog: by_service.values().sum(),
            backlog_by_service: by_service,
            backlog_by_age: by_age,
            validated_per_hour: desk
                .decisions
                .iter()
                .filter(|(_, d, _)| d == "validated")
                .map(|(_, _, n)| n)
                .sum(),
            corrected_per_hour: desk.corrected_documents,
            deadlines_overdue: deadlines.iter().map(|d| d.overdue).sum(),
            deadlines_at_risk: deadlines.iter().map(|d| d.at_risk).sum(),
        };
        // Half a tick of slack, so that a 30 s step over 10 s ticks pushes every third tick.
        let step = self.config.step.saturating_sub(self.config.tick / 2);
        let due = self
            .last_push
            .is_none_or(|t| Duration::try_from(now - t).unwrap_or_default() >= step);
        if due {
            self.last_push = Some(now);
            self.history.push(sample.clone());
        } else {
            self.history.set_latest(sample.clone());
        }
        Ok(sample)
    }

    /// Brings the last hour's results up to date from the cursor.
    async fn read_finished(&mut self, now: OffsetDateTime) -> Result<(), StoreError> {
        let hour_ago = now - Duration::from_secs(3600);
        let mut cursor = match self.cursor {
            Some(c) => c,
            None => (self.store.history_cursor().await? - LOOK_BACK_ROWS).max(0),
        };
        for _ in 0..BATCHES_PER_TICK {
            let rows = self.store.finished_since(cursor, hour_ago, BATCH).await?;
            if let Some(last) = rows.last() {
                cursor = last.cursor;
            }
            let full = rows.len() as u32 == BATCH;
            self.window.extend(rows);
            if !full {
                break;
            }
        }
        self.cursor = Some(cursor);
        while self.window.front().is_some_and(|f| f.at < hour_ago) {
            self.window.pop_front();
        }
        while self.window.len() > WINDOW_CAP {
            self.window.pop_front();
        }
        Ok(())
    }
}

/// The nearest-rank percentile of sorted values; `None` when there are none.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), Some(10.0));
        assert_eq!(percentile(&v, 0.95), Some(19.0));
        assert_eq!(percentile(&[3.0], 0.95), Some(3.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
