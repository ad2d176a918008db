#!/usr/bin/env bash
# `make demo`: start moto and the test proxy in front of it (together the
# embedded AWS: the proxy answers the endpoint-connection calls moto lacks),
# apply examples/quickstart with the freshly built provider under the real
# Terraform, show the outputs, destroy; then wire a consumer in one apply
# and unwire it in one destroy (examples/clickpipes-one-apply, ClickPipes'
# side emulated as the tests emulate it); then spread a cluster over two
# load balancers (brokers_per_load_balancer); then Strimzi's brokers with
# their targets left to the Load Balancer Controller
# (examples/strimzi-target-group-binding, the controller emulated as the
# tests emulate it) and the provider functions beside the resource; and
# stop both again.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV:-$repo/.venv}"
provider_dir="${TARGET_DIR:-$repo/target}/debug"
terraform="$repo/tools/terraform"
work="$(mktemp -d)"
moto_pid=""
proxy_pid=""

cleanup() {
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null || true
  [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null && wait "$moto_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
endpoint="http://127.0.0.1:$port"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 100); do
  "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('$endpoint/moto-api/data.json', timeout=1)" 2>/dev/null && break
  sleep 0.2
done
free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
proxy_port="$(free_port)"
"$venv/bin/python" "$repo/tests/support/fault_proxy.py" "$proxy_port" "$endpoint" >"$work/proxy.log" 2>&1 &
proxy_pid=$!
for _ in $(seq 1 100); do
  grep -q ready "$work/proxy.log" 2>/dev/null && break
  sleep 0.1
done
endpoint="http://127.0.0.1:$proxy_port"
echo "==> moto and its proxy (the embedded AWS) listening on $endpoint"

# The network the brokers live in: a VPC with one subnet per zone.
read -r vpc subnets < <("$venv/bin/python" - "$endpoint" <<'PY'
import json, sys
import boto3
ec2 = boto3.client("ec2", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
           for i, z in ((1, "a"), (2, "b"), (3, "c"))]
print(vpc, json.dumps(subnets, separators=(",", ":")))
PY
)
echo "==> VPC $vpc with subnets $subnets (brokers at 10.0.1.10, 10.0.2.10, 10.0.3.10)"
vars=(-var "aws_endpoint=$endpoint" -var "vpc_id=$vpc" -var "subnet_ids=$subnets")

cp "$repo"/examples/quickstart/*.tf "$work/"
cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/kafka-privatelink/kafka" = "$provider_dir"
  }
  direct {}
}
RC
# Only moto is reached: dummy credentials, no profile from this machine.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1

cd "$work"
# Runs a Terraform command quietly; on failure shows everything it said.
quiet() {
  if ! "$terraform" "$@" -no-color >"$work/last.log" 2>&1; then
    cat "$work/last.log"
    exit 1
  fi
  grep -E "complete!" "$work/last.log" || true
}

echo "==> terraform apply (examples/quickstart)"
quiet apply -auto-approve "${vars[@]}"
echo
echo "==> terraform output"
"$terraform" output
echo

# The consumer (TiDB Cloud's account, an allowed principal) creates its
# endpoint: the embedded AWS shows it waiting for acceptance.
service_id="$("$terraform" output -raw endpoint_service_id)"
consumer() {
  "$venv/bin/python" - "$endpoint" "$service_id" "$1" <<'PY'
import json, sys, urllib.request
body = json.dumps({"service_id": sys.argv[2], "endpoint_id": "vpce-0d3m0c0nsumer0001",
                   "owner": "664411391173", "state": sys.argv[3]}).encode()
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/__connections", data=body, method="POST"), timeout=5)
PY
}
consumer pendingAcceptance
echo "==> a consumer endpoint (account 664411391173) asks to connect; terraform plan:"
"$terraform" plan -no-color "${vars[@]}" >"$work/plan.log" 2>&1 || { cat "$work/plan.log"; exit 1; }
awk '/Warning: Endpoint connections to accept/ {on = 1} on && /^This apply/ {detail = 1}
     on && NF {print} detail && !NF {exit}' "$work/plan.log"

grep -E "^Plan:" "$work/plan.log" || true
echo
echo "==> terraform apply (accepts it)"
quiet apply -auto-approve "${vars[@]}"
echo "==> terraform output connections"
"$terraform" output connections
echo
# A pipeline: the plan is saved and reviewed, AWS moves, the file is applied.
aws_change() {
  "$venv/bin/python" - "$endpoint" "$1" <<'PY'
import sys, boto3
elb = boto3.client("elbv2", endpoint_url=sys.argv[1], region_name="us-east-1")
lb = elb.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
first = sorted(elb.describe_listeners(LoadBalancerArn=lb)["Listeners"], key=lambda l: l["Port"])[0]
if sys.argv[2] == "deregister":
    tg = first["DefaultActions"][0]["TargetGroupArn"]
    targets = [d["Target"] for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
    elb.deregister_targets(TargetGroupArn=tg, Targets=targets)
else:
    elb.delete_listener(ListenerArn=first["ListenerArn"])
print(f"    listener {first['Port']}: {sys.argv[2]}")
PY
}
echo "==> a saved plan (terraform plan -out) repairs a target deregistered out of band"
aws_change deregister
quiet plan -out=reviewed.tfplan "${vars[@]}"
grep -E "^Plan:" "$work/last.log" || true
echo "==> before its apply, the broker's listener is deleted out of band; terraform apply reviewed.tfplan:"
aws_change delete
if "$terraform" apply -no-color reviewed.tfplan >"$work/stale.log" 2>&1; then
  echo "the stale saved plan was applied"; cat "$work/stale.log"; exit 1
fi
grep -A14 "Error: Plan out of date" "$work/stale.log" | grep -vE '^[[:space:]]*$|with kafka|on main.tf|^ *[0-9]+:' | sed 's/^/    /'
echo "==> plan again, apply: the new plan shows the repair"
quiet apply -auto-approve "${vars[@]}"
echo

echo "==> the consumer deletes its endpoint (destroy refuses while one is connected)"
consumer deleted
echo "==> terraform destroy"
quiet destroy -auto-approve "${vars[@]}"
echo

# One apply wires a consumer, one destroy unwires it: the Kafka side of
# examples/clickpipes-one-apply as it is, ClickPipes' side emulated (its
# endpoint asks to connect once the service allows ClickPipes' principal).
mkdir "$work/wired"
cp "$repo/examples/clickpipes-one-apply/kafka.tf" "$work/wired/kafka.tf"
cp "$repo/tests/support/consumers/clickpipes-one-apply.tf" "$work/wired/consumer.tf"
read -r s1 s2 s3 < <(echo "$subnets" | tr -d '[]"' | tr ',' ' ')
sed -i -e "s/vpc-0a1b2c3d4e5f60718/$vpc/" -e "s/subnet-0a1b2c3d4e5f60701/$s1/" \
  -e "s/subnet-0a1b2c3d4e5f60702/$s2/" -e "s/subnet-0a1b2c3d4e5f60703/$s3/" "$work/wired/kafka.tf"
cd "$work/wired"
export AWS_ENDPOINT_URL="$endpoint" KAFKA_TEST_SUPPORT="$repo/tests/support"
echo "==> one terraform apply wires ClickPipes (examples/clickpipes-one-apply; its side emulated)"
quiet apply -auto-approve
echo "==> the consumer's endpoint, accepted:"
"$terraform" state show -no-color kafka_endpoint_connection_accepter.clickpipes | grep -E "vpc_endpoint_id|owner|state " || true
echo "==> the names ClickPipes maps to its endpoint:"
"$terraform" state show -no-color terraform_data.clickpipes_dns | grep -m1 -A4 "names" || true
echo "==> terraform plan (nothing left to do)"
"$terraform" plan -no-color -detailed-exitcode >"$work/plan.log" 2>&1 || { cat "$work/plan.log"; exit 1; }
grep -E "No changes" "$work/plan.log"
echo "==> one terraform destroy unwires it (the accepter rejects the connection first)"
quiet destroy -auto-approve
echo

# A cluster spread over two load balancers (brokers_per_load_balancer):
# each with its own listeners and endpoint service; the bootstrap listener
# on the first reaches every broker.
mkdir "$work/spread"
cd "$work/spread"
cat >main.tf <<HCL
terraform {
  required_providers {
    kafka = { source = "kafka-privatelink/kafka" }
  }
}
provider "kafka" {
  region = "us-east-1"
  endpoints {
    ec2   = "$endpoint"
    elbv2 = "$endpoint"
  }
}
resource "kafka_privatelink" "kafka" {
  name                      = "spread"
  vpc_id                    = "$vpc"
  subnet_ids                = $subnets
  brokers_per_load_balancer = 2
  brokers = {
    "1" = { ip = "10.0.1.10" }
    "2" = { ip = "10.0.2.10" }
    "3" = { ip = "10.0.3.10" }
    "4" = { ip = "10.0.1.11" }
  }
  bootstrap {
    listener_port = 9092
  }
  endpoint_service {
    allowed_principals = ["arn:aws:iam::664411391173:root"]
  }
}
output "load_balancers" {
  value = [for lb in kafka_privatelink.kafka.load_balancers : "\${lb.name}: brokers \${join(", ", lb.broker_ids)} behind \${lb.endpoint_service_name}"]
}
output "listener_ports" {
  value = { for id, b in kafka_privatelink.kafka.brokers : id => b.listener_port }
}
HCL
echo "==> four brokers, two to a load balancer (brokers_per_load_balancer = 2): terraform apply"
quiet apply -auto-approve
"$terraform" output -no-color
echo "==> terraform destroy"
quiet destroy -auto-approve

# Kafka on Kubernetes: the targets are the Load Balancer Controller's
# (target_registration = "external"); its TargetGroupBindings are emulated
# as the tests emulate them (tests/support/kubernetes). The provider
# functions compute the same ports as the resource.
mkdir "$work/strimzi"
cp "$repo/examples/strimzi-target-group-binding/kafka.tf" "$work/strimzi/kafka.tf"
cp "$repo/tests/support/kubernetes/strimzi-target-group-binding.tf" "$work/strimzi/kubernetes.tf"
sed -i -e "s/vpc-0a1b2c3d4e5f60718/$vpc/" -e "s/subnet-0a1b2c3d4e5f60701/$s1/" \
  -e "s/subnet-0a1b2c3d4e5f60702/$s2/" -e "s/subnet-0a1b2c3d4e5f60703/$s3/" "$work/strimzi/kafka.tf"
cat >"$work/strimzi/functions.tf" <<'HCL'
output "listener_ports_by_function" {
  value = provider::kafka::listener_ports(local.brokers, {})
}
output "listener_ports_of_the_resource" {
  value = { for id, b in kafka_privatelink.strimzi.brokers : id => b.listener_port }
}
HCL
cd "$work/strimzi"
echo "==> Strimzi, targets registered by the Load Balancer Controller (examples/strimzi-target-group-binding): terraform apply"
quiet apply -auto-approve
echo "==> provider::kafka::listener_ports(local.brokers, {}), and the resource's listener ports:"
"$terraform" output -no-color listener_ports_by_function
"$terraform" output -no-color listener_ports_of_the_resource
echo "==> terraform apply -refresh-only; each broker's group as the controller filled it:"
quiet apply -refresh-only -auto-approve
"$terraform" state show -no-color kafka_privatelink.strimzi | grep -E '^ +"[0-9]+" = \{|target_type|targets|"10\.' | head -20 || true
echo "==> a broker pod restarts at a new address; the controller swaps the targets"
group="$("$terraform" state show -no-color kafka_privatelink.strimzi | grep -m1 -o 'arn:aws:elasticloadbalancing:[^"]*targetgroup/orders-strimzi-b0-[^"]*')"
"$venv/bin/python" "$repo/tests/support/controller.py" "{\"target_group_arn\": \"$group\", \"targets\": [\"10.0.1.200\"], \"port\": 9094}"
"$venv/bin/python" "$repo/tests/support/controller.py" "{\"target_group_arn\": \"$group\", \"targets\": [\"10.0.1.100\"], \"port\": 9094, \"deregister\": true}"
echo "==> terraform plan (the controller's targets are not drift):"
"$terraform" plan -no-color -detailed-exitcode >"$work/plan.log" 2>&1 || { cat "$work/plan.log"; exit 1; }
grep -E "No changes" "$work/plan.log"
echo "==> terraform destroy"
quiet destroy -auto-approve
