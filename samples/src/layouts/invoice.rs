//! Care invoices (factures, notes d'honoraires): one design per kind of provider, each with its
//! own structure, wording and fonts, all in Liberation faces so they can also be written as
//! born-digital PDFs.
//!
//! - `invoice/optician`: shop header with logo block, invoice box on the right, prescription,
//!   dark-headed table of monture and verres (LPP, classe A / B), boxed totals, VAT line.
//! - `invoice/dentist`: serif note d'honoraires, practitioner letterhead on the left, "ville, le
//!   date" on the right, CCAM table with teeth and paniers, totals as text rows, lab mention.
//! - `invoice/audio`: grey band header, meta box, patient box, one box per ear, LPP recap table.
//! - `invoice/clinic`: centred establishment header, patient and invoice boxes, stay line,
//!   fully ruled table whose last row holds the totals.
//! - `invoice/pharmacy`: a monospaced till ticket in the middle of the sheet, CIP13 lines.
//! - `invoice/physio`: letter-like invoice with window address, one row per séance (NGAP).
//! - `invoice/doctor`: an A5 note d'honoraires framed in the top half of the sheet.

use super::care::{
    self, Align, Basket, Grid, Line, NameOrder, OptClass, Provider, TableStyle, Totals, amt, col,
    date_field, euro, fit, money, pick,
};
use super::{Ctx, DisputeRef};
use crate::doc::{Doc, DocBuilder, Rng};
use crate::fonts::{self, Font};
use crate::values::{self, DateStyle};
use mailroom_domain::{Amount, Class};
use rand::Rng as _;
use time::Date;

/// The invoice designs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    Optician,
    Dentist,
    Audio,
    Clinic,
    Pharmacy,
    Physio,
    Doctor,
}

impl Variant {
    #[cfg(test)]
    const ALL: [Variant; 7] = [
        Variant::Optician,
        Variant::Dentist,
        Variant::Audio,
        Variant::Clinic,
        Variant::Pharmacy,
        Variant::Physio,
        Variant::Doctor,
    ];

    #[cfg(test)]
    fn care_type(self) -> &'static str {
        match self {
            Variant::Optician => "optical",
            Variant::Dentist => "dental",
            Variant::Audio => "hearing",
            Variant::Clinic => "hospital",
            Variant::Pharmacy => "pharmacy",
            Variant::Physio => "paramedical",
            Variant::Doctor => "consultation",
        }
    }
}

/// Draws an invoice for care of `care_type` (one of FIELDS.md's care types; `None` or `other`
/// picks one), and describes it for a complaint letter of the same envelope.
pub fn render(rng: &mut Rng, ctx: &Ctx, care_type: Option<&'static str>) -> (Doc, DisputeRef) {
    let v = match care_type {
        Some("optical") => Variant::Optician,
        Some("dental") => Variant::Dentist,
        Some("hearing") => Variant::Audio,
        Some("hospital") => Variant::Clinic,
        Some("pharmacy") => Variant::Pharmacy,
        Some("paramedical") => Variant::Physio,
        Some("consultation") => Variant::Doctor,
        _ => pick(
            rng,
            &[
                Variant::Optician,
                Variant::Optician,
                Variant::Dentist,
                Variant::Dentist,
                Variant::Audio,
                Variant::Clinic,
                Variant::Pharmacy,
                Variant::Physio,
                Variant::Doctor,
            ],
        ),
    };
    render_variant(rng, ctx, v)
}

pub(crate) fn render_variant(rng: &mut Rng, ctx: &Ctx, v: Variant) -> (Doc, DisputeRef) {
    match v {
        Variant::Optician => optician(rng, ctx),
        Variant::Dentist => dentist(rng, ctx),
        Variant::Audio => audio(rng, ctx),
        Variant::Clinic => clinic(rng, ctx),
        Variant::Pharmacy => pharmacy(rng, ctx),
        Variant::Physio => physio(rng, ctx),
        Variant::Doctor => doctor(rng, ctx),
    }
}

/// An invoice number in the provider's style: printed form and normalised truth.
fn number(rng: &mut Rng, prefixes: &[&str], year: i32) -> (String, String) {
    let prefix = pick(rng, prefixes);
    values::reference(rng, prefix, year)
}

/// The invoice as a complaint cites it; `printed_name` is the provider's name as printed.
fn dispute(
    p: &Provider,
    printed_name: &str,
    number: &(String, String),
    date: Date,
    t: &Totals,
) -> DisputeRef {
    DisputeRef {
        reference: number.1.clone(),
        printed_reference: number.0.clone(),
        date,
        provider_name: printed_name.to_string(),
        total: t.total,
        disputed: t.disputed(),
        care_type: p.care_type,
    }
}

/// Whether the invoice prints a payment status, and which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    None,
    Paid,
    Due,
}

fn status(rng: &mut Rng, p_paid: f64, p_due: f64) -> Status {
    let r: f64 = rng.random_range(0.0..1.0);
    if r < p_paid {
        Status::Paid
    } else if r < p_paid + p_due {
        Status::Due
    } else {
        Status::None
    }
}

/// Prints the insured's NIR (not an invoice field, but marked so evaluation knows where it is).
fn nir_line(b: &mut DocBuilder, x: f32, y: f32, font: Font, size: f32, label: &str, printed: &str) {
    let x = put_sp(b, x, y, font, size, label);
    let bx = b.text(x, y, font, size, printed);
    b.mark("nir", printed, bx);
}

/// Draws `s` followed by a space; returns where the next text starts.
fn put_sp(b: &mut DocBuilder, x: f32, y: f32, font: Font, size: f32, s: &str) -> f32 {
    care::put(b, x, y, font, size, s) + fonts::width_mm(font, size, " ")
}

/// Prints the payment status at (x, y): `Facture acquittée…` or `Reste dû : …`; sets `paid`.
#[allow(clippy::too_many_arguments)]
fn status_line(
    b: &mut DocBuilder,
    rng: &mut Rng,
    s: Status,
    x: f32,
    y: f32,
    font: Font,
    size: f32,
    paid_on: Date,
    due: Amount,
    style: DateStyle,
) {
    match s {
        Status::None => {}
        Status::Paid => {
            let text = match rng.random_range(0..4) {
                0 => "Facture acquittée".to_string(),
                1 => format!("Acquittée le {}", values::fmt_date(paid_on, style)),
                2 => format!("Facture acquittée le {}", values::fmt_date(paid_on, style)),
                _ => format!("Acquitté - réglé le {}", values::fmt_date(paid_on, style)),
            };
            let bx = b.text(x, y, font, size, &text);
            b.set_field("paid", true);
            b.mark("paid", &text, bx);
        }
        Status::Due if due.cents() > 0 => {
            let text = match rng.random_range(0..3) {
                0 => format!("Reste dû : {}", euro(due)),
                1 => format!("À régler : {}", euro(due)),
                _ => format!("Montant restant dû : {}", euro(due)),
            };
            let bx = b.text(x, y, font, size, &text);
            b.set_field("paid", false);
            b.mark("paid", &text, bx);
        }
        Status::Due => {}
    }
}

/// The member's postal block (name and address) from baseline y; returns the next baseline.
#[allow(clippy::too_many_arguments)]
fn member_block(
    b: &mut DocBuilder,
    ctx: &Ctx,
    x: f32,
    y: f32,
    font: Font,
    size: f32,
    leading: f32,
    name_marked: bool,
    civ: &str,
    order: NameOrder,
) -> f32 {
    let m = &ctx.member.person;
    if name_marked {
        care::patient_name(b, x, y, font, size, civ, m, order);
    } else {
        let n = match order {
            NameOrder::LastFirst => format!("{civ} {} {}", m.last_name, m.first_name),
            NameOrder::FirstLast => format!("{civ} {} {}", m.first_name, m.last_name),
        };
        b.text(x, y, font, size, n.trim());
    }
    let mut y = y + leading;
    let a = &ctx.member.address;
    b.text(x, y, font, size, &a.street);
    y += leading;
    if let Some(c) = &a.complement {
        b.text(x, y, font, size, c);
        y += leading;
    }
    b.text(
        x,
        y,
        font,
        size,
        &format!("{} {}", a.postal_code, a.city.to_uppercase()),
    );
    y + leading
}

fn table_rows(lines: &[Line], f: impl Fn(&Line) -> Vec<String>) -> Vec<Vec<String>> {
    lines.iter().map(f).collect()
}

// ---------------------------------------------------------------------------------------------
// Optician

fn optician(rng: &mut Rng, ctx: &Ctx) -> (Doc, DisputeRef) {
    let mut b = DocBuilder::new(Class::Invoice, "invoice/optician");
    let p = care::provider(rng, ctx, "optical");
    let (pat, dep) = care::patient(rng, ctx);
    let style = care::date_style(rng);
    let inv_date = values::date_before(rng, ctx.received, 2, 40);
    let delivery = inv_date - care::days(rng.random_range(0..=4));
    let age = care::age(pat, inv_date);
    let (frame, lenses) = match rng.random_range(0..10) {
        0 | 1 => (OptClass::A, OptClass::A),
        2 => (OptClass::A, OptClass::B),
        3 => (OptClass::B, OptClass::A),
        _ => (OptClass::B, OptClass::B),
    };
    let progressive = age >= 45 && rng.random_bool(0.8);
    let mut lines = care::glasses(rng, frame, lenses, progressive, age < 16);
    let with_amc = rng.random_bool(0.75);
    if with_amc {
        care::optical_cover(rng, &mut lines);
    }
    let t = Totals::of(&lines, with_amc);
    let num = number(rng, &["FA", "F", "FAC", "FO"], inv_date.year());

    // Letterhead.
    b.fill(15.0, 12.0, 12.0, 12.0, 205);
    b.fill(15.0, 12.0, 12.0, 2.0, 60);
    let initial: String = p.name.chars().next().unwrap_or('O').to_string();
    let iw = fonts::width_mm(Font::SerifBold, 18.0, &initial);
    b.text(21.0 - iw / 2.0, 22.0, Font::SerifBold, 18.0, &initial);
    let ns = fit(Font::SansBold, 15.0, &p.name, 88.0);
    b.field(
        "provider_name",
        p.name.as_str(),
        30.0,
        19.0,
        Font::SansBold,
        ns,
        &p.name,
    );
    b.text(
        30.0,
        24.0,
        Font::SansItalic,
        9.0,
        pick(
            rng,
            &[
                "Opticien diplômé - Lentilles de contact",
                "Lunetterie - Lentilles - Basse vision",
                &p.profession,
                "Votre opticien conseil",
            ],
        ),
    );
    let mut y = 32.0;
    for l in care::address_lines(&p, false) {
        b.text(15.0, y, Font::Sans, 9.0, &l);
        y += 4.2;
    }
    b.text(
        15.0,
        y,
        Font::Sans,
        9.0,
        &format!("Tél. {}", values::fmt_phone(rng, &p.phone)),
    );
    y += 4.2;
    if rng.random_bool(0.5) {
        b.text(15.0, y, Font::Sans, 9.0, &p.email);
        y += 4.2;
    }
    let ids = care::provider_ids(rng, &p, 2);
    let y_ids_end = care::ids_lines(
        &mut b,
        &ids,
        15.0,
        y + 1.0,
        Font::Sans,
        Font::Sans,
        9.0,
        4.2,
    );

    // Invoice box.
    b.rect(118.0, 12.0, 77.0, 32.0, 0.4);
    let title = pick(
        rng,
        &[
            "FACTURE OPTIQUE",
            "Facture d'optique médicale",
            "FACTURE - ÉQUIPEMENT OPTIQUE",
            "Facture équipement optique",
        ],
    );
    let ts = fit(Font::SansBold, 13.0, title, 70.0);
    let tb = b.text(121.5, 19.5, Font::SansBold, ts, title);
    care::care_type_field(&mut b, "optical", title, tb);
    b.label_field(
        121.5,
        26.5,
        Font::Sans,
        Font::SansBold,
        10.0,
        pick(rng, &["N° :", "Facture n°", "Numéro :"]),
        "invoice_number",
        num.1.as_str(),
        &num.0,
    );
    date_field(
        &mut b,
        121.5,
        32.0,
        Font::Sans,
        Font::Sans,
        10.0,
        pick(rng, &["Date :", "Date de facture :", "Du"]),
        "invoice_date",
        inv_date,
        style,
    );
    date_field(
        &mut b,
        121.5,
        37.5,
        Font::Sans,
        Font::Sans,
        9.5,
        pick(rng, &["Délivrance :", "Date de délivrance :", "Livré le"]),
        "care_date",
        delivery,
        style,
    );

    // Client.
    let civ = care::civility(rng, &ctx.member.person, inv_date);
    let order = if rng.random_bool(0.6) {
        NameOrder::LastFirst
    } else {
        NameOrder::FirstLast
    };
    let mut cy = 52.0;
    b.text(
        118.0,
        cy,
        Font::SansBold,
        9.0,
        if dep { "Assuré(e) :" } else { "Client :" },
    );
    cy += 5.0;
    cy = member_block(
        &mut b,
        ctx,
        118.0,
        cy,
        Font::Sans,
        10.0,
        4.6,
        !dep,
        civ,
        order,
    );
    let mut ly = 52.0_f32.max(y_ids_end + 2.0);
    if dep {
        let x = care::put(&mut b, 15.0, ly, Font::SansBold, 9.5, "Bénéficiaire : ");
        care::patient_name(&mut b, x, ly, Font::Sans, 9.5, "", pat, order);
        ly += 5.0;
    }
    b.text(
        15.0,
        ly,
        Font::Sans,
        9.0,
        &format!("Organisme complémentaire : {}", ctx.mutuelle.name),
    );
    ly += 4.6;
    if rng.random_bool(0.7) {
        care::member_field(&mut b, rng, ctx, 15.0, ly, Font::Sans, Font::Sans, 9.5);
        ly += 4.6;
    }
    if rng.random_bool(0.4) {
        let nir = values::fmt_nir(&ctx.member.person.nir, rng.random_bool(0.6));
        nir_line(&mut b, 15.0, ly, Font::Sans, 9.0, "N° SS :", &nir);
        ly += 4.6;
    }

    // Prescription.
    let rx = care::rx(rng, delivery, progressive);
    let py = ly.max(cy) + 4.0;
    b.fill(15.0, py, 180.0, 14.0, 242);
    b.text(
        18.0,
        py + 5.0,
        Font::SansBold,
        9.0,
        &format!(
            "Ordonnance du {} du {}",
            rx.prescriber,
            values::fmt_date(rx.date, style)
        ),
    );
    let mut rl = format!("OD : {}    OG : {}", rx.od, rx.og);
    if let Some(a) = &rx.add {
        rl.push_str(&format!("    Addition : {a}"));
    }
    b.text(18.0, py + 10.5, Font::Sans, 9.0, &rl);
    let y0 = py + 20.0;

    // Acts.
    let mut cols = vec![
        col("Désignation", if with_amc { 56.0 } else { 73.0 }, Align::L),
        col("Code LPP", 18.0, Align::C),
        col("Œil", 9.0, Align::C),
        col("Classe", 13.0, Align::C),
        col("Qté", 9.0, Align::C),
        col("Prix TTC", 19.0, Align::R),
        col("Base SS", 17.0, Align::R),
        col("Part AMO", 18.0, Align::R),
    ];
    if with_amc {
        cols.push(col("Part AMC", 21.0, Align::R));
    }
    let rows = table_rows(&lines, |l| {
        let mut r = vec![
            l.label.clone(),
            l.code.clone(),
            l.detail.clone(),
            if l.basket == Basket::Sante {
                "A".into()
            } else {
                "B".into()
            },
            l.qty.to_string(),
            money(l.total),
            money(l.base),
            money(l.amo),
        ];
        if with_amc {
            r.push(money(l.amc));
        }
        r
    });
    let st = TableStyle {
        font: Font::Sans,
        head_font: Font::SansBold,
        size: 9.0,
        head_size: 8.5,
        row_h: 7.0,
        head_fill: Some(200),
        grid: Grid::Rows,
        zebra: None,
    };
    let to = care::table(&mut b, 15.0, y0, &cols, &rows, &st);

    // Totals.
    let mut labels = care::total_labels(rng);
    if rng.random_bool(0.4) {
        labels.total = "Total TTC";
    }
    let n = if t.amc.is_some() { 4.0 } else { 3.0 };
    let ty = to.y_end + 6.0;
    b.rect(115.0, ty, 80.0, n * 6.0 + 9.0, 0.35);
    let mut yy = care::totals_rows(
        &mut b,
        &t,
        &labels,
        118.0,
        192.0,
        ty + 6.0,
        Font::Sans,
        Font::SansBold,
        10.0,
        6.0,
        true,
        false,
    );
    let vat = t.total - amt((t.total.cents() * 100 + 60) / 120);
    b.text(
        118.0,
        yy - 1.0,
        Font::SansItalic,
        8.5,
        &format!("dont TVA 20 % : {}", euro(vat)),
    );
    yy += 6.0;

    // Mentions.
    let mut my = ty + 5.0;
    let has_a = lines.iter().any(|l| l.basket == Basket::Sante);
    let offer = if has_a {
        "Équipement relevant du panier 100 % Santé (classe A) en tout ou partie."
    } else {
        "Une offre 100 % Santé (classe A) a été proposée au client."
    };
    my = b.paragraph(15.0, my, 95.0, Font::Sans, 8.5, 4.0, offer);
    if with_amc {
        my = b.paragraph(15.0, my + 1.0, 95.0, Font::Sans, 8.5, 4.0, pick(rng, &["Tiers payant : part obligatoire et part complémentaire réglées directement à l'opticien.", "Tiers payant AMO + AMC accordé.", "Prise en charge complémentaire accordée par votre mutuelle."]));
    }
    let s = status(rng, 0.45, 0.2);
    status_line(
        &mut b,
        rng,
        s,
        15.0,
        my + 4.0,
        Font::SansBold,
        10.0,
        inv_date,
        t.rac,
        style,
    );
    let fy = yy.max(my + 10.0) + 6.0;
    b.paragraph(15.0, fy, 180.0, Font::Sans, 8.5, 4.0, pick(rng, &[
        "Garantie monture et verres : 2 ans. Les verres sont garantis contre la casse et les défauts de fabrication.",
        "Conformément à la réglementation, le détail de votre équipement figure ci-dessus. Conservez cette facture pour vos remboursements.",
        "Adaptation de la vue réalisée en magasin. Garantie d'adaptation des verres progressifs : 3 mois.",
    ]));
    if let Some(s) = &p.siret {
        b.text(
            15.0,
            282.0,
            Font::Sans,
            8.0,
            &format!(
                "SAS au capital de {} € - RCS {} {} {} {}",
                pick(rng, &["8 000", "10 000", "15 000", "50 000"]),
                p.city,
                &s[0..3],
                &s[3..6],
                &s[6..9]
            ),
        );
    }
    let d = dispute(&p, &p.name, &num, inv_date, &t);
    (b.finish(), d)
}

// ---------------------------------------------------------------------------------------------
// Dentist

fn dentist(rng: &mut Rng, ctx: &Ctx) -> (Doc, DisputeRef) {
    let mut b = DocBuilder::new(Class::Invoice, "invoice/dentist");
    let p = care::provider(rng, ctx, "dental");
    let style = care::date_style(rng);
    let inv_date = values::date_before(rng, ctx.received, 2, 35);
    let (pat, dep) = care::adult_patient(rng, ctx, 16, inv_date);
    let d2 = inv_date - care::days(rng.random_range(0..=3));
    let d1 = d2 - care::days(rng.random_range(7..=30));
    let with_prosthesis = rng.random_bool(0.7);
    let n_care = if with_prosthesis {
        rng.random_range(0..=2)
    } else {
        rng.random_range(2..=4)
    };
    let mut lines = care::dental_care(rng, n_care);
    for l in lines.iter_mut() {
        l.date = Some(d1);
    }
    if with_prosthesis {
        let t = care::tooth(rng);
        let basket = pick(
            rng,
            &[
                Basket::Sante,
                Basket::Maitrise,
                Basket::Libre,
                Basket::Libre,
            ],
        );
        let core = rng.random_bool(0.4);
        let mut c = care::crown(rng, t, basket, core);
        let single = lines.is_empty() || rng.random_bool(0.3);
        for l in c.iter_mut() {
            l.date = Some(if single { d1 } else { d2 });
        }
        lines.extend(c);
    }
    let with_amc = rng.random_bool(0.65);
    if with_amc {
        care::dental_cover(rng, &mut lines);
    }
    let t = Totals::of(&lines, with_amc);
    let first = lines.iter().filter_map(|l| l.date).min().unwrap_or(d1);
    let all_same = lines.iter().all(|l| l.date == Some(first));
    let num = number(rng, &["NH", "F", "FA", "H"], inv_date.year());

    // Letterhead on the left.
    let ns = fit(Font::SerifBold, 14.0, &p.name, 105.0);
    b.field(
        "provider_name",
        p.name.as_str(),
        15.0,
        20.0,
        Font::SerifBold,
        ns,
        &p.name,
    );
    let mut y = 25.5;
    if !p.name.contains(&p.person.last) {
        b.text(15.0, y, Font::Serif, 11.0, &p.person.dr());
        y += 5.0;
    }
    b.text(15.0, y, Font::SerifItalic, 10.0, &p.profession);
    y += 4.6;
    if rng.random_bool(0.5) {
        b.text(
            15.0,
            y,
            Font::SerifItalic,
            9.0,
            &format!(
                "Diplômé{} de la Faculté de chirurgie dentaire de {}",
                if p.person.sex == values::Sex::F {
                    "e"
                } else {
                    ""
                },
                pick(
                    rng,
                    &[
                        "Lyon",
                        "Paris",
                        "Montpellier",
                        "Nantes",
                        "Bordeaux",
                        "Strasbourg",
                        "Lille"
                    ]
                )
            ),
        );
        y += 4.4;
    }
    y += 1.0;
    for l in care::address_lines(&p, rng.random_bool(0.5)) {
        b.text(15.0, y, Font::Serif, 9.5, &l);
        y += 4.3;
    }
    b.text(
        15.0,
        y,
        Font::Serif,
        9.5,
        &format!("Tél. : {}", values::fmt_phone(rng, &p.phone)),
    );
    y += 4.3;
    let ids = care::provider_ids(rng, &p, 2);
    y = care::ids_lines(&mut b, &ids, 15.0, y, Font::Serif, Font::Serif, 9.5, 4.3);
    if let Some(am) = &p.am
        && rng.random_bool(0.5)
    {
        b.text(15.0, y, Font::Serif, 9.0, &format!("N° AM : {am}"));
        y += 4.3;
    }

    // Place and date on the right.
    let place = format!("{}, le ", p.city);
    let ds = values::fmt_date(inv_date, DateStyle::Long);
    let w = fonts::width_mm(Font::Serif, 10.5, &place) + fonts::width_mm(Font::Serif, 10.5, &ds);
    let x = care::put(&mut b, 195.0 - w, 20.0, Font::Serif, 10.5, &place);
    b.field(
        "invoice_date",
        values::iso(inv_date),
        x,
        20.0,
        Font::Serif,
        10.5,
        &ds,
    );

    // Title.
    let ty = y.max(58.0) + 8.0;
    let (title, sub) = pick(
        rng,
        &[
            ("NOTE D'HONORAIRES", "Soins et prothèses dentaires"),
            ("FACTURE", "Soins dentaires"),
            ("NOTE D'HONORAIRES", "Chirurgie dentaire"),
            ("FACTURE D'HONORAIRES", "Actes bucco-dentaires"),
        ],
    );
    b.text_center(105.0, ty, Font::SerifBold, 16.0, title);
    let sb = b.text_center(105.0, ty + 6.0, Font::SerifItalic, 11.0, sub);
    care::care_type_field(&mut b, "dental", sub, sb);
    let nl = format!("{} ", pick(rng, &["N°", "Facture n°", "Réf."]));
    let w =
        fonts::width_mm(Font::Serif, 10.5, &nl) + fonts::width_mm(Font::SerifBold, 10.5, &num.0);
    let x = care::put(&mut b, 105.0 - w / 2.0, ty + 12.0, Font::Serif, 10.5, &nl);
    b.field(
        "invoice_number",
        num.1.as_str(),
        x,
        ty + 12.0,
        Font::SerifBold,
        10.5,
        &num.0,
    );

    // Patient.
    let mut py = ty + 23.0;
    let order = if rng.random_bool(0.5) {
        NameOrder::LastFirst
    } else {
        NameOrder::FirstLast
    };
    let civ = care::civility(rng, pat, inv_date);
    let x = care::put(&mut b, 15.0, py, Font::SerifBold, 10.5, "Patient(e) : ");
    let xe = care::patient_name(&mut b, x, py, Font::Serif, 10.5, civ, pat, order);
    if rng.random_bool(0.6) {
        b.text(
            xe + 4.0,
            py,
            Font::Serif,
            10.0,
            &format!(
                "(né{} le {})",
                if pat.sex == values::Sex::F { "e" } else { "" },
                values::fmt_date(pat.birth_date, DateStyle::Slash)
            ),
        );
    }
    py += 5.2;
    if dep {
        let m = &ctx.member.person;
        b.text(
            15.0,
            py,
            Font::Serif,
            10.0,
            &format!("Assuré(e) : {} {}", m.last_name, m.first_name),
        );
        py += 5.2;
    }
    if rng.random_bool(0.7) {
        let bx = care::member_field(&mut b, rng, ctx, 15.0, py, Font::Serif, Font::Serif, 10.0);
        b.text(
            bx[2] + 4.0,
            py,
            Font::Serif,
            10.0,
            &format!("({})", ctx.mutuelle.name),
        );
        py += 5.2;
    }
    if all_same {
        date_field(
            &mut b,
            15.0,
            py,
            Font::Serif,
            Font::Serif,
            10.0,
            pick(
                rng,
                &["Soins réalisés le", "Date des soins :", "Date de l'acte :"],
            ),
            "care_date",
            first,
            style,
        );
        py += 5.2;
    }

    // Acts.
    let bl = rng.random_range(0..2);
    let mut cols = vec![];
    if !all_same {
        cols.push(col("Date", 21.0, Align::C));
    }
    cols.extend([
        col("Dent", 11.0, Align::C),
        col("Code\nCCAM", 18.0, Align::C),
        col(
            "Désignation de l'acte",
            if all_same { 74.0 } else { 53.0 },
            Align::L,
        ),
        col("Panier", 22.0, Align::C),
        col("Honoraires", 21.0, Align::R),
        col("Base\nremb.", 18.0, Align::R),
        col("Rbt AMO", 16.0, Align::R),
    ]);
    let short = DateStyle::Slash;
    let rows = table_rows(&lines, |l| {
        let mut r = vec![];
        if !all_same {
            r.push(values::fmt_date(l.date.unwrap_or(first), short));
        }
        let ba = if l.limit.is_none() && l.basket == Basket::None {
            "-"
        } else {
            care::basket_label(bl, l.basket)
        };
        r.extend([
            l.detail.clone(),
            l.code.clone(),
            l.label.clone(),
            ba.to_string(),
            money(l.total),
            money(l.base),
            money(l.amo),
        ]);
        r
    });
    let st = TableStyle {
        font: Font::Serif,
        head_font: Font::SerifBold,
        size: 9.0,
        head_size: 9.0,
        row_h: 7.0,
        head_fill: Some(228),
        grid: Grid::Full,
        zebra: None,
    };
    let to = care::table(&mut b, 15.0, py + 2.0, &cols, &rows, &st);
    if !all_same {
        let i = lines
            .iter()
            .position(|l| l.date == Some(first))
            .unwrap_or(0);
        let printed = values::fmt_date(first, short);
        b.set_field("care_date", values::iso(first));
        b.mark("care_date", &printed, to.cells[i][0]);
    }

    // Totals as text rows with leaders.
    let labels = care::TotalLabels {
        total: pick(rng, &["Total des honoraires", "Montant total", "Total"]),
        amo: pick(
            rng,
            &[
                "Remboursement AMO",
                "Part Sécurité sociale",
                "Part Assurance Maladie",
            ],
        ),
        amc: pick(
            rng,
            &["Part complémentaire", "Part mutuelle (estimée)", "Part AMC"],
        ),
        rac: pick(
            rng,
            &[
                "Reste à charge",
                "Reste à charge patient",
                "Reste à votre charge",
            ],
        ),
    };
    let yy = care::totals_rows(
        &mut b,
        &t,
        &labels,
        110.0,
        195.0,
        to.y_end + 8.0,
        Font::Serif,
        Font::SerifBold,
        10.5,
        5.6,
        true,
        true,
    );
    let mut my = yy + 4.0;
    if lines.iter().any(|l| l.code.starts_with("HBLD")) {
        let lab = format!(
            "Prothèse réalisée par le laboratoire {} - {} (France). Dispositif médical sur mesure conforme au règlement (UE) 2017/745.",
            pick(
                rng,
                &[
                    "Dental Concept",
                    "Prothèses Dentaires du Rhône",
                    "Labo Céram",
                    "Atelier Dentaire",
                    "Proth'Art"
                ]
            ),
            pick(
                rng,
                &[
                    "Lyon",
                    "Villeurbanne",
                    "Nantes",
                    "Toulouse",
                    "Lille",
                    "Marseille"
                ]
            )
        );
        my = b.paragraph(15.0, my, 180.0, Font::SerifItalic, 8.5, 4.0, &lab);
    }
    let s = status(rng, 0.5, 0.15);
    if s != Status::None {
        status_line(
            &mut b,
            rng,
            s,
            15.0,
            my + 6.0,
            Font::SerifBold,
            11.0,
            inv_date,
            t.rac,
            style,
        );
        if s == Status::Paid {
            b.signature(rng, 120.0, my + 2.0, 45.0, 14.0);
        }
        my += 20.0;
    }
    b.text(15.0, my.max(262.0), Font::Serif, 8.5, care::vat_exempt(rng));
    b.text(15.0, my.max(262.0) + 4.0, Font::Serif, 8.5, pick(rng, &[
        "Membre d'une association de gestion agréée, le règlement des honoraires par chèque est accepté.",
        "Chirurgien-dentiste conventionné. Honoraires de prothèses fixés avec tact et mesure.",
        "Un devis a été remis au patient préalablement aux soins prothétiques.",
    ]));
    let d = dispute(&p, &p.name, &num, inv_date, &t);
    (b.finish(), d)
}

// ---------------------------------------------------------------------------------------------
// Hearing-aid centre

fn audio(rng: &mut Rng, ctx: &Ctx) -> (Doc, DisputeRef) {
    let mut b = DocBuilder::new(Class::Invoice, "invoice/audio");
    let p = care::provider(rng, ctx, "hearing");
    let (pat, dep) = care::patient(rng, ctx);
    let style = care::date_style(rng);
    let inv_date = values::date_before(rng, ctx.received, 2, 40);
    let fit_date = inv_date - care::days(rng.random_range(0..=10));
    let classe2 = rng.random_bool(0.65);
    let ears = care::ears(rng);
    let mut lines = care::hearing_aids(rng, classe2, ears);
    let with_amc = rng.random_bool(0.7);
    if with_amc {
        care::hearing_cover(rng, &mut lines);
    }
    let t = Totals::of(&lines, with_amc);
    let num = number(rng, &["FA", "FAC", "AUD", "F"], inv_date.year());

    // Band.
    b.fill(12.0, 12.0, 186.0, 19.0, 222);
    let ns = fit(Font::SansBold, 16.0, &p.name, 120.0);
    b.field(
        "provider_name",
        p.name.as_str(),
        16.0,
        22.5,
        Font::SansBold,
        ns,
        &p.name,
    );
    b.text(
        16.0,
        28.0,
        Font::SansItalic,
        9.0,
        &format!("{} - {}", p.person.full(), p.profession),
    );
    b.text_right(194.0, 24.5, Font::SansBold, 18.0, "FACTURE");

    let mut y = 38.0;
    for l in care::address_lines(&p, true) {
        b.text(15.0, y, Font::Sans, 9.0, &l);
        y += 4.2;
    }
    b.text(
        15.0,
        y,
        Font::Sans,
        9.0,
        &format!("Tél. {}  -  {}", values::fmt_phone(rng, &p.phone), p.email),
    );
    y += 5.0;
    let ids = care::provider_ids(rng, &p, 3);
    y = care::ids_lines(&mut b, &ids, 15.0, y, Font::Sans, Font::Sans, 9.0, 4.2);

    // Meta box.
    b.rect(122.0, 35.0, 73.0, 24.0, 0.3);
    let mx = 125.0;
    b.label_field(
        mx,
        41.0,
        Font::SansBold,
        Font::Sans,
        9.5,
        "N° facture :",
        "invoice_number",
        num.1.as_str(),
        &num.0,
    );
    date_field(
        &mut b,
        mx,
        46.5,
        Font::SansBold,
        Font::Sans,
        9.5,
        "Date :",
        "invoice_date",
        inv_date,
        style,
    );
    date_field(
        &mut b,
        mx,
        52.0,
        Font::SansBold,
        Font::Sans,
        9.5,
        pick(
            rng,
            &[
                "Date d'adaptation :",
                "Date de délivrance :",
                "Appareillé le",
            ],
        ),
        "care_date",
        fit_date,
        style,
    );
    let ent = rx_orl(rng, fit_date);
    b.text(
        mx,
        57.0,
        Font::Sans,
        8.5,
        &format!(
            "Prescription ORL du {}",
            values::fmt_date(ent, DateStyle::Slash)
        ),
    );

    // Patient box.
    let by = y.max(62.0) + 3.0;
    let bh = if dep { 24.0 } else { 19.0 };
    b.rect(15.0, by, 180.0, bh, 0.3);
    let order = if rng.random_bool(0.5) {
        NameOrder::LastFirst
    } else {
        NameOrder::FirstLast
    };
    let civ = care::civility(rng, pat, inv_date);
    let x = care::put(&mut b, 18.0, by + 6.0, Font::SansBold, 10.0, "Patient : ");
    care::patient_name(&mut b, x, by + 6.0, Font::Sans, 10.0, civ, pat, order);
    b.text(
        18.0,
        by + 11.5,
        Font::Sans,
        9.0,
        &format!(
            "Né(e) le {}",
            values::fmt_date(pat.birth_date, DateStyle::Slash)
        ),
    );
    let a = &ctx.member.address;
    b.text(
        18.0,
        by + 16.5,
        Font::Sans,
        9.0,
        &format!("{}, {} {}", a.street, a.postal_code, a.city),
    );
    if dep {
        b.text(
            18.0,
            by + 21.5,
            Font::Sans,
            9.0,
            &format!(
                "Assuré(e) : {} {}",
                ctx.member.person.first_name, ctx.member.person.last_name
            ),
        );
    }
    b.text(
        112.0,
        by + 6.0,
        Font::Sans,
        9.0,
        &format!("Mutuelle : {}", ctx.mutuelle.name),
    );
    if rng.random_bool(0.7) {
        care::member_field(
            &mut b,
            rng,
            ctx,
            112.0,
            by + 11.5,
            Font::Sans,
            Font::Sans,
            9.5,
        );
    }

    // Ear boxes.
    let title = pick(
        rng,
        &[
            "Appareillage auditif",
            "Aides auditives (audioprothèses)",
            "Équipement auditif délivré",
        ],
    );
    let ey = by + bh + 9.0;
    let tb = b.text(15.0, ey, Font::SansBold, 11.0, title);
    care::care_type_field(&mut b, "hearing", title, tb);
    let boxes_y = ey + 3.0;
    for (i, l) in lines.iter().enumerate() {
        let bx = 15.0 + i as f32 * 92.0;
        b.rect(bx, boxes_y, 88.0, 27.0, 0.25);
        b.fill(bx, boxes_y, 88.0, 6.0, 235);
        b.text(
            bx + 2.5,
            boxes_y + 4.5,
            Font::SansBold,
            9.5,
            if l.detail == "OD" {
                "Oreille droite"
            } else {
                "Oreille gauche"
            },
        );
        let model = l.label.split(" - ").nth(1).unwrap_or("").to_string();
        b.text(
            bx + 2.5,
            boxes_y + 10.5,
            Font::Sans,
            9.0,
            &format!("Modèle : {model}"),
        );
        b.text(
            bx + 2.5,
            boxes_y + 15.0,
            Font::Sans,
            9.0,
            &format!("N° de série : {}", care::serial(rng)),
        );
        let cl = if l.basket == Basket::Sante {
            "Classe I (100 % Santé)"
        } else {
            "Classe II"
        };
        b.text(
            bx + 2.5,
            boxes_y + 19.5,
            Font::Sans,
            9.0,
            &format!("{cl}  -  garantie 4 ans"),
        );
        b.text(
            bx + 2.5,
            boxes_y + 24.5,
            Font::Sans,
            9.0,
            &format!("Code LPP {}", l.code),
        );
    }

    // Recap table.
    let cols = vec![
        col("Désignation", 62.0, Align::L),
        col("Code LPP", 19.0, Align::C),
        col("Oreille", 14.0, Align::C),
        col("Qté", 9.0, Align::C),
        col("Prix TTC", 20.0, Align::R),
        col("Base de\nremb.", 18.0, Align::R),
        col("Taux", 12.0, Align::C),
        col("Part AMO", 26.0, Align::R),
    ];
    let rows = table_rows(&lines, |l| {
        vec![
            if l.basket == Basket::Sante {
                "Aide auditive classe I".into()
            } else {
                "Aide auditive classe II".into()
            },
            l.code.clone(),
            l.detail.clone(),
            l.qty.to_string(),
            money(l.total),
            money(l.base),
            format!("{} %", l.rate),
            money(l.amo),
        ]
    });
    let st = TableStyle {
        font: Font::Sans,
        head_font: Font::SansBold,
        size: 9.0,
        head_size: 8.5,
        row_h: 7.0,
        head_fill: Some(200),
        grid: Grid::Full,
        zebra: None,
    };
    let to = care::table(&mut b, 15.0, boxes_y + 33.0, &cols, &rows, &st);

    // Totals box on the right, mentions on the left.
    let ty = to.y_end + 6.0;
    let n = if t.amc.is_some() { 4.0 } else { 3.0 };
    b.rect(112.0, ty, 83.0, n * 6.2 + 4.0, 0.35);
    let mut labels = care::total_labels(rng);
    if rng.random_bool(0.4) {
        labels.total = "Montant TTC";
    }
    care::totals_rows(
        &mut b,
        &t,
        &labels,
        115.0,
        192.0,
        ty + 6.0,
        Font::Sans,
        Font::SansBold,
        10.0,
        6.2,
        true,
        true,
    );
    let mut my = ty + 4.0;
    for m in [
        "Prestations de suivi incluses pendant toute la durée d'utilisation.",
        "Période d'essai de 30 jours minimum réalisée avant achat.",
        "TVA 5,5 % incluse.",
    ] {
        my = b.paragraph(15.0, my, 92.0, Font::Sans, 8.5, 4.0, m);
    }
    if with_amc && rng.random_bool(0.6) {
        my = b.paragraph(
            15.0,
            my,
            92.0,
            Font::Sans,
            8.5,
            4.0,
            "Tiers payant : Assurance Maladie et organisme complémentaire.",
        );
    }
    let s = status(rng, 0.4, 0.2);
    status_line(
        &mut b,
        rng,
        s,
        15.0,
        my + 4.0,
        Font::SansBold,
        10.0,
        inv_date,
        t.rac,
        style,
    );
    let d = dispute(&p, &p.name, &num, inv_date, &t);
    (b.finish(), d)
}

fn rx_orl(rng: &mut Rng, before: Date) -> Date {
    before - care::days(rng.random_range(20..120))
}

// ---------------------------------------------------------------------------------------------
// Clinic

fn clinic(rng: &mut Rng, ctx: &Ctx) -> (Doc, DisputeRef) {
    let mut b = DocBuilder::new(Class::Invoice, "invoice/clinic");
    let p = care::provider(rng, ctx, "hospital");
    let style = care::date_style(rng);
    let inv_date = values::date_before(rng, ctx.received, 3, 45);
    let (pat, dep) = care::adult_patient(rng, ctx, 18, inv_date);
    let discharge = inv_date - care::days(rng.random_range(0..=12));
    // Lines first (they decide the stay's length), then the dates.
    let (mut lines, nights, si) = care::hospital_stay(rng, None);
    let admission = discharge - care::days(nights);
    for l in lines.iter_mut() {
        l.date = Some(admission);
    }
    let with_amc = rng.random_bool(0.7);
    if with_amc {
        care::hospital_cover(rng, &mut lines);
    }
    let t = Totals::of(&lines, with_amc);
    let num = number(rng, &["FAC", "HOSP", "F", "S"], inv_date.year());

    // Centred header.
    let ns = fit(Font::SerifBold, 18.0, &p.name, 170.0);
    let nb = b.text_center(105.0, 21.0, Font::SerifBold, ns, &p.name);
    b.set_field("provider_name", p.name.as_str());
    b.mark("provider_name", &p.name, nb);
    let addr = care::address_lines(&p, true).join(" - ");
    b.text_center(105.0, 27.0, Font::Serif, 9.5, &addr);
    b.text_center(
        105.0,
        31.5,
        Font::Serif,
        9.0,
        &format!(
            "Standard : {} - Service facturation : {}",
            values::fmt_phone(rng, &p.phone),
            p.email
        ),
    );
    let ids = care::provider_ids(rng, &p, 2);
    let w = care::ids_inline_width(&ids, Font::Serif, Font::Serif, 9.5, "  -  ");
    care::ids_inline(
        &mut b,
        &ids,
        105.0 - w / 2.0,
        36.5,
        Font::Serif,
        Font::Serif,
        9.5,
        "  -  ",
    );
    b.line(15.0, 40.0, 195.0, 40.0, 0.5);

    let title = pick(
        rng,
        &[
            "FACTURE DE SÉJOUR",
            "FACTURE D'HOSPITALISATION",
            "Bordereau de facturation - Hospitalisation",
        ],
    );
    let tb = b.text(15.0, 49.0, Font::SansBold, 13.0, title);
    care::care_type_field(&mut b, "hospital", title, tb);

    // Two boxes.
    let by = 54.0;
    b.rect(15.0, by, 104.0, 27.0, 0.3);
    b.rect(123.0, by, 72.0, 27.0, 0.3);
    b.text(18.0, by + 5.0, Font::SansBold, 9.0, "PATIENT");
    let order = if rng.random_bool(0.7) {
        NameOrder::LastFirst
    } else {
        NameOrder::FirstLast
    };
    let civ = care::civility(rng, pat, inv_date);
    care::patient_name(&mut b, 18.0, by + 10.5, Font::Sans, 10.0, civ, pat, order);
    b.text(
        18.0,
        by + 15.5,
        Font::Sans,
        9.0,
        &format!(
            "Né(e) le {}   -   N° de séjour : {}",
            values::fmt_date(pat.birth_date, DateStyle::Slash),
            rng.random_range(10_000_000..99_999_999)
        ),
    );
    if dep {
        b.text(
            18.0,
            by + 20.5,
            Font::Sans,
            9.0,
            &format!(
                "Assuré : {} {}",
                ctx.member.person.last_name, ctx.member.person.first_name
            ),
        );
    } else {
        let a = &ctx.member.address;
        b.text(
            18.0,
            by + 20.5,
            Font::Sans,
            9.0,
            &format!("{}, {} {}", a.street, a.postal_code, a.city),
        );
    }
    let mut my = by + 25.0;
    b.text(126.0, by + 5.0, Font::SansBold, 9.0, "FACTURE");
    b.label_field(
        126.0,
        by + 10.5,
        Font::Sans,
        Font::SansBold,
        9.5,
        "N° :",
        "invoice_number",
        num.1.as_str(),
        &num.0,
    );
    date_field(
        &mut b,
        126.0,
        by + 16.0,
        Font::Sans,
        Font::Sans,
        9.5,
        "Émise le",
        "invoice_date",
        inv_date,
        style,
    );
    b.text(
        126.0,
        by + 21.5,
        Font::Sans,
        9.0,
        pick(
            rng,
            &[
                "Règlement à réception",
                "Payable à réception",
                "Échéance : à réception",
            ],
        ),
    );

    // Stay line.
    let sy = by + 34.0;
    let x = care::put(
        &mut b,
        15.0,
        sy,
        Font::SansBold,
        10.0,
        if nights == 0 {
            "Hospitalisation ambulatoire le "
        } else {
            "Séjour du "
        },
    );
    let ab = b.field(
        "care_date",
        values::iso(admission),
        x,
        sy,
        Font::SansBold,
        10.0,
        &values::fmt_date(admission, style),
    );
    let mut x = ab[2];
    if nights > 0 {
        x = care::put(&mut b, x, sy, Font::SansBold, 10.0, " au ");
        x = care::put(
            &mut b,
            x,
            sy,
            Font::SansBold,
            10.0,
            &values::fmt_date(discharge, style),
        );
    }
    let _ = x;
    let (_, surgery, _, _, _) = care::SURGERIES[si];
    b.text(
        15.0,
        sy + 5.0,
        Font::Sans,
        9.0,
        &format!(
            "Motif : {surgery}  -  {}",
            if nights == 0 {
                "chirurgie ambulatoire"
            } else {
                "hospitalisation complète"
            }
        ),
    );
    my = my.max(sy + 5.0);
    if rng.random_bool(0.7) {
        let x = care::put(
            &mut b,
            15.0,
            my + 5.0,
            Font::Sans,
            9.0,
            &format!("Organisme complémentaire : {}  -  ", ctx.mutuelle.name),
        );
        care::member_field(&mut b, rng, ctx, x, my + 5.0, Font::Sans, Font::Sans, 9.0);
        my += 5.0;
    }

    // Table with a totals row.
    let mut cols = vec![
        col("Libellé", if with_amc { 56.0 } else { 75.0 }, Align::L),
        col("Code", 21.0, Align::C),
        col("Qté", 10.0, Align::C),
        col("P.U.", 17.0, Align::R),
        col("Montant", 19.0, Align::R),
        col("Part AMO", 19.0, Align::R),
    ];
    if with_amc {
        cols.push(col("Part AMC", 19.0, Align::R));
    }
    cols.push(col("Part patient", 19.0, Align::R));
    let mut rows = table_rows(&lines, |l| {
        let mut r = vec![
            l.label.clone(),
            l.code.clone(),
            l.qty.to_string(),
            money(l.unit),
            money(l.total),
            money(l.amo),
        ];
        if with_amc {
            r.push(money(l.amc));
        }
        r.push(money(if with_amc { l.rac() } else { l.left() }));
        r
    });
    let mut total_row = vec![
        "TOTAL".to_string(),
        String::new(),
        String::new(),
        String::new(),
        money(t.total),
        money(t.amo),
    ];
    if let Some(a) = t.amc {
        total_row.push(money(a));
    }
    total_row.push(money(t.rac));
    rows.push(total_row);
    let st = TableStyle {
        font: Font::Sans,
        head_font: Font::SansBold,
        size: 9.0,
        head_size: 9.0,
        row_h: 7.5,
        head_fill: Some(215),
        grid: Grid::Full,
        zebra: None,
    };
    let to = care::table(&mut b, 15.0, my + 8.0, &cols, &rows, &st);
    let last = to.cells.len() - 1;
    let tr = &to.cells[last];
    let mark = |b: &mut DocBuilder, key: &str, a: Amount, i: usize| {
        b.set_field(key, a.to_string());
        b.mark(key, &money(a), tr[i]);
    };
    mark(&mut b, "total_amount", t.total, 4);
    mark(&mut b, "social_security_amount", t.amo, 5);
    if let Some(a) = t.amc {
        mark(&mut b, "complementary_amount", a, 6);
        mark(&mut b, "remaining_amount", t.rac, 7);
    } else {
        mark(&mut b, "remaining_amount", t.rac, 6);
    }
    b.line(
        15.0,
        to.cells[last][0][1] - 2.0,
        195.0,
        to.cells[last][0][1] - 2.0,
        0.4,
    );

    let mut y = to.y_end + 7.0;
    y = b.paragraph(15.0, y, 180.0, Font::Sans, 8.5, 4.0, "Montants en euros. Frais de séjour : participation forfaitaire de 24,00 € (actes d'un tarif supérieur ou égal à 120 €) à la charge de l'assuré ou de sa complémentaire.");
    if lines.iter().any(|l| l.code == "FJ") {
        y = b.paragraph(15.0, y, 180.0, Font::Sans, 8.5, 4.0, "Forfait journalier hospitalier : 20,00 € par jour, jour de sortie compris (art. L.174-4 du Code de la sécurité sociale).");
    }
    if lines.iter().any(|l| l.code == "CP") {
        y = b.paragraph(
            15.0,
            y,
            180.0,
            Font::Sans,
            8.5,
            4.0,
            "Chambre particulière attribuée à la demande expresse du patient.",
        );
    }
    let dep_total = lines
        .iter()
        .filter(|l| l.code.starts_with(care::SURGERIES[si].0))
        .fold(Amount::ZERO, |s, l| s + l.excess());
    if dep_total.cents() > 0 {
        y = b.paragraph(
            15.0,
            y,
            180.0,
            Font::Sans,
            8.5,
            4.0,
            &format!(
                "Dont dépassements d'honoraires (praticiens secteur 2) : {}",
                euro(dep_total)
            ),
        );
    }
    let s = status(rng, 0.35, 0.35);
    status_line(
        &mut b,
        rng,
        s,
        15.0,
        y + 5.0,
        Font::SansBold,
        10.5,
        inv_date,
        t.rac,
        style,
    );
    b.text_center(
        105.0,
        282.0,
        Font::Serif,
        8.0,
        &format!(
            "{} - {}",
            p.name,
            pick(
                rng,
                &[
                    "Établissement privé conventionné",
                    "Établissement de santé privé d'intérêt collectif",
                    "Clinique conventionnée"
                ]
            )
        ),
    );
    let d = dispute(&p, &p.name, &num, inv_date, &t);
    (b.finish(), d)
}

// ---------------------------------------------------------------------------------------------
// Pharmacy ticket

fn pharmacy(rng: &mut Rng, ctx: &Ctx) -> (Doc, DisputeRef) {
    let mut b = DocBuilder::new(Class::Invoice, "invoice/pharmacy");
    let p = care::provider(rng, ctx, "pharmacy");
    let (pat, dep) = care::patient(rng, ctx);
    let style = pick(
        rng,
        &[DateStyle::Slash, DateStyle::SlashShort, DateStyle::Slash],
    );
    let day = values::date_before(rng, ctx.received, 2, 30);
    let n = rng.random_range(2..=6);
    let mut lines = care::pharmacy_lines(rng, n);
    let with_amc = rng.random_bool(0.8);
    if with_amc {
        care::cover(&mut lines, |l| l.left());
    }
    let t = Totals::of(&lines, with_amc);
    let num = if rng.random_bool(0.5) {
        let s = format!("{}", rng.random_range(100_000..9_999_999));
        (s.clone(), s)
    } else {
        number(rng, &["F", "FP", "FAC"], day.year())
    };

    // A till roll: 86 mm of print, 45 characters at 9 pt.
    let x0 = 62.0;
    let x1 = 148.0;
    let cx = (x0 + x1) / 2.0;
    let m = Font::Mono;
    let mb = Font::MonoBold;
    let sz = 9.0;
    let lh = 4.1;
    // The line amounts end one character inside the till's full width (the dashed rulers run
    // the whole width), as on receipts printed with a right margin.
    let xr = x1 - fonts::width_mm(m, sz, "-");
    let mut y = 22.0;
    let ns = fit(mb, 11.0, &p.name.to_uppercase(), x1 - x0);
    let pn = p.name.to_uppercase();
    let nb = b.text_center(cx, y, mb, ns, &pn);
    b.set_field("provider_name", pn.as_str());
    b.mark("provider_name", &pn, nb);
    y += 5.0;
    for l in care::address_lines(&p, true) {
        b.text_center(cx, y, m, sz, &l);
        y += lh;
    }
    b.text_center(
        cx,
        y,
        m,
        sz,
        &format!("Tel {}", values::fmt_phone(rng, &p.phone)),
    );
    y += lh;
    let ids = care::provider_ids(rng, &p, 2);
    for id in &ids {
        let s = format!("{} {}", id.label, id.printed);
        let w = fonts::width_mm(m, sz, &s);
        b.label_field(
            cx - w / 2.0,
            y,
            m,
            m,
            sz,
            &id.label,
            id.key,
            id.value.as_str(),
            &id.printed,
        );
        y += lh;
    }
    let dash = "-".repeat(((x1 - x0) / fonts::width_mm(m, 8.5, "-")).floor() as usize);
    let dashes = |b: &mut DocBuilder, y: f32| {
        b.text(x0, y, m, 8.5, &dash);
    };
    y += 1.0;
    dashes(&mut b, y);
    y += lh + 1.0;
    let title = pick(
        rng,
        &[
            "FACTURE PHARMACIE",
            "FACTURE - DELIVRANCE MEDICAMENTS",
            "FACTURE DE PHARMACIE",
            "FACTURE PRODUITS PHARMACEUTIQUES",
        ],
    );
    let tb = b.text_center(cx, y, mb, 10.0, title);
    care::care_type_field(&mut b, "pharmacy", title, tb);
    y += lh + 1.5;
    b.label_field(
        x0,
        y,
        m,
        mb,
        sz,
        "Facture N°",
        "invoice_number",
        num.1.as_str(),
        &num.0,
    );
    y += lh;
    let hh = format!(
        "{:02}:{:02}",
        rng.random_range(8..19),
        rng.random_range(0..60)
    );
    let db = date_field(
        &mut b,
        x0,
        y,
        m,
        m,
        sz,
        "Date :",
        "invoice_date",
        day,
        style,
    );
    b.text(db[2] + 3.0, y, m, sz, &hh);
    y += lh;
    date_field(
        &mut b,
        x0,
        y,
        m,
        m,
        sz,
        "Delivrance le",
        "care_date",
        day,
        style,
    );
    y += lh;
    let presc = care::Practitioner::random(rng);
    b.text(x0, y, m, sz, &format!("Prescripteur : DR {}", presc.last));
    y += lh;
    b.text(
        x0,
        y,
        m,
        sz,
        &format!(
            "Ordonnance du {}",
            values::fmt_date(day - care::days(rng.random_range(0..20)), DateStyle::Slash)
        ),
    );
    y += lh + 1.0;
    dashes(&mut b, y);
    y += lh + 1.0;
    let x = care::put(&mut b, x0, y, m, sz, "Beneficiaire : ");
    care::patient_name(&mut b, x, y, m, sz, "", pat, NameOrder::LastFirst);
    y += lh;
    b.text(
        x0,
        y,
        m,
        sz,
        &format!(
            "Ne(e) le {}",
            values::fmt_date(pat.birth_date, DateStyle::Slash)
        ),
    );
    y += lh;
    if dep {
        b.text(
            x0,
            y,
            m,
            sz,
            &format!(
                "Assure : {} {}",
                ctx.member.person.last_name, ctx.member.person.first_name
            ),
        );
        y += lh;
    }
    if rng.random_bool(0.6) {
        let nir = values::fmt_nir(&ctx.member.person.nir, false);
        nir_line(&mut b, x0, y, m, sz, "NIR :", &nir);
        y += lh;
    }
    b.text(
        x0,
        y,
        m,
        sz,
        &format!("AMO : 01 - CPAM {}", p.city.to_uppercase()),
    );
    y += lh;
    let mutuelle = ctx.mutuelle.name.to_uppercase();
    let cols = ((x1 - x0) / fonts::width_mm(m, sz, "-")) as usize;
    b.text(
        x0,
        y,
        m,
        sz,
        &format!("AMC : {}", fit_chars(&mutuelle, cols - 6)),
    );
    y += lh;
    if rng.random_bool(0.7) {
        let label = pick(
            rng,
            &["Adh :", "N° adherent :", "Matricule AMC :", "Adherent n°"],
        );
        let printed = ctx.member.member_number.clone();
        b.label_field(
            x0,
            y,
            m,
            m,
            sz,
            label,
            "member_number",
            ctx.member.member_number.as_str(),
            &printed,
        );
        y += lh;
    }
    y += 1.0;
    dashes(&mut b, y);
    y += lh;
    b.text(x0, y, mb, 8.5, "DESIGNATION / CIP");
    b.text_right(xr, y, mb, 8.5, "MONTANT");
    y += lh - 0.5;
    b.text(x0, y, mb, 8.5, "  QTE x PU     BASE   TAUX");
    b.text_right(xr, y, mb, 8.5, "PART RO");
    y += lh;
    for l in &lines {
        b.text(x0, y, m, 9.0, &l.label);
        b.text_right(xr, y, m, 9.0, &money(l.total));
        y += lh;
        if l.code.len() == 13 {
            b.text(x0 + 2.0, y, m, 8.5, &l.code);
            y += lh - 0.3;
        }
        let detail = format!(
            "  {} x {:>6}  {:>6}   {:>2}%",
            l.qty,
            money(l.unit),
            money(l.base),
            l.rate
        );
        b.text(x0, y, m, 8.5, &detail);
        b.text_right(xr, y, m, 8.5, &money(l.amo));
        y += lh + 0.8;
    }
    dashes(&mut b, y);
    y += lh + 0.5;
    let labels = care::TotalLabels {
        total: pick(rng, &["TOTAL", "TOTAL FACTURE", "MONTANT TOTAL"]),
        amo: pick(rng, &["PART RO (AMO)", "PART OBLIGATOIRE", "PART SECU"]),
        amc: pick(
            rng,
            &["PART RC (AMC)", "PART COMPLEMENTAIRE", "PART MUTUELLE"],
        ),
        rac: pick(rng, &["PART ASSURE", "RESTE A PAYER", "A PAYER ASSURE"]),
    };
    y = till_totals(
        &mut b,
        &t,
        &labels,
        x0,
        y,
        mb,
        9.5,
        lh + 0.6,
        rng.random_bool(0.4),
    );
    dashes(&mut b, y - 1.5);
    y += lh;
    let s = status(rng, 0.5, 0.1);
    if s == Status::Paid {
        let text = if t.rac.cents() > 0 {
            format!("REGLE CB {}  - FACTURE ACQUITTEE", money(t.rac))
        } else {
            "FACTURE ACQUITTEE - TIERS PAYANT".to_string()
        };
        let bx = b.text(x0, y, m, sz, &text);
        b.set_field("paid", true);
        b.mark("paid", &text, bx);
        y += lh;
    } else if s == Status::Due && t.rac.cents() > 0 {
        let text = format!("RESTE DU : {}", money(t.rac));
        let bx = b.text(x0, y, m, sz, &text);
        b.set_field("paid", false);
        b.mark("paid", &text, bx);
        y += lh;
    }
    y += 1.0;
    b.text(
        x0,
        y,
        m,
        8.5,
        "Dont TVA 2,10 % sur medicaments remboursables",
    );
    y += lh;
    b.text_center(
        cx,
        y + 2.0,
        m,
        8.5,
        pick(
            rng,
            &[
                "Merci de votre visite",
                "Merci de votre confiance - A bientot",
                "Votre pharmacien vous remercie",
            ],
        ),
    );
    // The edge of the till roll.
    b.rect(x0 - 5.0, 13.0, x1 - x0 + 10.0, y + 8.0 - 13.0, 0.15);
    let d = dispute(&p, &pn, &num, day, &t);
    (b.finish(), d)
}

/// The totals of a till ticket, as its printer sets them: each label, dot leaders, and the
/// amount in a column just after the longest label (marked); returns the baseline after the
/// last row. The amounts stay in the text column rather than at the far right edge, where
/// Tesseract's column finder takes a narrow column of amounts apart from its labels and, on
/// some tickets, drops it altogether.
#[allow(clippy::too_many_arguments)]
fn till_totals(
    b: &mut DocBuilder,
    t: &Totals,
    labels: &care::TotalLabels,
    x_label: f32,
    y: f32,
    font: Font,
    size: f32,
    leading: f32,
    euro_sign: bool,
) -> f32 {
    let mut rows = vec![
        (labels.total, "total_amount", t.total),
        (labels.amo, "social_security_amount", t.amo),
    ];
    if let Some(a) = t.amc {
        rows.push((labels.amc, "complementary_amount", a));
    }
    rows.push((labels.rac, "remaining_amount", t.rac));
    let fmt = |a: Amount| if euro_sign { euro(a) } else { money(a) };
    let cw = fonts::width_mm(font, size, ".");
    let label_w = rows
        .iter()
        .map(|r| fonts::width_mm(font, size, r.0))
        .fold(0.0, f32::max);
    let amount_w = rows
        .iter()
        .map(|r| fonts::width_mm(font, size, &fmt(r.2)))
        .fold(0.0, f32::max);
    let x_right = x_label + label_w + 4.0 * cw + amount_w;
    let mut y = y;
    for (label, key, a) in rows {
        let lb = b.text(x_label, y, font, size, label);
        let vb = care::field_right(b, x_right, y, font, size, key, a.to_string(), &fmt(a));
        let n = ((vb[0] - lb[2]) / cw).round() as usize;
        if n > 2 {
            b.text(lb[2] + cw, y, font, size, &".".repeat(n - 2));
        }
        y += leading;
    }
    y
}

/// `s` cut to `n` characters.
fn fit_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

// ---------------------------------------------------------------------------------------------
// Physiotherapist

fn physio(rng: &mut Rng, ctx: &Ctx) -> (Doc, DisputeRef) {
    let mut b = DocBuilder::new(Class::Invoice, "invoice/physio");
    let p = care::provider(rng, ctx, "paramedical");
    let (pat, dep) = care::patient(rng, ctx);
    let style = care::date_style(rng);
    let serif = rng.random_bool(0.5);
    let (f, fb, fi) = if serif {
        (Font::Serif, Font::SerifBold, Font::SerifItalic)
    } else {
        (Font::Sans, Font::SansBold, Font::SansItalic)
    };
    let inv_date = values::date_before(rng, ctx.received, 2, 30);
    let last = inv_date - care::days(rng.random_range(0..=5));
    let n = rng.random_range(4..=12);
    let (mut lines, label, _) = care::physio_sessions(rng, last, n);
    let with_amc = rng.random_bool(0.5);
    if with_amc {
        care::cover(&mut lines, |l| l.left());
    }
    let t = Totals::of(&lines, with_amc);
    let num = number(rng, &["F", "FK", "NH", "FA"], inv_date.year());
    let first = lines.iter().filter_map(|l| l.date).min().unwrap_or(last);

    let ns = fit(fb, 13.0, &p.name, 95.0);
    b.field(
        "provider_name",
        p.name.as_str(),
        15.0,
        19.0,
        fb,
        ns,
        &p.name,
    );
    let mut y = 24.0;
    if !p.name.contains(&p.person.last) {
        b.text(15.0, y, f, 10.0, &p.person.full());
        y += 4.5;
    }
    b.text(15.0, y, fi, 9.5, &p.profession);
    y += 5.0;
    for l in care::address_lines(&p, false) {
        b.text(15.0, y, f, 9.5, &l);
        y += 4.3;
    }
    b.text(
        15.0,
        y,
        f,
        9.5,
        &format!("Tél. {}", values::fmt_phone(rng, &p.phone)),
    );
    y += 4.8;
    let ids = care::provider_ids(rng, &p, 2);
    y = care::ids_lines(&mut b, &ids, 15.0, y, f, f, 9.5, 4.3);
    if let Some(am) = &p.am
        && rng.random_bool(0.4)
    {
        b.text(15.0, y, f, 9.0, &format!("N° Assurance Maladie : {am}"));
        y += 4.3;
    }

    // Window address.
    let civ = care::civility(rng, &ctx.member.person, inv_date);
    let order = if rng.random_bool(0.5) {
        NameOrder::LastFirst
    } else {
        NameOrder::FirstLast
    };
    member_block(&mut b, ctx, 112.0, 50.0, f, 10.5, 5.0, !dep, civ, order);

    let ty = y.max(74.0) + 8.0;
    let x = care::put(&mut b, 15.0, ty, fb, 13.0, "FACTURE N° ");
    b.field("invoice_number", num.1.as_str(), x, ty, fb, 13.0, &num.0);
    let dl = format!("{} ", pick(rng, &["Date :", "Le", "Date de facture :"]));
    let ds = values::fmt_date(inv_date, style);
    let w = fonts::width_mm(f, 10.5, &dl) + fonts::width_mm(f, 10.5, &ds);
    let x = care::put(&mut b, 195.0 - w, ty, f, 10.5, &dl);
    b.field("invoice_date", values::iso(inv_date), x, ty, f, 10.5, &ds);

    let mut y = ty + 8.0;
    let title = pick(
        rng,
        &[
            "Séances de masso-kinésithérapie",
            "Actes de rééducation (masso-kinésithérapie)",
            "Soins de kinésithérapie",
        ],
    );
    let tb = b.text(15.0, y, fb, 10.5, title);
    care::care_type_field(&mut b, "paramedical", title, tb);
    y += 5.5;
    if dep || rng.random_bool(0.5) {
        let x = care::put(&mut b, 15.0, y, f, 10.0, "Patient : ");
        care::patient_name(
            &mut b,
            x,
            y,
            f,
            10.0,
            care::civility(rng, pat, inv_date),
            pat,
            order,
        );
        y += 5.0;
    }
    if rng.random_bool(0.6) {
        care::member_field(&mut b, rng, ctx, 15.0, y, f, f, 10.0);
        y += 5.0;
    }
    let presc = care::Practitioner::random(rng);
    b.text(
        15.0,
        y,
        f,
        9.5,
        &format!(
            "Prescription du {} du {} : {} séances ({})",
            presc.dr(),
            values::fmt_date(
                first - care::days(rng.random_range(3..25)),
                DateStyle::Slash
            ),
            lines.iter().filter(|l| l.code != "IFD").count(),
            label.to_lowercase()
        ),
    );
    y += 4.0;

    let cols = vec![
        col("Date", 24.0, Align::C),
        col("Cotation", 22.0, Align::C),
        col("Acte", 62.0, Align::L),
        col("Honoraires", 24.0, Align::R),
        col("Base", 22.0, Align::R),
        col("Part AMO", 26.0, Align::R),
    ];
    let rows = table_rows(&lines, |l| {
        vec![
            values::fmt_date(l.date.unwrap_or(first), DateStyle::Slash),
            l.code.clone(),
            if l.code == "IFD" {
                "Déplacement à domicile".into()
            } else {
                l.label.clone()
            },
            money(l.total),
            money(l.base),
            money(l.amo),
        ]
    });
    let st = TableStyle {
        font: f,
        head_font: fb,
        size: 9.0,
        head_size: 9.0,
        row_h: 6.0,
        head_fill: if serif { None } else { Some(230) },
        grid: if serif { Grid::Open } else { Grid::Rows },
        zebra: if serif { Some(244) } else { None },
    };
    let to = care::table(&mut b, 15.0, y, &cols, &rows, &st);
    let printed = values::fmt_date(first, DateStyle::Slash);
    b.set_field("care_date", values::iso(first));
    b.mark("care_date", &printed, to.cells[0][0]);

    let labels = care::total_labels(rng);
    let yy = care::totals_rows(
        &mut b,
        &t,
        &labels,
        112.0,
        195.0,
        to.y_end + 7.0,
        f,
        fb,
        10.0,
        5.5,
        true,
        true,
    );
    let s = status(rng, 0.6, 0.1);
    let mut sy = yy + 4.0;
    if s != Status::None {
        status_line(&mut b, rng, s, 15.0, sy, fb, 10.5, inv_date, t.rac, style);
        if s == Status::Paid {
            b.signature(rng, 130.0, sy - 6.0, 40.0, 13.0);
        }
        sy += 16.0;
    }
    sy = b.paragraph(
        15.0,
        sy.max(255.0),
        180.0,
        f,
        8.5,
        4.0,
        care::vat_exempt(rng),
    );
    if rng.random_bool(0.5) {
        b.paragraph(15.0, sy, 180.0, f, 8.5, 4.0, pick(rng, &["Masseur-kinésithérapeute conventionné secteur 1 - Dispense d'avance des frais pour la part AMO.", "Règlement par chèque à l'ordre du praticien, espèces ou carte bancaire.", "Facture établie pour remboursement auprès de votre organisme complémentaire."]));
    }
    let d = dispute(&p, &p.name, &num, inv_date, &t);
    (b.finish(), d)
}

// ---------------------------------------------------------------------------------------------
// Doctor (A5 note d'honoraires in the top half)

fn doctor(rng: &mut Rng, ctx: &Ctx) -> (Doc, DisputeRef) {
    let mut b = DocBuilder::new(Class::Invoice, "invoice/doctor");
    let p = care::provider(rng, ctx, "consultation");
    let (pat, dep) = care::patient(rng, ctx);
    let style = care::date_style(rng);
    let day = values::date_before(rng, ctx.received, 2, 40);
    let inv_date = if rng.random_bool(0.8) {
        day
    } else {
        day + care::days(rng.random_range(1..=2)).min(ctx.received - day)
    };
    let mut lines = care::consultation_lines(rng, &p.profession, day);
    let with_amc = rng.random_bool(0.4);
    if with_amc {
        care::consultation_cover(rng, &mut lines);
    }
    let t = Totals::of(&lines, with_amc);
    let num = number(rng, &["NH", "H", "N"], inv_date.year());

    b.rect(15.0, 14.0, 180.0, 136.0, 0.5);
    let ns = fit(Font::SansBold, 12.5, &p.name, 95.0);
    b.field(
        "provider_name",
        p.name.as_str(),
        20.0,
        22.0,
        Font::SansBold,
        ns,
        &p.name,
    );
    let mut y = 27.0;
    b.text(20.0, y, Font::Sans, 9.5, &p.profession);
    y += 4.3;
    let sector = lines.iter().any(|l| l.code == "DE");
    b.text(
        20.0,
        y,
        Font::SansItalic,
        9.0,
        if sector {
            "Conventionné secteur 2 - honoraires libres"
        } else {
            "Conventionné secteur 1"
        },
    );
    y += 4.3;
    for l in care::address_lines(&p, false) {
        b.text(20.0, y, Font::Sans, 9.0, &l);
        y += 4.0;
    }
    b.text(
        20.0,
        y,
        Font::Sans,
        9.0,
        &format!("Tél. {}", values::fmt_phone(rng, &p.phone)),
    );
    let ids = care::provider_ids(rng, &p, 2);
    let mut iy = care::ids_lines(&mut b, &ids, 125.0, 22.0, Font::Sans, Font::Sans, 9.0, 4.3);
    if let Some(am) = &p.am {
        b.text(125.0, iy, Font::Sans, 9.0, &format!("N° AM : {am}"));
        iy += 4.3;
    }
    let _ = iy;
    let ty = y.max(44.0) + 9.0;
    let title = pick(
        rng,
        &[
            "NOTE D'HONORAIRES - CONSULTATION",
            "Note d'honoraires (consultation)",
            "FACTURE DE CONSULTATION",
        ],
    );
    let tb = b.text_center(105.0, ty, Font::SansBold, 12.5, title);
    care::care_type_field(&mut b, "consultation", title, tb);
    let nl = "N° ";
    let w = fonts::width_mm(Font::Sans, 9.5, nl) + fonts::width_mm(Font::Sans, 9.5, &num.0);
    let x = care::put(&mut b, 105.0 - w / 2.0, ty + 5.0, Font::Sans, 9.5, nl);
    b.field(
        "invoice_number",
        num.1.as_str(),
        x,
        ty + 5.0,
        Font::Sans,
        9.5,
        &num.0,
    );

    let mut py = ty + 12.0;
    let civ = care::civility(rng, pat, day);
    let x = care::put(&mut b, 20.0, py, Font::Sans, 10.0, "Patient : ");
    care::patient_name(
        &mut b,
        x,
        py,
        Font::SansBold,
        10.0,
        civ,
        pat,
        if rng.random_bool(0.5) {
            NameOrder::LastFirst
        } else {
            NameOrder::FirstLast
        },
    );
    if dep {
        b.text(
            125.0,
            py,
            Font::Sans,
            9.0,
            &format!(
                "Assuré : {} {}",
                ctx.member.person.last_name, ctx.member.person.first_name
            ),
        );
    } else if rng.random_bool(0.6) {
        care::member_field(&mut b, rng, ctx, 125.0, py, Font::Sans, Font::Sans, 9.0);
    }
    py += 5.0;
    date_field(
        &mut b,
        20.0,
        py,
        Font::Sans,
        Font::Sans,
        10.0,
        pick(
            rng,
            &[
                "Date de la consultation :",
                "Consultation du",
                "Date des soins :",
            ],
        ),
        "care_date",
        day,
        style,
    );
    py += 3.0;

    let cols = vec![
        col("Code", 20.0, Align::C),
        col("Acte", 74.0, Align::L),
        col("Montant", 26.0, Align::R),
        col("Base", 24.0, Align::R),
        col("Part AMO", 26.0, Align::R),
    ];
    let rows = table_rows(&lines, |l| {
        vec![
            l.code.clone(),
            l.label.clone(),
            money(l.total),
            if l.base.cents() == 0 {
                "-".into()
            } else {
                money(l.base)
            },
            money(l.amo),
        ]
    });
    let st = TableStyle {
        font: Font::Sans,
        head_font: Font::SansBold,
        size: 9.0,
        head_size: 9.0,
        row_h: 6.5,
        head_fill: Some(235),
        grid: Grid::Columns,
        zebra: None,
    };
    let to = care::table(&mut b, 20.0, py, &cols, &rows, &st);

    let labels = care::TotalLabels {
        total: pick(
            rng,
            &["Total perçu", "Total des honoraires", "Montant total"],
        ),
        amo: pick(
            rng,
            &[
                "Part AMO",
                "Remboursement Sécurité sociale",
                "Part Assurance Maladie",
            ],
        ),
        amc: pick(rng, &["Part AMC", "Part complémentaire", "Part mutuelle"]),
        rac: pick(
            rng,
            &["Reste à charge", "Part patient", "Reste à votre charge"],
        ),
    };
    let yy = care::totals_rows(
        &mut b,
        &t,
        &labels,
        110.0,
        190.0,
        to.y_end + 6.0,
        Font::Sans,
        Font::SansBold,
        10.0,
        5.2,
        true,
        true,
    );
    b.paragraph(20.0, to.y_end + 6.0, 85.0, Font::SansItalic, 8.5, 3.8, "Part AMO : 70 % de la base, moins la participation forfaitaire de 2,00 € restant à la charge de l'assuré.");
    let s = status(rng, 0.55, 0.05);
    let place = format!(
        "{}, le {}",
        p.city,
        values::fmt_date(inv_date, DateStyle::Slash)
    );
    let fy = yy.max(to.y_end + 20.0) + 2.0;
    if s == Status::Paid {
        let text = format!("Reçu la somme de {} - Acquitté", euro(t.total));
        let bx = b.text(20.0, fy, Font::Sans, 9.5, &text);
        b.set_field("paid", true);
        b.mark("paid", &text, bx);
        b.signature(rng, 140.0, fy - 5.0, 40.0, 12.0);
    } else if s == Status::Due {
        status_line(
            &mut b,
            rng,
            s,
            20.0,
            fy,
            Font::Sans,
            9.5,
            inv_date,
            t.total,
            style,
        );
    }
    let x = care::put(
        &mut b,
        20.0,
        fy + 7.0,
        Font::Sans,
        9.0,
        &format!("{}, le ", p.city),
    );
    b.field(
        "invoice_date",
        values::iso(inv_date),
        x,
        fy + 7.0,
        Font::Sans,
        9.0,
        &values::fmt_date(inv_date, DateStyle::Slash),
    );
    let _ = place;
    b.text(20.0, 146.0, Font::Sans, 8.0, care::vat_exempt(rng));
    let d = dispute(&p, &p.name, &num, inv_date, &t);
    (b.finish(), d)
}

#[cfg(test)]
mod tests {
    use super::super::testkit;
    use super::*;
    use std::path::Path;

    fn amount(doc: &Doc, key: &str) -> Option<Amount> {
        doc.fields
            .get(key)
            .and_then(|v| v.as_str())
            .map(|s| s.parse().unwrap())
    }

    #[test]
    fn every_variant_is_sound_and_adds_up() {
        for v in Variant::ALL {
            for seed in 0..200 {
                let (mut rng, member, mutuelle, received) = testkit::setup(seed);
                let ctx = testkit::ctx(&member, mutuelle, received);
                let (doc, d) = render_variant(&mut rng, &ctx, v);
                testkit::assert_sound(&doc, received);
                care::assert_layout_clean(&doc);
                assert_eq!(doc.class, Class::Invoice);
                let f = &doc.fields;
                for key in [
                    "invoice_number",
                    "invoice_date",
                    "care_date",
                    "care_type",
                    "provider_name",
                    "patient_last_name",
                    "patient_first_name",
                    "total_amount",
                    "social_security_amount",
                    "remaining_amount",
                ] {
                    assert!(f.contains_key(key), "{}: {key} missing", doc.layout);
                }
                assert!(
                    f.contains_key("provider_finess")
                        || f.contains_key("provider_rpps")
                        || f.contains_key("provider_siret"),
                    "{}: no provider id",
                    doc.layout
                );
                assert_eq!(f["care_type"], v.care_type());
                // Exact sum, in cents.
                let total = amount(&doc, "total_amount").unwrap();
                let amo = amount(&doc, "social_security_amount").unwrap();
                let amc = amount(&doc, "complementary_amount").unwrap_or(Amount::ZERO);
                let rac = amount(&doc, "remaining_amount").unwrap();
                assert_eq!(total, amo + amc + rac, "{} seed {seed}", doc.layout);
                assert!(amo.cents() >= 0 && amc.cents() >= 0 && rac.cents() >= 0);
                // The dispute reference matches the truth.
                assert_eq!(f["invoice_number"], d.reference.as_str());
                assert_eq!(
                    d.reference,
                    d.printed_reference
                        .split_whitespace()
                        .collect::<String>()
                        .to_uppercase()
                );
                assert_eq!(d.total, total);
                assert_eq!(f["invoice_date"], values::iso(d.date).as_str());
                assert_eq!(f["provider_name"], d.provider_name.as_str());
                assert_eq!(d.care_type, v.care_type());
                assert!(
                    d.disputed.cents() > 0 && d.disputed <= total,
                    "{}: disputed {}",
                    doc.layout,
                    d.disputed
                );
                // Patient is the member or a dependant.
                let last = f["patient_last_name"].as_str().unwrap();
                assert!(
                    member.person.last_name == last
                        || member.dependants.iter().any(|p| p.last_name == last)
                );
            }
        }
    }

    /// The totals printed equal the sums of the table rows printed (read back from the page).
    #[test]
    fn printed_rows_add_up_to_printed_totals() {
        for v in [
            Variant::Clinic,
            Variant::Physio,
            Variant::Optician,
            Variant::Dentist,
            Variant::Audio,
            Variant::Doctor,
        ] {
            for seed in 0..200 {
                let (mut rng, member, mutuelle, received) = testkit::setup(seed);
                let ctx = testkit::ctx(&member, mutuelle, received);
                let (doc, _) = render_variant(&mut rng, &ctx, v);
                let page = &doc.pages[0];
                let runs: Vec<(String, [f32; 4])> =
                    page.text_runs().map(|(t, b)| (t.to_string(), b)).collect();
                // The AMO column: cells right-aligned on the same x as the AMO heading's column.
                let head = runs
                    .iter()
                    .find(|(t, _)| t == "Part AMO" || t == "Rbt AMO")
                    .expect("AMO heading");
                let right = head.1[2];
                let top = head.1[3];
                let total_amo = amount(&doc, "social_security_amount").unwrap();
                let mut sum = Amount::ZERO;
                for (t, b) in &runs {
                    if b[1] > top
                        && (b[2] - right).abs() < 0.6
                        && let Some(a) = mailroom_domain::normalize::amount(t)
                    {
                        sum = sum + a;
                    }
                }
                // The clinic prints the totals as the table's last row.
                let sum = if v == Variant::Clinic {
                    sum - total_amo
                } else {
                    sum
                };
                assert_eq!(sum, total_amo, "{} seed {seed}", doc.layout);
            }
        }
    }

    #[test]
    fn forced_care_type_is_honoured() {
        for (i, ct) in [
            "optical",
            "dental",
            "hearing",
            "hospital",
            "pharmacy",
            "paramedical",
            "consultation",
        ]
        .iter()
        .enumerate()
        {
            let (mut rng, member, mutuelle, received) = testkit::setup(i as u64);
            let ctx = testkit::ctx(&member, mutuelle, received);
            let (doc, d) = render(&mut rng, &ctx, Some(ct));
            assert_eq!(doc.fields["care_type"], *ct);
            assert_eq!(d.care_type, *ct);
        }
        for seed in 0..50 {
            let (mut rng, member, mutuelle, received) = testkit::setup(seed);
            let ctx = testkit::ctx(&member, mutuelle, received);
            let (doc, _) = render(&mut rng, &ctx, None);
            testkit::assert_sound(&doc, received);
        }
    }

    #[test]
    #[ignore]
    fn preview() {
        for v in Variant::ALL {
            for seed in 0..3 {
                let (mut rng, member, mutuelle, received) = testkit::setup(seed);
                let ctx = testkit::ctx(&member, mutuelle, received);
                let (doc, _) = render_variant(&mut rng, &ctx, v);
                let name = doc.layout.replace("invoice/", "");
                crate::preview(
                    &doc,
                    Path::new("/tmp/preview/invoice"),
                    &format!("{name}-{seed}"),
                    100,
                )
                .unwrap();
            }
        }
    }
}
