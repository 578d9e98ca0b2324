<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AttributesForm</name>
    <message>
        <source>Selected grid</source>
        <translation>所选网格</translation>
    </message>
    <message>
        <source>Apply attributes</source>
        <translation>应用属性</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>编码</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Households</source>
        <translation>户数</translation>
    </message>
    <message>
        <source>Chief</source>
        <translation>网格长</translation>
    </message>
    <message>
        <source>Members</source>
        <translation>网格员</translation>
    </message>
    <message>
        <source>Unchecked members go to</source>
        <translation>取消勾选的网格员调往</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
</context>
<context>
    <name>BalancePanel</name>
    <message>
        <source> days</source>
        <translation> 天</translation>
    </message>
    <message>
        <source>Find overloaded grids</source>
        <translation>查找超负荷网格</translation>
    </message>
    <message>
        <source>Grid</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>Tickets</source>
        <translation>事件数</translation>
    </message>
    <message>
        <source>Households</source>
        <translation>户数</translation>
    </message>
    <message>
        <source>Tickets per household</source>
        <translation>每户事件数</translation>
    </message>
    <message>
        <source>Area km²</source>
        <translation>面积 km²</translation>
    </message>
    <message>
        <source>Accept the proposed split</source>
        <translation>采用拆分建议</translation>
    </message>
    <message>
        <source>Pick a grid to see where to split it; drag the pink line&apos;s points to adjust it.</source>
        <translation>选择一个网格查看拆分建议；拖动粉色线的端点可调整。</translation>
    </message>
    <message>
        <source>Tickets of the last</source>
        <translation>统计最近</translation>
    </message>
    <message>
        <source>Most tickets per household</source>
        <translation>每户最多事件数</translation>
    </message>
    <message>
        <source>Largest area</source>
        <translation>最大面积</translation>
    </message>
</context>
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
        <source>Fix command copied: {command}</source>
        <translation>已复制修复命令：{command}</translation>
    </message>
    <message>
        <source>Loading the map…</source>
        <translation>正在加载地图…</translation>
    </message>
    <message>
        <source>read-only</source>
        <translation>只读</translation>
    </message>
    <message>
        <source>Read-only: {role} may watch but not change tickets; that needs {roles}.</source>
        <translation>只读：{role}可查看但不能更改工单；更改需要{roles}。</translation>
    </message>
    <message>
        <source>Offline: the store&apos;s server cannot be reached; reconnecting by itself. What shows is the last known state.</source>
        <translation>离线：无法连接数据库服务器，正在自动重连。当前显示的是最后已知状态。</translation>
    </message>
    <message>
        <source>Back online; changes made meanwhile are shown.</source>
        <translation>已重新连接，离线期间的变更已显示。</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>视频</translation>
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
        <source>New walk-in/phone incident here</source>
        <translation>在此新建来访/来电事件</translation>
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
    <name>Desk</name>
    <message>
        <source>Select an incident first (J / K).</source>
        <translation>请先选择一个事件（J / K）。</translation>
    </message>
    <message>
        <source>{ticket} was changed meanwhile by {by} at {seat}: reloaded, nothing was overwritten. Check it and act again.</source>
        <translation>{ticket} 已被 {by}（{seat}）修改：已重新载入，未覆盖任何内容。请核对后再操作。</translation>
    </message>
    <message>
        <source>{ticket} was changed by someone else meanwhile: reloaded, nothing was overwritten. Check it and act again.</source>
        <translation>{ticket} 已被他人修改：已重新载入，未覆盖任何内容。请核对后再操作。</translation>
    </message>
    <message>
        <source>Not done: {error}</source>
        <translation>未执行：{error}</translation>
    </message>
    <message>
        <source>No recommendation {n} to assign.</source>
        <translation>没有第 {n} 个推荐可派遣。</translation>
    </message>
    <message>
        <source>{ticket} dispatched to {name}.</source>
        <translation>{ticket} 已派遣给 {name}。</translation>
    </message>
    <message>
        <source>No recommendation {n} to add.</source>
        <translation>没有第 {n} 个推荐可添加。</translation>
    </message>
    <message>
        <source>{name} will help; choose the lead with 1–5.</source>
        <translation>{name} 将协办；请按 1–5 选择主办。</translation>
    </message>
    <message>
        <source>{name} joins {ticket} as a helper.</source>
        <translation>{name} 已加入 {ticket} 协办。</translation>
    </message>
    <message>
        <source>{ticket} transferred to {department}.</source>
        <translation>{ticket} 已转交 {department}。</translation>
    </message>
    <message>
        <source>{ticket} has no suspected duplicate to merge into.</source>
        <translation>{ticket} 没有疑似重复工单可合并。</translation>
    </message>
    <message>
        <source>{ticket} merged into {into}.</source>
        <translation>{ticket} 已合并到 {into}。</translation>
    </message>
    <message>
        <source>Escalate</source>
        <translation>上报</translation>
    </message>
    <message>
        <source>Escalate {ticket} to {target}?</source>
        <translation>将 {ticket} 上报至 {target}？</translation>
    </message>
    <message>
        <source>{ticket} escalated to {target}.</source>
        <translation>{ticket} 已上报至 {target}。</translation>
    </message>
    <message>
        <source>{ticket} taken in.</source>
        <translation>{ticket} 已受理。</translation>
    </message>
    <message>
        <source>It may duplicate {other} (M merges).</source>
        <translation>可能与 {other} 重复（按 M 合并）。</translation>
    </message>
    <message>
        <source>{what} has no position on the map.</source>
        <translation>{what} 在地图上没有位置。</translation>
    </message>
</context>
<context>
    <name>DutyBar</name>
    <message>
        <source>Duty bar</source>
        <translation>值班栏</translation>
    </message>
    <message>
        <source>Seat {seat} · {officer}</source>
        <translation>席位 {seat} · {officer}</translation>
    </message>
    <message>
        <source>Offline — reconnecting…</source>
        <translation>离线 — 正在重连…</translation>
    </message>
    <message>
        <source>The store&apos;s server cannot be reached. What shows is the last known state; changes are off until the seat is back and has caught up.</source>
        <translation>无法连接数据库服务器。当前显示的是最后已知状态；重新连接并补齐变更之前，不能办理操作。</translation>
    </message>
    <message>
        <source>Day shift {start}–{end}</source>
        <translation>白班 {start}–{end}</translation>
    </message>
    <message>
        <source>Night shift {end}–{start}</source>
        <translation>夜班 {end}–{start}</translation>
    </message>
    <message>
        <source>Open {n}</source>
        <translation>未办结 {n}</translation>
    </message>
    <message>
        <source>Waiting {n}</source>
        <translation>待派遣 {n}</translation>
    </message>
    <message>
        <source>Overdue {n}</source>
        <translation>超期 {n}</translation>
    </message>
    <message>
        <source>Escalated {n}</source>
        <translation>已上报 {n}</translation>
    </message>
    <message>
        <source>Waiting: for the centre to dispatch (received, registered, returned, reopened)</source>
        <translation>待派遣：等待中心派遣（已接收、已登记、已退回、已重启）</translation>
    </message>
</context>
<context>
    <name>EditorWindow</name>
    <message>
        <source>Grid editor</source>
        <translation>网格编辑器</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>History</source>
        <translation>历史</translation>
    </message>
    <message>
        <source>Balance</source>
        <translation>均衡助手</translation>
    </message>
    <message>
        <source>History and balance</source>
        <translation>历史与均衡</translation>
    </message>
    <message>
        <source>Loading the grids…</source>
        <translation>正在加载网格…</translation>
    </message>
    <message>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <source>Select / reshape (V)</source>
        <translation>选择/调整 (V)</translation>
    </message>
    <message>
        <source>Draw grid (N)</source>
        <translation>绘制网格 (N)</translation>
    </message>
    <message>
        <source>Split (S)</source>
        <translation>拆分 (S)</translation>
    </message>
    <message>
        <source>Merge (M)</source>
        <translation>合并 (M)</translation>
    </message>
    <message>
        <source>Re-parent (R)</source>
        <translation>调整上级 (R)</translation>
    </message>
    <message>
        <source>Delete (Del)</source>
        <translation>删除 (Del)</translation>
    </message>
    <message>
        <source>Parent (U)</source>
        <translation>上级 (U)</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>重做</translation>
    </message>
    <message>
        <source>Save…</source>
        <translation>保存…</translation>
    </message>
    <message>
        <source>Reload</source>
        <translation>重新加载</translation>
    </message>
    <message>
        <source>Import layout…</source>
        <translation>导入布局…</translation>
    </message>
    <message>
        <source>Export layout…</source>
        <translation>导出布局…</translation>
    </message>
    <message>
        <source>The grids could not be loaded: {0}</source>
        <translation>无法加载网格：{0}</translation>
    </message>
    <message>
        <source>Select a grid first: click it on the map.</source>
        <translation>请先在地图上单击选择一个网格。</translation>
    </message>
    <message>
        <source>Click the corners of the new grid; click the first corner again to finish. Edges snap to the grids around.</source>
        <translation>依次单击新网格的角点，再次单击第一个角点结束。边界会吸附到周边网格。</translation>
    </message>
    <message>
        <source>Draw the cut across the selected grid; click the last point again to finish.</source>
        <translation>在所选网格上画切割线，再次单击最后一点结束。</translation>
    </message>
    <message>
        <source>Click the neighbouring grid to merge into the selected one.</source>
        <translation>单击要并入所选网格的相邻网格。</translation>
    </message>
    <message>
        <source>Click the grid that becomes the new parent.</source>
        <translation>单击作为新上级的网格。</translation>
    </message>
    <message>
        <source>Click the neighbouring grid that takes over the area.</source>
        <translation>单击接收该区域的相邻网格。</translation>
    </message>
    <message>
        <source>No grid of the right level there.</source>
        <translation>该处没有合适层级的网格。</translation>
    </message>
    <message>
        <source>Split</source>
        <translation>已拆分</translation>
    </message>
    <message>
        <source>Merged</source>
        <translation>已合并</translation>
    </message>
    <message>
        <source>Deleted</source>
        <translation>已删除</translation>
    </message>
    <message>
        <source>Vertex moved</source>
        <translation>顶点已移动</translation>
    </message>
    <message>
        <source>Edge moved</source>
        <translation>边已移动</translation>
    </message>
    <message>
        <source>New grid drawn</source>
        <translation>已绘制新网格</translation>
    </message>
    <message>
        <source>Re-parented</source>
        <translation>已调整上级</translation>
    </message>
    <message>
        <source>Attributes changed</source>
        <translation>属性已修改</translation>
    </message>
    <message>
        <source>Layout imported</source>
        <translation>布局已导入</translation>
    </message>
    <message>
        <source>Rolled back</source>
        <translation>已回滚</translation>
    </message>
    <message>
        <source>{0}: {1}</source>
        <translation>{0}：{1}</translation>
    </message>
    <message>
        <source>Check the warnings below.</source>
        <translation>请查看下方警告。</translation>
    </message>
    <message>
        <source>Not done, it would break the rules below.</source>
        <translation>未执行：会违反下列规则。</translation>
    </message>
    <message>
        <source>Not done: {0}</source>
        <translation>未执行：{0}</translation>
    </message>
    <message>
        <source>Nothing changed in the form.</source>
        <translation>表单没有修改。</translation>
    </message>
    <message>
        <source>draw the cut across a grid</source>
        <translation>切割线须穿过网格</translation>
    </message>
    <message>
        <source>Nothing to undo.</source>
        <translation>没有可撤销的操作。</translation>
    </message>
    <message>
        <source>Undone — {0}: {1}</source>
        <translation>已撤销 — {0}：{1}</translation>
    </message>
    <message>
        <source>Nothing to redo.</source>
        <translation>没有可重做的操作。</translation>
    </message>
    <message>
        <source>Redone — {0}: {1}</source>
        <translation>已重做 — {0}：{1}</translation>
    </message>
    <message>
        <source>Nothing to save.</source>
        <translation>没有需要保存的修改。</translation>
    </message>
    <message>
        <source>Save the grid changes</source>
        <translation>保存网格修改</translation>
    </message>
    <message>
        <source>Why were the grids changed? (kept in the history)</source>
        <translation>修改网格的原因？（记入历史）</translation>
    </message>
    <message>
        <source>say why the grids were changed</source>
        <translation>请说明修改原因</translation>
    </message>
    <message>
        <source>Saved as change-set {0}.</source>
        <translation>已保存为变更集 {0}。</translation>
    </message>
    <message>
        <source>Change-set {0}: dashed red = before, solid green = after.</source>
        <translation>变更集 {0}：红色虚线为修改前，绿色实线为修改后。</translation>
    </message>
    <message>
        <source>Rolled back change-set {0} as change-set {1}.</source>
        <translation>已回滚变更集 {0}（新变更集 {1}）。</translation>
    </message>
    <message>
        <source>Counting the tickets of the period…</source>
        <translation>正在统计该时段的工单…</translation>
    </message>
    <message>
        <source>Imported layout: {0} added, {1} removed, {2} changed (dashed red = now, solid green = the file&apos;s; filled red = removed, filled green = added).</source>
        <translation>导入的布局：新增 {0}，删除 {1}，修改 {2}（红色虚线为当前边界，绿色实线为文件中的边界；红色填充为删除，绿色填充为新增）。</translation>
    </message>
    <message>
        <source>Exported {0} grids to {1}.</source>
        <translation>已导出 {0} 个网格到 {1}。</translation>
    </message>
    <message>
        <source>Conflict: another analyst changed these grids since you opened them. Nothing was saved. Reload (F5) to see their version, then redo your edit.</source>
        <translation>冲突：打开后其他分析员已修改这些网格，本次未保存任何内容。请重新加载（F5）查看其版本后再修改。</translation>
    </message>
    <message>
        <source>Click a grid to select it (U: its parent); drag its white corners or its cyan edge points to reshape.</source>
        <translation>单击网格选中（U 选中其上级）；拖动白色角点或青色边中点调整边界。</translation>
    </message>
    <message>
        <source>Not saved: {0}</source>
        <translation>未保存：{0}</translation>
    </message>
    <message>
        <source>Drop your unsaved edits?</source>
        <translation>放弃未保存的修改？</translation>
    </message>
    <message>
        <source>Reloaded the grids from the store.</source>
        <translation>已从数据库重新加载网格。</translation>
    </message>
    <message>
        <source>Roll back</source>
        <translation>回滚</translation>
    </message>
    <message>
        <source>Why roll back change-set {0}?</source>
        <translation>为什么回滚变更集 {0}？</translation>
    </message>
    <message>
        <source>say why the change is rolled back</source>
        <translation>请说明回滚原因</translation>
    </message>
    <message>
        <source>Not rolled back: {0}</source>
        <translation>未回滚：{0}</translation>
    </message>
    <message>
        <source>{0} grids over the limits.</source>
        <translation>{0} 个网格超出限值。</translation>
    </message>
    <message>
        <source>Proposed split of {0}: drag the pink line&apos;s points to adjust it, then accept it.</source>
        <translation>{0} 的拆分建议：拖动粉色线的端点调整后采用。</translation>
    </message>
    <message>
        <source>Import a grid layout</source>
        <translation>导入网格布局</translation>
    </message>
    <message>
        <source>Grid files (*.gpkg *.geojson *.json *.shp *.kml)</source>
        <translation>网格文件 (*.gpkg *.geojson *.json *.shp *.kml)</translation>
    </message>
    <message>
        <source>Cannot import: {0}</source>
        <translation>无法导入：{0}</translation>
    </message>
    <message>
        <source>It breaks {0} rules and cannot be applied.</source>
        <translation>违反 {0} 条规则，无法应用。</translation>
    </message>
    <message>
        <source>The imported layout is in place; save it (Ctrl+S) to keep it.</source>
        <translation>导入的布局已生效；按 Ctrl+S 保存。</translation>
    </message>
    <message>
        <source>Import discarded.</source>
        <translation>已放弃导入。</translation>
    </message>
    <message>
        <source>Export the grid layout</source>
        <translation>导出网格布局</translation>
    </message>
    <message>
        <source>Grid files (*.gpkg *.geojson *.shp *.kml)</source>
        <translation>网格文件 (*.gpkg *.geojson *.shp *.kml)</translation>
    </message>
    <message>
        <source>Not exported: {0}</source>
        <translation>未导出：{0}</translation>
    </message>
    <message>
        <source>Unsaved edits</source>
        <translation>未保存的修改</translation>
    </message>
    <message>
        <source>Close the editor and drop your unsaved edits?</source>
        <translation>关闭编辑器并放弃未保存的修改？</translation>
    </message>
</context>
<context>
    <name>FeedbackPanel</name>
    <message>
        <source>Grid</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>Area km²</source>
        <translation>面积 km²</translation>
    </message>
    <message>
        <source>Households</source>
        <translation>户数</translation>
    </message>
    <message>
        <source>Apply the imported layout</source>
        <translation>应用导入的布局</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>放弃</translation>
    </message>
    <message>
        <source>Warnings</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>Select a grid: click it on the map.</source>
        <translation>在地图上单击选择网格。</translation>
    </message>
    <message>
        <source>area {0:,.0f} m² is below the smallest {1:,.0f} m²</source>
        <translation>面积 {0:,.0f} m² 低于下限 {1:,.0f} m²</translation>
    </message>
    <message>
        <source>area {0:,.0f} m² is above the largest {1:,.0f} m²</source>
        <translation>面积 {0:,.0f} m² 超过上限 {1:,.0f} m²</translation>
    </message>
    <message>
        <source>{0:,.0f} households, more than {1:,.0f}</source>
        <translation>{0:,.0f} 户，超过 {1:,.0f}</translation>
    </message>
    <message>
        <source>{0:,.0f} open tickets, more than {1:,.0f}</source>
        <translation>{0:,.0f} 件未办结，超过 {1:,.0f}</translation>
    </message>
    <message>
        <source>it has no shape</source>
        <translation>没有图形</translation>
    </message>
    <message>
        <source>its shape is not a polygon</source>
        <translation>图形不是多边形</translation>
    </message>
    <message>
        <source>its longitude and latitude are swapped</source>
        <translation>经纬度颠倒</translation>
    </message>
    <message>
        <source>its coordinates are not longitude and latitude in China</source>
        <translation>坐标不是中国境内的经纬度</translation>
    </message>
    <message>
        <source>it has no code</source>
        <translation>没有编码</translation>
    </message>
    <message>
        <source>it has no level</source>
        <translation>没有层级</translation>
    </message>
    <message>
        <source>overlaps a neighbour</source>
        <translation>与相邻网格重叠</translation>
    </message>
    <message>
        <source>leaves a gap between grids</source>
        <translation>网格之间留有空隙</translation>
    </message>
    <message>
        <source>{area_m2:,.1f} m² over {other}</source>
        <translation>与 {other} 重叠 {area_m2:,.1f} m²</translation>
    </message>
    <message>
        <source>{area_m2:,.1f} m² outside {parent}</source>
        <translation>{area_m2:,.1f} m² 超出上级 {parent}</translation>
    </message>
    <message>
        <source>{area_m2:,.1f} m² in no grid</source>
        <translation>{area_m2:,.1f} m² 未划入任何网格</translation>
    </message>
    <message>
        <source>level {level} under {parent} of level {parent_level}</source>
        <translation>{level} 级网格挂在 {parent}（{parent_level} 级）之下</translation>
    </message>
    <message>
        <source>parent code {parent}</source>
        <translation>上级编码 {parent}</translation>
    </message>
    <message>
        <source>only level {top_level} may have none</source>
        <translation>只有 {top_level} 级网格可以没有上级</translation>
    </message>
    <message>
        <source>there is no grid {code}</source>
        <translation>不存在网格 {code}</translation>
    </message>
    <message>
        <source>{code} has grids of its own: edit those first</source>
        <translation>{code} 还有下级网格，请先编辑下级网格</translation>
    </message>
    <message>
        <source>the line must cut grid {code} into exactly two parts, not {parts}</source>
        <translation>切割线必须把网格 {code} 正好分成两块，现在是 {parts} 块</translation>
    </message>
    <message>
        <source>pick a grid other than {code} itself</source>
        <translation>请选择 {code} 以外的网格</translation>
    </message>
    <message>
        <source>{absorbed} and {code} are not under the same parent ({absorbed_parent} and {parent})</source>
        <translation>{absorbed} 与 {code} 不属于同一上级（分别属于 {absorbed_parent} 和 {parent}）</translation>
    </message>
    <message>
        <source>{absorbed} and {code} do not share an edge</source>
        <translation>{absorbed} 与 {code} 没有公共边</translation>
    </message>
    <message>
        <source>an edge needs two different end points</source>
        <translation>边的两个端点不能相同</translation>
    </message>
    <message>
        <source>no grid has a corner at {lon:.7f},{lat:.7f}</source>
        <translation>{lon:.7f},{lat:.7f} 处没有网格顶点</translation>
    </message>
    <message>
        <source>the drawn grid does not lie inside {parent}</source>
        <translation>绘制的网格不在 {parent} 之内</translation>
    </message>
    <message>
        <source>the drawn grid overlaps {code}, which has grids of its own</source>
        <translation>绘制的网格与 {code} 重叠，而 {code} 还有下级网格</translation>
    </message>
    <message>
        <source>the drawn grid would cover all of {code}: merge or delete it instead</source>
        <translation>绘制的网格会覆盖整个 {code}，请改用合并或删除</translation>
    </message>
    <message>
        <source>{code} is already under {parent}</source>
        <translation>{code} 已经属于 {parent}</translation>
    </message>
    <message>
        <source>{parent} is a level {parent_level} grid; {code} needs a level {level} parent</source>
        <translation>{parent} 是第 {parent_level} 级网格，{code} 的上级须是第 {level} 级</translation>
    </message>
    <message>
        <source>{code} neither lies inside {parent} nor borders it within the same parent</source>
        <translation>{code} 既不在 {parent} 之内，也不在同一上级内与它相邻</translation>
    </message>
    <message>
        <source>{code} is all of {parent}: merge {parent} instead</source>
        <translation>{code} 就是 {parent} 的全部，请改为合并 {parent}</translation>
    </message>
    <message>
        <source>a grid code cannot be empty</source>
        <translation>网格编码不能为空</translation>
    </message>
    <message>
        <source>code {code} is already used</source>
        <translation>编码 {code} 已被使用</translation>
    </message>
    <message>
        <source>code {code} must start with its parent&apos;s code {parent}</source>
        <translation>编码 {code} 必须以上级编码 {parent} 开头</translation>
    </message>
    <message>
        <source>a grid name cannot be empty</source>
        <translation>网格名称不能为空</translation>
    </message>
    <message>
        <source>households must be 0 or more, not {households}</source>
        <translation>户数不能为负数（{households}）</translation>
    </message>
    <message>
        <source>there is no grid {code} for worker {worker}</source>
        <translation>网格员 {worker} 要调往的网格 {code} 不存在</translation>
    </message>
    <message>
        <source>top-level grids get their codes from the administration, not from the editor</source>
        <translation>顶级网格的编码由行政区划确定，不能在编辑器中生成</translation>
    </message>
    <message>
        <source>it would break the rules below</source>
        <translation>会违反下列规则</translation>
    </message>
    <message>
        <source>draw a line of at least two points across the grid</source>
        <translation>请画一条至少两个点、横穿网格的切割线</translation>
    </message>
    <message>
        <source>draw at least three corners</source>
        <translation>请至少画三个角点</translation>
    </message>
    <message>
        <source>draw the new grid inside a grid that has grids of its own</source>
        <translation>请在有下级网格的网格内绘制新网格</translation>
    </message>
    <message>
        <source>there are no edits to save</source>
        <translation>没有需要保存的编辑</translation>
    </message>
    <message>
        <source>save or undo your edits before rolling back</source>
        <translation>回滚前请先保存或撤销您的编辑</translation>
    </message>
    <message>
        <source>save or undo your edits before importing a layout</source>
        <translation>导入布局前请先保存或撤销您的编辑</translation>
    </message>
    <message>
        <source>no layout is previewed</source>
        <translation>没有正在预览的布局</translation>
    </message>
    <message>
        <source>reaches outside its parent</source>
        <translation>超出上级网格</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>未办结</translation>
    </message>
    <message>
        <source>Open tickets in the grid</source>
        <translation>网格内未办结的工单</translation>
    </message>
    <message>
        <source>its boundary crosses itself</source>
        <translation>边界自相交</translation>
    </message>
    <message>
        <source>its code is used twice</source>
        <translation>编码重复</translation>
    </message>
    <message>
        <source>its parent does not exist</source>
        <translation>上级不存在</translation>
    </message>
    <message>
        <source>its level does not follow its parent&apos;s</source>
        <translation>层级与上级不符</translation>
    </message>
</context>
<context>
    <name>HistoryPanel</name>
    <message>
        <source>Roll back this change…</source>
        <translation>回滚此变更…</translation>
    </message>
    <message>
        <source>rollback of {0}</source>
        <translation>回滚 #{0}</translation>
    </message>
    <message>
        <source>{0} · {1} grids</source>
        <translation>{0} · {1} 个网格</translation>
    </message>
    <message>
        <source>Why: {0}</source>
        <translation>原因：{0}</translation>
    </message>
</context>
<context>
    <name>IncidentDetails</name>
    <message>
        <source>Ticket</source>
        <translation>工单</translation>
    </message>
    <message>
        <source>Priority, category</source>
        <translation>级别 · 类别</translation>
    </message>
    <message>
        <source>Reported → due</source>
        <translation>上报 → 时限</translation>
    </message>
    <message>
        <source>Lead, helpers</source>
        <translation>主办 · 协办</translation>
    </message>
    <message>
        <source>Department</source>
        <translation>承办部门</translation>
    </message>
    <message>
        <source>Suspected duplicate of</source>
        <translation>疑似重复</translation>
    </message>
    <message>
        <source>Reporter</source>
        <translation>报告人</translation>
    </message>
    <message>
        <source>Estimated by straight-line distance (the store has no roads)</source>
        <translation>按直线距离估算（库中无路网）</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>By, seat</source>
        <translation>人员 @ 席位</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Recommended responders (1–5: lead, Shift+1–5: helper)</source>
        <translation>推荐处置力量（1–5 主办，Shift+1–5 协办）</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>办理过程</translation>
    </message>
    <message>
        <source>P{priority}</source>
        <translation>{priority}级</translation>
    </message>
    <message>
        <source>Finding the nearest responders…</source>
        <translation>正在查找最近的处置力量…</translation>
    </message>
    <message>
        <source>No responder on duty has a position.</source>
        <translation>在岗处置力量均无位置。</translation>
    </message>
    <message>
        <source>Grid</source>
        <translation>网格</translation>
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
        <source>Lead 1–5</source>
        <translation>主办 1–5</translation>
    </message>
    <message>
        <source>Helper ⇧1–5</source>
        <translation>协办 ⇧1–5</translation>
    </message>
    <message>
        <source>Transfer T</source>
        <translation>转部门 T</translation>
    </message>
    <message>
        <source>Merge M</source>
        <translation>合并 M</translation>
    </message>
    <message>
        <source>Escalate E</source>
        <translation>上报 E</translation>
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
        <source>anonymous</source>
        <translation>匿名</translation>
    </message>
    <message>
        <source>{ticket} — press M to merge into it</source>
        <translation>{ticket} — 按 M 合并到该工单</translation>
    </message>
    <message>
        <source>helpers go with the lead: {names}</source>
        <translation>随主办派出的协办：{names}</translation>
    </message>
    <message>
        <source>ETA (straight line)</source>
        <translation>直线估时</translation>
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
    <name>IntakeForm</name>
    <message>
        <source>New walk-in / phone incident</source>
        <translation>新建来访/来电事件</translation>
    </message>
    <message>
        <source>Walk-in</source>
        <translation>来访</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <source>P{priority}</source>
        <translation>{priority}级</translation>
    </message>
    <message>
        <source>What happened, who is involved, what is needed</source>
        <translation>发生了什么、涉及谁、需要什么</translation>
    </message>
    <message>
        <source>optional</source>
        <translation>选填</translation>
    </message>
    <message>
        <source>Take in</source>
        <translation>受理</translation>
    </message>
    <message>
        <source>Reported by</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>描述</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Reporter</source>
        <translation>报告人</translation>
    </message>
    <message>
        <source>Say what happened: the description is empty.</source>
        <translation>请填写事件描述：描述为空。</translation>
    </message>
    <message>
        <source>The description is too long (at most {n} characters).</source>
        <translation>描述过长（最多 {n} 个字）。</translation>
    </message>
    <message>
        <source>The phone number may hold only digits, spaces, dashes and a leading +.</source>
        <translation>电话号码只能包含数字、空格、短横线和开头的 +。</translation>
    </message>
    <message>
        <source>Not taken in: {error}</source>
        <translation>未受理：{error}</translation>
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
    <message>
        <source>city management bureau</source>
        <translation>城管局</translation>
    </message>
    <message>
        <source>market regulation</source>
        <translation>市场监管</translation>
    </message>
    <message>
        <source>ecology and environment</source>
        <translation>生态环境</translation>
    </message>
    <message>
        <source>emergency management</source>
        <translation>应急管理</translation>
    </message>
    <message>
        <source>water affairs</source>
        <translation>水务</translation>
    </message>
    <message>
        <source>justice office</source>
        <translation>司法所</translation>
    </message>
</context>
<context>
    <name>MapView</name>
    <message>
        <source>Open tickets per grid</source>
        <translation>网格未办结工单</translation>
    </message>
    <message>
        <source>1-3-5 min police coverage</source>
        <translation>1-3-5分钟快反圈（公安）</translation>
    </message>
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
        <source>Patrol routes</source>
        <translation>巡逻路线</translation>
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
    <message>
        <source>Incident heat</source>
        <translation>事件热力</translation>
    </message>
    <message>
        <source>on duty</source>
        <translation>在岗</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>执行任务中</translation>
    </message>
    <message>
        <source>off duty</source>
        <translation>休息</translation>
    </message>
    <message>
        <source>class A (police)</source>
        <translation>一类（公安）</translation>
    </message>
    <message>
        <source>class B (social)</source>
        <translation>二类（社会）</translation>
    </message>
    <message>
        <source>rural</source>
        <translation>农村</translation>
    </message>
    <message>
        <source>private</source>
        <translation>私有</translation>
    </message>
    <message>
        <source>online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
</context>
<context>
    <name>Roles</name>
    <message>
        <source>dispatcher</source>
        <translation>调度员</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>督办员</translation>
    </message>
    <message>
        <source>leader</source>
        <translation>领导</translation>
    </message>
    <message>
        <source>analyst</source>
        <translation>分析员</translation>
    </message>
    <message>
        <source>admin</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>system</source>
        <translation>系统</translation>
    </message>
</context>
<context>
    <name>SearchBox</name>
    <message>
        <source>Search grid, responder, camera, ticket, lon,lat (Ctrl+F)</source>
        <translation>搜索网格、人员、摄像头、工单、经纬度（Ctrl+F）</translation>
    </message>
    <message>
        <source>Coordinates: 114.1,30.5 (WGS-84) or gcj02:114.1,30.5 or bd09:114.1,30.5</source>
        <translation>坐标：114.1,30.5（WGS-84）或 gcj02:114.1,30.5 或 bd09:114.1,30.5</translation>
    </message>
    <message>
        <source>Position {where} ({system})</source>
        <translation>位置 {where}（{system}）</translation>
    </message>
    <message>
        <source>Ticket {id} · {state}</source>
        <translation>工单 {id} · {state}</translation>
    </message>
    <message>
        <source>Grid {name} · {code}</source>
        <translation>网格 {name} · {code}</translation>
    </message>
    <message>
        <source>Responder {name} · {id} · {kind}</source>
        <translation>人员 {name} · {id} · {kind}</translation>
    </message>
    <message>
        <source>Camera {name} · {id}</source>
        <translation>摄像头 {name} · {id}</translation>
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
        <source>Add that recommended responder as a helper (before the lead: sent with it)</source>
        <translation>将该推荐人员加为协办（先于主办选择时随主办派出）</translation>
    </message>
    <message>
        <source>Transfer the selected incident to a department, with a deadline</source>
        <translation>将所选事件转交部门并设定时限</translation>
    </message>
    <message>
        <source>Merge the selected incident into its suspected duplicate</source>
        <translation>将所选事件合并到疑似重复工单</translation>
    </message>
    <message>
        <source>Escalate the selected incident one level</source>
        <translation>将所选事件上报一级</translation>
    </message>
    <message>
        <source>Search grids, responders, cameras, tickets or coordinates; Enter goes to the first hit</source>
        <translation>搜索网格、人员、摄像头、工单或坐标；回车跳到第一个结果</translation>
    </message>
    <message>
        <source>Leave the search box for the queue</source>
        <translation>离开搜索框回到事件队列</translation>
    </message>
    <message>
        <source>New walk-in / phone incident at the map&apos;s centre (right-click: at that point)</source>
        <translation>在地图中心新建来访/来电事件（右键：在该点）</translation>
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
    <name>SignInDialog</name>
    <message>
        <source>Sign in — {window}</source>
        <translation>登录 — {window}</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Seat {seat}. Five failed sign-ins lock the account for five minutes.</source>
        <translation>席位 {seat}。连续 5 次登录失败，账号将锁定 5 分钟。</translation>
    </message>
    <message>
        <source>Sign-in refused: wrong user name or password, or the account is disabled or locked for five minutes after five failed sign-ins.</source>
        <translation>登录被拒绝：用户名或密码错误，或账号已停用，或因连续 5 次登录失败被锁定 5 分钟。</translation>
    </message>
    <message>
        <source>{user} is {role}; this window needs {roles}.</source>
        <translation>{user} 的角色是{role}；此窗口需要{roles}。</translation>
    </message>
</context>
<context>
    <name>StoreCheck</name>
    <message>
        <source>No grids: incidents cannot be placed in a grid</source>
        <translation>无网格：事件无法落到网格</translation>
    </message>
    <message>
        <source>No responders: nobody to recommend or dispatch</source>
        <translation>无处置力量：无人可推荐或派遣</translation>
    </message>
    <message>
        <source>No roads: recommendations use straight-line distance</source>
        <translation>无路网：推荐按直线距离</translation>
    </message>
    <message>
        <source>No cameras: no video near incidents</source>
        <translation>无摄像头：事件周边无视频</translation>
    </message>
    <message>
        <source>No departments to transfer tickets to</source>
        <translation>无职能部门：工单无法转派</translation>
    </message>
    <message>
        <source>{count} of {total} grids have no grid worker</source>
        <translation>{total} 个网格中 {count} 个没有网格员</translation>
    </message>
    <message>
        <source>{count} responders are on unknown grid codes</source>
        <translation>{count} 名处置人员所属网格编码不存在</translation>
    </message>
    <message>
        <source>{count} cameras are on unknown grid codes</source>
        <translation>{count} 个摄像头所属网格编码不存在</translation>
    </message>
    <message>
        <source>{count} of {total} police units on duty: no position for {hours} h</source>
        <translation>{total} 个在岗警力中 {count} 个已 {hours} 小时无定位</translation>
    </message>
    <message>
        <source>{count} of {total} police units on duty: at their roster position</source>
        <translation>{total} 个在岗警力中 {count} 个仍在名册位置，尚无设备定位</translation>
    </message>
    <message>
        <source>{count} responders placed at their grid&apos;s label point</source>
        <translation>{count} 名人员无定位，暂置于所属网格中心点</translation>
    </message>
    <message>
        <source>{count} of {total} cameras have no stream</source>
        <translation>{total} 个摄像头中 {count} 个没有取流地址</translation>
    </message>
    <message>
        <source>{count} cameras with a stream are offline</source>
        <translation>{count} 个有取流地址的摄像头离线</translation>
    </message>
    <message>
        <source>The centre has no name</source>
        <translation>指挥中心未命名</translation>
    </message>
    <message>
        <source>The roads cannot be routed on</source>
        <translation>路网无法用于路径计算</translation>
    </message>
    <message>
        <source>{count} of {total} responders are off the road network: not ranked</source>
        <translation>{total} 名处置力量中 {count} 名离连通路网过远：不参与推荐</translation>
    </message>
</context>
<context>
    <name>StoreCheckBar</name>
    <message>
        <source>Store check</source>
        <translation>数据自检</translation>
    </message>
    <message>
        <source>Close the store check</source>
        <translation>关闭数据自检</translation>
    </message>
    <message>
        <source>{n} errors</source>
        <translation>{n} 个错误</translation>
    </message>
    <message>
        <source>{n} warnings</source>
        <translation>{n} 个警告</translation>
    </message>
    <message>
        <source>{n} notes</source>
        <translation>{n} 条提示</translation>
    </message>
    <message>
        <source>Store check ({totals}):</source>
        <translation>数据自检（{totals}）：</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>Fix: {command} (click to copy)</source>
        <translation>修复：{command}（点击复制）</translation>
    </message>
    <message>
        <source>All {n}</source>
        <translation>全部 {n} 项</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>提示</translation>
    </message>
</context>
<context>
    <name>TileLayer</name>
    <message>
        <source>Tile map: {name}</source>
        <translation>瓦片底图：{name}</translation>
    </message>
    <message>
        <source>No tile map</source>
        <translation>无瓦片底图</translation>
    </message>
    <message>
        <source>GCJ-02 correction</source>
        <translation>GCJ-02 纠偏</translation>
    </message>
    <message>
        <source>The tiles are in GCJ-02 (most Chinese web maps): shift them onto the WGS-84 data</source>
        <translation>瓦片为 GCJ-02 坐标（多数国内网络地图）时勾选，将其纠偏到 WGS-84 数据上</translation>
    </message>
</context>
<context>
    <name>TransferDialog</name>
    <message>
        <source>Transfer {ticket} to a department</source>
        <translation>将 {ticket} 转交部门</translation>
    </message>
    <message>
        <source>Serving other areas</source>
        <translation>其他辖区的部门</translation>
    </message>
    <message>
        <source> h</source>
        <translation> 小时</translation>
    </message>
    <message>
        <source>Department</source>
        <translation>部门</translation>
    </message>
    <message>
        <source>Report back within</source>
        <translation>反馈时限</translation>
    </message>
    <message>
        <source>Deadline</source>
        <translation>截止时间</translation>
    </message>
</context>
<context>
    <name>VideoDock</name>
    <message>
        <source>Loading cameras…</source>
        <translation>正在读取摄像头…</translation>
    </message>
    <message>
        <source>Nearby video</source>
        <translation>附近视频</translation>
    </message>
    <message>
        <source>All cameras</source>
        <translation>全部摄像头</translation>
    </message>
    <message>
        <source>{n} cameras within {m:.0f} m of {ticket}</source>
        <translation>{ticket} 周边 {m:.0f} 米内 {n} 路摄像头</translation>
    </message>
    <message>
        <source>No online camera within {m:.0f} m of {ticket}</source>
        <translation>{ticket} 周边 {m:.0f} 米内无在线摄像头</translation>
    </message>
    <message>
        <source>Cameras could not be read: {error}</source>
        <translation>无法读取摄像头：{error}</translation>
    </message>
    <message>
        <source>Select an incident to see the cameras near it.</source>
        <translation>选择事件以查看其周边摄像头。</translation>
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
        <translation>可视</translation>
    </message>
    <message>
        <source>facing away</source>
        <translation>背向</translation>
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
<context>
    <name>WallWindow</name>
    <message>
        <source>Situation wall</source>
        <translation>态势大屏</translation>
    </message>
    <message>
        <source>Whole territory</source>
        <translation>全域</translation>
    </message>
    <message>
        <source>Grid governance situation</source>
        <translation>网格化社会治理态势</translation>
    </message>
    <message>
        <source>Offline — reconnecting…</source>
        <translation>离线 — 正在重连…</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>在办</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>超期</translation>
    </message>
    <message>
        <source>Escalated</source>
        <translation>已升级</translation>
    </message>
    <message>
        <source>Awaiting dispatch</source>
        <translation>待派单</translation>
    </message>
    <message>
        <source>Average dispatch</source>
        <translation>平均派单</translation>
    </message>
    <message>
        <source>Average arrival</source>
        <translation>平均到场</translation>
    </message>
    <message>
        <source>On time</source>
        <translation>按时办结率</translation>
    </message>
    <message>
        <source>Resolved on site</source>
        <translation>就地解决率</translation>
    </message>
    <message>
        <source>Satisfaction</source>
        <translation>满意率</translation>
    </message>
    <message>
        <source>Repeat cases</source>
        <translation>重复件</translation>
    </message>
    <message>
        <source>Now</source>
        <translation>当前态势</translation>
    </message>
    <message>
        <source>Intake, last 24 hours</source>
        <translation>近24小时受理</translation>
    </message>
    <message>
        <source>No tickets</source>
        <translation>暂无工单</translation>
    </message>
    <message>
        <source>Response, last 24 hours</source>
        <translation>响应时效（近24小时）</translation>
    </message>
    <message>
        <source>Service, last 30 days</source>
        <translation>办理质量（近30天）</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>近24小时</translation>
    </message>
    <message>
        <source>Usual day (30-day mean)</source>
        <translation>日常水平（30天均值）</translation>
    </message>
    <message>
        <source>Tickets per day</source>
        <translation>日受理量</translation>
    </message>
    <message>
        <source>On-time rate</source>
        <translation>按时办结率</translation>
    </message>
    <message>
        <source>Tickets by hour of day</source>
        <translation>分时段受理量</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>近30天</translation>
    </message>
    <message>
        <source>Latest serious incident</source>
        <translation>最新重大事件</translation>
    </message>
    <message>
        <source>None in the last 24 hours</source>
        <translation>近24小时无重大事件</translation>
    </message>
    <message>
        <source>Townships lagging behind</source>
        <translation>乡镇（街道）后进排名</translation>
    </message>
    <message>
        <source>Dispute mediation, last 30 days</source>
        <translation>矛盾纠纷调解（近30天）</translation>
    </message>
    <message>
        <source>Special action</source>
        <translation>专项行动</translation>
    </message>
    <message>
        <source>No special action running</source>
        <translation>当前无专项行动</translation>
    </message>
    <message>
        <source>The wall could not be loaded: {error}</source>
        <translation>大屏无法加载：{error}</translation>
    </message>
    <message>
        <source>tickets being handled</source>
        <translation>件正在办理</translation>
    </message>
    <message>
        <source>past the deadline</source>
        <translation>已过办理时限</translation>
    </message>
    <message>
        <source>pushed up a level</source>
        <translation>已上报上级</translation>
    </message>
    <message>
        <source>not yet dispatched</source>
        <translation>尚未派单</translation>
    </message>
    <message>
        <source>{n} tickets dispatched</source>
        <translation>已派单 {n} 件</translation>
    </message>
    <message>
        <source>{n} arrivals on site</source>
        <translation>到场 {n} 次</translation>
    </message>
    <message>
        <source>of {n} closed</source>
        <translation>共办结 {n} 件</translation>
    </message>
    <message>
        <source>of {n} resolved</source>
        <translation>共解决 {n} 件</translation>
    </message>
    <message>
        <source>mean rating {r:.1f} / 5</source>
        <translation>平均评分 {r:.1f} / 5</translation>
    </message>
    <message>
        <source>{n} repeat callers</source>
        <translation>多次来电 {n} 人</translation>
    </message>
    <message>
        <source>{m:.0f} min</source>
        <translation>{m:.0f} 分钟</translation>
    </message>
    <message>
        <source>{n} overdue</source>
        <translation>超期 {n}</translation>
    </message>
    <message>
        <source>{n} closed late</source>
        <translation>逾期办结 {n}</translation>
    </message>
    <message>
        <source>{rate} on time</source>
        <translation>按时 {rate}</translation>
    </message>
    <message>
        <source>Villages and communities lagging behind</source>
        <translation>村（社区）后进排名</translation>
    </message>
    <message>
        <source>Mediated</source>
        <translation>调解成功</translation>
    </message>
    <message>
        <source>Referred</source>
        <translation>移交处理</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>调解未成</translation>
    </message>
    <message>
        <source>In progress</source>
        <translation>调解中</translation>
    </message>
    <message>
        <source>Success rate {rate}</source>
        <translation>调解成功率 {rate}</translation>
    </message>
    <message>
        <source>No concluded mediation</source>
        <translation>暂无办结调解</translation>
    </message>
    <message>
        <source>{period}, {days} days left</source>
        <translation>{period}，剩余 {days} 天</translation>
    </message>
    <message>
        <source>Focus: {focus}</source>
        <translation>重点：{focus}</translation>
    </message>
    <message>
        <source>{n} tickets in the area · {open} open · {closed} done</source>
        <translation>区域内 {n} 件 · 在办 {open} · 办结 {closed}</translation>
    </message>
    <message>
        <source>Open tickets per grid</source>
        <translation>各网格在办工单</translation>
    </message>
    <message>
        <source>Open tickets per township</source>
        <translation>各乡镇（街道）在办工单</translation>
    </message>
    <message>
        <source>Tickets per 1,000 households (30 days)</source>
        <translation>每千户工单量（近30天）</translation>
    </message>
    <message>
        <source>Overdue share of open tickets</source>
        <translation>在办工单超期率</translation>
    </message>
    <message>
        <source>Mean rating (30 days)</source>
        <translation>平均评分（近30天）</translation>
    </message>
    <message>
        <source>{name}: lags most</source>
        <translation>{name}（后进）</translation>
    </message>
    <message>
        <source>Special action: {name}</source>
        <translation>专项行动：{name}</translation>
    </message>
</context>
</TS>
