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
- discovery (/version, /api, /apis, /api/v1, /apis/G/V) so that kubectl can be pointed at it;
- batch/v1 Jobs with the job controller (see below).

Jobs. An applied Job is validated (strict schema, then the API server's own Job rules: restartPolicy OnFailure or
Never, completions required when Indexed, backoffLimitPerIndex and maxFailedIndexes only when Indexed, ...) and
defaulted as the API server does (parallelism 1, backoffLimit 6 or 2147483647 with backoffLimitPerIndex,
completionMode NonIndexed, suspend false, podReplacementPolicy, the generated selector
`batch.kubernetes.io/controller-uid=<uid>` and the template labels `batch.kubernetes.io/controller-uid`,
`controller-uid`, `batch.kubernetes.io/job-name`, `job-name`). On re-apply `spec.template` (unless the Job is suspended
and never started: then labels, annotations, nodeSelector, tolerations, schedulingGates, node affinity may change),
`completionMode`, `backoffLimitPerIndex`, `podFailurePolicy` and `completions` (except for an Indexed Job changed in
tandem with parallelism) are immutable: 422 `Job.batch "NAME" is invalid: spec.template: Invalid value: <the new
template as JSON>: field is immutable`. `suspend` and `parallelism` may change.
The job controller runs synchronously (after an apply, after a pod finishes or is deleted, on every read of the Job):
it keeps up to `parallelism` pods active; an Indexed Job's pods take the lowest indexes that are neither completed,
failed for good nor active, named `<job>-<index>-<5 chars>` (the API server's generateName alphabet), with the index
in the label and annotation `batch.kubernetes.io/job-completion-index`, `JOB_COMPLETION_INDEX` from that label in
every container's env, hostname `<job>-<index>`, the `batch.kubernetes.io/job-tracking` finalizer until the pod is
counted, and an ownerReference to the Job; a NonIndexed Job's pods (`<job>-<5 chars>`) count anonymously. Failures:
with backoffLimitPerIndex an index whose failed pods exceed it is failed for good (`status.failedIndexes`), else it is
retried at once (no back-off delay); failed pods past backoffLimit (restarts of active pods, for restartPolicy
OnFailure) fail the Job (BackoffLimitExceeded); also DeadlineExceeded (activeDeadlineSeconds), MaxFailedIndexesExceeded,
FailedIndexes (every index completed or failed for good, at least one failed). A Job that fails deletes its active
pods (counted as failed). Status as the API serializes it: `active`, `succeeded` (completed indexes for Indexed),
`failed` (failed pods) are left out when 0; `ready`, `terminating` (0: pods go at once), `startTime`,
`completionTime`, `completedIndexes` and `failedIndexes` in the interval format ("1,3-5,7": runs of three or more as
`first-last`, a run of two as "7,8"), `uncountedTerminatedPods: {}`; conditions with lastProbeTime/lastTransitionTime:
before 1.31 (--kube-version) just `Complete` (no reason or message, as then) or `Failed` (reason, message); from 1.31
the interim `SuccessCriteriaMet`/`FailureTarget` first, then `Complete` (reason CompletionsReached, message "Reached
expected number of succeeded pods") or `Failed`; `Suspended` True/False for suspend/resume; job-controller Events
(SuccessfulCreate, SuccessfulDelete, Completed, the failure reason). The Job's resourceVersion moves when its status
changes. DELETE of a Job: Background and Foreground delete its pods too, Orphan (the API server's default for Jobs, with
its Warning header) leaves them without the ownerReference. Jobs stored through /_double/seed are left alone.

There is no kubelet: a test plays it.
- GET /_double/pending-pods: a JSON list of the Pending pods of all namespaces (in creation order, as they were), each
  of which is switched to Running (status.startTime, Ready conditions, running containerStatuses), so it is handed out
  once;
- POST /_double/pod-finished with {"namespace": NS, "name": POD, "exitCode": INT, "log": TEXT, "reason": optional}:
  the pod (Pending or Running, else 409; 404 when unknown) becomes Succeeded (exitCode 0) or Failed, every container
  terminated (the first with exitCode and reason "Completed"/"Error" or the one given), the log kept as the first
  container's; with restartPolicy OnFailure a failure restarts the container instead (restartCount, lastState; the
  log becomes the `previous=true` one). Then the job controller runs. Answers the pod.
GET pods/NAME/log answers a stored log (tailLines when given, else all of it; 400 for a container not in the pod), and
for a pod without one the canned traceback below; a Job's pod without a stored log answers 400 "waiting to start"
while Pending and an empty log while Running.

Usage: kube_double.py [--kube-version 1.30.0] [--token TOKEN] [--no-validate] [--tls-cert PEM --tls-key PEM
[--client-ca PEM]]; prints "LISTENING <port>".
"""
import argparse
import base64
import copy
import json
import random
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
    "jobs": ("batch/v1", "Job", True),
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
JOBS = {}  # job key -> the job controller's bookkeeping (see new_job_state)
LOGS = {}  # pod key -> {"current": text, "previous": text or None}, from /_double/pod-finished


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
    for pkey in [k for k in STORE if k[0] == "pods" and k[1] == namespace and k[2].startswith(name + "-")
                 and not owned_by_job(STORE[k])]:
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


# --- batch/v1 Jobs: defaulting, validation, and the job controller ---------------------------------------------------

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
INDEX_FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count"
GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the API server's generateName suffix characters
ORPHAN_WARNING = ('299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background '
                  'to remove them or set propagationPolicy=Orphan to suppress this warning"')


def kube_minor():
    try:
        return int(OPTIONS.kube_version.split(".")[1])
    except (IndexError, ValueError):
        return 30


def index_intervals(indexes):
    """Kubernetes' interval text for completion indexes: "1,3-5,7" (a run of two is written "7,8")."""
    parts = []
    ordered = sorted(set(indexes))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        first, last = ordered[i], ordered[j]
        parts.append(str(first) if first == last else f"{first},{last}" if last == first + 1 else f"{first}-{last}")
        i = j + 1
    return ",".join(parts)


def default_job(obj, name, uid):
    """The Job as the API server stores it: SetDefaults_Job and the generated selector and template labels."""
    job = copy.deepcopy(obj)
    spec = job.setdefault("spec", {})
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6
    if spec.get("completionMode") is None:
        spec["completionMode"] = "NonIndexed"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("podReplacementPolicy") is None and kube_minor() >= 29:
        spec["podReplacementPolicy"] = "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed"
    template = spec.get("template")
    if not isinstance(template, dict):
        template = spec["template"] = {}
    tmeta = template.get("metadata")
    if not isinstance(tmeta, dict):
        tmeta = template["metadata"] = {}
    if not spec.get("manualSelector"):
        labels = tmeta.get("labels")
        if not isinstance(labels, dict):
            labels = tmeta["labels"] = {}
        for label, value in (("job-name", name), ("batch.kubernetes.io/job-name", name), ("controller-uid", uid),
                             ("batch.kubernetes.io/controller-uid", uid)):
            labels.setdefault(label, value)
        selector = spec.get("selector")
        if not isinstance(selector, dict):
            selector = spec["selector"] = {}
        if not isinstance(selector.get("matchLabels"), dict):
            selector["matchLabels"] = {}
        selector["matchLabels"].setdefault("batch.kubernetes.io/controller-uid", uid)
    meta = job.setdefault("metadata", {})
    if not meta.get("labels") and tmeta.get("labels"):
        meta["labels"] = dict(tmeta["labels"])
    return job


def go_value(value):
    """A bad value as a field error prints it (structs as JSON here, where Go prints %#v)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def field_error(type_, path, value=None, detail=""):
    """(text, cause) of an apimachinery field error."""
    if type_ == "Invalid":
        body = f"Invalid value: {go_value(value)}" + (f": {detail}" if detail else "")
        reason = "FieldValueInvalid"
    elif type_ == "Required":
        body = "Required value" + (f": {detail}" if detail else "")
        reason = "FieldValueRequired"
    elif type_ == "NotSupported":
        body = f"Unsupported value: {go_value(value)}: supported values: " + ", ".join(json.dumps(v) for v in detail)
        reason = "FieldValueNotSupported"
    else:
        body = "Forbidden" + (f": {detail}" if detail else "")
        reason = "FieldValueForbidden"
    return f"{path}: {body}", {"reason": reason, "message": body, "field": path}


def job_errors(spec):
    """The API server's validateJobSpec rules that a schema cannot express (defaulted spec)."""
    errors = []
    for field in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "backoffLimitPerIndex",
                  "maxFailedIndexes"):
        if isinstance(spec.get(field), int) and spec[field] < 0:
            errors.append(field_error("Invalid", f"spec.{field}", spec[field], "must be greater than or equal to 0"))
    if spec.get("maxFailedIndexes") is not None and spec.get("backoffLimitPerIndex") is None:
        errors.append(field_error("Required", "spec.backoffLimitPerIndex", detail="when maxFailedIndexes is specified"))
    mode = spec.get("completionMode")
    if mode not in ("NonIndexed", "Indexed"):
        errors.append(field_error("NotSupported", "spec.completionMode", mode, ["NonIndexed", "Indexed"]))
    if mode == "Indexed":
        if spec.get("completions") is None:
            errors.append(field_error("Required", "spec.completions", detail="when completion mode is Indexed"))
        if (spec.get("parallelism") or 0) > 100000:
            errors.append(field_error("Invalid", "spec.parallelism", spec["parallelism"],
                                      "must be less than or equal to 100000 when completion mode is Indexed"))
        if spec.get("completions") is not None and spec.get("maxFailedIndexes") is not None \
                and spec["maxFailedIndexes"] > spec["completions"]:
            errors.append(field_error("Invalid", "spec.maxFailedIndexes", spec["maxFailedIndexes"],
                                      "must be less than or equal to completions"))
    else:
        for field in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(field) is not None:
                errors.append(field_error("Invalid", f"spec.{field}", spec[field], "requires indexed completion mode"))
    policy = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") or ""
    if policy in ("", "Always"):
        errors.append(field_error("Required", "spec.template.spec.restartPolicy", detail='valid values: "OnFailure", "Never"'))
    elif policy not in ("OnFailure", "Never"):
        errors.append(field_error("NotSupported", "spec.template.spec.restartPolicy", policy, ["OnFailure", "Never"]))
    elif spec.get("podFailurePolicy") is not None and policy != "Never":
        errors.append(field_error("Invalid", "spec.template.spec.restartPolicy", policy,
                                  'only "Never" is supported when podFailurePolicy is specified'))
    return errors


def job_update_errors(new, old):
    """ValidateJobSpecUpdate: what may not change on an existing Job (defaulted specs)."""
    spec, old_spec = new["spec"], old.get("spec", {})
    errors = []
    if spec.get("completions") != old_spec.get("completions"):
        if spec.get("completionMode") != "Indexed":
            errors.append(field_error("Invalid", "spec.completions", spec.get("completions"), "field is immutable"))
        elif spec.get("completions") is not None and spec.get("completions") != spec.get("parallelism"):
            errors.append(field_error("Invalid", "spec.completions", spec["completions"],
                                      "can only be modified in tandem with spec.parallelism"))
    if spec.get("selector") != old_spec.get("selector"):
        errors.append(field_error("Invalid", "spec.selector", spec.get("selector"), "field is immutable"))
    template, old_template = spec.get("template"), copy.deepcopy(old_spec.get("template") or {})
    if old_spec.get("suspend") and not (old.get("status") or {}).get("startTime"):
        # A suspended Job that never started may change its scheduling directives.
        tmeta, ometa = template.get("metadata") or {}, old_template.setdefault("metadata", {})
        for field in ("labels", "annotations"):
            ometa.pop(field, None)
            if field in tmeta:
                ometa[field] = tmeta[field]
        tspec, ospec = template.get("spec") or {}, old_template.setdefault("spec", {})
        for field in ("nodeSelector", "tolerations", "schedulingGates"):
            ospec.pop(field, None)
            if field in tspec:
                ospec[field] = tspec[field]
        affinity, old_affinity = tspec.get("affinity"), ospec.get("affinity")
        if isinstance(old_affinity, dict):
            old_affinity.pop("nodeAffinity", None)
            if isinstance(affinity, dict) and "nodeAffinity" in affinity:
                old_affinity["nodeAffinity"] = affinity["nodeAffinity"]
            if not old_affinity and not affinity:
                ospec.pop("affinity")
        elif isinstance(affinity, dict) and "nodeAffinity" in affinity:
            ospec["affinity"] = {"nodeAffinity": affinity["nodeAffinity"]}
    if template != old_template:
        errors.append(field_error("Invalid", "spec.template", template, "field is immutable"))
    for field in ("completionMode", "podFailurePolicy", "backoffLimitPerIndex"):
        if spec.get(field) != old_spec.get(field):
            errors.append(field_error("Invalid", f"spec.{field}", spec.get(field), "field is immutable"))
    return errors


def job_invalid(name, errors):
    texts = [text for text, _ in errors]
    message = f'Job.batch "{name}" is invalid: ' + (texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]")
    return status(422, "Invalid", message, {"name": name, "group": "batch", "kind": "Job",
                                            "causes": [cause for _, cause in errors]})


def new_job_state(uid):
    return {"uid": uid, "pods": set(), "succeeded_indexes": set(), "succeeded_pods": 0, "failed": 0,
            "index_failures": Counter(), "failed_indexes": set(), "finished": False}


def job_owner(pod):
    """The key of the Job that controls a pod, or None."""
    for ref in pod.get("metadata", {}).get("ownerReferences", []) or []:
        if ref.get("kind") == "Job" and ref.get("controller"):
            key = ("jobs", pod["metadata"].get("namespace", ""), ref.get("name"))
            if (STORE.get(key) or {}).get("metadata", {}).get("uid") == ref.get("uid"):
                return key
    return None


def owned_by_job(pod):
    return any(ref.get("kind") == "Job" for ref in pod.get("metadata", {}).get("ownerReferences", []) or [])


def pod_index(pod):
    try:
        return int((pod["metadata"].get("annotations") or {})[COMPLETION_INDEX])
    except (KeyError, ValueError):
        return None


def pod_ready(pod):
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in pod.get("status", {}).get("conditions", []))


def record_event(namespace, involved, type_, reason, message):
    ename = f"{involved['name']}.{uuid.uuid4().hex[:16]}"
    stamp = now()
    STORE[("events", namespace, ename)] = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": ename, "namespace": namespace, "uid": str(uuid.uuid4()), "resourceVersion": next_rv(),
                     "creationTimestamp": stamp},
        "involvedObject": {**involved, "namespace": namespace},
        "type": type_, "reason": reason, "message": message, "count": 1, "firstTimestamp": stamp, "lastTimestamp": stamp,
        "source": {"component": "job-controller"}, "reportingComponent": "job-controller", "reportingInstance": "",
    }


def remove_pod(key):
    STORE.pop(key, None)
    LOGS.pop(key, None)
    DELETING.pop(key, None)


def create_job_pod(key, job, state, index):
    namespace, job_name = key[1], key[2]
    spec = job["spec"]
    template = spec.get("template") or {}
    tmeta = template.get("metadata") or {}
    labels = dict(tmeta.get("labels") or {})
    annotations = dict(tmeta.get("annotations") or {})
    pod_spec = copy.deepcopy(template.get("spec") or {})
    generate_name = f"{job_name}-" if index is None else f"{job_name}-{index}-"
    if index is not None:
        annotations[COMPLETION_INDEX] = str(index)
        if kube_minor() >= 28:  # PodIndexLabel
            labels[COMPLETION_INDEX] = str(index)
        if spec.get("backoffLimitPerIndex") is not None:
            annotations[INDEX_FAILURE_COUNT] = str(state["index_failures"][index])
        pod_spec["hostname"] = f"{job_name}-{index}"
        where = f"metadata.labels['{COMPLETION_INDEX}']" if kube_minor() >= 28 else f"metadata.annotations['{COMPLETION_INDEX}']"
        for container in (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or []):
            env = container.get("env") or []
            if not any(e.get("name") == "JOB_COMPLETION_INDEX" for e in env):
                # apiVersion v1: the API server's defaulting of a fieldRef, as a read of the pod shows it.
                env.append({"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": where}}})
            container["env"] = env
    while True:
        name = generate_name + "".join(random.choice(GENERATE_NAME_ALPHABET) for _ in range(5))
        if ("pods", namespace, name) not in STORE:
            break
    metadata = {"name": name, "generateName": generate_name, "namespace": namespace, "labels": labels,
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job_name, "uid": state["uid"],
                                     "controller": True, "blockOwnerDeletion": True}],
                "finalizers": [TRACKING_FINALIZER], "uid": str(uuid.uuid4()), "resourceVersion": next_rv(),
                "creationTimestamp": now()}
    if annotations:
        metadata["annotations"] = annotations
    pkey = ("pods", namespace, name)
    STORE[pkey] = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec, "status": {"phase": "Pending"}}
    state["pods"].add(pkey)
    return name


def ensure_condition(conditions, type_, status_, reason, message, stamp):
    """ensureJobConditionStatus: whether the conditions changed."""
    for condition in conditions:
        if condition.get("type") == type_:
            if condition.get("status") == status_:
                return False
            condition.update({"status": status_, "lastProbeTime": stamp, "lastTransitionTime": stamp})
            for field, value in (("reason", reason), ("message", message)):
                if value:
                    condition[field] = value
                else:
                    condition.pop(field, None)
            return True
    if status_ != "True":
        return False
    condition = {"type": type_, "status": status_, "lastProbeTime": stamp, "lastTransitionTime": stamp}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    conditions.append(condition)
    return True


def parse_time(text):
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return None


def sync_job(key):
    """One pass of the job controller over the Job at `key` (its pods, its status, its conditions)."""
    job = STORE.get(key)
    state = JOBS.get(key)
    if job is None or state is None or state["uid"] != job["metadata"].get("uid"):
        return
    if state["finished"] or job["metadata"].get("deletionTimestamp"):
        return
    namespace, name = key[1], key[2]
    involved = {"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": state["uid"]}
    spec = job.get("spec", {})
    old_status = job.get("status") or {}
    status_ = copy.deepcopy(old_status)
    indexed = spec.get("completionMode") == "Indexed"
    completions = spec.get("completions")
    parallelism = spec.get("parallelism", 1)
    per_index = spec.get("backoffLimitPerIndex") if indexed else None
    suspended = bool(spec.get("suspend"))
    stamp = now()

    state["pods"] = {k for k in state["pods"] if k in STORE and job_owner(STORE[k]) == key}
    pods = [STORE[k] for k in sorted(state["pods"])]
    # Finished pods that still carry the tracking finalizer are counted once, and lose it.
    for pod in pods:
        phase = pod.get("status", {}).get("phase")
        finalizers = pod["metadata"].get("finalizers") or []
        if phase not in ("Succeeded", "Failed") or TRACKING_FINALIZER not in finalizers:
            continue
        index = pod_index(pod)
        if phase == "Succeeded":
            if not indexed:
                state["succeeded_pods"] += 1
            elif index is not None and index < (completions or 0):
                state["succeeded_indexes"].add(index)
        else:
            state["failed"] += 1
            if indexed and index is not None:
                state["index_failures"][index] += 1
                if per_index is not None and state["index_failures"][index] > per_index:
                    state["failed_indexes"].add(index)
        pod["metadata"]["finalizers"] = [f for f in finalizers if f != TRACKING_FINALIZER]
        if not pod["metadata"]["finalizers"]:
            del pod["metadata"]["finalizers"]
        pod["metadata"]["resourceVersion"] = next_rv()
    active = [p for p in pods if p.get("status", {}).get("phase") in ("Pending", "Running")]

    if status_.get("startTime") is None and not suspended:
        status_["startTime"] = stamp
    if indexed:
        succeeded = len({i for i in state["succeeded_indexes"] if i < (completions or 0)})
    else:
        succeeded = state["succeeded_pods"]

    finished = None  # (condition type, reason, message)
    restarts = sum(c.get("restartCount", 0) for p in active for c in p.get("status", {}).get("containerStatuses", []))
    backoff_limit = spec.get("backoffLimit", 6)
    on_failure = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") == "OnFailure"
    started = parse_time(status_.get("startTime"))
    if state["failed"] > backoff_limit or (on_failure and (restarts > 0 if backoff_limit == 0 else restarts >= backoff_limit)):
        finished = ("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
    elif spec.get("activeDeadlineSeconds") is not None and started is not None and not suspended \
            and (datetime.now(timezone.utc) - started).total_seconds() >= spec["activeDeadlineSeconds"]:
        finished = ("Failed", "DeadlineExceeded", "Job was active longer than specified deadline")
    if finished is None and per_index is not None:
        failed_indexes = len(state["failed_indexes"])
        if spec.get("maxFailedIndexes") is not None and failed_indexes > spec["maxFailedIndexes"]:
            finished = ("Failed", "MaxFailedIndexesExceeded", "Job has exceeded the specified maximal number of failed indexes")
        elif failed_indexes > 0 and failed_indexes + succeeded >= (completions or 0):
            finished = ("Failed", "FailedIndexes", "Job has failed indexes")

    if finished is not None:
        # The controller deletes the active pods of a failed Job; they count as failed.
        for pod in active:
            state["failed"] += 1
            remove_pod(("pods", namespace, pod["metadata"]["name"]))
            record_event(namespace, involved, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
        active = []
    else:
        if suspended:
            # Pods of a suspended Job are deleted without counting as failed.
            for pod in active:
                remove_pod(("pods", namespace, pod["metadata"]["name"]))
                record_event(namespace, involved, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
            active = []
        else:
            if completions is None:
                want = len(active) if succeeded > 0 else parallelism
            else:
                want = max(0, min(parallelism, completions - succeeded))
            # Too many pods (or, Indexed, duplicate or out-of-range indexes): delete, and create nothing this pass.
            remove, seen = [], set()
            if indexed:
                for pod in sorted(active, key=lambda p: p["metadata"]["creationTimestamp"]):
                    index = pod_index(pod)
                    if index is None or index >= (completions or 0) or index in seen:
                        remove.append(pod)
                    else:
                        seen.add(index)
            left = [p for p in active if all(p is not r for r in remove)]
            excess = len(left) - want
            if excess > 0:
                left.sort(key=lambda p: (pod_ready(p), p.get("status", {}).get("phase") == "Running", -(pod_index(p) or 0)))
                remove += left[:excess]
            if remove:
                for pod in remove:
                    remove_pod(("pods", namespace, pod["metadata"]["name"]))
                    record_event(namespace, involved, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
                active = [p for p in active if all(p is not r for r in remove)]
            elif want > len(active):
                if indexed:
                    taken = {pod_index(p) for p in active}
                    free = [i for i in range(completions or 0) if i not in state["succeeded_indexes"]
                            and i not in state["failed_indexes"] and i not in taken]
                    new_indexes = free[:want - len(active)]
                else:
                    new_indexes = [None] * (want - len(active))
                for index in new_indexes:
                    pod_name = create_job_pod(key, job, state, index)
                    active.append(STORE[("pods", namespace, pod_name)])
                    record_event(namespace, involved, "Normal", "SuccessfulCreate", f"Created pod: {pod_name}")
        if completions is None:
            complete = succeeded > 0 and not active
        else:
            complete = succeeded >= completions and not active
        conditions = status_.setdefault("conditions", [])
        if complete:
            finished = ("Complete", "CompletionsReached", "Reached expected number of succeeded pods")
        elif suspended:
            if ensure_condition(conditions, "Suspended", "True", "JobSuspended", "Job suspended", stamp):
                record_event(namespace, involved, "Normal", "Suspended", "Job suspended")
        elif ensure_condition(conditions, "Suspended", "False", "JobResumed", "Job resumed", stamp):
            record_event(namespace, involved, "Normal", "Resumed", "Job resumed")
            status_["startTime"] = stamp  # a resumed Job starts its clock again
        if not conditions:
            del status_["conditions"]

    for field, value in (("active", len(active)), ("succeeded", succeeded), ("failed", state["failed"])):
        if value:
            status_[field] = value
        else:
            status_.pop(field, None)
    status_["ready"] = sum(1 for p in active if pod_ready(p))
    if kube_minor() >= 29:  # JobPodReplacementPolicy: terminating pods are tracked (none here: pods go at once)
        status_["terminating"] = 0
    if indexed and state["succeeded_indexes"]:
        status_["completedIndexes"] = index_intervals(i for i in state["succeeded_indexes"] if i < (completions or 0))
    else:
        status_.pop("completedIndexes", None)
    if per_index is not None:
        status_["failedIndexes"] = index_intervals(state["failed_indexes"])
    status_["uncountedTerminatedPods"] = {}
    if finished is not None:
        type_, reason, message = finished
        conditions = status_.setdefault("conditions", [])
        if kube_minor() >= 31:
            # The interim condition first; the terminal one once no pod is terminating (at once here).
            interim = "SuccessCriteriaMet" if type_ == "Complete" else "FailureTarget"
            ensure_condition(conditions, interim, "True", reason, message, stamp)
        elif type_ == "Complete":
            reason = message = ""  # before 1.31 the Complete condition has neither
        ensure_condition(conditions, type_, "True", reason, message, stamp)
        if type_ == "Complete":
            status_["completionTime"] = stamp
            record_event(namespace, involved, "Normal", "Completed", "Job completed")
        else:
            record_event(namespace, involved, "Warning", reason, message)
        state["finished"] = True
    if status_ != old_status:
        job["status"] = status_
        job["metadata"]["resourceVersion"] = next_rv()


def start_pod(pod):
    """What a kubelet does to a pod it starts: Running, ready, its containers running."""
    stamp = now()
    pod_status = pod.setdefault("status", {})
    pod_status.update({
        "phase": "Running", "startTime": stamp,
        "conditions": [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": stamp}
                       for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")],
        "containerStatuses": [{"name": c.get("name", ""), "image": c.get("image", ""), "imageID": "", "ready": True,
                               "started": True, "restartCount": 0, "state": {"running": {"startedAt": stamp}}}
                              for c in pod.get("spec", {}).get("containers") or []],
    })
    pod["metadata"]["resourceVersion"] = next_rv()


def finish_pod(key, pod, exit_code, log, reason, killed=False):
    """A pod's main container exits: the pod terminates (or, restartPolicy OnFailure and a failure, restarts it)."""
    stamp = now()
    pod_status = pod.setdefault("status", {})
    containers = pod.get("spec", {}).get("containers") or [{}]
    started = pod_status.get("startTime") or stamp
    pod_status.setdefault("startTime", started)
    statuses = pod_status.get("containerStatuses") or []
    first = statuses[0] if statuses else {}
    terminated = {"exitCode": exit_code, "reason": reason or ("Completed" if exit_code == 0 else "Error"),
                  "startedAt": (first.get("state", {}).get("running") or {}).get("startedAt", started), "finishedAt": stamp}
    if exit_code != 0 and pod.get("spec", {}).get("restartPolicy") == "OnFailure" and not killed:
        if not statuses:
            start_pod(pod)
            statuses = pod_status["containerStatuses"]
        statuses[0].update({"restartCount": statuses[0].get("restartCount", 0) + 1, "lastState": {"terminated": terminated},
                            "state": {"running": {"startedAt": stamp}}})
        LOGS[key] = {"current": "", "previous": log}
    else:
        pod_status["phase"] = "Succeeded" if exit_code == 0 else "Failed"
        pod_status["conditions"] = [
            {"type": t, "status": "False" if t in ("Ready", "ContainersReady", "PodReadyToStartContainers") else "True",
             "lastProbeTime": None, "lastTransitionTime": stamp, **({"reason": "PodCompleted"} if t in ("Ready", "ContainersReady") else {})}
            for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")]
        new_statuses = []
        for i, container in enumerate(containers):
            previous = statuses[i] if i < len(statuses) else {}
            state_ = terminated if i == 0 else {**terminated, "exitCode": 0, "reason": "Completed"}
            new_statuses.append({"name": container.get("name", ""), "image": container.get("image", ""), "imageID": "",
                                 "ready": False, "started": False, "restartCount": previous.get("restartCount", 0),
                                 "state": {"terminated": state_}, **({"lastState": previous["lastState"]} if "lastState" in previous else {})})
        pod_status["containerStatuses"] = new_statuses
        LOGS[key] = {"current": log, "previous": (LOGS.get(key) or {}).get("previous")}
    pod["metadata"]["resourceVersion"] = next_rv()


def pod_log(pod, stored, query):
    """A stored log as GET pods/NAME/log answers it, or the answer for a Job's pod that has none yet."""
    name = pod["metadata"]["name"]
    spec = pod.get("spec", {})
    containers = [c.get("name", "") for c in spec.get("containers") or []]
    container = query.get("container", [None])[0]
    if container is None:
        if len(containers) > 1:
            return status(400, "BadRequest", f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]")
        container = containers[0] if containers else ""
    elif container not in containers + [c.get("name", "") for c in spec.get("initContainers") or []]:
        return status(400, "BadRequest", f"container {container} is not valid for pod {name}")
    main = bool(containers) and container == containers[0]
    if query.get("previous", ["false"])[0] == "true":
        text = (stored or {}).get("previous") if main else None
        if text is None:
            return status(400, "BadRequest", f'previous terminated container "{container}" in pod "{name}" not found')
    else:
        if stored is None and pod.get("status", {}).get("phase") == "Pending":
            return status(400, "BadRequest", f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating')
        text = (stored or {}).get("current", "") if main else ""
    if "tailLines" in query:
        try:
            tail = int(query["tailLines"][0])
        except ValueError:
            return status(400, "BadRequest", "tailLines must be an integer")
        text = "".join(text.splitlines(keepends=True)[-tail:]) if tail > 0 else ""
    return 200, text, "text/plain"


def delete_job_pods(job_key, uid, policy):
    """The garbage collector's part of deleting a Job: its pods go (Background, Foreground) or lose the owner (Orphan)."""
    for pkey in [k for k in STORE if k[0] == "pods" and k[1] == job_key[1]]:
        pod = STORE[pkey]
        refs = pod["metadata"].get("ownerReferences") or []
        if not any(ref.get("uid") == uid for ref in refs):
            continue
        if policy == "Orphan":
            pod["metadata"]["ownerReferences"] = [ref for ref in refs if ref.get("uid") != uid]
            if not pod["metadata"]["ownerReferences"]:
                del pod["metadata"]["ownerReferences"]
            finalizers = [f for f in pod["metadata"].get("finalizers") or [] if f != TRACKING_FINALIZER]
            pod["metadata"].pop("finalizers", None)
            if finalizers:
                pod["metadata"]["finalizers"] = finalizers
            pod["metadata"]["resourceVersion"] = next_rv()
        else:
            remove_pod(pkey)


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
    if key[0] == "jobs":
        sync_job(key)
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
    if plural == "jobs":
        # Defaulted as the API server stores it (an existing Job keeps its uid, so its generated selector and labels).
        job_uid = existing["metadata"]["uid"] if existing is not None else str(uuid.uuid4())
        obj = default_job(obj, name, job_uid)
    if existing is not None:
        owners = {m["manager"] for m in existing["metadata"].get("managedFields", [])}
        others = owners - {manager}
        if others and not force:
            return status(409, "Conflict", f'Apply failed with 1 conflict: conflict with "{sorted(others)[0]}": .spec', {"name": name, "kind": plural})
        if plural == "deployments" and existing.get("spec", {}).get("selector") != obj.get("spec", {}).get("selector"):
            return status(422, "Invalid", f'Deployment.apps "{name}" is invalid: spec.selector: Invalid value: field is immutable', {"name": name, "kind": kind})
        if plural == "jobs":
            errors = job_errors(obj["spec"]) + job_update_errors(obj, existing)
            if errors:
                return job_invalid(name, errors)
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
        if plural == "jobs":
            errors = job_errors(obj["spec"])
            if errors:
                return job_invalid(name, errors)
        new = copy.deepcopy(obj)
        new["metadata"].update({"uid": job_uid if plural == "jobs" else str(uuid.uuid4()), "creationTimestamp": now(),
                                "generation": 1})
        if plural == "jobs":
            new["status"] = {}
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
    if plural == "jobs":
        # The answer is the object as written; the job controller then works on it (and moves its resourceVersion).
        answer = copy.deepcopy(new)
        if existing is None or key not in JOBS:
            JOBS[key] = new_job_state(new["metadata"]["uid"])
        sync_job(key)
        return 200, answer
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

    def answer(self, code, body, content_type="application/json", headers=None):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        for header, value in (headers or {}).items():
            self.send_header(header, value)
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
                stored = LOGS.get(key)
                if stored is not None or owned_by_job(pod):
                    return self.answer(*pod_log(pod, stored, query))
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
                # batch/v1 Jobs orphan their pods unless told otherwise (and the API server warns about it).
                warning = {"Warning": ORPHAN_WARNING} if plural == "jobs" and "propagationPolicy" not in query else None
                policy = query.get("propagationPolicy", ["Orphan" if plural == "jobs" else "Background"])[0]
                if policy not in ("Foreground", "Background", "Orphan"):
                    return self.answer(*status(400, "BadRequest", f"unknown propagationPolicy {policy}"))
                owner = job_owner(obj) if plural == "pods" else None
                if owner is not None and obj.get("status", {}).get("phase") in ("Pending", "Running") \
                        and TRACKING_FINALIZER in (obj["metadata"].get("finalizers") or []):
                    # A Job's pod deleted while it runs is killed: it fails, the job controller counts it (and
                    # replaces it) before it goes.
                    finish_pod(key, obj, 137, (LOGS.get(key) or {}).get("current", ""), "Error", killed=True)
                    sync_job(owner)
                if plural == "pods":
                    LOGS.pop(key, None)
                if policy == "Foreground":
                    obj["metadata"]["deletionTimestamp"] = now()
                    obj["metadata"]["finalizers"] = ["foregroundDeletion"]
                    DELETING[key] = 1
                else:
                    del STORE[key]
                if plural == "deployments":
                    for pkey in [k for k in STORE if k[0] == "pods" and k[1] == key[1] and k[2].startswith(name + "-")
                                 and not owned_by_job(STORE[k])]:
                        del STORE[pkey]
                if plural == "jobs":
                    delete_job_pods(key, obj["metadata"]["uid"], policy)
                    JOBS.pop(key, None)
                if owner is not None:
                    sync_job(owner)
                return self.answer(200, obj, headers=warning)
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
            if path == "/_double/pending-pods":
                # The kubelet's part: every Pending pod starts (and is handed out once).
                keys = sorted((k for k, o in STORE.items() if k[0] == "pods" and o.get("status", {}).get("phase") == "Pending"),
                              key=lambda k: int(STORE[k]["metadata"].get("resourceVersion") or 0))
                handed, owners = [], set()
                for key in keys:
                    pod = STORE[key]
                    handed.append(copy.deepcopy(pod))
                    start_pod(pod)
                    owners.add(job_owner(pod))
                for owner in sorted(o for o in owners if o is not None):
                    sync_job(owner)
                return self.answer(200, handed)
            if path == "/_double/pod-finished":
                try:
                    report = json.loads(body or "{}")
                    key = ("pods", str(report["namespace"]), str(report["name"]))
                    exit_code = int(report["exitCode"])
                    log = str(report.get("log") or "")
                    reason = report.get("reason")
                except (ValueError, KeyError, TypeError) as error:
                    return self.answer(*status(400, "BadRequest", f"pod-finished wants namespace, name, exitCode, log: {error}"))
                pod = STORE.get(key)
                if pod is None:
                    return self.answer(*status(404, "NotFound", f'pods "{key[2]}" not found', {"name": key[2], "kind": "pods"}))
                phase = pod.get("status", {}).get("phase")
                if phase not in ("Pending", "Running"):
                    return self.answer(*status(409, "Conflict", f'pod "{key[2]}" is {phase}, not Pending or Running', {"name": key[2], "kind": "pods"}))
                finish_pod(key, pod, exit_code, log, reason)
                owner = job_owner(pod)
                if owner is not None:
                    sync_job(owner)
                return self.answer(200, pod)
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
