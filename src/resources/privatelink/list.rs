//! `list "kafka_privatelink"` for `terraform query`: every network load
//! balancer in the region with the Kafka shape (listeners that each forward
//! to one IP target, optionally a bootstrap), as importable resources.

use crate::resources::errors::{Doing, Subject};
use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::KafkaPrivatelink;
use crate::aws::elbv2;
use crate::domain::ownership::INSTANCE_TAG;
use crate::server::api::diag::Diagnostics;
use crate::server::api::diag::value_error;
use crate::server::api::provider::{Context, ListRequest, ListResource, ListResult, Resource};
use crate::server::api::schema::{Attribute, Block, Schema};
use crate::server::api::types::Type;
use crate::server::api::value::{Tri, from_value};

pub struct KafkaPrivatelinkList {
    resource: Arc<KafkaPrivatelink>,
}

impl KafkaPrivatelinkList {
    pub fn new(resource: Arc<KafkaPrivatelink>) -> Self {
        Self { resource }
    }
}

#[derive(Debug, Deserialize)]
struct Config {
    vpc_id: Tri<String>,
    tags: Tri<BTreeMap<String, Tri<String>>>,
}

#[async_trait]
impl ListResource for KafkaPrivatelinkList {
    fn type_name(&self) -> &'static str {
        super::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new()
                .describe("Finds network load balancers laid out for Kafka PrivateLink (each listener forwarding to one broker, optionally a bootstrap listener), so that `terraform query -generate-config-out` can import them.")
                .attribute(Attribute::new("vpc_id", Type::String).describe("Only load balancers in this VPC."))
                .attribute(Attribute::new("tags", Type::map(Type::String)).describe("Only load balancers carrying all these tags.")),
        )
    }

    async fn list(&self, _ctx: &Context, req: ListRequest) -> Result<Vec<ListResult>, Diagnostics> {
        let config: Config =
            from_value(&req.config).map_err(|e| Diagnostics::from(value_error("list configuration", e)))?;
        let clients = self.resource.clients().await?;
        let failed = |e: crate::aws::AwsError| {
            Diagnostics::from(crate::resources::errors::aws_diagnostic(
                clients,
                Doing::Listing,
                &Subject::LoadBalancers,
                &e,
            ))
        };
        let mut candidates: Vec<_> = elbv2::all_load_balancers(&clients.elbv2)
            .await
            .map_err(failed)?
            .into_iter()
            .filter(|lb| lb.is_network)
            .filter(|lb| config.vpc_id.known().is_none_or(|v| &lb.vpc_id == v))
            .collect();
        let wanted: BTreeMap<String, String> = config
            .tags
            .known()
            .map(|t| t.iter().filter_map(|(k, v)| Some((k.clone(), v.known()?.clone()))).collect())
            .unwrap_or_default();
        if !wanted.is_empty() {
            let arns: Vec<String> = candidates.iter().map(|l| l.arn.clone()).collect();
            let tags = elbv2::tags_of(&clients.elbv2, &arns).await.map_err(failed)?;
            candidates.retain(|lb| {
                let have = tags.get(&lb.arn);
                wanted.iter().all(|(k, v)| have.and_then(|h| h.get(k)) == Some(v))
            });
        }
        candidates.sort_by(|a, b| a.name.cmp(&b.name));
        // A setup of ours spread over several load balancers is one
        // resource: listed once, by the first of them (an import of any of
        // them imports all, by their token).
        let arns: Vec<String> = candidates.iter().map(|l| l.arn.clone()).collect();
        let tags = elbv2::tags_of(&clients.elbv2, &arns).await.map_err(failed)?;
        let mut setups = std::collections::BTreeSet::new();
        candidates.retain(|lb| match tags.get(&lb.arn).and_then(|t| t.get(INSTANCE_TAG)) {
            Some(token) => setups.insert(token.clone()),
            None => true,
        });
        let mut out = Vec::new();
        let mut subnets = BTreeMap::new();
        for lb in candidates {
            if out.len() >= req.limit {
                break;
            }
            // Anything that does not import cleanly is not Kafka-shaped.
            let Ok(imported) = self.resource.import_load_balancer(&lb.arn, &mut subnets).await else { continue };
            let Some(identity) = self.resource.identity(&imported.state) else { continue };
            out.push(ListResult {
                identity,
                display_name: lb.name.clone(),
                resource_object: req.include_resource_object.then_some(imported.state),
            });
        }
        Ok(out)
    }
}
