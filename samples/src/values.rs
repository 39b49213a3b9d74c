//! Realistic values for French mutuelle mail: people, addresses, banks, health professionals,
//! identifiers with valid check digits, and the many ways each is printed.
//!
//! Every identifier is built to pass the check rules of FIELDS.md (NIR key agreeing with sex and
//! birth date, IBAN and RIB keys, SIRET Luhn), so the ground truth is valid by construction and
//! the tests verify it again.

use crate::doc::Rng;
use mailroom_domain::{Amount, check};
use rand::Rng as _;
use rand::seq::IndexedRandom as _;
use time::{Date, Duration, Month};

pub const FIRST_F: &[&str] = &[
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Martine",
    "Christine",
    "Françoise",
    "Valérie",
    "Sandrine",
    "Stéphanie",
    "Véronique",
    "Sophie",
    "Céline",
    "Chantal",
    "Patricia",
    "Anne",
    "Brigitte",
    "Julie",
    "Marie",
    "Aurélie",
    "Camille",
    "Émilie",
    "Laura",
    "Manon",
    "Léa",
    "Chloé",
    "Inès",
    "Jeanne",
    "Hélène",
    "Agnès",
    "Monique",
    "Josiane",
    "Élodie",
    "Mélanie",
    "Océane",
    "Noémie",
    "Zoé",
    "Louise",
    "Mathilde",
    "Geneviève",
    "Danielle",
    "Odile",
    "Ghislaine",
    "Yasmina",
    "Fatima",
    "Amina",
    "Lucie",
    "Claire",
    "Pauline",
    "Margaux",
];
pub const FIRST_M: &[&str] = &[
    "Jean",
    "Philippe",
    "Michel",
    "Alain",
    "Patrick",
    "Nicolas",
    "Christophe",
    "Pierre",
    "Christian",
    "Éric",
    "Frédéric",
    "Laurent",
    "Stéphane",
    "David",
    "Pascal",
    "Daniel",
    "Sébastien",
    "Julien",
    "Thierry",
    "Olivier",
    "Bernard",
    "Thomas",
    "Alexandre",
    "Gérard",
    "Didier",
    "Dominique",
    "Vincent",
    "François",
    "Bruno",
    "Guillaume",
    "Jérôme",
    "Jacques",
    "Marc",
    "Mathieu",
    "Lucas",
    "Hugo",
    "Théo",
    "Louis",
    "Maxime",
    "Antoine",
    "Raphaël",
    "Gaël",
    "Loïc",
    "Hervé",
    "René",
    "Mohamed",
    "Karim",
    "Yann",
    "Benoît",
    "Cédric",
];
pub const LAST: &[&str] = &[
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFEBVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
    "BONNET",
    "DUPONT",
    "LAMBERT",
    "FONTAINE",
    "ROUSSEAU",
    "VINCENT",
    "MULLER",
    "LEFÈVRE",
    "FAURE",
    "ANDRÉ",
    "MERCIER",
    "BLANC",
    "GUÉRIN",
    "BOYER",
    "GARNIER",
    "CHEVALIER",
    "FRANÇOIS",
    "LEGRAND",
    "GAUTHIER",
    "GARCIA",
    "PERRIN",
    "ROBIN",
    "CLÉMENT",
    "MORIN",
    "NICOLAS",
    "HENRY",
    "ROUSSEL",
    "MATHIEU",
    "GAUTIER",
    "MASSON",
    "MARCHAND",
    "DUVAL",
    "DENIS",
    "DUMONT",
    "MARIE",
    "LEMAIRE",
    "NOËL",
    "MEYER",
    "DUFOUR",
    "MEUNIER",
    "BRUN",
    "BLANCHARD",
    "GIRAUD",
    "JOLY",
    "RIVIÈRE",
    "LUCAS",
    "BRUNET",
    "GAILLARD",
    "BARBIER",
    "ARNAUD",
    "MARTINEZ",
    "GÉRARD",
    "ROCHE",
    "RENARD",
    "SCHMITT",
    "ROY",
    "LEROUX",
    "COLIN",
    "VIDAL",
    "CARON",
    "PICARD",
    "ROGER",
    "FABRE",
    "AUBERT",
    "LEMOINE",
    "RENAUD",
    "DUMAS",
    "LACROIX",
    "OLIVIER",
    "PHILIPPE",
    "BOURGEOIS",
    "PIERRE",
    "BENOÎT",
    "REY",
    "LECLERC",
    "PAYET",
    "ROLLAND",
    "LECLERCQ",
    "GUILLAUME",
    "LECOMTE",
    "LOPEZ",
    "JEAN",
    "DUPUY",
    "GUILLOT",
    "HUBERT",
    "BERGER",
    "CARPENTIER",
    "SANCHEZ",
    "DUPUIS",
    "MOULIN",
    "LOUIS",
    "DESCHAMPS",
    "HUET",
    "VASSEUR",
    "PEREZ",
    "BOUCHER",
    "FLEURY",
    "ROYER",
    "KLEIN",
    "JACQUET",
    "ADAM",
    "PARIS",
    "POIRIER",
    "MARTY",
    "AUBRY",
    "GUYOT",
    "CARRÉ",
    "CHARLES",
    "RENAULT",
    "CHARPENTIER",
    "MÉNARD",
    "MAILLARD",
    "BARON",
    "BERTIN",
    "BAILLY",
    "HERVÉ",
    "SCHNEIDER",
    "FERNANDEZ",
    "LE GALL",
    "COLLET",
    "LÉGER",
    "BOUVIER",
    "JULIEN",
    "PRÉVOST",
    "MILLET",
    "PERROT",
    "DANIEL",
    "LE ROUX",
    "COUSIN",
    "GERMAIN",
    "BRETON",
    "BESSON",
    "LANGLOIS",
    "RÉMY",
    "LE GOFF",
    "PELLETIER",
    "LÉVÊQUE",
    "PERRIER",
    "LEBLANC",
    "BARRÉ",
    "LEBRUN",
    "MARCHAL",
    "WEBER",
    "MALLET",
    "HAMON",
    "BOULANGER",
    "JACOB",
    "MONNIER",
    "MICHAUD",
    "RODRIGUEZ",
    "GUICHARD",
    "GILLET",
    "ÉTIENNE",
    "GRONDIN",
    "POULAIN",
    "TESSIER",
    "CHEVALLIER",
    "COLLIN",
    "CHAUVIN",
    "DA SILVA",
    "BOUCHET",
    "GAY",
    "LEMAÎTRE",
    "BENARD",
    "MARÉCHAL",
    "HUMBERT",
    "REYNAUD",
    "ANTOINE",
    "HOARAU",
    "PERRET",
    "BARTHÉLEMY",
    "CORDIER",
    "PICHON",
    "LEJEUNE",
    "GILBERT",
    "LAMY",
    "DELAUNAY",
    "PASQUIER",
    "CARLIER",
    "LAPORTE",
    "N'DIAYE",
    "BEN AMAR",
    "NGUYEN",
];

/// (postal code, city, department code) — real pairs.
pub const CITIES: &[(&str, &str, &str)] = &[
    ("75015", "Paris", "75"),
    ("75011", "Paris", "75"),
    ("75018", "Paris", "75"),
    ("69003", "Lyon", "69"),
    ("69800", "Saint-Priest", "69"),
    ("69100", "Villeurbanne", "69"),
    ("13008", "Marseille", "13"),
    ("13100", "Aix-en-Provence", "13"),
    ("31000", "Toulouse", "31"),
    ("06000", "Nice", "06"),
    ("44000", "Nantes", "44"),
    ("67000", "Strasbourg", "67"),
    ("34000", "Montpellier", "34"),
    ("33000", "Bordeaux", "33"),
    ("59000", "Lille", "59"),
    ("35000", "Rennes", "35"),
    ("51100", "Reims", "51"),
    ("42000", "Saint-Étienne", "42"),
    ("83000", "Toulon", "83"),
    ("38000", "Grenoble", "38"),
    ("21000", "Dijon", "21"),
    ("49000", "Angers", "49"),
    ("30000", "Nîmes", "30"),
    ("63000", "Clermont-Ferrand", "63"),
    ("72000", "Le Mans", "72"),
    ("29200", "Brest", "29"),
    ("37000", "Tours", "37"),
    ("80000", "Amiens", "80"),
    ("87000", "Limoges", "87"),
    ("74000", "Annecy", "74"),
    ("66000", "Perpignan", "66"),
    ("57000", "Metz", "57"),
    ("25000", "Besançon", "25"),
    ("45000", "Orléans", "45"),
    ("76000", "Rouen", "76"),
    ("14000", "Caen", "14"),
    ("54000", "Nancy", "54"),
    ("68100", "Mulhouse", "68"),
    ("92100", "Boulogne-Billancourt", "92"),
    ("93200", "Saint-Denis", "93"),
    ("94000", "Créteil", "94"),
    ("95000", "Cergy", "95"),
    ("78000", "Versailles", "78"),
    ("64000", "Pau", "64"),
    ("17000", "La Rochelle", "17"),
    ("20000", "Ajaccio", "2A"),
    ("20200", "Bastia", "2B"),
    ("97400", "Saint-Denis", "974"),
    ("86000", "Poitiers", "86"),
    ("56100", "Lorient", "56"),
    ("01000", "Bourg-en-Bresse", "01"),
    ("26000", "Valence", "26"),
    ("73000", "Chambéry", "73"),
    ("84000", "Avignon", "84"),
    ("62000", "Arras", "62"),
    ("71100", "Chalon-sur-Saône", "71"),
    ("18000", "Bourges", "18"),
];

const STREET_TYPES: &[&str] = &[
    "rue",
    "avenue",
    "boulevard",
    "place",
    "allée",
    "impasse",
    "chemin",
    "route",
    "quai",
    "cours",
];
const STREET_NAMES: &[&str] = &[
    "de la République",
    "Victor Hugo",
    "Jean Jaurès",
    "du Général de Gaulle",
    "Pasteur",
    "des Lilas",
    "de la Gare",
    "Gambetta",
    "du Maréchal Foch",
    "Jules Ferry",
    "des Écoles",
    "de la Liberté",
    "Carnot",
    "de Verdun",
    "du Moulin",
    "des Tilleuls",
    "Émile Zola",
    "Anatole France",
    "de la Paix",
    "Saint-Exupéry",
    "des Peupliers",
    "du 8 Mai 1945",
    "Louis Blériot",
    "de Bretagne",
    "des Acacias",
    "du Château",
    "Jean Moulin",
    "de l'Église",
    "Aristide Briand",
    "Paul Vaillant-Couturier",
    "des Cerisiers",
    "de la Fontaine",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sex {
    M,
    F,
}

#[derive(Clone, Debug)]
pub struct Person {
    pub sex: Sex,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Date,
    /// Normalised NIR, agreeing with sex, birth date and birth department.
    pub nir: String,
}

#[derive(Clone, Debug)]
pub struct Address {
    /// e.g. "12 bis rue Victor Hugo"
    pub street: String,
    /// e.g. "Bâtiment B, Appt 24", sometimes
    pub complement: Option<String>,
    pub postal_code: String,
    pub city: String,
}

#[derive(Clone, Debug)]
pub struct Bank {
    pub name: &'static str,
    pub bank_code: String,
    pub branch_code: String,
    pub account: String,
    pub rib_key: String,
    /// Normalised IBAN.
    pub iban: String,
    pub bic: String,
    pub branch_name: String,
}

/// A member of the mutuelle, with what the envelopes about them need.
#[derive(Clone, Debug)]
pub struct Member {
    pub person: Person,
    pub address: Address,
    pub email: String,
    /// Normalised phone, `0XXXXXXXXX`.
    pub phone: String,
    pub bank: Bank,
    /// Normalised member number (upper case, no spaces), e.g. `ADH0042137`.
    pub member_number: String,
    pub dependants: Vec<Person>,
}

/// What the mutuelle is called on its forms and letters.
#[derive(Clone, Debug)]
pub struct Mutuelle {
    pub name: &'static str,
    pub address: &'static str,
    pub city_line: &'static str,
    pub plans: &'static [&'static str],
}

pub const MUTUELLES: &[Mutuelle] = &[
    Mutuelle {
        name: "Mutuelle Santé Horizon",
        address: "Service Adhésions - TSA 40211",
        city_line: "69800 SAINT-PRIEST CEDEX",
        plans: &[
            "Essentielle",
            "Confort",
            "Confort Plus",
            "Sérénité",
            "Hospi Seule",
        ],
    },
    Mutuelle {
        name: "Mutuelle des Pays de France",
        address: "10 boulevard de la Mutualité",
        city_line: "75015 PARIS",
        plans: &[
            "Formule 1",
            "Formule 2",
            "Formule 3",
            "Formule 4",
            "Senior Équilibre",
        ],
    },
    Mutuelle {
        name: "Solidarité Mutualiste",
        address: "CS 90012",
        city_line: "44000 NANTES",
        plans: &[
            "Niveau 1",
            "Niveau 2",
            "Niveau 3",
            "Jeunes Actifs",
            "Famille Plus",
        ],
    },
];

const BANKS: &[(&str, &str, &str)] = &[
    ("BNP Paribas", "30004", "BNPAFRPP"),
    ("Société Générale", "30003", "SOGEFRPP"),
    ("La Banque Postale", "20041", "PSSTFRPP"),
    ("Crédit Mutuel", "10278", "CMCIFR2A"),
    ("LCL", "30002", "CRLYFRPP"),
    ("Caisse d'Epargne", "13335", "CEPAFRPP"),
    ("Crédit Agricole", "18206", "AGRIFRPP"),
    ("CIC", "30066", "CMCIFRPP"),
    ("Banque Populaire", "10907", "CCBPFRPP"),
];

pub fn pick<'a, T>(rng: &mut Rng, xs: &'a [T]) -> &'a T {
    xs.choose(rng).expect("non-empty list")
}

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// A random date between `from` and `to` inclusive.
pub fn date_between(rng: &mut Rng, from: Date, to: Date) -> Date {
    let days = (to - from).whole_days().max(0);
    from + Duration::days(rng.random_range(0..=days))
}

/// A NIR for this sex, birth date and birth department, with a valid key.
pub fn nir_for(rng: &mut Rng, sex: Sex, birth: Date, dept: &str) -> String {
    let s = if sex == Sex::M { '1' } else { '2' };
    let yy = birth.year() % 100;
    let mm = u8::from(birth.month());
    // Overseas departments use 3 digits; the commune code then has 2.
    let (dept, commune) = if dept.len() == 3 {
        (dept.to_string(), digits(rng, 2))
    } else {
        (
            dept.to_string(),
            format!("{:03}", rng.random_range(1..=700)),
        )
    };
    let order = format!("{:03}", rng.random_range(1..=999));
    let first13 = format!("{s}{yy:02}{mm:02}{dept}{commune}{order}");
    let key = check::nir_key(&first13).unwrap_or(0);
    format!("{first13}{key:02}")
}

pub fn person(rng: &mut Rng, sex: Option<Sex>, born_from: Date, born_to: Date) -> Person {
    let sex = sex.unwrap_or(if rng.random_bool(0.5) { Sex::F } else { Sex::M });
    let first = if sex == Sex::F {
        pick(rng, FIRST_F)
    } else {
        pick(rng, FIRST_M)
    };
    let birth = date_between(rng, born_from, born_to);
    let dept = pick(rng, CITIES).2;
    Person {
        sex,
        first_name: (*first).to_string(),
        last_name: (*pick(rng, LAST)).to_string(),
        birth_date: birth,
        nir: nir_for(rng, sex, birth, dept),
    }
}

pub fn address(rng: &mut Rng) -> Address {
    let (cp, city, _) = *pick(rng, CITIES);
    let num = rng.random_range(1..=180);
    let suffix = match rng.random_range(0..10) {
        0 => " bis",
        1 => " ter",
        _ => "",
    };
    let street = format!(
        "{num}{suffix} {} {}",
        pick(rng, STREET_TYPES),
        pick(rng, STREET_NAMES)
    );
    let complement = match rng.random_range(0..6) {
        0 => Some(format!(
            "Bâtiment {}, Appt {}",
            pick(rng, &["A", "B", "C", "D"]),
            rng.random_range(1..=60)
        )),
        1 => Some(format!(
            "Résidence les {}",
            pick(rng, &["Mimosas", "Glycines", "Pins", "Jardins"])
        )),
        _ => None,
    };
    Address {
        street,
        complement,
        postal_code: cp.to_string(),
        city: city.to_string(),
    }
}

pub fn bank(rng: &mut Rng) -> Bank {
    let (name, code, bic8) = *pick(rng, BANKS);
    let branch = digits(rng, 5);
    let account = digits(rng, 11);
    let key = check::rib_key(code, &branch, &account);
    let iban = check::iban_fr(code, &branch, &account);
    let bic = if rng.random_bool(0.5) {
        bic8.to_string()
    } else {
        format!("{bic8}{}", digits(rng, 3))
    };
    let (_, city, _) = *pick(rng, CITIES);
    Bank {
        name,
        bank_code: code.to_string(),
        branch_code: branch,
        account,
        rib_key: format!("{key:02}"),
        iban,
        bic,
        branch_name: format!("{} {}", name, city.to_uppercase()),
    }
}

/// A member number in one of the insurers' styles, normalised.
pub fn member_number(rng: &mut Rng) -> String {
    match rng.random_range(0..4) {
        0 => format!("ADH{}", digits(rng, 7)),
        1 => digits(rng, 9),
        2 => format!("M{}", digits(rng, 8)),
        _ => format!("{}{}", digits(rng, 6), pick(rng, &["A", "B", "C", "K"])),
    }
}

pub fn phone(rng: &mut Rng) -> String {
    let p = pick(rng, &["06", "07", "01", "02", "03", "04", "05", "09"]);
    format!("{p}{}", digits(rng, 8))
}

pub fn email(rng: &mut Rng, p: &Person) -> String {
    let fold = |s: &str| mailroom_domain::normalize::fold_text(s).replace([' ', '\''], "");
    let domain = pick(
        rng,
        &[
            "orange.fr",
            "gmail.com",
            "free.fr",
            "laposte.net",
            "sfr.fr",
            "wanadoo.fr",
        ],
    );
    match rng.random_range(0..3) {
        0 => format!("{}.{}@{domain}", fold(&p.first_name), fold(&p.last_name)),
        1 => format!(
            "{}{}{}@{domain}",
            &fold(&p.first_name)[..1],
            fold(&p.last_name),
            p.birth_date.year() % 100
        ),
        _ => format!("{}_{}@{domain}", fold(&p.last_name), fold(&p.first_name)),
    }
}

/// A member of working age or retired, with family when it fits.
pub fn member(rng: &mut Rng, today: Date) -> Member {
    let born_from = today - Duration::days(365 * 85);
    let born_to = today - Duration::days(365 * 19);
    let person = person(rng, None, born_from, born_to);
    let n_dep = match rng.random_range(0..10) {
        0..=4 => 0,
        5..=6 => 1,
        7..=8 => 2,
        _ => 3,
    };
    let mut dependants = Vec::new();
    for _ in 0..n_dep {
        let mut d = self::person(
            rng,
            None,
            today - Duration::days(365 * 22),
            today - Duration::days(60),
        );
        if rng.random_bool(0.8) {
            d.last_name = person.last_name.clone();
        }
        dependants.push(d);
    }
    Member {
        email: email(rng, &person),
        person,
        address: address(rng),
        phone: phone(rng),
        bank: bank(rng),
        member_number: member_number(rng),
        dependants,
    }
}

/// A SIRET (14 digits, Luhn-valid).
pub fn siret(rng: &mut Rng) -> String {
    let siren8 = format!("{}{}", rng.random_range(1..=9), digits(rng, 7));
    let siren = format!("{siren8}{}", check::luhn_check_digit(&siren8));
    let nic4 = format!("000{}", rng.random_range(1..=9));
    let body = format!("{siren}{nic4}");
    format!("{body}{}", check::luhn_check_digit(&body))
}

/// A FINESS number: department then 7 digits.
pub fn finess(rng: &mut Rng, dept: &str) -> String {
    let d = if dept.len() == 3 {
        "97".to_string()
    } else {
        dept.to_string()
    };
    let body = format!("{d}{}", digits(rng, 6));
    // The ninth character is a Luhn key over the first eight when they are digits.
    if body.chars().all(|c| c.is_ascii_digit()) {
        format!("{body}{}", check::luhn_check_digit(&body))
    } else {
        format!("{body}{}", digits(rng, 1))
    }
}

/// An RPPS number: 11 digits with a Luhn key, starting 10.
pub fn rpps(rng: &mut Rng) -> String {
    let body = format!("10{}", digits(rng, 8));
    format!("{body}{}", check::luhn_check_digit(&body))
}

// ---------------------------------------------------------------------------------------------
// Printed forms

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// How a date is printed.
#[derive(Clone, Copy, Debug)]
pub enum DateStyle {
    /// 12/03/2025
    Slash,
    /// 12.03.25
    DotShort,
    /// 12 mars 2025 (1er for the first)
    Long,
    /// 12-03-2025
    Dash,
    /// 12/03/25
    SlashShort,
}

pub fn date_style(rng: &mut Rng) -> DateStyle {
    *pick(
        rng,
        &[
            DateStyle::Slash,
            DateStyle::Slash,
            DateStyle::Long,
            DateStyle::DotShort,
            DateStyle::Dash,
            DateStyle::SlashShort,
        ],
    )
}

pub fn fmt_date(d: Date, style: DateStyle) -> String {
    let (dd, mm, yy) = (d.day(), u8::from(d.month()), d.year());
    match style {
        DateStyle::Slash => format!("{dd:02}/{mm:02}/{yy}"),
        DateStyle::DotShort => format!("{dd:02}.{mm:02}.{:02}", yy % 100),
        DateStyle::Dash => format!("{dd:02}-{mm:02}-{yy}"),
        DateStyle::SlashShort => format!("{dd:02}/{mm:02}/{:02}", yy % 100),
        DateStyle::Long => {
            let day = if dd == 1 {
                "1er".to_string()
            } else {
                dd.to_string()
            };
            format!("{day} {} {yy}", MONTHS[usize::from(mm) - 1])
        }
    }
}

/// Normalised date string `YYYY-MM-DD`.
pub fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// French amount: `1 234,56 €` (with `euro` false, no sign).
pub fn fmt_amount(a: Amount, euro: bool) -> String {
    if euro {
        format!("{} €", a.format_fr())
    } else {
        a.format_fr()
    }
}

/// A NIR as printed on forms: `2 69 05 49 588 157 80`, or packed.
pub fn fmt_nir(nir: &str, spaced: bool) -> String {
    if !spaced || nir.len() != 15 {
        return nir.to_string();
    }
    let c: Vec<char> = nir.chars().collect();
    let part = |a: usize, b: usize| c[a..b].iter().collect::<String>();
    format!(
        "{} {} {} {} {} {} {}",
        part(0, 1),
        part(1, 3),
        part(3, 5),
        part(5, 7),
        part(7, 10),
        part(10, 13),
        part(13, 15)
    )
}

/// An IBAN in groups of four, as on a RIB.
pub fn fmt_iban(iban: &str) -> String {
    iban.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A phone number as printed: `06 12 34 56 78`, `06.12.34.56.78` or `+33 6 12 34 56 78`.
pub fn fmt_phone(rng: &mut Rng, p: &str) -> String {
    let pairs: Vec<&str> = (0..5).map(|i| &p[i * 2..i * 2 + 2]).collect();
    match rng.random_range(0..4) {
        0 => pairs.join("."),
        1 => format!("+33 {} {}", &p[1..2], pairs[1..].join(" ")),
        _ => pairs.join(" "),
    }
}

/// A SIRET as printed: `552 100 554 00014`, or packed.
pub fn fmt_siret(s: &str, spaced: bool) -> String {
    if spaced && s.len() == 14 {
        format!("{} {} {} {}", &s[0..3], &s[3..6], &s[6..9], &s[9..14])
    } else {
        s.to_string()
    }
}

const MEMBER_LABELS: &[&str] = &[
    "N° adhérent :",
    "Réf. adhérent :",
    "Matricule :",
    "N° d'adhérent :",
    "Numéro adhérent :",
    "Adhérent n°",
];

/// A member number as printed, with the label the insurer uses.
pub fn member_label(rng: &mut Rng) -> &'static str {
    MEMBER_LABELS[rng.random_range(0..MEMBER_LABELS.len())]
}

/// A care/letter date `days_before` up to some days before reception.
pub fn date_before(rng: &mut Rng, received: Date, min_days: i64, max_days: i64) -> Date {
    received - Duration::days(rng.random_range(min_days..=max_days))
}

/// The first day of a month after `d` (effective dates of contracts).
pub fn first_of_next_month(d: Date, months_ahead: u8) -> Date {
    let mut y = d.year();
    let mut m = u8::from(d.month());
    for _ in 0..months_ahead.max(1) {
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    Date::from_calendar_date(y, Month::try_from(m).unwrap_or(Month::January), 1).unwrap_or(d)
}

/// An amount in cents between `lo` and `hi` euros.
pub fn euros(rng: &mut Rng, lo: f64, hi: f64) -> Amount {
    let lo_c = (lo * 100.0) as i64;
    let hi_c = (hi * 100.0) as i64;
    Amount::from_cents(rng.random_range(lo_c..=hi_c.max(lo_c)))
}

/// A document reference in a provider's style: `FA-2025-00123`, `F250312-045`, `D2025/0456`.
pub fn reference(rng: &mut Rng, prefix: &str, year: i32) -> (String, String) {
    let printed = match rng.random_range(0..4) {
        0 => format!("{prefix}-{year}-{}", digits(rng, 5)),
        1 => format!("{prefix}{}{}", year % 100, digits(rng, 6)),
        2 => format!("{prefix}{year}/{}", digits(rng, 4)),
        _ => format!("{}{}", digits(rng, 2), digits(rng, 6)),
    };
    let normalised: String = printed
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    (printed, normalised)
}
