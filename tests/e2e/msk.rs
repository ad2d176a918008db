//! `data "kafka_msk_brokers"` under the real Terraform: the three-line chain
//! MSK → `kafka_privatelink` → `kafka_advertised_listeners`, a broker whose
//! IP changes, a missing cluster, a malformed ARN (no AWS call) and every
//! authentication mode's port. moto 5.2.5 lacks MSK's `ListNodes` and
//! `GetBootstrapBrokers`: the test proxy answers them in MSK's REST-JSON
//! shapes, two nodes a page (tests/support/fault_proxy.py).

use crate::common::aws::{Aws, Network};
use crate::common::hcl::{Block, Config, output, subnet_ids};
use crate::common::{Moto, Workspace};
use serde_json::json;

const ARN: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-2";

fn host(id: u32) -> String {
    format!("b-{id}.orders.abc123.c2.kafka.us-east-1.amazonaws.com")
}

/// Registers the cluster with the proxy: broker id → (subnet index, last octet).
fn cluster(moto: &Moto, net: &Network, brokers: &[(u32, usize, u8)]) {
    let list: Vec<_> = brokers
        .iter()
        .map(|&(id, subnet, last)| {
            json!({"id": id, "ip": format!("{}.{last}", net.subnets[subnet].prefix), "subnet": net.subnets[subnet].id, "host": host(id)})
        })
        .collect();
    let hosts = |port: u16| brokers.iter().map(|b| format!("{}:{port}", host(b.0))).collect::<Vec<_>>().join(",");
    let body = json!({
        "arn": ARN,
        "brokers": list,
        "bootstrap": {
            "bootstrapBrokerString": hosts(9092),
            "bootstrapBrokerStringTls": hosts(9094),
            "bootstrapBrokerStringSaslScram": hosts(9096),
            "bootstrapBrokerStringSaslIam": hosts(9098),
        },
    });
    moto.proxy().post("/__msk", &body.to_string());
}

fn chain(net: &Network, moto: &Moto) -> String {
    let brokers =
        Block::data("kafka_msk_brokers", "orders").str("cluster_arn", ARN).str("authentication", "sasl_scram");
    let setup = Block::resource("kafka_privatelink", "msk")
        .str("name", "orders")
        .str("vpc_id", &net.vpc)
        .set("subnet_ids", subnet_ids(&net.subnets))
        .set("brokers", "data.kafka_msk_brokers.orders.brokers")
        .block(Block::new("endpoint_service"));
    let listeners = Block::data("kafka_advertised_listeners", "mz")
        .set("brokers", "kafka_privatelink.msk.brokers")
        .set("endpoint_service_name", "kafka_privatelink.msk.endpoint_service[0].service_name")
        .str("security_protocol", "SASL_SSL");
    Config::new()
        .provider(|p| p.block(Block::new("endpoints").str("kafka", &moto.url)))
        .with(brokers)
        .with(setup)
        .with(listeners)
        .with(output("sql", "data.kafka_advertised_listeners.mz.materialize_sql"))
        .with(output("bootstrap", "data.kafka_msk_brokers.orders.bootstrap_brokers"))
        .with(output("ports", "{ for id, b in kafka_privatelink.msk.brokers : id => b.listener_port }"))
        .to_string()
}

#[tokio::test]
async fn msk_brokers_feed_the_resource_and_the_listeners_in_three_lines() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    // Five brokers: three ListNodes pages of two.
    cluster(&moto, &net, &[(1, 0, 21), (2, 1, 22), (3, 2, 23), (4, 0, 24), (5, 1, 25)]);
    let ws = Workspace::new(&chain(&net, &moto)).with_moto(&moto);
    let proxy = moto.proxy();
    proxy.reset_counts();
    let plan = ws.ok(&["plan", "-no-color"]);
    assert_eq!(proxy.counts().get("kafka:ListNodes"), Some(&3), "paginated: {:?}", proxy.counts());
    // The first plan already knows every port and zone.
    let flat = plan.split_whitespace().collect::<Vec<_>>().join(" ");
    for (id, subnet, port) in [(1, 0, 9001), (3, 2, 9003), (5, 1, 9005)] {
        assert!(
            flat.contains(&format!(
                "\"{id}\" = {{ + availability_zone_id = \"{zone}\" + endpoint_service_name = (known after apply) + host = \"{h}\" + ip = \"{ip}.{last}\" + listener_port = {port} + port = 9096",
                zone = net.subnets[subnet].zone_id,
                h = host(id),
                ip = net.subnets[subnet].prefix,
                last = 20 + id,
            )),
            "broker {id} in\n{plan}"
        );
    }
    ws.apply();
    ws.assert_no_changes();
    let sql = ws.output("sql");
    let sql = sql.as_str().unwrap();
    for (id, subnet, port) in [(1, 0, 9001), (2, 1, 9002), (5, 1, 9005)] {
        let zone = &net.subnets[subnet].zone_id;
        assert!(
            sql.contains(&format!("'{}:9096' USING AWS PRIVATELINK", host(id)))
                && sql.contains(&format!("(PORT {port}, AVAILABILITY ZONE '{zone}')")),
            "broker {id}: {sql}"
        );
    }
    assert!(ws.output("bootstrap").as_str().unwrap().starts_with(&format!("{}:9096,", host(1))));
    let routes = aws.snapshot().await.routes();
    assert_eq!(routes[&9002], [format!("{}.22:9096", net.subnets[1].prefix)].into());

    // Broker 2 comes back with another IP: its target moves, its port stays.
    cluster(&moto, &net, &[(1, 0, 21), (2, 1, 42), (3, 2, 23), (4, 0, 24), (5, 1, 25)]);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("1 to change"), "{plan}");
    ws.apply();
    ws.assert_no_changes();
    let routes = aws.snapshot().await.routes();
    assert_eq!(routes[&9002], [format!("{}.42:9096", net.subnets[1].prefix)].into());
    assert_eq!(ws.output("ports")["2"], json!(9002));

    // A new broker id gets a new port; the others keep theirs.
    cluster(&moto, &net, &[(1, 0, 21), (2, 1, 42), (3, 2, 23), (4, 0, 24), (5, 1, 25), (6, 2, 26)]);
    ws.apply();
    let ports = ws.output("ports");
    assert_eq!((ports["5"].clone(), ports["6"].clone()), (json!(9005), json!(9006)));
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
}

fn lone(arn: &str, auth: &str) -> String {
    Config::new()
        .with(Block::data("kafka_msk_brokers", "x").str("cluster_arn", arn).str("authentication", auth))
        .with(output("brokers", "data.kafka_msk_brokers.x.brokers"))
        .with(output("bootstrap", "data.kafka_msk_brokers.x.bootstrap_brokers"))
        .to_string()
}

#[tokio::test]
async fn every_authentication_mode_has_its_port() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    cluster(&moto, &net, &[(1, 0, 21), (2, 1, 22)]);
    for (mode, port) in [("plaintext", 9092), ("tls", 9094), ("sasl_scram", 9096), ("iam", 9098)] {
        let ws = Workspace::new(&lone(ARN, mode)).with_moto(&moto);
        ws.apply();
        let brokers = ws.output("brokers");
        assert_eq!(brokers["2"]["port"], json!(port), "{mode}");
        assert_eq!(brokers["2"]["subnet_id"], json!(net.subnets[1].id), "{mode}");
        assert_eq!(brokers["2"]["availability_zone_id"], json!(net.subnets[1].zone_id), "{mode}");
        assert!(ws.output("bootstrap").as_str().unwrap().ends_with(&format!(":{port}")), "{mode}");
    }
}

#[tokio::test]
async fn a_missing_cluster_and_a_malformed_arn_are_clear_errors() {
    let moto = Moto::start();
    let missing = ARN.replace("orders", "gone");
    let ws = Workspace::new(&lone(&missing, "tls")).with_moto(&moto);
    let out = ws.fails(&["plan", "-no-color"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&format!("No MSK cluster {missing} exists in us-east-1")), "{out}");

    let proxy = moto.proxy();
    proxy.reset_counts();
    ws.write("main.tf", &lone("arn:aws:kafka:us-east-1:123456789012:orders", "tls"));
    let out = ws.fails(&["plan", "-no-color"]);
    assert!(out.contains("is not an MSK cluster ARN"), "{out}");
    ws.write("main.tf", &lone(ARN, "scram"));
    let out = ws.fails(&["plan", "-no-color"]);
    assert!(out.contains("is not one of plaintext, tls, sasl_scram, iam"), "{out}");
    assert!(proxy.counts().is_empty(), "no AWS call: {:?}", proxy.counts());
}
