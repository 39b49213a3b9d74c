//! The crate's one error enum, and the HTTP error that hides it from clients.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use mailroom_store::StoreError;

/// Why a desk operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The store failed or refused (see [`StoreError::retryable`]).
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A password could not be hashed (never a wrong password: that is a failed login).
    #[error("password hashing: {0}")]
    Password(String),
    /// A page image could not be made (decode failed, took too long).
    #[error("page image of envelope {envelope} page {page}: {reason}")]
    Image {
        envelope: String,
        page: u32,
        reason: String,
    },
    /// Writing training data failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl DeskError {
    /// Whether trying again later could help.
    pub fn retryable(&self) -> bool {
        match self {
            DeskError::Store(e) => e.retryable(),
            DeskError::Image { .. } => true,
            _ => false,
        }
    }
}

/// What a request gets back when it fails: a status and a French sentence, never the
/// internals (those go to the log, with ids only).
#[derive(Debug)]
pub enum AppError {
    /// No live session: a page redirects to the login form, the API answers 401.
    Unauthenticated,
    /// The role or the service does not allow it.
    Forbidden,
    NotFound,
    /// A state change without the session's CSRF token.
    Csrf,
    /// The request is refused, with the reason shown to the clerk.
    BadRequest(String),
    /// Someone else holds the document.
    Conflict(String),
    /// Too many refused logins for this login name lately; the password was not checked.
    TooManyLogins,
    Internal(DeskError),
}

impl AppError {
    /// The status and the message a client may see.
    pub fn public(&self) -> (StatusCode, String) {
        match self {
            AppError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "session absente ou expirée : reconnectez-vous".into(),
            ),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "accès refusé".into()),
            AppError::NotFound => (StatusCode::NOT_FOUND, "introuvable".into()),
            AppError::Csrf => (
                StatusCode::FORBIDDEN,
                "jeton anti-CSRF absent ou invalide".into(),
            ),
            AppError::BadRequest(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.clone()),
            AppError::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
            AppError::TooManyLogins => (
                StatusCode::TOO_MANY_REQUESTS,
                "trop d'essais refusés pour cet identifiant : réessayez dans 15 minutes, ou demandez à un responsable".into(),
            ),
            AppError::Internal(e) => {
                tracing::error!(error = %e, retryable = e.retryable(), "desk request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "erreur interne : réessayez, puis prévenez l'exploitation".into(),
                )
            }
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => AppError::BadRequest(m),
            StoreError::NotFound(_) => AppError::NotFound,
            other => AppError::Internal(DeskError::Store(other)),
        }
    }
}

impl From<DeskError> for AppError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::Store(s) => s.into(),
            other => AppError::Internal(other),
        }
    }
}

/// JSON errors, for the API: `{"error": "..."}`.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = self.public();
        let body = serde_json::json!({ "error": message }).to_string();
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

/// HTML errors, for the pages: the login form when the session is gone, a short French page
/// otherwise.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError(e.into())
    }
}

impl From<DeskError> for PageError {
    fn from(e: DeskError) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self.0, AppError::Unauthenticated) {
            return crate::web::redirect("/login");
        }
        let (status, message) = self.0.public();
        let html = crate::render::error_page(status.as_u16(), &message);
        (status, axum::response::Html(html)).into_response()
    }
}
