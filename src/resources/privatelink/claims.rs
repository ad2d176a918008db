//! Plan-time refusals of what the apply would refuse anyway, each at its
//! attribute: a load balancer to adopt that does not exist, is not a
//! network load balancer, sits in another VPC or is already fronted by an
//! endpoint service this instance may not take; a load balancer or target
//! group name that another setup holds. The load balancer is read only
//! when the plan starts a new instance (a first apply, or a replacement's
//! new instance), the groups only when the plan creates some. The apply
//! checks again, since another apply may claim the same objects in between.
//!
//! An object held by a `kafka_privatelink` of the same name is only a
//! warning here: it may be this resource's own predecessor, which Terraform
//! destroys before the create (a deposed object of a failed
//! create_before_destroy, a tainted instance), and which the plan cannot
//! see. The apply, which runs after that destroy, refuses it if it is still
//! there.

use crate::domain::layout::ObservedLoadBalancer;
use crate::resources::errors::Doing;
use std::collections::BTreeSet;

use super::model::{LoadBalancerModel, Model, NewGroup};
use super::{KafkaPrivatelink, aws_error, diff_error};

use crate::aws::ec2::{self, ServiceKey};
use crate::aws::elbv2;
use crate::domain::diff::DiffError;
use crate::domain::ownership::{self, OwnershipError};
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;

/// What [`KafkaPrivatelink::check_claims`] found, short of a refusal.
#[derive(Default)]
pub(super) struct Claims {
    pub warnings: Diagnostics,
    /// A load balancer of the name exists, or one is adopted: its groups'
    /// names may be taken.
    pub name_taken: bool,
    /// The adopted load balancer as the claims read it, so that the
    /// plan's security-group check does not read it again.
    pub adopted: Option<ObservedLoadBalancer>,
}

impl KafkaPrivatelink {
    /// Refuses, before any write, a new instance whose objects are taken.
    /// `ours` are the tokens of the instance a replacement replaces: its
    /// objects are still there while the plan is made.
    ///
    /// With it, whether a load balancer of the configured name exists: a
    /// create that finds none skips the listing of target groups (Terraform
    /// plans a create twice, at plan and at apply, and the create's call
    /// budget counts both). Groups of this name without its load balancer
    /// are a namesake's that adopts one (a warning at most) or made by hand
    /// in this naming, which the apply refuses before any write.
    pub(super) async fn check_claims(&self, config: &Model, ours: &[&str]) -> Result<Claims, Diagnostics> {
        let Some(name) = config.name.known() else { return Ok(Claims::default()) };
        let refuse = |e: DiffError, at: &str| Err(Diagnostics::from(diff_error(name, &e).at(AttributePath::attr(at))));
        if !config.creates() {
            let Some(arn) = config.load_balancer_arn.known() else { return Ok(Claims::default()) };
            let clients = self.clients().await?;
            let reading = |e| Diagnostics::from(aws_error(clients, Doing::Planning, name, &e));
            let Some(lb) = elbv2::find_load_balancer_by_arn(&clients.elbv2, arn).await.map_err(reading)? else {
                return refuse(DiffError::MissingLoadBalancer(arn.clone()), "load_balancer_arn");
            };
            if !lb.is_network {
                return refuse(DiffError::NotNetwork(arn.clone()), "load_balancer_arn");
            }
            if let Some(vpc) = config.vpc_id.known().filter(|v| **v != lb.vpc_id) {
                let e = OwnershipError::WrongVpc { arn: arn.clone(), found: lb.vpc_id.clone(), wanted: vpc.clone() };
                return refuse(DiffError::Ownership(e), "vpc_id");
            }
            let service = ec2::find_service(&clients.ec2, ServiceKey::LoadBalancer(arn)).await.map_err(reading)?;
            if let Some(svc) = service
                && let Some(way) = ownership::in_the_way(name, &svc.tags, ours)
            {
                let e = DiffError::ForeignService { id: svc.id, holder: way.holder };
                let warnings = claimed(name, &e, way.namesake, AttributePath::attr("load_balancer_arn"))?;
                return Ok(Claims { warnings, name_taken: true, adopted: Some(lb) });
            }
            return Ok(Claims { warnings: Diagnostics::new(), name_taken: true, adopted: Some(lb) });
        } else {
            let clients = self.clients().await?;
            let reading = |e| Diagnostics::from(aws_error(clients, Doing::Planning, name, &e));
            let Some(lb) =
                elbv2::find_load_balancer(&clients.elbv2, elbv2::LoadBalancerKey::Name(name)).await.map_err(reading)?
            else {
                return Ok(Claims::default());
            };
            // Gone between the two reads (a replacement's destroy just ran):
            // nothing in the way.
            let tags = match elbv2::tags_of(&clients.elbv2, std::slice::from_ref(&lb.arn)).await {
                Ok(tags) => tags,
                Err(e) if e.is_not_found() => return Ok(Claims::default()),
                Err(e) => return Err(reading(e)),
            };
            let Some(held) = tags.get(&lb.arn) else { return Ok(Claims::default()) };
            if let Some(way) = ownership::in_the_way(name, held, ours) {
                let e = DiffError::Ownership(OwnershipError::NameTaken {
                    name: name.clone(),
                    arn: lb.arn,
                    holder: way.holder,
                });
                let warnings = claimed(name, &e, way.namesake, AttributePath::attr("name"))?;
                return Ok(Claims { warnings, name_taken: true, adopted: None });
            }
        }
        Ok(Claims { warnings: Diagnostics::new(), name_taken: true, adopted: None })
    }

    /// Refuses, before any write, a target group the plan creates whose
    /// name a group of another setup (or of no kafka_privatelink) holds:
    /// names are unique in a region, and AWS would answer the create with
    /// that group. One listing of the region's groups, only when the plan
    /// creates groups.
    pub(super) async fn check_group_names(
        &self,
        config: &Model,
        prior: Option<&Model>,
        ours: &[&str],
    ) -> Result<Diagnostics, Diagnostics> {
        let Some(name) = config.name.known() else { return Ok(Diagnostics::new()) };
        let new: Vec<NewGroup> = config.new_groups(prior).into_iter().filter(|g| g.port_known).collect();
        let wanted: BTreeSet<String> = new.iter().map(|g| g.name.clone()).collect();
        if wanted.is_empty() {
            return Ok(Diagnostics::new());
        }
        let clients = self.clients().await?;
        let reading = |e| Diagnostics::from(aws_error(clients, Doing::Planning, name, &e));
        let found = elbv2::find_target_groups_by_names(&clients.elbv2, &wanted).await.map_err(reading)?;
        if found.is_empty() {
            return Ok(Diagnostics::new());
        }
        let arns: Vec<String> = found.iter().map(|t| t.arn.clone()).collect();
        let tags = match elbv2::tags_of(&clients.elbv2, &arns).await {
            Ok(tags) => tags,
            // the one group listed is gone already
            Err(e) if e.is_not_found() => return Ok(Diagnostics::new()),
            Err(e) => return Err(reading(e)),
        };
        let mut warnings = Diagnostics::new();
        for tg in found {
            // Listed, then gone before its tags were read: not in the way.
            let Some(held) = tags.get(&tg.arn) else { continue };
            if let Some(way) = ownership::in_the_way(name, held, ours) {
                let at = new.iter().find(|g| g.name == tg.name).map(|g| g.at.clone());
                let e = DiffError::ForeignTargetGroup { name: tg.name, arn: tg.arn, holder: way.holder };
                warnings.extend(claimed(name, &e, way.namesake, at.unwrap_or_else(|| AttributePath::attr("brokers")))?);
            }
        }
        Ok(warnings)
    }
}

impl KafkaPrivatelink {
    /// What a plan that creates load balancers of a spread reads of the
    /// Region, in one listing of its load balancers (and the account's
    /// quota, beside it): refuses a new load balancer whose name a load
    /// balancer of another setup (or of no kafka_privatelink) holds —
    /// `<name>-<k>` may be another setup's own name; the first of a new
    /// instance is `check_claims`' —, and warns when the new ones would take
    /// the Region past the quota, where the apply would stop part-way.
    pub(super) async fn check_new_load_balancers(
        &self,
        planned: &Model,
        fresh: bool,
        ours: &[&str],
    ) -> Result<Diagnostics, Diagnostics> {
        let (Some(name), Some(lbs)) = (planned.name.known(), planned.load_balancers.known()) else {
            return Ok(Diagnostics::new());
        };
        // An entry whose ARN the apply gives is a load balancer it creates.
        let new: Vec<&LoadBalancerModel> = lbs.iter().filter(|e| e.load_balancer_arn.is_unknown()).collect();
        if planned.brokers_per_load_balancer.is_null() || new.is_empty() {
            return Ok(Diagnostics::new());
        }
        let clients = self.clients().await?;
        let reading = |e| Diagnostics::from(aws_error(clients, Doing::Planning, name, &e));
        let (region, quota) =
            tokio::join!(elbv2::all_load_balancers(&clients.elbv2), elbv2::network_load_balancer_quota(&clients.elbv2));
        let region = region.map_err(reading)?;
        let mut warnings: Diagnostics = quota_warning(clients, &region, quota, new.len()).into_iter().collect();
        let checked = if fresh { &lbs[1..] } else { &lbs[..] };
        let names: BTreeSet<&String> =
            checked.iter().filter(|e| e.load_balancer_arn.is_unknown()).filter_map(|e| e.name.known()).collect();
        let found: Vec<&ObservedLoadBalancer> = region.iter().filter(|l| names.contains(&l.name)).collect();
        if found.is_empty() {
            return Ok(warnings);
        }
        let arns: Vec<String> = found.iter().map(|l| l.arn.clone()).collect();
        let tags = match elbv2::tags_of(&clients.elbv2, &arns).await {
            Ok(tags) => tags,
            Err(e) if e.is_not_found() => return Ok(warnings),
            Err(e) => return Err(reading(e)),
        };
        for lb in found {
            let Some(held) = tags.get(&lb.arn) else { continue };
            if let Some(way) = ownership::in_the_way(name, held, ours) {
                let (name_taken, arn) = (lb.name.clone(), lb.arn.clone());
                let e = DiffError::Ownership(OwnershipError::NameTaken { name: name_taken, arn, holder: way.holder });
                warnings.extend(claimed(name, &e, way.namesake, AttributePath::attr("brokers_per_load_balancer"))?);
            }
        }
        Ok(warnings)
    }
}

/// A warning when `new` network load balancers would take the Region
/// (holding those of `region` that are network ones) past the account's
/// quota; a quota that could not be read is said too.
fn quota_warning(
    clients: &crate::aws::Clients,
    region: &[ObservedLoadBalancer],
    quota: Result<Option<u32>, crate::aws::AwsError>,
    new: usize,
) -> Option<Diagnostic> {
    let held = region.iter().filter(|lb| lb.is_network).count();
    match quota {
        Ok(Some(quota)) if held + new > quota as usize => Some(
            Diagnostic::warning(
                "Network load balancer quota",
                format!(
                    "This plan creates {new} network load balancers; the Region holds {held} and the account's \
                     quota is {quota} (\"Network Load Balancers per Region\", adjustable in Service Quotas). The \
                     apply would stop at the quota, with the load balancers made so far kept in the state: raise \
                     the quota first, or raise brokers_per_load_balancer."
                ),
            )
            .at(AttributePath::attr("brokers_per_load_balancer")),
        ),
        Ok(_) => None,
        Err(e) => Some(crate::resources::errors::aws_warning(
            clients,
            "Network load balancer quota not read",
            "Whether the Region has room for the load balancers this plan creates could not be read; the apply \
             says so if it has not.",
            &e,
        )),
    }
}

/// An object in the way: refused, or — held by a namesake, perhaps this
/// resource's own predecessor — a warning that the apply will refuse it
/// if it is still there.
fn claimed(name: &str, e: &DiffError, namesake: bool, at: AttributePath) -> Result<Diagnostics, Diagnostics> {
    let refusal = diff_error(name, e).at(at);
    if !namesake {
        return Err(refusal.into());
    }
    Ok(Diagnostic::warning(
        format!("Kafka PrivateLink ({name}) may be refused at apply"),
        format!(
            "{} If that is this resource's own predecessor (a deposed object left by a failed \
             create_before_destroy, or the instance being replaced), Terraform destroys it first and the apply \
             proceeds; otherwise the apply refuses, changing nothing.",
            refusal.detail
        ),
    )
    .at(refusal.path.clone().unwrap_or_default())
    .into())
}
