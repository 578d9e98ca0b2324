"""Camera video engine, without Qt: the console's wall and map build on it.

- `streams`: stream URLs with credentials masked, for everything shown, logged or exported.
- `registry`: the store's cameras, and which of them see a place.
- `capture`: one reconnecting capture thread per open stream, latest-frame delivery, snapshots, clips.
- `analytics`: motion and person events; `alerts`: the same on a live camera, with snapshot and clip.
- `probe`: what a stream really delivers.
- `footage` and `testserver` (+ `rtsp_server_gst.py`, run by the system python3): synthetic
  streets served as real RTSP on 127.0.0.1, for the demo and the tests.
"""
