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
  <button type="submit">{{ _('Show') }}</button>
</form>
<p id="accuracy">{{ _('Forecast accuracy on the last week of history (forecast from the weeks before it)') }}:
{% if accuracy.daily_mape is not none %}{{ _('daily MAPE') }} <strong id="daily-mape">{{ '%.1f'|format(100 * accuracy.daily_mape) }}%</strong>,
{{ _('per interval (WAPE)') }} <strong id="interval-wape">{{ '%.1f'|format(100 * accuracy.interval_wape) }}%</strong> ({{ accuracy.days }} {{ _('days') }}){% else %}{{ _('not enough history') }}{% endif %}.
{{ _('Target') }}: {{ (target.level * 100)|round|int }}% {{ _('in') }} {{ target.service_level_s|round|int }} s · {{ _('history read') }}: {{ history_days }} {{ _('days') }}.</p>
{% if chart.labels %}<figure class="chart-box"><canvas id="workforce-chart" role="img" aria-label="{{ _('Forecast calls and agents needed per 15 minutes') }}"></canvas></figure>
<script type="application/json" id="workforce-data">{{ chart|tojson }}</script>{% endif %}
<h2>{{ _('Days') }}</h2>
<table class="report" id="days"><thead><tr><th>{{ _('Day') }}</th><th>{{ _('Forecast calls') }}</th><th>{{ _('Peak agents scheduled') }}</th><th>{{ _('Agent hours') }}</th><th>{{ _('Simulated service level') }}</th></tr></thead><tbody>
{% for d in summary %}<tr data-day="{{ d.day }}"><td>{{ d.day.strftime('%a %Y-%m-%d') }}</td><td>{{ d.calls }}</td><td>{{ d.peak }}</td><td>{{ '%.1f'|format(d.hours) }}</td>
<td data-column="simulated">{{ '%.1f%%'|format(100 * d.simulated) if d.simulated is not none else '-' }}{% if d.sim_calls %} ({{ d.sim_calls }} {{ _('calls') }}){% endif %}</td></tr>{% endfor %}</tbody></table>
<h2>{{ _('Intervals of') }} {{ first }}</h2>
<div class="table-wrap"><table class="report" id="intervals"><thead><tr><th>{{ _('Interval') }}</th><th>{{ _('Calls') }}</th><th>{{ _('AHT') }}</th><th>{{ _('Erlangs') }}</th><th>{{ _('Agents (Erlang C)') }}</th><th>{{ _('Scheduled') }}</th><th>{{ _('Expected SL') }}</th></tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r.label[11:] }}</td><td>{{ '%.1f'|format(r.offered) }}</td><td>{{ r.aht_s|round|int }} s</td><td>{{ '%.2f'|format(r.erlangs) }}</td><td>{{ r.agents }}</td><td>{{ r.scheduled }}</td><td>{{ '%.1f%%'|format(100 * r.service_level) }}</td></tr>
{% else %}<tr><td colspan="7">{{ _('No calls forecast on this day.') }}</td></tr>{% endfor %}</tbody></table></div>
<script src="{{ url_for('static', filename='vendor/chartjs/chart.umd.min.js') }}" defer></script>
<script src="{{ url_for('static', filename='workforce.js') }}" defer></script>
{% endblock %}"""
