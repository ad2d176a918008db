//! The skeleton every resource and data source shares between Terraform's
//! values and its model: a [`Typed`] model (its schema and its checks),
//! decoded (null meaning the empty model), validated and encoded alike; a
//! `timeouts` block read and checked alike; and a refresh that keeps the
//! state or finds the object gone.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::check::Checks;
use crate::domain::validate::{check_duration, parse_duration};
use crate::server::api::diag::{Diagnostics, value_error};
use crate::server::api::path::AttributePath;
use crate::server::api::provider::{ReadRequest, ReadResponse};
use crate::server::api::schema::Schema;
use crate::server::api::value::{Tri, Value, from_value, to_value};

/// A resource's or data source's model: the values of its one schema.
pub trait Typed: Serialize + DeserializeOwned + Default {
    fn schema() -> Schema;
    /// The configuration's shape checks: no AWS call, every error at its
    /// attribute.
    fn check(&self) -> Checks;

    /// `v` as this model; `what` names the value in an error.
    fn decode(v: &Value, what: &str) -> Result<Self, Diagnostics> {
        decode(v, what)
    }

    /// This model as a value of its schema's type.
    fn encode(&self) -> Result<Value, Diagnostics> {
        encode(self)
    }
}

/// The part of a `Resource` or `DataSource` implementation that its model
/// answers alone: the type's name, its schema (the model's) and its
/// validation (the model's checks). Written inside the `impl` block:
/// `typed!(Model, "kafka_…");`.
macro_rules! typed {
    ($model:ty, $name:expr) => {
        fn type_name(&self) -> &'static str {
            $name
        }

        fn schema(&self) -> $crate::server::api::schema::Schema {
            <$model as $crate::resources::values::Typed>::schema()
        }

        fn validate(&self, config: &$crate::server::api::value::Value) -> $crate::server::api::diag::Diagnostics {
            $crate::resources::values::validate::<$model>(config)
        }
    };
}
pub(crate) use typed;

/// `ValidateResourceConfig` / `ValidateDataResourceConfig`: the model's checks.
pub fn validate<T: Typed>(config: &Value) -> Diagnostics {
    match decode::<T>(config, "configuration") {
        Ok(m) => m.check().0,
        Err(d) => d,
    }
}

/// `m` as a value of its schema's type.
pub fn encode<T: Typed>(m: &T) -> Result<Value, Diagnostics> {
    to_value(m)
        .and_then(|v| v.conform(&T::schema().value_type()))
        .map_err(|e| Diagnostics::from(value_error("state", e)))
}

/// A `timeouts` block, for every resource: the operations a resource's
/// schema lacks (the accepter has no `update`) stay null, and encoding
/// drops them (`Value::conform` keeps only the schema's attributes).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Timeouts {
    pub create: Tri<String>,
    pub update: Tri<String>,
    pub delete: Tri<String>,
}

/// One operation's timeout from a `timeouts` block: as configured, else
/// `default`.
pub fn timeout<T>(block: &Tri<Vec<T>>, which: fn(&T) -> &Tri<String>, default: Duration) -> Duration {
    block
        .known()
        .and_then(|t| t.first())
        .and_then(|t| which(t).known().and_then(|d| parse_duration(d)))
        .unwrap_or(default)
}

/// One duration of a `timeouts` block: its name and where it is kept.
pub type TimeoutField<T> = (&'static str, fn(&T) -> &Tri<String>);

/// Checks each named duration of a `timeouts` block.
pub fn check_timeouts<T>(c: &mut Checks, block: &Tri<Vec<T>>, fields: &[TimeoutField<T>]) {
    let Some(t) = block.known().and_then(|t| t.first()) else { return };
    for (name, which) in fields {
        let at = AttributePath::attr("timeouts").index(0).attribute(*name);
        c.string(which(t), at, "Invalid timeout", check_duration);
    }
}

/// `v` as the model `T`; null (no prior state, a destroy's plan) is
/// `T::default()`. `what` names the value in the error.
pub fn decode<T: DeserializeOwned + Default>(v: &Value, what: &str) -> Result<T, Diagnostics> {
    if v.is_null() {
        return Ok(T::default());
    }
    from_value::<T>(v).map_err(|e| value_error(what, e).into())
}

/// The state a refresh starts from; unreadable, the answer that keeps it
/// (with the error).
pub fn read_state<T: Typed>(req: &ReadRequest) -> Result<T, ReadResponse> {
    T::decode(&req.state, "state").map_err(|d| kept(req, d))
}

/// A refresh that keeps the state as it was, with `diagnostics` (an error
/// reading AWS never turns into "gone").
pub fn kept(req: &ReadRequest, diagnostics: Diagnostics) -> ReadResponse {
    ReadResponse { state: Some(req.state.clone()), private: req.private.clone(), diagnostics }
}

/// A refresh that found the object gone: Terraform plans it anew.
pub fn gone() -> ReadResponse {
    ReadResponse { state: None, private: Vec::new(), diagnostics: Diagnostics::new() }
}
