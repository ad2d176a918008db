//! The whole resource as a state machine: random sequences of edits to the
//! whole configuration and of events in the world around it, each applied
//! under the real Terraform against moto, with the invariants checked after
//! every step.
//!
//! Edits: brokers added, removed, replaced, moved to a new IP or port,
//! pinned and unpinned, switched between `ip` and `instance_id`; the
//! listener port base; the bootstrap listener on, off and moved; health
//! check, deregistration delay, idle timeout, tags and `default_tags`;
//! subnets added and removed; security groups; cross-zone; the endpoint
//! service's acceptance, supported regions, principals (or
//! `allowed_principals` left unset, for others to manage), `auto_accept`,
//! `reject_unlisted`, `reject_connections_on_destroy`; any
//! of several values made unknown at plan (passed through a
//! `terraform_data` replaced on every step).
//! World: a listener deleted, a stray target registered, a broker's target
//! deregistered, a group's tags stripped, the endpoint service and the load
//! balancer deleted, all out of band; a principal allowed by another
//! manager (as `kafka_endpoint_service_principal` does); a consumer
//! connecting and going; a
//! second state of the same name trying to create; a plan saved with
//! `-out` whose file is applied after one of these events; the provider killed
//! after the k-th AWS write of the next apply; `terraform state rm` then
//! import; `-replace`; `create_before_destroy` with a replacing change;
//! switching between creating and adopting the load balancer;
//! `brokers_per_load_balancer` set (1 or 2), raised, lowered and unset,
//! so that brokers spread over several load balancers, grow across a load
//! balancer's boundary and shrink one to nothing; `target_registration`
//! switched between `"provider"` and `"external"`, with a stand-in for the
//! Load Balancer Controller that, while external, binds every group to its
//! broker's pod after each apply (deregistering whatever else it finds, as
//! the controller does) and restarts pods at new addresses.
//!
//! After every step: the apply succeeded — or was refused with a known
//! error and AWS unchanged, and the edit is undone —; the next plan is
//! empty, also with the controller's pods in the groups; while external,
//! the provider made no target call; every broker is behind exactly one
//! listener of the load balancer the state places it behind, whose group
//! holds exactly that broker (its pod, while external), on the port the
//! state says; a broker keeps its port and its load balancer
//! unless its own `listener_port` changed; every load balancer has its own
//! endpoint service and no more brokers than allowed; nothing is left over or
//! duplicated; the service allows exactly the configured principals, or,
//! with `allowed_principals` unset, still every principal another manager
//! allowed; another state's setup in the same VPC is untouched. At the
//! end, destroy leaves nothing of this resource's and all of the other's.
//!
//! Seeded and reproducible: `MODEL_SEED`, `MODEL_RUNS` (default 1),
//! `MODEL_STEPS` (default 7). A failing sequence is shrunk to the shortest
//! one that still fails, and printed with its seed. `make soak` runs many
//! long sequences.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::hcl::{Block, Config as Hcl, list, object, output, s, subnet_ids};
use crate::common::model::{Drive, Failure, drive};
use crate::common::{CrashRun, Rng, Stage, Workspace};

/// One step of a sequence: a number that the runner turns into an edit or
/// an event fitting the state at that point (so that any sub-sequence is a
/// valid sequence, which shrinking needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Step {
    kind: u64,
    arg: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Broker {
    subnet: usize,
    host: u8,
    by_instance: bool,
    port: Option<u16>,
    listener_port: Option<u16>,
}

/// The configuration the model holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Config {
    brokers: BTreeMap<u32, Broker>,
    next_id: u32,
    base: Option<u16>,
    /// (listener port, target port)
    bootstrap: Option<(u16, Option<u16>)>,
    healthy_threshold: Option<u32>,
    deregistration_delay: Option<u32>,
    idle_timeout: Option<u32>,
    tags: BTreeMap<String, String>,
    default_tags: BTreeMap<String, String>,
    /// How many of the network's subnets the load balancer takes (2 or 3).
    subnets: usize,
    /// Which of the two prepared security groups (never none: going to or
    /// from none is a replacement the model makes with `-replace` instead).
    groups: BTreeSet<usize>,
    cross_zone: Option<bool>,
    acceptance: Option<bool>,
    regions: bool,
    principals: BTreeSet<String>,
    auto_accept: bool,
    /// Adopting the load balancer by ARN instead of creating it.
    adopt: Option<String>,
    /// Values passed through a `terraform_data`, unknown at plan.
    unknown: BTreeSet<&'static str>,
    /// `lifecycle { create_before_destroy = true }`.
    create_before_destroy: bool,
    reject_unlisted: bool,
    reject_connections_on_destroy: bool,
    /// `allowed_principals` left unset: others manage the principals.
    unmanaged_principals: bool,
    /// `brokers_per_load_balancer`.
    per: Option<u32>,
    /// `target_registration = "external"`: the controller registers pods.
    external: bool,
}

const UNKNOWABLE: [&str; 5] = ["idle_timeout", "broker_ip", "security_group", "principal", "tag"];
const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];

impl Config {
    fn new() -> Self {
        let mut c = Config {
            brokers: BTreeMap::new(),
            next_id: 1,
            base: None,
            bootstrap: None,
            healthy_threshold: None,
            deregistration_delay: None,
            idle_timeout: None,
            tags: BTreeMap::new(),
            default_tags: BTreeMap::new(),
            subnets: 3,
            groups: BTreeSet::from([0]),
            cross_zone: None,
            acceptance: None,
            regions: false,
            principals: BTreeSet::from([ACCOUNTS[0].to_owned()]),
            auto_accept: false,
            adopt: None,
            unknown: BTreeSet::new(),
            create_before_destroy: false,
            reject_unlisted: false,
            reject_connections_on_destroy: false,
            unmanaged_principals: false,
            per: None,
            external: false,
        };
        for host in [10, 11, 12] {
            let id = c.next_id;
            c.next_id += 1;
            c.brokers.insert(
                id,
                Broker { subnet: id as usize % 3, host, by_instance: false, port: None, listener_port: None },
            );
        }
        c
    }

    fn free_address(&self, arg: u64) -> (usize, u8) {
        let used: BTreeSet<(usize, u8)> = self.brokers.values().map(|b| (b.subnet, b.host)).collect();
        (0u64..)
            .map(|i| ((arg + i) as usize % self.subnets, 20 + ((arg + i) % 200) as u8))
            .find(|a| !used.contains(a))
            .unwrap_or((0, 250))
    }

    fn nth_broker(&self, arg: u64) -> Option<u32> {
        let ids: Vec<u32> = self.brokers.keys().copied().collect();
        (!ids.is_empty()).then(|| ids[arg as usize % ids.len()])
    }
}

/// Everything a run holds on to.
struct World {
    stage: Stage,
    /// Two security groups for the load balancer.
    groups: [String; 2],
    /// Broker addresses' EC2 instances, made when first asked for.
    instances: BTreeMap<(usize, u8), String>,
    /// Another state's setup in the same VPC, never to be touched.
    other: Workspace,
    other_before: Setup,
    /// Consumer endpoints connected so far: (service id, endpoint id, owner).
    consumers: Vec<(String, String, String)>,
    /// Principals allowed behind the resource's back (as a
    /// kafka_endpoint_service_principal would).
    others: BTreeSet<String>,
    /// How often the controller restarted each broker's pod.
    restarts: BTreeMap<u32, u64>,
}

/// One load balancer's listeners: port → (group name, targets).
type Setup = BTreeMap<u16, (String, BTreeSet<String>)>;

/// Whether a load balancer is one of the model's: `model` or `model-<k>`.
fn is_model(name: &str) -> bool {
    name == "model"
        || name.strip_prefix("model-").is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
}

impl std::ops::Deref for World {
    type Target = Stage;
    fn deref(&self) -> &Stage {
        &self.stage
    }
}

impl World {
    /// The model's endpoint service (its first load balancer's), if it has one.
    async fn model_service(&self) -> Option<String> {
        self.model_services().await.into_iter().find(|(lb, _)| lb == "model").map(|(_, id)| id)
    }

    /// Every endpoint service in front of a model load balancer: (its load
    /// balancer's name, its id).
    async fn model_services(&self) -> Vec<(String, String)> {
        let Ok(svc) = self.aws.ec2.describe_vpc_endpoint_service_configurations().send().await else {
            return Vec::new();
        };
        let name_of = |arn: &str| arn.split('/').rev().nth(1).unwrap_or_default().to_owned();
        svc.service_configurations()
            .iter()
            .flat_map(|s| {
                let id = s.service_id().unwrap_or_default().to_owned();
                s.network_load_balancer_arns().iter().map(move |a| (name_of(a), id.clone()))
            })
            .filter(|(lb, _)| is_model(lb))
            .collect()
    }

    async fn new() -> Self {
        let stage = Stage::new().await;
        let (aws, net) = (&stage.aws, &stage.net);
        let groups = [aws.security_group(net, "nlb-a", None).await, aws.security_group(net, "nlb-b", None).await];
        let other_ip = format!("{}.200", net.subnets[1].prefix);
        let other = Block::resource("kafka_privatelink", "other")
            .str("name", "other")
            .str("vpc_id", &net.vpc)
            .set("subnet_ids", subnet_ids(&net.subnets))
            .map("brokers", [(1, object([("ip", s(other_ip))]))])
            .block(Block::new("endpoint_service"));
        let other = Workspace::new(&Hcl::new().with(other).to_string()).with_aws_endpoint(&stage.proxy.url);
        other.apply();
        let mut w = World {
            stage,
            groups,
            instances: BTreeMap::new(),
            other,
            other_before: Setup::new(),
            consumers: Vec::new(),
            others: BTreeSet::new(),
            restarts: BTreeMap::new(),
        };
        w.other_before = w.setup_named("other").await.expect("the other setup");
        w
    }

    fn ip(&self, b: &Broker) -> String {
        format!("{}.{}", self.net.subnets[b.subnet].prefix, b.host)
    }

    /// Broker `id`'s target while the controller registers: its pod's
    /// address (a new one after every restart), or its node.
    async fn pod(&mut self, id: u32, b: &Broker) -> String {
        if b.by_instance {
            return self.instance_for(b).await;
        }
        let restarts = self.restarts.get(&id).copied().unwrap_or(0);
        format!("{}.{}", self.net.subnets[b.subnet].prefix, 100 + (u64::from(id) * 7 + restarts) % 100)
    }

    /// What broker `b` is served by in its group: its own target, or its pod.
    async fn target_of(&mut self, c: &Config, id: u32, b: &Broker) -> String {
        match (c.external, b.by_instance) {
            (true, _) => self.pod(id, b).await,
            (false, true) => self.instance_for(b).await,
            (false, false) => self.ip(b),
        }
    }

    /// The controller's reconcile, while external: every broker's group
    /// (as the state names it) holds exactly its pod, the bootstrap group
    /// every pod; anything else is deregistered.
    async fn controller(&mut self, c: &Config, ws: &Workspace) {
        let state = ws.output_of("kafka_privatelink.k", "brokers");
        let mut all: Vec<(String, Option<u16>)> = Vec::new();
        for (id, b) in &c.brokers {
            let pod = self.pod(*id, b).await;
            all.push((pod.clone(), b.port));
            let Some(arn) = state[id.to_string()]["target_group_arn"].as_str() else { continue };
            self.bind(arn, &BTreeSet::from([(pod, i32::from(b.port.unwrap_or(9092)))])).await;
        }
        let boot = ws.output_of("kafka_privatelink.k", "bootstrap");
        if let (Some((_, target)), Some(arn)) = (c.bootstrap, boot[0]["target_group_arn"].as_str()) {
            let want = all.iter().map(|(t, port)| (t.clone(), i32::from(target.or(*port).unwrap_or(9092)))).collect();
            self.bind(arn, &want).await;
        }
    }

    async fn bind(&self, group: &str, want: &BTreeSet<(String, i32)>) {
        use aws_sdk_elasticloadbalancingv2::types::TargetDescription;
        let health = self.aws.elb.describe_target_health().target_group_arn(group).send().await.unwrap();
        let have: BTreeSet<(String, i32)> = health
            .target_health_descriptions()
            .iter()
            .filter_map(|d| d.target())
            .map(|t| (t.id().unwrap_or_default().to_owned(), t.port().unwrap_or_default()))
            .collect();
        let describe = |(id, port): &(String, i32)| TargetDescription::builder().id(id).port(*port).build();
        let add: Vec<TargetDescription> = want.difference(&have).map(describe).collect();
        let gone: Vec<TargetDescription> = have.difference(want).map(describe).collect();
        if !add.is_empty() {
            self.aws.elb.register_targets().target_group_arn(group).set_targets(Some(add)).send().await.unwrap();
        }
        if !gone.is_empty() {
            self.aws.elb.deregister_targets().target_group_arn(group).set_targets(Some(gone)).send().await.unwrap();
        }
    }

    async fn instance_for(&mut self, b: &Broker) -> String {
        if let Some(id) = self.instances.get(&(b.subnet, b.host)) {
            return id.clone();
        }
        let id = self.aws.instance(&self.net, b.subnet, &self.ip(b), None).await;
        self.instances.insert((b.subnet, b.host), id.clone());
        id
    }

    /// Every load balancer of the model (`model`, `model-<k>`), by name.
    async fn setups(&self) -> BTreeMap<String, Setup> {
        let lbs = self.aws.elb.describe_load_balancers().send().await.unwrap();
        let mut out = BTreeMap::new();
        for lb in lbs.load_balancers() {
            let name = lb.load_balancer_name().unwrap_or_default();
            if is_model(name) {
                out.insert(name.to_owned(), self.setup_of(lb.load_balancer_arn().unwrap()).await);
            }
        }
        out
    }

    /// The load balancer named `name`, its listeners and their groups.
    async fn setup_named(&self, name: &str) -> Option<Setup> {
        let lbs = self.aws.elb.describe_load_balancers().send().await.unwrap();
        let lb = lbs.load_balancers().iter().find(|l| l.load_balancer_name() == Some(name))?;
        Some(self.setup_of(lb.load_balancer_arn().unwrap()).await)
    }

    async fn setup_of(&self, arn: &str) -> Setup {
        let mut out = Setup::new();
        let listeners = self.aws.elb.describe_listeners().load_balancer_arn(arn).send().await.unwrap();
        for l in listeners.listeners() {
            let tg = l.default_actions().first().and_then(|a| a.target_group_arn()).unwrap_or_default();
            let group = self.aws.elb.describe_target_groups().target_group_arns(tg).send().await.unwrap();
            let name = group.target_groups()[0].target_group_name().unwrap_or_default().to_owned();
            let health = self.aws.elb.describe_target_health().target_group_arn(tg).send().await.unwrap();
            let targets = health
                .target_health_descriptions()
                .iter()
                .filter_map(|d| d.target())
                .map(|t| format!("{}:{}", t.id().unwrap_or_default(), t.port().unwrap_or_default()))
                .collect();
            out.insert(l.port().unwrap_or_default() as u16, (name, targets));
        }
        out
    }

    /// The HCL of `c` for step `step` (which replaces the unknown-making
    /// `terraform_data` every step).
    async fn hcl(&mut self, c: &Config, step: usize) -> String {
        // Values known only at apply, each the output of a `terraform_data`.
        let mut late: BTreeMap<&str, String> = BTreeMap::new();
        let later = |what: &str| format!("terraform_data.u[{}].output", s(what));
        let mut brokers = Vec::new();
        let first = c.brokers.keys().next().copied();
        for (id, b) in &c.brokers.clone() {
            let mut entry = if c.external {
                Vec::new()
            } else if b.by_instance {
                vec![("instance_id", s(self.instance_for(b).await))]
            } else if Some(*id) == first && c.unknown.contains("broker_ip") {
                late.insert("broker_ip", s(self.ip(b)));
                vec![("ip", later("broker_ip"))]
            } else {
                vec![("ip", s(self.ip(b)))]
            };
            entry.extend(b.port.map(|p| ("port", p.to_string())));
            entry.extend(b.listener_port.map(|p| ("listener_port", p.to_string())));
            brokers.push((*id, object(entry)));
        }
        let mut k = Block::resource("kafka_privatelink", "k").str("name", "model").str("vpc_id", &self.net.vpc);
        match &c.adopt {
            Some(arn) => k = k.str("load_balancer_arn", arn),
            None => {
                let mut groups: Vec<String> = c.groups.iter().map(|g| s(&self.groups[*g])).collect();
                if c.unknown.contains("security_group") {
                    late.insert("security_group", groups.remove(0));
                    groups.insert(0, later("security_group"));
                }
                k = k
                    .set("subnet_ids", subnet_ids(&self.net.subnets[..c.subnets]))
                    .set("security_group_ids", list(groups));
            }
        }
        k = k
            .opt("listener_port_base", c.base)
            .opt("deregistration_delay", c.deregistration_delay)
            .opt("brokers_per_load_balancer", c.per);
        if c.external {
            let kind = if c.brokers.values().any(|b| b.by_instance) { "instance" } else { "ip" };
            k = k.str("target_registration", "external").str("target_type", kind);
        }
        if let Some(t) = c.idle_timeout {
            let value = if c.unknown.contains("idle_timeout") { later("idle_timeout") } else { t.to_string() };
            late.insert("idle_timeout", t.to_string());
            k = k.set("tcp_idle_timeout", value);
        }
        k = k.opt("cross_zone_load_balancing", c.cross_zone);
        if !c.tags.is_empty() {
            let mut tags: Vec<(String, String)> = c.tags.iter().map(|(k, v)| (k.clone(), s(v))).collect();
            if c.unknown.contains("tag") {
                late.insert("tag", s("late"));
                tags.push(("late".into(), later("tag")));
            }
            k = k.set("tags", object(tags));
        }
        if c.create_before_destroy {
            k = k.block(Block::new("lifecycle").set("create_before_destroy", true));
        }
        if let Some(h) = c.healthy_threshold {
            k = k.block(Block::new("health_check").set("healthy_threshold", h));
        }
        if let Some((port, target)) = c.bootstrap {
            k = k.block(Block::new("bootstrap").set("listener_port", port).opt("target_port", target));
        }
        let mut principals: Vec<String> = c.principals.iter().map(|a| s(format!("arn:aws:iam::{a}:root"))).collect();
        if c.unknown.contains("principal") && !principals.is_empty() {
            late.insert("principal", principals.remove(0));
            principals.insert(0, later("principal"));
        }
        let mut service = Block::new("endpoint_service");
        if c.unmanaged_principals {
            late.remove("principal");
        } else {
            service = service.set("allowed_principals", list(principals));
        }
        service = service.opt("acceptance_required", c.acceptance);
        if c.regions {
            service = service.set("supported_regions", list([s("us-west-2")]));
        }
        for (flag, on) in [
            ("auto_accept", c.auto_accept),
            ("reject_unlisted", c.reject_unlisted),
            ("reject_connections_on_destroy", c.reject_connections_on_destroy),
        ] {
            if on {
                service = service.set(flag, true);
            }
        }
        let k = k.map("brokers", brokers).block(service);
        let mut hcl = Hcl::new();
        if !c.default_tags.is_empty() {
            let tags = object(c.default_tags.iter().map(|(k, v)| (k.clone(), s(v))));
            hcl = hcl.provider(|p| p.block(Block::new("default_tags").set("tags", tags)));
        }
        if !late.is_empty() {
            hcl = hcl.with(Block::new("locals").set("late", object(late))).with(
                Block::resource("terraform_data", "u")
                    .set("for_each", "local.late")
                    .set("input", "each.value")
                    .set("triggers_replace", list([step])),
            );
        }
        // (Not the targets: while external, the controller moves them, and
        // an output of them would change under every plan.)
        hcl.with(k)
            .with(output(
                "brokers",
                "{ for id, b in kafka_privatelink.k.brokers : id => { listener_port = b.listener_port, target_group_arn = b.target_group_arn } }",
            ))
            .with(output("load_balancers", "kafka_privatelink.k.load_balancers"))
            .to_string()
    }
}

/// What a step did, for the failure report.
type Log = Vec<String>;

/// Errors a plan or an apply may refuse an edit with: the configuration
/// asks for something the resource will not do. Anything else is a bug.
const REFUSALS: [&str; 9] = [
    "Invalid listener port",
    "Replacement undecidable at plan",
    "Name too long",
    "Duplicate listener port",
    // a replacement's destroy while a consumer is connected
    "consumer endpoints are still connected",
    // a replacement that would assign ports afresh where that moves some
    "Replacement would move listener ports",
    // a replacement under create_before_destroy
    "remove create_before_destroy",
    // a subnet removed while a consumer is connected (AWS refuses it)
    "Subnet removal refused while consumers are connected",
    // brokers_per_load_balancer lowered or unset under live brokers
    "Brokers would move between load balancers",
];

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Runs `steps` from a fresh world: `Ok` when every invariant held.
async fn run(steps: &[Step]) -> Result<(), Failure> {
    let mut w = World::new().await;
    let mut c = Config::new();
    let mut log: Log = vec!["create brokers 1, 2, 3 behind security group a".into()];
    let fail = |log: &Log, what: String| Err(Failure { log: log.clone(), what });
    let ws = Workspace::new(&w.hcl(&c, 0).await).with_aws_endpoint(&w.proxy.url);
    let out = ws.terraform(&["apply", "-auto-approve", "-no-color"]);
    if !out.status.success() {
        return fail(&log, format!("the first apply failed:\n{}", text(&out)));
    }
    let mut ports: BTreeMap<u32, (u16, String)> = BTreeMap::new();
    if let Err(what) = check(&mut w, &ws, &c, &mut ports, &BTreeSet::new()).await {
        return fail(&log, what);
    }
    for (i, step) in steps.iter().enumerate() {
        let n = i + 1;
        let before = c.clone();
        let (what, action) = apply_step(&mut w, &mut c, *step).await;
        log.push(what);
        let main_tf = w.hcl(&c, n).await;
        ws.write("main.tf", &main_tf);
        let mut moved: BTreeSet<u32> = c
            .brokers
            .iter()
            .filter(|(id, b)| before.brokers.get(id).is_some_and(|old| old.listener_port != b.listener_port))
            .map(|(id, _)| *id)
            .collect();
        // `-replace` asks for a new setup: Terraform plans it with no memory
        // of the old one, so ports are assigned afresh (the plan shows it).
        if matches!(action, Action::Replace) {
            moved.extend(c.brokers.keys());
        }
        let mut snapshot = w.setups().await;
        w.proxy.reset_counts();
        let result = match action {
            Action::Apply => apply(&ws, &[]),
            Action::Replace => apply(&ws, &["-replace=kafka_privatelink.k"]),
            Action::Crash(k) => match ws.crash_at_write(&w.proxy, k, &["apply", "-auto-approve", "-no-color"]) {
                CrashRun::Crashed(write) => {
                    log.push(format!("  (the provider was killed after write {k}, {write})"));
                    apply(&ws, &[])
                }
                CrashRun::Finished(true) => Ok(()),
                // ended by itself, unsuccessfully: the plain apply says why
                CrashRun::Finished(false) => apply(&ws, &[]),
            },
            Action::Reimport => {
                ws.ok(&["state", "rm", "kafka_privatelink.k"]);
                // With no state, the setup is another's to this one: the
                // apply refuses, changing nothing, and points at import.
                let refused = ws.terraform(&["apply", "-auto-approve", "-no-color"]);
                let flat = text(&refused).split_whitespace().collect::<Vec<_>>().join(" ");
                if refused.status.success() || !flat.contains("terraform import") {
                    return fail(&log, format!("an apply after state rm did not point at import:\n{flat}"));
                }
                if w.setups().await != snapshot {
                    return fail(&log, "an apply after state rm changed AWS".into());
                }
                let lb = w.aws.elb.describe_load_balancers().names("model").send().await;
                let arn = lb
                    .ok()
                    .and_then(|l| l.load_balancers().first().and_then(|l| l.load_balancer_arn().map(str::to_owned)));
                match arn {
                    Some(arn) => {
                        let out = ws.terraform(&["import", "-no-color", "kafka_privatelink.k", &arn]);
                        if out.status.success() {
                            apply(&ws, &[])
                        } else {
                            Err(format!("import failed:\n{}", text(&out)))
                        }
                    }
                    None => Err("no load balancer named model to import".into()),
                }
            }
            Action::SavedPlan(event) => {
                // A pipeline: the plan is saved and reviewed, AWS moves,
                // then exactly that file is applied. It keeps the plan's
                // word or refuses before any write; never Terraform's
                // "inconsistent result".
                let plan = ws.terraform(&["plan", "-no-color", "-out=saved.tfplan"]);
                if plan.status.success() {
                    let what = if event % 3 == 0 {
                        connect_consumer(&mut w, &c, event).await
                    } else {
                        out_of_band(&mut w, &c, event / 3).await
                    };
                    log.push(format!("  (between the saved plan and its apply: {what})"));
                    // a refusal is judged against the world as it moved
                    snapshot = w.setups().await;
                    w.proxy.reset_counts();
                    let out = ws.terraform(&["apply", "-no-color", "saved.tfplan"]);
                    let said = text(&out).split_whitespace().collect::<Vec<_>>().join(" ");
                    let written = w.proxy.writes();
                    if said.contains("inconsistent") || said.contains("bug in the provider") {
                        return fail(&log, format!("the saved plan's apply broke Terraform's rules:\n{said}"));
                    }
                    // Either way, what moved after the plan is the next
                    // plan's to repair.
                    match (out.status.success(), said.contains("Plan out of date")) {
                        (true, _) => apply(&ws, &[]),
                        (false, true) if written.is_empty() => apply(&ws, &[]),
                        (false, true) => return fail(&log, format!("a refused saved plan wrote {written:?}")),
                        (false, false) => Err(said),
                    }
                } else {
                    Err(text(&plan))
                }
            }
            Action::SecondState => {
                // Another state of the same name tries to create: refused,
                // nothing changed. Its apply happens in a workspace of its own.
                let second = Workspace::new(&main_tf).with_aws_endpoint(&w.proxy.url);
                let out = second.terraform(&["apply", "-auto-approve", "-no-color"]);
                if out.status.success() {
                    Err("a second state of the same name was allowed to create".into())
                } else if w.setups().await != snapshot {
                    Err(format!("the refused second state changed AWS:\n{}", text(&out)))
                } else {
                    apply(&ws, &[])
                }
            }
        };
        match result {
            Ok(()) => {}
            Err(out) if REFUSALS.iter().any(|r| out.split_whitespace().collect::<Vec<_>>().join(" ").contains(r)) => {
                if w.setups().await != snapshot {
                    return fail(&log, format!("a refused apply changed AWS:\n{out}"));
                }
                log.push("  (refused, undone)".into());
                c = before;
                ws.write("main.tf", &w.hcl(&c, n).await);
                if let Err(out) = apply(&ws, &[]) {
                    return fail(&log, format!("the undone configuration does not apply:\n{out}"));
                }
            }
            Err(out) => return fail(&log, format!("the apply failed:\n{out}")),
        }
        if c.external {
            let calls = w.proxy.target_calls();
            if !calls.is_empty() {
                return fail(&log, format!("the provider called {calls:?} while another actor registers"));
            }
            w.controller(&c, &ws).await;
        }
        if let Err(what) = check(&mut w, &ws, &c, &mut ports, &moved).await {
            return fail(&log, what);
        }
    }
    // The consumers go first (destroy refuses while they are connected).
    for (service, endpoint, owner) in &w.consumers {
        w.proxy.connect(service, endpoint, owner, "deleted");
    }
    let out = ws.terraform(&["destroy", "-auto-approve", "-no-color"]);
    if !out.status.success() {
        return fail(&log, format!("destroy failed:\n{}", text(&out)));
    }
    let spread: Vec<String> = w.setups().await.into_keys().filter(|n| n != "model").collect();
    if !spread.is_empty() {
        return fail(&log, format!("destroy left load balancers {spread:?}"));
    }
    // A load balancer last given by `load_balancer_arn` is only borrowed:
    // destroy takes away what the resource put on it, and leaves it.
    match (w.setup_named("model").await, &c.adopt) {
        (None, None) => {}
        (Some(left), Some(arn)) if left.is_empty() => {
            w.aws.elb.delete_load_balancer().load_balancer_arn(arn).send().await.unwrap();
        }
        (Some(left), Some(_)) => {
            return fail(&log, format!("destroy left listeners on the adopted load balancer: {left:?}"));
        }
        (Some(_), None) => return fail(&log, "destroy left the load balancer".into()),
        (None, Some(_)) => return fail(&log, "destroy deleted a load balancer it had only adopted".into()),
    }
    let left: Vec<String> = w
        .aws
        .elb
        .describe_target_groups()
        .send()
        .await
        .unwrap()
        .target_groups()
        .iter()
        .filter_map(|t| t.target_group_name().filter(|n| n.starts_with("model-")).map(str::to_owned))
        .collect();
    if !left.is_empty() {
        return fail(&log, format!("destroy left target groups {left:?}"));
    }
    if w.setup_named("other").await.as_ref() != Some(&w.other_before) {
        return fail(&log, "the other state's setup changed".into());
    }
    w.other.ok(&["destroy", "-auto-approve", "-no-color"]);
    Ok(())
}

enum Action {
    Apply,
    /// `terraform plan -out`, an event in the world (its argument), then
    /// the apply of the saved file.
    SavedPlan(u64),
    Replace,
    Crash(u32),
    Reimport,
    SecondState,
}

fn apply(ws: &Workspace, extra: &[&str]) -> Result<(), String> {
    let mut args = vec!["apply", "-auto-approve", "-no-color"];
    args.extend_from_slice(extra);
    let out = ws.terraform(&args);
    if out.status.success() { Ok(()) } else { Err(text(&out)) }
}

/// How many kinds of edits and events there are.
const KINDS: u64 = 40;

/// Turns `step` into an edit of `c` or an event in the world.
async fn apply_step(w: &mut World, c: &mut Config, step: Step) -> (String, Action) {
    let a = step.arg;
    let broker = c.nth_broker(a);
    let describe = |s: &str| (s.to_owned(), Action::Apply);
    match step.kind % KINDS {
        0 if c.brokers.len() < 5 => {
            let id = c.next_id;
            c.next_id += 1;
            let (subnet, host) = c.free_address(a);
            let by_instance = c.brokers.values().any(|b| b.by_instance);
            c.brokers.insert(id, Broker { subnet, host, by_instance, port: None, listener_port: None });
            describe(&format!("add broker {id}"))
        }
        1 if c.brokers.len() > 1 => {
            let id = broker.unwrap_or_default();
            c.brokers.remove(&id);
            describe(&format!("remove broker {id}"))
        }
        2 if broker.is_some() => {
            let old = broker.unwrap_or_default();
            let b = c.brokers.remove(&old).unwrap();
            let id = c.next_id;
            c.next_id += 1;
            c.brokers.insert(id, Broker { listener_port: None, ..b });
            describe(&format!("replace broker {old} by broker {id} at the same address"))
        }
        3 if broker.is_some() => {
            let (subnet, host) = c.free_address(a / 7);
            let b = c.brokers.get_mut(&broker.unwrap_or_default()).unwrap();
            b.subnet = subnet;
            b.host = host;
            describe(&format!("broker {} moves to a new address", broker.unwrap_or_default()))
        }
        4 if broker.is_some() => {
            let port = [9092u16, 9093, 9094][a as usize % 3];
            c.brokers.get_mut(&broker.unwrap_or_default()).unwrap().port = Some(port);
            describe(&format!("broker {} listens on {port}", broker.unwrap_or_default()))
        }
        5 if broker.is_some() => {
            let port = 9001 + (a % 12) as u16;
            c.brokers.get_mut(&broker.unwrap_or_default()).unwrap().listener_port = Some(port);
            describe(&format!("pin broker {} to listener port {port}", broker.unwrap_or_default()))
        }
        6 if broker.is_some() => {
            c.brokers.get_mut(&broker.unwrap_or_default()).unwrap().listener_port = None;
            describe(&format!("unpin broker {}", broker.unwrap_or_default()))
        }
        7 => {
            let to = !c.brokers.values().any(|b| b.by_instance);
            for b in c.brokers.values_mut() {
                b.by_instance = to;
            }
            describe(if to { "every broker by instance_id" } else { "every broker by ip" })
        }
        8 => {
            c.base = [None, Some(9001), Some(9100)][a as usize % 3];
            describe(&format!("listener_port_base = {:?}", c.base))
        }
        9 => {
            c.bootstrap = match a % 4 {
                0 => None,
                1 => Some((9092, None)),
                2 => Some((9000 + (a % 20) as u16, None)),
                _ => Some((9095, Some(9094))),
            };
            describe(&format!("bootstrap = {:?}", c.bootstrap))
        }
        10 => {
            c.healthy_threshold = [None, Some(2), Some(5)][a as usize % 3];
            describe(&format!("healthy_threshold = {:?}", c.healthy_threshold))
        }
        11 => {
            c.deregistration_delay = [None, Some(0), Some(60)][a as usize % 3];
            describe(&format!("deregistration_delay = {:?}", c.deregistration_delay))
        }
        12 => {
            c.idle_timeout = [None, Some(600), Some(900)][a as usize % 3];
            describe(&format!("tcp_idle_timeout = {:?}", c.idle_timeout))
        }
        13 => {
            c.tags =
                [BTreeMap::new(), BTreeMap::from([("team".to_owned(), format!("t{}", a % 3))])][a as usize % 2].clone();
            describe(&format!("tags = {:?}", c.tags))
        }
        14 => {
            c.default_tags = if a.is_multiple_of(2) {
                BTreeMap::new()
            } else {
                BTreeMap::from([("env".to_owned(), "prod".to_owned())])
            };
            describe(&format!("default_tags = {:?}", c.default_tags))
        }
        15 if c.adopt.is_none() => {
            c.subnets = if c.subnets == 3 { 2 } else { 3 };
            describe(&format!("the load balancer in {} subnets", c.subnets))
        }
        16 if c.adopt.is_none() => {
            c.groups = [BTreeSet::from([0]), BTreeSet::from([1]), BTreeSet::from([0, 1])][a as usize % 3].clone();
            describe(&format!("security groups {:?}", c.groups))
        }
        17 => {
            c.cross_zone = [None, Some(true), Some(false)][a as usize % 3];
            if c.cross_zone == Some(false) {
                c.regions = false;
            }
            describe(&format!("cross_zone_load_balancing = {:?}", c.cross_zone))
        }
        18 => {
            c.acceptance = [None, Some(true), Some(false)][a as usize % 3];
            describe(&format!("acceptance_required = {:?}", c.acceptance))
        }
        19 => {
            c.regions = !c.regions;
            if c.regions && c.cross_zone == Some(false) {
                c.cross_zone = None;
            }
            describe(&format!("supported_regions {}", if c.regions { "on" } else { "off" }))
        }
        20 => {
            let account = ACCOUNTS[a as usize % 3].to_owned();
            if !c.principals.remove(&account) {
                c.principals.insert(account.clone());
            }
            describe(&format!("principals = {:?}", c.principals))
        }
        21 => {
            c.auto_accept = !c.auto_accept;
            describe(&format!("auto_accept = {}", c.auto_accept))
        }
        22 => {
            let what = UNKNOWABLE[a as usize % UNKNOWABLE.len()];
            if !c.unknown.remove(what) {
                c.unknown.insert(what);
            }
            describe(&format!("values unknown at plan: {:?}", c.unknown))
        }
        23 => {
            let what = out_of_band(w, c, a).await;
            (format!("out of band: {what}"), Action::Apply)
        }
        24 => (connect_consumer(w, c, a).await, Action::Apply),
        25 => ("a second state of the same name tries to create".into(), Action::SecondState),
        26 => {
            // an edit, and the apply that makes it killed after a write
            let (edit, _) = Box::pin(apply_step(w, c, Step { kind: edit_kind(a), arg: a / 25 })).await;
            let k = 1 + (a % 7) as u32;
            (format!("{edit}; its apply killed after write {k}"), Action::Crash(k))
        }
        // Import takes one load balancer: a spread setup is not imported.
        27 if c.per.is_none() => ("terraform state rm, apply (refused), then import by ARN".into(), Action::Reimport),
        28 => ("terraform apply -replace".into(), Action::Replace),
        29 if c.per.is_none() => {
            c.adopt =
                match c.adopt.take() {
                    Some(_) => None,
                    None => w.aws.elb.describe_load_balancers().names("model").send().await.ok().and_then(|l| {
                        l.load_balancers().first().and_then(|l| l.load_balancer_arn().map(str::to_owned))
                    }),
                };
            describe(if c.adopt.is_some() { "adopt the load balancer by ARN" } else { "create it again (subnet_ids)" })
        }
        30 if c.adopt.is_none() => {
            // A replacing change under create_before_destroy: refused, since
            // the new setup would need the names the old one holds.
            c.create_before_destroy = true;
            c.subnets = if c.subnets == 3 { 2 } else { 3 };
            describe("create_before_destroy, and a change that replaces the load balancer")
        }
        31 => {
            c.reject_unlisted = !c.reject_unlisted;
            describe(&format!("reject_unlisted = {}", c.reject_unlisted))
        }
        32 => {
            c.reject_connections_on_destroy = !c.reject_connections_on_destroy;
            describe(&format!("reject_connections_on_destroy = {}", c.reject_connections_on_destroy))
        }
        33 => {
            // A consumer deletes its endpoint.
            let gone = (!w.consumers.is_empty()).then(|| w.consumers.remove(a as usize % w.consumers.len()));
            match gone {
                Some((service, endpoint, owner)) => {
                    w.proxy.connect(&service, &endpoint, &owner, "deleted");
                    (format!("consumer {endpoint} deletes its endpoint"), Action::Apply)
                }
                None => ("no consumer to go".into(), Action::Apply),
            }
        }
        34 => {
            c.unmanaged_principals = !c.unmanaged_principals;
            describe(if c.unmanaged_principals { "allowed_principals unset" } else { "allowed_principals set again" })
        }
        35 => {
            // Another manager (a kafka_endpoint_service_principal) allows one.
            let principal = format!("arn:aws:iam::44444444444{}:root", a % 10);
            match w.model_service().await {
                Some(id) => {
                    w.aws
                        .ec2
                        .modify_vpc_endpoint_service_permissions()
                        .service_id(&id)
                        .add_allowed_principals(&principal)
                        .send()
                        .await
                        .unwrap();
                    w.others.insert(principal.clone());
                    (format!("{principal} allowed by another manager"), Action::Apply)
                }
                None => ("no service to allow a principal on".into(), Action::Apply),
            }
        }
        36 => {
            let (edit, _) = Box::pin(apply_step(w, c, Step { kind: edit_kind(a), arg: a / 25 })).await;
            (format!("{edit}, planned with -out"), Action::SavedPlan(a / 7))
        }
        37 if c.adopt.is_none() => {
            c.per = [None, Some(1), Some(2), Some(2)][a as usize % 4];
            describe(&format!("brokers_per_load_balancer = {:?}", c.per))
        }
        38 => {
            c.external = !c.external;
            c.unknown.remove("broker_ip");
            describe(if c.external { "target_registration = external" } else { "target_registration = provider" })
        }
        39 if c.external && broker.is_some() => {
            let id = broker.unwrap_or_default();
            *w.restarts.entry(id).or_default() += 1;
            (format!("the controller restarts broker {id}'s pod at a new address"), Action::Apply)
        }
        _ => ("nothing".into(), Action::Apply),
    }
}

/// An edit of the configuration (kinds 0–22, 37: the spread, and 38: who
/// registers), for the steps that combine one with an event.
fn edit_kind(a: u64) -> u64 {
    match a % 25 {
        23 => 37,
        24 => 38,
        k => k,
    }
}

/// A consumer of an allowed account connects.
async fn connect_consumer(w: &mut World, c: &Config, a: u64) -> String {
    let svc = w.aws.ec2.describe_vpc_endpoint_service_configurations().send().await.unwrap();
    let ids: Vec<String> = svc
        .service_configurations()
        .iter()
        .filter(|s| s.network_load_balancer_arns().iter().any(|a| a.contains("/model/")))
        .filter_map(|s| s.service_id().map(str::to_owned))
        .collect();
    let endpoint = format!("vpce-0model{:010}", a % 1000);
    if w.consumers.iter().any(|(_, e, _)| *e == endpoint) {
        return "a consumer already connected connects again (nothing)".into();
    }
    if let (Some(id), Some(owner)) = (ids.first(), c.principals.iter().next()) {
        w.proxy.connect(id, &endpoint, owner, "pendingAcceptance");
        w.consumers.push((id.clone(), endpoint, owner.clone()));
    }
    "a consumer connects".into()
}

/// One change made behind the resource's back; the next apply repairs it.
async fn out_of_band(w: &mut World, c: &Config, a: u64) -> String {
    let Some(setup) = w.setup_named("model").await else { return "nothing (no load balancer)".into() };
    let Some((&port, (group, targets))) = setup.iter().nth(a as usize % setup.len().max(1)) else {
        return "nothing (no listener)".into();
    };
    let lbs = w.aws.elb.describe_load_balancers().names("model").send().await.unwrap();
    let lb = lbs.load_balancers()[0].load_balancer_arn().unwrap().to_owned();
    let groups = w.aws.elb.describe_target_groups().names(group).send().await.unwrap();
    let tg = groups.target_groups()[0].target_group_arn().unwrap().to_owned();
    match a % 5 {
        4 if w.consumers.is_empty() && c.adopt.is_none() => {
            // AWS deletes a load balancer only once no service fronts it.
            let svcs = w.aws.ec2.describe_vpc_endpoint_service_configurations().send().await.unwrap();
            for svc in svcs.service_configurations().iter().filter(|s| s.network_load_balancer_arns().contains(&lb)) {
                let id = svc.service_id().unwrap_or_default();
                w.aws.ec2.delete_vpc_endpoint_service_configurations().service_ids(id).send().await.unwrap();
            }
            w.aws.elb.delete_load_balancer().load_balancer_arn(&lb).send().await.unwrap();
            "the endpoint service and the load balancer deleted".into()
        }
        0 => {
            let listeners = w.aws.elb.describe_listeners().load_balancer_arn(&lb).send().await.unwrap();
            let arn =
                listeners.listeners().iter().find(|l| l.port() == Some(i32::from(port))).and_then(|l| l.listener_arn());
            w.aws.elb.delete_listener().listener_arn(arn.unwrap_or_default()).send().await.unwrap();
            format!("listener {port} deleted")
        }
        1 if !c.brokers.values().any(|b| b.by_instance) => {
            let stray = format!("{}.250", w.net.subnets[0].prefix);
            let t = aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder().id(&stray).port(9092).build();
            w.aws.elb.register_targets().target_group_arn(&tg).targets(t).send().await.unwrap();
            format!("stray target {stray} registered in {group}")
        }
        2 => {
            for t in targets {
                let (id, p) = t.rsplit_once(':').unwrap_or_default();
                let d = aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                    .id(id)
                    .port(p.parse().unwrap_or(9092))
                    .build();
                w.aws.elb.deregister_targets().target_group_arn(&tg).targets(d).send().await.unwrap();
            }
            format!("{group}'s targets deregistered")
        }
        _ => {
            w.aws
                .elb
                .remove_tags()
                .resource_arns(&tg)
                .tag_keys("kafka-privatelink:owner")
                .tag_keys("kafka-privatelink:instance")
                .send()
                .await
                .unwrap();
            format!("{group}'s ownership tags stripped")
        }
    }
}

/// The invariants after a step.
async fn check(
    w: &mut World,
    ws: &Workspace,
    c: &Config,
    ports: &mut BTreeMap<u32, (u16, String)>,
    moved: &BTreeSet<u32>,
) -> Result<(), String> {
    let plan = ws.terraform(&["plan", "-detailed-exitcode", "-no-color"]);
    if plan.status.code() != Some(0) {
        return Err(format!("the next plan is not empty:\n{}", text(&plan)));
    }
    let brokers = ws.output("brokers");
    let setups = w.setups().await;
    if c.brokers.is_empty() {
        return Err("the model has no brokers left to check".into());
    }
    // Where the state places each broker; the first load balancer holds the
    // bootstrap listener.
    let listed = ws.output("load_balancers");
    let listed = listed.as_array().ok_or("load_balancers is not a list")?;
    let first = listed.first().and_then(|l| l["name"].as_str()).ok_or("no load balancer listed")?.to_owned();
    let mut behind: BTreeMap<u32, String> = BTreeMap::new();
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for lb in listed {
        let name = lb["name"].as_str().unwrap_or_default().to_owned();
        let ids = lb["broker_ids"].as_array().cloned().unwrap_or_default();
        if let Some(per) = c.per
            && ids.len() > per as usize
        {
            return Err(format!("{name} holds {} brokers, more than {per}", ids.len()));
        }
        for id in &ids {
            behind.insert(id.as_str().unwrap_or_default().parse().unwrap_or_default(), name.clone());
        }
        expected.insert(name.clone(), ids.len() + usize::from(name == first && c.bootstrap.is_some()));
    }
    if c.per.is_none() && listed.len() != 1 {
        return Err(format!("{} load balancers without brokers_per_load_balancer", listed.len()));
    }
    let names: BTreeSet<&String> = setups.keys().collect();
    if names != expected.keys().collect::<BTreeSet<_>>() {
        return Err(format!("load balancers in AWS {names:?}, in the state {:?}", expected.keys()));
    }
    let services = w.model_services().await;
    let fronted: BTreeSet<&String> = services.iter().map(|(lb, _)| lb).collect();
    if fronted != names || services.len() != names.len() {
        return Err(format!("endpoint services {services:?} for load balancers {names:?}"));
    }
    let mut now = BTreeMap::new();
    for (id, b) in &c.brokers.clone() {
        let port = brokers[id.to_string()]["listener_port"]
            .as_u64()
            .ok_or(format!("broker {id} has no listener port"))? as u16;
        if let Some(pinned) = b.listener_port
            && pinned != port
        {
            return Err(format!("broker {id} is pinned to {pinned} but has {port}"));
        }
        let lb = behind.get(id).ok_or(format!("broker {id} is behind no load balancer"))?;
        if let Some((was, was_lb)) = ports.get(id)
            && !moved.contains(id)
            && (*was != port || was_lb != lb)
        {
            return Err(format!("broker {id} moved from {was_lb}:{was} to {lb}:{port}"));
        }
        let target = w.target_of(c, *id, b).await;
        let want = BTreeSet::from([format!("{target}:{}", b.port.unwrap_or(9092))]);
        let setup = &setups[lb];
        match setup.get(&port) {
            Some((_, targets)) if *targets == want => {}
            other => return Err(format!("listener {lb}:{port} of broker {id} serves {other:?}, not {want:?}")),
        }
        // Group names never lie: broker N's group is named for broker N.
        let name = &setup[&port].0;
        if !name.starts_with(&format!("model-b{id}-")) && !name.starts_with(&format!("model-i{id}-")) {
            return Err(format!("broker {id} is served by a group named {name}"));
        }
        now.insert(*id, (port, lb.clone()));
    }
    for (lb, want) in &expected {
        if setups[lb].len() != *want {
            return Err(format!("{lb} has {} listeners where {want} are wanted: {:?}", setups[lb].len(), setups[lb]));
        }
    }
    let setup = &setups[&first];
    if let Some((port, target)) = c.bootstrap {
        let mut want = BTreeSet::new();
        for (id, b) in &c.brokers {
            let t = w.target_of(c, *id, b).await;
            want.insert(format!("{t}:{}", target.or(b.port).unwrap_or(9092)));
        }
        match setup.get(&port) {
            Some((_, targets)) if *targets == want => {}
            other => return Err(format!("the bootstrap listener {port} serves {other:?}, not {want:?}")),
        }
    }
    let names: BTreeSet<&String> = setups.values().flat_map(|s| s.values().map(|(n, _)| n)).collect();
    let listeners: usize = setups.values().map(BTreeMap::len).sum();
    if names.len() != listeners {
        return Err(format!("a target group is behind two listeners: {setups:?}"));
    }
    let expected = c.brokers.len() + usize::from(c.bootstrap.is_some());
    let groups = w.aws.elb.describe_target_groups().send().await.unwrap();
    let ours: Vec<&str> = groups
        .target_groups()
        .iter()
        .filter_map(|t| t.target_group_name())
        .filter(|n| n.starts_with("model-"))
        .collect();
    if ours.len() != expected {
        return Err(format!("target groups left over or missing: {ours:?} for {expected} listeners"));
    }
    if w.setup_named("other").await.as_ref() != Some(&w.other_before) {
        return Err("the other state's setup changed".into());
    }
    // Set, allowed_principals is the whole list; unset, nobody's principal
    // is removed.
    for (_, id) in w.model_services().await {
        let out = w.aws.ec2.describe_vpc_endpoint_service_permissions().service_id(&id).send().await.unwrap();
        let held: BTreeSet<String> =
            out.allowed_principals().iter().filter_map(|p| p.principal()).map(str::to_owned).collect();
        if c.unmanaged_principals {
            if !w.others.is_subset(&held) {
                return Err(format!("principals another manager allowed were removed: {:?} not in {held:?}", w.others));
            }
        } else {
            let want: BTreeSet<String> = c.principals.iter().map(|a| format!("arn:aws:iam::{a}:root")).collect();
            if held != want {
                return Err(format!("the service allows {held:?}, the configuration {want:?}"));
            }
        }
    }
    if !c.unmanaged_principals {
        w.others.clear();
    }
    *ports = now;
    Ok(())
}

/// A sequence starts by choosing `brokers_per_load_balancer` (mostly set:
/// most sequences run over several load balancers), then — every other
/// sequence — hands the targets to the controller, then edits and events.
fn generate(seed: u64, length: u64) -> Vec<Step> {
    let mut rng = Rng::new(seed);
    let spread = Step { kind: 37, arg: rng.next() % 1_000_000 };
    let external = rng.below(2) == 0;
    let opening = std::iter::once(spread).chain(external.then_some(Step { kind: 38, arg: 0 }));
    opening
        .chain((1..length).map(|_| Step { kind: rng.below(KINDS), arg: rng.next() % 1_000_000 }))
        .take(length as usize)
        .collect()
}

#[tokio::test]
async fn random_edits_of_the_whole_resource_and_its_world_keep_every_invariant() {
    let d = Drive { name: "model test", prefix: "MODEL", seed: 0x5eed_2026, steps: 7 };
    drive(d, generate, |steps| async move { run(&steps).await }).await;
}

/// Pipelines: every step an edit planned with `-out`, then an event in the
/// world (an out-of-band change, a consumer arriving), then the saved file
/// applied. `SAVED_SEED`, `SAVED_RUNS` (default 1), `SAVED_STEPS` (default 5).
#[tokio::test]
async fn random_saved_plans_applied_after_the_world_moved_keep_their_word_or_refuse() {
    let saved = |seed: u64, length: u64| {
        let mut rng = Rng::new(seed);
        (0..length).map(|_| Step { kind: 36, arg: rng.next() % 1_000_000 }).collect::<Vec<_>>()
    };
    let d = Drive { name: "saved-plan model", prefix: "SAVED", seed: 0x5a7e_d001, steps: 5 };
    drive(d, saved, |steps| async move { run(&steps).await }).await;
}

#[test]
fn generated_sequences_are_reproducible_and_cover_every_kind() {
    let a = generate(42, 500);
    assert_eq!(a, generate(42, 500), "the same seed, the same sequence");
    assert_ne!(a, generate(43, 500));
    let kinds: BTreeSet<u64> = a.iter().map(|s| s.kind).collect();
    assert_eq!(kinds.len() as u64, KINDS, "every kind of edit and event occurs: {kinds:?}");
    // Short sequences too run with the controller registering, often.
    let external = (0..100).filter(|seed| generate(*seed, 7)[1].kind == 38).count();
    assert!((30..=70).contains(&external), "{external} of 100 sequences hand the targets to the controller");
}
