//! The upload endpoint: `POST /api/v1/envelopes`, one envelope per request.
//!
//! ```text
//! POST /api/v1/envelopes
//! Authorization: Bearer mrs_…             (from `mailroom scanner add NAME`)
//! Content-Type: multipart/form-data
//!   name=env-000123                        optional, the envelope's name
//!   received_at=2025-03-05T10:31:00+01:00  optional, RFC 3339
//!   file=@001.tif  file=@002.tif           the page files, in page order
//! ```
//!
//! Answers `201 {"envelope": ID, "duplicate": false}` for a new envelope,
//! `200 {"envelope": ORIGINAL, "duplicate": true}` for a copy of one already stored,
//! `401` without a valid token, `400` for a refused envelope (with the sentence), `413` over
//! the size limit, `503` when the store is unavailable (internal details stay in the log).

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use mailroom_store::{EnvelopeFile, NewEnvelope, Received, Store};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::envelope::{Limits, check_envelope_name, check_file_name};

/// What the upload handler needs.
#[derive(Clone, Debug)]
pub struct UploadState {
    pub store: Store,
    pub limits: Limits,
}

/// The upload routes, to serve alone or merge into the web app's router.
pub fn router(state: UploadState) -> Router {
    // Room for the multipart framing around the envelope's bytes.
    let body_limit = usize::try_from(state.limits.max_envelope_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(1 << 20);
    Router::new()
        .route("/api/v1/envelopes", post(upload))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// An answer that hides internals: a status and one sentence.
#[derive(Debug)]
pub struct UploadError {
    status: StatusCode,
    message: String,
}

impl UploadError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        UploadError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for UploadError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

impl From<axum::extract::multipart::MultipartError> for UploadError {
    fn from(e: axum::extract::multipart::MultipartError) -> Self {
        let status = e.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "the envelope is over the size limit".to_string()
        } else {
            format!("the multipart body could not be read ({})", e.body_text())
        };
        UploadError::new(status, message)
    }
}

fn unavailable(e: mailroom_store::StoreError) -> UploadError {
    tracing::error!(error = %e, "store unavailable for an upload");
    UploadError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "the store is unavailable; try again later",
    )
}

async fn scanner(store: &Store, headers: &HeaderMap) -> Result<String, UploadError> {
    let unauthorized = || {
        UploadError::new(
            StatusCode::UNAUTHORIZED,
            "a valid scanner token is required (Authorization: Bearer …)",
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(unauthorized)?;
    store
        .scanner_for_token(token)
        .await
        .map_err(unavailable)?
        .ok_or_else(unauthorized)
}

/// The handler, counting what came of each upload in the intake metrics (door `upload`; the
/// scanner's name is not a label).
async fn upload(
    state: State<UploadState>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, UploadError> {
    use mailroom_telemetry::metrics::Door;
    let result = upload_envelope(state, headers, multipart).await;
    let m = mailroom_telemetry::metrics();
    match &result {
        Ok(r) if r.status() == StatusCode::CREATED => m.envelope_received(Door::Upload),
        Ok(r) if r.status() == StatusCode::OK => m.envelope_duplicated(Door::Upload),
        Err(e)
            if e.status == StatusCode::BAD_REQUEST || e.status == StatusCode::PAYLOAD_TOO_LARGE =>
        {
            m.envelope_refused(Door::Upload)
        }
        _ => {}
    }
    result
}

async fn upload_envelope(
    State(state): State<UploadState>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, UploadError> {
    let scanner = scanner(&state.store, &headers).await?;
    let limits = &state.limits;
    let refused = |e: crate::IngestError| UploadError::new(StatusCode::BAD_REQUEST, e.to_string());
    let mut name: Option<String> = None;
    let mut received_at: Option<OffsetDateTime> = None;
    let mut files: Vec<EnvelopeFile> = Vec::new();
    let mut total = 0u64;
    while let Some(mut field) = multipart.next_field().await? {
        if let Some(file_name) = field.file_name().map(str::to_string) {
            check_file_name(&file_name).map_err(refused)?;
            if files.len() as u32 >= limits.max_files {
                return Err(UploadError::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "the envelope holds more than {} files, the limit",
                        limits.max_files
                    ),
                ));
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await? {
                bytes.extend_from_slice(&chunk);
                total += chunk.len() as u64;
                if bytes.len() as u64 > limits.max_file_bytes {
                    return Err(UploadError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!(
                            "the file {file_name} is over the {} MB limit",
                            limits.max_file_bytes / 1_000_000
                        ),
                    ));
                }
                if total > limits.max_envelope_bytes {
                    return Err(UploadError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!(
                            "the envelope holds more than {} MB of files, the limit",
                            limits.max_envelope_bytes / 1_000_000
                        ),
                    ));
                }
            }
            files.push(EnvelopeFile {
                name: file_name,
                bytes,
            });
            continue;
        }
        match field.name() {
            Some("name") => {
                let n = field.text().await?;
                check_envelope_name(&n).map_err(refused)?;
                name = Some(n);
            }
            Some("received_at") => {
                let t = field.text().await?;
                received_at = Some(OffsetDateTime::parse(t.trim(), &Rfc3339).map_err(|_| {
                    UploadError::new(
                        StatusCode::BAD_REQUEST,
                        "received_at must be an RFC 3339 time (2025-03-05T10:31:00+01:00)",
                    )
                })?);
            }
            _ => {}
        }
    }
    if files.is_empty() {
        return Err(UploadError::new(
            StatusCode::BAD_REQUEST,
            "the envelope holds no page file (send the pages as file parts)",
        ));
    }
    let now = OffsetDateTime::now_utc();
    let name = name.unwrap_or_else(|| {
        format!(
            "upload-{scanner}-{}",
            now.unix_timestamp_nanos() / 1_000_000
        )
    });
    let env = NewEnvelope {
        name,
        source: format!("upload:{scanner}"),
        received_at: received_at.unwrap_or(now),
        files,
    };
    let received = state.store.receive(&env).await.map_err(unavailable)?;
    Ok(match received {
        Received::New(id) => (
            StatusCode::CREATED,
            Json(json!({ "envelope": id.as_str(), "duplicate": false })),
        )
            .into_response(),
        Received::Duplicate(id) => (
            StatusCode::OK,
            Json(json!({ "envelope": id.as_str(), "duplicate": true })),
        )
            .into_response(),
    })
}
