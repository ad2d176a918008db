//! Security groups on the network load balancer, under the real Terraform
//! against moto: set at creation, changed in place, none ↔ some planned as
//! a replacement (AWS allows neither in place), a warning when a load
//! balancer is created without any, and an adopted one's groups reported,
//! never managed.

use crate::common::aws::{Aws, Network};
use crate::common::hcl::config_of;
use crate::common::hcl::ip_broker;
use crate::common::hcl::with_brokers;
use crate::common::hcl::{Block, Config, list, object, privatelink, s};
use crate::common::world;
use crate::common::{HEADER, Moto, Workspace, diagnostics};

/// One broker behind a load balancer the resource creates; each test sets
/// its groups.
fn sgs(net: &Network) -> Block {
    privatelink("sgs", net, [])
        .map("brokers", [(1, object([("ip", s(format!("{}.10", net.subnets[0].prefix)))]))])
        .edit("endpoint_service", |e| e.unset("allowed_principals"))
}

/// `sgs` with `groups` (unset when `None`) and `enforce` (unset when `None`).
fn config(net: &Network, groups: Option<&[&str]>, enforce: Option<&str>) -> String {
    let mut resource = sgs(net);
    if let Some(groups) = groups {
        resource = resource.set("security_group_ids", list(groups.iter().map(s)));
    }
    if let Some(enforce) = enforce {
        resource = resource.str("enforce_security_group_inbound_rules_on_private_link_traffic", enforce);
    }
    Config::new().with(resource).to_string()
}

async fn groups_of(aws: &Aws) -> Vec<(String, Vec<String>)> {
    let out = aws.elb.describe_load_balancers().send().await.unwrap();
    out.load_balancers()
        .iter()
        .map(|lb| {
            let mut g: Vec<String> = lb.security_groups().to_vec();
            g.sort();
            (lb.load_balancer_arn().unwrap().to_owned(), g)
        })
        .collect()
}

#[tokio::test]
async fn security_groups_are_set_at_creation_changed_in_place_and_none_to_some_replaces() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let (a, b) = (aws.security_group(&net, "a", None).await, aws.security_group(&net, "b", None).await);

    let ws = Workspace::new(&config(&net, Some(&[&a]), Some("off"))).with_moto(&moto);
    let (ok, lines) = ws.plan_json();
    assert!(ok);
    assert!(
        !diagnostics(&lines).iter().any(|d| d.summary.contains("without security groups")),
        "no warning when groups are given"
    );
    ws.apply();
    let created = groups_of(&aws).await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].1, vec![a.clone()]);
    ws.assert_no_changes();

    // Another set of groups: in place, same load balancer.
    ws.write("main.tf", &config(&net, Some(&[&a, &b]), None));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("1 to change, 0 to destroy"), "{plan}");
    ws.apply();
    let changed = groups_of(&aws).await;
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(changed, vec![(created[0].0.clone(), both)], "the same load balancer, both groups");
    ws.assert_no_changes();

    // Some → none: AWS cannot, so the plan replaces and says why.
    ws.write("main.tf", &config(&net, Some(&[]), None));
    let plan = ws.ok(&["plan", "-no-color"]);
    let flat = plan.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("must be replaced"), "{plan}");
    assert!(flat.contains("# forces replacement"), "{plan}");
    assert!(flat.contains("A load balancer without security groups, for good"), "{plan}");
    ws.apply();
    let replaced = groups_of(&aws).await;
    assert_eq!(replaced.len(), 1);
    assert_ne!(replaced[0].0, created[0].0, "a new load balancer");
    assert!(replaced[0].1.is_empty());

    // None → some: a replacement again.
    ws.write("main.tf", &config(&net, Some(&[&a]), None));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.split_whitespace().collect::<Vec<_>>().join(" ").contains("# forces replacement"), "{plan}");
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn bad_security_group_settings_fail_at_plan_with_their_path() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(&net, Some(&["sg-xyz"]), Some("maybe"))).with_moto(&moto);
    let v = ws.validate_json();
    let text = v.to_string();
    assert_eq!(v["valid"], false, "{text}");
    assert!(text.contains("is not a security group id"), "{text}");
    assert!(text.contains("is neither \\\"on\\\" nor \\\"off\\\""), "{text}");

    ws.write("main.tf", &config(&net, None, Some("on")));
    let text = ws.validate_json().to_string();
    assert!(text.contains("No security groups to enforce"), "{text}");

    // Adopting: the load balancer's groups are its own.
    let lb = aws.bare_load_balancer(&net, "theirs").await;
    let adopting = sgs(&net)
        .unset("subnet_ids")
        .str("load_balancer_arn", &lb)
        .set("security_group_ids", list([s("sg-0123456789abcdef0")]));
    ws.write("main.tf", &Config::new().with(adopting).to_string());
    let text = ws.validate_json().to_string();
    assert!(text.contains("Not managed on an adopted load balancer"), "{text}");
}

#[tokio::test]
async fn a_new_load_balancer_without_groups_is_warned_about() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(&net, None, None)).with_moto(&moto);
    let (ok, lines) = ws.plan_json();
    assert!(ok);
    let warned: Vec<_> =
        diagnostics(&lines).into_iter().filter(|d| d.severity == "warning" && d.summary.contains("for good")).collect();
    assert_eq!(warned.len(), 1, "{lines:?}");
    assert!(warned[0].detail.contains("AWS never adds one later"), "{warned:?}");
}

#[tokio::test]
async fn an_adopted_load_balancer_reports_its_groups_and_keeps_them() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let sg = aws.security_group(&net, "theirs", None).await;
    let lb = aws
        .elb
        .create_load_balancer()
        .name("theirs")
        .r#type(aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum::Network)
        .scheme(aws_sdk_elasticloadbalancingv2::types::LoadBalancerSchemeEnum::Internal)
        .subnets(&net.subnets[0].id)
        .security_groups(&sg)
        .send()
        .await
        .unwrap();
    let lb = lb.load_balancers()[0].load_balancer_arn().unwrap().to_owned();
    let ws = Workspace::new(&format!(
        r#"{HEADER}
resource "kafka_privatelink" "k" {{
  name              = "sgs"
  vpc_id            = "{vpc}"
  load_balancer_arn = "{lb}"
  brokers = {{
    "1" = {{ ip = "{a}.10" }}
  }}
  endpoint_service {{}}
}}

output "groups" {{ value = kafka_privatelink.k.security_group_ids }}
"#,
        vpc = net.vpc,
        a = net.subnets[0].prefix,
    ))
    .with_moto(&moto);
    ws.apply();
    assert_eq!(ws.output("groups"), serde_json::json!([sg.clone()]));
    ws.assert_no_changes();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(groups_of(&aws).await, vec![(lb, vec![sg])], "the adopted load balancer and its group stay");
}

#[tokio::test]
async fn security_groups_known_only_at_apply_replace_as_planned() {
    let (moto, aws, net) = world().await;
    let sg = aws.security_group(&net, "nlb", None).await;
    let groups = with_brokers(&net, "groups", &[ip_broker(&net, 1, 10)]);
    let ws = Workspace::new(&config_of(groups.clone())).with_moto(&moto);
    ws.apply();
    let old = aws.snapshot().await.load_balancers;
    // a group id from a resource of the same apply: unknown at plan
    let late = Config::new()
        .with(groups.clone().set("security_group_ids", "[terraform_data.sg.output]"))
        .with(Block::resource("terraform_data", "sg").str("input", &sg));
    ws.write("main.tf", &late.to_string());
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("must be replaced"), "none to some is a replacement, said at plan:\n{plan}");
    ws.apply();
    ws.assert_no_changes();
    assert_ne!(aws.snapshot().await.load_balancers, old, "replaced, as planned");

    // A list unknown as a whole cannot say: refused at plan, nothing changed.
    let whole = Config::new()
        .with(groups.set("security_group_ids", "terraform_data.sgs.output"))
        .with(Block::resource("terraform_data", "sgs").set("input", format!("[{}]", s(&sg))))
        .with(Block::resource("terraform_data", "unused").str("input", &sg));
    ws.write("main.tf", &whole.to_string());
    let out = ws.fails(&["plan", "-no-color"]);
    assert!(out.contains("Replacement undecidable at plan"), "{out}");
}
