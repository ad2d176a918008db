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

/// Reads everything in `lookup`: one DescribeLoadBalancers, then in
/// parallel its attributes, listeners and attached target groups; recorded
/// groups not attached in one more call; DescribeTargetHealth per group;
/// DescribeTags per 20 ARNs; two EC2 calls for the endpoint service.
pub async fn observe(clients: &Clients, lookup: &Lookup, calls: &CallCounter) -> Result<Observed, AwsError> {
    let elb = &clients.elbv2;
    let mut observed = Observed::default();
    let mut lb = load_balancer(elb, lookup, calls).await?;
    let mut target_groups: Vec<ObservedTargetGroup> = Vec::new();
    if let Some(lb) = lb.as_mut() {
        calls.add(3);
        let (cross_zone, listeners, attached) = tokio::try_join!(
            elbv2::cross_zone(elb, &lb.arn),
            elbv2::listeners(elb, &lb.arn),
            elbv2::target_groups_of(elb, &lb.arn),
        )?;
        lb.cross_zone = cross_zone;
        observed.listeners = listeners;
        target_groups = attached;
    }
    unattached_groups(elb, lookup, &observed.listeners, &mut target_groups, calls).await?;
    if lookup.read_targets {
        targets(elb, &mut target_groups, calls).await?;
    }
    tags(elb, lookup, lb.as_mut(), &mut target_groups, &mut observed.listeners, calls).await?;
    attributes(elb, lookup, &mut target_groups, &mut observed.listeners, calls).await?;
    observed.target_groups = target_groups;

    // The recorded service, else the one in front of the load balancer.
    let key = match (&lookup.service_id, &lb) {
        (Some(id), _) => Some(ec2::ServiceKey::Id(id)),
        (None, Some(lb)) => Some(ec2::ServiceKey::LoadBalancer(&lb.arn)),
        (None, None) => None,
    };
    if let Some(key) = key {
        calls.add(1);
        observed.service = ec2::read_service(&clients.ec2, key).await?;
        calls.add(usize::from(observed.service.is_some()));
    }
    observed.load_balancer = lb;
    debug!(calls = calls.get(), "refreshed Kafka PrivateLink objects");
    Ok(observed)
}

/// The load balancer the lookup names, by ARN, else by name (one call).
async fn load_balancer(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    lookup: &Lookup,
    calls: &CallCounter,
) -> Result<Option<ObservedLoadBalancer>, AwsError> {
    calls.add(1);
    match (&lookup.load_balancer_arn, &lookup.load_balancer_name) {
        (Some(arn), _) => elbv2::find_load_balancer_by_arn(elb, arn).await,
        (None, Some(name)) => elbv2::find_load_balancer(elb, elbv2::LoadBalancerKey::Name(name)).await,
        (None, None) => Ok(None),
    }
}

/// Recorded groups no listener uses, and groups a listener forwards to
/// that the load balancer's list left out (AWS may list a group only a
/// while after a listener moved to it): all in one call, one by one if
/// some are gone; then the groups the lookup names that are still unseen.
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
    let names: BTreeSet<String> =
        lookup.target_group_names.iter().filter(|n| !target_groups.iter().any(|t| &t.name == *n)).cloned().collect();
    if !names.is_empty() {
        calls.add(1);
        for tg in elbv2::find_target_groups_by_names(elb, &names).await? {
            if !target_groups.iter().any(|t| t.arn == tg.arn) {
                target_groups.push(tg);
            }
        }
    }
    Ok(())
}

/// Each group's targets and their health: DescribeTargetHealth per group.
async fn targets(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    target_groups: &mut [ObservedTargetGroup],
    calls: &CallCounter,
) -> Result<(), AwsError> {
    calls.add(target_groups.len());
    let arns: Vec<String> = target_groups.iter().map(|t| t.arn.clone()).collect();
    let health = bounded(arns.iter().cloned().map(|a| async move { elbv2::target_health(elb, &a).await })).await?;
    for (tg, health) in target_groups.iter_mut().zip(health) {
        tg.targets = health.keys().cloned().collect();
        tg.health = health;
    }
    Ok(())
}

/// The tags of the load balancer, its groups and (when asked) its
/// listeners: DescribeTags per 20 ARNs.
async fn tags(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    lookup: &Lookup,
    lb: Option<&mut ObservedLoadBalancer>,
    target_groups: &mut [ObservedTargetGroup],
    listeners: &mut [ObservedListener],
    calls: &CallCounter,
) -> Result<(), AwsError> {
    let listener_arns = listeners.iter().filter(|_| lookup.read_listener_tags).map(|l| l.arn.clone());
    let arns: Vec<String> = lb
        .iter()
        .map(|l| l.arn.clone())
        .chain(target_groups.iter().map(|t| t.arn.clone()))
        .chain(listener_arns)
        .collect();
    calls.add(arns.len().div_ceil(20));
    let mut tags = elbv2::tags_of(elb, &arns).await?;
    if let Some(lb) = lb {
        lb.tags = tags.remove(&lb.arn).unwrap_or_default();
    }
    for tg in target_groups {
        elbv2::apply_tags(tg, tags.remove(&tg.arn).unwrap_or_default());
    }
    for l in listeners {
        l.tags = tags.remove(&l.arn).unwrap_or_default();
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
