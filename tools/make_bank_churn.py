"""Generate the small bank-customer table of the "Your own table" lesson.

The table is made up, reproducibly (fixed seed), so that it can ship with nnstudio without
anyone's real data. Each row is one customer of an imaginary bank; the label ``left`` says
whether they closed their account within six months (1) or stayed (0).

Columns
-------
age             years, 18-80
tenure          whole years as a customer, 0-10
balance         account balance in euros (0 for about a third of customers)
products        number of the bank's products they use, 1-4
active          ``yes`` / ``no``: used the account in the last three months
credit_score    300-850
region          ``north``, ``south`` or ``west``
left            1: left within six months, 0: stayed

How ``left`` is drawn: a customer's chance of leaving rises with age up to about 55, is
higher for inactive customers, for those with only one product or with four, for a high
balance with few products, and in the ``west`` region; it falls with tenure. The chance goes
through a logistic function and a coin is tossed for every customer, so about a quarter
leave and no model can be right for everyone (some customers who "should" stay leave
anyway): a network that learns the table by heart does worse on new customers, which is
what the lesson shows.

Usage::

    python tools/make_bank_churn.py [--rows 600] [--out nnstudio/resources/data/bank_churn.csv]
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "nnstudio" / "resources" / "data" / "bank_churn.csv"
COLUMNS = ["age", "tenure", "balance", "products", "active", "credit_score", "region", "left"]


def make_rows(n: int = 600, seed: int = 7) -> list[list[str]]:
    """``n`` customers as rows of text (no header)."""
    rng = np.random.default_rng(seed)
    age = np.clip(rng.normal(40, 11, n), 18, 80).round().astype(int)
    tenure = rng.integers(0, 11, n)
    has_balance = rng.random(n) > 0.33
    balance = np.where(has_balance, rng.normal(90_000, 35_000, n).clip(500, 250_000), 0.0)
    products = rng.choice([1, 2, 3, 4], n, p=[0.48, 0.44, 0.06, 0.02])
    active = rng.random(n) < 0.52
    score = np.clip(rng.normal(650, 95, n), 300, 850).round().astype(int)
    region = rng.choice(["north", "south", "west"], n, p=[0.5, 0.25, 0.25])

    z = (-1.45 + 0.085 * (np.minimum(age, 55) - 38) - 0.04 * (age > 65) * (age - 65)
         - 0.9 * active + 0.9 * (products == 1) - 0.6 * (products == 2) + 2.2 * (products >= 3)
         + 0.6 * ((balance > 100_000) & (products == 1)) + 0.7 * (region == "west")
         - 0.06 * tenure - 0.0015 * (score - 650))
    left = rng.random(n) < 1 / (1 + np.exp(-z))
    rows = []
    for i in range(n):
        rows.append([str(age[i]), str(tenure[i]), f"{balance[i]:.2f}", str(products[i]),
                     "yes" if active[i] else "no", str(score[i]), str(region[i]),
                     str(int(left[i]))])
    return rows


def csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rows = make_rows(args.rows, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(csv_text(rows), encoding="utf-8")
    share = sum(r[-1] == "1" for r in rows) / len(rows)
    print(f"wrote {args.out}: {len(rows)} customers, {100 * share:.1f}% left")


if __name__ == "__main__":
    main()
