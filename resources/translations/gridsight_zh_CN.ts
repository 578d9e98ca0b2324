<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>ConsoleWindow</name>
    <message>
        <source>Grid Governance Command Console</source>
        <translation>网格化社会治理指挥台</translation>
    </message>
    <message>
        <source>Loading the map…</source>
        <translation>正在加载地图…</translation>
    </message>
    <message>
        <source>Grids {grids} · Responders {responders} · Cameras {cameras}</source>
        <translation>网格 {grids} · 处置力量 {responders} · 摄像头 {cameras}</translation>
    </message>
    <message>
        <source>Lon {lon:.6f}, lat {lat:.6f}</source>
        <translation>经度 {lon:.6f}，纬度 {lat:.6f}</translation>
    </message>
    <message>
        <source>The map could not be loaded: {error}</source>
        <translation>地图加载失败：{error}</translation>
    </message>
</context>
<context>
    <name>MapView</name>
    <message>
        <source>Water</source>
        <translation>水系</translation>
    </message>
    <message>
        <source>Roads</source>
        <translation>道路</translation>
    </message>
    <message>
        <source>Level {level} grids</source>
        <translation>{level}级网格</translation>
    </message>
    <message>
        <source>Townships and streets</source>
        <translation>镇街</translation>
    </message>
    <message>
        <source>Villages and communities</source>
        <translation>村社区</translation>
    </message>
    <message>
        <source>Grids</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>Checkpoints</source>
        <translation>卡口</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>Responders</source>
        <translation>处置力量</translation>
    </message>
</context>
</TS>
