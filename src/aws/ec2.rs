//! EC2: subnets (to place brokers and load balancers in availability zones)
//! and VPC endpoint services with their allowed principals and consumer
//! connections.
//!
//! moto ignores the filters of `DescribeVpcEndpointServiceConfigurations`,
//! so every lookup filters client-side as well, which is also correct on AWS.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    Filter, ResourceType, ServiceConfiguration, ServiceState, Tag, TagSpecification, UnsuccessfulItem,
};

use tokio_util::sync::CancellationToken;

use super::error::{AwsError, ErrorKind};
use super::retry;
use crate::domain::connections::{Connection, live_endpoints};
use crate::domain::layout::ObservedService;
use crate::domain::net::Cidr;
use crate::domain::preflight::{InboundRule, SecurityGroup};

/// A subnet: where it is and which addresses it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub zone_name: String,
    pub zone_id: String,
    pub cidr: Cidr,
}

impl Subnet {
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        self.cidr.contains(ip)
    }
}

/// Every subnet of a VPC (one paginated call).
pub async fn subnets_of_vpc(ec2: &Client, vpc_id: &str) -> Result<Vec<Subnet>, AwsError> {
    let pages = ec2
        .describe_subnets()
        .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| AwsError::from_sdk_call("ec2:DescribeSubnets", "reading EC2 Subnets of VPC", vpc_id, e))?;
    Ok(pages
        .into_iter()
        // moto may ignore filters; AWS would not return others anyway
        .filter(|s| s.vpc_id() == Some(vpc_id))
        .filter_map(|s| subnet(&s))
        .collect())
}

/// The subnets of a VPC, waiting for `wanted` among them: a subnet created
/// a moment ago (by another resource of the same apply) may be missing
/// from EC2's first answers, so while one is, the VPC is read again, for at
/// most `window`. The last answer is returned either way; the caller says
/// which subnet is not there.
pub async fn subnets_of_vpc_with(
    ec2: &Client,
    vpc_id: &str,
    wanted: &BTreeSet<String>,
    window: std::time::Duration,
    stop: &CancellationToken,
) -> Result<Vec<Subnet>, AwsError> {
    let holds_all = |subnets: &[Subnet]| wanted.iter().all(|w| subnets.iter().any(|s| &s.id == w));
    let first = subnets_of_vpc(ec2, vpc_id).await?;
    if holds_all(&first) {
        return Ok(first);
    }
    let what = retry::Waiting { action: "waiting for EC2 Subnets to be visible", object: vpc_id };
    let waited = retry::poll(what, window, retry::Backoff::PROPAGATION, stop, || async {
        let now = subnets_of_vpc(ec2, vpc_id).await?;
        Ok(holds_all(&now).then_some(now))
    })
    .await;
    match waited {
        Ok(all) => Ok(all),
        Err(e) if e.kind == ErrorKind::Timeout => subnets_of_vpc(ec2, vpc_id).await,
        Err(e) => Err(e),
    }
}

fn subnet(s: &aws_sdk_ec2::types::Subnet) -> Option<Subnet> {
    Some(Subnet {
        cidr: Cidr::parse(s.cidr_block()?)?,
        id: s.subnet_id()?.to_owned(),
        vpc_id: s.vpc_id().unwrap_or_default().to_owned(),
        zone_name: s.availability_zone().unwrap_or_default().to_owned(),
        zone_id: s.availability_zone_id().unwrap_or_default().to_owned(),
    })
}

fn observed_service(c: &ServiceConfiguration, principals: BTreeSet<String>) -> ObservedService {
    ObservedService {
        id: c.service_id().unwrap_or_default().to_owned(),
        name: c.service_name().unwrap_or_default().to_owned(),
        acceptance_required: c.acceptance_required().unwrap_or(false),
        supported_regions: c
            .supported_regions()
            .iter()
            .filter(|r| region_supported(r.service_state()))
            .filter_map(|r| r.region().map(str::to_owned))
            .collect(),
        principals,
        availability_zones: c.availability_zones().iter().cloned().collect(),
        availability_zone_ids: c.availability_zone_ids().iter().cloned().collect(),
        load_balancer_arns: c.network_load_balancer_arns().iter().cloned().collect(),
        connections: Vec::new(),
        tags: c
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value().unwrap_or_default().to_owned())))
            .collect(),
        owned: false,
    }
}

/// Whether a supported region in this state counts as supported: one being
/// added (`Pending`) is, one being removed (`Deleting`) or gone (`Deleted`,
/// `Closed`, `Failed`, `Rejected`) is not — so a plan neither adds again a
/// region AWS is still adding nor removes again one it is still removing.
fn region_supported(state: Option<&str>) -> bool {
    matches!(state, None | Some("Available" | "Pending"))
}

/// Whether a service in this state is gone for good: deleted, failed, or
/// (absent from the answer) never there. `Deleting` is not gone: its load
/// balancer stays associated with it until it is.
fn gone(state: Option<&ServiceState>) -> bool {
    matches!(state, Some(ServiceState::Deleted | ServiceState::Failed))
}

/// How an endpoint service is looked up: by its id, or as the one in
/// front of a load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceKey<'a> {
    Id(&'a str),
    LoadBalancer(&'a str),
}

impl ServiceKey<'_> {
    fn as_str(&self) -> &str {
        match self {
            ServiceKey::Id(s) | ServiceKey::LoadBalancer(s) => s,
        }
    }

    fn matches(&self, c: &ServiceConfiguration) -> bool {
        match self {
            ServiceKey::Id(id) => c.service_id() == Some(*id),
            ServiceKey::LoadBalancer(arn) => c.network_load_balancer_arns().iter().any(|a| a == arn),
        }
    }
}

/// The endpoint service `key` names, without its principals (one call).
/// Deleted, failed and deleting services count as absent: a plan rebuilds
/// what is going away.
pub async fn find_service(ec2: &Client, key: ServiceKey<'_>) -> Result<Option<ObservedService>, AwsError> {
    Ok(find_config(ec2, key).await?.map(|c| observed_service(&c, BTreeSet::new())))
}

async fn find_config(ec2: &Client, key: ServiceKey<'_>) -> Result<Option<ServiceConfiguration>, AwsError> {
    let alive = describe_config(ec2, key).await?;
    Ok(alive.filter(|c| !gone(c.service_state()) && c.service_state() != Some(&ServiceState::Deleting)))
}

/// The service `key` names, in whatever state AWS reports it. EC2
/// documents no filter by load balancer for
/// DescribeVpcEndpointServiceConfigurations (its filters are service-name,
/// service-id, service-state, supported-ip-address-types and tags), so that
/// lookup lists the region's services and picks on this side; a lookup by
/// id asks for that id alone. A NotFound for the id is "absent": AWS
/// answers so both for a deleted service and for one created a moment ago
/// and not yet visible.
async fn describe_config(ec2: &Client, key: ServiceKey<'_>) -> Result<Option<ServiceConfiguration>, AwsError> {
    let mut req = ec2.describe_vpc_endpoint_service_configurations();
    if let ServiceKey::Id(id) = key {
        req = req.service_ids(id);
    }
    let configs = match req.into_paginator().items().send().collect::<Result<Vec<_>, _>>().await {
        Ok(c) => c,
        Err(e) => {
            let e = AwsError::from_sdk_call(
                "ec2:DescribeVpcEndpointServiceConfigurations",
                "reading EC2 VPC Endpoint Service",
                key.as_str(),
                e,
            );
            return if e.is_not_found() { Ok(None) } else { Err(e) };
        }
    };
    // Behind one load balancer, a service being deleted and its successor
    // may both be listed for a while: the one not going away wins.
    Ok(configs
        .into_iter()
        .filter(|c| key.matches(c))
        .min_by_key(|c| (gone(c.service_state()), c.service_state() == Some(&ServiceState::Deleting))))
}

/// The configurations of the services `keys` name: those by id in one call
/// (one by one when one of them is gone, which fails the call), those in
/// front of load balancers from one listing. With the number of calls.
async fn service_configs(
    ec2: &Client,
    keys: &[ServiceKey<'_>],
) -> Result<(Vec<ServiceConfiguration>, usize), AwsError> {
    let ids: Vec<String> =
        keys.iter().filter_map(|k| if let ServiceKey::Id(id) = k { Some((*id).to_owned()) } else { None }).collect();
    let mut configs = Vec::new();
    let mut calls = 0;
    if !ids.is_empty() {
        calls += 1;
        let req = ec2.describe_vpc_endpoint_service_configurations().set_service_ids(Some(ids.clone()));
        match req.into_paginator().items().send().collect::<Result<Vec<_>, _>>().await {
            Ok(c) => configs.extend(c),
            Err(e) => {
                let e = AwsError::from_sdk_call(
                    "ec2:DescribeVpcEndpointServiceConfigurations",
                    "reading EC2 VPC Endpoint Services",
                    ids.join(","),
                    e,
                );
                if !e.is_not_found() {
                    return Err(e);
                }
                for id in &ids {
                    calls += 1;
                    configs.extend(describe_config(ec2, ServiceKey::Id(id)).await?);
                }
            }
        }
    }
    if keys.iter().any(|k| matches!(k, ServiceKey::LoadBalancer(_))) {
        calls += 1;
        let all = ec2.describe_vpc_endpoint_service_configurations().into_paginator().items().send();
        configs.extend(all.collect::<Result<Vec<_>, _>>().await.map_err(|e| {
            AwsError::from_sdk_call(
                "ec2:DescribeVpcEndpointServiceConfigurations",
                "listing EC2 VPC Endpoint Services",
                "all",
                e,
            )
        })?);
    }
    Ok((configs, calls))
}

/// The services `keys` name, with their principals and connections: the
/// services by id in one call (one by one when one of them is gone, which
/// fails the call), those in front of load balancers from one listing of
/// the region's. Returns them in the order of `keys`, and the number of
/// calls made.
pub async fn read_services(
    ec2: &Client,
    keys: &[ServiceKey<'_>],
) -> Result<(Vec<Option<ObservedService>>, usize), AwsError> {
    if let [key] = keys {
        let found = read_service(ec2, *key).await?;
        return Ok((vec![found.clone()], 1 + usize::from(found.is_some())));
    }
    let (configs, mut calls) = service_configs(ec2, keys).await?;
    let chosen: Vec<Option<&ServiceConfiguration>> = keys
        .iter()
        .map(|k| {
            configs
                .iter()
                .filter(|c| {
                    k.matches(c) && !gone(c.service_state()) && c.service_state() != Some(&ServiceState::Deleting)
                })
                .min_by_key(|c| (gone(c.service_state()), c.service_state() == Some(&ServiceState::Deleting)))
        })
        .collect();
    let chosen: Vec<Option<ServiceConfiguration>> = chosen.into_iter().map(|c| c.cloned()).collect();
    let ids: Vec<String> = chosen.iter().flatten().filter_map(|c| c.service_id().map(str::to_owned)).collect();
    // Each service's principals (a call each), everyone's connections in one.
    calls += ids.len() + usize::from(!ids.is_empty());
    let principals = super::observe::bounded(ids.clone().into_iter().map(|id| principals_of(ec2, id)));
    let (principals, mut connections) = tokio::try_join!(principals, connections_of(ec2, &ids))?;
    let mut principals = principals.into_iter();
    let found = chosen
        .into_iter()
        .map(|c| {
            let config = c?;
            let id = config.service_id().unwrap_or_default();
            let connections = connections.remove(id).unwrap_or_default();
            Some(ObservedService { connections, ..observed_service(&config, principals.next().unwrap_or_default()) })
        })
        .collect();
    Ok((found, calls))
}

/// The service `key` names, with its principals and connections.
pub async fn read_service(ec2: &Client, key: ServiceKey<'_>) -> Result<Option<ObservedService>, AwsError> {
    let Some(config) = find_config(ec2, key).await? else { return Ok(None) };
    let id = config.service_id().unwrap_or_default();
    let (principals, connections) = tokio::try_join!(allowed_principals(ec2, id), connections(ec2, id))?;
    Ok(Some(ObservedService { connections, ..observed_service(&config, principals) }))
}

/// [`allowed_principals`] of an owned id, for a batch of futures.
async fn principals_of(ec2: &Client, id: String) -> Result<BTreeSet<String>, AwsError> {
    allowed_principals(ec2, &id).await
}

/// The principals allowed on service `id`. Read whole and matched on this
/// side: EC2's `principal` filter refuses role ARNs ("contains unsupported
/// characters", noted in hashicorp/aws's finder).
pub async fn allowed_principals(ec2: &Client, id: &str) -> Result<BTreeSet<String>, AwsError> {
    let all = ec2
        .describe_vpc_endpoint_service_permissions()
        .service_id(id)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call(
                "ec2:DescribeVpcEndpointServicePermissions",
                "reading EC2 VPC Endpoint Service allowed principals",
                id,
                e,
            )
        })?;
    Ok(all.into_iter().filter_map(|p| p.principal().map(str::to_owned)).collect())
}

/// Allows one principal on service `id`. A service created a moment ago
/// (by another resource of the same apply) may be unknown to EC2 for a
/// while: NotFound is waited out for at most `window`.
pub async fn allow_principal(
    ec2: &Client,
    id: &str,
    principal: &str,
    window: std::time::Duration,
    stop: &CancellationToken,
) -> Result<(), AwsError> {
    let (one, none) = (BTreeSet::from([principal.to_owned()]), BTreeSet::new());
    retry::retry_while(AwsError::is_not_found, window, retry::Backoff::PROPAGATION, stop, || {
        modify_permissions(ec2, id, &one, &none)
    })
    .await
}

/// Removes one principal from service `id`; a service already gone has
/// none to remove.
pub async fn disallow_principal(ec2: &Client, id: &str, principal: &str) -> Result<(), AwsError> {
    let one = BTreeSet::from([principal.to_owned()]);
    match modify_permissions(ec2, id, &BTreeSet::new(), &one).await {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

fn tag_spec(tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(ResourceType::VpcEndpointService)
        .set_tags(Some(tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()))
        .build()
}

/// Creates the service (idempotent through `client_token`); it starts
/// `Pending`: [`wait_service_available`] before relying on it.
pub async fn create_service(
    ec2: &Client,
    load_balancer_arn: &str,
    acceptance_required: bool,
    supported_regions: &BTreeSet<String>,
    tags: &BTreeMap<String, String>,
    client_token: &str,
) -> Result<ObservedService, AwsError> {
    let action = "creating EC2 VPC Endpoint Service";
    let mut req = ec2
        .create_vpc_endpoint_service_configuration()
        .network_load_balancer_arns(load_balancer_arn)
        .acceptance_required(acceptance_required)
        .client_token(client_token)
        .tag_specifications(tag_spec(tags));
    for r in supported_regions {
        req = req.supported_regions(r);
    }
    let out = req.send().await.map_err(|e| {
        AwsError::from_sdk_call("ec2:CreateVpcEndpointServiceConfiguration", action, load_balancer_arn, e)
    })?;
    out.service_configuration()
        .filter(|c| c.service_id().is_some())
        .map(|c| observed_service(c, BTreeSet::new()))
        .ok_or_else(|| {
            AwsError::new(action, load_balancer_arn, ErrorKind::Transport("no service id in the answer".into()))
        })
}

/// Polls until the service is `Available`: AWS shows a new or modified
/// service `Pending` first, and a new one may not be visible at all for a
/// moment (polled through, as hashicorp/aws's waiter does). `Failed`, or
/// the service going away meanwhile, ends the wait with an error.
pub async fn wait_service_available(
    ec2: &Client,
    id: &str,
    timeout: std::time::Duration,
    stop: &CancellationToken,
) -> Result<ObservedService, AwsError> {
    let action = "waiting for EC2 VPC Endpoint Service to become available";
    let what = retry::Waiting { action, object: id };
    retry::poll(what, timeout, retry::Backoff::poll(std::time::Duration::from_secs(5)), stop, || async {
        let config = describe_config(ec2, ServiceKey::Id(id)).await?;
        let Some(c) = config else { return Ok(None) };
        match c.service_state() {
            Some(ServiceState::Available) => Ok(Some(observed_service(&c, BTreeSet::new()))),
            Some(state @ (ServiceState::Failed | ServiceState::Deleting | ServiceState::Deleted)) => {
                Err(AwsError::new(
                    action,
                    id,
                    ErrorKind::Api {
                        code: state.as_str().to_owned(),
                        message: format!("the service entered state {}", state.as_str()),
                    },
                ))
            }
            _ => Ok(None),
        }
    })
    .await
}

pub async fn modify_service(
    ec2: &Client,
    id: &str,
    acceptance_required: Option<bool>,
    add_regions: &BTreeSet<String>,
    remove_regions: &BTreeSet<String>,
) -> Result<(), AwsError> {
    let mut req =
        ec2.modify_vpc_endpoint_service_configuration().service_id(id).set_acceptance_required(acceptance_required);
    for r in add_regions {
        req = req.add_supported_regions(r);
    }
    for r in remove_regions {
        req = req.remove_supported_regions(r);
    }
    req.send().await.map_err(|e| {
        AwsError::from_sdk_call("ec2:ModifyVpcEndpointServiceConfiguration", "updating EC2 VPC Endpoint Service", id, e)
    })?;
    Ok(())
}

pub async fn modify_permissions(
    ec2: &Client,
    id: &str,
    add: &BTreeSet<String>,
    remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    let mut req = ec2.modify_vpc_endpoint_service_permissions().service_id(id);
    for p in add {
        req = req.add_allowed_principals(p);
    }
    for p in remove {
        req = req.remove_allowed_principals(p);
    }
    req.send().await.map_err(|e| {
        AwsError::from_sdk_call(
            "ec2:ModifyVpcEndpointServicePermissions",
            "updating EC2 VPC Endpoint Service allowed principals",
            id,
            e,
        )
    })?;
    Ok(())
}

/// Every consumer endpoint connection of the service, in any state,
/// sorted by endpoint id. Paginated; an error is an error, never "none".
pub async fn connections(ec2: &Client, id: &str) -> Result<Vec<Connection>, AwsError> {
    let mut all = connections_of(ec2, std::slice::from_ref(&id.to_owned())).await?;
    Ok(all.remove(id).unwrap_or_default())
}

/// Every consumer endpoint connection of each of these services, in one
/// (paginated) call filtered by all of them; each list sorted by endpoint
/// id, and every service present (empty when it has none).
pub async fn connections_of(ec2: &Client, ids: &[String]) -> Result<BTreeMap<String, Vec<Connection>>, AwsError> {
    let mut out: BTreeMap<String, Vec<Connection>> = ids.iter().map(|i| (i.clone(), Vec::new())).collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let all = ec2
        .describe_vpc_endpoint_connections()
        .filters(Filter::builder().name("service-id").set_values(Some(ids.to_vec())).build())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call(
                "ec2:DescribeVpcEndpointConnections",
                "reading EC2 VPC Endpoint connections",
                ids.join(","),
                e,
            )
        })?;
    for c in &all {
        // filtered client-side as well: emulators may ignore the filter
        let Some(list) = c.service_id().and_then(|s| out.get_mut(s)) else { continue };
        if let Some(endpoint_id) = c.vpc_endpoint_id() {
            list.push(Connection {
                endpoint_id: endpoint_id.to_owned(),
                owner: c.vpc_endpoint_owner().unwrap_or_default().to_owned(),
                state: c.vpc_endpoint_state().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            });
        }
    }
    for list in out.values_mut() {
        list.sort();
    }
    Ok(out)
}

/// Consumer endpoints connected to the service, available or waiting.
pub async fn live_connections(ec2: &Client, id: &str) -> Result<Vec<String>, AwsError> {
    Ok(live_endpoints(connections(ec2, id).await?))
}

/// The refusal to delete service `id` while these consumer endpoints are
/// connected: AWS's, or the provider's own from a refreshed state.
pub fn still_connected(id: &str, endpoints: Vec<String>) -> AwsError {
    AwsError::new("deleting EC2 VPC Endpoint Service", id, ErrorKind::LiveConnections(endpoints))
}

/// Accepts these pending connections. AWS answers per endpoint: any it
/// could not accept is an error naming it and AWS's reason.
pub async fn accept_connections(ec2: &Client, id: &str, endpoints: &BTreeSet<String>) -> Result<(), AwsError> {
    let action = "accepting EC2 VPC Endpoint connections";
    let out = ec2
        .accept_vpc_endpoint_connections()
        .service_id(id)
        .set_vpc_endpoint_ids(Some(endpoints.iter().cloned().collect()))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk_call("ec2:AcceptVpcEndpointConnections", action, id, e))?;
    unsuccessful(action, id, out.unsuccessful())
}

/// Waits until accepted connections have left `pendingAcceptance` and
/// `pending` (AWS: pendingAcceptance → pending → available; a read just
/// after the accept may still show the first), and returns them as AWS then
/// reports them.
pub async fn await_accepted(
    ec2: &Client,
    id: &str,
    endpoints: &BTreeSet<String>,
    timeout: std::time::Duration,
    stop: &CancellationToken,
) -> Result<Vec<Connection>, AwsError> {
    let what = retry::Waiting { action: "waiting for accepted EC2 VPC Endpoint connections", object: id };
    retry::poll(what, timeout, retry::Backoff::poll(std::time::Duration::from_secs(5)), stop, || async {
        let now: Vec<Connection> = match connections(ec2, id).await {
            Ok(all) => all.into_iter().filter(|c| endpoints.contains(&c.endpoint_id)).collect(),
            // A service this apply created may still be unknown to this
            // action: not settled yet.
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let settled = now.iter().all(|c| !c.is_settling());
        Ok(settled.then_some(now))
    })
    .await
}

/// Rejects these connections (pending or available).
pub async fn reject_connections(ec2: &Client, id: &str, endpoints: &[String]) -> Result<(), AwsError> {
    let action = "rejecting EC2 VPC Endpoint connections";
    let out = ec2
        .reject_vpc_endpoint_connections()
        .service_id(id)
        .set_vpc_endpoint_ids(Some(endpoints.to_vec()))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk_call("ec2:RejectVpcEndpointConnections", action, id, e))?;
    unsuccessful(action, id, out.unsuccessful())
}

/// The per-item failures of a batch call that itself succeeded.
fn unsuccessful(action: &str, id: &str, items: &[UnsuccessfulItem]) -> Result<(), AwsError> {
    if items.is_empty() {
        return Ok(());
    }
    let reasons: Vec<String> = items
        .iter()
        .map(|i| {
            let e = i.error();
            format!(
                "{}: {} ({})",
                i.resource_id().unwrap_or("?"),
                e.and_then(|e| e.message()).unwrap_or("no reason given"),
                e.and_then(|e| e.code()).unwrap_or("no code"),
            )
        })
        .collect();
    Err(AwsError::new(action, id, ErrorKind::Partial(reasons.join("; "))))
}

/// AWS's refusal to delete a service that consumer endpoints still use
/// (pending acceptance or available): EC2 error code list,
/// "ExistingVpcEndpointConnections".
const IN_USE: &str = "ExistingVpcEndpointConnections";

/// Deletes the service and waits until it is gone. AWS itself refuses
/// while consumer endpoints are connected, so no check before the call
/// can race a consumer connecting: the refusal is the check, and it comes
/// back as [`ErrorKind::LiveConnections`] naming those endpoints.
pub async fn delete_service(
    ec2: &Client,
    id: &str,
    timeout: std::time::Duration,
    stop: &CancellationToken,
) -> Result<(), AwsError> {
    let action = "deleting EC2 VPC Endpoint Service";
    let out = match ec2.delete_vpc_endpoint_service_configurations().service_ids(id).send().await {
        Ok(o) => o,
        Err(e) => {
            let e = AwsError::from_sdk_call("ec2:DeleteVpcEndpointServiceConfigurations", action, id, e);
            return if e.is_not_found() { Ok(()) } else { Err(e) };
        }
    };
    if let Some(item) = out.unsuccessful().first() {
        let code = item.error().and_then(|e| e.code()).unwrap_or("Unsuccessful").to_owned();
        if !code.contains("NotFound") {
            let message = item.error().and_then(|e| e.message()).unwrap_or_default().to_owned();
            if code == IN_USE {
                let live = live_connections(ec2, id).await?;
                if !live.is_empty() {
                    return Err(still_connected(id, live));
                }
            }
            return Err(AwsError::new(action, id, ErrorKind::Api { code, message }));
        }
    }
    // Gone means absent, `Deleted` or `Failed`: while it is `Deleting` AWS
    // still holds its load balancer ("currently associated with another
    // service"), so the destroy waits here before deleting that.
    let what = retry::Waiting { action: "waiting for EC2 VPC Endpoint Service deletion", object: id };
    retry::poll(what, timeout, retry::Backoff::poll(std::time::Duration::from_secs(5)), stop, || async {
        let now = describe_config(ec2, ServiceKey::Id(id)).await?;
        Ok(now.is_none_or(|c| gone(c.service_state())).then_some(()))
    })
    .await
}

/// Adds and removes tags of EC2 objects (the endpoint service).
pub async fn retag(
    ec2: &Client,
    ids: &[String],
    add: &BTreeMap<String, String>,
    remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    let what = ids.join(",");
    if !remove.is_empty() {
        let tags = remove.iter().map(|k| Tag::builder().key(k).build()).collect();
        ec2.delete_tags()
            .set_resources(Some(ids.to_vec()))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk_call("ec2:DeleteTags", "removing EC2 tags", &what, e))?;
    }
    if !add.is_empty() {
        let tags = add.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        ec2.create_tags()
            .set_resources(Some(ids.to_vec()))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk_call("ec2:CreateTags", "adding EC2 tags", &what, e))?;
    }
    Ok(())
}

/// The security groups of the network interfaces in `vpc_id` that hold
/// these addresses (one DescribeNetworkInterfaces per 200 addresses, the
/// filter's limit). Addresses no interface holds are absent.
pub async fn groups_of_addresses(
    ec2: &Client,
    vpc_id: &str,
    ips: &BTreeSet<Ipv4Addr>,
) -> Result<BTreeMap<Ipv4Addr, BTreeSet<String>>, AwsError> {
    let mut out = BTreeMap::new();
    let all: Vec<String> = ips.iter().map(ToString::to_string).collect();
    for chunk in all.chunks(200) {
        let interfaces = ec2
            .describe_network_interfaces()
            .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
            .filters(Filter::builder().name("addresses.private-ip-address").set_values(Some(chunk.to_vec())).build())
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| {
                AwsError::from_sdk_call(
                    "ec2:DescribeNetworkInterfaces",
                    "reading EC2 Network Interfaces of brokers",
                    vpc_id,
                    e,
                )
            })?;
        for eni in &interfaces {
            let groups: BTreeSet<String> =
                eni.groups().iter().filter_map(|g| g.group_id().map(str::to_owned)).collect();
            for addr in eni.private_ip_addresses().iter().filter_map(|a| a.private_ip_address()) {
                if let Ok(ip) = addr.parse::<Ipv4Addr>()
                    && ips.contains(&ip)
                {
                    out.entry(ip).or_insert_with(BTreeSet::new).extend(groups.iter().cloned());
                }
            }
        }
    }
    Ok(out)
}

/// Security groups with their inbound rules (one DescribeSecurityGroups).
pub async fn security_groups(ec2: &Client, ids: &BTreeSet<String>) -> Result<Vec<SecurityGroup>, AwsError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let groups = ec2
        .describe_security_groups()
        .set_group_ids(Some(ids.iter().cloned().collect()))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call("ec2:DescribeSecurityGroups", "reading EC2 Security Groups", joined(ids), e)
        })?;
    Ok(groups
        .iter()
        .map(|g| SecurityGroup {
            id: g.group_id().unwrap_or_default().to_owned(),
            name: g.group_name().unwrap_or_default().to_owned(),
            inbound: g
                .ip_permissions()
                .iter()
                .map(|p| {
                    let protocol = p.ip_protocol().filter(|p| *p != "-1").map(str::to_owned);
                    let port = |v: Option<i32>| v.and_then(|v| u16::try_from(v).ok());
                    InboundRule {
                        ports: protocol.as_ref().and_then(|_| Some((port(p.from_port())?, port(p.to_port())?))),
                        protocol,
                        cidrs: p.ip_ranges().iter().filter_map(|r| Cidr::parse(r.cidr_ip()?)).collect(),
                        groups: p
                            .user_id_group_pairs()
                            .iter()
                            .filter_map(|g| g.group_id().map(str::to_owned))
                            .collect(),
                        prefix_lists: p
                            .prefix_list_ids()
                            .iter()
                            .filter_map(|l| l.prefix_list_id().map(str::to_owned))
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect())
}

/// An EC2 instance as a broker: where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    pub private_ip: Ipv4Addr,
}

/// The instances with these ids, in one DescribeInstances; a missing id is
/// absent from the answer. AWS fails the whole call when one id does not
/// exist: then each is asked alone, to tell which.
pub async fn instances(ec2: &Client, ids: &BTreeSet<String>) -> Result<BTreeMap<String, Instance>, AwsError> {
    match describe_instances(ec2, ids).await? {
        Some(found) => Ok(found),
        None => {
            let mut found = BTreeMap::new();
            for id in ids {
                found.extend(describe_instances(ec2, &BTreeSet::from([id.clone()])).await?.unwrap_or_default());
            }
            Ok(found)
        }
    }
}

/// `None` when AWS says some id does not exist.
async fn describe_instances(
    ec2: &Client,
    ids: &BTreeSet<String>,
) -> Result<Option<BTreeMap<String, Instance>>, AwsError> {
    let pages = ec2
        .describe_instances()
        .set_instance_ids(Some(ids.iter().cloned().collect()))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    let reservations = match pages {
        Ok(r) => r,
        Err(e) => {
            let e = AwsError::from_sdk_call("ec2:DescribeInstances", "reading EC2 Instances", joined(ids), e);
            return if e.is_not_found() { Ok(None) } else { Err(e) };
        }
    };
    Ok(Some(
        reservations
            .iter()
            .flat_map(|r| r.instances())
            .filter_map(|i| {
                Some((
                    i.instance_id()?.to_owned(),
                    Instance {
                        id: i.instance_id()?.to_owned(),
                        vpc_id: i.vpc_id().unwrap_or_default().to_owned(),
                        subnet_id: i.subnet_id().unwrap_or_default().to_owned(),
                        private_ip: i.private_ip_address()?.parse().ok()?,
                    },
                ))
            })
            .collect(),
    ))
}

/// Ids as one error object: `a,b,c`.
fn joined(ids: &BTreeSet<String>) -> String {
    ids.iter().map(String::as_str).collect::<Vec<_>>().join(",")
}

/// These subnets (one DescribeSubnets); absent ones are left out.
pub async fn subnets_by_ids(ec2: &Client, ids: &BTreeSet<String>) -> Result<Vec<Subnet>, AwsError> {
    let req = ec2.describe_subnets().set_subnet_ids(Some(ids.iter().cloned().collect()));
    let out = super::error::optional(
        req.send()
            .await
            .map_err(|e| AwsError::from_sdk_call("ec2:DescribeSubnets", "reading EC2 Subnets", joined(ids), e)),
    )?;
    Ok(out.map(|o| o.subnets().iter().filter_map(subnet).collect()).unwrap_or_default())
}
