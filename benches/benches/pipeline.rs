//! End-to-end throughput with RabbitMQ: envelopes per hour with 1 worker process and with 2,
//! against the OCR floor measured in the same run.
//!
//! ```sh
//! cargo build --release --workspace
//! cargo bench -p mailroom-benches --bench pipeline [-- --count 200] [--seed 5150]
//! ```
//!
//! - A set of `--count` envelopes (default 200) is generated with `--seed`.
//! - **OCR floor**: every envelope read by a `mailroom_ocr::Reader` with one slot per core; the
//!   engine's pure recognition time summed over the pages and divided by the cores is the least
//!   time any pipeline on this machine could take. Its envelopes per hour are the ceiling.
//! - **Pipeline**: for 1 worker process (all the cores' slots) and for 2 (the slots shared),
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
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        count: 200,
        seed: 5150,
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--count" => a.count = it.next().context("--count N")?.parse()?,
            "--seed" => a.seed = it.next().context("--seed S")?.parse()?,
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

/// Pure recognition seconds over every page, and the page count, reading with `slots` slots.
fn ocr_floor(envs: &[PathBuf], slots: usize) -> anyhow::Result<(f64, usize, f64)> {
    let reader = Reader::new(Config {
        slots,
        ..Config::default()
    })?;
    let t = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let total = std::sync::Mutex::new((0.0f64, 0usize));
    std::thread::scope(|s| {
        for _ in 0..slots {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(env) = envs.get(i) else { break };
                    if let Ok(pages) = reader.read_envelope(env) {
                        let ms: f64 = pages
                            .iter()
                            .filter(|p| p.source == Source::Ocr)
                            .map(|p| p.timings.recognize_ms)
                            .sum();
                        let mut g = total.lock().unwrap_or_else(|p| p.into_inner());
                        g.0 += ms;
                        g.1 += pages.len();
                    }
                }
            });
        }
    });
    let (ms, pages) = *total.lock().unwrap_or_else(|p| p.into_inner());
    Ok((ms / 1000.0, pages, t.elapsed().as_secs_f64()))
}

/// Envelopes that have their result in the store (awaiting validation or rejected).
fn finished(bin: &Path, db: &str) -> anyhow::Result<u64> {
    let out = Command::new(bin)
        .arg("status")
        .env("DATABASE_URL", db)
        .stderr(Stdio::null())
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut n = 0;
    for line in text.lines() {
        if let Some((status, count)) = line.split_once(':')
            && matches!(
                status.trim(),
                "awaiting_validation" | "validated" | "rejected"
            )
        {
            n += count.trim().parse::<u64>().unwrap_or(0);
        }
    }
    Ok(n)
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

/// One pipeline run: ingest everything, then `workers` worker processes until all is stored.
/// Returns the seconds from the workers' start to the last result.
fn pipeline(
    bin: &Path,
    envs: &[PathBuf],
    dir: &Path,
    url: &str,
    workers: usize,
    cores: usize,
) -> anyhow::Result<f64> {
    let prefix = format!("bench-{}-{workers}", std::process::id());
    let db = format!(
        "sqlite://{}",
        dir.join(format!("store-{workers}.db")).display()
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
    let slots = (cores / workers).max(1);
    let t = Instant::now();
    let mut children: Vec<Child> = (0..workers)
        .map(|_| {
            Command::new(bin)
                .args(["worker", "--slots", &slots.to_string()])
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
        done = finished(bin, &db)?;
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
    delete_queues(url, &prefix)?;
    println!(
        "pipeline, {workers} worker process(es) x {slots} slot(s): {total} envelopes in {wall:.1} s: {:.0} envelopes/hour (ingest and publish before: {ingest:.1} s)",
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
    let (recognize, pages, wall) = ocr_floor(&envs, cores)?;
    let floor = recognize / cores as f64;
    let floor_rate = envs.len() as f64 * 3600.0 / floor;
    println!(
        "OCR floor: {pages} pages, pure recognition {recognize:.1} s / {cores} cores = {floor:.1} s: {floor_rate:.0} envelopes/hour (the OCR stage alone took {wall:.1} s)"
    );
    for workers in [1, 2] {
        let secs = pipeline(&bin, &envs, tmp.path(), &url, workers, cores)?;
        println!(
            "  {:.1} % of the OCR floor (target >= 90 %); broker, store, routing, classification and start-up: {:.1} % over the floor",
            100.0 * floor / secs,
            100.0 * (secs - floor) / floor
        );
    }
    Ok(())
}
