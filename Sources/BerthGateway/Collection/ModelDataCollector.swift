import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends the inputs and outputs of scored requests as JSON lines, one file per deployment, rotated by size.
///
/// `<folder>/<deployment>/data.jsonl`; when a line would take it past the limit, the file becomes
/// `data.jsonl.1` (the older `.1` becomes `.2`, …, up to `keptFiles`). Writes happen on one serial
/// queue so a slow disk never holds up an answer.
public final class ModelDataCollector: Sendable {
  /// One scored request.
  public struct Record: Sendable {
    /// The request id (also in the `x-request-id` answer header).
    public var requestID: String
    /// The deployment that scored it.
    public var deployment: String
    /// When the request arrived.
    public var time: Date
    /// The request body.
    public var input: Data
    /// The HTTP status of the answer.
    public var status: Int
    /// The answer body.
    public var output: Data

    /// Creates a record.
    public init(requestID: String, deployment: String, time: Date, input: Data, status: Int, output: Data) {
      self.requestID = requestID
      self.deployment = deployment
      self.time = time
      self.input = input
      self.status = status
      self.output = output
    }
  }

  /// The folder with one subfolder per deployment.
  public let folder: String
  /// The size at which a data file is rotated.
  public let maxBytes: Int
  /// How many rotated files are kept.
  public let keptFiles: Int
  private let queue = DispatchQueue(label: "berth.gateway.model-data")

  /// Creates a collector writing under `folder`.
  public init(folder: String, maxBytes: Int, keptFiles: Int = 5) {
    self.folder = folder
    self.maxBytes = maxBytes
    self.keptFiles = keptFiles
  }

  /// The current data file of `deployment`.
  public func file(for deployment: String) -> String { "\(folder)/\(deployment)/data.jsonl" }

  /// Queues `record` for appending.
  public func append(_ record: Record) {
    let line = Self.line(for: record)
    queue.async { [self] in appendLine(line, to: file(for: record.deployment)) }
  }

  /// Waits until every queued record is written (tests, shutdown).
  public func flush() { queue.sync {} }

  /// One JSON line: bodies that are JSON are embedded as JSON, others as text (or base64 when not UTF-8).
  static func line(for record: Record) -> Data {
    var object: [String: Any] = [
      "request_id": record.requestID, "deployment": record.deployment, "status": record.status,
      "time": ISO8601DateFormatter().string(from: record.time),
    ]
    for (key, body) in [("input", record.input), ("output", record.output)] {
      if let json = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) {
        object[key] = json
      } else if let text = String(data: body, encoding: .utf8) {
        object[key] = text
      } else {
        object[key + "_base64"] = body.base64EncodedString()
      }
    }
    var data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    data.append(0x0A)
    return data
  }

  private func appendLine(_ line: Data, to path: String) {
    let directory = (path as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    if size > 0 && size + line.count > maxBytes { rotate(path) }
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return }
    _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
  }

  private func rotate(_ path: String) {
    unlink("\(path).\(keptFiles)")
    for index in stride(from: keptFiles - 1, through: 1, by: -1) { rename("\(path).\(index)", "\(path).\(index + 1)") }
    rename(path, "\(path).1")
  }
}
