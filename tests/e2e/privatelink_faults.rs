//! Faults the provider must absorb: the call budgets of a create, a refresh
//! and a destroy, throttling retried away, and a failed apply that loses
//! nothing. A fault-injecting proxy (tests/support/fault_proxy.py) sits
//! between the provider and moto.

use crate::common::hcl::config_of;
use crate::common::hcl::ip_broker;
use crate::common::hcl::with_brokers;
use crate::common::world;
use std::collections::BTreeMap;

use crate::common::aws::Aws;
use crate::common::hcl::faults;
use crate::common::{FaultProxy, Moto, Workspace};
use serde_json::json;

fn total(counts: &BTreeMap<String, u64>) -> u64 {
    counts.values().sum()
}

#[tokio::test]
async fn create_refresh_and_destroy_stay_within_their_call_budgets() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto);
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    for n in [3usize, 12] {
        let ws = Workspace::new(&faults(&net, n as u32).to_string()).with_aws_endpoint(&proxy.url);
        proxy.reset_counts();
        ws.apply();
        let calls = total(&proxy.counts());
        assert!(calls <= 3 * n as u64 + 16, "create of {n} brokers: {calls} calls > 3N+16: {:?}", proxy.counts());
        proxy.reset_counts();
        ws.ok(&["plan", "-refresh-only", "-no-color"]);
        let counts = proxy.counts();
        let calls = total(&counts);
        println!("refresh of {n} brokers: {calls} AWS calls {counts:?}");
        let target = n as u64 + 7 + (n as u64 + 1).div_ceil(20);
        assert!(calls <= target, "{n} brokers: {calls} calls > N+7+⌈(N+1)/20⌉ = {target}: {counts:?}");
        assert_eq!(counts.get("elbv2:DescribeTargetHealth"), Some(&(n as u64)), "one per target group");
        assert_eq!(counts.get("elbv2:DescribeListeners"), Some(&1), "listeners in one call");
        proxy.reset_counts();
        ws.ok(&["destroy", "-auto-approve", "-no-color"]);
        let counts = proxy.counts();
        let calls = total(&counts);
        assert!(calls <= 2 * n as u64 + 14, "destroy of {n} brokers: {calls} calls > 2N+14: {counts:?}");
        // The refresh reads the connections; the service's deletion is
        // refused by AWS itself while any are live, with no second read.
        assert_eq!(counts.get("ec2:DescribeVpcEndpointConnections"), Some(&1), "{counts:?}");
        assert!(aws.snapshot().await.is_empty());
    }
}

#[tokio::test]
async fn throttling_is_retried_until_it_succeeds() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto);
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    // Every third call of every kind is throttled, in each service's own shape.
    proxy.rules(&json!([{"action": "*", "code": "Throttling", "every": 3}]));
    let ws = Workspace::new(&faults(&net, 3).to_string()).with_aws_endpoint(&proxy.url);
    ws.apply();
    let snap = aws.snapshot().await;
    assert_eq!(snap.routes().len(), 3);
    assert_eq!(snap.services.len(), 1);
    proxy.rules(&json!([{"action": "*", "code": "RequestLimitExceeded", "every": 3}]));
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn a_failed_apply_keeps_everything_it_created() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto);
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    proxy.rules(&json!([{"action": "CreateListener", "code": "ValidationError", "calls": [3]}]));
    let ws = Workspace::new(&faults(&net, 3).to_string()).with_aws_endpoint(&proxy.url);
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.contains("creating ELBv2 Listener") && out.contains("ValidationError"), "{out}");

    // Terraform recorded the half-made resource (tainted), with what exists.
    let state: serde_json::Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let res = &state["values"]["root_module"]["resources"][0];
    assert_eq!(res["tainted"], true, "{res}");
    let brokers = res["values"]["brokers"].as_object().unwrap();
    let with_listener = brokers.values().filter(|b| b["listener_arn"].is_string()).count();
    let with_group = brokers.values().filter(|b| b["target_group_arn"].is_string()).count();
    assert_eq!((with_listener, with_group), (2, 3), "{res}");
    let snap = aws.snapshot().await;
    assert_eq!((snap.load_balancers.len(), snap.target_groups.len(), snap.listeners.len()), (1, 3, 2));

    // Even with the state lost, the next apply adopts what carries our
    // ownership tags instead of creating duplicates.
    std::fs::remove_file(ws.path().join("terraform.tfstate")).unwrap();
    proxy.rules(&json!([]));
    ws.apply();
    let snap = aws.snapshot().await;
    assert_eq!(
        (snap.load_balancers.len(), snap.target_groups.len(), snap.listeners.len(), snap.services.len()),
        (1, 3, 3, 1),
        "{snap:?}"
    );
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn zones_that_could_not_be_read_are_read_again() {
    let (moto, aws, net) = world().await;
    let proxy = FaultProxy::start(&moto);
    let ws = Workspace::new(&config_of(with_brokers(&net, "zones", &[ip_broker(&net, 1, 10)])))
        .with_aws_endpoint(&proxy.url);
    // the plan reads the subnets once; the apply's read after the create fails
    proxy.rules(&json!([{"action": "DescribeSubnets", "code": "UnauthorizedOperation", "calls": [3]}]));
    let out = ws.apply();
    assert!(out.contains("Availability zones not read"), "a warning says so:\n{out}");
    let zones = |ws: &Workspace| {
        let state: serde_json::Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
        state["values"]["root_module"]["resources"][0]["values"]["availability_zone_ids"].clone()
    };
    assert_eq!(zones(&ws), serde_json::Value::Null, "unknown, not an empty set for good");
    proxy.rules(&json!([]));
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    assert_eq!(zones(&ws).as_array().map(Vec::len), Some(3), "the next refresh reads them");
    ws.assert_no_changes();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}
