//! Waiting for AWS: polling until an object reaches a state, and retrying
//! calls AWS refuses for a while (a target group still "in use" just after
//! its listener moved). Throttling and transient errors are already retried
//! by the SDK's standard retry mode.

use std::future::Future;
use std::time::{Duration, Instant};

use super::error::{AwsError, ErrorKind};

/// Calls `check` until it returns `Some`, first at once, then with growing
/// pauses up to `interval`, for at most `timeout`.
pub async fn poll<T, F, Fut>(timeout: Duration, interval: Duration, mut check: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, AwsError>>,
{
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(200).min(interval);
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if Instant::now() + pause > deadline {
            return Err(AwsError::new("waiting", "", ErrorKind::Timeout));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(interval);
    }
}

/// Retries `call` while it fails with one of `codes`, for at most `timeout`.
pub async fn retry_on<T, F, Fut>(codes: &[&str], timeout: Duration, mut call: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(500);
    loop {
        match call().await {
            Err(e) if e.code().is_some_and(|c| codes.contains(&c)) && Instant::now() + pause < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn polls_until_ready() {
        let calls = AtomicU32::new(0);
        let got = poll(Duration::from_secs(60), Duration::from_secs(5), || async {
            Ok((calls.fetch_add(1, Ordering::SeqCst) == 3).then_some("ready"))
        })
        .await;
        assert_eq!(got.unwrap(), "ready");
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn poll_times_out() {
        let got: Result<(), _> = poll(Duration::from_secs(3), Duration::from_secs(1), || async { Ok(None) }).await;
        assert_eq!(got.unwrap_err().kind, ErrorKind::Timeout);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_only_the_named_codes() {
        let calls = AtomicU32::new(0);
        let in_use =
            || AwsError::new("x", "y", ErrorKind::Api { code: "ResourceInUse".into(), message: String::new() });
        let got = retry_on(&["ResourceInUse"], Duration::from_secs(60), || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 { Err(in_use()) } else { Ok(7) }
        })
        .await;
        assert_eq!(got.unwrap(), 7);
        let other = retry_on(&["ResourceInUse"], Duration::from_secs(60), || async {
            Err::<(), _>(AwsError::new("x", "y", ErrorKind::NotFound))
        })
        .await;
        assert!(other.unwrap_err().is_not_found());
    }
}
