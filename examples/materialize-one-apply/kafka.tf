# Amazon MSK → Materialize over PrivateLink in one apply, and out again in
# one destroy. Materialize's own provider needs the endpoint service's name
# to create its side and returns the principal to allow only then: the
# principal and the acceptance are resources of their own, so the graph has
# no cycle (service → Materialize's connection → principal → accepter →
# Materialize's Kafka connection). This file is the Kafka side;
# consumer.tf is Materialize's.

# The providers both sides use are required in consumer.tf.
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
    # allowed_principals is left unset: the principal below owns
    # Materialize's, and the service reports it without removing it.
    acceptance_required = true
  }
}

data "kafka_advertised_listeners" "materialize" {
  brokers               = kafka_privatelink.msk.brokers
  endpoint_service_name = kafka_privatelink.msk.endpoint_service[0].service_name
  security_protocol     = "SASL_SSL"
}

# Materialize's principal (consumer.tf), allowed once its side exists.
resource "kafka_endpoint_service_principal" "materialize" {
  service_id    = kafka_privatelink.msk.endpoint_service[0].id
  principal_arn = local.materialize_principal
}

# Materialize then creates its endpoint; this waits for the request of the
# principal's account, accepts it, and waits until it is available. On
# destroy it rejects the connection, so that the service can go too.
resource "kafka_endpoint_connection_accepter" "materialize" {
  service_id    = kafka_privatelink.msk.endpoint_service[0].id
  principal_arn = kafka_endpoint_service_principal.materialize.principal_arn

  timeouts {
    create = "30m"
  }
}

output "materialize_endpoint" {
  description = "Materialize's endpoint, accepted."
  value       = kafka_endpoint_connection_accepter.materialize.vpc_endpoint_id
}
