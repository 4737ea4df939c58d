"""`segq cluster fit`: cluster users on governed features, prove the clusters on outcomes.

    data.py        features as of a date and outcomes in the later window, one governed query
    candidates.py  K-Means over a range of k, DBSCAN over a small grid, agglomerative Ward
    outcomes.py    per-cluster outcome rates, chi-square / Kruskal-Wallis, effect sizes
    choose.py      verdicts ("separates", "tidy but useless") and the K-Means model to govern
    naming.py      suggested member names from each centroid's strongest features
    artifact.py    the chosen model written as a versioned cluster segment (YAML)
    report.py      terminal table and PNG
    fit.py         the steps above in order

scikit-learn and scipy are the optional `cluster` extra; only this package imports them.
"""
