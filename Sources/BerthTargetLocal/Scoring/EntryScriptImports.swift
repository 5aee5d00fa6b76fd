import BerthProcess
import Foundation

/// Checks, before a revision starts, that every module the entry script imports at its top level can be
/// found in the environment (or in the source folder), so a missing dependency is a deploy error naming
/// the script's line instead of an `init()` that dies in the server log.
///
/// Only unconditional imports are checked: imports inside `try` blocks (optional dependencies) and
/// inside functions are left alone. Modules are found (`importlib.util.find_spec`), not imported; the
/// environment build already imported every listed package.
enum EntryScriptImports {
  /// One import that cannot be found.
  struct Missing: Decodable, Equatable {
    var line: Int
    var column: Int
    var module: String
  }

  static let marker = "BERTH-MISSING "

  /// `python -c script SOURCE_DIR ENTRY_SCRIPT` prints one marked JSON line per missing module.
  static let script = #"""
    import ast, importlib.util, json, os, sys
    source, entry = sys.argv[1], sys.argv[2]
    sys.path.insert(0, source)
    sys.path.insert(1, os.path.dirname(os.path.join(source, entry)))
    tree = ast.parse(open(os.path.join(source, entry), encoding="utf-8").read(), entry)
    seen = set()
    for node in tree.body:
        if isinstance(node, ast.Import): names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module: names = [node.module]
        else: continue
        for name in names:
            top = name.split(".")[0]
            if top in seen or top == "__future__": continue
            seen.add(top)
            try: found = importlib.util.find_spec(top) is not None
            except Exception: found = False
            if not found:
                print("BERTH-MISSING " + json.dumps({"line": node.lineno, "column": node.col_offset + 1, "module": top}))
    """#

  /// The modules `entryScript` imports that `python` cannot find, or `nil` when the check could not run
  /// (a syntax error is the server's to report, with its own traceback).
  static func missing(python: String, sourceDirectory: String, entryScript: String, runner: any CommandRunning) -> [Missing]? {
    guard
      let result = try? runner.run(
        Command(python, ["-c", script, sourceDirectory, entryScript], workingDirectory: sourceDirectory, timeout: .seconds(60))),
      result.succeeded
    else { return nil }
    return result.outputLines.compactMap { line in
      guard line.hasPrefix(marker) else { return nil }
      return try? JSONDecoder().decode(Missing.self, from: Data(line.dropFirst(marker.count).utf8))
    }
  }

  /// `score.py:3:1: error: …` for each missing module, all at once.
  static func message(_ missing: [Missing], entryScript: String, environmentName: String) -> String {
    missing.map {
      "\(entryScript):\($0.line):\($0.column): error: module '\($0.module)' is imported but not installed in environment '\(environmentName)'"
    }.joined(separator: "\n")
      + "\n  hint: add the package that provides it to the conda file (for example under 'pip:')"
  }
}
