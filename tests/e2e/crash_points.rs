//! A provider killed after any AWS write: the write carried out by AWS, its
//! answer never received (a CI runner cancelled or evicted mid-apply), then
//! the same command run again. For every write of a destroy, and every
//! `CRASH_EVERY`-th write (default 5, from the first) and the last of a
//! create and an update (`make soak` runs every one), the next run converges: the apply succeeds (or, after a
//! create's very last write, says to import and the import converges), the
//! plan after it is empty, every broker is behind its own listener and
//! group, and nothing is duplicated or left behind.

use std::collections::BTreeSet;

use crate::common::aws::Network;
use serde_json::json;

use crate::common::hcl::{Config, broker_ip, faults, object, privatelink, s};
use crate::common::{CrashRun, Stage, Workspace};

/// Brokers `ids`, each on the `port` given with it.
fn config(net: &Network, brokers: &[(u32, u16)]) -> String {
    let entries =
        brokers.iter().map(|(id, port)| (*id, object([("ip", s(broker_ip(net, *id))), ("port", port.to_string())])));
    let resource = privatelink("crash", net, []).set("tcp_idle_timeout", 600).map("brokers", entries);
    Config::new().with(resource).to_string()
}

/// What these tests ask of their stage, beside `common::Stage`'s own.
impl Stage {
    /// The invariants after a converged apply of `brokers`.
    async fn converged(&self, ws: &Workspace, brokers: &[(u32, u16)], what: &str) {
        ws.assert_no_changes();
        let snap = self.aws.snapshot().await;
        assert_eq!(snap.load_balancers.len(), 1, "{what}: one load balancer: {snap:?}");
        assert_eq!(snap.services.len(), 1, "{what}: one endpoint service: {snap:?}");
        assert_eq!(snap.target_groups.len(), brokers.len(), "{what}: one group per broker, none left over: {snap:?}");
        let routes = snap.routes();
        let want: BTreeSet<BTreeSet<String>> = brokers
            .iter()
            .map(|(i, port)| {
                BTreeSet::from([format!("{}.{}:{port}", self.net.subnets[*i as usize % 3].prefix, 10 + i)])
            })
            .collect();
        let have: BTreeSet<BTreeSet<String>> = routes.values().cloned().collect();
        assert_eq!(routes.len(), brokers.len(), "{what}: a listener per broker: {routes:?}");
        assert_eq!(have, want, "{what}: every broker behind its own listener");
    }
}

const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color"];

/// The writes to kill an apply after: every `CRASH_EVERY`-th from the first,
/// then — once an apply finishes with fewer writes than the next point,
/// which tells how many it makes — the last one, if it was not a point.
struct CrashPoints {
    next: u32,
    every: u32,
    last_tried: u32,
    done: bool,
}

impl CrashPoints {
    fn new() -> Self {
        let every = crate::common::env_number("CRASH_EVERY", 5).max(1) as u32;
        Self { next: 1, every, last_tried: 0, done: false }
    }

    fn next(&mut self) -> Option<u32> {
        if self.done {
            return None;
        }
        let k = self.next;
        self.last_tried = k;
        self.next += self.every;
        Some(k)
    }

    /// An apply finished before the point: it makes `writes` writes.
    fn finished(&mut self, writes: u64) {
        let writes = writes as u32;
        if writes > 0 && self.last_tried > writes && self.last_tried.saturating_sub(self.every) < writes {
            self.next = writes;
            self.last_tried = writes;
        } else {
            self.done = true;
        }
    }
}
const DESTROY: &[&str] = &["destroy", "-auto-approve", "-no-color"];

#[tokio::test]
async fn a_create_killed_after_any_write_is_resumed() {
    let w = Stage::new().await;
    let brokers = [(1, 9092), (2, 9092)];
    let mut crashed = Vec::new();
    let mut points = CrashPoints::new();
    while let Some(k) = points.next() {
        let ws = Workspace::new(&config(&w.net, &brokers)).with_aws_endpoint(&w.proxy.url);
        let CrashRun::Crashed(write) = ws.crash_at_write(&w.proxy, k, APPLY) else {
            points.finished(w.proxy.write_count());
            ws.ok(DESTROY);
            continue;
        };
        crashed.push(write.clone());
        let out = ws.terraform(APPLY);
        if !out.status.success() {
            // After the very last write (the completion mark) nothing tells
            // this setup from another state's: the apply says to import it.
            let text = String::from_utf8_lossy(&out.stderr);
            assert!(text.contains("terraform import"), "write {k} ({write}): {text}");
            let lb = w.aws.snapshot().await.load_balancers.remove(0);
            ws.ok(&["import", "-no-color", "kafka_privatelink.k", &lb]);
            ws.apply();
        }
        w.converged(&ws, &brokers, &format!("create killed after write {k} ({write})")).await;
        ws.ok(DESTROY);
        assert!(w.aws.snapshot().await.is_empty(), "write {k} ({write}): destroy leaves nothing");
    }
    assert!(crashed.len() >= 3, "a create makes many writes: {crashed:?}");
}

#[tokio::test]
async fn an_update_killed_after_any_write_is_converged() {
    let w = Stage::new().await;
    let before = [(1, 9092), (2, 9092), (3, 9092)];
    // a new broker, a broker gone, a broker on a new port
    let after = [(1, 9092), (2, 9093), (4, 9092)];
    let ws = Workspace::new(&config(&w.net, &before)).with_aws_endpoint(&w.proxy.url);
    ws.apply();
    let mut crashed = Vec::new();
    let mut points = CrashPoints::new();
    while let Some(k) = points.next() {
        ws.write("main.tf", &config(&w.net, &after));
        let write = match ws.crash_at_write(&w.proxy, k, APPLY) {
            CrashRun::Crashed(write) => write,
            CrashRun::Finished(ok) => {
                assert!(ok, "the update failed by itself");
                points.finished(w.proxy.write_count());
                ws.write("main.tf", &config(&w.net, &before));
                ws.apply();
                continue;
            }
        };
        crashed.push(write.clone());
        ws.apply();
        w.converged(&ws, &after, &format!("update killed after write {k} ({write})")).await;
        ws.write("main.tf", &config(&w.net, &before));
        ws.apply();
        w.converged(&ws, &before, "back").await;
    }
    assert!(crashed.len() >= 2, "the update makes many writes: {crashed:?}");
    ws.ok(DESTROY);
    assert!(w.aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn a_destroy_killed_after_any_write_is_finished_by_the_next() {
    let w = Stage::new().await;
    let brokers = [(1, 9092), (2, 9092)];
    let mut crashed = Vec::new();
    for k in 1.. {
        let ws = Workspace::new(&config(&w.net, &brokers)).with_aws_endpoint(&w.proxy.url);
        ws.apply();
        let CrashRun::Crashed(write) = ws.crash_at_write(&w.proxy, k, DESTROY) else {
            assert!(w.aws.snapshot().await.is_empty());
            break;
        };
        crashed.push(write.clone());
        ws.ok(DESTROY);
        assert!(w.aws.snapshot().await.is_empty(), "destroy killed after write {k} ({write}) left objects");
    }
    assert!(crashed.len() >= 4, "a destroy makes several writes: {crashed:?}");
}

#[tokio::test]
async fn a_provider_killed_mid_create_is_resumed_without_duplicates() {
    let stage = Stage::new().await;
    let (proxy, aws, net) = (&stage.proxy, &stage.aws, &stage.net);
    // The first listener call never returns: the provider is frozen after
    // the load balancer and the groups exist.
    proxy.rules(&json!([{"action": "CreateListener", "hang": 60}]));
    let ws = Workspace::new(&faults(net, 3).to_string()).with_aws_endpoint(&proxy.url);
    let mut apply = ws.spawn(&["apply", "-auto-approve", "-no-color"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !proxy.counts().contains_key("elbv2:CreateListener") {
        assert!(std::time::Instant::now() < deadline, "the apply never reached CreateListener");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    crate::common::kill_provider(&apply);
    let status = apply.wait().unwrap();
    assert!(!status.success(), "an apply whose provider was killed fails");
    let half = aws.snapshot().await;
    assert_eq!((half.load_balancers.len(), half.target_groups.len(), half.listeners.len()), (1, 3, 0), "{half:?}");

    // Terraform stored nothing for the resource; the next apply resumes
    // the half-built objects by their token instead of duplicating them.
    proxy.rules(&json!([]));
    ws.apply();
    let snap = aws.snapshot().await;
    assert_eq!(snap.load_balancers, half.load_balancers, "the same load balancer");
    assert_eq!(snap.target_groups.keys().collect::<Vec<_>>(), half.target_groups.keys().collect::<Vec<_>>());
    assert_eq!((snap.listeners.len(), snap.services.len()), (3, 1), "{snap:?}");
    ws.assert_no_changes();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}

/// Brokers `ids` (on 9092), two to a load balancer.
fn spread(net: &Network, ids: &[u32]) -> String {
    Config::new().with(privatelink("crash", net, ids.iter().copied()).set("brokers_per_load_balancer", 2)).to_string()
}

impl Stage {
    /// The invariants after a converged apply of a spread of `ids` over
    /// `load_balancers` load balancers.
    async fn spread_converged(&self, ws: &Workspace, ids: &[u32], load_balancers: usize, what: &str) {
        ws.assert_no_changes();
        let snap = self.aws.snapshot().await;
        assert_eq!(snap.load_balancers.len(), load_balancers, "{what}: load balancers: {snap:?}");
        assert_eq!(snap.services.len(), load_balancers, "{what}: a service each: {snap:?}");
        assert_eq!(snap.target_groups.len(), ids.len(), "{what}: a group per broker, none left over: {snap:?}");
        let served: BTreeSet<BTreeSet<String>> =
            snap.routes_by_load_balancer().values().flat_map(|ports| ports.values().cloned()).collect();
        let want: BTreeSet<BTreeSet<String>> =
            ids.iter().map(|id| BTreeSet::from([format!("{}:9092", broker_ip(&self.net, *id))])).collect();
        assert_eq!(served, want, "{what}: every broker behind its own listener");
    }
}

/// A spread's create, its growth onto a new load balancer and its shrink
/// that empties one, each killed after every `SPREAD_CRASH_EVERY`-th AWS
/// write (default 12, from the first; `make soak` runs every one): the next
/// apply converges, with nothing duplicated or left behind.
#[tokio::test]
async fn a_spread_killed_after_a_write_of_its_create_growth_or_shrink_converges() {
    let w = Stage::new().await;
    let every = crate::common::env_number("SPREAD_CRASH_EVERY", 12) as usize;
    let mut crashed = Vec::new();
    // (brokers before, their load balancers; brokers after, theirs)
    let phases: [(&[u32], usize, &[u32], usize); 3] =
        [(&[], 0, &[1, 2, 3], 2), (&[1, 2, 3], 2, &[1, 2, 3, 4, 5], 3), (&[1, 2, 3, 4, 5], 3, &[1, 2, 5], 2)];
    for (before, _, after, lbs) in phases {
        for k in (1..).step_by(every) {
            let ws = Workspace::new(&spread(&w.net, before)).with_aws_endpoint(&w.proxy.url);
            if !before.is_empty() {
                ws.apply();
            }
            ws.write("main.tf", &spread(&w.net, after));
            let CrashRun::Crashed(write) = ws.crash_at_write(&w.proxy, k, APPLY) else {
                ws.ok(DESTROY);
                break;
            };
            let what = format!("{before:?} → {after:?} killed after write {k} ({write})");
            crashed.push(what.clone());
            let out = ws.terraform(APPLY);
            if !out.status.success() {
                // After a create's very last write nothing tells this setup
                // from another state's: it imports, by all its load balancers.
                let text = String::from_utf8_lossy(&out.stderr);
                assert!(before.is_empty() && text.contains("terraform import"), "{what}: {text}");
                let all = w.aws.snapshot().await.load_balancers.join(",");
                ws.ok(&["import", "-no-color", "kafka_privatelink.k", &all]);
                ws.apply();
            }
            w.spread_converged(&ws, after, lbs, &what).await;
            ws.ok(DESTROY);
            assert!(w.aws.snapshot().await.is_empty(), "{what}: destroy leaves nothing");
        }
    }
    assert!(crashed.len() >= 3, "every phase makes writes: {crashed:?}");
}

#[test]
fn crash_points_reach_the_last_write_whatever_the_stride() {
    for writes in [1usize, 2, 16, 17] {
        let mut points = CrashPoints { next: 1, every: 2, last_tried: 0, done: false };
        let mut tried = Vec::new();
        while let Some(k) = points.next() {
            if k as usize > writes {
                points.finished(writes as u64);
            } else {
                tried.push(k);
            }
        }
        assert!(!tried.is_empty());
        assert_eq!(tried.last().copied(), Some(writes as u32), "{writes} writes: {tried:?}");
        assert!(tried.windows(2).all(|w| w[1] - w[0] <= 2), "{tried:?}");
    }
}
