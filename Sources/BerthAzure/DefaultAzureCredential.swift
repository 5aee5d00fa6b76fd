import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers

/// Azure credentials in the order Azure's SDKs try them: environment (client secret), workload identity,
/// managed identity, the Azure CLI. The first that is configured here is used; tokens are cached per scope until
/// five minutes before they expire. Nothing of a token or secret is ever printed.
public final class DefaultAzureCredential: AzureCredential {
  public let chain: [any AzureCredential]
  private let cache = NIOLockedValueBox<[String: (AzureToken, String)]>([:])
  private let now: @Sendable () -> Date

  public var name: String { "DefaultAzureCredential" }

  public init(chain: [any AzureCredential], now: @escaping @Sendable () -> Date = Date.init) {
    self.chain = chain
    self.now = now
  }

  /// The chain this environment configures. Managed identity is included only where it can exist (an
  /// `IDENTITY_ENDPOINT`, or `AZURE_POD_IDENTITY_AUTHORITY_HOST`, or `BERTH_AZURE_TRY_IMDS=1`): probing IMDS from a
  /// laptop costs a connect timeout.
  public static func from(environment: [String: String], cloud: AzureCloud, http: HTTPClient) -> DefaultAzureCredential {
    var chain: [any AzureCredential] = []
    let tenant = environment["AZURE_TENANT_ID"] ?? ""
    let client = environment["AZURE_CLIENT_ID"] ?? ""
    if !tenant.isEmpty, !client.isEmpty, let secret = environment["AZURE_CLIENT_SECRET"], !secret.isEmpty {
      chain.append(ClientCredential(tenant: tenant, clientID: client, proof: .secret(secret), cloud: cloud, http: http))
    }
    if !tenant.isEmpty, !client.isEmpty, let file = environment["AZURE_FEDERATED_TOKEN_FILE"], !file.isEmpty {
      chain.append(
        ClientCredential(tenant: tenant, clientID: client, proof: .federatedTokenFile(file), cloud: cloud, http: http))
    }
    if environment["IDENTITY_ENDPOINT"] != nil || environment["AZURE_POD_IDENTITY_AUTHORITY_HOST"] != nil
      || environment["BERTH_AZURE_TRY_IMDS"] == "1"
    {
      chain.append(ManagedIdentityCredential(cloud: cloud, environment: environment, http: http))
    }
    if let cli = AzureCLICredential.find(environment: environment) { chain.append(cli) }
    return DefaultAzureCredential(chain: chain)
  }

  /// The credential that produced the cached token for `scope`, if any.
  public func source(scope: String) -> String? { cache.withLockedValue { $0[scope]?.1 } }

  public func token(scope: String) async throws -> AzureToken {
    let current = now()
    if let (cached, _) = cache.withLockedValue({ $0[scope] }), cached.isFresh(at: current) { return cached }
    guard !chain.isEmpty else {
      throw AzureCredentialError(
        unavailable: true,
        "no Azure credential is configured here: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE), run on Azure with a managed identity, or log in with `az login`"
      )
    }
    var tried: [String] = []
    for credential in chain {
      do {
        let token = try await credential.token(scope: scope)
        cache.withLockedValue { $0[scope] = (token, credential.name) }
        return token
      } catch let error as AzureCredentialError where error.unavailable {
        tried.append(error.message)
      }
    }
    throw AzureCredentialError(unavailable: true, "no Azure credential worked:\n  " + tried.joined(separator: "\n  "))
  }
}
