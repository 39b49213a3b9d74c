//! `mailroom`: the command line of the mailroom intake pipeline. Thin by design: every
//! command calls into a library crate that tests drive directly.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "mailroom",
    version,
    about = "Document intake pipeline of a health mutual's mailroom"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sample sets: realistic scanned envelopes with their ground truth.
    #[command(subcommand)]
    Samples(SamplesCommand),
    /// Qualifies every envelope of a folder (SAMPLES.md `envelopes/` layout), embedded: no
    /// broker, no server. Writes one RESULTS.md line per envelope.
    Process {
        /// Folder of envelopes (sub-folders or single PDF/TIFF files).
        dir: PathBuf,
        /// Results file (JSON Lines).
        #[arg(long, default_value = "results.jsonl")]
        out: PathBuf,
        /// Keep read pages here and reuse them on the next run.
        #[arg(long)]
        ocr_cache: Option<PathBuf>,
        /// A classifier model file instead of the one built in.
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Scores results against a sample set's truth: confusion matrix, split accuracy, fields,
    /// precision of `valid`, straight-through rate.
    Eval {
        /// Results file written by `process` or `export`.
        results: PathBuf,
        /// The sample set (holding truth/).
        set: PathBuf,
    },
    /// Retrains the document classifier from sample sets and writes the model file.
    Train {
        /// Sample sets (folders with envelopes/ and truth/).
        #[arg(required = true)]
        sets: Vec<PathBuf>,
        /// Model file to write.
        #[arg(long, default_value = "classify/model/classifier.json")]
        out: PathBuf,
        /// Keep read pages here and reuse them.
        #[arg(long)]
        ocr_cache: Option<PathBuf>,
    },
    /// Reads pages and prints their text; with --json, the words with boxes and confidences.
    Ocr {
        /// Page files, multi-page PDF or TIFF files, or envelope folders.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per FILE: pages, words, boxes, confidences.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SamplesCommand {
    /// Writes a sample set (envelopes/, truth/, meta/) in the SAMPLES.md format.
    Generate {
        /// Folder to write the set into.
        #[arg(long)]
        out: PathBuf,
        /// Number of envelopes.
        #[arg(long, default_value_t = 100)]
        count: u64,
        /// Seed: the same seed gives the same set.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Checks a sample set: truth contract and check rules, every file decodes, page counts agree.
    Check {
        /// The set's folder (holding envelopes/ and truth/).
        set: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Process {
            dir,
            out,
            ocr_cache,
            model,
        } => {
            let opts = mailroom_classify::ProcessOptions {
                ocr_cache,
                model,
                ..Default::default()
            };
            let file = std::fs::File::create(&out)
                .with_context(|| format!("creating {}", out.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            let tty = std::io::stderr().is_terminal();
            let progress = move |p: mailroom_classify::Progress<'_>| {
                if tty {
                    let width = 30;
                    let filled = (p.done * width).checked_div(p.total).unwrap_or(width);
                    eprint!(
                        "\r[{}{}] {}/{} envelopes",
                        "#".repeat(filled),
                        " ".repeat(width - filled),
                        p.done,
                        p.total
                    );
                }
            };
            let summary = mailroom_classify::process(&dir, &mut writer, &opts, &progress)?;
            std::io::Write::flush(&mut writer)?;
            if tty {
                eprintln!();
            }
            println!("{summary}");
            println!("results: {}", out.display());
        }
        Command::Eval { results, set } => {
            let report = mailroom_classify::eval(&results, &set)?;
            println!("{report}");
        }
        Command::Train {
            sets,
            out,
            ocr_cache,
        } => {
            let opts = mailroom_classify::TrainOptions {
                sets,
                out,
                ocr_cache,
                ..Default::default()
            };
            let report = mailroom_classify::train(&opts, &|done, total| {
                eprint!("\rreading envelopes: {done}/{total}")
            })?;
            eprintln!();
            println!("{report}");
        }
        Command::Ocr { files, json } => {
            let stdout = std::io::stdout();
            mailroom_ocr::cli::ocr_command(&files, json, &mut stdout.lock())?;
        }
        Command::Samples(SamplesCommand::Generate { out, count, seed }) => {
            let start = Instant::now();
            let tty = std::io::stderr().is_terminal();
            let progress = move |n: u64| {
                if tty {
                    eprint!("\rgenerating envelopes: {n}/{count}");
                }
            };
            let s = mailroom_samples::generate(&out, count, seed, &progress)
                .context("generating the sample set")?;
            if tty {
                eprintln!();
            }
            println!(
                "wrote {} envelopes, {} pages, {} documents, {:.1} MB to {} in {:.1} s (seed {seed})",
                s.envelopes,
                s.pages,
                s.documents,
                s.bytes as f64 / 1e6,
                out.display(),
                start.elapsed().as_secs_f64()
            );
        }
        Command::Samples(SamplesCommand::Check { set }) => {
            let r = mailroom_samples::check::check_set(&set)?;
            println!(
                "{} envelopes, {} pages ({} blank), {:.1} MB",
                r.envelopes,
                r.pages,
                r.blank_pages,
                r.bytes as f64 / 1e6
            );
            println!(
                "documents: {}",
                serde_json::to_string(&r.documents_per_class)?
            );
            println!("files: {}", serde_json::to_string(&r.files_per_type)?);
            for p in &r.problems {
                println!("problem: {p}");
            }
            anyhow::ensure!(
                r.problems.is_empty(),
                "{} problems in {}",
                r.problems.len(),
                set.display()
            );
            println!("ok: the set follows the contract");
        }
    }
    Ok(())
}
