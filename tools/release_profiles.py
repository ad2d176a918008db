#!/usr/bin/env python3
"""What release-profile settings buy: binary size against build time.

Builds the provider's release binary once per variant, each from a cold
target directory of its own (target/profiles/<variant>), so every figure
includes the AWS SDK crates, which dominate both the size and the time.
Each variant differs from Cargo.toml's [profile.release] only by the
CARGO_PROFILE_RELEASE_* variables it sets. After the cold build, the
provider crate alone is touched and rebuilt: that is what a release build
costs a developer who changed one file, and where LTO's link-time work shows.

    tools/release_profiles.py [VARIANT ...]

Prints a Markdown table. The figures in README ("Binary size") came from it;
run it alone on the machine, since other builds skew the times.
"""

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = "terraform-provider-kafka"

VARIANTS = {
    "profile": {},
    "no-lto": {"CARGO_PROFILE_RELEASE_LTO": "false"},
    "cgu1": {"CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "1"},
    "fat-lto": {"CARGO_PROFILE_RELEASE_LTO": "fat"},
    "debuginfo-only": {"CARGO_PROFILE_RELEASE_LTO": "false", "CARGO_PROFILE_RELEASE_STRIP": "debuginfo"},
}


def build(env):
    """Runs one release build; returns (wall seconds, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--bin", BINARY],
        cwd=ROOT,
        env=env,
        check=True,
    )
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def minutes(seconds):
    return f"{seconds / 60:.1f} min"


def measure(name, overrides):
    target = ROOT / "target" / "profiles" / name
    shutil.rmtree(target, ignore_errors=True)
    env = dict(os.environ, CARGO_TARGET_DIR=str(target), **overrides)
    cold_wall, cold_cpu = build(env)
    size = (target / "release" / BINARY).stat().st_size
    (ROOT / "src" / "lib.rs").touch()
    warm_wall, _ = build(env)
    settings = ", ".join(f"{k.removeprefix('CARGO_PROFILE_RELEASE_').lower()}={v}" for k, v in overrides.items())
    return (
        f"| {name} | {settings or 'Cargo.toml as is'} | {size / 1e6:.1f} MB | "
        f"{minutes(cold_wall)} ({minutes(cold_cpu)} CPU) | {warm_wall:.0f} s |"
    )


def main(argv):
    names = argv or list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        sys.exit(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    print(f"release profiles on {os.cpu_count()} cores\n")
    print("| variant | settings | binary | cold build | provider crate rebuilt |")
    print("|---|---|---|---|---|")
    for name in names:
        print(measure(name, VARIANTS[name]), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
