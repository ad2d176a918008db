//! cty's MessagePack encoding, the normal wire form of values. Decoding is
//! type-directed: objects are maps keyed by attribute name, sets and lists are
//! arrays, unknown values are extension values (code 0, or code 12 for
//! "refined" unknowns whose refinements we accept and drop), and a
//! `dynamic` value is a two-element array `[type JSON, value]`.

use std::collections::BTreeMap;

use rmp::Marker;

use super::{Number, Value, ValueError};
use crate::server::api::path::Trail;
use crate::server::api::types::Type;

fn err(path: &Trail<'_>, message: impl Into<String>) -> ValueError {
    ValueError { path: path.to_path(), message: message.into() }
}

/// Decodes a value of type `ty`.
pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let mut r = Reader { bytes, pos: 0 };
    let root = Trail::Root;
    let value = r.value(ty, &root)?;
    if r.pos != bytes.len() {
        return Err(err(&root, format!("{} trailing bytes after value", bytes.len() - r.pos)));
    }
    Ok(value)
}

/// Encodes a value of type `ty`.
pub fn encode_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::with_capacity(64);
    encode(&mut out, value, ty, &Trail::Root)?;
    Ok(out)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, path: &Trail<'_>) -> Result<&[u8], ValueError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| err(path, "value is truncated"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn uint(&mut self, n: usize, path: &Trail<'_>) -> Result<u64, ValueError> {
        Ok(self.take(n, path)?.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn len(&mut self, n: usize, path: &Trail<'_>) -> Result<usize, ValueError> {
        usize::try_from(self.uint(n, path)?).map_err(|_| err(path, "length overflows"))
    }

    /// Reads the next raw item (used for dynamic type headers and to skip
    /// extension payloads).
    #[expect(clippy::too_many_lines, reason = "one match over every Terraform type and msgpack marker")]
    fn value(&mut self, ty: &Type, path: &Trail<'_>) -> Result<Value, ValueError> {
        let marker = Marker::from_u8(self.take(1, path)?[0]);
        // Unknown values may stand anywhere, whatever the type.
        if let Some(len) = self.ext_len(marker, path)? {
            self.take(len + 1, path)?; // extension code + payload
            return Ok(Value::Unknown);
        }
        if marker == Marker::Null {
            return Ok(Value::Null);
        }
        match ty {
            Type::Bool => match marker {
                Marker::True => Ok(Value::Bool(true)),
                Marker::False => Ok(Value::Bool(false)),
                m => Err(err(path, format!("expected bool, found {m:?}"))),
            },
            Type::Number => self.number(marker, path),
            Type::String => Ok(Value::String(self.string(marker, path)?)),
            Type::Dynamic => {
                let n = self.array_len(marker, path)?;
                if n != 2 {
                    return Err(err(path, "dynamic value must be [type, value]"));
                }
                let header = Marker::from_u8(self.take(1, path)?[0]);
                let type_json = self.string_or_bin(header, path)?;
                let json: serde_json::Value =
                    serde_json::from_slice(&type_json).map_err(|e| err(path, format!("dynamic type: {e}")))?;
                let inner = Type::from_json(&json).map_err(|e| err(path, e.to_string()))?;
                self.value(&inner, path)
            }
            Type::List(e) | Type::Set(e) => {
                let n = self.array_len(marker, path)?;
                let items = (0..n).map(|i| self.value(e, &path.index(i))).collect::<Result<_, _>>()?;
                Ok(if matches!(ty, Type::List(_)) { Value::List(items) } else { Value::Set(items) })
            }
            Type::Tuple(types) => {
                let n = self.array_len(marker, path)?;
                if n != types.len() {
                    return Err(err(path, format!("tuple of {} elements has {n}", types.len())));
                }
                let items =
                    types.iter().enumerate().map(|(i, t)| self.value(t, &path.index(i))).collect::<Result<_, _>>()?;
                Ok(Value::Tuple(items))
            }
            Type::Map(e) => {
                let n = self.map_len(marker, path)?;
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let km = Marker::from_u8(self.take(1, path)?[0]);
                    let k = self.string(km, path)?;
                    let v = self.value(e, &path.key(&k))?;
                    m.insert(k, v);
                }
                Ok(Value::Map(m))
            }
            Type::Object(attrs) => {
                let n = self.map_len(marker, path)?;
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let km = Marker::from_u8(self.take(1, path)?[0]);
                    let k = self.string(km, path)?;
                    let p = path.attribute(&k);
                    let t = attrs.get(&k).ok_or_else(|| err(&p, "unsupported attribute"))?;
                    let v = self.value(t, &p)?;
                    m.insert(k, v);
                }
                // Terraform always sends every attribute; be forgiving anyway.
                for name in attrs.keys() {
                    m.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(m))
            }
        }
    }

    fn ext_len(&mut self, marker: Marker, path: &Trail<'_>) -> Result<Option<usize>, ValueError> {
        Ok(Some(match marker {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => self.len(1, path)?,
            Marker::Ext16 => self.len(2, path)?,
            Marker::Ext32 => self.len(4, path)?,
            _ => return Ok(None),
        }))
    }

    fn number(&mut self, marker: Marker, path: &Trail<'_>) -> Result<Value, ValueError> {
        let int = |v: i64| Ok(Value::Number(Number::Int(v)));
        match marker {
            Marker::FixPos(v) => int(i64::from(v)),
            Marker::FixNeg(v) => int(i64::from(v)),
            Marker::U8 => int(self.uint(1, path)? as i64),
            Marker::U16 => int(self.uint(2, path)? as i64),
            Marker::U32 => int(self.uint(4, path)? as i64),
            Marker::U64 => {
                let v = self.uint(8, path)?;
                match i64::try_from(v) {
                    Ok(i) => int(i),
                    Err(_) => Ok(Value::Number(Number::Float(v as f64))),
                }
            }
            Marker::I8 => int(i64::from(self.uint(1, path)? as u8 as i8)),
            Marker::I16 => int(i64::from(self.uint(2, path)? as u16 as i16)),
            Marker::I32 => int(i64::from(self.uint(4, path)? as u32 as i32)),
            Marker::I64 => int(self.uint(8, path)? as i64),
            Marker::F32 => Ok(float(f64::from(f32::from_bits(self.uint(4, path)? as u32)))),
            Marker::F64 => Ok(float(f64::from_bits(self.uint(8, path)?))),
            // cty sends numbers that fit neither as decimal strings.
            m @ (Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32) => {
                let s = self.string(m, path)?;
                if let Ok(i) = s.parse::<i64>() {
                    return int(i);
                }
                s.parse::<f64>().map(float).map_err(|_| err(path, format!("expected number, found {s:?}")))
            }
            m => Err(err(path, format!("expected number, found {m:?}"))),
        }
    }

    fn string(&mut self, marker: Marker, path: &Trail<'_>) -> Result<String, ValueError> {
        let n = match marker {
            Marker::FixStr(n) => usize::from(n),
            Marker::Str8 => self.len(1, path)?,
            Marker::Str16 => self.len(2, path)?,
            Marker::Str32 => self.len(4, path)?,
            m => return Err(err(path, format!("expected string, found {m:?}"))),
        };
        String::from_utf8(self.take(n, path)?.to_vec()).map_err(|_| err(path, "string is not UTF-8"))
    }

    fn string_or_bin(&mut self, marker: Marker, path: &Trail<'_>) -> Result<Vec<u8>, ValueError> {
        let n = match marker {
            Marker::Bin8 => self.len(1, path)?,
            Marker::Bin16 => self.len(2, path)?,
            Marker::Bin32 => self.len(4, path)?,
            m => return self.string(m, path).map(String::into_bytes),
        };
        Ok(self.take(n, path)?.to_vec())
    }

    fn array_len(&mut self, marker: Marker, path: &Trail<'_>) -> Result<usize, ValueError> {
        match marker {
            Marker::FixArray(n) => Ok(usize::from(n)),
            Marker::Array16 => self.len(2, path),
            Marker::Array32 => self.len(4, path),
            m => Err(err(path, format!("expected array, found {m:?}"))),
        }
    }

    fn map_len(&mut self, marker: Marker, path: &Trail<'_>) -> Result<usize, ValueError> {
        match marker {
            Marker::FixMap(n) => Ok(usize::from(n)),
            Marker::Map16 => self.len(2, path),
            Marker::Map32 => self.len(4, path),
            m => Err(err(path, format!("expected map, found {m:?}"))),
        }
    }
}

fn float(f: f64) -> Value {
    Value::Number(Number::Float(f))
}

/// The encoding of a plain unknown value: fixext1, code 0, payload 0.
const UNKNOWN: [u8; 3] = [0xd4, 0, 0];

fn encode(out: &mut Vec<u8>, value: &Value, ty: &Type, path: &Trail<'_>) -> Result<(), ValueError> {
    // Writing into a Vec cannot fail; rmp's io errors are unreachable here.
    fn w<T, E>(r: Result<T, E>) {
        let _ = r;
    }
    if let Type::Dynamic = ty {
        return match value {
            Value::Unknown => {
                out.extend_from_slice(&UNKNOWN);
                Ok(())
            }
            Value::Null => {
                w(rmp::encode::write_nil(out));
                Ok(())
            }
            v => {
                let inner = Type::of(v);
                w(rmp::encode::write_array_len(out, 2));
                w(rmp::encode::write_bin(out, &inner.to_json_bytes()));
                encode(out, v, &inner, path)
            }
        };
    }
    let mismatch = || err(path, format!("cannot encode {} as {}", value.kind(), ty.to_json()));
    match (value, ty) {
        (Value::Unknown, _) => out.extend_from_slice(&UNKNOWN),
        (Value::Null, _) => w(rmp::encode::write_nil(out)),
        (Value::Bool(b), Type::Bool) => w(rmp::encode::write_bool(out, *b)),
        (Value::Number(Number::Int(i)), Type::Number) => w(rmp::encode::write_sint(out, *i)),
        (Value::Number(Number::Float(f)), Type::Number) => w(rmp::encode::write_f64(out, *f)),
        (Value::String(s), Type::String) => w(rmp::encode::write_str(out, s)),
        (Value::List(items) | Value::Set(items), Type::List(e) | Type::Set(e)) => {
            w(rmp::encode::write_array_len(out, len32(items.len(), path)?));
            for (i, v) in items.iter().enumerate() {
                encode(out, v, e, &path.index(i))?;
            }
        }
        (Value::Tuple(items) | Value::List(items), Type::Tuple(types)) if items.len() == types.len() => {
            w(rmp::encode::write_array_len(out, len32(items.len(), path)?));
            for (i, (v, t)) in items.iter().zip(types).enumerate() {
                encode(out, v, t, &path.index(i))?;
            }
        }
        (Value::Map(m), Type::Map(e)) => {
            w(rmp::encode::write_map_len(out, len32(m.len(), path)?));
            for (k, v) in m {
                w(rmp::encode::write_str(out, k));
                encode(out, v, e, &path.key(k))?;
            }
        }
        (Value::Object(m), Type::Object(attrs)) => {
            w(rmp::encode::write_map_len(out, len32(attrs.len(), path)?));
            for (name, t) in attrs {
                w(rmp::encode::write_str(out, name));
                let v = m.get(name).unwrap_or(&Value::Null);
                encode(out, v, t, &path.attribute(name))?;
            }
        }
        _ => return Err(mismatch()),
    }
    Ok(())
}

fn len32(n: usize, path: &Trail<'_>) -> Result<u32, ValueError> {
    u32::try_from(n).map_err(|_| err(path, "collection too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty() -> Type {
        Type::object([
            ("name", Type::String),
            ("count", Type::Number),
            ("ratio", Type::Number),
            ("on", Type::Bool),
            ("tags", Type::map(Type::String)),
            ("ids", Type::set(Type::String)),
            ("nested", Type::list(Type::object([("x", Type::Number)]))),
            ("any", Type::Dynamic),
        ])
    }

    fn sample() -> Value {
        Value::Object(BTreeMap::from([
            ("name".into(), "kafka".into()),
            ("count".into(), (-70000).into()),
            ("ratio".into(), Value::Number(Number::Float(0.5))),
            ("on".into(), Value::Unknown),
            ("tags".into(), Value::Map(BTreeMap::from([("a".into(), "b".into())]))),
            ("ids".into(), Value::Set(vec!["x".into(), Value::Unknown])),
            ("nested".into(), Value::List(vec![Value::Object(BTreeMap::from([("x".into(), Value::Null)]))])),
            ("any".into(), Value::List(vec![1.into(), 2.into()])),
        ]))
    }

    #[test]
    fn round_trip() {
        let bytes = encode_msgpack(&sample(), &ty()).unwrap();
        assert_eq!(decode_msgpack(&bytes, &ty()).unwrap(), sample());
    }

    #[test]
    fn refined_unknown_is_unknown() {
        // ext8, length 3, code 12, payload: a map {1: true} (refinement "not null")
        let bytes = [0xc7, 3, 12, 0x81, 0x01, 0xc3];
        assert_eq!(decode_msgpack(&bytes, &Type::String).unwrap(), Value::Unknown);
    }

    #[test]
    fn big_numbers_arrive_as_strings() {
        let mut bytes = Vec::new();
        rmp::encode::write_str(&mut bytes, "12345678901234567890123").unwrap();
        let v = decode_msgpack(&bytes, &Type::Number).unwrap();
        assert!(matches!(v, Value::Number(Number::Float(f)) if f > 1e22));
    }

    #[test]
    fn errors_carry_the_path() {
        let t = Type::object([("ports", Type::list(Type::Number))]);
        let mut bytes = Vec::new();
        rmp::encode::write_map_len(&mut bytes, 1).unwrap();
        rmp::encode::write_str(&mut bytes, "ports").unwrap();
        rmp::encode::write_array_len(&mut bytes, 2).unwrap();
        rmp::encode::write_sint(&mut bytes, 1).unwrap();
        rmp::encode::write_bool(&mut bytes, true).unwrap();
        let e = decode_msgpack(&bytes, &t).unwrap_err();
        assert_eq!(e.path.to_string(), "ports[1]");
        assert!(e.to_string().starts_with("ports[1]: expected number"), "{e}");
    }

    #[test]
    fn truncated_input_is_an_error() {
        let bytes = encode_msgpack(&sample(), &ty()).unwrap();
        assert!(decode_msgpack(&bytes[..bytes.len() - 2], &ty()).is_err());
    }
}
