//! Small helpers shared by the validators of every Terraform type: read a
//! possibly-unknown attribute, report a problem at its path.

use crate::server::diag::Diagnostics;
use crate::server::path::AttributePath;
use crate::server::value::Tri;

/// Validation findings, each at an attribute path.
#[derive(Default)]
pub struct Checks(pub Diagnostics);

impl Checks {
    pub fn fail(&mut self, path: AttributePath, summary: &str, detail: impl Into<String>) {
        self.0.attribute_error(path, summary, detail);
    }

    /// Runs `check` on a known string; null and unknown pass.
    pub fn string(
        &mut self,
        value: &Tri<String>,
        path: AttributePath,
        summary: &str,
        check: impl Fn(&str) -> Result<(), String>,
    ) {
        if let Tri::Known(s) = value
            && let Err(e) = check(s)
        {
            self.fail(path, summary, e);
        }
    }

    /// A known number must be a whole number in `min..=max`.
    pub fn range(&mut self, value: &Tri<f64>, path: AttributePath, what: &str, min: i64, max: i64) -> Option<i64> {
        let Tri::Known(v) = *value else { return None };
        if v.fract() == 0.0 && v >= min as f64 && v <= max as f64 {
            Some(v as i64)
        } else {
            self.fail(path, &format!("Invalid {what}"), format!("{v} is not a {what} between {min} and {max}."));
            None
        }
    }

    pub fn has_errors(&self) -> bool {
        self.0.has_errors()
    }
}

/// A known port number, checked.
pub fn port(checks: &mut Checks, value: &Tri<f64>, path: AttributePath, what: &str) -> Option<u16> {
    checks.range(value, path, what, 1, 65535).map(|p| p as u16)
}
