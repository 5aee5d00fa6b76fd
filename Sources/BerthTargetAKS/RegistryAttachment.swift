import BerthAzure
import BerthModel
import BerthTargetAPI
import Crypto
import Foundation

/// Lets a cluster Berth created pull from the Workspace registry when it is an Azure Container Registry, the way
/// `az aks update --attach-acr` does: the AcrPull role on the registry for the cluster's kubelet identity.
///
/// The registry is found by its login server among the subscription's registries. What cannot be done (the registry
/// is in another subscription, the caller may not assign roles) is a warning that says what to do instead: the
/// cluster works, but cannot pull without pull credentials.
struct RegistryAttachment {
  static let acrPullRole = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
  static let registryAPIVersion = "2023-07-01"
  static let roleAssignmentAPIVersion = "2022-04-01"

  let client: ARMClient
  let cluster: AKSClusterSettings

  /// The login server of an ACR address (`myregistry.azurecr.io[:443][/path]`), else nil.
  static func loginServer(_ address: String) -> String? {
    let host = address.split(separator: "/").first.map(String.init)?.split(separator: ":").first.map(String.init) ?? ""
    let lower = host.lowercased()
    return lower.hasSuffix(".azurecr.io") || lower.hasSuffix(".azurecr.cn") || lower.hasSuffix(".azurecr.us") ? lower : nil
  }

  /// The role assignment's name: the same registry, identity and role always give the same GUID, so a second apply
  /// finds the first one's assignment.
  static func assignmentName(scope: String, principal: String) -> String {
    let digest = Array(SHA256.hash(data: Data("\(scope.lowercased())|\(principal)|\(acrPullRole)".utf8)))
    let hex = digest.prefix(16).map { String(format: "%02x", $0) }.joined()
    let parts = [
      hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20),
    ]
    return parts.map(String.init).joined(separator: "-")
  }

  /// Grants AcrPull when needed; the outcome as a progress line or a warning.
  func attach(registry: RegistryReference, clusterResource: [String: Any], computeTarget: String) async -> (
    granted: String?, warning: Diagnostic?
  ) {
    guard let server = Self.loginServer(registry.address) else { return (nil, nil) }
    func warning(_ why: String) -> Diagnostic {
      .warning(
        "compute target '\(computeTarget)': cannot give AKS cluster \(cluster.clusterName) pull rights on \(server): \(why)",
        hint: "run `az aks update --attach-acr` yourself, or set the registry's username_env/password_env (an image pull Secret)")
    }
    let properties = clusterResource["properties"] as? [String: Any] ?? [:]
    let kubelet = (properties["identityProfile"] as? [String: Any])?["kubeletidentity"] as? [String: Any]
    guard let principal = kubelet?["objectId"] as? String else {
      return (nil, warning("the cluster reports no kubelet identity"))
    }
    do {
      let list = try await client.get(
        "/subscriptions/\(cluster.subscriptionID)/providers/Microsoft.ContainerRegistry/registries",
        apiVersion: Self.registryAPIVersion)
      let registries = list?["value"] as? [[String: Any]] ?? []
      guard
        let scope = registries.first(where: {
          (($0["properties"] as? [String: Any])?["loginServer"] as? String)?.lowercased() == server
        })?["id"] as? String
      else {
        return (nil, warning("it is not a registry of subscription \(cluster.subscriptionID)"))
      }
      let path =
        "\(scope)/providers/Microsoft.Authorization/roleAssignments/\(Self.assignmentName(scope: scope, principal: principal))"
      if try await client.get(path, apiVersion: Self.roleAssignmentAPIVersion) != nil {
        return ("the kubelet identity already has AcrPull on \(server)", nil)
      }
      do {
        _ = try await client.put(
          path, apiVersion: Self.roleAssignmentAPIVersion,
          body: [
            "properties": [
              "roleDefinitionId":
                "/subscriptions/\(cluster.subscriptionID)/providers/Microsoft.Authorization/roleDefinitions/\(Self.acrPullRole)",
              "principalId": principal, "principalType": "ServicePrincipal",
            ]
          ])
      } catch let error as ARMError where error.code == "RoleAssignmentExists" {
        return ("the kubelet identity already has AcrPull on \(server)", nil)
      }
      return ("granted AcrPull on \(server) to the cluster's kubelet identity", nil)
    } catch let error as ARMError {
      return (nil, warning("\(error)"))
    } catch {
      return (nil, warning("\(error)"))
    }
  }
}
