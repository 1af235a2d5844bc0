//! Plain-text tables and JSON printing shared by the subcommands, and stdout writes that end the
//! program quietly when the reader went away (`opsdeck task logs 1 | head -1`).

use std::io::{IsTerminal, Write};

use unicode_width::UnicodeWidthStr;

/// Like `println!`, but a closed stdout (a pipe whose reader exited) ends the program with status
/// 0 instead of a panic.
#[macro_export]
macro_rules! outln {
    () => { $crate::cli::output::write_out(format_args!("\n")) };
    ($($t:tt)*) => { $crate::cli::output::write_out(format_args!("{}\n", format_args!($($t)*))) };
}

/// Like `print!`, with [`outln!`]'s handling of a closed stdout.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::cli::output::write_out(format_args!($($t)*)) };
}

/// Writes to stdout; on a broken pipe exits 0 at once (nothing more can be shown), on another
/// write error says so on stderr and exits 1. On a terminal, control characters other than newline
/// and tab are shown escaped (`\x1b[2J`), so a host's output or a hostile name cannot drive the
/// operator's terminal; into a pipe or a file the bytes go out as they are.
pub fn write_out(args: std::fmt::Arguments<'_>) {
    let mut o = std::io::stdout().lock();
    let written = if o.is_terminal() {
        let text = args.to_string();
        o.write_all(opsdeck::text::escape_for_terminal(&text).as_bytes())
    } else {
        o.write_fmt(args)
    };
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("opsdeck: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

/// Prints rows as left-aligned columns sized to their widest cell (CJK-aware).
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.width());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            s.push_str(c);
            if i + 1 < cells.len() {
                s.push_str(&" ".repeat(widths[i].saturating_sub(c.width()) + 2));
            }
        }
        crate::outln!("{}", s.trim_end());
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

pub fn json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    crate::outln!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}
