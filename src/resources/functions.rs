//! Provider functions (Terraform 1.8+): `provider::kafka::listener_ports`
//! and `provider::kafka::advertised_listeners`. They are the data source
//! `kafka_advertised_listeners` as functions — its arguments made from
//! theirs, its one computation (`advertised_listeners::evaluate`), a part
//! of its answer — so that a module computes ports in `locals`, `validation`
//! or `for_each`, with no provider configured, and the two never disagree.

use std::collections::BTreeMap;

use super::advertised_listeners::{arguments, evaluate};
use crate::server::api::diag::{Diagnostics, Severity};
use crate::server::api::provider::{Function, FunctionError, Parameter, Signature};
use crate::server::api::types::Type;
use crate::server::api::value::Value;

/// The options both functions take: the data source's port arguments.
const PORT_OPTIONS: [&str; 2] = ["listener_port_base", "bootstrap_listener_port"];
/// What `advertised_listeners` also takes: how the listener is named.
const LISTENER_OPTIONS: [&str; 6] =
    ["unique_name", "listener_name", "bind_port", "security_protocol", "preset", "tidbcloud_pattern"];

/// The template `listener_ports` names brokers with: ports depend on no
/// host, and brokers need none for them.
const PORTS_ONLY_TEMPLATE: &str = "b{broker_id}.{az_id}";

/// `listener_ports(brokers, options)`: broker id → listener port.
pub struct ListenerPorts;

/// `advertised_listeners(brokers, template, options)`: per broker its
/// `advertised.listeners` entry, host and port.
pub struct AdvertisedListeners;

fn brokers_parameter() -> Parameter {
    Parameter {
        name: "brokers",
        ty: Type::Dynamic,
        allow_null: false,
        description: "The brokers, keyed by broker id, exactly as `kafka_advertised_listeners` takes them: \
                      `availability_zone_id` and optionally `listener_port`, `port`, `host`, `ip`, \
                      `endpoint_service_name` (`kafka_privatelink.<name>.brokers` as it is)."
            .into(),
    }
}

fn options_parameter(names: &[&str]) -> Parameter {
    Parameter {
        name: "options",
        ty: Type::Dynamic,
        allow_null: true,
        description: format!(
            "An object of `kafka_advertised_listeners`' arguments of the same names, each optional: {}. `{{}}` \
             (or null) means their defaults.",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ),
    }
}

impl Function for ListenerPorts {
    fn name(&self) -> &'static str {
        "listener_ports"
    }

    fn signature(&self) -> Signature {
        Signature {
            parameters: vec![brokers_parameter(), options_parameter(&PORT_OPTIONS)],
            returns: Type::map(Type::Number),
            summary: "Each broker's NLB listener port".into(),
            description: "The broker → listener port assignment `kafka_privatelink` and `kafka_advertised_listeners` \
                          make: explicit ports kept, the others `listener_port_base` + rank by broker id (per \
                          endpoint service), the bootstrap listener's port kept free."
                .into(),
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        // Ports depend on no host: any template lets the brokers be named.
        let any = Value::from(PORTS_ONLY_TEMPLATE);
        let state = run(&arguments[0], Some((&any, None)), &arguments[1], &PORT_OPTIONS, 1)?;
        Ok(per_broker(&state, |b| b.get("listener_port").clone()))
    }
}

impl Function for AdvertisedListeners {
    fn name(&self) -> &'static str {
        "advertised_listeners"
    }

    fn signature(&self) -> Signature {
        let options: Vec<&str> = PORT_OPTIONS.iter().chain(&LISTENER_OPTIONS).copied().collect();
        Signature {
            parameters: vec![
                brokers_parameter(),
                Parameter {
                    name: "template",
                    ty: Type::String,
                    allow_null: true,
                    description: "The advertised host template, with `{broker_id}`, `{az_id}` and `{unique_name}`; \
                                  null: each broker's own `host` (or `ip`)."
                        .into(),
                },
                options_parameter(&options),
            ],
            returns: Type::map(Type::object([
                ("advertised_listener", Type::String),
                ("host", Type::String),
                ("port", Type::Number),
            ])),
            summary: "What each broker advertises".into(),
            description: "Per broker id: its `advertised.listeners` entry (`EXTERNAL://<host>:<port>`), the host and \
                          the listener port, as `kafka_advertised_listeners`' `broker_endpoints` say."
                .into(),
        }
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let options: Vec<&str> = PORT_OPTIONS.iter().chain(&LISTENER_OPTIONS).copied().collect();
        let state = run(&arguments[0], Some((&arguments[1], Some(1))), &arguments[2], &options, 2)?;
        Ok(per_broker(&state, |b| {
            Value::Object(BTreeMap::from([
                ("advertised_listener".to_owned(), b.get("advertised_listener").clone()),
                ("host".to_owned(), b.get("advertised_host").clone()),
                ("port".to_owned(), b.get("listener_port").clone()),
            ]))
        }))
    }
}

/// `f` of every broker's `broker_endpoints` entry, by broker id.
fn per_broker(state: &Value, f: impl Fn(&Value) -> Value) -> Value {
    let Value::Map(endpoints) = state.get("broker_endpoints") else { return Value::Map(BTreeMap::new()) };
    Value::Map(endpoints.iter().map(|(id, b)| (id.clone(), f(b))).collect())
}

/// The data source's state for these arguments: the template (and the
/// argument it came from, if one did), and `options` (argument
/// `options_at`), which may name only `allowed`.
fn run(
    brokers: &Value,
    template: Option<(&Value, Option<usize>)>,
    options: &Value,
    allowed: &[&str],
    options_at: usize,
) -> Result<Value, FunctionError> {
    let (names, broker_attributes) = arguments();
    let mut config: BTreeMap<String, Value> = names.iter().map(|n| (n.clone(), Value::Null)).collect();
    config.insert("brokers".into(), brokers_of(brokers, &broker_attributes)?);
    if let Some((t, _)) = template {
        config.insert("template".into(), t.clone());
    }
    for (name, value) in entries(options).ok_or_else(|| error("options must be an object", options_at))? {
        if !allowed.contains(&name.as_str()) {
            let known = allowed.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
            return Err(error(&format!("options has no {name:?}: it takes {known}"), options_at));
        }
        config.insert(name, value);
    }
    evaluate(&Value::Object(config)).map_err(|d| at_argument(&d, template.and_then(|(_, at)| at), options_at))
}

/// A map or an object (an HCL literal `{ "1" = … }` is an object) as its
/// entries; null as none.
fn entries(v: &Value) -> Option<Vec<(String, Value)>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Map(m) | Value::Object(m) => Some(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        _ => None,
    }
}

/// The brokers as the data source takes them: every attribute it knows
/// (null when not given), the others (a `kafka_privatelink`'s ARNs, …) left
/// out.
fn brokers_of(brokers: &Value, attributes: &[String]) -> Result<Value, FunctionError> {
    let not_map = || error("brokers must be a map of broker id to broker", 0);
    let mut out = BTreeMap::new();
    for (id, b) in entries(brokers).ok_or_else(not_map)? {
        let given = entries(&b).ok_or_else(not_map)?;
        let broker = attributes
            .iter()
            .map(|a| (a.clone(), given.iter().find(|(k, _)| k == a).map_or(Value::Null, |(_, v)| v.clone())))
            .collect();
        out.insert(id, Value::Object(broker));
    }
    Ok(Value::Map(out))
}

fn error(text: &str, argument: usize) -> FunctionError {
    FunctionError { text: text.to_owned(), argument: Some(argument) }
}

/// The data source's first error as the function's, at the argument its
/// attribute came from: `brokers` the first, the template its own (when an
/// argument gave it), anything else the options.
fn at_argument(d: &Diagnostics, template_at: Option<usize>, options_at: usize) -> FunctionError {
    let Some(first) = d.iter().find(|d| d.severity == Severity::Error).or_else(|| d.iter().next()) else {
        return FunctionError { text: "the computation failed".into(), argument: None };
    };
    let path = first.path.as_ref().map(ToString::to_string).unwrap_or_default();
    let argument = match path.split(['.', '[']).next().unwrap_or_default() {
        "brokers" => 0,
        "template" | "preset" | "tidbcloud_pattern" if template_at.is_some() => template_at.unwrap_or(options_at),
        _ => options_at,
    };
    let at = if path.is_empty() { String::new() } else { format!(" ({path})") };
    let detail = first.detail.trim_end_matches('.');
    FunctionError { text: format!("{}{at}: {detail}", first.summary), argument: Some(argument) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A data source configuration: every argument null but these.
    fn data_source(pairs: Vec<(&str, Value)>) -> Value {
        let (names, _) = arguments();
        let mut config: BTreeMap<String, Value> = names.iter().map(|n| (n.clone(), Value::Null)).collect();
        config.extend(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)));
        Value::Object(config)
    }

    #[test]
    fn listener_ports_are_the_data_sources_for_generated_brokers_and_options() {
        let mut seed: u64 = 0x5eed;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let mut compared = 0;
        for _ in 0..200 {
            let (_, attributes) = arguments();
            let mut brokers = BTreeMap::new();
            for _ in 0..=next(6) {
                let id = next(20).to_string();
                let mut b: BTreeMap<String, Value> = attributes.iter().map(|a| (a.clone(), Value::Null)).collect();
                b.insert("availability_zone_id".into(), Value::from(format!("use1-az{}", 1 + next(3))));
                if next(3) == 0 {
                    b.insert("listener_port".into(), Value::from((9000 + next(12)) as i64));
                }
                brokers.insert(id, Value::Object(b));
            }
            let base = (9000 + next(5)) as i64;
            let bootstrap = (next(2) == 0).then(|| (9000 + next(12)) as i64);
            let mut options = BTreeMap::from([("listener_port_base".to_owned(), Value::from(base))]);
            if let Some(p) = bootstrap {
                options.insert("bootstrap_listener_port".into(), Value::from(p));
            }
            let called = ListenerPorts.call(&[Value::Map(brokers.clone()), Value::Object(options)]);
            let mut pairs = vec![
                ("brokers", Value::Map(brokers)),
                ("listener_port_base", Value::from(base)),
                ("template", Value::from(PORTS_ONLY_TEMPLATE)),
            ];
            pairs.extend(bootstrap.map(|p| ("bootstrap_listener_port", Value::from(p))));
            let read = evaluate(&data_source(pairs));
            match (called, read) {
                (Ok(ports), Ok(state)) => {
                    assert_eq!(ports, per_broker(&state, |b| b.get("listener_port").clone()));
                    compared += 1;
                }
                (Err(e), Err(d)) => assert!(d.has_errors() && !e.text.is_empty()),
                (called, read) => panic!("the function and the data source disagree: {called:?} / {read:?}"),
            }
        }
        assert!(compared > 50, "most generated cases assign ports: {compared}");
    }
}
