import BerthModel

/// The Berth v1 manifest schema, kind by kind.
public enum ManifestSchema {
  public static let apiVersion = "berth/v1"

  /// The whole-document schema of a kind (built once per kind).
  public static func envelope(for kind: ResourceKind) -> ObjectSchema {
    envelopes[kind]!
  }

  private static let envelopes: [ResourceKind: ObjectSchema] = Dictionary(
    uniqueKeysWithValues: ResourceKind.allCases.map { ($0, makeEnvelope(for: $0)) })

  private static func makeEnvelope(for kind: ResourceKind) -> ObjectSchema {
    ObjectSchema([
      FieldSchema("apiVersion", .string(.constant(apiVersion)), required: true, "Manifest format version; `berth/v1`."),
      FieldSchema("kind", .string(.oneOf(ResourceKind.allCases.map(\.rawValue))), required: true, "The kind of resource."),
      FieldSchema("metadata", .object(metadata), required: true, "Name, labels and ordering of the resource."),
      FieldSchema("spec", .object(spec(for: kind)), required: true, "The desired state of the resource."),
      FieldSchema("lifecycle", .object(lifecycle), "How Berth may change or remove the resource."),
    ])
  }

  public static let metadata = ObjectSchema([
    FieldSchema("name", .string(.name), required: true, "DNS-1123 label, unique per kind."),
    FieldSchema("labels", .stringMap, "Free-form labels, copied to what Berth creates."),
    FieldSchema("annotations", .stringMap, "Free-form notes, not compared by plans."),
    FieldSchema("depends_on", .list(.string(.address)), "Extra ordering edges: `kind/name` of resources to create first."),
    FieldSchema("previous_names", .list(.string(.name)), "Earlier names of this resource; renaming keeps what runs."),
  ])

  public static let lifecycle = ObjectSchema([
    FieldSchema("prevent_destroy", .boolean, "Refuse plans that would delete this resource."),
    FieldSchema(
      "ignore_changes", .list(.string()), "Spec field paths whose changes are not planned (`deployment.num_replicas`)."),
  ])

  public static let registry = ObjectSchema([
    FieldSchema("address", .string(.registryAddress), required: true, "Registry host, optionally with a repository prefix."),
    FieldSchema("username_env", .string(.environmentVariable), "Environment variable holding the user name."),
    FieldSchema("password_env", .string(.environmentVariable), "Environment variable holding the password or token."),
    FieldSchema("insecure", .boolean, "Use plain HTTP (local test registries only)."),
    FieldSchema(
      "azure_ad", .boolean,
      "Get access by exchanging an Azure AD token (default: true for *.azurecr.io without username_env/password_env)."),
  ])

  public static let livenessProbe = ObjectSchema([
    FieldSchema("initial_delay_seconds", .integer(minimum: 0), "Seconds before the first probe (default 310)."),
    FieldSchema("period_seconds", .integer(minimum: 1), "Seconds between probes (default 10)."),
    FieldSchema("timeout_seconds", .integer(minimum: 1), "Seconds before a probe times out (default 2)."),
    FieldSchema("success_threshold", .integer(minimum: 1), "Successes that mark the service healthy (default 1)."),
    FieldSchema("failure_threshold", .integer(minimum: 1), "Failures that restart the replica (default 3)."),
  ])

  public static let deployment = ObjectSchema([
    FieldSchema("port", .integer(minimum: 1, maximum: 65535), "Port the scoring endpoint listens on."),
    FieldSchema("worker_count", .integer(minimum: 1, maximum: 64), "Scoring worker processes per replica (default 1)."),
    FieldSchema(
      "wait_timeout", .integer(minimum: 1, maximum: 3600), "Seconds apply waits for the service to be healthy (default 120)."),
    FieldSchema("scoring_timeout_ms", .integer(minimum: 1), "Milliseconds a scoring call may take."),
    FieldSchema("replica_max_concurrent_requests", .integer(minimum: 1), "Concurrent requests one replica accepts."),
    FieldSchema("max_request_wait_time", .integer(minimum: 0), "Milliseconds a request may queue before a 503."),
    FieldSchema("cpu_cores", .number(minimum: 0, exclusiveMinimum: true), "CPU cores reserved per replica."),
    FieldSchema("memory_gb", .number(minimum: 0, exclusiveMinimum: true), "Memory in GiB reserved per replica."),
    FieldSchema("gpu_cores", .integer(minimum: 0), "GPUs per replica."),
    FieldSchema("num_replicas", .integer(minimum: 1), "Fixed replica count (not with autoscale_enabled)."),
    FieldSchema("autoscale_enabled", .boolean, "Scale replicas with load."),
    FieldSchema("autoscale_min_replicas", .integer(minimum: 1), "Fewest replicas when autoscaling (default 1)."),
    FieldSchema("autoscale_max_replicas", .integer(minimum: 1), "Most replicas when autoscaling (default 10)."),
    FieldSchema("autoscale_refresh_seconds", .integer(minimum: 1), "Seconds between autoscaler decisions (default 1)."),
    FieldSchema("autoscale_target_utilization", .integer(minimum: 1, maximum: 100), "Target utilisation percent (default 70)."),
    FieldSchema(
      "auth_enabled", .boolean,
      "Require `Authorization: Bearer <key>` on /score (default off on local, on for kubernetes; see docs/endpoints.md)."),
    FieldSchema("token_auth_enabled", .boolean, "Require a short-lived token issued by `berth` on /score."),
    FieldSchema("collect_model_data", .boolean, "Record model inputs and outputs."),
    FieldSchema("liveness_probe", .object(livenessProbe), "Health probe on `GET /`."),
    FieldSchema("environment_variables", .stringMap, "Extra environment variables for the scoring process."),
    FieldSchema("dns_name_label", .string(.name), "DNS label of an ACI endpoint."),
    FieldSchema("location", .string(), "Azure region of an ACI endpoint."),
    FieldSchema("mini_batch_size", .integer(minimum: 1), "Batch: files per mini-batch."),
    FieldSchema("node_count", .integer(minimum: 1), "Batch: nodes used."),
    FieldSchema("process_count_per_node", .integer(minimum: 1), "Batch: scoring processes per node."),
    FieldSchema("error_threshold", .integer(minimum: -1), "Batch: failed items tolerated (-1: all)."),
    FieldSchema("output_action", .string(.oneOf(["append_row", "summary_only"])), "Batch: how results are written."),
    FieldSchema("input_path", .string(.relativePath), "Batch: folder of input files."),
    FieldSchema("output_path", .string(.relativePath), "Batch: folder results are written to (default: the run's folder)."),
    FieldSchema("incremental", .boolean, "Batch: score only files no earlier run of the same code and models scored."),
    FieldSchema("run_invocation_timeout", .integer(minimum: 1), "Batch: seconds one run(mini_batch) call may take (default 60)."),
    FieldSchema("retries", .integer(minimum: 0), "Batch: further attempts at a failed mini-batch (default 3)."),
    FieldSchema("device_id", .string(), "IoT Edge: the device the module runs on."),
    FieldSchema(
      "routes", .stringMap,
      "IoT Edge: $edgeHub routes of the module by name (`FROM /messages/modules/NAME/outputs/* INTO $upstream`)."),
  ])

  public static func spec(for kind: ResourceKind) -> ObjectSchema {
    switch kind {
    case .workspace:
      ObjectSchema([
        FieldSchema("state", .string(.stateLocation), "`sqlite:PATH` (default `sqlite:.berth/state.db`) or a `postgres://` URL."),
        FieldSchema("model_store", .string(.relativePath), "Folder of registered model versions (default `.berth/models`)."),
        FieldSchema(
          "environment_cache", .string(.relativePath), "Folder of built Python environments (default `.berth/environments`)."),
        FieldSchema("registry", .object(registry), "OCI registry that images are pushed to."),
      ])
    case .model:
      ObjectSchema([
        FieldSchema("path", .string(.relativePath), required: true, "Model file or folder, relative to this manifest."),
        FieldSchema("description", .string(), "What the model is."),
        FieldSchema("tags", .stringMap, "Searchable key/value tags."),
        FieldSchema("properties", .stringMap, "Key/value properties (metrics, lineage)."),
      ])
    case .environment:
      ObjectSchema([
        FieldSchema("conda_file", .string(.relativePath), required: true, "Conda environment file, relative to this manifest."),
        FieldSchema("environment_variables", .stringMap, "Variables set in every process using the environment."),
        FieldSchema("description", .string(), "What the environment is for."),
        FieldSchema(
          "resolution", .string(.oneOf(EnvironmentResolution.Rule.allCases.map(\.rawValue))),
          "era (default): unpinned packages resolve no newer than the newest pinned release; latest: newest versions."),
        FieldSchema(
          "pip_constraints", .list(.string()), "pip constraint lines (`numpy<2`) applied to listed and transitive packages."),
        FieldSchema(
          "solver", .string(.oneOf(EnvironmentResolution.Solver.allCases.map(\.rawValue))),
          "uv (default): PyPI packages installed by uv; conda: micromamba or conda from PATH."),
      ])
    case .inferenceConfig:
      ObjectSchema([
        FieldSchema("source_directory", .string(.relativePath), required: true, "Folder with the scoring code."),
        FieldSchema(
          "entry_script", .string(.relativePath), required: true, "Script with init() and run(), relative to source_directory."),
        FieldSchema("runtime", .string(.oneOf(["python"])), "Runtime of the entry script (default python)."),
        FieldSchema("environment", .string(.name), required: true, "Name of the Environment to run in."),
        FieldSchema("base_image", .string(), "Custom base image for container targets."),
        FieldSchema("base_image_registry", .object(registry), "Registry and credentials of the base image."),
        FieldSchema("description", .string(), "What the configuration is for."),
      ])
    case .computeTarget:
      ObjectSchema([
        FieldSchema(
          "type", .string(.oneOf(["local", "kubernetes", "aks", "aci", "batch", "iotedge"])), required: true,
          "Where services run."),
        FieldSchema(
          "namespace", .string(.name), "Kubernetes namespace (kubernetes; batch: the cluster its jobs run on as Indexed Jobs)."),
        FieldSchema("kubeconfig", .string(), "Kubeconfig file (`~` is expanded)."),
        FieldSchema("context", .string(), "Kubeconfig context."),
        FieldSchema("api_server", .string(), "Kubernetes API server URL (instead of a kubeconfig)."),
        FieldSchema("token_env", .string(.environmentVariable), "Environment variable holding the API bearer token."),
        FieldSchema("ca_file", .string(), "CA bundle of the API server."),
        FieldSchema("subscription_id", .string(), "Azure subscription (aci; aks that Berth creates)."),
        FieldSchema("resource_group", .string(), "Azure resource group (aci; aks that Berth creates)."),
        FieldSchema("location", .string(), "Azure region (aci; aks that Berth creates)."),
        FieldSchema(
          "resource_manager", .string(),
          "aci, aks: Azure Resource Manager URL (default https://management.azure.com; sovereign clouds, tests)."),
        FieldSchema(
          "auth_secret_env", .string(.environmentVariable),
          "aci: variable holding the secret the gateway keys of services with auth are derived from (never recorded)."),
        FieldSchema(
          "cluster_resource_id", .string(),
          "aks: the ARM id of an existing cluster to attach (instead of kubeconfig or the fields that create one)."),
        FieldSchema("cluster_name", .string(), "aks: name of the cluster Berth creates (default: the compute target's name)."),
        FieldSchema(
          "agent_count", .integer(minimum: 1, maximum: 1000), "aks: nodes of the cluster Berth creates (default 3)."),
        FieldSchema(
          "cluster_purpose", .string(.oneOf(["FastProd", "DevTest"])),
          "aks: FastProd (default; at least 3 nodes, Standard tier) or DevTest (any node count, Free tier)."),
        FieldSchema("kubernetes_version", .string(), "aks: Kubernetes version of the cluster Berth creates (default: Azure's)."),
        FieldSchema("vm_size", .string(), "Node size (aks that Berth creates, default Standard_D3_v2; batch)."),
        FieldSchema("max_nodes", .integer(minimum: 1), "Most nodes of the cluster (batch)."),
        FieldSchema("iot_hub", .string(), "IoT Hub name (iotedge); checked against the connection string's HostName."),
        FieldSchema(
          "connection_string_env", .string(.environmentVariable),
          "iotedge: environment variable holding the IoT Hub connection string (default IOTHUB_CONNECTION_STRING; never printed or recorded)."
        ),
        FieldSchema(
          "iot_hub_host", .string(),
          "iotedge: host or URL requests go to instead of the connection string's HostName (http only on loopback)."),
        FieldSchema(
          "store_and_forward_ttl", .integer(minimum: 0),
          "iotedge: seconds $edgeHub keeps messages it cannot deliver upstream (default 7200)."),
        FieldSchema(
          "exposure", .string(.oneOf(EndpointExposure.allCases.map(\.rawValue))),
          "kubernetes: default exposure of the target's endpoints."),
        FieldSchema("gateway_image", .string(), "kubernetes: default gateway image of the target's endpoints, by digest."),
        FieldSchema(
          "gateway_base_image", .string(),
          "kubernetes: base of the gateway image apply builds (default debian:bookworm-slim)."),
      ])
    case .endpoint:
      ObjectSchema([
        FieldSchema("compute_target", .string(.name), required: true, "Name of the ComputeTarget the endpoint serves on."),
        FieldSchema(
          "auth_mode", .string(.oneOf(EndpointAuthMode.allCases.map(\.rawValue))),
          "How callers authenticate: `key` (default), `aml_token` or `none`."),
        FieldSchema(
          "traffic", .map(.integer(minimum: 0, maximum: 100)),
          "Percent of live requests per service behind the endpoint; sums to 100, or every value is 0."),
        FieldSchema(
          "mirror_traffic", .map(.integer(minimum: 0, maximum: 100)),
          "Percent of live requests copied to one service (at most 50) whose answers are discarded."),
        FieldSchema("port", .integer(minimum: 1, maximum: 65535), "local: port the endpoint listens on."),
        FieldSchema("listen_address", .string(), "local: address the endpoint listens on (default 127.0.0.1)."),
        FieldSchema(
          "exposure", .string(.oneOf(EndpointExposure.allCases.map(\.rawValue))),
          "kubernetes: `cluster` (ClusterIP, the default), `load_balancer` or `ingress`."),
        FieldSchema("ingress_class", .string(), "kubernetes: the IngressClass of an `ingress` endpoint."),
        FieldSchema("host", .string(), "kubernetes: external host name (required for `ingress`)."),
        FieldSchema("tls_secret", .string(.name), "kubernetes: an existing `kubernetes.io/tls` Secret for HTTPS."),
        FieldSchema(
          "tls_cert_env", .string(.environmentVariable),
          "kubernetes: environment variable holding the PEM certificate (Berth creates the TLS Secret)."),
        FieldSchema(
          "tls_key_env", .string(.environmentVariable),
          "kubernetes: environment variable holding the PEM private key (never printed or recorded)."),
        FieldSchema("gateway_image", .string(), "kubernetes: the gateway image, by digest (`REGISTRY/REPO@sha256:…`)."),
        FieldSchema("gateway_replicas", .integer(minimum: 2, maximum: 100), "kubernetes: gateway pods (default 2)."),
        FieldSchema("description", .string(), "What the endpoint serves."),
      ])
    case .service:
      ObjectSchema([
        FieldSchema("compute_target", .string(.name), required: true, "Name of the ComputeTarget to deploy to."),
        FieldSchema(
          "models", .list(.string(.modelReference)), required: true, "Models to load: `name` (newest) or `name:version`."),
        FieldSchema("inference_config", .string(.name), required: true, "Name of the InferenceConfig."),
        FieldSchema("endpoint", .string(.name), "Name of the Endpoint this service is a deployment of (it then has no port)."),
        FieldSchema("deployment", .object(deployment), "Deployment settings for the compute target."),
      ])
    }
  }

  /// Compute target types each deployment field applies to; fields not listed apply to all.
  public static let deploymentFieldTargets: [String: Set<ComputeType>] = [
    "cpu_cores": [.kubernetes, .aci, .iotedge],
    "memory_gb": [.kubernetes, .aci, .iotedge],
    "gpu_cores": [.kubernetes, .aci],
    "num_replicas": [.kubernetes],
    "autoscale_enabled": [.kubernetes],
    "autoscale_min_replicas": [.kubernetes],
    "autoscale_max_replicas": [.kubernetes],
    "autoscale_refresh_seconds": [.kubernetes],
    "autoscale_target_utilization": [.kubernetes],
    "replica_max_concurrent_requests": [.kubernetes, .local, .aci],
    "max_request_wait_time": [.kubernetes, .local, .aci],
    "liveness_probe": [.kubernetes],
    "dns_name_label": [.aci],
    "location": [.aci],
    "mini_batch_size": [.batch],
    "node_count": [.batch],
    "process_count_per_node": [.batch],
    "error_threshold": [.batch],
    "output_action": [.batch],
    "input_path": [.batch],
    "output_path": [.batch],
    "incremental": [.batch],
    "run_invocation_timeout": [.batch],
    "retries": [.batch],
    "device_id": [.iotedge],
    "routes": [.iotedge],
    "port": [.local, .kubernetes, .aci, .iotedge],
    "token_auth_enabled": [.local, .kubernetes],
  ]

  /// The longest scoring timeout each compute target accepts, in milliseconds.
  public static let scoringTimeoutLimitMs: [ComputeType: Int] = [
    .local: 3_600_000,
    .kubernetes: 300_000,
    .aci: 300_000,
    .iotedge: 300_000,
    .batch: 3_600_000,
  ]
}
