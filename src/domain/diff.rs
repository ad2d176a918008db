//! Desired layout versus what AWS holds → the AWS operations that converge
//! them, in named [`Phase`]s. Steps within one phase are independent and may
//! run concurrently; phases run in order. The order encodes AWS's rules and
//! ours:
//! - target groups are created only once the load balancer exists, so a
//!   failed create never leaves a group that nothing records;
//! - a group holds its targets before a listener forwards to it, and a new
//!   target is ready before an old one goes or a listener moves away
//!   (no dark broker);
//! - a listener moves to a new group before the old group is deleted;
//! - the endpoint service comes last, once its load balancer serves;
//! - a first apply marks its anchor objects complete at the very end.
//!
//! Only objects [owned](super::ownership) by the instance are ever changed;
//! anything else in the way is refused with a [`DiffError`].

use std::collections::{BTreeMap, BTreeSet};

use super::connections;
use super::layout::{
    HealthCheck, LoadBalancerSpec, Observed, ObservedLoadBalancer, ObservedTargetGroup, Role, SecurityGroupSpec, Spec,
    Target, TargetGroupSpec, TargetKind,
};
use super::ownership::{COMPLETE_TAG, Instance, OwnershipError, Recorded, holder};

/// A target group, existing or created earlier in the same apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetGroupRef {
    Arn(String),
    /// Created by a [`Step::CreateTargetGroup`] with this name.
    New(String),
}

/// The stages of a change, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Endpoint service removal (teardown): it must go before its load balancer.
    DropService,
    /// The load balancer is created, or subnets it should no longer have
    /// are removed: AWS takes a new subnet in a zone the load balancer is
    /// in only once the old one is gone.
    LoadBalancer,
    /// Subnets are added, attributes change; new target groups are created.
    Groups,
    /// Targets are registered, group settings applied.
    Targets,
    /// New targets are ready before anything moves away from old ones.
    TargetsReady,
    /// Listeners on ports no longer wanted are deleted.
    DropListeners,
    /// Listeners are created or moved to their group.
    Listeners,
    /// Listener attributes.
    ListenerAttributes,
    /// Targets no longer wanted are deregistered.
    Deregister,
    /// The load balancer is deleted (teardown).
    DropLoadBalancer,
    /// Target groups no longer wanted are deleted.
    DropGroups,
    /// The endpoint service is created or changed.
    Service,
    /// Allowed principals and tags.
    Permissions,
    /// Consumer connections are accepted or rejected, once the principals
    /// they depend on are in place.
    Connections,
    /// A first apply marks its anchors complete.
    Complete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    CreateLoadBalancer {
        name: String,
        subnets: BTreeSet<String>,
        security_groups: BTreeSet<String>,
        tags: BTreeMap<String, String>,
    },
    /// The load balancer's security groups and whether they filter
    /// PrivateLink traffic (`None`: left as it is).
    SetSecurityGroups {
        ids: BTreeSet<String>,
        enforce_on_private_link: Option<bool>,
    },
    CreateTargetGroup {
        role: Role,
        name: String,
        port: u16,
        kind: TargetKind,
        health_check: HealthCheck,
        tags: BTreeMap<String, String>,
    },
    /// The load balancer's subnets become exactly these (SetSubnets).
    /// `after_removal`: a removal in this apply came first, and AWS takes an
    /// addition in a zone only once a removal there has completed.
    SetSubnets {
        subnets: BTreeSet<String>,
        after_removal: bool,
    },
    SetCrossZone(bool),
    SetTargetGroupAttributes {
        target_group: TargetGroupRef,
        deregistration_delay: u32,
    },
    SetHealthCheck {
        target_group: TargetGroupRef,
        health_check: HealthCheck,
    },
    Register {
        target_group: TargetGroupRef,
        targets: BTreeSet<Target>,
    },
    /// Waits until `targets` are registered and, if `serving` (a listener
    /// forwards to the group), healthy.
    AwaitTargets {
        target_group: TargetGroupRef,
        targets: BTreeSet<Target>,
        serving: bool,
    },
    DeleteListener {
        arn: String,
        port: u16,
    },
    CreateListener {
        port: u16,
        target_group: TargetGroupRef,
        tags: BTreeMap<String, String>,
    },
    PointListener {
        arn: String,
        port: u16,
        target_group: TargetGroupRef,
    },
    SetIdleTimeout {
        port: u16,
        seconds: u32,
    },
    Deregister {
        target_group: String,
        targets: BTreeSet<Target>,
    },
    DeleteTargetGroup {
        arn: String,
        name: String,
    },
    CreateService {
        acceptance_required: bool,
        supported_regions: BTreeSet<String>,
        tags: BTreeMap<String, String>,
    },
    ModifyService {
        acceptance_required: Option<bool>,
        add_regions: BTreeSet<String>,
        remove_regions: BTreeSet<String>,
    },
    Permissions {
        add: BTreeSet<String>,
        remove: BTreeSet<String>,
    },
    AcceptConnections {
        service: String,
        endpoints: BTreeSet<String>,
    },
    RejectConnections {
        service: String,
        endpoints: BTreeSet<String>,
    },
    Retag {
        arn: String,
        add: BTreeMap<String, String>,
        remove: BTreeSet<String>,
    },
    /// Adds [`COMPLETE_TAG`] to the owned load balancer (when the resource
    /// created it), every owned group (when the load balancer is adopted:
    /// they are what a later create would find), and the owned service.
    MarkComplete {
        load_balancer: bool,
        groups: bool,
        service: bool,
    },
    /// Deletes the service: first checks for live consumer connections
    /// (refusing, or rejecting them when `reject_connections`).
    DeleteService {
        id: String,
        reject_connections: bool,
    },
    DeleteLoadBalancer {
        arn: String,
    },
}

/// The steps of one change, by phase.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    pub phases: BTreeMap<Phase, Vec<Step>>,
}

impl Schedule {
    fn push(&mut self, phase: Phase, step: Step) {
        self.phases.entry(phase).or_default().push(step);
    }

    pub fn is_empty(&self) -> bool {
        self.phases.values().all(Vec::is_empty)
    }

    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.phases.values().flatten()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    #[error(
        "port {port} of the load balancer has a listener this resource does not manage (it forwards to {target}); \
         remove it or choose another listener port"
    )]
    ForeignListener { port: u16, target: String },
    #[error("the load balancer {0} does not exist")]
    MissingLoadBalancer(String),
    #[error("{0} is not a network load balancer")]
    NotNetwork(String),
    #[error(
        "the load balancer already has an endpoint service, {id}, which {holder}; it was left unchanged. \
         Take it over with `terraform import` (by the load balancer ARN or {id}), or remove it"
    )]
    ForeignService { id: String, holder: String },
    #[error(
        "a target group named {name} already exists ({arn}) and {holder}; it was left unchanged. \
         Delete or rename it, or take it over with `terraform import`"
    )]
    ForeignTargetGroup { name: String, arn: String, holder: String },
    #[error(
        "the load balancer {arn} {}; AWS cannot change that in place: the load balancer must be replaced",
        if *has { "has security groups and would be left with none" } else { "was created without security groups, and AWS never adds one later" }
    )]
    SecurityGroupsFixed { arn: String, has: bool },
    #[error(transparent)]
    Ownership(#[from] OwnershipError),
}

/// The steps that make AWS match `spec` for `instance`, changing only what
/// the instance owns.
pub fn converge(spec: &Spec, observed: &Observed, instance: &Instance) -> Result<Schedule, DiffError> {
    let mut s = Schedule::default();
    load_balancer(spec, observed, instance, &mut s)?;
    let desired = spec.target_groups();
    let refs = target_groups(spec, &desired, observed, instance, &mut s)?;
    listeners(spec, &desired, &refs, observed, instance, &mut s)?;
    service(spec, observed, instance, &mut s)?;
    if !instance.complete {
        s.push(
            Phase::Complete,
            Step::MarkComplete {
                load_balancer: matches!(spec.load_balancer, LoadBalancerSpec::Create { .. }),
                groups: true,
                service: true,
            },
        );
    }
    Ok(s)
}

/// A group the role keeps: targets registered before others leave, its
/// settings and tags brought to the spec.
fn existing_group(
    spec: &Spec,
    tg: &TargetGroupSpec,
    existing: &ObservedTargetGroup,
    observed: &Observed,
    tags: BTreeMap<String, String>,
    s: &mut Schedule,
) -> TargetGroupRef {
    let r = TargetGroupRef::Arn(existing.arn.clone());
    // Another actor's targets are its own: nothing to register or remove.
    if let Some(wanted) = tg.targets.registered() {
        converge_targets(wanted, existing, observed, &r, s);
    }
    if !health_matches(&spec.health_check, &existing.health_check) {
        s.push(Phase::Targets, Step::SetHealthCheck { target_group: r.clone(), health_check: spec.health_check });
    }
    if let Some(d) = spec.deregistration_delay
        && existing.deregistration_delay != Some(d)
    {
        s.push(Phase::Targets, Step::SetTargetGroupAttributes { target_group: r.clone(), deregistration_delay: d });
    }
    retag(s, &existing.arn, &existing.tags, &tags);
    r
}

/// Brings an existing group's targets to `wanted`: the new ones registered
/// (and, when others leave, ready) before the others are deregistered.
fn converge_targets(
    wanted: &BTreeSet<Target>,
    existing: &ObservedTargetGroup,
    observed: &Observed,
    r: &TargetGroupRef,
    s: &mut Schedule,
) {
    let extra: BTreeSet<Target> = existing.targets.difference(wanted).cloned().collect();
    let missing: BTreeSet<Target> = wanted.difference(&existing.targets).cloned().collect();
    if !missing.is_empty() {
        s.push(Phase::Targets, Step::Register { target_group: r.clone(), targets: missing.clone() });
        // The new target serves before the old one goes.
        if !extra.is_empty() {
            let serving = observed.listeners.iter().any(|l| l.target_group_arn.as_ref() == Some(&existing.arn));
            s.push(Phase::TargetsReady, Step::AwaitTargets { target_group: r.clone(), targets: missing, serving });
        }
    }
    if !extra.is_empty() {
        s.push(Phase::Deregister, Step::Deregister { target_group: existing.arn.clone(), targets: extra });
    }
}

/// A group the role needs anew, with its targets; a listener serving today
/// moves to it only once it holds them.
fn new_group(
    spec: &Spec,
    tg: &TargetGroupSpec,
    observed: &Observed,
    tags: BTreeMap<String, String>,
    s: &mut Schedule,
) -> Result<TargetGroupRef, DiffError> {
    // AWS answers a create whose name and settings match an existing group
    // with that group: another's group of this name would silently become
    // ours.
    if let Some(taken) = observed.target_group_by_name(&tg.name).filter(|t| !t.owned) {
        return Err(DiffError::ForeignTargetGroup {
            name: tg.name.clone(),
            arn: taken.arn.clone(),
            holder: holder(&taken.tags),
        });
    }
    s.push(
        Phase::Groups,
        Step::CreateTargetGroup {
            role: tg.role,
            name: tg.name.clone(),
            port: tg.port,
            kind: tg.kind,
            health_check: spec.health_check,
            tags,
        },
    );
    let r = TargetGroupRef::New(tg.name.clone());
    // With another actor registering, the group starts empty: the actor
    // binds it once the apply names it.
    if let Some(targets) = tg.targets.registered() {
        s.push(Phase::Targets, Step::Register { target_group: r.clone(), targets: targets.clone() });
        if observed.listener_on(tg.listener_port).is_some_and(|l| l.owned) {
            s.push(
                Phase::TargetsReady,
                Step::AwaitTargets { target_group: r.clone(), targets: targets.clone(), serving: false },
            );
        }
    }
    if let Some(d) = spec.deregistration_delay {
        s.push(Phase::Targets, Step::SetTargetGroupAttributes { target_group: r.clone(), deregistration_delay: d });
    }
    Ok(r)
}

/// An existing load balancer the spec may use: a network load balancer in
/// the VPC, and — when the spec creates one — this instance's.
fn usable(spec: &Spec, lb: &ObservedLoadBalancer) -> Result<(), DiffError> {
    if !lb.is_network {
        return Err(DiffError::NotNetwork(lb.arn.clone()));
    }
    if lb.vpc_id != spec.vpc_id {
        let e = OwnershipError::WrongVpc { arn: lb.arn.clone(), found: lb.vpc_id.clone(), wanted: spec.vpc_id.clone() };
        return Err(e.into());
    }
    if matches!(spec.load_balancer, LoadBalancerSpec::Create { .. }) && !lb.owned {
        let e = OwnershipError::NameTaken { name: lb.name.clone(), arn: lb.arn.clone(), holder: holder(&lb.tags) };
        return Err(e.into());
    }
    Ok(())
}

fn load_balancer(spec: &Spec, observed: &Observed, instance: &Instance, s: &mut Schedule) -> Result<(), DiffError> {
    let lb_tags = instance.tags_for(spec, "load-balancer");
    if let Some(lb) = &observed.load_balancer {
        usable(spec, lb)?;
    }
    match (&spec.load_balancer, &observed.load_balancer) {
        (LoadBalancerSpec::Create { subnets }, None) => {
            let groups = spec.security_groups.clone().unwrap_or_default();
            s.push(
                Phase::LoadBalancer,
                Step::CreateLoadBalancer {
                    name: spec.load_balancer_name.clone(),
                    subnets: subnets.clone(),
                    security_groups: groups.ids.clone(),
                    tags: lb_tags,
                },
            );
            // CreateLoadBalancer takes no enforcement setting; AWS's default is on.
            if !groups.ids.is_empty() && groups.enforce_on_private_link == Some(false) {
                s.push(
                    Phase::Groups,
                    Step::SetSecurityGroups { ids: groups.ids, enforce_on_private_link: Some(false) },
                );
            }
        }
        (LoadBalancerSpec::Adopt { arn }, None) => return Err(DiffError::MissingLoadBalancer(arn.clone())),
        (LoadBalancerSpec::Create { subnets }, Some(lb)) => {
            // Removal first, addition after: a subnet replaced within one
            // zone is two changes to AWS. (With nothing kept, the plan
            // replaces the load balancer instead.)
            let kept: BTreeSet<String> = lb.subnets.intersection(subnets).cloned().collect();
            let removing = kept != lb.subnets && !kept.is_empty();
            if removing {
                s.push(Phase::LoadBalancer, Step::SetSubnets { subnets: kept.clone(), after_removal: false });
            }
            if kept != *subnets {
                s.push(Phase::Groups, Step::SetSubnets { subnets: subnets.clone(), after_removal: removing });
            }
            if let Some(want) = &spec.security_groups {
                security_groups(want, lb, s)?;
            }
            retag(s, &lb.arn, &lb.tags, &lb_tags);
        }
        // An adopted load balancer keeps its own tags and subnets.
        (LoadBalancerSpec::Adopt { .. }, Some(_)) => {}
    }
    let cross_zone_now = observed.load_balancer.as_ref().and_then(|lb| lb.cross_zone).unwrap_or(false);
    if let Some(want) = spec.cross_zone
        && want != cross_zone_now
    {
        s.push(Phase::Groups, Step::SetCrossZone(want));
    }
    Ok(())
}

/// Brings an existing load balancer's security groups to `want`, within
/// what AWS allows.
fn security_groups(want: &SecurityGroupSpec, lb: &ObservedLoadBalancer, s: &mut Schedule) -> Result<(), DiffError> {
    if want.ids.is_empty() != lb.security_groups.is_empty() {
        return Err(DiffError::SecurityGroupsFixed { arn: lb.arn.clone(), has: !lb.security_groups.is_empty() });
    }
    if want.ids.is_empty() {
        return Ok(());
    }
    let enforce_differs = match (want.enforce_on_private_link, lb.enforce_on_private_link) {
        (Some(w), Some(have)) => w != have,
        // Not reported: AWS's default is on, so only "off" needs a call.
        (Some(w), None) => !w,
        (None, _) => false,
    };
    if want.ids != lb.security_groups || enforce_differs {
        s.push(
            Phase::Groups,
            Step::SetSecurityGroups { ids: want.ids.clone(), enforce_on_private_link: want.enforce_on_private_link },
        );
    }
    Ok(())
}

/// Groups and targets; returns the group each role will use.
fn target_groups(
    spec: &Spec,
    desired: &[TargetGroupSpec],
    observed: &Observed,
    instance: &Instance,
    s: &mut Schedule,
) -> Result<BTreeMap<Role, TargetGroupRef>, DiffError> {
    let assigned = observed.assign_groups(desired, &instance.recorded.groups);
    let mut refs = BTreeMap::new();
    for tg in desired {
        let tags = instance.tags_for(spec, &tg.role.to_string());
        let reference = match assigned.get(&tg.role) {
            Some(existing) => existing_group(spec, tg, existing, observed, tags, s),
            None => new_group(spec, tg, observed, tags, s)?,
        };
        refs.insert(tg.role, reference);
    }
    // Owned groups no role uses any more go, once their listeners moved.
    let kept: BTreeSet<&str> = assigned.values().map(|t| t.arn.as_str()).collect();
    for tg in observed.target_groups.iter().filter(|t| t.owned && !kept.contains(t.arn.as_str())) {
        s.push(Phase::DropGroups, Step::DeleteTargetGroup { arn: tg.arn.clone(), name: tg.name.clone() });
    }
    Ok(refs)
}

fn listeners(
    spec: &Spec,
    desired: &[TargetGroupSpec],
    refs: &BTreeMap<Role, TargetGroupRef>,
    observed: &Observed,
    instance: &Instance,
    s: &mut Schedule,
) -> Result<(), DiffError> {
    let by_port: BTreeMap<u16, &TargetGroupSpec> = desired.iter().map(|t| (t.listener_port, t)).collect();
    for l in &observed.listeners {
        match by_port.get(&l.port) {
            None if l.owned => s.push(Phase::DropListeners, Step::DeleteListener { arn: l.arn.clone(), port: l.port }),
            None => {} // someone else's listener on a port we do not use
            Some(tg) => {
                // Someone else's listener is never used, moved or changed,
                // even when it already forwards to our group.
                if !l.owned {
                    return Err(DiffError::ForeignListener {
                        port: l.port,
                        target: l.target_group_arn.clone().unwrap_or_else(|| "no target group".to_owned()),
                    });
                }
                let want = &refs[&tg.role];
                let already = matches!(want, TargetGroupRef::Arn(a) if l.target_group_arn.as_ref() == Some(a));
                if already {
                    continue;
                }
                s.push(
                    Phase::Listeners,
                    Step::PointListener { arn: l.arn.clone(), port: l.port, target_group: want.clone() },
                );
            }
        }
    }
    for (port, tg) in &by_port {
        let existing = observed.listener_on(*port);
        if existing.is_none() {
            s.push(
                Phase::Listeners,
                Step::CreateListener {
                    port: *port,
                    target_group: refs[&tg.role].clone(),
                    tags: instance.tags_for(spec, &tg.role.to_string()),
                },
            );
        }
        if let Some(seconds) = spec.tcp_idle_timeout
            && existing.is_none_or(|l| l.idle_timeout != Some(seconds))
        {
            s.push(Phase::ListenerAttributes, Step::SetIdleTimeout { port: *port, seconds });
        }
    }
    Ok(())
}

fn service(spec: &Spec, observed: &Observed, instance: &Instance, s: &mut Schedule) -> Result<(), DiffError> {
    let want = &spec.service;
    let tags = instance.tags_for(spec, "endpoint-service");
    match &observed.service {
        None => {
            s.push(
                Phase::Service,
                Step::CreateService {
                    acceptance_required: want.acceptance_required,
                    supported_regions: want.supported_regions.clone(),
                    tags,
                },
            );
            if let Some(principals) = want.principals.as_ref().filter(|p| !p.is_empty()) {
                s.push(Phase::Permissions, Step::Permissions { add: principals.clone(), remove: BTreeSet::new() });
            }
        }
        Some(svc) if !svc.owned => {
            return Err(DiffError::ForeignService { id: svc.id.clone(), holder: holder(&svc.tags) });
        }
        Some(svc) => {
            let acceptance = (svc.acceptance_required != want.acceptance_required).then_some(want.acceptance_required);
            let add_regions: BTreeSet<String> =
                want.supported_regions.difference(&svc.supported_regions).cloned().collect();
            let remove_regions: BTreeSet<String> =
                svc.supported_regions.difference(&want.supported_regions).cloned().collect();
            if acceptance.is_some() || !add_regions.is_empty() || !remove_regions.is_empty() {
                s.push(
                    Phase::Service,
                    Step::ModifyService { acceptance_required: acceptance, add_regions, remove_regions },
                );
            }
            if let Some(principals) = &want.principals {
                let add: BTreeSet<String> = principals.difference(&svc.principals).cloned().collect();
                let remove: BTreeSet<String> = svc.principals.difference(principals).cloned().collect();
                if !add.is_empty() || !remove.is_empty() {
                    s.push(Phase::Permissions, Step::Permissions { add, remove });
                }
            }
            // Listed: by the principals this apply leaves, ours or AWS's.
            let listed = want.principals.as_ref().unwrap_or(&svc.principals);
            let d = connections::decide(want.connections, listed, &svc.connections);
            if !d.accept.is_empty() {
                s.push(Phase::Connections, Step::AcceptConnections { service: svc.id.clone(), endpoints: d.accept });
            }
            if !d.reject.is_empty() {
                s.push(Phase::Connections, Step::RejectConnections { service: svc.id.clone(), endpoints: d.reject });
            }
            retag(s, &svc.id, &svc.tags, &tags);
        }
    }
    Ok(())
}

/// The steps that remove everything the state records, and nothing else:
/// the service first (AWS refuses to delete it while consumers are
/// connected, which stops a destroy before anything else changes), then the load
/// balancer when the resource manages it (`delete_load_balancer`: created
/// or imported, never borrowed) — which takes its listeners along —, or
/// else the recorded listeners, then the groups. Built from the state
/// alone: deleting what is already gone succeeds.
pub fn teardown(recorded: &Recorded, delete_load_balancer: bool, reject_connections: bool) -> Schedule {
    let mut s = Schedule::default();
    if let Some(id) = &recorded.service {
        s.push(Phase::DropService, Step::DeleteService { id: id.clone(), reject_connections });
    }
    match &recorded.load_balancer {
        Some(arn) if delete_load_balancer => {
            s.push(Phase::DropLoadBalancer, Step::DeleteLoadBalancer { arn: arn.clone() });
        }
        _ => {
            for arn in &recorded.listeners {
                s.push(Phase::DropListeners, Step::DeleteListener { arn: arn.clone(), port: 0 });
            }
        }
    }
    for arn in recorded.group_arns() {
        s.push(Phase::DropGroups, Step::DeleteTargetGroup { arn: arn.clone(), name: arn.clone() });
    }
    s
}

/// Only the settings the configuration names are compared.
fn health_matches(want: &HealthCheck, have: &HealthCheck) -> bool {
    fn same<T: PartialEq>(w: Option<T>, h: Option<T>) -> bool {
        w.is_none() || w == h
    }
    same(want.protocol, have.protocol)
        && same(want.port, have.port)
        && same(want.interval, have.interval)
        && same(want.healthy_threshold, have.healthy_threshold)
        && same(want.unhealthy_threshold, have.unhealthy_threshold)
        && same(want.timeout, have.timeout)
}

/// Brings an object's tags to `want`. The completion mark is never removed;
/// once the instance is complete, `want` holds it, and an object of the
/// instance without it (imported, or from a version that marked only some)
/// gets it here: nothing finished stays unmarked.
fn retag(s: &mut Schedule, arn: &str, have: &BTreeMap<String, String>, want: &BTreeMap<String, String>) {
    let add: BTreeMap<String, String> =
        want.iter().filter(|(k, v)| have.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let remove: BTreeSet<String> =
        have.keys().filter(|k| k.as_str() != COMPLETE_TAG && !want.contains_key(*k)).cloned().collect();
    if !add.is_empty() || !remove.is_empty() {
        s.push(Phase::Permissions, Step::Retag { arn: arn.to_owned(), add, remove });
    }
}

/// The groups that serve each role after `observed` (for the state).
pub fn serving_groups<'a>(
    spec: &Spec,
    observed: &'a Observed,
    recorded: &Recorded,
) -> BTreeMap<Role, &'a ObservedTargetGroup> {
    observed.assign_groups(&spec.target_groups(), &recorded.groups)
}

#[cfg(test)]
mod tests;
