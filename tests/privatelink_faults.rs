//! What moto alone cannot show: the refresh call budget, throttling absorbed
//! by retries, and a failed apply that loses nothing. A fault-injecting proxy
//! (tests/support/fault_proxy.py) sits between the provider and moto.

mod common;

use std::collections::BTreeMap;

use common::aws::{Aws, Network};
use common::{FaultProxy, Moto, Workspace};
use serde_json::json;

fn config(net: &Network, brokers: usize) -> String {
    let lines: String =
        (1..=brokers).map(|i| format!("    \"{i}\" = {{ ip = \"{}.{}\" }}\n", net.subnets[i % 3].2, 10 + i)).collect();
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
async fn refresh_stays_within_n_plus_8_calls() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto);
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    for n in [3usize, 12] {
        let ws = Workspace::new(&config(&net, n)).with_aws_endpoint(&proxy.url);
        ws.apply();
        proxy.reset_counts();
        ws.ok(&["plan", "-refresh-only", "-no-color"]);
        let counts = proxy.counts();
        let calls = total(&counts);
        println!("refresh of {n} brokers: {calls} AWS calls {counts:?}");
        assert!(calls <= n as u64 + 8, "{n} brokers: {calls} calls > N+8: {counts:?}");
        assert_eq!(counts.get("elbv2:DescribeTargetHealth"), Some(&(n as u64)), "one per target group");
        assert_eq!(counts.get("elbv2:DescribeListeners"), Some(&1), "listeners in one call");
        ws.ok(&["destroy", "-auto-approve", "-no-color"]);
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
    // A consumer endpoint is connected (moto cannot model one: the proxy answers).
    let connections = format!(
        r#"<DescribeVpcEndpointConnectionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><vpcEndpointConnectionSet><item><serviceId>{service}</serviceId><vpcEndpointId>vpce-0consumer1</vpcEndpointId><vpcEndpointOwner>111122223333</vpcEndpointOwner><vpcEndpointState>available</vpcEndpointState></item></vpcEndpointConnectionSet></DescribeVpcEndpointConnectionsResponse>"#
    );
    let rejected = r#"<RejectVpcEndpointConnectionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><unsuccessful/></RejectVpcEndpointConnectionsResponse>"#;
    proxy.rules(&json!([
        {"action": "DescribeVpcEndpointConnections", "respond": connections},
        {"action": "RejectVpcEndpointConnections", "respond": rejected},
    ]));

    let out = ws.fails(&["destroy", "-auto-approve", "-no-color"]);
    assert!(out.contains("vpce-0consumer1") && out.contains("reject_connections_on_destroy"), "{out}");
    let snap = aws.snapshot().await;
    assert_eq!((snap.services.len(), snap.load_balancers.len()), (1, 1), "nothing deleted");

    let with_reject = config(&net, 1)
        .replace("    allowed_principals", "    reject_connections_on_destroy = true\n    allowed_principals");
    ws.write("main.tf", &with_reject);
    ws.apply();
    proxy.reset_counts();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(proxy.counts().get("ec2:RejectVpcEndpointConnections"), Some(&1));
    assert!(aws.snapshot().await.is_empty());
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
