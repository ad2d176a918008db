//! Consumers wired to one service, as a state machine: random, seeded
//! sequences of consumers added and removed (each a principal, an accepter
//! and the consumer's own endpoint, emulated), accepters renamed between
//! account, principal and endpoint, principals removed out of band, and
//! consumers replacing their endpoint, each applied under the real
//! Terraform.
//!
//! After every step: the plan is empty; the service allows exactly the
//! present consumers' principals (`allowed_principals` is left unset); each
//! present consumer's current endpoint is `available` and its accepter
//! names it; no other connection is live. At the end one destroy takes
//! everything. A failing sequence is shrunk and printed with its seed
//! (`CONSUMERS_SEED`, `CONSUMERS_RUNS`, `CONSUMERS_STEPS`).
//!
//! A consumer that replaces its endpoint, accepted by account or principal,
//! is accepted again by the apply after (the accepter's refresh finds the old
//! endpoint gone); by endpoint, in the same apply.
//!
//! A consumer may also be wired by an apply whose provider is killed right
//! after the principal's add or the accept: the next apply converges, or
//! refuses naming the `terraform import` that records what was done; the
//! model runs that import, and one more apply must converge.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::hcl::{Block, Config, privatelink, s};
use crate::common::model::{Drive, Failure, drive};
use crate::common::{Rng, Stage, Workspace};

const SLOTS: usize = 3;
const KINDS: u64 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Naming {
    Account,
    Principal,
    Endpoint,
}

#[derive(Debug, Clone)]
struct Consumer {
    naming: Naming,
    /// Its endpoint's serial: new with every endpoint the consumer makes
    /// (AWS never reuses an endpoint id).
    generation: u32,
}

fn account(slot: usize) -> String {
    format!("21000000000{slot}")
}

fn principal(slot: usize) -> String {
    format!("arn:aws:iam::{}:role/consumer{slot}", account(slot))
}

fn endpoint(slot: usize, generation: u32) -> String {
    format!("vpce-0c{slot}{generation:015}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Step {
    kind: u64,
    arg: u64,
}

type Consumers = BTreeMap<usize, Consumer>;

fn config(stage: &Stage, consumers: &Consumers) -> String {
    let service = privatelink("wired", &stage.net, 1..=2).edit("endpoint_service", |e| e.unset("allowed_principals"));
    let mut c = Config::new().with(service);
    let run = |json: &str| format!("\"python3 \\\"$KAFKA_TEST_SUPPORT/consumer.py\\\" '${{jsonencode({json})}}'\"");
    for (slot, consumer) in consumers {
        let me = format!("terraform_data.consumer{slot}.output");
        let endpoint = endpoint(*slot, consumer.generation);
        c = c
            .with(
                Block::resource("terraform_data", &format!("consumer{slot}"))
                    .set(
                        "input",
                        format!(
                            "{{ service_id = kafka_privatelink.k.endpoint_service[0].id, principal = {}, owner = {}, endpoint = {} }}",
                            s(principal(*slot)),
                            s(account(*slot)),
                            s(&endpoint)
                        ),
                    )
                    // a new endpoint is a new consumer endpoint: made and deleted by the provisioners
                    .set("triggers_replace", s(&endpoint))
                    .block(Block::labeled("provisioner", "local-exec").set(
                        "command",
                        run("{ principal = self.input.principal, owner = self.input.owner, endpoint_id = self.input.endpoint, service_id = self.input.service_id }"),
                    ))
                    .block(
                        Block::labeled("provisioner", "local-exec")
                            .set("when", "destroy")
                            .set("command", run("{ endpoint_id = self.input.endpoint, delete = true }")),
                    ),
            )
            .with(
                Block::resource("kafka_endpoint_service_principal", &format!("p{slot}"))
                    .set("service_id", "kafka_privatelink.k.endpoint_service[0].id")
                    .set("principal_arn", format!("{me}.principal")),
            );
        let accepter = Block::resource("kafka_endpoint_connection_accepter", &format!("a{slot}"))
            .set("service_id", "kafka_privatelink.k.endpoint_service[0].id")
            .set("depends_on", format!("[kafka_endpoint_service_principal.p{slot}]"))
            .block(Block::new("timeouts").str("create", "90s"));
        let accepter = match consumer.naming {
            Naming::Account => accepter.str("account_id", account(*slot)),
            Naming::Principal => {
                accepter.set("principal_arn", format!("kafka_endpoint_service_principal.p{slot}.principal_arn"))
            }
            Naming::Endpoint => accepter.set("vpc_endpoint_id", format!("{me}.endpoint")),
        };
        c = c.with(accepter);
    }
    c.to_string()
}

/// An apply whose provider is killed right after a consumer resource's
/// AWS write: the action, and the resource address and import id that
/// record what it did.
struct Crash {
    action: &'static str,
    address: String,
    slot: usize,
}

/// Turns `step` into an edit of `consumers` or an event; what it did, and
/// the crash its apply is to suffer, if any.
async fn apply_step(stage: &Stage, consumers: &mut Consumers, serial: &mut u32, step: Step) -> (String, Option<Crash>) {
    let slot = (step.arg % SLOTS as u64) as usize;
    let naming = [Naming::Account, Naming::Principal, Naming::Endpoint][(step.arg / 7 % 3) as usize];
    let done = |what: String| (what, None);
    match (step.kind % KINDS, consumers.get_mut(&slot)) {
        (0, None) => {
            *serial += 1;
            consumers.insert(slot, Consumer { naming, generation: *serial });
            done(format!("consumer {slot} wired, accepted by {naming:?}"))
        }
        (5, None) => {
            *serial += 1;
            consumers.insert(slot, Consumer { naming, generation: *serial });
            let crash = if step.arg.is_multiple_of(2) {
                Crash {
                    action: "ModifyVpcEndpointServicePermissions",
                    address: format!("kafka_endpoint_service_principal.p{slot}"),
                    slot,
                }
            } else {
                Crash {
                    action: "AcceptVpcEndpointConnections",
                    address: format!("kafka_endpoint_connection_accepter.a{slot}"),
                    slot,
                }
            };
            let what = format!("consumer {slot} wired by {naming:?}, the apply killed after {}", crash.action);
            (what, Some(crash))
        }
        (1, Some(_)) => {
            consumers.remove(&slot);
            done(format!("consumer {slot} unwired"))
        }
        (2, Some(c)) => {
            c.naming = naming;
            done(format!("consumer {slot}'s accepter names it by {naming:?}"))
        }
        (3, Some(_)) => {
            let service = stage.aws.snapshot().await.services.keys().next().cloned().expect("a service");
            stage
                .aws
                .ec2
                .modify_vpc_endpoint_service_permissions()
                .service_id(&service)
                .remove_allowed_principals(principal(slot))
                .send()
                .await
                .expect("remove a principal out of band");
            done(format!("consumer {slot}'s principal removed out of band"))
        }
        (4, Some(c)) => {
            *serial += 1;
            c.generation = *serial;
            done(format!("consumer {slot} replaces its endpoint ({})", endpoint(slot, c.generation)))
        }
        _ => done("nothing".into()),
    }
}

/// The invariants after an apply.
async fn check(stage: &Stage, ws: &Workspace, consumers: &Consumers) -> Result<(), String> {
    let plan = ws.terraform(&["plan", "-detailed-exitcode", "-no-color"]);
    if plan.status.code() != Some(0) {
        return Err(format!("the next plan is not empty:\n{}", String::from_utf8_lossy(&plan.stdout)));
    }
    let snapshot = stage.aws.snapshot().await;
    let (_, principals, _) = snapshot.services.values().next().ok_or("no service")?;
    let want: BTreeSet<String> = consumers.keys().map(|slot| principal(*slot)).collect();
    if *principals != want {
        return Err(format!("the service allows {principals:?}, the consumers are {want:?}"));
    }
    let connections = stage.proxy.connections();
    let current: BTreeSet<String> = consumers.iter().map(|(slot, c)| endpoint(*slot, c.generation)).collect();
    for id in &current {
        let state = connections.iter().find(|c| c["endpoint_id"] == id.as_str()).map(|c| c["state"].clone());
        if state != Some(Value::from("available")) {
            return Err(format!("consumer endpoint {id} is {state:?}, not available"));
        }
    }
    let live_stray: Vec<&Value> = connections
        .iter()
        .filter(|c| matches!(c["state"].as_str(), Some("pendingAcceptance" | "pending" | "available")))
        .filter(|c| !current.contains(c["endpoint_id"].as_str().unwrap_or_default()))
        .collect();
    if !live_stray.is_empty() {
        return Err(format!("connections of no present consumer are live: {live_stray:?}"));
    }
    let state: Value = serde_json::from_str(&ws.ok(&["show", "-json"])).map_err(|e| e.to_string())?;
    let resources = state["values"]["root_module"]["resources"].as_array().cloned().unwrap_or_default();
    let accepters: Vec<&Value> =
        resources.iter().filter(|r| r["type"] == "kafka_endpoint_connection_accepter").collect();
    if accepters.len() != consumers.len() {
        return Err(format!("{} accepters for {} consumers", accepters.len(), consumers.len()));
    }
    for a in accepters {
        let id = a["values"]["vpc_endpoint_id"].as_str().unwrap_or_default();
        if !current.contains(id) || a["values"]["state"] != "available" {
            return Err(format!("accepter {} holds {id} ({})", a["name"], a["values"]["state"]));
        }
    }
    Ok(())
}

/// The apply of a new wiring, killed after `crash.action`; then the next
/// apply, and the import it names if it refuses; then one more apply.
async fn crashed(stage: &Stage, ws: &Workspace, consumers: &Consumers, crash: &Crash) -> Result<(), String> {
    let text = |out: &std::process::Output| {
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    };
    let run = ws.crash_at(&stage.proxy, crash.action, 1, &["apply", "-auto-approve", "-no-color"]);
    if !matches!(run, crate::common::CrashRun::Crashed(_)) {
        return Err(format!("the apply did not reach {}: {run:?}", crash.action));
    }
    let next = ws.terraform(&["apply", "-auto-approve", "-no-color"]);
    if next.status.success() {
        return Ok(());
    }
    let said = text(&next).split_whitespace().collect::<Vec<_>>().join(" ");
    if !said.contains("terraform import") || said.contains("timed out") {
        return Err(format!("after the crash, the apply neither converged nor named the import:\n{said}"));
    }
    let service = stage.aws.snapshot().await.services.keys().next().cloned().ok_or("no service")?;
    let c = consumers.get(&crash.slot).ok_or("the crashed consumer is gone")?;
    let id = if crash.action.starts_with("Modify") {
        format!("{service},{}", principal(crash.slot))
    } else {
        format!("{service},{}", endpoint(crash.slot, c.generation))
    };
    let imported = ws.terraform(&["import", "-no-color", &crash.address, &id]);
    if !imported.status.success() {
        return Err(format!("the import it named failed:\n{}", text(&imported)));
    }
    let last = ws.terraform(&["apply", "-auto-approve", "-no-color"]);
    if !last.status.success() {
        return Err(format!("the apply after the import failed:\n{}", text(&last)));
    }
    Ok(())
}

async fn run(steps: &[Step]) -> Result<(), Failure> {
    let stage = Stage::new().await;
    let mut consumers = Consumers::new();
    let mut serial = 0;
    let mut log = vec!["the service, no consumer".to_owned()];
    let ws = stage.workspace(&config(&stage, &consumers));
    let fail = |log: &Vec<String>, what: String| Err(Failure { log: log.clone(), what });
    let first = ws.terraform(&["apply", "-auto-approve", "-no-color"]);
    if !first.status.success() {
        return fail(&log, format!("the first apply failed:\n{}", String::from_utf8_lossy(&first.stdout)));
    }
    for step in steps {
        let before = consumers.clone();
        let (what, crash) = apply_step(&stage, &mut consumers, &mut serial, *step).await;
        log.push(what);
        ws.write("main.tf", &config(&stage, &consumers));
        if let Some(crash) = crash {
            if let Err(what) = crashed(&stage, &ws, &consumers, &crash).await {
                return fail(&log, what);
            }
            if let Err(what) = check(&stage, &ws, &consumers).await {
                return fail(&log, what);
            }
            continue;
        }
        // A consumer that replaced its endpoint, accepted by account or
        // principal, is accepted again by the next apply: the one that
        // replaced the endpoint could not know the old one would go.
        let renewed = consumers.iter().any(|(slot, c)| {
            c.naming != Naming::Endpoint && before.get(slot).is_some_and(|b| b.generation != c.generation)
        });
        for _ in 0..1 + usize::from(renewed) {
            let out = ws.terraform(&["apply", "-auto-approve", "-no-color"]);
            if !out.status.success() {
                let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
                return fail(&log, format!("the apply failed:\n{text}"));
            }
        }
        if let Err(what) = check(&stage, &ws, &consumers).await {
            return fail(&log, what);
        }
    }
    log.push("destroy".into());
    let out = ws.terraform(&["destroy", "-auto-approve", "-no-color"]);
    if !out.status.success() {
        return fail(&log, format!("one destroy did not finish:\n{}", String::from_utf8_lossy(&out.stdout)));
    }
    if !stage.aws.snapshot().await.is_empty() {
        return fail(&log, "the destroy left objects behind".into());
    }
    let live: Vec<Value> = stage
        .proxy
        .connections()
        .into_iter()
        .filter(|c| matches!(c["state"].as_str(), Some("pendingAcceptance" | "pending" | "available")))
        .collect();
    if !live.is_empty() {
        return fail(&log, format!("connections still live after the destroy: {live:?}"));
    }
    Ok(())
}

fn generate(seed: u64, length: u64) -> Vec<Step> {
    let mut rng = Rng::new(seed);
    // A consumer first, and a second one wired by an apply that is killed,
    // so that the short runs in `make test` wire one and meet a crash.
    let first = Step { kind: 0, arg: rng.next() % 1_000_000 };
    let arg = rng.next() % 1_000_000;
    let second = Step { kind: 5, arg: arg - arg % SLOTS as u64 + (first.arg + 1) % SLOTS as u64 };
    [first, second]
        .into_iter()
        .take(length as usize)
        .chain((2..length).map(|_| Step { kind: rng.below(KINDS), arg: rng.next() % 1_000_000 }))
        .collect()
}

#[tokio::test]
async fn random_wirings_keep_every_invariant_and_one_destroy_ends_them() {
    let d = Drive { name: "consumers model", prefix: "CONSUMERS", seed: 0xc0_2026, steps: 5 };
    drive(d, generate, |steps| async move { run(&steps).await }).await;
}

#[test]
fn generated_wirings_are_reproducible_and_cover_every_kind() {
    let a = generate(42, 300);
    assert_eq!(a, generate(42, 300));
    assert_ne!(a, generate(43, 300));
    let kinds: BTreeSet<u64> = a.iter().map(|s| s.kind % KINDS).collect();
    assert_eq!(kinds.len() as u64, KINDS, "every kind occurs: {kinds:?}");
    assert_eq!(a[0].kind, 0, "a consumer is wired first");
}
