//! Fields that are not one value after one label: names, free text, care type, yes/no
//! fields, the dependants table, what a complaint cites and disputes, and the amounts of an
//! invoice or quote chosen together so that they add up.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use mailroom_domain::Class;
use mailroom_domain::normalize::{self, fold_text};
use regex::Regex;
use serde_json::{Value, json};

use super::Context;
use super::engine::{Cand, Doc, Hit, TokRef, union};
use super::values::{self, V, VK};
use crate::layout::Line;

fn re(p: &str) -> Regex {
    // Patterns are constants checked by the tests; an invalid one matches nothing.
    Regex::new(p)
        .unwrap_or_else(|_| Regex::new(r"[^\s\S]").expect("a pattern that matches nothing"))
}

/// Every candidate of the special fields of a class.
pub fn candidates(class: Class, doc: &Doc<'_>, ctx: &Context<'_>) -> Vec<Cand> {
    let mut out = Vec::new();
    match class {
        Class::MembershipForm => membership(doc, ctx, &mut out),
        Class::Invoice | Class::Quote => {
            total_rows(doc, &mut out);
            unlabelled_total_rows(doc, &mut out);
            vat_total_rows(doc, &mut out);
            if class == Class::Invoice {
                date_column(doc, &mut out);
            }
            patient(doc, ctx, &mut out);
            provider_name(doc, &mut out);
            care_type(doc, &mut out);
            if class == Class::Invoice {
                paid(doc, &mut out);
            }
        }
        Class::Complaint => complaint(doc, ctx, &mut out),
        Class::Other => {}
    }
    out
}

fn v_of(doc: &Doc<'_>, r: TokRef) -> V {
    let t = &doc.line(r.0, r.1).toks[r.2];
    V {
        text: t.text.clone(),
        bbox: t.bbox,
        conf: t.conf,
    }
}

/// A candidate from words of the document.
fn cand(key: &'static str, value: Value, doc: &Doc<'_>, toks: Vec<TokRef>, score: f64) -> Cand {
    let vs: Vec<V> = toks.iter().map(|r| v_of(doc, *r)).collect();
    let ocr = vs.iter().map(|v| f64::from(v.conf)).sum::<f64>() / vs.len().max(1) as f64;
    Cand {
        key,
        value,
        score,
        ocr: if vs.is_empty() { 0.8 } else { ocr },
        valid: true,
        repaired: false,
        pi: toks.first().map_or(0, |r| r.0),
        bbox: union(vs.iter().map(|v| v.bbox)),
        toks,
        checked: false,
        doubt: false,
        shared: false,
    }
}

/// A candidate derived from words other fields may also use (a yes/no mention, a kind of
/// care named in a title).
fn shared(mut c: Cand) -> Cand {
    c.shared = true;
    c
}

// ---------------------------------------------------------------------------------------
// Free text after a label

/// Words that start another field's label: free text stops before them.
static STOP: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    [
        "nom",
        "prenom",
        "prenoms",
        "ne",
        "nee",
        "ne(e)",
        "date",
        "tel",
        "tel.",
        "telephone",
        "e-mail",
        "email",
        "courriel",
        "code",
        "ville",
        "adresse",
        "sexe",
        "n°",
        "cp",
        "portable",
        "mobile",
        "nir",
        "iban",
        "bic",
        "commune",
        "formule",
        "signature",
        "fait",
    ]
    .into_iter()
    .collect()
});

/// The words of free text right of (or under) a label, up to the next label.
fn text_words(ws: Vec<(V, TokRef)>) -> Vec<(V, TokRef)> {
    let mut out = Vec::new();
    // `Formule 4`: a plan's name, not the `Formule` label of the next field.
    let plan_name = |i: usize, ws: &[(V, TokRef)]| {
        ws.get(i + 1).is_some_and(|(n, _)| {
            let t = n.text.trim_end_matches(['.', ',']);
            t.chars().any(|c| c.is_ascii_digit())
                || (t.chars().count() == 1 && t.chars().all(char::is_uppercase))
        })
    };
    let all = ws.clone();
    for (i, (v, r)) in ws.into_iter().enumerate() {
        let f = fold_text(&v.text);
        let bare = f.trim_end_matches(':');
        // `LE GALL`, `DU PONT`: a particle in capitals before a name in capitals is part of
        // it, not the `le` before a date.
        let particle = v.text.chars().count() == 2
            && all_caps(&v.text)
            && all.get(i + 1).is_some_and(|(n, _)| all_caps(&n.text));
        if (i == 0 || out.is_empty()) && values::is_filler(&v.text) && !particle {
            continue;
        }
        // A label where a value should be: the value is missing or elsewhere.
        if out.is_empty()
            && (STOP.contains(bare) || f.ends_with(':'))
            && !(f == "formule" && plan_name(i, &all))
        {
            break;
        }
        if !out.is_empty() && (STOP.contains(bare) || f.ends_with(':')) {
            break;
        }
        if f == ":" {
            break;
        }
        out.push((v, r));
    }
    out
}

fn joined(ws: &[(V, TokRef)]) -> String {
    ws.iter()
        .map(|(v, _)| v.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Candidates of a text field found by its labels.
fn text_field(
    doc: &Doc<'_>,
    key: &'static str,
    labels: &[(&Regex, f64)],
    accept: &dyn Fn(&str) -> bool,
    out: &mut Vec<Cand>,
) {
    let hits = labels
        .iter()
        .flat_map(|(re, w)| doc.hits(re).into_iter().map(move |h| (h, *w)))
        .collect();
    text_field_at(doc, key, hits, accept, out);
}

/// Candidates of a text field from label hits already found, each with its weight.
fn text_field_at(
    doc: &Doc<'_>,
    key: &'static str,
    hits: Vec<(Hit, f64)>,
    accept: &dyn Fn(&str) -> bool,
    out: &mut Vec<Cand>,
) {
    for (h, w) in hits {
        {
            // A price further on the label's line (`Nom [] Essentielle 38,49 € / mois`): the
            // words right of the label are a list of plans in the next column, and the
            // value stands under the label; a plan's own line may hold its price.
            let priced =
                key != "plan" && doc.line_after(&h).iter().any(|(v, _)| v.text.contains('€'));
            let right = if priced { 0.75 } else { 1.0 };
            for (ws, f) in [(doc.right_of(&h), right), (doc.below(&h), 0.85)] {
                let ws = text_words(ws);
                // A speck before a word read as an opening quote (`Formule ‘3`).
                let s = joined(&ws)
                    .split(' ')
                    .map(|w| w.trim_start_matches(OPENING))
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                if let Some(t) = normalize::text(s.trim_matches(|c: char| !c.is_alphanumeric()))
                    && accept(&t)
                {
                    let toks = ws.iter().map(|(_, r)| *r).collect();
                    let short = t.chars().count() <= 3;
                    let mut c = cand(key, Value::String(t), doc, toks, w * f);
                    // Two letters barely read (a box's outline read as `CT`): the reading
                    // under the label, read clearly, goes first.
                    if short && c.ocr < 0.4 {
                        c.score *= 0.8;
                    }
                    out.push(c);
                }
            }
        }
    }
}

fn letters_only(s: &str) -> bool {
    s.chars().any(char::is_alphabetic)
        && !s
            .chars()
            .any(|c| c.is_ascii_digit() || c == '@' || c == '€')
}

// ---------------------------------------------------------------------------------------
// Names

/// Words of mail software and letter heads that look like names.
static NOT_A_NAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(mail|gmail|outlook|orange|sfr|free|laposte|webmail|messagerie|boite|envoye|reception|objet|mutuelle|sante|service|madame|monsieur|docteur|dr|date|lettre|recommandee|recommande|avec)$",
    )
});
static CIVILITY: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(mme|madame|m|m\.|mr|mr\.|monsieur|mlle|mademoiselle|melle)$"));

/// A word that can be part of a person's name.
fn name_word(t: &str) -> bool {
    let t = t.trim_end_matches([',', '.']);
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    letters >= 2
        && t.chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’'))
        && t.chars().next().is_some_and(char::is_uppercase)
}

fn all_caps(t: &str) -> bool {
    let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
}

/// Splits the words of a full name into (last, first) words.
fn split_name(words: &[String], ctx: &Context<'_>) -> Option<(Vec<usize>, Vec<usize>)> {
    let n = words.len();
    if !(2..=4).contains(&n) {
        return None;
    }
    let caps: Vec<usize> = (0..n).filter(|&i| all_caps(&words[i])).collect();
    let fname = |i: usize| ctx.model.is_first_name(&words[i]);
    if !caps.is_empty() && caps.len() < n {
        let rest: Vec<usize> = (0..n).filter(|i| !caps.contains(i)).collect();
        return Some((caps, rest));
    }
    // Same case everywhere: the lexicon of first names decides, else "Prénom NOM" order.
    if fname(n - 1) && !fname(0) {
        return Some(((0..n - 1).collect(), vec![n - 1]));
    }
    Some(((1..n).collect(), vec![0]))
}

/// Candidates of a (last, first) name pair from a run of words.
fn name_pair(
    doc: &Doc<'_>,
    ws: &[(V, TokRef)],
    keys: (&'static str, &'static str),
    score: f64,
    ctx: &Context<'_>,
    out: &mut Vec<Cand>,
) -> bool {
    let mut run: Vec<&(V, TokRef)> = Vec::new();
    for w in ws {
        let t = w.0.text.trim_end_matches(',');
        if run.is_empty() && CIVILITY.is_match(&fold_text(t)) {
            continue;
        }
        if name_word(t) {
            run.push(w);
        } else {
            break;
        }
        if run.len() == 4 {
            break;
        }
    }
    // `DA SILVAJulie`: a last name in capitals glued to the first name that follows it is
    // cut where the case changes; a guess, so neither part is trusted alone.
    static GLUED: LazyLock<Regex> =
        LazyLock::new(|| re(r"^(\p{Lu}[\p{Lu}'-]+)(\p{Lu}\p{Ll}[\p{Ll}'-]+)$"));
    let mut words: Vec<String> = Vec::new();
    let mut word_toks: Vec<TokRef> = Vec::new();
    let mut cut = false;
    for w in &run {
        let t = w.0.text.trim_end_matches([',', '.']);
        if let Some(c) = GLUED.captures(t) {
            words.push(c[1].to_string());
            words.push(c[2].to_string());
            word_toks.extend([w.1, w.1]);
            cut = true;
        } else {
            words.push(t.to_string());
            word_toks.push(w.1);
        }
    }
    if words.iter().any(|w| NOT_A_NAME.is_match(&fold_text(w))) {
        return false;
    }
    let Some((last, first)) = split_name(&words, ctx) else {
        return false;
    };
    let pick = |ix: &[usize]| -> (String, Vec<TokRef>) {
        let mut toks: Vec<TokRef> = ix.iter().map(|&i| word_toks[i]).collect();
        toks.dedup();
        (
            ix.iter()
                .map(|&i| words[i].as_str())
                .collect::<Vec<_>>()
                .join(" "),
            toks,
        )
    };
    let (l, lt) = pick(&last);
    let (f, ft) = pick(&first);
    let mut lc = cand(keys.0, Value::String(l), doc, lt, score);
    let mut fc = cand(keys.1, Value::String(f), doc, ft, score);
    if cut {
        // Both parts share the glued word: neither takes it from the other.
        lc.repaired = true;
        fc.repaired = true;
        lc.shared = true;
        fc.shared = true;
    }
    out.push(lc);
    out.push(fc);
    true
}

fn line_words(doc: &Doc<'_>, pi: usize, li: usize, from: usize) -> Vec<(V, TokRef)> {
    doc.line(pi, li)
        .toks
        .iter()
        .enumerate()
        .skip(from)
        .map(|(ti, _)| (v_of(doc, (pi, li, ti)), (pi, li, ti)))
        .collect()
}

/// The words of one segment of a line, from word `from`.
fn seg_words(doc: &Doc<'_>, pi: usize, li: usize, from: usize) -> Vec<(V, TokRef)> {
    let l = doc.line(pi, li);
    let Some(seg) = l.toks.get(from).map(|t| t.seg) else {
        return Vec::new();
    };
    line_words(doc, pi, li, from)
        .into_iter()
        .take_while(|(_, r)| l.toks[r.2].seg == seg)
        .collect()
}

static PATIENT: LazyLock<Vec<(Regex, f64)>> = LazyLock::new(|| {
    vec![
        // `Patient :`, `Patiente :`, `Patient(e) :`.
        (re(r"\bpatient(\(e\)|e\b|\b)\s*:?"), 1.0),
        (re(r"beneficiaire( des soins)?\s*:?"), 1.0),
        (re(r"nom,? prenom\s*:?"), 1.0),
        // The insured is the patient only when no patient is named: weighed under the
        // patient's labels, so that both read do not put the patient in doubt.
        (re(r"\bassure\(?e?\)?\s*:"), 0.8),
        (re(r"\bclient(e)?\s*:"), 0.8),
        (re(r"^(soins|facture) pour\b"), 0.7),
    ]
});

fn patient(doc: &Doc<'_>, ctx: &Context<'_>, out: &mut Vec<Cand>) {
    let keys = ("patient_last_name", "patient_first_name");
    for (r, w) in PATIENT.iter() {
        for h in doc.hits(r) {
            let right = doc.right_of(&h);
            if !name_pair(doc, &right, keys, *w, ctx, out) {
                let below = doc.below(&h);
                name_pair(doc, &below, keys, w * 0.9, ctx, out);
            }
        }
    }
    // A civility followed by a name, anywhere (not a doctor's).
    for (pi, p) in doc.pages.iter().enumerate() {
        for (li, l) in p.lines.iter().enumerate() {
            for (ti, t) in l.toks.iter().enumerate() {
                if CIVILITY.is_match(&t.fold) {
                    let ws = seg_words(doc, pi, li, ti);
                    name_pair(doc, &ws, keys, 0.6, ctx, out);
                }
            }
        }
    }
}

/// The care date of an invoice listing its sessions or acts in a table: the first date under
/// a `Date` column header.
fn date_column(doc: &Doc<'_>, out: &mut Vec<Cand>) {
    for (pi, p) in doc.pages.iter().enumerate() {
        for (li, l) in p.lines.iter().enumerate() {
            let Some(hi) = l
                .toks
                .iter()
                .position(|t| t.fold == "date" || t.fold == "dates")
            else {
                continue;
            };
            // A header: other column names on the line, no date on it.
            let vs: Vec<V> = (0..l.toks.len())
                .map(|ti| v_of(doc, (pi, li, ti)))
                .collect();
            if l.toks.len() < 3 || values::parse(VK::Date, &vs).is_some() {
                continue;
            }
            let h = &l.toks[hi];
            let lh = l.h();
            for (nli, nl) in p.lines.iter().enumerate().skip(li + 1).take(4) {
                if nl.y0 > l.y1 + 4.0 * lh {
                    break;
                }
                let Some(ti) = nl
                    .toks
                    .iter()
                    .position(|t| t.x1 > h.x0 - 2.0 * lh && t.x0 < h.x1 + 2.0 * lh)
                else {
                    continue;
                };
                let ws = line_words(doc, pi, nli, ti);
                let vs: Vec<V> = ws.iter().take(4).map(|w| w.0.clone()).collect();
                if let Some(d) = values::parse(VK::Date, &vs)
                    && d.range.start == 0
                {
                    out.push(super::engine::cand_from("care_date", d, &ws, 0.7));
                    return;
                }
            }
        }
    }
}

/// Words of a provider's name.
static PROVIDER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(pharmacie|cabinet|centre|clinique|polyclinique|hopital|optique|opticiens?|lunetterie|audition|audio|auditif|selarl|scm|sarl|sas|laboratoire|docteur|dr|maison de sante|kinesitherapie|dentaire|vision|acoustique|l.oreille)\b",
    )
});
/// Titles and captions at the top of a document, never a provider's name.
static TITLE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(facture|devis|soins|seances|actes|equipement|note|commercial|medical|delivre|normalise|appareillage|honoraires|recu|duplicata|original|schema|dents|prix|ttc|chirurgie)\b",
    )
});
/// A provider's name usually starts with its kind.
static PROVIDER_START: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^((grande |les |l')?(pharmacie|cabinet|centre|clinique|polyclinique|hopital|optique|opticiens?|audition|selarl|scm|laboratoire|docteur|dr)|l.oreille)\b",
    )
});
/// Lines near a provider's name that are not it.
static NOT_PROVIDER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(facture|devis|note d'honoraires|organisme|complementaire|mutuelle|client|patient|beneficiaire|assure|madame|mme|monsieur|prescripteur|prescription|ordonnance|masseur|kinesitherapeute|chirurgien|medecin|ophtalmologiste|generaliste|specialiste|conventionne|entente|objet|page|tel|siret|finess|rpps|rue|avenue|boulevard|allee|chemin|place|quai|cedex|lunetterie -|date)\b|:|@|\d",
    )
});

/// Marks a speck before a word is read as.
const OPENING: [char; 7] = ['‘', '’', '\'', '"', '“', '«', '|'];

/// The provider: the name at the top of the first page, by its words (pharmacie, cabinet,
/// Dr…), its size and its place.
fn provider_name(doc: &Doc<'_>, out: &mut Vec<Cand>) {
    let Some(p) = doc.pages.first() else { return };
    let mut best: Option<(f64, Vec<TokRef>)> = None;
    for (li, l) in p.lines.iter().enumerate() {
        if l.y0 > p.height * 0.35 {
            break;
        }
        let mut segs: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (ti, t) in l.toks.iter().enumerate() {
            segs.entry(t.seg).or_default().push(ti);
        }
        for (_, mut tis) in segs {
            // A logo read as a word or two before the name.
            while tis.len() > 1 {
                let t = &l.toks[tis[0]];
                let letters = t.text.chars().filter(|c| c.is_alphabetic()).count();
                if (t.conf < 0.6 || letters <= 2) && t.fold != "dr" {
                    tis.remove(0);
                } else {
                    break;
                }
            }
            // Another column run into this one: stop at a title word.
            if let Some(cut) = tis.iter().position(|&i| TITLE.is_match(&l.toks[i].fold)) {
                if cut == 0 {
                    continue;
                }
                tis.truncate(cut);
            }
            while tis.len() > 1
                && !l.toks[tis[tis.len() - 1]]
                    .text
                    .chars()
                    .any(char::is_alphanumeric)
            {
                tis.pop();
            }
            if tis.len() == 1 && l.toks[tis[0]].text.chars().count() < 10 {
                continue;
            }
            let toks: Vec<&crate::layout::Tok> = tis.iter().map(|&i| &l.toks[i]).collect();
            let text: String = toks
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let fold = fold_text(&text);
            // A speck before the name read as an opening quote (`‘Agnès LÉGER`).
            let words: Vec<String> = toks
                .iter()
                .map(|t| t.text.trim_start_matches(OPENING).to_string())
                .collect();
            let keyword = PROVIDER.is_match(&fold);
            let person = (2..=5).contains(&words.len())
                && words.iter().all(|w| name_word(w) || w == "-")
                && words.iter().any(|w| all_caps(w))
                && !words.iter().any(|w| CIVILITY.is_match(&fold_text(w)));
            let label = fold.contains(':')
                || fold.contains('@')
                || fold.chars().any(|c| c.is_ascii_digit());
            if label || (!person && NOT_PROVIDER.is_match(&fold) && !keyword) {
                continue;
            }
            if keyword && !person && NOT_PROVIDER.is_match(&fold) && !PROVIDER_START.is_match(&fold)
            {
                continue;
            }
            if !(keyword || person) || toks.len() > 8 {
                continue;
            }
            if toks.iter().map(|t| t.conf).sum::<f32>() / (toks.len() as f32) < 0.5 {
                continue;
            }
            let h = crate::layout::median(toks.iter().map(|t| t.h()).collect()) as f64;
            let x = toks[0].x0 as f64 / p.width as f64;
            let mut score = h / p.line_h.max(1.0) as f64 - 0.5 * x - (l.y0 / p.height) as f64;
            if keyword {
                score += 1.0;
            }
            if best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, tis.iter().map(|&ti| (0, li, ti)).collect()));
            }
        }
    }
    if let Some((_, toks)) = best {
        let text: Vec<String> = toks.iter().map(|r| v_of(doc, *r).text).collect();
        // A rule under the name is read as a dash glued to its last word.
        if let Some(t) = normalize::text(
            text.join(" ")
                .trim_end_matches(['-', '_', '—', '.', ' '])
                .trim_start_matches(OPENING),
        ) {
            out.push(cand("provider_name", Value::String(t), doc, toks, 0.8));
        }
    }
}

static CARE: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    vec![
        (
            "optical",
            re(r"optique|opticien|lunettes|verres?\b|monture|lentilles|ophtalm"),
        ),
        (
            "dental",
            re(
                r"dentaire|dentiste|couronne|implant|detartrage|orthodont|prothese dent|ccam|inlay|bridge",
            ),
        ),
        (
            "hearing",
            re(r"audio|auditi|appareillage|aides? auditives?|intra-auriculaire|contour d'oreille"),
        ),
        (
            "hospital",
            re(
                r"clinique|hospitali|sejour|hopital|chambre particuliere|forfait journalier|ambulatoire|chirurgi",
            ),
        ),
        (
            "pharmacy",
            re(r"pharmacie|pharmacien|medicaments?|officine|\bcip\b"),
        ),
        (
            "consultation",
            re(
                r"consultation|medecin|generaliste|docteur|\bdr\b|cabinet medical|\bngap\b|\bg\b|\bgs\b",
            ),
        ),
        (
            "paramedical",
            re(
                r"kinesi|masseur|infirmi|orthophon|podolog|pedicur|osteopat|orthoptis|seances? de|reeducation",
            ),
        ),
    ]
});

fn care_type(doc: &Doc<'_>, out: &mut Vec<Cand>) {
    let mut score: BTreeMap<&str, f64> = BTreeMap::new();
    for p in &doc.pages {
        for l in &p.lines {
            let top = if l.y0 < p.height * 0.3 { 2.0 } else { 1.0 };
            for (k, r) in CARE.iter() {
                let n = r.find_iter(&l.fold).count() as f64;
                if n > 0.0 {
                    *score.entry(k).or_default() += top * n.min(2.0);
                }
            }
        }
    }
    // Dentists' and surgeons' invoices name consultations too; a specialised care type wins.
    if let Some(c) = score.get_mut("consultation") {
        *c *= 0.6;
    }
    let best = score
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(k, v)| (*k, *v));
    if let Some((k, v)) = best
        && v > 0.0
    {
        out.push(shared(cand("care_type", json!(k), doc, Vec::new(), 0.9)));
    }
}

static PAID_TRUE: LazyLock<Regex> =
    LazyLock::new(|| re(r"acquitt|recu la somme|\breglee? (le|par|cb|en)|\bpaye(e)? (le|par|en)"));
static PAID_FALSE: LazyLock<Regex> =
    LazyLock::new(|| re(r"reste du\b|a regler\b|restant du\b|montant du\b|solde du\b"));

fn paid(doc: &Doc<'_>, out: &mut Vec<Cand>) {
    for (pi, p) in doc.pages.iter().enumerate() {
        for (li, l) in p.lines.iter().enumerate() {
            for (r, v, s) in [(&*PAID_TRUE, true, 0.9), (&*PAID_FALSE, false, 0.85)] {
                if let Some(m) = r.find(&l.fold) {
                    let toks = l
                        .toks_in(m.start(), m.end())
                        .map(|ti| (pi, li, ti))
                        .collect();
                    out.push(shared(cand("paid", Value::Bool(v), doc, toks, s)));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Membership forms

static M_LAST: LazyLock<Regex> =
    LazyLock::new(|| re(r"(^|[^a-z])nom( de naissance| de famille| d'usage| marital)?\s*:?"));
static M_FIRST: LazyLock<Regex> = LazyLock::new(|| re(r"\bprenoms?\s*:?"));
static M_ADDR: LazyLock<Regex> = LazyLock::new(|| re(r"\badresse\b( \([^)]*\))?\s*:?"));
static M_CITY: LazyLock<Regex> = LazyLock::new(|| re(r"\b(ville|commune|localite)\b\s*:?"));
static M_PLAN: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(formule|garantie|offre|niveau)( de garantie)?( choisie| souscrite| retenue)?\s*:")
});
static SIGNATURE: LazyLock<Regex> = LazyLock::new(|| re(r"\bsignature\b"));
static DEPENDANTS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"ayants? droits?|beneficiaires|personnes? a (couvrir|assurer|garantir)|conjoint et enfants|membres de (la )?famille",
    )
});

/// What follows a `Nom` label on its line: `de voie` (the street of an address, `type et nom
/// de voie`) makes it no name label; `Prénom` makes it the label of a full name.
fn after_label(doc: &Doc<'_>, h: &Hit) -> String {
    let l = doc.line(h.pi, h.li);
    l.fold
        .get(h.end..)
        .unwrap_or("")
        .trim_start_matches([' ', ':', ',', '/'])
        .to_string()
}

/// `Nom de voie`, `nom de la rue`, `nom du bâtiment`: the name of a place, not a person's.
fn place_name_label(after: &str) -> bool {
    static PLACE: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"^(de (la )?(voie|rue|residence|batiment|lieu-dit|commune|ville)|du (batiment|lieu|titulaire|signataire))\b",
        )
    });
    PLACE.is_match(after)
}

/// `Nom Prénom`, `Nom et prénom(s)`, `Nom, prénom`: one label over a full name.
fn full_name_label(after: &str) -> bool {
    static FULL: LazyLock<Regex> = LazyLock::new(|| re(r"^(et |, ?|/ ?)?prenoms?\b"));
    FULL.is_match(after)
}

/// The member's names from the labels of a form: `Nom` and `Prénom` apart, or one label
/// `Nom Prénom` over the full name (split by case, else by the lexicon of first names).
fn member_names(
    doc: &Doc<'_>,
    ctx: &Context<'_>,
    accept: &dyn Fn(&str) -> bool,
    out: &mut Vec<Cand>,
) {
    let mut single = Vec::new();
    for h in doc.hits(&M_LAST) {
        let after = after_label(doc, &h);
        if place_name_label(&after) {
            continue;
        }
        if full_name_label(&after) {
            let keys = ("last_name", "first_name");
            let right = doc.right_of(&h);
            let right: Vec<(V, TokRef)> = right
                .into_iter()
                .skip_while(|(v, _)| {
                    let f = fold_text(&v.text);
                    values::is_filler(&v.text)
                        || matches!(
                            f.trim_end_matches(':'),
                            "prenom" | "prenoms" | "et" | "," | "/"
                        )
                })
                .collect();
            if !name_pair(doc, &right, keys, 1.0, ctx, out) {
                let below = doc.below(&h);
                name_pair(doc, &below, keys, 0.95, ctx, out);
            }
            continue;
        }
        single.push((h, 1.0));
    }
    text_field_at(doc, "last_name", single, accept, out);
}

fn membership(doc: &Doc<'_>, ctx: &Context<'_>, out: &mut Vec<Cand>) {
    let name = |t: &str| letters_only(t) && t.split_whitespace().count() <= 4;
    member_names(doc, ctx, &name, out);
    text_field(doc, "first_name", &[(&M_FIRST, 1.0)], &name, out);
    let addr = |t: &str| {
        let f = fold_text(t);
        !f.starts_with("e-mail")
            && !f.starts_with("mail")
            && !f.starts_with("electronique")
            && t.chars().any(|c| c.is_ascii_digit())
            && t.split_whitespace()
                .filter(|w| w.chars().any(char::is_alphabetic))
                .count()
                >= 2
    };
    text_field(doc, "address", &[(&M_ADDR, 1.0)], &addr, out);
    text_field(
        doc,
        "city",
        &[(&M_CITY, 1.0)],
        &|t: &str| letters_only(t),
        out,
    );
    // Forms that print the plan as text: `Formule | Confort` on a recap, `Formule choisie`
    // over a box filled in. Weighed under what a clerk may skip: never marked valid alone.
    static M_PLAN_BARE: LazyLock<Regex> = LazyLock::new(|| re(r"^formule( choisie| souhaitee)?\b"));
    // A plan's name, not a price line of the list of plans (`Formule 1 ..... 25,62 €`).
    let plan = |t: &str| {
        let f = fold_text(t);
        t.len() >= 3
            && !f.starts_with("date")
            && !f.contains('€')
            && !f.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && f.split_whitespace().count() <= 4
            && f.chars().any(char::is_alphabetic)
            // `FORMULE (une seule)`: the caption of a list of boxes, not a plan.
            && (!f.ends_with("seule") || f.starts_with("hospi"))
            // `(formules proposées : …)`: the list printed under the field, not the choice;
            // `À effet du :`: the next field's label, when the plan was not read.
            && !f.contains("propose")
            && !f.contains("effet")
    };
    // A list of plans with boxes: the ticked one's label, or no plan when none is ticked.
    let boxes = super::ink::plan(doc);
    out.extend(super::ink::plan_cand(doc, &boxes));
    if boxes == super::ink::PlanRead::NoList {
        text_field(
            doc,
            "plan",
            &[(&M_PLAN, 1.0), (&M_PLAN_BARE, 0.85)],
            &plan,
            out,
        );
    }
    let _ = ctx;
    signed(doc, out);
    dependants(doc, out);
    for (key, kind, w) in [
        ("iban", VK::Iban, 0.5),
        ("bic", VK::Bic, 0.3),
        ("nir", VK::Nir, 0.4),
        ("email", VK::Email, 0.4),
        ("phone", VK::Phone, 0.3),
    ] {
        anywhere(doc, key, kind, w, out);
    }
}

/// Values of a kind standing anywhere in the document, valid only: the fallback when OCR
/// broke the label.
fn anywhere(doc: &Doc<'_>, key: &'static str, kind: VK, w: f64, out: &mut Vec<Cand>) {
    for (pi, p) in doc.pages.iter().enumerate() {
        for (li, l) in p.lines.iter().enumerate() {
            let mut ti = 0;
            while ti < l.toks.len() {
                let t = &l.toks[ti];
                let plausible = match kind {
                    VK::Email => t.text.contains('@'),
                    VK::Bic => t.text.len() >= 8,
                    _ => t.text.chars().any(|c| c.is_ascii_digit()) || t.text.len() >= 4,
                };
                if plausible {
                    let ws = line_words(doc, pi, li, ti);
                    let n = ws.len().min(10);
                    let vs: Vec<V> = ws[..n].iter().map(|w| w.0.clone()).collect();
                    if let Some(p) = values::parse(kind, &vs)
                        && p.range.start == 0
                        && p.valid
                    {
                        let end = p.range.end;
                        out.push(super::engine::cand_from(key, p, &ws[..n], w));
                        ti += end.max(1);
                        continue;
                    }
                }
                ti += 1;
            }
        }
    }
}

/// An e-mail address printed in the insurer's legal notice (its data protection officer's,
/// `dpo@…`) is not the member's: such candidates are dropped.
pub fn drop_insurer_emails(doc: &Doc<'_>, cands: &mut Vec<Cand>) {
    static NOTICE: LazyLock<Regex> = LazyLock::new(|| {
        re(r"\bdpo\b|\brgpd\b|donnees (personnelles|sont)|protection des donnees|droit d'acces")
    });
    cands.retain(|c| {
        if c.key != "email" {
            return true;
        }
        let local = c
            .value
            .as_str()
            .and_then(|v| v.split('@').next())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let in_notice = c
            .toks
            .first()
            .is_some_and(|&(pi, li, _)| NOTICE.is_match(&doc.line(pi, li).fold));
        !(local == "dpo" || in_notice)
    });
}

/// The member's own name and birth date are not the dependants': labels found in or after
/// the dependants section count for less.
pub fn below_dependants(doc: &Doc<'_>, cands: &mut [Cand]) {
    let Some(h) = doc.hits(&DEPENDANTS).into_iter().next() else {
        return;
    };
    for c in cands.iter_mut() {
        if !matches!(c.key, "birth_date" | "last_name" | "first_name") {
            continue;
        }
        if let Some(&(pi, li, _)) = c.toks.first()
            && (pi > h.pi || (pi == h.pi && li > h.li))
        {
            c.score *= 0.5;
        }
    }
}

/// Whether the signature box holds anything: words under the label that are not printed
/// text of the form (a scribble reads as a few odd words).
fn signed(doc: &Doc<'_>, out: &mut Vec<Cand>) {
    let hits = doc.hits(&SIGNATURE);
    if super::ink::ink_read(doc) && !hits.is_empty() {
        signed_by_ink(doc, &hits, out);
        return;
    }
    let Some(h) = hits.last() else { return };
    let p = doc.pages[h.pi];
    let l = &p.lines[h.li];
    let lh = l.h();
    let x0 = l.toks[h.toks.start].x0 - 2.0 * lh;
    let mut ink = 0;
    let mut toks = Vec::new();
    for (li, nl) in p.lines.iter().enumerate().skip(h.li + 1) {
        if nl.y0 > l.y1 + 8.0 * lh {
            break;
        }
        for (ti, t) in nl.toks.iter().enumerate() {
            if t.x1 > x0 && t.x0 < x0 + p.width * 0.5 {
                ink += 1;
                toks.push((h.pi, li, ti));
            }
        }
    }
    let v = ink > 0;
    let toks = if v {
        toks
    } else {
        (h.toks.clone()).map(|ti| (h.pi, h.li, ti)).collect()
    };
    out.push(shared(cand("signed", Value::Bool(v), doc, toks, 0.7)));
}

/// Whether a signature box holds ink, from the scribbles the OCR stage found under and right
/// of a `Signature` caption (a caption: the word starts its line or column, unlike the
/// `signature` of a legal paragraph). Signed when any caption's area holds a scribble.
fn signed_by_ink(doc: &Doc<'_>, hits: &[super::engine::Hit], out: &mut Vec<Cand>) {
    let caption = |h: &super::engine::Hit| {
        let l = doc.line(h.pi, h.li);
        h.toks.start == 0 || l.toks[h.toks.start - 1].seg != l.toks[h.toks.start].seg
    };
    let captions: Vec<&super::engine::Hit> = if hits.iter().any(caption) {
        hits.iter().filter(|h| caption(h)).collect()
    } else {
        hits.iter().collect()
    };
    let mut ink = Vec::new();
    for h in &captions {
        if let Some(s) = super::ink::signature_ink(doc, h.pi, h.li, h.toks.start) {
            ink.extend(s.into_iter().map(|s| (h, s)));
        }
    }
    let Some(h) = ink
        .first()
        .map(|(h, _)| **h)
        .or_else(|| captions.last().copied())
    else {
        return;
    };
    let lh = doc.pages[h.pi].line_h;
    let toks: Vec<TokRef> = h.toks.clone().map(|ti| (h.pi, h.li, ti)).collect();
    let mut c = cand("signed", Value::Bool(!ink.is_empty()), doc, toks, 0.85);
    if let Some(widest) = ink.iter().map(|(_, s)| s.w()).reduce(f32::max) {
        // A scribble as wide as a signature is one; a small mark may be a stray stroke.
        c.score = if widest >= 6.0 * lh { 0.95 } else { 0.75 };
        // Ink as wide as a signature under its caption: a clerk need not look.
        c.checked = widest >= 6.0 * lh;
        c.bbox = union(ink.iter().map(|(_, s)| s.bbox));
    }
    out.push(shared(c));
}

/// The dependants table: a header line (name, first name, birth date) under a heading
/// that names dependants, then one row per person until a row without a date.
fn dependants(doc: &Doc<'_>, out: &mut Vec<Cand>) {
    let Some(head) = doc.hits(&DEPENDANTS).into_iter().next() else {
        return;
    };
    let p = doc.pages[head.pi];
    // `Aucun bénéficiaire déclaré`: the form declares no table at all.
    static NONE_DECLARED: LazyLock<Regex> = LazyLock::new(|| re(r"^aucun"));
    // The lines that close the table: the signature's, a legal notice.
    static TABLE_END: LazyLock<Regex> =
        LazyLock::new(|| re(r"^\W*fait\b|\brgpd\b|\bmutuelle regie\b"));
    if p.lines
        .get(head.li + 1)
        .is_some_and(|l| NONE_DECLARED.is_match(&l.fold))
    {
        return;
    }
    let mut rows = Vec::new();
    let mut toks = Vec::new();
    let mut started = false;
    let mut misses = 0;
    for (li, l) in p.lines.iter().enumerate().skip(head.li + 1).take(12) {
        if !started && TABLE_END.is_match(&l.fold) {
            break;
        }
        let ws: Vec<&crate::layout::Tok> = l.toks.iter().collect();
        let texts: Vec<String> = ws.iter().map(|t| t.text.clone()).collect();
        let date_at = (0..ws.len()).find_map(|i| {
            let vs: Vec<V> = ws[i..]
                .iter()
                .map(|t| V {
                    text: t.text.clone(),
                    bbox: t.bbox,
                    conf: t.conf,
                })
                .collect();
            values::parse(VK::Date, &vs[..vs.len().min(4)])
                .filter(|p| p.range.start == 0)
                .map(|p| (i, p))
        });
        // Once the table has started, a line or two of another column may stand between
        // its rows (forms in two columns); a third, or the signature's line, ends it.
        let Some((di, d)) = date_at else {
            if started {
                misses += 1;
                if misses > 2 || TABLE_END.is_match(&l.fold) {
                    break;
                }
            }
            continue;
        };
        // Forms print a dependant's last name in capitals: a row's names start with one (a
        // line of the letterhead or the legal notice with a date has none); words before it
        // (`Conjoint`, `Enfant`) are not names.
        let all: Vec<&String> = texts[..di].iter().filter(|t| name_word(t)).collect();
        let names: Vec<&String> = all.iter().skip_while(|t| !all_caps(t)).copied().collect();
        if names.len() < 2 {
            if started {
                misses += 1;
                if misses > 2 || TABLE_END.is_match(&l.fold) {
                    break;
                }
            }
            continue;
        }
        started = true;
        misses = 0;
        // `LE GALL Zoé`: the capitals before a first name written in lower case.
        let n_last = if names.iter().any(|w| !all_caps(w)) {
            names.iter().take_while(|w| all_caps(w)).count()
        } else {
            1
        };
        let last = names[..n_last]
            .iter()
            .map(|s| s.trim_end_matches([',', '.']))
            .collect::<Vec<_>>()
            .join(" ");
        let first = names[n_last..]
            .iter()
            .map(|s| s.trim_end_matches([',', '.']))
            .collect::<Vec<_>>()
            .join(" ");
        rows.push(json!({"last_name": last, "first_name": first, "birth_date": d.value}));
        toks.extend((0..ws.len()).map(|ti| (head.pi, li, ti)));
    }
    if toks.is_empty() {
        toks = head.toks.clone().map(|ti| (head.pi, head.li, ti)).collect();
    }
    out.push(shared(cand(
        "dependants",
        Value::Array(rows),
        doc,
        toks,
        0.7,
    )));
}

// ---------------------------------------------------------------------------------------
// Complaints

static ESCALATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"mediat(eur|rice|ion)|\bacpr\b|autorite de controle prudentiel|\bavocat|tribunal|\bjustice\b|juridiction|mise? en demeure|mets en demeure|met en demeure|huissier",
    )
});
static OBJET: LazyLock<Regex> = LazyLock::new(|| re(r"^objet\s*:?|\bobjet\s*:"));
static REF: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(facture|dossier|decompte|reclamation|remboursement|reference|ref\.?)\s*(n\s?[°º]|no\.?|numero)?\s*:?\s*$",
    )
});
static LETTER_DATE: LazyLock<Vec<(Regex, f64)>> = LazyLock::new(|| {
    vec![
        (re(r"[a-z)-]+, le\b"), 1.0),
        (re(r"^\W*le\b"), 0.9),
        (re(r"^envoye\s*:?|^date\s*:"), 1.0),
        (
            re(r"^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b"),
            0.8,
        ),
    ]
});
/// The subject or the salutation (`Madame, Monsieur,`), not the sender's civility and name
/// at the head of the letter (`Monsieur David MAILLARD`).
static BODY_START: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(objet|bonjour|cher|chere)\b|^(madame|monsieur|messieurs)\s*(,|$)|^madame,? (ou |et )?monsieur",
    )
});
static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"salutations|sentiments|cordialement|considération|consideration|dans l'attente|bien a vous|merci d'avance",
    )
});
static GOOD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(manque|reste du|restant|versement de|la somme de|rembourser|remboursement de(s)?|montant en jeu|attendu|me sont dus|qui me sont dus|avances?|soit|trop percu|double|preleve|de nouveau)\s*$",
    )
});
static BAD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(d'un montant (total )?de|verse|vous m'avez rembourse|que|prevoit|au lieu de|total de|facture de|cotisation de|mensuelle de)\s*$",
    )
});

fn complaint(doc: &Doc<'_>, ctx: &Context<'_>, out: &mut Vec<Cand>) {
    // Escalation: true as soon as the text names one; false otherwise (always printed).
    let mut esc: Option<Vec<TokRef>> = None;
    'outer: for (pi, p) in doc.pages.iter().enumerate() {
        for (li, l) in p.lines.iter().enumerate() {
            if let Some(m) = ESCALATION.find(&l.fold) {
                esc = Some(
                    l.toks_in(m.start(), m.end())
                        .map(|ti| (pi, li, ti))
                        .collect(),
                );
                break 'outer;
            }
        }
    }
    let (v, toks) = match esc {
        Some(t) => (true, t),
        None => (false, Vec::new()),
    };
    out.push(shared(cand("escalation", Value::Bool(v), doc, toks, 0.9)));

    // Subject: the rest of the "Objet" line.
    for h in doc.hits(&OBJET) {
        let ws: Vec<(V, TokRef)> = doc
            .right_of(&h)
            .into_iter()
            .filter(|(v, _)| v.text != ":")
            .collect();
        let ws: Vec<(V, TokRef)> = {
            // The whole line after the label, all segments (subjects are long).
            let l = doc.line(h.pi, h.li);
            let from = ws.first().map_or(h.toks.end, |w| w.1.2);
            (from..l.toks.len())
                .map(|ti| (v_of(doc, (h.pi, h.li, ti)), (h.pi, h.li, ti)))
                .collect()
        };
        if let Some(t) = normalize::text(joined(&ws).trim_start_matches(':')) {
            let toks = ws.iter().map(|w| w.1).collect();
            out.push(cand("subject", Value::String(t), doc, toks, 1.0));
        }
    }

    webmail(doc, ctx, out);

    // Letter date: in the letter's head, before the subject or the salutation; dates in the
    // body are those of earlier letters and invoices.
    let body = doc
        .pages
        .first()
        .and_then(|p| p.lines.iter().position(|l| BODY_START.is_match(&l.fold)));
    let in_head = |pi: usize, li: usize| pi == 0 && body.is_none_or(|b| li < b);
    for (r, w) in LETTER_DATE.iter() {
        for h in doc.hits(r) {
            let ws = doc.right_of(&h);
            let vs: Vec<V> = ws.iter().map(|w| w.0.clone()).collect();
            if let Some(p) = values::parse(VK::Date, &vs) {
                let s = if in_head(h.pi, h.li) { *w } else { w * 0.4 };
                out.push(super::engine::cand_from("letter_date", p, &ws, s));
            }
        }
    }

    // A date alone on its line at the top of the letter.
    if let Some(p) = doc.pages.first() {
        for (li, l) in p.lines.iter().enumerate() {
            if l.y0 > p.height * 0.45 {
                break;
            }
            // Each segment on its own: an e-mail's date stands beside the sender.
            let l = doc.line(0, li);
            for start in (0..l.toks.len()).filter(|&i| i == 0 || l.toks[i].seg != l.toks[i - 1].seg)
            {
                let ws = seg_words(doc, 0, li, start);
                let vs: Vec<V> = ws.iter().map(|w| w.0.clone()).collect();
                if start > 0
                    && ws.len() <= 7
                    && in_head(0, li)
                    && let Some(d) = values::parse(VK::Date, &vs)
                    && d.range.start <= 1
                {
                    out.push(super::engine::cand_from("letter_date", d, &ws, 0.8));
                }
            }
            let ws = line_words(doc, 0, li, 0);
            let vs: Vec<V> = ws.iter().map(|w| w.0.clone()).collect();
            if ws.len() <= 5
                && in_head(0, li)
                && let Some(d) = values::parse(VK::Date, &vs)
                && d.range.start == 0
                && d.range.end == ws.len()
            {
                out.push(super::engine::cand_from("letter_date", d, &ws, 0.9));
            }
        }
    }
    references(doc, out);
    disputed(doc, out);
    sender(doc, ctx, out);
}

/// `1 message` under the title of a web mail's printout.
static MESSAGE_COUNT: LazyLock<Regex> = LazyLock::new(|| re(r"^\S{0,3}\s?messages?$"));

/// A web mail's printout has no `Objet :`: the title stands on the line above `1 message`,
/// and the sender (`Name <address>`) on the line below.
fn webmail(doc: &Doc<'_>, ctx: &Context<'_>, out: &mut Vec<Cand>) {
    let Some(p) = doc.pages.first() else { return };
    let Some(li) = p
        .lines
        .iter()
        .take(12)
        .position(|l| MESSAGE_COUNT.is_match(&l.fold))
    else {
        return;
    };
    if li > 0 {
        let ws = line_words(doc, 0, li - 1, 0);
        let text = joined(&ws);
        if let Some(t) = normalize::text(text.trim_matches(|c: char| !c.is_alphanumeric())) {
            let toks = ws.iter().map(|w| w.1).collect();
            out.push(cand("subject", Value::String(t), doc, toks, 0.95));
        }
    }
    if li + 1 < p.lines.len() {
        let ws: Vec<(V, TokRef)> = line_words(doc, 0, li + 1, 0)
            .into_iter()
            .take_while(|(v, _)| !v.text.contains(['<', '@']))
            .collect();
        name_pair(doc, &ws, ("last_name", "first_name"), 0.95, ctx, out);
    }
}

/// Invoice, file and statement numbers cited in the letter.
fn references(doc: &Doc<'_>, out: &mut Vec<Cand>) {
    let mut refs: Vec<String> = Vec::new();
    let mut toks = Vec::new();
    for (pi, p) in doc.pages.iter().enumerate() {
        for (li, l) in p.lines.iter().enumerate() {
            for ti in 0..l.toks.len() {
                // A number at the start of a line may follow its label at the end of the
                // line before (`la facture n°` / `33583999 (…)`).
                let before = match ti {
                    0 if li > 0 => p.lines[li - 1].fold.as_str(),
                    _ => &l.fold[..l.starts[ti]],
                };
                if !REF.is_match(before) || before.trim_end().ends_with("adherent") {
                    continue;
                }
                let ws = line_words(doc, pi, li, ti);
                let vs: Vec<V> = ws.iter().map(|w| w.0.clone()).collect();
                let mut parsed = values::parse(VK::Code, &vs[..vs.len().min(3)]);
                // `FAC26000685 de Clinique…`: a lower-case word glued on is not the number's.
                if let Some(p) = &parsed
                    && p.range.len() > 1
                    && vs[p.range.end - 1].text.chars().all(char::is_lowercase)
                {
                    parsed = values::parse(VK::Code, &vs[p.range.start..p.range.end - 1])
                        .filter(|q| q.range.start == 0)
                        .map(|mut q| {
                            q.range = p.range.start..p.range.end - 1;
                            q
                        });
                }
                if let Some(p) = parsed {
                    if p.range.start != 0 {
                        continue;
                    }
                    if let Some(s) = p.value.as_str() {
                        let s = s.trim_end_matches(['.', ',', ')', ';']).to_string();
                        let digits = s.chars().filter(char::is_ascii_digit).count();
                        if digits >= 4 && !refs.contains(&s) && normalize::date(&s).is_none() {
                            refs.push(s);
                            toks.extend(p.range.map(|i| ws[i].1));
                        }
                    }
                }
            }
        }
    }
    if !refs.is_empty() {
        let v = Value::Array(refs.into_iter().map(Value::String).collect());
        // The subject line often cites the same number: both fields may use its words.
        out.push(shared(cand("references", v, doc, toks, 0.8)));
    }
}

/// The amount the member disputes: cued by what is said before it, and repeated.
fn disputed(doc: &Doc<'_>, out: &mut Vec<Cand>) {
    let mut found: Vec<(String, f64, Vec<TokRef>)> = Vec::new();
    let mut prev_fold = String::new();
    for (pi, p) in doc.pages.iter().enumerate() {
        for (li, l) in p.lines.iter().enumerate() {
            for ti in 0..l.toks.len() {
                let ws = line_words(doc, pi, li, ti);
                let vs: Vec<V> = ws.iter().take(4).map(|w| w.0.clone()).collect();
                let Some(a) = values::parse(VK::Amount, &vs) else {
                    continue;
                };
                if a.range.start != 0 {
                    continue;
                }
                let before = format!("{prev_fold} {}", &l.fold[..l.starts[ti]]);
                let before = before.trim_end();
                let mut s = 0.5;
                if GOOD.is_match(before) {
                    s += 0.4;
                }
                if BAD.is_match(before) {
                    s -= 0.4;
                }
                let v = a.value.as_str().unwrap_or_default().to_string();
                found.push((v, s, a.range.map(|i| ws[i].1).collect()));
            }
            prev_fold = l.fold.clone();
        }
    }
    let mut by_value: BTreeMap<String, (f64, Vec<TokRef>)> = BTreeMap::new();
    for (v, s, t) in found {
        let e = by_value.entry(v).or_insert((0.0, t));
        e.0 = if e.0 == 0.0 { s } else { e.0.max(s) + 0.25 };
    }
    for (v, (s, t)) in by_value {
        if s > 0.3 {
            out.push(cand(
                "disputed_amount",
                Value::String(v),
                doc,
                t,
                s.min(1.0),
            ));
        }
    }
}

/// The sender's name: the `De :` of an e-mail, the first line of the letter head, or the
/// name signed under the closing formula.
fn sender(doc: &Doc<'_>, ctx: &Context<'_>, out: &mut Vec<Cand>) {
    let keys = ("last_name", "first_name");
    static DE: LazyLock<Regex> = LazyLock::new(|| re(r"^de\s*:"));
    for h in doc.hits(&DE) {
        let ws = doc.right_of(&h);
        name_pair(doc, &ws, keys, 0.85, ctx, out);
    }
    let Some(p) = doc.pages.first() else { return };
    for li in 0..p.lines.len().min(4) {
        let ws = seg_words(doc, 0, li, 0);
        if ws.len() <= 5 && name_pair(doc, &ws, keys, 0.9, ctx, out) {
            break;
        }
    }
    // Signature: the first name-like line after the closing formula.
    for (pi, p) in doc.pages.iter().enumerate() {
        let Some(ci) = p
            .lines
            .iter()
            .rposition(|l: &Line| CLOSING.is_match(&l.fold))
        else {
            continue;
        };
        for li in ci + 1..(ci + 5).min(p.lines.len()) {
            let ws = seg_words(doc, pi, li, 0);
            if ws.len() <= 5 && name_pair(doc, &ws, keys, 0.8, ctx, out) {
                break;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Amounts of invoices and quotes

static TOTAL_WORD: LazyLock<Regex> = LazyLock::new(|| re(r"\btota(l|ux)\b"));
static HEAD_SS: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(amo|secu|ro|obligatoire|s\.?s\.?|assurance maladie|remb\.? amo)\b"));
static HEAD_AMC: LazyLock<Regex> = LazyLock::new(|| re(r"\b(amc|mutuelle|complementaire|rc)\b"));
static HEAD_RAC: LazyLock<Regex> = LazyLock::new(|| re(r"\b(reste|patient|assure|charge)\b"));

/// The amounts of a line, in order, with their words.
fn line_amounts(doc: &Doc<'_>, pi: usize, li: usize, from: usize) -> Vec<(i64, Vec<TokRef>)> {
    let l = doc.line(pi, li);
    let mut out = Vec::new();
    let mut ti = from;
    while ti < l.toks.len() {
        let ws = line_words(doc, pi, li, ti);
        let vs: Vec<V> = ws.iter().take(4).map(|w| w.0.clone()).collect();
        if let Some(a) = values::parse(VK::Amount, &vs)
            && a.range.start == 0
            && let Some(c) = a
                .value
                .as_str()
                .and_then(|s| s.parse::<mailroom_domain::Amount>().ok())
        {
            out.push((c.cents(), a.range.clone().map(|i| ws[i].1).collect()));
            ti += a.range.end.max(1);
        } else {
            ti += 1;
        }
    }
    out
}

/// The field a column header above `x0..x1` names, if any.
fn column_of(doc: &Doc<'_>, pi: usize, li: usize, x0: f32, x1: f32) -> Option<&'static str> {
    let p = doc.pages[pi];
    for l in p.lines[..li].iter().rev().take(14) {
        for t in &l.toks {
            if t.x1 < x0 - 10.0 || t.x0 > x1 + 10.0 {
                continue;
            }
            if HEAD_RAC.is_match(&t.fold) {
                return Some("remaining_amount");
            }
            if HEAD_AMC.is_match(&t.fold) {
                return Some("complementary_amount");
            }
            if HEAD_SS.is_match(&t.fold) {
                return Some("social_security_amount");
            }
        }
    }
    None
}

/// A table's total row: the first amount is the sum of two or three that follow it (AMO,
/// AMC, reste à charge; a base column in between is skipped). The columns are named by the
/// headers above them when OCR read them, else by their usual order.
fn total_rows(doc: &Doc<'_>, out: &mut Vec<Cand>) {
    for (pi, p) in doc.pages.iter().enumerate() {
        for (li, l) in p.lines.iter().enumerate() {
            let Some(m) = TOTAL_WORD.find(&l.fold) else {
                continue;
            };
            let from = l.toks_in(m.start(), m.end()).end;
            let am = line_amounts(doc, pi, li, from);
            total_row(doc, pi, li, &am, 0.95, out);
        }
    }
}

/// A total row whose label OCR lost (`TOTAL` read as `roma.`): a line of amounts of which
/// at least two are each the sum of the amounts above them in their column (two rows or
/// more), the row's total being the sum of its parts as for a labelled one.
fn unlabelled_total_rows(doc: &Doc<'_>, out: &mut Vec<Cand>) {
    for (pi, p) in doc.pages.iter().enumerate() {
        for (li, l) in p.lines.iter().enumerate() {
            if TOTAL_WORD.is_match(&l.fold) {
                continue;
            }
            let am = line_amounts(doc, pi, li, 0);
            if am.len() < 3 {
                continue;
            }
            // `RSTAL`, `roma.`: a word before the amounts two letters from `total` (then one
            // row above is enough).
            let total_misread = l.toks.iter().take(3).any(|t| {
                let w: String = t.fold.chars().filter(char::is_ascii_alphabetic).collect();
                w.len() >= 4 && edit_distance(&w, "total") <= 2
            });
            let column_sum = |(cents, toks): &(i64, Vec<TokRef>)| -> bool {
                let r = toks[0];
                let t = &doc.line(r.0, r.1).toks[r.2];
                let (x0, x1) = (t.x0, t.x1);
                let mut above = Vec::new();
                for ul in (li.saturating_sub(12)..li).rev() {
                    for (c, ts) in line_amounts(doc, pi, ul, 0) {
                        let u = ts[0];
                        let ut = &doc.line(u.0, u.1).toks[u.2];
                        let xc = (ut.x0 + ut.x1) / 2.0;
                        if xc > x0 && xc < x1 {
                            above.push(c);
                        }
                    }
                }
                let rows = if total_misread { 1 } else { 2 };
                above.len() >= rows && above.iter().sum::<i64>() == *cents && *cents > 0
            };
            if am.iter().filter(|a| column_sum(a)).count() >= 2 {
                total_row(doc, pi, li, &am, 0.85, out);
            }
        }
    }
}

/// Levenshtein distance between two short words.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The amounts of a total row: the first that is the sum of two or three of the others is
/// the total, the others named by their column heads (or in the usual order).
fn total_row(
    doc: &Doc<'_>,
    pi: usize,
    li: usize,
    am: &[(i64, Vec<TokRef>)],
    score: f64,
    out: &mut Vec<Cand>,
) {
    if am.len() < 3 {
        return;
    }
    for t in 0..am.len() - 2 {
        let rest: Vec<usize> = (t + 1..am.len()).collect();
        for size in [3usize, 2] {
            for combo in combinations(&rest, size) {
                let sum: i64 = combo.iter().map(|&i| am[i].0).sum();
                if sum != am[t].0 || am[t].0 == 0 {
                    continue;
                }
                let named: Vec<Option<&'static str>> = combo
                    .iter()
                    .map(|&i| {
                        let r = am[i].1[0];
                        let tk = &doc.line(r.0, r.1).toks[r.2];
                        column_of(doc, pi, li, tk.x0, tk.x1)
                    })
                    .collect();
                let distinct: HashSet<_> = named.iter().flatten().collect();
                let keys: Vec<&'static str> =
                    if named.iter().all(Option::is_some) && distinct.len() == size {
                        named.into_iter().flatten().collect()
                    } else if size == 3 {
                        vec![
                            "social_security_amount",
                            "complementary_amount",
                            "remaining_amount",
                        ]
                    } else {
                        vec!["social_security_amount", "remaining_amount"]
                    };
                let amount =
                    |c: i64| Value::String(mailroom_domain::Amount::from_cents(c).to_normalized());
                out.push(cand(
                    "total_amount",
                    amount(am[t].0),
                    doc,
                    am[t].1.clone(),
                    score,
                ));
                for (k, &i) in keys.into_iter().zip(&combo) {
                    out.push(cand(k, amount(am[i].0), doc, am[i].1.clone(), score - 0.05));
                }
                return;
            }
        }
    }
}

/// A total row of an invoice with VAT (`Total facture  24,99  5,00  29,99`): the last and
/// largest amount is the sum of two before it (before tax + tax), and is the total paid.
fn vat_total_rows(doc: &Doc<'_>, out: &mut Vec<Cand>) {
    static TAX: LazyLock<Regex> = LazyLock::new(|| re(r"\b(tva|vat|mwst|ust|btw|ttc)\b"));
    for (pi, p) in doc.pages.iter().enumerate() {
        if !p.lines.iter().any(|l| TAX.is_match(&l.fold)) {
            continue;
        }
        for (li, l) in p.lines.iter().enumerate() {
            let Some(m) = TOTAL_WORD.find(&l.fold) else {
                continue;
            };
            let from = l.toks_in(m.start(), m.end()).end;
            let am = line_amounts(doc, pi, li, from);
            let Some((last, before)) = am.split_last() else {
                continue;
            };
            if before.len() < 2 || before.iter().any(|a| a.0 >= last.0) {
                continue;
            }
            let sums = (0..before.len())
                .any(|i| (i + 1..before.len()).any(|j| before[i].0 + before[j].0 == last.0));
            if sums {
                let v = Value::String(mailroom_domain::Amount::from_cents(last.0).to_normalized());
                out.push(cand("total_amount", v, doc, last.1.clone(), 1.1));
            }
        }
    }
}

/// The `k`-element subsets of `items`, in order.
fn combinations(items: &[usize], k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for (i, &x) in items.iter().enumerate() {
        for mut rest in combinations(&items[i + 1..], k - 1) {
            rest.insert(0, x);
            out.push(rest);
        }
    }
    out
}

/// The caption under each offer of a quote that prints several side by side, with the box
/// the patient ticks (`Offre choisie par le patient`, `Option retenue`).
static OFFER_CHOSEN: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(offre|option|proposition) (choisie|retenue)"));
/// `Option retenue : OPTION 3`, as a later page of a treatment plan repeats it.
static OPTION_NAMED: LazyLock<Regex> = LazyLock::new(|| re(r"option retenue\s*:?\s*option\s*(\d)"));

/// What OCR read in the box before an offer's caption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BoxRead {
    /// Nothing read: a ticked box is often dropped with its ink.
    Nothing,
    /// The outline of an empty box (`[]`, `[1`, `LJ`, `O`).
    Empty,
    /// A cross read as a glyph (`[X]`, `[%]`, `&`).
    Ticked,
}

fn box_read(text: &str) -> BoxRead {
    let t = text.trim();
    if t.chars()
        .any(|c| matches!(c, 'x' | 'X' | '%' | '&' | 'K' | 'M' | '*' | '#' | 'Ê' | '¥'))
    {
        BoxRead::Ticked
    } else {
        BoxRead::Empty
    }
}

/// The x-range (upright pixels) and place of the offer the patient chose, on a quote that
/// prints several: named on a later page (`Option retenue : OPTION 3` under `OPTION 1 2 3`
/// headers), or the only caption whose box is ticked, or the only one whose box OCR did not
/// read as an empty outline. `None` when the words cannot tell.
fn chosen_offer(doc: &Doc<'_>) -> Option<(usize, f32, f32, f32)> {
    for (pi, p) in doc.pages.iter().enumerate() {
        // Captions, each with its line and first word; a skewed scan may put them on lines of
        // their own, so those standing at about the same height are taken together.
        let mut caps: Vec<(usize, usize)> = Vec::new();
        for (li, l) in p.lines.iter().enumerate() {
            for m in OFFER_CHOSEN.find_iter(&l.fold) {
                caps.push((li, l.toks_in(m.start(), m.end()).start));
            }
        }
        let tok = |(li, ti): (usize, usize)| &p.lines[li].toks[ti];
        let Some(&first) = caps.first() else {
            continue;
        };
        let lh = p.lines[first.0].h();
        let y = tok(first).yc();
        // Offers of different lengths put their captions at different heights.
        caps.retain(|&c| (tok(c).yc() - y).abs() < (3.0 * lh).max(0.05 * p.height));
        if caps.len() < 2 {
            continue;
        }
        caps.sort_by(|a, b| tok(*a).x0.total_cmp(&tok(*b).x0));
        let reads: Vec<BoxRead> = caps
            .iter()
            .map(|&(li, ti)| {
                let t = &p.lines[li].toks[ti];
                match ti.checked_sub(1).map(|b| &p.lines[li].toks[b]) {
                    Some(b) if t.x0 - b.x1 < 2.5 * lh && b.text.chars().count() <= 3 => {
                        box_read(&b.text)
                    }
                    _ => BoxRead::Nothing,
                }
            })
            .collect();
        let named = doc
            .pages
            .iter()
            .flat_map(|q| &q.lines)
            .find_map(|x| OPTION_NAMED.captures(&x.fold))
            .and_then(|c| c.get(1)?.as_str().parse::<usize>().ok())
            .filter(|k| (1..=caps.len()).contains(k))
            .map(|k| k - 1);
        let only = |r: BoxRead| {
            let ix: Vec<usize> = (0..reads.len()).filter(|&i| reads[i] == r).collect();
            (ix.len() == 1).then(|| ix[0])
        };
        // The check boxes the OCR stage found: the one just left of each caption, on its row.
        let marks: Vec<Option<bool>> = caps
            .iter()
            .map(|&c| {
                let t = tok(c);
                p.marks
                    .iter()
                    .filter(|m| {
                        (m.at.yc() - t.yc()).abs() < 0.8 * lh.max(m.at.h())
                            && m.at.x1 <= t.x0 + 0.5 * lh
                            && t.x0 - m.at.x1 < 3.0 * lh
                    })
                    .min_by(|a, b| (t.x0 - a.at.x1).total_cmp(&(t.x0 - b.at.x1)))
                    .map(|m| m.ticked)
            })
            .collect();
        let by_mark = if marks.iter().all(Option::is_some) {
            let ticked: Vec<usize> = (0..marks.len())
                .filter(|&i| marks[i] == Some(true))
                .collect();
            (ticked.len() == 1).then(|| ticked[0])
        } else {
            None
        };
        let chosen = named
            .or(by_mark)
            .or_else(|| only(BoxRead::Ticked))
            .or_else(|| {
                let others_empty =
                    reads.iter().filter(|r| **r == BoxRead::Empty).count() == reads.len() - 1;
                only(BoxRead::Nothing).filter(|_| others_empty)
            })?;
        // Columns run from a little left of each caption to the next one.
        let xs: Vec<f32> = caps.iter().map(|&c| tok(c).x0 - 3.0 * lh).collect();
        let x0 = if chosen == 0 { 0.0 } else { xs[chosen] };
        let x1 = xs.get(chosen + 1).copied().unwrap_or(p.width + 1.0);
        let y1 = caps.iter().map(|&c| tok(c).y1).fold(f32::MIN, f32::max);
        return Some((pi, x0, x1, y1));
    }
    None
}

/// On a quote printing several offers side by side, the amounts of the offers the patient
/// did not choose are dropped: the chosen one's amounts are the document's.
pub fn keep_chosen_offer(doc: &Doc<'_>, cands: &mut [Cand]) {
    let Some((pi, x0, x1, y)) = chosen_offer(doc) else {
        return;
    };
    let p = doc.pages[pi];
    for c in cands.iter_mut() {
        if !AMOUNT_KEYS.contains(&c.key) {
            continue;
        }
        let Some(&(cpi, li, ti)) = c.toks.first() else {
            continue;
        };
        let t = &doc.line(cpi, li).toks[ti];
        let xc = (t.x0 + t.x1) / 2.0;
        if cpi == pi && t.y1 <= y && t.y0 > y - 0.45 * p.height && !(x0..x1).contains(&xc) {
            // Not a reading of this field at all: dropped (scores under 0 are never taken).
            c.score = -1.0;
        }
    }
}

const AMOUNT_KEYS: [&str; 4] = [
    "total_amount",
    "social_security_amount",
    "complementary_amount",
    "remaining_amount",
];

/// When no set of amounts adds up because OCR dropped one value, and the total and two
/// parts were read: the third is what remains, kept only when its label is printed and the
/// value itself stands somewhere on the document (a zero may be left blank). It is not
/// marked checked: nothing confirmed it beyond the sum.
pub fn derive_missing_amount(doc: &Doc<'_>, class: Class, cands: &mut Vec<Cand>) {
    if cands.iter().any(|c| c.checked) {
        return;
    }
    let cents = |c: &Cand| -> Option<i64> {
        c.value
            .as_str()
            .and_then(|s| s.parse::<mailroom_domain::Amount>().ok())
            .map(|a| a.cents())
    };
    let best = |k: &str| -> Option<i64> {
        cands
            .iter()
            .filter(|c| c.key == k && c.score > 0.0)
            .max_by(|a, b| a.score.total_cmp(&b.score))
            .and_then(cents)
    };
    let Some(total) = best("total_amount") else {
        return;
    };
    let parts = &AMOUNT_KEYS[1..];
    // The first place a part's label is printed, if it is.
    let label_of = |k: &str| {
        super::rules::rules(class)
            .iter()
            .find(|r| r.key == k)
            .and_then(|r| {
                r.labels
                    .iter()
                    .find_map(|l| doc.hits(&l.re).into_iter().next())
            })
    };
    // Parts read, and parts printed without a value read (at most one may be).
    let mut sum = 0;
    let mut missing = None;
    for k in parts {
        match best(k) {
            Some(v) => sum += v,
            None => {
                if let Some(h) = label_of(k) {
                    if missing.is_some() {
                        return;
                    }
                    missing = Some((*k, h));
                }
            }
        }
    }
    let Some((key, label)) = missing else {
        return;
    };
    let v = total - sum;
    if v < 0 || v == total {
        return;
    }
    let mut printed: Option<Vec<TokRef>> = None;
    'search: for (pi, p) in doc.pages.iter().enumerate() {
        for li in 0..p.lines.len() {
            for (c, toks) in line_amounts(doc, pi, li, 0) {
                if c == v {
                    printed = Some(toks);
                    break 'search;
                }
            }
        }
    }
    let toks = match printed {
        Some(t) => t,
        None if v == 0 => label
            .toks
            .clone()
            .map(|ti| (label.pi, label.li, ti))
            .collect(),
        None => return,
    };
    let value = Value::String(mailroom_domain::Amount::from_cents(v).to_normalized());
    let mut c = shared(cand(key, value, doc, toks, 0.5));
    c.doubt = true;
    cands.push(c);
}

/// Digits OCR confuses with each other in amounts (`0,00` read `6,00`, `17,40` read `77,40`).
fn confusable(c: char) -> &'static [char] {
    match c {
        '0' => &['6', '8', '9'],
        '6' => &['0', '5', '8'],
        '8' => &['0', '3', '6', '9'],
        '9' => &['0', '8'],
        '1' => &['7'],
        '7' => &['1'],
        '3' => &['8'],
        '5' => &['6'],
        _ => &[],
    }
}

/// Other readings of the best amount of each key, one digit swapped for one OCR confuses it
/// with. Weighed far under what was read: [`amounts_that_add_up`] takes one only when the
/// amounts as read do not add up and it makes them; a clerk still checks it (it stays in
/// doubt, its reading as printed being the stronger).
pub fn confusable_amounts(cands: &mut Vec<Cand>) {
    let mut extra = Vec::new();
    for k in AMOUNT_KEYS {
        let Some(best) = cands
            .iter()
            .filter(|c| c.key == k && c.score > 0.0)
            .max_by(|a, b| a.score.total_cmp(&b.score))
        else {
            continue;
        };
        let Some(v) = best.value.as_str() else {
            continue;
        };
        let chars: Vec<char> = v.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            for &d in confusable(c) {
                let mut w = chars.clone();
                w[i] = d;
                let s: String = w.into_iter().collect();
                // No leading zero made or lost (`06.00`).
                if s.starts_with('0') && !s.starts_with("0.") {
                    continue;
                }
                let mut alt = best.clone();
                alt.value = Value::String(s);
                alt.score *= 0.4;
                alt.repaired = true;
                alt.doubt = true;
                extra.push(alt);
            }
        }
    }
    cands.extend(extra);
}

/// A reading made by [`confusable_amounts`] (read again, and in doubt from the start).
fn swapped(c: &Cand) -> bool {
    c.repaired && c.doubt
}

/// Chooses the four amounts together: among the best few candidates of each, the
/// combination where total = AMO + AMC + reste à charge is preferred, and its candidates
/// are promoted above any other.
pub fn amounts_that_add_up(cands: &mut [Cand], quote: bool) {
    // A quote often prints two offers side by side (the 100 % Santé one and the one chosen
    // by a ticked box): any other reading of an amount puts the choice in doubt.
    let rival_share = if quote { 0.5 } else { 0.85 };
    const KEYS: [&str; 4] = AMOUNT_KEYS;
    let cents = |c: &Cand| -> Option<i64> {
        c.value
            .as_str()
            .and_then(|s| s.parse::<mailroom_domain::Amount>().ok())
            .map(|a| a.cents())
    };
    // Per key, the best candidate index of each distinct value, best first (at most 4).
    let mut per: Vec<Vec<usize>> = Vec::new();
    for k in KEYS {
        let mut ix: Vec<usize> = (0..cands.len())
            .filter(|&i| cands[i].key == k && cands[i].score > 0.0)
            .collect();
        ix.sort_by(|&a, &b| cands[b].score.total_cmp(&cands[a].score));
        let mut seen = HashSet::new();
        ix.retain(|&i| seen.insert(cents(&cands[i])));
        // The four best readings, and every figure read again (all equally weak: cutting
        // them at four would keep the ones of the first digits only).
        let mut read = 0;
        ix.retain(|&i| {
            if swapped(&cands[i]) {
                return true;
            }
            read += 1;
            read <= 4
        });
        per.push(ix);
    }
    let opt = |v: &Vec<usize>| -> Vec<Option<usize>> {
        std::iter::once(None)
            .chain(v.iter().map(|&i| Some(i)))
            .collect()
    };
    // Every combination that adds up, with its score.
    let mut sums: Vec<(f64, [Option<usize>; 4])> = Vec::new();
    for &t in &per[0] {
        for s in opt(&per[1]) {
            for c in opt(&per[2]) {
                for r in opt(&per[3]) {
                    let get = |o: Option<usize>| o.map_or(Some(0), |i| cents(&cands[i]));
                    let (Some(tv), Some(sv), Some(cv), Some(rv)) =
                        (cents(&cands[t]), get(s), get(c), get(r))
                    else {
                        continue;
                    };
                    if s.is_none() || r.is_none() || tv != sv + cv + rv {
                        continue;
                    }
                    // At most one figure read again per set.
                    let mended = [Some(t), s, c, r]
                        .iter()
                        .flatten()
                        .filter(|&&i| swapped(&cands[i]))
                        .count();
                    if mended > 1 {
                        continue;
                    }
                    let score: f64 = [Some(t), s, c, r]
                        .iter()
                        .flatten()
                        .map(|&i| cands[i].score)
                        .sum();
                    sums.push((score, [Some(t), s, c, r]));
                }
            }
        }
    }
    sums.sort_by(|a, b| b.0.total_cmp(&a.0));
    // Sets that add up only with a figure read again: taken only when one is alone in doing
    // so (`67,16` read for `67,76` and `45,15` for `45,75` would both close the sum).
    let is_mended =
        |combo: &[Option<usize>; 4]| combo.iter().flatten().any(|&i| swapped(&cands[i]));
    let values = |combo: &[Option<usize>; 4]| -> Vec<Option<i64>> {
        combo
            .iter()
            .map(|o| o.and_then(|i| cents(&cands[i])))
            .collect()
    };
    let mended_sets: Vec<Vec<Option<i64>>> = sums
        .iter()
        .filter(|(_, c)| is_mended(c))
        .map(|(_, c)| values(c))
        .collect();
    if mended_sets.iter().any(|v| *v != mended_sets[0]) {
        sums.retain(|(_, c)| !is_mended(c));
    }
    if let Some((best, chosen)) = sums.first().copied() {
        // Another set of amounts that adds up too, with a different total (two offers of a
        // quote side by side): the choice is in doubt.
        let total = chosen[0].and_then(|i| cents(&cands[i]));
        let rival = sums.iter().skip(1).any(|(s, combo)| {
            *s >= 0.85 * best && combo[0].and_then(|i| cents(&cands[i])) != total
        });
        // A field of the chosen set with a rival reading nearly as strong on its own.
        for i in chosen.into_iter().flatten() {
            let (key, v, sc) = (cands[i].key, cents(&cands[i]), cands[i].score);
            let contested = cands
                .iter()
                .any(|o| o.key == key && cents(o) != v && o.score >= rival_share * sc);
            cands[i].doubt |= contested;
        }
        // A set that adds up only with a figure read again: none of it is confirmed enough
        // for a clerk to skip.
        let mended = chosen.into_iter().flatten().any(|i| cands[i].repaired);
        for i in chosen.into_iter().flatten() {
            cands[i].score += 2.0;
            cands[i].checked = true;
            cands[i].doubt |= rival || mended;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        for p in [
            &*CIVILITY,
            &*NOT_A_NAME,
            &*PROVIDER,
            &*PROVIDER_START,
            &*TITLE,
            &*NOT_PROVIDER,
            &*PAID_TRUE,
            &*PAID_FALSE,
            &*M_LAST,
            &*M_FIRST,
            &*M_ADDR,
            &*M_CITY,
            &*M_PLAN,
            &*SIGNATURE,
            &*DEPENDANTS,
            &*ESCALATION,
            &*OBJET,
            &*REF,
            &*CLOSING,
            &*BODY_START,
            &*GOOD,
            &*BAD,
            &*OFFER_CHOSEN,
            &*MESSAGE_COUNT,
            &*OPTION_NAMED,
        ] {
            assert_ne!(p.as_str(), r"[^\s\S]");
        }
        for (_, r) in CARE.iter() {
            assert_ne!(r.as_str(), r"[^\s\S]");
        }
    }

    #[test]
    fn escalation_mentions() {
        for s in [
            "je saisirai le mediateur de la mutualite francaise",
            "la recommandation 2022-r-01 de l'acpr",
            "je vous mets en demeure de",
            "devant le tribunal judiciaire",
            "une copie est adressee a mon avocat",
        ] {
            assert!(ESCALATION.is_match(s), "{s}");
        }
        assert!(!ESCALATION.is_match("je vous prie d'agreer mes salutations"));
    }
}
