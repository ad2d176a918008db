//! Every example under `examples/` validates and plans under the real
//! Terraform against moto, and each one applies, plans empty and destroys
//! cleanly. An example's `consumer.tf` (the consumer's own provider) is
//! swapped for its emulation in `tests/support/consumers/`.
//! Examples use placeholder network ids (`vpc-0a1b2c3d4e5f60718`,
//! `subnet-0a1b2c3d4e5f607NN`, brokers in 10.0.1-3.x); the test creates that
//! network in moto and swaps the ids in, as a reader would with their own.

use std::path::{Path, PathBuf};

use crate::common::aws::{Aws, Network, Subnet};
use crate::common::{Moto, Workspace};

const VPC: &str = "vpc-0a1b2c3d4e5f60718";
const SUBNETS: [&str; 3] = ["subnet-0a1b2c3d4e5f60701", "subnet-0a1b2c3d4e5f60702", "subnet-0a1b2c3d4e5f60703"];
/// Broker instances and a security group, for examples that name them.
const INSTANCES: [&str; 3] = ["i-0a1b2c3d4e5f60701", "i-0a1b2c3d4e5f60702", "i-0a1b2c3d4e5f60703"];
const SECURITY_GROUP: &str = "sg-0a1b2c3d4e5f60718";
/// The consumer examples accept connections from.
const CONSUMER_ACCOUNT: &str = "210987654321";
const CONSUMER_PRINCIPAL: &str = "arn:aws:iam::210987654321:root";
/// The MSK cluster examples name: brokers 1, 2 and 4 (MSK replaced 3) at
/// 10.0.N.10 in subnet N, answered by the test proxy.
const MSK_CLUSTER: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-2";

/// Folders holding `.tf` files.
fn example_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut has_tf = false;
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            example_dirs(&p, out);
        } else if p.extension().is_some_and(|e| e == "tf") {
            has_tf = true;
        }
    }
    if has_tf {
        out.push(dir.to_path_buf());
    }
}

fn all_examples() -> Vec<String> {
    let repo = crate::common::repo();
    let mut dirs = Vec::new();
    example_dirs(&repo.join("examples"), &mut dirs);
    dirs.iter().map(|d| d.strip_prefix(&repo).unwrap().to_str().unwrap().to_owned()).collect()
}

/// The real ids of the placeholders the example's files name, made in moto:
/// broker instances at 10.0.N.10 in subnet N, a security group, an MSK
/// cluster.
async fn placeholders(ws: &Workspace, moto: &Moto, aws: &Aws, net: &Network) -> Vec<(String, String)> {
    let text: String = std::fs::read_dir(ws.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    let mut out = Vec::new();
    if text.contains(MSK_CLUSTER) {
        let brokers: Vec<serde_json::Value> = [(1, 0), (2, 1), (4, 2)]
            .iter()
            .map(|&(id, i)| {
                serde_json::json!({
                    "id": id,
                    "ip": format!("{}.10", net.subnets[i].prefix),
                    "subnet": net.subnets[i].id,
                    "host": format!("b-{id}.orders.abc123.c2.kafka.us-east-1.amazonaws.com"),
                })
            })
            .collect();
        let cluster = serde_json::json!({"arn": MSK_CLUSTER, "brokers": brokers});
        moto.proxy().post("/__msk", &cluster.to_string());
    }
    if text.contains(SECURITY_GROUP) {
        out.push((SECURITY_GROUP.to_owned(), aws.security_group(net, "example", None).await));
    }
    for (i, placeholder) in INSTANCES.iter().enumerate() {
        if text.contains(placeholder) {
            let id = aws.instance(net, i, &format!("{}.10", net.subnets[i].prefix), None).await;
            out.push(((*placeholder).to_owned(), id));
        }
    }
    out
}

/// A copy of the example wired to `moto` and to `net`.
async fn workspace(rel: &str, moto: &Moto, net: &Network, aws: &Aws) -> Workspace {
    let ws = Workspace::from_example(rel).with_moto(moto);
    // A consumer's own side (Materialize's, ClickHouse's provider) and a
    // Kubernetes cluster cannot be reached from here: their emulation, with
    // the same names, stands in.
    for (file, emulations) in [("consumer.tf", "consumers"), ("kubernetes.tf", "kubernetes")] {
        if ws.path().join(file).exists() {
            let name = Path::new(rel).file_name().and_then(|n| n.to_str()).expect("an example folder");
            let emulated = crate::common::repo().join(format!("tests/support/{emulations}/{name}.tf"));
            let text = std::fs::read_to_string(&emulated).unwrap_or_else(|e| panic!("{}: {e}", emulated.display()));
            ws.write(file, &text);
        }
    }
    let swaps = placeholders(&ws, moto, aws, net).await;
    let mut declares = false;
    for entry in std::fs::read_dir(ws.path()).unwrap().filter_map(Result::ok) {
        let p = entry.path();
        let Ok(mut text) = std::fs::read_to_string(&p) else { continue };
        declares |= text.contains("required_providers");
        text = text.replace(VPC, &net.vpc);
        for (placeholder, real) in &swaps {
            text = text.replace(placeholder, real);
        }
        for (placeholder, Subnet { id, .. }) in SUBNETS.iter().zip(&net.subnets) {
            text = text.replace(placeholder, id);
        }
        // The examples name real AWS regions; moto serves one.
        text = text.replace("\"us-west-2\"", "\"us-east-1\"");
        std::fs::write(&p, text).unwrap();
    }
    if !declares {
        // Registry-style snippets leave the provider requirement to the reader.
        ws.write(
            "versions.tf",
            &format!(
                "terraform {{\n  required_providers {{\n    kafka = {{ source = \"{}\" }}\n  }}\n}}\n",
                crate::common::PROVIDER_SOURCE
            ),
        );
    }
    ws
}

#[tokio::test]
async fn every_example_validates_plans_applies_and_destroys() {
    let examples = all_examples();
    assert!(examples.len() >= 6, "examples found: {examples:?}");
    for rel in examples {
        let moto = Moto::start();
        let aws = Aws::new(&moto).await;
        let net = aws.network(0).await;
        let mut ws = workspace(&rel, &moto, &net, &aws).await;
        let imports = std::fs::read_to_string(ws.path().join("main.tf")).is_ok_and(|t| t.contains("\nimport {"));
        if imports {
            let (_, svc) = aws.materialize_layout(&net, "mz-kafka-lb").await;
            ws = ws.env("TF_VAR_endpoint_service_id", &svc);
        }
        // The consumer the accepter examples name: it asks to connect once a
        // service allows it, as a real consumer would.
        moto.proxy().consumer(CONSUMER_PRINCIPAL, CONSUMER_ACCOUNT, "vpce-0a1b2c3d4e5f60799", None);
        let v = ws.validate_json();
        assert_eq!(v["valid"], true, "{rel}: {v}");
        // The provider example only configures: a plan is all it has. An
        // import example's plan says it imports; the others' apply plans.
        if imports || rel == "examples/provider" {
            let plan = ws.ok(&["plan", "-no-color", "-input=false"]);
            assert!(!imports || plan.contains("1 to import, 0 to add, 0 to change, 0 to destroy"), "{rel}: {plan}");
        }
        if rel == "examples/provider" {
            continue;
        }
        // One apply, then nothing left to do, then one destroy: also for the
        // examples that wire a consumer (its side emulated).
        ws.apply();
        ws.assert_no_changes();
        ws.ok(&["destroy", "-auto-approve", "-no-color"]);
        assert!(aws.snapshot().await.is_empty(), "{rel}: destroy left objects behind");
    }
}

#[test]
fn terraform_fmt_is_clean() {
    let ws = Workspace::new("");
    for dir in ["examples", "tests/support/consumers", "tests/support/kubernetes"] {
        let out =
            ws.terraform(&["fmt", "-check", "-recursive", "-diff", crate::common::repo().join(dir).to_str().unwrap()]);
        assert!(out.status.success(), "terraform fmt would change:\n{}", String::from_utf8_lossy(&out.stdout));
    }
}

#[tokio::test]
async fn quickstart_outputs_agree_with_moto() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = workspace("examples/quickstart", &moto, &net, &aws).await;
    ws.ok(&["apply", "-auto-approve", "-no-color", "-var", &format!("aws_endpoint={}", moto.url)]);
    let routes = aws.snapshot().await.routes();
    let sql = ws.output("materialize_sql");
    let sql = sql.as_str().unwrap();
    for (port, id) in [(9093, 1), (9094, 2), (9095, 3)] {
        assert_eq!(routes[&port].iter().next().unwrap(), &format!("10.0.{id}.10:39092"));
        let zone = &net.subnets[id - 1].zone_id;
        assert!(
            sql.contains(&format!("'b{id}.{zone}.abc.aws.plc.tidbcloud.com:{port}' USING AWS PRIVATELINK privatelink_svc (PORT {port}, AVAILABILITY ZONE '{zone}')")),
            "{sql}"
        );
    }
    let props = ws.output("broker_1_server_properties");
    assert!(props.as_str().unwrap().starts_with("listeners=EXTERNAL://0.0.0.0:39092\n"), "{props}");
}

#[tokio::test]
async fn msk_example_keeps_ports_aligned_across_id_gaps() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = workspace("examples/msk-materialize", &moto, &net, &aws).await;
    ws.apply();
    assert_eq!(ws.output("listener_ports"), serde_json::json!({"1": 9001, "2": 9002, "4": 9003}));
    let sql = ws.output("materialize_sql");
    assert!(sql.as_str().unwrap().contains(
        "'b-4.orders.abc123.c2.kafka.us-east-1.amazonaws.com:9096' USING AWS PRIVATELINK privatelink_svc (PORT 9003"
    ));
    let routes = aws.snapshot().await.routes();
    assert_eq!(routes[&9003].iter().next().unwrap(), "10.0.3.10:9096");
}

#[tokio::test]
async fn strimzi_example_binds_every_group_and_the_pods_stay_the_controllers() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = workspace("examples/strimzi-target-group-binding", &moto, &net, &aws).await;
    ws.apply();
    // The emulated controller registered each broker's pod into the group
    // its manifest names, and every pod into the bootstrap group.
    let routes = aws.snapshot().await.routes();
    let expected = [(9001, "10.0.1.100:9094"), (9002, "10.0.2.101:9094"), (9003, "10.0.3.102:9094")];
    for (port, pod) in expected {
        assert_eq!(routes[&port], std::collections::BTreeSet::from([pod.to_owned()]), "{routes:?}");
    }
    assert_eq!(routes[&9092].len(), 3, "{routes:?}");
    // The provider leaves them alone: nothing to do, no target call.
    moto.proxy().reset_counts();
    ws.assert_no_changes();
    let calls = moto.proxy().target_calls();
    assert!(calls.is_empty(), "{calls:?}");
    let overrides = ws.output("strimzi_broker_overrides");
    assert_eq!(overrides[2]["advertisedHost"], "b2.kafka.orders.internal", "{overrides}");
    assert_eq!(overrides[2]["advertisedPort"], 9003, "{overrides}");
}
