use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::*;
use crate::domain::connections::{Connection, ConnectionPolicy};
use crate::domain::layout::{
    BrokerSpec, HealthPort, HealthProtocol, ObservedListener, ObservedLoadBalancer, ObservedService, Registration,
    ServiceSpec, TargetId,
};
use crate::domain::ownership::{AUTO_ACCEPT_TAG, INSTANCE_TAG, OWNER_TAG};
use crate::domain::ports::BrokerId;

fn ip(last: u8) -> TargetId {
    TargetId::Ip(Ipv4Addr::new(10, 0, 1, last))
}

fn spec(brokers: &[(u32, u8, u16, u16)]) -> Spec {
    Spec {
        name: "orders".into(),
        load_balancer_name: "orders".into(),
        elsewhere: BTreeMap::new(),
        vpc_id: "vpc-1".into(),
        load_balancer: LoadBalancerSpec::Create { subnets: BTreeSet::from(["subnet-a".into()]) },
        brokers: brokers
            .iter()
            .map(|&(id, last, port, lp)| {
                (BrokerId::new(id), BrokerSpec { target: Some(ip(last)), port, listener_port: lp })
            })
            .collect(),
        bootstrap: None,
        registration: Registration::Provider,
        target_kind: TargetKind::Ip,
        health_check: HealthCheck {
            protocol: Some(HealthProtocol::Tcp),
            port: Some(HealthPort::Traffic),
            ..Default::default()
        },
        deregistration_delay: None,
        tcp_idle_timeout: None,
        cross_zone: Some(false),
        security_groups: None,
        service: ServiceSpec {
            acceptance_required: true,
            principals: Some(BTreeSet::from(["arn:aws:iam::123456789012:root".into()])),
            supported_regions: BTreeSet::new(),
            connections: ConnectionPolicy::default(),
        },
        tags: BTreeMap::from([("team".into(), "data".into())]),
    }
}

/// An instance whose first apply completed, recording nothing yet.
fn instance() -> Instance {
    Instance { name: "orders".into(), token: "tok".into(), recorded: Recorded::default(), complete: true }
}

/// The state's records for `observed` (what a successful apply records).
fn recorded(spec: &Spec, observed: &Observed) -> Recorded {
    let i = instance();
    let groups = observed
        .assign_groups(&spec.target_groups(), &i.recorded.groups)
        .into_iter()
        .map(|(r, t)| (r, t.arn.clone()))
        .collect();
    Recorded {
        load_balancer: observed.load_balancer.as_ref().map(|l| l.arn.clone()),
        groups,
        leftover_groups: BTreeSet::new(),
        listeners: observed.listeners.iter().map(|l| l.arn.clone()).collect(),
        service: observed.service.as_ref().map(|s| s.id.clone()),
    }
}

fn with_records(spec: &Spec, observed: &Observed) -> Instance {
    Instance { recorded: recorded(spec, observed), ..instance() }
}

/// What AWS would hold after `converge(spec, empty)` succeeded.
fn converged(spec: &Spec) -> Observed {
    let i = instance();
    let tgs: Vec<ObservedTargetGroup> = spec
        .target_groups()
        .into_iter()
        .map(|t| ObservedTargetGroup {
            arn: format!("arn:tg/{}", t.name),
            name: t.name.clone(),
            port: t.port,
            kind: t.kind,
            vpc_id: spec.vpc_id.clone(),
            role: Some(t.role),
            owned: true,
            targets: t.targets.registered().cloned().unwrap_or_default(),
            health: BTreeMap::new(),
            health_check: spec.health_check,
            deregistration_delay: spec.deregistration_delay,
            tags: i.tags_for(spec, &t.role.to_string()),
            load_balancer_arns: BTreeSet::new(),
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
            owned: true,
        })
        .collect();
    Observed {
        load_balancer: Some(ObservedLoadBalancer {
            arn: "arn:lb".into(),
            tags: i.tags_for(spec, "load-balancer"),
            name: spec.name.clone(),
            vpc_id: spec.vpc_id.clone(),
            is_network: true,
            subnets: BTreeSet::from(["subnet-a".into()]),
            cross_zone: spec.cross_zone,
            owned: true,
            ..Default::default()
        }),
        target_groups: tgs,
        listeners,
        service: Some(ObservedService {
            id: "vpce-svc-1".into(),
            acceptance_required: spec.service.acceptance_required,
            supported_regions: spec.service.supported_regions.clone(),
            principals: spec.service.principals.clone().unwrap_or_default(),
            tags: i.tags_for(spec, "endpoint-service"),
            owned: true,
            ..Default::default()
        }),
    }
}

fn names(plan: &Schedule) -> Vec<(Phase, Vec<String>)> {
    plan.phases
        .iter()
        .filter(|(_, p)| !p.is_empty())
        .map(|(phase, p)| {
            let steps = p
                .iter()
                .map(|s| {
                    let d = format!("{s:?}");
                    d.split([' ', '{', '(']).next().unwrap_or_default().to_owned()
                })
                .collect();
            (*phase, steps)
        })
        .collect()
}

fn phase(p: Phase, steps: &[&str]) -> (Phase, Vec<String>) {
    (p, steps.iter().map(|s| (*s).to_owned()).collect())
}

#[test]
fn create_from_nothing_in_dependency_order() {
    let s = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]);
    let first = Instance { complete: false, ..instance() };
    let plan = converge(&s, &Observed::default(), &first).unwrap();
    assert_eq!(
        names(&plan),
        vec![
            phase(Phase::LoadBalancer, &["CreateLoadBalancer"]),
            phase(Phase::Groups, &["CreateTargetGroup", "CreateTargetGroup"]),
            phase(Phase::Targets, &["Register", "Register"]),
            phase(Phase::Listeners, &["CreateListener", "CreateListener"]),
            phase(Phase::Service, &["CreateService"]),
            phase(Phase::Permissions, &["Permissions"]),
            phase(Phase::Complete, &["MarkComplete"]),
        ]
    );
    // objects of a first apply are not complete from birth
    let Some(Step::CreateLoadBalancer { tags, .. }) = plan.steps().next() else { panic!("load balancer first") };
    assert_eq!(tags[INSTANCE_TAG], "tok");
    assert!(!tags.contains_key(COMPLETE_TAG));
}

#[test]
fn converged_means_no_steps() {
    let mut s = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]);
    s.tcp_idle_timeout = Some(600);
    s.deregistration_delay = Some(30);
    s.cross_zone = Some(true);
    let o = converged(&s);
    assert!(converge(&s, &o, &with_records(&s, &o)).unwrap().is_empty());
}

#[test]
fn removing_a_broker_deletes_its_listener_before_its_group() {
    let before = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002), (3, 12, 9092, 9003)]);
    let after = spec(&[(1, 10, 9092, 9001), (3, 12, 9092, 9003)]);
    let o = converged(&before);
    let plan = converge(&after, &o, &with_records(&before, &o)).unwrap();
    assert_eq!(
        names(&plan),
        vec![phase(Phase::DropListeners, &["DeleteListener"]), phase(Phase::DropGroups, &["DeleteTargetGroup"])]
    );
    assert!(plan.steps().any(|s| matches!(s, Step::DeleteListener { port: 9002, .. })));
}

#[test]
fn an_ip_change_registers_waits_then_deregisters() {
    let before = spec(&[(1, 10, 9092, 9001)]);
    let after = spec(&[(1, 99, 9092, 9001)]);
    let o = converged(&before);
    let plan = converge(&after, &o, &with_records(&before, &o)).unwrap();
    assert_eq!(
        names(&plan),
        vec![
            phase(Phase::Targets, &["Register"]),
            phase(Phase::TargetsReady, &["AwaitTargets"]),
            phase(Phase::Deregister, &["Deregister"])
        ]
    );
    assert!(plan.steps().any(|s| matches!(s, Step::AwaitTargets { serving: true, .. })));
}

#[test]
fn a_port_change_moves_the_listener_to_a_new_group() {
    let before = spec(&[(1, 10, 9092, 9001)]);
    let after = spec(&[(1, 10, 9094, 9001)]);
    let o = converged(&before);
    let plan = converge(&after, &o, &with_records(&before, &o)).unwrap();
    assert_eq!(
        names(&plan),
        vec![
            phase(Phase::Groups, &["CreateTargetGroup"]),
            phase(Phase::Targets, &["Register"]),
            phase(Phase::TargetsReady, &["AwaitTargets"]),
            phase(Phase::Listeners, &["PointListener"]),
            phase(Phase::DropGroups, &["DeleteTargetGroup"])
        ]
    );
    assert!(plan.steps().any(|s| matches!(s, Step::PointListener { arn, target_group: TargetGroupRef::New(n), .. }
        if arn == "arn:listener/9001" && n == "orders-b1-9094")));
}

#[test]
fn a_replaced_broker_gets_its_own_group_and_the_port_moves_by_listener() {
    // broker 2 leaves, broker 4 takes its listener port: 4 gets a new group
    // named for it; the listener on 9002 moves; 2's group goes.
    let before = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]);
    let after = spec(&[(1, 10, 9092, 9001), (4, 14, 9092, 9002)]);
    let o = converged(&before);
    let plan = converge(&after, &o, &with_records(&before, &o)).unwrap();
    let steps: Vec<&Step> = plan.steps().collect();
    assert!(steps.iter().any(|s| matches!(s, Step::CreateTargetGroup { name, .. } if name == "orders-b4-9092")));
    assert!(steps.iter().any(|s| matches!(s, Step::PointListener { port: 9002, target_group: TargetGroupRef::New(n), .. } if n == "orders-b4-9092")));
    assert!(steps.iter().any(|s| matches!(s, Step::DeleteTargetGroup { name, .. } if name == "orders-b2-9092")));
    assert!(
        !steps
            .iter()
            .any(|s| matches!(s, Step::Register { target_group: TargetGroupRef::Arn(a), .. } if a.contains("b2")))
    );
}

#[test]
fn a_group_of_our_name_that_is_not_ours_is_refused_not_taken() {
    // AWS would answer the create with the existing group: refuse instead.
    let s = spec(&[(2, 11, 9092, 9002)]);
    let mut o = converged(&s);
    for tg in &mut o.target_groups {
        tg.owned = false;
        tg.tags.insert(INSTANCE_TAG.into(), "theirs".into());
    }
    o.listeners.clear();
    let e = converge(&s, &o, &instance()).unwrap_err();
    assert!(
        matches!(&e, DiffError::ForeignTargetGroup { name, arn, .. } if name == "orders-b2-9092" && arn == "arn:tg/orders-b2-9092"),
        "{e}"
    );
    assert!(e.to_string().contains("terraform import"), "{e}");
}

#[test]
fn a_group_behind_our_listener_port_is_not_taken_for_its_listener_alone() {
    // Someone else's group, named otherwise, behind the listener on our
    // port: broker 2 still gets a group of its own.
    let s = spec(&[(2, 11, 9092, 9002)]);
    let mut o = converged(&s);
    for tg in &mut o.target_groups {
        tg.owned = false;
        tg.name = "theirs".into();
        tg.role = None;
        tg.tags.clear();
    }
    for l in &mut o.listeners {
        l.owned = true;
    }
    let plan = converge(&s, &o, &instance()).unwrap();
    assert!(plan.steps().any(|s| matches!(s, Step::CreateTargetGroup { name, .. } if name == "orders-b2-9092")));
    assert!(!plan.steps().any(|s| matches!(
        s,
        Step::DeleteTargetGroup { .. } | Step::Register { target_group: TargetGroupRef::Arn(_), .. }
    )));
}

#[test]
fn swapped_listener_ports_move_listeners_not_targets() {
    let before = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]);
    let after = spec(&[(1, 10, 9092, 9002), (2, 11, 9092, 9001)]);
    let o = converged(&before);
    let plan = converge(&after, &o, &with_records(&before, &o)).unwrap();
    assert_eq!(names(&plan), vec![phase(Phase::Listeners, &["PointListener", "PointListener"])]);
}

#[test]
fn out_of_band_deletions_and_additions_are_repaired() {
    let s = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]);
    let clean = converged(&s);
    let i = with_records(&s, &clean);
    let mut drifted = clean.clone();
    drifted.listeners.retain(|l| l.port != 9002);
    drifted.target_groups[0].targets.insert((ip(200), 9092));
    drifted.service.as_mut().unwrap().principals.clear();
    drifted.service.as_mut().unwrap().principals.insert("arn:aws:iam::999999999999:root".into());
    let plan = converge(&s, &drifted, &i).unwrap();
    let steps: Vec<&Step> = plan.steps().collect();
    assert!(steps.iter().any(|s| matches!(s, Step::CreateListener { port: 9002, .. })));
    assert!(steps.iter().any(|s| matches!(s, Step::Deregister { targets, .. } if targets.contains(&(ip(200), 9092)))));
    assert!(steps.iter().any(|s| matches!(s, Step::Permissions { add, remove }
        if add.contains("arn:aws:iam::123456789012:root") && remove.contains("arn:aws:iam::999999999999:root"))));
}

#[test]
fn unmanaged_principals_are_left_alone_and_still_list_their_consumers() {
    let mut s = spec(&[(1, 10, 9092, 9001)]);
    s.service.principals = None;
    s.service.connections = ConnectionPolicy { auto_accept: true, reject_unlisted: true };
    let mut o = converged(&s);
    let svc = o.service.as_mut().unwrap();
    // added by someone else (a kafka_endpoint_service_principal)
    svc.principals = BTreeSet::from(["arn:aws:iam::210987654321:root".into()]);
    svc.connections = vec![
        Connection {
            endpoint_id: "vpce-theirs".into(),
            owner: "210987654321".into(),
            state: "pendingAcceptance".into(),
        },
        Connection { endpoint_id: "vpce-stray".into(), owner: "999999999999".into(), state: "available".into() },
    ];
    let plan = converge(&s, &o, &with_records(&s, &o)).unwrap();
    assert!(!plan.steps().any(|st| matches!(st, Step::Permissions { .. })), "nobody's principal is removed");
    assert!(
        plan.steps().any(|st| matches!(st, Step::AcceptConnections { endpoints, .. }
        if endpoints == &BTreeSet::from(["vpce-theirs".to_owned()]))),
        "listed by AWS's own principals"
    );
    assert!(plan.steps().any(|st| matches!(st, Step::RejectConnections { endpoints, .. }
        if endpoints == &BTreeSet::from(["vpce-stray".to_owned()]))));

    // Managed, the same principals are the whole list: the stranger's goes.
    s.service.principals = Some(BTreeSet::new());
    let plan = converge(&s, &o, &with_records(&s, &o)).unwrap();
    assert!(plan.steps().any(|st| matches!(st, Step::Permissions { add, remove }
        if add.is_empty() && remove.contains("arn:aws:iam::210987654321:root"))));
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
    o.listeners[0].owned = false;
    assert!(matches!(converge(&s, &o, &instance()), Err(DiffError::ForeignListener { port: 9001, .. })));
}

#[test]
fn a_foreign_endpoint_service_is_refused_not_rewritten() {
    let s = spec(&[(1, 10, 9092, 9001)]);
    let mut o = converged(&s);
    let svc = o.service.as_mut().unwrap();
    svc.owned = false;
    svc.tags = BTreeMap::from([("team".into(), "web".into())]);
    let e = converge(&s, &o, &instance()).unwrap_err();
    assert!(matches!(&e, DiffError::ForeignService { id, .. } if id == "vpce-svc-1"), "{e}");
    assert!(e.to_string().contains("terraform import"), "{e}");
}

#[test]
fn service_settings_change_in_place() {
    let before = spec(&[(1, 10, 9092, 9001)]);
    let mut after = before.clone();
    after.service.acceptance_required = false;
    after.service.supported_regions.insert("us-west-2".into());
    after.cross_zone = Some(true);
    let o = converged(&before);
    let plan = converge(&after, &o, &with_records(&before, &o)).unwrap();
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
    assert!(matches!(converge(&s, &Observed::default(), &instance()), Err(DiffError::MissingLoadBalancer(_))));
    let mut o = converged(&s);
    o.load_balancer.as_mut().unwrap().is_network = false;
    assert!(matches!(converge(&s, &o, &instance()), Err(DiffError::NotNetwork(_))));
}

#[test]
fn a_load_balancer_name_taken_by_someone_else_is_refused() {
    let s = spec(&[(1, 10, 9092, 9001)]);
    let mut o = converged(&s);
    let lb = o.load_balancer.as_mut().unwrap();
    lb.owned = false;
    lb.tags = BTreeMap::from([(OWNER_TAG.into(), "orders".into())]);
    let e = converge(&s, &o, &instance()).unwrap_err();
    assert!(matches!(&e, DiffError::Ownership(OwnershipError::NameTaken { name, .. }) if name == "orders"), "{e}");
}

#[test]
fn teardown_deletes_what_the_state_records_and_keeps_an_adopted_load_balancer() {
    let s = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]);
    let o = converged(&s);
    let rec = recorded(&s, &o);
    let plan = teardown(&rec, true, false);
    assert_eq!(
        names(&plan),
        vec![
            phase(Phase::DropService, &["DeleteService"]),
            phase(Phase::DropLoadBalancer, &["DeleteLoadBalancer"]),
            phase(Phase::DropGroups, &["DeleteTargetGroup", "DeleteTargetGroup"]),
        ]
    );
    let plan = teardown(&rec, false, false);
    assert!(!plan.steps().any(|s| matches!(s, Step::DeleteLoadBalancer { .. })));
    assert_eq!(plan.steps().filter(|s| matches!(s, Step::DeleteListener { .. })).count(), 2);
}

#[test]
fn connections_are_answered_after_the_principals_they_depend_on() {
    let mut s = spec(&[(1, 10, 9092, 9001)]);
    let o = {
        let mut o = converged(&s);
        o.service.as_mut().unwrap().connections = vec![
            Connection {
                endpoint_id: "vpce-new".into(),
                owner: "210987654321".into(),
                state: "pendingAcceptance".into(),
            },
            Connection { endpoint_id: "vpce-old".into(), owner: "123456789012".into(), state: "available".into() },
        ];
        o
    };
    let i = with_records(&s, &o);
    assert!(converge(&s, &o, &i).unwrap().is_empty(), "no policy: connections are left alone");

    // The new consumer's account is allowed, the old one's removed.
    s.service.principals = Some(BTreeSet::from(["arn:aws:iam::210987654321:root".into()]));
    s.service.connections = ConnectionPolicy { auto_accept: true, reject_unlisted: true };
    let plan = converge(&s, &o, &i).unwrap();
    assert_eq!(
        names(&plan),
        vec![
            phase(Phase::Permissions, &["Permissions", "Retag"]),
            phase(Phase::Connections, &["AcceptConnections", "RejectConnections"]),
        ]
    );
    assert!(
        plan.steps().any(|st| matches!(st, Step::Retag { add, .. }
        if add.get(AUTO_ACCEPT_TAG).map(String::as_str) == Some("true"))),
        "the service says it accepts by itself"
    );
    assert!(plan.steps().any(|st| matches!(st, Step::AcceptConnections { service, endpoints }
        if service == "vpce-svc-1" && endpoints == &BTreeSet::from(["vpce-new".to_owned()]))));
    assert!(plan.steps().any(|st| matches!(st, Step::RejectConnections { endpoints, .. }
        if endpoints == &BTreeSet::from(["vpce-old".to_owned()]))));

    // A service the resource does not own is refused before any answer.
    let mut foreign = o.clone();
    foreign.service.as_mut().unwrap().owned = false;
    assert!(matches!(converge(&s, &foreign, &instance()), Err(DiffError::ForeignService { .. })));
}

/// `spec` with its targets registered by another actor.
fn external(mut s: Spec) -> Spec {
    s.registration = Registration::External;
    for b in s.brokers.values_mut() {
        b.target = None;
    }
    s
}

fn target_calls(plan: &Schedule) -> Vec<&Step> {
    plan.steps()
        .filter(|s| matches!(s, Step::Register { .. } | Step::Deregister { .. } | Step::AwaitTargets { .. }))
        .collect()
}

#[test]
fn another_actors_groups_are_created_empty_and_never_registered() {
    let mut s = external(spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]));
    s.bootstrap = Some(crate::domain::layout::BootstrapSpec { listener_port: 9000, target_port: None });
    let plan = converge(&s, &Observed::default(), &Instance { complete: false, ..instance() }).unwrap();
    let creates = plan.steps().filter(|s| matches!(s, Step::CreateTargetGroup { kind: TargetKind::Ip, .. })).count();
    assert_eq!(creates, 3, "a group per broker and the bootstrap group");
    assert!(target_calls(&plan).is_empty(), "{plan:?}");
    assert_eq!(plan.steps().filter(|s| matches!(s, Step::CreateListener { .. })).count(), 3);
}

#[test]
fn another_actors_targets_are_never_drift() {
    let s = external(spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]));
    let mut observed = converged(&s);
    // The controller registers pods, replaces one, and leaves a draining one.
    observed.target_groups[0].targets = BTreeSet::from([(ip(50), 9092), (ip(51), 9092)]);
    observed.target_groups[1].targets = BTreeSet::from([(ip(60), 9092)]);
    let plan = converge(&s, &observed, &with_records(&s, &observed)).unwrap();
    assert!(plan.is_empty(), "{plan:?}");
    // Even on another port than the group's own: the group stays the broker's.
    observed.target_groups[1].targets = BTreeSet::from([(ip(60), 19092)]);
    let plan = converge(&s, &observed, &with_records(&s, &observed)).unwrap();
    assert!(plan.is_empty(), "{plan:?}");
}

#[test]
fn switching_to_another_actor_leaves_our_targets_in_place() {
    let ours = spec(&[(1, 10, 9092, 9001), (2, 11, 9092, 9002)]);
    let observed = converged(&ours);
    let theirs = external(ours);
    let plan = converge(&theirs, &observed, &with_records(&theirs, &observed)).unwrap();
    assert!(plan.is_empty(), "no target leaves before the controller replaces it: {plan:?}");
}

#[test]
fn switching_back_registers_and_waits_before_the_actors_targets_go() {
    let ours = spec(&[(1, 10, 9092, 9001)]);
    let mut observed = converged(&ours);
    observed.target_groups[0].targets = BTreeSet::from([(ip(50), 9092)]);
    let plan = converge(&ours, &observed, &with_records(&ours, &observed)).unwrap();
    assert_eq!(
        names(&plan),
        vec![
            phase(Phase::Targets, &["Register"]),
            phase(Phase::TargetsReady, &["AwaitTargets"]),
            phase(Phase::Deregister, &["Deregister"]),
        ]
    );
    let Some(Step::AwaitTargets { serving, targets, .. }) = plan.steps().nth(1) else { panic!("a wait") };
    assert!(*serving, "the listener forwards to the group: the new target must be healthy");
    assert_eq!(*targets, BTreeSet::from([(ip(10), 9092)]));
}

#[test]
fn instance_groups_when_the_actor_registers_instances() {
    let mut s = external(spec(&[(1, 10, 9092, 9001)]));
    s.target_kind = TargetKind::Instance;
    let groups = s.target_groups();
    assert_eq!(groups[0].kind, TargetKind::Instance);
    assert_eq!(groups[0].name, "orders-i1-9092");
    // An ip group the provider made before is replaced, never reused.
    let observed = converged(&spec(&[(1, 10, 9092, 9001)]));
    let plan = converge(&s, &observed, &with_records(&s, &observed)).unwrap();
    assert!(plan.steps().any(|s| matches!(s, Step::CreateTargetGroup { kind: TargetKind::Instance, .. })));
    assert!(plan.steps().any(|s| matches!(s, Step::PointListener { .. })));
    assert!(target_calls(&plan).is_empty(), "{plan:?}");
}

#[test]
fn switching_back_from_nodeport_targets_keeps_the_group() {
    // The controller registered nodes on a NodePort, not the broker's port:
    // the recorded group stays the broker's, its targets are brought to ours.
    let mut ours = spec(&[(1, 10, 9092, 9001)]);
    ours.target_kind = TargetKind::Instance;
    ours.brokers.get_mut(&BrokerId::new(1)).unwrap().target = Some(TargetId::Instance("i-1".into()));
    let mut observed = converged(&ours);
    observed.target_groups[0].targets = BTreeSet::from([(TargetId::Instance("i-9".into()), 30094)]);
    let plan = converge(&ours, &observed, &with_records(&ours, &observed)).unwrap();
    assert!(
        !plan.steps().any(|s| matches!(s, Step::CreateTargetGroup { .. } | Step::DeleteTargetGroup { .. })),
        "{plan:?}"
    );
    assert_eq!(
        names(&plan),
        vec![
            phase(Phase::Targets, &["Register"]),
            phase(Phase::TargetsReady, &["AwaitTargets"]),
            phase(Phase::Deregister, &["Deregister"]),
        ]
    );
}
