"""HTML of the workforce page (a Jinja template extending base.html); the chart is drawn by
web/static/workforce.js with Chart.js from a JSON block (the console's CSP allows no inline script)."""
from __future__ import annotations

PAGE = """{% extends "base.html" %}
{% block title %}{{ _('Workforce') }}{% endblock %}
{% block content %}
<h1>{{ _('Forecast and staffing') }}: {{ queue }}</h1>
<form method="get" class="filters">
  <label>{{ _('Queue') }} <select name="queue">{% for q in queues %}<option{% if q == queue %} selected{% endif %}>{{ q }}</option>{% endfor %}</select></label>
  <label>{{ _('From') }} <input type="date" name="start" value="{{ first }}"></label>
  <label>{{ _('Days') }} <input type="number" name="days" min="1" max="7" value="{{ days }}"></label>
  <label>{{ _('Shrinkage, percent') }} <input type="number" name="shrinkage" min="0" max="94" value="{{ (shrinkage * 100)|round|int }}"></label>
  <label>{{ _('Caller patience, s (Erlang A; empty: Erlang C)') }} <input type="number" name="patience" min="1" max="3600" value="{{ patience|round|int if patience else '' }}"></label>
  <button type="submit">{{ _('Show') }}</button>
</form>
<p id="accuracy">{{ _('Forecast accuracy on the last week of history (forecast from the weeks before it)') }}:
{% if accuracy.daily_mape is not none %}{{ _('daily MAPE') }} <strong id="daily-mape">{{ '%.1f'|format(100 * accuracy.daily_mape) }}%</strong>,
{{ _('per interval (WAPE)') }} <strong id="interval-wape">{{ '%.1f'|format(100 * accuracy.interval_wape) }}%</strong> ({{ accuracy.days }} {{ _('days') }}){% else %}{{ _('not enough history') }}{% endif %}.
{{ _('Target') }}: {{ (target.level * 100)|round|int }}% {{ _('in') }} {{ target.service_level_s|round|int }} s · {{ _('model') }}: <span id="model">{{ chart.model }}</span> · {{ _('history read') }}: {{ history_days }} {{ _('days') }}.</p>
{% if chart.labels %}<figure class="chart-box"><canvas id="workforce-chart" role="img" aria-label="{{ _('Forecast calls and agents needed per 15 minutes') }}"></canvas></figure>
<script type="application/json" id="workforce-data">{{ chart|tojson }}</script>{% endif %}
<h2>{{ _('Days') }}</h2>
<table class="report" id="days"><thead><tr><th>{{ _('Day') }}</th><th>{{ _('Forecast calls') }}</th><th>{{ _('Peak agents scheduled') }}</th><th>{{ _('Agent hours') }}</th><th>{{ _('Simulated service level') }}</th>{% if covered %}<th>{{ _('Intervals short of agents (shifts)') }}</th>{% endif %}</tr></thead><tbody>
{% for d in summary %}<tr data-day="{{ d.day }}"><td>{{ d.day.strftime('%a %Y-%m-%d') }}</td><td>{{ d.calls }}</td><td>{{ d.peak }}</td><td>{{ '%.1f'|format(d.hours) }}</td>
<td data-column="simulated">{{ '%.1f%%'|format(100 * d.simulated) if d.simulated is not none else '-' }}{% if d.sim_calls %} ({{ d.sim_calls }} {{ _('calls') }}{% if d.sim_abandoned is not none %}, {{ '%.1f%%'|format(100 * d.sim_abandoned) }} {{ _('hung up') }}{% endif %}){% endif %}</td>{% if covered %}<td data-column="short">{{ d.short }}</td>{% endif %}</tr>{% endfor %}</tbody></table>
<p><a href="{{ url_for('workforce.shifts', date=first) }}">{{ _('Shifts') }}</a> · <a href="{{ url_for('workforce.adherence_report') }}">{{ _('Adherence') }}</a></p>
<h2>{{ _('Intervals of') }} {{ first }}</h2>
<div class="table-wrap"><table class="report" id="intervals"><thead><tr><th>{{ _('Interval') }}</th><th>{{ _('Calls') }}</th><th>{{ _('AHT') }}</th><th>{{ _('Erlangs') }}</th><th>{{ _('Agents') }} ({{ chart.model }})</th><th>{{ _('Scheduled') }}</th><th>{{ _('Expected SL') }}</th>{% if patience %}<th>{{ _('Expected abandons') }}</th>{% endif %}</tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r.label[11:] }}</td><td>{{ '%.1f'|format(r.offered) }}</td><td>{{ r.aht_s|round|int }} s</td><td>{{ '%.2f'|format(r.erlangs) }}</td><td>{{ r.agents }}</td><td>{{ r.scheduled }}</td><td>{{ '%.1f%%'|format(100 * r.service_level) }}</td>{% if patience %}<td>{{ '%.1f%%'|format(100 * r.abandon) }}</td>{% endif %}</tr>
{% else %}<tr><td colspan="7">{{ _('No calls forecast on this day.') }}</td></tr>{% endfor %}</tbody></table></div>
<script src="{{ url_for('static', filename='vendor/chartjs/chart.umd.min.js') }}" defer></script>
<script src="{{ url_for('static', filename='workforce.js') }}" defer></script>
{% endblock %}"""


SHIFTS = """{% extends "base.html" %}
{% block title %}{{ _('Shifts') }}{% endblock %}
{% block content %}
<h1>{{ _('Shifts on') }} {{ day }}</h1>
<form method="get" class="filters"><label>{{ _('Day') }} <input type="date" name="date" value="{{ day }}"></label> <button type="submit">{{ _('Show') }}</button>
<a href="{{ url_for('workforce.index', start=day, days=1) }}">{{ _('Coverage against the requirement') }}</a> · <a href="{{ url_for('workforce.adherence_report', date=day) }}">{{ _('Adherence') }}</a></form>
{% for e in errors %}<p class="error">{{ e }}</p>{% endfor %}
<table class="report" id="shifts"><thead><tr><th>{{ _('Agent') }}</th><th>{{ _('Start') }}</th><th>{{ _('End') }}</th><th>{{ _('Breaks') }}</th><th></th></tr></thead><tbody>
{% for id, s in rows %}<tr data-agent="{{ s.agent_id }}"><td>{{ s.agent_id }}</td><td>{{ s.start.astimezone(tz).strftime('%H:%M') }}</td><td>{{ s.end.astimezone(tz).strftime('%H:%M') }}</td>
<td>{% for a, b in s.breaks %}{{ a.astimezone(tz).strftime('%H:%M') }}–{{ b.astimezone(tz).strftime('%H:%M') }}{% if not loop.last %}, {% endif %}{% endfor %}</td>
<td><form method="post" action="{{ url_for('workforce.delete_shift', shift_id=id) }}"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}"><button class="secondary">{{ _('Delete') }}</button></form></td></tr>
{% else %}<tr><td colspan="5">{{ _('No shifts on this day.') }}</td></tr>{% endfor %}</tbody></table>
<h2>{{ _('Add a shift') }}</h2>
<form method="post" action="{{ url_for('workforce.add_shift') }}" id="add-shift" class="filters"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<input type="hidden" name="date" value="{{ day }}">
<label>{{ _('Agent') }} <select name="agent">{% for a in agents %}<option>{{ a }}</option>{% endfor %}</select></label>
<label>{{ _('Start') }} <input type="time" name="start" value="09:00"></label><label>{{ _('End') }} <input type="time" name="end" value="17:00"></label>
<label>{{ _('Breaks') }} <input name="breaks" placeholder="12:00-12:30;15:00-15:15"></label>
<button type="submit">{{ _('Add') }}</button></form>
<h2>{{ _('Import CSV') }}</h2>
<p><small>agent,date,start,end,breaks — {{ _('for example') }} <code>alice,{{ day }},09:00,17:00,12:00-12:30;15:00-15:15</code>. {{ _('Local times; a shift with the same agent and start replaces the one there.') }}</small></p>
<form method="post" action="{{ url_for('workforce.import_shifts') }}" enctype="multipart/form-data" id="import-shifts"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<input type="hidden" name="date" value="{{ day }}"><input type="file" name="file" accept=".csv,text/csv"> <button type="submit">{{ _('Import') }}</button></form>
{% endblock %}"""

SHIFT_ERRORS = """{% extends "base.html" %}
{% block title %}{{ _('Shifts not imported') }}{% endblock %}
{% block content %}
<h1>{{ _('Nothing was imported') }}</h1>
<ul id="import-errors">{% for e in errors %}<li>{{ e }}</li>{% endfor %}</ul>
<p><a href="{{ url_for('workforce.shifts', date=day) }}">{{ _('Back to the shifts') }}</a></p>
{% endblock %}"""

ADHERENCE = """{% extends "base.html" %}
{% block title %}{{ _('Adherence') }}{% endblock %}
{% block content %}
<h1>{{ _('Adherence and conformance') }}, {{ day }}</h1>
<form method="get" class="filters"><label>{{ _('Day') }} <input type="date" name="date" value="{{ day }}"></label> <button type="submit">{{ _('Show') }}</button></form>
<p><small>{{ _('Adherence: the share of the scheduled time (phones and breaks) spent doing what the schedule said. Conformance: time on the phones over scheduled phone time.') }}</small></p>
<table class="report" id="adherence"><thead><tr><th>{{ _('Agent') }}</th><th>{{ _('Scheduled') }}</th><th>{{ _('In adherence') }}</th><th>{{ _('Adherence') }}</th><th>{{ _('Phone time') }}</th><th>{{ _('Conformance') }}</th></tr></thead><tbody>
{% for r in rows %}<tr data-agent="{{ r.agent_id }}"><td>{{ r.agent_id }}</td><td>{{ '%.1f'|format(r.scheduled_s / 3600) }} h</td><td>{{ '%.1f'|format(r.adherent_s / 3600) }} h</td>
<td data-column="adherence">{{ '%.1f%%'|format(100 * r.adherence) if r.adherence is not none else '-' }}</td><td>{{ '%.1f'|format(r.phone_s / 3600) }} h</td><td data-column="conformance">{{ '%.1f%%'|format(100 * r.conformance) if r.conformance is not none else '-' }}</td></tr>
{% else %}<tr><td colspan="6">{{ _('No shifts on this day.') }}</td></tr>{% endfor %}</tbody></table>
{% endblock %}"""
