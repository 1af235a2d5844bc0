//! CPU-heavy request work (SQL analysis, Python literals, template checks) kept off the async
//! workers: each job runs on a thread of its own with a big stack, a few at a time, and the
//! request gets a 503 when its job runs past the time budget, so `/whoami` and shutdown never
//! wait behind a hostile request.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::{Semaphore, oneshot};

use super::error::ApiError;

/// Stack of a job thread: deep (but within limits) SQL trees are walked recursively.
pub const STACK_BYTES: usize = 64 << 20;
/// How long one request may wait for and run its job.
pub const BUDGET: Duration = Duration::from_secs(10);
/// Jobs running at once; a job past its budget keeps its slot until it ends, which bounds the
/// CPU a burst of hostile requests can take.
pub const SLOTS: usize = 4;

static PERMITS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(SLOTS)));

fn busy(message: String) -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", message)
}

/// Runs `f` on a job thread within [`BUDGET`]; `what` names the work in errors.
pub async fn run<T: Send + 'static>(
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    run_within(what, BUDGET, f).await
}

/// [`run`] with an explicit budget.
pub async fn run_within<T: Send + 'static>(
    what: &str,
    budget: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let started = tokio::time::Instant::now();
    let permit = tokio::time::timeout(budget, PERMITS.clone().acquire_owned())
        .await
        .map_err(|_| {
            busy(format!(
                "the server is busy with other heavy requests; {what} did not start within {} s, try again",
                budget.as_secs()
            ))
        })?
        .map_err(|_| ApiError::internal("the job queue is closed"))?;
    let (tx, rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("opsdeck-job".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let r = catch_unwind(AssertUnwindSafe(f));
            drop(permit);
            let _ = tx.send(r);
        })
        .map_err(|e| ApiError::internal(format!("could not start a job thread: {e}")))?;
    let left = budget.saturating_sub(started.elapsed());
    match tokio::time::timeout(left, rx).await {
        Ok(Ok(Ok(v))) => Ok(v),
        Ok(Ok(Err(_))) | Ok(Err(_)) => Err(ApiError::internal(format!(
            "{what} failed inside the server; see its log"
        ))),
        Err(_) => Err(busy(format!(
            "{what} took longer than the server's budget of {} s and was abandoned; simplify the input",
            budget.as_secs()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slow_job_answers_busy_within_its_budget() {
        let t = std::time::Instant::now();
        let e = run_within("the test", Duration::from_millis(200), || {
            std::thread::sleep(Duration::from_secs(2));
        })
        .await
        .expect_err("too slow");
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(e.body.message.contains("budget"), "{}", e.body.message);
        assert!(t.elapsed() < Duration::from_secs(1));
        assert_eq!(run("sum", || 1 + 1).await.expect("runs"), 2);
    }

    #[tokio::test]
    async fn deep_recursion_fits_the_job_stack() {
        fn down(n: u32) -> u32 {
            let pad = std::hint::black_box([0u8; 512]);
            if n == 0 {
                u32::from(pad[0])
            } else {
                down(n - 1) + 1
            }
        }
        assert_eq!(run("deep", || down(50_000)).await.expect("runs"), 50_000);
    }
}
