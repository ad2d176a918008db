# TiDB Cloud Essential: brokers advertise
# b<id>.<az id>.<unique name>.aws.plc.tidbcloud.com on their NLB port. For
# TiDB Cloud Dedicated, paste the console's pattern into tidbcloud_pattern.
data "kafka_advertised_listeners" "tidbcloud" {
  brokers = {
    "1" = { availability_zone_id = "usw2-az1" }
    "2" = { availability_zone_id = "usw2-az2" }
    "3" = { availability_zone_id = "usw2-az3" }
  }
  preset             = "tidbcloud"
  unique_name        = "abc"
  listener_port_base = 9093
}

# Per broker, the server.properties lines to add.
output "tidbcloud_server_properties" {
  value = { for id, b in data.kafka_advertised_listeners.tidbcloud.broker_endpoints : id => b.server_properties }
}

# Per availability zone, the pattern TiDB Cloud asks for.
output "tidbcloud_patterns" {
  value = data.kafka_advertised_listeners.tidbcloud.patterns
}

# Materialize: brokers keep advertising their own address; Materialize maps
# each one onto its NLB port.
data "kafka_advertised_listeners" "materialize" {
  brokers = {
    "1" = { availability_zone_id = "use1-az2", host = "b-1.hostname-1", port = 9096 }
    "2" = { availability_zone_id = "use1-az1", host = "b-2.hostname-2", port = 9096 }
    "3" = { availability_zone_id = "use1-az4", host = "b-3.hostname-3", port = 9096 }
  }
  endpoint_service_name = "com.amazonaws.vpce.us-east-1.vpce-svc-0e123abc123198abc"
  security_protocol     = "SASL_SSL"
}

output "materialize_sql" {
  value = data.kafka_advertised_listeners.materialize.materialize_sql
}
