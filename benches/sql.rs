//! SQL toolkit throughput: `check`, `fingerprint`, `score` and `advise` in statements per second
//! over the test corpus, and Percona's `pt-fingerprint` over the same statements in the same run.
//!
//! `cargo bench --bench sql` (release build). `SQL_BENCH_ROUNDS` (default 5) passes over the corpus
//! per function; the best round is reported. pt-fingerprint is measured when it is installed
//! (`percona-toolkit`): one process over a file holding the corpus, as an operator would run it.
//! No assertion: it is a measurement. Without `--bench` (under `cargo test --all-targets`) it makes
//! one small pass as a smoke test.

use std::io::Write;
use std::time::{Duration, Instant};

use opsdeck::model::Lang;
use opsdeck::sql;
use opsdeck::sql::score::ScoreOptions;

const CORPUS: &str = include_str!("../tests/fixtures/sql/corpus.sql");

fn best<F: FnMut()>(rounds: usize, mut f: F) -> Duration {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let statements: Vec<String> = sql::split(CORPUS).into_iter().map(|s| s.text).collect();
    let statements = if bench {
        statements
    } else {
        statements.into_iter().take(50).collect()
    };
    let rounds = if bench {
        std::env::var("SQL_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5)
    } else {
        1
    };
    let n = statements.len();
    let opts = ScoreOptions::default();
    let mut sink = 0usize;
    let check = best(rounds, || {
        for s in &statements {
            sink += sql::check(s).errors.len();
        }
    });
    let fp = best(rounds, || {
        for s in &statements {
            sink += sql::fingerprint(s).len();
        }
    });
    let score = best(rounds, || {
        for s in &statements {
            sink += sql::score::score(s, &opts, Lang::En).score as usize;
        }
    });
    let advise = best(rounds, || {
        for s in &statements {
            sink += sql::advise::advise(s, None, Lang::En).advice.len();
        }
    });
    println!("corpus: {n} statements, best of {rounds} rounds (sink {sink})");
    println!("check        {:>10.0} statements/s", rate(n, check));
    println!("fingerprint  {:>10.0} statements/s", rate(n, fp));
    println!("score        {:>10.0} statements/s", rate(n, score));
    println!("advise       {:>10.0} statements/s", rate(n, advise));
    if !bench {
        return;
    }
    // pt-fingerprint reads one query per record; write each statement on one line.
    let Ok(dir) = tempfile_dir() else {
        println!("pt-fingerprint: could not create a temp file");
        return;
    };
    let file = dir.join("corpus-one-per-line.sql");
    let mut f = match std::fs::File::create(&file) {
        Ok(f) => f,
        Err(e) => {
            println!("pt-fingerprint: {e}");
            return;
        }
    };
    for s in &statements {
        let _ = writeln!(f, "{};", s.replace('\n', " "));
    }
    drop(f);
    let pt = best(rounds.min(3), || {
        let _ = std::process::Command::new("pt-fingerprint")
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .status();
    });
    let ok = std::process::Command::new("pt-fingerprint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        println!(
            "pt-fingerprint {:>10.0} statements/s (one process over the file, start-up included); opsdeck fingerprint is {:.1}x",
            rate(n, pt),
            pt.as_secs_f64() / fp.as_secs_f64().max(1e-9)
        );
    } else {
        println!("pt-fingerprint: not installed (apt-get install percona-toolkit)");
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("opsdeck-sql-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
