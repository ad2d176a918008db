//! Listener ports at plan time: defaults, the assignment (shared with
//! the data source through `resources::check`), and the refusal of a
//! replacement that would move them.

use crate::resources::check::{PortAsk, assign_listener_ports, assign_listener_ports_around};
use crate::resources::refusals::{LinkRefusal, refuse};
use std::collections::BTreeMap;

use crate::domain::spread::default_listener_port;
use crate::resources::privatelink::model::{DEFAULT_BASE, Model, port_of};

use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::value::Tri;

/// A number attribute with a default: unknown stays unknown.
pub(super) fn with_default(v: &Tri<f64>, default: u16) -> Tri<f64> {
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
    let per = config.brokers_per_load_balancer.known().map(|p| *p as u16);
    if per == Some(1) {
        return Ok(own_ports(config, current));
    }
    let uncertain = config.brokers_per_load_balancer.is_unknown()
        || config.listener_port_base.is_unknown()
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
    let asks = brokers
        .iter()
        .map(|(key, b)| {
            (key.clone(), PortAsk { explicit: port_of(&b.listener_port), current: current.get(key).copied() })
        })
        .collect();
    let bootstrap_at = AttributePath::attr("bootstrap").index(0).attribute("listener_port");
    let bootstrap = config.bootstrap().and_then(|b| port_of(&b.listener_port)).map(|p| (p, Some(bootstrap_at)));
    if per.is_none() {
        return assign_listener_ports(&asks, base, bootstrap);
    }
    // Spread: a live broker keeps its port (brokers behind different load
    // balancers may share one, as after one broker to each); the others are
    // assigned around them. Each load balancer's are checked once placed.
    let (live, rest): (BTreeMap<String, PortAsk>, BTreeMap<String, PortAsk>) =
        asks.into_iter().partition(|(_, a)| a.current.is_some() && a.explicit.is_none_or(|e| Some(e) == a.current));
    let kept: Vec<u16> = live.values().filter_map(|a| a.current).collect();
    let mut out: BTreeMap<String, u16> = live.into_iter().filter_map(|(k, a)| Some((k, a.current?))).collect();
    out.extend(assign_listener_ports_around(&rest, base, bootstrap, &kept)?);
    Ok(out)
}
/// With one broker to a load balancer, each broker alone behind its own:
/// its listener port is the one it names, the one it has, or else its own
/// `port` (`domain::spread::default_listener_port`), so that it keeps
/// advertising what it advertises. Whether two brokers share a load
/// balancer's port is checked once they are placed.
fn own_ports(config: &Model, current: &BTreeMap<String, u16>) -> BTreeMap<String, u16> {
    let brokers = config.brokers.known().into_iter().flatten();
    brokers
        .filter_map(|(k, b)| {
            let port = match &b.listener_port {
                Tri::Known(p) => Some(*p as u16),
                Tri::Unknown => None,
                Tri::Null => current
                    .get(k)
                    .copied()
                    .or_else(|| config.target_port_of(b).and_then(|p| default_listener_port(Some(1), p))),
            };
            Some((k.clone(), port?))
        })
        .collect()
}

/// Refuses a replacement whose new instance, assigning ports afresh, would
/// give a broker of `prior` another listener port than it has.
pub(super) fn check_replacement_keeps_ports(
    config: &Model,
    prior: &Model,
    replace: &[AttributePath],
) -> Result<(), Diagnostics> {
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
