//! Desired layout versus what AWS holds → the AWS operations that converge
//! them, in phases. Steps within one phase are independent and may run
//! concurrently; phases run in order. The order encodes AWS's rules: a
//! target group exists (with its targets) before a listener forwards to it,
//! a listener moves to a new group before the old group is deleted, and the
//! endpoint service comes last, once its load balancer serves.

use std::collections::{BTreeMap, BTreeSet};

use super::layout::{
    HealthCheck, LoadBalancerSpec, Observed, ObservedTargetGroup, Role, Spec, Target, TargetGroupSpec,
};

/// A target group, existing or created earlier in the same apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetGroupRef {
    Arn(String),
    /// Created by a [`Step::CreateTargetGroup`] with this name.
    New(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    CreateLoadBalancer { name: String, subnets: BTreeSet<String>, tags: BTreeMap<String, String> },
    CreateTargetGroup { role: Role, name: String, port: u16, health_check: HealthCheck, tags: BTreeMap<String, String> },
    AddSubnets { subnets: BTreeSet<String> },
    SetCrossZone(bool),
    SetTargetGroupAttributes { target_group: TargetGroupRef, deregistration_delay: u32 },
    SetHealthCheck { target_group: TargetGroupRef, health_check: HealthCheck },
    Register { target_group: TargetGroupRef, targets: BTreeSet<Target> },
    DeleteListener { arn: String, port: u16 },
    CreateListener { port: u16, target_group: TargetGroupRef, tags: BTreeMap<String, String> },
    PointListener { arn: String, port: u16, target_group: TargetGroupRef },
    SetIdleTimeout { port: u16, seconds: u32 },
    Deregister { target_group: String, targets: BTreeSet<Target> },
    DeleteTargetGroup { arn: String, name: String },
    CreateService { acceptance_required: bool, supported_regions: BTreeSet<String>, tags: BTreeMap<String, String> },
    ModifyService { acceptance_required: Option<bool>, add_regions: BTreeSet<String>, remove_regions: BTreeSet<String> },
    Permissions { add: BTreeSet<String>, remove: BTreeSet<String> },
    Retag { arn: String, add: BTreeMap<String, String>, remove: BTreeSet<String> },
    DeleteService { id: String },
    DeleteLoadBalancer { arn: String },
}

/// Ordered phases of independent steps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub phases: Vec<Vec<Step>>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.phases.iter().all(Vec::is_empty)
    }

    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.phases.iter().flatten()
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
        "a load balancer named {0:?} already exists and was not created by this resource; \
         choose another name, or adopt it with load_balancer_arn"
    )]
    NameTaken(String),
}

/// The steps that make AWS match `spec`.
pub fn converge(spec: &Spec, observed: &Observed) -> Result<Plan, DiffError> {
    let mut phases: Vec<Vec<Step>> = vec![Vec::new(); 8];
    let desired = spec.target_groups();
    let owned = |tg: &ObservedTargetGroup| tg.owner.as_deref() == Some(spec.name.as_str());

    // 0. the load balancer
    match (&spec.load_balancer, &observed.load_balancer) {
        (LoadBalancerSpec::Create { subnets }, None) => phases[0].push(Step::CreateLoadBalancer {
            name: spec.name.clone(),
            subnets: subnets.clone(),
            tags: spec.tags_for("load-balancer"),
        }),
        (LoadBalancerSpec::Adopt { arn }, None) => return Err(DiffError::MissingLoadBalancer(arn.clone())),
        (_, Some(lb)) if !lb.is_network => return Err(DiffError::NotNetwork(lb.arn.clone())),
        (LoadBalancerSpec::Create { .. }, Some(lb)) if !lb.owned => return Err(DiffError::NameTaken(lb.name.clone())),
        (LoadBalancerSpec::Create { subnets }, Some(lb)) => {
            let missing: BTreeSet<String> = subnets.difference(&lb.subnets).cloned().collect();
            if !missing.is_empty() {
                phases[1].push(Step::AddSubnets { subnets: lb.subnets.union(subnets).cloned().collect() });
            }
            retag(&mut phases[7], &lb.arn, &lb_tags(observed), &spec.tags_for("load-balancer"));
        }
        (LoadBalancerSpec::Adopt { .. }, Some(_)) => {}
    }
    let cross_zone_now = observed.load_balancer.as_ref().and_then(|lb| lb.cross_zone).unwrap_or(false);
    if spec.cross_zone != cross_zone_now {
        phases[1].push(Step::SetCrossZone(spec.cross_zone));
    }

    // 1. target groups and their targets
    let mut refs: BTreeMap<&str, TargetGroupRef> = BTreeMap::new();
    for tg in &desired {
        let role_tags = spec.tags_for(&tg.role.to_string());
        let reference = match observed.existing_group(tg, &spec.name) {
            Some(existing) => {
                let r = TargetGroupRef::Arn(existing.arn.clone());
                let extra: BTreeSet<Target> = existing.targets.difference(&tg.targets).copied().collect();
                let missing: BTreeSet<Target> = tg.targets.difference(&existing.targets).copied().collect();
                if !missing.is_empty() {
                    phases[1].push(Step::Register { target_group: r.clone(), targets: missing });
                }
                if !extra.is_empty() {
                    // New targets first, so a changed IP never leaves the group empty.
                    phases[4].push(Step::Deregister { target_group: existing.arn.clone(), targets: extra });
                }
                if !health_matches(&spec.health_check, &existing.health_check) {
                    phases[1].push(Step::SetHealthCheck { target_group: r.clone(), health_check: spec.health_check });
                }
                if let Some(d) = spec.deregistration_delay
                    && existing.deregistration_delay != Some(d)
                {
                    phases[1].push(Step::SetTargetGroupAttributes { target_group: r.clone(), deregistration_delay: d });
                }
                retag(&mut phases[7], &existing.arn, &existing.tags, &role_tags);
                r
            }
            None => {
                phases[0].push(Step::CreateTargetGroup {
                    role: tg.role,
                    name: tg.name.clone(),
                    port: tg.port,
                    health_check: spec.health_check,
                    tags: role_tags,
                });
                let r = TargetGroupRef::New(tg.name.clone());
                phases[1].push(Step::Register { target_group: r.clone(), targets: tg.targets.clone() });
                if let Some(d) = spec.deregistration_delay {
                    phases[1].push(Step::SetTargetGroupAttributes { target_group: r.clone(), deregistration_delay: d });
                }
                r
            }
        };
        refs.insert(tg.name.as_str(), reference);
    }

    // 2. listeners
    let desired_ports: BTreeMap<u16, &TargetGroupSpec> = desired.iter().map(|t| (t.listener_port, t)).collect();
    let ours = |arn: &str| observed.target_group(arn).is_some_and(owned);
    for l in &observed.listeners {
        let forwards_to_ours = l.target_group_arn.as_deref().is_some_and(ours);
        match desired_ports.get(&l.port) {
            None if forwards_to_ours => phases[2].push(Step::DeleteListener { arn: l.arn.clone(), port: l.port }),
            None => {} // someone else's listener on a port we do not use
            Some(tg) => {
                let want = &refs[tg.name.as_str()];
                let already = matches!(want, TargetGroupRef::Arn(a) if l.target_group_arn.as_deref() == Some(a));
                let dangling = l.target_group_arn.as_deref().is_none_or(|a| observed.target_group(a).is_none());
                if !already && !forwards_to_ours && !dangling {
                    return Err(DiffError::ForeignListener {
                        port: l.port,
                        target: l.target_group_arn.clone().unwrap_or_default(),
                    });
                }
                if !already {
                    phases[3].push(Step::PointListener {
                        arn: l.arn.clone(),
                        port: l.port,
                        target_group: want.clone(),
                    });
                }
            }
        }
    }
    for (port, tg) in &desired_ports {
        if observed.listener_on(*port).is_none() {
            phases[3].push(Step::CreateListener {
                port: *port,
                target_group: refs[tg.name.as_str()].clone(),
                tags: spec.tags_for(&tg.role.to_string()),
            });
        }
        if let Some(seconds) = spec.tcp_idle_timeout
            && observed.listener_on(*port).is_none_or(|l| l.idle_timeout != Some(seconds))
        {
            phases[4].push(Step::SetIdleTimeout { port: *port, seconds });
        }
    }

    // 3. target groups no longer wanted (after their listeners moved or went)
    let kept: BTreeSet<&str> =
        refs.values().filter_map(|r| if let TargetGroupRef::Arn(a) = r { Some(a.as_str()) } else { None }).collect();
    for tg in observed.target_groups.iter().filter(|t| owned(t) && !kept.contains(t.arn.as_str())) {
        phases[5].push(Step::DeleteTargetGroup { arn: tg.arn.clone(), name: tg.name.clone() });
    }

    // 4. the endpoint service and its principals
    let want = &spec.service;
    match &observed.service {
        None => {
            phases[6].push(Step::CreateService {
                acceptance_required: want.acceptance_required,
                supported_regions: want.supported_regions.clone(),
                tags: spec.tags_for("endpoint-service"),
            });
            if !want.principals.is_empty() {
                phases[7].push(Step::Permissions { add: want.principals.clone(), remove: BTreeSet::new() });
            }
        }
        Some(svc) => {
            let acceptance = (svc.acceptance_required != want.acceptance_required).then_some(want.acceptance_required);
            let add_regions: BTreeSet<String> =
                want.supported_regions.difference(&svc.supported_regions).cloned().collect();
            let remove_regions: BTreeSet<String> =
                svc.supported_regions.difference(&want.supported_regions).cloned().collect();
            if acceptance.is_some() || !add_regions.is_empty() || !remove_regions.is_empty() {
                phases[6].push(Step::ModifyService { acceptance_required: acceptance, add_regions, remove_regions });
            }
            let add: BTreeSet<String> = want.principals.difference(&svc.principals).cloned().collect();
            let remove: BTreeSet<String> = svc.principals.difference(&want.principals).cloned().collect();
            if !add.is_empty() || !remove.is_empty() {
                phases[7].push(Step::Permissions { add, remove });
            }
            retag(&mut phases[7], &svc.id, &svc.tags, &spec.tags_for("endpoint-service"));
        }
    }
    Ok(Plan { phases })
}

/// The steps that remove everything the resource manages, in dependency
/// order: principals, service, listeners, target groups, and the load
/// balancer if the resource created it.
pub fn teardown(spec_name: &str, observed: &Observed) -> Plan {
    let mut phases: Vec<Vec<Step>> = vec![Vec::new(); 5];
    if let Some(svc) = &observed.service {
        if !svc.principals.is_empty() {
            phases[0].push(Step::Permissions { add: BTreeSet::new(), remove: svc.principals.clone() });
        }
        phases[1].push(Step::DeleteService { id: svc.id.clone() });
    }
    let owned: BTreeSet<&str> = observed
        .target_groups
        .iter()
        .filter(|t| t.owner.as_deref() == Some(spec_name))
        .map(|t| t.arn.as_str())
        .collect();
    let lb_owned = observed.load_balancer.as_ref().is_some_and(|lb| lb.owned);
    for l in &observed.listeners {
        if lb_owned || l.target_group_arn.as_deref().is_some_and(|a| owned.contains(a)) {
            phases[2].push(Step::DeleteListener { arn: l.arn.clone(), port: l.port });
        }
    }
    for tg in observed.target_groups.iter().filter(|t| owned.contains(t.arn.as_str())) {
        phases[3].push(Step::DeleteTargetGroup { arn: tg.arn.clone(), name: tg.name.clone() });
    }
    if let Some(lb) = observed.load_balancer.as_ref().filter(|lb| lb.owned) {
        phases[4].push(Step::DeleteLoadBalancer { arn: lb.arn.clone() });
    }
    Plan { phases }
}

fn lb_tags(observed: &Observed) -> BTreeMap<String, String> {
    observed.load_balancer.as_ref().map(|lb| lb.tags.clone()).unwrap_or_default()
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

fn retag(out: &mut Vec<Step>, arn: &str, have: &BTreeMap<String, String>, want: &BTreeMap<String, String>) {
    let add: BTreeMap<String, String> =
        want.iter().filter(|(k, v)| have.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let remove: BTreeSet<String> = have.keys().filter(|k| !want.contains_key(*k)).cloned().collect();
    if !add.is_empty() || !remove.is_empty() {
        out.push(Step::Retag { arn: arn.to_owned(), add, remove });
    }
}

#[cfg(test)]
mod tests;
