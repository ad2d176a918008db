//! Import by NLB ARN, endpoint service id or identity.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::model::{Bootstrap, DEFAULT_BASE, DEFAULT_BROKER_PORT, EndpointService, Model, string_map, strings};
use super::private::{Private, Provenance, new_token};
use super::shards::{Part, spec_for};
use super::to_domain::spec_of;
use super::to_state::render;
use super::{KafkaPrivatelink, model};
use crate::resources::errors::{Doing, Subject, aws_diagnostic};
use crate::resources::values::Typed as _;

use crate::aws::observe::{CallCounter, Lookup, observe};
use crate::aws::{Clients, ec2};
use crate::domain::import;
use crate::domain::layout::{Observed, ObservedLoadBalancer, Role, TargetId};
use crate::domain::ownership::{self, Instance, Recorded, is_reserved_tag};
use crate::domain::ports::BrokerId;
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::provider::ImportResponse;
use crate::server::api::value::Tri;

impl KafkaPrivatelink {
    /// The load balancer an import id names: an NLB ARN, or an endpoint
    /// service id whose service fronts one.
    pub(super) async fn import_target(&self, clients: &Clients, id: &str) -> Result<String, Diagnostic> {
        let bad = |detail: String| Diagnostic::error("Invalid import id", detail);
        if id.starts_with("arn:") {
            crate::domain::validate::check_load_balancer_arn(id).map_err(bad)?;
            return Ok(id.to_owned());
        }
        if id.starts_with("vpce-svc-") {
            crate::domain::validate::check_endpoint_service_id(id).map_err(bad)?;
            let svc = ec2::find_service(&clients.ec2, ec2::ServiceKey::Id(id))
                .await
                .map_err(|e| aws_diagnostic(clients, Doing::Importing, &Subject::PrivateLink(id), &e))?
                .ok_or_else(|| bad(format!("No VPC endpoint service {id} exists in {}.", clients.region)))?;
            return svc
                .load_balancer_arns
                .first()
                .cloned()
                .ok_or_else(|| bad(format!("The endpoint service {id} fronts no network load balancer.")));
        }
        Err(bad(format!(
            "{id:?} is neither a network load balancer ARN (arn:aws:elasticloadbalancing:…:loadbalancer/net/…) nor an endpoint service id (vpce-svc-…)."
        )))
    }

    pub(super) async fn import_state(&self, id: &str) -> Result<ImportResponse, Diagnostics> {
        if id.contains(',') || id.contains('=') {
            return self.import_spread(id).await;
        }
        let clients = self.clients().await?;
        let arn = self.import_target(clients, id).await?;
        self.import_load_balancer(&arn, &mut BTreeMap::new()).await
    }

    /// Imports one load balancer. `subnets` caches each VPC's subnets, so
    /// that listing many load balancers of one VPC reads them once.
    pub(super) async fn import_load_balancer(
        &self,
        arn: &str,
        subnets: &mut BTreeMap<String, Vec<ec2::Subnet>>,
    ) -> Result<ImportResponse, Diagnostics> {
        let Found { mut observed, lb, layout, instances } = self.read_for_import(arn, false).await?;
        let siblings = self.siblings(&lb).await?;
        if siblings.len() > 1 {
            return self.import_spread(&siblings.join(",")).await;
        }
        if !subnets.contains_key(&lb.vpc_id) {
            subnets.insert(lb.vpc_id.clone(), self.subnets(&lb.vpc_id).await?);
        }
        let subnets = &subnets[&lb.vpc_id];
        let default_tags = self.provider.default_tags();
        let base = imported_model(&layout, &lb, &observed, subnets, &instances, &default_tags);
        let spec = spec_of(&base, &default_tags).map_err(Diagnostics::from)?;
        let zones = subnets.iter().filter(|s| lb.subnets.contains(&s.id)).map(|s| s.zone_id.clone()).collect();
        let instance = Instance {
            name: spec.name.clone(),
            token: new_token(),
            recorded: imported_records(&layout, &lb, &observed),
            complete: true,
        };
        instance.claim(&mut observed, &lb.vpc_id);
        let rendered = render(&base, &spec, &observed, &instance.recorded, Some(Tri::Known(zones)));
        let state = Model::encode(&super::shards::whole(&base, rendered))?;
        let private = Private {
            instance: Some(instance.token.clone()),
            load_balancer: Some(Provenance::Imported),
            ..Private::default()
        };
        Ok(ImportResponse { state, private: private.encode(), diagnostics: import_warnings(&layout, &lb, &observed) })
    }

    /// Imports a setup of several load balancers (the per-broker layout
    /// ClickHouse's MSK guide and AWS's cross-account MSK sample build), as
    /// `[<broker id>=]<NLB ARN or vpce-svc id>,…` names them, the first
    /// being the one the single-valued attributes speak of.
    async fn import_spread(&self, id: &str) -> Result<ImportResponse, Diagnostics> {
        let (mut found, given) = self.read_spread(id).await?;
        let cannot = |detail: String| Diagnostics::from(Diagnostic::error("Cannot import", detail));
        let (vpc, subnet_ids) = (found[0].lb.vpc_id.clone(), found[0].lb.subnets.clone());
        let layouts: Vec<(&str, &import::ImportedLayout)> =
            found.iter().map(|f| (f.lb.name.as_str(), &f.layout)).collect();
        let ids = import::spread_ids(&layouts, &given).map_err(|e| cannot(format!("{e}.")))?;
        let mut mapping = Vec::new();
        for (f, map) in found.iter_mut().zip(&ids) {
            f.layout.brokers = f.layout.brokers.iter().map(|(id, b)| (map[id], b.clone())).collect();
            f.layout.ids = import::IdSource::Tags;
            mapping.extend(map.values().map(|id| format!("{} → broker {id}", f.lb.name)));
        }
        let subnets = self.subnets(&vpc).await?;
        let default_tags = self.provider.default_tags();
        let models: Vec<Model> = found
            .iter()
            .map(|f| imported_model(&f.layout, &f.lb, &f.observed, &subnets, &f.instances, &default_tags))
            .collect();
        let whole = spread_model(&models, found.iter().map(|f| f.layout.brokers.len()).max().unwrap_or(1));
        let spec = spec_of(&whole, &default_tags).map_err(Diagnostics::from)?;
        let zones: BTreeSet<String> =
            subnets.iter().filter(|s| subnet_ids.contains(&s.id)).map(|s| s.zone_id.clone()).collect();
        let token = new_token();
        let mut rendered = Vec::new();
        let mut diagnostics = Diagnostics::new();
        for (i, (f, m)) in found.iter_mut().zip(models).enumerate() {
            let model = Model {
                broker_port: whole.broker_port.clone(),
                listener_port_base: whole.listener_port_base.clone(),
                brokers_per_load_balancer: whole.brokers_per_load_balancer.clone(),
                ..m
            };
            let part = Part { name: f.lb.name.clone(), model, first: i == 0 };
            let part_spec = spec_for(&spec, &part);
            let recorded = imported_records(&f.layout, &f.lb, &f.observed);
            let instance = Instance { name: spec.name.clone(), token: token.clone(), recorded, complete: true };
            instance.claim(&mut f.observed, &vpc);
            let state =
                render(&part.model, &part_spec, &f.observed, &instance.recorded, Some(Tri::Known(zones.clone())));
            diagnostics.extend(import_warnings(&f.layout, &f.lb, &f.observed));
            rendered.push((part, state));
        }
        if given.iter().all(Option::is_none) && found.iter().any(|f| f.layout.brokers.len() == 1) {
            diagnostics.warning(
                "Broker ids from load balancer names",
                format!(
                    "{}. Write the brokers map with these ids, or import again naming each id (`1=<ARN>,…`).",
                    mapping.join(", ")
                ),
            );
        }
        let state = Model::encode(&super::shards::merge(&whole, &rendered, Vec::new()))?;
        let private =
            Private { instance: Some(token), load_balancer: Some(Provenance::Imported), ..Private::default() };
        Ok(ImportResponse { state, private: private.encode(), diagnostics })
    }

    /// The load balancers of the same `kafka_privatelink` instance as `lb`
    /// (its token tag), the one named after the setup first, then the
    /// others by their number: a load balancer of a spread imports with
    /// all of its own. Empty for a load balancer no instance of ours marks.
    async fn siblings(&self, lb: &ObservedLoadBalancer) -> Result<Vec<String>, Diagnostics> {
        let (Some(token), Some(owner)) = (lb.tags.get(ownership::INSTANCE_TAG), lb.tags.get(ownership::OWNER_TAG))
        else {
            return Ok(Vec::new());
        };
        let clients = self.clients().await?;
        let failed =
            |e| Diagnostics::from(aws_diagnostic(clients, Doing::Importing, &Subject::PrivateLink(&lb.arn), &e));
        let all: Vec<ObservedLoadBalancer> = crate::aws::elbv2::all_load_balancers(&clients.elbv2)
            .await
            .map_err(failed)?
            .into_iter()
            .filter(|l| l.is_network && l.vpc_id == lb.vpc_id)
            .collect();
        let arns: Vec<String> = all.iter().map(|l| l.arn.clone()).collect();
        let tags = crate::aws::elbv2::tags_of(&clients.elbv2, &arns).await.map_err(failed)?;
        let mut ours: Vec<(u32, String)> = all
            .iter()
            .filter(|l| tags.get(&l.arn).and_then(|t| t.get(ownership::INSTANCE_TAG)) == Some(token))
            .map(|l| {
                let k = if &l.name == owner {
                    0
                } else {
                    l.name.strip_prefix(&format!("{owner}-")).and_then(|k| k.parse().ok()).unwrap_or(u32::MAX)
                };
                (k, l.arn.clone())
            })
            .collect();
        ours.sort();
        Ok(ours.into_iter().map(|(_, arn)| arn).collect())
    }

    /// The load balancers an import id of several names, each read as for
    /// an import of one, with the broker id given for each; refused unless
    /// they share a VPC and subnets and only the first has a bootstrap
    /// listener.
    async fn read_spread(&self, id: &str) -> Result<(Vec<Found>, Vec<Option<BrokerId>>), Diagnostics> {
        let clients = self.clients().await?;
        let bad = |detail: String| Diagnostics::from(Diagnostic::error("Invalid import id", detail));
        let mut given = Vec::new();
        let mut found = Vec::new();
        for entry in id.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (broker, target) = match entry.split_once('=') {
                Some((b, t)) => {
                    (Some(b.trim().parse::<BrokerId>().map_err(|e| bad(format!("{b:?}: {e}.")))?), t.trim())
                }
                None => (None, entry),
            };
            given.push(broker);
            let arn = self.import_target(clients, target).await?;
            if found.iter().any(|f: &Found| f.lb.arn == arn) {
                return Err(bad(format!("{target} names a load balancer the id already names ({arn}).")));
            }
            found.push(self.read_for_import(&arn, true).await?);
        }
        let cannot = |detail: String| Diagnostics::from(Diagnostic::error("Cannot import", detail));
        let Some(first) = found.first() else { return Err(bad("No load balancer named.".into())) };
        for f in &found[1..] {
            if f.lb.vpc_id != first.lb.vpc_id || f.lb.subnets != first.lb.subnets {
                return Err(cannot(format!(
                    "{} is in other subnets than {}: the load balancers of one setup share vpc_id and subnet_ids.",
                    f.lb.name, first.lb.name
                )));
            }
            if f.layout.bootstrap.is_some() {
                return Err(cannot(format!(
                    "{} has a bootstrap listener: only the first load balancer named may.",
                    f.lb.name
                )));
            }
        }
        Ok((found, given))
    }

    /// What an import reads of AWS: the load balancer and everything
    /// behind it, the layout it holds, and its instance brokers' IPs (one
    /// call for all). `in_spread`: one of several, which may hold nothing.
    async fn read_for_import(&self, arn: &str, in_spread: bool) -> Result<Found, Diagnostics> {
        let clients = self.clients().await?;
        let failed = |e| Diagnostics::from(aws_diagnostic(clients, Doing::Importing, &Subject::PrivateLink(arn), &e));
        let lookup = Lookup { load_balancer_arn: Some(arn.to_owned()), read_targets: true, ..Lookup::default() };
        let observed = observe(clients, &lookup, &CallCounter::default()).await.map_err(failed)?;
        let Some(lb) = observed.load_balancer.clone() else {
            return Err(Diagnostic::error(
                "Invalid import id",
                format!("No load balancer {arn} exists in {}.", clients.region),
            )
            .into());
        };
        // One load balancer of several may hold no broker (the first of a
        // spread whose brokers all left keeps the bootstrap, or nothing).
        let layout = match import::classify(&observed) {
            Err(import::ImportError::NoListeners(_)) if in_spread => import::ImportedLayout::empty(&lb),
            other => other.map_err(|e| Diagnostics::from(Diagnostic::error("Cannot import", e.to_string())))?,
        };
        let instance_ids: BTreeSet<String> = layout
            .brokers
            .values()
            .filter_map(|b| match &b.target {
                Some(TargetId::Instance(id)) => Some(id.clone()),
                _ => None,
            })
            .collect();
        let instances = if instance_ids.is_empty() {
            BTreeMap::new()
        } else {
            ec2::instances(&clients.ec2, &instance_ids).await.map_err(failed)?
        };
        Ok(Found { observed, lb, layout, instances })
    }
}

/// What an import found in AWS.
struct Found {
    observed: Observed,
    lb: ObservedLoadBalancer,
    layout: import::ImportedLayout,
    instances: BTreeMap<String, ec2::Instance>,
}

/// One imported broker: its target, address and zone — none when another
/// actor registers the targets (`unbound`) —, ports.
fn imported_broker(
    b: &import::ImportedBroker,
    unbound: bool,
    subnets: &[ec2::Subnet],
    instances: &BTreeMap<String, ec2::Instance>,
) -> model::Broker {
    let target = b.target.as_ref().filter(|_| !unbound);
    let ip = target.and_then(|t| match t {
        TargetId::Ip(ip) => Some(*ip),
        TargetId::Instance(id) => instances.get(id).map(|i| i.private_ip),
    });
    let zone_of = |ip: Ipv4Addr| subnets.iter().find(|s| s.contains(ip)).map(|s| s.zone_id.clone());
    model::Broker {
        ip: ip.map(|i| i.to_string()).into(),
        instance_id: match target {
            Some(TargetId::Instance(id)) => Tri::Known(id.clone()),
            _ => Tri::Null,
        },
        port: Tri::Known(f64::from(b.port)),
        listener_port: Tri::Known(f64::from(b.listener_port)),
        availability_zone_id: ip.and_then(zone_of).into(),
        ..Default::default()
    }
}

/// The configuration an imported layout stands for: brokers by id with
/// their targets, ports and zones, the bootstrap listener, the service's
/// principals and regions, and the tags that are not the provider's own or
/// its `default_tags`.
fn imported_model(
    layout: &import::ImportedLayout,
    lb: &ObservedLoadBalancer,
    observed: &Observed,
    subnets: &[ec2::Subnet],
    instances: &BTreeMap<String, ec2::Instance>,
    default_tags: &BTreeMap<String, String>,
) -> Model {
    let ports: BTreeSet<u16> = layout.brokers.values().map(|b| b.port).collect();
    let broker_port =
        if ports.len() == 1 { ports.first().copied().unwrap_or(DEFAULT_BROKER_PORT) } else { DEFAULT_BROKER_PORT };
    let own_tags: BTreeMap<String, String> = observed
        .service
        .as_ref()
        .map(|s| &s.tags)
        .unwrap_or(&lb.tags)
        .iter()
        .filter(|(k, v)| !is_reserved_tag(k) && default_tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let svc = observed.service.as_ref();
    let optional_set = |s: Option<&BTreeSet<String>>| match s {
        Some(s) if !s.is_empty() => strings(s.clone()),
        _ => Tri::Null,
    };
    let unbound = layout.unbound();
    let broker = |b: &import::ImportedBroker| imported_broker(b, unbound, subnets, instances);
    Model {
        name: Tri::Known(layout.name.clone()),
        vpc_id: Tri::Known(lb.vpc_id.clone()),
        subnet_ids: strings(lb.subnets.clone()),
        load_balancer_arn: Tri::Known(lb.arn.clone()),
        broker_port: Tri::Known(f64::from(broker_port)),
        listener_port_base: Tri::Known(f64::from(layout.base)),
        brokers: Tri::Known(layout.brokers.iter().map(|(id, b)| (id.to_string(), broker(b))).collect()),
        bootstrap: match layout.bootstrap {
            Some((listener_port, target_port)) => Tri::Known(vec![Bootstrap {
                listener_port: Tri::Known(f64::from(listener_port)),
                target_port: target_port.map(f64::from).into(),
                ..Default::default()
            }]),
            None => Tri::Null,
        },
        endpoint_service: Tri::Known(vec![EndpointService {
            allowed_principals: optional_set(svc.map(|s| &s.principals)),
            supported_regions: optional_set(svc.map(|s| &s.supported_regions)),
            ..Default::default()
        }]),
        tags: if own_tags.is_empty() { Tri::Null } else { string_map(&own_tags) },
        target_registration: if unbound { Tri::Known("external".to_owned()) } else { Tri::Null },
        target_type: if unbound { Tri::Known(layout.kind.as_str().to_owned()) } else { Tri::Null },
        ..Model::default()
    }
}

/// The configuration a setup of several load balancers stands for: the
/// first one's, with every broker, `per` brokers to a load balancer, the
/// lowest listener port base (the default with one broker to each), and
/// one broker port when all share it.
fn spread_model(models: &[Model], per: usize) -> Model {
    let mut whole = models.first().cloned().unwrap_or_default();
    let mut brokers: BTreeMap<String, model::Broker> =
        models.iter().flat_map(|m| m.brokers.known().cloned().unwrap_or_default()).collect();
    // Another actor registers behind one load balancer: behind all of them.
    if let Some(external) = models.iter().find(|m| m.external() == Some(true)) {
        whole.target_registration = external.target_registration.clone();
        whole.target_type = external.target_type.clone();
        for b in brokers.values_mut() {
            (b.ip, b.instance_id, b.availability_zone_id) = (Tri::Null, Tri::Null, Tri::Null);
        }
    }
    let ports: BTreeSet<u64> = brokers.values().filter_map(|b| b.port.known().map(|p| *p as u64)).collect();
    whole.broker_port = match ports.iter().collect::<Vec<_>>().as_slice() {
        [only] => Tri::Known(**only as f64),
        _ => Tri::Known(f64::from(DEFAULT_BROKER_PORT)),
    };
    // One broker to a load balancer: its listener port is its own port, and
    // the base plays no part (the default's is kept).
    whole.listener_port_base = match per {
        1 => Tri::Known(f64::from(DEFAULT_BASE)),
        _ => models
            .iter()
            .filter_map(|m| m.listener_port_base.known().copied())
            .reduce(f64::min)
            .map_or(whole.listener_port_base.clone(), Tri::Known),
    };
    whole.brokers = Tri::Known(brokers);
    whole.brokers_per_load_balancer = Tri::Known(per as f64);
    whole
}

/// What an import gives the resource: the load balancer, the groups behind
/// the listeners the layout classified, those listeners, and the service.
fn imported_records(layout: &import::ImportedLayout, lb: &ObservedLoadBalancer, observed: &Observed) -> Recorded {
    let group_on = |port: u16| {
        observed
            .listener_on(port)
            .and_then(|l| l.target_group_arn.clone())
            .filter(|a| observed.target_group(a).is_some())
    };
    let mut groups: BTreeMap<Role, String> =
        layout.brokers.iter().filter_map(|(id, b)| Some((Role::Broker(*id), group_on(b.listener_port)?))).collect();
    if let Some((port, _)) = layout.bootstrap
        && let Some(arn) = group_on(port)
    {
        groups.insert(Role::Bootstrap, arn);
    }
    let ports: BTreeSet<u16> =
        layout.brokers.values().map(|b| b.listener_port).chain(layout.bootstrap.map(|b| b.0)).collect();
    Recorded {
        load_balancer: Some(lb.arn.clone()),
        listeners: observed.listeners.iter().filter(|l| ports.contains(&l.port)).map(|l| l.arn.clone()).collect(),
        service: observed.service.as_ref().map(|s| s.id.clone()),
        groups,
        leftover_groups: BTreeSet::new(),
    }
}

/// What an import says besides the state: broker ids it had to infer, a
/// load balancer no service fronts.
fn import_warnings(layout: &import::ImportedLayout, lb: &ObservedLoadBalancer, observed: &Observed) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    if layout.ids == import::IdSource::Convention {
        diagnostics.warning(
            "Broker ids inferred from listener ports",
            format!(
                "{} carries no broker ids of ours, so each broker's id is its listener port − {} + 1: {}.                      Write the brokers map with these ids, or change them before the next apply.",
                lb.name,
                layout.base,
                layout.mapping()
            ),
        );
    }
    if observed.service.is_none() {
        diagnostics.warning(
            "No endpoint service",
            format!("No VPC endpoint service fronts {}; the next apply creates one.", lb.arn),
        );
    }
    diagnostics
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::import::{IdSource, ImportedBroker, ImportedLayout};
    use crate::domain::layout::{ObservedListener, ObservedService, ObservedTargetGroup};
    use crate::domain::ports::BrokerId;

    fn layout() -> ImportedLayout {
        let broker = |ip: &str, listener_port| ImportedBroker {
            target: Some(TargetId::Ip(ip.parse().expect("an address"))),
            port: 9092,
            listener_port,
        };
        ImportedLayout {
            name: "mz".into(),
            brokers: BTreeMap::from([
                (BrokerId::new(1), broker("10.0.1.10", 9001)),
                (BrokerId::new(2), broker("10.0.2.10", 9002)),
            ]),
            bootstrap: Some((9000, None)),
            base: 9001,
            ids: IdSource::Convention,
            kind: crate::domain::layout::TargetKind::Ip,
        }
    }

    #[test]
    fn an_import_records_the_classified_listeners_their_groups_and_the_service_only() {
        let lb = ObservedLoadBalancer { arn: "lb".into(), name: "mz-lb".into(), ..Default::default() };
        let listener = |port, tg: &str| ObservedListener {
            arn: format!("l{port}"),
            port,
            target_group_arn: Some(tg.to_owned()),
            ..Default::default()
        };
        let observed = Observed {
            load_balancer: Some(lb.clone()),
            target_groups: ["tg1", "tg2", "tgb", "web"]
                .iter()
                .map(|a| ObservedTargetGroup { arn: (*a).to_owned(), ..Default::default() })
                .collect(),
            // 443 is someone else's listener: not the import's
            listeners: vec![listener(9001, "tg1"), listener(9002, "tg2"), listener(9000, "tgb"), listener(443, "web")],
            service: Some(ObservedService { id: "vpce-svc-1".into(), ..Default::default() }),
        };
        let recorded = imported_records(&layout(), &lb, &observed);
        assert_eq!(recorded.load_balancer.as_deref(), Some("lb"));
        assert_eq!(recorded.service.as_deref(), Some("vpce-svc-1"));
        assert_eq!(
            recorded.groups,
            BTreeMap::from([
                (Role::Broker(BrokerId::new(1)), "tg1".to_owned()),
                (Role::Broker(BrokerId::new(2)), "tg2".to_owned()),
                (Role::Bootstrap, "tgb".to_owned()),
            ])
        );
        assert_eq!(recorded.listeners, BTreeSet::from(["l9000".to_owned(), "l9001".to_owned(), "l9002".to_owned()]));
        let said = import_warnings(&layout(), &lb, &observed);
        assert_eq!(said.iter().count(), 1, "inferred ids are said, a present service is not: {said:?}");
        assert!(said.iter().any(|d| d.detail.contains("9001 → broker 1, 9002 → broker 2")));
    }

    #[test]
    fn an_imported_model_keeps_the_brokers_ports_and_zones_and_leaves_reserved_and_default_tags_out() {
        let lb = ObservedLoadBalancer {
            arn: "lb".into(),
            vpc_id: "vpc-1".into(),
            subnets: BTreeSet::from(["subnet-a".to_owned()]),
            tags: BTreeMap::from([
                ("team".to_owned(), "data".to_owned()),
                ("env".to_owned(), "prod".to_owned()),
                ("kafka-privatelink:owner".to_owned(), "mz".to_owned()),
            ]),
            ..Default::default()
        };
        let observed = Observed { load_balancer: Some(lb.clone()), ..Default::default() };
        let subnets = [ec2::Subnet {
            id: "subnet-a".into(),
            vpc_id: "vpc-1".into(),
            zone_name: "us-east-1a".into(),
            zone_id: "use1-az1".into(),
            cidr: crate::domain::net::Cidr::parse("10.0.1.0/24").expect("a CIDR"),
        }];
        let defaults = BTreeMap::from([("env".to_owned(), "prod".to_owned())]);
        let m = imported_model(&layout(), &lb, &observed, &subnets, &BTreeMap::new(), &defaults);
        let brokers = m.brokers.known().expect("brokers");
        assert_eq!(brokers.len(), 2);
        assert_eq!(brokers["1"].availability_zone_id, Tri::Known("use1-az1".to_owned()));
        assert_eq!(brokers["2"].availability_zone_id, Tri::Null, "10.0.2.10 is in no subnet given");
        assert_eq!(m.broker_port, Tri::Known(9092.0));
        assert_eq!(m.listener_port_base, Tri::Known(9001.0));
        assert_eq!(m.tags, string_map(&BTreeMap::from([("team".to_owned(), "data".to_owned())])));
    }
}
