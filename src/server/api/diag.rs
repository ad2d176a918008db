//! Diagnostics: errors and warnings for the user, each optionally pointing at
//! an attribute. Every failure a provider reports travels as one of these.

use super::path::AttributePath;
use super::value::ValueError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttributePath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { severity: Severity::Error, summary: summary.into(), detail: detail.into(), path: None }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, summary: summary.into(), detail: detail.into(), path: None }
    }

    /// A state the provider should never reach: `what` went wrong, in the
    /// one wording every such error has.
    pub fn provider_bug(summary: impl Into<String>, what: impl std::fmt::Display) -> Self {
        Self::error(
            summary,
            format!(
                "{what}. This is a bug in the provider; please report it with the plan and the provider's version."
            ),
        )
    }

    /// A planned value that is not known at apply time, as Terraform
    /// promises every value is by then.
    pub fn incomplete_plan(what: impl std::fmt::Display) -> Self {
        Self::provider_bug("Incomplete plan", format!("{what} is not known at apply time"))
    }

    #[must_use]
    pub fn at(mut self, path: AttributePath) -> Self {
        if !path.is_root() {
            self.path = Some(path);
        }
        self
    }
}

/// An ordered list of diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail));
    }

    pub fn attribute_error(&mut self, path: AttributePath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail).at(path));
    }

    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::warning(summary, detail));
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Self(vec![d])
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// A value that Terraform sent and that does not fit the schema.
pub fn value_error(what: &str, e: ValueError) -> Diagnostic {
    let path = e.path.clone();
    Diagnostic::error(format!("Invalid {what}"), e.to_string()).at(path)
}
