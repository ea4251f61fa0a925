"""SIPp scenarios for driving a real FreeSWITCH the way users do (control/bench/sipp.py runs them).

SIPp fills ``[bracketed]`` keywords; values of our own come with ``-key name value``:
``rtp_ip``/``rtp_port`` (where the SDP points: a test's RtpPeer, or any port for the benchmark),
``caller`` (the calling number), ``domain``, ``contact_port`` and ``expires`` (registration).
Timings go in before SIPp reads the file (``render``): ``@hold_ms@`` (a caller hangs up after it unless
the switch does first), ``@answer_ms@`` and ``@talk_ms@`` (an agent's phone).
A caller's media: RFC 2833 keys and audio come from the socket the SDP names (tests/integration/rtp.py).
"""
from __future__ import annotations

import re

SDP = """v=0
o=hotline 53655765 2353687637 IN IP4 [rtp_ip]
s=-
c=IN IP4 [rtp_ip]
t=0 0
m=audio [rtp_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
"""

REGISTER = """<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="register">
  <send retrans="500"><![CDATA[
REGISTER sip:[domain] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[domain]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[domain]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[service]@[local_ip]:[contact_port]>
Max-Forwards: 70
Expires: [expires]
User-Agent: hotline-sipp-agent
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[domain] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[domain]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[domain]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[service]@[local_ip]:[contact_port]>
[authentication]
Max-Forwards: 70
Expires: [expires]
User-Agent: hotline-sipp-agent
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
"""

# An agent's phone ringing (the answer to the INVITE just received).
_RINGING = """  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>"""

# The re-INVITEs a held or transferred leg receives: answered with the same SDP.
_REINVITE = """
  <label id="reinvite"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

""" + SDP + """
]]></send>
  <recv request="ACK" next="talking"/>
"""

_BYE_RECEIVED = """
  <label id="bye"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
"""

def _caller_request(method: str, cseq: int, retrans: bool = False) -> str:
    """A request of the caller's dialog (after the 200 OK: route set and To tag from it)."""
    return f"""  <send{' retrans="500"' if retrans else ''}><![CDATA[
{method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: {cseq} {method}
Contact: <sip:[caller]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>"""


CALLER = """<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="caller">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[caller]@[local_ip]:[local_port]>
Max-Forwards: 70
User-Agent: hotline-sipp-caller
Content-Type: application/sdp
Content-Length: [len]

""" + SDP + """
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
""" + _caller_request("ACK", 1) + """
  <label id="talking"/>
  <recv request="INVITE" optional="true" next="reinvite" timeout="@hold_ms@" ontimeout="hangup"/>
  <recv request="BYE" next="bye"/>
""" + _REINVITE + _BYE_RECEIVED + """
  <nop next="end"/>
  <label id="hangup"/>
""" + _caller_request("BYE", 2, retrans=True) + """
  <recv response="200"/>
  <label id="end"/>
</scenario>
"""

# An agent's phone: rings, answers after [answer_ms], talks until either side hangs up. Its own BYE
# takes From/To from the INVITE (SIPp 3.6.1 expands [last_To::] to nothing, which the switch ignores).
ANSWER = """<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="agent-answers">
  <recv request="INVITE" crlf="true" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="invite_from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" check_it="true" assign_to="invite_to"/>
    </action>
  </recv>
""" + _RINGING + """
  <pause milliseconds="@answer_ms@"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

""" + SDP + """
]]></send>
  <recv request="ACK" optional="true"/>
  <label id="talking"/>
  <recv request="INVITE" optional="true" next="reinvite" timeout="@talk_ms@" ontimeout="hangup"/>
  <recv request="BYE" next="bye"/>
""" + _REINVITE + _BYE_RECEIVED + """
  <nop next="end"/>
  <label id="hangup"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: [$invite_to];tag=[pid]SIPpTag01[call_number]
To: [$invite_from]
[routes]
[last_Call-ID:]
CSeq: 2 BYE
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
  <label id="end"/>
</scenario>
"""

# An agent's phone nobody picks up: it rings until the switch gives up (CANCEL).
NO_ANSWER = """<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="agent-does-not-answer">
  <recv request="INVITE" crlf="true">
    <action><ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="invite_cseq"/></action>
  </recv>
""" + _RINGING + """
  <recv request="CANCEL"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <send><![CDATA[
SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [$invite_cseq] INVITE
Content-Length: 0

]]></send>
  <recv request="ACK"/>
</scenario>
"""

# Many phones registered by one SIPp run (the benchmark): one line per phone of an injection file
# (-inf, SEQUENTIAL: "extension;password;"), every Contact at ``contact_port`` where one answering
# SIPp serves them all. The credentials come with ``-au [field0] -ap [field1]``: SIPp 3.6.1 leaves
# "[authentication username=[field0] ...]" half expanded (the nested bracket ends the keyword).
REGISTER_MANY = REGISTER.replace('name="register"', 'name="register-many"').replace("[service]", "[field0]")

# Callers of one SIPp run at a rate (the benchmark): each call's number is ``caller`` followed by
# SIPp's call number, so the agent's INVITE (whose From carries it) names the call it belongs to.
CALLER_NUMBERED = CALLER.replace('name="caller"', 'name="caller-numbered"').replace("[caller]", "[caller][call_number]")

SCENARIOS = {"register": REGISTER, "caller": CALLER, "answer": ANSWER, "no-answer": NO_ANSWER,
             "register-many": REGISTER_MANY, "caller-numbered": CALLER_NUMBERED}


def render(name: str, **timings: int) -> str:
    """The scenario's XML with its ``@timing@`` values filled in."""
    text = SCENARIOS[name]
    for key, value in timings.items():
        text = text.replace(f"@{key}@", str(int(value)))
    left = sorted(set(re.findall(r"@(\w+)@", text)))
    if left:
        raise ValueError(f"scenario {name} needs {', '.join(left)}")
    return text
