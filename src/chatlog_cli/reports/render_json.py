"""JSON for scripts: every table's raw values (shares as 0…1, durations in seconds), keyed by column key."""

from __future__ import annotations

import json
import math
from typing import Any

from chatlog_cli.reports.model import Period, Report, Table


def _period(period: Period | None) -> dict[str, str] | None:
    if period is None:
        return None
    return {"label": period.label, "start": period.start.isoformat(), "end": period.end.isoformat()}


def _value(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def table_dict(table: Table) -> dict[str, Any]:
    """One table: columns (key, header, kind), rows and total as objects."""
    keys = [c.key for c in table.columns]
    return {
        "key": table.key,
        "title": table.title,
        "columns": [{"key": c.key, "header": c.header, "kind": c.kind} for c in table.columns],
        "row_kinds": table.row_kinds,
        "rows": [{k: _value(v) for k, v in zip(keys, row, strict=True)} for row in table.rows],
        "total": {k: _value(v) for k, v in zip(keys, table.total, strict=True)} if table.total else None,
        "notes": table.notes,
        "chart": None
        if table.chart is None
        else {
            "kind": table.chart.kind,
            "title": table.chart.title,
            "category": table.chart.category,
            "series": list(table.chart.series),
        },
    }


def report_dict(report: Report) -> dict[str, Any]:
    """The whole report as plain data."""
    return {
        "report": report.key,
        "title": report.title,
        "period": _period(report.period),
        "previous_period": _period(report.previous),
        "generated_at": report.generated_at.isoformat() if report.generated_at else None,
        "filters": report.filters,
        "conversations": report.conversations,
        "empty": report.empty,
        "sections": [
            {"key": s.key, "title": s.title, "notes": s.notes, "tables": [table_dict(t) for t in s.tables]}
            for s in report.sections
        ],
        "notes": report.notes,
    }


def render_json(report: Report) -> str:
    """The report as indented UTF-8 JSON (Chinese kept readable)."""
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2) + "\n"
