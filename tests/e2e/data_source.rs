//! `kafka_advertised_listeners` end to end, under the real Terraform.

use crate::common::hcl::{Block, Config, object, output, s};
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
        let hit = diags.iter().find(|d| d.summary == *summary).unwrap_or_else(|| panic!("no {summary:?} in {diags:?}"));
        let source = std::fs::read_to_string(ws.path().join("main.tf")).unwrap();
        let header_lines = source.lines().count() - body.lines().count();
        let line = hit.line.expect("diagnostic has a source range") as usize;
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

/// Every consumer's output under Terraform, as its configuration would
/// take it: Materialize's provider lists (decoded by Terraform itself),
/// RisingWave's JSON (`jsondecode`), DNS names, a TiDB Cloud Dedicated
/// pattern pasted from the console.
#[test]
fn consumer_outputs_in_the_shapes_consumers_take() {
    let ws = workspace(
        r#"
data "kafka_advertised_listeners" "k" {
  brokers = {
    "10" = { availability_zone_id = "usw2-az1" }
    "2"  = { availability_zone_id = "usw2-az2" }
    "1"  = { availability_zone_id = "usw2-az1" }
  }
  tidbcloud_pattern       = "usw2-az1 => <broker_id>.usw2-az1.abc.us-west-2.aws.3199015.tidbcloud.com:<port>"
  listener_port_base      = 9092
  bootstrap_listener_port = 9092
  materialize_form        = "matching"
  endpoint_service_name   = "com.amazonaws.vpce.us-west-2.vpce-svc-0e123abc123198abc"
}

output "brokers" { value = data.kafka_advertised_listeners.k.materialize_brokers }
output "rules" { value = data.kafka_advertised_listeners.k.materialize_matching_rules }
output "zones" { value = data.kafka_advertised_listeners.k.materialize_availability_zones }
output "sql" { value = data.kafka_advertised_listeners.k.materialize_sql }
output "targets" { value = jsondecode(data.kafka_advertised_listeners.k.risingwave_privatelink_targets) }
output "bootstrap" { value = data.kafka_advertised_listeners.k.bootstrap_servers }
output "hosts" { value = data.kafka_advertised_listeners.k.advertised_hosts }
output "wildcards" { value = data.kafka_advertised_listeners.k.advertised_host_wildcards }
"#,
    );
    ws.apply();
    // The bootstrap listener's port is skipped, as kafka_privatelink skips it.
    let domain = "us-west-2.aws.3199015.tidbcloud.com";
    assert_eq!(
        ws.output("bootstrap"),
        format!("b1.usw2-az1.abc.{domain}:9093,b2.usw2-az2.abc.{domain}:9094,b10.usw2-az1.abc.{domain}:9095").as_str()
    );
    assert_eq!(
        ws.output("brokers"),
        json!([{"broker": format!("b1.usw2-az1.abc.{domain}:9093"), "privatelink_connection_name": "privatelink_svc", "target_group_port": 9093, "availability_zone": "usw2-az1"}])
    );
    assert_eq!(
        ws.output("rules"),
        json!([
            {"pattern": format!("*.usw2-az1.abc.{domain}:*"), "target_group_port": null, "availability_zone": "usw2-az1"},
            {"pattern": format!("*.usw2-az2.abc.{domain}:*"), "target_group_port": null, "availability_zone": "usw2-az2"},
        ])
    );
    assert_eq!(ws.output("zones"), json!(["usw2-az1", "usw2-az2"]));
    let sql = ws.output("sql");
    let sql = sql.as_str().expect("SQL");
    assert!(
        sql.contains(&format!(
            "MATCHING '*.usw2-az2.abc.{domain}:*' USING AWS PRIVATELINK privatelink_svc (AVAILABILITY ZONE 'usw2-az2')"
        )),
        "{sql}"
    );
    assert_eq!(ws.output("targets"), json!([{"port": 9093}, {"port": 9094}, {"port": 9095}]), "in bootstrap order");
    assert_eq!(
        ws.output("hosts"),
        json!([
            format!("b1.usw2-az1.abc.{domain}"),
            format!("b2.usw2-az2.abc.{domain}"),
            format!("b10.usw2-az1.abc.{domain}")
        ])
    );
    assert_eq!(ws.output("wildcards"), json!([format!("*.usw2-az1.abc.{domain}"), format!("*.usw2-az2.abc.{domain}")]));
    ws.assert_no_changes();
}

/// A Materialize form that cannot reach every broker is refused at plan,
/// at the argument to change, saying why.
#[test]
fn a_materialize_form_that_cannot_reach_every_broker_is_refused_at_plan() {
    let cases = [
        (
            "  materialize_form = \"default\"\n  template = \"b{broker_id}.{az_id}.kafka.example.com\"\n  bootstrap_listener_port = 9000",
            "materialize_form",
            "cross_zone_load_balancing = true",
        ),
        (
            "  materialize_form = \"default\"\n  template = \"b{broker_id}.{az_id}.kafka.example.com\"",
            "materialize_form",
            "set bootstrap_listener_port",
        ),
        ("  materialize_form = \"matching\"", "materialize_form", "set template, preset or tidbcloud_pattern"),
        (
            "  materialize_form = \"matching\"\n  template = \"kafka-{broker_id}.example.com\"",
            "template",
            "needs {az_id}",
        ),
    ];
    for (extra, at, why) in cases {
        let ws = workspace(&format!(
            "data \"kafka_advertised_listeners\" \"k\" {{\n  brokers = {{\n    \"1\" = {{ availability_zone_id = \"usw2-az1\", host = \"b-1.example.com\" }}\n    \"2\" = {{ availability_zone_id = \"usw2-az2\", host = \"b-2.example.com\" }}\n  }}\n{extra}\n}}\n"
        ));
        let (ok, lines) = ws.plan_json();
        assert!(!ok, "{extra}");
        let found = diagnostics(&lines);
        let hit = found
            .iter()
            .find(|d| d.summary.contains("cannot reach every broker"))
            .unwrap_or_else(|| panic!("{found:?}"));
        let flat = hit.detail.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(why), "{extra}: {flat}");
        let source = std::fs::read_to_string(ws.path().join("main.tf")).unwrap();
        let line = source.lines().nth(hit.line.expect("a range") as usize - 1).unwrap_or_default();
        assert!(line.trim_start().starts_with(at), "{extra}: pointed at {line:?}, expected {at}");
    }
}

/// Brokers behind one endpoint service each, as ClickHouse's MSK module and
/// AWS's cross-account sample build them (every listener on the brokers'
/// own port, 9098): Materialize gets one PrivateLink connection per service
/// and each broker line names its own, each broker endpoint names its
/// service, RisingWave's one-endpoint targets are null. TiDB Cloud (one
/// service) and Materialize's one-connection forms are refused at the
/// argument that asks for them, and ports still collide within a service.
#[test]
fn brokers_behind_several_endpoint_services() {
    let svc = |n: u32| format!("com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f6070{n}");
    let zones = ["use1-az1", "use1-az2", "use1-az4"];
    let broker = |id: u32, service: String| {
        let host = format!("b-{id}.orders.a1b2c3.c2.kafka.us-east-1.amazonaws.com");
        let zone = zones[id as usize - 1];
        object([
            ("availability_zone_id", s(zone)),
            ("host", s(host)),
            ("port", "9098".into()),
            ("listener_port", "9098".into()),
            ("endpoint_service_name", s(service)),
        ])
    };
    let listeners = |services: [u32; 3]| {
        Block::data("kafka_advertised_listeners", "k")
            .map("brokers", (1..=3).map(|id| (id, broker(id, svc(services[id as usize - 1])))))
            .str("security_protocol", "SASL_SSL")
    };
    let outputs = |b: Block| {
        Config::new()
            .with(b)
            .with(output("sql", "data.kafka_advertised_listeners.k.materialize_sql"))
            .with(output("endpoints", "data.kafka_advertised_listeners.k.broker_endpoints"))
            .with(output("mz", "data.kafka_advertised_listeners.k.materialize_brokers"))
            .with(output("risingwave", "data.kafka_advertised_listeners.k.risingwave_privatelink_targets"))
            .to_string()
    };
    let ws = Workspace::new(&outputs(listeners([1, 2, 3])));
    ws.apply();
    let sql = ws.output("sql");
    let sql = sql.as_str().expect("materialize_sql");
    for id in 1..=3u32 {
        // the lowest broker's service keeps the name
        let connection = if id == 1 { "privatelink_svc".to_owned() } else { format!("privatelink_svc_b{id}") };
        assert!(
            sql.contains(&format!(
                "CREATE CONNECTION {connection} TO AWS PRIVATELINK (\n    SERVICE NAME '{}'",
                svc(id)
            )),
            "{sql}"
        );
        let line = format!(
            "'b-{id}.orders.a1b2c3.c2.kafka.us-east-1.amazonaws.com:9098' USING AWS PRIVATELINK {connection} (PORT 9098, AVAILABILITY ZONE '{}')",
            zones[id as usize - 1]
        );
        assert!(sql.contains(&line), "missing {line} in\n{sql}");
        assert_eq!(ws.output("endpoints")[id.to_string()]["endpoint_service_name"], json!(svc(id)));
        assert_eq!(ws.output("mz")[id as usize - 1]["privatelink_connection_name"], json!(connection));
    }
    assert_eq!(ws.output("risingwave"), serde_json::Value::Null);

    let refused = [
        (
            listeners([1, 2, 3]).str("preset", "tidbcloud").str("unique_name", "abc"),
            "preset",
            "TiDB Cloud takes one endpoint service",
        ),
        (
            listeners([1, 2, 3])
                .str("materialize_form", "matching")
                .str("template", "b{broker_id}.{az_id}.kafka.example.com"),
            "materialize_form",
            "cannot reach every broker",
        ),
        (listeners([1, 1, 2]), "2 =", "Duplicate listener port"),
    ];
    for (config, at, summary) in refused {
        ws.write("main.tf", &outputs(config));
        let (ok, lines) = ws.plan_json();
        assert!(!ok, "{summary}");
        let said = diagnostics(&lines);
        let hit = said.iter().find(|d| d.summary.contains(summary)).unwrap_or_else(|| panic!("{summary}: {said:?}"));
        let source = std::fs::read_to_string(ws.path().join("main.tf")).unwrap();
        let line = source.lines().nth(hit.line.expect("a range") as usize - 1).unwrap_or_default().replace('"', "");
        assert!(
            line.trim_start().starts_with(at) || line.contains(&format!("{at} =")),
            "{summary}: pointed at {line:?}"
        );
    }
}
