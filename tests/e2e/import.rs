//! Importing existing NLB setups into `kafka_privatelink`: setups built
//! directly with the AWS SDK (as Materialize's modules or TiDB Cloud's guide
//! lay them out), imported by ARN, service id or identity, with generated
//! configuration, `terraform query`, and the errors of bad ids.

use crate::common::aws::{Aws, HandListener, Network};
use crate::common::hcl::{Block, Config, object, s, subnet_ids};
use crate::common::world;
use crate::common::{HEADER, Moto, Workspace};
use aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum;

/// The configuration that describes the Materialize layout.
/// What Materialize's module builds, as this resource describes it:
/// brokers 1–3 at .10 of each subnet, connections accepted by AWS.
fn materialize(net: &Network, name: &str) -> Block {
    let brokers = (0..3).map(|i| (i + 1, object([("ip", s(format!("{}.10", net.subnets[i].prefix)))])));
    Block::resource("kafka_privatelink", "mz")
        .str("name", name)
        .str("vpc_id", &net.vpc)
        .set("subnet_ids", subnet_ids(&net.subnets))
        .map("brokers", brokers)
        .block(Block::new("endpoint_service").set("acceptance_required", false))
}

fn materialize_config(net: &Network, name: &str) -> String {
    Config::new().with(materialize(net, name)).to_string()
}

#[tokio::test]
async fn materialize_layout_imports_by_arn_and_by_service_id() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let (lb, svc) = aws.materialize_layout(&net, "mz-kafka-lb").await;

    // terraform import by NLB ARN, reporting the id mapping it chose
    let ws = Workspace::new(&materialize_config(&net, "mz-kafka-lb")).with_moto(&moto);
    let out = ws.ok(&["import", "-no-color", "kafka_privatelink.mz", &lb]);
    assert!(out.contains("Broker ids inferred from listener ports"), "{out}");
    assert!(out.contains("9001 → broker 1, 9002 → broker 2, 9003 → broker 3"), "{out}");
    ws.assert_no_changes();
    let state: serde_json::Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(values["brokers"]["2"]["listener_port"], 9002);
    assert_eq!(values["brokers"]["2"]["availability_zone_id"], net.subnets[1].zone_id.as_str());
    assert_eq!(values["endpoint_service"][0]["id"], svc.as_str());

    // an import block with the endpoint service id
    let ws = Workspace::new(&format!(
        "{}\nimport {{\n  to = kafka_privatelink.mz\n  id = \"{svc}\"\n}}\n",
        materialize_config(&net, "mz-kafka-lb")
    ))
    .with_moto(&moto);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("1 to import, 0 to add, 0 to change, 0 to destroy"), "{plan}");
    ws.apply();
    ws.assert_no_changes();
    // destroy now removes the imported setup completely
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn generated_configuration_round_trips() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let (lb, _) = aws.materialize_layout(&net, "mz-kafka-lb").await;
    let ws = Workspace::new(&format!("{HEADER}\nimport {{\n  to = kafka_privatelink.found\n  id = \"{lb}\"\n}}\n"))
        .with_moto(&moto);
    ws.ok(&["plan", "-no-color", "-generate-config-out=generated.tf"]);
    let generated = std::fs::read_to_string(ws.path().join("generated.tf")).unwrap();
    assert!(!generated.contains("load_balancer_arn"), "placement by subnets only:\n{generated}");
    assert!(!generated.contains("target_registration") && !generated.contains("target_type"), "defaults:\n{generated}");
    let v = ws.validate_json();
    assert_eq!(v["valid"], true, "{v}");
    ws.apply();
    ws.assert_no_changes();
}

/// The TiDB Cloud guide's layout built by hand: a bootstrap listener on 9092
/// to every broker, listeners 9093–9095 to one broker each, every target on
/// 39092; `group_port` gives each group's own port (None: 39092 too).
/// Returns the broker IPs and the load balancer's ARN.
async fn tidb_layout(aws: &Aws, net: &Network, group_port: Option<fn(u16) -> u16>) -> (Vec<String>, String) {
    let all: Vec<(String, u16)> = (0..3).map(|i| (format!("{}.10", net.subnets[i].prefix), 39092)).collect();
    let own = |listener: u16| group_port.map_or(39092, |f| f(listener));
    let mut listeners =
        vec![HandListener { port: 9092, group: "bootstrap-target-group", group_port: own(9092), targets: all.clone() }];
    for (i, group) in ["broker-target-group-1", "broker-target-group-2", "broker-target-group-3"].iter().enumerate() {
        let port = 9093 + i as u16;
        listeners.push(HandListener { port, group, group_port: own(port), targets: vec![all[i].clone()] });
    }
    let (lb, _) = aws
        .hand_built(net, "kafka-lb", LoadBalancerTypeEnum::Network, &listeners, Some((true, &[TIDB_PRINCIPAL])))
        .await;
    (all.into_iter().map(|a| a.0).collect(), lb)
}

const TIDB_PRINCIPAL: &str = "arn:aws:iam::123456789012:root";

/// The configuration that describes that layout, importing it from `lb`.
fn tidb_config(net: &Network, ips: &[String], lb: &str) -> String {
    format!(
        r#"{HEADER}
resource "kafka_privatelink" "tidb" {{
  name               = "kafka-lb"
  vpc_id             = "{vpc}"
  subnet_ids         = {subnets}
  broker_port        = 39092
  listener_port_base = 9093
  brokers = {{
    "1" = {{ ip = "{a}" }}
    "2" = {{ ip = "{b}" }}
    "3" = {{ ip = "{c}" }}
  }}
  bootstrap {{
    listener_port = 9092
  }}
  endpoint_service {{
    allowed_principals = ["{TIDB_PRINCIPAL}"]
  }}
}}

import {{
  to = kafka_privatelink.tidb
  id = "{lb}"
}}
"#,
        vpc = net.vpc,
        subnets = net.subnet_ids_hcl(),
        a = ips[0],
        b = ips[1],
        c = ips[2],
    )
}

#[tokio::test]
async fn tidb_cloud_layout_with_bootstrap_imports() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let (ips, lb) = tidb_layout(&aws, &net, None).await;
    let config = tidb_config(&net, &ips, &lb);
    let ws = Workspace::new(&config).with_moto(&moto);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("1 to import, 0 to add, 0 to change, 0 to destroy"), "{plan}");
    ws.apply();
    ws.assert_no_changes();
    let snap = aws.snapshot().await;
    assert_eq!(snap.target_groups.len(), 4, "nothing recreated: {snap:?}");
}

#[tokio::test]
async fn groups_on_the_listener_port_with_targets_on_the_broker_port_are_first_class() {
    // The TiDB Cloud guide: each group's own port is its listener port
    // (9092 bootstrap, 9093–9095 brokers), every target is on 39092.
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let (ips, lb) = tidb_layout(&aws, &net, Some(|listener| listener)).await;
    let config = |third_ip: &str| tidb_config(&net, &[ips[0].clone(), ips[1].clone(), third_ip.to_owned()], &lb);
    let ws = Workspace::new(&config(&ips[2])).with_moto(&moto);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("1 to import, 0 to add, 0 to change, 0 to destroy"), "{plan}");
    ws.apply();
    ws.assert_no_changes();
    let before = aws.snapshot().await;
    assert_eq!(before.target_groups["broker-target-group-2"].1, 9094, "the group keeps its own port");

    // Broker 3 moves: re-registered in its own group, which is kept.
    let moved = format!("{}.99", net.subnets[2].prefix);
    ws.write("main.tf", &config(&moved));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("0 to add, 1 to change, 0 to destroy"), "{plan}");
    ws.apply();
    ws.assert_no_changes();
    let after = aws.snapshot().await;
    assert_eq!(
        after.target_groups.keys().collect::<Vec<_>>(),
        before.target_groups.keys().collect::<Vec<_>>(),
        "no group replaced"
    );
    assert_eq!(after.target_groups["broker-target-group-3"].2, [format!("{moved}:39092")].into());
    assert_eq!(after.listeners, before.listeners, "listeners untouched");
}

#[tokio::test]
async fn a_setup_of_ours_imports_back_with_its_broker_ids() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let config = format!(
        r#"{HEADER}
resource "kafka_privatelink" "k" {{
  name       = "ours"
  vpc_id     = "{vpc}"
  subnet_ids = {subnets}
  brokers = {{
    "0" = {{ ip = "{a}.10" }}
    "4" = {{ ip = "{b}.10" }}
    "7" = {{ ip = "{c}.10" }}
  }}
  endpoint_service {{
    allowed_principals = ["arn:aws:iam::123456789012:root"]
  }}
}}
"#,
        vpc = net.vpc,
        subnets = net.subnet_ids_hcl(),
        a = net.subnets[0].prefix,
        b = net.subnets[1].prefix,
        c = net.subnets[2].prefix,
    );
    let ws = Workspace::new(&config).with_moto(&moto);
    ws.apply();
    let lb = ws.ok(&["state", "show", "-no-color", "kafka_privatelink.k"]);
    let arn = lb
        .lines()
        .find(|l| l.trim_start().starts_with("load_balancer_arn"))
        .unwrap()
        .split('"')
        .nth(1)
        .unwrap()
        .to_owned();
    std::fs::remove_file(ws.path().join("terraform.tfstate")).unwrap();
    let out = ws.ok(&["import", "-no-color", "kafka_privatelink.k", &arn]);
    assert!(!out.contains("inferred"), "ids come from our tags, no warning: {out}");
    ws.assert_no_changes();
}

#[tokio::test]
async fn identity_import_and_query_discovery() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let (mz, _) = aws.materialize_layout(&net, "mz-kafka-lb").await;
    let (other, _) = aws
        .hand_built(
            &net,
            "second-kafka",
            LoadBalancerTypeEnum::Network,
            &[HandListener {
                port: 9001,
                group: "second-0",
                group_port: 9092,
                targets: vec![(format!("{}.20", net.subnets[0].prefix), 9092)],
            }],
            None,
        )
        .await;
    // Not Kafka-shaped: one listener to a group of two unrelated targets.
    aws.hand_built(
        &net,
        "web",
        LoadBalancerTypeEnum::Network,
        &[HandListener {
            port: 443,
            group: "web-pool",
            group_port: 8443,
            targets: vec![
                (format!("{}.30", net.subnets[0].prefix), 8443),
                (format!("{}.31", net.subnets[1].prefix), 8443),
            ],
        }],
        None,
    )
    .await;

    // import by identity
    let ws = Workspace::new(&format!(
        "{}\nimport {{\n  to = kafka_privatelink.mz\n  identity = {{\n    load_balancer_arn = \"{mz}\"\n  }}\n}}\n",
        materialize_config(&net, "mz-kafka-lb")
    ))
    .with_moto(&moto);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("1 to import, 0 to add, 0 to change, 0 to destroy"), "{plan}");
    ws.apply();
    let state: serde_json::Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    assert_eq!(state["values"]["root_module"]["resources"][0]["identity"]["load_balancer_arn"], mz.as_str());

    // terraform query finds the two Kafka-shaped NLBs, not the web one
    let q = Workspace::new(HEADER).with_moto(&moto);
    q.write(
        "find.tfquery.hcl",
        "list \"kafka_privatelink\" \"all\" {\n  provider = kafka\n  config {\n    vpc_id = \"VPC\"\n  }\n}\n"
            .replace("VPC", &net.vpc)
            .as_str(),
    );
    let found = q.ok(&["query", "-no-color", "-generate-config-out=found.tf"]);
    assert!(found.contains("mz-kafka-lb") && found.contains("second-kafka") && !found.contains(" web"), "{found}");
    let generated = std::fs::read_to_string(q.path().join("found.tf")).unwrap();
    assert_eq!(generated.matches("import {").count(), 2, "{generated}");
    assert!(generated.contains(&other));
    // second-kafka has no endpoint service yet: importing it plans creating one.
    let plan = q.ok(&["plan", "-no-color"]);
    assert!(plan.contains("2 to import, 0 to add, 1 to change, 0 to destroy"), "{plan}");
    q.apply();
    q.assert_no_changes();
    assert_eq!(aws.snapshot().await.services.len(), 2);
}

#[tokio::test]
async fn bad_ids_are_explained() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let (alb, _) = aws.hand_built(&net, "an-alb", LoadBalancerTypeEnum::Application, &[], None).await;
    let (empty, _) = aws.hand_built(&net, "no-listeners", LoadBalancerTypeEnum::Network, &[], None).await;
    let (shared, _) = aws
        .hand_built(
            &net,
            "shared-pool",
            LoadBalancerTypeEnum::Network,
            &[
                HandListener {
                    port: 9001,
                    group: "one",
                    group_port: 9092,
                    targets: vec![(format!("{}.10", net.subnets[0].prefix), 9092)],
                },
                HandListener {
                    port: 9002,
                    group: "pool",
                    group_port: 9092,
                    targets: vec![
                        (format!("{}.11", net.subnets[1].prefix), 9092),
                        (format!("{}.12", net.subnets[2].prefix), 9092),
                    ],
                },
            ],
            None,
        )
        .await;
    let cases = [
        ("not-an-arn".to_owned(), "neither a network load balancer ARN"),
        ("arn:aws:ec2:us-east-1:123456789012:instance/i-1".to_owned(), "is not a load balancer ARN"),
        (alb, "is not a network load balancer"),
        (empty, "has no listeners"),
        ("vpce-svc-0123456789abcdef0".to_owned(), "No VPC endpoint service vpce-svc-0123456789abcdef0"),
        (shared, "forwards to a target group with 2 targets that is not a bootstrap"),
    ];
    for (id, expected) in cases {
        let ws = Workspace::new(&materialize_config(&net, "x")).with_moto(&moto);
        let out = ws.fails(&["import", "-no-color", "kafka_privatelink.mz", &id]);
        let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(expected), "{id}: expected {expected:?} in\n{out}");
    }
}

#[tokio::test]
async fn adopting_refuses_foreign_listeners_and_import_then_adopt_keeps_the_load_balancer() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let (lb, svc) = aws.materialize_layout(&net, "mz-kafka-lb").await;
    let config = Config::new()
        .with(materialize(&net, "kafka-adopt").unset("subnet_ids").str("load_balancer_arn", &lb))
        .to_string();
    let ws = Workspace::new(&config).with_moto(&moto);

    // Adopt means borrow: the service (and the listeners) someone else made
    // are refused, at plan already, and nothing of theirs changes.
    let before = aws.snapshot().await;
    let out = ws.fails(&["plan", "-no-color"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&format!("the load balancer already has an endpoint service, {svc}")), "{out}");
    assert!(flat.contains("was not made by a kafka_privatelink resource"), "{out}");
    assert!(flat.contains("terraform import"), "{out}");
    assert_eq!(aws.snapshot().await, before, "a refused adoption changes nothing");

    // Import gives them to the resource; kept under load_balancer_arn it is
    // a change of management mode, never a replacement.
    ws.ok(&["import", "-no-color", "kafka_privatelink.mz", &lb]);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("updated in-place") && plan.contains(" 0 to destroy"), "{plan}");
    ws.apply();
    ws.assert_no_changes();
    let snap = aws.snapshot().await;
    assert_eq!((snap.target_groups.len(), snap.listeners.len()), (3, 3), "no duplicates: {snap:?}");
    assert!(snap.services.contains_key(&svc));

    // Destroy deletes what was imported, and never the adopted NLB.
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    let after = aws.snapshot().await;
    assert_eq!(after.load_balancers, vec![lb.clone()], "the load balancer stays");
    assert!(after.target_groups.is_empty() && after.listeners.is_empty() && after.services.is_empty(), "{after:?}");
}

#[tokio::test]
async fn an_imported_setup_with_a_long_name_plans_without_renaming() {
    let (moto, aws, net) = world().await;
    let (lb, _) = aws.materialize_layout(&net, "prod-orders-kafka-nlb-01").await;
    let ws = Workspace::new(&format!("{HEADER}\nimport {{\n  to = kafka_privatelink.found\n  id = \"{lb}\"\n}}\n"))
        .with_moto(&moto);
    ws.ok(&["plan", "-no-color", "-generate-config-out=generated.tf"]);
    let generated = std::fs::read_to_string(ws.path().join("generated.tf")).unwrap();
    assert!(generated.contains("prod-orders-kafka-nlb-01"), "{generated}");
    ws.apply();
    ws.assert_no_changes();
    assert_eq!(aws.snapshot().await.load_balancers, [lb], "the same load balancer, not renamed or replaced");
}
