//! How fast the generator makes sample sets: envelopes per hour on this machine.
//!
//! `cargo bench -p mailroom-benches --bench generate [-- COUNT]` prints the figure; it asserts
//! nothing.

fn main() -> anyhow::Result<()> {
    let count: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let dir = std::env::temp_dir().join(format!("mailroom-bench-generate-{}", std::process::id()));
    let start = std::time::Instant::now();
    let s = mailroom_samples::generate(&dir, count, 1, &|_| {})?;
    let secs = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "generate: {} envelopes, {} pages, {:.1} MB in {secs:.1} s on {} threads: {:.0} envelopes/hour, {:.1} pages/s",
        s.envelopes,
        s.pages,
        s.bytes as f64 / 1e6,
        rayon::current_num_threads(),
        s.envelopes as f64 * 3600.0 / secs,
        s.pages as f64 / secs
    );
    Ok(())
}
