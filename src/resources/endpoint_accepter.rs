//! Resource `kafka_endpoint_connection_accepter`: waits for one consumer's
//! endpoint connection request, accepts it, and waits until it carries
//! traffic; destroying it rejects the connection, as hashicorp/aws's
//! `aws_vpc_endpoint_connection_accepter` does. Terraform destroys it before
//! the consumer's own resources, so waiting there for the consumer's
//! endpoint to go would never end; after the reject, the service's own
//! destroy finds nothing connected.
//!
//! The consumer is named by its endpoint id, or by the account that owns the
//! endpoint (given as such or as a principal of that account): AWS reports a
//! connection's owner, never the principal that made it. By account, only a
//! request that waits for acceptance is taken, and only when it is the one
//! such request of that account (`domain::connections::find`).

use crate::resources::values::Typed as _;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::check::Checks;
use super::errors::{Doing, Subject, aws_diagnostic};
use super::provider::ProviderState;
use super::refusals::{AccepterRefusal, refuse};
use super::values;
use crate::aws::ec2::ServiceKey;
use crate::aws::wait::{self, Bounds, EndpointOf, Request};
use crate::aws::{AwsError, Clients, ec2};
use crate::domain::connections::{Connection, Consumer, Found, PENDING, find, principal_account};
use crate::domain::ownership::AUTO_ACCEPT_TAG;
use crate::domain::validate::{check_account_id, check_endpoint_service_id, check_principal};
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::provider::{
    ApplyRequest, ApplyResponse, Context, ImportResponse, PlanRequest, PlanResponse, ReadRequest, ReadResponse,
    Resource,
};
use crate::server::api::schema::{Attribute, Block, NestedBlock, Schema};
use crate::server::api::types::Type;
use crate::server::api::value::{Tri, Value};

const TYPE_NAME: &str = "kafka_endpoint_connection_accepter";

/// hashicorp/aws's accepter waits 20 minutes for `available`; a consumer's
/// endpoint may take minutes to be requested at all.
const CREATE_TIMEOUT: Duration = Duration::from_secs(20 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

pub struct EndpointConnectionAccepter {
    provider: Arc<ProviderState>,
}

impl EndpointConnectionAccepter {
    pub fn new(provider: Arc<ProviderState>) -> Self {
        Self { provider }
    }

    async fn clients(&self) -> Result<&Clients, Diagnostics> {
        self.provider.clients().await.map_err(Diagnostics::from)
    }

    /// An update changes only how the consumer is named, or the timeouts:
    /// nothing on AWS. A consumer known only now must still be the one
    /// whose endpoint was accepted.
    fn update(&self, req: &ApplyRequest, planned: &Model) -> ApplyResponse {
        let owner = planned.owner.known();
        if let (Some(Consumer::Account(account)), Some(owner)) = (planned.named_account(), owner)
            && &account != owner
        {
            return ApplyResponse {
                state: req.prior_state.clone(),
                private: Vec::new(),
                diagnostics: refuse(&AccepterRefusal::AnotherConsumer { owner: owner.clone(), account }).into(),
            };
        }
        ApplyResponse { state: req.planned.clone(), private: Vec::new(), diagnostics: Diagnostics::new() }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
struct Model {
    service_id: Tri<String>,
    vpc_endpoint_id: Tri<String>,
    principal_arn: Tri<String>,
    account_id: Tri<String>,
    owner: Tri<String>,
    state: Tri<String>,
    timeouts: Tri<Vec<values::Timeouts>>,
}

fn path(name: &str) -> AttributePath {
    AttributePath::attr(name)
}

impl Model {
    fn check(&self) -> Checks {
        let mut c = Checks::default();
        c.string(&self.service_id, path("service_id"), "Invalid endpoint service id", check_endpoint_service_id);
        c.string(&self.vpc_endpoint_id, path("vpc_endpoint_id"), "Invalid VPC endpoint id", |id| {
            match id.strip_prefix("vpce-") {
                Some(rest) if !rest.is_empty() && !rest.starts_with("svc-") => Ok(()),
                _ => Err(format!("{id:?} is not a VPC endpoint id such as \"vpce-0123456789abcdef0\"")),
            }
        });
        c.string(&self.principal_arn, path("principal_arn"), "Invalid principal", |p| {
            check_principal(p).map_err(|_| {
                "the value is not an IAM principal ARN such as \"arn:aws:iam::123456789012:root\" or \
                 \"arn:aws:iam::123456789012:role/name\""
                    .to_owned()
            })
        });
        c.string(&self.account_id, path("account_id"), "Invalid account id", check_account_id);
        let given =
            [&self.vpc_endpoint_id, &self.principal_arn, &self.account_id].into_iter().filter(|v| !v.is_null()).count();
        if given != 1 {
            c.fail(
                path("service_id"),
                "Exactly one consumer",
                "Name the consumer whose connection to accept with exactly one of vpc_endpoint_id, principal_arn or account_id.",
            );
        }
        values::check_timeouts(&mut c, &self.timeouts, &[("create", |t| &t.create), ("delete", |t| &t.delete)]);
        c
    }

    fn timeout(&self, which: fn(&values::Timeouts) -> &Tri<String>, default: Duration) -> Duration {
        values::timeout(&self.timeouts, which, default)
    }

    /// Whose connection this is, once the configuration is known: an
    /// endpoint already found is that endpoint.
    fn consumer(&self) -> Option<Consumer> {
        match self.vpc_endpoint_id.known() {
            Some(id) => Some(Consumer::Endpoint(id.clone())),
            None => self.named_account(),
        }
    }

    /// The account the configuration names, when it names one and it is
    /// known.
    fn named_account(&self) -> Option<Consumer> {
        if let Some(account) = self.account_id.known() {
            return Some(Consumer::Account(account.clone()));
        }
        principal_account(self.principal_arn.known()?).map(|a| Consumer::Account(a.to_owned()))
    }

    fn with(&self, c: &Connection) -> Model {
        Model {
            vpc_endpoint_id: Tri::Known(c.endpoint_id.clone()),
            owner: Tri::Known(c.owner.clone()),
            state: Tri::Known(c.state.clone()),
            ..self.clone()
        }
    }
}

fn schema() -> Schema {
    let s = |name: &str, doc: &str| Attribute::new(name, Type::String).describe(doc);
    Schema::new(
        0,
        Block::new()
            .describe("Accepts one consumer's connection to a VPC endpoint service: waits for the consumer's endpoint to ask (its `timeouts.create`), accepts it, and waits until it is `available`. Destroying it rejects the connection, as hashicorp/aws's `aws_vpc_endpoint_connection_accepter` does, so that one `terraform destroy` of a whole wiring ends: Terraform destroys the accepter before the consumer's resources, and the service's destroy then finds nothing connected. Name the consumer by `vpc_endpoint_id`, or by the account that owns its endpoint (`account_id`, or `principal_arn` for that principal's account): AWS reports an endpoint's owner, never the principal that made it, so by account the one request of that account that waits for acceptance is accepted, several are refused as ambiguous, and connections already accepted are never taken over. Another service, endpoint or account replaces it; naming the same consumer another way is an update in place. Named by account, a connection rejected or failed since is replaced by the account's next request. Import with `service_id,vpc_endpoint_id`.")
            .attribute(s("service_id", "The endpoint service, `vpce-svc-…` (`kafka_privatelink.<name>.endpoint_service[0].id`).").required())
            .attribute(s("vpc_endpoint_id", "The consumer's endpoint, `vpce-…`. Computed when the consumer is named by account.").optional_computed())
            .attribute(
                Attribute::new("principal_arn", Type::String)
                    .describe("A principal of the consumer (`materialize_connection_aws_privatelink.principal`): its account's request is accepted. May be unknown until apply."),
            )
            .attribute(s("account_id", "The account that owns the consumer's endpoint, twelve digits."))
            .attribute(s("owner", "The account that owns the endpoint, as AWS reports it.").computed())
            .attribute(s("state", "The connection's state as last read: `available` once accepted; `rejected`, `failed` or `expired` if it ended since (named by account, the next plan replaces this resource to accept the account's next request).").computed())
            .block(NestedBlock::single(
                "timeouts",
                Block::new()
                    .describe("How long waits may take.")
                    .attribute(s("create", &format!("How long to wait for the request and then for `available`. Default `{}m`.", CREATE_TIMEOUT.as_secs() / 60)))
                    .attribute(s("delete", &format!("How long to wait for the rejected connection to stop being live. Default `{}m`.", DELETE_TIMEOUT.as_secs() / 60))),
            )),
    )
}

impl values::Typed for Model {
    fn schema() -> Schema {
        schema()
    }
    fn check(&self) -> Checks {
        Model::check(self)
    }
}

fn error(clients: &Clients, doing: Doing, service: &str, e: &AwsError) -> Diagnostics {
    aws_diagnostic(clients, doing, &Subject::Connection(service), e).into()
}

/// What makes the accepter a new one: another service, another endpoint,
/// another account than the one that owns the accepted endpoint, or (named
/// by account) a connection that ended since, which a new request replaces.
/// Naming the same consumer differently (its account instead of one of its
/// principals, or after an import) changes nothing on AWS: it is an update
/// in place. A consumer unknown until apply is checked then.
fn replacements(config: &Model, prior: &Model) -> Vec<AttributePath> {
    let mut replace = Vec::new();
    if config.service_id != prior.service_id {
        replace.push(path("service_id"));
    }
    if !config.vpc_endpoint_id.is_null() && config.vpc_endpoint_id != prior.vpc_endpoint_id {
        replace.push(path("vpc_endpoint_id"));
    }
    let named = if config.account_id.is_null() { "principal_arn" } else { "account_id" };
    if let (Some(Consumer::Account(account)), Some(owner)) = (config.named_account(), prior.owner.known())
        && &account != owner
    {
        replace.push(path(named));
    }
    if config.vpc_endpoint_id.is_null() && !accepted(&prior.state) {
        replace.push(path("state"));
    }
    replace
}

/// Whether a connection still does what the accepter is for.
fn accepted(state: &Tri<String>) -> bool {
    state.known().is_none_or(|s| Connection { state: s.clone(), ..Connection::default() }.is_live())
}

#[async_trait]
impl Resource for EndpointConnectionAccepter {
    super::values::typed!(Model, TYPE_NAME);

    async fn read(&self, _ctx: &Context, req: ReadRequest) -> ReadResponse {
        let m: Model = match values::read_state(&req) {
            Ok(m) => m,
            Err(kept) => return kept,
        };
        let keep = |d: Diagnostics| values::kept(&req, d);
        let (Some(service), Some(endpoint)) = (m.service_id.known(), m.vpc_endpoint_id.known()) else {
            return keep(Diagnostics::new());
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return keep(d),
        };
        match ec2::connections(&clients.ec2, service).await {
            Ok(cs) => match find(&Consumer::Endpoint(endpoint.clone()), &cs) {
                Found::One(c) => match Model::encode(&m.with(&c)) {
                    Ok(state) => {
                        ReadResponse { state: Some(state), private: Vec::new(), diagnostics: Diagnostics::new() }
                    }
                    Err(d) => keep(d),
                },
                // The consumer's endpoint is gone: nothing left to accept.
                _ => values::gone(),
            },
            Err(e) if e.is_not_found() => values::gone(),
            Err(e) => keep(error(clients, Doing::Reading, service, &e)),
        }
    }

    async fn plan(&self, _ctx: &Context, req: PlanRequest) -> PlanResponse {
        let respond = |planned: Value, diagnostics: Diagnostics, requires_replace: Vec<AttributePath>| PlanResponse {
            planned,
            requires_replace,
            private: Vec::new(),
            diagnostics,
        };
        if req.proposed.is_null() {
            return respond(req.proposed.clone(), Diagnostics::new(), Vec::new());
        }
        let decoded = (
            Model::decode(&req.config, "configuration"),
            Model::decode(&req.proposed, "plan"),
            Model::decode(&req.prior_state, "prior state"),
        );
        let (config, mut planned, prior) = match decoded {
            (Ok(c), Ok(p), Ok(w)) => (c, p, w),
            (Err(d), _, _) | (_, Err(d), _) | (_, _, Err(d)) => return respond(req.proposed.clone(), d, Vec::new()),
        };
        let checks = config.check();
        if checks.has_errors() {
            return respond(req.proposed.clone(), checks.0, Vec::new());
        }
        let replace = if req.prior_state.is_null() { Vec::new() } else { replacements(&config, &prior) };
        // A new acceptance by account on a service that accepts by itself:
        // said here when the service exists (a warning: this very plan may
        // be turning that off; the apply refuses what cannot work).
        let by_account = config.vpc_endpoint_id.is_null();
        let mut warnings = checks.0;
        if (req.prior_state.is_null() || !replace.is_empty())
            && by_account
            && let Some(service) = config.service_id.known()
        {
            let how = match self.clients().await {
                Ok(clients) => {
                    self_accepting(clients, service).await.map_err(|e| error(clients, Doing::Planning, service, &e))
                }
                Err(d) => Err(d),
            };
            match how {
                Ok(SelfAccepting::No) => {}
                Ok(how) => warnings.push(
                    Diagnostic::warning("The service accepts its consumers itself", self_accepting_text(service, how))
                        .at(AttributePath::attr("service_id")),
                ),
                Err(d) => return respond(req.proposed.clone(), d, Vec::new()),
            }
        }
        if req.prior_state.is_null() || !replace.is_empty() {
            planned.vpc_endpoint_id =
                if config.vpc_endpoint_id.is_null() { Tri::Unknown } else { config.vpc_endpoint_id.clone() };
            planned.owner = Tri::Unknown;
            planned.state = Tri::Unknown;
        }
        match Model::encode(&planned) {
            Ok(v) => respond(v, warnings, replace),
            Err(d) => respond(req.proposed.clone(), d, Vec::new()),
        }
    }

    async fn apply(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        let failed = |state: Value, d: Diagnostics| ApplyResponse { state, private: Vec::new(), diagnostics: d };
        let destroying = req.planned.is_null();
        let m = match Model::decode(if destroying { &req.prior_state } else { &req.planned }, "state") {
            Ok(m) => m,
            Err(d) => return failed(req.prior_state.clone(), d),
        };
        let (Some(service), Some(consumer)) = (m.service_id.known().cloned(), m.consumer()) else {
            return failed(req.prior_state.clone(), Diagnostic::incomplete_plan("The service or the consumer").into());
        };
        let clients = match self.clients().await {
            Ok(c) => c,
            Err(d) => return failed(req.prior_state.clone(), d),
        };
        if destroying {
            let Consumer::Endpoint(endpoint) = consumer else {
                // Never found an endpoint: nothing was accepted.
                return ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics: Diagnostics::new() };
            };
            let timeout = m.timeout(|t| &t.delete, DELETE_TIMEOUT);
            let connection = EndpointOf { ec2c: &clients.ec2, service: &service, endpoint: &endpoint };
            return match wait::connection_released(&connection, &Bounds { timeout, stop: &ctx.stop }).await {
                Ok(()) => ApplyResponse { state: Value::Null, private: Vec::new(), diagnostics: Diagnostics::new() },
                Err(e) => failed(req.prior_state.clone(), error(clients, Doing::Rejecting, &service, &e)),
            };
        }
        if !req.prior_state.is_null() {
            return self.update(&req, &m);
        }
        let timeout = m.timeout(|t| &t.create, CREATE_TIMEOUT);
        match accept(clients, &service, &consumer, timeout, &ctx.stop).await {
            Accepted::Available(c) => match Model::encode(&m.with(&c)) {
                Ok(state) => ApplyResponse { state, private: Vec::new(), diagnostics: Diagnostics::new() },
                Err(d) => failed(Value::Null, d),
            },
            // Accepted, then not available (in time, or at all): recorded,
            // so that the connection is named in the state, the resource
            // tainted, and its destroy rejects it.
            Accepted::Then(c, why) => failed(
                Model::encode(&m.with(&c)).unwrap_or(Value::Null),
                refuse(&AccepterRefusal::AcceptedNotAvailable { endpoint: c.endpoint_id.clone(), why }).into(),
            ),
            Accepted::Not(why) => {
                failed(Value::Null, refuse(&AccepterRefusal::NoneAccepted { service: service.clone(), why }).into())
            }
            Accepted::Failed(e) => failed(Value::Null, error(clients, Doing::Accepting, &service, &e)),
        }
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<ImportResponse, Diagnostics> {
        let bad = || {
            Diagnostics::from(Diagnostic::error(
                "Invalid import id",
                "Expected <service_id>,<vpc_endpoint_id>, such as vpce-svc-0123456789abcdef0,vpce-0123456789abcdef0.",
            ))
        };
        let (service, endpoint) = id.split_once(',').ok_or_else(bad)?;
        let m = Model {
            service_id: Tri::Known(service.to_owned()),
            vpc_endpoint_id: Tri::Known(endpoint.to_owned()),
            ..Model::default()
        };
        if m.check().has_errors() {
            return Err(bad());
        }
        let clients = self.clients().await?;
        let cs =
            ec2::connections(&clients.ec2, service).await.map_err(|e| error(clients, Doing::Importing, service, &e))?;
        match find(&Consumer::Endpoint(endpoint.to_owned()), &cs) {
            Found::One(c) if c.is_pending_acceptance() => Err(refuse(&AccepterRefusal::ImportPending {
                service: service.to_owned(),
                endpoint: endpoint.to_owned(),
            })
            .into()),
            Found::One(c) => Ok(ImportResponse {
                state: Model::encode(&m.with(&c))?,
                private: Vec::new(),
                diagnostics: Diagnostics::new(),
            }),
            _ => Err(refuse(&AccepterRefusal::ImportMissing {
                service: service.to_owned(),
                endpoint: endpoint.to_owned(),
            })
            .into()),
        }
    }
}

/// How a create ended.
enum Accepted {
    Available(Connection),
    /// Accepted, then not `available`: the connection as last read, and why.
    Then(Connection, String),
    /// Nothing accepted, and why (ambiguous, or a request that cannot be).
    Not(String),
    /// Nothing accepted: AWS's error.
    Failed(AwsError),
}

/// A timeout as a person reads it: "20 minutes", "90 seconds".
fn in_words(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        60 => "1 minute".to_owned(),
        s if s >= 60 && s % 60 == 0 => format!("{} minutes", s / 60),
        1 => "1 second".to_owned(),
        s => format!("{s} seconds"),
    }
}

/// How a service accepts consumers by itself, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SelfAccepting {
    No,
    /// Its kafka_privatelink's `endpoint_service.auto_accept`: every apply of
    /// it accepts the waiting requests of allowed accounts.
    AutoAccept,
    /// `acceptance_required = false`: AWS accepts every request at once.
    NoAcceptance,
}

/// How `service` accepts by itself; `No` as well while EC2 does not know
/// it yet (a service made in the same apply).
async fn self_accepting(clients: &Clients, service: &str) -> Result<SelfAccepting, AwsError> {
    let Some(svc) = ec2::find_service(&clients.ec2, ServiceKey::Id(service)).await? else {
        return Ok(SelfAccepting::No);
    };
    Ok(if !svc.acceptance_required {
        SelfAccepting::NoAcceptance
    } else if svc.tags.get(AUTO_ACCEPT_TAG).is_some_and(|v| v == "true") {
        SelfAccepting::AutoAccept
    } else {
        SelfAccepting::No
    })
}

/// What an accepter by account beside a self-accepting service should know.
fn self_accepting_text(service: &str, how: SelfAccepting) -> String {
    let why = match how {
        SelfAccepting::NoAcceptance => {
            "needs no acceptance (acceptance_required = false): AWS accepts every request at once, so an accepter \
             that names its consumer by account never sees one waiting, and is refused"
        }
        _ => {
            "accepts its consumers itself (its kafka_privatelink sets endpoint_service.auto_accept = true): a request \
             that waits while that resource applies is accepted by it, and an accepter that names its consumer by \
             account then waits for a while and gives up, saying so"
        }
    };
    format!(
        "{service} {why}. Use one of the two: remove this accepter (the service accepts the consumer), or set \
         auto_accept = false (and acceptance_required = true) on the service; or name the consumer's endpoint with \
         vpc_endpoint_id, which an accepter records however it was accepted."
    )
}

/// Waits for `consumer`'s request, accepts it unless it is accepted
/// already, and waits until it settles.
#[expect(
    clippy::too_many_lines,
    reason = "the accept in AWS's order: wait for the request, accept, wait for available, each outcome recorded"
)]
async fn accept(
    clients: &Clients,
    service: &str,
    consumer: &Consumer,
    timeout: Duration,
    stop: &tokio_util::sync::CancellationToken,
) -> Accepted {
    let ec2c = &clients.ec2;
    if matches!(consumer, Consumer::Account(_)) {
        match self_accepting(clients, service).await {
            Ok(SelfAccepting::NoAcceptance) => {
                return Accepted::Not(self_accepting_text(service, SelfAccepting::NoAcceptance));
            }
            Ok(_) => {}
            Err(e) => return Accepted::Failed(e),
        }
    }
    let c = match wait::connection_request(ec2c, service, consumer, &Bounds { timeout, stop }).await {
        Ok(Request::One(c)) => c,
        Ok(Request::Ambiguous(ids)) => {
            return Accepted::Not(format!(
                "The account has more than one endpoint waiting for acceptance ({}): which one is meant cannot be told. Name it with vpc_endpoint_id.",
                ids.join(", ")
            ));
        }
        Ok(Request::TakenByOthers(ids)) => {
            return Accepted::Not(format!(
                "While this accepter waited, {} of its consumer's account {} accepted by someone else, and no other \
                 request waits: endpoint_service.auto_accept on the service's kafka_privatelink, a service that needs \
                 no acceptance, or another accepter of the same account. Use one of them: remove this accepter, or \
                 set auto_accept = false; or name the endpoint with vpc_endpoint_id.",
                ids.join(", "),
                if ids.len() == 1 { "was" } else { "were" }
            ));
        }
        Ok(Request::AcceptedBefore(ids)) => {
            let imports: Vec<String> =
                ids.iter().map(|id| format!("terraform import <this accepter's address> {service},{id}")).collect();
            return Accepted::Not(format!(
                "No request of the account waited for acceptance, and its {} {} accepted before this accepter looked: by \
                 an earlier apply of this accepter that was interrupted after its accept, by another accepter, or by \
                 the service itself (endpoint_service.auto_accept, the console). If it is this consumer's, import it \
                 ({}); if it is another consumer's, name this consumer's endpoint with vpc_endpoint_id.",
                if ids.len() == 1 { "connection" } else { "connections" },
                ids.iter().map(|i| i.as_str()).collect::<Vec<_>>().join(", ")
                    + if ids.len() == 1 { " was" } else { " were" },
                imports.join("; ")
            ));
        }
        Ok(Request::NoneCame(seen)) => {
            return Accepted::Not(format!("No request to accept came within {}: {seen}.", in_words(timeout)));
        }
        Err(e) => return Accepted::Failed(e),
    };
    if !c.is_live() {
        return Accepted::Not(format!(
            "The connection of {} is {}: AWS accepts only requests that wait for acceptance. The consumer must make a new endpoint.",
            c.endpoint_id, c.state
        ));
    }
    let one = BTreeSet::from([c.endpoint_id.clone()]);
    if c.is_pending_acceptance()
        && let Err(e) =
            wait::accept_request(&EndpointOf { ec2c, service, endpoint: &c.endpoint_id }, &Bounds { timeout, stop })
                .await
    {
        return Accepted::Failed(e);
    }
    // From here on the connection is accepted: every outcome records it.
    match ec2::await_accepted(ec2c, service, &one, timeout, stop).await {
        Ok(after) => match after.into_iter().find(|n| n.endpoint_id == c.endpoint_id) {
            Some(now) if now.is_available() => Accepted::Available(now),
            Some(now) => {
                let why = format!("After it was accepted, the connection of {} is {}.", now.endpoint_id, now.state);
                Accepted::Then(now, why)
            }
            None => Accepted::Not(format!("The endpoint {} went away after it was accepted.", c.endpoint_id)),
        },
        Err(e) => Accepted::Then(Connection { state: PENDING.to_owned(), ..c }, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(endpoint: Tri<String>, principal: Tri<String>, account: Tri<String>) -> Model {
        Model {
            service_id: Tri::Known("vpce-svc-0123456789abcdef0".into()),
            vpc_endpoint_id: endpoint,
            principal_arn: principal,
            account_id: account,
            ..Model::default()
        }
    }

    fn errors(m: &Model) -> Vec<String> {
        m.check().0.iter().map(|d| d.summary.clone()).collect()
    }

    #[test]
    fn exactly_one_consumer_is_named() {
        let known = |s: &str| Tri::Known(s.to_owned());
        assert!(errors(&config(known("vpce-0a1"), Tri::Null, Tri::Null)).is_empty());
        assert!(errors(&config(Tri::Null, Tri::Unknown, Tri::Null)).is_empty(), "unknown until apply");
        assert_eq!(errors(&config(Tri::Null, Tri::Null, Tri::Null)), ["Exactly one consumer"]);
        assert_eq!(errors(&config(known("vpce-0a1"), Tri::Null, known("123456789012"))), ["Exactly one consumer"]);
        assert_eq!(errors(&config(known("vpce-svc-1"), Tri::Null, Tri::Null)), ["Invalid VPC endpoint id"]);
        assert_eq!(errors(&config(Tri::Null, Tri::Null, known("1234"))), ["Invalid account id"]);
    }

    #[test]
    fn a_principal_names_its_account() {
        let m = config(Tri::Null, Tri::Known("arn:aws:iam::210987654321:role/mz_1".into()), Tri::Null);
        assert_eq!(m.consumer(), Some(Consumer::Account("210987654321".into())));
        let found = m.with(&Connection {
            endpoint_id: "vpce-1".into(),
            owner: "210987654321".into(),
            state: "available".into(),
        });
        assert_eq!(found.consumer(), Some(Consumer::Endpoint("vpce-1".into())), "once found, that endpoint");
    }

    #[test]
    fn only_a_connection_that_ended_asks_for_a_new_acceptance() {
        for live in ["available", "pending", "pendingAcceptance"] {
            assert!(accepted(&Tri::Known(live.into())), "{live}");
        }
        for ended in ["rejected", "failed", "expired"] {
            assert!(!accepted(&Tri::Known(ended.into())), "{ended}");
        }
        assert!(accepted(&Tri::Unknown));
    }
}
