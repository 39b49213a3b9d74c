//! `mailroom`: the command line of the mailroom intake pipeline. Thin by design: every
//! command calls into a library crate that tests drive directly.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

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
    /// Stores envelopes: each PATH is one envelope (a folder of page files, or a single
    /// file). A copy of an envelope already stored is reported and not stored again.
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The store (default: $DATABASE_URL, else the SQLite file data/mailroom.db).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Runs the pipeline on this machine: watches the inbox, reads and qualifies envelopes
    /// through a queue kept in the store (with AMQP_URL set: through RabbitMQ, sharing the
    /// work with `mailroom worker` processes), and stops cleanly on SIGTERM or Ctrl-C.
    Run {
        /// The hot folder scanners drop envelopes into.
        #[arg(long, default_value = "inbox")]
        inbox: PathBuf,
        /// The store (default: $DATABASE_URL, else the SQLite file data/mailroom.db).
        #[arg(long)]
        database_url: Option<String>,
        /// Serve the upload endpoint on this address (e.g. 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// OCR slots, i.e. envelopes read at once (default: the number of cores).
        #[arg(long)]
        slots: Option<usize>,
        /// Envelopes in flight: read, classified or stored at once (default: one more than the
        /// slots, so the next envelope is ready for a slot while one is classified and stored).
        #[arg(long)]
        in_flight: Option<usize>,
        /// A classifier model file instead of the one built in.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Seconds an envelope must stay unchanged in the inbox before it is taken.
        #[arg(long, default_value_t = 2.0)]
        settle: f64,
        /// Stop once the inbox and the queue are empty, instead of watching for more.
        #[arg(long)]
        exit_when_idle: bool,
        /// Without AMQP_URL: the JSON-lines file the in-process bus appends downstream events
        /// to (routed documents, document.ready.*, membership.validated, claim.validated,
        /// complaint.registered); `off` for none.
        #[arg(long, default_value = "data/events.jsonl")]
        events_journal: String,
    },
    /// Consumes envelopes from RabbitMQ (needs AMQP_URL): reads, qualifies, stores and routes
    /// them, and publishes what the store's outbox holds. Run several, on one machine or
    /// several, over one store; SIGTERM or Ctrl-C stops taking work, finishes what is in flight
    /// and exits.
    Worker {
        /// The store (default: $DATABASE_URL, else the SQLite file data/mailroom.db).
        #[arg(long)]
        database_url: Option<String>,
        /// OCR slots, i.e. envelopes read at once (default: the number of cores).
        #[arg(long)]
        slots: Option<usize>,
        /// Envelopes in flight and the broker prefetch (default: one more than the slots, so the
        /// next envelope is ready for a slot while one is classified and stored).
        #[arg(long)]
        in_flight: Option<usize>,
        /// A classifier model file instead of the one built in.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Serve /metrics, /health/live and /health/ready on this address (`off`: not served).
        /// Give each worker on one machine its own.
        #[arg(long, default_value = "127.0.0.1:9187")]
        metrics_listen: String,
    },
    /// Writes every finished envelope of the store as RESULTS.md lines.
    Export {
        /// Results file (JSON Lines).
        #[arg(long, default_value = "results.jsonl")]
        out: PathBuf,
        /// The store (default: $DATABASE_URL, else the SQLite file data/mailroom.db).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Envelopes per status in the store.
    Status {
        /// The store (default: $DATABASE_URL, else the SQLite file data/mailroom.db).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Scanners allowed to upload envelopes.
    #[command(subcommand)]
    Scanner(ScannerCommand),
    /// Users of the gestionnaire's desk (the web app of `mailroom run --listen`).
    #[command(subcommand)]
    User(UserCommand),
    /// Writes the envelopes validated at the desk as a sample set (envelopes/, truth/) for
    /// `mailroom train`, with corrections.jsonl (every correction, before and after).
    ExportCorrections {
        /// Folder to write the set into.
        #[arg(long)]
        out: PathBuf,
        /// The store (default: $DATABASE_URL, else the SQLite file data/mailroom.db).
        #[arg(long)]
        database_url: Option<String>,
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
enum ScannerCommand {
    /// Registers a scanner for the upload endpoint and prints its token, once: the store
    /// keeps only its hash.
    Add {
        /// The scanner's name (letters, digits, '.', '_', '-').
        name: String,
        /// The store (default: $DATABASE_URL, else the SQLite file data/mailroom.db).
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Adds a desk user; the password is read from standard input (typed twice without echo
    /// on a terminal). There is no default password: the first manager is created this way.
    Add {
        #[arg(long)]
        login: String,
        /// gestionnaire, manager or ops.
        #[arg(long)]
        role: String,
        /// A gestionnaire's service queue: adhesions, prestations, reclamations,
        /// qualification_manuelle.
        #[arg(long)]
        service: Option<String>,
        /// The store (default: $DATABASE_URL, else the SQLite file data/mailroom.db).
        #[arg(long)]
        database_url: Option<String>,
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
        Command::Ingest {
            paths,
            database_url,
        } => runtime()?.block_on(pipeline::ingest(paths, database_url))?,
        Command::Run {
            inbox,
            database_url,
            listen,
            slots,
            in_flight,
            model,
            settle,
            exit_when_idle,
            events_journal,
        } => {
            let mut config = mailroom_workers::embedded::EmbeddedConfig::new(inbox);
            config.events.journal = match events_journal.trim() {
                "off" | "none" | "" => None,
                path => Some(PathBuf::from(path)),
            };
            config.database_url = database_url_or_env(database_url);
            config.listen = listen;
            config.model = model;
            config.settle = Duration::from_secs_f64(settle.max(0.0));
            config.exit_when_idle = exit_when_idle;
            config.broker = mailroom_workers::broker::BrokerConfig::from_env();
            anyhow::ensure!(
                !(exit_when_idle && config.broker.is_some()),
                "--exit-when-idle works with the embedded queue only: with AMQP_URL set, envelopes go through RabbitMQ and other workers share them; unset AMQP_URL or drop the flag"
            );
            if let Some(n) = slots {
                config.ocr.slots = n.max(1);
            }
            config.in_flight = in_flight.unwrap_or(0);
            runtime()?.block_on(pipeline::run(config))?;
        }
        Command::Worker {
            database_url,
            slots,
            in_flight,
            model,
            metrics_listen,
        } => {
            let broker = mailroom_workers::broker::BrokerConfig::from_env().context(
                "mailroom worker needs the broker: set AMQP_URL (e.g. amqp://guest:guest@127.0.0.1:5672/%2f)",
            )?;
            let mut config = mailroom_workers::worker::WorkerConfig::new(broker);
            config.database_url = database_url_or_env(database_url);
            config.model = model;
            config.metrics_listen = match metrics_listen.trim() {
                "off" | "none" | "" => None,
                addr => Some(addr.parse().with_context(|| {
                    format!("--metrics-listen {addr}: not an address like 127.0.0.1:9187, nor off")
                })?),
            };
            if let Some(n) = slots {
                config.ocr.slots = n.max(1);
            }
            config.in_flight = in_flight.unwrap_or(0);
            runtime()?.block_on(pipeline::worker(config))?;
        }
        Command::Export { out, database_url } => {
            runtime()?.block_on(pipeline::export(out, database_url))?
        }
        Command::Status { database_url } => runtime()?.block_on(pipeline::status(database_url))?,
        Command::Scanner(ScannerCommand::Add { name, database_url }) => {
            runtime()?.block_on(pipeline::add_scanner(name, database_url))?
        }
        Command::User(UserCommand::Add {
            login,
            role,
            service,
            database_url,
        }) => {
            let password = mailroom_desk::cli::read_password()?;
            runtime()?.block_on(pipeline::add_user(
                login,
                role,
                service,
                password,
                database_url,
            ))?
        }
        Command::ExportCorrections { out, database_url } => {
            runtime()?.block_on(pipeline::export_corrections(out, database_url))?
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

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    init_logs();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The store URL: the flag, else `$DATABASE_URL`, else `None` (the default SQLite file).
fn database_url_or_env(flag: Option<String>) -> Option<String> {
    flag.or_else(|| std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()))
}

/// Logs to stderr: JSON lines when not on a terminal (for a log collector), readable text
/// otherwise; `RUST_LOG` filters (default `info`).
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if std::io::stderr().is_terminal() {
        builder.try_init()
    } else {
        builder.json().try_init()
    };
}

/// The store and pipeline commands (`ingest`, `run`, `export`, `status`, `scanner add`).
mod pipeline {
    use anyhow::Context as _;
    use std::path::PathBuf;

    use mailroom_store::{Received, Store};

    async fn open(url: Option<String>) -> anyhow::Result<Store> {
        let url = super::database_url_or_env(url);
        Store::open(url.as_deref())
            .await
            .context("opening the store")
    }

    pub async fn ingest(paths: Vec<PathBuf>, url: Option<String>) -> anyhow::Result<()> {
        let store = open(url).await?;
        let limits = mailroom_ingest::Limits::default();
        let mut refused = 0;
        for path in &paths {
            match mailroom_ingest::ingest_path(&store, path, "cli", &limits).await {
                Ok(Received::New(id)) => println!("{}: stored as {id}", path.display()),
                Ok(Received::Duplicate(id)) => {
                    println!("{}: duplicate of {id}, not stored again", path.display())
                }
                Err(e) => {
                    refused += 1;
                    println!("{}: refused: {e}", path.display());
                }
            }
        }
        publish(&store).await;
        store.close().await;
        anyhow::ensure!(
            refused == 0,
            "{refused} of {} envelopes refused",
            paths.len()
        );
        Ok(())
    }

    /// With AMQP_URL set, one relay pass: what intake stored goes to the broker now. When the
    /// broker is down the envelopes stay in the store's outbox and a worker's relay publishes
    /// them later; nothing is lost either way.
    async fn publish(store: &Store) {
        let Some(broker) = mailroom_workers::broker::BrokerConfig::from_env() else {
            return;
        };
        match mailroom_workers::broker::relay_once(&broker, store).await {
            Ok(r) => println!("{} envelopes published to the broker", r.envelopes),
            Err(e) => println!(
                "envelopes stored but not published yet ({e}); a worker will publish them when the broker is back"
            ),
        }
    }

    pub async fn worker(config: mailroom_workers::worker::WorkerConfig) -> anyhow::Result<()> {
        let summary = mailroom_workers::worker::run(config, stop_signal()).await?;
        println!(
            "{} envelopes done, {} given back, {} dead-lettered, {} events published",
            summary.consumer.done,
            summary.consumer.retried,
            summary.consumer.poisoned,
            summary.relay.events
        );
        Ok(())
    }

    /// Resolves on SIGTERM or Ctrl-C.
    async fn stop_signal() {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        tracing::info!("stop requested");
    }

    pub async fn run(config: mailroom_workers::embedded::EmbeddedConfig) -> anyhow::Result<()> {
        // The gestionnaire's desk is served beside the upload endpoint, on its own pool, with
        // the ops page behind its login.
        let desk = match config.listen {
            Some(_) => Some(mailroom_desk::router_with_ops(
                open(config.database_url.clone()).await?,
                mailroom_desk::DeskConfig::from_env(),
                Some(mailroom_workers::embedded::ops_router()),
            )),
            None => None,
        };
        let summary = mailroom_workers::embedded::run(config, desk, stop_signal()).await?;
        println!(
            "{} envelopes stored, {} rejected, {} given back for a later try, {} taken back at start",
            summary.stored, summary.rejected, summary.retried, summary.recovered
        );
        Ok(())
    }

    pub async fn export(out: PathBuf, url: Option<String>) -> anyhow::Result<()> {
        let store = open(url).await?;
        let results = store.export().await?;
        let mut text = String::new();
        for r in &results {
            text.push_str(&serde_json::to_string(r)?);
            text.push('\n');
        }
        std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
        let counts = store.counts().await?;
        let unfinished = counts[&mailroom_store::EnvelopeStatus::Received]
            + counts[&mailroom_store::EnvelopeStatus::Reading];
        println!(
            "{} envelopes written to {} ({unfinished} still waiting or being read, not written)",
            results.len(),
            out.display()
        );
        store.close().await;
        Ok(())
    }

    pub async fn status(url: Option<String>) -> anyhow::Result<()> {
        let store = open(url).await?;
        for (status, n) in store.counts().await? {
            println!("{status}: {n}");
        }
        store.close().await;
        Ok(())
    }

    pub async fn add_user(
        login: String,
        role: String,
        service: Option<String>,
        password: String,
        url: Option<String>,
    ) -> anyhow::Result<()> {
        let store = open(url).await?;
        mailroom_desk::cli::add_user(&store, &login, &role, service.as_deref(), password)
            .await
            .context("adding the desk user")?;
        store.close().await;
        println!("desk user {login} added ({role})");
        Ok(())
    }

    pub async fn export_corrections(out: PathBuf, url: Option<String>) -> anyhow::Result<()> {
        let store = open(url).await?;
        let r = mailroom_desk::training::export_training_set(&store, &out)
            .await
            .context("exporting the corrections")?;
        store.close().await;
        println!(
            "{} validated envelopes and {} corrections written to {} (train with: mailroom train {})",
            r.envelopes,
            r.corrections,
            out.display(),
            out.display()
        );
        Ok(())
    }

    pub async fn add_scanner(name: String, url: Option<String>) -> anyhow::Result<()> {
        let store = open(url).await?;
        let token = store.add_scanner(&name).await?;
        println!("{token}");
        eprintln!("scanner {name} added; keep this token now: it is not shown again");
        store.close().await;
        Ok(())
    }
}
