/// One change at a time to each device's manifest in this process: `applyConfigurationContent` replaces the whole
/// manifest, so two services of one device applied at once must not each send a manifest without the other's module.
actor DeviceLocks {
  private var busy: Set<String> = []
  private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

  func run<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async throws -> T {
    await acquire(key)
    do {
      let result = try await body()
      release(key)
      return result
    } catch {
      release(key)
      throw error
    }
  }

  private func acquire(_ key: String) async {
    if !busy.contains(key) {
      busy.insert(key)
      return
    }
    await withCheckedContinuation { waiters[key, default: []].append($0) }
  }

  private func release(_ key: String) {
    if var queue = waiters[key], !queue.isEmpty {
      let next = queue.removeFirst()
      waiters[key] = queue
      next.resume()  // the lock passes to the next waiter; `busy` keeps the key
    } else {
      busy.remove(key)
    }
  }
}
