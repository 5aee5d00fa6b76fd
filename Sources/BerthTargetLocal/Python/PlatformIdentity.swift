#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Names the operating system and CPU an environment was built for.
public enum PlatformIdentity {
  /// `<os>-<machine>` of this machine, e.g. `linux-x86_64` or `darwin-arm64`.
  public static let current: String = {
    var info = utsname()
    guard uname(&info) == 0 else { return "unknown" }
    func text<T>(_ field: T) -> String {
      withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
    return "\(text(info.sysname).lowercased())-\(text(info.machine))"
  }()
}
