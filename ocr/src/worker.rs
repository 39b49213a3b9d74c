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
use crate::{FallbackScope, FileKind, Limits, Orientation, Settings, TEXT_LAYER_DPI};
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
        readings: 0,
        lines_reread: 0,
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
                page.read(straight, geometry, &mut engines.text, settings, &mut clock)?
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
    let mut best = if !settings.fallback_languages.is_empty()
        && best.quality() < settings.fallback_below
    {
        if engines.fallback.is_none() {
            engines.fallback = Some(
                Engine::new(&settings.fallback_languages, &settings.variables)
                    .map_err(|reason| Fault::new(index, FaultKind::Engine, reason))?,
            );
        }
        match (engines.fallback.as_mut(), settings.fallback_scope) {
            (Some(fallback), FallbackScope::Page) => {
                let second = page.attempt(best.geometry.turn, fallback, settings, &mut clock)?;
                if second.quality() > best.quality() {
                    second
                } else {
                    best
                }
            }
            (Some(fallback), FallbackScope::Lines) => {
                let mut best = best;
                page.reread_lines(
                    &mut best,
                    fallback,
                    settings.line_fallback_below,
                    &mut clock,
                )?;
                best
            }
            (None, _) => best,
        }
    } else {
        best
    };
    if settings.recover_missed {
        page.recover_missed(&mut best, &mut engines.text, &mut clock)?;
    }
    let Clock {
        clean_ms,
        recognize_ms,
        recognize_cpu_ms,
        readings,
        lines_reread,
    } = clock;
    timings.readings = readings;
    timings.lines_reread = lines_reread;
    timings.clean_ms = clean_ms;
    timings.recognize_ms = recognize_ms;
    timings.recognize_cpu_ms = recognize_cpu_ms;
    // Check boxes and scribbles, on the page the words were read on.
    let (marks, scribbles, marks_ms) =
        crate::marks::of_reading(&best.seen, work_dpi, &best.words, &best.geometry);
    timings.marks_ms = marks_ms;
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
    Ok(PageText {
        marks,
        scribbles,
        ..page_text(
            &words,
            Source::Ocr,
            best.mean / 100.0,
            best.geometry.turn,
            best.geometry.skew_deg,
            width,
            height,
            dpi,
            timings,
        )
    })
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
    readings: u32,
    lines_reread: u32,
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

impl<'a> Prepared<'a> {
    /// The page turned by `turn` and straightened, with the geometry back to the decoded page.
    fn straighten(
        &self,
        turn: u32,
        settings: &Settings,
        clock: &mut Clock,
    ) -> (Cow<'a, GrayImage>, Geometry) {
        let t = Instant::now();
        let base: Cow<'a, GrayImage> = if turn == 0 {
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
    fn read<'s>(
        &self,
        seen: Cow<'s, GrayImage>,
        geometry: Geometry,
        engine: &mut Engine,
        settings: &Settings,
        clock: &mut Clock,
    ) -> Result<Attempt<'s>, Fault> {
        let t = Instant::now();
        let c = cpu_ms();
        let (words, mean) = engine
            .recognize(&seen, self.dpi, settings.psm)
            .map_err(|e| Fault::new(self.index, FaultKind::Engine, e))?;
        clock.recognize_ms += ms(t.elapsed());
        clock.recognize_cpu_ms += cpu_ms() - c;
        clock.readings += 1;
        Ok(Attempt {
            words,
            mean,
            geometry,
            seen,
        })
    }

    /// One attempt: turn, deskew, recognise.
    fn attempt(
        &self,
        turn: u32,
        engine: &mut Engine,
        settings: &Settings,
        clock: &mut Clock,
    ) -> Result<Attempt<'a>, Fault> {
        let (seen, geometry) = self.straighten(turn, settings, clock);
        self.read(seen, geometry, engine, settings, clock)
    }

    /// Reads again, with `engine`, each line of `first` whose letter-weighted confidence is under
    /// `below`: the line is cut out of the straightened page (with a margin) and read as a single
    /// line; the better reading of each line is kept.
    fn reread_lines(
        &self,
        first: &mut Attempt<'_>,
        engine: &mut Engine,
        below: f32,
        clock: &mut Clock,
    ) -> Result<(), Fault> {
        let lines = unsure_lines(&first.words, below);
        if lines.is_empty() {
            return Ok(());
        }
        let (pw, ph) = first.seen.dimensions();
        let mut replaced = false;
        // From the last line up, so that the ranges of the lines above stay right.
        for range in lines.into_iter().rev() {
            let old = &first.words[range.clone()];
            let left = old.iter().map(|w| w.left).min().unwrap_or(0);
            let top = old.iter().map(|w| w.top).min().unwrap_or(0);
            let right = old.iter().map(|w| w.left + w.width).max().unwrap_or(0);
            let bottom = old.iter().map(|w| w.top + w.height).max().unwrap_or(0);
            let margin = (bottom.saturating_sub(top) / 3).max(4);
            let (x0, y0) = (left.saturating_sub(margin), top.saturating_sub(margin));
            let (x1, y1) = ((right + margin).min(pw), (bottom + margin).min(ph));
            if x1 <= x0 + 4 || y1 <= y0 + 4 {
                continue;
            }
            let crop = image::imageops::crop_imm(&*first.seen, x0, y0, x1 - x0, y1 - y0).to_image();
            let t = Instant::now();
            let c = cpu_ms();
            let (mut words, _) = engine
                .recognize(&crop, self.dpi, PSM_SINGLE_LINE)
                .map_err(|e| Fault::new(self.index, FaultKind::Engine, e))?;
            clock.recognize_ms += ms(t.elapsed());
            clock.recognize_cpu_ms += cpu_ms() - c;
            clock.lines_reread += 1;
            if letter_confidence(&words) <= letter_confidence(old) {
                continue;
            }
            let (block, par, line) = (old[0].block, old[0].par, old[0].line);
            for w in &mut words {
                w.left += x0;
                w.top += y0;
                (w.block, w.par, w.line) = (block, par, line);
            }
            first.words.splice(range, words);
            replaced = true;
        }
        if replaced {
            first.mean = letter_confidence(&first.words);
        }
        Ok(())
    }
}

impl Prepared<'_> {
    /// Reads again, as a block, the bands of the page where ink stands that no word covers:
    /// Tesseract's page layout sometimes drops whole lines (rows of dotted leaders such as a
    /// pharmacy's "TOTAL ........ 80,26" block, read right once cut out). Bands thinner than
    /// half a line (rules, dashes) are left alone, and only confident words that overlap no word
    /// already read are added, as blocks of their own after the page's.
    fn recover_missed(
        &self,
        first: &mut Attempt<'_>,
        engine: &mut Engine,
        clock: &mut Clock,
    ) -> Result<(), Fault> {
        let t = Instant::now();
        let bands = missed_bands(&first.seen, &first.words);
        clock.clean_ms += ms(t.elapsed());
        let (pw, ph) = first.seen.dimensions();
        let after = first.words.iter().map(|w| w.block).max().unwrap_or(0) + 1;
        let mut added = false;
        for (block, [x0, y0, x1, y1]) in (after..).zip(bands) {
            let (x0, y0) = (
                x0.saturating_sub(MISSED_MARGIN),
                y0.saturating_sub(MISSED_MARGIN),
            );
            let (x1, y1) = ((x1 + MISSED_MARGIN).min(pw), (y1 + MISSED_MARGIN).min(ph));
            let crop = image::imageops::crop_imm(&*first.seen, x0, y0, x1 - x0, y1 - y0).to_image();
            let t = Instant::now();
            let c = cpu_ms();
            let (words, _) = engine
                .recognize(&crop, self.dpi, PSM_BLOCK)
                .map_err(|e| Fault::new(self.index, FaultKind::Engine, e))?;
            clock.recognize_ms += ms(t.elapsed());
            clock.recognize_cpu_ms += cpu_ms() - c;
            clock.lines_reread += 1;
            let found: Vec<RawWord> = words
                .into_iter()
                .filter(|w| w.conf >= MISSED_MIN_CONF && w.text.chars().any(char::is_alphanumeric))
                .map(|mut w| {
                    w.left += x0;
                    w.top += y0;
                    w.block = block;
                    w
                })
                .filter(|w| !first.words.iter().any(|o| overlaps(o, w)))
                .collect();
            added |= !found.is_empty();
            first.words.extend(found);
        }
        if added {
            first.mean = letter_confidence(&first.words);
        }
        Ok(())
    }
}

/// Tesseract's page segmentation mode for a uniform block of text.
const PSM_BLOCK: u32 = 6;
/// Pixels around a missed band when it is cut out.
const MISSED_MARGIN: u32 = 6;
/// Strokes a row of uncovered ink needs to count as missed text.
const MISSED_MIN_STROKES: u32 = 10;
/// Confidence (0..100) a word read in a missed band needs to be kept.
const MISSED_MIN_CONF: f32 = 70.0;

/// Whether two words' boxes share more than a third of the smaller one.
fn overlaps(a: &RawWord, b: &RawWord) -> bool {
    let w = (a.left + a.width)
        .min(b.left + b.width)
        .saturating_sub(a.left.max(b.left));
    let h = (a.top + a.height)
        .min(b.top + b.height)
        .saturating_sub(a.top.max(b.top));
    let smaller = (a.width * a.height).min(b.width * b.height).max(1);
    3 * w * h > smaller
}

/// Bands `[x0, y0, x1, y1]` of `img` where ink stands that none of `words` covers, at least
/// half a line of text high: rows sampled on every other pixel, a row is missed when
/// [`MISSED_MIN_STROKES`] strokes start in its uncovered ink.
fn missed_bands(img: &GrayImage, words: &[RawWord]) -> Vec<[u32; 4]> {
    let (w, h) = img.dimensions();
    if words.is_empty() || w < 16 || h < 16 {
        return Vec::new();
    }
    let mut heights: Vec<u32> = words.iter().map(|w| w.height).collect();
    heights.sort_unstable();
    let line = heights[heights.len() / 2].max(8);
    // Covered columns of each row, as intervals, from the words' boxes (1 px of slack).
    let mut covered: Vec<Vec<(u32, u32)>> = vec![Vec::new(); h as usize];
    for word in words {
        let (top, bottom) = (
            word.top.saturating_sub(1),
            (word.top + word.height + 1).min(h),
        );
        for row in &mut covered[top as usize..bottom as usize] {
            row.push((word.left.saturating_sub(1), word.left + word.width + 1));
        }
    }
    let raw = img.as_raw();
    let (margin_x, margin_y) = (w / 40, h / 40);
    let mut rows: Vec<Option<(u32, u32)>> = vec![None; h as usize];
    for y in (margin_y..h - margin_y).step_by(2) {
        let cover = &covered[y as usize];
        let line_px = &raw[(y * w) as usize..((y + 1) * w) as usize];
        // Strokes starting in uncovered ink: letters and dots make many, a rule one, a
        // table's borders a few.
        let (mut starts, mut x0, mut x1) = (0u32, u32::MAX, 0u32);
        let mut inked = false;
        for x in (margin_x..w - margin_x).step_by(2) {
            let ink = line_px[x as usize] < 128 && !cover.iter().any(|&(a, b)| x >= a && x < b);
            if ink && !inked {
                starts += 1;
                x0 = x0.min(x);
                x1 = x1.max(x);
            }
            inked = ink;
        }
        if starts >= MISSED_MIN_STROKES {
            rows[y as usize] = Some((x0, x1));
        }
    }
    // Runs of missed rows (gaps of a quarter line allowed) at least half a line high.
    let mut bands = Vec::new();
    let mut run: Option<[u32; 4]> = None;
    let mut last = 0u32;
    for y in (margin_y..h - margin_y).step_by(2) {
        match (rows[y as usize], run.as_mut()) {
            (Some((a, b)), Some(r)) if y - last <= line / 4 + 2 => {
                r[0] = r[0].min(a);
                r[2] = r[2].max(b);
                r[3] = y;
                last = y;
            }
            (Some((a, b)), _) => {
                if let Some(r) = run.take()
                    && r[3] - r[1] >= line / 2
                {
                    bands.push(r);
                }
                run = Some([a, y, b, y]);
                last = y;
            }
            (None, _) => {}
        }
    }
    if let Some(r) = run
        && r[3] - r[1] >= line / 2
    {
        bands.push(r);
    }
    bands
}

/// Tesseract's page segmentation mode for a single line of text.
const PSM_SINGLE_LINE: u32 = 7;

/// Mean word confidence weighted by the letters (and digits) of each word; 0 for no letters.
fn letter_confidence(words: &[RawWord]) -> f32 {
    let (mut sum, mut n) = (0.0f32, 0usize);
    for w in words {
        let k = w.text.chars().filter(|c| c.is_alphanumeric()).count();
        sum += w.conf * k as f32;
        n += k;
    }
    if n == 0 { 0.0 } else { sum / n as f32 }
}

/// The ranges of `words` (consecutive words of one line) whose letter-weighted confidence is
/// under `below`.
fn unsure_lines(words: &[RawWord], below: f32) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=words.len() {
        let same = i < words.len() && {
            let (a, b) = (&words[i - 1], &words[i]);
            (a.block, a.par, a.line) == (b.block, b.par, b.line)
        };
        if !same {
            let line = &words[start..i];
            let letters = line
                .iter()
                .any(|w| w.text.chars().any(char::is_alphanumeric));
            if letters && letter_confidence(line) < below {
                out.push(start..i);
            }
            start = i;
        }
    }
    out
}

struct Attempt<'s> {
    words: Vec<RawWord>,
    mean: f32,
    geometry: Geometry,
    /// The straightened page the words were read on (their coordinates are in it).
    seen: Cow<'s, GrayImage>,
}

impl Attempt<'_> {
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
        marks: Vec::new(),
        scribbles: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(left: u32, top: u32, width: u32, height: u32) -> RawWord {
        RawWord {
            text: "mot".into(),
            left,
            top,
            width,
            height,
            conf: 90.0,
            block: 1,
            par: 1,
            line: 1,
        }
    }

    #[test]
    fn ink_no_word_covers_is_a_missed_band_and_rules_are_not() {
        // Two "lines" of letter-like strokes (3 px ink, 5 px white) at rows 200..230 and
        // 400..430, and a rule at row 600.
        let img = GrayImage::from_fn(1000, 1000, |x, y| {
            let letters = (200..230).contains(&y) || (400..430).contains(&y);
            let stroke = (100..900).contains(&x) && x % 8 < 3;
            let rule = (600..604).contains(&y) && (100..900).contains(&x);
            image::Luma([if (letters && stroke) || rule { 0 } else { 255 }])
        });
        let read = [boxed(98, 198, 804, 34)];
        let bands = missed_bands(&img, &read);
        assert_eq!(bands.len(), 1, "{bands:?}");
        let [x0, y0, x1, y1] = bands[0];
        assert!(x0 <= 106 && x1 >= 890, "{bands:?}");
        assert!(
            (398..=402).contains(&y0) && (426..=430).contains(&y1),
            "{bands:?}"
        );
        // Everything read: nothing missed.
        assert!(missed_bands(&img, &[read[0].clone(), boxed(98, 398, 804, 34)]).is_empty());
    }

    fn word(text: &str, conf: f32, line: u32) -> RawWord {
        RawWord {
            text: text.into(),
            left: 0,
            top: 0,
            width: 10,
            height: 10,
            conf,
            block: 1,
            par: 1,
            line,
        }
    }

    #[test]
    fn only_unsure_lines_are_read_again() {
        let words = [
            word("Facture", 95.0, 1),
            word("n°", 90.0, 1),
            word("F-2024", 40.0, 2),
            word("Total", 96.0, 2),
            word("—", 10.0, 3),
            word("Merci", 70.0, 4),
        ];
        // Line 2 weighs its letters: (6×40 + 5×96) / 11 ≈ 65; line 3 has no letter to read.
        assert_eq!(unsure_lines(&words, 80.0), vec![2..4, 5..6]);
        assert!(unsure_lines(&words, 50.0).is_empty());
        assert!((letter_confidence(&words[..2]) - (7.0 * 95.0 + 90.0) / 8.0).abs() < 1e-3);
        assert_eq!(letter_confidence(&words[4..5]), 0.0);
    }
}
