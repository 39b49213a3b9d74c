//! The desk in a real headless browser (Debian's `chromium`, driven through `chromedriver`'s
//! WebDriver protocol by the small client below): log in, claim a demo document, correct a
//! field with the keyboard, approve with Enter, and see the approval in the audit trail.
//!
//! Without the browser the test is skipped with a message, except in CI (`CI=true`), where it
//! fails: `scripts/setup` installs `chromium` and `chromium-driver`.
//! `MAILROOM_DESK_SCREENSHOTS=DIR` keeps a screenshot of each step.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailroom_desk::{DeskConfig, router};
use mailroom_store::Store;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const PASSWORD: &str = "correct horse battery";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn tool(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

/// Kills chromedriver when the test ends, however it ends.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 exchange with chromedriver, bounded in time.
async fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(60), exchange(port, method, path, body))
        .await
        .unwrap_or_else(|_| panic!("chromedriver did not answer {method} {path} in 60 s"))
}

async fn exchange(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to chromedriver");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    // chromedriver answers `Connection: close` but keeps the socket open: read the head, then
    // exactly Content-Length bytes (or chunks, or to the end).
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut buf).await.expect("read");
        assert!(n > 0, "chromedriver closed the connection");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_ascii_lowercase();
    let length = head.lines().find_map(|l| {
        l.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    let chunked =
        head.contains("transfer-encoding: chunked") || head.contains("transfer-encoding:chunked");
    let mut body = raw[head_end..].to_vec();
    match length {
        Some(n) => {
            while body.len() < n {
                let k = s.read(&mut buf).await.expect("read");
                assert!(k > 0, "chromedriver closed the connection early");
                body.extend_from_slice(&buf[..k]);
            }
            body.truncate(n);
        }
        None if chunked => {
            while !body.windows(5).any(|w| w == b"0\r\n\r\n") {
                let k = s.read(&mut buf).await.expect("read");
                if k == 0 {
                    break;
                }
                body.extend_from_slice(&buf[..k]);
            }
        }
        None => {
            s.read_to_end(&mut body).await.expect("read");
        }
    }
    let rest = String::from_utf8_lossy(&body).into_owned();
    let payload = if chunked && length.is_none() {
        let mut out = String::new();
        let mut r = rest.as_str();
        while let Some((size, after)) = r.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 || after.len() < n {
                break;
            }
            out.push_str(&after[..n]);
            r = &after[n..];
            r = r.strip_prefix("\r\n").unwrap_or(r);
        }
        out
    } else {
        rest
    };
    serde_json::from_str(&payload).unwrap_or(Value::Null)
}

struct Browser {
    driver: Driver,
    session: String,
    shots: Option<PathBuf>,
}

impl Browser {
    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let v = http(
            self.driver.port,
            method,
            &format!("/session/{}{path}", self.session),
            body.as_ref(),
        )
        .await;
        v["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url }))).await;
    }

    /// The element matching `css`, waiting for it up to 15 s.
    async fn find(&self, css: &str) -> String {
        let start = Instant::now();
        loop {
            let v = self
                .cmd(
                    "POST",
                    "/element",
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await;
            if let Some(id) = v[ELEMENT].as_str() {
                return id.to_string();
            }
            if start.elapsed() > Duration::from_secs(15) {
                let url = self.cmd("GET", "/url", None).await;
                self.shot("missing").await;
                panic!("no element {css} on {url}: {v}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.cmd("POST", &format!("/element/{id}/click"), Some(json!({})))
            .await;
    }

    async fn type_in(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.cmd(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.cmd("GET", &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn script(&self, js: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    /// Waits until `js` returns true, up to 15 s.
    async fn until(&self, what: &str, js: &str) {
        let start = Instant::now();
        while self.script(js).await != json!(true) {
            if start.elapsed() > Duration::from_secs(15) {
                self.shot("timeout").await;
                let state = self
                    .script("var a = document.activeElement; var b = document.querySelector('figure.page .box'); return [a && a.outerHTML, b && b.outerHTML, document.getElementById('doc') && document.getElementById('doc').dataset.base];")
                    .await;
                panic!("timed out waiting for {what}; page state: {state}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn shot(&self, name: &str) {
        let Some(dir) = &self.shots else { return };
        let v = self.cmd("GET", "/screenshot", None).await;
        if let Some(b64) = v.as_str() {
            let _ = std::fs::create_dir_all(dir);
            let _ = std::fs::write(dir.join(format!("{name}.png")), base64(b64));
        }
    }

    async fn quit(self) {
        http(
            self.driver.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        )
        .await;
    }
}

fn base64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter_map(val) {
        acc = (acc << 6) | c;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

async fn start_browser() -> Option<Browser> {
    let driver = tool("CHROMEDRIVER", "/usr/bin/chromedriver");
    let chromium = tool("CHROMIUM", "/usr/bin/chromium");
    if !driver.is_file() || !chromium.is_file() {
        let msg = format!(
            "{} or {} is missing (scripts/setup installs chromium and chromium-driver)",
            driver.display(),
            chromium.display()
        );
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("the browser test cannot run in CI: {msg}");
        }
        eprintln!("skipped: the browser test needs a browser: {msg}");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(&driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver { child, port };
    let start = Instant::now();
    loop {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok()
            && http(port, "GET", "/status", None).await["value"]["ready"] == json!(true)
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium.to_string_lossy(),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--lang=fr-FR"]
        }
    }}});
    let v = http(port, "POST", "/session", Some(&caps)).await;
    let session = v["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no browser session: {v}"))
        .to_string();
    Some(Browser {
        driver,
        session,
        shots: std::env::var_os("MAILROOM_DESK_SCREENSHOTS").map(PathBuf::from),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_validates_a_demo_document_in_a_real_browser() {
    let Some(browser) = start_browser().await else {
        return;
    };
    // The app on a real socket, on a store seeded with a demo membership form whose NIR key
    // is wrong.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("desk.db").display());
    let store = Store::open(Some(&url)).await.unwrap();
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples/demo");
    let id = mailroom_desk::demo::seed_from_sample(
        &store,
        &demo,
        "env-000002",
        &[("nir", json!("265086427432059"))],
    )
    .await
    .unwrap();
    mailroom_desk::cli::add_user(
        &store,
        "clerk",
        "gestionnaire",
        Some("adhesions"),
        PASSWORD.into(),
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(store.clone(), DeskConfig::default());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    // Log in.
    browser.go(&format!("{base}/")).await;
    browser.type_in("#login", "clerk").await;
    browser.type_in("#password", PASSWORD).await;
    browser.shot("1-login").await;
    browser.click("#login-submit").await;
    // The queue: one membership form waiting; claim it.
    let count = browser.text("tr[data-queue=adhesions] td.count").await;
    assert_eq!(count, "1");
    browser.shot("2-queues").await;
    browser.click("#claim-next").await;
    // The document: the doubtful NIR has the focus, its box is lit on the page image, and the
    // check rule says why.
    browser.find("#f-nir").await;
    assert!(
        browser
            .text("tr[data-field=nir] .rule")
            .await
            .contains("clé NIR incorrecte")
    );
    browser
        .until(
            "the NIR field to have the focus",
            "return document.activeElement && document.activeElement.id === 'f-nir';",
        )
        .await;
    browser
        .until(
            "the NIR box to be highlighted",
            "var b = document.querySelector('figure.page:not([hidden]) .box'); return !!b && !b.hidden;",
        )
        .await;
    browser
        .until(
            "the page image to load",
            "var i = document.querySelector('figure.page img'); return i.complete && i.naturalWidth > 0;",
        )
        .await;
    browser.shot("3-document").await;
    // Correct the NIR and approve with Enter.
    let nir = browser.find("#f-nir").await;
    browser
        .cmd("POST", &format!("/element/{nir}/clear"), Some(json!({})))
        .await;
    browser
        .type_in("#f-nir", "2 65 08 64 274 320 58\u{E007}")
        .await;
    browser
        .until(
            "the document to be validated",
            "var s = document.getElementById('doc-status'); return !!s && s.textContent === 'Validé';",
        )
        .await;
    // The audit trail on the document shows the approval, by whom.
    let row = browser.text("#doc-audit tr[data-action=approve]").await;
    assert!(row.contains("clerk") && row.contains("validation"), "{row}");
    let corr = browser.text("#doc-audit tr[data-action=correct]").await;
    assert!(corr.contains("field nir changed"), "{corr}");
    browser.shot("4-validated").await;
    let page = browser.script("return document.body.innerText;").await;
    assert!(
        !page.as_str().unwrap_or("").contains("265086427432058"),
        "the NIR is masked once validated"
    );
    browser.quit().await;
    server.abort();
    let doc = store
        .desk_document(&mailroom_store::desk::DocKey {
            envelope: id,
            position: 0,
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(doc.status, "validated");
    assert_eq!(doc.decided_by.as_deref(), Some("clerk"));
}
