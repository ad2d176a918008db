//! Entry point: parse the one flag, start logging, serve the provider.

use std::process::ExitCode;
use std::sync::Arc;

use terraform_provider_kafka::{PROVIDER_ADDRESS, VERSION, resources, server};

/// The Terraform plugin protocol this build speaks, as registries write it.
const PROTOCOL: &str = "6.0";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let debug = match args.as_slice() {
        [] => false,
        [flag] if flag == "--debug" || flag == "-debug" => true,
        [flag] if flag == "--version" || flag == "-version" => {
            println!("terraform-provider-kafka {VERSION} (Terraform plugin protocol {PROTOCOL})");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("usage: terraform-provider-kafka [--debug | --version]");
            return ExitCode::from(2);
        }
    };
    server::transport::logging::init();
    tracing::info!(version = VERSION, protocol = PROTOCOL, "starting terraform-provider-kafka");
    let provider = Arc::new(resources::KafkaProvider::new(VERSION));
    let result =
        if debug { server::serve_debug(provider, PROVIDER_ADDRESS).await } else { server::serve(provider).await };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-kafka: {e}");
            ExitCode::FAILURE
        }
    }
}
