import pytest

from data.streamurls import mask_url, mask_urls_in_text


@pytest.mark.parametrize("url, masked", [
    ("rtsp://admin:demo@127.0.0.1:8554/cam/1/main", "rtsp://admin:***@127.0.0.1:8554/cam/1/main"),
    ("rtsp://admin@10.1.2.3/Streaming/Channels/101", "rtsp://admin@10.1.2.3/Streaming/Channels/101"),
    ("rtsp://admin:p@ss:w0rd@10.1.2.3:554/h264", "rtsp://admin:***@10.1.2.3:554/h264"),
    ("rtsp://admin:Pa/ss#1?x@10.1.2.3:554/h264", "rtsp://admin:***@10.1.2.3:554/h264"),
    ("http://gw.example/live/1.flv?Token=abc123&channel=2", "http://gw.example/live/1.flv?Token=***&channel=2"),
    ("https://u:p@gw.example/hls/1.m3u8?password=x", "https://u:***@gw.example/hls/1.m3u8?password=***"),
])
def test_credentials_are_masked_and_the_rest_kept(url, masked):
    assert mask_url(url) == masked


@pytest.mark.parametrize("url", ["rtsp://127.0.0.1:8554/cam/1/sub", "/data/clips/a.mp4",
                                 "http://gw.example/live.flv?channel=2"])
def test_urls_without_credentials_are_unchanged(url):
    assert mask_url(url) == url


def test_missing_url_is_empty():
    assert mask_url(None) == "" and mask_url("") == ""


def test_credentials_inside_messages_are_masked():
    message = ("cannot open rtsp://admin:hunter2@10.0.0.1:554/s?auth=zz&ch=1 (timeout); retry http://a:b@gw/x; "
               "rtsp://op:Pa/ss#1@10.0.0.2/main refused")
    masked = mask_urls_in_text(message)
    assert "hunter2" not in masked and "zz" not in masked and ":b@" not in masked and "Pa/ss" not in masked
    assert masked == ("cannot open rtsp://admin:***@10.0.0.1:554/s?auth=***&ch=1 (timeout); retry http://a:***@gw/x; "
                      "rtsp://op:***@10.0.0.2/main refused")
