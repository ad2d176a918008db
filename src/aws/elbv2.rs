//! Elastic Load Balancing v2: the network load balancer, its listeners, and
//! target groups with IP targets. Reads are batched per load balancer;
//! writes are one object each.
//!
//! moto writes network load balancer ARNs as `loadbalancer/app/…`: the type
//! is always taken from the `Type` field, never from the ARN.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnum, LoadBalancer,
    LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerStateEnum, LoadBalancerTypeEnum, ProtocolEnum, Tag,
    TargetDescription, TargetGroup, TargetGroupAttribute, TargetHealthStateEnum, TargetTypeEnum,
};

use super::error::{AwsError, ErrorKind, optional};
use super::retry;
use tokio_util::sync::CancellationToken;

use crate::domain::layout::{
    HealthCheck, HealthPort, HealthProtocol, ObservedListener, ObservedLoadBalancer, ObservedTargetGroup, Role, Target,
    TargetHealth, TargetId, TargetKind,
};
use crate::domain::ownership::ROLE_TAG;

const CROSS_ZONE: &str = "load_balancing.cross_zone.enabled";
const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";
const TCP_IDLE_TIMEOUT: &str = "tcp.idle_timeout.seconds";
/// DescribeTags takes at most this many ARNs.
const TAGS_PER_CALL: usize = 20;

/// Sets the configured health check settings on a create or modify request
/// (two builder types with the same setters); `None` leaves AWS's value.
macro_rules! with_health_check {
    ($req:expr, $health:expr) => {
        $req.set_health_check_protocol($health.protocol.map(|p| ProtocolEnum::from(p.as_str())))
            .set_health_check_port($health.port.map(health_port))
            .set_health_check_interval_seconds($health.interval.map(i32_of))
            .set_healthy_threshold_count($health.healthy_threshold.map(i32_of))
            .set_unhealthy_threshold_count($health.unhealthy_threshold.map(i32_of))
            .set_health_check_timeout_seconds($health.timeout.map(i32_of))
    };
}

fn tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn port_of(p: Option<i32>) -> u16 {
    p.and_then(|p| u16::try_from(p).ok()).unwrap_or(0)
}

fn load_balancer(lb: &LoadBalancer) -> ObservedLoadBalancer {
    ObservedLoadBalancer {
        arn: lb.load_balancer_arn().unwrap_or_default().to_owned(),
        name: lb.load_balancer_name().unwrap_or_default().to_owned(),
        dns_name: lb.dns_name().unwrap_or_default().to_owned(),
        vpc_id: lb.vpc_id().unwrap_or_default().to_owned(),
        is_network: lb.r#type() == Some(&LoadBalancerTypeEnum::Network),
        subnets: lb.availability_zones().iter().filter_map(|z| z.subnet_id().map(str::to_owned)).collect(),
        zone_names: lb.availability_zones().iter().filter_map(|z| z.zone_name().map(str::to_owned)).collect(),
        security_groups: lb.security_groups().iter().cloned().collect(),
        enforce_on_private_link: lb.enforce_security_group_inbound_rules_on_private_link_traffic().map(|v| v == "on"),
        active: lb.state().and_then(|s| s.code()) == Some(&LoadBalancerStateEnum::Active),
        ..Default::default()
    }
}

/// How a load balancer is named: by ARN, or by name (unique per region).
#[derive(Debug, Clone, Copy)]
pub enum LoadBalancerKey<'a> {
    Arn(&'a str),
    Name(&'a str),
}

/// The load balancer with this key; absent is `None`.
pub async fn find_load_balancer(
    elb: &Client,
    key: LoadBalancerKey<'_>,
) -> Result<Option<ObservedLoadBalancer>, AwsError> {
    let (req, wanted) = match key {
        LoadBalancerKey::Arn(arn) => (elb.describe_load_balancers().load_balancer_arns(arn), arn),
        LoadBalancerKey::Name(name) => (elb.describe_load_balancers().names(name), name),
    };
    let out = optional(req.send().await.map_err(|e| {
        AwsError::from_sdk_call("elasticloadbalancing:DescribeLoadBalancers", "reading ELBv2 Load Balancer", wanted, e)
    }))?;
    let matches = |lb: &&LoadBalancer| match key {
        LoadBalancerKey::Arn(arn) => lb.load_balancer_arn() == Some(arn),
        LoadBalancerKey::Name(name) => lb.load_balancer_name() == Some(name),
    };
    Ok(out.and_then(|o| o.load_balancers().iter().find(matches).map(load_balancer)))
}

/// DescribeLoadBalancers takes at most this many ARNs.
const LOAD_BALANCERS_PER_CALL: usize = 20;

/// Many load balancers by ARN, 20 per call, and by name: one name alone is
/// asked for, several are picked from the region's listing (ELBv2 fails a
/// call naming one load balancer that does not exist, which a create's new
/// names all are). A batch of ARNs one of which is gone is asked again one
/// by one. Returns those found and the number of calls made.
pub async fn find_load_balancers(
    elb: &Client,
    arns: &[String],
    names: &[String],
) -> Result<(Vec<ObservedLoadBalancer>, usize), AwsError> {
    let mut out = Vec::new();
    let mut calls = 0;
    for chunk in arns.chunks(LOAD_BALANCERS_PER_CALL) {
        calls += 1;
        let req = elb.describe_load_balancers().set_load_balancer_arns(Some(chunk.to_vec()));
        let found = optional(req.send().await.map_err(|e| {
            AwsError::from_sdk_call(
                "elasticloadbalancing:DescribeLoadBalancers",
                "reading ELBv2 Load Balancers",
                chunk.join(","),
                e,
            )
        }))?;
        match found {
            Some(o) => out.extend(o.load_balancers().iter().map(load_balancer)),
            None if chunk.len() > 1 => {
                for arn in chunk {
                    calls += 1;
                    out.extend(find_load_balancer_by_arn(elb, arn).await?);
                }
            }
            None => {}
        }
    }
    match names {
        [] => {}
        [name] => {
            calls += 1;
            out.extend(find_load_balancer(elb, LoadBalancerKey::Name(name)).await?);
        }
        _ => {
            calls += 1;
            out.extend(all_load_balancers(elb).await?.into_iter().filter(|lb| names.contains(&lb.name)));
        }
    }
    Ok((out, calls))
}

/// The load balancer with this ARN; absent is `None`.
pub async fn find_load_balancer_by_arn(elb: &Client, arn: &str) -> Result<Option<ObservedLoadBalancer>, AwsError> {
    find_load_balancer(elb, LoadBalancerKey::Arn(arn)).await
}

pub async fn cross_zone(elb: &Client, lb_arn: &str) -> Result<Option<bool>, AwsError> {
    let out = elb.describe_load_balancer_attributes().load_balancer_arn(lb_arn).send().await.map_err(|e| {
        AwsError::from_sdk_call(
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "reading ELBv2 Load Balancer attributes",
            lb_arn,
            e,
        )
    })?;
    Ok(out.attributes().iter().find(|a| a.key() == Some(CROSS_ZONE)).and_then(|a| a.value()).map(|v| v == "true"))
}

/// Every listener of a load balancer (one page holds 400, so one call).
pub async fn listeners(elb: &Client, lb_arn: &str) -> Result<Vec<ObservedListener>, AwsError> {
    let all = elb
        .describe_listeners()
        .load_balancer_arn(lb_arn)
        .page_size(400)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call("elasticloadbalancing:DescribeListeners", "reading ELBv2 Listeners of", lb_arn, e)
        })?;
    Ok(all
        .iter()
        .map(|l| ObservedListener {
            arn: l.listener_arn().unwrap_or_default().to_owned(),
            port: port_of(l.port()),
            target_group_arn: forward_target(l.default_actions()),
            idle_timeout: None,
            tags: BTreeMap::new(),
            owned: false,
        })
        .collect())
}

/// The single target group a `forward` default action sends to.
fn forward_target(actions: &[Action]) -> Option<String> {
    let forward = actions.iter().find(|a| a.r#type() == Some(&ActionTypeEnum::Forward))?;
    if let Some(arn) = forward.target_group_arn() {
        return Some(arn.to_owned());
    }
    match forward.forward_config().map(|c| c.target_groups()) {
        Some([only]) => only.target_group_arn().map(str::to_owned),
        _ => None,
    }
}

fn target_group(tg: &TargetGroup) -> ObservedTargetGroup {
    let health_port = match tg.health_check_port() {
        Some("traffic-port") | None => Some(HealthPort::Traffic),
        Some(p) => p.parse().ok().map(HealthPort::Port),
    };
    let to_u32 = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok());
    ObservedTargetGroup {
        arn: tg.target_group_arn().unwrap_or_default().to_owned(),
        name: tg.target_group_name().unwrap_or_default().to_owned(),
        port: port_of(tg.port()),
        kind: if tg.target_type() == Some(&TargetTypeEnum::Instance) { TargetKind::Instance } else { TargetKind::Ip },
        vpc_id: tg.vpc_id().unwrap_or_default().to_owned(),
        load_balancer_arns: tg.load_balancer_arns().iter().cloned().collect(),
        health_check: HealthCheck {
            protocol: tg.health_check_protocol().and_then(|p| HealthProtocol::parse(p.as_str())),
            port: health_port,
            interval: to_u32(tg.health_check_interval_seconds()),
            healthy_threshold: to_u32(tg.healthy_threshold_count()),
            unhealthy_threshold: to_u32(tg.unhealthy_threshold_count()),
            timeout: to_u32(tg.health_check_timeout_seconds()),
        },
        ..Default::default()
    }
}

/// The target groups a load balancer's listeners use (one call).
pub async fn target_groups_of(elb: &Client, lb_arn: &str) -> Result<Vec<ObservedTargetGroup>, AwsError> {
    let all = elb
        .describe_target_groups()
        .load_balancer_arn(lb_arn)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    match all {
        Ok(all) => Ok(all.iter().map(target_group).collect()),
        Err(e) => {
            let e = AwsError::from_sdk_call(
                "elasticloadbalancing:DescribeTargetGroups",
                "reading ELBv2 Target Groups of",
                lb_arn,
                e,
            );
            if e.is_not_found() { Ok(Vec::new()) } else { Err(e) }
        }
    }
}

/// The target group with this ARN; absent is `None`.
pub async fn find_target_group_by_arn(elb: &Client, arn: &str) -> Result<Option<ObservedTargetGroup>, AwsError> {
    let req = elb.describe_target_groups().target_group_arns(arn);
    let out = optional(req.send().await.map_err(|e| {
        AwsError::from_sdk_call("elasticloadbalancing:DescribeTargetGroups", "reading ELBv2 Target Group", arn, e)
    }))?;
    Ok(out.and_then(|o| o.target_groups().iter().find(|t| t.target_group_arn() == Some(arn)).map(target_group)))
}

/// The target groups with these names, from one listing of the region's
/// groups (400 a page). Names are unique in a region, and real AWS answers
/// a `CreateTargetGroup` whose name and settings match an existing group
/// with that group: a create must look first, and a listing costs one call
/// where asking name by name costs one each.
pub async fn find_target_groups_by_names(
    elb: &Client,
    names: &BTreeSet<String>,
) -> Result<Vec<ObservedTargetGroup>, AwsError> {
    let all = elb
        .describe_target_groups()
        .page_size(400)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call(
                "elasticloadbalancing:DescribeTargetGroups",
                "listing ELBv2 Target Groups",
                "the region",
                e,
            )
        })?;
    Ok(all.iter().filter(|t| t.target_group_name().is_some_and(|n| names.contains(n))).map(target_group).collect())
}

/// Many target groups by ARN in one call. AWS fails the whole call when
/// one of them is gone; `None` then, and the caller asks one by one.
pub async fn find_target_groups_by_arns(
    elb: &Client,
    arns: &[String],
) -> Result<Option<Vec<ObservedTargetGroup>>, AwsError> {
    let req = elb.describe_target_groups().set_target_group_arns(Some(arns.to_vec()));
    let out = optional(req.send().await.map_err(|e| {
        AwsError::from_sdk_call(
            "elasticloadbalancing:DescribeTargetGroups",
            "reading ELBv2 Target Groups",
            arns.join(","),
            e,
        )
    }))?;
    Ok(out.map(|o| o.target_groups().iter().map(target_group).collect()))
}

/// Registered targets with their health, leaving out those on their way
/// out (one DescribeTargetHealth).
pub async fn target_health(elb: &Client, tg_arn: &str) -> Result<BTreeMap<Target, TargetHealth>, AwsError> {
    Ok(target_states(elb, tg_arn)
        .await?
        .into_iter()
        .map(|(t, (state, reason))| (t, TargetHealth { state: state.as_str().to_owned(), reason }))
        .collect())
}

/// Registered targets with their health state and reason, leaving out
/// those on their way out.
async fn target_states(
    elb: &Client,
    tg_arn: &str,
) -> Result<BTreeMap<Target, (TargetHealthStateEnum, Option<String>)>, AwsError> {
    let out = elb.describe_target_health().target_group_arn(tg_arn).send().await.map_err(|e| {
        AwsError::from_sdk_call(
            "elasticloadbalancing:DescribeTargetHealth",
            "reading ELBv2 Target Group targets",
            tg_arn,
            e,
        )
    })?;
    Ok(out
        .target_health_descriptions()
        .iter()
        .filter_map(|d| {
            let t = d.target()?;
            let health = d.target_health();
            let state = health.and_then(|h| h.state()).cloned().unwrap_or(TargetHealthStateEnum::Initial);
            let reason = health.and_then(|h| h.reason()).map(|r| r.as_str().to_owned());
            Some(((TargetId::parse(t.id()?)?, port_of(t.port())), (state, reason)))
        })
        .filter(|(_, (s, _))| *s != TargetHealthStateEnum::Draining)
        .collect())
}

/// Waits until `targets` are registered in the group and, when a listener
/// already forwards to it (`serving`), healthy. A group no listener uses
/// reports its targets `unused` on AWS: registered is all it can be.
pub async fn await_targets(
    elb: &Client,
    tg_arn: &str,
    targets: &BTreeSet<Target>,
    serving: bool,
    timeout: Duration,
    stop: &CancellationToken,
) -> Result<(), AwsError> {
    let what = retry::Waiting { action: "waiting for new ELBv2 targets to become ready", object: tg_arn };
    retry::poll(what, timeout, retry::Backoff::poll(Duration::from_secs(10)), stop, || async {
        let states = target_states(elb, tg_arn).await?;
        let ready = targets.iter().all(|t| match states.get(t) {
            None => false,
            Some((s, _)) if serving => *s == TargetHealthStateEnum::Healthy,
            Some(_) => true,
        });
        Ok(ready.then_some(()))
    })
    .await
}

/// Tags of many objects, 20 per call.
pub async fn tags_of(elb: &Client, arns: &[String]) -> Result<BTreeMap<String, BTreeMap<String, String>>, AwsError> {
    let mut out = BTreeMap::new();
    for chunk in arns.chunks(TAGS_PER_CALL) {
        match describe_tags(elb, chunk).await {
            Ok(tags) => out.extend(tags),
            // One ARN of the batch that just vanished (or, just created, is
            // not visible yet) fails the whole batch: ask for each alone,
            // and leave out those AWS does not know.
            Err(e) if e.is_not_found() && chunk.len() > 1 => {
                for arn in chunk {
                    if let Some(tags) = optional(describe_tags(elb, std::slice::from_ref(arn)).await)? {
                        out.extend(tags);
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

async fn describe_tags(elb: &Client, arns: &[String]) -> Result<BTreeMap<String, BTreeMap<String, String>>, AwsError> {
    let resp = elb.describe_tags().set_resource_arns(Some(arns.to_vec())).send().await.map_err(|e| {
        AwsError::from_sdk_call("elasticloadbalancing:DescribeTags", "reading ELBv2 tags", arns.join(","), e)
    })?;
    Ok(resp
        .tag_descriptions()
        .iter()
        .map(|d| {
            let tags = d
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_owned(), t.value().unwrap_or_default().to_owned())))
                .collect();
            (d.resource_arn().unwrap_or_default().to_owned(), tags)
        })
        .collect())
}

/// Sets a group's tags, and its role from them.
pub fn apply_tags(tg: &mut ObservedTargetGroup, tags: BTreeMap<String, String>) {
    tg.role = tags.get(ROLE_TAG).and_then(|r| Role::parse(r));
    tg.tags = tags;
}

pub async fn deregistration_delay(elb: &Client, tg_arn: &str) -> Result<Option<u32>, AwsError> {
    let out = elb.describe_target_group_attributes().target_group_arn(tg_arn).send().await.map_err(|e| {
        AwsError::from_sdk_call(
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "reading ELBv2 Target Group attributes",
            tg_arn,
            e,
        )
    })?;
    Ok(out.attributes().iter().find(|a| a.key() == Some(DEREGISTRATION_DELAY)).and_then(|a| a.value()?.parse().ok()))
}

pub async fn idle_timeout(elb: &Client, listener_arn: &str) -> Result<Option<u32>, AwsError> {
    let out = elb.describe_listener_attributes().listener_arn(listener_arn).send().await.map_err(|e| {
        AwsError::from_sdk_call(
            "elasticloadbalancing:DescribeListenerAttributes",
            "reading ELBv2 Listener attributes",
            listener_arn,
            e,
        )
    })?;
    Ok(out.attributes().iter().find(|a| a.key() == Some(TCP_IDLE_TIMEOUT)).and_then(|a| a.value()?.parse().ok()))
}

// === writes ===

/// Creates an internal network load balancer; it starts `provisioning`:
/// [`wait_active`] before an endpoint service may front it.
pub async fn create_load_balancer(
    elb: &Client,
    name: &str,
    subnets: &BTreeSet<String>,
    security_groups: &BTreeSet<String>,
    tag_map: &BTreeMap<String, String>,
) -> Result<ObservedLoadBalancer, AwsError> {
    let out = elb
        .create_load_balancer()
        .name(name)
        .r#type(LoadBalancerTypeEnum::Network)
        .scheme(LoadBalancerSchemeEnum::Internal)
        .set_subnets(Some(subnets.iter().cloned().collect()))
        .set_security_groups((!security_groups.is_empty()).then(|| security_groups.iter().cloned().collect()))
        .set_tags(Some(tags(tag_map)))
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call("elasticloadbalancing:CreateLoadBalancer", "creating ELBv2 Load Balancer", name, e)
        })?;
    out.load_balancers().first().filter(|lb| lb.load_balancer_arn().is_some()).map(load_balancer).ok_or_else(|| {
        AwsError::new("creating ELBv2 Load Balancer", name, ErrorKind::Transport("no ARN in the answer".into()))
    })
}

/// Polls until the load balancer is `active` (AWS: `provisioning` first).
pub async fn wait_active(
    elb: &Client,
    arn: &str,
    timeout: Duration,
    stop: &CancellationToken,
) -> Result<ObservedLoadBalancer, AwsError> {
    let action = "waiting for ELBv2 Load Balancer to become active";
    let what = retry::Waiting { action, object: arn };
    retry::poll(what, timeout, retry::Backoff::poll(Duration::from_secs(10)), stop, || async {
        let out = elb
            .describe_load_balancers()
            .load_balancer_arns(arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk_call("elasticloadbalancing:DescribeLoadBalancers", action, arn, e))?;
        let Some(lb) = out.load_balancers().first() else { return Ok(None) };
        match lb.state().and_then(|s| s.code()) {
            Some(LoadBalancerStateEnum::Active) => Ok(Some(load_balancer(lb))),
            Some(LoadBalancerStateEnum::Failed) => Err(AwsError::new(
                action,
                arn,
                ErrorKind::Api {
                    code: "Failed".into(),
                    message: lb.state().and_then(|s| s.reason()).unwrap_or("provisioning failed").to_owned(),
                },
            )),
            _ => Ok(None),
        }
    })
    .await
}

pub async fn set_subnets(elb: &Client, lb_arn: &str, subnets: &BTreeSet<String>) -> Result<(), AwsError> {
    elb.set_subnets()
        .load_balancer_arn(lb_arn)
        .set_subnets(Some(subnets.iter().cloned().collect()))
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call("elasticloadbalancing:SetSubnets", "setting ELBv2 Load Balancer subnets", lb_arn, e)
        })?;
    Ok(())
}

/// Replaces the load balancer's security groups (only possible on an NLB
/// created with some), and sets whether they filter PrivateLink traffic.
pub async fn set_security_groups(
    elb: &Client,
    lb_arn: &str,
    ids: &BTreeSet<String>,
    enforce_on_private_link: Option<bool>,
) -> Result<(), AwsError> {
    let enforce = enforce_on_private_link
        .map(|on| EnforceSecurityGroupInboundRulesOnPrivateLinkTrafficEnum::from(if on { "on" } else { "off" }));
    elb.set_security_groups()
        .load_balancer_arn(lb_arn)
        .set_security_groups(Some(ids.iter().cloned().collect()))
        .set_enforce_security_group_inbound_rules_on_private_link_traffic(enforce)
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call(
                "elasticloadbalancing:SetSecurityGroups",
                "setting ELBv2 Load Balancer security groups",
                lb_arn,
                e,
            )
        })?;
    Ok(())
}

pub async fn set_cross_zone(elb: &Client, lb_arn: &str, enabled: bool) -> Result<(), AwsError> {
    elb.modify_load_balancer_attributes()
        .load_balancer_arn(lb_arn)
        .attributes(LoadBalancerAttribute::builder().key(CROSS_ZONE).value(enabled.to_string()).build())
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call(
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "setting ELBv2 Load Balancer cross-zone load balancing",
                lb_arn,
                e,
            )
        })?;
    Ok(())
}

pub async fn create_target_group(
    elb: &Client,
    name: &str,
    port: u16,
    kind: TargetKind,
    vpc_id: &str,
    health: &HealthCheck,
    tag_map: &BTreeMap<String, String>,
) -> Result<ObservedTargetGroup, AwsError> {
    let mut req = elb
        .create_target_group()
        .name(name)
        .protocol(ProtocolEnum::Tcp)
        .port(i32::from(port))
        .vpc_id(vpc_id)
        .target_type(TargetTypeEnum::from(kind.as_str()))
        .set_tags(Some(tags(tag_map)));
    req = with_health_check!(req, health);
    let out = req.send().await.map_err(|e| {
        AwsError::from_sdk_call("elasticloadbalancing:CreateTargetGroup", "creating ELBv2 Target Group", name, e)
    })?;
    let tg = out.target_groups().first().ok_or_else(|| {
        AwsError::new("creating ELBv2 Target Group", name, ErrorKind::Transport("no target group in the answer".into()))
    })?;
    let mut observed = target_group(tg);
    apply_tags(&mut observed, tag_map.clone());
    Ok(observed)
}

fn health_port(p: HealthPort) -> String {
    match p {
        HealthPort::Traffic => "traffic-port".to_owned(),
        HealthPort::Port(p) => p.to_string(),
    }
}

fn i32_of(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

pub async fn set_health_check(elb: &Client, tg_arn: &str, health: &HealthCheck) -> Result<(), AwsError> {
    with_health_check!(elb.modify_target_group().target_group_arn(tg_arn), health).send().await.map_err(|e| {
        AwsError::from_sdk_call(
            "elasticloadbalancing:ModifyTargetGroup",
            "updating ELBv2 Target Group health check",
            tg_arn,
            e,
        )
    })?;
    Ok(())
}

pub async fn set_deregistration_delay(elb: &Client, tg_arn: &str, seconds: u32) -> Result<(), AwsError> {
    elb.modify_target_group_attributes()
        .target_group_arn(tg_arn)
        .attributes(TargetGroupAttribute::builder().key(DEREGISTRATION_DELAY).value(seconds.to_string()).build())
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call(
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "updating ELBv2 Target Group attributes",
                tg_arn,
                e,
            )
        })?;
    Ok(())
}

fn descriptions(targets: &BTreeSet<Target>) -> Vec<TargetDescription> {
    targets
        .iter()
        .map(|(id, port)| TargetDescription::builder().id(id.to_string()).port(i32::from(*port)).build())
        .collect()
}

pub async fn register(elb: &Client, tg_arn: &str, targets: &BTreeSet<Target>) -> Result<(), AwsError> {
    elb.register_targets().target_group_arn(tg_arn).set_targets(Some(descriptions(targets))).send().await.map_err(
        |e| {
            AwsError::from_sdk_call(
                "elasticloadbalancing:RegisterTargets",
                "registering ELBv2 Target Group targets",
                tg_arn,
                e,
            )
        },
    )?;
    Ok(())
}

pub async fn deregister(elb: &Client, tg_arn: &str, targets: &BTreeSet<Target>) -> Result<(), AwsError> {
    let r = elb.deregister_targets().target_group_arn(tg_arn).set_targets(Some(descriptions(targets))).send().await;
    optional(r.map_err(|e| {
        AwsError::from_sdk_call(
            "elasticloadbalancing:DeregisterTargets",
            "deregistering ELBv2 Target Group targets",
            tg_arn,
            e,
        )
    }))?;
    Ok(())
}

fn forward(tg_arn: &str) -> Action {
    Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(tg_arn).build()
}

pub async fn create_listener(
    elb: &Client,
    lb_arn: &str,
    port: u16,
    tg_arn: &str,
    tag_map: &BTreeMap<String, String>,
) -> Result<ObservedListener, AwsError> {
    let out = elb
        .create_listener()
        .load_balancer_arn(lb_arn)
        .protocol(ProtocolEnum::Tcp)
        .port(i32::from(port))
        .default_actions(forward(tg_arn))
        .set_tags(Some(tags(tag_map)))
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call(
                "elasticloadbalancing:CreateListener",
                "creating ELBv2 Listener",
                format!("port {port}"),
                e,
            )
        })?;
    let arn = out.listeners().first().and_then(|l| l.listener_arn()).unwrap_or_default().to_owned();
    Ok(ObservedListener {
        arn,
        port,
        target_group_arn: Some(tg_arn.to_owned()),
        idle_timeout: None,
        tags: tag_map.clone(),
        owned: true,
    })
}

pub async fn point_listener(elb: &Client, listener_arn: &str, tg_arn: &str) -> Result<(), AwsError> {
    elb.modify_listener().listener_arn(listener_arn).default_actions(forward(tg_arn)).send().await.map_err(|e| {
        AwsError::from_sdk_call("elasticloadbalancing:ModifyListener", "updating ELBv2 Listener", listener_arn, e)
    })?;
    Ok(())
}

pub async fn set_idle_timeout(elb: &Client, listener_arn: &str, seconds: u32) -> Result<(), AwsError> {
    use aws_sdk_elasticloadbalancingv2::types::ListenerAttribute;
    elb.modify_listener_attributes()
        .listener_arn(listener_arn)
        .attributes(ListenerAttribute::builder().key(TCP_IDLE_TIMEOUT).value(seconds.to_string()).build())
        .send()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call(
                "elasticloadbalancing:ModifyListenerAttributes",
                "updating ELBv2 Listener attributes",
                listener_arn,
                e,
            )
        })?;
    Ok(())
}

pub async fn delete_listener(elb: &Client, listener_arn: &str) -> Result<(), AwsError> {
    let r = elb.delete_listener().listener_arn(listener_arn).send().await;
    optional(r.map_err(|e| {
        AwsError::from_sdk_call("elasticloadbalancing:DeleteListener", "deleting ELBv2 Listener", listener_arn, e)
    }))?;
    Ok(())
}

/// Deletes a target group, retrying for a while when AWS still sees it in
/// use by a listener that was just moved or deleted.
pub async fn delete_target_group(elb: &Client, tg_arn: &str, stop: &CancellationToken) -> Result<(), AwsError> {
    retry::retry_on(&["ResourceInUse"], Duration::from_secs(120), stop, || async {
        let r = elb.delete_target_group().target_group_arn(tg_arn).send().await;
        optional(r.map_err(|e| {
            AwsError::from_sdk_call("elasticloadbalancing:DeleteTargetGroup", "deleting ELBv2 Target Group", tg_arn, e)
        }))
        .map(|_| ())
    })
    .await
}

/// Deletes the load balancer and waits until it is gone. AWS refuses with
/// ResourceInUse ("currently associated with another service") while an
/// endpoint service that was just deleted still holds it; that refusal is
/// retried for a few minutes (the service's own deletion has been waited
/// for already, so only a lag is left), and then stands: an association
/// with a service that is not going away is reported, not waited on.
pub async fn delete_load_balancer(
    elb: &Client,
    lb_arn: &str,
    timeout: Duration,
    stop: &CancellationToken,
) -> Result<(), AwsError> {
    let lag = Duration::from_secs(180).min(timeout);
    retry::retry_on(&["ResourceInUse"], lag, stop, || async {
        let r = elb.delete_load_balancer().load_balancer_arn(lb_arn).send().await;
        optional(r.map_err(|e| {
            AwsError::from_sdk_call(
                "elasticloadbalancing:DeleteLoadBalancer",
                "deleting ELBv2 Load Balancer",
                lb_arn,
                e,
            )
        }))
    })
    .await?;
    let what = retry::Waiting { action: "waiting for ELBv2 Load Balancer deletion", object: lb_arn };
    retry::poll(what, timeout, retry::Backoff::poll(Duration::from_secs(10)), stop, || async {
        Ok(find_load_balancer_by_arn(elb, lb_arn).await?.is_none().then_some(()))
    })
    .await
}

pub async fn retag(
    elb: &Client,
    arn: &str,
    add: &BTreeMap<String, String>,
    remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    if !remove.is_empty() {
        elb.remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(remove.iter().cloned().collect()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk_call("elasticloadbalancing:RemoveTags", "removing ELBv2 tags", arn, e))?;
    }
    if !add.is_empty() {
        add_tags(elb, &[arn.to_owned()], add).await?;
    }
    Ok(())
}

/// Adds the same tags to many objects, 20 per call.
pub async fn add_tags(elb: &Client, arns: &[String], add: &BTreeMap<String, String>) -> Result<(), AwsError> {
    for chunk in arns.chunks(TAGS_PER_CALL) {
        elb.add_tags().set_resource_arns(Some(chunk.to_vec())).set_tags(Some(tags(add))).send().await.map_err(|e| {
            AwsError::from_sdk_call("elasticloadbalancing:AddTags", "adding ELBv2 tags", chunk.join(","), e)
        })?;
    }
    Ok(())
}

/// The account's quota of network load balancers in the Region
/// (DescribeAccountLimits' `network-load-balancers`: 50 by default,
/// adjustable in Service Quotas), `None` when AWS does not say.
pub async fn network_load_balancer_quota(elb: &Client) -> Result<Option<u32>, AwsError> {
    let limits = elb.describe_account_limits().send().await.map_err(|e| {
        AwsError::from_sdk_call(
            "elasticloadbalancing:DescribeAccountLimits",
            "reading ELBv2 account limits",
            "network-load-balancers",
            e,
        )
    })?;
    Ok(limits
        .limits()
        .iter()
        .find(|l| l.name() == Some("network-load-balancers"))
        .and_then(|l| l.max())
        .and_then(|m| m.parse::<f64>().ok())
        .map(|m| m as u32))
}

/// Every load balancer in the region (paginated).
pub async fn all_load_balancers(elb: &Client) -> Result<Vec<ObservedLoadBalancer>, AwsError> {
    let all = elb
        .describe_load_balancers()
        .page_size(400)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| {
            AwsError::from_sdk_call(
                "elasticloadbalancing:DescribeLoadBalancers",
                "listing ELBv2 Load Balancers",
                "all",
                e,
            )
        })?;
    Ok(all.iter().map(load_balancer).collect())
}
