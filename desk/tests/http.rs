//! The desk over HTTP (tower `oneshot`, no socket): roles, CSRF, security headers, masking,
//! idle timeout, the OpenAPI document, and a whole validation through the JSON API. The store
//! is a SQLite file seeded with two envelopes of `samples/demo` (a membership form with a
//! wrong NIR key, a complaint), no OCR.

use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use mailroom_desk::{DeskConfig, router};
use mailroom_domain::EnvelopeId;
use mailroom_store::Store;
use mailroom_store::desk::Role;
use serde_json::{Value, json};
use tower::ServiceExt as _;

const PASSWORD: &str = "correct horse battery";
const TRUE_NIR: &str = "265086427432058";
const WRONG_NIR: &str = "265086427432059";
const IBAN: &str = "FR7618206776172728899929013";

struct Desk {
    app: Router,
    store: Store,
    form: EnvelopeId,
    complaint: EnvelopeId,
    _dir: tempfile::TempDir,
}

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/demo")
}

async fn desk(config: DeskConfig) -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("desk.db").display());
    let store = Store::open(Some(&url)).await.unwrap();
    let form = mailroom_desk::demo::seed_from_sample(
        &store,
        &demo(),
        "env-000002",
        &[("nir", json!(WRONG_NIR))],
    )
    .await
    .unwrap();
    let complaint = mailroom_desk::demo::seed_from_sample(&store, &demo(), "env-000021", &[])
        .await
        .unwrap();
    for (login, role, service) in [
        ("clerk", "gestionnaire", Some("adhesions")),
        ("rec", "gestionnaire", Some("reclamations")),
        ("boss", "manager", None),
        ("watch", "ops", None),
    ] {
        mailroom_desk::cli::add_user(&store, login, role, service, PASSWORD.into())
            .await
            .unwrap();
    }
    Desk {
        app: router(store.clone(), config),
        store,
        form,
        complaint,
        _dir: dir,
    }
}

struct Res {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Res {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn send(app: &Router, req: Request<Body>) -> Res {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Res {
        status,
        headers,
        body,
    }
}

/// A logged-in client: its cookie and CSRF token.
struct Client {
    cookie: String,
    csrf: String,
}

/// `POST /api/login` with these credentials.
async fn api_login(d: &Desk, who: &str, password: &str) -> Res {
    send(
        &d.app,
        Request::post("/api/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"login": who, "password": password}).to_string(),
            ))
            .unwrap(),
    )
    .await
}

async fn login(d: &Desk, who: &str) -> Client {
    let res = api_login(d, who, PASSWORD).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let set = res.header("set-cookie").to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    Client {
        cookie: set.split(';').next().unwrap().to_string(),
        csrf: res.json()["csrf"].as_str().unwrap().to_string(),
    }
}

impl Client {
    async fn get(&self, d: &Desk, path: &str) -> Res {
        send(
            &d.app,
            Request::get(path)
                .header(header::COOKIE, &self.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    async fn post(&self, d: &Desk, path: &str, body: Value, csrf: Option<&str>) -> Res {
        let mut req = Request::post(path)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = csrf {
            req = req.header("x-csrf-token", t);
        }
        send(&d.app, req.body(Body::from(body.to_string())).unwrap()).await
    }

    async fn act(&self, d: &Desk, env: &EnvelopeId, pos: u32, action: Value) -> Res {
        self.post(
            d,
            &format!("/api/documents/{env}/{pos}/actions"),
            action,
            Some(&self.csrf.clone()),
        )
        .await
    }
}

fn assert_security_headers(res: &Res) {
    let csp = res.header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(res.header("x-content-type-options"), "nosniff");
    assert_eq!(res.header("x-frame-options"), "DENY");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_hold_and_pages_need_a_session() {
    let d = desk(DeskConfig::default()).await;
    let res = send(&d.app, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), "/login");
    assert_security_headers(&res);
    let res = send(
        &d.app,
        Request::get("/api/queues").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let res = send(&d.app, Request::get("/login").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_security_headers(&res);
    assert!(res.text().contains("Mot de passe"));
    let clerk = login(&d, "clerk").await;
    let res = clerk.get(&d, &format!("/documents/{}/0", d.form)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_security_headers(&res);
    assert_eq!(res.header("cache-control"), "no-store");
    let res = clerk
        .get(&d, &format!("/documents/{}/0/pages/1", d.form))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.header("content-type"), "image/png");
    assert_eq!(res.header("cache-control"), "no-store");
    assert_eq!(&res.body[1..4], b"PNG");
    let res = clerk.get(&d, &format!("/api/documents/{}/0", d.form)).await;
    assert_eq!(res.header("cache-control"), "no-store");
    assert_security_headers(&res);
    let res = send(
        &d.app,
        Request::get("/static/desk.js").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header("content-type").starts_with("text/javascript"));
    assert_eq!(res.header("x-content-type-options"), "nosniff");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gestionnaire_cannot_open_another_services_document() {
    let d = desk(DeskConfig::default()).await;
    let clerk = login(&d, "clerk").await;
    for path in [
        format!("/documents/{}/0", d.complaint),
        format!("/documents/{}/0/pages/1", d.complaint),
        format!("/api/documents/{}/0", d.complaint),
        format!("/api/documents/{}/0/fields/member_number", d.complaint),
    ] {
        let res = clerk.get(&d, &path).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!res.text().contains("ADH"), "{path}");
    }
    let res = clerk
        .act(&d, &d.complaint, 0, json!({"action": "claim"}))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Their queue shows only their service; the complaint clerk opens the complaint.
    let q = clerk.get(&d, "/api/queues").await.json();
    assert_eq!(q["queues"].as_array().unwrap().len(), 1);
    assert!(
        q["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["queue"] == "adhesions")
    );
    let rec = login(&d, "rec").await;
    assert_eq!(
        rec.get(&d, &format!("/documents/{}/0", d.complaint))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        rec.get(&d, &format!("/documents/{}/0", d.form))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A manager opens both.
    let boss = login(&d, "boss").await;
    assert_eq!(
        boss.get(&d, &format!("/documents/{}/0", d.complaint))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_see_queues_but_no_document_content() {
    let d = desk(DeskConfig::default()).await;
    let ops = login(&d, "watch").await;
    let q = ops.get(&d, "/api/queues").await;
    assert_eq!(q.status, StatusCode::OK);
    let total: u64 = q.json()["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 2);
    let page = ops.get(&d, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Adhésions") && html.contains("Réclamations"));
    assert!(!html.contains("GIRARD") && !html.contains(TRUE_NIR) && !html.contains(WRONG_NIR));
    assert!(
        !html.contains("/documents/"),
        "ops get no link to documents"
    );
    for path in [
        format!("/documents/{}/0", d.form),
        format!("/documents/{}/0/pages/1", d.form),
        format!("/api/documents/{}/0", d.form),
        format!("/api/documents/{}/0/fields/last_name", d.form),
        "/api/corrections".to_string(),
        "/api/audit".to_string(),
        "/status?envelope=x".to_string(),
    ] {
        let res = ops.get(&d, &path).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!res.text().contains("GIRARD"), "{path}");
    }
    let res = ops
        .post(&d, "/api/claim-next", json!({}), Some(&ops.csrf))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changes_need_the_csrf_token() {
    let d = desk(DeskConfig::default()).await;
    let clerk = login(&d, "clerk").await;
    for token in [None, Some("0".repeat(64).as_str()), Some("")] {
        let res = clerk.post(&d, "/api/claim-next", json!({}), token).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{token:?}");
    }
    // A form without the token is refused too.
    let res = send(
        &d.app,
        Request::post("/claim-next")
            .header(header::COOKIE, &clerk.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("x=1"))
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(
        d.store
            .desk_queue(None, mailroom_store::desk::today())
            .await
            .unwrap()
            .iter()
            .all(|i| i.claimed_by.is_none())
    );
    // With it, the claim goes through.
    let res = send(
        &d.app,
        Request::post("/claim-next")
            .header(header::COOKIE, &clerk.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={}", clerk.csrf)))
            .unwrap(),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), format!("/documents/{}/0", d.form));
    // Logging in through the form needs the form's own token (double-submit cookie).
    let res = form_login(&d, None, "abc").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let form = send(&d.app, Request::get("/login").body(Body::empty()).unwrap()).await;
    let cookie = form
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let token = cookie.split_once('=').unwrap().1.to_string();
    let res = form_login(&d, Some(&cookie), &token).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert!(res.header("set-cookie").starts_with("desk_session="));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nir_and_iban_are_masked_outside_the_field_being_validated() {
    let d = desk(DeskConfig::default()).await;
    let boss = login(&d, "boss").await;
    let clerk = login(&d, "clerk").await;
    let secrets = [WRONG_NIR, IBAN];
    // Before anyone holds it, and for a manager looking: masked everywhere.
    for c in [&boss, &clerk] {
        let html = c.get(&d, &format!("/documents/{}/0", d.form)).await.text();
        let api = c
            .get(&d, &format!("/api/documents/{}/0", d.form))
            .await
            .text();
        for s in secrets {
            assert!(!html.contains(s) && !api.contains(s), "{s} shown");
        }
        assert!(html.contains("26•"), "the masked NIR is shown");
    }
    let res = clerk
        .get(&d, &format!("/api/documents/{}/0/fields/nir", d.form))
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "not held: no clear value");
    // The clerk holding it sees the value of the field being validated, on request.
    assert_eq!(
        clerk
            .act(&d, &d.form, 0, json!({"action": "claim"}))
            .await
            .status,
        StatusCode::OK
    );
    let html = clerk
        .get(&d, &format!("/documents/{}/0", d.form))
        .await
        .text();
    for s in secrets {
        assert!(!html.contains(s), "{s} in the page itself");
    }
    let v = clerk
        .get(&d, &format!("/api/documents/{}/0/fields/nir", d.form))
        .await
        .json();
    assert_eq!(v["value"], json!(WRONG_NIR));
    // The manager still sees it masked, and cannot reveal it without holding it.
    let res = boss
        .get(&d, &format!("/api/documents/{}/0/fields/iban", d.form))
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    // Corrections come masked too.
    clerk
        .act(
            &d,
            &d.form,
            0,
            json!({"action": "correct", "field": "nir", "value": "2 65 08 64 274 320 58"}),
        )
        .await;
    let c = boss.get(&d, "/api/corrections").await.text();
    assert!(
        c.contains("\"nir\"") && !c.contains(TRUE_NIR) && !c.contains(WRONG_NIR),
        "{c}"
    );
    let audit = boss.get(&d, "/api/audit").await.json();
    let entries = audit["entries"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["action"] == "reveal"));
    assert!(!audit.to_string().contains(TRUE_NIR));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_session_is_closed() {
    let d = desk(DeskConfig {
        idle: Duration::from_millis(400),
        ..DeskConfig::default()
    })
    .await;
    let clerk = login(&d, "clerk").await;
    assert_eq!(clerk.get(&d, "/api/me").await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        clerk.get(&d, "/api/me").await.status,
        StatusCode::OK,
        "activity keeps it"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        clerk.get(&d, "/api/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let res = clerk.get(&d, "/").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), "/login");
}

/// The login form posted as `clerk` with the right password, the form token `csrf`, and the
/// form's cookie when given.
async fn form_login(d: &Desk, cookie: Option<&str>, csrf: &str) -> Res {
    let mut req =
        Request::post("/login").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let body = format!(
        "csrf={csrf}&login=clerk&password={}",
        PASSWORD.replace(' ', "+")
    );
    send(&d.app, req.body(Body::from(body)).unwrap()).await
}

/// `POST /api/login` with these credentials: its status.
async fn try_login(d: &Desk, who: &str, password: &str) -> StatusCode {
    api_login(d, who, password).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_are_refused_and_audited() {
    let d = desk(DeskConfig::default()).await;
    for (who, pw) in [("clerk", "wrong password!"), ("nobody", PASSWORD)] {
        assert_eq!(try_login(&d, who, pw).await, StatusCode::UNAUTHORIZED);
    }
    let boss = login(&d, "boss").await;
    let a = boss.get(&d, "/api/audit?action=login_failed").await.json();
    assert_eq!(a["entries"].as_array().unwrap().len(), 2);
    let (_, hash) = d.store.desk_user("clerk").await.unwrap().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(
        mailroom_desk::cli::add_user(&d.store, "short", "manager", None, "short".into())
            .await
            .is_err(),
        "no weak passwords"
    );
    assert_eq!(
        Role::Manager,
        d.store.desk_user("boss").await.unwrap().unwrap().0.role
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_wrong_passwords_hold_that_login_back() {
    let d = desk(DeskConfig {
        max_login_failures: 3,
        ..DeskConfig::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            try_login(&d, "clerk", "a guess at it").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Even the right password is not checked now, through the API or the login form.
    assert_eq!(
        try_login(&d, "clerk", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let csrf = "form-token-for-this-test";
    let res = form_login(&d, Some(&format!("desk_login={csrf}")), csrf).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text());
    assert!(res.text().contains("Trop d&#39;essais") || res.text().contains("Trop d'essais"));
    // Other logins are not held back.
    assert_eq!(try_login(&d, "rec", PASSWORD).await, StatusCode::OK);
    let boss = login(&d, "boss").await;
    let a = boss
        .get(&d, "/api/audit?action=login_throttled")
        .await
        .json();
    assert_eq!(a["entries"].as_array().unwrap().len(), 2, "{a}");
    // Once the window has passed, the right password opens a session again.
    let d2 = Desk {
        app: router(
            d.store.clone(),
            DeskConfig {
                max_login_failures: 3,
                login_window: Duration::from_millis(1),
                ..DeskConfig::default()
            },
        ),
        ..d
    };
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(try_login(&d2, "clerk", PASSWORD).await, StatusCode::OK);
}

/// The clerk, holding the seeded membership form, types `nir` over the wrong one and
/// approves; both must succeed. The approval's answer.
async fn correct_nir_and_approve(d: &Desk, clerk: &Client, nir: &str) -> Res {
    let res = clerk
        .act(
            d,
            &d.form,
            0,
            json!({"action": "correct", "field": "nir", "value": nir}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let res = clerk.act(d, &d.form, 0, json!({"action": "approve"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_is_validated_through_the_api() {
    let d = desk(DeskConfig::default()).await;
    let clerk = login(&d, "clerk").await;
    let res = clerk
        .post(&d, "/api/claim-next", json!({}), Some(&clerk.csrf))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["envelope"], json!(d.form.as_str()));
    let doc = clerk
        .get(&d, &format!("/api/documents/{}/0", d.form))
        .await
        .json();
    let nir = doc["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "nir")
        .unwrap()
        .clone();
    assert_eq!(nir["valid"], json!(false));
    assert_eq!(nir["message"], json!("clé NIR incorrecte"));
    assert!(doc["deadline"]["kind"] == "keying");
    // Approving with a wrong field is refused with the rule's message.
    let res = clerk
        .act(&d, &d.form, 0, json!({"action": "approve"}))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("clé NIR incorrecte"), "{}", res.text());
    let res = correct_nir_and_approve(&d, &clerk, "2 65 08 64 274 320 58").await;
    assert_eq!(res.json()["event"], json!("membership.validated"));
    let events = d.store.pending_events(100).await.unwrap();
    let ev = events
        .iter()
        .find(|e| e.routing_key == "membership.validated")
        .unwrap();
    let payload: Value = serde_json::from_str(&ev.payload).unwrap();
    assert_eq!(payload["envelope"], json!(d.form.as_str()));
    // The broker relay and the in-process bus accept it as the typed validation message.
    let message =
        mailroom_workers::broker::Outbound::decode(&ev.routing_key, ev.payload.as_bytes())
            .expect("the relay accepts the event");
    assert_eq!(message.routing_key(), "membership.validated");
    assert!(
        payload["fields"].get("last_name").is_none(),
        "no name in an event"
    );
    assert!(payload["fields"]["dependants_count"].is_u64());
    assert!(payload["fields"].get("nir").is_none() && payload["fields"].get("iban").is_none());
    // Nothing left for this clerk; the audit shows who did what.
    let res = clerk
        .post(&d, "/api/claim-next", json!({}), Some(&clerk.csrf))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let boss = login(&d, "boss").await;
    let a = boss
        .get(&d, &format!("/api/audit?envelope={}", d.form))
        .await
        .json();
    let actions: Vec<String> = a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["login"].as_str().unwrap(),
                e["action"].as_str().unwrap()
            )
        })
        .collect();
    for want in [
        "clerk claim",
        "clerk view",
        "clerk correct",
        "clerk approve",
    ] {
        assert!(actions.iter().any(|a| a == want), "{want} in {actions:?}");
    }
    let s = clerk
        .get(&d, &format!("/api/status/envelopes/{}", d.form))
        .await
        .json();
    assert_eq!(s["status"], json!("validated"));
    // Export as training data: a sample set `mailroom train` reads.
    let out = tempfile::tempdir().unwrap();
    let r = mailroom_desk::training::export_training_set(&d.store, out.path())
        .await
        .unwrap();
    assert_eq!((r.envelopes, r.corrections), (1, 1));
    let truth: mailroom_domain::Truth =
        serde_json::from_slice(&std::fs::read(out.path().join("truth/env-000002.json")).unwrap())
            .unwrap();
    assert_eq!(truth.documents[0].fields["nir"], json!(TRUE_NIR));
    assert!(out.path().join("envelopes/env-000002/001.tif").is_file());
}

#[test]
fn the_openapi_document_lists_every_route() {
    let doc: Value = serde_json::from_str(mailroom_desk::openapi::OPENAPI).expect("valid JSON");
    let routes = mailroom_desk::route_list();
    assert!(routes.len() > 20);
    for (method, path) in routes {
        assert!(
            doc["paths"][path][method.to_lowercase()].is_object(),
            "{method} {path} is not in /api/openapi.json"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ops_page_is_for_managers_and_ops_only() {
    let mut d = desk(DeskConfig::default()).await;
    let ops_page = Router::new().route("/ops", axum::routing::get(|| async { "ops page" }));
    d.app = mailroom_desk::router_with_ops(d.store.clone(), DeskConfig::default(), Some(ops_page));
    let res = send(&d.app, Request::get("/ops").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), "/login");
    let clerk = login(&d, "clerk").await;
    assert_eq!(clerk.get(&d, "/ops").await.status, StatusCode::FORBIDDEN);
    for who in ["watch", "boss"] {
        let c = login(&d, who).await;
        let res = c.get(&d, "/ops").await;
        assert_eq!(res.status, StatusCode::OK, "{who}");
        assert_eq!(res.text(), "ops page");
    }
}

/// A validation followed to RabbitMQ: the clerk's approval writes `membership.validated` to the
/// store's outbox in its transaction; the outbox relay publishes it to the events queue (names
/// behind a random test prefix, deleted after), where a downstream system reads the typed
/// message: ids and business values, no NIR, IBAN or name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_reaches_the_events_queue_on_rabbitmq() {
    use lapin::options::BasicGetOptions;
    use lapin::{Connection, ConnectionProperties};
    use mailroom_workers::broker::{self, BrokerConfig, Outbound};

    let config = BrokerConfig::from_env()
        .unwrap_or_else(|| BrokerConfig::new(BrokerConfig::DEFAULT_URL))
        .with_prefix(format!("desk-test-{:016x}", rand::random::<u64>()));
    let names = config.names();
    let d = desk(DeskConfig::default()).await;
    let clerk = login(&d, "clerk").await;
    let res = clerk
        .post(&d, "/api/claim-next", json!({}), Some(&clerk.csrf))
        .await;
    assert_eq!(res.json()["envelope"], json!(d.form.as_str()));
    correct_nir_and_approve(&d, &clerk, TRUE_NIR).await;

    let report = broker::relay_once(&config, &d.store)
        .await
        .expect("the relay reaches RabbitMQ");
    assert!(report.events >= 1, "{report:?}");
    assert!(
        d.store.pending_events(100).await.unwrap().is_empty(),
        "every event confirmed by the broker is marked sent"
    );

    let conn = Connection::connect(&config.url, ConnectionProperties::default())
        .await
        .unwrap();
    let channel = conn.create_channel().await.unwrap();
    let mut seen = Vec::new();
    while let Some(msg) = channel
        .basic_get(
            names.events.as_str().into(),
            BasicGetOptions { no_ack: true },
        )
        .await
        .unwrap()
    {
        seen.push((
            msg.delivery.routing_key.to_string(),
            msg.delivery.data.clone(),
        ));
    }
    broker::topology::delete(&channel, &names).await.unwrap();
    conn.close(200, "done".into()).await.unwrap();

    let validated: Vec<_> = seen
        .iter()
        .filter(|(key, _)| key == "membership.validated")
        .collect();
    assert_eq!(validated.len(), 1, "one validation event in {seen:?}");
    let (key, body) = validated[0];
    match Outbound::decode(key, body).expect("a typed validation message") {
        Outbound::Validated(v) => assert_eq!(v.envelope, d.form),
        other => panic!("not a validation: {other:?}"),
    }
    let text = String::from_utf8_lossy(body);
    for secret in [TRUE_NIR, WRONG_NIR, IBAN, "nir", "iban", "last_name"] {
        assert!(!text.contains(secret), "{secret} travelled in {text}");
    }
}
