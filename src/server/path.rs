//! Attribute paths: where in a value a diagnostic points
//! (`brokers["1"].listener_port`, `subnet_ids[0]`).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Attribute(String),
    Key(String),
    Index(i64),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributePath(Vec<Step>);

impl AttributePath {
    pub fn root() -> Self {
        Self::default()
    }

    /// A path starting at a top-level attribute.
    pub fn attr(name: impl Into<String>) -> Self {
        Self(vec![Step::Attribute(name.into())])
    }

    #[must_use]
    pub fn attribute(&self, name: impl Into<String>) -> Self {
        self.with(Step::Attribute(name.into()))
    }

    #[must_use]
    pub fn key(&self, key: impl Into<String>) -> Self {
        self.with(Step::Key(key.into()))
    }

    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        self.with(Step::Index(i64::try_from(index).unwrap_or(i64::MAX)))
    }

    fn with(&self, step: Step) -> Self {
        let mut steps = self.0.clone();
        steps.push(step);
        Self(steps)
    }

    pub fn steps(&self) -> &[Step] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<Step>> for AttributePath {
    fn from(steps: Vec<Step>) -> Self {
        Self(steps)
    }
}

/// Renders the path the way Terraform prints it in diagnostics.
impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Attribute(name) if i == 0 => write!(f, "{name}")?,
                Step::Attribute(name) => write!(f, ".{name}")?,
                Step::Key(key) => write!(f, "[{key:?}]")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_terraform() {
        let p = AttributePath::attr("brokers").key("1").attribute("listener_port");
        assert_eq!(p.to_string(), r#"brokers["1"].listener_port"#);
        assert_eq!(AttributePath::attr("subnet_ids").index(2).to_string(), "subnet_ids[2]");
        assert!(AttributePath::root().is_root());
    }
}
