"""RTSP server for synthetic footage, run by the *system* python3 (Debian's GStreamer bindings).

The project's venv has no `gi`, so `video.testserver` starts this file as a subprocess with a
JSON config: {"port": 8554, "streams": [{"path", "footage", "title", "width", "height", "fps"}]}.
Each path plays a folder of JPEG frames in a loop, burns the title and a live clock in, and
encodes H.264 only while someone watches (paths are mounted on first request and GStreamer
builds a pipeline per watched path, shared, so several viewers cost one encoder).
Prints "ready" once the port listens.
"""

import json
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

FRAME_PATTERN = "frame_%05d.jpg"


def launch_line(stream: dict, overlays: bool = True) -> str:
    """The stream's pipeline; without `overlays` (no Pango plugin: gstreamer1.0-x) no name or clock burned in."""
    title = "".join(ch for ch in stream["title"] if ch not in "\"\\")
    burn_in = (
        f'textoverlay text="{title}" valignment=top halignment=left font-desc="Sans 12" ! '
        f'clockoverlay valignment=bottom halignment=right time-format="%Y-%m-%d %H:%M:%S" font-desc="Sans 11" ! '
    ) if overlays else ""
    return (
        f'( multifilesrc location="{stream["footage"]}/{FRAME_PATTERN}" loop=true '
        f'caps="image/jpeg,framerate={stream["fps"]}/1" ! jpegdec ! videoscale ! videoconvert ! '
        f'video/x-raw,format=I420,width={stream["width"]},height={stream["height"]} ! '
        f'{burn_in}x264enc tune=zerolatency speed-preset=ultrafast key-int-max={stream["fps"]} ! '
        f'rtph264pay name=pay0 pt=96 config-interval=1 )'
    )


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        config = json.load(handle)
    streams = {stream["path"]: stream for stream in config["streams"]}
    Gst.init(None)
    overlays = Gst.ElementFactory.find("textoverlay") is not None
    if not overlays:  # every stream would fail to play (503) for want of the captions
        print("no textoverlay (install gstreamer1.0-x): streams carry no name or clock", file=sys.stderr, flush=True)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(config["port"]))
    mounts = server.get_mount_points()

    def mount_on_first_request(_client, context):
        # Mounting tens of thousands of paths up front takes minutes (GStreamer's mount table
        # grows quadratically); mount each one when somebody first asks for it instead.
        path = context.uri.abspath
        if path in streams:
            factory = GstRtspServer.RTSPMediaFactory()
            factory.set_launch(launch_line(streams.pop(path), overlays))
            factory.set_shared(True)
            mounts.add_factory(path, factory)
        return GstRtsp.RTSPStatusCode.OK

    server.connect("client-connected",
                   lambda _server, client: client.connect("pre-describe-request", mount_on_first_request))
    if server.attach(None) == 0:
        print(f"cannot listen on port {config['port']}", file=sys.stderr, flush=True)
        return 1
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    # The parent holds our stdin open: end of file means it is gone, however it died.
    GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP,
                      lambda *_: loop.quit())
    print("ready", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
