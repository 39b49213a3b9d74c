//! What the `mailroom user add` and `mailroom export-corrections` commands do, so that the
//! binary stays thin.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use mailroom_store::Store;
use mailroom_store::desk::Role;

use crate::error::DeskError;

fn io(context: &str) -> impl FnOnce(std::io::Error) -> DeskError + '_ {
    move |source| DeskError::Io {
        context: context.to_string(),
        source,
    }
}

fn read_line() -> Result<String, DeskError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(io("reading the password"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// Turns the terminal's echo off or on (`stty`), so a typed password is not shown.
fn echo(on: bool) {
    let _ = std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status();
}

/// The new user's password: from standard input (one line) when it is not a terminal,
/// otherwise typed twice without echo. There is no default password.
///
/// # Errors
/// [`DeskError::Password`] when the two entries differ or the password is empty;
/// [`DeskError::Io`] when standard input cannot be read.
pub fn read_password() -> Result<String, DeskError> {
    if !std::io::stdin().is_terminal() {
        return read_line();
    }
    let ask = |prompt: &str| -> Result<String, DeskError> {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        echo(false);
        let r = read_line();
        echo(true);
        eprintln!();
        r
    };
    let first = ask("password: ")?;
    let second = ask("password again: ")?;
    if first != second {
        return Err(DeskError::Password("the two passwords differ".into()));
    }
    Ok(first)
}

/// Adds a desk user with an argon2 hash of `password`.
///
/// # Errors
/// [`DeskError::Password`] for a password under 10 characters; [`DeskError::Store`] when the
/// role, the service or the login is refused, or the store fails.
pub async fn add_user(
    store: &Store,
    login: &str,
    role: &str,
    service: Option<&str>,
    password: String,
) -> Result<(), DeskError> {
    let role: Role = role.parse()?;
    let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .map_err(|e| DeskError::Password(e.to_string()))??;
    store.desk_add_user(login, &hash, role, service).await?;
    Ok(())
}
