"""An emulated PrivateLink consumer, for tests and examples run against the
test proxy: Terraform's local-exec provisioners call it where a real
consumer's provider (Materialize's, ClickHouse's) would create or delete its
VPC endpoint.

usage: consumer.py '<json>'
  {"principal": "arn:aws:iam::…", "owner": "<account>", "endpoint_id": "vpce-…",
   "service_id": "vpce-svc-…"}   the consumer creates its endpoint once the
                                 service allows its principal
  {"endpoint_id": "vpce-…", "delete": true}
                                 the consumer deletes its endpoint

The proxy is the one AWS_ENDPOINT_URL names (Terraform passes its own
environment to local-exec)."""

import os
import sys
import urllib.request


def main():
    url = os.environ["AWS_ENDPOINT_URL"].rstrip("/") + "/__consumers"
    request = urllib.request.Request(url, data=sys.argv[1].encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


if __name__ == "__main__":
    main()
