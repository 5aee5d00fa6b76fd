"""A linear scorer whose "model" is a JSON file of weights: small enough to read in one glance."""
import json
import os

model = None


def init():
    """Loads the weights once, from the model folder Berth materialises."""
    global model
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "coefficients.json")) as f:
        model = json.load(f)


def run(raw_data):
    """Scores rows of three numbers: {"data": [[x1, x2, x3], ...]} → [y, ...]."""
    rows = json.loads(raw_data)["data"]
    return [sum(w * x for w, x in zip(model["weights"], row)) + model["bias"] for row in rows]
