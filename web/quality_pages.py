"""HTML of the quality pages (Jinja templates extending base.html) and the timeline's geometry.

The timeline is an inline SVG (presentation attributes, no inline style or script: the console's CSP);
web/static/quality.js seeks the recording player to a segment clicked.
"""
from __future__ import annotations

from typing import Any

WIDTH = 1000.0


def timeline_rows(metrics: dict[str, Any] | None) -> dict[str, Any] | None:
    """Rectangles in a 0..1000 wide box: speech per side, talk-over, and the scale's ticks."""
    if not metrics or not metrics.get("duration_s"):
        return None
    duration = float(metrics["duration_s"])

    def rects(segments) -> list[dict[str, float]]:
        return [{"x": round(a / duration * WIDTH, 1), "w": max(1.0, round((b - a) / duration * WIDTH, 1)),
                 "start": round(a, 2), "end": round(b, 2)} for a, b in segments]

    from control.domain.quality.segments import intersection

    agent, caller = metrics.get("agent") or [], metrics.get("caller") or []
    step = 5 if duration <= 60 else 30 if duration <= 600 else 120
    return {"agent": rects(agent), "caller": rects(caller), "over": rects(intersection(agent, caller)),
            "ticks": [{"x": round(t / duration * WIDTH, 1), "label": f"{t // 60}:{t % 60:02d}"}
                      for t in range(0, int(duration) + 1, step)],
            "duration": duration}


CALL = """{% extends "base.html" %}
{% block title %}{{ _('Evaluate call') }} {{ call.call_id }}{% endblock %}
{% block content %}
<h1>{{ _('Evaluate call') }} {{ call.call_id }}</h1>
<p>{{ _('Agent') }} <strong>{{ call.agent_id or '-' }}</strong> · {{ _('Queue') }} {{ call.queue or '-' }} ·
{{ call.ended_at.strftime('%Y-%m-%d %H:%M') if call.ended_at else '' }} ·
<a href="{{ url_for('reports.timeline', call_id=call.call_id) }}">{{ _('Call timeline') }}</a></p>
<div class="grid quality-top">
<section>
{% if has_recording %}<figure class="recording"><audio id="recording-player" controls preload="metadata" src="{{ url_for('reports.recording', call_id=call.call_id) }}"></audio>
<figcaption>{{ _('Playing is recorded in the audit log.') }}</figcaption></figure>{% else %}<p>{{ _('No recording to play.') }}</p>{% endif %}
{% if timeline %}<figure class="speech-timeline" id="speech-timeline">
<svg viewBox="0 0 1000 92" preserveAspectRatio="none" width="100%" height="92" role="img" aria-label="{{ _('Speech and silence per side') }}">
  <text x="2" y="12" font-size="11" fill="#555">{{ _('Agent') }}</text>
  <rect x="0" y="16" width="1000" height="22" fill="#edf2f7"></rect>
  {% for r in timeline.agent %}<rect class="seg agent" data-start="{{ r.start }}" x="{{ r.x }}" y="16" width="{{ r.w }}" height="22" fill="#2b6cb0"><title>{{ _('Agent') }} {{ r.start }}–{{ r.end }} s</title></rect>{% endfor %}
  <text x="2" y="52" font-size="11" fill="#555">{{ _('Caller') }}</text>
  <rect x="0" y="56" width="1000" height="22" fill="#edf2f7"></rect>
  {% for r in timeline.caller %}<rect class="seg caller" data-start="{{ r.start }}" x="{{ r.x }}" y="56" width="{{ r.w }}" height="22" fill="#2f855a"><title>{{ _('Caller') }} {{ r.start }}–{{ r.end }} s</title></rect>{% endfor %}
  {% for r in timeline.over %}<rect class="over" x="{{ r.x }}" y="38" width="{{ r.w }}" height="18" fill="#c53030"><title>{{ _('Talk-over') }} {{ r.start }}–{{ r.end }} s</title></rect>{% endfor %}
  {% for t in timeline.ticks %}<line x1="{{ t.x }}" y1="80" x2="{{ t.x }}" y2="84" stroke="#777"></line><text x="{{ t.x + 2 }}" y="91" font-size="8" fill="#777">{{ t.label }}</text>{% endfor %}
</svg>
<figcaption>{{ _('Blue: agent speaking; green: caller; red: both at once; grey: silence. Click a segment to play from there.') }}</figcaption></figure>{% endif %}
{% if q %}<table class="report" id="quality-metrics"><tbody>
<tr><th>{{ _('Agent talk') }}</th><td data-metric="agent_talk_s">{{ mmss(q.agent_talk_s) }}</td><th>{{ _('Caller talk') }}</th><td data-metric="caller_talk_s">{{ mmss(q.caller_talk_s) }}</td></tr>
<tr><th>{{ _('Agent talk ratio') }}</th><td data-metric="agent_talk_ratio">{{ '%.0f%%'|format(100 * q.agent_talk_ratio) if q.agent_talk_ratio is not none else '-' }}</td><th>{{ _('Silence') }}</th><td data-metric="silence_s">{{ mmss(q.silence_s) }}</td></tr>
<tr><th>{{ _('Longest silence') }}</th><td data-metric="longest_silence_s">{{ '%.1f'|format(q.longest_silence_s) }} s</td><th>{{ _('Long silences') }}</th><td data-metric="long_silences">{{ q.long_silences }}</td></tr>
<tr><th>{{ _('Talk-over') }}</th><td data-metric="talk_over_s">{{ '%.1f'|format(q.talk_over_s) }} s</td><th>{{ _('Hold') }}</th><td data-metric="hold_s">{{ mmss(q.hold_s) if q.hold_s is not none else '-' }}</td></tr>
<tr><th>{{ _('First agent word') }}</th><td data-metric="first_agent_word_s">{{ '%.1f s'|format(q.first_agent_word_s) if q.first_agent_word_s is not none else _('never') }}</td><th>{{ _('Last to speak') }}</th><td data-metric="last_speaker">{{ q.last_speaker or '-' }}{% if q.metrics.end_crosstalk %} ({{ _('both at the end') }}){% endif %}</td></tr>
<tr><th>{{ _('Hung up first') }}</th><td data-metric="hung_up_first">{{ {'caller': _('the caller'), 'agent': _('the agent'), 'system': _('the system')}.get(q.metrics.hung_up_first, '-') }}</td><th></th><td></td></tr>
</tbody></table>{% else %}<p id="not-analysed">{{ _('This call has not been analysed (no recording, or the job has not run yet).') }}</p>{% endif %}
</section>
<section>
<h2>{{ _('Transcript') }}</h2>
{% if q and q.transcript %}<dl id="transcript">{% for side in ('agent', 'caller') %}<dt>{{ _('Agent') if side == 'agent' else _('Caller') }}</dt><dd data-side="{{ side }}">{{ q.transcript[side].text if side in q.transcript else '' }}</dd>{% endfor %}</dl>
<p><small>{{ _('Machine transcript (offline engine): expect mistakes.') }}</small></p>
{% else %}<p id="transcript-status">{{ q.transcript_status if q else _('none') }}</p>{% endif %}
{% if q and q.phrases %}<h3>{{ _('Phrases') }}</h3><ul id="phrases">{% for name, hit in q.phrases.items() %}
<li data-phrase="{{ name }}" class="{{ 'ok' if hit.ok else 'fail' }}">{{ '✔' if hit.ok else '✘' }} {{ name }}: {% if hit.found %}“{{ hit.phrase }}” ({{ hit.side }}, {{ hit.at_s }} s){% else %}{{ _('not said') }}{% endif %}</li>{% endfor %}</ul>{% endif %}
</section></div>

<h2>{{ _('Scorecard') }}{% if q and q.auto_score is not none %} · {{ _('automatic') }} <span id="auto-score">{{ '%.1f'|format(q.auto_score) }}%</span>{% endif %}</h2>
<form method="post" action="{{ url_for('quality.evaluate', call_id=call.call_id) }}" id="evaluate">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<table class="report" id="criteria"><thead><tr><th>{{ _('Criterion') }}</th><th>{{ _('Kind') }}</th><th>{{ _('Weight') }}</th><th>{{ _('Result') }}</th></tr></thead><tbody>
{% set auto = {} %}{% if q %}{% for r in q.auto_results %}{% set _x = auto.update({r.id: r}) %}{% endfor %}{% endif %}
{% for c in card.criteria %}<tr data-criterion="{{ c.id }}"><td>{{ c.label }}{% if c.critical %} <strong>({{ _('critical') }})</strong>{% endif %}</td><td>{{ c.kind }}</td><td>{{ c.weight }}</td>
<td>{% if c.kind == 'auto' %}{% set r = auto.get(c.id) %}{% if r and r.passed is not none %}{{ _('pass') if r.passed else _('fail') }}{% if r.value is not none %} ({{ r.value }}){% endif %}{% else %}{{ _('not judged') }}{% endif %}
{% else %}<select name="answer-{{ c.id }}" aria-label="{{ c.label }}"><option value="">-</option>{% for v in range(c.scale + 1) %}<option value="{{ v }}"{% if mine and mine.answers.get(c.id) == v %} selected{% endif %}>{{ v }}{% if c.scale == 1 %} ({{ _('yes') if v else _('no') }}){% endif %}</option>{% endfor %}</select> / {{ c.scale }}, {{ _('pass at') }} {{ c.pass_at }}{% endif %}</td></tr>{% endfor %}
</tbody></table>
<label>{{ _('Comment for the agent') }} <textarea name="comment" rows="2">{{ mine.comment if mine and mine.comment else '' }}</textarea></label>
<button type="submit">{{ _('Save evaluation') }}</button> <small>{{ _('Pass score') }} {{ card.pass_score }}%</small>
</form>

<h2>{{ _('Evaluations') }}</h2>
<table class="report" id="evaluations"><thead><tr><th>{{ _('Evaluator') }}</th><th>{{ _('Score') }}</th><th>{{ _('Passed') }}</th><th>{{ _('Agent response') }}</th></tr></thead><tbody>
{% for e in evaluations %}<tr data-evaluator="{{ e.evaluator }}"><td>{{ e.evaluator }}</td><td>{{ '%.1f'|format(e.score) }}%</td><td>{{ _('yes') if e.passed else _('no') }}</td><td>{{ e.status }}{% if e.agent_comment %}: {{ e.agent_comment }}{% endif %}</td></tr>
{% else %}<tr><td colspan="4">{{ _('None yet.') }}</td></tr>{% endfor %}</tbody></table>
{% if compared %}<h3>{{ _('Calibration') }}: {{ evaluations[0].evaluator }} / {{ evaluations[1].evaluator }}</h3>
<p id="calibration-summary">{{ _('Score difference') }} <strong>{{ compared.score_difference }}</strong> · {{ _('criteria judged differently') }}: {{ compared.disagreements }}</p>
<table class="report" id="calibration"><thead><tr><th>{{ _('Criterion') }}</th><th>{{ evaluations[0].evaluator }}</th><th>{{ evaluations[1].evaluator }}</th><th>{{ _('Difference') }}</th></tr></thead><tbody>
{% for r in compared.criteria %}<tr data-criterion="{{ r.id }}" class="{{ '' if r.agree else 'fail' }}"><td>{{ r.label }}</td><td>{{ r.first if r.first is not none else '-' }}</td><td>{{ r.second if r.second is not none else '-' }}</td><td>{{ r.difference if r.difference is not none else '-' }}</td></tr>{% endfor %}
</tbody></table>{% endif %}
<script src="{{ url_for('static', filename='quality.js') }}" defer></script>
{% endblock %}"""

REPORT = """{% extends "base.html" %}
{% block title %}{{ _('Quality') }}{% endblock %}
{% block content %}
<h1>{{ _('Quality') }} {{ first }} – {{ last }}</h1>
<form method="get" class="filters">
  <label>{{ _('From') }} <input type="date" name="start" value="{{ first }}"></label>
  <label>{{ _('To') }} <input type="date" name="end" value="{{ last }}"></label>
  <label>{{ _('By') }} <select name="by">{% for g in groups %}<option{% if g == by %} selected{% endif %}>{{ g }}</option>{% endfor %}</select></label>
  <button type="submit">{{ _('Show') }}</button>
</form>
<h2>{{ _('Score by') }} {{ by }}</h2>
<table class="report" id="scores"><thead><tr><th>{{ by }}</th><th>{{ _('Calls') }}</th><th>{{ _('Evaluated') }}</th><th>{{ _('Score') }}</th><th>{{ _('Pass rate') }}</th></tr></thead><tbody>
{% for r in rows %}<tr data-key="{{ r.key }}"><td>{{ r.key }}</td><td>{{ r.calls }}</td><td>{{ r.evaluated }}</td><td>{{ '%.1f'|format(r.score) if r.score is not none else '-' }}</td><td>{{ '%.0f%%'|format(100 * r.pass_rate) if r.pass_rate is not none else '-' }}</td></tr>
{% else %}<tr><td colspan="5">{{ _('No analysed calls in this range.') }}</td></tr>{% endfor %}</tbody></table>
<h2>{{ _('Worst calls') }}</h2>
<table class="report" id="worst"><thead><tr><th>{{ _('Call') }}</th><th>{{ _('Agent') }}</th><th>{{ _('Queue') }}</th><th>{{ _('Score') }}</th><th>{{ _('Source') }}</th></tr></thead><tbody>
{% for r in worst %}<tr data-call="{{ r.call_id }}"><td><a href="{{ url_for('quality.call_page', call_id=r.call_id) }}">{{ r.call_id }}</a></td><td>{{ r.agent_id or '' }}</td><td>{{ r.queue or '' }}</td><td>{{ '%.1f'|format(r.score) }}%</td><td>{{ r.source }}</td></tr>
{% else %}<tr><td colspan="5">{{ _('None.') }}</td></tr>{% endfor %}</tbody></table>
<h2>{{ _('Criteria most often failed') }}</h2>
<table class="report" id="criteria-failed"><thead><tr><th>{{ _('Criterion') }}</th><th>{{ _('Judged') }}</th><th>{{ _('Failed') }}</th><th>{{ _('Fail rate') }}</th></tr></thead><tbody>
{% for r in criteria %}<tr data-criterion="{{ r.id }}"><td>{{ r.label }}</td><td>{{ r.judged }}</td><td>{{ r.failed }}</td><td>{{ '%.0f%%'|format(100 * r.fail_rate) }}</td></tr>
{% else %}<tr><td colspan="4">{{ _('None.') }}</td></tr>{% endfor %}</tbody></table>
<h2>{{ _('Calibration') }}</h2>
<table class="report" id="calibrations"><thead><tr><th>{{ _('Call') }}</th><th>{{ _('Evaluators') }}</th><th>{{ _('Score difference') }}</th><th>{{ _('Criteria judged differently') }}</th></tr></thead><tbody>
{% for r in calibration %}<tr data-call="{{ r.call_id }}"><td><a href="{{ url_for('quality.call_page', call_id=r.call_id) }}">{{ r.call_id }}</a></td><td>{{ r.first }} / {{ r.second }}</td><td>{{ r.score_difference }}</td><td>{{ r.disagreements }}</td></tr>
{% else %}<tr><td colspan="4">{{ _('No call has two evaluations in this range.') }}</td></tr>{% endfor %}</tbody></table>
{% endblock %}"""

MINE = """{% extends "base.html" %}
{% block title %}{{ _('My evaluations') }}{% endblock %}
{% block content %}
<h1>{{ _('My evaluations') }}</h1>
{% for e in evaluations %}<article class="evaluation" data-evaluation="{{ e.id }}" data-status="{{ e.status }}">
<header>{{ _('Call') }} {{ e.call_id }} · {{ e.created_at.strftime('%Y-%m-%d %H:%M') }} · {{ _('by') }} {{ e.evaluator }} ·
<strong>{{ '%.1f'|format(e.score) }}%</strong> {{ _('passed') if e.passed else _('not passed') }} · <span class="status">{{ e.status }}</span></header>
<ul>{% for r in e.results %}<li class="{{ 'ok' if r.passed else 'fail' if r.passed is sameas false else '' }}">{{ r.label }}: {% if r.passed is none %}{{ _('not judged') }}{% else %}{{ _('pass') if r.passed else _('fail') }}{% endif %}</li>{% endfor %}</ul>
{% if e.comment %}<p>{{ _('Evaluator') }}: {{ e.comment }}</p>{% endif %}
{% if e.status == 'submitted' %}<form method="post" action="{{ url_for('quality.respond', evaluation_id=e.id) }}">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<label>{{ _('Comment (needed to dispute)') }} <input name="comment"></label>
<button name="action" value="acknowledge">{{ _('Acknowledge') }}</button> <button name="action" value="dispute" class="secondary">{{ _('Dispute') }}</button>
</form>{% elif e.agent_comment %}<p>{{ _('You') }}: {{ e.agent_comment }}</p>{% endif %}
</article>{% else %}<p>{{ _('No evaluations yet.') }}</p>{% endfor %}
{% endblock %}"""
