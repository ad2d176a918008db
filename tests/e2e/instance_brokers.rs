//! Brokers given by EC2 instance, under the real Terraform against moto:
//! the TiDB Cloud guide's setup exactly as it describes it (broker
//! instances registered as `instance` targets on 39092 in groups whose own
//! port is the listener port, a bootstrap listener on 9092, an NLB with a
//! security group, an endpoint service requiring acceptance) imported by
//! NLB ARN with generated configuration, and the same layout created by the
//! resource, a broker's instance then replaced.

use crate::common::aws::{Aws, Network};
use crate::common::hcl::config_of;
use crate::common::hcl::ip_broker;
use crate::common::hcl::with_brokers;
use crate::common::hcl::{Block, Config, list, object, s, subnet_ids};
use crate::common::world;
use crate::common::{HEADER, Moto, Workspace};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, ProtocolEnum, TargetDescription,
    TargetTypeEnum,
};

const ACCOUNT: &str = "123456789012";

/// The guide's security groups — the brokers' (39092 from the VPC), the
/// NLB's (9092–9095 from the consumer's CIDR) — and three broker instances
/// at 10.0.N.10: (brokers' group, NLB's group, instance ids).
async fn guide_network(aws: &Aws, net: &Network) -> (String, String, Vec<String>) {
    let brokers_sg = aws.security_group(net, "kafka-brokers", Some(((39092, 39092), "10.0.0.0/16"))).await;
    let nlb_sg = aws.security_group(net, "kafka-nlb", Some(((9092, 9095), "10.8.0.0/16"))).await;
    let mut instances = Vec::new();
    for i in 0..3 {
        instances.push(aws.instance(net, i, &format!("{}.10", net.subnets[i].prefix), Some(&brokers_sg)).await);
    }
    (brokers_sg, nlb_sg, instances)
}

/// The guide's NLB: a security group admitting the consumer's CIDR on the
/// listener ports, instance target groups on the listener ports with every
/// target on 39092, a bootstrap listener, an endpoint service requiring
/// acceptance with the consumer account's root as principal.
async fn tidb_guide_setup(aws: &Aws, net: &Network, instances: &[String], nlb_sg: &str) -> String {
    let lb = aws
        .elb
        .create_load_balancer()
        .name("tidb-kafka-nlb")
        .r#type(LoadBalancerTypeEnum::Network)
        .scheme(LoadBalancerSchemeEnum::Internal)
        .set_subnets(Some(net.subnets.iter().map(|s| s.id.clone()).collect()))
        .security_groups(nlb_sg)
        .send()
        .await
        .unwrap();
    let lb = lb.load_balancers()[0].load_balancer_arn().unwrap().to_owned();
    let mut layout: Vec<(u16, &str, Vec<&String>)> = vec![(9092, "bootstrap-target-group", instances.iter().collect())];
    let names = ["broker-target-group-1", "broker-target-group-2", "broker-target-group-3"];
    for (i, id) in instances.iter().enumerate() {
        layout.push((9093 + i as u16, names[i], vec![id]));
    }
    for (port, name, targets) in layout {
        let tg = aws
            .elb
            .create_target_group()
            .name(name)
            .protocol(ProtocolEnum::Tcp)
            .port(i32::from(port))
            .vpc_id(&net.vpc)
            .target_type(TargetTypeEnum::Instance)
            .send()
            .await
            .unwrap();
        let tg = tg.target_groups()[0].target_group_arn().unwrap().to_owned();
        let targets = targets.iter().map(|id| TargetDescription::builder().id(*id).port(39092).build()).collect();
        aws.elb.register_targets().target_group_arn(&tg).set_targets(Some(targets)).send().await.unwrap();
        aws.elb
            .create_listener()
            .load_balancer_arn(&lb)
            .protocol(ProtocolEnum::Tcp)
            .port(i32::from(port))
            .default_actions(Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(&tg).build())
            .send()
            .await
            .unwrap();
    }
    let svc = aws
        .ec2
        .create_vpc_endpoint_service_configuration()
        .network_load_balancer_arns(&lb)
        .acceptance_required(true)
        .send()
        .await
        .unwrap();
    let svc = svc.service_configuration().unwrap().service_id().unwrap().to_owned();
    aws.ec2
        .modify_vpc_endpoint_service_permissions()
        .service_id(&svc)
        .add_allowed_principals(format!("arn:aws:iam::{ACCOUNT}:root"))
        .send()
        .await
        .unwrap();
    lb
}

/// Target group name → (its type, its targets `id:port`).
async fn groups(aws: &Aws) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for tg in aws.elb.describe_target_groups().send().await.unwrap().target_groups() {
        let arn = tg.target_group_arn().unwrap();
        let health = aws.elb.describe_target_health().target_group_arn(arn).send().await.unwrap();
        let mut targets: Vec<String> = health
            .target_health_descriptions()
            .iter()
            .filter_map(|d| d.target())
            .map(|t| format!("{}:{}", t.id().unwrap(), t.port().unwrap()))
            .collect();
        targets.sort();
        out.push((
            tg.target_group_name().unwrap().to_owned(),
            tg.target_type().map(|t| t.as_str().to_owned()).unwrap_or_default(),
            targets,
        ));
    }
    out.sort();
    out
}

#[tokio::test]
async fn the_tidb_cloud_guides_setup_imports_exactly_with_generated_configuration() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let (_, nlb_sg, instances) = guide_network(&aws, &net).await;
    let lb = tidb_guide_setup(&aws, &net, &instances, &nlb_sg).await;
    let before = groups(&aws).await;

    let ws = Workspace::new(&format!("{HEADER}\nimport {{\n  to = kafka_privatelink.tidb\n  id = \"{lb}\"\n}}\n"))
        .with_moto(&moto);
    ws.ok(&["plan", "-no-color", "-generate-config-out=generated.tf"]);
    let generated = std::fs::read_to_string(ws.path().join("generated.tf")).unwrap();
    let flat = generated.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        format!("instance_id = \"{}\"", instances[0]),
        "broker_port = 39092".to_owned(),
        "listener_port_base = 9093".to_owned(),
        format!("security_group_ids = [\"{nlb_sg}\"]"),
        format!("allowed_principals = [\"arn:aws:iam::{ACCOUNT}:root\"]"),
        "bootstrap { listener_port = 9092".to_owned(),
    ] {
        assert!(flat.contains(&expected), "{expected} in\n{generated}");
    }
    let v = ws.validate_json();
    assert_eq!(v["valid"], true, "{v}");
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("1 to import, 0 to add, 0 to change, 0 to destroy"), "{plan}");
    ws.apply();
    ws.assert_no_changes();
    assert_eq!(groups(&aws).await, before, "nothing recreated or re-registered");

    // auto_accept as the guide's last step: a pending TiDB Cloud endpoint.
    let state: serde_json::Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let svc = state["values"]["root_module"]["resources"][0]["values"]["endpoint_service"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    moto.proxy().connect(&svc, "vpce-0tidbc10udc0nn001", ACCOUNT, "pendingAcceptance");
    let config: String = generated
        .lines()
        .map(|l| if l.trim_start().starts_with("auto_accept ") { "    auto_accept = true" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(config, generated);
    ws.write("generated.tf", &config);
    ws.apply();
    let conns = aws
        .ec2
        .describe_vpc_endpoint_connections()
        .send()
        .await
        .unwrap()
        .vpc_endpoint_connections()
        .iter()
        .map(|c| c.vpc_endpoint_state().map(|s| s.as_str().to_owned()).unwrap_or_default())
        .collect::<Vec<_>>();
    assert_eq!(conns, vec!["available".to_owned()]);
}

/// The guide's setup as the resource creates it: `instances` as brokers 1,
/// 2, … on 39092, listeners from 9093, the bootstrap on 9092.
fn tidb(net: &Network, sg: &str, instances: &[String]) -> Block {
    let brokers = instances.iter().enumerate().map(|(i, id)| (i + 1, object([("instance_id", s(id))])));
    Block::resource("kafka_privatelink", "tidb")
        .str("name", "tidb")
        .str("vpc_id", &net.vpc)
        .set("subnet_ids", subnet_ids(&net.subnets))
        .set("security_group_ids", list([s(sg)]))
        .set("broker_port", 39092)
        .set("listener_port_base", 9093)
        .map("brokers", brokers)
        .block(Block::new("bootstrap").set("listener_port", 9092))
        .block(
            Block::new("endpoint_service")
                .set("allowed_principals", list([s(format!("arn:aws:iam::{ACCOUNT}:root"))]))
                .set("auto_accept", true),
        )
}

/// The configuration of `resource`, with an output of its brokers.
fn tf(resource: Block) -> String {
    Config::new()
        .with(resource)
        .with(Block::labeled("output", "brokers").set("value", "kafka_privatelink.tidb.brokers"))
        .to_string()
}

fn created_config(net: &Network, sg: &str, instances: &[String]) -> String {
    tf(tidb(net, sg, instances))
}

#[tokio::test]
async fn instance_brokers_are_created_and_a_replaced_instance_is_reregistered() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let (brokers_sg, nlb_sg, instances) = guide_network(&aws, &net).await;
    let ws = Workspace::new(&created_config(&net, &nlb_sg, &instances)).with_moto(&moto);
    let plan = ws.ok(&["plan", "-no-color"]);
    let flat = plan.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&format!("ip = \"{}.10\"", net.subnets[1].prefix)), "the instance's IP at plan: {plan}");
    assert!(flat.contains(&format!("availability_zone_id = \"{}\"", net.subnets[1].zone_id)), "its zone: {plan}");
    ws.apply();
    ws.assert_no_changes();
    let made = groups(&aws).await;
    assert_eq!(made.len(), 4);
    for (name, kind, targets) in &made {
        assert_eq!(kind, "instance", "{name}");
        assert!(
            !targets.is_empty() && targets.iter().all(|t| t.starts_with("i-") && t.ends_with(":39092")),
            "{made:?}"
        );
    }
    let boot = made.iter().find(|g| g.0.starts_with("tidb-iboot")).expect("the bootstrap group, named for instances");
    assert_eq!(boot.2.len(), 3);
    let out = ws.output("brokers");
    assert_eq!(out["2"]["instance_id"], serde_json::json!(instances[1]));
    assert_eq!(out["2"]["targets"], serde_json::json!([format!("{}:39092", instances[1])]));

    // Broker 2's instance is replaced: its group and listener stay, the new
    // instance is registered and the old one deregistered.
    let replacement = aws.instance(&net, 1, &format!("{}.20", net.subnets[1].prefix), Some(&brokers_sg)).await;
    let mut moved = instances.clone();
    moved[1] = replacement.clone();
    ws.write("main.tf", &created_config(&net, &nlb_sg, &moved));
    ws.apply();
    ws.assert_no_changes();
    let after = groups(&aws).await;
    assert_eq!(
        after.iter().map(|g| &g.0).collect::<Vec<_>>(),
        made.iter().map(|g| &g.0).collect::<Vec<_>>(),
        "same groups"
    );
    let b2 = after.iter().find(|g| g.0 == "tidb-i2-39092").expect("broker 2's instance group");
    assert_eq!(b2.2, vec![format!("{replacement}:39092")]);
    assert_eq!(ws.output("brokers")["2"]["ip"], serde_json::json!(format!("{}.20", net.subnets[1].prefix)));
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn instance_broker_mistakes_fail_at_plan() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&created_config(&net, "sg-0123456789abcdef0", &["i-0123456789abcdef0".to_owned()]))
        .with_moto(&moto);
    let out = ws.fails(&["plan", "-no-color"]);
    assert!(out.contains("Unknown broker instance") && out.contains("i-0123456789abcdef0"), "{out}");

    let mixed = tidb(&net, "sg-0123456789abcdef0", &[]).map(
        "brokers",
        [
            (1, object([("instance_id", s("i-0123456789abcdef0"))])),
            (2, object([("ip", s(format!("{}.10", net.subnets[0].prefix)))])),
        ],
    );
    ws.write("main.tf", &tf(mixed));
    let text = ws.validate_json().to_string();
    assert!(text.contains("Brokers of two kinds"), "{text}");
    ws.write("main.tf", &created_config(&net, "sg-0123456789abcdef0", &["i-xyz".to_owned()]));
    let text = ws.validate_json().to_string();
    assert!(text.contains("is not an EC2 instance id"), "{text}");
}

#[tokio::test]
async fn brokers_switch_between_ip_and_instance_in_place() {
    let (moto, aws, net) = world().await;
    let instance = aws.instance(&net, 1, &format!("{}.10", net.subnets[1].prefix), None).await;
    let by_ip = ip_broker(&net, 1, 10);
    let by_instance = (1, object([("instance_id", s(&instance))]));
    let ws = Workspace::new(&config_of(with_brokers(&net, "switch", std::slice::from_ref(&by_ip)))).with_moto(&moto);
    ws.apply();
    let lb = aws.snapshot().await.load_balancers;
    for (brokers, target) in
        [(&by_instance, format!("{instance}:9092")), (&by_ip, format!("{}.10:9092", net.subnets[1].prefix))]
    {
        ws.write("main.tf", &config_of(with_brokers(&net, "switch", std::slice::from_ref(brokers))));
        ws.apply();
        ws.assert_no_changes();
        let snap = aws.snapshot().await;
        assert_eq!(snap.load_balancers, lb, "the same load balancer");
        assert_eq!(snap.target_groups.len(), 1, "one group, the old one gone: {snap:?}");
        assert_eq!(snap.routes().into_values().collect::<Vec<_>>(), [std::collections::BTreeSet::from([target])]);
    }
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}
