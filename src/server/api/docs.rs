//! Renders a schema as the "Schema" section of a Terraform Registry page, in
//! the layout tfplugindocs uses (Required / Optional / Read-Only, then one
//! section per nested object). The schema's descriptions are the only source.

use std::fmt::Write as _;

use super::schema::{Attribute, AttributeType, Block, NestedBlock, Nesting, Schema};
use super::types::Type;

/// The Markdown for `schema`, starting with `## Schema`.
pub fn markdown(schema: &Schema) -> String {
    let mut out = String::from("## Schema\n");
    let mut nested = Vec::new();
    section(&mut out, &schema.block.attributes, &schema.block.blocks, "", &mut nested);
    while !nested.is_empty() {
        for item in std::mem::take(&mut nested) {
            let _ = write!(out, "\n<a id=\"{}\"></a>\n### Nested Schema for `{}`\n", item.anchor, item.path);
            let (attrs, blocks) = match &item.kind {
                NestedKind::Attributes(a) => (a.clone(), Vec::new()),
                NestedKind::Block(b) => (b.attributes.clone(), b.blocks.clone()),
            };
            section(&mut out, &attrs, &blocks, &item.path, &mut nested);
        }
    }
    out
}

enum NestedKind {
    Attributes(Vec<Attribute>),
    Block(Block),
}

struct Nested {
    path: String,
    anchor: String,
    kind: NestedKind,
}

/// Which attributes a group (Required, Optional, Read-Only) lists.
type Belongs = fn(&Attribute) -> bool;

fn section(out: &mut String, attrs: &[Attribute], blocks: &[NestedBlock], parent: &str, nested: &mut Vec<Nested>) {
    let top = parent.is_empty();
    let groups: [(&str, Belongs); 3] =
        [("Required", |a| a.required), ("Optional", |a| a.optional), ("Read-Only", |a| a.computed && !a.optional)];
    for (title, belongs) in &groups {
        let mut lines = Vec::new();
        let mut sorted: Vec<&Attribute> = attrs.iter().filter(|a| belongs(a)).collect();
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        for a in sorted {
            lines.push(attribute_line(a, parent, nested));
        }
        if *title == "Optional" {
            let mut bs: Vec<&NestedBlock> = blocks.iter().collect();
            bs.sort_by(|a, b| a.type_name.cmp(&b.type_name));
            for b in bs {
                lines.push(block_line(b, parent, nested));
            }
        }
        if lines.is_empty() {
            continue;
        }
        if top {
            let _ = write!(out, "\n### {title}\n\n");
        } else {
            let _ = write!(out, "\n{title}:\n\n");
        }
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() { name.to_owned() } else { format!("{parent}.{name}") }
}

fn attribute_line(a: &Attribute, parent: &str, nested: &mut Vec<Nested>) -> String {
    let mut line = format!("- `{}` ({}", a.name, kind(&a.ty));
    if a.sensitive {
        line.push_str(", Sensitive");
    }
    if a.deprecation.is_some() {
        line.push_str(", Deprecated");
    }
    line.push(')');
    if !a.description.is_empty() {
        let _ = write!(line, " {}", a.description);
    }
    if let AttributeType::Nested(_, attrs) = &a.ty {
        let path = join(parent, &a.name);
        let anchor = format!("nestedatt--{}", path.replace('.', "--"));
        let _ = write!(line, " (see [below for nested schema](#{anchor}))");
        nested.push(Nested { path, anchor, kind: NestedKind::Attributes(attrs.clone()) });
    }
    line
}

fn block_line(b: &NestedBlock, parent: &str, nested: &mut Vec<Nested>) -> String {
    let path = join(parent, &b.type_name);
    let anchor = format!("nestedblock--{}", path.replace('.', "--"));
    let mut line = format!("- `{}` (Block {}", b.type_name, nesting_word(b.nesting));
    if b.max_items > 0 {
        let _ = write!(line, ", Max: {}", b.max_items);
    }
    line.push(')');
    if !b.block.description.is_empty() {
        let _ = write!(line, " {}", b.block.description);
    }
    let _ = write!(line, " (see [below for nested schema](#{anchor}))");
    nested.push(Nested { path, anchor, kind: NestedKind::Block(b.block.clone()) });
    line
}

fn nesting_word(n: Nesting) -> &'static str {
    match n {
        Nesting::Single => "Single",
        Nesting::List => "List",
        Nesting::Set => "Set",
        Nesting::Map => "Map",
    }
}

fn kind(t: &AttributeType) -> String {
    match t {
        AttributeType::Plain(t) => type_name(t),
        AttributeType::Nested(Nesting::Single, _) => "Attributes".to_owned(),
        AttributeType::Nested(n, _) => format!("Attributes {}", nesting_word(*n)),
    }
}

fn type_name(t: &Type) -> String {
    match t {
        Type::Bool => "Boolean".into(),
        Type::Number => "Number".into(),
        Type::String => "String".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_name(e)),
        Type::Set(e) => format!("Set of {}", type_name(e)),
        Type::Map(e) => format!("Map of {}", type_name(e)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_groups_and_nested_sections() {
        let s = Schema::new(
            0,
            Block::new()
                .attribute(Attribute::new("region", Type::String).describe("Where."))
                .attribute(Attribute::new("secret", Type::String).sensitive().describe("Shh."))
                .attribute(
                    Attribute::nested("items", Nesting::Map, vec![Attribute::new("ip", Type::String).required()])
                        .required()
                        .describe("Things."),
                )
                .attribute(Attribute::new("out", Type::list(Type::String)).computed())
                .block(NestedBlock::single("endpoints", Block::new().attribute(Attribute::new("ec2", Type::String)))),
        );
        let md = markdown(&s);
        assert!(
            md.contains(
                "### Required\n\n- `items` (Attributes Map) Things. (see [below for nested schema](#nestedatt--items))"
            ),
            "{md}"
        );
        assert!(md.contains("### Optional\n\n- `region` (String) Where.\n- `secret` (String, Sensitive) Shh.\n- `endpoints` (Block List, Max: 1)"), "{md}");
        assert!(md.contains("### Read-Only\n\n- `out` (List of String)"), "{md}");
        assert!(
            md.contains(
                "<a id=\"nestedatt--items\"></a>\n### Nested Schema for `items`\n\nRequired:\n\n- `ip` (String)"
            ),
            "{md}"
        );
        assert!(md.contains("### Nested Schema for `endpoints`\n\nOptional:\n\n- `ec2` (String)"), "{md}");
    }
}
