//! Writes provider structs into values with serde. The result is untyped
//! (maps and objects look alike, sets are lists); [`Value::conform`] gives it
//! the schema's shape. `Tri::Unknown` becomes an unknown value.

use std::collections::BTreeMap;
use std::fmt;

use serde::ser::{self, Serialize};

use super::tri::UNKNOWN_TOKEN;
use super::{Number, Value, ValueError};
use crate::server::api::path::AttributePath;

/// Serializes `value` into an untyped [`Value`].
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, ValueError> {
    value.serialize(ValueSerializer)
}

impl ser::Error for ValueError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        ValueError { path: AttributePath::root(), message: msg.to_string() }
    }
}

fn unsupported(what: &str) -> ValueError {
    ValueError { path: AttributePath::root(), message: format!("{what} cannot be a Terraform value") }
}

struct ValueSerializer;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = ser::Impossible<Value, ValueError>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = ser::Impossible<Value, ValueError>;

    fn serialize_bool(self, v: bool) -> Result<Value, ValueError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, ValueError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, ValueError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, ValueError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, ValueError> {
        Ok(Value::Number(Number::Int(v)))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, ValueError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, ValueError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, ValueError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, ValueError> {
        Ok(Value::Number(i64::try_from(v).map_or(Number::Float(v as f64), Number::Int)))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, ValueError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ValueError> {
        // Whole numbers travel as integers, as cty encodes them.
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            return Ok(Value::Number(Number::Int(v as i64)));
        }
        Ok(Value::Number(Number::Float(v)))
    }
    fn serialize_char(self, v: char) -> Result<Value, ValueError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ValueError> {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Value, ValueError> {
        Err(unsupported("bytes"))
    }
    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, ValueError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Value, ValueError> {
        Ok(Value::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, v: &T) -> Result<Value, ValueError> {
        if name == UNKNOWN_TOKEN {
            return Ok(Value::Unknown);
        }
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Value, ValueError> {
        Err(unsupported("an enum with data"))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, ValueError> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, ValueError> {
        Err(unsupported("an enum with data"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapBuilder, ValueError> {
        Ok(MapBuilder { entries: BTreeMap::new(), key: None, object: false })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<MapBuilder, ValueError> {
        Ok(MapBuilder { entries: BTreeMap::new(), key: None, object: true })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, ValueError> {
        Err(unsupported("an enum with data"))
    }
}

struct SeqBuilder(Vec<Value>);

impl SeqBuilder {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        let i = self.0.len();
        let value = v.serialize(ValueSerializer).map_err(|e| prefix(e, &AttributePath::root().index(i)))?;
        self.0.push(value);
        Ok(())
    }
}

// serde asks for the same sequence three times over (a sequence, a tuple,
// a tuple struct); each is a list of values.
macro_rules! list_builder {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for SeqBuilder {
            type Ok = Value;
            type Error = ValueError;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
                self.push(v)
            }
            fn end(self) -> Result<Value, ValueError> {
                Ok(Value::List(self.0))
            }
        }
    )*};
}

list_builder!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

struct MapBuilder {
    entries: BTreeMap<String, Value>,
    key: Option<String>,
    object: bool,
}

impl MapBuilder {
    fn insert<T: Serialize + ?Sized>(&mut self, key: String, v: &T) -> Result<(), ValueError> {
        let path = if self.object { AttributePath::attr(key.clone()) } else { AttributePath::root().key(key.clone()) };
        let value = v.serialize(ValueSerializer).map_err(|e| prefix(e, &path))?;
        self.entries.insert(key, value);
        Ok(())
    }
    fn finish(self) -> Value {
        if self.object { Value::Object(self.entries) } else { Value::Map(self.entries) }
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValueError> {
        self.key = Some(match key.serialize(ValueSerializer)? {
            Value::String(s) => s,
            Value::Number(Number::Int(i)) => i.to_string(),
            _ => return Err(unsupported("a map key that is not a string")),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        let key = self.key.take().ok_or_else(|| unsupported("a map value without key"))?;
        self.insert(key, v)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}
impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<(), ValueError> {
        self.insert(key.to_owned(), v)
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(self.finish())
    }
}

/// Errors are raised deep inside and travel outwards: each level puts its
/// own step in front of the path.
fn prefix(mut e: ValueError, outer: &AttributePath) -> ValueError {
    let mut steps = outer.steps().to_vec();
    steps.extend(e.path.steps().iter().cloned());
    e.path = steps.into();
    e
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde::Serialize;

    use super::*;
    use crate::server::api::types::Type;
    use crate::server::api::value::{Tri, from_value};

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Endpoint {
        port: u16,
        host: Tri<String>,
    }

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Out {
        endpoints: BTreeMap<String, Endpoint>,
        zones: BTreeSet<String>,
        sql: Option<String>,
    }

    fn ty() -> Type {
        Type::object([
            ("endpoints", Type::map(Type::object([("port", Type::Number), ("host", Type::String)]))),
            ("zones", Type::set(Type::String)),
            ("sql", Type::String),
            ("extra", Type::Bool),
        ])
    }

    #[test]
    fn round_trips_through_conform() {
        let out = Out {
            endpoints: BTreeMap::from([("1".into(), Endpoint { port: 9001, host: Tri::Unknown })]),
            zones: BTreeSet::from(["use1-az1".into()]),
            sql: None,
        };
        let v = to_value(&out).unwrap().conform(&ty()).unwrap();
        assert_eq!(v.get("zones"), &Value::Set(vec!["use1-az1".into()]));
        assert_eq!(v.get("extra"), &Value::Null);
        assert_eq!(v.get("endpoints").get("1").get("host"), &Value::Unknown);
        let back: Out = from_value(&v).unwrap();
        assert_eq!(back, out);
    }

    #[test]
    fn tri_serializes_as_null_elsewhere() {
        let e = Endpoint { port: 1, host: Tri::Unknown };
        assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"port":1,"host":null}"#);
    }
}
