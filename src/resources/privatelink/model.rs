//! The `kafka_privatelink` attributes as Rust data, and the checks that run
//! at validate/plan time, before any AWS call. Every leaf is a [`Tri`]: at
//! validation time anything may still be unknown.

use crate::resources::values;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::domain::connections::Connection;
use crate::domain::layout::{Role, TargetId, TargetKind, target_group_name};
use crate::domain::net::parse_ipv4;
use crate::domain::ownership::{RESERVED_TAG_PREFIX, is_reserved_tag};
use crate::domain::ports::{BrokerId, MAX_LISTENERS_PER_NLB};
use crate::domain::validate::{
    self, check_elb_name, check_instance_id, check_load_balancer_arn, check_principal, check_security_group_id, limits,
};
use crate::resources::check::{BrokerEntry, Checks, ListenerPorts, check_brokers, port};
use crate::server::api::path::AttributePath;
use crate::server::api::value::Tri;

pub type Strings = Tri<Vec<Tri<String>>>;

/// Security groups per load balancer (an AWS quota).
pub const MAX_SECURITY_GROUPS: usize = 5;
pub type StringMap = Tri<BTreeMap<String, Tri<String>>>;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Model {
    pub id: Tri<String>,
    pub name: Tri<String>,
    pub vpc_id: Tri<String>,
    pub subnet_ids: Strings,
    pub load_balancer_arn: Tri<String>,
    pub security_group_ids: Strings,
    pub enforce_security_group_inbound_rules_on_private_link_traffic: Tri<String>,
    pub broker_port: Tri<f64>,
    pub listener_port_base: Tri<f64>,
    pub brokers_per_load_balancer: Tri<f64>,
    pub target_registration: Tri<String>,
    pub target_type: Tri<String>,
    pub brokers: Tri<BTreeMap<String, Broker>>,
    pub bootstrap: Tri<Vec<Bootstrap>>,
    pub cross_zone_load_balancing: Tri<bool>,
    pub health_check: Tri<Vec<HealthCheck>>,
    pub deregistration_delay: Tri<f64>,
    pub tcp_idle_timeout: Tri<f64>,
    pub endpoint_service: Tri<Vec<EndpointService>>,
    pub tags: StringMap,
    pub tags_all: StringMap,
    pub timeouts: Tri<Vec<values::Timeouts>>,
    pub load_balancer_dns_name: Tri<String>,
    pub availability_zone_ids: Strings,
    pub bootstrap_servers: Tri<String>,
    pub target_health: Tri<BTreeMap<String, TargetHealthModel>>,
    pub load_balancers: Tri<Vec<LoadBalancerModel>>,
}

/// One of the setup's load balancers, as `load_balancers` lists them: the
/// first is the one the single-valued attributes speak of.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct LoadBalancerModel {
    pub name: Tri<String>,
    pub load_balancer_arn: Tri<String>,
    pub endpoint_service_id: Tri<String>,
    pub endpoint_service_name: Tri<String>,
    pub broker_ids: Strings,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Broker {
    pub ip: Tri<String>,
    pub instance_id: Tri<String>,
    pub host: Tri<String>,
    pub port: Tri<f64>,
    pub listener_port: Tri<f64>,
    pub availability_zone_id: Tri<String>,
    pub target_group_arn: Tri<String>,
    pub listener_arn: Tri<String>,
    pub targets: Strings,
    pub target_type: Tri<String>,
    pub endpoint_service_name: Tri<String>,
}

/// One broker target's health, as `target_health` shows it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct TargetHealthModel {
    pub state: Tri<String>,
    pub reason: Tri<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Bootstrap {
    pub listener_port: Tri<f64>,
    pub target_port: Tri<f64>,
    pub target_group_arn: Tri<String>,
    pub listener_arn: Tri<String>,
    pub targets: Strings,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct HealthCheck {
    pub protocol: Tri<String>,
    pub port: Tri<String>,
    pub interval: Tri<f64>,
    pub healthy_threshold: Tri<f64>,
    pub unhealthy_threshold: Tri<f64>,
    pub timeout: Tri<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EndpointService {
    pub acceptance_required: Tri<bool>,
    pub allowed_principals: Strings,
    pub allow_any_principal: Tri<bool>,
    pub supported_regions: Strings,
    pub reject_connections_on_destroy: Tri<bool>,
    pub auto_accept: Tri<bool>,
    pub reject_unlisted: Tri<bool>,
    pub connections: Tri<Vec<ConnectionModel>>,
    pub id: Tri<String>,
    pub service_name: Tri<String>,
    pub availability_zones: Strings,
    pub availability_zone_ids: Strings,
}

/// One consumer endpoint connection, as `endpoint_service.connections` shows it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct ConnectionModel {
    pub endpoint_id: Tri<String>,
    pub owner: Tri<String>,
    pub state: Tri<String>,
}

/// A target group a plan creates.
pub struct NewGroup {
    pub name: String,
    /// The attribute that configures it.
    pub at: AttributePath,
    /// The broker's key, for a broker's group.
    pub broker: Option<String>,
    /// Whether its port, and so its name, is known (else the name is the
    /// longest it could be, for the length check).
    pub port_known: bool,
}

impl Model {
    /// The name errors call the resource by; a name known only after the
    /// apply is said so.
    pub fn label(&self) -> &str {
        self.name.known().map_or("name known after apply", String::as_str)
    }

    /// The names of the target groups a plan from `prior` to `self` creates
    /// (a new broker, a new `port`, a new bootstrap target port, or a group
    /// the state does not hold yet), each checked against AWS's 32-character
    /// limit; an unknown port counts as the widest. Groups that exist keep
    /// their names, whatever they are.
    pub fn check_new_group_names(&self, prior: Option<&Model>) -> Checks {
        let mut c = Checks::default();
        for group in self.new_groups(prior) {
            if let Err(e) = check_elb_name(&group.name) {
                let (summary, what) = match &group.broker {
                    Some(key) => ("Name too long for a target group", format!("a target group for broker {key}")),
                    None => ("Name too long for the bootstrap target group", "the bootstrap target group".to_owned()),
                };
                c.fail(group.at, summary, format!("The plan creates {what}: {e}. Shorten the name."));
            }
        }
        c
    }

    /// The target groups this plan creates (those the state holds no group
    /// of the same port and kind for), with their names and where they are
    /// configured. A broker group whose port is unknown is named with the
    /// widest port (`port_known` is false).
    pub fn new_groups(&self, prior: Option<&Model>) -> Vec<NewGroup> {
        let mut out = Vec::new();
        let (Tri::Known(name), Some(brokers)) = (&self.name, self.brokers.known()) else { return out };
        let prior_brokers = prior.and_then(|p| p.brokers.known());
        let kind = self.planned_target_kind(prior);
        let same_kind = prior.is_some_and(|p| p.target_kind() == kind);
        for (key, b) in brokers {
            let Ok(id) = key.parse::<BrokerId>() else { continue };
            let port = self.target_port_of(b);
            // A group exists for the broker when the state holds one of the
            // same port and kind; anything else is a new group.
            let exists = prior_brokers.and_then(|p| p.get(key)).is_some_and(|w| {
                w.target_group_arn.known().is_some()
                    && port.is_some()
                    && prior.and_then(|p| p.target_port_of(w)) == port
                    && same_kind
            });
            if !exists {
                out.push(NewGroup {
                    name: target_group_name(name, Role::Broker(id), kind, port.unwrap_or(u16::MAX)),
                    at: path("brokers").key(key.clone()),
                    broker: Some(key.clone()),
                    port_known: port.is_some(),
                });
            }
        }
        if self.bootstrap().is_some() {
            let port = self.bootstrap_target_port();
            let exists = same_kind
                && prior.is_some_and(|p| {
                    p.bootstrap().is_some_and(|w| w.target_group_arn.known().is_some())
                        && p.bootstrap_target_port() == port
                });
            if let (Some(port), false) = (port, exists) {
                out.push(NewGroup {
                    name: target_group_name(name, Role::Bootstrap, kind, port),
                    at: path("bootstrap").index(0),
                    broker: None,
                    port_known: true,
                });
            }
        }
        out
    }

    /// The port a broker's targets use (`port`, else `broker_port`, else
    /// 9092); `None` while unknown.
    pub fn target_port_of(&self, b: &Broker) -> Option<u16> {
        match (&b.port, &self.broker_port) {
            (Tri::Null, Tri::Null) => Some(DEFAULT_BROKER_PORT),
            (Tri::Null, default) => port_of(default),
            (port, _) => port_of(port),
        }
    }

    /// The bootstrap group's port: its `target_port`, else the lowest of
    /// the brokers' ports; `None` while unknown.
    fn bootstrap_target_port(&self) -> Option<u16> {
        let boot = self.bootstrap()?;
        match &boot.target_port {
            Tri::Null => self
                .brokers
                .known()?
                .values()
                .map(|b| self.target_port_of(b))
                .collect::<Option<Vec<u16>>>()?
                .into_iter()
                .min(),
            other => port_of(other),
        }
    }
}

impl BrokerEntry for Broker {
    fn port(&self) -> &Tri<f64> {
        &self.port
    }
    fn listener_port(&self) -> &Tri<f64> {
        &self.listener_port
    }
}

impl Model {
    /// Whether another actor registers the targets (`target_registration =
    /// "external"`); `None` while unknown.
    pub fn external(&self) -> Option<bool> {
        match &self.target_registration {
            Tri::Null => Some(false),
            Tri::Known(v) => Some(v == "external"),
            Tri::Unknown => None,
        }
    }

    /// Whether [`Model::target_kind`] is final: nothing it depends on is
    /// unknown (an unknown `instance_id` may still turn out null).
    pub fn target_kind_known(&self) -> bool {
        match (&self.target_type, self.external()) {
            (Tri::Unknown, _) | (_, None) => false,
            (Tri::Known(_), _) | (Tri::Null, Some(true)) => true,
            (Tri::Null, Some(false)) => {
                self.brokers.known().is_some_and(|bs| bs.values().all(|b| !b.instance_id.is_unknown()))
            }
        }
    }

    /// The target type a plan from `prior` gives the groups: the declared
    /// `target_type`; unset with another actor registering, the type the
    /// groups have (a switch to external moves no listener), `ip` for new
    /// ones; else the brokers'.
    pub fn planned_target_kind(&self, prior: Option<&Model>) -> TargetKind {
        match (&self.target_type, self.external(), prior) {
            (Tri::Null, Some(true), Some(p)) => p.target_kind(),
            _ => self.target_kind(),
        }
    }

    /// Whether a plan from `prior` keeps the groups' target type (their
    /// kind is part of their identity): known, and the prior's.
    pub fn keeps_target_kind(&self, prior: Option<&Model>) -> bool {
        self.target_kind_known() && prior.is_some_and(|p| p.target_kind() == self.planned_target_kind(Some(p)))
    }

    /// The target type of every group: the declared `target_type`, else —
    /// when the resource registers — the brokers' (an instance when any
    /// names one), else `ip`.
    pub fn target_kind(&self) -> TargetKind {
        if let Some(kind) = self.target_type.known().and_then(|t| TargetKind::parse(t)) {
            return kind;
        }
        if self.external() == Some(true) {
            return TargetKind::Ip;
        }
        self.brokers.known().and_then(|bs| bs.values().map(Broker::target_kind).max()).unwrap_or(TargetKind::Ip)
    }
}

impl Broker {
    /// Whether the broker's target (its instance or its address) is known.
    fn target_is_known(&self) -> bool {
        self.ip.known().is_some() || self.instance_id.known().is_some()
    }

    /// The target type its group needs: an instance when `instance_id` is
    /// set (known or not), else an IP.
    pub fn target_kind(&self) -> TargetKind {
        if self.instance_id.is_null() { TargetKind::Ip } else { TargetKind::Instance }
    }

    /// The broker's target: its instance when it names one (its `ip` is
    /// then the instance's), else its address; `None` while unknown.
    pub fn target(&self) -> Option<TargetId> {
        match self.instance_id.known() {
            Some(instance) => Some(TargetId::Instance(instance.clone())),
            None => self.ip.known().and_then(|i| i.parse().ok()).map(TargetId::Ip),
        }
    }
}

/// Where the load balancer comes from. `subnet_ids` alone decides:
/// `load_balancer_arn` is also computed for a load balancer the resource
/// creates. Unknown subnets still mean a created one.
#[derive(Debug, Clone, Copy)]
pub enum Placement<'a> {
    /// Created in these subnets.
    Create(&'a Strings),
    /// An existing network load balancer, by ARN.
    Adopt(&'a Tri<String>),
}

impl Model {
    pub fn placement(&self) -> Placement<'_> {
        if self.subnet_ids.is_null() {
            Placement::Adopt(&self.load_balancer_arn)
        } else {
            Placement::Create(&self.subnet_ids)
        }
    }

    /// Whether the resource creates its load balancer (else it adopts one).
    pub fn creates(&self) -> bool {
        matches!(self.placement(), Placement::Create(_))
    }
}

/// A port-valued number (validated as 1–65535 by the checks).
pub fn port_of(v: &Tri<f64>) -> Option<u16> {
    v.known().map(|p| *p as u16)
}

pub fn known_strings(v: &Strings) -> Option<BTreeSet<String>> {
    v.known()?.iter().map(|s| s.known().cloned()).collect()
}

pub fn known_map(v: &StringMap) -> Option<BTreeMap<String, String>> {
    v.known()?.iter().map(|(k, s)| Some((k.clone(), s.known()?.clone()))).collect()
}

pub fn strings<I: IntoIterator<Item = String>>(items: I) -> Strings {
    Tri::Known(items.into_iter().map(Tri::Known).collect())
}

pub fn string_map(m: &BTreeMap<String, String>) -> StringMap {
    Tri::Known(m.iter().map(|(k, v)| (k.clone(), Tri::Known(v.clone()))).collect())
}

impl Model {
    pub fn endpoint(&self) -> Option<&EndpointService> {
        self.endpoint_service.known().and_then(|v| v.first())
    }
    /// The connections this state recorded, when every one is known.
    pub fn recorded_connections(&self) -> Option<Vec<Connection>> {
        self.endpoint().and_then(|e| e.connections.known()).and_then(|cs| {
            cs.iter()
                .map(|c| {
                    Some(Connection {
                        endpoint_id: c.endpoint_id.known()?.clone(),
                        owner: c.owner.known()?.clone(),
                        state: c.state.known()?.clone(),
                    })
                })
                .collect()
        })
    }
    pub fn bootstrap(&self) -> Option<&Bootstrap> {
        self.bootstrap.known().and_then(|v| v.first())
    }
    pub fn health(&self) -> Option<&HealthCheck> {
        self.health_check.known().and_then(|v| v.first())
    }
    pub fn timeout(&self, which: fn(&values::Timeouts) -> &Tri<String>) -> std::time::Duration {
        values::timeout(&self.timeouts, which, DEFAULT_TIMEOUT)
    }
}

/// Every default of `kafka_privatelink`, in one table: planning, the
/// domain spec, rendering and generated configuration all read them here
/// (the schema's descriptions state the same values).
pub mod defaults {
    /// `timeouts`: create, update and delete.
    pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);
    /// `broker_port`.
    pub const BROKER_PORT: u16 = crate::domain::ports::DEFAULT_BROKER_PORT;
    /// `listener_port_base`, shared with `kafka_advertised_listeners`.
    pub const LISTENER_PORT_BASE: u16 = crate::domain::ports::DEFAULT_LISTENER_PORT_BASE;
    /// `cross_zone_load_balancing`: AWS's own for a network load balancer.
    pub const CROSS_ZONE: bool = false;
    /// `endpoint_service.acceptance_required`: connections wait for a yes.
    pub const ACCEPTANCE_REQUIRED: bool = true;
    /// `target_registration`: the resource registers the brokers.
    pub const TARGET_REGISTRATION: &str = "provider";
    /// `auto_accept`, `reject_unlisted`, `reject_connections_on_destroy`,
    /// `allow_any_principal`: off.
    pub const OPT_IN: bool = false;
}

pub use defaults::{
    BROKER_PORT as DEFAULT_BROKER_PORT, LISTENER_PORT_BASE as DEFAULT_BASE, TIMEOUT as DEFAULT_TIMEOUT,
};

fn path(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

fn block(name: &str) -> AttributePath {
    AttributePath::attr(name).index(0)
}

impl Model {
    fn check_security_groups(&self, c: &mut Checks) {
        let enforce = &self.enforce_security_group_inbound_rules_on_private_link_traffic;
        let enforce_path = path("enforce_security_group_inbound_rules_on_private_link_traffic");
        if !self.load_balancer_arn.is_null() && !self.creates() {
            for (set, name) in [
                (!self.security_group_ids.is_null(), "security_group_ids"),
                (!enforce.is_null(), "enforce_security_group_inbound_rules_on_private_link_traffic"),
            ] {
                if set {
                    c.fail(
                        path(name),
                        "Not managed on an adopted load balancer",
                        "With load_balancer_arn the load balancer is borrowed: its security groups stay its own and are only reported. Change them on the load balancer itself.",
                    );
                }
            }
            return;
        }
        if let Some(ids) = self.security_group_ids.known() {
            if ids.len() > MAX_SECURITY_GROUPS {
                c.fail(
                    path("security_group_ids"),
                    "Too many security groups",
                    format!(
                        "{} security groups given; a load balancer takes at most {MAX_SECURITY_GROUPS}.",
                        ids.len()
                    ),
                );
            }
            for (i, id) in ids.iter().enumerate() {
                c.string(id, path("security_group_ids").index(i), "Invalid security group id", check_security_group_id);
            }
        }
        c.string(enforce, enforce_path.clone(), "Invalid setting", validate::check_on_off);
        let no_groups =
            self.security_group_ids.is_null() || self.security_group_ids.known().is_some_and(|s| s.is_empty());
        if !enforce.is_null() && no_groups {
            c.fail(
                enforce_path,
                "No security groups to enforce",
                "This setting only exists on a load balancer with security groups: set security_group_ids too.",
            );
        }
    }

    /// Every plan-time check that needs no AWS call, attribute by
    /// attribute; each step below owns one part of the configuration.
    pub fn check(&self) -> Checks {
        let mut c = Checks::default();
        self.check_placement(&mut c);
        self.check_security_groups(&mut c);
        self.check_brokers(&mut c);
        self.check_target_settings(&mut c);
        if let Some(es) = self.endpoint() {
            self.check_endpoint_service(es, &mut c);
        }
        self.check_tags_and_timeouts(&mut c);
        c
    }

    /// `name`, `vpc_id`, and where the load balancer is: `subnet_ids` (it is
    /// created) or `load_balancer_arn` (it is adopted), one of the two.
    fn check_placement(&self, c: &mut Checks) {
        // Target group names are checked by the plan, for the groups it
        // creates (`check_new_group_names`): an imported setup keeps groups
        // of any name.
        if let Tri::Known(name) = &self.name
            && let Err(e) = check_elb_name(name)
        {
            c.fail(path("name"), "Invalid name", format!("The load balancer would be named {e}."));
        }
        c.string(&self.vpc_id, path("vpc_id"), "Invalid VPC id", validate::check_vpc_id);
        match (&self.subnet_ids, &self.load_balancer_arn) {
            (Tri::Null, Tri::Null) => c.fail(
                path("subnet_ids"),
                "Missing load balancer placement",
                "Set subnet_ids (the resource creates a network load balancer there) or load_balancer_arn (it adopts an existing one).",
            ),
            (Tri::Known(_), Tri::Known(_)) => c.fail(
                path("load_balancer_arn"),
                "Conflicting arguments",
                "Set either subnet_ids or load_balancer_arn, not both.",
            ),
            _ => {}
        }
        if let Some(subnets) = self.subnet_ids.known() {
            if subnets.is_empty() {
                c.fail(path("subnet_ids"), "No subnets", "A network load balancer needs at least one subnet.");
            }
            for (i, s) in subnets.iter().enumerate() {
                c.string(s, path("subnet_ids").index(i), "Invalid subnet id", validate::check_subnet_id);
            }
        }
        c.string(
            &self.load_balancer_arn,
            path("load_balancer_arn"),
            "Invalid load balancer ARN",
            check_load_balancer_arn,
        );
    }

    /// `brokers_per_load_balancer`: a count a load balancer's listeners
    /// allow (the bootstrap listener, on the first, counts too), on load
    /// balancers the resource creates.
    fn check_spread(&self, c: &mut Checks) {
        let at = path("brokers_per_load_balancer");
        let Some(per) = c.range(&self.brokers_per_load_balancer, at.clone(), &limits::BROKERS_PER_LOAD_BALANCER) else {
            return;
        };
        if self.bootstrap().is_some() && per as usize >= MAX_LISTENERS_PER_NLB {
            c.fail(
                at.clone(),
                "Too many listeners",
                format!(
                    "The first load balancer also holds the bootstrap listener: with it, at most {} brokers fit \
                     behind one ({MAX_LISTENERS_PER_NLB} listeners, a hard AWS quota).",
                    MAX_LISTENERS_PER_NLB - 1
                ),
            );
        }
        if !self.creates() {
            c.fail(
                at,
                "Spreading needs subnet_ids",
                "brokers_per_load_balancer makes load balancers as the brokers need them: set subnet_ids, not \
                 load_balancer_arn.",
            );
        }
    }

    /// The ports, the brokers and the bootstrap listener: the checks every
    /// broker map shares ([`check_brokers`]), then one target per broker,
    /// all of one kind, no address or instance twice.
    fn check_brokers(&self, c: &mut Checks) {
        port(c, &self.broker_port, path("broker_port"), "broker port");
        port(c, &self.listener_port_base, path("listener_port_base"), "listener port base");
        let mut listener_ports = ListenerPorts::default();
        if let Some(b) = self.bootstrap() {
            let bp = block("bootstrap");
            listener_ports.claim(c, &b.listener_port, bp.attribute("listener_port"));
            port(c, &b.target_port, bp.attribute("target_port"), "target port");
        }
        self.check_spread(c);
        c.string(
            &self.target_registration,
            path("target_registration"),
            "Invalid target registration",
            validate::check_target_registration,
        );
        c.string(&self.target_type, path("target_type"), "Invalid target type", validate::check_target_type);
        let Tri::Known(brokers) = &self.brokers else { return };
        let other_listeners = usize::from(self.bootstrap().is_some());
        let one_load_balancer = self.brokers_per_load_balancer.is_null();
        check_brokers(c, brokers, other_listeners, one_load_balancer.then_some(&mut listener_ports));
        self.check_target_kinds(brokers, c);
        match self.external() {
            Some(true) => self.check_external_brokers(brokers, c),
            Some(false) => Self::check_broker_targets(brokers, c),
            // Whether a broker needs a target is not known yet.
            None => {}
        }
    }

    /// One kind of target per cluster, and `target_type`, when set, the
    /// brokers' kind.
    fn check_target_kinds(&self, brokers: &BTreeMap<String, Broker>, c: &mut Checks) {
        let kinds: BTreeSet<TargetKind> =
            brokers.values().filter(|b| b.target_is_known()).map(Broker::target_kind).collect();
        if kinds.len() > 1 {
            c.fail(
                path("brokers"),
                "Brokers of two kinds",
                "Give every broker an ip, or every broker an instance_id: a target group has one target type, and the bootstrap group holds every broker.",
            );
        }
        let declared = self.target_type.known().and_then(|t| TargetKind::parse(t));
        if let (Some(declared), [found]) = (declared, kinds.iter().collect::<Vec<_>>().as_slice())
            && declared != **found
        {
            c.fail(
                path("target_type"),
                "Target type differs from the brokers'",
                format!(
                    "target_type is {:?}, but the brokers are given by {}: with target_registration = \"provider\" \
                     the brokers' targets decide the type. Leave target_type unset, or give the brokers the other way.",
                    declared.as_str(),
                    if **found == TargetKind::Ip { "ip" } else { "instance_id" },
                ),
            );
        }
    }

    /// Each broker's target: an instance or an address, none twice.
    fn check_broker_targets(brokers: &BTreeMap<String, Broker>, c: &mut Checks) {
        let mut ips: BTreeMap<Ipv4Addr, &String> = BTreeMap::new();
        let mut instances: BTreeMap<&String, &String> = BTreeMap::new();
        for (key, b) in brokers {
            let bp = path("brokers").key(key.clone());
            match (&b.instance_id, &b.ip) {
                // An ip beside an instance must be the instance's (checked at plan).
                (Tri::Known(id), _) => match check_instance_id(id) {
                    Err(e) => c.fail(bp.attribute("instance_id"), "Invalid instance id", e),
                    Ok(()) => {
                        if let Some(other) = instances.insert(id, key) {
                            c.fail(
                                bp.attribute("instance_id"),
                                "Duplicate broker instance",
                                format!("Broker {other:?} is the same instance {id}."),
                            );
                        }
                    }
                },
                (Tri::Unknown, _) | (Tri::Null, Tri::Unknown) => {}
                (Tri::Null, Tri::Known(ip)) => match parse_ipv4(ip) {
                    Ok(addr) => {
                        if let Some(other) = ips.insert(addr, key) {
                            c.fail(
                                bp.attribute("ip"),
                                "Duplicate broker IP",
                                format!("Broker {other:?} has the same IP {ip}."),
                            );
                        }
                    }
                    Err(e) => c.fail(bp.attribute("ip"), "Invalid IP address", e),
                },
                (Tri::Null, Tri::Null) => c.fail(
                    bp.attribute("ip"),
                    "Missing broker target",
                    "Every broker needs its ip, or the instance_id of the EC2 instance it runs on.",
                ),
            }
        }
    }

    /// With `target_registration = "external"` a broker names no target:
    /// another actor registers it, and one given here would be neither
    /// registered nor kept.
    fn check_external_brokers(&self, brokers: &BTreeMap<String, Broker>, c: &mut Checks) {
        for (key, b) in brokers {
            for (name, value) in [("ip", &b.ip), ("instance_id", &b.instance_id)] {
                // (An unknown value may still turn out null: checked again
                // once known.)
                if value.known().is_some() {
                    c.fail(
                        path("brokers").key(key.clone()).attribute(name),
                        "Targets are registered elsewhere",
                        format!(
                            "With target_registration = \"external\" another actor (the AWS Load Balancer \
                             Controller's TargetGroupBinding) registers each broker's targets, so a broker names no \
                             {name}: remove it. The groups' target type is target_type (default \"ip\")."
                        ),
                    );
                }
            }
        }
    }

    /// What the target groups and listeners pass to AWS as they are.
    fn check_target_settings(&self, c: &mut Checks) {
        c.range(&self.deregistration_delay, path("deregistration_delay"), &limits::DEREGISTRATION_DELAY);
        c.range(&self.tcp_idle_timeout, path("tcp_idle_timeout"), &limits::TCP_IDLE_TIMEOUT);
        let Some(h) = self.health() else { return };
        let hp = block("health_check");
        c.string(
            &h.protocol,
            hp.attribute("protocol"),
            "Invalid health check protocol",
            validate::check_health_check_protocol,
        );
        c.string(&h.port, hp.attribute("port"), "Invalid health check port", validate::check_health_check_port);
        c.range(&h.interval, hp.attribute("interval"), &limits::HEALTH_CHECK_INTERVAL);
        c.range(&h.healthy_threshold, hp.attribute("healthy_threshold"), &limits::HEALTHY_THRESHOLD);
        c.range(&h.unhealthy_threshold, hp.attribute("unhealthy_threshold"), &limits::UNHEALTHY_THRESHOLD);
        c.range(&h.timeout, hp.attribute("timeout"), &limits::HEALTH_CHECK_TIMEOUT);
    }

    /// Principals (`"*"` only when meant), regions, and the cross-zone
    /// balancing that cross-region consumers need.
    fn check_endpoint_service(&self, es: &EndpointService, c: &mut Checks) {
        let ep = block("endpoint_service");
        let any_allowed = es.allow_any_principal.known() == Some(&true);
        for (i, p) in es.allowed_principals.known().into_iter().flatten().enumerate() {
            let at = ep.attribute("allowed_principals").index(i);
            match p {
                Tri::Known(p) if p == "*" && !any_allowed => c.fail(
                    at,
                    "Any principal not allowed",
                    "\"*\" lets every AWS account connect; set allow_any_principal = true to mean it.",
                ),
                Tri::Known(p) if p == "*" => {}
                _ => c.string(p, at, "Invalid principal", check_principal),
            }
        }
        let regions = es.supported_regions.known().into_iter().flatten();
        for (i, r) in regions.enumerate() {
            c.string(r, ep.attribute("supported_regions").index(i), "Invalid region", validate::check_region);
        }
        let cross_region = es.supported_regions.known().is_some_and(|r| !r.is_empty());
        if cross_region && self.cross_zone_load_balancing.known() == Some(&false) {
            c.fail(
                path("cross_zone_load_balancing"),
                "Cross-zone load balancing required",
                "Cross-region PrivateLink (supported_regions) cannot map consumer zones onto broker zones, so every load balancer node must reach every broker: cross_zone_load_balancing must be true.",
            );
        }
    }

    /// No reserved tag key; durations that parse.
    fn check_tags_and_timeouts(&self, c: &mut Checks) {
        for key in self.tags.known().into_iter().flat_map(|t| t.keys()).filter(|k| is_reserved_tag(k)) {
            c.fail(
                path("tags").key(key.clone()),
                "Reserved tag key",
                format!("Tag keys starting with {RESERVED_TAG_PREFIX:?} are the provider's own: they say which resource owns an object. Use another key than {key:?}."),
            );
        }
        values::check_timeouts(
            c,
            &self.timeouts,
            &[("create", |t| &t.create), ("update", |t| &t.update), ("delete", |t| &t.delete)],
        );
    }
}
