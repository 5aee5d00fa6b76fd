import AsyncHTTPClient
import BerthAzure
import BerthTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Credentials and the Resource Manager client against the Azure AD / IMDS / ARM double: token requests shaped as
/// Azure AD wants them, tokens cached, long-running operations followed, throttling and server errors retried,
/// ARM's error codes surfaced, secrets never in a message.
@Suite(.serialized) struct AzureClientTests {
  static let http = HTTPClient(eventLoopGroupProvider: .singleton)
  static let path = "/subscriptions/0000/resourceGroups/ml/providers/Microsoft.Network/publicIPAddresses/risk"
  static let apiVersion = "2023-05-01"

  static func environment(_ double: ARMDouble, _ extra: [String: String] = [:]) -> [String: String] {
    ["AZURE_AUTHORITY_HOST": double.url, "PATH": "/nonexistent"].merging(extra) { $1 }
  }

  static func client(_ double: ARMDouble, _ environment: [String: String]) -> ARMClient {
    let cloud = AzureCloud.from(environment: environment, resourceManager: double.url)
    return ARMClient(
      cloud: cloud, credential: DefaultAzureCredential.from(environment: environment, cloud: cloud, http: http),
      http: http, pollInterval: .milliseconds(10))
  }

  @Test func clientSecretTokenIsCachedAndALongRunningPutIsFollowedToTheEnd() async throws {
    let double = try await ARMDouble()
    defer { Task { await double.stop() } }
    let environment = Self.environment(
      double,
      [
        "AZURE_TENANT_ID": ARMDouble.tenant, "AZURE_CLIENT_ID": ARMDouble.clientID,
        "AZURE_CLIENT_SECRET": ARMDouble.clientSecret,
      ])
    let arm = Self.client(double, environment)
    let lines = Lines()
    let resource = try await arm.put(
      Self.path, apiVersion: Self.apiVersion, body: ["location": "westeurope", "properties": ["osType": "Linux"]],
      progress: { lines.add($0) })
    #expect((resource["properties"] as? [String: Any])?["provisioningState"] as? String == "Succeeded")
    #expect(lines.all.contains("ARM operation inprogress…"))
    #expect(try await arm.get(Self.path, apiVersion: Self.apiVersion) != nil)
    try await arm.delete(Self.path, apiVersion: Self.apiVersion)
    #expect(try await arm.get(Self.path, apiVersion: Self.apiVersion) == nil)
    // One token for every call: cached until shortly before it expires.
    #expect(try double.stats()["aad"] == 1)
  }

  @Test func workloadIdentityAndManagedIdentityGetTokens() async throws {
    let double = try await ARMDouble()
    defer { Task { await double.stop() } }
    let file = NSTemporaryDirectory() + "berth-federated-\(UUID().uuidString)"
    try "federated-assertion\n".write(toFile: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: file) }
    let workload = Self.environment(
      double,
      ["AZURE_TENANT_ID": ARMDouble.tenant, "AZURE_CLIENT_ID": ARMDouble.clientID, "AZURE_FEDERATED_TOKEN_FILE": file])
    #expect(try await Self.client(double, workload).get(Self.path, apiVersion: Self.apiVersion) == nil)

    let imds = Self.environment(double, ["AZURE_POD_IDENTITY_AUTHORITY_HOST": double.url])
    #expect(try await Self.client(double, imds).get(Self.path, apiVersion: Self.apiVersion) == nil)
    let appService = Self.environment(
      double, ["IDENTITY_ENDPOINT": double.url + "/msi/token", "IDENTITY_HEADER": "identity-header-value"])
    #expect(try await Self.client(double, appService).get(Self.path, apiVersion: Self.apiVersion) == nil)
    #expect(try double.stats()["managed_identity"] == 2)
  }

  @Test func wrongSecretAndNoCredentialAreClearErrorsWithoutSecrets() async throws {
    let double = try await ARMDouble()
    defer { Task { await double.stop() } }
    let wrong = Self.environment(
      double,
      ["AZURE_TENANT_ID": ARMDouble.tenant, "AZURE_CLIENT_ID": ARMDouble.clientID, "AZURE_CLIENT_SECRET": "not-it-42"])
    do {
      _ = try await Self.client(double, wrong).get(Self.path, apiVersion: Self.apiVersion)
      Issue.record("a wrong secret was accepted")
    } catch {
      let text = "\(error)"
      #expect(text.contains("invalid_client") && text.contains("AADSTS7000215"), "\(text)")
      #expect(!text.contains("not-it-42"))
    }
    do {
      _ = try await Self.client(double, Self.environment(double)).get(Self.path, apiVersion: Self.apiVersion)
      Issue.record("no credential, yet a call went through")
    } catch {
      #expect("\(error)".contains("no Azure credential is configured here"), "\(error)")
    }
  }

  @Test func throttlingAndServerErrorsAreRetriedAndARMErrorsKeepTheirCode() async throws {
    let double = try await ARMDouble(polls: 0)
    defer { Task { await double.stop() } }
    let environment = Self.environment(
      double,
      [
        "AZURE_TENANT_ID": ARMDouble.tenant, "AZURE_CLIENT_ID": ARMDouble.clientID,
        "AZURE_CLIENT_SECRET": ARMDouble.clientSecret,
      ])
    let arm = Self.client(double, environment)
    try double.inject(status: 429, count: 2, code: "TooManyRequests")
    try double.inject(status: 500, count: 1, code: "InternalServerError", retryAfter: nil)
    try double.inject(status: 409, count: 1, code: "AnotherOperationInProgress")
    let resource = try await arm.put(Self.path, apiVersion: Self.apiVersion, body: ["location": "westeurope"])
    #expect(resource["name"] as? String == "risk")
    let stats = try double.stats()
    #expect(stats["fault 429"] == 2 && stats["fault 500"] == 1 && stats["fault 409"] == 1, "\(stats)")

    // A failed operation surfaces the operation's own error; a bad request ARM's code and message.
    await #expect(
      throws: ARMError(
        status: 200, code: "QuotaExceeded", message: "Operation could not be completed as it results in exceeding approved quota."
      )
    ) {
      _ = try await arm.put(Self.path, apiVersion: Self.apiVersion, body: ["location": "westeurope", "tags": ["double": "fail"]])
    }
    do {
      _ = try await arm.put(Self.path, apiVersion: Self.apiVersion, body: ["properties": [:]])
      Issue.record("a PUT without location was accepted")
    } catch let error as ARMError {
      #expect(error.code == "LocationRequired" && error.status == 400)
    }
  }
}

/// Progress lines collected from a call.
private final class Lines: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  func add(_ line: String) { lock.withLock { lines.append(line) } }
  var all: [String] { lock.withLock { lines } }
}
