//! The seeds' "verify security groups" step, as a plan-time check: does
//! some security group of each broker admit the load balancer on the
//! broker's port (and on a separate health-check port)?
//!
//! Behind PrivateLink, client IP preservation does not apply: a broker sees
//! connections from the load balancer's own private addresses, which lie in
//! its subnets — or, when the load balancer has security groups, a rule may
//! name one of those groups as the source. A broker's security groups are
//! the union of their inbound rules, so one admitting rule is enough.
//!
//! The verdict is a warning, never an error: rules whose source is a
//! managed prefix list cannot be judged here, and a broker's interface may
//! hold rules this check does not model.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use super::net::Cidr;
use super::ports::BrokerId;

/// One inbound rule, as far as this check needs it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboundRule {
    /// `None`: all protocols (`-1`); else the protocol name or number.
    pub protocol: Option<String>,
    /// Inclusive port range; `None` with all protocols.
    pub ports: Option<(u16, u16)>,
    pub cidrs: Vec<Cidr>,
    pub groups: BTreeSet<String>,
    pub prefix_lists: BTreeSet<String>,
}

impl InboundRule {
    fn admits_tcp(&self, port: u16) -> bool {
        let protocol = match self.protocol.as_deref() {
            None | Some("-1") => true,
            Some(p) => p.eq_ignore_ascii_case("tcp") || p == "6",
        };
        protocol && self.ports.is_none_or(|(from, to)| from <= port && port <= to)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub inbound: Vec<InboundRule>,
}

/// Where the load balancer's traffic to targets comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadBalancerSources {
    /// Its subnets' networks.
    pub subnets: Vec<Cidr>,
    /// Its own security groups (empty: it has none).
    pub groups: BTreeSet<String>,
}

/// A broker to check: where it listens and which groups guard it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerGuard {
    pub id: BrokerId,
    pub ip: Ipv4Addr,
    /// The target port, and a separate health-check port if any.
    pub ports: BTreeSet<u16>,
    pub groups: Vec<SecurityGroup>,
}

/// A broker port no rule admits the load balancer on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub broker: BrokerId,
    pub ip: Ipv4Addr,
    pub port: u16,
    /// The broker's groups, `id (name)`.
    pub groups: Vec<String>,
    /// What to add: the sources a rule would need.
    pub add: String,
    /// Prefix lists that cover the port: they may admit it, unjudged.
    pub prefix_lists: BTreeSet<String>,
}

/// Whether some rule admits the load balancer on `port`.
fn admitted(groups: &[SecurityGroup], port: u16, lb: &LoadBalancerSources) -> bool {
    let rules = groups.iter().flat_map(|g| &g.inbound).filter(|r| r.admits_tcp(port));
    let mut covered: BTreeSet<Cidr> = BTreeSet::new();
    for r in rules {
        if r.groups.iter().any(|g| lb.groups.contains(g)) {
            return true;
        }
        for s in &lb.subnets {
            if r.cidrs.iter().any(|c| c.covers(*s)) {
                covered.insert(*s);
            }
        }
    }
    !lb.subnets.is_empty() && lb.subnets.iter().all(|s| covered.contains(s))
}

/// Every broker port that no inbound rule of the broker's groups admits
/// the load balancer on.
pub fn check(brokers: &[BrokerGuard], lb: &LoadBalancerSources) -> Vec<Finding> {
    let mut out = Vec::new();
    for b in brokers {
        for &port in &b.ports {
            if admitted(&b.groups, port, lb) {
                continue;
            }
            let add = match lb.groups.iter().next() {
                Some(g) => format!("TCP {port} from {g} (the load balancer's security group)"),
                None => format!(
                    "TCP {port} from {} (the load balancer's subnets)",
                    lb.subnets.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                ),
            };
            let prefix_lists = b
                .groups
                .iter()
                .flat_map(|g| &g.inbound)
                .filter(|r| r.admits_tcp(port))
                .flat_map(|r| r.prefix_lists.iter().cloned())
                .collect();
            out.push(Finding {
                broker: b.id,
                ip: b.ip,
                port,
                groups: b.groups.iter().map(|g| format!("{} ({})", g.id, g.name)).collect(),
                add,
                prefix_lists,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    fn rule(ports: (u16, u16), cidrs: &[&str], groups: &[&str]) -> InboundRule {
        InboundRule {
            protocol: Some("tcp".into()),
            ports: Some(ports),
            cidrs: cidrs.iter().map(|c| cidr(c)).collect(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            prefix_lists: BTreeSet::new(),
        }
    }

    fn broker(rules: Vec<InboundRule>, ports: &[u16]) -> BrokerGuard {
        BrokerGuard {
            id: BrokerId::new(1),
            ip: Ipv4Addr::new(10, 0, 1, 10),
            ports: ports.iter().copied().collect(),
            groups: vec![SecurityGroup { id: "sg-broker".into(), name: "kafka".into(), inbound: rules }],
        }
    }

    fn subnets() -> LoadBalancerSources {
        LoadBalancerSources { subnets: vec![cidr("10.0.1.0/24"), cidr("10.0.2.0/24")], groups: BTreeSet::new() }
    }

    #[test]
    fn cidrs_cover_what_they_contain() {
        assert!(cidr("10.0.0.0/16").covers(cidr("10.0.1.0/24")));
        assert!(!cidr("10.0.1.0/24").covers(cidr("10.0.0.0/16")));
        assert!(!cidr("10.1.0.0/16").covers(cidr("10.0.1.0/24")));
        assert!(cidr("0.0.0.0/0").covers(cidr("10.0.1.0/24")));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
    }

    #[test]
    fn the_vpc_cidr_or_every_subnet_admits() {
        assert!(check(&[broker(vec![rule((39092, 39092), &["10.0.0.0/16"], &[])], &[39092])], &subnets()).is_empty());
        let both = rule((39000, 40000), &["10.0.1.0/24", "10.0.2.0/24"], &[]);
        assert!(check(&[broker(vec![both], &[39092])], &subnets()).is_empty());
    }

    #[test]
    fn one_subnet_missing_or_the_wrong_port_is_found_and_says_what_to_add() {
        let found = check(&[broker(vec![rule((39092, 39092), &["10.0.1.0/24"], &[])], &[39092])], &subnets());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].add, "TCP 39092 from 10.0.1.0/24, 10.0.2.0/24 (the load balancer's subnets)");
        assert_eq!(found[0].groups, vec!["sg-broker (kafka)".to_owned()]);
        let found = check(&[broker(vec![rule((9092, 9092), &["10.0.0.0/16"], &[])], &[39092, 8080])], &subnets());
        assert_eq!(found.iter().map(|f| f.port).collect::<Vec<_>>(), vec![8080, 39092], "health port too");
    }

    #[test]
    fn the_load_balancers_own_group_admits_when_it_has_one() {
        let lb = LoadBalancerSources { groups: BTreeSet::from(["sg-nlb".to_owned()]), ..subnets() };
        assert!(check(&[broker(vec![rule((39092, 39092), &[], &["sg-nlb"])], &[39092])], &lb).is_empty());
        let found = check(&[broker(vec![], &[39092])], &lb);
        assert_eq!(found[0].add, "TCP 39092 from sg-nlb (the load balancer's security group)");
        // A group reference is no help to a load balancer without groups.
        assert_eq!(check(&[broker(vec![rule((39092, 39092), &[], &["sg-nlb"])], &[39092])], &subnets()).len(), 1);
    }

    #[test]
    fn all_traffic_rules_admit_and_prefix_lists_are_named_not_judged() {
        let all = InboundRule { protocol: Some("-1".into()), cidrs: vec![cidr("10.0.0.0/8")], ..Default::default() };
        assert!(check(&[broker(vec![all], &[39092])], &subnets()).is_empty());
        let udp = InboundRule {
            protocol: Some("udp".into()),
            ports: Some((0, 65535)),
            cidrs: vec![cidr("10.0.0.0/8")],
            ..Default::default()
        };
        assert_eq!(check(&[broker(vec![udp], &[39092])], &subnets()).len(), 1);
        let pl = InboundRule {
            protocol: Some("tcp".into()),
            ports: Some((39092, 39092)),
            prefix_lists: BTreeSet::from(["pl-123".to_owned()]),
            ..Default::default()
        };
        let found = check(&[broker(vec![pl], &[39092])], &subnets());
        assert_eq!(found[0].prefix_lists, BTreeSet::from(["pl-123".to_owned()]));
    }
}
