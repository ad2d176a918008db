//! Upgrades never replace: a state written by the previous release plans
//! no changes under this provider.
//!
//! `tests/fixtures/upgrade/` holds states that the previous release's
//! binary wrote against moto for a few setups (`write_fixtures`, run by
//! hand with `UPGRADE_PROVIDER_DIR` naming that binary's folder), each with
//! the network it was written in. The test builds the same setup with this
//! provider in a fresh moto, puts the old state in place, its identifiers
//! mapped onto this world's (the old network's ids by zone, every other id
//! by where it stands in the state), and plans: nothing to do, nothing
//! replaced. Then the old state applies and destroys as any other.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine;
use serde_json::{Value, json};

use crate::common::hcl::{Block, Config, PRINCIPAL, list, object, privatelink, s};
use crate::common::{Stage, repo};

/// The release the fixtures were written by.
const PREVIOUS: &str = "0.1.0 (6055039)";

/// The resources whose `principal_arn` that release marked sensitive.
const SENSITIVE_IN_PREVIOUS: [&str; 2] = ["kafka_endpoint_service_principal", "kafka_endpoint_connection_accepter"];

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/upgrade")
}

/// The setups: each a name and its configuration in `stage`'s world.
async fn setups(stage: &Stage) -> Vec<(&'static str, String)> {
    let net = &stage.net;
    let created = Config::new().with(
        privatelink("upgrade", net, 1..=3)
            .edit("endpoint_service", |e| {
                e.set("allowed_principals", list([s(PRINCIPAL), s("arn:aws:iam::210987654321:root")]))
            })
            .block(Block::new("bootstrap").set("listener_port", "9092"))
            .block(Block::new("health_check").set("healthy_threshold", "2"))
            .map("tags", [("team", s("data"))]),
    );
    let lb = stage.aws.bare_load_balancer(net, "borrowed").await;
    let adopted = Config::new().with(
        Block::resource("kafka_privatelink", "k")
            .str("name", "adopter")
            .str("vpc_id", &net.vpc)
            .str("load_balancer_arn", &lb)
            .map("brokers", [(7, object([("ip", s(format!("{}.70", net.subnets[0].prefix)))]))])
            .block(Block::new("endpoint_service")),
    );
    vec![
        ("created", created.to_string()),
        ("adopted", adopted.to_string()),
        ("consumer", crate::consumers::wiring(net).to_string()),
    ]
}

/// The network a fixture was written in: VPC and subnets in zone order.
fn world_of(stage: &Stage) -> Value {
    json!({ "vpc": stage.net.vpc, "subnets": stage.net.subnets.iter().map(|s| s.id.clone()).collect::<Vec<_>>() })
}

/// Pairs the strings that differ between an old and a new document at the
/// same place: objects by key, lists of objects by position. Lists of plain
/// strings (sets, in Terraform's order of their values) are left to
/// mappings made elsewhere.
fn pair(old: &Value, new: &Value, out: &mut BTreeMap<String, String>) {
    match (old, new) {
        (Value::String(o), Value::String(n)) if o != n => {
            out.entry(o.clone()).or_insert_with(|| n.clone());
        }
        (Value::Object(o), Value::Object(n)) => {
            for (k, ov) in o {
                if let Some(nv) = n.get(k) {
                    pair(ov, nv, out);
                }
            }
        }
        (Value::Array(o), Value::Array(n)) if o.iter().all(|v| !v.is_string()) => {
            for (ov, nv) in o.iter().zip(n) {
                pair(ov, nv, out);
            }
        }
        _ => {}
    }
}

/// A private state as JSON (it is the provider's own JSON, base64 in the
/// state file), or null.
fn private_json(instance: &Value) -> Value {
    instance["private"]
        .as_str()
        .and_then(|p| base64::engine::general_purpose::STANDARD.decode(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null)
}

/// The old state with its identifiers mapped onto the new world's.
fn mapped(old: &Value, old_world: &Value, new: &Value, new_world: &Value) -> Value {
    let mut ids = BTreeMap::new();
    pair(old_world, new_world, &mut ids);
    for (i, o) in old_world["subnets"].as_array().into_iter().flatten().enumerate() {
        if let (Some(o), Some(n)) = (o.as_str(), new_world["subnets"][i].as_str()) {
            ids.insert(o.to_owned(), n.to_owned());
        }
    }
    let instances = |state: &Value| -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        for r in state["resources"].as_array().into_iter().flatten() {
            for (i, inst) in r["instances"].as_array().into_iter().flatten().enumerate() {
                out.insert(format!("{}.{}[{i}]", r["type"], r["name"]), inst.clone());
            }
        }
        out
    };
    let (old_instances, new_instances) = (instances(old), instances(new));
    assert!(!old_instances.is_empty(), "the fixture holds resources");
    for (address, o) in &old_instances {
        let n = new_instances.get(address).unwrap_or_else(|| panic!("{address} is in the new state too"));
        pair(&o["attributes"], &n["attributes"], &mut ids);
        pair(&o["identity"], &n["identity"], &mut ids);
        pair(&private_json(o), &private_json(n), &mut ids);
    }
    // Longest first, so that an id inside another (a service id inside its
    // name, a DNS name inside bootstrap_servers) is mapped with it.
    let mut order: Vec<(&String, &String)> = ids.iter().collect();
    order.sort_by_key(|(o, _)| std::cmp::Reverse(o.len()));
    let map_text = |text: &str| order.iter().fold(text.to_owned(), |t, (o, n)| t.replace(o.as_str(), n));
    let mut state = old.clone();
    for r in state["resources"].as_array_mut().into_iter().flatten() {
        for inst in r["instances"].as_array_mut().into_iter().flatten() {
            if let Some(p) = inst["private"].as_str() {
                let bytes = base64::engine::general_purpose::STANDARD.decode(p).expect("private is base64");
                let text = map_text(&String::from_utf8(bytes).expect("private is text"));
                inst["private"] = Value::String(base64::engine::general_purpose::STANDARD.encode(text));
            }
        }
    }
    let mut state: Value = serde_json::from_str(&map_text(&state.to_string())).expect("mapped state");
    // The working directory's own lineage and a later serial, so that
    // Terraform takes it as this state's next version.
    state["lineage"] = new["lineage"].clone();
    state["serial"] = json!(new["serial"].as_u64().unwrap_or(0) + 1);
    state
}

#[tokio::test]
async fn states_written_by_the_previous_release_change_nothing() {
    let stage = Stage::new().await;
    let found = setups(&stage).await;
    assert!(!found.is_empty());
    for (name, config) in found {
        let read = |ext: &str| -> Value {
            let path = fixtures().join(format!("{name}.{ext}"));
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")))
                .expect("fixture JSON")
        };
        let (old, old_world) = (read("tfstate"), read("world.json"));
        let ws = stage.workspace(&config);
        ws.apply();
        let new: Value =
            serde_json::from_str(&std::fs::read_to_string(ws.path().join("terraform.tfstate")).unwrap()).unwrap();
        let upgraded = mapped(&old, &old_world, &new, &world_of(&stage));
        ws.write("terraform.tfstate", &serde_json::to_string_pretty(&upgraded).unwrap());
        ws.ok(&["plan", "-no-color", "-out=upgrade.tfplan"]);
        let plan: Value = serde_json::from_str(&ws.ok(&["show", "-json", "upgrade.tfplan"])).unwrap();
        let changes: Vec<&Value> = plan["resource_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["change"]["actions"] != json!(["no-op"]))
            .collect();
        for c in &changes {
            // 0.1.0 marked principal_arn sensitive; Terraform keeps the mark
            // in the state and plans its removal once, the value unchanged.
            let unmarked = c["change"]["actions"] == json!(["update"])
                && c["change"]["before"] == c["change"]["after"]
                && SENSITIVE_IN_PREVIOUS.contains(&c["type"].as_str().unwrap_or_default());
            assert!(unmarked, "{name}: a state of {PREVIOUS} plans a change: {c:#}");
        }
        stage.proxy.reset_counts();
        ws.ok(&["apply", "-no-color", "upgrade.tfplan"]);
        assert_eq!(stage.proxy.writes(), Vec::<String>::new(), "{name}: the upgrade wrote to AWS");
        ws.assert_no_changes();
        ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    }
    assert!(stage.aws.snapshot().await.target_groups.is_empty(), "every setup destroyed");
}

/// Writes the fixtures with the provider binary in `UPGRADE_PROVIDER_DIR`
/// (the previous release's build): `UPGRADE_PROVIDER_DIR=… cargo test
/// --test e2e upgrade::write_fixtures -- --ignored`.
#[tokio::test]
#[ignore = "writes fixtures with another provider build"]
async fn write_fixtures() {
    let dir = PathBuf::from(std::env::var("UPGRADE_PROVIDER_DIR").expect("UPGRADE_PROVIDER_DIR"));
    let stage = Stage::new().await;
    for (name, config) in setups(&stage).await {
        let ws = stage.workspace(&config).with_provider_dir(&dir);
        ws.apply();
        std::fs::copy(ws.path().join("terraform.tfstate"), fixtures().join(format!("{name}.tfstate"))).unwrap();
        std::fs::write(fixtures().join(format!("{name}.world.json")), world_of(&stage).to_string()).unwrap();
        ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    }
}
