import BerthState

/// Model versions known during an apply: those recorded before it plus those it registers.
public actor ModelCatalog {
  private var versions: [String: [ModelVersionRecord]]

  public init(_ versions: [String: [ModelVersionRecord]]) {
    self.versions = versions
  }

  public func add(_ record: ModelVersionRecord) {
    versions[record.name, default: []].append(record)
  }

  /// A renamed model keeps its versions under its new name.
  public func rename(from old: String, to new: String) {
    guard old != new, let moved = versions.removeValue(forKey: old) else { return }
    versions[new] = moved.map { version in
      var renamed = version
      renamed.name = new
      return renamed
    }
  }

  public func find(_ name: String, version: Int) -> ModelVersionRecord? {
    versions[name]?.last { $0.version == version }
  }
}
