//! Bad `kafka_privatelink` input fails at plan time with the attribute path.
//! The static checks run with AWS unreachable, proving they need no AWS call;
//! the two that need AWS's subnet layout run against moto.

use crate::common::aws::Aws;
use crate::common::hcl::Block;
use crate::common::hcl::config_of;
use crate::common::hcl::ip_broker;
use crate::common::hcl::object;
use crate::common::hcl::s;
use crate::common::hcl::with_brokers;
use crate::common::world;
use crate::common::{Moto, Workspace, diagnostics};

const HEADER: &str = r#"
terraform {
  required_providers {
    kafka = { source = "kafka-privatelink/kafka" }
  }
}
"#;

/// A resource whose body is `body`; AWS is a closed port.
fn offline(body: &str) -> Workspace {
    Workspace::new(&format!(
        "{HEADER}\nprovider \"kafka\" {{\n  region = \"us-east-1\"\n  access_key = \"x\"\n  secret_key = \"y\"\n  endpoints {{\n    ec2   = \"http://127.0.0.1:1\"\n    elbv2 = \"http://127.0.0.1:1\"\n  }}\n}}\n\nresource \"kafka_privatelink\" \"k\" {{\n{body}\n}}\n"
    ))
}

const OK_BROKERS: &str = "  brokers = {\n    \"1\" = { ip = \"10.0.1.10\" }\n  }";
const BASE: &str = "  name = \"orders\"\n  vpc_id = \"vpc-123\"\n  subnet_ids = [\"subnet-1\"]";
const SERVICE: &str = "  endpoint_service {}";

/// Expect `summary` at the line containing `line_text`.
fn expect(body: &str, summary: &str, line_text: &str) {
    let ws = offline(body);
    let (ok, lines) = ws.plan_json();
    assert!(!ok, "plan must fail:\n{body}");
    let diags = diagnostics(&lines);
    assert!(
        diags.iter().all(|d| !d.detail.contains("127.0.0.1:1") && !d.detail.contains("dispatch failure")),
        "no AWS call may happen before validation: {diags:?}"
    );
    let hit =
        diags.iter().find(|d| d.summary == summary).unwrap_or_else(|| panic!("no {summary:?} in {diags:?}\n{body}"));
    let source = std::fs::read_to_string(ws.path().join("main.tf")).unwrap();
    let line = hit.line.expect("a source range") as usize;
    let pointed = source.lines().nth(line - 1).unwrap_or_default();
    assert!(pointed.contains(line_text), "{summary}: pointed at {pointed:?}, expected the line with {line_text:?}");
}

#[test]
fn broker_errors() {
    let cases = [
        ("\"1\" = { ip = \"10.0.1.300\" }", "Invalid IP address", "10.0.1.300"),
        ("\"1\" = { ip = \"10.0.1.10\", listener_port = 70000 }", "Invalid listener port", "70000"),
        ("\"1\" = { ip = \"10.0.1.10\", port = 0 }", "Invalid broker port", "port = 0"),
        ("\"01\" = { ip = \"10.0.1.10\" }", "Invalid broker id", "\"01\""),
        (
            "\"1\" = { ip = \"10.0.1.10\", listener_port = 9005 }\n    \"2\" = { ip = \"10.0.1.11\", listener_port = 9005 }",
            "Duplicate listener port",
            "\"2\" =",
        ),
        ("\"1\" = { ip = \"10.0.1.10\" }\n    \"2\" = { ip = \"10.0.1.10\" }", "Duplicate broker IP", "\"2\" ="),
    ];
    for (brokers, summary, line) in cases {
        expect(&format!("{BASE}\n  brokers = {{\n    {brokers}\n  }}\n{SERVICE}"), summary, line);
    }
}

#[test]
fn target_registration_errors() {
    let external = "  target_registration = \"external\"";
    let cases = [
        (
            format!(
                "{external}\n  brokers = {{\n    \"1\" = {{ port = 9094 }}\n    \"2\" = {{ ip = \"10.0.1.11\" }}\n  }}"
            ),
            "Targets are registered elsewhere",
            "\"2\" =",
        ),
        (
            format!("{external}\n  brokers = {{\n    \"1\" = {{ instance_id = \"i-0123456789abcdef0\" }}\n  }}"),
            "Targets are registered elsewhere",
            "instance_id",
        ),
        (format!("{external}\n  target_type = \"alb\"\n{OK_BROKERS}"), "Invalid target type", "target_type"),
        (
            format!("  target_registration = \"kubernetes\"\n{OK_BROKERS}"),
            "Invalid target registration",
            "target_registration",
        ),
        (format!("  target_type = \"instance\"\n{OK_BROKERS}"), "Target type differs from the brokers'", "target_type"),
    ];
    for (body, summary, line) in cases {
        expect(&format!("{BASE}\n{body}\n{SERVICE}"), summary, line);
    }
}

#[test]
fn bootstrap_port_collides_with_a_broker() {
    expect(
        &format!(
            "{BASE}\n  brokers = {{\n    \"1\" = {{ ip = \"10.0.1.10\", listener_port = 9092 }}\n  }}\n  bootstrap {{\n    listener_port = 9092\n  }}\n{SERVICE}"
        ),
        "Duplicate listener port",
        "listener_port = 9092 }",
    );
}

#[test]
fn more_than_fifty_listeners() {
    let brokers: String = (1..=50).map(|i| format!("    \"{i}\" = {{ ip = \"10.0.1.{i}\" }}\n")).collect();
    expect(
        &format!("{BASE}\n  brokers = {{\n{brokers}  }}\n  bootstrap {{\n    listener_port = 9000\n  }}\n{SERVICE}"),
        "Too many listeners",
        "brokers = {",
    );
}

#[test]
fn endpoint_service_errors() {
    let cases = [
        ("allowed_principals = [\"123456789012\"]", "Invalid principal"),
        ("allowed_principals = [\"*\"]", "Any principal not allowed"),
        ("supported_regions = [\"us-west\"]", "Invalid region"),
    ];
    for (arg, summary) in cases {
        expect(
            &format!("{BASE}\n{OK_BROKERS}\n  endpoint_service {{\n    {arg}\n  }}"),
            summary,
            arg.split(" =").next().unwrap(),
        );
    }
    expect(
        &format!(
            "{BASE}\n{OK_BROKERS}\n  cross_zone_load_balancing = false\n  endpoint_service {{\n    supported_regions = [\"us-west-2\"]\n  }}"
        ),
        "Cross-zone load balancing required",
        "cross_zone_load_balancing",
    );
}

#[test]
fn names_and_placement() {
    let body = |base: &str| format!("{base}\n{OK_BROKERS}\n{SERVICE}");
    expect(
        &body("  name = \"orders_eu\"\n  vpc_id = \"vpc-1\"\n  subnet_ids = [\"subnet-1\"]"),
        "Invalid name",
        "orders_eu",
    );
    expect(
        &body("  name = \"a-name-of-twenty-seven-chars\"\n  vpc_id = \"vpc-1\"\n  subnet_ids = [\"subnet-1\"]"),
        "Name too long for a target group",
        "\"1\" = { ip",
    );
    expect(
        &body("  name = \"orders\"\n  vpc_id = \"vpc-1\""),
        "Missing load balancer placement",
        "resource \"kafka_privatelink\"",
    );
    expect(
        &body(
            "  name = \"orders\"\n  vpc_id = \"vpc-1\"\n  subnet_ids = [\"subnet-1\"]\n  load_balancer_arn = \"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/x/1\"",
        ),
        "Conflicting arguments",
        "load_balancer_arn",
    );
    expect(
        &body("  name = \"orders\"\n  vpc_id = \"vpc-1\"\n  load_balancer_arn = \"arn:aws:ec2:x\""),
        "Invalid load balancer ARN",
        "load_balancer_arn",
    );
    expect(
        &format!("{BASE}\n{OK_BROKERS}\n  tcp_idle_timeout = 30\n{SERVICE}"),
        "Invalid TCP idle timeout",
        "tcp_idle_timeout",
    );
}

/// Checks that need AWS's view of the VPC, made at plan time against moto.
#[tokio::test]
async fn subnet_layout_errors_need_aws_and_name_both_subnets() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(9).await;
    let twin = aws
        .ec2
        .create_subnet()
        .vpc_id(&net.vpc)
        .cidr_block("10.9.50.0/24")
        .availability_zone("us-east-1a")
        .send()
        .await
        .unwrap()
        .subnet
        .unwrap()
        .subnet_id
        .unwrap();
    let resource = |subnets: &str, ip: &str| {
        format!(
            "{HEADER}\nprovider \"kafka\" {{}}\n\nresource \"kafka_privatelink\" \"k\" {{\n  name = \"orders\"\n  vpc_id = \"{}\"\n  subnet_ids = {subnets}\n  brokers = {{\n    \"1\" = {{ ip = \"{ip}\" }}\n  }}\n  endpoint_service {{}}\n}}\n",
            net.vpc
        )
    };
    let same_zone = format!("[\"{}\", \"{twin}\"]", net.subnets[0].id);
    let ws = Workspace::new(&resource(&same_zone, "10.9.1.10")).with_moto(&moto);
    let (ok, lines) = ws.plan_json();
    assert!(!ok);
    let d = diagnostics(&lines);
    let hit = d.iter().find(|d| d.summary == "Two subnets in one availability zone").unwrap_or_else(|| panic!("{d:?}"));
    assert!(
        hit.detail.contains(&net.subnets[0].id) && hit.detail.contains(&twin),
        "names both subnets: {}",
        hit.detail
    );

    let ws = Workspace::new(&resource(&net.subnet_ids_hcl(), "192.168.7.7")).with_moto(&moto);
    let (ok, lines) = ws.plan_json();
    assert!(!ok);
    let d = diagnostics(&lines);
    assert!(d.iter().any(|d| d.summary == "Broker outside the VPC" && d.detail.contains("192.168.7.7")), "{d:?}");
    assert!(aws.snapshot().await.is_empty(), "nothing was created");
}

#[test]
fn reserved_tags_long_bootstrap_names_and_overflowing_timeouts() {
    expect(
        &format!("{BASE}\n{OK_BROKERS}\n{SERVICE}\n  tags = {{\n    \"kafka-privatelink:owner\" = \"someone\"\n  }}"),
        "Reserved tag key",
        "kafka-privatelink:owner",
    );
    // 24 characters: the broker's group fits (`-b1-9092`), `-boot-9092` does not
    let long = "  name = \"a-twenty-four-chars-name\"\n  vpc_id = \"vpc-123\"\n  subnet_ids = [\"subnet-1\"]";
    expect(
        &format!("{long}\n{OK_BROKERS}\n  bootstrap {{\n    listener_port = 9092\n  }}\n{SERVICE}"),
        "Name too long for the bootstrap target group",
        "bootstrap {",
    );
    for bad in ["99999999999999999999h", "9000h"] {
        expect(
            &format!("{BASE}\n{OK_BROKERS}\n{SERVICE}\n  timeouts {{\n    create = \"{bad}\"\n  }}"),
            "Invalid timeout",
            bad,
        );
    }
}

#[tokio::test]
async fn a_bootstrap_on_a_live_brokers_port_is_refused_at_plan() {
    let (moto, aws, net) = world().await;
    let ports = with_brokers(&net, "ports", &[ip_broker(&net, 1, 10), ip_broker(&net, 2, 10), ip_broker(&net, 3, 10)]);
    let ws = Workspace::new(&config_of(ports.clone())).with_moto(&moto);
    ws.apply();
    let before = aws.snapshot().await;
    assert!(before.listeners.contains_key(&9002));

    ws.write("main.tf", &config_of(ports.clone().block(Block::new("bootstrap").set("listener_port", 9002))));
    let (ok, lines) = ws.plan_json();
    assert!(!ok, "the plan must fail");
    let diags = diagnostics(&lines);
    let hit = diags.iter().find(|d| d.summary == "Invalid listener port").unwrap_or_else(|| panic!("{diags:?}"));
    assert!(hit.detail.contains("listener port 9002 is broker 2's"), "{hit:?}");
    assert!(hit.detail.contains("(9004, 9005, 9006)"), "free ports are named: {hit:?}");
    let source = std::fs::read_to_string(ws.path().join("main.tf")).unwrap();
    let line = source.lines().nth(hit.line.expect("a range") as usize - 1).unwrap_or_default();
    assert!(line.contains("listener_port = 9002"), "at the bootstrap's listener_port: {line:?}");
    assert_eq!(aws.snapshot().await, before, "nothing changed");

    // The free port the error names works, and moves nobody.
    ws.write("main.tf", &config_of(ports.block(Block::new("bootstrap").set("listener_port", 9004))));
    ws.apply();
    ws.assert_no_changes();
    let after = aws.snapshot().await.routes();
    for port in [9001, 9002, 9003] {
        assert_eq!(after[&port], before.routes()[&port], "broker on {port} kept its port");
    }
    assert_eq!(after[&9004].len(), 3, "the bootstrap reaches every broker");
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
}

#[tokio::test]
async fn a_replacement_that_would_move_a_port_is_refused_until_it_is_pinned() {
    let (moto, aws, net) = world().await;
    let three = [ip_broker(&net, 1, 10), ip_broker(&net, 2, 10), ip_broker(&net, 3, 10)];
    let ws = Workspace::new(&config_of(with_brokers(&net, "moves", &three))).with_moto(&moto);
    ws.apply();
    // Broker 2 goes: broker 3 keeps 9003, a hole at 9002.
    let two = with_brokers(&net, "moves", &[ip_broker(&net, 1, 10), ip_broker(&net, 3, 10)]);
    ws.write("main.tf", &config_of(two.clone()));
    ws.apply();
    let before = aws.snapshot().await;
    assert!(before.listeners.contains_key(&9003));
    // A new name replaces the load balancer; afresh, broker 3 would get
    // 9002.
    let two = two.str("name", "moved");
    ws.write("main.tf", &config_of(two.clone()));
    let (ok, lines) = ws.plan_json();
    assert!(!ok);
    let diags = diagnostics(&lines);
    let hit = diags
        .iter()
        .find(|d| d.summary == "Replacement would move listener ports")
        .unwrap_or_else(|| panic!("{diags:?}"));
    assert!(hit.detail.contains("broker 3 from 9003 to 9002"), "{hit:?}");
    assert!(hit.detail.contains("brokers[\"3\"].listener_port = 9003"), "{hit:?}");
    assert_eq!(aws.snapshot().await, before, "nothing changed");
    // Pinned as the error says, the replacement keeps the port.
    let broker_3 = object([("ip", s(format!("{}.10", net.subnets[0].prefix))), ("listener_port", "9003".into())]);
    let pinned = two.map("brokers", [ip_broker(&net, 1, 10), (3, broker_3)]);
    ws.write("main.tf", &config_of(pinned));
    ws.apply();
    ws.assert_no_changes();
    let after = aws.snapshot().await;
    assert_ne!(after.load_balancers, before.load_balancers, "replaced");
    assert_eq!(after.routes()[&9003], before.routes()[&9003], "broker 3 still on 9003");
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
}
