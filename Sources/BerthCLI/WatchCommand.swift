import ArgumentParser
import BerthGit
import BerthKit
import BerthWatch
import Foundation

/// `berth watch`: reconcile continuously, as a Kubernetes Deployment or a systemd service.
struct WatchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "watch",
    abstract: "Observe and plan every interval; report drift, and with --self-heal repair it.",
    discussion: """
      Logs one JSON object per line on stderr. Serves GET /healthz, GET /metrics (Prometheus) and a
      status page (GET /) on --listen. Without --self-heal nothing is ever changed. SIGTERM or SIGINT
      stops it cleanly (exit 0); see docs/watch.md. With --git it pulls the manifests from a branch,
      refuses commits that do not validate, takes POST /hooks/git and sends --notify webhooks; see
      docs/controller.md.
      """)

  @OptionGroup var manifests: ManifestOptions

  @Option(help: ArgumentHelp("Time between cycles: 30s, 5m, 1h (±10 % jitter).", valueName: "duration"))
  var interval: String

  @Flag(name: .customLong("self-heal"), help: "Apply the plan under the state lock when something drifted or changed.")
  var selfHeal = false

  @Option(
    help: ArgumentHelp("Where to serve /healthz, /metrics, the status page and /hooks/git (IPv4:PORT).", valueName: "addr:port"))
  var listen = "127.0.0.1:9464"

  @Option(help: "Actions run at once when healing.")
  var parallelism = 10

  @Option(
    name: .customLong("shutdown-timeout"),
    help: ArgumentHelp("On SIGTERM, how long a running apply may go on before it is cancelled.", valueName: "duration"))
  var shutdownTimeout = "25s"

  @OptionGroup(title: "GitOps controller") var controller: WatchControllerOptions

  func validate() throws {
    guard let seconds = WatchDuration.parse(interval), seconds >= 1 else {
      throw ValidationError("--interval must be a duration of at least 1s, such as 30s, 5m or 1h (got '\(interval)')")
    }
    guard WatchDuration.parse(shutdownTimeout) != nil else {
      throw ValidationError("--shutdown-timeout must be a duration such as 25s (got '\(shutdownTimeout)')")
    }
    guard ListenAddress(parsing: listen) != nil else {
      throw ValidationError("--listen must be IPv4:PORT, such as 127.0.0.1:9464 or 0.0.0.0:9464 (got '\(listen)')")
    }
    if parallelism < 1 { throw ValidationError("--parallelism must be at least 1") }
    try controller.validate(dir: manifests.dir, environment: ProcessInfo.processInfo.environment)
  }

  func run() async throws {
    let environment = ProcessInfo.processInfo.environment
    var configuration = WatchConfiguration(
      path: manifests.path, overlays: manifests.overlay, interval: WatchDuration.parse(interval)!, selfHeal: selfHeal,
      parallelism: parallelism, shutdownTimeout: WatchDuration.parse(shutdownTimeout)!)
    var sourceStatus: ControllerStatus.Source?
    if let url = controller.gitURL {
      let workDirectory = controller.absoluteWorkDirectory
      let mirror = GitMirror(
        url: url, branch: controller.branch ?? "main", tagPattern: controller.tagPattern, auth: controller.auth,
        directory: workDirectory + "/.berth/git")
      let source = GitManifestSource(
        mirror: mirror, subpath: controller.repositoryPath, overlays: manifests.overlay,
        allowedSigners: controller.allowedSigners.map { ($0 as NSString).expandingTildeInPath })
      configuration.source = source
      configuration.path = source.manifestsPath
      configuration.workspaceRoot = workDirectory
      sourceStatus = .init(url: url, branch: mirror.followed, path: controller.repositoryPath)
    }
    let address = ListenAddress(parsing: listen)!
    let log = JSONLineLog()
    let metrics = WatchMetricsStore(
      WatchMetrics(version: BerthVersion.current, interval: configuration.interval, startedAt: Date()))
    let status = ControllerStatusStore(
      ControllerStatus(selfHeal: selfHeal, interval: configuration.interval, source: sourceStatus))
    let trigger = WatchTrigger()
    let endpoints = ControllerEndpoints(
      status: status,
      pageAuth: PageAuth(
        bearerToken: controller.pageTokenVariable.flatMap { environment[$0] },
        basicCredentials: controller.pageBasicVariable.flatMap { environment[$0] }),
      webhook: controller.webhookSecretVariable.flatMap { environment[$0] }.flatMap(WebhookVerifier.init(secret:)),
      trigger: trigger,
      onHook: { event in
        log.write(
          WatchLogRecord(time: Date(), level: .info, event: "webhook_received", fields: [.init("git_event", .string(event))]))
      })
    let server = MetricsServer(host: address.host, port: address.port) { request in
      WatchEndpoints.respond(to: request, metrics: metrics.snapshot, now: Date(), controller: endpoints)
    }
    let port: Int
    do {
      port = try server.start()
    } catch {
      log.write(
        WatchLogRecord(time: Date(), level: .error, event: "listen_failed", fields: [.init("error", .string("\(error)"))]))
      throw ExitCode(1)
    }
    log.write(
      WatchLogRecord(
        time: Date(), level: .info, event: "listening", fields: [.init("address", .string("\(address.host):\(port)"))]))

    let stop = WatchStop()
    StopSignals.install { name in
      // Logged before the stop is requested, so that it always comes before `watch_stopped`.
      log.write(
        WatchLogRecord(
          time: Date(), level: .info, event: "signal_received",
          fields: [.init("signal", .string(name)), .init("applying", .bool(stop.isApplying))]))
      stop.request()
    }
    let notifier = WebhookNotifier(targets: controller.notifyTargets(environment: environment), log: log.write)
    var loop = ReconcileLoop(
      configuration: configuration, reconciler: .standard(), metrics: metrics, log: log.write)
    loop.trigger = trigger
    loop.status = status
    loop.notify = { notifier.send($0) }
    await loop.run(until: stop)
    server.stop()
    await notifier.finish()
  }
}

/// Writes log records to stderr, one line each, whole lines only.
final class JSONLineLog: Sendable {
  private let lock = NSLock()

  func write(_ record: WatchLogRecord) {
    let line = Data((record.jsonLine + "\n").utf8)
    lock.withLock { FileHandle.standardError.write(line) }
  }
}

/// The write end of the self-pipe; only the signal handler writes to it.
nonisolated(unsafe) private var stopSignalWriteFD: Int32 = -1

/// SIGTERM and SIGINT turned into calls of a handler on a thread of its own, through a self-pipe.
///
/// A caught signal (unlike an ignored one) reverts to its default in the processes Berth starts,
/// so the scoring servers and proxies a self-healing watcher deploys still stop on SIGTERM.
enum StopSignals {
  static func install(_ handler: @escaping @Sendable (String) -> Void) {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
    stopSignalWriteFD = fds[1]
    // Only async-signal-safe work in the handler: one non-blocking write.
    let onSignal: @convention(c) (Int32) -> Void = { number in
      var byte = UInt8(truncatingIfNeeded: number)
      _ = write(stopSignalWriteFD, &byte, 1)
    }
    signal(SIGTERM, onSignal)
    signal(SIGINT, onSignal)
    let readFD = fds[0]
    Thread.detachNewThread {
      while true {
        var byte: UInt8 = 0
        let count = read(readFD, &byte, 1)
        if count == 1 {
          handler(Int32(byte) == SIGTERM ? "SIGTERM" : "SIGINT")
        } else if count < 0, errno == EINTR {
          continue
        } else {
          return
        }
      }
    }
  }
}
