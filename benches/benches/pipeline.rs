//! End-to-end throughput with RabbitMQ: envelopes per hour with 1 worker process and with 2,
//! against the OCR floor measured in the same run.
//!
//! ```sh
//! cargo build --release --workspace
//! cargo bench -p mailroom-benches --bench pipeline [-- --count 200] [--seed 5150] [--runs 1,2,1:3]
//! ```
//!
//! - A set of `--count` envelopes (default 200) is generated with `--seed`.
//! - `--runs` lists the pipeline runs: worker processes, each with `:` its envelopes in flight
//!   (default `1,2,1:3` on 2 cores).
//! - **OCR floor**: every envelope read by a `mailroom_ocr::Reader` with one slot per core; the
//!   engine's pure recognition time summed over the pages and divided by the cores is the least
//!   time any pipeline on this machine could take. Its envelopes per hour are the ceiling.
//! - **Pipeline**: for 1 worker process (all the cores' slots) and for 2 (the slots shared),
//!   each holding its default envelopes in flight (as many as its slots), then 1 worker
//!   holding one envelope more (`--in-flight`), read while another is classified and stored;
//!   a fresh SQLite store and fresh queues (a random name prefix): `mailroom ingest` stores and
//!   publishes every envelope, then the workers start and the clock runs until the store holds a
//!   result for every envelope (the workers' start is included). Broker, store and routing cost
//!   what the pipeline takes over the floor.
//!
//! Needs the RabbitMQ of `AMQP_URL` (default `amqp://guest:guest@127.0.0.1:5672/%2f`) and the
//! `mailroom` binary of this build (`cargo build --release --workspace`). Prints figures,
//! asserts nothing.

use anyhow::{Context, bail};
use mailroom_benches::envelopes;
use mailroom_ocr::{Config, Reader, Source};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Args {
    count: u64,
    seed: u64,
    runs: Option<Vec<Run>>,
}

/// `--runs 1,2,1:3`: worker processes, each optionally with `:` its envelopes in flight.
fn parse_runs(spec: &str) -> anyhow::Result<Vec<Run>> {
    spec.split(',')
        .map(|r| {
            let (w, f) = match r.split_once(':') {
                Some((w, f)) => (w, Some(f.trim().parse()?)),
                None => (r, None),
            };
            Ok(Run {
                workers: w.trim().parse()?,
                in_flight: f,
            })
        })
        .collect()
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        count: 200,
        seed: 5150,
        runs: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--count" => a.count = it.next().context("--count N")?.parse()?,
            "--seed" => a.seed = it.next().context("--seed S")?.parse()?,
            "--runs" => a.runs = Some(parse_runs(&it.next().context("--runs 1,2,1:3")?)?),
            _ => {} // cargo bench passes --bench
        }
    }
    Ok(a)
}

/// The `mailroom` binary next to this bench's folder (`target/release/`).
fn mailroom_bin() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .context("the bench's folder")?
        .join("mailroom");
    if !bin.is_file() {
        bail!(
            "{} is missing: run `cargo build --release --workspace` first",
            bin.display()
        );
    }
    Ok(bin)
}

/// What the OCR floor run measured.
struct Floor {
    /// Pure recognition, seconds, summed over the pages.
    recognize: f64,
    pages: usize,
    /// Wall time of the whole OCR stage over the set, seconds.
    wall: f64,
    /// Summed over the OCR pages, milliseconds: decode, clean-up, check boxes, worker CPU.
    decode: f64,
    clean: f64,
    marks: f64,
    cpu: f64,
    ocr_pages: usize,
}

/// Reads every envelope with `slots` slots and sums the pages' timings.
fn ocr_floor(envs: &[PathBuf], slots: usize) -> anyhow::Result<Floor> {
    let reader = Reader::new(Config {
        slots,
        ..Config::default()
    })?;
    let t = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let total = std::sync::Mutex::new(Floor {
        recognize: 0.0,
        pages: 0,
        wall: 0.0,
        decode: 0.0,
        clean: 0.0,
        marks: 0.0,
        cpu: 0.0,
        ocr_pages: 0,
    });
    std::thread::scope(|s| {
        for _ in 0..slots {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(env) = envs.get(i) else { break };
                    if let Ok(pages) = reader.read_envelope(env) {
                        let mut g = total.lock().unwrap_or_else(|p| p.into_inner());
                        g.pages += pages.len();
                        for p in pages.iter().filter(|p| p.source == Source::Ocr) {
                            g.recognize += p.timings.recognize_ms / 1000.0;
                            g.decode += p.timings.decode_ms;
                            g.clean += p.timings.clean_ms;
                            g.marks += p.timings.marks_ms;
                            g.cpu += p.timings.cpu_ms;
                            g.ocr_pages += 1;
                        }
                    }
                }
            });
        }
    });
    let mut floor = total.into_inner().unwrap_or_else(|p| p.into_inner());
    floor.wall = t.elapsed().as_secs_f64();
    Ok(floor)
}

/// Envelopes that have their result in the store (awaiting validation, validated or
/// rejected). Read through one open store connection: a `mailroom status` process per poll
/// would take CPU from the workers being measured.
fn finished(rt: &tokio::runtime::Runtime, store: &mailroom_store::Store) -> anyhow::Result<u64> {
    use mailroom_store::EnvelopeStatus as S;
    let counts = rt.block_on(store.counts())?;
    Ok([S::AwaitingValidation, S::Validated, S::Rejected]
        .iter()
        .map(|s| counts.get(s).copied().unwrap_or(0))
        .sum())
}

fn delete_queues(url: &str, prefix: &str) -> anyhow::Result<()> {
    let config = mailroom_workers::broker::BrokerConfig::new(url).with_prefix(prefix);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let conn =
            lapin::Connection::connect(&config.url, lapin::ConnectionProperties::default()).await?;
        let channel = conn.create_channel().await?;
        mailroom_workers::broker::topology::delete(&channel, &config.names()).await?;
        conn.close(200, "bench done".into()).await?;
        anyhow::Ok(())
    })
}

/// One pipeline configuration: worker processes, and envelopes in flight per worker
/// (`None`: the worker's default, as many as its OCR slots).
#[derive(Clone, Copy, Debug)]
struct Run {
    workers: usize,
    in_flight: Option<usize>,
}

/// One pipeline run: ingest everything, then the run's worker processes until all is stored.
/// Returns the seconds from the workers' start to the last result.
fn pipeline(
    bin: &Path,
    envs: &[PathBuf],
    dir: &Path,
    url: &str,
    run: Run,
    cores: usize,
) -> anyhow::Result<f64> {
    let Run { workers, in_flight } = run;
    let label = match in_flight {
        Some(n) => format!("{workers}-f{n}"),
        None => workers.to_string(),
    };
    let prefix = format!("bench-{}-{label}", std::process::id());
    let db = format!(
        "sqlite://{}",
        dir.join(format!("store-{label}.db")).display()
    );
    let t = Instant::now();
    let status = Command::new(bin)
        .arg("ingest")
        .args(envs)
        .env("DATABASE_URL", &db)
        .env("AMQP_URL", url)
        .env("MAILROOM_AMQP_PREFIX", &prefix)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("mailroom ingest failed");
    }
    let ingest = t.elapsed().as_secs_f64();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let store = rt.block_on(mailroom_store::Store::open(Some(&db)))?;
    let slots = (cores / workers).max(1);
    let mut args = vec![
        "worker".to_string(),
        "--slots".to_string(),
        slots.to_string(),
        "--metrics-listen".to_string(),
        "off".to_string(),
    ];
    if let Some(n) = in_flight {
        args.extend(["--in-flight".to_string(), n.to_string()]);
    }
    let t = Instant::now();
    let mut children: Vec<Child> = (0..workers)
        .map(|_| {
            Command::new(bin)
                .args(&args)
                .env("DATABASE_URL", &db)
                .env("AMQP_URL", url)
                .env("MAILROOM_AMQP_PREFIX", &prefix)
                .env("OMP_THREAD_LIMIT", "1")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    let total = envs.len() as u64;
    let mut done = 0;
    while done < total {
        std::thread::sleep(Duration::from_millis(250));
        done = finished(&rt, &store)?;
        if let Some(dead) = children
            .iter_mut()
            .find_map(|c| c.try_wait().ok().flatten())
        {
            bail!("a worker stopped early ({dead})");
        }
    }
    let wall = t.elapsed().as_secs_f64();
    for c in &mut children {
        // SIGTERM: the worker finishes and exits by itself.
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(c.id() as libc::pid_t, libc::SIGTERM) };
    }
    for c in &mut children {
        let _ = c.wait();
    }
    rt.block_on(store.close());
    delete_queues(url, &prefix)?;
    let flight = in_flight.map_or_else(|| format!("{slots} (default)"), |n| n.to_string());
    println!(
        "pipeline, {workers} worker process(es) x {slots} slot(s), {flight} envelopes in flight each: {total} envelopes in {wall:.1} s: {:.0} envelopes/hour (ingest and publish before: {ingest:.1} s)",
        total as f64 * 3600.0 / wall
    );
    Ok(wall)
}

fn main() -> anyhow::Result<()> {
    mailroom_ocr::run_if_worker();
    let args = args()?;
    let bin = mailroom_bin()?;
    let url = std::env::var("AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let tmp = tempfile::tempdir()?;
    let set = tmp.path().join("set");
    mailroom_samples::generate(&set, args.count, args.seed, &|_| {})?;
    let envs = envelopes(&set)?;
    println!(
        "set: {} envelopes of seed {}, {cores} cores",
        envs.len(),
        args.seed
    );
    let f = ocr_floor(&envs, cores)?;
    let floor = f.recognize / cores as f64;
    let floor_rate = envs.len() as f64 * 3600.0 / floor;
    println!(
        "OCR floor: {} pages, pure recognition {:.1} s / {cores} cores = {floor:.1} s: {floor_rate:.0} envelopes/hour (the OCR stage alone took {:.1} s)",
        f.pages, f.recognize, f.wall
    );
    let per = |ms: f64| ms / f.ocr_pages.max(1) as f64;
    println!(
        "  per OCR page ({}): recognition {:.0} ms, decode {:.0} ms, clean-up {:.0} ms, check boxes {:.0} ms; worker CPU {:.0} ms",
        f.ocr_pages,
        per(f.recognize * 1000.0),
        per(f.decode),
        per(f.clean),
        per(f.marks),
        per(f.cpu)
    );
    // The default runs, and one worker holding one envelope more than its OCR slots (the next
    // one read while another is classified and stored).
    let runs = args.runs.clone().unwrap_or_else(|| {
        vec![
            Run {
                workers: 1,
                in_flight: None,
            },
            Run {
                workers: 2,
                in_flight: None,
            },
            Run {
                workers: 1,
                in_flight: Some(cores + 1),
            },
        ]
    });
    for run in runs {
        let secs = pipeline(&bin, &envs, tmp.path(), &url, run, cores)?;
        println!(
            "  {:.1} % of the OCR floor (target >= 90 %); broker, store, routing, classification and start-up: {:.1} % over the floor",
            100.0 * floor / secs,
            100.0 * (secs - floor) / floor
        );
    }
    Ok(())
}
