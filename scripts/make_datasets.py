#!/usr/bin/python3
"""Writes the small real data sets in data/ from the copies Debian's scikit-learn ships
(python3-sklearn, sklearn/datasets/data). Run with Debian's interpreter: /usr/bin/python3.

Each becomes a CSV with a header row, the target in the last column:
  diabetes.csv       442 x 10 features, target: disease progression after one year (regression)
  breast_cancer.csv  569 x 30 features, target: 1 = benign, 0 = malignant (binary)
  iris.csv           150 x 4 features, target: species 0, 1, 2 (multiclass)
  wine.csv           178 x 13 features, target: cultivar 0, 1, 2 (multiclass)
  digits.csv         1797 x 64 features (8x8 images, row-major, values 0-16), target: digit 0-9
The diabetes features are the raw (unscaled) measurements, not sklearn's mean-centred version.
"""
import csv
import pathlib

import sklearn
from sklearn import datasets

OUT = pathlib.Path(__file__).resolve().parent.parent / "data"


def write(name, frame_x, y, feature_names, target_name, fmt):
    path = OUT / f"{name}.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([n.replace(" ", "_") for n in feature_names] + [target_name])
        for row, target in zip(frame_x, y):
            w.writerow([fmt(v) for v in row] + [fmt(target)])
    print(f"wrote {path} ({len(y)} rows, {len(feature_names)} features)")


def number(v):
    return format(float(v), ".10g")


def main():
    d = datasets.load_diabetes(scaled=False)
    write("diabetes", d.data, d.target, d.feature_names, "progression", number)
    b = datasets.load_breast_cancer()
    write("breast_cancer", b.data, b.target, b.feature_names, "benign", number)
    i = datasets.load_iris()
    write("iris", i.data, i.target, ["sepal_length", "sepal_width", "petal_length",
                                     "petal_width"], "species", number)
    w = datasets.load_wine()
    write("wine", w.data, w.target, w.feature_names, "cultivar", number)
    write_digits()
    print(f"scikit-learn {sklearn.__version__}")


def write_digits():
    """The 8x8 handwritten digits: 64 pixel counts 0-16 per image, row by row (pixel_R_C)."""
    d = datasets.load_digits()
    write("digits", d.data, d.target, d.feature_names, "digit", number)


if __name__ == "__main__":
    main()
