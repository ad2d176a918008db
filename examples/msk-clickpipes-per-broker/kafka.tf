# Amazon MSK → ClickHouse ClickPipes over PrivateLink, one load balancer and
# endpoint service per broker: the layout ClickHouse's MSK guide builds by
# hand. MSK cannot change what its brokers advertise, so each broker is
# reached on its own port, behind its own service; ClickPipes maps each
# broker's own host name to the endpoint of that service (TLS keeps the
# broker's name for SNI). A broker MSK adds gets its load balancer and
# service on the next apply; nobody else moves.

# The providers both sides use are required in consumer.tf.
provider "kafka" {
  region = "us-east-1"
}

variable "cluster_arn" {
  description = "The MSK cluster."
  type        = string
  default     = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-2"
}

variable "vpc_id" {
  description = "The MSK cluster's VPC."
  type        = string
  default     = "vpc-0a1b2c3d4e5f60718"
}

variable "subnet_ids" {
  description = "One subnet per availability zone of the brokers (the cluster's client subnets)."
  type        = list(string)
  default     = ["subnet-0a1b2c3d4e5f60701", "subnet-0a1b2c3d4e5f60702", "subnet-0a1b2c3d4e5f60703"]
}

locals {
  # ClickPipes' principal in its AWS regions (ClickHouse's PrivateLink docs).
  clickpipes_principal = "arn:aws:iam::072088201116:root"
}

# ClickPipes authenticates with SASL/SCRAM: every broker listens on 9096.
data "kafka_msk_brokers" "orders" {
  cluster_arn    = var.cluster_arn
  authentication = "sasl_scram"
}

resource "kafka_privatelink" "msk" {
  name       = "orders-cp"
  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids
  brokers    = data.kafka_msk_brokers.orders.brokers

  # One broker behind each load balancer, on its own port (9096).
  brokers_per_load_balancer = 1

  endpoint_service {
    acceptance_required = true
    allowed_principals  = [local.clickpipes_principal]
  }
}

# One endpoint per service, each accepted by its id.
resource "kafka_endpoint_connection_accepter" "clickpipes" {
  for_each        = { for lb in kafka_privatelink.msk.load_balancers : lb.name => lb }
  service_id      = each.value.endpoint_service_id
  vpc_endpoint_id = local.clickpipes_endpoint_ids[each.key]
}

output "brokers" {
  description = "Per broker: the host name ClickPipes maps, its port, and the service it is reached through."
  value = {
    for id, b in kafka_privatelink.msk.brokers : id => {
      host                  = b.host
      port                  = b.listener_port
      endpoint_service_name = b.endpoint_service_name
    }
  }
}
