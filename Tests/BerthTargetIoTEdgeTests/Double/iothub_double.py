#!/usr/bin/env python3
"""A test double of IoT Hub's service REST API for Berth's iotedge target, built from the published shapes.

What it checks and serves:
- Every request needs `Authorization: SharedAccessSignature sr=…&sig=…&se=…&skn=…`: sr the hub's host name
  (URL-encoded), skn the policy, se in the future, sig = base64(HMAC-SHA256(base64decode(key), urlencode(sr) + "\n" + se))
  (else 401 {"Message": "ErrorCode:IotHubUnauthorizedAccess;Unauthorized", "ExceptionMessage": …}), and
  `api-version=2021-04-12` (else 400 ErrorCode:InvalidProtocolVersion).
- POST /devices/{id}/applyConfigurationContent (Configuration - Apply On Edge Device): the body is read, then checked
  against the published $edgeAgent desired-properties schema 1.1 (schemastore azure-iot-edgeagent-deployment-1.1:
  schemaVersion, runtime {type docker, settings {registryCredentials {NAME: {username, password, address}}}},
  systemModules edgeAgent/edgeHub, modules NAME ^[a-zA-Z0-9_-]+$ with type/status/restartPolicy/settings, settings.image
  present, createOptions* strings of at most 4 KB each (a twin string value's limit) whose concatenation is JSON) and
  the $edgeHub one (schemaVersion, routes NAME ^[^.$# ]+$ → string or {route, priority, timeToLiveSecs},
  storeAndForwardConfiguration {timeToLiveSecs}); desired properties of at most 32 KB and 10 levels deep. A bad body: 400
  ErrorCode:ArgumentInvalid naming the problem. An unknown device: 404 DeviceNotFound. Answers 204.
- GET /twins/{id}/modules/{moduleId}: the module twin {deviceId, moduleId, etag, version, properties {desired
  (+$version), reported}}. The device follows its desired properties at once (or after --report-after reads of the
  $edgeAgent twin): $edgeAgent reported has lastDesiredVersion, lastDesiredStatus {code 200}, systemModules, and per
  module version, type, status, restartPolicy, settings, runtimeStatus "running", lastStartTimeUtc.
- Control (no auth): POST /_double/fail {"module": NAME, "exitCode": 3, "description": "…"} makes that module crash
  (runtimeStatus backoff, exitCode, lastExitTimeUtc, statusDescription) until POST /_double/heal {"module": NAME};
  GET /_double/content/{id} the last content applied (secrets included: for the test's assertions only);
  GET /_double/stats counts requests.

Usage: iothub_double.py --hub NAME --policy P --key BASE64 --device ID [--device ID…] [--report-after N]
[--omit-module-version];
prints "LISTENING <port>".
"""
import argparse
import base64
import hashlib
import hmac
import json
import re
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlparse

API_VERSION = "2021-04-12"
CHUNK_BYTES = 4096
DESIRED_LIMIT = 32 * 1024
TWIN_DEPTH = 10
LOCK = threading.RLock()
DEVICES = {}  # id -> {"agent": desired, "hub": desired, "version": n, "content": …, "reported_version": n, "reads": n}
FAILING = {}  # module -> {"exitCode": n, "description": s}
STATS = Counter()
OPTIONS = None


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


class Invalid(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Invalid(message)


def check_keys(obj, where, required, allowed):
    expect(isinstance(obj, dict), f"{where} must be an object")
    for key in required:
        expect(key in obj, f"{where}.{key} is required")
    for key in obj:
        expect(key in allowed, f"{where}.{key} is not allowed")


def check_create_options(settings, where):
    chunks = []
    for key in sorted(settings):
        if key == "image":
            continue
        expect(re.fullmatch(r"(createoptions|createOptions)[0-9]*", key), f"{where}.{key} is not allowed")
        value = settings[key]
        expect(isinstance(value, str), f"{where}.{key} must be a string")
        expect(len(value.encode()) <= CHUNK_BYTES, f"{where}.{key} is {len(value.encode())} bytes, more than {CHUNK_BYTES}")
        chunks.append((0 if key.lower() == "createoptions" else int(key[len("createOptions"):]), value))
    if chunks:
        chunks.sort()
        expect([n for n, _ in chunks] == list(range(len(chunks))), f"{where}: createOptions chunks are not numbered 01, 02, …")
        expect(len(chunks) <= 8, f"{where}: more than 8 createOptions chunks")
        try:
            json.loads("".join(v for _, v in chunks))
        except ValueError as error:
            raise Invalid(f"{where}.createOptions is not JSON: {error}")


def check_module(module, where, required, allowed):
    check_keys(module, where, required, allowed)
    expect(module["type"] == "docker", f"{where}.type must be docker")
    if "status" in module:
        expect(module["status"] in ("running", "stopped"), f"{where}.status must be running or stopped")
    if "restartPolicy" in module:
        expect(module["restartPolicy"] in ("never", "on-failure", "on-unhealthy", "always"), f"{where}.restartPolicy is invalid")
    if "version" in module:
        expect(isinstance(module["version"], str), f"{where}.version must be a string")
    if "imagePullPolicy" in module:
        expect(module["imagePullPolicy"] in ("never", "on-create"), f"{where}.imagePullPolicy is invalid")
    if "env" in module:
        expect(isinstance(module["env"], dict), f"{where}.env must be an object")
        for name, value in module["env"].items():
            expect(re.fullmatch(r"[^\+#$\s\.]+", name), f"{where}.env.{name}: invalid name")
            expect(isinstance(value, dict) and set(value) == {"value"}, f"{where}.env.{name} must be {{value}}")
    settings = module["settings"]
    expect(isinstance(settings, dict), f"{where}.settings must be an object")
    expect(isinstance(settings.get("image"), str) and settings["image"].strip(), f"{where}.settings.image is required")
    check_create_options(settings, f"{where}.settings")


def validate_agent(desired):
    where = "$edgeAgent.properties.desired"
    check_keys(desired, where, ["schemaVersion", "runtime", "systemModules", "modules"],
               ["schemaVersion", "runtime", "systemModules", "modules"])
    expect(desired["schemaVersion"] == "1.1", f"{where}.schemaVersion must be 1.1")
    runtime = desired["runtime"]
    check_keys(runtime, f"{where}.runtime", ["type", "settings"], ["type", "settings"])
    expect(runtime["type"] == "docker", f"{where}.runtime.type must be docker")
    check_keys(runtime["settings"], f"{where}.runtime.settings", [], ["minDockerVersion", "loggingOptions", "registryCredentials"])
    for key in ("minDockerVersion", "loggingOptions"):
        if key in runtime["settings"]:
            expect(isinstance(runtime["settings"][key], str), f"{where}.runtime.settings.{key} must be a string")
    credentials = runtime["settings"].get("registryCredentials", {})
    expect(isinstance(credentials, dict), f"{where}.runtime.settings.registryCredentials must be an object")
    for name, entry in credentials.items():
        cwhere = f"{where}.runtime.settings.registryCredentials.{name}"
        expect(re.fullmatch(r"[^\.\$# ]+", name), f"{cwhere}: invalid name")
        check_keys(entry, cwhere, ["username", "password", "address"], ["username", "password", "address"])
        for key in ("username", "password", "address"):
            expect(isinstance(entry[key], str), f"{cwhere}.{key} must be a string")
        expect(re.fullmatch(r"[^\s]+", entry["address"]), f"{cwhere}.address has spaces")
    system = desired["systemModules"]
    check_keys(system, f"{where}.systemModules", ["edgeAgent", "edgeHub"], ["edgeAgent", "edgeHub"])
    check_module(system["edgeAgent"], f"{where}.systemModules.edgeAgent", ["type", "settings"],
                 ["type", "settings", "env", "imagePullPolicy"])
    check_module(system["edgeHub"], f"{where}.systemModules.edgeHub", ["type", "settings", "status", "restartPolicy"],
                 ["type", "settings", "status", "restartPolicy", "env", "imagePullPolicy", "startupOrder"])
    expect(isinstance(desired["modules"], dict), f"{where}.modules must be an object")
    for name, module in desired["modules"].items():
        expect(re.fullmatch(r"[a-zA-Z0-9_-]+", name), f"{where}.modules.{name}: invalid module name")
        check_module(module, f"{where}.modules.{name}", ["type", "status", "restartPolicy", "settings"],
                     ["version", "type", "status", "restartPolicy", "settings", "env", "imagePullPolicy", "startupOrder"])


def validate_hub(desired):
    where = "$edgeHub.properties.desired"
    check_keys(desired, where, ["schemaVersion", "routes"], ["schemaVersion", "routes", "storeAndForwardConfiguration"])
    expect(desired["schemaVersion"] in ("1.0", "1.1", "1.2"), f"{where}.schemaVersion is unknown")
    expect(isinstance(desired["routes"], dict), f"{where}.routes must be an object")
    for name, route in desired["routes"].items():
        expect(re.fullmatch(r"[^\.\$# ]+", name), f"{where}.routes.{name}: invalid route name")
        if isinstance(route, dict):
            check_keys(route, f"{where}.routes.{name}", ["route"], ["route", "priority", "timeToLiveSecs"])
            route = route["route"]
        expect(isinstance(route, str) and route.strip(), f"{where}.routes.{name} must be a route")
        expect(re.match(r"(?i)^\s*FROM\s+\S+.*\s+INTO\s+\S+", route), f"{where}.routes.{name} is not FROM … INTO …")
    if "storeAndForwardConfiguration" in desired:
        sf = desired["storeAndForwardConfiguration"]
        check_keys(sf, f"{where}.storeAndForwardConfiguration", ["timeToLiveSecs"], ["timeToLiveSecs"])
        expect(isinstance(sf["timeToLiveSecs"], int) and not isinstance(sf["timeToLiveSecs"], bool),
               f"{where}.storeAndForwardConfiguration.timeToLiveSecs must be an integer")


def validate_content(content):
    check_keys(content, "content", ["modulesContent"], ["modulesContent", "deviceContent", "moduleContent"])
    modules = content["modulesContent"]
    expect(isinstance(modules, dict), "modulesContent must be an object")
    expect("$edgeAgent" in modules, "modulesContent.$edgeAgent is required")
    expect("$edgeHub" in modules, "modulesContent.$edgeHub is required")
    for twin, validate in (("$edgeAgent", validate_agent), ("$edgeHub", validate_hub)):
        check_keys(modules[twin], f"modulesContent.{twin}", ["properties.desired"], ["properties.desired"])
        desired = modules[twin]["properties.desired"]
        validate(desired)
        expect(depth(desired) <= TWIN_DEPTH, f"{twin} desired properties are nested deeper than {TWIN_DEPTH} levels")
        size = len(json.dumps(desired, separators=(",", ":")).encode())
        expect(size <= DESIRED_LIMIT, f"{twin} desired properties are {size} bytes, more than {DESIRED_LIMIT}")


def depth(value):
    """Levels of objects in a JSON value (a twin allows at most 10)."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


def reported_agent(device):
    """The $edgeAgent reported properties of a device that applied its desired version."""
    desired = device["agent"]
    modules = {}
    for name, module in desired.get("modules", {}).items():
        keys = ("type", "status", "restartPolicy", "settings") + (() if OPTIONS.omit_module_version else ("version",))
        report = {key: module[key] for key in keys if key in module}
        fault = FAILING.get(name)
        if fault:
            report.update({"runtimeStatus": "backoff", "exitCode": fault["exitCode"], "lastExitTimeUtc": now(),
                           "statusDescription": fault["description"], "restartCount": 3})
        else:
            report.update({"runtimeStatus": "running", "exitCode": 0, "lastStartTimeUtc": device["started"]})
        modules[name] = report
    return {
        "schemaVersion": "1.1",
        "lastDesiredVersion": device["reported_version"],
        "lastDesiredStatus": {"code": 200, "description": ""},
        "runtime": desired.get("runtime", {}),
        "systemModules": {
            "edgeAgent": {"runtimeStatus": "running", "type": "docker"},
            "edgeHub": {"runtimeStatus": "running", "type": "docker", "status": "running", "restartPolicy": "always"},
        },
        "modules": modules,
        "$version": device["reported_version"] + 1,
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without TCP_NODELAY each answer waits out a delayed ACK (40 ms).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def answer(self, code, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def hub_error(self, code, error_code, message):
        self.answer(code, {"Message": f"ErrorCode:{error_code};{message}", "ExceptionMessage": message})

    def body(self):
        # Read before any answer: a body left unread on a keep-alive connection would be parsed as the next request.
        # One handler serves every request of a connection, so the body read is this request's only.
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def authorized(self):
        header = self.headers.get("Authorization", "")
        if not header.startswith("SharedAccessSignature "):
            return "no SharedAccessSignature"
        fields = {}
        for part in header[len("SharedAccessSignature "):].split("&"):
            key, _, value = part.partition("=")
            fields[key] = value
        if set(fields) != {"sr", "sig", "se", "skn"}:
            return "the token must have sr, sig, se and skn"
        if unquote(fields["sr"]).lower() != OPTIONS.host.lower():
            return f"the token is for {unquote(fields['sr'])}, not {OPTIONS.host}"
        if unquote(fields["skn"]) != OPTIONS.policy:
            return "unknown policy"
        try:
            expiry = int(fields["se"])
        except ValueError:
            return "se is not a number"
        if expiry <= time.time():
            return "the token has expired"
        to_sign = (fields["sr"] + "\n" + fields["se"]).encode()
        expected = base64.b64encode(hmac.new(base64.b64decode(OPTIONS.key), to_sign, hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(unquote(fields["sig"]), expected):
            return "the signature does not match"
        return None

    def handle_any(self, method):
        url = urlparse(self.path)
        body = self.body()
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        if parts and parts[0] == "_double":
            return self.control(method, parts[1:], body)
        STATS["total"] += 1
        problem = self.authorized()
        if problem:
            STATS["unauthorized"] += 1
            return self.hub_error(401, "IotHubUnauthorizedAccess", f"Unauthorized: {problem}")
        query = parse_qs(url.query)
        if query.get("api-version") != [API_VERSION]:
            return self.hub_error(400, "InvalidProtocolVersion", f"api-version must be {API_VERSION}")
        if method == "POST" and len(parts) == 3 and parts[0] == "devices" and parts[2] == "applyConfigurationContent":
            return self.apply(parts[1], body)
        if method == "GET" and len(parts) == 4 and parts[0] == "twins" and parts[2] == "modules":
            return self.twin(parts[1], parts[3])
        self.hub_error(404, "NotFound", f"{method} {url.path} is not served by this double")

    def apply(self, device_id, body):
        STATS["apply"] += 1
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            return self.hub_error(400, "ArgumentInvalid", "Content-Type must be application/json")
        try:
            content = json.loads(body)
        except ValueError as error:
            return self.hub_error(400, "ArgumentInvalid", f"the body is not JSON: {error}")
        try:
            validate_content(content)
        except Invalid as error:
            STATS["invalid"] += 1
            return self.hub_error(400, "ArgumentInvalid", str(error))
        with LOCK:
            device = DEVICES.get(device_id)
            if device is None:
                return self.hub_error(404, "DeviceNotFound", f"Device {device_id} not registered")
            modules = content["modulesContent"]
            device["agent"] = modules["$edgeAgent"]["properties.desired"]
            device["hub"] = modules["$edgeHub"]["properties.desired"]
            device["version"] += 1
            device["content"] = content
            device["reads"] = 0
            device["started"] = now()
        self.answer(204)

    def twin(self, device_id, module_id):
        STATS["twin"] += 1
        with LOCK:
            device = DEVICES.get(device_id)
            if device is None:
                return self.hub_error(404, "DeviceNotFound", f"Device {device_id} not registered")
            if module_id not in ("$edgeAgent", "$edgeHub"):
                return self.hub_error(404, "ModuleNotFound", f"Module {module_id} not found on {device_id}")
            if module_id == "$edgeAgent":
                device["reads"] += 1
                if device["reads"] > OPTIONS.report_after:
                    device["reported_version"] = device["version"]
                desired = dict(device["agent"], **{"$version": device["version"]})
                reported = reported_agent(device) if device["reported_version"] else {"$version": 1}
            else:
                desired = dict(device["hub"], **{"$version": device["version"]})
                reported = {"schemaVersion": "1.1", "lastDesiredVersion": device["version"],
                            "lastDesiredStatus": {"code": 200}, "$version": 1}
            self.answer(200, {
                "deviceId": device_id, "moduleId": module_id, "etag": f"AAAAAAAAAA{device['version']}=",
                "status": "enabled", "connectionState": "Connected", "version": device["version"] + 1,
                "properties": {"desired": desired, "reported": reported},
            })

    def control(self, method, parts, body):
        with LOCK:
            if method == "POST" and parts == ["fail"]:
                spec = json.loads(body)
                FAILING[spec["module"]] = {"exitCode": spec.get("exitCode", 1), "description": spec.get("description", "")}
                return self.answer(200, {})
            if method == "POST" and parts == ["heal"]:
                FAILING.pop(json.loads(body)["module"], None)
                return self.answer(200, {})
            if method == "GET" and len(parts) == 2 and parts[0] == "content":
                device = DEVICES.get(parts[1])
                return self.answer(200, device["content"] if device and device["content"] else {})
            if method == "GET" and parts == ["stats"]:
                return self.answer(200, dict(STATS))
        self.answer(404, {"error": "unknown control request"})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    global OPTIONS
    parser = argparse.ArgumentParser()
    parser.add_argument("--hub", required=True)
    parser.add_argument("--policy", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--device", action="append", default=[])
    parser.add_argument("--report-after", type=int, default=0)
    # Reports without the modules' `version` (the published reported-properties table does not list it).
    parser.add_argument("--omit-module-version", action="store_true")
    OPTIONS = parser.parse_args()
    OPTIONS.host = f"{OPTIONS.hub}.azure-devices.net"
    for device in OPTIONS.device:
        # A registered IoT Edge device that was never given a manifest: empty desired properties.
        DEVICES[device] = {"agent": {}, "hub": {}, "version": 1, "content": None, "reported_version": 0, "reads": 0,
                           "started": now()}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"LISTENING {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
