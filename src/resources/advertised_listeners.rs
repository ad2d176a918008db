//! Data source `kafka_advertised_listeners`: what brokers must advertise and
//! what consumers must be told, from the same broker → port assignment the
//! `kafka_privatelink` resource uses. Pure computation: no AWS access.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::check::{BrokerEntry, Checks, ListenerPorts, PortAsk, assign_listener_ports, check_brokers, port};
use crate::domain::consumers::{self, FormError, MaterializeForm};
use crate::domain::listeners::{
    self, Broker, BrokerEndpoint, HostTemplate, ListenerConfig, MaterializeConnection, SecurityProtocol,
    TIDBCLOUD_TEMPLATE,
};
use crate::domain::ports::BrokerId;
use crate::domain::validate;
use crate::server::api::diag::value_error;
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::provider::{Context, DataSource};
use crate::server::api::schema::{Attribute, AttributeType, Block, Nesting, Schema};
use crate::server::api::types::Type;
use crate::server::api::value::{Tri, Value, from_value, to_value};

pub struct AdvertisedListeners;

const DEFAULT_BASE: u16 = crate::domain::ports::DEFAULT_LISTENER_PORT_BASE;
const DEFAULT_BIND_PORT: u16 = 39092;
const DEFAULT_LISTENER_NAME: &str = "EXTERNAL";
const DEFAULT_PRIVATELINK_NAME: &str = "privatelink_svc";
const DEFAULT_KAFKA_NAME: &str = "kafka_connection";
/// `tidbcloud` is TiDB Cloud Essential's private link domain (its
/// Dedicated domains carry a label TiDB does not document: paste the
/// console's pattern into `tidbcloud_pattern` instead).
const PRESETS: [(&str, &str); 2] = [("tidbcloud", TIDBCLOUD_TEMPLATE), ("tidbcloud_essential", TIDBCLOUD_TEMPLATE)];

#[derive(Debug, Default, Deserialize, Serialize)]
struct Config {
    brokers: Tri<BTreeMap<String, BrokerConfig>>,
    listener_port_base: Tri<f64>,
    template: Tri<String>,
    preset: Tri<String>,
    unique_name: Tri<String>,
    listener_name: Tri<String>,
    bind_port: Tri<f64>,
    security_protocol: Tri<String>,
    endpoint_service_name: Tri<String>,
    cross_region: Tri<bool>,
    privatelink_connection_name: Tri<String>,
    kafka_connection_name: Tri<String>,
    tidbcloud_pattern: Tri<String>,
    materialize_form: Tri<String>,
    bootstrap_listener_port: Tri<f64>,
    cross_zone_load_balancing: Tri<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
struct BrokerConfig {
    availability_zone_id: Tri<String>,
    listener_port: Tri<f64>,
    host: Tri<String>,
    port: Tri<f64>,
    ip: Tri<String>,
    /// The endpoint service this broker sits behind, when brokers sit
    /// behind several (one load balancer each, or a few); else the
    /// top-level `endpoint_service_name`.
    #[serde(default)]
    endpoint_service_name: Tri<String>,
}

#[derive(Debug, Serialize)]
struct State {
    brokers: BTreeMap<String, BrokerConfig>,
    listener_port_base: u16,
    template: Option<String>,
    preset: Option<String>,
    unique_name: Option<String>,
    listener_name: String,
    bind_port: u16,
    security_protocol: String,
    endpoint_service_name: Option<String>,
    cross_region: bool,
    privatelink_connection_name: String,
    kafka_connection_name: String,
    tidbcloud_pattern: Option<String>,
    materialize_form: String,
    bootstrap_listener_port: Option<u16>,
    cross_zone_load_balancing: bool,
    broker_endpoints: BTreeMap<String, EndpointState>,
    patterns: BTreeMap<String, String>,
    materialize_sql: Option<String>,
    materialize_brokers: Vec<MaterializeBrokerState>,
    materialize_matching_rules: Vec<MatchingRuleState>,
    materialize_availability_zones: Vec<String>,
    materialize_privatelink_port: Option<u16>,
    risingwave_privatelink_targets: Option<String>,
    advertised_hosts: Option<Vec<String>>,
    advertised_host_wildcards: Option<Vec<String>>,
    bootstrap_servers: String,
}

#[derive(Debug, Serialize)]
struct MaterializeBrokerState {
    broker: String,
    privatelink_connection_name: Option<String>,
    target_group_port: Option<u16>,
    availability_zone: Option<String>,
}

#[derive(Debug, Serialize)]
struct MatchingRuleState {
    pattern: String,
    target_group_port: Option<u16>,
    availability_zone: Option<String>,
}

#[derive(Debug, Serialize)]
struct EndpointState {
    endpoint_service_name: Option<String>,
    listener_port: u16,
    availability_zone_id: String,
    advertised_host: String,
    advertised_listener: String,
    server_properties: String,
}

/// The endpoint service a broker sits behind, as far as the configuration
/// says: ports are checked within one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ServiceGroup<'a> {
    /// The top-level service, not known (or not given).
    Default,
    Known(&'a String),
    /// The broker's own service, unknown until apply: the broker's key.
    Unknown(&'a String),
}

/// Everything `check` could establish; complete only when nothing is unknown.
struct Checked {
    brokers: BTreeMap<BrokerId, (String, BrokerConfig)>,
    base: Option<u16>,
    template: Option<HostTemplate>,
    bind_port: Option<u16>,
    protocol: Option<SecurityProtocol>,
    form: Option<MaterializeForm>,
    bootstrap_port: Option<u16>,
    /// Which argument gave the template, for errors about it.
    template_from: &'static str,
    /// Each broker's endpoint service: its own, else the top-level one;
    /// absent when neither is known.
    services: BTreeMap<BrokerId, String>,
}

impl Checked {
    fn service(&self, id: BrokerId) -> Option<&String> {
        self.services.get(&id)
    }

    /// How many endpoint services the brokers sit behind.
    fn service_count(&self) -> usize {
        self.services.values().collect::<BTreeSet<_>>().len()
    }
}

impl BrokerEntry for BrokerConfig {
    fn port(&self) -> &Tri<f64> {
        &self.port
    }
    fn listener_port(&self) -> &Tri<f64> {
        &self.listener_port
    }
}

fn path(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

/// A known choice among `names` (`parse` reads it), `default` when unset;
/// `None` while unknown or invalid (reported).
fn choice<T>(
    c: &mut Checks,
    value: &Tri<String>,
    at: &str,
    summary: &str,
    parse: fn(&str) -> Option<T>,
    names: &[&str],
    default: T,
) -> Option<T> {
    match value {
        Tri::Known(v) => {
            let parsed = parse(v);
            if parsed.is_none() {
                c.fail(path(at), summary, format!("{v:?} is not one of {}.", names.join(", ")));
            }
            parsed
        }
        Tri::Null => Some(default),
        Tri::Unknown => None,
    }
}

impl super::values::Typed for Config {
    fn schema() -> Schema {
        schema()
    }
    fn check(&self) -> Checks {
        Config::check(self).0
    }
}

impl Config {
    /// Every check that needs no computation, one step per part of the
    /// configuration; what they establish, for `compute`.
    fn check(&self) -> (Checks, Checked) {
        let mut c = Checks::default();
        let mut out = Checked {
            brokers: BTreeMap::new(),
            base: port(&mut c, &self.listener_port_base, path("listener_port_base"), "listener port base"),
            template: None,
            bind_port: port(&mut c, &self.bind_port, path("bind_port"), "bind port"),
            protocol: None,
            form: None,
            bootstrap_port: None,
            template_from: "template",
            services: BTreeMap::new(),
        };
        if self.listener_port_base.is_null() {
            out.base = Some(DEFAULT_BASE);
        }
        if self.bind_port.is_null() {
            out.bind_port = Some(DEFAULT_BIND_PORT);
        }
        self.check_brokers(&mut c, &mut out);
        self.check_template(&mut c, &mut out);
        self.check_consumer_settings(&mut c, &mut out);
        (c, out)
    }

    /// The brokers, after the bootstrap listener's port (which none takes).
    /// Brokers behind different endpoint services are behind different load
    /// balancers: listener ports and the listener count are checked within
    /// each service (a broker whose service is unknown yet, alone).
    fn check_brokers(&self, c: &mut Checks, out: &mut Checked) {
        let mut bootstrap_claimed = ListenerPorts::default();
        out.bootstrap_port = bootstrap_claimed.claim(c, &self.bootstrap_listener_port, path("bootstrap_listener_port"));
        let Tri::Known(brokers) = &self.brokers else { return };
        // Brokers that name no service of their own share the top-level one,
        // known or not; a broker whose own service is unknown yet stands alone.
        let mut groups: BTreeMap<ServiceGroup<'_>, BTreeMap<String, BrokerConfig>> = BTreeMap::new();
        for (key, b) in brokers {
            let group = match (&b.endpoint_service_name, &self.endpoint_service_name) {
                (Tri::Known(s), _) | (Tri::Null, Tri::Known(s)) => ServiceGroup::Known(s),
                (Tri::Null, _) => ServiceGroup::Default,
                (Tri::Unknown, _) => ServiceGroup::Unknown(key),
            };
            groups.entry(group).or_default().insert(key.clone(), b.clone());
        }
        if groups.is_empty() {
            groups.insert(ServiceGroup::Default, BTreeMap::new());
        }
        let bootstrap = usize::from(!self.bootstrap_listener_port.is_null());
        for (group, members) in &groups {
            let mut listener_ports = bootstrap_claimed.clone();
            for (id, (key, b)) in check_brokers(c, members, bootstrap, Some(&mut listener_ports)) {
                out.brokers.insert(id, (key.clone(), b.clone()));
                if let ServiceGroup::Known(service) = group {
                    out.services.insert(id, (*service).clone());
                }
            }
        }
        for (key, b) in brokers {
            let bp = path("brokers").key(key.clone());
            c.string(
                &b.endpoint_service_name,
                bp.attribute("endpoint_service_name"),
                "Invalid endpoint service name",
                validate::check_endpoint_service_name,
            );
            let zone = bp.attribute("availability_zone_id");
            c.string(&b.availability_zone_id, zone.clone(), "Invalid availability zone id", validate::check_az_id);
            if b.availability_zone_id.is_null() {
                c.fail(
                    zone,
                    "Missing availability zone id",
                    "Every broker needs its availability_zone_id, e.g. \"use1-az1\".",
                );
            }
            c.string(&b.host, bp.attribute("host"), "Invalid host", validate::check_host);
        }
    }

    /// One of `template`, `preset` or `tidbcloud_pattern`, and the
    /// `unique_name` it may need.
    fn check_template(&self, c: &mut Checks, out: &mut Checked) {
        let sources =
            [("template", &self.template), ("preset", &self.preset), ("tidbcloud_pattern", &self.tidbcloud_pattern)];
        let given: Vec<&str> = sources.iter().filter(|(_, v)| !v.is_null()).map(|(n, _)| *n).collect();
        if given.len() > 1 {
            c.fail(
                path(given[1]),
                "Conflicting arguments",
                format!("Set one of template, preset and tidbcloud_pattern, not {}.", given.join(" and ")),
            );
        }
        let parsed = match (&self.template, &self.preset, &self.tidbcloud_pattern) {
            (Tri::Known(t), _, _) => {
                Some(("template", "Invalid template", HostTemplate::parse(t).map_err(|e| e.to_string())))
            }
            (_, Tri::Known(p), _) => {
                let known = PRESETS.iter().find(|(n, _)| n == p).map(|(_, t)| *t).ok_or_else(|| {
                    let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
                    format!("{p:?} is not a preset; the presets are: {}.", names.join(", "))
                });
                Some((
                    "preset",
                    "Unknown preset",
                    known.and_then(|t| HostTemplate::parse(t).map_err(|e| e.to_string())),
                ))
            }
            (_, _, Tri::Known(line)) => Some((
                "tidbcloud_pattern",
                "Invalid TiDB Cloud pattern",
                consumers::tidbcloud_template(line).and_then(|t| HostTemplate::parse(&t).map_err(|e| e.to_string())),
            )),
            _ => None,
        };
        match parsed {
            Some((from, _, Ok(t))) => {
                out.template = Some(t);
                out.template_from = from;
            }
            Some((from, summary, Err(e))) => c.fail(path(from), summary, e),
            None => {}
        }
        c.string(&self.unique_name, path("unique_name"), "Invalid unique name", validate::check_unique_name);
        if self.unique_name.is_null()
            && out.template.as_ref().is_some_and(|t| t.uses(listeners::Placeholder::UniqueName))
        {
            c.fail(path("unique_name"), "Missing unique name", "The template uses {unique_name}; set unique_name.");
        }
    }

    /// The listener's name and protocol, and what consumers are told.
    fn check_consumer_settings(&self, c: &mut Checks, out: &mut Checked) {
        c.string(&self.listener_name, path("listener_name"), "Invalid listener name", validate::check_listener_name);
        out.protocol = choice(
            c,
            &self.security_protocol,
            "security_protocol",
            "Invalid security protocol",
            SecurityProtocol::parse,
            &SecurityProtocol::NAMES,
            SecurityProtocol::Plaintext,
        );
        out.form = choice(
            c,
            &self.materialize_form,
            "materialize_form",
            "Invalid Materialize form",
            MaterializeForm::parse,
            &MaterializeForm::NAMES,
            MaterializeForm::Brokers,
        );
        c.string(
            &self.endpoint_service_name,
            path("endpoint_service_name"),
            "Invalid endpoint service name",
            validate::check_endpoint_service_name,
        );
        for (name, v) in [
            ("privatelink_connection_name", &self.privatelink_connection_name),
            ("kafka_connection_name", &self.kafka_connection_name),
        ] {
            c.string(v, path(name), "Invalid connection name", validate::check_sql_identifier);
        }
    }
}

/// Turns a domain error about one broker into a diagnostic at its path.
fn broker_error(
    keys: &BTreeMap<BrokerId, (String, BrokerConfig)>,
    id: BrokerId,
    attr: &str,
    summary: &str,
    detail: String,
) -> Diagnostic {
    let key = keys.get(&id).map_or_else(|| id.to_string(), |(k, _)| k.clone());
    Diagnostic::error(summary, detail).at(path("brokers").key(key).attribute(attr))
}

/// The listener port of every broker, as `kafka_privatelink` assigns them:
/// the bootstrap listener's port is nobody's.
/// Brokers behind different endpoint services are assigned apart: each
/// service's load balancer has its own ports.
fn assign(checked: &Checked) -> Result<BTreeMap<BrokerId, u16>, Diagnostic> {
    let mut groups: BTreeMap<Option<&String>, BTreeMap<String, PortAsk>> = BTreeMap::new();
    for (id, (key, b)) in &checked.brokers {
        let ask = PortAsk { explicit: b.listener_port.known().map(|p| *p as u16), current: None };
        groups.entry(checked.service(*id)).or_default().insert(key.clone(), ask);
    }
    let base = checked.base.unwrap_or(DEFAULT_BASE);
    let mut assigned = BTreeMap::new();
    for asks in groups.values() {
        assigned.extend(assign_listener_ports(asks, base, checked.bootstrap_port.map(|p| (p, None)))?);
    }
    let ids = checked.brokers.iter().map(|(id, (key, _))| (key, *id));
    Ok(ids.filter_map(|(key, id)| Some((id, *assigned.get(key)?))).collect())
}

/// What each broker advertises, in broker id order.
fn advertise(
    cfg: &ListenerConfig,
    checked: &Checked,
    assigned: &BTreeMap<BrokerId, u16>,
) -> Result<Vec<BrokerEndpoint>, Diagnostic> {
    let brokers: Vec<Broker> = checked
        .brokers
        .iter()
        .map(|(id, (_, b))| Broker {
            id: *id,
            az_id: b.availability_zone_id.known().cloned().unwrap_or_default(),
            listener_port: assigned[id],
            host: b.host.known().or(b.ip.known()).cloned(),
            port: b.port.known().map(|p| *p as u16),
        })
        .collect();
    listeners::endpoints(cfg, &brokers).map_err(|e| match e {
        listeners::ListenerError::MissingHost(id) => broker_error(
            &checked.brokers,
            id,
            "host",
            "Missing host",
            format!("{e}. Without a template or preset, each broker advertises its own host."),
        ),
        listeners::ListenerError::InvalidHost { broker, .. } => {
            broker_error(&checked.brokers, broker, "host", "Invalid advertised host", e.to_string())
        }
        listeners::ListenerError::MissingUniqueName => {
            Diagnostic::error("Missing unique name", e.to_string()).at(path("unique_name"))
        }
    })
}

/// Materialize's connection in the configured form, or why that form
/// cannot reach every broker, at the argument to change.
fn materialize_of(
    config: &Config,
    checked: &Checked,
    cfg: &ListenerConfig,
    endpoints: &[BrokerEndpoint],
    connections: &BTreeMap<BrokerId, String>,
) -> Result<consumers::Materialize, Diagnostic> {
    let form = checked.form.unwrap_or(MaterializeForm::Brokers);
    let wiring = consumers::Wiring {
        connections,
        template: cfg.template.as_ref(),
        unique_name: cfg.unique_name.as_deref().unwrap_or(""),
        cross_region: config.cross_region.known().copied().unwrap_or(false),
        cross_zone: config.cross_zone_load_balancing.known().copied().unwrap_or(false),
        bootstrap_port: checked.bootstrap_port,
    };
    // Services known for some brokers only still count: one connection
    // cannot reach them all.
    let services = checked.service_count();
    let made = if services > 1 && form != MaterializeForm::Brokers {
        Err(FormError::SeveralServices(form.as_str(), services))
    } else {
        consumers::materialize(form, endpoints, wiring)
    };
    made.map_err(|e| {
        let at = match &e {
            FormError::NoZoneInTemplate | FormError::Misrouted { .. } => checked.template_from,
            // the argument that asks for what is missing: an unset one has no line
            FormError::NeedsTemplate(_)
            | FormError::NeedsBootstrap
            | FormError::NeedsCrossZone(_)
            | FormError::SeveralServices(..) => "materialize_form",
        };
        Diagnostic::error(format!("Materialize's {} form cannot reach every broker", form.as_str()), format!("{e}."))
            .at(path(at))
    })
}

/// Each broker as configured with its listener port, and its endpoint.
fn brokers_out(
    checked: &Checked,
    endpoints: &[BrokerEndpoint],
) -> (BTreeMap<String, BrokerConfig>, BTreeMap<String, EndpointState>) {
    let mut brokers = BTreeMap::new();
    let mut broker_endpoints = BTreeMap::new();
    for e in endpoints {
        let (key, b) = &checked.brokers[&e.id];
        brokers
            .insert(key.clone(), BrokerConfig { listener_port: Tri::Known(f64::from(e.listener_port)), ..b.clone() });
        broker_endpoints.insert(key.clone(), EndpointState::of(e, checked.service(e.id)));
    }
    (brokers, broker_endpoints)
}

/// Consumers that take one endpoint service for every broker, refused when
/// brokers sit behind several: TiDB Cloud (its private link connection
/// reaches one service).
fn single_service_consumers(config: &Config, checked: &Checked) -> Result<(), Diagnostic> {
    let services = checked.service_count();
    let tidb = if !config.tidbcloud_pattern.is_null() {
        Some("tidbcloud_pattern")
    } else if config.preset.known().is_some_and(|p| p.starts_with("tidbcloud")) {
        Some("preset")
    } else {
        None
    };
    match tidb {
        Some(at) if services > 1 => Err(Diagnostic::error(
            "TiDB Cloud takes one endpoint service",
            format!(
                "TiDB Cloud's private link connection reaches one VPC endpoint service, and these brokers sit behind \
                 {services}: put them behind one load balancer and give them one endpoint_service_name, or use a \
                 consumer that takes a service per broker (Materialize's brokers form, ClickPipes)."
            ),
        )
        .at(path(at))),
        _ => Ok(()),
    }
}

/// Ports, then what brokers advertise, then what each consumer is told.
fn compute(config: &Config, checked: Checked) -> Result<State, Diagnostics> {
    let assigned = assign(&checked)?;
    let known = |t: &Tri<String>, default: &str| t.known().cloned().unwrap_or_else(|| default.to_owned());
    let cfg = ListenerConfig {
        template: checked.template.clone(),
        unique_name: config.unique_name.known().cloned(),
        listener_name: known(&config.listener_name, DEFAULT_LISTENER_NAME),
        bind_port: checked.bind_port.unwrap_or(DEFAULT_BIND_PORT),
        security_protocol: checked.protocol.unwrap_or(SecurityProtocol::Plaintext),
    };
    let endpoints = advertise(&cfg, &checked, &assigned)?;
    single_service_consumers(config, &checked)?;
    let cross_region = config.cross_region.known().copied().unwrap_or(false);
    let privatelink_name = known(&config.privatelink_connection_name, DEFAULT_PRIVATELINK_NAME);
    let kafka_name = known(&config.kafka_connection_name, DEFAULT_KAFKA_NAME);
    // Every broker's service known: Materialize's connections, one a service.
    let every_service = checked.services.len() == checked.brokers.len();
    let (privatelinks, connections) = if every_service {
        listeners::privatelinks(&privatelink_name, &checked.services)
    } else {
        // one service, or not every broker's known: one connection for all
        (Vec::new(), checked.brokers.keys().map(|id| (*id, privatelink_name.clone())).collect())
    };
    let materialize = materialize_of(config, &checked, &cfg, &endpoints, &connections)?;
    let materialize_sql = every_service.then(|| {
        let conn = MaterializeConnection { privatelinks, cross_region, kafka_name: kafka_name.clone() };
        consumers::materialize_sql(&conn, &materialize, cfg.security_protocol)
    });
    let advertised_hosts = consumers::dns_names(&endpoints, cfg.template.is_some());
    let az_ids: BTreeSet<String> = endpoints.iter().map(|e| e.az_id.clone()).collect();
    let (brokers_out, broker_endpoints) = brokers_out(&checked, &endpoints);
    Ok(State {
        brokers: brokers_out,
        listener_port_base: checked.base.unwrap_or(DEFAULT_BASE),
        template: config.template.known().cloned(),
        preset: config.preset.known().cloned(),
        unique_name: config.unique_name.known().cloned(),
        patterns: listeners::patterns(&cfg, &az_ids),
        bootstrap_servers: listeners::bootstrap_servers(&endpoints),
        listener_name: cfg.listener_name,
        bind_port: cfg.bind_port,
        security_protocol: cfg.security_protocol.as_str().to_owned(),
        endpoint_service_name: config.endpoint_service_name.known().cloned(),
        cross_region,
        privatelink_connection_name: privatelink_name,
        kafka_connection_name: kafka_name,
        tidbcloud_pattern: config.tidbcloud_pattern.known().cloned(),
        materialize_form: materialize.form.as_str().to_owned(),
        bootstrap_listener_port: checked.bootstrap_port,
        cross_zone_load_balancing: config.cross_zone_load_balancing.known().copied().unwrap_or(false),
        broker_endpoints,
        materialize_sql,
        materialize_brokers: materialize.brokers.into_iter().map(MaterializeBrokerState::from).collect(),
        materialize_matching_rules: materialize.rules.into_iter().map(MatchingRuleState::from).collect(),
        materialize_availability_zones: materialize.availability_zones,
        materialize_privatelink_port: materialize.privatelink_port,
        // RisingWave's targets share one `privatelink.endpoint`: one service.
        risingwave_privatelink_targets: (checked.service_count() <= 1)
            .then(|| consumers::risingwave_targets(&endpoints)),
        advertised_host_wildcards: advertised_hosts.as_deref().map(consumers::dns_wildcards),
        advertised_hosts,
    })
}

impl EndpointState {
    fn of(e: &BrokerEndpoint, service: Option<&String>) -> Self {
        EndpointState {
            endpoint_service_name: service.cloned(),
            listener_port: e.listener_port,
            availability_zone_id: e.az_id.clone(),
            advertised_host: e.advertised_host.clone(),
            advertised_listener: e.advertised_listener.clone(),
            server_properties: e.server_properties.clone(),
        }
    }
}

impl From<consumers::MaterializeBroker> for MaterializeBrokerState {
    fn from(b: consumers::MaterializeBroker) -> Self {
        MaterializeBrokerState {
            broker: b.broker,
            privatelink_connection_name: b.privatelink,
            target_group_port: b.target_group_port,
            availability_zone: b.availability_zone,
        }
    }
}

impl From<consumers::MatchingRule> for MatchingRuleState {
    fn from(r: consumers::MatchingRule) -> Self {
        MatchingRuleState {
            pattern: r.pattern,
            target_group_port: r.target_group_port,
            availability_zone: r.availability_zone,
        }
    }
}

#[async_trait]
impl DataSource for AdvertisedListeners {
    super::values::typed!(Config, "kafka_advertised_listeners");

    async fn read(&self, _ctx: &Context, config: Value) -> Result<Value, Diagnostics> {
        evaluate(&config)
    }
}

/// The data source's whole computation, from a configuration object to its
/// state: what `read` answers, and what the provider functions
/// (`super::functions`) call with the configuration their arguments make.
pub(super) fn evaluate(config: &Value) -> Result<Value, Diagnostics> {
    let parsed = from_value::<Config>(config).map_err(|e| Diagnostics::from(value_error("configuration", e)))?;
    let (checks, checked) = parsed.check();
    if checks.has_errors() {
        return Err(checks.0);
    }
    let state = compute(&parsed, checked)?;
    to_value(&state)
        .and_then(|v| v.conform(&schema().value_type()))
        .map_err(|e| value_error("data source state", e).into())
}

/// The data source's arguments and the attributes of its `brokers`
/// entries, for the functions that take the same.
pub(super) fn arguments() -> (Vec<String>, Vec<String>) {
    let schema = schema();
    let attributes = &schema.block.attributes;
    let names = attributes.iter().filter(|a| a.required || a.optional).map(|a| a.name.clone()).collect();
    let brokers = attributes
        .iter()
        .find_map(|a| match (&a.name[..], &a.ty) {
            ("brokers", AttributeType::Nested(_, nested)) => Some(nested.iter().map(|n| n.name.clone()).collect()),
            _ => None,
        })
        .unwrap_or_default();
    (names, brokers)
}

#[expect(clippy::too_many_lines, reason = "a schema builder: one attribute per line, each with its documentation")]
fn schema() -> Schema {
    let s = |name: &str, doc: &str| Attribute::new(name, Type::String).describe(doc);
    let n = |name: &str, doc: &str| Attribute::new(name, Type::Number).describe(doc);
    Schema::new(
        0,
        Block::new()
            .describe("Computes what Kafka brokers must advertise, and what PrivateLink consumers (TiDB Cloud, Materialize, any Kafka client) must be told, from one broker → NLB listener port assignment — the same assignment `kafka_privatelink` uses. Pure computation: needs no AWS access.")
            .attribute(
                Attribute::nested(
                    "brokers",
                    Nesting::Map,
                    vec![
                        s("availability_zone_id", "Availability zone **id** of the broker, e.g. `usw2-az1` (not a zone name like `us-west-2a`).").required(),
                        n("listener_port", "NLB listener port of this broker. When unset: `listener_port_base` + the broker's rank among the brokers behind its endpoint service (all of them, with one service) sorted by numeric id, skipping ports taken explicitly.").optional_computed(),
                        s("host", "The broker's own address (e.g. `b-1.hostname-1`), advertised when no `template`/`preset` is given."),
                        n("port", "The broker's own port (e.g. `9096`). Defaults to `bind_port`."),
                        s("ip", "The broker's IP address; used as its host when `host` is unset."),
                        s("endpoint_service_name", "The VPC endpoint service this broker sits behind, when brokers sit behind several (one load balancer each, as ClickHouse's MSK module and AWS's cross-account MSK sample build them). Defaults to the top-level `endpoint_service_name`. Listener ports need only be distinct within one service."),
                    ],
                )
                .required()
                .describe("The brokers, keyed by broker id as a decimal string (`\"1\"`), Kafka's `broker.id`/`node.id`. `kafka_privatelink.<name>.brokers` can be passed as it is (its other attributes are ignored)."),
            )
            .attribute(n("listener_port_base", &format!("First NLB listener port for brokers without an explicit `listener_port`. Default `{DEFAULT_BASE}`.")).optional_computed())
            .attribute(s("template", "Advertised host template with placeholders `{broker_id}`, `{az_id}` and `{unique_name}`, e.g. `kafka-{broker_id}.{az_id}.example.com`. Conflicts with `preset`."))
            .attribute(s("preset", "A named template: `tidbcloud` (or `tidbcloud_essential`) = `b{broker_id}.{az_id}.{unique_name}.aws.plc.tidbcloud.com`, TiDB Cloud Essential's private link domain. Conflicts with `template` and `tidbcloud_pattern`."))
            .attribute(s("tidbcloud_pattern", "A \"Kafka Advertised Listener Pattern\" line pasted as TiDB Cloud's console shows it, for any one zone: `<broker_id>.usw2-az1.abc.us-west-2.aws.3199015.tidbcloud.com:<port>` (Dedicated), `<broker_id>.usw2-az1.<unique name>.aws.plc.tidbcloud.com:<port>` (Essential), or a custom domain of that shape; a leading `usw2-az1 =>` is allowed. It becomes the template `b{broker_id}.{az_id}.<rest>`: TiDB's `<broker_id>` is `b` and the broker's id. Conflicts with `template` and `preset`."))
            .attribute(s("unique_name", "The unique name of the consumer's private link domain (TiDB Cloud), lowercase letters and digits."))
            .attribute(s("listener_name", &format!("Name of the Kafka listener brokers add for PrivateLink. Default `{DEFAULT_LISTENER_NAME}`.")).optional_computed())
            .attribute(n("bind_port", &format!("Broker-side port of that listener, the NLB targets' port. Default `{DEFAULT_BIND_PORT}`.")).optional_computed())
            .attribute(s("security_protocol", "Kafka security protocol of the listener: `PLAINTEXT` (default), `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`.").optional_computed())
            .attribute(s("endpoint_service_name", "Name of the VPC endpoint service, `com.amazonaws.vpce.<region>.vpce-svc-…`, for brokers that name none of their own. `materialize_sql` needs every broker's: one `CREATE CONNECTION … TO AWS PRIVATELINK` per service, the lowest broker's service named `privatelink_connection_name`, each other `<privatelink_connection_name>_b<lowest broker id behind it>`."))
            .attribute(Attribute::new("cross_region", Type::Bool).optional_computed().describe("Cross-region PrivateLink: Materialize statements name no availability zones. Default `false`."))
            .attribute(s("privatelink_connection_name", &format!("Name of Materialize's PrivateLink connection. Default `{DEFAULT_PRIVATELINK_NAME}`.")).optional_computed())
            .attribute(s("kafka_connection_name", &format!("Name of Materialize's Kafka connection. Default `{DEFAULT_KAFKA_NAME}`.")).optional_computed())
            .attribute(s("materialize_form", "Which form of Materialize's Kafka connection `materialize_sql` and the `materialize_*` lists take: `brokers` (default; every broker by its address, with its port and zone), `matching` (one static broker, then a `MATCHING` rule per availability zone that routes brokers by the name they advertise: needs a template with `{az_id}`), or `default` (`AWS PRIVATELINK <connection> (PORT <bootstrap_listener_port>)`: needs a template, `bootstrap_listener_port`, and `cross_zone_load_balancing` unless every broker is in one zone). A form that cannot reach every broker is refused at plan, saying why.").optional_computed())
            .attribute(n("bootstrap_listener_port", "The bootstrap listener's port (`kafka_privatelink`'s `bootstrap.listener_port`): kept free when ports are assigned, as the resource does, and the default Materialize form's `PORT`."))
            .attribute(Attribute::new("cross_zone_load_balancing", Type::Bool).optional_computed().describe("Whether the load balancer balances across zones (`kafka_privatelink`'s `cross_zone_load_balancing`); the default Materialize form needs it with brokers in several zones. Default `false`."))
            .attribute(
                Attribute::nested(
                    "broker_endpoints",
                    Nesting::Map,
                    vec![
                        s("endpoint_service_name", "The endpoint service the broker sits behind (its own, else the top-level one): with its `advertised_host`, what a consumer that maps names per service (ClickPipes' reverse private endpoints) takes.").computed(),
                        n("listener_port", "NLB listener port.").computed(),
                        s("availability_zone_id", "Availability zone id.").computed(),
                        s("advertised_host", "Host the broker advertises.").computed(),
                        s("advertised_listener", "The broker's `advertised.listeners` entry, e.g. `EXTERNAL://b1.usw2-az1.abc.aws.plc.tidbcloud.com:9093`.").computed(),
                        s("server_properties", "The `listeners=`, `advertised.listeners=` and `listener.security.protocol.map=` lines for this listener; merge them with the broker's other listeners.").computed(),
                    ],
                )
                .computed()
                .describe("Per broker id: what the broker must advertise."),
            )
            .attribute(Attribute::new("patterns", Type::map(Type::String)).computed().describe("Per availability zone id, the advertised-listener pattern, e.g. `b<broker_id>.usw2-az1.abc.aws.plc.tidbcloud.com:<port>`. Empty without a template."))
            .attribute(s("materialize_sql", "Materialize's `CREATE CONNECTION … TO AWS PRIVATELINK` and `CREATE CONNECTION … TO KAFKA` statements, in `materialize_form`. Null unless every broker's endpoint service is known (its own `endpoint_service_name`, else the top-level one).").computed())
            .attribute(
                Attribute::new("materialize_brokers", Type::list(Type::object([("broker", Type::String), ("privatelink_connection_name", Type::String), ("target_group_port", Type::Number), ("availability_zone", Type::String)])))
                    .computed()
                    .describe("For Materialize's provider: one `kafka_broker` block each (`dynamic \"kafka_broker\" { for_each = … }`), sorted by numeric broker id: `broker` (`host:port` as advertised), `privatelink_connection_name` (the PrivateLink connection it goes through: one per endpoint service), `target_group_port` (its listener port) and `availability_zone` (null cross-region). Every broker in the `brokers` form, the one static broker in the `matching` form, none in the `default` form."),
            )
            .attribute(
                Attribute::new("materialize_matching_rules", Type::list(Type::object([("pattern", Type::String), ("target_group_port", Type::Number), ("availability_zone", Type::String)])))
                    .computed()
                    .describe("For Materialize's provider's `broker_matching_rule` blocks, in the `matching` form: per availability zone, a `pattern` matching the `host:port` of that zone's brokers (`*.use1-az1.kafka.example.com:*`), `target_group_port` null (each broker advertises its own listener port), and the `availability_zone`. Empty in the other forms."),
            )
            .attribute(Attribute::new("materialize_availability_zones", Type::list(Type::String)).computed().describe("For `materialize_connection_aws_privatelink.availability_zones`: the brokers' zone ids, sorted; empty cross-region."))
            .attribute(n("materialize_privatelink_port", "For Materialize's provider's `aws_privatelink.privatelink_connection_port` in the `default` form: the bootstrap listener's port. Null in the other forms.").computed())
            .attribute(s("risingwave_privatelink_targets", "RisingWave's `privatelink.targets`: a JSON list of `{\"port\": <listener port>}`, one per broker in `bootstrap_servers` order, as RisingWave requires. Null when brokers sit behind several endpoint services: RisingWave's targets share one endpoint.").computed())
            .attribute(Attribute::new("advertised_hosts", Type::list(Type::String)).computed().describe("The names brokers advertise, in broker id order, for consumers that map names onto their endpoint (ClickPipes' custom private DNS, Databricks' `domain_names`, Confluent's DNS records). Null without a template: brokers advertising their own hosts on their own ports cannot be routed by name."))
            .attribute(Attribute::new("advertised_host_wildcards", Type::list(Type::String)).computed().describe("One-label wildcards (`*.use1-az1.kafka.example.com`) covering `advertised_hosts`, one per parent domain of at least three labels, for consumers that take wildcards (ClickPipes): a wildcard sends every name under its parent to the endpoint, so names directly under a domain (`kafka-1.example.com`) get none and are given exactly. Null without a template."))
            .attribute(s("bootstrap_servers", "Comma-separated advertised `host:port` list, for clients' `bootstrap.servers`.").computed()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::api::diag::Severity;

    fn brokers(entries: &[(&str, &str, Option<i64>)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(id, az, lp)| {
                    let mut m = BTreeMap::from([("availability_zone_id".to_owned(), Value::from(*az))]);
                    if let Some(p) = lp {
                        m.insert("listener_port".into(), Value::from(*p));
                    }
                    ((*id).to_owned(), Value::Object(m))
                })
                .collect(),
        )
    }

    fn config(attrs: Vec<(&str, Value)>) -> Value {
        let v = Value::Object(attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        v.conform(&schema().value_type()).unwrap()
    }

    fn errors_at(diags: &Diagnostics) -> Vec<String> {
        diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.path.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect()
    }

    async fn read(c: Value) -> Result<Value, Diagnostics> {
        AdvertisedListeners.read(&Context::default(), c).await
    }

    #[tokio::test]
    async fn tidb_cloud_example() {
        let c = config(vec![
            ("brokers", brokers(&[("1", "usw2-az1", None), ("2", "usw2-az2", None), ("3", "usw2-az3", None)])),
            ("preset", "tidbcloud".into()),
            ("unique_name", "abc".into()),
            ("listener_port_base", 9093.into()),
        ]);
        let s = read(c).await.unwrap();
        let ep = s.get("broker_endpoints");
        assert_eq!(
            ep.get("2").get("advertised_listener"),
            &Value::from("EXTERNAL://b2.usw2-az2.abc.aws.plc.tidbcloud.com:9094")
        );
        assert_eq!(s.get("brokers").get("3").get("listener_port"), &Value::from(9095));
        assert_eq!(
            s.get("patterns").get("usw2-az3"),
            &Value::from("b<broker_id>.usw2-az3.abc.aws.plc.tidbcloud.com:<port>")
        );
        assert_eq!(s.get("materialize_sql"), &Value::Null);
        assert_eq!(s.get("listener_name"), &Value::from("EXTERNAL"));
    }

    #[test]
    fn bad_input_is_reported_at_its_path() {
        let c = config(vec![
            (
                "brokers",
                brokers(&[
                    ("-1", "usw2-az1", None),
                    ("x", "us-west-2a", Some(70000)),
                    ("5", "usw2-az1", Some(9001)),
                    ("6", "usw2-az2", Some(9001)),
                ]),
            ),
            ("template", "b{id}.example.com".into()),
            ("unique_name", "ABC".into()),
            ("security_protocol", "TLS".into()),
            ("endpoint_service_name", "vpce-svc-123".into()),
        ]);
        let d = AdvertisedListeners.validate(&c);
        let at = errors_at(&d);
        for expected in [
            r#"brokers["-1"]"#,
            r#"brokers["x"]"#,
            r#"brokers["x"].availability_zone_id"#,
            r#"brokers["x"].listener_port"#,
            r#"brokers["6"].listener_port"#,
            "template",
            "unique_name",
            "security_protocol",
            "endpoint_service_name",
        ] {
            assert!(at.contains(&expected.to_owned()), "missing {expected} in {at:?}");
        }
    }

    #[test]
    fn more_than_fifty_listeners_is_refused() {
        let many: Vec<(String, String)> = (0..51).map(|i| (i.to_string(), "use1-az1".to_owned())).collect();
        let entries: Vec<(&str, &str, Option<i64>)> =
            many.iter().map(|(i, a)| (i.as_str(), a.as_str(), None)).collect();
        let c = config(vec![("brokers", brokers(&entries)), ("template", "b{broker_id}.x.example.com".into())]);
        assert_eq!(errors_at(&AdvertisedListeners.validate(&c)), vec!["brokers".to_owned()]);
    }

    #[test]
    fn unknown_values_pass_validation() {
        let c =
            config(vec![("brokers", Value::Unknown), ("template", Value::Unknown), ("unique_name", Value::Unknown)]);
        assert!(!AdvertisedListeners.validate(&c).has_errors());
    }

    #[tokio::test]
    async fn host_mode_without_host_names_the_broker() {
        let c = config(vec![("brokers", brokers(&[("7", "use1-az1", None)]))]);
        let e = read(c).await.unwrap_err();
        assert_eq!(errors_at(&e), vec![r#"brokers["7"].host"#.to_owned()]);
    }

    /// Brokers whose service is the top-level one, unknown until apply,
    /// share one load balancer: their ports are still checked against each
    /// other; each broker naming its own service is checked apart, so they
    /// may share a port; a bad bootstrap port is reported once.
    #[test]
    fn ports_are_checked_within_each_service_known_or_not() {
        let with_services = |services: [Option<&str>; 2]| {
            let mut b = brokers(&[("1", "usw2-az1", Some(9001)), ("2", "usw2-az2", Some(9001))]);
            if let Value::Map(m) = &mut b {
                for ((_, v), svc) in m.iter_mut().zip(services) {
                    if let (Value::Object(o), Some(svc)) = (v, svc) {
                        o.insert("endpoint_service_name".into(), Value::from(svc));
                    }
                }
            }
            b
        };
        let top_unknown =
            config(vec![("brokers", with_services([None, None])), ("endpoint_service_name", Value::Unknown)]);
        assert_eq!(errors_at(&AdvertisedListeners.validate(&top_unknown)), ["brokers[\"2\"].listener_port"]);
        let a = "com.amazonaws.vpce.us-west-2.vpce-svc-0a1b2c3d4e5f60701";
        let b = "com.amazonaws.vpce.us-west-2.vpce-svc-0a1b2c3d4e5f60702";
        let apart = config(vec![("brokers", with_services([Some(a), Some(b)]))]);
        assert!(errors_at(&AdvertisedListeners.validate(&apart)).is_empty());
        let bad_bootstrap =
            config(vec![("brokers", with_services([Some(a), Some(b)])), ("bootstrap_listener_port", Value::from(0))]);
        assert_eq!(errors_at(&AdvertisedListeners.validate(&bad_bootstrap)), ["bootstrap_listener_port"]);
    }
}
