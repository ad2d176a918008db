//! The plugin binary as Terraform meets it: the go-plugin handshake, mTLS
//! that admits only Terraform's certificate, message limits, StopProvider
//! versus Shutdown, and `--debug`. A gRPC client stands in for Terraform.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use terraform_provider_kafka::server::transport::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use terraform_provider_kafka::server::transport::pb::plugin::grpc_controller_client::GrpcControllerClient;
use terraform_provider_kafka::server::transport::pb::tfplugin6 as pb;
use terraform_provider_kafka::server::transport::pb::tfplugin6::provider_client::ProviderClient;
use tonic::transport::{Channel, Endpoint};

/// A client identity like Terraform's: self-signed ECDSA P-521 / SHA-512.
struct Identity {
    pem: String,
    der: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

fn identity(alg: &'static rcgen::SignatureAlgorithm) -> Identity {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    Identity { pem: cert.pem(), der: cert.der().clone(), key: PrivatePkcs8KeyDer::from(key.serialize_der()) }
}

fn terraform_identity() -> Identity {
    identity(&rcgen::PKCS_ECDSA_P521_SHA512)
}

struct Plugin {
    child: Child,
    addr: SocketAddr,
    server_cert: CertificateDer<'static>,
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn launch(client: &Identity, min_port: u16, max_port: u16) -> Plugin {
    let mut child = Command::new(crate::common::provider_binary())
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", min_port.to_string())
        .env("PLUGIN_MAX_PORT", max_port.to_string())
        .env("PLUGIN_CLIENT_CERT", &client.pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start provider");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).expect("handshake line");
    let parts: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(parts.len(), 6, "handshake line {line:?}");
    assert_eq!(&parts[..3], ["1", "6", "tcp"]);
    assert_eq!(parts[4], "grpc");
    let der = base64::engine::general_purpose::STANDARD_NO_PAD.decode(parts[5]).expect("unpadded base64 certificate");
    Plugin { child, addr: parts[3].parse().unwrap(), server_cert: CertificateDer::from(der), _stdout: stdout }
}

/// Trusts exactly the certificate the handshake line named, as go-plugin does.
#[derive(Debug)]
struct PinnedServer(CertificateDer<'static>, rustls::crypto::WebPkiSupportedAlgorithms);

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.0.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("unexpected server certificate".into()))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.1)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.1)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.1.supported_schemes()
    }
}

async fn connect(plugin: &Plugin, client: Option<&Identity>) -> Result<Channel, tonic::transport::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = PinnedServer(plugin.server_cert.clone(), provider.signature_verification_algorithms);
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match client {
        Some(id) => {
            builder.with_client_auth_cert(vec![id.der.clone()], PrivateKeyDer::Pkcs8(id.key.clone_key())).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let addr = plugin.addr;
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let connector = connector.clone();
            async move {
                let tcp = tokio::net::TcpStream::connect(addr).await?;
                let tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await?;
                Ok::<_, std::io::Error>(TokioIo::new(tls))
            }
        }))
        .await
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn run_by_hand_it_explains_itself_and_fails() {
    let out = Command::new(crate::common::provider_binary()).env_remove(MAGIC_COOKIE_KEY).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("plugin for Terraform") && err.contains("not meant to be run directly"), "{err}");
    assert!(err.lines().count() == 1, "one line, no backtrace: {err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn version_flag_names_the_version_and_the_protocol() {
    let out = Command::new(crate::common::provider_binary()).arg("--version").output().unwrap();
    assert!(out.status.success());
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("terraform-provider-kafka {version} (Terraform plugin protocol 6.0)\n")
    );
}

#[test]
fn refuses_terraform_without_protocol_6() {
    let id = terraform_identity();
    let out = Command::new(crate::common::provider_binary())
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .env("PLUGIN_CLIENT_CERT", &id.pem)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only version 6"));
}

#[tokio::test]
async fn serves_terraform_over_mutual_tls_in_the_port_range() {
    let id = terraform_identity();
    let port = crate::common::free_port();
    let plugin = launch(&id, port, port);
    assert_eq!(plugin.addr.port(), port, "PLUGIN_MIN_PORT/PLUGIN_MAX_PORT honoured");
    let mut client = ProviderClient::new(connect(&plugin, Some(&id)).await.expect("Terraform's certificate admitted"));
    let schema = client.get_provider_schema(pb::get_provider_schema::Request {}).await.unwrap().into_inner();
    let ds = &schema.data_source_schemas["kafka_advertised_listeners"];
    let brokers = ds.block.as_ref().unwrap().attributes.iter().find(|a| a.name == "brokers").unwrap();
    assert!(brokers.r#type.is_empty() && brokers.nested_type.is_some(), "nested attribute sent without type");
    let meta = client.get_metadata(pb::get_metadata::Request {}).await.unwrap().into_inner();
    assert_eq!(meta.data_sources[0].type_name, "kafka_advertised_listeners");
}

#[tokio::test]
async fn refuses_clients_without_terraforms_certificate() {
    let id = terraform_identity();
    let plugin = launch(&id, 0, 0);
    for (what, other) in [("another certificate", Some(identity(&rcgen::PKCS_ECDSA_P521_SHA512))), ("none", None)] {
        let refused = match connect(&plugin, other.as_ref()).await {
            Err(_) => true,
            Ok(channel) => ProviderClient::new(channel).get_metadata(pb::get_metadata::Request {}).await.is_err(),
        };
        assert!(refused, "a client with {what} must be refused");
    }
    // and the right one still gets in afterwards
    let mut client = ProviderClient::new(connect(&plugin, Some(&id)).await.unwrap());
    client.get_metadata(pb::get_metadata::Request {}).await.expect("Terraform admitted");
}

#[tokio::test]
async fn accepts_messages_far_over_grpc_default_limit() {
    let id = terraform_identity();
    let plugin = launch(&id, 0, 0);
    let mut client = ProviderClient::new(connect(&plugin, Some(&id)).await.unwrap())
        .max_encoding_message_size(usize::MAX)
        .max_decoding_message_size(usize::MAX);
    // 16 MiB of garbage config: four times gRPC's default limit. The provider
    // must read it and answer with a diagnostic, not a transport error.
    let config = pb::DynamicValue { msgpack: vec![0xc1; 16 << 20], json: vec![] };
    let resp = client
        .validate_data_resource_config(pb::validate_data_resource_config::Request {
            type_name: "kafka_advertised_listeners".into(),
            config: Some(config),
        })
        .await
        .expect("large message accepted")
        .into_inner();
    assert_eq!(resp.diagnostics.len(), 1);
    assert_eq!(resp.diagnostics[0].summary, "Invalid configuration");
}

#[tokio::test]
async fn stop_cancels_but_only_shutdown_exits() {
    let id = terraform_identity();
    let mut plugin = launch(&id, 0, 0);
    let channel = connect(&plugin, Some(&id)).await.unwrap();
    let mut client = ProviderClient::new(channel.clone());
    let stop = client.stop_provider(pb::stop_provider::Request {}).await.unwrap().into_inner();
    assert_eq!(stop.error, "");
    // Still serving after StopProvider.
    assert!(wait_exit(&mut plugin.child, Duration::from_millis(300)).is_none());
    client.get_metadata(pb::get_metadata::Request {}).await.expect("still serving after StopProvider");
    // Unimplemented RPCs say so.
    let status = client
        .open_ephemeral_resource(pb::open_ephemeral_resource::Request::default())
        .await
        .expect_err("no ephemeral resources");
    assert_eq!(status.code(), tonic::Code::Unimplemented);

    GrpcControllerClient::new(channel)
        .shutdown(terraform_provider_kafka::server::transport::pb::plugin::Empty {})
        .await
        .expect("shutdown acknowledged");
    let status = wait_exit(&mut plugin.child, Duration::from_secs(10)).expect("process exits after Shutdown");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn debug_flag_prints_a_reattach_value() {
    let mut child = Command::new(crate::common::provider_binary())
        .arg("--debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut reattach = None;
    for _ in 0..10 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        if let Some(v) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            reattach = Some(v.trim_end_matches('\'').to_owned());
            break;
        }
    }
    let reattach: serde_json::Value = serde_json::from_str(&reattach.expect("reattach line")).unwrap();
    let entry = &reattach["registry.terraform.io/kafka-privatelink/kafka"];
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Pid"], child.id());
    let addr = entry["Addr"]["String"].as_str().unwrap().to_owned();
    let mut client = ProviderClient::connect(format!("http://{addr}")).await.expect("plaintext in debug mode");
    client.get_metadata(pb::get_metadata::Request {}).await.unwrap();
    let _ = child.kill();
    let _ = child.wait();
}
