//! `kafka_privatelink` never touches what it does not own: two states with
//! one name, and values unknown until apply, under the real Terraform
//! against moto.

use crate::common::aws::{Aws, Network};
use crate::common::hcl::config_of;
use crate::common::hcl::ip_broker;
use crate::common::hcl::with_brokers;
use crate::common::hcl::{Block, Config, object, s, subnet_ids};
use crate::common::world;
use crate::common::{HEADER, Moto, Stage, Workspace};
use aws_sdk_elasticloadbalancingv2::types::Tag;

/// `orders` over brokers 1 to `n`, broker `i` in subnet `i - 1`.
fn orders(net: &Network, n: usize) -> Block {
    let brokers = (1..=n).map(|i| (i, object([("ip", s(format!("{}.10", net.subnets[i - 1].prefix)))])));
    Block::resource("kafka_privatelink", "k")
        .str("name", "orders")
        .str("vpc_id", &net.vpc)
        .set("subnet_ids", subnet_ids(&net.subnets))
        .map("brokers", brokers)
        .block(Block::new("endpoint_service"))
}

fn tf(resource: Block) -> String {
    Config::new().with(resource).to_string()
}

#[tokio::test]
async fn a_second_state_with_the_same_name_is_refused_and_changes_nothing() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let staging = Workspace::new(&tf(orders(&net, 1))).with_moto(&moto);
    staging.apply();
    let before = aws.snapshot().await;
    assert_eq!(before.load_balancers.len(), 1);

    let prod = Workspace::new(&tf(orders(&net, 2))).with_moto(&moto);
    // The plan warns at `name`: a namesake may be this resource's own
    // predecessor (a deposed object Terraform destroys first), which only
    // the apply can tell.
    let (ok, lines) = prod.plan_json();
    assert!(ok, "the plan warns, the apply decides: {lines:?}");
    let said = crate::common::diagnostics(&lines);
    assert!(
        said.iter().any(|d| d.severity == "warning"
            && d.summary == "Kafka PrivateLink (orders) may be refused at apply"
            && d.detail.contains("a load balancer named \"orders\" already exists")),
        "{said:?}"
    );
    let out = prod.fails(&["apply", "-auto-approve", "-no-color"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("a load balancer named \"orders\" already exists"), "{out}");
    assert!(flat.contains("belongs to another kafka_privatelink named \"orders\""), "{out}");
    assert!(flat.contains("terraform import"), "{out}");
    assert_eq!(aws.snapshot().await, before, "the refused create changed nothing");
    // prod has no state: its destroy touches nothing of staging's
    prod.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(aws.snapshot().await, before);

    staging.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn values_unknown_at_plan_stay_unknown_and_apply() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&format!(
        r#"{HEADER}
resource "terraform_data" "n" {{
  input = {{ base = 9101, port = 9094, listener = 9200, acceptance = false, team = "data" }}
}}

resource "kafka_privatelink" "k" {{
  name               = "unknowns"
  vpc_id             = "{vpc}"
  subnet_ids         = {subnets}
  listener_port_base = terraform_data.n.output.base
  broker_port        = terraform_data.n.output.port
  brokers = {{
    "1" = {{ ip = "{a}.10" }}
    "2" = {{ ip = "{b}.10", port = terraform_data.n.output.port }}
    "3" = {{ ip = "{b}.11", listener_port = terraform_data.n.output.listener }}
  }}
  endpoint_service {{
    acceptance_required = terraform_data.n.output.acceptance
  }}
  tags = {{ team = terraform_data.n.output.team }}
}}

output "ports" {{ value = {{ for k, b in kafka_privatelink.k.brokers : k => [b.port, b.listener_port] }} }}
"#,
        vpc = net.vpc,
        subnets = net.subnet_ids_hcl(),
        a = net.subnets[0].prefix,
        b = net.subnets[1].prefix,
    ))
    .with_moto(&moto);
    let plan = ws.ok(&["plan", "-no-color"]);
    let flat = plan.split_whitespace().collect::<Vec<_>>().join(" ");
    for unknown in [
        "listener_port_base = (known after apply)",
        "broker_port = (known after apply)",
        "tags_all = (known after apply)",
    ] {
        assert!(flat.contains(unknown), "{unknown} in\n{plan}");
    }
    ws.apply();
    let ports = ws.output("ports");
    assert_eq!(ports["1"], serde_json::json!([9094, 9101]));
    assert_eq!(ports["2"], serde_json::json!([9094, 9102]));
    assert_eq!(ports["3"], serde_json::json!([9094, 9200]));
    let snap = aws.snapshot().await;
    assert_eq!(snap.services.values().next().map(|s| s.0), Some(false));
    ws.assert_no_changes();
}

#[tokio::test]
async fn tag_drift_on_the_load_balancer_shows_in_the_plan_and_is_repaired() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&tf(orders(&net, 1).set("tags", object([("team", s("data"))])))).with_moto(&moto);
    ws.apply();
    let lb = aws.snapshot().await.load_balancers[0].clone();
    let tag = |k: &str, v: &str| aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(k).value(v).build();
    aws.elb.add_tags().resource_arns(&lb).tags(tag("team", "web")).send().await.unwrap();

    let out = ws.terraform(&["plan", "-detailed-exitcode", "-no-color"]);
    let plan = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(2), "drift must show:\n{plan}");
    let flat = plan.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("~ \"team\" = \"web\" -> \"data\""), "{plan}");
    ws.apply();
    let tags = aws.elb.describe_tags().resource_arns(&lb).send().await.unwrap();
    let team = tags.tag_descriptions()[0].tags().iter().find(|t| t.key() == Some("team")).and_then(|t| t.value());
    assert_eq!(team, Some("data"));
    ws.assert_no_changes();
}

#[tokio::test]
async fn an_adopted_load_balancer_keeps_the_cross_zone_setting_the_configuration_does_not_name() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let arn = aws.bare_load_balancer(&net, "shared").await;
    let on = aws_sdk_elasticloadbalancingv2::types::LoadBalancerAttribute::builder()
        .key("load_balancing.cross_zone.enabled")
        .value("true")
        .build();
    aws.elb.modify_load_balancer_attributes().load_balancer_arn(&arn).attributes(on).send().await.unwrap();

    let body = tf(orders(&net, 1).unset("subnet_ids").str("load_balancer_arn", &arn));
    let ws = Workspace::new(&body).with_moto(&moto);
    ws.apply();
    assert_eq!(aws.snapshot().await.cross_zone, Some(true), "someone else's setting stays");
    ws.assert_no_changes();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(aws.snapshot().await.cross_zone, Some(true));
}

/// A target group made by hand, as AWS's console makes one.
async fn hand_group(aws: &Aws, net: &Network, name: &str) -> String {
    let out = aws
        .elb
        .create_target_group()
        .name(name)
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Tcp)
        .port(9092)
        .vpc_id(&net.vpc)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
        .tags(aws_sdk_elasticloadbalancingv2::types::Tag::builder().key("team").value("web").build())
        .send()
        .await
        .unwrap();
    out.target_groups()[0].target_group_arn().unwrap().to_owned()
}

#[tokio::test]
async fn a_target_group_of_the_same_name_is_refused_on_create_and_on_update() {
    // Real AWS answers a CreateTargetGroup whose name and settings match an
    // existing group with that group: the resource must look first.
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let theirs = hand_group(&aws, &net, "orders-b1-9092").await;
    let before = aws.snapshot().await;
    let ws = Workspace::new(&tf(orders(&net, 1))).with_moto(&moto);
    // (A create whose load balancer name is free does not list the
    // region's groups at plan: the apply refuses, before any write.)
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&format!("a target group named orders-b1-9092 already exists ({theirs})")), "{out}");
    assert!(flat.contains("was not made by a kafka_privatelink resource"), "{out}");
    assert_eq!(aws.snapshot().await, before, "the refused create changed nothing");

    // The same on an update that adds a broker whose group name is taken.
    aws.elb.delete_target_group().target_group_arn(&theirs).send().await.unwrap();
    let theirs = hand_group(&aws, &net, "orders-b2-9092").await;
    ws.apply();
    let before = aws.snapshot().await;
    ws.write("main.tf", &tf(orders(&net, 2)));
    // an update's plan knows, at the broker whose group it is
    let (ok, lines) = ws.plan_json();
    assert!(!ok, "the plan of an update taking a group name passed");
    let said = crate::common::diagnostics(&lines);
    assert!(said.iter().any(|d| d.detail.contains("a target group named orders-b2-9092 already exists")), "{said:?}");
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&format!("a target group named orders-b2-9092 already exists ({theirs})")), "{out}");
    assert_eq!(aws.snapshot().await, before, "the refused update changed nothing");

    // (Terraform's destroy plans the configuration first, refusal included:
    // back to what the state holds.)
    ws.write("main.tf", &tf(orders(&net, 1)));
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    let after = aws.snapshot().await;
    assert!(after.load_balancers.is_empty() && after.services.is_empty());
    assert_eq!(after.target_groups.keys().collect::<Vec<_>>(), vec!["orders-b2-9092"], "theirs is kept");
}

#[tokio::test]
async fn a_second_adopter_of_one_load_balancer_is_refused_at_plan_and_a_replacement_is_not() {
    let stage = Stage::new().await;
    let net = &stage.net;
    let arn = stage.aws.bare_load_balancer(net, "shared").await;
    let adopter = |name: &str, broker: u32| {
        Config::new()
            .with(
                Block::resource("kafka_privatelink", "k")
                    .str("name", name)
                    .str("vpc_id", &net.vpc)
                    .str("load_balancer_arn", &arn)
                    .set("listener_port_base", format!("{}", 9000 + broker * 100))
                    .map(
                        "brokers",
                        [(broker, object([("ip", s(format!("{}.{}", net.subnets[0].prefix, 10 + broker)))]))],
                    )
                    .block(Block::new("endpoint_service")),
            )
            .to_string()
    };
    let first = stage.workspace(&adopter("first", 1));
    first.apply();
    let before = stage.aws.snapshot().await;

    // The second's plan reads the load balancer it would adopt and refuses
    // at `load_balancer_arn`, before any write.
    let second = stage.workspace(&adopter("second", 2));
    stage.proxy.reset_counts();
    let (ok, lines) = second.plan_json();
    assert!(!ok, "the second adopter's plan passed");
    let said = crate::common::diagnostics(&lines);
    let refusal = said.iter().find(|d| d.severity == "error").expect("an error");
    assert!(refusal.detail.contains("the load balancer already has an endpoint service"), "{said:?}");
    assert!(refusal.detail.contains("belongs to another kafka_privatelink named \"first\""), "{said:?}");
    let line = adopter("second", 2).lines().position(|l| l.contains("load_balancer_arn")).map(|i| i as u64 + 1);
    assert_eq!(refusal.line, line, "at load_balancer_arn: {said:?}");
    assert_eq!(stage.proxy.writes(), Vec::<String>::new());
    assert_eq!(stage.aws.snapshot().await, before);

    // A load balancer that does not exist is refused at plan too.
    let missing = arn.replace("/shared/", "/gone/");
    let nowhere = stage.workspace(&adopter("nowhere", 3).replace(&arn, &missing));
    let (ok, lines) = nowhere.plan_json();
    assert!(!ok);
    assert!(crate::common::diagnostics(&lines).iter().any(|d| d.detail.contains("does not exist")), "{lines:?}");

    // The first one's own replacement finds its own service on it: planned
    // and applied, not refused.
    first.ok(&["apply", "-auto-approve", "-no-color", "-replace=kafka_privatelink.k"]);
    first.assert_no_changes();
    first.ok(&["destroy", "-auto-approve", "-no-color"]);
}

#[tokio::test]
async fn a_state_adopting_another_load_balancer_under_the_same_name_never_touches_the_first() {
    let (moto, aws, net) = world().await;
    let staging = Workspace::new(&config_of(with_brokers(&net, "orders", &[ip_broker(&net, 1, 10)]))).with_moto(&moto);
    staging.apply();
    let before = aws.snapshot().await;

    let other = aws.bare_load_balancer(&net, "other-nlb").await;
    let prod = Workspace::new(&config_of(
        with_brokers(&net, "orders", &[ip_broker(&net, 1, 99)]).unset("subnet_ids").str("load_balancer_arn", &other),
    ))
    .with_moto(&moto);
    let out = prod.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.contains("orders-b1-9092"), "the group of that name is named: {out}");
    assert_eq!(aws.snapshot().await.target_groups, before.target_groups, "the first state's groups are untouched");
    assert_eq!(aws.snapshot().await.listeners, before.listeners);

    // The same with groups a version that marked only the load balancer
    // left unmarked: behind another load balancer, they are not resumable.
    let arns: Vec<String> = before.target_groups.values().map(|t| t.0.clone()).collect();
    aws.elb.remove_tags().set_resource_arns(Some(arns)).tag_keys("kafka-privatelink:complete").send().await.unwrap();
    let out = prod.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.contains("orders-b1-9092"), "{out}");
    let now = aws.snapshot().await;
    assert_eq!(now.routes(), before.routes(), "staging's broker is still behind its own port");
    assert_eq!(
        now.target_groups.values().map(|t| &t.2).collect::<Vec<_>>(),
        before.target_groups.values().map(|t| &t.2).collect::<Vec<_>>()
    );
    // and the next update of the first state marks them again
    staging.write(
        "main.tf",
        &config_of(with_brokers(&net, "orders", &[ip_broker(&net, 1, 10)]).set("tags", object([("team", s("data"))]))),
    );
    staging.apply();
    let tags = aws
        .elb
        .describe_tags()
        .set_resource_arns(Some(before.target_groups.values().map(|t| t.0.clone()).collect()))
        .send()
        .await
        .unwrap();
    assert!(!tags.tag_descriptions().is_empty(), "the groups' tags were read");
    let marked = tags
        .tag_descriptions()
        .iter()
        .all(|d| d.tags().iter().any(|t: &Tag| t.key() == Some("kafka-privatelink:complete")));
    assert!(marked, "every group of a finished setup carries the mark again");
    staging.ok(&["destroy", "-auto-approve", "-no-color"]);
}

#[tokio::test]
async fn a_create_before_destroy_replacement_is_refused_with_what_to_do_and_changes_nothing() {
    let (moto, aws, net) = world().await;
    let plain = with_brokers(&net, "cbd", &[ip_broker(&net, 1, 10)]);
    let cbd = plain.clone().block(Block::new("lifecycle").set("create_before_destroy", true));
    let ws = Workspace::new(&config_of(cbd.clone())).with_moto(&moto);
    ws.apply();
    let before = aws.snapshot().await;
    // A security group on a load balancer made without one replaces it
    // (AWS never adds one); the new one first, under the names the old one
    // still holds.
    let sg = aws.security_group(&net, "cbd", None).await;
    let groups = crate::common::hcl::list([s(&sg)]);
    ws.write("main.tf", &config_of(cbd.set("security_group_ids", &groups)));
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("remove create_before_destroy"), "{out}");
    assert_eq!(aws.snapshot().await, before, "nothing changed");
    // Without it, the same replacement goes through.
    ws.write("main.tf", &config_of(plain.set("security_group_ids", groups)));
    // (The failed create left the old one deposed: the plan cannot tell it
    // from another state's, warns, and the apply destroys it first.)
    ws.apply();
    ws.assert_no_changes();
    assert_ne!(aws.snapshot().await.load_balancers, before.load_balancers);
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}
