import ArgumentParser
import BerthGateway
import BerthKit
import BerthModel
import BerthState
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `berth endpoints get-credentials | regenerate-keys | invoke`, as `az ml online-endpoint` has them.
extension EndpointsCommand {
  /// Prints the keys (key auth) or a fresh token (aml_token), as JSON. The one command meant to show a secret.
  struct GetCredentials: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "get-credentials",
      abstract: "Print an endpoint's keys, or a fresh token for an aml_token endpoint.",
      discussion: "NAME is an endpoint, or a service with its own gateway. This prints secrets: do not log its output.")
    @OptionGroup var manifests: ManifestOptions
    @Argument(help: "The endpoint's (or service's) name.") var name: String
    @Flag(help: "Print JSON with Azure ML's field names (primaryKey/secondaryKey, or accessToken/expiryTimeUtc/…).")
    var json = false

    func run() async throws {
      try await UserErrors.report {
        let (workspace, store, _) = try WorkspaceAccess.open(manifests, access: .read)
        let credentials = try EndpointCredentials.find(
          name, in: try await store.snapshot(), targets: Composition.targets(for: workspace, gatewayCommand: []))
        let object: [String: String]
        switch credentials.authMode {
        case .key:
          let keys = try await credentials.material()
          object = ["primaryKey": keys.primaryKey ?? "", "secondaryKey": keys.secondaryKey ?? ""]
        case .amlToken:
          let token = try await credentials.token()
          let formatter = ISO8601DateFormatter()
          object = [
            "accessToken": token.text, "tokenType": "Bearer",
            "expiryTimeUtc": formatter.string(from: Date(timeIntervalSince1970: TimeInterval(token.claims.expiresAt))),
            "refreshAfterTimeUtc": formatter.string(
              from: Date(timeIntervalSince1970: TimeInterval(token.claims.refreshAfter))),
          ]
        case .none:
          throw ValidationError("\(credentials.address) has auth_mode none: it has no credentials")
        }
        guard json else {
          for key in object.keys.sorted() { print("\(key): \(object[key]!)") }
          return
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
      }
    }
  }

  /// Replaces one key; the gateway picks it up within half a second, and clients on the other key never fail.
  struct RegenerateKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "regenerate-keys",
      abstract: "Replace the primary or secondary key (or, for aml_token, the signing key: every token is revoked).",
      discussion:
        "Clients keep working on the other key throughout. The new key's fingerprint is recorded in state, so drift stays quiet; the key itself is printed nowhere (use get-credentials)."
    )
    @OptionGroup var manifests: ManifestOptions
    @Argument(help: "The endpoint's (or service's) name.") var name: String
    @Option(name: .long, help: "primary or secondary (key auth); signing (aml_token).") var keyType: String
    @Option(name: .long, help: "Seconds to wait for the state lock held by another run (0: fail at once).")
    var lockTimeout: Double = 0

    func run() async throws {
      try await UserErrors.report {
        let (workspace, store, _) = try WorkspaceAccess.open(manifests, access: .write)
        let reconciler = Reconciler.standard()
        let targets = Composition.targets(for: workspace, gatewayCommand: [])
        let message = try await reconciler.withLock(store, operation: "regenerate-keys \(name)", timeout: lockTimeout) {
          var credentials = try EndpointCredentials.find(name, in: try await store.snapshot(), targets: targets)
          var fingerprint: String?
          switch (credentials.authMode, keyType) {
          case (.key, "primary"), (.key, "secondary"), (.amlToken, "signing"):
            if let remote = credentials.remote {
              fingerprint = try await remote.regenerateEndpointKey(
                name: credentials.secretsName, recorded: credentials.record.outputs, keyType: keyType
              ).fingerprint
            } else if keyType == "signing" {
              try SecretFiles.writeNewSigningKey(to: credentials.signingKeyFile)
              fingerprint = credentials.fingerprint
            } else {
              var keys = try SecretFiles.readKeys(credentials.keysFile)
              if keyType == "primary" {
                keys.primaryKey = EndpointKeys.generateKey()
              } else {
                keys.secondaryKey = EndpointKeys.generateKey()
              }
              try SecretFiles.writeKeys(keys, to: credentials.keysFile)
              fingerprint = credentials.fingerprint
            }
          case (.none, _):
            throw ValidationError("\(credentials.address) has auth_mode none: it has no keys")
          default:
            let allowed = credentials.authMode == .key ? "primary or secondary" : "signing"
            throw ValidationError(
              "--key-type \(keyType) does not apply to auth_mode \(credentials.authMode.rawValue); use \(allowed)")
          }
          credentials.record.outputs["key_fingerprint"] = fingerprint.map(FieldValue.string)
          credentials.record.updatedAt = Date()
          try await store.importRecord(credentials.record)
          let pickup =
            credentials.remote == nil
            ? "the gateway uses it within a second"
            : "the gateway pods use it once the kubelet refreshes the mounted Secret (about a minute)"
          return "Regenerated the \(keyType) key of \(credentials.address); \(pickup)."
        }
        print(message)
      }
    }
  }

  /// Sends a request file to the endpoint's `/score` with its credentials, and prints the answer.
  struct Invoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Score a request file through the endpoint, with its key or a fresh token.",
      discussion: "--deployment pins the request to one deployment (the azureml-model-deployment header).")
    @OptionGroup var manifests: ManifestOptions
    @Argument(help: "The endpoint's (or service's) name.") var name: String
    @Option(name: .long, help: "A JSON file to POST to /score.") var requestFile: String
    @Option(
      name: [.customLong("deployment"), .customLong("deployment-name")],
      help: "Send the request to this deployment (service), whatever the traffic split.")
    var deploymentName: String?

    func run() async throws {
      try await UserErrors.report {
        guard let body = FileManager.default.contents(atPath: requestFile) else {
          throw ValidationError("cannot read the request file '\(requestFile)'")
        }
        let (workspace, store, _) = try WorkspaceAccess.open(manifests, access: .read)
        let credentials = try EndpointCredentials.find(
          name, in: try await store.snapshot(), targets: Composition.targets(for: workspace, gatewayCommand: []))
        guard let uri = credentials.scoringURI, let url = URL(string: uri) else {
          throw ValidationError("\(credentials.address) has no recorded scoring URI; apply it first")
        }
        var request = URLRequest(url: url, timeoutInterval: 90)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let authorization = try await credentials.authorization() {
          request.setValue(authorization, forHTTPHeaderField: "Authorization")
        }
        if let deploymentName { request.setValue(deploymentName, forHTTPHeaderField: "azureml-model-deployment") }
        let (data, response): (Data, URLResponse)
        do {
          (data, response) = try await URLSession.shared.data(for: request)
        } catch {
          throw ValidationError("cannot reach \(uri): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let deployment = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "azureml-model-deployment")
        print(String(decoding: data, as: UTF8.self))
        guard (200..<300).contains(status) else {
          FileHandle.standardError.write(
            Data("error: \(uri) answered \(status)\(deployment.map { " (deployment \($0))" } ?? "")\n".utf8))
          throw ExitCode(1)
        }
      }
    }
  }
}
