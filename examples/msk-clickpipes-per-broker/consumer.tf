# ClickPipes' side, with ClickHouse's provider: per endpoint service a
# reverse private endpoint, and on it the host names of the brokers behind
# that service as custom private DNS; the pipe selects every endpoint.

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

resource "clickhouse_clickpipes_reverse_private_endpoint" "broker" {
  for_each                  = { for lb in kafka_privatelink.msk.load_balancers : lb.name => lb }
  service_id                = var.clickhouse_service_id
  description               = "MSK broker ${join(", ", each.value.broker_ids)}"
  type                      = "VPC_ENDPOINT_SERVICE"
  vpc_endpoint_service_name = each.value.endpoint_service_name
}

resource "clickhouse_clickpipes_reverse_private_endpoint_custom_private_dns" "broker" {
  for_each                    = { for lb in kafka_privatelink.msk.load_balancers : lb.name => lb }
  service_id                  = var.clickhouse_service_id
  reverse_private_endpoint_id = clickhouse_clickpipes_reverse_private_endpoint.broker[each.key].id
  mapping = [
    for id in each.value.broker_ids : { private_dns_name = kafka_privatelink.msk.brokers[id].host }
  ]

  depends_on = [kafka_endpoint_connection_accepter.clickpipes]
}

locals {
  clickpipes_endpoint_ids = { for k, e in clickhouse_clickpipes_reverse_private_endpoint.broker : k => e.endpoint_id }
}

# The pipe itself (clickhouse_clickpipe) takes
#   source.kafka.brokers                      = data.kafka_msk_brokers.orders.bootstrap_brokers
#   source.kafka.reverse_private_endpoint_ids = [for e in clickhouse_clickpipes_reverse_private_endpoint.broker : e.id]
# with depends_on = [clickhouse_clickpipes_reverse_private_endpoint_custom_private_dns.broker].
