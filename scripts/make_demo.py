"""Regenerate the FICTIONAL demo data set ``data/demo/`` on the real communes of Val d'Oise.

The generator itself is :mod:`lib.demo_generator` (a run-time module: the app
and ``python -m lib.cli demo`` make a demo for any département with it). The
same seed gives byte-identical files:

    python scripts/make_demo.py [--seed 2018] [--out data/demo] [--reference data/reference]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lib.demo_generator import generate_demo  # noqa: E402
from lib.demo_vocabulary import DEFAULT_SEED, DemoError  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Génère le jeu de données de démonstration (fictif).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "demo")
    parser.add_argument("--reference", type=Path, default=ROOT / "data" / "reference")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        counts = generate_demo(args.reference, args.out, args.seed)
    except DemoError as err:
        raise SystemExit(f"make_demo: {err}") from None
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    print(f"make_demo: {summary} ({time.perf_counter() - started:.1f} s) → {args.out}")


if __name__ == "__main__":
    main()
