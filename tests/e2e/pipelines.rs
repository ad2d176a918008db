//! What CI pipelines do with Terraform, under the real Terraform: plans
//! saved with `-out` and applied later (also after AWS moved), saved
//! create, update, import and destroy plans, `-refresh-only`, `moved`,
//! `removed` then `import`, `-target`, `-parallelism=1` and workspaces.

use aws_sdk_elasticloadbalancingv2::types::TargetDescription;

use crate::common::hcl::{Block, Config, PRINCIPAL, broker_ip, object, privatelink, s};
use crate::common::{Stage, Workspace};

fn config(stage: &Stage, ids: impl IntoIterator<Item = u32>) -> String {
    Config::new().with(privatelink("saved", &stage.net, ids)).to_string()
}

fn text(out: &std::process::Output) -> String {
    let t = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What happens to the world between `terraform plan -out` and the apply of
/// that file.
#[derive(Debug, Clone, Copy)]
enum Moved {
    ListenerDeleted,
    TargetsDeregistered,
    TagsChanged,
    PrincipalRemoved,
    ServiceDeleted,
    LoadBalancerDeleted,
}

impl Moved {
    /// Whether the apply can keep every value the plan showed (it repairs
    /// in place), or must refuse.
    fn keeps_the_plan(self) -> bool {
        matches!(self, Moved::TargetsDeregistered | Moved::TagsChanged | Moved::PrincipalRemoved)
    }
}

async fn move_world(stage: &Stage, moved: Moved) {
    let (elb, ec2) = (&stage.aws.elb, &stage.aws.ec2);
    let lbs = elb.describe_load_balancers().names("saved").send().await.unwrap();
    let lb = lbs.load_balancers()[0].load_balancer_arn().unwrap().to_owned();
    let listeners = elb.describe_listeners().load_balancer_arn(&lb).send().await.unwrap();
    let first = listeners.listeners().iter().min_by_key(|l| l.port()).unwrap();
    let tg = first.default_actions()[0].target_group_arn().unwrap().to_owned();
    let services = ec2.describe_vpc_endpoint_service_configurations().send().await.unwrap();
    let service = services.service_configurations()[0].service_id().unwrap().to_owned();
    match moved {
        Moved::ListenerDeleted => {
            elb.delete_listener().listener_arn(first.listener_arn().unwrap()).send().await.unwrap();
        }
        Moved::TargetsDeregistered => {
            let health = elb.describe_target_health().target_group_arn(&tg).send().await.unwrap();
            assert!(!health.target_health_descriptions().is_empty(), "a target to deregister");
            for d in health.target_health_descriptions() {
                let t = d.target().unwrap();
                let t = TargetDescription::builder().id(t.id().unwrap()).port(t.port().unwrap()).build();
                elb.deregister_targets().target_group_arn(&tg).targets(t).send().await.unwrap();
            }
        }
        Moved::TagsChanged => {
            let tag = aws_sdk_elasticloadbalancingv2::types::Tag::builder().key("team").value("intruder").build();
            elb.add_tags().resource_arns(&tg).tags(tag).send().await.unwrap();
        }
        Moved::PrincipalRemoved => {
            ec2.modify_vpc_endpoint_service_permissions()
                .service_id(&service)
                .remove_allowed_principals(PRINCIPAL)
                .send()
                .await
                .unwrap();
        }
        Moved::ServiceDeleted => {
            ec2.delete_vpc_endpoint_service_configurations().service_ids(&service).send().await.unwrap();
        }
        Moved::LoadBalancerDeleted => {
            ec2.delete_vpc_endpoint_service_configurations().service_ids(&service).send().await.unwrap();
            elb.delete_load_balancer().load_balancer_arn(&lb).send().await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_saved_plan_applied_after_aws_moved_keeps_its_word_or_refuses_before_any_write() {
    let stage = Stage::new().await;
    let ws = stage.workspace(&config(&stage, [1, 2]));
    let cases = [
        Moved::ListenerDeleted,
        Moved::TargetsDeregistered,
        Moved::TagsChanged,
        Moved::PrincipalRemoved,
        Moved::ServiceDeleted,
        Moved::LoadBalancerDeleted,
    ];
    for (i, moved) in cases.into_iter().enumerate() {
        // converged on brokers 1 and 2; the reviewed plan adds broker 3
        ws.write("main.tf", &config(&stage, [1, 2]));
        ws.apply();
        ws.write("main.tf", &config(&stage, [1, 2, 3]));
        ws.ok(&["plan", "-no-color", "-out=reviewed.tfplan"]);
        move_world(&stage, moved).await;
        stage.proxy.reset_counts();
        let out = ws.terraform(&["apply", "-no-color", "reviewed.tfplan"]);
        let said = text(&out);
        assert!(!said.contains("inconsistent result"), "case {i} {moved:?}: {said}");
        assert!(!said.contains("bug in the provider"), "case {i} {moved:?}: {said}");
        if moved.keeps_the_plan() {
            assert!(out.status.success(), "case {i} {moved:?}: the plan could be kept, yet: {said}");
        } else {
            assert!(!out.status.success(), "case {i} {moved:?}: applied a plan AWS moved away from: {said}");
            assert!(said.contains("Plan out of date"), "case {i} {moved:?}: {said}");
            assert!(said.contains("Nothing was changed"), "case {i} {moved:?}: {said}");
            let written = stage.proxy.writes();
            assert!(written.is_empty(), "case {i} {moved:?}: a refused plan wrote {written:?}");
        }
        // whichever way it went, a new plan and apply converge
        ws.apply();
        ws.assert_no_changes();
        let brokers = ws.output_of("kafka_privatelink.k", "brokers");
        assert_eq!(brokers.as_object().map(|b| b.len()), Some(3), "case {i} {moved:?}");
    }
}

#[tokio::test]
async fn saved_plans_create_update_import_and_destroy() {
    let stage = Stage::new().await;
    let ws = stage.workspace(&config(&stage, [1, 2]));
    let saved = |ws: &Workspace, plan: &[&str]| {
        let mut args = vec!["plan", "-no-color", "-out=saved.tfplan"];
        args.extend_from_slice(plan);
        ws.ok(&args);
        ws.ok(&["apply", "-no-color", "saved.tfplan"]);
    };
    // create
    saved(&ws, &[]);
    ws.assert_no_changes();
    // update
    ws.write("main.tf", &config(&stage, [1, 2, 3]));
    saved(&ws, &[]);
    ws.assert_no_changes();
    let arn = ws.output_of("kafka_privatelink.k", "load_balancer_arn");
    let arn = arn.as_str().expect("load balancer arn").to_owned();
    // import, as a fresh state would: an import block in a saved plan
    let fresh = stage.workspace(&format!(
        "{}\nimport {{\n  to = kafka_privatelink.k\n  id = {}\n}}\n",
        config(&stage, [1, 2, 3]),
        s(&arn)
    ));
    stage.proxy.reset_counts();
    saved(&fresh, &[]);
    assert_eq!(stage.proxy.writes(), Vec::<String>::new(), "an import writes nothing");
    fresh.assert_no_changes();
    // destroy, from the first state
    ws.ok(&["plan", "-no-color", "-destroy", "-out=gone.tfplan"]);
    ws.ok(&["apply", "-no-color", "gone.tfplan"]);
    assert!(stage.aws.snapshot().await.is_empty(), "a saved destroy plan leaves nothing");
}

#[tokio::test]
async fn refresh_only_moved_removed_then_import_write_nothing() {
    let stage = Stage::new().await;
    let ws = stage.workspace(&config(&stage, [1, 2]));
    ws.apply();
    let arn = ws.output_of("kafka_privatelink.k", "load_balancer_arn").as_str().unwrap().to_owned();

    // -refresh-only: drift is recorded, nothing is repaired
    move_world(&stage, Moved::TargetsDeregistered).await;
    stage.proxy.reset_counts();
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color"]);
    assert_eq!(stage.proxy.writes(), Vec::<String>::new(), "-refresh-only writes nothing");
    let plan = ws.terraform(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(plan.status.code(), Some(2), "the drift is still planned for repair: {}", text(&plan));
    ws.apply();
    ws.assert_no_changes();

    // moved: a new address, the same objects
    let renamed = Config::new()
        .with(privatelink("saved", &stage.net, [1, 2]).rename("kafka_privatelink", "renamed"))
        .with(Block::new("moved").set("from", "kafka_privatelink.k").set("to", "kafka_privatelink.renamed"));
    ws.write("main.tf", &renamed.to_string());
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("has moved to kafka_privatelink.renamed"), "{plan}");
    assert!(plan.contains("0 to add, 0 to change, 0 to destroy"), "{plan}");
    stage.proxy.reset_counts();
    ws.apply();
    assert_eq!(stage.proxy.writes(), Vec::<String>::new(), "a move writes nothing");
    ws.assert_no_changes();

    // removed { destroy = false }: forgotten, left in AWS
    let forgotten = Config::new().with(
        Block::new("removed")
            .set("from", "kafka_privatelink.renamed")
            .block(Block::new("lifecycle").set("destroy", "false")),
    );
    ws.write("main.tf", &forgotten.to_string());
    stage.proxy.reset_counts();
    ws.apply();
    assert_eq!(stage.proxy.writes(), Vec::<String>::new(), "removed writes nothing");
    assert_eq!(stage.aws.snapshot().await.load_balancers, vec![arn.clone()], "left in AWS");

    // import {}: taken back, nothing written, nothing more to do
    let back = format!("{}\nimport {{\n  to = kafka_privatelink.k\n  id = {}\n}}\n", config(&stage, [1, 2]), s(&arn));
    ws.write("main.tf", &back);
    stage.proxy.reset_counts();
    ws.apply();
    assert_eq!(stage.proxy.writes(), Vec::<String>::new(), "an import writes nothing");
    ws.assert_no_changes();
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(stage.aws.snapshot().await.is_empty());
}

#[tokio::test]
async fn target_parallelism_and_workspaces() {
    let stage = Stage::new().await;
    let net = &stage.net;
    let two = |a: &[u32], b: &[u32]| {
        Config::new()
            .with(privatelink("alpha", net, a.iter().copied()).rename("kafka_privatelink", "a"))
            .with(
                privatelink("beta", net, b.iter().copied())
                    .rename("kafka_privatelink", "b")
                    .set("listener_port_base", "9101"),
            )
            .to_string()
    };
    let ws = stage.workspace(&two(&[1], &[2]));
    ws.ok(&["apply", "-auto-approve", "-no-color", "-parallelism=1"]);
    ws.assert_no_changes();

    // -target: only the named resource changes; the other's edit waits
    ws.write("main.tf", &two(&[1, 3], &[2, 4]));
    ws.ok(&["apply", "-auto-approve", "-no-color", "-target=kafka_privatelink.a"]);
    assert_eq!(ws.output_of("kafka_privatelink.a", "brokers").as_object().map(|b| b.len()), Some(2));
    assert_eq!(ws.output_of("kafka_privatelink.b", "brokers").as_object().map(|b| b.len()), Some(1));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.contains("kafka_privatelink.b will be updated in-place"), "{plan}");
    assert!(!plan.contains("kafka_privatelink.a will"), "{plan}");
    ws.apply();
    ws.assert_no_changes();

    // workspaces: one configuration, a setup per workspace, apart
    let per_workspace = Config::new()
        .with(
            Block::resource("kafka_privatelink", "k")
                .set("name", "\"ws-${terraform.workspace}\"")
                .str("vpc_id", &net.vpc)
                .set("subnet_ids", crate::common::hcl::subnet_ids(&net.subnets))
                .map("brokers", [(5, object([("ip", s(broker_ip(net, 5)))]))])
                .block(Block::new("endpoint_service")),
        )
        .to_string();
    let wss = stage.workspace(&per_workspace);
    wss.apply();
    wss.ok(&["workspace", "new", "blue"]);
    wss.apply();
    wss.assert_no_changes();
    wss.ok(&["workspace", "select", "default"]);
    wss.assert_no_changes();
    let names = |snap: &crate::common::aws::Snapshot| snap.target_groups.keys().cloned().collect::<Vec<_>>();
    let before = stage.aws.snapshot().await;
    assert!(names(&before).iter().any(|n| n.starts_with("ws-blue-")), "{:?}", names(&before));
    assert!(names(&before).iter().any(|n| n.starts_with("ws-default-")), "{:?}", names(&before));
    wss.ok(&["workspace", "select", "blue"]);
    wss.ok(&["destroy", "-auto-approve", "-no-color"]);
    let after = stage.aws.snapshot().await;
    assert!(!names(&after).iter().any(|n| n.starts_with("ws-blue-")), "{:?}", names(&after));
    assert!(names(&after).iter().any(|n| n.starts_with("ws-default-")), "the other workspace's setup stays");
    wss.ok(&["workspace", "select", "default"]);
    wss.ok(&["destroy", "-auto-approve", "-no-color"]);
    ws.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(stage.aws.snapshot().await.is_empty());
}
