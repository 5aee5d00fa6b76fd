import BerthTesting
import Foundation
import Testing

/// Two real `berth` processes against one state: the second fails fast naming the holder, or waits.
@Suite(.serialized) struct LockContentionTests {
  func scenario() throws -> ScratchDirectory {
    let scratch = try ScratchDirectory("lock")
    try scratch.write("model.bin", "weights\n")
    try scratch.write("berth.yaml", "apiVersion: berth/v1\nkind: Model\nmetadata: {name: m}\nspec: {path: model.bin}\n")
    return scratch
  }

  /// Starts `berth apply` in a pseudo-terminal (via `script`) so that it holds the lock while it waits for "yes".
  func holdLock(in directory: String) throws -> (Process, FileHandle) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
    process.arguments = ["-qefc", "\(BerthProcess.executable.path) apply", "/dev/null"]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    environment["BERTH_WHO"] = "holder"
    process.environment = environment
    let input = Pipe()
    process.standardInput = input
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    for _ in 0..<100 {
      let status = try BerthProcess.run(["state", "lock"], in: directory)
      if status.stdout.contains("holder") { return (process, input.fileHandleForWriting) }
      Thread.sleep(forTimeInterval: 0.1)
    }
    process.terminate()
    throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "the holder never took the lock"])
  }

  @Test func secondApplyFailsFastNamingTheHolder() throws {
    let scratch = try scenario()
    let (holder, input) = try holdLock(in: scratch.path)
    defer { holder.terminate() }
    let start = Date()
    let second = try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path)
    #expect(second.status == 1)
    #expect(second.stderr.contains("state is locked"))
    #expect(second.stderr.contains("holder@"))
    #expect(Date().timeIntervalSince(start) < 5)
    input.write(Data("no\n".utf8))
    holder.waitUntilExit()
  }

  @Test func secondApplyWaitsWithALockTimeout() throws {
    let scratch = try scenario()
    let (holder, input) = try holdLock(in: scratch.path)
    let waiter = try BerthProcess.start(["apply", "--auto-approve", "--lock-timeout", "60"], in: scratch.path)
    Thread.sleep(forTimeInterval: 1)
    #expect(waiter.isRunning)
    input.write(Data("no\n".utf8))  // the holder cancels and releases the lock
    holder.waitUntilExit()
    waiter.waitUntilExit()
    #expect(waiter.terminationStatus == 0)
    let list = try BerthProcess.run(["state", "list"], in: scratch.path)
    #expect(list.stdout.contains("model/m"))
  }

  @Test func lockOfAKilledProcessIsTakenOver() throws {
    let scratch = try scenario()
    let (holder, _) = try holdLock(in: scratch.path)
    // The lock names the pid of the berth that `script` started: kill exactly that process.
    let lock = try BerthProcess.run(["state", "lock"], in: scratch.path).stdout
    let pid = lock.components(separatedBy: "(pid ").last.flatMap { Int32($0.prefix { $0.isNumber }) }
    #expect(pid != nil, "\(lock)")
    kill(pid ?? 0, SIGKILL)
    holder.waitUntilExit()
    let reported = try BerthProcess.run(["state", "lock"], in: scratch.path).stdout
    #expect(reported.contains("pid \(pid ?? 0)"), "the dead holder's lock stays until someone takes it over")
    let next = try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path)
    #expect(next.status == 0, "\(next.output)")
  }

  @Test func unlockClearsALockByID() throws {
    let scratch = try scenario()
    let (holder, input) = try holdLock(in: scratch.path)
    let lock = try BerthProcess.run(["state", "lock"], in: scratch.path).stdout
    let id = String(lock.split(separator: " ")[1])
    let unlock = try BerthProcess.run(["state", "unlock", id], in: scratch.path)
    #expect(unlock.status == 0, "\(unlock.output)")
    #expect(try BerthProcess.run(["state", "lock"], in: scratch.path).stdout.contains("not locked"))
    input.write(Data("no\n".utf8))
    holder.waitUntilExit()
  }
}
