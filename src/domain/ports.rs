//! Broker → NLB listener port assignment.
//!
//! The rule, in order:
//! 1. a broker with an explicit port gets exactly that port;
//! 2. a broker that already has a port (from state) keeps it;
//! 3. every other broker, in increasing id order, gets
//!    - in a fresh assignment (no broker has a port yet): `base + rank`, its
//!      position among all brokers sorted by numeric id, when that port is
//!      free — the layout people write by hand and the data source computes;
//!    - once brokers have ports (state exists), or when `base + rank` is
//!      taken: the lowest free port at or above `base`, filling holes left by
//!      removed brokers.
//!
//! So a fresh cluster of brokers 1, 2, 3 with base 9001 gets 9001–9003, and
//! adding or removing a broker never moves another broker's port.
//!
//! Nothing else moves one either: a broker that has a port keeps it unless
//! its own `listener_port` says otherwise. Anything that would take it — a
//! bootstrap listener, another broker's explicit port — is refused
//! ([`PortError::Displaced`]), naming free ports to use instead: its
//! clients were told that port, and another target behind it would send
//! them to the wrong broker.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// An NLB accepts at most this many listeners (a hard AWS quota).
pub const MAX_LISTENERS_PER_NLB: usize = 50;

/// The first listener port brokers get when no base is configured; the
/// resource and the data source share it, so they always agree.
pub const DEFAULT_LISTENER_PORT_BASE: u16 = 9001;

/// The port brokers listen on when nothing says otherwise: Kafka's own.
pub const DEFAULT_BROKER_PORT: u16 = 9092;

/// A Kafka broker id (`broker.id` / `node.id`): a non-negative integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BrokerId(u32);

impl BrokerId {
    pub fn new(id: u32) -> Self {
        Self(id)
    }
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for BrokerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("broker id {0:?} is not a decimal number such as \"1\" (no sign, no leading zeros, at most 2147483647)")]
pub struct InvalidBrokerId(pub String);

impl FromStr for BrokerId {
    type Err = InvalidBrokerId;

    /// Accepts the canonical decimal form only, so that `"01"` and `"1"`
    /// cannot name the same broker twice.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let canonical = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
        match s.parse::<i32>() {
            Ok(v) if canonical && v >= 0 => Ok(Self(v as u32)),
            _ => Err(InvalidBrokerId(s.to_owned())),
        }
    }
}

/// One broker's input to the assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortRequest {
    /// A port the user asked for.
    pub explicit: Option<u16>,
    /// The port the broker already has (from state).
    pub current: Option<u16>,
}

/// Who asks for a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimant {
    Broker(BrokerId),
    /// A reserved port's holder, e.g. "the bootstrap listener".
    Reserved(&'static str),
}

impl fmt::Display for Claimant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claimant::Broker(b) => write!(f, "broker {b}"),
            Claimant::Reserved(what) => f.write_str(what),
        }
    }
}

fn listed(ports: &[u16]) -> String {
    ports.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    #[error(
        "listener port {port} is broker {broker}'s, and {by} now asks for it. A broker keeps its listener port for \
         life: its clients were told that port, and anything else behind it would send them to the wrong broker. \
         Give {by} a free port ({}), or set broker {broker}'s own listener_port to move it deliberately",
        listed(free)
    )]
    Displaced { port: u16, broker: BrokerId, by: Claimant, free: Vec<u16> },
    #[error("listener port {port} is used by both broker {first} and broker {second}")]
    Duplicate { port: u16, first: BrokerId, second: BrokerId },
    #[error("listener port {port} of broker {broker} is also the port of {other}")]
    Reserved { port: u16, broker: BrokerId, other: &'static str },
    #[error("no free listener port at or above {base} is left for broker {broker}")]
    Exhausted { base: u16, broker: BrokerId },
    #[error("listener port 0 is not a valid port (1-65535)")]
    Zero { broker: BrokerId },
}

impl PortError {
    /// The broker the error is about.
    pub fn broker(&self) -> BrokerId {
        match self {
            PortError::Duplicate { second: b, .. }
            | PortError::Reserved { broker: b, .. }
            | PortError::Exhausted { broker: b, .. }
            | PortError::Zero { broker: b } => *b,
            PortError::Displaced { by: Claimant::Broker(b), .. } => *b,
            PortError::Displaced { broker, .. } => *broker,
        }
    }

    /// Whether a reserved port's holder (the bootstrap listener) is at
    /// fault rather than a broker.
    pub fn by_reserved(&self) -> bool {
        matches!(self, PortError::Displaced { by: Claimant::Reserved(_), .. })
    }
}

/// Ports that brokers may not take (e.g. the bootstrap listener).
#[derive(Debug, Clone, Copy, Default)]
pub struct Reserved<'a>(pub &'a [(u16, &'static str)]);

/// Assigns a listener port to every broker (see the module docs for the rule).
pub fn assign_ports(
    brokers: &BTreeMap<BrokerId, PortRequest>,
    base: u16,
    reserved: Reserved<'_>,
) -> Result<BTreeMap<BrokerId, u16>, PortError> {
    let mut taken: BTreeMap<u16, BrokerId> = BTreeMap::new();
    let mut out = BTreeMap::new();
    let reserved_name = |port: u16| reserved.0.iter().find(|(p, _)| *p == port).map(|(_, n)| *n);

    // 1. explicit ports, exactly as asked
    for (&id, req) in brokers {
        let Some(port) = req.explicit else { continue };
        if port == 0 {
            return Err(PortError::Zero { broker: id });
        }
        if let Some(other) = reserved_name(port) {
            return Err(PortError::Reserved { port, broker: id, other });
        }
        if let Some(&first) = taken.get(&port) {
            return Err(PortError::Duplicate { port, first, second: id });
        }
        taken.insert(port, id);
        out.insert(id, port);
    }
    // 2. current ports are kept; whatever else claims one is refused
    for (&id, req) in brokers {
        if let (None, Some(port)) = (req.explicit, req.current)
            && port != 0
        {
            let by =
                taken.get(&port).map(|b| Claimant::Broker(*b)).or_else(|| reserved_name(port).map(Claimant::Reserved));
            if let Some(by) = by {
                return Err(PortError::Displaced {
                    port,
                    broker: id,
                    by,
                    free: free_ports(brokers, base, reserved, 3),
                });
            }
            taken.insert(port, id);
            out.insert(id, port);
        }
    }
    // 3. everyone else: base + rank on a fresh assignment, else the lowest free port
    let fresh = brokers.values().all(|r| r.current.is_none());
    for (rank, &id) in brokers.keys().enumerate() {
        if out.contains_key(&id) {
            continue;
        }
        let free =
            |p: u32| p <= u32::from(u16::MAX) && !taken.contains_key(&(p as u16)) && reserved_name(p as u16).is_none();
        let preferred = u32::from(base) + rank as u32;
        let port = if fresh && free(preferred) {
            preferred
        } else {
            (u32::from(base)..=u32::from(u16::MAX))
                .find(|&p| free(p))
                .ok_or(PortError::Exhausted { base, broker: id })?
        } as u16;
        taken.insert(port, id);
        out.insert(id, port);
    }
    Ok(out)
}

/// The `n` lowest ports at or above `base` that no broker has or asks for
/// and nothing reserves.
fn free_ports(brokers: &BTreeMap<BrokerId, PortRequest>, base: u16, reserved: Reserved<'_>, n: usize) -> Vec<u16> {
    let used: std::collections::BTreeSet<u16> = brokers
        .values()
        .flat_map(|r| [r.explicit, r.current])
        .flatten()
        .chain(reserved.0.iter().map(|(p, _)| *p))
        .collect();
    (base..=u16::MAX).filter(|p| !used.contains(p)).take(n).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The ports that occur more than once.
    fn duplicates(ports: impl IntoIterator<Item = u16>) -> BTreeSet<u16> {
        let mut seen = BTreeSet::new();
        ports.into_iter().filter(|p| !seen.insert(*p)).collect()
    }

    fn ids(list: &[(u32, Option<u16>, Option<u16>)]) -> BTreeMap<BrokerId, PortRequest> {
        list.iter().map(|&(id, explicit, current)| (BrokerId(id), PortRequest { explicit, current })).collect()
    }

    fn ports(m: &BTreeMap<BrokerId, u16>) -> Vec<(u32, u16)> {
        m.iter().map(|(k, v)| (k.0, *v)).collect()
    }

    #[test]
    fn broker_ids_are_canonical_decimals() {
        assert_eq!("0".parse::<BrokerId>().unwrap().get(), 0);
        assert_eq!("1001".parse::<BrokerId>().unwrap().get(), 1001);
        for bad in ["", "-1", "+1", "01", "1.0", "b-1", " 1", "99999999999"] {
            assert!(bad.parse::<BrokerId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fresh_cluster_gets_base_plus_rank() {
        let got = assign_ports(&ids(&[(1, None, None), (2, None, None), (3, None, None)]), 9093, Reserved::default());
        assert_eq!(ports(&got.unwrap()), vec![(1, 9093), (2, 9094), (3, 9095)]);
        // ids need not start at 1 or be contiguous: rank, not id, decides
        let got = assign_ports(&ids(&[(0, None, None), (4, None, None), (7, None, None)]), 9001, Reserved::default());
        assert_eq!(ports(&got.unwrap()), vec![(0, 9001), (4, 9002), (7, 9003)]);
    }

    #[test]
    fn explicit_ports_are_kept_and_avoided() {
        let got =
            assign_ports(&ids(&[(1, None, None), (2, Some(9001), None), (3, None, None)]), 9001, Reserved::default());
        assert_eq!(ports(&got.unwrap()), vec![(1, 9002), (2, 9001), (3, 9003)]);
    }

    #[test]
    fn duplicates_and_reserved_ports_are_errors() {
        let e = assign_ports(&ids(&[(1, Some(9001), None), (2, Some(9001), None)]), 9001, Reserved::default());
        assert_eq!(e.unwrap_err(), PortError::Duplicate { port: 9001, first: BrokerId(1), second: BrokerId(2) });
        let e = assign_ports(&ids(&[(1, Some(9092), None)]), 9001, Reserved(&[(9092, "the bootstrap listener")]));
        assert_eq!(e.unwrap_err().broker(), BrokerId(1));
        let e = assign_ports(&ids(&[(3, Some(0), None)]), 9001, Reserved::default());
        assert_eq!(e.unwrap_err(), PortError::Zero { broker: BrokerId(3) });
    }

    #[test]
    fn reserved_ports_are_skipped() {
        let got = assign_ports(&ids(&[(1, None, None), (2, None, None)]), 9092, Reserved(&[(9092, "bootstrap")]));
        assert_eq!(ports(&got.unwrap()), vec![(1, 9093), (2, 9094)]);
    }

    #[test]
    fn removing_a_broker_keeps_the_others() {
        let before =
            assign_ports(&ids(&[(1, None, None), (2, None, None), (3, None, None)]), 9001, Reserved::default())
                .unwrap();
        let after = ids(&[(1, None, Some(before[&BrokerId(1)])), (3, None, Some(before[&BrokerId(3)]))]);
        let got = assign_ports(&after, 9001, Reserved::default()).unwrap();
        assert_eq!(ports(&got), vec![(1, 9001), (3, 9003)]);
        // a newcomer fills the hole instead of displacing anyone
        let mut grown = after.clone();
        grown.insert(BrokerId(4), PortRequest::default());
        let got = assign_ports(&grown, 9001, Reserved::default()).unwrap();
        assert_eq!(ports(&got), vec![(1, 9001), (3, 9003), (4, 9002)]);
    }

    #[test]
    fn with_history_newcomers_take_the_lowest_free_port() {
        // brokers 2 and 3 were removed; 9 joins: rank would say 9003, the hole 9002 comes first
        let req = ids(&[(1, None, Some(9001)), (4, None, Some(9004)), (9, None, None)]);
        let got = assign_ports(&req, 9001, Reserved::default()).unwrap();
        assert_eq!(ports(&got), vec![(1, 9001), (4, 9004), (9, 9002)]);
        // a fresh assignment keeps rank order even when a hole exists below
        let req = ids(&[(1, Some(9005), None), (2, None, None), (3, None, None)]);
        let got = assign_ports(&req, 9001, Reserved::default()).unwrap();
        assert_eq!(ports(&got), vec![(1, 9005), (2, 9002), (3, 9003)]);
    }

    #[test]
    fn a_live_brokers_port_is_never_taken() {
        let live = ids(&[(1, None, Some(9001)), (2, None, Some(9002)), (3, None, Some(9003))]);
        // a bootstrap listener on broker 2's port
        let e = assign_ports(&live, 9001, Reserved(&[(9002, "the bootstrap listener")])).unwrap_err();
        assert_eq!(
            e,
            PortError::Displaced {
                port: 9002,
                broker: BrokerId(2),
                by: Claimant::Reserved("the bootstrap listener"),
                free: vec![9004, 9005, 9006],
            }
        );
        assert!(e.by_reserved());
        assert!(e.to_string().contains("Give the bootstrap listener a free port (9004, 9005, 9006)"), "{e}");
        // a newcomer pinned to broker 1's port
        let mut pinned = live.clone();
        pinned.insert(BrokerId(7), PortRequest { explicit: Some(9001), current: None });
        let e = assign_ports(&pinned, 9001, Reserved::default()).unwrap_err();
        assert!(matches!(e, PortError::Displaced { port: 9001, broker: BrokerId(1), .. }), "{e}");
        assert_eq!(e.broker(), BrokerId(7), "the path points at the one asking");
        // unless broker 1 itself moves, deliberately
        pinned.insert(BrokerId(1), PortRequest { explicit: Some(9010), current: Some(9001) });
        let got = assign_ports(&pinned, 9001, Reserved::default()).unwrap();
        assert_eq!(ports(&got), vec![(1, 9010), (2, 9002), (3, 9003), (7, 9001)]);
        // a new base moves nobody
        let got = assign_ports(&live, 9500, Reserved::default()).unwrap();
        assert_eq!(ports(&got), vec![(1, 9001), (2, 9002), (3, 9003)]);
    }

    #[test]
    fn exhaustion_is_reported() {
        let e = assign_ports(&ids(&[(1, Some(65535), None), (2, None, None)]), 65535, Reserved::default());
        assert_eq!(e.unwrap_err(), PortError::Exhausted { base: 65535, broker: BrokerId(2) });
    }

    /// Property: for any set of brokers and any history, ports are unique,
    /// explicit ones are honoured, and kept ones do not move.
    #[test]
    fn assignment_properties_hold_for_many_inputs() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..2000 {
            let n = (next() % 12) as u32;
            let mut req = BTreeMap::new();
            for _ in 0..n {
                let id = BrokerId((next() % 20) as u32);
                let explicit = (next() % 5 == 0).then(|| 9001 + (next() % 15) as u16);
                let current = (next() % 3 == 0).then(|| 9001 + (next() % 15) as u16);
                req.insert(id, PortRequest { explicit, current });
            }
            let got = match assign_ports(&req, 9001, Reserved::default()) {
                Ok(got) => got,
                Err(PortError::Displaced { port, broker, by: Claimant::Broker(other), .. }) => {
                    // only a port someone else asks for or already has
                    assert_eq!(req[&broker].current, Some(port));
                    let theirs = req[&other];
                    assert!(theirs.explicit == Some(port) || theirs.current == Some(port) && theirs.explicit.is_none());
                    continue;
                }
                Err(e) => {
                    // else only explicit duplicates may fail here
                    let explicit: Vec<u16> = req.values().filter_map(|r| r.explicit).collect();
                    assert!(!duplicates(explicit).is_empty(), "{e}");
                    continue;
                }
            };
            assert_eq!(got.len(), req.len());
            assert!(duplicates(got.values().copied()).is_empty());
            for (id, r) in &req {
                if let Some(p) = r.explicit {
                    assert_eq!(got[id], p);
                } else if let Some(p) = r.current {
                    assert_eq!(got[id], p, "broker {id} kept its port");
                }
            }
            // Re-running with the result as state changes nothing.
            let again: BTreeMap<_, _> =
                req.iter().map(|(id, r)| (*id, PortRequest { explicit: r.explicit, current: Some(got[id]) })).collect();
            assert_eq!(assign_ports(&again, 9001, Reserved::default()).unwrap(), got);
        }
    }
}
