#!/usr/bin/python3
"""Writes the sequence data sets in data/ from what Debian packages ship. Run with Debian's
interpreter: /usr/bin/python3 scripts/make_sequence_data.py (needs r-base-core with
r-cran-janeaustenr, and python3-statsmodels).

  austen.txt     Jane Austen's "Pride & Prejudice" and "Sense & Sensibility", the texts of the R
                 package janeaustenr (Project Gutenberg's public-domain editions), one line of the
                 book per line, each novel preceded by its title line; for examples/word_embeddings.
  sunspots.csv   Yearly mean sunspot numbers 1700-2008 (statsmodels.datasets.sunspots, from NOAA's
                 National Geophysical Data Center; public domain): year,sunactivity; for
                 examples/time_series.
"""
import csv
import pathlib
import subprocess

import statsmodels
from statsmodels.datasets import sunspots

OUT = pathlib.Path(__file__).resolve().parent.parent / "data"
NOVELS = ["prideprejudice", "sensesensibility"]  # janeaustenr's object names


def export_austen():
    # R prints each novel's lines (a character vector) with writeLines; no quoting or escaping.
    script = "library(janeaustenr); for (n in commandArgs(TRUE)) writeLines(get(n))"
    text = subprocess.run(["Rscript", "-e", script, *NOVELS], check=True, capture_output=True,
                          text=True).stdout
    path = OUT / "austen.txt"
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({len(text.splitlines())} lines, {len(text.split())} words)")


def export_sunspots():
    data = sunspots.load_pandas().data
    path = OUT / "sunspots.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["year", "sunactivity"])
        for year, value in zip(data["YEAR"], data["SUNACTIVITY"]):
            w.writerow([int(year), format(float(value), ".10g")])
    print(f"wrote {path} ({len(data)} years, statsmodels {statsmodels.__version__})")


def main():
    export_austen()
    export_sunspots()


if __name__ == "__main__":
    main()
