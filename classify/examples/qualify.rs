//! A development tool for the qualification stage, until the `mailroom` command wires it:
//!
//! ```text
//! cargo run --release -p mailroom-classify --example qualify -- import OCR.jsonl CACHE
//! cargo run --release -p mailroom-classify --example qualify -- process ENVELOPES OUT.jsonl [CACHE] [MODEL]
//! cargo run --release -p mailroom-classify --example qualify -- eval OUT.jsonl SET
//! cargo run --release -p mailroom-classify --example qualify -- train MODEL_OUT CACHE SET...
//! ```

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    mailroom_ocr::run_if_worker();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> anyhow::Result<PathBuf> {
        args.get(i)
            .map(PathBuf::from)
            .ok_or_else(|| anyhow::anyhow!("missing argument {i}"))
    };
    match args.first().map(String::as_str) {
        Some("import") => {
            let n = mailroom_classify::cache::import_ocr_jsonl(&arg(1)?, &arg(2)?)?;
            println!("imported {n} envelopes");
        }
        Some("process") => {
            let opts = mailroom_classify::ProcessOptions {
                ocr_cache: args.get(3).map(PathBuf::from),
                model: args.get(4).map(PathBuf::from),
                ..Default::default()
            };
            let mut out = std::io::BufWriter::new(std::fs::File::create(arg(2)?)?);
            let s = mailroom_classify::process(&arg(1)?, &mut out, &opts, &|p| {
                eprint!("\r{}/{} {}      ", p.done, p.total, p.envelope);
            })?;
            eprintln!();
            println!("{s}");
        }
        Some("eval") => {
            let r = mailroom_classify::eval(&arg(1)?, &arg(2)?)?;
            println!("{r}");
        }
        Some("train") => {
            let mut fit = mailroom_classify::model::FitOptions::default();
            if let Some(a) = std::env::var("ALPHA").ok().and_then(|a| a.parse().ok()) {
                fit.alpha = a;
            }
            let opts = mailroom_classify::TrainOptions {
                fit,
                out: arg(1)?,
                ocr_cache: Some(arg(2)?),
                sets: args[3..].iter().map(PathBuf::from).collect(),
                ..Default::default()
            };
            let r = mailroom_classify::train(&opts, &|i, n| eprint!("\r{i}/{n}"))?;
            eprintln!();
            println!("{r}");
        }
        Some("lines") => {
            // The lines and segments (` | `) of an envelope's pages, as extraction sees them.
            let source = mailroom_classify::cache::PageSource::new(
                mailroom_ocr::Config::default(),
                Some(arg(2)?),
            );
            let pages = source.read(&arg(1)?)?.map_err(|e| anyhow::anyhow!("{e}"))?;
            for p in &pages {
                let l = mailroom_classify::layout::PageLayout::new(p);
                println!(
                    "--- page {} ({}x{}, rotation {})",
                    p.page, l.width, l.height, p.rotation
                );
                for line in &l.lines {
                    let mut s = String::new();
                    for (i, t) in line.toks.iter().enumerate() {
                        if i > 0 {
                            s.push_str(if t.seg != line.toks[i - 1].seg {
                                " | "
                            } else {
                                " "
                            });
                        }
                        s.push_str(&t.text);
                    }
                    println!("{:5.0} {s}", line.y0);
                }
            }
        }
        _ => anyhow::bail!("usage: qualify import|process|eval|train|lines …"),
    }
    Ok(())
}
