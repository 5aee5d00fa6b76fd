import BerthModel
import BerthTargetAPI
import Crypto
import Foundation

/// One service as a module of a device's deployment manifest. Pure: values in, values out.
public struct EdgeModule: Hashable, Sendable {
  /// The module's name on the device: the service's instance.
  public var name: String
  /// The module's `$edgeAgent` definition (`modules.NAME`).
  public var definition: JSONValue
  /// `$edgeHub` routes by their name in the manifest (`NAME_key`).
  public var routes: [String: String]
  /// Where the image's pull credentials come from, when its registry needs them.
  public var registry: RegistryCredential?

  /// The label IoT Edge modules of Berth carry in their create options, with the revision.
  public static let revisionLabel = "berth.dev/revision"
  public static let serviceLabel = "berth.dev/service"

  /// The module of `deployment` running `imageReference` (by digest; a placeholder only in `berth render`).
  public init(_ deployment: ServiceDeployment, imageReference: String) throws {
    let settings = IoTEdgeSettings(deployment.settings)
    name = deployment.instance
    var environment = deployment.environmentVariables.merging(settings.environmentVariables) { _, service in service }
    environment["WORKER_COUNT"] = String(settings.workerCount)
    environment["SCORING_TIMEOUT_MS"] = String(settings.scoringTimeoutMs)
    environment["SERVICE_NAME"] = deployment.name
    environment["SERVICE_VERSION"] = deployment.revision
    var labels = deployment.labels
    labels[Self.revisionLabel] = deployment.revision
    labels[Self.serviceLabel] = deployment.name
    labels["berth.dev/environment-sha256"] = deployment.environmentDigest
    if let digest = deployment.image?.digest, !digest.isEmpty { labels["berth.dev/image-digest"] = digest }
    let options = CreateOptions.document(settings: settings, environment: environment, labels: labels)
    let moduleSettings: [JSONValue.Member] = [.init("image", .string(imageReference))] + (try CreateOptions.chunks(options))
    definition = .obj([
      "version": .string(deployment.revision),
      "type": .string("docker"),
      "status": .string("running"),
      "restartPolicy": .string("always"),
      "settings": .object(moduleSettings),
    ])
    var routes: [String: String] = [:]
    for (key, route) in settings.routes { routes["\(deployment.instance)_\(key)"] = route }
    self.routes = routes
    if let image = deployment.image, image.usernameEnv != nil || image.passwordEnv != nil {
      registry = RegistryCredential(address: image.registry, usernameEnv: image.usernameEnv, passwordEnv: image.passwordEnv)
    }
  }

  /// What state records of the definition: a digest of it with its keys sorted, to notice a change made on the hub.
  public var digest: String { Self.digest(of: definition) }

  public static func digest(of definition: JSONValue) -> String {
    SHA256.hash(data: Data(EdgeJSON.canonical(definition).utf8)).map { String(format: "%02x", $0) }.joined()
  }
}

/// A registry the device pulls from, by the names of the variables holding its credentials.
public struct RegistryCredential: Hashable, Sendable {
  public var address: String
  public var usernameEnv: String?
  public var passwordEnv: String?

  public init(address: String, usernameEnv: String?, passwordEnv: String?) {
    self.address = address
    self.usernameEnv = usernameEnv
    self.passwordEnv = passwordEnv
  }

  /// The key of `registryCredentials` (no `.`, `$`, `#` or space): `myregistry.azurecr.io` → `myregistry-azurecr-io`.
  public var key: String {
    String(address.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
  }

  /// The entry with the credentials read from `environment`; `masked` writes `****` instead (render).
  func entry(environment: [String: String], masked: Bool) throws -> JSONValue {
    if masked { return .obj(["username": .string("****"), "password": .string("****"), "address": .string(address)]) }
    var values: [String] = []
    for variable in [usernameEnv, passwordEnv] {
      guard let variable else {
        throw IoTEdgeError.configuration(
          "registry \(address) names only one of username_env and password_env; the device needs both to pull")
      }
      guard let value = environment[variable], !value.isEmpty else {
        throw IoTEdgeError.configuration("the registry credential variable $\(variable) (registry \(address)) is not set")
      }
      values.append(value)
    }
    return .obj(["username": .string(values[0]), "password": .string(values[1]), "address": .string(address)])
  }
}
