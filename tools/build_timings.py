#!/usr/bin/env python3
"""Where a build spends its time: reads the report `cargo build --timings`
writes (target/cargo-timings/cargo-timing.html, its UNIT_DATA) and prints
the wall time, the CPU time (the sum of every unit's), and the crates that
took longest.

usage: tools/build_timings.py [REPORT.html] [--top N]
(default: the newest report under $CARGO_TARGET_DIR or target/)
"""

import glob
import json
import os
import re
import sys


def newest_report():
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    reports = glob.glob(os.path.join(target, "cargo-timings", "cargo-timing-*.html"))
    if not reports:
        sys.exit(f"build_timings: no report under {target}/cargo-timings: run `cargo build --timings` first")
    return max(reports, key=os.path.getmtime)


def units(report):
    text = open(report, encoding="utf-8").read()
    m = re.search(r"const UNIT_DATA = (\[.*?\n\]);", text, re.S)
    if not m:
        sys.exit(f"build_timings: {report} holds no UNIT_DATA (a cargo version with another report format?)")
    return json.loads(m.group(1))


def main():
    args = sys.argv[1:]
    top = 12
    if "--top" in args:
        i = args.index("--top")
        top = int(args[i + 1])
        del args[i : i + 2]
    report = args[0] if args else newest_report()
    data = units(report)
    if not data:
        sys.exit(f"build_timings: {report} lists no unit: nothing was built")
    wall = max(u["start"] + u["duration"] for u in data)
    cpu = sum(u["duration"] for u in data)
    print(f"{report}: {len(data)} units, {wall:.0f} s wall, {cpu:.0f} s of compiling in all")
    by_crate = {}
    for u in data:
        key = f"{u['name']} {u['version']}" + (f" ({u['target'].strip()})" if u["target"].strip() else "")
        by_crate[key] = by_crate.get(key, 0.0) + u["duration"]
    print(f"{'seconds':>8} {'share':>6}  crate")
    for name, secs in sorted(by_crate.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{secs:>8.1f} {100 * secs / cpu:>5.1f}%  {name}")


if __name__ == "__main__":
    main()
