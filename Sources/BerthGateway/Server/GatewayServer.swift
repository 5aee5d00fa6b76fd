import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The gateway's listening socket, its reload loop, and its shutdown.
public final class GatewayServer: Sendable {
  /// The request logic.
  public let gateway: ScoringGateway
  /// The address actually bound (the port is the real one when the configuration asked for 0).
  public let boundAddress: String
  /// The port actually bound.
  public let boundPort: Int
  private let channel: any Channel
  private let upstream: UpstreamPool
  private let configurationPath: String?
  private let reloadTask: NIOLockedValueBox<RepeatedTask?>
  private let log: @Sendable (String) -> Void

  /// Binds the configured address and starts serving; `configurationPath` (when given) is watched for changes.
  public static func start(
    _ configuration: LoadedConfiguration, configurationPath: String? = nil,
    eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    log: @escaping @Sendable (String) -> Void = { _ in }
  ) async throws -> GatewayServer {
    let upstream = UpstreamPool(eventLoopGroup: eventLoopGroup)
    let gateway = ScoringGateway(configuration: configuration, upstream: upstream)
    let settings = configuration.configuration
    let channel: any Channel
    do {
      channel = try await ServerBootstrap(group: eventLoopGroup)
        .serverChannelOption(ChannelOptions.backlog, value: 1024)
        .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
        .childChannelInitializer { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(GatewayHTTPHandler(gateway: gateway))
          }
        }
        .bind(host: settings.listenAddress, port: settings.port).get()
    } catch {
      await upstream.shutdown()
      throw error
    }
    let server = GatewayServer(
      gateway: gateway, channel: channel, upstream: upstream, configurationPath: configurationPath, log: log)
    try server.writeListeningFile(configuration)
    server.scheduleReloads(every: settings.reloadIntervalMs, on: eventLoopGroup.next())
    return server
  }

  private init(
    gateway: ScoringGateway, channel: any Channel, upstream: UpstreamPool, configurationPath: String?,
    log: @escaping @Sendable (String) -> Void
  ) {
    self.gateway = gateway
    self.channel = channel
    self.upstream = upstream
    self.configurationPath = configurationPath
    self.log = log
    boundAddress = channel.localAddress?.ipAddress ?? ""
    boundPort = channel.localAddress?.port ?? 0
    reloadTask = NIOLockedValueBox(nil)
  }

  /// Re-reads the configuration and secret files if any changed; a broken file keeps the old configuration.
  ///
  /// Returns whether a new configuration took effect. Connections stay open: the listener is never rebound.
  @discardableResult
  public func reloadIfChanged(force: Bool = false) -> Bool {
    guard let path = configurationPath else { return false }
    let current = gateway.configuration
    let secrets = [current.configuration.keysFile, current.configuration.tokenSigningKeyFile].compactMap { $0 }
    let now = FileFingerprint(configuration: path, secrets: secrets)
    guard force || now != current.fingerprint else { return false }
    do {
      let next = try LoadedConfiguration.load(path: path)
      let old = current.configuration
      if next.configuration.listenAddress != old.listenAddress || next.configuration.port != old.port {
        log("reload: listen_address and port changes take effect only after a restart; still on \(boundAddress):\(boundPort)")
      }
      gateway.apply(next)
      log("reloaded \(path)")
      do {
        try writeListeningFile(next)
      } catch {
        log("cannot rewrite the listening file: \(error)")
      }
      return true
    } catch {
      // Remember the broken files so the same problem is logged once, not at every poll.
      var kept = current
      kept.fingerprint = now
      gateway.apply(kept)
      log("reload of \(path) failed, keeping the previous configuration:\n\(error)")
      return false
    }
  }

  /// Says where the gateway listens and which configuration it serves now (see `ListeningRecord`).
  private func writeListeningFile(_ loaded: LoadedConfiguration) throws {
    guard let file = loaded.configuration.listeningFile else { return }
    try ListeningRecord(
      address: boundAddress, port: boundPort, pid: getpid(), configurationSHA256: loaded.configurationSHA256
    ).write(to: file)
  }

  private func scheduleReloads(every milliseconds: Int, on eventLoop: any EventLoop) {
    guard configurationPath != nil else { return }
    let task = eventLoop.scheduleRepeatedTask(
      initialDelay: .milliseconds(Int64(milliseconds)), delay: .milliseconds(Int64(milliseconds))
    ) { [self] _ in
      reloadIfChanged()
    }
    reloadTask.withLockedValue { $0 = task }
  }

  /// Stops accepting, lets open requests finish briefly, closes upstream connections.
  public func stop() async {
    reloadTask.withLockedValue { $0?.cancel() }
    try? await channel.close()
    gateway.modelData?.flush()
    await upstream.shutdown()
  }

  /// Waits until the listening socket is closed.
  public func waitUntilClosed() async {
    try? await channel.closeFuture.get()
  }
}
