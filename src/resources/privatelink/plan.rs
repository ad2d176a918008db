//! Planning: ports and zones known at plan time, ARNs kept where nothing
//! moved, what forces replacement.

use std::collections::BTreeMap;

use tokio_util::sync::CancellationToken;

use super::KafkaPrivatelink;
use super::model::{DEFAULT_BASE, DEFAULT_BROKER_PORT, Model, defaults, known_map, string_map};
use super::private::Private;
use super::to_state::bootstrap_hint;
use crate::resources::values::Typed as _;

use crate::server::api::diag::Diagnostics;
use crate::server::api::path::AttributePath;
use crate::server::api::provider::PlanRequest;
use crate::server::api::value::Tri;

mod attributes;
mod facts;
mod load_balancers;
mod ports;
mod replacement;
#[cfg(test)]
mod tests;

use attributes::{
    plan_bootstrap, plan_brokers, plan_endpoint_service, plan_load_balancer, plan_security_groups, plan_volatile,
    unbound_groups,
};
use facts::Facts;
use load_balancers::plan_load_balancers;
use ports::{assign, check_replacement_keeps_ports, ports_of, with_default};

impl KafkaPrivatelink {
    pub(super) async fn plan_inner(
        &self,
        req: &PlanRequest,
        stop: &CancellationToken,
    ) -> Result<(Model, Vec<AttributePath>, Diagnostics), Diagnostics> {
        let config = Model::decode(&req.config, "configuration")?;
        let mut planned = Model::decode(&req.proposed, "proposed state")?;
        let checks = config.check();
        if checks.has_errors() {
            return Err(checks.0);
        }
        let prior =
            if req.prior_state.is_null() { None } else { Some(Model::decode(&req.prior_state, "prior state")?) };
        // A new name replaces a created load balancer and everything with
        // it: every group is then new. (An adopted one keeps its groups.)
        let renamed = config.creates() && prior.as_ref().is_some_and(|p| p.name != config.name);
        let names = config.check_new_group_names(prior.as_ref().filter(|_| !renamed));
        if names.has_errors() {
            return Err(names.0);
        }
        let private = Private::decode(&req.prior_private).map_err(Diagnostics::from)?;
        let ours: Vec<&str> = private.instance.as_deref().into_iter().collect();

        // replacement: what the change needs a new load balancer for
        let replace = match &prior {
            Some(p) => self.replacement(&config, p, &private).await?,
            None => Vec::new(),
        };
        // Ports belong to the brokers' advertised listeners. A replacement's
        // new instance is planned (again at apply) with no prior state and
        // no private state: it assigns ports afresh. When that would move a
        // live broker's port, the replacement is refused, naming the pins
        // that keep them.
        if let Some(p) = prior.as_ref().filter(|_| !replace.is_empty()) {
            check_replacement_keeps_ports(&config, p, &replace)?;
        }
        let current_ports = match (&prior, replace.is_empty()) {
            (Some(p), true) => ports_of(p),
            _ => BTreeMap::new(),
        };
        let prior = if replace.is_empty() { prior } else { None };
        let mut warnings = Diagnostics::new();
        let mut groups_may_be_taken = prior.is_some();
        let mut adopted = None;
        if prior.is_none() {
            let claims = self.check_claims(&config, &ours).await?;
            warnings.extend(claims.warnings);
            groups_may_be_taken = claims.name_taken;
            adopted = claims.adopted;
        }
        if groups_may_be_taken {
            warnings.extend(self.check_group_names(&config, prior.as_ref(), &ours).await?);
        }
        let prior = prior.as_ref();

        plan_security_groups(&mut planned, &config, prior, &mut warnings);
        self.plan_defaults(&mut planned, &config, prior);
        // the plan-time AWS reads, and the checks that need them
        let Facts { ips, subnets } = self.facts(&config, prior, stop).await?;
        let assigned = assign(&config, &current_ports)?;
        plan_brokers(&mut planned, &config, prior, &ips, subnets.as_deref(), &assigned)?;
        warnings.extend(unbound_groups(&planned, &config, prior));
        plan_bootstrap(&mut planned, &config, prior);
        plan_endpoint_service(&mut planned, &config, prior);
        plan_load_balancer(&mut planned, &config, prior);
        plan_load_balancers(&mut planned, &config, prior)?;
        warnings.extend(self.check_new_load_balancers(&planned, prior.is_none(), &ours).await?);
        planned.bootstrap_servers = bootstrap_hint(&planned);
        // As refreshed; `plan_volatile` decides whether it stays.
        planned.target_health = prior.map_or(Tri::Unknown, |p| p.target_health.clone());
        warnings.extend(plan_volatile(&mut planned, &config, prior));
        warnings.extend(self.security_group_warnings(&config, &planned, prior, subnets, adopted).await);
        Ok((planned, replace, warnings))
    }

    /// Defaults, and the tags applied; whatever is unknown in the
    /// configuration stays unknown.
    fn plan_defaults(&self, planned: &mut Model, config: &Model, prior: Option<&Model>) {
        planned.broker_port = with_default(&config.broker_port, DEFAULT_BROKER_PORT);
        planned.listener_port_base = with_default(&config.listener_port_base, DEFAULT_BASE);
        planned.target_registration = match &config.target_registration {
            Tri::Null => Tri::Known(defaults::TARGET_REGISTRATION.to_owned()),
            set => set.clone(),
        };
        planned.target_type = match &config.target_type {
            Tri::Null if config.target_kind_known() => {
                Tri::Known(config.planned_target_kind(prior).as_str().to_owned())
            }
            Tri::Null => Tri::Unknown,
            set => set.clone(),
        };
        let mut tags_all = self.provider.default_tags();
        let tags = if config.tags.is_null() { Some(BTreeMap::new()) } else { known_map(&config.tags) };
        match tags {
            Some(t) if self.provider.default_tags_known() => {
                tags_all.extend(t);
                planned.tags_all = string_map(&tags_all);
            }
            _ => planned.tags_all = Tri::Unknown,
        }
    }
}
