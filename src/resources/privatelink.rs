//! Resource `kafka_privatelink`: translates between Terraform values and the
//! domain layout, and drives the AWS layer: observe what exists, compute the
//! steps that converge it, execute them, and report what AWS then holds.
//!
//! `model` holds the attributes and their plan-time checks, `schema` the
//! schema, `plan` planning (with `claims`, the plan-time reads that refuse
//! what the apply would, and `preflight`, the security-group check),
//! `apply` create/update/destroy, `to_domain` and `to_state` the two ways
//! between values and the domain, `importing` import, `private` the private
//! state, and `list` the `terraform query` list. This file holds the
//! `Resource` glue; each submodule names what it uses.

mod apply;
mod claims;
mod importing;
mod list;
mod model;
mod plan;
mod preflight;
mod private;
mod schema;
mod shards;
mod to_domain;
mod to_state;

use super::values;
use crate::resources::check::Checks;
use crate::resources::values::Typed as _;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use self::apply::shares_of;
pub use self::list::KafkaPrivatelinkList;
use self::model::{DEFAULT_BASE, DEFAULT_BROKER_PORT, Model, defaults, port_of};
use self::private::Private;
use self::to_domain::{Purpose, spec_of};
use self::to_state::with_leftovers_of;
use super::errors::{Doing, Subject, aws_diagnostic};
use super::provider::ProviderState;
use crate::aws::{AwsError, Clients, ec2};
use crate::domain::arn::Arn;
use crate::domain::diff::DiffError;
use crate::domain::layout::Spec;
use crate::domain::ownership::{self, Instance};
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::provider::{
    ApplyRequest, ApplyResponse, Context, IdentityAttribute, IdentitySchema, ImportResponse, PlanRequest, PlanResponse,
    ReadRequest, ReadResponse, Resource,
};
use crate::server::api::schema::Schema;
use crate::server::api::value::{Tri, Value};

pub struct KafkaPrivatelink {
    provider: Arc<ProviderState>,
}

impl KafkaPrivatelink {
    pub fn new(provider: Arc<ProviderState>) -> Self {
        Self { provider }
    }
}

const TYPE_NAME: &str = "kafka_privatelink";

impl values::Typed for Model {
    fn schema() -> Schema {
        schema::schema()
    }
    fn check(&self) -> Checks {
        Model::check(self)
    }
}

/// An AWS error as a diagnostic, with what the user can do about the
/// errors that have a remedy.
fn aws_error(clients: &Clients, doing: Doing, name: &str, e: &AwsError) -> Diagnostic {
    aws_diagnostic(clients, doing, &Subject::PrivateLink(name), e)
}

fn diff_error(name: &str, e: &DiffError) -> Diagnostic {
    let d = Diagnostic::error(format!("Cannot converge Kafka PrivateLink ({name})"), format!("{e}."));
    match e {
        DiffError::ForeignListener { .. } | DiffError::ForeignTargetGroup { .. } => {
            d.at(AttributePath::attr("brokers"))
        }
        DiffError::MissingLoadBalancer(_) | DiffError::NotNetwork(_) => d.at(AttributePath::attr("load_balancer_arn")),
        DiffError::ForeignService { .. } => d.at(AttributePath::attr("endpoint_service")),
        DiffError::SecurityGroupsFixed { .. } => d.at(AttributePath::attr("security_group_ids")),
        DiffError::Ownership(ownership::OwnershipError::WrongVpc { .. }) => d.at(AttributePath::attr("vpc_id")),
        DiffError::Ownership(_) => d.at(AttributePath::attr("name")),
    }
}

/// What read, apply and destroy start from: a state or plan with its
/// private part, the domain spec it asks for, and the AWS clients.
struct Loaded<'a> {
    model: Model,
    private: Private,
    spec: Spec,
    clients: &'a Clients,
}

impl KafkaPrivatelink {
    async fn load(&self, value: &Value, what: &str, private: &[u8]) -> Result<Loaded<'_>, Diagnostics> {
        let model = Model::decode(value, what)?;
        let private = Private::decode(private)?;
        let spec = spec_of(&model, &self.provider.default_tags())?;
        let clients = self.clients().await?;
        Ok(Loaded { model, private, spec, clients })
    }

    async fn clients(&self) -> Result<&Clients, Diagnostics> {
        self.provider.clients().await.map_err(Diagnostics::from)
    }

    /// Zone ids of subnets, from one DescribeSubnets of the VPC.
    async fn subnets(&self, vpc: &str) -> Result<Vec<ec2::Subnet>, Diagnostics> {
        self.subnets_with(vpc, &BTreeSet::new(), &CancellationToken::new()).await
    }

    /// Like [`Self::subnets`], reading again for a while when `wanted`
    /// subnets are missing: one created by another resource of the same
    /// apply may not be visible yet (EC2 is eventually consistent).
    async fn subnets_with(
        &self,
        vpc: &str,
        wanted: &BTreeSet<String>,
        stop: &CancellationToken,
    ) -> Result<Vec<ec2::Subnet>, Diagnostics> {
        let clients = self.clients().await?;
        ec2::subnets_of_vpc_with(&clients.ec2, vpc, wanted, SUBNET_PROPAGATION, stop).await.map_err(|e| {
            Diagnostics::from(
                aws_diagnostic(clients, Doing::Reading, &Subject::Subnets(vpc), &e).at(AttributePath::attr("vpc_id")),
            )
        })
    }
}

/// How long a plan waits for a subnet it is given that the VPC does not
/// list yet, before saying it is not there: long enough for a subnet made
/// by another resource of the same apply to appear, short enough that a
/// mistyped id is still reported soon.
const SUBNET_PROPAGATION: Duration = Duration::from_secs(30);

#[async_trait]
impl Resource for KafkaPrivatelink {
    super::values::typed!(Model, TYPE_NAME);

    async fn read(&self, _ctx: &Context, req: ReadRequest) -> ReadResponse {
        let fail = |d: Diagnostics| ReadResponse {
            state: Some(req.state.clone()),
            private: req.private.clone(),
            diagnostics: d,
        };
        let Loaded { model: prior, private, spec, clients } = match self.load(&req.state, "state", &req.private).await {
            Ok(l) => l,
            Err(d) => return fail(d),
        };
        let mut shares = shares_of(&prior, &spec, Some(&prior), &private);
        if let Err(e) = self.observe_shares(clients, &mut shares, Purpose::Read).await {
            return fail(aws_error(clients, Doing::Reading, &spec.name, &e).into());
        }
        for share in &mut shares {
            let instance = Instance {
                name: spec.name.clone(),
                token: private.instance.clone().unwrap_or_default(),
                recorded: share.recorded.clone(),
                complete: true,
            };
            instance.claim(&mut share.observed, &spec.vpc_id);
        }
        let anything_left = shares.iter().any(|s| {
            s.observed.load_balancer.is_some()
                || s.observed.target_groups.iter().any(|t| t.owned)
                || s.observed.service.as_ref().is_some_and(|s| s.owned)
        });
        if !anything_left {
            tracing::warn!(name = %spec.name, "load balancer gone; removing kafka_privatelink from state");
            return ReadResponse { state: None, private: req.private, diagnostics: Diagnostics::new() };
        }
        let mut diagnostics = Diagnostics::new();
        let private = with_leftovers_of(private, &shares);
        let state = self.render_shares(&prior, &shares, Vec::new(), &mut diagnostics).await;
        match Model::encode(&state) {
            Ok(state) => ReadResponse { state: Some(state), private: private.encode(), diagnostics },
            Err(d) => fail(d),
        }
    }

    async fn plan(&self, ctx: &Context, req: PlanRequest) -> PlanResponse {
        match self.plan_inner(&req, &ctx.stop).await {
            Ok((planned, requires_replace, warnings)) => match Model::encode(&planned) {
                Ok(planned) => PlanResponse {
                    planned,
                    // The token and records travel on to apply. On a
                    // replacement, Terraform plans the new instance once more
                    // with this private state and no prior state: the token
                    // then names the objects of the instance being replaced,
                    // which that plan may find in its way (`check_claims`).
                    // (At apply, Terraform plans the new instance yet again
                    // with no private state at all: it gets a token of its
                    // own.)
                    private: req.prior_private.clone(),
                    requires_replace,
                    diagnostics: warnings,
                },
                Err(d) => PlanResponse {
                    planned: req.proposed,
                    requires_replace: Vec::new(),
                    private: Vec::new(),
                    diagnostics: d,
                },
            },
            Err(d) => PlanResponse {
                planned: req.proposed,
                requires_replace: Vec::new(),
                private: Vec::new(),
                diagnostics: d,
            },
        }
    }

    async fn apply(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        if req.planned.is_null() { self.destroy(ctx, &req).await } else { self.converge(ctx, &req).await }
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<ImportResponse, Diagnostics> {
        self.import_state(id.trim()).await
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![
                IdentityAttribute {
                    name: "region".into(),
                    ty: crate::server::api::types::Type::String,
                    required_for_import: false,
                    description: "The region of the load balancer (default: the provider's).".into(),
                },
                IdentityAttribute {
                    name: "load_balancer_arn".into(),
                    ty: crate::server::api::types::Type::String,
                    required_for_import: true,
                    description: "The ARN of the network load balancer.".into(),
                },
            ],
        })
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        let Value::String(arn) = state.get("load_balancer_arn") else { return None };
        let region = Arn::parse(arn).map(|a| a.region).filter(|r| !r.is_empty())?;
        Some(Value::Object(BTreeMap::from([
            ("region".to_owned(), Value::from(region)),
            ("load_balancer_arn".to_owned(), Value::from(arn.as_str())),
        ])))
    }

    async fn import_identity(&self, _ctx: &Context, identity: &Value) -> Result<ImportResponse, Diagnostics> {
        let Value::String(arn) = identity.get("load_balancer_arn") else {
            return Err(
                Diagnostic::error("Invalid identity", "load_balancer_arn is required to import by identity.").into()
            );
        };
        if let Value::String(region) = identity.get("region") {
            let clients = self.clients().await?;
            if region != &clients.region {
                return Err(Diagnostic::error(
                    "Region mismatch",
                    format!(
                        "The identity names region {region}, but the provider is configured for {}.",
                        clients.region
                    ),
                )
                .into());
            }
        }
        self.import_state(arn).await
    }

    /// The shortest configuration that plans no changes against `state`:
    /// placement by subnets or by ARN (never both), defaults left out.
    fn generate_config(&self, state: &Value) -> Result<Value, Diagnostics> {
        let mut m = Model::decode(&crate::server::api::schema::settable(&schema::schema(), state), "state")?;
        if m.creates() {
            m.load_balancer_arn = Tri::Null;
        }
        if m.cross_zone_load_balancing.known() == Some(&defaults::CROSS_ZONE) {
            m.cross_zone_load_balancing = Tri::Null;
        }
        let broker_port = m.broker_port.clone();
        if let Tri::Known(brokers) = &mut m.brokers {
            for b in brokers.values_mut() {
                if b.port == broker_port {
                    b.port = Tri::Null;
                }
            }
        }
        if port_of(&m.broker_port) == Some(DEFAULT_BROKER_PORT) {
            m.broker_port = Tri::Null;
        }
        // Registered by the provider: the type is the brokers', the mode
        // the default.
        if m.external() == Some(false) {
            (m.target_registration, m.target_type) = (Tri::Null, Tri::Null);
        }
        if port_of(&m.listener_port_base) == Some(DEFAULT_BASE) {
            m.listener_port_base = Tri::Null;
        }
        if let Tri::Known(es) = &mut m.endpoint_service
            && let Some(e) = es.first_mut()
            && e.acceptance_required.known() == Some(&defaults::ACCEPTANCE_REQUIRED)
        {
            e.acceptance_required = Tri::Null;
        }
        Model::encode(&m)
    }
}
