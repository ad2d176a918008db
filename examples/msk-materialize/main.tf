# Amazon MSK → Materialize over PrivateLink.
#
# Each MSK broker gets its own NLB listener port, keyed by broker id, and the
# Materialize statements are computed from the same assignment, so they can
# never disagree with the listeners (even with gaps in broker ids after MSK
# removed a broker).

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

variable "brokers" {
  description = "MSK brokers by broker id: the client IP and the broker's DNS name (aws_msk_broker_nodes gives both)."
  type        = map(object({ ip = string, host = string }))
  default = {
    "1" = { ip = "10.0.1.10", host = "b-1.orders.abc123.c2.kafka.us-east-1.amazonaws.com" }
    "2" = { ip = "10.0.2.10", host = "b-2.orders.abc123.c2.kafka.us-east-1.amazonaws.com" }
    "4" = { ip = "10.0.3.10", host = "b-4.orders.abc123.c2.kafka.us-east-1.amazonaws.com" }
  }
}

variable "materialize_principal" {
  description = "The principal Materialize shows in mz_aws_privatelink_connections."
  type        = string
  default     = "arn:aws:iam::664411391173:role/mz_00000000-0000-0000-0000-000000000000_u1"
}

resource "kafka_privatelink" "msk" {
  name        = "orders-msk"
  vpc_id      = var.vpc_id
  subnet_ids  = var.subnet_ids
  brokers     = { for id, b in var.brokers : id => { ip = b.ip } }
  broker_port = 9096 # SASL/SCRAM

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
  brokers = {
    for id, b in kafka_privatelink.msk.brokers : id => merge(b, { host = var.brokers[id].host })
  }
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
