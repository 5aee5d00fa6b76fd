"""Batch entry script for the diabetes Ridge model (Azure ML ParallelRunStep contract).

init() runs once per worker process; run(mini_batch) gets a list of CSV file paths and returns
one row per file: the file's name and the predicted progression of each patient in it.
"""
import os

import joblib
import numpy as np

model = None


def init():
    """Load the model once, when the worker starts."""
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "diabetes-ridge.pkl"))


def run(mini_batch):
    """Score each CSV file (one patient per line, 10 features) and return one row per file."""
    rows = []
    for path in mini_batch:
        features = np.loadtxt(path, delimiter=",", ndmin=2)
        predictions = model.predict(features)
        rows.append(os.path.basename(path) + " " + " ".join("%.4f" % value for value in predictions))
    return rows
