# Each broker's listener port, computed where a data source cannot run: in
# locals, variable validations and for_each (Terraform 1.8+).
locals {
  brokers = {
    "1" = { availability_zone_id = "use1-az1" }
    "2" = { availability_zone_id = "use1-az2" }
    "3" = { availability_zone_id = "use1-az4", listener_port = 9010 }
  }
  ports = provider::kafka::listener_ports(local.brokers, { listener_port_base = 9001 })
}

output "listener_ports" {
  value = local.ports # { "1" = 9001, "2" = 9002, "3" = 9010 }
}
