//! Compiles the plugin protocol (`proto/`) with tonic/prost. `protoc` comes from
//! the `protoc-bin-vendored` build dependency, so no system package is needed.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [PathBuf::from("proto/tfplugin6.proto"), PathBuf::from("proto/plugin.proto")];
    for proto in &protos {
        println!("cargo:rerun-if-changed={}", proto.display());
    }
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);

    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // RPCs we do not implement answer UNIMPLEMENTED without any code of ours.
        .generate_default_stubs(true)
        // The descriptor test compares this with the one Terraform embeds.
        .file_descriptor_set_path(out.join("descriptors.bin"))
        .compile_with_config(config, &protos, &[PathBuf::from("proto"), protoc_bin_vendored::include_path()?])?;
    Ok(())
}
