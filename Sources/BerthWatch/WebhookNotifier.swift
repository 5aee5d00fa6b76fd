import AsyncHTTPClient
import Foundation
import NIOCore

/// One `--notify` receiver.
public struct NotifyTarget: Sendable, Equatable {
  /// The webhook URL; a secret for Slack and Teams (the path is the credential), so it is never logged.
  public var url: String
  public var format: NotificationFormat

  public init(url: String, format: NotificationFormat) {
    self.url = url
    self.format = format
  }

  /// `scheme://host/…`: what logs may say about the receiver.
  public var displayName: String {
    guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else {
      return "(webhook)"
    }
    return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")/…"
  }
}

/// Delivers notifications to webhooks in the background: in order, each retried with backoff, never blocking or
/// failing the loop. A queue of more than `queueLimit` drops its oldest notifications.
public final class WebhookNotifier: Sendable {
  public let targets: [NotifyTarget]
  private let continuation: AsyncStream<WatchNotification>.Continuation
  private let worker: Task<Void, Never>

  public static let queueLimit = 100

  /// `attempts` per notification and receiver, each within `timeout`; the waits between them are `firstRetryDelay`,
  /// doubled each time (1, 2, 4, 8 s by default).
  public init(
    targets: [NotifyTarget], attempts: Int = 5, firstRetryDelay: TimeInterval = 1, timeout: TimeAmount = .seconds(10),
    log: @escaping @Sendable (WatchLogRecord) -> Void,
    sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { try await Task.sleep(for: .seconds($0)) }
  ) {
    self.targets = targets
    let (stream, continuation) = AsyncStream.makeStream(
      of: WatchNotification.self, bufferingPolicy: .bufferingNewest(Self.queueLimit))
    self.continuation = continuation
    worker = Task {
      for await notification in stream {
        for target in targets {
          await Self.deliver(
            notification, to: target, attempts: attempts, firstRetryDelay: firstRetryDelay, timeout: timeout, log: log,
            sleep: sleep)
        }
      }
    }
  }

  /// Queues `notification`; returns at once.
  public func send(_ notification: WatchNotification) {
    guard !targets.isEmpty else { return }
    continuation.yield(notification)
  }

  /// Delivers what is queued (for up to `timeout` seconds), then stops.
  public func finish(timeout: TimeInterval = 5) async {
    continuation.finish()
    let worker = self.worker
    await withTaskGroup(of: Void.self) { group in
      group.addTask { await worker.value }
      group.addTask { try? await Task.sleep(for: .seconds(timeout)) }
      await group.next()
      group.cancelAll()
      worker.cancel()
    }
  }

  static func deliver(
    _ notification: WatchNotification, to target: NotifyTarget, attempts: Int, firstRetryDelay: TimeInterval,
    timeout: TimeAmount, log: @Sendable (WatchLogRecord) -> Void, sleep: @Sendable (TimeInterval) async throws -> Void
  ) async {
    let body = target.format.body(notification)
    var delay = firstRetryDelay
    for attempt in 1...max(1, attempts) {
      let problem: String?
      var request = HTTPClientRequest(url: target.url)
      request.method = .POST
      request.headers.add(name: "Content-Type", value: "application/json")
      request.headers.add(name: "User-Agent", value: "berth-watch")
      request.body = .bytes(ByteBuffer(string: body))
      do {
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        _ = try? await response.body.collect(upTo: 64 << 10)
        let code = Int(response.status.code)
        if (200..<300).contains(code) { return }
        // A receiver that rejects the request as such will reject it again; a busy or broken one may not.
        if (400..<500).contains(code), code != 408, code != 429 {
          log(record(.error, "notify_failed", notification, target, attempt: attempt, error: "HTTP \(code); not retried"))
          return
        }
        problem = "HTTP \(code)"
      } catch {
        problem = Self.describe(error)
      }
      if Task.isCancelled { return }
      guard attempt < attempts else {
        log(record(.error, "notify_failed", notification, target, attempt: attempt, error: problem ?? "?"))
        return
      }
      log(record(.warn, "notify_retrying", notification, target, attempt: attempt, error: problem ?? "?"))
      do { try await sleep(delay) } catch { return }
      delay *= 2
    }
  }

  /// An error without the URL (AsyncHTTPClient's errors can quote it, and its path is the secret).
  static func describe(_ error: any Error) -> String {
    if let error = error as? HTTPClientError {
      if error == .deadlineExceeded || error == .readTimeout { return "timed out" }
      if error == .connectTimeout { return "connect timed out" }
      return "HTTP client error"
    }
    let text = String(describing: error)
    return text.contains("://") ? "connection failed" : text
  }

  static func record(
    _ level: WatchLogRecord.Level, _ event: String, _ notification: WatchNotification, _ target: NotifyTarget, attempt: Int,
    error: String
  ) -> WatchLogRecord {
    WatchLogRecord(
      time: Date(), level: level, event: event,
      fields: [
        .init("notification", .string(notification.kind.rawValue)), .init("target", .string(target.displayName)),
        .init("attempt", .int(attempt)), .init("error", .string(error)),
      ])
  }
}
