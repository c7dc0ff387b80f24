#!/usr/bin/python3
"""Reference scores from scikit-learn for the models' quality tests (tests/models/), computed once;
the tests quote these numbers. Run with Debian's interpreter: /usr/bin/python3.

Every data set is split the same way the tests split it: row i is a test row when i % 5 == 0, a
training row otherwise. Features are standardized with the training rows' mean and standard
deviation.
"""
import numpy as np
import sklearn
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier

DATA = __import__("pathlib").Path(__file__).resolve().parent.parent / "data"


def load(name):
    table = np.loadtxt(DATA / f"{name}.csv", delimiter=",", skiprows=1)
    x, y = table[:, :-1], table[:, -1]
    test = np.arange(len(y)) % 5 == 0
    mean, std = x[~test].mean(axis=0), x[~test].std(axis=0)
    x = (x - mean) / np.where(std > 0, std, 1)
    return x[~test], y[~test], x[test], y[test]


def main():
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}")
    xtr, ytr, xte, yte = load("diabetes")
    ols = LinearRegression().fit(xtr, ytr)
    print(f"diabetes: closed-form least squares R^2 train {ols.score(xtr, ytr):.6f} "
          f"test {ols.score(xte, yte):.6f}")

    xtr, ytr, xte, yte = load("breast_cancer")
    for c in (1.0, 1e6):
        lr = LogisticRegression(C=c, max_iter=10000).fit(xtr, ytr)
        print(f"breast_cancer: LogisticRegression(C={c:g}) test accuracy {lr.score(xte, yte):.6f} "
              f"train {lr.score(xtr, ytr):.6f}")

    for name in ("wine", "iris"):
        xtr, ytr, xte, yte = load(name)
        scores = []
        for seed in range(5):
            mlp = MLPClassifier(hidden_layer_sizes=(32,), activation="relu", solver="adam",
                                learning_rate_init=0.01, max_iter=500, random_state=seed)
            scores.append(mlp.fit(xtr, ytr).score(xte, yte))
        print(f"{name}: MLPClassifier(32 relu, adam 0.01, 500 iter) test accuracy over seeds 0-4: "
              + ", ".join(f"{s:.4f}" for s in scores) + f"; mean {np.mean(scores):.4f}")


if __name__ == "__main__":
    main()
