import BerthPythonSpec
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// First upload times of releases, read from a package index's JSON simple API (PEP 691 with PEP 700's
/// `upload-time`, the same data uv's `--exclude-newer` uses), cached on disk because they never change.
public struct SimpleIndexReleaseDates: ReleaseDateLooking {
  /// PyPI's simple API.
  public static let pypi = "https://pypi.org/simple"

  /// The index's simple API root, e.g. `https://pypi.org/simple`.
  public var indexURL: String
  /// A folder for `<name>==<version>` files holding the date; `nil` to ask the index every time.
  public var cacheDirectory: String?
  /// Per request.
  public var timeout: TimeInterval

  public init(indexURL: String = Self.pypi, cacheDirectory: String? = nil, timeout: TimeInterval = 60) {
    self.indexURL = indexURL.hasSuffix("/") ? String(indexURL.dropLast()) : indexURL
    self.cacheDirectory = cacheDirectory
    self.timeout = timeout
  }

  public func firstUpload(of pin: ResolutionEra.Pin) throws -> Date? {
    let cacheFile = cacheDirectory.map { "\($0)/\(pin.name)==\(pin.version)" }
    if let cacheFile, let text = try? String(contentsOfFile: cacheFile, encoding: .utf8),
      let date = Self.parse(text.trimmingCharacters(in: .whitespacesAndNewlines))
    {
      return date
    }
    let data = try fetch("\(indexURL)/\(pin.name)/")
    guard let date = try Self.firstUpload(of: pin.version, inProjectPage: data) else { return nil }
    if let cacheDirectory, let cacheFile {
      try? FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
      try? Self.formatted(date).write(toFile: cacheFile, atomically: true, encoding: .utf8)
    }
    return date
  }

  /// The earliest `upload-time` among the files of `version` in a PEP 691 project page.
  static func firstUpload(of version: String, inProjectPage data: Data) throws -> Date? {
    struct Page: Decodable {
      struct File: Decodable {
        var filename: String
        var uploadTime: String?
        enum CodingKeys: String, CodingKey {
          case filename
          case uploadTime = "upload-time"
        }
      }
      var files: [File]
    }
    let page: Page
    do {
      page = try JSONDecoder().decode(Page.self, from: data)
    } catch {
      throw LocalTargetError(
        .environmentBuildFailed, "The package index did not answer with a JSON project page (PEP 691): \(error)")
    }
    return page.files.filter { fileVersion($0.filename) == version }.compactMap { $0.uploadTime.flatMap(parse) }.min()
  }

  /// The version part of a wheel (`name-1.2.2-cp310-…whl`) or sdist (`name-1.2.2.tar.gz`) file name.
  static func fileVersion(_ filename: String) -> String? {
    if filename.hasSuffix(".whl") {
      let parts = filename.split(separator: "-")
      return parts.count >= 5 ? String(parts[1]) : nil
    }
    for suffix in [".tar.gz", ".zip", ".tar.bz2"] where filename.hasSuffix(suffix) {
      let stem = filename.dropLast(suffix.count)
      return stem.lastIndex(of: "-").map { String(stem[stem.index(after: $0)...]) }
    }
    return nil
  }

  private func fetch(_ url: String) throws -> Data {
    guard let address = URL(string: url) else {
      throw LocalTargetError(.environmentBuildFailed, "'\(url)' is not a URL.")
    }
    var request = URLRequest(url: address, timeoutInterval: timeout)
    request.setValue("application/vnd.pypi.simple.v1+json", forHTTPHeaderField: "Accept")
    final class Box: @unchecked Sendable { var result: Result<(Data, Int), any Error>? }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    URLSession.shared.dataTask(with: request) { data, response, error in
      if let error {
        box.result = .failure(error)
      } else {
        box.result = .success((data ?? Data(), (response as? HTTPURLResponse)?.statusCode ?? 0))
      }
      done.signal()
    }.resume()
    done.wait()
    switch box.result {
    case .success((let data, 200)): return data
    case .success((_, 404)): return Data(#"{"files": []}"#.utf8)
    case .success((_, let status)):
      throw LocalTargetError(
        .environmentBuildFailed, "The package index answered \(status) for \(url).", isRetryable: status >= 500)
    case .failure(let error):
      throw LocalTargetError(
        .environmentBuildFailed, "Cannot reach the package index at \(url): \(error.localizedDescription)",
        isRetryable: true)
    case nil: throw LocalTargetError(.environmentBuildFailed, "No answer from \(url).", isRetryable: true)
    }
  }

  static func parse(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)
  }

  private static func formatted(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: date)
  }
}
