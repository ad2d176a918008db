//! The go-plugin handshake: the magic cookie that proves Terraform started
//! us, protocol version negotiation, the port range, and the one line on
//! stdout that tells Terraform where to connect and which certificate to trust.

use std::net::{Ipv4Addr, SocketAddr};

use base64::Engine as _;
use tokio::net::TcpListener;

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The only plugin protocol version this server speaks.
pub const PROTOCOL_VERSION: u32 = 6;
/// go-plugin's own handshake format version.
const CORE_PROTOCOL_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    #[error(
        "This binary is a plugin for Terraform and is not meant to be run directly. \
         Configure it in a Terraform configuration and run `terraform plan` or `apply`; \
         to attach a debugger, run it with --debug."
    )]
    NotLaunchedByTerraform,
    #[error(
        "Terraform offers plugin protocol versions {0:?}; this provider speaks only version 6 (Terraform 1.0 or newer)"
    )]
    NoCommonVersion(String),
    #[error("invalid {name}={value:?}: {reason}")]
    BadEnv { name: &'static str, value: String, reason: &'static str },
    #[error("no free port between {min} and {max} on 127.0.0.1")]
    NoPort { min: u16, max: u16 },
    #[error(
        "PLUGIN_CLIENT_CERT is not set: Terraform always sends a client certificate (AutoMTLS), so refusing to serve without one"
    )]
    NoClientCert,
    #[error("listening on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

/// What Terraform asked for in the environment.
#[derive(Debug)]
pub struct Handshake {
    pub min_port: u16,
    pub max_port: u16,
    pub client_cert_pem: String,
}

impl Handshake {
    /// Reads and checks the handshake variables.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Self, HandshakeError> {
        if get(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
            return Err(HandshakeError::NotLaunchedByTerraform);
        }
        if let Some(offered) = get("PLUGIN_PROTOCOL_VERSIONS").filter(|v| !v.trim().is_empty()) {
            let speaks_ours = offered.split(',').any(|v| v.trim().parse::<u32>() == Ok(PROTOCOL_VERSION));
            if !speaks_ours {
                return Err(HandshakeError::NoCommonVersion(offered));
            }
        }
        let port = |name: &'static str, default: u16| -> Result<u16, HandshakeError> {
            match get(name).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(v) => {
                    v.trim().parse().map_err(|_| HandshakeError::BadEnv { name, value: v, reason: "not a port number" })
                }
            }
        };
        let (min_port, max_port) = (port("PLUGIN_MIN_PORT", 0)?, port("PLUGIN_MAX_PORT", 0)?);
        if max_port < min_port {
            return Err(HandshakeError::BadEnv {
                name: "PLUGIN_MAX_PORT",
                value: max_port.to_string(),
                reason: "below PLUGIN_MIN_PORT",
            });
        }
        let client_cert_pem =
            get("PLUGIN_CLIENT_CERT").filter(|v| !v.is_empty()).ok_or(HandshakeError::NoClientCert)?;
        Ok(Self { min_port, max_port, client_cert_pem })
    }

    /// Binds 127.0.0.1 on the first free port of the allowed range (any
    /// port when no range was given).
    pub async fn listen(&self) -> Result<TcpListener, HandshakeError> {
        if self.max_port == 0 {
            return bind(0).await;
        }
        for port in self.min_port..=self.max_port {
            if let Ok(l) = bind(port).await {
                return Ok(l);
            }
        }
        Err(HandshakeError::NoPort { min: self.min_port, max: self.max_port })
    }
}

pub async fn bind(port: u16) -> Result<TcpListener, HandshakeError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpListener::bind(addr).await.map_err(|source| HandshakeError::Listen { addr, source })
}

/// `1|6|tcp|127.0.0.1:PORT|grpc|<server certificate, base64 DER, unpadded>`
pub fn handshake_line(addr: SocketAddr, server_cert_der: &[u8]) -> String {
    let cert = base64::engine::general_purpose::STANDARD_NO_PAD.encode(server_cert_der);
    format!("{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|tcp|{addr}|grpc|{cert}")
}

/// The `TF_REATTACH_PROVIDERS` value for a provider served with `--debug`.
pub fn reattach_config(provider_address: &str, addr: SocketAddr) -> String {
    serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": "tcp", "String": addr.to_string() },
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: Vec<(&'static str, &'static str)>) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
    }

    fn terraform(extra: Vec<(&'static str, &'static str)>) -> Vec<(&'static str, &'static str)> {
        let mut v = vec![(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE), ("PLUGIN_CLIENT_CERT", "pem")];
        v.extend(extra);
        v
    }

    #[test]
    fn refuses_without_cookie() {
        let e = Handshake::from_env(env(vec![])).unwrap_err();
        assert!(matches!(e, HandshakeError::NotLaunchedByTerraform));
        assert!(e.to_string().contains("not meant to be run directly"));
        let e = Handshake::from_env(env(vec![(MAGIC_COOKIE_KEY, "wrong")])).unwrap_err();
        assert!(matches!(e, HandshakeError::NotLaunchedByTerraform));
    }

    #[test]
    fn negotiates_version_six() {
        assert!(Handshake::from_env(env(terraform(vec![("PLUGIN_PROTOCOL_VERSIONS", "5,6")]))).is_ok());
        let e = Handshake::from_env(env(terraform(vec![("PLUGIN_PROTOCOL_VERSIONS", "4,5")]))).unwrap_err();
        assert!(matches!(e, HandshakeError::NoCommonVersion(_)));
    }

    #[test]
    fn requires_client_certificate() {
        let e = Handshake::from_env(env(vec![(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)])).unwrap_err();
        assert!(matches!(e, HandshakeError::NoClientCert));
    }

    #[test]
    fn port_range() {
        let h = Handshake::from_env(env(terraform(vec![("PLUGIN_MIN_PORT", "10000"), ("PLUGIN_MAX_PORT", "25000")])))
            .unwrap();
        assert_eq!((h.min_port, h.max_port), (10000, 25000));
        let e = Handshake::from_env(env(terraform(vec![("PLUGIN_MIN_PORT", "x")]))).unwrap_err();
        assert!(e.to_string().contains("PLUGIN_MIN_PORT"));
    }

    #[tokio::test]
    async fn listens_inside_the_range() {
        let probe = bind(0).await.unwrap();
        let free = probe.local_addr().unwrap().port();
        drop(probe);
        let h = Handshake { min_port: free, max_port: free, client_cert_pem: String::new() };
        assert_eq!(h.listen().await.unwrap().local_addr().unwrap().port(), free);
    }

    #[test]
    fn line_format() {
        let line = handshake_line("127.0.0.1:10001".parse().unwrap(), &[0xff, 0x00, 0x10]);
        assert_eq!(line, "1|6|tcp|127.0.0.1:10001|grpc|/wAQ");
    }
}
