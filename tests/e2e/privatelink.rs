//! `kafka_privatelink` end to end: the real Terraform against moto, checking
//! both Terraform's view (outputs, plans) and what moto holds.

use crate::common::hcl::config_of;
use crate::common::hcl::ip_broker;
use crate::common::hcl::with_brokers;
use crate::common::world;
use std::collections::BTreeSet;

use crate::common::aws::{Aws, Network};
use crate::common::hcl::{Block, Config, broker_ip, faults, list, object, s, subnet_ids};
use crate::common::{Moto, Stage, Workspace};
use serde_json::{Value, json};

/// One `brokers` entry: its id and its value.
type Broker = (u32, String);

/// `orders` over `brokers` in every subnet of `net`, allowing Materialize's
/// account to connect.
fn orders(net: &Network, brokers: &[Broker]) -> Block {
    Block::resource("kafka_privatelink", "kafka")
        .str("name", "orders")
        .str("vpc_id", &net.vpc)
        .set("subnet_ids", subnet_ids(&net.subnets))
        .map("brokers", brokers.iter().cloned())
        .block(Block::new("endpoint_service").set("allowed_principals", list([s(MZ)])))
}

/// The configuration of `resource`, with outputs for its brokers, its
/// endpoint service and its load balancer.
fn tf(resource: Block) -> Config {
    let output = |name: &str, value: &str| Block::labeled("output", name).set("value", value);
    Config::new()
        .with(resource)
        .with(output("brokers", "kafka_privatelink.kafka.brokers"))
        .with(output("service", "kafka_privatelink.kafka.endpoint_service[0]"))
        .with(output("lb", "kafka_privatelink.kafka.load_balancer_arn"))
}

/// Broker `id` at `host` in subnet `subnet`.
fn broker(net: &Network, id: u32, subnet: usize, host: u8) -> Broker {
    (id, object([("ip", s(format!("{}.{host}", net.subnets[subnet].prefix)))]))
}

const MZ: &str = "arn:aws:iam::664411391173:root";

fn ports(out: &Value) -> Vec<(String, u64)> {
    out.as_object().unwrap().iter().map(|(k, b)| (k.clone(), b["listener_port"].as_u64().unwrap())).collect()
}

#[tokio::test]
async fn lifecycle_create_update_and_destroy() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let three = [broker(&net, 1, 0, 10), broker(&net, 2, 1, 10), broker(&net, 3, 2, 10)];
    let ws = Workspace::new(&tf(orders(&net, &three)).to_string()).with_moto(&moto);

    // create: ports 9001-9003, one group per broker, listeners forward right
    ws.apply();
    let brokers = ws.output("brokers");
    assert_eq!(ports(&brokers), vec![("1".into(), 9001), ("2".into(), 9002), ("3".into(), 9003)]);
    assert_eq!(brokers["2"]["availability_zone_id"], net.subnets[1].zone_id.as_str());
    let snap = aws.snapshot().await;
    assert_eq!(snap.load_balancers.len(), 1);
    assert_eq!(snap.target_groups.len(), 3);
    let routes = snap.routes();
    for (i, port) in [9001u16, 9002, 9003].iter().enumerate() {
        let want = BTreeSet::from([format!("{}.10:9092", net.subnets[i].prefix)]);
        assert_eq!(routes[port], want, "listener {port}");
    }
    let (svc_id, (acceptance, principals, _)) = snap.services.iter().next().unwrap();
    assert!(acceptance, "acceptance required by default");
    assert_eq!(principals, &BTreeSet::from(["arn:aws:iam::664411391173:root".to_owned()]));
    assert_eq!(ws.output("service")["id"], svc_id.as_str());
    assert_eq!(snap.cross_zone, Some(false));
    ws.assert_no_changes();

    // add a broker, remove the middle one, move broker 3 to another IP
    let changed = [broker(&net, 1, 0, 10), broker(&net, 3, 2, 99), broker(&net, 4, 0, 40)];
    ws.write("main.tf", &tf(orders(&net, &changed)).to_string());
    ws.apply();
    let after = ws.output("brokers");
    assert_eq!(ports(&after), vec![("1".into(), 9001), ("3".into(), 9003), ("4".into(), 9002)]);
    assert_eq!(after["1"]["listener_arn"], brokers["1"]["listener_arn"], "untouched broker keeps its listener");
    let routes = aws.snapshot().await.routes();
    assert_eq!(routes.len(), 3);
    assert_eq!(routes[&9003], BTreeSet::from([format!("{}.99:9092", net.subnets[2].prefix)]), "new IP only");
    assert_eq!(routes[&9002], BTreeSet::from([format!("{}.40:9092", net.subnets[0].prefix)]));
    ws.assert_no_changes();

    // broker port change: a new group, the listener survives
    let moved = [
        broker(&net, 1, 0, 10),
        broker(&net, 3, 2, 99),
        (4, object([("ip", s(format!("{}.40", net.subnets[0].prefix))), ("port", "9094".into())])),
    ];
    ws.write("main.tf", &tf(orders(&net, &moved)).to_string());
    ws.apply();
    let moved_out = ws.output("brokers");
    assert_eq!(moved_out["4"]["listener_arn"], after["4"]["listener_arn"], "listener ARN survives a port change");
    assert_ne!(moved_out["4"]["target_group_arn"], after["4"]["target_group_arn"]);
    let snap = aws.snapshot().await;
    assert!(snap.target_groups.contains_key("orders-b4-9094") && !snap.target_groups.contains_key("orders-b4-9092"));
    assert_eq!(snap.routes()[&9002], BTreeSet::from([format!("{}.40:9094", net.subnets[0].prefix)]));

    // principals change as a diff
    let other = orders(&net, &moved)
        .edit("endpoint_service", |e| e.set("allowed_principals", list([s("arn:aws:iam::123456789012:role/reader")])));
    ws.write("main.tf", &tf(other).to_string());
    ws.apply();
    let snap = aws.snapshot().await;
    let principals = &snap.services.values().next().unwrap().1;
    assert_eq!(principals, &BTreeSet::from(["arn:aws:iam::123456789012:role/reader".to_owned()]));
    ws.assert_no_changes();

    // destroy leaves nothing behind
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    let snap = aws.snapshot().await;
    assert!(snap.is_empty(), "{snap:?}");
}

#[tokio::test]
async fn out_of_band_changes_are_repaired() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(1).await;
    let two = [broker(&net, 1, 0, 10), broker(&net, 2, 1, 10)];
    let ws = Workspace::new(&tf(orders(&net, &two)).to_string()).with_moto(&moto);
    ws.apply();
    let snap = aws.snapshot().await;

    // someone deletes a listener, removes the principal, registers an extra target
    let (listener, _) = &snap.listeners[&9002];
    aws.elb.delete_listener().listener_arn(listener).send().await.unwrap();
    let svc = snap.services.keys().next().unwrap();
    aws.ec2
        .modify_vpc_endpoint_service_permissions()
        .service_id(svc)
        .remove_allowed_principals("arn:aws:iam::664411391173:root")
        .send()
        .await
        .unwrap();
    let tg1 = &snap.target_groups["orders-b1-9092"].0;
    aws.elb
        .register_targets()
        .target_group_arn(tg1)
        .targets(
            aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                .id(format!("{}.200", net.subnets[0].prefix))
                .port(9092)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let plan = ws.terraform(&["plan", "-detailed-exitcode", "-no-color"]);
    let text = String::from_utf8_lossy(&plan.stdout);
    assert_eq!(plan.status.code(), Some(2), "drift must show in the plan:\n{text}");
    assert!(text.contains(".200:9092"), "the extra target shows:\n{text}");
    assert!(text.contains("arn:aws:iam::664411391173:root"), "the missing principal shows:\n{text}");

    ws.apply();
    let repaired = aws.snapshot().await;
    assert_eq!(repaired.listeners.len(), 2);
    assert_eq!(repaired.routes()[&9001], BTreeSet::from([format!("{}.10:9092", net.subnets[0].prefix)]));
    assert_eq!(
        repaired.services.values().next().unwrap().1,
        BTreeSet::from(["arn:aws:iam::664411391173:root".to_owned()])
    );
    ws.assert_no_changes();

    // the endpoint service itself deleted out of band: recreated
    let svc = repaired.services.keys().next().unwrap();
    aws.ec2.delete_vpc_endpoint_service_configurations().service_ids(svc).send().await.unwrap();
    ws.apply();
    let recreated = aws.snapshot().await;
    assert_eq!(recreated.services.len(), 1);
    assert!(!recreated.services.contains_key(svc.as_str()), "a new service");
    assert_eq!(ws.output("service")["id"], recreated.services.keys().next().unwrap().as_str());
    ws.assert_no_changes();
}

#[tokio::test]
async fn bootstrap_listener_and_cross_region() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(2).await;
    let brokers = [broker(&net, 1, 0, 10), broker(&net, 2, 1, 10), broker(&net, 3, 2, 10)];
    let body = orders(&net, &brokers)
        .set("listener_port_base", 9093)
        .set("broker_port", 39092)
        .block(Block::new("bootstrap").set("listener_port", 9092))
        .edit("endpoint_service", |e| e.set("supported_regions", list([s("us-west-2")])));
    let ws = Workspace::new(&tf(body).to_string()).with_moto(&moto);
    ws.apply();
    let snap = aws.snapshot().await;
    let routes = snap.routes();
    assert_eq!(routes.keys().copied().collect::<Vec<_>>(), vec![9092, 9093, 9094, 9095]);
    assert_eq!(routes[&9092].len(), 3, "the bootstrap group holds every broker");
    assert!(routes[&9092].iter().all(|t| t.ends_with(":39092")));
    assert_eq!(snap.cross_zone, Some(true), "supported regions force cross-zone load balancing");
    assert_eq!(snap.services.values().next().unwrap().2, BTreeSet::from(["us-west-2".to_owned()]));
    ws.assert_no_changes();
}

#[tokio::test]
async fn feeds_the_data_source_with_ports_moto_holds() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(3).await;
    let brokers = [broker(&net, 0, 0, 10), broker(&net, 4, 1, 10), broker(&net, 7, 2, 10)];
    let body = tf(orders(&net, &brokers))
        .with(
            Block::data("kafka_advertised_listeners", "mz")
                .set("brokers", "kafka_privatelink.kafka.brokers")
                .set("endpoint_service_name", "kafka_privatelink.kafka.endpoint_service[0].service_name"),
        )
        .with(Block::labeled("output", "sql").set("value", "data.kafka_advertised_listeners.mz.materialize_sql"));
    let ws = Workspace::new(&body.to_string()).with_moto(&moto);
    ws.apply();
    let sql = ws.output("sql");
    let sql = sql.as_str().unwrap();
    let snap = aws.snapshot().await;
    assert!(!snap.routes().is_empty(), "the load balancer routes to brokers");
    for (port, targets) in snap.routes() {
        let target = targets.iter().next().unwrap();
        let az = &net.subnets.iter().find(|s| target.starts_with(&s.prefix)).unwrap().zone_id;
        let line = format!("'{target}' USING AWS PRIVATELINK privatelink_svc (PORT {port}, AVAILABILITY ZONE '{az}')");
        assert!(sql.contains(&line), "missing {line} in\n{sql}");
    }
}

#[tokio::test]
async fn adopts_an_existing_load_balancer_and_leaves_it_on_destroy() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(4).await;
    let lb_arn = aws.bare_load_balancer(&net, "handmade").await;
    let body = orders(&net, &[broker(&net, 1, 0, 10)]).unset("subnet_ids").str("load_balancer_arn", &lb_arn);
    let ws = Workspace::new(&tf(body).to_string()).with_moto(&moto);
    ws.apply();
    assert_eq!(ws.output("lb"), lb_arn.as_str());
    assert_eq!(aws.snapshot().await.routes().len(), 1);
    ws.assert_no_changes();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    let snap = aws.snapshot().await;
    assert_eq!(snap.load_balancers, vec![lb_arn], "the adopted load balancer stays");
    assert!(snap.listeners.is_empty() && snap.target_groups.is_empty() && snap.services.is_empty(), "{snap:?}");
}

#[tokio::test]
async fn tags_attributes_and_subnets_apply_and_change_in_place() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(5).await;
    let body = |subnets: &[usize], cluster: &str| {
        let ids: Vec<String> = subnets.iter().map(|i| format!("\"{}\"", net.subnets[*i].id)).collect();
        format!(
            r#"
terraform {{
  required_providers {{
    kafka = {{ source = "kafka-privatelink/kafka" }}
  }}
}}

provider "kafka" {{
  default_tags {{
    tags = {{ team = "data", cluster = "from-default" }}
  }}
}}

resource "kafka_privatelink" "kafka" {{
  name       = "tagged"
  vpc_id     = "{vpc}"
  subnet_ids = [{ids}]
  brokers = {{
    "1" = {{ ip = "{a}.10" }}
    "2" = {{ ip = "{b}.10" }}
  }}
  health_check {{
    interval          = 10
    healthy_threshold = 2
  }}
  deregistration_delay = 30
  tcp_idle_timeout     = 600
  endpoint_service {{}}
  tags = {{ cluster = "{cluster}" }}
}}

output "id" {{ value = kafka_privatelink.kafka.id }}
output "tags_all" {{ value = kafka_privatelink.kafka.tags_all }}
output "zones" {{ value = kafka_privatelink.kafka.availability_zone_ids }}
"#,
            vpc = net.vpc,
            ids = ids.join(", "),
            a = net.subnets[0].prefix,
            b = net.subnets[1].prefix,
        )
    };
    let ws = Workspace::new(&body(&[0, 1], "orders")).with_moto(&moto);
    ws.apply();
    assert_eq!(ws.output("tags_all"), serde_json::json!({"team": "data", "cluster": "orders"}), "resource tags win");
    assert_eq!(
        ws.output("zones"),
        serde_json::json!([&net.subnets[0].zone_id, &net.subnets[1].zone_id].into_iter().collect::<BTreeSet<_>>())
    );

    let snap = aws.snapshot().await;
    let lb = &snap.load_balancers[0];
    let tg = &snap.target_groups["tagged-b1-9092"].0;
    let (listener, _) = &snap.listeners[&9001];
    let svc = snap.services.keys().next().unwrap().clone();
    let tags =
        aws.elb.describe_tags().resource_arns(lb).resource_arns(tg).resource_arns(listener).send().await.unwrap();
    assert_eq!(tags.tag_descriptions().len(), 3, "the load balancer, the group and the listener");
    for d in tags.tag_descriptions() {
        let t: std::collections::BTreeMap<_, _> =
            d.tags().iter().map(|t| (t.key().unwrap(), t.value().unwrap())).collect();
        assert_eq!(t.get("team"), Some(&"data"), "{d:?}");
        assert_eq!(t.get("cluster"), Some(&"orders"), "{d:?}");
        assert_eq!(t.get("kafka-privatelink:owner"), Some(&"tagged"), "{d:?}");
    }
    let svc_cfg = aws.ec2.describe_vpc_endpoint_service_configurations().service_ids(&svc).send().await.unwrap();
    let svc_tags: Vec<_> =
        svc_cfg.service_configurations()[0].tags().iter().map(|t| t.key().unwrap().to_owned()).collect();
    assert!(svc_tags.contains(&"team".to_owned()) && svc_tags.contains(&"kafka-privatelink:owner".to_owned()));
    let attrs = aws.elb.describe_target_group_attributes().target_group_arn(tg).send().await.unwrap();
    let delay = attrs.attributes().iter().find(|a| a.key() == Some("deregistration_delay.timeout_seconds")).unwrap();
    assert_eq!(delay.value(), Some("30"));
    let groups = aws.elb.describe_target_groups().target_group_arns(tg).send().await.unwrap();
    assert_eq!(groups.target_groups()[0].health_check_interval_seconds(), Some(10));
    assert_eq!(groups.target_groups()[0].healthy_threshold_count(), Some(2));
    let idle = aws.elb.describe_listener_attributes().listener_arn(listener).send().await.unwrap();
    let idle = idle.attributes().iter().find(|a| a.key() == Some("tcp.idle_timeout.seconds")).unwrap();
    assert_eq!(idle.value(), Some("600"));
    ws.assert_no_changes();

    // out-of-band changes to managed attributes show in the plan, and are repaired
    use aws_sdk_elasticloadbalancingv2::types::{ListenerAttribute, TargetGroupAttribute};
    aws.elb
        .modify_target_group_attributes()
        .target_group_arn(tg)
        .attributes(TargetGroupAttribute::builder().key("deregistration_delay.timeout_seconds").value("300").build())
        .send()
        .await
        .unwrap();
    aws.elb.modify_target_group().target_group_arn(tg).health_check_interval_seconds(30).send().await.unwrap();
    aws.elb
        .modify_listener_attributes()
        .listener_arn(listener)
        .attributes(ListenerAttribute::builder().key("tcp.idle_timeout.seconds").value("350").build())
        .send()
        .await
        .unwrap();
    let plan = ws.ok(&["plan", "-no-color"]);
    let flat = plan.split_whitespace().collect::<Vec<_>>().join(" ");
    for drift in ["deregistration_delay = 300 -> 30", "interval = 30 -> 10", "tcp_idle_timeout = 350 -> 600"] {
        assert!(flat.contains(drift), "{drift} missing from\n{plan}");
    }
    ws.apply();
    let attrs = aws.elb.describe_target_group_attributes().target_group_arn(tg).send().await.unwrap();
    let delay = attrs.attributes().iter().find(|a| a.key() == Some("deregistration_delay.timeout_seconds")).unwrap();
    assert_eq!(delay.value(), Some("30"));
    ws.assert_no_changes();

    // adding a subnet and changing tags: in place, same load balancer
    let id = ws.output("id");
    ws.write("main.tf", &body(&[0, 1, 2], "orders-v2"));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("1 to change, 0 to destroy"), "{plan}");
    // moto keeps a service's zones as they were at its creation, as AWS has
    // been seen to (hashicorp/aws#40809): the apply says so, and so does
    // every refresh while it lags
    let applied = ws.apply();
    let flat = applied.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Endpoint service zones lag the load balancer"), "{applied}");
    assert!(flat.contains("us-east-1c through it yet"), "{applied}");
    let refreshed = ws.ok(&["plan", "-no-color"]);
    assert!(refreshed.contains("Endpoint service zones lag the load balancer"), "{refreshed}");
    assert_eq!(ws.output("id"), id);
    assert_eq!(ws.output("zones").as_array().unwrap().len(), 3);
    let lbs = aws.elb.describe_load_balancers().send().await.unwrap();
    assert_eq!(lbs.load_balancers()[0].availability_zones().len(), 3);
    let tags = aws.elb.describe_tags().resource_arns(lb).send().await.unwrap();
    assert!(
        tags.tag_descriptions()[0].tags().iter().any(|t| t.key() == Some("cluster") && t.value() == Some("orders-v2"))
    );
    ws.assert_no_changes();

    // removing a subnet: in place too (SetSubnets removes since 2025-02)
    ws.write("main.tf", &body(&[0, 1], "orders-v2"));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("1 to change, 0 to destroy") && !plan.contains("must be replaced"), "{plan}");
    ws.apply();
    let refreshed = ws.ok(&["plan", "-no-color"]);
    assert!(!refreshed.contains("zones lag"), "the service lists both zones again: {refreshed}");
    assert_eq!(ws.output("id"), id);
    assert_eq!(ws.output("zones").as_array().unwrap().len(), 2);
    ws.assert_no_changes();
}

/// Subnets change in place: one removed, one replaced within its zone
/// (removed first, then the new one added, as AWS requires), each keeping
/// the load balancer and its service; a removal while a consumer is
/// connected is refused at plan, as AWS would refuse it.
#[tokio::test]
async fn subnets_are_removed_and_moved_in_place_unless_consumers_are_connected() {
    let stage = Stage::new().await;
    let (proxy, aws, net) = (&stage.proxy, &stage.aws, &stage.net);
    let with = |subnets: &[&str]| {
        faults(net, 2).edit(["kafka_privatelink", "k"], |k| k.set("subnet_ids", list(subnets.iter().map(s))))
    };
    let ids: Vec<&str> = net.subnets.iter().map(|x| x.id.as_str()).collect();
    let ws = stage.workspace(&with(&ids).to_string());
    ws.apply();
    let before = aws.snapshot().await;
    let service = before.services.keys().next().expect("a service").clone();
    let lb = before.load_balancers[0].clone();
    let lb_subnets = || async {
        let out = aws.elb.describe_load_balancers().load_balancer_arns(&lb).send().await.unwrap();
        out.load_balancers()[0]
            .availability_zones()
            .iter()
            .filter_map(|z| z.subnet_id().map(str::to_owned))
            .collect::<BTreeSet<String>>()
    };

    // one removed
    ws.write("main.tf", &with(&ids[..2]).to_string());
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("1 to change, 0 to destroy") && !plan.contains("must be replaced"), "{plan}");
    ws.apply();
    assert_eq!(lb_subnets().await, ids[..2].iter().map(|x| x.to_string()).collect());
    ws.assert_no_changes();
    // (moto refuses fewer than two zones, as for an application load
    // balancer; a network load balancer may have one: the test keeps two)
    ws.write("main.tf", &with(&ids).to_string());
    ws.apply();

    // one replaced within its zone: removed, then the new one added
    let first = aws.ec2.describe_subnets().subnet_ids(ids[0]).send().await.unwrap();
    let zone = first.subnets()[0].availability_zone().unwrap().to_owned();
    let created = aws.ec2.create_subnet().vpc_id(&net.vpc).cidr_block("10.0.9.0/24").availability_zone(&zone);
    let other = created.send().await.unwrap().subnet.unwrap().subnet_id.unwrap();
    // AWS refuses the addition while the removal completes: waited out
    proxy.aws(&serde_json::json!({"subnet_removal": 2}));
    ws.write("main.tf", &with(&[&other, ids[1], ids[2]]).to_string());
    proxy.reset_counts();
    ws.apply();
    let counts = proxy.counts();
    assert_eq!(counts.get("aws:subnet_removal"), Some(&2), "the addition was refused twice: {counts:?}");
    assert_eq!(counts.get("elbv2:SetSubnets"), Some(&4), "remove, then add until taken: {counts:?}");
    proxy.aws(&serde_json::json!({}));
    assert_eq!(lb_subnets().await, BTreeSet::from([other.clone(), ids[1].to_owned(), ids[2].to_owned()]));
    ws.assert_no_changes();
    let after = aws.snapshot().await;
    assert_eq!((after.load_balancers, after.services.keys().next()), (vec![lb.clone()], Some(&service)), "kept");

    // a consumer connected: removal refused at plan, before any write
    proxy.connect(&service, "vpce-0subnets000001", "111111111111", "available");
    ws.write("main.tf", &with(&[&other, ids[1]]).to_string());
    proxy.reset_counts();
    let (ok, lines) = ws.plan_json();
    assert!(!ok, "a removal with a consumer connected was planned");
    let said = crate::common::diagnostics(&lines);
    assert!(
        said.iter().any(|d| d.summary == "Subnet removal refused while consumers are connected"
            && d.detail.contains("vpce-0subnets000001")),
        "{said:?}"
    );
    assert_eq!(proxy.writes(), Vec::<String>::new());
    proxy.connect(&service, "vpce-0subnets000001", "111111111111", "deleted");
    ws.apply();
    assert_eq!(lb_subnets().await, BTreeSet::from([other.clone(), ids[1].to_owned()]));
    ws.assert_no_changes();
}

#[tokio::test]
async fn a_moved_broker_keeps_its_old_target_until_the_new_one_is_healthy() {
    let stage = Stage::new().await;
    let (proxy, aws, net) = (&stage.proxy, &stage.aws, &stage.net);
    let ws = Workspace::new(&faults(net, 2).to_string()).with_aws_endpoint(&proxy.url);
    ws.apply();
    let old = format!("{}.11:9092", net.subnets[1].prefix);
    let new = format!("{}.99:9092", net.subnets[1].prefix);
    let port = *aws.snapshot().await.routes().iter().find(|(_, t)| t.contains(&old)).expect("broker 1's route").0;

    // Broker 1 moves, and its new address never becomes healthy (AWS
    // reports `initial` while health checks run; moto says `healthy` at once).
    proxy.rules(
        &json!([{"action": "DescribeTargetHealth", "rewrite": ["<State>healthy</State>", "<State>initial</State>"]}]),
    );
    let moved = faults(net, 2).edit(["kafka_privatelink", "k"], |k| {
        k.map(
            "brokers",
            [
                (1, object([("ip", s(format!("{}.99", net.subnets[1].prefix)))])),
                (2, object([("ip", s(broker_ip(net, 2)))])),
            ],
        )
        .block(Block::new("timeouts").str("update", "15s"))
    });
    ws.write("main.tf", &moved.to_string());
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.contains("waiting for new ELBv2 targets to become ready"), "{out}");
    let routes = aws.snapshot().await.routes();
    assert_eq!(
        routes[&port],
        [old.clone(), new.clone()].into(),
        "the old target serves on while the new one is not healthy"
    );

    // Once it is healthy, the next apply finishes the move.
    proxy.rules(&json!([]));
    ws.apply();
    assert_eq!(aws.snapshot().await.routes()[&port], [new].into());
    ws.assert_no_changes();
}

#[tokio::test]
async fn target_health_is_shown_and_never_a_reason_for_a_change() {
    let stage = Stage::new().await;
    let (proxy, net) = (&stage.proxy, &stage.net);
    let ws = Workspace::new(&faults(net, 2).to_string()).with_aws_endpoint(&proxy.url);
    ws.apply();
    let health = |ws: &Workspace| -> Vec<(String, serde_json::Value, serde_json::Value)> {
        let state: serde_json::Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
        let health =
            state["values"]["root_module"]["resources"][0]["values"]["target_health"].as_object().unwrap().clone();
        health.into_iter().map(|(k, h)| (k, h["state"].clone(), h["reason"].clone())).collect()
    };
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    let seen = health(&ws);
    assert_eq!(seen.len(), 2);
    for (id, state, reason) in &seen {
        assert_eq!((state, reason), (&json!("healthy"), &serde_json::Value::Null), "broker {id}");
    }

    // Health checks start failing (AWS's own shape for it; moto never fails one).
    proxy.rules(&json!([{"action": "DescribeTargetHealth", "rewrite": [
        "<State>healthy</State>", "<State>unhealthy</State><Reason>Target.FailedHealthChecks</Reason>"
    ]}]));
    ws.assert_no_changes();
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    let seen = health(&ws);
    assert_eq!(seen.len(), 2);
    for (id, state, reason) in &seen {
        assert_eq!((state, reason), (&json!("unhealthy"), &json!("Target.FailedHealthChecks")), "broker {id}");
    }
}

/// Health checks change in place, their protocol and port included: the
/// target groups (and so the listeners) stay, as AWS's ModifyTargetGroup
/// allows (hashicorp/aws once forced a replacement here).
#[tokio::test]
async fn a_health_check_protocol_change_keeps_every_target_group() {
    let stage = Stage::new().await;
    let config = |health: Option<(&str, &str)>| {
        faults(&stage.net, 2).edit(["kafka_privatelink", "k"], |k| match health {
            Some((protocol, port)) => {
                k.block(Block::new("health_check").str("protocol", protocol).str("port", port).set("interval", "10"))
            }
            None => k,
        })
    };
    let ws = stage.workspace(&config(None).to_string());
    ws.apply();
    let groups = || async {
        let snap = stage.aws.snapshot().await;
        snap.target_groups.values().map(|(arn, _, _)| arn.clone()).collect::<BTreeSet<_>>()
    };
    let before = groups().await;
    assert_eq!(before.len(), 2);
    for (protocol, port) in [("HTTP", "8080"), ("TCP", "traffic-port")] {
        ws.write("main.tf", &config(Some((protocol, port))).to_string());
        let plan = ws.ok(&["plan", "-no-color"]);
        assert!(plan.contains("1 to change") && !plan.contains("must be replaced"), "{plan}");
        ws.apply();
        assert_eq!(groups().await, before, "{protocol}: every group kept");
        let tgs = stage.aws.elb.describe_target_groups().send().await.unwrap();
        assert!(!tgs.target_groups().is_empty());
        for tg in tgs.target_groups() {
            assert_eq!(tg.health_check_protocol().map(|p| p.as_str()), Some(protocol));
        }
        ws.assert_no_changes();
    }
}

#[tokio::test]
async fn a_load_balancer_deleted_out_of_band_is_made_again() {
    let (moto, aws, net) = world().await;
    let ws = Workspace::new(&config_of(with_brokers(&net, "gone", &[ip_broker(&net, 1, 10)]))).with_moto(&moto);
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

/// Found by the model test: a bootstrap moved to another listener port and
/// from an explicit target port back to the brokers' own kept its old group
/// and lost every target.
#[tokio::test]
async fn a_bootstrap_moved_to_the_brokers_own_ports_reaches_every_broker() {
    let (moto, aws, net) = world().await;
    let boot = with_brokers(&net, "boot", &[ip_broker(&net, 1, 10), ip_broker(&net, 2, 10), ip_broker(&net, 3, 10)]);
    let ws = Workspace::new(&config_of(
        boot.clone().block(Block::new("bootstrap").set("listener_port", 9095).set("target_port", 9094)),
    ))
    .with_moto(&moto);
    ws.apply();
    assert_eq!(aws.snapshot().await.routes()[&9095].len(), 3);
    ws.write("main.tf", &config_of(boot.block(Block::new("bootstrap").set("listener_port", 9092))));
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
    let drift = with_brokers(&net, "drift", &[ip_broker(&net, 1, 10), ip_broker(&net, 2, 10)])
        .block(Block::new("bootstrap").set("listener_port", 9092));
    let ws = Workspace::new(&config_of(drift)).with_moto(&moto);
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
