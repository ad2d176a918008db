//! From the domain back to Terraform's values: the state AWS's answer
//! gives (with `base`, the plan or the prior state, for what only
//! Terraform knows), and the private state's leftovers. The way in is
//! `to_domain`.

use std::collections::{BTreeMap, BTreeSet};

use super::model;
use super::model::{
    Bootstrap, ConnectionModel, EndpointService, Model, TargetHealthModel, defaults, known_strings, port_of,
    string_map, strings,
};
use super::private::Private;

use crate::domain::connections::Connection;
use crate::domain::diff;
use crate::domain::layout::{
    HealthPort, LoadBalancerSpec, Observed, ObservedListener, ObservedTargetGroup, Registration, Role, Spec,
};
use crate::domain::ownership::{Recorded, is_reserved_tag};
use crate::domain::ports::BrokerId;
use crate::server::api::value::Tri;

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

/// `private` with the leftovers of every share (see [`with_leftovers`]).
pub(super) fn with_leftovers_of(private: Private, shares: &[super::apply::Share]) -> Private {
    let mut out = Private { leftover_groups: BTreeSet::new(), leftover_listeners: BTreeSet::new(), ..private };
    for s in shares {
        let share = with_leftovers(Private::default(), &s.spec, &s.observed, &s.recorded);
        out.leftover_groups.extend(share.leftover_groups);
        out.leftover_listeners.extend(share.leftover_listeners);
    }
    out
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
    // States from before `target_registration` existed registered their own.
    if m.target_registration.is_null() {
        m.target_registration = Tri::Known(defaults::TARGET_REGISTRATION.to_owned());
    }
    m.target_type = Tri::Known(spec.target_kind.as_str().to_owned());
    render_load_balancer(&mut m, base, spec, observed, lb_zone_ids);
    let groups = diff::serving_groups(spec, observed, recorded);
    let serving = Serving { spec, observed, groups: &groups };
    render_brokers(&mut m, base, &serving);
    render_service(&mut m, base, observed);
    m.tags_all = string_map(&applied_tags(spec, observed));
    render_attributes(&mut m, spec, &groups, observed);
    m.bootstrap_servers = bootstrap_hint(&m);
    m
}

fn render_load_balancer(
    m: &mut Model,
    base: &Model,
    spec: &Spec,
    observed: &Observed,
    lb_zone_ids: Option<Tri<BTreeSet<String>>>,
) {
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
}

/// The group and listener serving each role.
struct Serving<'a> {
    spec: &'a Spec,
    observed: &'a Observed,
    groups: &'a BTreeMap<Role, &'a ObservedTargetGroup>,
}

impl<'a> Serving<'a> {
    fn of(&self, role: Role) -> (Option<&'a ObservedTargetGroup>, Option<&'a ObservedListener>) {
        let tg = self.groups.get(&role).copied();
        let listener = self
            .spec
            .target_groups()
            .iter()
            .find(|t| t.role == role)
            .and_then(|t| tg.and_then(|g| self.observed.listener_serving(t.listener_port, g)));
        (tg, listener)
    }
}

/// A group's targets as the state lists them, `id:port`.
fn targets_of(tg: Option<&ObservedTargetGroup>) -> model::Strings {
    strings(
        tg.map(|t| t.targets.iter().map(|(id, p)| format!("{id}:{p}")).collect::<BTreeSet<_>>()).unwrap_or_default(),
    )
}

fn render_brokers(m: &mut Model, base: &Model, serving: &Serving<'_>) {
    let mut brokers = BTreeMap::new();
    let mut health = BTreeMap::new();
    for (key, b) in base.brokers.known().into_iter().flatten() {
        let mut out = b.clone();
        let (tg, listener) = key.parse::<BrokerId>().map_or((None, None), |id| serving.of(Role::Broker(id)));
        out.target_group_arn = tg.map(|t| t.arn.clone()).into();
        out.listener_arn = listener.map(|l| l.arn.clone()).into();
        out.targets = targets_of(tg);
        out.target_type = Tri::Known(serving.spec.target_kind.as_str().to_owned());
        let own = match (&serving.spec.registration, b.target(), port_of(&b.port)) {
            // Another actor's targets come and go: the best of them says
            // whether the broker is reachable.
            (Registration::External, _, _) => tg.and_then(|g| g.health.values().min_by_key(|h| h.rank())),
            (Registration::Provider, Some(t), Some(port)) => tg.and_then(|g| g.health.get(&(t, port))),
            (Registration::Provider, ..) => None,
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
        let (tg, listener) = serving.of(Role::Bootstrap);
        m.bootstrap = Tri::Known(vec![Bootstrap {
            target_group_arn: tg.map(|t| t.arn.clone()).into(),
            listener_arn: listener.map(|l| l.arn.clone()).into(),
            targets: targets_of(tg),
            ..boot.clone()
        }]);
    }
}

fn render_service(m: &mut Model, base: &Model, observed: &Observed) {
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
    // Spread over several load balancers: the brokers behind the first.
    let first: Option<BTreeSet<&String>> = match (m.brokers_per_load_balancer.is_null(), &m.load_balancers) {
        (true, _) | (false, Tri::Null) => None,
        (false, Tri::Known(lbs)) => {
            Some(lbs.first().and_then(|e| e.broker_ids.known()).into_iter().flatten().filter_map(Tri::known).collect())
        }
        (false, Tri::Unknown) => return Tri::Unknown,
    };
    let Some(all) = m.brokers.known() else { return Tri::Unknown };
    let behind: Vec<&model::Broker> =
        all.iter().filter(|(k, _)| first.as_ref().is_none_or(|f| f.contains(k))).map(|(_, b)| b).collect();
    let mut ports: Vec<u16> = behind.iter().filter_map(|b| port_of(&b.listener_port)).collect();
    if ports.len() != behind.len() {
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
