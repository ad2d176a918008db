//! The `provider "kafka"` block under the real Terraform: bad settings are
//! caught before anything runs, and secrets never reach any log.

use serde_json::json;

use crate::common::hcl::{Block, faults};
use crate::common::{Moto, Stage, Workspace};

fn workspace(provider_block: &str) -> Workspace {
    Workspace::new(&format!(
        r#"
terraform {{
  required_providers {{
    kafka = {{ source = "kafka-privatelink/kafka" }}
  }}
}}

{provider_block}

data "kafka_advertised_listeners" "x" {{
  brokers = {{ "1" = {{ availability_zone_id = "use1-az1", host = "k1.example.com" }} }}
}}

output "b" {{ value = data.kafka_advertised_listeners.x.bootstrap_servers }}
"#
    ))
}

#[test]
fn every_documented_argument_is_accepted() {
    let moto = Moto::start();
    let ws = workspace(&format!(
        r#"
provider "kafka" {{
  region                   = "us-east-1"
  profile                  = "default"
  shared_config_files      = ["/nonexistent/config"]
  shared_credentials_files = ["/nonexistent/credentials"]
  access_key               = "AKIDEXAMPLE"
  secret_key               = "not-a-real-secret"
  token                    = "not-a-real-token"
  max_retries              = 5
  assume_role {{
    role_arn     = "arn:aws:iam::123456789012:role/admin"
    session_name = "ci"
    external_id  = "ext"
    duration     = "1h"
  }}
  endpoints {{
    ec2   = "{0}"
    elbv2 = "{0}"
    sts   = "{0}"
  }}
  default_tags {{
    tags = {{ team = "data" }}
  }}
}}
"#,
        moto.url
    ));
    ws.apply();
    assert_eq!(ws.output("b"), "k1.example.com:39092");
}

#[test]
fn bad_settings_fail_at_plan_with_their_attribute() {
    let cases: &[(&str, &str)] = &[
        (r#"region = "us-east""#, "Invalid region"),
        (r#"max_retries = -1"#, "Invalid retry count"),
        (r#"access_key = "AKIDEXAMPLE""#, "Missing secret_key"),
        ("assume_role {\n    role_arn = \"arn:aws:iam::12:role/x\"\n  }", "Invalid role ARN"),
        (
            "assume_role {\n    role_arn = \"arn:aws:iam::123456789012:role/x\"\n    duration = \"1 hour\"\n  }",
            "Invalid duration",
        ),
        ("assume_role {\n    session_name = \"x\"\n  }", "Missing role ARN"),
        ("endpoints {\n    ec2 = \"localhost:5000\"\n  }", "Invalid endpoint URL"),
    ];
    for (arg, summary) in cases {
        let ws = workspace(&format!("provider \"kafka\" {{\n  {arg}\n}}\n"));
        let (ok, lines) = ws.plan_json();
        assert!(!ok, "{arg}: plan must fail");
        let diags = crate::common::diagnostics(&lines);
        assert!(diags.iter().any(|d| d.summary == *summary), "{arg}: expected {summary:?}, got {diags:?}");
    }
}

#[test]
fn secrets_never_reach_the_logs() {
    let ws = workspace(
        r#"
provider "kafka" {
  region     = "us-east-1"
  access_key = "AKIDLOGCHECK"
  secret_key = "SECRET-must-not-leak-7f3a"
  token      = "TOKEN-must-not-leak-91bc"
}
"#,
    )
    .env("TF_LOG", "trace");
    let out = ws.terraform(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("provider.terraform-provider-kafka"), "provider logs are visible at TF_LOG=trace");
    let start = all.lines().find(|l| l.contains("starting terraform-provider-kafka")).expect("the startup line");
    assert!(
        start.contains(&format!("version={}", env!("CARGO_PKG_VERSION"))) && start.contains("protocol=6.0"),
        "the startup line names version and protocol: {start}"
    );
    for secret in ["SECRET-must-not-leak-7f3a", "TOKEN-must-not-leak-91bc"] {
        assert!(!all.contains(secret), "{secret} appeared in the output");
    }
    let state = std::fs::read_to_string(ws.path().join("terraform.tfstate")).unwrap();
    assert!(!state.contains("SECRET-must-not-leak"), "provider secrets are not stored in state");
}

#[tokio::test]
async fn max_retries_in_the_provider_block_is_honoured() {
    let stage = Stage::new().await;
    let (proxy, aws, net) = (&stage.proxy, &stage.aws, &stage.net);
    // Every second call is throttled: one retry is always enough, none is not.
    proxy.rules(&json!([{"action": "*", "code": "Throttling", "every": 2}]));
    let retries = |n: u32| faults(net, 1).provider(|p| p.set("max_retries", n)).to_string();
    let ws = Workspace::new(&retries(0)).with_aws_endpoint(&proxy.url);
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.contains("Throttling"), "{out}");
    ws.write("main.tf", &retries(1));
    ws.apply();
    assert_eq!(aws.snapshot().await.routes().len(), 1);
}

/// Every value the provider calls sensitive (`resources::SENSITIVE`, the one
/// list) is set to a value of its own; a whole pipeline (a saved plan, its
/// apply, a refresh, a destroy) runs at `TF_LOG=trace`, and none of them
/// shows up in any output, log or state. (`terraform show -json` prints
/// every value, sensitive variables included, by Terraform's own design.)
#[tokio::test]
async fn sensitive_values_appear_nowhere() {
    let stage = Stage::new().await;
    let values: Vec<(&str, String)> = terraform_provider_kafka::resources::SENSITIVE
        .iter()
        .map(|path| {
            let name = path.strip_prefix("provider.").expect("only the provider block holds sensitive values");
            (name, format!("LEAKCHECK{}{}", name.to_uppercase().replace('_', ""), "7f3a91bc"))
        })
        .collect();
    assert!(!values.is_empty());
    // As a pipeline passes them: sensitive variables set from the
    // environment (a literal in the configuration would be shown by
    // Terraform itself, in `terraform show -json`'s configuration).
    let mut config = faults(&stage.net, 2).provider(|mut p| {
        for (name, _) in &values {
            p = p.set(name, format!("var.{name}"));
        }
        p
    });
    for (name, _) in &values {
        config = config.with(Block::labeled("variable", name).set("sensitive", "true"));
    }
    let mut ws = stage.workspace(&config.to_string()).env("TF_LOG", "trace");
    for (name, value) in &values {
        ws = ws.env(&format!("TF_VAR_{name}"), value);
    }
    let run = |args: &[&str]| {
        let out = ws.terraform(args);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "terraform {args:?} failed:\n{text}");
        text
    };
    let mut seen = run(&["plan", "-no-color", "-out=saved.tfplan"]);
    seen.push_str(&run(&["apply", "-no-color", "saved.tfplan"]));
    seen.push_str(&run(&["plan", "-no-color", "-refresh-only"]));
    seen.push_str(&run(&["show", "-no-color"]));
    seen.push_str(&std::fs::read_to_string(ws.path().join("terraform.tfstate")).expect("state"));
    seen.push_str(&run(&["destroy", "-auto-approve", "-no-color"]));
    assert!(seen.contains("provider.terraform-provider-kafka"), "the provider's own trace logs were read");
    for (name, value) in &values {
        let at: Vec<&str> = seen.lines().filter(|l| l.contains(value.as_str())).take(3).collect();
        assert!(at.is_empty(), "the sensitive {name} appeared: {at:?}");
    }
}
