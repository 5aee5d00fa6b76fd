/// Line and column (both from 1, columns in characters) of places in raw file bytes.
enum TextPosition {
  /// The position of the byte at `offset` in the UTF-8 form of `text`.
  static func of(byteOffset offset: Int, in text: String) -> (line: Int, column: Int) {
    position(in: Array(text.utf8.prefix(max(0, offset))))
  }

  /// The position of the first byte that is not valid UTF-8, or nil when all of `bytes` is UTF-8.
  static func firstInvalidUTF8(in bytes: [UInt8]) -> (line: Int, column: Int)? {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    var line = 1
    var column = 1
    while true {
      switch decoder.decode(&iterator) {
      case .scalarValue(let scalar):
        if scalar == "\n" {
          line += 1
          column = 1
        } else {
          column += 1
        }
      case .emptyInput:
        return nil
      case .error:
        return (line, column)
      }
    }
  }

  private static func position(in prefix: [UInt8]) -> (line: Int, column: Int) {
    let lineStart = (prefix.lastIndex(of: 10).map { $0 + 1 }) ?? 0
    let line = prefix.reduce(1) { $1 == 10 ? $0 + 1 : $0 }
    return (line, String(decoding: prefix[lineStart...], as: UTF8.self).count + 1)
  }
}

/// A cheap look at how deeply a YAML text nests, before the recursive parser sees it.
///
/// Counts flow brackets outside quotes and comments, and block levels by indentation and `- ` entries; an estimate
/// that is never lower than the real depth for ordinary YAML, which is what a limit needs.
enum NestingScan {
  /// The position where nesting first passes `limit`, or nil. One pass over the UTF-8 bytes.
  static func firstTooDeep(_ text: String, limit: Int) -> (line: Int, column: Int)? {
    let space: UInt8 = 32
    let newline: UInt8 = 10
    var indents: [Int] = []
    var flowDepth = 0
    var quote: UInt8? = nil
    var line = 1
    var bytes = Array(text.utf8)
    bytes.append(newline)
    var lineStart = 0
    var i = 0
    while i < bytes.count {
      // At a line start: block nesting from indentation and "- " entries.
      var blockDepth = indents.count
      if flowDepth == 0 && quote == nil {
        var j = i
        while bytes[j] == space { j += 1 }
        if bytes[j] == newline || bytes[j] == 35 {
          while bytes[j] != newline { j += 1 }
          i = j + 1
          line += 1
          lineStart = i
          continue
        }
        let indent = j - i
        while let last = indents.last, last >= indent { indents.removeLast() }
        indents.append(indent)
        blockDepth = indents.count
        // "- - - x" nests one list per dash.
        while bytes[j] == 45, bytes[j + 1] == space || bytes[j + 1] == newline {
          blockDepth += 1
          j += bytes[j + 1] == newline ? 1 : 2
        }
        i = j
      }
      if blockDepth > limit { return (line, 1) }
      // The rest of the line: flow brackets outside quotes and comments.
      while bytes[i] != newline {
        let byte = bytes[i]
        let startsToken: Bool
        if i == lineStart {
          startsToken = true
        } else {
          switch bytes[i - 1] {
          case space, 9, 91, 123, 44, 58: startsToken = true
          default: startsToken = false
          }
        }
        if let open = quote {
          if byte == open { quote = nil }
        } else if byte == 35 && startsToken {
          while bytes[i] != newline { i += 1 }
          break
        } else if (byte == 34 || byte == 39) && startsToken {
          quote = byte
        } else if byte == 91 || byte == 123 {
          flowDepth += 1
          if blockDepth + flowDepth > limit {
            return (line, String(decoding: bytes[lineStart...i], as: UTF8.self).count)
          }
        } else if byte == 93 || byte == 125 {
          flowDepth = max(0, flowDepth - 1)
        }
        i += 1
      }
      i += 1
      line += 1
      lineStart = i
    }
    return nil
  }
}
