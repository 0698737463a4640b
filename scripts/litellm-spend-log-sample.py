#!/usr/bin/env python3
"""Writes examples/replay/litellm-spend-logs.{csv,json}: LiteLLM_SpendLogs rows made by LiteLLM.

Offline: a litellm Router with three deployments in two model groups answers every request with
`mock_response` (text, or an exception for the failures: a 429 with its status, a 503, a
timeout). The rows come from LiteLLM's own spend-log builder,
`litellm.proxy.spend_tracking.spend_tracking_utils.get_logging_payload`, called as the proxy's
`_ProxyDBLogger` calls it: with the success callback's kwargs for a served request, and for a
failed one with the metadata the proxy's `async_post_call_failure_hook` adds (`status:
failure`, `error_information` from `StandardLoggingPayloadSetup.get_error_information`).

Run with LiteLLM 1.108.7. The spend-log builder lives in LiteLLM's proxy package, whose imports
the bare `litellm` install lacks; put them beside it without touching the environment:
    PY=/path/to/venv-with-litellm/bin/python
    $PY -m pip install --target /tmp/litellm-proxy-deps --no-deps fastapi starlette annotated-doc \
        opentelemetry-api importlib-metadata zipp lazy_importer backoff redis orjson websockets \
        apscheduler tzlocal mcp mcp_types sse_starlette cryptography cffi pycparser pyjwt \
        python-multipart expression fastapi_sso oauthlib email_validator soundfile numpy
    PYTHONPATH=/tmp/litellm-proxy-deps LITELLM_LOCAL_MODEL_COST_MAP=True $PY scripts/litellm-spend-log-sample.py
The rows' times are the run's own wall clock; the rest is deterministic (seeded).
"""

import asyncio
import csv
import json
import os
import random
import sys

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm  # noqa: E402
from litellm.integrations.custom_logger import CustomLogger  # noqa: E402
from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER  # noqa: E402
from litellm.litellm_core_utils.litellm_logging import StandardLoggingPayloadSetup  # noqa: E402
from litellm.proxy._types import SpendLogsMetadataFields  # noqa: E402
from litellm.proxy.spend_tracking.spend_tracking_utils import (  # noqa: E402
    get_logging_payload,
    spend_log_row_with_retained_metadata,
)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "replay")
REQUESTS = 400
# `general_settings.spend_logs_metadata_fields`: the proxy keeps only these metadata keys (and
# `status`), which keeps the sample small; the error's class and code live in the first.
METADATA_FIELDS = SpendLogsMetadataFields(include=("error_information", "additional_usage_values"))

MODEL_LIST = [
    {
        "model_name": "gpt-4o",
        "litellm_params": {"model": "openai/gpt-4o", "api_base": "http://east.example/v1", "api_key": "k"},
        "model_info": {"id": "gpt4o-east"},
    },
    {
        "model_name": "gpt-4o",
        "litellm_params": {"model": "openai/gpt-4o", "api_base": "http://west.example/v1", "api_key": "k"},
        "model_info": {"id": "gpt4o-west"},
    },
    {
        "model_name": "gpt-4o-mini",
        "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": "http://east.example/v1", "api_key": "k"},
        "model_info": {"id": "mini-east"},
    },
]

ROWS = []


class SpendRows(CustomLogger):
    """Builds a spend-log row from each served request, as the proxy's DB logger does."""

    def __init__(self, router):
        super().__init__()
        self.router = router

    def row(self, kwargs, response_obj, start_time, end_time):
        payload = get_logging_payload(kwargs, response_obj, start_time, end_time, llm_router=self.router)
        ROWS.append(spend_log_row_with_retained_metadata(payload, METADATA_FIELDS))

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        self.row(kwargs, response_obj, start_time, end_time)

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        # The proxy writes one failure row per request from its failure hook; the attempt's
        # kwargs carry the deployment that failed (num_retries=0: it is the only attempt).
        exception = kwargs.get("exception")
        metadata = kwargs.setdefault("litellm_params", {}).setdefault("metadata", {})
        metadata["status"] = "failure"
        error_information = StandardLoggingPayloadSetup.get_error_information(original_exception=exception)
        # As with `should_suppress_spend_log_tracebacks()`: no traceback in the row.
        error_information.pop("traceback", None)
        metadata["error_information"] = error_information
        # The proxy's request_data has no `completion_start_time`, so the builder falls back
        # to the end time; the attempt's kwargs carry it as None.
        if kwargs.get("completion_start_time") is None:
            kwargs.pop("completion_start_time", None)
        self.row(kwargs, exception, start_time, end_time)


def failure(rng, model):
    """An exception for a failing request, or None for a served one."""
    roll = rng.random()
    if roll < 0.06:
        return litellm.RateLimitError(message="Rate limit reached", llm_provider="openai", model=model)
    if roll < 0.09:
        return litellm.ServiceUnavailableError(message="upstream overloaded", llm_provider="openai", model=model)
    if roll < 0.11:
        return litellm.Timeout(message="Request timed out", llm_provider="openai", model=model)
    return None


async def one(router, rng, index):
    group = "gpt-4o" if rng.random() < 0.7 else "gpt-4o-mini"
    error = failure(rng, group)
    words = rng.randint(5, 60)
    kwargs = {
        "model": group,
        "messages": [{"role": "user", "content": "question %d " % index + "lorem " * rng.randint(3, 40)}],
        "mock_response": error if error is not None else "answer " * words,
        "mock_delay": rng.uniform(0.01, 0.05),
        "num_retries": 0,
        "metadata": {"tags": ["batch"] if index % 5 == 0 else ["chat"]},
        "stream": False,
    }
    if index % 7 == 0:
        kwargs["call_type"] = "embedding"
        del kwargs["mock_response"]
        del kwargs["messages"]
        kwargs["input"] = ["an embedded sentence"]
        kwargs["mock_response"] = [0.1, 0.2]
        try:
            await router.aembedding(**{k: v for k, v in kwargs.items() if k != "call_type" and k != "stream"})
        except Exception:  # noqa: BLE001 - an embedding the mock cannot answer just adds no row
            pass
        return
    try:
        await router.acompletion(**kwargs)
    except Exception:  # noqa: BLE001 - the failure row is what we want
        pass


async def main():
    rng = random.Random(16)
    router = litellm.Router(model_list=MODEL_LIST, num_retries=0)
    litellm.callbacks = [SpendRows(router)]
    for index in range(REQUESTS):
        await one(router, rng, index)
        if index % 20 == 19:
            await GLOBAL_LOGGING_WORKER.flush()
        await asyncio.sleep(rng.uniform(0.0, 0.02))
    await GLOBAL_LOGGING_WORKER.flush()  # callbacks run on LiteLLM's logging worker
    write(ROWS)


def plain(value):
    """A column's text as a CSV export of the table shows it."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def write(rows):
    rows = sorted(rows, key=lambda r: plain(r["startTime"]))
    columns = list(rows[0].keys())
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "litellm-spend-logs.csv"), "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(columns)
        for row in rows:
            out.writerow([plain(row.get(c)) for c in columns])
    with open(os.path.join(OUT, "litellm-spend-logs.json"), "w") as f:
        json.dump([{c: (plain(row.get(c)) if hasattr(row.get(c), "isoformat") else row.get(c)) for c in columns} for row in rows], f, indent=0)
        f.write("\n")
    print("%d rows" % len(rows), file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
