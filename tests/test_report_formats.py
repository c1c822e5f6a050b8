"""The four `--format`s of `portlint check`, through the real command and the API.

One tree, broken in known ways, is reported in each format: a local-port conflict
(PL001, with the other side as a related location), an unresolvable default (PL009,
info), a syntax error (PL010) and a default spanning two lines (PL005 + PL007).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ROOT, AxiosTree, Run, run_portlint

from axios_portlint import __version__, report
from axios_portlint.api import check as check_api
from axios_portlint.model import Finding, Location, Severity
from axios_portlint.rules import all_rules

SCHEMA = ROOT / "tests" / "sarif" / "sarif-schema-2.1.0.json"
IMMICH = "modules/services/immich.nix"
COMMAND = re.compile(
    r"::(error|warning|notice) file=[^,]+,line=\d+(,endLine=\d+|,col=\d+,endColumn=\d+)"
    r",title=portlint \(PL\d{3}\)::.*"
)


def break_tree(tree: AxiosTree) -> None:
    tree.edit(IMMICH, "local = 2283;", "local = 11434;")
    # Non-ASCII before the finding on its line: its columns must count characters.
    tree.edit(IMMICH, "default = ports.local;", "default = /* Café — ports */ ports.local;")
    tree.edit("modules/pim/default.nix", "default = 8443;", "default = pkgs.pwaPort or 8443;")
    tree.edit("modules/desktop/default.nix", "default = 1;", "default = 1")
    tree.edit("modules/ai/webui.nix", "default = cfg.port + 363;", "default = cfg.port\n + 364;")


def line_of(path: Path, needle: str) -> int:
    hits = [n for n, text in enumerate(path.read_text().splitlines(), start=1) if needle in text]
    assert len(hits) == 1, f"{needle!r} is on lines {hits} of {path}"
    return hits[0]


@pytest.fixture
def broken(axios_tree: AxiosTree) -> AxiosTree:
    break_tree(axios_tree)
    return axios_tree


def check(tree: AxiosTree, output_format: str) -> Run:
    result = run_portlint("check", "--format", output_format, cwd=tree.root)
    assert result.code == 1, result.stderr
    assert result.stderr == ""
    return result


# -- github ---------------------------------------------------------------------------------


def test_github_annotations(broken: AxiosTree) -> None:
    lines = check(broken, "github").stdout.splitlines()
    assert all(COMMAND.fullmatch(line) for line in lines), lines
    immich = line_of(broken.modules / "services/immich.nix", "Café")
    pim = line_of(broken.modules / "pim/default.nix", "pkgs.pwaPort")
    # The missing `;` shows at the next `=`, as Nix reports it.
    desktop = line_of(broken.modules / "desktop/default.nix", '"Display scale factor."')
    webui = line_of(broken.modules / "ai/webui.nix", "default = cfg.port")
    expected = [
        f"::error file={IMMICH},line={immich},col=36,endColumn=47,title=portlint (PL001)::"
        "local port 11434 of axios.immich.port is also the default of services.ai.local.port "
        "(modules/ai/default.nix:16:17)",
        f"::notice file=modules/pim/default.nix,line={pim},col=19,endColumn=39,"
        "title=portlint (PL009)::default of pim.pwa.httpsPort cannot be resolved statically: "
        "`pkgs.pwaPort or 8443` (`pkgs.pwaPort or 8443` depends on a value only evaluation "
        "can know)",
        f"::error file=modules/desktop/default.nix,line={desktop},col=19,endColumn=20,"
        "title=portlint (PL010)::syntax error: unexpected '='",
        # Two lines: GitHub takes no columns then, so endLine instead.
        f"::error file=modules/ai/webui.nix,line={webui},endLine={webui + 1},"
        "title=portlint (PL005)::services.ai.webui.tailscaleServe.httpsPort defaults to 8445, "
        "but ports.md:36 registers 8444 as the Tailscale Port of 'Open WebUI'",
    ]
    for line in expected:
        assert line in lines


def test_github_severities_map_to_commands() -> None:
    findings = [finding(severity) for severity in Severity]
    commands = [line.split(" ", 1)[0] for line in report.github(findings).splitlines()]
    assert commands == ["::error", "::warning", "::notice"]


def test_github_escapes_data_and_properties() -> None:
    where = Location("mods/a,b:c%d.nix", 3, 5, 3, 9)
    output = report.github([finding(Severity.WARNING, "100% of\r\nports: 8080, 8081", where)])
    assert output == (
        "::warning file=mods/a%2Cb%3Ac%25d.nix,line=3,col=5,endColumn=9,"
        "title=portlint (PL001)::100%25 of%0D%0Aports: 8080, 8081\n"
    )


def test_github_annotates_ten_of_a_type_most_severe_first_and_logs_the_rest() -> None:
    """GitHub shows 10 annotations of each type per step; the rest would vanish."""
    findings = [
        finding(severity, f"{severity} {n}", Location(f"m{n}.nix", n + 1, 1, n + 1, 2))
        for severity in (Severity.INFO, Severity.WARNING, Severity.ERROR)
        for n in range(12)
    ]
    lines = report.github(findings).splitlines()
    commands = [line.split(" ", 1)[0] for line in lines[:30]]
    assert commands == ["::error"] * 10 + ["::warning"] * 10 + ["::notice"] * 10
    assert lines[30] == (
        "portlint: 6 more findings not annotated (GitHub shows 10 annotations of a type per "
        "step): 2 errors, 2 warnings, 2 info; most severe first:"
    )
    assert lines[31:] == [
        "m10.nix:11:1: PL001 [error] error 10",
        "m11.nix:12:1: PL001 [error] error 11",
        "m10.nix:11:1: PL001 [warning] warning 10",
        "m11.nix:12:1: PL001 [warning] warning 11",
        "m10.nix:11:1: PL001 [info] info 10",
        "m11.nix:12:1: PL001 [info] info 11",
    ]


def test_github_within_the_limits_adds_no_summary() -> None:
    findings = [finding(Severity.ERROR, f"error {n}") for n in range(10)]
    lines = report.github(findings).splitlines()
    assert len(lines) == 10 and all(line.startswith("::error ") for line in lines)


def test_github_prints_nothing_without_findings(axios_tree: AxiosTree) -> None:
    result = run_portlint("--format", "github", cwd=axios_tree.root)
    assert (result.code, result.stdout) == (0, "")


# -- sarif ----------------------------------------------------------------------------------


def sarif_of(tree: AxiosTree) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(check(tree, "sarif").stdout)
    validate(document)
    return document


def validate(document: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    validator(schema).validate(document)


def results_of(run: dict[str, Any], code: str, uri: str) -> list[dict[str, Any]]:
    return [
        r
        for r in run["results"]
        if r["ruleId"] == code
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri
    ]


def test_sarif_is_valid_and_describes_every_rule(broken: AxiosTree) -> None:
    (run,) = sarif_of(broken)["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("portlint", __version__)
    # pyproject.toml's [project.urls] holds no address yet: none is invented.
    assert report.repository_url() is None
    assert "informationUri" not in driver
    rules = all_rules()
    assert [r["id"] for r in driver["rules"]] == [rule.code for rule in rules]
    for entry, rule in zip(driver["rules"], rules, strict=True):
        assert entry["name"] == rule.name
        assert entry["shortDescription"]["text"] == rule.summary
        assert entry["fullDescription"]["text"]
        assert entry["help"]["markdown"] == rule.doc.strip()
        assert (
            entry["defaultConfiguration"]["level"]
            == {
                Severity.ERROR: "error",
                Severity.WARNING: "warning",
                Severity.INFO: "note",
            }[rule.severity]
        )
        assert "helpUri" not in entry
        assert (ROOT / f"docs/rules/{rule.code}.md").is_file()
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_results(broken: AxiosTree) -> None:
    (run,) = sarif_of(broken)["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": broken.root.resolve().as_uri() + "/"}}
    (conflict,) = results_of(run, "PL001", IMMICH)
    assert conflict["level"] == "error"
    assert conflict["message"]["text"].startswith("local port 11434 of axios.immich.port")
    location = conflict["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": IMMICH, "uriBaseId": "%SRCROOT%"}
    (related,) = conflict["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "modules/ai/default.nix"
    assert related["physicalLocation"]["region"]["startLine"] == 16
    assert related["physicalLocation"]["region"]["startColumn"] == 17
    # The mention of the other side links to it; the other side says why it is related.
    assert conflict["message"]["text"].endswith(" ([modules/ai/default.nix:16:17](1))")
    assert related["message"]["text"] == "PL001: " + conflict["message"]["text"].replace(
        "[modules/ai/default.nix:16:17](1)", "modules/ai/default.nix:16:17"
    )
    (unresolved,) = results_of(run, "PL009", "modules/pim/default.nix")
    assert unresolved["level"] == "note"
    (syntax,) = results_of(run, "PL010", "modules/desktop/default.nix")
    assert syntax["level"] == "error"
    (mismatch,) = results_of(run, "PL005", "modules/ai/webui.nix")
    region = mismatch["locations"][0]["physicalLocation"]["region"]
    assert region["endLine"] == region["startLine"] + 1


def test_sarif_columns_count_characters_not_bytes(broken: AxiosTree) -> None:
    (run,) = sarif_of(broken)["runs"]
    (conflict,) = results_of(run, "PL001", IMMICH)
    region = conflict["locations"][0]["physicalLocation"]["region"]
    text = (broken.root / IMMICH).read_text().splitlines()[region["startLine"] - 1]
    assert "Café —" in text[: region["startColumn"] - 1]
    assert text[region["startColumn"] - 1 : region["endColumn"] - 1] == "ports.local"
    # Byte columns would be three further right (é is two bytes, — three).
    assert text.encode().index(b"ports.local") + 1 == region["startColumn"] + 3


def test_sarif_paths_outside_the_root_and_odd_names_are_uris(tmp_path: Path) -> None:
    outside = (tmp_path / "else where" / "a.nix").as_posix()
    findings = [
        finding(Severity.ERROR, where=Location("mods/my file é.nix", 1, 1, 1, 2)),
        finding(Severity.INFO, where=Location(outside, 2, 3, 2, 4)),
    ]
    document = json.loads(report.sarif(findings, all_rules(), root=tmp_path))
    validate(document)
    first, second = (r["locations"][0]["physicalLocation"] for r in document["runs"][0]["results"])
    assert first["artifactLocation"] == {
        "uri": "mods/my%20file%20%C3%A9.nix",
        "uriBaseId": "%SRCROOT%",
    }
    assert second["artifactLocation"] == {"uri": Path(outside).as_uri()}


def fingerprints_of(tree: AxiosTree) -> dict[tuple[str, str, str], str]:
    """Each result's partialFingerprints, by rule, file and message without positions."""
    (run,) = sarif_of(tree)["runs"]
    found = {}
    for result in run["results"]:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        message = re.sub(r":\d+(:\d+)?", "", result["message"]["text"])
        (value,) = result["partialFingerprints"].values()
        found[(result["ruleId"], uri, message)] = value
    return found


def test_sarif_fingerprints_survive_lines_moving_and_tell_findings_apart(
    broken: AxiosTree,
) -> None:
    before = fingerprints_of(broken)
    assert len(set(before.values())) == len(before)
    # Two lines added at the top of both files of the conflict move every position.
    for relative in (IMMICH, "modules/ai/default.nix"):
        path = broken.root / relative
        path.write_text("# moved\n# down\n" + path.read_text())
    assert fingerprints_of(broken) == before


def test_sarif_takes_its_urls_from_the_project_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With an address in [project.urls], SARIF links the tool and every rule's page."""
    # The module, not the function the package exports under the same name.
    sarif_module = importlib.import_module("axios_portlint.report.sarif")

    class Metadata:
        def get_all(self, name: str) -> list[str]:
            assert name == "Project-URL"
            return ["Changelog, https://x.invalid/c", "Repository, https://x.invalid/portlint"]

    # SARIF imports importlib.metadata when it renders: the patch is on the module itself.
    monkeypatch.setattr(importlib.metadata, "metadata", lambda _name: Metadata())
    sarif_module.repository_url.cache_clear()
    try:
        document = json.loads(report.sarif([finding(Severity.ERROR)], all_rules(), root=ROOT))
    finally:
        sarif_module.repository_url.cache_clear()
    validate(document)
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://x.invalid/portlint"
    assert driver["rules"][0]["helpUri"] == (
        "https://x.invalid/portlint/blob/main/docs/rules/PL001.md"
    )


def test_no_placeholder_address_anywhere() -> None:
    """The repository address the docs once invented, written here in two halves."""
    placeholder = "github.com/" + "axios-portlint"
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in tracked:
        path = ROOT / name
        if path.suffix in {".py", ".md", ".toml", ".yaml", ".nix", ".json"} and path.is_file():
            assert placeholder not in path.read_text(errors="replace"), name


def test_sarif_without_findings_is_valid(axios_tree: AxiosTree) -> None:
    result = run_portlint("--format", "sarif", cwd=axios_tree.root)
    assert result.code == 0
    document = json.loads(result.stdout)
    validate(document)
    assert document["runs"][0]["results"] == []


# -- json -----------------------------------------------------------------------------------


def test_json_is_pure_and_reports_syntax_errors(broken: AxiosTree) -> None:
    document = json.loads(check(broken, "json").stdout)
    assert document["version"] == report.JSON_VERSION
    (syntax,) = [f for f in document["findings"] if f["code"] == "PL010"]
    assert syntax["file"] == "modules/desktop/default.nix"
    assert syntax["severity"] == "error"
    assert syntax["message"] == "syntax error: unexpected '='"
    (conflict,) = [f for f in document["findings"] if f["code"] == "PL001" and f["file"] == IMMICH]
    assert conflict["related"] == [{"file": "modules/ai/default.nix", "line": 16, "column": 17}]
    assert conflict["column"] == 36
    assert document["summary"]["findings"] == len(document["findings"])


def test_json_keys_are_documented(broken: AxiosTree) -> None:
    document = json.loads(check(broken, "json").stdout)
    documented = set(re.findall(r"^\| `(\w+)`", (ROOT / "docs" / "output.md").read_text(), re.M))
    keys = set(document) | set(document["summary"])
    for finding_json in document["findings"]:
        keys |= set(finding_json)
        keys |= {key for related in finding_json["related"] for key in related}
    assert keys <= documented, keys - documented


# -- text -----------------------------------------------------------------------------------


def run_on_tty(cwd: Path, **env: str) -> str:
    """The real command with stdout on a terminal, as a developer runs it."""
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | env
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "axios_portlint"],
        cwd=cwd,
        stdout=secondary,
        stderr=subprocess.DEVNULL,
        env=environment,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    process.wait(timeout=120)
    return b"".join(chunks).decode()


def test_text_is_coloured_only_on_a_terminal_without_no_color(broken: AxiosTree) -> None:
    assert "\x1b[" in run_on_tty(broken.root)
    assert "\x1b[" not in run_on_tty(broken.root, NO_COLOR="1")
    piped = check(broken, "text").stdout
    assert "\x1b[" not in piped
    assert piped.splitlines()[-1].startswith("Found ")


def finding(severity: Severity, message: str = "message", where: Location | None = None) -> Finding:
    return Finding("PL001", severity, message, where or Location("m.nix", 1, 1, 1, 2))


def test_schema_is_the_copy_its_notice_describes() -> None:
    notice = (SCHEMA.parent / "NOTICE.md").read_text()
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() in notice


# -- sarif levels follow the severity --------------------------------------------------------


def firewall_opens_webui(tree: AxiosTree) -> int:
    """The firewall opens Open WebUI's local port, which Tailscale fronts: PL013, a warning."""
    tree.edit(
        "modules/ai/webui.nix",
        "  config = lib.mkIf cfg.enable {\n",
        "  config = lib.mkIf cfg.enable {\n"
        "    networking.firewall.allowedTCPPorts = [ cfg.port ];\n",
    )
    return line_of(tree.modules / "ai/webui.nix", "allowedTCPPorts")


def test_sarif_level_of_a_warning_is_warning(axios_tree: AxiosTree) -> None:
    line = firewall_opens_webui(axios_tree)
    result = run_portlint("check", "--format", "sarif", cwd=axios_tree.root)
    assert result.code == 0, result.stderr  # a warning does not fail the default --fail-on
    document = json.loads(result.stdout)
    validate(document)
    (run,) = document["runs"]
    (warning,) = results_of(run, "PL013", "modules/ai/webui.nix")
    assert warning["level"] == "warning"
    assert warning["locations"][0]["physicalLocation"]["region"]["startLine"] == line


def test_sarif_level_of_a_warning_through_the_api(axios_tree: AxiosTree) -> None:
    firewall_opens_webui(axios_tree)
    findings = check_api([axios_tree.modules], axios_tree.registry, cwd=axios_tree.root).findings
    assert [(f.code, f.severity) for f in findings] == [("PL013", Severity.WARNING)]
    document = json.loads(report.sarif(findings, all_rules(), root=axios_tree.root))
    assert [r["level"] for r in document["runs"][0]["results"]] == ["warning"]
