//! The plan-time security-group check: reads each broker's security groups
//! (the network interface holding its IP) and warns, per broker and port,
//! when none admits the load balancer. Runs only when the plan changes what
//! it judges — brokers, ports, health-check port, the load balancer's
//! subnets or groups — so a plan with nothing to do costs no extra call.

use crate::domain::layout::ObservedLoadBalancer;
use crate::resources::errors::aws_warning;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use super::KafkaPrivatelink;
use super::model::{Model, known_strings, port_of};

use crate::aws::{AwsError, Clients, ec2};
use crate::domain::ports::BrokerId;
use crate::domain::preflight::{self, BrokerGuard, LoadBalancerSources};
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;

impl KafkaPrivatelink {
    pub(super) async fn security_group_warnings(
        &self,
        config: &Model,
        planned: &Model,
        prior: Option<&Model>,
        subnets: Option<Vec<ec2::Subnet>>,
        adopted: Option<ObservedLoadBalancer>,
    ) -> Diagnostics {
        let mut out = Diagnostics::new();
        if !judged_inputs_change(config, planned, prior) {
            return out;
        }
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => {
                out.extend(d);
                return out;
            }
        };
        match findings(clients, config, planned, subnets, adopted).await {
            Ok(findings) => {
                for f in findings {
                    let maybe = if f.prefix_lists.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " Prefix lists {} also cover the port and may admit it; they are not checked.",
                            f.prefix_lists.iter().cloned().collect::<Vec<_>>().join(", ")
                        )
                    };
                    out.push(
                        Diagnostic::warning(
                            "A broker's security groups do not admit the load balancer",
                            format!(
                                "Broker {} ({}) must accept the load balancer on port {}, but no inbound rule of its \
                                 security groups ({}) does: behind PrivateLink the broker sees the load balancer's \
                                 own addresses. Add an inbound rule: {}.{maybe}",
                                f.broker,
                                f.ip,
                                f.port,
                                f.groups.join(", "),
                                f.add
                            ),
                        )
                        .at(AttributePath::attr("brokers").key(f.broker.to_string())),
                    );
                }
            }
            // The check is advice: an error reading what it judges is
            // reported as such, and the plan goes on.
            Err(e) => out.push(aws_warning(
                clients,
                "Security groups not checked",
                "The brokers' security groups could not be read; the plan goes on without the check.",
                &e,
            )),
        }
        out
    }
}

async fn findings(
    clients: &Clients,
    config: &Model,
    planned: &Model,
    subnets: Option<Vec<ec2::Subnet>>,
    adopted: Option<ObservedLoadBalancer>,
) -> Result<Vec<preflight::Finding>, AwsError> {
    let Some(vpc) = config.vpc_id.known() else { return Ok(Vec::new()) };
    let Some(brokers) = planned.brokers.known() else { return Ok(Vec::new()) };
    let health_port = config.health().and_then(|h| h.port.known()).and_then(|p| p.parse::<u16>().ok());
    let mut wanted: Vec<(BrokerId, Ipv4Addr, BTreeSet<u16>)> = Vec::new();
    for (key, b) in brokers {
        let (Ok(id), Some(ip), Some(port)) =
            (key.parse::<BrokerId>(), b.ip.known().and_then(|i| i.parse::<Ipv4Addr>().ok()), port_of(&b.port))
        else {
            return Ok(Vec::new());
        };
        wanted.push((id, ip, [Some(port), health_port].into_iter().flatten().collect()));
    }
    let (subnet_ids, lb_groups) = match (known_strings(&config.subnet_ids), config.load_balancer_arn.known()) {
        (Some(ids), _) if config.creates() => (ids, known_strings(&planned.security_group_ids).unwrap_or_default()),
        // The adopted load balancer: as the plan's claims read it, else now.
        (_, Some(arn)) => {
            let lb = match adopted.filter(|lb| &lb.arn == arn) {
                Some(lb) => Some(lb),
                None => crate::aws::elbv2::find_load_balancer_by_arn(&clients.elbv2, arn).await?,
            };
            match lb {
                Some(lb) => (lb.subnets, lb.security_groups),
                None => return Ok(Vec::new()),
            }
        }
        _ => return Ok(Vec::new()),
    };
    let subnets = match subnets {
        Some(s) => s,
        None => ec2::subnets_of_vpc(&clients.ec2, vpc).await?,
    };
    let lb = LoadBalancerSources {
        subnets: subnets.iter().filter(|s| subnet_ids.contains(&s.id)).map(|s| s.cidr).collect(),
        groups: lb_groups,
    };
    let ips: BTreeSet<Ipv4Addr> = wanted.iter().map(|w| w.1).collect();
    let by_ip = ec2::groups_of_addresses(&clients.ec2, vpc, &ips).await?;
    let ids: BTreeSet<String> = by_ip.values().flatten().cloned().collect();
    let groups = ec2::security_groups(&clients.ec2, &ids).await?;
    let guards: Vec<BrokerGuard> = wanted
        .into_iter()
        .filter_map(|(id, ip, ports)| {
            let mine = by_ip.get(&ip)?;
            Some(BrokerGuard {
                id,
                ip,
                ports,
                groups: groups.iter().filter(|g| mine.contains(&g.id)).cloned().collect(),
            })
        })
        .collect();
    Ok(preflight::check(&guards, &lb))
}

/// Whether the plan changes anything the check judges.
fn judged_inputs_change(config: &Model, planned: &Model, prior: Option<&Model>) -> bool {
    let Some(p) = prior else { return true };
    let targets = |m: &Model| -> Option<BTreeSet<(String, String, Option<u16>)>> {
        Some(
            m.brokers
                .known()?
                .iter()
                .map(|(k, b)| (k.clone(), b.ip.known().cloned().unwrap_or_default(), port_of(&b.port)))
                .collect(),
        )
    };
    let health_port = |m: &Model| m.health().map(|h| h.port.clone());
    targets(p) != targets(planned)
        || health_port(p) != health_port(config)
        || known_strings(&p.security_group_ids) != known_strings(&planned.security_group_ids)
        || known_strings(&p.subnet_ids) != known_strings(&config.subnet_ids)
        || p.load_balancer_arn != planned.load_balancer_arn
}
