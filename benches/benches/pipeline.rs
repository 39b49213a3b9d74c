//! End-to-end throughput with RabbitMQ: envelopes per hour with 1 worker process and with 2,
//! against the OCR floor measured in the same run.
//!
//! ```sh
//! cargo build --release --workspace
//! cargo bench -p mailroom-benches --bench pipeline [-- --count 200] [--seed 5150] [--runs 1,2,1:2,2:1]
//! ```
//!
//! - A set of `--count` envelopes (default 200) is generated with `--seed`.
//! - `--runs` lists the pipeline runs: worker processes, each with `:` its envelopes in flight
//!   (default `1,2,1:2,2:1` on 2 cores; `2:1` is 2 workers holding 1 envelope each).
//! - **OCR floor**: every envelope read by a `mailroom_ocr::Reader` with one slot per core; the
//!   engine's pure recognition time summed over the pages and divided by the cores is the least
//!   time any pipeline on this machine could take. Its envelopes per hour are the ceiling.
//! - **Pipeline**: for 1 worker process (all the cores' slots) and for 2 (the slots shared),
//!   each holding its default envelopes in flight (one more than its slots, so the next one
//!   waits at the slots while one is classified and stored), then each holding only as many
//!   as its slots (`--in-flight`), for comparison; a fresh SQLite store and fresh queues (a random name prefix): `mailroom ingest` stores and
//!   publishes every envelope, then the workers start and the clock runs until the store holds a
//!   result for every envelope (the workers' start is included). Broker, store and routing cost
//!   what the pipeline takes over the floor.
//! - **This run's own floor**: the workers count the engine's recognition CPU time
//!   (`mailroom_ocr_recognition_cpu_seconds_total`, read from each worker's /metrics at the end);
//!   divided by the cores it is the floor of that very run, on the same pages at the same
//!   moment, so a change in the machine's speed between the floor pass and the run does not
//!   count (this machine's cores were seen to drift by half within an hour). The share of that
//!   floor is the figure to judge; the floor pass is printed beside it, with the per-page costs
//!   of the OCR stage and each run's per-envelope stage times and OCR slot occupation.
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

/// `--runs 1,2,2:1`: worker processes, each optionally with `:` its envelopes in flight.
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
            "--runs" => a.runs = Some(parse_runs(&it.next().context("--runs 1,2,2:1")?)?),
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
                            g.recognize += p.timings.recognize_cpu_ms / 1000.0;
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
) -> anyhow::Result<(f64, f64)> {
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
    ];
    if let Some(n) = in_flight {
        args.extend(["--in-flight".to_string(), n.to_string()]);
    }
    // Each worker serves its metrics on a port of its own, read once all is stored.
    let ports = (0..workers)
        .map(|_| {
            Ok(std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port())
        })
        .collect::<std::io::Result<Vec<u16>>>()?;
    let t = Instant::now();
    let mut children: Vec<Child> = ports
        .iter()
        .map(|port| {
            Command::new(bin)
                .args(&args)
                .args(["--metrics-listen", &format!("127.0.0.1:{port}")])
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
    let mut stages = Stages::default();
    for port in &ports {
        stages.add(&scrape(*port)?);
    }
    // CPU of the worker processes themselves (broker, store, classification, the OCR stage's
    // bookkeeping), their OCR engine processes not included.
    let own_cpu: f64 = children.iter().map(|c| process_cpu(c.id())).sum();
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
    let flight = in_flight.map_or_else(|| format!("{} (default)", slots + 1), |n| n.to_string());
    println!(
        "pipeline, {workers} worker process(es) x {slots} slot(s), {flight} envelopes in flight each: {total} envelopes in {wall:.1} s: {:.0} envelopes/hour (ingest and publish before: {ingest:.1} s)",
        total as f64 * 3600.0 / wall
    );
    let per = |(sum, n): (f64, u64)| 1000.0 * sum / n.max(1) as f64;
    println!(
        "  per envelope: OCR stage {:.0} ms, classification {:.0} ms, store {:.0} ms; OCR slots busy {:.1} % of the run; the worker processes' own CPU (engines apart) {own_cpu:.1} s",
        per(stages.ocr),
        per(stages.classify),
        per(stages.store),
        100.0 * stages.ocr.0 / (wall * (slots * workers) as f64)
    );
    Ok((wall, stages.recognition))
}

/// The workers' `mailroom_stage_duration_seconds` sums and counts, per stage.
#[derive(Default)]
struct Stages {
    ocr: (f64, u64),
    classify: (f64, u64),
    store: (f64, u64),
    /// `mailroom_ocr_recognition_cpu_seconds_total`: the engine's pure recognition.
    recognition: f64,
}

impl Stages {
    fn add(&mut self, metrics: &str) {
        for line in metrics.lines() {
            if let Some(v) = line.strip_prefix("mailroom_ocr_recognition_cpu_seconds_total ") {
                self.recognition += v.trim().parse::<f64>().unwrap_or(0.0);
            }
            let Some(rest) = line.strip_prefix("mailroom_stage_duration_seconds_") else {
                continue;
            };
            let (key, value) = rest.rsplit_once(' ').unwrap_or((rest, ""));
            let stage = match () {
                _ if key.contains("stage=\"ocr\"") => &mut self.ocr,
                _ if key.contains("stage=\"classify\"") => &mut self.classify,
                _ if key.contains("stage=\"store\"") => &mut self.store,
                _ => continue,
            };
            if key.starts_with("sum") {
                stage.0 += value.parse::<f64>().unwrap_or(0.0);
            } else if key.starts_with("count") {
                stage.1 += value.parse::<u64>().unwrap_or(0);
            }
        }
    }
}

/// User and system CPU seconds of a running process so far (`/proc/PID/stat`), its children
/// not included; 0 when it cannot be read.
fn process_cpu(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces), from field 3 on.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after field 3.
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| f.get(i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    ticks / if hz > 0 { hz as f64 } else { 100.0 }
}

/// A worker's /metrics page, over plain HTTP/1.0.
fn scrape(port: u16) -> anyhow::Result<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))
        .with_context(|| format!("a worker's metrics on port {port}"))?;
    s.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut body = String::new();
    s.read_to_string(&mut body)?;
    Ok(body)
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
    // The default runs, 1 worker process then 2, then each holding only as many envelopes as
    // its OCR slots.
    let runs = args.runs.clone().unwrap_or_else(|| {
        let mut runs: Vec<Run> = [1, 2]
            .map(|workers| Run {
                workers,
                in_flight: None,
            })
            .to_vec();
        for workers in [1, 2] {
            runs.push(Run {
                workers,
                in_flight: Some((cores / workers).max(1)),
            });
        }
        runs
    });
    for run in runs {
        let (secs, recognition) = pipeline(&bin, &envs, tmp.path(), &url, run, cores)?;
        // The floor of this very run: the workers' own recognition time, so that a change of
        // the machine's speed between the floor pass and this run does not count.
        let own = recognition / cores as f64;
        println!(
            "  this run's OCR floor: the workers' pure recognition {recognition:.1} s / {cores} cores = {own:.1} s: {:.1} % of it (target >= 90 %); everything else (decode, clean-up, broker, store, routing, classification, start-up): {:.1} % over it",
            100.0 * own / secs,
            100.0 * (secs - own) / own
        );
        println!(
            "  against the floor pass above: {:.1} % (only meaningful if the machine kept its speed)",
            100.0 * floor / secs
        );
    }
    Ok(())
}
