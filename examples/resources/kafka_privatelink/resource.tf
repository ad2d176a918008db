# Three brokers behind one network load balancer: listener 9001 → broker 1,
# 9002 → broker 2, 9003 → broker 3, and an endpoint service that one consumer
# account may connect to.
resource "kafka_privatelink" "orders" {
  name       = "orders"
  vpc_id     = "vpc-0a1b2c3d4e5f60718"
  subnet_ids = ["subnet-0a1b2c3d4e5f60701", "subnet-0a1b2c3d4e5f60702", "subnet-0a1b2c3d4e5f60703"]

  brokers = {
    "1" = { ip = "10.0.1.10" }
    "2" = { ip = "10.0.2.10" }
    "3" = { ip = "10.0.3.10" }
  }
  broker_port = 9096

  endpoint_service {
    allowed_principals = ["arn:aws:iam::123456789012:root"]
  }

  tags = {
    cluster = "orders"
  }
}

output "endpoint_service_name" {
  value = kafka_privatelink.orders.endpoint_service[0].service_name
}
