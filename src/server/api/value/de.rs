//! Reads provider structs out of values with serde. Unknown values are only
//! accepted where the struct says [`Tri`](super::Tri); an error names the
//! attribute path where it happened.

use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::tri::TRI_TOKEN;
use super::{Number, Value, ValueError};
use crate::server::api::path::AttributePath;

/// Deserializes `T` from a value.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, ValueError> {
    T::deserialize(ValueDeserializer { value, path: AttributePath::root() })
}

impl de::Error for ValueError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        ValueError { path: AttributePath::root(), message: msg.to_string() }
    }
}

/// Gives an error that was raised without a path (by serde-derived code) the
/// path of the value being read.
fn locate(mut e: ValueError, path: &AttributePath) -> ValueError {
    if e.path.is_root() {
        e.path = path.clone();
    }
    e
}

struct ValueDeserializer<'a> {
    value: &'a Value,
    path: AttributePath,
}

impl ValueDeserializer<'_> {
    fn error(&self, message: impl Into<String>) -> ValueError {
        ValueError { path: self.path.clone(), message: message.into() }
    }
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        let path = self.path.clone();
        let r = match self.value {
            Value::Unknown => return Err(self.error("value is not known yet")),
            Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Number(Number::Int(i)) => v.visit_i64(*i),
            Value::Number(Number::Float(f)) => v.visit_f64(*f),
            Value::String(s) => v.visit_borrowed_str(s),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                v.visit_seq(Seq { items: items.iter().enumerate(), path: self.path })
            }
            Value::Map(m) => v.visit_map(Map { entries: m.iter(), pending: None, path: self.path, object: false }),
            Value::Object(m) => v.visit_map(Map { entries: m.iter(), pending: None, path: self.path, object: true }),
        };
        r.map_err(|e| locate(e, &path))
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match self.value {
            Value::Null => v.visit_none(),
            Value::Unknown => Err(self.error("value is not known yet")),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, ValueError> {
        if name != TRI_TOKEN {
            return v.visit_newtype_struct(self);
        }
        match self.value {
            Value::Null => v.visit_none(),
            Value::Unknown => v.visit_unit(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ValueError> {
        match self.value {
            Value::String(s) => v.visit_enum(StrDeserializer::<ValueError>::new(s)).map_err(|e| locate(e, &self.path)),
            _ => Err(self.error("expected a string")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct Seq<'a, I: Iterator<Item = (usize, &'a Value)>> {
    items: I,
    path: AttributePath,
}

impl<'de, I: Iterator<Item = (usize, &'de Value)>> SeqAccess<'de> for Seq<'de, I> {
    type Error = ValueError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, ValueError> {
        let Some((i, value)) = self.items.next() else { return Ok(None) };
        let path = self.path.index(i);
        seed.deserialize(ValueDeserializer { value, path: path.clone() }).map(Some).map_err(|e| locate(e, &path))
    }
}

struct Map<'a, I: Iterator<Item = (&'a String, &'a Value)>> {
    entries: I,
    pending: Option<(&'a String, &'a Value)>,
    path: AttributePath,
    object: bool,
}

impl<'de, I: Iterator<Item = (&'de String, &'de Value)>> MapAccess<'de> for Map<'de, I> {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ValueError> {
        let Some(entry) = self.entries.next() else { return Ok(None) };
        self.pending = Some(entry);
        let key = BorrowedStrDeserializer::<'de, ValueError>::new(entry.0.as_str());
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ValueError> {
        let Some((k, value)) = self.pending.take() else {
            return Err(ValueError { path: self.path.clone(), message: "value without key".into() });
        };
        let path = if self.object { self.path.attribute(k.clone()) } else { self.path.key(k.clone()) };
        seed.deserialize(ValueDeserializer { value, path: path.clone() }).map_err(|e| locate(e, &path))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde::Deserialize;

    use super::*;
    use crate::server::api::value::Tri;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Broker {
        ip: String,
        port: Option<u16>,
        listener_port: Tri<u16>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Model {
        brokers: BTreeMap<String, Broker>,
        subnet_ids: Tri<BTreeSet<String>>,
        #[serde(rename = "kind")]
        mode: Mode,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Plain,
        Fancy,
    }

    fn obj(entries: Vec<(&str, Value)>) -> Value {
        Value::Object(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    #[test]
    fn reads_known_null_and_unknown() {
        let v = obj(vec![
            (
                "brokers",
                Value::Map(BTreeMap::from([(
                    "1".to_owned(),
                    obj(vec![("ip", "10.0.0.1".into()), ("port", Value::Null), ("listener_port", Value::Unknown)]),
                )])),
            ),
            ("subnet_ids", Value::Set(vec!["a".into(), "b".into()])),
            ("kind", "fancy".into()),
        ]);
        let m: Model = from_value(&v).unwrap();
        assert_eq!(m.brokers["1"].ip, "10.0.0.1");
        assert_eq!(m.brokers["1"].port, None);
        assert_eq!(m.brokers["1"].listener_port, Tri::Unknown);
        assert_eq!(m.subnet_ids.known().map(BTreeSet::len), Some(2));
        assert_eq!(m.mode, Mode::Fancy);
    }

    #[test]
    fn unknown_outside_tri_is_an_error_with_path() {
        let v = obj(vec![
            (
                "brokers",
                Value::Map(BTreeMap::from([(
                    "7".to_owned(),
                    obj(vec![("ip", Value::Unknown), ("port", Value::Null), ("listener_port", Value::Null)]),
                )])),
            ),
            ("subnet_ids", Value::Unknown),
            ("kind", "plain".into()),
        ]);
        let e = from_value::<Model>(&v).unwrap_err();
        assert_eq!(e.path.to_string(), r#"brokers["7"].ip"#);
    }

    #[test]
    fn out_of_range_numbers_name_the_attribute() {
        let v = obj(vec![
            (
                "brokers",
                Value::Map(BTreeMap::from([(
                    "1".to_owned(),
                    obj(vec![("ip", "x".into()), ("port", 70000.into()), ("listener_port", Value::Null)]),
                )])),
            ),
            ("subnet_ids", Value::Null),
            ("kind", "plain".into()),
        ]);
        let e = from_value::<Model>(&v).unwrap_err();
        assert_eq!(e.path.to_string(), r#"brokers["1"].port"#);
        assert!(e.message.contains("70000"), "{e}");
    }
}
