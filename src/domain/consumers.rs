//! What each consumer is told, in the form it takes as it is, computed
//! from the brokers' endpoints (`listeners::endpoints`), so that every
//! output agrees with what the brokers advertise and with the listener
//! ports:
//! - Materialize, in each form its `CREATE CONNECTION … TO KAFKA` accepts
//!   (per-broker `BROKERS`, `MATCHING` rules per availability zone, the
//!   default `AWS PRIVATELINK`), as SQL and as the lists its Terraform
//!   provider's blocks take;
//! - RisingWave's `privatelink.targets`;
//! - the host names DNS-based consumers map to their endpoint (ClickPipes,
//!   Databricks, Confluent);
//! - a TiDB Cloud console pattern turned into a template.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::listeners::{BrokerEndpoint, HostTemplate, MaterializeConnection, SecurityProtocol};
use super::ports::BrokerId;
use super::validate;

/// The forms of Materialize's Kafka connection over PrivateLink
/// (<https://materialize.com/docs/sql/create-connection/>, "Kafka", "AWS
/// PrivateLink").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaterializeForm {
    /// `BROKERS ('host:port' USING AWS PRIVATELINK c (PORT n, AVAILABILITY ZONE 'az'), …)`.
    Brokers,
    /// One static broker, then `MATCHING '<pattern>' USING AWS PRIVATELINK c
    /// (AVAILABILITY ZONE 'az')` per zone: brokers found later are routed by
    /// the `host:port` they advertise.
    Matching,
    /// `AWS PRIVATELINK c (PORT n)`: the endpoint's own address for
    /// bootstrap, every broker's advertised port kept.
    Default,
}

impl MaterializeForm {
    pub const NAMES: [&'static str; 3] = ["brokers", "matching", "default"];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "brokers" => Self::Brokers,
            "matching" => Self::Matching,
            "default" => Self::Default,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// One `kafka_broker` block of Materialize's provider (a static broker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterializeBroker {
    /// `host:port`, as the broker advertises it.
    pub broker: String,
    /// The PrivateLink connection it goes through (`Wiring::connections`);
    /// `None`: the one connection.
    pub privatelink: Option<String>,
    pub target_group_port: Option<u16>,
    pub availability_zone: Option<String>,
}

/// One `broker_matching_rule` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchingRule {
    pub pattern: String,
    /// Always `None` here: a rule's port serves every broker it matches,
    /// and each broker has a listener port of its own, which it advertises.
    pub target_group_port: Option<u16>,
    pub availability_zone: Option<String>,
}

/// Materialize's connection in one form, as data: the SQL and the
/// provider's blocks are both rendered from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Materialize {
    pub form: MaterializeForm,
    pub brokers: Vec<MaterializeBroker>,
    pub rules: Vec<MatchingRule>,
    /// The default form's port (`aws_privatelink.privatelink_connection_port`).
    pub privatelink_port: Option<u16>,
    /// For `materialize_connection_aws_privatelink.availability_zones`:
    /// the brokers' zone ids, none cross-region.
    pub availability_zones: Vec<String>,
}

/// What the forms depend on beyond the endpoints.
#[derive(Debug, Clone, Copy)]
pub struct Wiring<'a> {
    /// Brokers advertise names from this template, on their listener port.
    pub template: Option<&'a HostTemplate>,
    pub unique_name: &'a str,
    pub cross_region: bool,
    pub cross_zone: bool,
    pub bootstrap_port: Option<u16>,
    /// Each broker's PrivateLink connection (`listeners::privatelinks`); a
    /// broker not in it goes through the one connection.
    pub connections: &'a BTreeMap<BrokerId, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error(
        "the {0} form routes brokers by the host:port they advertise, so every broker must advertise a name on its own listener port: set template, preset or tidbcloud_pattern, or use the brokers form"
    )]
    NeedsTemplate(&'static str),
    #[error(
        "MATCHING rules route each broker to the endpoint in its availability zone, so the advertised name must carry the zone: the template needs {{az_id}}, before or after {{broker_id}}"
    )]
    NoZoneInTemplate,
    #[error("broker {broker}'s address {address} would be routed by the rule {rule:?} of another zone")]
    Misrouted { broker: BrokerId, address: String, rule: String },
    #[error(
        "the default form connects first to the endpoint on the bootstrap listener's port: set bootstrap_listener_port (kafka_privatelink's bootstrap.listener_port)"
    )]
    NeedsBootstrap,
    #[error(
        "the default form names no availability zone, so a connection for a broker may enter the load balancer in any of its zones ({}) and find no target there without cross-zone load balancing: set cross_zone_load_balancing = true (as on kafka_privatelink), or use the matching or brokers form",
        .0.join(", ")
    )]
    NeedsCrossZone(Vec<String>),
    #[error(
        "the {0} form reaches the brokers through one PrivateLink connection, and these brokers sit behind {1} endpoint services: use the brokers form, which names each broker's connection"
    )]
    SeveralServices(&'static str, usize),
}

/// Whether `address` (`host:port`) matches a MATCHING pattern: a leading
/// `*` matches any prefix, a trailing `*` any suffix, the rest literally
/// (Materialize's docs, "Broker matching rules").
pub fn pattern_matches(pattern: &str, address: &str) -> bool {
    let (any_prefix, rest) = match pattern.strip_prefix('*') {
        Some(r) => (true, r),
        None => (false, pattern),
    };
    let (any_suffix, literal) = match rest.strip_suffix('*') {
        Some(l) => (true, l),
        None => (false, rest),
    };
    match (any_prefix, any_suffix) {
        (true, true) => address.contains(literal),
        (true, false) => address.ends_with(literal),
        (false, true) => address.starts_with(literal),
        (false, false) => address == literal,
    }
}

/// The MATCHING pattern of zone `az` for brokers named by `template`: the
/// name's zone-bearing side of the broker id, the other side a wildcard.
fn zone_pattern(template: &HostTemplate, az: &str, unique_name: &str) -> Option<String> {
    const SLOT: &str = "\u{1}";
    let host = template.fill(SLOT, az, unique_name);
    let (before, after) = (host.split(SLOT).next()?, host.rsplit(SLOT).next()?);
    if after.contains(az) {
        Some(format!("*{after}:*"))
    } else if before.contains(az) {
        Some(format!("{before}*"))
    } else {
        None
    }
}

fn zones(endpoints: &[BrokerEndpoint]) -> Vec<String> {
    endpoints.iter().map(|e| e.az_id.clone()).collect::<BTreeSet<_>>().into_iter().collect()
}

fn address(e: &BrokerEndpoint) -> String {
    format!("{}:{}", e.advertised_host, e.advertised_port)
}

/// Materialize's connection in `form`, or why that form cannot reach every
/// broker. `endpoints` are in broker id order.
pub fn materialize(
    form: MaterializeForm,
    endpoints: &[BrokerEndpoint],
    w: Wiring<'_>,
) -> Result<Materialize, FormError> {
    let zone_of = |e: &BrokerEndpoint| (!w.cross_region).then(|| e.az_id.clone());
    let services = w.connections.values().collect::<BTreeSet<_>>().len();
    if services > 1 && form != MaterializeForm::Brokers {
        return Err(FormError::SeveralServices(form.as_str(), services));
    }
    let by_address = |e: &BrokerEndpoint| MaterializeBroker {
        broker: address(e),
        privatelink: w.connections.get(&e.id).cloned(),
        target_group_port: Some(e.listener_port),
        availability_zone: zone_of(e),
    };
    let availability_zones = if w.cross_region { Vec::new() } else { zones(endpoints) };
    let mut m =
        Materialize { form, brokers: Vec::new(), rules: Vec::new(), privatelink_port: None, availability_zones };
    match form {
        MaterializeForm::Brokers => {
            m.brokers = endpoints.iter().map(by_address).collect();
        }
        MaterializeForm::Matching => {
            let template = w.template.ok_or(FormError::NeedsTemplate("matching"))?;
            for az in zones(endpoints) {
                let pattern = zone_pattern(template, &az, w.unique_name).ok_or(FormError::NoZoneInTemplate)?;
                m.rules.push(MatchingRule {
                    pattern,
                    target_group_port: None,
                    availability_zone: (!w.cross_region).then_some(az),
                });
            }
            // First matching rule wins: each broker must meet its own zone's first.
            for e in endpoints {
                let address = address(e);
                let first = m.rules.iter().zip(zones(endpoints)).find(|(r, _)| pattern_matches(&r.pattern, &address));
                match first {
                    Some((_, az)) if az == e.az_id => {}
                    Some((rule, _)) => {
                        return Err(FormError::Misrouted { broker: e.id, address, rule: rule.pattern.clone() });
                    }
                    None => return Err(FormError::NoZoneInTemplate),
                }
            }
            // A static entry to bootstrap from: the lowest broker id.
            m.brokers = endpoints.first().map(by_address).into_iter().collect();
        }
        MaterializeForm::Default => {
            if w.template.is_none() {
                return Err(FormError::NeedsTemplate("default"));
            }
            m.privatelink_port = Some(w.bootstrap_port.ok_or(FormError::NeedsBootstrap)?);
            let zones = zones(endpoints);
            if zones.len() > 1 && !w.cross_zone && !w.cross_region {
                return Err(FormError::NeedsCrossZone(zones));
            }
        }
    }
    Ok(m)
}

/// `(PORT n, AVAILABILITY ZONE 'az')`, or nothing when neither is set.
fn options(port: Option<u16>, zone: Option<&str>) -> String {
    let mut o = Vec::new();
    if let Some(p) = port {
        o.push(format!("PORT {p}"));
    }
    if let Some(z) = zone {
        o.push(format!("AVAILABILITY ZONE {}", quote(z)));
    }
    if o.is_empty() { String::new() } else { format!(" ({})", o.join(", ")) }
}

/// Materialize's two statements for `m`, as its documentation writes
/// them.
pub fn materialize_sql(conn: &MaterializeConnection, m: &Materialize, protocol: SecurityProtocol) -> String {
    let pl = conn.privatelinks.first().map_or("", |p| p.name.as_str());
    let zones = m.availability_zones.iter().map(|z| quote(z)).collect::<Vec<_>>().join(", ");
    let mut sql = String::new();
    for link in &conn.privatelinks {
        let _ = write!(
            sql,
            "CREATE CONNECTION {} TO AWS PRIVATELINK (\n    SERVICE NAME {},\n    AVAILABILITY ZONES ({zones})\n);\n\n",
            link.name,
            quote(&link.service_name)
        );
    }
    let _ = writeln!(sql, "CREATE CONNECTION {} TO KAFKA (", conn.kafka_name);
    match m.privatelink_port {
        Some(port) => {
            let _ = writeln!(sql, "    AWS PRIVATELINK {pl} (PORT {port}),");
        }
        None => {
            let mut entries: Vec<String> = m
                .brokers
                .iter()
                .map(|b| {
                    let o = options(b.target_group_port, b.availability_zone.as_deref());
                    let via = b.privatelink.as_deref().unwrap_or(pl);
                    format!("{} USING AWS PRIVATELINK {via}{o}", quote(&b.broker))
                })
                .collect();
            entries.extend(m.rules.iter().map(|r| {
                let o = options(r.target_group_port, r.availability_zone.as_deref());
                format!("MATCHING {} USING AWS PRIVATELINK {pl}{o}", quote(&r.pattern))
            }));
            let _ = writeln!(sql, "    BROKERS (\n        {}\n    ),", entries.join(",\n        "));
        }
    }
    let _ = write!(sql, "    SECURITY PROTOCOL = {}\n);\n", quote(protocol.as_str()));
    sql
}

/// A SQL string literal.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// RisingWave's `privatelink.targets`: one `{"port": n}` per broker, in
/// `bootstrap_servers` order ("each target listed corresponds to each
/// broker specified in the properties.bootstrap.server field"; RisingWave's
/// Kafka sink docs).
pub fn risingwave_targets(endpoints: &[BrokerEndpoint]) -> String {
    let items: Vec<String> = endpoints.iter().map(|e| format!("{{\"port\":{}}}", e.listener_port)).collect();
    format!("[{}]", items.join(","))
}

/// The names DNS-based consumers map onto their endpoint, in broker id
/// order, when every broker advertises a name on its own listener port
/// (template mode); `None` otherwise: a broker's own host on its own port
/// cannot be told apart from the others by name.
pub fn dns_names(endpoints: &[BrokerEndpoint], template_mode: bool) -> Option<Vec<String>> {
    if !template_mode {
        return None;
    }
    let mut seen = BTreeSet::new();
    Some(
        endpoints
            .iter()
            .filter(|e| seen.insert(e.advertised_host.clone()))
            .map(|e| e.advertised_host.clone())
            .collect(),
    )
}

/// One-label wildcards (`*.<parent>`) covering `names`, as ClickPipes'
/// custom private DNS takes them ("a wildcard matches a single DNS label"):
/// one per parent domain of at least three labels. A wildcard sends every
/// name under its parent to the consumer's endpoint, so a parent that looks
/// like a whole domain (`example.com`) gets none: its names are given
/// exactly (`dns_names`).
pub fn dns_wildcards(names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter_map(|n| n.split_once('.').map(|(_, parent)| parent))
        .filter(|parent| parent.matches('.').count() >= 2)
        .map(|parent| format!("*.{parent}"))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// A line of TiDB Cloud's "Kafka Advertised Listener Pattern" as its
/// console shows it (`usw2-az1 => <broker_id>.usw2-az1.abc.us-west-2.aws.3199015.tidbcloud.com:<port>`,
/// the zone prefix optional) turned into a template: TiDB's `<broker_id>`
/// is `b` and the broker's `node.id`, the zone label becomes `{az_id}`.
/// Works for every TiDB family (Dedicated, Essential) and a custom domain
/// of that shape.
pub fn tidbcloud_template(line: &str) -> Result<String, String> {
    let bad = |why: &str| {
        Err(format!(
            "{why}; expected the pattern as TiDB Cloud shows it, such as \"<broker_id>.usw2-az1.abc.us-west-2.aws.3199015.tidbcloud.com:<port>\""
        ))
    };
    let pattern = line.rsplit("=>").next().unwrap_or(line).trim();
    let Some(rest) = pattern.strip_prefix("<broker_id>.") else { return bad("it does not start with <broker_id>.") };
    let Some(host) = rest.strip_suffix(":<port>") else { return bad("it does not end with :<port>") };
    let Some((zone, domain)) = host.split_once('.') else { return bad("it has no zone label") };
    if validate::check_az_id(zone).is_err() {
        return bad(&format!("its first label {zone:?} is not an availability zone id"));
    }
    if let Err(e) = validate::check_host(domain) {
        return bad(&e);
    }
    Ok(format!("b{{broker_id}}.{{az_id}}.{domain}"))
}

#[cfg(test)]
mod tests;
