//! Waiting for AWS: polling until an object reaches a state, and retrying
//! calls AWS refuses for a while (a target group still "in use" just after
//! its listener moved, an object not yet visible just after its create).
//! Throttling and transient errors are retried by the SDK's standard retry
//! mode (`config.rs`); what is here is what the SDK cannot know.
//!
//! Every pause comes from a [`Backoff`], so a test can run the same loops
//! in milliseconds instead of pausing a clock.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::{AwsError, ErrorKind};

/// Growing pauses between attempts: the first is `first`, each next one
/// twice the last, never more than `max`; each is shortened by a random
/// part of up to a quarter, so that many applies that failed together do
/// not come back together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

impl Backoff {
    /// Polling a waiter whose states change every `interval` at most.
    pub fn poll(interval: Duration) -> Self {
        Self { first: Duration::from_millis(200).min(interval), max: interval }
    }

    /// Retrying a refusal AWS lifts within seconds to minutes.
    pub const REFUSAL: Self = Self { first: Duration::from_millis(500), max: Duration::from_secs(10) };

    /// Waiting out an object that AWS created but does not show yet
    /// (read-after-create): short pauses, since it usually appears within
    /// a second or two.
    pub const PROPAGATION: Self = Self { first: Duration::from_millis(250), max: Duration::from_secs(5) };

    /// The pause after `last` (before jitter).
    fn grow(self, last: Duration) -> Duration {
        (last * 2).min(self.max)
    }

    /// `pause` less a random part of up to a quarter of it.
    fn jittered(pause: Duration) -> Duration {
        static CALLS: AtomicU64 = AtomicU64::new(0);
        let draw = RandomState::new().hash_one(CALLS.fetch_add(1, Ordering::Relaxed));
        let quarter = pause / 4;
        let nanos = u64::try_from(quarter.as_nanos()).unwrap_or(u64::MAX);
        pause - Duration::from_nanos(if nanos == 0 { 0 } else { draw % nanos })
    }
}

/// What a wait is waiting for, as its errors name it: "waiting for ELBv2
/// Load Balancer to become active (arn…): timed out".
#[derive(Debug, Clone, Copy)]
pub struct Waiting<'a> {
    pub action: &'a str,
    pub object: &'a str,
}

impl Waiting<'_> {
    fn error(self, kind: ErrorKind) -> AwsError {
        AwsError::new(self.action, self.object, kind)
    }
}

/// Sleeps for `pause`, or less when Terraform asks us to stop.
async fn pause_or_stop(pause: Duration, stop: &CancellationToken) -> Result<(), AwsError> {
    tokio::select! {
        () = tokio::time::sleep(pause) => Ok(()),
        () = stop.cancelled() => Err(AwsError::new("waiting", "", ErrorKind::Cancelled)),
    }
}

/// Calls `check` until it returns `Some`, first at once, then after the
/// pauses of `backoff`, for at most `timeout`; a stop ends the wait. Its
/// own timeout and stop are errors about `what`.
pub async fn poll<T, F, Fut>(
    what: Waiting<'_>,
    timeout: Duration,
    backoff: Backoff,
    stop: &CancellationToken,
    mut check: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, AwsError>>,
{
    let deadline = Instant::now() + timeout;
    let mut pause = backoff.first;
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        let next = Backoff::jittered(pause);
        if Instant::now() + next > deadline {
            return Err(what.error(ErrorKind::Timeout));
        }
        pause_or_stop(next, stop).await.map_err(|e| what.error(e.kind))?;
        pause = backoff.grow(pause);
    }
}

/// Calls `call` again while it fails with an error `retryable` accepts,
/// after the pauses of `backoff`, for at most `timeout`; then its last
/// error stands. A stop ends the retries.
pub async fn retry_while<T, F, Fut>(
    retryable: impl Fn(&AwsError) -> bool,
    timeout: Duration,
    backoff: Backoff,
    stop: &CancellationToken,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let deadline = Instant::now() + timeout;
    let mut pause = backoff.first;
    loop {
        match call().await {
            Err(e) if retryable(&e) => {
                let next = Backoff::jittered(pause);
                if Instant::now() + next >= deadline {
                    return Err(e);
                }
                pause_or_stop(next, stop).await?;
                pause = backoff.grow(pause);
            }
            other => return other,
        }
    }
}

/// Calls `call` again while AWS refuses it with one of `codes`.
pub async fn retry_on<T, F, Fut>(
    codes: &[&str],
    timeout: Duration,
    stop: &CancellationToken,
    call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    retry_while(|e| e.code().is_some_and(|c| codes.contains(&c)), timeout, Backoff::REFUSAL, stop, call).await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    const WHAT: Waiting<'static> = Waiting { action: "waiting for the test", object: "x" };

    const FAST: Backoff = Backoff { first: Duration::from_millis(1), max: Duration::from_millis(4) };

    fn in_use() -> AwsError {
        AwsError::new("x", "y", ErrorKind::Api { code: "ResourceInUse".into(), message: String::new() })
    }

    #[test]
    fn pauses_double_up_to_the_cap_and_jitter_only_shortens() {
        let b = Backoff { first: Duration::from_millis(100), max: Duration::from_millis(350) };
        let mut pauses = vec![b.first];
        while pauses.len() < 5 {
            pauses.push(b.grow(*pauses.last().unwrap()));
        }
        let ms: Vec<u128> = pauses.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [100, 200, 350, 350, 350]);
        let drawn: Vec<Duration> = (0..200).map(|_| Backoff::jittered(Duration::from_millis(400))).collect();
        assert!(drawn.iter().all(|d| (Duration::from_millis(300)..=Duration::from_millis(400)).contains(d)));
        let distinct: std::collections::BTreeSet<_> = drawn.iter().collect();
        assert!(distinct.len() > 50, "jitter should spread the pauses, got {} distinct", distinct.len());
        assert_eq!(Backoff::poll(Duration::from_secs(10)).first, Duration::from_millis(200));
        assert_eq!(Backoff::poll(Duration::from_millis(50)).first, Duration::from_millis(50));
    }

    #[tokio::test]
    async fn polls_until_ready() {
        let calls = AtomicU32::new(0);
        let got = poll(WHAT, Duration::from_secs(60), FAST, &CancellationToken::new(), || async {
            Ok((calls.fetch_add(1, Ordering::SeqCst) == 3).then_some("ready"))
        })
        .await;
        assert_eq!(got.unwrap(), "ready");
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn poll_times_out() {
        let got: Result<(), _> =
            poll(WHAT, Duration::from_millis(30), FAST, &CancellationToken::new(), || async { Ok(None) }).await;
        let e = got.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Timeout);
        assert_eq!(e.to_string(), "waiting for the test (x): timed out", "the wait names itself");
    }

    #[tokio::test]
    async fn a_stop_ends_a_wait_at_once() {
        let stop = CancellationToken::new();
        let calls = AtomicU32::new(0);
        let started = Instant::now();
        let slow = Backoff { first: Duration::from_millis(10), max: Duration::from_secs(10) };
        let waiting = poll(WHAT, Duration::from_secs(600), slow, &stop, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(None::<()>)
        });
        let stopper = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            stop.cancel();
        };
        let (got, ()) = tokio::join!(waiting, stopper);
        assert_eq!(got.unwrap_err().kind, ErrorKind::Cancelled);
        // The pauses had grown past 300 ms, so only the stop can end it this soon.
        assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
        let n = calls.load(Ordering::SeqCst);
        assert!((2..10).contains(&n), "{n} polls before the stop");
    }

    #[tokio::test]
    async fn retries_only_the_accepted_errors() {
        let calls = AtomicU32::new(0);
        let never = CancellationToken::new();
        let is_in_use = |e: &AwsError| e.code() == Some("ResourceInUse");
        let got = retry_while(is_in_use, Duration::from_secs(60), FAST, &never, || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 { Err(in_use()) } else { Ok(7) }
        })
        .await;
        assert_eq!(got.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        let other = retry_while(is_in_use, Duration::from_secs(60), FAST, &never, || async {
            Err::<(), _>(AwsError::new("x", "y", ErrorKind::NotFound))
        })
        .await;
        assert!(other.unwrap_err().is_not_found());
    }

    #[tokio::test]
    async fn the_last_refusal_stands_when_time_runs_out() {
        let calls = AtomicU32::new(0);
        let got = retry_while(
            |e| e.code() == Some("ResourceInUse"),
            Duration::from_millis(40),
            FAST,
            &CancellationToken::new(),
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(in_use())
            },
        )
        .await;
        assert_eq!(got.unwrap_err().code(), Some("ResourceInUse"));
        assert!(calls.load(Ordering::SeqCst) >= 3, "retried before giving up");
    }
}
