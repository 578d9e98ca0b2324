"""The cameras of the store, and which of them can see a place.

A camera's stream URLs may carry its owner's credentials: they are kept out of `repr` and of
`public_dict` (what the UI shows and exports), which carry masked URLs instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyproj import Geod

from data.streamurls import mask_url

WGS84 = Geod(ellps="WGS84")
# Metres in a degree of latitude at the fewest (at the equator); a degree of longitude has at least
# this many times cos(latitude). Dividing by it over-estimates a radius in degrees, never under.
METRES_PER_DEGREE = 110_574.0
BOX_MARGIN = 1.05  # and a little more, for the latitudes across the box


@dataclass(frozen=True)
class Camera:
    camera_id: str
    name: str
    camera_class: str  # A, B, rural, private
    owner: str | None
    lon: float
    lat: float
    heading_deg: float | None  # where it looks, clockwise from north; None if unknown
    fov_deg: float | None
    status: str  # online, offline
    grid_code: str | None
    stream_main: str | None = field(default=None, repr=False)
    stream_sub: str | None = field(default=None, repr=False)

    def stream(self, small_tile: bool) -> str | None:
        """The sub-stream for small tiles (less to decode), the main one for big ones; either if one is missing."""
        preferred, other = (self.stream_sub, self.stream_main) if small_tile else (self.stream_main, self.stream_sub)
        return preferred or other

    def public_dict(self) -> dict:
        """Everything about the camera that may be shown or exported: URLs masked."""
        return {"camera_id": self.camera_id, "name": self.name, "camera_class": self.camera_class,
                "owner": self.owner, "lon": self.lon, "lat": self.lat, "heading_deg": self.heading_deg,
                "fov_deg": self.fov_deg, "status": self.status, "grid_code": self.grid_code,
                "stream_main": mask_url(self.stream_main), "stream_sub": mask_url(self.stream_sub)}


@dataclass(frozen=True)
class Sighting:
    camera: Camera
    distance_m: float
    in_view: bool | None  # is the place inside the camera's field of view? None if heading unknown


def _optional(value) -> float | str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


class CameraRegistry:
    """All cameras in memory, with arrays for fast "who sees this place" queries."""

    def __init__(self, cameras: list[Camera]):
        self.cameras = cameras
        self._by_id = {camera.camera_id: camera for camera in cameras}
        self._lon = np.array([c.lon for c in cameras], dtype=float)
        self._lat = np.array([c.lat for c in cameras], dtype=float)
        self._heading = np.array([np.nan if c.heading_deg is None else c.heading_deg for c in cameras], dtype=float)
        self._fov = np.array([np.nan if c.fov_deg is None else c.fov_deg for c in cameras], dtype=float)
        self._online = np.array([c.status == "online" for c in cameras], dtype=bool)

    @classmethod
    def from_layer(cls, frame: pd.DataFrame) -> CameraRegistry:
        """From the store's cameras layer (EPSG:4326 points)."""
        cameras = [
            Camera(row.camera_id, row.name, row.camera_class, _optional(row.owner), float(row.geometry.x),
                   float(row.geometry.y), _optional(row.heading_deg), _optional(row.fov_deg), row.status,
                   _optional(row.grid_code), _optional(row.stream_main), _optional(row.stream_sub))
            for row in frame.itertuples(index=False)
        ]
        return cls(cameras)

    @classmethod
    def from_store(cls, store) -> CameraRegistry:
        return cls.from_layer(store.read_layer("cameras"))

    def __len__(self) -> int:
        return len(self.cameras)

    def get(self, camera_id: str) -> Camera | None:
        return self._by_id.get(camera_id)

    def offline(self) -> list[Camera]:
        """Cameras to send maintenance to."""
        return [camera for camera, online in zip(self.cameras, self._online) if not online]

    def seeing(self, lon: float, lat: float, radius_m: float = 300.0, limit: int = 4,
               online_only: bool = True) -> list[Sighting]:
        """The cameras within `radius_m` of a place, those that look at it first, then the nearest."""
        # Geodesic distances are exact but slow (~10 us each): measure only the cameras in a box
        # around the place a little wider than the radius, so a city of 30,000 costs no more than a street.
        box_lat = radius_m * BOX_MARGIN / METRES_PER_DEGREE
        box_lon = box_lat / max(np.cos(np.radians(lat)), 1e-6)
        inside = (np.abs(self._lat - lat) <= box_lat) & (np.abs(self._lon - lon) <= box_lon)
        if online_only:
            inside &= self._online
        candidates = np.flatnonzero(inside)
        if not len(candidates):
            return []
        heading, fov = self._heading[candidates], self._fov[candidates]
        azimuth, _, distance = WGS84.inv(self._lon[candidates], self._lat[candidates],
                                         np.full(len(candidates), lon), np.full(len(candidates), lat))
        distance = np.asarray(distance)
        off_axis = np.abs((np.asarray(azimuth) - heading + 180.0) % 360.0 - 180.0)
        known = ~np.isnan(heading) & ~np.isnan(fov)
        in_view = np.where(known, off_axis <= fov / 2, False)
        # Seen for sure first, then unknown heading, then looking elsewhere; nearest first within each.
        rank = np.where(in_view, 0, np.where(known, 2, 1))
        order = [k for k in np.lexsort((distance, rank)) if distance[k] <= radius_m][:limit]
        return [Sighting(self.cameras[candidates[k]], round(float(distance[k]), 1),
                         bool(in_view[k]) if known[k] else None) for k in order]
