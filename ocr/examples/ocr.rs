//! `cargo run --release -p mailroom-ocr --example ocr -- [--json] FILE...`: the same as
//! `mailroom ocr`, for working on this crate alone. `MAILROOM_OCR_SETTINGS='{"psm":6}'`
//! overrides settings (then prints a timing line per page instead of the text).

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let files: Vec<std::path::PathBuf> = args
        .iter()
        .filter(|a| *a != "--json")
        .map(Into::into)
        .collect();
    let Ok(over) = std::env::var("MAILROOM_OCR_SETTINGS") else {
        return mailroom_ocr::ocr_command(&files, json, &mut std::io::stdout().lock());
    };
    let mut v = serde_json::to_value(mailroom_ocr::Settings::default())?;
    for (k, x) in serde_json::from_str::<serde_json::Value>(&over)?
        .as_object()
        .into_iter()
        .flatten()
    {
        v[k] = x.clone();
    }
    let settings: mailroom_ocr::Settings = serde_json::from_value(v)?;
    let reader = mailroom_ocr::Reader::new(mailroom_ocr::Config {
        settings,
        ..Default::default()
    })?;
    for f in &files {
        for p in reader.read_envelope(f)? {
            println!(
                "{} page {}: {:?} rot {} conf {:.2} words {} | ms: whole {} decode {:.0} clean {:.0} recognize {:.0} | cpu: whole {:.0} recognize {:.0}",
                f.display(),
                p.page,
                p.source,
                p.rotation,
                p.confidence.get(),
                p.words.len(),
                p.elapsed_ms,
                p.timings.decode_ms,
                p.timings.clean_ms,
                p.timings.recognize_ms,
                p.timings.cpu_ms,
                p.timings.recognize_cpu_ms
            );
        }
    }
    Ok(())
}
