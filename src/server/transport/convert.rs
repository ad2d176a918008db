//! Pure conversions between the protocol's messages and the server's own
//! types (values, paths, diagnostics, schemas). No I/O.

use super::pb::tfplugin6 as pb;
use crate::server::api::diag::value_error;
use crate::server::api::diag::{Diagnostic, Diagnostics, Severity};
use crate::server::api::path::{AttributePath, Step};
use crate::server::api::schema::{Attribute, AttributeType, Block, NestedBlock, Nesting, Schema};
use crate::server::api::types::Type;
use crate::server::api::value::{self, Value};

pub fn diagnostics(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags.into_iter().map(diagnostic).collect()
}

pub fn diagnostic(d: Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        } as i32,
        summary: d.summary,
        detail: d.detail,
        attribute: d.path.as_ref().map(attribute_path),
    }
}

pub fn attribute_path(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    Step::Attribute(n) => Selector::AttributeName(n.clone()),
                    Step::Key(k) => Selector::ElementKeyString(k.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

/// Decodes a `DynamicValue`; an absent or empty one is null.
pub fn decode(dv: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostic> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    if !dv.msgpack.is_empty() {
        value::decode_msgpack(&dv.msgpack, ty).map_err(|e| value_error(what, e))
    } else if !dv.json.is_empty() {
        let json: serde_json::Value = serde_json::from_slice(&dv.json)
            .map_err(|e| Diagnostic::error(format!("Invalid {what}"), e.to_string()))?;
        value::from_json(&json, ty).map_err(|e| value_error(what, e))
    } else {
        Ok(Value::Null)
    }
}

/// Encodes a value for Terraform, as MessagePack, after giving it the shape
/// of `ty` (providers may hand back untyped values from `to_value`).
pub fn encode(v: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostic> {
    let msgpack = v.clone().conform(ty).and_then(|v| value::encode_msgpack(&v, ty)).map_err(|e| {
        let mut d = value_error(what, e);
        d.detail.push_str("\n\nThis is a bug in the provider.");
        d
    })?;
    Ok(pb::DynamicValue { msgpack, json: Vec::new() })
}

/// A provider function's signature as protocol 6 spells it.
pub fn function(s: &crate::server::api::provider::Signature) -> pb::Function {
    let ty = Type::to_json_bytes;
    pb::Function {
        parameters: s
            .parameters
            .iter()
            .map(|p| pb::function::Parameter {
                name: p.name.to_owned(),
                r#type: ty(&p.ty),
                allow_null_value: p.allow_null,
                allow_unknown_values: false,
                description: p.description.clone(),
                description_kind: pb::StringKind::Markdown as i32,
            })
            .collect(),
        variadic_parameter: None,
        r#return: Some(pb::function::Return { r#type: ty(&s.returns) }),
        summary: s.summary.clone(),
        description: s.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecation_message: String::new(),
    }
}

pub fn identity_schema(s: &crate::server::api::provider::IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: s.version,
        identity_attributes: s
            .attributes
            .iter()
            .map(|a| pb::resource_identity_schema::IdentityAttribute {
                name: a.name.clone(),
                r#type: a.ty.to_json_bytes(),
                required_for_import: a.required_for_import,
                optional_for_import: !a.required_for_import,
                description: a.description.clone(),
            })
            .collect(),
    }
}

pub fn schema(s: &Schema) -> pb::Schema {
    pb::Schema { version: s.version, block: Some(block(&s.block)) }
}

fn block(b: &Block) -> pb::schema::Block {
    pb::schema::Block {
        version: 0,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: b.deprecation.is_some(),
        deprecation_message: b.deprecation.clone().unwrap_or_default(),
    }
}

fn attribute(a: &Attribute) -> pb::schema::Attribute {
    // A nested attribute carries `nested_type` and no `type`: Terraform
    // rejects a schema that sets both.
    let (ty, nested_type) = match &a.ty {
        AttributeType::Plain(t) => (t.to_json_bytes(), None),
        AttributeType::Nested(nesting, attrs) => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: attrs.iter().map(attribute).collect(),
                nesting: match nesting {
                    Nesting::Single => pb::schema::object::NestingMode::Single,
                    Nesting::List => pb::schema::object::NestingMode::List,
                    Nesting::Set => pb::schema::object::NestingMode::Set,
                    Nesting::Map => pb::schema::object::NestingMode::Map,
                } as i32,
                ..Default::default()
            }),
        ),
    };
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: ty,
        nested_type,
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: a.deprecation.is_some(),
        write_only: false,
        deprecation_message: a.deprecation.clone().unwrap_or_default(),
    }
}

fn nested_block(b: &NestedBlock) -> pb::schema::NestedBlock {
    use pb::schema::nested_block::NestingMode;
    pb::schema::NestedBlock {
        type_name: b.type_name.clone(),
        block: Some(block(&b.block)),
        nesting: match b.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
            Nesting::Map => NestingMode::Map,
        } as i32,
        min_items: i64::from(b.min_items),
        max_items: i64::from(b.max_items),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_attributes_have_no_type() {
        let s = Schema::new(
            1,
            Block::new().attribute(Attribute::nested(
                "brokers",
                Nesting::Map,
                vec![Attribute::new("ip", Type::String).required()],
            )),
        );
        let p = schema(&s);
        let a = &p.block.unwrap().attributes[0];
        assert!(a.r#type.is_empty());
        let n = a.nested_type.as_ref().unwrap();
        assert_eq!(n.nesting, pb::schema::object::NestingMode::Map as i32);
        assert_eq!(n.attributes[0].r#type, b"\"string\"");
        assert!(n.attributes[0].required);
    }

    #[test]
    fn diagnostics_carry_paths() {
        let d = Diagnostic::error("bad", "worse").at(AttributePath::attr("brokers").key("1").attribute("port"));
        let p = diagnostic(d);
        assert_eq!(p.severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!(p.attribute.unwrap().steps.len(), 3);
    }

    #[test]
    fn empty_dynamic_value_is_null() {
        let dv = pb::DynamicValue::default();
        assert_eq!(decode(Some(&dv), &Type::String, "x").unwrap(), Value::Null);
    }
}
