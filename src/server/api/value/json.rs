//! cty's JSON encoding, used by Terraform for stored state (`RawState.json`).
//! Like MessagePack decoding, it is directed by the type. JSON state never
//! holds unknown values.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{Number, Value, ValueError};
use crate::server::api::path::AttributePath;
use crate::server::api::types::Type;

/// Decodes a JSON value of type `ty`. Errors name the attribute path.
pub fn from_json(json: &Json, ty: &Type) -> Result<Value, ValueError> {
    decode(json, ty, &AttributePath::root())
}

#[expect(clippy::too_many_lines, reason = "one match over every Terraform type")]
fn decode(json: &Json, ty: &Type, path: &AttributePath) -> Result<Value, ValueError> {
    let found = match json {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    };
    let bad = |what: &str| ValueError { path: path.clone(), message: format!("expected {what}, found {found}") };
    Ok(match (json, ty) {
        (Json::Null, _) => Value::Null,
        (Json::Bool(b), Type::Bool) => Value::Bool(*b),
        (Json::Number(n), Type::Number) => Value::Number(match n.as_i64() {
            Some(i) => Number::Int(i),
            None => Number::Float(n.as_f64().ok_or_else(|| bad("number"))?),
        }),
        (Json::String(s), Type::Number) => Value::Number(match s.parse::<i64>() {
            Ok(i) => Number::Int(i),
            Err(_) => Number::Float(s.parse().map_err(|_| bad("number"))?),
        }),
        (Json::String(s), Type::String) => Value::String(s.clone()),
        (Json::Bool(b), Type::String) => Value::String(b.to_string()),
        (Json::Number(n), Type::String) => Value::String(n.to_string()),
        (Json::Array(items), Type::List(e) | Type::Set(e)) => {
            let items =
                items.iter().enumerate().map(|(i, v)| decode(v, e, &path.index(i))).collect::<Result<_, _>>()?;
            if matches!(ty, Type::List(_)) { Value::List(items) } else { Value::Set(items) }
        }
        (Json::Array(items), Type::Tuple(types)) if items.len() == types.len() => Value::Tuple(
            items
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (v, t))| decode(v, t, &path.index(i)))
                .collect::<Result<_, _>>()?,
        ),
        (Json::Object(m), Type::Map(e)) => Value::Map(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), decode(v, e, &path.key(k.clone()))?)))
                .collect::<Result<_, ValueError>>()?,
        ),
        (Json::Object(m), Type::Object(attrs)) => {
            let mut out = BTreeMap::new();
            for (name, t) in attrs {
                let p = path.attribute(name.clone());
                out.insert(name.clone(), m.get(name).map_or(Ok(Value::Null), |v| decode(v, t, &p))?);
            }
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(ValueError {
                    path: path.attribute(extra.clone()),
                    message: "unsupported attribute".into(),
                });
            }
            Value::Object(out)
        }
        // Dynamic values in JSON state are {"value": …, "type": …}.
        (Json::Object(m), Type::Dynamic) => {
            let t = m.get("type").ok_or_else(|| bad("{\"value\",\"type\"}"))?;
            let t = Type::from_json(t).map_err(|e| ValueError { path: path.clone(), message: e.to_string() })?;
            decode(m.get("value").unwrap_or(&Json::Null), &t, path)?
        }
        (_, Type::Bool) => return Err(bad("bool")),
        (_, Type::Number) => return Err(bad("number")),
        (_, Type::String) => return Err(bad("string")),
        (_, Type::List(_) | Type::Set(_) | Type::Tuple(_)) => return Err(bad("array")),
        (_, Type::Map(_) | Type::Object(_) | Type::Dynamic) => return Err(bad("object")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_state_json() {
        let ty = Type::object([
            ("id", Type::String),
            ("port", Type::Number),
            ("tags", Type::map(Type::String)),
            ("subnets", Type::set(Type::String)),
            ("gone", Type::Bool),
        ]);
        let json: Json =
            serde_json::from_str(r#"{"id":"x","port":9092,"tags":{"a":"b"},"subnets":["s-1","s-2"],"gone":null}"#)
                .unwrap();
        let v = from_json(&json, &ty).unwrap();
        assert_eq!(v.get("port"), &Value::from(9092));
        assert_eq!(v.get("subnets"), &Value::Set(vec!["s-1".into(), "s-2".into()]));
        assert_eq!(v.get("gone"), &Value::Null);
    }

    #[test]
    fn unknown_attributes_are_rejected_with_path() {
        let ty = Type::object([("a", Type::object([("b", Type::String)]))]);
        let json: Json = serde_json::from_str(r#"{"a":{"b":"x","c":1}}"#).unwrap();
        assert_eq!(from_json(&json, &ty).unwrap_err().path.to_string(), "a.c");
    }
}
