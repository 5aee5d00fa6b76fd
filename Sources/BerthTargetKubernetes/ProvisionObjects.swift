import BerthModel
import BerthTargetAPI
import Foundation

/// What `provision` creates in a cluster Berth attaches to: the namespace and the pods' service account.
public enum ProvisionObjects {
  public static func render(namespace: String, computeTargetName: String) -> [JSONValue] {
    let labels: JSONValue = .strings([
      KubernetesRenderer.managedByLabel: KubernetesRenderer.managedBy, "berth.dev/compute-target": computeTargetName,
    ])
    return [
      .obj(["apiVersion": "v1", "kind": "Namespace", "metadata": .obj(["name": .string(namespace), "labels": labels])]),
      .obj([
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": .obj([
          "name": .string(KubernetesRenderer.serviceAccountName), "namespace": .string(namespace), "labels": labels,
        ]),
        "automountServiceAccountToken": false,
      ]),
    ]
  }
}

/// The image pull Secret of a registry, created or updated at deploy time from the image's credential variables.
///
/// Deploy time, not provision: the compute target does not know the registry; the built image does.
public enum PullSecret {
  /// `berth-pull-myregistry-azurecr-io`: one Secret per registry and namespace, shared by its services.
  public static func name(forRegistry registry: String) -> String {
    let host = registry.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
    let cleaned = String(host).split(separator: "-").joined(separator: "-")
    return String("berth-pull-\(cleaned)".prefix(63)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
  }

  /// The Secret for `image`, reading the credentials from `environment`; nil when the image needs none.
  public static func object(for image: ContainerImage, namespace: String, environment: [String: String]) throws -> JSONValue? {
    guard image.usernameEnv != nil || image.passwordEnv != nil else { return nil }
    func read(_ variable: String?, _ what: String) throws -> String {
      guard let variable else { throw KubernetesError.configuration("the image names no \(what) variable for \(image.registry)") }
      guard let value = environment[variable], !value.isEmpty else {
        throw KubernetesError.configuration(
          "environment variable \(variable) (registry \(what) for \(image.registry)) is not set; the cluster cannot pull the image without it"
        )
      }
      return value
    }
    let username = try read(image.usernameEnv, "user name")
    let password = try read(image.passwordEnv, "password")
    let auth = Data("\(username):\(password)".utf8).base64EncodedString()
    let config = ObjectOutput.json(
      .obj([
        "auths": .object([
          .init(
            image.registry,
            .obj(["username": .string(username), "password": .string(password), "auth": .string(auth)]))
        ])
      ]))
    return .obj([
      "apiVersion": "v1", "kind": "Secret",
      "metadata": .obj([
        "name": .string(name(forRegistry: image.registry)), "namespace": .string(namespace),
        "labels": .strings([KubernetesRenderer.managedByLabel: KubernetesRenderer.managedBy]),
      ]),
      "type": "kubernetes.io/dockerconfigjson",
      "data": .obj([".dockerconfigjson": .string(Data(config.utf8).base64EncodedString())]),
    ])
  }
}
