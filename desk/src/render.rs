//! The pages, as HTML strings. Every value from the store goes through [`esc`]; NIR and IBAN
//! go through [`mailroom_store::desk::mask`] except in the field being validated.

use std::fmt::Write as _;

use mailroom_domain::Class;
use mailroom_domain::fields::field_spec;
use mailroom_store::desk::{
    AuditEntry, AuditQuery, DeskDocument, Hold, PageInfo, QueueItem, Role, StatusReport, User,
    is_secret, mask,
};
use serde_json::Value;
use time::Date;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn url(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn queue_label(q: &str) -> &str {
    match q {
        "adhesions" => "Adhésions",
        "prestations" => "Prestations",
        "reclamations" => "Réclamations",
        "qualification_manuelle" => "Qualification manuelle",
        other => other,
    }
}

fn status_label(s: &str) -> &str {
    match s {
        "awaiting_validation" => "À valider",
        "validated" => "Validé",
        "rejected" => "Rejeté",
        "received" => "Reçu",
        "reading" => "En lecture",
        other => other,
    }
}

fn action_label(a: &str) -> &str {
    match a {
        "view" => "consultation",
        "claim" => "prise",
        "release" => "remise",
        "correct" => "correction",
        "approve" => "validation",
        "reject" => "rejet",
        "reclassify" => "reclassement",
        "move_page" => "page déplacée",
        "split" => "coupure",
        "merge" => "fusion",
        "reassign" => "réaffectation",
        "reveal" => "affichage NIR/IBAN",
        "login" => "connexion",
        "logout" => "déconnexion",
        "login_failed" => "échec de connexion",
        "status" => "suivi",
        "audit" => "consultation du journal",
        "export" => "export",
        other => other,
    }
}

fn date_fr(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

fn time_fr(t: time::OffsetDateTime) -> String {
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        date_fr(t.date()),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The page frame: header with the user and the navigation.
pub fn layout(title: &str, user: Option<&User>, csrf: Option<&str>, body: &str) -> String {
    let mut nav = String::new();
    if let Some(u) = user {
        nav.push_str(r#"<nav><a href="/" accesskey="q">Files</a>"#);
        if u.role != Role::Ops {
            nav.push_str(r#" <a href="/status">Suivi d'un pli</a>"#);
        }
        if u.role == Role::Manager {
            nav.push_str(r#" <a href="/audit">Journal d'audit</a>"#);
        }
        let _ = write!(
            nav,
            r#" <span class="who">{} · {}{}</span>
<form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="{}"><button type="submit">Se déconnecter</button></form></nav>"#,
            esc(&u.login),
            u.role.label_fr(),
            u.service
                .as_deref()
                .map(|s| format!(" ({})", queue_label(s)))
                .unwrap_or_default(),
            esc(csrf.unwrap_or(""))
        );
    }
    format!(
        r#"<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{} — Bureau des gestionnaires</title><link rel="stylesheet" href="/static/desk.css"><script src="/static/desk.js" defer></script></head>
<body><header><h1>Bureau des gestionnaires</h1>{nav}</header>
<main>{body}</main></body></html>"#,
        esc(title)
    )
}

fn flash(msg: Option<&str>) -> String {
    msg.filter(|m| !m.is_empty())
        .map(|m| format!(r#"<p class="flash" role="status">{}</p>"#, esc(m)))
        .unwrap_or_default()
}

/// The login form.
pub fn login_page(form_token: &str, error: Option<&str>) -> String {
    layout(
        "Connexion",
        None,
        None,
        &format!(
            r#"<section class="login"><h2>Connexion</h2>{}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{}">
<label>Identifiant <input name="login" id="login" autocomplete="username" required autofocus></label>
<label>Mot de passe <input name="password" id="password" type="password" autocomplete="current-password" required></label>
<button type="submit" id="login-submit">Se connecter</button>
</form></section>"#,
            error
                .map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, esc(e)))
                .unwrap_or_default(),
            esc(form_token)
        ),
    )
}

/// A short error page.
pub fn error_page(code: u16, message: &str) -> String {
    layout(
        "Erreur",
        None,
        None,
        &format!(
            r#"<section><h2>Erreur {code}</h2><p>{}</p><p><a href="/">Retour aux files</a></p></section>"#,
            esc(message)
        ),
    )
}

/// A queue's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueueSummary {
    pub queue: String,
    pub count: usize,
    #[serde(with = "time::serde::rfc3339::option")]
    pub oldest: Option<time::OffsetDateTime>,
    #[serde(serialize_with = "mailroom_store::desk::ser_opt_date")]
    pub next_due: Option<Date>,
    pub overdue: usize,
    pub claimed: usize,
}

/// Figures per queue (every service queue listed when `queues` names them).
pub fn summarise(queues: &[&str], items: &[QueueItem]) -> Vec<QueueSummary> {
    queues
        .iter()
        .map(|q| {
            let mine: Vec<&QueueItem> = items.iter().filter(|i| i.queue == *q).collect();
            QueueSummary {
                queue: (*q).to_string(),
                count: mine.len(),
                oldest: mine.iter().map(|i| i.received_at).min(),
                next_due: mine.iter().filter_map(|i| i.deadline.map(|d| d.due)).min(),
                overdue: mine
                    .iter()
                    .filter(|i| i.deadline.is_some_and(|d| d.overdue))
                    .count(),
                claimed: mine.iter().filter(|i| i.claimed_by.is_some()).count(),
            }
        })
        .collect()
}

fn deadline_cell(d: Option<mailroom_store::desk::Deadline>) -> String {
    match d {
        None => "—".into(),
        Some(d) => {
            let what = if d.kind == "acknowledge" {
                "accusé de réception dû"
            } else {
                "saisie due"
            };
            if d.overdue {
                format!(
                    r#"<span class="overdue">En retard</span> — {what} le {}"#,
                    date_fr(d.due)
                )
            } else {
                format!("{what} le {}", date_fr(d.due))
            }
        }
    }
}

/// The queues page: figures per queue, "claim next", the waiting documents (late first).
pub fn queues_page(
    user: &User,
    csrf: &str,
    summaries: &[QueueSummary],
    items: &[QueueItem],
    stats: &[(String, String, u64)],
    msg: Option<&str>,
) -> String {
    let mut b = String::new();
    b.push_str(&flash(msg));
    b.push_str(r#"<section><h2>Files</h2><table class="queues"><thead><tr><th>File</th><th>À valider</th><th>En cours</th><th>Plus ancien</th><th>Prochaine échéance</th><th>En retard</th></tr></thead><tbody>"#);
    for s in summaries {
        let _ = write!(
            b,
            r#"<tr data-queue="{}"><td>{}</td><td class="count">{}</td><td>{}</td><td>{}</td><td>{}</td><td class="{}">{}</td></tr>"#,
            esc(&s.queue),
            queue_label(&s.queue),
            s.count,
            s.claimed,
            s.oldest
                .map(|t| date_fr(t.date()))
                .unwrap_or_else(|| "—".into()),
            s.next_due.map(date_fr).unwrap_or_else(|| "—".into()),
            if s.overdue > 0 { "overdue" } else { "" },
            s.overdue
        );
    }
    b.push_str("</tbody></table>");
    if user.role != Role::Ops {
        let _ = write!(
            b,
            r#"<form method="post" action="/claim-next" id="claim-next-form"><input type="hidden" name="csrf" value="{}"><button type="submit" id="claim-next">Prendre le document suivant <kbd>N</kbd></button></form>"#,
            esc(csrf)
        );
    }
    b.push_str("</section>");
    b.push_str(r#"<section><h2>Documents en attente</h2><p class="hint">Les documents en retard d'abord, puis par échéance et par date de réception.</p><table class="items"><thead><tr><th>Pli</th><th>Document</th><th>File</th><th>Reçu le</th><th>Échéance</th><th>Réponse due</th><th>Pris par</th></tr></thead><tbody>"#);
    for i in items.iter().take(500) {
        let link = if user.may_open(&i.queue) {
            format!(
                r#"<a href="/documents/{}/{}">{} · {}</a>"#,
                esc(i.key.envelope.as_str()),
                i.key.position,
                esc(&i.envelope_name),
                i.key.position + 1
            )
        } else {
            format!("{} · {}", esc(&i.envelope_name), i.key.position + 1)
        };
        let _ = write!(
            b,
            r#"<tr class="{}"><td>{link}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            if i.deadline.is_some_and(|d| d.overdue) {
                "late"
            } else {
                ""
            },
            i.class.label_fr(),
            queue_label(&i.queue),
            date_fr(i.received_at.date()),
            deadline_cell(i.deadline),
            i.answer_due.map(date_fr).unwrap_or_else(|| "—".into()),
            i.claimed_by
                .as_deref()
                .map(esc)
                .unwrap_or_else(|| "—".into()),
        );
    }
    b.push_str("</tbody></table></section>");
    if !stats.is_empty() {
        b.push_str(r#"<section><h2>Statistiques du jour</h2><table><thead><tr><th>Gestionnaire</th><th>Décision</th><th>Documents</th></tr></thead><tbody>"#);
        for (login, status, n) in stats {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{n}</td></tr>",
                esc(login),
                status_label(status)
            );
        }
        b.push_str("</tbody></table></section>");
    }
    layout("Files", Some(user), Some(csrf), &b)
}

/// The text a field shows: masked for NIR and IBAN.
pub fn display_value(name: &str, value: &Value) -> String {
    let s = match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "oui".into(),
        Value::Bool(false) => "non".into(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    if is_secret(name) { mask(&s) } else { s }
}

fn class_options(selected: Class) -> String {
    Class::ALL
        .iter()
        .map(|c| {
            format!(
                r#"<option value="{}"{}>{}</option>"#,
                c.as_str(),
                if *c == selected { " selected" } else { "" },
                c.label_fr()
            )
        })
        .collect()
}

/// The document view.
#[allow(clippy::too_many_arguments)]
pub fn document_page(
    user: &User,
    csrf: &str,
    doc: &DeskDocument,
    pages: &[PageInfo],
    hold: Hold,
    audit: &[AuditEntry],
    users: &[User],
    msg: Option<&str>,
) -> String {
    let key = &doc.key;
    let base = format!("/documents/{}/{}", esc(key.envelope.as_str()), key.position);
    let mine = hold == Hold::Mine && doc.status == "awaiting_validation";
    let mut b = String::new();
    let _ = write!(
        b,
        r#"<div class="doc" id="doc" data-base="{base}" data-mine="{}" data-all-valid="{}">"#,
        mine,
        doc.all_valid()
    );
    // Page viewer.
    b.push_str(r#"<section class="viewer" aria-label="Pages"><div class="toolbar">"#);
    b.push_str(r#"<button type="button" id="prev-page" title="Page précédente (Alt+←)">◀</button> <span id="page-label"></span> <button type="button" id="next-page" title="Page suivante (Alt+→)">▶</button> "#);
    b.push_str(r#"<button type="button" id="zoom-out" title="Réduire (Alt+-)">−</button> <span id="zoom-label">100 %</span> <button type="button" id="zoom-in" title="Agrandir (Alt+=)">+</button></div><div class="pages" id="pages">"#);
    for p in doc.pages.iter() {
        let info = pages.iter().find(|i| i.page == *p);
        let (w, h, r) = info
            .map(|i| (i.width, i.height, i.rotation))
            .unwrap_or((1000, 1414, 0));
        let _ = write!(
            b,
            r#"<figure class="page" data-page="{p}" data-width="{w}" data-height="{h}" data-rotation="{r}"><div class="sheet"><img src="{base}/pages/{p}" alt="Page {p}" loading="lazy"><div class="box" hidden></div></div><figcaption>Page {p}</figcaption></figure>"#
        );
    }
    b.push_str("</div></section>");
    // Panel.
    b.push_str(r#"<section class="panel">"#);
    let _ = write!(
        b,
        r#"<h2>{} <small>pli {} · document {}</small></h2>"#,
        doc.class.label_fr(),
        esc(&doc.envelope_name),
        key.position + 1
    );
    b.push_str(&flash(msg));
    let _ = write!(
        b,
        r#"<p class="meta">File {} · reçu le {} · statut <strong id="doc-status">{}</strong>{}{}</p>"#,
        queue_label(&doc.queue),
        date_fr(doc.received_at.date()),
        status_label(&doc.status),
        doc.decided_by
            .as_deref()
            .map(|d| format!(" par {}", esc(d)))
            .unwrap_or_default(),
        doc.reject_reason
            .as_deref()
            .map(|r| format!(" — motif : {}", esc(r)))
            .unwrap_or_default()
    );
    if let Some(d) = doc.deadline {
        let _ = write!(
            b,
            r#"<p class="deadline">Échéance : {}</p>"#,
            deadline_cell(Some(d))
        );
    }
    if let (Some(a), Some(r)) = (doc.acknowledge_by, doc.answer_due) {
        let _ = write!(
            b,
            r#"<p class="deadline">Accusé de réception avant le {} · réponse avant le {}</p>"#,
            date_fr(a),
            date_fr(r)
        );
    }
    match (hold, doc.status.as_str()) {
        (Hold::Other, "awaiting_validation") => {
            let _ = write!(
                b,
                r#"<p class="held">Pris par {}.</p>"#,
                esc(doc.claimed_by.as_deref().unwrap_or("?"))
            );
        }
        (Hold::Free, "awaiting_validation") => {
            let _ = write!(
                b,
                r#"<form method="post" action="{base}" id="claim-form"><input type="hidden" name="csrf" value="{}"><button name="action" value="claim" id="claim">Prendre ce document</button></form>"#,
                esc(csrf)
            );
        }
        _ => {}
    }
    // Fields.
    let _ = write!(
        b,
        r#"<form method="post" action="{base}" id="fields" autocomplete="off"><input type="hidden" name="csrf" value="{}">"#,
        esc(csrf)
    );
    if mine {
        b.push_str(r#"<button type="submit" name="action" value="approve" id="approve" class="primary">Valider <kbd>Entrée</kbd></button> <button type="submit" name="action" value="save" id="save">Enregistrer</button>"#);
    }
    b.push_str(r#"<table class="fields"><tbody>"#);
    for f in &doc.fields {
        let label = field_spec(doc.class, &f.name)
            .map(|s| s.label_fr)
            .unwrap_or(f.name.as_str());
        let doubtful = f.doubtful();
        let shown = display_value(&f.name, &f.value);
        let _ = write!(
            b,
            r#"<tr class="field{}" data-field="{}"><th><label for="f-{}">{}{}</label></th><td><input id="f-{}" name="f.{}" value="{}" data-page="{}" data-bbox="{},{},{},{}"{}{}>{}</td></tr>"#,
            if doubtful { " doubtful" } else { "" },
            esc(&f.name),
            esc(&f.name),
            esc(label),
            if doubtful {
                r#" <span class="flag" title="À vérifier">⚠</span>"#
            } else {
                ""
            },
            esc(&f.name),
            esc(&f.name),
            esc(&shown),
            f.page,
            f.bbox[0],
            f.bbox[1],
            f.bbox[2],
            f.bbox[3],
            if is_secret(&f.name) {
                r#" data-secret="1""#
            } else {
                ""
            },
            if mine { "" } else { " readonly" },
            match &f.message {
                Some(m) => format!(r#"<p class="rule" role="note">{}</p>"#, esc(m)),
                None if f.confidence < mailroom_store::desk::DOUBTFUL_BELOW => format!(
                    r#"<p class="rule">lecture incertaine ({:.0} %)</p>"#,
                    f.confidence * 100.0
                ),
                None => String::new(),
            }
        );
    }
    if mine {
        // Fields of the class not read: the clerk may add them.
        let present: Vec<&str> = doc.fields.iter().map(|f| f.name.as_str()).collect();
        for spec in mailroom_domain::fields::fields_of(doc.class) {
            if present.contains(&spec.key) {
                continue;
            }
            let _ = write!(
                b,
                r#"<tr class="field absent" data-field="{k}"><th><label for="f-{k}">{}</label></th><td><input id="f-{k}" name="f.{k}" value="" placeholder="non lu"></td></tr>"#,
                esc(spec.label_fr),
                k = esc(spec.key)
            );
        }
    }
    b.push_str("</tbody></table></form>");
    if mine {
        let siblings: String = doc
            .siblings
            .iter()
            .map(|s| format!(r#"<option value="{s}">document {}</option>"#, s + 1))
            .collect();
        let page_opts: String = doc
            .pages
            .iter()
            .map(|p| format!(r#"<option value="{p}">page {p}</option>"#))
            .collect();
        let c = esc(csrf);
        let _ = write!(
            b,
            r#"<details class="actions" open><summary>Autres actions</summary>
<form method="post" action="{base}" id="reclassify-form"><input type="hidden" name="csrf" value="{c}"><input type="hidden" name="action" value="reclassify"><label>Reclasser <kbd>Alt+C</kbd> <select name="class" id="reclassify-class">{}</select></label> <button type="submit">Reclasser</button></form>
<form method="post" action="{base}" id="reject-form"><input type="hidden" name="csrf" value="{c}"><input type="hidden" name="action" value="reject"><label>Rejeter <kbd>Alt+R</kbd> <input name="reason" id="reject-reason" placeholder="motif du rejet" required maxlength="500"></label> <button type="submit">Rejeter</button></form>
<form method="post" action="{base}" id="move-form"><input type="hidden" name="csrf" value="{c}"><input type="hidden" name="action" value="move_page"><label>Déplacer <kbd>Alt+P</kbd> <select name="page" id="move-page">{page_opts}</select></label> <label>vers <select name="to">{siblings}</select></label> <button type="submit"{dis}>Déplacer</button></form>
<form method="post" action="{base}" id="split-form"><input type="hidden" name="csrf" value="{c}"><input type="hidden" name="action" value="split"><label>Couper avant <kbd>Alt+S</kbd> <select name="at" id="split-at">{page_opts}</select></label> <button type="submit">Couper</button></form>
<form method="post" action="{base}" id="merge-form"><input type="hidden" name="csrf" value="{c}"><input type="hidden" name="action" value="merge"><label>Fusionner avec <kbd>Alt+M</kbd> <select name="other" id="merge-other">{siblings}</select></label> <button type="submit"{dis}>Fusionner</button></form>
<form method="post" action="{base}" id="release-form"><input type="hidden" name="csrf" value="{c}"><input type="hidden" name="action" value="release"><button type="submit">Rendre le document</button></form>
</details>"#,
            class_options(doc.class),
            dis = if doc.siblings.is_empty() {
                " disabled"
            } else {
                ""
            },
        );
    }
    if user.role == Role::Manager && doc.status == "awaiting_validation" {
        let opts: String = users
            .iter()
            .filter(|u| u.role != Role::Ops)
            .map(|u| format!(r#"<option value="{0}">{0}</option>"#, esc(&u.login)))
            .collect();
        let _ = write!(
            b,
            r#"<form method="post" action="{base}" id="reassign-form"><input type="hidden" name="csrf" value="{}"><input type="hidden" name="action" value="reassign"><label>Confier à <select name="to">{opts}</select></label> <button type="submit">Réaffecter</button></form>"#,
            esc(csrf)
        );
    }
    let _ = write!(
        b,
        r#"<form method="post" action="/claim-next" id="next-form"><input type="hidden" name="csrf" value="{}"><button type="submit" id="next">Document suivant <kbd>Alt+N</kbd></button></form>"#,
        esc(csrf)
    );
    b.push_str(&audit_table(audit, "Journal de ce pli", "doc-audit"));
    b.push_str(KEYS_HELP);
    b.push_str("</section></div>");
    layout(
        &format!("{} {}", doc.class.label_fr(), doc.envelope_name),
        Some(user),
        Some(csrf),
        &b,
    )
}

const KEYS_HELP: &str = r#"<details class="keys"><summary>Raccourcis clavier</summary><ul>
<li><kbd>Tab</kbd> / <kbd>Maj+Tab</kbd> : champ suivant / précédent (son cadre s'allume sur la page)</li>
<li><kbd>Entrée</kbd> : enregistrer et valider ; un document tout valide se valide d'une touche</li>
<li><kbd>Alt+C</kbd> reclasser · <kbd>Alt+P</kbd> déplacer une page · <kbd>Alt+S</kbd> couper · <kbd>Alt+M</kbd> fusionner · <kbd>Alt+R</kbd> rejeter avec motif</li>
<li><kbd>Alt+N</kbd> document suivant · <kbd>Alt+←</kbd> / <kbd>Alt+→</kbd> page · <kbd>Alt+=</kbd> / <kbd>Alt+-</kbd> zoom · <kbd>Échap</kbd> quitter le champ</li>
</ul></details>"#;

fn audit_table(entries: &[AuditEntry], title: &str, id: &str) -> String {
    let mut b = format!(
        r#"<section class="audit"><h3>{}</h3><table id="{id}"><thead><tr><th>Quand</th><th>Qui</th><th>Action</th><th>Document</th><th>Détail</th></tr></thead><tbody>"#,
        esc(title)
    );
    for e in entries {
        let _ = write!(
            b,
            r#"<tr data-action="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            esc(&e.action),
            time_fr(e.at),
            esc(&e.login),
            action_label(&e.action),
            match (&e.envelope, e.document) {
                (Some(env), Some(d)) => format!("{} · {}", esc(env), d + 1),
                (Some(env), None) => esc(env),
                _ => "—".into(),
            },
            esc(&e.detail)
        );
    }
    b.push_str("</tbody></table></section>");
    b
}

/// The audit search page (managers).
pub fn audit_page(user: &User, csrf: &str, q: &AuditQuery, entries: &[AuditEntry]) -> String {
    let v = |o: &Option<String>| esc(o.as_deref().unwrap_or(""));
    let body = format!(
        r#"<section><h2>Journal d'audit</h2><form method="get" action="/audit" class="search">
<label>Qui <input name="login" value="{}"></label> <label>Pli <input name="envelope" value="{}"></label>
<label>Action <input name="action" value="{}" placeholder="approve, reject, view…"></label> <button type="submit">Chercher</button></form></section>{}"#,
        v(&q.login),
        v(&q.envelope),
        v(&q.action),
        audit_table(entries, "Entrées (les plus récentes d'abord)", "audit")
    );
    layout("Journal d'audit", Some(user), Some(csrf), &body)
}

/// "Where is my request": a form, and the report when there is one.
pub fn status_page(
    user: &User,
    csrf: &str,
    reports: &[StatusReport],
    query: (&str, &str),
    msg: Option<&str>,
) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        r#"<section><h2>Où en est ce pli ?</h2>{}<form method="get" action="/status" class="search"><label>N° de pli <input name="envelope" value="{}" placeholder="e-…"></label> "#,
        flash(msg),
        esc(query.0)
    );
    if user.role == Role::Manager {
        let _ = write!(
            b,
            r#"<label>ou n° d'adhérent <input name="member" value="{}"></label> "#,
            esc(query.1)
        );
    }
    b.push_str(r#"<button type="submit">Chercher</button></form></section>"#);
    for r in reports {
        let _ = write!(
            b,
            r#"<section class="status"><h3>Pli {} <small>{}</small> — {}</h3><p>Reçu le {}</p><ol class="steps">"#,
            esc(&r.name),
            esc(&r.envelope),
            status_label(&r.status),
            time_fr(r.received_at)
        );
        for s in &r.steps {
            let _ = write!(
                b,
                "<li><time>{}</time> {} — {}</li>",
                time_fr(s.at),
                esc(status_label(action_label(&s.step))),
                esc(&s.detail)
            );
        }
        b.push_str(r#"</ol><table><thead><tr><th>Document</th><th>Nature</th><th>File</th><th>Statut</th><th>Échéances</th></tr></thead><tbody>"#);
        for d in &r.documents {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                d.position + 1,
                d.class.label_fr(),
                queue_label(&d.queue),
                status_label(&d.status),
                match (d.acknowledge_by, d.answer_due) {
                    (Some(a), Some(r)) => format!(
                        "accusé avant le {}, réponse avant le {}",
                        date_fr(a),
                        date_fr(r)
                    ),
                    _ => "—".into(),
                }
            );
        }
        b.push_str("</tbody></table></section>");
    }
    layout("Suivi d'un pli", Some(user), Some(csrf), &b)
}
