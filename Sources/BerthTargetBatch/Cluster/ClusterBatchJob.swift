import BerthModel
import BerthTargetAPI
import BerthTargetKubernetes
import Foundation

/// Runs one revision of a batch job on the cluster its compute target names, as an Indexed Job of the job's image.
///
/// The run's bookkeeping is the same as on this machine (`RunBook`: journal, `run.json`, output from the journal); what
/// differs is who scores. Berth creates (or finds again, after being killed) the Job for the mini-batches left, then
/// polls it: each pod that ends has its log read once — its answer line becomes the mini-batch's journal entry and the
/// rest is kept as `worker-<mini-batch>.log` in the run folder, which `berth jobs logs` and `berth logs` read — and an
/// index the Job gave up on (`status.failedIndexes`, after `retries` more pods) is journaled as failed items with the
/// last pod's error. Past `error_threshold` the Job is deleted and the run recorded failed; once every mini-batch is
/// journaled the output is written and the Job is left for inspection until the next revision or `berth destroy`.
struct ClusterBatchJob {
  let provider: BatchTargetProvider
  let deployment: ServiceDeployment
  let progress: @Sendable (String) -> Void

  func run() async throws -> ApplyResponse {
    let settings = BatchSettings(deployment.settings)
    let run = provider.layout.run(deployment.instance, revision: deployment.revision)
    let local = BatchJob(provider: provider, deployment: deployment, progress: progress)
    if let record = RunRecord.read(run.recordFile), record.status == .completed,
      [record.outputFile, record.summaryFile].compactMap({ $0 }).allSatisfy(FileManager.default.fileExists(atPath:))
    {
      return local.response(record, message: "run \(deployment.revision) already completed; nothing scored")
    }
    guard let image = deployment.image else {
      throw TargetError(
        "service '\(deployment.name)' runs on a cluster but has no image: a batch target that names a cluster runs the image Berth builds (the Workspace needs a `registry`)"
      )
    }
    let inputs = try JobInputs.gather(deployment, layout: provider.layout)
    let request = BatchRunRequest(
      service: deployment.name, revision: deployment.revision, settings: settings, inputRoot: inputs.inputRoot,
      files: inputs.files, reused: inputs.reused, scoringKey: inputs.scoringKey, python: "python3",
      entryScript: deployment.entryScript, environment: [:], runDirectory: run.root,
      outputDirectory: try JobInputs.outputFolder(settings, run: run, deployment), progress: progress)
    let book = RunBook(request)
    let parallelism = max(1, settings.nodeCount * settings.processCountPerNode)
    let now = provider.now
    let pending: [Int]
    do {
      pending = try book.begin(processes: parallelism, now: now)
    } catch let error as BatchRunError {
      throw TargetError(error.message)
    }
    let connection: ClusterConnection
    do {
      connection = try await provider.withClient(deployment.computeTarget.settings) { client in
        if pending.isEmpty {
          book.announce(pending: pending, workers: "")
        } else {
          try await score(
            pending, book: book, client: client, image: image, settings: settings,
            inputsDigest: request.header.inputDigest, parallelism: parallelism)
        }
        return client.connection
      }
    } catch {
      // Cancelled (Berth shutting down): the run stays `running`, as after a kill; the next apply finds the Job again.
      if Task.isCancelled { throw CancellationError() }
      // Otherwise the run is recorded failed with what was journaled; the next apply scores what is missing.
      book.stop("\(error)")
      _ = try? book.finish(now: now)
      throw error
    }
    do {
      let record = try book.finish(now: now)
      var response = local.response(
        record,
        message: "run \(deployment.revision) completed on \(connection.server): \(record.succeeded) of \(record.items) items")
      response.outputs["namespace"] = .string(connection.namespace)
      for key in BatchTargetProvider.connectionKeys {
        if let value = deployment.computeTarget.settings[key] { response.outputs["target.\(key)"] = value }
      }
      return response
    } catch let error as BatchRunError {
      throw TargetError(error.message, logTail: error.logTail)
    }
  }

  /// Creates or finds the Job for `pending`, then collects its pods' answers until every mini-batch is journaled.
  private func score(
    _ pending: [Int], book: RunBook, client: KubeClient, image: ContainerImage, settings: BatchSettings,
    inputsDigest: String, parallelism: Int
  ) async throws {
    let namespace = client.connection.namespace
    var pullSecret: String?
    if let secret = try PullSecret.object(for: image, namespace: namespace, environment: provider.baseEnvironment) {
      try await client.apply(secret)
      pullSecret = secret["metadata"]?["name"]?.stringValue
    }
    // A Job of this revision still running for (at least) these mini-batches was started by an earlier apply that
    // stopped half-way: Berth collects from it rather than scoring them twice.
    let jobs = try await client.list(
      .job, namespace: namespace, labelSelector: BatchJobRenderer.selector(instance: deployment.instance))
    let name: String
    let covered: [Int]
    if let earlier = jobs.first(where: { BatchJobRenderer.covers($0, revision: deployment.revision, pending: pending) }),
      let earlierName = earlier["metadata"]?["name"]?.stringValue
    {
      name = earlierName
      covered = BatchJobRenderer.miniBatches(of: earlier)
      progress("Job \(namespace)/\(name) exists (an earlier apply started it); collecting its results")
    } else {
      let job = BatchJobRenderer.render(
        deployment, image: image.reference, namespace: namespace, pullSecret: pullSecret, settings: settings,
        miniBatches: pending, totalMiniBatches: book.batches.count, inputsDigest: inputsDigest)
      name = job["metadata"]?["name"]?.stringValue ?? ""
      covered = pending
      // Jobs of an older revision, or finished ones of this revision, are done with.
      for other in jobs.compactMap({ $0["metadata"]?["name"]?.stringValue }) {
        _ = try await client.delete(.job, other, namespace: namespace, propagationPolicy: "Background")
        progress("Job \(namespace)/\(other) deleted (an earlier run)")
      }
      try await client.apply(job, force: true)
      progress("Job \(namespace)/\(name) created: \(pending.count) completions, parallelism \(parallelism)")
    }
    book.announce(pending: pending, workers: "Indexed Job \(namespace)/\(name) (parallelism \(parallelism))")
    let token = BatchJobRenderer.token(revision: deployment.revision)
    var read: Set<String> = []
    var lastError: [Int: String] = [:]
    var attempts: [Int: Int] = [:]
    while !book.stopped {
      guard let live = try await client.get(.job, name, namespace: namespace) else {
        book.stop("Job \(namespace)/\(name) was deleted outside Berth before its mini-batches finished; apply again to run them")
        return
      }
      let pods = try await client.list(.pod, namespace: namespace, labelSelector: "\(BatchJobRenderer.jobNameLabel)=\(name)")
      for pod in pods.sorted(by: { ($0["metadata"]?["name"]?.stringValue ?? "") < ($1["metadata"]?["name"]?.stringValue ?? "") })
      {
        if pod["status"]?["phase"]?.stringValue != "Pending" { book.markReady() }  // scoring rates count from here
        guard let podName = pod["metadata"]?["name"]?.stringValue, !read.contains(podName),
          let phase = pod["status"]?["phase"]?.stringValue, phase == "Succeeded" || phase == "Failed",
          let completion = pod["metadata"]?["labels"]?["batch.kubernetes.io/job-completion-index"]?.stringValue.flatMap(Int.init),
          completion < covered.count
        else { continue }
        read.insert(podName)
        let index = covered[completion]
        if book.isRecorded(index) { continue }
        attempts[index, default: 0] += 1
        let log = try await client.log(
          pod: podName, namespace: namespace, container: KubernetesRenderer.containerName, tailLines: nil)
        let answer = PodAnswer.parse(log, token: token)
        try? keepLog(answer.log, pod: podName, miniBatch: index, book: book)
        let files = book.batches[index]
        if phase == "Succeeded", let rows = answer.rows, answer.index == index {
          let missing = max(0, files.count - rows.count)
          let errors =
            missing == 0 ? [] : [ItemFailure(file: nil, error: "run() returned \(rows.count) rows for \(files.count) files")]
          book.record(
            JournalEntry(
              index: index, files: files, rows: rows, failed: missing, errors: errors, attempts: attempts[index] ?? 1))
        } else if answer.initFailed {
          // As on this machine: a failing init() fails every worker, so the run stops at the first.
          book.stop(
            "init() of \(deployment.name) failed: \(answer.error ?? "")",
            logTail: Array(answer.log.split(separator: "\n", omittingEmptySubsequences: false).suffix(40).map(String.init)))
          break
        } else {
          lastError[index] =
            answer.error ?? PodAnswer.termination(pod) ?? "pod \(podName) \(phase.lowercased()) without an answer"
        }
      }
      // Indexes the Job gave up on after `retries` more pods.
      let failedIndexes = IndexRanges.parse(live["status"]?["failedIndexes"]?.stringValue ?? "")
      for completion in failedIndexes where completion < covered.count {
        let index = covered[completion]
        guard !book.isRecorded(index) else { continue }
        let files = book.batches[index]
        let error = lastError[index] ?? "the Job gave up on this mini-batch"
        book.record(
          JournalEntry(
            index: index, files: files, rows: [], failed: files.count, errors: files.map { ItemFailure(file: $0, error: error) },
            attempts: attempts[index] ?? settings.retries + 1))
      }
      if pending.allSatisfy(book.isRecorded) { return }
      if let failure = PodAnswer.failedCondition(live) {
        // The Job stopped for a reason of its own (BackoffLimitExceeded, a deadline): what is left cannot finish.
        book.stop("Job \(namespace)/\(name) failed: \(failure)")
        return
      }
      try await Task.sleep(for: provider.clusterPollInterval)
    }
    // Past the error threshold: no more pods for this run.
    _ = try await client.delete(.job, name, namespace: namespace, propagationPolicy: "Background")
    progress("Job \(namespace)/\(name) deleted: the run stopped")
  }

  /// Keeps a pod's log (without its answer line) as the mini-batch's worker log in the run folder.
  private func keepLog(_ text: String, pod: String, miniBatch: Int, book: RunBook) throws {
    let path = book.layout.root + "/worker-\(miniBatch).log"
    let handle: FileHandle
    if FileManager.default.fileExists(atPath: path) {
      handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
      try handle.seekToEnd()
    } else {
      FileManager.default.createFile(atPath: path, contents: nil)
      handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }
    defer { try? handle.close() }
    try handle.write(contentsOf: Data("--- pod \(pod)\n\(text)\(text.hasSuffix("\n") || text.isEmpty ? "" : "\n")".utf8))
  }
}
