//! The generic resource wiring, exercised through the gRPC service with a
//! fake provider: state upgrades, plan/apply/read/import, and StopProvider
//! reaching an apply in flight without losing what it created.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tonic::Request;

use super::ProviderService;
use crate::server::api::diag::{Diagnostic, Diagnostics};
use crate::server::api::path::AttributePath;
use crate::server::api::provider::*;
use crate::server::api::schema::{Attribute, Block, Schema};
use crate::server::api::types::Type;
use crate::server::api::value::{self, Tri, Value};
use crate::server::transport::pb::tfplugin6 as pb;
use crate::server::transport::pb::tfplugin6::provider_server::Provider as _;

struct TestProvider;
struct Thing;

#[async_trait]
impl Provider for TestProvider {
    fn schema(&self) -> Schema {
        Schema::default()
    }
    async fn configure(&self, _: &Context, _: &str, _: Value) -> Diagnostics {
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(Thing)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Model {
    id: Tri<String>,
    name: String,
    size: Tri<i64>,
}

fn thing_schema() -> Schema {
    Schema::new(
        2,
        Block::new()
            .attribute(Attribute::new("id", Type::String).computed())
            .attribute(Attribute::new("name", Type::String).required())
            .attribute(Attribute::new("size", Type::Number).optional_computed()),
    )
}

fn encode(m: &Model) -> pb::DynamicValue {
    let ty = thing_schema().value_type();
    pb::DynamicValue {
        msgpack: value::encode_msgpack(&value::to_value(m).unwrap().conform(&ty).unwrap(), &ty).unwrap(),
        json: vec![],
    }
}

fn decode(dv: Option<pb::DynamicValue>) -> Value {
    value::decode_msgpack(&dv.unwrap().msgpack, &thing_schema().value_type()).unwrap()
}

#[async_trait]
impl Resource for Thing {
    fn type_name(&self) -> &'static str {
        "test_thing"
    }
    fn schema(&self) -> Schema {
        thing_schema()
    }
    fn upgrade_state(&self, version: i64, mut state: serde_json::Value) -> Result<serde_json::Value, Diagnostics> {
        // v0 called `name` `title`; v0 and v1 stored size as a string.
        if version == 0 {
            let title = state["title"].take();
            state.as_object_mut().unwrap().remove("title");
            state["name"] = title;
        }
        if let Some(s) = state["size"].as_str() {
            state["size"] = s.parse::<i64>().unwrap().into();
        }
        Ok(state)
    }
    async fn read(&self, _: &Context, req: ReadRequest) -> ReadResponse {
        let m: Model = value::from_value(&req.state).unwrap();
        let gone = m.name == "deleted-out-of-band";
        ReadResponse { state: (!gone).then_some(req.state), private: req.private, diagnostics: Diagnostics::new() }
    }
    async fn plan(&self, _: &Context, req: PlanRequest) -> PlanResponse {
        let mut m: Model = value::from_value(&req.proposed).unwrap();
        if m.id.is_null() {
            m.id = Tri::Unknown;
        }
        if m.size.is_null() {
            m.size = Tri::Known(1);
        }
        let prior: Option<Model> = value::from_value(&req.prior_state).ok();
        let replace = prior.is_some_and(|p| p.name != m.name);
        PlanResponse {
            planned: value::to_value(&m).unwrap(),
            requires_replace: if replace { vec![AttributePath::attr("name")] } else { vec![] },
            private: b"planned".to_vec(),
            diagnostics: Diagnostics::new(),
        }
    }
    async fn apply(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        let mut m: Model = value::from_value(&req.planned).unwrap();
        m.id = Tri::Known("thing-1".into());
        let mut diagnostics = Diagnostics::new();
        if m.name == "slow" {
            // A long operation: the first object exists, then we are stopped.
            ctx.stop.cancelled().await;
            diagnostics.push(Diagnostic::error("Interrupted", "stopped after creating thing-1"));
        }
        ApplyResponse { state: value::to_value(&m).unwrap(), private: req.private, diagnostics }
    }
    async fn import(&self, _: &Context, id: &str) -> Result<ImportResponse, Diagnostics> {
        let m = Model { id: Tri::Known(id.into()), name: "imported".into(), size: Tri::Known(3) };
        Ok(ImportResponse { state: value::to_value(&m).unwrap(), private: vec![], diagnostics: Diagnostics::new() })
    }
}

fn service() -> ProviderService {
    ProviderService::new(Arc::new(TestProvider), Context::default())
}

async fn upgrade(svc: &ProviderService, version: i64, json: &str) -> pb::upgrade_resource_state::Response {
    let req = pb::upgrade_resource_state::Request {
        type_name: "test_thing".into(),
        version,
        raw_state: Some(pb::RawState { json: json.as_bytes().to_vec(), flatmap: Default::default() }),
    };
    svc.upgrade_resource_state(Request::new(req)).await.unwrap().into_inner()
}

#[tokio::test]
async fn state_upgrades_from_every_older_version() {
    let svc = service();
    for (version, json) in [
        (0, r#"{"id":"a","title":"old","size":"7"}"#),
        (1, r#"{"id":"a","name":"old","size":"7"}"#),
        (2, r#"{"id":"a","name":"old","size":7}"#),
    ] {
        let resp = upgrade(&svc, version, json).await;
        assert!(resp.diagnostics.is_empty(), "v{version}: {:?}", resp.diagnostics);
        let v = decode(resp.upgraded_state);
        assert_eq!(v.get("name"), &Value::from("old"), "v{version}");
        assert_eq!(v.get("size"), &Value::from(7), "v{version}");
    }
    let newer = upgrade(&svc, 3, r#"{"id":"a","name":"x","size":1}"#).await;
    assert_eq!(newer.diagnostics[0].summary, "State from a newer provider");
    let broken = upgrade(&svc, 2, r#"{"id":"a","name":"x","size":1,"color":"red"}"#).await;
    assert_eq!(broken.diagnostics[0].summary, "Invalid stored state");
    assert_eq!(broken.diagnostics[0].attribute.as_ref().unwrap().steps.len(), 1);
}

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one scenario through every RPC")]
async fn plan_apply_read_import_round_trip() {
    let svc = service();
    let config = encode(&Model { id: Tri::Null, name: "a".into(), size: Tri::Null });
    let null = Some(pb::DynamicValue { msgpack: vec![0xc0], json: vec![] });
    let plan = svc
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: null.clone(),
            proposed_new_state: Some(config.clone()),
            config: Some(config.clone()),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics.is_empty());
    assert_eq!(plan.planned_private, b"planned");
    let planned = decode(plan.planned_state.clone());
    assert_eq!(planned.get("id"), &Value::Unknown);
    assert_eq!(planned.get("size"), &Value::from(1));

    let applied = svc
        .apply_resource_change(Request::new(pb::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: null.clone(),
            planned_state: plan.planned_state,
            config: Some(config),
            planned_private: plan.planned_private,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(applied.private, b"planned");
    let state = decode(applied.new_state.clone());
    assert_eq!(state.get("id"), &Value::from("thing-1"));

    let read = svc
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: applied.new_state,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decode(read.new_state), state);

    let gone = encode(&Model { id: Tri::Known("x".into()), name: "deleted-out-of-band".into(), size: Tri::Known(1) });
    let read = svc
        .read_resource(Request::new(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: Some(gone),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.new_state.unwrap().msgpack, vec![0xc0], "a vanished object reads as null");

    let imported = svc
        .import_resource_state(Request::new(pb::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "thing-9".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imported.imported_resources[0].type_name, "test_thing");
    assert_eq!(decode(imported.imported_resources[0].state.clone()).get("id"), &Value::from("thing-9"));
}

#[tokio::test]
async fn replacement_and_destroy_plans() {
    let svc = service();
    let prior = encode(&Model { id: Tri::Known("thing-1".into()), name: "a".into(), size: Tri::Known(1) });
    let proposed = encode(&Model { id: Tri::Known("thing-1".into()), name: "b".into(), size: Tri::Known(1) });
    let plan = svc
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: Some(prior.clone()),
            proposed_new_state: Some(proposed.clone()),
            config: Some(proposed),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plan.requires_replace.len(), 1);
    let destroy = svc
        .plan_resource_change(Request::new(pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: Some(prior),
            proposed_new_state: Some(pb::DynamicValue { msgpack: vec![0xc0], json: vec![] }),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(destroy.planned_state.unwrap().msgpack, vec![0xc0]);
}

#[tokio::test]
async fn stop_reaches_an_apply_in_flight_which_still_returns_its_state() {
    let svc = Arc::new(service());
    let planned = encode(&Model { id: Tri::Unknown, name: "slow".into(), size: Tri::Known(1) });
    let apply = {
        let svc = svc.clone();
        tokio::spawn(async move {
            svc.apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: Some(pb::DynamicValue { msgpack: vec![0xc0], json: vec![] }),
                planned_state: Some(planned.clone()),
                config: Some(planned),
                ..Default::default()
            }))
            .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(!apply.is_finished(), "apply waits for the stop signal");
    svc.stop_provider(Request::new(pb::stop_provider::Request {})).await.unwrap();
    let resp = apply.await.unwrap().unwrap().into_inner();
    assert_eq!(resp.diagnostics[0].summary, "Interrupted");
    assert_eq!(decode(resp.new_state).get("id"), &Value::from("thing-1"), "what was created is in state");
}

#[tokio::test]
async fn unknown_type_names_are_diagnostics() {
    let resp = service()
        .read_resource(Request::new(pb::read_resource::Request { type_name: "nope".into(), ..Default::default() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resp.diagnostics[0].summary, "Unknown resource type");
}
