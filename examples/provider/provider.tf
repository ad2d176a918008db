terraform {
  required_providers {
    kafka = {
      source = "kafka-privatelink/kafka"
    }
  }
}

# Credentials come from the usual places (environment, ~/.aws, SSO, instance
# metadata), exactly as with the hashicorp/aws provider.
provider "kafka" {
  region  = "us-east-1"
  profile = "networking"

  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/privatelink-admin"
    session_name = "terraform"
  }

  default_tags {
    tags = {
      team = "data-platform"
    }
  }
}
