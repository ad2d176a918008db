# The controller's side: one TargetGroupBinding per target group. Created
# once the groups exist (their ARNs are known only then), in the same
# apply. Needs the AWS Load Balancer Controller in the cluster, and the
# services named in kafka.tf (Strimzi makes them for a `cluster-ip`
# listener).

terraform {
  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 2.23"
    }
  }
}

variable "kubeconfig" {
  type    = string
  default = "~/.kube/config"
}

provider "kubernetes" {
  config_path = var.kubeconfig
}

resource "kubernetes_manifest" "target_group_binding" {
  for_each = local.manifests
  manifest = each.value
}
