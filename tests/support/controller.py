"""The AWS Load Balancer Controller's part of a TargetGroupBinding, emulated
for tests and examples run against moto: Terraform's local-exec
provisioners call it where the kubernetes provider would create or delete
a binding and the controller would then register or deregister the pods.

usage: controller.py '<json>'
  {"target_group_arn": "arn:…", "targets": ["10.0.1.100", …], "port": 9094,
   "deregister": false}

It calls ELBv2's RegisterTargets or DeregisterTargets (Query API, version
2015-12-01: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RegisterTargets.html)
at the endpoint AWS_ENDPOINT_URL names, as the controller does with its
own credentials; moto does not check the signature, so none is made."""

import json
import os
import sys
import urllib.parse
import urllib.request


def main():
    ask = json.loads(sys.argv[1])
    action = "DeregisterTargets" if ask.get("deregister") else "RegisterTargets"
    form = {"Action": action, "Version": "2015-12-01", "TargetGroupArn": ask["target_group_arn"]}
    for i, target in enumerate(ask["targets"], start=1):
        form[f"Targets.member.{i}.Id"] = target
        form[f"Targets.member.{i}.Port"] = str(ask["port"])
    region = os.environ.get("AWS_REGION", "us-east-1")
    request = urllib.request.Request(
        os.environ["AWS_ENDPOINT_URL"].rstrip("/") + "/",
        data=urllib.parse.urlencode(form).encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            # Names the service and Region, as a signed request's would.
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/"
            f"{region}/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


if __name__ == "__main__":
    main()
