//! What brokers advertise and what consumers are told, computed from one
//! broker → listener-port assignment.
//!
//! Two ways of addressing a broker behind PrivateLink:
//! - **template** (TiDB Cloud style): each broker advertises a host made from
//!   a template (`b{broker_id}.{az_id}.{unique_name}.aws.plc.tidbcloud.com`)
//!   with its NLB listener port; the consumer resolves those names to its
//!   endpoint. The broker listens on `bind_port`.
//! - **host** (Materialize style): each broker keeps advertising its own
//!   `host:port`; the consumer maps that address onto the NLB port
//!   (`USING AWS PRIVATELINK … (PORT 9001)`).

use std::collections::{BTreeMap, BTreeSet};

use super::ports::BrokerId;
use super::validate;

/// The TiDB Cloud private link domain layout.
pub const TIDBCLOUD_TEMPLATE: &str = "b{broker_id}.{az_id}.{unique_name}.aws.plc.tidbcloud.com";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    BrokerId,
    AzId,
    UniqueName,
}

impl Placeholder {
    const ALL: [(&'static str, Placeholder); 3] =
        [("broker_id", Placeholder::BrokerId), ("az_id", Placeholder::AzId), ("unique_name", Placeholder::UniqueName)];
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Slot(Placeholder),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{0}}}: use {{broker_id}}, {{az_id}} or {{unique_name}}")]
    UnknownPlaceholder(String),
    #[error("unbalanced brace at character {0}: placeholders look like {{broker_id}}")]
    Unbalanced(usize),
    #[error("the template must contain {{broker_id}}, or every broker would advertise the same host")]
    NoBrokerId,
}

/// A parsed advertised-host template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostTemplate(Vec<Part>);

impl HostTemplate {
    pub fn parse(template: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = template;
        let mut offset = 0;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                None => {
                    parts.push(Part::Text(rest.to_owned()));
                    break;
                }
                Some(i) if rest.as_bytes()[i] == b'}' => return Err(TemplateError::Unbalanced(offset + i)),
                Some(i) => {
                    if i > 0 {
                        parts.push(Part::Text(rest[..i].to_owned()));
                    }
                    let close = rest[i..].find('}').ok_or(TemplateError::Unbalanced(offset + i))? + i;
                    let name = &rest[i + 1..close];
                    if name.contains('{') {
                        return Err(TemplateError::Unbalanced(offset + i));
                    }
                    let slot = Placeholder::ALL
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, p)| *p)
                        .ok_or_else(|| TemplateError::UnknownPlaceholder(name.to_owned()))?;
                    parts.push(Part::Slot(slot));
                    offset += close + 1;
                    rest = &rest[close + 1..];
                }
            }
        }
        let t = Self(parts);
        if !t.uses(Placeholder::BrokerId) {
            return Err(TemplateError::NoBrokerId);
        }
        Ok(t)
    }

    pub fn uses(&self, p: Placeholder) -> bool {
        self.0.contains(&Part::Slot(p))
    }

    /// The host for one broker in one zone.
    pub fn fill(&self, broker_id: &str, az_id: &str, unique_name: &str) -> String {
        self.0.iter().fold(String::new(), |mut s, part| {
            s.push_str(match part {
                Part::Text(t) => t,
                Part::Slot(Placeholder::BrokerId) => broker_id,
                Part::Slot(Placeholder::AzId) => az_id,
                Part::Slot(Placeholder::UniqueName) => unique_name,
            });
            s
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityProtocol {
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl SecurityProtocol {
    pub const NAMES: [&'static str; 4] = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "PLAINTEXT" => Self::Plaintext,
            "SSL" => Self::Ssl,
            "SASL_PLAINTEXT" => Self::SaslPlaintext,
            "SASL_SSL" => Self::SaslSsl,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plaintext => "PLAINTEXT",
            Self::Ssl => "SSL",
            Self::SaslPlaintext => "SASL_PLAINTEXT",
            Self::SaslSsl => "SASL_SSL",
        }
    }
}

/// How brokers are addressed; see the module docs.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    pub template: Option<HostTemplate>,
    pub unique_name: Option<String>,
    pub listener_name: String,
    /// The broker-side port of the listener, when a broker names none.
    pub bind_port: u16,
    pub security_protocol: SecurityProtocol,
}

/// One broker, with its listener port already assigned.
#[derive(Debug, Clone)]
pub struct Broker {
    pub id: BrokerId,
    pub az_id: String,
    pub listener_port: u16,
    /// The broker's own address (host mode).
    pub host: Option<String>,
    /// The broker's own port; `bind_port` when absent.
    pub port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerEndpoint {
    pub id: BrokerId,
    pub az_id: String,
    pub listener_port: u16,
    pub advertised_host: String,
    pub advertised_port: u16,
    /// `EXTERNAL://host:port`
    pub advertised_listener: String,
    /// The `server.properties` lines for this listener.
    pub server_properties: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListenerError {
    #[error("broker {0} has no host: set its host (or ip), or give a template")]
    MissingHost(BrokerId),
    #[error("broker {broker}: advertised host {reason}")]
    InvalidHost { broker: BrokerId, reason: String },
    #[error("the template uses {{unique_name}} but no unique_name is set")]
    MissingUniqueName,
}

/// The endpoint of every broker, in broker id order.
pub fn endpoints(cfg: &ListenerConfig, brokers: &[Broker]) -> Result<Vec<BrokerEndpoint>, ListenerError> {
    let unique = cfg.unique_name.as_deref().unwrap_or("");
    if cfg.template.as_ref().is_some_and(|t| t.uses(Placeholder::UniqueName)) && unique.is_empty() {
        return Err(ListenerError::MissingUniqueName);
    }
    let mut out: Vec<BrokerEndpoint> = brokers
        .iter()
        .map(|b| {
            let broker_port = b.port.unwrap_or(cfg.bind_port);
            let (host, port) = match &cfg.template {
                Some(t) => (t.fill(&b.id.to_string(), &b.az_id, unique), b.listener_port),
                None => (b.host.clone().ok_or(ListenerError::MissingHost(b.id))?, broker_port),
            };
            validate::check_host(&host).map_err(|reason| ListenerError::InvalidHost { broker: b.id, reason })?;
            let name = &cfg.listener_name;
            let advertised_listener = format!("{name}://{host}:{port}");
            let server_properties = format!(
                "listeners={name}://0.0.0.0:{broker_port}\nadvertised.listeners={advertised_listener}\nlistener.security.protocol.map={name}:{}\n",
                cfg.security_protocol.as_str()
            );
            Ok(BrokerEndpoint {
                id: b.id,
                az_id: b.az_id.clone(),
                listener_port: b.listener_port,
                advertised_host: host,
                advertised_port: port,
                advertised_listener,
                server_properties,
            })
        })
        .collect::<Result<_, _>>()?;
    out.sort_by_key(|e| e.id);
    Ok(out)
}

/// Per availability zone, the advertised-listener pattern a consumer such as
/// TiDB Cloud asks for: `b<broker_id>.usw2-az1.abc.aws.plc.tidbcloud.com:<port>`.
/// Empty without a template.
pub fn patterns(cfg: &ListenerConfig, az_ids: &BTreeSet<String>) -> BTreeMap<String, String> {
    let Some(t) = &cfg.template else { return BTreeMap::new() };
    let unique = cfg.unique_name.as_deref().unwrap_or("");
    az_ids.iter().map(|az| (az.clone(), format!("{}:<port>", t.fill("<broker_id>", az, unique)))).collect()
}

/// `host:port,host:port,…` in broker id order.
pub fn bootstrap_servers(endpoints: &[BrokerEndpoint]) -> String {
    endpoints.iter().map(|e| format!("{}:{}", e.advertised_host, e.advertised_port)).collect::<Vec<_>>().join(",")
}

/// One `CREATE CONNECTION … TO AWS PRIVATELINK`: its name and the VPC
/// endpoint service it reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateLink {
    pub name: String,
    pub service_name: String,
}

/// The names in Materialize's `CREATE CONNECTION` statements.
#[derive(Debug, Clone)]
pub struct MaterializeConnection {
    /// One per endpoint service, the first the default one.
    pub privatelinks: Vec<PrivateLink>,
    /// Cross-region PrivateLink: no availability zones anywhere.
    pub cross_region: bool,
    pub kafka_name: String,
}

/// The PrivateLink connections for brokers behind `services` (each broker's
/// endpoint service name): one per service, in the order of their lowest
/// broker id. The first is named `base` (so a setup that comes to span a
/// second service keeps its connection), each other `<base>_b<lowest broker
/// id behind it>` (a name that stays while that broker does); and each
/// broker's connection.
pub fn privatelinks(
    base: &str,
    services: &BTreeMap<BrokerId, String>,
) -> (Vec<PrivateLink>, BTreeMap<BrokerId, String>) {
    let mut first: Vec<(&String, BrokerId)> = Vec::new();
    for (id, service) in services {
        if !first.iter().any(|(s, _)| *s == service) {
            first.push((service, *id));
        }
    }
    let lowest_of_all = first.first().map(|(_, id)| *id);
    let name =
        |lowest: BrokerId| if Some(lowest) == lowest_of_all { base.to_owned() } else { format!("{base}_b{lowest}") };
    let links: Vec<PrivateLink> =
        first.iter().map(|(s, id)| PrivateLink { name: name(*id), service_name: (*s).clone() }).collect();
    let of = services
        .iter()
        .map(|(id, s)| {
            let lowest = first.iter().find(|(f, _)| *f == s).map_or(*id, |(_, l)| *l);
            (*id, name(lowest))
        })
        .collect();
    (links, of)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tidb() -> ListenerConfig {
        ListenerConfig {
            template: Some(HostTemplate::parse(TIDBCLOUD_TEMPLATE).unwrap()),
            unique_name: Some("abc".into()),
            listener_name: "EXTERNAL".into(),
            bind_port: 39092,
            security_protocol: SecurityProtocol::Plaintext,
        }
    }

    fn broker(id: u32, az: &str, port: u16) -> Broker {
        Broker { id: BrokerId::new(id), az_id: az.into(), listener_port: port, host: None, port: None }
    }

    #[test]
    fn tidb_cloud_guide_example() {
        let brokers = [broker(1, "usw2-az1", 9093), broker(2, "usw2-az2", 9094), broker(3, "usw2-az3", 9095)];
        let eps = endpoints(&tidb(), &brokers).unwrap();
        let listeners: Vec<_> = eps.iter().map(|e| e.advertised_listener.as_str()).collect();
        assert_eq!(
            listeners,
            [
                "EXTERNAL://b1.usw2-az1.abc.aws.plc.tidbcloud.com:9093",
                "EXTERNAL://b2.usw2-az2.abc.aws.plc.tidbcloud.com:9094",
                "EXTERNAL://b3.usw2-az3.abc.aws.plc.tidbcloud.com:9095",
            ]
        );
        assert_eq!(
            eps[0].server_properties,
            "listeners=EXTERNAL://0.0.0.0:39092\n\
             advertised.listeners=EXTERNAL://b1.usw2-az1.abc.aws.plc.tidbcloud.com:9093\n\
             listener.security.protocol.map=EXTERNAL:PLAINTEXT\n"
        );
        let azs = eps.iter().map(|e| e.az_id.clone()).collect();
        let p = patterns(&tidb(), &azs);
        assert_eq!(p["usw2-az1"], "b<broker_id>.usw2-az1.abc.aws.plc.tidbcloud.com:<port>");
        assert_eq!(
            bootstrap_servers(&eps),
            "b1.usw2-az1.abc.aws.plc.tidbcloud.com:9093,b2.usw2-az2.abc.aws.plc.tidbcloud.com:9094,b3.usw2-az3.abc.aws.plc.tidbcloud.com:9095"
        );
    }

    #[test]
    fn materialize_statements_match_the_docs() {
        use crate::domain::consumers::{MaterializeForm, Wiring, materialize, materialize_sql};
        let cfg = ListenerConfig { template: None, ..tidb() };
        let brokers = [
            Broker { host: Some("b-1.hostname-1".into()), port: Some(9096), ..broker(1, "use1-az2", 9001) },
            Broker { host: Some("b-2.hostname-2".into()), port: Some(9096), ..broker(2, "use1-az1", 9002) },
        ];
        let eps = endpoints(&cfg, &brokers).unwrap();
        let conn = MaterializeConnection {
            privatelinks: vec![PrivateLink {
                name: "privatelink_svc".into(),
                service_name: "com.amazonaws.vpce.us-east-1.vpce-svc-0e123abc123198abc".into(),
            }],
            cross_region: false,
            kafka_name: "kafka_connection".into(),
        };
        let one = BTreeMap::new();
        let wiring = |cross_region| Wiring {
            template: None,
            unique_name: "",
            cross_region,
            cross_zone: false,
            bootstrap_port: None,
            connections: &one,
        };
        let m = materialize(MaterializeForm::Brokers, &eps, wiring(false)).unwrap();
        assert_eq!(
            materialize_sql(&conn, &m, SecurityProtocol::SaslSsl),
            "CREATE CONNECTION privatelink_svc TO AWS PRIVATELINK (\n    \
             SERVICE NAME 'com.amazonaws.vpce.us-east-1.vpce-svc-0e123abc123198abc',\n    \
             AVAILABILITY ZONES ('use1-az1', 'use1-az2')\n);\n\n\
             CREATE CONNECTION kafka_connection TO KAFKA (\n    BROKERS (\n        \
             'b-1.hostname-1:9096' USING AWS PRIVATELINK privatelink_svc (PORT 9001, AVAILABILITY ZONE 'use1-az2'),\n        \
             'b-2.hostname-2:9096' USING AWS PRIVATELINK privatelink_svc (PORT 9002, AVAILABILITY ZONE 'use1-az1')\n    \
             ),\n    SECURITY PROTOCOL = 'SASL_SSL'\n);\n"
        );
        let cross = MaterializeConnection { cross_region: true, ..conn };
        let m = materialize(MaterializeForm::Brokers, &eps, wiring(true)).unwrap();
        let sql = materialize_sql(&cross, &m, SecurityProtocol::Plaintext);
        assert!(sql.contains("AVAILABILITY ZONES ()"), "{sql}");
        assert!(sql.contains("(PORT 9001),"), "{sql}");
        assert!(!sql.contains("AVAILABILITY ZONE '"), "{sql}");
    }

    #[test]
    fn host_mode_needs_hosts() {
        let cfg = ListenerConfig { template: None, ..tidb() };
        assert_eq!(endpoints(&cfg, &[broker(4, "use1-az1", 9001)]), Err(ListenerError::MissingHost(BrokerId::new(4))));
    }

    #[test]
    fn templates() {
        assert!(matches!(HostTemplate::parse("b{id}.x"), Err(TemplateError::UnknownPlaceholder(p)) if p == "id"));
        assert!(matches!(HostTemplate::parse("b{broker_id.x"), Err(TemplateError::Unbalanced(1))));
        assert!(matches!(HostTemplate::parse("b}x{broker_id}"), Err(TemplateError::Unbalanced(1))));
        assert_eq!(HostTemplate::parse("{az_id}.example.com"), Err(TemplateError::NoBrokerId));
        let t = HostTemplate::parse("kafka-{broker_id}.{az_id}.example.com").unwrap();
        assert_eq!(t.fill("3", "use1-az1", ""), "kafka-3.use1-az1.example.com");
        let cfg = ListenerConfig { unique_name: None, ..tidb() };
        assert_eq!(endpoints(&cfg, &[broker(1, "use1-az1", 1)]), Err(ListenerError::MissingUniqueName));
    }
}
