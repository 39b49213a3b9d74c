//! The store on both backends, shared by the store's test files: a SQLite file in a temporary
//! folder, and PostgreSQL (`MAILROOM_TEST_POSTGRES`, default
//! `postgres://postgres@127.0.0.1:5432/test`) in a fresh schema per test, so concurrent runs
//! never see each other's rows. When PostgreSQL cannot be reached its half is skipped with a
//! printed notice.

// Each test file uses its own part of this module.
#![allow(dead_code, unused_macros)]

use std::time::Duration;

use mailroom_store::Store;

/// A store on a fresh database, and what keeps it alive.
pub struct Fixture {
    pub store: Store,
    /// The database URL, for a raw pool beside the store.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    schema: Option<(sqlx::AnyPool, String)>,
}

impl Fixture {
    /// Closes the store and drops the PostgreSQL schema.
    pub async fn drop_schema(self) {
        self.store.close().await;
        if let Some((admin, schema)) = self.schema {
            let sql = format!("DROP SCHEMA {schema} CASCADE");
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&admin).await;
        }
    }

    /// A one-connection pool on the same database, to look behind the store's back.
    pub async fn raw(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.url)
            .await
            .expect("raw pool")
    }
}

/// A store in a SQLite file (in a subfolder the store creates) of a temporary folder.
pub async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}",
        dir.path().join("store/mailroom.db").display()
    );
    let store = Store::open(Some(&url)).await.expect("sqlite store");
    Fixture {
        store,
        url,
        _dir: Some(dir),
        schema: None,
    }
}

/// A store in a fresh PostgreSQL schema; `None` (with a notice) when PostgreSQL is down.
pub async fn postgres() -> Option<Fixture> {
    sqlx::any::install_default_drivers();
    let base = std::env::var("MAILROOM_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = match sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&base)
        .await
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "notice: PostgreSQL unreachable at {base} ({e}); its half of the suite is skipped"
            );
            return None;
        }
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let schema = format!("t_{}_{nanos}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = Store::open(Some(&url)).await.expect("postgres store");
    Some(Fixture {
        store,
        url,
        _dir: None,
        schema: Some((admin, schema)),
    })
}

/// Runs a test body `async fn(&Store)` on SQLite, then on PostgreSQL.
macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let f = $crate::support::sqlite().await;
                super::$body(&f.store).await;
                f.drop_schema().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(f) = $crate::support::postgres().await else {
                    return;
                };
                super::$body(&f.store).await;
                f.drop_schema().await;
            }
        }
    };
}

/// As [`both!`], for a body `async fn(&Store, &AnyPool)` that also reads the tables raw.
macro_rules! both_raw {
    ($name:ident, $body:ident) => {
        mod $name {
            async fn run(f: $crate::support::Fixture) {
                let raw = f.raw().await;
                super::$body(&f.store, &raw).await;
                raw.close().await;
                f.drop_schema().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::support::sqlite().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(f) = $crate::support::postgres().await {
                    run(f).await;
                }
            }
        }
    };
}
