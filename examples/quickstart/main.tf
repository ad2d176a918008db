# Quickstart: what `make demo` applies against the embedded AWS (moto).
#
# One Kafka cluster of three brokers exposed through PrivateLink. Every broker
# adds one EXTERNAL listener on 39092 that advertises
# b<id>.<az id>.abc.aws.plc.tidbcloud.com:<its NLB port>; from that single
# layout come what TiDB Cloud needs (patterns, server.properties) and what
# Materialize needs (CREATE CONNECTION statements).

terraform {
  required_providers {
    kafka = {
      source = "kafka-privatelink/kafka"
    }
  }
}

variable "aws_endpoint" {
  description = "Custom AWS endpoint (the demo points this at moto); null for real AWS."
  type        = string
  default     = null
}

variable "vpc_id" {
  type    = string
  default = "vpc-0a1b2c3d4e5f60718"
}

variable "subnet_ids" {
  description = "One subnet per availability zone."
  type        = list(string)
  default     = ["subnet-0a1b2c3d4e5f60701", "subnet-0a1b2c3d4e5f60702", "subnet-0a1b2c3d4e5f60703"]
}

provider "kafka" {
  region = "us-east-1"

  endpoints {
    ec2   = var.aws_endpoint
    elbv2 = var.aws_endpoint
  }
}

resource "kafka_privatelink" "kafka" {
  name       = "quickstart"
  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids

  # Broker id => IP. Each broker gets its own NLB listener port, for life.
  brokers = {
    "1" = { ip = "10.0.1.10" }
    "2" = { ip = "10.0.2.10" }
    "3" = { ip = "10.0.3.10" }
  }
  broker_port        = 39092
  listener_port_base = 9093

  endpoint_service {
    allowed_principals = ["arn:aws:iam::664411391173:root"]
    # Accept the consumer's endpoint once it asks (TiDB Cloud's account
    # above); the plan names each connection it will accept.
    auto_accept = true
  }
}

# What the brokers advertise, from the resource's own port assignment.
data "kafka_advertised_listeners" "kafka" {
  brokers               = kafka_privatelink.kafka.brokers
  preset                = "tidbcloud"
  unique_name           = "abc"
  endpoint_service_name = kafka_privatelink.kafka.endpoint_service[0].service_name
}

output "listeners" {
  description = "Broker id => NLB listener port, availability zone and target."
  value = {
    for id, b in kafka_privatelink.kafka.brokers : id => "port ${b.listener_port} -> ${b.ip}:${b.port} (${b.availability_zone_id})"
  }
}

output "endpoint_service_name" {
  value = kafka_privatelink.kafka.endpoint_service[0].service_name
}

output "endpoint_service_id" {
  value = kafka_privatelink.kafka.endpoint_service[0].id
}

output "tidbcloud_patterns" {
  description = "The advertised listener pattern per availability zone, as TiDB Cloud asks for it."
  value       = data.kafka_advertised_listeners.kafka.patterns
}

output "broker_1_server_properties" {
  description = "Lines to add to broker 1's server.properties."
  value       = data.kafka_advertised_listeners.kafka.broker_endpoints["1"].server_properties
}

output "materialize_sql" {
  description = "Run in Materialize to connect through PrivateLink."
  value       = data.kafka_advertised_listeners.kafka.materialize_sql
}

output "connections" {
  description = "Consumer endpoints and their state (pendingAcceptance, available, ...)."
  value       = kafka_privatelink.kafka.endpoint_service[0].connections
}
