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

/// A path built on the stack while walking a value, turned into an
/// [`AttributePath`] only when an error needs one: walking a large value
/// then allocates nothing for paths.
#[derive(Debug, Clone, Copy)]
pub enum Trail<'a> {
    Root,
    Attribute(&'a Trail<'a>, &'a str),
    Key(&'a Trail<'a>, &'a str),
    Index(&'a Trail<'a>, usize),
}

impl<'a> Trail<'a> {
    pub fn attribute(&'a self, name: &'a str) -> Trail<'a> {
        Trail::Attribute(self, name)
    }

    pub fn key(&'a self, key: &'a str) -> Trail<'a> {
        Trail::Key(self, key)
    }

    pub fn index(&'a self, index: usize) -> Trail<'a> {
        Trail::Index(self, index)
    }

    pub fn to_path(&self) -> AttributePath {
        let mut steps = Vec::new();
        let mut at = self;
        loop {
            let (parent, step) = match at {
                Trail::Root => break,
                Trail::Attribute(p, n) => (p, Step::Attribute((*n).to_owned())),
                Trail::Key(p, k) => (p, Step::Key((*k).to_owned())),
                Trail::Index(p, i) => (p, Step::Index(i64::try_from(*i).unwrap_or(i64::MAX))),
            };
            steps.push(step);
            at = parent;
        }
        steps.reverse();
        AttributePath::from(steps)
    }
}

#[cfg(test)]
mod trail_tests {
    use super::*;

    #[test]
    fn trails_become_paths() {
        let root = Trail::Root;
        let brokers = root.attribute("brokers");
        let one = brokers.key("1");
        let port = one.attribute("port");
        assert_eq!(port.to_path(), AttributePath::attr("brokers").key("1").attribute("port"));
        assert!(Trail::Root.to_path().is_root());
        assert_eq!(root.attribute("ids").index(3).to_path().to_string(), "ids[3]");
    }
}
