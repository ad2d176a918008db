//! The provider API: everything a provider implements or handles, and
//! nothing of the wire. Values arrive decoded, schemas are built as Rust
//! data, and every failure travels as a [`diag::Diagnostic`] with an
//! [`path::AttributePath`].

pub mod diag;
pub mod docs;
pub mod path;
pub mod provider;
pub mod schema;
pub mod types;
pub mod value;
