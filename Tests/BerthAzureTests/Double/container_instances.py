"""Microsoft.ContainerInstance/containerGroups for the ARM double (api-version 2023-05-01 shapes).

Written from the published REST specification (containerInstance.json, "Container Groups - Create Or Update",
"Get", "Restart", "Containers - List Logs"):
- PUT validates what ACI validates before it accepts a group: `location`, `properties.osType` (Linux|Windows),
  `properties.containers` (1..60, names `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$` ≤ 63, each with `image`,
  `resources.requests.cpu` and `memoryInGB` > 0, ports 1..65535, environment variables with `name` and exactly one
  of `value`/`secureValue`, volume mounts naming declared volumes), `restartPolicy` (Always|OnFailure|Never),
  `ipAddress` (`type` Public|Private, non-empty `ports`, each exposed by some container, `dnsNameLabel`
  `^[a-z][a-z0-9-]{1,61}[a-z0-9]$`), `imageRegistryCredentials` (server, username, password), `secret` volumes with
  base64 values, the group name's own pattern; answers 400 with ACI's codes.
- An image the double was told is not pullable answers 400 `InaccessibleImage`, as ACI does.
- GET returns the group as ARM does: `secureValue`s, registry passwords and secret volume values are not returned;
  once provisioned, `instanceView` says `Running` and each container's `instanceView` has `restartCount`,
  `currentState` and `events`; `ipAddress.fqdn` is `LABEL.LOCATION.azurecontainer.io`.
- A container whose image the double was told crashes ends `Terminated` with exit code 1 after start, and the group's
  state is `Running` with the container `Waiting` in `CrashLoopBackOff` (restartCount grows), its log a traceback.
- POST .../restart restarts every container (restartCount kept, state Running); GET .../containers/NAME/logs returns
  {"content": …}.
"""
import base64
import copy
import re

NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL = re.compile(r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$")

INACCESSIBLE = set()  # image references that cannot be pulled
CRASHING = set()  # image references whose entry script fails at start
FAILING = set()  # image references whose group's provisioning operation fails (quota), as a failed LRO


def fails(body):
    containers = (body.get("properties") or {}).get("containers") or []
    return any((c.get("properties") or {}).get("image") in FAILING for c in containers)


def is_group(path):
    return "/providers/microsoft.containerinstance/containergroups/" in path.lower()


def validate(name, body):
    """Returns (code, message) of the first problem ACI would report, or None."""
    if not NAME.match(name) or len(name) > 63:
        return ("ContainerGroupNameInvalid", f"The container group name '{name}' is invalid.")
    props = body.get("properties")
    if not isinstance(props, dict):
        return ("InvalidRequestContent", "The request content was invalid: properties is required.")
    if props.get("osType") not in ("Linux", "Windows"):
        return ("InvalidOsType", "The 'osType' of container group is required and must be 'Linux' or 'Windows'.")
    if props.get("restartPolicy", "Always") not in ("Always", "OnFailure", "Never"):
        return ("InvalidRestartPolicy", "The restart policy is invalid.")
    containers = props.get("containers")
    if not isinstance(containers, list) or not containers or len(containers) > 60:
        return ("InvalidContainers", "The container group must have between 1 and 60 containers.")
    volumes = {v.get("name"): v for v in props.get("volumes") or []}
    for volume in volumes.values():
        secret = volume.get("secret")
        if secret is not None:
            for key, value in secret.items():
                try:
                    base64.b64decode(value, validate=True)
                except Exception:
                    return ("InvalidSecretVolumeValue", f"The value of secret '{key}' in volume '{volume.get('name')}' is not base64.")
    exposed = set()
    names = set()
    for container in containers:
        cname = container.get("name", "")
        if not NAME.match(cname) or len(cname) > 63:
            return ("InvalidContainerName", f"The container name '{cname}' is invalid.")
        if cname in names:
            return ("DuplicateContainerName", f"Duplicate container name '{cname}'.")
        names.add(cname)
        cprops = container.get("properties") or {}
        if not cprops.get("image"):
            return ("InvalidImage", f"The image of container '{cname}' is required.")
        requests = ((cprops.get("resources") or {}).get("requests")) or {}
        cpu, memory = requests.get("cpu"), requests.get("memoryInGB")
        if not isinstance(cpu, (int, float)) or cpu <= 0 or not isinstance(memory, (int, float)) or memory <= 0:
            return ("InvalidContainerResourceRequests", f"The resource requests of container '{cname}' need cpu and memoryInGB > 0.")
        if cpu > 4 or memory > 16:
            return ("ServiceUnavailable", f"The requested resource is not available in the location: cpu {cpu}, memory {memory} GB.")
        for port in cprops.get("ports") or []:
            number = port.get("port")
            if not isinstance(number, int) or not 1 <= number <= 65535:
                return ("InvalidContainerPort", f"The port '{number}' of container '{cname}' is invalid.")
            exposed.add(number)
        for variable in cprops.get("environmentVariables") or []:
            if not variable.get("name") or (("value" in variable) == ("secureValue" in variable)):
                return ("InvalidEnvironmentVariable", f"Environment variable of container '{cname}' needs a name and exactly one of value/secureValue.")
        for mount in cprops.get("volumeMounts") or []:
            if mount.get("name") not in volumes or not mount.get("mountPath"):
                return ("InvalidVolumeMount", f"The volume mount '{mount.get('name')}' of container '{cname}' names no volume.")
    address = props.get("ipAddress")
    if address is not None:
        if address.get("type") not in ("Public", "Private"):
            return ("InvalidIpAddressType", "The IP address type must be 'Public' or 'Private'.")
        ports = address.get("ports") or []
        if not ports:
            return ("InvalidIpAddressPorts", "The ports of the IP address cannot be empty.")
        for port in ports:
            if port.get("port") not in exposed:
                return ("InvalidIpAddressPorts", f"The port '{port.get('port')}' in IP address is not exposed by any container.")
        label = address.get("dnsNameLabel")
        if label is not None and not LABEL.match(label):
            return ("InvalidDnsNameLabel", f"The DNS name label '{label}' is invalid.")
    for credential in props.get("imageRegistryCredentials") or []:
        if not credential.get("server") or not credential.get("username") or not credential.get("password"):
            return ("InvalidImageRegistryCredential", "An image registry credential needs server, username and password.")
    for container in containers:
        image = container["properties"]["image"]
        if image in INACCESSIBLE:
            return ("InaccessibleImage",
                    f"The image '{image}' in container group '{name}' is not accessible. Please check the image and registry credential.")
    return None


def started(resource, location):
    """The group once provisioned: an instance view, containers running (or crashing), an FQDN."""
    props = resource["properties"]
    props["instanceView"] = {"state": "Running", "events": []}
    for container in props["containers"]:
        image = container["properties"]["image"]
        view = container["properties"].get("instanceView") or {"restartCount": 0}
        if image in CRASHING:
            view.update({"restartCount": view.get("restartCount", 0) + 2,
                         "currentState": {"state": "Waiting", "detailStatus": "CrashLoopBackOff"},
                         "previousState": {"state": "Terminated", "exitCode": 1, "detailStatus": "Error"}})
            view["events"] = [{"count": 2, "name": "BackOff", "type": "Warning", "message": "Back-off restarting failed container"}]
        else:
            view.update({"currentState": {"state": "Running", "detailStatus": ""}})
            view["events"] = [{"count": 1, "name": "Started", "type": "Normal", "message": "Started container"}]
        container["properties"]["instanceView"] = view
    address = props.get("ipAddress")
    if address is not None:
        address["ip"] = "20.0.0.%d" % (abs(hash(resource["id"])) % 250 + 1)
        if address.get("dnsNameLabel"):
            address["fqdn"] = f"{address['dnsNameLabel']}.{location}.azurecontainer.io"


def crash(resource):
    """A container of the group stopped outside Berth (killed, out of memory)."""
    for container in resource["properties"].get("containers", []):
        view = container["properties"].setdefault("instanceView", {"restartCount": 0})
        view["restartCount"] = view.get("restartCount", 0) + 1
        view["currentState"] = {"state": "Terminated", "exitCode": 137, "detailStatus": "OOMKilled"}
    resource["properties"].setdefault("instanceView", {})["state"] = "Stopped"


def restart(resource, location):
    started(resource, location)


def logs(resource, container_name):
    for container in resource["properties"].get("containers", []):
        if container["name"] == container_name:
            if container["properties"]["image"] in CRASHING:
                return ("Traceback (most recent call last):\n  File \"/var/azureml-app/score.py\", line 5, in init\n"
                        "RuntimeError: entry script failed in init()\n")
            return "Initializing logger\nStarting up app insights client\nScoring timeout is set to 60000\n"
    return None


def as_read(resource):
    """What GET returns: secret values are write-only."""
    shown = copy.deepcopy(resource)
    props = shown.get("properties", {})
    for container in props.get("containers", []):
        for variable in container.get("properties", {}).get("environmentVariables", []) or []:
            if "secureValue" in variable:
                variable.pop("secureValue")
    for credential in props.get("imageRegistryCredentials", []) or []:
        credential.pop("password", None)
    for volume in props.get("volumes", []) or []:
        if "secret" in volume:
            volume["secret"] = {}
    return shown
