# Materialize's side, with its own provider (MaterializeInc/materialize).
# Its connection to the endpoint service returns the principal that
# kafka.tf allows; its Kafka connection waits for the accepter, and names
# each broker with the listener port and zone kafka_privatelink gave it.

terraform {
  required_providers {
    kafka = {
      source = "kafka-privatelink/kafka"
    }
    materialize = {
      source = "MaterializeInc/materialize"
    }
  }
}

# Credentials from the environment (MZ_HOST, MZ_USER, MZ_PASSWORD, …).
provider "materialize" {}

variable "kafka_user" {
  type    = string
  default = "materialize"
}

resource "materialize_secret" "kafka_password" {
  name  = "kafka_password"
  value = "change-me"
}

resource "materialize_connection_aws_privatelink" "msk" {
  name               = "msk_privatelink"
  service_name       = kafka_privatelink.msk.endpoint_service[0].service_name
  availability_zones = data.kafka_advertised_listeners.materialize.materialize_availability_zones
}

resource "materialize_connection_kafka" "msk" {
  name = "msk"

  dynamic "kafka_broker" {
    for_each = data.kafka_advertised_listeners.materialize.materialize_brokers
    content {
      broker            = kafka_broker.value.broker
      target_group_port = kafka_broker.value.target_group_port
      availability_zone = kafka_broker.value.availability_zone
      privatelink_connection {
        name = materialize_connection_aws_privatelink.msk.name
      }
    }
  }

  security_protocol = "SASL_SSL"
  sasl_mechanisms   = "SCRAM-SHA-512"
  sasl_username {
    text = var.kafka_user
  }
  sasl_password {
    name = materialize_secret.kafka_password.name
  }

  # Materialize validates the connection when it is created: after the
  # endpoint is accepted.
  depends_on = [kafka_endpoint_connection_accepter.materialize]
}

locals {
  materialize_principal = materialize_connection_aws_privatelink.msk.principal
}
