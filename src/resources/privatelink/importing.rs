//! Import by NLB ARN, endpoint service id or identity.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use super::model::{Bootstrap, DEFAULT_BROKER_PORT, EndpointService, Model, string_map, strings};
use super::private::{Private, Provenance, new_token};
use super::render::{render, spec_of};
use super::{KafkaPrivatelink, encode, model};
use crate::resources::errors::aws_diagnostic;

use crate::aws::observe::{CallCounter, Lookup, observe};
use crate::aws::{Clients, ec2};
use crate::domain::import;
use crate::domain::layout::{Role, TargetId};
use crate::domain::ownership::{Instance, Recorded, is_reserved_tag};
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
                .map_err(|e| aws_diagnostic(clients, "importing", "Kafka PrivateLink", &e))?
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
        let clients = self.clients().await?;
        let arn = arn.to_owned();
        let lookup = Lookup { load_balancer_arn: Some(arn.clone()), read_targets: true, ..Lookup::default() };
        let calls = CallCounter::default();
        let mut observed = observe(clients, &lookup, &calls)
            .await
            .map_err(|e| Diagnostics::from(aws_diagnostic(clients, "importing", "Kafka PrivateLink", &e)))?;
        let Some(lb) = observed.load_balancer.clone() else {
            return Err(Diagnostic::error(
                "Invalid import id",
                format!("No load balancer {arn} exists in {}.", clients.region),
            )
            .into());
        };
        let layout = import::classify(&observed)
            .map_err(|e| Diagnostics::from(Diagnostic::error("Cannot import", e.to_string())))?;
        if !subnets.contains_key(&lb.vpc_id) {
            subnets.insert(lb.vpc_id.clone(), self.subnets(&lb.vpc_id).await?);
        }
        let subnets = &subnets[&lb.vpc_id];
        let zone_of = |ip: Ipv4Addr| subnets.iter().find(|s| s.contains(ip)).map(|s| s.zone_id.clone());
        // Instance brokers: their private IPs, in one call.
        let instance_ids: BTreeSet<String> = layout
            .brokers
            .values()
            .filter_map(|b| match &b.target {
                TargetId::Instance(id) => Some(id.clone()),
                TargetId::Ip(_) => None,
            })
            .collect();
        let instances = if instance_ids.is_empty() {
            BTreeMap::new()
        } else {
            ec2::instances(&clients.ec2, &instance_ids)
                .await
                .map_err(|e| Diagnostics::from(aws_diagnostic(clients, "importing", "Kafka PrivateLink", &e)))?
        };
        let ip_of = |t: &TargetId| match t {
            TargetId::Ip(ip) => Some(*ip),
            TargetId::Instance(id) => instances.get(id).map(|i| i.private_ip),
        };
        let ports: BTreeSet<u16> = layout.brokers.values().map(|b| b.port).collect();
        let broker_port =
            if ports.len() == 1 { ports.first().copied().unwrap_or(DEFAULT_BROKER_PORT) } else { DEFAULT_BROKER_PORT };

        let default_tags = self.provider.default_tags();
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
        let base = Model {
            name: Tri::Known(layout.name.clone()),
            vpc_id: Tri::Known(lb.vpc_id.clone()),
            subnet_ids: strings(lb.subnets.clone()),
            load_balancer_arn: Tri::Known(lb.arn.clone()),
            broker_port: Tri::Known(f64::from(broker_port)),
            listener_port_base: Tri::Known(f64::from(layout.base)),
            brokers: Tri::Known(
                layout
                    .brokers
                    .iter()
                    .map(|(id, b)| {
                        let ip = ip_of(&b.target);
                        let broker = model::Broker {
                            ip: ip.map(|i| i.to_string()).into(),
                            instance_id: match &b.target {
                                TargetId::Instance(id) => Tri::Known(id.clone()),
                                TargetId::Ip(_) => Tri::Null,
                            },
                            port: Tri::Known(f64::from(b.port)),
                            listener_port: Tri::Known(f64::from(b.listener_port)),
                            availability_zone_id: ip.and_then(zone_of).into(),
                            ..Default::default()
                        };
                        (id.to_string(), broker)
                    })
                    .collect(),
            ),
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
            ..Model::default()
        };
        let spec = spec_of(&base, &default_tags).map_err(Diagnostics::from)?;
        let zones = subnets.iter().filter(|s| lb.subnets.contains(&s.id)).map(|s| s.zone_id.clone()).collect();
        // Import gives the resource the load balancer, the groups behind the
        // listeners it classified, those listeners and the service.
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
        let recorded = Recorded {
            load_balancer: Some(lb.arn.clone()),
            listeners: observed.listeners.iter().filter(|l| ports.contains(&l.port)).map(|l| l.arn.clone()).collect(),
            service: observed.service.as_ref().map(|s| s.id.clone()),
            groups,
            leftover_groups: BTreeSet::new(),
        };
        let instance = Instance { name: spec.name.clone(), token: new_token(), recorded, complete: true };
        instance.claim(&mut observed, &lb.vpc_id);
        let state = encode(&render(&base, &spec, &observed, &instance.recorded, Some(Tri::Known(zones))))?;
        let private = Private {
            instance: Some(instance.token.clone()),
            load_balancer: Some(Provenance::Imported),
            ..Private::default()
        };
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
        Ok(ImportResponse { state, private: private.encode(), diagnostics })
    }
}
