//! What care invoices and quotes share: health professionals with their identifiers and
//! addresses, the acts they bill (LPP, CCAM, NGAP and CIP13 codes with realistic tariffs),
//! 100 % Santé offers, the split of a total between the Assurance Maladie (AMO), the mutuelle
//! (AMC) and the patient, and the drawing helpers (tables, labelled values, names, identifiers)
//! the invoice and quote layouts are built with.
//!
//! Every amount is held in integer cents, so a printed table adds up exactly.

use super::Ctx;
use crate::doc::{BoxMm, DocBuilder, Rng};
use crate::fonts::{self, Font};
use crate::values::{self, DateStyle, Person, Sex};
use mailroom_domain::{Amount, check};
use rand::Rng as _;
use time::{Date, Duration, Month};

/// A random element of a list of small values (strings, numbers, enums).
pub fn pick<T: Copy>(rng: &mut Rng, xs: &[T]) -> T {
    *values::pick(rng, xs)
}

// ---------------------------------------------------------------------------------------------
// Amounts

/// `cents` as an [`Amount`].
pub fn amt(cents: i64) -> Amount {
    Amount::from_cents(cents)
}

/// `rate` per cent of `a`, rounded half up to the cent.
pub fn pct(a: Amount, rate: u32) -> Amount {
    amt((a.cents() * i64::from(rate) + 50).div_euclid(100))
}

/// An amount as printed in a table: `1 234,56`.
pub fn money(a: Amount) -> String {
    a.format_fr()
}

/// An amount as printed in a total: `1 234,56 €`.
pub fn euro(a: Amount) -> String {
    format!("{} €", a.format_fr())
}

/// A random amount in whole euros between `lo` and `hi`, sometimes with 50 or 90 cents.
pub fn price(rng: &mut Rng, lo: i64, hi: i64) -> Amount {
    let e = rng.random_range(lo..=hi);
    let c = pick(rng, &[0, 0, 0, 50, 90, 0]);
    amt(e * 100 + c)
}

// ---------------------------------------------------------------------------------------------
// Dates

/// `d` plus `months` calendar months, the day clamped to the month's length.
pub fn add_months(d: Date, months: u32) -> Date {
    let total = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + months as i32;
    let (y, m) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u8);
    let month = Month::try_from(m).unwrap_or(Month::January);
    let mut day = d.day();
    loop {
        if let Ok(x) = Date::from_calendar_date(y, month, day) {
            return x;
        }
        day -= 1;
    }
}

pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// A date style for invoices (no two-digit years on most).
pub fn date_style(rng: &mut Rng) -> DateStyle {
    pick(
        rng,
        &[
            DateStyle::Slash,
            DateStyle::Slash,
            DateStyle::Slash,
            DateStyle::Long,
            DateStyle::Dash,
            DateStyle::SlashShort,
            DateStyle::DotShort,
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// Providers

/// A practitioner's name.
#[derive(Clone, Debug)]
pub struct Practitioner {
    pub sex: Sex,
    pub first: String,
    pub last: String,
}

impl Practitioner {
    pub fn random(rng: &mut Rng) -> Self {
        let sex = if rng.random_bool(0.5) { Sex::F } else { Sex::M };
        let first = if sex == Sex::F {
            pick(rng, values::FIRST_F)
        } else {
            pick(rng, values::FIRST_M)
        };
        Practitioner {
            sex,
            first: (*first).to_string(),
            last: (pick(rng, values::LAST)).to_string(),
        }
    }
    /// `Dr Claire MOREL`
    pub fn dr(&self) -> String {
        format!("Dr {} {}", self.first, self.last)
    }
    /// `Claire MOREL`
    pub fn full(&self) -> String {
        format!("{} {}", self.first, self.last)
    }
}

/// A health professional or establishment as its paperwork presents it.
#[derive(Clone, Debug)]
pub struct Provider {
    /// FIELDS.md care type of what it bills.
    pub care_type: &'static str,
    /// The name as printed on one line (the `provider_name` truth).
    pub name: String,
    /// The practitioner, for liberal professionals and the optician/audioprothésiste in charge.
    pub person: Practitioner,
    /// e.g. `Chirurgien-dentiste`, `Masseur-kinésithérapeute D.E.`
    pub profession: String,
    pub street: String,
    pub complement: Option<String>,
    pub postal_code: String,
    pub city: String,
    /// Normalised phone.
    pub phone: String,
    pub email: String,
    pub finess: Option<String>,
    pub rpps: Option<String>,
    pub siret: Option<String>,
    /// N° d'identification Assurance Maladie of a liberal practitioner (9 digits).
    pub am: Option<String>,
}

const QUARTERS: &[&str] = &[
    "des Lilas",
    "du Marché",
    "de la Gare",
    "du Centre",
    "des Halles",
    "du Parc",
    "de la Mairie",
    "Saint-Michel",
    "des Arcades",
    "du Vieux Port",
    "Bellevue",
    "des Tilleuls",
];
const SAINTS: &[&str] = &[
    "Saint-Joseph",
    "Sainte-Anne",
    "Saint-Martin",
    "Saint-Vincent",
    "Sainte-Marie",
    "Saint-Roch",
    "Saint-Jean",
    "Notre-Dame",
];

fn fold_mail(s: &str) -> String {
    mailroom_domain::normalize::fold_text(s)
        .replace([' ', '\'', '%'], "")
        .replace("--", "-")
}

/// A random provider of `care_type`, often in the member's city.
pub fn provider(rng: &mut Rng, ctx: &Ctx, care_type: &'static str) -> Provider {
    let near = values::CITIES
        .iter()
        .find(|c| c.0 == ctx.member.address.postal_code);
    let (cp, city, dept) = match near {
        Some(c) if rng.random_bool(0.6) => *c,
        _ => pick(rng, values::CITIES),
    };
    let addr = values::address(rng);
    let person = Practitioner::random(rng);
    let quarter = pick(rng, QUARTERS);
    let sexed = |m: &str, f: &str| {
        if person.sex == Sex::F {
            f.to_string()
        } else {
            m.to_string()
        }
    };
    let (name, profession) = match care_type {
        "optical" => {
            let n = match rng.random_range(0..6) {
                0 => format!("Optique {quarter}"),
                1 => format!("Optique {}", title_case(&person.last)),
                2 => format!("Les Opticiens {quarter}"),
                3 => format!("Atelier Optique {city}"),
                4 => format!("{} Vision", title_case(&person.last)),
                _ => format!(
                    "Optique {} - {city}",
                    pick(
                        rng,
                        &["Lumière", "Horizon", "Regard", "Clair Vision", "Iris"]
                    )
                ),
            };
            (
                n,
                sexed("Opticien-lunetier diplômé", "Opticienne-lunetière diplômée"),
            )
        }
        "dental" => {
            let n = match rng.random_range(0..5) {
                0 => format!("Cabinet Dentaire {quarter} - {}", person.dr()),
                1 => person.dr(),
                2 => format!("Centre Dentaire {city} {quarter}"),
                3 => format!("SELARL du {}", person.dr()),
                _ => format!("Cabinet du {}", person.dr()),
            };
            (n, sexed("Chirurgien-dentiste", "Chirurgien-dentiste"))
        }
        "hearing" => {
            let n = match rng.random_range(0..5) {
                0 => format!("Audition {}", title_case(&person.last)),
                1 => format!("Centre Auditif {quarter}"),
                2 => format!("{city} Audition"),
                3 => format!(
                    "L'Oreille {}",
                    pick(rng, &["Attentive", "du Centre", "Fine", "Active"])
                ),
                _ => format!("Espace Audition {quarter}"),
            };
            (n, sexed("Audioprothésiste D.E.", "Audioprothésiste D.E."))
        }
        "hospital" => {
            let n = match rng.random_range(0..5) {
                0 => format!("Clinique {}", pick(rng, SAINTS)),
                1 => format!("Clinique {quarter}"),
                2 => format!(
                    "Polyclinique {}",
                    pick(
                        rng,
                        &[
                            "du Val",
                            "des Alpes",
                            "de l'Ouest",
                            "du Parc",
                            "Les Fleurs",
                            "Sainte-Odile"
                        ]
                    )
                ),
                3 => format!(
                    "Hôpital Privé {city} {}",
                    pick(rng, &["Nord", "Sud", "Est", "Ouest", "Centre"])
                ),
                _ => format!("Clinique Chirurgicale {}", pick(rng, SAINTS)),
            };
            (n, "Établissement de santé privé".to_string())
        }
        "pharmacy" => {
            let n = match rng.random_range(0..5) {
                0 => format!("Pharmacie {quarter}"),
                1 => format!("Pharmacie {}", title_case(&person.last)),
                2 => format!("Grande Pharmacie de {city}"),
                3 => format!(
                    "Pharmacie {}",
                    pick(
                        rng,
                        &[
                            "de la Place",
                            "Centrale",
                            "de l'Hôtel de Ville",
                            "du Rond-Point",
                            "des Écoles"
                        ]
                    )
                ),
                _ => format!(
                    "Pharmacie {} {}",
                    pick(rng, &["du", "de la"]),
                    pick(rng, &["Pont", "Gare", "Forum", "Canal", "Poste"])
                ),
            };
            (n, sexed("Pharmacien titulaire", "Pharmacienne titulaire"))
        }
        "paramedical" => {
            let n = match rng.random_range(0..3) {
                0 => person.full(),
                1 => format!("Cabinet de Kinésithérapie {quarter}"),
                _ => format!("{} - Kinésithérapeute", person.full()),
            };
            (
                n,
                sexed(
                    "Masseur-kinésithérapeute D.E.",
                    "Masseur-kinésithérapeute D.E.",
                ),
            )
        }
        _ => {
            let spec = pick(
                rng,
                &[
                    "Médecin généraliste",
                    "Médecine générale",
                    "Cardiologue",
                    "Rhumatologue",
                    "Dermatologue",
                    "Gynécologue médical",
                    "ORL - Oto-rhino-laryngologiste",
                    "Endocrinologue",
                ],
            );
            let n = match rng.random_range(0..3) {
                0 => person.dr(),
                1 => format!("Docteur {}", person.full()),
                _ => format!("Dr {} {}", person.last, person.first),
            };
            (n, spec.to_string())
        }
    };
    let finess = match care_type {
        "hospital" | "pharmacy" => Some(values::finess(rng, dept)),
        "optical" | "hearing" => rng.random_bool(0.6).then(|| values::finess(rng, dept)),
        _ => None,
    };
    let rpps = match care_type {
        "dental" | "paramedical" | "consultation" => Some(values::rpps(rng)),
        "hearing" | "pharmacy" => rng.random_bool(0.5).then(|| values::rpps(rng)),
        "optical" => rng.random_bool(0.3).then(|| values::rpps(rng)),
        _ => None,
    };
    let siret = match care_type {
        "consultation" => rng.random_bool(0.4).then(|| values::siret(rng)),
        "dental" | "paramedical" => rng.random_bool(0.7).then(|| values::siret(rng)),
        _ => Some(values::siret(rng)),
    };
    let am = match care_type {
        "dental" | "paramedical" | "consultation" => {
            let d = if dept.len() == 2 && dept.bytes().all(|c| c.is_ascii_digit()) {
                dept.to_string()
            } else {
                "97".to_string()
            };
            let prof = match care_type {
                "dental" => '2',
                "paramedical" => '7',
                _ => '1',
            };
            let body = format!("{d}{prof}{:05}", rng.random_range(0..100000));
            Some(format!("{body}{}", check::luhn_check_digit(&body)))
        }
        _ => None,
    };
    let domain = fold_mail(&name.replace("Dr ", "").replace("Docteur ", ""));
    let establishment = matches!(care_type, "hospital" | "pharmacy");
    let email = match if establishment {
        rng.random_range(0..2) * 3
    } else {
        rng.random_range(0..3)
    } {
        3 => format!(
            "{}@{}.fr",
            pick(rng, &["facturation", "accueil", "admissions"]),
            domain
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(24)
                .collect::<String>()
        ),
        0 => format!(
            "contact@{}.fr",
            domain
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(24)
                .collect::<String>()
        ),
        1 => format!(
            "{}.{}@{}",
            fold_mail(&person.first),
            fold_mail(&person.last),
            pick(rng, &["orange.fr", "gmail.com", "wanadoo.fr", "medical.fr"])
        ),
        _ => format!(
            "secretariat.{}@{}",
            fold_mail(&person.last),
            pick(rng, &["orange.fr", "gmail.com", "free.fr"])
        ),
    };
    Provider {
        care_type,
        name,
        person,
        profession,
        street: addr.street,
        complement: if rng.random_bool(0.3) {
            Some(
                pick(
                    rng,
                    &[
                        "Centre médical",
                        "Galerie marchande",
                        "Rez-de-chaussée",
                        "1er étage",
                        "Centre commercial",
                    ],
                )
                .to_string(),
            )
        } else {
            None
        },
        postal_code: cp.to_string(),
        city: city.to_string(),
        phone: format!(
            "0{}{:08}",
            rng.random_range(1..=5),
            rng.random_range(0..100_000_000)
        ),
        email,
        finess,
        rpps,
        siret,
        am,
    }
}

/// `MOREL` → `Morel`, `LE GALL` → `Le Gall`.
pub fn title_case(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let mut out = String::new();
            let mut first = true;
            for c in w.chars() {
                if first {
                    out.push(c);
                } else {
                    out.extend(c.to_lowercase());
                }
                first = c == '-' || c == '\'';
            }
            out
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An identifier to print: its truth key, normalised value and printed form.
#[derive(Clone, Debug)]
pub struct Id {
    pub key: &'static str,
    pub label: String,
    pub value: String,
    pub printed: String,
}

/// The provider's identifiers worth printing, in a random but plausible order and wording;
/// at least one, at most `max`.
pub fn provider_ids(rng: &mut Rng, p: &Provider, max: usize) -> Vec<Id> {
    let mut ids = Vec::new();
    if let Some(f) = &p.finess {
        let label = pick(
            rng,
            &[
                "N° FINESS :",
                "FINESS :",
                "Finess :",
                "N° FINESS",
                "FINESS n°",
            ],
        )
        .to_string();
        let printed = if rng.random_bool(0.2) && f.len() == 9 {
            format!("{} {} {}", &f[0..3], &f[3..6], &f[6..9])
        } else {
            f.clone()
        };
        ids.push(Id {
            key: "provider_finess",
            label,
            value: f.clone(),
            printed,
        });
    }
    if let Some(r) = &p.rpps {
        let label = pick(
            rng,
            &[
                "N° RPPS :",
                "RPPS :",
                "RPPS",
                "Identifiant RPPS :",
                "N° RPPS",
            ],
        )
        .to_string();
        ids.push(Id {
            key: "provider_rpps",
            label,
            value: r.clone(),
            printed: r.clone(),
        });
    }
    if let Some(s) = &p.siret {
        let label = pick(
            rng,
            &["SIRET :", "N° SIRET :", "Siret :", "SIRET", "N° Siret"],
        )
        .to_string();
        let printed = values::fmt_siret(s, rng.random_bool(0.6));
        ids.push(Id {
            key: "provider_siret",
            label,
            value: s.clone(),
            printed,
        });
    }
    // Establishments lead with FINESS, practitioners with RPPS; keep that order mostly.
    if rng.random_bool(0.25) {
        ids.reverse();
    }
    let keep = if ids.len() > 1 && rng.random_bool(0.3) {
        ids.len() - 1
    } else {
        ids.len()
    };
    ids.truncate(keep.min(max).max(1));
    ids
}

/// Draws identifiers one per line from baseline `y`; returns the baseline after the last.
#[allow(clippy::too_many_arguments)]
pub fn ids_lines(
    b: &mut DocBuilder,
    ids: &[Id],
    x: f32,
    y: f32,
    label_font: Font,
    font: Font,
    size: f32,
    leading: f32,
) -> f32 {
    let mut y = y;
    for id in ids {
        b.label_field(
            x,
            y,
            label_font,
            font,
            size,
            &id.label,
            id.key,
            id.value.as_str(),
            &id.printed,
        );
        y += leading;
    }
    y
}

/// Draws identifiers on one line separated by `sep`, from `x`; returns the end x.
#[allow(clippy::too_many_arguments)]
pub fn ids_inline(
    b: &mut DocBuilder,
    ids: &[Id],
    x: f32,
    y: f32,
    label_font: Font,
    font: Font,
    size: f32,
    sep: &str,
) -> f32 {
    let mut x = x;
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            x = put(b, x, y, label_font, size, sep);
        }
        let bx = b.label_field(
            x,
            y,
            label_font,
            font,
            size,
            &id.label,
            id.key,
            id.value.as_str(),
            &id.printed,
        );
        x = bx[2];
    }
    x
}

/// Width of the one-line form of [`ids_inline`].
pub fn ids_inline_width(ids: &[Id], label_font: Font, font: Font, size: f32, sep: &str) -> f32 {
    let mut w = 0.0;
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            w += fonts::width_mm(label_font, size, sep);
        }
        w += fonts::width_mm(label_font, size, &id.label)
            + fonts::width_mm(font, size, " ")
            + fonts::width_mm(font, size, &id.printed);
    }
    w
}

/// The provider's street lines (street, complement, postal code and city).
pub fn address_lines(p: &Provider, upper_city: bool) -> Vec<String> {
    let mut v = vec![p.street.clone()];
    if let Some(c) = &p.complement {
        v.push(c.clone());
    }
    v.push(format!(
        "{} {}",
        p.postal_code,
        if upper_city {
            p.city.to_uppercase()
        } else {
            p.city.clone()
        }
    ));
    v
}

/// Draws `s` at (x, y) and returns the x where the next piece starts (trailing spaces count).
pub fn put(b: &mut DocBuilder, x: f32, y: f32, font: Font, size: f32, s: &str) -> f32 {
    b.text(x, y, font, size, s);
    x + fonts::width_mm(font, size, s)
}

/// Draws a field value at (x, y) and returns the x after it.
#[allow(clippy::too_many_arguments)]
pub fn put_field(
    b: &mut DocBuilder,
    x: f32,
    y: f32,
    font: Font,
    size: f32,
    key: &str,
    value: impl Into<serde_json::Value>,
    printed: &str,
) -> f32 {
    let bx = b.field(key, value, x, y, font, size, printed);
    bx[2]
}

/// The largest size ≤ `size` (down to 7 pt) at which `text` fits in `w` mm.
pub fn fit(font: Font, size: f32, text: &str, w: f32) -> f32 {
    let mut s = size;
    while s > 7.0 && fonts::width_mm(font, s, text) > w {
        s -= 0.25;
    }
    s
}

/// Draws `label value` with the value a date field; returns the value's box.
#[allow(clippy::too_many_arguments)]
pub fn date_field(
    b: &mut DocBuilder,
    x: f32,
    y: f32,
    lf: Font,
    f: Font,
    size: f32,
    label: &str,
    key: &str,
    d: Date,
    style: DateStyle,
) -> BoxMm {
    b.label_field(
        x,
        y,
        lf,
        f,
        size,
        label,
        key,
        values::iso(d),
        &values::fmt_date(d, style),
    )
}

/// Draws `label value` ending at `x_right`, the value a field; returns the value's box.
#[allow(clippy::too_many_arguments)]
pub fn label_field_right(
    b: &mut DocBuilder,
    x_right: f32,
    y: f32,
    lf: Font,
    f: Font,
    size: f32,
    label: &str,
    key: &str,
    value: impl Into<serde_json::Value>,
    printed: &str,
) -> BoxMm {
    let w = fonts::width_mm(lf, size, label)
        + fonts::width_mm(f, size, " ")
        + fonts::width_mm(f, size, printed);
    b.label_field(x_right - w, y, lf, f, size, label, key, value, printed)
}

/// Right-aligned field value ending at `x_right`.
#[allow(clippy::too_many_arguments)]
pub fn field_right(
    b: &mut DocBuilder,
    x_right: f32,
    y: f32,
    font: Font,
    size: f32,
    key: &str,
    value: impl Into<serde_json::Value>,
    printed: &str,
) -> BoxMm {
    let w = fonts::width_mm(font, size, printed);
    b.field(key, value, x_right - w, y, font, size, printed)
}

// ---------------------------------------------------------------------------------------------
// Patient and member

/// Who received the care: the member or one of their dependants.
pub fn patient<'a>(rng: &mut Rng, ctx: &'a Ctx) -> (&'a Person, bool) {
    if !ctx.member.dependants.is_empty() && rng.random_bool(0.35) {
        (values::pick(rng, &ctx.member.dependants), true)
    } else {
        (&ctx.member.person, false)
    }
}

/// Like [`patient`], but the member when the dependant drawn is younger than `min_age` at `on`
/// (crowns, hip replacements and the like are for adults).
pub fn adult_patient<'a>(
    rng: &mut Rng,
    ctx: &'a Ctx,
    min_age: i32,
    on: Date,
) -> (&'a Person, bool) {
    let (p, dep) = patient(rng, ctx);
    if dep && age(p, on) < min_age {
        (&ctx.member.person, false)
    } else {
        (p, dep)
    }
}

/// Age in whole years at `on`.
pub fn age(p: &Person, on: Date) -> i32 {
    let mut a = on.year() - p.birth_date.year();
    if (u8::from(on.month()), on.day()) < (u8::from(p.birth_date.month()), p.birth_date.day()) {
        a -= 1;
    }
    a
}

/// `M.` / `Mme` / `Monsieur` / `Madame`, or nothing for a child.
pub fn civility(rng: &mut Rng, p: &Person, on: Date) -> &'static str {
    if age(p, on) < 16 {
        return "";
    }
    let long = rng.random_bool(0.3);
    match (p.sex, long) {
        (Sex::F, false) => "Mme",
        (Sex::F, true) => "Madame",
        (Sex::M, false) => "M.",
        (Sex::M, true) => "Monsieur",
    }
}

/// How a patient's name is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameOrder {
    /// `MOREL Claire`
    LastFirst,
    /// `Claire MOREL`
    FirstLast,
}

/// Draws `[civility ]NAME First` (or `First NAME`) from x, marking the patient's last and first
/// names; returns the end x.
#[allow(clippy::too_many_arguments)]
pub fn patient_name(
    b: &mut DocBuilder,
    x: f32,
    y: f32,
    font: Font,
    size: f32,
    civ: &str,
    p: &Person,
    order: NameOrder,
) -> f32 {
    let sp = fonts::width_mm(font, size, " ");
    let mut x = x;
    if !civ.is_empty() {
        x = put(b, x, y, font, size, civ) + sp;
    }
    match order {
        NameOrder::LastFirst => {
            x = put_field(
                b,
                x,
                y,
                font,
                size,
                "patient_last_name",
                p.last_name.as_str(),
                &p.last_name,
            ) + sp;
            put_field(
                b,
                x,
                y,
                font,
                size,
                "patient_first_name",
                p.first_name.as_str(),
                &p.first_name,
            )
        }
        NameOrder::FirstLast => {
            x = put_field(
                b,
                x,
                y,
                font,
                size,
                "patient_first_name",
                p.first_name.as_str(),
                &p.first_name,
            ) + sp;
            put_field(
                b,
                x,
                y,
                font,
                size,
                "patient_last_name",
                p.last_name.as_str(),
                &p.last_name,
            )
        }
    }
}

/// Width of what [`patient_name`] draws.
pub fn patient_name_width(font: Font, size: f32, civ: &str, p: &Person) -> f32 {
    let s = if civ.is_empty() {
        format!("{} {}", p.last_name, p.first_name)
    } else {
        format!("{civ} {} {}", p.last_name, p.first_name)
    };
    fonts::width_mm(font, size, &s)
}

/// A member number as printed: packed, or grouped with spaces.
pub fn member_printed(rng: &mut Rng, n: &str) -> String {
    if n.len() >= 8 && rng.random_bool(0.25) {
        let (a, c) = n.split_at(n.len() / 2);
        format!("{a} {c}")
    } else {
        n.to_string()
    }
}

/// Draws `label value` for the member number; returns the value's box.
#[allow(clippy::too_many_arguments)]
pub fn member_field(
    b: &mut DocBuilder,
    rng: &mut Rng,
    ctx: &Ctx,
    x: f32,
    y: f32,
    label_font: Font,
    font: Font,
    size: f32,
) -> BoxMm {
    let label = values::member_label(rng);
    let printed = member_printed(rng, &ctx.member.member_number);
    b.label_field(
        x,
        y,
        label_font,
        font,
        size,
        label,
        "member_number",
        ctx.member.member_number.as_str(),
        &printed,
    )
}

// ---------------------------------------------------------------------------------------------
// Acts

/// How a line is covered under the 100 % Santé reform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basket {
    /// 100 % Santé (classe A, classe I, panier 100 % Santé): no reste à charge.
    Sante,
    /// Reste à charge maîtrisé (dental).
    Maitrise,
    /// Tarifs libres / classe B / classe II.
    Libre,
    /// Not a 100 % Santé item at all (care, drugs, stay).
    None,
}

/// One billed (or quoted) act.
#[derive(Clone, Debug)]
pub struct Line {
    pub date: Option<Date>,
    /// LPP, CCAM, NGAP or CIP13 code.
    pub code: String,
    pub label: String,
    /// Tooth number, eye (OD/OG), ear (OD/OG), …
    pub detail: String,
    pub qty: u32,
    /// Unit price charged.
    pub unit: Amount,
    /// qty × unit.
    pub total: Amount,
    /// Base de remboursement for the whole line.
    pub base: Amount,
    /// AMO rate in per cent.
    pub rate: u32,
    pub amo: Amount,
    /// Complementary share (0 when the document prints none).
    pub amc: Amount,
    pub basket: Basket,
    /// Upper price limit (HLF / PLV) when regulated.
    pub limit: Option<Amount>,
}

impl Line {
    fn new(code: &str, label: &str, qty: u32, unit: Amount, base: Amount, rate: u32) -> Line {
        let total = amt(unit.cents() * i64::from(qty));
        Line {
            date: None,
            code: code.to_string(),
            label: label.to_string(),
            detail: String::new(),
            qty,
            unit,
            total,
            base,
            rate,
            amo: pct(base, rate),
            amc: Amount::ZERO,
            basket: Basket::None,
            limit: None,
        }
    }
    /// What the patient still owes on this line.
    pub fn rac(&self) -> Amount {
        self.total - self.amo - self.amc
    }
    /// The part the AMO leaves.
    pub fn left(&self) -> Amount {
        self.total - self.amo
    }
    /// The dépassement: what is charged above the base.
    pub fn excess(&self) -> Amount {
        if self.total > self.base {
            self.total - self.base
        } else {
            Amount::ZERO
        }
    }
}

/// The four amounts printed at the foot of an invoice or quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totals {
    pub total: Amount,
    pub amo: Amount,
    /// `None` when the document prints no complementary part.
    pub amc: Option<Amount>,
    pub rac: Amount,
}

impl Totals {
    /// Sums the lines; without AMC, the reste à charge is what the AMO leaves.
    pub fn of(lines: &[Line], with_amc: bool) -> Totals {
        let total = lines.iter().fold(Amount::ZERO, |s, l| s + l.total);
        let amo = lines.iter().fold(Amount::ZERO, |s, l| s + l.amo);
        let amc = lines.iter().fold(Amount::ZERO, |s, l| s + l.amc);
        if with_amc {
            Totals {
                total,
                amo,
                amc: Some(amc),
                rac: total - amo - amc,
            }
        } else {
            Totals {
                total,
                amo,
                amc: None,
                rac: total - amo,
            }
        }
    }
    /// What a member would dispute: the reste à charge, or the complementary part when nothing
    /// is left to pay.
    pub fn disputed(&self) -> Amount {
        if self.rac.cents() > 0 {
            self.rac
        } else if let Some(c) = self.amc.filter(|c| c.cents() > 0) {
            c
        } else {
            self.total - self.amo
        }
    }
}

/// The complementary share of each line: all of what the AMO leaves on 100 % Santé items,
/// otherwise up to `cap(line)` (what the contract pays at most on that line).
pub fn cover(lines: &mut [Line], mut cap: impl FnMut(&Line) -> Amount) {
    for l in lines.iter_mut() {
        let left = l.left();
        l.amc = if l.basket == Basket::Sante {
            left
        } else {
            let c = cap(l);
            if c < Amount::ZERO {
                Amount::ZERO
            } else if c > left {
                left
            } else {
                c
            }
        };
    }
}

/// Drops the complementary shares (a document that prints none).
pub fn uncover(lines: &mut [Line]) {
    for l in lines.iter_mut() {
        l.amc = Amount::ZERO;
    }
}

// --- Optical --------------------------------------------------------------------------------

/// A prescription for glasses.
#[derive(Clone, Debug)]
pub struct Rx {
    pub prescriber: String,
    pub date: Date,
    pub od: String,
    pub og: String,
    pub add: Option<String>,
}

fn diopter(rng: &mut Rng, lo: i32, hi: i32) -> String {
    let q = rng.random_range(lo..=hi);
    let v = q as f32 * 0.25;
    let s = format!("{:+.2}", v).replace('.', ",");
    if q == 0 { "0,00".to_string() } else { s }
}

fn eye(rng: &mut Rng, myope: bool) -> String {
    let sph = if myope {
        diopter(rng, -24, -1)
    } else {
        diopter(rng, 1, 14)
    };
    if rng.random_bool(0.55) {
        let cyl = diopter(rng, -8, -1);
        let axis = rng.random_range(0..36) * 5;
        format!("{sph} ({cyl} à {axis}°)")
    } else {
        sph
    }
}

/// A prescription written some weeks to months before `before`.
pub fn rx(rng: &mut Rng, before: Date, presbyope: bool) -> Rx {
    let myope = rng.random_bool(0.6);
    let prescriber = Practitioner::random(rng).dr();
    Rx {
        prescriber,
        date: before - days(rng.random_range(10..300)),
        od: eye(rng, myope),
        og: eye(rng, myope),
        add: presbyope.then(|| diopter(rng, 3, 12).replace('+', "")),
    }
}

/// Classe of an optical item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptClass {
    A,
    B,
}

/// A pair of glasses: monture plus two verres, LPP coded.
pub fn glasses(
    rng: &mut Rng,
    frame: OptClass,
    lenses: OptClass,
    progressive: bool,
    child: bool,
) -> Vec<Line> {
    let mut v = Vec::new();
    let brand = pick(
        rng,
        &[
            "Lindberg",
            "Tom Davies",
            "Lafont",
            "Oakley",
            "Ray-Ban",
            "Face à Face",
            "Morel",
            "Nina Ricci",
            "Silhouette",
            "Ic! Berlin",
            "Woodys",
        ],
    );
    let model = format!(
        "{}{}",
        pick(rng, &["", "R", "M", "OX"]),
        rng.random_range(1000..9999)
    );
    match frame {
        OptClass::A => {
            let (code, base) = if child {
                ("2210546", 2500)
            } else {
                ("2210546", 900)
            };
            let mut l = Line::new(
                code,
                &format!(
                    "Monture 100 % Santé {}",
                    pick(rng, &["réf. A", "coll. Essentiel", "modèle"])
                ),
                1,
                amt(3000),
                amt(base),
                60,
            );
            l.label = format!("{} {}", l.label, rng.random_range(100..999));
            l.basket = Basket::Sante;
            l.limit = Some(amt(3000));
            v.push(l);
        }
        OptClass::B => {
            let p = price(rng, 79, 340);
            let code = if child { "2242457" } else { "2223342" };
            let mut l = Line::new(code, &format!("Monture {brand} {model}"), 1, p, amt(5), 60);
            l.basket = Basket::Libre;
            v.push(l);
        }
    }
    let index = pick(rng, &["1.5", "1.6", "1.67", "1.74"]);
    let treat = pick(
        rng,
        &[
            "antireflet",
            "durci antireflet",
            "AR + filtre lumière bleue",
            "photochromique",
            "antireflet hydrophobe",
        ],
    );
    let b_code_uni = pick(rng, &["2203240", "2287916", "2282793", "2264045"]);
    let b_code_pro = pick(rng, &["2259966", "2227038", "2240671"]);
    for side in ["OD", "OG"] {
        let l = match lenses {
            OptClass::A => {
                let (code, label, plv, base) = if progressive {
                    (
                        "2290396",
                        "Verre progressif classe A",
                        rng.random_range(0..3) * 1000 + 9500,
                        2900,
                    )
                } else if rng.random_bool(0.5) {
                    (
                        "2203240",
                        "Verre unifocal sphérique classe A",
                        rng.random_range(0..4) * 500 + 3250,
                        1000,
                    )
                } else {
                    (
                        "2261874",
                        "Verre unifocal sphéro-cylindrique classe A",
                        rng.random_range(0..4) * 500 + 4500,
                        1400,
                    )
                };
                let mut l = Line::new(
                    code,
                    &format!("{label} ind. {index}"),
                    1,
                    amt(plv),
                    amt(base),
                    60,
                );
                l.basket = Basket::Sante;
                l.limit = Some(amt(plv));
                l
            }
            OptClass::B => {
                let (code, label, lo, hi) = if progressive {
                    (b_code_pro, "Verre progressif", 180, 420)
                } else {
                    (b_code_uni, "Verre unifocal", 69, 220)
                };
                let mut l = Line::new(
                    code,
                    &format!("{label} {index} {treat}"),
                    1,
                    price(rng, lo, hi),
                    amt(5),
                    60,
                );
                l.basket = Basket::Libre;
                l
            }
        };
        let mut l = l;
        l.detail = side.to_string();
        v.push(l);
    }
    // Pairs of lenses are priced alike.
    if v.len() == 3 && v[1].code == v[2].code {
        let (u, base, lim) = (v[1].unit, v[1].base, v[1].limit);
        v[2].unit = u;
        v[2].total = u;
        v[2].base = base;
        v[2].amo = pct(base, v[2].rate);
        v[2].limit = lim;
    }
    v
}

/// A contract's ceilings on glasses (what the mutuelle pays at most per item above the AMO).
pub fn optical_cover(rng: &mut Rng, lines: &mut [Line]) {
    let frame_cap = amt(pick(rng, &[5000, 8000, 10000, 15000]));
    let lens_cap = amt(pick(rng, &[6000, 9000, 12000, 17500, 25000]));
    cover(lines, |l| {
        if l.label.starts_with("Monture") {
            frame_cap
        } else {
            lens_cap
        }
    });
}

// --- Dental ---------------------------------------------------------------------------------

/// An adult tooth number (FDI).
pub fn tooth(rng: &mut Rng) -> u32 {
    rng.random_range(1..=4) * 10 + rng.random_range(1..=7)
}

fn is_molar(t: u32) -> bool {
    t % 10 >= 6
}

/// A crown (with its inlay-core when needed) on `t` in the given basket.
pub fn crown(rng: &mut Rng, t: u32, basket: Basket, with_core: bool) -> Vec<Line> {
    let d = t % 10;
    let (code, label, limit, lo, hi) = match basket {
        Basket::Sante => {
            if d <= 3 {
                (
                    "HBLD634",
                    "Couronne dentoportée céramométallique",
                    Some(50000),
                    500,
                    500,
                )
            } else if d <= 5 {
                (
                    "HBLD491",
                    "Couronne dentoportée céramique monolithique zircone",
                    Some(44000),
                    440,
                    440,
                )
            } else {
                (
                    "HBLD490",
                    "Couronne dentoportée métallique",
                    Some(29000),
                    290,
                    290,
                )
            }
        }
        Basket::Maitrise => {
            if is_molar(t) {
                (
                    "HBLD491",
                    "Couronne dentoportée céramique monolithique zircone",
                    Some(44000),
                    380,
                    440,
                )
            } else {
                (
                    "HBLD634",
                    "Couronne dentoportée céramométallique",
                    Some(55000),
                    490,
                    550,
                )
            }
        }
        _ => {
            if is_molar(t) {
                (
                    "HBLD634",
                    "Couronne dentoportée céramométallique",
                    None,
                    520,
                    780,
                )
            } else {
                (
                    "HBLD418",
                    "Couronne dentoportée céramocéramique",
                    None,
                    600,
                    950,
                )
            }
        }
    };
    let mut v = Vec::new();
    if with_core {
        let (p, lim) = if basket == Basket::Sante {
            (175, Some(17500))
        } else {
            (rng.random_range(175..=320), None)
        };
        let mut l = Line::new(
            "HBLD090",
            "Inlay-core (infrastructure coronoradiculaire)",
            1,
            amt(p * 100),
            amt(9000),
            60,
        );
        l.detail = t.to_string();
        l.basket = if basket == Basket::Sante {
            Basket::Sante
        } else {
            basket
        };
        l.limit = lim.map(amt);
        v.push(l);
    }
    let p = if lo == hi {
        amt(lo * 100)
    } else {
        amt(rng.random_range(lo..=hi) * 100)
    };
    let mut l = Line::new(code, label, 1, p, amt(12000), 60);
    l.detail = t.to_string();
    l.basket = basket;
    l.limit = limit.map(amt);
    v.push(l);
    v
}

/// Dental care (not prosthesis): détartrage, fillings, extraction, X-ray.
pub fn dental_care(rng: &mut Rng, n: usize) -> Vec<Line> {
    const CARE: &[(&str, &str, i64, bool)] = &[
        ("HBJD001", "Détartrage et polissage des dents", 2892, false),
        (
            "HBMD053",
            "Restauration d'une dent sur 1 face (composite)",
            2697,
            true,
        ),
        (
            "HBMD054",
            "Restauration d'une dent sur 2 faces (composite)",
            4577,
            true,
        ),
        (
            "HBMD044",
            "Restauration d'une dent sur 3 faces (composite)",
            8000,
            true,
        ),
        (
            "HBGD035",
            "Avulsion d'une dent permanente sur arcade",
            3344,
            true,
        ),
        (
            "HBQK389",
            "Radiographie intrabuccale rétroalvéolaire",
            798,
            true,
        ),
        (
            "HBFD017",
            "Exérèse de la pulpe camérale (pulpotomie)",
            3490,
            true,
        ),
        (
            "HBBD005",
            "Obturation radiculaire d'une molaire",
            8164,
            true,
        ),
    ];
    let mut v = Vec::new();
    let mut used = Vec::new();
    while v.len() < n {
        let i = rng.random_range(0..CARE.len());
        if used.contains(&i) {
            continue;
        }
        used.push(i);
        let (code, label, base, toothed) = CARE[i];
        let mut l = Line::new(code, label, 1, amt(base), amt(base), 60);
        if toothed {
            l.detail = tooth(rng).to_string();
        }
        v.push(l);
    }
    v
}

/// A contract ceiling on dental prosthesis, as a percentage of the base (BR).
pub fn dental_cover(rng: &mut Rng, lines: &mut [Line]) {
    let pct_br = pick(rng, &[100u32, 125, 200, 250, 300, 400]);
    cover(lines, |l| pct(l.base, pct_br) - l.amo);
}

/// The panier as printed in a column.
pub fn basket_label(rng_pick: usize, b: Basket) -> &'static str {
    match (b, rng_pick % 2) {
        (Basket::Sante, _) => "100 % Santé",
        (Basket::Maitrise, 0) => "RAC maîtrisé",
        (Basket::Maitrise, _) => "Tarifs maîtrisés",
        (Basket::Libre, 0) => "Tarifs libres",
        (Basket::Libre, _) => "Libre",
        (Basket::None, _) => "-",
    }
}

// --- Hearing --------------------------------------------------------------------------------

/// Which ears are fitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ears {
    Both,
    Right,
    Left,
}

pub fn ears(rng: &mut Rng) -> Ears {
    pick(
        rng,
        &[Ears::Both, Ears::Both, Ears::Both, Ears::Right, Ears::Left],
    )
}

/// Hearing aids of classe I (100 % Santé, 950 €) or II for the fitted ears.
pub fn hearing_aids(rng: &mut Rng, classe2: bool, e: Ears) -> Vec<Line> {
    let sides: &[&str] = match e {
        Ears::Both => &["OD", "OG"],
        Ears::Right => &["OD"],
        Ears::Left => &["OG"],
    };
    let model = if classe2 {
        format!(
            "{} {}",
            pick(
                rng,
                &[
                    "Contour RIC rechargeable",
                    "Intra-auriculaire ITC",
                    "Contour BTE 312",
                    "RIC connecté Bluetooth",
                    "Micro-contour RIC"
                ]
            ),
            pick(
                rng,
                &[
                    "gamme 3",
                    "gamme 4",
                    "Premium",
                    "Advance",
                    "Pro 70",
                    "Confort 5"
                ]
            )
        )
    } else {
        format!(
            "{} {}",
            pick(rng, &["Contour RIC", "Contour BTE", "Intra ITE"]),
            pick(rng, &["Essentiel", "100 % Santé", "Classe I", "Basic"])
        )
    };
    let unit = if classe2 {
        price(rng, 1190, 2190)
    } else {
        amt(95000)
    };
    sides
        .iter()
        .map(|s| {
            let (code, label) = if classe2 {
                ("2335791", format!("Aide auditive classe II - {model}"))
            } else {
                ("2355084", format!("Aide auditive classe I - {model}"))
            };
            let mut l = Line::new(code, &label, 1, unit, amt(40000), 60);
            l.detail = (*s).to_string();
            l.basket = if classe2 {
                Basket::Libre
            } else {
                Basket::Sante
            };
            l.limit = (!classe2).then_some(amt(95000));
            l
        })
        .collect()
}

/// A contract's ceiling per ear above the AMO (at most 1 700 € per ear including AMO).
pub fn hearing_cover(rng: &mut Rng, lines: &mut [Line]) {
    let cap = amt(pick(rng, &[40000, 60000, 90000, 120000, 146000]));
    cover(lines, |_| cap);
}

/// A serial number as hearing aid makers print it.
pub fn serial(rng: &mut Rng) -> String {
    format!(
        "{}{}{:07}",
        rng.random_range(20..26),
        pick(rng, &["A", "B", "H", "K", "W"]),
        rng.random_range(0..10_000_000)
    )
}

// --- Hospital -------------------------------------------------------------------------------

/// A surgical procedure: CCAM code, wording, base (cents), typical nights.
pub const SURGERIES: &[(&str, &str, i64, i64, i64)] = &[
    ("NEKA020", "Arthroplastie totale de hanche", 46474, 3, 6),
    ("NFKA008", "Arthroplastie totale du genou", 53544, 3, 6),
    (
        "BFGA004",
        "Extraction du cristallin (cataracte) avec implant",
        27170,
        0,
        1,
    ),
    ("HMFC004", "Cholécystectomie par cœlioscopie", 28861, 1, 3),
    (
        "LMMA006",
        "Cure de hernie inguinale avec prothèse",
        21866,
        0,
        2,
    ),
    ("NFFC004", "Méniscectomie sous arthroscopie", 18058, 0, 1),
    ("JKFC005", "Hystérectomie par cœlioscopie", 39872, 2, 4),
    (
        "MJFA006",
        "Réparation de la coiffe des rotateurs",
        36942,
        1,
        3,
    ),
];

/// A hospital stay: stay fees, daily charge, private room, fees of the surgeon and the
/// anaesthetist with their excess; returns the lines and the number of nights.
pub fn hospital_stay(rng: &mut Rng, admission: Option<Date>) -> (Vec<Line>, i64, usize) {
    let si = rng.random_range(0..SURGERIES.len());
    let (code, label, base, lo, hi) = SURGERIES[si];
    let nights = rng.random_range(lo..=hi);
    let mut v = Vec::new();
    // Frais de séjour (GHS): the AMO pays all but the 24 € participation forfaitaire.
    let ghs = price(rng, 1400, 6800);
    let mut l = Line::new(
        &format!("GHS {}", rng.random_range(1000..9999)),
        "Frais de séjour",
        1,
        ghs,
        ghs,
        100,
    );
    l.amo = ghs - amt(2400);
    l.date = admission;
    v.push(l);
    let fj_days = if nights == 0 { 0 } else { nights + 1 };
    if fj_days > 0 {
        let mut l = Line::new(
            "FJ",
            "Forfait journalier hospitalier",
            fj_days as u32,
            amt(2000),
            Amount::ZERO,
            0,
        );
        l.date = admission;
        v.push(l);
    }
    if nights > 0 && rng.random_bool(0.75) {
        let p = amt(rng.random_range(6..=14) * 1000);
        let mut l = Line::new(
            "CP",
            "Chambre particulière",
            nights as u32,
            p,
            Amount::ZERO,
            0,
        );
        l.date = admission;
        v.push(l);
    }
    // Surgeon: base plus dépassement (secteur 2).
    let dep = amt(rng.random_range(2..=12) * 5000);
    let mut l = Line::new(
        code,
        &format!("Honoraires chirurgien - {label}"),
        1,
        amt(base) + dep,
        amt(base),
        100,
    );
    l.date = admission;
    v.push(l);
    let abase = amt(base * rng.random_range(35..=55) / 100);
    let adep = if rng.random_bool(0.7) {
        amt(rng.random_range(1..=6) * 5000)
    } else {
        Amount::ZERO
    };
    let mut l = Line::new(
        &format!("{code}/4"),
        "Honoraires anesthésiste",
        1,
        abase + adep,
        abase,
        100,
    );
    l.date = admission;
    v.push(l);
    (v, nights, si)
}

/// A contract's cover of a stay: daily charge and participation in full, a ceiling per night
/// on the private room, a percentage of the base on fees.
pub fn hospital_cover(rng: &mut Rng, lines: &mut [Line]) {
    let room = amt(pick(rng, &[3000, 4500, 6000, 8000, 10000]));
    let pct_br = pick(rng, &[100u32, 150, 200, 250, 300]);
    cover(lines, |l| match l.code.as_str() {
        "FJ" => l.total,
        "CP" => amt(room.cents() * i64::from(l.qty)),
        c if c.starts_with("GHS") => l.left(),
        _ => pct(l.base, pct_br) - l.amo,
    });
}

// --- Pharmacy -------------------------------------------------------------------------------

/// Drugs: name, price (cents), AMO rate.
pub const DRUGS: &[(&str, i64, u32)] = &[
    ("DOLIPRANE 1000MG CPR B/8", 218, 65),
    ("PARACETAMOL BGR 1G CPR B/8", 196, 65),
    ("AMOXICILLINE ARW 1G CPR B/6", 293, 65),
    ("KARDEGIC 75MG PDR SACH B/30", 289, 65),
    ("LEVOTHYROX 75MCG CPR B/30", 225, 65),
    ("METFORMINE EG 1000MG CPR B/90", 651, 65),
    ("ATORVASTATINE SDZ 20MG B/90", 1198, 65),
    ("VENTOLINE 100MCG SUSP INH", 413, 65),
    ("OMEPRAZOLE ZTV 20MG GELU B/28", 467, 65),
    ("AMLODIPINE BGR 5MG GELU B/30", 252, 65),
    ("RAMIPRIL TEVA 5MG CPR B/90", 766, 65),
    ("DAFALGAN 500MG GELU B/16", 196, 65),
    ("BISOPROLOL ARW 2,5MG CPR B/90", 627, 65),
    ("EZETIMIBE VIA 10MG CPR B/90", 2232, 65),
    ("SPASFON LYOC 80MG B/10", 325, 30),
    ("GAVISCON SUSP BUV FL/250ML", 342, 30),
    ("FORLAX 10G PDR SACH B/20", 460, 30),
    ("DEBRIDAT 100MG CPR B/30", 388, 30),
    ("DIOSMECTITE MYL 3G SACH B/30", 453, 30),
    ("TIORFAN 100MG GELU B/20", 494, 30),
    ("BIAFINE EMULS TUBE 93G", 311, 15),
    ("HEXOMEDINE 0,1% SOL FL 45ML", 254, 15),
    ("CARBOSYLANE GELU B/48", 410, 15),
];

/// The CIP13 of a drug: `34009`, seven digits derived from its name, and the EAN-13 key.
pub fn cip13(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    let body = format!("34009{:07}", h % 10_000_000);
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, c)| u32::from(c - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// A prescription's worth of drugs, and sometimes the dispensing fee.
pub fn pharmacy_lines(rng: &mut Rng, n: usize) -> Vec<Line> {
    let mut v = Vec::new();
    let mut used = Vec::new();
    while v.len() < n {
        let i = rng.random_range(0..DRUGS.len());
        if used.contains(&i) {
            continue;
        }
        used.push(i);
        let (name, p, rate) = DRUGS[i];
        let qty = pick(rng, &[1, 1, 1, 2, 2, 3]);
        let mut l = Line::new(
            &cip13(name),
            name,
            qty,
            amt(p),
            amt(p * i64::from(qty)),
            rate,
        );
        l.date = None;
        v.push(l);
    }
    if rng.random_bool(0.7) {
        let fee = pick(rng, &[51, 102, 153]);
        let mut l = Line::new(
            "HD",
            "HONORAIRE DISPENSATION ORDONNANCE",
            1,
            amt(fee),
            amt(fee),
            70,
        );
        l.date = None;
        v.push(l);
    }
    v
}

// --- Physiotherapy --------------------------------------------------------------------------

/// NGAP acts of a physiotherapist: key letter, coefficient ×10, wording.
pub const PHYSIO_ACTS: &[(&str, i64, &str)] = &[
    ("AMK", 75, "Rééducation d'un membre"),
    ("AMS", 75, "Rééducation du rachis (lombalgie)"),
    ("AMS", 95, "Rééducation post-opératoire du genou"),
    ("AMK", 80, "Rééducation de l'épaule"),
    ("AMS", 90, "Rééducation de la cheville"),
    ("AMK", 85, "Rééducation de la marche"),
];

/// The value of the AMK/AMS key letter in cents.
pub const PHYSIO_KEY: i64 = 215;

/// `n` sessions of one act on dates before `last`, oldest first; sometimes with the home
/// visit allowance.
pub fn physio_sessions(rng: &mut Rng, last: Date, n: usize) -> (Vec<Line>, &'static str, String) {
    let (key, coef, label) = pick(rng, PHYSIO_ACTS);
    let unit = amt((coef * PHYSIO_KEY + 5) / 10);
    let code = format!(
        "{key} {}",
        if coef % 10 == 0 {
            format!("{}", coef / 10)
        } else {
            format!("{}.{}", coef / 10, coef % 10)
        }
    );
    let home = rng.random_bool(0.2);
    let n = if home { n.min(9) } else { n };
    let mut dates = Vec::new();
    let mut d = last;
    for _ in 0..n {
        dates.push(d);
        d -= days(pick(rng, &[2, 2, 3, 3, 4, 7]));
    }
    dates.reverse();
    let mut v = Vec::new();
    for d in dates {
        let mut l = Line::new(&code, label, 1, unit, unit, 60);
        l.date = Some(d);
        v.push(l);
        if home {
            let mut f = Line::new(
                "IFD",
                "Indemnité forfaitaire de déplacement",
                1,
                amt(250),
                amt(250),
                60,
            );
            f.date = Some(d);
            v.push(f);
        }
    }
    (v, label, code)
}

// --- Consultation ---------------------------------------------------------------------------

/// Consultation codes by specialty: code, wording, base (cents).
pub fn consultation_lines(rng: &mut Rng, specialty: &str, date: Date) -> Vec<Line> {
    let gp = specialty.starts_with("Médecin") || specialty.starts_with("Médecine");
    let (code, label, base) = if gp {
        pick(
            rng,
            &[
                ("G", "Consultation de médecine générale", 3000i64),
                ("GS", "Consultation de médecine générale", 3000),
                ("VG", "Visite à domicile", 3000),
            ],
        )
    } else {
        pick(
            rng,
            &[
                ("CS", "Consultation spécialiste", 3000i64),
                ("APC", "Avis ponctuel de consultant", 6000),
                ("CSC", "Consultation spécialisée de cardiologie", 4700),
            ],
        )
    };
    let mut v = Vec::new();
    let mut l = Line::new(code, label, 1, amt(base), amt(base), 70);
    l.date = Some(date);
    // The 2 € participation forfaitaire is kept back from the AMO.
    l.amo = pct(amt(base), 70) - amt(200);
    v.push(l);
    if !gp && code == "CSC" && rng.random_bool(0.5) {
        let mut e = Line::new(
            "DEQP003",
            "Électrocardiogramme",
            1,
            amt(1452),
            amt(1452),
            70,
        );
        e.date = Some(date);
        v.push(e);
    }
    if code == "VG" {
        let mut e = Line::new(
            "MD",
            "Majoration de déplacement",
            1,
            amt(1000),
            amt(1000),
            70,
        );
        e.date = Some(date);
        v.push(e);
    }
    if !gp && rng.random_bool(0.6) || gp && rng.random_bool(0.15) {
        let dep = amt(rng.random_range(2..=14) * 500);
        let mut e = Line::new("DE", "Dépassement d'honoraires", 1, dep, Amount::ZERO, 0);
        e.date = Some(date);
        v.push(e);
    }
    v
}

/// A contract's cover of consultations: the ticket modérateur, and the dépassement up to a
/// percentage of the base.
pub fn consultation_cover(rng: &mut Rng, lines: &mut [Line]) {
    let extra = pick(rng, &[0u32, 50, 100, 150]);
    let base: Amount = lines
        .iter()
        .filter(|l| l.code != "DE")
        .fold(Amount::ZERO, |s, l| s + l.base);
    cover(lines, |l| {
        if l.code == "DE" {
            pct(base, extra)
        } else {
            l.base - pct(l.base, l.rate)
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Tables

/// Text alignment in a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    L,
    R,
    C,
}

/// A table column.
#[derive(Clone, Debug)]
pub struct Col {
    /// Heading; `\n` breaks it.
    pub head: String,
    pub w: f32,
    pub align: Align,
}

pub fn col(head: &str, w: f32, align: Align) -> Col {
    Col {
        head: head.to_string(),
        w,
        align,
    }
}

/// Which rules a table draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grid {
    /// Outer frame, column rules and row rules.
    Full,
    /// A rule under every row.
    Rows,
    /// Rules under the heading and at the bottom only.
    Open,
    /// Outer frame and column rules, no row rules.
    Columns,
}

#[derive(Clone, Copy, Debug)]
pub struct TableStyle {
    pub font: Font,
    pub head_font: Font,
    pub size: f32,
    pub head_size: f32,
    pub row_h: f32,
    /// Heading shade (0 black … 255 white); keep it light: the text is black (the rasteriser
    /// only darkens, so white text on a dark shade would not show).
    pub head_fill: Option<u8>,
    pub grid: Grid,
    /// Shade of every other row.
    pub zebra: Option<u8>,
}

/// A drawn table: where it ends, each cell's text box, each column's left x.
pub struct TableOut {
    pub y_end: f32,
    pub cells: Vec<Vec<BoxMm>>,
    pub col_x: Vec<f32>,
    pub head_end: f32,
}

fn cell_x(x: f32, w: f32, align: Align, tw: f32) -> f32 {
    match align {
        Align::L => x + 1.2,
        Align::R => x + w - 1.2 - tw,
        Align::C => x + (w - tw) / 2.0,
    }
}

/// Draws a table whose top-left corner is (x, y); cells may hold `\n`-separated lines.
pub fn table(
    b: &mut DocBuilder,
    x: f32,
    y: f32,
    cols: &[Col],
    rows: &[Vec<String>],
    st: &TableStyle,
) -> TableOut {
    let width: f32 = cols.iter().map(|c| c.w).sum();
    let mut col_x = Vec::with_capacity(cols.len());
    let mut cx = x;
    for c in cols {
        col_x.push(cx);
        cx += c.w;
    }
    let hl = fonts::pt_to_mm(st.head_size) * 1.18;
    let n_head = cols
        .iter()
        .map(|c| c.head.split('\n').count())
        .max()
        .unwrap_or(1);
    let head_h = n_head as f32 * hl + 2.4;
    if let Some(g) = st.head_fill {
        b.fill(x, y, width, head_h, g);
    }
    for (i, c) in cols.iter().enumerate() {
        let lines: Vec<&str> = c.head.split('\n').collect();
        let off = (n_head - lines.len()) as f32 * hl / 2.0;
        for (k, line) in lines.iter().enumerate() {
            let mut size = st.head_size;
            while fonts::width_mm(st.head_font, size, line) > c.w - 1.6 && size > 7.5 {
                size -= 0.25;
            }
            let tw = fonts::width_mm(st.head_font, size, line);
            let by = y + 1.2 + off + k as f32 * hl + fonts::pt_to_mm(st.head_size) * 0.82;
            b.text(
                cell_x(col_x[i], c.w, c.align, tw),
                by,
                st.head_font,
                size,
                line,
            );
        }
    }
    let head_end = y + head_h;
    let lh = fonts::pt_to_mm(st.size) * 1.2;
    let mut ry = head_end;
    let mut cells = Vec::with_capacity(rows.len());
    let mut row_tops = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        // Lay the cells out first: left-aligned text shrinks a little, then wraps.
        let laid: Vec<(Vec<String>, f32)> = row
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let c = &cols[i.min(cols.len() - 1)];
                let avail = c.w - 2.0;
                if c.align != Align::L {
                    return (s.split('\n').map(str::to_string).collect(), st.size);
                }
                let mut size = st.size;
                while size > (st.size - 0.5).max(8.5)
                    && s.split('\n')
                        .any(|l| fonts::width_mm(st.font, size, l) > avail)
                {
                    size -= 0.25;
                }
                let lines = s
                    .split('\n')
                    .flat_map(|l| crate::doc::wrap(st.font, size, avail, l))
                    .collect();
                (lines, size)
            })
            .collect();
        let n_lines = laid.iter().map(|(l, _)| l.len()).max().unwrap_or(1);
        let h = st.row_h.max(n_lines as f32 * lh + 1.6);
        if let Some(z) = st.zebra
            && r % 2 == 1
        {
            b.fill(x, ry, width, h, z);
        }
        row_tops.push(ry);
        let mut boxes = Vec::with_capacity(row.len());
        for (i, (lines, size)) in laid.iter().enumerate() {
            let c = &cols[i.min(cols.len() - 1)];
            let block = lines.len() as f32 * lh;
            let first_base = ry + (h - block) / 2.0 + lh * 0.78;
            let mut bx = [col_x[i], ry, col_x[i], ry];
            for (k, line) in lines.iter().enumerate() {
                let tw = fonts::width_mm(st.font, *size, line);
                let bb = b.text(
                    cell_x(col_x[i], c.w, c.align, tw),
                    first_base + k as f32 * lh,
                    st.font,
                    *size,
                    line,
                );
                if k == 0 {
                    bx = bb;
                }
            }
            boxes.push(bx);
        }
        cells.push(boxes);
        ry += h;
    }
    let y_end = ry;
    match st.grid {
        Grid::Full | Grid::Columns => {
            b.rect(x, y, width, y_end - y, 0.3);
            for cx in col_x.iter().skip(1) {
                b.line(*cx, y, *cx, y_end, 0.2);
            }
            b.line(x, head_end, x + width, head_end, 0.3);
            if st.grid == Grid::Full {
                for t in row_tops.iter().skip(1) {
                    b.line(x, *t, x + width, *t, 0.15);
                }
            }
        }
        Grid::Rows => {
            b.line(x, head_end, x + width, head_end, 0.35);
            for t in row_tops.iter().skip(1) {
                b.line(x, *t, x + width, *t, 0.15);
            }
            b.line(x, y_end, x + width, y_end, 0.35);
        }
        Grid::Open => {
            if st.head_fill.is_none() {
                b.line(x, y, x + width, y, 0.3);
            }
            b.line(x, head_end, x + width, head_end, 0.3);
            b.line(x, y_end, x + width, y_end, 0.3);
        }
    }
    TableOut {
        y_end,
        cells,
        col_x,
        head_end,
    }
}

/// Labels for the four totals, in one of the wordings real invoices use.
#[derive(Clone, Copy, Debug)]
pub struct TotalLabels {
    pub total: &'static str,
    pub amo: &'static str,
    pub amc: &'static str,
    pub rac: &'static str,
}

pub fn total_labels(rng: &mut Rng) -> TotalLabels {
    TotalLabels {
        total: pick(
            rng,
            &[
                "Montant total",
                "Total",
                "Total facturé",
                "Montant total des soins",
            ],
        ),
        amo: pick(
            rng,
            &[
                "Part Sécurité sociale",
                "Part AMO",
                "Remboursement Assurance Maladie",
                "Part Assurance Maladie (AMO)",
                "Part obligatoire",
                "Part SS",
            ],
        ),
        amc: pick(
            rng,
            &[
                "Part complémentaire",
                "Part mutuelle",
                "Part AMC",
                "Part organisme complémentaire",
                "Prise en charge mutuelle",
            ],
        ),
        rac: pick(
            rng,
            &[
                "Reste à charge",
                "Reste à charge patient",
                "Part patient",
                "Part assuré",
                "Reste à votre charge",
            ],
        ),
    }
}

/// Draws the totals as label/value rows: labels from `x_label`, values right-aligned on
/// `x_right`, marking each amount; returns the baseline after the last row.
#[allow(clippy::too_many_arguments)]
pub fn totals_rows(
    b: &mut DocBuilder,
    t: &Totals,
    labels: &TotalLabels,
    x_label: f32,
    x_right: f32,
    y: f32,
    font: Font,
    bold: Font,
    size: f32,
    leading: f32,
    euro_sign: bool,
    colon: bool,
) -> f32 {
    let fmt = |a: Amount| if euro_sign { euro(a) } else { money(a) };
    let c = if colon { " :" } else { "" };
    let mut rows: Vec<(String, &str, Amount, Font)> = vec![
        (
            format!("{}{c}", labels.total),
            "total_amount",
            t.total,
            bold,
        ),
        (
            format!("{}{c}", labels.amo),
            "social_security_amount",
            t.amo,
            font,
        ),
    ];
    if let Some(a) = t.amc {
        rows.push((
            format!("{}{c}", labels.amc),
            "complementary_amount",
            a,
            font,
        ));
    }
    rows.push((
        format!("{}{c}", labels.rac),
        "remaining_amount",
        t.rac,
        bold,
    ));
    let mut y = y;
    for (label, key, a, f) in rows {
        b.text(x_label, y, f, size, &label);
        field_right(b, x_right, y, f, size, key, a.to_string(), &fmt(a));
        y += leading;
    }
    y
}

/// Marks the care type with the printed evidence (title or table heading).
pub fn care_type_field(b: &mut DocBuilder, care_type: &'static str, printed: &str, bbox: BoxMm) {
    b.set_field("care_type", care_type);
    b.mark("care_type", printed, bbox);
}

/// Mentions of an invoice of care not subject to VAT.
pub fn vat_exempt(rng: &mut Rng) -> &'static str {
    pick(
        rng,
        &[
            "TVA non applicable, art. 261-4-1° du CGI",
            "TVA non applicable - article 261-4-1° du CGI",
            "Exonération de TVA, article 261-4-1° du Code général des impôts",
        ],
    )
}

/// `dd/mm/yyyy` date and its ISO truth.
pub fn fmt_date(d: Date, style: DateStyle) -> String {
    values::fmt_date(d, style)
}

/// Text runs stay inside the printable area (12 mm margins, a little tolerance) and do not
/// overprint one another.
#[cfg(test)]
pub(crate) fn assert_layout_clean(doc: &crate::doc::Doc) {
    for (pi, page) in doc.pages.iter().enumerate() {
        let runs: Vec<_> = page.text_runs().collect();
        for (t, bx) in &runs {
            assert!(
                bx[0] >= 11.5 && bx[2] <= 198.5 && bx[1] >= 10.0 && bx[3] <= 287.0,
                "{}: {t:?} off the page at {bx:?} (page {})",
                doc.layout,
                pi + 1
            );
        }
        for i in 0..runs.len() {
            for j in i + 1..runs.len() {
                let (a, b) = (runs[i].1, runs[j].1);
                let w = a[2].min(b[2]) - a[0].max(b[0]);
                let h = a[3].min(b[3]) - a[1].max(b[1]);
                let ha = (a[3] - a[1]).min(b[3] - b[1]);
                assert!(
                    !(w > 0.5 && h > 0.45 * ha),
                    "{}: {:?} overlaps {:?} (page {})",
                    doc.layout,
                    runs[i].0,
                    runs[j].0,
                    pi + 1
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    #[test]
    fn cip13_has_ean_key() {
        for (name, _, _) in DRUGS {
            let c = cip13(name);
            assert_eq!(c.len(), 13);
            assert!(c.starts_with("34009"));
            let sum: u32 = c
                .bytes()
                .enumerate()
                .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 1 } else { 3 })
                .sum();
            assert_eq!(sum % 10, 0, "{c}");
        }
    }

    #[test]
    fn add_months_clamps() {
        let d = Date::from_calendar_date(2025, Month::August, 31).unwrap();
        assert_eq!(
            add_months(d, 6),
            Date::from_calendar_date(2026, Month::February, 28).unwrap()
        );
        assert_eq!(
            add_months(d, 3),
            Date::from_calendar_date(2025, Month::November, 30).unwrap()
        );
    }

    #[test]
    fn cover_never_exceeds_what_amo_leaves() {
        let mut rng = Rng::seed_from_u64(3);
        for _ in 0..200 {
            let mut v = glasses(&mut rng, OptClass::B, OptClass::A, false, false);
            v.extend(crown(&mut rng, 36, Basket::Libre, true));
            v.extend(hearing_aids(&mut rng, true, Ears::Both));
            dental_cover(&mut rng, &mut v);
            for l in &v {
                assert!(l.amc >= Amount::ZERO && l.rac() >= Amount::ZERO, "{l:?}");
                if l.basket == Basket::Sante {
                    assert_eq!(l.rac(), Amount::ZERO);
                }
            }
        }
    }

    #[test]
    fn ids_are_valid() {
        let (mut rng, member, mutuelle, received) = super::super::testkit::setup(1);
        let ctx = super::super::testkit::ctx(&member, mutuelle, received);
        for ct in [
            "optical",
            "dental",
            "hearing",
            "hospital",
            "pharmacy",
            "paramedical",
            "consultation",
        ] {
            for _ in 0..50 {
                let p = provider(&mut rng, &ctx, ct);
                if let Some(s) = &p.siret {
                    assert!(check::check_siret(s).is_ok(), "{s}");
                }
                if let Some(f) = &p.finess {
                    assert!(check::check_finess(f).is_ok(), "{f}");
                }
                if let Some(r) = &p.rpps {
                    assert!(check::check_rpps(r).is_ok(), "{r}");
                }
                assert!(check::check_phone(&p.phone).is_ok(), "{}", p.phone);
            }
        }
    }
}
