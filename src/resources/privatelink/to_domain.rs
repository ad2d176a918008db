//! From Terraform's values to the domain: the spec a planned state asks
//! for, what a state records as the instance's, what a plan promises, and
//! where to look for the objects in AWS. The way back is `to_state`.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Model, Placement, defaults, known_map, known_strings, port_of};
use super::private::Private;

use crate::aws::observe::Lookup;
use crate::domain::arn::Arn;
use crate::domain::connections::ConnectionPolicy;
use crate::domain::layout::{
    BootstrapSpec, BrokerSpec, HealthCheck, HealthPort, HealthProtocol, LoadBalancerSpec, Registration, Role,
    SecurityGroupSpec, ServiceSpec, Spec,
};
use crate::domain::ownership::Recorded;
use crate::domain::ports::BrokerId;
use crate::domain::promise::Promised;
use crate::server::api::diag::Diagnostic;
use crate::server::api::value::Tri;

/// The domain spec of a fully known planned model.
pub(super) fn spec_of(m: &Model, default_tags: &BTreeMap<String, String>) -> Result<Spec, Diagnostic> {
    let incomplete = Diagnostic::incomplete_plan;
    let mut tags = default_tags.clone();
    tags.extend(known_map(&m.tags).unwrap_or_default());
    let name = m.name.known().cloned().ok_or_else(|| incomplete("name"))?;
    Ok(Spec {
        load_balancer_name: name.clone(),
        name,
        elsewhere: BTreeMap::new(),
        vpc_id: m.vpc_id.known().cloned().ok_or_else(|| incomplete("vpc_id"))?,
        load_balancer: match m.placement() {
            Placement::Create(subnets) => {
                LoadBalancerSpec::Create { subnets: known_strings(subnets).ok_or_else(|| incomplete("subnet_ids"))? }
            }
            Placement::Adopt(arn) => {
                LoadBalancerSpec::Adopt { arn: arn.known().cloned().ok_or_else(|| incomplete("load_balancer_arn"))? }
            }
        },
        brokers: brokers_of(m)?,
        bootstrap: m
            .bootstrap()
            .map(|b| {
                let listener_port =
                    port_of(&b.listener_port).ok_or_else(|| incomplete("the bootstrap listener port"))?;
                Ok::<_, Diagnostic>(BootstrapSpec { listener_port, target_port: port_of(&b.target_port) })
            })
            .transpose()?,
        registration: match m.external() {
            Some(true) => Registration::External,
            Some(false) => Registration::Provider,
            None => return Err(incomplete("target_registration")),
        },
        target_kind: m.target_kind(),
        health_check: health_check_of(m),
        deregistration_delay: m.deregistration_delay.known().map(|d| *d as u32),
        tcp_idle_timeout: m.tcp_idle_timeout.known().map(|d| *d as u32),
        cross_zone: Some(m.cross_zone_load_balancing.known().copied().unwrap_or(defaults::CROSS_ZONE)),
        security_groups: m.creates().then(|| SecurityGroupSpec {
            ids: known_strings(&m.security_group_ids).unwrap_or_default(),
            enforce_on_private_link: m
                .enforce_security_group_inbound_rules_on_private_link_traffic
                .known()
                .map(|v| v == "on"),
        }),
        service: service_of(m),
        tags,
    })
}

fn brokers_of(m: &Model) -> Result<BTreeMap<BrokerId, BrokerSpec>, Diagnostic> {
    let incomplete = Diagnostic::incomplete_plan;
    let external = m.external().ok_or_else(|| incomplete("target_registration"))?;
    let mut brokers = BTreeMap::new();
    for (key, b) in m.brokers.known().ok_or_else(|| incomplete("brokers"))? {
        let id: BrokerId = key.parse().map_err(|_| incomplete("a broker id"))?;
        // Another actor's targets are not the spec's.
        let target = if external { None } else { Some(b.target().ok_or_else(|| incomplete("a broker ip"))?) };
        let port = port_of(&b.port).ok_or_else(|| incomplete("a broker port"))?;
        let listener_port = port_of(&b.listener_port).ok_or_else(|| incomplete("a listener port"))?;
        brokers.insert(id, BrokerSpec { target, port, listener_port });
    }
    Ok(brokers)
}

/// Unset settings stay `None`: AWS's defaults are left alone.
fn health_check_of(m: &Model) -> HealthCheck {
    let health = m.health();
    let number = |v: Option<&Tri<f64>>| v.and_then(|t| t.known()).map(|n| *n as u32);
    HealthCheck {
        protocol: health.and_then(|h| h.protocol.known()).and_then(|p| HealthProtocol::parse(p)),
        port: health.and_then(|h| h.port.known()).map(|p| match p.as_str() {
            "traffic-port" => HealthPort::Traffic,
            p => p.parse().map(HealthPort::Port).unwrap_or(HealthPort::Traffic),
        }),
        interval: number(health.map(|h| &h.interval)),
        healthy_threshold: number(health.map(|h| &h.healthy_threshold)),
        unhealthy_threshold: number(health.map(|h| &h.unhealthy_threshold)),
        timeout: number(health.map(|h| &h.timeout)),
    }
}

fn service_of(m: &Model) -> ServiceSpec {
    let es = m.endpoint();
    ServiceSpec {
        acceptance_required: es
            .and_then(|e| e.acceptance_required.known().copied())
            .unwrap_or(defaults::ACCEPTANCE_REQUIRED),
        // Unknown at apply only when unset in the configuration (set,
        // every value is known by then): AWS's are left alone.
        principals: match es.map(|e| &e.allowed_principals) {
            Some(Tri::Unknown) => None,
            Some(p) => Some(known_strings(p).unwrap_or_default()),
            None => Some(BTreeSet::new()),
        },
        supported_regions: es.and_then(|e| known_strings(&e.supported_regions)).unwrap_or_default(),
        connections: ConnectionPolicy {
            auto_accept: es.and_then(|e| e.auto_accept.known().copied()).unwrap_or(false),
            reject_unlisted: es.and_then(|e| e.reject_unlisted.known().copied()).unwrap_or(false),
        },
    }
}

/// What a state (and its private part) records as the instance's.
pub(super) fn recorded_of(m: &Model, private: &Private) -> Recorded {
    let mut groups = BTreeMap::new();
    let mut listeners = BTreeSet::new();
    for (key, b) in m.brokers.known().into_iter().flatten() {
        if let (Ok(id), Some(arn)) = (key.parse::<BrokerId>(), b.target_group_arn.known()) {
            groups.insert(Role::Broker(id), arn.clone());
        }
        listeners.extend(b.listener_arn.known().cloned());
    }
    if let Some(b) = m.bootstrap() {
        if let Some(arn) = b.target_group_arn.known() {
            groups.insert(Role::Bootstrap, arn.clone());
        }
        listeners.extend(b.listener_arn.known().cloned());
    }
    Recorded {
        load_balancer: m.load_balancer_arn.known().cloned(),
        groups,
        leftover_groups: private.leftover_groups.clone(),
        listeners: listeners.into_iter().chain(private.leftover_listeners.iter().cloned()).collect(),
        service: m.endpoint().and_then(|e| e.id.known().cloned()),
    }
}

/// The existing objects a plan names by identifier: known ARNs and ids in
/// the planned state (a plan leaves unknown what it means to create).
pub(super) fn promised_of(planned: &Model) -> Promised {
    let mut promised = Promised {
        load_balancer: planned.load_balancer_arn.known().cloned(),
        service: planned.endpoint().and_then(|e| e.id.known().cloned()),
        ..Promised::default()
    };
    let mut keep = |role: Role, group: &Tri<String>, listener: &Tri<String>, port: Option<u16>| {
        if let Some(arn) = group.known() {
            promised.groups.insert(role, arn.clone());
        }
        if let (Some(arn), Some(port)) = (listener.known(), port) {
            promised.listeners.insert(role, (arn.clone(), port));
        }
    };
    for (key, b) in planned.brokers.known().into_iter().flatten() {
        if let Ok(id) = key.parse::<BrokerId>() {
            keep(Role::Broker(id), &b.target_group_arn, &b.listener_arn, port_of(&b.listener_port));
        }
    }
    if let Some(b) = planned.bootstrap() {
        keep(Role::Bootstrap, &b.target_group_arn, &b.listener_arn, port_of(&b.listener_port));
    }
    promised
}

/// An adopted load balancer whose cross-zone setting the configuration does
/// not name (nor imply, through `supported_regions`) keeps its own: the
/// resource neither plans nor writes it.
pub(super) fn cross_zone_left_alone(config: &Model) -> bool {
    !config.creates()
        && config.cross_zone_load_balancing.is_null()
        && config.endpoint().is_none_or(|e| {
            e.supported_regions.is_null() || known_strings(&e.supported_regions).is_some_and(|r| r.is_empty())
        })
}

/// Why the resource reads AWS: what an apply may create decides which
/// names it must look for first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    Read,
    Create,
    Update,
}

/// Where to look for the objects of a resource: what the state records,
/// and — for an apply — the names of the groups it may create, so that a
/// group an interrupted first apply left behind is resumed and another's
/// group of the same name is refused rather than handed back by AWS.
pub(super) fn lookup_for(spec: &Spec, recorded: &Recorded, purpose: Purpose) -> Lookup {
    let (arn, name) = match &spec.load_balancer {
        LoadBalancerSpec::Adopt { arn } => (Some(arn.clone()), None),
        LoadBalancerSpec::Create { .. } => {
            (recorded.load_balancer.clone(), recorded.load_balancer.is_none().then(|| spec.load_balancer_name.clone()))
        }
    };
    let recorded_names: BTreeSet<&str> =
        recorded.group_arns().filter_map(|a| Arn::parse(a)?.target_group_name()).collect();
    Lookup {
        load_balancer_arn: arn,
        load_balancer_name: name,
        service_id: recorded.service.clone(),
        target_group_arns: recorded.group_arns().cloned().collect(),
        target_group_names: match purpose {
            Purpose::Read => BTreeSet::new(),
            Purpose::Create | Purpose::Update => spec
                .target_groups()
                .into_iter()
                .map(|t| t.name)
                .filter(|n| !recorded_names.contains(n.as_str()))
                .collect(),
        },
        read_targets: true,
        // Listeners an interrupted apply created are known by their token
        // alone (Terraform kept no record of them); a plain refresh reads
        // only what the state records.
        read_listener_tags: purpose != Purpose::Read,
        read_deregistration_delay: spec.deregistration_delay.is_some(),
        read_idle_timeout: spec.tcp_idle_timeout.is_some(),
    }
}
