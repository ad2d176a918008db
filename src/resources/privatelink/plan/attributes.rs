//! The planned value of each part of the configuration: brokers,
//! bootstrap, security groups, endpoint service, load balancer, and what
//! AWS may change under the plan.

use crate::resources::refusals::{LinkRefusal, refuse};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use crate::resources::privatelink::model;
use crate::resources::privatelink::model::{
    Bootstrap, EndpointService, Model, defaults, known_strings, port_of, strings,
};
use crate::resources::privatelink::to_domain::cross_zone_left_alone;

use crate::aws::ec2;
use crate::domain::connections;
use crate::domain::connections::{Connection, ConnectionPolicy};
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::value::{Tri, to_value};

/// Every broker: its port and listener port (known at plan time), its
/// target group and listener ARNs kept where nothing moved, its IP and
/// zone (checked against the VPC's subnets when they were read).
#[expect(
    clippy::too_many_lines,
    reason = "one pass over the brokers: each broker's ports, ARNs, IP and zone are planned together"
)]
pub(super) fn plan_brokers(
    planned: &mut Model,
    config: &Model,
    prior: Option<&Model>,
    ips: &BTreeMap<String, Tri<String>>,
    subnets: Option<&[ec2::Subnet]>,
    assigned: &BTreeMap<String, u16>,
) -> Result<(), Diagnostics> {
    let prior_brokers = prior.and_then(|p| p.brokers.known());
    let broker_port = planned.broker_port.clone();
    // Another actor's targets: none of ours, its own as refreshed.
    let external = config.external() == Some(true);
    // The planned type (`plan_defaults`): the configuration's, or kept.
    let kind = planned.target_kind();
    let kind_known = planned.target_type.known().is_some();
    let same_kind = planned.keeps_target_kind(prior);

    if let (Some(cfg_brokers), Tri::Known(brokers)) = (config.brokers.known(), &mut planned.brokers) {
        for (key, b) in brokers.iter_mut() {
            let cfg = &cfg_brokers[key];
            let was = prior_brokers.and_then(|p| p.get(key));
            b.port = if cfg.port.is_null() { broker_port.clone() } else { cfg.port.clone() };
            let port = port_of(&b.port);
            b.listener_port = match (&cfg.listener_port, assigned.get(key)) {
                (Tri::Known(p), _) => Tri::Known(*p),
                (_, Some(p)) => Tri::Known(f64::from(*p)),
                _ => Tri::Unknown,
            };
            let same_port = port.is_some() && was.is_some_and(|w| port_of(&w.port) == port);
            let same_listener = same_port && was.is_some_and(|w| w.listener_port == b.listener_port);
            // by ip or by instance: another kind of target, another group
            b.target_type = if kind_known { Tri::Known(kind.as_str().to_owned()) } else { Tri::Unknown };
            b.target_group_arn = if same_port && same_kind {
                was.map_or(Tri::Unknown, |w| w.target_group_arn.clone())
            } else {
                Tri::Unknown
            };
            if b.target_group_arn.is_null() {
                b.target_group_arn = Tri::Unknown;
            }
            b.listener_arn =
                if same_listener { was.map_or(Tri::Unknown, |w| w.listener_arn.clone()) } else { Tri::Unknown };
            if b.listener_arn.is_null() {
                b.listener_arn = Tri::Unknown;
            }
            if external {
                // As refreshed while the group stays (`plan_volatile`
                // decides whether they stay known).
                b.ip = Tri::Null;
                let kept = b.target_group_arn.known().is_some();
                b.targets = was.filter(|_| kept).map_or(Tri::Unknown, |w| w.targets.clone());
                b.availability_zone_id = cfg.availability_zone_id.clone();
                continue;
            }
            let ip = ips.get(key).cloned().unwrap_or(Tri::Unknown);
            b.ip = ip.clone();
            let target = cfg.instance_id.known().or(ip.known());
            b.targets = match (target, port) {
                (Some(t), Some(port)) => strings([format!("{t}:{port}")]),
                _ => Tri::Unknown,
            };
            b.availability_zone_id = match (ip.known(), subnets) {
                (Some(ip), _)
                    if was.is_some_and(|w| w.ip.known() == Some(ip) && w.availability_zone_id.known().is_some()) =>
                {
                    was.map_or(Tri::Unknown, |w| w.availability_zone_id.clone())
                }
                (Some(ip), Some(subnets)) => {
                    let addr: Ipv4Addr = ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
                    match subnets.iter().find(|s| s.contains(addr)) {
                        Some(s) => Tri::Known(s.zone_id.clone()),
                        None => {
                            let vpc = config.vpc_id.known().cloned().unwrap_or_default();
                            let r = LinkRefusal::BrokerOutsideVpc { key: key.clone(), ip: ip.clone(), vpc };
                            return Err(refuse(&r).into());
                        }
                    }
                }
                _ => Tri::Unknown,
            };
            if let Tri::Known(given) = &cfg.availability_zone_id {
                if let Tri::Known(found) = &b.availability_zone_id
                    && found != given
                {
                    let r = LinkRefusal::BrokerZoneMismatch {
                        key: key.clone(),
                        found: found.clone(),
                        given: given.clone(),
                    };
                    return Err(refuse(&r).into());
                }
                b.availability_zone_id = Tri::Known(given.clone());
            }
        }
    }
    Ok(())
}

/// With another actor registering, a live broker whose listener moves to a
/// new target group (its `port` or `target_type` changed) is unreachable
/// until the actor binds that group: the plan says so, per broker.
pub(super) fn unbound_groups(planned: &Model, config: &Model, prior: Option<&Model>) -> Diagnostics {
    let mut out = Diagnostics::new();
    let was = prior.and_then(|p| p.brokers.known());
    let (Some(true), Some(was), Some(brokers)) = (config.external(), was, planned.brokers.known()) else {
        return out;
    };
    for (key, b) in brokers {
        let live = was.get(key).is_some_and(|w| w.listener_arn.known().is_some());
        if live && b.target_group_arn.is_unknown() {
            out.push(
                Diagnostic::warning(
                    "A broker moves to a target group nobody has bound yet",
                    format!(
                        "Broker {key}'s listener moves to a new target group in this apply (its port or target type \
                         changed), and with target_registration = \"external\" that group starts empty: the broker \
                         is unreachable until its TargetGroupBinding names the new target_group_arn and the \
                         controller registers the pod. A kubernetes_manifest that takes target_group_arn from this \
                         resource follows in the same apply."
                    ),
                )
                .at(AttributePath::attr("brokers").key(key.clone())),
            );
        }
    }
    out
}

/// The bootstrap listener: its ARNs kept while its ports and the brokers'
/// kind of target stay.
pub(super) fn plan_bootstrap(planned: &mut Model, config: &Model, prior: Option<&Model>) {
    if let Some(boot) = planned.bootstrap.known().and_then(|b| b.first()).cloned() {
        let was = prior.and_then(|p| p.bootstrap());
        // The bootstrap group holds every broker: its kind is theirs.
        let same_kind = planned.keeps_target_kind(prior);
        let same = same_kind
            && was.is_some_and(|w| w.listener_port == boot.listener_port && w.target_port == boot.target_port);
        let keep = |v: Option<&Tri<String>>| v.filter(|v| same && v.known().is_some()).cloned().unwrap_or(Tri::Unknown);
        let targets = match config.external() {
            // Another actor's, as refreshed while the group stays.
            Some(true) if same => was.map_or(Tri::Unknown, |w| w.targets.clone()),
            Some(true) | None => Tri::Unknown,
            Some(false) => bootstrap_targets(planned, &boot),
        };
        planned.bootstrap = Tri::Known(vec![Bootstrap {
            target_group_arn: keep(was.map(|w| &w.target_group_arn)),
            listener_arn: keep(was.map(|w| &w.listener_arn)),
            targets,
            ..boot
        }]);
    }
}

/// What the bootstrap group will hold: every broker's target, on the
/// bootstrap's `target_port` or the broker's own port; unknown while any
/// of that is.
pub(super) fn bootstrap_targets(planned: &Model, boot: &Bootstrap) -> model::Strings {
    let Some(brokers) = planned.brokers.known() else { return Tri::Unknown };
    let mut out = BTreeSet::new();
    for b in brokers.values() {
        let target = b.instance_id.known().or(b.ip.known());
        let port = if boot.target_port.is_null() { port_of(&b.port) } else { port_of(&boot.target_port) };
        match (target, port) {
            (Some(t), Some(p)) => out.insert(format!("{t}:{p}")),
            _ => return Tri::Unknown,
        };
    }
    strings(out)
}

/// Security groups: what a created load balancer starts with is for life.
pub(super) fn plan_security_groups(
    planned: &mut Model,
    config: &Model,
    prior: Option<&Model>,
    warnings: &mut Diagnostics,
) {
    // security groups: what a created load balancer starts with is for life
    let creating_lb = prior.is_none() && config.creates();
    if config.security_group_ids.is_null() {
        planned.security_group_ids = match prior {
            Some(p) if p.load_balancer_arn.is_null() && config.creates() => strings(BTreeSet::new()),
            Some(p) => p.security_group_ids.clone(),
            None if creating_lb => strings(BTreeSet::new()),
            None => Tri::Unknown,
        };
    }
    if creating_lb && known_strings(&planned.security_group_ids).is_some_and(|s| s.is_empty()) {
        warnings.push(
            Diagnostic::warning(
                "A load balancer without security groups, for good",
                "The network load balancer is created without security groups, and AWS never adds one later: \
                 to filter consumer traffic by security group, set security_group_ids now. Setting them later \
                 replaces the load balancer (and the endpoint service's consumers must reconnect).",
            )
            .at(AttributePath::attr("security_group_ids")),
        );
    }
    let enforce = &config.enforce_security_group_inbound_rules_on_private_link_traffic;
    if enforce.is_null() {
        planned.enforce_security_group_inbound_rules_on_private_link_traffic =
            prior.map_or(Tri::Unknown, |p| p.enforce_security_group_inbound_rules_on_private_link_traffic.clone());
    }
}

/// The endpoint service (and cross-zone, which supported regions force):
/// a service that does not exist yet gets all its computed values at apply.
pub(super) fn plan_endpoint_service(planned: &mut Model, config: &Model, prior: Option<&Model>) {
    let cfg_es = config.endpoint().cloned().unwrap_or_default();
    let regions = known_strings(&cfg_es.supported_regions);
    planned.cross_zone_load_balancing = match (&config.cross_zone_load_balancing, &regions) {
        _ if cross_zone_left_alone(config) => prior.map_or(Tri::Unknown, |p| p.cross_zone_load_balancing.clone()),
        (Tri::Known(v), _) => Tri::Known(*v),
        (Tri::Unknown, _) => Tri::Unknown,
        (Tri::Null, Some(r)) if !r.is_empty() => Tri::Known(true),
        (Tri::Null, None) if !cfg_es.supported_regions.is_null() => Tri::Unknown,
        (Tri::Null, _) => Tri::Known(defaults::CROSS_ZONE),
    };
    // A service that does not exist yet (never created, or deleted out
    // of band) gets all its computed values at apply time.
    let was_es = prior.and_then(|p| p.endpoint()).filter(|w| w.id.known().is_some());
    let keep = |f: fn(&EndpointService) -> &Tri<String>| was_es.map_or(Tri::Unknown, |w| f(w).clone());
    let subnets_stable = subnets_stable(config, prior);
    let zones_stable = was_es.is_some() && subnets_stable;
    planned.endpoint_service = Tri::Known(vec![EndpointService {
        acceptance_required: match &cfg_es.acceptance_required {
            Tri::Null => Tri::Known(defaults::ACCEPTANCE_REQUIRED),
            other => other.clone(),
        },
        id: keep(|e| &e.id),
        service_name: keep(|e| &e.service_name),
        availability_zones: if zones_stable {
            was_es.map_or(Tri::Unknown, |w| w.availability_zones.clone())
        } else {
            Tri::Unknown
        },
        availability_zone_ids: if zones_stable {
            was_es.map_or(Tri::Unknown, |w| w.availability_zone_ids.clone())
        } else {
            Tri::Unknown
        },
        // Unset: AWS's, as refreshed (`plan_volatile` makes it unknown
        // when the apply could see others' changes).
        allowed_principals: match &cfg_es.allowed_principals {
            Tri::Null => was_es.map_or(Tri::Unknown, |w| w.allowed_principals.clone()),
            set => set.clone(),
        },
        ..cfg_es
    }]);
}

/// Whether the load balancer keeps its subnets (and so its zones).
pub(super) fn subnets_stable(config: &Model, prior: Option<&Model>) -> bool {
    prior.is_some_and(|p| {
        p.creates() == config.creates() && known_strings(&p.subnet_ids) == known_strings(&config.subnet_ids)
    })
}

/// What AWS says of the load balancer: the prior's, or unknown until the
/// apply makes (or finds) it.
pub(super) fn plan_load_balancer(planned: &mut Model, config: &Model, prior: Option<&Model>) {
    let subnets_stable = subnets_stable(config, prior);
    match prior {
        // Deleted out of band (the refresh found it gone): the apply
        // makes or finds it anew, so what AWS says of it is unknown.
        Some(p) if p.load_balancer_arn.is_null() => {
            planned.id = Tri::Unknown;
            planned.load_balancer_arn =
                if config.load_balancer_arn.is_null() { Tri::Unknown } else { config.load_balancer_arn.clone() };
            planned.load_balancer_dns_name = Tri::Unknown;
            planned.availability_zone_ids = Tri::Unknown;
        }
        Some(p) => {
            planned.id = p.id.clone();
            planned.load_balancer_arn = p.load_balancer_arn.clone();
            planned.load_balancer_dns_name = p.load_balancer_dns_name.clone();
            // Kept only when the state holds them: zones a failed read
            // left out (null, or empty from older versions) are read
            // again by the apply.
            let held = known_strings(&p.availability_zone_ids)
                .is_some_and(|z| !z.is_empty() || known_strings(&p.subnet_ids).is_some_and(|s| s.is_empty()));
            planned.availability_zone_ids =
                if subnets_stable && held { p.availability_zone_ids.clone() } else { Tri::Unknown };
        }
        None => {
            planned.id = Tri::Unknown;
            planned.load_balancer_arn =
                if config.load_balancer_arn.is_null() { Tri::Unknown } else { config.load_balancer_arn.clone() };
            planned.load_balancer_dns_name = Tri::Unknown;
            planned.availability_zone_ids = Tri::Unknown;
        }
    }
}

/// What AWS changes on its own — consumer connections, target health — in
/// the plan, with a warning naming the connections the apply will accept
/// or reject. They stay as refreshed only when the plan changes nothing
/// else: any apply reads them anew, and between plan and apply consumers
/// connect and health checks run. They are never a reason for a change,
/// except connections the configuration says to answer.
#[expect(clippy::too_many_lines, reason = "one match per attribute AWS may change under a plan, read top to bottom")]
pub(super) fn plan_volatile(planned: &mut Model, config: &Model, prior: Option<&Model>) -> Diagnostics {
    let mut warnings = Diagnostics::new();
    let cfg = config.endpoint().cloned().unwrap_or_default();
    let was: Option<Vec<Connection>> = prior.and_then(Model::recorded_connections);
    let flag = |v: &Tri<bool>| match v {
        Tri::Unknown => None,
        v => Some(v.known().copied().unwrap_or(defaults::OPT_IN)),
    };
    let policy = flag(&cfg.auto_accept)
        .zip(flag(&cfg.reject_unlisted))
        .map(|(auto_accept, reject_unlisted)| ConnectionPolicy { auto_accept, reject_unlisted });
    // Unset, the principals that list a consumer are AWS's, as refreshed.
    let principals = match &cfg.allowed_principals {
        Tri::Null => Some(
            prior.and_then(|p| p.endpoint()).and_then(|e| known_strings(&e.allowed_principals)).unwrap_or_default(),
        ),
        set => known_strings(set),
    };
    let mut value = Tri::Unknown;
    if let (Some(was), Some(policy), Some(principals)) = (&was, policy, &principals) {
        let d = connections::decide(policy, principals, was);
        let named = |ids: &BTreeSet<String>| {
            was.iter()
                .filter(|c| ids.contains(&c.endpoint_id))
                .map(|c| format!("{} (account {}, {})", c.endpoint_id, c.owner, c.state))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !d.accept.is_empty() {
            warnings.push(
                Diagnostic::warning(
                    "Endpoint connections to accept",
                    format!("This apply accepts {} (endpoint_service.auto_accept).", named(&d.accept)),
                )
                .at(AttributePath::attr("endpoint_service").index(0).attribute("auto_accept")),
            );
        }
        if !d.reject.is_empty() {
            warnings.push(
                Diagnostic::warning(
                    "Endpoint connections to reject",
                    format!(
                        "This apply rejects {}: their accounts are not in allowed_principals (endpoint_service.reject_unlisted).",
                        named(&d.reject)
                    ),
                )
                .at(AttributePath::attr("endpoint_service").index(0).attribute("reject_unlisted")),
            );
        }
        if d.is_empty() {
            value = Tri::Known(crate::resources::privatelink::to_state::connection_models(was));
        }
    }
    if let Tri::Known(es) = &mut planned.endpoint_service
        && let Some(es) = es.first_mut()
    {
        es.connections = value;
    }
    let unchanged = prior.is_some_and(|p| to_value(p).ok() == to_value(&*planned).ok());
    if !unchanged {
        if let Tri::Known(es) = &mut planned.endpoint_service
            && let Some(es) = es.first_mut()
        {
            es.connections = Tri::Unknown;
            // Unmanaged principals are whatever AWS holds once the apply
            // is done; another resource may be adding one meanwhile.
            if cfg.allowed_principals.is_null() {
                es.allowed_principals = Tri::Unknown;
            }
        }
        planned.target_health = Tri::Unknown;
        // Another actor's targets: whatever it holds once the apply is done.
        if config.external() != Some(false) {
            if let Tri::Known(brokers) = &mut planned.brokers {
                for b in brokers.values_mut() {
                    b.targets = Tri::Unknown;
                }
            }
            if let Tri::Known(boot) = &mut planned.bootstrap {
                for b in boot.iter_mut() {
                    b.targets = Tri::Unknown;
                }
            }
        }
    }
    warnings
}
