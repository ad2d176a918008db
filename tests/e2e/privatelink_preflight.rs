//! The security-group preflight under the real Terraform against moto: a
//! broker EC2 instance whose security group admits only one of the load
//! balancer's subnets is warned about at plan (naming the group, the port
//! and the rule to add); a group admitting the VPC is not; a separate
//! health-check port is checked too; a plan with nothing to do makes no
//! preflight call.

use crate::common::aws::{Aws, Network};
use crate::common::{HEADER, Moto, Workspace, diagnostics};

fn config(net: &Network, health: &str) -> String {
    format!(
        r#"{HEADER}
resource "kafka_privatelink" "k" {{
  name        = "pre"
  vpc_id      = "{vpc}"
  subnet_ids  = {subnets}
  broker_port = 39092
  brokers = {{
    "1" = {{ ip = "{a}.10" }}
    "2" = {{ ip = "{b}.10" }}
  }}
{health}  endpoint_service {{}}
}}
"#,
        vpc = net.vpc,
        subnets = net.subnet_ids_hcl(),
        a = net.subnets[0].prefix,
        b = net.subnets[1].prefix,
    )
}

fn preflight_warnings(ws: &Workspace) -> Vec<String> {
    let (ok, lines) = ws.plan_json();
    assert!(ok, "{lines:?}");
    diagnostics(&lines)
        .into_iter()
        .filter(|d| d.severity == "warning" && d.summary.contains("security groups do not admit"))
        .map(|d| d.detail)
        .collect()
}

#[tokio::test]
async fn brokers_whose_security_groups_shut_out_the_load_balancer_are_warned_about() {
    let moto = Moto::start();
    let aws = Aws::new(&moto).await;
    let net = aws.network(0).await;
    let vpc_cidr = "10.0.0.0/16";
    let one_subnet = format!("{}.0/24", net.subnets[0].prefix);
    let wide = aws.security_group(&net, "kafka-1", Some(((39092, 39092), vpc_cidr))).await;
    aws.instance(&net, 0, &format!("{}.10", net.subnets[0].prefix), Some(&wide)).await;
    let narrow = aws.security_group(&net, "kafka-2", Some(((39092, 39092), &one_subnet))).await;
    aws.instance(&net, 1, &format!("{}.10", net.subnets[1].prefix), Some(&narrow)).await;

    let ws = Workspace::new(&config(&net, "")).with_moto(&moto);
    let warnings = preflight_warnings(&ws);
    assert_eq!(warnings.len(), 1, "only broker 2: {warnings:?}");
    let w = warnings[0].split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(w.contains(&format!("Broker 2 ({}.10)", net.subnets[1].prefix)), "{w}");
    assert!(w.contains(&format!("{narrow} (kafka-2)")), "names the group: {w}");
    let subnets: Vec<String> = net.subnets.iter().map(|s| format!("{}.0/24", s.prefix)).collect();
    assert!(
        w.contains(&format!(
            "Add an inbound rule: TCP 39092 from {} (the load balancer's subnets)",
            subnets.join(", ")
        )),
        "{w}"
    );

    // The group is fixed: no warning; the apply goes on, and a plan with
    // nothing to do makes no preflight call at all.
    aws.allow(&narrow, (39000, 39999), vpc_cidr).await;
    assert!(preflight_warnings(&ws).is_empty());
    ws.apply();
    let proxy = moto.proxy();
    proxy.reset_counts();
    ws.assert_no_changes();
    let counts = proxy.counts();
    assert!(!counts.is_empty());
    for call in ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups"] {
        assert!(!counts.contains_key(call), "{call} in a no-op plan: {counts:?}");
    }

    // A health check on another port needs its own rule.
    ws.write("main.tf", &config(&net, "  health_check {\n    port = \"8080\"\n  }\n"));
    let warnings = preflight_warnings(&ws);
    assert_eq!(warnings.len(), 2, "both brokers, port 8080: {warnings:?}");
    assert!(warnings.iter().all(|w| w.contains("port 8080")), "{warnings:?}");
}
