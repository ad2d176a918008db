//! Resource `kafka_privatelink`: translates between Terraform values and the
//! domain layout, and drives the AWS layer: observe what exists, compute the
//! steps that converge it, execute them, and report what AWS then holds.

mod list;
mod model;
mod schema;

pub use list::KafkaPrivatelinkList;

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

use async_trait::async_trait;

use self::model::{
    Bootstrap, DEFAULT_BASE, DEFAULT_BROKER_PORT, EndpointService, Model, known_map, known_strings, string_map, strings,
};
use super::provider::ProviderState;
use crate::aws::privatelink::{CallCounter, Execution, Lookup, execute, observe};
use crate::aws::{AwsError, Clients, ec2};
use crate::domain::diff::{self, DiffError};
use crate::domain::import;
use crate::domain::layout::{
    BootstrapSpec, BrokerSpec, HealthCheck, HealthPort, HealthProtocol, LoadBalancerSpec, OWNER_TAG, Observed,
    ROLE_TAG, Role, ServiceSpec, Spec,
};
use crate::domain::ports::{self, BrokerId, PortRequest, Reserved};
use crate::server::convert::value_error;
use crate::server::diag::{Diagnostic, Diagnostics};
use crate::server::path::AttributePath;
use crate::server::provider::{
    ApplyRequest, ApplyResponse, Context, IdentityAttribute, IdentitySchema, ImportResponse, PlanRequest, PlanResponse,
    ReadRequest, ReadResponse, Resource,
};
use crate::server::schema::Schema;
use crate::server::value::{Tri, Value, from_value, to_value};

pub struct KafkaPrivatelink {
    provider: Arc<ProviderState>,
}

impl KafkaPrivatelink {
    pub fn new(provider: Arc<ProviderState>) -> Self {
        Self { provider }
    }
}

const TYPE_NAME: &str = "kafka_privatelink";

fn decode(v: &Value, what: &str) -> Result<Model, Diagnostics> {
    from_value::<Model>(v).map_err(|e| value_error(what, e).into())
}

fn encode(m: &Model) -> Result<Value, Diagnostics> {
    to_value(m)
        .and_then(|v| v.conform(&schema::schema().value_type()))
        .map_err(|e| Diagnostics::from(value_error("state", e)))
}

fn aws_error(action: &str, name: &str, e: &AwsError) -> Diagnostic {
    Diagnostic::error(format!("Error {action} Kafka PrivateLink ({name})"), e.to_string())
}

fn diff_error(name: &str, e: &DiffError) -> Diagnostic {
    let d = Diagnostic::error(format!("Cannot converge Kafka PrivateLink ({name})"), e.to_string());
    match e {
        DiffError::ForeignListener { .. } => d.at(AttributePath::attr("brokers")),
        DiffError::MissingLoadBalancer(_) | DiffError::NotNetwork(_) => d.at(AttributePath::attr("load_balancer_arn")),
        DiffError::NameTaken(_) => d.at(AttributePath::attr("name")),
    }
}

fn port_of(v: &Tri<f64>) -> Option<u16> {
    v.known().map(|p| *p as u16)
}

/// The broker/listener-port assignment for `config`, keeping `prior`'s ports.
fn assign(config: &Model, prior: Option<&Model>) -> Result<BTreeMap<String, u16>, Diagnostic> {
    let base = port_of(&config.listener_port_base).unwrap_or(DEFAULT_BASE);
    let Some(brokers) = config.brokers.known() else { return Ok(BTreeMap::new()) };
    let prior_brokers = prior.and_then(|p| p.brokers.known());
    let mut keys = BTreeMap::new();
    let mut requests = BTreeMap::new();
    for (key, b) in brokers {
        let Ok(id) = key.parse::<BrokerId>() else { continue };
        let current = prior_brokers.and_then(|p| p.get(key)).and_then(|p| port_of(&p.listener_port));
        requests.insert(id, PortRequest { explicit: port_of(&b.listener_port), current });
        keys.insert(id, key.clone());
    }
    let bootstrap = config.bootstrap().and_then(|b| port_of(&b.listener_port));
    let reserved: Vec<(u16, &'static str)> = bootstrap.map(|p| (p, "the bootstrap listener")).into_iter().collect();
    let assigned = ports::assign_ports(&requests, base, Reserved(&reserved)).map_err(|e| {
        Diagnostic::error("Invalid listener port", e.to_string()).at(AttributePath::attr("brokers")
            .key(keys.get(&e.broker()).cloned().unwrap_or_default())
            .attribute("listener_port"))
    })?;
    Ok(assigned.into_iter().map(|(id, p)| (keys[&id].clone(), p)).collect())
}

/// The domain spec of a fully known planned model.
fn spec_of(m: &Model, default_tags: &BTreeMap<String, String>) -> Result<Spec, Diagnostic> {
    let incomplete = |what: &str| {
        Diagnostic::error(
            "Incomplete plan",
            format!("{what} is not known at apply time. This is a bug in the provider."),
        )
    };
    let name = m.name.known().cloned().ok_or_else(|| incomplete("name"))?;
    let mut brokers = BTreeMap::new();
    for (key, b) in m.brokers.known().ok_or_else(|| incomplete("brokers"))? {
        let id: BrokerId = key.parse().map_err(|_| incomplete("a broker id"))?;
        let ip: Ipv4Addr = b.ip.known().and_then(|i| i.parse().ok()).ok_or_else(|| incomplete("a broker ip"))?;
        let port = port_of(&b.port).ok_or_else(|| incomplete("a broker port"))?;
        let listener_port = port_of(&b.listener_port).ok_or_else(|| incomplete("a listener port"))?;
        brokers.insert(id, BrokerSpec { ip, port, listener_port });
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
        bootstrap: m.bootstrap().map(|b| BootstrapSpec {
            listener_port: port_of(&b.listener_port).unwrap_or(9092),
            target_port: port_of(&b.target_port),
        }),
        health_check: HealthCheck {
            protocol: Some(
                health
                    .and_then(|h| h.protocol.known())
                    .and_then(|p| HealthProtocol::parse(p))
                    .unwrap_or(HealthProtocol::Tcp),
            ),
            port: Some(match health.and_then(|h| h.port.known()).map(String::as_str) {
                Some(p) if p != "traffic-port" => p.parse().map(HealthPort::Port).unwrap_or(HealthPort::Traffic),
                _ => HealthPort::Traffic,
            }),
            interval: hp(health.map(|h| &h.interval)),
            healthy_threshold: hp(health.map(|h| &h.healthy_threshold)),
            unhealthy_threshold: hp(health.map(|h| &h.unhealthy_threshold)),
            timeout: hp(health.map(|h| &h.timeout)),
        },
        deregistration_delay: m.deregistration_delay.known().map(|d| *d as u32),
        tcp_idle_timeout: m.tcp_idle_timeout.known().map(|d| *d as u32),
        cross_zone: m.cross_zone_load_balancing.known().copied().unwrap_or(false),
        service: ServiceSpec {
            acceptance_required: es.and_then(|e| e.acceptance_required.known().copied()).unwrap_or(true),
            principals: es.and_then(|e| known_strings(&e.allowed_principals)).unwrap_or_default(),
            supported_regions: es.and_then(|e| known_strings(&e.supported_regions)).unwrap_or_default(),
        },
        tags,
        name,
    })
}

/// Where to look for the objects of a resource.
fn lookup_for(spec: &Spec, prior: Option<&Model>) -> Lookup {
    let prior_arn = prior.and_then(|p| p.load_balancer_arn.known().cloned());
    let (arn, name) = match &spec.load_balancer {
        LoadBalancerSpec::Adopt { arn } => (Some(arn.clone()), None),
        LoadBalancerSpec::Create { .. } => (prior_arn.clone(), prior_arn.is_none().then(|| spec.name.clone())),
    };
    let mut tg_arns = BTreeSet::new();
    if let Some(p) = prior {
        for b in p.brokers.known().into_iter().flat_map(|b| b.values()) {
            tg_arns.extend(b.target_group_arn.known().cloned());
        }
        tg_arns.extend(p.bootstrap().and_then(|b| b.target_group_arn.known().cloned()));
    }
    Lookup {
        owner: spec.name.clone(),
        load_balancer_is_ours: matches!(spec.load_balancer, LoadBalancerSpec::Create { .. }) && prior_arn.is_some(),
        load_balancer_arn: arn,
        load_balancer_name: name,
        service_id: prior.and_then(|p| p.endpoint()).and_then(|e| e.id.known().cloned()),
        target_group_names: spec.target_groups().into_iter().map(|t| t.name).collect(),
        target_group_arns: tg_arns,
        read_deregistration_delay: spec.deregistration_delay.is_some(),
        read_idle_timeout: spec.tcp_idle_timeout.is_some(),
    }
}

/// The state: `base` (the plan or the prior state) for what only Terraform
/// knows, AWS's answer for everything AWS holds.
fn render(base: &Model, spec: &Spec, observed: &Observed, lb_zone_ids: Option<BTreeSet<String>>) -> Model {
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
    m.cross_zone_load_balancing = Tri::Known(lb.and_then(|l| l.cross_zone).unwrap_or(false));
    m.availability_zone_ids = match lb_zone_ids {
        Some(z) => strings(z),
        None if m.availability_zone_ids.is_unknown() => strings(BTreeSet::new()),
        None => m.availability_zone_ids.clone(),
    };

    let tgs = spec.target_groups();
    let mut brokers = BTreeMap::new();
    for (key, b) in base.brokers.known().into_iter().flatten() {
        let mut out = b.clone();
        let tg_spec = key.parse::<BrokerId>().ok().and_then(|id| tgs.iter().find(|t| t.role == Role::Broker(id)));
        let (tg, listener) = tg_spec.map_or((None, None), |t| observed.serving(t, &spec.name));
        out.target_group_arn = tg.map(|t| t.arn.clone()).into();
        out.listener_arn = listener.map(|l| l.arn.clone()).into();
        out.targets = strings(
            tg.map(|t| t.targets.iter().map(|(ip, p)| format!("{ip}:{p}")).collect::<BTreeSet<_>>())
                .unwrap_or_default(),
        );
        if out.availability_zone_id.is_unknown() {
            out.availability_zone_id = Tri::Null;
        }
        brokers.insert(key.clone(), out);
    }
    m.brokers = Tri::Known(brokers);
    if let Some(boot) = base.bootstrap() {
        let t = tgs.iter().find(|t| t.role == Role::Bootstrap);
        let (tg, listener) = t.map_or((None, None), |t| observed.serving(t, &spec.name));
        m.bootstrap = Tri::Known(vec![Bootstrap {
            target_group_arn: tg.map(|t| t.arn.clone()).into(),
            listener_arn: listener.map(|l| l.arn.clone()).into(),
            ..boot.clone()
        }]);
    }

    let svc = observed.service.as_ref();
    let es = base.endpoint().cloned().unwrap_or_default();
    // Optional sets: what AWS holds, but null stays null while AWS holds none.
    let observed_set = |configured: &model::Strings, have: Option<BTreeSet<String>>| match have {
        Some(h) if !h.is_empty() || !configured.is_null() => strings(h),
        _ => configured.clone(),
    };
    m.endpoint_service = Tri::Known(vec![EndpointService {
        acceptance_required: svc.map(|s| s.acceptance_required).into(),
        allowed_principals: observed_set(&es.allowed_principals, svc.map(|s| s.principals.clone())),
        supported_regions: observed_set(&es.supported_regions, svc.map(|s| s.supported_regions.clone())),
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
    let applied_tags = svc.map(|s| s.tags.clone()).unwrap_or_default();
    m.tags_all = string_map(&applied_tags.into_iter().filter(|(k, _)| k != OWNER_TAG && k != ROLE_TAG).collect());
    render_attributes(&mut m, spec, observed);
    m.bootstrap_servers = bootstrap_hint(&m);
    m
}

/// Managed attributes read back from AWS, so that out-of-band changes show
/// in the plan: the first broker group's settings and the first listener's
/// idle timeout stand for all (the resource sets them all alike). Unset
/// attributes stay unset: AWS's own values are not managed.
fn render_attributes(m: &mut Model, spec: &Spec, observed: &Observed) {
    let groups = spec.target_groups();
    let first = groups.iter().find_map(|t| observed.serving(t, &spec.name).0);
    let first_listener = groups.iter().find_map(|t| observed.serving(t, &spec.name).1);
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

fn bootstrap_hint(m: &Model) -> Tri<String> {
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

impl KafkaPrivatelink {
    async fn clients(&self) -> Result<&Clients, Diagnostics> {
        self.provider.clients().await.map_err(Diagnostics::from)
    }

    /// Zone ids of subnets, from one DescribeSubnets of the VPC.
    async fn subnets(&self, vpc: &str) -> Result<Vec<ec2::Subnet>, Diagnostics> {
        let clients = self.clients().await?;
        ec2::subnets_of_vpc(&clients.ec2, vpc).await.map_err(|e| {
            Diagnostics::from(
                Diagnostic::error("Error reading subnets", e.to_string()).at(AttributePath::attr("vpc_id")),
            )
        })
    }

    async fn plan_inner(&self, req: &PlanRequest) -> Result<(Model, Vec<AttributePath>), Diagnostics> {
        let config = decode(&req.config, "configuration")?;
        let mut planned = decode(&req.proposed, "proposed state")?;
        let checks = config.check();
        if checks.has_errors() {
            return Err(checks.0);
        }
        let prior = if req.prior_state.is_null() { None } else { Some(decode(&req.prior_state, "prior state")?) };

        // replacement
        let mut replace = Vec::new();
        if let Some(p) = &prior {
            for (attr, was, now) in [("name", &p.name, &config.name), ("vpc_id", &p.vpc_id, &config.vpc_id)] {
                if now.is_unknown() || was != now {
                    replace.push(AttributePath::attr(attr));
                }
            }
            if !config.load_balancer_arn.is_null() && config.load_balancer_arn != p.load_balancer_arn {
                replace.push(AttributePath::attr("load_balancer_arn"));
            }
            if p.subnet_ids.is_null() != config.subnet_ids.is_null() {
                replace.push(AttributePath::attr("subnet_ids"));
            } else if let (Some(was), Some(now)) = (known_strings(&p.subnet_ids), known_strings(&config.subnet_ids))
                && !was.is_subset(&now)
            {
                replace.push(AttributePath::attr("subnet_ids"));
            }
        }
        let prior = if replace.is_empty() { prior } else { None };
        let prior = prior.as_ref();

        // defaults
        planned.broker_port = Tri::Known(f64::from(port_of(&config.broker_port).unwrap_or(DEFAULT_BROKER_PORT)));
        planned.listener_port_base = Tri::Known(f64::from(port_of(&config.listener_port_base).unwrap_or(DEFAULT_BASE)));
        let broker_port = port_of(&planned.broker_port).unwrap_or(DEFAULT_BROKER_PORT);
        let mut tags_all = self.provider.default_tags();
        let tags = if config.tags.is_null() { Some(BTreeMap::new()) } else { known_map(&config.tags) };
        match tags {
            Some(t) => {
                tags_all.extend(t);
                planned.tags_all = string_map(&tags_all);
            }
            None => planned.tags_all = Tri::Unknown,
        }

        // subnets: the zone of every new broker IP, one subnet per zone
        let prior_brokers = prior.and_then(|p| p.brokers.known());
        let needs_zones = config.brokers.known().is_some_and(|bs| {
            bs.iter().any(|(k, b)| {
                let was = prior_brokers.and_then(|p| p.get(k));
                was.is_none_or(|w| w.ip != b.ip || w.availability_zone_id.known().is_none())
            })
        }) || prior.is_none_or(|p| known_strings(&p.subnet_ids) != known_strings(&config.subnet_ids));
        let subnets = match (needs_zones, config.vpc_id.known()) {
            (true, Some(vpc)) => Some(self.subnets(vpc).await?),
            _ => None,
        };
        if let (Some(subnets), Some(wanted)) = (&subnets, known_strings(&config.subnet_ids)) {
            let mut by_zone: BTreeMap<&str, &str> = BTreeMap::new();
            for id in &wanted {
                match subnets.iter().find(|s| &s.id == id) {
                    None => {
                        return Err(Diagnostic::error(
                            "Unknown subnet",
                            format!("{id} is not a subnet of {}.", config.vpc_id.known().cloned().unwrap_or_default()),
                        )
                        .at(AttributePath::attr("subnet_ids"))
                        .into());
                    }
                    Some(s) => {
                        if let Some(other) = by_zone.insert(&s.zone_id, &s.id) {
                            return Err(Diagnostic::error(
                                "Two subnets in one availability zone",
                                format!(
                                    "{other} and {id} are both in {} ({}); a load balancer takes one subnet per availability zone.",
                                    s.zone_id, s.zone_name
                                ),
                            )
                            .at(AttributePath::attr("subnet_ids"))
                            .into());
                        }
                    }
                }
            }
        }

        // brokers: ports known at plan time, ARNs kept where nothing moved
        let assigned = assign(&config, prior)?;
        if let (Some(cfg_brokers), Tri::Known(brokers)) = (config.brokers.known(), &mut planned.brokers) {
            for (key, b) in brokers.iter_mut() {
                let cfg = &cfg_brokers[key];
                let was = prior_brokers.and_then(|p| p.get(key));
                let port = port_of(&cfg.port).unwrap_or(broker_port);
                b.port = Tri::Known(f64::from(port));
                b.listener_port = assigned.get(key).map_or(Tri::Unknown, |p| Tri::Known(f64::from(*p)));
                let same_port = was.is_some_and(|w| port_of(&w.port) == Some(port));
                let same_listener = same_port && was.is_some_and(|w| w.listener_port == b.listener_port);
                b.target_group_arn =
                    if same_port { was.map_or(Tri::Unknown, |w| w.target_group_arn.clone()) } else { Tri::Unknown };
                if b.target_group_arn.is_null() {
                    b.target_group_arn = Tri::Unknown;
                }
                b.listener_arn =
                    if same_listener { was.map_or(Tri::Unknown, |w| w.listener_arn.clone()) } else { Tri::Unknown };
                if b.listener_arn.is_null() {
                    b.listener_arn = Tri::Unknown;
                }
                b.targets = match cfg.ip.known() {
                    Some(ip) => strings([format!("{ip}:{port}")]),
                    None => Tri::Unknown,
                };
                b.availability_zone_id = match (cfg.ip.known(), &subnets) {
                    (Some(ip), _)
                        if was
                            .is_some_and(|w| w.ip.known() == Some(ip) && w.availability_zone_id.known().is_some()) =>
                    {
                        was.map_or(Tri::Unknown, |w| w.availability_zone_id.clone())
                    }
                    (Some(ip), Some(subnets)) => {
                        let addr: Ipv4Addr = ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
                        match subnets.iter().find(|s| s.contains(addr)) {
                            Some(s) => Tri::Known(s.zone_id.clone()),
                            None => {
                                return Err(Diagnostic::error(
                                    "Broker outside the VPC",
                                    format!(
                                        "{ip} is in no subnet of {}; IP targets must be addresses in the load balancer's VPC.",
                                        config.vpc_id.known().cloned().unwrap_or_default()
                                    ),
                                )
                                .at(AttributePath::attr("brokers").key(key.clone()).attribute("ip"))
                                .into());
                            }
                        }
                    }
                    _ => Tri::Unknown,
                };
            }
        }
        if let Some(boot) = planned.bootstrap.known().and_then(|b| b.first()).cloned() {
            let was = prior.and_then(|p| p.bootstrap());
            let same = was.is_some_and(|w| w.listener_port == boot.listener_port && w.target_port == boot.target_port);
            let keep =
                |v: Option<&Tri<String>>| v.filter(|v| same && v.known().is_some()).cloned().unwrap_or(Tri::Unknown);
            planned.bootstrap = Tri::Known(vec![Bootstrap {
                target_group_arn: keep(was.map(|w| &w.target_group_arn)),
                listener_arn: keep(was.map(|w| &w.listener_arn)),
                ..boot
            }]);
        }

        // endpoint service
        let cfg_es = config.endpoint().cloned().unwrap_or_default();
        let regions = known_strings(&cfg_es.supported_regions);
        planned.cross_zone_load_balancing = match (&config.cross_zone_load_balancing, &regions) {
            (Tri::Known(v), _) => Tri::Known(*v),
            (Tri::Unknown, _) => Tri::Unknown,
            (Tri::Null, Some(r)) if !r.is_empty() => Tri::Known(true),
            (Tri::Null, None) if !cfg_es.supported_regions.is_null() => Tri::Unknown,
            (Tri::Null, _) => Tri::Known(false),
        };
        // A service that does not exist yet (never created, or deleted out
        // of band) gets all its computed values at apply time.
        let was_es = prior.and_then(|p| p.endpoint()).filter(|w| w.id.known().is_some());
        let keep = |f: fn(&EndpointService) -> &Tri<String>| was_es.map_or(Tri::Unknown, |w| f(w).clone());
        let subnets_stable = prior.is_some_and(|p| {
            p.subnet_ids.is_null() == config.subnet_ids.is_null()
                && known_strings(&p.subnet_ids) == known_strings(&config.subnet_ids)
        });
        let zones_stable = was_es.is_some() && subnets_stable;
        planned.endpoint_service = Tri::Known(vec![EndpointService {
            acceptance_required: Tri::Known(cfg_es.acceptance_required.known().copied().unwrap_or(true)),
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
            ..cfg_es
        }]);

        // the load balancer
        match prior {
            Some(p) => {
                planned.id = p.id.clone();
                planned.load_balancer_arn = p.load_balancer_arn.clone();
                planned.load_balancer_dns_name = p.load_balancer_dns_name.clone();
                planned.availability_zone_ids =
                    if subnets_stable { p.availability_zone_ids.clone() } else { Tri::Unknown };
            }
            None => {
                planned.id = Tri::Unknown;
                planned.load_balancer_arn =
                    if config.load_balancer_arn.is_null() { Tri::Unknown } else { config.load_balancer_arn.clone() };
                planned.load_balancer_dns_name = Tri::Unknown;
                planned.availability_zone_ids = Tri::Unknown;
            }
        }
        planned.bootstrap_servers = bootstrap_hint(&planned);
        Ok((planned, replace))
    }

    async fn converge(&self, ctx: &Context, req: &ApplyRequest) -> ApplyResponse {
        let fail =
            |d: Diagnostics| ApplyResponse { state: req.prior_state.clone(), private: Vec::new(), diagnostics: d };
        let planned = match decode(&req.planned, "planned state") {
            Ok(m) => m,
            Err(d) => return fail(d),
        };
        let prior = if req.prior_state.is_null() { None } else { decode(&req.prior_state, "prior state").ok() };
        let spec = match spec_of(&planned, &self.provider.default_tags()) {
            Ok(s) => s,
            Err(d) => return fail(d.into()),
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return fail(d),
        };
        let creating = prior.is_none();
        let timeout = if creating { planned.timeout(|t| &t.create) } else { planned.timeout(|t| &t.update) };
        let action = if creating { "creating" } else { "updating" };
        let calls = CallCounter::default();
        let mut observed = match observe(clients, &lookup_for(&spec, prior.as_ref()), &calls).await {
            Ok(o) => o,
            Err(e) => return fail(aws_error(action, &spec.name, &e).into()),
        };
        let mut diagnostics = Diagnostics::new();
        // Listeners and groups that already serve our brokers exactly but
        // are not ours yet (an adopted load balancer) are taken over.
        let adopted: Vec<String> = spec
            .target_groups()
            .iter()
            .filter_map(|t| {
                let (tg, listener) = observed.serving(t, &spec.name);
                let tg = tg.filter(|g| g.owner.as_deref() != Some(spec.name.as_str()))?;
                Some(format!(
                    "{} (listener port {}{}, target group {})",
                    t.role,
                    t.listener_port,
                    if listener.is_some() { "" } else { ", new listener" },
                    tg.name
                ))
            })
            .collect();
        if !adopted.is_empty() {
            diagnostics.warning(
                "Adopted existing listeners and target groups",
                format!(
                    "These already served the brokers exactly and are now managed (and tagged) by this resource: {}.",
                    adopted.join("; ")
                ),
            );
        }
        match diff::converge(&spec, &observed) {
            Err(e) => diagnostics.push(diff_error(&spec.name, &e)),
            Ok(plan) => {
                let exec = Execution {
                    vpc_id: spec.vpc_id.clone(),
                    timeout,
                    client_token: client_token(&spec.name, &observed),
                    reject_connections_on_destroy: false,
                    stop: ctx.stop.clone(),
                };
                if let Err(errors) = execute(clients, &plan, &mut observed, &exec).await {
                    for e in errors {
                        diagnostics.push(aws_error(action, &spec.name, &e));
                    }
                }
            }
        }
        if observed.load_balancer.is_none() && creating {
            // Nothing was created: no state.
            return ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics };
        }
        let zone_ids = self.load_balancer_zones(&spec, &observed).await;
        let state = render(&planned, &spec, &observed, zone_ids);
        match encode(&state) {
            Ok(state) => ApplyResponse { state, private: Vec::new(), diagnostics },
            Err(d) => {
                diagnostics.extend(d);
                fail(diagnostics)
            }
        }
    }

    /// Zone ids of the load balancer's subnets (one EC2 call; `None` if it fails).
    async fn load_balancer_zones(&self, spec: &Spec, observed: &Observed) -> Option<BTreeSet<String>> {
        let lb = observed.load_balancer.as_ref()?;
        let subnets = self.subnets(&spec.vpc_id).await.ok()?;
        Some(subnets.iter().filter(|s| lb.subnets.contains(&s.id)).map(|s| s.zone_id.clone()).collect())
    }

    async fn destroy(&self, ctx: &Context, req: &ApplyRequest) -> ApplyResponse {
        let keep =
            |d: Diagnostics| ApplyResponse { state: req.prior_state.clone(), private: Vec::new(), diagnostics: d };
        let prior = match decode(&req.prior_state, "prior state") {
            Ok(m) => m,
            Err(d) => return keep(d),
        };
        let spec = match spec_of(&prior, &self.provider.default_tags()) {
            Ok(s) => s,
            Err(d) => return keep(d.into()),
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return keep(d),
        };
        let calls = CallCounter::default();
        let mut observed = match observe(clients, &lookup_for(&spec, Some(&prior)), &calls).await {
            Ok(o) => o,
            Err(e) => return keep(aws_error("deleting", &spec.name, &e).into()),
        };
        let plan = diff::teardown(&spec.name, &observed);
        let exec = Execution {
            vpc_id: spec.vpc_id.clone(),
            timeout: prior.timeout(|t| &t.delete),
            client_token: String::new(),
            reject_connections_on_destroy: prior
                .endpoint()
                .and_then(|e| e.reject_connections_on_destroy.known().copied())
                .unwrap_or(false),
            stop: ctx.stop.clone(),
        };
        match execute(clients, &plan, &mut observed, &exec).await {
            Ok(()) => ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics: Diagnostics::new() },
            Err(errors) => {
                let diagnostics = errors.iter().map(|e| aws_error("deleting", &spec.name, e)).collect();
                let state = encode(&render(&prior, &spec, &observed, None)).unwrap_or(req.prior_state.clone());
                ApplyResponse { state, private: Vec::new(), diagnostics }
            }
        }
    }
}

/// Idempotency token of the endpoint-service creation: the same load
/// balancer gets the same token, so a retried create returns the first one.
fn client_token(name: &str, observed: &Observed) -> String {
    let lb = observed.load_balancer.as_ref().map(|l| l.arn.rsplit('/').next().unwrap_or_default()).unwrap_or_default();
    let mut token = format!("kafka-privatelink-{name}-{lb}");
    token.truncate(64);
    token
}

impl KafkaPrivatelink {
    /// The load balancer an import id names: an NLB ARN, or an endpoint
    /// service id whose service fronts one.
    async fn import_target(&self, clients: &Clients, id: &str) -> Result<String, Diagnostic> {
        let bad = |detail: String| Diagnostic::error("Invalid import id", detail);
        if id.starts_with("arn:") {
            model::check_load_balancer_arn(id).map_err(bad)?;
            return Ok(id.to_owned());
        }
        if id.starts_with("vpce-svc-") {
            crate::domain::names::check_endpoint_service_id(id).map_err(bad)?;
            let svc = ec2::find_service(&clients.ec2, Some(id), None)
                .await
                .map_err(|e| Diagnostic::error("Cannot import", e.to_string()))?
                .ok_or_else(|| bad(format!("No VPC endpoint service {id} exists in {}.", clients.region)))?;
            return svc
                .network_load_balancer_arns()
                .first()
                .cloned()
                .ok_or_else(|| bad(format!("The endpoint service {id} fronts no network load balancer.")));
        }
        Err(bad(format!(
            "{id:?} is neither a network load balancer ARN (arn:aws:elasticloadbalancing:…:loadbalancer/net/…) nor an endpoint service id (vpce-svc-…)."
        )))
    }

    async fn import_state(&self, id: &str) -> Result<ImportResponse, Diagnostics> {
        let clients = self.clients().await?;
        let arn = self.import_target(clients, id).await?;
        let lookup = Lookup { load_balancer_arn: Some(arn.clone()), load_balancer_is_ours: true, ..Lookup::default() };
        let calls = CallCounter::default();
        let observed = observe(clients, &lookup, &calls)
            .await
            .map_err(|e| Diagnostics::from(Diagnostic::error("Cannot import", e.to_string())))?;
        let Some(lb) = observed.load_balancer.clone() else {
            return Err(Diagnostic::error(
                "Invalid import id",
                format!("No load balancer {arn} exists in {}.", clients.region),
            )
            .into());
        };
        let layout = import::classify(&observed)
            .map_err(|e| Diagnostics::from(Diagnostic::error("Cannot import", e.to_string())))?;
        let subnets = self.subnets(&lb.vpc_id).await?;
        let zone_of = |ip: Ipv4Addr| subnets.iter().find(|s| s.contains(ip)).map(|s| s.zone_id.clone());
        let ports: BTreeSet<u16> = layout.brokers.values().map(|b| b.port).collect();
        let broker_port =
            if ports.len() == 1 { ports.first().copied().unwrap_or(DEFAULT_BROKER_PORT) } else { DEFAULT_BROKER_PORT };

        let default_tags = self.provider.default_tags();
        let own_tags: BTreeMap<String, String> = observed
            .service
            .as_ref()
            .map(|s| &s.tags)
            .unwrap_or(&lb.tags)
            .iter()
            .filter(|(k, v)| k.as_str() != OWNER_TAG && k.as_str() != ROLE_TAG && default_tags.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let svc = observed.service.as_ref();
        let optional_set = |s: Option<&BTreeSet<String>>| match s {
            Some(s) if !s.is_empty() => strings(s.clone()),
            _ => Tri::Null,
        };
        let base = Model {
            name: Tri::Known(layout.name.clone()),
            vpc_id: Tri::Known(lb.vpc_id.clone()),
            subnet_ids: strings(lb.subnets.clone()),
            load_balancer_arn: Tri::Known(lb.arn.clone()),
            broker_port: Tri::Known(f64::from(broker_port)),
            listener_port_base: Tri::Known(f64::from(layout.base)),
            brokers: Tri::Known(
                layout
                    .brokers
                    .iter()
                    .map(|(id, b)| {
                        let broker = model::Broker {
                            ip: Tri::Known(b.ip.to_string()),
                            port: Tri::Known(f64::from(b.port)),
                            listener_port: Tri::Known(f64::from(b.listener_port)),
                            availability_zone_id: zone_of(b.ip).into(),
                            ..Default::default()
                        };
                        (id.to_string(), broker)
                    })
                    .collect(),
            ),
            bootstrap: match layout.bootstrap {
                Some((listener_port, target_port)) => Tri::Known(vec![Bootstrap {
                    listener_port: Tri::Known(f64::from(listener_port)),
                    target_port: target_port.map(f64::from).into(),
                    ..Default::default()
                }]),
                None => Tri::Null,
            },
            endpoint_service: Tri::Known(vec![EndpointService {
                allowed_principals: optional_set(svc.map(|s| &s.principals)),
                supported_regions: optional_set(svc.map(|s| &s.supported_regions)),
                ..Default::default()
            }]),
            tags: if own_tags.is_empty() { Tri::Null } else { string_map(&own_tags) },
            ..Model::default()
        };
        let spec = spec_of(&base, &default_tags).map_err(Diagnostics::from)?;
        let zones = subnets.iter().filter(|s| lb.subnets.contains(&s.id)).map(|s| s.zone_id.clone()).collect();
        let state = encode(&render(&base, &spec, &observed, Some(zones)))?;
        let mut diagnostics = Diagnostics::new();
        if layout.ids == import::IdSource::Convention {
            diagnostics.warning(
                "Broker ids inferred from listener ports",
                format!(
                    "{} carries no broker ids of ours, so each broker's id is its listener port − {} + 1: {}.                      Write the brokers map with these ids, or change them before the next apply.",
                    lb.name,
                    layout.base,
                    layout.mapping()
                ),
            );
        }
        if observed.service.is_none() {
            diagnostics.warning(
                "No endpoint service",
                format!("No VPC endpoint service fronts {}; the next apply creates one.", lb.arn),
            );
        }
        Ok(ImportResponse { state, private: Vec::new(), diagnostics })
    }
}

#[async_trait]
impl Resource for KafkaPrivatelink {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        match decode(config, "configuration") {
            Ok(m) => m.check().0,
            Err(d) => d,
        }
    }

    async fn read(&self, _ctx: &Context, req: ReadRequest) -> ReadResponse {
        let fail = |d: Diagnostics| ReadResponse {
            state: Some(req.state.clone()),
            private: req.private.clone(),
            diagnostics: d,
        };
        let prior = match decode(&req.state, "state") {
            Ok(m) => m,
            Err(d) => return fail(d),
        };
        let spec = match spec_of(&prior, &self.provider.default_tags()) {
            Ok(s) => s,
            Err(d) => return fail(d.into()),
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return fail(d),
        };
        let calls = CallCounter::default();
        let observed = match observe(clients, &lookup_for(&spec, Some(&prior)), &calls).await {
            Ok(o) => o,
            Err(e) => return fail(aws_error("reading", &spec.name, &e).into()),
        };
        tracing::debug!(name = %spec.name, aws_calls = calls.get(), "refreshed kafka_privatelink");
        if observed.load_balancer.is_none() {
            tracing::warn!(name = %spec.name, "load balancer gone; removing kafka_privatelink from state");
            return ReadResponse { state: None, private: req.private, diagnostics: Diagnostics::new() };
        }
        let same_subnets = observed
            .load_balancer
            .as_ref()
            .map(|l| strings(l.subnets.clone()))
            .is_some_and(|s| known_strings(&s) == known_strings(&prior.subnet_ids));
        let zones = if same_subnets && prior.availability_zone_ids.known().is_some() {
            None
        } else {
            self.load_balancer_zones(&spec, &observed).await
        };
        match encode(&render(&prior, &spec, &observed, zones)) {
            Ok(state) => ReadResponse { state: Some(state), private: req.private, diagnostics: Diagnostics::new() },
            Err(d) => fail(d),
        }
    }

    async fn plan(&self, _ctx: &Context, req: PlanRequest) -> PlanResponse {
        match self.plan_inner(&req).await {
            Ok((planned, requires_replace)) => match encode(&planned) {
                Ok(planned) => {
                    PlanResponse { planned, requires_replace, private: Vec::new(), diagnostics: Diagnostics::new() }
                }
                Err(d) => PlanResponse {
                    planned: req.proposed,
                    requires_replace: Vec::new(),
                    private: Vec::new(),
                    diagnostics: d,
                },
            },
            Err(d) => PlanResponse {
                planned: req.proposed,
                requires_replace: Vec::new(),
                private: Vec::new(),
                diagnostics: d,
            },
        }
    }

    async fn apply(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        if req.planned.is_null() { self.destroy(ctx, &req).await } else { self.converge(ctx, &req).await }
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<ImportResponse, Diagnostics> {
        self.import_state(id.trim()).await
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![
                IdentityAttribute {
                    name: "region".into(),
                    ty: crate::server::types::Type::String,
                    required_for_import: false,
                    description: "The region of the load balancer (default: the provider's).".into(),
                },
                IdentityAttribute {
                    name: "load_balancer_arn".into(),
                    ty: crate::server::types::Type::String,
                    required_for_import: true,
                    description: "The ARN of the network load balancer.".into(),
                },
            ],
        })
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        let Value::String(arn) = state.get("load_balancer_arn") else { return None };
        // arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/…
        let region = arn.split(':').nth(3).filter(|r| !r.is_empty())?;
        Some(Value::Object(BTreeMap::from([
            ("region".to_owned(), Value::from(region)),
            ("load_balancer_arn".to_owned(), Value::from(arn.as_str())),
        ])))
    }

    async fn import_identity(&self, _ctx: &Context, identity: &Value) -> Result<ImportResponse, Diagnostics> {
        let Value::String(arn) = identity.get("load_balancer_arn") else {
            return Err(
                Diagnostic::error("Invalid identity", "load_balancer_arn is required to import by identity.").into()
            );
        };
        if let Value::String(region) = identity.get("region") {
            let clients = self.clients().await?;
            if region != &clients.region {
                return Err(Diagnostic::error(
                    "Region mismatch",
                    format!(
                        "The identity names region {region}, but the provider is configured for {}.",
                        clients.region
                    ),
                )
                .into());
            }
        }
        self.import_state(arn).await
    }

    /// The shortest configuration that plans no changes against `state`:
    /// placement by subnets or by ARN (never both), defaults left out.
    fn generate_config(&self, state: &Value) -> Result<Value, Diagnostics> {
        let mut m = decode(&crate::server::schema::settable(&schema::schema(), state), "state")?;
        if !m.subnet_ids.is_null() {
            m.load_balancer_arn = Tri::Null;
        }
        if m.cross_zone_load_balancing.known() == Some(&false) {
            m.cross_zone_load_balancing = Tri::Null;
        }
        let broker_port = m.broker_port.clone();
        if let Tri::Known(brokers) = &mut m.brokers {
            for b in brokers.values_mut() {
                if b.port == broker_port {
                    b.port = Tri::Null;
                }
            }
        }
        if port_of(&m.broker_port) == Some(DEFAULT_BROKER_PORT) {
            m.broker_port = Tri::Null;
        }
        if port_of(&m.listener_port_base) == Some(DEFAULT_BASE) {
            m.listener_port_base = Tri::Null;
        }
        if let Tri::Known(es) = &mut m.endpoint_service
            && let Some(e) = es.first_mut()
            && e.acceptance_required.known() == Some(&true)
        {
            e.acceptance_required = Tri::Null;
        }
        encode(&m)
    }
}
