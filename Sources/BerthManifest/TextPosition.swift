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
  /// The position where nesting first passes `limit`, or nil.
  static func firstTooDeep(_ text: String, limit: Int) -> (line: Int, column: Int)? {
    var indents: [Int] = []
    var flowDepth = 0
    var quote: Character? = nil
    var line = 0
    for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
      line += 1
      let characters = Array(rawLine)
      var i = 0
      var blockDepth = indents.count
      if flowDepth == 0 && quote == nil {
        while i < characters.count, characters[i] == " " { i += 1 }
        if i == characters.count || characters[i] == "#" { continue }
        while let last = indents.last, last >= i { indents.removeLast() }
        indents.append(i)
        blockDepth = indents.count
        // "- - - x" nests one list per dash.
        while i < characters.count, characters[i] == "-", i + 1 == characters.count || characters[i + 1] == " " {
          blockDepth += 1
          i += 2
        }
      }
      while i < characters.count {
        let character = characters[i]
        let startsToken = i == 0 || " \t[{,:".contains(characters[i - 1])
        if let open = quote {
          if character == open { quote = nil }
        } else if character == "#" && startsToken {
          break
        } else if (character == "\"" || character == "'") && startsToken {
          quote = character
        } else if character == "[" || character == "{" {
          flowDepth += 1
        } else if character == "]" || character == "}" {
          flowDepth = max(0, flowDepth - 1)
        }
        if blockDepth + flowDepth > limit { return (line, i + 1) }
        i += 1
      }
      if blockDepth > limit { return (line, 1) }
    }
    return nil
  }
}
