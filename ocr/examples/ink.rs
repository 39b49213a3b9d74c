//! Prints the ink measure of every page of a generated set with the page's kind, to calibrate
//! blank detection: `cargo run --release -p mailroom-ocr --example ink -- SET`.

fn main() -> anyhow::Result<()> {
    let set = std::path::PathBuf::from(std::env::args().nth(1).expect("SET"));
    let limits = mailroom_ocr::Limits::default();
    let mut metas: Vec<_> = std::fs::read_dir(set.join("meta"))?
        .map(|e| e.unwrap().path())
        .collect();
    metas.sort();
    for m in metas {
        let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&m)?)?;
        let Some(pages) = meta["pages"].as_array() else {
            continue;
        };
        let id = meta["envelope"].as_str().unwrap_or_default();
        let mut files: Vec<String> = pages
            .iter()
            .map(|p| p["file"].as_str().unwrap_or_default().to_string())
            .collect();
        files.dedup();
        let mut decoded = Vec::new();
        for f in files {
            let path = if set.join("envelopes").join(id).is_dir() {
                set.join("envelopes").join(id).join(&f)
            } else {
                set.join("envelopes").join(&f)
            };
            decoded.extend(
                mailroom_ocr::decode_pages_in_process(&std::fs::read(path)?, &limits)
                    .map_err(anyhow::Error::msg)?,
            );
        }
        for (p, (img, dpi)) in pages.iter().zip(decoded) {
            let t = std::time::Instant::now();
            let upside = mailroom_ocr::upside_down(&img, dpi);
            println!(
                "{}\t{:?}\t{}\t{:.1}ms\t{}\t{}\t{}\t{}\t{}",
                mailroom_ocr::ink_per_10k(&img, dpi),
                upside,
                p["quarter_turns"],
                t.elapsed().as_secs_f64() * 1000.0,
                p["kind"].as_str().unwrap_or_default(),
                p["format"].as_str().unwrap_or_default(),
                p["specks"],
                p["noise"],
                id
            );
        }
    }
    Ok(())
}
