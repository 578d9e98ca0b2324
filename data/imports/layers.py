"""The layers a centre imports, described once: fields, header aliases, value maps and key.

Kinds, roles, statuses and classes are written in rosters the way people say them (网格员, 民警,
在岗, 天网); each maps to the code gridsight stores. The codes themselves are accepted too, which
is what an export writes, so an export re-imports as it is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str  # as in --NAME-field and in the report's columns
    column: str | None  # the store's column; None for lon/lat/crs/path, which make the geometry
    aliases: tuple[str, ...]  # header names, most specific first; the store's column name is added
    required: bool = False
    values: dict[str, str] | None = None  # what the file may say -> the code stored
    number: tuple[float, float] | None = None  # a number within these bounds
    default: str | None = None  # for new rows when the file has no value (blank or no column)

    @property
    def headers(self) -> tuple[str, ...]:
        return self.aliases + ((self.column,) if self.column and self.column not in self.aliases else ())


@dataclass(frozen=True)
class LayerSpec:
    command: str  # the CLI's top-level command
    layer: str  # the store's layer
    key: str  # the store's id column
    fields: tuple[Field, ...]
    geometry: str  # "point" or "line"
    position_required: bool
    id_from_name: bool = False  # GPX tracks carry only a name: it is their id

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.fields if f.column]


def _codes(mapping: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """{code: (what people write, ...)} as {written: code}, the code included, all lower case."""
    return {written.lower(): code for code, written in mapping.items() for written in (code, *written)}


# A responder's kind as rosters write it -> (kind, role). Role defaults to the kind's usual one.
KIND_ROLES: dict[str, tuple[str, str]] = {
    **{k: ("grid_worker", "grid_member") for k in ("grid_worker", "网格员", "专职网格员", "兼职网格员", "专职", "兼职")},
    "网格长": ("grid_worker", "grid_chief"),
    **{k: ("police", "patrol_car") for k in ("police", "民警", "辅警", "巡逻车", "巡逻组", "巡警", "警车", "交警")},
    "派出所": ("police", "police_station"),
    "警务站": ("police", "police_station"),
    **{k: ("department", "team") for k in ("department", "部门", "职能部门", "队伍", "处置队")},
}
ROLES = _codes({
    "grid_chief": ("网格长",),
    "grid_member": ("网格员", "专职网格员", "兼职网格员"),
    "police_station": ("派出所", "警务站"),
    "patrol_car": ("巡逻车", "巡逻组", "民警", "辅警"),
    "team": ("队伍", "处置队"),
})
STATUSES = _codes({"on_duty": ("在岗", "在线", "值班", "执勤"), "busy": ("忙碌", "处置中", "出警"),
                   "off": ("离岗", "休息", "下班", "离线", "请假")})
CAMERA_CLASSES = _codes({
    "A": ("一类", "一类点", "天网", "公安", "公安自建"),
    "B": ("二类", "二类点", "雪亮", "社会", "社会面", "政府部门"),
    "rural": ("农村", "乡村", "村级"),
    "private": ("私人", "社会单位自建", "三类", "三类点", "单位自建", "自建", "民用"),
})
CAMERA_STATUSES = _codes({"online": ("在线", "正常"), "offline": ("离线", "故障", "断线")})
CHECKPOINT_KINDS = _codes({"boundary": ("市界", "边界", "界卡口", "市界卡口"),
                           "expressway_exit": ("收费站", "高速出口", "高速卡口", "收费站卡口"),
                           "road": ("路面", "治安卡口", "路面卡口")})

_LON = ("经度", "lon", "lng", "longitude", "x", "东经")
_LAT = ("纬度", "lat", "latitude", "y", "北纬")
_CRS = ("坐标系", "crs", "坐标系统")
_GRID = ("所属网格", "网格编码", "网格代码", "所属网格编码", "grid", "网格")
_PHONE = ("电话", "手机", "手机号", "联系电话", "手机号码", "phone", "mobile", "tel")


def _position_fields() -> tuple[Field, ...]:
    return (Field("lon", None, _LON, number=(-180.0, 180.0)), Field("lat", None, _LAT, number=(-90.0, 90.0)),
            Field("crs", None, _CRS))


RESPONDERS = LayerSpec("responders", "responders", "responder_id", (
    Field("id", "responder_id", ("编号", "工号", "人员编号", "警号", "id", "编码"), required=True),
    Field("name", "name", ("姓名", "名称", "name"), required=True),
    Field("kind", "kind", ("类型", "人员类型", "警种", "身份", "类别", "kind", "type"), required=True,
          values={k.lower(): v[0] for k, v in KIND_ROLES.items()}),
    Field("role", "role", ("角色", "职务", "岗位", "role"), values=ROLES),
    Field("grid", "grid_code", _GRID),
    Field("phone", "phone", _PHONE),
    Field("status", "status", ("状态", "在岗状态", "status"), values=STATUSES, default="on_duty"),
    Field("skills", "skills", ("技能", "专长", "skills")),
    *_position_fields(),
), "point", position_required=False)

CAMERAS = LayerSpec("cameras", "cameras", "camera_id", (
    Field("id", "camera_id", ("设备编码", "国标编码", "国标编号", "设备国标编码", "国标id", "设备编号", "编号", "device_id",
                              "id"), required=True),
    Field("name", "name", ("设备名称", "点位名称", "名称", "name"), required=True),
    Field("class", "camera_class", ("类别", "设备类别", "点位类别", "建设类别", "监控类别", "分类", "类型", "class"),
          required=True,
          values=CAMERA_CLASSES),
    Field("owner", "owner", ("建设单位", "权属单位", "所属单位", "管理单位", "owner")),
    Field("heading", "heading_deg", ("朝向", "方位角", "方向角", "heading"), number=(0.0, 360.0)),
    Field("fov", "fov_deg", ("视场角", "可视角度", "视角", "fov"), number=(0.0, 360.0)),
    Field("stream", "stream_main", ("取流地址", "主码流", "主码流地址", "rtsp", "rtsp地址", "视频地址", "stream", "url")),
    Field("stream_sub", "stream_sub", ("子码流", "子码流地址", "stream_sub")),
    Field("status", "status", ("状态", "在线状态", "设备状态", "status"), values=CAMERA_STATUSES, default="online"),
    Field("grid", "grid_code", _GRID),
    *_position_fields(),
), "point", position_required=True)

ROUTES = LayerSpec("routes", "patrol_routes", "route_id", (
    Field("id", "route_id", ("线路编号", "路线编号", "编号", "id", "number"), required=True),
    Field("name", "name", ("线路名称", "路线名称", "名称", "name"), required=True),
    Field("unit", "unit_id", ("巡逻单位", "责任单位", "单位编号", "巡逻单位编号", "unit")),
    Field("grid", "grid_code", _GRID),
    Field("path", None, ("轨迹", "坐标串", "线路坐标", "wkt", "geometry")),
    Field("crs", None, _CRS),
), "line", position_required=True, id_from_name=True)

CHECKPOINTS = LayerSpec("checkpoints", "checkpoints", "checkpoint_id", (
    Field("id", "checkpoint_id", ("卡口编号", "编号", "卡口编码", "id"), required=True),
    Field("name", "name", ("卡口名称", "名称", "name"), required=True),
    Field("kind", "kind", ("卡口类型", "类型", "kind"), required=True, values=CHECKPOINT_KINDS),
    *_position_fields(),
), "point", position_required=True)

DEPARTMENTS = LayerSpec("departments", "departments", "department_id", (
    Field("id", "department_id", ("部门编码", "部门编号", "编号", "id"), required=True),
    Field("name", "name", ("部门名称", "名称", "name"), required=True),
    Field("phone", "phone", _PHONE),
    Field("grid", "grid_code", ("服务网格", *_GRID)),
    Field("report_hours", "report_hours", ("反馈时限", "回复时限", "办理时限", "report_hours"), number=(0.0, 8760.0)),
    *_position_fields(),
), "point", position_required=False)

SPECS: dict[str, LayerSpec] = {spec.command: spec for spec in (RESPONDERS, CAMERAS, ROUTES, CHECKPOINTS, DEPARTMENTS)}
