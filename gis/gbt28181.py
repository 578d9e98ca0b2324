"""GB/T 28181 device ids: the 20-digit codes video platforms key their camera lists by.

The layout (GB/T 28181-2016, appendix D): digits 1-8 the centre code (province 2, city 2,
county 2, basic unit 2), 9-10 the industry, 11-13 the device type, 14 the network, 15-20 a serial.
The type says what the device is: a camera list exported from a platform also holds its NVRs,
encoders and servers, which are no cameras and must not land on the map as such.
"""

from __future__ import annotations

from dataclasses import dataclass

ID_LENGTH = 20
# Types that are cameras: 131 camera, 132 IP camera.
CAMERA_TYPES = {"131": "camera", "132": "IP camera"}

# Named types, by the standard's table (2016 edition).
DEVICE_TYPES = {
    "111": "DVR", "112": "video server", "113": "encoder", "114": "decoder", "115": "video switching matrix",
    "116": "audio switching matrix", "117": "alarm controller", "118": "NVR", "120": "video image collection system",
    "121": "video checkpoint (卡口)", "122": "multi-lens device", "123": "car park gate controller",
    "124": "pedestrian gate controller", "125": "security inspection device", "130": "HVR",
    **CAMERA_TYPES,
    "133": "display", "134": "alarm input device", "135": "alarm output device", "136": "voice input device",
    "137": "voice output device", "138": "mobile transmission device", "139": "other peripheral device",
    "200": "central signalling server", "201": "web application server", "202": "media distribution server",
    "203": "proxy server", "204": "security server", "205": "alarm server", "206": "database server",
    "207": "GIS server", "208": "management server", "209": "access gateway", "210": "media storage server",
    "211": "signalling security gateway", "215": "business group", "216": "virtual organisation",
}
# Ranges the standard reserves, for types the table above does not name.
TYPE_RANGES = (
    (111, 130, "front-end main device"),
    (131, 199, "front-end peripheral device"),
    (200, 299, "platform device"),
    (300, 399, "central user"),
    (400, 499, "terminal user"),
    (500, 999, "extension type"),
)
# Province-level codes of GB/T 2260 (the first two digits of the centre code).
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
}


class DeviceIdError(ValueError):
    """Not a GB/T 28181 id, or not the device wanted; the message says what the digits say."""


@dataclass(frozen=True)
class DeviceId:
    centre: str  # 8 digits: province, city, county, basic unit
    industry: str
    type_code: str
    network: str
    serial: str

    @property
    def province(self) -> str:
        return self.centre[:2]

    @property
    def device_type(self) -> str:
        return describe_type(self.type_code)

    @property
    def is_camera(self) -> bool:
        return self.type_code in CAMERA_TYPES


def describe_type(type_code: str) -> str:
    """What the standard calls a type code, e.g. '118' -> 'NVR'."""
    if type_code in DEVICE_TYPES:
        return DEVICE_TYPES[type_code]
    number = int(type_code)
    for low, high, what in TYPE_RANGES:
        if low <= number <= high:
            return f"{what} (type {type_code})"
    return f"no device type ({type_code})"


def parse_device_id(text: str) -> DeviceId:
    """Split a 20-digit id into its parts; DeviceIdError if it is not one."""
    digits = text.strip()
    ascii_digits = digits.isascii() and digits.isdigit()
    if len(digits) != ID_LENGTH or not ascii_digits:
        why = "" if ascii_digits else ", not all digits 0-9" + (" (full-width digits?)" if digits.isdigit() else "")
        raise DeviceIdError(f"{text!r} is not a GB/T 28181 device id (20 digits, got {len(digits)} characters{why})")
    if digits[:2] not in PROVINCES:
        raise DeviceIdError(f"{digits}: centre code {digits[:8]} starts with {digits[:2]}, no province code")
    return DeviceId(digits[:8], digits[8:10], digits[10:13], digits[13], digits[14:])


def parse_camera_id(text: str) -> DeviceId:
    """A device id whose type is a camera (131/132); the error names what the type says it is instead."""
    device = parse_device_id(text)
    if not device.is_camera:
        raise DeviceIdError(f"{text.strip()} is a {device.device_type}, not a camera "
                            f"(type digits 11-13 are {device.type_code}; cameras are 131 or 132)")
    return device
