"""Load test: 50 concurrent users against gunicorn with 4 workers, on loopback only.

Usage: .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--workers 4] [--rate R]

It builds a throwaway instance (SQLite unless DATABASE_URL is set) with the demo council and
an account per user (a third each assurance team, staff and directors), starts gunicorn on a
free loopback port, signs every user in through the real form (CSRF on),
then mixes page views, searches and uploads for the given time. It prints requests per second,
p50/p95 per kind and errors, then checks that every uploaded document is in the database, on
disk and in the search index (`flask check-index`).

Without --rate every user sends the next request as soon as the last one is answered (the
most the server can take). With --rate R the users together offer R requests a second, each on
its own schedule; a request's time counts from when it was due, so a server that falls behind
shows it in the percentiles rather than hiding it.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PAGES = [
    "/",
    "/statements/",
    "/statements/1A",
    "/evidence/",
    "/evidence/5",
    "/documents/",
    "/assessment/",
    "/actions/",
    "/measures/",
]
SEARCHES = [
    "safeguarding procedure",
    "waiting list",
    "carers",
    "direct payments",
    "reablement",
    "deprivation of liberty",
    "workforce",
    "market sustainability",
    "hospital discharge",
    "advocacy",
]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class User:
    """One simulated person with their own connection and cookies."""

    def __init__(self, port: int, email: str, password: str) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.email, self.password = email, password

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, response.read().decode("utf-8", "replace")

    def sign_in(self) -> None:
        _, page = self.request("GET", "/auth/login")
        token = TOKEN.search(page)
        body = urlencode(
            {
                "email": self.email,
                "password": self.password,
                "csrf_token": token.group(1) if token else "",
            }
        ).encode()
        status, _ = self.request(
            "POST", "/auth/login", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302:
            raise RuntimeError(f"sign-in failed for {self.email}: {status}")

    def upload(self, name: str, content: bytes) -> int:
        _, page = self.request("GET", "/documents/upload")
        token = TOKEN.search(page)
        boundary = secrets.token_hex(12)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token.group(1) if token else ''}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: text/plain\r\n\r\n".encode()
            + content
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        status, _ = self.request(
            "POST",
            "/documents/upload",
            b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        return status


def run_user(
    user: User,
    until: float,
    results: dict[str, list[float]],
    errors: list[str],
    uploaded: list[str],
    lock: threading.Lock,
    seed: int,
    interval: float,
    upload_share: float,
) -> None:
    rng = random.Random(seed)
    due = time.perf_counter() + rng.random() * interval
    while time.monotonic() < until:
        if interval:
            # Exponential gaps: users arrive independently, not in lockstep.
            due += rng.expovariate(1 / interval)
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            start = due
        else:
            start = time.perf_counter()
        roll = rng.random()
        try:
            uploading = roll >= 1 - upload_share
            if uploading and not user.email.startswith("assurance"):
                roll, uploading = 0.0, False  # only the assurance team uploads
            if roll < 0.6 * (1 - upload_share) and not uploading:
                kind, (status, _) = "page", user.request("GET", rng.choice(PAGES))
                ok = status == 200
            elif not uploading:
                query = urlencode({"q": rng.choice(SEARCHES)})
                kind, (status, _) = "search", user.request("GET", f"/search/?{query}")
                ok = status == 200
            else:
                name = f"load-{seed}-{secrets.token_hex(6)}.txt"
                text = f"Load test note {name} about safeguarding and waiting lists.\n" * 20
                kind, status = "upload", user.upload(name, text.encode())
                ok = status == 200
                if ok:
                    with lock:
                        uploaded.append(name)
        except Exception as error:  # noqa: BLE001 - every failure is counted, none stops the run
            kind, ok, status = "error", False, 0
            with lock:
                errors.append(repr(error))
        elapsed = (time.perf_counter() - start) * 1000
        with lock:
            results[kind].append(elapsed)
            if not ok and kind != "error":
                errors.append(f"{kind} returned {status}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--rate", type=float, default=0, help="requests/s offered by all users (0: flat out)"
    )
    parser.add_argument(
        "--uploads", type=float, default=0.08, help="share of requests that upload (0 to 1)"
    )
    args = parser.parse_args()
    users = min(args.users, 200)  # bounded: this is a loopback test, not a stress tool
    seconds = min(args.seconds, 600)

    with tempfile.TemporaryDirectory(prefix="tracker-load-") as tmp:
        env = dict(
            os.environ,
            TRACKER_INSTANCE_DIR=tmp,
            TRACKER_EVIDENCE_DIR=f"{tmp}/evidence",
            TRACKER_EXPORTS_DIR=f"{tmp}/exports",
            TRACKER_INDEX_DIR=f"{tmp}/index",
            TRACKER_SECRET_KEY=secrets.token_hex(32),
            TRACKER_ENV="production",
            FLASK_APP="tracker",
        )
        flask = str(BIN / "flask")
        subprocess.run([flask, "init-db"], env=env, check=True, cwd=ROOT, capture_output=True)
        subprocess.run(
            [flask, "seed-demo"],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        readers = make_users(env, users)
        port = free_port()
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "tracker:create_app()",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            people = []
            for email, password in readers:
                # Only the assurance team may upload; others read and search.
                person = User(port, email, password)
                person.sign_in()
                people.append(person)
            results: dict[str, list[float]] = defaultdict(list)
            errors: list[str] = []
            uploaded: list[str] = []
            lock = threading.Lock()
            until = time.monotonic() + seconds
            began = time.perf_counter()
            interval = users / args.rate if args.rate > 0 else 0.0
            threads = [
                threading.Thread(
                    target=run_user,
                    args=(p, until, results, errors, uploaded, lock, i, interval, args.uploads),
                )
                for i, p in enumerate(people)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.perf_counter() - began
        finally:
            server.terminate()
            server.wait(timeout=30)

        total = sum(len(v) for v in results.values())
        offered = f"offering {args.rate:g} requests/s" if args.rate > 0 else "flat out"
        print(f"{users} users {offered}, {args.workers} gunicorn workers, {took:.1f} s")
        print(f"{'kind':<8} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8}")
        for kind in ("page", "search", "upload", "error"):
            values = results.get(kind, [])
            if values:
                print(
                    f"{kind:<8} {len(values):>9} {statistics.median(values):>8.1f} "
                    f"{percentile(values, 0.95):>8.1f}"
                )
        print(f"requests/s: {total / took:.1f}; errors: {len(errors)}")
        for line in errors[:10]:
            print("  ", line)

        check = subprocess.run(
            [flask, "check-index"], env=env, cwd=ROOT, capture_output=True, text=True
        )
        missing = verify_uploads(env, uploaded)
        print(f"uploads accepted: {len(uploaded)}; missing from database or disk: {missing}")
        print(f"check-index exit {check.returncode}: {check.stdout.strip().splitlines()[-1:]}")
        return 0 if not errors and not missing and check.returncode == 0 else 1


def make_users(env: dict[str, str], count: int) -> list[tuple[str, str]]:
    """One account per simulated person, as a council has: a third each team, staff, directors."""
    code = (
        "import secrets, sys\n"
        "from tracker import create_app, db\n"
        "from tracker.models import Role\n"
        "from tracker.services.accounts import create_user\n"
        "app = create_app()\n"
        "roles = [Role.ASSURANCE, Role.STAFF, Role.DIRECTOR]\n"
        "with db.session_scope(app) as s:\n"
        "    for n in range(int(sys.argv[1])):\n"
        "        role, password = roles[n % 3], secrets.token_urlsafe(12)\n"
        "        email = f'{role.value}-{n}@load.example.gov.uk'\n"
        "        create_user(s, email, f'Load user {n}', role, password)\n"
        "        print(email, password)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(count)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [(line.split()[0], line.split()[1]) for line in done.stdout.splitlines() if line]


def verify_uploads(env: dict[str, str], names: list[str]) -> int:
    """How many accepted uploads are not in the database or not on disk."""
    code = (
        "import sys\n"
        "from sqlmodel import select\n"
        "from tracker import create_app, db\n"
        "from tracker.models import DocumentVersion\n"
        "from tracker.storage import store_for\n"
        "app = create_app()\n"
        "names = set(sys.stdin.read().split())\n"
        "store = store_for(app)\n"
        "with db.session_scope(app) as s:\n"
        "    found = {v.filename: store.path_for(v.stored_file.sha256).is_file()\n"
        "             for v in s.exec(select(DocumentVersion))}\n"
        "print(sum(1 for n in names if not found.get(n)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        input="\n".join(names),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip() or 0)


if __name__ == "__main__":
    sys.exit(main())
