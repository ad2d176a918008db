//! Provider functions under the real Terraform (1.8+): the same answers as
//! the data source `kafka_advertised_listeners` for the same brokers and
//! options, usable in `for_each`, and errors at the argument at fault.

use crate::common::{HEADER, Workspace};

const BROKERS: &str = r#"
locals {
  brokers = {
    "1" = { availability_zone_id = "use1-az1" }
    "2" = { availability_zone_id = "use1-az2", listener_port = 9105 }
    "4" = { availability_zone_id = "use1-az1", host = "b-4.kafka.internal" }
  }
  options  = { listener_port_base = 9100, bootstrap_listener_port = 9101 }
  template = "b{broker_id}.{az_id}.example.com"
}
"#;

fn config(extra: &str) -> String {
    format!(
        r#"{HEADER}{BROKERS}
data "kafka_advertised_listeners" "x" {{
  brokers                 = local.brokers
  template                = local.template
  listener_port_base      = 9100
  bootstrap_listener_port = 9101
}}

output "function_ports" {{
  value = provider::kafka::listener_ports(local.brokers, local.options)
}}
output "data_source_ports" {{
  value = {{ for id, b in data.kafka_advertised_listeners.x.broker_endpoints : id => b.listener_port }}
}}
output "function_listeners" {{
  value = provider::kafka::advertised_listeners(local.brokers, local.template, local.options)
}}
output "data_source_listeners" {{
  value = {{ for id, b in data.kafka_advertised_listeners.x.broker_endpoints : id => {{
    advertised_listener = b.advertised_listener
    host                = b.advertised_host
    port                = b.listener_port
  }} }}
}}

# computed before any provider is configured: usable in for_each
resource "terraform_data" "per_broker" {{
  for_each = provider::kafka::listener_ports(local.brokers, {{}})
  input    = each.value
}}
{extra}"#
    )
}

#[test]
fn functions_answer_what_the_data_source_answers() {
    let ws = Workspace::new(&config(""));
    ws.apply();
    let out = ws.outputs();
    let ports = &out["function_ports"]["value"];
    assert!(ports.as_object().is_some_and(|p| p.len() == 3), "{out}");
    assert_eq!(ports, &out["data_source_ports"]["value"]);
    // explicit ports kept, the bootstrap's kept free, the rest by rank
    assert_eq!(ports["2"], 9105);
    assert_eq!(ports["1"], 9100);
    assert_eq!(ports["4"], 9102);
    let listeners = &out["function_listeners"]["value"];
    assert_eq!(listeners, &out["data_source_listeners"]["value"]);
    assert_eq!(listeners["4"]["advertised_listener"], "EXTERNAL://b4.use1-az1.example.com:9102");
    // for_each over a function's map, with the defaults ({})
    let shown = ws.ok(&["state", "list"]);
    for id in ["1", "2", "4"] {
        assert!(shown.contains(&format!("terraform_data.per_broker[\"{id}\"]")), "{shown}");
    }
    ws.assert_no_changes();
}

#[test]
fn function_errors_name_their_argument() {
    for (call, argument, says) in [
        ("provider::kafka::listener_ports(local.brokers, { listener_port_bas = 1 })", "options", "listener_port_bas"),
        (
            r#"provider::kafka::listener_ports({ "1" = { listener_port = 9001 } }, {})"#,
            "brokers",
            "availability_zone_id",
        ),
        (
            r#"provider::kafka::listener_ports(local.brokers, { bootstrap_listener_port = 9105 })"#,
            "brokers",
            "9105 is already used by bootstrap_listener_port",
        ),
        (r#"provider::kafka::advertised_listeners(local.brokers, "b{nope}", {})"#, "template", "nope"),
    ] {
        let ws = Workspace::new(&config(&format!("output \"bad\" {{\n  value = {call}\n}}\n")));
        let said = ws.fails(&["plan", "-no-color"]);
        let flat = said.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&format!("Invalid value for \"{argument}\" parameter")), "{call}: {said}");
        assert!(flat.contains(says), "{call}: {said}");
    }
}
