import Foundation

/// An Azure AD access token. `description` never shows it.
public struct AzureToken: Sendable, CustomStringConvertible {
  /// The bearer token itself.
  public var value: String
  public var expiresOn: Date

  public init(value: String, expiresOn: Date) {
    self.value = value
    self.expiresOn = expiresOn
  }

  /// Whether it is still good for `margin` from `now` (tokens are renewed shortly before they expire).
  public func isFresh(at now: Date, margin: TimeInterval = 300) -> Bool { expiresOn.timeIntervalSince(now) > margin }

  public var description: String { "AzureToken(expires \(expiresOn), ****)" }
}

/// Why a credential produced no token. Messages name variables and endpoints, never secret values.
public struct AzureCredentialError: Error, CustomStringConvertible, Sendable {
  /// The credential cannot be used here at all (not configured); the chain tries the next one.
  public var unavailable: Bool
  public var message: String

  public init(unavailable: Bool, _ message: String) {
    self.unavailable = unavailable
    self.message = message
  }

  public var description: String { message }
}

/// Where Azure AD and Resource Manager are: the public cloud by default, overridable for sovereign clouds and tests.
public struct AzureCloud: Sendable, Hashable {
  /// `https://login.microsoftonline.com` (`AZURE_AUTHORITY_HOST`).
  public var authorityHost: String
  /// `https://management.azure.com`.
  public var resourceManager: String
  /// The instance metadata service (`AZURE_POD_IDENTITY_AUTHORITY_HOST`, as Azure's SDKs read it).
  public var imdsHost: String

  public init(
    authorityHost: String = "https://login.microsoftonline.com", resourceManager: String = "https://management.azure.com",
    imdsHost: String = "http://169.254.169.254"
  ) {
    self.authorityHost = authorityHost
    self.resourceManager = resourceManager
    self.imdsHost = imdsHost
  }

  /// The public cloud with the overrides the environment sets.
  public static func from(environment: [String: String], resourceManager: String? = nil) -> AzureCloud {
    var cloud = AzureCloud()
    if let host = environment["AZURE_AUTHORITY_HOST"], !host.isEmpty { cloud.authorityHost = trimmed(host) }
    if let host = environment["AZURE_POD_IDENTITY_AUTHORITY_HOST"], !host.isEmpty { cloud.imdsHost = trimmed(host) }
    if let resourceManager { cloud.resourceManager = trimmed(resourceManager) }
    return cloud
  }

  /// The OAuth scope of Resource Manager: `https://management.azure.com/.default`.
  public var resourceManagerScope: String { resourceManager + "/.default" }

  static func trimmed(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }
}
