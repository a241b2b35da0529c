"""Diagnostic reports per second: ReportLab against the same report in HTML through WeasyPrint.

`python -m bench reports` seeds the demo data into a fresh SQLite database in a temporary
directory and, in one warm process, renders the bilingual report of every demo branch
(its latest self-check) several rounds through `service.report_for`, the same call the
download view makes: loading, scoring, view-model and PDF. It prints the median and p95
milliseconds per report and the bytes per report. Then it renders the same view-models as
HTML (bench/report.html, with the same bar chart as SVG) through WeasyPrint, a
development dependency only, and prints its median and the ratio.

Targets (2 cores): median ≤ 60 ms, ≤ 300 KB per report, at least 20× faster than WeasyPrint.
This is a benchmark, not a test: it reports, it does not fail.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

ROUNDS = 5
WEASY_ROUNDS = 1
HERE = Path(__file__).resolve().parent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latest_selfchecks():
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Cycle, Organisation, SelfCheck

    rows = db.session.scalars(
        select(SelfCheck).join(Organisation).join(Cycle).order_by(Organisation.path, Cycle.year.desc())
    ).all()
    latest = {}
    for sc in rows:
        latest.setdefault(sc.organisation_id, sc)
    return list(latest.values())


def weasy_html(vm, template) -> str:
    """The report as HTML with the same content as the PDF, the bar chart as SVG."""
    from reportlab.graphics import renderSVG

    from app.charts import ChartSeries, Style, grouped_bar_chart
    from app.reports.document import SERIES_STYLES
    from app.reports.fonts import report_font
    from app.reports.template import load_template

    t = load_template("default")
    drawing = grouped_bar_chart(
        [[a.zh, a.en] for a in vm.chart.categories],
        [
            ChartSeries([s.label.zh, s.label.en], s.values, t.series_colours[s.key], SERIES_STYLES[s.key])
            for s in vm.chart.series
        ],
        width=t.frame_width,
        style=Style(report_font(), t.sizes["small"]),
    )
    # The SVG names ReportLab's font; the browser engine finds the same font by its family name.
    svg = renderSVG.drawToString(drawing).split("?>", 1)[-1].replace(report_font(), "WenQuanYi Micro Hei")
    return template.render(vm=vm, svg=svg)


def main() -> None:
    from app import create_app
    from app.demo import seed
    from app.extensions import db
    from app.reports import service

    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.db'}", "SECRET_KEY": "bench"})
        with app.app_context():
            db.create_all()
            seed()
            selfchecks = latest_selfchecks()
            print(f"{len(selfchecks)} branches, bilingual reports, {ROUNDS} rounds after a warm-up, pid {os.getpid()}")
            for sc in selfchecks:  # warm-up: imports, fonts, templates, caches
                service.report_for(sc, "bilingual")
            times, cpu, sizes = [], [], []
            for _ in range(ROUNDS):
                for sc in selfchecks:
                    start, start_cpu = time.perf_counter(), time.process_time()
                    pdf = service.report_for(sc, "bilingual")
                    times.append((time.perf_counter() - start) * 1000)
                    cpu.append((time.process_time() - start_cpu) * 1000)
                    sizes.append(len(pdf))
            median = statistics.median(times)
            print(
                f"ReportLab   median {median:7.1f} ms   p95 {percentile(times, 0.95):7.1f} ms   "
                f"bytes/report median {statistics.median(sizes) / 1024:.0f} KB, max {max(sizes) / 1024:.0f} KB"
            )
            print(
                f"            CPU time median {statistics.median(cpu):.1f} ms; load average {os.getloadavg()[0]:.1f} "
                f"on {os.cpu_count()} cores (other processes inflate wall time)"
            )
            print(
                f"            targets: median <= 60 ms, <= 300 KB: "
                f"{'met' if median <= 60 and max(sizes) <= 300 * 1024 else 'NOT met'}"
            )

            try:
                import weasyprint
            except ImportError:
                print("WeasyPrint   not installed (pip install -e '.[dev]'): no comparison")
                return
            from jinja2 import Environment, FileSystemLoader, select_autoescape

            template = Environment(loader=FileSystemLoader(HERE), autoescape=select_autoescape()).get_template(
                "report.html"
            )
            weasyprint.HTML(string=weasy_html(service.viewmodel_for(selfchecks[0]), template)).write_pdf()
            weasy, weasy_sizes = [], []
            for _ in range(WEASY_ROUNDS):
                for sc in selfchecks:
                    start = time.perf_counter()
                    pdf = weasyprint.HTML(string=weasy_html(service.viewmodel_for(sc), template)).write_pdf()
                    weasy.append((time.perf_counter() - start) * 1000)
                    weasy_sizes.append(len(pdf))
            weasy_median = statistics.median(weasy)
            ratio = weasy_median / median
            print(
                f"WeasyPrint  median {weasy_median:7.1f} ms   p95 {percentile(weasy, 0.95):7.1f} ms   "
                f"bytes/report median {statistics.median(weasy_sizes) / 1024:.0f} KB "
                f"(WeasyPrint {weasyprint.__version__})"
            )
            verdict = "met" if ratio >= 20 else "NOT met"
            print(f"ReportLab is {ratio:.1f}x faster than WeasyPrint (target >= 20x: {verdict})")
