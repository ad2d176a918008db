//! Plan-time refusals of what the apply would refuse anyway, each at its
//! attribute: a load balancer to adopt that does not exist, is not a
//! network load balancer, sits in another VPC or is already fronted by an
//! endpoint service this instance may not take; a load balancer name that
//! another setup holds. Read only when the plan starts a new instance (a
//! first apply, or a replacement's new instance): an instance that exists
//! owns what it holds, and its plan reads nothing more. The apply checks
//! again, since another apply may claim the same objects in between.

use super::model::Model;
use super::{KafkaPrivatelink, aws_error, diff_error};

use crate::aws::ec2::{self, ServiceKey};
use crate::aws::elbv2;
use crate::domain::diff::DiffError;
use crate::domain::ownership::{self, OwnershipError};
use crate::server::api::diag::Diagnostics;
use crate::server::api::path::AttributePath;

impl KafkaPrivatelink {
    /// Refuses, before any write, a new instance whose objects are taken.
    /// `ours` are the tokens of the instance a replacement replaces: its
    /// objects are still there while the plan is made.
    pub(super) async fn check_claims(&self, config: &Model, ours: &[&str]) -> Result<(), Diagnostics> {
        let Some(name) = config.name.known() else { return Ok(()) };
        let refuse = |e: DiffError, at: &str| Err(Diagnostics::from(diff_error(name, &e).at(AttributePath::attr(at))));
        if config.subnet_ids.is_null() {
            let Some(arn) = config.load_balancer_arn.known() else { return Ok(()) };
            let clients = self.clients().await?;
            let reading = |e| Diagnostics::from(aws_error(clients, "planning", name, &e));
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
                && let Some(holder) = ownership::in_the_way(name, &svc.tags, ours)
            {
                return refuse(DiffError::ForeignService { id: svc.id, holder }, "load_balancer_arn");
            }
        } else {
            let clients = self.clients().await?;
            let reading = |e| Diagnostics::from(aws_error(clients, "planning", name, &e));
            let Some(lb) = elbv2::find_load_balancer_by_name(&clients.elbv2, name).await.map_err(reading)? else {
                return Ok(());
            };
            let tags = elbv2::tags_of(&clients.elbv2, std::slice::from_ref(&lb.arn)).await.map_err(reading)?;
            if let Some(holder) = ownership::in_the_way(name, tags.get(&lb.arn).unwrap_or(&Default::default()), ours) {
                let e = OwnershipError::NameTaken { name: name.clone(), arn: lb.arn, holder };
                return refuse(DiffError::Ownership(e), "name");
            }
        }
        Ok(())
    }
}
