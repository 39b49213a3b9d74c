//! The worker process: one Tesseract engine, fed pages by the parent over stdin/stdout.
//!
//! Everything that parses untrusted bytes runs here: image and PDF decoders, poppler, Tesseract.
//! The worker sets its own memory limit (`RLIMIT_AS`), dies with its parent (`PR_SET_PDEATHSIG`)
//! and insists on `OMP_THREAD_LIMIT=1` (re-executing itself with it when started without), since
//! libgomp reads that variable once, when libtesseract is loaded.

use crate::clean::{self, Geometry};
use crate::decode::{self, Decoded};
use crate::engine::{Engine, RawWord};
use crate::page::{PageText, Source, Timings, Word};
use crate::pdf::{self, PdfPage};
use crate::protocol::{
    Fault, FaultKind, Misbehaviour, PROTOCOL, PageInfo, Request, Response, read_frame, write_frame,
};
use crate::{FileKind, Limits, Orientation, Settings, TEXT_LAYER_DPI};
use image::GrayImage;
use mailroom_domain::Confidence;
use std::borrow::Cow;
use std::io::{BufReader, BufWriter};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Set in the environment of every worker the parent starts, so that a host binary that calls
/// [`run_if_worker`] knows to serve instead of running its own `main`.
pub const WORKER_ENV: &str = "MAILROOM_OCR_WORKER_MODE";
/// Set to 1 to let the test hooks of [`Misbehaviour`] act.
pub(crate) const FAULTS_ENV: &str = "MAILROOM_OCR_FAULTS";

static HOST_IS_WORKER: AtomicBool = AtomicBool::new(false);

/// Lets a host binary serve as its own OCR worker: call it first thing in `main`. When the
/// process was started as a worker it serves and exits; otherwise it returns, and readers made
/// later in this process start workers from this same executable (no separate worker binary
/// to deploy or keep in step).
pub fn run_if_worker() {
    if std::env::var_os(WORKER_ENV).is_some() {
        serve();
    }
    HOST_IS_WORKER.store(true, Ordering::Relaxed);
}

/// Whether [`run_if_worker`] was called in this process.
pub(crate) fn host_is_worker() -> bool {
    HOST_IS_WORKER.load(Ordering::Relaxed)
}

/// Serves requests on stdin/stdout until stdin closes, then exits the process.
pub fn serve() -> ! {
    ensure_single_thread_openmp();
    // SAFETY: prctl with PR_SET_PDEATHSIG only sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
    }
    let code = match serve_loop() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("mailroom-ocr-worker: {e}");
            1
        }
    };
    std::process::exit(code)
}

/// Re-executes this program with `OMP_THREAD_LIMIT=1` unless it already has it: too late to set
/// it from here, libgomp has read the environment when libtesseract was loaded.
fn ensure_single_thread_openmp() {
    if std::env::var("OMP_THREAD_LIMIT").as_deref() == Ok("1") {
        return;
    }
    use std::os::unix::process::CommandExt as _;
    if let Ok(exe) = std::env::current_exe() {
        let err = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("OMP_THREAD_LIMIT", "1")
            .exec();
        eprintln!("mailroom-ocr-worker: could not re-execute with OMP_THREAD_LIMIT=1: {err}");
    }
    std::process::exit(1);
}

fn set_memory_limit(bytes: u64) {
    if bytes == 0 {
        return;
    }
    let lim = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: plain system call on a local struct.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &lim);
    }
}

fn serve_loop() -> std::io::Result<()> {
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = BufWriter::new(std::io::stdout().lock());
    let Some((Request::Init { settings, limits }, _)) = read_frame::<Request>(&mut input, 0)?
    else {
        return Err(std::io::Error::other("the first request must be Init"));
    };
    set_memory_limit(limits.worker_memory_bytes);
    let engines = Engine::new(&settings.languages, &settings.variables).and_then(|text| {
        let osd = if settings.orientation == Orientation::Off {
            None
        } else {
            Some(Engine::new_osd()?)
        };
        Ok(Engines {
            text,
            osd,
            fallback: None,
        })
    });
    let mut engines = match engines {
        Ok(e) => e,
        Err(reason) => {
            write_frame(
                &mut output,
                &Response::Fault(Fault::new(0, FaultKind::Engine, reason)),
                &[],
            )?;
            return Ok(());
        }
    };
    // Tesseract's warnings ("Estimating resolution…") go nowhere; the parent has our stderr
    // only to learn why we died.
    let _ = engines.text.set_variable("debug_file", "/dev/null");
    if let Some(osd) = engines.osd.as_mut() {
        let _ = osd.set_variable("debug_file", "/dev/null");
    }
    write_frame(&mut output, &Response::Ready { protocol: PROTOCOL }, &[])?;
    let faults = std::env::var(FAULTS_ENV).as_deref() == Ok("1");
    let max_payload = usize::try_from(limits.max_file_bytes).unwrap_or(usize::MAX);
    while let Some((req, payload)) = read_frame::<Request>(&mut input, max_payload)? {
        let resp = match req {
            Request::Init { .. } => Response::Fault(Fault::new(
                0,
                FaultKind::Engine,
                "the worker is already initialised",
            )),
            Request::Probe { kind } => guard(0, || {
                probe(&payload, kind, &limits).map(|pages| Response::Probed { pages })
            }),
            Request::Page { kind, index } => {
                let deadline = Instant::now() + limits.page_timeout;
                let cpu = cpu_ms();
                guard(index, || {
                    read_page(
                        &mut engines,
                        &payload,
                        kind,
                        index,
                        &settings,
                        &limits,
                        deadline,
                    )
                    .map(|mut p| {
                        p.timings.cpu_ms = cpu_ms() - cpu;
                        Response::Page(Box::new(p))
                    })
                })
            }
            Request::Misbehave { how } if faults => guard(0, || misbehave(how)),
            Request::Misbehave { .. } => {
                Response::Fault(Fault::new(0, FaultKind::Engine, "test hooks are off"))
            }
        };
        write_frame(&mut output, &resp, &[])?;
    }
    Ok(())
}

/// Runs `f`, turning an error into a `Fault` response and a panic into one too (a panic is a bug
/// of ours that this page triggered; the worker carries on).
fn guard(index: u32, f: impl FnOnce() -> Result<Response, Fault>) -> Response {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(r)) => r,
        Ok(Err(fault)) => Response::Fault(fault),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Response::Fault(Fault::new(
                index,
                FaultKind::Damaged,
                format!("the page could not be read (internal error: {msg})"),
            ))
        }
    }
}

fn misbehave(how: Misbehaviour) -> Result<Response, Fault> {
    match how {
        Misbehaviour::Segfault => {
            // Dies as a C library's wild pointer would: by SIGSEGV with the default action (Rust's
            // own handler, there for stack overflows, would let a raised signal return).
            // SAFETY: only signal dispositions of this process, which is meant to die.
            unsafe {
                libc::signal(libc::SIGSEGV, libc::SIG_DFL);
                libc::raise(libc::SIGSEGV);
            }
        }
        Misbehaviour::Abort => std::process::abort(),
        Misbehaviour::StackOverflow => {
            fn down(n: u64, pad: &mut [u8; 4096]) -> u64 {
                pad[(n % 4096) as usize] = n as u8;
                if n == u64::MAX {
                    return 0;
                }
                let mut next = [0u8; 4096];
                down(n + 1, &mut next) + u64::from(std::hint::black_box(pad)[0])
            }
            let mut pad = [0u8; 4096];
            let _ = down(0, &mut pad);
        }
        Misbehaviour::Loop => loop {
            std::hint::spin_loop();
        },
        Misbehaviour::Allocate => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                let mut v = vec![0u8; 64 << 20];
                v.iter_mut().step_by(4096).for_each(|b| *b = 1);
                hoard.push(v);
            }
        }
        Misbehaviour::Panic => panic!("a deliberate panic"),
    }
    Ok(Response::Ready { protocol: PROTOCOL })
}

fn probe(bytes: &[u8], kind: FileKind, limits: &Limits) -> Result<Vec<PageInfo>, Fault> {
    match kind {
        FileKind::Pdf => pdf::probe(bytes, limits),
        _ => decode::probe_image(bytes, kind, limits),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Reads one page: decode, clean up, OCR (or take the text layer), map boxes back.
/// The engines of a worker: one for text, one for orientation (when used).
pub(crate) struct Engines {
    pub text: Engine,
    pub osd: Option<Engine>,
    /// The second-reading engine ([`Settings::fallback_languages`]), loaded on first need.
    pub fallback: Option<Engine>,
}

pub(crate) fn read_page(
    engines: &mut Engines,
    bytes: &[u8],
    kind: FileKind,
    index: u32,
    settings: &Settings,
    limits: &Limits,
    deadline: Instant,
) -> Result<PageText, Fault> {
    let t0 = Instant::now();
    let decoded = match kind {
        FileKind::Pdf => match pdf::read_page(bytes, index, limits, deadline)? {
            PdfPage::Image(d) => d,
            PdfPage::Text {
                words,
                width,
                height,
            } => {
                let mut timings = Timings {
                    decode_ms: ms(t0.elapsed()),
                    ..Timings::default()
                };
                timings.clean_ms = 0.0;
                let words: Vec<(RawWord, [u32; 4])> = words
                    .into_iter()
                    .map(|w| {
                        let b = [w.left, w.top, w.left + w.width, w.top + w.height];
                        (w, b)
                    })
                    .collect();
                return Ok(page_text(
                    &words,
                    Source::TextLayer,
                    1.0,
                    0,
                    0.0,
                    width,
                    height,
                    TEXT_LAYER_DPI,
                    timings,
                ));
            }
        },
        _ => decode::decode_image(bytes, kind, index, limits).map_err(|f| Fault { index, ..f })?,
    };
    let Decoded { img, dpi } = decoded;
    let (width, height) = img.dimensions();
    let dpi = effective_dpi(dpi, width, height);
    let mut timings = Timings {
        decode_ms: ms(t0.elapsed()),
        ..Timings::default()
    };
    let t1 = Instant::now();
    if settings.blank_ink_per_10k > 0 && clean::ink_per_10k(&img, dpi) < settings.blank_ink_per_10k
    {
        timings.clean_ms = ms(t1.elapsed());
        return Ok(page_text(
            &[],
            Source::Blank,
            0.0,
            0,
            0.0,
            width,
            height,
            dpi,
            timings,
        ));
    }
    // Pages scanned finer than OCR needs are scaled down (time), coarser ones up (accuracy).
    let rescale = (settings.downscale_above_dpi > 0 && dpi > settings.downscale_above_dpi)
        || (settings.upscale_below_dpi > 0 && dpi < settings.upscale_below_dpi);
    let (small, scale, work_dpi) = if rescale {
        let factor = dpi as f32 / settings.target_dpi as f32;
        (clean::rescale(&img, factor), factor, settings.target_dpi)
    } else {
        (img, 1.0, dpi)
    };
    let mut clock = Clock {
        clean_ms: ms(t1.elapsed()),
        recognize_ms: 0.0,
        recognize_cpu_ms: 0.0,
    };
    let page = Prepared {
        small: &small,
        scale,
        dpi: work_dpi,
        width,
        height,
        index,
    };
    let best = match settings.orientation {
        Orientation::Off => page.attempt(0, &mut engines.text, settings, &mut clock)?,
        Orientation::Osd => {
            let t = Instant::now();
            let turn = osd_turn(engines.osd.as_mut(), &small, work_dpi, settings).unwrap_or(0);
            clock.clean_ms += ms(t.elapsed());
            page.attempt(turn, &mut engines.text, settings, &mut clock)?
        }
        Orientation::OsdWhenUnsure => {
            // Upright or upside down, from the letters' shape (a few ms); OSD only when the
            // reading that follows is unsure.
            let (straight, geometry) = page.straighten(0, settings, &mut clock);
            let t = Instant::now();
            let guess = if clean::upside_down(&straight, work_dpi) == Some(true) {
                180
            } else {
                0
            };
            clock.clean_ms += ms(t.elapsed());
            let first = if guess == 0 {
                page.read(&straight, geometry, &mut engines.text, settings, &mut clock)?
            } else {
                drop(straight);
                page.attempt(guess, &mut engines.text, settings, &mut clock)?
            };
            if first.quality() >= settings.unsure_below {
                first
            } else {
                let t = Instant::now();
                let osd = osd_turn(engines.osd.as_mut(), &small, work_dpi, settings);
                clock.clean_ms += ms(t.elapsed());
                // Try what OSD says, or, when OSD cannot tell, the turn not tried yet.
                let next = match osd {
                    Some(turn) if turn != guess => Some(turn),
                    None if guess != 0 => Some(0),
                    _ => None,
                };
                match next {
                    None => first,
                    Some(turn) => {
                        let second = page.attempt(turn, &mut engines.text, settings, &mut clock)?;
                        if second.quality() > first.quality() {
                            second
                        } else {
                            first
                        }
                    }
                }
            }
        }
    };
    let best = if !settings.fallback_languages.is_empty()
        && best.quality() < settings.fallback_below
    {
        if engines.fallback.is_none() {
            engines.fallback = Some(
                Engine::new(&settings.fallback_languages, &settings.variables)
                    .map_err(|reason| Fault::new(index, FaultKind::Engine, reason))?,
            );
        }
        match engines.fallback.as_mut() {
            Some(fallback) => {
                let second = page.attempt(best.geometry.turn, fallback, settings, &mut clock)?;
                if second.quality() > best.quality() {
                    second
                } else {
                    best
                }
            }
            None => best,
        }
    } else {
        best
    };
    let Clock {
        clean_ms,
        recognize_ms,
        recognize_cpu_ms,
    } = clock;
    timings.clean_ms = clean_ms;
    timings.recognize_ms = recognize_ms;
    timings.recognize_cpu_ms = recognize_cpu_ms;
    let words: Vec<(RawWord, [u32; 4])> = best
        .words
        .into_iter()
        .map(|w| {
            let b = best
                .geometry
                .bbox([w.left, w.top, w.left + w.width, w.top + w.height]);
            (w, b)
        })
        .collect();
    Ok(page_text(
        &words,
        Source::Ocr,
        best.mean / 100.0,
        best.geometry.turn,
        best.geometry.skew_deg,
        width,
        height,
        dpi,
        timings,
    ))
}

/// The resolution to work with: the file's, when plausible for a scan, else estimated from the
/// page's short side taken as A4's 210 mm.
fn effective_dpi(stated: Option<u32>, w: u32, h: u32) -> u32 {
    match stated {
        Some(d) if (100..=1200).contains(&d) => d,
        _ => ((w.min(h) as f32 / 8.27).round() as u32).clamp(70, 1200),
    }
}

/// The clockwise turn OSD asks for; `None` when it cannot tell.
fn osd_turn(
    engine: Option<&mut Engine>,
    img: &GrayImage,
    dpi: u32,
    settings: &Settings,
) -> Option<u32> {
    let engine = engine?;
    // OSD looks at character shapes, which stay distinct well below 300 dpi: a reduced copy
    // costs a fraction of the time.
    let factor = (dpi / settings.osd_dpi.max(1)).max(1);
    let reduced = (factor > 1).then(|| clean::rescale(img, factor as f32));
    let (img, dpi) = match &reduced {
        Some(r) => (r, dpi / factor),
        None => (img, dpi),
    };
    match engine.orientation(img, dpi) {
        // Tesseract reports the page's rotation counter-clockwise; we turn clockwise to undo it.
        Some((deg, conf)) if conf >= settings.osd_min_confidence => Some((360 - deg) % 360),
        _ => None,
    }
}

struct Clock {
    clean_ms: f64,
    recognize_ms: f64,
    recognize_cpu_ms: f64,
}

/// CPU time of this process so far, in milliseconds.
pub(crate) fn cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes into a local timespec.
    unsafe {
        libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts);
    }
    ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6
}

/// A decoded page, scaled, ready for attempts at reading it.
struct Prepared<'a> {
    small: &'a GrayImage,
    /// Decoded pixels per pixel of `small`.
    scale: f32,
    dpi: u32,
    width: u32,
    height: u32,
    index: u32,
}

impl Prepared<'_> {
    /// The page turned by `turn` and straightened, with the geometry back to the decoded page.
    fn straighten(
        &self,
        turn: u32,
        settings: &Settings,
        clock: &mut Clock,
    ) -> (Cow<'_, GrayImage>, Geometry) {
        let t = Instant::now();
        let base: Cow<'_, GrayImage> = if turn == 0 {
            Cow::Borrowed(self.small)
        } else {
            Cow::Owned(clean::rotate(self.small, turn))
        };
        let skew = if settings.deskew {
            clean::estimate_skew(&base, self.dpi, 5.0)
        } else {
            0.0
        };
        let (seen, skew) = if skew.abs() >= settings.deskew_min_deg {
            (Cow::Owned(clean::deskew(&base, skew)), skew)
        } else {
            (base, 0.0)
        };
        let geometry = Geometry {
            width: self.width,
            height: self.height,
            scale: self.scale,
            turn,
            skew_deg: skew,
            skew_w: seen.width(),
            skew_h: seen.height(),
        };
        clock.clean_ms += ms(t.elapsed());
        (seen, geometry)
    }

    /// Recognises a straightened page.
    fn read(
        &self,
        seen: &GrayImage,
        geometry: Geometry,
        engine: &mut Engine,
        settings: &Settings,
        clock: &mut Clock,
    ) -> Result<Attempt, Fault> {
        let t = Instant::now();
        let c = cpu_ms();
        let (words, mean) = engine
            .recognize(seen, self.dpi, settings.psm)
            .map_err(|e| Fault::new(self.index, FaultKind::Engine, e))?;
        clock.recognize_ms += ms(t.elapsed());
        clock.recognize_cpu_ms += cpu_ms() - c;
        Ok(Attempt {
            words,
            mean,
            geometry,
        })
    }

    /// One attempt: turn, deskew, recognise.
    fn attempt(
        &self,
        turn: u32,
        engine: &mut Engine,
        settings: &Settings,
        clock: &mut Clock,
    ) -> Result<Attempt, Fault> {
        let (seen, geometry) = self.straighten(turn, settings, clock);
        self.read(&seen, geometry, engine, settings, clock)
    }
}

struct Attempt {
    words: Vec<RawWord>,
    mean: f32,
    geometry: Geometry,
}

impl Attempt {
    /// Mean confidence, counting a page with almost no words as unsure.
    fn quality(&self) -> f32 {
        let letters: usize = self
            .words
            .iter()
            .map(|w| w.text.chars().filter(|c| c.is_alphanumeric()).count())
            .sum();
        if letters < 20 {
            self.mean.min(letters as f32)
        } else {
            self.mean
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn page_text(
    words: &[(RawWord, [u32; 4])],
    source: Source,
    confidence: f32,
    rotation: u32,
    deskew_deg: f32,
    width: u32,
    height: u32,
    dpi: u32,
    timings: Timings,
) -> PageText {
    PageText {
        page: 0,
        text: layout_text(words.iter().map(|(w, _)| w)),
        words: words
            .iter()
            .map(|(w, b)| Word {
                text: w.text.clone(),
                bbox: *b,
                confidence: Confidence::clamped(f64::from(w.conf) / 100.0),
            })
            .collect(),
        confidence: Confidence::clamped(f64::from(confidence)),
        rotation,
        deskew_deg,
        blank: source == Source::Blank,
        source,
        elapsed_ms: 0,
        width,
        height,
        dpi,
        timings,
    }
}

/// Words to text: a space between words of a line, a newline between lines, a blank line
/// between blocks.
pub(crate) fn layout_text<'a>(words: impl Iterator<Item = &'a RawWord>) -> String {
    let mut out = String::new();
    let mut prev: Option<(u32, u32, u32)> = None;
    for w in words {
        let key = (w.block, w.par, w.line);
        match prev {
            None => {}
            Some(p) if p == key => out.push(' '),
            Some(p) if p.0 != key.0 => out.push_str("\n\n"),
            Some(_) => out.push('\n'),
        }
        out.push_str(&w.text);
        prev = Some(key);
    }
    out
}
