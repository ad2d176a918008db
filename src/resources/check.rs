//! Small helpers shared by the validators of every Terraform type: read a
//! possibly-unknown attribute, report a problem at its path.

use std::collections::BTreeMap;

use super::refusals::{LinkRefusal, refuse};
use crate::domain::ports::{self, BrokerId, MAX_LISTENERS_PER_NLB, PortRequest, Reserved};
use crate::domain::validate::limits::{self, Limit};
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::value::Tri;

/// Validation findings, each at an attribute path.
#[derive(Default)]
pub struct Checks(pub Diagnostics);

impl Checks {
    pub fn fail(&mut self, path: AttributePath, summary: &str, detail: impl Into<String>) {
        self.0.attribute_error(path, summary, detail);
    }

    /// Runs `check` on a known string; null and unknown pass.
    pub fn string(
        &mut self,
        value: &Tri<String>,
        path: AttributePath,
        summary: &str,
        check: impl Fn(&str) -> Result<(), String>,
    ) {
        if let Tri::Known(s) = value
            && let Err(e) = check(s)
        {
            self.fail(path, summary, e);
        }
    }

    /// A known number must be a whole number within `limit`.
    pub fn range(&mut self, value: &Tri<f64>, path: AttributePath, limit: &Limit) -> Option<i64> {
        self.bounded(value, path, limit.what, limit.min, limit.max)
    }

    fn bounded(&mut self, value: &Tri<f64>, path: AttributePath, what: &str, min: i64, max: i64) -> Option<i64> {
        let Tri::Known(v) = *value else { return None };
        if v.fract() == 0.0 && v >= min as f64 && v <= max as f64 {
            Some(v as i64)
        } else {
            self.fail(path, &format!("Invalid {what}"), format!("{v} is not a {what} between {min} and {max}."));
            None
        }
    }

    pub fn has_errors(&self) -> bool {
        self.0.has_errors()
    }
}

/// A known port number, checked; `what` names the port in the message.
pub fn port(checks: &mut Checks, value: &Tri<f64>, path: AttributePath, what: &str) -> Option<u16> {
    checks.bounded(value, path, what, limits::PORT.min, limits::PORT.max).map(|p| p as u16)
}

/// The listener ports a configuration takes, each with the path that took
/// it first: a second use is refused, in one wording for every type.
#[derive(Default, Clone)]
pub struct ListenerPorts(BTreeMap<u16, AttributePath>);

impl ListenerPorts {
    /// Checks a listener port and claims it for `at`.
    pub fn claim(&mut self, c: &mut Checks, value: &Tri<f64>, at: AttributePath) -> Option<u16> {
        let p = port(c, value, at.clone(), "listener port")?;
        match self.0.get(&p) {
            Some(first) => {
                c.fail(at, "Duplicate listener port", format!("Listener port {p} is already used by {first}."))
            }
            None => {
                self.0.insert(p, at);
            }
        }
        Some(p)
    }
}

/// One `brokers` entry, as far as the shared checks read it.
pub trait BrokerEntry {
    /// The port the broker's targets use.
    fn port(&self) -> &Tri<f64>;
    /// The load balancer port the broker is reached on.
    fn listener_port(&self) -> &Tri<f64>;
}

/// What the `brokers` map of `kafka_privatelink` and of
/// `kafka_advertised_listeners` share: at least one broker, no more
/// listeners than a network load balancer has (`other_listeners` are the
/// ones besides the brokers'), each key a broker id, each `port` a port and
/// each `listener_port` a port used once. Returns the entries whose key is
/// a broker id, by id; each type checks the rest of an entry itself.
/// Without `listener_ports`, the brokers are spread over several load
/// balancers, whose ports (and quota) the plan checks once it has placed
/// them: here each listener port is only checked to be a port.
pub fn check_brokers<'a, B: BrokerEntry>(
    c: &mut Checks,
    brokers: &'a BTreeMap<String, B>,
    other_listeners: usize,
    mut listener_ports: Option<&mut ListenerPorts>,
) -> BTreeMap<BrokerId, (&'a String, &'a B)> {
    let at = AttributePath::attr("brokers");
    if brokers.is_empty() {
        c.fail(at.clone(), "No brokers", "Give at least one broker.");
    }
    let listeners = brokers.len() + other_listeners;
    if listeners > MAX_LISTENERS_PER_NLB && listener_ports.is_some() {
        c.fail(
            at.clone(),
            "Too many listeners",
            format!(
                "{listeners} listeners are needed; a network load balancer has at most {MAX_LISTENERS_PER_NLB} (a \
                 hard AWS quota). kafka_privatelink spreads brokers over several load balancers with \
                 brokers_per_load_balancer."
            ),
        );
    }
    let mut by_id = BTreeMap::new();
    for (key, b) in brokers {
        let bp = at.clone().key(key.clone());
        match key.parse::<BrokerId>() {
            Ok(id) => {
                by_id.insert(id, (key, b));
            }
            Err(e) => c.fail(bp.clone(), "Invalid broker id", e.to_string()),
        }
        port(c, b.port(), bp.attribute("port"), "broker port");
        match listener_ports.as_deref_mut() {
            Some(ports) => ports.claim(c, b.listener_port(), bp.attribute("listener_port")),
            None => port(c, b.listener_port(), bp.attribute("listener_port"), "listener port"),
        };
    }
    by_id
}

/// One broker's ask for a listener port: the port it names, and the one it
/// has today (none in a data source, which keeps no state).
#[derive(Debug, Clone, Copy, Default)]
pub struct PortAsk {
    pub explicit: Option<u16>,
    pub current: Option<u16>,
}

/// The listener ports of brokers keyed as the configuration keys them,
/// assigned as `domain::ports` assigns them for every type (`kafka_privatelink`
/// and `kafka_advertised_listeners` alike), the bootstrap listener's port
/// kept free. A refusal points at the broker's `listener_port`, or, when
/// the bootstrap port is the one in the way, at `bootstrap.1` if given.
/// Keys that are not broker ids are left out (their check reports them).
pub fn assign_listener_ports(
    asks: &BTreeMap<String, PortAsk>,
    base: u16,
    bootstrap: Option<(u16, Option<AttributePath>)>,
) -> Result<BTreeMap<String, u16>, Diagnostic> {
    assign_listener_ports_around(asks, base, bootstrap, &[])
}

/// [`assign_listener_ports`], with `kept` ports also taken: those of live
/// brokers behind the other load balancers of a spread, which keep their
/// ports and are checked per load balancer once placed.
pub fn assign_listener_ports_around(
    asks: &BTreeMap<String, PortAsk>,
    base: u16,
    bootstrap: Option<(u16, Option<AttributePath>)>,
    kept: &[u16],
) -> Result<BTreeMap<String, u16>, Diagnostic> {
    let mut keys = BTreeMap::new();
    let mut requests = BTreeMap::new();
    for (key, ask) in asks {
        let Ok(id) = key.parse::<BrokerId>() else { continue };
        requests.insert(id, PortRequest { explicit: ask.explicit, current: ask.current });
        keys.insert(id, key.clone());
    }
    let reserved: Vec<(u16, &'static str)> = bootstrap
        .as_ref()
        .map(|(p, _)| (*p, "the bootstrap listener"))
        .into_iter()
        .chain(kept.iter().map(|p| (*p, "a live broker of the spread")))
        .collect();
    let assigned = ports::assign_ports(&requests, base, Reserved(&reserved)).map_err(|e| {
        let bootstrap_at = bootstrap.as_ref().and_then(|(_, at)| at.clone()).filter(|_| e.by_reserved());
        let at = bootstrap_at.unwrap_or_else(|| {
            let key = keys.get(&e.broker()).cloned().unwrap_or_else(|| e.broker().to_string());
            AttributePath::attr("brokers").key(key).attribute("listener_port")
        });
        refuse(&LinkRefusal::ListenerPort { error: e, at })
    })?;
    Ok(assigned.into_iter().map(|(id, p)| (keys[&id].clone(), p)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Entry(Tri<f64>, Tri<f64>);

    impl BrokerEntry for Entry {
        fn port(&self) -> &Tri<f64> {
            &self.0
        }
        fn listener_port(&self) -> &Tri<f64> {
            &self.1
        }
    }

    fn entry(listener_port: Option<f64>) -> Entry {
        Entry(Tri::Null, listener_port.map_or(Tri::Null, Tri::Known))
    }

    fn findings(c: &Checks) -> Vec<(String, String)> {
        c.0.iter().map(|d| (d.path.as_ref().map(ToString::to_string).unwrap_or_default(), d.summary.clone())).collect()
    }

    #[test]
    fn a_listener_port_taken_before_the_brokers_is_taken_for_them_too() {
        let mut c = Checks::default();
        let mut ports = ListenerPorts::default();
        let bootstrap = AttributePath::attr("bootstrap").index(0).attribute("listener_port");
        assert_eq!(ports.claim(&mut c, &Tri::Known(9000.0), bootstrap), Some(9000));
        let brokers = BTreeMap::from([("1".to_owned(), entry(Some(9000.0))), ("2".to_owned(), entry(Some(9002.0)))]);
        let by_id = check_brokers(&mut c, &brokers, 1, Some(&mut ports));
        assert_eq!(by_id.keys().map(ToString::to_string).collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(findings(&c), [(r#"brokers["1"].listener_port"#.to_owned(), "Duplicate listener port".to_owned())]);
        let detail = &c.0.iter().next().expect("one finding").detail;
        assert!(detail.contains("bootstrap[0].listener_port"), "{detail}");
    }

    #[test]
    fn the_listener_limit_counts_the_other_listeners() {
        let brokers: BTreeMap<String, Entry> =
            (1..=MAX_LISTENERS_PER_NLB).map(|i| (i.to_string(), entry(None))).collect();
        let mut c = Checks::default();
        check_brokers(&mut c, &brokers, 0, Some(&mut ListenerPorts::default()));
        assert!(findings(&c).is_empty(), "{:?}", findings(&c));
        check_brokers(&mut c, &brokers, 1, Some(&mut ListenerPorts::default()));
        assert_eq!(findings(&c), [("brokers".to_owned(), "Too many listeners".to_owned())]);
    }

    #[test]
    fn bad_keys_and_ports_are_reported_at_the_entry() {
        let brokers = BTreeMap::from([
            ("01".to_owned(), entry(None)),
            ("2".to_owned(), Entry(Tri::Known(0.0), Tri::Known(70000.0))),
        ]);
        let mut c = Checks::default();
        let by_id = check_brokers(&mut c, &brokers, 0, Some(&mut ListenerPorts::default()));
        assert_eq!(by_id.len(), 1);
        assert_eq!(
            findings(&c),
            [
                (r#"brokers["01"]"#.to_owned(), "Invalid broker id".to_owned()),
                (r#"brokers["2"].port"#.to_owned(), "Invalid broker port".to_owned()),
                (r#"brokers["2"].listener_port"#.to_owned(), "Invalid listener port".to_owned()),
            ]
        );
        let mut empty = Checks::default();
        check_brokers(&mut empty, &BTreeMap::<String, Entry>::new(), 0, Some(&mut ListenerPorts::default()));
        assert_eq!(findings(&empty), [("brokers".to_owned(), "No brokers".to_owned())]);
    }
}
