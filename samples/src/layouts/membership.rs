//! Membership forms (bulletins / demandes d'adhésion) of a mutuelle santé.
//!
//! Six designs, each a different piece of paper: the insurer's form with comb boxes, a two-page
//! form whose second sheet is the SEPA mandate, a compact form of dotted lines, a two-column
//! form with shaded numbered sections, a collective or senior offer built around a table of
//! guarantees, and the printed summary of an online application signed by hand.
//!
//! The member fills in their own values: typed (forms filled on screen then printed), in
//! capitals one letter per cell, or in a handwriting face on about a quarter of the forms.

use super::Ctx;
use crate::doc::{BoxMm, Doc, DocBuilder, Rng};
use crate::fonts::{self, Font};
use crate::values::{self, DateStyle, Mutuelle, Person, Sex};
use mailroom_domain::{Amount, Class, check, normalize};
use rand::Rng as _;
use serde_json::{Value, json};
use time::{Date, Duration};

/// The designs, in the order `render_variant` knows them.
const LAYOUTS: [&str; 6] = [
    "comb-boxes",
    "two-page-sepa",
    "compact-dotted",
    "two-columns",
    "garanties-table",
    "online-recap",
];

/// Picks one design at random and draws a membership form for `ctx.member`.
pub fn render(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let v = rng.random_range(0..LAYOUTS.len());
    render_variant(rng, ctx, v)
}

fn render_variant(rng: &mut Rng, ctx: &Ctx, variant: usize) -> Doc {
    let f = Form::new(rng, ctx);
    match variant {
        0 => comb_boxes(rng, &f),
        1 => two_page_sepa(rng, &f),
        2 => compact_dotted(rng, &f),
        3 => two_columns(rng, &f),
        4 => garanties_table(rng, &f),
        _ => online_recap(rng, &f),
    }
}

// ---------------------------------------------------------------------------------------------
// What one filled-in form says, whatever its design

struct Form<'a> {
    m: &'a Mutuelle,
    p: &'a Person,
    street: &'a str,
    complement: Option<&'a str>,
    cp: &'a str,
    city: &'a str,
    /// `None` when the member left it empty.
    email: Option<&'a str>,
    phone: Option<&'a str>,
    iban: &'a str,
    bic: &'a str,
    bank: &'static str,
    deps: &'a [Person],
    plan: usize,
    /// Monthly contribution of each plan, in the order of `m.plans`.
    prices: Vec<Amount>,
    sig: Date,
    eff: Date,
    signed: bool,
    /// "Fait à …"
    place: String,
    form_ref: String,
    siren: String,
    ics: String,
    footer_style: u8,
    received: Date,
}

impl<'a> Form<'a> {
    fn new(rng: &mut Rng, ctx: &Ctx<'a>) -> Form<'a> {
        let mb = ctx.member;
        let m = ctx.mutuelle;
        let sig = values::date_before(rng, ctx.received, 0, 20);
        let eff = values::first_of_next_month(sig, if rng.random_bool(0.65) { 1 } else { 2 });
        let missing = rng.random_range(0..20);
        let mut prices = Vec::with_capacity(m.plans.len());
        let mut price = values::euros(rng, 18.0, 42.0);
        for plan in m.plans {
            // Hospital-only and young workers' plans are the cheap ones, whatever their rank.
            if plan.contains("Hospi") {
                prices.push(values::euros(rng, 9.0, 17.0));
            } else if plan.contains("Jeunes") {
                prices.push(values::euros(rng, 14.0, 26.0));
            } else {
                prices.push(price);
                price = price + values::euros(rng, 7.0, 24.0);
            }
        }
        let place = if rng.random_bool(0.9) {
            mb.address.city.clone()
        } else {
            values::pick(rng, values::CITIES).1.to_string()
        };
        let edition = sig - Duration::days(rng.random_range(40..700));
        let (ey, em) = (edition.year(), u8::from(edition.month()));
        let form_ref = match rng.random_range(0..5) {
            0 => format!("BA-{ey}-{em:02}"),
            1 => format!(
                "IMP-ADH-{:03} v{}",
                rng.random_range(10..400),
                rng.random_range(2..9)
            ),
            2 => format!("DA/IND/{:02}{em:02}", ey % 100),
            3 => format!("Mod. {} - {em:02}/{ey}", rng.random_range(1000..9000)),
            _ => format!(
                "BA-{ey}-{em:02}-{}",
                one(rng, &["IND", "FAM", "TNS", "SEN"])
            ),
        };
        Form {
            m,
            p: &mb.person,
            street: &mb.address.street,
            complement: mb.address.complement.as_deref(),
            cp: &mb.address.postal_code,
            city: &mb.address.city,
            email: (missing != 1).then_some(mb.email.as_str()),
            phone: (missing != 0).then_some(mb.phone.as_str()),
            iban: &mb.bank.iban,
            bic: &mb.bank.bic,
            bank: mb.bank.name,
            deps: &mb.dependants,
            plan: rng.random_range(0..m.plans.len()),
            prices,
            sig,
            eff,
            signed: rng.random_bool(0.92),
            place,
            form_ref,
            siren: siren_of(m.name),
            ics: ics_of(m.name),
            footer_style: rng.random_range(0..3),
            received: ctx.received,
        }
    }

    fn plan_name(&self) -> &'static str {
        self.m.plans[self.plan]
    }

    fn age(&self) -> i32 {
        self.received.year() - self.p.birth_date.year()
    }
}

/// A stable number for a name (FNV-1a), so that one mutuelle keeps its SIREN and ICS.
fn name_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The mutuelle's SIREN (Luhn-valid), printed `775 123 456`.
fn siren_of(name: &str) -> String {
    let body = format!("{}", 77_500_000 + name_hash(name) % 400_000);
    let s = format!("{body}{}", check::luhn_check_digit(&body));
    format!("{} {} {}", &s[0..3], &s[3..6], &s[6..9])
}

/// The mutuelle's SEPA creditor identifier.
fn ics_of(name: &str) -> String {
    let h = name_hash(name);
    format!("FR{:02}ZZZ{:06}", 10 + h % 89, (h >> 16) % 1_000_000)
}

/// `dpo@sante-horizon.fr` from "Mutuelle Santé Horizon".
fn web_domain(name: &str) -> String {
    let folded = normalize::fold_text(name);
    let words: Vec<&str> = folded
        .split_whitespace()
        .filter(|w| !["mutuelle", "des", "de", "la", "du", "le"].contains(w))
        .collect();
    format!("{}.fr", words.join("-"))
}

// ---------------------------------------------------------------------------------------------
// How the member writes

/// The hand (or keyboard) that fills the form in.
#[derive(Clone, Copy)]
struct Pen {
    font: Font,
    size: f32,
    hand: bool,
    caps: bool,
}

impl Pen {
    /// Handwriting on about a quarter of the forms, else typed in one of `typed`.
    fn pick(rng: &mut Rng, typed: &[Font]) -> Pen {
        if rng.random_bool(0.25) {
            Pen {
                font: Font::Hand,
                size: rng.random_range(12.0..14.0),
                hand: true,
                caps: rng.random_bool(0.35),
            }
        } else {
            Pen {
                font: *values::pick(rng, typed),
                size: rng.random_range(9.5..11.0),
                hand: false,
                caps: false,
            }
        }
    }

    fn typed(font: Font, size: f32) -> Pen {
        Pen {
            font,
            size,
            hand: false,
            caps: false,
        }
    }

    /// How the member writes a name or a place.
    fn t(&self, s: &str) -> String {
        if self.caps {
            s.to_uppercase()
        } else {
            s.to_string()
        }
    }

    /// The same hand in a table cell.
    fn small(self) -> Pen {
        Pen {
            size: if self.hand {
                self.size.min(12.0)
            } else {
                self.size.min(9.5)
            },
            ..self
        }
    }
}

/// One of these wordings.
fn one(rng: &mut Rng, xs: &[&'static str]) -> &'static str {
    xs[rng.random_range(0..xs.len())]
}

/// A date style people write by hand or type in a form.
fn written_style(rng: &mut Rng) -> DateStyle {
    *values::pick(
        rng,
        &[
            DateStyle::Slash,
            DateStyle::Slash,
            DateStyle::Slash,
            DateStyle::SlashShort,
            DateStyle::DotShort,
            DateStyle::Dash,
        ],
    )
}

/// Writes `text` at (x, y), shrinking it to `max_w` when it can; handwriting wanders a little.
#[allow(clippy::too_many_arguments)]
fn write(
    b: &mut DocBuilder,
    rng: &mut Rng,
    pen: Pen,
    x: f32,
    y: f32,
    max_w: f32,
    text: &str,
) -> BoxMm {
    let min = if pen.hand { 10.0 } else { 8.5 };
    write_fit(b, rng, pen, x, y, max_w, text, min)
}

/// [`write`] that may shrink down to `min` points (table cells that are not fields).
#[allow(clippy::too_many_arguments)]
fn write_fit(
    b: &mut DocBuilder,
    rng: &mut Rng,
    pen: Pen,
    x: f32,
    y: f32,
    max_w: f32,
    text: &str,
    min: f32,
) -> BoxMm {
    let mut size = pen.size;
    while size > min && fonts::width_mm(pen.font, size, text) > max_w {
        size -= 0.25;
    }
    let (dx, dy) = if pen.hand {
        (rng.random_range(0.0..1.2), rng.random_range(-0.5..0.3))
    } else {
        (0.0, 0.0)
    };
    b.text(x + dx, y + dy, pen.font, size, text)
}

/// [`write`] a field value: sets its truth and marks it.
#[allow(clippy::too_many_arguments)]
fn put(
    b: &mut DocBuilder,
    rng: &mut Rng,
    pen: Pen,
    x: f32,
    y: f32,
    max_w: f32,
    key: &str,
    value: impl Into<Value>,
    printed: &str,
) -> BoxMm {
    let bx = write(b, rng, pen, x, y, max_w, printed);
    b.set_field(key, value);
    b.mark(key, printed, bx);
    bx
}

/// One member value as this form prints it: the printed text and the truth value.
#[derive(Clone)]
struct Val {
    key: &'static str,
    printed: String,
    value: Value,
}

impl Val {
    fn text(key: &'static str, printed: String) -> Val {
        Val {
            key,
            value: Value::String(printed.clone()),
            printed,
        }
    }
    fn norm(key: &'static str, printed: String, value: String) -> Val {
        Val {
            key,
            printed,
            value: Value::String(value),
        }
    }
}

/// The member's values as written with `pen` and dates in `ds`.
struct Vals {
    last: Val,
    first: Val,
    birth: Val,
    nir: Val,
    street: Val,
    cp: Val,
    city: Val,
    email: Option<Val>,
    phone: Option<Val>,
    iban: Val,
    bic: Val,
    eff: Val,
    sig: Val,
}

fn vals(rng: &mut Rng, f: &Form, pen: Pen, ds: DateStyle) -> Vals {
    let p = f.p;
    let city = if pen.caps || rng.random_bool(0.3) {
        f.city.to_uppercase()
    } else {
        f.city.to_string()
    };
    Vals {
        last: Val::text("last_name", p.last_name.clone()),
        first: Val::text("first_name", pen.t(&p.first_name)),
        birth: Val::norm(
            "birth_date",
            values::fmt_date(p.birth_date, ds),
            values::iso(p.birth_date),
        ),
        nir: Val::norm(
            "nir",
            values::fmt_nir(&p.nir, rng.random_bool(0.7)),
            p.nir.clone(),
        ),
        street: Val::text("address", pen.t(f.street)),
        cp: Val::text("postal_code", f.cp.to_string()),
        city: Val::text("city", city),
        email: f.email.map(|e| Val::text("email", e.to_string())),
        phone: f
            .phone
            .map(|ph| Val::norm("phone", values::fmt_phone(rng, ph), ph.to_string())),
        iban: Val::norm("iban", values::fmt_iban(f.iban), f.iban.to_string()),
        bic: Val::text("bic", f.bic.to_string()),
        eff: Val::norm(
            "effective_date",
            values::fmt_date(f.eff, ds),
            values::iso(f.eff),
        ),
        sig: Val::norm(
            "signature_date",
            values::fmt_date(f.sig, ds),
            values::iso(f.sig),
        ),
    }
}

/// [`put`] a [`Val`].
#[allow(clippy::too_many_arguments)]
fn put_val(
    b: &mut DocBuilder,
    rng: &mut Rng,
    pen: Pen,
    x: f32,
    y: f32,
    max_w: f32,
    v: &Val,
) -> BoxMm {
    put(b, rng, pen, x, y, max_w, v.key, v.value.clone(), &v.printed)
}

// ---------------------------------------------------------------------------------------------
// Printed furniture shared by the designs

/// The insurer's logo: a light filled block with its name, on one or two lines, and an emblem.
/// (The rasteriser only darkens, so there is no white-on-dark text.)
#[allow(clippy::too_many_arguments)]
fn logo_block(
    b: &mut DocBuilder,
    x: f32,
    y: f32,
    w: f32,
    h: f32,
    name: &str,
    gray: u8,
    font: Font,
) {
    b.fill(x, y, w, h, gray);
    let mut size = 12.0;
    while size > 8.5 && fonts::width_mm(font, size, name) > w - 11.0 {
        size -= 0.5;
    }
    if fonts::width_mm(font, size, name) <= w - 11.0 {
        b.text(x + 3.0, y + h / 2.0 + size * 0.13, font, size, name);
    } else {
        let words: Vec<&str> = name.split(' ').collect();
        let cut = words.len() / 2;
        let size = 10.5;
        b.text(
            x + 3.0,
            y + h / 2.0 - 1.0,
            font,
            size,
            &words[..cut].join(" "),
        );
        b.text(
            x + 3.0,
            y + h / 2.0 + 3.8,
            font,
            size,
            &words[cut..].join(" "),
        );
    }
    // A small emblem: three bars.
    for i in 0..3 {
        b.fill(x + w - 5.5, y + 2.5 + i as f32 * 2.2, 3.0, 1.2, 40);
    }
}

/// A section title in one of three styles; returns the y below it.
fn section(b: &mut DocBuilder, x: f32, y: f32, w: f32, title: &str, font: Font, style: u8) -> f32 {
    match style {
        0 => {
            b.fill(x, y, w, 6.0, 215);
            b.text(x + 1.5, y + 4.3, font, 9.5, title);
        }
        1 => {
            b.fill(x, y, w, 6.0, 175);
            b.rect(x, y, w, 6.0, 0.35);
            b.text(x + 1.5, y + 4.3, font, 9.5, title);
        }
        _ => {
            b.text(x, y + 4.3, font, 10.0, title);
            b.line(x, y + 5.6, x + w, y + 5.6, 0.45);
        }
    }
    y + 6.0
}

/// A dotted guide line (for writing on).
fn dots(b: &mut DocBuilder, x0: f32, x1: f32, y: f32) {
    let mut x = x0;
    while x < x1 {
        b.line(x, y, (x + 0.35).min(x1), y, 0.2);
        x += 1.1;
    }
}

/// Paragraphs of small print; returns the baseline after the last.
fn small_print(
    b: &mut DocBuilder,
    x: f32,
    y: f32,
    w: f32,
    font: Font,
    size: f32,
    paras: &[String],
) -> f32 {
    let leading = size * 0.42;
    let mut y = y;
    for p in paras {
        y = b.paragraph(x, y, w, font, size, leading, p) + leading * 0.35;
    }
    y
}

fn rgpd(rng: &mut Rng, m: &Mutuelle) -> String {
    let dom = web_domain(m.name);
    match rng.random_range(0..3) {
        0 => format!(
            "Les informations recueillies sont nécessaires à la gestion de votre adhésion et de vos prestations. Elles sont destinées à {}, responsable du traitement, et pourront être communiquées à ses sous-traitants et partenaires dans la limite de leurs attributions. Conformément au Règlement général sur la protection des données (RGPD) et à la loi Informatique et Libertés modifiée, vous disposez d'un droit d'accès, de rectification, d'effacement, de limitation et de portabilité de vos données, ainsi que d'un droit d'opposition, en écrivant au Délégué à la protection des données, {}, {}.",
            m.name, m.address, m.city_line
        ),
        1 => format!(
            "Protection des données personnelles : {} traite vos données, y compris les données de santé nécessaires au remboursement de vos frais, pour la passation, la gestion et l'exécution de votre contrat. Elles sont conservées pendant la durée de l'adhésion augmentée des délais de prescription. Vous pouvez exercer vos droits (art. 15 à 22 du RGPD) auprès de notre DPO : dpo@{dom}, et introduire une réclamation auprès de la CNIL.",
            m.name
        ),
        _ => format!(
            "RGPD - Vos données sont traitées par {} pour gérer votre adhésion, dans le respect du Règlement (UE) 2016/679. Vous disposez d'un droit d'accès, de rectification et d'opposition : dpo@{dom} ou par courrier au siège de la mutuelle.",
            m.name
        ),
    }
}

fn renonciation(rng: &mut Rng, m: &Mutuelle) -> String {
    match rng.random_range(0..3) {
        0 => format!(
            "Droit de renonciation : en cas d'adhésion à distance ou à la suite d'un démarchage, vous disposez d'un délai de 14 jours calendaires révolus à compter de la signature du présent bulletin pour y renoncer, par lettre recommandée avec avis de réception adressée à {}, {}, {}. Les cotisations versées vous seront remboursées dans un délai de 30 jours.",
            m.name, m.address, m.city_line
        ),
        1 => "Vous pouvez renoncer à votre adhésion dans un délai de 14 jours à compter de sa signature (article L221-18 du Code de la mutualité), au moyen du modèle de lettre figurant dans la notice d'information.".to_string(),
        _ => "Faculté de renonciation : 14 jours calendaires révolus à compter de la date de signature, par lettre recommandée avec AR. La garantie ne prend effet qu'après réception du bulletin complet et signé.".to_string(),
    }
}

fn certify(rng: &mut Rng) -> &'static str {
    one(
        rng,
        &[
            "Je certifie l'exactitude des renseignements ci-dessus et reconnais avoir reçu un exemplaire des statuts, du règlement mutualiste et du tableau des garanties.",
            "Je certifie sur l'honneur l'exactitude des renseignements ci-dessus. Toute réticence ou fausse déclaration intentionnelle entraîne la nullité de l'adhésion (art. L221-14 du Code de la mutualité).",
            "Je soussigné(e) certifie l'exactitude des renseignements ci-dessus et demande mon adhésion à la formule indiquée, dont j'ai pris connaissance des conditions.",
        ],
    )
}

/// The page footer: the mutuelle and the legal phrase, the form reference and the page.
fn footer(b: &mut DocBuilder, f: &Form, font: Font, page: usize, pages: usize) {
    let y = 287.0;
    let left = match f.footer_style {
        0 => format!(
            "{} - Mutuelle régie par le livre II du Code de la mutualité - SIREN {}",
            f.m.name, f.siren
        ),
        1 => format!(
            "{} · Mutuelle régie par le livre II du Code de la mutualité, immatriculée au répertoire SIRENE sous le n° {} · {}, {}",
            f.m.name, f.siren, f.m.address, f.m.city_line
        ),
        _ => format!(
            "Mutuelle régie par le livre II du Code de la mutualité - {} - {} {}",
            f.m.name, f.m.address, f.m.city_line
        ),
    };
    let lines = crate::doc::wrap(font, 6.5, 140.0, &left);
    let top = y + 1.5 - (lines.len() as f32 - 1.0) * 2.8;
    let top = top.min(y);
    b.line(15.0, top - 3.5, 195.0, top - 3.5, 0.2);
    b.paragraph(15.0, top, 140.0, font, 6.5, 2.8, &left);
    let right = if pages > 1 {
        format!("{} - {page}/{pages}", f.form_ref)
    } else {
        f.form_ref.clone()
    };
    b.text_right(195.0, y, font, 7.0, &right);
}

/// The signature box; draws the signature when signed, sets and marks `signed`.
#[allow(clippy::too_many_arguments)]
fn signature_box(
    b: &mut DocBuilder,
    rng: &mut Rng,
    f: &Form,
    x: f32,
    y: f32,
    w: f32,
    h: f32,
    label: &str,
    font: Font,
) {
    b.rect(x, y, w, h, 0.3);
    let lines = crate::doc::wrap(font, 7.5, w - 3.0, label);
    for (i, l) in lines.iter().enumerate() {
        b.text(x + 1.5, y + 3.3 + i as f32 * 3.1, font, 7.5, l);
    }
    let top = y + 3.3 + lines.len() as f32 * 3.1;
    if f.signed {
        if rng.random_bool(0.4) {
            let ap = one(
                rng,
                &["Lu et approuvé", "Bon pour adhésion", "lu et approuvé"],
            );
            b.text(
                x + 3.0 + rng.random_range(0.0..4.0),
                top + 4.0,
                Font::Hand,
                12.0,
                ap,
            );
            b.signature(
                rng,
                x + w * 0.25,
                top + 4.5,
                w * 0.6,
                (y + h - top - 6.0).max(8.0),
            );
        } else {
            b.signature(
                rng,
                x + w * 0.15,
                top + 1.0,
                w * 0.7,
                (y + h - top - 3.0).max(8.0),
            );
        }
    }
    b.set_field("signed", f.signed);
    b.mark(
        "signed",
        lines.first().map_or("", |s| s.as_str()),
        [x, y, x + w, y + h],
    );
}

/// Characters one per cell in consecutive groups of cells (`gap` mm between groups); returns
/// the box of the written characters and the x after the last group. `text` is consumed one
/// character per cell, spaces leave a cell empty.
#[allow(clippy::too_many_arguments)]
fn comb_groups(
    b: &mut DocBuilder,
    x: f32,
    y_top: f32,
    cw: f32,
    ch: f32,
    groups: &[usize],
    gap: f32,
    pen: Pen,
    text: &str,
) -> (BoxMm, f32) {
    let chars: Vec<char> = text.chars().collect();
    let mut bbox = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
    let mut x = x;
    let mut k = 0;
    for &n in groups {
        let part: String = chars.iter().skip(k).take(n).collect();
        k += n;
        let bx = b.comb(x, y_top, cw, ch, n, pen.font, pen.size, &part);
        if !part.trim().is_empty() {
            bbox = [
                bbox[0].min(bx[0]),
                bbox[1].min(bx[1]),
                bbox[2].max(bx[2]),
                bbox[3].max(bx[3]),
            ];
        }
        x += n as f32 * cw + gap;
    }
    if bbox[0] == f32::MAX {
        bbox = [x, y_top, x, y_top + ch];
    }
    (bbox, x - gap)
}

/// A comb field: one capital per cell when it fits, else written across the cells as people
/// do when the boxes are too few. Sets and marks the value.
#[allow(clippy::too_many_arguments)]
fn comb_val(
    b: &mut DocBuilder,
    pen: Pen,
    x: f32,
    y_top: f32,
    cw: f32,
    ch: f32,
    cells: usize,
    v: &Val,
) -> BoxMm {
    let bx = comb_fit(b, pen, x, y_top, cw, ch, cells, &v.printed);
    b.set_field(v.key, v.value.clone());
    b.mark(v.key, &v.printed, bx);
    bx
}

/// One character per cell over the width of `cells` cells of `cw` mm; when `text` is longer,
/// the form has more, narrower cells there (and the writing is smaller), as on forms that
/// reserve a long comb for the address.
#[allow(clippy::too_many_arguments)]
fn comb_fit(
    b: &mut DocBuilder,
    pen: Pen,
    x: f32,
    y_top: f32,
    cw: f32,
    ch: f32,
    cells: usize,
    text: &str,
) -> BoxMm {
    let n = text.chars().count();
    if n <= cells {
        return comb_groups(b, x, y_top, cw, ch, &[cells], 0.0, pen, text).0;
    }
    let narrow = cw * cells as f32 / n as f32;
    let pen = Pen {
        size: pen.size * (narrow / cw).max(0.7),
        ..pen
    };
    comb_groups(b, x, y_top, narrow, ch, &[n], 0.0, pen, text).0
}

/// A date in three comb groups `JJ MM AAAA` with printed slashes between.
#[allow(clippy::too_many_arguments)]
fn comb_date(
    b: &mut DocBuilder,
    x: f32,
    y_top: f32,
    cw: f32,
    ch: f32,
    pen: Pen,
    font: Font,
    key: &str,
    d: Date,
) -> f32 {
    let digits = format!("{:02}{:02}{}", d.day(), u8::from(d.month()), d.year());
    let gap = 3.0;
    let (bx, end) = comb_groups(b, x, y_top, cw, ch, &[2, 2, 4], gap, pen, &digits);
    for i in 0..2 {
        let gx = x + (2 * (i + 1)) as f32 * cw + i as f32 * gap + gap / 2.0;
        b.text_center(gx, y_top + ch - 1.2, font, 10.0, "/");
    }
    b.set_field(key, values::iso(d));
    b.mark(
        key,
        &format!("{}/{}/{}", &digits[0..2], &digits[2..4], &digits[4..8]),
        bx,
    );
    end
}

/// Plan checkboxes flowing left to right between `x0` and `x1`; ticks the chosen one, sets and
/// marks `plan`. Returns the baseline of the next line.
#[allow(clippy::too_many_arguments)]
fn plan_boxes(
    b: &mut DocBuilder,
    rng: &mut Rng,
    f: &Form,
    x0: f32,
    x1: f32,
    y: f32,
    font: Font,
    size: f32,
    pitch: f32,
) -> f32 {
    let mut x = x0;
    let mut y = y;
    for (i, p) in f.m.plans.iter().enumerate() {
        let w = 5.2 + fonts::width_mm(font, size, p) + 7.0;
        if x + w > x1 + 6.0 && x > x0 {
            x = x0;
            y += pitch;
        }
        b.checkbox(rng, x, y - 3.1, 3.4, i == f.plan);
        let tb = b.text(x + 5.2, y, font, size, p);
        if i == f.plan {
            b.set_field("plan", *p);
            b.mark("plan", p, [x, y - 3.2, tb[2], tb[3].max(y + 0.5)]);
        }
        x += w;
    }
    y + pitch
}

/// One column of a dependants table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    Last,
    First,
    Birth,
    Link,
    Nir,
    Regime,
}

/// The dependants table: header, ruled rows (at least `rows`, one per dependant), filled with
/// `pen`. Sets `dependants` and marks each cell. Returns the y of the bottom rule.
#[allow(clippy::too_many_arguments)]
fn dependants_table(
    b: &mut DocBuilder,
    rng: &mut Rng,
    f: &Form,
    x: f32,
    y: f32,
    cols: &[(Col, &str, f32)],
    rows: usize,
    row_h: f32,
    head: (Font, f32, Option<u8>),
    pen: Pen,
    ds: DateStyle,
) -> f32 {
    let (hf, hs, hfill) = head;
    let head_h = hs * 0.35 + 3.4;
    let rows = rows.max(f.deps.len());
    let total_w: f32 = cols.iter().map(|c| c.2).sum();
    let bottom = y + head_h + rows as f32 * row_h;
    if let Some(g) = hfill {
        b.fill(x, y, total_w, head_h, g);
    }
    b.rect(x, y, total_w, bottom - y, 0.3);
    b.line(x, y + head_h, x + total_w, y + head_h, 0.3);
    for r in 1..rows {
        let ry = y + head_h + r as f32 * row_h;
        b.line(x, ry, x + total_w, ry, 0.15);
    }
    let mut cx = x;
    for (i, (_, title, w)) in cols.iter().enumerate() {
        let mut s = hs;
        while s > 6.0 && fonts::width_mm(hf, s, title) > w - 2.0 {
            s -= 0.25;
        }
        b.text(cx + 1.2, y + head_h - 1.5, hf, s, title);
        if i + 1 < cols.len() {
            b.line(cx + w, y, cx + w, bottom, 0.2);
        }
        cx += w;
    }
    let tpen = pen.small();
    let mut list = Vec::with_capacity(f.deps.len());
    for (i, d) in f.deps.iter().enumerate() {
        let base = y + head_h + (i + 1) as f32 * row_h - 1.7;
        let last = d.last_name.clone();
        let first = pen.t(&d.first_name);
        let birth = values::fmt_date(d.birth_date, ds);
        let age = f.received.year() - d.birth_date.year();
        let mut cx = x;
        for &(col, _, w) in cols {
            let (txt, key) = match col {
                Col::Last => (Some(last.clone()), Some("last_name")),
                Col::First => (Some(first.clone()), Some("first_name")),
                Col::Birth => (Some(birth.clone()), Some("birth_date")),
                Col::Link => (Some(pen.t("Enfant")), None),
                Col::Nir => (
                    (age >= 16 && rng.random_bool(0.6)).then(|| values::fmt_nir(&d.nir, true)),
                    None,
                ),
                Col::Regime => (
                    Some(pen.t(if age >= 18 {
                        one(rng, &["Général", "Général", "MSA", "Étudiant"])
                    } else {
                        one(rng, &["Général", "Général", "Général", "MSA"])
                    })),
                    None,
                ),
            };
            if let Some(txt) = txt {
                let cell_pen = if col == Col::Nir && tpen.hand {
                    Pen { size: 11.0, ..tpen }
                } else {
                    tpen
                };
                let bx = if key.is_some() {
                    write(b, rng, cell_pen, cx + 1.5, base, w - 3.0, &txt)
                } else {
                    write_fit(b, rng, cell_pen, cx + 1.5, base, w - 3.0, &txt, 7.0)
                };
                if let Some(k) = key {
                    b.mark(&format!("dependants.{i}.{k}"), &txt, bx);
                }
            }
            cx += w;
        }
        list.push(json!({"last_name": last, "first_name": first, "birth_date": values::iso(d.birth_date)}));
    }
    set_dependants(
        b,
        list,
        cols.first().map_or("", |c| c.1),
        [x, y, x + total_w, bottom],
    );
    bottom
}

/// Sets `dependants` for a printed table. An empty table is an empty list when the domain's
/// check rule accepts one (FIELDS.md: the table is there and empty); otherwise it is left out,
/// never set to a value that fails its rule.
fn set_dependants(b: &mut DocBuilder, list: Vec<Value>, head: &str, table: BoxMm) {
    if list.is_empty() {
        let empty = Value::Array(Vec::new());
        if mailroom_domain::validate::check_field(Class::MembershipForm, "dependants", &empty)
            .is_ok()
        {
            b.set_field("dependants", empty);
            b.mark("dependants", head, table);
        }
    } else {
        b.set_field("dependants", Value::Array(list));
    }
}

/// Label at (x, y) then a value written on a dotted line up to `x1`.
#[allow(clippy::too_many_arguments)]
fn dotted_field(
    b: &mut DocBuilder,
    rng: &mut Rng,
    pen: Pen,
    x: f32,
    x1: f32,
    y: f32,
    lf: Font,
    ls: f32,
    label: &str,
    v: Option<&Val>,
) {
    let lb = b.text(x, y, lf, ls, label);
    let vx = lb[2] + 1.5;
    dots(b, vx, x1, y + 0.9);
    if let Some(v) = v {
        put_val(b, rng, pen, vx + 2.0, y - 0.4, x1 - vx - 3.0, v);
    }
}

/// A bordered cell with its label in small print top left and the value below.
#[allow(clippy::too_many_arguments)]
fn cell(
    b: &mut DocBuilder,
    rng: &mut Rng,
    pen: Pen,
    x: f32,
    y: f32,
    w: f32,
    h: f32,
    lf: Font,
    label: &str,
    v: Option<&Val>,
) {
    b.rect(x, y, w, h, 0.25);
    b.text(x + 1.2, y + 2.9, lf, 6.8, label);
    if let Some(v) = v {
        put_val(b, rng, pen, x + 2.0, y + h - 2.0, w - 4.0, v);
    }
}

/// The civility checkboxes, ticked from the member's sex.
#[allow(clippy::too_many_arguments)]
fn civility(
    b: &mut DocBuilder,
    rng: &mut Rng,
    f: &Form,
    x: f32,
    y: f32,
    font: Font,
    size: f32,
    short: bool,
) -> f32 {
    let (a, c) = if short {
        ("Mme", "M.")
    } else {
        ("Madame", "Monsieur")
    };
    b.checkbox(rng, x, y - 3.1, 3.4, f.p.sex == Sex::F);
    let t = b.text(x + 5.0, y, font, size, a);
    let x2 = t[2] + 5.0;
    b.checkbox(rng, x2, y - 3.1, 3.4, f.p.sex == Sex::M);
    let t = b.text(x2 + 5.0, y, font, size, c);
    t[2]
}

// ---------------------------------------------------------------------------------------------
// 1. The insurer's form with comb boxes

fn comb_boxes(rng: &mut Rng, f: &Form) -> Doc {
    let mut b = DocBuilder::new(Class::MembershipForm, "membership/comb-boxes");
    let (lf, lfb) = *values::pick(
        rng,
        &[
            (Font::Sans, Font::SansBold),
            (Font::Dejavu, Font::DejavuBold),
            (Font::Narrow, Font::NarrowBold),
        ],
    );
    let pen = if rng.random_bool(0.3) {
        Pen {
            font: Font::Hand,
            size: rng.random_range(12.0..13.5),
            hand: true,
            caps: true,
        }
    } else {
        Pen {
            font: *values::pick(rng, &[Font::Mono, Font::Sans, Font::MonoBold, Font::Dejavu]),
            size: rng.random_range(10.0..11.5),
            hand: false,
            caps: true,
        }
    };
    let v = vals(rng, f, pen, DateStyle::Slash);
    let cw: f32 = rng.random_range(4.5..5.1);
    let ch = 6.5;
    let vx = 56.0;
    let pitch = 8.6;
    let style = rng.random_range(0..3);

    // Header
    logo_block(
        &mut b,
        15.0,
        12.0,
        64.0,
        17.0,
        f.m.name,
        rng.random_range(185..225),
        Font::SansBold,
    );
    b.text(
        15.0,
        33.5,
        lf,
        7.5,
        &format!("{} - {}", f.m.address, f.m.city_line),
    );
    let title = one(
        rng,
        &[
            "BULLETIN D'ADHÉSION",
            "BULLETIN INDIVIDUEL D'ADHÉSION",
            "DEMANDE D'ADHÉSION",
        ],
    );
    b.text_right(195.0, 19.5, lfb, 15.0, title);
    let sub = one(
        rng,
        &[
            "Complémentaire santé individuelle",
            "Assurance complémentaire santé - Particuliers",
            "Contrat individuel frais de santé",
        ],
    );
    b.text_right(195.0, 25.5, lf, 9.0, sub);
    b.text_right(195.0, 31.0, lf, 7.5, &format!("Réf. {}", f.form_ref));
    let intro = format!(
        "{} et le retourner daté et signé à : {}, {}, {}.",
        one(
            rng,
            &[
                "Merci de compléter ce bulletin en LETTRES CAPITALES, une lettre par case,",
                "À remplir en MAJUSCULES (une lettre par case)",
                "Veuillez écrire lisiblement en capitales d'imprimerie"
            ]
        ),
        f.m.name,
        f.m.address,
        f.m.city_line
    );
    b.paragraph(15.0, 41.0, 180.0, Font::SansItalic, 8.0, 3.4, &intro);

    // 1. The member
    let mut y = section(
        &mut b,
        15.0,
        48.5,
        180.0,
        one(
            rng,
            &[
                "1. L'ADHÉRENT(E)",
                "1. VOUS, L'ADHÉRENT(E)",
                "1. IDENTITÉ DE L'ADHÉRENT",
            ],
        ),
        lfb,
        style,
    ) + 5.5;
    b.text(15.0, y, lf, 9.0, "Civilité");
    civility(&mut b, rng, f, vx, y, lf, 9.0, false);
    y += 2.0;
    let label = |b: &mut DocBuilder, y: f32, t: &str| {
        b.text(15.0, y + ch - 1.2, lf, 8.5, t);
    };
    let cells = ((192.0 - vx) / cw).floor() as usize;
    label(&mut b, y, "Nom");
    comb_val(&mut b, pen, vx, y, cw, ch, cells, &v.last);
    y += pitch;
    label(&mut b, y, "Prénom");
    comb_val(&mut b, pen, vx, y, cw, ch, cells.min(24), &v.first);
    y += pitch;
    label(&mut b, y, "Date de naissance");
    comb_date(&mut b, vx, y, cw, ch, pen, lf, "birth_date", f.p.birth_date);
    y += pitch;
    label(
        &mut b,
        y,
        one(
            rng,
            &[
                "N° de Sécurité sociale",
                "N° d'immatriculation SS",
                "N° Sécurité sociale",
            ],
        ),
    );
    let (nb, end) = comb_groups(
        &mut b,
        vx,
        y,
        cw,
        ch,
        &[1, 2, 2, 2, 3, 3],
        2.2,
        pen,
        &f.p.nir[..13],
    );
    // The key's cells follow after a wider gap; the caption goes under the row's label, not
    // between the cells, so the number reads as one string.
    b.text(
        15.0,
        y + ch + 1.4,
        Font::SansItalic,
        6.5,
        "(13 chiffres + clé)",
    );
    let kx = end + 4.5;
    let (kb, _) = comb_groups(&mut b, kx, y, cw, ch, &[2], 0.0, pen, &f.p.nir[13..]);
    b.set_field("nir", f.p.nir.clone());
    b.mark(
        "nir",
        &values::fmt_nir(&f.p.nir, true),
        [nb[0], nb[1].min(kb[1]), kb[2], nb[3].max(kb[3])],
    );
    y += pitch;
    let acw = cw.min(4.3);
    let acells = ((192.0 - vx) / acw).floor() as usize;
    label(&mut b, y, "Adresse");
    comb_val(&mut b, pen, vx, y, acw, ch, acells, &v.street);
    y += pitch;
    label(&mut b, y, "Complément");
    let comp = f.complement.map(|c| pen.t(c)).unwrap_or_default();
    comb_fit(&mut b, pen, vx, y, acw, ch, acells, &comp);
    y += pitch;
    label(&mut b, y, "Code postal");
    let (cb, end) = comb_groups(&mut b, vx, y, cw, ch, &[5], 0.0, pen, f.cp);
    b.set_field("postal_code", f.cp);
    b.mark("postal_code", f.cp, cb);
    let lx = b.text(end + 4.0, y + ch - 1.2, lf, 8.5, "Ville")[2] + 3.0;
    let city = Val::text("city", f.city.to_uppercase());
    comb_val(
        &mut b,
        pen,
        lx,
        y,
        cw,
        ch,
        ((192.0 - lx) / cw).floor() as usize,
        &city,
    );
    y += pitch;
    label(&mut b, y, "Téléphone");
    let digits = f.phone.unwrap_or("");
    let (pb, _) = comb_groups(&mut b, vx, y, cw, ch, &[2, 2, 2, 2, 2], 1.8, pen, digits);
    if let Some(ph) = f.phone {
        let printed = (0..5)
            .map(|i| &ph[i * 2..i * 2 + 2])
            .collect::<Vec<_>>()
            .join(" ");
        b.set_field("phone", ph);
        b.mark("phone", &printed, pb);
    }
    y += pitch;
    label(
        &mut b,
        y,
        one(rng, &["E-mail", "Adresse e-mail", "Courriel"]),
    );
    b.line(vx, y + ch, 192.0, y + ch, 0.2);
    if let Some(e) = &v.email {
        let epen = Pen {
            caps: false,
            size: if pen.hand { 12.0 } else { 10.0 },
            ..pen
        };
        put_val(
            &mut b,
            rng,
            epen,
            vx + 1.0,
            y + ch - 1.2,
            192.0 - vx - 2.0,
            e,
        );
    }
    y += pitch + 2.0;

    // 2. The plan
    y = section(
        &mut b,
        15.0,
        y,
        180.0,
        one(
            rng,
            &[
                "2. VOTRE FORMULE",
                "2. GARANTIE CHOISIE",
                "2. CHOIX DE LA FORMULE",
            ],
        ),
        lfb,
        style,
    ) + 5.0;
    b.text(15.0, y, lf, 8.5, "Formule (une seule case) :");
    y = plan_boxes(&mut b, rng, f, vx, 195.0, y, lf, 9.0, 6.0) - 3.0;
    label(&mut b, y, "Date d'effet souhaitée");
    let end = comb_date(&mut b, vx, y, cw, ch, pen, lf, "effective_date", f.eff);
    b.text(
        end + 4.0,
        y + ch - 1.2,
        Font::SansItalic,
        7.0,
        "(au plus tôt le 1er jour du mois suivant la réception)",
    );
    y += pitch + 2.0;

    // 3. Bank
    y = section(
        &mut b,
        15.0,
        y,
        180.0,
        one(
            rng,
            &[
                "3. COORDONNÉES BANCAIRES",
                "3. RÈGLEMENT DES COTISATIONS",
                "3. VOTRE COMPTE BANCAIRE",
            ],
        ),
        lfb,
        style,
    ) + 4.5;
    b.text(15.0, y, lf, 7.5, one(rng, &["Compte utilisé pour le prélèvement des cotisations et le versement des remboursements (joindre un RIB).", "Prélèvement mensuel des cotisations et virement des prestations sur ce compte - joindre un RIB."]));
    y += 1.5;
    let icw = cw.min(4.4);
    label(&mut b, y, "IBAN");
    let (ib, _) = comb_groups(
        &mut b,
        vx,
        y,
        icw,
        ch,
        &[4, 4, 4, 4, 4, 4, 3],
        2.0,
        pen,
        f.iban,
    );
    b.set_field("iban", f.iban);
    b.mark("iban", &v.iban.printed, ib);
    y += pitch;
    label(&mut b, y, "BIC");
    let (bb, end) = comb_groups(&mut b, vx, y, icw, ch, &[11], 0.0, pen, f.bic);
    b.set_field("bic", f.bic);
    b.mark("bic", f.bic, bb);
    let bx = b.text(end + 5.0, y + ch - 1.2, lf, 8.5, "Banque")[2] + 2.0;
    b.line(bx, y + ch, 192.0, y + ch, 0.2);
    write(
        &mut b,
        rng,
        pen,
        bx + 1.0,
        y + ch - 1.2,
        192.0 - bx - 2.0,
        &pen.t(f.bank).to_uppercase(),
    );
    y += pitch + 2.0;

    // 4. Signature
    y = section(
        &mut b,
        15.0,
        y,
        180.0,
        one(rng, &["4. SIGNATURE", "4. ENGAGEMENT ET SIGNATURE"]),
        lfb,
        style,
    ) + 4.0;
    y = b.paragraph(15.0, y, 180.0, lf, 7.8, 3.2, certify(rng)) - 1.0;
    let sy = y;
    label(&mut b, y, "Fait à");
    let pcw = 4.3;
    let place = pen.t(&f.place).to_uppercase();
    let pcells = ((108.0 - vx + 20.0) / pcw).floor() as usize;
    comb_fit(&mut b, pen, vx - 20.0, y, pcw, ch, pcells, &place);
    y += pitch;
    label(&mut b, y, "Le");
    comb_date(
        &mut b,
        vx - 20.0,
        y,
        cw,
        ch,
        pen,
        lf,
        "signature_date",
        f.sig,
    );
    y += pitch;
    let label_11 = one(
        rng,
        &[
            "Signature de l'adhérent(e)",
            "Signature de l'adhérent(e), précédée de la mention « Lu et approuvé »",
        ],
    );
    signature_box(&mut b, rng, f, 118.0, sy, 77.0, 24.0, label_11, lf);
    y = y.max(sy + 24.0) + 4.0;
    let paras = [renonciation(rng, f.m), rgpd(rng, f.m)];
    small_print(&mut b, 15.0, y, 180.0, lf, 6.5, &paras);
    footer(&mut b, f, lf, 1, 1);
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// 2. Two pages: member and dependants, then the SEPA mandate and the signature

fn two_page_sepa(rng: &mut Rng, f: &Form) -> Doc {
    let mut b = DocBuilder::new(Class::MembershipForm, "membership/two-page-sepa");
    let (lf, lfb) = *values::pick(
        rng,
        &[(Font::Serif, Font::SerifBold), (Font::Sans, Font::SansBold)],
    );
    let pen = Pen::pick(rng, &[Font::Sans, Font::Dejavu, Font::Mono, Font::Serif]);
    let ds = written_style(rng);
    let v = vals(rng, f, pen, ds);
    let style = rng.random_range(0..3);

    // Page 1 header
    let mut s = 15.0;
    while s > 11.0 && fonts::width_mm(lfb, s, f.m.name) > 110.0 {
        s -= 0.5;
    }
    b.text(15.0, 20.0, lfb, s, f.m.name);
    b.text(15.0, 25.5, lf, 8.5, f.m.address);
    b.text(15.0, 29.5, lf, 8.5, f.m.city_line);
    b.rect(135.0, 12.0, 60.0, 22.0, 0.3);
    b.text(137.0, 16.0, lfb, 7.0, "Cadre réservé à la mutuelle");
    for (i, l) in ["N° d'adhérent", "Reçu le", "Code gestion"]
        .iter()
        .enumerate()
    {
        let yy = 21.5 + i as f32 * 5.0;
        let lb = b.text(137.0, yy, lf, 7.0, l);
        dots(&mut b, lb[2] + 1.5, 192.0, yy + 0.6);
    }
    let title = one(
        rng,
        &[
            "DEMANDE D'ADHÉSION",
            "BULLETIN D'ADHÉSION",
            "DEMANDE D'ADHÉSION INDIVIDUELLE",
        ],
    );
    b.text_center(105.0, 45.0, lfb, 15.0, title);
    let sub = one(
        rng,
        &[
            "Contrat santé individuel - à retourner complété et signé",
            "Complémentaire santé - Adhésion individuelle et familiale",
            "Garanties frais de santé - Particuliers",
        ],
    );
    b.text_center(105.0, 51.0, Font::SansItalic, 9.0, sub);
    b.text(15.0, 56.5, lf, 7.5, &format!("Imprimé {}", f.form_ref));

    let mut y = section(
        &mut b,
        15.0,
        59.0,
        180.0,
        one(rng, &["L'ADHÉRENT", "VOTRE IDENTITÉ", "ADHÉRENT PRINCIPAL"]),
        lfb,
        style,
    ) + 2.0;
    let h = 11.0;
    let civ = b.text(15.0, y + 3.5, lf, 8.0, "Civilité :")[2] + 3.0;
    civility(&mut b, rng, f, civ, y + 3.5, lf, 8.0, true);
    y += 5.5;
    cell(&mut b, rng, pen, 15.0, y, 90.0, h, lf, "Nom", Some(&v.last));
    cell(
        &mut b,
        rng,
        pen,
        105.0,
        y,
        90.0,
        h,
        lf,
        "Prénom",
        Some(&v.first),
    );
    y += h;
    cell(
        &mut b,
        rng,
        pen,
        15.0,
        y,
        50.0,
        h,
        lf,
        "Date de naissance",
        Some(&v.birth),
    );
    cell(
        &mut b,
        rng,
        pen,
        65.0,
        y,
        130.0,
        h,
        lf,
        "N° de sécurité sociale (15 chiffres)",
        Some(&v.nir),
    );
    y += h;
    cell(
        &mut b,
        rng,
        pen,
        15.0,
        y,
        180.0,
        h,
        lf,
        "Adresse (n°, type et nom de voie)",
        Some(&v.street),
    );
    y += h;
    let comp = f.complement.map(|c| Val::text("", pen.t(c)));
    b.rect(15.0, y, 180.0, h, 0.25);
    b.text(
        16.2,
        y + 2.9,
        lf,
        6.8,
        "Complément d'adresse (bâtiment, résidence…)",
    );
    if let Some(c) = comp {
        write(&mut b, rng, pen, 17.0, y + h - 2.0, 176.0, &c.printed);
    }
    y += h;
    cell(
        &mut b,
        rng,
        pen,
        15.0,
        y,
        40.0,
        h,
        lf,
        "Code postal",
        Some(&v.cp),
    );
    cell(
        &mut b,
        rng,
        pen,
        55.0,
        y,
        140.0,
        h,
        lf,
        "Commune",
        Some(&v.city),
    );
    y += h;
    cell(
        &mut b,
        rng,
        pen,
        15.0,
        y,
        70.0,
        h,
        lf,
        "Téléphone",
        v.phone.as_ref(),
    );
    cell(
        &mut b,
        rng,
        pen,
        85.0,
        y,
        110.0,
        h,
        lf,
        "Adresse e-mail",
        v.email.as_ref(),
    );
    y += h + 4.0;
    // The compulsory scheme and the current cover (not fields).
    let rl = b.text(15.0, y + 1.0, lf, 8.5, "Régime obligatoire :")[2] + 4.0;
    let regime = *values::pick(rng, &[0usize, 0, 0, 1, 2]);
    let mut x = rl;
    for (i, t) in [
        "Régime général",
        "MSA (agricole)",
        "Travailleur indépendant",
        "Autre",
    ]
    .iter()
    .enumerate()
    {
        b.checkbox(rng, x, y - 2.1, 3.2, i == regime);
        x = b.text(x + 4.8, y + 1.0, lf, 8.5, t)[2] + 5.0;
    }
    y += 6.5;
    let ql = b.text(
        15.0,
        y + 1.0,
        lf,
        8.5,
        "Êtes-vous actuellement couvert(e) par une complémentaire santé ?",
    )[2] + 4.0;
    let covered = rng.random_bool(0.4);
    b.checkbox(rng, ql, y - 2.1, 3.2, covered);
    let ox = b.text(ql + 4.8, y + 1.0, lf, 8.5, "Oui")[2] + 5.0;
    b.checkbox(rng, ox, y - 2.1, 3.2, !covered);
    b.text(ox + 4.8, y + 1.0, lf, 8.5, "Non");
    y += 6.5;
    let sl = b.text(
        15.0,
        y + 1.0,
        lf,
        8.5,
        "Si oui, organisme et date de résiliation :",
    )[2] + 2.0;
    dots(&mut b, sl, 195.0, y + 1.6);
    if covered {
        let other = one(
            rng,
            &[
                "Mutuelle du Littoral",
                "Assurances Beaumont",
                "Prévoyance des Métiers",
                "MCA Santé",
            ],
        );
        let end = values::fmt_date(values::first_of_next_month(f.sig, 1), DateStyle::Slash);
        write(
            &mut b,
            rng,
            pen,
            sl + 2.0,
            y + 0.6,
            190.0 - sl,
            &format!("{} - {end}", pen.t(other)),
        );
    }
    y += 7.0;

    y = section(
        &mut b,
        15.0,
        y,
        180.0,
        one(rng, &["VOTRE FORMULE", "GARANTIE SOUHAITÉE"]),
        lfb,
        style,
    ) + 2.0;
    if rng.random_bool(0.5) {
        y = plan_boxes(&mut b, rng, f, 17.0, 193.0, y + 4.5, lf, 9.5, 6.0) - 3.5;
        cell(
            &mut b,
            rng,
            pen,
            15.0,
            y,
            80.0,
            h,
            lf,
            "Date d'effet souhaitée",
            Some(&v.eff),
        );
    } else {
        let plan = Val::text("plan", pen.t(f.plan_name()));
        cell(
            &mut b,
            rng,
            pen,
            15.0,
            y,
            110.0,
            h,
            lf,
            "Formule choisie",
            Some(&plan),
        );
        cell(
            &mut b,
            rng,
            pen,
            125.0,
            y,
            70.0,
            h,
            lf,
            "Date d'effet souhaitée",
            Some(&v.eff),
        );
    }
    y += h + 4.0;

    y = section(
        &mut b,
        15.0,
        y,
        180.0,
        one(
            rng,
            &[
                "VOS AYANTS DROIT",
                "BÉNÉFICIAIRES À GARANTIR",
                "MEMBRES DE LA FAMILLE À COUVRIR",
            ],
        ),
        lfb,
        style,
    );
    b.text(15.0, y + 3.5, Font::SansItalic, 7.5, "Conjoint, concubin, partenaire de PACS et enfants à charge (joindre l'attestation de droits de chacun).");
    y += 5.5;
    let cols = [
        (Col::Last, "Nom", 40.0),
        (Col::First, "Prénom", 36.0),
        (Col::Birth, "Date de naissance", 29.0),
        (Col::Link, "Lien", 28.0),
        (Col::Nir, "N° de sécurité sociale (facultatif)", 47.0),
    ];
    let dds = *values::pick(
        rng,
        &[DateStyle::Slash, DateStyle::SlashShort, DateStyle::Dash],
    );
    y = dependants_table(
        &mut b,
        rng,
        f,
        15.0,
        y,
        &cols,
        4,
        7.5,
        (lfb, 8.0, Some(225)),
        pen,
        dds,
    ) + 5.0;
    small_print(
        &mut b,
        15.0,
        y,
        180.0,
        lf,
        7.0,
        &[certify(rng).to_string(), rgpd(rng, f.m)],
    );
    b.text_right(
        195.0,
        279.0,
        Font::SansItalic,
        8.0,
        "Suite au verso / page 2 →",
    );
    footer(&mut b, f, lf, 1, 2);

    // Page 2: SEPA mandate
    b.new_page();
    b.text(15.0, 20.0, lfb, 14.0, "MANDAT DE PRÉLÈVEMENT SEPA");
    b.text_right(195.0, 20.0, lf, 8.0, f.m.name);
    b.rect(15.0, 25.0, 180.0, 17.0, 0.3);
    b.text(
        17.0,
        30.0,
        lf,
        8.5,
        &format!(
            "Créancier : {} - {}, {}",
            f.m.name, f.m.address, f.m.city_line
        ),
    );
    b.text(
        17.0,
        34.5,
        lf,
        8.5,
        &format!("Identifiant créancier SEPA (ICS) : {}", f.ics),
    );
    let rum = if rng.random_bool(0.5) {
        format!(
            "Référence unique du mandat (RUM) : {}-{}",
            f.sig.year(),
            rng.random_range(100_000..999_999)
        )
    } else {
        "Référence unique du mandat (RUM) : communiquée avec votre certificat d'adhésion"
            .to_string()
    };
    b.text(17.0, 39.0, lf, 8.5, &rum);
    let sepa = format!(
        "En signant ce formulaire de mandat, vous autorisez {0} à envoyer des instructions à votre banque pour débiter votre compte, et votre banque à débiter votre compte conformément aux instructions de {0}. Vous bénéficiez du droit d'être remboursé par votre banque selon les conditions décrites dans la convention que vous avez passée avec elle. Une demande de remboursement doit être présentée dans les 8 semaines suivant la date de débit de votre compte pour un prélèvement autorisé.",
        f.m.name
    );
    let mut y = b.paragraph(15.0, 48.0, 180.0, lf, 7.8, 3.3, &sepa) + 2.0;
    y = section(
        &mut b,
        15.0,
        y,
        180.0,
        "DÉBITEUR (titulaire du compte)",
        lfb,
        style,
    ) + 2.0;
    let holder = Val::text("", pen.t(&format!("{} {}", f.p.last_name, f.p.first_name)));
    b.rect(15.0, y, 180.0, h, 0.25);
    b.text(16.2, y + 2.9, lf, 6.8, "Nom, prénom");
    write(&mut b, rng, pen, 17.0, y + h - 2.0, 176.0, &holder.printed);
    y += h;
    b.rect(15.0, y, 180.0, h, 0.25);
    b.text(16.2, y + 2.9, lf, 6.8, "Adresse");
    let addr = format!("{} {} {}", v.street.printed, f.cp, v.city.printed);
    write(&mut b, rng, pen, 17.0, y + h - 2.0, 176.0, &addr);
    y += h + 4.0;
    y = section(&mut b, 15.0, y, 180.0, "COMPTE À DÉBITER", lfb, style) + 3.0;
    let cpen = if pen.hand {
        Pen {
            caps: true,
            size: 12.5,
            ..pen
        }
    } else {
        Pen { size: 11.0, ..pen }
    };
    b.text(15.0, y + 5.3, lf, 9.0, "IBAN");
    let (ib, _) = comb_groups(
        &mut b,
        35.0,
        y,
        4.6,
        6.5,
        &[4, 4, 4, 4, 4, 4, 3],
        2.5,
        cpen,
        f.iban,
    );
    b.set_field("iban", f.iban);
    b.mark("iban", &v.iban.printed, ib);
    y += 9.5;
    b.text(15.0, y + 5.3, lf, 9.0, "BIC");
    let (bb, end) = comb_groups(&mut b, 35.0, y, 4.6, 6.5, &[11], 0.0, cpen, f.bic);
    b.set_field("bic", f.bic);
    b.mark("bic", f.bic, bb);
    let bx = b.text(end + 6.0, y + 5.3, lf, 8.5, "Banque :")[2] + 2.0;
    write(&mut b, rng, pen, bx, y + 5.1, 195.0 - bx, f.bank);
    y += 13.0;
    b.text(15.0, y, lf, 9.0, "Type de paiement :");
    b.checkbox(rng, 50.0, y - 3.1, 3.4, true);
    b.text(55.0, y, lf, 9.0, "Récurrent / répétitif");
    b.checkbox(rng, 95.0, y - 3.1, 3.4, false);
    b.text(100.0, y, lf, 9.0, "Ponctuel");
    y += 6.5;
    b.text(15.0, y, lf, 9.0, "Périodicité :");
    let period = rng.random_range(0..4);
    let mut x = 50.0;
    for (i, p) in ["Mensuelle", "Trimestrielle", "Semestrielle", "Annuelle"]
        .iter()
        .enumerate()
    {
        b.checkbox(rng, x, y - 3.1, 3.4, i == period);
        x = b.text(x + 5.0, y, lf, 9.0, p)[2] + 7.0;
    }
    y += 9.0;
    y = section(&mut b, 15.0, y, 180.0, "SIGNATURE", lfb, style) + 8.0;
    let fl = b.text(15.0, y, lf, 9.5, "Fait à :")[2] + 2.0;
    dots(&mut b, fl, 100.0, y + 0.9);
    write(
        &mut b,
        rng,
        pen,
        fl + 2.0,
        y - 0.4,
        98.0 - fl,
        &pen.t(&f.place),
    );
    let ll = b.text(15.0, y + 9.0, lf, 9.5, "Le :")[2] + 2.0;
    dots(&mut b, ll, 100.0, y + 9.9);
    put_val(&mut b, rng, pen, ll + 2.0, y + 8.6, 98.0 - ll, &v.sig);
    let label_10 = one(
        rng,
        &[
            "Signature du titulaire du compte et de l'adhérent",
            "Signature :",
            "Signature de l'adhérent (titulaire du compte)",
        ],
    );
    signature_box(&mut b, rng, f, 110.0, y - 5.0, 85.0, 32.0, label_10, lf);
    y += 33.0;
    let note = "Note : vos droits concernant le présent mandat sont expliqués dans un document que vous pouvez obtenir auprès de votre banque. Joindre obligatoirement un relevé d'identité bancaire (RIB).".to_string();
    small_print(
        &mut b,
        15.0,
        y,
        180.0,
        lf,
        7.0,
        &[note, renonciation(rng, f.m)],
    );
    footer(&mut b, f, lf, 2, 2);
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// 3. Compact one-page form of dotted lines

fn compact_dotted(rng: &mut Rng, f: &Form) -> Doc {
    let mut b = DocBuilder::new(Class::MembershipForm, "membership/compact-dotted");
    let (lf, lfb) = *values::pick(
        rng,
        &[
            (Font::Serif, Font::SerifBold),
            (Font::Dejavu, Font::DejavuBold),
            (Font::Sans, Font::SansBold),
        ],
    );
    let pen = Pen::pick(rng, &[Font::Sans, Font::Serif, Font::Mono]);
    let ds = written_style(rng);
    let v = vals(rng, f, pen, ds);
    let ls = if lf == Font::Dejavu { 9.0 } else { 10.0 };
    let with_email = rng.random_bool(0.7);
    let with_deps = rng.random_bool(0.5);

    b.text_center(105.0, 20.0, lfb, 14.0, &f.m.name.to_uppercase());
    b.text_center(
        105.0,
        25.5,
        lf,
        8.5,
        &format!("{} - {}", f.m.address, f.m.city_line),
    );
    b.line(15.0, 28.5, 195.0, 28.5, 0.5);
    b.line(15.0, 29.4, 195.0, 29.4, 0.2);
    let title = one(
        rng,
        &[
            "Bulletin d'adhésion",
            "BULLETIN D'ADHÉSION",
            "Demande d'adhésion",
        ],
    );
    b.text_center(105.0, 39.0, lfb, 13.0, title);
    b.text_right(195.0, 39.0, lf, 7.5, &f.form_ref);
    let intro = one(
        rng,
        &[
            "Je soussigné(e) demande mon adhésion à la mutuelle dans les conditions suivantes :",
            "Merci de remplir lisiblement toutes les rubriques ci-dessous.",
            "À compléter par l'adhérent et à retourner accompagné d'un RIB.",
        ],
    );
    b.text(15.0, 47.0, Font::SansItalic, 9.0, intro);

    let pitch: f32 = rng.random_range(9.5..11.5);
    let mut y = 57.0;
    let mid = 108.0;
    dotted_field(
        &mut b,
        rng,
        pen,
        15.0,
        mid - 3.0,
        y,
        lf,
        ls,
        "Nom :",
        Some(&v.last),
    );
    dotted_field(
        &mut b,
        rng,
        pen,
        mid,
        195.0,
        y,
        lf,
        ls,
        "Prénom :",
        Some(&v.first),
    );
    y += pitch;
    dotted_field(
        &mut b,
        rng,
        pen,
        15.0,
        78.0,
        y,
        lf,
        ls,
        "Né(e) le :",
        Some(&v.birth),
    );
    let label_9 = one(
        rng,
        &[
            "N° de Sécurité sociale :",
            "N° S.S. :",
            "N° d'immatriculation :",
        ],
    );
    dotted_field(
        &mut b,
        rng,
        pen,
        81.0,
        195.0,
        y,
        lf,
        ls,
        label_9,
        Some(&v.nir),
    );
    y += pitch;
    dotted_field(
        &mut b,
        rng,
        pen,
        15.0,
        195.0,
        y,
        lf,
        ls,
        "Adresse :",
        Some(&v.street),
    );
    y += pitch;
    if let Some(c) = f.complement {
        let lb = b.text(15.0, y, lf, ls, "Complément :");
        dots(&mut b, lb[2] + 1.5, 195.0, y + 0.9);
        write(
            &mut b,
            rng,
            pen,
            lb[2] + 3.5,
            y - 0.4,
            190.0 - lb[2],
            &pen.t(c),
        );
        y += pitch;
    }
    dotted_field(
        &mut b,
        rng,
        pen,
        15.0,
        62.0,
        y,
        lf,
        ls,
        "Code postal :",
        Some(&v.cp),
    );
    dotted_field(
        &mut b,
        rng,
        pen,
        65.0,
        195.0,
        y,
        lf,
        ls,
        "Ville :",
        Some(&v.city),
    );
    y += pitch;
    if with_email {
        let label_8 = one(rng, &["Tél. :", "Téléphone :"]);
        dotted_field(
            &mut b,
            rng,
            pen,
            15.0,
            88.0,
            y,
            lf,
            ls,
            label_8,
            v.phone.as_ref(),
        );
        let label_7 = one(rng, &["Courriel :", "E-mail :"]);
        dotted_field(
            &mut b,
            rng,
            pen,
            91.0,
            195.0,
            y,
            lf,
            ls,
            label_7,
            v.email.as_ref(),
        );
    } else {
        let label_6 = one(rng, &["Tél. :", "Téléphone :"]);
        dotted_field(
            &mut b,
            rng,
            pen,
            15.0,
            110.0,
            y,
            lf,
            ls,
            label_6,
            v.phone.as_ref(),
        );
    }
    y += pitch;
    let plan = Val::text("plan", pen.t(f.plan_name()));
    dotted_field(
        &mut b,
        rng,
        pen,
        15.0,
        118.0,
        y,
        lf,
        ls,
        "Formule choisie :",
        Some(&plan),
    );
    let label_5 = one(rng, &["À effet du :", "Date d'effet :"]);
    dotted_field(
        &mut b,
        rng,
        pen,
        121.0,
        195.0,
        y,
        lf,
        ls,
        label_5,
        Some(&v.eff),
    );
    y += 5.0;
    let list = f.m.plans.join(" / ");
    b.text(
        15.0,
        y,
        Font::SansItalic,
        7.0,
        &format!("(formules proposées : {list})"),
    );
    y += pitch - 1.0;
    let label_4 = one(
        rng,
        &[
            "IBAN :",
            "IBAN du compte à prélever :",
            "Coordonnées bancaires (IBAN) :",
        ],
    );
    dotted_field(
        &mut b,
        rng,
        pen,
        15.0,
        195.0,
        y,
        lf,
        ls,
        label_4,
        Some(&v.iban),
    );
    y += pitch + 1.0;

    if with_deps {
        b.text(
            15.0,
            y,
            lfb,
            ls,
            one(
                rng,
                &[
                    "Personnes à assurer (conjoint, enfants) :",
                    "Ayants droit :",
                    "Autres bénéficiaires :",
                ],
            ),
        );
        y += 6.5;
        let cols = [
            (15.0, "Nom"),
            (75.0, "Prénom"),
            (135.0, "Date de naissance"),
        ];
        for (x, t) in cols {
            b.text(x, y, Font::SansItalic, 8.0, t);
        }
        let rows = 3.max(f.deps.len());
        let tpen = pen.small();
        let top = y - 3.5;
        let dds = *values::pick(
            rng,
            &[DateStyle::Slash, DateStyle::SlashShort, DateStyle::DotShort],
        );
        let mut list = Vec::new();
        for r in 0..rows {
            let ry = y + 7.0 + r as f32 * 7.0;
            dots(&mut b, 15.0, 72.0, ry + 0.9);
            dots(&mut b, 75.0, 132.0, ry + 0.9);
            dots(&mut b, 135.0, 195.0, ry + 0.9);
            if let Some(d) = f.deps.get(r) {
                let last = d.last_name.clone();
                let first = pen.t(&d.first_name);
                let birth = values::fmt_date(d.birth_date, dds);
                let bx = write(&mut b, rng, tpen, 17.0, ry - 0.4, 54.0, &last);
                b.mark(&format!("dependants.{r}.last_name"), &last, bx);
                let bx = write(&mut b, rng, tpen, 77.0, ry - 0.4, 54.0, &first);
                b.mark(&format!("dependants.{r}.first_name"), &first, bx);
                let bx = write(&mut b, rng, tpen, 137.0, ry - 0.4, 56.0, &birth);
                b.mark(&format!("dependants.{r}.birth_date"), &birth, bx);
                list.push(json!({"last_name": last, "first_name": first, "birth_date": values::iso(d.birth_date)}));
            }
        }
        y += 7.0 + rows as f32 * 7.0;
        set_dependants(&mut b, list, "Nom", [15.0, top, 195.0, y - 5.0]);
        y += 1.0;
    }

    y = b.paragraph(15.0, y, 180.0, lf, 8.5, 3.6, certify(rng)) + 4.0;
    let fl = b.text(15.0, y, lf, ls, "Fait à")[2] + 1.5;
    dots(&mut b, fl, 70.0, y + 0.9);
    write(
        &mut b,
        rng,
        pen,
        fl + 2.0,
        y - 0.4,
        68.0 - fl,
        &pen.t(&f.place),
    );
    let ll = b.text(72.0, y, lf, ls, "le")[2] + 1.5;
    dots(&mut b, ll, 108.0, y + 0.9);
    put_val(&mut b, rng, pen, ll + 1.5, y - 0.4, 106.0 - ll, &v.sig);
    let label_3 = one(
        rng,
        &[
            "Signature",
            "Signature de l'adhérent :",
            "Signature (précédée de « lu et approuvé »)",
        ],
    );
    signature_box(&mut b, rng, f, 118.0, y - 5.0, 77.0, 26.0, label_3, lf);
    y += 26.0;
    let paras = [rgpd(rng, f.m), renonciation(rng, f.m)];
    let end = small_print(&mut b, 15.0, y + 2.0, 180.0, lf, 6.6, &paras);
    if end < 255.0 {
        // The insurer's own box, left blank by the member.
        b.rect(15.0, 262.0, 180.0, 16.0, 0.3);
        b.text(17.0, 266.0, lfb, 7.5, "Cadre réservé à la mutuelle");
        for (i, l) in ["N° d'adhérent attribué :", "Date de saisie :", "Visa :"]
            .iter()
            .enumerate()
        {
            let x = 17.0 + i as f32 * 60.0;
            let lb = b.text(x, 274.0, lf, 7.5, l);
            dots(&mut b, lb[2] + 1.0, x + 56.0, 274.6);
        }
    }
    footer(&mut b, f, lf, 1, 1);
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// 4. Two columns with shaded numbered sections

fn two_columns(rng: &mut Rng, f: &Form) -> Doc {
    let mut b = DocBuilder::new(Class::MembershipForm, "membership/two-columns");
    let (lf, lfb) = *values::pick(
        rng,
        &[
            (Font::Narrow, Font::NarrowBold),
            (Font::Sans, Font::SansBold),
            (Font::Dejavu, Font::DejavuBold),
        ],
    );
    let pen = Pen::pick(rng, &[Font::Sans, Font::Dejavu, Font::Mono]);
    let ds = written_style(rng);
    let v = vals(rng, f, pen, ds);
    let shade: u8 = *values::pick(rng, &[190, 205, 220]);
    let band: u8 = rng.random_range(190..225);

    b.fill(15.0, 12.0, 180.0, 14.0, band);
    let mut s = 13.0;
    while s > 9.0 && fonts::width_mm(Font::SansBold, s, f.m.name) > 95.0 {
        s -= 0.5;
    }
    b.text(19.0, 21.0, Font::SansBold, s, f.m.name);
    let title = one(
        rng,
        &[
            "BULLETIN D'ADHÉSION SANTÉ",
            "BULLETIN D'ADHÉSION",
            "DEMANDE D'ADHÉSION",
        ],
    );
    let tw = fonts::width_mm(Font::SansBold, 11.0, title);
    b.text(191.0 - tw, 21.0, Font::SansBold, 11.0, title);
    b.text(
        15.0,
        31.0,
        lf,
        8.5,
        one(
            rng,
            &[
                "Offre santé particuliers",
                "Complémentaire santé individuelle et familiale",
                "Adhésion individuelle - garanties frais de santé",
            ],
        ),
    );
    b.text_right(195.0, 31.0, lf, 7.5, &format!("Réf. {}", f.form_ref));

    let (lx, rx, cw) = (15.0, 108.0, 87.0);
    let h = 10.5;
    let head = |b: &mut DocBuilder, x: f32, y: f32, t: &str| {
        b.fill(x, y, cw, 6.0, shade);
        b.text(x + 1.5, y + 4.3, lfb, 9.5, t);
        y + 7.0
    };
    // Left column: 1. member, 2. beneficiaries
    let mut y = head(&mut b, lx, 35.0, "1. L'ADHÉRENT");
    let cx = b.text(lx, y + 3.2, lf, 8.0, "Civilité :")[2] + 3.0;
    civility(&mut b, rng, f, cx, y + 3.2, lf, 8.0, true);
    y += 5.0;
    cell(&mut b, rng, pen, lx, y, cw, h, lf, "Nom", Some(&v.last));
    y += h;
    cell(&mut b, rng, pen, lx, y, cw, h, lf, "Prénom", Some(&v.first));
    y += h;
    cell(
        &mut b,
        rng,
        pen,
        lx,
        y,
        30.0,
        h,
        lf,
        "Né(e) le",
        Some(&v.birth),
    );
    cell(
        &mut b,
        rng,
        pen,
        lx + 30.0,
        y,
        cw - 30.0,
        h,
        lf,
        "N° de Sécurité sociale",
        Some(&v.nir),
    );
    y += h;
    cell(
        &mut b,
        rng,
        pen,
        lx,
        y,
        cw,
        h,
        lf,
        "Adresse",
        Some(&v.street),
    );
    y += h;
    if let Some(c) = f.complement {
        b.rect(lx, y, cw, h, 0.25);
        b.text(lx + 1.2, y + 2.9, lf, 6.8, "Complément d'adresse");
        write(&mut b, rng, pen, lx + 2.0, y + h - 2.0, cw - 4.0, &pen.t(c));
        y += h;
    }
    cell(
        &mut b,
        rng,
        pen,
        lx,
        y,
        24.0,
        h,
        lf,
        "Code postal",
        Some(&v.cp),
    );
    cell(
        &mut b,
        rng,
        pen,
        lx + 24.0,
        y,
        cw - 24.0,
        h,
        lf,
        "Ville",
        Some(&v.city),
    );
    y += h;
    cell(
        &mut b,
        rng,
        pen,
        lx,
        y,
        cw,
        h,
        lf,
        "Téléphone",
        v.phone.as_ref(),
    );
    y += h;
    cell(
        &mut b,
        rng,
        pen,
        lx,
        y,
        cw,
        h,
        lf,
        "E-mail",
        v.email.as_ref(),
    );
    y += h + 5.0;
    y = head(&mut b, lx, y, "2. LES BÉNÉFICIAIRES");
    b.text(
        lx,
        y + 2.5,
        Font::SansItalic,
        7.0,
        one(
            rng,
            &[
                "Conjoint et enfants à charge à garantir",
                "Personnes à couvrir en plus de l'adhérent",
            ],
        ),
    );
    y += 4.5;
    let cols = [
        (Col::Last, "Nom", 30.0),
        (Col::First, "Prénom", 29.0),
        (Col::Birth, "Né(e) le", 28.0),
    ];
    let dds = *values::pick(rng, &[DateStyle::Slash, DateStyle::SlashShort]);
    let left_end = dependants_table(
        &mut b,
        rng,
        f,
        lx,
        y,
        &cols,
        4,
        8.0,
        (lfb, 8.5, None),
        pen,
        dds,
    );

    // Right column: 3. contributions, 4. signature
    let mut y = head(&mut b, rx, 35.0, "3. COTISATIONS ET RÈGLEMENT");
    b.text(rx, y + 3.0, lf, 8.5, "Formule choisie :");
    y += 8.5;
    for (i, p) in f.m.plans.iter().enumerate() {
        b.checkbox(rng, rx, y - 3.1, 3.4, i == f.plan);
        let tb = b.text(rx + 5.5, y, lf, 9.0, p);
        let price = format!("{} € / mois", f.prices[i].format_fr());
        let pw = fonts::width_mm(lf, 9.0, &price);
        dots(&mut b, tb[2] + 2.0, rx + cw - pw - 2.0, y);
        b.text_right(rx + cw, y, lf, 9.0, &price);
        if i == f.plan {
            b.set_field("plan", *p);
            b.mark("plan", p, [rx, y - 3.2, tb[2], tb[3].max(y + 0.5)]);
        }
        y += 6.0;
    }
    b.text(
        rx,
        y,
        Font::SansItalic,
        6.8,
        "Tarifs mensuels TTC par personne, hors taxe de solidarité additionnelle.",
    );
    y += 2.5;
    cell(
        &mut b,
        rng,
        pen,
        rx,
        y,
        50.0,
        h,
        lf,
        "Date d'effet souhaitée",
        Some(&v.eff),
    );
    y += h + 5.0;
    b.text(rx, y, lf, 8.5, "Mode de règlement :");
    y += 5.5;
    let mode = rng.random_range(0..2);
    let mut x = rx;
    for (i, p) in ["Prélèvement mensuel", "Prélèvement trimestriel"]
        .iter()
        .enumerate()
    {
        b.checkbox(rng, x, y - 3.1, 3.4, i == mode);
        x = b.text(x + 5.0, y, lf, 8.5, p)[2] + 5.0;
    }
    y += 3.0;
    cell(&mut b, rng, pen, rx, y, cw, h, lf, "IBAN", Some(&v.iban));
    y += h;
    let with_bic = rng.random_bool(0.75);
    if with_bic {
        cell(&mut b, rng, pen, rx, y, 42.0, h, lf, "BIC", Some(&v.bic));
        let bank = Val::text("", pen.t(f.bank));
        b.rect(rx + 42.0, y, cw - 42.0, h, 0.25);
        b.text(rx + 43.2, y + 2.9, lf, 6.8, "Banque");
        write(
            &mut b,
            rng,
            pen,
            rx + 44.0,
            y + h - 2.0,
            cw - 46.0,
            &bank.printed,
        );
        y += h;
    }
    y += 5.0;
    y = head(&mut b, rx, y, "4. SIGNATURE");
    y += 1.5;
    for t in [
        certify(rng),
        "J'autorise la mutuelle à prélever mes cotisations sur le compte ci-dessus (mandat SEPA joint).",
    ] {
        let ticked = f.signed || rng.random_bool(0.5);
        b.checkbox(rng, rx, y - 1.0, 3.2, ticked);
        y = b.paragraph(rx + 5.0, y + 1.5, cw - 5.0, lf, 7.2, 3.0, t) + 0.5;
    }
    y += 1.0;
    let place = Val::text("", pen.t(&f.place));
    b.rect(rx, y, 50.0, h, 0.25);
    b.text(rx + 1.2, y + 2.9, lf, 6.8, "Fait à");
    write(
        &mut b,
        rng,
        pen,
        rx + 2.0,
        y + h - 2.0,
        46.0,
        &place.printed,
    );
    cell(
        &mut b,
        rng,
        pen,
        rx + 50.0,
        y,
        cw - 50.0,
        h,
        lf,
        "Le",
        Some(&v.sig),
    );
    y += h;
    let label_2 = one(
        rng,
        &["Signature de l'adhérent", "Signature de l'adhérent(e) :"],
    );
    signature_box(&mut b, rng, f, rx, y, cw, 26.0, label_2, lf);
    let right_end = y + 26.0;

    // Documents to enclose, then the small print across both columns
    let mut y = left_end.max(right_end) + 6.0;
    b.rect(15.0, y, 180.0, 14.0, 0.3);
    b.text(17.0, y + 4.0, lfb, 8.0, "PIÈCES À JOINDRE");
    let mut x = 17.0;
    for t in [
        "Attestation de droits Sécurité sociale",
        "RIB",
        "Copie de pièce d'identité",
    ] {
        let ticked = rng.random_bool(0.6);
        b.checkbox(rng, x, y + 6.8, 3.0, ticked);
        x = b.text(x + 4.5, y + 9.5, lf, 8.0, t)[2] + 8.0;
    }
    y += 19.0;
    let paras = [rgpd(rng, f.m), renonciation(rng, f.m)];
    small_print(&mut b, 15.0, y, 180.0, lf, 6.6, &paras);
    footer(&mut b, f, lf, 1, 1);
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// 5. Company (collective) or senior offer with a table of guarantees

const COMPANIES: &[&str] = &[
    "SAS Transports Mercier",
    "Boulangerie Dupont SARL",
    "Cabinet Legrand & Associés",
    "Menuiserie Roux et Fils",
    "Garage du Centre SARL",
    "Clinique vétérinaire des Tilleuls",
    "Logistique Rhône-Alpes SAS",
    "Imprimerie Gauthier",
    "Pharmacie de la Gare",
    "Bureau d'études Fontaine",
    "Hôtel du Parc SARL",
    "Association Familles Rurales",
];

const GARANTIES: &[(&str, [&str; 4])] = &[
    (
        "Hospitalisation : honoraires",
        ["100 % BR", "150 % BR", "200 % BR", "250 % BR"],
    ),
    (
        "Forfait journalier hospitalier",
        ["Frais réels", "Frais réels", "Frais réels", "Frais réels"],
    ),
    (
        "Chambre particulière (par jour)",
        ["-", "30 €", "50 €", "70 €"],
    ),
    (
        "Consultations généralistes",
        ["100 % BR", "125 % BR", "150 % BR", "200 % BR"],
    ),
    (
        "Pharmacie remboursée",
        ["100 % BR", "100 % BR", "100 % BR", "100 % BR"],
    ),
    (
        "Optique : équipement (verres + monture)",
        ["100 % Santé", "150 €", "250 €", "350 €"],
    ),
    (
        "Dentaire : prothèses hors 100 % Santé",
        ["125 % BR", "200 % BR", "300 % BR", "400 % BR"],
    ),
    (
        "Aides auditives (par oreille)",
        ["100 % Santé", "400 €", "700 €", "1 000 €"],
    ),
    ("Médecines douces (par an)", ["-", "60 €", "120 €", "200 €"]),
];

fn garanties_table(rng: &mut Rng, f: &Form) -> Doc {
    let senior = f.age() >= 55 && rng.random_bool(0.75);
    let name = if senior {
        "membership/garanties-senior"
    } else {
        "membership/garanties-company"
    };
    let mut b = DocBuilder::new(Class::MembershipForm, name);
    let (lf, lfb) = *values::pick(
        rng,
        &[
            (Font::Sans, Font::SansBold),
            (Font::Dejavu, Font::DejavuBold),
        ],
    );
    let tf = *values::pick(rng, &[Font::Narrow, Font::Sans]);
    let tfb = if tf == Font::Narrow {
        Font::NarrowBold
    } else {
        Font::SansBold
    };
    let pen = Pen::pick(rng, &[Font::Sans, Font::Mono, Font::Dejavu]);
    let ds = written_style(rng);
    let v = vals(rng, f, pen, ds);

    // Header: framed name left, title right
    b.rect(15.0, 12.0, 70.0, 16.0, 0.8);
    let mut s = 11.0;
    while s > 8.0 && fonts::width_mm(lfb, s, f.m.name) > 64.0 {
        s -= 0.5;
    }
    b.text(18.0, 21.5, lfb, s, f.m.name);
    let (title, sub) = if senior {
        (
            "BULLETIN D'ADHÉSION - OFFRE SENIORS",
            "Formules réservées aux personnes de 55 ans et plus".to_string(),
        )
    } else {
        let company = *values::pick(rng, COMPANIES);
        let siret = values::fmt_siret(&values::siret(rng), true);
        (
            "ADHÉSION AU CONTRAT COLLECTIF SANTÉ",
            format!("Entreprise : {company} - SIRET {siret}"),
        )
    };
    b.text_right(195.0, 18.0, lfb, 11.5, title);
    b.text_right(195.0, 23.5, lf, 8.5, &sub);
    b.text_right(195.0, 28.0, lf, 7.5, &format!("Document {}", f.form_ref));

    let mut y = section(&mut b, 15.0, 33.0, 180.0, "VOTRE IDENTITÉ", lfb, 0) + 6.0;
    let ls = 9.0;
    let row = 7.5;
    let line = |b: &mut DocBuilder,
                rng: &mut Rng,
                x: f32,
                x1: f32,
                y: f32,
                label: &str,
                v: Option<&Val>| {
        let lb = b.text(x, y, lf, ls, label);
        b.line(lb[2] + 1.0, y + 1.0, x1, y + 1.0, 0.15);
        if let Some(v) = v {
            put_val(b, rng, pen, lb[2] + 2.5, y - 0.3, x1 - lb[2] - 3.5, v);
        }
    };
    line(&mut b, rng, 15.0, 103.0, y, "Nom :", Some(&v.last));
    line(&mut b, rng, 108.0, 195.0, y, "Prénom :", Some(&v.first));
    y += row;
    line(&mut b, rng, 15.0, 70.0, y, "Né(e) le :", Some(&v.birth));
    line(
        &mut b,
        rng,
        74.0,
        195.0,
        y,
        "N° Sécurité sociale :",
        Some(&v.nir),
    );
    y += row;
    line(&mut b, rng, 15.0, 195.0, y, "Adresse :", Some(&v.street));
    y += row;
    line(&mut b, rng, 15.0, 60.0, y, "Code postal :", Some(&v.cp));
    line(&mut b, rng, 64.0, 195.0, y, "Ville :", Some(&v.city));
    y += row;
    let with_email = !senior || rng.random_bool(0.5);
    if with_email {
        line(&mut b, rng, 15.0, 80.0, y, "Tél. :", v.phone.as_ref());
        line(&mut b, rng, 84.0, 195.0, y, "E-mail :", v.email.as_ref());
    } else {
        line(&mut b, rng, 15.0, 100.0, y, "Téléphone :", v.phone.as_ref());
    }
    y += row - 1.0;
    if !senior {
        b.text(15.0, y, lf, ls, "Statut :");
        let cadre = rng.random_bool(0.3);
        b.checkbox(rng, 32.0, y - 3.1, 3.4, cadre);
        b.text(37.0, y, lf, ls, "Cadre");
        b.checkbox(rng, 52.0, y - 3.1, 3.4, !cadre);
        b.text(57.0, y, lf, ls, "Non cadre");
        let hire = values::date_before(rng, f.sig, 5, 3000);
        let lb = b.text(90.0, y, lf, ls, "Date d'embauche :");
        write(
            &mut b,
            rng,
            pen,
            lb[2] + 2.5,
            y - 0.3,
            40.0,
            &values::fmt_date(hire, ds),
        );
        y += row - 1.0;
    }

    // The table of guarantees
    y = section(
        &mut b,
        15.0,
        y,
        180.0,
        one(
            rng,
            &[
                "CHOIX DU NIVEAU DE GARANTIES (cochez le niveau choisi)",
                "VOTRE NIVEAU DE COUVERTURE (une seule case)",
            ],
        ),
        lfb,
        0,
    ) + 2.0;
    // The levels of this offer, cheapest first: no "Hospi Seule" (not a level of the range),
    // no youth plan on the senior offer, no senior plan on the company one.
    let excluded: &[&str] = if senior {
        &["Hospi", "Jeunes"]
    } else {
        &["Hospi", "Senior"]
    };
    let allowed: Vec<usize> = (0..f.m.plans.len())
        .filter(|&i| !excluded.iter().any(|e| f.m.plans[i].contains(e)))
        .collect();
    let shown: Vec<usize> = if allowed.len() > 4 {
        vec![
            allowed[0],
            allowed[1],
            allowed[2],
            allowed[allowed.len() - 1],
        ]
    } else {
        allowed
    };
    let n = shown.len();
    let chosen = if shown.contains(&f.plan) {
        f.plan
    } else {
        *values::pick(rng, &shown)
    };
    let levels: Vec<usize> = if n == 4 {
        vec![0, 1, 2, 3]
    } else {
        vec![0, 2, 3]
    };
    let first_w = 66.0;
    let col_w = (180.0 - first_w) / shown.len() as f32;
    let head_h = 12.0;
    let rh = 6.0;
    let rows = GARANTIES.len() + 1;
    let bottom = y + head_h + rows as f32 * rh;
    b.fill(15.0, y, 180.0, head_h, 225);
    b.rect(15.0, y, 180.0, bottom - y, 0.35);
    b.text(17.0, y + 7.5, tfb, 9.0, "Garanties");
    for (j, &pi) in shown.iter().enumerate() {
        let x = 15.0 + first_w + j as f32 * col_w;
        b.line(x, y, x, bottom, 0.2);
        let p = f.m.plans[pi];
        b.checkbox(rng, x + col_w / 2.0 - 1.8, y + 1.5, 3.6, pi == chosen);
        let mut s = 9.0;
        while s > 7.0 && fonts::width_mm(tfb, s, p) > col_w - 2.0 {
            s -= 0.25;
        }
        let tb = b.text_center(x + col_w / 2.0, y + 10.0, tfb, s, p);
        if pi == chosen {
            b.set_field("plan", p);
            b.mark("plan", p, [x, y, x + col_w, tb[3].max(y + head_h)]);
        }
    }
    let mut ry = y + head_h;
    for (i, (g, cells)) in GARANTIES.iter().enumerate() {
        if i % 2 == 1 {
            b.fill(15.2, ry, 179.6, rh, 243);
        }
        b.line(15.0, ry, 195.0, ry, 0.12);
        b.text(17.0, ry + rh - 1.8, tf, 8.5, g);
        for (j, lvl) in levels.iter().enumerate().take(shown.len()) {
            let x = 15.0 + first_w + j as f32 * col_w;
            b.text_center(x + col_w / 2.0, ry + rh - 1.8, tf, 8.5, cells[*lvl]);
        }
        ry += rh;
    }
    b.line(15.0, ry, 195.0, ry, 0.3);
    b.text(
        17.0,
        ry + rh - 1.8,
        tfb,
        8.5,
        if senior {
            "Cotisation mensuelle"
        } else {
            "Part salariale mensuelle"
        },
    );
    for (j, &pi) in shown.iter().enumerate() {
        let x = 15.0 + first_w + j as f32 * col_w;
        b.text_center(
            x + col_w / 2.0,
            ry + rh - 1.8,
            tfb,
            8.5,
            &format!("{} €", f.prices[pi].format_fr()),
        );
    }
    y = bottom + 3.0;
    b.text(15.0, y + 1.0, Font::SansItalic, 6.8, "BR : base de remboursement de la Sécurité sociale. Remboursements y compris ceux du régime obligatoire, dans la limite des frais réels.");
    y += 5.5;

    // Dependants (company) or spouse question (senior)
    if senior {
        b.text(
            15.0,
            y + 2.0,
            lf,
            ls,
            "Votre conjoint souhaite-t-il également adhérer ?",
        );
        b.checkbox(rng, 100.0, y - 1.1, 3.4, false);
        b.text(105.0, y + 2.0, lf, ls, "Oui (remplir un bulletin séparé)");
        b.checkbox(rng, 160.0, y - 1.1, 3.4, true);
        b.text(165.0, y + 2.0, lf, ls, "Non");
        y += 7.5;
        b.text(15.0, y + 2.0, lf, ls, "Votre situation :");
        let retired = f.age() >= 62 || rng.random_bool(0.3);
        b.checkbox(rng, 45.0, y - 1.1, 3.4, retired);
        b.text(50.0, y + 2.0, lf, ls, "Retraité(e)");
        b.checkbox(rng, 80.0, y - 1.1, 3.4, !retired);
        b.text(85.0, y + 2.0, lf, ls, "En activité");
        b.text(115.0, y + 2.0, lf, ls, "Caisse de retraite :");
        b.line(147.0, y + 3.0, 195.0, y + 3.0, 0.15);
        if retired {
            let caisse = one(rng, &["CARSAT", "MSA", "CNRACL", "SSI", "CNAV"]);
            write(&mut b, rng, pen, 149.0, y + 1.7, 45.0, &pen.t(caisse));
        }
        y += 12.0;
    } else {
        b.text(15.0, y + 2.0, lfb, ls, "Ayants droit à couvrir");
        y += 4.0;
        let cols = [
            (Col::Last, "Nom", 50.0),
            (Col::First, "Prénom", 45.0),
            (Col::Birth, "Date de naissance", 40.0),
            (Col::Regime, "Régime obligatoire", 45.0),
        ];
        let dds = *values::pick(rng, &[DateStyle::Slash, DateStyle::SlashShort]);
        y = dependants_table(
            &mut b,
            rng,
            f,
            15.0,
            y,
            &cols,
            3,
            7.0,
            (tfb, 8.5, Some(235)),
            pen,
            dds,
        ) + 5.0;
    }

    // Bank and effective date
    let rl = b.text(15.0, y, lf, ls, "IBAN (remboursements) :")[2];
    b.line(rl + 1.0, y + 1.0, 140.0, y + 1.0, 0.15);
    put_val(
        &mut b,
        rng,
        pen,
        rl + 2.5,
        y - 0.3,
        140.0 - rl - 3.5,
        &v.iban,
    );
    let bl = b.text(143.0, y, lf, ls, "BIC :")[2];
    b.line(bl + 1.0, y + 1.0, 195.0, y + 1.0, 0.15);
    put_val(
        &mut b,
        rng,
        pen,
        bl + 2.5,
        y - 0.3,
        195.0 - bl - 3.5,
        &v.bic,
    );
    y += row;
    let el = b.text(15.0, y, lf, ls, "Date d'effet souhaitée :")[2];
    b.line(el + 1.0, y + 1.0, 90.0, y + 1.0, 0.15);
    put_val(&mut b, rng, pen, el + 2.5, y - 0.3, 90.0 - el - 3.5, &v.eff);
    y += row + 1.0;

    // Signature
    let sy = y;
    y = b.paragraph(15.0, y, 95.0, lf, 7.8, 3.2, certify(rng)) + 2.0;
    let fl = b.text(15.0, y + 2.0, lf, ls, "Fait à")[2];
    b.line(fl + 1.0, y + 3.0, 62.0, y + 3.0, 0.15);
    write(
        &mut b,
        rng,
        pen,
        fl + 2.5,
        y + 1.7,
        60.0 - fl,
        &pen.t(&f.place),
    );
    let ll = b.text(64.0, y + 2.0, lf, ls, "le")[2];
    b.line(ll + 1.0, y + 3.0, 108.0, y + 3.0, 0.15);
    put_val(&mut b, rng, pen, ll + 2.0, y + 1.7, 106.0 - ll, &v.sig);
    signature_box(
        &mut b,
        rng,
        f,
        115.0,
        sy - 4.0,
        80.0,
        26.0,
        "Signature de l'adhérent",
        lf,
    );
    y = (y + 8.0).max(sy + 25.0);
    let paras = [renonciation(rng, f.m), rgpd(rng, f.m)];
    small_print(&mut b, 15.0, y, 180.0, lf, 6.3, &paras);
    footer(&mut b, f, lf, 1, 1);
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// 6. Printed summary of an online application, dated and signed by hand

fn online_recap(rng: &mut Rng, f: &Form) -> Doc {
    let mut b = DocBuilder::new(Class::MembershipForm, "membership/online-recap");
    let (lf, lfb) = *values::pick(
        rng,
        &[
            (Font::Sans, Font::SansBold),
            (Font::Dejavu, Font::DejavuBold),
        ],
    );
    let ts = 9.5;
    let typed = Pen::typed(lf, ts);
    let ds = *values::pick(rng, &[DateStyle::Slash, DateStyle::Long]);
    let v = vals(rng, f, typed, ds);
    let dom = web_domain(f.m.name);
    let edited = f.sig - Duration::days(rng.random_range(0..4));

    b.text_gray(
        15.0,
        9.5,
        lf,
        7.0,
        &format!("https://adhesion.{dom}/souscription/recapitulatif"),
        90,
    );
    b.text_gray(
        195.0 - fonts::width_mm(lf, 7.0, "1/1"),
        9.5,
        lf,
        7.0,
        "1/1",
        90,
    );
    b.text(15.0, 21.0, lfb, 14.0, f.m.name);
    let web_ref = format!(
        "WEB-{}-{:07}",
        edited.year(),
        rng.random_range(1_000..9_999_999)
    );
    b.text_right(195.0, 17.0, lf, 8.5, &format!("Demande n° {web_ref}"));
    b.text_right(
        195.0,
        21.5,
        lf,
        8.5,
        &format!(
            "Édité le {} à {:02}:{:02}",
            values::fmt_date(edited, DateStyle::Slash),
            rng.random_range(7..23),
            rng.random_range(0..60)
        ),
    );
    b.line(15.0, 25.0, 195.0, 25.0, 0.6);
    b.text(
        15.0,
        34.0,
        lfb,
        13.0,
        one(
            rng,
            &[
                "Récapitulatif de votre demande d'adhésion",
                "Votre demande d'adhésion en ligne",
                "Bulletin d'adhésion - récapitulatif",
            ],
        ),
    );
    let intro = one(
        rng,
        &[
            "Merci de vérifier les informations ci-dessous, puis de dater et signer ce document et de nous le retourner accompagné d'un RIB et de votre attestation de droits.",
            "Votre adhésion sera définitive à réception de ce récapitulatif daté et signé. Conservez une copie de ce document.",
        ],
    );
    let mut y = b.paragraph(15.0, 40.0, 180.0, lf, 8.5, 3.6, intro) + 1.0;

    let k = 62.0;
    let rh = 6.3;
    let group = |b: &mut DocBuilder, y: f32, t: &str| -> f32 {
        b.fill(15.0, y, 180.0, rh, 200);
        b.rect(15.0, y, 180.0, rh, 0.2);
        b.text(17.0, y + rh - 1.8, lfb, ts, t);
        y + rh
    };
    let row = |b: &mut DocBuilder,
               rng: &mut Rng,
               y: f32,
               label: &str,
               v: Option<&Val>,
               plain: Option<&str>|
     -> f32 {
        b.rect(15.0, y, 180.0, rh, 0.2);
        b.line(15.0 + k, y, 15.0 + k, y + rh, 0.2);
        b.text(17.0, y + rh - 1.8, lf, ts, label);
        match (v, plain) {
            (Some(v), _) => {
                put_val(b, rng, typed, 17.0 + k, y + rh - 1.8, 180.0 - k - 4.0, v);
            }
            (None, Some(t)) => {
                b.text(17.0 + k, y + rh - 1.8, lf, ts, t);
            }
            _ => {}
        }
        y + rh
    };
    y = group(&mut b, y, "Souscripteur");
    y = row(
        &mut b,
        rng,
        y,
        "Civilité",
        None,
        Some(if f.p.sex == Sex::F {
            "Madame"
        } else {
            "Monsieur"
        }),
    );
    y = row(&mut b, rng, y, "Nom", Some(&v.last), None);
    y = row(&mut b, rng, y, "Prénom", Some(&v.first), None);
    y = row(&mut b, rng, y, "Date de naissance", Some(&v.birth), None);
    y = row(&mut b, rng, y, "N° de sécurité sociale", Some(&v.nir), None);
    y = row(&mut b, rng, y, "Adresse", Some(&v.street), None);
    if let Some(c) = f.complement {
        y = row(&mut b, rng, y, "Complément d'adresse", None, Some(c));
    }
    y = row(&mut b, rng, y, "Code postal", Some(&v.cp), None);
    y = row(&mut b, rng, y, "Ville", Some(&v.city), None);
    y = row(
        &mut b,
        rng,
        y,
        "Téléphone",
        v.phone.as_ref(),
        Some("Non renseigné"),
    );
    y = row(
        &mut b,
        rng,
        y,
        "Adresse e-mail",
        v.email.as_ref(),
        Some("Non renseignée"),
    );
    y = group(&mut b, y, "Garantie");
    let plan = Val::text("plan", f.plan_name().to_string());
    y = row(&mut b, rng, y, "Formule", Some(&plan), None);
    y = row(&mut b, rng, y, "Date d'effet", Some(&v.eff), None);
    let total = f.prices[f.plan];
    y = row(
        &mut b,
        rng,
        y,
        "Cotisation mensuelle",
        None,
        Some(&format!("{} € TTC", total.format_fr())),
    );
    y = group(&mut b, y, "Paiement");
    y = row(
        &mut b,
        rng,
        y,
        "Mode de paiement",
        None,
        Some("Prélèvement SEPA mensuel"),
    );
    y = row(&mut b, rng, y, "IBAN", Some(&v.iban), None);
    if rng.random_bool(0.8) {
        y = row(&mut b, rng, y, "BIC", Some(&v.bic), None);
    }
    y = row(
        &mut b,
        rng,
        y,
        "Titulaire du compte",
        None,
        Some(&format!("{} {}", f.p.first_name, f.p.last_name)),
    );
    y += 5.0;

    b.text(15.0, y, lfb, ts, "Bénéficiaires");
    y += 2.0;
    if f.deps.is_empty() && rng.random_bool(0.5) {
        b.text(
            15.0,
            y + 4.0,
            Font::SansItalic,
            8.5,
            "Aucun bénéficiaire déclaré en plus du souscripteur.",
        );
        y += 8.0;
    } else {
        let cols = [
            (Col::Last, "Nom", 55.0),
            (Col::First, "Prénom", 50.0),
            (Col::Birth, "Date de naissance", 40.0),
            (Col::Regime, "Régime", 35.0),
        ];
        y = dependants_table(
            &mut b,
            rng,
            f,
            15.0,
            y,
            &cols,
            1,
            6.3,
            (lfb, 8.5, Some(225)),
            Pen::typed(lf, 9.0),
            DateStyle::Slash,
        ) + 6.0;
    }

    // Dated and signed by hand (or pre-filled by the site)
    let hand = rng.random_bool(0.7);
    let hpen = if hand {
        Pen {
            font: Font::Hand,
            size: rng.random_range(12.0..14.0),
            hand: true,
            caps: false,
        }
    } else {
        typed
    };
    let sv = if hand {
        Val::norm(
            "signature_date",
            values::fmt_date(f.sig, DateStyle::Slash),
            values::iso(f.sig),
        )
    } else {
        v.sig.clone()
    };
    let sy = y;
    let fl = b.text(15.0, y + 4.0, lf, ts, "Fait à")[2];
    dots(&mut b, fl + 1.0, 100.0, y + 5.0);
    write(&mut b, rng, hpen, fl + 3.0, y + 3.6, 95.0 - fl, &f.place);
    y += 10.0;
    let ll = b.text(15.0, y + 4.0, lf, ts, "Le")[2];
    dots(&mut b, ll + 1.0, 100.0, y + 5.0);
    put_val(&mut b, rng, hpen, ll + 3.0, y + 3.6, 95.0 - ll, &sv);
    let label_1 = one(
        rng,
        &[
            "Signature précédée de la mention « Bon pour adhésion »",
            "Signature du souscripteur",
        ],
    );
    signature_box(&mut b, rng, f, 110.0, sy, 85.0, 28.0, label_1, lf);
    y = sy + 33.0;
    let paras = [rgpd(rng, f.m), renonciation(rng, f.m)];
    small_print(&mut b, 15.0, y, 180.0, lf, 6.5, &paras);
    footer(&mut b, f, lf, 1, 1);
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testkit;
    use super::*;
    use mailroom_domain::normalize::fold_text;
    use std::path::Path;

    fn doc(seed: u64, variant: usize) -> (Doc, crate::values::Member, Date) {
        let (mut rng, member, mutuelle, received) = testkit::setup(seed);
        let ctx = testkit::ctx(&member, mutuelle, received);
        let d = render_variant(&mut rng, &ctx, variant);
        (d, member, received)
    }

    fn date_of(d: &Doc, key: &str) -> Option<Date> {
        d.fields
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| check::parse_date(s).ok())
    }

    #[test]
    fn every_layout_is_sound() {
        for variant in 0..LAYOUTS.len() {
            for seed in 0..200 {
                let (d, member, received) = doc(seed, variant);
                assert_eq!(d.class, Class::MembershipForm);
                testkit::assert_sound(&d, received);
                // Effective date after signature, signature within 20 days before reception.
                let sig = date_of(&d, "signature_date").expect("signature date printed");
                let eff = date_of(&d, "effective_date").expect("effective date printed");
                assert!(
                    eff >= sig,
                    "{}: effective {eff} before signature {sig}",
                    d.layout
                );
                assert!(
                    sig <= received && (received - sig).whole_days() <= 20,
                    "{}: signature {sig}",
                    d.layout
                );
                // Core identity always printed and right.
                assert_eq!(d.fields["nir"], member.person.nir, "{}", d.layout);
                assert_eq!(
                    d.fields["birth_date"],
                    values::iso(member.person.birth_date),
                    "{}",
                    d.layout
                );
                assert_eq!(
                    fold_text(d.fields["last_name"].as_str().unwrap()),
                    fold_text(&member.person.last_name)
                );
                assert_eq!(d.fields["iban"], member.bank.iban, "{}", d.layout);
                assert!(
                    d.fields.contains_key("signed") && d.fields.contains_key("plan"),
                    "{}",
                    d.layout
                );
                assert_eq!(
                    d.fields["address"].as_str().map(fold_text),
                    Some(fold_text(&member.address.street))
                );
                if let Some(p) = d.fields.get("phone") {
                    assert_eq!(p, &member.phone);
                }
                // The plan is one of the mutuelle's.
                let plan = fold_text(d.fields["plan"].as_str().unwrap());
                let mutuelle = testkit::setup(seed).2;
                assert!(
                    mutuelle.plans.iter().any(|p| fold_text(p) == plan),
                    "{}: plan {plan}",
                    d.layout
                );
                // Every page stays inside the sheet margins.
                for (i, page) in d.pages.iter().enumerate() {
                    for (t, bx) in page.text_runs() {
                        assert!(
                            bx[0] >= 11.5 && bx[2] <= 198.5 && bx[1] >= 5.0 && bx[3] <= 292.0,
                            "{} seed {seed} p{}: {t:?} at {bx:?}",
                            d.layout,
                            i + 1
                        );
                    }
                    let text: Vec<&str> = page.text_runs().map(|(t, _)| t).collect();
                    assert!(
                        text.iter().any(|t| t
                            .contains("Mutuelle régie par le livre II du Code de la mutualité")),
                        "{} seed {seed} p{}: no legal footer",
                        d.layout,
                        i + 1
                    );
                    // No printed text runs into a field value (values stay in their cells).
                    for span in page
                        .spans
                        .iter()
                        .filter(|s| s.key != "signed" && s.key != "dependants")
                    {
                        let v = span.bbox_mm;
                        for (t, r) in page.text_runs().filter(|(t, _)| *t != "/") {
                            let inside = r[0] >= v[0] - 0.05
                                && r[2] <= v[2] + 0.05
                                && r[1] >= v[1] - 0.05
                                && r[3] <= v[3] + 0.05;
                            let apart = r[2] <= v[0] + 0.2
                                || r[0] >= v[2] - 0.2
                                || r[3] <= v[1] + 0.2
                                || r[1] >= v[3] - 0.2;
                            assert!(
                                inside || apart,
                                "{} seed {seed} p{}: {t:?} {r:?} overlaps {} {:?} {v:?}",
                                d.layout,
                                i + 1,
                                span.key,
                                span.printed
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn dependants_match_the_table() {
        let accepts_empty =
            mailroom_domain::validate::check_field(Class::MembershipForm, "dependants", &json!([]))
                .is_ok();
        let mut tables = 0;
        for variant in 0..LAYOUTS.len() {
            for seed in 0..200 {
                let (d, member, _) = doc(seed, variant);
                let marked: Vec<&str> = d
                    .pages
                    .iter()
                    .flat_map(|p| &p.spans)
                    .map(|s| s.key.as_str())
                    .filter(|k| k.starts_with("dependants"))
                    .collect();
                match d.fields.get("dependants") {
                    Some(list) => {
                        tables += 1;
                        let list = list.as_array().expect("a list");
                        assert_eq!(list.len(), member.dependants.len(), "{}", d.layout);
                        for (i, (got, want)) in list.iter().zip(&member.dependants).enumerate() {
                            assert_eq!(
                                fold_text(got["last_name"].as_str().unwrap()),
                                fold_text(&want.last_name)
                            );
                            assert_eq!(
                                fold_text(got["first_name"].as_str().unwrap()),
                                fold_text(&want.first_name)
                            );
                            assert_eq!(got["birth_date"], values::iso(want.birth_date));
                            for k in ["last_name", "first_name", "birth_date"] {
                                let key = format!("dependants.{i}.{k}");
                                assert!(
                                    marked.contains(&key.as_str()),
                                    "{}: {key} not marked",
                                    d.layout
                                );
                            }
                        }
                    }
                    None => {
                        // No table, or an empty one the check rule does not accept as [].
                        assert!(
                            marked.is_empty(),
                            "{}: dependants marked but not set",
                            d.layout
                        );
                        let always_table = matches!(variant, 1 | 3);
                        if always_table {
                            assert!(
                                member.dependants.is_empty() && !accepts_empty,
                                "{}: table without truth",
                                d.layout
                            );
                        }
                    }
                }
            }
        }
        assert!(
            tables > 300,
            "only {tables} forms with a filled dependants table"
        );
    }

    #[test]
    fn rates_and_variety() {
        let (mut unsigned, mut no_contact, mut hand, mut n) = (0, 0, 0, 0);
        let mut names = std::collections::BTreeSet::new();
        for seed in 0..600 {
            let (mut rng, member, mutuelle, received) = testkit::setup(seed);
            let ctx = testkit::ctx(&member, mutuelle, received);
            let d = render(&mut rng, &ctx);
            names.insert(d.layout.clone());
            n += 1;
            if d.fields["signed"] == false {
                unsigned += 1;
            }
            if !d.fields.contains_key("phone") || !d.fields.contains_key("email") {
                no_contact += 1;
            }
            let mentions = ["Lu et approuvé", "Bon pour adhésion", "lu et approuvé"];
            let uses_hand = d.pages.iter().flat_map(|p| &p.items).any(|it| {
                matches!(it, crate::doc::Item::Text { font: Font::Hand, size, text, .. } if *size >= 12.0 && !mentions.contains(&text.as_str()))
            });
            if uses_hand {
                hand += 1;
            }
        }
        assert!(names.len() >= 6, "{names:?}");
        assert!((20..=80).contains(&unsigned), "{unsigned} unsigned of {n}");
        assert!(
            no_contact >= 40,
            "{no_contact} forms without phone or e-mail of {n}"
        );
        assert!((100..=350).contains(&hand), "{hand} handwritten of {n}");
    }

    #[test]
    #[ignore]
    fn preview() {
        for variant in 0..LAYOUTS.len() {
            for seed in 0..8 {
                let (d, _, _) = doc(seed, variant);
                crate::preview(
                    &d,
                    Path::new("/tmp/preview/membership"),
                    &format!("{}-{seed}", d.layout.trim_start_matches("membership/")),
                    100,
                )
                .unwrap();
            }
        }
    }
}
