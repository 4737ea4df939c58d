"""`segq cluster fit`: fit, compare, validate on outcomes, and write the governed segment."""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.config import Config
from assistant.errors import FitError

NEEDS_EXTRA = ("`segq cluster` needs scikit-learn and scipy, which are not installed. Install "
               "them with `pip install -e \".[cluster]\"`.")


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("cluster", help="cluster segments proven against outcomes")
    actions = c.add_subparsers(dest="action", required=True, metavar="ACTION")
    f = actions.add_parser("fit", help="fit K-Means, DBSCAN and Ward, validate them on later "
                           "outcomes, write the chosen K-Means model as a versioned segment")
    f.add_argument("segment", help="name of a segment with a `cluster:` block")
    f.add_argument("--sample", type=int, help="users fitted on (default: the spec's `sample`)")
    f.add_argument("--seed", type=int, default=0, help="sampling and K-Means seed (default 0)")
    f.add_argument("--k", type=int, help="write K-Means with this k instead of the chosen one")
    f.add_argument("--report", metavar="PNG", help="also draw the comparison as a PNG")
    f.add_argument("--out", metavar="FILE", help="write the segment here instead of its file")
    f.add_argument("--dry-run", action="store_true", help="report only, write nothing")
    f.set_defaults(handler=fit)


def fit(args: argparse.Namespace, config: Config) -> int:
    try:
        from assistant.clustering import artifact, report
        from assistant.clustering.fit import fit_clusters
    except ImportError as exc:  # the optional `cluster` extra is missing
        raise FitError(NEEDS_EXTRA) from exc
    from assistant.pipeline import Assistant

    assistant = Assistant(config)
    if args.sample is not None and args.sample < 50:
        raise FitError(f"`--sample {args.sample}` is too small; fit on at least 50 users.")
    result = fit_clusters(assistant.catalog, args.segment, assistant.warehouse, config.as_of,
                          sample=args.sample, seed=args.seed, k=args.k)
    names = None
    if result.chosen is not None and not args.dry_run:
        source = Path(assistant.catalog.directory).parent / result.segment.file
        path, version, names = artifact.write_artifact(result, source,
                                                       Path(args.out) if args.out else None)
    print(report.text(result, names))
    if args.report:
        print(f"report: {report.write_png(result, Path(args.report))}")
    if result.chosen is None:
        print("Nothing written: no K-Means candidate separates the declared outcomes "
              "(`--k N` writes one anyway).")
        return 1
    if not args.dry_run:
        print(f"wrote `{result.segment.name}` version {version} to {path}; review the diff, "
              "rename members if you like, run `segq validate` and commit")
    return 0
