#!/usr/bin/env python3
"""Writes pasar.json, the Grafana dashboard over the metrics Pasar's services expose.

Edit the panel list below and run `python3 deploy/grafana/generate.py`; commit both files.
"""
import json
import pathlib

PANELS = [
    # (title, unit, [(expr, legend)])
    ("Requests per second by route", "reqps",
     [('sum by (job, route) (rate(pasar_http_requests_total[5m]))', "{{job}} {{route}}")]),
    ("5xx share by service", "percentunit",
     [('sum by (job) (rate(pasar_http_requests_total{status=~"5.."}[5m])) / sum by (job) (rate(pasar_http_requests_total[5m]))', "{{job}}")]),
    ("Latency p99 by route", "s",
     [('histogram_quantile(0.99, sum by (le, job, route) (rate(http_request_duration_seconds_bucket[5m])))', "{{job}} {{route}}")]),
    ("Latency p50 by route", "s",
     [('histogram_quantile(0.5, sum by (le, job, route) (rate(http_request_duration_seconds_bucket[5m])))', "{{job}} {{route}}")]),
    ("Event-store append latency", "s",
     [('histogram_quantile(0.99, sum by (le) (rate(pasar_event_append_seconds_bucket[5m])))', "p99"),
      ('histogram_quantile(0.5, sum by (le) (rate(pasar_event_append_seconds_bucket[5m])))', "p50")]),
    ("Append conflicts and command retries", "ops",
     [('sum(rate(pasar_event_append_conflicts_total[5m]))', "conflicts"),
      ('sum by (category) (rate(pasar_command_retries_total[5m]))', "retries {{category}}")]),
    ("Processor lag (events)", "short",
     [('max by (processor) (pasar_processor_lag_events)', "{{processor}}")]),
    ("Processor lag (seconds)", "s",
     [('max by (processor) (pasar_processor_lag_seconds)', "{{processor}}")]),
    ("Processor throughput and errors", "ops",
     [('sum by (processor) (rate(pasar_processor_events_total[5m]))', "{{processor}} events"),
      ('sum by (processor, kind) (rate(pasar_processor_errors_total[5m]))', "{{processor}} {{kind}} errors")]),
    ("Active instance per processor", "short",
     [('sum by (processor) (pasar_processor_active)', "{{processor}}")]),
    ("Publisher lag", "s",
     [('max by (processor) (pasar_processor_lag_seconds{processor=~"publisher.*"})', "{{processor}}")]),
    ("Checkout outcomes", "ops",
     [('sum by (outcome) (rate(pasar_checkout_outcomes_total[5m]))', "{{outcome}}")]),
    ("Payments by status", "ops",
     [('sum by (status) (rate(pasar_payment_notifications_total[5m]))', "{{status}}")]),
    ("Webhook rejections and refunds owed", "short",
     [('sum by (reason) (increase(pasar_webhook_rejected_total[15m]))', "rejected: {{reason}}"),
      ('max(pasar_refunds_owed)', "refunds owed")]),
    ("Consistency waits", "ops",
     [('sum(rate(pasar_consistency_satisfied_total[5m]))', "satisfied"),
      ('sum(rate(pasar_consistency_timeouts_total[5m]))', "timed out (503)")]),
]


def panel(index, title, unit, targets):
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index // 2) * 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(targets)
        ],
    }


dashboard = {
    "uid": "pasar",
    "title": "Pasar",
    "tags": ["pasar"],
    "timezone": "browser",
    "schemaVersion": 39,
    "version": 1,
    "refresh": "30s",
    "time": {"from": "now-6h", "to": "now"},
    "templating": {"list": [{
        "name": "datasource", "type": "datasource", "query": "prometheus",
        "label": "Prometheus", "current": {},
    }]},
    "panels": [panel(i, *p) for i, p in enumerate(PANELS)],
}

out = pathlib.Path(__file__).with_name("pasar.json")
out.write_text(json.dumps(dashboard, indent=2) + "\n")
print(f"wrote {out} ({len(PANELS)} panels)")
