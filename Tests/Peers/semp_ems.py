#!/usr/bin/env python3
"""An energy manager speaking SEMP, as an SMA Sunny Home Manager does (test peer).

Discovery: an SSDP M-SEARCH for the SEMP gateway type, sent unicast to --host:--ssdp-port (a real
Home Manager sends it to the multicast group 239.255.255.250:1900); the answer's LOCATION is the
UPnP device description, whose semp:X_SEMPSERVICE element names the SEMP server and base path.
Then, over HTTP: GET <server><basePath>/ for Device2EM (DeviceInfo, DeviceStatus, PlanningRequest),
POST an EM2Device (DeviceControl: DeviceId, On, RecommendedPowerConsumption, Timestamp) to the
same URL.

Each subcommand prints one JSON object on stdout:
  devices                                 {"gateway": ..., "devices": [{id, name, type, status,
                                           emSignalsAccepted, power, min, max, planning: [...]}]}
  control --device ID --on B --power W    {"status": 200, "body": ""}
  steer --device ID --power W --seconds S --period P
                                          the control every P seconds, the status polled after
                                          each: {"controls": [...], "samples": [{t, status, power}]}
Failures print {"error": "..."} and exit 1. Only the standard library.
"""

import argparse
import json
import socket
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

GATEWAY = "urn:schemas-simple-energy-management-protocol:device:Gateway:1"
SEMP_NS = "http://www.sma.de/communication/schema/SEMP/v1"
UPNP_NS = "urn:schemas-upnp-org:device-1-0"
SERVICE_NS = "urn:schemas-simple-energy-management-protocol:service-1-0"


class PeerError(Exception):
    pass


def discover(host, port, timeout):
    """M-SEARCH for the gateway; the LOCATION of the first answer for its type."""
    search = (
        "M-SEARCH * HTTP/1.1\r\n"
        "HOST: 239.255.255.250:1900\r\n"
        'MAN: "ssdp:discover"\r\n'
        "MX: 1\r\n"
        f"ST: {GATEWAY}\r\n"
        "\r\n"
    ).encode()
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1" if host.startswith("127.") else "", 0))
        next_send = 0.0
        while time.monotonic() < deadline:
            # UDP may drop a datagram: ask again every second until the deadline
            if time.monotonic() >= next_send:
                sock.sendto(search, (host, port))
                next_send = time.monotonic() + 1.0
            sock.settimeout(max(0.05, min(1.0, deadline - time.monotonic())))
            try:
                data, _ = sock.recvfrom(4096)
            except socket.timeout:
                continue
            headers = parse_headers(data.decode("utf-8", "replace"))
            if headers.get("st") == GATEWAY and "location" in headers:
                return headers["location"], headers
    raise PeerError(f"no SSDP answer from {host}:{port} within {timeout} s")


def parse_headers(text):
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or not lines[0].startswith("HTTP/1.1 200"):
        return {}
    headers = {}
    for line in lines[1:]:
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def http(method, url, body=None, timeout=30.0):
    request = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/xml")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def gateway(args):
    location, _ = discover(args.host, args.ssdp_port, args.timeout)
    status, body = http("GET", location, timeout=args.timeout)
    if status != 200:
        raise PeerError(f"description {location}: HTTP {status}")
    root = ET.fromstring(body)
    device = root.find(f"{{{UPNP_NS}}}device")
    if device is None or device.findtext(f"{{{UPNP_NS}}}deviceType") != GATEWAY:
        raise PeerError("the description is not a SEMP gateway's")
    service = device.find(f"{{{SERVICE_NS}}}X_SEMPSERVICE")
    if service is None:
        raise PeerError("no semp:X_SEMPSERVICE in the description")
    server = service.findtext(f"{{{SERVICE_NS}}}server", "").strip()
    base = service.findtext(f"{{{SERVICE_NS}}}basePath", "").strip()
    if not server or not base:
        raise PeerError("semp:server or semp:basePath missing")
    return {
        "location": location,
        "udn": device.findtext(f"{{{UPNP_NS}}}UDN", "").strip(),
        "friendlyName": device.findtext(f"{{{UPNP_NS}}}friendlyName", ""),
        "url": server.rstrip("/") + "/" + base.strip("/") + "/",
        "transport": service.findtext(f"{{{SERVICE_NS}}}transport", ""),
    }


def q(name):
    return f"{{{SEMP_NS}}}{name}"


def number(element, name):
    text = element.findtext(q(name))
    return int(float(text)) if text not in (None, "") else None


def read_devices(url, timeout):
    status, body = http("GET", url, timeout=timeout)
    if status != 200:
        raise PeerError(f"GET {url}: HTTP {status}")
    root = ET.fromstring(body)
    if root.tag != q("Device2EM"):
        raise PeerError(f"root {root.tag}, not Device2EM")
    devices = {}
    order = []
    for info in root.findall(q("DeviceInfo")):
        ident = info.find(q("Identification"))
        chars = info.find(q("Characteristics"))
        device_id = ident.findtext(q("DeviceId"))
        order.append(device_id)
        devices[device_id] = {
            "id": device_id,
            "name": ident.findtext(q("DeviceName")),
            "type": ident.findtext(q("DeviceType")),
            "min": number(chars, "MinPowerConsumption"),
            "max": number(chars, "MaxPowerConsumption"),
            "status": None,
            "emSignalsAccepted": None,
            "power": None,
            "planning": [],
        }
    for status in root.findall(q("DeviceStatus")):
        device = devices.setdefault(status.findtext(q("DeviceId")), {"planning": []})
        device["status"] = status.findtext(q("Status"))
        device["emSignalsAccepted"] = status.findtext(q("EMSignalsAccepted")) in ("true", "1")
        info = status.find(q("PowerConsumption")).find(q("PowerInfo"))
        device["power"] = number(info, "AveragePower")
    for request in root.findall(q("PlanningRequest")):
        for frame in request.findall(q("Timeframe")):
            device = devices.get(frame.findtext(q("DeviceId")))
            if device is None:
                continue
            device["planning"].append({
                "earliestStart": number(frame, "EarliestStart"),
                "latestEnd": number(frame, "LatestEnd"),
                "minEnergy": number(frame, "MinEnergy"),
                "maxEnergy": number(frame, "MaxEnergy"),
            })
    return [devices[i] for i in order]


def em2device(device, on, power):
    root = ET.Element("EM2Device", xmlns=SEMP_NS)
    control = ET.SubElement(root, "DeviceControl")
    ET.SubElement(control, "DeviceId").text = device
    ET.SubElement(control, "On").text = "true" if on else "false"
    if power is not None:
        ET.SubElement(control, "RecommendedPowerConsumption").text = str(power)
    ET.SubElement(control, "Timestamp").text = "0"
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)


def send_control(url, device, on, power, timeout):
    status, body = http("POST", url, em2device(device, on, power), timeout=timeout)
    return {"status": status, "body": body.decode("utf-8", "replace")}


def main():
    parser = argparse.ArgumentParser(description="A SEMP energy manager (test peer)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ssdp-port", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=30.0)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("devices")
    control = commands.add_parser("control")
    control.add_argument("--device", required=True)
    control.add_argument("--on", choices=["true", "false"], required=True)
    control.add_argument("--power", type=int)
    steer = commands.add_parser("steer")
    steer.add_argument("--device", required=True)
    steer.add_argument("--power", type=int, required=True)
    steer.add_argument("--seconds", type=float, required=True)
    steer.add_argument("--period", type=float, default=5.0)
    args = parser.parse_args()

    try:
        found = gateway(args)
        url = found["url"]
        if args.command == "devices":
            result = {"gateway": found, "devices": read_devices(url, args.timeout)}
        elif args.command == "control":
            result = send_control(url, args.device, args.on == "true", args.power, args.timeout)
        else:
            start = time.monotonic()
            controls, samples = [], []
            while True:
                sent = send_control(url, args.device, True, args.power, args.timeout)
                controls.append({"t": round(time.monotonic() - start, 3), **sent})
                for device in read_devices(url, args.timeout):
                    if device["id"] == args.device:
                        samples.append({"t": round(time.monotonic() - start, 3),
                                        "status": device["status"], "power": device["power"]})
                if time.monotonic() - start + args.period > args.seconds:
                    break
                time.sleep(args.period)
            result = {"gateway": found, "controls": controls, "samples": samples}
    except (PeerError, OSError, ET.ParseError, AttributeError) as error:
        print(json.dumps({"error": str(error)}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
