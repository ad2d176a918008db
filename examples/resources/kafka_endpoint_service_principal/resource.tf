# The consumer's principal comes from the consumer's own provider after the
# service exists (here a variable stands in for, e.g.,
# materialize_connection_aws_privatelink.kafka.principal). The service
# leaves allowed_principals unset, so this resource owns the principal.
variable "consumer_principal" {
  type    = string
  default = "arn:aws:iam::123456789012:root"
}

resource "kafka_privatelink" "orders" {
  name       = "orders"
  vpc_id     = "vpc-0a1b2c3d4e5f60718"
  subnet_ids = ["subnet-0a1b2c3d4e5f60701", "subnet-0a1b2c3d4e5f60702", "subnet-0a1b2c3d4e5f60703"]
  brokers = {
    "1" = { ip = "10.0.1.10" }
    "2" = { ip = "10.0.2.10" }
    "3" = { ip = "10.0.3.10" }
  }
  endpoint_service {}
}

resource "kafka_endpoint_service_principal" "consumer" {
  service_id    = kafka_privatelink.orders.endpoint_service[0].id
  principal_arn = var.consumer_principal
}
