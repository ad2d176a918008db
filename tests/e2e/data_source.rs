//! `kafka_advertised_listeners` end to end, under the real Terraform.

use crate::common::{HEADER, Workspace, diagnostics};
use serde_json::json;

fn workspace(body: &str) -> Workspace {
    Workspace::new(&format!("{HEADER}\n{body}"))
}

#[test]
fn tidb_cloud_guide_outputs_exactly() {
    let ws = workspace(
        r#"
data "kafka_advertised_listeners" "tidb" {
  brokers = {
    "1" = { availability_zone_id = "usw2-az1" }
    "2" = { availability_zone_id = "usw2-az2" }
    "3" = { availability_zone_id = "usw2-az3" }
  }
  preset             = "tidbcloud"
  unique_name        = "abc"
  listener_port_base = 9093
}

output "listeners" {
  value = { for id, b in data.kafka_advertised_listeners.tidb.broker_endpoints : id => b.advertised_listener }
}
output "patterns" { value = data.kafka_advertised_listeners.tidb.patterns }
output "bootstrap" { value = data.kafka_advertised_listeners.tidb.bootstrap_servers }
output "properties" { value = data.kafka_advertised_listeners.tidb.broker_endpoints["2"].server_properties }
output "ports" {
  value = { for id, b in data.kafka_advertised_listeners.tidb.brokers : id => b.listener_port }
}
output "sql" { value = data.kafka_advertised_listeners.tidb.materialize_sql }
"#,
    );
    ws.apply();
    assert_eq!(
        ws.output("listeners"),
        json!({
            "1": "EXTERNAL://b1.usw2-az1.abc.aws.plc.tidbcloud.com:9093",
            "2": "EXTERNAL://b2.usw2-az2.abc.aws.plc.tidbcloud.com:9094",
            "3": "EXTERNAL://b3.usw2-az3.abc.aws.plc.tidbcloud.com:9095",
        })
    );
    assert_eq!(
        ws.output("patterns"),
        json!({
            "usw2-az1": "b<broker_id>.usw2-az1.abc.aws.plc.tidbcloud.com:<port>",
            "usw2-az2": "b<broker_id>.usw2-az2.abc.aws.plc.tidbcloud.com:<port>",
            "usw2-az3": "b<broker_id>.usw2-az3.abc.aws.plc.tidbcloud.com:<port>",
        })
    );
    assert_eq!(
        ws.output("bootstrap"),
        "b1.usw2-az1.abc.aws.plc.tidbcloud.com:9093,b2.usw2-az2.abc.aws.plc.tidbcloud.com:9094,b3.usw2-az3.abc.aws.plc.tidbcloud.com:9095"
    );
    assert_eq!(
        ws.output("properties"),
        "listeners=EXTERNAL://0.0.0.0:39092\nadvertised.listeners=EXTERNAL://b2.usw2-az2.abc.aws.plc.tidbcloud.com:9094\nlistener.security.protocol.map=EXTERNAL:PLAINTEXT\n"
    );
    assert_eq!(ws.output("ports"), json!({"1": 9093, "2": 9094, "3": 9095}));
    assert_eq!(ws.output("sql"), json!(null));
    // A second plan has nothing to do.
    let plan = ws.ok(&["plan", "-detailed-exitcode", "-no-color"]);
    assert!(plan.contains("No changes"), "{plan}");
}

#[test]
fn materialize_sql_for_msk_style_brokers() {
    let ws = workspace(
        r#"
data "kafka_advertised_listeners" "mz" {
  brokers = {
    "1" = { availability_zone_id = "use1-az2", host = "b-1.hostname-1", port = 9096 }
    "2" = { availability_zone_id = "use1-az1", host = "b-2.hostname-2", port = 9096 }
    "4" = { availability_zone_id = "use1-az4", host = "b-4.hostname-4", port = 9096 }
  }
  endpoint_service_name = "com.amazonaws.vpce.us-east-1.vpce-svc-0e123abc123198abc"
  security_protocol     = "SASL_SSL"
}

data "kafka_advertised_listeners" "cross" {
  brokers               = data.kafka_advertised_listeners.mz.brokers
  endpoint_service_name = "com.amazonaws.vpce.us-east-1.vpce-svc-0e123abc123198abc"
  cross_region          = true
}

output "sql" { value = data.kafka_advertised_listeners.mz.materialize_sql }
output "cross_sql" { value = data.kafka_advertised_listeners.cross.materialize_sql }
"#,
    );
    ws.apply();
    // Broker 4 after a gap gets the next port, and the SQL says so.
    assert_eq!(
        ws.output("sql"),
        "CREATE CONNECTION privatelink_svc TO AWS PRIVATELINK (\n    \
         SERVICE NAME 'com.amazonaws.vpce.us-east-1.vpce-svc-0e123abc123198abc',\n    \
         AVAILABILITY ZONES ('use1-az1', 'use1-az2', 'use1-az4')\n);\n\n\
         CREATE CONNECTION kafka_connection TO KAFKA (\n    BROKERS (\n        \
         'b-1.hostname-1:9096' USING AWS PRIVATELINK privatelink_svc (PORT 9001, AVAILABILITY ZONE 'use1-az2'),\n        \
         'b-2.hostname-2:9096' USING AWS PRIVATELINK privatelink_svc (PORT 9002, AVAILABILITY ZONE 'use1-az1'),\n        \
         'b-4.hostname-4:9096' USING AWS PRIVATELINK privatelink_svc (PORT 9003, AVAILABILITY ZONE 'use1-az4')\n    \
         ),\n    SECURITY PROTOCOL = 'SASL_SSL'\n);\n"
    );
    let cross = ws.output("cross_sql");
    let cross = cross.as_str().expect("sql string");
    assert!(cross.contains("AVAILABILITY ZONES ()"), "{cross}");
    assert!(cross.contains("'b-4.hostname-4:9096' USING AWS PRIVATELINK privatelink_svc (PORT 9003)\n"), "{cross}");
}

#[test]
fn works_without_any_aws_credentials_or_region() {
    // The harness strips AWS_* variables and points HOME at an empty folder.
    let ws = workspace(
        r#"
data "kafka_advertised_listeners" "x" {
  brokers  = { "0" = { availability_zone_id = "euc1-az1", ip = "10.0.1.10" } }
}
output "b" { value = data.kafka_advertised_listeners.x.bootstrap_servers }
"#,
    );
    ws.apply();
    assert_eq!(ws.output("b"), "10.0.1.10:39092");
}

/// Each bad input fails at plan time, before anything runs, and Terraform
/// points at the offending line (the attribute path resolved in the config).
#[test]
fn bad_input_is_rejected_with_the_attribute_path() {
    let cases: &[(&str, &str, &str)] = &[
        // (config lines, expected summary, the line that must be pointed at)
        (r#""x" = { availability_zone_id = "use1-az1" }"#, "Invalid broker id", r#""x" = {"#),
        (r#""-1" = { availability_zone_id = "use1-az1" }"#, "Invalid broker id", r#""-1" = {"#),
        (r#""1" = { availability_zone_id = "us-east-1a" }"#, "Invalid availability zone id", "us-east-1a"),
        (r#""1" = { availability_zone_id = "use1-az1", listener_port = 70000 }"#, "Invalid listener port", "70000"),
        (r#""1" = { availability_zone_id = "use1-az1", listener_port = 0 }"#, "Invalid listener port", "= 0"),
        (
            "\"1\" = { availability_zone_id = \"use1-az1\", listener_port = 9100 }\n    \"2\" = { availability_zone_id = \"use1-az2\", listener_port = 9100 }",
            "Duplicate listener port",
            r#""2" = {"#,
        ),
    ];
    for (brokers, summary, line_text) in cases {
        let body = format!(
            "data \"kafka_advertised_listeners\" \"x\" {{\n  brokers = {{\n    {brokers}\n  }}\n  template = \"b{{broker_id}}.example.com\"\n}}\n"
        );
        let ws = workspace(&body);
        let (ok, lines) = ws.plan_json();
        assert!(!ok, "plan must fail for {brokers}");
        let diags = diagnostics(&lines);
        let hit = diags.iter().find(|d| d.1 == *summary).unwrap_or_else(|| panic!("no {summary:?} in {diags:?}"));
        let source = std::fs::read_to_string(ws.path().join("main.tf")).unwrap();
        let header_lines = source.lines().count() - body.lines().count();
        let line = hit.3.expect("diagnostic has a source range") as usize;
        let pointed = source.lines().nth(line - 1).unwrap_or_default();
        assert!(
            pointed.contains(line_text),
            "{summary}: Terraform pointed at line {line} ({pointed:?}), expected the line with {line_text:?} (config starts after line {header_lines})"
        );
    }
}

#[test]
fn bad_top_level_arguments_are_rejected() {
    let cases: &[(&str, &str)] = &[
        (r#"template = "b{id}.example.com""#, "Invalid template"),
        (r#"template = "b{broker_id}.{az}.example.com""#, "Invalid template"),
        (r#"preset = "confluent""#, "Unknown preset"),
        ("preset = \"tidbcloud\"\n  unique_name = \"Bad-Name\"", "Invalid unique name"),
        (r#"preset = "tidbcloud""#, "Missing unique name"),
        (r#"endpoint_service_name = "vpce-svc-0e123abc123198abc""#, "Invalid endpoint service name"),
        (r#"security_protocol = "TLS""#, "Invalid security protocol"),
        (r#"listener_port_base = 70000"#, "Invalid listener port base"),
        (r#"kafka_connection_name = "Kafka Conn""#, "Invalid connection name"),
    ];
    for (arg, summary) in cases {
        let ws = workspace(&format!(
            "data \"kafka_advertised_listeners\" \"x\" {{\n  brokers = {{ \"1\" = {{ availability_zone_id = \"use1-az1\", host = \"k1.example.com\" }} }}\n  {arg}\n}}\n"
        ));
        let v = ws.validate_json();
        let found = v["diagnostics"].as_array().into_iter().flatten().any(|d| d["summary"] == *summary);
        assert!(found, "{arg}: expected {summary:?} from terraform validate, got {v}");
        assert_eq!(v["valid"], false);
    }
}

#[test]
fn more_than_fifty_brokers_is_refused() {
    let brokers: String =
        (1..=51).map(|i| format!("    \"{i}\" = {{ availability_zone_id = \"use1-az1\" }}\n")).collect();
    let ws = workspace(&format!(
        "data \"kafka_advertised_listeners\" \"x\" {{\n  brokers = {{\n{brokers}  }}\n  template = \"b{{broker_id}}.example.com\"\n}}\n"
    ));
    let v = ws.validate_json();
    let d = &v["diagnostics"][0];
    assert_eq!(d["summary"], "Too many listeners", "{v}");
    assert!(d["detail"].as_str().unwrap().contains("at most 50"), "{v}");
}
