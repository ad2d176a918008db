//! `make bench`, part three: the AWS calls one `kafka_privatelink` costs
//! under the real Terraform, counted by the test proxy in front of moto —
//! `terraform apply` of a new setup, a `terraform plan` with nothing to do,
//! and `terraform destroy` — beside the targets 3N+16, N+7+⌈(N+1)/20⌉ and
//! 2N+14, with AWS behaving as moto does (no extra call is paid for the
//! eventual-consistency handling). Then how long a create takes when every
//! AWS call takes 25 ms, with AWS's eventual consistency and in-flight
//! states on (tests/support/fault_proxy.py, "AWS BEHAVIOURS") and off.
//! Then a cluster spread over several load balancers
//! (`brokers_per_load_balancer`): the calls of N = 60 brokers over 2 and
//! over 60 load balancers beside 3N+7S+13, N+4S+3+⌈(N+S)/20⌉ and
//! 2N+8S+4+⌈(N+S)/20⌉ (S load balancers), and how long a create of S load
//! balancers takes while each new one stays `provisioning` for a while:
//! about as long as one, since they are created and awaited concurrently.
//! Last, `target_registration = "external"` beside the provider's own
//! registration at N = 48: no target call, nothing else added.

// A scenario reads best in one piece: the function-length lint is for src.
#![allow(clippy::too_many_lines)]
// Tests and benches time external processes (Terraform, moto) by the wall
// clock: std's Instant is right here, unlike in src (clippy.toml).
#![allow(clippy::disallowed_types)]

#[path = "../tests/e2e/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use common::aws::{Aws, Network};
use common::{HEADER, Moto, Workspace};

fn total(counts: &std::collections::BTreeMap<String, u64>) -> u64 {
    counts.values().sum()
}

/// A configuration of `n` brokers named `name`, with listener attributes
/// when `idle_timeout` (a call per listener on create and on every refresh).
fn config(net: &Network, name: &str, n: u64, idle_timeout: bool) -> String {
    spread_config(net, name, n, idle_timeout, None, false)
}

/// [`config`], `per` brokers to a load balancer when given, the targets
/// another actor's when `external` (brokers then named by port only).
fn spread_config(net: &Network, name: &str, n: u64, idle_timeout: bool, per: Option<u64>, external: bool) -> String {
    let brokers: String = (0..n)
        .map(|i| match external {
            true => format!("    \"{}\" = {{ port = 9092 }}\n", i + 1),
            false => {
                format!("    \"{}\" = {{ ip = \"{}.{}\" }}\n", i + 1, net.subnets[(i % 3) as usize].prefix, 10 + i)
            }
        })
        .collect();
    format!(
        r#"{HEADER}
resource "kafka_privatelink" "k" {{
  name       = "{name}"
  vpc_id     = "{vpc}"
  subnet_ids = {subnets}
{registration}
{idle}
  brokers = {{
{brokers}  }}
  endpoint_service {{
    allowed_principals = ["arn:aws:iam::123456789012:root"]
  }}
}}
"#,
        vpc = net.vpc,
        subnets = net.subnet_ids_hcl(),
        registration = if external { "  target_registration = \"external\"" } else { "" },
        idle = match (idle_timeout, per) {
            (true, _) => "  tcp_idle_timeout = 600".to_owned(),
            (false, Some(per)) => format!("  brokers_per_load_balancer = {per}"),
            (false, None) => String::new(),
        },
    )
}

/// AWS calls by operation.
type Counts = std::collections::BTreeMap<String, u64>;

/// Create, no-op plan and destroy of `config`: their AWS calls.
async fn lifecycle(config: impl Fn(&Network) -> String) -> (Counts, Counts, Counts) {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let ws = Workspace::new(&config(&net)).with_moto(&moto);
    let proxy = moto.proxy();
    proxy.reset_counts();
    ws.apply();
    let create = proxy.counts();
    proxy.reset_counts();
    ws.ok(&["plan", "-detailed-exitcode", "-no-color"]);
    let noop = proxy.counts();
    proxy.reset_counts();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    (create, noop, proxy.counts())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("AWS calls of one kafka_privatelink under Terraform 1.15.5 (against moto)\n");
    println!(
        "{:>8} {:>8} {:>8} {:>9} {:>16} {:>8} {:>8}",
        "brokers", "create", "3N+16", "no-op", "N+7+⌈(N+1)/20⌉", "destroy", "2N+14"
    );
    for n in [3u64, 24, 48] {
        let (create, noop_counts, destroy_counts) = lifecycle(|net| config(net, &format!("bench{n}"), n, false)).await;
        let (create, noop, destroy) = (total(&create), total(&noop_counts), total(&destroy_counts));
        let noop_target = n + 7 + (n + 1).div_ceil(20);
        println!("{n:>8} {create:>8} {:>8} {noop:>9} {noop_target:>16} {destroy:>8} {:>8}", 3 * n + 16, 2 * n + 14);
        if std::env::var_os("BENCH_DETAIL").is_some() {
            println!("         destroy: {destroy_counts:?}");
            println!("         no-op:   {noop_counts:?}");
        }
    }

    println!(
        "\nA create (tcp_idle_timeout set) at 25 ms an AWS call, AWS's behaviours off and on (seconds, AWS calls)\n"
    );
    println!("{:>8} {:>10} {:>8} {:>10} {:>8}", "brokers", "as moto", "calls", "as AWS", "calls");
    let as_aws = serde_json::json!({
        "latency_ms": 25, "invisible": 1, "provisioning": 2, "impaired": 1, "pending": 2, "stale_accept": 1,
    });
    for n in [3u64, 12, 48] {
        let mut row = Vec::new();
        for behaviours in [serde_json::json!({"latency_ms": 25}), as_aws.clone()] {
            let moto = Moto::start();
            let aws = Aws::new(&moto).await;
            let net = aws.network(0).await;
            let ws = Workspace::new(&config(&net, &format!("time{n}"), n, true)).with_moto(&moto);
            let proxy = moto.proxy();
            proxy.reset_counts();
            proxy.aws(&behaviours);
            let started = std::time::Instant::now();
            ws.apply();
            let took = started.elapsed().as_secs_f64();
            proxy.aws(&serde_json::json!({}));
            let calls = total(&proxy.counts().into_iter().filter(|(k, _)| !k.starts_with("aws:")).collect());
            row.push((took, calls));
        }
        println!("{n:>8} {:>10.1} {:>8} {:>10.1} {:>8}", row[0].0, row[0].1, row[1].0, row[1].1);
    }
    spread().await;
    external().await;
}

/// `target_registration = "external"` at N = 48 beside the same setup
/// registered by the provider: the same reads, and no target call at all.
async fn external() {
    println!("\nN = 48 brokers, targets registered by the provider and by another actor, AWS calls\n");
    println!("{:>10} {:>8} {:>8} {:>8} {:>14}", "targets", "create", "no-op", "destroy", "target calls");
    let n = 48u64;
    for external in [false, true] {
        let (create, noop, destroy) = lifecycle(|net| spread_config(net, "registered", n, false, None, external)).await;
        let calls = |c: &Counts| {
            c.iter()
                .filter(|(k, _)| k.ends_with(":RegisterTargets") || k.ends_with(":DeregisterTargets"))
                .map(|(_, n)| n)
                .sum::<u64>()
        };
        println!(
            "{:>10} {:>8} {:>8} {:>8} {:>14}",
            if external { "external" } else { "provider" },
            total(&create),
            total(&noop),
            total(&destroy),
            calls(&create) + calls(&noop) + calls(&destroy),
        );
    }
}

/// Several load balancers: the calls at N = 60, and the time a create of
/// S load balancers takes while each stays `provisioning` for a while.
async fn spread() {
    println!("\nN = 60 brokers over S load balancers (brokers_per_load_balancer = 60 / S), AWS calls\n");
    println!(
        "{:>4} {:>8} {:>10} {:>8} {:>18} {:>8} {:>20}",
        "S", "create", "3N+7S+13", "no-op", "N+4S+3+⌈(N+S)/20⌉", "destroy", "2N+8S+4+⌈(N+S)/20⌉"
    );
    let n = 60u64;
    for s in [2u64, 60] {
        let (create, noop, destroy) =
            lifecycle(|net| spread_config(net, &format!("spread{s}"), n, false, Some(n / s), false)).await;
        let (create, noop, destroy) = (total(&create), total(&noop), total(&destroy));
        let batch = (n + s).div_ceil(20);
        println!(
            "{s:>4} {create:>8} {:>10} {noop:>9} {:>18} {destroy:>8} {:>20}",
            3 * n + 7 * s + 13,
            n + 4 * s + 3 + batch,
            2 * n + 8 * s + 4 + batch
        );
    }
    println!(
        "\nA create of S load balancers (one broker each) at 25 ms an AWS call, each new load balancer read as \
         `provisioning` 3 times before it is active (seconds)\n"
    );
    println!("{:>4} {:>10} {:>14}", "S", "create", "S × (S = 1)");
    let mut one = 0.0;
    for s in [1u64, 6, 24] {
        let moto = Moto::start();
        let aws = Aws::new(&moto).await;
        let net = aws.network(0).await;
        let ws = Workspace::new(&spread_config(&net, &format!("slow{s}"), s, false, Some(1), false)).with_moto(&moto);
        let proxy = moto.proxy();
        proxy.aws(&serde_json::json!({"latency_ms": 25, "provisioning": 3}));
        let started = std::time::Instant::now();
        ws.apply();
        let took = started.elapsed().as_secs_f64();
        proxy.aws(&serde_json::json!({}));
        if s == 1 {
            one = took;
        }
        println!("{s:>4} {took:>10.1} {:>14.1}", one * s as f64);
    }
}
