//! Documents of class `other`: what members slip into the envelope besides forms, invoices and
//! complaints — a RIB, photocopies of an identity card or a Carte Vitale, a prescription, a
//! letter announcing a change of address or bank details, an attestation de droits.
//!
//! FIELDS.md gives `other` no fields, so nothing here sets truth; identifiers that are printed
//! (IBAN, BIC, NIR, RPPS) are still marked so that later evaluation knows where they stand.

use super::{Ctx, OtherKind};
use crate::doc::{A4_W, BoxMm, Doc, DocBuilder, Rng};
use crate::fonts::{self, Font};
use crate::values::{self, DateStyle, Person, Sex, fmt_date, fmt_iban, fmt_nir, pick};
use mailroom_domain::{Class, normalize};
use rand::Rng as _;
use time::{Date, Duration, Month};

/// The designs, several per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Design {
    RibSlips,
    RibOnline,
    RibCompact,
    IdOld,
    IdNew,
    Vitale2,
    Vitale1,
    PrescClassic,
    PrescBizone,
    PrescHand,
    AddressTyped,
    AddressHand,
    BankChange,
    AttestAmeli,
    AttestCpam,
}

fn designs_of(kind: OtherKind) -> &'static [Design] {
    match kind {
        OtherKind::Rib => &[Design::RibSlips, Design::RibOnline, Design::RibCompact],
        OtherKind::IdCard => &[Design::IdOld, Design::IdNew],
        OtherKind::CarteVitale => &[Design::Vitale2, Design::Vitale1],
        OtherKind::Prescription => &[Design::PrescClassic, Design::PrescBizone, Design::PrescHand],
        OtherKind::AddressChange => &[
            Design::AddressTyped,
            Design::AddressHand,
            Design::BankChange,
        ],
        OtherKind::Attestation => &[Design::AttestAmeli, Design::AttestCpam],
    }
}

/// Draws a document of `kind` for the member of `ctx`.
pub fn render(rng: &mut Rng, ctx: &Ctx, kind: OtherKind) -> Doc {
    let design = *pick(rng, designs_of(kind));
    render_design(rng, ctx, design)
}

fn render_design(rng: &mut Rng, ctx: &Ctx, design: Design) -> Doc {
    match design {
        Design::RibSlips => rib_slips(rng, ctx),
        Design::RibOnline => rib_online(rng, ctx),
        Design::RibCompact => rib_compact(rng, ctx),
        Design::IdOld => id_old(rng, ctx),
        Design::IdNew => id_new(rng, ctx),
        Design::Vitale2 => vitale(rng, ctx, true),
        Design::Vitale1 => vitale(rng, ctx, false),
        Design::PrescClassic => prescription(rng, ctx, PrescStyle::Classic),
        Design::PrescBizone => prescription(rng, ctx, PrescStyle::Bizone),
        Design::PrescHand => prescription(rng, ctx, PrescStyle::Hand),
        Design::AddressTyped => address_change(rng, ctx, false),
        Design::AddressHand => address_change(rng, ctx, true),
        Design::BankChange => bank_change(rng, ctx),
        Design::AttestAmeli => attestation_ameli(rng, ctx),
        Design::AttestCpam => attestation_cpam(rng, ctx),
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn pk<'a>(rng: &mut Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// A signature scribble of a random size in the ranges given.
fn scribble(rng: &mut Rng, b: &mut DocBuilder, x: f32, y: f32, w: (f32, f32), h: (f32, f32)) {
    let w = rng.random_range(w.0..w.1);
    let h = rng.random_range(h.0..h.1);
    b.signature(rng, x, y, w, h);
}

/// Some phone number, as printed.
fn any_phone(rng: &mut Rng) -> String {
    let p = values::phone(rng);
    values::fmt_phone(rng, &p)
}

/// Draws an identifier and marks it under `key`.
#[allow(clippy::too_many_arguments)]
fn ident(
    b: &mut DocBuilder,
    key: &str,
    x: f32,
    y: f32,
    font: Font,
    size: f32,
    printed: &str,
) -> BoxMm {
    let bb = b.text(x, y, font, size, printed);
    b.mark(key, printed, bb);
    bb
}

fn title_case(s: &str) -> String {
    let mut out = String::new();
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = matches!(c, ' ' | '-' | '\'');
    }
    out
}

fn civ(p: &Person, long: bool) -> &'static str {
    match (p.sex, long) {
        (Sex::F, false) => "Mme",
        (Sex::M, false) => "M.",
        (Sex::F, true) => "Madame",
        (Sex::M, true) => "Monsieur",
    }
}

/// A horizontal dashed line (cut marks between RIB slips).
fn dashed(b: &mut DocBuilder, x0: f32, x1: f32, y: f32) {
    let mut x = x0;
    while x < x1 {
        b.line(x, y, (x + 1.6).min(x1), y, 0.2);
        x += 3.0;
    }
}

/// Text centred in a column.
fn center_in(
    b: &mut DocBuilder,
    x0: f32,
    x1: f32,
    y: f32,
    font: Font,
    size: f32,
    s: &str,
) -> BoxMm {
    b.text_center((x0 + x1) / 2.0, y, font, size, s)
}

/// A bank's logo: a mark made of blocks and the name.
fn bank_logo(b: &mut DocBuilder, rng: &mut Rng, x: f32, y: f32, name: &str, size: f32) -> f32 {
    let h = size * 0.45;
    match rng.random_range(0..3) {
        0 => {
            b.fill(x, y - h, h, h, 40);
        }
        1 => {
            b.fill(x, y - h, h * 0.45, h, 40);
            b.fill(x + h * 0.55, y - h, h * 0.45, h, 120);
        }
        _ => {
            b.fill(x, y - h, h, h * 0.45, 60);
            b.fill(x, y - h * 0.45, h, h * 0.45, 150);
        }
    }
    let bb = b.text(x + h + 2.0, y, Font::SansBold, size, name);
    bb[2]
}

/// A pseudo QR code: a grid of modules with the three finder squares.
fn pseudo_qr(b: &mut DocBuilder, rng: &mut Rng, x: f32, y: f32, size: f32) {
    let n = 25;
    let m = size / n as f32;
    let local = |k: usize| {
        if k < 7 {
            Some(k)
        } else if k >= n - 7 {
            Some(k - (n - 7))
        } else {
            None
        }
    };
    for i in 0..n {
        for j in 0..n {
            let finder = match (local(i), local(j)) {
                (Some(a), Some(c)) if !(i >= n - 7 && j >= n - 7) => Some((a, c)),
                _ => None,
            };
            let on = match finder {
                Some((a, c)) => {
                    a == 0
                        || a == 6
                        || c == 0
                        || c == 6
                        || ((2..=4).contains(&a) && (2..=4).contains(&c))
                }
                None => rng.random_bool(0.5),
            };
            if on {
                b.fill(x + j as f32 * m, y + i as f32 * m, m, m, 0);
            }
        }
    }
}

/// The faint grey of a photocopier around what was on the glass.
fn photocopy_shadow(b: &mut DocBuilder, rng: &mut Rng) {
    if rng.random_bool(0.5) {
        let g = rng.random_range(215..235u8);
        let w = rng.random_range(2.0..6.0f32);
        b.fill(0.0, 0.0, A4_W, w, g);
        b.fill(0.0, 0.0, w, 297.0, g);
    }
}

/// Department name with its article, and the CPAM's city, for the departments of
/// [`values::CITIES`].
fn department(code: &str) -> (&'static str, &'static str) {
    match code {
        "75" => ("de Paris", "PARIS"),
        "69" => ("du Rhône", "LYON"),
        "13" => ("des Bouches-du-Rhône", "MARSEILLE"),
        "31" => ("de la Haute-Garonne", "TOULOUSE"),
        "06" => ("des Alpes-Maritimes", "NICE"),
        "44" => ("de la Loire-Atlantique", "NANTES"),
        "67" => ("du Bas-Rhin", "STRASBOURG"),
        "34" => ("de l'Hérault", "MONTPELLIER"),
        "33" => ("de la Gironde", "BORDEAUX"),
        "59" => ("de Lille-Douai", "LILLE"),
        "35" => ("d'Ille-et-Vilaine", "RENNES"),
        "51" => ("de la Marne", "REIMS"),
        "42" => ("de la Loire", "SAINT-ÉTIENNE"),
        "83" => ("du Var", "TOULON"),
        "38" => ("de l'Isère", "GRENOBLE"),
        "21" => ("de la Côte-d'Or", "DIJON"),
        "49" => ("de Maine-et-Loire", "ANGERS"),
        "30" => ("du Gard", "NÎMES"),
        "63" => ("du Puy-de-Dôme", "CLERMONT-FERRAND"),
        "72" => ("de la Sarthe", "LE MANS"),
        "29" => ("du Finistère", "BREST"),
        "37" => ("d'Indre-et-Loire", "TOURS"),
        "80" => ("de la Somme", "AMIENS"),
        "87" => ("de la Haute-Vienne", "LIMOGES"),
        "74" => ("de la Haute-Savoie", "ANNECY"),
        "66" => ("des Pyrénées-Orientales", "PERPIGNAN"),
        "57" => ("de la Moselle", "METZ"),
        "25" => ("du Doubs", "BESANÇON"),
        "45" => ("du Loiret", "ORLÉANS"),
        "76" => ("de Rouen-Elbeuf-Dieppe", "ROUEN"),
        "14" => ("du Calvados", "CAEN"),
        "54" => ("de Meurthe-et-Moselle", "NANCY"),
        "68" => ("du Haut-Rhin", "MULHOUSE"),
        "92" => ("des Hauts-de-Seine", "NANTERRE"),
        "93" => ("de la Seine-Saint-Denis", "BOBIGNY"),
        "94" => ("du Val-de-Marne", "CRÉTEIL"),
        "95" => ("du Val-d'Oise", "CERGY-PONTOISE"),
        "78" => ("des Yvelines", "VERSAILLES"),
        "64" => ("de Béarn et Soule", "PAU"),
        "17" => ("de la Charente-Maritime", "LA ROCHELLE"),
        "2A" => ("de la Corse-du-Sud", "AJACCIO"),
        "2B" => ("de la Haute-Corse", "BASTIA"),
        "974" => ("de La Réunion", "SAINT-DENIS"),
        "86" => ("de la Vienne", "POITIERS"),
        "56" => ("du Morbihan", "VANNES"),
        "01" => ("de l'Ain", "BOURG-EN-BRESSE"),
        "26" => ("de la Drôme", "VALENCE"),
        "73" => ("de la Savoie", "CHAMBÉRY"),
        "84" => ("de Vaucluse", "AVIGNON"),
        "62" => ("de l'Artois", "ARRAS"),
        "71" => ("de Saône-et-Loire", "MÂCON"),
        "18" => ("du Cher", "BOURGES"),
        _ => ("de Paris", "PARIS"),
    }
}

fn dept_of_postal(ctx: &Ctx) -> &'static str {
    let cp = &ctx.member.address.postal_code;
    values::CITIES
        .iter()
        .find(|(c, _, _)| c == cp)
        .map(|(_, _, d)| *d)
        .unwrap_or("75")
}

/// Birth department and city from the NIR (digits 6–7, or 3 digits overseas).
fn birth_place(p: &Person) -> (String, String) {
    let dept = if p.nir.get(5..7) == Some("97") {
        p.nir.get(5..8).unwrap_or("97")
    } else {
        p.nir.get(5..7).unwrap_or("75")
    };
    let city = values::CITIES
        .iter()
        .find(|(_, _, d)| *d == dept)
        .map(|(_, c, _)| *c)
        .unwrap_or("Paris");
    (dept.to_string(), city.to_string())
}

const SECOND_F: &[&str] = &[
    "Marie",
    "Anne",
    "Louise",
    "Claire",
    "Jeanne",
    "Sophie",
    "Hélène",
    "Françoise",
];
const SECOND_M: &[&str] = &[
    "Jean", "Pierre", "Louis", "Marie", "Paul", "André", "Michel", "Joseph",
];

fn given_names(rng: &mut Rng, p: &Person) -> Vec<String> {
    let mut v = vec![p.first_name.clone()];
    if rng.random_bool(0.6) {
        let list = if p.sex == Sex::F { SECOND_F } else { SECOND_M };
        let s = pk(rng, list);
        if s != p.first_name {
            v.push(s.to_string());
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// RIB

const RIB_NOTICE: &str = "Ce relevé est destiné à être remis, sur leur demande, à vos créanciers ou débiteurs appelés à faire inscrire des opérations à votre compte (virements, paiements de quittances, etc.). Son utilisation vous garantit le bon enregistrement des opérations en cause et vous évite ainsi des réclamations pour erreurs ou retards d'imputation.";

fn holder_lines(rng: &mut Rng, ctx: &Ctx) -> Vec<String> {
    let p = &ctx.member.person;
    let a = &ctx.member.address;
    let name = match rng.random_range(0..3) {
        0 => format!(
            "{} {} {}",
            civ(p, false).to_uppercase(),
            p.last_name,
            p.first_name.to_uppercase()
        ),
        1 => format!("{} {} {}", civ(p, true), p.first_name, p.last_name),
        _ => format!(
            "{} OU {} {}",
            if p.sex == Sex::F { "MME" } else { "M." },
            p.last_name,
            p.first_name.to_uppercase()
        ),
    };
    let mut v = vec![name, a.street.to_uppercase()];
    if let Some(c) = &a.complement {
        v.push(c.to_uppercase());
    }
    v.push(format!("{} {}", a.postal_code, a.city.to_uppercase()));
    v
}

/// The classic bank RIB: one to three identical slips with cut lines.
fn rib_slips(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Other, "other/rib-slips");
    let bank = &ctx.member.bank;
    let n = rng.random_range(1..=3usize);
    let holder = holder_lines(rng, ctx);
    let x0 = rng.random_range(14.0..20.0f32);
    let w = 196.0 - x0 - rng.random_range(0.0..4.0);
    let h = 80.0;
    let mut y0 = rng.random_range(14.0..22.0f32);
    let logo_variant = rng.random_range(0..3u8);
    let bic_label = pk(rng, &["BIC", "Code BIC", "BIC (Bank Identifier Code)"]);
    let iban_label = pk(
        rng,
        &[
            "IBAN",
            "IBAN (International Bank Account Number)",
            "Identifiant international (IBAN)",
        ],
    );
    for i in 0..n {
        if i > 0 {
            dashed(&mut b, 12.0, 198.0, y0 - 5.0);
        }
        b.rect(x0, y0, w, h, 0.3);
        let xl = x0 + 5.0;
        // The same logo design on every slip.
        let mut lrng = <Rng as rand::SeedableRng>::seed_from_u64(u64::from(logo_variant));
        bank_logo(&mut b, &mut lrng, xl, y0 + 10.0, bank.name, 12.0);
        b.text_right(
            x0 + w - 5.0,
            y0 + 9.0,
            Font::SansBold,
            9.5,
            "RELEVÉ D'IDENTITÉ BANCAIRE",
        );
        b.text_gray(xl, y0 + 18.0, Font::Sans, 7.5, "Titulaire du compte", 70);
        let mut y = y0 + 22.5;
        for (k, l) in holder.iter().enumerate() {
            b.text(
                xl,
                y,
                if k == 0 { Font::SansBold } else { Font::Sans },
                9.0,
                l,
            );
            y += 4.0;
        }
        let xd = x0 + w * 0.58;
        b.text_gray(xd, y0 + 18.0, Font::Sans, 7.5, "Domiciliation", 70);
        b.text(xd, y0 + 22.5, Font::Sans, 9.0, &bank.branch_name);
        b.text(
            xd,
            y0 + 26.5,
            Font::Sans,
            9.0,
            &format!("Tél. : {}", any_phone(rng)),
        );
        // Table of the French RIB.
        let ty = y0 + 43.0;
        let cols = [0.0, 0.17, 0.34, 0.66, 0.80, 1.0].map(|f| xl + f * (w - 10.0));
        let heads = [
            "Code banque",
            "Code guichet",
            "Numéro de compte",
            "Clé RIB",
            "Devise",
        ];
        let vals = [
            bank.bank_code.as_str(),
            bank.branch_code.as_str(),
            bank.account.as_str(),
            bank.rib_key.as_str(),
            "EUR",
        ];
        b.fill(cols[0], ty, cols[5] - cols[0], 5.0, 225);
        b.rect(cols[0], ty, cols[5] - cols[0], 12.0, 0.25);
        b.line(cols[0], ty + 5.0, cols[5], ty + 5.0, 0.2);
        for k in 0..5 {
            if k > 0 {
                b.line(cols[k], ty, cols[k], ty + 12.0, 0.2);
            }
            center_in(
                &mut b,
                cols[k],
                cols[k + 1],
                ty + 3.7,
                Font::Sans,
                7.5,
                heads[k],
            );
            center_in(
                &mut b,
                cols[k],
                cols[k + 1],
                ty + 10.3,
                Font::Mono,
                10.0,
                vals[k],
            );
        }
        let iy = ty + 21.0;
        let lb = b.text(xl, iy, Font::SansBold, 8.5, iban_label);
        ident(
            &mut b,
            "iban",
            lb[2] + 3.0,
            iy,
            Font::Mono,
            10.5,
            &fmt_iban(&bank.iban),
        );
        let by = iy + 6.5;
        let lb = b.text(xl, by, Font::SansBold, 8.5, bic_label);
        ident(&mut b, "bic", lb[2] + 3.0, by, Font::Mono, 10.5, &bank.bic);
        y0 += h + 10.0;
    }
    if n == 1 {
        b.paragraph(x0, y0 + 2.0, w, Font::Sans, 8.0, 3.6, RIB_NOTICE);
    } else if n == 2 && rng.random_bool(0.6) {
        b.paragraph(x0, y0 + 2.0, w, Font::SansItalic, 7.5, 3.4, RIB_NOTICE);
    }
    b.finish()
}

/// A RIB printed from online banking: header band, label/value list, QR code.
fn rib_online(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Other, "other/rib-online");
    let bank = &ctx.member.bank;
    let p = &ctx.member.person;
    let edited = values::date_before(rng, ctx.received, 0, 40);
    let font = *pick(rng, &[Font::Sans, Font::Dejavu, Font::Narrow]);
    let bold = match font {
        Font::Dejavu => Font::DejavuBold,
        Font::Narrow => Font::NarrowBold,
        _ => Font::SansBold,
    };
    b.fill(12.0, 14.0, 186.0, 18.0, 228);
    bank_logo(&mut b, rng, 17.0, 26.0, bank.name, 15.0);
    b.text_right(
        193.0,
        25.0,
        font,
        9.0,
        pk(
            rng,
            &["Espace client", "Ma banque en ligne", "Banque à distance"],
        ),
    );
    b.text(
        17.0,
        46.0,
        bold,
        15.0,
        pk(
            rng,
            &[
                "Relevé d'Identité Bancaire",
                "Mes coordonnées bancaires",
                "RIB / IBAN",
            ],
        ),
    );
    b.text_right(
        193.0,
        46.0,
        font,
        9.0,
        &format!("Édité le {}", fmt_date(edited, DateStyle::Slash)),
    );
    b.fill(17.0, 50.0, 176.0, 0.5, 60);
    let mut y = 62.0;
    b.text(17.0, y, bold, 11.0, "Titulaire du compte");
    y += 7.0;
    let name = format!("{} {} {}", civ(p, false), p.first_name, p.last_name);
    b.text(22.0, y, font, 10.5, &name);
    y += 5.0;
    let a = &ctx.member.address;
    b.text(22.0, y, font, 10.0, &a.street);
    y += 5.0;
    if let Some(c) = &a.complement {
        b.text(22.0, y, font, 10.0, c);
        y += 5.0;
    }
    b.text(
        22.0,
        y,
        font,
        10.0,
        &format!("{} {}", a.postal_code, a.city),
    );
    y += 12.0;
    b.text(17.0, y, bold, 11.0, "Coordonnées bancaires");
    let qr_y = y - 4.0;
    y += 8.0;
    let lx = 22.0;
    let vx = 72.0;
    let rows: Vec<(&str, String, Option<&str>)> = vec![
        ("IBAN", fmt_iban(&bank.iban), Some("iban")),
        ("BIC", bank.bic.clone(), Some("bic")),
        ("Code banque", bank.bank_code.clone(), None),
        ("Code guichet", bank.branch_code.clone(), None),
        ("Numéro de compte", bank.account.clone(), None),
        ("Clé RIB", bank.rib_key.clone(), None),
        ("Domiciliation", bank.branch_name.clone(), None),
    ];
    let mono = rng.random_bool(0.5);
    for (k, (label, value, key)) in rows.iter().enumerate() {
        if k % 2 == 0 {
            b.fill(lx - 3.0, y - 5.0, 128.0, 7.5, 242);
        }
        b.text(lx, y, font, 9.5, label);
        let vf = if mono && key.is_some() {
            Font::Mono
        } else {
            bold
        };
        match key {
            Some(key) => {
                ident(&mut b, key, vx, y, vf, 10.0, value);
            }
            None => {
                b.text(vx, y, font, 10.0, value);
            }
        }
        y += 7.5;
    }
    pseudo_qr(&mut b, rng, 158.0, qr_y, 30.0);
    b.text_gray(
        158.0,
        qr_y + 35.0,
        font,
        7.5,
        "Scannez pour copier l'IBAN",
        80,
    );
    y += 10.0;
    b.paragraph(17.0, y, 176.0, font, 8.0, 3.6, RIB_NOTICE);
    b.text_gray(
        17.0,
        285.0,
        font,
        7.5,
        &format!(
            "{} - Document édité depuis votre espace client - page 1/1",
            bank.name
        ),
        90,
    );
    b.finish()
}

/// A compact IBAN card, as newer banks print it: IBAN large, the RIB numbers in one row.
fn rib_compact(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Other, "other/rib-compact");
    let bank = &ctx.member.bank;
    let p = &ctx.member.person;
    let x0 = rng.random_range(18.0..40.0f32);
    let y0 = rng.random_range(18.0..60.0f32);
    let w = 140.0;
    b.rect(x0, y0, w, 70.0, 0.5);
    b.fill(x0, y0, 6.0, 70.0, 90);
    let xl = x0 + 11.0;
    b.text(xl, y0 + 11.0, Font::SansBold, 16.0, "RIB");
    b.text_right(x0 + w - 6.0, y0 + 11.0, Font::SansBold, 10.0, bank.name);
    b.text_gray(xl, y0 + 19.0, Font::Sans, 7.5, "TITULAIRE", 80);
    b.text(
        xl,
        y0 + 24.0,
        Font::Sans,
        10.0,
        &format!("{} {}", p.first_name.to_uppercase(), p.last_name),
    );
    b.text_gray(xl, y0 + 32.0, Font::Sans, 7.5, "IBAN", 80);
    ident(
        &mut b,
        "iban",
        xl,
        y0 + 38.5,
        Font::MonoBold,
        11.0,
        &fmt_iban(&bank.iban),
    );
    b.text_gray(xl, y0 + 46.0, Font::Sans, 7.5, "BIC", 80);
    ident(
        &mut b,
        "bic",
        xl,
        y0 + 51.5,
        Font::MonoBold,
        11.0,
        &bank.bic,
    );
    let labels = ["Banque", "Guichet", "N° de compte", "Clé"];
    let vals = [
        &bank.bank_code,
        &bank.branch_code,
        &bank.account,
        &bank.rib_key,
    ];
    let xs = [xl, xl + 22.0, xl + 44.0, xl + 84.0];
    for k in 0..4 {
        b.text_gray(xs[k], y0 + 58.5, Font::Sans, 7.5, labels[k], 80);
        b.text(xs[k], y0 + 64.0, Font::Mono, 9.5, vals[k]);
    }
    if rng.random_bool(0.6) {
        b.paragraph(x0, y0 + 80.0, w, Font::Sans, 8.0, 3.6, "Communiquez ce RIB à vos créanciers ou débiteurs pour vos virements et prélèvements. Ne le transmettez jamais en réponse à un message non sollicité.");
    }
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// Cards (photocopies)

/// A card drawn at scale `s` from (x, y).
#[derive(Clone, Copy)]
struct Card {
    x: f32,
    y: f32,
    s: f32,
}

const CARD_W: f32 = 85.6;
const CARD_H: f32 = 54.0;

impl Card {
    fn px(&self, dx: f32) -> f32 {
        self.x + dx * self.s
    }
    fn py(&self, dy: f32) -> f32 {
        self.y + dy * self.s
    }
    fn pt(&self, size: f32) -> f32 {
        size * self.s
    }
    fn w(&self) -> f32 {
        CARD_W * self.s
    }
    fn h(&self) -> f32 {
        CARD_H * self.s
    }
    fn frame(&self, b: &mut DocBuilder, gray: u8) {
        b.fill(self.x, self.y, self.w(), self.h(), gray);
        b.rect(self.x, self.y, self.w(), self.h(), 0.3);
    }
    #[allow(clippy::too_many_arguments)]
    fn text(&self, b: &mut DocBuilder, dx: f32, dy: f32, font: Font, size: f32, s: &str) -> BoxMm {
        b.text(self.px(dx), self.py(dy), font, self.pt(size), s)
    }
    fn gray_text(&self, b: &mut DocBuilder, dx: f32, dy: f32, size: f32, s: &str) -> BoxMm {
        b.text_gray(self.px(dx), self.py(dy), Font::Sans, self.pt(size), s, 70)
    }
    /// A photo: grey block with a rough head-and-shoulders silhouette.
    fn photo(&self, b: &mut DocBuilder, dx: f32, dy: f32, w: f32, h: f32, bg: u8) {
        let (x, y, w, h) = (self.px(dx), self.py(dy), w * self.s, h * self.s);
        b.fill(x, y, w, h, bg);
        let cx = x + w / 2.0;
        let (rx, ry) = (w * 0.22, h * 0.24);
        let cy = y + h * 0.36;
        let n = 24;
        for i in 0..n {
            let t = -1.0 + 2.0 * (i as f32 + 0.5) / n as f32;
            let hw = rx * (1.0 - t * t).sqrt();
            b.fill(
                cx - hw,
                cy + t * ry,
                2.0 * hw,
                2.0 * ry / n as f32 + 0.05,
                95,
            );
        }
        b.fill(cx - rx * 0.4, cy + ry * 0.9, rx * 0.8, h * 0.1, 95);
        let top = cy + ry * 0.9 + h * 0.08;
        let m = 12;
        for i in 0..m {
            let t = i as f32 / m as f32;
            let hw = rx * (1.0 + 1.3 * t.sqrt());
            let yy = top + t * (y + h - top);
            b.fill(cx - hw, yy, 2.0 * hw, (y + h - top) / m as f32 + 0.05, 95);
        }
    }
}

fn mrz_value(c: char) -> u32 {
    match c {
        '0'..='9' => c as u32 - '0' as u32,
        'A'..='Z' => c as u32 - 'A' as u32 + 10,
        _ => 0,
    }
}

/// ICAO 9303 check digit (weights 7, 3, 1).
fn mrz_check(s: &str) -> char {
    let w = [7, 3, 1];
    let sum: u32 = s
        .chars()
        .enumerate()
        .map(|(i, c)| mrz_value(c) * w[i % 3])
        .sum();
    char::from(b'0' + (sum % 10) as u8)
}

/// A name for the MRZ: upper case ASCII, anything else as `<`.
fn mrz_name(s: &str) -> String {
    normalize::fold_text(s)
        .to_uppercase()
        .chars()
        .map(|c| if c.is_ascii_uppercase() { c } else { '<' })
        .collect()
}

fn pad(s: &str, n: usize) -> String {
    let mut v: String = s.chars().take(n).collect();
    while v.chars().count() < n {
        v.push('<');
    }
    v
}

fn yymmdd(d: Date) -> String {
    format!(
        "{:02}{:02}{:02}",
        d.year() % 100,
        u8::from(d.month()),
        d.day()
    )
}

/// The old (1994–2021) laminated identity card, recto and sometimes verso.
fn id_old(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Other, "other/id-card-old");
    photocopy_shadow(&mut b, rng);
    let p = &ctx.member.person;
    let both = rng.random_bool(0.6);
    // Recto and verso side by side only fit at (nearly) actual size.
    let side_by_side = both && rng.random_bool(0.35);
    let s = if side_by_side {
        rng.random_range(1.0..1.04f32)
    } else {
        rng.random_range(1.15..1.4f32)
    };
    let x = if side_by_side {
        rng.random_range(13.0..14.0)
    } else {
        rng.random_range(16.0..(196.0 - CARD_W * s))
    };
    let y = rng.random_range(18.0..50.0f32);
    let c = Card { x, y, s };
    c.frame(&mut b, 238);
    let (dept, city) = birth_place(p);
    let issue = values::date_between(
        rng,
        Date::from_calendar_date(2012, Month::January, 1).unwrap_or(ctx.received),
        Date::from_calendar_date(2021, Month::February, 28).unwrap_or(ctx.received),
    );
    let office = format!("{:0>3}", dept_of_postal(ctx))
        .chars()
        .take(3)
        .collect::<String>();
    let number = format!(
        "{:02}{:02}{}{}",
        issue.year() % 100,
        u8::from(issue.month()),
        office,
        digits(rng, 5)
    );
    c.text(
        &mut b,
        24.0,
        5.5,
        Font::SansBold,
        6.5,
        "RÉPUBLIQUE FRANÇAISE",
    );
    c.text(
        &mut b,
        24.0,
        10.5,
        Font::Sans,
        6.0,
        "CARTE NATIONALE D'IDENTITÉ N° :",
    );
    c.text(&mut b, 59.0, 10.5, Font::MonoBold, 7.0, &number);
    c.photo(&mut b, 3.5, 13.0, 20.0, 26.0, 205);
    let given = given_names(rng, p);
    let rows = [
        ("Nom :", p.last_name.clone()),
        ("Prénom(s) :", given.join(", ")),
        (
            "Sexe :",
            if p.sex == Sex::F {
                "F".into()
            } else {
                "M".into()
            },
        ),
        (
            "Né(e) le :",
            format!(
                "{:02}.{:02}.{}",
                p.birth_date.day(),
                u8::from(p.birth_date.month()),
                p.birth_date.year()
            ),
        ),
        ("à :", format!("{} ({dept})", city.to_uppercase())),
        (
            "Taille :",
            format!("{},{:02} m", 1, rng.random_range(52..92)),
        ),
    ];
    let mut dy = 16.5;
    for (label, value) in &rows {
        let lb = c.gray_text(&mut b, 26.0, dy, 5.5, label);
        b.text(lb[2] + 1.5, c.py(dy), Font::SansBold, c.pt(7.0), value);
        dy += 4.4;
    }
    c.gray_text(&mut b, 26.0, dy + 0.5, 5.0, "Signature du titulaire :");
    let (sx, sy) = (c.px(52.0), c.py(dy - 3.5));
    b.signature(rng, sx, sy, 20.0 * s, 6.0 * s);
    // MRZ
    let l1 = format!(
        "IDFRA{}{}{}",
        pad(&mrz_name(&p.last_name), 25),
        office,
        digits(rng, 3)
    );
    let given_mrz = pad(
        &given
            .iter()
            .map(|g| mrz_name(g))
            .collect::<Vec<_>>()
            .join("<<"),
        14,
    );
    let birth = yymmdd(p.birth_date);
    let head = format!(
        "{number}{}{given_mrz}{birth}{}{}",
        mrz_check(&number),
        mrz_check(&birth),
        if p.sex == Sex::F { 'F' } else { 'M' }
    );
    let l2 = format!("{head}{}", mrz_check(&head));
    let mrz_size = 9.5f32.max(7.6 * s);
    let mw = fonts::width_mm(Font::Mono, mrz_size, &l1);
    let mx = c.x + (c.w() - mw) / 2.0;
    b.fill(c.x + 0.3, c.py(44.0), c.w() - 0.6, c.h() - 44.3 * s, 250);
    b.text(mx, c.py(48.0), Font::Mono, mrz_size, &l1);
    b.text(mx, c.py(52.3), Font::Mono, mrz_size, &l2);
    if both {
        let v = if side_by_side {
            Card {
                x: c.x + c.w() + 4.0,
                y,
                s,
            }
        } else {
            Card {
                x,
                y: y + c.h() + rng.random_range(8.0..25.0),
                s,
            }
        };
        v.frame(&mut b, 238);
        let a = &ctx.member.address;
        v.gray_text(&mut b, 5.0, 8.0, 5.5, "Adresse :");
        v.text(
            &mut b,
            5.0,
            12.5,
            Font::SansBold,
            7.0,
            &a.street.to_uppercase(),
        );
        v.text(
            &mut b,
            5.0,
            16.5,
            Font::SansBold,
            7.0,
            &format!("{} {}", a.postal_code, a.city.to_uppercase()),
        );
        let until = Date::from_calendar_date(issue.year() + 15, issue.month(), 1).unwrap_or(issue);
        v.gray_text(&mut b, 5.0, 24.0, 5.5, "Carte valable jusqu'au :");
        v.text(
            &mut b,
            34.0,
            24.0,
            Font::SansBold,
            7.0,
            &fmt_date(until, DateStyle::DotShort),
        );
        v.gray_text(&mut b, 5.0, 29.0, 5.5, "délivrée le :");
        v.text(
            &mut b,
            34.0,
            29.0,
            Font::SansBold,
            7.0,
            &fmt_date(issue, DateStyle::DotShort),
        );
        let (dname, _) = department(dept_of_postal(ctx));
        v.gray_text(&mut b, 5.0, 34.0, 5.5, "par :");
        v.text(
            &mut b,
            12.0,
            34.0,
            Font::SansBold,
            6.5,
            &format!("PRÉFECTURE {}", dname.to_uppercase()),
        );
        v.gray_text(&mut b, 5.0, 41.0, 5.0, "Signature de l'autorité :");
        b.signature(rng, v.px(40.0), v.py(38.0), 22.0 * s, 8.0 * s);
        b.rect(v.px(66.0), v.py(36.0), 14.0 * s, 14.0 * s, 0.3);
        v.gray_text(&mut b, 67.0, 44.0, 4.5, "TIMBRE");
    }
    b.finish()
}

/// The 2021 identity card (ID-1 format): bilingual labels, document number, MRZ on the back.
fn id_new(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Other, "other/id-card-2021");
    photocopy_shadow(&mut b, rng);
    let p = &ctx.member.person;
    let s = rng.random_range(1.2..1.45f32);
    let x = rng.random_range(16.0..(196.0 - CARD_W * s));
    let y = rng.random_range(16.0..40.0f32);
    let c = Card { x, y, s };
    c.frame(&mut b, 232);
    let from = Date::from_calendar_date(2021, Month::August, 2).unwrap_or(ctx.received);
    let issue = if ctx.received > from {
        values::date_between(rng, from, ctx.received - Duration::days(20))
    } else {
        from
    };
    let expiry = Date::from_calendar_date(issue.year() + 10, issue.month(), issue.day().min(28))
        .unwrap_or(issue);
    let letters = b"ABCDEFGHJKLMNPRTUVWXYZ0123456789";
    let docnum: String = (0..9)
        .map(|_| char::from(letters[rng.random_range(0..letters.len())]))
        .collect();
    c.text(
        &mut b,
        4.0,
        5.0,
        Font::SansBold,
        5.5,
        "RÉPUBLIQUE FRANÇAISE",
    );
    c.text(
        &mut b,
        4.0,
        9.5,
        Font::SansBold,
        6.0,
        "CARTE NATIONALE D'IDENTITÉ / IDENTITY CARD",
    );
    c.photo(&mut b, 4.0, 14.0, 22.0, 29.0, 205);
    let given = given_names(rng, p);
    let fields: [(&str, String, f32, f32); 7] = [
        ("NOM / Surname", p.last_name.clone(), 30.0, 17.0),
        ("Prénoms / Given names", given.join(", "), 30.0, 23.5),
        (
            "SEXE / Sex",
            if p.sex == Sex::F {
                "F".into()
            } else {
                "M".into()
            },
            30.0,
            30.0,
        ),
        ("NATIONALITÉ / Nationality", "FRA".into(), 46.0, 30.0),
        (
            "DATE DE NAISS. / Date of birth",
            fmt_date(p.birth_date, DateStyle::Slash).replace('/', " "),
            30.0,
            36.5,
        ),
        ("N° DU DOCUMENT / Document No", docnum.clone(), 30.0, 43.0),
        (
            "DATE D'EXPIR. / Expiry date",
            fmt_date(expiry, DateStyle::Slash).replace('/', " "),
            58.0,
            43.0,
        ),
    ];
    for (label, value, dx, dy) in &fields {
        c.gray_text(&mut b, *dx, *dy - 3.2, 4.3, label);
        c.text(&mut b, *dx, *dy, Font::SansBold, 7.0, value);
    }
    let (dept, city) = birth_place(p);
    c.gray_text(&mut b, 58.0, 33.3, 4.3, "LIEU DE NAISSANCE");
    c.text(
        &mut b,
        58.0,
        36.5,
        Font::SansBold,
        6.5,
        &format!("{} ({dept})", city.to_uppercase()),
    );
    b.signature(rng, c.px(60.0), c.py(46.5), 16.0 * s, 5.0 * s);
    // Verso with the three-line MRZ.
    let v = Card {
        x,
        y: y + c.h() + rng.random_range(8.0..20.0),
        s,
    };
    v.frame(&mut b, 232);
    let a = &ctx.member.address;
    v.gray_text(&mut b, 4.0, 6.0, 4.3, "ADRESSE / Address");
    v.text(
        &mut b,
        4.0,
        10.0,
        Font::SansBold,
        6.5,
        &format!(
            "{}, {} {}",
            a.street.to_uppercase(),
            a.postal_code,
            a.city.to_uppercase()
        ),
    );
    v.gray_text(&mut b, 4.0, 16.0, 4.3, "DATE DE DÉLIVRANCE / Date of issue");
    v.text(
        &mut b,
        4.0,
        20.0,
        Font::SansBold,
        6.5,
        &fmt_date(issue, DateStyle::Slash).replace('/', " "),
    );
    let (dname, _) = department(dept_of_postal(ctx));
    v.gray_text(&mut b, 40.0, 16.0, 4.3, "AUTORITÉ / Authority");
    v.text(
        &mut b,
        40.0,
        20.0,
        Font::SansBold,
        6.0,
        &format!("Préfecture {dname}"),
    );
    let l1 = pad(&format!("IDFRA{docnum}{}", mrz_check(&docnum)), 30);
    let body = format!(
        "{}{}{}{}{}FRA",
        yymmdd(p.birth_date),
        mrz_check(&yymmdd(p.birth_date)),
        if p.sex == Sex::F { 'F' } else { 'M' },
        yymmdd(expiry),
        mrz_check(&yymmdd(expiry))
    );
    let body = pad(&body, 29);
    let l2 = format!("{body}{}", mrz_check(&format!("{}{}", &l1[5..30], &body)));
    let l3 = pad(
        &format!(
            "{}<<{}",
            mrz_name(&p.last_name),
            given
                .iter()
                .map(|g| mrz_name(g))
                .collect::<Vec<_>>()
                .join("<")
        ),
        30,
    );
    let mrz_size = 9.5f32.max(8.0 * s);
    let mw = fonts::width_mm(Font::Mono, mrz_size, &l1);
    let mx = v.x + (v.w() - mw) / 2.0;
    b.fill(v.x + 0.3, v.py(30.0), v.w() - 0.6, v.h() - 30.3 * s, 250);
    for (k, l) in [l1, l2, l3].iter().enumerate() {
        b.text(mx, v.py(37.0 + 7.0 * k as f32), Font::Mono, mrz_size, l);
    }
    b.finish()
}

/// A Carte Vitale photocopy: the version 2 card (with photo) or the original green card.
fn vitale(rng: &mut Rng, ctx: &Ctx, v2: bool) -> Doc {
    let mut b = DocBuilder::new(
        Class::Other,
        if v2 {
            "other/carte-vitale-2"
        } else {
            "other/carte-vitale-1"
        },
    );
    photocopy_shadow(&mut b, rng);
    // Often the card of a dependant is sent too; the photocopy shows whose card it is.
    let p = if !ctx.member.dependants.is_empty() && rng.random_bool(0.25) {
        pick(rng, &ctx.member.dependants)
    } else {
        &ctx.member.person
    };
    let s = rng.random_range(1.15..1.5f32);
    let x = rng.random_range(16.0..(196.0 - CARD_W * s));
    let y = rng.random_range(16.0..70.0f32);
    let c = Card { x, y, s };
    // Green-grey card with a lighter (yellow) band.
    if v2 {
        b.fill(c.x, c.y, c.w(), 36.0 * s, 200);
        b.fill(c.x, c.py(36.0), c.w(), 18.0 * s, 228);
    } else {
        b.fill(c.x, c.y, 52.0 * s, c.h(), 222);
        b.fill(c.px(52.0), c.y, 33.6 * s, c.h(), 238);
    }
    b.rect(c.x, c.y, c.w(), c.h(), 0.3);
    // Chip.
    let (chx, chy) = if v2 { (6.0, 17.0) } else { (8.0, 20.0) };
    b.fill(c.px(chx), c.py(chy), 11.0 * s, 9.0 * s, 175);
    b.rect(c.px(chx), c.py(chy), 11.0 * s, 9.0 * s, 0.25);
    b.line(
        c.px(chx),
        c.py(chy + 4.5),
        c.px(chx + 11.0),
        c.py(chy + 4.5),
        0.2,
    );
    b.line(
        c.px(chx + 5.5),
        c.py(chy),
        c.px(chx + 5.5),
        c.py(chy + 9.0),
        0.2,
    );
    let nir = fmt_nir(&p.nir, true);
    let name_up = format!(
        "{} {}",
        normalize::fold_text(&p.first_name).to_uppercase(),
        p.last_name
    );
    if v2 {
        c.text(&mut b, 5.0, 8.5, Font::SerifItalic, 10.0, "carte");
        c.text(&mut b, 16.0, 8.5, Font::SerifBold, 12.0, "Vitale");
        c.gray_text(&mut b, 5.0, 13.0, 4.5, "Assurance Maladie");
        c.photo(&mut b, 62.0, 5.0, 19.0, 24.0, 170);
        c.text(&mut b, 5.0, 41.5, Font::SansBold, 7.5, &name_up);
        let bb = b.text(
            c.px(5.0),
            c.py(48.5),
            Font::MonoBold,
            c.pt(8.5).max(9.0),
            &nir,
        );
        b.mark("nir", &nir, bb);
        c.gray_text(&mut b, 62.0, 32.0, 4.5, &format!("N° {}", digits(rng, 9)));
    } else {
        c.text(
            &mut b,
            5.0,
            8.0,
            Font::SansBold,
            6.0,
            "carte d'assurance maladie",
        );
        c.text(&mut b, 5.0, 15.0, Font::SerifBold, 12.0, "vitale");
        c.text(&mut b, 24.0, 27.0, Font::SansBold, 7.5, &name_up);
        let bb = b.text(
            c.px(5.0),
            c.py(38.0),
            Font::MonoBold,
            c.pt(8.5).max(9.0),
            &nir,
        );
        b.mark("nir", &nir, bb);
        let issued = values::date_before(rng, ctx.received, 400, 4000);
        c.gray_text(
            &mut b,
            5.0,
            46.0,
            4.5,
            &format!(
                "Date de délivrance : {}",
                fmt_date(issued, DateStyle::Slash)
            ),
        );
    }
    if rng.random_bool(0.4) {
        let v = Card {
            x,
            y: y + c.h() + rng.random_range(8.0..20.0),
            s,
        };
        v.frame(&mut b, 215);
        v.text(
            &mut b,
            5.0,
            8.0,
            Font::SansBold,
            5.5,
            "Cette carte est strictement personnelle.",
        );
        let lines = [
            "Présentez-la à chaque professionnel de santé.",
            "En cas de perte ou de vol, déclarez-le sans délai",
            "à votre caisse d'assurance maladie.",
            "Mettez-la à jour une fois par an en pharmacie.",
        ];
        for (k, l) in lines.iter().enumerate() {
            v.text(&mut b, 5.0, 14.0 + 4.5 * k as f32, Font::Sans, 5.0, l);
        }
        v.gray_text(&mut b, 5.0, 40.0, 4.5, "Signature du titulaire");
        b.signature(rng, v.px(40.0), v.py(36.0), 22.0 * s, 7.0 * s);
    }
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// Prescription

#[derive(Clone, Copy, PartialEq, Eq)]
enum PrescStyle {
    Classic,
    Bizone,
    Hand,
}

const DRUGS: &[(&str, &str)] = &[
    (
        "DOLIPRANE 1000 mg, comprimé",
        "1 comprimé jusqu'à 3 fois par jour si douleur, pendant 5 jours",
    ),
    (
        "AMOXICILLINE 1 g, comprimé dispersible",
        "1 comprimé matin et soir pendant 6 jours",
    ),
    (
        "IBUPROFÈNE 400 mg, comprimé pelliculé",
        "1 comprimé 3 fois par jour au cours des repas, 5 jours",
    ),
    (
        "LEVOTHYROX 75 µg, comprimé",
        "1 comprimé le matin à jeun. QSP 3 mois",
    ),
    (
        "KARDEGIC 75 mg, poudre",
        "1 sachet par jour au cours du repas. QSP 3 mois",
    ),
    (
        "METFORMINE 850 mg, comprimé",
        "1 comprimé matin et soir. QSP 3 mois, à renouveler",
    ),
    (
        "ATORVASTATINE 20 mg, comprimé",
        "1 comprimé le soir. QSP 3 mois",
    ),
    (
        "VENTOLINE 100 µg/dose, suspension pour inhalation",
        "2 bouffées en cas de gêne respiratoire",
    ),
    (
        "OMÉPRAZOLE 20 mg, gélule",
        "1 gélule le matin pendant 4 semaines",
    ),
    (
        "SPASFON, comprimé",
        "2 comprimés en cas de douleur, maximum 6 par jour",
    ),
    (
        "SÉRUM PHYSIOLOGIQUE, unidoses",
        "lavage des yeux 2 fois par jour",
    ),
    (
        "DAFALGAN 500 mg, gélule",
        "1 à 2 gélules toutes les 6 heures si fièvre",
    ),
    ("AMLODIPINE 5 mg, gélule", "1 gélule par jour. QSP 3 mois"),
    ("XYZALL 5 mg, comprimé", "1 comprimé le soir pendant 1 mois"),
    (
        "BISEPTINE, solution",
        "2 applications par jour sur la plaie",
    ),
];

const SPECIALTIES: &[&str] = &[
    "Médecin généraliste",
    "Médecine générale",
    "Ophtalmologiste",
    "Oto-rhino-laryngologiste",
    "Rhumatologue",
    "Pédiatre",
    "Médecin généraliste - Ostéopathie",
];

fn optic_line(rng: &mut Rng, base: i32) -> String {
    let sph = (base + rng.random_range(-3..=3)) as f32 * 0.25;
    let cyl = -(rng.random_range(0..=8) as f32) * 0.25;
    let axis = rng.random_range(0..36) * 5;
    let f = |v: f32| {
        let s = format!("{:+.2}", v).replace('.', ",");
        if v == 0.0 { "0,00".to_string() } else { s }
    };
    if cyl == 0.0 {
        f(sph)
    } else {
        format!("{} ({} à {}°)", f(sph), f(cyl), axis)
    }
}

/// The lines of a prescription for the doctor's specialty.
fn presc_lines(rng: &mut Rng, specialty: &str, drugs_only: bool) -> Vec<(String, Option<String>)> {
    let base = rng.random_range(-20..=12);
    match if drugs_only { "" } else { specialty } {
        "Ophtalmologiste" => {
            let mut v = vec![
                ("Verres correcteurs :".to_string(), None),
                (format!("OD : {}", optic_line(rng, base)), None),
                (format!("OG : {}", optic_line(rng, base)), None),
            ];
            if rng.random_bool(0.5) {
                v.push((
                    format!(
                        "Addition : +{},{:02}",
                        rng.random_range(1..3),
                        *pick(rng, &[0, 25, 50, 75])
                    ),
                    None,
                ));
                v.push(("Verres progressifs".into(), None));
            } else {
                v.push((
                    pk(rng, &["Vision de loin", "Vision de près", "Port permanent"]).to_string(),
                    None,
                ));
            }
            if rng.random_bool(0.4) {
                v.push(("Renouvellement possible par l'opticien".into(), None));
            }
            v
        }
        "Oto-rhino-laryngologiste" => vec![
            ("Appareillage auditif stéréophonique".into(), None),
            ("Perte auditive bilatérale, audiogramme joint".into(), None),
            ("Essai préalable chez l'audioprothésiste".into(), None),
        ],
        "Rhumatologue" if rng.random_bool(0.5) => vec![
            (
                format!(
                    "{} séances de masso-kinésithérapie",
                    pk(rng, &["10", "12", "15", "20"])
                ),
                None,
            ),
            (
                pk(
                    rng,
                    &[
                        "Rééducation du genou droit",
                        "Rééducation de l'épaule gauche",
                        "Lombalgie chronique : renforcement musculaire",
                    ],
                )
                .to_string(),
                None,
            ),
            ("À domicile : non".into(), None),
        ],
        _ => {
            let n = rng.random_range(if drugs_only { 2 } else { 1 }..=4);
            let mut idx: Vec<usize> = (0..DRUGS.len()).collect();
            let mut v = Vec::new();
            for _ in 0..n {
                let i = idx.remove(rng.random_range(0..idx.len()));
                v.push((DRUGS[i].0.to_string(), Some(DRUGS[i].1.to_string())));
            }
            v
        }
    }
}

fn prescription(rng: &mut Rng, ctx: &Ctx, style: PrescStyle) -> Doc {
    let name = match style {
        PrescStyle::Classic => "other/prescription",
        PrescStyle::Bizone => "other/prescription-ald-bizone",
        PrescStyle::Hand => "other/prescription-handwritten",
    };
    let mut b = DocBuilder::new(Class::Other, name);
    let received = ctx.received;
    let doctor = values::person(
        rng,
        None,
        received - Duration::days(365 * 68),
        received - Duration::days(365 * 30),
    );
    let minors: Vec<&Person> = ctx
        .member
        .dependants
        .iter()
        .filter(|d| (received - d.birth_date).whole_days() < 365 * 16)
        .collect();
    let mut specialty = pk(rng, SPECIALTIES);
    if specialty == "Pédiatre" && minors.is_empty() {
        specialty = "Médecin généraliste";
    }
    let rpps = values::rpps(rng);
    let addr = values::address(rng);
    let phone = any_phone(rng);
    let date = values::date_before(rng, received, 5, 120);
    let font = *pick(rng, &[Font::Sans, Font::Serif, Font::Dejavu, Font::Narrow]);
    let bold = match font {
        Font::Serif => Font::SerifBold,
        Font::Dejavu => Font::DejavuBold,
        Font::Narrow => Font::NarrowBold,
        _ => Font::SansBold,
    };
    let doc_name = format!("Docteur {} {}", doctor.first_name, doctor.last_name);
    // Letterhead: doctor left, practice details right (or centred).
    let centred = rng.random_bool(0.3);
    let mut y = 20.0;
    if centred {
        b.text_center(105.0, y, bold, 13.0, &doc_name);
        y += 5.5;
        b.text_center(105.0, y, font, 10.0, specialty);
        y += 5.0;
        b.text_center(
            105.0,
            y,
            font,
            9.0,
            &format!("{} - {} {}", addr.street, addr.postal_code, addr.city),
        );
        y += 4.5;
        let rp = format!("RPPS {rpps}");
        let bb = b.text_center(105.0, y, font, 9.0, &format!("Tél. {phone} - {rp}"));
        let x_rp = bb[2] - fonts::width_mm(font, 9.0, &rpps);
        let rb = crate::doc::text_box(x_rp, y, font, 9.0, &rpps);
        b.mark("rpps", &rpps, rb);
        y += 3.0;
        b.fill(20.0, y, 170.0, 0.4, 60);
        y += 10.0;
    } else {
        b.text(20.0, y, bold, 12.5, &doc_name);
        b.text(20.0, y + 5.5, font, 10.0, specialty);
        b.text(
            20.0,
            y + 10.0,
            font,
            9.0,
            pk(
                rng,
                &[
                    "Ancien interne des Hôpitaux",
                    "Diplômé de la Faculté de Médecine",
                    "Conventionné secteur 1",
                    "Conventionné secteur 2 - Honoraires libres",
                ],
            ),
        );
        let lb = b.text(20.0, y + 14.5, font, 9.0, "N° RPPS :");
        ident(&mut b, "rpps", lb[2] + 1.5, y + 14.5, font, 9.0, &rpps);
        b.text_right(190.0, y, font, 9.0, &addr.street);
        b.text_right(
            190.0,
            y + 4.5,
            font,
            9.0,
            &format!("{} {}", addr.postal_code, addr.city.to_uppercase()),
        );
        b.text_right(190.0, y + 9.0, font, 9.0, &format!("Tél. : {phone}"));
        b.text_right(
            190.0,
            y + 13.5,
            font,
            9.0,
            pk(
                rng,
                &[
                    "Sur rendez-vous",
                    "Consultations du lundi au vendredi",
                    "Secrétariat : 9h-12h / 14h-18h",
                ],
            ),
        );
        y += 24.0;
    }
    let hand = style == PrescStyle::Hand;
    let (wf, ws) = if hand {
        (Font::Hand, 14.0)
    } else {
        (font, 10.5)
    };
    let patient: &Person =
        if specialty == "Pédiatre" || (!minors.is_empty() && rng.random_bool(0.3)) {
            minors[rng.random_range(0..minors.len())]
        } else {
            &ctx.member.person
        };
    let date_s = format!(
        "{}, le {}",
        title_case(&addr.city),
        fmt_date(
            date,
            if hand {
                DateStyle::Slash
            } else {
                DateStyle::Long
            }
        )
    );
    let dw = fonts::width_mm(wf, ws, &date_s);
    b.text(188.0 - dw, y + 4.0, wf, ws, &date_s);
    y += 14.0;
    let pname = format!(
        "{} {} {}",
        civ(patient, true),
        patient.first_name,
        patient.last_name
    );
    b.text(28.0, y, wf, ws, &pname);
    let age = (date - patient.birth_date).whole_days() / 365;
    if age < 14 {
        b.text(
            28.0,
            y + 6.0,
            wf,
            ws - 1.0,
            &format!("{age} ans - Poids : {} kg", (age * 3 + 8).max(4)),
        );
        y += 6.0;
    }
    y += 14.0;
    if !hand {
        b.text_center(
            105.0,
            y,
            bold,
            13.0,
            pk(rng, &["ORDONNANCE", "Ordonnance", "PRESCRIPTION"]),
        );
        y += 12.0;
    }
    let lines = presc_lines(rng, specialty, style == PrescStyle::Bizone);
    let drugs = lines.iter().any(|(_, pos)| pos.is_some());
    if style == PrescStyle::Bizone {
        b.fill(20.0, y - 5.0, 170.0, 7.0, 230);
        b.text(
            22.0,
            y,
            bold,
            8.5,
            "Prescriptions relatives au traitement de l'affection de longue durée reconnue (ALD)",
        );
        y += 5.0;
        b.text_gray(
            22.0,
            y,
            font,
            7.5,
            "(liste ou hors liste) (AFFECTION EXONÉRANTE)",
            70,
        );
        y += 8.0;
        let (first, second) = lines.split_at(lines.len().div_ceil(2));
        for (l, pos) in first {
            b.text(28.0, y, font, 10.5, l);
            y += 5.0;
            if let Some(pos) = pos {
                b.text(34.0, y, font, 10.0, pos);
                y += 7.0;
            }
        }
        y = y.max(150.0);
        b.line(20.0, y, 190.0, y, 0.5);
        y += 6.0;
        b.fill(20.0, y - 4.5, 170.0, 7.0, 230);
        b.text(
            22.0,
            y,
            bold,
            8.5,
            "Prescriptions SANS RAPPORT avec l'affection de longue durée",
        );
        y += 5.0;
        b.text_gray(22.0, y, font, 7.5, "(MALADIES INTERCURRENTES)", 70);
        y += 8.0;
        for (l, pos) in second {
            b.text(28.0, y, font, 10.5, l);
            y += 5.0;
            if let Some(pos) = pos {
                b.text(34.0, y, font, 10.0, pos);
                y += 7.0;
            }
        }
    } else {
        for (l, pos) in &lines {
            let jitter = if hand {
                rng.random_range(0.0..3.0)
            } else {
                0.0
            };
            b.text(28.0 + jitter, y, wf, if hand { ws } else { 11.0 }, l);
            y += if hand { 8.0 } else { 5.5 };
            if let Some(pos) = pos {
                b.text(
                    34.0 + jitter,
                    y,
                    wf,
                    if hand { ws - 1.0 } else { 10.0 },
                    pos,
                );
                y += if hand { 10.0 } else { 9.0 };
            } else if !hand {
                y += 1.5;
            }
        }
        if drugs && rng.random_bool(0.3) {
            y += 4.0;
            b.text(
                28.0,
                y,
                wf,
                ws - 1.0,
                pk(
                    rng,
                    &["À renouveler 2 fois", "Non substituable", "QSP 3 mois"],
                ),
            );
        }
    }
    // Signature and stamp.
    let sy = (y + 12.0).min(245.0);
    scribble(rng, &mut b, 125.0, sy, (30.0, 45.0), (10.0, 15.0));
    if rng.random_bool(0.5) {
        let (sx, sty) = (118.0, sy + 17.0);
        b.rect(sx, sty, 62.0, 20.0, 0.4);
        b.text(
            sx + 2.5,
            sty + 5.0,
            Font::SansBold,
            8.5,
            &format!(
                "Dr {} {}",
                doctor.first_name,
                doctor.last_name.to_uppercase()
            ),
        );
        b.text(sx + 2.5, sty + 9.5, Font::Sans, 8.0, &addr.street);
        b.text(
            sx + 2.5,
            sty + 13.5,
            Font::Sans,
            8.0,
            &format!("{} {}", addr.postal_code, addr.city),
        );
        let lb = b.text(sx + 2.5, sty + 17.8, Font::Sans, 9.0, "RPPS");
        ident(
            &mut b,
            "rpps",
            lb[2] + 1.5,
            sty + 17.8,
            Font::Sans,
            9.0,
            &rpps,
        );
    }
    b.text_gray(
        20.0,
        285.0,
        font,
        7.0,
        "Membre d'une association agréée, le règlement des honoraires par chèque est accepté.",
        80,
    );
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// Letters (no complaint)

const MOVE_INTRO: &[&str] = &[
    "Je vous informe de mon changement d'adresse à compter du {date}.",
    "Suite à mon déménagement le {date}, je vous prie de bien vouloir noter ma nouvelle adresse.",
    "Par la présente, je vous signale que j'ai changé de domicile depuis le {date}.",
    "Je vous écris pour vous communiquer mes nouvelles coordonnées, effectives depuis le {date}.",
];
const MOVE_ASK: &[&str] = &[
    "Je vous remercie de bien vouloir mettre à jour mon dossier, ainsi que celui des personnes couvertes par mon contrat.",
    "Merci d'enregistrer cette modification et de m'adresser désormais vos courriers à cette adresse.",
    "Pourriez-vous également m'envoyer une nouvelle carte de tiers payant à ma nouvelle adresse ?",
    "Je vous saurais gré de bien vouloir prendre en compte ce changement pour l'envoi de mes décomptes.",
];
const BANK_INTRO: &[&str] = &[
    "Je vous informe que j'ai changé d'établissement bancaire.",
    "Suite à un changement de banque, je vous communique mes nouvelles coordonnées bancaires.",
    "Je vous prie de trouver ci-joint mon nouveau relevé d'identité bancaire.",
];
const BANK_ASK: &[&str] = &[
    "Je vous remercie de bien vouloir utiliser désormais ce compte pour le prélèvement de mes cotisations et le versement de mes remboursements.",
    "Merci de mettre à jour le mandat de prélèvement SEPA en conséquence. Je vous retourne le mandat signé.",
    "Pourriez-vous effectuer la modification pour les prochaines échéances ?",
];
const POLITE_CLOSE: &[&str] = &[
    "Je vous en remercie par avance et vous prie d'agréer, Madame, Monsieur, mes salutations distinguées.",
    "Avec mes remerciements, veuillez recevoir, Madame, Monsieur, mes sincères salutations.",
    "Je vous remercie de votre attention. Bien cordialement.",
    "Vous remerciant par avance, je vous prie de croire à l'expression de mes sentiments les meilleurs.",
];

fn member_label(rng: &mut Rng) -> &'static str {
    pk(
        rng,
        &[
            "N° adhérent :",
            "Réf. adhérent :",
            "Matricule :",
            "N° d'adhérent :",
            "Adhérent n°",
        ],
    )
}

/// A polite letter announcing a change of address, typed or handwritten.
fn address_change(rng: &mut Rng, ctx: &Ctx, hand: bool) -> Doc {
    let mut b = DocBuilder::new(
        Class::Other,
        if hand {
            "other/address-change-hand"
        } else {
            "other/address-change"
        },
    );
    let p = &ctx.member.person;
    let a = &ctx.member.address;
    let old = values::address(rng);
    let font = if hand {
        Font::Hand
    } else {
        *pick(rng, &[Font::Serif, Font::Sans, Font::Century, Font::Dejavu])
    };
    let size = if hand {
        rng.random_range(13.0..15.0f32)
    } else {
        rng.random_range(10.5..11.5f32)
    };
    let lead = if hand { size * 0.55 } else { size * 0.47 };
    let lm = rng.random_range(18.0..25.0f32);
    let rm = 190.0;
    let date = values::date_before(rng, ctx.received, 0, 12);
    let moved = values::date_before(rng, date, 3, 60);
    let mut y = rng.random_range(18.0..26.0f32);
    b.text(
        lm,
        y,
        font,
        size,
        &format!("{} {} {}", civ(p, false), p.first_name, p.last_name),
    );
    y += lead;
    for l in [a.street.clone(), format!("{} {}", a.postal_code, a.city)] {
        b.text(lm, y, font, size, &l);
        y += lead;
    }
    if rng.random_bool(0.7) {
        b.text(
            lm,
            y,
            font,
            size,
            &format!("{} {}", member_label(rng), ctx.member.member_number),
        );
        y += lead;
    }
    let rx = 112.0;
    let mut ry = y + 8.0;
    for l in [
        ctx.mutuelle.name,
        ctx.mutuelle.address,
        ctx.mutuelle.city_line,
    ] {
        b.text(rx, ry, font, size, l);
        ry += lead;
    }
    y = ry + 6.0;
    let ds = format!(
        "{}, le {}",
        a.city,
        fmt_date(
            date,
            if hand {
                DateStyle::Slash
            } else {
                DateStyle::Long
            }
        )
    );
    b.text_right(rm, y, font, size, &ds);
    y += lead * 2.5;
    b.text(
        lm,
        y,
        font,
        size,
        &format!(
            "Objet : {}",
            pk(
                rng,
                &[
                    "Changement d'adresse",
                    "Nouvelle adresse",
                    "Modification de mes coordonnées"
                ]
            )
        ),
    );
    y += lead * 2.2;
    b.text(
        lm,
        y,
        font,
        size,
        pk(rng, &["Madame, Monsieur,", "Bonjour,", "Madame, Monsieur,"]),
    );
    y += lead * 1.8;
    let w = rm - lm;
    let moved_s = fmt_date(
        moved,
        if hand {
            DateStyle::Slash
        } else {
            DateStyle::Long
        },
    );
    let intro = pk(rng, MOVE_INTRO).replace("{date}", &moved_s);
    y = b.paragraph(lm, y, w, font, size, lead, &intro) + lead * 0.5;
    b.text(lm, y, font, size, "Mon ancienne adresse :");
    y += lead;
    b.text(
        lm + 10.0,
        y,
        font,
        size,
        &format!("{}, {} {}", old.street, old.postal_code, old.city),
    );
    y += lead * 1.5;
    b.text(lm, y, font, size, "Ma nouvelle adresse :");
    y += lead;
    b.text(lm + 10.0, y, font, size, &a.street);
    y += lead;
    if let Some(c) = &a.complement {
        b.text(lm + 10.0, y, font, size, c);
        y += lead;
    }
    b.text(
        lm + 10.0,
        y,
        font,
        size,
        &format!("{} {}", a.postal_code, a.city.to_uppercase()),
    );
    y += lead * 1.5;
    if rng.random_bool(0.4) {
        y = b.paragraph(
            lm,
            y,
            w,
            font,
            size,
            lead,
            &format!(
                "Mon numéro de téléphone devient le {}.",
                values::fmt_phone(rng, &ctx.member.phone)
            ),
        ) + lead * 0.5;
    }
    let ask = pk(rng, MOVE_ASK);
    y = b.paragraph(lm, y, w, font, size, lead, ask) + lead * 0.5;
    let close = pk(rng, POLITE_CLOSE);
    y = b.paragraph(lm, y, w, font, size, lead, close) + lead;
    let sx = 120.0;
    scribble(rng, &mut b, sx, y, (30.0, 45.0), (9.0, 13.0));
    b.text(
        sx,
        (y + 18.0).min(284.0),
        font,
        size,
        &format!("{} {}", p.first_name, p.last_name),
    );
    b.finish()
}

/// A letter announcing new bank details, with the IBAN copied out.
fn bank_change(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Other, "other/bank-details-change");
    let p = &ctx.member.person;
    let a = &ctx.member.address;
    let bank = &ctx.member.bank;
    let hand = rng.random_bool(0.3);
    let font = if hand {
        Font::Hand
    } else {
        *pick(rng, &[Font::Sans, Font::Serif, Font::Dejavu])
    };
    let size = if hand { 13.5 } else { 11.0 };
    let lead = if hand { 7.5 } else { 5.2 };
    let lm = 22.0;
    let date = values::date_before(rng, ctx.received, 0, 12);
    let mut y = 24.0;
    let ds = format!("Le {}", fmt_date(date, DateStyle::Slash));
    b.text_right(188.0, y, font, size, &ds);
    for l in [
        format!("{} {}", p.first_name, p.last_name),
        a.street.clone(),
        format!("{} {}", a.postal_code, a.city),
    ] {
        b.text(lm, y, font, size, &l);
        y += lead;
    }
    b.text(
        lm,
        y,
        font,
        size,
        &format!("{} {}", member_label(rng), ctx.member.member_number),
    );
    y += lead * 3.0;
    b.text(
        lm,
        y,
        font,
        size,
        &format!("À l'attention de {}", ctx.mutuelle.name),
    );
    y += lead * 2.0;
    b.text(
        lm,
        y,
        font,
        size,
        "Objet : changement de coordonnées bancaires",
    );
    y += lead * 2.0;
    b.text(lm, y, font, size, "Madame, Monsieur,");
    y += lead * 1.6;
    y = b.paragraph(lm, y, 166.0, font, size, lead, pk(rng, BANK_INTRO)) + lead * 0.5;
    b.text(lm, y, font, size, "Mes nouvelles coordonnées bancaires :");
    y += lead * 1.3;
    let lf = if hand { Font::Hand } else { font };
    let lb = b.text(lm + 8.0, y, lf, size, "IBAN :");
    ident(
        &mut b,
        "iban",
        lb[2] + 2.0,
        y,
        if hand { Font::Hand } else { Font::Mono },
        size,
        &fmt_iban(&bank.iban),
    );
    y += lead;
    let lb = b.text(lm + 8.0, y, lf, size, "BIC :");
    ident(
        &mut b,
        "bic",
        lb[2] + 2.0,
        y,
        if hand { Font::Hand } else { Font::Mono },
        size,
        &bank.bic,
    );
    y += lead;
    b.text(
        lm + 8.0,
        y,
        lf,
        size,
        &format!("Banque : {}", bank.branch_name),
    );
    y += lead * 1.5;
    y = b.paragraph(lm, y, 166.0, font, size, lead, pk(rng, BANK_ASK)) + lead * 0.5;
    y = b.paragraph(lm, y, 166.0, font, size, lead, pk(rng, POLITE_CLOSE)) + lead;
    b.signature(rng, 120.0, y, 38.0, 12.0);
    b.text(
        120.0,
        (y + 18.0).min(284.0),
        font,
        size,
        &format!("{} {}", p.first_name, p.last_name),
    );
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// Attestation de droits

fn assurance_maladie_logo(b: &mut DocBuilder, x: f32, y: f32) {
    // A ring of blocks (ink cannot be lightened, so the hole is left unpainted).
    b.fill(x, y, 9.0, 2.5, 90);
    b.fill(x, y + 6.5, 9.0, 2.5, 90);
    b.fill(x, y + 2.5, 2.5, 4.0, 90);
    b.fill(x + 6.5, y + 2.5, 2.5, 4.0, 90);
    b.text(x + 11.5, y + 4.0, Font::Sans, 9.0, "l'Assurance");
    b.text(x + 11.5, y + 8.8, Font::SansBold, 11.0, "Maladie");
}

/// The people an attestation covers: the member, then minor dependants.
fn beneficiaries<'a>(ctx: &'a Ctx, received: Date) -> Vec<&'a Person> {
    let mut v = vec![&ctx.member.person];
    for d in &ctx.member.dependants {
        if (received - d.birth_date).whole_days() < 365 * 18 && v.len() < 4 {
            v.push(d);
        }
    }
    v
}

/// The attestation printed from ameli.fr: header, tables with borders (Liberation faces only).
fn attestation_ameli(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Other, "other/attestation-ameli");
    let p = &ctx.member.person;
    let dept = dept_of_postal(ctx);
    let (dname, dcity) = department(dept);
    let edited = values::date_before(rng, ctx.received, 0, 45);
    let until = Date::from_calendar_date(edited.year(), Month::December, 31).unwrap_or(edited);
    let until = if (until - edited).whole_days() < 60 {
        edited + Duration::days(365)
    } else {
        until
    };
    assurance_maladie_logo(&mut b, 18.0, 15.0);
    b.text_right(
        192.0,
        19.0,
        Font::Sans,
        9.0,
        &format!("Caisse primaire d'assurance maladie {dname}"),
    );
    b.text_right(
        192.0,
        23.5,
        Font::Sans,
        9.0,
        &format!(
            "{dept}{} {dcity} CEDEX",
            if dept.len() == 2 { "000" } else { "00" }
        ),
    );
    b.text(18.0, 42.0, Font::SansBold, 16.0, "Attestation de droits");
    b.text(18.0, 48.5, Font::Sans, 10.0, "à l'assurance maladie");
    b.paragraph(18.0, 58.0, 174.0, Font::Sans, 9.0, 4.2, "Cette attestation justifie de vos droits à l'assurance maladie. Elle peut vous être demandée par votre employeur, un établissement de santé ou votre organisme complémentaire. Elle ne remplace pas la carte Vitale.");
    let mut y = 76.0;
    b.fill(18.0, y, 174.0, 7.0, 225);
    b.text(20.0, y + 5.0, Font::SansBold, 10.0, "Assuré(e)");
    y += 7.0;
    b.rect(18.0, y - 7.0, 174.0, 40.0, 0.3);
    let rows: [(&str, String); 5] = [
        ("Nom - Prénom", format!("{} {}", p.last_name, p.first_name)),
        (
            "Date de naissance",
            fmt_date(p.birth_date, DateStyle::Slash),
        ),
        ("Numéro de sécurité sociale", fmt_nir(&p.nir, true)),
        ("Régime", "Régime général".to_string()),
        (
            "Organisme de rattachement",
            format!(
                "CPAM {} ({}{})",
                dname
                    .trim_start_matches(['d', 'u', 'e', 's', ' ', '\'', 'l', 'a'])
                    .trim(),
                dept,
                if dept.len() == 2 { "1" } else { "" }
            ),
        ),
    ];
    for (label, value) in &rows {
        y += 6.0;
        b.text(22.0, y, Font::Sans, 9.5, label);
        if label.starts_with("Numéro") {
            ident(&mut b, "nir", 85.0, y, Font::SansBold, 10.0, value);
        } else {
            b.text(85.0, y, Font::SansBold, 10.0, value);
        }
    }
    y += 12.0;
    b.fill(18.0, y, 174.0, 7.0, 225);
    b.text(20.0, y + 5.0, Font::SansBold, 10.0, "Vos droits");
    y += 7.0;
    let start = Date::from_calendar_date(edited.year(), Month::January, 1).unwrap_or(edited);
    let rows2 = [
        (
            "Assurance maladie",
            format!(
                "du {} au {}",
                fmt_date(start, DateStyle::Slash),
                fmt_date(until, DateStyle::Slash)
            ),
        ),
        (
            "Exonération du ticket modérateur",
            pk(rng, &["Non", "Non", "Oui (ALD) jusqu'au 31/12/2030"]).to_string(),
        ),
        (
            "Complémentaire santé",
            format!("{} - n° AMC {}", ctx.mutuelle.name, digits(rng, 8)),
        ),
        (
            "Médecin traitant déclaré",
            format!("Dr {} {}", pk(rng, values::FIRST_F), pk(rng, values::LAST)),
        ),
    ];
    b.rect(18.0, y, 174.0, 6.0 * rows2.len() as f32 + 4.0, 0.3);
    for (label, value) in &rows2 {
        y += 6.0;
        b.text(22.0, y, Font::Sans, 9.5, label);
        b.text(85.0, y, Font::Sans, 9.5, value);
    }
    y += 14.0;
    let bens = beneficiaries(ctx, ctx.received);
    if bens.len() > 1 {
        b.fill(18.0, y, 174.0, 7.0, 225);
        b.text(
            20.0,
            y + 5.0,
            Font::SansBold,
            10.0,
            "Bénéficiaire(s) rattaché(s)",
        );
        y += 7.0;
        let cols = [18.0, 70.0, 110.0, 160.0, 192.0];
        let heads = [
            "Nom - Prénom",
            "Date de naissance",
            "N° de sécurité sociale",
            "Droits jusqu'au",
        ];
        b.rect(18.0, y, 174.0, 7.0 * bens.len() as f32, 0.3);
        for (k, h) in heads.iter().enumerate() {
            b.text(cols[k] + 2.0, y + 5.0, Font::SansBold, 8.5, h);
        }
        for d in &bens[1..] {
            y += 7.0;
            b.line(18.0, y, 192.0, y, 0.2);
            b.text(
                cols[0] + 2.0,
                y + 5.0,
                Font::Sans,
                9.0,
                &format!("{} {}", d.last_name, d.first_name),
            );
            b.text(
                cols[1] + 2.0,
                y + 5.0,
                Font::Sans,
                9.0,
                &fmt_date(d.birth_date, DateStyle::Slash),
            );
            ident(
                &mut b,
                "nir",
                cols[2] + 2.0,
                y + 5.0,
                Font::Sans,
                9.0,
                &fmt_nir(&d.nir, false),
            );
            b.text(
                cols[3] + 2.0,
                y + 5.0,
                Font::Sans,
                9.0,
                &fmt_date(until, DateStyle::Slash),
            );
        }
        y += 14.0;
    }
    b.text(
        18.0,
        y.max(200.0),
        Font::Sans,
        9.5,
        &format!(
            "Document édité le {} sur ameli.fr",
            fmt_date(edited, DateStyle::Slash)
        ),
    );
    b.text_gray(
        18.0,
        285.0,
        Font::Sans,
        7.5,
        "ameli.fr - Mon compte - Attestation de droits - 1/1",
        90,
    );
    b.finish()
}

/// The attestation sent by a CPAM as a letter (window-envelope address, label/value lines).
fn attestation_cpam(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Other, "other/attestation-cpam");
    let p = &ctx.member.person;
    let a = &ctx.member.address;
    let dept = dept_of_postal(ctx);
    let (dname, dcity) = department(dept);
    let font = *pick(rng, &[Font::Sans, Font::Serif]);
    let bold = if font == Font::Serif {
        Font::SerifBold
    } else {
        Font::SansBold
    };
    let edited = values::date_before(rng, ctx.received, 0, 60);
    assurance_maladie_logo(&mut b, 18.0, 14.0);
    b.text(
        18.0,
        32.0,
        font,
        9.0,
        &format!("Caisse Primaire d'Assurance Maladie {dname}"),
    );
    b.text(
        18.0,
        36.5,
        font,
        9.0,
        &format!(
            "{dept}{} {dcity} CEDEX",
            if dept.len() == 2 { "917" } else { "00" }
        ),
    );
    b.text(
        18.0,
        41.0,
        font,
        9.0,
        "Tél. : 36 46 (service gratuit + prix d'un appel)",
    );
    // Window address.
    let mut y = 55.0;
    for l in [
        format!(
            "{} {} {}",
            civ(p, true).to_uppercase(),
            p.first_name.to_uppercase(),
            p.last_name
        ),
        a.street.to_uppercase(),
        format!("{} {}", a.postal_code, a.city.to_uppercase()),
    ] {
        b.text(112.0, y, font, 10.0, &l);
        y += 4.8;
    }
    b.text(
        112.0,
        82.0,
        font,
        9.5,
        &format!(
            "{}, le {}",
            title_case(dcity),
            fmt_date(edited, DateStyle::Long)
        ),
    );
    y = 100.0;
    b.text_center(105.0, y, bold, 14.0, "ATTESTATION DE DROITS");
    y += 6.0;
    b.text_center(105.0, y, font, 10.0, "Assurance maladie - maternité");
    y += 12.0;
    let until = edited + Duration::days(rng.random_range(200..365));
    let lines: Vec<(&str, String, bool)> = vec![
        (
            "Bénéficiaire :",
            format!("{} {}", p.last_name, p.first_name),
            false,
        ),
        (
            "Né(e) le :",
            fmt_date(p.birth_date, DateStyle::Slash),
            false,
        ),
        (
            "N° d'immatriculation :",
            fmt_nir(&p.nir, rng.random_bool(0.7)),
            true,
        ),
        ("Qualité :", "Assuré(e)".to_string(), false),
        (
            "Période de validité :",
            format!(
                "du {} au {}",
                fmt_date(edited, DateStyle::Slash),
                fmt_date(until, DateStyle::Slash)
            ),
            false,
        ),
        (
            "Organisme complémentaire :",
            ctx.mutuelle.name.to_string(),
            false,
        ),
        (
            "Type de contrat :",
            pk(
                rng,
                &[
                    "Contrat responsable",
                    "Complémentaire santé individuelle",
                    "Contrat collectif",
                ],
            )
            .to_string(),
            false,
        ),
    ];
    for (label, value, is_nir) in &lines {
        let lb = b.text(25.0, y, font, 10.0, label);
        let x = (lb[2] + 3.0).max(80.0);
        if *is_nir {
            ident(&mut b, "nir", x, y, bold, 10.5, value);
        } else {
            b.text(x, y, bold, 10.0, value);
        }
        y += 6.5;
    }
    let bens = beneficiaries(ctx, ctx.received);
    if bens.len() > 1 {
        y += 4.0;
        b.text(25.0, y, bold, 10.0, "Ayants droit :");
        y += 6.5;
        for d in &bens[1..] {
            b.text(
                30.0,
                y,
                font,
                10.0,
                &format!(
                    "{} {}, né(e) le {}",
                    d.last_name,
                    d.first_name,
                    fmt_date(d.birth_date, DateStyle::Slash)
                ),
            );
            y += 6.0;
        }
    }
    y += 8.0;
    b.paragraph(25.0, y, 160.0, font, 9.0, 4.3, "Cette attestation est à présenter à votre organisme complémentaire ou à tout professionnel de santé qui vous la demande. Elle est délivrée sous réserve de modification de votre situation.");
    b.text(120.0, 250.0, font, 9.5, "Le Directeur");
    b.signature(rng, 120.0, 253.0, 35.0, 10.0);
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testkit;
    use super::*;
    use std::path::Path;

    const KINDS: [OtherKind; 6] = [
        OtherKind::Rib,
        OtherKind::IdCard,
        OtherKind::CarteVitale,
        OtherKind::Prescription,
        OtherKind::AddressChange,
        OtherKind::Attestation,
    ];

    fn page_text(doc: &Doc) -> String {
        doc.pages
            .iter()
            .flat_map(|p| p.text_runs().map(|(t, _)| t.to_string()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn every_design_is_sound() {
        for kind in KINDS {
            for &design in designs_of(kind) {
                for seed in 0..200u64 {
                    let (mut rng, member, mutuelle, received) = testkit::setup(seed);
                    let ctx = testkit::ctx(&member, mutuelle, received);
                    let doc = render_design(&mut rng, &ctx, design);
                    testkit::assert_sound(&doc, received);
                    assert_eq!(doc.class, Class::Other);
                    assert!(
                        doc.fields.is_empty(),
                        "{}: other sets no truth: {:?}",
                        doc.layout,
                        doc.fields
                    );
                    let spans: Vec<_> = doc.pages.iter().flat_map(|p| &p.spans).collect();
                    match kind {
                        OtherKind::Rib => {
                            let iban = spans
                                .iter()
                                .find(|s| s.key == "iban")
                                .unwrap_or_else(|| panic!("{}: no iban mark", doc.layout));
                            assert_eq!(
                                iban.printed.replace(' ', ""),
                                member.bank.iban,
                                "{}",
                                doc.layout
                            );
                        }
                        OtherKind::CarteVitale => {
                            let nir = spans
                                .iter()
                                .find(|s| s.key == "nir")
                                .unwrap_or_else(|| panic!("{}: no nir mark", doc.layout));
                            let n = nir.printed.replace(' ', "");
                            assert!(
                                mailroom_domain::check::check_nir(&n, None).is_ok(),
                                "{}: {n}",
                                doc.layout
                            );
                        }
                        OtherKind::Attestation => {
                            assert!(spans.iter().any(|s| s.key == "nir"
                                && s.printed.replace(' ', "") == member.person.nir));
                        }
                        OtherKind::Prescription => {
                            assert!(
                                spans.iter().any(|s| s.key == "rpps"),
                                "{}: no rpps mark",
                                doc.layout
                            );
                        }
                        _ => {}
                    }
                    for s in &spans {
                        assert!(
                            matches!(s.key.as_str(), "iban" | "bic" | "nir" | "rpps"),
                            "{}: mark {}",
                            doc.layout,
                            s.key
                        );
                    }
                    // Liberation faces only on the attestation (it may be a born-digital PDF).
                    if kind == OtherKind::Attestation {
                        for p in &doc.pages {
                            for it in &p.items {
                                if let crate::doc::Item::Text { font, .. } = it {
                                    assert!(font.pdf_exact(), "{}: {font:?}", doc.layout);
                                }
                            }
                        }
                    }
                    // Not a complaint: an address change never complains.
                    if kind == OtherKind::AddressChange {
                        let t = normalize::fold_text(&page_text(&doc));
                        for w in [
                            "reclamation",
                            "mecontent",
                            "inadmissible",
                            "mediateur",
                            "avocat",
                        ] {
                            assert!(!t.contains(w), "{}: {w}", doc.layout);
                        }
                    }
                    for (i, p) in doc.pages.iter().enumerate() {
                        for (t, bb) in p.text_runs() {
                            assert!(
                                bb[0] >= 11.0 && bb[2] <= 199.0 && bb[1] >= 8.0 && bb[3] <= 292.0,
                                "{}: page {} off margins {bb:?}: {t}",
                                doc.layout,
                                i + 1
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn mrz_check_digits() {
        // ICAO 9303 specimen: document number L898902C3 has check digit 6; 740812 → 2.
        assert_eq!(mrz_check("L898902C3"), '6');
        assert_eq!(mrz_check("740812"), '2');
        assert_eq!(mrz_check("120415"), '9');
        assert_eq!(mrz_name("Lefèvre-N'Diaye"), "LEFEVRE<N<DIAYE");
    }

    #[test]
    fn render_picks_every_design() {
        for kind in KINDS {
            let mut seen = std::collections::BTreeSet::new();
            for seed in 0..60u64 {
                let (mut rng, member, mutuelle, received) = testkit::setup(seed);
                let ctx = testkit::ctx(&member, mutuelle, received);
                seen.insert(render(&mut rng, &ctx, kind).layout);
            }
            assert!(seen.len() >= designs_of(kind).len(), "{kind:?}: {seen:?}");
        }
    }

    #[test]
    #[ignore]
    fn preview() {
        let dir = Path::new("/tmp/preview/other");
        for kind in KINDS {
            for &design in designs_of(kind) {
                for seed in 0..2u64 {
                    let (mut rng, member, mutuelle, received) = testkit::setup(seed);
                    let ctx = testkit::ctx(&member, mutuelle, received);
                    let doc = render_design(&mut rng, &ctx, design);
                    let name = format!("{design:?}-{seed}").to_lowercase();
                    crate::preview(&doc, dir, &name, 100).unwrap();
                }
            }
        }
    }
}
