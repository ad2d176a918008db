//! A setup spread over several load balancers (`brokers_per_load_balancer`)
//! is, to the pipeline, one single-load-balancer setup per load balancer: a
//! [`Part`] is the model as that load balancer alone sees it — its brokers,
//! its ARN and service, the bootstrap listener on the first only — and the
//! rendered parts are merged back into one state ([`merge`]).
//!
//! A load balancer's identity between plan, apply and state is its `name`
//! in `load_balancers`: the plan names new ones (`domain::spread`), the
//! apply creates them under that name, and a part of the prior state is
//! matched to the planned part of the same name. Without
//! `brokers_per_load_balancer` there is one part, the model itself.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{ConnectionModel, LoadBalancerModel, Model, strings};
use super::private::Private;
use super::to_domain::recorded_of;
use crate::domain::arn::Arn;
use crate::domain::layout::Spec;
use crate::domain::ownership::Recorded;
use crate::domain::ports::BrokerId;
use crate::domain::spread::{Shard, load_balancer_name};
use crate::server::api::value::Tri;

/// One load balancer of a setup, as the single-load-balancer pipeline sees
/// it.
#[derive(Debug, Clone)]
pub(super) struct Part {
    /// The load balancer's name: its identity between plan, apply and state.
    pub name: String,
    /// The setup as if it were this load balancer alone.
    pub model: Model,
    /// The first load balancer: the bootstrap listener and every
    /// single-valued attribute are its.
    pub first: bool,
}

/// Whether the model spreads its brokers (`brokers_per_load_balancer` set).
pub(super) fn spreads(m: &Model) -> bool {
    !m.brokers_per_load_balancer.is_null()
}

/// The name of the one load balancer of a setup that does not spread: the
/// name in its ARN (an adopted or imported one keeps its own), else the
/// setup's.
pub(super) fn single_name(m: &Model) -> Tri<String> {
    match m
        .load_balancer_arn
        .known()
        .and_then(|a| Arn::parse(a))
        .and_then(|a| a.load_balancer_name().map(str::to_owned))
    {
        Some(n) => Tri::Known(n),
        None if m.creates() => m.name.clone(),
        None => Tri::Unknown,
    }
}

/// The parts of a fully known model (a state, or a plan at apply). A
/// spreading model without a known `load_balancers` has none.
pub(super) fn parts(m: &Model) -> Vec<Part> {
    if !spreads(m) {
        let name = m
            .load_balancers
            .known()
            .and_then(|l| l.first())
            .and_then(|e| e.name.known().cloned())
            .or_else(|| single_name(m).known().cloned())
            .unwrap_or_default();
        return vec![Part { name, model: m.clone(), first: true }];
    }
    let Some(entries) = m.load_balancers.known() else { return Vec::new() };
    entries.iter().enumerate().map(|(i, e)| part_of(m, e, i == 0)).collect()
}

fn part_of(m: &Model, entry: &LoadBalancerModel, first: bool) -> Part {
    let ids: BTreeSet<String> =
        entry.broker_ids.known().into_iter().flatten().filter_map(|s| s.known().cloned()).collect();
    let mut v = m.clone();
    if let Tri::Known(brokers) = &mut v.brokers {
        brokers.retain(|k, _| ids.contains(k));
    }
    v.id = entry.load_balancer_arn.clone();
    v.load_balancer_arn = entry.load_balancer_arn.clone();
    if let Tri::Known(es) = &mut v.endpoint_service
        && let Some(es) = es.first_mut()
    {
        es.id = entry.endpoint_service_id.clone();
        es.service_name = entry.endpoint_service_name.clone();
        if !first {
            // The state keeps the first service's connections only; the
            // others' are read by every apply.
            es.connections = Tri::Unknown;
        }
    }
    if !first {
        v.bootstrap = Tri::Null;
        v.load_balancer_dns_name = Tri::Unknown;
    }
    v.load_balancers = Tri::Null;
    Part { name: entry.name.known().cloned().unwrap_or_default(), model: v, first }
}

/// The part of the setup's spec that is `part`'s: its brokers, its load
/// balancer's name, and on the first the bootstrap listener, whose group
/// holds the brokers behind the others too.
pub(super) fn spec_for(whole: &Spec, part: &Part) -> Spec {
    let keys: BTreeSet<BrokerId> =
        part.model.brokers.known().into_iter().flat_map(BTreeMap::keys).filter_map(|k| k.parse().ok()).collect();
    let (brokers, elsewhere): (BTreeMap<_, _>, BTreeMap<_, _>) =
        whole.brokers.clone().into_iter().partition(|(id, _)| keys.contains(id));
    let bootstrap = if part.first { whole.bootstrap } else { None };
    Spec {
        load_balancer_name: if part.name.is_empty() { whole.load_balancer_name.clone() } else { part.name.clone() },
        brokers,
        elsewhere: if bootstrap.is_some() { elsewhere } else { BTreeMap::new() },
        bootstrap,
        ..whole.clone()
    }
}

/// What the state records of `part`: its own objects, and of the private
/// state's leftovers the listeners of its load balancer (their ARNs name
/// it) — the first part takes the leftover groups, and listeners of no
/// part's load balancer.
pub(super) fn recorded_for(part: &Part, all: &[Part], private: &Private) -> Recorded {
    let key = |arn: &str| Arn::parse(arn).and_then(|a| a.load_balancer_key());
    let keys: Vec<Option<String>> =
        all.iter().map(|p| p.model.load_balancer_arn.known().and_then(|a| key(a))).collect();
    let mine = part.model.load_balancer_arn.known().and_then(|a| key(a));
    let listeners = private
        .leftover_listeners
        .iter()
        .filter(|l| {
            let of = key(l);
            if of.is_some() && keys.contains(&of) { of == mine } else { part.first }
        })
        .cloned()
        .collect();
    let share = Private {
        leftover_groups: if part.first { private.leftover_groups.clone() } else { BTreeSet::new() },
        leftover_listeners: listeners,
        ..private.clone()
    };
    recorded_of(&part.model, &share)
}

/// Broker keys in broker-id order (`"2"` before `"10"`).
pub(super) fn broker_ids<'a>(keys: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut ids: Vec<(Option<BrokerId>, &String)> = keys.into_iter().map(|k| (k.parse().ok(), k)).collect();
    ids.sort();
    ids.into_iter().map(|(_, k)| k.clone()).collect()
}

/// The `load_balancers` entry a rendered part stands for.
pub(super) fn entry_of(part: &Part, rendered: &Model) -> LoadBalancerModel {
    let es = rendered.endpoint();
    let name = match rendered.load_balancer_arn.known().and_then(|a| Arn::parse(a)) {
        Some(arn) => arn.load_balancer_name().map_or_else(|| part.name.clone(), str::to_owned),
        None => part.name.clone(),
    };
    LoadBalancerModel {
        name: Tri::Known(name),
        load_balancer_arn: rendered.load_balancer_arn.clone(),
        endpoint_service_id: es.map_or(Tri::Null, |e| e.id.clone()),
        endpoint_service_name: es.map_or(Tri::Null, |e| e.service_name.clone()),
        broker_ids: strings(broker_ids(rendered.brokers.known().into_iter().flat_map(BTreeMap::keys))),
    }
}

/// One state from the rendered parts, the first part's single-valued
/// attributes standing for the setup's: every part's brokers (each with
/// its service's name) and target health, and `load_balancers`. `kept` are
/// load balancers the configuration no longer has whose deletion failed:
/// listed with no broker, so that the next apply deletes them again.
pub(super) fn merge(whole: &Model, rendered: &[(Part, Model)], kept: Vec<LoadBalancerModel>) -> Model {
    let Some((_, first)) = rendered.first() else { return whole.clone() };
    let mut m = first.clone();
    m.brokers_per_load_balancer = whole.brokers_per_load_balancer.clone();
    let mut brokers = BTreeMap::new();
    let mut health = BTreeMap::new();
    let mut entries = Vec::new();
    for (part, r) in rendered {
        let entry = entry_of(part, r);
        for (k, b) in r.brokers.known().into_iter().flatten() {
            let mut b = b.clone();
            b.endpoint_service_name = entry.endpoint_service_name.clone();
            brokers.insert(k.clone(), b);
        }
        health.extend(r.target_health.known().into_iter().flatten().map(|(k, h)| (k.clone(), h.clone())));
        if m.tags_all == whole.tags_all && r.tags_all != whole.tags_all {
            // out-of-band tags on any load balancer show in the plan
            m.tags_all = r.tags_all.clone();
        }
        entries.push(entry);
    }
    entries.extend(kept);
    m.brokers = Tri::Known(brokers);
    m.target_health = Tri::Known(health);
    m.load_balancers = Tri::Known(entries);
    if rendered.len() > 1 {
        every_load_balancer(&mut m, whole, rendered);
    }
    m
}

/// What the single-valued attributes say of a setup of several load
/// balancers: each part's value where it differs from `whole`'s (the plan
/// or the prior state), so that drift on any load balancer or service shows
/// in the plan — except the principals, which services may hold apart when
/// others manage them —; and every service's consumer connections, for
/// `auto_accept`, `reject_unlisted` and the destroy's refusal.
fn every_load_balancer(m: &mut Model, whole: &Model, rendered: &[(Part, Model)]) {
    fn drift<T: Clone + PartialEq>(whole: &T, parts: impl Iterator<Item = T>, first: &mut T) {
        if let Some(v) = parts.into_iter().find(|v| v != whole) {
            *first = v;
        }
    }
    let parts = || rendered.iter().map(|(_, r)| r);
    drift(
        &whole.cross_zone_load_balancing,
        parts().map(|r| r.cross_zone_load_balancing.clone()),
        &mut m.cross_zone_load_balancing,
    );
    drift(&whole.security_group_ids, parts().map(|r| r.security_group_ids.clone()), &mut m.security_group_ids);
    drift(&whole.deregistration_delay, parts().map(|r| r.deregistration_delay.clone()), &mut m.deregistration_delay);
    drift(&whole.tcp_idle_timeout, parts().map(|r| r.tcp_idle_timeout.clone()), &mut m.tcp_idle_timeout);
    drift(
        &whole.enforce_security_group_inbound_rules_on_private_link_traffic,
        parts().map(|r| r.enforce_security_group_inbound_rules_on_private_link_traffic.clone()),
        &mut m.enforce_security_group_inbound_rules_on_private_link_traffic,
    );
    let service = |r: &Model| r.endpoint().cloned().unwrap_or_default();
    let (Some(base), Tri::Known(es)) = (whole.endpoint().cloned(), &mut m.endpoint_service) else { return };
    let Some(es) = es.first_mut() else { return };
    drift(&base.acceptance_required, parts().map(|r| service(r).acceptance_required), &mut es.acceptance_required);
    drift(&base.supported_regions, parts().map(|r| service(r).supported_regions), &mut es.supported_regions);
    let mut connections: Vec<ConnectionModel> =
        parts().flat_map(|r| service(r).connections.known().cloned().unwrap_or_default()).collect();
    connections.sort_by(|a, b| a.endpoint_id.known().cmp(&b.endpoint_id.known()));
    es.connections = Tri::Known(connections);
}

/// The `load_balancers` entry of a load balancer the configuration no
/// longer has whose deletion failed: no broker, so the next apply deletes
/// it again.
pub(super) fn kept_entry(part: &Part) -> LoadBalancerModel {
    let es = part.model.endpoint();
    LoadBalancerModel {
        name: Tri::Known(part.name.clone()),
        load_balancer_arn: part.model.load_balancer_arn.clone(),
        endpoint_service_id: es.map_or(Tri::Null, |e| e.id.clone()),
        endpoint_service_name: es.map_or(Tri::Null, |e| e.service_name.clone()),
        broker_ids: strings(Vec::<String>::new()),
    }
}

/// The state of a setup of one load balancer, rendered as one part.
pub(super) fn whole(base: &Model, rendered: Model) -> Model {
    let name = single_name(&rendered).known().cloned().unwrap_or_default();
    merge(base, &[(Part { name, model: base.clone(), first: true }, rendered)], Vec::new())
}

/// The name of each new load balancer: `<name>` for shard 0 when free,
/// else the lowest `<name>-<k>` no load balancer of the prior state has (one
/// being deleted in the same apply still holds its name).
pub(super) fn new_names(name: &str, taken: &BTreeSet<String>, count: usize) -> Vec<String> {
    let mut used = taken.clone();
    let mut out = Vec::new();
    for k in 0..Shard::MAX {
        if out.len() == count {
            break;
        }
        let candidate = load_balancer_name(name, k);
        if used.insert(candidate.clone()) {
            out.push(candidate);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_load_balancers_take_the_lowest_free_names() {
        let taken = BTreeSet::from(["orders".to_owned(), "orders-2".to_owned()]);
        assert_eq!(new_names("orders", &taken, 3), ["orders-1", "orders-3", "orders-4"]);
        assert_eq!(new_names("orders", &BTreeSet::new(), 2), ["orders", "orders-1"]);
        assert!(new_names("orders", &taken, 0).is_empty());
    }

    #[test]
    fn broker_ids_sort_as_numbers() {
        let keys = ["10".to_owned(), "2".to_owned(), "1".to_owned()];
        assert_eq!(broker_ids(&keys), ["1", "2", "10"]);
    }
}
