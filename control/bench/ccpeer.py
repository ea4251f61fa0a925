"""FreeSWITCH's own mod_callcenter as the peer of ``hotline bench calls --switch freeswitch
--peer mod_callcenter``: a minimal configuration written into a temporary folder (never into
freeswitch-conf/): the modules the load needs plus mod_callcenter, the same SIP profile as
Hotline's (agents register with digest auth, the trunk address is let in by an ACL into the
public context), the same agents, one queue (longest idle agent) with every agent as a tier
(contact ``user/<ext>@<domain>``), and a public dialplan that answers and enters the queue.

Parameters are mod_callcenter's own (src/mod/applications/mod_callcenter/mod_callcenter.c,
FreeSWITCH 1.10/1.11: queue params in load_queue's SWITCH_CONFIG_SET_ITEM list, agent and tier
attributes in load_config; conf/vanilla/autoload_configs/callcenter.conf.xml)."""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

QUEUE = "bench@{domain}"

MODULES = ("mod_console", "mod_logfile", "mod_event_socket", "mod_sofia", "mod_commands", "mod_dptools",
           "mod_dialplan_xml", "mod_sndfile", "mod_native_file", "mod_tone_stream", "mod_local_stream",
           "mod_callcenter")


def _agents(domain: str, phones: list[tuple[str, str]], ring_timeout_s: int) -> str:
    # wrap-up 0 and no delays, as Hotline's queue (wrap_up_s 0); max-no-answer 0: never put on break
    return "\n".join(
        f'      <agent name="{ext}@{domain}" type="callback" '
        f'contact={quoteattr(f"[call_timeout={ring_timeout_s}]user/{ext}@{domain}")} status="Available" '
        f'max-no-answer="0" wrap-up-time="0" reject-delay-time="0" busy-delay-time="0" no-answer-delay-time="0"/>'
        for ext, _ in phones)


def _tiers(domain: str, phones: list[tuple[str, str]]) -> str:
    return "\n".join(f'      <tier agent="{ext}@{domain}" queue="{QUEUE.format(domain=domain)}" level="1" position="1"/>'
                     for ext, _ in phones)


def _users(phones: list[tuple[str, str]]) -> str:
    return "\n".join(f'            <user id="{ext}">\n              <params>\n'
                     f'                <param name="password" value={quoteattr(password)}/>\n'
                     f'              </params>\n            </user>' for ext, password in phones)


def render(*, domain: str, sip_port: int, esl_port: int, esl_password: str, trunk_cidr: str, moh_dir: Path,
           phones: list[tuple[str, str]], ring_timeout_s: int = 10) -> str:
    """freeswitch.xml: the whole configuration in one file."""
    queue = QUEUE.format(domain=domain)
    modules = "\n".join(f'        <load module="{m}"/>' for m in MODULES)
    return f"""<?xml version="1.0"?>
<document type="freeswitch/xml">
  <section name="configuration" description="mod_callcenter peer of hotline bench calls">
    <configuration name="switch.conf" description="Core">
      <settings>
        <param name="max-sessions" value="12000"/>
        <param name="sessions-per-second" value="1000"/>
        <param name="rtp-start-port" value="16384"/>
        <param name="rtp-end-port" value="32768"/>
        <param name="loglevel" value="info"/>
        <param name="min-idle-cpu" value="0"/>
        <param name="colorize-console" value="false"/>
        <param name="dump-cores" value="no"/>
      </settings>
    </configuration>
    <configuration name="modules.conf" description="Modules">
      <modules>
{modules}
      </modules>
    </configuration>
    <configuration name="logfile.conf" description="File logging">
      <settings>
        <param name="rotate-on-hup" value="true"/>
      </settings>
      <profiles>
        <profile name="default">
          <settings>
            <param name="rollover" value="104857600"/>
          </settings>
          <mappings>
            <map name="all" value="info,notice,warning,err,crit,alert"/>
          </mappings>
        </profile>
      </profiles>
    </configuration>
    <configuration name="console.conf" description="Console">
      <mappings>
        <map name="all" value="err,crit,alert"/>
      </mappings>
      <settings>
        <param name="colorize" value="false"/>
        <param name="loglevel" value="err"/>
      </settings>
    </configuration>
    <configuration name="event_socket.conf" description="Inbound Event Socket">
      <settings>
        <param name="listen-ip" value="127.0.0.1"/>
        <param name="listen-port" value="{esl_port}"/>
        <param name="password" value={quoteattr(esl_password)}/>
        <param name="apply-inbound-acl" value="loopback.auto"/>
      </settings>
    </configuration>
    <configuration name="acl.conf" description="Network lists">
      <network-lists>
        <list name="trunks" default="deny">
          <node type="allow" cidr="{trunk_cidr}"/>
        </list>
      </network-lists>
    </configuration>
    <configuration name="local_stream.conf" description="Hold music">
      <directory name="moh" path={quoteattr(str(moh_dir))}>
        <param name="rate" value="8000"/>
        <param name="channels" value="1"/>
        <param name="interval" value="20"/>
        <param name="timer-name" value="soft"/>
      </directory>
    </configuration>
    <configuration name="sofia.conf" description="SIP">
      <global_settings>
        <param name="log-level" value="0"/>
      </global_settings>
      <profiles>
        <profile name="internal">
          <settings>
            <param name="sip-ip" value="127.0.0.1"/>
            <param name="sip-port" value="{sip_port}"/>
            <param name="rtp-ip" value="127.0.0.1"/>
            <param name="ext-sip-ip" value="127.0.0.1"/>
            <param name="ext-rtp-ip" value="127.0.0.1"/>
            <param name="dialplan" value="XML"/>
            <param name="context" value="public"/>
            <param name="auth-calls" value="true"/>
            <param name="apply-inbound-acl" value="trunks"/>
            <param name="accept-blind-reg" value="false"/>
            <param name="challenge-realm" value="auto_from"/>
            <param name="force-register-domain" value="{domain}"/>
            <param name="force-register-db-domain" value="{domain}"/>
            <param name="inbound-reg-force-matching-username" value="true"/>
            <param name="multiple-registrations" value="contact"/>
            <param name="inbound-codec-prefs" value="PCMU,PCMA"/>
            <param name="outbound-codec-prefs" value="PCMU,PCMA"/>
            <param name="dtmf-type" value="rfc2833"/>
            <param name="rtp-timer-name" value="soft"/>
            <param name="hold-music" value="local_stream://moh"/>
            <param name="manage-presence" value="false"/>
            <param name="enable-timer" value="false"/>
          </settings>
        </profile>
      </profiles>
    </configuration>
    <configuration name="callcenter.conf" description="CallCenter">
      <settings>
        <param name="truncate-tiers-on-load" value="true"/>
        <param name="truncate-agents-on-load" value="true"/>
      </settings>
      <queues>
        <queue name="{queue}">
          <param name="strategy" value="longest-idle-agent"/>
          <param name="moh-sound" value="local_stream://moh"/>
          <param name="time-base-score" value="system"/>
          <param name="max-wait-time" value="0"/>
          <param name="max-wait-time-with-no-agent" value="0"/>
          <param name="tier-rules-apply" value="false"/>
          <param name="discard-abandoned-after" value="60"/>
          <param name="abandoned-resume-allowed" value="false"/>
        </queue>
      </queues>
      <agents>
{_agents(domain, phones, ring_timeout_s)}
      </agents>
      <tiers>
{_tiers(domain, phones)}
      </tiers>
    </configuration>
  </section>
  <section name="dialplan" description="Trunk calls answered into the queue">
    <context name="public">
      <extension name="queue">
        <condition field="destination_number" expression="^\\+?[0-9]{{3,15}}$">
          <action application="answer"/>
          <action application="callcenter" data="{queue}"/>
        </condition>
      </extension>
    </context>
  </section>
  <section name="directory" description="The same agents as Hotline's">
    <domain name="{domain}">
      <params>
        <param name="dial-string" value="{{presence_id=${{dialed_user}}@${{dialed_domain}}}}${{sofia_contact(*/${{dialed_user}}@${{dialed_domain}})}}"/>
      </params>
      <groups>
        <group name="agents">
          <users>
{_users(phones)}
          </users>
        </group>
      </groups>
    </domain>
  </section>
</document>
"""


def stuck_agents(agent_list: str) -> int:
    """Agents of ``callcenter_config agent list`` not back to Available / Waiting."""
    lines = [line for line in agent_list.strip().splitlines() if "|" in line]
    if not lines:
        return 0
    header = lines[0].split("|")
    status, state = header.index("status"), header.index("state")
    rows = [line.split("|") for line in lines[1:] if not line.startswith("+OK")]
    return sum(1 for row in rows if len(row) > state and (row[status] != "Available" or row[state] != "Waiting"))
