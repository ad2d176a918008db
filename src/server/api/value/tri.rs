//! `Tri<T>`: an attribute that is known, null, or not yet known.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

/// The newtype name through which [`Tri`] talks to the value (de)serializers.
pub(super) const TRI_TOKEN: &str = "$terraform::Tri";
/// The newtype name the value serializer turns into an unknown value.
pub(super) const UNKNOWN_TOKEN: &str = "$terraform::Unknown";

/// A Terraform attribute value as a provider sees it during validation and
/// planning: known, null, or unknown (its value is decided at apply time).
/// With other serde formats `Unknown` behaves like `Null`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Tri<T> {
    #[default]
    Null,
    Unknown,
    Known(T),
}

impl<T> Tri<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Tri::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn known_mut(&mut self) -> Option<&mut T> {
        match self {
            Tri::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Tri::Unknown)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Tri::Null)
    }
}

impl<T> From<Option<T>> for Tri<T> {
    fn from(o: Option<T>) -> Self {
        o.map_or(Tri::Null, Tri::Known)
    }
}

impl<T: Serialize> Serialize for Tri<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Tri::Null => s.serialize_none(),
            Tri::Unknown => s.serialize_newtype_struct(UNKNOWN_TOKEN, &()),
            Tri::Known(v) => s.serialize_some(v),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Tri<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct(TRI_TOKEN, TriVisitor(PhantomData))
    }
}

struct TriVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for TriVisitor<T> {
    type Value = Tri<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Terraform value")
    }

    // The value deserializer: none = null, unit = unknown, some = known.
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Tri::Null)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Tri::Unknown)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        T::deserialize(d).map(Tri::Known)
    }

    // Any other format: an optional value.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Option::<T>::deserialize(d).map(Tri::from)
    }
}
