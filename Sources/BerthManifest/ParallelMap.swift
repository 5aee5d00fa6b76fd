import Dispatch

/// Maps independent work over all cores, keeping the input order.
enum ParallelMap {
  static func map<Input: Sendable, Output: Sendable>(_ inputs: [Input], _ transform: @Sendable (Input) -> Output) -> [Output] {
    if inputs.count < 8 { return inputs.map(transform) }
    let results = ResultSlots<Output>(count: inputs.count)
    DispatchQueue.concurrentPerform(iterations: inputs.count) { index in
      results.set(index, transform(inputs[index]))
    }
    return results.values()
  }
}

/// Fixed slots written once each from concurrent iterations; each index is written by exactly one iteration.
private final class ResultSlots<Value>: @unchecked Sendable {
  private let slots: UnsafeMutableBufferPointer<Value?>

  init(count: Int) {
    slots = .allocate(capacity: count)
    slots.initialize(repeating: nil)
  }

  deinit {
    slots.deinitialize()
    slots.deallocate()
  }

  func set(_ index: Int, _ value: Value) { slots[index] = value }

  func values() -> [Value] { slots.map { $0! } }
}
