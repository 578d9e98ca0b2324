"""A road network import: the store's roads replaced by an extract's, authorized and audited here
in the data layer (roads.import), the segments and their audit row in one transaction."""

from __future__ import annotations

import geopandas as gpd

from data import auth
from data.store import Store


def import_roads(store: Store, segments: gpd.GeoDataFrame, file_name: str,
                 session: auth.Session | None = None) -> int:
    """Replace the store's roads with `segments` (read from `file_name`); how many were replaced."""
    acting = auth.check(store, session, "roads.import")

    def write(tx) -> int:
        replaced = tx.execute("SELECT count(*) FROM roads").scalar_one()
        tx.write_layer("roads", segments, mode="replace")
        auth.audit(tx, acting, "roads.import", "roads",
                   {"file": file_name, "segments": len(segments), "replaced": replaced})
        return replaced

    return store.run_in_transaction(write)
