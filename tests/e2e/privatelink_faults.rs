//! What moto alone cannot show: the refresh call budget, throttling absorbed
//! by retries, and a failed apply that loses nothing. A fault-injecting proxy
//! (tests/support/fault_proxy.py) sits between the provider and moto.

use std::collections::BTreeMap;

use crate::common::aws::{Aws, Network};
use crate::common::{FaultProxy, Moto, Workspace};
use serde_json::json;

fn config(net: &Network, brokers: usize) -> String {
    let lines: String = (1..=brokers)
        .map(|i| format!("    \"{i}\" = {{ ip = \"{}.{}\" }}\n", net.subnets[i % 3].prefix, 10 + i))
        .collect();
    format!(
        r#"
terraform {{
  required_providers {{
    kafka = {{ source = "kafka-privatelink/kafka" }}
  }}
}}

provider "kafka" {{}}

resource "kafka_privatelink" "k" {{
  name       = "faults"
  vpc_id     = "{}"
  subnet_ids = {}
  brokers = {{
{lines}  }}
  endpoint_service {{
    allowed_principals = ["arn:aws:iam::123456789012:root"]
  }}
}}
"#,
        net.vpc,
        net.subnet_ids_hcl()
    )
}

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
        let ws = Workspace::new(&config(&net, n)).with_aws_endpoint(&proxy.url);
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
    let ws = Workspace::new(&config(&net, 3)).with_aws_endpoint(&proxy.url);
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
    let ws = Workspace::new(&config(&net, 3)).with_aws_endpoint(&proxy.url);
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
async fn destroy_refuses_live_connections_unless_told_to_reject_them() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto);
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(&net, 1)).with_aws_endpoint(&proxy.url);
    ws.apply();
    let service = aws.snapshot().await.services.keys().next().unwrap().clone();
    // A consumer endpoint is connected (moto cannot model one: the proxy
    // does, and refuses to delete the service while it is, as AWS does).
    proxy.connect(&service, "vpce-0consumer1", "111122223333", "available");

    // Unseen by the state (no refresh): AWS refuses the service's deletion.
    proxy.reset_counts();
    let out = ws.fails(&["destroy", "-auto-approve", "-no-color", "-refresh=false"]);
    assert!(out.contains("vpce-0consumer1") && out.contains("reject_connections_on_destroy"), "{out}");
    assert_eq!(proxy.counts().get("ec2:DeleteVpcEndpointServiceConfigurations"), Some(&1));
    // Seen by the refresh: refused before any call that changes anything.
    proxy.reset_counts();
    let out = ws.fails(&["destroy", "-auto-approve", "-no-color"]);
    assert!(out.contains("vpce-0consumer1") && out.contains("reject_connections_on_destroy"), "{out}");
    assert_eq!(proxy.counts().get("ec2:DeleteVpcEndpointServiceConfigurations"), None);
    let snap = aws.snapshot().await;
    assert_eq!(
        (snap.services.len(), snap.load_balancers.len(), snap.target_groups.len()),
        (1, 1, 1),
        "nothing deleted"
    );

    let with_reject = config(&net, 1)
        .replace("    allowed_principals", "    reject_connections_on_destroy = true\n    allowed_principals");
    ws.write("main.tf", &with_reject);
    ws.apply();
    proxy.reset_counts();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(proxy.counts().get("ec2:RejectVpcEndpointConnections"), Some(&1));
    assert!(aws.snapshot().await.is_empty());
    let connections = proxy.connections();
    assert_eq!(connections.len(), 1);
    assert_eq!(connections[0]["state"], "rejected", "{connections:?}");
}

#[tokio::test]
async fn creation_waits_for_the_load_balancer_and_the_service() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto);
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    // moto is ready at once; AWS is not. The first load balancer lookup (by
    // name) finds nothing, then the waits see "provisioning" twice; the
    // service's first two describes say "Pending".
    proxy.rules(&json!([
        {"action": "DescribeLoadBalancers", "rewrite": ["<Code>active</Code>", "<Code>provisioning</Code>"], "calls": [2, 3]},
        {"action": "DescribeVpcEndpointServiceConfigurations", "rewrite": ["Available", "Pending"], "calls": [1, 2]},
    ]));
    let ws = Workspace::new(&config(&net, 2)).with_aws_endpoint(&proxy.url);
    ws.apply();
    let counts = proxy.counts();
    assert!(counts["elbv2:DescribeLoadBalancers"] >= 4, "{counts:?}");
    assert!(counts["ec2:DescribeVpcEndpointServiceConfigurations"] >= 3, "{counts:?}");
    assert_eq!(aws.snapshot().await.services.len(), 1);
}

#[tokio::test]
async fn a_load_balancer_that_fails_to_provision_is_still_recorded() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto);
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    proxy.rules(&json!([
        {"action": "DescribeLoadBalancers", "rewrite": ["<Code>active</Code>", "<Code>failed</Code>"], "calls": [2]},
    ]));
    let ws = Workspace::new(&config(&net, 2)).with_aws_endpoint(&proxy.url);
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

#[tokio::test]
async fn max_retries_in_the_provider_block_is_honoured() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto);
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    // Every second call is throttled: one retry is always enough, none is not.
    proxy.rules(&json!([{"action": "*", "code": "Throttling", "every": 2}]));
    let no_retries = config(&net, 1).replace("provider \"kafka\" {}", "provider \"kafka\" {\n  max_retries = 0\n}");
    let ws = Workspace::new(&no_retries).with_aws_endpoint(&proxy.url);
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.contains("Throttling"), "{out}");
    ws.write("main.tf", &no_retries.replace("max_retries = 0", "max_retries = 1"));
    ws.apply();
    assert_eq!(aws.snapshot().await.routes().len(), 1);
}

#[tokio::test]
async fn a_provider_killed_mid_create_is_resumed_without_duplicates() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto);
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    // The first listener call never returns: the provider is frozen after
    // the load balancer and the groups exist.
    proxy.rules(&json!([{"action": "CreateListener", "hang": 60}]));
    let ws = Workspace::new(&config(&net, 3)).with_aws_endpoint(&proxy.url);
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

#[tokio::test]
async fn a_moved_broker_keeps_its_old_target_until_the_new_one_is_healthy() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto);
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(&net, 2)).with_aws_endpoint(&proxy.url);
    ws.apply();
    let old = format!("{}.11:9092", net.subnets[1].prefix);
    let new = format!("{}.99:9092", net.subnets[1].prefix);
    let port = *aws.snapshot().await.routes().iter().find(|(_, t)| t.contains(&old)).expect("broker 1's route").0;

    // Broker 1 moves, and its new address never becomes healthy (AWS
    // reports `initial` while health checks run; moto says `healthy` at once).
    proxy.rules(
        &json!([{"action": "DescribeTargetHealth", "rewrite": ["<State>healthy</State>", "<State>initial</State>"]}]),
    );
    let moved = config(&net, 2)
        .replace(&format!("{}.11", net.subnets[1].prefix), &format!("{}.99", net.subnets[1].prefix))
        .replace("  endpoint_service {", "  timeouts {\n    update = \"15s\"\n  }\n  endpoint_service {");
    ws.write("main.tf", &moved);
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.contains("waiting for new ELBv2 targets to become ready"), "{out}");
    let routes = aws.snapshot().await.routes();
    assert_eq!(
        routes[&port],
        [old.clone(), new.clone()].into(),
        "the old target serves on while the new one is not healthy"
    );

    // Once it is healthy, the next apply finishes the move.
    proxy.rules(&json!([]));
    ws.apply();
    assert_eq!(aws.snapshot().await.routes()[&port], [new].into());
    ws.assert_no_changes();
}

#[tokio::test]
async fn target_health_is_shown_and_never_a_reason_for_a_change() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto);
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(&net, 2)).with_aws_endpoint(&proxy.url);
    ws.apply();
    let health = |ws: &Workspace| -> Vec<(String, serde_json::Value, serde_json::Value)> {
        let state: serde_json::Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
        let health =
            state["values"]["root_module"]["resources"][0]["values"]["target_health"].as_object().unwrap().clone();
        health.into_iter().map(|(k, h)| (k, h["state"].clone(), h["reason"].clone())).collect()
    };
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    let seen = health(&ws);
    assert_eq!(seen.len(), 2);
    for (id, state, reason) in &seen {
        assert_eq!((state, reason), (&json!("healthy"), &serde_json::Value::Null), "broker {id}");
    }

    // Health checks start failing (AWS's own shape for it; moto never fails one).
    proxy.rules(&json!([{"action": "DescribeTargetHealth", "rewrite": [
        "<State>healthy</State>", "<State>unhealthy</State><Reason>Target.FailedHealthChecks</Reason>"
    ]}]));
    ws.assert_no_changes();
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    let seen = health(&ws);
    assert_eq!(seen.len(), 2);
    for (id, state, reason) in &seen {
        assert_eq!((state, reason), (&json!("unhealthy"), &json!("Target.FailedHealthChecks")), "broker {id}");
    }
}
