import Foundation
import Testing

@testable import BerthGateway

/// The traffic split and the admission gate as values and in-process objects.
@Suite struct RoutingAndLimitTests {
  @Test func everyRollLandsInItsShare() {
    let split = TrafficSplit(traffic: ["blue": 90, "green": 10, "grey": 0])
    let picks = (0..<100).compactMap { split.deployment(roll: $0) }
    #expect(picks.filter { $0 == "blue" }.count == 90)
    #expect(picks.filter { $0 == "green" }.count == 10)
    #expect(split.total == 100)
    #expect(split.mirrorDeployment(roll: 0) == nil)
  }

  @Test func allZeroMeansNoDeployment() {
    #expect(TrafficSplit(traffic: ["blue": 0, "green": 0]).deployment(roll: 7) == nil)
  }

  @Test func mirrorTakesItsPercentOfRolls() {
    let split = TrafficSplit(traffic: ["blue": 100], mirrorTraffic: ["green": 20])
    #expect((0..<100).compactMap { split.mirrorDeployment(roll: $0) }.count == 20)
  }

  @Test func gateQueuesThenRefuses() async throws {
    let gate = AdmissionGate(capacity: 2)
    #expect(await gate.enter(maxWait: .seconds(5)) == .admitted)
    #expect(await gate.enter(maxWait: .seconds(5)) == .admitted)
    async let first = gate.enter(maxWait: .seconds(30))
    async let second = gate.enter(maxWait: .seconds(30))
    try await waitUntil { gate.queued == 2 }
    // Two scoring, two waiting: the fifth finds no place at all.
    #expect(await gate.enter(maxWait: .seconds(5)) == .queueFull)
    gate.leave()
    gate.leave()
    #expect(await [first, second] == [.admitted, .admitted])
    #expect(gate.active == 2)
    #expect(gate.queued == 0)
  }

  @Test func waiterGivesUpAfterItsMaximumWait() async {
    let gate = AdmissionGate(capacity: 1)
    #expect(await gate.enter(maxWait: .seconds(1)) == .admitted)
    #expect(await gate.enter(maxWait: .milliseconds(50)) == .waitedTooLong)
    #expect(gate.queued == 0)
    gate.leave()
    #expect(await gate.enter(maxWait: .milliseconds(50)) == .admitted)
  }

  @Test func raisingCapacityAdmitsWaiters() async throws {
    let gate = AdmissionGate(capacity: 1)
    #expect(await gate.enter(maxWait: .seconds(1)) == .admitted)
    async let waiting = gate.enter(maxWait: .seconds(30))
    try await waitUntil { gate.queued == 1 }
    gate.setCapacity(2)
    #expect(await waiting == .admitted)
    #expect(gate.active == 2)
  }

  func waitUntil(_ condition: () -> Bool) async throws {
    for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    #expect(condition())
  }
}
