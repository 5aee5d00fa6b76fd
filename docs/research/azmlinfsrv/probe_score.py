"""Probe entry script: optional slow/failing init, run() returns the worker pid."""
import os
import sys
import time


def init():
    print("probe init: stdout print")
    print("probe init: stderr print", file=sys.stderr)
    time.sleep(float(os.getenv("PROBE_INIT_SLEEP", "0")))
    if os.getenv("PROBE_INIT_FAIL"):
        raise RuntimeError("boom from init")


def run(data):
    time.sleep(float(os.getenv("PROBE_RUN_SLEEP", "0")))
    return {"pid": os.getpid(), "model_dir": os.getenv("AZUREML_MODEL_DIR")}
