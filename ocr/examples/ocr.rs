//! `cargo run --release -p mailroom-ocr --example ocr -- [--json] FILE...`: the same as
//! `mailroom ocr`, for working on this crate alone.

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let files: Vec<std::path::PathBuf> = args
        .iter()
        .filter(|a| *a != "--json")
        .map(Into::into)
        .collect();
    mailroom_ocr::ocr_command(&files, json, &mut std::io::stdout().lock())
}
