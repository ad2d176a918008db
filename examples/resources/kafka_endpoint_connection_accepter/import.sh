# By the service id and the consumer's endpoint id, separated by a comma:
terraform import kafka_endpoint_connection_accepter.consumer vpce-svc-0123456789abcdef0,vpce-0123456789abcdef0
