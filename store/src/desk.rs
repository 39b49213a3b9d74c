//! The gestionnaire's desk (issue #6): what the validation web app reads and writes.
//!
//! - **Users and sessions.** A user has a role (`gestionnaire` of one service queue,
//!   `manager`, `ops`) and an argon2 hash computed by the caller (the store never sees a
//!   password). A session is kept as the SHA-256 of its 256-bit token, with its CSRF token
//!   and the time it was last used; [`Store::desk_session`] renews it only within the idle
//!   timeout, so a session left alone dies.
//! - **Claims.** A document waiting for validation is held by at most one clerk: claiming is
//!   one conditional `UPDATE` (free, run out, or already mine), so two clerks racing for the
//!   same document never both get it. A claim runs out after its lease; every action renews it.
//! - **Decisions.** Corrections are kept as before/after values ([`Store::desk_corrections`]);
//!   approving checks every field again (FIELDS.md rules) and writes the downstream event
//!   (`membership.validated`, `complaint.registered`, `claim.validated`) to the `events`
//!   outbox in the same transaction. When every document of an envelope is decided the
//!   envelope becomes `validated`.
//! - **Audit.** Every view, claim, change, approval and rejection is a row of `desk_audit`,
//!   which has no `UPDATE` or `DELETE` path here and triggers that refuse both. Audit rows
//!   name fields, never their values: NIRs and IBANs stay in the fields table.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr as _;
use std::time::Duration;

use mailroom_domain::{Class, EnvelopeId, Truth, TruthDocument, calendar, fields::field_spec};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::{
    EnvelopeInfo, HistoryEntry, Route, Store, StoreError, col, db, from_ms, history, json, now_ms,
    parse_id,
};

/// Working days a membership form may wait before it is keyed (CONTEXT.md: "keyed within
/// 2 days"; counted in working days, French public holidays excluded).
pub const MEMBERSHIP_KEYING_WORKING_DAYS: u32 = 2;

/// Under this confidence a field is shown as doubtful even when it passes its check.
pub const DOUBTFUL_BELOW: f64 = 0.80;

/// Serialises a date as `YYYY-MM-DD` (the `time` crate's default form is a tuple).
#[doc(hidden)]
pub fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// [`ser_date`] for an optional date.
#[doc(hidden)]
pub fn ser_opt_date<S: serde::Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

/// What a desk user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A clerk: the documents of their service's queue.
    Gestionnaire,
    /// Every queue, reassigning work, the audit trail, statistics, status by member.
    Manager,
    /// Queue depths and deadlines, never a document's content.
    Ops,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Gestionnaire => "gestionnaire",
            Role::Manager => "manager",
            Role::Ops => "ops",
        }
    }

    /// The French label shown in the app.
    pub fn label_fr(self) -> &'static str {
        match self {
            Role::Gestionnaire => "Gestionnaire",
            Role::Manager => "Responsable",
            Role::Ops => "Exploitation",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, StoreError> {
        match s {
            "gestionnaire" => Ok(Role::Gestionnaire),
            "manager" => Ok(Role::Manager),
            "ops" => Ok(Role::Ops),
            other => Err(StoreError::Invalid(format!(
                "unknown role {other:?} (gestionnaire, manager or ops)"
            ))),
        }
    }
}

/// The service queues a gestionnaire can belong to.
pub const SERVICES: [&str; 4] = [
    "adhesions",
    "prestations",
    "reclamations",
    "qualification_manuelle",
];

/// A desk user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub login: String,
    pub role: Role,
    /// The service queue of a gestionnaire.
    pub service: Option<String>,
}

impl User {
    /// Whether this user may see the content of documents of `queue`.
    pub fn may_open(&self, queue: &str) -> bool {
        match self.role {
            Role::Manager => true,
            Role::Gestionnaire => self.service.as_deref() == Some(queue),
            Role::Ops => false,
        }
    }

    /// The queue this user works from (`None`: every queue).
    pub fn queue_filter(&self) -> Option<&str> {
        match self.role {
            Role::Gestionnaire => self.service.as_deref(),
            _ => None,
        }
    }
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    /// The token every state change must carry.
    pub csrf: String,
}

/// A document of an envelope: its envelope and 0-based position.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DocKey {
    pub envelope: EnvelopeId,
    pub position: u32,
}

impl std::fmt::Display for DocKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.envelope, self.position)
    }
}

/// The deadline a waiting document is worked against, and whether it has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// `acknowledge` (complaint), `keying` (membership form).
    pub kind: &'static str,
    #[serde(serialize_with = "ser_date")]
    pub due: Date,
    pub overdue: bool,
}

/// One document waiting for validation, as a queue lists it (no content).
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub key: DocKey,
    pub envelope_name: String,
    pub class: Class,
    pub queue: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub deadline: Option<Deadline>,
    #[serde(serialize_with = "ser_opt_date")]
    pub answer_due: Option<Date>,
    /// Who holds it, while the claim runs.
    pub claimed_by: Option<String>,
}

/// One field of a document at the desk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeskField {
    pub name: String,
    pub value: Value,
    pub confidence: f64,
    pub valid: bool,
    pub page: u32,
    pub bbox: [u32; 4],
    /// The check rule's French message when the value fails it.
    pub message: Option<String>,
}

impl DeskField {
    /// Low confidence or invalid: the clerk should look.
    pub fn doubtful(&self) -> bool {
        !self.valid || self.confidence < DOUBTFUL_BELOW
    }
}

/// A document with everything the desk shows.
#[derive(Debug, Clone, Serialize)]
pub struct DeskDocument {
    pub key: DocKey,
    pub envelope_name: String,
    pub class: Class,
    pub confidence: f64,
    pub pages: Vec<u32>,
    pub queue: String,
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub deadline: Option<Deadline>,
    #[serde(serialize_with = "ser_opt_date")]
    pub acknowledge_by: Option<Date>,
    #[serde(serialize_with = "ser_opt_date")]
    pub answer_due: Option<Date>,
    pub claimed_by: Option<String>,
    pub decided_by: Option<String>,
    pub reject_reason: Option<String>,
    /// Positions of the envelope's other documents (for move and merge).
    pub siblings: Vec<u32>,
    pub fields: Vec<DeskField>,
}

impl DeskDocument {
    /// Whether a clerk could approve it now: every field valid (FIELDS.md check rules).
    pub fn all_valid(&self) -> bool {
        self.fields.iter().all(|f| f.valid)
    }
}

/// A page of an envelope, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageInfo {
    pub page: u32,
    pub width: u32,
    pub height: u32,
    /// Clockwise rotation the reader applied (boxes are in the unrotated image).
    pub rotation: u32,
}

/// An audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub login: String,
    pub action: String,
    pub envelope: Option<String>,
    pub document: Option<u32>,
    pub detail: String,
}

/// What to look for in the audit trail (every part optional).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditQuery {
    pub login: Option<String>,
    pub envelope: Option<String>,
    pub action: Option<String>,
    /// At most this many entries, newest first (default and cap 500).
    pub limit: Option<u32>,
}

/// A correction: one field (or `class`, `pages`) before and after a clerk changed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Correction {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub login: String,
    pub envelope: String,
    pub document: u32,
    pub class: String,
    pub field: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// One step of "where is my request".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusStep {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub step: String,
    pub detail: String,
}

/// Where an envelope stands: its summary, each step with its time, its documents.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub envelope: String,
    pub name: String,
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub steps: Vec<StatusStep>,
    pub documents: Vec<StatusDocument>,
}

/// A document in a status report.
#[derive(Debug, Clone, Serialize)]
pub struct StatusDocument {
    pub position: u32,
    pub class: Class,
    pub queue: String,
    pub status: String,
    #[serde(serialize_with = "ser_opt_date")]
    pub acknowledge_by: Option<Date>,
    #[serde(serialize_with = "ser_opt_date")]
    pub answer_due: Option<Date>,
}

/// What an approval did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    /// The event written to the outbox, if the class has one.
    pub event: Option<String>,
    /// Whether this decided the envelope's last document.
    pub envelope_done: bool,
}

/// The claim on a document, as the holder sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    Mine,
    Other,
    Free,
}

fn parse_date(s: &str) -> Result<Date, StoreError> {
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|e| StoreError::Corrupt(format!("date {s:?}: {e}")))
}

fn opt_date(s: Option<String>) -> Result<Option<Date>, StoreError> {
    s.map(|s| parse_date(&s)).transpose()
}

fn parse_class(s: &str) -> Result<Class, StoreError> {
    Class::from_str(s).map_err(|e| StoreError::Corrupt(format!("document class: {e}")))
}

fn parse_received(s: &str) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| StoreError::Corrupt(format!("received_at: {e}")))
}

/// The deadline of a waiting document: a complaint's acknowledgement, a membership form's
/// keying; none for the others.
pub fn deadline(
    class: Class,
    received: Date,
    ack_due: Option<Date>,
    today: Date,
) -> Option<Deadline> {
    let (kind, due) = match class {
        Class::Complaint => ("acknowledge", ack_due?),
        Class::MembershipForm => (
            "keying",
            calendar::add_working_days(received, MEMBERSHIP_KEYING_WORKING_DAYS)?,
        ),
        _ => return None,
    };
    Some(Deadline {
        kind,
        due,
        overdue: due < today,
    })
}

/// Today's date (UTC), for deadlines.
pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// Masks a NIR or an IBAN for display: the first two and last two characters stay.
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 4 {
        return "•".repeat(chars.len());
    }
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if i < 2 || i + 2 >= chars.len() {
            out.push(*c);
        } else {
            out.push('•');
        }
    }
    out
}

/// Whether a field holds a NIR or an IBAN (masked outside its own validation).
pub fn is_secret(name: &str) -> bool {
    matches!(name, "nir" | "iban")
}

/// A document row as stored, with its fields: the unit the structural edits rewrite.
#[derive(Debug, Clone)]
struct DocRow {
    position: i64,
    class: String,
    confidence: f64,
    pages: Vec<u32>,
    queue: String,
    ack_due: Option<String>,
    answer_due: Option<String>,
    status: String,
    claimed_by: Option<String>,
    claim_until_ms: Option<i64>,
    decided_by: Option<String>,
    decided_ms: Option<i64>,
    reject_reason: Option<String>,
    fields: Vec<FieldRow>,
}

#[derive(Debug, Clone)]
struct FieldRow {
    name: String,
    value: String,
    confidence: f64,
    valid: i64,
    page: i64,
    bbox: [i64; 4],
    message: Option<String>,
}

const DOC_COLUMNS: &str = "position, class, confidence, pages, queue, ack_due, answer_due, status, claimed_by, claim_until_ms, decided_by, decided_ms, reject_reason";

fn doc_row(r: &AnyRow) -> Result<DocRow, StoreError> {
    let pages: String = col(r, "pages")?;
    Ok(DocRow {
        position: col(r, "position")?,
        class: col(r, "class")?,
        confidence: col(r, "confidence")?,
        pages: serde_json::from_str(&pages).map_err(json)?,
        queue: col(r, "queue")?,
        ack_due: col(r, "ack_due")?,
        answer_due: col(r, "answer_due")?,
        status: col(r, "status")?,
        claimed_by: col(r, "claimed_by")?,
        claim_until_ms: col(r, "claim_until_ms")?,
        decided_by: col(r, "decided_by")?,
        decided_ms: col(r, "decided_ms")?,
        reject_reason: col(r, "reject_reason")?,
        fields: Vec::new(),
    })
}

fn field_row(r: &AnyRow) -> Result<(i64, FieldRow), StoreError> {
    Ok((
        col(r, "document")?,
        FieldRow {
            name: col(r, "name")?,
            value: col(r, "value")?,
            confidence: col(r, "confidence")?,
            valid: col(r, "valid")?,
            page: col(r, "page")?,
            bbox: [col(r, "x0")?, col(r, "y0")?, col(r, "x1")?, col(r, "y1")?],
            message: col(r, "message")?,
        },
    ))
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

async fn audit_tx(
    tx: &mut Tx<'_>,
    login: &str,
    action: &str,
    key: Option<&DocKey>,
    detail: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO desk_audit (at_ms, login, action, envelope_id, document, detail)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(at)
    .bind(login)
    .bind(action)
    .bind(key.map(|k| k.envelope.as_str().to_string()))
    .bind(key.map(|k| i64::from(k.position)))
    .bind(detail)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn correction_tx(
    tx: &mut Tx<'_>,
    login: &str,
    key: &DocKey,
    class: &str,
    field: &str,
    before: Option<&str>,
    after: Option<&str>,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO desk_corrections (at_ms, login, envelope_id, document, class, field, before_value, after_value)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(at)
    .bind(login)
    .bind(key.envelope.as_str())
    .bind(i64::from(key.position))
    .bind(class)
    .bind(field)
    .bind(before)
    .bind(after)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Renews `login`'s claim on a waiting document inside `tx`; the first write of every action,
/// so it also takes the row's lock. `Err(Invalid)` when `login` does not hold it.
async fn hold_tx(
    tx: &mut Tx<'_>,
    key: &DocKey,
    login: &str,
    lease: Duration,
    now: i64,
) -> Result<(), StoreError> {
    let n = sqlx::query(
        "UPDATE documents SET claim_until_ms = $4
         WHERE envelope_id = $1 AND position = $2 AND status = 'awaiting_validation'
           AND claimed_by = $3 AND claim_until_ms >= $5",
    )
    .bind(key.envelope.as_str())
    .bind(i64::from(key.position))
    .bind(login)
    .bind(now.saturating_add(lease.as_millis() as i64))
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(db)?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Invalid(
            "vous ne détenez pas ce document (prise expirée ou document déjà traité)".into(),
        ));
    }
    Ok(())
}

async fn envelope_received_tx(tx: &mut Tx<'_>, id: &EnvelopeId) -> Result<Date, StoreError> {
    let s: Option<String> = sqlx::query_scalar("SELECT received_at FROM envelopes WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    let s = s.ok_or_else(|| StoreError::NotFound(id.clone()))?;
    Ok(parse_received(&s)?.date())
}

async fn docs_tx(tx: &mut Tx<'_>, id: &EnvelopeId) -> Result<Vec<DocRow>, StoreError> {
    let sql =
        format!("SELECT {DOC_COLUMNS} FROM documents WHERE envelope_id = $1 ORDER BY position");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_all(&mut **tx)
        .await
        .map_err(db)?;
    let mut docs: Vec<DocRow> = rows.iter().map(doc_row).collect::<Result<_, _>>()?;
    let rows = sqlx::query(
        "SELECT document, name, value, confidence, valid, page, x0, y0, x1, y1, message
         FROM fields WHERE envelope_id = $1 ORDER BY document, name",
    )
    .bind(id.as_str())
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    for r in &rows {
        let (n, f) = field_row(r)?;
        if let Some(d) = docs.iter_mut().find(|d| d.position == n) {
            d.fields.push(f);
        }
    }
    Ok(docs)
}

/// Replaces every document of an envelope by `docs`, renumbered in page order (the structural
/// edits: move a page, split, merge). Returns the new position of each old position.
async fn rewrite_docs_tx(
    tx: &mut Tx<'_>,
    id: &EnvelopeId,
    mut docs: Vec<DocRow>,
) -> Result<BTreeMap<i64, u32>, StoreError> {
    docs.retain(|d| !d.pages.is_empty());
    docs.sort_by_key(|d| {
        (
            d.pages.iter().min().copied().unwrap_or(u32::MAX),
            d.position,
        )
    });
    sqlx::query("DELETE FROM documents WHERE envelope_id = $1")
        .bind(id.as_str())
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    let mut moved = BTreeMap::new();
    for (n, d) in docs.iter().enumerate() {
        if d.position >= 0 {
            moved.insert(d.position, n as u32);
        }
        sqlx::query(
            "INSERT INTO documents (envelope_id, position, class, confidence, pages, queue, ack_due, answer_due, status,
                 claimed_by, claim_until_ms, decided_by, decided_ms, reject_reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(id.as_str())
        .bind(n as i64)
        .bind(&d.class)
        .bind(d.confidence)
        .bind(serde_json::to_string(&d.pages).map_err(json)?)
        .bind(&d.queue)
        .bind(d.ack_due.clone())
        .bind(d.answer_due.clone())
        .bind(&d.status)
        .bind(d.claimed_by.clone())
        .bind(d.claim_until_ms)
        .bind(d.decided_by.clone())
        .bind(d.decided_ms)
        .bind(d.reject_reason.clone())
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        for f in &d.fields {
            insert_field_tx(tx, id, n as i64, f).await?;
        }
    }
    Ok(moved)
}

async fn insert_field_tx(
    tx: &mut Tx<'_>,
    id: &EnvelopeId,
    document: i64,
    f: &FieldRow,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO fields (envelope_id, document, name, value, confidence, valid, page, x0, y0, x1, y1, message)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(id.as_str())
    .bind(document)
    .bind(&f.name)
    .bind(&f.value)
    .bind(f.confidence)
    .bind(f.valid)
    .bind(f.page)
    .bind(f.bbox[0])
    .bind(f.bbox[1])
    .bind(f.bbox[2])
    .bind(f.bbox[3])
    .bind(f.message.clone())
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Checks the fields of a document again (FIELDS.md rules, cross-field ones included) and
/// sets `valid` and `message` of each.
fn recheck(class: Class, fields: &mut [FieldRow], received: Date) -> Result<(), StoreError> {
    let mut values = serde_json::Map::new();
    for f in fields.iter() {
        values.insert(
            f.name.clone(),
            serde_json::from_str(&f.value).map_err(json)?,
        );
    }
    let mut messages: BTreeMap<String, String> = BTreeMap::new();
    for p in mailroom_domain::validate::check_document(class, &values, Some(received)) {
        messages.entry(p.key).or_insert(p.message);
    }
    for f in fields.iter_mut() {
        f.message = messages.get(&f.name).cloned();
        f.valid = i64::from(f.message.is_none());
    }
    Ok(())
}

/// Marks the envelope validated when none of its documents waits any more.
async fn finish_envelope_tx(
    tx: &mut Tx<'_>,
    id: &EnvelopeId,
    login: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let waiting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM documents WHERE envelope_id = $1 AND status = 'awaiting_validation'",
    )
    .bind(id.as_str())
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    if waiting > 0 {
        return Ok(false);
    }
    let n = sqlx::query(
        "UPDATE envelopes SET status = 'validated', updated_ms = $2
         WHERE id = $1 AND status = 'awaiting_validation'",
    )
    .bind(id.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(db)?
    .rows_affected();
    if n > 0 {
        history(
            tx,
            id,
            "validated",
            &format!("decided at the desk by {login}"),
            now,
        )
        .await?;
    }
    Ok(n > 0)
}

/// The routing key and payload of the event a validated document sends downstream: ids, the
/// deadlines, and the validated business values the receiving service needs. Nothing that says
/// who the member is leaves the store (names, NIR, IBAN, contact details): the service reads
/// those through the desk API when it must. The broker relay refuses any other field
/// (`mailroom_workers::broker::DocumentValidated`).
pub fn validation_event(
    key: &DocKey,
    class: Class,
    values: &serde_json::Map<String, Value>,
    received_at: &str,
    ack_due: Option<&str>,
    answer_due: Option<&str>,
) -> Option<(String, Value)> {
    let pick = |names: &[&str]| -> serde_json::Map<String, Value> {
        names
            .iter()
            .filter_map(|n| values.get(*n).map(|v| ((*n).to_string(), v.clone())))
            .collect()
    };
    let (routing_key, fields) = match class {
        // Who the member is (names, birth date, address, e-mail, phone, NIR, IBAN) stays in the
        // store: the card issuer and the welcome mail read it through the desk API by id.
        Class::MembershipForm => {
            let mut fields = pick(&["plan", "effective_date"]);
            let dependants = values
                .get("dependants")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            fields.insert("dependants_count".into(), Value::from(dependants));
            ("membership.validated", fields)
        }
        Class::Complaint => (
            "complaint.registered",
            pick(&[
                "member_number",
                "letter_date",
                "references",
                "disputed_amount",
                "escalation",
            ]),
        ),
        Class::Invoice | Class::Quote => (
            "claim.validated",
            pick(&[
                "member_number",
                "provider_finess",
                "provider_rpps",
                "provider_siret",
                "invoice_number",
                "invoice_date",
                "quote_number",
                "quote_date",
                "valid_until",
                "care_date",
                "care_type",
                "total_amount",
                "social_security_amount",
                "complementary_amount",
                "remaining_amount",
                "paid",
            ]),
        ),
        Class::Other => return None,
    };
    let mut payload = serde_json::json!({
        "envelope": key.envelope.as_str(),
        "document": key.position,
        "class": class.as_str(),
        "received_at": received_at,
        "fields": fields,
    });
    // Only complaints have deadlines; an absent one is left out rather than sent as null.
    if let Some(d) = ack_due {
        payload["acknowledge_by"] = Value::from(d);
    }
    if let Some(d) = answer_due {
        payload["answer_by"] = Value::from(d);
    }
    Some((routing_key.to_string(), payload))
}

impl Store {
    /// Adds a desk user. `password_hash` is a PHC string (argon2) computed by the caller.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when the login is taken or malformed, or a gestionnaire has no
    /// known service; [`StoreError::Database`].
    pub async fn desk_add_user(
        &self,
        login: &str,
        password_hash: &str,
        role: Role,
        service: Option<&str>,
    ) -> Result<(), StoreError> {
        if login.is_empty()
            || login.len() > 64
            || !login
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(StoreError::Invalid(
                "a login is 1 to 64 letters, digits, '.', '_', '-' or '@'".into(),
            ));
        }
        match (role, service) {
            (Role::Gestionnaire, Some(s)) if SERVICES.contains(&s) => {}
            (Role::Gestionnaire, _) => {
                return Err(StoreError::Invalid(format!(
                    "a gestionnaire needs --service, one of {}",
                    SERVICES.join(", ")
                )));
            }
            (_, Some(s)) if !SERVICES.contains(&s) => {
                return Err(StoreError::Invalid(format!("unknown service {s:?}")));
            }
            _ => {}
        }
        let n = sqlx::query(
            "INSERT INTO desk_users (login, password_hash, role, service, created_ms)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(login)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(service)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Invalid(format!("the login {login} is taken")));
        }
        Ok(())
    }

    /// A user and their password hash, for logging in.
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`] for an unknown stored role.
    pub async fn desk_user(&self, login: &str) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT login, password_hash, role, service FROM desk_users WHERE login = $1",
        )
        .bind(login)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| Ok((user_row(&r)?, col::<String>(&r, "password_hash")?)))
            .transpose()
    }

    /// Every desk user, by login.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query("SELECT login, role, service FROM desk_users ORDER BY login")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(user_row).collect()
    }

    /// Opens a session for `login`, kept as the hash of its token; sessions idle for longer
    /// than `idle` are deleted on the way.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_open_session(
        &self,
        login: &str,
        token_hash: &str,
        csrf: &str,
        idle: Duration,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("DELETE FROM desk_sessions WHERE last_seen_ms < $1")
            .bind(now.saturating_sub(idle.as_millis() as i64))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "INSERT INTO desk_sessions (token_hash, login, csrf, created_ms, last_seen_ms)
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(token_hash)
        .bind(login)
        .bind(csrf)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        audit_tx(&mut tx, login, "login", None, "session opened", now).await?;
        tx.commit().await.map_err(db)
    }

    /// The session of a token hash, renewed, if it was used within `idle`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_session(
        &self,
        token_hash: &str,
        idle: Duration,
    ) -> Result<Option<Session>, StoreError> {
        let now = now_ms();
        let row = sqlx::query(
            "UPDATE desk_sessions SET last_seen_ms = $2
             WHERE token_hash = $1 AND last_seen_ms >= $3
             RETURNING login, csrf",
        )
        .bind(token_hash)
        .bind(now)
        .bind(now.saturating_sub(idle.as_millis() as i64))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let login: String = col(&row, "login")?;
        let csrf: String = col(&row, "csrf")?;
        Ok(self
            .desk_user(&login)
            .await?
            .map(|(user, _)| Session { user, csrf }))
    }

    /// Ends a session.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_close_session(
        &self,
        token_hash: &str,
        login: &str,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("DELETE FROM desk_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        audit_tx(&mut tx, login, "logout", None, "session closed", now).await?;
        tx.commit().await.map_err(db)
    }

    /// Appends an entry to the audit trail.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_audit(
        &self,
        login: &str,
        action: &str,
        key: Option<&DocKey>,
        detail: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        audit_tx(&mut tx, login, action, key, detail, now_ms()).await?;
        tx.commit().await.map_err(db)
    }

    /// Audit entries matching `q`, newest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = q.limit.unwrap_or(500).clamp(1, 500);
        let rows = sqlx::query(
            "SELECT id, at_ms, login, action, envelope_id, document, detail FROM desk_audit
             WHERE ($1 = '' OR login = $1) AND ($2 = '' OR envelope_id = $2) AND ($3 = '' OR action = $3)
             ORDER BY id DESC LIMIT $4",
        )
        .bind(q.login.as_deref().unwrap_or("").trim())
        .bind(q.envelope.as_deref().unwrap_or("").trim())
        .bind(q.action.as_deref().unwrap_or("").trim())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: col(r, "id")?,
                    at: from_ms(col(r, "at_ms")?),
                    login: col(r, "login")?,
                    action: col(r, "action")?,
                    envelope: col(r, "envelope_id")?,
                    document: col::<Option<i64>>(r, "document")?.map(|d| d as u32),
                    detail: col(r, "detail")?,
                })
            })
            .collect()
    }

    /// The documents waiting for validation (of one queue, or all), late ones first: by
    /// deadline (passed deadlines first), then by reception.
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`].
    pub async fn desk_queue(
        &self,
        queue: Option<&str>,
        today: Date,
    ) -> Result<Vec<QueueItem>, StoreError> {
        let now = now_ms();
        let rows = sqlx::query(
            "SELECT d.envelope_id, d.position, d.class, d.queue, d.ack_due, d.answer_due,
                    d.claimed_by, d.claim_until_ms, e.name, e.received_at
             FROM documents d JOIN envelopes e ON e.id = d.envelope_id
             WHERE d.status = 'awaiting_validation' AND ($1 = '' OR d.queue = $1)
             ORDER BY e.stored_ms, d.envelope_id, d.position LIMIT 20000",
        )
        .bind(queue.unwrap_or(""))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            let class = parse_class(&col::<String>(r, "class")?)?;
            let received_at = parse_received(&col::<String>(r, "received_at")?)?;
            let until: Option<i64> = col(r, "claim_until_ms")?;
            let claimed_by: Option<String> = col(r, "claimed_by")?;
            items.push(QueueItem {
                key: DocKey {
                    envelope: parse_id(col(r, "envelope_id")?)?,
                    position: col::<i64>(r, "position")? as u32,
                },
                envelope_name: col(r, "name")?,
                class,
                queue: col(r, "queue")?,
                deadline: deadline(
                    class,
                    received_at.date(),
                    opt_date(col(r, "ack_due")?)?,
                    today,
                ),
                answer_due: opt_date(col(r, "answer_due")?)?,
                received_at,
                claimed_by: claimed_by.filter(|_| until.is_some_and(|u| u >= now)),
            });
        }
        items.sort_by(|a, b| {
            let da = a.deadline.map(|d| d.due).unwrap_or(Date::MAX);
            let db_ = b.deadline.map(|d| d.due).unwrap_or(Date::MAX);
            (da, a.received_at, &a.key).cmp(&(db_, b.received_at, &b.key))
        });
        Ok(items)
    }

    /// Claims `key` for `login` for `lease`: one conditional update, which succeeds only when
    /// the document waits and nobody else holds it (or their claim ran out). Recorded in the
    /// audit trail. `false` when someone else holds it or it is decided.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_claim(
        &self,
        key: &DocKey,
        login: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let ok = claim_tx(&mut tx, key, login, lease, now).await?;
        if ok {
            audit_tx(&mut tx, login, "claim", Some(key), "claimed", now).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(ok)
    }

    /// Claims for `login` the most urgent free document of `queue` (every queue when `None`),
    /// and gives back the other documents `login` held. `None` when nothing is free.
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`].
    pub async fn desk_claim_next(
        &self,
        login: &str,
        queue: Option<&str>,
        lease: Duration,
    ) -> Result<Option<DocKey>, StoreError> {
        let items = self.desk_queue(queue, today()).await?;
        for item in items.iter().filter(|i| i.claimed_by.is_none()) {
            let now = now_ms();
            let mut tx = self.pool.begin().await.map_err(db)?;
            // Lose the race quietly: someone else's conditional update won, try the next one.
            if claim_tx(&mut tx, &item.key, login, lease, now).await? {
                sqlx::query(
                    "UPDATE documents SET claimed_by = NULL, claim_until_ms = NULL
                     WHERE claimed_by = $1 AND NOT (envelope_id = $2 AND position = $3)",
                )
                .bind(login)
                .bind(item.key.envelope.as_str())
                .bind(i64::from(item.key.position))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                audit_tx(
                    &mut tx,
                    login,
                    "claim",
                    Some(&item.key),
                    "claimed next",
                    now,
                )
                .await?;
                tx.commit().await.map_err(db)?;
                return Ok(Some(item.key.clone()));
            }
            tx.commit().await.map_err(db)?;
        }
        Ok(None)
    }

    /// Gives a claim back.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_release(&self, key: &DocKey, login: &str) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let n = sqlx::query(
            "UPDATE documents SET claimed_by = NULL, claim_until_ms = NULL
             WHERE envelope_id = $1 AND position = $2 AND claimed_by = $3",
        )
        .bind(key.envelope.as_str())
        .bind(i64::from(key.position))
        .bind(login)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        if n > 0 {
            audit_tx(&mut tx, login, "release", Some(key), "released", now).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(n > 0)
    }

    /// A manager hands a waiting document to `to` (taking it from whoever held it).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when `to` is not a user or the document is not waiting;
    /// [`StoreError::Database`].
    pub async fn desk_reassign(
        &self,
        key: &DocKey,
        manager: &str,
        to: &str,
        lease: Duration,
    ) -> Result<(), StoreError> {
        if self.desk_user(to).await?.is_none() {
            return Err(StoreError::Invalid(format!("no user {to}")));
        }
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let n = sqlx::query(
            "UPDATE documents SET claimed_by = $3, claim_until_ms = $4
             WHERE envelope_id = $1 AND position = $2 AND status = 'awaiting_validation'",
        )
        .bind(key.envelope.as_str())
        .bind(i64::from(key.position))
        .bind(to)
        .bind(now.saturating_add(lease.as_millis() as i64))
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Invalid(
                "ce document n'est plus en attente".into(),
            ));
        }
        audit_tx(
            &mut tx,
            manager,
            "reassign",
            Some(key),
            &format!("to {to}"),
            now,
        )
        .await?;
        tx.commit().await.map_err(db)
    }

    /// Who holds `key` as seen by `login`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_hold(&self, key: &DocKey, login: &str) -> Result<Hold, StoreError> {
        let row = sqlx::query(
            "SELECT claimed_by, claim_until_ms FROM documents
             WHERE envelope_id = $1 AND position = $2 AND status = 'awaiting_validation'",
        )
        .bind(key.envelope.as_str())
        .bind(i64::from(key.position))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some(row) = row else {
            return Ok(Hold::Free);
        };
        let by: Option<String> = col(&row, "claimed_by")?;
        let until: Option<i64> = col(&row, "claim_until_ms")?;
        Ok(match (by, until) {
            (Some(b), Some(u)) if u >= now_ms() => {
                if b == login {
                    Hold::Mine
                } else {
                    Hold::Other
                }
            }
            _ => Hold::Free,
        })
    }

    /// The queue of a document (to decide who may open it before loading its content).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_document_queue(&self, key: &DocKey) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT queue FROM documents WHERE envelope_id = $1 AND position = $2")
            .bind(key.envelope.as_str())
            .bind(i64::from(key.position))
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    /// A document with its fields, pages and deadlines; `None` when there is no such document.
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`].
    pub async fn desk_document(&self, key: &DocKey) -> Result<Option<DeskDocument>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        let docs = docs_tx(&mut tx, &key.envelope).await?;
        let row = sqlx::query("SELECT name, received_at FROM envelopes WHERE id = $1")
            .bind(key.envelope.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let Some(d) = docs.iter().find(|d| d.position == i64::from(key.position)) else {
            return Ok(None);
        };
        let received_at = parse_received(&col::<String>(&row, "received_at")?)?;
        let class = parse_class(&d.class)?;
        let ack_due = opt_date(d.ack_due.clone())?;
        let now = now_ms();
        let mut fields = Vec::with_capacity(d.fields.len());
        for f in &d.fields {
            fields.push(DeskField {
                name: f.name.clone(),
                value: serde_json::from_str(&f.value).map_err(json)?,
                confidence: f.confidence,
                valid: f.valid != 0,
                page: f.page as u32,
                bbox: f.bbox.map(|c| c.max(0) as u32),
                message: f.message.clone(),
            });
        }
        // Show the fields in the order of FIELDS.md.
        let order: Vec<&str> = mailroom_domain::fields::fields_of(class)
            .iter()
            .map(|s| s.key)
            .collect();
        fields.sort_by_key(|f| {
            order
                .iter()
                .position(|k| *k == f.name)
                .unwrap_or(usize::MAX)
        });
        Ok(Some(DeskDocument {
            key: key.clone(),
            envelope_name: col(&row, "name")?,
            class,
            confidence: d.confidence,
            pages: d.pages.clone(),
            queue: d.queue.clone(),
            status: d.status.clone(),
            deadline: if d.status == "awaiting_validation" {
                deadline(class, received_at.date(), ack_due, today())
            } else {
                None
            },
            acknowledge_by: ack_due,
            answer_due: opt_date(d.answer_due.clone())?,
            received_at,
            claimed_by: d
                .claimed_by
                .clone()
                .filter(|_| d.claim_until_ms.is_some_and(|u| u >= now)),
            decided_by: d.decided_by.clone(),
            reject_reason: d.reject_reason.clone(),
            siblings: docs
                .iter()
                .map(|x| x.position as u32)
                .filter(|p| *p != key.position)
                .collect(),
            fields,
        }))
    }

    /// The size and rotation of each page of an envelope as read.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_pages(&self, id: &EnvelopeId) -> Result<Vec<PageInfo>, StoreError> {
        let rows = self
            .by_envelope(
                "SELECT page, width, height, rotation FROM pages WHERE envelope_id = $1 ORDER BY page",
                id,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PageInfo {
                    page: col::<i64>(r, "page")? as u32,
                    width: col::<i64>(r, "width")? as u32,
                    height: col::<i64>(r, "height")? as u32,
                    rotation: col::<i64>(r, "rotation")? as u32,
                })
            })
            .collect()
    }

    /// The stored value of one field (for the clerk validating it; masked everywhere else).
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`].
    pub async fn desk_field_value(
        &self,
        key: &DocKey,
        name: &str,
    ) -> Result<Option<Value>, StoreError> {
        let v: Option<String> = sqlx::query_scalar(
            "SELECT value FROM fields WHERE envelope_id = $1 AND document = $2 AND name = $3",
        )
        .bind(key.envelope.as_str())
        .bind(i64::from(key.position))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        v.map(|v| serde_json::from_str(&v).map_err(json))
            .transpose()
    }

    /// Sets (or, with `None`, removes) a field of a document `login` holds, keeps the
    /// before/after values, and checks every field of the document again. A value typed by a
    /// clerk has confidence 1.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when `login` does not hold the document or `name` is no field
    /// of its class; [`StoreError::Database`].
    pub async fn desk_correct(
        &self,
        key: &DocKey,
        login: &str,
        name: &str,
        value: Option<Value>,
        lease: Duration,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        hold_tx(&mut tx, key, login, lease, now).await?;
        let received = envelope_received_tx(&mut tx, &key.envelope).await?;
        let docs = docs_tx(&mut tx, &key.envelope).await?;
        let mut doc = docs
            .into_iter()
            .find(|d| d.position == i64::from(key.position))
            .ok_or_else(|| StoreError::NotFound(key.envelope.clone()))?;
        let class = parse_class(&doc.class)?;
        if field_spec(class, name).is_none() {
            return Err(StoreError::Invalid(format!(
                "{name} n'est pas un champ d'un document « {} »",
                class.label_fr()
            )));
        }
        let before = doc
            .fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.clone());
        let after = value
            .as_ref()
            .map(|v| serde_json::to_string(v).map_err(json))
            .transpose()?;
        if before == after {
            tx.rollback().await.map_err(db)?;
            return Ok(());
        }
        match (&after, doc.fields.iter_mut().find(|f| f.name == name)) {
            (Some(a), Some(f)) => {
                f.value = a.clone();
                f.confidence = 1.0;
            }
            (Some(a), None) => doc.fields.push(FieldRow {
                name: name.to_string(),
                value: a.clone(),
                confidence: 1.0,
                valid: 1,
                page: i64::from(doc.pages.first().copied().unwrap_or(1)),
                bbox: [0; 4],
                message: None,
            }),
            (None, _) => doc.fields.retain(|f| f.name != name),
        }
        recheck(class, &mut doc.fields, received)?;
        sqlx::query("DELETE FROM fields WHERE envelope_id = $1 AND document = $2")
            .bind(key.envelope.as_str())
            .bind(i64::from(key.position))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for f in &doc.fields {
            insert_field_tx(&mut tx, &key.envelope, doc.position, f).await?;
        }
        correction_tx(
            &mut tx,
            login,
            key,
            &doc.class,
            name,
            before.as_deref(),
            after.as_deref(),
            now,
        )
        .await?;
        let what = match (&before, &after) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            _ => "changed",
        };
        audit_tx(
            &mut tx,
            login,
            "correct",
            Some(key),
            &format!("field {name} {what}"),
            now,
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    /// Approves a document `login` holds: every field must pass its check rules. Writes the
    /// class's downstream event to the outbox and, when it was the envelope's last waiting
    /// document, marks the envelope validated; all in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when `login` does not hold it or a field fails its check (the
    /// message lists them); [`StoreError::Database`].
    pub async fn desk_approve(
        &self,
        key: &DocKey,
        login: &str,
        lease: Duration,
    ) -> Result<Approved, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        hold_tx(&mut tx, key, login, lease, now).await?;
        let received_at: String =
            sqlx::query_scalar("SELECT received_at FROM envelopes WHERE id = $1")
                .bind(key.envelope.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        let received = parse_received(&received_at)?.date();
        let docs = docs_tx(&mut tx, &key.envelope).await?;
        let doc = docs
            .into_iter()
            .find(|d| d.position == i64::from(key.position))
            .ok_or_else(|| StoreError::NotFound(key.envelope.clone()))?;
        let class = parse_class(&doc.class)?;
        let mut values = serde_json::Map::new();
        for f in &doc.fields {
            values.insert(
                f.name.clone(),
                serde_json::from_str(&f.value).map_err(json)?,
            );
        }
        let problems = mailroom_domain::validate::check_document(class, &values, Some(received));
        if !problems.is_empty() {
            let list: Vec<String> = problems
                .iter()
                .map(|p| format!("{} : {}", p.key, p.message))
                .collect();
            return Err(StoreError::Invalid(format!(
                "champs à corriger avant validation — {}",
                list.join(" ; ")
            )));
        }
        sqlx::query(
            "UPDATE documents SET status = 'validated', decided_by = $3, decided_ms = $4,
                 claimed_by = NULL, claim_until_ms = NULL
             WHERE envelope_id = $1 AND position = $2",
        )
        .bind(key.envelope.as_str())
        .bind(i64::from(key.position))
        .bind(login)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let event = validation_event(
            key,
            class,
            &values,
            &received_at,
            doc.ack_due.as_deref(),
            doc.answer_due.as_deref(),
        );
        if let Some((routing_key, payload)) = &event {
            sqlx::query(
                "INSERT INTO events (routing_key, payload, created_ms) VALUES ($1, $2, $3)",
            )
            .bind(routing_key)
            .bind(payload.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        audit_tx(&mut tx, login, "approve", Some(key), "validated", now).await?;
        let envelope_done = finish_envelope_tx(&mut tx, &key.envelope, login, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(Approved {
            event: event.map(|(k, _)| k),
            envelope_done,
        })
    }

    /// Rejects a document `login` holds, with the clerk's reason.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when `login` does not hold it or the reason is empty;
    /// [`StoreError::Database`].
    pub async fn desk_reject(
        &self,
        key: &DocKey,
        login: &str,
        reason: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > 500 {
            return Err(StoreError::Invalid(
                "un motif de rejet (1 à 500 caractères) est nécessaire".into(),
            ));
        }
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        hold_tx(&mut tx, key, login, lease, now).await?;
        sqlx::query(
            "UPDATE documents SET status = 'rejected', decided_by = $3, decided_ms = $4,
                 reject_reason = $5, claimed_by = NULL, claim_until_ms = NULL
             WHERE envelope_id = $1 AND position = $2",
        )
        .bind(key.envelope.as_str())
        .bind(i64::from(key.position))
        .bind(login)
        .bind(now)
        .bind(reason)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        audit_tx(
            &mut tx,
            login,
            "reject",
            Some(key),
            &format!("reason: {reason}"),
            now,
        )
        .await?;
        let done = finish_envelope_tx(&mut tx, &key.envelope, login, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(done)
    }

    /// Changes the class of a document `login` holds: it moves to `route`'s queue (and is
    /// given back when that is another queue), keeps the fields the new class has, and the
    /// change is kept as a correction.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when `login` does not hold it; [`StoreError::Database`].
    pub async fn desk_reclassify(
        &self,
        key: &DocKey,
        login: &str,
        class: Class,
        route: &Route,
        lease: Duration,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        hold_tx(&mut tx, key, login, lease, now).await?;
        let received = envelope_received_tx(&mut tx, &key.envelope).await?;
        let docs = docs_tx(&mut tx, &key.envelope).await?;
        let mut doc = docs
            .into_iter()
            .find(|d| d.position == i64::from(key.position))
            .ok_or_else(|| StoreError::NotFound(key.envelope.clone()))?;
        let before = doc.class.clone();
        if before == class.as_str() {
            tx.rollback().await.map_err(db)?;
            return Ok(());
        }
        let keep_claim = doc.queue == route.queue;
        doc.fields.retain(|f| field_spec(class, &f.name).is_some());
        recheck(class, &mut doc.fields, received)?;
        sqlx::query(
            "UPDATE documents SET class = $3, confidence = 1.0, queue = $4, ack_due = $5, answer_due = $6,
                 claimed_by = CASE WHEN $7 = 1 THEN claimed_by ELSE NULL END,
                 claim_until_ms = CASE WHEN $7 = 1 THEN claim_until_ms ELSE NULL END
             WHERE envelope_id = $1 AND position = $2",
        )
        .bind(key.envelope.as_str())
        .bind(i64::from(key.position))
        .bind(class.as_str())
        .bind(&route.queue)
        .bind(route.acknowledge_by.map(|d| d.to_string()))
        .bind(route.answer_by.map(|d| d.to_string()))
        .bind(i64::from(keep_claim))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("DELETE FROM fields WHERE envelope_id = $1 AND document = $2")
            .bind(key.envelope.as_str())
            .bind(i64::from(key.position))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for f in &doc.fields {
            insert_field_tx(&mut tx, &key.envelope, doc.position, f).await?;
        }
        let q = |s: &str| Value::String(s.to_string()).to_string();
        correction_tx(
            &mut tx,
            login,
            key,
            class.as_str(),
            "class",
            Some(&q(&before)),
            Some(&q(class.as_str())),
            now,
        )
        .await?;
        audit_tx(
            &mut tx,
            login,
            "reclassify",
            Some(key),
            &format!("{before} -> {} (queue {})", class.as_str(), route.queue),
            now,
        )
        .await?;
        tx.commit().await.map_err(db)
    }

    /// Moves `page` of a document `login` holds to another document of the same envelope
    /// (`to`, a position), with the fields read on that page that the target lacks. The
    /// documents are renumbered in page order: returns the new key of the held document.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when `login` does not hold it, the page is not its, it is its
    /// only page, or the target is decided or held by someone else; [`StoreError::Database`].
    pub async fn desk_move_page(
        &self,
        key: &DocKey,
        login: &str,
        page: u32,
        to: u32,
        lease: Duration,
    ) -> Result<DocKey, StoreError> {
        self.restructure(key, login, lease, "move_page", |docs, me| {
            let target = docs
                .iter()
                .position(|d| d.position == i64::from(to) && d.position != docs[me].position)
                .ok_or_else(|| StoreError::Invalid(format!("pas de document {to} dans ce pli")))?;
            check_target(&docs[target], login)?;
            if !docs[me].pages.contains(&page) {
                return Err(StoreError::Invalid(format!(
                    "la page {page} n'est pas à ce document"
                )));
            }
            if docs[me].pages.len() == 1 {
                return Err(StoreError::Invalid(
                    "la seule page d'un document ne se déplace pas : fusionnez-le".into(),
                ));
            }
            docs[me].pages.retain(|p| *p != page);
            docs[target].pages.push(page);
            docs[target].pages.sort_unstable();
            let moving: Vec<FieldRow> = docs[me]
                .fields
                .iter()
                .filter(|f| f.page == i64::from(page))
                .cloned()
                .collect();
            docs[me].fields.retain(|f| f.page != i64::from(page));
            let tclass = parse_class(&docs[target].class)?;
            for f in moving {
                if field_spec(tclass, &f.name).is_some()
                    && !docs[target].fields.iter().any(|x| x.name == f.name)
                {
                    docs[target].fields.push(f);
                }
            }
            Ok(format!("page {page} to document {to}"))
        })
        .await
    }

    /// Splits a document `login` holds before `at_page`: its pages from `at_page` on become a
    /// new document of the same class, in the same queue, free for any clerk.
    ///
    /// # Errors
    /// As [`Store::desk_move_page`].
    pub async fn desk_split(
        &self,
        key: &DocKey,
        login: &str,
        at_page: u32,
        lease: Duration,
    ) -> Result<DocKey, StoreError> {
        self.restructure(key, login, lease, "split", |docs, me| {
            let (keep, rest): (Vec<u32>, Vec<u32>) =
                docs[me].pages.iter().partition(|p| **p < at_page);
            if keep.is_empty() || rest.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "la page {at_page} ne coupe pas ce document en deux"
                )));
            }
            let mut new = docs[me].clone();
            new.position = -1;
            new.pages = rest.clone();
            new.claimed_by = None;
            new.claim_until_ms = None;
            new.fields.retain(|f| rest.contains(&(f.page as u32)));
            docs[me].pages = keep;
            docs[me].fields.retain(|f| !rest.contains(&(f.page as u32)));
            docs.push(new);
            Ok(format!("split before page {at_page}"))
        })
        .await
    }

    /// Merges document `other` of the same envelope into the one `login` holds: its pages
    /// and the fields the held document lacks.
    ///
    /// # Errors
    /// As [`Store::desk_move_page`].
    pub async fn desk_merge(
        &self,
        key: &DocKey,
        login: &str,
        other: u32,
        lease: Duration,
    ) -> Result<DocKey, StoreError> {
        self.restructure(key, login, lease, "merge", |docs, me| {
            let o = docs
                .iter()
                .position(|d| d.position == i64::from(other) && d.position != docs[me].position)
                .ok_or_else(|| {
                    StoreError::Invalid(format!("pas de document {other} dans ce pli"))
                })?;
            check_target(&docs[o], login)?;
            let taken = docs[o].clone();
            let class = parse_class(&docs[me].class)?;
            docs[me].pages.extend(taken.pages.iter().copied());
            docs[me].pages.sort_unstable();
            for f in taken.fields {
                if field_spec(class, &f.name).is_some()
                    && !docs[me].fields.iter().any(|x| x.name == f.name)
                {
                    docs[me].fields.push(f);
                }
            }
            docs[o].pages.clear();
            Ok(format!("merged document {other}"))
        })
        .await
    }

    /// Runs a structural edit on the envelope of a held document, rechecks the fields, rewrites
    /// the documents and records the change.
    async fn restructure(
        &self,
        key: &DocKey,
        login: &str,
        lease: Duration,
        action: &str,
        edit: impl FnOnce(&mut Vec<DocRow>, usize) -> Result<String, StoreError>,
    ) -> Result<DocKey, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        hold_tx(&mut tx, key, login, lease, now).await?;
        let received = envelope_received_tx(&mut tx, &key.envelope).await?;
        let mut docs = docs_tx(&mut tx, &key.envelope).await?;
        let me = docs
            .iter()
            .position(|d| d.position == i64::from(key.position))
            .ok_or_else(|| StoreError::NotFound(key.envelope.clone()))?;
        let before: Vec<Vec<u32>> = docs.iter().map(|d| d.pages.clone()).collect();
        let detail = edit(&mut docs, me)?;
        for d in docs.iter_mut() {
            let class = parse_class(&d.class)?;
            recheck(class, &mut d.fields, received)?;
        }
        let after_docs: Vec<Vec<u32>> = docs
            .iter()
            .filter(|d| !d.pages.is_empty())
            .map(|d| d.pages.clone())
            .collect();
        let class = docs[me].class.clone();
        let moved = rewrite_docs_tx(&mut tx, &key.envelope, docs).await?;
        let new_key = DocKey {
            envelope: key.envelope.clone(),
            position: moved.get(&i64::from(key.position)).copied().unwrap_or(0),
        };
        correction_tx(
            &mut tx,
            login,
            &new_key,
            &class,
            "pages",
            Some(&serde_json::to_string(&before).map_err(json)?),
            Some(&serde_json::to_string(&after_docs).map_err(json)?),
            now,
        )
        .await?;
        audit_tx(&mut tx, login, action, Some(key), &detail, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(new_key)
    }

    /// Corrections, oldest first (at most `limit`).
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`].
    pub async fn desk_corrections(&self, limit: u32) -> Result<Vec<Correction>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at_ms, login, envelope_id, document, class, field, before_value, after_value
             FROM desk_corrections ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let val = |s: Option<String>| -> Result<Option<Value>, StoreError> {
            s.map(|s| serde_json::from_str(&s).map_err(json))
                .transpose()
        };
        rows.iter()
            .map(|r| {
                Ok(Correction {
                    id: col(r, "id")?,
                    at: from_ms(col(r, "at_ms")?),
                    login: col(r, "login")?,
                    envelope: col(r, "envelope_id")?,
                    document: col::<i64>(r, "document")? as u32,
                    class: col(r, "class")?,
                    field: col(r, "field")?,
                    before: val(col(r, "before_value")?)?,
                    after: val(col(r, "after_value")?)?,
                })
            })
            .collect()
    }

    /// The truth a clerk established for every envelope whose documents were all approved
    /// (none rejected), in SAMPLES.md form, with the envelope's id: training data for
    /// `mailroom train` once written beside the envelope's files.
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`].
    pub async fn desk_validated_truths(&self) -> Result<Vec<(EnvelopeId, Truth)>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM envelopes WHERE status = 'validated'
               AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.envelope_id = envelopes.id AND d.status <> 'validated')
             ORDER BY name, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let id = parse_id(id)?;
            let row = self
                .envelope_row("SELECT name, blank_pages FROM envelopes WHERE id = $1", &id)
                .await?;
            let blank: String = col(&row, "blank_pages")?;
            let mut tx = self.pool.begin().await.map_err(db)?;
            let docs = docs_tx(&mut tx, &id).await?;
            tx.commit().await.map_err(db)?;
            let mut documents = Vec::with_capacity(docs.len());
            for d in docs {
                let mut fields = serde_json::Map::new();
                for f in d.fields {
                    fields.insert(f.name, serde_json::from_str(&f.value).map_err(json)?);
                }
                documents.push(TruthDocument {
                    class: parse_class(&d.class)?,
                    pages: d.pages,
                    fields,
                });
            }
            out.push((
                id,
                Truth {
                    envelope: col(&row, "name")?,
                    documents,
                    blank_pages: serde_json::from_str(&blank).map_err(json)?,
                },
            ));
        }
        Ok(out)
    }

    /// "Where is my request": an envelope's steps with their times (intake, reading, routing,
    /// each document's decision) and its documents.
    ///
    /// # Errors
    /// [`StoreError::NotFound`]; [`StoreError::Database`]; [`StoreError::Corrupt`].
    pub async fn desk_status(&self, id: &EnvelopeId) -> Result<StatusReport, StoreError> {
        let info: EnvelopeInfo = self.info(id).await?;
        let mut steps: Vec<StatusStep> = self
            .history(id)
            .await?
            .into_iter()
            .map(|h: HistoryEntry| StatusStep {
                at: h.at,
                step: h.status,
                detail: h.detail,
            })
            .collect();
        let decisions = self
            .desk_audit_log(&AuditQuery {
                envelope: Some(id.as_str().to_string()),
                ..AuditQuery::default()
            })
            .await?;
        for a in decisions.into_iter().rev() {
            if matches!(
                a.action.as_str(),
                "claim" | "approve" | "reject" | "reclassify" | "split" | "merge" | "move_page"
            ) {
                steps.push(StatusStep {
                    at: a.at,
                    step: a.action,
                    detail: format!(
                        "document {}{}",
                        a.document.map(|d| d + 1).unwrap_or(0),
                        if a.detail.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", a.detail)
                        }
                    ),
                });
            }
        }
        steps.sort_by_key(|s| s.at);
        let rows = self
            .by_envelope(
                "SELECT position, class, queue, status, ack_due, answer_due FROM documents
                 WHERE envelope_id = $1 ORDER BY position",
                id,
            )
            .await?;
        let documents = rows
            .iter()
            .map(|r| {
                Ok(StatusDocument {
                    position: col::<i64>(r, "position")? as u32,
                    class: parse_class(&col::<String>(r, "class")?)?,
                    queue: col(r, "queue")?,
                    status: col(r, "status")?,
                    acknowledge_by: opt_date(col(r, "ack_due")?)?,
                    answer_due: opt_date(col(r, "answer_due")?)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(StatusReport {
            envelope: info.id.as_str().to_string(),
            name: info.name,
            status: info.status.as_str().to_string(),
            received_at: info.received_at,
            steps,
            documents,
        })
    }

    /// The envelopes holding a document with this member number (normalised form), newest
    /// first, at most 100.
    ///
    /// # Errors
    /// [`StoreError::Database`]; [`StoreError::Corrupt`].
    pub async fn desk_envelopes_of_member(
        &self,
        member_number: &str,
    ) -> Result<Vec<EnvelopeId>, StoreError> {
        let value = Value::String(member_number.trim().to_uppercase().replace(' ', "")).to_string();
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT f.envelope_id FROM fields f JOIN envelopes e ON e.id = f.envelope_id
             WHERE f.name = 'member_number' AND f.value = $1
             GROUP BY f.envelope_id ORDER BY MAX(e.stored_ms) DESC LIMIT 100",
        )
        .bind(value)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut seen = BTreeSet::new();
        ids.into_iter()
            .filter(|i| seen.insert(i.clone()))
            .map(parse_id)
            .collect()
    }

    /// Refused logins recorded for `login` at or after `since` (the login throttle).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_login_failures_since(
        &self,
        login: &str,
        since: time::OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let since_ms = i64::try_from(since.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM desk_audit
             WHERE action = 'login_failed' AND login = $1 AND at_ms >= $2",
        )
        .bind(login)
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Documents decided per user and per decision since `since_ms` (managers' statistics).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn desk_decisions_by_user(
        &self,
        since_ms: i64,
    ) -> Result<Vec<(String, String, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT decided_by, status, COUNT(*) AS n FROM documents
             WHERE decided_by IS NOT NULL AND decided_ms >= $1
             GROUP BY decided_by, status ORDER BY decided_by, status",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok((
                    col(r, "decided_by")?,
                    col(r, "status")?,
                    col::<i64>(r, "n")? as u64,
                ))
            })
            .collect()
    }
}

fn user_row(r: &AnyRow) -> Result<User, StoreError> {
    let role: String = col(r, "role")?;
    Ok(User {
        login: col(r, "login")?,
        role: role
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("unknown role {role:?}")))?,
        service: col(r, "service")?,
    })
}

/// A document another edit takes pages or fields from must wait and not be held by someone
/// else.
fn check_target(d: &DocRow, login: &str) -> Result<(), StoreError> {
    if d.status != "awaiting_validation" {
        return Err(StoreError::Invalid(format!(
            "le document {} est déjà traité",
            d.position
        )));
    }
    if let (Some(by), Some(until)) = (&d.claimed_by, d.claim_until_ms)
        && by != login
        && until >= now_ms()
    {
        return Err(StoreError::Invalid(format!(
            "le document {} est pris par {by}",
            d.position
        )));
    }
    Ok(())
}

async fn claim_tx(
    tx: &mut Tx<'_>,
    key: &DocKey,
    login: &str,
    lease: Duration,
    now: i64,
) -> Result<bool, StoreError> {
    let n = sqlx::query(
        "UPDATE documents SET claimed_by = $3, claim_until_ms = $4
         WHERE envelope_id = $1 AND position = $2 AND status = 'awaiting_validation'
           AND (claimed_by IS NULL OR claim_until_ms IS NULL OR claim_until_ms < $5 OR claimed_by = $3)",
    )
    .bind(key.envelope.as_str())
    .bind(i64::from(key.position))
    .bind(login)
    .bind(now.saturating_add(lease.as_millis() as i64))
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(db)?
    .rows_affected();
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_the_ends() {
        assert_eq!(mask("269054958815780"), "26•••••••••••80");
        assert_eq!(mask("FR7613335000400893289136106").chars().count(), 27);
        assert!(!mask("FR7613335000400893289136106").contains("1333"));
        assert_eq!(mask("123"), "•••");
    }

    #[test]
    fn membership_forms_are_due_in_two_working_days() {
        use time::macros::date;
        // Friday 21 November 2025: due Tuesday 25.
        let d = deadline(
            Class::MembershipForm,
            date!(2025 - 11 - 21),
            None,
            date!(2025 - 11 - 26),
        )
        .unwrap();
        assert_eq!(d.due, date!(2025 - 11 - 25));
        assert!(d.overdue);
        assert!(
            deadline(
                Class::Invoice,
                date!(2025 - 11 - 21),
                None,
                date!(2025 - 11 - 21)
            )
            .is_none()
        );
    }
}
