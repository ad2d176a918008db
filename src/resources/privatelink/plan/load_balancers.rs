//! Which load balancer each broker sits behind, at plan: `load_balancers`
//! and each broker's `endpoint_service_name`. Spreading
//! (`brokers_per_load_balancer`) places brokers as `domain::spread` says,
//! keeping every live broker where the prior state has it; new load
//! balancers are named here, and the apply creates them under these names.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::ports::{BrokerId, MAX_LISTENERS_PER_NLB};
use crate::domain::spread::{Shard, shards, spread};
use crate::domain::validate::check_elb_name;
use crate::resources::privatelink::model::{LoadBalancerModel, Model, Strings, port_of, strings};
use crate::resources::privatelink::shards::{broker_ids, new_names, single_name, spreads};
use crate::resources::refusals::{LinkRefusal, refuse};
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::value::Tri;

/// The load balancers a state lists; a state written before
/// `load_balancers` existed has one, its top-level one.
pub(in crate::resources::privatelink) fn prior_entries(p: &Model) -> Vec<LoadBalancerModel> {
    match p.load_balancers.known() {
        Some(entries) if !entries.is_empty() => entries.clone(),
        _ => vec![LoadBalancerModel {
            name: single_name(p),
            load_balancer_arn: p.load_balancer_arn.clone(),
            endpoint_service_id: p.endpoint().map_or(Tri::Null, |e| e.id.clone()),
            endpoint_service_name: p.endpoint().map_or(Tri::Null, |e| e.service_name.clone()),
            broker_ids: strings(broker_ids(p.brokers.known().into_iter().flat_map(BTreeMap::keys))),
        }],
    }
}

/// Plans `load_balancers` and the brokers' `endpoint_service_name`, once
/// the rest of the plan is made; refuses a change of
/// `brokers_per_load_balancer` that would move live brokers, and two
/// brokers of one load balancer on one listener port.
pub(in crate::resources::privatelink) fn plan_load_balancers(
    planned: &mut Model,
    config: &Model,
    prior: Option<&Model>,
) -> Result<(), Diagnostics> {
    let was = prior.map(prior_entries).unwrap_or_default();
    let entries = if spreads(config) {
        spread_entries(planned, config, &was)?
    } else {
        if was.len() > 1 {
            return Err(refuse(&LinkRefusal::Gather { load_balancers: was.len() }).into());
        }
        Some(vec![single_entry(planned, was.first())])
    };
    let Some(entries) = entries else {
        planned.load_balancers = Tri::Unknown;
        for b in planned.brokers.known_mut().into_iter().flat_map(BTreeMap::values_mut) {
            b.endpoint_service_name = Tri::Unknown;
        }
        return Ok(());
    };
    check_ports(planned, &entries)?;
    let service_of: BTreeMap<String, Tri<String>> = entries
        .iter()
        .flat_map(|e| {
            let ids = e.broker_ids.known().into_iter().flatten().filter_map(|k| k.known().cloned());
            ids.map(|k| (k, e.endpoint_service_name.clone())).collect::<Vec<_>>()
        })
        .collect();
    for (k, b) in planned.brokers.known_mut().into_iter().flatten() {
        b.endpoint_service_name = service_of.get(k).cloned().unwrap_or(Tri::Unknown);
    }
    planned.load_balancers = Tri::Known(entries);
    Ok(())
}

/// The one load balancer of a setup that does not spread, as the plan
/// has it.
fn single_entry(planned: &Model, was: Option<&LoadBalancerModel>) -> LoadBalancerModel {
    // The same load balancer keeps its entry's name; so does one the
    // resource creates anew (deleted out of band), under its old name.
    let same = was.filter(|w| {
        (w.load_balancer_arn.known().is_some() && w.load_balancer_arn == planned.load_balancer_arn)
            || (planned.creates() && planned.load_balancer_arn.is_unknown() && w.name.known().is_some())
    });
    LoadBalancerModel {
        name: same.map_or_else(|| single_name(planned), |w| w.name.clone()),
        load_balancer_arn: planned.load_balancer_arn.clone(),
        endpoint_service_id: planned.endpoint().map_or(Tri::Unknown, |e| e.id.clone()),
        endpoint_service_name: planned.endpoint().map_or(Tri::Unknown, |e| e.service_name.clone()),
        broker_ids: planned.brokers.known().map_or(Tri::Unknown, |b| strings(broker_ids(b.keys()))),
    }
}

/// The spread's load balancers: the prior state's where brokers stay
/// (the first one always, while the setup lasts), new ones named after
/// the lowest free `<name>-<k>`. `None` while the brokers or the count are
/// unknown.
fn spread_entries(
    planned: &Model,
    config: &Model,
    was: &[LoadBalancerModel],
) -> Result<Option<Vec<LoadBalancerModel>>, Diagnostics> {
    let (Some(per), Some(brokers)) = (config.brokers_per_load_balancer.known(), planned.brokers.known()) else {
        return Ok(None);
    };
    let ids: BTreeSet<BrokerId> = brokers.keys().filter_map(|k| k.parse().ok()).collect();
    let current: BTreeMap<BrokerId, Shard> = was
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            let ids = e.broker_ids.known().into_iter().flatten().filter_map(|k| k.known()?.parse().ok());
            ids.map(move |id: BrokerId| (id, i as Shard))
        })
        .collect();
    let placed = spread(&ids, *per as u16, MAX_LISTENERS_PER_NLB as u16, &current)
        .map_err(|e| Diagnostics::from(refuse(&LinkRefusal::Spread(e))))?;
    let mut by_shard = shards(&placed);
    if !was.is_empty() {
        by_shard.entry(0).or_default();
    }
    let taken: BTreeSet<String> = was.iter().filter_map(|e| e.name.known().cloned()).collect();
    let fresh = by_shard.keys().filter(|s| usize::from(**s) >= was.len()).count();
    let mut names = match config.name.known() {
        Some(name) => new_names(name, &taken, fresh).into_iter().map(Tri::Known).collect(),
        None => vec![Tri::Unknown; fresh],
    }
    .into_iter();
    let mut entries = Vec::new();
    for (shard, held) in by_shard {
        let keys: Vec<String> = held.iter().map(ToString::to_string).collect();
        let broker_ids = strings(broker_ids(&keys));
        let entry = match was.get(usize::from(shard)) {
            Some(w) => {
                let kept = |v: &Tri<String>| if v.known().is_some() { v.clone() } else { Tri::Unknown };
                LoadBalancerModel {
                    name: w.name.clone(),
                    load_balancer_arn: kept(&w.load_balancer_arn),
                    endpoint_service_id: kept(&w.endpoint_service_id),
                    endpoint_service_name: kept(&w.endpoint_service_name),
                    broker_ids,
                }
            }
            None => new_entry(names.next().unwrap_or(Tri::Unknown), &keys, broker_ids)?,
        };
        entries.push(entry);
    }
    Ok(Some(entries))
}

/// A load balancer the plan creates for brokers `keys`, its name checked
/// against ELBv2's limit.
fn new_entry(name: Tri<String>, keys: &[String], broker_ids: Strings) -> Result<LoadBalancerModel, Diagnostics> {
    if let Some(n) = name.known()
        && let Err(e) = check_elb_name(n)
    {
        return Err(Diagnostic::error(
            "Name too long for a load balancer",
            format!("The plan creates a load balancer for brokers {}: {e}. Shorten the name.", keys.join(", ")),
        )
        .at(AttributePath::attr("name"))
        .into());
    }
    Ok(LoadBalancerModel {
        name,
        load_balancer_arn: Tri::Unknown,
        endpoint_service_id: Tri::Unknown,
        endpoint_service_name: Tri::Unknown,
        broker_ids,
    })
}

/// Brokers behind one load balancer (and the bootstrap listener, on the
/// first) need ports of their own.
fn check_ports(planned: &Model, entries: &[LoadBalancerModel]) -> Result<(), Diagnostics> {
    let Some(brokers) = planned.brokers.known() else { return Ok(()) };
    for (i, e) in entries.iter().enumerate() {
        let mut taken: BTreeMap<u16, AttributePath> = BTreeMap::new();
        if i == 0
            && let Some(p) = planned.bootstrap().and_then(|b| port_of(&b.listener_port))
        {
            taken.insert(p, AttributePath::attr("bootstrap").index(0).attribute("listener_port"));
        }
        for key in e.broker_ids.known().into_iter().flatten().filter_map(|k| k.known()) {
            let Some(port) = brokers.get(key).and_then(|b| port_of(&b.listener_port)) else { continue };
            let at = AttributePath::attr("brokers").key(key.clone()).attribute("listener_port");
            if let Some(first) = taken.get(&port) {
                let load_balancer = e.name.known().cloned().unwrap_or_else(|| format!("#{i}"));
                let r = LinkRefusal::SharedListenerPort { port, load_balancer, first: first.clone(), second: at };
                return Err(refuse(&r).into());
            }
            taken.insert(port, at);
        }
    }
    Ok(())
}
