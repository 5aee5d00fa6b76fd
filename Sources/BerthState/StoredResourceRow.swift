import BerthModel

/// A resource row as a store returns it, its JSON columns not yet parsed. Stores collect these and parse them on every
/// core (`records(_:)`): the parsing, not the reading, is most of a snapshot of 100,000 records.
public struct StoredResourceRow: Sendable {
  public var address: String
  public var attributes: String
  public var outputs: String
  public var dependencies: String
  /// Unix seconds.
  public var updatedAt: Double

  public init(address: String, attributes: String, outputs: String, dependencies: String, updatedAt: Double) {
    self.address = address
    self.attributes = attributes
    self.outputs = outputs
    self.dependencies = dependencies
    self.updatedAt = updatedAt
  }

  public func record() throws -> ResourceRecord {
    ResourceRecord(
      address: try StoredForm.address(address), attributes: try StoredForm.attributes(json: attributes),
      outputs: try StoredForm.attributes(json: outputs), dependencies: try StoredForm.addresses(json: dependencies),
      updatedAt: StoredForm.date(updatedAt))
  }

  /// The records of `rows` by address, parsed on every core; the first row that cannot be read throws.
  public static func records(_ rows: [StoredResourceRow]) throws -> [ResourceAddress: ResourceRecord] {
    let records = try ParallelMap.tryMap(rows) { row in try row.record() }
    var table: [ResourceAddress: ResourceRecord] = [:]
    table.reserveCapacity(records.count)
    for record in records { table[record.address] = record }
    return table
  }
}
