//! The execution of a [`Schedule`]: phase by phase, each step's effect
//! recorded in [`Observed`] the moment AWS confirms it — so a failed or
//! interrupted apply still knows everything it created.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use tokio_util::sync::CancellationToken;
use tracing::info;

use super::config::Clients;
use super::error::{AwsError, ErrorKind};
use super::observe::CONCURRENCY;
use super::{ec2, elbv2, retry};
use crate::domain::connections;
use crate::domain::diff::{Phase, Schedule, Step, TargetGroupRef};
use crate::domain::effect::Effect;
use crate::domain::layout::{Observed, ObservedService, TargetId};
use crate::domain::ownership::COMPLETE_TAG;

/// What executing a plan needs besides the plan.
#[derive(Debug, Clone)]
pub struct Execution {
    pub vpc_id: String,
    /// Waits (load balancer active, service available or gone) give up after this.
    pub timeout: Duration,
    /// Makes a retried endpoint-service creation idempotent.
    pub client_token: String,
    pub stop: CancellationToken,
    /// Several executions (one per load balancer of a setup) that mark
    /// their objects complete only together (see [`Together`]).
    pub together: Option<Arc<Together>>,
}

/// Holds each of several concurrent executions before its completion marks
/// ([`Phase::Complete`]) until every one has run its other phases; the
/// marks then run only if none of them failed. A first apply of several
/// load balancers that crashes or fails part-way so leaves every one of
/// them unmarked, and the next create resumes them all.
#[derive(Debug)]
pub struct Together {
    barrier: tokio::sync::Barrier,
    failed: std::sync::atomic::AtomicBool,
}

impl Together {
    /// For `n` executions, each of which arrives exactly once.
    pub fn new(n: usize) -> Self {
        Self { barrier: tokio::sync::Barrier::new(n), failed: std::sync::atomic::AtomicBool::new(false) }
    }

    /// Arrives (`ok`: its phases so far succeeded); once all have, whether
    /// every one did.
    async fn arrive(&self, ok: bool) -> bool {
        if !ok {
            self.failed.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        self.barrier.wait().await;
        !self.failed.load(std::sync::atomic::Ordering::SeqCst)
    }
}

// How long a call that names an object this apply created waits for AWS to
// show that object: AWS may answer NotFound for a while after a successful
// create (EC2's eventual-consistency guide; for ELBv2,
// hashicorp/terraform-provider-aws #15214, #16860, #19920), for
// hashicorp/aws's propagation timeout; an apply's own timeout caps it.
use super::wait::PROPAGATION;

/// How long a registration waits for an instance to be running.
const STARTING: Duration = Duration::from_secs(600);

/// The ids and ARNs of the objects this apply has created so far.
#[derive(Debug, Default)]
struct Fresh(BTreeSet<String>);

impl Fresh {
    fn note(&mut self, effect: &Effect) {
        if let Some(id) = effect.created() {
            self.0.insert(id.to_owned());
        }
    }

    fn any<'a>(&self, mut ids: impl Iterator<Item = &'a String>) -> bool {
        ids.any(|id| self.0.contains(id))
    }
}

/// Runs `call`, waiting out what AWS may answer for a while and then stop
/// answering: NotFound when it names an object this apply just created
/// (`fresh`), and whatever else `also` accepts (`None`: nothing). The last
/// answer stands once the window has passed.
async fn settled<T, F, Fut>(
    fresh: bool,
    also: Option<fn(&AwsError) -> bool>,
    exec: &Execution,
    call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let retryable = |e: &AwsError| (fresh && e.is_not_found()) || also.is_some_and(|f| f(e));
    // hashicorp/aws waits 10 minutes for an instance to run
    let window = if also.is_some() { STARTING.min(exec.timeout) } else { PROPAGATION.min(exec.timeout) };
    retry::retry_while(retryable, window, retry::Backoff::PROPAGATION, &exec.stop, call).await
}

/// AWS refuses a subnet added in a zone whose previous subnet is still
/// being removed (`InvalidConfigurationRequest`).
fn removal_in_progress(e: &AwsError) -> bool {
    e.code() == Some("InvalidConfigurationRequest")
}

/// AWS refuses to register an instance that is not running yet
/// (`InvalidTarget`, "The following targets are not in a running state and
/// cannot be registered"): an instance started in the same apply as its
/// broker is waited for, as hashicorp/aws's target group attachment does.
/// `InvalidTarget` for anything else (another VPC, a terminated instance)
/// stands at once.
fn instance_not_running(e: &AwsError) -> bool {
    e.code() == Some("InvalidTarget") && e.to_string().contains("not in a running state")
}

/// Runs `plan` phase by phase, updating `observed` as AWS confirms each
/// step. Stops after the first phase with a failure (its other steps still
/// finish) or when `stop` is cancelled; `observed` then holds what exists.
pub async fn execute(
    clients: &Clients,
    schedule: &Schedule,
    observed: &mut Observed,
    exec: &Execution,
) -> Result<(), Vec<AwsError>> {
    let mut fresh = Fresh::default();
    let (marks, others): (Vec<_>, Vec<_>) =
        schedule.phases.iter().filter(|(_, p)| !p.is_empty()).partition(|(name, _)| **name == Phase::Complete);
    let result = phases(clients, &others, observed, exec, &mut fresh).await;
    if let Some(together) = &exec.together
        && !together.arrive(result.is_ok()).await
    {
        return result;
    }
    result?;
    phases(clients, &marks, observed, exec, &mut fresh).await
}

async fn phases(
    clients: &Clients,
    phases: &[(&Phase, &Vec<Step>)],
    observed: &mut Observed,
    exec: &Execution,
    fresh: &mut Fresh,
) -> Result<(), Vec<AwsError>> {
    for (name, phase) in phases {
        if exec.stop.is_cancelled() {
            return Err(vec![AwsError::new(
                "applying Kafka PrivateLink changes",
                format!("{name:?}"),
                ErrorKind::Cancelled,
            )]);
        }
        let mut running = FuturesUnordered::new();
        let mut errors = Vec::new();
        let mut pending = phase.iter();
        loop {
            while running.len() < CONCURRENCY {
                let Some(step) = pending.next() else { break };
                match run(clients, step, observed, &*fresh, exec) {
                    Ok(fut) => running.push(fut),
                    Err(e) => errors.push(e),
                }
            }
            let Some(result) = running.next().await else { break };
            match result {
                Ok(effect) => {
                    fresh.note(&effect);
                    observed.record(effect);
                }
                Err(StepError { created, error }) => {
                    if let Some(effect) = created {
                        fresh.note(&effect);
                        observed.record(effect);
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
            .target_groups
            .iter()
            .find(|t| t.owned && &t.name == name)
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
/// after the previous phases; the returned future only talks to AWS. A
/// step on an object created earlier in this apply waits out AWS not
/// showing it yet ([`settled`]). One family of steps a function.
fn run<'a>(
    clients: &'a Clients,
    step: &'a Step,
    observed: &Observed,
    fresh: &Fresh,
    exec: &'a Execution,
) -> Result<StepFuture<'a>, AwsError> {
    let p = Prep { clients, observed, fresh, exec };
    match step {
        Step::CreateLoadBalancer { .. }
        | Step::SetSubnets { .. }
        | Step::SetSecurityGroups { .. }
        | Step::SetCrossZone(_)
        | Step::DeleteLoadBalancer { .. } => load_balancer_step(&p, step),
        Step::CreateTargetGroup { .. }
        | Step::SetHealthCheck { .. }
        | Step::SetTargetGroupAttributes { .. }
        | Step::Register { .. }
        | Step::AwaitTargets { .. }
        | Step::Deregister { .. }
        | Step::DeleteTargetGroup { .. } => target_group_step(&p, step),
        Step::DeleteListener { .. }
        | Step::CreateListener { .. }
        | Step::PointListener { .. }
        | Step::SetIdleTimeout { .. } => listener_step(&p, step),
        Step::CreateService { .. }
        | Step::ModifyService { .. }
        | Step::Permissions { .. }
        | Step::DeleteService { .. } => service_step(&p, step),
        Step::AcceptConnections { .. } | Step::RejectConnections { .. } => connection_step(&p, step),
        Step::Retag { .. } | Step::MarkComplete { .. } => tags_step(&p, step),
    }
}

/// What preparing a step reads: the clients, what exists after the
/// previous phases, what this apply created, the execution's settings.
struct Prep<'a, 'o> {
    clients: &'a Clients,
    observed: &'o Observed,
    fresh: &'o Fresh,
    exec: &'a Execution,
}

impl Prep<'_, '_> {
    /// Whether the load balancer is one this apply created.
    fn lb_fresh(&self) -> bool {
        self.observed.load_balancer.as_ref().is_some_and(|l| self.fresh.0.contains(&l.arn))
    }
}

/// A step of another family handed to a preparer: a bug of this module,
/// reported rather than panicking.
fn misrouted(step: &Step) -> AwsError {
    AwsError::new(
        "preparing a step",
        format!("{step:?}"),
        ErrorKind::Transport("a step reached the wrong family of steps: a bug of the provider".to_owned()),
    )
}

/// The load balancer: created (and awaited), its subnets, security groups and cross-zone setting, deleted.
fn load_balancer_step<'a>(p: &Prep<'a, '_>, step: &'a Step) -> Result<StepFuture<'a>, AwsError> {
    let (elb, exec, observed) = (&p.clients.elbv2, p.exec, p.observed);
    let lb_fresh = p.lb_fresh();
    Ok(match step {
        Step::CreateLoadBalancer { name, subnets, security_groups, tags } => Box::pin(async move {
            info!(name, "creating network load balancer");
            let created = elbv2::create_load_balancer(elb, name, subnets, security_groups, tags).await?;
            let active = settled(true, None, exec, || elbv2::wait_active(elb, &created.arn, exec.timeout, &exec.stop));
            match active.await {
                Ok(lb) => Ok(Effect::LoadBalancer(lb, tags.clone())),
                Err(error) => Err(StepError { created: Some(Effect::LoadBalancer(created, tags.clone())), error }),
            }
        }),
        Step::SetSubnets { subnets, after_removal } => {
            let arn = lb_arn(observed)?;
            // A removal takes up to minutes to complete (AWS: "Subnet changes
            // within the same Availability Zone must be independent
            // actions"): the addition after it is refused until then.
            let also = after_removal.then_some(removal_in_progress as fn(&AwsError) -> bool);
            Box::pin(async move {
                settled(lb_fresh, also, exec, || elbv2::set_subnets(elb, &arn, subnets)).await?;
                Ok(Effect::Subnets(subnets.clone()))
            })
        }
        Step::SetSecurityGroups { ids, enforce_on_private_link } => {
            let arn = lb_arn(observed)?;
            Box::pin(async move {
                settled(lb_fresh, None, exec, || elbv2::set_security_groups(elb, &arn, ids, *enforce_on_private_link))
                    .await?;
                Ok(Effect::SecurityGroups(ids.clone(), *enforce_on_private_link))
            })
        }
        Step::SetCrossZone(on) => {
            let arn = lb_arn(observed)?;
            Box::pin(async move {
                settled(lb_fresh, None, exec, || elbv2::set_cross_zone(elb, &arn, *on)).await?;
                Ok(Effect::CrossZone(*on))
            })
        }
        Step::DeleteLoadBalancer { arn } => Box::pin(async move {
            info!(arn, "deleting network load balancer");
            elbv2::delete_load_balancer(elb, arn, exec.timeout, &exec.stop).await?;
            Ok(Effect::LoadBalancerDeleted)
        }),
        _ => return Err(misrouted(step)),
    })
}

/// Target groups: created, their health check and attributes, targets registered, awaited and deregistered, deleted.
fn target_group_step<'a>(p: &Prep<'a, '_>, step: &'a Step) -> Result<StepFuture<'a>, AwsError> {
    let (elb, exec, observed, fresh) = (&p.clients.elbv2, p.exec, p.observed, p.fresh);
    Ok(match step {
        Step::CreateTargetGroup { name, port, kind, health_check, tags, .. } => Box::pin(async move {
            info!(name, port, "creating target group");
            Ok(Effect::TargetGroup(
                elbv2::create_target_group(elb, name, *port, *kind, &exec.vpc_id, health_check, tags).await?,
            ))
        }),
        Step::SetHealthCheck { target_group, health_check } => {
            let arn = resolve(observed, target_group)?;
            let new = fresh.0.contains(&arn);
            Box::pin(async move {
                settled(new, None, exec, || elbv2::set_health_check(elb, &arn, health_check)).await?;
                Ok(Effect::HealthCheck(arn, *health_check))
            })
        }
        Step::SetTargetGroupAttributes { target_group, deregistration_delay } => {
            let arn = resolve(observed, target_group)?;
            let new = fresh.0.contains(&arn);
            Box::pin(async move {
                settled(new, None, exec, || elbv2::set_deregistration_delay(elb, &arn, *deregistration_delay)).await?;
                Ok(Effect::DeregistrationDelay(arn, *deregistration_delay))
            })
        }
        Step::Register { target_group, targets } => {
            let arn = resolve(observed, target_group)?;
            let new = fresh.0.contains(&arn);
            let instances = targets.iter().any(|(id, _)| matches!(id, TargetId::Instance(_)));
            let also = instances.then_some(instance_not_running as fn(&AwsError) -> bool);
            Box::pin(async move {
                settled(new, also, exec, || elbv2::register(elb, &arn, targets)).await?;
                Ok(Effect::Registered(arn, targets.clone()))
            })
        }
        Step::AwaitTargets { target_group, targets, serving } => {
            let arn = resolve(observed, target_group)?;
            let new = fresh.0.contains(&arn);
            Box::pin(async move {
                let wait = || elbv2::await_targets(elb, &arn, targets, *serving, exec.timeout, &exec.stop);
                settled(new, None, exec, wait).await?;
                Ok(Effect::Ready)
            })
        }
        Step::Deregister { target_group, targets } => Box::pin(async move {
            elbv2::deregister(elb, target_group, targets).await?;
            Ok(Effect::Deregistered(target_group.clone(), targets.clone()))
        }),
        Step::DeleteTargetGroup { arn, name } => Box::pin(async move {
            info!(name, "deleting target group");
            elbv2::delete_target_group(elb, arn, &exec.stop).await?;
            Ok(Effect::TargetGroupDeleted(arn.clone()))
        }),
        _ => return Err(misrouted(step)),
    })
}

/// Listeners: created, moved to another group, their idle timeout, deleted.
fn listener_step<'a>(p: &Prep<'a, '_>, step: &'a Step) -> Result<StepFuture<'a>, AwsError> {
    let (elb, exec, observed, fresh) = (&p.clients.elbv2, p.exec, p.observed, p.fresh);
    Ok(match step {
        Step::DeleteListener { arn, port } => Box::pin(async move {
            info!(port, "deleting listener");
            elbv2::delete_listener(elb, arn).await?;
            Ok(Effect::ListenerDeleted(arn.clone()))
        }),
        Step::CreateListener { port, target_group, tags } => {
            let (lb, tg) = (lb_arn(observed)?, resolve(observed, target_group)?);
            let new = fresh.any([&lb, &tg].into_iter());
            Box::pin(async move {
                info!(port, "creating listener");
                // CreateListener is idempotent: a retry after a NotFound for
                // a group or load balancer not yet visible creates one listener.
                let created = settled(new, None, exec, || elbv2::create_listener(elb, &lb, *port, &tg, tags)).await?;
                Ok(Effect::ListenerCreated(created))
            })
        }
        Step::PointListener { arn, port, target_group } => {
            let tg = resolve(observed, target_group)?;
            let new = fresh.0.contains(&tg);
            Box::pin(async move {
                info!(port, "moving listener to another target group");
                settled(new, None, exec, || elbv2::point_listener(elb, arn, &tg)).await?;
                Ok(Effect::ListenerPointed(arn.clone(), tg))
            })
        }
        Step::SetIdleTimeout { port, seconds } => {
            let arn = observed.listener_on(*port).map(|l| l.arn.clone()).ok_or_else(|| {
                AwsError::new("resolving ELBv2 Listener", format!("port {port}"), ErrorKind::NotFound)
            })?;
            let new = fresh.0.contains(&arn);
            Box::pin(async move {
                settled(new, None, exec, || elbv2::set_idle_timeout(elb, &arn, *seconds)).await?;
                Ok(Effect::IdleTimeout(arn, *seconds))
            })
        }
        _ => return Err(misrouted(step)),
    })
}

/// The endpoint service: created (and awaited), modified, its principals, its consumers' connections, deleted.
fn service_step<'a>(p: &Prep<'a, '_>, step: &'a Step) -> Result<StepFuture<'a>, AwsError> {
    let (elb, ec2c, exec, observed, fresh) = (&p.clients.elbv2, &p.clients.ec2, p.exec, p.observed, p.fresh);
    let lb_fresh = p.lb_fresh();
    Ok(match step {
        Step::CreateService { acceptance_required, supported_regions, tags } => {
            let lb = lb_arn(observed)?;
            let active = observed.load_balancer.as_ref().is_some_and(|l| l.active);
            Box::pin(async move {
                info!("creating VPC endpoint service");
                // A service may only front an active load balancer; one still
                // provisioning (e.g. after an earlier timed-out apply) is awaited.
                if !active {
                    settled(lb_fresh, None, exec, || elbv2::wait_active(elb, &lb, exec.timeout, &exec.stop)).await?;
                }
                let created =
                    ec2::create_service(ec2c, &lb, *acceptance_required, supported_regions, tags, &exec.client_token)
                        .await?;
                let created = ObservedService { tags: tags.clone(), ..created };
                match ec2::wait_service_available(ec2c, &created.id, exec.timeout, &exec.stop).await {
                    Ok(svc) => Ok(Effect::ServiceCreated(ObservedService { tags: tags.clone(), ..svc })),
                    Err(error) => Err(StepError { created: Some(Effect::ServiceCreated(created)), error }),
                }
            })
        }
        Step::ModifyService { acceptance_required, add_regions, remove_regions } => {
            let id = service_id(observed)?;
            let new = fresh.0.contains(&id);
            Box::pin(async move {
                let modify = || ec2::modify_service(ec2c, &id, *acceptance_required, add_regions, remove_regions);
                settled(new, None, exec, modify).await?;
                // A modified service goes back to `Pending` for a while; the
                // calls after this one (principals) want it `Available`.
                ec2::wait_service_available(ec2c, &id, exec.timeout, &exec.stop).await?;
                Ok(Effect::ServiceModified(*acceptance_required, add_regions.clone(), remove_regions.clone()))
            })
        }
        Step::Permissions { add, remove } => {
            let id = service_id(observed)?;
            let new = fresh.0.contains(&id);
            Box::pin(async move {
                // A service that reads `Available` may still be unknown to
                // this call for a moment (EC2 is eventually consistent per
                // API action).
                settled(new, None, exec, || ec2::modify_permissions(ec2c, &id, add, remove)).await?;
                Ok(Effect::Permissions(add.clone(), remove.clone()))
            })
        }
        Step::DeleteService { id, reject_connections } => Box::pin(async move {
            // The service goes first, and AWS refuses to delete it while
            // consumers are connected: that refusal stops the destroy
            // before anything else changes. Told to cut them off, the
            // provider rejects them first.
            if *reject_connections {
                let live = ec2::live_connections(ec2c, id).await?;
                if !live.is_empty() {
                    ec2::reject_connections(ec2c, id, &live).await?;
                }
            }
            info!(id, "deleting VPC endpoint service");
            ec2::delete_service(ec2c, id, exec.timeout, &exec.stop).await?;
            Ok(Effect::ServiceDeleted)
        }),
        _ => return Err(misrouted(step)),
    })
}

/// Consumers' connections: accepted (and awaited), or rejected.
fn connection_step<'a>(p: &Prep<'a, '_>, step: &'a Step) -> Result<StepFuture<'a>, AwsError> {
    let (ec2c, exec) = (&p.clients.ec2, p.exec);
    Ok(match step {
        Step::AcceptConnections { service, endpoints } => Box::pin(async move {
            info!(service, endpoints = ?endpoints, "accepting consumer connections");
            ec2::accept_connections(ec2c, service, endpoints).await?;
            match ec2::await_accepted(ec2c, service, endpoints, exec.timeout, &exec.stop).await {
                Ok(now) => Ok(Effect::ConnectionsNow(now)),
                // Accepted, not yet available: recorded as AWS last said.
                Err(error) => Err(StepError {
                    created: Some(Effect::Connections(endpoints.clone(), connections::PENDING)),
                    error,
                }),
            }
        }),
        Step::RejectConnections { service, endpoints } => Box::pin(async move {
            info!(service, endpoints = ?endpoints, "rejecting consumer connections");
            let ids: Vec<String> = endpoints.iter().cloned().collect();
            ec2::reject_connections(ec2c, service, &ids).await?;
            Ok(Effect::Connections(endpoints.clone(), connections::REJECTED))
        }),
        _ => return Err(misrouted(step)),
    })
}

/// Tags of the instance's objects, and the completion mark of a first apply.
fn tags_step<'a>(p: &Prep<'a, '_>, step: &'a Step) -> Result<StepFuture<'a>, AwsError> {
    let (elb, ec2c, exec, observed, fresh) = (&p.clients.elbv2, &p.clients.ec2, p.exec, p.observed, p.fresh);
    Ok(match step {
        Step::Retag { arn, add, remove } => {
            let is_service = observed.service.as_ref().is_some_and(|s| &s.id == arn);
            let new = fresh.0.contains(arn);
            Box::pin(async move {
                if is_service {
                    settled(new, None, exec, || ec2::retag(ec2c, std::slice::from_ref(arn), add, remove)).await?;
                } else {
                    settled(new, None, exec, || elbv2::retag(elb, arn, add, remove)).await?;
                }
                Ok(Effect::Retagged(arn.clone(), add.clone(), remove.clone()))
            })
        }
        Step::MarkComplete { load_balancer, groups, service } => {
            let mut arns: Vec<String> = Vec::new();
            if *load_balancer {
                arns.extend(observed.load_balancer.iter().filter(|l| l.owned).map(|l| l.arn.clone()));
            }
            if *groups {
                arns.extend(observed.target_groups.iter().filter(|t| t.owned).map(|t| t.arn.clone()));
            }
            let svc: Vec<String> =
                observed.service.iter().filter(|s| *service && s.owned).map(|s| s.id.clone()).collect();
            let (arns_new, svc_new) = (fresh.any(arns.iter()), fresh.any(svc.iter()));
            Box::pin(async move {
                let mark = BTreeMap::from([(COMPLETE_TAG.to_owned(), "true".to_owned())]);
                if !arns.is_empty() {
                    settled(arns_new, None, exec, || elbv2::add_tags(elb, &arns, &mark)).await?;
                }
                if !svc.is_empty() {
                    let none = BTreeSet::new();
                    settled(svc_new, None, exec, || ec2::retag(ec2c, &svc, &mark, &none)).await?;
                }
                arns.extend(svc);
                Ok(Effect::MarkedComplete(arns))
            })
        }
        _ => return Err(misrouted(step)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::config::{AwsSettings, Endpoints, Secret};
    use crate::domain::diff::Phase;

    /// Clients that would fail on any call: nothing listens on port 1.
    async fn unreachable() -> Clients {
        AwsSettings {
            region: Some("us-east-1".into()),
            access_key: Some(crate::aws::config::Secret::new("a")),
            secret_key: Some(Secret::new("b")),
            endpoints: Endpoints {
                ec2: Some("http://127.0.0.1:1".into()),
                elbv2: Some("http://127.0.0.1:1".into()),
                kafka: None,
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
        let plan = Schedule {
            phases: BTreeMap::from([(
                Phase::DropLoadBalancer,
                vec![Step::DeleteLoadBalancer { arn: "arn:lb".into() }],
            )]),
        };
        let stop = CancellationToken::new();
        stop.cancel();
        let exec = Execution {
            vpc_id: "vpc-1".into(),
            timeout: Duration::from_secs(1),
            client_token: String::new(),
            stop,
            together: None,
        };
        let mut observed = Observed::default();
        let errors = execute(&clients, &plan, &mut observed, &exec).await.unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].kind, ErrorKind::Cancelled);
    }

    #[tokio::test]
    async fn executions_mark_complete_together_or_not_at_all() {
        let all_ok = Together::new(2);
        assert_eq!(tokio::join!(all_ok.arrive(true), all_ok.arrive(true)), (true, true));
        let one_failed = Together::new(3);
        let seen = tokio::join!(one_failed.arrive(true), one_failed.arrive(false), one_failed.arrive(true));
        assert_eq!(seen, (false, false, false), "no load balancer is marked when one failed");
    }

    #[tokio::test]
    async fn a_failed_step_is_reported_with_its_object() {
        let clients = unreachable().await;
        let plan = Schedule {
            phases: BTreeMap::from([(
                Phase::DropListeners,
                vec![Step::DeleteListener { arn: "arn:listener/1".into(), port: 9001 }],
            )]),
        };
        let exec = Execution {
            vpc_id: "vpc-1".into(),
            timeout: Duration::from_secs(1),
            client_token: String::new(),
            stop: CancellationToken::new(),
            together: None,
        };
        let mut observed = Observed::default();
        let errors = execute(&clients, &plan, &mut observed, &exec).await.unwrap_err();
        assert!(errors[0].to_string().starts_with("deleting ELBv2 Listener (arn:listener/1): "), "{}", errors[0]);
        assert!(matches!(errors[0].kind, ErrorKind::Unreachable(_)));
    }
}
