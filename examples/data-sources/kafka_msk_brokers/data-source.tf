# An MSK cluster's brokers, keyed by broker id, straight into the resource:
# ports follow broker ids, never list positions.
data "kafka_msk_brokers" "orders" {
  cluster_arn    = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d-2"
  authentication = "sasl_scram" # 9096; plaintext 9092, tls 9094, iam 9098
}

resource "kafka_privatelink" "orders" {
  name       = "orders"
  vpc_id     = "vpc-0a1b2c3d4e5f60718"
  subnet_ids = ["subnet-0a1b2c3d4e5f60701", "subnet-0a1b2c3d4e5f60702", "subnet-0a1b2c3d4e5f60703"]
  brokers    = data.kafka_msk_brokers.orders.brokers

  endpoint_service {
    allowed_principals = ["arn:aws:iam::664411391173:role/mz_example"]
    auto_accept        = true
  }
}

data "kafka_advertised_listeners" "materialize" {
  brokers               = kafka_privatelink.orders.brokers
  endpoint_service_name = kafka_privatelink.orders.endpoint_service[0].service_name
  security_protocol     = "SASL_SSL"
}
