//! The `tfplugin6.Provider` gRPC service: one thin function per RPC that
//! decodes the request, calls the provider API and encodes the answer.
//! Provider failures travel as diagnostics; a gRPC error status is only used
//! when the request itself is broken.

use std::collections::HashMap;
use std::sync::Arc;

use tonic::{Request, Response, Status};
use tracing::{debug, warn};

use super::convert::{self, decode, encode};
use super::pb::tfplugin6 as pb;
use crate::server::api::diag::value_error;
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::provider::{
    ApplyRequest, Context, DataSource, Function, IdentitySchema, ListRequest, ListResource, PlanRequest, Provider,
    ReadRequest, Resource, Signature,
};
use crate::server::api::schema::Schema;
use crate::server::api::types::Type;
use crate::server::api::value;
use crate::server::api::value::Value;

struct Typed<T: ?Sized> {
    inner: Arc<T>,
    schema: Schema,
    ty: Type,
    identity: Option<(IdentitySchema, Type)>,
}

impl Typed<dyn Resource> {
    /// The identity of `state`, encoded; `None` without identity support or
    /// while the identity is not known.
    fn identity_of(&self, state: &Value) -> Option<pb::ResourceIdentityData> {
        let (_, ty) = self.identity.as_ref()?;
        if state.is_null() {
            return None;
        }
        let identity = self.inner.identity(state).filter(|i| !i.contains_unknown())?;
        let data = encode(&identity, ty, "identity").ok()?;
        Some(pb::ResourceIdentityData { identity_data: Some(data) })
    }
}

/// Serves one provider. Schemas are computed once, at start.
pub struct ProviderService {
    provider: Arc<dyn Provider>,
    provider_schema: Schema,
    provider_type: Type,
    resources: HashMap<&'static str, Typed<dyn Resource>>,
    data_sources: HashMap<&'static str, Typed<dyn DataSource>>,
    lists: HashMap<&'static str, Typed<dyn ListResource>>,
    functions: HashMap<&'static str, (Arc<dyn Function>, Signature)>,
    ctx: Context,
}

impl ProviderService {
    pub fn new(provider: Arc<dyn Provider>, ctx: Context) -> Self {
        let provider_schema = provider.schema();
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| {
                let schema = r.schema();
                let identity = r.identity_schema().map(|i| {
                    let ty = i.value_type();
                    (i, ty)
                });
                (r.type_name(), Typed { ty: schema.value_type(), schema, inner: r, identity })
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| {
                let schema = d.schema();
                (d.type_name(), Typed { ty: schema.value_type(), schema, inner: d, identity: None })
            })
            .collect();
        let lists = provider
            .list_resources()
            .into_iter()
            .map(|l| {
                let schema = l.schema();
                (l.type_name(), Typed { ty: schema.value_type(), schema, inner: l, identity: None })
            })
            .collect();
        let functions = provider.functions().into_iter().map(|f| (f.name(), (f.clone(), f.signature()))).collect();
        Self {
            functions,
            provider_type: provider_schema.value_type(),
            provider_schema,
            provider,
            resources,
            data_sources,
            lists,
            ctx,
        }
    }

    fn resource(&self, name: &str) -> Result<&Typed<dyn Resource>, Diagnostics> {
        self.resources.get(name).ok_or_else(|| unknown_type("resource", name))
    }

    fn list(&self, name: &str) -> Result<&Typed<dyn ListResource>, Diagnostics> {
        self.lists.get(name).ok_or_else(|| unknown_type("list resource", name))
    }

    fn data_source(&self, name: &str) -> Result<&Typed<dyn DataSource>, Diagnostics> {
        self.data_sources.get(name).ok_or_else(|| unknown_type("data source", name))
    }

    fn sorted<T: ?Sized>(map: &HashMap<&'static str, Typed<T>>) -> Vec<&'static str> {
        let mut names: Vec<_> = map.keys().copied().collect();
        names.sort_unstable();
        names
    }
}

impl ProviderService {
    fn function_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.functions.keys().copied().collect();
        names.sort_unstable();
        names
    }

    fn function_signatures(&self) -> std::collections::HashMap<String, pb::Function> {
        self.functions.iter().map(|(n, (_, s))| ((*n).to_owned(), convert::function(s))).collect()
    }
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostic::error(format!("Unknown {kind} type"), format!("This provider has no {kind} type {name:?}.")).into()
}

/// Runs `f`, turning an early `Err(diagnostics)` into the response's list.
fn collect<T>(f: impl FnOnce(&mut Diagnostics) -> Result<T, Diagnostics>) -> (Option<T>, Vec<pb::Diagnostic>) {
    let mut diags = Diagnostics::new();
    let out = match f(&mut diags) {
        Ok(v) => Some(v),
        Err(d) => {
            diags.extend(d);
            None
        }
    };
    (out, convert::diagnostics(diags))
}

fn null_value() -> pb::DynamicValue {
    // MessagePack nil.
    pb::DynamicValue { msgpack: vec![0xc0], json: Vec::new() }
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        use pb::get_metadata::{DataSourceMetadata, FunctionMetadata, ListResourceMetadata, ResourceMetadata};
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: Self::sorted(&self.resources)
                .into_iter()
                .map(|n| ResourceMetadata { type_name: n.into() })
                .collect(),
            data_sources: Self::sorted(&self.data_sources)
                .into_iter()
                .map(|n| DataSourceMetadata { type_name: n.into() })
                .collect(),
            list_resources: Self::sorted(&self.lists)
                .into_iter()
                .map(|n| ListResourceMetadata { type_name: n.into() })
                .collect(),
            functions: self.function_names().into_iter().map(|n| FunctionMetadata { name: n.into() }).collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(convert::schema(&self.provider_schema)),
            resource_schemas: self.resources.iter().map(|(n, r)| ((*n).into(), convert::schema(&r.schema))).collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(n, d)| ((*n).into(), convert::schema(&d.schema)))
                .collect(),
            list_resource_schemas: self.lists.iter().map(|(n, l)| ((*n).into(), convert::schema(&l.schema))).collect(),
            functions: self.function_signatures(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let req = req.into_inner();
        let (_, diagnostics) = collect(|d| {
            let l = self.list(&req.type_name)?;
            let config = decode(req.config.as_ref(), &l.ty, "list configuration")?;
            d.extend(l.inner.validate(&config));
            Ok(())
        });
        Ok(Response::new(pb::validate_list_resource_config::Response { diagnostics }))
    }

    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> Result<Response<futures::stream::BoxStream<'static, Result<pb::list_resource::Event, Status>>>, Status> {
        let req = req.into_inner();
        let events = self.list_events(req).await;
        Ok(Response::new(Box::pin(futures::stream::iter(events.into_iter().map(Ok)))))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let req = req.into_inner();
        let (_, diagnostics) = collect(|d| {
            let config = decode(req.config.as_ref(), &self.provider_type, "provider configuration")?;
            d.extend(self.provider.validate(&config));
            Ok(())
        });
        Ok(Response::new(pb::validate_provider_config::Response { diagnostics }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let (_, diagnostics) = collect(|d| {
            let r = self.resource(&req.type_name)?;
            let config = decode(req.config.as_ref(), &r.ty, "configuration")?;
            d.extend(r.inner.validate(&config));
            Ok(())
        });
        Ok(Response::new(pb::validate_resource_config::Response { diagnostics }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let req = req.into_inner();
        let (_, diagnostics) = collect(|d| {
            let ds = self.data_source(&req.type_name)?;
            let config = decode(req.config.as_ref(), &ds.ty, "configuration")?;
            d.extend(ds.inner.validate(&config));
            Ok(())
        });
        Ok(Response::new(pb::validate_data_resource_config::Response { diagnostics }))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = req.into_inner();
        let (upgraded_state, diagnostics) = collect(|_| {
            let r = self.resource(&req.type_name)?;
            let raw = req.raw_state.unwrap_or_default();
            if raw.json.is_empty() {
                return Err(Diagnostic::error(
                    "Unsupported state format",
                    "The stored state is in the legacy flatmap format, which this provider never wrote.",
                )
                .into());
            }
            let mut json: serde_json::Value = serde_json::from_slice(&raw.json)
                .map_err(|e| Diagnostic::error("Invalid stored state", e.to_string()))?;
            let current = r.schema.version;
            if req.version > current {
                return Err(Diagnostic::error(
                    "State from a newer provider",
                    format!(
                        "The stored state of this {} has schema version {}, newer than this provider's {current}. \
                         Upgrade the provider.",
                        req.type_name, req.version
                    ),
                )
                .into());
            }
            if req.version < current {
                debug!(type_name = %req.type_name, from = req.version, to = current, "upgrading stored state");
                json = r.inner.upgrade_state(req.version, json)?;
            }
            let state = value::from_json(&json, &r.ty).map_err(|e| value_error("stored state", e))?;
            Ok(encode(&state, &r.ty, "upgraded state")?)
        });
        Ok(Response::new(pb::upgrade_resource_state::Response { upgraded_state, diagnostics }))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let req = req.into_inner();
        let config = match decode(req.config.as_ref(), &self.provider_type, "provider configuration") {
            Ok(c) => c,
            Err(d) => {
                return Ok(Response::new(pb::configure_provider::Response {
                    diagnostics: vec![convert::diagnostic(d)],
                }));
            }
        };
        let diags = self.provider.configure(&self.ctx, &req.terraform_version, config).await;
        Ok(Response::new(pb::configure_provider::Response { diagnostics: convert::diagnostics(diags) }))
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let mut out = pb::read_resource::Response::default();
        let prepared = self
            .resource(&req.type_name)
            .and_then(|r| Ok((r, decode(req.current_state.as_ref(), &r.ty, "prior state")?)));
        match prepared {
            Err(d) => diags.extend(d),
            Ok((r, state)) => {
                let resp = r.inner.read(&self.ctx, ReadRequest { state, private: req.private }).await;
                diags.extend(resp.diagnostics);
                out.private = resp.private;
                out.new_identity = resp.state.as_ref().and_then(|s| r.identity_of(s));
                match resp.state.map(|s| encode(&s, &r.ty, "new state")).transpose() {
                    Ok(s) => out.new_state = Some(s.unwrap_or_else(null_value)),
                    Err(d) => diags.push(d),
                }
            }
        }
        out.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(out))
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let mut out = pb::plan_resource_change::Response::default();
        let prepared = self.resource(&req.type_name).and_then(|r| {
            Ok((
                r,
                decode(req.prior_state.as_ref(), &r.ty, "prior state")?,
                decode(req.proposed_new_state.as_ref(), &r.ty, "proposed state")?,
                decode(req.config.as_ref(), &r.ty, "configuration")?,
            ))
        });
        match prepared {
            Err(d) => diags.extend(d),
            // Destroy: nothing to plan.
            Ok((_, _, proposed, _)) if proposed.is_null() => out.planned_state = Some(null_value()),
            Ok((r, prior_state, proposed, config)) => {
                let resp = r
                    .inner
                    .plan(&self.ctx, PlanRequest { prior_state, proposed, config, prior_private: req.prior_private })
                    .await;
                diags.extend(resp.diagnostics);
                out.planned_private = resp.private;
                out.requires_replace = resp.requires_replace.iter().map(convert::attribute_path).collect();
                out.planned_identity = r.identity_of(&resp.planned);
                match encode(&resp.planned, &r.ty, "planned state") {
                    Ok(s) => out.planned_state = Some(s),
                    Err(d) => diags.push(d),
                }
            }
        }
        out.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(out))
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let mut out = pb::apply_resource_change::Response::default();
        let prepared = self.resource(&req.type_name).and_then(|r| {
            Ok((
                r,
                decode(req.prior_state.as_ref(), &r.ty, "prior state")?,
                decode(req.planned_state.as_ref(), &r.ty, "planned state")?,
                decode(req.config.as_ref(), &r.ty, "configuration")?,
            ))
        });
        match prepared {
            Err(d) => diags.extend(d),
            Ok((r, prior_state, planned, config)) => {
                let resp = r
                    .inner
                    .apply(&self.ctx, ApplyRequest { prior_state, planned, config, private: req.planned_private })
                    .await;
                diags.extend(resp.diagnostics);
                out.private = resp.private;
                out.new_identity = r.identity_of(&resp.state);
                match encode(&resp.state, &r.ty, "new state") {
                    Ok(s) => out.new_state = Some(s),
                    Err(d) => {
                        warn!(type_name = %req.type_name, "apply returned a state that does not fit the schema");
                        diags.push(d);
                    }
                }
            }
        }
        out.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(out))
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let mut out = pb::import_resource_state::Response::default();
        let identity = self
            .resource(&req.type_name)
            .ok()
            .and_then(|r| Some((r, r.identity.as_ref()?, req.identity.as_ref()?.identity_data.as_ref()?)));
        let by_identity = match identity {
            Some((_, (_, ty), data)) if req.id.is_empty() => match decode(Some(data), ty, "identity") {
                Ok(v) => Some(v),
                Err(d) => {
                    diags.push(d);
                    out.diagnostics = convert::diagnostics(diags);
                    return Ok(Response::new(out));
                }
            },
            _ => None,
        };
        match self.resource(&req.type_name) {
            Err(d) => diags.extend(d),
            Ok(r) => match match &by_identity {
                Some(identity) => r.inner.import_identity(&self.ctx, identity).await,
                None => r.inner.import(&self.ctx, &req.id).await,
            } {
                Err(d) => diags.extend(d),
                Ok(imported) => {
                    diags.extend(imported.diagnostics);
                    match encode(&imported.state, &r.ty, "imported state") {
                        Ok(state) => out.imported_resources.push(pb::import_resource_state::ImportedResource {
                            type_name: req.type_name.clone(),
                            state: Some(state),
                            private: imported.private,
                            identity: r.identity_of(&imported.state),
                        }),
                        Err(d) => diags.push(d),
                    }
                }
            },
        }
        out.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(out))
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = req.into_inner();
        let mut diags = Diagnostics::new();
        let mut out = pb::read_data_source::Response::default();
        let prepared = self
            .data_source(&req.type_name)
            .and_then(|ds| Ok((ds, decode(req.config.as_ref(), &ds.ty, "configuration")?)));
        match prepared {
            Err(d) => diags.extend(d),
            Ok((ds, config)) => match ds.inner.read(&self.ctx, config).await {
                Err(d) => diags.extend(d),
                Ok(state) => match encode(&state, &ds.ty, "data source state") {
                    Ok(s) => out.state = Some(s),
                    Err(d) => diags.push(d),
                },
            },
        }
        out.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(out))
    }

    async fn generate_resource_config(
        &self,
        req: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        let req = req.into_inner();
        let (config, diagnostics) = collect(|_| {
            let r = self.resource(&req.type_name)?;
            let state = decode(req.state.as_ref(), &r.ty, "state")?;
            let config = r.inner.generate_config(&state)?;
            Ok(encode(&config, &r.ty, "generated configuration")?)
        });
        Ok(Response::new(pb::generate_resource_config::Response { config, diagnostics }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        let identity_schemas = self
            .resources
            .iter()
            .filter_map(|(name, r)| Some(((*name).to_owned(), convert::identity_schema(&r.identity.as_ref()?.0))))
            .collect();
        Ok(Response::new(pb::get_resource_identity_schemas::Response { identity_schemas, diagnostics: Vec::new() }))
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let req = req.into_inner();
        let (upgraded_identity, diagnostics) = collect(|_| {
            let r = self.resource(&req.type_name)?;
            let (schema, ty) = r.identity.as_ref().ok_or_else(|| {
                Diagnostics::from(Diagnostic::error("No identity", format!("{} has no identity.", req.type_name)))
            })?;
            if req.version != schema.version {
                return Err(Diagnostic::error(
                    "Unsupported identity version",
                    format!(
                        "Stored identity version {} of {}; this provider has version {}.",
                        req.version, req.type_name, schema.version
                    ),
                )
                .into());
            }
            let raw = req.raw_identity.unwrap_or_default();
            let json: serde_json::Value = serde_json::from_slice(&raw.json)
                .map_err(|e| Diagnostic::error("Invalid stored identity", e.to_string()))?;
            let identity = value::from_json(&json, ty).map_err(|e| value_error("stored identity", e))?;
            Ok(pb::ResourceIdentityData { identity_data: Some(encode(&identity, ty, "identity")?) })
        });
        Ok(Response::new(pb::upgrade_resource_identity::Response { upgraded_identity, diagnostics }))
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response {
            functions: self.function_signatures(),
            diagnostics: Vec::new(),
        }))
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let req = req.into_inner();
        let failed = |text: String, argument: Option<usize>| {
            Ok(Response::new(pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError { text, function_argument: argument.map(|a| a as i64) }),
            }))
        };
        let Some((function, signature)) = self.functions.get(req.name.as_str()) else {
            return failed(format!("This provider has no function {:?}.", req.name), None);
        };
        let mut arguments = Vec::new();
        for (i, (param, dv)) in signature.parameters.iter().zip(&req.arguments).enumerate() {
            match decode(Some(dv), &param.ty, param.name) {
                Ok(v) => arguments.push(v),
                Err(d) => return failed(format!("{}: {}", d.summary, d.detail), Some(i)),
            }
        }
        if arguments.len() != signature.parameters.len() {
            return failed(format!("{} takes {} arguments.", req.name, signature.parameters.len()), None);
        }
        match function.call(&arguments) {
            Ok(result) => match encode(&result, &signature.returns, "function result") {
                Ok(dv) => Ok(Response::new(pb::call_function::Response { result: Some(dv), error: None })),
                Err(d) => failed(format!("{}: {}", d.summary, d.detail), None),
            },
            Err(e) => failed(e.text, e.argument),
        }
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        // Only a signal: operations in flight finish their current step and
        // return what they did. The process keeps serving until Shutdown.
        debug!("StopProvider: cancelling in-flight operations");
        self.ctx.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}

impl ProviderService {
    /// Runs a list and turns its results into protocol events; failures
    /// become one event carrying the diagnostics.
    async fn list_events(&self, req: pb::list_resource::Request) -> Vec<pb::list_resource::Event> {
        let failed = |d: Diagnostics| {
            vec![pb::list_resource::Event { diagnostic: convert::diagnostics(d), ..Default::default() }]
        };
        let (l, r) = match (self.list(&req.type_name), self.resource(&req.type_name)) {
            (Ok(l), Ok(r)) => (l, r),
            (Err(d), _) | (_, Err(d)) => return failed(d),
        };
        let config = match decode(req.config.as_ref(), &l.ty, "list configuration") {
            Ok(c) => c,
            Err(d) => return failed(d.into()),
        };
        let limit = usize::try_from(req.limit).ok().filter(|l| *l > 0).unwrap_or(100);
        let include = req.include_resource_object;
        let results =
            match l.inner.list(&self.ctx, ListRequest { config, include_resource_object: include, limit }).await {
                Ok(r) => r,
                Err(d) => return failed(d),
            };
        let Some((_, identity_ty)) = r.identity.as_ref() else {
            return failed(
                Diagnostic::error("No identity", format!("{} has no identity to list by.", req.type_name)).into(),
            );
        };
        results
            .into_iter()
            .take(limit)
            .map(|res| {
                let mut diags = Diagnostics::new();
                let identity = encode(&res.identity, identity_ty, "identity")
                    .map_err(|d| diags.push(d))
                    .ok()
                    .map(|d| pb::ResourceIdentityData { identity_data: Some(d) });
                let resource_object = res
                    .resource_object
                    .and_then(|o| encode(&o, &r.ty, "resource object").map_err(|d| diags.push(d)).ok());
                pb::list_resource::Event {
                    identity,
                    display_name: res.display_name,
                    resource_object,
                    diagnostic: convert::diagnostics(diags),
                }
            })
            .collect()
    }
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: false,
        move_resource_state: false,
        generate_resource_config: true,
    }
}

#[cfg(test)]
mod tests;
