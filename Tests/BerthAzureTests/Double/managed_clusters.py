"""Managed clusters (Microsoft.ContainerService/managedClusters) for the ARM double, from the published REST
specification (stable api-versions): what a PUT must carry, what a GET returns, listClusterUserCredential.

- PUT checks: `properties.agentPoolProfiles` present, each pool named ^[a-z][a-z0-9]{0,11}$ with `vmSize`, `count`
  0..1000, `mode` System|User, `osType` Linux|Windows, at least one System pool with count >= 1; `dnsPrefix` pattern;
  `identity.type` SystemAssigned|UserAssigned|None (or a servicePrincipalProfile); `sku` Base with tier
  Free|Standard|Premium; `kubernetesVersion`, when given, one this region offers. On update: a pool's `vmSize` cannot
  change (PropertyChangeNotAllowed) and the region cannot change (LocationNotAvailableForResourceType... the real
  service answers InvalidParameter naming location).
- GET adds what the service computes: fqdn, currentKubernetesVersion, nodeResourceGroup, the kubelet identity,
  powerState, the identity's principal id.
- POST .../listClusterUserCredential answers {"kubeconfigs": [{"name": "clusterUser", "value": base64 kubeconfig}]};
  the kubeconfig points at the API server set with POST /_double/aks {"server", "token"} (the Kubernetes double).
- Outside changes: POST /_double/aks {"scale": {"path", "count"}}; {"failing": true} makes the next cluster PUT's
  operation fail.
"""
import base64
import hashlib
import re

VERSIONS = ["1.28.9", "1.29.4", "1.30.0", "1.30.3"]
DEFAULT_VERSION = "1.30.0"
KUBE = {"server": "https://127.0.0.1:1", "token": "unset"}
FAILING = set()  # "next" while the next PUT must fail
PRINCIPALS = {}  # object id -> what it is ("kubelet of NAME", "identity of NAME"): the directory's service principals


def is_cluster(key):
    parts = key.strip("/").split("/")
    return len(parts) == 8 and parts[5] == "microsoft.containerservice" and parts[6] == "managedclusters"


def validate(name, body, existing):
    """(code, message) of ARM's 400 answer, or None."""
    if not re.fullmatch(r"[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]|[a-zA-Z0-9]", name):
        return ("InvalidResourceName", f"Resource name {name} is invalid.")
    props = body.get("properties") or {}
    pools = props.get("agentPoolProfiles")
    if not isinstance(pools, list) or not pools:
        return ("InvalidParameter", "The value of parameter agentPoolProfiles is invalid: at least one agent pool is required.")
    system = 0
    for pool in pools:
        pname = pool.get("name", "")
        if not re.fullmatch(r"[a-z][a-z0-9]{0,11}", pname):
            return ("InvalidParameter", f"The value of parameter agentPoolProfile.name is invalid: '{pname}'.")
        if not pool.get("vmSize"):
            return ("InvalidParameter", f"The value of parameter agentPoolProfile.vmSize is invalid for pool '{pname}'.")
        count = pool.get("count")
        if not isinstance(count, int) or not 0 <= count <= 1000:
            return ("InvalidParameter", f"The value of parameter agentPoolProfile.count was set to {count}; it must be 0..1000.")
        if pool.get("mode", "User") not in ("System", "User"):
            return ("InvalidParameter", f"The value of parameter agentPoolProfile.mode is invalid: {pool.get('mode')}.")
        if pool.get("osType", "Linux") not in ("Linux", "Windows"):
            return ("InvalidParameter", f"The value of parameter agentPoolProfile.osType is invalid: {pool.get('osType')}.")
        if pool.get("mode") == "System" and count >= 1:
            system += 1
    if system == 0:
        return ("InvalidParameter", "A cluster needs at least one System mode agent pool with at least one node.")
    prefix = props.get("dnsPrefix")
    if prefix is not None and not re.fullmatch(r"[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,52}[a-zA-Z0-9]", prefix):
        return ("InvalidParameter", f"The value of parameter dnsPrefix is invalid: '{prefix}'.")
    identity = (body.get("identity") or {}).get("type")
    if identity is None and "servicePrincipalProfile" not in props:
        return ("InvalidParameter", "Either identity or servicePrincipalProfile must be set.")
    if identity is not None and identity not in ("SystemAssigned", "UserAssigned", "None"):
        return ("InvalidParameter", f"The value of parameter identity.type is invalid: {identity}.")
    sku = body.get("sku")
    if sku is not None and (sku.get("name") != "Base" or sku.get("tier") not in ("Free", "Standard", "Premium")):
        return ("InvalidParameter", f"The value of parameter sku is invalid: {sku}.")
    version = props.get("kubernetesVersion")
    if version is not None and version not in VERSIONS:
        return ("K8sVersionNotSupported", f"Version {version} is not supported in this region. Supported: {', '.join(VERSIONS)}.")
    if existing:
        if existing.get("location", "").lower().replace(" ", "") != body.get("location", "").lower().replace(" ", ""):
            return ("InvalidParameter", "The value of parameter location cannot be changed for an existing cluster.")
        before = {p["name"]: p for p in existing.get("properties", {}).get("agentPoolProfiles", [])}
        for pool in pools:
            old = before.get(pool["name"])
            if old and old.get("vmSize") != pool.get("vmSize"):
                return ("PropertyChangeNotAllowed", "Changing property 'vmSize' is not allowed.")
    return None


def decorate(resource, key, subscription_group):
    """Adds the read-only values the service computes (kept across updates)."""
    props = resource.setdefault("properties", {})
    name = resource["name"]
    group = subscription_group
    digest = hashlib.sha256(key.encode()).hexdigest()
    location = resource.get("location", "")
    props["fqdn"] = f"{props.get('dnsPrefix', name)}-{digest[:8]}.hcp.{location}.azmk8s.io"
    props["currentKubernetesVersion"] = props.get("kubernetesVersion") or DEFAULT_VERSION
    props.setdefault("kubernetesVersion", props["currentKubernetesVersion"])
    props["nodeResourceGroup"] = f"MC_{group}_{name}_{location}"
    props["powerState"] = {"code": "Running"}
    props["identityProfile"] = {"kubeletidentity": {
        "resourceId": f"/subscriptions/x/resourceGroups/{props['nodeResourceGroup']}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}-agentpool",
        "clientId": digest[8:16] + "-client", "objectId": digest[16:24] + "-object"}}
    PRINCIPALS[digest[16:24] + "-object"] = f"kubelet of {name}"
    if (resource.get("identity") or {}).get("type") == "SystemAssigned":
        resource["identity"]["principalId"] = digest[24:32] + "-principal"
        PRINCIPALS[digest[24:32] + "-principal"] = f"identity of {name}"
        resource["identity"]["tenantId"] = "7f1c1a8e-tenant"


def take_failure():
    if "next" in FAILING:
        FAILING.discard("next")
        return True
    return False


def credential(cluster):
    name = cluster["name"]
    kubeconfig = (
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {name}\n  cluster:\n    server: {KUBE['server']}\n"
        f"contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: clusterUser_{name}\n"
        f"current-context: {name}\n"
        f"users:\n- name: clusterUser_{name}\n  user:\n    token: {KUBE['token']}\n")
    return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(kubeconfig.encode()).decode()}]}


def scale(cluster, count):
    for pool in cluster.get("properties", {}).get("agentPoolProfiles", []):
        if pool.get("mode") == "System":
            pool["count"] = count
            return True
    return False
