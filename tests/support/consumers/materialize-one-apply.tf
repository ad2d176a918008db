# The consumer's side of examples/materialize-one-apply, emulated for the
# tests (which cannot reach Materialize): the same names, with
# terraform_data in place of Materialize's resources. Its provisioners make
# Materialize's endpoint ask for a connection once the service allows the
# principal, and delete it on destroy (tests/support/consumer.py, through
# the test proxy).

terraform {
  required_providers {
    kafka = {
      source = "kafka-privatelink/kafka"
    }
  }
}

resource "terraform_data" "materialize_privatelink" {
  input = {
    service_id = kafka_privatelink.msk.endpoint_service[0].id
    principal  = "arn:aws:iam::664411391173:role/mz_emulated_u1"
    owner      = "664411391173"
    endpoint   = "vpce-0a1b2c3d4e5f60701"
  }

  provisioner "local-exec" {
    command = "python3 \"$KAFKA_TEST_SUPPORT/consumer.py\" '${jsonencode({ principal = self.input.principal, owner = self.input.owner, endpoint_id = self.input.endpoint, service_id = self.input.service_id })}'"
  }

  provisioner "local-exec" {
    when    = destroy
    command = "python3 \"$KAFKA_TEST_SUPPORT/consumer.py\" '${jsonencode({ endpoint_id = self.input.endpoint, delete = true })}'"
  }
}

# Materialize's Kafka connection: what it would be given.
resource "terraform_data" "materialize_kafka" {
  input = {
    brokers = data.kafka_advertised_listeners.materialize.materialize_brokers
    zones   = data.kafka_advertised_listeners.materialize.materialize_availability_zones
  }
  depends_on = [kafka_endpoint_connection_accepter.materialize]
}

locals {
  materialize_principal = terraform_data.materialize_privatelink.output.principal
}
