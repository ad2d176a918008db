# ClickPipes' side, with ClickHouse's provider: a reverse private endpoint
# to the service, the names brokers advertise mapped onto it (one-label
# wildcards, one per zone), and the pipe's brokers.

terraform {
  required_providers {
    kafka = {
      source = "kafka-privatelink/kafka"
    }
    clickhouse = {
      source = "ClickHouse/clickhouse"
    }
  }
}

# Organization and API key from the environment (CLICKHOUSE_ORG_ID, …).
provider "clickhouse" {}

variable "clickhouse_service_id" {
  description = "The ClickHouse Cloud service the pipe writes to."
  type        = string
  default     = "00000000-0000-0000-0000-000000000000"
}

resource "clickhouse_clickpipes_reverse_private_endpoint" "kafka" {
  service_id                = var.clickhouse_service_id
  description               = "Kafka over PrivateLink"
  type                      = "VPC_ENDPOINT_SERVICE"
  vpc_endpoint_service_name = kafka_privatelink.kafka.endpoint_service[0].service_name
}

resource "clickhouse_clickpipes_reverse_private_endpoint_custom_private_dns" "kafka" {
  service_id                  = var.clickhouse_service_id
  reverse_private_endpoint_id = clickhouse_clickpipes_reverse_private_endpoint.kafka.id
  mapping = [
    for name in data.kafka_advertised_listeners.clickpipes.advertised_host_wildcards : { private_dns_name = name }
  ]

  depends_on = [kafka_endpoint_connection_accepter.clickpipes]
}

locals {
  clickpipes_endpoint_id = clickhouse_clickpipes_reverse_private_endpoint.kafka.endpoint_id
}

# The pipe itself (clickhouse_clickpipe) takes
#   source.kafka.brokers                      = data.kafka_advertised_listeners.clickpipes.bootstrap_servers
#   source.kafka.reverse_private_endpoint_ids = [clickhouse_clickpipes_reverse_private_endpoint.kafka.id]
# with depends_on = [clickhouse_clickpipes_reverse_private_endpoint_custom_private_dns.kafka].
