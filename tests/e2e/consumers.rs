//! A consumer wired in one apply and unwired in one destroy: the service,
//! the consumer's principal (`kafka_endpoint_service_principal`), the
//! acceptance of its endpoint (`kafka_endpoint_connection_accepter`), with
//! the consumer's own side emulated by `terraform_data` whose provisioners
//! make its endpoint appear in the test proxy once the service allows its
//! principal (tests/support/consumer.py), as Materialize's does.

use serde_json::Value;

use crate::common::aws::Network;
use crate::common::hcl::{Block, Config, list, privatelink, s};
use crate::common::{Stage, Workspace, diagnostics};

/// Materialize's shared account and a principal of it.
const ACCOUNT: &str = "664411391173";
const PRINCIPAL: &str = "arn:aws:iam::664411391173:role/mz_emulated_u1";
const ENDPOINT: &str = "vpce-0materialize00001";

/// `kafka_privatelink.k` with its principals left to others.
fn service(net: &Network) -> Block {
    privatelink("wired", net, 1..=3).edit("endpoint_service", |e| e.unset("allowed_principals"))
}

/// The consumer's endpoint, emulated: created (once allowed) with the
/// resource, deleted with it.
fn consumer(endpoint: &str) -> Block {
    let run = |json: &str| format!("\"python3 \\\"$KAFKA_TEST_SUPPORT/consumer.py\\\" '${{jsonencode({json})}}'\"");
    Block::resource("terraform_data", "consumer")
        .set(
            "input",
            format!(
                "{{ service_id = kafka_privatelink.k.endpoint_service[0].id, principal = {}, owner = {}, endpoint = {} }}",
                s(PRINCIPAL),
                s(ACCOUNT),
                s(endpoint)
            ),
        )
        .block(Block::labeled("provisioner", "local-exec").set(
            "command",
            run("{ principal = self.input.principal, owner = self.input.owner, endpoint_id = self.input.endpoint, service_id = self.input.service_id }"),
        ))
        .block(
            Block::labeled("provisioner", "local-exec")
                .set("when", "destroy")
                .set("command", run("{ endpoint_id = self.input.endpoint, delete = true }")),
        )
}

/// The whole wiring: service, consumer, principal, accepter, and the
/// consumer's use of the connection after the accepter.
pub(crate) fn wiring(net: &Network) -> Config {
    Config::new()
        .with(service(net))
        .with(consumer(ENDPOINT))
        .with(
            Block::resource("kafka_endpoint_service_principal", "consumer")
                .set("service_id", "kafka_privatelink.k.endpoint_service[0].id")
                .set("principal_arn", "terraform_data.consumer.output.principal"),
        )
        .with(
            Block::resource("kafka_endpoint_connection_accepter", "consumer")
                .set("service_id", "kafka_privatelink.k.endpoint_service[0].id")
                .set("principal_arn", "kafka_endpoint_service_principal.consumer.principal_arn")
                .block(Block::new("timeouts").str("create", "2m")),
        )
        .with(
            Block::resource("terraform_data", "consumer_kafka")
                .set("input", "kafka_endpoint_connection_accepter.consumer.vpc_endpoint_id")
                .set("depends_on", list(["kafka_endpoint_connection_accepter.consumer"])),
        )
}

fn connection<'a>(connections: &'a [Value], endpoint: &str) -> Option<&'a Value> {
    connections.iter().find(|c| c["endpoint_id"] == endpoint)
}

#[tokio::test]
async fn one_apply_wires_a_consumer_and_one_destroy_unwires_it() {
    let w = Stage::new().await;
    let ws = w.workspace(&wiring(&w.net).to_string());
    ws.apply();

    let connections = w.proxy.connections();
    let c = connection(&connections, ENDPOINT).unwrap_or_else(|| panic!("the consumer connected: {connections:?}"));
    assert_eq!((c["owner"].as_str(), c["state"].as_str()), (Some(ACCOUNT), Some("available")), "{c}");
    let snapshot = w.aws.snapshot().await;
    let (_, principals, _) = snapshot.services.values().next().expect("a service");
    assert_eq!(principals.iter().collect::<Vec<_>>(), [PRINCIPAL], "the consumer's principal, allowed");
    // The principal the other resource added is neither removed nor shown
    // as drift; the connection is left as it is.
    ws.assert_no_changes();
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    let state: Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let resources = state["values"]["root_module"]["resources"].as_array().expect("resources").clone();
    let accepter = resources.iter().find(|r| r["type"] == "kafka_endpoint_connection_accepter").expect("the accepter");
    assert_eq!(accepter["values"]["vpc_endpoint_id"], ENDPOINT);
    assert_eq!(accepter["values"]["owner"], ACCOUNT);
    assert_eq!(accepter["values"]["state"], "available");
    let composite = resources.iter().find(|r| r["type"] == "kafka_privatelink").expect("the service");
    assert_eq!(
        composite["values"]["endpoint_service"][0]["allowed_principals"],
        serde_json::json!([PRINCIPAL]),
        "unset, it reports the principal another resource added"
    );
    ws.assert_no_changes();

    w.proxy.reset_counts();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(w.aws.snapshot().await.is_empty(), "one destroy took everything");
    let counts = w.proxy.counts();
    assert_eq!(counts.get("ec2:RejectVpcEndpointConnections"), Some(&1), "the accepter rejected: {counts:?}");
    let connections = w.proxy.connections();
    let c = connection(&connections, ENDPOINT).expect("still listed, as AWS lists ended connections");
    assert!(matches!(c["state"].as_str(), Some("rejected" | "deleted")), "{c}");
}

#[tokio::test]
async fn a_consumer_is_accepted_by_account_or_endpoint_and_never_by_guess() {
    let w = Stage::new().await;
    let base = Config::new().with(service(&w.net));
    let ws = w.workspace(&base.to_string());
    ws.apply();
    let service_id = w.aws.snapshot().await.services.keys().next().cloned().expect("a service");
    // Two requests of one account wait: accepting by account cannot tell
    // which is meant.
    w.proxy.connect(&service_id, "vpce-0aaaa000000000001", ACCOUNT, "pendingAcceptance");
    w.proxy.connect(&service_id, "vpce-0aaaa000000000002", ACCOUNT, "pendingAcceptance");
    w.proxy.connect(&service_id, "vpce-0bbbb000000000001", "210987654321", "available");
    let by = |key: &str, value: &str| {
        Block::resource("kafka_endpoint_connection_accepter", "a")
            .set("service_id", "kafka_privatelink.k.endpoint_service[0].id")
            .str(key, value)
            .block(Block::new("timeouts").str("create", "30s"))
    };
    ws.write("main.tf", &base.clone().with(by("account_id", ACCOUNT)).to_string());
    let (ok, lines) = ws.plan_json();
    assert!(ok, "{lines:?}");
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.contains("more than one endpoint waiting") && out.contains("vpce-0aaaa000000000002"), "{out}");
    let pending = w.proxy.connections().iter().filter(|c| c["state"] == "pendingAcceptance").count();
    assert_eq!(pending, 2, "neither was accepted");

    // Named by endpoint, that one is accepted.
    ws.write("main.tf", &base.clone().with(by("vpc_endpoint_id", "vpce-0aaaa000000000002")).to_string());
    ws.apply();
    ws.assert_no_changes();
    let connections = w.proxy.connections();
    assert_eq!(
        connection(&connections, "vpce-0aaaa000000000002").map(|c| c["state"].clone()),
        Some("available".into())
    );
    assert_eq!(
        connection(&connections, "vpce-0aaaa000000000001").map(|c| c["state"].clone()),
        Some("pendingAcceptance".into())
    );

    // The account's already accepted connection is never taken over: by
    // account, the one left waiting is accepted.
    ws.write(
        "main.tf",
        &base
            .clone()
            .with(by("vpc_endpoint_id", "vpce-0aaaa000000000002"))
            .with(
                Block::resource("kafka_endpoint_connection_accepter", "b")
                    .set("service_id", "kafka_privatelink.k.endpoint_service[0].id")
                    .str("account_id", ACCOUNT)
                    .block(Block::new("timeouts").str("create", "30s")),
            )
            .to_string(),
    );
    ws.apply();
    let state: Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let b = state["values"]["root_module"]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["name"] == "b")
        .cloned()
        .expect("accepter b");
    assert_eq!(b["values"]["vpc_endpoint_id"], "vpce-0aaaa000000000001");

    // Named by endpoint, a connection rejected out of band stays rejected:
    // AWS accepts only requests that wait, so the state shows it and the
    // plan changes nothing.
    ws.write("main.tf", &base.clone().with(by("vpc_endpoint_id", "vpce-0aaaa000000000002")).to_string());
    ws.apply();
    w.proxy.connect(&service_id, "vpce-0aaaa000000000002", ACCOUNT, "rejected");
    ws.assert_no_changes();

    // Named by account, it is replaced, and the replacement accepts the
    // account's new request.
    let by_account = base.clone().with(by("account_id", "210987654321"));
    w.proxy.connect(&service_id, "vpce-0dddd000000000001", "210987654321", "pendingAcceptance");
    ws.write("main.tf", &by_account.to_string());
    ws.apply();
    w.proxy.connect(&service_id, "vpce-0dddd000000000001", "210987654321", "rejected");
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("must be replaced"), "{plan}");
    w.proxy.connect(&service_id, "vpce-0dddd000000000002", "210987654321", "pendingAcceptance");
    ws.apply();
    ws.assert_no_changes();
    let connections = w.proxy.connections();
    assert_eq!(
        connection(&connections, "vpce-0dddd000000000002").map(|c| c["state"].clone()),
        Some("available".into())
    );

    // Naming the same consumer by its principal instead changes nothing on
    // AWS: an update in place, not a replacement.
    let by_principal = base.clone().with(by("principal_arn", "arn:aws:iam::210987654321:role/reader"));
    ws.write("main.tf", &by_principal.to_string());
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("will be updated in-place") && !plan.contains("must be replaced"), "{plan}");
    ws.apply();
    ws.assert_no_changes();

    // Destroyed, each rejects its own connection; the stranger's stays.
    ws.write("main.tf", &base.to_string());
    ws.apply();
    let connections = w.proxy.connections();
    assert_eq!(connection(&connections, "vpce-0aaaa000000000001").map(|c| c["state"].clone()), Some("rejected".into()));
    assert_eq!(
        connection(&connections, "vpce-0bbbb000000000001").map(|c| c["state"].clone()),
        Some("available".into())
    );
}

#[tokio::test]
async fn a_principal_already_allowed_is_refused_and_imports_are_by_id() {
    let w = Stage::new().await;
    let owned = Config::new().with(
        privatelink("wired", &w.net, 1..=1)
            .edit("endpoint_service", |e| e.set("allowed_principals", list([s(PRINCIPAL)]))),
    );
    let ws = w.workspace(&owned.to_string());
    ws.apply();
    let service_id = w.aws.snapshot().await.services.keys().next().cloned().expect("a service");
    let principal = Block::resource("kafka_endpoint_service_principal", "p")
        .set("service_id", "kafka_privatelink.k.endpoint_service[0].id")
        .str("principal_arn", PRINCIPAL);
    ws.write("main.tf", &owned.clone().with(principal.clone()).to_string());
    let (ok, lines) = ws.plan_json();
    assert!(ok, "{lines:?}");
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.contains("Principal already allowed"), "{out}");

    // Handed over: unset in the service, imported into the resource.
    let handed = Config::new().with(service(&w.net)).with(principal);
    ws.write("main.tf", &handed.to_string());
    ws.ok(&["import", "-no-color", "kafka_endpoint_service_principal.p", &format!("{service_id},{PRINCIPAL}")]);
    ws.apply();
    ws.assert_no_changes();
    let snapshot = w.aws.snapshot().await;
    assert_eq!(snapshot.services[&service_id].1.iter().collect::<Vec<_>>(), [PRINCIPAL]);

    // Removed out of band: the plan says so and the apply allows it again.
    w.aws
        .ec2
        .modify_vpc_endpoint_service_permissions()
        .service_id(&service_id)
        .remove_allowed_principals(PRINCIPAL)
        .send()
        .await
        .unwrap();
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("kafka_endpoint_service_principal.p will be created"), "{plan}");
    ws.apply();
    assert_eq!(w.aws.snapshot().await.services[&service_id].1.iter().collect::<Vec<_>>(), [PRINCIPAL]);
    ws.assert_no_changes();

    // A bad import id is refused with the expected shape.
    let out = ws.fails(&["import", "-no-color", "kafka_endpoint_connection_accepter.x", "vpce-0abc"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Expected <service_id>,<vpc_endpoint_id>") || flat.contains("resource address"), "{out}");

    // An accepter imports by service and endpoint.
    w.proxy.connect(&service_id, "vpce-0cccc000000000001", ACCOUNT, "available");
    let accepter = Block::resource("kafka_endpoint_connection_accepter", "x")
        .set("service_id", "kafka_privatelink.k.endpoint_service[0].id")
        .str("vpc_endpoint_id", "vpce-0cccc000000000001");
    ws.write("main.tf", &handed.with(accepter).to_string());
    ws.ok(&[
        "import",
        "-no-color",
        "kafka_endpoint_connection_accepter.x",
        &format!("{service_id},vpce-0cccc000000000001"),
    ]);
    ws.assert_no_changes();

    // Bad input is refused at plan, before any AWS call.
    let bad = Config::new().with(
        Block::resource("kafka_endpoint_connection_accepter", "bad")
            .str("service_id", "vpce-svc-0123456789abcdef0")
            .str("account_id", ACCOUNT)
            .str("vpc_endpoint_id", "vpce-0123"),
    );
    let offline = Workspace::new(&bad.to_string());
    let (ok, lines) = offline.plan_json();
    assert!(!ok);
    let found = diagnostics(&lines);
    assert!(found.iter().any(|d| d.summary == "Exactly one consumer"), "{found:?}");
}

/// The same wiring under AWS's own behaviours: the service unknown to the
/// calls right after its create (the principal's add waits it out), a
/// connection read back `pendingAcceptance` after the accept, the service
/// `Pending`, and throttling. One apply, an empty plan, one destroy.
#[tokio::test]
async fn the_wiring_waits_out_what_real_aws_does() {
    let w = Stage::new().await;
    let ws = w.workspace(&wiring(&w.net).to_string());
    w.proxy.reset_counts();
    w.proxy.aws(&serde_json::json!({
        "invisible": 2, "pending": 1, "stale_accept": 2, "throttle": 0.1, "seed": 19
    }));
    ws.apply();
    let fired: Vec<String> = w.proxy.counts().into_keys().filter(|k| k.starts_with("aws:")).collect();
    for behaviour in ["aws:invisible", "aws:stale_accept", "aws:consumer"] {
        assert!(fired.iter().any(|f| f == behaviour), "{behaviour} fired: {fired:?}");
    }
    w.proxy.aws(&serde_json::json!({}));
    let connections = w.proxy.connections();
    assert_eq!(connection(&connections, ENDPOINT).map(|c| c["state"].clone()), Some("available".into()));
    ws.assert_no_changes();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(w.aws.snapshot().await.is_empty());
}

/// A create that fails after the load balancer, with the principals left
/// to others: the state records what exists (no value left unknown, which
/// Terraform would refuse), and the next apply finishes it.
#[tokio::test]
async fn a_failed_service_create_with_unset_principals_is_recorded() {
    let w = Stage::new().await;
    let ws = w.workspace(&Config::new().with(service(&w.net)).to_string());
    w.proxy.rules(&serde_json::json!([
        {"action": "CreateVpcEndpointServiceConfiguration", "code": "InvalidParameter", "calls": [1]}
    ]));
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.contains("InvalidParameter") && !out.contains("invalid result object"), "{out}");
    let state: Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let k = &state["values"]["root_module"]["resources"][0];
    assert_eq!(k["tainted"], true, "{k}");
    assert!(k["values"]["load_balancer_arn"].is_string(), "the load balancer is recorded: {k}");
    w.proxy.rules(&serde_json::json!([]));
    ws.apply();
    ws.assert_no_changes();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(w.aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn an_accepter_by_account_beside_a_self_accepting_service_is_told_and_a_timeout_says_what_it_saw() {
    let w = Stage::new().await;
    let service_says = |c: Config, key: &str, value: &str| {
        let (key, value) = (key.to_owned(), value.to_owned());
        c.edit(["kafka_privatelink", "k"], move |k| k.edit("endpoint_service", move |e| e.set(&key, &value)))
            .edit(["kafka_endpoint_connection_accepter", "consumer"], |a| {
                a.edit("timeouts", |t| t.str("create", "10m"))
            })
    };
    // auto_accept and an accepter by account work together in one apply:
    // the request comes after the service's apply, and the accepter takes it
    let ws = w.workspace(&service_says(wiring(&w.net), "auto_accept", "true").to_string());
    ws.apply();
    ws.assert_no_changes();
    // a new accepter's plan beside it says what to expect
    ws.write(
        "main.tf",
        &service_says(wiring(&w.net), "auto_accept", "true")
            .with(
                Block::resource("kafka_endpoint_connection_accepter", "second")
                    .set("service_id", "kafka_privatelink.k.endpoint_service[0].id")
                    .str("account_id", "210987654321"),
            )
            .to_string(),
    );
    let (ok, lines) = ws.plan_json();
    assert!(ok, "a warning, not a refusal: {lines:?}");
    let said = diagnostics(&lines);
    let warned = said.iter().find(|d| d.summary == "The service accepts its consumers itself").expect("the warning");
    assert_eq!(warned.severity, "warning");
    assert!(warned.detail.contains("set auto_accept = false"), "the fix is spelled out: {warned:?}");
    ws.write("main.tf", &service_says(wiring(&w.net), "auto_accept", "true").to_string());
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);

    // A service that needs no acceptance: the accepter's first read at apply
    // refuses at once, not after its 10 minutes.
    let ws = w.workspace(&service_says(wiring(&w.net), "acceptance_required", "false").to_string());
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("needs no acceptance (acceptance_required = false)"), "{flat}");
    assert!(!flat.contains("timed out"), "{flat}");
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);

    // No consumer at all: the timeout says what it saw, not a bare "timed out".
    let lonely = Config::new().with(service(&w.net)).with(
        Block::resource("kafka_endpoint_connection_accepter", "nobody")
            .set("service_id", "kafka_privatelink.k.endpoint_service[0].id")
            .str("account_id", "999999999999")
            .block(Block::new("timeouts").str("create", "15s")),
    );
    let ws = w.workspace(&lonely.to_string());
    let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("No request to accept came within 15 seconds"), "{flat}");
    assert!(flat.contains("no connection at all from account 999999999999"), "{flat}");
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
}

/// The provider killed right after the principal's add, or after the
/// accept: the next apply refuses, naming the import that settles it (never
/// a wait that runs out its timeout), and after the import one apply
/// converges.
#[tokio::test]
async fn a_wiring_killed_after_the_principal_or_the_accept_is_settled_by_the_import_it_names() {
    let cases = [
        ("ModifyVpcEndpointServicePermissions", "kafka_endpoint_service_principal.consumer"),
        ("AcceptVpcEndpointConnections", "kafka_endpoint_connection_accepter.consumer"),
    ];
    for (action, address) in cases {
        let w = Stage::new().await;
        let config = wiring(&w.net).edit(["kafka_endpoint_connection_accepter", "consumer"], |a| {
            a.edit("timeouts", |t| t.str("create", "40s"))
        });
        let ws = w.workspace(&config.to_string());
        let run = ws.crash_at(&w.proxy, action, 1, &["apply", "-auto-approve", "-no-color"]);
        assert!(matches!(run, crate::common::CrashRun::Crashed(_)), "{action}: {run:?}");
        let out = ws.fails(&["apply", "-auto-approve", "-no-color"]);
        let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("import"), "{action}: the refusal names the import: {flat}");
        assert!(!flat.contains("timed out") && !flat.contains("No request to accept came"), "{action}: {flat}");
        let service = w.aws.snapshot().await.services.into_keys().next().expect("the service");
        let id = if address.contains("principal") {
            format!("{service},{PRINCIPAL}")
        } else {
            format!("{service},{ENDPOINT}")
        };
        ws.ok(&["import", "-no-color", address, &id]);
        ws.apply();
        ws.assert_no_changes();
        let connections = w.proxy.connections();
        let c = connection(&connections, ENDPOINT).expect("the consumer's connection");
        assert_eq!(c["state"], "available", "{action}: {c}");
        ws.ok(&["destroy", "-auto-approve", "-no-color"]);
        assert!(w.aws.snapshot().await.is_empty(), "{action}");
    }
}
