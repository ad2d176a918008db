use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::*;
use crate::domain::layout::{
    BrokerSpec, HealthPort, HealthProtocol, ObservedListener, ObservedLoadBalancer, ObservedService, ServiceSpec,
};
use crate::domain::ports::BrokerId;

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 1, last)
}

fn spec(brokers: &[(u32, u8, u16, u16)]) -> Spec {
    Spec {
        name: "orders".into(),
        vpc_id: "vpc-1".into(),
        load_balancer: LoadBalancerSpec::Create { subnets: BTreeSet::from(["subnet-a".into()]) },
        brokers: brokers
            .iter()
            .map(|&(id, last, port, lp)| (BrokerId::new(id), BrokerSpec { ip: ip(last), port, listener_port: lp }))
            .collect(),
        bootstrap: None,
        health_check: HealthCheck {
            protocol: Some(HealthProtocol::Tcp),
            port: Some(HealthPort::Traffic),
            ..Default::default()
        },
        deregistration_delay: None,
        tcp_idle_timeout: None,
        cross_zone: false,
        service: ServiceSpec {
            acceptance_required: true,
            principals: BTreeSet::from(["arn:aws:iam::123456789012:root".into()]),
            supported_regions: BTreeSet::new(),
        },
        tags: BTreeMap::from([("team".into(), "data".into())]),
    }
}

/// What AWS would hold after `converge(spec, empty)` succeeded.
fn converged(spec: &Spec) -> Observed {
    let tgs: Vec<ObservedTargetGroup> = spec
        .target_groups()
        .into_iter()
        .map(|t| ObservedTargetGroup {
            arn: format!("arn:tg/{}", t.name),
            name: t.name.clone(),
            port: t.port,
            role: Some(t.role),
            owner: Some(spec.name.clone()),
            targets: t.targets.clone(),
            health_check: spec.health_check,
            deregistration_delay: spec.deregistration_delay,
            tags: spec.tags_for(&t.role.to_string()),
        })
        .collect();
    let listeners = spec
        .target_groups()
        .iter()
        .map(|t| ObservedListener {
            arn: format!("arn:listener/{}", t.listener_port),
            port: t.listener_port,
            target_group_arn: Some(format!("arn:tg/{}", t.name)),
            idle_timeout: spec.tcp_idle_timeout,
            tags: BTreeMap::new(),
        })
        .collect();
    Observed {
        load_balancer: Some(ObservedLoadBalancer {
            arn: "arn:lb".into(),
            tags: spec.tags_for("load-balancer"),
            name: spec.name.clone(),
            is_network: true,
            subnets: BTreeSet::from(["subnet-a".into()]),
            cross_zone: Some(spec.cross_zone),
            owned: true,
            ..Default::default()
        }),
        target_groups: tgs,
        listeners,
        service: Some(ObservedService {
            id: "vpce-svc-1".into(),
            acceptance_required: spec.service.acceptance_required,
            supported_regions: spec.service.supported_regions.clone(),
            principals: spec.service.principals.clone(),
            tags: spec.tags_for("endpoint-service"),
            ..Default::default()
        }),
    }
}

fn names(plan: &Plan) -> Vec<Vec<String>> {
    plan.phases
        .iter()
        .map(|p| {
            p.iter()
                .map(|s| {
                    let d = format!("{s:?}");
                    d.split([' ', '{', '(']).next().unwrap_or_default().to_owned()
                })
                .collect()
        })
        .filter(|p: &Vec<String>| !p.is_empty())
        .collect()
}

#[test]
fn create_from_nothing_in_dependency_order() {
    let s = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]);
    let plan = converge(&s, &Observed::default()).unwrap();
    assert_eq!(
        names(&plan),
        vec![
            vec!["CreateLoadBalancer", "CreateTargetGroup", "CreateTargetGroup"],
            vec!["Register", "Register"],
            vec!["CreateListener", "CreateListener"],
            vec!["CreateService"],
            vec!["Permissions"],
        ]
    );
}

#[test]
fn converged_means_no_steps() {
    let mut s = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]);
    s.tcp_idle_timeout = Some(600);
    s.deregistration_delay = Some(30);
    s.cross_zone = true;
    assert!(converge(&s, &converged(&s)).unwrap().is_empty());
}

#[test]
fn removing_a_broker_deletes_its_listener_before_its_group() {
    let before = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002), (3, 12, 9092, 9003)]);
    let after = spec(&[(1, 10, 9092, 9001), (3, 12, 9092, 9003)]);
    let plan = converge(&after, &converged(&before)).unwrap();
    assert_eq!(names(&plan), vec![vec!["DeleteListener"], vec!["DeleteTargetGroup"]]);
    assert!(plan.steps().any(|s| matches!(s, Step::DeleteListener { port: 9002, .. })));
}

#[test]
fn an_ip_change_registers_before_it_deregisters() {
    let before = spec(&[(1, 10, 9092, 9001)]);
    let after = spec(&[(1, 99, 9092, 9001)]);
    let plan = converge(&after, &converged(&before)).unwrap();
    assert_eq!(names(&plan), vec![vec!["Register"], vec!["Deregister"]]);
}

#[test]
fn a_port_change_moves_the_listener_to_a_new_group() {
    let before = spec(&[(1, 10, 9092, 9001)]);
    let after = spec(&[(1, 10, 9094, 9001)]);
    let plan = converge(&after, &converged(&before)).unwrap();
    assert_eq!(
        names(&plan),
        vec![vec!["CreateTargetGroup"], vec!["Register"], vec!["PointListener"], vec!["DeleteTargetGroup"]]
    );
    assert!(plan.steps().any(|s| matches!(s, Step::PointListener { arn, target_group: TargetGroupRef::New(n), .. }
        if arn == "arn:listener/9001" && n == "orders-b1-9094")));
}

#[test]
fn out_of_band_deletions_and_additions_are_repaired() {
    let s = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]);
    let mut drifted = converged(&s);
    drifted.listeners.retain(|l| l.port != 9002);
    drifted.target_groups[0].targets.insert((ip(200), 9092));
    drifted.service.as_mut().unwrap().principals.clear();
    drifted.service.as_mut().unwrap().principals.insert("arn:aws:iam::999999999999:root".into());
    let plan = converge(&s, &drifted).unwrap();
    let steps: Vec<&Step> = plan.steps().collect();
    assert!(steps.iter().any(|s| matches!(s, Step::CreateListener { port: 9002, .. })));
    assert!(steps.iter().any(|s| matches!(s, Step::Deregister { targets, .. } if targets.contains(&(ip(200), 9092)))));
    assert!(steps.iter().any(|s| matches!(s, Step::Permissions { add, remove }
        if add.contains("arn:aws:iam::123456789012:root") && remove.contains("arn:aws:iam::999999999999:root"))));
}

#[test]
fn foreign_listeners_on_our_ports_are_refused() {
    let s = spec(&[(1, 10, 9092, 9001)]);
    let mut o = converged(&s);
    o.target_groups.push(ObservedTargetGroup {
        arn: "arn:tg/theirs".into(),
        name: "theirs".into(),
        ..Default::default()
    });
    o.listeners[0].target_group_arn = Some("arn:tg/theirs".into());
    assert!(matches!(converge(&s, &o), Err(DiffError::ForeignListener { port: 9001, .. })));
}

#[test]
fn service_settings_change_in_place() {
    let before = spec(&[(1, 10, 9092, 9001)]);
    let mut after = before.clone();
    after.service.acceptance_required = false;
    after.service.supported_regions.insert("us-west-2".into());
    after.cross_zone = true;
    let plan = converge(&after, &converged(&before)).unwrap();
    assert!(plan.steps().any(|s| matches!(s, Step::SetCrossZone(true))));
    assert!(
        plan.steps().any(|s| matches!(s, Step::ModifyService { acceptance_required: Some(false), add_regions, .. }
        if add_regions.contains("us-west-2")))
    );
}

#[test]
fn adopted_load_balancers_must_exist_and_be_network() {
    let mut s = spec(&[(1, 10, 9092, 9001)]);
    s.load_balancer = LoadBalancerSpec::Adopt { arn: "arn:lb".into() };
    assert!(matches!(converge(&s, &Observed::default()), Err(DiffError::MissingLoadBalancer(_))));
    let mut o = converged(&s);
    o.load_balancer.as_mut().unwrap().is_network = false;
    assert!(matches!(converge(&s, &o), Err(DiffError::NotNetwork(_))));
}

#[test]
fn a_load_balancer_name_taken_by_someone_else_is_refused() {
    let s = spec(&[(1, 10, 9092, 9001)]);
    let mut o = converged(&s);
    o.load_balancer.as_mut().unwrap().owned = false;
    assert!(matches!(converge(&s, &o), Err(DiffError::NameTaken(n)) if n == "orders"));
}

#[test]
fn teardown_order_and_adopted_load_balancer_survives() {
    let s = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]);
    let o = converged(&s);
    let plan = teardown("orders", &o);
    assert_eq!(
        names(&plan),
        vec![
            vec!["Permissions"],
            vec!["DeleteService"],
            vec!["DeleteListener", "DeleteListener"],
            vec!["DeleteTargetGroup", "DeleteTargetGroup"],
            vec!["DeleteLoadBalancer"]
        ]
    );
    let mut adopted = o.clone();
    adopted.load_balancer.as_mut().unwrap().owned = false;
    adopted.listeners.push(ObservedListener { arn: "arn:l/other".into(), port: 443, ..Default::default() });
    let plan = teardown("orders", &adopted);
    assert!(!plan.steps().any(|s| matches!(s, Step::DeleteLoadBalancer { .. })));
    assert!(!plan.steps().any(|s| matches!(s, Step::DeleteListener { port: 443, .. })));
}
