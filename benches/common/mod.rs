//! What the scheduler benches share: one local host, environment knobs and percentiles.

/// One host on this machine (no SSH), for benches that measure the engine, not the transport.
pub const INVENTORY: &str = r#"
[[hosts]]
name = "local1"
address = "127.0.0.1"
connection = "local"
"#;

/// The number in the environment variable `name`, else `default`.
pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `p`th percentile (0–100) of `sorted`, by nearest rank; NaN when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
