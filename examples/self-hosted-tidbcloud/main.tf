# Self-hosted Kafka → TiDB Cloud over PrivateLink, the layout of TiDB Cloud's
# guide: a bootstrap listener on 9092 to every broker, one listener per
# broker from 9093, each broker with an extra EXTERNAL listener on 39092 that
# advertises b<id>.<az id>.<unique name>.aws.plc.tidbcloud.com:<its port>.

terraform {
  required_providers {
    kafka = {
      source = "kafka-privatelink/kafka"
    }
  }
}

provider "kafka" {
  region = "us-west-2"
}

variable "vpc_id" {
  type    = string
  default = "vpc-0a1b2c3d4e5f60718"
}

variable "subnet_ids" {
  type    = list(string)
  default = ["subnet-0a1b2c3d4e5f60701", "subnet-0a1b2c3d4e5f60702", "subnet-0a1b2c3d4e5f60703"]
}

variable "broker_ips" {
  description = "Broker id → private IP."
  type        = map(string)
  default     = { "1" = "10.0.1.10", "2" = "10.0.2.10", "3" = "10.0.3.10" }
}

variable "tidbcloud_account" {
  description = "The AWS account TiDB Cloud connects from."
  type        = string
  default     = "123456789012"
}

variable "unique_name" {
  description = "The unique name of your TiDB Cloud private link domain."
  type        = string
  default     = "abc"
}

resource "kafka_privatelink" "kafka" {
  name               = "kafka-tidb"
  vpc_id             = var.vpc_id
  subnet_ids         = var.subnet_ids
  brokers            = { for id, ip in var.broker_ips : id => { ip = ip } }
  broker_port        = 39092 # the EXTERNAL listener every broker adds
  listener_port_base = 9093

  bootstrap {
    listener_port = 9092
  }

  endpoint_service {
    acceptance_required = true
    allowed_principals  = ["arn:aws:iam::${var.tidbcloud_account}:root"]
  }
}

data "kafka_advertised_listeners" "tidbcloud" {
  brokers     = kafka_privatelink.kafka.brokers
  preset      = "tidbcloud"
  unique_name = var.unique_name
}

output "endpoint_service_name" {
  description = "Give this to TiDB Cloud."
  value       = kafka_privatelink.kafka.endpoint_service[0].service_name
}

output "advertised_listener_patterns" {
  description = "Per availability zone, for TiDB Cloud's private link connection."
  value       = data.kafka_advertised_listeners.tidbcloud.patterns
}

output "server_properties" {
  description = "Add to each broker's server.properties (merge with its existing listeners)."
  value       = { for id, b in data.kafka_advertised_listeners.tidbcloud.broker_endpoints : id => b.server_properties }
}
