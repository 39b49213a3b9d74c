//! # mailroom-desk: the gestionnaire's desk
//!
//! The web app where clerks (*gestionnaires*) validate what the pipeline read, on the same
//! store as the pipeline (issue #6). Server-rendered French pages with a small vanilla
//! script for the keyboard (no CDN, `script-src 'self'`), and a JSON API under `/api/` that
//! does everything the pages do, described by `/api/openapi.json`.
//!
//! - **Queues** per service with their counts, oldest item and deadlines, late items first
//!   ([`mailroom_store::Store::desk_queue`]). "Claim next" gives a clerk the most urgent free
//!   document of their service; a claim is one conditional update, so no two clerks ever
//!   hold the same document, and it runs out.
//! - **The document view**: page images (zoom, page flip) beside the fields, the box of the
//!   focused field highlighted, doubtful fields marked with the check rule's message; Tab /
//!   Shift-Tab between fields, Enter approves; keys to reclassify, move a page, split, merge,
//!   reject with a reason, go to the next document.
//! - **Roles**: a gestionnaire sees their service's documents, a manager all of them plus the
//!   audit trail, reassignment and statistics, ops the queues without any content.
//! - **Security**: argon2 passwords, sessions with an idle timeout, CSRF tokens on every
//!   state change, strict headers ([`auth`]); NIR and IBAN masked everywhere except in the
//!   field being validated; every view and decision in the append-only audit trail.
//!
//! [`router`] gives the whole app as an axum router, for `mailroom run` to merge.

#![forbid(unsafe_code)]

mod api;
pub mod auth;
pub mod cli;
pub mod demo;
mod error;
mod images;
pub mod openapi;
pub mod render;
pub mod training;
pub(crate) mod web;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::MethodRouter;
use mailroom_domain::fields::{FieldKind, field_spec};
use mailroom_domain::{Class, EnvelopeId, normalize};
use mailroom_store::Store;
use mailroom_store::desk::{DocKey, Role, User};
use serde::Deserialize;
use serde_json::Value;

pub use auth::hash_password;
pub use error::{AppError, DeskError};

/// How the desk runs.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    /// A session unused for this long is closed (default 30 minutes).
    pub idle: Duration,
    /// How long a claim lasts without activity (default 20 minutes).
    pub claim_lease: Duration,
    /// Mark the session cookie `Secure` (set it when the app is served over HTTPS).
    pub secure_cookies: bool,
    /// Refused logins for one login name within [`DeskConfig::login_window`] after which its
    /// further attempts are refused unchecked until the window has passed (default 5).
    pub max_login_failures: u64,
    /// The window of [`DeskConfig::max_login_failures`] (default 15 minutes).
    pub login_window: Duration,
}

impl DeskConfig {
    /// The defaults, changed by `MAILROOM_DESK_IDLE_MINUTES`, `MAILROOM_DESK_CLAIM_MINUTES`
    /// and `MAILROOM_DESK_SECURE_COOKIES=1`.
    pub fn from_env() -> DeskConfig {
        let minutes = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|m| *m > 0)
                .map(|m| Duration::from_secs(m * 60))
        };
        let d = DeskConfig::default();
        DeskConfig {
            idle: minutes("MAILROOM_DESK_IDLE_MINUTES").unwrap_or(d.idle),
            claim_lease: minutes("MAILROOM_DESK_CLAIM_MINUTES").unwrap_or(d.claim_lease),
            secure_cookies: std::env::var("MAILROOM_DESK_SECURE_COOKIES").is_ok_and(|v| v == "1"),
            ..d
        }
    }
}

impl Default for DeskConfig {
    fn default() -> Self {
        DeskConfig {
            idle: Duration::from_secs(30 * 60),
            claim_lease: Duration::from_secs(20 * 60),
            secure_cookies: false,
            max_login_failures: 5,
            login_window: Duration::from_secs(15 * 60),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Store,
    pub(crate) config: Arc<DeskConfig>,
    pub(crate) images: Arc<images::Images>,
}

/// The routes, as registered: method and path of each.
#[derive(Default)]
struct Routes {
    router: Router<AppState>,
    list: Vec<(&'static str, &'static str)>,
}

impl Routes {
    fn add(
        mut self,
        methods: &[&'static str],
        path: &'static str,
        r: MethodRouter<AppState>,
    ) -> Self {
        for m in methods {
            self.list.push((m, path));
        }
        self.router = self.router.route(path, r);
        self
    }
}

fn routes() -> Routes {
    let r = web::routes(Routes::default());
    api::routes(r)
}

/// Every route of the app, as (method, path), for the test that checks the OpenAPI document.
pub fn route_list() -> Vec<(&'static str, &'static str)> {
    routes().list
}

/// The desk as a router on `store`: pages, JSON API, static files, with the session guard
/// and the security headers.
pub fn router(store: Store, config: DeskConfig) -> Router {
    router_with_ops(store, config, None)
}

/// As [`router`], with the ops page (`mailroom_workers::embedded::ops_router`) mounted behind
/// the desk's login: managers and ops see it, gestionnaires get 403, and without a session a
/// browser goes to the login form.
pub fn router_with_ops(store: Store, config: DeskConfig, ops: Option<Router>) -> Router {
    let state = AppState {
        store,
        config: Arc::new(config),
        images: Arc::new(images::Images::new()),
    };
    let desk = desk_router(state.clone());
    match ops {
        Some(ops) => {
            desk.merge(ops.layer(axum::middleware::from_fn_with_state(state, auth::ops_guard)))
        }
        None => desk,
    }
}

fn desk_router(state: AppState) -> Router {
    routes()
        .router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        .layer(axum::middleware::from_fn(auth::security_headers))
        .with_state(state)
}

/// What a clerk (or an API client) does to a document.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Take the document (it must be free, or the claim run out).
    Claim,
    /// Give it back.
    Release,
    /// Set a field (as typed: it is normalised to its kind), or remove it with `null` / "".
    Correct {
        field: String,
        value: Option<Value>,
    },
    /// Approve: every field must pass its check rules.
    Approve,
    Reject {
        reason: String,
    },
    Reclassify {
        class: String,
    },
    /// Move one of its pages to another document of the envelope (`to`: its position).
    MovePage {
        page: u32,
        to: u32,
    },
    /// Cut before page `at`: the pages from `at` on become a new document.
    Split {
        at: u32,
    },
    /// Take in another document of the envelope (`other`: its position).
    Merge {
        other: u32,
    },
    /// Managers: hand the document to `to`.
    Reassign {
        to: String,
    },
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Claim => "claim",
            Action::Release => "release",
            Action::Correct { .. } => "correct",
            Action::Approve => "approve",
            Action::Reject { .. } => "reject",
            Action::Reclassify { .. } => "reclassify",
            Action::MovePage { .. } => "move_page",
            Action::Split { .. } => "split",
            Action::Merge { .. } => "merge",
            Action::Reassign { .. } => "reassign",
        }
    }
}

/// What an action did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    /// The document afterwards (a split or merge renumbers the envelope's documents).
    pub envelope: String,
    pub position: u32,
    /// What happened, in French.
    pub message: String,
    /// The event written to the outbox, on approval.
    pub event: Option<String>,
}

/// Parses `e-…/N` parts of a path.
pub(crate) fn doc_key(envelope: &str, position: u32) -> Result<DocKey, AppError> {
    Ok(DocKey {
        envelope: EnvelopeId::new(envelope).map_err(|_| AppError::NotFound)?,
        position,
    })
}

/// The queue of a document, once `user` may open it: 404 when there is no such document,
/// 403 when it belongs to another service or the user is ops.
pub(crate) async fn authorize(
    state: &AppState,
    user: &User,
    key: &DocKey,
) -> Result<String, AppError> {
    let queue = state
        .store
        .desk_document_queue(key)
        .await?
        .ok_or(AppError::NotFound)?;
    if !user.may_open(&queue) {
        tracing::warn!(document = %key, role = user.role.as_str(), "document refused to user");
        return Err(AppError::Forbidden);
    }
    Ok(queue)
}

/// A value as typed by a clerk, in the normalised form of the field's kind (FIELDS.md); text
/// that does not read as that kind is kept as typed, and the check rule then says what is
/// wrong. `None` for an empty value (the field is removed).
pub fn normalise_input(class: Class, field: &str, value: &Value) -> Option<Value> {
    let Value::String(s) = value else {
        return (!value.is_null()).then(|| value.clone());
    };
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let kind = field_spec(class, field).map(|f| f.kind)?;
    let raw = || Value::String(s.to_string());
    let some = |o: Option<String>| o.map(Value::String).unwrap_or_else(raw);
    Some(match kind {
        FieldKind::Text => some(normalize::text(s)),
        FieldKind::Date => some(normalize::date(s).map(normalize::date_to_string)),
        FieldKind::Amount => some(normalize::amount(s).map(|a| a.to_string())),
        FieldKind::Nir => some(normalize::nir(s)),
        FieldKind::Iban => some(normalize::iban(s)),
        FieldKind::Bic => some(normalize::bic(s)),
        FieldKind::Siret | FieldKind::Rpps => some(normalize::digits(s)),
        FieldKind::Finess => some(Some(s.replace(' ', "").to_uppercase())),
        FieldKind::Phone => some(normalize::phone(s)),
        FieldKind::PostalCode => some(normalize::postal_code(s)),
        FieldKind::MemberNumber => some(normalize::member_number(s)),
        FieldKind::Code => some(normalize::code(s)),
        FieldKind::Email => some(normalize::email(s)),
        FieldKind::CareType => Value::String(s.to_lowercase()),
        FieldKind::Boolean => match s.to_lowercase().as_str() {
            "true" | "oui" | "o" | "1" | "vrai" => Value::Bool(true),
            "false" | "non" | "n" | "0" | "faux" => Value::Bool(false),
            _ => raw(),
        },
        FieldKind::Dependants => serde_json::from_str(s).unwrap_or_else(|_| raw()),
        FieldKind::TextList => serde_json::from_str(s).unwrap_or_else(|_| {
            Value::Array(
                s.split(';')
                    .filter_map(|p| normalize::text(p).map(Value::String))
                    .collect(),
            )
        }),
    })
}

/// Does `action` on the document `key` for `user`, after checking they may.
///
/// # Errors
/// [`AppError::Forbidden`] / [`AppError::NotFound`] as [`authorize`]; [`AppError::Conflict`]
/// when someone else holds it; [`AppError::BadRequest`] with the reason the store refused.
pub(crate) async fn perform(
    state: &AppState,
    user: &User,
    key: &DocKey,
    action: Action,
) -> Result<Outcome, AppError> {
    authorize(state, user, key).await?;
    let store = &state.store;
    let lease = state.config.claim_lease;
    let login = user.login.as_str();
    let mut out = Outcome {
        envelope: key.envelope.as_str().to_string(),
        position: key.position,
        message: String::new(),
        event: None,
    };
    tracing::info!(document = %key, action = action.name(), "desk action");
    match action {
        Action::Claim => {
            if !store.desk_claim(key, login, lease).await? {
                return Err(AppError::Conflict(
                    "document déjà pris par un autre gestionnaire ou déjà traité".into(),
                ));
            }
            out.message = "Document pris.".into();
        }
        Action::Release => {
            store.desk_release(key, login).await?;
            out.message = "Document rendu.".into();
        }
        Action::Correct { field, value } => {
            let doc = store.desk_document(key).await?.ok_or(AppError::NotFound)?;
            let value = value.and_then(|v| normalise_input(doc.class, &field, &v));
            store.desk_correct(key, login, &field, value, lease).await?;
            out.message = "Champ enregistré.".into();
        }
        Action::Approve => {
            let done = store.desk_approve(key, login, lease).await?;
            out.message = "Document validé.".into();
            out.event = done.event;
        }
        Action::Reject { reason } => {
            store.desk_reject(key, login, &reason, lease).await?;
            out.message = "Document rejeté.".into();
        }
        Action::Reclassify { class } => {
            let class: Class = class
                .parse()
                .map_err(|_| AppError::BadRequest(format!("classe inconnue : {class}")))?;
            let received = store.info(&key.envelope).await?.received_at.date();
            let route = mailroom_workers::routing::route(class, received);
            store
                .desk_reclassify(key, login, class, &route, lease)
                .await?;
            out.message = format!("Document reclassé : {}.", class.label_fr());
        }
        Action::MovePage { page, to } => {
            let k = store.desk_move_page(key, login, page, to, lease).await?;
            out.position = k.position;
            out.message = format!("Page {page} déplacée.");
        }
        Action::Split { at } => {
            let k = store.desk_split(key, login, at, lease).await?;
            out.position = k.position;
            out.message = format!("Document coupé avant la page {at}.");
        }
        Action::Merge { other } => {
            let k = store.desk_merge(key, login, other, lease).await?;
            out.position = k.position;
            out.message = "Documents fusionnés.".into();
        }
        Action::Reassign { to } => {
            if user.role != Role::Manager {
                return Err(AppError::Forbidden);
            }
            store.desk_reassign(key, login, &to, lease).await?;
            out.message = format!("Document confié à {to}.");
        }
    }
    Ok(out)
}
