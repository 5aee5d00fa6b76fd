import Foundation

/// Imports every top-level module of the requested distributions inside a new environment, before it is
/// recorded as built, so a broken combination fails the build instead of `init()` of a running service.
///
/// Import names come from each installed distribution's metadata (`top_level.txt`, else the top-level
/// packages and modules of its `RECORD`), so `scikit-learn` is checked as `sklearn` without a hand list.
enum ImportVerification {
  /// One import attempted in the environment.
  struct Outcome: Decodable, Equatable {
    var package: String
    var version: String?
    var module: String?
    var error: String?
  }

  /// Prefix of the result lines the script prints (other output of imported packages is ignored).
  static let marker = "BERTH-IMPORT "

  /// `python -c script '["scikit-learn", …]'` prints one marked JSON line per import.
  static let script = #"""
    import importlib, importlib.metadata as md, json, re, sys
    def norm(n): return re.sub(r"[-_.]+", "-", n).lower()
    SKIP = {"test", "tests", "testing", "doc", "docs", "example", "examples", "benchmarks", "setup", "conftest"}
    dists = {}
    for d in md.distributions():
        try: dists.setdefault(norm(d.metadata["Name"]), d)
        except Exception: pass
    def modules(d):
        text = d.read_text("top_level.txt")
        if text:
            names = [l.strip().split("/")[0] for l in text.splitlines() if l.strip()]
        else:
            names = []
            for f in d.files or []:
                first = f.parts[0] if f.parts else ""
                if len(f.parts) > 1 and first.isidentifier() and first != "__pycache__": names.append(first)
                elif len(f.parts) == 1 and first.endswith(".py"): names.append(first[:-3])
                elif len(f.parts) == 1 and first.endswith(".so"): names.append(first.split(".")[0])
        out = []
        for n in names:
            if n.isidentifier() and n not in SKIP and n not in out: out.append(n)
        return out
    def emit(**fields): print("BERTH-IMPORT " + json.dumps(fields), flush=True)
    for name in json.loads(sys.argv[1]):
        d = dists.get(name)
        if d is None:
            emit(package=name, error="it is not installed in the environment"); continue
        for m in modules(d):
            try:
                importlib.import_module(m); err = None
            except BaseException as e:
                text = str(e).strip().splitlines()
                err = type(e).__name__ + (": " + text[0] if text else "")
            emit(package=name, version=d.version, module=m, error=err)
    """#

  /// The command that checks `packages` (normalised names) in the environment at `root`.
  static func command(root: String, packages: [String]) -> (executable: String, arguments: [String]) {
    let list = "[" + packages.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    return (root + "/bin/python", ["-c", script, list])
  }

  /// The outcomes in the script's output lines.
  static func outcomes(_ lines: [String]) -> [Outcome] {
    lines.compactMap { line in
      guard line.hasPrefix(marker) else { return nil }
      return try? JSONDecoder().decode(Outcome.self, from: Data(line.dropFirst(marker.count).utf8))
    }
  }

  /// A build error naming each package that does not import and why, or `nil` when all import.
  static func failure(_ outcomes: [Outcome], expected packages: [String], eraApplied: Bool) -> LocalTargetError? {
    var problems = outcomes.filter { $0.error != nil }.map { outcome in
      let what = [outcome.package, outcome.version].compactMap { $0 }.joined(separator: " ")
      let module = outcome.module.map { " (import \($0))" } ?? ""
      return "\(what)\(module): \(outcome.error!)"
    }
    let reported = Set(outcomes.map(\.package))
    problems += packages.filter { !reported.contains($0) }.map { "\($0): the import check stopped before reaching it" }
    guard !problems.isEmpty else { return nil }
    let hint =
      eraApplied
      ? "Pin a compatible version in the conda file, or add a bound under the Environment's pip_constraints (e.g. 'numpy<2')."
      : "Pin a compatible version in the conda file, add pip_constraints (e.g. 'numpy<2') to the Environment, or remove 'resolution: latest' so unpinned packages stay in the era of the pins."
    return LocalTargetError(
      .environmentBuildFailed,
      "The environment installed, but \(problems.count == 1 ? "a package does" : "\(problems.count) packages do") not import:\n"
        + problems.map { "  - " + $0 }.joined(separator: "\n") + "\n" + hint)
  }
}
