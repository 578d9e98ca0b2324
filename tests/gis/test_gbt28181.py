"""GB/T 28181 device ids: the parts of the 20 digits, and what the type digits say a device is."""

from __future__ import annotations

import pytest

from gis.gbt28181 import DeviceIdError, describe_type, parse_camera_id, parse_device_id

IP_CAMERA = "42060200001320000001"  # Xiangyang (4206) 02, industry 00, type 132, network 0, serial 000001


def test_an_id_splits_into_centre_industry_type_network_and_serial():
    device = parse_device_id(IP_CAMERA)
    assert (device.centre, device.industry, device.type_code, device.network, device.serial) == (
        "42060200", "00", "132", "0", "000001")
    assert device.province == "42" and device.is_camera and device.device_type == "IP camera"


@pytest.mark.parametrize("type_code", ["131", "132"])
def test_cameras_and_ip_cameras_are_cameras(type_code):
    assert parse_camera_id(f"3101150000{type_code}0000042").type_code == type_code


@pytest.mark.parametrize("type_code, said", [
    ("118", "NVR"), ("111", "DVR"), ("113", "encoder"), ("200", "central signalling server"),
    ("216", "virtual organisation"), ("299", "platform device (type 299)"), ("140", "front-end peripheral device"),
])
def test_a_device_that_is_no_camera_is_refused_naming_what_it_is(type_code, said):
    with pytest.raises(DeviceIdError) as err:
        parse_camera_id(f"4206020000{type_code}0000001")
    assert said in str(err.value) and "not a camera" in str(err.value) and type_code in str(err.value)


@pytest.mark.parametrize("text, why", [
    ("4206020000132000001", "got 19 characters"),
    ("420602000013200000012", "got 21 characters"),
    ("42060200001320000O01", "not all digits"),
    ("４２０６０２００００１３２００００００１", "not all digits"),  # full-width digits typed in an IME
    ("99060200001320000001", "no province code"),
])
def test_malformed_ids_say_why(text, why):
    with pytest.raises(DeviceIdError, match=why):
        parse_device_id(text)


def test_types_outside_the_named_table_fall_in_their_range():
    assert describe_type("350") == "central user (type 350)"
    assert describe_type("450") == "terminal user (type 450)"
    assert describe_type("050").startswith("no device type")
