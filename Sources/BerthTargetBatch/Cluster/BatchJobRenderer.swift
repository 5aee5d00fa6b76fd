import BerthModel
import BerthTargetAPI
import BerthTargetKubernetes
import Crypto
import Foundation

/// Turns one run of a batch job into the Kubernetes Indexed Job that scores it on a cluster. Pure.
///
/// One completion index per mini-batch left to score (`BERTH_BATCH_MINI_BATCHES` maps indexes to mini-batches when
/// the Job covers only some), `parallelism` = `node_count` × `process_count_per_node`, `backoffLimitPerIndex` =
/// `retries` (a failed pod is retried on its own index), `restartPolicy: Never`; the pods run the job's image by digest
/// with `PodWorkerProgram`.
enum BatchJobRenderer {
  static let component = "batch-job"
  static let jobNameLabel = "batch.kubernetes.io/job-name"

  /// The Job's name: the instance (shortened to fit), the revision, and a digest of the mini-batches it covers, so a
  /// Berth killed half-way finds the same Job again and a retry of failed mini-batches gets a new one.
  static func name(instance: String, revision: String, miniBatches: [Int]) -> String {
    let covered = Hex.encode(SHA256.hash(data: Data(IndexRanges.format(miniBatches).utf8))).prefix(6)
    let base = String(instance.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(40))
      .trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    return "\(base.isEmpty ? "job" : base)-\(revision.lowercased().prefix(8))-\(covered)"
  }

  /// The token that marks the pods' answer lines in their logs.
  static func token(revision: String) -> String { String(revision.prefix(16)) }

  static func labels(_ deployment: ServiceDeployment) -> [String: String] {
    var labels = deployment.labels
    labels[KubernetesRenderer.nameLabel] = deployment.instance
    labels["app.kubernetes.io/instance"] = deployment.instance
    labels[KubernetesRenderer.serviceLabel] = deployment.name
    labels["app.kubernetes.io/component"] = component
    labels[KubernetesRenderer.managedByLabel] = KubernetesRenderer.managedBy
    return labels
  }

  /// The selector of every Job of a service instance.
  static func selector(instance: String) -> String {
    "\(KubernetesRenderer.nameLabel)=\(instance),\(KubernetesRenderer.managedByLabel)=\(KubernetesRenderer.managedBy),app.kubernetes.io/component=\(component)"
  }

  /// The mini-batches a rendered Job covers, in completion-index order (its `berth.dev/mini-batches` annotation).
  static func miniBatches(of job: JSONValue) -> [Int] {
    IndexRanges.parse(job["metadata"]?["annotations"]?["berth.dev/mini-batches"]?.stringValue ?? "")
  }

  /// Whether `job` is a Job of `revision` still running (no Complete or Failed condition, not being deleted) for every
  /// mini-batch in `pending`.
  static func covers(_ job: JSONValue, revision: String, pending: [Int]) -> Bool {
    guard job["metadata"]?["annotations"]?[KubernetesRenderer.revisionAnnotation]?.stringValue == revision,
      job["metadata"]?["deletionTimestamp"] == nil
    else { return false }
    let finished = (job["status"]?["conditions"]?.arrayValue ?? []).contains { condition in
      ["Complete", "Failed"].contains(condition["type"]?.stringValue ?? "") && condition["status"]?.stringValue == "True"
    }
    return !finished && Set(miniBatches(of: job)).isSuperset(of: pending)
  }

  static func render(
    _ deployment: ServiceDeployment, image: String, namespace: String, pullSecret: String?, settings: BatchSettings,
    miniBatches: [Int], totalMiniBatches: Int, inputsDigest: String
  ) -> JSONValue {
    let name = name(instance: deployment.instance, revision: deployment.revision, miniBatches: miniBatches)
    let labels = labels(deployment)
    let annotations = [
      KubernetesRenderer.revisionAnnotation: deployment.revision,
      "berth.dev/models": deployment.models.map { "\($0.name):\($0.version)@sha256:\($0.sha256)" }.joined(separator: ","),
      "berth.dev/compute-target": deployment.computeTargetName,
      "berth.dev/mini-batches": IndexRanges.format(miniBatches),
    ]
    var environment = deployment.environmentVariables
    environment["BERTH_ROLE"] = "batch-worker"
    environment["BERTH_BATCH_TOKEN"] = token(revision: deployment.revision)
    environment["BERTH_BATCH_INPUTS_SHA256"] = inputsDigest
    environment["BERTH_BATCH_TIMEOUT"] = String(settings.runInvocationTimeout)
    environment["PYTHONUNBUFFERED"] = "1"
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    // Every mini-batch: index i is mini-batch i, and the variable is left out.
    if miniBatches != Array(0..<totalMiniBatches) {
      environment["BERTH_BATCH_MINI_BATCHES"] = IndexRanges.format(miniBatches)
    }
    let container: JSONValue = .obj([
      "name": .string(KubernetesRenderer.containerName), "image": .string(image), "imagePullPolicy": "IfNotPresent",
      "command": .array(["python3", .string(PodWorkerProgram.programPath)]),
      "env": .array(environment.keys.sorted().map { .obj(["name": .string($0), "value": .string(environment[$0]!)]) }),
    ])
    return .obj([
      "apiVersion": "batch/v1", "kind": "Job",
      "metadata": .obj([
        "name": .string(name), "namespace": .string(namespace), "labels": .strings(labels),
        "annotations": .strings(annotations),
      ]),
      "spec": .obj([
        "completionMode": "Indexed",
        "completions": .int(miniBatches.count),
        "parallelism": .int(max(1, settings.nodeCount * settings.processCountPerNode)),
        "backoffLimitPerIndex": .int(settings.retries),
        "template": .obj([
          "metadata": .obj(["labels": .strings(labels), "annotations": .strings(annotations)]),
          "spec": .obj([
            "restartPolicy": "Never", "serviceAccountName": .string(KubernetesRenderer.serviceAccountName),
            "automountServiceAccountToken": false,
            "imagePullSecrets": pullSecret.map { .array([.obj(["name": .string($0)])]) },
            "containers": .array([container]),
          ]),
        ]),
      ]),
    ])
  }
}
