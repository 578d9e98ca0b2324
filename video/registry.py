"""The cameras of the store, and which of them can see a place.

A camera's stream URLs may carry its owner's credentials: they are kept out of `repr` and of
`public_dict` (what the UI shows and exports), which carry masked URLs instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyproj import Geod

from video.streams import mask_url

WGS84 = Geod(ellps="WGS84")


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
        if not self.cameras:
            return []
        to_lon = np.full(len(self.cameras), lon)
        to_lat = np.full(len(self.cameras), lat)
        azimuth, _, distance = WGS84.inv(self._lon, self._lat, to_lon, to_lat)
        off_axis = np.abs((np.asarray(azimuth) - self._heading + 180.0) % 360.0 - 180.0)
        known = ~np.isnan(self._heading) & ~np.isnan(self._fov)
        in_view = np.where(known, off_axis <= self._fov / 2, False)
        near = np.asarray(distance) <= radius_m
        if online_only:
            near &= self._online
        # Seen for sure first, then unknown heading, then looking elsewhere; nearest first within each.
        rank = np.where(in_view, 0, np.where(known, 2, 1))
        order = [i for i in np.lexsort((distance, rank)) if near[i]][:limit]
        return [Sighting(self.cameras[i], round(float(distance[i]), 1), bool(in_view[i]) if known[i] else None)
                for i in order]
