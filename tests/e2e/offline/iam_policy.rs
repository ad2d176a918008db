//! `docs/iam-policy.json` lists exactly the AWS actions the provider calls:
//! every SDK operation started in `src/aws` (the only place that talks to
//! AWS), and nothing else.

use std::collections::BTreeSet;

/// `describe_target_groups` → `DescribeTargetGroups`.
fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The operations a source file starts: a fluent call with no arguments
/// whose name is an AWS verb, e.g. `elb.describe_target_groups()`.
fn operations(text: &str) -> BTreeSet<String> {
    const VERBS: [&str; 13] = [
        "describe",
        "create",
        "delete",
        "modify",
        "register",
        "deregister",
        "set",
        "add",
        "remove",
        "accept",
        "reject",
        "list",
        "get",
    ];
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices('.') {
        let rest = text[i + 1..].trim_start();
        let name: String =
            rest.chars().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_').collect();
        if rest[name.len()..].starts_with("()") && VERBS.iter().any(|v| name.starts_with(&format!("{v}_"))) {
            out.insert(pascal(&name));
        }
    }
    out
}

#[test]
fn the_policy_lists_exactly_the_calls_the_code_makes() {
    let repo = crate::common::repo();
    let mut called = BTreeSet::new();
    for (file, prefix) in
        [("src/aws/ec2.rs", "ec2"), ("src/aws/elbv2.rs", "elasticloadbalancing"), ("src/aws/msk.rs", "kafka")]
    {
        let text = std::fs::read_to_string(repo.join(file)).unwrap();
        let ops: BTreeSet<String> = operations(&text).into_iter().map(|op| format!("{prefix}:{op}")).collect();
        assert!(!ops.is_empty(), "{file} starts no AWS operation?");
        // Each call's error names the permission it needs (AccessDenied
        // hints): the same set, spelled by hand at every call site.
        let named: BTreeSet<String> = text
            .match_indices("from_sdk_call(")
            .filter_map(|(i, m)| {
                text[i + m.len()..].trim_start().strip_prefix('"')?.split('"').next().map(str::to_owned)
            })
            .collect();
        assert_eq!(named, ops, "{file}: the permissions its errors name are the operations it calls");
        called.extend(ops);
    }
    // No other file under src/ starts an AWS operation itself.
    for dir in ["src/resources", "src/server", "src/domain"] {
        for entry in walk(&repo.join(dir)) {
            let text = std::fs::read_to_string(&entry).unwrap();
            assert!(!text.contains("aws_sdk_"), "{} uses the AWS SDK directly", entry.display());
        }
    }
    let policy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("docs/iam-policy.json")).unwrap()).unwrap();
    let listed: BTreeSet<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()))
        .collect();
    assert!(!listed.is_empty());
    let missing: Vec<_> = called.difference(&listed).collect();
    let unused: Vec<_> = listed.difference(&called).collect();
    assert!(
        missing.is_empty() && unused.is_empty(),
        "missing from the policy: {missing:?}; listed but never called: {unused:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}
