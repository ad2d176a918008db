//! Resource `kafka_endpoint_service_principal`: one principal allowed on an
//! endpoint service, managed apart from the service. A consumer's
//! provider (Materialize's, for one) needs the service's name to create its
//! side and only then returns the principal to allow: inside
//! `kafka_privatelink` that is a dependency cycle, as its own resource it
//! is one more edge of the graph (hashicorp/aws breaks the same cycle with
//! `aws_vpc_endpoint_service_allowed_principal`).
//!
//! The principal may be unknown at plan; it is an identifier, not a
//! secret (`resources::SENSITIVE`). It only ever adds and removes itself; a principal already allowed
//! when it is created belongs to someone else (`allowed_principals`,
//! another resource, a hand) and is refused, never shared.

use crate::resources::values::Typed as _;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::check::Checks;
use super::errors::{Doing, Subject, aws_diagnostic};
use super::provider::ProviderState;
use super::refusals::{PrincipalRefusal, refuse};
use super::values;
use crate::aws::wait::{self, Listing};
use crate::aws::{Clients, ec2};
use crate::domain::validate::{check_endpoint_service_id, check_principal};
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::provider::{
    ApplyRequest, ApplyResponse, Context, ImportResponse, PlanRequest, PlanResponse, ReadRequest, ReadResponse,
    Resource,
};
use crate::server::api::schema::{Attribute, Block, Schema};
use crate::server::api::types::Type;
use crate::server::api::value::{Tri, Value};

const TYPE_NAME: &str = "kafka_endpoint_service_principal";

/// How long a refresh keeps looking for a principal it does not find.
const CONFIRM: std::time::Duration = std::time::Duration::from_secs(8);

pub struct EndpointServicePrincipal {
    provider: Arc<ProviderState>,
}

impl EndpointServicePrincipal {
    pub fn new(provider: Arc<ProviderState>) -> Self {
        Self { provider }
    }

    async fn clients(&self) -> Result<&Clients, Diagnostics> {
        self.provider.clients().await.map_err(Diagnostics::from)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
struct Model {
    service_id: Tri<String>,
    principal_arn: Tri<String>,
}

impl Model {
    fn check(&self) -> Checks {
        let mut c = Checks::default();
        c.string(
            &self.service_id,
            AttributePath::attr("service_id"),
            "Invalid endpoint service id",
            check_endpoint_service_id,
        );
        // The value is not repeated: the attribute path names it.
        c.string(&self.principal_arn, AttributePath::attr("principal_arn"), "Invalid principal", |p| {
            if p == "*" {
                return Err("\"*\" (any AWS account) is not one principal: set kafka_privatelink's \
                            endpoint_service.allow_any_principal and allowed_principals to mean it"
                    .to_owned());
            }
            check_principal(p).map_err(|_| {
                "the value is not an IAM principal ARN such as \"arn:aws:iam::123456789012:root\" or \
                 \"arn:aws:iam::123456789012:role/name\" (without a path: AWS refuses those)"
                    .to_owned()
            })
        });
        c
    }

    /// Both values, once known.
    fn known(&self) -> Option<(&str, &str)> {
        Some((self.service_id.known()?.as_str(), self.principal_arn.known()?.as_str()))
    }
}

fn schema() -> Schema {
    Schema::new(
        0,
        Block::new()
            .describe("One IAM principal allowed to connect to a VPC endpoint service, such as the service of a `kafka_privatelink`. Use it when the principal comes from the consumer's own provider (Materialize's `materialize_connection_aws_privatelink.principal`), which needs the service first: as `kafka_privatelink`'s `allowed_principals` that is a dependency cycle, as this resource it is one apply. Leave `kafka_privatelink`'s `endpoint_service.allowed_principals` unset: set, it is the whole list and removes this principal. Never manage one principal both ways; creating this resource for a principal the service already allows is refused. Changing either argument replaces it. Import with `service_id,principal_arn`.")
            .attribute(
                Attribute::new("service_id", Type::String)
                    .required()
                    .describe("The endpoint service, `vpce-svc-…` (`kafka_privatelink.<name>.endpoint_service[0].id`)."),
            )
            .attribute(
                Attribute::new("principal_arn", Type::String)
                    .required()
                    .describe("The principal to allow: an account root, role or user ARN (`arn:aws:iam::123456789012:root`), without a path. May be unknown until apply. Not sensitive: an ARN is an identifier, listed by AWS to anyone who may describe the service (mark your own variable `sensitive` to hide it in your plans)."),
            ),
    )
}

fn encoded(m: &Model) -> Value {
    // Two known strings always fit the schema.
    values::encode(m).unwrap_or(Value::Null)
}

impl values::Typed for Model {
    fn schema() -> Schema {
        schema()
    }
    fn check(&self) -> Checks {
        Model::check(self)
    }
}

/// An AWS error about the principal on `service`. AWS's own text may quote
/// the principal, which the user may have kept in a sensitive variable: it
/// is left out of the message.
fn error(clients: &Clients, doing: Doing, service: &str, principal: &str, e: &crate::aws::AwsError) -> Diagnostics {
    let mut d = aws_diagnostic(clients, doing, &Subject::Principal(service), e);
    if !principal.is_empty() {
        d.detail = d.detail.replace(principal, "(the principal)");
    }
    d.into()
}

#[async_trait]
impl Resource for EndpointServicePrincipal {
    super::values::typed!(Model, TYPE_NAME);

    async fn read(&self, ctx: &Context, req: ReadRequest) -> ReadResponse {
        let m: Model = match values::read_state(&req) {
            Ok(m) => m,
            Err(kept) => return kept,
        };
        let keep = |d: Diagnostics| values::kept(&req, d);
        let Some((service, principal)) = m.known() else { return keep(Diagnostics::new()) };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return keep(d),
        };
        // A principal added a moment ago may not be listed yet: absent, it
        // is read again for a few seconds before it counts as removed.
        match wait::principal_listing(&clients.ec2, service, principal, Listing::Listed, CONFIRM, &ctx.stop).await {
            Ok(Listing::Listed) => keep(Diagnostics::new()),
            // Removed out of band, or its service is gone: planned anew.
            Ok(Listing::NotListed | Listing::ServiceUnknown) => values::gone(),
            Err(e) => keep(error(clients, Doing::Reading, service, principal, &e)),
        }
    }

    async fn plan(&self, _ctx: &Context, req: PlanRequest) -> PlanResponse {
        let respond = |diagnostics: Diagnostics, requires_replace: Vec<AttributePath>| PlanResponse {
            planned: req.proposed.clone(),
            requires_replace,
            private: Vec::new(),
            diagnostics,
        };
        if req.proposed.is_null() {
            return respond(Diagnostics::new(), Vec::new());
        }
        let (config, prior) =
            match (Model::decode(&req.config, "configuration"), Model::decode(&req.prior_state, "prior state")) {
                (Ok(c), Ok(p)) => (c, p),
                (Err(d), _) | (_, Err(d)) => return respond(d, Vec::new()),
            };
        let checks = config.check();
        if checks.has_errors() || req.prior_state.is_null() {
            return respond(checks.0, Vec::new());
        }
        // Either argument changed (or unknown until apply): another principal.
        let replace = [
            ("service_id", &config.service_id, &prior.service_id),
            ("principal_arn", &config.principal_arn, &prior.principal_arn),
        ]
        .into_iter()
        .filter(|(_, now, was)| now != was)
        .map(|(name, _, _)| AttributePath::attr(name))
        .collect();
        respond(checks.0, replace)
    }

    async fn apply(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        let failed =
            |d: Diagnostics| ApplyResponse { state: req.prior_state.clone(), private: Vec::new(), diagnostics: d };
        let destroying = req.planned.is_null();
        let m = match Model::decode(if destroying { &req.prior_state } else { &req.planned }, "state") {
            Ok(m) => m,
            Err(d) => return failed(d),
        };
        let Some((service, principal)) = m.known() else {
            return failed(Diagnostic::incomplete_plan("service_id or principal_arn").into());
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return failed(d),
        };
        if destroying {
            return match ec2::disallow_principal(&clients.ec2, service, principal).await {
                Ok(()) => ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics: Diagnostics::new() },
                Err(e) => failed(error(clients, Doing::Removing, service, principal, &e)),
            };
        }
        // One owner per principal: one already allowed is someone else's,
        // and deleting this resource would take it from them. One this
        // same apply just removed (a replacement) may still be listed for
        // a moment: it is read again before the refusal.
        let still =
            wait::principal_listing(&clients.ec2, service, principal, Listing::NotListed, CONFIRM, &ctx.stop).await;
        match still {
            Ok(Listing::Listed) => {
                return failed(refuse(&PrincipalRefusal::AlreadyAllowed { service: service.to_owned() }).into());
            }
            // A service this apply created may not be visible yet: the add waits for it.
            Ok(Listing::NotListed | Listing::ServiceUnknown) => {}
            Err(e) => return failed(error(clients, Doing::Reading, service, principal, &e)),
        }
        match ec2::allow_principal(&clients.ec2, service, principal, wait::PROPAGATION, &ctx.stop).await {
            Ok(()) => ApplyResponse { state: encoded(&m), private: Vec::new(), diagnostics: Diagnostics::new() },
            // Not added: nothing to record.
            Err(e) => ApplyResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics: error(clients, Doing::Adding, service, principal, &e),
            },
        }
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<ImportResponse, Diagnostics> {
        let bad = || {
            Diagnostics::from(Diagnostic::error(
                "Invalid import id",
                "Expected <service_id>,<principal_arn>, such as vpce-svc-0123456789abcdef0,arn:aws:iam::123456789012:root.",
            ))
        };
        let (service, principal) = id.split_once(',').ok_or_else(bad)?;
        let m = Model { service_id: Tri::Known(service.to_owned()), principal_arn: Tri::Known(principal.to_owned()) };
        if m.check().has_errors() {
            return Err(bad());
        }
        let clients = self.clients().await?;
        let all = ec2::allowed_principals(&clients.ec2, service)
            .await
            .map_err(|e| error(clients, Doing::Importing, service, principal, &e))?;
        if !all.contains(principal) {
            return Err(refuse(&PrincipalRefusal::ImportNotAllowed { service: service.to_owned() }).into());
        }
        Ok(ImportResponse { state: encoded(&m), private: Vec::new(), diagnostics: Diagnostics::new() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(service: &str, principal: &str) -> Model {
        Model { service_id: Tri::Known(service.into()), principal_arn: Tri::Known(principal.into()) }
    }

    fn errors(m: &Model) -> Vec<(String, String)> {
        m.check()
            .0
            .iter()
            .map(|d| (d.path.as_ref().map(ToString::to_string).unwrap_or_default(), d.detail.clone()))
            .collect()
    }

    #[test]
    fn a_principal_is_checked_without_being_repeated() {
        let secret = "arn:aws:iam::123456789012:group/secret-team";
        let found = errors(&model("vpce-svc-0123456789abcdef0", secret));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "principal_arn");
        assert!(!found[0].1.contains("secret-team"), "a sensitive value is never echoed: {}", found[0].1);
        assert!(errors(&model("vpce-svc-0123456789abcdef0", "arn:aws:iam::123456789012:role/mz_abc")).is_empty());
        assert!(!errors(&model("vpce-svc-0123456789abcdef0", "*")).is_empty(), "any principal is not one");
        assert!(!errors(&model("vpce-svc-0123456789abcdef0", "arn:aws:iam::123456789012:role/path/name")).is_empty());
        assert_eq!(errors(&model("svc-1", "arn:aws:iam::123456789012:root"))[0].0, "service_id");
    }

    #[test]
    fn unknown_values_pass_until_apply() {
        let m = Model { service_id: Tri::Unknown, principal_arn: Tri::Unknown };
        assert!(errors(&m).is_empty());
        assert_eq!(m.known(), None);
    }
}
