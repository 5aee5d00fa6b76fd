/// A scoring server's `host:port` (`[v6]:port` for IPv6 literals).
public struct UpstreamAddress: Sendable, Hashable, CustomStringConvertible {
  /// The host name or address.
  public var host: String
  /// The TCP port.
  public var port: Int

  /// Parses `host:port`; `nil` when either part is missing or the port is out of range.
  public init?(_ text: String) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
      (1...65535).contains(port)
    else { return nil }
    var host = String(text[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty else { return nil }
    self.host = host
    self.port = port
  }

  /// The base URL of the server.
  public var baseURL: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }

  public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
