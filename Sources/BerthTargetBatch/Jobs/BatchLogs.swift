import BerthTargetAPI

/// `berth logs SERVICE` for a batch service: the worker logs of the run of its recorded revision.
extension BatchTargetProvider: ServiceLogReading {
  public func logs(_ request: LogRequest) async throws -> [String] {
    guard case .string(let revision)? = request.service.recordedOutputs["revision"] else {
      throw TargetError("no run of '\(request.service.name)' is recorded; apply it first")
    }
    return JobCatalog(layout: layout).logs(of: request.service.instance, revision: revision, tail: request.tail)
  }
}
