//! What every resource does alike between Terraform's values and its
//! model: decode a value (null meaning the empty model), and answer a
//! refresh that keeps the state or finds the object gone.

use serde::de::DeserializeOwned;

use crate::server::api::diag::{Diagnostics, value_error};
use crate::server::api::provider::{ReadRequest, ReadResponse};
use crate::server::api::value::{Value, from_value};

/// `v` as the model `T`; null (no prior state, a destroy's plan) is
/// `T::default()`. `what` names the value in the error.
pub fn decode<T: DeserializeOwned + Default>(v: &Value, what: &str) -> Result<T, Diagnostics> {
    if v.is_null() {
        return Ok(T::default());
    }
    from_value::<T>(v).map_err(|e| value_error(what, e).into())
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
