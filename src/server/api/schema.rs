//! Schemas: what a provider, resource or data source accepts and returns.
//! Descriptions are Markdown; they feed Terraform's documentation tooling
//! and our generated docs.

use super::types::Type;

/// How a nested attribute or block holds its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AttributeType {
    /// A plain attribute of a cty type.
    Plain(Type),
    /// A nested attribute (protocol 6): objects of attributes, each with its
    /// own required/optional/computed flags.
    Nested(Nesting, Vec<Attribute>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub ty: AttributeType,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub description: String,
    pub deprecation: Option<String>,
}

impl Attribute {
    /// A plain attribute. Starts out optional; chain a flag to change that.
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Self::with_type(name, AttributeType::Plain(ty))
    }

    /// A nested attribute.
    pub fn nested(name: impl Into<String>, nesting: Nesting, attributes: Vec<Attribute>) -> Self {
        Self::with_type(name, AttributeType::Nested(nesting, attributes))
    }

    fn with_type(name: impl Into<String>, ty: AttributeType) -> Self {
        Self {
            name: name.into(),
            ty,
            required: false,
            optional: true,
            computed: false,
            sensitive: false,
            description: String::new(),
            deprecation: None,
        }
    }

    #[must_use]
    pub fn required(mut self) -> Self {
        (self.required, self.optional, self.computed) = (true, false, false);
        self
    }

    /// Optional, and filled in by the provider when not set.
    #[must_use]
    pub fn optional_computed(mut self) -> Self {
        (self.required, self.optional, self.computed) = (false, true, true);
        self
    }

    /// Read-only: set by the provider only.
    #[must_use]
    pub fn computed(mut self) -> Self {
        (self.required, self.optional, self.computed) = (false, false, true);
        self
    }

    #[must_use]
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    #[must_use]
    pub fn describe(mut self, markdown: impl Into<String>) -> Self {
        self.description = markdown.into();
        self
    }

    #[must_use]
    pub fn deprecated(mut self, message: impl Into<String>) -> Self {
        self.deprecation = Some(message.into());
        self
    }

    /// The type of this attribute's values.
    pub fn value_type(&self) -> Type {
        match &self.ty {
            AttributeType::Plain(t) => t.clone(),
            AttributeType::Nested(nesting, attrs) => {
                nest(*nesting, Type::object(attrs.iter().map(|a| (a.name.clone(), a.value_type()))))
            }
        }
    }
}

fn nest(nesting: Nesting, object: Type) -> Type {
    match nesting {
        Nesting::Single => object,
        Nesting::List => Type::list(object),
        Nesting::Set => Type::set(object),
        Nesting::Map => Type::map(object),
    }
}

/// A nested block (`assume_role { … }`).
#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: u32,
    pub max_items: u32,
}

impl NestedBlock {
    /// A block that appears at most once.
    pub fn single(type_name: impl Into<String>, block: Block) -> Self {
        Self { type_name: type_name.into(), block, nesting: Nesting::List, min_items: 0, max_items: 1 }
    }

    /// A block that appears exactly once.
    pub fn required_single(type_name: impl Into<String>, block: Block) -> Self {
        Self { min_items: 1, ..Self::single(type_name, block) }
    }

    pub fn value_type(&self) -> Type {
        nest(self.nesting, self.block.value_type())
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecation: Option<String>,
}

impl Block {
    pub fn new() -> Self {
        Self::default()
    }

    /// The dotted paths of every sensitive attribute, nested ones included
    /// (`assume_role.external_id`).
    pub fn sensitive_paths(&self) -> Vec<String> {
        fn walk(attrs: &[Attribute], prefix: &str, out: &mut Vec<String>) {
            for a in attrs {
                let path = format!("{prefix}{}", a.name);
                if a.sensitive {
                    out.push(path.clone());
                }
                if let AttributeType::Nested(_, inner) = &a.ty {
                    walk(inner, &format!("{path}."), out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.attributes, "", &mut out);
        for b in &self.blocks {
            out.extend(b.block.sensitive_paths().into_iter().map(|p| format!("{}.{p}", b.type_name)));
        }
        out
    }

    #[must_use]
    pub fn describe(mut self, markdown: impl Into<String>) -> Self {
        self.description = markdown.into();
        self
    }

    #[must_use]
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    #[must_use]
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    /// The object type of values of this block.
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.value_type()))
                .chain(self.blocks.iter().map(|b| (b.type_name.clone(), b.value_type()))),
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    /// Bumped when stored state needs an upgrade.
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Self {
        Self { version, block }
    }

    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

/// `value` with every read-only (computed, not optional) attribute set to
/// null, at any depth: what a configuration could say of it.
pub fn settable(schema: &Schema, value: &super::value::Value) -> super::value::Value {
    settable_block(&schema.block, value)
}

fn settable_block(block: &Block, value: &super::value::Value) -> super::value::Value {
    use super::value::Value;
    let Value::Object(attrs) = value else { return value.clone() };
    let mut out = attrs.clone();
    for a in &block.attributes {
        let v = attrs.get(&a.name).cloned().unwrap_or(Value::Null);
        let kept = if a.computed && !a.optional && !a.required { Value::Null } else { settable_attr(a, &v) };
        out.insert(a.name.clone(), kept);
    }
    for b in &block.blocks {
        let v = attrs.get(&b.type_name).cloned().unwrap_or(Value::Null);
        let kept = match v {
            Value::List(items) => Value::List(items.iter().map(|i| settable_block(&b.block, i)).collect()),
            Value::Set(items) => Value::Set(items.iter().map(|i| settable_block(&b.block, i)).collect()),
            Value::Map(m) => Value::Map(m.iter().map(|(k, i)| (k.clone(), settable_block(&b.block, i))).collect()),
            other => settable_block(&b.block, &other),
        };
        out.insert(b.type_name.clone(), kept);
    }
    Value::Object(out)
}

fn settable_attr(a: &Attribute, value: &super::value::Value) -> super::value::Value {
    use super::value::Value;
    let AttributeType::Nested(_, attrs) = &a.ty else { return value.clone() };
    let inner = Block { attributes: attrs.clone(), ..Block::default() };
    match value {
        Value::List(items) => Value::List(items.iter().map(|i| settable_block(&inner, i)).collect()),
        Value::Set(items) => Value::Set(items.iter().map(|i| settable_block(&inner, i)).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, i)| (k.clone(), settable_block(&inner, i))).collect()),
        other => settable_block(&inner, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_type_covers_attributes_nested_attributes_and_blocks() {
        let block = Block::new()
            .attribute(Attribute::new("region", Type::String))
            .attribute(Attribute::nested("brokers", Nesting::Map, vec![Attribute::new("ip", Type::String).required()]))
            .block(NestedBlock::single(
                "assume_role",
                Block::new().attribute(Attribute::new("role_arn", Type::String)),
            ));
        assert_eq!(
            block.value_type(),
            Type::object([
                ("region", Type::String),
                ("brokers", Type::map(Type::object([("ip", Type::String)]))),
                ("assume_role", Type::list(Type::object([("role_arn", Type::String)]))),
            ])
        );
    }

    #[test]
    fn settable_drops_read_only_attributes_at_every_depth() {
        use crate::server::api::value::Value;
        let schema = Schema::new(
            0,
            Block::new()
                .attribute(Attribute::new("id", Type::String).computed())
                .attribute(Attribute::new("name", Type::String).required())
                .attribute(Attribute::nested(
                    "items",
                    Nesting::Map,
                    vec![Attribute::new("ip", Type::String).required(), Attribute::new("arn", Type::String).computed()],
                ))
                .block(NestedBlock::single(
                    "svc",
                    Block::new().attribute(Attribute::new("sid", Type::String).computed()),
                )),
        );
        let obj =
            |pairs: Vec<(&str, Value)>| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        let state = obj(vec![
            ("id", "x".into()),
            ("name", "n".into()),
            ("items", Value::Map([("1".to_owned(), obj(vec![("ip", "1.2.3.4".into()), ("arn", "a".into())]))].into())),
            ("svc", Value::List(vec![obj(vec![("sid", "s".into())])])),
        ]);
        let c = settable(&schema, &state);
        assert_eq!(c.get("id"), &Value::Null);
        assert_eq!(c.get("name"), &Value::from("n"));
        assert_eq!(c.get("items").get("1").get("arn"), &Value::Null);
        assert_eq!(c.get("items").get("1").get("ip"), &Value::from("1.2.3.4"));
        let Value::List(svc) = c.get("svc") else { panic!("svc is a list block") };
        assert_eq!(svc[0].get("sid"), &Value::Null);
    }

    #[test]
    fn flags_are_exclusive() {
        let a = Attribute::new("x", Type::String).required();
        assert!(a.required && !a.optional && !a.computed);
        let a = a.computed();
        assert!(!a.required && !a.optional && a.computed);
        let a = a.optional_computed();
        assert!(!a.required && a.optional && a.computed);
    }
}
