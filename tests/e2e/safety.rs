//! The defects a pipeline would meet outside the broker map, one regression
//! test each, under the real Terraform against moto: another state's setup
//! of the same name left alone, a live broker's port never taken, brokers
//! switched between ip and instance, a load balancer deleted out of band,
//! an imported setup with a long name, security groups unknown at plan,
//! and availability zones that could not be read.

use aws_sdk_elasticloadbalancingv2::types::Tag;
use serde_json::json;

use crate::common::aws::{Aws, Network};
use crate::common::hcl::{Block, Config, object, s, subnet_ids};
use crate::common::{FaultProxy, HEADER, Moto, Workspace, diagnostics};

/// One `brokers` entry: its id and its value.
type Broker = (u32, String);

/// `name`'s resource over `brokers`, created in the network's subnets,
/// with an endpoint service of defaults; each test edits it.
fn setup(net: &Network, name: &str, brokers: &[Broker]) -> Block {
    Block::resource("kafka_privatelink", "k")
        .str("name", name)
        .str("vpc_id", &net.vpc)
        .set("subnet_ids", subnet_ids(&net.subnets))
        .map("brokers", brokers.iter().cloned())
        .block(Block::new("endpoint_service"))
}

/// The configuration of one resource.
fn tf(resource: Block) -> String {
    Config::new().with(resource).to_string()
}

/// Broker `id` at `host` in its subnet (`id % 3`).
fn ip_broker(net: &Network, id: u32, host: u32) -> Broker {
    (id, object([("ip", s(format!("{}.{host}", net.subnets[id as usize % 3].prefix)))]))
}

fn bootstrap(listener_port: u16) -> Block {
    Block::new("bootstrap").set("listener_port", listener_port)
}

async fn world() -> (Moto, Aws, Network) {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    (moto, aws, net)
}

#[tokio::test]
async fn a_state_adopting_another_load_balancer_under_the_same_name_never_touches_the_first() {
    let (moto, aws, net) = world().await;
    let staging = Workspace::new(&tf(setup(&net, "orders", &[ip_broker(&net, 1, 10)]))).with_moto(&moto);
    staging.apply();
    let before = aws.snapshot().await;

    let other = aws.bare_load_balancer(&net, "other-nlb").await;
    let prod = Workspace::new(&tf(setup(&net, "orders", &[ip_broker(&net, 1, 99)])
        .unset("subnet_ids")
        .str("load_balancer_arn", &other)))
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
        &tf(setup(&net, "orders", &[ip_broker(&net, 1, 10)]).set("tags", object([("team", s("data"))]))),
    );
    staging.apply();
    let tags = aws
        .elb
        .describe_tags()
        .set_resource_arns(Some(before.target_groups.values().map(|t| t.0.clone()).collect()))
        .send()
        .await
        .unwrap();
    let marked = tags
        .tag_descriptions()
        .iter()
        .all(|d| d.tags().iter().any(|t: &Tag| t.key() == Some("kafka-privatelink:complete")));
    assert!(marked, "every group of a finished setup carries the mark again");
    staging.ok(&["destroy", "-auto-approve", "-no-color"]);
}

#[tokio::test]
async fn a_bootstrap_on_a_live_brokers_port_is_refused_at_plan() {
    let (moto, aws, net) = world().await;
    let ports = setup(&net, "ports", &[ip_broker(&net, 1, 10), ip_broker(&net, 2, 10), ip_broker(&net, 3, 10)]);
    let ws = Workspace::new(&tf(ports.clone())).with_moto(&moto);
    ws.apply();
    let before = aws.snapshot().await;
    assert!(before.listeners.contains_key(&9002));

    ws.write("main.tf", &tf(ports.clone().block(bootstrap(9002))));
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
    ws.write("main.tf", &tf(ports.block(bootstrap(9004))));
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
async fn brokers_switch_between_ip_and_instance_in_place() {
    let (moto, aws, net) = world().await;
    let instance = aws.instance(&net, 1, &format!("{}.10", net.subnets[1].prefix), None).await;
    let by_ip = ip_broker(&net, 1, 10);
    let by_instance = (1, object([("instance_id", s(&instance))]));
    let ws = Workspace::new(&tf(setup(&net, "switch", std::slice::from_ref(&by_ip)))).with_moto(&moto);
    ws.apply();
    let lb = aws.snapshot().await.load_balancers;
    for (brokers, target) in
        [(&by_instance, format!("{instance}:9092")), (&by_ip, format!("{}.10:9092", net.subnets[1].prefix))]
    {
        ws.write("main.tf", &tf(setup(&net, "switch", std::slice::from_ref(brokers))));
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

#[tokio::test]
async fn a_load_balancer_deleted_out_of_band_is_made_again() {
    let (moto, aws, net) = world().await;
    let ws = Workspace::new(&tf(setup(&net, "gone", &[ip_broker(&net, 1, 10)]))).with_moto(&moto);
    ws.apply();
    let before = aws.snapshot().await;
    let old = before.load_balancers[0].clone();
    // AWS refuses to delete a load balancer an endpoint service fronts: the
    // service goes first, then the load balancer; the groups stay.
    let service = before.services.keys().next().cloned().unwrap();
    aws.ec2.delete_vpc_endpoint_service_configurations().service_ids(service).send().await.unwrap();
    aws.elb.delete_load_balancer().load_balancer_arn(&old).send().await.unwrap();
    ws.apply();
    ws.assert_no_changes();
    let snap = aws.snapshot().await;
    assert_eq!(snap.load_balancers.len(), 1);
    assert_ne!(snap.load_balancers[0], old, "a new load balancer");
    assert_eq!(snap.routes().len(), 1, "its broker behind its listener again");
    let state: serde_json::Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    assert_eq!(
        state["values"]["root_module"]["resources"][0]["values"]["load_balancer_arn"],
        snap.load_balancers[0].as_str()
    );
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
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

#[tokio::test]
async fn security_groups_known_only_at_apply_replace_as_planned() {
    let (moto, aws, net) = world().await;
    let sg = aws.security_group(&net, "nlb", None).await;
    let groups = setup(&net, "groups", &[ip_broker(&net, 1, 10)]);
    let ws = Workspace::new(&tf(groups.clone())).with_moto(&moto);
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

#[tokio::test]
async fn zones_that_could_not_be_read_are_read_again() {
    let (moto, aws, net) = world().await;
    let proxy = FaultProxy::start(&moto);
    let ws = Workspace::new(&tf(setup(&net, "zones", &[ip_broker(&net, 1, 10)]))).with_aws_endpoint(&proxy.url);
    // the plan reads the subnets once; the apply's read after the create fails
    proxy.rules(&json!([{"action": "DescribeSubnets", "code": "UnauthorizedOperation", "calls": [3]}]));
    let out = ws.apply();
    assert!(out.contains("Availability zones not read"), "a warning says so:\n{out}");
    let zones = |ws: &Workspace| {
        let state: serde_json::Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
        state["values"]["root_module"]["resources"][0]["values"]["availability_zone_ids"].clone()
    };
    assert_eq!(zones(&ws), serde_json::Value::Null, "unknown, not an empty set for good");
    proxy.rules(&json!([]));
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    assert_eq!(zones(&ws).as_array().map(Vec::len), Some(3), "the next refresh reads them");
    ws.assert_no_changes();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn a_create_before_destroy_replacement_is_refused_with_what_to_do_and_changes_nothing() {
    let (moto, aws, net) = world().await;
    let plain = setup(&net, "cbd", &[ip_broker(&net, 1, 10)]);
    let cbd = plain.clone().block(Block::new("lifecycle").set("create_before_destroy", true));
    let ws = Workspace::new(&tf(cbd.clone())).with_moto(&moto);
    ws.apply();
    let before = aws.snapshot().await;
    // A security group on a load balancer made without one replaces it
    // (AWS never adds one); the new one first, under the names the old one
    // still holds.
    let sg = aws.security_group(&net, "cbd", None).await;
    let groups = crate::common::hcl::list([s(&sg)]);
    ws.write("main.tf", &tf(cbd.set("security_group_ids", &groups)));
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("remove create_before_destroy"), "{out}");
    assert_eq!(aws.snapshot().await, before, "nothing changed");
    // Without it, the same replacement goes through.
    ws.write("main.tf", &tf(plain.set("security_group_ids", groups)));
    // (The failed create left the old one deposed: the plan cannot tell it
    // from another state's, warns, and the apply destroys it first.)
    ws.apply();
    ws.assert_no_changes();
    assert_ne!(aws.snapshot().await.load_balancers, before.load_balancers);
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn a_replacement_that_would_move_a_port_is_refused_until_it_is_pinned() {
    let (moto, aws, net) = world().await;
    let three = [ip_broker(&net, 1, 10), ip_broker(&net, 2, 10), ip_broker(&net, 3, 10)];
    let ws = Workspace::new(&tf(setup(&net, "moves", &three))).with_moto(&moto);
    ws.apply();
    // Broker 2 goes: broker 3 keeps 9003, a hole at 9002.
    let two = setup(&net, "moves", &[ip_broker(&net, 1, 10), ip_broker(&net, 3, 10)]);
    ws.write("main.tf", &tf(two.clone()));
    ws.apply();
    let before = aws.snapshot().await;
    assert!(before.listeners.contains_key(&9003));
    // A new name replaces the load balancer; afresh, broker 3 would get
    // 9002.
    let two = two.str("name", "moved");
    ws.write("main.tf", &tf(two.clone()));
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
    ws.write("main.tf", &tf(pinned));
    ws.apply();
    ws.assert_no_changes();
    let after = aws.snapshot().await;
    assert_ne!(after.load_balancers, before.load_balancers, "replaced");
    assert_eq!(after.routes()[&9003], before.routes()[&9003], "broker 3 still on 9003");
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
}

/// Found by the model test: a bootstrap moved to another listener port and
/// from an explicit target port back to the brokers' own kept its old group
/// and lost every target.
#[tokio::test]
async fn a_bootstrap_moved_to_the_brokers_own_ports_reaches_every_broker() {
    let (moto, aws, net) = world().await;
    let boot = setup(&net, "boot", &[ip_broker(&net, 1, 10), ip_broker(&net, 2, 10), ip_broker(&net, 3, 10)]);
    let ws = Workspace::new(&tf(boot.clone().block(bootstrap(9095).set("target_port", 9094)))).with_moto(&moto);
    ws.apply();
    assert_eq!(aws.snapshot().await.routes()[&9095].len(), 3);
    ws.write("main.tf", &tf(boot.block(bootstrap(9092))));
    ws.apply();
    ws.assert_no_changes();
    let routes = aws.snapshot().await.routes();
    let want: std::collections::BTreeSet<String> =
        (1..=3).map(|i| format!("{}.10:9092", net.subnets[i % 3].prefix)).collect();
    assert_eq!(routes.get(&9092), Some(&want), "{routes:?}");
    assert!(!routes.contains_key(&9095), "the old listener is gone: {routes:?}");
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}

/// A bootstrap target deregistered out of band shows in the plan (as a
/// broker's does) and the apply puts it back.
#[tokio::test]
async fn bootstrap_target_drift_shows_in_the_plan_and_is_repaired() {
    let (moto, aws, net) = world().await;
    let drift = setup(&net, "drift", &[ip_broker(&net, 1, 10), ip_broker(&net, 2, 10)]).block(bootstrap(9092));
    let ws = Workspace::new(&tf(drift)).with_moto(&moto);
    ws.apply();
    ws.assert_no_changes();
    let before = aws.snapshot().await.routes();
    let tg = aws.snapshot().await.listeners[&9092].1.clone();
    let gone = before[&9092].iter().next().cloned().expect("a bootstrap target");
    let (id, port) = gone.rsplit_once(':').expect("ip:port");
    let t = aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
        .id(id)
        .port(port.parse().expect("a port"))
        .build();
    aws.elb.deregister_targets().target_group_arn(&tg).targets(t).send().await.unwrap();
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains(&gone), "the plan shows the missing target:\n{plan}");
    ws.apply();
    ws.assert_no_changes();
    assert_eq!(aws.snapshot().await.routes()[&9092], before[&9092], "repaired");
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
}
