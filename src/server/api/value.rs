//! Terraform values: a tree with null and unknown at every level, the wire
//! codecs (cty MessagePack and JSON), and serde glue so that providers read
//! and write plain Rust structs with [`Tri`] marking what may be unknown.

mod de;
mod json;
mod msgpack;
mod ser;
mod tri;

use std::collections::BTreeMap;

pub use de::from_value;
pub use json::from_json;
pub use msgpack::{decode_msgpack, encode_msgpack};
pub use ser::to_value;
pub use tri::Tri;

use super::path::AttributePath;
use super::types::Type;

/// A value that does not fit where it was read or written, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{message}", if path.is_root() { String::new() } else { format!("{path}: ") })]
pub struct ValueError {
    pub path: AttributePath,
    pub message: String,
}

/// A cty number. Terraform numbers are arbitrary-precision decimals; the
/// provider only needs what fits an `i64` or an `f64`.
#[derive(Debug, Clone, Copy)]
pub enum Number {
    Int(i64),
    Float(f64),
}

/// Numbers are equal by value: `9001` and `9001.0` are the same number.
impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            _ => self.as_f64() == other.as_f64(),
        }
    }
}

impl Number {
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            Number::Float(_) => None,
        }
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// A Terraform value. Collections and objects may hold null or unknown
/// elements; the type lives in the schema, not in the value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Not known until apply (`(known after apply)`).
    Unknown,
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// What sort of value it is, for messages: never the value itself,
    /// which may be a secret.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Unknown => "an unknown value",
            Value::Null => "null",
            Value::Bool(_) => "a bool",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Set(_) => "a set",
            Value::Map(_) => "a map",
            Value::Object(_) => "an object",
            Value::Tuple(_) => "a tuple",
        }
    }

    /// True when this value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter().any(Value::contains_unknown),
            Value::Map(m) | Value::Object(m) => m.values().any(Value::contains_unknown),
            _ => false,
        }
    }

    /// The attribute `name` of an object; null for anything else.
    pub fn get(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Object(m) | Value::Map(m) => m.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// Reshapes an untyped value (as produced by [`to_value`]) to `ty`: lists
    /// become sets where the type says so, missing object attributes become
    /// null, extra ones are dropped. Values that cannot take the type are
    /// reported with their path.
    pub fn conform(self, ty: &Type) -> Result<Value, ValueError> {
        conform_at(self, ty, &AttributePath::root())
    }
}

fn conform_at(value: Value, ty: &Type, path: &AttributePath) -> Result<Value, ValueError> {
    let mismatch =
        |v: &Value| ValueError { path: path.clone(), message: format!("{} cannot be a {}", v.kind(), ty.to_json()) };
    Ok(match (value, ty) {
        (v @ (Value::Null | Value::Unknown), _) | (v, Type::Dynamic) => v,
        (v @ Value::Bool(_), Type::Bool)
        | (v @ Value::Number(_), Type::Number)
        | (v @ Value::String(_), Type::String) => v,
        (Value::Number(n), Type::String) => Value::String(match n {
            Number::Int(i) => i.to_string(),
            Number::Float(f) => f.to_string(),
        }),
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), Type::List(e)) => {
            Value::List(conform_items(items, e, path)?)
        }
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), Type::Set(e)) => {
            let mut items = conform_items(items, e, path)?;
            dedup_set(&mut items);
            Value::Set(items)
        }
        (Value::List(items) | Value::Tuple(items), Type::Tuple(types)) if items.len() == types.len() => Value::Tuple(
            items
                .into_iter()
                .zip(types)
                .enumerate()
                .map(|(i, (v, t))| conform_at(v, t, &path.index(i)))
                .collect::<Result<_, _>>()?,
        ),
        (Value::Map(m) | Value::Object(m), Type::Map(e)) => Value::Map(
            m.into_iter()
                .map(|(k, v)| {
                    let p = path.key(k.clone());
                    Ok((k, conform_at(v, e, &p)?))
                })
                .collect::<Result<_, ValueError>>()?,
        ),
        (Value::Map(mut m) | Value::Object(mut m), Type::Object(attrs)) => Value::Object(
            attrs
                .iter()
                .map(|(name, t)| {
                    let v = m.remove(name).unwrap_or(Value::Null);
                    Ok((name.clone(), conform_at(v, t, &path.attribute(name.clone()))?))
                })
                .collect::<Result<_, ValueError>>()?,
        ),
        (v, _) => return Err(mismatch(&v)),
    })
}

/// Where `actual` contradicts what `planned` promised: every known part of
/// a planned value must come back equal (Terraform's rule for an apply's
/// result; an unknown part may become anything). A set with an unknown
/// element is compared by nothing but that promise; other sets compare
/// without regard to order.
pub fn contradictions(planned: &Value, actual: &Value) -> Vec<AttributePath> {
    let mut out = Vec::new();
    contradictions_at(planned, actual, &AttributePath::root(), &mut out);
    out
}

fn contradictions_at(planned: &Value, actual: &Value, path: &AttributePath, out: &mut Vec<AttributePath>) {
    match (planned, actual) {
        (Value::Unknown, _) => {}
        (Value::Set(p), Value::Set(a)) => {
            let same = p.iter().any(Value::contains_unknown) || (p.len() == a.len() && p.iter().all(|v| a.contains(v)));
            if !same {
                out.push(path.clone());
            }
        }
        (Value::List(p), Value::List(a)) | (Value::Tuple(p), Value::Tuple(a)) if p.len() == a.len() => {
            for (i, (pv, av)) in p.iter().zip(a).enumerate() {
                contradictions_at(pv, av, &path.index(i), out);
            }
        }
        (Value::Object(p), Value::Object(a)) => {
            for (name, pv) in p {
                contradictions_at(pv, a.get(name).unwrap_or(&Value::Null), &path.attribute(name.clone()), out);
            }
        }
        (Value::Map(p), Value::Map(a)) if p.len() == a.len() && p.keys().all(|k| a.contains_key(k)) => {
            for (key, pv) in p {
                contradictions_at(pv, &a[key], &path.key(key.clone()), out);
            }
        }
        (p, a) if p == a => {}
        _ => out.push(path.clone()),
    }
}

fn conform_items(items: Vec<Value>, element: &Type, path: &AttributePath) -> Result<Vec<Value>, ValueError> {
    items.into_iter().enumerate().map(|(i, v)| conform_at(v, element, &path.index(i))).collect()
}

/// Sets hold each value once.
fn dedup_set(items: &mut Vec<Value>) {
    let mut seen: Vec<Value> = Vec::with_capacity(items.len());
    items.retain(|v| {
        if seen.contains(v) {
            false
        } else {
            seen.push(v.clone());
            true
        }
    });
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Number(Number::Int(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conform_fills_missing_attributes_and_builds_sets() {
        let ty = Type::object([("a", Type::String), ("b", Type::set(Type::Number)), ("c", Type::map(Type::Bool))]);
        let v = Value::Object(BTreeMap::from([("b".to_owned(), Value::List(vec![1.into(), 2.into(), 1.into()]))]));
        let got = v.conform(&ty).unwrap();
        assert_eq!(got.get("a"), &Value::Null);
        assert_eq!(got.get("b"), &Value::Set(vec![1.into(), 2.into()]));
        assert_eq!(got.get("c"), &Value::Null);
    }

    #[test]
    fn contradictions_name_each_known_planned_value_that_changed() {
        let obj = |pairs: Vec<(&str, Value)>| {
            Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<BTreeMap<_, _>>())
        };
        let planned = obj(vec![
            ("arn", "a".into()),
            ("later", Value::Unknown),
            ("set", Value::Set(vec!["x".into(), "y".into()])),
            ("open", Value::Set(vec![Value::Unknown])),
            ("m", Value::Map(BTreeMap::from([("1".to_owned(), obj(vec![("l", "l1".into())]))]))),
        ]);
        let same = obj(vec![
            ("arn", "a".into()),
            ("later", "anything".into()),
            ("set", Value::Set(vec!["y".into(), "x".into()])),
            ("open", Value::Set(vec!["p".into(), "q".into()])),
            ("m", Value::Map(BTreeMap::from([("1".to_owned(), obj(vec![("l", "l1".into())]))]))),
        ]);
        assert_eq!(contradictions(&planned, &same), Vec::<AttributePath>::new());
        let moved = obj(vec![
            ("arn", "b".into()),
            ("later", Value::Null),
            ("set", Value::Set(vec!["x".into()])),
            ("open", Value::Null),
            ("m", Value::Map(BTreeMap::from([("1".to_owned(), obj(vec![("l", "l2".into())]))]))),
        ]);
        let found: Vec<String> = contradictions(&planned, &moved).iter().map(ToString::to_string).collect();
        assert_eq!(found, vec!["arn", r#"m["1"].l"#, "open", "set"]);
    }

    #[test]
    fn conform_reports_path_of_mismatch() {
        let ty = Type::object([("m", Type::map(Type::Number))]);
        let v = Value::Object(BTreeMap::from([(
            "m".to_owned(),
            Value::Map(BTreeMap::from([("k".to_owned(), Value::Bool(true))])),
        )]));
        let err = v.conform(&ty).unwrap_err();
        assert_eq!(err.path.to_string(), r#"m["k"]"#);
    }
}
