"""The provincial tables (house, resident, passage records) as an Excel workbook."""

from __future__ import annotations

import io

from openpyxl import Workbook

# Sheet per category; columns in the order and with the headings the provincial tables use.
SHEETS = {
    "resident_change": ("人员登记变更", [
        ("occurred_at", "变更时间"), ("change", "变更类型"), ("building", "楼栋"), ("unit", "房号"),
        ("role", "人员类别"), ("person_name", "姓名"), ("person_id_number", "公民身份号码"),
        ("person_phone", "联系电话"), ("date", "生效日期"),
    ]),
    "gate_passage": ("门禁通行记录", [
        ("occurred_at", "通行时间"), ("gate", "出入口"), ("direction", "方向"), ("method", "开门方式"),
        ("result", "结果"), ("person_name", "姓名"), ("person_id_number", "公民身份号码"),
    ]),
    "car_passage": ("车辆通行记录", [
        ("occurred_at", "通行时间"), ("lot", "停车场"), ("direction", "方向"), ("plate", "号牌号码"),
        ("plate_color", "号牌颜色"), ("decision", "放行结果"),
    ]),
    "statistics": ("统计", [
        ("date", "日期"), ("population", "人口"), ("passages", "通行次数"), ("tickets_opened", "新增工单"),
        ("tickets_closed", "办结工单"), ("eldercare_orders", "养老服务单"), ("eldercare_alarms", "养老告警"),
    ]),
    "door_device": ("门禁设备", [
        ("name", "设备名称"), ("gate", "出入口"), ("serial_number", "设备序列号"), ("status", "状态"),
        ("registered_at", "登记时间"),
    ]),
    "car_info": ("车辆信息", [
        ("plate", "号牌号码"), ("plate_color", "号牌颜色"), ("owner_name", "车主姓名"),
        ("owner_id_number", "车主公民身份号码"), ("owner_phone", "车主联系电话"), ("registered_at", "登记时间"),
    ]),
}  # fmt: skip


def _cell(value):
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return value


def workbook_bytes(rows: dict[str, list[dict]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for category, (title, columns) in SHEETS.items():
        if category not in rows:
            continue
        sheet = book.create_sheet(title)
        # Only the columns the grant let through (a minimised payload lacks the others).
        present = [(key, heading) for key, heading in columns if any(key in r for r in rows[category])]
        sheet.append([heading for _key, heading in present])
        for row in rows[category]:
            sheet.append([_cell(row.get(key, "")) for key, _heading in present])
    if not book.sheetnames:
        book.create_sheet("无数据")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
