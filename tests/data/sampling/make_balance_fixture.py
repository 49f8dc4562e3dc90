"""Reference weights from Meta's ``balance`` for tests/test_sampling_reweight.py.

``balance`` pins numpy < 2 and old scipy / scikit-learn, so it cannot share alignlab's environment.
Run this script in a throwaway virtual environment (never in the project's):

    python3 -m venv /tmp/balvenv && /tmp/balvenv/bin/pip install balance
    /tmp/balvenv/bin/python tests/data/sampling/make_balance_fixture.py

It writes ``balance_inputs.csv`` (the seeded evaluation and production rows, ``side`` column) and
``balance_weights.csv`` (balance's rake and post-stratification weights per evaluation row).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def make_inputs(seed: int = 20240611) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    locales, tasks, lengths = ["en", "de", "ja", "fr"], ["qa", "code", "chat"], ["short", "long"]
    n_prod, n_eval = 4000, 400
    prod = pd.DataFrame({
        "locale": rng.choice(locales, n_prod, p=[0.5, 0.2, 0.2, 0.1]),
        "task": rng.choice(tasks, n_prod, p=[0.3, 0.3, 0.4]),
        "length": rng.choice(lengths, n_prod, p=[0.6, 0.4]),
    })
    ev = pd.DataFrame({
        "locale": rng.choice(locales, n_eval, p=[0.7, 0.1, 0.1, 0.1]),
        "task": rng.choice(tasks, n_eval, p=[0.5, 0.3, 0.2]),
        "length": rng.choice(lengths, n_eval, p=[0.3, 0.7]),
    })
    return ev, prod


def main() -> None:
    from balance.weighting_methods.poststratify import poststratify
    from balance.weighting_methods.rake import rake

    ev, prod = make_inputs()
    columns = ["locale", "task", "length"]
    ones_e = pd.Series(np.ones(len(ev)))
    ones_p = pd.Series(np.ones(len(prod)))
    raked = rake(ev[columns], ones_e, prod[columns], ones_p, transformations=None, na_action="drop",
                 max_iteration=10000, convergence_rate=1e-12, rate_tolerance=1e-14)["weight"]
    post = poststratify(ev[columns], ones_e, prod[columns], ones_p, transformations=None)["weight"]
    inputs = pd.concat([ev.assign(side="eval"), prod.assign(side="production")], ignore_index=True)
    inputs.to_csv(HERE / "balance_inputs.csv", index=False)
    import balance

    pd.DataFrame({"rake": np.asarray(raked), "poststratify": np.asarray(post)}).to_csv(
        HERE / "balance_weights.csv", index=False, float_format="%.15g")
    print(f"balance {balance.__version__}: wrote {len(ev)} eval rows, {len(prod)} production rows")


if __name__ == "__main__":
    main()
