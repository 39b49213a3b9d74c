//! Passwords, sessions, CSRF and the security headers.
//!
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults, a random 16-byte
//!   salt), off the async threads.
//! - A session is a random 256-bit token in a cookie (`HttpOnly`, `SameSite=Strict`, `Secure`
//!   when configured); the store keeps only its SHA-256, with the time it was last used: a
//!   session idle for longer than [`crate::DeskConfig::idle`] is dead.
//! - Every state change carries the session's CSRF token: the `X-CSRF-Token` header (API) or
//!   a `csrf` form field (pages). The login form, before any session, uses a double-submit
//!   cookie.
//! - Every answer carries a strict CSP (`script-src 'self'`, `frame-ancestors 'none'`),
//!   `X-Content-Type-Options: nosniff` and `Cache-Control: no-store` (static files excepted).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mailroom_store::desk::Session;
use mailroom_store::sha256_hex;

use crate::AppState;
use crate::error::{AppError, DeskError, PageError};

/// The session cookie.
pub const SESSION_COOKIE: &str = "desk_session";
/// The login form's double-submit cookie.
pub const LOGIN_COOKIE: &str = "desk_login";
/// The header API clients put the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The Content-Security-Policy of every answer.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// 32 random bytes in hex: session tokens, CSRF tokens.
pub fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut raw);
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a password with argon2id (PHC string). CPU-heavy: call it off the async threads.
///
/// # Errors
/// [`DeskError::Password`] when the password is empty or too long, or hashing fails.
pub fn hash_password(password: &str) -> Result<String, DeskError> {
    use argon2::PasswordHasher as _;
    if password.len() < 10 || password.len() > 256 {
        return Err(DeskError::Password(
            "a password is 10 to 256 characters".into(),
        ));
    }
    let mut salt = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut salt);
    let salt = argon2::password_hash::SaltString::encode_b64(&salt)
        .map_err(|e| DeskError::Password(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| DeskError::Password(e.to_string()))
}

/// Whether `password` matches a PHC hash. CPU-heavy: call it off the async threads.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::PasswordVerifier as _;
    let Ok(parsed) = argon2::password_hash::PasswordHash::new(hash) else {
        return false;
    };
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A hash to verify against when the login is unknown, so that an unknown login takes as
/// long as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password, never valid").unwrap_or_default())
}

/// Checks a login and password; the user when they match. Failures are audited.
///
/// After [`crate::DeskConfig::max_login_failures`] refused logins for one login name within
/// [`crate::DeskConfig::login_window`], further attempts for it are refused without checking
/// the password ([`AppError::TooManyLogins`], audited as `login_throttled`): guessing a
/// clerk's password gets a handful of tries per window, and costs the server no argon2 work.
pub(crate) async fn check_login(
    state: &AppState,
    login: &str,
    password: &str,
) -> Result<Option<mailroom_store::desk::User>, AppError> {
    let audited: String = login.chars().take(64).collect();
    let since = time::OffsetDateTime::now_utc() - state.config.login_window;
    let refused = state
        .store
        .desk_login_failures_since(&audited, since)
        .await?;
    if refused >= state.config.max_login_failures {
        tracing::warn!("desk login refused unchecked: too many failures for that login");
        state
            .store
            .desk_audit(
                &audited,
                "login_throttled",
                None,
                "too many refused logins; password not checked",
            )
            .await?;
        return Err(AppError::TooManyLogins);
    }
    let found = state.store.desk_user(login).await?;
    let hash = found
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    match found {
        Some((user, _)) if ok => Ok(Some(user)),
        _ => {
            // The login typed may be anything: keep it out of the log, record it in the audit.
            tracing::info!("failed desk login");
            state
                .store
                .desk_audit(&audited, "login_failed", None, "wrong login or password")
                .await?;
            Ok(None)
        }
    }
}

/// Opens a session and gives the `Set-Cookie` value and the CSRF token.
pub(crate) async fn open_session(
    state: &AppState,
    login: &str,
) -> Result<(HeaderValue, String), AppError> {
    let token = random_token();
    let csrf = random_token();
    state
        .store
        .desk_open_session(
            login,
            &sha256_hex(token.as_bytes()),
            &csrf,
            state.config.idle,
        )
        .await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    let value =
        HeaderValue::from_str(&cookie).map_err(|_| AppError::BadRequest("cookie".into()))?;
    Ok((value, csrf))
}

/// The value of a cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A cookie that expires at once.
pub fn clear_cookie(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Compares secrets in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The session the request carries, and its token's hash.
pub(crate) async fn session_of(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Session, String)>, AppError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let hash = sha256_hex(token.as_bytes());
    Ok(state
        .store
        .desk_session(&hash, state.config.idle)
        .await?
        .map(|s| (s, hash)))
}

/// The session token's hash, put in the request beside the [`Session`] for logout.
#[derive(Debug, Clone)]
pub struct TokenHash(pub String);

fn is_public(method: &Method, path: &str) -> bool {
    path.starts_with("/static/")
        || path == "/api/openapi.json"
        || path == "/login"
        || (method == Method::POST && path == "/api/login")
}

/// Resolves the session of every non-public request (a page without one goes to the login
/// form, the API answers 401), and refuses a state change without the session's CSRF token.
pub(crate) async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let api = path.starts_with("/api/");
    if is_public(req.method(), &path) {
        return next.run(req).await;
    }
    let fail = |e: AppError| -> Response {
        if api {
            e.into_response()
        } else {
            PageError(e).into_response()
        }
    };
    let (session, hash) = match session_of(&state, req.headers()).await {
        Ok(Some(s)) => s,
        Ok(None) => return fail(AppError::Unauthenticated),
        Err(e) => return fail(e),
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD);
    let req = if safe {
        req
    } else {
        let header_token = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, 1 << 20).await {
            Ok(b) => b,
            Err(_) => return fail(AppError::BadRequest("requête trop grande".into())),
        };
        let form_token = std::str::from_utf8(&bytes).ok().and_then(|s| {
            s.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "csrf")
                .map(|(_, v)| v.to_string())
        });
        let given = header_token.or(form_token).unwrap_or_default();
        if !same(&given, &session.csrf) {
            tracing::warn!(path = %path, "state change refused: no valid CSRF token");
            return fail(AppError::Csrf);
        }
        Request::from_parts(parts, Body::from(bytes))
    };
    let mut req = req;
    req.extensions_mut().insert(session);
    req.extensions_mut().insert(TokenHash(hash));
    next.run(req).await
}

/// Lets managers and ops through to the ops page; a gestionnaire gets 403, a browser without
/// a session goes to the login form.
pub(crate) async fn ops_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match session_of(&state, req.headers()).await {
        Ok(Some((s, _))) if s.user.role != mailroom_store::desk::Role::Gestionnaire => {
            next.run(req).await
        }
        Ok(Some(_)) => PageError(AppError::Forbidden).into_response(),
        Ok(None) => PageError(AppError::Unauthenticated).into_response(),
        Err(e) => PageError(e).into_response(),
    }
}

/// Adds the security headers to every answer.
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let static_file = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if static_file { "no-cache" } else { "no-store" }),
    );
    res
}
