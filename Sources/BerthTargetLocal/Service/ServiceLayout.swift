import BerthModel
import Crypto
import Foundation

/// Where one local service's runtime files live: `<runtime>/<service>/`.
///
/// ```
/// <runtime>/<service>/
///   gateway/              the service's own gateway, when it has no endpoint (GatewayLayout)
///   failed-start.log      the log of the last revision that failed to start
///   revisions/<revision>/ one running revision (RevisionLayout)
/// ```
public struct ServiceLayout: Sendable, Hashable {
  /// The service's name.
  public var service: String
  /// `<runtime>/<service>`.
  public var root: String

  /// The layout of `service` under `runtimeDirectory`.
  public init(runtimeDirectory: String, service: String) {
    self.service = service
    self.root = (runtimeDirectory as NSString).standardizingPath + "/" + Self.safeName(service)
  }

  /// The service's own gateway (a service behind an endpoint uses the endpoint's instead).
  public var gateway: GatewayLayout { GatewayLayout(root: root + "/gateway", ownerRoot: root) }
  /// `failed-start.log`.
  public var failedStartLog: String { root + "/failed-start.log" }
  /// `revisions/`.
  public var revisionsDirectory: String { root + "/revisions" }

  /// The folder of `revision`.
  public func revision(_ revision: String) -> RevisionLayout {
    RevisionLayout(revision: revision, root: revisionsDirectory + "/" + Self.safeName(revision))
  }

  /// Revisions that have a folder, sorted.
  public func revisionNames() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: revisionsDirectory)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
  }

  /// `name` with anything but letters, digits, `-`, `_` and `.` replaced, so it is one path component.
  static func safeName(_ name: String) -> String {
    let cleaned = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    return cleaned.isEmpty || cleaned.allSatisfy({ $0 == "." }) ? "_" : cleaned
  }
}

/// The folder of one revision: `revisions/<revision>/`.
///
/// ```
/// azureml-models/<name>/<version> -> <model store folder holding <basename>>
/// server.json                        the scoring process (ScoringProcessHandle)
/// server.log                         azmlinfsrv's stdout and stderr
/// run/                               XDG_RUNTIME_DIR (gunicorn's control socket)
/// ```
public struct RevisionLayout: Sendable, Hashable {
  /// The revision.
  public var revision: String
  /// `revisions/<revision>`.
  public var root: String

  /// `azureml-models`, the root of the model layout.
  public var modelsRoot: String { root + "/azureml-models" }
  /// `server.json`.
  public var serverRecordFile: String { root + "/server.json" }
  /// `server.log`.
  public var serverLogFile: String { root + "/server.log" }

  /// The server's `XDG_RUNTIME_DIR`: `run/`, or a short folder under the temp directory when a socket path there would be too long.
  ///
  /// gunicorn ≥ 25.1 puts `gunicorn.ctl` there; Unix socket paths are limited to 107 bytes.
  public var controlDirectory: String {
    let local = root + "/run"
    guard (local + "/gunicorn.ctl").utf8.count > 100 else { return local }
    let digest = Hex.encode(SHA256.hash(data: Data(root.utf8)).prefix(8))
    return NSTemporaryDirectory() + "berth-run-" + digest
  }

  /// The handle written at launch, if any.
  public func readServerRecord() -> ScoringProcessHandle? {
    AtomicFile.readJSON(ScoringProcessHandle.self, from: serverRecordFile)
  }
}
