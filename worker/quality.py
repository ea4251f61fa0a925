"""The quality job: analyse a recorded call after wrap-up (docs/quality.md).

Enqueued by the wrap-up fan-out (worker/fanout.py, job id ``quality-<call id>``) for every call with a
recording. It reads the stereo WAV (worker/quality_audio.py: WebRTC VAD per channel), computes the
acoustic metrics in the pure core (control/domain/quality/metrics.py) with the hold time from the call's
facts, transcribes each side where an engine exists for the call's language (worker/quality_stt.py),
spots the queue's phrases, scores the automatic criteria of the queue's scorecard, and stores one
``call_quality`` row (a rerun replaces it with the same values).

A recording that is not 16-bit PCM WAV is logged and left unanalysed (no retry: it would not change).
The archive job may move the recording while this runs: the path is read again from the
``recordings`` row, and a file not there yet raises, so RQ retries.
"""
from __future__ import annotations

import logging
import wave
from pathlib import Path
from typing import Any, Sequence

from sqlalchemy import select

from control.config import load_config
from control.domain.call_record import hung_up_first
from control.domain.quality.metrics import CallMetrics, analyse
from control.domain.quality.phrases import Word, spot
from control.domain.quality.scorecard import auto_score
from control.domain.quality.transcripts import Transcriber, pick, unavailable
from records.quality_config import QualityConfig, load_quality
from records.quality import save_analysis
from worker.quality_audio import StereoAudio, read_stereo, speech_segments
from worker.runtime import load_call, sessions_from_config

log = logging.getLogger(__name__)


def _recording(sessions, call_id: str) -> tuple[Any, Any, Path | None]:
    from records.wrapup_models import CallFacts, Recording

    with sessions() as session:
        call = load_call(session, call_id)
        facts = session.get(CallFacts, call_id)
        rec = session.scalar(select(Recording).where(Recording.call_id == call_id))
    path = Path(rec.path) if rec is not None else Path(call.recording_path) if call.recording_path else None
    return call, facts, path


def default_engines() -> list[Transcriber]:
    from worker.quality_stt import engines

    return engines()


def transcribe(audio: StereoAudio, metrics: CallMetrics, language: str | None,
               engines: Sequence[Transcriber]) -> tuple[str, dict[str, list[Word]] | None]:
    engine = pick(engines, language)
    if engine is None:
        return unavailable(language), None
    return "done", {"caller": list(engine.transcribe(audio.caller, audio.rate, metrics.caller)),
                    "agent": list(engine.transcribe(audio.agent, audio.rate, metrics.agent))}


def _values(call, metrics: CallMetrics, status: str, words: dict[str, list[Word]] | None,
            phrases: dict, score) -> dict[str, Any]:
    m = {**metrics.as_dict(), "hung_up_first": hung_up_first(call.explanations or [])}
    keep = ("duration_s", "caller_talk_s", "agent_talk_s", "agent_talk_ratio", "silence_s", "longest_silence_s",
            "long_silences", "talk_over_s", "hold_s", "first_agent_word_s", "last_speaker")
    transcript = ({side: {"text": " ".join(w.text for w in ws), "words": [[w.text, w.start_s] for w in ws]}
                   for side, ws in words.items()} if words is not None else {})
    return {**{k: m[k] for k in keep}, "metrics": m, "queue": call.queue, "agent_id": call.agent_id,
            "ended_at": call.ended_at, "language": call.language, "transcript_status": status,
            "transcript": transcript, "phrases": phrases, "auto_score": score.score,
            "auto_passed": score.passed if score.score is not None else None,
            "auto_results": score.results_dicts()}


def analyse_call(call_id: str, sessions=None, config: QualityConfig | None = None,
                 engines: Sequence[Transcriber] | None = None) -> str:
    sessions = sessions or sessions_from_config()
    config = config or load_quality(load_config().queues_dir)
    call, facts, path = _recording(sessions, call_id)
    if path is None:
        return "no recording"
    if not path.exists():
        raise FileNotFoundError(f"recording of {call_id} not there (yet): {path}")   # retried
    try:
        audio = read_stereo(path)
    except (wave.Error, EOFError, ValueError) as exc:   # not 16-bit PCM WAV: retrying changes nothing
        log.warning("quality %s: recording not analysed: %s", call_id, exc)
        return f"not analysed: {exc}"
    caller = speech_segments(audio.caller, audio.rate, config.vad_aggressiveness)
    agent = speech_segments(audio.agent, audio.rate, config.vad_aggressiveness)
    metrics = analyse(caller, agent, audio.duration_s, facts.hold_s if facts is not None else None, config.settings)
    queue = config.for_queue(call.queue)
    status, words = transcribe(audio, metrics, call.language, default_engines() if engines is None else engines)
    phrases = spot(queue.phrases, words) if words is not None else {}
    score = auto_score(queue.scorecard, metrics.as_dict(), phrases)
    save_analysis(sessions, call_id, _values(call, metrics, status, words, phrases, score))
    log.info("quality %s: score %s, transcript %s", call_id, score.score, status)
    return "analysed"
