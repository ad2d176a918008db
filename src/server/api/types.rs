//! cty types: the type system of Terraform values, and their JSON encoding
//! (`"string"`, `["list","number"]`, `["object",{"a":"bool"}]`).

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// A cty type. Schemas describe attributes with these; values are decoded
/// and encoded following them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Bool,
    Number,
    String,
    /// `DynamicPseudoType`: the value carries its own type on the wire.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

/// A type whose JSON encoding is not a cty type.
#[derive(Debug, thiserror::Error)]
#[error("invalid cty type {0}")]
pub struct InvalidType(String);

impl Type {
    pub fn list(element: Type) -> Self {
        Type::List(Box::new(element))
    }
    pub fn set(element: Type) -> Self {
        Type::Set(Box::new(element))
    }
    pub fn map(element: Type) -> Self {
        Type::Map(Box::new(element))
    }
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Self {
        Type::Object(attributes.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    /// The JSON encoding Terraform expects in `Schema.Attribute.type`.
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => Json::from("bool"),
            Type::Number => Json::from("number"),
            Type::String => Json::from("string"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(e) => Json::Array(vec!["list".into(), e.to_json()]),
            Type::Set(e) => Json::Array(vec!["set".into(), e.to_json()]),
            Type::Map(e) => Json::Array(vec!["map".into(), e.to_json()]),
            Type::Object(attrs) => Json::Array(vec![
                "object".into(),
                Json::Object(attrs.iter().map(|(k, t)| (k.clone(), t.to_json())).collect()),
            ]),
            Type::Tuple(elems) => {
                Json::Array(vec!["tuple".into(), Json::Array(elems.iter().map(Type::to_json).collect())])
            }
        }
    }

    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Parses the JSON encoding of a type. Object types with optional-attribute
    /// markers (a third array element) are accepted; the markers only matter
    /// for type conversion, which the provider never does.
    pub fn from_json(json: &Json) -> Result<Self, InvalidType> {
        let bad = || InvalidType(json.to_string());
        match json {
            Json::String(s) => match s.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(parts) => match (parts.first().and_then(Json::as_str), parts.get(1)) {
                (Some("list"), Some(e)) => Ok(Type::list(Type::from_json(e)?)),
                (Some("set"), Some(e)) => Ok(Type::set(Type::from_json(e)?)),
                (Some("map"), Some(e)) => Ok(Type::map(Type::from_json(e)?)),
                (Some("object"), Some(Json::Object(attrs))) => {
                    Ok(Type::Object(attrs.iter().map(|(k, t)| Ok((k.clone(), Type::from_json(t)?))).collect::<Result<
                        _,
                        InvalidType,
                    >>(
                    )?))
                }
                (Some("tuple"), Some(Json::Array(elems))) => {
                    Ok(Type::Tuple(elems.iter().map(Type::from_json).collect::<Result<_, _>>()?))
                }
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }

    /// Infers the type of a value, for values sent where the schema says
    /// `dynamic`. Null and unknown values have the dynamic type.
    pub fn of(value: &super::value::Value) -> Type {
        use super::value::Value;
        match value {
            Value::Unknown | Value::Null => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(v) => Type::list(v.first().map_or(Type::Dynamic, Type::of)),
            Value::Set(v) => Type::set(v.first().map_or(Type::Dynamic, Type::of)),
            Value::Map(m) => Type::map(m.values().next().map_or(Type::Dynamic, Type::of)),
            Value::Object(m) => Type::Object(m.iter().map(|(k, v)| (k.clone(), Type::of(v))).collect()),
            Value::Tuple(v) => Type::Tuple(v.iter().map(Type::of).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip() {
        let t = Type::object([
            ("brokers", Type::map(Type::object([("ip", Type::String)]))),
            ("ports", Type::set(Type::Number)),
            ("pair", Type::Tuple(vec![Type::Bool, Type::Dynamic])),
            ("names", Type::list(Type::String)),
        ]);
        let json = t.to_json();
        assert_eq!(
            json.to_string(),
            r#"["object",{"brokers":["map",["object",{"ip":"string"}]],"names":["list","string"],"pair":["tuple",["bool","dynamic"]],"ports":["set","number"]}]"#
        );
        assert_eq!(Type::from_json(&json).unwrap(), t);
    }

    #[test]
    fn optional_attribute_markers_are_accepted() {
        let json: Json = serde_json::from_str(r#"["object",{"a":"string"},["a"]]"#).unwrap();
        assert_eq!(Type::from_json(&json).unwrap(), Type::object([("a", Type::String)]));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [r#""text""#, r#"["list"]"#, "3", r#"["object",[]]"#] {
            let json: Json = serde_json::from_str(bad).unwrap();
            assert!(Type::from_json(&json).is_err(), "{bad}");
        }
    }
}
