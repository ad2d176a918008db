//! Waiting for AWS: polling until an object reaches a state, and retrying
//! calls AWS refuses for a while (a target group still "in use" just after
//! its listener moved). Throttling and transient errors are already retried
//! by the SDK's standard retry mode.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::{AwsError, ErrorKind};

/// Sleeps for `pause`, or less when Terraform asks us to stop.
async fn pause_or_stop(pause: Duration, stop: &CancellationToken) -> Result<(), AwsError> {
    tokio::select! {
        () = tokio::time::sleep(pause) => Ok(()),
        () = stop.cancelled() => Err(AwsError::new("waiting", "", ErrorKind::Cancelled)),
    }
}

/// Calls `check` until it returns `Some`, first at once, then with growing
/// pauses up to `interval`, for at most `timeout`; a stop ends the wait.
pub async fn poll<T, F, Fut>(
    timeout: Duration,
    interval: Duration,
    stop: &CancellationToken,
    mut check: F,
) -> Result<T, AwsError>
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
        pause_or_stop(pause, stop).await?;
        pause = (pause * 2).min(interval);
    }
}

/// Retries `call` while it fails with one of `codes`, for at most `timeout`;
/// a stop ends the retries.
pub async fn retry_on<T, F, Fut>(
    codes: &[&str],
    timeout: Duration,
    stop: &CancellationToken,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(500);
    loop {
        match call().await {
            Err(e) if e.code().is_some_and(|c| codes.contains(&c)) && Instant::now() + pause < deadline => {
                pause_or_stop(pause, stop).await?;
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
        let got = poll(Duration::from_secs(60), Duration::from_secs(5), &CancellationToken::new(), || async {
            Ok((calls.fetch_add(1, Ordering::SeqCst) == 3).then_some("ready"))
        })
        .await;
        assert_eq!(got.unwrap(), "ready");
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn poll_times_out() {
        let got: Result<(), _> =
            poll(Duration::from_secs(3), Duration::from_secs(1), &CancellationToken::new(), || async { Ok(None) })
                .await;
        assert_eq!(got.unwrap_err().kind, ErrorKind::Timeout);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_ends_a_wait_at_once() {
        let stop = CancellationToken::new();
        let calls = AtomicU32::new(0);
        let started = Instant::now();
        let waiting = poll(Duration::from_secs(600), Duration::from_secs(10), &stop, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(None::<()>)
        });
        let stopper = async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            stop.cancel();
        };
        let (got, ()) = tokio::join!(waiting, stopper);
        assert_eq!(got.unwrap_err().kind, ErrorKind::Cancelled);
        assert!(started.elapsed() < Duration::from_secs(31), "{:?}", started.elapsed());
        let n = calls.load(Ordering::SeqCst);
        assert!((2..10).contains(&n), "{n} polls before the stop");
    }

    #[tokio::test(start_paused = true)]
    async fn retries_only_the_named_codes() {
        let calls = AtomicU32::new(0);
        let in_use =
            || AwsError::new("x", "y", ErrorKind::Api { code: "ResourceInUse".into(), message: String::new() });
        let never = CancellationToken::new();
        let got = retry_on(&["ResourceInUse"], Duration::from_secs(60), &never, || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 { Err(in_use()) } else { Ok(7) }
        })
        .await;
        assert_eq!(got.unwrap(), 7);
        let other = retry_on(&["ResourceInUse"], Duration::from_secs(60), &never, || async {
            Err::<(), _>(AwsError::new("x", "y", ErrorKind::NotFound))
        })
        .await;
        assert!(other.unwrap_err().is_not_found());
    }
}
