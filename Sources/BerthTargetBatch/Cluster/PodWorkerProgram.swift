/// The Python program each pod of a batch job's Indexed Job runs: one mini-batch, as ParallelRunStep runs it.
///
/// The pod's `JOB_COMPLETION_INDEX` picks its mini-batch (through `BERTH_BATCH_MINI_BATCHES` when the Job covers only
/// some of them); the program imports the entry script, calls `init()`, then `run(mini_batch)` with the files' paths in
/// the image, under `run_invocation_timeout` (`SIGALRM`). Its answer is one line on standard output,
/// `##berth-result TOKEN {"index": …, "rows": […]}` or `##berth-error TOKEN {"index": …, "error": "…"}`, which Berth
/// reads from the pod's log; the token (the run's revision) keeps a line the script prints from passing for one.
/// A failed `init()` or `run()` exits non-zero, so the Job controller retries the index (`backoffLimitPerIndex`); a
/// failed `init()` says so in its answer (`"init": true`), and Berth stops the run as it does on this machine.
enum PodWorkerProgram {
  /// Where the program, the mini-batch plan and the inputs live in the image.
  static let root = "/opt/berth/batch"
  static var programPath: String { root + "/worker.py" }
  static var planPath: String { root + "/mini-batches.json" }
  static var inputsRoot: String { root + "/inputs" }

  static let resultMarker = "##berth-result"
  static let errorMarker = "##berth-error"

  static let source = #"""
    # Written by Berth: one mini-batch of a ParallelRunStep entry script, as one pod of an Indexed Job.
    import importlib.util
    import json
    import os
    import signal
    import sys
    import traceback

    ROOT = os.environ.get("BERTH_BATCH_DIR", "/opt/berth/batch")
    TOKEN = os.environ.get("BERTH_BATCH_TOKEN", "")
    answers = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")


    def answer(kind, payload):
        answers.write("##berth-%s %s %s\n" % (kind, TOKEN, json.dumps(payload)))
        answers.flush()


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


    def indexes(text):
        """Kubernetes' interval notation, "0-2,5": the mini-batches this Job's completion indexes stand for."""
        found = []
        for part in [p for p in text.split(",") if p]:
            first, _, last = part.partition("-")
            found.extend(range(int(first), int(last or first) + 1))
        return found


    class Timeout(Exception):
        pass


    def on_alarm(signum, frame):
        raise Timeout("run() took longer than %s s (run_invocation_timeout)" % os.environ.get("BERTH_BATCH_TIMEOUT"))


    def main():
        with open(os.path.join(ROOT, "mini-batches.json"), encoding="utf-8") as handle:
            plan = json.load(handle)
        expected = os.environ.get("BERTH_BATCH_INPUTS_SHA256", "")
        completion = int(os.environ["JOB_COMPLETION_INDEX"])
        mapping = indexes(os.environ.get("BERTH_BATCH_MINI_BATCHES", ""))
        index = mapping[completion] if mapping else completion
        if plan.get("inputs_sha256") != expected:
            answer("error", {"index": index, "error": "the image holds inputs %s, the Job expects %s" % (plan.get("inputs_sha256"), expected)})
            return 4
        files = [os.path.join(ROOT, "inputs", name) for name in plan["mini_batches"][index]]
        entry = os.environ.get("BERTH_ENTRY_SCRIPT") or os.environ["AZUREML_ENTRY_SCRIPT"]
        sys.path.insert(0, os.path.dirname(entry))
        try:
            spec = importlib.util.spec_from_file_location("berth_entry_script", entry)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            if hasattr(module, "init"):
                module.init()
        except BaseException:
            traceback.print_exc()
            answer("error", {"index": index, "error": failure(), "init": True})
            return 3
        signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(int(os.environ.get("BERTH_BATCH_TIMEOUT", "0")))
        try:
            rows = rows_of(module.run(files))
            signal.alarm(0)
        except BaseException:
            signal.alarm(0)
            traceback.print_exc()
            answer("error", {"index": index, "error": failure()})
            return 1
        answer("result", {"index": index, "rows": rows})
        return 0


    sys.exit(main())
    """#
}
