//! The Grafana dashboard and the Prometheus alert rules in `ops/` name only metrics this
//! registry exposes, and every metric is on the dashboard. (`promtool check rules` would
//! validate the rules' PromQL; it is not installed here, so the rules are parsed as YAML and
//! their expressions checked for names and balanced brackets.)

use std::collections::BTreeSet;
use std::path::PathBuf;

use regex::Regex;
use yaml_rust2::{Yaml, YamlLoader};

fn ops_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .join("ops")
}

/// Sample names (`…_total`, `…_bucket`…) and family names (`# TYPE` lines) the registry
/// exposes.
fn exposed() -> (BTreeSet<String>, BTreeSet<String>) {
    // As in a running process: `mailroom_component_up` appears with the first check.
    let m = mailroom_telemetry::metrics();
    m.set_up(mailroom_telemetry::metrics::Component::Store, true);
    let text = m.encode();
    let mut samples = BTreeSet::new();
    let mut families = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            if let Some(name) = rest.split_whitespace().next() {
                families.insert(name.to_string());
            }
        } else if !line.starts_with('#') && !line.is_empty() {
            let name = line.split(['{', ' ']).next().unwrap_or_default();
            samples.insert(name.to_string());
        }
    }
    (samples, families)
}

fn metric_names(expr: &str) -> Vec<String> {
    let re = Regex::new(r"\bmailroom_[a-z0-9_]+").unwrap();
    re.find_iter(expr).map(|m| m.as_str().to_string()).collect()
}

fn balanced(expr: &str) -> bool {
    let mut stack = Vec::new();
    let mut quoted = false;
    for c in expr.chars() {
        match c {
            '"' => quoted = !quoted,
            _ if quoted => {}
            '(' | '[' | '{' => stack.push(c),
            ')' | ']' | '}' => {
                let open = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(open) {
                    return false;
                }
            }
            _ => {}
        }
    }
    stack.is_empty() && !quoted
}

fn exprs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                if k == "expr" {
                    if let Some(s) = v.as_str() {
                        out.push(s.to_string());
                    }
                } else {
                    exprs(v, out);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| exprs(v, out)),
        _ => {}
    }
}

#[test]
fn the_dashboard_names_exactly_the_registry_metrics() {
    let text = std::fs::read_to_string(ops_dir().join("grafana-dashboard.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert!(dashboard["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(dashboard["uid"].as_str().is_some());
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 10, "{} panels", panels.len());
    let mut all = Vec::new();
    exprs(&dashboard, &mut all);
    let (samples, families) = exposed();
    let mut used = BTreeSet::new();
    for expr in &all {
        assert!(balanced(expr), "unbalanced: {expr}");
        let names = metric_names(expr);
        assert!(!names.is_empty(), "no mailroom metric in {expr}");
        for name in names {
            assert!(
                samples.contains(&name),
                "{name} (in {expr}) is not exposed; exposed: {samples:?}"
            );
            used.insert(name);
        }
    }
    for family in &families {
        let covered = ["", "_total", "_bucket", "_sum", "_count"]
            .iter()
            .any(|suffix| used.contains(&format!("{family}{suffix}")));
        assert!(covered, "{family} is on no dashboard panel");
    }
    // Every panel has a type, a place and a query.
    for p in panels {
        assert!(p["type"].as_str().is_some(), "{p}");
        assert!(p["gridPos"]["w"].as_u64().is_some(), "{p}");
        if p["type"] != "row" {
            assert!(
                p["targets"].as_array().is_some_and(|t| !t.is_empty()),
                "{p}"
            );
        }
    }
}

#[test]
fn the_alert_rules_name_registry_metrics_and_cover_the_issue() {
    let text = std::fs::read_to_string(ops_dir().join("alerts.yml")).unwrap();
    let docs = YamlLoader::load_from_str(&text).expect("valid YAML");
    let doc = &docs[0];
    let (samples, _) = exposed();
    let mut alerts = BTreeSet::new();
    let groups = doc["groups"].as_vec().expect("groups");
    assert!(!groups.is_empty());
    for g in groups {
        assert!(g["name"].as_str().is_some());
        for rule in g["rules"].as_vec().expect("rules") {
            let name = rule["alert"].as_str().expect("alert name");
            let expr = rule["expr"].as_str().expect("expr");
            assert!(balanced(expr), "{name}: unbalanced {expr}");
            let names = metric_names(expr);
            assert!(!names.is_empty(), "{name}: no mailroom metric");
            for m in names {
                assert!(samples.contains(&m), "{name}: {m} is not exposed");
            }
            assert!(
                matches!(
                    rule["labels"]["severity"].as_str(),
                    Some("warning" | "critical")
                ),
                "{name}: severity"
            );
            assert!(
                rule["annotations"]["summary"].as_str().is_some(),
                "{name}: summary"
            );
            assert!(
                matches!(rule["for"], Yaml::String(_)),
                "{name}: a `for` duration"
            );
            alerts.insert((name.to_string(), expr.to_string()));
        }
    }
    let find = |alert: &str| {
        alerts
            .iter()
            .find(|(n, _)| n == alert)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| panic!("{alert} missing"))
    };
    assert!(find("MailroomDeadLettersNotEmpty").contains("queue=\"dead_letters\""));
    assert!(
        find("MailroomValidationBacklogGrowing").contains("mailroom_validation_backlog_documents")
    );
    assert!(find("MailroomDeadlinesOverdue").contains("mailroom_deadlines_overdue_documents"));
    let idle = find("MailroomNoEnvelopeProcessed");
    assert!(idle.contains("mailroom_envelopes_processed_total"));
    assert!(idle.contains("mailroom_working_hours"));
}
