//! Planning: ports and zones known at plan time, ARNs kept where nothing
//! moved, what forces replacement.

use crate::resources::errors::Doing;
use crate::resources::refusals::{LinkRefusal, Undecided, refuse};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use tokio_util::sync::CancellationToken;

use super::model::{
    Bootstrap, DEFAULT_BASE, DEFAULT_BROKER_PORT, EndpointService, Model, defaults, known_map, known_strings, port_of,
    string_map, strings,
};
use super::private::{Private, Provenance};
use super::to_domain::cross_zone_left_alone;
use super::to_state::bootstrap_hint;
use super::{KafkaPrivatelink, aws_error, decode, model};

use crate::aws::ec2;
use crate::domain::connections::{Connection, ConnectionPolicy};
use crate::domain::ports::{BrokerId, PortRequest, Reserved};
use crate::domain::{connections, ports};
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::provider::PlanRequest;
use crate::server::api::value::{Tri, to_value};

/// A number attribute with a default: unknown stays unknown.
fn with_default(v: &Tri<f64>, default: u16) -> Tri<f64> {
    match v {
        Tri::Null => Tri::Known(f64::from(default)),
        other => other.clone(),
    }
}

/// The brokers' listener ports in `prior`, by broker key.
pub(super) fn ports_of(prior: &Model) -> BTreeMap<String, u16> {
    prior
        .brokers
        .known()
        .map(|bs| bs.iter().filter_map(|(k, b)| Some((k.clone(), port_of(&b.listener_port)?))).collect())
        .unwrap_or_default()
}

/// The broker/listener-port assignment for `config`, keeping the `current`
/// ports. While something it depends on (the base, a listener port) is
/// unknown, only brokers that keep their port are known.
pub(super) fn assign(config: &Model, current: &BTreeMap<String, u16>) -> Result<BTreeMap<String, u16>, Diagnostic> {
    let Some(brokers) = config.brokers.known() else { return Ok(BTreeMap::new()) };
    let uncertain = config.listener_port_base.is_unknown()
        || config.bootstrap.is_unknown()
        || config.bootstrap().is_some_and(|b| b.listener_port.is_unknown())
        || brokers.values().any(|b| b.listener_port.is_unknown());
    if uncertain {
        // A broker that has a port and asks for none keeps it whatever the
        // unknowns turn out to be (anything that would take it is refused
        // once known); the others wait for the apply.
        return Ok(brokers
            .iter()
            .filter(|(_, b)| b.listener_port.is_null())
            .filter_map(|(k, _)| Some((k.clone(), *current.get(k)?)))
            .collect());
    }
    let base = port_of(&config.listener_port_base).unwrap_or(DEFAULT_BASE);
    let mut keys = BTreeMap::new();
    let mut requests = BTreeMap::new();
    for (key, b) in brokers {
        let Ok(id) = key.parse::<BrokerId>() else { continue };
        requests.insert(id, PortRequest { explicit: port_of(&b.listener_port), current: current.get(key).copied() });
        keys.insert(id, key.clone());
    }
    let bootstrap = config.bootstrap().and_then(|b| port_of(&b.listener_port));
    let reserved: Vec<(u16, &'static str)> = bootstrap.map(|p| (p, "the bootstrap listener")).into_iter().collect();
    let assigned = ports::assign_ports(&requests, base, Reserved(&reserved)).map_err(|e| {
        let at = if e.by_reserved() {
            AttributePath::attr("bootstrap").index(0).attribute("listener_port")
        } else {
            AttributePath::attr("brokers")
                .key(keys.get(&e.broker()).cloned().unwrap_or_default())
                .attribute("listener_port")
        };
        refuse(&LinkRefusal::ListenerPort { error: e, at })
    })?;
    Ok(assigned.into_iter().map(|(id, p)| (keys[&id].clone(), p)).collect())
}
/// Refuses a replacement whose new instance, assigning ports afresh, would
/// give a broker of `prior` another listener port than it has.
fn check_replacement_keeps_ports(config: &Model, prior: &Model, replace: &[AttributePath]) -> Result<(), Diagnostics> {
    let fresh = assign(config, &BTreeMap::new()).map_err(Diagnostics::from)?;
    let moved: Vec<(String, u16, u16)> = ports_of(prior)
        .into_iter()
        .filter_map(|(k, was)| fresh.get(&k).filter(|now| **now != was).map(|now| (k, was, *now)))
        .collect();
    if moved.is_empty() {
        return Ok(());
    }
    let because: Vec<String> = replace.iter().map(ToString::to_string).collect();
    Err(refuse(&LinkRefusal::MovesPorts { because, moved }).into())
}

/// Whether the resource creates its load balancer (rather than adopting one).
fn creating_lb_anew(config: &Model) -> bool {
    !config.subnet_ids.is_null()
}

/// Whether a list is empty, when the list itself is known (its elements
/// need not be); a null list is empty.
fn emptiness(v: &model::Strings) -> Option<bool> {
    match v {
        Tri::Known(list) => Some(list.is_empty()),
        Tri::Null => Some(true),
        Tri::Unknown => None,
    }
}

impl KafkaPrivatelink {
    /// Whether the change from `prior` to `config` needs another load
    /// balancer. Moving between `subnet_ids` and `load_balancer_arn` for the
    /// same one changes how it is managed, in place — except that a load
    /// balancer the resource only borrowed is never taken over, and one
    /// whose subnets the configuration no longer lists is replaced.
    async fn replaces_load_balancer(&self, p: &Model, config: &Model, private: &Private) -> Result<bool, Diagnostics> {
        if config.subnet_ids.is_null() {
            // Adopting: another load balancer than the state's is another setup.
            return Ok(!config.load_balancer_arn.is_null() && config.load_balancer_arn != p.load_balancer_arn);
        }
        let adopted = private.load_balancer == Some(Provenance::Adopted)
            || (private.load_balancer.is_none() && p.subnet_ids.is_null());
        if adopted {
            return Ok(true);
        }
        let was = match known_strings(&p.subnet_ids) {
            Some(was) if !p.subnet_ids.is_null() => was,
            // From load_balancer_arn to subnet_ids: the subnets AWS holds.
            _ => match p.load_balancer_arn.known() {
                Some(arn) => {
                    let clients = self.clients().await?;
                    crate::aws::elbv2::find_load_balancer_by_arn(&clients.elbv2, arn)
                        .await
                        .map_err(|e| Diagnostics::from(aws_error(clients, Doing::Planning, config.label(), &e)))?
                        .map(|lb| lb.subnets)
                        .unwrap_or_default()
                }
                None => BTreeSet::new(),
            },
        };
        // Subnets change in place (SetSubnets removes them since 2025-02),
        // as long as one the load balancer has stays: with none kept, it
        // is replaced. Subnets known only at apply (made by another
        // resource) are new ones, as long as every subnet the load balancer
        // has is still listed; if one is not, an unknown id might be it or
        // not: refused, rather than planned one way and applied another.
        let Some(listed) = config.subnet_ids.known() else {
            return Err(refuse(&LinkRefusal::Undecidable(Undecided::SubnetIds)).into());
        };
        let known: BTreeSet<String> = listed.iter().filter_map(|s| s.known().cloned()).collect();
        let some_unknown = listed.iter().any(Tri::is_unknown);
        if was.is_subset(&known) {
            return Ok(false);
        }
        if some_unknown {
            return Err(refuse(&LinkRefusal::Undecidable(Undecided::SubnetIds)).into());
        }
        if was.is_disjoint(&known) {
            return Ok(true);
        }
        // AWS refuses to remove a subnet while consumer endpoints are
        // associated with the load balancer: said here, not at apply.
        let live = connections::live_endpoints(p.recorded_connections().unwrap_or_default());
        if !live.is_empty() {
            let gone: Vec<String> = was.difference(&known).cloned().collect();
            return Err(refuse(&LinkRefusal::SubnetRemoval { gone, live }).into());
        }
        Ok(false)
    }

    pub(super) async fn plan_inner(
        &self,
        req: &PlanRequest,
        stop: &CancellationToken,
    ) -> Result<(Model, Vec<AttributePath>, Diagnostics), Diagnostics> {
        let config = decode(&req.config, "configuration")?;
        let mut planned = decode(&req.proposed, "proposed state")?;
        let checks = config.check();
        if checks.has_errors() {
            return Err(checks.0);
        }
        let prior = if req.prior_state.is_null() { None } else { Some(decode(&req.prior_state, "prior state")?) };
        // A new name replaces a created load balancer and everything with
        // it: every group is then new. (An adopted one keeps its groups.)
        let renamed = !config.subnet_ids.is_null() && prior.as_ref().is_some_and(|p| p.name != config.name);
        let names = config.check_new_group_names(prior.as_ref().filter(|_| !renamed));
        if names.has_errors() {
            return Err(names.0);
        }
        let private = Private::decode(&req.prior_private).map_err(Diagnostics::from)?;
        let ours: Vec<&str> = private.instance.as_deref().into_iter().collect();

        // replacement: what the change needs a new load balancer for
        let replace = match &prior {
            Some(p) => self.replacement(&config, p, &private).await?,
            None => Vec::new(),
        };
        // Ports belong to the brokers' advertised listeners. A replacement's
        // new instance is planned (again at apply) with no prior state and
        // no private state: it assigns ports afresh. When that would move a
        // live broker's port, the replacement is refused, naming the pins
        // that keep them.
        if let Some(p) = prior.as_ref().filter(|_| !replace.is_empty()) {
            check_replacement_keeps_ports(&config, p, &replace)?;
        }
        let current_ports = match (&prior, replace.is_empty()) {
            (Some(p), true) => ports_of(p),
            _ => BTreeMap::new(),
        };
        let prior = if replace.is_empty() { prior } else { None };
        let mut warnings = Diagnostics::new();
        let mut groups_may_be_taken = prior.is_some();
        if prior.is_none() {
            let claims = self.check_claims(&config, &ours).await?;
            warnings.extend(claims.warnings);
            groups_may_be_taken = claims.name_taken;
        }
        if groups_may_be_taken {
            warnings.extend(self.check_group_names(&config, prior.as_ref(), &ours).await?);
        }
        let prior = prior.as_ref();

        plan_security_groups(&mut planned, &config, prior, &mut warnings);
        self.plan_defaults(&mut planned, &config);
        // the plan-time AWS reads, and the checks that need them
        let Facts { ips, subnets } = self.facts(&config, prior, stop).await?;
        let assigned = assign(&config, &current_ports)?;
        plan_brokers(&mut planned, &config, prior, &ips, subnets.as_deref(), &assigned)?;
        plan_bootstrap(&mut planned, &config, prior);
        plan_endpoint_service(&mut planned, &config, prior);
        plan_load_balancer(&mut planned, &config, prior);
        planned.bootstrap_servers = bootstrap_hint(&planned);
        // As refreshed; `plan_volatile` decides whether it stays.
        planned.target_health = prior.map_or(Tri::Unknown, |p| p.target_health.clone());
        warnings.extend(plan_volatile(&mut planned, &config, prior));
        warnings.extend(self.security_group_warnings(&config, &planned, prior, subnets).await);
        Ok((planned, replace, warnings))
    }

    /// The attributes whose change needs a new load balancer (and so a new
    /// resource instance). Reads AWS once, only when moving from
    /// `load_balancer_arn` to `subnet_ids`.
    async fn replacement(
        &self,
        config: &Model,
        p: &Model,
        private: &Private,
    ) -> Result<Vec<AttributePath>, Diagnostics> {
        let mut replace = Vec::new();
        // The name names a load balancer the resource creates; an adopted
        // one keeps its own, so there a new name is a retag in place.
        let name_replaces = !config.subnet_ids.is_null();
        for (attr, was, now) in [("name", &p.name, &config.name), ("vpc_id", &p.vpc_id, &config.vpc_id)] {
            if (attr != "name" || name_replaces) && (now.is_unknown() || was != now) {
                replace.push(AttributePath::attr(attr));
            }
        }
        // AWS never adds a security group to an NLB created without
        // one, nor removes the last one. Whether the list is empty is
        // known as soon as the list is, its ids unknown or not (`[aws_
        // security_group.x.id]`); a list unknown as a whole cannot say,
        // and guessing would either replace the load balancer for
        // nothing or change the plan at apply: refused instead.
        let adopted = private.load_balancer == Some(Provenance::Adopted) || config.subnet_ids.is_null();
        // Unset, the load balancer keeps the groups it has (the
        // attribute is computed): no change at all.
        if !adopted && p.load_balancer_arn.known().is_some() && !config.security_group_ids.is_null() {
            match (emptiness(&p.security_group_ids), emptiness(&config.security_group_ids)) {
                (Some(was), Some(now)) if was != now => replace.push(AttributePath::attr("security_group_ids")),
                (Some(_), None) => return Err(refuse(&LinkRefusal::Undecidable(Undecided::SecurityGroupIds)).into()),
                _ => {}
            }
        }
        if self.replaces_load_balancer(p, config, private).await? {
            replace.push(AttributePath::attr(if config.subnet_ids.is_null() {
                "load_balancer_arn"
            } else {
                "subnet_ids"
            }));
        }
        Ok(replace)
    }

    /// Defaults, and the tags applied; whatever is unknown in the
    /// configuration stays unknown.
    fn plan_defaults(&self, planned: &mut Model, config: &Model) {
        planned.broker_port = with_default(&config.broker_port, DEFAULT_BROKER_PORT);
        planned.listener_port_base = with_default(&config.listener_port_base, DEFAULT_BASE);
        let mut tags_all = self.provider.default_tags();
        let tags = if config.tags.is_null() { Some(BTreeMap::new()) } else { known_map(&config.tags) };
        match tags {
            Some(t) if self.provider.default_tags_known() => {
                tags_all.extend(t);
                planned.tags_all = string_map(&tags_all);
            }
            _ => planned.tags_all = Tri::Unknown,
        }
    }

    /// What the plan reads from AWS: instance brokers' IPs (once per new
    /// instance) and, when broker IPs or subnets change, the VPC's
    /// subnets; with the checks that need them (unknown subnets, two in
    /// one zone). The only AWS reads of a plan besides the preflight.
    async fn facts(
        &self,
        config: &Model,
        prior: Option<&Model>,
        stop: &CancellationToken,
    ) -> Result<Facts, Diagnostics> {
        // instance brokers: their private IP, read once per new instance
        let prior_brokers = prior.and_then(|p| p.brokers.known());
        let ips = self.broker_ips(config, prior_brokers).await?;

        // subnets: the zone of every new broker IP, one subnet per zone
        let needs_zones = config.brokers.known().is_some_and(|bs| {
            bs.keys().any(|k| {
                let was = prior_brokers.and_then(|p| p.get(k));
                was.is_none_or(|w| Some(&w.ip) != ips.get(k) || w.availability_zone_id.known().is_none())
            })
        }) || prior.is_none_or(|p| known_strings(&p.subnet_ids) != known_strings(&config.subnet_ids));
        let subnets = match (needs_zones, config.vpc_id.known()) {
            (true, Some(vpc)) => {
                Some(self.subnets_with(vpc, &known_strings(&config.subnet_ids).unwrap_or_default(), stop).await?)
            }
            _ => None,
        };
        if let (Some(subnets), Some(wanted)) = (&subnets, known_strings(&config.subnet_ids)) {
            let mut by_zone: BTreeMap<&str, &str> = BTreeMap::new();
            for id in &wanted {
                match subnets.iter().find(|s| &s.id == id) {
                    None => {
                        let vpc = config.vpc_id.known().cloned().unwrap_or_default();
                        return Err(refuse(&LinkRefusal::UnknownSubnet { id: id.clone(), vpc }).into());
                    }
                    Some(s) => {
                        if let Some(other) = by_zone.insert(&s.zone_id, &s.id) {
                            return Err(refuse(&LinkRefusal::TwoSubnetsInZone {
                                first: other.to_owned(),
                                second: id.clone(),
                                zone_id: s.zone_id.clone(),
                                zone_name: s.zone_name.clone(),
                            })
                            .into());
                        }
                    }
                }
            }
        }
        Ok(Facts { ips, subnets })
    }
}

/// What the plan reads from AWS.
struct Facts {
    ips: BTreeMap<String, Tri<String>>,
    subnets: Option<Vec<ec2::Subnet>>,
}

/// Every broker: its port and listener port (known at plan time), its
/// target group and listener ARNs kept where nothing moved, its IP and
/// zone (checked against the VPC's subnets when they were read).
fn plan_brokers(
    planned: &mut Model,
    config: &Model,
    prior: Option<&Model>,
    ips: &BTreeMap<String, Tri<String>>,
    subnets: Option<&[ec2::Subnet]>,
    assigned: &BTreeMap<String, u16>,
) -> Result<(), Diagnostics> {
    let prior_brokers = prior.and_then(|p| p.brokers.known());
    let broker_port = planned.broker_port.clone();

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
            let same_kind = !cfg.instance_id.is_unknown()
                && was.is_some_and(|w| w.instance_id.is_null() == cfg.instance_id.is_null());
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

/// The bootstrap listener: its ARNs kept while its ports and the brokers'
/// kind of target stay.
fn plan_bootstrap(planned: &mut Model, config: &Model, prior: Option<&Model>) {
    if let Some(boot) = planned.bootstrap.known().and_then(|b| b.first()).cloned() {
        let was = prior.and_then(|p| p.bootstrap());
        // The bootstrap group holds every broker: its kind is theirs.
        let kind_of = |m: &Model| {
            m.brokers.known().map(|bs| bs.values().map(|b| b.instance_id.is_null()).collect::<BTreeSet<bool>>())
        };
        let same_kind = !config.brokers.known().is_some_and(|bs| bs.values().any(|b| b.instance_id.is_unknown()))
            && prior.and_then(kind_of).is_some_and(|k| Some(k) == kind_of(config));
        let same = same_kind
            && was.is_some_and(|w| w.listener_port == boot.listener_port && w.target_port == boot.target_port);
        let keep = |v: Option<&Tri<String>>| v.filter(|v| same && v.known().is_some()).cloned().unwrap_or(Tri::Unknown);
        let targets = bootstrap_targets(planned, &boot);
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
fn bootstrap_targets(planned: &Model, boot: &Bootstrap) -> model::Strings {
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
fn plan_security_groups(planned: &mut Model, config: &Model, prior: Option<&Model>, warnings: &mut Diagnostics) {
    // security groups: what a created load balancer starts with is for life
    let creating_lb = prior.is_none() && !config.subnet_ids.is_null();
    if config.security_group_ids.is_null() {
        planned.security_group_ids = match prior {
            Some(p) if p.load_balancer_arn.is_null() && creating_lb_anew(config) => strings(BTreeSet::new()),
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
fn plan_endpoint_service(planned: &mut Model, config: &Model, prior: Option<&Model>) {
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
fn subnets_stable(config: &Model, prior: Option<&Model>) -> bool {
    prior.is_some_and(|p| {
        p.subnet_ids.is_null() == config.subnet_ids.is_null()
            && known_strings(&p.subnet_ids) == known_strings(&config.subnet_ids)
    })
}

/// What AWS says of the load balancer: the prior's, or unknown until the
/// apply makes (or finds) it.
fn plan_load_balancer(planned: &mut Model, config: &Model, prior: Option<&Model>) {
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
fn plan_volatile(planned: &mut Model, config: &Model, prior: Option<&Model>) -> Diagnostics {
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
            value = Tri::Known(super::to_state::connection_models(was));
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
    }
    warnings
}

/// Each broker's IP as far as the configuration and the prior state know
/// it, and the instances whose IP is still to read (with their brokers).
type IpLookup = (BTreeMap<String, Tri<String>>, BTreeMap<String, Vec<String>>);

fn ips_known(
    brokers: &BTreeMap<String, model::Broker>,
    prior_brokers: Option<&BTreeMap<String, model::Broker>>,
) -> IpLookup {
    let mut out = BTreeMap::new();
    let mut lookup: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, b) in brokers {
        let ip = match (&b.ip, &b.instance_id) {
            (Tri::Known(ip), Tri::Null) => Tri::Known(ip.clone()),
            (_, Tri::Known(instance)) => {
                let was = prior_brokers.and_then(|p| p.get(key)).filter(|w| w.instance_id.known() == Some(instance));
                match was.map(|w| &w.ip) {
                    Some(Tri::Known(ip)) if b.ip.known().is_none_or(|g| g == ip) => Tri::Known(ip.clone()),
                    _ => {
                        lookup.entry(instance.clone()).or_default().push(key.clone());
                        Tri::Unknown
                    }
                }
            }
            _ => Tri::Unknown,
        };
        out.insert(key.clone(), ip);
    }
    (out, lookup)
}

impl KafkaPrivatelink {
    /// Each broker's IP: its own, or its instance's primary private IP —
    /// the state's while the instance stays the same, else read in one
    /// DescribeInstances for all new instances. Unknown while its
    /// `instance_id` is.
    async fn broker_ips(
        &self,
        config: &Model,
        prior_brokers: Option<&BTreeMap<String, model::Broker>>,
    ) -> Result<BTreeMap<String, Tri<String>>, Diagnostics> {
        let Some(brokers) = config.brokers.known() else { return Ok(BTreeMap::new()) };
        let (mut out, lookup) = ips_known(brokers, prior_brokers);
        if lookup.is_empty() {
            return Ok(out);
        }
        let clients = self.clients().await?;
        let ids: BTreeSet<String> = lookup.keys().cloned().collect();
        let found = ec2::instances(&clients.ec2, &ids)
            .await
            .map_err(|e| Diagnostics::from(aws_error(clients, Doing::Planning, config.label(), &e)))?;
        for (instance, keys) in lookup {
            let key = keys[0].clone();
            let Some(i) = found.get(&instance) else {
                let region = clients.region.to_string();
                return Err(refuse(&LinkRefusal::UnknownInstance { key, instance, region }).into());
            };
            if let Some(vpc) = config.vpc_id.known()
                && &i.vpc_id != vpc
            {
                let found = i.vpc_id.clone();
                return Err(refuse(&LinkRefusal::InstanceOutsideVpc { key, instance, found, vpc: vpc.clone() }).into());
            }
            for key in keys {
                let given = brokers[&key].ip.known().cloned();
                if let Some(given) = given.filter(|g| *g != i.private_ip.to_string()) {
                    let has = i.private_ip.to_string();
                    return Err(refuse(&LinkRefusal::IpNotInstances { key, instance, has, given }).into());
                }
                out.insert(key, Tri::Known(i.private_ip.to_string()));
            }
        }
        Ok(out)
    }
}

/// The pure steps of a plan, without Terraform or AWS.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::privatelink::model::Broker;

    fn known(s: &str) -> Tri<String> {
        Tri::Known(s.to_owned())
    }

    /// Brokers `(key, ip, listener port)`.
    fn brokers(list: &[(&str, &str, Option<u16>)]) -> Tri<BTreeMap<String, Broker>> {
        Tri::Known(
            list.iter()
                .map(|(k, ip, lp)| {
                    let listener_port = lp.map_or(Tri::Null, |p| Tri::Known(f64::from(p)));
                    ((*k).to_owned(), Broker { ip: known(ip), listener_port, ..Default::default() })
                })
                .collect(),
        )
    }

    fn created(subnets: &[&str]) -> Model {
        Model {
            name: known("orders"),
            subnet_ids: strings(subnets.iter().map(|s| (*s).to_owned())),
            ..Default::default()
        }
    }

    #[test]
    fn a_load_balancer_gone_out_of_band_is_planned_unknown_and_a_present_one_kept() {
        let config = created(&["subnet-1"]);
        let mut prior = Model { id: known("arn:lb"), ..created(&["subnet-1"]) };
        let mut planned = config.clone();
        plan_load_balancer(&mut planned, &config, Some(&prior));
        assert!(planned.load_balancer_arn.is_unknown() && planned.id.is_unknown(), "{planned:?}");

        prior.load_balancer_arn = known("arn:lb");
        prior.availability_zone_ids = strings(["use1-az1".to_owned()]);
        let mut planned = config.clone();
        plan_load_balancer(&mut planned, &config, Some(&prior));
        assert_eq!(planned.load_balancer_arn, known("arn:lb"));
        assert_eq!(planned.availability_zone_ids, prior.availability_zone_ids, "zones kept with the subnets");

        // zones a failed read left empty are read again
        prior.availability_zone_ids = strings(Vec::<String>::new());
        let mut planned = config.clone();
        plan_load_balancer(&mut planned, &config, Some(&prior));
        assert!(planned.availability_zone_ids.is_unknown());
    }

    #[test]
    fn the_service_defaults_to_acceptance_and_regions_force_cross_zone() {
        let mut config = created(&["subnet-1"]);
        config.endpoint_service = Tri::Known(vec![EndpointService::default()]);
        let mut planned = config.clone();
        plan_endpoint_service(&mut planned, &config, None);
        let es = planned.endpoint().cloned().unwrap_or_default();
        assert_eq!(es.acceptance_required, Tri::Known(true));
        assert!(es.id.is_unknown(), "a new service's id comes at apply");
        assert_eq!(planned.cross_zone_load_balancing, Tri::Known(false));

        config.endpoint_service = Tri::Known(vec![EndpointService {
            supported_regions: strings(["us-west-2".to_owned()]),
            ..Default::default()
        }]);
        let mut planned = config.clone();
        plan_endpoint_service(&mut planned, &config, None);
        assert_eq!(planned.cross_zone_load_balancing, Tri::Known(true), "cross-region needs cross-zone");
    }

    #[test]
    fn a_replacement_is_refused_only_when_it_would_move_a_port() {
        let config =
            Model { brokers: brokers(&[("1", "10.0.1.10", None), ("3", "10.0.1.12", None)]), ..created(&["s"]) };
        let replace = [AttributePath::attr("subnet_ids")];
        // no holes: afresh, the same ports
        let same = Model {
            brokers: brokers(&[("1", "10.0.1.10", Some(9001)), ("3", "10.0.1.12", Some(9002))]),
            ..created(&["s"])
        };
        assert!(check_replacement_keeps_ports(&config, &same, &replace).is_ok());
        // broker 2 gone: broker 3 on 9003 would get 9002
        let holed = Model {
            brokers: brokers(&[("1", "10.0.1.10", Some(9001)), ("3", "10.0.1.12", Some(9003))]),
            ..created(&["s"])
        };
        let e = check_replacement_keeps_ports(&config, &holed, &replace).unwrap_err();
        let d = e.iter().next().cloned().expect("one diagnostic");
        assert!(d.detail.contains("broker 3 from 9003 to 9002") && d.detail.contains("listener_port = 9003"), "{d:?}");
        // pinned, it passes
        let pinned =
            Model { brokers: brokers(&[("1", "10.0.1.10", None), ("3", "10.0.1.12", Some(9003))]), ..created(&["s"]) };
        assert!(check_replacement_keeps_ports(&pinned, &holed, &replace).is_ok());
    }

    #[test]
    fn a_lists_emptiness_is_known_with_the_list_not_its_elements() {
        assert_eq!(emptiness(&Tri::Null), Some(true));
        assert_eq!(emptiness(&Tri::Known(vec![Tri::Unknown])), Some(false));
        assert_eq!(emptiness(&Tri::Known(vec![])), Some(true));
        assert_eq!(emptiness(&Tri::Unknown), None);
    }

    #[test]
    fn bootstrap_arns_are_kept_only_while_nothing_moved() {
        let boot = |lp: f64| {
            Tri::Known(vec![Bootstrap {
                listener_port: Tri::Known(lp),
                target_group_arn: known("arn:tg"),
                listener_arn: known("arn:l"),
                ..Default::default()
            }])
        };
        let prior =
            Model { brokers: brokers(&[("1", "10.0.1.10", Some(9001))]), bootstrap: boot(9092.0), ..created(&["s"]) };
        let config =
            Model { brokers: brokers(&[("1", "10.0.1.10", None)]), bootstrap: boot(9092.0), ..created(&["s"]) };
        let mut planned = config.clone();
        plan_bootstrap(&mut planned, &config, Some(&prior));
        assert_eq!(planned.bootstrap().map(|b| b.target_group_arn.clone()), Some(known("arn:tg")));
        // another listener port: a new listener
        let moved = Model { bootstrap: boot(9093.0), ..config.clone() };
        let mut planned = moved.clone();
        plan_bootstrap(&mut planned, &moved, Some(&prior));
        assert!(planned.bootstrap().is_some_and(|b| b.listener_arn.is_unknown() && b.target_group_arn.is_unknown()));
        // brokers by instance now: another kind of group
        let mut by_instance = config.clone();
        if let Tri::Known(bs) = &mut by_instance.brokers {
            for b in bs.values_mut() {
                b.instance_id = known("i-1");
            }
        }
        let mut planned = by_instance.clone();
        plan_bootstrap(&mut planned, &by_instance, Some(&prior));
        assert!(planned.bootstrap().is_some_and(|b| b.target_group_arn.is_unknown()));
    }
}
