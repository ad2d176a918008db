//! `kafka_privatelink` over several load balancers
//! (`brokers_per_load_balancer`), end to end under the real Terraform:
//! placement as stable as ports, a load balancer and service per shard,
//! the bootstrap listener on the first reaching every broker, and the
//! per-broker layout keeping each broker's own port.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::aws::{Aws, Network, Snapshot};
use crate::common::hcl::{Block, Config, list, object, output, s, subnet_ids};
use crate::common::{Moto, Workspace};

const MZ: &str = "arn:aws:iam::664411391173:root";

/// `orders` over brokers `ids` (broker `id` at `.<10 + id>` of subnet
/// `id % 3`), `per` to a load balancer.
fn orders(net: &Network, ids: &[u32], per: Option<u32>) -> Block {
    let brokers = ids.iter().map(|id| (*id, object([("ip", s(ip(net, *id)))])));
    Block::resource("kafka_privatelink", "kafka")
        .str("name", "orders")
        .str("vpc_id", &net.vpc)
        .set("subnet_ids", subnet_ids(&net.subnets))
        .opt("brokers_per_load_balancer", per)
        .map("brokers", brokers)
        .block(Block::new("endpoint_service").set("allowed_principals", list([s(MZ)])))
}

fn ip(net: &Network, id: u32) -> String {
    format!("{}.{}", net.subnets[id as usize % net.subnets.len()].prefix, 10 + id)
}

fn config(resource: Block) -> String {
    Config::new()
        .with(resource)
        .with(output("brokers", "kafka_privatelink.kafka.brokers"))
        .with(output("load_balancers", "kafka_privatelink.kafka.load_balancers"))
        .with(output("service", "kafka_privatelink.kafka.endpoint_service[0]"))
        .with(output("lb", "kafka_privatelink.kafka.load_balancer_arn"))
        .to_string()
}

/// `load_balancers` as (name, broker ids).
fn placement(lbs: &Value) -> Vec<(String, Vec<String>)> {
    let lbs = lbs.as_array().expect("load_balancers is a list");
    lbs.iter()
        .map(|lb| {
            let ids = lb["broker_ids"].as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_owned()).collect();
            (lb["name"].as_str().unwrap().to_owned(), ids)
        })
        .collect()
}

fn names(v: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    v.iter().map(|(n, ids)| ((*n).to_owned(), ids.iter().map(|i| (*i).to_owned()).collect())).collect()
}

/// What AWS holds, per load balancer: listener port → targets.
fn served(snap: &Snapshot) -> BTreeMap<String, BTreeMap<u16, BTreeSet<String>>> {
    snap.routes_by_load_balancer()
}

fn targets(net: &Network, ids: &[u32]) -> BTreeSet<String> {
    ids.iter().map(|id| format!("{}:9092", ip(net, *id))).collect()
}

/// Every entry of `load_balancers` is a load balancer AWS holds, with its
/// own service in front, and every broker names its own load balancer's
/// service.
fn assert_wired(ws: &Workspace, snap: &Snapshot) {
    let lbs = ws.output("load_balancers");
    let brokers = ws.output("brokers");
    let lbs = lbs.as_array().unwrap();
    assert!(!lbs.is_empty());
    assert_eq!(lbs.len(), snap.load_balancers.len(), "one entry per load balancer AWS holds");
    assert_eq!(lbs.len(), snap.services.len(), "one service per load balancer");
    for lb in lbs {
        let arn = lb["load_balancer_arn"].as_str().unwrap();
        let service = lb["endpoint_service_id"].as_str().unwrap();
        assert!(snap.load_balancers.iter().any(|a| a == arn), "{arn} exists");
        assert_eq!(snap.service_load_balancers[service], BTreeSet::from([arn.to_owned()]), "{service} fronts {arn}");
        let ids = lb["broker_ids"].as_array().unwrap();
        for id in ids {
            let b = &brokers[id.as_str().unwrap()];
            assert_eq!(b["endpoint_service_name"], lb["endpoint_service_name"], "broker {id}");
        }
    }
    assert_eq!(ws.output("lb"), lbs[0]["load_balancer_arn"], "load_balancer_arn is the first's");
    assert_eq!(ws.output("service")["id"], lbs[0]["endpoint_service_id"], "endpoint_service is the first's");
}

#[tokio::test]
async fn brokers_spread_over_load_balancers_and_stay_where_they_are() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let boot = |b: Block| b.block(Block::new("bootstrap").set("listener_port", 9000));
    let ws = Workspace::new(&config(boot(orders(&net, &[1, 2, 3, 4, 5], Some(2))))).with_moto(&moto);

    // create: two to a load balancer, in id order; the bootstrap listener on
    // the first reaches all five
    ws.apply();
    let lbs = ws.output("load_balancers");
    assert_eq!(placement(&lbs), names(&[("orders", &["1", "2"]), ("orders-1", &["3", "4"]), ("orders-2", &["5"])]));
    let snap = aws.snapshot().await;
    assert_wired(&ws, &snap);
    let routes = served(&snap);
    assert_eq!(routes["orders"][&9000], targets(&net, &[1, 2, 3, 4, 5]), "bootstrap reaches every broker");
    assert_eq!(routes["orders"][&9001], targets(&net, &[1]));
    assert_eq!(routes["orders-1"][&9003], targets(&net, &[3]));
    assert_eq!(routes["orders-2"].keys().copied().collect::<Vec<_>>(), [9005]);
    ws.assert_no_changes();

    // a new broker takes the free place before any new load balancer
    ws.write("main.tf", &config(boot(orders(&net, &[1, 2, 3, 4, 5, 6], Some(2)))));
    ws.apply();
    assert_eq!(
        placement(&ws.output("load_balancers")),
        names(&[("orders", &["1", "2"]), ("orders-1", &["3", "4"]), ("orders-2", &["5", "6"])])
    );
    let snap = aws.snapshot().await;
    assert_eq!(snap.load_balancers.len(), 3);
    assert_eq!(served(&snap)["orders-2"][&9006], targets(&net, &[6]));
    assert_eq!(served(&snap)["orders"][&9000].len(), 6);
    ws.assert_no_changes();

    // a load balancer left with no broker goes, with its service; the
    // others keep their brokers, ports and ARNs
    let before = ws.output("brokers");
    ws.write("main.tf", &config(boot(orders(&net, &[1, 2, 5, 6], Some(2)))));
    ws.apply();
    assert_eq!(placement(&ws.output("load_balancers")), names(&[("orders", &["1", "2"]), ("orders-2", &["5", "6"])]));
    let after = ws.output("brokers");
    for id in ["1", "2", "5", "6"] {
        assert_eq!(after[id]["listener_arn"], before[id]["listener_arn"], "broker {id} untouched");
    }
    let snap = aws.snapshot().await;
    assert_wired(&ws, &snap);
    assert!(!served(&snap).contains_key("orders-1"));
    ws.assert_no_changes();

    // the next new load balancer takes the lowest free name
    ws.write("main.tf", &config(boot(orders(&net, &[1, 2, 5, 6, 7], Some(2)))));
    ws.apply();
    assert_eq!(
        placement(&ws.output("load_balancers")),
        names(&[("orders", &["1", "2"]), ("orders-2", &["5", "6"]), ("orders-1", &["7"])])
    );
    assert_wired(&ws, &aws.snapshot().await);
    ws.assert_no_changes();

    // fewer brokers per load balancer would move live brokers: refused at plan
    ws.write("main.tf", &config(boot(orders(&net, &[1, 2, 5, 6, 7], Some(1)))));
    let refused = ws.fails(&["plan", "-no-color"]);
    assert!(refused.contains("Brokers would move between load balancers"), "{refused}");
    assert!(refused.contains("brokers_per_load_balancer"), "{refused}");
    // and so would gathering them behind one
    ws.write("main.tf", &config(boot(orders(&net, &[1, 2, 5, 6, 7], None))));
    let refused = ws.fails(&["plan", "-no-color"]);
    assert!(refused.contains("Brokers would move between load balancers"), "{refused}");

    ws.write("main.tf", &config(boot(orders(&net, &[1, 2, 5, 6, 7], Some(2)))));
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    let snap = aws.snapshot().await;
    assert!(snap.is_empty(), "{snap:?}");
}

#[tokio::test]
async fn one_broker_a_load_balancer_keeps_each_brokers_own_port() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;

    // a live setup of one load balancer starts spreading: nobody moves
    let ws = Workspace::new(&config(orders(&net, &[1], None))).with_moto(&moto);
    ws.apply();
    let first = ws.output("brokers");
    assert_eq!(placement(&ws.output("load_balancers")), names(&[("orders", &["1"])]));
    ws.write("main.tf", &config(orders(&net, &[1], Some(1))));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("+ brokers_per_load_balancer = 1") && plan.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    assert!(!plan.contains("listener_port") && !plan.contains("load_balancer_arn"), "nothing else changes\n{plan}");
    ws.apply();
    assert_eq!(ws.output("brokers")["1"]["listener_arn"], first["1"]["listener_arn"]);
    ws.assert_no_changes();

    // new brokers each get a load balancer and their own port
    ws.write("main.tf", &config(orders(&net, &[1, 2, 3], Some(1))));
    ws.apply();
    assert_eq!(
        placement(&ws.output("load_balancers")),
        names(&[("orders", &["1"]), ("orders-1", &["2"]), ("orders-2", &["3"])])
    );
    let brokers = ws.output("brokers");
    assert_eq!(brokers["1"]["listener_arn"], first["1"]["listener_arn"], "broker 1 untouched");
    assert_eq!(brokers["1"]["listener_port"], 9001, "broker 1 keeps the port it had");
    assert_eq!(brokers["2"]["listener_port"], 9092);
    assert_eq!(brokers["3"]["listener_port"], 9092);
    let snap = aws.snapshot().await;
    assert_wired(&ws, &snap);
    assert_eq!(served(&snap)["orders-1"][&9092], targets(&net, &[2]));
    assert_eq!(served(&snap)["orders-2"][&9092], targets(&net, &[3]));
    ws.assert_no_changes();

    // the bootstrap listener may not take a port a broker of the first
    // load balancer has
    let clash = orders(&net, &[1, 2, 3], Some(1)).block(Block::new("bootstrap").set("listener_port", 9001));
    ws.write("main.tf", &config(clash));
    let refused = ws.fails(&["plan", "-no-color"]);
    assert!(refused.contains("Duplicate listener port on a load balancer"), "{refused}");

    // two to a load balancer from now on: nobody moves; a new broker takes
    // the first free place, on a port of its own there
    ws.write("main.tf", &config(orders(&net, &[1, 2, 3], Some(2))));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("0 to add, 1 to change, 0 to destroy") && !plan.contains("listener_arn"), "{plan}");
    ws.apply();
    ws.write("main.tf", &config(orders(&net, &[1, 2, 3, 4], Some(2))));
    ws.apply();
    assert_eq!(
        placement(&ws.output("load_balancers")),
        names(&[("orders", &["1", "4"]), ("orders-1", &["2"]), ("orders-2", &["3"])])
    );
    assert_eq!(ws.output("brokers")["4"]["listener_port"], 9002);
    assert_eq!(served(&aws.snapshot().await)["orders"][&9002], targets(&net, &[4]));
    ws.assert_no_changes();

    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn a_spread_past_the_regions_load_balancer_quota_is_warned_of_at_plan() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    // moto's account allows 20 network load balancers; 18 are taken.
    for i in 0..18 {
        aws.bare_load_balancer(&net, &format!("taken-{i}")).await;
    }
    // two load balancers fit
    let ws = Workspace::new(&config(orders(&net, &[1, 2, 3, 4], Some(2)))).with_moto(&moto);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(!plan.contains("Network load balancer quota"), "{plan}");
    // three do not: the plan says so, with the count
    ws.write("main.tf", &config(orders(&net, &[1, 2, 3, 4, 5], Some(2))));
    let plan = ws.ok(&["plan", "-no-color"]);
    let flat = plan.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Warning: Network load balancer quota"), "{plan}");
    assert!(
        flat.contains("This plan creates 3 network load balancers; the Region holds 18 and the account's quota is 20"),
        "{plan}"
    );
}

#[tokio::test]
async fn a_refresh_reads_every_load_balancer_in_batches() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(orders(&net, &[1, 2, 3, 4, 5, 6], Some(1)))).with_moto(&moto);
    ws.apply();
    let proxy = moto.proxy();
    proxy.reset_counts();
    ws.assert_no_changes();
    let counts = proxy.counts();
    assert!(!counts.is_empty());
    // one call for all six load balancers, services and their connections
    for batched in [
        "elbv2:DescribeLoadBalancers",
        "elbv2:DescribeTags",
        "ec2:DescribeVpcEndpointServiceConfigurations",
        "ec2:DescribeVpcEndpointConnections",
    ] {
        assert_eq!(counts.get(batched), Some(&1), "{batched}: {counts:?}");
    }
    // what AWS only answers per load balancer, service or group
    for per_object in [
        "elbv2:DescribeListeners",
        "elbv2:DescribeLoadBalancerAttributes",
        "ec2:DescribeVpcEndpointServicePermissions",
        "elbv2:DescribeTargetHealth",
    ] {
        assert_eq!(counts.get(per_object), Some(&6), "{per_object}: {counts:?}");
    }
}

/// Three internal NLBs, one per broker, as ClickHouse's MSK guide and AWS's
/// cross-account MSK sample build them: each named `name(i)`, a group on
/// the broker's port 9096 holding the broker, a listener on 9096, and an
/// endpoint service of its own. Returns each one's (ARN, service id).
async fn per_broker_by_hand(aws: &Aws, net: &Network, name: impl Fn(u32) -> String) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for id in [1u32, 2, 4] {
        let lb = name(id);
        let group = format!("{lb}-tg");
        let listeners = [crate::common::aws::HandListener {
            port: 9096,
            group: &group,
            group_port: 9096,
            targets: vec![(ip(net, id), 9096)],
        }];
        let kind = aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum::Network;
        let (arn, svc) = aws.hand_built(net, &lb, kind, &listeners, Some((true, &[MZ]))).await;
        out.push((arn, svc.expect("a service")));
    }
    out
}

fn per_broker_config(net: &Network, name: &str) -> Block {
    let brokers = [1u32, 2, 4].map(|id| (id, object([("ip", s(ip(net, id)))])));
    Block::resource("kafka_privatelink", "kafka")
        .str("name", name)
        .str("vpc_id", &net.vpc)
        .set("subnet_ids", subnet_ids(&net.subnets))
        .set("brokers_per_load_balancer", 1)
        .set("broker_port", 9096)
        .map("brokers", brokers)
        .block(Block::new("endpoint_service").set("allowed_principals", list([s(MZ)])))
}

#[tokio::test]
async fn per_broker_layouts_built_by_hand_import_in_one_step() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;

    // AWS's sample: each load balancer's name ends in its broker's id.
    let sample = per_broker_by_hand(&aws, &net, |id| format!("NLB-MSKBroker-{id}")).await;
    let id = sample.iter().map(|(arn, _)| arn.as_str()).collect::<Vec<_>>().join(",");
    let import = Block::new("import").set("to", "kafka_privatelink.kafka").set("id", s(&id));
    let ws = Workspace::new(
        &Config::new()
            .with(import)
            .with(per_broker_config(&net, "NLB-MSKBroker-1"))
            .with(output("load_balancers", "kafka_privatelink.kafka.load_balancers"))
            .to_string(),
    )
    .with_moto(&moto);
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("1 to import, 0 to add, 0 to change, 0 to destroy"), "{plan}");
    ws.apply();
    ws.assert_no_changes();
    let lbs = ws.output("load_balancers");
    assert_eq!(
        placement(&lbs),
        names(&[("NLB-MSKBroker-1", &["1"]), ("NLB-MSKBroker-2", &["2"]), ("NLB-MSKBroker-4", &["4"])])
    );
    for (lb, (arn, svc)) in lbs.as_array().unwrap().iter().zip(&sample) {
        assert_eq!(lb["load_balancer_arn"], arn.as_str());
        assert_eq!(lb["endpoint_service_id"], svc.as_str());
    }

    // ClickHouse's module names them after its own keys: the ids are given
    // in the import id, by service id here.
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let clickhouse = per_broker_by_hand(&aws, &net, |id| format!("clickpipes-msk-b{id}")).await;
    let id = [1, 2, 4].iter().zip(&clickhouse).map(|(b, (_, svc))| format!("{b}={svc}")).collect::<Vec<_>>().join(",");
    let ws = Workspace::new(&config(per_broker_config(&net, "clickpipes-msk-b1"))).with_moto(&moto);
    ws.ok(&["import", "-no-color", "kafka_privatelink.kafka", &id]);
    ws.assert_no_changes();
    // the setup goes on as any spread: a new broker, a load balancer of its own
    let grown = per_broker_config(&net, "clickpipes-msk-b1")
        .map("brokers", [1u32, 2, 4, 5].map(|id| (id, object([("ip", s(ip(&net, id)))]))));
    ws.write("main.tf", &config(grown));
    ws.apply();
    ws.assert_no_changes();
    let placed = placement(&ws.output("load_balancers"));
    assert_eq!(placed.len(), 4);
    assert_eq!(placed[3], ("clickpipes-msk-b1-1".to_owned(), vec!["5".to_owned()]));
    assert_eq!(ws.output("brokers")["5"]["listener_port"], 9096);
}

#[tokio::test]
async fn a_spread_of_ours_imports_whole_from_any_of_its_load_balancers_and_is_listed_once() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    // the first load balancer's bootstrap group holds the others' brokers too
    let boot = Block::new("bootstrap").set("listener_port", 9000);
    let ws = Workspace::new(&config(orders(&net, &[1, 2, 3], Some(1)).block(boot))).with_moto(&moto);
    ws.apply();
    let before = ws.output("load_balancers");
    ws.ok(&["state", "rm", "kafka_privatelink.kafka"]);

    // terraform query finds one resource, not three
    let q = Workspace::new(crate::common::HEADER).with_moto(&moto);
    let list = format!(
        "list \"kafka_privatelink\" \"all\" {{\n  provider = kafka\n  config {{\n    vpc_id = \"{}\"\n  }}\n}}\n",
        net.vpc
    );
    q.write("find.tfquery.hcl", &list);
    q.ok(&["query", "-no-color", "-generate-config-out=found.tf"]);
    let generated = std::fs::read_to_string(q.path().join("found.tf")).unwrap();
    assert_eq!(generated.matches("import {").count(), 1, "{generated}");

    // imported by the ARN of its second load balancer: all three, in order
    let second = before[1]["load_balancer_arn"].as_str().unwrap();
    ws.ok(&["import", "-no-color", "kafka_privatelink.kafka", second]);
    ws.assert_no_changes();
    assert_eq!(ws.output("load_balancers"), before);
}

#[tokio::test]
async fn a_new_load_balancers_name_held_by_another_is_refused_at_plan() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(orders(&net, &[1, 2], Some(2)))).with_moto(&moto);
    ws.apply();
    // a plan saved before someone else's load balancer takes the name the
    // next one gets: its apply refuses, and records nothing of theirs
    ws.write("main.tf", &config(orders(&net, &[1, 2, 3], Some(2))));
    ws.ok(&["plan", "-no-color", "-out=saved.tfplan"]);
    let theirs = aws.bare_load_balancer(&net, "orders-1").await;
    let refused = ws.fails(&["apply", "-no-color", "saved.tfplan"]);
    assert!(refused.contains("already exists"), "{refused}");
    let shown = ws.ok(&["show", "-json"]);
    assert!(!shown.contains(&theirs), "the state names their load balancer:\n{shown}");
    let refused = ws.fails(&["plan", "-no-color"]);
    let flat = refused.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("a load balancer named \"orders-1\" already exists"), "{refused}");
    assert!(flat.contains("brokers_per_load_balancer"), "{refused}");
    assert_eq!(aws.snapshot().await.load_balancers.len(), 2, "nothing was created");
}

#[tokio::test]
async fn a_refresh_never_takes_another_setups_load_balancer_of_a_lost_ones_name() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(orders(&net, &[1, 2, 3], Some(2)))).with_moto(&moto);
    ws.apply();
    // orders-1 and its service are deleted out of band, and someone else
    // makes a load balancer of that name
    let lbs = ws.output("load_balancers");
    let (lost, service) =
        (lbs[1]["load_balancer_arn"].as_str().unwrap(), lbs[1]["endpoint_service_id"].as_str().unwrap());
    aws.ec2.delete_vpc_endpoint_service_configurations().service_ids(service).send().await.unwrap();
    aws.elb.delete_load_balancer().load_balancer_arn(lost).send().await.unwrap();
    let theirs = aws.bare_load_balancer(&net, "orders-1").await;
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    let shown = ws.ok(&["show", "-json"]);
    assert!(!shown.contains(&theirs), "the state names their load balancer:\n{shown}");
    let refused = ws.fails(&["plan", "-no-color"]);
    assert!(refused.contains("already exists"), "{refused}");
}

#[tokio::test]
async fn a_consumer_of_any_load_balancers_service_is_seen_and_accepted() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let accepting = |b: Block| b.edit("endpoint_service", |e| e.set("auto_accept", true));
    let ws = Workspace::new(&config(accepting(orders(&net, &[1, 2, 3], Some(1))))).with_moto(&moto);
    ws.apply();
    let lbs = ws.output("load_balancers");
    let third = lbs[2]["endpoint_service_id"].as_str().unwrap().to_owned();
    // Materialize's account connects to the third load balancer's service
    moto.proxy().connect(&third, "vpce-0c0ffee0000000003", "664411391173", "pendingAcceptance");
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("This apply accepts vpce-0c0ffee0000000003"), "{plan}");
    ws.apply();
    let service = ws.output("service");
    let connections = service["connections"].as_array().unwrap();
    assert_eq!(connections.len(), 1, "{service}");
    assert_eq!(connections[0]["state"], "available");
    ws.assert_no_changes();
}
