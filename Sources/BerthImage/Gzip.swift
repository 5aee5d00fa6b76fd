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
