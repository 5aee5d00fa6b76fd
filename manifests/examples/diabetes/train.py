"""Train the example diabetes regressor and write model/diabetes-ridge.pkl.

Ridge regression on scikit-learn's bundled diabetes data set (442 rows,
10 standardised features, no download needed). Run from anywhere:

    python manifests/examples/diabetes/train.py

Use the numpy/scikit-learn versions pinned in env/conda.yaml so the pickle
loads in the scoring environment.
"""
import os

import joblib
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "model", "diabetes-ridge.pkl")


def main():
    X, y = load_diabetes(return_X_y=True)
    model = Ridge(alpha=0.1).fit(X, y)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    joblib.dump(model, OUT)
    print(f"wrote {OUT} (R^2 on training data: {model.score(X, y):.3f})")
    print("first row prediction:", round(float(model.predict(X[:1].round(6))[0]), 4))


if __name__ == "__main__":
    main()
