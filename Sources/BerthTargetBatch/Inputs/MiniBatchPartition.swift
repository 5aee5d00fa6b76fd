/// Splits the input files of a run into mini-batches, in input order: the unit a worker's `run()` scores.
public enum MiniBatchPartition {
  /// Consecutive groups of `size` files (the last one shorter); an empty input gives no mini-batch.
  public static func split(_ files: [String], size: Int) -> [[String]] {
    precondition(size >= 1, "mini_batch_size is at least 1")
    return stride(from: 0, to: files.count, by: size).map { Array(files[$0..<min($0 + size, files.count)]) }
  }
}
