//! OCR garbage must never panic any public function, and normalised values must be fixed
//! points of their normaliser (normalising twice changes nothing).

use mailroom_domain::{Amount, Class, check, fields, normalize, validate};
use serde_json::{Value, json};

/// Characters OCR and PDF text layers actually produce, plus a few hostile ones.
const ALPHABET: &[char] = &[
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '2', 'A', 'B', 'a', 'b', 'E', 'R', 'e',
    'r', 'm', 's', 'F', 'R', ' ', ' ', '.', ',', '-', '/', ':', '+', '(', ')', '\'', '€', '\u{a0}',
    '\u{202f}', '\u{200b}', '\u{301}', 'é', 'û', 'É', 'İ', 'ß', 'œ', '\u{2212}', '١', '°', 'ᵉ',
    'ʳ', '\n', '\t', '\u{0}', '\u{feff}', '@', '𝟘', '💶',
];

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn garbage(&mut self) -> String {
        let len = self.below(36);
        (0..len)
            .map(|_| ALPHABET[self.below(ALPHABET.len())])
            .collect()
    }
}

fn exercise(s: &str) {
    let _ = normalize::date(s);
    let _ = normalize::amount(s);
    let _ = normalize::fold_text(s);
    for f in [
        normalize::nir,
        normalize::iban,
        normalize::bic,
        normalize::digits,
        normalize::phone,
        normalize::postal_code,
        normalize::member_number,
        normalize::code,
        normalize::email,
        normalize::text,
    ] {
        if let Some(n) = f(s) {
            assert_eq!(
                f(&n).as_deref(),
                Some(n.as_str()),
                "not idempotent on {s:?}"
            );
        }
    }
    if let Some(t) = normalize::text(s) {
        let folded = normalize::fold_text(&t);
        assert_eq!(normalize::fold_text(&folded), folded);
    }
    let _ = check::nir_key(s);
    let _ = check::check_nir(s, None);
    let _ = check::rib_key(s, s, s);
    let _ = check::iban_check_digits(s, s);
    let _ = check::iban_fr(s, s, s);
    let _ = check::luhn_valid(s);
    let _ = check::luhn_check_digit(s);
    for rule in [
        check::check_iban,
        check::check_bic,
        check::check_siret,
        check::check_siren,
        check::check_finess,
        check::check_rpps,
        check::check_phone,
        check::check_postal_code,
        check::check_email,
        check::check_member_number,
    ] {
        let _ = rule(s);
    }
    let _ = check::rpps_luhn_warning(s);
    let _ = check::parse_date(s);
    let _ = s.parse::<Amount>();
    let _ = s.parse::<Class>();
    for class in Class::ALL {
        for spec in fields::fields_of(class) {
            let _ = validate::check_field(class, spec.key, &json!(s));
        }
    }
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        exercise(&rng.garbage());
    }
    for s in [
        "", " ", "€", "2A", "FR", "IBAN", "1er", "(0)", "+33", "0033", "-", "--1,00",
    ] {
        exercise(s);
    }
}

#[test]
fn normalised_values_are_fixed_points() {
    let d = normalize::date("le 1er avril 2025").unwrap();
    let s = normalize::date_to_string(d);
    assert_eq!(s, "2025-04-01");
    assert_eq!(normalize::date(&s), Some(d));
    let a = normalize::amount("1 234,56 €").unwrap();
    assert_eq!(a.to_normalized(), "1234.56");
    assert_eq!(normalize::amount(&a.to_normalized()), Some(a));
    assert_eq!(a.format_fr(), "1 234,56");
}

#[test]
fn every_field_kind_accepts_a_sample_value() {
    let sample = |kind: fields::FieldKind| -> Value {
        use fields::FieldKind::*;
        match kind {
            Text => json!("Jean Dupont"),
            Date => json!("2025-03-12"),
            Amount => json!("12.50"),
            Nir => json!("269054958815780"),
            Iban => json!(check::iban_fr("30002", "00550", "0000157841Z")),
            Bic => json!("CRLYFRPP"),
            Siret => json!("73282932000074"),
            Finess => json!("750712184"),
            Rpps => json!("10001234567"),
            Phone => json!("0612345678"),
            PostalCode => json!("75015"),
            MemberNumber => json!("ADH0042137"),
            Boolean => json!(false),
            Code => json!("DEV-2025-7"),
            CareType => json!("hearing"),
            Email => json!("a@b.fr"),
            Dependants => {
                json!([{"last_name": "Dupont", "first_name": "Léa", "birth_date": "2015-01-31"}])
            }
            TextList => json!(["FA-1", "dossier 2"]),
        }
    };
    for class in Class::ALL {
        for spec in fields::fields_of(class) {
            assert_eq!(
                validate::check_field(class, spec.key, &sample(spec.kind)),
                Ok(()),
                "{class} {}",
                spec.key
            );
        }
    }
}

#[test]
fn contract_examples_validate() {
    let truth: mailroom_domain::Truth = serde_json::from_str(
        r#"{"envelope":"env-000123","documents":[{"class":"membership_form","pages":[1,2],
        "fields":{"last_name":"DURAND","first_name":"Nathalie","nir":"269054958815780",
        "iban":"FR7613335000400893289136106","effective_date":"2025-04-01"}},
        {"class":"other","pages":[3],"fields":{}}],"blank_pages":[4]}"#,
    )
    .unwrap();
    for doc in &truth.documents {
        assert_eq!(
            validate::check_document(doc.class, &doc.fields, None),
            vec![]
        );
    }
}
