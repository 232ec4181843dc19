//! Writing to stdout without panicking on a closed pipe: `oauth-drift … | head -2` ends the
//! process quietly with exit code 0, as ripgrep does, instead of `print!`'s panic.

use std::io::Write;

/// Writes `text` to stdout and flushes it.
///
/// A reader that went away (`EPIPE`) comes back as an error whose chain holds
/// [`std::io::ErrorKind::BrokenPipe`]; [`is_closed_pipe`] recognises it at the top.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// Whether `error` (anywhere in its chain) is a write to a closed pipe.
pub fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes a line to stderr, dropping it if stderr is closed (`eprintln!` would panic).
pub fn eprint_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
