# What each broker advertises, from the same assignment
# kafka_privatelink makes (Terraform 1.8+).
locals {
  brokers = {
    "1" = { availability_zone_id = "use1-az1" }
    "2" = { availability_zone_id = "use1-az2" }
  }
}

output "advertised_listeners" {
  # { "1" = { advertised_listener = "EXTERNAL://b1.use1-az1.kafka.example.com:9001", host = "b1.use1-az1.kafka.example.com", port = 9001 }, … }
  value = provider::kafka::advertised_listeners(local.brokers, "b{broker_id}.{az_id}.kafka.example.com", {})
}
