//! What forces a new load balancer (and so a new instance): a move between
//! subnets and an adopted one, a subnet list with nothing kept, security
//! groups AWS cannot change in place; refused when it would move ports.

use crate::resources::errors::Doing;
use crate::resources::refusals::{LinkRefusal, Undecided, refuse};
use std::collections::BTreeSet;

use crate::resources::privatelink::model::{Model, known_strings};
use crate::resources::privatelink::private::{Private, Provenance};
use crate::resources::privatelink::{KafkaPrivatelink, aws_error, model};

use crate::domain::connections;
use crate::server::api::diag::Diagnostics;
use crate::server::api::path::AttributePath;
use crate::server::api::value::Tri;

/// Whether a list is empty, when the list itself is known (its elements
/// need not be); a null list is empty.
pub(super) fn emptiness(v: &model::Strings) -> Option<bool> {
    match v {
        Tri::Known(list) => Some(list.is_empty()),
        Tri::Null => Some(true),
        Tri::Unknown => None,
    }
}

/// Whether the state's load balancer is borrowed (adopted through
/// `load_balancer_arn`), never the resource's to take over: as the private
/// state says, else (a state written before it said) as the prior
/// configuration does.
fn borrowed(prior: &Model, private: &Private) -> bool {
    match private.load_balancer {
        Some(provenance) => provenance == Provenance::Adopted,
        None => !prior.creates(),
    }
}

impl KafkaPrivatelink {
    /// Whether the change from `prior` to `config` needs another load
    /// balancer. Moving between `subnet_ids` and `load_balancer_arn` for the
    /// same one changes how it is managed, in place — except that a load
    /// balancer the resource only borrowed is never taken over, and one
    /// whose subnets the configuration no longer lists is replaced.
    pub(super) async fn replaces_load_balancer(
        &self,
        p: &Model,
        config: &Model,
        private: &Private,
    ) -> Result<bool, Diagnostics> {
        if !config.creates() {
            // Adopting: another load balancer than the state's is another setup.
            return Ok(!config.load_balancer_arn.is_null() && config.load_balancer_arn != p.load_balancer_arn);
        }
        if borrowed(p, private) {
            return Ok(true);
        }
        let was = match known_strings(&p.subnet_ids) {
            Some(was) if p.creates() => was,
            // From load_balancer_arn to subnet_ids: the subnets AWS holds.
            _ => match p.load_balancer_arn.known() {
                Some(arn) => {
                    let clients = self.clients().await?;
                    crate::aws::elbv2::find_load_balancer_by_arn(&clients.elbv2, arn)
                        .await
                        .map_err(|e| Diagnostics::from(aws_error(clients, Doing::Planning, config.label(), &e)))?
                        .map(|lb| lb.subnets)
                        .unwrap_or_default()
                }
                None => BTreeSet::new(),
            },
        };
        // Subnets change in place (SetSubnets removes them since 2025-02),
        // as long as one the load balancer has stays: with none kept, it
        // is replaced. Subnets known only at apply (made by another
        // resource) are new ones, as long as every subnet the load balancer
        // has is still listed; if one is not, an unknown id might be it or
        // not: refused, rather than planned one way and applied another.
        let Some(listed) = config.subnet_ids.known() else {
            return Err(refuse(&LinkRefusal::Undecidable(Undecided::SubnetIds)).into());
        };
        let known: BTreeSet<String> = listed.iter().filter_map(|s| s.known().cloned()).collect();
        let some_unknown = listed.iter().any(Tri::is_unknown);
        if was.is_subset(&known) {
            return Ok(false);
        }
        if some_unknown {
            return Err(refuse(&LinkRefusal::Undecidable(Undecided::SubnetIds)).into());
        }
        if was.is_disjoint(&known) {
            return Ok(true);
        }
        // AWS refuses to remove a subnet while consumer endpoints are
        // associated with the load balancer: said here, not at apply.
        let live = connections::live_endpoints(p.recorded_connections().unwrap_or_default());
        if !live.is_empty() {
            let gone: Vec<String> = was.difference(&known).cloned().collect();
            return Err(refuse(&LinkRefusal::SubnetRemoval { gone, live }).into());
        }
        Ok(false)
    }

    /// The attributes whose change needs a new load balancer (and so a new
    /// resource instance). Reads AWS once, only when moving from
    /// `load_balancer_arn` to `subnet_ids`.
    pub(super) async fn replacement(
        &self,
        config: &Model,
        p: &Model,
        private: &Private,
    ) -> Result<Vec<AttributePath>, Diagnostics> {
        let mut replace = Vec::new();
        // The name names a load balancer the resource creates; an adopted
        // one keeps its own, so there a new name is a retag in place.
        let name_replaces = config.creates();
        for (attr, was, now) in [("name", &p.name, &config.name), ("vpc_id", &p.vpc_id, &config.vpc_id)] {
            if (attr != "name" || name_replaces) && (now.is_unknown() || was != now) {
                replace.push(AttributePath::attr(attr));
            }
        }
        // AWS never adds a security group to an NLB created without
        // one, nor removes the last one. Whether the list is empty is
        // known as soon as the list is, its ids unknown or not (`[aws_
        // security_group.x.id]`); a list unknown as a whole cannot say,
        // and guessing would either replace the load balancer for
        // nothing or change the plan at apply: refused instead.
        let manages_groups = config.creates() && private.load_balancer != Some(Provenance::Adopted);
        // Unset, the load balancer keeps the groups it has (the
        // attribute is computed): no change at all.
        if manages_groups && p.load_balancer_arn.known().is_some() && !config.security_group_ids.is_null() {
            match (emptiness(&p.security_group_ids), emptiness(&config.security_group_ids)) {
                (Some(was), Some(now)) if was != now => replace.push(AttributePath::attr("security_group_ids")),
                (Some(_), None) => return Err(refuse(&LinkRefusal::Undecidable(Undecided::SecurityGroupIds)).into()),
                _ => {}
            }
        }
        if self.replaces_load_balancer(p, config, private).await? {
            replace.push(AttributePath::attr(if config.creates() { "subnet_ids" } else { "load_balancer_arn" }));
        }
        Ok(replace)
    }
}
