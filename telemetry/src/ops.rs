//! The ops page: `GET /ops` (HTML, in French, for the mailroom's operators) and
//! `GET /ops/series.json` (the same history as data).
//!
//! The page answers three questions at a glance, without logs: does the mailroom keep up
//! (envelopes per hour against the envelopes waiting), what is stuck (dead letters, nothing
//! processed), what will be late (deadlines). Under the figures, four charts over the
//! history kept in memory: throughput, queue depth, latency p50 and p95, validation backlog.
//!
//! Everything is rendered on the server: inline SVG, no script, no style sheet or font from
//! elsewhere (the machine may have no internet), and the page reloads itself every 30 s.
//!
//! The history is a bounded ring ([`History`]) of [`Sample`]s appended by the
//! [`crate::sampler::Sampler`]: 2,880 samples, i.e. 24 hours at one sample every 30 s. It is
//! lost when the process stops; Prometheus and the Grafana dashboard keep the long run.
//!
//! The router has no authentication of its own: the web app mounts it behind its ops/manager
//! role check, and `mailroom run` serves it openly only when no web app is mounted.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use time::OffsetDateTime;

/// Samples the global history keeps: 24 hours at 30 s.
pub const DEFAULT_CAPACITY: usize = 2_880;

/// The figures at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    /// Unix time, seconds.
    pub at: i64,
    /// Envelopes that reached a result (stored or rejected) over the last hour, every worker
    /// counted (from the store).
    pub envelopes_per_hour: u64,
    /// Envelopes waiting to be read (the broker's envelope queue, or the store's).
    pub waiting: u64,
    /// Envelopes being read now.
    pub reading: u64,
    /// Envelopes in the dead-letter queue (`None` without a broker).
    pub dead_letters: Option<u64>,
    /// Median time from intake to result over the latency window, seconds.
    pub latency_p50_seconds: Option<f64>,
    /// 95th percentile of the same.
    pub latency_p95_seconds: Option<f64>,
    /// Documents waiting for a clerk.
    pub backlog: u64,
    /// The same by service queue.
    pub backlog_by_service: BTreeMap<String, u64>,
    /// The same by age bucket (`under_1d`, `1d_to_3d`, `3d_to_7d`, `over_7d`).
    pub backlog_by_age: BTreeMap<String, u64>,
    /// Documents clerks validated over the last hour, every web process counted.
    #[serde(default)]
    pub validated_per_hour: u64,
    /// Documents with a clerk's correction over the last hour.
    #[serde(default)]
    pub corrected_per_hour: u64,
    /// Complaint deadlines past due (acknowledgements and answers).
    pub deadlines_overdue: u64,
    /// Complaint deadlines due within 2 working days.
    pub deadlines_at_risk: u64,
}

#[derive(Debug)]
struct Ring {
    samples: VecDeque<Sample>,
    capacity: usize,
    step: Duration,
    latest: Option<Sample>,
}

/// A bounded ring of samples, shared by the sampler and the page (cheap to clone).
#[derive(Debug, Clone)]
pub struct History {
    ring: Arc<Mutex<Ring>>,
}

static GLOBAL: LazyLock<History> =
    LazyLock::new(|| History::new(DEFAULT_CAPACITY, Duration::from_secs(30)));

impl History {
    /// An empty ring of `capacity` samples, one every `step`.
    pub fn new(capacity: usize, step: Duration) -> History {
        History {
            ring: Arc::new(Mutex::new(Ring {
                samples: VecDeque::with_capacity(capacity.min(DEFAULT_CAPACITY)),
                capacity: capacity.max(1),
                step,
                latest: None,
            })),
        }
    }

    /// This process's history, which `mailroom run` samples into.
    pub fn global() -> History {
        GLOBAL.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a sample (the oldest goes when the ring is full); it is the latest too.
    pub fn push(&self, sample: Sample) {
        let mut r = self.lock();
        if r.samples.len() >= r.capacity {
            r.samples.pop_front();
        }
        r.samples.push_back(sample.clone());
        r.latest = Some(sample);
    }

    /// Records the freshest figures without appending them to the charts.
    pub fn set_latest(&self, sample: Sample) {
        self.lock().latest = Some(sample);
    }

    /// Sets the interval between samples (for the page's legend).
    pub fn set_step(&self, step: Duration) {
        self.lock().step = step;
    }

    /// The samples, oldest first.
    pub fn samples(&self) -> Vec<Sample> {
        self.lock().samples.iter().cloned().collect()
    }

    /// The freshest figures.
    pub fn latest(&self) -> Option<Sample> {
        self.lock().latest.clone()
    }

    fn meta(&self) -> (usize, Duration) {
        let r = self.lock();
        (r.capacity, r.step)
    }
}

/// `/ops` and `/ops/series.json` over `history`. No authentication: see the module docs.
pub fn router(history: History) -> Router {
    Router::new()
        .route("/ops", get(page))
        .route("/ops/series.json", get(series))
        .with_state(history)
}

async fn page(State(history): State<History>) -> Response {
    let html = render(&history, OffsetDateTime::now_utc());
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

#[derive(Serialize)]
struct Series {
    step_seconds: u64,
    capacity: usize,
    latest: Option<Sample>,
    samples: Vec<Sample>,
}

async fn series(State(history): State<History>) -> Response {
    let (capacity, step) = history.meta();
    Json(Series {
        step_seconds: step.as_secs(),
        capacity,
        latest: history.latest(),
        samples: history.samples(),
    })
    .into_response()
}

/// Escapes text for HTML and SVG.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `12 345` (narrow no-break space between thousands, as French typography wants).
fn int_fr(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// A duration for people: `42 s`, `12 min`, `3,5 h`, `2,1 j`.
fn duration_fr(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{} s", seconds.round() as u64)
    } else if seconds < 7_200.0 {
        format!("{} min", (seconds / 60.0).round() as u64)
    } else if seconds < 172_800.0 {
        format!("{:.1} h", seconds / 3_600.0).replace('.', ",")
    } else {
        format!("{:.1} j", seconds / 86_400.0).replace('.', ",")
    }
}

fn clock(at: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let l = crate::paris::local(t);
    format!("{:02}:{:02}", l.hour(), l.minute())
}

/// The clock with seconds, for charts spanning a few minutes.
fn clock_seconds(at: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let l = crate::paris::local(t);
    format!("{:02}:{:02}:{:02}", l.hour(), l.minute(), l.second())
}

fn service_fr(s: &str) -> &str {
    match s {
        "adhesions" => "Adhésions",
        "prestations" => "Prestations",
        "reclamations" => "Réclamations",
        "qualification_manuelle" => "Qualification manuelle",
        other => other,
    }
}

/// What needs a person now, worst first; empty when all is well.
fn problems(s: &Sample) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(d) = s.dead_letters.filter(|d| *d > 0) {
        out.push((
            "bad",
            format!(
                "{} pli(s) en lettres mortes : à examiner (file mailroom.envelopes.dead)",
                int_fr(d)
            ),
        ));
    }
    if s.deadlines_overdue > 0 {
        out.push((
            "bad",
            format!(
                "{} échéance(s) de réclamation dépassée(s)",
                int_fr(s.deadlines_overdue)
            ),
        ));
    }
    if s.waiting > 0 && s.envelopes_per_hour == 0 && s.reading == 0 {
        out.push((
            "bad",
            format!(
                "{} pli(s) attendent et aucun n'est en lecture : les workers sont-ils arrêtés ?",
                int_fr(s.waiting)
            ),
        ));
    } else if s.envelopes_per_hour > 0 && s.waiting > s.envelopes_per_hour {
        out.push((
            "warn",
            format!(
                "La file ne suit pas : {} plis en attente pour {} traités par heure",
                int_fr(s.waiting),
                int_fr(s.envelopes_per_hour)
            ),
        ));
    }
    if s.deadlines_at_risk > 0 {
        out.push((
            "warn",
            format!(
                "{} échéance(s) de réclamation dans les 2 jours ouvrés",
                int_fr(s.deadlines_at_risk)
            ),
        ));
    }
    let old = s.backlog_by_age.get("over_7d").copied().unwrap_or(0);
    if old > 0 {
        out.push((
            "warn",
            format!(
                "{} document(s) attendent une validation depuis plus de 7 jours",
                int_fr(old)
            ),
        ));
    }
    out
}

/// One line of a chart.
struct Line<'a> {
    name: &'a str,
    color: &'a str,
    points: Vec<(i64, Option<f64>)>,
}

/// A round upper bound for the y axis.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * magnitude >= v {
            return m * magnitude;
        }
    }
    10.0 * magnitude
}

fn axis_label(v: f64) -> String {
    if v >= 100.0 || v.fract() == 0.0 {
        int_fr(v.round() as u64)
    } else {
        format!("{v:.1}").replace('.', ",")
    }
}

/// A line chart as inline SVG: time on x (Paris clock), values from 0 on y, gaps where a
/// value is missing, a dot for a lone point.
fn chart(title: &str, unit: &str, lines: &[Line<'_>]) -> String {
    const W: f64 = 640.0;
    const H: f64 = 190.0;
    const LEFT: f64 = 58.0;
    const RIGHT: f64 = 12.0;
    const TOP: f64 = 10.0;
    const BOTTOM: f64 = 26.0;
    let times: Vec<i64> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .collect();
    let (t0, t1) = match (times.iter().min(), times.iter().max()) {
        (Some(a), Some(b)) if b > a => (*a, *b),
        (Some(a), _) => (*a - 30, *a + 30),
        _ => (0, 1),
    };
    let vmax = lines
        .iter()
        .flat_map(|l| l.points.iter().filter_map(|p| p.1))
        .fold(0.0f64, f64::max);
    // Four gridline steps of a round size.
    let ymax = nice_max(vmax * 1.05 / 4.0) * 4.0;
    let x = |t: i64| LEFT + (t - t0) as f64 / (t1 - t0) as f64 * (W - LEFT - RIGHT);
    let y = |v: f64| TOP + (1.0 - v / ymax) * (H - TOP - BOTTOM);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    for i in 0..=4 {
        let v = ymax * f64::from(i) / 4.0;
        let yy = y(v);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{x2}" y2="{yy:.1}" stroke="#d0d4da" stroke-width="1"/><text x="{tx}" y="{ty:.1}" text-anchor="end" font-size="11" fill="#555">{label}</text>"##,
            x2 = W - RIGHT,
            tx = LEFT - 6.0,
            ty = yy + 4.0,
            label = esc(&axis_label(v)),
        );
    }
    for i in 0..=4 {
        let t = t0 + (t1 - t0) * i / 4;
        let anchor = match i {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            r##"<text x="{xx:.1}" y="{yy}" text-anchor="{anchor}" font-size="11" fill="#555">{c}</text>"##,
            xx = x(t),
            yy = H - 8.0,
            c = if t1 - t0 < 600 {
                clock_seconds(t)
            } else {
                clock(t)
            },
        );
    }
    for line in lines {
        let mut segment: Vec<(f64, f64)> = Vec::new();
        let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
        for (t, v) in &line.points {
            match v {
                Some(v) => segment.push((x(*t), y(*v))),
                None => {
                    if !segment.is_empty() {
                        segments.push(std::mem::take(&mut segment));
                    }
                }
            }
        }
        if !segment.is_empty() {
            segments.push(segment);
        }
        for s in segments {
            if s.len() == 1 {
                let _ = write!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"#,
                    s[0].0, s[0].1, line.color
                );
            } else {
                let pts: Vec<String> = s.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
                let _ = write!(
                    svg,
                    r#"<polyline fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round" points="{}"/>"#,
                    line.color,
                    pts.join(" ")
                );
            }
        }
    }
    svg.push_str("</svg>");
    let mut legend = String::new();
    for line in lines {
        let _ = write!(
            legend,
            r#"<span class="key"><span class="swatch" style="background:{}"></span>{}</span>"#,
            line.color,
            esc(line.name)
        );
    }
    format!(
        r#"<section class="chart"><h2>{}</h2><div class="legend">{legend}<span class="key">en {}</span></div>{svg}</section>"#,
        esc(title),
        esc(unit)
    )
}

fn tile(class: &str, label: &str, value: &str, note: &str) -> String {
    format!(
        r#"<div class="tile {class}"><div class="label">{}</div><div class="value">{}</div><div class="note">{}</div></div>"#,
        esc(label),
        esc(value),
        esc(note)
    )
}

const BLUE: &str = "#1f5fbf";
const ORANGE: &str = "#c05a00";
const RED: &str = "#b3261e";
const GREEN: &str = "#2e7d32";
const PURPLE: &str = "#6a3d9a";
const GREY: &str = "#555b66";

/// The page, from the history as it is at `now`.
pub fn render(history: &History, now: OffsetDateTime) -> String {
    let samples = history.samples();
    let (capacity, step) = history.meta();
    let latest = history.latest();
    let mut body = String::new();
    match &latest {
        None => body.push_str(
            r#"<p class="banner warn">Pas encore de mesure : le premier relevé arrive dans quelques secondes.</p>"#,
        ),
        Some(s) => {
            let problems = problems(s);
            if problems.is_empty() {
                body.push_str(r#"<p class="banner ok">Tout va bien : le courrier suit, rien n'est bloqué, aucune échéance en danger.</p>"#);
            } else {
                body.push_str(r#"<ul class="problems">"#);
                for (class, text) in &problems {
                    let _ = write!(body, r#"<li class="banner {class}">{}</li>"#, esc(text));
                }
                body.push_str("</ul>");
            }
            body.push_str(&tiles(s));
        }
    }
    if samples.is_empty() {
        body.push_str(r#"<p class="note">Les courbes apparaîtront après le premier relevé.</p>"#);
    } else {
        body.push_str(&charts(&samples));
    }
    let updated = latest
        .as_ref()
        .map(|s| clock(s.at))
        .unwrap_or_else(|| "—".into());
    format!(
        r#"<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="30">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Salle du courrier — exploitation</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }}
header {{ background: #1d2330; color: #fff; padding: 12px 24px; display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; }}
header h1 {{ font-size: 1.3rem; margin: 0; }}
main {{ padding: 16px 24px; max-width: 1400px; }}
.banner {{ padding: 10px 14px; border-radius: 6px; margin: 6px 0; font-weight: 600; list-style: none; }}
.banner.ok {{ background: #e3f1e4; color: {GREEN}; }}
.banner.warn {{ background: #fff0e0; color: {ORANGE}; }}
.banner.bad {{ background: #fbe4e2; color: {RED}; }}
.problems {{ padding: 0; margin: 0 0 8px 0; }}
.tiles {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; margin: 12px 0; }}
.tile {{ background: #fff; border-radius: 8px; padding: 12px 14px; border-left: 6px solid #c3c8d0; }}
.tile.ok {{ border-left-color: {GREEN}; }}
.tile.warn {{ border-left-color: {ORANGE}; }}
.tile.bad {{ border-left-color: {RED}; }}
.tile .label {{ font-size: .85rem; color: #4a5160; }}
.tile .value {{ font-size: 2rem; font-weight: 700; margin: 4px 0; }}
.tile .note {{ font-size: .8rem; color: #4a5160; }}
.charts {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 12px; }}
.chart {{ background: #fff; border-radius: 8px; padding: 10px 14px; }}
.chart h2 {{ font-size: 1rem; margin: 0 0 4px 0; }}
.legend {{ font-size: .8rem; color: #4a5160; margin-bottom: 4px; }}
.key {{ margin-right: 14px; }}
.swatch {{ display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }}
table {{ border-collapse: collapse; background: #fff; border-radius: 8px; margin: 12px 0; }}
td, th {{ padding: 4px 12px; text-align: right; border-bottom: 1px solid #e6e8ec; }}
th:first-child, td:first-child {{ text-align: left; }}
footer, .note {{ font-size: .8rem; color: #4a5160; }}
footer {{ padding: 8px 24px 24px; }}
</style>
</head>
<body>
<header><h1>Salle du courrier — exploitation</h1><span>Dernier relevé : {updated} (heure de Paris)</span></header>
<main>
{body}
</main>
<footer>Page rechargée toutes les 30 s. Un relevé toutes les {step}, {span} d'historique gardées en mémoire (perdues au redémarrage ; Prometheus et Grafana gardent le long terme). Données : <a href="/ops/series.json">/ops/series.json</a>, métriques : <a href="/metrics">/metrics</a>. Page produite à {now_clock}.</footer>
</body>
</html>
"#,
        step = duration_fr(step.as_secs_f64()),
        span = duration_fr(capacity as f64 * step.as_secs_f64()),
        now_clock = clock(now.unix_timestamp()),
    )
}

fn tiles(s: &Sample) -> String {
    let mut out = String::from(r#"<div class="tiles">"#);
    let (class, note) = if s.waiting == 0 {
        ("ok", "aucun pli en attente".to_string())
    } else if s.envelopes_per_hour == 0 {
        ("bad", "rien de traité depuis une heure".to_string())
    } else {
        let hours = s.waiting as f64 / s.envelopes_per_hour as f64;
        let class = if hours > 1.0 { "warn" } else { "ok" };
        (
            class,
            format!(
                "file vidée en ≈ {} au rythme actuel",
                duration_fr(hours * 3600.0)
            ),
        )
    };
    out.push_str(&tile(
        "",
        "Débit (dernière heure)",
        &format!("{} plis/h", int_fr(s.envelopes_per_hour)),
        &format!("{} en lecture maintenant", int_fr(s.reading)),
    ));
    out.push_str(&tile(
        class,
        "Plis en attente de lecture",
        &int_fr(s.waiting),
        &note,
    ));
    match s.dead_letters {
        Some(d) => out.push_str(&tile(
            if d > 0 { "bad" } else { "ok" },
            "Lettres mortes",
            &int_fr(d),
            if d > 0 {
                "plis abandonnés après plusieurs essais : à examiner"
            } else {
                "aucun pli abandonné"
            },
        )),
        None => out.push_str(&tile(
            "",
            "Lettres mortes",
            "—",
            "sans objet : file intégrée, sans RabbitMQ",
        )),
    }
    let latency = match (s.latency_p50_seconds, s.latency_p95_seconds) {
        (Some(p50), Some(p95)) => (
            duration_fr(p50),
            format!(
                "95 % des plis en moins de {}, de la réception au résultat (15 min)",
                duration_fr(p95)
            ),
        ),
        _ => (
            "—".to_string(),
            "aucun pli terminé ces 15 dernières minutes".to_string(),
        ),
    };
    out.push_str(&tile(
        "",
        "Délai de traitement (médiane)",
        &latency.0,
        &latency.1,
    ));
    let old = s.backlog_by_age.get("over_7d").copied().unwrap_or(0);
    out.push_str(&tile(
        if old > 0 { "warn" } else { "" },
        "Documents à valider",
        &int_fr(s.backlog),
        &format!("dont {} de plus de 7 jours", int_fr(old)),
    ));
    let (class, note) = if s.validated_per_hour == 0 {
        (
            if s.backlog > 0 { "warn" } else { "" },
            "aucune validation depuis une heure".to_string(),
        )
    } else {
        let share = 100.0 * s.corrected_per_hour as f64 / s.validated_per_hour as f64;
        let hours = s.backlog as f64 / s.validated_per_hour as f64;
        (
            "",
            format!(
                "{} corrigés ({share:.0} %) ; à ce rythme, à valider vidé en ≈ {}",
                int_fr(s.corrected_per_hour),
                duration_fr(hours * 3600.0)
            ),
        )
    };
    out.push_str(&tile(
        class,
        "Validés par les gestionnaires (dernière heure)",
        &format!("{} documents/h", int_fr(s.validated_per_hour)),
        &note,
    ));
    let class = if s.deadlines_overdue > 0 {
        "bad"
    } else if s.deadlines_at_risk > 0 {
        "warn"
    } else {
        "ok"
    };
    out.push_str(&tile(
        class,
        "Échéances de réclamation dépassées",
        &int_fr(s.deadlines_overdue),
        &format!(
            "{} à risque (dans les 2 jours ouvrés)",
            int_fr(s.deadlines_at_risk)
        ),
    ));
    out.push_str("</div>");
    out.push_str(r#"<div class="tiles">"#);
    let mut services = String::from(
        r#"<table><thead><tr><th>À valider, par service</th><th>Documents</th></tr></thead><tbody>"#,
    );
    for service in crate::metrics::SERVICES {
        let n = s.backlog_by_service.get(service).copied().unwrap_or(0);
        let _ = write!(
            services,
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(service_fr(service)),
            int_fr(n)
        );
    }
    services.push_str("</tbody></table>");
    let mut ages = String::from(
        r#"<table><thead><tr><th>À valider, par ancienneté</th><th>Documents</th></tr></thead><tbody>"#,
    );
    for (key, label) in [
        ("under_1d", "moins d'un jour"),
        ("1d_to_3d", "1 à 3 jours"),
        ("3d_to_7d", "3 à 7 jours"),
        ("over_7d", "7 jours et plus"),
    ] {
        let _ = write!(
            ages,
            "<tr><td>{label}</td><td>{}</td></tr>",
            int_fr(s.backlog_by_age.get(key).copied().unwrap_or(0))
        );
    }
    ages.push_str("</tbody></table>");
    out.push_str(&services);
    out.push_str(&ages);
    out.push_str("</div>");
    out
}

fn charts(samples: &[Sample]) -> String {
    let series = |f: &dyn Fn(&Sample) -> Option<f64>| -> Vec<(i64, Option<f64>)> {
        samples.iter().map(|s| (s.at, f(s))).collect()
    };
    let mut out = String::from(r#"<div class="charts">"#);
    out.push_str(&chart(
        "Débit : plis traités par heure",
        "plis/h",
        &[Line {
            name: "plis terminés sur l'heure écoulée (tous les workers)",
            color: BLUE,
            points: series(&|s| Some(s.envelopes_per_hour as f64)),
        }],
    ));
    let mut queue = vec![Line {
        name: "plis en attente de lecture",
        color: ORANGE,
        points: series(&|s| Some(s.waiting as f64)),
    }];
    if samples.iter().any(|s| s.dead_letters.is_some()) {
        queue.push(Line {
            name: "lettres mortes",
            color: RED,
            points: series(&|s| s.dead_letters.map(|d| d as f64)),
        });
    }
    out.push_str(&chart("File d'attente", "plis", &queue));
    out.push_str(&chart(
        "Délai de traitement (réception → résultat)",
        "secondes",
        &[
            Line {
                name: "médiane (p50)",
                color: GREEN,
                points: series(&|s| s.latency_p50_seconds),
            },
            Line {
                name: "95 % (p95)",
                color: PURPLE,
                points: series(&|s| s.latency_p95_seconds),
            },
        ],
    ));
    let services: Vec<String> = {
        let mut v: Vec<String> = samples
            .iter()
            .flat_map(|s| s.backlog_by_service.keys().cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let colors = [BLUE, ORANGE, PURPLE, GREEN];
    let mut backlog = vec![Line {
        name: "total",
        color: GREY,
        points: series(&|s| Some(s.backlog as f64)),
    }];
    for (i, service) in services.iter().enumerate() {
        backlog.push(Line {
            name: service_fr(service),
            color: colors[i % colors.len()],
            points: samples
                .iter()
                .map(|s| {
                    (
                        s.at,
                        Some(s.backlog_by_service.get(service).copied().unwrap_or(0) as f64),
                    )
                })
                .collect(),
        });
    }
    out.push_str(&chart(
        "Documents en attente de validation",
        "documents",
        &backlog,
    ));
    out.push_str(&chart(
        "Validation : documents traités par les gestionnaires",
        "documents/h",
        &[
            Line {
                name: "validés sur l'heure écoulée",
                color: GREEN,
                points: series(&|s| Some(s.validated_per_hour as f64)),
            },
            Line {
                name: "dont corrigés",
                color: ORANGE,
                points: series(&|s| Some(s.corrected_per_hour as f64)),
            },
        ],
    ));
    out.push_str("</div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: i64, waiting: u64) -> Sample {
        Sample {
            at,
            envelopes_per_hour: 120,
            waiting,
            reading: 2,
            dead_letters: Some(0),
            latency_p50_seconds: Some(12.0),
            latency_p95_seconds: Some(40.0),
            backlog: 7,
            backlog_by_service: BTreeMap::from([("reclamations".into(), 7)]),
            backlog_by_age: BTreeMap::from([("under_1d".into(), 7)]),
            validated_per_hour: 30,
            corrected_per_hour: 6,
            deadlines_overdue: 0,
            deadlines_at_risk: 1,
        }
    }

    #[test]
    fn the_ring_is_bounded() {
        let h = History::new(3, Duration::from_secs(30));
        for i in 0..5 {
            h.push(sample(i, 0));
        }
        let at: Vec<i64> = h.samples().iter().map(|s| s.at).collect();
        assert_eq!(at, [2, 3, 4]);
        assert_eq!(h.latest().unwrap().at, 4);
    }

    #[test]
    fn the_page_has_every_chart_and_no_script() {
        let h = History::new(10, Duration::from_secs(30));
        for i in 0..4 {
            h.push(sample(1_760_000_000 + i * 30, 10 * i as u64));
        }
        let html = render(&h, OffsetDateTime::now_utc());
        for part in [
            "Débit : plis traités par heure",
            "File d&#39;attente",
            "Délai de traitement",
            "Documents en attente de validation",
            "Validation : documents traités par les gestionnaires",
            "30 documents/h",
            "6 corrigés (20 %)",
            "<polyline",
            "Réclamations",
            "1 échéance(s) de réclamation dans les 2 jours ouvrés",
        ] {
            assert!(html.contains(part), "{part} missing");
        }
        assert!(!html.contains("<script"));
        assert!(!html.contains("http://") && !html.contains("https://"));
    }

    #[test]
    fn an_empty_history_says_so() {
        let h = History::new(10, Duration::from_secs(30));
        let html = render(&h, OffsetDateTime::now_utc());
        assert!(html.contains("Pas encore de mesure"));
    }

    #[test]
    fn french_numbers() {
        assert_eq!(int_fr(6151), "6\u{202f}151");
        assert_eq!(int_fr(999), "999");
        assert_eq!(duration_fr(42.4), "42 s");
        assert_eq!(duration_fr(600.0), "10 min");
        assert_eq!(duration_fr(12_600.0), "3,5 h");
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.3), 10.0);
        assert_eq!(nice_max(130.0), 200.0);
        assert_eq!(duration_fr(86_400.0), "24,0 h");
    }
}
