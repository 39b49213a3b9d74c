//! # mailroom-telemetry: what operations see without reading logs
//!
//! - [`metrics`]: the process's Prometheus registry and typed helpers, one per metric
//!   (names `mailroom_<noun>_<unit>[_total]`, labels from closed sets, never ids). Intake,
//!   the workers and the broker layer record into it; [`routes`] serves it on `/metrics`.
//! - [`health`]: `/health/live` and `/health/ready` (503 with a JSON body naming what is
//!   down when the store or the broker cannot be reached).
//! - [`sampler`]: every few seconds, what only the store knows (validation backlog by service
//!   and age, complaint deadlines at risk and overdue, the store's queue and outboxes,
//!   throughput and latency over every worker) into gauges and into the ops history.
//! - [`ops`]: the ops page, `/ops` (French, server-rendered, inline SVG charts) and
//!   `/ops/series.json`, over a bounded in-memory ring of samples. It carries no
//!   authentication of its own: whoever mounts it decides who sees it.
//! - [`paris`]: Europe/Paris time for working hours, without a time-zone database.
//!
//! Straight-through is defined once, here: [`straight_through`].

#![forbid(unsafe_code)]

pub mod health;
pub mod metrics;
pub mod ops;
pub mod paris;
pub mod sampler;

pub use health::Probes;
pub use metrics::{Metrics, metrics};
pub use ops::History;
pub use sampler::{Sampler, SamplerConfig};

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use mailroom_domain::{Class, ResultDocument};

/// Whether a document goes straight through: a clerk has only to approve it, nothing to
/// qualify or correct. That is a document
///
/// - of a service class (not `other`, which goes to manual qualification),
/// - whose class confidence reaches `threshold`, the routing threshold (the classifier's
///   `min_confidence`: under it a document is sent to manual qualification),
/// - and every field of which is valid (found and passing its check rules).
///
/// Counted in `mailroom_documents_straight_through_total`.
pub fn straight_through(doc: &ResultDocument, threshold: f64) -> bool {
    doc.class != Class::Other && doc.confidence >= threshold && doc.fields.values().all(|f| f.valid)
}

/// The OpenMetrics content type Prometheus negotiates for this exposition.
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics`: this process's registry.
pub fn metrics_router() -> Router {
    Router::new().route(
        "/metrics",
        get(|| async {
            (
                [(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)],
                metrics().encode(),
            )
                .into_response()
        }),
    )
}

/// `/metrics`, `/health/live` and `/health/ready` with these readiness checks.
pub fn routes(probes: Probes) -> Router {
    metrics_router().merge(health::router(probes))
}

/// Serves `app` on `listener` until `shutdown` resolves (the `mailroom worker` metrics
/// endpoint).
///
/// # Errors
/// The server's I/O error.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailroom_domain::FieldResult;
    use std::collections::BTreeMap;

    fn doc(class: Class, confidence: f64, valid: &[bool]) -> ResultDocument {
        ResultDocument {
            class,
            confidence,
            pages: vec![1],
            fields: valid
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    (
                        format!("f{i}"),
                        FieldResult {
                            value: serde_json::json!("x"),
                            confidence: 0.9,
                            valid: *v,
                            page: 1,
                            bbox: [0, 0, 1, 1],
                        },
                    )
                })
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn straight_through_needs_confidence_and_every_field_valid() {
        assert!(straight_through(
            &doc(Class::Invoice, 0.9, &[true, true]),
            0.6
        ));
        assert!(!straight_through(&doc(Class::Invoice, 0.5, &[true]), 0.6));
        assert!(!straight_through(
            &doc(Class::Invoice, 0.9, &[true, false]),
            0.6
        ));
        assert!(!straight_through(&doc(Class::Other, 0.99, &[]), 0.6));
    }
}
