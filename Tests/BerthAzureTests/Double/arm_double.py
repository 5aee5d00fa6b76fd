#!/usr/bin/env python3
"""A test double of Azure AD, the instance metadata service and Azure Resource Manager, for Berth's Azure client.

It follows the published shapes and checks what the client sends:
- Azure AD v2.0 token endpoint, POST /{tenant}/oauth2/v2.0/token, form-encoded: grant_type=client_credentials,
  client_id, scope ending in /.default, and either client_secret or client_assertion with
  client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer; answers
  {token_type, expires_in, ext_expires_in, access_token}, or 400/401 {error, error_description} like AAD.
- IMDS, GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…, only with the header
  `Metadata: true` (else 400); App Service's IDENTITY_ENDPOINT, GET /msi/token?api-version=2019-08-01&resource=…
  with X-IDENTITY-HEADER; both answer {access_token, expires_on (epoch seconds as text), resource, token_type}.
- ARM: every request needs `Authorization: Bearer` with a token this double issued (else 401
  {"error": {"code": "AuthenticationFailed"}}) and an `api-version` query parameter (else 400
  MissingApiVersionParameter). PUT of /subscriptions/…/providers/NS/TYPE/NAME stores the resource with
  provisioningState "Creating" (then "Updating"), answers 201 (200 on update) with an Azure-AsyncOperation URL and
  Retry-After: 0; GET of that URL says {"status": "InProgress"} for --polls reads, then "Succeeded" (or "Failed" with
  an error when the body's tags ask for it: {"tags": {"double": "fail"}}); DELETE answers 202 with Location; GET of
  Location says 202 until done, then 204. GET of a missing resource: 404 ResourceNotFound.
- Container groups (container_instances.py): validated, instance views, restart, logs; POST /_double/images
  {"inaccessible": [...], "crashing": [...]}, POST /_double/crash|remove {"path"} change a group outside Berth;
  GET /_double/resource?path=… returns a stored resource with its secrets (what the real service would run);
  POST /_double/resource {"path", "resource"} stores one as it is (a registry someone else created).
- Managed clusters (managed_clusters.py): validated, read-only values computed, listClusterUserCredential with a
  kubeconfig for the Kubernetes double; POST /_double/aks {"server", "token"} | {"scale": {"path", "count"}} |
  {"failing": true}.
- Faults: POST /_double/fail {"status": 429|500|409, "count": N, "code": "…", "retry_after": "0"} makes the next N
  ARM requests answer that; GET /_double/stats counts requests by kind.

Usage: arm_double.py --tenant T --client-id C --client-secret S [--federated-token F] [--identity-header H]
[--polls N]; prints "LISTENING <port>".
"""
import argparse
import json
import re
import secrets
import sys
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import container_instances as aci
import managed_clusters as aks

LOCK = threading.RLock()
TOKENS = set()
RESOURCES = {}  # path (lower case) -> resource
OPERATIONS = {}  # id -> {"reads": n, "path": p, "fail": bool, "kind": "put"|"delete"}
FAULTS = []  # pending injected answers
STATS = Counter()
OPTIONS = None


def issue():
    token = "dbl." + secrets.token_urlsafe(24)
    TOKENS.add(token)
    return token


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without TCP_NODELAY each answer waits out a delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, code, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def arm_error(self, code, arm_code, message, headers=None):
        self.answer(code, {"error": {"code": arm_code, "message": message}}, headers)

    def body(self):
        # Read once, before any answer: a body left unread on a keep-alive connection would be parsed as the
        # next request.
        if not hasattr(self, "_body"):
            length = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(length) if length else b""
        return self._body

    def base(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    # --- Azure AD -------------------------------------------------------------------------------------------
    def aad_token(self, tenant):
        STATS["aad"] += 1
        if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return self.answer(400, {"error": "invalid_request", "error_description": "AADSTS900144: form body expected"})
        form = {k: v[0] for k, v in parse_qs(self.body().decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return self.answer(400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003"})
        if tenant != OPTIONS.tenant:
            return self.answer(400, {"error": "invalid_request", "error_description": f"AADSTS90002: Tenant '{tenant}' not found."})
        if form.get("client_id") != OPTIONS.client_id:
            return self.answer(400, {"error": "unauthorized_client", "error_description": "AADSTS700016: Application not found"})
        if not form.get("scope", "").endswith("/.default"):
            return self.answer(400, {"error": "invalid_scope", "error_description": "AADSTS1002012: scope must end in /.default"})
        if "client_secret" in form:
            if form["client_secret"] != OPTIONS.client_secret:
                return self.answer(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
        elif "client_assertion" in form:
            if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                return self.answer(400, {"error": "invalid_request", "error_description": "AADSTS50027: bad assertion type"})
            if form["client_assertion"] != OPTIONS.federated_token:
                return self.answer(401, {"error": "invalid_client", "error_description": "AADSTS700024: Client assertion is not within its valid time range."})
        else:
            return self.answer(400, {"error": "invalid_request", "error_description": "AADSTS7000218: client_assertion or client_secret required"})
        self.answer(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": issue()})

    def managed_identity(self, query, header_name, expected):
        STATS["managed_identity"] += 1
        if self.headers.get(header_name) != expected:
            return self.answer(400, {"error": "invalid_request", "error_description": f"Required metadata header not specified"})
        if "api-version" not in query or "resource" not in query:
            return self.answer(400, {"error": "invalid_request", "error_description": "api-version and resource are required"})
        self.answer(200, {"access_token": issue(), "expires_on": str(int(time.time()) + 3600),
                          "resource": query["resource"][0], "token_type": "Bearer"})

    # --- ARM ------------------------------------------------------------------------------------------------
    def arm(self, method, url):
        STATS[f"arm {method}"] += 1
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in TOKENS:
            return self.arm_error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.")
        query = parse_qs(url.query)
        if "api-version" not in query:
            return self.arm_error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
        with LOCK:
            if FAULTS:
                fault = FAULTS[0]
                fault["count"] -= 1
                if fault["count"] <= 0:
                    FAULTS.pop(0)
                STATS[f"fault {fault['status']}"] += 1
                headers = {"Retry-After": fault["retry_after"]} if fault.get("retry_after") is not None else {}
                return self.arm_error(fault["status"], fault.get("code", "Throttled"), "injected by the double", headers)
        path = url.path
        if path.startswith("/_operations/"):
            return self.operation(path.split("/")[2], query)
        key = path.lower()
        if aci.is_group(key) and "/containers/" in key and key.endswith("/logs") and method == "GET":
            group = RESOURCES.get(key.split("/containers/")[0])
            text = aci.logs(group, path.split("/containers/")[1].split("/")[0]) if group else None
            if text is None:
                return self.arm_error(404, "ResourceNotFound", f"The Resource '{path}' was not found.")
            return self.answer(200, {"content": text})
        if method == "GET" and key.endswith("/providers/microsoft.containerregistry/registries") and key.count("/") == 5:
            # The subscription's registries (one page: the double never holds enough for a nextLink).
            prefix = key.split("/providers/")[0] + "/resourcegroups/"
            with LOCK:
                found = [r for k, r in RESOURCES.items()
                         if k.startswith(prefix) and "/providers/microsoft.containerregistry/registries/" in k and k.count("/") == 8]
            return self.answer(200, {"value": found})
        if method == "GET":
            with LOCK:
                # Operations run on ARM's side whether or not anyone polls them: a read of the resource lets its
                # pending operation advance too (an apply interrupted mid-operation finds it finished later).
                for operation, op in list(OPERATIONS.items()):
                    if op["path"] == key and op["kind"] == "put" and not op.get("done"):
                        op["reads"] -= 1
                        if op["reads"] < 0:
                            self.finish(operation, op)
            resource = RESOURCES.get(key)
            if resource is None:
                return self.arm_error(404, "ResourceNotFound", f"The Resource '{path}' was not found.")
            return self.answer(200, aci.as_read(resource) if aci.is_group(key) else resource)
        if method in ("PUT", "PATCH"):
            try:
                body = json.loads(self.body() or b"{}")
            except ValueError:
                return self.arm_error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
            if "/providers/microsoft.authorization/roleassignments/" in key and method == "PUT":
                return self.role_assignment(path, key, body)
            if method == "PUT" and "location" not in body:
                return self.arm_error(400, "LocationRequired", "The location property is required for this definition.")
            parts = path.strip("/").split("/")
            if aci.is_group(key):
                STATS["aci put"] += 1
                problem = aci.validate(parts[-1], body)
                if problem:
                    return self.arm_error(400, problem[0], problem[1])
            if aks.is_cluster(key):
                STATS["aks put"] += 1
                problem = aks.validate(parts[-1], body, RESOURCES.get(key) if method == "PUT" else None)
                if problem:
                    return self.arm_error(400, problem[0], problem[1])
            existed = key in RESOURCES
            resource = dict(RESOURCES.get(key, {})) if method == "PATCH" else {}
            resource.update(body)
            resource.update({"id": path, "name": parts[-1], "type": "/".join(parts[parts.index("providers") + 1:-1:2] + []) if "providers" in parts else ""})
            props = dict(resource.get("properties") or {})
            props["provisioningState"] = "Updating" if existed else "Creating"
            resource["properties"] = props
            if aks.is_cluster(key):
                aks.decorate(resource, key, parts[3])
            RESOURCES[key] = resource
            operation = str(uuid.uuid4())
            fail = ((body.get("tags") or {}).get("double") == "fail" or (aci.is_group(key) and aci.fails(body))
                    or (aks.is_cluster(key) and aks.take_failure()))
            OPERATIONS[operation] = {"reads": OPTIONS.polls, "path": key, "fail": fail, "kind": "put"}
            return self.answer(200 if existed else 201, resource, {
                "Azure-AsyncOperation": f"{self.base()}/_operations/{operation}?api-version={query['api-version'][0]}",
                "Retry-After": "0"})
        if method == "DELETE":
            if key not in RESOURCES:
                return self.answer(204)
            RESOURCES[key].setdefault("properties", {})["provisioningState"] = "Deleting"
            operation = str(uuid.uuid4())
            OPERATIONS[operation] = {"reads": OPTIONS.polls, "path": key, "fail": False, "kind": "delete"}
            return self.answer(202, None, {"Location": f"{self.base()}/_operations/{operation}?api-version={query['api-version'][0]}",
                                           "Retry-After": "0"})
        if method == "POST":
            if aci.is_group(key) and key.endswith("/restart"):
                group = RESOURCES.get(key.rsplit("/", 1)[0])
                if group is None:
                    return self.arm_error(404, "ResourceNotFound", "container group not found")
                STATS["aci restart"] += 1
                aci.restart(group, group.get("location", ""))
                return self.answer(204)
            if key.endswith("/listclusterusercredential") and aks.is_cluster(key.rsplit("/", 1)[0]):
                cluster = RESOURCES.get(key.rsplit("/", 1)[0])
                if cluster is None:
                    return self.arm_error(404, "ResourceNotFound", f"The Resource '{path.rsplit('/', 1)[0]}' was not found.")
                STATS["aks credential"] += 1
                return self.answer(200, aks.credential(cluster))
            return self.arm_error(404, "NotFound", "no such action")
        self.arm_error(405, "MethodNotAllowed", method)

    def role_assignment(self, path, key, body):
        """Microsoft.Authorization/roleAssignments PUT (synchronous: 201 with the assignment), as published: the name
        is a GUID, roleDefinitionId and principalId are required, one principal holds a role on a scope once."""
        STATS["role assignment put"] += 1
        name = path.rsplit("/", 1)[1]
        if not re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", name):
            return self.arm_error(400, "InvalidRoleAssignmentId", f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.")
        props = body.get("properties") or {}
        role, principal = props.get("roleDefinitionId", ""), props.get("principalId")
        if not re.fullmatch(r"(/subscriptions/[^/]+)?/providers/Microsoft\.Authorization/roleDefinitions/[0-9a-fA-F-]{36}", role) or not principal:
            return self.arm_error(400, "InvalidRoleDefinitionId" if principal else "PrincipalNotFound",
                                  "roleDefinitionId and principalId are required.")
        if principal not in aks.PRINCIPALS:
            return self.arm_error(400, "PrincipalNotFound", f"Principal {principal} does not exist in the directory {OPTIONS.tenant}.")
        if props.get("principalType", "User") not in ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device"):
            return self.arm_error(400, "InvalidPrincipalType", f"principalType {props.get('principalType')} is not valid.")
        scope = key.split("/providers/microsoft.authorization/")[0]
        with LOCK:
            for other_key, other in RESOURCES.items():
                other_props = other.get("properties") or {}
                if (other_key != key and other_key.startswith(scope + "/providers/microsoft.authorization/roleassignments/")
                        and other_props.get("principalId") == principal
                        and other_props.get("roleDefinitionId", "").lower().endswith(role.lower().rsplit("/", 1)[1])):
                    return self.arm_error(409, "RoleAssignmentExists", "The role assignment already exists.")
            resource = {"id": path, "name": name, "type": "Microsoft.Authorization/roleAssignments",
                        "properties": dict(props, scope=path.split("/providers/Microsoft.Authorization/")[0])}
            RESOURCES[key] = resource
            STATS[f"role {role.rsplit('/', 1)[1]} for {aks.PRINCIPALS[principal]}"] += 1
        return self.answer(201, resource)

    def operation(self, operation, query):
        with LOCK:
            op = OPERATIONS.get(operation)
            if op is None:
                return self.arm_error(404, "OperationNotFound", operation)
            op["reads"] -= 1
            done = op["reads"] < 0
            if op["kind"] == "delete":
                if not done:
                    return self.answer(202, None, {"Location": f"{self.base()}/_operations/{operation}?api-version={query['api-version'][0]}",
                                                   "Retry-After": "0"})
                RESOURCES.pop(op["path"], None)
                return self.answer(204)
            if not done:
                return self.answer(200, {"id": operation, "name": operation, "status": "InProgress"}, {"Retry-After": "0"})
            self.finish(operation, op)
            if op["fail"]:
                return self.answer(200, {"id": operation, "name": operation, "status": "Failed",
                                         "error": {"code": "QuotaExceeded", "message": "Operation could not be completed as it results in exceeding approved quota."}})
            return self.answer(200, {"id": operation, "name": operation, "status": "Succeeded"})

    def finish(self, operation, op):
        """Ends a PUT's operation: the resource Failed or Succeeded (a container group then starts)."""
        if op.get("done"):
            return
        op["done"] = True
        resource = RESOURCES.get(op["path"])
        if op["fail"]:
            if resource:
                resource["properties"]["provisioningState"] = "Failed"
            return
        if resource:
            resource["properties"]["provisioningState"] = "Succeeded"
            if aci.is_group(op["path"]):
                aci.started(resource, resource.get("location", ""))

    def route(self, method):
        if hasattr(self, "_body"):
            del self._body
        self.body()
        url = urlparse(self.path)
        query = parse_qs(url.query)
        parts = url.path.strip("/").split("/")
        if url.path == "/_double/verify" and method == "GET":
            # Another test server (the registry's token service) asks whether an access token is one this double issued.
            return self.answer(200 if query.get("token", [""])[0] in TOKENS else 401, {})
        if url.path == "/_double/stats":
            return self.answer(200, dict(STATS))
        if url.path == "/_double/images" and method == "POST":
            spec = json.loads(self.body() or b"{}")
            with LOCK:
                aci.INACCESSIBLE.update(spec.get("inaccessible", []))
                aci.CRASHING.update(spec.get("crashing", []))
                aci.FAILING.update(spec.get("failing", []))
            return self.answer(200, {})
        if url.path in ("/_double/crash", "/_double/remove") and method == "POST":
            target = json.loads(self.body() or b"{}").get("path", "").lower()
            with LOCK:
                if target not in RESOURCES:
                    return self.answer(404, {})
                if url.path == "/_double/crash":
                    aci.crash(RESOURCES[target])
                else:
                    RESOURCES.pop(target)
            return self.answer(200, {})
        if url.path == "/_double/aks" and method == "POST":
            spec = json.loads(self.body() or b"{}")
            with LOCK:
                if "server" in spec:
                    aks.KUBE.update({"server": spec["server"], "token": spec["token"]})
                if spec.get("failing"):
                    aks.FAILING.add("next")
                if "scale" in spec:
                    cluster = RESOURCES.get(spec["scale"]["path"].lower())
                    if cluster is None or not aks.scale(cluster, spec["scale"]["count"]):
                        return self.answer(404, {})
            return self.answer(200, {})
        if url.path == "/_double/resource" and method == "POST":
            spec = json.loads(self.body() or b"{}")
            with LOCK:
                RESOURCES[spec["path"].lower()] = dict(spec["resource"], id=spec["path"], name=spec["path"].rsplit("/", 1)[1])
            return self.answer(200, {})
        if url.path == "/_double/resource" and method == "GET":
            with LOCK:
                return self.answer(200, RESOURCES.get(query.get("path", [""])[0].lower()) or {})
        if url.path == "/_double/fail" and method == "POST":
            with LOCK:
                FAULTS.append(json.loads(self.body() or b"{}"))
            return self.answer(200, {})
        if method == "POST" and len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            return self.aad_token(parts[0])
        if method == "GET" and url.path == "/metadata/identity/oauth2/token":
            return self.managed_identity(query, "Metadata", "true")
        if method == "GET" and url.path == "/msi/token":
            return self.managed_identity(query, "X-IDENTITY-HEADER", OPTIONS.identity_header)
        return self.arm(method, url)

    def do_GET(self):
        self.route("GET")

    def do_PUT(self):
        self.route("PUT")

    def do_PATCH(self):
        self.route("PATCH")

    def do_DELETE(self):
        self.route("DELETE")

    def do_POST(self):
        self.route("POST")


def main():
    global OPTIONS
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--federated-token", default="federated-assertion")
    parser.add_argument("--identity-header", default="identity-header-value")
    parser.add_argument("--polls", type=int, default=2)
    OPTIONS = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"LISTENING {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
