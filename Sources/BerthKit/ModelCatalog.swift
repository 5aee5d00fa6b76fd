import BerthState

/// Model versions known during an apply: those recorded before it plus those it registers.
actor ModelCatalog {
  private var versions: [String: [ModelVersionRecord]]

  init(_ versions: [String: [ModelVersionRecord]]) {
    self.versions = versions
  }

  func add(_ record: ModelVersionRecord) {
    versions[record.name, default: []].append(record)
  }

  func find(_ name: String, version: Int) -> ModelVersionRecord? {
    versions[name]?.last { $0.version == version }
  }
}
