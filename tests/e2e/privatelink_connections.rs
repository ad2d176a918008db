//! The consumer-connection lifecycle of the endpoint service under the real
//! Terraform: connections shown, accepted with `auto_accept` (and named in
//! the plan), others left alone, rejected with `reject_unlisted`, and a
//! removed principal's connections rejected with it. moto 5.2.5 lacks the
//! connection APIs; the test proxy answers them with state that changes as
//! AWS's does (see tests/support/fault_proxy.py).

use crate::common::aws::{Aws, Network};
use crate::common::hcl::{Block, Config, faults, list, object, privatelink, s};
use crate::common::{Moto, Stage, Workspace};

const LISTED: &str = "111111111111";
const OTHER: &str = "222222222222";

/// One broker; the service allows `principals` and answers connections
/// as `flags` (`auto_accept`, `reject_unlisted`) say.
fn config(net: &Network, principals: &[String], flags: &[&str]) -> String {
    let resource = privatelink("conns", net, [])
        .map("brokers", [(1, object([("ip", s(format!("{}.10", net.subnets[0].prefix)))]))])
        .edit("endpoint_service", |e| {
            flags.iter().fold(e.set("allowed_principals", list(principals)), |e, flag| e.set(flag, true))
        });
    Config::new()
        .with(resource)
        .with(
            Block::labeled("output", "connections").set("value", "kafka_privatelink.k.endpoint_service[0].connections"),
        )
        .to_string()
}

fn listed() -> Vec<String> {
    vec![s(format!("arn:aws:iam::{LISTED}:role/consumer"))]
}

/// endpoint id → state, as the state shows them.
fn shown(ws: &Workspace) -> Vec<(String, String, String)> {
    let v = ws.output("connections");
    v.as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (s("endpoint_id"), s("owner"), s("state"))
        })
        .collect()
}

/// endpoint id → state, as AWS (the proxy) holds them.
async fn on_aws(aws: &Aws, service: &str) -> Vec<(String, String)> {
    let out = aws
        .ec2
        .describe_vpc_endpoint_connections()
        .filters(aws_sdk_ec2::types::Filter::builder().name("service-id").values(service).build())
        .send()
        .await
        .unwrap();
    let mut v: Vec<(String, String)> = out
        .vpc_endpoint_connections()
        .iter()
        .map(|c| {
            (
                c.vpc_endpoint_id().unwrap_or_default().to_owned(),
                c.vpc_endpoint_state().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

fn plan_exit(ws: &Workspace) -> (Option<i32>, String) {
    let out = ws.terraform(&["plan", "-detailed-exitcode", "-no-color"]);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[tokio::test]
async fn connections_are_shown_accepted_when_listed_and_rejected_only_when_asked() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(&net, &listed(), &[])).with_moto(&moto);
    ws.apply();
    let service = aws.snapshot().await.services.keys().next().unwrap().clone();
    let proxy = moto.proxy();
    proxy.connect(&service, "vpce-0aaaaaaaaaaaaaaa1", LISTED, "pendingAcceptance");
    proxy.connect(&service, "vpce-0bbbbbbbbbbbbbbb2", OTHER, "pendingAcceptance");
    proxy.connect(&service, "vpce-0ccccccccccccccc3", OTHER, "available");

    // Without auto_accept: shown, nothing to do.
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    let seen = shown(&ws);
    assert_eq!(
        seen,
        vec![
            ("vpce-0aaaaaaaaaaaaaaa1".into(), LISTED.into(), "pendingAcceptance".into()),
            ("vpce-0bbbbbbbbbbbbbbb2".into(), OTHER.into(), "pendingAcceptance".into()),
            ("vpce-0ccccccccccccccc3".into(), OTHER.into(), "available".into()),
        ]
    );
    assert_eq!(plan_exit(&ws).0, Some(0), "pending connections alone are no change");

    // auto_accept: the plan names the listed account's pending endpoint only.
    ws.write("main.tf", &config(&net, &listed(), &["auto_accept"]));
    let (code, plan) = plan_exit(&ws);
    assert_eq!(code, Some(2), "{plan}");
    assert!(plan.contains("Endpoint connections to accept"), "{plan}");
    assert!(plan.contains(&format!("accepts vpce-0aaaaaaaaaaaaaaa1 (account {LISTED}, pendingAcceptance)")), "{plan}");
    assert!(!plan.contains("vpce-0bbbbbbbbbbbbbbb2 (account"), "{plan}");
    ws.apply();
    assert_eq!(
        on_aws(&aws, &service).await,
        vec![
            ("vpce-0aaaaaaaaaaaaaaa1".into(), "available".into()),
            ("vpce-0bbbbbbbbbbbbbbb2".into(), "pendingAcceptance".into()),
            ("vpce-0ccccccccccccccc3".into(), "available".into()),
        ],
        "the other account's connections are left alone"
    );
    let (code, plan) = plan_exit(&ws);
    assert_eq!(code, Some(0), "{plan}");

    // A new listed consumer later: the next plan shows it, the apply accepts it.
    proxy.connect(&service, "vpce-0ddddddddddddddd4", LISTED, "pendingAcceptance");
    let (code, plan) = plan_exit(&ws);
    assert_eq!(code, Some(2), "{plan}");
    assert!(plan.contains("accepts vpce-0ddddddddddddddd4"), "{plan}");
    ws.apply();

    // reject_unlisted: the other account's pending and available ones go.
    ws.write("main.tf", &config(&net, &listed(), &["auto_accept", "reject_unlisted"]));
    let (code, plan) = plan_exit(&ws);
    assert_eq!(code, Some(2), "{plan}");
    assert!(plan.contains("Endpoint connections to reject"), "{plan}");
    assert!(plan.contains("vpce-0bbbbbbbbbbbbbbb2") && plan.contains("vpce-0ccccccccccccccc3"), "{plan}");
    ws.apply();
    let states = on_aws(&aws, &service).await;
    assert_eq!(
        states,
        vec![
            ("vpce-0aaaaaaaaaaaaaaa1".into(), "available".into()),
            ("vpce-0bbbbbbbbbbbbbbb2".into(), "rejected".into()),
            ("vpce-0ccccccccccccccc3".into(), "rejected".into()),
            ("vpce-0ddddddddddddddd4".into(), "available".into()),
        ]
    );
    assert_eq!(plan_exit(&ws).0, Some(0));

    // Removing the principal, with reject_unlisted: its account's
    // connections are rejected in the same apply.
    ws.write("main.tf", &config(&net, &[], &["auto_accept", "reject_unlisted"]));
    ws.apply();
    let states = on_aws(&aws, &service).await;
    assert!(!states.is_empty());
    assert!(states.iter().all(|(_, s)| s == "rejected"), "{states:?}");
    assert_eq!(plan_exit(&ws).0, Some(0));

    // Nothing is live any more: destroy needs no reject_connections_on_destroy.
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn destroy_refuses_live_connections_unless_told_to_reject_them() {
    let stage = Stage::new().await;
    let (proxy, aws, net) = (&stage.proxy, &stage.aws, &stage.net);
    let ws = Workspace::new(&faults(net, 1).to_string()).with_aws_endpoint(&proxy.url);
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

    let with_reject = faults(net, 1).edit(["kafka_privatelink", "k"], |k| {
        k.edit("endpoint_service", |e| e.set("reject_connections_on_destroy", true))
    });
    ws.write("main.tf", &with_reject.to_string());
    ws.apply();
    proxy.reset_counts();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(proxy.counts().get("ec2:RejectVpcEndpointConnections"), Some(&1));
    assert!(aws.snapshot().await.is_empty());
    let connections = proxy.connections();
    assert_eq!(connections.len(), 1);
    assert_eq!(connections[0]["state"], "rejected", "{connections:?}");
}
