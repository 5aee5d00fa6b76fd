"""Writes data/patients-NN.csv: the sklearn diabetes dataset, 5 patients per file (bundled, no download)."""
import os

from sklearn.datasets import load_diabetes

HERE = os.path.dirname(os.path.abspath(__file__))
features = load_diabetes().data[:60]
os.makedirs(os.path.join(HERE, "data"), exist_ok=True)
for index in range(0, len(features), 5):
    with open(os.path.join(HERE, "data", "patients-%02d.csv" % (index // 5)), "w") as handle:
        for row in features[index:index + 5]:
            handle.write(",".join("%.6f" % value for value in row) + "\n")
