<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>CameraList</name>
    <message>
        <source>Search cameras by name, id or grid</source>
        <translation>按名称、编号或网格搜索摄像头</translation>
    </message>
    <message>
        <source>Offline for maintenance</source>
        <translation>离线待维护</translation>
    </message>
</context>
<context>
    <name>ConsoleWindow</name>
    <message>
        <source>Grid Governance Command Console</source>
        <translation>网格化社会治理指挥台</translation>
    </message>
    <message>
        <source>Incident queue</source>
        <translation>事件队列</translation>
    </message>
    <message>
        <source>Selected incident</source>
        <translation>当前事件</translation>
    </message>
    <message>
        <source>Loading the map…</source>
        <translation>正在加载地图…</translation>
    </message>
    <message>
        <source>Open incidents {incidents} · Grids {grids} · Responders {responders} · Cameras {cameras}</source>
        <translation>未办结事件 {incidents} · 网格 {grids} · 处置力量 {responders} · 摄像头 {cameras}</translation>
    </message>
    <message>
        <source>No recommendation: {error}</source>
        <translation>无法推荐：{error}</translation>
    </message>
    <message>
        <source>No recommendation {n} to assign.</source>
        <translation>没有第 {n} 个推荐可派。</translation>
    </message>
    <message>
        <source>Not dispatched: {error}</source>
        <translation>未派遣：{error}</translation>
    </message>
    <message>
        <source>{ticket} dispatched to {name}.</source>
        <translation>{ticket} 已派给 {name}。</translation>
    </message>
    <message>
        <source>Lon {lon:.6f}, lat {lat:.6f}</source>
        <translation>经度 {lon:.6f}，纬度 {lat:.6f}</translation>
    </message>
    <message>
        <source>outside every grid</source>
        <translation>不在任何网格内</translation>
    </message>
    <message>
        <source>The map could not be loaded: {error}</source>
        <translation>地图加载失败：{error}</translation>
    </message>
</context>
<context>
    <name>IncidentDetails</name>
    <message>
        <source>Ticket</source>
        <translation>工单</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Grid</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>Reported</source>
        <translation>上报时间</translation>
    </message>
    <message>
        <source>Deadline</source>
        <translation>办理时限</translation>
    </message>
    <message>
        <source>Lead</source>
        <translation>主办人</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <source>Select an incident in the queue (J / K).</source>
        <translation>在事件队列中选择事件（J / K）。</translation>
    </message>
    <message>
        <source>Responder</source>
        <translation>处置人员</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>ETA</source>
        <translation>预计到达</translation>
    </message>
    <message>
        <source>Distance</source>
        <translation>距离</translation>
    </message>
    <message>
        <source>Recommended responders (press 1–5 to assign)</source>
        <translation>推荐处置力量（按 1–5 派遣）</translation>
    </message>
    <message>
        <source>{deadline} — overdue</source>
        <translation>{deadline} — 已超期</translation>
    </message>
    <message>
        <source>Finding the nearest responders by road…</source>
        <translation>正在按路网查找最近的处置力量…</translation>
    </message>
    <message>
        <source>No responder on duty can reach it by road.</source>
        <translation>没有在岗处置力量可经道路到达。</translation>
    </message>
    <message>
        <source>{kind}, own grid</source>
        <translation>{kind}·本网格</translation>
    </message>
</context>
<context>
    <name>IncidentQueue</name>
    <message>
        <source>Overdue only</source>
        <translation>仅超期</translation>
    </message>
    <message>
        <source>P{priority}</source>
        <translation>{priority}级</translation>
    </message>
    <message>
        <source>All states</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>All channels</source>
        <translation>全部来源</translation>
    </message>
    <message>
        <source>All priorities</source>
        <translation>全部级别</translation>
    </message>
    <message>
        <source>{shown} of {total} shown · overdue {overdue}</source>
        <translation>显示 {shown} / {total} · 超期 {overdue}</translation>
    </message>
</context>
<context>
    <name>IncidentQueueModel</name>
    <message>
        <source>Ticket</source>
        <translation>工单</translation>
    </message>
    <message>
        <source>P</source>
        <translation>优先</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Grid</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>Reported</source>
        <translation>上报时间</translation>
    </message>
    <message>
        <source>Deadline</source>
        <translation>办理时限</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>已超期</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <source>received</source>
        <translation>已接收</translation>
    </message>
    <message>
        <source>registered</source>
        <translation>已登记</translation>
    </message>
    <message>
        <source>dispatched</source>
        <translation>已派遣</translation>
    </message>
    <message>
        <source>accepted</source>
        <translation>已受理</translation>
    </message>
    <message>
        <source>on site</source>
        <translation>已到场</translation>
    </message>
    <message>
        <source>resolved</source>
        <translation>已办结</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>已结案</translation>
    </message>
    <message>
        <source>with a department</source>
        <translation>部门办理中</translation>
    </message>
    <message>
        <source>escalated</source>
        <translation>已上报升级</translation>
    </message>
    <message>
        <source>returned</source>
        <translation>已退回</translation>
    </message>
    <message>
        <source>reopened</source>
        <translation>已重启</translation>
    </message>
    <message>
        <source>merged</source>
        <translation>已合并</translation>
    </message>
    <message>
        <source>12345 hotline</source>
        <translation>12345热线</translation>
    </message>
    <message>
        <source>110 handover</source>
        <translation>110转办</translation>
    </message>
    <message>
        <source>12348 legal line</source>
        <translation>12348法律热线</translation>
    </message>
    <message>
        <source>grid report</source>
        <translation>网格员上报</translation>
    </message>
    <message>
        <source>walk-in / phone</source>
        <translation>来访/来电</translation>
    </message>
    <message>
        <source>camera alert</source>
        <translation>视频告警</translation>
    </message>
    <message>
        <source>dispute</source>
        <translation>矛盾纠纷</translation>
    </message>
    <message>
        <source>safety hazard</source>
        <translation>安全隐患</translation>
    </message>
    <message>
        <source>public order</source>
        <translation>治安</translation>
    </message>
    <message>
        <source>city management</source>
        <translation>城市管理</translation>
    </message>
    <message>
        <source>environment</source>
        <translation>环境</translation>
    </message>
    <message>
        <source>help request</source>
        <translation>求助</translation>
    </message>
    <message>
        <source>legal aid</source>
        <translation>法律咨询</translation>
    </message>
    <message>
        <source>grid worker</source>
        <translation>网格员</translation>
    </message>
    <message>
        <source>police</source>
        <translation>警力</translation>
    </message>
    <message>
        <source>department</source>
        <translation>部门</translation>
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
    <message>
        <source>Open incidents</source>
        <translation>未办结事件</translation>
    </message>
</context>
<context>
    <name>ShortcutHelp</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>快捷键</translation>
    </message>
    <message>
        <source>Next incident in the queue</source>
        <translation>队列中的下一个事件</translation>
    </message>
    <message>
        <source>Previous incident in the queue</source>
        <translation>队列中的上一个事件</translation>
    </message>
    <message>
        <source>Dispatch the selected incident to that recommended responder</source>
        <translation>将当前事件派给对应的推荐处置力量</translation>
    </message>
    <message>
        <source>Show the whole territory on the map</source>
        <translation>地图显示全辖区</translation>
    </message>
    <message>
        <source>Show or hide this panel</source>
        <translation>显示或隐藏本面板</translation>
    </message>
</context>
<context>
    <name>VideoTile</name>
    <message>
        <source>Save a snapshot</source>
        <translation>保存抓拍图</translation>
    </message>
    <message>
        <source>Drop a camera here</source>
        <translation>将摄像头拖到此处</translation>
    </message>
    <message>
        <source>no stream</source>
        <translation>无视频流</translation>
    </message>
    <message>
        <source>{fps} fps</source>
        <translation>{fps} 帧/秒</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <source>live</source>
        <translation>实时</translation>
    </message>
    <message>
        <source>stalled</source>
        <translation>画面停滞</translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation>重连中</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>Class A (Skynet)</source>
        <translation>一类（天网）</translation>
    </message>
    <message>
        <source>Class B (Sharp Eyes)</source>
        <translation>二类（雪亮工程）</translation>
    </message>
    <message>
        <source>Rural</source>
        <translation>农村</translation>
    </message>
    <message>
        <source>Private</source>
        <translation>社会自建</translation>
    </message>
</context>
<context>
    <name>VideoWall</name>
    <message>
        <source>{n} tiles</source>
        <translation>{n} 分屏</translation>
    </message>
    <message>
        <source>1 tile</source>
        <translation>单画面</translation>
    </message>
    <message>
        <source>{m:.0f} m</source>
        <translation>{m:.0f} 米</translation>
    </message>
    <message>
        <source>in view</source>
        <translation>在视野内</translation>
    </message>
</context>
<context>
    <name>VideoWallWindow</name>
    <message>
        <source>Video Wall</source>
        <translation>视频墙</translation>
    </message>
    <message>
        <source>Snapshot saved: {path}</source>
        <translation>抓拍图已保存：{path}</translation>
    </message>
    <message>
        <source>No snapshot: {error}</source>
        <translation>无法抓拍：{error}</translation>
    </message>
</context>
</TS>
