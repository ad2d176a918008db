//! go-plugin's own services: GRPCController (Terraform's "you may exit now"),
//! GRPCStdio (stdout/stderr forwarding: we log to stderr directly, so the
//! stream stays silent until shutdown) and GRPCBroker (unused by Terraform
//! providers). Long-lived streams end at shutdown, so that they never hold
//! the process open.

use futures::StreamExt as _;
use futures::stream::{self, BoxStream};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};
use tracing::debug;

use super::pb::plugin as pb;

pub struct Controller {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl pb::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<pb::Empty>) -> Result<Response<pb::Empty>, Status> {
        debug!("Shutdown requested by Terraform");
        self.shutdown.cancel();
        Ok(Response::new(pb::Empty {}))
    }
}

/// A stream that yields nothing and ends when `shutdown` is cancelled.
fn silent_until<T: Send + 'static>(shutdown: &CancellationToken) -> BoxStream<'static, Result<T, Status>> {
    Box::pin(stream::once(shutdown.clone().cancelled_owned()).filter_map(|()| async { None }))
}

pub struct Stdio {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl pb::grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _: Request<()>,
    ) -> Result<Response<BoxStream<'static, Result<pb::StdioData, Status>>>, Status> {
        Ok(Response::new(silent_until(&self.shutdown)))
    }
}

pub struct Broker {
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl pb::grpc_broker_server::GrpcBroker for Broker {
    async fn start_stream(
        &self,
        _: Request<Streaming<pb::ConnInfo>>,
    ) -> Result<Response<BoxStream<'static, Result<pb::ConnInfo, Status>>>, Status> {
        Ok(Response::new(silent_until(&self.shutdown)))
    }
}
