import BerthModel
import Foundation

/// The machine-readable plan (`berth plan --json`, `--out FILE`): documented in docs/plan-json.md.
public enum PlanJSON {
  public static func encode(_ plan: Plan) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(masked(plan)) + Data("\n".utf8)
  }

  public static func decode(_ data: Data) throws -> Plan {
    try JSONDecoder().decode(Plan.self, from: data)
  }

  /// Sensitive values never leave the process, not even in a saved plan.
  static func masked(_ plan: Plan) -> Plan {
    var plan = plan
    for index in plan.actions.indices {
      for changeIndex in plan.actions[index].changes.indices
      where Sensitivity.isSensitive(plan.actions[index].changes[changeIndex].path) {
        if plan.actions[index].changes[changeIndex].before != nil {
          plan.actions[index].changes[changeIndex].before = .string(Sensitivity.mask)
        }
        if plan.actions[index].changes[changeIndex].after != nil {
          plan.actions[index].changes[changeIndex].after = .string(Sensitivity.mask)
        }
      }
    }
    return plan
  }
}
