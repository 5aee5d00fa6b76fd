import AsyncHTTPClient
import Foundation

extension ARMClient {
  /// One HTTP client for every Azure target of this process (Resource Manager is one host per cloud).
  public static let sharedHTTP = HTTPClient(eventLoopGroupProvider: .singleton)

  /// The api-version Berth speaks for `Microsoft.Resources/resourceGroups`.
  public static let resourceGroupAPIVersion = "2021-04-01"

  /// Makes sure a resource group exists, creating it in `location` with `tags` when it does not; true when created.
  public func ensureResourceGroup(
    subscription: String, name: String, location: String, tags: [String: String],
    progress: @escaping @Sendable (String) -> Void
  ) async throws -> Bool {
    let path = "/subscriptions/\(subscription)/resourceGroups/\(name)"
    if try await get(path, apiVersion: Self.resourceGroupAPIVersion) != nil { return false }
    progress("creating resource group \(name) in \(location)")
    _ = try await put(
      path, apiVersion: Self.resourceGroupAPIVersion, body: ["location": location, "tags": tags], progress: progress)
    return true
  }

  /// Checks a `resource_manager` setting: https, or plain http on this machine's loopback (tests); nil → the public cloud.
  public static func resourceManagerURL(_ setting: String?) throws -> String {
    let manager = setting ?? "https://management.azure.com"
    guard let url = URL(string: manager), let scheme = url.scheme, let host = url.host else {
      throw ARMSettingError("resource_manager '\(manager)' is not a URL")
    }
    if scheme != "https", !(scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(host)) {
      throw ARMSettingError(
        "resource_manager must use https (plain http only on this machine's loopback); got \(scheme)://\(host)")
    }
    return manager.hasSuffix("/") ? String(manager.dropLast()) : manager
  }
}

/// A compute target setting Azure targets cannot use, with the reason.
public struct ARMSettingError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
