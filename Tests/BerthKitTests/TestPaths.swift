import BerthTesting
import Foundation

/// Folders this test target reads: fixtures beside this file, the repository around it.
enum TestPaths {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  static let repositoryRoot = RepositoryPaths.root
  static let examples = RepositoryPaths.examples

  static func subfolders(of url: URL) -> [String] { RepositoryPaths.subfolders(of: url) }
}
