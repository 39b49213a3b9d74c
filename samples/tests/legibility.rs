//! The pages are legible to a machine: real Tesseract finds the printed identifiers, dates and
//! amounts on clean 300-dpi renders, and born-digital PDFs carry them in their text layer.

use mailroom_domain::Class;
use mailroom_domain::fields::{FieldKind, fields_of};
use mailroom_samples::envelope::{self, Format};
use rayon::prelude::*;
use std::process::Command;

/// Whether a field key holds an identifier, a date or an amount (what the legibility bar is on).
fn is_id_date_amount(key: &str) -> bool {
    let key = key.split('.').next_back().unwrap_or(key);
    let kind = Class::ALL
        .iter()
        .find_map(|c| fields_of(*c).iter().find(|f| f.key == key))
        .map(|f| f.kind);
    match kind {
        Some(
            FieldKind::Date
            | FieldKind::Amount
            | FieldKind::Nir
            | FieldKind::Iban
            | FieldKind::Bic
            | FieldKind::Siret
            | FieldKind::Finess
            | FieldKind::Rpps
            | FieldKind::MemberNumber
            | FieldKind::Code
            | FieldKind::PostalCode
            | FieldKind::Phone,
        ) => true,
        // "other" documents mark identifiers under these keys without truth fields.
        _ => matches!(key, "iban" | "nir" | "bic" | "rpps" | "finess" | "siret"),
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` without any whitespace.
fn packed(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Tesseract reads a page as the pipeline has it read: at its true resolution (the pipeline
/// passes the file's dpi to the engine; these PNGs carry none, and without it Tesseract guesses
/// from the glyph sizes, misjudges, and takes framed areas for pictures), with automatic page
/// segmentation (psm 3).
///
/// A value counts as found when its printed characters appear in that order in the raw text,
/// whitespace ignored on both sides. Where Tesseract puts spaces is not what is printed: comb
/// boxes space each character in its own cell, grouped numbers (NIR, IBAN, amounts) have their
/// spacing read one way or another, and a value cut over two cells or lines comes back with a
/// line break. Every printed character, including the slashes, dots and commas of dates and
/// amounts, must still be read, in the printed order.
#[test]
fn tesseract_reads_90_percent_of_identifiers_dates_and_amounts_on_clean_pages() {
    let dir = tempfile::tempdir().unwrap();
    // Up to two pages of every document of the first envelopes of a set: every class and most
    // layouts.
    let mut pages = Vec::new();
    for i in 0..24 {
        let plan = envelope::plan(31337, i);
        for (di, doc) in plan.docs.iter().enumerate() {
            for (pi, page) in doc.pages.iter().enumerate().take(2) {
                let spans: Vec<String> = page
                    .spans
                    .iter()
                    .filter(|s| is_id_date_amount(&s.key))
                    .map(|s| collapse(&s.printed))
                    .collect();
                if !spans.is_empty() {
                    let name = format!("{}-{di}-{}-{pi}", plan.id, doc.layout.replace('/', "_"));
                    pages.push((name, page.clone(), spans));
                }
            }
        }
    }
    assert!(
        pages.len() >= 30,
        "only {} pages with identifiers",
        pages.len()
    );
    let results: Vec<(String, usize, Vec<String>)> = pages
        .par_iter()
        .map(|(name, page, spans)| {
            let img = mailroom_samples::raster::render(page, 300).unwrap();
            let png = dir.path().join(format!("{name}.png"));
            img.save(&png).unwrap();
            let out = Command::new("tesseract")
                .arg(&png)
                .arg("stdout")
                .args(["-l", "fra", "--psm", "3", "--dpi", "300"])
                .env("OMP_THREAD_LIMIT", "1")
                .output()
                .expect("tesseract is installed by scripts/setup");
            assert!(
                out.status.success(),
                "tesseract failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let raw = String::from_utf8_lossy(&out.stdout).into_owned();
            let text = packed(&raw);
            let missed: Vec<String> = spans
                .iter()
                .filter(|s| !text.contains(&packed(s)))
                .cloned()
                .collect();
            if !missed.is_empty() && std::env::var_os("LEGIBILITY_DEBUG").is_some() {
                eprintln!("--- {name}\n{raw}");
            }
            (name.clone(), spans.len(), missed)
        })
        .collect();
    let total: usize = results.iter().map(|r| r.1).sum();
    let missed: usize = results.iter().map(|r| r.2.len()).sum();
    let found = total - missed;
    println!(
        "tesseract found {found} of {total} identifier/date/amount strings ({:.1} %)",
        100.0 * found as f64 / total as f64
    );
    for (name, _, m) in &results {
        if !m.is_empty() {
            println!("  {name}: missed {m:?}");
        }
    }
    assert!(found * 100 >= total * 90, "only {found} of {total} found");
}

#[test]
fn born_digital_pdfs_carry_the_printed_values_in_their_text_layer() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut i = 0;
    while checked < 5 && i < 400 {
        let plan = envelope::plan(555, i);
        i += 1;
        let Some(file) = plan.files.iter().find(|f| f.format == Format::PdfText) else {
            continue;
        };
        let meta = envelope::write(&plan, dir.path()).unwrap();
        let path = dir.path().join(&plan.id).join(&file.name);
        let out = Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils)");
        assert!(out.status.success());
        let text = collapse(&String::from_utf8_lossy(&out.stdout));
        let fields: Vec<_> = meta
            .pages
            .iter()
            .filter(|p| p.file == file.name)
            .flat_map(|p| &p.fields)
            .collect();
        assert!(
            !fields.is_empty(),
            "{}: born-digital document without fields",
            plan.id
        );
        for f in fields {
            assert!(
                text.contains(&collapse(&f.printed)),
                "{}: {:?} ({}) not in the text layer",
                plan.id,
                f.printed,
                f.key
            );
        }
        checked += 1;
    }
    assert_eq!(
        checked, 5,
        "too few born-digital documents in 400 envelopes"
    );
}
