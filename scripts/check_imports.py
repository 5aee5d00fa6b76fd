#!/usr/bin/env python3
"""Checks that every target imports exactly the modules Package.swift declares for it.

Reads the manifest through `swift package dump-package`, then each target's sources: an import of a module the
target does not declare is an error (it builds only by accident, through another target's dependency), and so is
a declared dependency that no file imports (the graph in Package.swift would lie about the pipeline).
"""
import json
import os
import re
import subprocess
import sys
import tempfile

SYSTEM = {"Foundation", "FoundationNetworking", "FoundationEssentials", "Glibc", "Darwin", "Dispatch", "Testing",
          "XCTest", "os", "Synchronization"}
IMPORT = re.compile(r"^(?:@testable\s+|@preconcurrency\s+)?import\s+(?:struct\s+|enum\s+|class\s+)?([A-Za-z_][A-Za-z0-9_]*)")
HEADER = re.compile(r"^(\s*$|//|#if|#elseif|#else|#endif|(@testable\s+|@preconcurrency\s+)?import\s)")


def imports(text: str) -> set:
    """The modules a file imports: the import lines of its header, before its first declaration."""
    found = set()
    for line in text.splitlines():
        if not HEADER.match(line):
            break
        match = IMPORT.match(line)
        if match:
            found.add(match.group(1))
    return found


def main() -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # A scratch path of its own: the manifest is read while a build may hold the lock on .build.
    with tempfile.TemporaryDirectory(prefix="berth-dump-") as scratch:
        manifest = json.loads(subprocess.run(["swift", "package", "--scratch-path", scratch, "dump-package"], cwd=root,
                                             check=True, capture_output=True, text=True).stdout)
    problems = []
    for target in manifest["targets"]:
        if target["type"] == "system":
            continue
        name = target["name"]
        folder = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", name)
        declared = set()
        for dependency in target.get("dependencies", []):
            if "byName" in dependency:
                declared.add(dependency["byName"][0])
            elif "target" in dependency:
                declared.add(dependency["target"][0])
            elif "product" in dependency:
                declared.add(dependency["product"][0])
        imported = set()
        for directory, _, files in os.walk(os.path.join(root, folder)):
            for file in files:
                if file.endswith(".swift"):
                    with open(os.path.join(directory, file), encoding="utf-8") as handle:
                        imported.update(imports(handle.read()))
        imported -= SYSTEM | {name}
        for module in sorted(imported - declared):
            problems.append(f"{folder}: imports {module}, which Package.swift does not declare for target {name}")
        executables = {t["name"] for t in manifest["targets"] if t["type"] == "executable"}
        for module in sorted(declared - imported - executables):
            problems.append(f"{folder}: Package.swift declares {module} for target {name}, but no file imports it")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"check_imports: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"check_imports: {len(manifest['targets'])} targets import what they declare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
