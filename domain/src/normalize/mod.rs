//! Printed form → normalised form (shared/domain/FIELDS.md, "Normalised forms").
//!
//! The input is whatever OCR read, so every function accepts any string, never panics, and
//! returns `None` when the text cannot be read as a value of that kind, rather than
//! guessing. The output is the one form truth and results use, so that the evaluation can
//! compare values exactly (or, for text, with [`fold_text`]).
//!
//! Normalisation is about form, not validity: `nir("2 69 05 49 588 157 81")` returns the
//! 15 characters even though the key is wrong; [`crate::check`] says whether it is valid.

mod amount;
mod date;
mod ids;

pub use amount::amount;
pub use date::{date, date_to_string};
pub use ids::{bic, code, digits, email, iban, member_number, nir, phone, postal_code};

/// True for characters that carry no text: control characters and zero-width spaces that
/// PDF text layers and OCR engines sometimes emit.
fn is_invisible(c: char) -> bool {
    (c.is_control() && !c.is_whitespace())
        || matches!(
            c,
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}'
        )
}

/// Text as printed with single spaces: every run of whitespace (including no-break and
/// thin spaces) becomes one space, the ends are trimmed, invisible characters dropped.
/// `None` when nothing is left.
pub fn text(s: &str) -> Option<String> {
    let cleaned: String = s.chars().filter(|c| !is_invisible(*c)).collect();
    let joined = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

/// The accent-free lower-case form of a letter, or `None` to keep the letter as is.
fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'č' | 'ĉ' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' | 'ĝ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'į' | 'ı' => "i",
        'ł' | 'ľ' | 'ĺ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'ř' | 'ŕ' => "r",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ť' | 'ţ' | 'ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'œ' => "oe",
        'æ' => "ae",
        'ß' => "ss",
        '’' | '‘' | 'ʼ' | '`' | '´' => "'",
        '‐' | '‑' | '‒' | '–' | '—' => "-",
        _ => return None,
    })
}

/// The comparison form of text fields: lower case, accents removed, ligatures expanded
/// (`œ` → `oe`), typographic apostrophes and dashes made plain, single spaces, trimmed.
/// Scoring compares text case- and accent-insensitively, so two texts are "the same" when
/// their folds are equal.
pub fn fold_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        if is_invisible(c) || ('\u{300}'..='\u{36F}').contains(&c) {
            continue; // combining accents of decomposed text
        }
        match fold_char(c) {
            Some(f) => out.push_str(f),
            None => out.push(c),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_single_spaces() {
        assert_eq!(text("  Jean \u{a0} Dupont\n"), Some("Jean Dupont".into()));
        assert_eq!(
            text("12\u{202f}rue\tdes  Lilas"),
            Some("12 rue des Lilas".into())
        );
        assert_eq!(text("Zo\u{200b}é"), Some("Zoé".into()));
        assert_eq!(text("   "), None);
        assert_eq!(text(""), None);
    }

    #[test]
    fn folding() {
        assert_eq!(fold_text("  Hélène  CŒUR "), "helene coeur");
        assert_eq!(
            fold_text("François-Xavier D’Arçy"),
            "francois-xavier d'arcy"
        );
        assert_eq!(fold_text("ÉLODIE"), "elodie");
        assert_eq!(fold_text("Ame\u{301}lie"), "amelie");
        assert_eq!(
            fold_text("Réclamation — Mise en demeure"),
            "reclamation - mise en demeure"
        );
        assert_eq!(fold_text(""), "");
        assert_eq!(fold_text("İstanbul"), "istanbul");
    }
}
