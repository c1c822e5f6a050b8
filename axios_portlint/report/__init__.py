"""Formatters: turn findings (and inventories) into text. They never decide anything.

Each format is one module; none imports a rule. What a format needs to know about the
rules (SARIF's rule table) it is handed as data.
"""

from __future__ import annotations

from axios_portlint.report.github import github
from axios_portlint.report.json import JSON_VERSION, hosts_json, json_report, ports_json
from axios_portlint.report.sarif import RuleDescriptor, repository_url, rule_docs_url, sarif
from axios_portlint.report.statistics import statistics, statistics_json
from axios_portlint.report.summary import summary
from axios_portlint.report.text import hosts_table, ports_table, text

__all__ = [
    "JSON_VERSION",
    "RuleDescriptor",
    "github",
    "hosts_json",
    "hosts_table",
    "json_report",
    "ports_json",
    "ports_table",
    "repository_url",
    "rule_docs_url",
    "sarif",
    "statistics",
    "statistics_json",
    "summary",
    "text",
]
