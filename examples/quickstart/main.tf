# Quickstart: what `make demo` applies against the embedded AWS (moto).
#
# One Kafka cluster of three brokers, and what two PrivateLink consumers need
# to reach each broker: TiDB Cloud (advertised listener patterns and
# server.properties) and Materialize (CREATE CONNECTION statements).

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

provider "kafka" {
  region = "us-east-1"

  endpoints {
    ec2   = var.aws_endpoint
    elbv2 = var.aws_endpoint
  }
}

locals {
  # Broker id => availability zone id and the broker's own address.
  brokers = {
    "1" = { availability_zone_id = "use1-az1", host = "b-1.kafka.internal" }
    "2" = { availability_zone_id = "use1-az2", host = "b-2.kafka.internal" }
    "3" = { availability_zone_id = "use1-az4", host = "b-3.kafka.internal" }
  }
}

# TiDB Cloud: each broker gets an extra EXTERNAL listener on 39092 (the
# default bind_port) that advertises a TiDB Cloud host on its NLB port.
data "kafka_advertised_listeners" "tidbcloud" {
  brokers            = local.brokers
  preset             = "tidbcloud"
  unique_name        = "abc"
  listener_port_base = 9093
}

# Materialize: brokers keep advertising their own address on 9092, and
# Materialize maps each one onto its NLB port.
data "kafka_advertised_listeners" "materialize" {
  brokers               = { for id, b in local.brokers : id => merge(b, { port = 9092 }) }
  listener_port_base    = 9093
  endpoint_service_name = "com.amazonaws.vpce.us-east-1.vpce-svc-0e123abc123198abc"
}

output "tidbcloud_advertised_listeners" {
  description = "What each broker advertises for TiDB Cloud."
  value       = { for id, b in data.kafka_advertised_listeners.tidbcloud.broker_endpoints : id => b.advertised_listener }
}

output "tidbcloud_patterns" {
  description = "The advertised listener pattern per availability zone, as TiDB Cloud asks for it."
  value       = data.kafka_advertised_listeners.tidbcloud.patterns
}

output "broker_1_server_properties" {
  description = "Lines to add to broker 1's server.properties."
  value       = data.kafka_advertised_listeners.tidbcloud.broker_endpoints["1"].server_properties
}

output "materialize_sql" {
  description = "Run in Materialize to connect through PrivateLink."
  value       = data.kafka_advertised_listeners.materialize.materialize_sql
}
