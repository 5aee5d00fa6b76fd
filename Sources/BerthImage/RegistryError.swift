/// What went wrong talking to a registry, phrased for the user; secrets never appear.
public enum RegistryError: Error, Equatable, Sendable, CustomStringConvertible {
  /// 401: no or wrong credentials.
  case unauthorized(host: String, detail: String)
  /// 403: the credentials are valid but may not do this.
  case denied(host: String, detail: String)
  /// 404 or `*_UNKNOWN`: the repository, manifest or blob does not exist.
  case notFound(String)
  /// `DIGEST_INVALID`: uploaded bytes do not match the digest Berth computed.
  case digestInvalid(String)
  /// `MANIFEST_BLOB_UNKNOWN`: the manifest references a blob the registry does not have.
  case manifestBlobUnknown(String)
  /// Any other answer.
  case unexpected(status: Int, what: String, detail: String)
  /// The connection failed.
  case transport(host: String, detail: String)
  /// Credentials or settings are missing or contradictory.
  case configuration(String)

  public var isRetryable: Bool {
    switch self {
    case .transport: true
    case .unexpected(let status, _, _): status == 429 || status >= 500
    default: false
    }
  }

  public var description: String {
    switch self {
    case .unauthorized(let host, let detail):
      "registry \(host) refused the credentials (401 Unauthorized)\(detail.isEmpty ? "" : ": " + detail)\n"
        + "  hint: set the variables the registry's username_env/password_env name, or log in so ~/.docker/config.json has an entry for \(host)"
    case .denied(let host, let detail):
      "registry \(host) denied access (403 Forbidden)\(detail.isEmpty ? "" : ": " + detail)\n"
        + "  hint: the credentials work but lack push or pull rights on this repository"
    case .notFound(let what): "\(what) does not exist in the registry (404)"
    case .digestInvalid(let what):
      "the registry says the bytes of \(what) do not match their digest (DIGEST_INVALID); the upload was corrupted or the layer cache is damaged (remove .berth/images and build again)"
    case .manifestBlobUnknown(let what):
      "the registry does not have a blob the manifest references (MANIFEST_BLOB_UNKNOWN): \(what)"
    case .unexpected(let status, let what, let detail):
      "\(what) failed: HTTP \(status)\(detail.isEmpty ? "" : ": " + detail)"
    case .transport(let host, let detail): "cannot reach registry \(host): \(detail)"
    case .configuration(let message): message
    }
  }
}
