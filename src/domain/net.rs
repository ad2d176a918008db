//! IPv4 addresses and networks as the provider's inputs and AWS's answers
//! write them: one parser for a CIDR block (subnets, security group
//! rules), one for a broker address.

use std::fmt;
use std::net::Ipv4Addr;

/// An IPv4 network `address/prefix`, as EC2 writes subnet blocks and rule
/// sources. The address is kept as written; membership masks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cidr {
    pub network: Ipv4Addr,
    pub prefix: u8,
}

impl Cidr {
    /// `10.0.16.0/20`; `None` for anything else (a prefix above 32, IPv6).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = s.split_once('/')?;
        let prefix: u8 = prefix.parse().ok().filter(|p| *p <= 32)?;
        Some(Cidr { network: addr.parse().ok()?, prefix })
    }

    fn mask(self) -> u32 {
        if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) }
    }

    /// Whether `ip` lies in this network.
    pub fn contains(self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.network) & self.mask()
    }

    /// Whether every address of `other` is in this network.
    pub fn covers(self, other: Cidr) -> bool {
        self.prefix <= other.prefix && self.contains(other.network)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A broker's address as `brokers[*].ip` takes it: dotted IPv4.
pub fn parse_ipv4(s: &str) -> Result<Ipv4Addr, String> {
    s.parse().map_err(|_| format!("{s:?} is not an IPv4 address such as \"10.0.1.15\"."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        parse_ipv4(s).expect("test address")
    }

    #[test]
    fn a_network_contains_its_addresses_and_no_other() {
        let net = Cidr::parse("10.0.16.0/20").expect("valid");
        assert!(net.contains(ip("10.0.16.0")));
        assert!(net.contains(ip("10.0.31.255")));
        assert!(!net.contains(ip("10.0.32.0")));
        assert!(!net.contains(ip("10.0.15.255")));
        assert!(Cidr::parse("0.0.0.0/0").expect("valid").contains(ip("203.0.113.9")));
    }

    #[test]
    fn covering_needs_a_shorter_or_equal_prefix() {
        let vpc = Cidr::parse("10.0.0.0/16").expect("valid");
        let subnet = Cidr::parse("10.0.16.0/20").expect("valid");
        assert!(vpc.covers(subnet));
        assert!(!subnet.covers(vpc));
        assert!(subnet.covers(subnet));
    }

    #[test]
    fn only_ipv4_blocks_parse() {
        for bad in ["10.0.0.0/33", "10.0.0.0", "2001:db8::/32", "10.0.0/8", "x/8"] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
        assert_eq!(Cidr::parse("10.0.0.0/8").map(|c| c.to_string()).as_deref(), Some("10.0.0.0/8"));
        assert!(parse_ipv4("10.0.1.256").is_err());
    }
}
