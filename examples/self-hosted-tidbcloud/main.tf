# Self-hosted Kafka → TiDB Cloud Dedicated over PrivateLink, exactly as TiDB
# Cloud's guide builds it: broker EC2 instances registered as instance
# targets on 39092 (the EXTERNAL listener every broker adds, advertising the
# name TiDB Cloud's console pattern gives it on its own port), a bootstrap
# listener on 9092 to every broker, one listener per broker from 9093, an NLB
# with a security group admitting TiDB Cloud's CIDR on those ports, and an
# endpoint service whose connection requests are accepted.

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

variable "broker_instances" {
  description = "Broker id → the EC2 instance it runs on."
  type        = map(string)
  default = {
    "1" = "i-0a1b2c3d4e5f60701"
    "2" = "i-0a1b2c3d4e5f60702"
    "3" = "i-0a1b2c3d4e5f60703"
  }
}

variable "nlb_security_group_id" {
  description = "The NLB's security group: inbound TCP 9092-9095 from TiDB Cloud's CIDR. Decide at creation: AWS never adds one later."
  type        = string
  default     = "sg-0a1b2c3d4e5f60718"
}

variable "tidbcloud_account" {
  description = "The AWS account TiDB Cloud connects from."
  type        = string
  default     = "123456789012"
}

variable "tidbcloud_pattern" {
  description = "One \"Kafka Advertised Listener Pattern\" line as TiDB Cloud's console shows it (any zone's)."
  type        = string
  default     = "usw2-az1 => <broker_id>.usw2-az1.abc.us-west-2.aws.3199015.tidbcloud.com:<port>"
}

resource "kafka_privatelink" "kafka" {
  name               = "kafka-tidb"
  vpc_id             = var.vpc_id
  subnet_ids         = var.subnet_ids
  security_group_ids = [var.nlb_security_group_id]
  brokers            = { for id, instance in var.broker_instances : id => { instance_id = instance } }
  broker_port        = 39092 # the EXTERNAL listener every broker adds
  listener_port_base = 9093

  bootstrap {
    listener_port = 9092
  }

  endpoint_service {
    acceptance_required = true
    allowed_principals  = ["arn:aws:iam::${var.tidbcloud_account}:root"]
    # The guide's "accept the connection request": the apply after TiDB
    # Cloud connects accepts its endpoint; the plan names it first.
    auto_accept = true
  }
}

data "kafka_advertised_listeners" "tidbcloud" {
  brokers                 = kafka_privatelink.kafka.brokers
  tidbcloud_pattern       = var.tidbcloud_pattern
  bootstrap_listener_port = 9092
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
