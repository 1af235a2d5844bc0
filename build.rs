//! Link settings for the `opsdeck` binary: on Linux with glibc, pack its relative relocations
//! (DT_RELR) when the linker supports it.
//!
//! The binary is position-independent, so the loader patches every pointer in its read-only
//! tables at start-up; as plain `R_X86_64_RELATIVE` entries that list is 3 MB the loader reads in
//! full (about 140,000 entries, 24 bytes each). Packed, it is a few KB, and every process starts
//! with less memory. The binary stays position-independent (ASLR unchanged). Only the binaries
//! get the flag, so dependencies, tests and benches are built as before; a linker that does not
//! know the option (GNU ld before 2.38) gets nothing and links as before.

use std::env;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const FLAG: &str = "-Wl,-z,pack-relative-relocs";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && target_env == "gnu" && linker_accepts(FLAG) {
        println!("cargo:rustc-link-arg-bins={FLAG}");
    }
}

/// Links an empty C program with `flag` and reports whether that worked without a word on
/// stderr (GNU ld only warns, "-z … ignored", about a `-z` keyword it does not know).
fn linker_accepts(flag: &str) -> bool {
    let Some(out_dir) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        return false;
    };
    let linker = env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".into());
    let src = out_dir.join("relr_probe.c");
    let exe = out_dir.join("relr_probe");
    if std::fs::write(&src, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    Command::new(linker)
        .arg("-pie")
        .arg("-fPIE")
        .arg(flag)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && o.stderr.is_empty())
}
