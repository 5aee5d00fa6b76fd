import Foundation
import NIOConcurrencyHelpers

/// One deployment's concurrency limit: up to `capacity` requests score at once, as many more wait
/// (Azure ML admits 2 × max concurrent × instances), each for at most its wait time; the rest are refused.
public final class AdmissionGate: Sendable {
  /// How a request got on (or did not).
  public enum Outcome: Sendable, Hashable {
    /// It holds a slot; call `leave()` when done.
    case admitted
    /// Every slot and every queue place was taken.
    case queueFull
    /// It waited the maximum time without getting a slot.
    case waitedTooLong
  }

  private struct Waiter {
    var id: UInt64
    var continuation: CheckedContinuation<Outcome, Never>
  }

  private struct State {
    var capacity: Int
    var active = 0
    var queue: [Waiter] = []
    var nextID: UInt64 = 0
  }

  private let state: NIOLockedValueBox<State>

  /// Creates a gate for `capacity` concurrent requests.
  public init(capacity: Int) { state = NIOLockedValueBox(State(capacity: max(1, capacity))) }

  /// Requests scoring now.
  public var active: Int { state.withLockedValue { $0.active } }
  /// Requests waiting for a slot.
  public var queued: Int { state.withLockedValue { $0.queue.count } }

  /// Changes the capacity (on reload); waiters get slots that open up.
  public func setCapacity(_ capacity: Int) {
    let woken = state.withLockedValue { state -> [Waiter] in
      state.capacity = max(1, capacity)
      return Self.admitWaiters(&state)
    }
    woken.forEach { $0.continuation.resume(returning: .admitted) }
  }

  /// Takes a slot if one is free now (`.admitted`), refuses when the queue is full too (`.queueFull`);
  /// `nil` when the caller would have to wait: then call `enter(maxWait:)`.
  public func tryEnter() -> Outcome? {
    state.withLockedValue { state -> Outcome? in
      if state.active < state.capacity && state.queue.isEmpty {
        state.active += 1
        return .admitted
      }
      return state.queue.count >= state.capacity ? .queueFull : nil
    }
  }

  /// Takes a slot, waiting up to `maxWait` in the queue when all are busy.
  public func enter(maxWait: Duration) async -> Outcome {
    enum Immediate { case admitted, full, wait(UInt64) }
    // Fast path without a continuation: most requests find a free slot.
    let immediate = state.withLockedValue { state -> Immediate in
      if state.active < state.capacity && state.queue.isEmpty {
        state.active += 1
        return .admitted
      }
      if state.queue.count >= state.capacity { return .full }
      state.nextID += 1
      return .wait(state.nextID)
    }
    switch immediate {
    case .admitted: return .admitted
    case .full: return .queueFull
    case .wait(let id):
      return await withCheckedContinuation { continuation in
        let admittedNow = state.withLockedValue { state -> Bool in
          if state.active < state.capacity && state.queue.isEmpty {
            state.active += 1
            return true
          }
          state.queue.append(Waiter(id: id, continuation: continuation))
          return false
        }
        if admittedNow {
          continuation.resume(returning: .admitted)
          return
        }
        Task {
          try? await Task.sleep(for: maxWait)
          self.expire(id)
        }
      }
    }
  }

  /// Gives a slot back, handing it to the longest waiter.
  public func leave() {
    let woken = state.withLockedValue { state -> [Waiter] in
      state.active -= 1
      return Self.admitWaiters(&state)
    }
    woken.forEach { $0.continuation.resume(returning: .admitted) }
  }

  private func expire(_ id: UInt64) {
    let expired = state.withLockedValue { state -> Waiter? in
      guard let index = state.queue.firstIndex(where: { $0.id == id }) else { return nil }
      return state.queue.remove(at: index)
    }
    expired?.continuation.resume(returning: .waitedTooLong)
  }

  private static func admitWaiters(_ state: inout State) -> [Waiter] {
    var woken: [Waiter] = []
    while state.active < state.capacity, !state.queue.isEmpty {
      state.active += 1
      woken.append(state.queue.removeFirst())
    }
    return woken
  }
}
