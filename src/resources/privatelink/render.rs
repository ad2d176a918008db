//! Between Terraform values and the domain: the spec a plan asks for,
//! where to look for its objects, and the state AWS's answer gives.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::model;
use super::model::{
    Bootstrap, ConnectionModel, EndpointService, Model, TargetHealthModel, defaults, known_map, known_strings, port_of,
    string_map, strings,
};
use super::private::Private;

use crate::aws::observe::Lookup;
use crate::domain::arn::Arn;
use crate::domain::connections::{Connection, ConnectionPolicy};
use crate::domain::diff;
use crate::domain::layout::{
    BootstrapSpec, BrokerSpec, HealthCheck, HealthPort, HealthProtocol, LoadBalancerSpec, Observed,
    ObservedTargetGroup, Role, SecurityGroupSpec, ServiceSpec, Spec, TargetId,
};
use crate::domain::ownership::{Recorded, is_reserved_tag};
use crate::domain::ports::BrokerId;
use crate::domain::promise::Promised;
use crate::server::api::diag::Diagnostic;
use crate::server::api::value::Tri;

/// The domain spec of a fully known planned model.
pub(super) fn spec_of(m: &Model, default_tags: &BTreeMap<String, String>) -> Result<Spec, Diagnostic> {
    let incomplete = Diagnostic::incomplete_plan;
    let name = m.name.known().cloned().ok_or_else(|| incomplete("name"))?;
    let mut brokers = BTreeMap::new();
    for (key, b) in m.brokers.known().ok_or_else(|| incomplete("brokers"))? {
        let id: BrokerId = key.parse().map_err(|_| incomplete("a broker id"))?;
        let target = match b.instance_id.known() {
            Some(instance) => TargetId::Instance(instance.clone()),
            None => TargetId::Ip(b.ip.known().and_then(|i| i.parse().ok()).ok_or_else(|| incomplete("a broker ip"))?),
        };
        let port = port_of(&b.port).ok_or_else(|| incomplete("a broker port"))?;
        let listener_port = port_of(&b.listener_port).ok_or_else(|| incomplete("a listener port"))?;
        brokers.insert(id, BrokerSpec { target, port, listener_port });
    }
    let es = m.endpoint();
    let health = m.health();
    let hp = |v: Option<&Tri<f64>>| v.and_then(|t| t.known()).map(|n| *n as u32);
    let mut tags = default_tags.clone();
    tags.extend(known_map(&m.tags).unwrap_or_default());
    Ok(Spec {
        vpc_id: m.vpc_id.known().cloned().ok_or_else(|| incomplete("vpc_id"))?,
        load_balancer: match known_strings(&m.subnet_ids) {
            Some(subnets) if !m.subnet_ids.is_null() => LoadBalancerSpec::Create { subnets },
            _ => LoadBalancerSpec::Adopt {
                arn: m.load_balancer_arn.known().cloned().ok_or_else(|| incomplete("load_balancer_arn"))?,
            },
        },
        brokers,
        bootstrap: m
            .bootstrap()
            .map(|b| {
                let listener_port =
                    port_of(&b.listener_port).ok_or_else(|| incomplete("the bootstrap listener port"))?;
                Ok::<_, Diagnostic>(BootstrapSpec { listener_port, target_port: port_of(&b.target_port) })
            })
            .transpose()?,
        // Unset settings stay `None`: AWS's defaults are left alone.
        health_check: HealthCheck {
            protocol: health.and_then(|h| h.protocol.known()).and_then(|p| HealthProtocol::parse(p)),
            port: health.and_then(|h| h.port.known()).map(|p| match p.as_str() {
                "traffic-port" => HealthPort::Traffic,
                p => p.parse().map(HealthPort::Port).unwrap_or(HealthPort::Traffic),
            }),
            interval: hp(health.map(|h| &h.interval)),
            healthy_threshold: hp(health.map(|h| &h.healthy_threshold)),
            unhealthy_threshold: hp(health.map(|h| &h.unhealthy_threshold)),
            timeout: hp(health.map(|h| &h.timeout)),
        },
        deregistration_delay: m.deregistration_delay.known().map(|d| *d as u32),
        tcp_idle_timeout: m.tcp_idle_timeout.known().map(|d| *d as u32),
        cross_zone: Some(m.cross_zone_load_balancing.known().copied().unwrap_or(defaults::CROSS_ZONE)),
        security_groups: match &m.subnet_ids {
            Tri::Null => None,
            _ => Some(SecurityGroupSpec {
                ids: known_strings(&m.security_group_ids).unwrap_or_default(),
                enforce_on_private_link: m
                    .enforce_security_group_inbound_rules_on_private_link_traffic
                    .known()
                    .map(|v| v == "on"),
            }),
        },
        service: ServiceSpec {
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
        },
        tags,
        name,
    })
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
    config.subnet_ids.is_null()
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
            (recorded.load_balancer.clone(), recorded.load_balancer.is_none().then(|| spec.name.clone()))
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

/// `private` with the owned groups and listeners that serve no broker: an
/// apply that failed before deleting them leaves them to the next one.
pub(super) fn with_leftovers(private: Private, spec: &Spec, observed: &Observed, recorded: &Recorded) -> Private {
    let groups = diff::serving_groups(spec, observed, recorded);
    let serving_listeners: BTreeSet<&str> = spec
        .target_groups()
        .iter()
        .filter_map(|t| groups.get(&t.role).and_then(|g| observed.listener_serving(t.listener_port, g)))
        .map(|l| l.arn.as_str())
        .collect();
    let serving_groups: BTreeSet<&str> = groups.values().map(|t| t.arn.as_str()).collect();
    Private {
        leftover_groups: observed
            .target_groups
            .iter()
            .filter(|t| t.owned && !serving_groups.contains(t.arn.as_str()))
            .map(|t| t.arn.clone())
            .collect(),
        leftover_listeners: observed
            .listeners
            .iter()
            .filter(|l| l.owned && !serving_listeners.contains(l.arn.as_str()))
            .map(|l| l.arn.clone())
            .collect(),
        ..private
    }
}

/// The state: `base` (the plan or the prior state) for what only Terraform
/// knows, AWS's answer for everything AWS holds.
pub(super) fn render(
    base: &Model,
    spec: &Spec,
    observed: &Observed,
    recorded: &Recorded,
    lb_zone_ids: Option<Tri<BTreeSet<String>>>,
) -> Model {
    let mut m = base.clone();
    let lb = observed.load_balancer.as_ref();
    m.id = lb.map(|l| l.arn.clone()).into();
    m.load_balancer_arn = lb.map(|l| l.arn.clone()).into();
    m.load_balancer_dns_name = lb.map(|l| l.dns_name.clone()).into();
    if matches!(spec.load_balancer, LoadBalancerSpec::Create { .. })
        && let Some(lb) = lb
    {
        m.subnet_ids = strings(lb.subnets.clone());
    }
    m.cross_zone_load_balancing = Tri::Known(lb.and_then(|l| l.cross_zone).unwrap_or(defaults::CROSS_ZONE));
    m.security_group_ids = strings(lb.map(|l| l.security_groups.clone()).unwrap_or_default());
    // AWS reports the setting only with security groups (moto never does):
    // otherwise the plan's value stands.
    m.enforce_security_group_inbound_rules_on_private_link_traffic = match lb.and_then(|l| l.enforce_on_private_link) {
        Some(on) => Tri::Known(if on { "on" } else { "off" }.to_owned()),
        None => match &base.enforce_security_group_inbound_rules_on_private_link_traffic {
            Tri::Known(v) => Tri::Known(v.clone()),
            _ => Tri::Null,
        },
    };
    m.availability_zone_ids = match lb_zone_ids {
        Some(Tri::Known(z)) => strings(z),
        Some(_) => Tri::Null,
        // no load balancer: no zones
        None if m.availability_zone_ids.is_unknown() => strings(BTreeSet::new()),
        None => m.availability_zone_ids.clone(),
    };

    let tgs = spec.target_groups();
    let groups = diff::serving_groups(spec, observed, recorded);
    let serving = |role: Role| {
        let tg = groups.get(&role).copied();
        let listener = tgs
            .iter()
            .find(|t| t.role == role)
            .and_then(|t| tg.and_then(|g| observed.listener_serving(t.listener_port, g)));
        (tg, listener)
    };
    let mut brokers = BTreeMap::new();
    let mut health = BTreeMap::new();
    for (key, b) in base.brokers.known().into_iter().flatten() {
        let mut out = b.clone();
        let (tg, listener) = key.parse::<BrokerId>().map_or((None, None), |id| serving(Role::Broker(id)));
        out.target_group_arn = tg.map(|t| t.arn.clone()).into();
        out.listener_arn = listener.map(|l| l.arn.clone()).into();
        out.targets = strings(
            tg.map(|t| t.targets.iter().map(|(id, p)| format!("{id}:{p}")).collect::<BTreeSet<_>>())
                .unwrap_or_default(),
        );
        let target = match (b.instance_id.known(), b.ip.known().and_then(|i| i.parse::<Ipv4Addr>().ok())) {
            (Some(instance), _) => Some(TargetId::Instance(instance.clone())),
            (None, ip) => ip.map(TargetId::Ip),
        };
        let own = match (target, port_of(&b.port)) {
            (Some(t), Some(port)) => tg.and_then(|g| g.health.get(&(t, port))),
            _ => None,
        };
        if let Some(h) = own {
            health.insert(
                key.clone(),
                TargetHealthModel { state: Tri::Known(h.state.clone()), reason: h.reason.clone().into() },
            );
        }
        if out.availability_zone_id.is_unknown() {
            out.availability_zone_id = Tri::Null;
        }
        brokers.insert(key.clone(), out);
    }
    m.brokers = Tri::Known(brokers);
    m.target_health = Tri::Known(health);
    if let Some(boot) = base.bootstrap() {
        let (tg, listener) = serving(Role::Bootstrap);
        m.bootstrap = Tri::Known(vec![Bootstrap {
            target_group_arn: tg.map(|t| t.arn.clone()).into(),
            listener_arn: listener.map(|l| l.arn.clone()).into(),
            targets: strings(
                tg.map(|t| t.targets.iter().map(|(id, p)| format!("{id}:{p}")).collect::<BTreeSet<_>>())
                    .unwrap_or_default(),
            ),
            ..boot.clone()
        }]);
    }

    let svc = observed.service.as_ref();
    let es = base.endpoint().cloned().unwrap_or_default();
    // Optional sets: what AWS holds, but null stays null while AWS holds
    // none; with no service (its create failed), nothing is known of them:
    // an unknown planned value (unset `allowed_principals`) becomes null,
    // as a state may hold no unknown.
    let observed_set = |configured: &model::Strings, have: Option<BTreeSet<String>>| match have {
        Some(h) if !h.is_empty() || !configured.is_null() => strings(h),
        _ if matches!(configured, Tri::Unknown) => Tri::Null,
        _ => configured.clone(),
    };
    m.endpoint_service = Tri::Known(vec![EndpointService {
        acceptance_required: svc.map(|s| s.acceptance_required).into(),
        allowed_principals: observed_set(&es.allowed_principals, svc.map(|s| s.principals.clone())),
        supported_regions: observed_set(&es.supported_regions, svc.map(|s| s.supported_regions.clone())),
        connections: Tri::Known(svc.map(|s| connection_models(&s.connections)).unwrap_or_default()),
        id: svc.map(|s| s.id.clone()).into(),
        service_name: svc.map(|s| s.name.clone()).into(),
        availability_zones: strings(svc.map(|s| s.availability_zones.clone()).unwrap_or_default()),
        availability_zone_ids: strings(
            svc.map(|s| s.availability_zone_ids.clone())
                .filter(|z| !z.is_empty())
                .or_else(|| known_strings(&m.availability_zone_ids))
                .unwrap_or_default(),
        ),
        ..es
    }]);
    m.tags_all = string_map(&applied_tags(spec, observed));
    render_attributes(&mut m, spec, &groups, observed);
    m.bootstrap_servers = bootstrap_hint(&m);
    m
}

/// The tags AWS holds on the instance's objects, reserved keys left out:
/// the configured tags when every owned object carries exactly those, else
/// the first object's that differs — so that out-of-band tag changes on the
/// load balancer, a group or the service show in the plan.
fn applied_tags(spec: &Spec, observed: &Observed) -> BTreeMap<String, String> {
    let user = |t: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        t.iter().filter(|(k, _)| !is_reserved_tag(k)).map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    let created_lb = matches!(spec.load_balancer, LoadBalancerSpec::Create { .. });
    let lb = observed.load_balancer.iter().filter(|l| l.owned && created_lb).map(|l| &l.tags);
    let tgs = observed.target_groups.iter().filter(|t| t.owned).map(|t| &t.tags);
    let svc = observed.service.iter().filter(|s| s.owned).map(|s| &s.tags);
    lb.chain(tgs).chain(svc).map(user).find(|t| *t != spec.tags).unwrap_or_else(|| spec.tags.clone())
}

/// Managed attributes read back from AWS, so that out-of-band changes show
/// in the plan: the first broker group's settings and the first listener's
/// idle timeout stand for all (the resource sets them all alike). Unset
/// attributes stay unset: AWS's own values are not managed.
pub(super) fn render_attributes(
    m: &mut Model,
    spec: &Spec,
    groups: &BTreeMap<Role, &ObservedTargetGroup>,
    observed: &Observed,
) {
    let first = groups.values().next().copied();
    let first_listener = spec
        .target_groups()
        .iter()
        .find_map(|t| groups.get(&t.role).and_then(|g| observed.listener_serving(t.listener_port, g)));
    let number = |v: Option<u32>| v.map_or(Tri::Null, |n| Tri::Known(f64::from(n)));
    if m.deregistration_delay.known().is_some()
        && let Some(tg) = first
    {
        m.deregistration_delay = number(tg.deregistration_delay);
    }
    if m.tcp_idle_timeout.known().is_some()
        && let Some(l) = first_listener
    {
        m.tcp_idle_timeout = number(l.idle_timeout);
    }
    if let (Tri::Known(blocks), Some(tg)) = (&mut m.health_check, first)
        && let Some(h) = blocks.first_mut()
    {
        let have = tg.health_check;
        if h.protocol.known().is_some() {
            h.protocol = have.protocol.map(|p| p.as_str().to_owned()).into();
        }
        if h.port.known().is_some() {
            h.port = have
                .port
                .map(|p| match p {
                    HealthPort::Traffic => "traffic-port".to_owned(),
                    HealthPort::Port(n) => n.to_string(),
                })
                .into();
        }
        for (field, value) in [
            (&mut h.interval, have.interval),
            (&mut h.healthy_threshold, have.healthy_threshold),
            (&mut h.unhealthy_threshold, have.unhealthy_threshold),
            (&mut h.timeout, have.timeout),
        ] {
            if field.known().is_some() {
                *field = number(value);
            }
        }
    }
}

pub(super) fn bootstrap_hint(m: &Model) -> Tri<String> {
    let Some(dns) = m.load_balancer_dns_name.known() else { return m.load_balancer_dns_name.clone() };
    if let Some(p) = m.bootstrap().and_then(|b| port_of(&b.listener_port)) {
        return Tri::Known(format!("{dns}:{p}"));
    }
    let mut ports: Vec<u16> =
        m.brokers.known().into_iter().flat_map(|b| b.values()).filter_map(|b| port_of(&b.listener_port)).collect();
    if ports.len() != m.brokers.known().map_or(0, BTreeMap::len) {
        return Tri::Unknown;
    }
    ports.sort_unstable();
    Tri::Known(ports.iter().map(|p| format!("{dns}:{p}")).collect::<Vec<_>>().join(","))
}

/// Connections as `endpoint_service.connections` shows them.
pub(super) fn connection_models(connections: &[Connection]) -> Vec<ConnectionModel> {
    connections
        .iter()
        .map(|c| ConnectionModel {
            endpoint_id: Tri::Known(c.endpoint_id.clone()),
            owner: Tri::Known(c.owner.clone()),
            state: Tri::Known(c.state.clone()),
        })
        .collect()
}
