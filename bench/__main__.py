"""Run every benchmark in turn: `python -m bench [name ...]`."""

import importlib
import sys

BENCHMARKS = ["web", "reports", "comparison", "overview", "queue", "backup", "jobs", "writers", "evidence"]

if __name__ == "__main__":
    for name in sys.argv[1:] or BENCHMARKS:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
            print(f"== {name}: not present")
            continue
        print(f"== {name}")
        module.main()
