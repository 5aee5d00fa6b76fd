import BerthModel
import BerthTargetAPI

/// Checks of a batch service that depend on this build's batch target: settings of the compute target it does not use.
enum BatchValidation {
  /// ComputeTarget settings that name a cluster; this build runs batch jobs on this machine instead.
  static let clusterSettings = [
    "kubeconfig", "context", "namespace", "api_server", "token_env", "ca_file", "vm_size", "max_nodes",
  ]

  static func diagnostics(_ request: ValidateRequest) -> [Diagnostic] {
    let target = request.service.address.name
    return clusterSettings.filter { request.computeTarget.settings[$0] != nil }.map { field in
      .warning(
        "'\(field)' of the batch compute target of service '\(target)' is accepted but not honoured: this build runs batch jobs on this machine",
        at: request.service.location(of: "compute_target"),
        hint: "remove it; docs/batch.md says where batch jobs run")
    }
  }
}
