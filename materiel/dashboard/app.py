"""The dashboard's page (Panel on Bokeh) and its server: levers on the left, grouped by side and line,
the selected line's charts and the headline numbers on the right.

Sliders act on release (`value_throttled`); each move reruns the variant through `Explorer.move`
and updates the charts in place. A refused value (out of range, a scenario it would break) shows a
message and the last good value is restored; the server carries on. Every asset is served by this
server (Bokeh's and Panel's resources from their packages), nothing from another host.
"""

from __future__ import annotations

import datetime as dt
import time
from html import escape
from pathlib import Path

import panel as pn

from materiel.dashboard import levers as lv
from materiel.dashboard.explorer import Explorer
from materiel.dashboard.overlay import save
from materiel.dashboard.views import Charts, headline
from materiel.errors import InputError
from materiel.report import style

CSS = """
table.headline { border-collapse: collapse; font-size: 12px; }
table.headline td, table.headline th { border-bottom: 1px solid #ddd; padding: 2px 6px; text-align: left; }
table.headline small { color: #777; }
"""


def page(explorer: Explorer, extends: str, out: Path) -> pn.viewable.Viewable:
    """One browser tab's page: its own lever values and charts over the shared explorer."""
    sc = explorer.loaded.scenario
    lay = explorer.base(explorer.runs, explorer.seed).ensemble.layout
    state = {"values": {}, "runs": explorer.runs, "seed": explorer.seed, "line": 0, "move": None, "moves": 0}
    charts = Charts(explorer.base(explorer.runs, explorer.seed))
    message = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["refused"], sizing_mode="stretch_width")
    status = pn.pane.HTML("", css_classes=["status"], height=24, sizing_mode="stretch_width")
    table = pn.pane.HTML("", sizing_mode="stretch_width", height=340, styles={"overflow-y": "auto"},
                         stylesheets=[CSS])  # a fixed height: a new table lays nothing else out again
    saved = pn.pane.HTML("", css_classes=["saved"])

    def refuse(exc: InputError) -> None:
        message.object = "Refused — " + "; ".join(str(p) for p in exc.problems)
        message.visible = True

    def redraw() -> bool:
        t0 = time.perf_counter()
        try:
            move = explorer.move(state["values"], state["runs"], state["seed"])
        except InputError as exc:
            refuse(exc)
            return False
        t1 = time.perf_counter()
        with pn.io.hold():  # every change of the move in one message to the browser
            charts.show(move, state["line"])
            table.object = headline(move)
            t2 = time.perf_counter()
            state["move"], state["moves"] = move, state["moves"] + 1
            status.object = (f"<span data-moves='{state['moves']}' data-compute-ms='{(t1 - t0) * 1000:.1f}'>"
                             f"move {state['moves']}: computed in {(t1 - t0) * 1000:.0f} ms (simulate "
                             f"{move.seconds['simulate'] * 1000:.0f} ms), charts {(t2 - t1) * 1000:.0f} ms</span>")
            if message.visible:
                message.visible = False
        return True

    def lever_widget(lever: lv.Lever):
        if isinstance(lever.neutral, dt.date):
            widget = pn.widgets.DateSlider(name=lever.label, start=lever.low, end=lever.high, value=lever.neutral,
                                           sizing_mode="stretch_width")
        else:
            widget = pn.widgets.FloatSlider(name=lever.label, start=lever.low, end=lever.high, step=lever.step,
                                            value=lever.neutral, sizing_mode="stretch_width")
        widget.css_classes = ["lever", lever.key.replace("/", "--")]

        def moved(event) -> None:
            value = event.new.date() if isinstance(event.new, dt.datetime) else event.new
            previous = state["values"].get(lever.key, lever.neutral)
            state["values"][lever.key] = value
            if not redraw():
                state["values"][lever.key] = previous
        widget.param.watch(moved, "value_throttled")
        return widget

    def number_widget(key: str, label: str):
        widget = pn.widgets.IntInput(name=label, value=state[key], css_classes=[key], width=130)

        def typed(event) -> None:
            if event.new == state[key]:
                return
            previous, state[key] = state[key], event.new
            if not redraw():
                state[key] = previous
                widget.value = previous
        widget.param.watch(typed, "value")
        return widget

    options = {style.line_title(s, n): i for i, (s, n) in enumerate(lay.lines)}
    line = pn.widgets.Select(name="line", options=options, value=0, css_classes=["line-select"])

    def selected(event) -> None:
        state["line"] = event.new
        with pn.io.hold():
            charts.show(state["move"], event.new)
    line.param.watch(selected, "value")

    button = pn.widgets.Button(name="Save variant: overlay + report", button_type="primary", css_classes=["save"])

    def save_clicked(event) -> None:
        move = state["move"]
        try:
            files = save(explorer.loaded, extends, move.interventions, move.base.ensemble.runs, move.base.ensemble.seed,
                         out, dt.datetime.now(dt.timezone.utc))
        except InputError as exc:
            refuse(exc)
            return
        saved.object = "Saved: " + ", ".join(f"<code>{escape(str(f))}</code>" for f in files)
    button.on_click(save_clicked)

    groups = []
    for side in sc.sides:
        mine = [lever for lever in explorer.levers if lever.side == side]
        side_wide = [lever_widget(lever) for lever in mine if lever.line is None]
        per_line = []
        for name in sc.sides[side].lines:
            here = [lever_widget(lever) for lever in mine if lever.line == name]
            if here:
                per_line.append(pn.Card(*here, title=name, collapsed=True, sizing_mode="stretch_width"))
        groups.append(pn.Card(*side_wide, *per_line, title=style.name(side), sizing_mode="stretch_width"))
    redraw()
    sidebar = pn.Column(pn.pane.Markdown(f"### {escape(sc.title or sc.name)}\nLevers act on release; every move "
                                         f"reruns the ensemble with the same seed (common random numbers)."),
                        pn.Row(number_widget("runs", "runs"), number_widget("seed", "seed")),
                        line, *groups, button, saved, width=340)
    grid = pn.GridBox(*[pn.pane.Bokeh(fig, sizing_mode="stretch_width") for fig in charts.figures.values()],
                      ncols=2, sizing_mode="stretch_width")
    main = pn.Column(message, status, grid, table, sizing_mode="stretch_width")
    return pn.Row(sidebar, main, sizing_mode="stretch_width")


def serve(explorer: Explorer, extends: str, out: Path, host: str, port: int, ready=print) -> None:
    """Serve the page at http://HOST:PORT/ until interrupted; `ready(url)` is called once it listens."""
    pn.config.inline = True  # Panel's own assets inside the page or from this server, no CDN
    if host == "127.0.0.1":
        origins = [f"{host}:{port}", f"localhost:{port}"]
    else:  # asked for: on every interface the page may be reached by any name of this machine
        origins = ["*"] if host in ("0.0.0.0", "::") else [f"{host}:{port}"]
    server = pn.serve({"/": lambda: page(explorer, extends, out)}, address=host, port=port, show=False, start=False,
                      websocket_origin=origins,
                      title=f"materiel · {explorer.loaded.scenario.name}", num_procs=1)
    server.start()
    ready(f"http://{host}:{port}/")
    server.io_loop.start()
