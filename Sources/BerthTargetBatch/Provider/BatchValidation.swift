import BerthModel
import BerthTargetAPI
import BerthTargetKubernetes

/// Checks of a batch service that depend on this build's batch target: compute target settings it does not use, and
/// whether the cluster a batch target names can be reached.
enum BatchValidation {
  /// ComputeTarget settings that describe a cluster to create; batch targets only attach to existing clusters.
  static let creationSettings = ["vm_size", "max_nodes"]

  static func diagnostics(_ request: ValidateRequest, environment: [String: String]) -> [Diagnostic] {
    let target = request.service.address.name
    let spec = request.computeTarget
    var diagnostics: [Diagnostic] = creationSettings.filter { spec.settings[$0] != nil }.map { field in
      .warning(
        "'\(field)' of the batch compute target of service '\(target)' is accepted but not honoured: Berth creates no batch cluster; "
          + (spec.runsBatchOnCluster
            ? "jobs run on the cluster the target's kubeconfig/context/namespace names"
            : "jobs run on this machine unless the target names a cluster (kubeconfig, context, api_server, namespace)"),
        at: request.service.location(of: "compute_target"),
        hint: "remove it; docs/batch.md says where batch jobs run")
    }
    if spec.runsBatchOnCluster {
      do {
        _ = try ClusterConnection.resolve(spec.settings, environment: environment)
      } catch {
        diagnostics.append(
          .warning(
            "cannot connect to the cluster of the batch compute target of service '\(target)': \(error)",
            at: request.service.location(of: "compute_target")))
      }
    }
    return diagnostics
  }
}
