# Self-hosted Kafka → ClickHouse ClickPipes over PrivateLink in one apply.
# ClickPipes connects from a fixed principal, so it is allowed inline; its
# reverse private endpoint (consumer.tf) asks to connect, and the accepter
# accepts exactly that endpoint. ClickPipes resolves the names brokers
# advertise to its endpoint and keeps their ports: every broker advertises a
# name from the template on its own listener port.

# The providers both sides use are required in consumer.tf.
provider "kafka" {
  region = "us-east-1"
}

locals {
  # ClickPipes' principal in its AWS regions (ClickHouse's PrivateLink docs).
  clickpipes_principal = "arn:aws:iam::072088201116:root"
}

resource "kafka_privatelink" "kafka" {
  name       = "events"
  vpc_id     = "vpc-0a1b2c3d4e5f60718"
  subnet_ids = ["subnet-0a1b2c3d4e5f60701", "subnet-0a1b2c3d4e5f60702", "subnet-0a1b2c3d4e5f60703"]
  brokers = {
    "1" = { ip = "10.0.1.10" }
    "2" = { ip = "10.0.2.10" }
    "3" = { ip = "10.0.3.10" }
  }
  broker_port = 39092

  endpoint_service {
    acceptance_required = true
    allowed_principals  = [local.clickpipes_principal]
  }
}

data "kafka_advertised_listeners" "clickpipes" {
  brokers  = kafka_privatelink.kafka.brokers
  template = "b{broker_id}.{az_id}.kafka.example.com"
}

# The endpoint ClickPipes made, accepted by its id.
resource "kafka_endpoint_connection_accepter" "clickpipes" {
  service_id      = kafka_privatelink.kafka.endpoint_service[0].id
  vpc_endpoint_id = local.clickpipes_endpoint_id
}

output "server_properties" {
  description = "Per broker: the listener to add (it listens on 39092, advertised on its listener port)."
  value       = { for id, b in data.kafka_advertised_listeners.clickpipes.broker_endpoints : id => b.server_properties }
}
