import Foundation

/// The era rule: the pinned packages of a conda file fix when the environment is from, and packages it
/// leaves unpinned resolve no newer than that.
///
/// A file's author tested it with what the index had when their pins were current; conda's solver and
/// conda-forge's build pins kept the rest binary compatible, PyPI metadata often does not (scikit-learn
/// 1.2.2's wheels say `numpy>=1.17.3` but break on numpy 2). So the newest pinned release's first upload
/// time becomes an upper bound (uv's `--exclude-newer-package`) for every package listed without an
/// upper bound, and for numpy even when only transitive, because compiled wheels are built against it.
/// The scoring server and the packages it requires are exempt, as bounds and as anchors: Berth runs the
/// current server, and bounding what it requires would make uv fall back to a years-old server.
/// See docs/environments-resolution.md.
public enum ResolutionEra {
  /// Part of the environment's content hash; bump it when the rule changes what gets installed.
  public static let ruleVersion = "era-v1"

  /// Packages whose C ABI other wheels are compiled against: bounded by the era even when only transitive.
  public static let abiAnchors = ["numpy"]

  /// Packages neither bounded nor fixing the era: the scoring server and what it requires that conda files list.
  public static let exempt: Set<String> = [
    CondaEnvironmentFile.scoringServerPackage, "inference-schema", "flask", "flask-cors", "gunicorn", "werkzeug",
    "pydantic", "pydantic-settings",
  ]

  /// An exact pin, `name==version`.
  public struct Pin: Hashable, Sendable {
    public var name: String
    public var version: String

    public init(name: String, version: String) {
      self.name = name
      self.version = version
    }
  }

  /// The era of one environment: the pin that fixes it, its date, and the packages it bounds.
  public struct Plan: Hashable, Sendable {
    /// The newest pinned release.
    public var anchor: Pin
    /// Its first upload time.
    public var date: Date
    /// Normalised names bounded by `date`, sorted.
    public var bounded: [String]

    /// `2023-03-08T13:15:47Z`, as uv reads it.
    public var dateText: String { ResolutionEra.format(date) }

    /// uv arguments: one `--exclude-newer-package name=date` per bounded package.
    public var uvArguments: [String] {
      bounded.flatMap { ["--exclude-newer-package", "\($0)=\(dateText)"] }
    }

    /// One line per bounded package saying which bound was added and why.
    public var explanation: [String] {
      bounded.map { name in
        let why =
          ResolutionEra.abiAnchors.contains(name)
          ? "compiled wheels are built against it, so it stays in the era of the pins"
          : "it is not pinned in the conda file"
        return "era: \(name) resolves no newer than \(dateText), when \(anchor.name)==\(anchor.version) was released (\(why))"
      }
    }
  }

  /// The exact pins that fix the era (exempt packages do not), in requirement order.
  public static func pins(in spec: PythonEnvironmentSpec) -> [Pin] {
    spec.requirements.compactMap { line in
      let parsed = RequirementLine(line)
      guard !exempt.contains(parsed.name) else { return nil }
      return parsed.pinnedVersion.map { Pin(name: parsed.name, version: $0) }
    }
  }

  /// The era for `spec` given the first upload time of some of its pins, or `nil` when the rule is off,
  /// no pin has a known date, or nothing is left to bound.
  public static func plan(for spec: PythonEnvironmentSpec, releaseDates: [Pin: Date]) -> Plan? {
    guard spec.eraRule, spec.condaFileText == nil else { return nil }
    let dated = pins(in: spec).compactMap { pin in releaseDates[pin].map { (pin, $0) } }
    guard let newest = dated.max(by: { $0.1 < $1.1 }) else { return nil }
    let lines = spec.requirements.map(RequirementLine.init)
    let capped = Set((lines + spec.constraints.map(RequirementLine.init)).filter(\.hasUpperBound).map(\.name))
    var bounded = Set(lines.filter { !$0.isDirectReference && !$0.hasUpperBound }.map(\.name))
    bounded.formUnion(abiAnchors)
    bounded.subtract(capped)
    bounded.subtract(exempt)
    guard !bounded.isEmpty else { return nil }
    return Plan(anchor: newest.0, date: newest.1, bounded: bounded.sorted())
  }

  /// The era for `spec`, asking `lookup` when each of its pins was released.
  public static func plan(for spec: PythonEnvironmentSpec, lookup: any ReleaseDateLooking) throws -> Plan? {
    guard spec.eraRule, spec.condaFileText == nil else { return nil }
    var dates: [Pin: Date] = [:]
    for pin in pins(in: spec) {
      if let date = try lookup.firstUpload(of: pin) { dates[pin] = date }
    }
    return plan(for: spec, releaseDates: dates)
  }

  static func format(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
  }
}
