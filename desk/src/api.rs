//! The JSON API: everything the pages do, with the same session cookie; state changes carry
//! the session's CSRF token in `X-CSRF-Token`. Described by `/api/openapi.json`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json};
use mailroom_domain::EnvelopeId;
use mailroom_store::desk::{
    AuditQuery, DeskDocument, Hold, QueueItem, Role, Session, StatusReport, User, is_secret, mask,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::{self, SESSION_COOKIE, TokenHash};
use crate::error::AppError;
use crate::render::{self, QueueSummary};
use crate::{Action, AppState, Outcome, Routes, authorize, doc_key, perform};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(&["GET"], "/api/openapi.json", get(openapi))
        .add(&["POST"], "/api/login", post(login))
        .add(&["POST"], "/api/logout", post(logout))
        .add(&["GET"], "/api/me", get(me))
        .add(&["GET"], "/api/queues", get(queues))
        .add(&["POST"], "/api/claim-next", post(claim_next))
        .add(
            &["GET"],
            "/api/documents/{envelope}/{position}",
            get(document),
        )
        .add(
            &["POST"],
            "/api/documents/{envelope}/{position}/actions",
            post(action),
        )
        .add(
            &["GET"],
            "/api/documents/{envelope}/{position}/fields/{field}",
            get(reveal),
        )
        .add(&["GET"], "/api/audit", get(audit))
        .add(
            &["GET"],
            "/api/status/envelopes/{envelope}",
            get(status_envelope),
        )
        .add(&["GET"], "/api/status/members/{member}", get(status_member))
        .add(&["GET"], "/api/corrections", get(corrections))
        .add(&["GET"], "/api/users", get(users))
}

async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        crate::openapi::OPENAPI,
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    login: String,
    password: String,
}

#[derive(Serialize)]
struct Me<'a> {
    login: &'a str,
    role: Role,
    service: Option<&'a str>,
    /// Put it in `X-CSRF-Token` on every state change.
    csrf: &'a str,
}

/// JSON login: the body's content type keeps cross-site forms out (they cannot send JSON
/// without a preflight), so no token is needed before the session exists.
async fn login(
    State(state): State<AppState>,
    Json(b): Json<LoginBody>,
) -> Result<Response, AppError> {
    let Some(user) = auth::check_login(&state, b.login.trim(), &b.password).await? else {
        return Err(AppError::Unauthenticated);
    };
    let (cookie, csrf) = auth::open_session(&state, &user.login).await?;
    let mut res = Json(Me {
        login: &user.login,
        role: user.role,
        service: user.service.as_deref(),
        csrf: &csrf,
    })
    .into_response();
    res.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(res)
}

async fn logout(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(TokenHash(hash)): Extension<TokenHash>,
) -> Result<Response, AppError> {
    state
        .store
        .desk_close_session(&hash, &session.user.login)
        .await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, auth::clear_cookie(SESSION_COOKIE));
    Ok(res)
}

async fn me(Extension(session): Extension<Session>) -> Json<Value> {
    Json(json!(Me {
        login: &session.user.login,
        role: session.user.role,
        service: session.user.service.as_deref(),
        csrf: &session.csrf,
    }))
}

#[derive(Serialize)]
struct Queues {
    queues: Vec<QueueSummary>,
    items: Vec<QueueItem>,
}

async fn queues(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
) -> Result<Json<Queues>, AppError> {
    let filter = session.user.queue_filter();
    let items = state
        .store
        .desk_queue(filter, mailroom_store::desk::today())
        .await?;
    let names: Vec<&str> = match filter {
        Some(q) => vec![q],
        None => mailroom_store::desk::SERVICES.to_vec(),
    };
    Ok(Json(Queues {
        queues: render::summarise(&names, &items),
        items,
    }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ClaimNext {
    /// Managers: the queue to take from (default: any).
    queue: Option<String>,
}

async fn claim_next(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    body: Option<Json<ClaimNext>>,
) -> Result<Response, AppError> {
    let user = &session.user;
    let queue = match user.role {
        Role::Ops => return Err(AppError::Forbidden),
        Role::Gestionnaire => user.service.clone(),
        Role::Manager => body.and_then(|Json(b)| b.queue),
    };
    match state
        .store
        .desk_claim_next(&user.login, queue.as_deref(), state.config.claim_lease)
        .await?
    {
        Some(k) => Ok(
            Json(json!({"envelope": k.envelope.as_str(), "position": k.position})).into_response(),
        ),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// A document as the API gives it: NIR and IBAN masked (see the `fields/{field}` route).
fn masked(mut doc: DeskDocument) -> DeskDocument {
    for f in doc.fields.iter_mut() {
        if is_secret(&f.name)
            && let Value::String(s) = &f.value
        {
            f.value = Value::String(mask(s));
        }
    }
    doc
}

async fn document(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((envelope, position)): Path<(String, u32)>,
) -> Result<Json<Value>, AppError> {
    let key = doc_key(&envelope, position)?;
    authorize(&state, &session.user, &key).await?;
    let doc = state
        .store
        .desk_document(&key)
        .await?
        .ok_or(AppError::NotFound)?;
    state
        .store
        .desk_audit(&session.user.login, "view", Some(&key), "api")
        .await?;
    let pages = state.store.desk_pages(&key.envelope).await?;
    let hold = state.store.desk_hold(&key, &session.user.login).await?;
    let mut v = serde_json::to_value(masked(doc)).map_err(|_| AppError::NotFound)?;
    v["page_info"] = json!(pages);
    v["held_by_me"] = json!(hold == Hold::Mine);
    Ok(Json(v))
}

async fn action(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((envelope, position)): Path<(String, u32)>,
    Json(action): Json<Action>,
) -> Result<Json<Outcome>, AppError> {
    let key = doc_key(&envelope, position)?;
    Ok(Json(perform(&state, &session.user, &key, action).await?))
}

/// The real value of one field, for the clerk who holds the document and is validating it.
async fn reveal(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((envelope, position, field)): Path<(String, u32, String)>,
) -> Result<Json<Value>, AppError> {
    let key = doc_key(&envelope, position)?;
    authorize(&state, &session.user, &key).await?;
    if state.store.desk_hold(&key, &session.user.login).await? != Hold::Mine {
        return Err(AppError::Conflict(
            "prenez le document pour voir ce champ en clair".into(),
        ));
    }
    let value = state
        .store
        .desk_field_value(&key, &field)
        .await?
        .ok_or(AppError::NotFound)?;
    if is_secret(&field) {
        state
            .store
            .desk_audit(
                &session.user.login,
                "reveal",
                Some(&key),
                &format!("field {}", field.chars().take(32).collect::<String>()),
            )
            .await?;
    }
    Ok(Json(json!({ "field": field, "value": value })))
}

async fn audit(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, AppError> {
    if session.user.role != Role::Manager {
        return Err(AppError::Forbidden);
    }
    let entries = state.store.desk_audit_log(&q).await?;
    Ok(Json(json!({ "entries": entries })))
}

/// The reports a status lookup gives `user`, and a message when there is none. Clerks look
/// up by envelope id (documents of their service only show their own steps); managers also
/// by member number.
pub(crate) async fn status_reports(
    state: &AppState,
    user: &User,
    envelope: &str,
    member: &str,
) -> Result<(Vec<StatusReport>, Option<String>), AppError> {
    let ids: Vec<EnvelopeId> = if !envelope.is_empty() {
        match EnvelopeId::new(envelope) {
            Ok(id) => vec![id],
            Err(_) => return Ok((Vec::new(), Some("N° de pli invalide.".into()))),
        }
    } else if !member.is_empty() {
        if user.role != Role::Manager {
            return Err(AppError::Forbidden);
        }
        state.store.desk_envelopes_of_member(member).await?
    } else {
        return Ok((Vec::new(), None));
    };
    let mut out = Vec::new();
    for id in &ids {
        match state.store.desk_status(id).await {
            Ok(r) => out.push(r),
            Err(mailroom_store::StoreError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    state
        .store
        .desk_audit(
            &user.login,
            "status",
            None,
            &if member.is_empty() {
                format!("envelope {}", envelope.chars().take(64).collect::<String>())
            } else {
                "by member number".to_string()
            },
        )
        .await?;
    let msg = out.is_empty().then(|| "Aucun pli trouvé.".to_string());
    Ok((out, msg))
}

async fn status_envelope(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(envelope): Path<String>,
) -> Result<Json<Value>, AppError> {
    if session.user.role == Role::Ops {
        return Err(AppError::Forbidden);
    }
    let (reports, _) = status_reports(&state, &session.user, &envelope, "").await?;
    let r = reports.into_iter().next().ok_or(AppError::NotFound)?;
    Ok(Json(json!(r)))
}

async fn status_member(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(member): Path<String>,
) -> Result<Json<Value>, AppError> {
    if session.user.role != Role::Manager {
        return Err(AppError::Forbidden);
    }
    let (reports, _) = status_reports(&state, &session.user, "", &member).await?;
    Ok(Json(json!({ "envelopes": reports })))
}

/// Corrections as training data (managers): before/after of each change, NIR and IBAN
/// masked.
async fn corrections(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
) -> Result<Json<Value>, AppError> {
    if session.user.role != Role::Manager {
        return Err(AppError::Forbidden);
    }
    let mut list = state.store.desk_corrections(100_000).await?;
    for c in list.iter_mut() {
        if is_secret(&c.field) {
            for v in [&mut c.before, &mut c.after].into_iter().flatten() {
                if let Value::String(s) = v {
                    *v = Value::String(mask(s));
                }
            }
        }
    }
    state
        .store
        .desk_audit(
            &session.user.login,
            "export",
            None,
            "corrections via the API",
        )
        .await?;
    Ok(Json(json!({ "corrections": list })))
}

async fn users(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
) -> Result<Json<Value>, AppError> {
    if session.user.role != Role::Manager {
        return Err(AppError::Forbidden);
    }
    Ok(Json(json!({ "users": state.store.desk_users().await? })))
}
