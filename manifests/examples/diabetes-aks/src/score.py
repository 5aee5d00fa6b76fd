"""Entry script for the diabetes Ridge model (Azure ML init()/run() contract).

AZUREML_MODEL_DIR points at <root>/azureml-models/diabetes-ridge/<version>,
which holds the registered file under its basename.
"""
import os

import joblib
import numpy as np
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.schema_decorators import input_schema, output_schema

model = None

# Float samples: an integer sample would make inference-schema truncate input to int.
INPUT_SAMPLE = np.array([[0.038076, 0.05068, 0.061696, 0.021872, -0.044223,
                          -0.034821, -0.043401, -0.002592, 0.019907, -0.017646]])
OUTPUT_SAMPLE = np.array([199.8457])


def init():
    """Load the model once, when the worker starts."""
    global model
    model = joblib.load(os.path.join(os.getenv("AZUREML_MODEL_DIR"), "diabetes-ridge.pkl"))


@input_schema("data", NumpyParameterType(INPUT_SAMPLE))
@output_schema(NumpyParameterType(OUTPUT_SAMPLE))
def run(data):
    """Predict disease progression for each row of 10 features."""
    return model.predict(data).tolist()
