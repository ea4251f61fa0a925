"""HTML of the reports pages (Jinja templates extending base.html) and the inline SVG chart.

Inline SVG with presentation attributes only: the console's CSP allows no inline script or style.
"""
from __future__ import annotations

from markupsafe import Markup, escape


def svg_chart(rows: list[dict], width: int = 720, height: int = 200) -> Markup:
    """Offered (grey) and answered (blue) per bucket, all keys summed."""
    totals: dict = {}
    for r in rows:
        t = totals.setdefault(r["bucket"], [0, 0])
        t[0] += r["offered"]
        t[1] += r["answered"]
    if not totals:
        return Markup("")
    buckets = sorted(totals)
    top = max(v[0] for v in totals.values()) or 1
    slot = width / len(buckets)
    bar = max(1.0, slot * 0.4)
    parts = [f'<svg class="chart" role="img" aria-label="offered and answered calls" width="{width}" '
             f'height="{height + 20}" viewBox="0 0 {width} {height + 20}" xmlns="http://www.w3.org/2000/svg">']
    for i, b in enumerate(buckets):
        offered, answered = totals[b]
        x = i * slot
        for dx, value, colour, label in ((0, offered, "#9aa5b1", "offered"), (bar, answered, "#2b6cb0", "answered")):
            h = height * value / top
            parts.append(f'<rect x="{x + dx:.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{escape(str(b))} {label}: {value}</title></rect>')
        if len(buckets) <= 31:
            parts.append(f'<text x="{x:.1f}" y="{height + 14}" font-size="10">{escape(b.strftime("%m-%d %H:%M"))}'
                         '</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


PAGE = """{% extends "base.html" %}
{% block title %}Reports{% endblock %}
{% block content %}
<h1>Call report</h1>
<form method="get" class="filters">
  <label>From <input type="date" name="start" value="{{ p.first }}"></label>
  <label>To <input type="date" name="end" value="{{ p.last }}"></label>
  <label>Interval <select name="interval">{% for i in intervals %}<option{% if i == p.interval %} selected{% endif %}>{{ i }}</option>{% endfor %}</select></label>
  <label>By <select name="by">{% for b in bys %}<option{% if b == p.by %} selected{% endif %}>{{ b }}</option>{% endfor %}</select></label>
  <button type="submit">Show</button>
  <a href="{{ url_for('reports.export_csv', **args) }}">CSV</a>
  <a href="{{ url_for('reports.agents', **args) }}">Agents</a>
</form>
{{ chart }}
<table class="report">
  <thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
  <tbody>{% for r in rows %}<tr>
    {% for c in columns %}<td>{% if c == 'offered' %}<a href="{{ url_for('reports.calls', bucket=r.bucket.isoformat(), interval=p.interval, by=p.by, key=r.key or '') }}">{{ r[c] }}</a>{% elif c == 'bucket' %}{{ r.bucket.strftime('%Y-%m-%d %H:%M') }}{% else %}{{ '' if r[c] is none else r[c] }}{% endif %}</td>{% endfor %}
  </tr>{% else %}<tr><td colspan="{{ columns|length }}">No calls in this range.</td></tr>{% endfor %}</tbody>
</table>
{% endblock %}"""

CALLS = """{% extends "base.html" %}
{% block title %}Calls{% endblock %}
{% block content %}
<h1>Calls {{ by }} {{ key or '(none)' }} from {{ start.strftime('%Y-%m-%d %H:%M') }}</h1>
<table class="report"><thead><tr><th>call</th><th>entered</th><th>caller</th><th>queue</th><th>agent</th><th>outcome</th><th>wait s</th><th>talk s</th></tr></thead>
<tbody>{% for c in calls %}<tr><td><a href="{{ url_for('reports.timeline', call_id=c.call_id) }}">{{ c.call_id }}</a></td>
<td>{{ c.entered_at }}</td><td>{{ c.caller or '' }}</td><td>{{ c.queue or '' }}</td><td>{{ c.agent_id or '' }}</td>
<td>{{ c.outcome or '' }}</td><td>{{ c.wait_s }}</td><td>{{ c.talk_s }}</td></tr>{% endfor %}</tbody></table>
{% if calls|length >= limit %}<p>First {{ limit }} calls only.</p>{% endif %}
{% endblock %}"""

TIMELINE = """{% extends "base.html" %}
{% block title %}Call {{ call.call_id }}{% endblock %}
{% block content %}
<h1>Call {{ call.call_id }}</h1>
<p>{{ call.caller or 'unknown caller' }} → {{ call.did or '' }} · {{ call.outcome or '' }} · {{ call.disposition or '' }}</p>
<h2>Timeline</h2>
<ol class="timeline">{% for at, what in events %}<li><time>{{ at }}</time> {{ what }}</li>{% endfor %}</ol>
<h2>IVR path</h2><ol>{% for step in call.ivr_path %}<li>{{ step }}</li>{% else %}<li>none</li>{% endfor %}</ol>
<h2>Offers and routing explanations</h2>
<table class="report"><thead><tr><th>kind</th><th>agent</th><th>at</th><th>details</th></tr></thead><tbody>
{% for e in call.explanations %}<tr><td>{{ e.kind }}</td><td>{{ e.agent or '' }}</td><td>{{ e.at or '' }}</td>
<td>{% for k, v in e.items() if k not in ('kind', 'agent', 'at') %}{{ k }}: {{ v }}{% if not loop.last %}; {% endif %}{% endfor %}</td></tr>
{% else %}<tr><td colspan="4">offered to: {{ call.offers|join(', ') or 'nobody' }}</td></tr>{% endfor %}</tbody></table>
<h2>Wrap-up</h2><ul>{% for e in effects %}<li>{{ e.kind }} {{ e.key }}: {{ e.status }}{% if e.last_error %} ({{ e.last_error }}){% endif %}</li>{% else %}<li>nothing yet</li>{% endfor %}</ul>
{% if has_recording %}<p><a href="{{ url_for('reports.recording', call_id=call.call_id) }}">Play recording</a>{% if recording %} ({{ recording.duration_s }} s, sha256 {{ recording.sha256[:12] }}…){% endif %}</p>{% endif %}
{% endblock %}"""

AGENTS = """{% extends "base.html" %}
{% block title %}Agents{% endblock %}
{% block content %}
<h1>Agents {{ p.first }} – {{ p.last }}</h1>
<table class="report"><thead><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for r in rows %}<tr>{% for c in columns %}<td>{% if c == 'bucket' %}{{ r.bucket.strftime('%Y-%m-%d %H:%M') }}{% elif c == 'breaks' %}{% for k, v in r.breaks.items() %}{{ k }} {{ v }}s {% endfor %}{% else %}{{ '' if r[c] is none else r[c] }}{% endif %}</td>{% endfor %}</tr>{% endfor %}
</tbody></table>
{% endblock %}"""

FAILED = """{% extends "base.html" %}
{% block title %}Failed jobs{% endblock %}
{% block content %}
<h1>Failed wrap-up jobs ({{ queue }})</h1>
<table class="report"><thead><tr><th>job</th><th>function</th><th>error</th><th></th></tr></thead><tbody>
{% for j in jobs %}<tr><td>{{ j.id }}</td><td>{{ j.func }}</td><td><pre>{{ j.error }}</pre></td><td>
<form method="post" action="{{ url_for('reports.retry_job', job_id=j.id) }}"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}"><button type="submit">Retry</button></form></td></tr>
{% else %}<tr><td colspan="4">No failed jobs.</td></tr>{% endfor %}</tbody></table>
<h2>Side effects not done</h2>
<table class="report"><thead><tr><th>effect</th><th>status</th><th>attempts</th><th>last error</th><th>updated</th></tr></thead><tbody>
{% for e in effects %}<tr><td><a href="{{ url_for('reports.timeline', call_id=e.call_id) }}">{{ e.key }}</a></td><td>{{ e.status }}</td><td>{{ e.attempts }}</td><td>{{ e.last_error or '' }}</td><td>{{ e.updated_at }}</td></tr>
{% else %}<tr><td colspan="5">None.</td></tr>{% endfor %}</tbody></table>
{% endblock %}"""
