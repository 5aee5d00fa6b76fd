#!/usr/bin/env python3
"""A test double of the Kubernetes API server for Berth's kubernetes target tests.

It honours what Berth relies on and checks what Berth sends:
- server-side apply: PATCH with Content-Type application/apply-patch+yaml and fieldManager, else 415/422;
  every applied object is validated with kubernetes_validate (strict) against --kube-version, else 422 Status;
  conflicts with another field manager answer 409 unless force=true; Deployment selectors are immutable (422);
- GET, LIST (labelSelector: =, ==, !=, exists, !exists; fieldSelector involvedObject.name; limit/continue
  pages with an opaque continue token, and 410 Expired for a continue token once /_double/expire-continue
  asks for it, as the API server answers when a token outlives etcd's compaction), DELETE
  (propagationPolicy; Foreground keeps the object, with a deletionTimestamp, for one more read);
- resourceVersion (one counter), metadata.generation (bumped when spec changes), uid, managedFields;
- Status bodies (kind: Status) for 401/404/409/415/422;
- a LoadBalancer Service gets `status.loadBalancer.ingress[0].ip` 203.0.113.10 on its second read;
- a simulated rollout: the first read of a Deployment after an apply shows the old generation, the next shows
  it complete with pods; a Deployment named in /_double/fail instead exceeds its progress deadline, with
  Warning events and a pod whose log ends in a traceback;
- request counting (GET /_double/stats, POST /_double/reset), bulk seeding (POST /_double/seed);
- discovery (/version, /api, /apis, /api/v1, /apis/G/V) so that kubectl can be pointed at it.

Usage: kube_double.py [--kube-version 1.30.0] [--token TOKEN] [--no-validate] [--tls-cert PEM --tls-key PEM
[--client-ca PEM]]; prints "LISTENING <port>".
"""
import argparse
import base64
import copy
import json
import re
import sys
import threading
import uuid
from collections import Counter
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import yaml

KINDS = {
    # plural: (group/version, kind, namespaced)
    "namespaces": ("v1", "Namespace", False),
    "serviceaccounts": ("v1", "ServiceAccount", True),
    "secrets": ("v1", "Secret", True),
    "services": ("v1", "Service", True),
    "pods": ("v1", "Pod", True),
    "events": ("v1", "Event", True),
    "deployments": ("apps/v1", "Deployment", True),
    "horizontalpodautoscalers": ("autoscaling/v2", "HorizontalPodAutoscaler", True),
    "poddisruptionbudgets": ("policy/v1", "PodDisruptionBudget", True),
    "configmaps": ("v1", "ConfigMap", True),
    "ingresses": ("networking.k8s.io/v1", "Ingress", True),
    "networkpolicies": ("networking.k8s.io/v1", "NetworkPolicy", True),
}

LOCK = threading.RLock()
STORE = {}  # (plural, namespace or "", name) -> object
PENDING = {}  # deployment key -> reads left before the rollout completes
FAIL = set()  # "namespace/name" of deployments whose rollouts fail
DELETING = {}  # key -> reads left before a foreground delete finishes
STATS = Counter()
CONNECTIONS = [0]
IN_FLIGHT = [0]
RV = [1000]
OPTIONS = None
EXPIRE_CONTINUE = [0]  # how many of the next requests carrying `continue` answer 410 Expired


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_rv():
    RV[0] += 1
    return str(RV[0])


def status(code, reason, message, details=None):
    return code, {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "details": details or {}, "code": code,
    }


def parse_path(path):
    """(group_version, namespace, plural, name, subresource) or None."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        gv, rest = parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        gv, rest = parts[1] + "/" + parts[2], parts[3:]
    else:
        return None
    namespace = None
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    if not rest:
        return None
    plural = rest[0]
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    return gv, namespace, plural, name, sub


def matches_labels(obj, selector):
    labels = obj.get("metadata", {}).get("labels", {}) or {}
    for term in [t.strip() for t in selector.split(",") if t.strip()]:
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "==" in term or "=" in term:
            k, v = re.split("==?", term, maxsplit=1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def matches_fields(obj, selector):
    for term in [t.strip() for t in selector.split(",") if t.strip()]:
        k, v = re.split("==?", term, maxsplit=1)
        value = obj
        for part in k.split("."):
            value = value.get(part, {}) if isinstance(value, dict) else {}
        if value != v:
            return False
    return True


def validate(obj):
    if OPTIONS.no_validate:
        return None
    import kubernetes_validate

    try:
        kubernetes_validate.validate(obj, OPTIONS.kube_version, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(p) for p in error.path)
        return f"{obj.get('kind')} \"{obj.get('metadata', {}).get('name')}\" is invalid: {path}: {error.message}"
    except kubernetes_validate.SchemaNotFoundError as error:
        return f"no schema: {error}"
    return None


def simulate_rollout(key, obj):
    """Fills a Deployment's status: complete with pods, or a missed progress deadline with events and a crashing pod."""
    _, namespace, name = key
    spec = obj.get("spec", {})
    desired = spec.get("replicas", 1)
    generation = obj["metadata"]["generation"]
    template = spec.get("template", {})
    failing = f"{namespace}/{name}" in FAIL
    for pkey in [k for k in STORE if k[0] == "pods" and k[1] == namespace and k[2].startswith(name + "-")]:
        del STORE[pkey]
    for index in range(max(desired, 1)):
        pod_name = f"{name}-{generation:05d}-{index}"
        STORE[("pods", namespace, pod_name)] = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod_name, "namespace": namespace, "labels": template.get("metadata", {}).get("labels", {}),
                         "resourceVersion": next_rv(), "uid": str(uuid.uuid4()), "creationTimestamp": now()},
            "spec": copy.deepcopy(template.get("spec", {})),
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "scoring", "ready": not failing, "restartCount": 3 if failing else 0,
                "image": template.get("spec", {}).get("containers", [{}])[0].get("image", ""),
            }]},
        }
    if failing:
        obj["status"] = {
            "observedGeneration": generation, "replicas": desired, "updatedReplicas": desired, "availableReplicas": 0,
            "unavailableReplicas": desired,
            "conditions": [
                {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable",
                 "message": "Deployment does not have minimum availability."},
                {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                 "message": f'ReplicaSet "{name}-{generation:05d}" has timed out progressing.'},
            ],
        }
        ekey = ("events", namespace, f"{name}-{generation:05d}-0.backoff")
        STORE[ekey] = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": ekey[2], "namespace": namespace, "resourceVersion": next_rv()},
            "involvedObject": {"kind": "Pod", "name": f"{name}-{generation:05d}-0", "namespace": namespace},
            "type": "Warning", "reason": "BackOff", "lastTimestamp": now(),
            "message": "Back-off restarting failed container scoring in pod",
        }
    else:
        obj["status"] = {
            "observedGeneration": generation, "replicas": desired, "updatedReplicas": desired,
            "readyReplicas": desired, "availableReplicas": desired,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            ],
        }
    obj["metadata"]["resourceVersion"] = next_rv()


def read(key):
    """An object as a GET sees it, advancing simulated rollouts and foreground deletes."""
    obj = STORE.get(key)
    if obj is None:
        return None
    if key in DELETING:
        DELETING[key] -= 1
        if DELETING[key] < 0:
            del DELETING[key]
            del STORE[key]
            return None
    # A cloud controller gives a LoadBalancer Service an address: absent on the first read, there from the second
    # (TEST-NET-3, RFC 5737), as `status.loadBalancer.ingress[0].ip`.
    if key[0] == "services" and obj.get("spec", {}).get("type") == "LoadBalancer":
        lb = obj.setdefault("status", {}).setdefault("loadBalancer", {})
        if "ingress" not in lb:
            if lb.get("_seen"):
                lb.pop("_seen")
                lb["ingress"] = [{"ip": "203.0.113.10", "ipMode": "VIP"}]
            else:
                lb["_seen"] = True
                return {**obj, "status": {"loadBalancer": {}}}
    if key[0] == "deployments" and key in PENDING:
        PENDING[key] -= 1
        if PENDING[key] <= 0:
            del PENDING[key]
            simulate_rollout(key, obj)
    return obj


def apply(gv, namespace, plural, name, query, headers, body):
    ctype = headers.get("Content-Type", "").split(";")[0].strip()
    if ctype != "application/apply-patch+yaml":
        return status(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {ctype!r})")
    manager = query.get("fieldManager", [None])[0]
    if not manager:
        return status(422, "Invalid", "PATCH, fieldManager: Required value: is required for apply requests")
    try:
        obj = yaml.safe_load(body)
    except yaml.YAMLError as error:
        return status(400, "BadRequest", f"error decoding YAML: {error}")
    if not isinstance(obj, dict):
        return status(400, "BadRequest", "body is not an object")
    expected_gv, kind, namespaced = KINDS[plural]
    if obj.get("apiVersion") != gv or gv != expected_gv or obj.get("kind") != kind:
        return status(400, "BadRequest", f"the API version in the data ({obj.get('apiVersion')}) and kind ({obj.get('kind')}) do not match {gv} {plural}")
    meta = obj.get("metadata") or {}
    if meta.get("name") != name:
        return status(400, "BadRequest", "the name of the object does not match the name on the URL")
    if namespaced and meta.get("namespace", namespace) != namespace:
        return status(400, "BadRequest", "the namespace of the object does not match the namespace on the request")
    problem = validate(obj)
    if problem:
        return status(422, "Invalid", problem, {"name": name, "kind": kind})
    if namespaced and ("namespaces", "", namespace) not in STORE:
        return status(404, "NotFound", f'namespaces "{namespace}" not found', {"name": namespace, "kind": "namespaces"})
    key = (plural, namespace or "", name)
    force = query.get("force", ["false"])[0] == "true"
    existing = STORE.get(key)
    if existing is not None:
        owners = {m["manager"] for m in existing["metadata"].get("managedFields", [])}
        others = owners - {manager}
        if others and not force:
            return status(409, "Conflict", f'Apply failed with 1 conflict: conflict with "{sorted(others)[0]}": .spec', {"name": name, "kind": plural})
        if plural == "deployments" and existing.get("spec", {}).get("selector") != obj.get("spec", {}).get("selector"):
            return status(422, "Invalid", f'Deployment.apps "{name}" is invalid: spec.selector: Invalid value: field is immutable', {"name": name, "kind": kind})
        # As the API server: an apply that changes nothing (same manager, same content) writes nothing, so the
        # resourceVersion stays; tests rely on it to show which objects a change touched.
        if others == set() and all(existing.get(k) == obj.get(k) for k in set(obj) | set(existing) if k not in ("metadata", "status")) \
                and all(existing["metadata"].get(k) == obj["metadata"].get(k) for k in ("labels", "annotations")):
            return 200, existing
        generation = existing["metadata"].get("generation", 1)
        if existing.get("spec") != obj.get("spec"):
            generation += 1
        new = copy.deepcopy(obj)
        new["metadata"].update({"uid": existing["metadata"]["uid"], "creationTimestamp": existing["metadata"]["creationTimestamp"],
                                "generation": generation})
        new["status"] = existing.get("status", {})
    else:
        new = copy.deepcopy(obj)
        new["metadata"].update({"uid": str(uuid.uuid4()), "creationTimestamp": now(), "generation": 1})
    if namespaced:
        new["metadata"]["namespace"] = namespace
    if query.get("dryRun", [""])[0] == "All":
        return 200, new
    new["metadata"]["resourceVersion"] = next_rv()
    new["metadata"]["managedFields"] = [{"manager": manager, "operation": "Apply", "apiVersion": gv, "time": now()}]
    STORE[key] = new
    if plural == "deployments":
        if existing is None or existing["metadata"].get("generation") != new["metadata"]["generation"] or f"{namespace}/{name}" in FAIL:
            status_ = new.setdefault("status", {})
            status_.setdefault("observedGeneration", new["metadata"]["generation"] - 1)
            PENDING[key] = 2
    return 200, new


def discovery(path):
    if path == "/version":
        return {"major": "1", "minor": OPTIONS.kube_version.split(".")[1], "gitVersion": "v" + OPTIONS.kube_version, "platform": "linux/amd64"}
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
    groups = sorted({gv for gv, _, _ in KINDS.values() if "/" in gv})
    if path == "/apis":
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": g.split("/")[0], "versions": [{"groupVersion": g, "version": g.split("/")[1]}],
             "preferredVersion": {"groupVersion": g, "version": g.split("/")[1]}} for g in groups]}
    for gv in ["v1"] + groups:
        prefix = "/api/v1" if gv == "v1" else "/apis/" + gv
        if path == prefix:
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": [
                {"name": plural, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
                 "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
                for plural, (g, kind, namespaced) in KINDS.items() if g == gv]}
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without TCP_NODELAY each answer waits out a delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, code, body, content_type="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode() if length else ""

    # Connections open at once (one thread each), as the server sees them: a connection the client closed counts until
    # its thread reads the end of the stream.
    def setup(self):
        super().setup()
        with LOCK:
            CONNECTIONS[0] += 1
            STATS["connections max"] = max(STATS["connections max"], CONNECTIONS[0])

    def finish(self):
        with LOCK:
            CONNECTIONS[0] -= 1
        super().finish()

    def handle_any(self, method):
        # Requests being answered at once: what a client's parallelism puts on the API server.
        with LOCK:
            IN_FLIGHT[0] += 1
            STATS["requests in flight max"] = max(STATS["requests in flight max"], IN_FLIGHT[0])
        try:
            return self.handle_request(method)
        finally:
            with LOCK:
                IN_FLIGHT[0] -= 1

    def handle_request(self, method):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        body = self.body()
        if url.path.startswith("/_double/"):
            return self.control(method, url.path, body)
        if OPTIONS.token and self.headers.get("Authorization") != "Bearer " + OPTIONS.token:
            return self.answer(*status(401, "Unauthorized", "Unauthorized"))
        with LOCK:
            document = discovery(url.path) if method == "GET" else None
            if document is not None:
                return self.answer(200, document)
            parsed = parse_path(url.path)
            if parsed is None or parsed[2] not in KINDS:
                return self.answer(*status(404, "NotFound", f"the server could not find the requested resource ({url.path})"))
            gv, namespace, plural, name, sub = parsed
            STATS[f"{method} {plural}{'' if name else ' (list)'}{'/' + sub if sub else ''}"] += 1
            STATS["total"] += 1
            key = (plural, namespace or "", name)
            if method == "PATCH" and name:
                return self.answer(*apply(gv, namespace or "", plural, name, query, self.headers, body))
            if method == "GET" and name and sub == "log":
                pod = STORE.get(key)
                if pod is None:
                    return self.answer(*status(404, "NotFound", f'pods "{name}" not found'))
                text = "Invoking user's init function\nTraceback (most recent call last):\n  File \"score.py\", line 12, in init\nFileNotFoundError: model/iris-logreg.pkl\nWorker failed to boot.\n"
                lines = text.splitlines()[-int(query.get("tailLines", ["100"])[0]):]
                return self.answer(200, "\n".join(lines) + "\n", "text/plain")
            if method == "GET" and name:
                obj = read(key)
                if obj is None:
                    return self.answer(*status(404, "NotFound", f'{plural}.{gv.split("/")[0] if "/" in gv else ""} "{name}" not found'.replace('.""', '"').replace('. "', ' "'), {"name": name, "kind": plural}))
                return self.answer(200, obj)
            if method == "GET":
                kind = KINDS[plural][1]
                metadata = {"resourceVersion": str(RV[0])}
                after = None
                if "continue" in query:
                    if EXPIRE_CONTINUE[0] > 0:
                        EXPIRE_CONTINUE[0] -= 1
                        return self.answer(*status(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."))
                    try:
                        token = json.loads(base64.urlsafe_b64decode(query["continue"][0].encode()).decode())
                        after = tuple(token["after"])
                    except (ValueError, KeyError, TypeError):
                        return self.answer(*status(400, "BadRequest", "continue key is not valid"))
                limit = 0
                if "limit" in query:
                    try:
                        limit = int(query["limit"][0])
                    except ValueError:
                        return self.answer(*status(400, "BadRequest", "limit must be an integer"))
                # Only this kind's keys, in key order, from where the continue token left off; a page stops
                # filtering once it has one item more than it returns (the API server's chunked list).
                keys = sorted(k for k in STORE if k[0] == plural and (namespace is None or k[1] == namespace)
                              and (after is None or k > after))
                items = []
                selected = "labelSelector" in query or "fieldSelector" in query
                for index, key_ in enumerate(keys):
                    obj = read(key_)
                    if obj is None:
                        continue
                    if "labelSelector" in query and not matches_labels(obj, query["labelSelector"][0]):
                        continue
                    if "fieldSelector" in query and not matches_fields(obj, query["fieldSelector"][0]):
                        continue
                    if limit > 0 and len(items) == limit:
                        last = items[-1]["metadata"]
                        metadata["continue"] = base64.urlsafe_b64encode(json.dumps({"after": [plural, last.get("namespace", ""), last["name"]], "rv": RV[0]}).encode()).decode()
                        if not selected:
                            # Omitted with a selector, as the API server does: the count would be a guess.
                            metadata["remainingItemCount"] = len(keys) - index
                        break
                    items.append(obj)
                return self.answer(200, {"kind": kind + "List", "apiVersion": gv, "metadata": metadata, "items": items})
            if method == "DELETE" and name:
                obj = STORE.get(key)
                if obj is None or key in DELETING:
                    return self.answer(*status(404, "NotFound", f'{plural} "{name}" not found', {"name": name, "kind": plural}))
                policy = query.get("propagationPolicy", ["Background"])[0]
                if policy not in ("Foreground", "Background", "Orphan"):
                    return self.answer(*status(400, "BadRequest", f"unknown propagationPolicy {policy}"))
                if policy == "Foreground":
                    obj["metadata"]["deletionTimestamp"] = now()
                    obj["metadata"]["finalizers"] = ["foregroundDeletion"]
                    DELETING[key] = 1
                else:
                    del STORE[key]
                if plural == "deployments":
                    for pkey in [k for k in STORE if k[0] == "pods" and k[1] == key[1] and k[2].startswith(name + "-")]:
                        del STORE[pkey]
                return self.answer(200, obj)
            return self.answer(*status(405, "MethodNotAllowed", f"{method} is not supported here"))

    def control(self, method, path, body):
        with LOCK:
            if path == "/_double/stats":
                return self.answer(200, dict(STATS))
            if path == "/_double/reset":
                STATS.clear()
                return self.answer(200, {})
            if path == "/_double/expire-continue":
                EXPIRE_CONTINUE[0] = int(body or "1")
                return self.answer(200, {"expire": EXPIRE_CONTINUE[0]})
            if path == "/_double/fail":
                FAIL.update(json.loads(body or "[]"))
                return self.answer(200, sorted(FAIL))
            if path == "/_double/objects":
                return self.answer(200, [obj for _, obj in sorted(STORE.items())])
            if path == "/_double/seed":
                # Objects stored as they are (no validation, rollout complete): bulk set-up for benchmarks.
                for obj in json.loads(body):
                    plural = next(p for p, (gv, kind, _) in KINDS.items() if kind == obj["kind"])
                    meta = obj["metadata"]
                    meta.update({"uid": str(uuid.uuid4()), "resourceVersion": next_rv(), "generation": 1,
                                 "creationTimestamp": now(), "managedFields": [{"manager": "berth", "operation": "Apply"}]})
                    key = (plural, meta.get("namespace", ""), meta["name"])
                    STORE[key] = obj
                    if plural == "deployments":
                        simulate_rollout(key, obj)
                return self.answer(200, {"stored": len(STORE)})
            return self.answer(404, {"message": "unknown control path"})

    def do_GET(self):
        self.handle_any("GET")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")


def main():
    global OPTIONS
    parser = argparse.ArgumentParser()
    parser.add_argument("--kube-version", default="1.30.0")
    parser.add_argument("--token")
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate chain (PEM)")
    parser.add_argument("--tls-key", help="the certificate's private key (PEM)")
    parser.add_argument("--client-ca", help="require client certificates signed by this CA (PEM)")
    OPTIONS = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", OPTIONS.port), Handler)
    server.daemon_threads = True
    if OPTIONS.tls_cert:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(OPTIONS.tls_cert, OPTIONS.tls_key)
        if OPTIONS.client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(OPTIONS.client_ca)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"LISTENING {server.server_address[1]}", flush=True)

    def exit_when_input_closes():
        # The test that started the double holds its stdin; when the test process ends, so does the double.
        sys.stdin.read()
        import os
        os._exit(0)

    threading.Thread(target=exit_when_input_closes, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
