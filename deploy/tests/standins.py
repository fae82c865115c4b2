"""Stand-ins for the README test (readme_runner.py): `standins.py <tool> <args...>`.

`apt-get`, `useradd`, `chown`: recorded only. `sudo -u <user> cmd...`: recorded, then runs
the command as this user. `nginx -t`: Debian's nginx checks what the README installed, its
absolute paths moved (SHIM_NGINX_MOVES) into a main config of the test's (SHIM_NGINX_MAIN).
`systemctl`: a small systemd.

`enable --now X.service` starts the unit's ExecStart with its EnvironmentFile and
WorkingDirectory (paths moved as SHIM_MOVES says) and keeps its pid; `enable --now X.timer`
runs the timer's service once, as its first activation would, and fails if it fails;
`reload X.service` sends SIGHUP (the unit's ExecReload); `reload nginx` and `daemon-reload`
only get recorded, like every call.
"""

from __future__ import annotations

import configparser
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

STATE = Path(os.environ["SHIM_STATE"])
UNITS = Path(os.environ["SYSTEMD_ETC"])
MOVES = json.loads(os.environ["SHIM_MOVES"])


def _moved(text: str) -> str:
    for installed, here in MOVES.items():
        text = text.replace(installed, here)
    return text


def _service(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(_moved((UNITS / name).read_text()))
    return parser["Service"]


def _environment(service: configparser.SectionProxy) -> dict[str, str]:
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    for line in Path(service["EnvironmentFile"]).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def start(name: str) -> None:
    if name.endswith(".timer"):
        name = name.removesuffix(".timer") + ".service"
        service = _service(name)
        done = subprocess.run(
            service["ExecStart"].split(),
            cwd=service["WorkingDirectory"],
            env=_environment(service),
            capture_output=True,
            text=True,
            check=False,
        )
        (STATE / f"{name}.out").write_text(done.stdout + done.stderr)
        if done.returncode:
            sys.exit(f"{name} failed ({done.returncode}): {done.stderr[-2000:]}")
        return
    service = _service(name)
    with (STATE / f"{name}.log").open("ab") as out:
        process = subprocess.Popen(
            service["ExecStart"].split(),
            cwd=service["WorkingDirectory"],
            env=_environment(service),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (STATE / f"{name}.pid").write_text(str(process.pid))


def reload(name: str) -> None:
    if name != "nginx":
        os.kill(int((STATE / f"{name}.pid").read_text()), signal.SIGHUP)


def systemctl(argv: list[str]) -> None:
    verb, units = argv[0], [a for a in argv[1:] if not a.startswith("--")]
    if verb == "enable" and "--now" in argv:
        for unit in units:
            start(unit)
    elif verb == "reload":
        for unit in units:
            reload(unit)
    elif verb not in ("daemon-reload", "enable"):
        sys.exit(f"systemctl stand-in: {verb} is not handled")


def nginx_check(argv: list[str]) -> None:
    if argv != ["-t"]:
        sys.exit("nginx stand-in: -t only")
    moves = json.loads(os.environ["SHIM_NGINX_MOVES"])
    for installed in Path(os.environ["SHIM_NGINX_ETC"]).rglob("*.conf"):
        text = installed.read_text()
        for path, here in moves.items():
            text = text.replace(path, here)
        installed.write_text(text)
    main_conf = os.environ["SHIM_NGINX_MAIN"]
    binary = "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "nginx"
    os.execv(binary, [binary, "-t", "-p", str(Path(main_conf).parent), "-c", main_conf])


def main(tool: str, argv: list[str]) -> None:
    with (STATE / "calls.jsonl").open("a") as out:
        out.write(json.dumps([tool, *argv]) + "\n")
    if tool == "systemctl":
        systemctl(argv)
    elif tool == "sudo":
        if argv[:1] != ["-u"] or len(argv) < 3:
            sys.exit("sudo stand-in: -u <user> <command> only")
        os.execvp(argv[2], argv[2:])
    elif tool == "nginx":
        nginx_check(argv)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
