//! `make bench`, part three: the AWS calls one `kafka_privatelink` costs
//! under the real Terraform, counted by the test proxy in front of moto —
//! `terraform apply` of a new setup, a `terraform plan` with nothing to do,
//! and `terraform destroy` — beside the targets 3N+16, N+8 and 2N+14.

#[path = "../tests/e2e/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use common::aws::Aws;
use common::{HEADER, Moto, Workspace};

fn total(counts: &std::collections::BTreeMap<String, u64>) -> u64 {
    counts.values().sum()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("AWS calls of one kafka_privatelink under Terraform 1.15.5 (against moto)\n");
    println!(
        "{:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8}",
        "brokers", "create", "3N+16", "no-op", "N+8", "destroy", "2N+14"
    );
    for n in [3u64, 24, 48] {
        let moto = Moto::start();
        let aws = Aws::new(&moto).await;
        let net = aws.network(0).await;
        let brokers: String = (0..n)
            .map(|i| format!("    \"{}\" = {{ ip = \"{}.{}\" }}\n", i + 1, net.subnets[(i % 3) as usize].2, 10 + i))
            .collect();
        let ws = Workspace::new(&format!(
            r#"{HEADER}
resource "kafka_privatelink" "k" {{
  name       = "bench{n}"
  vpc_id     = "{vpc}"
  subnet_ids = {subnets}
  brokers = {{
{brokers}  }}
  endpoint_service {{
    allowed_principals = ["arn:aws:iam::123456789012:root"]
  }}
}}
"#,
            vpc = net.vpc,
            subnets = net.subnet_ids_hcl(),
        ))
        .with_moto(&moto);
        let proxy = moto.proxy();
        proxy.reset_counts();
        ws.apply();
        let create = total(&proxy.counts());
        proxy.reset_counts();
        ws.ok(&["plan", "-detailed-exitcode", "-no-color"]);
        let noop_counts = proxy.counts();
        let noop = total(&noop_counts);
        proxy.reset_counts();
        ws.ok(&["destroy", "-auto-approve", "-no-color"]);
        let destroy_counts = proxy.counts();
        let destroy = total(&destroy_counts);
        println!("{n:>8} {create:>8} {:>8} {noop:>9} {:>8} {destroy:>8} {:>8}", 3 * n + 16, n + 8, 2 * n + 14);
        if std::env::var_os("BENCH_DETAIL").is_some() {
            println!("         destroy: {destroy_counts:?}");
            println!("         no-op:   {noop_counts:?}");
        }
    }
}
