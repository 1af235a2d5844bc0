//! The console is a client: no file of `src/tui` (tests aside) may use the store, the engine or the
//! executor; it talks to a `Backend` and shows `model/` types only.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The forbidden layer named by a line, if any (`crate::store::…`, `crate::{engine, …}`, `opsdeck::exec`).
fn forbidden(line: &str) -> Option<&'static str> {
    let code = line.split("//").next().unwrap_or("");
    for layer in ["store", "engine", "exec", "daemon"] {
        for root in ["crate::", "opsdeck::"] {
            let direct = format!("{root}{layer}");
            if let Some(i) = code.find(&direct) {
                let next = code[i + direct.len()..].chars().next();
                if !next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    return Some(layer);
                }
            }
            // A grouped import: `use crate::{model, store::X}`.
            if let Some(i) = code.find(&format!("{root}{{")) {
                let group = &code[i..];
                if group
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|w| w == layer)
                {
                    return Some(layer);
                }
            }
        }
    }
    None
}

#[test]
fn the_console_imports_no_store_engine_or_executor() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 10, "src/tui not found at {}", root.display());
    let mut bad = Vec::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with("tests.rs") {
            continue; // tests build real stores and engines for the console to talk to
        }
        let text = std::fs::read_to_string(&f).unwrap();
        // Inline test modules at the end of a file may set up a store too.
        let code = text
            .split("#[cfg(test)]\nmod tests")
            .next()
            .unwrap_or(&text);
        for (i, line) in code.lines().enumerate() {
            if let Some(layer) = forbidden(line) {
                bad.push(format!(
                    "{}:{}: uses {layer}: {}",
                    f.display(),
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the console must talk to a Backend only:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_check_catches_each_form_of_import() {
    assert_eq!(forbidden("use crate::store::TaskFilter;"), Some("store"));
    assert_eq!(
        forbidden("use crate::{model::Task, engine::EngineError};"),
        Some("engine")
    );
    assert_eq!(
        forbidden("    .map_err(|e| crate::exec::render::x(e))"),
        Some("exec")
    );
    assert_eq!(forbidden("use crate::storefront;"), None);
    assert_eq!(
        forbidden("use crate::model::StoredTemplate; // not crate::store"),
        None
    );
    assert_eq!(forbidden("use crate::backend::Backend;"), None);
}

/// Library code reports through `tracing` (the binary routes it to stderr, the engine's log or the
/// console's log file); `eprintln!` would draw over the console's screen. Only the CLI prints.
#[test]
fn library_code_never_prints_to_stderr() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let cli = src.join("cli");
    let bad: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(&cli) && !f.ends_with("main.rs"))
        .filter(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .any(|l| l.split("//").next().unwrap_or("").contains("eprintln!("))
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(bad.is_empty(), "eprintln! in library code: {bad:?}");
}
