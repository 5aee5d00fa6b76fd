/// `[registry/]repository[:tag][@digest]`, with Docker Hub's defaults (`docker.io`, `library/`).
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
  /// The registry as written (`docker.io`, `myregistry.azurecr.io`, `127.0.0.1:5000`).
  public var registry: String
  public var repository: String
  public var tag: String?
  public var digest: String?

  public init(registry: String, repository: String, tag: String? = nil, digest: String? = nil) {
    self.registry = registry
    self.repository = repository
    self.tag = tag
    self.digest = digest
  }

  /// Parses a reference; `nil` when it is not one (empty parts, upper case in the repository, a bad digest).
  public init?(parsing text: String) {
    var rest = Substring(text)
    var digest: String?
    if let at = rest.firstIndex(of: "@") {
      digest = String(rest[rest.index(after: at)...])
      rest = rest[..<at]
      guard let found = digest, found.hasPrefix("sha256:"), found.count == 71,
        found.dropFirst(7).allSatisfy({ $0.isHexDigit && !$0.isUppercase })
      else { return nil }
    }
    var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    guard !components.isEmpty, components.allSatisfy({ !$0.isEmpty }) else { return nil }
    var registry = "docker.io"
    if components.count > 1, let first = components.first,
      first.contains(".") || first.contains(":") || first == "localhost"
    {
      registry = first
      components.removeFirst()
    }
    var tag: String?
    if let last = components.last, let colon = last.lastIndex(of: ":") {
      tag = String(last[last.index(after: colon)...])
      components[components.count - 1] = String(last[..<colon])
      guard let found = tag, !found.isEmpty, found.count <= 128,
        found.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" })
      else { return nil }
    }
    if registry == "docker.io" && components.count == 1 { components.insert("library", at: 0) }
    let repository = components.joined(separator: "/")
    guard
      repository.allSatisfy({
        ($0.isLetter && $0.isLowercase) || $0.isNumber || $0 == "/" || $0 == "." || $0 == "_" || $0 == "-"
      }), !repository.isEmpty
    else { return nil }
    self.init(registry: registry, repository: repository, tag: tag, digest: digest)
  }

  /// The host the distribution API answers on (`registry-1.docker.io` for Docker Hub).
  public var apiHost: String { registry == "docker.io" ? "registry-1.docker.io" : registry }

  /// The digest if pinned, else the tag, else `latest`: what a manifest GET names.
  public var manifestReference: String { digest ?? tag ?? "latest" }

  /// `registry/repository@digest`, or with the tag when there is no digest.
  public var description: String {
    var text = registry + "/" + repository
    if let tag { text += ":" + tag }
    if let digest { text += "@" + digest }
    return text
  }

  /// The same repository pinned to `digest` (tag dropped): how services reference images.
  public func pinned(to digest: String) -> ImageReference {
    ImageReference(registry: registry, repository: repository, digest: digest)
  }
}
