# The Kubernetes side of examples/strimzi-target-group-binding, emulated for
# the tests (no cluster runs here): per TargetGroupBinding manifest, the
# controller registers the pods behind its service into the bound group
# (tests/support/controller.py), and deregisters them when the binding goes,
# as the controller's finalizer does. The manifests themselves are the
# example's, checked for the fields the controller reads.

resource "terraform_data" "target_group_binding" {
  for_each = local.manifests
  input = {
    target_group_arn = each.value.spec.targetGroupARN
    port             = each.value.spec.serviceRef.port
    # The pods the service selects: one per broker, every one for bootstrap.
    targets = each.key == "bootstrap" ? [for id in keys(local.brokers) : "10.0.${tonumber(id) + 1}.${100 + tonumber(id)}"] : ["10.0.${tonumber(trimprefix(each.key, "broker-")) + 1}.${100 + tonumber(trimprefix(each.key, "broker-"))}"]
  }

  lifecycle {
    precondition {
      condition     = each.value.apiVersion == "elbv2.k8s.aws/v1beta1" && each.value.kind == "TargetGroupBinding"
      error_message = "Not a TargetGroupBinding: ${jsonencode(each.value)}"
    }
    precondition {
      condition     = startswith(each.value.spec.targetGroupARN, "arn:aws:elasticloadbalancing:") && contains(["ip", "instance"], each.value.spec.targetType)
      error_message = "A binding names its group by ARN and its target type: ${jsonencode(each.value.spec)}"
    }
  }

  provisioner "local-exec" {
    command = "python3 \"$KAFKA_TEST_SUPPORT/controller.py\" '${jsonencode(self.input)}'"
  }

  provisioner "local-exec" {
    when    = destroy
    command = "python3 \"$KAFKA_TEST_SUPPORT/controller.py\" '${jsonencode(merge(self.input, { deregister = true }))}'"
  }
}
