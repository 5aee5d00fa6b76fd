import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file that names the backend port a service proxy sends new connections to: one decimal port and a newline.
public enum RouteFile {
  /// Replaces the route atomically (temporary file and rename), so the proxy never reads half a port.
  public static func write(backendPort: Int, to path: String) throws {
    try AtomicFile.write(Data("\(backendPort)\n".utf8), to: path)
  }

  /// The port in the route file at `path`, or `nil` when it is missing or malformed.
  public static func read(_ path: String) -> Int? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return parse(data)
  }

  static func parse(_ data: Data) -> Int? {
    let text = String(decoding: data.prefix(64), as: UTF8.self)
    guard let token = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).first,
      let port = Int(token), (1...65535).contains(port)
    else { return nil }
    return port
  }
}

/// Follows a route file cheaply: one `stat` per call, a read only when the file was replaced or touched.
struct RouteWatcher {
  /// The route file.
  let path: String
  private var identity: [Int] = []
  private var port: Int?

  init(path: String) { self.path = path }

  /// The current backend port; keeps the last good port while the file is missing or malformed.
  mutating func current() -> Int? {
    var info = stat()
    guard stat(path, &info) == 0 else { return port }
    #if os(Linux)
    let modified = [Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
    #else
    let modified = [Int(info.st_mtimespec.tv_sec), Int(info.st_mtimespec.tv_nsec)]
    #endif
    let now = [Int(info.st_dev), Int(info.st_ino), Int(info.st_size)] + modified
    if now != identity {
      identity = now
      if let fresh = RouteFile.read(path) { port = fresh }
    }
    return port
  }
}
