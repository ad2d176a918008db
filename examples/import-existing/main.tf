# Bring an NLB that Materialize's Terraform module built (listeners 9001-9003,
# one target group per broker, an endpoint service) under kafka_privatelink,
# in one import. `terraform plan` shows "1 to import, 0 to change".

terraform {
  required_providers {
    kafka = {
      source = "kafka-privatelink/kafka"
    }
  }
}

provider "kafka" {
  region = "us-east-1"
}

variable "endpoint_service_id" {
  description = "The endpoint service in front of the NLB (or use the NLB's ARN)."
  type        = string
}

variable "vpc_id" {
  type    = string
  default = "vpc-0a1b2c3d4e5f60718"
}

variable "subnet_ids" {
  type    = list(string)
  default = ["subnet-0a1b2c3d4e5f60701", "subnet-0a1b2c3d4e5f60702", "subnet-0a1b2c3d4e5f60703"]
}

import {
  to = kafka_privatelink.mz
  id = var.endpoint_service_id
}

# What `terraform plan -generate-config-out=generated.tf` writes for it,
# with the broker ids the import inferred from the listener ports.
resource "kafka_privatelink" "mz" {
  name       = "mz-kafka-lb"
  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids

  brokers = {
    "1" = { ip = "10.0.1.10" }
    "2" = { ip = "10.0.2.10" }
    "3" = { ip = "10.0.3.10" }
  }

  endpoint_service {
    acceptance_required = false
  }
}
