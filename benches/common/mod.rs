//! What the benches share: one local host, environment knobs, percentiles and the API submit loop.

// Each bench uses only part of this.
#![allow(dead_code)]

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

/// `clients` loops, each posting `per` tasks back to back through the API, client `c` to
/// `bases[c % len]`; every task's first step is timed a day ahead, so this measures the API and the
/// store, not execution. Each submit's latency (sorted) and the wall time of all.
pub async fn post_tasks(
    bases: &[String],
    token: &str,
    clients: usize,
    per: usize,
) -> (Vec<std::time::Duration>, std::time::Duration) {
    let client = reqwest::Client::new();
    let start = std::time::Instant::now();
    let mut handles = Vec::new();
    for c in 0..clients {
        let (client, base, token) = (
            client.clone(),
            bases[c % bases.len()].clone(),
            token.to_string(),
        );
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per);
            for i in 0..per {
                let body = serde_json::json!({
                    "name": format!("bench-{c}-{i}"),
                    "template_id": 1,
                    "hosts": {"1": ["h1"]},
                    "exec_time": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
                });
                let t = std::time::Instant::now();
                let r = client
                    .post(format!("{base}/tasks"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .expect("send");
                assert_eq!(r.status().as_u16(), 201);
                let _ = r.bytes().await;
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for h in handles {
        lat.extend(h.await.expect("client"));
    }
    let took = start.elapsed();
    lat.sort();
    (lat, took)
}
