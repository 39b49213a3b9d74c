//! The supervised pool of worker processes.
//!
//! Each slot is a child process holding one Tesseract engine. A request goes to an idle worker
//! and is awaited with a deadline; a worker that misses it is killed with its whole process
//! group (poppler helpers included), a worker that dies is reaped and its cause of death read
//! from its exit status and the tail of its stderr. Either way the slot is freed and the next
//! request starts a fresh worker.

use crate::protocol::{PROTOCOL, Request, Response, read_frame, write_frame};
use crate::worker::{FAULTS_ENV, WORKER_ENV};
use crate::{Limits, Settings};
use std::collections::VecDeque;
use std::io::{BufWriter, Read as _};
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a worker may take to start and load its models.
const START_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub(crate) enum CallError {
    /// The worker missed the deadline and was killed.
    Timeout,
    /// The worker died; why, in words.
    Crashed(String),
    /// No worker could be started.
    Start(String),
}

type Frame = std::io::Result<Option<(Response, Vec<u8>)>>;

struct Worker {
    child: Child,
    /// `None` once closed (asking the worker to exit).
    stdin: Option<BufWriter<ChildStdin>>,
    rx: Receiver<Frame>,
    stderr_tail: Arc<Mutex<VecDeque<u8>>>,
    stderr_thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts a worker process and waits until it has loaded its models.
    fn spawn(pool: &PoolConfig, spawner: &Spawner) -> Result<Worker, String> {
        let mut child = spawner.start()?;
        let (Some(stdin), Some(mut stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err("the OCR worker has no pipes".into());
        };
        let (tx, rx) = mpsc::channel::<Frame>();
        std::thread::Builder::new()
            .name("ocr-worker-out".into())
            .spawn(move || {
                loop {
                    let frame = read_frame::<Response>(&mut stdout, 0);
                    let end = !matches!(frame, Ok(Some(_)));
                    if tx.send(frame).is_err() || end {
                        break;
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        let stderr_tail = Arc::new(Mutex::new(VecDeque::with_capacity(4096)));
        let tail = Arc::clone(&stderr_tail);
        let stderr_thread = std::thread::Builder::new()
            .name("ocr-worker-err".into())
            .spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stderr.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                    t.extend(&buf[..n]);
                    while t.len() > 4096 {
                        t.pop_front();
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        let mut w = Worker {
            child,
            stdin: Some(BufWriter::new(stdin)),
            rx,
            stderr_tail,
            stderr_thread: Some(stderr_thread),
        };
        let init = Request::Init {
            settings: pool.settings.clone(),
            limits: pool.limits.clone(),
        };
        if let Err(e) = w.send(&init, &[]) {
            let cause = w.reap();
            return Err(format!("the OCR worker stopped at start ({e}; {cause})"));
        }
        match w.rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(Some((Response::Ready { protocol }, _)))) if protocol == PROTOCOL => Ok(w),
            Ok(Err(e)) => {
                w.reap();
                Err(format!(
                    "the OCR worker {} answered its start in a way we cannot read ({e}); it is probably from another build of mailroom: rebuild it (cargo build --release --workspace)",
                    pool.exe.display()
                ))
            }
            Ok(Ok(Some((Response::Ready { .. }, _)))) => {
                w.reap();
                Err(format!(
                    "the OCR worker {} is from another build of mailroom; rebuild it (cargo build --release --workspace) or name the right one in MAILROOM_OCR_WORKER",
                    pool.exe.display()
                ))
            }
            Ok(Ok(Some((Response::Fault(f), _)))) => {
                w.reap();
                Err(f.reason)
            }
            Ok(Ok(Some(_))) => {
                w.reap();
                Err(
                    "the OCR worker answered its start with nonsense (is it from another build?)"
                        .into(),
                )
            }
            Err(RecvTimeoutError::Timeout) => {
                w.reap();
                Err(format!(
                    "the OCR worker did not start within {} s",
                    START_TIMEOUT.as_secs()
                ))
            }
            _ => {
                let cause = w.reap();
                Err(format!(
                    "the OCR worker {} stopped at start ({cause})",
                    pool.exe.display()
                ))
            }
        }
    }

    fn send(&mut self, req: &Request, payload: &[u8]) -> std::io::Result<()> {
        match self.stdin.as_mut() {
            Some(stdin) => write_frame(stdin, req, payload),
            None => Err(std::io::Error::other("the worker's input is closed")),
        }
    }

    /// Kills the worker's process group, waits for it, and says how it ended.
    fn reap(&mut self) -> String {
        let pid = self.child.id() as libc::pid_t;
        let exited = self.child.try_wait().ok().flatten();
        // SAFETY: signals the process group we created for this worker (its pid), nothing else.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let status = exited.or_else(|| self.child.wait().ok());
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
        let tail = {
            let t = self.stderr_tail.lock().unwrap_or_else(|p| p.into_inner());
            String::from_utf8_lossy(&t.iter().copied().collect::<Vec<u8>>()).into_owned()
        };
        let signal = status.and_then(|s| s.signal());
        if tail.contains("has overflowed its stack") {
            "stack overflow".into()
        } else if tail.contains("memory allocation of")
            || tail.contains("bad_alloc")
            || tail.contains("Cannot allocate")
        {
            "it ran out of memory".into()
        } else {
            match (signal, status.and_then(|s| s.code())) {
                (Some(libc::SIGSEGV), _) => "segmentation fault".into(),
                (Some(libc::SIGABRT), _) => "abort".into(),
                (Some(libc::SIGBUS), _) => "bus error".into(),
                (Some(libc::SIGFPE), _) => "arithmetic fault".into(),
                (Some(libc::SIGILL), _) => "illegal instruction".into(),
                (Some(libc::SIGKILL), _) => {
                    "killed, perhaps by the system for lack of memory".into()
                }
                (Some(s), _) => format!("signal {s}"),
                (None, Some(c)) => format!("exit code {c}"),
                (None, None) => "unknown cause".into(),
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.reap();
        }
    }
}

fn command(pool: &PoolConfig) -> Command {
    let mut cmd = Command::new(&pool.exe);
    cmd.env("OMP_THREAD_LIMIT", "1")
        .env(WORKER_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: a timeout kills the worker and any poppler helper it runs.
        .process_group(0);
    if pool.faults {
        cmd.env(FAULTS_ENV, "1");
    }
    cmd
}

type SpawnReply = mpsc::Sender<Result<Child, String>>;

/// Starts worker processes from one long-lived thread. A worker asks to be killed when its
/// parent dies (`PR_SET_PDEATHSIG`), and Linux means the parent *thread*: started from a
/// short-lived thread, it would die with that thread.
struct Spawner {
    tx: Mutex<mpsc::Sender<SpawnReply>>,
}

impl Spawner {
    fn new(config: &PoolConfig) -> Result<Spawner, String> {
        let (tx, rx) = mpsc::channel::<SpawnReply>();
        let config = config.clone();
        std::thread::Builder::new()
            .name("ocr-spawner".into())
            .spawn(move || {
                for reply in rx {
                    let child = command(&config).spawn().map_err(|e| {
                        format!(
                            "the OCR worker {} could not be started ({e})",
                            config.exe.display()
                        )
                    });
                    let _ = reply.send(child);
                }
            })
            .map_err(|e| format!("no thread to start OCR workers from ({e})"))?;
        Ok(Spawner { tx: Mutex::new(tx) })
    }

    fn start(&self) -> Result<Child, String> {
        let (reply, rx) = mpsc::channel();
        self.tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(reply)
            .map_err(|_| "the OCR worker starter has stopped".to_string())?;
        rx.recv()
            .map_err(|_| "the OCR worker starter has stopped".to_string())?
    }
}

#[derive(Clone)]
pub(crate) struct PoolConfig {
    pub exe: PathBuf,
    pub settings: Settings,
    pub limits: Limits,
    pub slots: usize,
    pub faults: bool,
}

struct State {
    idle: Vec<Worker>,
    /// Workers alive, idle or busy (and slots being started).
    live: usize,
}

pub(crate) struct Pool {
    config: PoolConfig,
    spawner: Spawner,
    state: Mutex<State>,
    freed: Condvar,
}

impl Pool {
    /// Starts every slot's worker (in parallel) and waits until each has loaded its models.
    pub(crate) fn new(config: PoolConfig) -> Result<Pool, String> {
        let slots = config.slots.max(1);
        let spawner = Spawner::new(&config)?;
        let started: Vec<Result<Worker, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..slots)
                .map(|_| s.spawn(|| Worker::spawn(&config, &spawner)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("worker start panicked".into()))
                })
                .collect()
        });
        let mut idle = Vec::new();
        for w in started {
            idle.push(w?);
        }
        Ok(Pool {
            state: Mutex::new(State {
                live: idle.len(),
                idle,
            }),
            config: PoolConfig { slots, ..config },
            spawner,
            freed: Condvar::new(),
        })
    }

    pub(crate) fn slots(&self) -> usize {
        self.config.slots
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An idle worker, a new one if a slot is free, or waits for one.
    fn acquire(&self) -> Result<Worker, CallError> {
        let mut st = self.lock();
        loop {
            while let Some(mut w) = st.idle.pop() {
                // Died while idle (killed by the system, say): not this request's fault.
                if w.child.try_wait().ok().flatten().is_some() {
                    st.live -= 1;
                    w.reap();
                    continue;
                }
                return Ok(w);
            }
            if st.live < self.config.slots {
                st.live += 1;
                drop(st);
                return Worker::spawn(&self.config, &self.spawner).map_err(|e| {
                    self.lost();
                    CallError::Start(e)
                });
            }
            st = self.freed.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn release(&self, w: Worker) {
        self.lock().idle.push(w);
        self.freed.notify_one();
    }

    fn lost(&self) {
        self.lock().live -= 1;
        self.freed.notify_one();
    }

    /// Sends one request and waits for its answer, at most `timeout` once a worker has it. The
    /// answer comes with the time the worker took (from sending to answer, the wait for a free
    /// worker not included).
    pub(crate) fn call(
        &self,
        req: &Request,
        payload: &[u8],
        timeout: Duration,
    ) -> Result<(Response, Duration), CallError> {
        let mut tries = 0;
        let (mut w, sent) = loop {
            let mut w = self.acquire()?;
            let sent = Instant::now();
            match w.send(req, payload) {
                Ok(()) => break (w, sent),
                // The worker was gone before it saw the request: take another, once.
                Err(_) if tries == 0 => {
                    tries += 1;
                    w.reap();
                    self.lost();
                }
                Err(e) => {
                    let cause = w.reap();
                    self.lost();
                    return Err(CallError::Crashed(format!("{cause}; {e}")));
                }
            }
        };
        let deadline = sent + timeout;
        match w
            .rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            Ok(Ok(Some((resp, _)))) => {
                let busy = sent.elapsed();
                self.release(w);
                Ok((resp, busy))
            }
            Err(RecvTimeoutError::Timeout) => {
                w.reap();
                self.lost();
                Err(CallError::Timeout)
            }
            Ok(Err(e)) if w.child.try_wait().ok().flatten().is_none() => {
                // Alive but talking nonsense: a bug of ours, or a worker from another build.
                w.reap();
                self.lost();
                Err(CallError::Crashed(format!(
                    "its answer could not be understood: {e}"
                )))
            }
            _ => {
                let cause = w.reap();
                self.lost();
                Err(CallError::Crashed(cause))
            }
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let mut idle = std::mem::take(&mut self.lock().idle);
        // Closing stdin asks each worker to exit; give them a moment, then `Worker::drop` kills.
        for w in &mut idle {
            w.stdin = None;
        }
        let until = Instant::now() + Duration::from_secs(2);
        for w in &mut idle {
            while w.child.try_wait().ok().flatten().is_none() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}
