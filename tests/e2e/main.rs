//! Every test outside `src/`, in one binary, so the AWS SDK is linked once
//! (`cargo test --test e2e`). One module a behaviour; the index:
//!
//! | module | what it shows |
//! |---|---|
//! | `offline::protocol` | the plugin binary as Terraform meets it: handshake, mTLS, limits, stop |
//! | `offline::proto_descriptor` | `proto/` equals Terraform's own wire schema |
//! | `offline::docs` | the registry docs match the schema and the examples (`make docs`) |
//! | `offline::iam_policy` | `docs/iam-policy.json` lists exactly the AWS actions the code calls |
//! | `offline::layers` | each layer names only what ARCHITECTURE.md allows it |
//! | `provider_config` | the provider block: bad settings caught at plan, secrets never logged, `max_retries` |
//! | `first_contact` | no credentials, an unreachable endpoint: what the user is told |
//! | `data_source` | `kafka_advertised_listeners` under Terraform |
//! | `msk` | `kafka_msk_brokers`, alone and chained into the resource |
//! | `privatelink` | `kafka_privatelink` create, update, drift (a vanished load balancer, bootstrap targets), destroy; broker and bootstrap moves, target health |
//! | `privatelink_validation` | bad input refused at plan with its attribute path; live ports never taken or moved by a replacement |
//! | `privatelink_ownership` | other states' objects of the same name left alone; a `create_before_destroy` replacement refused |
//! | `privatelink_faults` | call budgets, throttling retried away, a failed apply that loses nothing, zones read again |
//! | `aws_consistency` | AWS's eventual consistency and in-flight states waited out (or a failed load balancer recorded), one test each |
//! | `crash_points` | the provider killed after every AWS write of a create, an update, a destroy, or mid-call |
//! | `consumers` | a consumer wired in one apply and unwired in one destroy: principal and accepter resources |
//! | `consumers_model` | random wirings of several consumers under Terraform, invariants after every step (`CONSUMERS_*`) |
//! | `privatelink_connections` | consumer connections shown, accepted, rejected; destroy refused while connected |
//! | `privatelink_security_groups` | NLB security groups set, changed, replaced (also when known only at apply) |
//! | `privatelink_external_targets` | `target_registration = "external"`: another actor's targets never touched nor drift; switching in place |
//! | `privatelink_preflight` | the plan-time check of the brokers' security groups |
//! | `pipelines` | saved plans (also applied after AWS moved), `-refresh-only`, `moved`, `removed` then `import`, `-target`, `-parallelism=1`, workspaces |
//! | `privatelink_model` | random broker churn under Terraform (`make soak` runs it long) |
//! | `instance_brokers` | brokers by EC2 instance, the TiDB Cloud guide's setup, ip ↔ instance in place |
//! | `import` | importing hand-built and module-built setups (long names kept) |
//! | `examples` | every example validates, plans, applies and destroys |
//! | `upgrade` | states written by the previous release (fixtures) plan no changes |
//! | `compat` | the lifecycle under older Terraform (`make test-compat`) |
//! | `release` | `dist/` installs from a filesystem mirror (`make test-release`, ignored here) |
//!
//! `offline::` needs neither Terraform nor moto: `make check` runs it with
//! the unit tests. Everything else starts its own moto (`common::Moto`) and
//! runs the real Terraform (`common::Workspace`).

// A scenario reads best in one piece: the function-length lint is for src.
#![allow(clippy::too_many_lines)]
// Tests and benches time external processes (Terraform, moto) by the wall
// clock: std's Instant is right here, unlike in src (clippy.toml).
#![allow(clippy::disallowed_types)]

mod common;

mod offline {
    mod docs;
    mod iam_policy;
    mod layers;
    mod proto_descriptor;
    mod protocol;
}

mod aws_consistency;
mod compat;
mod consumers;
mod consumers_model;
mod crash_points;
mod data_source;
mod examples;
mod first_contact;
mod functions;
mod import;
mod instance_brokers;
mod msk;
mod pipelines;
mod privatelink;
mod privatelink_connections;
mod privatelink_external_targets;
mod privatelink_faults;
mod privatelink_model;
mod privatelink_ownership;
mod privatelink_preflight;
mod privatelink_security_groups;
mod privatelink_spread;
mod privatelink_validation;
mod provider_config;
mod release;
mod upgrade;
