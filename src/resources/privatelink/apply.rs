//! Apply: observe, converge, execute; destroy in dependency order.

use super::*;

/// Idempotency token of the endpoint-service creation: the same load
/// balancer gets the same token, so a retried create returns the first one.
pub(super) fn client_token(name: &str, observed: &Observed) -> String {
    let lb = observed.load_balancer.as_ref().map(|l| l.arn.rsplit('/').next().unwrap_or_default()).unwrap_or_default();
    let mut token = format!("kafka-privatelink-{name}-{lb}");
    token.truncate(64);
    token
}
impl KafkaPrivatelink {
    pub(super) async fn converge(&self, ctx: &Context, req: &ApplyRequest) -> ApplyResponse {
        let fail =
            |d: Diagnostics| ApplyResponse { state: req.prior_state.clone(), private: Vec::new(), diagnostics: d };
        let planned = match decode(&req.planned, "planned state") {
            Ok(m) => m,
            Err(d) => return fail(d),
        };
        let prior = if req.prior_state.is_null() { None } else { decode(&req.prior_state, "prior state").ok() };
        let spec = match spec_of(&planned, &self.provider.default_tags()) {
            Ok(s) => s,
            Err(d) => return fail(d.into()),
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return fail(d),
        };
        let creating = prior.is_none();
        let timeout = if creating { planned.timeout(|t| &t.create) } else { planned.timeout(|t| &t.update) };
        let action = if creating { "creating" } else { "updating" };
        let calls = CallCounter::default();
        let mut observed = match observe(clients, &lookup_for(&spec, prior.as_ref()), &calls).await {
            Ok(o) => o,
            Err(e) => return fail(aws_error(action, &spec.name, &e).into()),
        };
        let mut diagnostics = Diagnostics::new();
        // Listeners and groups that already serve our brokers exactly but
        // are not ours yet (an adopted load balancer) are taken over.
        let adopted: Vec<String> = spec
            .target_groups()
            .iter()
            .filter_map(|t| {
                let (tg, listener) = observed.serving(t, &spec.name);
                let tg = tg.filter(|g| g.owner.as_deref() != Some(spec.name.as_str()))?;
                Some(format!(
                    "{} (listener port {}{}, target group {})",
                    t.role,
                    t.listener_port,
                    if listener.is_some() { "" } else { ", new listener" },
                    tg.name
                ))
            })
            .collect();
        if !adopted.is_empty() {
            diagnostics.warning(
                "Adopted existing listeners and target groups",
                format!(
                    "These already served the brokers exactly and are now managed (and tagged) by this resource: {}.",
                    adopted.join("; ")
                ),
            );
        }
        match diff::converge(&spec, &observed) {
            Err(e) => diagnostics.push(diff_error(&spec.name, &e)),
            Ok(plan) => {
                let exec = Execution {
                    vpc_id: spec.vpc_id.clone(),
                    timeout,
                    client_token: client_token(&spec.name, &observed),
                    reject_connections_on_destroy: false,
                    stop: ctx.stop.clone(),
                };
                if let Err(errors) = execute(clients, &plan, &mut observed, &exec).await {
                    for e in errors {
                        diagnostics.push(aws_error(action, &spec.name, &e));
                    }
                }
            }
        }
        if observed.load_balancer.is_none() && creating {
            // Nothing was created: no state.
            return ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics };
        }
        let zone_ids = self.load_balancer_zones(&planned, &spec, &observed).await;
        let state = render(&planned, &spec, &observed, zone_ids);
        match encode(&state) {
            Ok(state) => ApplyResponse { state, private: Vec::new(), diagnostics },
            Err(d) => {
                diagnostics.extend(d);
                fail(diagnostics)
            }
        }
    }

    /// Zone ids of the load balancer's subnets, when `base` (the plan or the
    /// prior state) does not already hold them for the subnets AWS reports:
    /// one EC2 call then. `None` keeps `base`'s (or the call failed).
    pub(super) async fn load_balancer_zones(
        &self,
        base: &Model,
        spec: &Spec,
        observed: &Observed,
    ) -> Option<BTreeSet<String>> {
        let lb = observed.load_balancer.as_ref()?;
        let known = base.availability_zone_ids.known().is_some()
            && known_strings(&base.subnet_ids).is_some_and(|s| s == lb.subnets);
        if known {
            return None;
        }
        let subnets = self.subnets(&spec.vpc_id).await.ok()?;
        Some(subnets.iter().filter(|s| lb.subnets.contains(&s.id)).map(|s| s.zone_id.clone()).collect())
    }

    pub(super) async fn destroy(&self, ctx: &Context, req: &ApplyRequest) -> ApplyResponse {
        let keep =
            |d: Diagnostics| ApplyResponse { state: req.prior_state.clone(), private: Vec::new(), diagnostics: d };
        let prior = match decode(&req.prior_state, "prior state") {
            Ok(m) => m,
            Err(d) => return keep(d),
        };
        let spec = match spec_of(&prior, &self.provider.default_tags()) {
            Ok(s) => s,
            Err(d) => return keep(d.into()),
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return keep(d),
        };
        let calls = CallCounter::default();
        let mut observed = match observe(clients, &lookup_for(&spec, Some(&prior)), &calls).await {
            Ok(o) => o,
            Err(e) => return keep(aws_error("deleting", &spec.name, &e).into()),
        };
        let plan = diff::teardown(&spec.name, &observed);
        let exec = Execution {
            vpc_id: spec.vpc_id.clone(),
            timeout: prior.timeout(|t| &t.delete),
            client_token: String::new(),
            reject_connections_on_destroy: prior
                .endpoint()
                .and_then(|e| e.reject_connections_on_destroy.known().copied())
                .unwrap_or(false),
            stop: ctx.stop.clone(),
        };
        match execute(clients, &plan, &mut observed, &exec).await {
            Ok(()) => ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics: Diagnostics::new() },
            Err(errors) => {
                let diagnostics = errors.iter().map(|e| aws_error("deleting", &spec.name, e)).collect();
                let state = encode(&render(&prior, &spec, &observed, None)).unwrap_or(req.prior_state.clone());
                ApplyResponse { state, private: Vec::new(), diagnostics }
            }
        }
    }
}
