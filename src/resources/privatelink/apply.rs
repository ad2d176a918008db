//! Apply: observe, settle ownership, converge, execute; destroy what the
//! state records, in dependency order.

use crate::aws::Clients;
use crate::domain::ownership::Recorded;
use crate::resources::errors::{Doing, aws_warning};
use crate::resources::refusals::{LinkRefusal, refuse};
use std::collections::BTreeSet;
use tokio_util::sync::CancellationToken;

use super::model::{Model, defaults, known_strings};
use super::private::{Private, Provenance, new_token};
use super::to_domain::{Purpose, cross_zone_left_alone, lookup_for, promised_of, recorded_of};
use super::to_state::{render, with_leftovers};
use super::{KafkaPrivatelink, Loaded, aws_error, diff_error};
use crate::resources::values::Typed as _;

use crate::aws::execute::{Execution, execute};
use crate::aws::observe::{CallCounter, observe};
use crate::aws::{ErrorKind, ec2};
use crate::domain::diff::DiffError;
use crate::domain::layout::Role;
use crate::domain::layout::{LoadBalancerSpec, Observed, Spec};
use crate::domain::ownership::{Instance, Token};
use crate::domain::promise::{self, Broken};
use crate::domain::{connections, diff, ownership};
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::provider::{ApplyRequest, ApplyResponse, Context};
use crate::server::api::value::{Tri, Value, contradictions};

/// Idempotency token of this apply's endpoint-service creation: the SDK
/// re-sends it with every retry of that one call, so a retried create
/// returns the first service. It is new on every apply: AWS remembers a
/// token for 24 hours, and refuses a second, different create under it
/// (`IdempotentParameterMismatch`) or answers it with the first create's
/// service (deleted since, perhaps). An interrupted apply's service is
/// found again by its load balancer, not by the token.
pub(super) fn client_token(instance: &str) -> String {
    let mut token = format!("kafka-privatelink-{instance}-{}", new_token());
    token.truncate(64);
    token
}

/// How the load balancer is managed after this apply.
fn provenance(spec: &Spec, prior: Option<&Model>, private: &Private) -> Provenance {
    let same_lb = |arn: &str| prior.and_then(|p| p.load_balancer_arn.known()).is_some_and(|a| a == arn);
    match (&spec.load_balancer, private.load_balancer) {
        (LoadBalancerSpec::Create { .. }, Some(Provenance::Imported)) => Provenance::Imported,
        (LoadBalancerSpec::Create { .. }, _) => Provenance::Created,
        (LoadBalancerSpec::Adopt { arn }, Some(p)) if same_lb(arn) => p,
        (LoadBalancerSpec::Adopt { .. }, _) => Provenance::Adopted,
    }
}

/// A warning when the endpoint service does not list every zone of its
/// load balancer (after a subnet change, AWS may lag, or not follow).
pub(super) fn zones_lag(observed: &Observed) -> Option<Diagnostic> {
    let (lb, svc) = (observed.load_balancer.as_ref()?, observed.service.as_ref().filter(|s| s.owned)?);
    let lacking = svc.zones_lagging(lb);
    if lacking.is_empty() {
        return None;
    }
    let list = |z: &BTreeSet<String>| z.iter().cloned().collect::<Vec<_>>().join(", ");
    Some(
        Diagnostic::warning(
            "Endpoint service zones lag the load balancer",
            format!(
                "The load balancer is in {}; its endpoint service {} lists {}: consumers cannot place endpoints in \
                 {} through it yet. AWS updates a service's zones after its load balancer's subnets change, and has \
                 been seen not to (hashicorp/aws#40809; the remedy reported there is to save the service's load \
                 balancer association again in the VPC console). Every refresh reads the service again and says so \
                 while it lags.",
                list(&lb.zone_names),
                svc.id,
                list(&svc.availability_zones),
                lacking.join(", ")
            ),
        )
        .at(AttributePath::attr("endpoint_service").index(0).attribute("availability_zones")),
    )
}

/// The attribute a broken promise contradicts.
fn broken_at(b: &Broken) -> AttributePath {
    let (owner, field) = match b {
        Broken::LoadBalancer { .. } => return AttributePath::attr("load_balancer_arn"),
        Broken::Service { .. } => return AttributePath::attr("endpoint_service").index(0).attribute("id"),
        Broken::Group { role, .. } => (*role, "target_group_arn"),
        Broken::Listener { role, .. } => (*role, "listener_arn"),
    };
    match owner {
        Role::Broker(id) => AttributePath::attr("brokers").key(id.to_string()).attribute(field),
        Role::Bootstrap => AttributePath::attr("bootstrap").index(0).attribute(field),
    }
}

/// The refusal of a plan that AWS has moved away from since it was made
/// (a saved plan applied later): nothing was written.
fn plan_out_of_date(name: &str, broken: &[Broken]) -> Diagnostic {
    let broken = broken.iter().map(|b| (b.clone(), broken_at(b))).collect();
    refuse(&LinkRefusal::PlanOutOfDate { name: name.to_owned(), broken })
}

/// An error, instead of Terraform's "inconsistent result", when AWS changed
/// values the plan showed while the apply ran: the state holds what AWS
/// holds, and the next plan shows it.
fn changed_during_apply(name: &str, planned: &Value, state: &Value) -> Option<Diagnostic> {
    let paths = contradictions(planned, state);
    (!paths.is_empty()).then(|| refuse(&LinkRefusal::ChangedDuringApply { name: name.to_owned(), paths }))
}

/// The token that marks this instance's objects: the stored one, one read
/// off the recorded objects or left by an interrupted first apply, or a new
/// one.
fn token_of(
    spec: &Spec,
    observed: &Observed,
    private: &Private,
    recorded: Option<&Recorded>,
) -> Result<String, Diagnostic> {
    match ownership::resolve(spec, observed, private.instance.as_deref(), recorded) {
        Ok(Token::Stored(t)) => Ok(t),
        Ok(Token::Recovered(t)) => {
            tracing::info!(name = %spec.name, "the private state was lost (an interrupted apply): the token is read off the recorded objects");
            Ok(t)
        }
        Ok(Token::Resumed(t)) => {
            tracing::info!(name = %spec.name, "resuming the objects of an interrupted first apply");
            Ok(t)
        }
        Ok(Token::Fresh) => Ok(new_token()),
        Err(e) => Err(diff_error(&spec.name, &DiffError::from(e))),
    }
}

/// Whether a first apply created nothing of its own: then it has no state.
fn created_nothing(observed: &Observed) -> bool {
    observed.load_balancer.is_none()
        || (!observed.load_balancer.as_ref().is_some_and(|l| l.owned)
            && !observed.target_groups.iter().any(|t| t.owned)
            && !observed.service.as_ref().is_some_and(|s| s.owned))
}

/// What running a schedule needs besides the schedule.
struct Run<'a> {
    spec: &'a Spec,
    timeout: std::time::Duration,
    token: &'a str,
    action: Doing,
    clients: &'a Clients,
    stop: &'a CancellationToken,
}

impl KafkaPrivatelink {
    pub(super) async fn converge(&self, ctx: &Context, req: &ApplyRequest) -> ApplyResponse {
        let fail = |d: Diagnostics| ApplyResponse {
            state: req.prior_state.clone(),
            private: req.private.clone(),
            diagnostics: d,
        };
        let Loaded { model: planned, private, spec, clients } = match self.load_planned(req).await {
            Ok(l) => l,
            Err(d) => return fail(d),
        };
        let prior = if req.prior_state.is_null() { None } else { Model::decode(&req.prior_state, "prior state").ok() };
        let creating = prior.is_none();
        let action = if creating { Doing::Creating } else { Doing::Updating };
        let recorded = prior.as_ref().map(|p| recorded_of(p, &private)).unwrap_or_default();
        let purpose = if creating { Purpose::Create } else { Purpose::Update };
        let mut observed = match observe(clients, &lookup_for(&spec, &recorded, purpose), &CallCounter::default()).await
        {
            Ok(o) => o,
            Err(e) => return fail(aws_error(clients, action, &spec.name, &e).into()),
        };
        let token = match token_of(&spec, &observed, &private, prior.is_some().then_some(&recorded)) {
            Ok(t) => t,
            Err(d) => return fail(d.into()),
        };
        let instance = Instance { name: spec.name.clone(), token, recorded, complete: !creating };
        instance.claim(&mut observed, &spec.vpc_id);
        let mut diagnostics = Diagnostics::new();
        match diff::converge(&spec, &observed, &instance) {
            Err(e) if creating => {
                let diagnostics = Diagnostics::from(diff_error(&spec.name, &e));
                return ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics };
            }
            Err(e) => diagnostics.push(diff_error(&spec.name, &e)),
            Ok(schedule) => {
                let broken = promise::broken(&promised_of(&planned), &observed, &schedule);
                if !broken.is_empty() {
                    return fail(plan_out_of_date(&spec.name, &broken).into());
                }
                let timeout = if creating { planned.timeout(|t| &t.create) } else { planned.timeout(|t| &t.update) };
                let run = Run { spec: &spec, timeout, token: &instance.token, action, clients, stop: &ctx.stop };
                self.run(&run, &schedule, &mut observed, &mut diagnostics).await;
            }
        }
        if creating && created_nothing(&observed) {
            return ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics };
        }
        let provenance = provenance(&spec, prior.as_ref(), &private);
        let private =
            Private { instance: Some(instance.token.clone()), load_balancer: Some(provenance), ..Private::default() };
        let private = with_leftovers(private, &spec, &observed, &instance.recorded);
        match self.applied_state(req, &planned, &spec, &observed, &instance.recorded, &mut diagnostics).await {
            Ok(state) => ApplyResponse { state, private: private.encode(), diagnostics },
            Err(d) => {
                diagnostics.extend(d);
                fail(diagnostics)
            }
        }
    }

    /// The planned state, its spec (an adopted load balancer's cross-zone
    /// setting left alone when the configuration does not name it).
    async fn load_planned(&self, req: &ApplyRequest) -> Result<Loaded<'_>, Diagnostics> {
        let mut loaded = self.load(&req.planned, "planned state", &req.private).await?;
        if cross_zone_left_alone(&Model::decode(&req.config, "configuration")?) {
            loaded.spec.cross_zone = None;
        }
        Ok(loaded)
    }

    /// Executes the schedule; AWS's errors join `diagnostics`, and what was
    /// done stays recorded in `observed`.
    async fn run(
        &self,
        run: &Run<'_>,
        schedule: &diff::Schedule,
        observed: &mut Observed,
        diagnostics: &mut Diagnostics,
    ) {
        let exec = Execution {
            vpc_id: run.spec.vpc_id.clone(),
            timeout: run.timeout,
            client_token: client_token(run.token),
            stop: run.stop.clone(),
        };
        if let Err(errors) = execute(run.clients, schedule, observed, &exec).await {
            for e in errors {
                diagnostics.push(aws_error(run.clients, run.action, &run.spec.name, &e));
            }
        }
        if schedule.steps().any(|s| matches!(s, diff::Step::SetSubnets { .. })) {
            self.reread_zones(observed, diagnostics).await;
        }
    }

    /// The state an apply returns, checked against the plan: a value AWS
    /// changed during the apply is reported here, as the provider's error.
    async fn applied_state(
        &self,
        req: &ApplyRequest,
        planned: &Model,
        spec: &Spec,
        observed: &Observed,
        recorded: &Recorded,
        diagnostics: &mut Diagnostics,
    ) -> Result<Value, Diagnostics> {
        diagnostics.extend(zones_lag(observed).into_iter().collect());
        let zone_ids = self.load_balancer_zones(planned, spec, observed, diagnostics).await;
        let state = Model::encode(&render(planned, spec, observed, recorded, zone_ids))?;
        if !diagnostics.has_errors()
            && let Some(d) = changed_during_apply(&spec.name, &req.planned, &state)
        {
            diagnostics.push(d);
        }
        Ok(state)
    }

    /// After a subnet change: the load balancer's zones and its service's,
    /// as AWS has them now (two reads), so that the state and the lag
    /// warning speak of the zones after the change.
    async fn reread_zones(&self, observed: &mut Observed, diagnostics: &mut Diagnostics) {
        let Ok(clients) = self.clients().await else { return };
        let Some(arn) = observed.load_balancer.as_ref().map(|l| l.arn.clone()) else { return };
        let service = observed.service.as_ref().map(|s| s.id.clone());
        let lb = crate::aws::elbv2::find_load_balancer_by_arn(&clients.elbv2, &arn).await;
        let svc = match &service {
            Some(id) => ec2::find_service(&clients.ec2, ec2::ServiceKey::Id(id)).await.map(Some),
            None => Ok(None),
        };
        match (lb, svc) {
            (Ok(lb), Ok(svc)) => {
                if let (Some(now), Some(held)) = (lb, observed.load_balancer.as_mut()) {
                    held.zone_names = now.zone_names;
                }
                if let (Some(Some(now)), Some(held)) = (svc, observed.service.as_mut()) {
                    held.availability_zones = now.availability_zones;
                    held.availability_zone_ids = now.availability_zone_ids;
                }
            }
            (Err(e), _) | (_, Err(e)) => diagnostics.push(aws_warning(
                clients,
                "Zones not read again",
                "After the subnet change, the zones could not be read again; the next refresh reads them.",
                &e,
            )),
        }
    }

    /// Zone ids of the load balancer's subnets, when `base` (the plan or the
    /// prior state) does not already hold them for the subnets AWS reports:
    /// one EC2 call then. `None` keeps `base`'s. When that call fails, a
    /// warning says so and the state holds none (null), so that the next
    /// refresh reads them again instead of keeping an empty set for good.
    pub(super) async fn load_balancer_zones(
        &self,
        base: &Model,
        spec: &Spec,
        observed: &Observed,
        diagnostics: &mut Diagnostics,
    ) -> Option<Tri<BTreeSet<String>>> {
        let lb = observed.load_balancer.as_ref()?;
        let held = known_strings(&base.availability_zone_ids);
        let known = held.is_some_and(|z| !z.is_empty() || lb.subnets.is_empty())
            && known_strings(&base.subnet_ids).is_some_and(|s| s == lb.subnets);
        if known {
            return None;
        }
        match self.subnets(&spec.vpc_id).await {
            Ok(subnets) => Some(Tri::Known(
                subnets.iter().filter(|s| lb.subnets.contains(&s.id)).map(|s| s.zone_id.clone()).collect(),
            )),
            Err(d) => {
                for e in d.iter() {
                    diagnostics.push(Diagnostic::warning(
                        "Availability zones not read",
                        format!(
                            "The zone ids of the load balancer's subnets could not be read; availability_zone_ids \
                             stays unset until a refresh reads them. {}",
                            e.detail
                        ),
                    ));
                }
                Some(Tri::Null)
            }
        }
    }

    /// Deletes exactly what the state records — an adopted load balancer
    /// never —, without reading everything again: Terraform refreshed the
    /// state just before, and deleting what is already gone succeeds.
    pub(super) async fn destroy(&self, ctx: &Context, req: &ApplyRequest) -> ApplyResponse {
        let keep = |d: Diagnostics| ApplyResponse {
            state: req.prior_state.clone(),
            private: req.private.clone(),
            diagnostics: d,
        };
        let Loaded { model: prior, private, spec, clients } =
            match self.load(&req.prior_state, "prior state", &req.private).await {
                Ok(l) => l,
                Err(d) => return keep(d),
            };
        // A load balancer the resource borrowed is never deleted, whatever
        // the configuration said last.
        let delete_load_balancer = matches!(spec.load_balancer, LoadBalancerSpec::Create { .. })
            && private.load_balancer != Some(Provenance::Adopted);
        let reject =
            prior.endpoint().and_then(|e| e.reject_connections_on_destroy.known().copied()).unwrap_or(defaults::OPT_IN);
        // Consumers the refresh found connected (or being connected) are
        // read once more: in one `terraform destroy` of a whole wiring, an
        // accepter or the consumer's own endpoint goes between the refresh
        // and this destroy. Still connected, it is refused before any change;
        // any that connect after this read make AWS refuse the service's
        // deletion, the first step.
        let refreshed = connections::live_endpoints(prior.recorded_connections().unwrap_or_default());
        let service = prior.endpoint().and_then(|e| e.id.known()).map_or("", String::as_str);
        if !reject && !refreshed.is_empty() {
            let live = match ec2::live_connections(&clients.ec2, service).await {
                Ok(live) => live,
                Err(e) if e.kind == ErrorKind::NotFound => Vec::new(),
                Err(e) => return keep(std::iter::once(aws_error(clients, Doing::Deleting, &spec.name, &e)).collect()),
            };
            if !live.is_empty() {
                let e = ec2::still_connected(service, live);
                return keep(std::iter::once(aws_error(clients, Doing::Deleting, &spec.name, &e)).collect());
            }
        }
        let schedule = diff::teardown(&recorded_of(&prior, &private), delete_load_balancer, reject);
        let exec = Execution {
            vpc_id: spec.vpc_id.clone(),
            timeout: prior.timeout(|t| &t.delete),
            client_token: String::new(),
            stop: ctx.stop.clone(),
        };
        match execute(clients, &schedule, &mut Observed::default(), &exec).await {
            Ok(()) => ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics: Diagnostics::new() },
            // What was deleted is gone from AWS; the next refresh sees it.
            Err(errors) => keep(errors.iter().map(|e| aws_error(clients, Doing::Deleting, &spec.name, e)).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_apply_gets_a_service_token_of_its_own() {
        let (a, b) = (client_token("0123456789abcdef"), client_token("0123456789abcdef"));
        assert_ne!(a, b, "a second create under the same token would be IdempotentParameterMismatch for 24 h");
        assert!(a.starts_with("kafka-privatelink-0123456789abcdef-") && a.len() <= 64, "{a}");
    }
}
