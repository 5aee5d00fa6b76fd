import AsyncHTTPClient

/// The HTTP client registry calls share: a registry that cannot be reached fails the call at once.
///
/// AsyncHTTPClient's default (`.shared`) retries a failed connection with backoff until the request's own
/// deadline, which for a blob upload is an hour; a build against a registry whose name does not resolve then
/// sat silent for minutes. Apply retries retryable failures itself (the executor), so the client need not.
public enum RegistryHTTP {
  public static let client: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.timeout = .init(connect: .seconds(15), read: .seconds(300))
    configuration.connectionPool.retryConnectionEstablishment = false
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
  }()
}
