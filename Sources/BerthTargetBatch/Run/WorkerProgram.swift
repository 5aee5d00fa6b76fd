/// The Python program each worker process runs: it imports the entry script, calls `init()` once, then answers
/// one `run(mini_batch)` per request line.
///
/// Requests and replies are JSON lines on stdin and on a private copy of stdout; the script's own `print`s and
/// its traceback go to the worker's log (fd 2), so nothing the entry script prints can corrupt a reply.
enum WorkerProgram {
  static let fileName = "berth_batch_worker.py"

  static let source = #"""
    # Written by Berth: runs a ParallelRunStep entry script (init() once, run(mini_batch) per request).
    import importlib.util
    import json
    import os
    import sys
    import traceback

    replies = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", closefd=False)


    def reply(message):
        replies.write(json.dumps(message) + "\n")
        replies.flush()


    def row_text(item):
        if isinstance(item, str):
            return item
        if isinstance(item, (list, tuple)):
            return " ".join(str(value) for value in item)
        return str(item)


    def rows_of(result):
        if hasattr(result, "itertuples"):  # a pandas DataFrame: one row per item
            return [" ".join(str(value) for value in row) for row in result.itertuples(index=False)]
        if isinstance(result, (list, tuple)):
            return [row_text(item) for item in result]
        raise TypeError("run() must return a list or a pandas DataFrame, not %s" % type(result).__name__)


    def failure():
        lines = traceback.format_exc().strip().splitlines()
        return "\n".join(lines[-6:])


    def main():
        entry = os.environ["BERTH_ENTRY_SCRIPT"]
        sys.path.insert(0, os.path.dirname(entry))
        try:
            spec = importlib.util.spec_from_file_location("berth_entry_script", entry)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            if hasattr(module, "init"):
                module.init()
        except BaseException:
            traceback.print_exc()
            reply({"init_error": failure()})
            return 3
        reply({"ready": os.getpid()})
        for line in sys.stdin:
            request = json.loads(line)
            try:
                rows = rows_of(module.run(request["files"]))
                reply({"rows": rows})
            except BaseException:
                traceback.print_exc()
                reply({"error": failure()})
        return 0


    sys.exit(main())
    """#
}
