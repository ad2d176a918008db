//! One Kafka PrivateLink setup as AWS holds it: a batched read of every
//! object ([`observe`]), and the execution of a [`Plan`] ([`execute`]) that
//! records each effect in [`Observed`] the moment AWS confirms it — so a
//! failed or interrupted apply still knows everything it created.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use super::config::Clients;
use super::error::{AwsError, ErrorKind};
use super::{ec2, elbv2};
use crate::domain::diff::{Plan, Step, TargetGroupRef};
use crate::domain::layout::{OWNER_TAG, Observed, ObservedListener, ObservedService, ObservedTargetGroup};

/// At most this many AWS calls of one phase run at once.
const CONCURRENCY: usize = 8;

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// The `name` of the resource: the value of its ownership tags.
    pub owner: String,
    pub load_balancer_arn: Option<String>,
    /// The state says the resource created (or imported) this load balancer.
    pub load_balancer_is_ours: bool,
    /// When no ARN is known yet: the name a created load balancer has.
    pub load_balancer_name: Option<String>,
    pub service_id: Option<String>,
    /// Target groups that may exist without a listener yet (a previous
    /// apply that failed half-way): looked up by name.
    pub target_group_names: BTreeSet<String>,
    /// Target groups recorded in state: looked up by ARN if not attached.
    pub target_group_arns: BTreeSet<String>,
    pub read_deregistration_delay: bool,
    pub read_idle_timeout: bool,
}

/// Counts AWS calls, for the refresh budget in the logs and tests.
#[derive(Debug, Default)]
pub struct CallCounter(AtomicUsize);

impl CallCounter {
    fn add(&self, n: usize) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Reads everything the resource manages: one DescribeLoadBalancers,
/// DescribeLoadBalancerAttributes, DescribeListeners and
/// DescribeTargetGroups for the load balancer, DescribeTargetHealth per
/// target group, DescribeTags per 20 ARNs, and two EC2 calls for the
/// endpoint service — attributes only where managed.
pub async fn observe(clients: &Clients, lookup: &Lookup, calls: &CallCounter) -> Result<Observed, AwsError> {
    let elb = &clients.elbv2;
    let mut observed = Observed::default();

    calls.add(1);
    let mut lb =
        elbv2::find_load_balancer(elb, lookup.load_balancer_arn.as_deref(), lookup.load_balancer_name.as_deref())
            .await?;
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

    // Groups that exist without (our) listener: by name, then by ARN.
    let missing_names: Vec<String> =
        lookup.target_group_names.iter().filter(|n| !target_groups.iter().any(|t| &t.name == *n)).cloned().collect();
    calls.add(missing_names.len());
    let found =
        bounded(missing_names.into_iter().map(|n| async move { elbv2::find_target_group(elb, Some(&n), None).await }))
            .await?;
    target_groups.extend(found.into_iter().flatten());
    let missing_arns: Vec<String> =
        lookup.target_group_arns.iter().filter(|a| !target_groups.iter().any(|t| &t.arn == *a)).cloned().collect();
    calls.add(missing_arns.len());
    let found =
        bounded(missing_arns.into_iter().map(|a| async move { elbv2::find_target_group(elb, None, Some(&a)).await }))
            .await?;
    target_groups.extend(found.into_iter().flatten());

    // Targets of each group, and tags of the load balancer and every group.
    calls.add(target_groups.len());
    let tg_arns: Vec<String> = target_groups.iter().map(|t| t.arn.clone()).collect();
    let targets = bounded(tg_arns.iter().cloned().map(|a| async move { elbv2::targets(elb, &a).await })).await?;
    for (tg, targets) in target_groups.iter_mut().zip(targets) {
        tg.targets = targets;
    }
    let arns: Vec<String> =
        lb.iter().map(|l| l.arn.clone()).chain(target_groups.iter().map(|t| t.arn.clone())).collect();
    calls.add(arns.len().div_ceil(20));
    let mut tags = elbv2::tags_of(elb, &arns).await?;
    if let Some(lb) = lb.as_mut() {
        lb.tags = tags.remove(&lb.arn).unwrap_or_default();
        lb.owned = lb.tags.get(OWNER_TAG) == Some(&lookup.owner) || lookup.load_balancer_is_ours;
    }
    for tg in &mut target_groups {
        elbv2::apply_tags(tg, tags.remove(&tg.arn).unwrap_or_default());
        // Recorded in our state (e.g. imported, not yet tagged): ours.
        if tg.owner.is_none() && lookup.target_group_arns.contains(&tg.arn) {
            tg.owner = Some(lookup.owner.clone());
        }
    }
    if lookup.read_deregistration_delay {
        calls.add(target_groups.len());
        let delays =
            bounded(tg_arns.iter().cloned().map(|a| async move { elbv2::deregistration_delay(elb, &a).await })).await?;
        for (tg, d) in target_groups.iter_mut().zip(delays) {
            tg.deregistration_delay = d;
        }
    }
    if lookup.read_idle_timeout {
        calls.add(observed.listeners.len());
        let listener_arns: Vec<String> = observed.listeners.iter().map(|l| l.arn.clone()).collect();
        let idle =
            bounded(listener_arns.into_iter().map(|a| async move { elbv2::idle_timeout(elb, &a).await })).await?;
        for (l, t) in observed.listeners.iter_mut().zip(idle) {
            l.idle_timeout = t;
        }
    }
    observed.target_groups = target_groups;

    calls.add(2);
    observed.service =
        ec2::read_service(&clients.ec2, lookup.service_id.as_deref(), lb.as_ref().map(|l| l.arn.as_str())).await?;
    observed.load_balancer = lb;
    debug!(calls = calls.get(), "refreshed Kafka PrivateLink objects");
    Ok(observed)
}

/// Runs futures with at most [`CONCURRENCY`] in flight, keeping their order.
async fn bounded<T, F>(futures: impl IntoIterator<Item = F>) -> Result<Vec<T>, AwsError>
where
    F: std::future::Future<Output = Result<T, AwsError>>,
{
    futures::stream::iter(futures).buffered(CONCURRENCY).collect::<Vec<_>>().await.into_iter().collect()
}

/// What executing a plan needs besides the plan.
#[derive(Debug, Clone)]
pub struct Execution {
    pub vpc_id: String,
    /// Waits (load balancer active, service available or gone) give up after this.
    pub timeout: Duration,
    /// Makes a retried endpoint-service creation idempotent.
    pub client_token: String,
    pub reject_connections_on_destroy: bool,
    pub stop: CancellationToken,
}

/// One confirmed change.
enum Effect {
    LoadBalancer(crate::domain::layout::ObservedLoadBalancer, BTreeMap<String, String>),
    Subnets(BTreeSet<String>),
    CrossZone(bool),
    TargetGroup(ObservedTargetGroup),
    Registered(String, BTreeSet<crate::domain::layout::Target>),
    Deregistered(String, BTreeSet<crate::domain::layout::Target>),
    HealthCheck(String, crate::domain::layout::HealthCheck),
    DeregistrationDelay(String, u32),
    ListenerCreated(ObservedListener),
    ListenerPointed(String, String),
    ListenerDeleted(String),
    IdleTimeout(String, u32),
    TargetGroupDeleted(String),
    ServiceCreated(ObservedService),
    ServiceModified(Option<bool>, BTreeSet<String>, BTreeSet<String>),
    Permissions(BTreeSet<String>, BTreeSet<String>),
    Retagged(String, BTreeMap<String, String>, BTreeSet<String>),
    ServiceDeleted,
    LoadBalancerDeleted,
}

/// Runs `plan` phase by phase, updating `observed` as AWS confirms each
/// step. Stops after the first phase with a failure (its other steps still
/// finish) or when `stop` is cancelled; `observed` then holds what exists.
pub async fn execute(
    clients: &Clients,
    plan: &Plan,
    observed: &mut Observed,
    exec: &Execution,
) -> Result<(), Vec<AwsError>> {
    for (n, phase) in plan.phases.iter().enumerate().filter(|(_, p)| !p.is_empty()) {
        if exec.stop.is_cancelled() {
            return Err(vec![AwsError::new(
                "applying Kafka PrivateLink changes",
                format!("phase {n}"),
                ErrorKind::Cancelled,
            )]);
        }
        let mut running = FuturesUnordered::new();
        let mut errors = Vec::new();
        let mut pending = phase.iter();
        loop {
            while running.len() < CONCURRENCY {
                let Some(step) = pending.next() else { break };
                match run(clients, step, observed, exec) {
                    Ok(fut) => running.push(fut),
                    Err(e) => errors.push(e),
                }
            }
            let Some(result) = running.next().await else { break };
            match result {
                Ok(effect) => record(observed, effect),
                Err(StepError { created, error }) => {
                    if let Some(effect) = created {
                        record(observed, effect);
                    }
                    errors.push(error);
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
    }
    Ok(())
}

/// A failed step, with what it created before failing (a load balancer
/// that never became active is still a load balancer to record).
struct StepError {
    created: Option<Effect>,
    error: AwsError,
}

impl From<AwsError> for StepError {
    fn from(error: AwsError) -> Self {
        Self { created: None, error }
    }
}

type StepFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Effect, StepError>> + Send + 'a>>;

fn resolve(observed: &Observed, r: &TargetGroupRef) -> Result<String, AwsError> {
    match r {
        TargetGroupRef::Arn(a) => Ok(a.clone()),
        TargetGroupRef::New(name) => observed
            .target_group_by_name(name)
            .map(|t| t.arn.clone())
            .ok_or_else(|| AwsError::new("resolving ELBv2 Target Group", name, ErrorKind::NotFound)),
    }
}

fn lb_arn(observed: &Observed) -> Result<String, AwsError> {
    observed
        .load_balancer
        .as_ref()
        .map(|l| l.arn.clone())
        .ok_or_else(|| AwsError::new("resolving ELBv2 Load Balancer", "", ErrorKind::NotFound))
}

fn service_id(observed: &Observed) -> Result<String, AwsError> {
    observed
        .service
        .as_ref()
        .map(|s| s.id.clone())
        .ok_or_else(|| AwsError::new("resolving EC2 VPC Endpoint Service", "", ErrorKind::NotFound))
}

/// Prepares one step: references are resolved now, against what exists
/// after the previous phases; the returned future only talks to AWS.
fn run<'a>(
    clients: &'a Clients,
    step: &'a Step,
    observed: &Observed,
    exec: &'a Execution,
) -> Result<StepFuture<'a>, AwsError> {
    let elb = &clients.elbv2;
    let ec2c = &clients.ec2;
    Ok(match step {
        Step::CreateLoadBalancer { name, subnets, tags } => Box::pin(async move {
            info!(name, "creating network load balancer");
            let created = elbv2::create_load_balancer(elb, name, subnets, tags).await?;
            match elbv2::wait_active(elb, &created.arn, exec.timeout).await {
                Ok(lb) => Ok(Effect::LoadBalancer(lb, tags.clone())),
                Err(error) => Err(StepError { created: Some(Effect::LoadBalancer(created, tags.clone())), error }),
            }
        }),
        Step::AddSubnets { subnets } => {
            let arn = lb_arn(observed)?;
            Box::pin(async move {
                elbv2::set_subnets(elb, &arn, subnets).await?;
                Ok(Effect::Subnets(subnets.clone()))
            })
        }
        Step::SetCrossZone(on) => {
            let arn = lb_arn(observed)?;
            Box::pin(async move {
                elbv2::set_cross_zone(elb, &arn, *on).await?;
                Ok(Effect::CrossZone(*on))
            })
        }
        Step::CreateTargetGroup { name, port, health_check, tags, .. } => Box::pin(async move {
            info!(name, port, "creating target group");
            Ok(Effect::TargetGroup(
                elbv2::create_target_group(elb, name, *port, &exec.vpc_id, health_check, tags).await?,
            ))
        }),
        Step::SetHealthCheck { target_group, health_check } => {
            let arn = resolve(observed, target_group)?;
            Box::pin(async move {
                elbv2::set_health_check(elb, &arn, health_check).await?;
                Ok(Effect::HealthCheck(arn, *health_check))
            })
        }
        Step::SetTargetGroupAttributes { target_group, deregistration_delay } => {
            let arn = resolve(observed, target_group)?;
            Box::pin(async move {
                elbv2::set_deregistration_delay(elb, &arn, *deregistration_delay).await?;
                Ok(Effect::DeregistrationDelay(arn, *deregistration_delay))
            })
        }
        Step::Register { target_group, targets } => {
            let arn = resolve(observed, target_group)?;
            Box::pin(async move {
                elbv2::register(elb, &arn, targets).await?;
                Ok(Effect::Registered(arn, targets.clone()))
            })
        }
        Step::Deregister { target_group, targets } => Box::pin(async move {
            elbv2::deregister(elb, target_group, targets).await?;
            Ok(Effect::Deregistered(target_group.clone(), targets.clone()))
        }),
        Step::DeleteListener { arn, port } => Box::pin(async move {
            info!(port, "deleting listener");
            elbv2::delete_listener(elb, arn).await?;
            Ok(Effect::ListenerDeleted(arn.clone()))
        }),
        Step::CreateListener { port, target_group, tags } => {
            let (lb, tg) = (lb_arn(observed)?, resolve(observed, target_group)?);
            Box::pin(async move {
                info!(port, "creating listener");
                Ok(Effect::ListenerCreated(elbv2::create_listener(elb, &lb, *port, &tg, tags).await?))
            })
        }
        Step::PointListener { arn, port, target_group } => {
            let tg = resolve(observed, target_group)?;
            Box::pin(async move {
                info!(port, "moving listener to another target group");
                elbv2::point_listener(elb, arn, &tg).await?;
                Ok(Effect::ListenerPointed(arn.clone(), tg))
            })
        }
        Step::SetIdleTimeout { port, seconds } => {
            let arn = observed.listener_on(*port).map(|l| l.arn.clone()).ok_or_else(|| {
                AwsError::new("resolving ELBv2 Listener", format!("port {port}"), ErrorKind::NotFound)
            })?;
            Box::pin(async move {
                elbv2::set_idle_timeout(elb, &arn, *seconds).await?;
                Ok(Effect::IdleTimeout(arn, *seconds))
            })
        }
        Step::DeleteTargetGroup { arn, name } => Box::pin(async move {
            info!(name, "deleting target group");
            elbv2::delete_target_group(elb, arn).await?;
            Ok(Effect::TargetGroupDeleted(arn.clone()))
        }),
        Step::CreateService { acceptance_required, supported_regions, tags } => {
            let lb = lb_arn(observed)?;
            let active = observed.load_balancer.as_ref().is_some_and(|l| l.active);
            Box::pin(async move {
                info!("creating VPC endpoint service");
                // A service may only front an active load balancer; one still
                // provisioning (e.g. after an earlier timed-out apply) is awaited.
                if !active {
                    elbv2::wait_active(elb, &lb, exec.timeout).await?;
                }
                let created =
                    ec2::create_service(ec2c, &lb, *acceptance_required, supported_regions, tags, &exec.client_token)
                        .await?;
                let created = ObservedService { tags: tags.clone(), ..created };
                match ec2::wait_service_available(ec2c, &created.id, exec.timeout).await {
                    Ok(svc) => Ok(Effect::ServiceCreated(ObservedService { tags: tags.clone(), ..svc })),
                    Err(error) => Err(StepError { created: Some(Effect::ServiceCreated(created)), error }),
                }
            })
        }
        Step::ModifyService { acceptance_required, add_regions, remove_regions } => {
            let id = service_id(observed)?;
            Box::pin(async move {
                ec2::modify_service(ec2c, &id, *acceptance_required, add_regions, remove_regions).await?;
                Ok(Effect::ServiceModified(*acceptance_required, add_regions.clone(), remove_regions.clone()))
            })
        }
        Step::Permissions { add, remove } => {
            let id = service_id(observed)?;
            Box::pin(async move {
                ec2::modify_permissions(ec2c, &id, add, remove).await?;
                Ok(Effect::Permissions(add.clone(), remove.clone()))
            })
        }
        Step::Retag { arn, add, remove } => {
            let is_service = observed.service.as_ref().is_some_and(|s| &s.id == arn);
            Box::pin(async move {
                if is_service {
                    ec2_retag(ec2c, arn, add, remove).await?;
                } else {
                    elbv2::retag(elb, arn, add, remove).await?;
                }
                Ok(Effect::Retagged(arn.clone(), add.clone(), remove.clone()))
            })
        }
        Step::DeleteService { id } => Box::pin(async move {
            if let Some(live) = ec2::live_connections(ec2c, id).await.filter(|l| !l.is_empty()) {
                if !exec.reject_connections_on_destroy {
                    return Err(StepError::from(AwsError::new(
                        "deleting EC2 VPC Endpoint Service",
                        id,
                        ErrorKind::Api {
                            code: "ExistingVpcEndpointConnections".into(),
                            message: format!(
                                "consumer endpoints are still connected: {}. Delete them, or set \
                                 endpoint_service.reject_connections_on_destroy = true",
                                live.join(", ")
                            ),
                        },
                    )));
                }
                ec2::reject_connections(ec2c, id, &live).await?;
            }
            info!(id, "deleting VPC endpoint service");
            ec2::delete_service(ec2c, id, exec.timeout).await?;
            Ok(Effect::ServiceDeleted)
        }),
        Step::DeleteLoadBalancer { arn } => Box::pin(async move {
            info!(arn, "deleting network load balancer");
            elbv2::delete_load_balancer(elb, arn, exec.timeout).await?;
            Ok(Effect::LoadBalancerDeleted)
        }),
    })
}

async fn ec2_retag(
    ec2c: &aws_sdk_ec2::Client,
    id: &str,
    add: &BTreeMap<String, String>,
    remove: &BTreeSet<String>,
) -> Result<(), AwsError> {
    use aws_sdk_ec2::types::Tag;
    if !remove.is_empty() {
        let tags = remove.iter().map(|k| Tag::builder().key(k).build()).collect();
        ec2c.delete_tags()
            .resources(id)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("removing EC2 tags", id, e))?;
    }
    if !add.is_empty() {
        let tags = add.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        ec2c.create_tags()
            .resources(id)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("adding EC2 tags", id, e))?;
    }
    Ok(())
}

fn record(o: &mut Observed, effect: Effect) {
    match effect {
        Effect::LoadBalancer(mut lb, tags) => {
            lb.tags = tags;
            lb.owned = true;
            o.load_balancer = Some(lb);
        }
        Effect::Subnets(s) => {
            if let Some(lb) = o.load_balancer.as_mut() {
                lb.subnets = s;
            }
        }
        Effect::CrossZone(on) => {
            if let Some(lb) = o.load_balancer.as_mut() {
                lb.cross_zone = Some(on);
            }
        }
        Effect::TargetGroup(tg) => o.target_groups.push(tg),
        Effect::Registered(arn, t) => {
            if let Some(tg) = o.target_groups.iter_mut().find(|g| g.arn == arn) {
                tg.targets.extend(t);
            }
        }
        Effect::Deregistered(arn, t) => {
            if let Some(tg) = o.target_groups.iter_mut().find(|g| g.arn == arn) {
                tg.targets.retain(|x| !t.contains(x));
            }
        }
        Effect::HealthCheck(arn, hc) => {
            if let Some(tg) = o.target_groups.iter_mut().find(|g| g.arn == arn) {
                tg.health_check = hc;
            }
        }
        Effect::DeregistrationDelay(arn, d) => {
            if let Some(tg) = o.target_groups.iter_mut().find(|g| g.arn == arn) {
                tg.deregistration_delay = Some(d);
            }
        }
        Effect::ListenerCreated(l) => o.listeners.push(l),
        Effect::ListenerPointed(arn, tg) => {
            if let Some(l) = o.listeners.iter_mut().find(|l| l.arn == arn) {
                l.target_group_arn = Some(tg);
            }
        }
        Effect::ListenerDeleted(arn) => o.listeners.retain(|l| l.arn != arn),
        Effect::IdleTimeout(arn, s) => {
            if let Some(l) = o.listeners.iter_mut().find(|l| l.arn == arn) {
                l.idle_timeout = Some(s);
            }
        }
        Effect::TargetGroupDeleted(arn) => o.target_groups.retain(|t| t.arn != arn),
        Effect::ServiceCreated(s) => o.service = Some(s),
        Effect::ServiceModified(acceptance, add, remove) => {
            if let Some(s) = o.service.as_mut() {
                if let Some(a) = acceptance {
                    s.acceptance_required = a;
                }
                s.supported_regions.extend(add);
                s.supported_regions.retain(|r| !remove.contains(r));
            }
        }
        Effect::Permissions(add, remove) => {
            if let Some(s) = o.service.as_mut() {
                s.principals.extend(add);
                s.principals.retain(|p| !remove.contains(p));
            }
        }
        Effect::Retagged(arn, add, remove) => {
            let tags = if o.load_balancer.as_ref().is_some_and(|l| l.arn == arn) {
                o.load_balancer.as_mut().map(|l| &mut l.tags)
            } else if o.service.as_ref().is_some_and(|s| s.id == arn) {
                o.service.as_mut().map(|s| &mut s.tags)
            } else {
                o.target_groups.iter_mut().find(|t| t.arn == arn).map(|t| &mut t.tags)
            };
            if let Some(tags) = tags {
                tags.retain(|k, _| !remove.contains(k));
                tags.extend(add);
            }
        }
        Effect::ServiceDeleted => o.service = None,
        Effect::LoadBalancerDeleted => o.load_balancer = None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::config::{AwsSettings, Endpoints, Secret};

    /// Clients that would fail on any call: nothing listens on port 1.
    async fn unreachable() -> Clients {
        AwsSettings {
            region: Some("us-east-1".into()),
            access_key: Some("a".into()),
            secret_key: Some(Secret::new("b")),
            endpoints: Endpoints {
                ec2: Some("http://127.0.0.1:1".into()),
                elbv2: Some("http://127.0.0.1:1".into()),
                sts: None,
            },
            max_retries: Some(0),
            ..Default::default()
        }
        .connect()
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_stopped_apply_makes_no_further_calls_and_says_so() {
        let clients = unreachable().await;
        let plan = Plan { phases: vec![vec![Step::DeleteLoadBalancer { arn: "arn:lb".into() }]] };
        let stop = CancellationToken::new();
        stop.cancel();
        let exec = Execution {
            vpc_id: "vpc-1".into(),
            timeout: Duration::from_secs(1),
            client_token: String::new(),
            reject_connections_on_destroy: false,
            stop,
        };
        let mut observed = Observed::default();
        let errors = execute(&clients, &plan, &mut observed, &exec).await.unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].kind, ErrorKind::Cancelled);
    }

    #[tokio::test]
    async fn a_failed_step_is_reported_with_its_object() {
        let clients = unreachable().await;
        let plan = Plan { phases: vec![vec![Step::DeleteListener { arn: "arn:listener/1".into(), port: 9001 }]] };
        let exec = Execution {
            vpc_id: "vpc-1".into(),
            timeout: Duration::from_secs(1),
            client_token: String::new(),
            reject_connections_on_destroy: false,
            stop: CancellationToken::new(),
        };
        let mut observed = Observed::default();
        let errors = execute(&clients, &plan, &mut observed, &exec).await.unwrap_err();
        assert!(errors[0].to_string().starts_with("deleting ELBv2 Listener (arn:listener/1): "), "{}", errors[0]);
        assert!(matches!(errors[0].kind, ErrorKind::Transport(_)));
    }
}
