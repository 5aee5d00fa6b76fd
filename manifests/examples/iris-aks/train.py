"""Train the example iris classifier and write the model FOLDER model/.

LogisticRegression on scikit-learn's bundled iris data set (no download).
The model is registered as a folder holding two files:

    model/iris-logreg.pkl   the fitted estimator (joblib)
    model/labels.json       class index -> class name

Run with the numpy/scikit-learn versions pinned in env/conda.yaml:

    python manifests/examples/iris-aks/train.py
"""
import json
import os

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "model")


def main():
    iris = load_iris()
    model = LogisticRegression(max_iter=1000).fit(iris.data, iris.target)
    os.makedirs(OUT_DIR, exist_ok=True)
    joblib.dump(model, os.path.join(OUT_DIR, "iris-logreg.pkl"))
    with open(os.path.join(OUT_DIR, "labels.json"), "w") as f:
        json.dump({"classes": iris.target_names.tolist()}, f)
        f.write("\n")
    print(f"wrote {OUT_DIR} (accuracy on training data: {model.score(iris.data, iris.target):.3f})")


if __name__ == "__main__":
    main()
