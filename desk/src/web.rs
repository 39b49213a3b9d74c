//! The pages: login, queues, the document view and its actions, audit, status lookup, and the
//! static script and style sheet.

use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use mailroom_domain::EnvelopeId;
use mailroom_store::desk::{AuditQuery, DocKey, Role, Session, is_secret, mask};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{self, LOGIN_COOKIE, SESSION_COOKIE, TokenHash};
use crate::error::{AppError, PageError};
use crate::render;
use crate::{Action, AppState, Routes, doc_key, perform};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(&["GET"], "/", get(queues))
        .add(&["GET", "POST"], "/login", get(login_form).post(login))
        .add(&["POST"], "/logout", post(logout))
        .add(&["POST"], "/claim-next", post(claim_next))
        .add(
            &["GET", "POST"],
            "/documents/{envelope}/{position}",
            get(document).post(document_action),
        )
        .add(
            &["GET"],
            "/documents/{envelope}/{position}/pages/{page}",
            get(page_image),
        )
        .add(&["GET"], "/audit", get(audit))
        .add(&["GET"], "/status", get(status))
        .add(&["GET"], "/static/desk.js", get(script))
        .add(&["GET"], "/static/desk.css", get(style))
}

/// A 303 to `to`.
pub(crate) fn redirect(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

fn with_msg(path: &str, msg: &str) -> String {
    format!("{path}?msg={}", render::url(msg))
}

#[derive(Deserialize, Default)]
struct Msg {
    msg: Option<String>,
}

async fn login_form(headers: HeaderMap) -> Response {
    // Double-submit token for the form: a cookie and the same value in the form.
    let token = auth::cookie(&headers, LOGIN_COOKIE)
        .filter(|t| t.len() == 64)
        .map(str::to_string)
        .unwrap_or_else(auth::random_token);
    let mut res = Html(render::login_page(&token, None)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    login: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let expected = auth::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !auth::same(expected, &f.csrf) {
        return Err(AppError::Csrf.into());
    }
    let checked = match auth::check_login(&state, f.login.trim(), &f.password).await {
        Err(AppError::TooManyLogins) => Err((
            StatusCode::TOO_MANY_REQUESTS,
            "Trop d'essais refusés pour cet identifiant : réessayez dans 15 minutes.",
        )),
        Ok(None) => Err((
            StatusCode::UNAUTHORIZED,
            "Identifiant ou mot de passe incorrect.",
        )),
        Ok(Some(user)) => Ok(user),
        Err(e) => return Err(e.into()),
    };
    let user = match checked {
        Ok(user) => user,
        Err((status, message)) => {
            let mut res =
                (status, Html(render::login_page(&f.csrf, Some(message)))).into_response();
            res.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_str(&format!(
                    "{LOGIN_COOKIE}={}; Path=/login; HttpOnly; SameSite=Strict",
                    f.csrf
                ))
                .unwrap_or_else(|_| auth::clear_cookie(LOGIN_COOKIE)),
            );
            return Ok(res);
        }
    };
    let (cookie, _csrf) = auth::open_session(&state, &user.login).await?;
    let mut res = redirect("/");
    res.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(res)
}

async fn logout(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Extension(TokenHash(hash)): Extension<TokenHash>,
) -> Result<Response, PageError> {
    state
        .store
        .desk_close_session(&hash, &session.user.login)
        .await?;
    let mut res = redirect("/login");
    res.headers_mut()
        .append(header::SET_COOKIE, auth::clear_cookie(SESSION_COOKIE));
    Ok(res)
}

async fn queues(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Query(m): Query<Msg>,
) -> Result<Response, PageError> {
    let user = &session.user;
    let filter = user.queue_filter();
    let items = state
        .store
        .desk_queue(filter, mailroom_store::desk::today())
        .await?;
    let queues: Vec<&str> = match filter {
        Some(q) => vec![q],
        None => mailroom_store::desk::SERVICES.to_vec(),
    };
    let summaries = render::summarise(&queues, &items);
    let stats = if user.role == Role::Manager {
        let midnight = time::OffsetDateTime::now_utc()
            .replace_time(time::Time::MIDNIGHT)
            .unix_timestamp()
            * 1000;
        state.store.desk_decisions_by_user(midnight).await?
    } else {
        Vec::new()
    };
    Ok(Html(render::queues_page(
        user,
        &session.csrf,
        &summaries,
        &items,
        &stats,
        m.msg.as_deref(),
    ))
    .into_response())
}

async fn claim_next(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
) -> Result<Response, PageError> {
    let user = &session.user;
    if user.role == Role::Ops {
        return Err(AppError::Forbidden.into());
    }
    let key = state
        .store
        .desk_claim_next(&user.login, user.queue_filter(), state.config.claim_lease)
        .await?;
    Ok(match key {
        Some(k) => redirect(&format!("/documents/{}/{}", k.envelope, k.position)),
        None => redirect(&with_msg("/", "Aucun document libre dans votre file.")),
    })
}

async fn document(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((envelope, position)): Path<(String, u32)>,
    Query(m): Query<Msg>,
) -> Result<Response, PageError> {
    let user = &session.user;
    let key = doc_key(&envelope, position)?;
    crate::authorize(&state, user, &key).await?;
    let doc = state
        .store
        .desk_document(&key)
        .await?
        .ok_or(AppError::NotFound)?;
    state
        .store
        .desk_audit(&user.login, "view", Some(&key), "")
        .await?;
    let pages = state.store.desk_pages(&key.envelope).await?;
    let hold = state.store.desk_hold(&key, &user.login).await?;
    let audit = state
        .store
        .desk_audit_log(&AuditQuery {
            envelope: Some(key.envelope.as_str().to_string()),
            limit: Some(200),
            ..AuditQuery::default()
        })
        .await?;
    let users = if user.role == Role::Manager {
        state.store.desk_users().await?
    } else {
        Vec::new()
    };
    Ok(Html(render::document_page(
        user,
        &session.csrf,
        &doc,
        &pages,
        hold,
        &audit,
        &users,
        m.msg.as_deref(),
    ))
    .into_response())
}

/// Every form of the document view posts here: `action` says which.
async fn document_action(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((envelope, position)): Path<(String, u32)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = &session.user;
    let key = doc_key(&envelope, position)?;
    let get = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let num = |name: &str| get(name).trim().parse::<u32>().unwrap_or(0);
    let here = |k: &DocKey| format!("/documents/{}/{}", k.envelope, k.position);
    let action = get("action");
    let result = match action.as_str() {
        "approve" | "save" | "" => save_fields(&state, user, &key, &form).await.map(|()| None),
        _ => Ok(Some(match action.as_str() {
            "claim" => Action::Claim,
            "release" => Action::Release,
            "reject" => Action::Reject {
                reason: get("reason"),
            },
            "reclassify" => Action::Reclassify {
                class: get("class"),
            },
            "move_page" => Action::MovePage {
                page: num("page"),
                to: num("to"),
            },
            "split" => Action::Split { at: num("at") },
            "merge" => Action::Merge {
                other: num("other"),
            },
            "reassign" => Action::Reassign { to: get("to") },
            _ => return Err(AppError::BadRequest("action inconnue".into()).into()),
        })),
    };
    let action = match result {
        Ok(Some(a)) => Some(a),
        Ok(None) if action == "approve" => Some(Action::Approve),
        Ok(None) => {
            return Ok(redirect(&with_msg(
                &here(&key),
                "Modifications enregistrées.",
            )));
        }
        Err(e) => return back(&key, e),
    };
    let Some(action) = action else {
        return Ok(redirect(&here(&key)));
    };
    match perform(&state, user, &key, action).await {
        Ok(out) => {
            let k = DocKey {
                envelope: EnvelopeId::new(out.envelope.clone()).map_err(|_| AppError::NotFound)?,
                position: out.position,
            };
            // A document that went to another queue may not be the user's to see any more.
            let to = match crate::authorize(&state, user, &k).await {
                Ok(_) => here(&k),
                Err(_) => "/".to_string(),
            };
            Ok(redirect(&with_msg(&to, &out.message)))
        }
        Err(e) => back(&key, e),
    }
}

/// Refusals come back to the document with their reason; access errors are pages.
fn back(key: &DocKey, e: AppError) -> Result<Response, PageError> {
    match e {
        AppError::BadRequest(m) | AppError::Conflict(m) => Ok(redirect(&with_msg(
            &format!("/documents/{}/{}", key.envelope, key.position),
            &m,
        ))),
        other => Err(other.into()),
    }
}

/// Applies the fields of the form that differ from the stored values (a masked NIR or IBAN
/// left as shown is unchanged).
async fn save_fields(
    state: &AppState,
    user: &mailroom_store::desk::User,
    key: &DocKey,
    form: &[(String, String)],
) -> Result<(), AppError> {
    crate::authorize(state, user, key).await?;
    let doc = state
        .store
        .desk_document(key)
        .await?
        .ok_or(AppError::NotFound)?;
    for (k, typed) in form {
        let Some(name) = k.strip_prefix("f.") else {
            continue;
        };
        let current = doc.fields.iter().find(|f| f.name == name);
        let shown = current
            .map(|f| render::display_value(&f.name, &f.value))
            .unwrap_or_default();
        if typed.trim() == shown.trim() {
            continue;
        }
        if let Some(f) = current {
            // The real value, typed back or revealed and left alone.
            let real = match &f.value {
                Value::String(s) => s.clone(),
                other => render::display_value("", other),
            };
            if is_secret(name) && (typed.trim() == real || typed.trim() == mask(&real)) {
                continue;
            }
        }
        perform(
            state,
            user,
            key,
            Action::Correct {
                field: name.to_string(),
                value: Some(Value::String(typed.clone())),
            },
        )
        .await?;
    }
    Ok(())
}

async fn page_image(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((envelope, position, page)): Path<(String, u32, u32)>,
) -> Result<Response, AppError> {
    let key = doc_key(&envelope, position)?;
    crate::authorize(&state, &session.user, &key).await?;
    let doc = state
        .store
        .desk_document(&key)
        .await?
        .ok_or(AppError::NotFound)?;
    if !doc.pages.contains(&page) {
        return Err(AppError::NotFound);
    }
    let png = state.images.page(&state.store, &key.envelope, page).await?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static("image/png"))],
        png.as_ref().clone(),
    )
        .into_response())
}

async fn audit(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    if session.user.role != Role::Manager {
        return Err(AppError::Forbidden.into());
    }
    let entries = state.store.desk_audit_log(&q).await?;
    state
        .store
        .desk_audit(
            &session.user.login,
            "audit",
            None,
            "searched the audit trail",
        )
        .await?;
    Ok(Html(render::audit_page(
        &session.user,
        &session.csrf,
        &q,
        &entries,
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
struct StatusQuery {
    envelope: Option<String>,
    member: Option<String>,
}

async fn status(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Query(q): Query<StatusQuery>,
) -> Result<Response, PageError> {
    let user = &session.user;
    if user.role == Role::Ops {
        return Err(AppError::Forbidden.into());
    }
    let env = q.envelope.as_deref().unwrap_or("").trim().to_string();
    let member = q.member.as_deref().unwrap_or("").trim().to_string();
    let (reports, msg) = crate::api::status_reports(&state, user, &env, &member).await?;
    Ok(Html(render::status_page(
        user,
        &session.csrf,
        &reports,
        (&env, &member),
        msg.as_deref(),
    ))
    .into_response())
}

async fn script() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        include_str!("../static/desk.js"),
    )
        .into_response()
}

async fn style() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        include_str!("../static/desk.css"),
    )
        .into_response()
}
