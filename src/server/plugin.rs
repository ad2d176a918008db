//! go-plugin's own services: GRPCController (Terraform's "you may exit now"),
//! GRPCStdio (stdout/stderr forwarding: we log to stderr directly, so the
//! stream stays open and silent) and GRPCBroker (unused by Terraform providers).

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

pub struct Stdio;

#[tonic::async_trait]
impl pb::grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _: Request<()>,
    ) -> Result<Response<BoxStream<'static, Result<pb::StdioData, Status>>>, Status> {
        Ok(Response::new(Box::pin(stream::pending())))
    }
}

pub struct Broker;

#[tonic::async_trait]
impl pb::grpc_broker_server::GrpcBroker for Broker {
    async fn start_stream(
        &self,
        _: Request<Streaming<pb::ConnInfo>>,
    ) -> Result<Response<BoxStream<'static, Result<pb::ConnInfo, Status>>>, Status> {
        Ok(Response::new(Box::pin(stream::pending())))
    }
}
