//! A batched read of one Kafka PrivateLink setup as AWS holds it: the load
//! balancer, its listeners and target groups (with targets and tags), and
//! the endpoint service. Ownership is decided by the domain afterwards.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt as _;
use tracing::debug;

use super::config::Clients;
use super::error::AwsError;
use super::{ec2, elbv2};
use crate::domain::layout::{Observed, ObservedListener, ObservedLoadBalancer, ObservedTargetGroup};

/// At most this many AWS calls of one kind run at once.
pub(super) const CONCURRENCY: usize = 8;

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// The load balancer the state records, or the one to adopt.
    pub load_balancer_arn: Option<String>,
    /// With no ARN: the name a load balancer the resource creates has.
    pub load_balancer_name: Option<String>,
    pub service_id: Option<String>,
    /// Groups the state records: read by ARN when no listener uses them.
    pub target_group_arns: BTreeSet<String>,
    /// The names of the groups the configuration wants. Those not found
    /// otherwise are looked up in one listing: a group an interrupted apply
    /// left without a listener, or another's group with a name a create
    /// would collide with.
    pub target_group_names: BTreeSet<String>,
    /// Read targets (each group's DescribeTargetHealth).
    pub read_targets: bool,
    /// Read listener tags: a create looks for listeners an interrupted one
    /// made (with a state, its records name them).
    pub read_listener_tags: bool,
    pub read_deregistration_delay: bool,
    pub read_idle_timeout: bool,
}

/// Counts AWS calls, for the refresh budget in the logs and benchmarks.
#[derive(Debug, Default)]
pub struct CallCounter(AtomicUsize);

impl CallCounter {
    pub(super) fn add(&self, n: usize) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Reads everything in `lookup` (see [`observe_all`]).
pub async fn observe(clients: &Clients, lookup: &Lookup, calls: &CallCounter) -> Result<Observed, AwsError> {
    let mut all = observe_all(clients, std::slice::from_ref(lookup), calls).await?;
    Ok(all.pop().unwrap_or_default())
}

/// Reads everything in `lookups` (one per load balancer of a setup), the
/// reads batched across them where AWS allows: DescribeLoadBalancers for
/// 20 ARNs a call (several names from one listing), then for each load
/// balancer in parallel its attributes, listeners and attached target
/// groups; recorded groups not attached in one more call per lookup;
/// DescribeTargetHealth per group; DescribeTags per 20 ARNs of all of
/// them; the endpoint services in one call (or one listing), and each
/// one's principals and connections.
pub async fn observe_all(
    clients: &Clients,
    lookups: &[Lookup],
    calls: &CallCounter,
) -> Result<Vec<Observed>, AwsError> {
    let elb = &clients.elbv2;
    let mut lbs = load_balancers(elb, lookups, calls).await?;
    let mut parts: Vec<(Vec<ObservedTargetGroup>, Vec<ObservedListener>)> = Vec::new();
    let arns: Vec<Option<String>> = lbs.iter().map(|lb| lb.as_ref().map(|l| l.arn.clone())).collect();
    let details = bounded(arns.into_iter().map(|arn| behind(elb, arn, calls))).await?;
    for (lb, found) in lbs.iter_mut().zip(details) {
        match (lb.as_mut(), found) {
            (Some(lb), Some((cross_zone, listeners, attached))) => {
                lb.cross_zone = cross_zone;
                parts.push((attached, listeners));
            }
            _ => parts.push((Vec::new(), Vec::new())),
        }
    }
    for (lookup, (groups, listeners)) in lookups.iter().zip(parts.iter_mut()) {
        unattached_groups(elb, lookup, listeners, groups, calls).await?;
    }
    named_groups(elb, lookups, &mut parts, calls).await?;
    let reading: Vec<bool> = lookups.iter().map(|l| l.read_targets).collect();
    targets(elb, &mut parts, &reading, calls).await?;
    tags(elb, lookups, &mut lbs, &mut parts, calls).await?;
    for (lookup, (groups, listeners)) in lookups.iter().zip(parts.iter_mut()) {
        attributes(elb, lookup, groups, listeners, calls).await?;
    }
    // The recorded service, else the one in front of the load balancer.
    let keys: Vec<Option<ec2::ServiceKey<'_>>> = lookups
        .iter()
        .zip(&lbs)
        .map(|(lookup, lb)| match (&lookup.service_id, lb) {
            (Some(id), _) => Some(ec2::ServiceKey::Id(id)),
            (None, Some(lb)) => Some(ec2::ServiceKey::LoadBalancer(&lb.arn)),
            (None, None) => None,
        })
        .collect();
    let wanted: Vec<ec2::ServiceKey<'_>> = keys.iter().flatten().copied().collect();
    let mut services = if wanted.is_empty() {
        Vec::new().into_iter()
    } else {
        let (found, n) = ec2::read_services(&clients.ec2, &wanted).await?;
        calls.add(n);
        found.into_iter()
    };
    let mut out = Vec::new();
    for ((key, lb), (target_groups, listeners)) in keys.iter().zip(lbs.clone()).zip(parts) {
        let service = if key.is_some() { services.next().flatten() } else { None };
        out.push(Observed { load_balancer: lb, target_groups, listeners, service });
    }
    debug!(calls = calls.get(), load_balancers = lookups.len(), "refreshed Kafka PrivateLink objects");
    Ok(out)
}

/// What a load balancer holds: its cross-zone setting, its listeners and
/// the target groups they use (three calls).
async fn behind(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    arn: Option<String>,
    calls: &CallCounter,
) -> Result<Option<Behind>, AwsError> {
    let Some(arn) = arn else { return Ok(None) };
    calls.add(3);
    let found = tokio::try_join!(
        elbv2::cross_zone(elb, &arn),
        elbv2::listeners(elb, &arn),
        elbv2::target_groups_of(elb, &arn)
    )?;
    Ok(Some(found))
}

/// A load balancer's cross-zone setting, listeners and attached groups.
type Behind = (Option<bool>, Vec<ObservedListener>, Vec<ObservedTargetGroup>);

/// The load balancer each lookup names, by ARN, else by name: all in as
/// few calls as AWS allows.
async fn load_balancers(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    lookups: &[Lookup],
    calls: &CallCounter,
) -> Result<Vec<Option<ObservedLoadBalancer>>, AwsError> {
    let arns: Vec<String> = lookups.iter().filter_map(|l| l.load_balancer_arn.clone()).collect();
    let names: Vec<String> =
        lookups.iter().filter(|l| l.load_balancer_arn.is_none()).filter_map(|l| l.load_balancer_name.clone()).collect();
    let (found, n) = elbv2::find_load_balancers(elb, &arns, &names).await?;
    calls.add(n);
    Ok(lookups
        .iter()
        .map(|l| match (&l.load_balancer_arn, &l.load_balancer_name) {
            (Some(arn), _) => found.iter().find(|lb| &lb.arn == arn).cloned(),
            (None, Some(name)) => found.iter().find(|lb| &lb.name == name).cloned(),
            (None, None) => None,
        })
        .collect())
}

/// Recorded groups no listener uses, and groups a listener forwards to
/// that the load balancer's list left out (AWS may list a group only a
/// while after a listener moved to it): all in one call, one by one if
/// some are gone.
async fn unattached_groups(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    lookup: &Lookup,
    listeners: &[ObservedListener],
    target_groups: &mut Vec<ObservedTargetGroup>,
    calls: &CallCounter,
) -> Result<(), AwsError> {
    let forwarded = listeners.iter().filter_map(|l| l.target_group_arn.as_ref());
    let missing: Vec<String> = lookup
        .target_group_arns
        .iter()
        .chain(forwarded)
        .filter(|a| !target_groups.iter().any(|t| &t.arn == *a))
        .cloned()
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    if !missing.is_empty() {
        calls.add(1);
        match elbv2::find_target_groups_by_arns(elb, &missing).await? {
            Some(found) => target_groups.extend(found),
            None => {
                calls.add(missing.len());
                let found = bounded(
                    missing.iter().cloned().map(|a| async move { elbv2::find_target_group_by_arn(elb, &a).await }),
                )
                .await?;
                target_groups.extend(found.into_iter().flatten());
            }
        }
    }
    Ok(())
}

/// The groups the lookups name that are still unseen, for all of them in
/// one listing; each found group goes to the lookup that names it.
async fn named_groups(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    lookups: &[Lookup],
    parts: &mut [(Vec<ObservedTargetGroup>, Vec<ObservedListener>)],
    calls: &CallCounter,
) -> Result<(), AwsError> {
    let unseen = |lookup: &Lookup, groups: &[ObservedTargetGroup]| -> BTreeSet<String> {
        lookup.target_group_names.iter().filter(|n| !groups.iter().any(|t| &t.name == *n)).cloned().collect()
    };
    let names: BTreeSet<String> = lookups.iter().zip(parts.iter()).flat_map(|(l, (g, _))| unseen(l, g)).collect();
    if names.is_empty() {
        return Ok(());
    }
    calls.add(1);
    let found = elbv2::find_target_groups_by_names(elb, &names).await?;
    for (lookup, (groups, _)) in lookups.iter().zip(parts.iter_mut()) {
        for tg in found.iter().filter(|t| lookup.target_group_names.contains(&t.name)) {
            if !groups.iter().any(|t| t.arn == tg.arn) {
                groups.push(tg.clone());
            }
        }
    }
    Ok(())
}

/// Each group's targets and their health, for the lookups that read them:
/// DescribeTargetHealth per group, all lookups' at once.
async fn targets(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    parts: &mut [(Vec<ObservedTargetGroup>, Vec<ObservedListener>)],
    reading: &[bool],
    calls: &CallCounter,
) -> Result<(), AwsError> {
    let arns: Vec<String> = parts
        .iter()
        .zip(reading)
        .filter(|(_, r)| **r)
        .flat_map(|((groups, _), _)| groups.iter().map(|t| t.arn.clone()))
        .collect();
    calls.add(arns.len());
    let health = bounded(arns.iter().cloned().map(|a| async move { elbv2::target_health(elb, &a).await })).await?;
    let mut health = health.into_iter();
    for ((groups, _), _) in parts.iter_mut().zip(reading).filter(|(_, r)| **r) {
        for (tg, health) in groups.iter_mut().zip(health.by_ref()) {
            tg.targets = health.keys().cloned().collect();
            tg.health = health;
        }
    }
    Ok(())
}

/// The tags of the load balancers, their groups and (when a lookup asks)
/// their listeners: DescribeTags per 20 ARNs of all of them.
async fn tags(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    lookups: &[Lookup],
    lbs: &mut [Option<ObservedLoadBalancer>],
    parts: &mut [(Vec<ObservedTargetGroup>, Vec<ObservedListener>)],
    calls: &CallCounter,
) -> Result<(), AwsError> {
    let mut arns: Vec<String> = Vec::new();
    for ((lookup, lb), (groups, listeners)) in lookups.iter().zip(lbs.iter()).zip(parts.iter()) {
        arns.extend(lb.iter().map(|l| l.arn.clone()));
        arns.extend(groups.iter().map(|t| t.arn.clone()));
        arns.extend(listeners.iter().filter(|_| lookup.read_listener_tags).map(|l| l.arn.clone()));
    }
    if arns.is_empty() {
        return Ok(());
    }
    calls.add(arns.len().div_ceil(20));
    let mut tags = elbv2::tags_of(elb, &arns).await?;
    for (lb, (groups, listeners)) in lbs.iter_mut().zip(parts.iter_mut()) {
        if let Some(lb) = lb {
            lb.tags = tags.remove(&lb.arn).unwrap_or_default();
        }
        for tg in groups {
            elbv2::apply_tags(tg, tags.remove(&tg.arn).unwrap_or_default());
        }
        for l in listeners {
            l.tags = tags.remove(&l.arn).unwrap_or_default();
        }
    }
    Ok(())
}

/// The attributes the lookup asks for: each group's deregistration delay,
/// each listener's idle timeout (one call per object).
async fn attributes(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    lookup: &Lookup,
    target_groups: &mut [ObservedTargetGroup],
    listeners: &mut [ObservedListener],
    calls: &CallCounter,
) -> Result<(), AwsError> {
    if lookup.read_deregistration_delay {
        calls.add(target_groups.len());
        let arns: Vec<String> = target_groups.iter().map(|t| t.arn.clone()).collect();
        let delays =
            bounded(arns.into_iter().map(|a| async move { elbv2::deregistration_delay(elb, &a).await })).await?;
        for (tg, d) in target_groups.iter_mut().zip(delays) {
            tg.deregistration_delay = d;
        }
    }
    if lookup.read_idle_timeout {
        calls.add(listeners.len());
        let arns: Vec<String> = listeners.iter().map(|l| l.arn.clone()).collect();
        let idle = bounded(arns.into_iter().map(|a| async move { elbv2::idle_timeout(elb, &a).await })).await?;
        for (l, t) in listeners.iter_mut().zip(idle) {
            l.idle_timeout = t;
        }
    }
    Ok(())
}

/// Runs futures with at most [`CONCURRENCY`] in flight, keeping their order.
pub(super) async fn bounded<T, F>(futures: impl IntoIterator<Item = F>) -> Result<Vec<T>, AwsError>
where
    F: std::future::Future<Output = Result<T, AwsError>>,
{
    futures::stream::iter(futures).buffered(CONCURRENCY).collect::<Vec<_>>().await.into_iter().collect()
}
