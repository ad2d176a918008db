# The consumer's side of examples/msk-clickpipes-per-broker, emulated for
# the tests: per endpoint service, ClickPipes' reverse private endpoint asks
# to connect once the service allows ClickPipes' principal
# (tests/support/consumer.py through the test proxy); the DNS mapping is
# what it would be given.

terraform {
  required_providers {
    kafka = {
      source = "kafka-privatelink/kafka"
    }
  }
}

resource "terraform_data" "clickpipes_endpoint" {
  for_each = { for lb in kafka_privatelink.msk.load_balancers : lb.name => lb }
  input = {
    service_id = each.value.endpoint_service_id
    principal  = local.clickpipes_principal
    owner      = "072088201116"
    endpoint   = "vpce-0a1b2c3d4e5f6${substr(md5(each.key), 0, 4)}"
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
  for_each = { for lb in kafka_privatelink.msk.load_balancers : lb.name => lb }
  input = {
    endpoint = terraform_data.clickpipes_endpoint[each.key].output.endpoint
    names    = [for id in each.value.broker_ids : kafka_privatelink.msk.brokers[id].host]
  }
  depends_on = [kafka_endpoint_connection_accepter.clickpipes]
}

locals {
  clickpipes_endpoint_ids = { for k, e in terraform_data.clickpipes_endpoint : k => e.output.endpoint }
}
