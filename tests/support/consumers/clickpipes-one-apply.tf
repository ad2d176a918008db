# The consumer's side of examples/clickpipes-one-apply, emulated for the
# tests: ClickPipes' reverse private endpoint asks to connect once the
# service allows ClickPipes' principal (tests/support/consumer.py through
# the test proxy); the DNS mapping and the pipe are what it would be given.

terraform {
  required_providers {
    kafka = {
      source = "kafka-privatelink/kafka"
    }
  }
}

resource "terraform_data" "clickpipes_endpoint" {
  input = {
    service_id = kafka_privatelink.kafka.endpoint_service[0].id
    principal  = local.clickpipes_principal
    owner      = "072088201116"
    endpoint   = "vpce-0a1b2c3d4e5f60702"
  }

  provisioner "local-exec" {
    command = "python3 \"$KAFKA_TEST_SUPPORT/consumer.py\" '${jsonencode({ principal = self.input.principal, owner = self.input.owner, endpoint_id = self.input.endpoint, service_id = self.input.service_id })}'"
  }

  provisioner "local-exec" {
    when    = destroy
    command = "python3 \"$KAFKA_TEST_SUPPORT/consumer.py\" '${jsonencode({ endpoint_id = self.input.endpoint, delete = true })}'"
  }
}

resource "terraform_data" "clickpipes_dns" {
  input = {
    names   = data.kafka_advertised_listeners.clickpipes.advertised_host_wildcards
    brokers = data.kafka_advertised_listeners.clickpipes.bootstrap_servers
  }
  depends_on = [kafka_endpoint_connection_accepter.clickpipes]
}

locals {
  clickpipes_endpoint_id = terraform_data.clickpipes_endpoint.output.endpoint
}
