import Foundation
import Testing

@testable import BerthTargetLocal

@Suite struct LogTailTests {
  @Test func readsTheLastLinesOfALargeFile() throws {
    let folder = try Scratch.directory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/big.log"
    let text = (1...200_000).map { "line \($0) " + String(repeating: "x", count: 40) }.joined(separator: "\n") + "\n"
    try Scratch.write(text, to: path)
    let tail = LogTail.lastLines(file: path, count: 3)
    #expect(tail.count == 3)
    #expect(tail[0].hasPrefix("line 199998 "))
    #expect(tail[2].hasPrefix("line 200000 "))
  }

  @Test func handlesShortMissingAndUnterminatedFiles() throws {
    let folder = try Scratch.directory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Scratch.write("a\nb\nc", to: folder + "/short.log")
    #expect(LogTail.lastLines(file: folder + "/short.log", count: 10) == ["a", "b", "c"])
    #expect(LogTail.lastLines(file: folder + "/short.log", count: 2) == ["b", "c"])
    #expect(LogTail.lastLines(file: folder + "/missing.log", count: 5) == [])
    try Scratch.write("", to: folder + "/empty.log")
    #expect(LogTail.lastLines(file: folder + "/empty.log", count: 5) == [])
  }
}
