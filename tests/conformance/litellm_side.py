"""Runs the conformance situations through LiteLLM's Router and records what it did.

Each situation (situations/NAME.yaml) is a LiteLLM config, how each deployment answers and a
list of requests. Every request goes through `Router.acompletion` offline: the module-level
`litellm.acompletion` the Router calls is wrapped so that each provider attempt records its
deployment id and times and answers with `mock_response` (a string, or an exception instance
such as `litellm.InternalServerError(...)`) as the situation says. Nothing leaves the machine.

Usage:
    python litellm_side.py [--out DIR] [NAME ...]     write DIR/NAME.json (default: expected/)
    python litellm_side.py --check DIR                 compare DIR's files with expected/

Needs litellm==1.108.7 and LITELLM_LOCAL_MODEL_COST_MAP=True (set here before the import).
"""

import argparse
import asyncio
import contextvars
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import httpx  # noqa: E402
import litellm  # noqa: E402
import yaml  # noqa: E402
from litellm import Router  # noqa: E402

HERE = Path(__file__).resolve().parent
LITELLM_VERSION = "1.108.7"
MESSAGES = [{"role": "user", "content": "hi"}]

# The situation a task belongs to (situations run concurrently in one event loop).
CURRENT = contextvars.ContextVar("situation")


def exception_for(cls, model, retry_after=None):
    """The LiteLLM exception a provider failure of class `cls` becomes."""
    p = "openai"
    msg = f"mock {cls}"
    if cls == "rate_limit":
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        resp = httpx.Response(429, headers=headers, request=httpx.Request("POST", "http://mock"))
        return litellm.RateLimitError(message=msg, llm_provider=p, model=model, response=resp)
    table = {
        "internal_server": lambda: litellm.InternalServerError(message=msg, llm_provider=p, model=model),
        "service_unavailable": lambda: litellm.ServiceUnavailableError(message=msg, llm_provider=p, model=model),
        "bad_gateway": lambda: litellm.BadGatewayError(message=msg, llm_provider=p, model=model),
        "timeout": lambda: litellm.Timeout(message=msg, model=model, llm_provider=p),
        "context_window_exceeded": lambda: litellm.ContextWindowExceededError(message=msg, model=model, llm_provider=p),
        "content_policy_violation": lambda: litellm.ContentPolicyViolationError(message=msg, model=model, llm_provider=p),
        "bad_request": lambda: litellm.BadRequestError(message=msg, model=model, llm_provider=p),
        "authentication": lambda: litellm.AuthenticationError(message=msg, llm_provider=p, model=model),
        "permission_denied": lambda: litellm.PermissionDeniedError(
            message=msg, llm_provider=p, model=model,
            response=httpx.Response(403, request=httpx.Request("POST", "http://mock"))),
        "not_found": lambda: litellm.NotFoundError(message=msg, model=model, llm_provider=p),
    }
    if cls not in table:
        raise SystemExit(f"unknown error class {cls!r} in answers")
    return table[cls]()


def final_class(e):
    """The Switchyard error class name of the exception the caller got."""
    name = type(e).__name__
    text = str(e)
    if name == "RouterRateLimitError" or "No deployments available" in text:
        return "no_deployments_available"
    if "due to tags configuration" in text:
        return "tags_not_allowed"
    if "There are no healthy deployments for this model" in text:
        return "unknown_model"
    by_type = {
        "RateLimitError": "rate_limit",
        "InternalServerError": "internal_server",
        "ServiceUnavailableError": "service_unavailable",
        "BadGatewayError": "bad_gateway",
        "Timeout": "timeout",
        "ContextWindowExceededError": "context_window_exceeded",
        "ContentPolicyViolationError": "content_policy_violation",
        "BadRequestError": "bad_request",
        "AuthenticationError": "authentication",
        "PermissionDeniedError": "permission_denied",
        "NotFoundError": "not_found",
    }
    return by_type.get(name, f"unmapped:{name}")


class Situation:
    """One situation's config, answers, requests and what LiteLLM did."""

    def __init__(self, name, spec):
        self.name = name
        self.spec = spec
        self.calls = {}  # deployment id -> calls so far
        self.attempts = None  # the current request's attempts
        self.t0 = 0.0

    def answer(self, dep_id):
        """The (kind, value, latency) answer to this deployment's next call."""
        raw = self.spec.get("answers", {}).get(dep_id, "ok")
        n = self.calls.get(dep_id, 0)
        self.calls[dep_id] = n + 1
        if isinstance(raw, dict) and "sequence" in raw:
            seq = raw["sequence"]
            raw = seq[min(n, len(seq) - 1)]
        if isinstance(raw, str):
            raw = {"ok": True} if raw == "ok" else {"error": raw}
        return raw


async def provider(**kw):
    """Stands in for `litellm.acompletion`: records the attempt, answers as the situation says."""
    s = CURRENT.get()
    dep = (kw.get("model_info") or {}).get("id")
    a = s.answer(dep)
    kw.pop("mock_response", None)
    if "error" in a:
        kw["mock_response"] = exception_for(a["error"], kw.get("model"), a.get("retry_after"))
    else:
        kw["mock_response"] = "ok"
    if a.get("latency"):
        kw["mock_delay"] = float(a["latency"])
    rec = {"deployment": dep, "start": time.monotonic(), "outcome": a.get("error", "ok")}
    requests_attempts = s.attempts
    try:
        return await ORIGINAL(**kw)
    finally:
        rec["end"] = time.monotonic()
        if requests_attempts is not None:
            requests_attempts.append(rec)


ORIGINAL = litellm.acompletion
litellm.acompletion = provider


def build_router(spec, name):
    cfg = spec["config"]
    if cfg.get("litellm_settings"):
        raise SystemExit(f"{name}: litellm_settings are process-global in LiteLLM; use router_settings")
    return Router(model_list=cfg["model_list"], **(cfg.get("router_settings") or {}))


def request_kwargs(req):
    kw = {"model": req["model"], "messages": MESSAGES}
    if "input_tokens" in req:
        # One token per word, roughly: LiteLLM counts the prompt with its tokenizer.
        kw["messages"] = [{"role": "user", "content": " ".join(["hi"] * int(req["input_tokens"]))}]
    for key in ("num_retries", "fallbacks", "disable_fallbacks"):
        if key in req:
            kw[key] = req[key]
    if req.get("tags"):
        kw["metadata"] = {"tags": req["tags"]}
    return kw


async def one_request(s, router, req, ids):
    """Sends one request; returns its record (attempts, waits, result, cooldowns after)."""
    s.attempts = attempts = []
    start = time.monotonic()
    record = {}
    try:
        resp = await router.acompletion(**request_kwargs(req))
        hp = resp._hidden_params
        headers = hp.get("additional_headers") or {}
        record["result"] = {"served_by": hp.get("model_id")}
        record["retries"] = headers.get("x-litellm-attempted-retries", 0)
        record["fallbacks"] = headers.get("x-litellm-attempted-fallbacks", 0)
    except Exception as e:  # the caller's error is what we record
        record["result"] = {"error": final_class(e), "status": getattr(e, "status_code", None)}
        record["message"] = str(e).split("\n")[0][:160]
    end = time.monotonic()
    record["attempts"] = [{"deployment": a["deployment"], "outcome": a["outcome"]} for a in attempts]
    gaps = []
    for i, a in enumerate(attempts):
        nxt = attempts[i + 1]["start"] if i + 1 < len(attempts) else end
        gaps.append(round(max(0.0, nxt - a["end"]), 3))
    record["waits"] = gaps
    record["duration"] = round(end - start, 3)
    active = router.cooldown_cache.get_active_cooldowns(ids, None)
    record["cooling_after"] = sorted(m for m, _ in active)
    return record


async def run_situation(name, spec):
    s = Situation(name, spec)
    CURRENT.set(s)
    router = build_router(spec, name)
    ids = [d["model_info"]["id"] for d in spec["config"]["model_list"]]
    out = {"situation": name, "litellm_version": litellm_version(), "mode": spec.get("compare", "exact")}
    if "clients" in spec:
        out["served_counts"] = await run_clients(s, router, spec)
        return out
    if spec.get("minute"):
        await start_early_in_a_minute()
    records = []
    for req in expand(spec["requests"]):
        if req.get("after"):
            await asyncio.sleep(float(req["after"]))
        records.append(await one_request(s, router, req, ids))
    if out["mode"] == "shares":
        out["served_counts"] = count_served(records, ids)
        out["errors"] = sum(1 for r in records if "error" in r["result"])
    else:
        out["requests"] = records
    return out


async def start_early_in_a_minute():
    """Usage limits count per wall-clock minute: start with at least 30 s of it left."""
    left = 60 - time.time() % 60
    if left < 30:
        await asyncio.sleep(left + 0.05)


async def run_clients(s, router, spec):
    """Closed-loop clients: each sends its requests back to back, all starting together."""
    served = []

    async def client(c):
        for req in expand(spec["requests"]):
            resp = await router.acompletion(**request_kwargs(req))
            served.append(resp._hidden_params.get("model_id"))

    s.attempts = None
    await asyncio.gather(*(client(c) for c in range(int(spec["clients"]))))
    ids = [d["model_info"]["id"] for d in spec["config"]["model_list"]]
    return {i: served.count(i) for i in ids}


def count_served(records, ids):
    counts = {i: 0 for i in ids}
    for r in records:
        by = r["result"].get("served_by")
        if by is not None:
            counts[by] += 1
    return counts


def expand(requests):
    for req in requests:
        for _ in range(int(req.get("count", 1))):
            yield req


def litellm_version():
    from importlib.metadata import version

    return version("litellm")


def load(name):
    return yaml.safe_load((HERE / "situations" / f"{name}.yaml").read_text())


async def run_one(name, out_dir):
    result = await run_situation(name, load(name))
    (out_dir / f"{name}.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")


def run_all(names, out_dir, jobs):
    """Each situation in a process of its own: LiteLLM keeps state (cooldowns, clients) in
    module globals, so two situations in one process would see each other's."""
    import subprocess

    pending = list(names)
    running = []
    while pending or running:
        while pending and len(running) < jobs:
            name = pending.pop(0)
            cmd = [sys.executable, __file__, "--one", name, "--out", str(out_dir)]
            running.append((name, subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
        name, proc = running.pop(0)
        _, err = proc.communicate()
        if proc.returncode != 0:
            sys.stderr.write(err.decode(errors="replace"))
            raise SystemExit(f"{name}: LiteLLM side failed (exit {proc.returncode})")
        print(f"{name}: done", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=HERE / "expected")
    ap.add_argument("--check", type=Path, help="compare this directory's files with expected/")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--jobs", type=int, default=2, help="situations run at once (default 2)")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    if args.check:
        sys.exit(check(args.check))
    if litellm_version() != LITELLM_VERSION:
        raise SystemExit(f"litellm {litellm_version()} installed; the goldens are for {LITELLM_VERSION}")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.one:
        asyncio.run(run_one(args.one, args.out))
        return
    names = args.names or sorted(p.stem for p in (HERE / "situations").glob("*.yaml"))
    run_all(names, args.out, args.jobs)


# --- comparing a fresh run with the committed goldens (CI) ---------------------------------

WAIT_TOLERANCE = 0.8  # LiteLLM's jitter is U[0, 0.75) s per wait, plus scheduling overhead


def check(fresh_dir):
    """Exit status 0 when every fresh file agrees with its golden on the deterministic fields
    and within tolerance on the statistical ones."""
    problems = []
    for golden in sorted((HERE / "expected").glob("*.json")):
        fresh = fresh_dir / golden.name
        if not fresh.exists():
            problems.append(f"{golden.stem}: no fresh result")
            continue
        spec = load(golden.stem)
        problems += [f"{golden.stem}: {p}" for p in compare(json.loads(golden.read_text()), json.loads(fresh.read_text()), spec)]
    for p in problems:
        print(p)
    print("goldens agree with this LiteLLM" if not problems else f"{len(problems)} disagreement(s)")
    return 1 if problems else 0


def compare(g, f, spec):
    mode = spec.get("compare", "exact")
    if mode == "shares" or "clients" in spec:
        # Timing-sensitive situations (least-busy) get a wider tolerance between two LiteLLM runs.
        tol = spec.get("rerun_tolerance", spec.get("tolerance", 0.05))
        return compare_shares(g["served_counts"], f["served_counts"], float(tol))
    if mode == "tally":
        return compare_tally(g["requests"], f["requests"])
    out = []
    for i, (a, b) in enumerate(zip(g["requests"], f["requests"])):
        for key in ("result", "cooling_after"):
            if a[key] != b[key]:
                out.append(f"request {i}: {key} {a[key]} vs {b[key]}")
        sa = [x["deployment"] for x in a["attempts"]]
        sb = [x["deployment"] for x in b["attempts"]]
        if spec.get("ids") == "unordered":
            sa, sb = sorted(sa), sorted(sb)
        if sa != sb or [x["outcome"] for x in a["attempts"]] != [x["outcome"] for x in b["attempts"]]:
            out.append(f"request {i}: attempts {a['attempts']} vs {b['attempts']}")
        if len(a["waits"]) == len(b["waits"]):
            for w, (x, y) in enumerate(zip(a["waits"], b["waits"])):
                if abs(x - y) > WAIT_TOLERANCE:
                    out.append(f"request {i}: wait {w} {x} vs {y}")
    if len(g["requests"]) != len(f["requests"]):
        out.append("request counts differ")
    return out


def result_kinds(records):
    return [r["result"].get("error", "served") for r in records]


def compare_tally(a, b):
    """Which requests were served and how the others failed, and how many each deployment
    served (ties between deployments are broken at random)."""
    out = []
    if result_kinds(a) != result_kinds(b):
        out.append(f"results {result_kinds(a)} vs {result_kinds(b)}")
    served = lambda rs: sorted(r["result"]["served_by"] for r in rs if "served_by" in r["result"])
    if served(a) != served(b):
        out.append(f"served by {served(a)} vs {served(b)}")
    return out


def compare_shares(a, b, tol):
    ta, tb = sum(a.values()) or 1, sum(b.values()) or 1
    return [
        f"share of {k}: {a[k] / ta:.3f} vs {b.get(k, 0) / tb:.3f}"
        for k in a
        if abs(a[k] / ta - b.get(k, 0) / tb) > tol
    ]


if __name__ == "__main__":
    main()
