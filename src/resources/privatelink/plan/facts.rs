//! What a plan reads from AWS: instance brokers' IPs and the VPC's
//! subnets, with the checks that need them.

use crate::resources::errors::Doing;
use crate::resources::refusals::{LinkRefusal, refuse};
use std::collections::{BTreeMap, BTreeSet};

use tokio_util::sync::CancellationToken;

use crate::resources::privatelink::model::{Model, known_strings};
use crate::resources::privatelink::{KafkaPrivatelink, aws_error, model};

use crate::aws::ec2;
use crate::server::api::diag::Diagnostics;
use crate::server::api::value::Tri;

/// What the plan reads from AWS.
pub(super) struct Facts {
    pub(super) ips: BTreeMap<String, Tri<String>>,
    pub(super) subnets: Option<Vec<ec2::Subnet>>,
}

impl KafkaPrivatelink {
    /// What the plan reads from AWS: instance brokers' IPs (once per new
    /// instance) and, when broker IPs or subnets change, the VPC's
    /// subnets; with the checks that need them (unknown subnets, two in
    /// one zone). The only AWS reads of a plan besides the preflight.
    pub(super) async fn facts(
        &self,
        config: &Model,
        prior: Option<&Model>,
        stop: &CancellationToken,
    ) -> Result<Facts, Diagnostics> {
        // instance brokers: their private IP, read once per new instance
        let prior_brokers = prior.and_then(|p| p.brokers.known());
        let ips = self.broker_ips(config, prior_brokers).await?;

        // subnets: the zone of every new broker IP, one subnet per zone
        // (A broker another actor registers has no ip, and no zone to find.)
        let needs_zones = config.brokers.known().is_some_and(|bs| {
            bs.keys().filter(|k| ips.get(*k).is_some_and(|ip| !ip.is_null())).any(|k| {
                let was = prior_brokers.and_then(|p| p.get(k));
                was.is_none_or(|w| Some(&w.ip) != ips.get(k) || w.availability_zone_id.known().is_none())
            })
        }) || prior.is_none_or(|p| known_strings(&p.subnet_ids) != known_strings(&config.subnet_ids));
        let subnets = match (needs_zones, config.vpc_id.known()) {
            (true, Some(vpc)) => {
                Some(self.subnets_with(vpc, &known_strings(&config.subnet_ids).unwrap_or_default(), stop).await?)
            }
            _ => None,
        };
        if let (Some(subnets), Some(wanted)) = (&subnets, known_strings(&config.subnet_ids)) {
            let mut by_zone: BTreeMap<&str, &str> = BTreeMap::new();
            for id in &wanted {
                match subnets.iter().find(|s| &s.id == id) {
                    None => {
                        let vpc = config.vpc_id.known().cloned().unwrap_or_default();
                        return Err(refuse(&LinkRefusal::UnknownSubnet { id: id.clone(), vpc }).into());
                    }
                    Some(s) => {
                        if let Some(other) = by_zone.insert(&s.zone_id, &s.id) {
                            return Err(refuse(&LinkRefusal::TwoSubnetsInZone {
                                first: other.to_owned(),
                                second: id.clone(),
                                zone_id: s.zone_id.clone(),
                                zone_name: s.zone_name.clone(),
                            })
                            .into());
                        }
                    }
                }
            }
        }
        Ok(Facts { ips, subnets })
    }
}

/// Each broker's IP as far as the configuration and the prior state know
/// it, and the instances whose IP is still to read (with their brokers).
type IpLookup = (BTreeMap<String, Tri<String>>, BTreeMap<String, Vec<String>>);

pub(super) fn ips_known(
    brokers: &BTreeMap<String, model::Broker>,
    prior_brokers: Option<&BTreeMap<String, model::Broker>>,
) -> IpLookup {
    let mut out = BTreeMap::new();
    let mut lookup: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, b) in brokers {
        let ip = match (&b.ip, &b.instance_id) {
            (Tri::Known(ip), Tri::Null) => Tri::Known(ip.clone()),
            (_, Tri::Known(instance)) => {
                let was = prior_brokers.and_then(|p| p.get(key)).filter(|w| w.instance_id.known() == Some(instance));
                match was.map(|w| &w.ip) {
                    Some(Tri::Known(ip)) if b.ip.known().is_none_or(|g| g == ip) => Tri::Known(ip.clone()),
                    _ => {
                        lookup.entry(instance.clone()).or_default().push(key.clone());
                        Tri::Unknown
                    }
                }
            }
            (Tri::Null, Tri::Null) => Tri::Null,
            _ => Tri::Unknown,
        };
        out.insert(key.clone(), ip);
    }
    (out, lookup)
}

impl KafkaPrivatelink {
    /// Each broker's IP: its own, or its instance's primary private IP —
    /// the state's while the instance stays the same, else read in one
    /// DescribeInstances for all new instances. Unknown while its
    /// `instance_id` is.
    pub(super) async fn broker_ips(
        &self,
        config: &Model,
        prior_brokers: Option<&BTreeMap<String, model::Broker>>,
    ) -> Result<BTreeMap<String, Tri<String>>, Diagnostics> {
        let Some(brokers) = config.brokers.known() else { return Ok(BTreeMap::new()) };
        let (mut out, lookup) = ips_known(brokers, prior_brokers);
        if lookup.is_empty() {
            return Ok(out);
        }
        let clients = self.clients().await?;
        let ids: BTreeSet<String> = lookup.keys().cloned().collect();
        let found = ec2::instances(&clients.ec2, &ids)
            .await
            .map_err(|e| Diagnostics::from(aws_error(clients, Doing::Planning, config.label(), &e)))?;
        for (instance, keys) in lookup {
            let key = keys[0].clone();
            let Some(i) = found.get(&instance) else {
                let region = clients.region.to_string();
                return Err(refuse(&LinkRefusal::UnknownInstance { key, instance, region }).into());
            };
            if let Some(vpc) = config.vpc_id.known()
                && &i.vpc_id != vpc
            {
                let found = i.vpc_id.clone();
                return Err(refuse(&LinkRefusal::InstanceOutsideVpc { key, instance, found, vpc: vpc.clone() }).into());
            }
            for key in keys {
                let given = brokers[&key].ip.known().cloned();
                if let Some(given) = given.filter(|g| *g != i.private_ip.to_string()) {
                    let has = i.private_ip.to_string();
                    return Err(refuse(&LinkRefusal::IpNotInstances { key, instance, has, given }).into());
                }
                out.insert(key, Tri::Known(i.private_ip.to_string()));
            }
        }
        Ok(out)
    }
}
