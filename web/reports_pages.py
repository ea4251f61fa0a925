"""HTML of the reports pages (Jinja templates extending base.html). Numbers go through
web/report_format.py (``cell``, ``label``, ``mmss``); the chart is drawn by web/static/reports.js
with Chart.js from a JSON block (the console's CSP allows no inline script).
"""
from __future__ import annotations


PAGE = """{% extends "base.html" %}
{% block title %}{{ _('Reports') }}{% endblock %}
{% block content %}
<h1>{{ _('Call report') }}</h1>
<form method="get" class="filters">
  <label>{{ _('From') }} <input type="date" name="start" value="{{ p.first }}"></label>
  <label>{{ _('To') }} <input type="date" name="end" value="{{ p.last }}"></label>
  <label>{{ _('Interval') }} <select name="interval">{% for i in intervals %}<option{% if i == p.interval %} selected{% endif %}>{{ i }}</option>{% endfor %}</select></label>
  <label>{{ _('By') }} <select name="by">{% for b in bys %}<option{% if b == p.by %} selected{% endif %}>{{ b }}</option>{% endfor %}</select></label>
  <button type="submit">{{ _('Show') }}</button>
  <a href="{{ url_for('reports.export_csv', **args) }}" id="export-csv" download>CSV</a>
  <a href="{{ url_for('reports.export_xlsx', **args) }}" id="export-xlsx" download>Excel</a>
  <a href="{{ url_for('reports.agents', **args) }}">{{ _('Agent report') }}</a>
  <a href="{{ url_for('reports.missing_dispositions', **args) }}" id="missing-link">{{ _('Missing dispositions') }}</a>
</form>
{% if rows %}<figure class="chart-box"><canvas id="report-chart" role="img" aria-label="{{ _('Offered and answered calls and service level per period') }}"></canvas></figure>
<script type="application/json" id="chart-data">{{ chart|tojson }}</script>{% endif %}
<div class="table-wrap"><table class="report">
  <thead><tr>{% for c in columns %}<th data-column="{{ c }}">{{ label(c) }}</th>{% endfor %}</tr></thead>
  <tbody>{% for r in rows %}<tr>
    {% for c in columns %}<td data-column="{{ c }}">{% if c == 'offered' %}<a href="{{ url_for('reports.calls', bucket=r.bucket.isoformat(), interval=p.interval, by=p.by, key=r.key or '') }}">{{ cell(c, r[c]) }}</a>{% elif c == 'bucket' %}{{ r.bucket.strftime('%Y-%m-%d %H:%M') }}{% else %}{{ cell(c, r[c]) }}{% endif %}</td>{% endfor %}
  </tr>{% else %}<tr><td colspan="{{ columns|length }}">{{ _('No calls in this range.') }}</td></tr>{% endfor %}</tbody>
</table></div>
<script src="{{ url_for('static', filename='vendor/chartjs/chart.umd.min.js') }}" defer></script>
<script src="{{ url_for('static', filename='reports.js') }}" defer></script>
{% endblock %}"""

CALLS = """{% extends "base.html" %}
{% block title %}{{ _('Calls') }}{% endblock %}
{% block content %}
<h1>{{ _('Calls') }}: {{ key or _('(none)') }} · {{ start.strftime('%Y-%m-%d %H:%M') }} – {{ end.strftime('%Y-%m-%d %H:%M') }}</h1>
<p class="exports"><a href="{{ url_for('reports.calls_export', fmt='csv', **args) }}" id="export-csv" download>CSV</a>
  · <a href="{{ url_for('reports.calls_export', fmt='xlsx', **args) }}" id="export-xlsx" download>Excel</a></p>
<div class="table-wrap"><table class="report" id="calls"><thead><tr><th>{{ _('Call') }}</th><th>{{ _('Entered') }}</th><th>{{ _('Caller') }}</th>
<th>{{ _('Queue') }}</th><th>{{ _('Agent') }}</th><th>{{ _('Outcome') }}</th><th>{{ _('Disposition') }}</th><th>{{ _('Wait') }}</th><th>{{ _('Talk') }}</th></tr></thead>
<tbody>{% for c in calls %}<tr data-call="{{ c.call_id }}"><td><a href="{{ url_for('reports.timeline', call_id=c.call_id) }}">{{ c.call_id }}</a></td>
<td>{{ c.entered_at.strftime('%Y-%m-%d %H:%M:%S') if c.entered_at else '' }}</td><td>{{ c.caller or '' }}</td><td>{{ c.queue or '' }}</td><td>{{ c.agent_id or '' }}</td>
<td>{{ outcome(c.outcome) }}</td><td>{{ c.disposition or '' }}</td><td>{{ mmss(c.wait_s) }}</td><td>{{ mmss(c.talk_s) }}</td></tr>
{% else %}<tr><td colspan="9">{{ _('No calls in this range.') }}</td></tr>{% endfor %}</tbody></table></div>
{% if calls|length >= limit %}<p>{{ _('First %(n)d calls only.', n=limit) }}</p>{% endif %}
{% endblock %}"""

TIMELINE = """{% extends "base.html" %}
{% block title %}{{ _('Call') }} {{ call.call_id }}{% endblock %}
{% block content %}
<h1>{{ _('Call') }} {{ call.call_id }}</h1>
<p>{{ call.caller or _('unknown caller') }} → {{ call.did or '' }} · {{ call.queue or '' }} · {{ outcome(call.outcome) }}{% if call.agent_id %} · {{ call.agent_id }}{% endif %}{% if call.disposition %} · {{ _('Disposition') }}: {{ call.disposition }}{% endif %}</p>
<h2>{{ _('Timeline') }}</h2>
<ol class="timeline" id="timeline">{% for at, what in events %}<li><time>{{ at.strftime('%Y-%m-%d %H:%M:%S') }}</time> {{ what }}</li>{% endfor %}</ol>
<h2>{{ _('IVR path') }}</h2><ol>{% for step in call.ivr_path %}<li>{{ step }}</li>{% else %}<li>{{ _('none') }}</li>{% endfor %}</ol>
<h2>{{ _('Offers and routing explanations') }}</h2>
<ul class="explanations">{% for e in call.explanations %}<li><time>{{ clock(e.at) }}</time> {{ explain(e) }}</li>
{% else %}<li>{{ _('offered to') }}: {{ call.offers|join(', ') or _('nobody') }}</li>{% endfor %}</ul>
<p><a href="{{ url_for('quality.call_page', call_id=call.call_id) }}" id="quality-link">{{ _('Quality: metrics, transcript and evaluation') }}</a></p>
<h2>{{ _('Wrap-up') }}</h2><ul>{% for e in effects %}<li>{{ e.kind }} {{ e.key }}: {{ e.status }}{% if e.last_error %} ({{ e.last_error }}){% endif %}</li>{% else %}<li>{{ _('nothing yet') }}</li>{% endfor %}</ul>
{% if has_recording %}<h2>{{ _('Recording') }}</h2>
<figure class="recording"><audio id="recording-player" controls preload="none" src="{{ url_for('reports.recording', call_id=call.call_id) }}"></audio>
<figcaption>{% if recording %}{{ mmss(recording.duration_s) }} · sha256 {{ recording.sha256[:12] }}… · {% endif %}<a href="{{ url_for('reports.recording', call_id=call.call_id) }}" download>{{ _('Download') }}</a> · {{ _('Playing is recorded in the audit log.') }}</figcaption></figure>{% endif %}
{% endblock %}"""

AGENTS = """{% extends "base.html" %}
{% block title %}{{ _('Agent report') }}{% endblock %}
{% block content %}
<h1>{{ _('Agent report') }} {{ p.first }} – {{ p.last }}</h1>
<p class="exports"><a href="{{ url_for('reports.agents_export', fmt='csv', **args) }}" id="export-csv" download>CSV</a>
  · <a href="{{ url_for('reports.agents_export', fmt='xlsx', **args) }}" id="export-xlsx" download>Excel</a>
  · {{ _('An agent opens their calls in that period.') }}</p>
{% if rows %}<figure class="chart-box"><canvas id="agent-chart" role="img" aria-label="{{ _('Time per agent in each state') }}"></canvas></figure>
<script type="application/json" id="agent-chart-data">{{ chart|tojson }}</script>
<script src="{{ url_for('static', filename='vendor/chartjs/chart.umd.min.js') }}" defer></script>
<script src="{{ url_for('static', filename='reports.js') }}" defer></script>{% endif %}
<div class="table-wrap"><table class="report"><thead><tr>{% for c in columns %}<th data-column="{{ c }}">{{ label(c) }}</th>{% endfor %}</tr></thead><tbody>
{% for r in rows %}<tr data-agent="{{ r.agent_id }}">{% for c in columns %}<td data-column="{{ c }}">{% if c == 'bucket' %}{{ r.bucket.strftime('%Y-%m-%d %H:%M') }}{% elif c == 'agent_id' %}<a href="{{ url_for('reports.calls', bucket=r.bucket.isoformat(), interval=p.interval, by='agent', key=r.agent_id) }}">{{ r.agent_id }}</a>{% else %}{{ cell(c, r[c]) }}{% endif %}</td>{% endfor %}</tr>{% else %}<tr><td colspan="{{ columns|length }}">{{ _('No agent activity in this range.') }}</td></tr>{% endfor %}
</tbody></table></div>
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

MISSING = """{% extends "base.html" %}
{% block title %}{{ _('Missing dispositions') }}{% endblock %}
{% block content %}
<h1>{{ _('Answered calls without their required disposition') }}, {{ p.first }} – {{ p.last }}</h1>
<p>{{ _('Queues that require one') }}: {{ required|join(', ') or _('none') }}
 · <a href="{{ url_for('reports.missing_export', fmt='csv', **args) }}" id="export-csv" download>CSV</a>
 · <a href="{{ url_for('reports.missing_export', fmt='xlsx', **args) }}" id="export-xlsx" download>Excel</a></p>
<div class="table-wrap"><table class="report" id="missing"><thead><tr><th>{{ _('Call') }}</th><th>{{ _('Entered') }}</th>
<th>{{ _('Queue') }}</th><th>{{ _('Agent') }}</th><th>{{ _('Talk') }}</th></tr></thead><tbody>
{% for c in calls %}<tr data-call="{{ c.call_id }}"><td><a href="{{ url_for('reports.timeline', call_id=c.call_id) }}">{{ c.call_id }}</a></td>
<td>{{ c.entered_at.strftime('%Y-%m-%d %H:%M') if c.entered_at else '' }}</td><td>{{ c.queue }}</td><td>{{ c.agent_id or '' }}</td><td>{{ mmss(c.talk_s) }}</td></tr>
{% else %}<tr><td colspan="5">{{ _('Every answered call has its disposition.') }}</td></tr>{% endfor %}</tbody></table></div>
{% if calls|length >= limit %}<p>{{ _('First %(n)d calls only.', n=limit) }}</p>{% endif %}
{% endblock %}"""
