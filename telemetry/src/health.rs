//! Liveness and readiness.
//!
//! - `GET /health/live`: 200 while the process serves HTTP at all (its runtime is not stuck).
//!   An orchestrator restarts the process when this fails.
//! - `GET /health/ready`: every dependency is checked now, each within [`Probes::timeout`]:
//!   200 `{"ready":true,"checks":{"store":"up",…}}`, or 503
//!   `{"ready":false,"down":["broker"],"checks":{…}}` naming what cannot be reached. A load
//!   balancer stops sending uploads to a process that is not ready. Why a check failed goes
//!   to the log, never to the answer (a connection error can quote a host or a user).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::metrics::{Component, metrics};

/// A check's future: `Err` with the reason, for the log.
pub type ProbeFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

type Probe = Arc<dyn Fn() -> ProbeFuture + Send + Sync>;

/// The dependencies readiness checks.
#[derive(Clone)]
pub struct Probes {
    checks: Vec<(Component, Probe)>,
    /// Bound on each check: a database that does not answer is down.
    pub timeout: Duration,
}

impl Default for Probes {
    fn default() -> Self {
        Probes {
            checks: Vec::new(),
            timeout: Duration::from_secs(3),
        }
    }
}

impl std::fmt::Debug for Probes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probes")
            .field(
                "checks",
                &self
                    .checks
                    .iter()
                    .map(|(c, _)| c.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What a readiness check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// Each component checked, and whether it answered.
    pub checks: BTreeMap<Component, bool>,
}

impl Readiness {
    /// Whether every component answered.
    pub fn ready(&self) -> bool {
        self.checks.values().all(|up| *up)
    }

    /// The components that did not answer.
    pub fn down(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|(_, up)| !**up)
            .map(|(c, _)| c.as_str())
            .collect()
    }
}

impl Probes {
    /// No check yet.
    pub fn new() -> Self {
        Probes::default()
    }

    /// Adds a check of `component`.
    #[must_use]
    pub fn with(
        mut self,
        component: Component,
        check: impl Fn() -> ProbeFuture + Send + Sync + 'static,
    ) -> Self {
        self.checks.push((component, Arc::new(check)));
        self
    }

    /// Adds the store's check ([`mailroom_store::Store::ping`]).
    #[must_use]
    pub fn store(self, store: mailroom_store::Store) -> Self {
        self.with(Component::Store, move || {
            let store = store.clone();
            Box::pin(async move { store.ping().await.map_err(|e| e.to_string()) })
        })
    }

    /// Runs every check at once, each bounded by [`Probes::timeout`], and records the
    /// results in `mailroom_component_up`.
    pub async fn check(&self) -> Readiness {
        let mut tasks = tokio::task::JoinSet::new();
        for (component, probe) in &self.checks {
            let (component, fut, limit) = (*component, probe(), self.timeout);
            tasks.spawn(async move {
                let result = match tokio::time::timeout(limit, fut).await {
                    Ok(r) => r,
                    Err(_) => Err(format!("no answer within {limit:?}")),
                };
                (component, result)
            });
        }
        let mut checks = BTreeMap::new();
        while let Some(done) = tasks.join_next().await {
            let Ok((component, result)) = done else {
                continue;
            };
            if let Err(reason) = &result {
                tracing::warn!(component = component.as_str(), error = %reason, "readiness check failed");
            }
            metrics().set_up(component, result.is_ok());
            checks.insert(component, result.is_ok());
        }
        Readiness { checks }
    }
}

/// `/health/live` and `/health/ready`.
pub fn router(probes: Probes) -> Router {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .with_state(Arc::new(probes))
}

async fn live() -> Response {
    Json(json!({ "live": true })).into_response()
}

async fn ready(State(probes): State<Arc<Probes>>) -> Response {
    let r = probes.check().await;
    let checks: serde_json::Map<String, serde_json::Value> = r
        .checks
        .iter()
        .map(|(c, up)| {
            (
                c.as_str().to_string(),
                json!(if *up { "up" } else { "down" }),
            )
        })
        .collect();
    if r.ready() {
        (
            StatusCode::OK,
            Json(json!({ "ready": true, "checks": checks })),
        )
            .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "ready": false, "down": r.down(), "checks": checks })),
        )
            .into_response()
    }
}
