//! Small helpers shared by the validators of every Terraform type: read a
//! possibly-unknown attribute, report a problem at its path.

use std::time::Duration;

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

/// Go-style durations as the AWS provider takes them: `1h`, `15m`, `1h30m`, `900s`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    // A year at most: longer waits are typos, and far longer ones would
    // overflow the clock arithmetic of the waits.
    const MAX: u64 = 366 * 24 * 3600;
    let mut total = 0u64;
    let mut digits = String::new();
    for ch in s.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let n: u64 = digits.parse().ok()?;
        digits.clear();
        let unit = match ch {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    (digits.is_empty() && total > 0 && total <= MAX).then(|| Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("900s"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("8784h"), Some(Duration::from_secs(8784 * 3600)));
        for bad in ["", "1", "h", "1d", "-1h", "0s", "8785h", "99999999999999999999h", "18446744073709551615h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
