//! The waits of the consumer resources, declared the way hashicorp/aws
//! declares them in its services' `wait.go`: what is read, what goes on
//! waiting, what ends the wait, for how long, and a typed outcome. A
//! resource calls a waiter and matches its outcome; it never polls, and a
//! waiter's timeout is read as an answer here and nowhere else.
//!
//! (The waits of `kafka_privatelink`'s objects run inside its schedule:
//! `execute` and the per-object waiters of `ec2` and `elbv2`.)

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{AwsError, ErrorKind, ec2, retry};
use crate::domain::connections::{Connection, Consumer, Found, accepted_by_others, find, sighting};

/// How long a new object may stay unknown to EC2's and ELBv2's other calls:
/// hashicorp/aws's propagation timeout (5 minutes).
pub const PROPAGATION: Duration = Duration::from_secs(300);

/// How often a consumer's connections are read while waiting.
const POLL: Duration = Duration::from_secs(5);

/// How long an accepter by account waits for a request of its own once
/// the only connections of its account it sees are accepted ones (the
/// service's own acceptance, another accepter's, or its own from an
/// interrupted apply): half its create timeout, at most this. AWS records
/// no owner of an acceptance, so which of them it is cannot be known; the
/// grace lets another accepter's consumer's request, which may come minutes
/// later, arrive before the accepter gives up and says what it saw.
const GRACE: Duration = Duration::from_secs(10 * 60);

/// What the wait for a consumer's request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    One(Connection),
    /// Several requests of the account wait: their endpoints.
    Ambiguous(Vec<String>),
    /// Requests of the account were accepted by someone else while the
    /// accepter waited, for its grace, and none waits: their endpoints.
    TakenByOthers(Vec<String>),
    /// Connections of the account were accepted before the accepter first
    /// looked, and no request waited for its grace: their endpoints (an
    /// interrupted apply of this accepter, another accepter's, the
    /// service's own acceptance).
    AcceptedBefore(Vec<String>),
    /// None came in time: what was seen instead, in words.
    NoneCame(String),
}

/// How long a wait may take, and Terraform's stop, which ends it at once.
#[derive(Debug, Clone, Copy)]
pub struct Bounds<'a> {
    pub timeout: Duration,
    pub stop: &'a CancellationToken,
}

/// One consumer endpoint's connection to a service.
#[derive(Debug, Clone, Copy)]
pub struct EndpointOf<'a> {
    pub ec2c: &'a aws_sdk_ec2::Client,
    pub service: &'a str,
    pub endpoint: &'a str,
}

/// Waits for `consumer`'s request on `service`. A new service unknown to
/// EC2 counts as "none yet" for at most [`PROPAGATION`].
pub async fn connection_request(
    ec2c: &aws_sdk_ec2::Client,
    service: &str,
    consumer: &Consumer,
    bounds: &Bounds<'_>,
) -> Result<Request, AwsError> {
    let (timeout, stop) = (bounds.timeout, bounds.stop);
    let unknown_since = OnceLock::new();
    let first: OnceLock<Vec<Connection>> = OnceLock::new();
    let last = Mutex::new(Vec::new());
    let taken_since = OnceLock::new();
    let started = Instant::now();
    let grace = GRACE.min(timeout / 2);
    let waiting =
        retry::Waiting { action: "waiting for a consumer's EC2 VPC Endpoint connection request", object: service };
    let waited = retry::poll(waiting, timeout, retry::Backoff::poll(POLL), stop, || async {
        let cs = match ec2::connections(ec2c, service).await {
            Ok(cs) => cs,
            Err(e) if e.is_not_found() => {
                let since = unknown_since.get_or_init(Instant::now);
                return if since.elapsed() < PROPAGATION { Ok(None) } else { Err(e) };
            }
            Err(e) => return Err(e),
        };
        let before = first.get_or_init(|| cs.clone());
        if let Ok(mut l) = last.lock() {
            l.clone_from(&cs);
        }
        Ok(match find(consumer, &cs) {
            Found::One(c) => Some(Request::One(c)),
            Found::Ambiguous(ids) => Some(Request::Ambiguous(ids)),
            Found::Nothing => {
                let taken = accepted_by_others(consumer, before, &cs);
                if taken.is_empty() {
                    let earlier = accepted_by_others(consumer, &[], &cs);
                    (!earlier.is_empty() && started.elapsed() >= grace).then_some(Request::AcceptedBefore(earlier))
                } else {
                    let since = taken_since.get_or_init(Instant::now);
                    (since.elapsed() >= grace).then_some(Request::TakenByOthers(taken))
                }
            }
        })
    })
    .await;
    match waited {
        Err(e) if e.kind == ErrorKind::Timeout => {
            let seen = last.lock().map(|l| l.clone()).unwrap_or_default();
            Ok(Request::NoneCame(sighting(consumer, &seen)))
        }
        other => other,
    }
}

/// Accepts `endpoint`'s request on `service`. Like the wait, the accept may
/// not know a service made a moment ago: retried for [`PROPAGATION`]. A
/// failure after which AWS shows the connection accepted (a stale read
/// before the accept) is success: AWS answers per endpoint.
pub async fn accept_request(c: &EndpointOf<'_>, bounds: &Bounds<'_>) -> Result<(), AwsError> {
    let EndpointOf { ec2c, service, endpoint } = *c;
    let (timeout, stop) = (bounds.timeout, bounds.stop);
    let one = BTreeSet::from([endpoint.to_owned()]);
    let accepting = || ec2::accept_connections(ec2c, service, &one);
    let window = PROPAGATION.min(timeout);
    let Err(e) = retry::retry_while(AwsError::is_not_found, window, retry::Backoff::PROPAGATION, stop, accepting).await
    else {
        return Ok(());
    };
    let settled = match ec2::connections(ec2c, service).await {
        Ok(now) => now.iter().any(|n| n.endpoint_id == endpoint && n.is_live() && !n.is_pending_acceptance()),
        Err(_) => false,
    };
    if settled { Ok(()) } else { Err(e) }
}

/// Rejects `endpoint`'s connection and waits until it is no longer live.
/// One already rejected, or whose endpoint or service is gone, is done.
pub async fn connection_released(c: &EndpointOf<'_>, bounds: &Bounds<'_>) -> Result<(), AwsError> {
    let EndpointOf { ec2c, service, endpoint } = *c;
    let (timeout, stop) = (bounds.timeout, bounds.stop);
    let live = |cs: &[Connection]| cs.iter().any(|c| c.endpoint_id == endpoint && c.is_live());
    match ec2::reject_connections(ec2c, service, &[endpoint.to_owned()]).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => {
            let now = match ec2::connections(ec2c, service).await {
                Ok(now) => now,
                Err(n) if n.is_not_found() => return Ok(()),
                Err(n) => return Err(n),
            };
            if live(&now) {
                return Err(e);
            }
        }
    }
    let waiting =
        retry::Waiting { action: "waiting for the rejected EC2 VPC Endpoint connection to end", object: service };
    retry::poll(waiting, timeout, retry::Backoff::poll(POLL), stop, || async {
        match ec2::connections(ec2c, service).await {
            Ok(now) => Ok((!live(&now)).then_some(())),
            Err(e) if e.is_not_found() => Ok(Some(())),
            Err(e) => Err(e),
        }
    })
    .await
}

/// Whether a principal is allowed on a service, as a wait for one answer
/// settles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Listed,
    NotListed,
    /// EC2 does not know the service (gone, or made a moment ago).
    ServiceUnknown,
}

/// Reads `service`'s principals until `principal` is listed as `expected`
/// (`Listed` or `NotListed`), for at most `within`: a principal added a
/// moment ago may not be listed yet, one removed a moment ago may still
/// be. The answer when `within` passes is the other one.
pub async fn principal_listing(
    ec2c: &aws_sdk_ec2::Client,
    service: &str,
    principal: &str,
    expected: Listing,
    within: Duration,
    stop: &CancellationToken,
) -> Result<Listing, AwsError> {
    let waiting = retry::Waiting { action: "reading EC2 VPC Endpoint Service allowed principals", object: service };
    let read = retry::poll(waiting, within, retry::Backoff::poll(within / 4), stop, || async {
        let now = match ec2::allowed_principals(ec2c, service).await {
            Ok(all) if all.contains(principal) => Listing::Listed,
            Ok(_) => Listing::NotListed,
            Err(e) if e.is_not_found() => return Ok(Some(Listing::ServiceUnknown)),
            Err(e) => return Err(e),
        };
        Ok((now == expected).then_some(now))
    })
    .await;
    match read {
        Err(e) if e.kind == ErrorKind::Timeout => {
            Ok(if expected == Listing::Listed { Listing::NotListed } else { Listing::Listed })
        }
        other => other,
    }
}
