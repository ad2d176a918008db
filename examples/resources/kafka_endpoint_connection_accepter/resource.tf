# Accepts the connection request of the account that owns the consumer's
# endpoint, once the principal is allowed and the consumer asks; destroying
# it rejects that connection, so the service's own destroy can follow.
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
  principal_arn = "arn:aws:iam::210987654321:root"
}

resource "kafka_endpoint_connection_accepter" "consumer" {
  service_id = kafka_privatelink.orders.endpoint_service[0].id
  account_id = "210987654321"

  # The request comes only once the principal is allowed.
  depends_on = [kafka_endpoint_service_principal.consumer]

  timeouts {
    create = "30m"
  }
}

output "consumer_endpoint" {
  value = kafka_endpoint_connection_accepter.consumer.vpc_endpoint_id
}
