#!/usr/bin/env python3
"""Writes Registers/sunspec/models.json from the SunSpec model definitions pysunspec2 ships.

The bridge's SunSpec reader loads that file: no register table is typed by hand. Run it again
(with the venv's Python: .build-venv/bin/python scripts/sunspec_models.py) after upgrading
pysunspec2 or to add a model to MODELS.
"""
import json
import os
import sys

import sunspec2

# common, inverters (integer + scale factor, float), nameplate, MPPT, meters, battery
MODELS = [1, 101, 102, 103, 111, 112, 113, 120, 160, 201, 202, 203, 204, 802]


def points(group):
    """The group's points with their offsets from the group's first register."""
    offset = 0
    out = []
    for point in group["points"]:
        size = point.get("size", 1)
        sf = point.get("sf")
        entry = {"name": point["name"], "offset": offset, "type": point["type"], "size": size}
        if sf is not None:
            entry["sf"] = str(sf)      # a scale-factor point's name (or a fixed exponent)
        if point.get("units"):
            entry["units"] = point["units"]
        out.append(entry)
        offset += size
    return out, offset


def model(number, folder):
    with open(os.path.join(folder, f"model_{number}.json")) as file:
        group = json.load(file)["group"]
    fixed, length = points(group)
    entry = {"id": number, "name": group["name"], "length": length - 2, "points": fixed}
    repeating = group.get("groups", [])
    if repeating:
        inner, size = points(repeating[0])
        entry["group"] = {"name": repeating[0]["name"], "length": size, "points": inner}
    return entry


def dump(entry):
    """One point per line: diffs stay readable."""
    def point_lines(items, indent):
        return (",\n").join(indent + json.dumps(p, separators=(", ", ": ")) for p in items)
    head = f'    {{"id": {entry["id"]}, "name": {json.dumps(entry["name"])}, "length": {entry["length"]},\n'
    body = '     "points": [\n' + point_lines(entry["points"], "       ") + "\n     ]"
    if "group" in entry:
        group = entry["group"]
        body += (f',\n     "group": {{"name": {json.dumps(group["name"])}, "length": {group["length"]}, "points": [\n'
                 + point_lines(group["points"], "       ") + "\n     ]}")
    return head + body + "}"


def main():
    folder = os.path.join(os.path.dirname(sunspec2.__file__), "models", "json")
    version = getattr(sunspec2, "__version__", None)
    if version is None:
        from importlib.metadata import version as installed
        version = installed("pysunspec2")
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Registers", "sunspec", "models.json")
    source = f"pysunspec2 {version}, sunspec2/models/json (Apache-2.0); written by scripts/sunspec_models.py"
    text = '{"source": ' + json.dumps(source) + ',\n "models": [\n' + ",\n".join(dump(model(n, folder)) for n in MODELS) + "\n ]}\n"
    json.loads(text)  # the file must stay valid JSON
    with open(target, "w") as file:
        file.write(text)
    print(f"wrote {len(MODELS)} models to {os.path.normpath(target)}")


if __name__ == "__main__":
    main()
