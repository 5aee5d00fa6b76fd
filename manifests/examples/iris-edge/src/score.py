"""Entry script for the iris classifier (Azure ML init()/run() contract).

The model is a registered FOLDER. With one model in the service,
AZUREML_MODEL_DIR is <root>/azureml-models/iris-logreg/<version> and the
folder sits in it under its basename: $AZUREML_MODEL_DIR/model/.
"""
import json
import os

import joblib
import numpy as np
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.parameter_types.standard_py_parameter_type import StandardPythonParameterType
from inference_schema.schema_decorators import input_schema, output_schema

model = None
classes = None


def init():
    """Load the estimator and the class names once, when the worker starts."""
    global model, classes
    model_dir = os.path.join(os.getenv("AZUREML_MODEL_DIR"), "model")
    model = joblib.load(os.path.join(model_dir, "iris-logreg.pkl"))
    with open(os.path.join(model_dir, "labels.json")) as f:
        classes = json.load(f)["classes"]


# Float sample (sepal length/width, petal length/width in cm).
@input_schema("data", NumpyParameterType(np.array([[5.1, 3.5, 1.4, 0.2]])))
@output_schema(StandardPythonParameterType(["setosa"]))
def run(data):
    """Return the predicted class name for each row of 4 measurements."""
    return [classes[i] for i in model.predict(data)]
