import ArgumentParser
import BerthKit
import BerthModel
import BerthState
import BerthStateSQLite
import Foundation

/// `berth state`: read and repair recorded state.
struct StateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "state",
    abstract: "List, show and repair what Berth recorded.",
    subcommands: [List.self, Show.self, Remove.self, Lock.self, Unlock.self, History.self])

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List recorded resources.")
    @OptionGroup var manifests: ManifestOptions

    func run() async throws {
      let (_, store, _) = try WorkspaceAccess.open(manifests, access: .read)
      let state = try await store.snapshot()
      for (address, record) in state.resources.sorted(by: { $0.key < $1.key }) {
        let updated = ISO8601DateFormatter().string(from: record.updatedAt)
        print("\(address)\t\(updated)")
      }
    }
  }

  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one recorded resource: attributes and outputs.")
    @OptionGroup var manifests: ManifestOptions
    @Argument(help: "kind/name, for example service/diabetes-local") var address: String

    func run() async throws {
      guard let parsed = ResourceAddress(parsing: address) else { throw ValidationError("'\(address)' is not kind/name") }
      let (_, store, _) = try WorkspaceAccess.open(manifests, access: .read)
      guard let record = try await store.snapshot().resources[parsed] else {
        throw ValidationError("\(parsed) is not in the state")
      }
      print("\(record.address)  (updated \(ISO8601DateFormatter().string(from: record.updatedAt)))")
      print("attributes:")
      for key in record.attributes.keys.sorted() { print("  \(key) = \(shown(key, record.attributes[key]!))") }
      if !record.outputs.isEmpty {
        print("outputs:")
        for key in record.outputs.keys.sorted() { print("  \(key) = \(shown(key, record.outputs[key]!))") }
      }
      if !record.dependencies.isEmpty {
        print("depends on: " + record.dependencies.map(\.description).joined(separator: ", "))
      }
    }

    func shown(_ key: String, _ value: FieldValue) -> String {
      Sensitivity.isSensitive(key) ? Sensitivity.mask : value.description
    }
  }

  struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "rm", abstract: "Forget a resource without touching what runs (the next plan creates it again).")
    @OptionGroup var manifests: ManifestOptions
    @Argument(help: "kind/name") var address: String

    func run() async throws {
      guard let parsed = ResourceAddress(parsing: address) else { throw ValidationError("'\(address)' is not kind/name") }
      let (_, store, _) = try WorkspaceAccess.open(manifests, access: .write)
      let lock = try await store.acquire(operation: "state rm", who: Reconciler.defaultWho(), timeout: 0)
      defer { Task { try? await store.release(lock) } }
      guard try await store.removeRecord(parsed) else { throw ValidationError("\(parsed) is not in the state") }
      try await store.release(lock)
      print("Removed \(parsed) from the state. What runs was not touched.")
    }
  }

  struct Lock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show who holds the state lock, if anyone.")
    @OptionGroup var manifests: ManifestOptions

    func run() async throws {
      let (_, store, _) = try WorkspaceAccess.open(manifests, access: .read)
      guard let lock = try await store.currentLock() else {
        print("The state is not locked.")
        return
      }
      print(lock.description)
      if lock.holderIsGone {
        print(
          "The holder is gone: process \(lock.pid) no longer runs on this machine. The next apply takes the lock over, "
            + "or run `berth state unlock \(lock.id)`.")
      }
    }
  }

  struct Unlock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Clear a lock left by a run that is gone.")
    @OptionGroup var manifests: ManifestOptions
    @Argument(help: "The lock id printed by the command that found it.") var lockID: String

    func run() async throws {
      let (_, store, _) = try WorkspaceAccess.open(manifests, access: .write)
      let current = try await store.currentLock()
      guard try await store.forceUnlock(id: lockID) else {
        throw ValidationError(current.map { "no lock with id \(lockID); the current one is \($0)" } ?? "the state is not locked")
      }
      print("Unlocked \(lockID)\(current.map { " (was held by \($0.who)@\($0.host), pid \($0.pid))" } ?? "").")
    }
  }

  struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show recent applies and what each action did.")
    @OptionGroup var manifests: ManifestOptions
    @Option(help: "How many applies.") var limit = 10

    func run() async throws {
      let (_, store, _) = try WorkspaceAccess.open(manifests, access: .read)
      let formatter = ISO8601DateFormatter()
      for apply in try await store.history(limit: limit) {
        print("#\(apply.id) \(apply.operation) by \(apply.who) at \(formatter.string(from: apply.startedAt)): \(apply.result)")
        for action in apply.actions {
          print(
            "  \(action.outcome.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(action.action) \(action.address): \(action.message)"
          )
        }
      }
    }
  }
}
