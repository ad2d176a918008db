# By the ARN of the network load balancer:
terraform import kafka_privatelink.orders arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/orders/50dc6c495c0c9188

# Or by the id of the VPC endpoint service in front of it:
terraform import kafka_privatelink.orders vpce-svc-0123456789abcdef0
