# Amazon MSK → Materialize over PrivateLink, following Materialize's MSK
# guide. The cluster's brokers come from MSK itself, keyed by broker id; each
# gets its own NLB listener port, and the Materialize statements are computed
# from the same assignment, so they can never disagree with the listeners
# (even with gaps in broker ids after MSK replaced a broker).

terraform {
  required_providers {
    kafka = {
      source = "kafka-privatelink/kafka"
    }
  }
}

provider "kafka" {
  region = var.region
}

variable "region" {
  type    = string
  default = "us-east-1"
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

variable "cluster_arn" {
  description = "The MSK cluster."
  type        = string
  default     = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-2"
}

variable "materialize_principal" {
  description = "The principal Materialize shows in mz_aws_privatelink_connections."
  type        = string
  default     = "arn:aws:iam::664411391173:role/mz_00000000-0000-0000-0000-000000000000_u1"
}

# Materialize connects with SASL/SCRAM: every broker's port is 9096.
data "kafka_msk_brokers" "orders" {
  cluster_arn    = var.cluster_arn
  authentication = "sasl_scram"
}

resource "kafka_privatelink" "msk" {
  name       = "orders-msk"
  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids
  brokers    = data.kafka_msk_brokers.orders.brokers

  endpoint_service {
    # Materialize's guide ends with "approve the connection request": with
    # acceptance required, the next apply after Materialize connects accepts
    # its endpoint (the plan names it), and nobody else's.
    acceptance_required = true
    allowed_principals  = [var.materialize_principal]
    auto_accept         = true
  }
}

data "kafka_advertised_listeners" "materialize" {
  brokers               = kafka_privatelink.msk.brokers
  endpoint_service_name = kafka_privatelink.msk.endpoint_service[0].service_name
  security_protocol     = "SASL_SSL"
}

output "materialize_sql" {
  description = "Run in Materialize (add the SASL options to the Kafka connection)."
  value       = data.kafka_advertised_listeners.materialize.materialize_sql
}

output "listener_ports" {
  value = { for id, b in kafka_privatelink.msk.brokers : id => b.listener_port }
}
