//! The transport: how Terraform reaches a provider. go-plugin's handshake
//! line, AutoMTLS, the gRPC services of plugin protocol 6 and go-plugin's
//! own, the wire encoding of values, schemas and diagnostics, the log
//! format Terraform reads on stderr. Providers never touch any of it: they
//! implement [`api::provider`](super::api::provider) and are served by
//! [`serve`].

pub mod convert;
mod grpc;
pub mod handshake;
pub mod logging;
mod plugin;
pub mod tls;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;
use tracing::{debug, info, warn};

use super::api::provider;

pub use handshake::HandshakeError;

/// Code generated from `proto/` (public for protocol tests and tooling).
#[allow(clippy::all, clippy::pedantic, missing_docs, unreachable_pub)]
pub mod pb {
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
    /// The compiled descriptors of `proto/` (a `FileDescriptorSet`).
    pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));
}

/// How long open connections may linger after Terraform's Shutdown.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Terraform's own gRPC message size limit, both ways.
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `provider` to the Terraform that started this process, until
/// Terraform calls `Shutdown`.
pub async fn serve(provider: Arc<dyn provider::Provider>) -> Result<(), ServeError> {
    let hs = handshake::Handshake::from_env(|k| std::env::var(k).ok())?;
    let tls = tls::server_tls(&hs.client_cert_pem)?;
    let listener = hs.listen().await?;
    let addr = listener
        .local_addr()
        .map_err(|source| HandshakeError::Listen { addr: "127.0.0.1:0".parse().expect("literal address"), source })?;
    ignore_interrupts();
    let shutdown = CancellationToken::new();
    let incoming = accept_tls(listener, tokio_rustls::TlsAcceptor::from(tls.config), shutdown.clone());
    // Terraform reads this one line, then talks gRPC.
    println!("{}", handshake::handshake_line(addr, &tls.certificate));
    info!(%addr, "serving plugin protocol 6");
    run(provider, incoming, shutdown).await
}

/// Serves without TLS on 127.0.0.1 and prints a `TF_REATTACH_PROVIDERS`
/// value, so that Terraform can attach to a provider started by hand (under a
/// debugger). Runs until interrupted.
pub async fn serve_debug(provider: Arc<dyn provider::Provider>, provider_address: &str) -> Result<(), ServeError> {
    let listener = handshake::bind(0).await?;
    let addr = listener
        .local_addr()
        .map_err(|source| HandshakeError::Listen { addr: "127.0.0.1:0".parse().expect("literal address"), source })?;
    let shutdown = CancellationToken::new();
    {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            shutdown.cancel();
        });
    }
    println!(
        "Provider started. To attach Terraform, set TF_REATTACH_PROVIDERS in Terraform's environment:\n\n\tTF_REATTACH_PROVIDERS='{}'\n",
        handshake::reattach_config(provider_address, addr)
    );
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    run(provider, incoming, shutdown).await
}

async fn run<S, IO, E>(
    provider: Arc<dyn provider::Provider>,
    incoming: S,
    shutdown: CancellationToken,
) -> Result<(), ServeError>
where
    S: futures::Stream<Item = Result<IO, E>> + Send + 'static,
    IO: AsyncRead + AsyncWrite + Connected + Unpin + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    use pb::plugin::{grpc_broker_server, grpc_controller_server, grpc_stdio_server};
    use pb::tfplugin6::provider_server::ProviderServer;

    let ctx = provider::Context::default();
    let service = grpc::ProviderService::new(provider, ctx);
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_service_status("plugin", tonic_health::ServingStatus::Serving).await;

    let server = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(
            ProviderServer::new(service)
                .max_decoding_message_size(MAX_MESSAGE_SIZE)
                .max_encoding_message_size(MAX_MESSAGE_SIZE),
        )
        .add_service(grpc_controller_server::GrpcControllerServer::new(plugin::Controller {
            shutdown: shutdown.clone(),
        }))
        .add_service(grpc_stdio_server::GrpcStdioServer::new(plugin::Stdio { shutdown: shutdown.clone() }))
        .add_service(grpc_broker_server::GrpcBrokerServer::new(plugin::Broker { shutdown: shutdown.clone() }))
        .serve_with_incoming_shutdown(incoming, shutdown.clone().cancelled_owned());
    // Terraform calls Shutdown only when it is done with us; give open
    // connections a moment to finish, but never hang on one.
    let grace = async {
        shutdown.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        served = server => served?,
        () = grace => warn!("connections still open {SHUTDOWN_GRACE:?} after Shutdown; exiting anyway"),
    }
    debug!("server stopped");
    Ok(())
}

/// Terraform forwards Ctrl-C to the whole process group and then asks us to
/// stop through `StopProvider`; dying on the signal would lose the state of an
/// apply in flight, so the signal itself is only noted.
fn ignore_interrupts() {
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            info!("interrupt received; waiting for Terraform's StopProvider");
        }
    });
}

/// Accepts TCP connections and completes the TLS handshake of each on its
/// own task, so a slow or hostile client cannot stall the others.
fn accept_tls(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    shutdown: CancellationToken,
) -> ReceiverStream<Result<TlsConn, std::io::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let tcp = tokio::select! {
                () = shutdown.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((tcp, _)) => tcp,
                    Err(e) => { warn!(error = %e, "accept failed"); continue; }
                },
            };
            let (acceptor, tx) = (acceptor.clone(), tx.clone());
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Ok(tls) => {
                        let _ = tx.send(Ok(TlsConn(tls))).await;
                    }
                    Err(e) => warn!(error = %e, "TLS handshake refused"),
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

/// A TLS connection as tonic's server wants it.
struct TlsConn(tokio_rustls::server::TlsStream<TcpStream>);

impl Connected for TlsConn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for TlsConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}
