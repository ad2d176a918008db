//! The API between the plugin server and a concrete provider: traits for the
//! provider, its resources and data sources, with plain request/response
//! structs. Values here are already decoded; no protobuf in sight.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::diag::{Diagnostic, Diagnostics};
use super::path::AttributePath;
use super::schema::Schema;
use super::value::Value;

/// What every operation gets besides its request.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Cancelled when Terraform calls `StopProvider` (Ctrl-C). Long operations
    /// stop at the next safe point and still return what they created.
    pub stop: CancellationToken,
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The `provider "…" {}` block.
    fn schema(&self) -> Schema;

    /// Static checks of the provider block; unknown values are possible.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Receives the provider block before any resource or data source runs.
    async fn configure(&self, ctx: &Context, terraform_version: &str, config: Value) -> Diagnostics;

    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;

    /// List resources for `terraform query` (Terraform 1.14+).
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        Vec::new()
    }

    /// Provider-defined functions, `provider::<name>::<function>(…)`
    /// (Terraform 1.8+; older versions never ask).
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }
}

/// One parameter of a provider function.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: &'static str,
    pub ty: super::types::Type,
    /// Terraform passes null instead of refusing it.
    pub allow_null: bool,
    pub description: String,
}

/// A provider function's signature and documentation.
#[derive(Debug, Clone)]
pub struct Signature {
    pub parameters: Vec<Parameter>,
    pub returns: super::types::Type,
    pub summary: String,
    pub description: String,
}

/// Why a function call failed, and the argument (from 0) at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<usize>,
}

/// A provider-defined function: pure computation over its arguments,
/// which Terraform has already converted to the parameters' types and
/// which are known (Terraform does not call a function with unknown
/// arguments unless a parameter allows them; none here does).
pub trait Function: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn signature(&self) -> Signature;
    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError>;
}

pub struct ListRequest {
    /// The `config` block of the `list` block.
    pub config: Value,
    pub include_resource_object: bool,
    /// At most this many results (Terraform's default is 100).
    pub limit: usize,
}

/// One object found.
pub struct ListResult {
    pub identity: Value,
    pub display_name: String,
    /// The resource's state, when asked for.
    pub resource_object: Option<Value>,
}

/// Lists the remote objects of a managed resource type. Its type name is
/// the managed resource's, whose schemas give results their shape.
#[async_trait]
pub trait ListResource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;

    /// The `config` block's schema.
    fn schema(&self) -> Schema;

    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn list(&self, ctx: &Context, req: ListRequest) -> Result<Vec<ListResult>, Diagnostics>;
}

#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Static checks; unknown values are possible.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Computes the data source's state from its configuration.
    async fn read(&self, ctx: &Context, config: Value) -> Result<Value, Diagnostics>;
}

pub struct ReadRequest {
    pub state: Value,
    pub private: Vec<u8>,
}

pub struct ReadResponse {
    /// `None` when the remote object is gone: Terraform plans to create it.
    pub state: Option<Value>,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct PlanRequest {
    /// Null when the resource is being created.
    pub prior_state: Value,
    /// Terraform's proposal: configuration merged over prior state.
    pub proposed: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
}

pub struct PlanResponse {
    pub planned: Value,
    pub requires_replace: Vec<AttributePath>,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ApplyRequest {
    /// Null when creating.
    pub prior_state: Value,
    /// Null when destroying.
    pub planned: Value,
    pub config: Value,
    pub private: Vec<u8>,
}

pub struct ApplyResponse {
    /// The state after the apply, also (partially) when it failed: every
    /// object that was created must be recorded here. Null when destroyed.
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// The identity of a resource type: attributes that name a remote object
/// independently of the state (Terraform 1.12+, protocol 6.9).
#[derive(Debug, Clone, PartialEq)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: super::types::Type,
    pub required_for_import: bool,
    pub description: String,
}

impl IdentitySchema {
    pub fn value_type(&self) -> super::types::Type {
        super::types::Type::object(self.attributes.iter().map(|a| (a.name.clone(), a.ty.clone())))
    }
}

pub struct ImportResponse {
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

#[async_trait]
pub trait Resource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Static checks; unknown values are possible.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Rewrites state stored by an older schema version (given as JSON) into
    /// the JSON shape of the current version. Called only for older versions.
    fn upgrade_state(&self, version: i64, _state: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        Err(Diagnostic::provider_bug(
            "Unsupported state version",
            format!("{} has no upgrade from schema version {version}", self.type_name()),
        )
        .into())
    }

    async fn read(&self, ctx: &Context, req: ReadRequest) -> ReadResponse;

    async fn plan(&self, ctx: &Context, req: PlanRequest) -> PlanResponse;

    async fn apply(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse;

    /// The identity schema, for resources that have one.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the object `state` describes; `None` while unknown.
    fn identity(&self, _state: &Value) -> Option<Value> {
        None
    }

    /// Imports the object an identity names (`import { identity = {…} }`).
    async fn import_identity(&self, _ctx: &Context, _identity: &Value) -> Result<ImportResponse, Diagnostics> {
        Err(Diagnostic::error("Import by identity not supported", format!("{} has no identity.", self.type_name()))
            .into())
    }

    /// Configuration that reproduces `state`, for `-generate-config-out`.
    /// The default keeps every attribute a user can set.
    fn generate_config(&self, state: &Value) -> Result<Value, Diagnostics> {
        Ok(super::schema::settable(&self.schema(), state))
    }

    async fn import(&self, _ctx: &Context, _id: &str) -> Result<ImportResponse, Diagnostics> {
        Err(Diagnostic::error("Import not supported", format!("{} cannot be imported.", self.type_name())).into())
    }
}
