import CZlib
import Foundation

/// Deterministic gzip: zlib level 6, header mtime 0, no file name, OS byte 3 (Unix), so equal input gives equal bytes.
///
/// Output goes to `sink` in chunks; call `finish()` once after the last `write`.
final class GzipWriter {
  private var stream = z_stream()
  private var header = gz_header()
  private let sink: (Data) throws -> Void
  private var buffer = [UInt8](repeating: 0, count: 1 << 16)
  private var finished = false

  init(level: Int32 = 6, sink: @escaping (Data) throws -> Void) throws {
    self.sink = sink
    // windowBits 15 + 16 asks zlib for a gzip wrapper instead of a zlib one.
    let status = deflateInit2_(
      &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else { throw ImageBuildError("zlib deflateInit2 failed (\(status))") }
    header.time = 0
    header.os = 3
    guard deflateSetHeader(&stream, &header) == Z_OK else { throw ImageBuildError("zlib deflateSetHeader failed") }
  }

  deinit { deflateEnd(&stream) }

  func write(_ data: Data) throws {
    guard !data.isEmpty else { return }
    try data.withUnsafeBytes { raw in
      stream.next_in = UnsafeMutablePointer(mutating: raw.bindMemory(to: UInt8.self).baseAddress!)
      stream.avail_in = uInt(raw.count)
      try pump(flush: Z_NO_FLUSH)
    }
  }

  func finish() throws {
    guard !finished else { return }
    finished = true
    stream.next_in = nil
    stream.avail_in = 0
    try pump(flush: Z_FINISH)
  }

  private func pump(flush: Int32) throws {
    while true {
      var status: Int32 = Z_OK
      let produced: Int = try buffer.withUnsafeMutableBufferPointer { out in
        stream.next_out = out.baseAddress
        stream.avail_out = uInt(out.count)
        status = deflate(&stream, flush)
        guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
          throw ImageBuildError("zlib deflate failed (\(status))")
        }
        return out.count - Int(stream.avail_out)
      }
      if produced > 0 { try sink(Data(buffer[0..<produced])) }
      if flush == Z_FINISH {
        if status == Z_STREAM_END { return }
      } else if stream.avail_out != 0 {
        return
      }
    }
  }
}

/// Deterministic gzip on every core: the input is cut into members of `memberSize` bytes, each compressed on its
/// own (`GzipWriter`) and written in order.
///
/// Concatenated gzip members are one valid gzip file (RFC 1952 §2.2; Go's `compress/gzip`, which registries,
/// containerd, skopeo and umoci use, reads them as one stream). The cut points depend only on the input, so equal
/// input gives equal bytes whatever the number of cores. Input up to `memberSize` gives exactly `GzipWriter`'s bytes.
final class ParallelGzipWriter {
  private let memberSize: Int
  private let parallelism: Int
  private let sink: (Data) throws -> Void
  private var members: [Data] = []
  private var current = Data()
  private var wroteAny = false

  init(
    memberSize: Int = 4 << 20, parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
    sink: @escaping (Data) throws -> Void
  ) {
    self.memberSize = memberSize
    self.parallelism = max(1, parallelism)
    self.sink = sink
  }

  func write(_ data: Data) throws {
    var rest = data[...]
    while !rest.isEmpty {
      let take = min(memberSize - current.count, rest.count)
      current.append(contentsOf: rest.prefix(take))
      rest = rest.dropFirst(take)
      if current.count == memberSize {
        members.append(current)
        current = Data()
        if members.count == parallelism { try flushMembers() }
      }
    }
  }

  func finish() throws {
    if !current.isEmpty || (!wroteAny && members.isEmpty) {
      members.append(current)
      current = Data()
    }
    try flushMembers()
  }

  /// Compresses the pending members at once, one per core, and hands them to the sink in order.
  private func flushMembers() throws {
    guard !members.isEmpty else { return }
    let inputs = members
    members.removeAll()
    let outputs = CompressedMembers(count: inputs.count)
    DispatchQueue.concurrentPerform(iterations: inputs.count) { index in
      outputs.set(index, Result { try Self.compress(inputs[index]) })
    }
    for result in outputs.results() { try sink(try result.get()) }
    wroteAny = true
  }

  static func compress(_ data: Data) throws -> Data {
    var output = Data()
    let writer = try GzipWriter { output.append($0) }
    try writer.write(data)
    try writer.finish()
    return output
  }
}

/// Results filled in by concurrent workers, one slot each.
private final class CompressedMembers: @unchecked Sendable {
  private var slots: [Result<Data, any Error>?]
  private let lock = NSLock()

  init(count: Int) { slots = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ result: Result<Data, any Error>) { lock.withLock { slots[index] = result } }

  func results() -> [Result<Data, any Error>] { lock.withLock { slots.map { $0! } } }
}
