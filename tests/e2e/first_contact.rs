//! A user's first contact with AWS, when it goes wrong: no credentials
//! anywhere, and an endpoint nobody answers on. The diagnostics say what
//! happened in words — the SDK's message chain by `Display`, what to do —
//! and never carry a Rust `Debug` dump.

use crate::common::aws::Aws;
use crate::common::hcl::{Block, Config, list, object, s};
use crate::common::{Moto, Workspace};

const VPC: &str = "vpc-0123456789abcdef0";
const SUBNET: &str = "subnet-0123456789abcdef0";

/// One broker behind a new load balancer in `vpc` (which need not exist):
/// the provider block is what each test is about.
fn config(vpc: &str, subnet: &str, provider: impl FnOnce(Block) -> Block) -> String {
    let setup = Block::resource("kafka_privatelink", "k")
        .str("name", "first")
        .str("vpc_id", vpc)
        .set("subnet_ids", list([s(subnet)]))
        .map("brokers", [(1, object([("ip", s("10.0.1.10"))]))])
        .block(Block::new("endpoint_service"));
    Config::new().provider(provider).with(setup).to_string()
}

/// No Rust `Debug` rendering of an SDK error in `text`.
fn no_debug_dump(text: &str) {
    for marker in ["DispatchFailure(", "ConnectorError", "source: ", " { ", "Some(", "headers: {"] {
        assert!(!text.contains(marker), "a Debug dump ({marker:?}) in:\n{text}");
    }
}

#[test]
fn an_unreachable_endpoint_is_named() {
    let ws = Workspace::new(&config(VPC, SUBNET, |p| {
        p.str("region", "us-east-1")
            .str("access_key", "a")
            .str("secret_key", "b")
            .set("max_retries", 0)
            .block(Block::new("endpoints").str("ec2", "http://127.0.0.1:1").str("elbv2", "http://127.0.0.1:1"))
    }));
    let out = ws.fails(&["plan", "-no-color"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    // the plan's first read: is the load balancer's name taken?
    assert!(flat.contains("Error planning Kafka PrivateLink"), "{out}");
    assert!(flat.contains("AWS could not be reached:"), "{out}");
    assert!(flat.contains("(endpoint http://127.0.0.1:1)"), "{out}");
    no_debug_dump(&out);
}

#[test]
fn missing_credentials_say_where_they_were_looked_for() {
    // Workspace gives Terraform an empty HOME and no AWS_* variables; the
    // instance metadata service is not there either.
    let ws = Workspace::new(&config(VPC, SUBNET, |p| p.str("region", "us-east-1").set("max_retries", 0)))
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1");
    let out = ws.fails(&["plan", "-no-color"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("no AWS credentials:"), "{out}");
    for source in [
        "AWS_ACCESS_KEY_ID",
        "~/.aws/credentials",
        "SSO",
        "credential_process",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "instance metadata",
    ] {
        assert!(flat.contains(source), "{source} named in:\n{out}");
    }
    assert!(flat.contains("https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html"), "{out}");
    no_debug_dump(&out);
}

#[tokio::test]
async fn access_denied_names_the_permission_to_grant() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    moto.proxy()
        .rules(&serde_json::json!([{"action": "DescribeSubnets", "code": "UnauthorizedOperation", "calls": [1]}]));
    let ws = Workspace::new(&config(&net.vpc, &net.subnets[0].id, |p| p.str("region", "us-east-1"))).with_moto(&moto);
    let out = ws.fails(&["plan", "-no-color"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(&format!(
            "reading EC2 Subnets of VPC ({}): UnauthorizedOperation: injected by the test proxy. Grant the IAM permission ec2:DescribeSubnets to the credentials the provider uses",
            net.vpc
        )),
        "{out}"
    );
    no_debug_dump(&out);
}
