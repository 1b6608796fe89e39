"""core.charts: a line chart as SVG, drawn on the server, with nothing the CSP forbids."""

import re

from core.charts import Series, legend, line_chart, nice_ceiling


def test_one_polyline_per_series_and_a_circle_with_a_title_per_point():
    svg = line_chart(
        ["01 Nov", "02 Nov", "03 Nov"],
        [Series("VPN", [2, 4, None]), Series("Mail", [1, 1, 1])],
        title="Seats",
        element_id="c",
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 5 and 'data-points="5"' in svg
    assert "<title>VPN, 02 Nov: 4</title>" in svg
    assert "<script" not in svg and "style=" not in svg and "on" + "load" not in svg


def test_names_and_labels_are_escaped():
    svg = line_chart(["<b>"], [Series('"><script>x</script>', [1])], title="<t>")
    assert "<script>" not in svg and "&lt;b&gt;" in svg and "&lt;t&gt;" in svg


def test_the_y_axis_ends_on_a_round_number_and_an_empty_chart_still_draws():
    assert [nice_ceiling(v) for v in (0, 3, 7, 11, 180, 2500)] == [1, 5, 10, 20, 200, 5000]
    svg = line_chart([], [], title="Nothing")
    assert 'data-points="0"' in svg


def test_many_days_keep_the_x_labels_few():
    labels = [f"{n:02d}" for n in range(1, 92)]
    svg = line_chart(labels, [Series("VPN", list(range(91)))], title="Quarter")
    x_labels = re.findall(r'<g class="canopy-chart-x">(.*?)</g>', svg)[0]
    assert x_labels.count("<text") <= 13 and ">01<" in x_labels and ">91<" in x_labels
    assert legend([Series("VPN", [])]) == [("VPN", "#0072b2")]
