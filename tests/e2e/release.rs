//! `make test-release`: the artifacts in `dist/` install the way users
//! install providers — `terraform init` from a packed filesystem mirror,
//! with a CLI configuration that has a `filesystem_mirror` block and no
//! `dev_overrides` — and the installed provider then applies a data source.
//! Ignored by `make test` (it needs the release build `make release` makes).

use std::process::{Command, Stdio};

#[test]
#[ignore = "needs dist/ from `make release`; run `make test-release`"]
fn dist_installs_from_a_filesystem_mirror_and_applies() {
    let repo = crate::common::repo();
    let version = env!("CARGO_PKG_VERSION");
    let os_arch = format!(
        "{}_{}",
        std::env::consts::OS,
        match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        }
    );
    let zip = format!("terraform-provider-kafka_{version}_{os_arch}.zip");
    let dist = repo.join("dist");
    for name in [
        zip.clone(),
        format!("terraform-provider-kafka_{version}_SHA256SUMS"),
        format!("terraform-provider-kafka_{version}_manifest.json"),
    ] {
        assert!(dist.join(&name).exists(), "dist/{name} (run `make release`)");
    }
    let sums = std::fs::read_to_string(dist.join(format!("terraform-provider-kafka_{version}_SHA256SUMS"))).unwrap();
    assert!(sums.lines().any(|l| l.ends_with(&format!("  {zip}"))), "{sums}");

    // A packed mirror: <host>/<namespace>/<type>/<the release zip>.
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("mirror");
    let pkg = mirror.join("registry.terraform.io/kafka-privatelink/kafka");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::copy(dist.join(&zip), pkg.join(&zip)).unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        dir.path().join("terraform.rc"),
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/kafka-privatelink/kafka\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    std::fs::write(
        work.join("main.tf"),
        format!(
            r#"terraform {{
  required_providers {{
    kafka = {{
      source  = "kafka-privatelink/kafka"
      version = "{version}"
    }}
  }}
}}

provider "kafka" {{
  region = "us-east-1"
}}

data "kafka_advertised_listeners" "l" {{
  brokers = {{
    "1" = {{ availability_zone_id = "use1-az1" }}
    "2" = {{ availability_zone_id = "use1-az2" }}
  }}
  template = "b{{broker_id}}.kafka.example.com"
}}

output "listener" {{ value = data.kafka_advertised_listeners.l.broker_endpoints["2"].advertised_listener }}
"#
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(repo.join("tools/terraform"))
            .args(args)
            .current_dir(&work)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("VENV", crate::common::terraform_venv())
            .env("TF_CLI_CONFIG_FILE", dir.path().join("terraform.rc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "terraform {args:?}:\n{text}");
        text
    };
    let init = run(&["init", "-no-color"]);
    assert!(init.contains(&format!("Installed kafka-privatelink/kafka v{version}")), "{init}");
    assert!(!init.contains("development overrides"), "{init}");
    // What Terraform unpacked: the release binary, under the 40 MB goal.
    let installed = work
        .join(".terraform/providers/registry.terraform.io/kafka-privatelink/kafka")
        .join(version)
        .join(&os_arch)
        .join(format!("terraform-provider-kafka_v{version}"));
    let size = std::fs::metadata(&installed).unwrap_or_else(|e| panic!("{}: {e}", installed.display())).len();
    assert!(size < 40_000_000, "the release binary is {size} bytes, over the 40 MB goal");
    let lock = std::fs::read_to_string(work.join(".terraform.lock.hcl")).unwrap();
    let flat = lock.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&format!("version = \"{version}\"")) && flat.contains("\"h1:"), "{lock}");
    run(&["apply", "-auto-approve", "-no-color"]);
    let out = run(&["output", "-raw", "listener"]);
    assert!(out.ends_with("EXTERNAL://b2.kafka.example.com:9002"), "{out}");
}
