"""The data-sharing check's report, as a terminal summary, JSON or Markdown (to send back to the
data provider). It shows counts, column names and codes only: never an identifier's values."""

from __future__ import annotations

import json

from .extract_check import ExtractReport

VERDICT_WORDS = {"accept": "ACCEPT: the extract meets its contract",
                 "accept_with_warnings": "ACCEPT WITH WARNINGS: the extract can be accepted; see the warnings",
                 "reject": "REJECT: the extract cannot be accepted; see the errors"}


def render_json(report: ExtractReport) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str)


def _coverage_lines(report: ExtractReport) -> list[str]:
    return [f"{c['arm']:<4} {c['site']:<8} {c['n_covered']:>5} of {c['n_expected']:>5} expected families covered"
            + (f"; {c['n_other_arm']} families of the other arm have records" if c["n_other_arm"] else "")
            for c in report.coverage]


def _incomplete_fields(report: ExtractReport) -> list[dict]:
    return [c for c in report.completeness if c["n_blank"] > 0]


def render_text(report: ExtractReport) -> str:
    errors = [f for f in report.findings if f.severity == "error"]
    warnings = [f for f in report.findings if f.severity == "warning"]
    lines = [f"{report.source} extract {report.file_name}: {report.rows_read:,} rows read",
             f"verdict: {VERDICT_WORDS[report.verdict]} (exit {report.exit_status})",
             f"  {len(errors)} error(s), {len(warnings)} warning(s)"]
    if report.identifier_columns:
        lines.append("direct identifiers present (values not read): " + ", ".join(report.identifier_columns))
    if report.coverage:
        lines.append(f"family coverage (randomisation list {report.randomisation_file}):")
        lines += ["  " + line for line in _coverage_lines(report)]
    for title, group in (("errors", errors), ("warnings", warnings)):
        if group:
            lines.append(f"{title}:")
            for f in group:
                sample = f"  e.g. {', '.join(f.sample_values)}" if f.sample_values else ""
                lines.append(f"  [{f.check}] {f.field or '-'}: {f.message}{sample}")
    blank = _incomplete_fields(report)
    if blank:
        lines.append("fields with blanks: " + ", ".join(f"{c['field']} {c['share_blank']:.0%}" for c in blank))
    lines += [f"note: {n}" for n in report.notes]
    return "\n".join(lines)


def render_markdown(report: ExtractReport) -> str:
    out = [f"# Data-sharing check: {report.source} extract `{report.file_name}`", "",
           f"**Verdict: {VERDICT_WORDS[report.verdict]}.** {report.rows_read:,} rows read.", ""]
    if report.identifier_columns:
        out += ["**Direct identifiers present** (remove these columns before sharing): "
                + ", ".join(f"`{c}`" for c in report.identifier_columns), ""]
    if report.coverage:
        out += ["## Family coverage", "", "| arm | site | expected | covered | other arm with records |",
                "| --- | --- | ---: | ---: | ---: |"]
        out += [f"| {c['arm']} | {c['site']} | {c['n_expected']} | {c['n_covered']} | {c['n_other_arm']} |"
                for c in report.coverage]
        out.append("")
    if report.findings:
        out += ["## Findings", "", "| check | severity | field | rows | message | example values |",
                "| --- | --- | --- | ---: | --- | --- |"]
        out += [f"| {f.check} | {f.severity} | {f.field or ''} | {f.n_rows} | {f.message.replace('|', '/')} | "
                f"{', '.join(f.sample_values).replace('|', '/')} |" for f in report.findings]
        out.append("")
    blank = _incomplete_fields(report)
    if blank:
        out += ["## Field completeness", "", "| field | required | rows | blank | share blank |",
                "| --- | --- | ---: | ---: | ---: |"]
        out += [f"| {c['field']} | {'yes' if c['is_required'] else 'no'} | {c['n_rows']} | {c['n_blank']} | "
                f"{c['share_blank']:.0%} |" for c in blank]
        out.append("")
    out += [f"_Note: {n}_" for n in report.notes]
    return "\n".join(out).rstrip() + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
