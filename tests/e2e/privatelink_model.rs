//! Model-based test of broker churn: random sequences of edits to the
//! `brokers` map, each applied under the real Terraform against moto, with
//! the invariants checked after every step:
//! - the apply succeeds and the next plan is empty;
//! - every broker is behind exactly one listener, on the port the state
//!   says, whose target group holds exactly that broker;
//! - no other listener exists, no group serves two listeners;
//! - a surviving broker keeps its listener port unless its `listener_port`
//!   was set to another one.
//!
//! Seeded and reproducible: `MODEL_SEED` (default: fixed), `MODEL_RUNS`
//! (sequences, default 1) and `MODEL_STEPS` (edits each, default 8). A
//! failure prints the seed and the sequence of edits that led to it.
//! `make soak` runs many long sequences.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::aws::{Aws, Network};
use crate::common::{HEADER, Moto, Workspace};
use crate::common::{Rng, env_number};

#[derive(Debug, Clone, PartialEq)]
struct Broker {
    subnet: usize,
    host: u8,
    port: Option<u16>,
    listener_port: Option<u16>,
}

/// The configuration the model holds, and what it has seen.
#[derive(Debug, Clone, Default)]
struct Model {
    brokers: BTreeMap<u32, Broker>,
    /// Ids that were removed (for "reuse an old id").
    gone: BTreeSet<u32>,
    next_id: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    Add,
    Remove,
    Replace,
    NewIp,
    NewPort,
    Pin,
    Unpin,
    Reuse,
}

const EDITS: [Edit; 8] =
    [Edit::Add, Edit::Remove, Edit::Replace, Edit::NewIp, Edit::NewPort, Edit::Pin, Edit::Unpin, Edit::Reuse];

impl Model {
    fn fresh_broker(&self, rng: &mut Rng) -> Broker {
        let used: BTreeSet<(usize, u8)> = self.brokers.values().map(|b| (b.subnet, b.host)).collect();
        loop {
            let b = Broker {
                subnet: rng.below(3) as usize,
                host: 10 + rng.below(200) as u8,
                port: None,
                listener_port: None,
            };
            if !used.contains(&(b.subnet, b.host)) {
                return b;
            }
        }
    }

    fn new_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    fn some_id(&self, rng: &mut Rng) -> Option<u32> {
        let ids: Vec<u32> = self.brokers.keys().copied().collect();
        (!ids.is_empty()).then(|| rng.pick(&ids))
    }

    /// Applies one random edit to the configuration; returns its description.
    fn edit(&mut self, rng: &mut Rng, current_ports: &BTreeMap<u32, u16>) -> String {
        loop {
            let edit = rng.pick(&EDITS);
            let n = self.brokers.len();
            match edit {
                Edit::Add if n < 6 => {
                    let id = self.new_id();
                    let b = self.fresh_broker(rng);
                    self.brokers.insert(id, b);
                    return format!("add broker {id}");
                }
                Edit::Remove if n > 1 => {
                    let id = self.some_id(rng).unwrap_or_default();
                    self.brokers.remove(&id);
                    self.gone.insert(id);
                    return format!("remove broker {id}");
                }
                Edit::Replace if n > 0 => {
                    let old = self.some_id(rng).unwrap_or_default();
                    let b = self.brokers.remove(&old).unwrap_or_else(|| self.fresh_broker(rng));
                    self.gone.insert(old);
                    let id = self.new_id();
                    self.brokers.insert(id, Broker { listener_port: None, ..b });
                    return format!("replace broker {old} by broker {id} (same address)");
                }
                Edit::NewIp if n > 0 => {
                    let id = self.some_id(rng).unwrap_or_default();
                    let fresh = self.fresh_broker(rng);
                    if let Some(b) = self.brokers.get_mut(&id) {
                        b.subnet = fresh.subnet;
                        b.host = fresh.host;
                    }
                    return format!("broker {id} moves to a new IP");
                }
                Edit::NewPort if n > 0 => {
                    let id = self.some_id(rng).unwrap_or_default();
                    let port = rng.pick(&[9092u16, 9093, 9094]);
                    if let Some(b) = self.brokers.get_mut(&id) {
                        b.port = Some(port);
                    }
                    return format!("broker {id} listens on {port}");
                }
                Edit::Pin if n > 0 => {
                    let id = self.some_id(rng).unwrap_or_default();
                    // a port no other broker has or asks for
                    let taken: BTreeSet<u16> = self
                        .brokers
                        .iter()
                        .filter(|(k, _)| **k != id)
                        .flat_map(|(k, b)| b.listener_port.into_iter().chain(current_ports.get(k).copied()))
                        .collect();
                    let free: Vec<u16> = (9001..9012).filter(|p| !taken.contains(p)).collect();
                    let port = rng.pick(&free);
                    if let Some(b) = self.brokers.get_mut(&id) {
                        b.listener_port = Some(port);
                    }
                    return format!("pin broker {id} to listener port {port}");
                }
                Edit::Unpin => {
                    let pinned: Vec<u32> =
                        self.brokers.iter().filter(|(_, b)| b.listener_port.is_some()).map(|(k, _)| *k).collect();
                    if pinned.is_empty() {
                        continue;
                    }
                    let id = rng.pick(&pinned);
                    if let Some(b) = self.brokers.get_mut(&id) {
                        b.listener_port = None;
                    }
                    return format!("unpin broker {id}");
                }
                Edit::Reuse if !self.gone.is_empty() && n < 6 => {
                    let ids: Vec<u32> = self.gone.iter().copied().collect();
                    let id = rng.pick(&ids);
                    self.gone.remove(&id);
                    let b = self.fresh_broker(rng);
                    self.brokers.insert(id, b);
                    return format!("bring broker {id} back");
                }
                _ => continue,
            }
        }
    }

    fn ip(&self, net: &Network, b: &Broker) -> String {
        format!("{}.{}", net.subnets[b.subnet].2, b.host)
    }

    fn config(&self, net: &Network) -> String {
        let brokers: String = self
            .brokers
            .iter()
            .map(|(id, b)| {
                let mut line = format!("    \"{id}\" = {{ ip = \"{}\"", self.ip(net, b));
                if let Some(p) = b.port {
                    line.push_str(&format!(", port = {p}"));
                }
                if let Some(p) = b.listener_port {
                    line.push_str(&format!(", listener_port = {p}"));
                }
                line + " }\n"
            })
            .collect();
        format!(
            r#"{HEADER}
resource "kafka_privatelink" "k" {{
  name       = "churn"
  vpc_id     = "{vpc}"
  subnet_ids = {subnets}
  brokers = {{
{brokers}  }}
  endpoint_service {{}}
}}

output "brokers" {{ value = kafka_privatelink.k.brokers }}
"#,
            vpc = net.vpc,
            subnets = net.subnet_ids_hcl(),
        )
    }
}

/// Fails with the seed and the sequence so far.
fn fail(seed: u64, steps: &[String], what: String) -> ! {
    let listed: String = steps.iter().enumerate().map(|(i, s)| format!("  {}. {s}\n", i + 1)).collect();
    panic!("model test failed (MODEL_SEED={seed}) after:\n{listed}{what}");
}

async fn run(seed: u64, length: u64) {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let mut rng = Rng::new(seed);
    let mut model = Model::default();
    for _ in 0..3 {
        let id = model.new_id();
        let b = model.fresh_broker(&mut rng);
        model.brokers.insert(id, b);
    }
    let ws = Workspace::new(&model.config(&net)).with_moto(&moto);
    let mut steps = vec![format!("create brokers {:?}", model.brokers.keys().collect::<Vec<_>>())];
    let mut ports: BTreeMap<u32, u16> = BTreeMap::new();
    for step in 0..=length {
        if step > 0 {
            steps.push(model.edit(&mut rng, &ports));
            ws.write("main.tf", &model.config(&net));
        }
        let out = ws.terraform(&["apply", "-auto-approve", "-no-color"]);
        if !out.status.success() {
            fail(
                seed,
                &steps,
                format!(
                    "apply failed:\n{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            );
        }
        let plan = ws.terraform(&["plan", "-detailed-exitcode", "-no-color"]);
        if plan.status.code() != Some(0) {
            fail(seed, &steps, format!("the next plan is not empty:\n{}", String::from_utf8_lossy(&plan.stdout)));
        }
        let brokers = ws.output("brokers");
        let snap = aws.snapshot().await;
        let routes = snap.routes();
        assert!(!model.brokers.is_empty(), "the model always has brokers");
        let mut now = BTreeMap::new();
        for (id, b) in &model.brokers {
            let port = brokers[id.to_string()]["listener_port"].as_u64().unwrap_or_default() as u16;
            if let Some(pinned) = b.listener_port
                && pinned != port
            {
                fail(seed, &steps, format!("broker {id} is pinned to {pinned} but has {port}"));
            }
            if let Some(was) = ports.get(id)
                && b.listener_port.is_none_or(|p| p == *was)
                && *was != port
            {
                fail(seed, &steps, format!("broker {id} moved from listener port {was} to {port}"));
            }
            let want = BTreeSet::from([format!("{}:{}", model.ip(&net, b), b.port.unwrap_or(9092))]);
            if routes.get(&port) != Some(&want) {
                fail(
                    seed,
                    &steps,
                    format!("listener {port} of broker {id} serves {:?}, not {want:?}", routes.get(&port)),
                );
            }
            now.insert(*id, port);
        }
        if routes.len() != model.brokers.len() {
            fail(seed, &steps, format!("{} listeners for {} brokers: {routes:?}", routes.len(), model.brokers.len()));
        }
        let groups: Vec<&String> = snap.listeners.values().map(|(_, tg)| tg).collect();
        if groups.iter().collect::<BTreeSet<_>>().len() != groups.len() {
            fail(seed, &steps, format!("a target group is behind two listeners: {:?}", snap.listeners));
        }
        if snap.target_groups.len() != model.brokers.len() {
            fail(seed, &steps, format!("groups left over: {:?}", snap.target_groups.keys().collect::<Vec<_>>()));
        }
        // Group names never lie: broker N's group is named for broker N.
        for (id, port) in &now {
            let tg = &snap.listeners[port].1;
            let name = snap.target_groups.iter().find(|(_, t)| &t.0 == tg).map(|(n, _)| n.clone()).unwrap_or_default();
            if !name.starts_with(&format!("churn-b{id}-")) {
                fail(seed, &steps, format!("broker {id} is served by a group named {name}"));
            }
        }
        ports = now;
    }
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(aws.snapshot().await.is_empty(), "destroy leaves nothing");
}

#[tokio::test]
async fn random_broker_churn_keeps_every_broker_routed() {
    let seed = env_number("MODEL_SEED", 0x5eed_2026);
    let runs = env_number("MODEL_RUNS", 1);
    let length = env_number("MODEL_STEPS", 8);
    assert!(runs > 0 && length > 0, "MODEL_RUNS and MODEL_STEPS must be positive");
    for r in 0..runs {
        run(seed.wrapping_add(r * 7919), length).await;
    }
}
