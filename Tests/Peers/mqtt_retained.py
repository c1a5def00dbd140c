#!/usr/bin/env python3
"""Prints the retained messages on the given topics as one JSON object (topic -> payload).

A paho-mqtt client (not chargebridge's code) connects, subscribes, and collects what the broker
hands out as retained; it stops at the first live message or after --wait seconds.
Usage: mqtt_retained.py --port P [--user U --password W | --cafile C --cert C --key K] TOPIC...
"""
import argparse, json, sys, threading
import paho.mqtt.client as mqtt

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--user")
parser.add_argument("--password")
parser.add_argument("--cafile")
parser.add_argument("--cert")
parser.add_argument("--key")
parser.add_argument("--wait", type=float, default=1.0)
parser.add_argument("topics", nargs="+")
args = parser.parse_args()

found, done = {}, threading.Event()
client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
if args.user:
    client.username_pw_set(args.user, args.password)
if args.cafile:
    client.tls_set(ca_certs=args.cafile, certfile=args.cert, keyfile=args.key)

def on_connect(client, userdata, flags, reason, properties):
    if reason.is_failure:
        print(f"connect refused: {reason}", file=sys.stderr)
        done.set()
        return
    client.subscribe([(topic, 1) for topic in args.topics])

def on_message(client, userdata, message):
    if not message.retain:
        done.set()
        return
    found[message.topic] = message.payload.decode("utf-8", "replace")

client.on_connect = on_connect
client.on_message = on_message
client.connect("127.0.0.1", args.port, keepalive=10)
client.loop_start()
done.wait(args.wait)
client.loop_stop()
client.disconnect()
print(json.dumps(found))
