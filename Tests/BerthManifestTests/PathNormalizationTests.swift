import Testing

@testable import BerthManifest

/// Lexical normalisation, with its fast path for paths that need none.
@Suite struct PathNormalizationTests {
  @Test(arguments: [
    ("/a/b/c.bin", "/a/b/c.bin", true),
    ("/a/./b", "/a/b", false),
    ("/a/../b", "/b", false),
    ("/a//b", "/a/b", false),
    ("/a/b/", "/a/b", false),
    ("/a/.", "/a", false),
    ("/a/..", "/", false),
    ("/", "/", false),
    ("/a/.../b", "/a/.../b", true),
    ("/a/.hidden/b..c/.d.", "/a/.hidden/b..c/.d.", true),
    ("a/b", "/a/b", false),
  ])
  func normalises(path: String, expected: String, alreadyNormal: Bool) {
    #expect(PathRules.isNormalized(path) == alreadyNormal)
    #expect(PathRules.lexicallyNormalized(path) == expected)
  }
}
