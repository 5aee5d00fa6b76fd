import BerthModel
import BerthState
import Foundation

/// Sample records for state tests; their dates are exact in binary so that every store keeps them.
public enum StateSample {
  public static let start = Date(timeIntervalSince1970: 1_750_000_000.25)

  public static func time(_ offset: Double) -> Date { start.addingTimeInterval(offset) }

  /// A service record using every kind of field value, including whole and infinite doubles.
  public static func service(_ name: String, port: Int = 8890) -> ResourceRecord {
    ResourceRecord(
      address: ResourceAddress(.service, name),
      attributes: [
        "deployment.port": .int(port),
        "cpu_cores": .double(1.0),
        "memory_gb": .double(0.5),
        "auth_enabled": .bool(false),
        "scoring_timeout_ms": .double(.infinity),
        "models": .list([.string("diabetes-ridge:1"), .double(2.0), .int(2)]),
        "description": .string("1.0"),
      ],
      outputs: ["scoring_uri": .string("http://127.0.0.1:\(port)/score"), "pid": .int(4242)],
      dependencies: [ResourceAddress(.model, "diabetes-ridge"), ResourceAddress(.inferenceConfig, "diabetes-scoring")],
      updatedAt: time(1))
  }

  public static func model(_ name: String, sha: String = "ab12") -> ResourceRecord {
    ResourceRecord(
      address: ResourceAddress(.model, name), attributes: ["content.sha256": .string(sha)], outputs: ["version": .int(1)],
      updatedAt: time(2))
  }

  public static func modelVersion(_ name: String, _ version: Int) -> ModelVersionRecord {
    ModelVersionRecord(
      name: name, version: version, sha256: "sha-\(name)-\(version)", storePath: "models/\(name)/\(version)",
      basename: "model.pkl", sizeBytes: 1_234_567_890_123, fileCount: version, description: version == 1 ? nil : "v\(version)",
      tags: ["algo": "ridge", "team": "risk"], registeredAt: time(Double(version)))
  }

  public static func completion(
    _ applyID: Int64, _ address: ResourceAddress, action: String = "deploy", outcome: ActionOutcome = .succeeded,
    change: RecordChange = .none, modelVersion: ModelVersionRecord? = nil, removedModel: String? = nil, at offset: Double = 5
  ) -> ActionCompletion {
    ActionCompletion(
      applyID: applyID, address: address, action: action, outcome: outcome, message: "\(action) \(address)",
      change: change, modelVersion: modelVersion, removedModel: removedModel, finishedAt: time(offset))
  }

  public static func actionRecord(of completion: ActionCompletion) -> ActionRecord {
    ActionRecord(
      address: completion.address, action: completion.action, outcome: completion.outcome, message: completion.message,
      finishedAt: completion.finishedAt)
  }
}
