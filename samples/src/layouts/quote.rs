//! Quotes for planned care (devis), in Liberation faces so they can also be born-digital PDFs.
//!
//! - `quote/dental-standard`: the regulated dental devis (entente directe): practitioner and
//!   patient boxes, CCAM table with HLF, AMO and "non remboursé" columns and a totals row,
//!   the 100 % Santé alternative; sometimes on two pages.
//! - `quote/optical-standard`: the regulated optical devis: letterhead, prescription, two
//!   panels side by side (offre 100 % Santé classe A / équipement proposé classe B), the chosen
//!   one ticked.
//! - `quote/hearing`: serif devis for hearing aids, right-aligned letterhead, one table with the
//!   classe I and classe II offers and their subtotals, a summary box of the offer retained.
//! - `quote/surgery`: a surgeon's letter informing of fees for a planned operation (dépassements,
//!   private room, daily charge), with a totals block and the patient's consent.
//! - `quote/dental-plan`: another dental software's "plan de traitement": tooth chart, three
//!   option columns (100 % Santé / maîtrisé / libre) with the retained one ticked, conditions and
//!   signatures on a second page.

use super::Ctx;
use super::care::{
    self, Align, Basket, Grid, Line, NameOrder, OptClass, TableStyle, Totals, amt, col, date_field,
    euro, fit, money, pick,
};
use crate::doc::{Doc, DocBuilder, Rng};
use crate::fonts::{self, Font};
use crate::values::{self, DateStyle};
use mailroom_domain::{Amount, Class};
use rand::Rng as _;
use time::Date;

/// The quote designs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    DentalStandard,
    OpticalStandard,
    Hearing,
    Surgery,
    DentalPlan,
}

impl Variant {
    #[cfg(test)]
    const ALL: [Variant; 5] = [
        Variant::DentalStandard,
        Variant::OpticalStandard,
        Variant::Hearing,
        Variant::Surgery,
        Variant::DentalPlan,
    ];

    #[cfg(test)]
    fn care_type(self) -> &'static str {
        match self {
            Variant::DentalStandard | Variant::DentalPlan => "dental",
            Variant::OpticalStandard => "optical",
            Variant::Hearing => "hearing",
            Variant::Surgery => "hospital",
        }
    }
}

/// Draws a quote for planned care.
pub fn render(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let v = pick(
        rng,
        &[
            Variant::DentalStandard,
            Variant::DentalStandard,
            Variant::OpticalStandard,
            Variant::OpticalStandard,
            Variant::Hearing,
            Variant::Surgery,
            Variant::DentalPlan,
        ],
    );
    render_variant(rng, ctx, v)
}

pub(crate) fn render_variant(rng: &mut Rng, ctx: &Ctx, v: Variant) -> Doc {
    match v {
        Variant::DentalStandard => dental_standard(rng, ctx),
        Variant::OpticalStandard => optical_standard(rng, ctx),
        Variant::Hearing => hearing(rng, ctx),
        Variant::Surgery => surgery(rng, ctx),
        Variant::DentalPlan => dental_plan(rng, ctx),
    }
}

/// Quote date (a few days to two months before reception) and validity (3 or 6 months, or
/// 90 days, later).
fn quote_dates(rng: &mut Rng, ctx: &Ctx, months: &[u32]) -> (Date, Date) {
    let qd = values::date_before(rng, ctx.received, 3, 60);
    let vu = if rng.random_bool(0.2) {
        qd + care::days(90)
    } else {
        care::add_months(qd, pick(rng, months))
    };
    (qd, vu)
}

fn number(rng: &mut Rng, prefixes: &[&str], year: i32) -> (String, String) {
    let prefix = pick(rng, prefixes);
    values::reference(rng, prefix, year)
}

/// Draws `label value` where the value is an amount field, the value right-aligned on `x_right`.
#[allow(clippy::too_many_arguments)]
fn amount_row(
    b: &mut DocBuilder,
    x: f32,
    x_right: f32,
    y: f32,
    font: Font,
    size: f32,
    label: &str,
    key: Option<&str>,
    a: Amount,
    euro_sign: bool,
) {
    b.text(x, y, font, size, label);
    let printed = if euro_sign { euro(a) } else { money(a) };
    match key {
        Some(k) => {
            care::field_right(b, x_right, y, font, size, k, a.to_string(), &printed);
        }
        None => {
            b.text_right(x_right, y, font, size, &printed);
        }
    }
}

/// Marks a printed table cell as a field.
fn mark_cell(
    b: &mut DocBuilder,
    key: &str,
    value: impl Into<serde_json::Value>,
    printed: &str,
    bbox: [f32; 4],
) {
    b.set_field(key, value);
    b.mark(key, printed, bbox);
}

/// A dental plan of one to three teeth, each in its own basket, for the standard devis.
fn dental_plan_lines(rng: &mut Rng) -> (Vec<Line>, Vec<(u32, bool)>) {
    let n = pick(rng, &[1usize, 1, 2, 2, 3]);
    let mut teeth: Vec<(u32, bool)> = Vec::new();
    while teeth.len() < n {
        let t = care::tooth(rng);
        if teeth.iter().all(|(x, _)| *x != t) {
            teeth.push((t, rng.random_bool(0.35)));
        }
    }
    teeth.sort();
    let mut lines = Vec::new();
    for (t, core) in &teeth {
        let basket = pick(
            rng,
            &[
                Basket::Sante,
                Basket::Maitrise,
                Basket::Maitrise,
                Basket::Libre,
                Basket::Libre,
            ],
        );
        lines.extend(care::crown(rng, *t, basket, *core));
    }
    (lines, teeth)
}

// ---------------------------------------------------------------------------------------------
// Dental, regulated model

fn dental_standard(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Quote, "quote/dental-standard");
    let p = care::provider(rng, ctx, "dental");
    let style = care::date_style(rng);
    let (qd, vu) = quote_dates(rng, ctx, &[6, 6, 3]);
    let (pat, _) = care::adult_patient(rng, ctx, 16, qd);
    let (mut lines, teeth) = dental_plan_lines(rng);
    let with_amc = rng.random_bool(0.5);
    if with_amc {
        care::dental_cover(rng, &mut lines);
    }
    let t = Totals::of(&lines, with_amc);
    let num = number(rng, &["D", "DE", "DEV", "DV"], qd.year());

    let (t1, t2) = pick(
        rng,
        &[
            (
                "DEVIS POUR LES TRAITEMENTS ET ACTES BUCCO-DENTAIRES",
                "FAISANT L'OBJET D'UNE ENTENTE DIRECTE",
            ),
            (
                "Devis pour les traitements et actes bucco-dentaires",
                "faisant l'objet d'une entente directe",
            ),
            (
                "DEVIS DENTAIRE NORMALISÉ",
                "Traitements prothétiques - modèle réglementaire",
            ),
        ],
    );
    let s1 = fit(Font::SansBold, 12.5, t1, 180.0);
    let tb = b.text_center(105.0, 19.0, Font::SansBold, s1, t1);
    care::care_type_field(&mut b, "dental", t1, tb);
    b.text_center(105.0, 24.5, Font::SansBold, 11.0, t2);

    // Practitioner and patient boxes.
    let by = 30.0;
    let bh = 40.0;
    b.rect(15.0, by, 88.0, bh, 0.3);
    b.rect(107.0, by, 88.0, bh, 0.3);
    b.fill(15.0, by, 88.0, 6.0, 225);
    b.fill(107.0, by, 88.0, 6.0, 225);
    b.text(
        17.5,
        by + 4.4,
        Font::SansBold,
        9.0,
        "Identification du praticien",
    );
    b.text(
        109.5,
        by + 4.4,
        Font::SansBold,
        9.0,
        "Identification du patient",
    );
    let ns = fit(Font::SansBold, 10.0, &p.name, 83.0);
    b.field(
        "provider_name",
        p.name.as_str(),
        17.5,
        by + 11.0,
        Font::SansBold,
        ns,
        &p.name,
    );
    let mut y = by + 15.5;
    for l in care::address_lines(&p, true) {
        b.text(17.5, y, Font::Sans, 9.0, &l);
        y += 4.0;
    }
    let ids = care::provider_ids(rng, &p, 2);
    care::ids_lines(
        &mut b,
        &ids,
        17.5,
        y + 0.5,
        Font::Sans,
        Font::Sans,
        9.0,
        4.2,
    );
    let order = if rng.random_bool(0.5) {
        NameOrder::LastFirst
    } else {
        NameOrder::FirstLast
    };
    let x = care::put(&mut b, 109.5, by + 11.0, Font::Sans, 9.5, "Nom, prénom : ");
    care::patient_name(&mut b, x, by + 11.0, Font::SansBold, 9.5, "", pat, order);
    b.text(
        109.5,
        by + 16.0,
        Font::Sans,
        9.0,
        &format!(
            "Date de naissance : {}",
            values::fmt_date(pat.birth_date, DateStyle::Slash)
        ),
    );
    let mut py = by + 21.0;
    if rng.random_bool(0.6) {
        let nir = values::fmt_nir(&ctx.member.person.nir, true);
        let x = care::put(
            &mut b,
            109.5,
            py,
            Font::Sans,
            9.0,
            "N° d'immatriculation : ",
        );
        let bx = b.text(x, py, Font::Sans, 9.0, &nir);
        b.mark("nir", &nir, bx);
        py += 5.0;
    }
    b.text(
        109.5,
        py,
        Font::Sans,
        9.0,
        &format!("Complémentaire : {}", ctx.mutuelle.name),
    );
    py += 5.0;
    if rng.random_bool(0.65) {
        care::member_field(&mut b, rng, ctx, 109.5, py, Font::Sans, Font::Sans, 9.0);
    }

    // Number, date, validity.
    let ly = by + bh + 8.0;
    let bx = b.label_field(
        15.0,
        ly,
        Font::Sans,
        Font::SansBold,
        10.0,
        "Devis n°",
        "quote_number",
        num.1.as_str(),
        &num.0,
    );
    let bx = date_field(
        &mut b,
        bx[2] + 5.0,
        ly,
        Font::Sans,
        Font::Sans,
        10.0,
        "établi le",
        "quote_date",
        qd,
        style,
    );
    let _ = bx;
    care::label_field_right(
        &mut b,
        195.0,
        ly,
        Font::Sans,
        Font::SansBold,
        10.0,
        pick(
            rng,
            &["Valable jusqu'au", "Validité :", "Devis valable jusqu'au"],
        ),
        "valid_until",
        values::iso(vu),
        &values::fmt_date(vu, style),
    );

    // The acts.
    let bl = rng.random_range(0..2);
    let cols = vec![
        col("N°\ndent", 11.0, Align::C),
        col("Code\nCCAM", 17.0, Align::C),
        col("Acte / matériau", 47.0, Align::L),
        col("Panier", 20.0, Align::C),
        col("HLF", 17.0, Align::R),
        col("Honoraires", 19.0, Align::R),
        col("Base\nremb.", 16.0, Align::R),
        col("Remb.\nAMO", 16.0, Align::R),
        col("Non remb.\nAMO", 17.0, Align::R),
    ];
    let mut rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.detail.clone(),
                l.code.clone(),
                l.label.replace("Couronne dentoportée ", "Couronne "),
                care::basket_label(bl, l.basket).to_string(),
                l.limit.map(money).unwrap_or_else(|| "-".into()),
                money(l.total),
                money(l.base),
                money(l.amo),
                money(l.left()),
            ]
        })
        .collect();
    rows.push(vec![
        "".into(),
        "".into(),
        "TOTAL".into(),
        "".into(),
        "".into(),
        money(t.total),
        "".into(),
        money(t.amo),
        money(t.total - t.amo),
    ]);
    let st = TableStyle {
        font: Font::Sans,
        head_font: Font::SansBold,
        size: 9.0,
        head_size: 8.5,
        row_h: 7.5,
        head_fill: Some(215),
        grid: Grid::Full,
        zebra: None,
    };
    let to = care::table(&mut b, 15.0, ly + 5.0, &cols, &rows, &st);
    let last = to.cells.len() - 1;
    let tr = to.cells[last].clone();
    mark_cell(
        &mut b,
        "total_amount",
        t.total.to_string(),
        &money(t.total),
        tr[5],
    );
    mark_cell(
        &mut b,
        "social_security_amount",
        t.amo.to_string(),
        &money(t.amo),
        tr[7],
    );
    if t.amc.is_none() {
        mark_cell(
            &mut b,
            "remaining_amount",
            t.rac.to_string(),
            &money(t.rac),
            tr[8],
        );
    }
    let mut y = to.y_end + 7.0;
    if let Some(amc) = t.amc {
        amount_row(
            &mut b,
            90.0,
            195.0,
            y,
            Font::Sans,
            10.0,
            "Montant estimé remboursé par la complémentaire :",
            Some("complementary_amount"),
            amc,
            true,
        );
        y += 5.5;
        amount_row(
            &mut b,
            90.0,
            195.0,
            y,
            Font::SansBold,
            10.0,
            "Reste à charge estimé :",
            Some("remaining_amount"),
            t.rac,
            true,
        );
        y += 7.0;
    }
    y = b.paragraph(15.0, y, 180.0, Font::Sans, 8.5, 4.0, "HLF : honoraire limite de facturation. Les montants remboursés par l'assurance maladie obligatoire sont calculés sur la base de remboursement ; la prise en charge complémentaire dépend de votre contrat.");

    // The 100 % Santé alternative, required when a proposed act is not in that basket.
    let needs_alt = lines.iter().any(|l| l.basket != Basket::Sante);
    let two_pages = rng.random_bool(0.4) || y > 200.0;
    if two_pages {
        b.text(
            15.0,
            287.0 - 4.0,
            Font::Sans,
            8.5,
            &format!("Devis n° {} - page 1/2", num.0),
        );
        b.new_page();
        b.text(15.0, 18.0, Font::SansBold, 10.0, &format!("{} - suite", t1));
        b.text(
            15.0,
            23.0,
            Font::Sans,
            9.0,
            &format!("Patient : {} {}", pat.last_name, pat.first_name),
        );
        y = 32.0;
    } else {
        y += 5.0;
    }
    if needs_alt {
        b.text(
            15.0,
            y,
            Font::SansBold,
            10.5,
            pick(
                rng,
                &[
                    "Alternative thérapeutique relevant du panier 100 % Santé",
                    "Proposition alternative « 100 % Santé » (sans reste à charge)",
                ],
            ),
        );
        y += 2.0;
        let mut alt = Vec::new();
        for (tooth, core) in &teeth {
            if lines
                .iter()
                .any(|l| l.detail == tooth.to_string() && l.basket != Basket::Sante)
            {
                alt.extend(care::crown(rng, *tooth, Basket::Sante, *core));
            }
        }
        let cols = vec![
            col("N° dent", 14.0, Align::C),
            col("Code CCAM", 20.0, Align::C),
            col("Acte / matériau", 64.0, Align::L),
            col("Honoraires", 22.0, Align::R),
            col("Base remb.", 19.0, Align::R),
            col("Remb. AMO", 19.0, Align::R),
            col("Reste à charge", 22.0, Align::R),
        ];
        let rows: Vec<Vec<String>> = alt
            .iter()
            .map(|l| {
                vec![
                    l.detail.clone(),
                    l.code.clone(),
                    l.label.replace("Couronne dentoportée ", "Couronne "),
                    money(l.total),
                    money(l.base),
                    money(l.amo),
                    "0,00".into(),
                ]
            })
            .collect();
        let st = TableStyle {
            font: Font::Sans,
            head_font: Font::SansBold,
            size: 9.0,
            head_size: 8.5,
            row_h: 7.0,
            head_fill: Some(235),
            grid: Grid::Rows,
            zebra: None,
        };
        let to = care::table(&mut b, 15.0, y, &cols, &rows, &st);
        y = to.y_end + 5.0;
        y = b.paragraph(15.0, y, 180.0, Font::SansItalic, 8.5, 4.0, "Le reste à charge de l'alternative 100 % Santé est nul pour les assurés disposant d'un contrat complémentaire responsable.");
    }
    y += 6.0;
    let sy = y.clamp(215.0, 252.0);
    b.rect(15.0, sy, 88.0, 30.0, 0.3);
    b.rect(107.0, sy, 88.0, 30.0, 0.3);
    b.text(
        17.5,
        sy + 5.0,
        Font::Sans,
        8.5,
        "Date et signature du praticien",
    );
    b.text(
        109.5,
        sy + 5.0,
        Font::Sans,
        8.5,
        "Date et signature du patient",
    );
    b.text(
        109.5,
        sy + 9.0,
        Font::SansItalic,
        8.5,
        "précédées de la mention « Bon pour accord »",
    );
    b.signature(rng, 30.0, sy + 10.0, 45.0, 14.0);
    if two_pages {
        b.text(
            15.0,
            283.0,
            Font::Sans,
            8.5,
            &format!("Devis n° {} - page 2/2", num.0),
        );
    }
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// Optical, regulated model with two panels

fn optical_standard(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Quote, "quote/optical-standard");
    let p = care::provider(rng, ctx, "optical");
    let (pat, dep) = care::patient(rng, ctx);
    let style = care::date_style(rng);
    let (qd, vu) = quote_dates(rng, ctx, &[3, 3, 6]);
    let age = care::age(pat, qd);
    let progressive = age >= 45 && rng.random_bool(0.8);
    let child = age < 16;
    let mut offer_a = care::glasses(rng, OptClass::A, OptClass::A, progressive, child);
    let mut offer_b = care::glasses(rng, OptClass::B, OptClass::B, progressive, child);
    let with_amc = rng.random_bool(0.6);
    if with_amc {
        care::optical_cover(rng, &mut offer_a);
        // The same contract ceilings for both offers.
        let caps: Vec<Amount> = vec![
            amt(pick(rng, &[5000, 8000, 10000])),
            amt(pick(rng, &[6000, 9000, 12000, 17500])),
        ];
        care::cover(&mut offer_b, |l| {
            if l.label.starts_with("Monture") {
                caps[0]
            } else {
                caps[1]
            }
        });
    }
    let chosen_a = rng.random_bool(0.2);
    let ta = Totals::of(&offer_a, with_amc);
    let tb = Totals::of(&offer_b, with_amc);
    let num = number(rng, &["DV", "D", "DEV", "DO"], qd.year());

    // Letterhead.
    let ns = fit(Font::SerifBold, 15.0, &p.name, 110.0);
    b.field(
        "provider_name",
        p.name.as_str(),
        15.0,
        20.0,
        Font::SerifBold,
        ns,
        &p.name,
    );
    b.text(
        15.0,
        25.0,
        Font::SerifItalic,
        9.5,
        &format!("{} - {}", p.person.full(), p.profession),
    );
    let mut y = 30.5;
    let addr = care::address_lines(&p, false).join(", ");
    b.text(15.0, y, Font::Sans, 9.0, &addr);
    y += 4.3;
    b.text(
        15.0,
        y,
        Font::Sans,
        9.0,
        &format!("Tél. {}  -  {}", values::fmt_phone(rng, &p.phone), p.email),
    );
    y += 4.5;
    let ids = care::provider_ids(rng, &p, 2);
    let w = care::ids_inline_width(&ids, Font::Sans, Font::Sans, 9.0, "   ");
    if w < 105.0 {
        care::ids_inline(&mut b, &ids, 15.0, y, Font::Sans, Font::Sans, 9.0, "   ");
        y += 4.5;
    } else {
        y = care::ids_lines(&mut b, &ids, 15.0, y, Font::Sans, Font::Sans, 9.0, 4.3);
    }
    b.text_right(195.0, 21.0, Font::SerifBold, 20.0, "DEVIS");
    care::label_field_right(
        &mut b,
        195.0,
        28.0,
        Font::Sans,
        Font::SansBold,
        9.5,
        "N°",
        "quote_number",
        num.1.as_str(),
        &num.0,
    );
    let ds = values::fmt_date(qd, style);
    care::label_field_right(
        &mut b,
        195.0,
        33.0,
        Font::Sans,
        Font::Sans,
        9.5,
        "Date :",
        "quote_date",
        values::iso(qd),
        &ds,
    );
    care::label_field_right(
        &mut b,
        195.0,
        38.0,
        Font::Sans,
        Font::Sans,
        9.5,
        pick(rng, &["Valable jusqu'au", "Validité :", "Valide jusqu'au"]),
        "valid_until",
        values::iso(vu),
        &values::fmt_date(vu, style),
    );

    let ty = y.max(44.0) + 6.0;
    b.line(15.0, ty - 4.5, 195.0, ty - 4.5, 0.3);
    let title = pick(
        rng,
        &[
            "Devis normalisé - Équipement d'optique médicale",
            "DEVIS OPTIQUE (modèle normalisé)",
            "Devis pour un équipement optique (lunettes)",
        ],
    );
    let tbx = b.text_center(105.0, ty + 2.0, Font::SansBold, 12.0, title);
    care::care_type_field(&mut b, "optical", title, tbx);

    // Patient and prescription.
    let mut py = ty + 10.0;
    let x = care::put(&mut b, 15.0, py, Font::Sans, 10.0, "Patient : ");
    let civ = care::civility(rng, pat, qd);
    let xe = care::patient_name(
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
    b.text(
        xe + 4.0,
        py,
        Font::Sans,
        9.5,
        &format!(
            "- né(e) le {}",
            values::fmt_date(pat.birth_date, DateStyle::Slash)
        ),
    );
    py += 5.0;
    if dep {
        b.text(
            15.0,
            py,
            Font::Sans,
            9.5,
            &format!(
                "Assuré(e) : {} {}",
                ctx.member.person.first_name, ctx.member.person.last_name
            ),
        );
        py += 5.0;
    }
    let x = care::put(
        &mut b,
        15.0,
        py,
        Font::Sans,
        9.5,
        &format!("Organisme complémentaire : {}", ctx.mutuelle.name),
    );
    if rng.random_bool(0.6) {
        care::member_field(&mut b, rng, ctx, x + 5.0, py, Font::Sans, Font::Sans, 9.5);
    }
    py += 4.0;
    let rx = care::rx(rng, qd, progressive);
    b.rect(15.0, py, 180.0, 13.0, 0.25);
    b.text(
        18.0,
        py + 5.0,
        Font::SansBold,
        9.0,
        &format!(
            "Prescription du {} du {}",
            rx.prescriber,
            values::fmt_date(rx.date, DateStyle::Slash)
        ),
    );
    let mut rl = format!("OD : {}    OG : {}", rx.od, rx.og);
    if let Some(a) = &rx.add {
        rl.push_str(&format!("    Add. : {a}"));
    }
    b.text(18.0, py + 10.0, Font::Sans, 9.0, &rl);

    // Panels.
    let top = py + 19.0;
    let mut bottoms = Vec::new();
    for (k, (offer, tot)) in [(&offer_a, &ta), (&offer_b, &tb)].into_iter().enumerate() {
        let x0 = if k == 0 { 15.0 } else { 108.0 };
        let w = 87.0;
        let chosen = (k == 0) == chosen_a;
        b.fill(x0, top, w, 11.0, 220);
        let head = if k == 0 {
            "Offre 100 % Santé (classe A)"
        } else {
            "Équipement proposé (classe B)"
        };
        b.text(x0 + 2.5, top + 4.6, Font::SansBold, 10.0, head);
        b.text(
            x0 + 2.5,
            top + 9.2,
            Font::SansItalic,
            8.5,
            if k == 0 {
                "sans reste à charge - obligatoirement proposée"
            } else {
                "tarifs libres"
            },
        );
        let mut y = top + 16.5;
        for l in offer.iter() {
            let what = if l.label.starts_with("Monture") {
                l.label.clone()
            } else {
                format!("{} ({})", l.label, l.detail)
            };
            let lines = crate::doc::wrap(Font::Sans, 9.0, w - 25.0, &what);
            for (i, s) in lines.iter().enumerate() {
                b.text(x0 + 2.5, y + i as f32 * 4.0, Font::Sans, 9.0, s);
            }
            b.text_right(x0 + w - 2.5, y, Font::Sans, 9.0, &money(l.total));
            y += lines.len() as f32 * 4.0;
            b.text(
                x0 + 2.5,
                y,
                Font::Sans,
                8.5,
                &format!(
                    "LPP {}  -  base {}  -  AMO {}",
                    l.code,
                    money(l.base),
                    money(l.amo)
                ),
            );
            y += 6.0;
        }
        b.line(x0 + 2.0, y - 3.0, x0 + w - 2.0, y - 3.0, 0.25);
        y += 1.5;
        let key = |k: &'static str| if chosen { Some(k) } else { None };
        amount_row(
            &mut b,
            x0 + 2.5,
            x0 + w - 2.5,
            y,
            Font::SansBold,
            9.5,
            "Prix total TTC",
            key("total_amount"),
            tot.total,
            true,
        );
        y += 5.2;
        amount_row(
            &mut b,
            x0 + 2.5,
            x0 + w - 2.5,
            y,
            Font::Sans,
            9.5,
            "Remboursement AMO",
            key("social_security_amount"),
            tot.amo,
            true,
        );
        y += 5.2;
        if let Some(amc) = tot.amc {
            amount_row(
                &mut b,
                x0 + 2.5,
                x0 + w - 2.5,
                y,
                Font::Sans,
                9.5,
                "Remboursement AMC estimé",
                key("complementary_amount"),
                amc,
                true,
            );
            y += 5.2;
        }
        amount_row(
            &mut b,
            x0 + 2.5,
            x0 + w - 2.5,
            y,
            Font::SansBold,
            9.5,
            if tot.amc.is_some() {
                "Reste à charge"
            } else {
                "Reste à charge avant mutuelle"
            },
            key("remaining_amount"),
            tot.rac,
            true,
        );
        y += 4.0;
        b.checkbox(rng, x0 + 2.5, y, 3.5, chosen);
        b.text(
            x0 + 7.5,
            y + 3.0,
            Font::Sans,
            9.0,
            "Offre choisie par le patient",
        );
        y += 6.0;
        b.rect(x0, top, w, y - top, 0.35);
        bottoms.push(y);
    }
    let mut y = bottoms.iter().cloned().fold(0.0_f32, f32::max) + 7.0;
    for m in [
        "L'opticien est tenu de proposer un équipement de classe A (100 % Santé) intégralement pris en charge par l'assurance maladie obligatoire et les contrats complémentaires responsables.",
        pick(
            rng,
            &[
                "Prix TTC, TVA 20 % incluse. Prestation d'adaptation comprise.",
                "Prix TTC. Garantie 2 ans pièces et main-d'œuvre.",
                "Les verres proposés sont adaptés à la prescription ci-dessus.",
            ],
        ),
    ] {
        y = b.paragraph(15.0, y, 180.0, Font::Sans, 8.5, 4.0, m);
        y += 1.0;
    }
    let sy = (y + 6.0).clamp(250.0, 262.0);
    b.text(15.0, sy, Font::Sans, 9.0, "Signature de l'opticien");
    b.text(
        120.0,
        sy,
        Font::Sans,
        9.0,
        "Bon pour accord, signature du patient",
    );
    b.signature(rng, 20.0, sy + 2.0, 40.0, 12.0);
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// Hearing aids

fn hearing(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Quote, "quote/hearing");
    let p = care::provider(rng, ctx, "hearing");
    let (pat, dep) = care::patient(rng, ctx);
    let style = care::date_style(rng);
    let (qd, vu) = quote_dates(rng, ctx, &[3, 3, 6]);
    let ears = care::ears(rng);
    let mut c1 = care::hearing_aids(rng, false, ears);
    let mut c2 = care::hearing_aids(rng, true, ears);
    let with_amc = rng.random_bool(0.55);
    if with_amc {
        let cap = amt(pick(rng, &[40000, 60000, 90000, 120000, 146000]));
        care::cover(&mut c1, |_| cap);
        care::cover(&mut c2, |_| cap);
    }
    let t1 = Totals::of(&c1, with_amc);
    let t2 = Totals::of(&c2, with_amc);
    let chosen2 = rng.random_bool(0.7);
    let num = number(rng, &["DA", "D", "DEV"], qd.year());

    // Letterhead on the right.
    let ns = fit(Font::SerifBold, 14.0, &p.name, 100.0);
    care::field_right(
        &mut b,
        195.0,
        20.0,
        Font::SerifBold,
        ns,
        "provider_name",
        p.name.as_str(),
        &p.name,
    );
    let mut y = 25.0;
    b.text_right(
        195.0,
        y,
        Font::SerifItalic,
        9.5,
        &format!("{}, {}", p.person.full(), p.profession),
    );
    y += 4.5;
    for l in care::address_lines(&p, true) {
        b.text_right(195.0, y, Font::Serif, 9.5, &l);
        y += 4.2;
    }
    b.text_right(
        195.0,
        y,
        Font::Serif,
        9.5,
        &format!("Tél. {}", values::fmt_phone(rng, &p.phone)),
    );
    y += 4.5;
    for id in care::provider_ids(rng, &p, 2) {
        care::label_field_right(
            &mut b,
            195.0,
            y,
            Font::Serif,
            Font::Serif,
            9.5,
            &id.label,
            id.key,
            id.value.as_str(),
            &id.printed,
        );
        y += 4.2;
    }
    // Quote references on the left.
    b.fill(15.0, 14.0, 4.0, 22.0, 120);
    b.label_field(
        22.0,
        19.0,
        Font::Serif,
        Font::SerifBold,
        10.0,
        "Devis n°",
        "quote_number",
        num.1.as_str(),
        &num.0,
    );
    date_field(
        &mut b,
        22.0,
        24.5,
        Font::Serif,
        Font::Serif,
        10.0,
        "Date :",
        "quote_date",
        qd,
        style,
    );
    date_field(
        &mut b,
        22.0,
        30.0,
        Font::Serif,
        Font::Serif,
        10.0,
        pick(
            rng,
            &["Valable jusqu'au", "Validité :", "Offre valable jusqu'au"],
        ),
        "valid_until",
        vu,
        style,
    );
    b.text(
        22.0,
        35.5,
        Font::Serif,
        9.0,
        &format!(
            "Prescription ORL du {}",
            values::fmt_date(qd - care::days(rng.random_range(10..90)), DateStyle::Slash)
        ),
    );

    let ty = y.max(42.0) + 9.0;
    let title = pick(
        rng,
        &[
            "DEVIS NORMALISÉ - AIDES AUDITIVES",
            "Devis pour la fourniture d'aides auditives",
            "DEVIS D'APPAREILLAGE AUDITIF",
        ],
    );
    let tbx = b.text_center(105.0, ty, Font::SerifBold, 14.0, title);
    care::care_type_field(&mut b, "hearing", title, tbx);

    let mut py = ty + 9.0;
    let x = care::put(&mut b, 15.0, py, Font::Serif, 10.5, "Patient : ");
    let civ = care::civility(rng, pat, qd);
    care::patient_name(
        &mut b,
        x,
        py,
        Font::SerifBold,
        10.5,
        civ,
        pat,
        NameOrder::LastFirst,
    );
    b.text(
        120.0,
        py,
        Font::Serif,
        10.0,
        &format!(
            "Né(e) le {}",
            values::fmt_date(pat.birth_date, DateStyle::Slash)
        ),
    );
    py += 5.5;
    if dep {
        b.text(
            15.0,
            py,
            Font::Serif,
            10.0,
            &format!(
                "Assuré(e) : {} {}",
                ctx.member.person.last_name, ctx.member.person.first_name
            ),
        );
        py += 5.5;
    }
    if rng.random_bool(0.6) {
        let bx = care::member_field(&mut b, rng, ctx, 15.0, py, Font::Serif, Font::Serif, 10.0);
        b.text(
            bx[2] + 3.0,
            py,
            Font::Serif,
            10.0,
            &format!("- {}", ctx.mutuelle.name),
        );
        py += 5.5;
    }
    let ear_txt = match ears {
        care::Ears::Both => "appareillage stéréophonique (deux oreilles)",
        care::Ears::Right => "appareillage de l'oreille droite",
        care::Ears::Left => "appareillage de l'oreille gauche",
    };
    b.text(
        15.0,
        py,
        Font::Serif,
        10.0,
        &format!(
            "{} - {ear_txt}",
            pick(
                rng,
                &[
                    "Perte auditive de perception",
                    "Surdité de perception",
                    "Presbyacousie"
                ]
            )
        ),
    );
    py += 4.0;

    // One table, two offers.
    let mut cols = vec![
        col("Désignation", if with_amc { 58.0 } else { 75.0 }, Align::L),
        col("Code LPP", 18.0, Align::C),
        col("Oreille", 14.0, Align::C),
        col("Prix TTC", 21.0, Align::R),
        col("Base\nremb.", 19.0, Align::R),
        col("Part\nAMO", 17.0, Align::R),
    ];
    if with_amc {
        cols.push(col("AMC\nestimée", 17.0, Align::R));
    }
    cols.push(col("Reste à\ncharge", 16.0, Align::R));
    let mut rows = Vec::new();
    for (name, lines, tot) in [
        ("Offre 100 % Santé - classe I", &c1, &t1),
        ("Offre proposée - classe II", &c2, &t2),
    ] {
        let mut r = vec![name.to_string()];
        r.extend(std::iter::repeat_n(String::new(), cols.len() - 1));
        rows.push(r);
        for l in lines.iter() {
            let mut r = vec![
                l.label.split(" - ").nth(1).unwrap_or(&l.label).to_string(),
                l.code.clone(),
                l.detail.clone(),
                money(l.total),
                money(l.base),
                money(l.amo),
            ];
            if with_amc {
                r.push(money(l.amc));
            }
            r.push(money(if with_amc { l.rac() } else { l.left() }));
            rows.push(r);
        }
        let mut r = vec![
            "Sous-total".to_string(),
            String::new(),
            String::new(),
            money(tot.total),
            String::new(),
            money(tot.amo),
        ];
        if let Some(a) = tot.amc {
            r.push(money(a));
        }
        r.push(money(tot.rac));
        rows.push(r);
    }
    let st = TableStyle {
        font: Font::Serif,
        head_font: Font::SerifBold,
        size: 9.0,
        head_size: 9.0,
        row_h: 6.8,
        head_fill: Some(225),
        grid: Grid::Full,
        zebra: None,
    };
    let to = care::table(&mut b, 15.0, py, &cols, &rows, &st);

    // Summary of the retained offer.
    let sy = to.y_end + 8.0;
    let n = if with_amc { 4.0 } else { 3.0 };
    b.rect(15.0, sy, 180.0, n * 5.8 + 12.0, 0.4);
    b.text(
        18.0,
        sy + 5.5,
        Font::SerifBold,
        10.0,
        "Offre retenue par le patient :",
    );
    b.checkbox(rng, 75.0, sy + 2.6, 3.5, !chosen2);
    b.text(80.0, sy + 5.5, Font::Serif, 10.0, "classe I (100 % Santé)");
    b.checkbox(rng, 125.0, sy + 2.6, 3.5, chosen2);
    b.text(130.0, sy + 5.5, Font::Serif, 10.0, "classe II");
    let t = if chosen2 { t2 } else { t1 };
    let labels = care::TotalLabels {
        total: pick(rng, &["Montant total du devis", "Prix total TTC", "Total"]),
        amo: pick(
            rng,
            &[
                "Remboursement Sécurité sociale",
                "Part AMO",
                "Prise en charge Assurance Maladie",
            ],
        ),
        amc: pick(
            rng,
            &[
                "Remboursement mutuelle estimé",
                "Part AMC estimée",
                "Part complémentaire (estimation)",
            ],
        ),
        rac: pick(
            rng,
            &[
                "Reste à charge",
                "Reste à votre charge",
                "Reste à charge estimé",
            ],
        ),
    };
    let y = care::totals_rows(
        &mut b,
        &t,
        &labels,
        80.0,
        190.0,
        sy + 12.0,
        Font::Serif,
        Font::SerifBold,
        10.0,
        5.8,
        true,
        true,
    );
    let mut y = y + 6.0;
    for m in [
        "Les aides auditives de classe I (100 % Santé) sont intégralement remboursées par l'assurance maladie et votre complémentaire santé responsable, dans la limite de 950 € par oreille.",
        "Prix comprenant l'appareil, l'adaptation et les prestations de suivi pendant toute la durée d'utilisation. Période d'essai de 30 jours avant l'achat. TVA 5,5 %.",
        "Renouvellement possible tous les 4 ans.",
    ] {
        y = b.paragraph(15.0, y, 180.0, Font::Serif, 9.0, 4.2, m);
    }
    let sy = (y + 8.0).clamp(255.0, 265.0);
    b.text(
        15.0,
        sy,
        Font::Serif,
        9.5,
        "Signature de l'audioprothésiste",
    );
    b.text(120.0, sy, Font::Serif, 9.5, "Lu et approuvé, le patient");
    b.signature(rng, 18.0, sy + 2.0, 38.0, 12.0);
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// Planned surgery

fn surgery(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Quote, "quote/surgery");
    let mut p = care::provider(rng, ctx, "consultation");
    let clinic = care::provider(rng, ctx, "hospital");
    let (qd, vu) = quote_dates(rng, ctx, &[3, 6]);
    let (pat, _) = care::adult_patient(rng, ctx, 18, qd);
    let style = care::date_style(rng);
    let (all, nights, si) = care::hospital_stay(rng, None);
    let spec = match care::SURGERIES[si].0 {
        "BFGA004" => "Ophtalmologiste - chirurgie de la cataracte",
        "HMFC004" | "LMMA006" => pick(
            rng,
            &[
                "Chirurgien viscéral et digestif",
                "Chirurgie digestive et viscérale",
            ],
        ),
        "JKFC005" => "Chirurgien gynécologue-obstétricien",
        _ => pick(
            rng,
            &[
                "Chirurgien orthopédiste",
                "Chirurgie orthopédique et traumatologique",
            ],
        ),
    };
    p.profession = spec.to_string();
    p.care_type = "hospital";
    let mut lines: Vec<Line> = all
        .into_iter()
        .filter(|l| !l.code.starts_with("GHS"))
        .collect();
    let with_amc = rng.random_bool(0.45);
    if with_amc {
        care::hospital_cover(rng, &mut lines);
    }
    let t = Totals::of(&lines, with_amc);
    let num = number(rng, &["DH", "D", "DEV"], qd.year());
    let (code, surgery, _, _, _) = care::SURGERIES[si];

    let ns = fit(Font::SerifBold, 14.0, &p.name, 100.0);
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
    for s in [
        spec,
        pick(
            rng,
            &[
                "Ancien chef de clinique - assistant des hôpitaux",
                "Ancien interne des hôpitaux",
                "Praticien attaché",
            ],
        ),
        "Conventionné secteur 2 - OPTAM",
    ] {
        b.text(15.0, y, Font::SerifItalic, 9.5, s);
        y += 4.3;
    }
    y += 1.0;
    b.text(15.0, y, Font::Serif, 9.5, &clinic.name);
    y += 4.3;
    for l in care::address_lines(&clinic, true) {
        b.text(15.0, y, Font::Serif, 9.5, &l);
        y += 4.3;
    }
    b.text(
        15.0,
        y,
        Font::Serif,
        9.5,
        &format!("Secrétariat : {}", values::fmt_phone(rng, &p.phone)),
    );
    y += 4.3;
    let ids = care::provider_ids(rng, &p, 2);
    y = care::ids_lines(&mut b, &ids, 15.0, y, Font::Serif, Font::Serif, 9.5, 4.3);

    let place = format!("{}, le ", clinic.city);
    let ds = values::fmt_date(qd, DateStyle::Long);
    let w = fonts::width_mm(Font::Serif, 10.5, &place) + fonts::width_mm(Font::Serif, 10.5, &ds);
    let x = care::put(&mut b, 195.0 - w, 20.0, Font::Serif, 10.5, &place);
    b.field(
        "quote_date",
        values::iso(qd),
        x,
        20.0,
        Font::Serif,
        10.5,
        &ds,
    );
    // Addressee.
    let civ = care::civility(rng, &ctx.member.person, qd);
    let m = &ctx.member;
    let mut ay = 42.0;
    b.text(
        118.0,
        ay,
        Font::Serif,
        10.5,
        format!("{civ} {} {}", m.person.first_name, m.person.last_name).trim(),
    );
    ay += 5.0;
    b.text(118.0, ay, Font::Serif, 10.5, &m.address.street);
    ay += 5.0;
    b.text(
        118.0,
        ay,
        Font::Serif,
        10.5,
        &format!(
            "{} {}",
            m.address.postal_code,
            m.address.city.to_uppercase()
        ),
    );

    let mut y = y.max(ay) + 10.0;
    let x = care::put(&mut b, 15.0, y, Font::SerifBold, 11.0, "Objet : ");
    let title = pick(
        rng,
        &[
            "Devis - intervention chirurgicale programmée",
            "Devis d'honoraires - hospitalisation programmée",
            "Information préalable et devis - chirurgie programmée",
        ],
    );
    let tbx = b.text(x, y, Font::SerifBold, 11.0, title);
    care::care_type_field(&mut b, "hospital", title, tbx);
    y += 6.0;
    let bx = b.label_field(
        15.0,
        y,
        Font::Serif,
        Font::SerifBold,
        10.5,
        "Devis n°",
        "quote_number",
        num.1.as_str(),
        &num.0,
    );
    let x = care::put(&mut b, bx[2] + 6.0, y, Font::Serif, 10.5, "- Patient : ");
    care::patient_name(
        &mut b,
        x,
        y,
        Font::SerifBold,
        10.5,
        "",
        pat,
        NameOrder::LastFirst,
    );
    y += 6.0;
    if rng.random_bool(0.55) {
        care::member_field(&mut b, rng, ctx, 15.0, y, Font::Serif, Font::Serif, 10.0);
        y += 6.0;
    }
    y += 2.0;
    let salutation = if ctx.member.person.sex == values::Sex::F {
        "Madame,"
    } else {
        "Monsieur,"
    };
    b.text(15.0, y, Font::Serif, 10.5, salutation);
    y += 6.0;
    let stay = if nights == 0 {
        "en ambulatoire".to_string()
    } else {
        format!(
            "avec une hospitalisation d'environ {nights} nuit{}",
            if nights > 1 { "s" } else { "" }
        )
    };
    let intro = pick(
        rng,
        &[
            "Conformément à l'article L.1111-3 du Code de la santé publique, je vous informe du coût de l'intervention qui vous a été proposée : {S} (code CCAM {C}), réalisée à la {K} {T}. Le détail des honoraires et des frais prévisibles figure ci-dessous.",
            "Suite à notre consultation, vous trouverez ci-dessous le devis relatif à l'intervention envisagée : {S} (acte CCAM {C}), prévue à la {K} {T}. Les dépassements d'honoraires ne sont pas remboursés par l'assurance maladie.",
        ],
    );
    let intro = intro
        .replace("{S}", &surgery.to_lowercase())
        .replace("{C}", code)
        .replace(
            "{K}",
            &clinic
                .name
                .replace("Clinique ", "clinique ")
                .replace("Polyclinique ", "polyclinique "),
        )
        .replace("{T}", &stay);
    y = b.paragraph(15.0, y, 180.0, Font::Serif, 10.0, 4.8, &intro);
    y += 2.0;

    let mut cols = vec![
        col("Prestation", if with_amc { 62.0 } else { 80.0 }, Align::L),
        col("Code", 20.0, Align::C),
        col("Montant", 21.0, Align::R),
        col("Base", 19.0, Align::R),
        col("Dépassement", 21.0, Align::R),
        col("Part AMO", 19.0, Align::R),
    ];
    if with_amc {
        cols.push(col("Part AMC", 18.0, Align::R));
    }
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            let label = match l.code.as_str() {
                "FJ" => format!("Forfait journalier ({} j x {})", l.qty, money(l.unit)),
                "CP" => format!(
                    "Chambre particulière ({} nuit{} x {})",
                    l.qty,
                    if l.qty > 1 { "s" } else { "" },
                    money(l.unit)
                ),
                _ => l.label.replace(&format!(" - {surgery}"), ""),
            };
            let mut r = vec![
                label,
                if l.code.len() > 3 {
                    l.code.clone()
                } else {
                    "-".into()
                },
                money(l.total),
                money(l.base),
                money(if l.base.cents() == 0 {
                    Amount::ZERO
                } else {
                    l.excess()
                }),
                money(l.amo),
            ];
            if with_amc {
                r.push(money(l.amc));
            }
            r
        })
        .collect();
    let st = TableStyle {
        font: Font::Serif,
        head_font: Font::SerifBold,
        size: 9.5,
        head_size: 9.0,
        row_h: 7.0,
        head_fill: None,
        grid: Grid::Open,
        zebra: Some(240),
    };
    let to = care::table(&mut b, 15.0, y, &cols, &rows, &st);
    let labels = care::TotalLabels {
        total: pick(
            rng,
            &[
                "Total estimé",
                "Montant total prévisionnel",
                "Total du devis",
            ],
        ),
        amo: pick(
            rng,
            &[
                "Remboursement Assurance Maladie",
                "Part AMO",
                "Part Sécurité sociale",
            ],
        ),
        amc: pick(
            rng,
            &[
                "Prise en charge complémentaire estimée",
                "Part AMC estimée",
                "Part mutuelle (estimation)",
            ],
        ),
        rac: pick(
            rng,
            &[
                "Reste à votre charge",
                "Reste à charge estimé",
                "Reste à charge",
            ],
        ),
    };
    let y = care::totals_rows(
        &mut b,
        &t,
        &labels,
        100.0,
        195.0,
        to.y_end + 7.0,
        Font::Serif,
        Font::SerifBold,
        10.5,
        5.6,
        true,
        true,
    );
    let x = care::put(
        &mut b,
        15.0,
        y + 3.0,
        Font::Serif,
        10.0,
        "Ce devis est valable jusqu'au ",
    );
    b.field(
        "valid_until",
        values::iso(vu),
        x,
        y + 3.0,
        Font::Serif,
        10.0,
        &values::fmt_date(vu, style),
    );
    let mut y = y + 9.0;
    y = b.paragraph(15.0, y, 180.0, Font::Serif, 9.5, 4.5, "Les frais de séjour facturés par l'établissement (hors chambre particulière et forfait journalier) sont pris en charge par l'assurance maladie, déduction faite de la participation forfaitaire de 24 €.");
    y = b.paragraph(
        15.0,
        y + 1.0,
        180.0,
        Font::Serif,
        9.5,
        4.5,
        &pick(
            rng,
            &[
                "Je vous prie d'agréer, {M} l'expression de mes salutations distinguées.",
                "Veuillez agréer, {M} l'expression de mes sentiments dévoués.",
                "Je reste à votre disposition pour tout renseignement complémentaire.",
            ],
        )
        .replace("{M}", salutation),
    );
    let sy = (y + 6.0).clamp(250.0, 265.0);
    b.text(15.0, sy, Font::Serif, 9.5, "Le praticien");
    b.signature(rng, 15.0, sy + 2.0, 40.0, 12.0);
    b.text(
        115.0,
        sy,
        Font::Serif,
        9.5,
        "Bon pour accord, date et signature du patient",
    );
    b.finish()
}

// ---------------------------------------------------------------------------------------------
// Dental treatment plan with three options (another software)

fn dental_plan(rng: &mut Rng, ctx: &Ctx) -> Doc {
    let mut b = DocBuilder::new(Class::Quote, "quote/dental-plan");
    let p = care::provider(rng, ctx, "dental");
    let style = pick(
        rng,
        &[
            DateStyle::Slash,
            DateStyle::Slash,
            DateStyle::Dash,
            DateStyle::SlashShort,
        ],
    );
    let (qd, vu) = quote_dates(rng, ctx, &[6]);
    let (pat, _) = care::adult_patient(rng, ctx, 16, qd);
    let n = pick(rng, &[1usize, 1, 2]);
    let mut teeth: Vec<u32> = Vec::new();
    while teeth.len() < n {
        let t = care::tooth(rng);
        if !teeth.contains(&t) {
            teeth.push(t);
        }
    }
    teeth.sort();
    let core = rng.random_bool(0.3);
    let with_amc = rng.random_bool(0.6);
    let pct_br = pick(rng, &[125u32, 200, 250, 300, 400]);
    let mut options: Vec<(Vec<Line>, Totals)> = Vec::new();
    for basket in [Basket::Sante, Basket::Maitrise, Basket::Libre] {
        let mut v = Vec::new();
        for t in &teeth {
            v.extend(care::crown(rng, *t, basket, core));
        }
        if with_amc {
            care::cover(&mut v, |l| care::pct(l.base, pct_br) - l.amo);
        }
        let t = Totals::of(&v, with_amc);
        options.push((v, t));
    }
    let chosen = pick(rng, &[0usize, 1, 1, 2, 2]);
    let num = number(rng, &["PT", "D", "DEV"], qd.year());
    let m = Font::Mono;
    let mb = Font::MonoBold;

    // Header frame.
    b.rect(15.0, 12.0, 180.0, 30.0, 0.4);
    let ns = fit(Font::SansBold, 12.0, &p.name, 95.0);
    b.field(
        "provider_name",
        p.name.as_str(),
        18.0,
        19.0,
        Font::SansBold,
        ns,
        &p.name,
    );
    let mut y = 24.0;
    b.text(
        18.0,
        y,
        m,
        9.0,
        &format!("{}, {} {}", p.street, p.postal_code, p.city),
    );
    y += 4.2;
    b.text(
        18.0,
        y,
        m,
        9.0,
        &format!("Tel {}", values::fmt_phone(rng, &p.phone)),
    );
    y += 4.2;
    let ids = care::provider_ids(rng, &p, 2);
    care::ids_lines(&mut b, &ids, 18.0, y, m, m, 9.0, 4.2);
    let title = pick(
        rng,
        &[
            "PLAN DE TRAITEMENT ET DEVIS",
            "DEVIS - PLAN DE TRAITEMENT DENTAIRE",
            "PROPOSITION DE TRAITEMENT PROTHETIQUE",
        ],
    );
    let ts = fit(Font::SansBold, 11.0, title, 78.0);
    let tbx = b.text_right(192.0, 19.0, Font::SansBold, ts, title);
    care::care_type_field(&mut b, "dental", title, tbx);
    care::label_field_right(
        &mut b,
        192.0,
        25.0,
        m,
        mb,
        9.5,
        "Devis N°",
        "quote_number",
        num.1.as_str(),
        &num.0,
    );
    care::label_field_right(
        &mut b,
        192.0,
        30.0,
        m,
        m,
        9.5,
        "Edite le",
        "quote_date",
        values::iso(qd),
        &values::fmt_date(qd, style),
    );
    care::label_field_right(
        &mut b,
        192.0,
        35.0,
        m,
        m,
        9.5,
        "Valable jusqu'au",
        "valid_until",
        values::iso(vu),
        &values::fmt_date(vu, style),
    );

    // Patient line.
    let py = 50.0;
    let x = care::put(&mut b, 15.0, py, m, 9.5, "Patient  : ");
    care::patient_name(&mut b, x, py, mb, 9.5, "", pat, NameOrder::LastFirst);
    b.text(
        120.0,
        py,
        m,
        9.5,
        &format!(
            "Ne(e) le : {}",
            values::fmt_date(pat.birth_date, DateStyle::Slash)
        ),
    );
    if rng.random_bool(0.6) {
        let label = pick(rng, &["Adherent : ", "Matricule: ", "N° adh.  : "]);
        let x = care::put(&mut b, 15.0, py + 5.0, m, 9.5, label);
        let printed = care::member_printed(rng, &ctx.member.member_number);
        b.field(
            "member_number",
            ctx.member.member_number.as_str(),
            x,
            py + 5.0,
            m,
            9.5,
            &printed,
        );
    }
    b.text(
        120.0,
        py + 5.0,
        m,
        9.5,
        &format!("Praticien: {}", p.person.dr()),
    );

    // Tooth chart.
    let cy = 64.0;
    b.text(
        15.0,
        cy,
        Font::SansBold,
        9.5,
        "Schéma dentaire - dents concernées",
    );
    let cell = 8.0;
    let x0 = 105.0 - 8.0 * cell - 1.0;
    let upper: Vec<u32> = (11..=18).rev().chain(21..=28).collect();
    let lower: Vec<u32> = (41..=48).rev().chain(31..=38).collect();
    for (r, row) in [upper, lower].iter().enumerate() {
        for (i, t) in row.iter().enumerate() {
            let x = x0 + i as f32 * cell + if i >= 8 { 2.0 } else { 0.0 };
            let y = cy + 3.0 + r as f32 * (cell + 1.0);
            if teeth.contains(t) {
                b.fill(x, y, cell, cell, 185);
            }
            b.rect(x, y, cell, cell, 0.2);
            let f = if teeth.contains(t) { mb } else { m };
            b.text_center(x + cell / 2.0, y + 5.5, f, 9.0, &t.to_string());
        }
    }
    let top = cy + 3.0 + 2.0 * (cell + 1.0) + 8.0;

    // Three option columns.
    let names = [
        ("OPTION 1", "100 % Santé"),
        ("OPTION 2", "Reste à charge maîtrisé"),
        ("OPTION 3", "Tarifs libres"),
    ];
    let w = 58.0;
    let mut bottoms = Vec::new();
    for (k, ((lines, tot), (n1, n2))) in options.iter().zip(names.iter()).enumerate() {
        let x = 15.0 + k as f32 * (w + 3.0);
        b.fill(x, top, w, 11.0, 225);
        b.text(x + 2.0, top + 4.6, Font::SansBold, 9.5, n1);
        b.text(x + 2.0, top + 9.2, Font::Sans, 9.0, n2);
        let mut y = top + 16.0;
        for l in lines {
            b.text(
                x + 2.0,
                y,
                mb,
                9.0,
                &format!("Dent {}  {}", l.detail, l.code),
            );
            y += 4.0;
            let lab = l.label.replace("Couronne dentoportée ", "Couronne ");
            for s in crate::doc::wrap(Font::Sans, 8.5, w - 4.0, &lab) {
                b.text(x + 2.0, y, Font::Sans, 8.5, &s);
                y += 3.8;
            }
            b.text(x + 2.0, y, m, 9.0, "Hon.");
            b.text_right(x + w - 2.0, y, m, 9.0, &money(l.total));
            y += 4.0;
            b.text(x + 2.0, y, m, 9.0, &format!("BR {}", money(l.base)));
            b.text_right(x + w - 2.0, y, m, 9.0, &format!("AMO {}", money(l.amo)));
            y += 6.0;
        }
        b.line(x + 1.5, y - 3.5, x + w - 1.5, y - 3.5, 0.25);
        let key = |s: &'static str| if k == chosen { Some(s) } else { None };
        amount_row(
            &mut b,
            x + 2.0,
            x + w - 2.0,
            y,
            mb,
            9.0,
            "Total",
            key("total_amount"),
            tot.total,
            true,
        );
        y += 4.8;
        amount_row(
            &mut b,
            x + 2.0,
            x + w - 2.0,
            y,
            m,
            9.0,
            "AMO",
            key("social_security_amount"),
            tot.amo,
            true,
        );
        y += 4.8;
        if let Some(a) = tot.amc {
            amount_row(
                &mut b,
                x + 2.0,
                x + w - 2.0,
                y,
                m,
                9.0,
                "AMC est.",
                key("complementary_amount"),
                a,
                true,
            );
            y += 4.8;
        }
        amount_row(
            &mut b,
            x + 2.0,
            x + w - 2.0,
            y,
            mb,
            9.0,
            if tot.amc.is_some() {
                "Reste"
            } else {
                "Non remb."
            },
            key("remaining_amount"),
            tot.rac,
            true,
        );
        y += 3.5;
        b.checkbox(rng, x + 2.0, y, 3.5, k == chosen);
        b.text(x + 7.0, y + 3.0, Font::Sans, 9.0, "Option retenue");
        y += 6.0;
        b.rect(x, top, w, y - top, 0.3);
        bottoms.push(y);
    }
    let mut y = bottoms.iter().cloned().fold(0.0_f32, f32::max) + 7.0;
    y = b.paragraph(15.0, y, 180.0, Font::Sans, 8.5, 4.0, "AMO : part remboursée par l'assurance maladie obligatoire (60 % de la base de remboursement BR). AMC : estimation de la part de votre complémentaire, à confirmer auprès d'elle.");
    b.paragraph(
        15.0,
        y + 1.0,
        180.0,
        Font::Sans,
        8.5,
        4.0,
        "Suite du devis (conditions et signatures) en page 2.",
    );
    b.text(15.0, 283.0, m, 8.5, &format!("Devis {} - page 1/2", num.0));

    // Page 2: conditions and signatures.
    b.new_page();
    b.text(
        15.0,
        20.0,
        Font::SansBold,
        11.0,
        &format!("{} - conditions", title),
    );
    b.text(
        15.0,
        26.0,
        m,
        9.0,
        &format!(
            "Devis {} du {} - {} {}",
            num.0,
            values::fmt_date(qd, style),
            pat.last_name,
            pat.first_name
        ),
    );
    let mut y = 36.0;
    for s in [
        "1. Le présent devis est établi conformément à l'article L.1111-3 du Code de la santé publique et à la convention nationale des chirurgiens-dentistes.",
        "2. Les honoraires des actes du panier 100 % Santé ne dépassent pas les honoraires limites de facturation ; ceux du panier à reste à charge maîtrisé sont plafonnés.",
        "3. Le patient a été informé des différentes options thérapeutiques, dont une option sans reste à charge lorsqu'elle existe.",
        "4. Les prothèses sont fabriquées par un laboratoire dont l'adresse figurera sur la facture. Une facture détaillée sera remise à la fin des soins.",
        "5. Le devis est gratuit. En cas de modification du plan de traitement, un nouveau devis sera établi.",
    ] {
        y = b.paragraph(15.0, y, 180.0, Font::Sans, 9.5, 4.6, s) + 2.0;
    }
    y += 6.0;
    b.text(
        15.0,
        y,
        Font::Sans,
        10.0,
        &format!("Option retenue : {} - {}", names[chosen].0, names[chosen].1),
    );
    y += 12.0;
    b.rect(15.0, y, 85.0, 32.0, 0.3);
    b.rect(110.0, y, 85.0, 32.0, 0.3);
    b.text(18.0, y + 5.0, Font::Sans, 9.0, "Le praticien");
    b.text(
        113.0,
        y + 5.0,
        Font::Sans,
        9.0,
        "Le patient (« lu et approuvé »)",
    );
    b.signature(rng, 25.0, y + 10.0, 45.0, 15.0);
    b.text(15.0, 283.0, m, 8.5, &format!("Devis {} - page 2/2", num.0));
    b.finish()
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

    fn date(doc: &Doc, key: &str) -> Date {
        mailroom_domain::check::parse_date(doc.fields[key].as_str().unwrap()).unwrap()
    }

    #[test]
    fn every_variant_is_sound_and_adds_up() {
        for v in Variant::ALL {
            for seed in 0..200 {
                let (mut rng, member, mutuelle, received) = testkit::setup(seed);
                let ctx = testkit::ctx(&member, mutuelle, received);
                let doc = render_variant(&mut rng, &ctx, v);
                testkit::assert_sound(&doc, received);
                care::assert_layout_clean(&doc);
                assert_eq!(doc.class, Class::Quote);
                let f = &doc.fields;
                for key in [
                    "quote_number",
                    "quote_date",
                    "valid_until",
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
                assert!(
                    date(&doc, "valid_until") > date(&doc, "quote_date"),
                    "{} seed {seed}",
                    doc.layout
                );
                assert!(date(&doc, "quote_date") <= received);
                let total = amount(&doc, "total_amount").unwrap();
                let amo = amount(&doc, "social_security_amount").unwrap();
                let amc = amount(&doc, "complementary_amount").unwrap_or(Amount::ZERO);
                let rac = amount(&doc, "remaining_amount").unwrap();
                assert_eq!(total, amo + amc + rac, "{} seed {seed}", doc.layout);
                assert!(
                    total.cents() > 0 && amo.cents() >= 0 && amc.cents() >= 0 && rac.cents() >= 0
                );
                // Each amount field is marked exactly once (one offer only is the truth).
                for key in ["total_amount", "social_security_amount", "remaining_amount"] {
                    let n = doc
                        .pages
                        .iter()
                        .flat_map(|p| &p.spans)
                        .filter(|s| s.key == key)
                        .count();
                    assert_eq!(n, 1, "{}: {key} marked {n} times", doc.layout);
                }
            }
        }
    }

    /// In the regulated dental devis, the printed rows add up to the printed totals row.
    #[test]
    fn dental_standard_rows_add_up() {
        for seed in 0..200 {
            let (mut rng, member, mutuelle, received) = testkit::setup(seed);
            let ctx = testkit::ctx(&member, mutuelle, received);
            let doc = render_variant(&mut rng, &ctx, Variant::DentalStandard);
            let runs: Vec<(String, [f32; 4])> = doc.pages[0]
                .text_runs()
                .map(|(t, b)| (t.to_string(), b))
                .collect();
            let head = runs
                .iter()
                .find(|(t, _)| t == "Honoraires")
                .expect("heading");
            let total_span = doc.pages[0]
                .spans
                .iter()
                .find(|s| s.key == "total_amount")
                .unwrap();
            let mut sum = Amount::ZERO;
            for (t, b) in &runs {
                if b[1] > head.1[3]
                    && b[1] < total_span.bbox_mm[1] - 1.0
                    && (b[2] - total_span.bbox_mm[2]).abs() < 0.6
                {
                    sum = sum + mailroom_domain::normalize::amount(t).unwrap();
                }
            }
            assert_eq!(sum, amount(&doc, "total_amount").unwrap(), "seed {seed}");
        }
    }

    #[test]
    fn render_picks_every_variant() {
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..100 {
            let (mut rng, member, mutuelle, received) = testkit::setup(seed);
            let ctx = testkit::ctx(&member, mutuelle, received);
            let doc = render(&mut rng, &ctx);
            testkit::assert_sound(&doc, received);
            seen.insert(doc.layout.clone());
        }
        assert_eq!(seen.len(), Variant::ALL.len(), "{seen:?}");
    }

    #[test]
    #[ignore]
    fn preview() {
        for v in Variant::ALL {
            for seed in 0..3 {
                let (mut rng, member, mutuelle, received) = testkit::setup(seed);
                let ctx = testkit::ctx(&member, mutuelle, received);
                let doc = render_variant(&mut rng, &ctx, v);
                let name = doc.layout.replace("quote/", "");
                crate::preview(
                    &doc,
                    Path::new("/tmp/preview/quote"),
                    &format!("{name}-{seed}"),
                    100,
                )
                .unwrap();
            }
        }
    }
}
