import BerthModel
import Crypto
import Foundation

/// The files under an input folder, in the order a run scores them, with their digests.
public enum InputListing {
  /// Regular files below `root`, sorted by their relative names' bytes; hidden files and folders are skipped.
  public static func files(under root: String) throws -> [InputFile] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw InputListingError(message: "the input folder '\(root)' does not exist or is not a folder")
    }
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
    var names: [String] = []
    while let relative = enumerator.nextObject() as? String {
      let type = enumerator.fileAttributes?[.type] as? FileAttributeType
      if (relative as NSString).lastPathComponent.hasPrefix(".") {
        if type == .typeDirectory { enumerator.skipDescendants() }
        continue
      }
      if type == .typeRegular || type == .typeSymbolicLink { names.append(relative) }
    }
    names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    return try names.map { name in
      guard let data = FileManager.default.contents(atPath: root + "/" + name) else {
        throw InputListingError(message: "cannot read input file '\(root)/\(name)'")
      }
      return InputFile(name: name, sha256: Hex.encode(SHA256.hash(data: data)))
    }
  }

  /// One digest of the names and bytes of `files`: equal digests mean the same inputs in the same order.
  public static func digest(_ files: [InputFile]) -> String {
    var hasher = SHA256()
    for file in files { hasher.update(data: Data("\(file.name)\u{0}\(file.sha256)\n".utf8)) }
    return Hex.encode(hasher.finalize())
  }
}

/// An input folder or file that cannot be read.
public struct InputListingError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public var description: String { message }
}
