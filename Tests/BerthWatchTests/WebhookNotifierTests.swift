import BerthWatch
import Foundation
import Testing

/// Delivery to a real HTTP receiver (the watch server itself, answering from a closure): retries, and no blocking.
@Suite(.serialized) struct WebhookNotifierTests {
  /// Receives posts; the first `failures` get a 503.
  final class Receiver: @unchecked Sendable {
    private let lock = NSLock()
    private var bodies: [String] = []
    private var attempts = 0
    let failures: Int

    init(failures: Int) {
      self.failures = failures
    }

    func handle(_ request: MetricsServer.Request) -> MetricsServer.Response {
      lock.withLock {
        attempts += 1
        if attempts <= failures { return .init(status: 503, body: "busy") }
        bodies.append(String(decoding: request.body, as: UTF8.self))
        return .init(status: 200, body: "ok")
      }
    }

    var received: [String] { lock.withLock { bodies } }
    var tries: Int { lock.withLock { attempts } }
  }

  @Test func aFailingReceiverIsRetriedWithBackoffAndTheURLIsNeverLogged() async throws {
    let receiver = Receiver(failures: 2)
    let server = MetricsServer(host: "127.0.0.1", port: 0) { receiver.handle($0) }
    let port = try server.start()
    defer { server.stop() }
    let log = LogSink()
    let url = "http://127.0.0.1:\(port)/services/T000/B000/secret-path"
    let notifier = WebhookNotifier(
      targets: [NotifyTarget(url: url, format: .slack)], firstRetryDelay: 0.01, log: { log.write($0) })
    notifier.send(WatchNotification(kind: .applySucceeded, summary: "applied 1 change(s)", time: Date()))
    await notifier.finish(timeout: 10)
    #expect(receiver.tries == 3)
    #expect(receiver.received.count == 1)
    #expect(receiver.received.first?.contains("applied 1 change(s)") == true)
    #expect(log.events("notify_retrying").count == 2)
    #expect(log.records.allSatisfy { !$0.jsonLine.contains("secret-path") })
    #expect(log.events("notify_retrying").first?["target"] == .string("http://127.0.0.1:\(port)/…"))
  }

  @Test func anUnreachableReceiverNeverBlocksTheSender() async throws {
    let log = LogSink()
    let notifier = WebhookNotifier(
      targets: [NotifyTarget(url: "http://127.0.0.1:9/hook", format: .json)], attempts: 2, firstRetryDelay: 0.01,
      timeout: .milliseconds(300), log: { log.write($0) })
    let started = ContinuousClock.now
    for index in 0..<3 { notifier.send(WatchNotification(kind: .driftFound, summary: "drift \(index)", time: Date())) }
    #expect(ContinuousClock.now - started < .milliseconds(100))
    await notifier.finish(timeout: 20)
    #expect(log.events("notify_failed").count == 3)
  }
}
