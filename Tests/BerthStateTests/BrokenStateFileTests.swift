import BerthModel
import BerthState
import BerthTesting
import Foundation
import Testing

@testable import BerthStateSQLite

/// A state that existed and is now unreadable is an error naming the file; reading never creates or rewrites state.
@Suite struct BrokenStateFileTests {
  /// A state file with one recorded resource, as an apply leaves it.
  func appliedState(_ path: String) async throws {
    let store = try SQLiteStateStore(path: path)
    try await store.importRecord(
      ResourceRecord(
        address: ResourceAddress(.model, "ridge"), attributes: ["path": .string("model.pkl")], outputs: [:],
        dependencies: [], updatedAt: Date(timeIntervalSince1970: 1_750_000_000)))
  }

  @Test(arguments: [StateAccess.read, .write])
  func anEmptyFileIsAnErrorNotAFreshState(_ access: StateAccess) async throws {
    try await withTemporaryDirectory { directory in
      let path = directory.path("state.db")
      #expect(FileManager.default.createFile(atPath: path, contents: Data()))
      #expect(throws: StateFileError(path: path, problem: .empty)) { try SQLiteStateStore(path: path, access: access) }
      let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
      #expect(size == 0)
      #expect(
        StateFileError(path: path, problem: .empty).description.hasPrefix(
          "state file '\(path)' is empty (0 bytes), but recorded state is never empty\n  hint: restore it from a backup"))
    }
  }

  @Test func aFolderIsAnErrorNamingIt() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory.path("state.db")
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
      #expect(throws: StateFileError(path: path, problem: .notAFile("a folder"))) {
        try SQLiteStateStore(path: path, access: .read)
      }
    }
  }

  @Test func aSourceFileIsNotADatabase() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory.path("score.py")
      try "def init():\n    pass\n".write(toFile: path, atomically: true, encoding: .utf8)
      #expect(throws: StateFileError(path: path, problem: .notADatabase)) { try SQLiteStateStore(path: path) }
    }
  }

  @Test func aTruncatedDatabaseIsAnErrorNamingIt() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory.path("state.db")
      try await appliedState(path)
      let whole = try Data(contentsOf: URL(fileURLWithPath: path))
      #expect(whole.count > 4096)
      try whole.prefix(1024).write(to: URL(fileURLWithPath: path))
      do {
        let store = try SQLiteStateStore(path: path, access: .read)
        _ = try await store.snapshot()
        Issue.record("a truncated state was read")
      } catch let error as StateFileError {
        #expect(error.path == path)
        guard case .unreadable = error.problem else {
          Issue.record("\(error)")
          return
        }
      }
    }
  }

  @Test func anotherProgramsDatabaseIsNotBerthState() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory.path("other.db")
      try await runSQL(path, "CREATE TABLE notes (text TEXT)")
      #expect(throws: StateFileError(path: path, problem: .notBerthState)) { try SQLiteStateStore(path: path, access: .read) }
      #expect(throws: StateFileError(path: path, problem: .notBerthState)) { try SQLiteStateStore(path: path) }
      #expect(try await runSQL(path, "SELECT name FROM sqlite_master") == ["notes"])
    }
  }

  @Test func readingAMissingStateIsEmptyAndCreatesNothing() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory.path("project/.berth/state.db")
      let store = try SQLiteStateStore(path: path, access: .read)
      #expect(try await store.snapshot() == StateSnapshot())
      #expect(try await store.currentLock() == nil)
      #expect(!FileManager.default.fileExists(atPath: directory.path("project")))
    }
  }

  @Test func readingAnAppliedStateLeavesTheFileAsItWas() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory.path("state.db")
      try await appliedState(path)
      let before = try Data(contentsOf: URL(fileURLWithPath: path))
      let store = try SQLiteStateStore(path: path, access: .read)
      #expect(try await store.snapshot().resources.keys.map(\.description) == ["model/ridge"])
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
  }

  @Test func aLockWhoseProcessIsGoneSaysSo() {
    let host = ProcessIdentity.current.host
    let gone = LockInfo(id: "a", who: "ci", host: host, pid: Int32.max - 1, operation: "apply", since: Date())
    let alive = LockInfo(id: "b", who: "ci", host: host, pid: getpid(), operation: "apply", since: Date())
    let elsewhere = LockInfo(id: "c", who: "ci", host: host + "-other", pid: Int32.max - 1, operation: "apply", since: Date())
    #expect(gone.holderIsGone)
    #expect(!alive.holderIsGone)
    #expect(!elsewhere.holderIsGone)
  }

  /// Seeded corruption of a real state file (bytes overwritten, the file cut short) for a fixed budget: every open
  /// and read either works or fails with an error that names the file, never a crash or another error type.
  @Test func corruptedStateFilesFailWithTheirName() async throws {
    try await withTemporaryDirectory { directory in
      let original = directory.path("original.db")
      try await appliedState(original)
      let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))
      var seed: UInt64 = 0x5EED
      func next(_ bound: Int) -> Int {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((seed >> 33) % UInt64(max(1, bound)))
      }
      var unnamed: [String] = []
      for round in 0..<150 {
        var mutated = bytes
        if round % 3 == 0 {
          mutated = Array(mutated.prefix(next(mutated.count)))
        } else {
          for _ in 0..<(1 + next(16)) { mutated[next(mutated.count)] = UInt8(next(256)) }
        }
        let path = directory.path("state-\(round).db")
        try Data(mutated).write(to: URL(fileURLWithPath: path))
        do {
          let store = try SQLiteStateStore(path: path, access: .read)
          _ = try await store.snapshot()
          _ = try await store.currentLock()
        } catch let error as StateFileError {
          if error.path != path { unnamed.append("\(round): \(error)") }
        } catch is StateError {
        } catch {
          unnamed.append("\(round): \(error)")
        }
      }
      #expect(unnamed.isEmpty, "\(unnamed.prefix(5))")
    }
  }
}
