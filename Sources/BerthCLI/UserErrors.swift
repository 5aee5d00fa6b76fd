import ArgumentParser
import BerthKit
import BerthState
import Foundation

/// Turns errors a user can act on into `error: …` lines and exit code 1, instead of a raw error dump.
enum UserErrors {
  static func report<T>(_ body: () async throws -> T) async throws -> T {
    do {
      return try await body()
    } catch let error as ExitCode {
      throw error
    } catch let error as ValidationError {
      throw error
    } catch let error as CleanExit {
      throw error
    } catch {
      let text = String(describing: error)
      FileHandle.standardError.write(Data(("error: " + text + "\n").utf8))
      throw ExitCode(1)
    }
  }
}
