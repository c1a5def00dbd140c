#!/usr/bin/env python3
"""An OCPP 2.0.1 charging station built on the `ocpp` library's v201 ChargePoint (mobilityhouse,
not written by us), one station per process, one EVSE with one connector and a simulated car.
Modelled on ocpp_charge_point.py (the 1.6 peer), whose profile arithmetic and output helpers it
reuses.

Usage: ocpp201_charge_point.py --url ws://127.0.0.1:PORT/ocpp/CS1 [--password PW]
           [--subprotocols ocpp2.0.1,ocpp1.6] [--events] [--lifetime 120] [--ev-max-a 32]
           [--ev-phases 3] [--plug-at 1.0] [--unplug-at S] [--id-token TAG] [--max-a 32]
           [--rate-units A,W] [--notify-event] [--reconnect-s 1.0]
           [--reject-purposes TxDefaultProfile,ChargingStationMaxProfile,TxProfile] [--reject-all-profiles]
--plug-at -1: the car never plugs in; no --unplug-at: it never leaves.

The station offers --subprotocols and speaks only 2.0.1: a server choosing another one is
reported ({"event":"no_subprotocol"}) and the connection closed. Both the ocpp library's schema
validation of every CALL from the server and the handlers below check what the bridge sends.

Smart charging (OCPP 2.0.1 K01, one EVSE): the effective limit is, among the valid TxProfiles of
the running transaction or else the valid TxDefaultProfiles (EVSE 0 or 1), the one with the
highest stackLevel whose schedule has an active period; capped by the valid
ChargingStationMaxProfile (EVSE 0) with the highest stackLevel; --max-a when none gives a limit.
W are turned into A by 230 V x numberPhases (3 when absent). --reject-purposes answers Rejected
to every SetChargingProfile of those purposes (stations in the field that take no such profile),
--reject-all-profiles to every one.

Transactions start when the car is plugged (Authorize first with --id-token, then
TransactionEvent Started with the idToken), send Updated with meter values every
SampledDataCtrlr.TxUpdatedInterval seconds (Current.Import per phase, Voltage,
Power.Active.Import, Energy.Active.Import.Register in kWh with multiplier 0, SoC), and end with
Ended when the car leaves or on RequestStopTransaction.

Stdout: "ready" after the first accepted boot, else one JSON object a line:
  {"event":"connected","subprotocol":S} {"event":"no_subprotocol","value":S} {"event":"refused","status":N}
  {"event":"connect_error","error":E} {"event":"closed","code":C}
  {"event":"boot","status":S,"interval":N}
  {"event":"limit","amps":X}
  {"event":"authorize","id_token":T,"status":S}
  {"event":"transaction","id":T,"id_token":T,"status":S}   (TransactionEvent Started answered)
  {"event":"stopped","id":T,"energy_wh":E,"reason":R}
  {"event":"profile","id","stack","purpose","evse","limit","unit","phases","valid_to","kind","status"}
  {"event":"cleared","ids":[...],"status":S}
  {"event":"get_variables","names":[...]} {"event":"set_variable","name":N,"value":V,"status":S}
  {"event":"trigger","message":M,"status":S}
  {"event":"remote_start","id_token":T,"remote_start_id":N,"status":S,"started":bool}
  {"event":"remote_stop","id":T,"status":S}
  {"event":"availability","evse":N,"status":S,"answer":S}
  {"event":"reset","type":T}
  {"event":"call_error","action":A,"error":E} {"event":"invalid_response","action":A,"error":E}
  {"event":"timeout","action":A}
with --events also {"event":"meter","amps":A,"phases":P,"energy_wh":E}.
Stops on SIGTERM/SIGINT or after --lifetime seconds.
"""
import argparse
import asyncio
import logging
import signal
import sys
import time
import uuid

from websockets.exceptions import ConnectionClosed

from ocpp.routing import after, on
from ocpp.v201 import ChargePoint as OcppChargePoint
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from ocpp_charge_point import ChargePoint as ChargePoint16
from ocpp_charge_point import MIN_A, PHASES, TICK, VOLTS, Profile, emit, iso, num, plain, serve, utcnow, wait_or_stop

MEASURANDS = ["Current.Import", "Voltage", "Power.Active.Import", "Energy.Active.Import.Register", "SoC"]


def as16(raw):
    """A 2.0.1 chargingProfile in the 1.6 shape Profile reads (one schedule)."""
    schedule = raw["charging_schedule"][0]
    return dict(raw, charging_profile_id=raw["id"], charging_schedule=schedule)


class Station:
    """What the station keeps across connections: meter, car, transaction, profiles, variables."""

    def __init__(self, args):
        self.args = args
        self.t0 = time.monotonic()
        self.profiles = []
        self.variables = {"TxUpdatedInterval": 10.0, "TxUpdatedMeasurands": list(MEASURANDS)}
        self.energy_wh = 0.0
        self.plugged = False
        self.session_used = False
        self.tx_id = None
        self.tx_energy_start = 0.0
        self.tx_token = None
        self.seq = 0
        self.inoperative = False
        self.remote_start = None      # (token, remote start id) waiting for the car
        self.ended = []               # (transaction id, reason) to report
        self.limit_a = self.effective_limit()
        self.draw_a, self.draw_phases = 0.0, 0

    def next_seq(self):
        self.seq += 1
        return self.seq - 1

    def _best(self, purpose, evses, now):
        candidates = [p for p in self.profiles if p.purpose == purpose and p.connector in evses and p.valid(now)
                      and (purpose != "TxProfile" or p.tx_id == self.tx_id)]
        candidates.sort(key=lambda p: (p.stack, p.connector), reverse=True)
        for profile in candidates:
            period = profile.active_period(now, None)
            if period is not None:
                return profile.amps(period)
        return None

    def effective_limit(self):
        now = utcnow()
        base = self._best("TxProfile", [1], now) if self.tx_id is not None else None
        if base is None:
            base = self._best("TxDefaultProfile", [0, 1], now)
        cap = self._best("ChargingStationMaxProfile", [0], now)
        amps = base if base is not None else float(self.args.max_a)
        return min(amps, cap) if cap is not None else amps

    def charging_state(self):
        if self.tx_id is None:
            return "EVConnected" if self.plugged else "Idle"
        if self.inoperative or min(self.limit_a, self.args.max_a) < MIN_A:
            return "SuspendedEVSE"
        return "Charging" if self.plugged and self.args.ev_max_a > 0 else "SuspendedEV"

    def step(self, dt):
        args = self.args
        elapsed = time.monotonic() - self.t0
        plugged = elapsed >= args.plug_at and (args.unplug_at is None or elapsed < args.unplug_at)
        if not plugged:
            self.session_used = False
        self.plugged = plugged
        if self.tx_id is not None and not plugged:
            self.end("EVDisconnected")
        amps = self.effective_limit()
        if abs(amps - self.limit_a) > 0.005:
            self.limit_a = amps
            emit({"event": "limit", "amps": round(amps, 2)})
        self.draw_a, self.draw_phases = 0.0, 0
        if self.charging_state() == "Charging":
            self.draw_a = min(amps, args.ev_max_a, args.max_a)
            self.draw_phases = args.ev_phases
        self.energy_wh += self.draw_a * VOLTS * self.draw_phases * dt / 3600.0

    def end(self, reason):
        emit({"event": "stopped", "id": self.tx_id, "energy_wh": round(self.energy_wh - self.tx_energy_start), "reason": reason})
        self.ended.append((self.tx_id, reason))
        self.tx_id = None
        self.profiles = [p for p in self.profiles if p.purpose != "TxProfile"]

    def meter_value(self, context):
        measurands = self.variables["TxUpdatedMeasurands"]
        values = []
        if "Current.Import" in measurands:
            values += [{"value": round(self.draw_a if i < self.draw_phases else 0.0, 2), "measurand": "Current.Import",
                        "phase": phase, "context": context, "unitOfMeasure": {"unit": "A"}} for i, phase in enumerate(PHASES)]
        if "Voltage" in measurands:
            values += [{"value": VOLTS, "measurand": "Voltage", "phase": phase + "-N", "context": context,
                        "unitOfMeasure": {"unit": "V"}} for phase in PHASES]
        if "Power.Active.Import" in measurands:
            values.append({"value": round(self.draw_a * VOLTS * self.draw_phases), "measurand": "Power.Active.Import",
                           "context": context, "unitOfMeasure": {"unit": "W"}})
        if "Energy.Active.Import.Register" in measurands:
            values.append({"value": round(self.energy_wh / 1000, 4), "measurand": "Energy.Active.Import.Register",
                           "context": context, "unitOfMeasure": {"unit": "kWh", "multiplier": 0}})
        if "SoC" in measurands and self.plugged:
            values.append({"value": 40, "measurand": "SoC", "context": context, "location": "EV", "unitOfMeasure": {"unit": "Percent"}})
        return [{"timestamp": iso(utcnow()), "sampledValue": values}]


class ChargePoint(OcppChargePoint):
    def __init__(self, cp_id, ws, station, events):
        super().__init__(cp_id, ws, response_timeout=10)
        self.station = station
        self.events = events
        self.last_status = None

    # a CALL with the 1.6 peer's reporting: the result, or None after a CallError, a timeout or a bad response
    send = ChargePoint16.send

    async def boot(self):
        result = await self.send(call.BootNotification(
            charging_station={"model": "PyCS-201", "vendor_name": "ChargebridgeTest", "firmware_version": "peer-2.0.1"},
            reason="PowerUp"))
        if result is not None:
            emit({"event": "boot", "status": str(result.status), "interval": result.interval})
        return result

    def connector_status(self):
        st = self.station
        if st.inoperative:
            return "Unavailable"
        return "Occupied" if st.plugged or st.tx_id is not None else "Available"

    async def send_status(self, force=False):
        status = self.connector_status()
        if status == self.last_status and not force:
            return
        self.last_status = status
        await self.send(call.StatusNotification(timestamp=iso(utcnow()), connector_status=status, evse_id=1, connector_id=1))
        if self.events:
            emit({"event": "status", "status": status})

    async def transaction_event(self, kind, trigger, context, token=None, reason=None, remote_start_id=None, tx_id=None):
        st = self.station
        info = {"transaction_id": tx_id or st.tx_id, "charging_state": st.charging_state()}
        if reason:
            info["stopped_reason"] = reason
        if remote_start_id is not None:
            info["remote_start_id"] = remote_start_id
        request = call.TransactionEvent(
            event_type=kind, timestamp=iso(utcnow()), trigger_reason=trigger, seq_no=st.next_seq(), transaction_info=info,
            meter_value=st.meter_value(context), evse={"id": 1, "connector_id": 1} if kind == "Started" else None,
            id_token={"id_token": token, "type": "Central" if remote_start_id is not None else "ISO14443"} if token else None)
        return await self.send(request)

    async def begin_transaction(self, token, remote_start_id=None):
        st = self.station
        st.session_used = True
        if remote_start_id is None:
            result = await self.send(call.Authorize(id_token={"id_token": token, "type": "ISO14443"}))
            status = result.id_token_info["status"] if result else None
            emit({"event": "authorize", "id_token": token, "status": status})
            if status != "Accepted":
                return
        st.tx_id, st.tx_energy_start, st.tx_token = str(uuid.uuid4()), st.energy_wh, token
        result = await self.transaction_event("Started", "RemoteStart" if remote_start_id is not None else "Authorized",
                                              "Transaction.Begin", token=token, remote_start_id=remote_start_id)
        status = (result.id_token_info or {}).get("status") if result else None
        emit({"event": "transaction", "id": st.tx_id, "id_token": token, "status": status})

    async def controller(self):
        st = self.station
        while True:
            while st.ended:
                tx, reason = st.ended.pop(0)
                await self.transaction_event("Ended", "RemoteStop" if reason == "Remote" else "EVDeparted",
                                             "Transaction.End", reason=reason, tx_id=tx)
            await self.send_status()
            if st.plugged and st.tx_id is None and not st.inoperative:
                if st.remote_start is not None:
                    (token, remote_id), st.remote_start = st.remote_start, None
                    await self.begin_transaction(token, remote_id)
                elif not st.session_used:
                    await self.begin_transaction(st.args.id_token)
            await asyncio.sleep(0.1)

    async def heartbeats(self, interval):
        while True:
            await asyncio.sleep(interval)
            await self.send(call.Heartbeat())

    async def meter(self):
        st = self.station
        due = time.monotonic()
        while True:
            await asyncio.sleep(TICK)
            interval = float(st.variables["TxUpdatedInterval"])
            if st.tx_id is not None and interval > 0 and time.monotonic() >= due:
                due = time.monotonic() + interval
                await self.transaction_event("Updated", "MeterValuePeriodic", "Sample.Periodic")
                if self.events:
                    emit({"event": "meter", "amps": round(st.draw_a, 2), "phases": st.draw_phases, "energy_wh": round(st.energy_wh, 1)})

    # -- smart charging ------------------------------------------------------------------------
    def check_profile(self, evse_id, raw):
        st = self.station
        schedules = raw["charging_schedule"]
        purpose = raw["charging_profile_purpose"]
        if evse_id not in (0, 1):
            return "unknown EVSE"
        if len(schedules) != 1 or schedules[0]["charging_rate_unit"] not in st.args.rate_units:
            return "one schedule in a supported rate unit"
        if purpose == "ChargingStationMaxProfile" and evse_id != 0:
            return "ChargingStationMaxProfile only on EVSE 0"
        if purpose == "TxProfile" and st.tx_id is None:
            return "no transaction"
        if not 0 <= raw["stack_level"] <= 10:
            return "stackLevel out of range"
        if min(num(p["start_period"]) for p in schedules[0]["charging_schedule_period"]) != 0:
            return "first startPeriod is not 0"
        return None

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, evse_id, charging_profile, **kwargs):
        st = self.station
        reason = self.check_profile(evse_id, charging_profile)
        if reason is None and charging_profile["charging_profile_purpose"] in self.station.args.reject_purposes:
            reason = "purpose refused (--reject-purposes)"
        schedule = charging_profile["charging_schedule"][0]
        first = schedule["charging_schedule_period"][0]
        event = {"event": "profile", "id": charging_profile["id"], "stack": charging_profile["stack_level"],
                 "purpose": charging_profile["charging_profile_purpose"], "evse": evse_id, "limit": plain(num(first["limit"])),
                 "unit": schedule["charging_rate_unit"], "phases": first.get("number_phases"),
                 "valid_to": charging_profile.get("valid_to"), "kind": charging_profile["charging_profile_kind"]}
        if reason is None:
            raw = as16(charging_profile)
            if raw["charging_profile_purpose"] == "TxProfile":
                raw["transaction_id"] = st.tx_id
            profile = Profile(evse_id, raw, utcnow())
            st.profiles = [p for p in st.profiles if not (p.id == profile.id or (
                p.connector == evse_id and p.stack == profile.stack and p.purpose == profile.purpose))] + [profile]
        event["status"] = "Rejected" if reason else "Accepted"
        if reason:
            event["reason"] = reason
        emit(event)
        st.step(0)
        return call_result.SetChargingProfile(status=event["status"])

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, charging_profile_id=None, charging_profile_criteria=None, **kwargs):
        st = self.station
        removed = [p.id for p in st.profiles if charging_profile_id is None or p.id == charging_profile_id]
        st.profiles = [p for p in st.profiles if p.id not in removed]
        status = "Accepted" if removed else "Unknown"
        emit({"event": "cleared", "ids": removed, "status": status})
        st.step(0)
        return call_result.ClearChargingProfile(status=status)

    # -- device model ---------------------------------------------------------------------------
    @on(Action.get_variables)
    def on_get_variables(self, get_variable_data, **kwargs):
        units = ",".join(self.station.args.rate_units)
        known = {("SmartChargingCtrlr", "RateUnit"): units,
                 ("SampledDataCtrlr", "TxUpdatedInterval"): str(plain(self.station.variables["TxUpdatedInterval"]))}
        results = []
        for item in get_variable_data:
            key = (item["component"]["name"], item["variable"]["name"])
            result = {"component": item["component"], "variable": item["variable"],
                      "attribute_status": "Accepted" if key in known else "UnknownVariable"}
            if key in known:
                result["attribute_value"] = known[key]
            results.append(result)
        emit({"event": "get_variables", "names": [".".join(k) for k in ((i["component"]["name"], i["variable"]["name"]) for i in get_variable_data)]})
        return call_result.GetVariables(get_variable_result=results)

    @on(Action.set_variables)
    def on_set_variables(self, set_variable_data, **kwargs):
        st = self.station
        results = []
        for item in set_variable_data:
            name, value = item["variable"]["name"], item["attribute_value"]
            status = "UnknownVariable"
            if item["component"]["name"] == "SampledDataCtrlr" and name == "TxUpdatedInterval":
                status = "Accepted" if value.isdigit() else "Rejected"
                if status == "Accepted":
                    st.variables[name] = float(value)
            elif item["component"]["name"] == "SampledDataCtrlr" and name == "TxUpdatedMeasurands":
                items = [v.strip() for v in value.split(",") if v.strip()]
                status = "Accepted" if all(i in MEASURANDS for i in items) else "Rejected"
                if status == "Accepted":
                    st.variables[name] = items
            emit({"event": "set_variable", "name": f"{item['component']['name']}.{name}", "value": value, "status": status})
            results.append({"attribute_status": status, "component": item["component"], "variable": item["variable"]})
        return call_result.SetVariables(set_variable_result=results)

    # -- remote control -------------------------------------------------------------------------
    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message, evse=None, **kwargs):
        status = "Accepted" if requested_message in ("StatusNotification", "Heartbeat") else "NotImplemented"
        emit({"event": "trigger", "message": requested_message, "status": status})
        return call_result.TriggerMessage(status=status)

    @after(Action.trigger_message)
    async def after_trigger_message(self, requested_message, **kwargs):
        try:
            if requested_message == "StatusNotification":
                await self.send_status(force=True)
            elif requested_message == "Heartbeat":
                await self.send(call.Heartbeat())
        except ConnectionClosed:
            pass

    @on(Action.request_start_transaction)
    def on_request_start_transaction(self, id_token, remote_start_id, evse_id=None, **kwargs):
        st = self.station
        status = "Rejected" if evse_id not in (None, 1) or st.inoperative or st.tx_id is not None else "Accepted"
        started = status == "Accepted" and st.plugged
        if started:
            st.remote_start = (id_token["id_token"], remote_start_id)
        emit({"event": "remote_start", "id_token": id_token["id_token"], "remote_start_id": remote_start_id,
              "status": status, "started": started})
        return call_result.RequestStartTransaction(status=status)

    @on(Action.request_stop_transaction)
    def on_request_stop_transaction(self, transaction_id, **kwargs):
        st = self.station
        status = "Accepted" if st.tx_id is not None and transaction_id == st.tx_id else "Rejected"
        emit({"event": "remote_stop", "id": transaction_id, "status": status})
        if status == "Accepted":
            st.end("Remote")
        return call_result.RequestStopTransaction(status=status)

    @on(Action.change_availability)
    def on_change_availability(self, operational_status, evse=None, **kwargs):
        st = self.station
        evse_id = (evse or {}).get("id", 0)
        answer = "Accepted" if evse_id in (0, 1) else "Rejected"
        if answer == "Accepted":
            st.inoperative = operational_status == "Inoperative"
            st.step(0)
        emit({"event": "availability", "evse": evse_id, "status": operational_status, "answer": answer})
        return call_result.ChangeAvailability(status=answer)

    @on(Action.reset)
    def on_reset(self, type, **kwargs):
        emit({"event": "reset", "type": type})
        return call_result.Reset(status="Accepted")


async def session(cp, station, stop, state):
    while not stop.is_set():
        result = await cp.boot()
        if result is not None and str(result.status) == "Accepted":
            break
        await wait_or_stop(stop, station.args.reconnect_s)
    if stop.is_set():
        return
    if not state["ready"]:
        state["ready"] = True
        emit("ready")
    emit({"event": "limit", "amps": round(station.limit_a, 2)})
    await cp.send_status(force=True)
    if station.args.notify_event:
        await cp.send(call.NotifyEvent(generated_at=iso(utcnow()), seq_no=0, event_data=[{
            "event_id": 1, "timestamp": iso(utcnow()), "trigger": "Alerting", "actual_value": "true",
            "event_notification_type": "HardWiredNotification", "component": {"name": "Connector"},
            "variable": {"name": "Problem"}}]))
    await asyncio.gather(cp.heartbeats(max(1, result.interval)), cp.meter(), cp.controller())


async def run(args):
    await serve(args, Station(args), ChargePoint, session, offered=args.subprotocols, wanted="ocpp2.0.1")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--password")
    parser.add_argument("--cafile")
    parser.add_argument("--subprotocols", default="ocpp2.0.1")
    parser.add_argument("--events", action="store_true")
    parser.add_argument("--lifetime", type=float, default=120)
    parser.add_argument("--ev-max-a", type=float, default=32)
    parser.add_argument("--ev-phases", type=int, default=3)
    parser.add_argument("--plug-at", type=float, default=1.0)
    parser.add_argument("--unplug-at", type=float)
    parser.add_argument("--id-token", default="TOKEN1")
    parser.add_argument("--max-a", type=float, default=32)
    parser.add_argument("--rate-units", default="A,W")
    parser.add_argument("--notify-event", action="store_true")
    parser.add_argument("--reconnect-s", type=float, default=1.0)
    parser.add_argument("--reject-purposes", default="",
                        help="SetChargingProfile purposes answered Rejected, comma-separated")
    parser.add_argument("--reject-all-profiles", action="store_true", help="answer Rejected to every SetChargingProfile")
    args = parser.parse_args()
    args.subprotocols = [s.strip() for s in args.subprotocols.split(",") if s.strip()]
    args.rate_units = [u.strip() for u in args.rate_units.split(",") if u.strip()]
    args.reject_purposes = {p.strip() for p in args.reject_purposes.split(",") if p.strip()}
    if args.reject_all_profiles:
        args.reject_purposes = {"TxDefaultProfile", "ChargingStationMaxProfile", "TxProfile"}
    unknown = args.reject_purposes - {"TxDefaultProfile", "ChargingStationMaxProfile", "TxProfile"}
    if unknown:
        parser.error(f"--reject-purposes: unknown purposes {sorted(unknown)}")
    if args.plug_at < 0:
        args.plug_at = float("inf")
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
