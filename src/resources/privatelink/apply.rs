//! Apply: observe, settle ownership, converge, execute; destroy what the
//! state records, in dependency order.

use crate::aws::Clients;
use crate::domain::ownership::Recorded;
use crate::resources::errors::{Doing, aws_warning};
use crate::resources::refusals::{LinkRefusal, refuse};
use std::collections::{BTreeMap, BTreeSet};
use tokio_util::sync::CancellationToken;

use super::model::{Model, defaults, known_strings};
use super::private::{Private, Provenance, new_token};
use super::shards::{self, Part, parts, recorded_for, spec_for};
use super::to_domain::{Purpose, cross_zone_left_alone, lookup_for, promised_of};
use super::to_state::{render, with_leftovers_of};
use super::{KafkaPrivatelink, Loaded, aws_error, diff_error};
use crate::aws::AwsError;
use crate::resources::values::Typed as _;
use futures::future::join_all;

use crate::aws::execute::{Execution, Together, execute};
use crate::aws::observe::{CallCounter, observe_all};
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
use std::sync::Arc;

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
/// off the recorded objects or left by an interrupted first apply (of any
/// of its load balancers), or a new one.
fn token_of(shares: &[Share], private: &Private, prior: bool) -> Result<String, Diagnostic> {
    if let Some(t) = &private.instance {
        return Ok(t.clone());
    }
    let mut found = None;
    let mut refused = Vec::new();
    for s in shares {
        match ownership::resolve(&s.spec, &s.observed, None, prior.then_some(&s.recorded)) {
            Ok(Token::Stored(t)) => return Ok(t),
            Ok(Token::Recovered(t)) => {
                tracing::info!(name = %s.spec.name, "the private state was lost (an interrupted apply): the token is read off the recorded objects");
                found.get_or_insert(t);
            }
            Ok(Token::Resumed(t)) => {
                tracing::info!(name = %s.spec.name, load_balancer = %s.spec.load_balancer_name, "resuming the objects of an interrupted first apply");
                found.get_or_insert(t);
            }
            Ok(Token::Fresh) => {}
            Err(e) => refused.push((s, e)),
        }
    }
    // A first apply of several load balancers killed while it marked them
    // complete leaves some marked: one carrying the token the others resume
    // is the same instance's.
    for (s, e) in refused {
        let marked_ours = matches!(e, ownership::OwnershipError::NameTaken { .. })
            && found.is_some()
            && s.observed.load_balancer.as_ref().and_then(|lb| lb.tags.get(ownership::INSTANCE_TAG)) == found.as_ref();
        if !marked_ours {
            return Err(diff_error(&s.spec.name, &DiffError::from(e)));
        }
    }
    Ok(found.unwrap_or_else(new_token))
}

/// Whether a first apply created nothing of its own: then it has no state.
fn created_nothing(observed: &Observed) -> bool {
    observed.load_balancer.is_none()
        || (!observed.load_balancer.as_ref().is_some_and(|l| l.owned)
            && !observed.target_groups.iter().any(|t| t.owned)
            && !observed.service.as_ref().is_some_and(|s| s.owned))
}

/// One load balancer's share of a refresh or an apply: its part of the
/// model, its spec, what the state records of it, and what AWS holds.
pub(super) struct Share {
    pub part: Part,
    pub spec: Spec,
    pub recorded: Recorded,
    pub observed: Observed,
}

/// The shares of `model` (a state, or a plan with `prior` its prior
/// state): each part's records come from the prior part of the same name.
pub(super) fn shares_of(model: &Model, whole: &Spec, prior: Option<&Model>, private: &Private) -> Vec<Share> {
    let before = prior.map(parts).unwrap_or_default();
    parts(model)
        .into_iter()
        .map(|part| {
            let recorded = before
                .iter()
                .find(|p| p.name == part.name)
                .map(|p| recorded_for(p, &before, private))
                .unwrap_or_default();
            Share { spec: spec_for(whole, &part), part, recorded, observed: Observed::default() }
        })
        .collect()
}

/// The prior state's load balancers the plan no longer has, with what the
/// state records of each.
fn dropped(planned: &[Share], prior: Option<&Model>, private: &Private) -> Vec<(Part, Recorded)> {
    let before = prior.map(parts).unwrap_or_default();
    before
        .iter()
        .filter(|p| !planned.iter().any(|s| s.part.name == p.name))
        .map(|p| (p.clone(), recorded_for(p, &before, private)))
        .collect()
}

/// What of a share's observation the state may name: a load balancer the
/// resource creates only when it is this instance's — one of another's,
/// found under the name a new load balancer was to take, is not (the apply
/// refused it), and neither is a service of another's in front of it.
fn ours_only(share: &Share) -> Observed {
    let mut o = share.observed.clone();
    let creates = matches!(share.spec.load_balancer, LoadBalancerSpec::Create { .. });
    if creates && o.load_balancer.as_ref().is_some_and(|lb| !lb.owned) {
        o.load_balancer = None;
        o.listeners.clear();
        if o.service.as_ref().is_some_and(|s| !s.owned) {
            o.service = None;
        }
    }
    o
}

/// A load balancer's zone ids as `load_balancer_zones` answers.
type Zones = Option<Tri<BTreeSet<String>>>;

/// What running a schedule needs besides the schedule.
struct Run<'a> {
    spec: &'a Spec,
    timeout: std::time::Duration,
    token: &'a str,
    action: Doing,
    clients: &'a Clients,
    stop: &'a CancellationToken,
    together: Option<Arc<Together>>,
}

impl KafkaPrivatelink {
    /// Reads every share's objects at once, batched across load balancers.
    pub(super) async fn observe_shares(
        &self,
        clients: &Clients,
        shares: &mut [Share],
        purpose: Purpose,
    ) -> Result<(), AwsError> {
        let calls = CallCounter::default();
        let lookups: Vec<_> = shares.iter().map(|s| lookup_for(&s.spec, &s.recorded, purpose)).collect();
        let found = observe_all(clients, &lookups, &calls).await?;
        for (share, found) in shares.iter_mut().zip(found) {
            share.observed = found;
        }
        tracing::debug!(aws_calls = calls.get(), load_balancers = shares.len(), "observed kafka_privatelink");
        Ok(())
    }

    #[expect(
        clippy::too_many_lines,
        reason = "the apply's one sequence: observe, token, ownership, schedules and promises of every load balancer, \
                  then the writes, then the state"
    )]
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
        let purpose = if creating { Purpose::Create } else { Purpose::Update };
        let mut shares = shares_of(&planned, &spec, prior.as_ref(), &private);
        if shares.is_empty() {
            return fail(Diagnostic::incomplete_plan("load_balancers").into());
        }
        let dropped = dropped(&shares, prior.as_ref(), &private);
        if let Err(e) = self.observe_shares(clients, &mut shares, purpose).await {
            return fail(aws_error(clients, action, &spec.name, &e).into());
        }
        let token = match token_of(&shares, &private, !creating) {
            Ok(t) => t,
            Err(d) => return fail(d.into()),
        };
        let mut diagnostics = Diagnostics::new();
        let mut schedules = Vec::new();
        for share in &mut shares {
            let instance = Instance {
                name: spec.name.clone(),
                token: token.clone(),
                recorded: share.recorded.clone(),
                complete: !creating,
            };
            instance.claim(&mut share.observed, &spec.vpc_id);
            match diff::converge(&share.spec, &share.observed, &instance) {
                Ok(schedule) => {
                    let broken = promise::broken(&promised_of(&share.part.model), &share.observed, &schedule);
                    if !broken.is_empty() {
                        return fail(plan_out_of_date(&spec.name, &broken).into());
                    }
                    schedules.push(schedule);
                }
                Err(e) => diagnostics.push(diff_error(&spec.name, &e)),
            }
        }
        if creating && diagnostics.has_errors() {
            return ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics };
        }
        let timeout = if creating { planned.timeout(|t| &t.create) } else { planned.timeout(|t| &t.update) };
        let mut kept = Vec::new();
        let mut lost = Private::default();
        // Nothing is written unless every load balancer's schedule could be
        // made; then every one runs at once, and the completion marks of a
        // first apply come last, once all of them stand.
        if !diagnostics.has_errors() {
            let reject = planned
                .endpoint()
                .and_then(|e| e.reject_connections_on_destroy.known().copied())
                .unwrap_or(defaults::OPT_IN);
            let together = Arc::new(Together::new(shares.len()));
            let runs = shares.iter_mut().zip(&schedules).map(|(share, schedule)| {
                let run = Run {
                    spec: &share.spec,
                    timeout,
                    token: &token,
                    action,
                    clients,
                    stop: &ctx.stop,
                    together: Some(together.clone()),
                };
                let observed = &mut share.observed;
                async move {
                    let mut d = Diagnostics::new();
                    self.run(&run, schedule, observed, &mut d).await;
                    d
                }
            });
            let exec = Execution {
                vpc_id: spec.vpc_id.clone(),
                timeout,
                client_token: String::new(),
                stop: ctx.stop.clone(),
                together: None,
            };
            let drops = dropped.iter().map(|(part, recorded)| {
                let schedule = diff::teardown(recorded, true, reject);
                let exec = &exec;
                async move { (part, recorded, execute(clients, &schedule, &mut Observed::default(), exec).await) }
            });
            let (ran, drops) = futures::join!(join_all(runs), join_all(drops));
            ran.into_iter().for_each(|d| diagnostics.extend(d));
            for (part, recorded, result) in drops {
                if let Err(errors) = result {
                    diagnostics.extend(errors.iter().map(|e| aws_error(clients, action, &spec.name, e)).collect());
                    kept.push(shards::kept_entry(part));
                    lost.leftover_groups.extend(recorded.group_arns().cloned());
                    lost.leftover_listeners.extend(recorded.listeners.iter().cloned());
                }
            }
        }
        if creating && shares.iter().all(|s| created_nothing(&s.observed)) {
            return ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics };
        }
        let provenance = provenance(&spec, prior.as_ref(), &private);
        let private = Private { instance: Some(token.clone()), load_balancer: Some(provenance), ..Private::default() };
        let mut private = with_leftovers_of(private, &shares);
        private.leftover_groups.extend(lost.leftover_groups);
        private.leftover_listeners.extend(lost.leftover_listeners);
        match self.applied_state(req, &planned, &shares, kept, &mut diagnostics).await {
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
            together: run.together.clone(),
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
        shares: &[Share],
        kept: Vec<crate::resources::privatelink::model::LoadBalancerModel>,
        diagnostics: &mut Diagnostics,
    ) -> Result<Value, Diagnostics> {
        let state = Model::encode(&self.render_shares(planned, shares, kept, diagnostics).await)?;
        if !diagnostics.has_errors()
            && let Some(d) = changed_during_apply(planned.label(), &req.planned, &state)
        {
            diagnostics.push(d);
        }
        Ok(state)
    }

    /// The state of every share, merged: the zones' lag said, each load
    /// balancer's zone ids read when `base` lacks them (once for all that
    /// share the first one's subnets).
    pub(super) async fn render_shares(
        &self,
        base: &Model,
        shares: &[Share],
        kept: Vec<crate::resources::privatelink::model::LoadBalancerModel>,
        diagnostics: &mut Diagnostics,
    ) -> Model {
        let mut rendered = Vec::new();
        let mut first_zones: Option<(BTreeSet<String>, Zones)> = None;
        for share in shares {
            diagnostics.extend(zones_lag(&share.observed).into_iter().collect());
            let subnets = share.observed.load_balancer.as_ref().map(|l| l.subnets.clone());
            let zones = match (&first_zones, subnets) {
                (Some((s, z)), Some(now)) if *s == now => z.clone(),
                (_, subnets) => {
                    let z =
                        self.load_balancer_zones(&share.part.model, &share.spec, &share.observed, diagnostics).await;
                    if first_zones.is_none()
                        && let Some(s) = subnets
                    {
                        first_zones = Some((s, z.clone()));
                    }
                    z
                }
            };
            let model = render(&share.part.model, &share.spec, &ours_only(share), &share.recorded, zones);
            rendered.push((share.part.clone(), model));
        }
        shards::merge(base, &rendered, kept)
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
    /// never —, every load balancer at once, without reading everything
    /// again: Terraform refreshed the state just before, and deleting what
    /// is already gone succeeds.
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
        let all = parts(&prior);
        if !reject && let Err(d) = self.refuse_connected(&prior, &all, clients).await {
            return keep(d);
        }
        let exec = Execution {
            vpc_id: spec.vpc_id.clone(),
            timeout: prior.timeout(|t| &t.delete),
            client_token: String::new(),
            stop: ctx.stop.clone(),
            together: None,
        };
        let teardowns = all.iter().map(|part| {
            let schedule = diff::teardown(&recorded_for(part, &all, &private), delete_load_balancer, reject);
            let exec = &exec;
            async move { execute(clients, &schedule, &mut Observed::default(), exec).await }
        });
        let errors: Vec<AwsError> = join_all(teardowns).await.into_iter().filter_map(Result::err).flatten().collect();
        if errors.is_empty() {
            ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics: Diagnostics::new() }
        } else {
            // What was deleted is gone from AWS; the next refresh sees it.
            keep(errors.iter().map(|e| aws_error(clients, Doing::Deleting, &spec.name, e)).collect())
        }
    }

    /// Refuses a destroy while consumers are connected to a service. The
    /// first service's connections the refresh found connected (or being
    /// connected) are read once more: in one `terraform destroy` of a whole
    /// wiring, an accepter or the consumer's own endpoint goes between the
    /// refresh and this destroy. The state keeps no connections of the
    /// others: each is read. Any that connect after this read make AWS
    /// refuse the service's deletion, the first step.
    async fn refuse_connected(&self, prior: &Model, all: &[Part], clients: &Clients) -> Result<(), Diagnostics> {
        let refreshed = connections::live_endpoints(prior.recorded_connections().unwrap_or_default());
        let name = prior.label();
        let ids: Vec<String> = all
            .iter()
            .filter(|part| !part.first || !refreshed.is_empty())
            .filter_map(|part| part.model.endpoint().and_then(|e| e.id.known().cloned()))
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let found = match ec2::connections_of(&clients.ec2, &ids).await {
            Ok(found) => found,
            // One service gone (deleted already) fails the call: each alone.
            Err(e) if e.kind == ErrorKind::NotFound && ids.len() > 1 => {
                let mut found = BTreeMap::new();
                for id in &ids {
                    match ec2::connections(&clients.ec2, id).await {
                        Ok(c) => found.insert(id.clone(), c),
                        Err(e) if e.kind == ErrorKind::NotFound => continue,
                        Err(e) => return Err(aws_error(clients, Doing::Deleting, name, &e).into()),
                    };
                }
                found
            }
            Err(e) if e.kind == ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(aws_error(clients, Doing::Deleting, name, &e).into()),
        };
        for (service, connections) in found {
            let live = connections::live_endpoints(connections);
            if !live.is_empty() {
                let e = ec2::still_connected(&service, live);
                return Err(aws_error(clients, Doing::Deleting, name, &e).into());
            }
        }
        Ok(())
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
