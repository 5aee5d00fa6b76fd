import BerthKit
import BerthWatch
import Foundation
import Testing

/// Durations, backoff, jitter and the no-retry-storm rule, with a fake clock.
@Suite struct WatchScheduleTests {
  let t0 = Date(timeIntervalSince1970: 1_700_000_000)

  @Test func durationsParseAsOperatorsWriteThem() {
    #expect(WatchDuration.parse("30s") == 30)
    #expect(WatchDuration.parse("5m") == 300)
    #expect(WatchDuration.parse("1h") == 3600)
    #expect(WatchDuration.parse("1h30m") == 5400)
    #expect(WatchDuration.parse("500ms") == 0.5)
    #expect(WatchDuration.parse("1.5s") == 1.5)
    for bad in ["", "30", "s", "5 m", "1d", "-1s", "1h-5m", "m5"] {
      #expect(WatchDuration.parse(bad) == nil, "\(bad)")
    }
    #expect(WatchDuration.format(90) == "1m30s")
    #expect(WatchDuration.format(3600) == "1h")
    #expect(WatchDuration.format(0.25) == "250ms")
  }

  @Test func backoffDoublesUpToTenIntervals() {
    let schedule = WatchSchedule(interval: 30)
    #expect((0...6).map(schedule.backoff) == [30, 60, 120, 240, 300, 300, 300])
    #expect(schedule.backoff(10_000) == 300)
  }

  @Test func jitterIsTenPercentOfTheIntervalEitherWay() {
    var schedule = WatchSchedule(interval: 60)
    #expect(schedule.nextDelay(random: 0) == 54)
    #expect(schedule.nextDelay(random: 0.5) == 60)
    #expect(abs(schedule.nextDelay(random: 0.999_999) - 66) < 0.001)
    for _ in 0..<1000 {
      #expect((54...66).contains(schedule.nextDelay(random: Double.random(in: 0..<1))))
    }
    // After errors the backoff grows, the jitter stays ±10 % of the interval.
    schedule.cycleErrored()
    schedule.cycleErrored()
    #expect(schedule.nextDelay(random: 0) == 234)
    #expect(schedule.nextDelay(random: 0.5) == 240)
  }

  @Test func cyclesThatCannotPlanBackOffAndAPlanResets() {
    var schedule = WatchSchedule(interval: 10)
    var delays: [TimeInterval] = []
    for _ in 0..<6 {
      schedule.cycleErrored()
      delays.append(schedule.nextDelay(random: 0.5))
    }
    #expect(delays == [20, 40, 80, 100, 100, 100])
    schedule.cyclePlanned()
    #expect(schedule.nextDelay(random: 0.5) == 10)
  }

  @Test func aFailedApplyIsNotRetriedWithTheSameInputsUntilTheBackoffPasses() {
    var schedule = WatchSchedule(interval: 30)
    let planned = ApplyKey(inputsDigest: "abc", stateSerial: 4)
    // Recording the failed actions moved the serial from 4 to 6: that is the key held back.
    let left = ApplyKey(inputsDigest: "abc", stateSerial: 6)
    #expect(schedule.decide(planned, now: t0) == .apply)
    schedule.applyFailed(attempted: planned, left: left, now: t0)
    #expect(schedule.failedApply?.attempts == 1)

    // The next cycles plan the same inputs against the state the failure left: held back for 2 intervals.
    #expect(schedule.decide(left, now: t0 + 30) == .holdBack(until: t0 + 60, attempts: 1))
    #expect(schedule.decide(left, now: t0 + 59.9) == .holdBack(until: t0 + 60, attempts: 1))
    #expect(schedule.decide(left, now: t0 + 60) == .apply)

    // The retry fails too: 4 intervals, then 8, then never more than 10.
    var now = t0 + 60
    var key = left
    var waits: [TimeInterval] = []
    for serial in Int64(7)...10 {
      let next = ApplyKey(inputsDigest: "abc", stateSerial: serial)
      schedule.applyFailed(attempted: key, left: next, now: now)
      waits.append(schedule.failedApply!.retryAt.timeIntervalSince(now))
      key = next
      now = schedule.failedApply!.retryAt
    }
    #expect(waits == [120, 240, 300, 300])
    #expect(schedule.failedApply?.attempts == 5)
  }

  @Test func newManifestsOrANewStateLiftTheHoldAtOnce() {
    var schedule = WatchSchedule(interval: 30)
    let left = ApplyKey(inputsDigest: "abc", stateSerial: 6)
    schedule.applyFailed(attempted: ApplyKey(inputsDigest: "abc", stateSerial: 4), left: left, now: t0)
    #expect(schedule.decide(ApplyKey(inputsDigest: "def", stateSerial: 6), now: t0 + 1) == .apply)
    #expect(schedule.decide(ApplyKey(inputsDigest: "abc", stateSerial: 7), now: t0 + 1) == .apply)

    // A failure of different inputs starts counting again from one.
    schedule.applyFailed(
      attempted: ApplyKey(inputsDigest: "def", stateSerial: 6), left: ApplyKey(inputsDigest: "def", stateSerial: 8),
      now: t0 + 1)
    #expect(schedule.failedApply?.attempts == 1)
    #expect(schedule.failedApply?.retryAt == t0 + 61)

    // A success forgets the failure entirely.
    schedule.applySucceeded()
    #expect(schedule.failedApply == nil)
    #expect(schedule.decide(ApplyKey(inputsDigest: "def", stateSerial: 8), now: t0 + 2) == .apply)
  }
}
