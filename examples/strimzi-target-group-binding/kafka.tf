# Strimzi on EKS → one PrivateLink endpoint service, with the AWS Load
# Balancer Controller registering the broker pods. The provider makes the
# load balancer, a target group and a listener per broker, a bootstrap
# listener and the endpoint service; the controller keeps each group's
# targets current as pods restart (one TargetGroupBinding per group, in
# kubernetes.tf). Brokers advertise `<host>:<listener port>` through
# Strimzi's per-broker overrides, from the same port assignment.

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
  description = "The EKS cluster's VPC (with the VPC CNI, pods have VPC addresses)."
  type        = string
  default     = "vpc-0a1b2c3d4e5f60718"
}

variable "subnet_ids" {
  description = "One subnet per availability zone the broker pods run in."
  type        = list(string)
  default     = ["subnet-0a1b2c3d4e5f60701", "subnet-0a1b2c3d4e5f60702", "subnet-0a1b2c3d4e5f60703"]
}

variable "strimzi_cluster" {
  description = "The Kafka resource's name: Strimzi names its services after it."
  type        = string
  default     = "orders"
}

variable "namespace" {
  type    = string
  default = "kafka"
}

variable "consumer_principal" {
  type    = string
  default = "arn:aws:iam::123456789012:root"
}

locals {
  # A `cluster-ip` listener named `privatelink` on port 9094: Strimzi makes
  # a ClusterIP service per broker, `<cluster>-kafka-privatelink-<id>`, and
  # `<cluster>-kafka-privatelink-bootstrap` (its listener naming
  # convention; check `kubectl get svc`, names differ with node pools).
  # Broker pods are pinned to their volume's zone, so each broker's zone is
  # stable.
  brokers = {
    "0" = { port = 9094, availability_zone_id = "use1-az1" }
    "1" = { port = 9094, availability_zone_id = "use1-az2" }
    "2" = { port = 9094, availability_zone_id = "use1-az4" }
  }
}

resource "kafka_privatelink" "strimzi" {
  name       = "orders-strimzi"
  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids
  brokers    = local.brokers

  # The controller registers pods (`ip`: on their container port). The
  # provider never registers or deregisters a target, and the pods it
  # registers are never drift.
  target_registration = "external"
  target_type         = "ip"

  bootstrap {
    listener_port = 9092
  }

  # Pods restart during rolling updates: let clients finish quickly.
  deregistration_delay = 30
  health_check {
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  endpoint_service {
    allowed_principals = [var.consumer_principal]
  }
}

data "kafka_advertised_listeners" "strimzi" {
  brokers               = kafka_privatelink.strimzi.brokers
  endpoint_service_name = kafka_privatelink.strimzi.endpoint_service[0].service_name
  template              = "b{broker_id}.kafka.orders.internal"
}

locals {
  # One TargetGroupBinding per broker, and one for bootstrap: what the
  # controller needs, straight from the resource's outputs.
  target_group_bindings = merge(
    {
      for id, b in kafka_privatelink.strimzi.brokers : "broker-${id}" => {
        target_group_arn = b.target_group_arn
        target_type      = b.target_type
        service          = "${var.strimzi_cluster}-kafka-privatelink-${id}"
      }
    },
    {
      bootstrap = {
        target_group_arn = kafka_privatelink.strimzi.bootstrap[0].target_group_arn
        target_type      = kafka_privatelink.strimzi.target_type
        service          = "${var.strimzi_cluster}-kafka-privatelink-bootstrap"
      }
    },
  )
  manifests = {
    for name, b in local.target_group_bindings : name => {
      apiVersion = "elbv2.k8s.aws/v1beta1"
      kind       = "TargetGroupBinding"
      metadata = {
        name      = "${var.strimzi_cluster}-privatelink-${name}"
        namespace = var.namespace
      }
      spec = {
        targetGroupARN = b.target_group_arn
        targetType     = b.target_type
        serviceRef = {
          name = b.service
          port = 9094
        }
      }
    }
  }
}

output "strimzi_broker_overrides" {
  description = "The `privatelink` listener's `configuration.brokers` in the Kafka resource: each broker advertises its name and listener port."
  value = [
    for id, e in data.kafka_advertised_listeners.strimzi.broker_endpoints : {
      broker         = tonumber(id)
      advertisedHost = e.advertised_host
      advertisedPort = e.listener_port
    }
  ]
}

output "endpoint_service_name" {
  value = kafka_privatelink.strimzi.endpoint_service[0].service_name
}
