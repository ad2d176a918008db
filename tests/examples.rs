//! Every example under `examples/` is valid, plans, and (where it creates
//! nothing outside moto) applies and destroys under the real Terraform.

mod common;

use std::path::{Path, PathBuf};

use common::{Moto, Workspace};

/// Folders holding `.tf` files.
fn example_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut has_tf = false;
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            example_dirs(&p, out);
        } else if p.extension().is_some_and(|e| e == "tf") {
            has_tf = true;
        }
    }
    if has_tf {
        out.push(dir.to_path_buf());
    }
}

fn workspace(rel: &str, moto: &Moto) -> Workspace {
    let ws = Workspace::from_example(rel).with_moto(moto);
    let declares = std::fs::read_dir(ws.path())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("required_providers")));
    if !declares {
        // Registry-style snippets leave the provider requirement to the reader.
        ws.write(
            "versions.tf",
            &format!(
                "terraform {{\n  required_providers {{\n    kafka = {{ source = \"{}\" }}\n  }}\n}}\n",
                common::PROVIDER_SOURCE
            ),
        );
    }
    ws
}

#[test]
fn every_example_validates_and_plans() {
    let repo = common::repo();
    let mut dirs = Vec::new();
    example_dirs(&repo.join("examples"), &mut dirs);
    assert!(dirs.len() >= 3, "examples found: {dirs:?}");
    let moto = Moto::start();
    for dir in dirs {
        let rel = dir.strip_prefix(&repo).unwrap().to_str().unwrap().to_owned();
        let ws = workspace(&rel, &moto);
        let v = ws.validate_json();
        assert_eq!(v["valid"], true, "{rel}: {v}");
        ws.ok(&["plan", "-no-color", "-input=false"]);
    }
}

#[test]
fn terraform_fmt_is_clean() {
    let ws = Workspace::new("");
    let out =
        ws.terraform(&["fmt", "-check", "-recursive", "-diff", common::repo().join("examples").to_str().unwrap()]);
    assert!(out.status.success(), "terraform fmt would change:\n{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn data_source_example_applies() {
    let moto = Moto::start();
    let ws = workspace("examples/data-sources/kafka_advertised_listeners", &moto);
    ws.apply();
    let sql = ws.output("materialize_sql");
    assert!(sql.as_str().unwrap().contains(
        "'b-3.hostname-3:9096' USING AWS PRIVATELINK privatelink_svc (PORT 9003, AVAILABILITY ZONE 'use1-az4')"
    ));
    assert_eq!(ws.output("tidbcloud_patterns")["usw2-az2"], "b<broker_id>.usw2-az2.abc.aws.plc.tidbcloud.com:<port>");
}

#[test]
fn quickstart_applies_and_destroys_against_moto() {
    let moto = Moto::start();
    let ws = workspace("examples/quickstart", &moto);
    let var = format!("aws_endpoint={}", moto.url);
    ws.ok(&["apply", "-auto-approve", "-no-color", "-var", &var]);
    let listeners = ws.output("tidbcloud_advertised_listeners");
    assert_eq!(listeners["3"], "EXTERNAL://b3.use1-az4.abc.aws.plc.tidbcloud.com:9095");
    let sql = ws.output("materialize_sql");
    assert!(sql.as_str().unwrap().contains(
        "'b-1.kafka.internal:9092' USING AWS PRIVATELINK privatelink_svc (PORT 9093, AVAILABILITY ZONE 'use1-az1')"
    ));
    ws.ok(&["destroy", "-auto-approve", "-no-color", "-var", &var]);
}
