"""A reverse proxy in front of moto that counts AWS calls and injects faults.

moto answers everything at once and never fails on its own; tests put this
proxy between the provider and moto to see how many calls a refresh makes
and what happens when AWS throttles or refuses a call part-way through.

usage: fault_proxy.py LISTEN_PORT MOTO_URL
Control endpoints (JSON):
  GET  /__counts        -> {"elbv2:DescribeTargetHealth": 3, ...}
  POST /__reset         clears the counts
  POST /__rules  [...]  replaces the fault rules; a rule is
       {"action": "CreateListener", "code": "ValidationError",
        "calls": [3]}        -> fail the 3rd matching call (1-based), or
        "every": 3}          -> fail every 3rd call of each matching action
       {"action": "...", "respond": "<xml/>"} -> answer every matching call
        with this body (HTTP 200): calls moto does not implement
       {"action": "...", "rewrite": ["from", "to"], "calls": [1, 2]} ->
        forward, but replace text in those answers (e.g. report a load
        balancer as still provisioning, which moto never does); without
        "calls", in every answer (targets that never become healthy)
       {"action": "...", "hang": 30} -> hold every matching call that long,
        then fail it without forwarding: the call never reached AWS, and
        the provider is frozen mid-apply for a test to kill it
       {"action": "*write", "crash": 60, "calls": [k]} -> the k-th write
        (any action but Describe*, List*, Get*) is carried out by moto, but
        its answer is held that long and never given (counted as
        "aws:crash"): a provider killed meanwhile never learns what AWS did
  POST /__connections {"service_id": "vpce-svc-…", "endpoint_id": "vpce-…",
        "owner": "111122223333", "state": "pendingAcceptance"}
                        -> a consumer endpoint connects to a service (the
                           same endpoint again: its state changes)
  GET  /__connections   -> every connection as the proxy holds it now
  POST /__consumers {"principal": "arn:aws:iam::210987654321:role/mz",
        "owner": "210987654321", "endpoint_id": "vpce-…",
        "service_id": "vpce-svc-…"}       (service_id optional: any service)
                        -> a consumer that creates its endpoint to the service
                           once the service allows its principal (or "*"): AWS
                           refuses CreateVpcEndpoint before that, and a
                           consumer such as Materialize keeps trying. Its
                           request (pendingAcceptance) shows from the next
                           DescribeVpcEndpointConnections after a
                           ModifyVpcEndpointServicePermissions through this
                           proxy allowed it.
  POST /__consumers {"endpoint_id": "vpce-…", "delete": true}
                        -> the consumer deletes its endpoint: its connection
                           reads `deleted` (AWS keeps listing deleted and
                           rejected connections for a while)
  POST /__msk {"arn": "arn:aws:kafka:…:cluster/…", "brokers": [{"id": 1,
        "ip": "10.0.1.20", "subnet": "subnet-…", "host": "b-1.…"}],
        "bootstrap": {"bootstrapBrokerString": "…", …}}
                        -> an MSK cluster and its brokers (again: replaced)
  POST /__aws {...}     -> turns on AWS's own behaviours that moto lacks (see
                           AWS BEHAVIOURS below); {} turns them off
Faults are answered in each service's own error shape: ELBv2 HTTP 400
<ErrorResponse>, EC2 <Response><Errors> (HTTP 503 for RequestLimitExceeded),
with the message texts AWS uses for those codes.

AWS BEHAVIOURS (POST /__aws; each key optional; counts of what fired are in
/__counts as "aws:<key>"):
  "invisible": n     an object created through this proxy (load balancer,
                     target group, listener, endpoint service) is unknown to
                     the first n calls of each other action that name it:
                     LoadBalancerNotFound, TargetGroupNotFound,
                     ListenerNotFound, InvalidVpcEndpointServiceId.NotFound.
                     EC2's eventual-consistency guide ("its ID might not have
                     propagated throughout the system"); for ELBv2,
                     hashicorp/terraform-provider-aws #15214, #16860, #19920
                     (NotFound within the second of a successful create), and
                     per action: Describe may see an object Modify does not.
  "subnet_removal": n  after a SetSubnets that removes a subnet from a load
                     balancer, its next n SetSubnets that add one are refused
                     with InvalidConfigurationRequest while the removal
                     completes (ELB's "Update the Availability Zones for your
                     Network Load Balancer": "Subnet changes within the same
                     Availability Zone must be independent actions. You first
                     complete removing the existing subnet, then you can add
                     the new subnet").
  "provisioning": n  a new load balancer reads `provisioning` n times, then
  "impaired": n      `active_impaired` n times (DescribeLoadBalancers State).
  "pending": n       a new or just modified endpoint service reads `Pending` n
                     times (its serviceState).
  "regions": n       a supported region just added to a service reads
                     `Pending` n times, one just removed is still listed
                     `Deleting` n times; "regions_in_flight": {"vpce-svc-…":
                     {"added": [...], "removed": [...]}} says which, for
                     changes made before this call.
  "deleting": s      a deleted endpoint service is still listed `Deleting` for
                     s seconds, and its load balancer cannot be deleted
                     meanwhile (ResourceInUse "Load balancer '…' cannot be
                     deleted because it is currently associated with another
                     service", hashicorp/terraform-provider-aws #5701).
  "stale_accept": n  an accepted connection still reads `pendingAcceptance`
                     n times before it moves on.
  "hidden_subnets": {"subnet-…": n}
                     DescribeSubnets leaves that subnet out n times (a subnet
                     another resource created a moment ago).
  "starting": n      RegisterTargets naming an instance answers InvalidTarget
                     ("…not in a running state…") n times.
  "throttle": p,     each AWS call is throttled with probability p (ELBv2
  "seed": k          Throttling "Rate exceeded", HTTP 400; EC2
                     RequestLimitExceeded "Request limit exceeded.", HTTP 503),
                     drawn from a generator seeded with k.
  "latency_ms": ms   every AWS call takes this much longer (for make bench).

moto 5.2.5 keys a target group's targets by id alone; AWS by id and port
(RegisterTargets: "you can register each ... instance or IP address with
the same target group multiple times using different ports"). So a broker
moved from one port to another in one group is registered on the new port
and then deregistered from the old one, which in moto removes the new
registration: the proxy passes on only the deregistrations of targets moto
holds on that very port, and answers the rest as AWS does (done).

moto 5.2.5 does not implement the endpoint connection APIs of EC2; this
proxy answers them from its own state, in the shapes of the EC2 API
Reference (DescribeVpcEndpointConnections: vpcEndpointConnectionSet of
items with serviceId, vpcEndpointId, vpcEndpointOwner, vpcEndpointState,
creationTimestamp; AcceptVpcEndpointConnections and
RejectVpcEndpointConnections: an `unsuccessful` set, empty on success).
Accepting makes a pendingAcceptance connection `pending`, and the next
describe finds it `available` (AWS: pendingAcceptance -> pending ->
available, https://docs.aws.amazon.com/vpc/latest/privatelink/
configure-endpoint-service.html#accept-reject-connection-requests);
rejecting a pending or available one makes it `rejected`; a service with a
connection pendingAcceptance, pending or available cannot be deleted (an
UnsuccessfulItem ExistingVpcEndpointConnections, as AWS answers). A connection in
any other state comes back as an UnsuccessfulItem (AWS documents the shape,
not the code: the code here is the proxy's own).
"""

import json
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MOTO = sys.argv[2]
LOCK = threading.Lock()
COUNTS = {}
RULES = []
CONNECTIONS = []  # dicts: service_id, endpoint_id, owner, state
CONSUMERS = []  # dicts: principal, owner, endpoint_id, service_id (optional)
PERMISSIONS = {}  # service id -> principals allowed through this proxy
MSK = {}  # cluster ARN -> {"brokers": [...], "bootstrap": {...}}
MSK_PAGE = 2  # ListNodes answers at most this many nodes a page, to exercise pagination
EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"

# AWS's own behaviours (POST /__aws)
AWS = {}
RNG = random.Random(0)
FRESH = {}  # id of an object created through the proxy -> {"code", "message", "misses": {action: n}}
SEEN_ARNS = set()  # every id ever created: an idempotent create's repeat is not a new object
READS = {}  # (behaviour, id) -> how many answers it has shaped so far
REGIONS = {}  # service id -> {"added": set, "removed": set}
SETTLING = set()  # services created or modified through the proxy: shown Pending for a while
GHOSTS = {}  # deleted service id -> {"until": time, "item": xml, "nlbs": [arn]}
REMOVING = {}  # load balancer ARN -> subnet additions still refused while a removal completes

# The create actions whose objects may not be visible at once: how to find
# the new id in the answer, and how AWS says it does not know it.
NEW_OBJECTS = {
    "CreateLoadBalancer": (r"<LoadBalancerArn>([^<]+)</LoadBalancerArn>", "LoadBalancerNotFound"),
    "CreateTargetGroup": (r"<TargetGroupArn>([^<]+)</TargetGroupArn>", "TargetGroupNotFound"),
    "CreateListener": (r"<ListenerArn>([^<]+)</ListenerArn>", "ListenerNotFound"),
    "CreateVpcEndpointServiceConfiguration": (r"<serviceId>([^<]+)</serviceId>", "InvalidVpcEndpointServiceId.NotFound"),
}

# The texts AWS answers with (captured in public bug reports: aws-cli #3673,
# hashicorp/terraform-provider-aws #15214, #8537, cloud-custodian #9921,
# kubernetes-sigs/aws-load-balancer-controller #1433, bosh-aws-cpi #61).
MESSAGES = {
    "LoadBalancerNotFound": "One or more load balancers not found",
    "TargetGroupNotFound": "One or more target groups not found",
    "ListenerNotFound": "One or more listeners not found",
    "InvalidConfigurationRequest": "A subnet is being removed from load balancer '{id}'; try again once it is done",
    "InvalidVpcEndpointServiceId.NotFound": "The VpcEndpointService Id '{id}' does not exist",
    "Throttling": "Rate exceeded",
    "RequestLimitExceeded": "Request limit exceeded.",
    "ResourceInUse": "Load balancer '{id}' cannot be deleted because it is currently associated with another service",
    "InvalidTarget": "The following targets are not in a running state and cannot be registered: '{id}'",
}


def shaped(behaviour, key):
    """Whether answer number k (counted here) about `key` still shows
    `behaviour`, which lasts AWS[behaviour] answers (or AWS[behaviour][key])."""
    n = AWS.get(behaviour, 0)
    if isinstance(n, dict):
        n = n.get(key, 0)
    seen = READS.get((behaviour, key), 0)
    if seen >= n:
        return False
    READS[(behaviour, key)] = seen + 1
    COUNTS[f"aws:{behaviour}"] = COUNTS.get(f"aws:{behaviour}", 0) + 1
    return True


def named_ids(params):
    return {v for values in params.values() for v in values}


def invisible(action, params):
    """The NotFound code (and id) for a call naming an object AWS does not
    show yet, or None."""
    # A create is refused when it names an object AWS does not show yet
    # (CreateListener naming a new group: aws/copilot-cli #3833); how EC2
    # answers a service create naming a load balancer it cannot see yet is
    # not documented, so that one is left alone, as are deletes.
    if action == "CreateVpcEndpointServiceConfiguration" or action.startswith("Delete"):
        return None
    for obj in named_ids(params) & FRESH.keys():
        entry = FRESH[obj]
        misses = entry["misses"].get(action, 0)
        if misses < AWS.get("invisible", 0):
            entry["misses"][action] = misses + 1
            COUNTS["aws:invisible"] = COUNTS.get("aws:invisible", 0) + 1
            COUNTS[f"aws:invisible:{entry['code']}"] = COUNTS.get(f"aws:invisible:{entry['code']}", 0) + 1
            return entry["code"], obj
    return None


def note_created(action, answer):
    if action not in NEW_OBJECTS:
        return
    pattern, code = NEW_OBJECTS[action]
    m = re.search(pattern, answer.decode("utf-8", "replace"))
    if m and m.group(1) not in SEEN_ARNS:
        SEEN_ARNS.add(m.group(1))
        FRESH[m.group(1)] = {"code": code, "misses": {}}
        if action == "CreateVpcEndpointServiceConfiguration":
            SETTLING.add(m.group(1))


def shape_answer(action, params, answer):
    """Rewrites moto's (always final) answer into the in-flight state AWS
    would show now."""
    text = answer.decode("utf-8", "replace")
    if action == "DescribeLoadBalancers":
        for arn in named_ids(params) & FRESH.keys():
            if shaped("provisioning", arn):
                text = text.replace("<Code>active</Code>", "<Code>provisioning</Code>")
            elif shaped("impaired", arn):
                text = text.replace("<Code>active</Code>", "<Code>active_impaired</Code>")
    if action == "DescribeSubnets":
        for subnet in AWS.get("hidden_subnets", {}):
            if f"<subnetId>{subnet}</subnetId>" in text and shaped("hidden_subnets", subnet):
                text = without_item(text, f"<item><subnetId>{subnet}</subnetId>")
    if action == "DescribeVpcEndpointServiceConfigurations":
        for sid in re.findall(r"<serviceId>([^<]+)</serviceId>", text):
            if sid in SETTLING and shaped("pending", sid):
                text = re.sub(
                    rf"(<serviceId>{re.escape(sid)}</serviceId><serviceName>[^<]*</serviceName>)"
                    r"<serviceState>Available</serviceState>",
                    r"\1<serviceState>Pending</serviceState>",
                    text,
                )
            regions = REGIONS.get(sid)
            if regions and shaped("regions", sid):
                text = shape_regions(text, sid, regions)
        text = with_ghosts(text, params)
    return text.encode()


def shape_regions(text, sid, regions):
    """Added regions still `Pending`, removed ones still `Deleting`, in the
    service's supportedRegionSet."""
    start = text.find(f"<serviceId>{sid}</serviceId>")
    end = text.find("</supportedRegionSet>", start)
    if start < 0:
        return text
    following = text.find("<serviceId>", start + 1)
    if 0 <= following < end:
        end = -1  # this service's region set is empty (<supportedRegionSet/>)
    item = text[start:end] if end >= 0 else text[start:]
    for r in regions["added"]:
        item = item.replace(
            f"<region>{r}</region><serviceState>Available</serviceState>",
            f"<region>{r}</region><serviceState>Pending</serviceState>",
        )
    deleting = "".join(
        f"<item><region>{r}</region><serviceState>Deleting</serviceState></item>" for r in regions["removed"]
    )
    if end >= 0:
        return text[:start] + item + deleting + text[end:]
    stop = following if following >= 0 else len(text)
    head = text[start:stop].replace("<supportedRegionSet/>", f"<supportedRegionSet>{deleting}</supportedRegionSet>", 1)
    return text[:start] + head + text[stop:]


def without_item(text, marker):
    """`text` without the <item> that starts with `marker` (nested items
    inside it, such as tags, go with it)."""
    start = text.find(marker)
    if start < 0:
        return text
    depth, i = 0, start
    while i < len(text):
        if text.startswith("<item>", i):
            depth += 1
            i += len("<item>")
        elif text.startswith("</item>", i):
            depth -= 1
            i += len("</item>")
            if depth == 0:
                return text[:start] + text[i:]
        else:
            i += 1
    return text


def ghosts_alive():
    now = time.monotonic()
    for sid in [s for s, g in GHOSTS.items() if g["until"] <= now]:
        del GHOSTS[sid]
    return GHOSTS


def with_ghosts(text, params):
    """A deleted service still listed, `Deleting`."""
    asked = set(numbered(params, "ServiceId"))
    items = "".join(g["item"] for sid, g in ghosts_alive().items() if not asked or sid in asked)
    if items:
        COUNTS["aws:deleting"] = COUNTS.get("aws:deleting", 0) + 1
        text = text.replace("</serviceConfigurationSet>", items + "</serviceConfigurationSet>", 1)
        text = text.replace("<serviceConfigurationSet/>", f"<serviceConfigurationSet>{items}</serviceConfigurationSet>", 1)
    return text


def numbered(params, prefix):
    """The values of a query-protocol list: Prefix.1, Prefix.2, ..."""
    out, i = [], 1
    while f"{prefix}.{i}" in params:
        out.append(params[f"{prefix}.{i}"][0])
        i += 1
    return out


def note_permissions(params):
    """ModifyVpcEndpointServicePermissions, as it passes: who is allowed."""
    allowed = PERMISSIONS.setdefault(params.get("ServiceId", [""])[0], set())
    allowed.update(numbered(params, "AddAllowedPrincipals"))
    allowed.difference_update(numbered(params, "RemoveAllowedPrincipals"))


def consumers_connect():
    """Registered consumers whose principal a service now allows make their
    endpoint: a request waiting for acceptance."""
    for c in list(CONSUMERS):
        for sid, allowed in PERMISSIONS.items():
            if c.get("service_id") not in (None, sid) or not ({c["principal"], "*"} & allowed):
                continue
            CONNECTIONS.append(
                {"service_id": sid, "endpoint_id": c["endpoint_id"], "owner": c["owner"], "state": "pendingAcceptance"}
            )
            CONSUMERS.remove(c)
            COUNTS["aws:consumer"] = COUNTS.get("aws:consumer", 0) + 1
            break


def describe_connections(params):
    consumers_connect()
    services, i = None, 1
    while f"Filter.{i}.Name" in params:
        if params[f"Filter.{i}.Name"][0] == "service-id":
            services = set(numbered(params, f"Filter.{i}.Value"))
        i += 1
    for c in CONNECTIONS:
        if c.get("stale"):
            c["stale"] -= 1
            COUNTS["aws:stale_accept"] = COUNTS.get("aws:stale_accept", 0) + 1
        elif c["state"] == "pending":
            c["state"] = "available"
    items = "".join(
        f"<item><serviceId>{c['service_id']}</serviceId><vpcEndpointId>{c['endpoint_id']}</vpcEndpointId>"
        f"<vpcEndpointOwner>{c['owner']}</vpcEndpointOwner>"
        f"<vpcEndpointState>{'pendingAcceptance' if c.get('stale') else c['state']}</vpcEndpointState>"
        f"<creationTimestamp>2026-01-01T00:00:00.000Z</creationTimestamp></item>"
        for c in CONNECTIONS
        if services is None or c["service_id"] in services
    )
    return (
        f'<DescribeVpcEndpointConnectionsResponse xmlns="{EC2_NS}"><requestId>proxy</requestId>'
        f"<vpcEndpointConnectionSet>{items}</vpcEndpointConnectionSet></DescribeVpcEndpointConnectionsResponse>"
    )


def change_connections(action, params, new_state, from_states):
    service = params.get("ServiceId", [""])[0]
    failed = ""

    def refuse(endpoint, code, message):
        return (
            f"<item><error><code>{code}</code><message>{message}</message></error>"
            f"<resourceId>{endpoint}</resourceId></item>"
        )

    for endpoint in numbered(params, "VpcEndpointId"):
        match = [c for c in CONNECTIONS if c["service_id"] == service and c["endpoint_id"] == endpoint]
        if not match:
            failed += refuse(endpoint, "InvalidVpcEndpoint.NotFound", f"The Vpc Endpoint Id '{endpoint}' does not exist")
        for c in match:
            if c["state"] in from_states:
                c["state"] = new_state
                if new_state == "pending":
                    c["stale"] = AWS.get("stale_accept", 0)
            else:
                failed += refuse(endpoint, "InvalidState", f"The Vpc Endpoint is in state {c['state']}")
    return (
        f'<{action}Response xmlns="{EC2_NS}"><requestId>proxy</requestId>'
        f"<unsuccessful>{failed}</unsuccessful></{action}Response>"
    )


LIVE_STATES = ("pendingAcceptance", "pending", "available")


def services_in_use(params):
    """The services of a DeleteVpcEndpointServiceConfigurations that AWS
    refuses to delete: those with a connection pending acceptance or
    available (EC2 API Reference, DeleteVpcEndpointServiceConfigurations;
    the code is from EC2's error code list: ExistingVpcEndpointConnections,
    "You cannot delete a VPC endpoint service configuration ... if there are
    endpoints attached to the service")."""
    asked = numbered(params, "ServiceId")
    busy = [s for s in asked if any(c["service_id"] == s and c["state"] in LIVE_STATES for c in CONNECTIONS)]
    return asked, busy


def in_use_items(busy):
    return "".join(
        f"<item><error><code>ExistingVpcEndpointConnections</code><message>Service {s} has existing active "
        f"VPC Endpoint connections</message></error><resourceId>{s}</resourceId></item>"
        for s in busy
    )


CONNECTION_ACTIONS = {
    "DescribeVpcEndpointConnections": lambda p: describe_connections(p),
    "AcceptVpcEndpointConnections": lambda p: change_connections(
        "AcceptVpcEndpointConnections", p, "pending", ("pendingAcceptance",)
    ),
    "RejectVpcEndpointConnections": lambda p: change_connections(
        "RejectVpcEndpointConnections", p, "rejected", ("pendingAcceptance", "pending", "available")
    ),
}


def service_of(headers, body):
    auth = headers.get("Authorization", "")
    if "/elasticloadbalancing/" in auth:
        return "elbv2"
    if "/ec2/" in auth:
        return "ec2"
    if "/kafka/" in auth:
        return "kafka"
    return "other"


def msk_answer(path):
    """Amazon MSK's REST-JSON API (MSK API Reference: ListNodes is
    GET /v1/clusters/{clusterArn}/nodes with maxResults and nextToken,
    answering {"nodeInfoList": [{"brokerNodeInfo": {"brokerId": <number>,
    "clientSubnet", "clientVpcIpAddress", "endpoints": [...]}, "nodeType":
    "BROKER", ...}], "nextToken"}; GetBootstrapBrokers is
    GET /v1/clusters/{clusterArn}/bootstrap-brokers; an unknown cluster is
    HTTP 404 with x-amzn-ErrorType NotFoundException)."""
    url = urllib.parse.urlparse(path)
    parts = url.path.split("/")
    if len(parts) != 5 or parts[1] != "v1" or parts[2] != "clusters":
        return None
    arn = urllib.parse.unquote(parts[3])
    with LOCK:
        cluster = MSK.get(arn)
    if cluster is None:
        body = {"message": f"The requested resource {arn} was not found.", "invalidParameter": "clusterArn"}
        return 404, json.dumps(body).encode(), "NotFoundException"
    if parts[4] == "bootstrap-brokers":
        return 200, json.dumps(cluster.get("bootstrap", {})).encode(), None
    if parts[4] != "nodes":
        return None
    query = urllib.parse.parse_qs(url.query)
    start = int(query.get("nextToken", ["0"])[0])
    size = min(int(query.get("maxResults", [MSK_PAGE])[0]), MSK_PAGE)
    page = cluster["brokers"][start:start + size]
    nodes = [
        {
            "addedToClusterTime": "2026-01-01T00:00:00.000Z",
            "instanceType": "kafka.m5.large",
            "nodeARN": f"{arn.replace(':cluster/', ':broker/')}/{b['id']}",
            "nodeType": "BROKER",
            "brokerNodeInfo": {
                "attachedENIId": f"eni-{b['id']:017x}",
                "brokerId": float(b["id"]),
                "clientSubnet": b["subnet"],
                "clientVpcIpAddress": b["ip"],
                "endpoints": [b["host"]],
            },
        }
        for b in page
    ]
    answer = {"nodeInfoList": nodes}
    if start + size < len(cluster["brokers"]):
        answer["nextToken"] = str(start + size)
    return 200, json.dumps(answer).encode(), None


def fault(service, code, about=""):
    message = MESSAGES.get(code, "injected by the test proxy").format(id=about)
    if service == "ec2":
        status = 503 if code == "RequestLimitExceeded" else 400
        body = (
            f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error></Errors><RequestID>proxy</RequestID></Response>"
        )
    else:
        status = 400
        body = (
            "<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">"
            f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            "<RequestId>proxy</RequestId></ErrorResponse>"
        )
    return status, body.encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    crash = None  # set for a request whose answer is never to be given

    def reply(self, status, body, content_type="text/xml"):
        if self.crash is not None:
            # AWS carried the call out (everything above ran as usual); its
            # answer is held, and never given.
            time.sleep(self.crash)
            status, body = fault("ec2", "ServiceUnavailable")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.crash = None
        if self.path == "/__counts":
            with LOCK:
                return self.reply(200, json.dumps(COUNTS).encode(), "application/json")
        if self.path == "/__connections":
            with LOCK:
                return self.reply(200, json.dumps(CONNECTIONS).encode(), "application/json")
        if service_of(self.headers, b"") == "kafka":
            action = "ListNodes" if self.path.split("?")[0].endswith("/nodes") else "GetBootstrapBrokers"
            with LOCK:
                COUNTS[f"kafka:{action}"] = COUNTS.get(f"kafka:{action}", 0) + 1
            answer = msk_answer(self.path)
            if answer is not None:
                status, body, error_type = answer
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if error_type:
                    self.send_header("x-amzn-ErrorType", error_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        self.forward(b"")

    def do_POST(self):
        self.crash = None
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/__reset":
            with LOCK:
                COUNTS.clear()
            return self.reply(200, b"{}", "application/json")
        if self.path == "/__msk":
            c = json.loads(body)
            with LOCK:
                MSK[c["arn"]] = {"brokers": c["brokers"], "bootstrap": c.get("bootstrap", {})}
            return self.reply(200, b"{}", "application/json")
        if self.path == "/__connections":
            c = json.loads(body)
            with LOCK:
                # The same endpoint again: its state changed (e.g. the
                # consumer deleted it).
                CONNECTIONS[:] = [
                    x for x in CONNECTIONS
                    if (x["service_id"], x["endpoint_id"]) != (c["service_id"], c["endpoint_id"])
                ]
                CONNECTIONS.append(c)
            return self.reply(200, b"{}", "application/json")
        if self.path == "/__consumers":
            c = json.loads(body)
            with LOCK:
                if c.get("delete"):
                    CONSUMERS[:] = [x for x in CONSUMERS if x["endpoint_id"] != c["endpoint_id"]]
                    for x in CONNECTIONS:
                        if x["endpoint_id"] == c["endpoint_id"]:
                            x["state"] = "deleted"
                else:
                    CONSUMERS.append(c)
            return self.reply(200, b"{}", "application/json")
        if self.path == "/__aws":
            with LOCK:
                AWS.clear()
                AWS.update(json.loads(body or b"{}"))
                RNG.seed(AWS.get("seed", 0))
                # AWS has caught up meanwhile: what exists is visible and settled
                READS.clear()
                FRESH.clear()
                SETTLING.clear()
                REGIONS.clear()
                REMOVING.clear()
                for sid, r in AWS.get("regions_in_flight", {}).items():
                    REGIONS[sid] = {"added": set(r.get("added", [])), "removed": set(r.get("removed", []))}
            return self.reply(200, b"{}", "application/json")
        if self.path == "/__rules":
            with LOCK:
                RULES[:] = json.loads(body or b"[]")
                for r in RULES:
                    r["seen"] = 0
            return self.reply(200, b"{}", "application/json")
        params = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        action = params.get("Action", ["?"])[0]
        service = service_of(self.headers, body)
        with LOCK:
            key = f"{service}:{action}"
            COUNTS[key] = COUNTS.get(key, 0) + 1
            injected = canned = rewrite = hang = None
            crash = None
            write = not action.startswith(("Describe", "List", "Get")) and service in ("ec2", "elbv2")
            for r in RULES:
                if r["action"] not in (action, "*") and not (r["action"] == "*write" and write):
                    continue
                r["seen"] += 1
                if "crash" in r:
                    if r["seen"] in r.get("calls", []):
                        crash = r["crash"]
                        COUNTS["aws:crash"] = COUNTS.get("aws:crash", 0) + 1
                        COUNTS["aws:crash:" + action] = 1
                elif "respond" in r:
                    canned = r["respond"]
                elif "hang" in r:
                    hang = r["hang"]
                elif "rewrite" in r:
                    if "calls" not in r or r["seen"] in r["calls"]:
                        rewrite = r["rewrite"]
                elif r.get("every"):
                    # counted per action, so concurrent calls of other
                    # actions cannot shift which call fails
                    seen = r.setdefault("per_action", {})
                    seen[action] = seen.get(action, 0) + 1
                    if seen[action] % r["every"] == 0:
                        injected = r["code"]
                elif r["seen"] in r.get("calls", []):
                    injected = r["code"]
        if AWS.get("latency_ms"):
            time.sleep(AWS["latency_ms"] / 1000)
        early = self.aws_behaviour(service, action, params)
        if early is not None:
            return self.reply(*early)
        if hang is not None:
            time.sleep(hang)
            return self.reply(*fault(service, "ServiceUnavailable"))
        self.crash = crash
        if canned is not None:
            return self.reply(200, canned.encode())
        if injected:
            return self.reply(*fault(service, injected))
        if service == "ec2" and action == "DeleteVpcEndpointServiceConfigurations":
            with LOCK:
                asked, busy = services_in_use(params)
            if busy:
                return self.delete_services(params, asked, busy)
        if service == "ec2" and action == "ModifyVpcEndpointServicePermissions":
            with LOCK:
                note_permissions(params)
        if service == "ec2" and action in CONNECTION_ACTIONS:
            with LOCK:
                answer = CONNECTION_ACTIONS[action](params)
            return self.reply(200, answer.encode())
        if service == "elbv2" and action == "DeregisterTargets":
            body = self.deregistrations_by_port(params)
            if body is None:
                return self.reply(200, (
                    '<DeregisterTargetsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">'
                    "<DeregisterTargetsResult/><ResponseMetadata><RequestId>proxy</RequestId></ResponseMetadata>"
                    "</DeregisterTargetsResponse>"
                ).encode())
        if service == "ec2" and action == "DeleteVpcEndpointServiceConfigurations" and AWS.get("deleting"):
            self.keep_ghosts(params)
        if service in ("ec2", "elbv2") and action == "ModifyVpcEndpointServiceConfiguration":
            with LOCK:
                sid = params.get("ServiceId", [""])[0]
                regions = REGIONS.setdefault(sid, {"added": set(), "removed": set()})
                regions["added"] = set(numbered(params, "AddSupportedRegion"))
                regions["removed"] = set(numbered(params, "RemoveSupportedRegion"))
                READS.pop(("pending", sid), None)
                READS.pop(("regions", sid), None)
                SETTLING.add(sid)
        if service == "ec2" and action == "DescribeVpcEndpointServiceConfigurations":
            with LOCK:
                ghosts = {sid for sid in ghosts_alive() if sid in numbered(params, "ServiceId")}
            if ghosts:
                # moto forgot the service; AWS still lists it, Deleting
                with LOCK:
                    items = "".join(GHOSTS[sid]["item"] for sid in ghosts)
                    COUNTS["aws:deleting"] = COUNTS.get("aws:deleting", 0) + 1
                answer = (
                    f'<DescribeVpcEndpointServiceConfigurationsResponse xmlns="{EC2_NS}"><requestId>proxy</requestId>'
                    f"<serviceConfigurationSet>{items}</serviceConfigurationSet>"
                    "</DescribeVpcEndpointServiceConfigurationsResponse>"
                )
                return self.reply(200, answer.encode())
        self.forward(body, rewrite, action, params)

    def subnets_now(self, arn):
        """The subnets moto holds for the load balancer `arn`."""
        query = {"Action": ["DescribeLoadBalancers"], "Version": ["2015-12-01"], "LoadBalancerArns.member.1": [arn]}
        _, answer, _ = self.fetch(urllib.parse.urlencode(query, doseq=True).encode())
        return set(re.findall(r"<SubnetId>([^<]+)</SubnetId>", answer.decode("utf-8", "replace")))

    def subnet_removal(self, params):
        """InvalidConfigurationRequest for a subnet added while a removal
        from the same load balancer completes, or None."""
        arn = params.get("LoadBalancerArn", [""])[0]
        wanted = {v for k, vs in params.items() if k.startswith("Subnets.member.") for v in vs}
        now = self.subnets_now(arn)
        with LOCK:
            if wanted < now:
                REMOVING[arn] = AWS["subnet_removal"]
            elif wanted - now and REMOVING.get(arn, 0) > 0:
                REMOVING[arn] -= 1
                COUNTS["aws:subnet_removal"] = COUNTS.get("aws:subnet_removal", 0) + 1
                return fault("elbv2", "InvalidConfigurationRequest", arn)
        return None

    def aws_behaviour(self, service, action, params):
        """An answer AWS would give now and moto never does, or None."""
        if service not in ("ec2", "elbv2"):
            return None
        if action == "SetSubnets" and AWS.get("subnet_removal"):
            refused = self.subnet_removal(params)
            if refused:
                return refused
        with LOCK:
            if AWS.get("throttle") and RNG.random() < AWS["throttle"]:
                COUNTS["aws:throttle"] = COUNTS.get("aws:throttle", 0) + 1
                return fault(service, "RequestLimitExceeded" if service == "ec2" else "Throttling")
            unknown = invisible(action, params)
            if unknown:
                return fault(service, unknown[0], unknown[1])
            if action == "DeleteLoadBalancer":
                arn = params.get("LoadBalancerArn", [""])[0]
                if any(arn in g["nlbs"] for g in ghosts_alive().values()):
                    COUNTS["aws:deleting"] = COUNTS.get("aws:deleting", 0) + 1
                    return fault(service, "ResourceInUse", arn)
            if action == "RegisterTargets":
                instances = [v for k, vs in params.items() if k.endswith(".Id") for v in vs if v.startswith("i-")]
                if instances and shaped("starting", instances[0]):
                    return fault(service, "InvalidTarget", instances[0])
        return None

    def deregistrations_by_port(self, params):
        """The DeregisterTargets body with only the targets moto holds on
        the port asked (AWS identifies a target by id and port), or None
        when none is left to pass on."""
        group = params.get("TargetGroupArn", [""])[0]
        query = {"Action": ["DescribeTargetHealth"], "Version": params.get("Version", ["2015-12-01"]),
                 "TargetGroupArn": [group]}
        status, answer, _ = self.fetch(urllib.parse.urlencode(query, doseq=True).encode())
        held = set(re.findall(r"<Target>\s*<Id>([^<]+)</Id>\s*<Port>(\d+)</Port>", answer.decode("utf-8", "replace")))
        if status != 200:
            return urllib.parse.urlencode(params, doseq=True).encode()
        kept, i = {k: v for k, v in params.items() if not k.startswith("Targets.member.")}, 1
        n = 1
        while f"Targets.member.{n}.Id" in params:
            tid = params[f"Targets.member.{n}.Id"][0]
            port = params.get(f"Targets.member.{n}.Port", [None])[0]
            if port is None or (tid, port) in held:
                kept[f"Targets.member.{i}.Id"] = [tid]
                if port is not None:
                    kept[f"Targets.member.{i}.Port"] = [port]
                i += 1
            n += 1
        return urllib.parse.urlencode(kept, doseq=True).encode() if i > 1 else None

    def keep_ghosts(self, params):
        """Before moto forgets the services being deleted, keeps how they
        look, to list them `Deleting` for a while (AWS does)."""
        for sid in numbered(params, "ServiceId"):
            query = {"Action": ["DescribeVpcEndpointServiceConfigurations"], "Version": params.get("Version", [""]),
                     "ServiceId.1": [sid]}
            status, answer, _ = self.fetch(urllib.parse.urlencode(query, doseq=True).encode())
            text = answer.decode("utf-8", "replace")
            m = re.search(r"<serviceConfigurationSet>(.*)</serviceConfigurationSet>", text, re.S)
            if status != 200 or not m:
                continue
            item = re.sub(
                r"(</serviceName>)<serviceState>[A-Za-z]+</serviceState>", r"\1<serviceState>Deleting</serviceState>",
                m.group(1), count=1,
            )
            nlbs = re.findall(r"arn:aws:elasticloadbalancing:[^<]+", item)
            with LOCK:
                GHOSTS[sid] = {"until": time.monotonic() + AWS["deleting"], "item": item, "nlbs": nlbs}

    def delete_services(self, params, asked, busy):
        """Refuses the services in use; moto deletes the others."""
        items = in_use_items(busy)
        rest = [s for s in asked if s not in busy]
        if rest:
            kept = {k: v for k, v in params.items() if not k.startswith("ServiceId.")}
            kept.update({f"ServiceId.{i}": [s] for i, s in enumerate(rest, 1)})
            status, answer, content_type = self.fetch(urllib.parse.urlencode(kept, doseq=True).encode())
            if status != 200:
                return self.reply(status, answer, content_type)
            # moto's own failures (unknown ids) join the refused ones
            unsuccessful = re.search(rb"<unsuccessful>(.*)</unsuccessful>", answer, re.S)
            items += unsuccessful.group(1).decode() if unsuccessful else ""
        answer = (
            f'<DeleteVpcEndpointServiceConfigurationsResponse xmlns="{EC2_NS}"><requestId>proxy</requestId>'
            f"<unsuccessful>{items}</unsuccessful></DeleteVpcEndpointServiceConfigurationsResponse>"
        )
        return self.reply(200, answer.encode())

    def fetch(self, body):
        """moto's answer to this request with another body: (status, body, content type)."""
        req = urllib.request.Request(MOTO + self.path, data=body or None, method=self.command)
        for k, v in self.headers.items():
            if k.lower() not in ("host", "content-length", "connection"):
                req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.read(), resp.headers.get("Content-Type", "text/xml")
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers.get("Content-Type", "text/xml")

    def forward(self, body, rewrite=None, action="", params=None):
        status, answer, content_type = self.fetch(body)
        if status == 200 and action:
            with LOCK:
                note_created(action, answer)
                answer = shape_answer(action, params or {}, answer)
        if rewrite and status == 200:
            answer = answer.replace(rewrite[0].encode(), rewrite[1].encode())
        self.reply(status, answer, content_type)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()
