"""Independent reading of a cluster artifact: the YAML's numbers fed to scikit-learn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml
from sklearn.cluster import KMeans

from assistant.catalog.models import Catalog
from assistant.compiler import segment_ctes
from assistant.executor import Warehouse


def model_from_yaml(path: Path, name: str) -> tuple[KMeans, dict, list[str], list[dict]]:
    """The KMeans model the YAML describes: fitted on its own centroids (one per cluster),
    then given exactly the governed numbers (the fit's centring moves them in the last bit)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    seg = next(s for s in data["segments"] if s["name"] == name)
    features = [f if isinstance(f, str) else f["name"] for f in seg["cluster"]["features"]]
    centres = np.array([[m["centroid"][f] for f in features] for m in seg["members"]])
    model = KMeans(n_clusters=len(centres), init=centres, n_init=1).fit(centres)
    assert np.allclose(model.cluster_centers_, centres, atol=1e-9)
    model.cluster_centers_ = centres
    specs = [f if isinstance(f, dict) else {"name": f} for f in seg["cluster"]["features"]]
    return model, seg["fitted"]["scaling"], [m["name"] for m in seg["members"]], specs


def predict(path: Path, name: str, rows: list[tuple]) -> list[str]:
    """Rows are (user_id, feature values...) in the spec's feature order."""
    model, scaling, members, specs = model_from_yaml(path, name)
    x = np.array([row[1:] for row in rows], dtype=float)
    for j, spec in enumerate(specs):
        if spec.get("transform") == "log1p":
            x[:, j] = np.log(1.0 + x[:, j])
        mean, scale = scaling[spec["name"]]
        x[:, j] = (x[:, j] - mean) / scale
    return [members[i] for i in model.predict(x)]


def sql_assignment(catalog: Catalog, warehouse: Warehouse, name: str, as_of) -> list[tuple]:
    """(user_id, features..., member) for every user, from the compiled governed CTEs."""
    seg = catalog.segments[name]
    assert seg.cluster is not None
    columns = ", ".join(f.name for f in seg.cluster.features)
    ctes = ",\n".join(f"{cte} AS ({body.sql('duckdb')})"
                      for cte, body in segment_ctes(catalog, seg, as_of))
    sql = (f"WITH {ctes}\nSELECT user_id, {columns}, {seg.member_column} FROM {name} "
           "ORDER BY user_id")
    with warehouse.cursor() as con:
        return [tuple(r) for r in con.execute(sql).fetchall()]
