//! Throughput of the OCR stage over the demo set, against the plain `tesseract` command.
//!
//! ```sh
//! cargo bench -p mailroom-benches --bench ocr [-- --slots 1,2] [--rounds 2] [--set PATH] [--count N]
//!     [--settings '{"languages":"fra"}'] [--no-reference]
//! ```
//!
//! - **Stage**: a `mailroom_ocr::Reader` with N slots reads every envelope, N envelopes at a
//!   time (as the workers do). Prints pages per second, what the pages were (OCR, blank, text
//!   layer), and the stage's overhead: on the pages it OCRs, the time of the page outside
//!   Tesseract's recognition (decoding, clean-up, orientation detection, the round trip to the
//!   worker, the probe of the file), relative to the recognition time.
//! - **Reference**: the same page images (each page decoded once beforehand and written as a
//!   PNG, outside the timing) through `tesseract IMAGE - -l fra`, one process per page,
//!   `OMP_THREAD_LIMIT=1`, 2 at a time.
//! - The ratio of the two (target: at least 1.5), in pages per second and in CPU per page (the
//!   latter does not move when other work shares the machine). Rounds alternate stage and
//!   reference; the best round of each counts.
//!
//! The set is `samples/demo` when committed, else the demo seed generated (or `--set`,
//! `--count N` envelopes of the demo seed). The bench binary serves as its own OCR worker
//! (`run_if_worker`), so no other binary needs building. It prints; it asserts nothing.

use anyhow::Context as _;
use mailroom_benches::envelopes;
use mailroom_ocr::{Config, PageText, Reader, Source};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

struct Args {
    slots: Vec<usize>,
    /// Settings overrides, a JSON object (`--settings '{"languages":"fra"}'`).
    settings: Option<String>,
    rounds: usize,
    set: Option<PathBuf>,
    count: Option<u64>,
    reference: bool,
}

fn args() -> anyhow::Result<Args> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut a = Args {
        slots: vec![1, cores],
        settings: None,
        rounds: 2,
        set: None,
        count: None,
        reference: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--slots" => {
                a.slots = it
                    .next()
                    .context("--slots N,M")?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "--set" => a.set = Some(it.next().context("--set PATH")?.into()),
            "--count" => a.count = Some(it.next().context("--count N")?.parse()?),
            "--no-reference" => a.reference = false,
            "--rounds" => a.rounds = it.next().context("--rounds N")?.parse()?,
            "--settings" => a.settings = Some(it.next().context("--settings JSON")?),
            _ => {} // cargo bench passes --bench
        }
    }
    a.slots.dedup();
    Ok(a)
}

/// Runs `f` over the items on `threads` threads; results in item order.
fn run_parallel<T: Send>(n: usize, threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let out = Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let r = f(i);
                    out.lock().unwrap_or_else(|p| p.into_inner()).push((i, r));
                }
            });
        }
    });
    let mut v = out.into_inner().unwrap_or_else(|p| p.into_inner());
    v.sort_by_key(|x| x.0);
    v.into_iter().map(|x| x.1).collect()
}

fn settings(overrides: Option<&str>) -> anyhow::Result<mailroom_ocr::Settings> {
    let mut v = serde_json::to_value(mailroom_ocr::Settings::default())?;
    if let Some(o) = overrides {
        for (k, x) in serde_json::from_str::<serde_json::Value>(o)?
            .as_object()
            .context("--settings takes a JSON object")?
        {
            anyhow::ensure!(v.get(k).is_some(), "no setting {k}");
            v[k] = x.clone();
        }
    }
    Ok(serde_json::from_value(v)?)
}

/// A timed run: pages per second (wall) and CPU seconds spent, this process and its children.
#[derive(Clone, Copy)]
struct Run {
    rate: f64,
    cpu_per_page_ms: f64,
    /// The engine's own recognition CPU per page (all pages counted): what no clean-up, pool or
    /// protocol work can go under with this engine and model.
    recognition_cpu_per_page_ms: f64,
}

/// CPU seconds used so far by this process and by its children that have been waited for.
fn cpu_seconds() -> f64 {
    let mut total = 0.0;
    for who in [libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN] {
        // SAFETY: getrusage writes into a zeroed local struct.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(who, &mut ru) };
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        total += tv(ru.ru_utime) + tv(ru.ru_stime);
    }
    total
}

fn stage(envs: &[PathBuf], slots: usize, settings: &mailroom_ocr::Settings) -> anyhow::Result<Run> {
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let reader = Reader::new(Config {
        slots,
        settings: settings.clone(),
        ..Config::default()
    })?;
    let startup = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let results: Vec<Result<Vec<PageText>, mailroom_ocr::OcrError>> =
        run_parallel(envs.len(), slots, |i| reader.read_envelope(&envs[i]));
    let wall = t.elapsed().as_secs_f64();
    let mut pages: Vec<PageText> = Vec::new();
    let mut rejected = 0;
    for r in results {
        match r {
            Ok(p) => pages.extend(p),
            Err(e) => {
                rejected += 1;
                eprintln!("rejected: {e}");
            }
        }
    }
    let count = |s: Source| pages.iter().filter(|p| p.source == s).count();
    let ocr: Vec<&PageText> = pages.iter().filter(|p| p.source == Source::Ocr).collect();
    let sum = |f: &dyn Fn(&PageText) -> f64| ocr.iter().map(|p| f(p)).sum::<f64>();
    let recognize = sum(&|p| p.timings.recognize_ms);
    let elapsed = sum(&|p| p.elapsed_ms as f64);
    let (decode, clean) = (sum(&|p| p.timings.decode_ms), sum(&|p| p.timings.clean_ms));
    let n = ocr.len().max(1) as f64;
    let rate = pages.len() as f64 / wall;
    println!(
        "stage, {slots} slot(s): {} pages ({} OCR, {} blank, {} text layer; {rejected} envelopes rejected) in {wall:.1} s: {rate:.2} pages/s (workers started in {startup:.2} s)",
        pages.len(),
        ocr.len(),
        count(Source::Blank),
        count(Source::TextLayer),
    );
    println!(
        "  per OCR page, ms: whole {:.0} = recognition {:.0} + decode {:.0} + clean-up/orientation {:.0} + round trip {:.0}",
        elapsed / n,
        recognize / n,
        decode / n,
        clean / n,
        (elapsed - recognize - decode - clean).max(0.0) / n
    );
    println!(
        "  readings per OCR page: {:.2} whole page (over 1 when unsure pages are read again), {:.2} lines read again in the fallback languages",
        ocr.iter().map(|p| p.timings.readings as f64).sum::<f64>() / n,
        ocr.iter()
            .map(|p| p.timings.lines_reread as f64)
            .sum::<f64>()
            / n,
    );
    println!(
        "  overhead of the stage over pure recognition, on OCR pages: {:.1} % (target < 10 %)",
        100.0 * (elapsed - recognize) / recognize.max(1.0)
    );
    // Workers exit (and are waited for) when the reader goes: their CPU time is then counted.
    drop(reader);
    let cpu = cpu_seconds() - cpu0;
    println!(
        "  CPU, workers' start included: {:.0} ms per page",
        1000.0 * cpu / pages.len().max(1) as f64
    );
    Ok(Run {
        rate,
        cpu_per_page_ms: 1000.0 * cpu / pages.len().max(1) as f64,
        recognition_cpu_per_page_ms: sum(&|p| p.timings.recognize_cpu_ms)
            / pages.len().max(1) as f64,
    })
}

/// Writes every page of the set as a PNG (outside the timing); returns their paths.
fn page_images(envs: &[PathBuf], dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let limits = mailroom_ocr::Limits::default();
    let mut out = Vec::new();
    for env in envs {
        let mut files: Vec<PathBuf> = if env.is_dir() {
            std::fs::read_dir(env)?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?
        } else {
            vec![env.clone()]
        };
        files.retain(|f| f.file_name().is_some_and(|n| n != "envelope.json"));
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f)?;
            let pages = mailroom_ocr::decode_pages_in_process(&bytes, &limits)
                .map_err(anyhow::Error::msg)
                .with_context(|| f.display().to_string())?;
            for (img, _dpi) in pages {
                let p = dir.join(format!("{:05}.png", out.len()));
                img.save(&p)?;
                out.push(p);
            }
        }
    }
    Ok(out)
}

fn reference(images: &[PathBuf]) -> anyhow::Result<Run> {
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let failures = run_parallel(images.len(), 2, |i| {
        Command::new("tesseract")
            .arg(&images[i])
            .arg("-")
            .args(["-l", "fra"])
            .env("OMP_THREAD_LIMIT", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    })
    .into_iter()
    .filter(|ok| !ok)
    .count();
    let wall = t.elapsed().as_secs_f64();
    let rate = images.len() as f64 / wall;
    let cpu_per_page_ms = 1000.0 * (cpu_seconds() - cpu0) / images.len().max(1) as f64;
    println!(
        "reference, tesseract -l fra, one process per page, 2 at a time: {} pages in {wall:.1} s: {rate:.2} pages/s ({failures} failed); CPU {cpu_per_page_ms:.0} ms per page",
        images.len()
    );
    Ok(Run {
        rate,
        cpu_per_page_ms,
        recognition_cpu_per_page_ms: f64::NAN,
    })
}

fn main() -> anyhow::Result<()> {
    mailroom_ocr::run_if_worker();
    let args = args()?;
    let tmp = tempfile::tempdir()?;
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/demo");
    let set = match (&args.set, args.count) {
        (Some(s), _) => s.clone(),
        (None, None) if committed.join("envelopes").is_dir() => committed,
        (None, count) => {
            let dir = tmp.path().join("set");
            let n = count.unwrap_or(mailroom_samples::DEMO_COUNT);
            mailroom_samples::generate(&dir, n, mailroom_samples::DEMO_SEED, &|_| {})?;
            dir
        }
    };
    let envs = envelopes(&set)?;
    println!(
        "set: {} ({} envelopes), {} cores",
        set.display(),
        envs.len(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let settings = settings(args.settings.as_deref())?;
    println!("settings: {}", serde_json::to_string(&settings)?);
    let images = if args.reference {
        let dir = tmp.path().join("pages");
        std::fs::create_dir_all(&dir)?;
        page_images(&envs, &dir)?
    } else {
        Vec::new()
    };
    // Rounds alternate the stage and the reference, and the best of each counts: the machine is
    // shared, and a round slowed by someone else's build says nothing about either.
    let mut best: Vec<(usize, Option<Run>)> = args.slots.iter().map(|&n| (n, None)).collect();
    let mut best_ref: Option<Run> = None;
    let better = |a: Option<Run>, b: Run| Some(a.filter(|a| a.rate >= b.rate).unwrap_or(b));
    for round in 1..=args.rounds {
        println!("-- round {round} of {}", args.rounds);
        for (n, b) in &mut best {
            *b = better(*b, stage(&envs, *n, &settings)?);
        }
        if args.reference {
            best_ref = better(best_ref, reference(&images)?);
        }
    }
    println!("-- best of {} rounds", args.rounds);
    for (n, b) in &best {
        let Some(b) = b else { continue };
        print!(
            "stage, {n} slot(s): {:.2} pages/s, CPU {:.0} ms per page",
            b.rate, b.cpu_per_page_ms
        );
        match best_ref {
            Some(r) => {
                println!(
                    "; against the reference ({:.2} pages/s, CPU {:.0} ms per page): {:.2}x pages per second, {:.2}x less CPU per page (target >= 1.5x with the cores' slots)",
                    r.rate,
                    r.cpu_per_page_ms,
                    b.rate / r.rate,
                    r.cpu_per_page_ms / b.cpu_per_page_ms
                );
                println!(
                    "  bound with this engine and model: the stage's pure recognition is {:.0} ms CPU per page, so no stage can beat the reference by more than {:.2}x in CPU per page",
                    b.recognition_cpu_per_page_ms,
                    r.cpu_per_page_ms / b.recognition_cpu_per_page_ms
                );
            }
            None => println!(),
        }
    }
    Ok(())
}
