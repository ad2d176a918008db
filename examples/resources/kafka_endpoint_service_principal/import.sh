# By the service id and the principal's ARN, separated by a comma:
terraform import kafka_endpoint_service_principal.consumer vpce-svc-0123456789abcdef0,arn:aws:iam::123456789012:root
