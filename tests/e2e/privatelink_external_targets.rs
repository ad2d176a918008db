//! `target_registration = "external"` under the real Terraform: the target
//! groups, listeners, bootstrap and service are managed, another actor
//! (here the test, standing in for the AWS Load Balancer Controller's
//! `TargetGroupBinding`) registers and replaces the targets, plans stay
//! empty, and the provider makes no target call. Switching between the two
//! modes in place never leaves a broker without a target.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_elasticloadbalancingv2::types::TargetDescription;
use serde_json::Value;

use crate::common::aws::{Aws, Network};
use crate::common::hcl::{Block, Config, broker_ip, list, object, output, s, subnet_ids};
use crate::common::{Moto, Workspace, diagnostics};

/// `orders` over brokers `ids`, with a bootstrap listener: registered by
/// another actor (`external`), or by the provider at [`broker_ip`].
fn orders(net: &Network, ids: &[u32], external: bool) -> Block {
    let brokers = ids.iter().map(|id| {
        let entry =
            if external { object([("port", "9092".to_owned())]) } else { object([("ip", s(broker_ip(net, *id)))]) };
        (*id, entry)
    });
    Block::resource("kafka_privatelink", "k")
        .str("name", "orders")
        .str("vpc_id", &net.vpc)
        .set("subnet_ids", subnet_ids(&net.subnets))
        .opt("target_registration", external.then(|| s("external")))
        .map("brokers", brokers)
        .block(Block::new("bootstrap").set("listener_port", 9000))
        .block(Block::new("endpoint_service").set("allowed_principals", list([s("arn:aws:iam::123456789012:root")])))
}

/// The resource, and what a `TargetGroupBinding` per broker needs as
/// outputs (targets and health are read from the state: they move with the
/// controller, and outputs of them would show in every plan).
fn config(resource: Block) -> String {
    Config::new()
        .with(resource)
        .with(output(
            "bindings",
            "{ for id, b in kafka_privatelink.k.brokers : id => { arn = b.target_group_arn, type = b.target_type } }",
        ))
        .with(output("bootstrap", "kafka_privatelink.k.bootstrap[0].target_group_arn"))
        .with(output("target_type", "kafka_privatelink.k.target_type"))
        .to_string()
}

/// The state's brokers.
fn state_brokers(ws: &Workspace) -> Value {
    ws.output_of("kafka_privatelink.k", "brokers")
}

/// Broker id → its target group's ARN, from the state.
fn groups(ws: &Workspace) -> BTreeMap<String, String> {
    let brokers = state_brokers(ws);
    let out: BTreeMap<String, String> = brokers
        .as_object()
        .expect("brokers is a map")
        .iter()
        .map(|(k, b)| (k.clone(), b["target_group_arn"].as_str().expect("a group ARN").to_owned()))
        .collect();
    assert!(!out.is_empty());
    out
}

/// A pod address in broker `id`'s subnet: `generation` tells restarts apart.
fn pod(net: &Network, id: u32, generation: u32) -> String {
    format!("{}.{}", net.subnets[id as usize % 3].prefix, 100 + generation * 10 + id)
}

/// The controller's work: `register` into the group, `deregister` out of it.
async fn controller(aws: &Aws, group: &str, register: &[&str], deregister: &[&str]) {
    let t = |ip: &&str| TargetDescription::builder().id(*ip).port(9092).build();
    if !register.is_empty() {
        let targets = register.iter().map(t).collect();
        aws.elb.register_targets().target_group_arn(group).set_targets(Some(targets)).send().await.unwrap();
    }
    if !deregister.is_empty() {
        let targets = deregister.iter().map(t).collect();
        aws.elb.deregister_targets().target_group_arn(group).set_targets(Some(targets)).send().await.unwrap();
    }
}

/// Group ARN → its targets, as AWS holds them.
async fn held(aws: &Aws) -> BTreeMap<String, BTreeSet<String>> {
    aws.snapshot().await.target_groups.into_values().map(|(arn, _, targets)| (arn, targets)).collect()
}

fn no_target_calls(moto: &Moto) {
    let calls = moto.proxy().target_calls();
    assert!(calls.is_empty(), "the provider called {calls:?}");
}

fn targets_of(b: &Value) -> BTreeSet<String> {
    b["targets"].as_array().expect("targets").iter().map(|t| t.as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn another_actors_targets_are_never_touched_nor_drift() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(orders(&net, &[1, 2, 3], true))).with_moto(&moto);
    moto.proxy().reset_counts();
    ws.apply();
    no_target_calls(&moto);

    // Every group exists, empty, ready for a binding: ARN and type per broker.
    let tgs = groups(&ws);
    assert_eq!(tgs.len(), 3);
    let brokers = state_brokers(&ws);
    let bindings = ws.output("bindings");
    for (id, b) in brokers.as_object().unwrap() {
        assert_eq!(b["target_type"], "ip");
        assert_eq!(bindings[id]["type"], "ip");
        assert_eq!(bindings[id]["arn"], b["target_group_arn"]);
        assert!(b["ip"].is_null(), "{b}");
        assert!(targets_of(b).is_empty());
    }
    assert_eq!(ws.output("target_type"), "ip");
    let boot = ws.output("bootstrap").as_str().unwrap().to_owned();
    let before = held(&aws).await;
    assert_eq!(before.len(), 4, "a group per broker and the bootstrap group");
    assert!(before.values().all(BTreeSet::is_empty), "{before:?}");
    assert_eq!(aws.snapshot().await.listeners.len(), 4, "a listener per broker and the bootstrap listener");

    // The controller binds: a pod per broker, all of them in the bootstrap group.
    let pods: BTreeMap<&String, String> = tgs.iter().map(|(k, g)| (g, pod(&net, k.parse().unwrap(), 0))).collect();
    for (group, ip) in &pods {
        controller(&aws, group, &[ip], &[]).await;
    }
    let all: Vec<&str> = pods.values().map(String::as_str).collect();
    controller(&aws, &boot, &all, &[]).await;
    moto.proxy().reset_counts();
    ws.assert_no_changes();
    no_target_calls(&moto);

    // A pod restarts with a new address; the old one is still draining.
    let (g1, old) = (&tgs["1"], pods[&tgs["1"]].clone());
    let new = pod(&net, 1, 1);
    controller(&aws, g1, &[&new], &[]).await;
    controller(&aws, &boot, &[&new], &[&old]).await;
    moto.proxy().reset_counts();
    ws.assert_no_changes();
    no_target_calls(&moto);

    // An apply that changes something else keeps the controller's targets
    // and says what they are (no inconsistent result while they move).
    ws.write("main.tf", &config(orders(&net, &[1, 2, 3, 4], true).set("tags", object([("team", s("data"))]))));
    moto.proxy().reset_counts();
    ws.apply();
    no_target_calls(&moto);
    let after = held(&aws).await;
    assert_eq!(after[g1], BTreeSet::from([format!("{old}:9092"), format!("{new}:9092")]));
    assert_eq!(after[&boot].len(), 3);
    let brokers = state_brokers(&ws);
    assert_eq!(targets_of(&brokers["1"]), after[g1], "the state shows the controller's targets");
    assert!(targets_of(&brokers["4"]).is_empty(), "a new broker's group starts empty");
    let health = ws.output_of("kafka_privatelink.k", "target_health");
    assert!(health["1"]["state"].is_string(), "health is still reported: {health}");
    assert!(health.get("4").is_none(), "no target, no health: {health}");
    ws.assert_no_changes();

    // The old pod goes; an empty plan again.
    controller(&aws, g1, &[], &[&old]).await;
    moto.proxy().reset_counts();
    ws.assert_no_changes();
    no_target_calls(&moto);
}

#[tokio::test]
async fn switching_modes_in_place_never_leaves_a_broker_without_a_target() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(orders(&net, &[1, 2], false))).with_moto(&moto);
    ws.apply();
    let tgs = groups(&ws);
    let ours: BTreeMap<String, BTreeSet<String>> = tgs
        .iter()
        .map(|(k, g)| (g.clone(), BTreeSet::from([format!("{}:9092", broker_ip(&net, k.parse().unwrap()))])))
        .collect();

    // To the controller: in place, and our targets stay until it replaces them.
    ws.write("main.tf", &config(orders(&net, &[1, 2], true)));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("0 to add, 1 to change, 0 to destroy"), "{plan}");
    assert!(!plan.contains("forces replacement"), "{plan}");
    moto.proxy().reset_counts();
    ws.apply();
    no_target_calls(&moto);
    assert_eq!(groups(&ws), tgs, "the same groups");
    let now = held(&aws).await;
    for (g, t) in &ours {
        assert_eq!(&now[g], t, "a broker's own target stays until the controller replaces it");
    }
    ws.assert_no_changes();

    // The controller takes over: pods in, our targets out.
    for (k, g) in &tgs {
        let id: u32 = k.parse().unwrap();
        let mine = broker_ip(&net, id);
        controller(&aws, g, &[&pod(&net, id, 0)], &[&mine]).await;
    }
    moto.proxy().reset_counts();
    ws.assert_no_changes();
    no_target_calls(&moto);

    // And back: our targets registered (and awaited) before the pods go.
    ws.write("main.tf", &config(orders(&net, &[1, 2], false)));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("0 to add, 1 to change, 0 to destroy"), "{plan}");
    moto.proxy().reset_counts();
    ws.apply();
    // (The order, register then wait then deregister, is the schedule's:
    // `diff::tests::switching_back_registers_and_waits_before_the_actors_targets_go`.)
    assert_eq!(moto.proxy().target_calls().len(), 2, "both registrations and deregistrations");
    assert_eq!(groups(&ws), tgs, "the same groups");
    let now = held(&aws).await;
    for (g, t) in &ours {
        assert_eq!(&now[g], t, "only the broker's own target is left");
    }
    ws.assert_no_changes();
}

#[tokio::test]
async fn instance_groups_for_nodeports_and_a_type_change_moves_listeners() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let instance = |b: Block| b.str("target_type", "instance");
    let ws = Workspace::new(&config(instance(orders(&net, &[1, 2], true)))).with_moto(&moto);
    ws.apply();
    assert_eq!(ws.output("bindings")["1"]["type"], "instance");
    let snap = aws.snapshot().await;
    assert!(snap.target_groups.keys().any(|n| n == "orders-i1-9092"), "{:?}", snap.target_groups.keys());
    ws.assert_no_changes();
    // To ip (named: unset keeps the groups' type): new groups, listeners moved, old groups gone; no target call.
    let listeners = snap.listeners.iter().map(|(p, (arn, _))| (*p, arn.clone())).collect::<BTreeMap<_, _>>();
    ws.write("main.tf", &config(orders(&net, &[1, 2], true).str("target_type", "ip")));
    let (ok, lines) = ws.plan_json();
    assert!(ok);
    let warned: BTreeSet<String> = diagnostics(&lines)
        .into_iter()
        .filter(|d| d.summary == "A broker moves to a target group nobody has bound yet")
        .map(|d| d.detail.split('\'').next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(warned, BTreeSet::from(["Broker 1".to_owned(), "Broker 2".to_owned()]), "{lines:?}");
    moto.proxy().reset_counts();
    ws.apply();
    no_target_calls(&moto);
    let snap = aws.snapshot().await;
    let names: BTreeSet<&String> = snap.target_groups.keys().collect();
    assert_eq!(
        names,
        BTreeSet::from([&"orders-b1-9092".to_owned(), &"orders-b2-9092".to_owned(), &"orders-boot-9092".to_owned()])
    );
    let kept = snap.listeners.iter().map(|(p, (arn, _))| (*p, arn.clone())).collect::<BTreeMap<_, _>>();
    assert_eq!(kept, listeners, "listeners stay; they forward to the new groups");
    ws.assert_no_changes();
}

#[tokio::test]
async fn a_setup_the_controller_fills_imports_and_stays_the_controllers() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(orders(&net, &[1, 2], true))).with_moto(&moto);
    ws.apply();
    let tgs = groups(&ws);
    let boot = ws.output("bootstrap").as_str().unwrap().to_owned();
    let mut pods = Vec::new();
    for (k, g) in &tgs {
        let ip = pod(&net, k.parse().unwrap(), 0);
        controller(&aws, g, &[&ip], &[]).await;
        pods.push(ip);
    }
    controller(&aws, &boot, &pods.iter().map(String::as_str).collect::<Vec<_>>(), &[]).await;
    let before = held(&aws).await;
    let lb = ws.output_of("kafka_privatelink.k", "load_balancer_arn").as_str().unwrap().to_owned();

    // Taken over from scratch: the import reads the pods as targets; the
    // configuration hands them back to the controller in place.
    ws.ok(&["state", "rm", "kafka_privatelink.k"]);
    ws.ok(&["import", "-no-color", "kafka_privatelink.k", &lb]);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("0 to add, 1 to change, 0 to destroy"), "{plan}");
    moto.proxy().reset_counts();
    ws.apply();
    no_target_calls(&moto);
    assert_eq!(groups(&ws), tgs, "the same groups");
    assert_eq!(held(&aws).await, before, "the pods stay where the controller put them");
    ws.assert_no_changes();
}

#[tokio::test]
async fn instance_brokers_switch_to_nodeports_and_back_in_the_same_groups() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let mut instances = BTreeMap::new();
    for id in [1u32, 2] {
        let i = aws.instance(&net, id as usize % 3, &broker_ip(&net, id), None).await;
        instances.insert(id, i);
    }
    let by_instance = |external: bool| {
        let brokers = instances.iter().map(|(id, i)| {
            (*id, if external { object([("port", "9092".to_owned())]) } else { object([("instance_id", s(i))]) })
        });
        orders(&net, &[], external).map("brokers", brokers)
    };
    let ws = Workspace::new(&config(by_instance(false))).with_moto(&moto);
    ws.apply();
    let tgs = groups(&ws);
    assert_eq!(ws.output("target_type"), "instance");

    // target_type unset: the groups keep theirs, nothing moves, no target call.
    ws.write("main.tf", &config(by_instance(true)));
    moto.proxy().reset_counts();
    ws.apply();
    no_target_calls(&moto);
    assert_eq!(groups(&ws), tgs, "the same instance groups");
    assert_eq!(ws.output("target_type"), "instance");

    // The controller registers the nodes on a NodePort instead.
    for (k, g) in &tgs {
        let node = &instances[&k.parse::<u32>().unwrap()];
        let t = |port: i32| TargetDescription::builder().id(node).port(port).build();
        aws.elb.register_targets().target_group_arn(g).targets(t(30094)).send().await.unwrap();
        aws.elb.deregister_targets().target_group_arn(g).targets(t(9092)).send().await.unwrap();
    }
    ws.assert_no_changes();

    // Back: the same groups take the brokers' own targets again.
    ws.write("main.tf", &config(by_instance(false)));
    ws.apply();
    assert_eq!(groups(&ws), tgs, "the same instance groups");
    let now = held(&aws).await;
    for (k, g) in &tgs {
        let node = &instances[&k.parse::<u32>().unwrap()];
        assert_eq!(now[g], BTreeSet::from([format!("{node}:9092")]));
    }
    ws.assert_no_changes();
}

#[tokio::test]
async fn our_setup_imports_as_external_while_the_controller_binds_or_rolls() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(orders(&net, &[1, 2, 3], true))).with_moto(&moto);
    ws.apply();
    let tgs = groups(&ws);
    let lb = ws.output_of("kafka_privatelink.k", "load_balancer_arn").as_str().unwrap().to_owned();
    let reimport = |what: &str| {
        ws.ok(&["state", "rm", "kafka_privatelink.k"]);
        ws.ok(&["import", "-no-color", "kafka_privatelink.k", &lb]);
        assert_eq!(ws.output_of("kafka_privatelink.k", "target_registration"), "external", "{what}");
        ws.assert_no_changes();
        assert_eq!(groups(&ws), tgs, "{what}");
    };
    // Nothing bound yet: every group empty.
    reimport("no pod bound yet");
    // Broker 1 mid-roll (two pods), broker 2 bound, broker 3 not yet.
    let (p1, p2) = (pod(&net, 1, 0), pod(&net, 1, 1));
    controller(&aws, &tgs["1"], &[&p1, &p2], &[]).await;
    controller(&aws, &tgs["2"], &[&pod(&net, 2, 0)], &[]).await;
    moto.proxy().reset_counts();
    reimport("a roll under way");
    no_target_calls(&moto);
}

#[tokio::test]
async fn generated_configuration_of_an_unbound_setup_is_external() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let made = Workspace::new(&config(orders(&net, &[1, 2], true))).with_moto(&moto);
    made.apply();
    let lb = made.output_of("kafka_privatelink.k", "load_balancer_arn").as_str().unwrap().to_owned();
    // Another configuration finds it with nothing bound yet.
    let header = Config::new().to_string();
    let ws = Workspace::new(&format!("{header}\nimport {{\n  to = kafka_privatelink.found\n  id = \"{lb}\"\n}}\n"))
        .with_moto(&moto);
    ws.ok(&["plan", "-no-color", "-generate-config-out=generated.tf"]);
    let generated = std::fs::read_to_string(ws.path().join("generated.tf")).unwrap();
    assert!(generated.contains("target_registration") && generated.contains("\"external\""), "{generated}");
    assert!(!generated.contains(" ip "), "no broker names a target:\n{generated}");
    assert_eq!(ws.validate_json()["valid"], true);
    moto.proxy().reset_counts();
    ws.apply();
    no_target_calls(&moto);
    ws.assert_no_changes();
}
