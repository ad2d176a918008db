//! Real AWS is not moto. Each test turns on one of AWS's own behaviours in
//! the test proxy ("AWS BEHAVIOURS" in tests/support/fault_proxy.py: objects
//! not yet visible after their create, load balancers and services still in
//! flight, a deleted service still `Deleting`, a stale connection state, an
//! instance not yet running, throttling) and shows that an apply or a
//! destroy waits it out: it succeeds, nothing is tainted or replaced, the
//! next plan (AWS having caught up) is empty, and nothing is orphaned.
//! `soak_every_behaviour_at_once` runs them all together over random edits
//! (`make soak-aws` runs it long).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::common::aws::Network;
use crate::common::hcl::{Block, Config, PRINCIPAL, faults, list, object, privatelink, s};
use crate::common::{Rng, Stage, Workspace, env_number};

/// `consistency` over brokers `ids` ([`privatelink`]); each test edits it.
fn setup(net: &Network, ids: &[u32]) -> Block {
    privatelink("consistency", net, ids.iter().copied())
}

/// The configuration of one resource.
fn tf(resource: Block) -> String {
    Config::new().with(resource).to_string()
}

/// The endpoint service's `name` set to `value`.
fn service(name: &str, value: impl std::fmt::Display) -> impl FnOnce(Block) -> Block {
    move |e| e.set(name, value)
}

/// What these tests ask of their stage, beside `common::Stage`'s own.
impl Stage {
    /// Runs `args` with `behaviours` on; then AWS catches up (behaviours
    /// off) and the plan must be empty. Returns what fired.
    fn under(&self, ws: &Workspace, behaviours: &Value, args: &[&str]) -> BTreeMap<String, u64> {
        self.proxy.reset_counts();
        self.proxy.aws(behaviours);
        let out = ws.terraform(args);
        let fired: BTreeMap<String, u64> =
            self.proxy.counts().into_iter().filter(|(k, _)| k.starts_with("aws:")).collect();
        self.proxy.aws(&json!({}));
        assert!(
            out.status.success(),
            "terraform {args:?} failed under {behaviours} (fired: {fired:?})\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        fired
    }

    fn apply_under(&self, ws: &Workspace, behaviours: &Value) -> BTreeMap<String, u64> {
        let fired = self.under(ws, behaviours, &["apply", "-auto-approve", "-no-color"]);
        let state = ws.ok(&["show", "-no-color"]);
        assert!(!state.contains("tainted"), "the resource is tainted after an apply that succeeded:\n{state}");
        ws.assert_no_changes();
        fired
    }

    fn destroy_under(&self, ws: &Workspace, behaviours: &Value) -> BTreeMap<String, u64> {
        self.under(ws, behaviours, &["destroy", "-auto-approve", "-no-color"])
    }

    /// The load balancer, target groups and service moto holds.
    async fn ids(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        let s = self.aws.snapshot().await;
        (
            s.load_balancers,
            s.target_groups.values().map(|t| t.0.clone()).collect(),
            s.services.keys().cloned().collect(),
        )
    }
}

fn fired(counts: &BTreeMap<String, u64>, key: &str) -> u64 {
    counts.get(key).copied().unwrap_or(0)
}

#[tokio::test]
async fn objects_not_yet_visible_after_their_create_are_waited_for() {
    let w = Stage::new().await;
    let ws = w.workspace(&tf(setup(&w.net, &[1, 2, 3]).set("tcp_idle_timeout", 600)));
    let on = json!({"invisible": 2});
    let counts = w.apply_under(&ws, &on);
    for code in
        ["LoadBalancerNotFound", "TargetGroupNotFound", "ListenerNotFound", "InvalidVpcEndpointServiceId.NotFound"]
    {
        assert!(fired(&counts, &format!("aws:invisible:{code}")) > 0, "{code} never answered: {counts:?}");
    }
    let (lbs, groups, services) = w.ids().await;
    assert_eq!((lbs.len(), groups.len(), services.len()), (1, 3, 1), "one of each, none twice");
    let routes = w.aws.snapshot().await.routes();
    assert_eq!(routes.len(), 3, "every broker behind its listener: {routes:?}");

    // An update that creates a group (a new broker) meets the same.
    ws.write("main.tf", &tf(setup(&w.net, &[1, 2, 3, 4]).set("tcp_idle_timeout", 600)));
    let counts = w.apply_under(&ws, &on);
    assert!(fired(&counts, "aws:invisible:TargetGroupNotFound") > 0, "{counts:?}");
    assert_eq!(w.ids().await.0, lbs, "the same load balancer: nothing replaced");
    assert_eq!(w.ids().await.2, services, "the same endpoint service: its name, which consumers hold, kept");

    w.destroy_under(&ws, &on);
    assert!(w.aws.snapshot().await.is_empty(), "nothing orphaned");
}

#[tokio::test]
async fn a_load_balancer_provisioning_then_impaired_is_waited_through() {
    let w = Stage::new().await;
    let ws = w.workspace(&tf(setup(&w.net, &[1, 2])));
    let counts = w.apply_under(&ws, &json!({"provisioning": 2, "impaired": 2}));
    assert_eq!(fired(&counts, "aws:provisioning"), 2, "{counts:?}");
    assert_eq!(fired(&counts, "aws:impaired"), 2, "{counts:?}");
    assert_eq!(w.ids().await.2.len(), 1, "the service was created once the load balancer was active");
}

#[tokio::test]
async fn a_service_pending_after_its_create_and_each_change_is_waited_for() {
    let w = Stage::new().await;
    let on = json!({"pending": 2, "invisible": 1});
    let ws = w.workspace(&tf(setup(&w.net, &[1, 2]).set("cross_zone_load_balancing", true)));
    let counts = w.apply_under(&ws, &on);
    assert!(fired(&counts, "aws:pending") >= 2, "{counts:?}");
    let services = w.ids().await.2;

    // A change of the service sends it back to Pending; the principals
    // change after it waits for Available again.
    let changed = setup(&w.net, &[1, 2]).set("cross_zone_load_balancing", true).edit("endpoint_service", |e| {
        e.set("acceptance_required", false)
            .set("supported_regions", list([s("us-west-2")]))
            .set("allowed_principals", list([s(PRINCIPAL), s("arn:aws:iam::210987654321:root")]))
    });
    ws.write("main.tf", &tf(changed));
    let counts = w.apply_under(&ws, &on);
    assert!(fired(&counts, "aws:pending") >= 2, "{counts:?}");
    let snapshot = w.aws.snapshot().await;
    let (acceptance, principals, regions) = &snapshot.services[&services[0]];
    assert!(!acceptance);
    assert_eq!(principals.len(), 2, "{principals:?}");
    assert!(regions.contains("us-west-2"), "{regions:?}");

    // While AWS still adds a region (Pending) or removes one (Deleting), a
    // plan neither adds nor removes it again.
    let in_flight = |added: &[&str], removed: &[&str]| json!({"regions": 100, "regions_in_flight": {&services[0]: {"added": added, "removed": removed}}});
    w.proxy.reset_counts();
    w.proxy.aws(&in_flight(&["us-west-2"], &[]));
    ws.assert_no_changes();
    assert!(fired(&w.proxy.counts(), "aws:regions") > 0, "the region was shown Pending");
    w.proxy.aws(&json!({}));
    ws.write(
        "main.tf",
        &tf(setup(&w.net, &[1, 2])
            .set("cross_zone_load_balancing", true)
            .edit("endpoint_service", service("acceptance_required", false))),
    );
    let counts = w.apply_under(&ws, &json!({"regions": 2, "pending": 1}));
    assert!(fired(&counts, "aws:regions") > 0, "{counts:?}");
    w.proxy.reset_counts();
    w.proxy.aws(&in_flight(&[], &["us-west-2"]));
    ws.assert_no_changes();
    assert!(fired(&w.proxy.counts(), "aws:regions") > 0, "the region was shown Deleting");
    w.proxy.aws(&json!({}));
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(w.aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn destroy_waits_until_the_service_is_gone_before_the_load_balancer() {
    let w = Stage::new().await;
    let ws = w.workspace(&tf(setup(&w.net, &[1, 2])));
    ws.apply();
    let counts = w.destroy_under(&ws, &json!({"deleting": 3}));
    assert!(fired(&counts, "aws:deleting") > 0, "the service was seen Deleting: {counts:?}");
    assert!(w.aws.snapshot().await.is_empty(), "the load balancer and its groups went too");

    // AWS's refusal itself ("currently associated with another service"),
    // should the service's state read gone early, is retried.
    ws.apply();
    w.proxy.rules(&json!([{"action": "DeleteLoadBalancer", "code": "ResourceInUse", "calls": [1, 2]}]));
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    w.proxy.rules(&json!([]));
    assert!(w.proxy.counts()["elbv2:DeleteLoadBalancer"] >= 3, "refused twice, then deleted");
    assert!(w.aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn an_accepted_connection_read_back_stale_is_waited_for() {
    let w = Stage::new().await;
    let ws = w.workspace(&tf(setup(&w.net, &[1]).edit("endpoint_service", service("auto_accept", true))));
    ws.apply();
    let service = w.ids().await.2.remove(0);
    w.proxy.connect(&service, "vpce-0consumer000001", "123456789012", "pendingAcceptance");
    let counts = w.apply_under(&ws, &json!({"stale_accept": 2}));
    assert_eq!(fired(&counts, "aws:stale_accept"), 2, "{counts:?}");
    let state: Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let connections = &state["values"]["root_module"]["resources"][0]["values"]["endpoint_service"][0]["connections"];
    assert_eq!(connections[0]["state"], "available", "{connections}");
}

#[tokio::test]
async fn an_instance_not_yet_running_is_registered_once_it_runs() {
    let w = Stage::new().await;
    let instance = w.aws.instance(&w.net, 1, &format!("{}.10", w.net.subnets[1].prefix), None).await;
    let main_tf = tf(setup(&w.net, &[1]).map("brokers", [(1, object([("instance_id", s(&instance))]))]));
    let ws = w.workspace(&main_tf);
    let counts = w.apply_under(&ws, &json!({"starting": 2}));
    assert_eq!(fired(&counts, "aws:starting"), 2, "{counts:?}");
    let targets: Vec<_> = w.aws.snapshot().await.target_groups.into_values().flat_map(|t| t.2).collect();
    assert_eq!(targets, [format!("{instance}:9092")]);
}

#[tokio::test]
async fn a_throttling_storm_slows_an_apply_down_and_fails_nothing() {
    let w = Stage::new().await;
    let ws = w.workspace(&tf(setup(&w.net, &[1, 2, 3])));
    let storm = json!({"throttle": 0.3, "seed": 7});
    let mut throttled = w.apply_under(&ws, &storm)["aws:throttle"];
    ws.write("main.tf", &tf(setup(&w.net, &[1, 3, 4])));
    throttled += w.apply_under(&ws, &storm)["aws:throttle"];
    throttled += w.destroy_under(&ws, &storm)["aws:throttle"];
    assert!(throttled >= 10, "the storm hit {throttled} calls");
    assert!(w.aws.snapshot().await.is_empty());
}

/// Every behaviour at once, as a busy AWS account would show them, over a
/// random sequence of applies (brokers added, removed and moved, the
/// service's settings changed) and destroys. After every step: it
/// succeeded, the next plan is empty, moto holds exactly what the state
/// names (nothing orphaned, nothing twice), and an apply replaced neither
/// the load balancer nor the endpoint service. Seeded: `AWS_SOAK_SEED`,
/// `AWS_SOAK_RUNS` (default 1) and `AWS_SOAK_STEPS` (default 3); a failure
/// prints the seed and the steps. `make soak-aws` runs it long.
#[tokio::test]
async fn soak_every_behaviour_at_once() {
    let seed = env_number("AWS_SOAK_SEED", 0xa115_2026);
    let runs = env_number("AWS_SOAK_RUNS", 1);
    let steps = env_number("AWS_SOAK_STEPS", 3);
    assert!(runs > 0 && steps > 0, "AWS_SOAK_RUNS and AWS_SOAK_STEPS must be positive");
    for r in 0..runs {
        soak(seed.wrapping_add(r * 7919), steps).await;
    }
}

async fn soak(seed: u64, steps: u64) {
    let w = Stage::new().await;
    let mut rng = Rng::new(seed);
    let mut ids: Vec<u32> = vec![1, 2, 3];
    let mut next_id = 4;
    let mut accept_all = true;
    let mut done: Vec<String> = vec![format!("create brokers {ids:?}")];
    let config = |ids: &[u32], accept_all: bool| {
        let resource = setup(&w.net, ids).set("tcp_idle_timeout", 600);
        tf(if accept_all { resource } else { resource.edit("endpoint_service", service("acceptance_required", false)) })
    };
    let ws = w.workspace(&config(&ids, accept_all));
    let mut anchors = None;
    for step in 0..=steps {
        let behaviours = json!({
            "invisible": 1, "provisioning": 1, "impaired": 1, "pending": 1, "regions": 1,
            "deleting": 2, "stale_accept": 1, "starting": 1, "throttle": 0.1, "seed": seed + step,
        });
        let destroy = step > 0 && rng.below(4) == 0;
        if step > 0 && !destroy {
            match rng.below(3) {
                0 if ids.len() < 5 => {
                    ids.push(next_id);
                    done.push(format!("add broker {next_id}"));
                    next_id += 1;
                }
                1 if ids.len() > 1 => {
                    let gone = ids.remove(rng.below(ids.len() as u64) as usize);
                    done.push(format!("remove broker {gone}"));
                }
                _ => {
                    accept_all = !accept_all;
                    done.push(format!("acceptance_required = {accept_all}"));
                }
            }
            ws.write("main.tf", &config(&ids, accept_all));
        }
        let outcome = std::panic::AssertUnwindSafe(async {
            if destroy {
                done.push("destroy".into());
                w.destroy_under(&ws, &behaviours);
                assert!(w.aws.snapshot().await.is_empty(), "destroy left objects behind");
                anchors = None;
                return;
            }
            w.apply_under(&ws, &behaviours);
            let (lbs, groups, services) = w.ids().await;
            assert_eq!(lbs.len(), 1, "one load balancer: {lbs:?}");
            assert_eq!(groups.len(), ids.len(), "one group per broker, nothing orphaned: {groups:?}");
            assert_eq!(services.len(), 1, "one endpoint service: {services:?}");
            assert_eq!(w.aws.snapshot().await.routes().len(), ids.len(), "every broker behind a listener");
            if let Some(before) = &anchors {
                assert_eq!(before, &(lbs.clone(), services.clone()), "an apply replaced the load balancer or service");
            }
            anchors = Some((lbs, services));
        });
        if let Err(panic) = futures_catch(outcome).await {
            let listed: String = done.iter().enumerate().map(|(i, s)| format!("  {}. {s}\n", i + 1)).collect();
            panic!("AWS soak failed (AWS_SOAK_SEED={seed}) after:\n{listed}{panic}");
        }
    }
    w.destroy_under(&ws, &json!({"invisible": 1, "deleting": 2, "throttle": 0.1, "seed": seed}));
    assert!(w.aws.snapshot().await.is_empty(), "the last destroy leaves nothing");
}

/// Runs `f`, turning a panic into its message.
async fn futures_catch<F: std::future::Future<Output = ()>>(f: std::panic::AssertUnwindSafe<F>) -> Result<(), String> {
    use futures::FutureExt as _;
    f.catch_unwind().await.map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

#[tokio::test]
async fn a_subnet_created_a_moment_ago_is_waited_for_at_plan() {
    let w = Stage::new().await;
    let ws = w.workspace(&tf(setup(&w.net, &[1, 2])));
    let hidden = &w.net.subnets[2].id;
    // The apply's own plans (and the one before it) meet a VPC that does
    // not list the subnet for its first reads.
    let counts = w.apply_under(&ws, &json!({"hidden_subnets": {hidden: 2}}));
    assert_eq!(fired(&counts, "aws:hidden_subnets"), 2, "{counts:?}");
    assert_eq!(w.ids().await.0.len(), 1);
}

/// What the docs tell a user whose create failed for good: untaint, then
/// apply, keeps the endpoint service (its name is what consumers hold).
#[tokio::test]
async fn a_create_that_failed_for_good_is_kept_by_untaint_then_apply() {
    let w = Stage::new().await;
    let ws = w.workspace(&tf(setup(&w.net, &[1, 2])));
    w.proxy.rules(&json!([
        {"action": "ModifyVpcEndpointServicePermissions", "code": "InvalidPrincipal", "calls": [1]},
    ]));
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.contains("InvalidPrincipal"), "{out}");
    assert!(ws.ok(&["show", "-no-color"]).contains("tainted"));
    let (lbs, _, services) = w.ids().await;
    assert_eq!((lbs.len(), services.len()), (1, 1));
    w.proxy.rules(&json!([]));
    ws.ok(&["untaint", "kafka_privatelink.k"]);
    ws.apply();
    ws.assert_no_changes();
    assert_eq!(w.ids().await, (lbs, w.ids().await.1, services), "the same load balancer and endpoint service");
    assert_eq!(w.aws.snapshot().await.services.values().next().map(|s| s.1.len()), Some(1), "principal set");
}

#[tokio::test]
async fn a_tag_read_naming_a_vanished_object_is_read_one_by_one() {
    let w = Stage::new().await;
    let ws = w.workspace(&tf(setup(&w.net, &[1, 2])));
    ws.apply();
    // AWS fails a whole DescribeTags batch when one ARN of it is gone.
    w.proxy.rules(&json!([{"action": "DescribeTags", "code": "TargetGroupNotFound", "calls": [1]}]));
    w.proxy.reset_counts();
    ws.assert_no_changes();
    assert!(w.proxy.counts()["elbv2:DescribeTags"] >= 3, "the batch, then one call per ARN: {:?}", w.proxy.counts());
    w.proxy.rules(&json!([]));
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
}

#[tokio::test]
async fn creation_waits_for_the_load_balancer_and_the_service() {
    let stage = Stage::new().await;
    let (proxy, aws, net) = (&stage.proxy, &stage.aws, &stage.net);
    // moto is ready at once; AWS is not. The first load balancer lookup (by
    // name) finds nothing, then the waits see "provisioning" twice; the
    // service's first two describes say "Pending".
    proxy.rules(&json!([
        {"action": "DescribeLoadBalancers", "rewrite": ["<Code>active</Code>", "<Code>provisioning</Code>"], "calls": [2, 3]},
        {"action": "DescribeVpcEndpointServiceConfigurations", "rewrite": ["Available", "Pending"], "calls": [1, 2]},
    ]));
    let ws = Workspace::new(&faults(net, 2).to_string()).with_aws_endpoint(&proxy.url);
    ws.apply();
    let counts = proxy.counts();
    assert!(counts["elbv2:DescribeLoadBalancers"] >= 4, "{counts:?}");
    assert!(counts["ec2:DescribeVpcEndpointServiceConfigurations"] >= 3, "{counts:?}");
    assert_eq!(aws.snapshot().await.services.len(), 1);
}

#[tokio::test]
async fn a_load_balancer_that_fails_to_provision_is_still_recorded() {
    let stage = Stage::new().await;
    let (proxy, aws, net) = (&stage.proxy, &stage.aws, &stage.net);
    // The plan looks for a load balancer of its name (1), so does the
    // apply's own plan (2) and its read (3); it creates it and waits for
    // it: the first poll (4) finds it failed.
    proxy.rules(&json!([
        {"action": "DescribeLoadBalancers", "rewrite": ["<Code>active</Code>", "<Code>failed</Code>"], "calls": [4]},
    ]));
    let ws = Workspace::new(&faults(net, 2).to_string()).with_aws_endpoint(&proxy.url);
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.contains("waiting for ELBv2 Load Balancer to become active"), "{out}");
    let state: serde_json::Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let res = &state["values"]["root_module"]["resources"][0];
    let lb = aws.snapshot().await.load_balancers;
    assert_eq!(res["values"]["load_balancer_arn"], lb[0].as_str(), "the load balancer is in state: {res}");
    assert_eq!(res["tainted"], true);
    proxy.rules(&json!([]));
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty(), "nothing orphaned");
}
