//! The layer rules of ARCHITECTURE.md ("Invariants"), checked on the
//! source: which layer may name which. A line that breaks one fails here
//! with its file and line, before a reviewer has to notice.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Lines under `layer` (a folder and its `.rs` file) naming any of `banned`,
/// comments left out.
fn breaches(layer: &str, banned: &[&str]) -> Vec<String> {
    let src = crate::common::repo().join("src");
    let mut files = vec![src.join(format!("{layer}.rs"))];
    rust_files(&src.join(layer), &mut files);
    assert!(files.len() > 1, "the {layer} layer has files");
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for b in banned.iter().filter(|b| code.contains(**b)) {
                out.push(format!("{}:{}: names {b}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    out
}

#[test]
fn each_layer_names_only_what_it_may() {
    let rules: [(&str, &[&str]); 5] = [
        // pure: no I/O, no Terraform, no SDK
        (
            "domain",
            &["tokio", "aws_sdk_", "aws_smithy", "crate::server", "crate::aws", "crate::resources", "tonic", "prost"],
        ),
        // knows nothing of Kafka or AWS
        ("server", &["crate::domain", "crate::aws", "crate::resources", "aws_sdk_", "aws_smithy"]),
        // the provider API holds no wire type: providers never see the transport
        ("server/api", &["transport", "tonic", "prost", "pb::", "tfplugin6"]),
        // knows nothing of Terraform
        ("aws", &["crate::server", "crate::resources"]),
        // translates: domain types and aws functions, never the SDK's or the
        // wire's types; it calls waiters (`aws::wait`), it never polls
        (
            "resources",
            &["aws_sdk_", "aws_smithy", "tonic::", "prost::", "server::transport", "retry::", "Instant", "sleep("],
        ),
    ];
    let found: Vec<String> = rules.iter().flat_map(|(layer, banned)| breaches(layer, banned)).collect();
    assert!(found.is_empty(), "layer rules broken (ARCHITECTURE.md, Code map):\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_a_breach() {
    // The same scan over a layer that does name the SDK finds it: the check
    // is not vacuous.
    assert!(!breaches("aws", &["aws_sdk_"]).is_empty());
}
