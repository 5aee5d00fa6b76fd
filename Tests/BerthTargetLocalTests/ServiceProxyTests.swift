import Foundation
import Testing

@testable import BerthTargetLocal

#if canImport(Glibc)
import Glibc
#endif

/// The port proxy in this process, in front of fake backends on 127.0.0.1.
@Suite(.timeLimit(.minutes(2))) struct ServiceProxyTests {
  /// A proxy serving on a thread of its own until `stop()`.
  final class RunningProxy: @unchecked Sendable {
    let proxy: ServiceProxy
    let port: Int
    let statusFile: String
    private let stopPipe: [Int32]
    private let finished = DispatchSemaphore(value: 0)

    init(folder: String) throws {
      statusFile = folder + "/status.json"
      proxy = ServiceProxy(
        configuration: ServiceProxyConfiguration(
          listenPort: 0, routeFile: folder + "/route", statusFile: statusFile, bindAddress: "127.0.0.1",
          statusInterval: .milliseconds(20), drainTimeout: .seconds(3)))
      port = try proxy.bind()
      var fds: [Int32] = [-1, -1]
      pipe(&fds)
      stopPipe = fds
      let (proxy, finished, readFD) = (proxy, finished, fds[0])
      Thread {
        proxy.serve(until: readFD)
        finished.signal()
      }.start()
    }

    var status: ProxyStatus? { ProxyStatus.read(statusFile) }

    /// Signals the proxy to stop; true when it returned within `timeout`.
    func stop(timeout: TimeInterval = 5) -> Bool {
      var byte: UInt8 = 1
      _ = write(stopPipe[1], &byte, 1)
      return finished.wait(timeout: .now() + timeout) == .success
    }
  }

  @Test func switchesRouteForNewConnectionsAndDrainsOldOnes() throws {
    let folder = try Scratch.directory("berth-proxy")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let a = try FakeBackend(name: "A")
    let b = try FakeBackend(name: "B")
    defer {
      a.stop()
      b.stop()
    }
    try RouteFile.write(backendPort: a.port, to: folder + "/route")
    let running = try RunningProxy(folder: folder)
    let client = LoopbackHTTPClient(timeout: .seconds(5))

    #expect(try client.get(port: running.port).text == "A")
    #expect(eventually { running.status?.backendPort == a.port && running.status?.listenPort == running.port })

    // A slow request holds a connection to A across the switch.
    let slowAnswer = LockedBox<String?>(nil)
    let slowDone = DispatchSemaphore(value: 0)
    Thread {
      slowAnswer.value = try? client.get(port: running.port, path: "/slow").text
      slowDone.signal()
    }.start()
    #expect(eventually { running.status?.active(onBackend: a.port) == 1 })

    try RouteFile.write(backendPort: b.port, to: folder + "/route")
    #expect(try client.get(port: running.port).text == "B")
    #expect(eventually { running.status?.backendPort == b.port })
    #expect(running.status?.active(onBackend: a.port) == 1, "the slow request to A is still open")

    #expect(slowDone.wait(timeout: .now() + 5) == .success)
    #expect(slowAnswer.value == "A", "in-flight requests finish on the old backend")
    #expect(eventually { running.status?.active(onBackend: a.port) == 0 })
    #expect(running.status?.failedConnections == 0)

    #expect(running.stop())
    #expect(running.status?.stopping == true)
    #expect(throws: LoopbackHTTPError.self) { try client.get(port: running.port) }
  }

  @Test func closesConnectionsWhenNoBackendAnswers() throws {
    let folder = try Scratch.directory("berth-proxy-none")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let running = try RunningProxy(folder: folder)
    defer { _ = running.stop() }
    let client = LoopbackHTTPClient(timeout: .seconds(5))
    #expect(throws: LoopbackHTTPError.self) { try client.get(port: running.port) }

    let gone = try FakeBackend(name: "gone")
    gone.stop()
    try RouteFile.write(backendPort: gone.port, to: folder + "/route")
    #expect(throws: LoopbackHTTPError.self) { try client.get(port: running.port) }
    #expect(eventually { running.status?.failedConnections == 2 && running.status?.activeConnections == [:] })
  }

  @Test func refusesAPortThatIsTaken() throws {
    let folder = try Scratch.directory("berth-proxy-taken")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let holder = try FakeBackend(name: "holder")
    defer { holder.stop() }
    let proxy = ServiceProxy(
      configuration: ServiceProxyConfiguration(
        listenPort: holder.port, routeFile: folder + "/route", statusFile: folder + "/status.json"))
    #expect(throws: ServiceProxyError.self) { try proxy.bind() }
  }

  @Test func configurationRoundTripsThroughArguments() throws {
    let configuration = ServiceProxyConfiguration(listenPort: 8890, routeFile: "/r/route", statusFile: "/r/status.json")
    #expect(configuration.arguments == ["--listen", "8890", "--route-file", "/r/route", "--status-file", "/r/status.json"])
    #expect(try ServiceProxyConfiguration(arguments: configuration.arguments) == configuration)
    #expect(throws: ServiceProxyError.self) { try ServiceProxyConfiguration(arguments: ["--listen", "x"]) }
    #expect(throws: ServiceProxyError.self) { try ServiceProxyConfiguration(arguments: ["--port", "1"]) }
  }

  @Test func routeFileHoldsOnePort() throws {
    let folder = try Scratch.directory("berth-route")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/route"
    #expect(RouteFile.read(path) == nil)
    try RouteFile.write(backendPort: 43121, to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "43121\n")
    var watcher = RouteWatcher(path: path)
    #expect(watcher.current() == 43121)
    try RouteFile.write(backendPort: 43122, to: path)
    #expect(watcher.current() == 43122)
    try Scratch.write("garbage", to: path)
    #expect(watcher.current() == 43122, "a malformed route keeps the last good port")
    #expect(RouteFile.parse(Data("70000\n".utf8)) == nil)
  }
}

/// A value shared between threads under a lock.
final class LockedBox<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: Value

  init(_ value: Value) { stored = value }

  var value: Value {
    get { lock.withLock { stored } }
    set { lock.withLock { stored = newValue } }
  }
}
