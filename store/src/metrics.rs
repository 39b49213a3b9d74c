//! Figures for operations (issue #7): what the store knows that no single process sees.
//!
//! The metrics sampler (`mailroom-telemetry`) calls these every few seconds, in every process
//! that serves `/metrics`, so each query stays on an index:
//!
//! - [`Store::queue_figures`]: envelopes waiting and being read (the embedded queue's depth),
//!   and what the outboxes still hold (`envelopes_queue`, `envelopes_outbox`, `events_pending`);
//! - [`Store::validation_backlog`]: documents waiting for a clerk, by service and by age since
//!   the mailroom stored their envelope (`documents_claims` on `status`);
//! - [`Store::deadline_counts`]: complaints still waiting whose acknowledgement or answer is due
//!   within [`AT_RISK_WORKING_DAYS`] working days, or overdue;
//! - [`Store::finished_since`]: envelopes that reached a result (documents stored, or rejected),
//!   read incrementally by the status history's primary key, never by a time scan: the sampler
//!   keeps the last id it saw and works out envelopes per hour and latency percentiles from
//!   the rows after it.
//!
//! - [`Store::desk_activity`]: the clerks' work over the last hour: documents validated and
//!   rejected by service, corrections by kind, documents held now, refused logins.
//!
//! Nothing here returns a name, a text or a field value: counts, ages and ids of history rows.

use std::time::Duration;

use mailroom_domain::{EnvelopeId, calendar};
use time::{Date, OffsetDateTime};

use crate::{Store, StoreError, col, db, from_ms};

/// A complaint's deadline is at risk when it is due today or within this many working days
/// after today (French public holidays excluded).
pub const AT_RISK_WORKING_DAYS: u32 = 2;

/// Envelopes in the store's own queue and in the outboxes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueFigures {
    /// Stored, waiting for a worker (the embedded queue's depth).
    pub waiting: u64,
    /// Held by a worker.
    pub reading: u64,
    /// Stored but not yet published to the broker (the envelope outbox).
    pub unpublished_envelopes: u64,
    /// Route and `document.ready` events not yet sent (the event outbox).
    pub pending_events: u64,
}

/// How long a document has been waiting since its envelope was stored, in four buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeBucket {
    /// Less than a day.
    Under1Day,
    /// One to three days.
    Days1To3,
    /// Three to seven days.
    Days3To7,
    /// A week or more.
    Over7Days,
}

impl AgeBucket {
    /// Every bucket, youngest first.
    pub const ALL: [AgeBucket; 4] = [
        AgeBucket::Under1Day,
        AgeBucket::Days1To3,
        AgeBucket::Days3To7,
        AgeBucket::Over7Days,
    ];

    /// The label value (`under_1d`, `1d_to_3d`, `3d_to_7d`, `over_7d`).
    pub fn as_str(self) -> &'static str {
        match self {
            AgeBucket::Under1Day => "under_1d",
            AgeBucket::Days1To3 => "1d_to_3d",
            AgeBucket::Days3To7 => "3d_to_7d",
            AgeBucket::Over7Days => "over_7d",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        AgeBucket::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| StoreError::Corrupt(format!("age bucket {s:?}")))
    }
}

/// Documents waiting for validation in one service queue and one age bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklogCount {
    /// The service queue (`adhesions`, `prestations`, `reclamations`,
    /// `qualification_manuelle`).
    pub service: String,
    pub age: AgeBucket,
    pub documents: u64,
}

/// Which of a complaint's deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deadline {
    /// The acknowledgement, 10 working days after reception.
    Acknowledge,
    /// The answer, 2 months after reception.
    Answer,
}

impl Deadline {
    /// Both deadlines.
    pub const ALL: [Deadline; 2] = [Deadline::Acknowledge, Deadline::Answer];

    /// The label value (`acknowledge`, `answer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Deadline::Acknowledge => "acknowledge",
            Deadline::Answer => "answer",
        }
    }
}

/// Documents still waiting for validation whose deadline is near or past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineCount {
    pub deadline: Deadline,
    /// Due from today to [`AT_RISK_WORKING_DAYS`] working days from today.
    pub at_risk: u64,
    /// Due before today.
    pub overdue: u64,
}

/// An envelope that reached a result, from the status history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// The history row's id: pass the last one back to [`Store::finished_since`].
    pub cursor: i64,
    /// When the result was committed.
    pub at: OffsetDateTime,
    /// From the envelope's storage by intake to its result, queue wait included.
    pub latency: Duration,
    /// Rejected rather than stored with documents.
    pub rejected: bool,
}

/// The clerks' work over a window (the last hour for the sampler), from the store so that
/// every web process is counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskActivity {
    /// Documents decided in the window: (service queue, `validated` or `rejected`, count), only
    /// the pairs that have some.
    pub decisions: Vec<(String, String, u64)>,
    /// Corrections in the window by kind: `field` (a value typed over what was read), `class`
    /// (a reclassification) and `pages` (a split, merge or page moved).
    pub corrections: Vec<(CorrectionKind, u64)>,
    /// Documents with at least one correction in the window.
    pub corrected_documents: u64,
    /// Documents a clerk holds now, by service queue.
    pub claimed: Vec<(String, u64)>,
    /// Refused logins in the window.
    pub login_failures: u64,
}

/// What a clerk's correction changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CorrectionKind {
    /// A field's value.
    Field,
    /// The document's class.
    Class,
    /// Which pages form which document.
    Pages,
}

impl CorrectionKind {
    /// Every kind.
    pub const ALL: [CorrectionKind; 3] = [
        CorrectionKind::Field,
        CorrectionKind::Class,
        CorrectionKind::Pages,
    ];

    /// The label value (`field`, `class`, `pages`).
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionKind::Field => "field",
            CorrectionKind::Class => "class",
            CorrectionKind::Pages => "pages",
        }
    }
}

/// The last day counted as "at risk" for a deadline, seen from `today`.
pub fn at_risk_until(today: Date) -> Date {
    calendar::add_working_days(today, AT_RISK_WORKING_DAYS).unwrap_or(today)
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

impl Store {
    /// Whether the database answers: a `SELECT 1` through the pool (readiness probes bound
    /// it with their own timeout, the pool may wait for a connection).
    ///
    /// # Errors
    /// [`StoreError::Database`] when the database cannot be reached or the store was closed.
    pub async fn ping(&self) -> Result<(), StoreError> {
        if self.pool.is_closed() {
            return Err(StoreError::Database(sqlx::Error::PoolClosed));
        }
        let one: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    /// Envelopes waiting and being read, and what the outboxes hold.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn queue_figures(&self) -> Result<QueueFigures, StoreError> {
        Ok(QueueFigures {
            waiting: self
                .count_of("SELECT COUNT(*) FROM envelopes WHERE status = 'received'")
                .await?,
            reading: self
                .count_of("SELECT COUNT(*) FROM envelopes WHERE status = 'reading'")
                .await?,
            unpublished_envelopes: self
                .count_of(
                    "SELECT COUNT(*) FROM envelopes WHERE published_ms IS NULL AND status = 'received'",
                )
                .await?,
            pending_events: self
                .count_of("SELECT COUNT(*) FROM events WHERE sent_ms IS NULL AND failed_ms IS NULL")
                .await?,
        })
    }

    async fn count_of(&self, sql: &'static str) -> Result<u64, StoreError> {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&self.pool)
            .await
            .map_err(db)
            .map(count)
    }

    /// Documents waiting for a clerk, by service queue and age bucket (only the pairs that
    /// have documents). The age runs from when intake stored the envelope.
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`].
    pub async fn validation_backlog(
        &self,
        now: OffsetDateTime,
    ) -> Result<Vec<BacklogCount>, StoreError> {
        let day = 86_400_000i64;
        let now = ms(now);
        let rows = sqlx::query(
            "SELECT d.queue AS service,
                    CASE WHEN e.stored_ms >= $1 THEN 'under_1d'
                         WHEN e.stored_ms >= $2 THEN '1d_to_3d'
                         WHEN e.stored_ms >= $3 THEN '3d_to_7d'
                         ELSE 'over_7d' END AS age,
                    COUNT(*) AS n
             FROM documents d JOIN envelopes e ON e.id = d.envelope_id
             WHERE d.status = 'awaiting_validation'
             GROUP BY 1, 2",
        )
        .bind(now - day)
        .bind(now - 3 * day)
        .bind(now - 7 * day)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(BacklogCount {
                service: col(r, "service")?,
                age: AgeBucket::parse(&col::<String>(r, "age")?)?,
                documents: count(col(r, "n")?),
            });
        }
        out.sort_by(|a, b| (&a.service, a.age).cmp(&(&b.service, b.age)));
        Ok(out)
    }

    /// Complaints still waiting for validation whose acknowledgement or answer is due within
    /// [`AT_RISK_WORKING_DAYS`] working days of `today` (at risk), or before `today`
    /// (overdue). Both deadlines are always listed.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn deadline_counts(&self, today: Date) -> Result<Vec<DeadlineCount>, StoreError> {
        let until = at_risk_until(today);
        let row = sqlx::query(
            "SELECT
                COALESCE(SUM(CASE WHEN ack_due < $1 THEN 1 ELSE 0 END), 0) AS ack_overdue,
                COALESCE(SUM(CASE WHEN ack_due >= $1 AND ack_due <= $2 THEN 1 ELSE 0 END), 0) AS ack_at_risk,
                COALESCE(SUM(CASE WHEN answer_due < $1 THEN 1 ELSE 0 END), 0) AS answer_overdue,
                COALESCE(SUM(CASE WHEN answer_due >= $1 AND answer_due <= $2 THEN 1 ELSE 0 END), 0) AS answer_at_risk
             FROM documents
             WHERE status = 'awaiting_validation' AND (ack_due IS NOT NULL OR answer_due IS NOT NULL)",
        )
        .bind(today.to_string())
        .bind(until.to_string())
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(vec![
            DeadlineCount {
                deadline: Deadline::Acknowledge,
                at_risk: count(col(&row, "ack_at_risk")?),
                overdue: count(col(&row, "ack_overdue")?),
            },
            DeadlineCount {
                deadline: Deadline::Answer,
                at_risk: count(col(&row, "answer_at_risk")?),
                overdue: count(col(&row, "answer_overdue")?),
            },
        ])
    }

    /// The highest status-history id now, where a sampler starting up may begin; `0` for an
    /// empty history.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn history_cursor(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) FROM status_history")
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    /// Envelopes that reached a result (stored with documents, or rejected) in history rows
    /// after `cursor` and at or after `since`, oldest first, at most `limit`. Reads by the
    /// history's primary key, so it stays cheap on a long history.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn finished_since(
        &self,
        cursor: i64,
        since: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<Finished>, StoreError> {
        let rows = sqlx::query(
            "SELECT h.id, h.status, h.at_ms, e.stored_ms
             FROM status_history h JOIN envelopes e ON e.id = h.envelope_id
             WHERE h.id > $1 AND h.at_ms >= $2 AND h.status IN ('awaiting_validation', 'rejected')
             ORDER BY h.id LIMIT $3",
        )
        .bind(cursor)
        .bind(ms(since))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let at: i64 = col(r, "at_ms")?;
            let stored: i64 = col(r, "stored_ms")?;
            out.push(Finished {
                cursor: col(r, "id")?,
                at: from_ms(at),
                latency: Duration::from_millis(u64::try_from(at - stored).unwrap_or(0)),
                rejected: col::<String>(r, "status")? == "rejected",
            });
        }
        Ok(out)
    }

    /// The clerks' work since `since` (see [`DeskActivity`]); `now` decides which claims still
    /// hold.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_activity(
        &self,
        since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<DeskActivity, StoreError> {
        let since = ms(since);
        let rows = sqlx::query(
            "SELECT queue, status, COUNT(*) AS n FROM documents
             WHERE decided_ms >= $1 AND status IN ('validated', 'rejected')
             GROUP BY queue, status ORDER BY queue, status",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut decisions = Vec::with_capacity(rows.len());
        for r in &rows {
            decisions.push((col(r, "queue")?, col(r, "status")?, count(col(r, "n")?)));
        }
        let row = sqlx::query(
            "SELECT
                COALESCE(SUM(CASE WHEN field = 'class' THEN 1 ELSE 0 END), 0) AS class_n,
                COALESCE(SUM(CASE WHEN field = 'pages' THEN 1 ELSE 0 END), 0) AS pages_n,
                COUNT(*) AS all_n
             FROM desk_corrections WHERE at_ms >= $1",
        )
        .bind(since)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        let class_n = count(col(&row, "class_n")?);
        let pages_n = count(col(&row, "pages_n")?);
        let all_n = count(col(&row, "all_n")?);
        let corrections = vec![
            (
                CorrectionKind::Field,
                all_n.saturating_sub(class_n + pages_n),
            ),
            (CorrectionKind::Class, class_n),
            (CorrectionKind::Pages, pages_n),
        ];
        let corrected_documents = count(
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM (SELECT DISTINCT envelope_id, document FROM desk_corrections
                 WHERE at_ms >= $1) AS corrected",
            )
            .bind(since)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?,
        );
        let rows = sqlx::query(
            "SELECT queue, COUNT(*) AS n FROM documents
             WHERE status = 'awaiting_validation' AND claimed_by IS NOT NULL
               AND claim_until_ms >= $1
             GROUP BY queue ORDER BY queue",
        )
        .bind(ms(now))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for r in &rows {
            claimed.push((col(r, "queue")?, count(col(r, "n")?)));
        }
        let login_failures = count(
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM desk_audit WHERE action = 'login_failed' AND at_ms >= $1",
            )
            .bind(since)
            .fetch_one(&self.pool)
            .await
            .map_err(db)?,
        );
        Ok(DeskActivity {
            decisions,
            corrections,
            corrected_documents,
            claimed,
            login_failures,
        })
    }

    /// When intake stored an envelope (the start of its end-to-end latency).
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Database`].
    pub async fn stored_at(&self, id: &EnvelopeId) -> Result<OffsetDateTime, StoreError> {
        let row = self
            .envelope_row("SELECT stored_ms FROM envelopes WHERE id = $1", id)
            .await?;
        Ok(from_ms(col(&row, "stored_ms")?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn at_risk_counts_working_days() {
        // Friday 9 May 2025: Monday 12 and Tuesday 13 are the next two working days.
        assert_eq!(at_risk_until(date!(2025 - 05 - 09)), date!(2025 - 05 - 13));
        // Wednesday 7 May 2025: Thursday 8 May is a public holiday.
        assert_eq!(at_risk_until(date!(2025 - 05 - 07)), date!(2025 - 05 - 12));
    }

    #[test]
    fn age_buckets_round_trip() {
        for b in AgeBucket::ALL {
            assert_eq!(AgeBucket::parse(b.as_str()).unwrap(), b);
        }
    }
}
