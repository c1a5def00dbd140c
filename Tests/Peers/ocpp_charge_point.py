#!/usr/bin/env python3
"""An OCPP 1.6J charge point built on the `ocpp` library (mobilityhouse, not written by us), one
charge point per process, with one connector and a simulated car.

Usage: ocpp_charge_point.py --url ws://127.0.0.1:PORT/ocpp/CP1 [--password PW] [--cafile CA.pem]
           [--cert CLIENT.crt --key CLIENT.key]
           [--events] [--lifetime 120] [--ev-max-a 32] [--ev-phases 3] [--plug-at 1.0]
           [--unplug-at S] [--id-tag TAG] [--meter-interval 1.0] [--max-a 32] [--rate-units A,W]
           [--energy-unit Wh|kWh] [--vendor V] [--model M] [--reconnect-s 1.0]
           [--soc-start 20] [--battery-wh 60000] [--local-list]
           [--error-at S --error-code GroundFailure --vendor-error-code E42 --error-info TEXT]
           [--reject-purposes TxDefaultProfile,ChargePointMaxProfile] [--reject-all-profiles]
--plug-at -1: the car never plugs in; no --unplug-at: it never leaves.

The charge point id is the last path segment of the URL; with --password it sends HTTP basic
auth (user = that id). Subprotocol "ocpp1.6". TLS (wss) verifies the server against --cafile;
with --cert/--key it presents that client certificate when the server asks (security profile 3).
Every connection starts with a BootNotification; charging profiles, the meter, the transaction
and the configuration live in the process and so survive a reconnect, not a restart.

Smart charging (OCPP 1.6 §3.13): the effective limit is, among the valid TxProfiles (of the
running transaction) or else the valid TxDefaultProfiles (connector 0 or 1), the one with the
highest stackLevel whose schedule has an active period; capped by the valid ChargePointMaxProfile
with the highest stackLevel; --max-a when no profile gives a limit. W are turned into A by
230 V x numberPhases (3 when absent). Recomputed every 0.2 s. --reject-purposes answers Rejected
to every SetChargingProfile of those purposes, --reject-all-profiles to every one (chargers in the
field that take no profile, or not of that purpose). A profile whose schedule has not
started or is past its duration gives no limit (the next stack level prevails).

Stdout: "ready" once the first BootNotification is answered, otherwise one JSON object a line:
  {"event":"refused","status":401}            handshake answered with an HTTP status != 101
  {"event":"connect_error","error":"..."}     TCP/TLS/handshake failure without an HTTP status
  {"event":"no_subprotocol","value":null}     server did not select ocpp1.6 (we close with 1002)
  {"event":"connected"}                       WebSocket open
  {"event":"closed","code":1000,"reason":""}  connection ended (code 1006 when no close frame)
  {"event":"boot","status":"Accepted","interval":N}
  {"event":"limit","amps":X}                  effective limit changed (and after each boot)
  {"event":"authorize","id_tag":T,"status":S}
  {"event":"transaction","id":N,"id_tag":T,"meter_start":Wh,"status":S}
  {"event":"stopped","id":N,"energy_wh":E,"meter_stop":Wh,"reason":R}
  {"event":"profile","id","stack","purpose","connector","limit","unit","phases","valid_to","kind",
   "periods","status"} for every SetChargingProfile (limit/phases of the first period, in the
   profile's unit; +"replaced":[ids] when it replaced some, +"reason" when Rejected)
  {"event":"cleared","ids":[...],"status":"Accepted"|"Unknown"}
  {"event":"config","key":K,"value":V,"status":S}
  {"event":"get_configuration","keys":[...]}
  {"event":"trigger","message":M,"connector":C,"status":S}
  {"event":"remote_start","id_tag":T,"status":S,"started":bool}
  {"event":"remote_stop","id":N,"status":S}
  {"event":"availability","connector":C,"type":T,"status":S}
  {"event":"reset","type":"Soft"|"Hard","status":"Accepted"}   (nothing is restarted)
  {"event":"list_version","version":N}          GetLocalListVersion answered (-1 without --local-list)
  {"event":"local_list","version":N,"update":"Full"|"Differential","status":S,"tags":{id: status}}
                                                SendLocalList: the list after it (--local-list only)
With --local-list, SupportedFeatureProfiles names LocalAuthListManagement and the charger keeps a
local list (version 0, empty, at start; kept across reconnects). With --error-at S, from S seconds
on StatusNotification carries --error-code, --vendor-error-code and --error-info.
  {"event":"timeout","action":A}              no answer to our CALL within 10 s
  {"event":"call_error","action":A,"error":E} the server answered our CALL with a CALLERROR
  {"event":"invalid_response","action":A,"error":E}  its CALLRESULT failed the OCPP 1.6 schema
CALLs from the server that fail the OCPP 1.6 schema get a CALLERROR from the ocpp library;
actions not handled here (Reset, GetCompositeSchedule, ...) get NotImplemented.
with --events also: {"event":"status","status":S}, {"event":"heartbeat"},
  {"event":"meter","amps":A,"phases":P,"power_w":W,"energy_wh":E,"soc":S,"transaction":N}
Stops on SIGTERM/SIGINT or after --lifetime seconds (closing with 1000).
"""
import argparse
import asyncio
import base64
import json
import logging
import math
import signal
import ssl
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse, unquote

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from ocpp.exceptions import OCPPError
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as OcppChargePoint
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

VOLTS = 230.0
MIN_A = 6.0
MAX_STACK = 10
MAX_PERIODS = 24
MAX_PROFILES = 20
TICK = 0.2
ALL_MEASURANDS = ["Current.Import", "Voltage", "Power.Active.Import",
                  "Energy.Active.Import.Register", "SoC"]
PHASES = ["L1", "L2", "L3"]


def emit(obj):
    print(obj if isinstance(obj, str) else json.dumps(obj), flush=True)


def utcnow():
    return datetime.now(timezone.utc)


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(text):
    if text is None:
        return None
    text = str(text).strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def num(value):
    """JSON numbers of schedules arrive as decimal.Decimal (the ocpp library parses them so)."""
    return None if value is None else float(value)


def plain(value):
    """A number for a JSON event line: int when integral."""
    if value is None:
        return None
    value = round(float(value), 3)
    return int(value) if value == int(value) else value


class Profile:
    def __init__(self, connector, raw, received_at):
        self.connector = connector
        self.raw = raw
        self.id = raw["charging_profile_id"]
        self.stack = raw["stack_level"]
        self.purpose = raw["charging_profile_purpose"]
        self.kind = raw["charging_profile_kind"]
        self.recurrency = raw.get("recurrency_kind")
        self.tx_id = raw.get("transaction_id")
        self.valid_from_text = raw.get("valid_from")
        self.valid_to_text = raw.get("valid_to")
        self.valid_from = parse_time(self.valid_from_text)
        self.valid_to = parse_time(self.valid_to_text)
        schedule = raw["charging_schedule"]
        self.unit = schedule["charging_rate_unit"]
        self.duration = num(schedule.get("duration"))
        self.start_schedule = parse_time(schedule.get("start_schedule"))
        self.periods = sorted(
            ({"start": num(p["start_period"]), "limit": num(p["limit"]),
              "phases": p.get("number_phases")} for p in schedule["charging_schedule_period"]),
            key=lambda p: p["start"])
        self.received_at = received_at

    def valid(self, now):
        return ((self.valid_from is None or now >= self.valid_from)
                and (self.valid_to is None or now < self.valid_to))

    def schedule_start(self, now, tx_start):
        if self.kind == "Relative":
            return tx_start or now
        base = self.start_schedule or self.received_at
        if self.kind == "Recurring" and now >= base:
            span = 86400 if self.recurrency == "Daily" else 7 * 86400
            cycles = math.floor((now - base).total_seconds() / span)
            return base + timedelta(seconds=cycles * span)
        return base

    def active_period(self, now, tx_start):
        elapsed = (now - self.schedule_start(now, tx_start)).total_seconds()
        if elapsed < 0 or (self.duration is not None and elapsed >= self.duration):
            return None
        current = None
        for period in self.periods:
            if period["start"] <= elapsed:
                current = period
            else:
                break
        return current

    def amps(self, period):
        if self.unit == "W":
            return period["limit"] / (VOLTS * (period["phases"] or 3))
        return period["limit"]


class Station:
    """What the charger keeps across connections: meter, car, transaction, profiles, config."""

    def __init__(self, args):
        self.args = args
        self.t0 = time.monotonic()
        self.profiles = []
        self.config = {
            "HeartbeatInterval": 300,
            "MeterValueSampleInterval": args.meter_interval,
            "MeterValuesSampledData": list(ALL_MEASURANDS),
        }
        self.energy_wh = 0.0
        self.plugged = False
        self.plug_energy = 0.0         # energy register when the car plugged in (for SoC)
        self.session_used = False      # this plug-in already led to a transaction attempt
        self.tx_id = None
        self.tx_start = None
        self.tx_meter_start = 0
        self.tx_id_tag = None
        self.finishing = False
        self.inoperative = False
        self.remote_start_tag = None
        self.unsent_stops = []         # StopTransaction requests not yet answered (kept offline)
        self.limit_a, self.limit_phases = self.effective_limit()  # announced after the boot
        self.draw_a = 0.0
        self.draw_phases = 0
        self.soc = None
        self.list_version = 0
        self.local_list = {}

    # -- smart charging ---------------------------------------------------------------------
    def _best(self, purpose, connectors, now, tx_start):
        candidates = [p for p in self.profiles
                      if p.purpose == purpose and p.connector in connectors and p.valid(now)
                      and (purpose != "TxProfile" or p.tx_id == self.tx_id)]
        candidates.sort(key=lambda p: (p.stack, p.connector), reverse=True)
        for profile in candidates:
            period = profile.active_period(now, tx_start)
            if period is not None:
                return profile.amps(period), period["phases"]
        return None

    def effective_limit(self, now=None):
        now = now or utcnow()
        tx_start = self.tx_start if self.tx_id is not None else None
        base = self._best("TxProfile", [1], now, tx_start) if self.tx_id is not None else None
        if base is None:
            base = self._best("TxDefaultProfile", [0, 1], now, tx_start)
        cap = self._best("ChargePointMaxProfile", [0], now, tx_start)
        if base is None and cap is None:
            return float(self.args.max_a), None
        amps, phases = base if base is not None else (float(self.args.max_a), None)
        if cap is not None:
            amps = min(amps, cap[0])
            if cap[1]:
                phases = min(phases or 3, cap[1])
        return amps, phases

    # -- the car and the meter ----------------------------------------------------------------
    def step(self, dt):
        args = self.args
        elapsed = time.monotonic() - self.t0
        plugged = elapsed >= args.plug_at and (args.unplug_at is None or elapsed < args.unplug_at)
        if plugged and not self.plugged:
            self.plug_energy = self.energy_wh
        if not plugged:
            self.session_used = False
        self.plugged = plugged
        if self.tx_id is not None and not plugged:
            self.end_transaction("EVDisconnected")
        amps, phases = self.effective_limit()
        if abs(amps - self.limit_a) > 0.005:
            self.limit_a = amps
            emit({"event": "limit", "amps": round(amps, 2)})
        self.limit_phases = phases
        self.soc = (min(100.0, args.soc_start + (self.energy_wh - self.plug_energy) / args.battery_wh * 100)
                    if plugged else None)
        self.draw_a, self.draw_phases = 0.0, 0
        if self.tx_id is not None and self.charging_state() == "Charging":
            self.draw_a = min(amps, args.ev_max_a, args.max_a)
            self.draw_phases = max(1, min(args.ev_phases, phases or 3))
        self.energy_wh += self.draw_a * VOLTS * self.draw_phases * dt / 3600.0

    def end_transaction(self, reason):
        """The transaction ends for the charger at once, online or not; its StopTransaction is
        queued and sent (after the next boot when offline), then Finishing, then Available."""
        tx, meter_stop = self.tx_id, int(round(self.energy_wh))
        self.tx_id = None
        self.finishing = True
        self.profiles = [p for p in self.profiles if p.purpose != "TxProfile"]
        emit({"event": "stopped", "id": tx, "energy_wh": meter_stop - self.tx_meter_start,
              "meter_stop": meter_stop, "reason": reason})
        self.unsent_stops.append(call.StopTransaction(
            meter_stop=meter_stop, timestamp=iso(utcnow()), transaction_id=tx, reason=reason,
            id_tag=self.tx_id_tag))

    def charging_state(self):
        """Charging / SuspendedEVSE / SuspendedEV for a running transaction."""
        if self.inoperative or min(self.limit_a or 0, self.args.max_a) < MIN_A:
            return "SuspendedEVSE"
        if not self.plugged or self.args.ev_max_a <= 0 or (self.soc is not None and self.soc >= 100):
            return "SuspendedEV"
        return "Charging"

    def status(self):
        if self.inoperative:
            return "Unavailable"
        if self.tx_id is not None:
            return self.charging_state()
        if self.finishing:
            return "Finishing"
        return "Preparing" if self.plugged else "Available"


class ChargePoint(OcppChargePoint):
    def __init__(self, cp_id, ws, station, events):
        super().__init__(cp_id, ws, response_timeout=10)
        self.station = station
        self.events = events
        self.last_status = None

    # -- calls to the central system ------------------------------------------------------------
    async def send(self, payload):
        """A CALL; returns the result, or None after a CallError, a timeout or a bad response.
        ConnectionClosed propagates (the connection loop handles it)."""
        action = type(payload).__name__
        try:
            result = await self.call(payload, suppress=False)
        except ConnectionClosed:
            raise
        except asyncio.TimeoutError:
            emit({"event": "timeout", "action": action})
            return None
        except OCPPError as error:
            # A CALLERROR from the server, or a response that fails the OCPP 1.6 schema.
            details = getattr(error, "details", None)
            kind = "invalid_response" if isinstance(details, dict) and "ocpp_message" in details else "call_error"
            emit({"event": kind, "action": action, "error": f"{type(error).__name__}: {error}"})
            return None
        except Exception as error:  # e.g. a result with fields the dataclass does not know
            emit({"event": "invalid_response", "action": action, "error": f"{type(error).__name__}: {error}"})
            return None
        return result

    async def boot(self):
        args = self.station.args
        result = await self.send(call.BootNotification(
            charge_point_model=args.model, charge_point_vendor=args.vendor,
            firmware_version="chargebridge-peer-1.0"))
        if result is None:
            return None
        status = str(result.status)
        emit({"event": "boot", "status": status, "interval": result.interval})
        if status == "Accepted" and result.interval and result.interval > 0:
            self.station.config["HeartbeatInterval"] = int(result.interval)
        return result

    def error(self):
        """(errorCode, vendorErrorCode, info) from --error-at on, else no error."""
        args = self.station.args
        if args.error_at is None or time.monotonic() - self.station.t0 < args.error_at:
            return ("NoError", None, None)
        return (args.error_code, args.vendor_error_code, args.error_info)

    async def send_status(self, connector=1, force=False):
        status = self.station.status() if connector == 1 else (
            "Unavailable" if self.station.inoperative else "Available")
        error = self.error() if connector == 1 else ("NoError", None, None)
        if connector == 1 and not force and (status, error) == self.last_status:
            return
        await self.send(call.StatusNotification(connector_id=connector, error_code=error[0],
                                                status=status, timestamp=iso(utcnow()),
                                                vendor_error_code=error[1], info=error[2]))
        if connector == 1:
            self.last_status = (status, error)
        if self.events:
            emit({"event": "status", "connector": connector, "status": status})

    async def send_meter_values(self, context="Sample.Periodic"):
        st, args = self.station, self.station.args
        measurands = st.config["MeterValuesSampledData"]
        a, phases = st.draw_a, st.draw_phases
        values = []
        if "Current.Import" in measurands:
            for i, phase in enumerate(PHASES):
                values.append({"value": f"{a if i < phases else 0.0:.1f}", "context": context,
                               "measurand": "Current.Import", "phase": phase, "unit": "A"})
        if "Voltage" in measurands:
            for phase in PHASES:
                values.append({"value": f"{VOLTS:.1f}", "context": context, "measurand": "Voltage",
                               "phase": phase + "-N", "unit": "V"})
        power = a * VOLTS * phases
        if "Power.Active.Import" in measurands:
            values.append({"value": f"{power:.0f}", "context": context,
                           "measurand": "Power.Active.Import", "unit": "W"})
        if "Energy.Active.Import.Register" in measurands:
            if args.energy_unit == "kWh":
                text = f"{st.energy_wh / 1000:.3f}"
            else:
                text = f"{st.energy_wh:.0f}"
            values.append({"value": text, "context": context,
                           "measurand": "Energy.Active.Import.Register", "unit": args.energy_unit})
        if "SoC" in measurands and st.soc is not None:
            values.append({"value": f"{st.soc:.0f}", "context": context, "measurand": "SoC",
                           "location": "EV", "unit": "Percent"})
        tx = st.tx_id
        await self.send(call.MeterValues(
            connector_id=1, transaction_id=tx,
            meter_value=[{"timestamp": iso(utcnow()), "sampledValue": values}]))
        if self.events:
            emit({"event": "meter", "amps": round(a, 2), "phases": phases, "power_w": round(power),
                  "energy_wh": round(st.energy_wh, 1), "soc": None if st.soc is None else round(st.soc, 1),
                  "transaction": tx, "context": context})

    async def start_transaction(self, id_tag, authorize=True, profile=None):
        st = self.station
        st.session_used = True
        if authorize:
            result = await self.send(call.Authorize(id_tag=id_tag))
            status = (result.id_tag_info or {}).get("status") if result else None
            emit({"event": "authorize", "id_tag": id_tag, "status": status})
            if status != "Accepted":
                return
        meter_start = int(round(st.energy_wh))
        started = utcnow()
        result = await self.send(call.StartTransaction(connector_id=1, id_tag=id_tag,
                                                       meter_start=meter_start, timestamp=iso(started)))
        if result is None:
            emit({"event": "transaction", "id": None, "id_tag": id_tag, "status": "failed"})
            return
        st.tx_id, st.tx_start, st.tx_meter_start, st.tx_id_tag = result.transaction_id, started, meter_start, id_tag
        st.finishing = False
        emit({"event": "transaction", "id": st.tx_id, "id_tag": id_tag, "meter_start": meter_start,
              "status": (result.id_tag_info or {}).get("status")})
        if profile is not None:  # RemoteStartTransaction with a TxProfile
            profile = dict(profile, transaction_id=st.tx_id)
            self.install_profile(1, profile, "remote_start")

    async def send_unsent_stops(self):
        st = self.station
        while st.unsent_stops:
            await self.send(st.unsent_stops[0])
            st.unsent_stops.pop(0)

    # -- per-connection loops -------------------------------------------------------------------
    async def controller(self):
        st = self.station
        while True:
            if st.unsent_stops:
                await self.send_unsent_stops()
                await self.send_status()          # Finishing
            if st.finishing and not st.plugged:
                await self.send_status()          # Finishing was sent; now Available
                st.finishing = False
            await self.send_status()
            if st.plugged and st.tx_id is None and not st.inoperative:
                if st.remote_start_tag is not None:
                    tag, st.remote_start_tag = st.remote_start_tag, None
                    await self.start_transaction(tag, authorize=False, profile=self.pending_profile)
                    self.pending_profile = None
                    await self.send_status()
                elif not st.session_used and not st.finishing:
                    try:
                        await self.start_transaction(st.args.id_tag)
                    except ConnectionClosed:
                        st.session_used = st.tx_id is not None
                        raise
                    await self.send_status()
            await asyncio.sleep(0.1)

    pending_profile = None

    async def heartbeats(self):
        await self.send(call.Heartbeat())
        due = time.monotonic() + self.station.config["HeartbeatInterval"]
        while True:
            await asyncio.sleep(TICK)
            now = time.monotonic()
            due = min(due, now + self.station.config["HeartbeatInterval"])
            if now >= due:
                await self.send(call.Heartbeat())
                if self.events:
                    emit({"event": "heartbeat"})
                due = now + self.station.config["HeartbeatInterval"]

    async def meter(self):
        due = time.monotonic()
        while True:
            interval = float(self.station.config["MeterValueSampleInterval"])
            now = time.monotonic()
            if interval > 0:
                due = min(due, now + interval)
                if now >= due:
                    await self.send_meter_values()
                    due += interval
                    if due < now:
                        due = now + interval
            await asyncio.sleep(min(TICK, max(0.01, due - time.monotonic())) if interval > 0 else TICK)

    # -- smart charging handlers ---------------------------------------------------------------
    def check_profile(self, connector, raw):
        st, args = self.station, self.station.args
        schedule = raw["charging_schedule"]
        periods = schedule["charging_schedule_period"]
        if connector not in (0, 1):
            return "unknown connector"
        if schedule["charging_rate_unit"] not in args.rate_units:
            return "rate unit not supported"
        purpose = raw["charging_profile_purpose"]
        if purpose == "ChargePointMaxProfile" and connector != 0:
            return "ChargePointMaxProfile only on connector 0"
        if purpose == "TxProfile":
            if connector != 1:
                return "TxProfile needs connector 1"
            if st.tx_id is None:
                return "no transaction"
            if raw.get("transaction_id") is not None and raw["transaction_id"] != st.tx_id:
                return "transaction id does not match"
        if not 0 <= raw["stack_level"] <= MAX_STACK:
            return "stackLevel out of range"
        if not periods or len(periods) > MAX_PERIODS:
            return "bad number of periods"
        if min(num(p["start_period"]) for p in periods) != 0:
            return "first startPeriod is not 0"
        if raw["charging_profile_kind"] == "Recurring" and not raw.get("recurrency_kind"):
            return "Recurring without recurrencyKind"
        for key in ("valid_from", "valid_to"):
            try:
                parse_time(raw.get(key))
            except ValueError:
                return f"bad {key}"
        try:
            parse_time(schedule.get("start_schedule"))
        except ValueError:
            return "bad startSchedule"
        return None

    def install_profile(self, connector, raw, source="set"):
        st = self.station
        reason = self.check_profile(connector, raw)
        args = self.station.args
        if reason is None and source == "set" and (
                getattr(args, "reject_all_profiles", False)
                or raw["charging_profile_purpose"] in getattr(args, "reject_purposes", ())):
            reason = "purpose refused (--reject-purposes / --reject-all-profiles)"
        schedule = raw["charging_schedule"]
        first = sorted(schedule["charging_schedule_period"], key=lambda p: num(p["start_period"]))[0] \
            if schedule["charging_schedule_period"] else {}
        event = {"event": "profile", "id": raw["charging_profile_id"], "stack": raw["stack_level"],
                 "purpose": raw["charging_profile_purpose"], "connector": connector,
                 "limit": plain(num(first.get("limit"))), "unit": schedule["charging_rate_unit"],
                 "phases": first.get("number_phases"), "valid_to": raw.get("valid_to"),
                 "kind": raw["charging_profile_kind"], "periods": len(schedule["charging_schedule_period"])}
        if source != "set":
            event["source"] = source
        if reason is None:
            if raw["charging_profile_purpose"] == "TxProfile":
                raw = dict(raw, transaction_id=st.tx_id)
            profile = Profile(connector, raw, utcnow())
            kept = [p for p in st.profiles if not (
                p.id == profile.id or (p.connector == connector and p.stack == profile.stack
                                       and p.purpose == profile.purpose))]
            if len(kept) >= MAX_PROFILES:
                reason = "too many profiles"
            else:
                replaced = [p.id for p in st.profiles if p not in kept]
                st.profiles = kept + [profile]
                if replaced:
                    event["replaced"] = replaced
        event["status"] = "Rejected" if reason else "Accepted"
        if reason:
            event["reason"] = reason
        emit(event)
        return event["status"]

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id, cs_charging_profiles, **kwargs):
        status = self.install_profile(connector_id, cs_charging_profiles)
        self.station.step(0)  # the new limit is visible at once, not only at the next tick
        return call_result.SetChargingProfile(status=status)

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, id=None, connector_id=None, charging_profile_purpose=None,
                                  stack_level=None, **kwargs):
        st = self.station

        def matches(p):
            if id is not None:
                return p.id == id
            return ((connector_id is None or p.connector == connector_id)
                    and (charging_profile_purpose is None or p.purpose == charging_profile_purpose)
                    and (stack_level is None or p.stack == stack_level))
        removed = [p.id for p in st.profiles if matches(p)]
        st.profiles = [p for p in st.profiles if not matches(p)]
        status = "Accepted" if removed else "Unknown"
        emit({"event": "cleared", "ids": removed, "status": status, "filter": {
            "id": id, "connector": connector_id, "purpose": charging_profile_purpose, "stack": stack_level}})
        st.step(0)
        return call_result.ClearChargingProfile(status=status)

    # -- configuration ---------------------------------------------------------------------------
    def configuration(self):
        st, args = self.station, self.station.args
        units = {"A": "Current", "W": "Power"}
        interval = st.config["MeterValueSampleInterval"]
        return {
            "HeartbeatInterval": (str(st.config["HeartbeatInterval"]), False),
            "MeterValueSampleInterval": (str(plain(interval)), False),
            "MeterValuesSampledData": (",".join(st.config["MeterValuesSampledData"]), False),
            "ChargingScheduleAllowedChargingRateUnit": (",".join(units[u] for u in args.rate_units), True),
            "ChargeProfileMaxStackLevel": (str(MAX_STACK), True),
            "ChargingScheduleMaxPeriods": (str(MAX_PERIODS), True),
            "MaxChargingProfilesInstalled": (str(MAX_PROFILES), True),
            "NumberOfConnectors": ("1", True),
            "SupportedFeatureProfiles": ("Core,SmartCharging,RemoteTrigger"
                                         + (",LocalAuthListManagement" if args.local_list else ""), True),
        }

    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **kwargs):
        config = self.configuration()
        wanted = list(key) if key else list(config)
        known = [{"key": k, "readonly": config[k][1], "value": config[k][0]} for k in wanted if k in config]
        unknown = [k for k in wanted if k not in config]
        emit({"event": "get_configuration", "keys": key or [], "unknown": unknown})
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown)

    @on(Action.change_configuration)
    def on_change_configuration(self, key, value, **kwargs):
        st = self.station
        status = "NotSupported"
        try:
            if key in ("MeterValueSampleInterval", "HeartbeatInterval"):
                number = float(value)
                if key == "HeartbeatInterval":
                    ok = number > 0
                    number = int(number) if number == int(number) else number
                else:
                    ok = number >= 0
                status = "Accepted" if ok and math.isfinite(number) else "Rejected"
                if status == "Accepted":
                    st.config[key] = number
            elif key == "MeterValuesSampledData":
                items = [v.strip() for v in value.split(",") if v.strip()]
                status = "Accepted" if all(i in ALL_MEASURANDS for i in items) else "Rejected"
                if status == "Accepted":
                    st.config[key] = items
            elif key in self.configuration():
                status = "Rejected"   # read-only keys
        except ValueError:
            status = "Rejected"
        emit({"event": "config", "key": key, "value": value, "status": status})
        return call_result.ChangeConfiguration(status=status)

    # -- remote control ----------------------------------------------------------------------------
    TRIGGERABLE = ("BootNotification", "Heartbeat", "MeterValues", "StatusNotification")

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message, connector_id=None, **kwargs):
        status = "Accepted" if requested_message in self.TRIGGERABLE else "NotImplemented"
        if connector_id is not None and connector_id not in (0, 1):
            status = "Rejected"
        emit({"event": "trigger", "message": requested_message, "connector": connector_id, "status": status})
        return call_result.TriggerMessage(status=status)

    @after(Action.trigger_message)
    async def after_trigger_message(self, requested_message, connector_id=None, **kwargs):
        if requested_message not in self.TRIGGERABLE or connector_id not in (None, 0, 1):
            return
        try:
            if requested_message == "BootNotification":
                await self.boot()
            elif requested_message == "Heartbeat":
                await self.send(call.Heartbeat())
            elif requested_message == "MeterValues":
                await self.send_meter_values("Trigger")
            else:
                await self.send_status(connector_id if connector_id is not None else 1, force=True)
        except ConnectionClosed:
            pass

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(self, id_tag, connector_id=None, charging_profile=None, **kwargs):
        st = self.station
        status = "Accepted"
        if connector_id not in (None, 1) or st.inoperative:
            status = "Rejected"
        if charging_profile is not None and charging_profile.get("charging_profile_purpose") != "TxProfile":
            status = "Rejected"
        started = status == "Accepted" and st.plugged and st.tx_id is None
        if started:
            st.remote_start_tag = id_tag
            st.session_used = True
            self.pending_profile = charging_profile
        emit({"event": "remote_start", "id_tag": id_tag, "status": status, "started": started})
        return call_result.RemoteStartTransaction(status=status)

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id, **kwargs):
        st = self.station
        status = "Accepted" if st.tx_id is not None and transaction_id == st.tx_id else "Rejected"
        emit({"event": "remote_stop", "id": transaction_id, "status": status})
        if status == "Accepted":
            st.end_transaction("Remote")  # the CALLRESULT goes out before the StopTransaction
        return call_result.RemoteStopTransaction(status=status)

    @on(Action.reset)
    def on_reset(self, type, **kwargs):
        emit({"event": "reset", "type": type, "status": "Accepted"})
        return call_result.Reset(status="Accepted")

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **kwargs):
        version = self.station.list_version if self.station.args.local_list else -1
        emit({"event": "list_version", "version": version})
        return call_result.GetLocalListVersion(list_version=version)

    @on(Action.send_local_list)
    def on_send_local_list(self, list_version, update_type, local_authorization_list=None, **kwargs):
        st = self.station
        if not st.args.local_list:
            status = "NotSupported"
        else:
            entries = local_authorization_list or []
            tags = {} if update_type == "Full" else dict(st.local_list)
            for entry in entries:
                info = entry.get("id_tag_info")
                if info is None:
                    tags.pop(entry["id_tag"], None)
                else:
                    tags[entry["id_tag"]] = info["status"]
            st.local_list, st.list_version, status = tags, list_version, "Accepted"
        emit({"event": "local_list", "version": list_version, "update": update_type, "status": status,
              "tags": st.local_list})
        return call_result.SendLocalList(status=status)

    @on(Action.change_availability)
    def on_change_availability(self, connector_id, type, **kwargs):
        st = self.station
        status = "Accepted" if connector_id in (0, 1) else "Rejected"
        if status == "Accepted":
            st.inoperative = type == "Inoperative"
            st.step(0)
        emit({"event": "availability", "connector": connector_id, "type": type, "status": status})
        return call_result.ChangeAvailability(status=status)


async def simulate(station, stop):
    last = time.monotonic()
    while not stop.is_set():
        await asyncio.sleep(TICK)
        now = time.monotonic()
        station.step(now - last)
        last = now


async def wait_or_stop(stop, seconds):
    try:
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))
    except asyncio.TimeoutError:
        pass


async def session(cp, station, stop, state):
    """Boot (retrying while Pending/Rejected), then run the loops of one connection."""
    while not stop.is_set():
        result = await cp.boot()
        if result is not None and not state["ready"]:
            state["ready"] = True
            emit("ready")
        if result is not None and str(result.status) == "Accepted":
            break
        retry = result.interval if result is not None and result.interval else station.args.reconnect_s
        await wait_or_stop(stop, retry)
    if stop.is_set():
        return
    emit({"event": "limit", "amps": round(station.limit_a, 2)})
    cp.last_status = None
    await cp.send_status(force=True)
    await cp.send_unsent_stops()
    await asyncio.gather(cp.heartbeats(), cp.meter(), cp.controller())


async def run(args):
    await serve(args, Station(args), ChargePoint, session, offered=["ocpp1.6"], wanted="ocpp1.6")


async def serve(args, station, make_cp, run_session, offered, wanted):
    """Connects (again after --reconnect-s) until --lifetime or a signal; each connection runs
    `run_session(cp, station, stop, state)` with `make_cp(id, ws, station, events)`. Shared with the
    2.0.1 peer, which offers other subprotocols."""
    parsed = urlparse(args.url)
    cp_id = unquote(parsed.path.rstrip("/").rsplit("/", 1)[-1])
    headers = {}
    if args.password is not None:
        token = base64.b64encode(f"{cp_id}:{args.password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    ssl_ctx = None
    if parsed.scheme == "wss":
        ssl_ctx = ssl.create_default_context(cafile=args.cafile)
        if args.cert:
            ssl_ctx.load_cert_chain(args.cert, args.key)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.call_later(args.lifetime, stop.set)

    station.step(0)
    sim = asyncio.create_task(simulate(station, stop))
    state = {"ready": False}
    while not stop.is_set():
        try:
            ws = await connect(args.url, subprotocols=offered, additional_headers=headers,
                               ssl=ssl_ctx, proxy=None, open_timeout=5, max_size=2 ** 20)
        except InvalidStatus as error:
            emit({"event": "refused", "status": error.response.status_code})
            await wait_or_stop(stop, args.reconnect_s)
            continue
        except (OSError, InvalidHandshake, asyncio.TimeoutError, EOFError) as error:
            emit({"event": "connect_error", "error": f"{type(error).__name__}: {error}"})
            await wait_or_stop(stop, args.reconnect_s)
            continue
        emit({"event": "connected", "subprotocol": ws.subprotocol})
        if ws.subprotocol != wanted:
            emit({"event": "no_subprotocol", "value": ws.subprotocol})
            await ws.close(1002, f"{wanted} required")
            emit({"event": "closed", "code": ws.close_code, "reason": ws.close_reason})
            await wait_or_stop(stop, args.reconnect_s)
            continue
        cp = make_cp(cp_id, ws, station, args.events)
        reader = asyncio.create_task(cp.start())
        work = asyncio.create_task(run_session(cp, station, stop, state))
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait([reader, work, stopper], return_when=asyncio.FIRST_COMPLETED)
        for task in (reader, work, stopper):
            task.cancel()
        for task in (reader, work):
            try:
                await task
            except (asyncio.CancelledError, ConnectionClosed):
                pass
            except Exception as error:  # a bug or an unexpected reply: report, reconnect
                emit({"event": "error", "error": f"{type(error).__name__}: {error}"})
        if stop.is_set():
            await ws.close(1000, "charge point stopping")
        elif ws.close_code is None:
            await ws.close(1011, "charge point error")
        emit({"event": "closed", "code": ws.close_code if ws.close_code is not None else 1006,
              "reason": ws.close_reason or ""})
        if not stop.is_set():
            await wait_or_stop(stop, args.reconnect_s)
    sim.cancel()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--password")
    parser.add_argument("--cafile")
    parser.add_argument("--cert", help="client certificate (PEM) for wss, security profile 3")
    parser.add_argument("--key", help="the client certificate's key (PEM)")
    parser.add_argument("--events", action="store_true", help="also status/heartbeat/meter lines")
    parser.add_argument("--lifetime", type=float, default=120)
    parser.add_argument("--ev-max-a", type=float, default=32)
    parser.add_argument("--ev-phases", type=int, default=3)
    parser.add_argument("--plug-at", type=float, default=1.0)
    parser.add_argument("--unplug-at", type=float)
    parser.add_argument("--id-tag", default="TAG1")
    parser.add_argument("--meter-interval", type=float, default=1.0)
    parser.add_argument("--max-a", type=float, default=32)
    parser.add_argument("--rate-units", default="A,W")
    parser.add_argument("--energy-unit", choices=["Wh", "kWh"], default="Wh")
    parser.add_argument("--vendor", default="ChargebridgeTest")
    parser.add_argument("--model", default="PyCP-1")
    parser.add_argument("--reconnect-s", type=float, default=1.0)
    parser.add_argument("--soc-start", type=float, default=20.0)
    parser.add_argument("--battery-wh", type=float, default=60000.0)
    parser.add_argument("--local-list", action="store_true")
    parser.add_argument("--error-at", type=float)
    parser.add_argument("--error-code", default="OtherError")
    parser.add_argument("--vendor-error-code")
    parser.add_argument("--error-info")
    parser.add_argument("--reject-purposes", default="",
                        help="SetChargingProfile purposes answered Rejected, comma-separated")
    parser.add_argument("--reject-all-profiles", action="store_true",
                        help="answer Rejected to every SetChargingProfile")
    args = parser.parse_args()
    args.rate_units = [u.strip() for u in args.rate_units.split(",") if u.strip()]
    if not args.rate_units or any(u not in ("A", "W") for u in args.rate_units):
        parser.error("--rate-units takes A, W or A,W")
    args.reject_purposes = {p.strip() for p in args.reject_purposes.split(",") if p.strip()}
    unknown = args.reject_purposes - {"TxDefaultProfile", "ChargePointMaxProfile", "TxProfile"}
    if unknown:
        parser.error(f"--reject-purposes: unknown purposes {sorted(unknown)}")
    if args.plug_at < 0:
        args.plug_at = float("inf")
    # a parent may start us with these blocked (the mask is inherited): SIGTERM must stop us
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
