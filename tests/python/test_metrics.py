"""`/metrics` read by Prometheus's reference parser (`prometheus_client.parser`): after traffic
through the OpenAI SDK (answers, a stream, a fallback, 429s), every family parses with its type,
histograms are cumulative and end in `+Inf` equal to `_count`, and the counters agree with the
proxy's request log.
"""

import json
import urllib.error
import urllib.request

import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from test_openai_sdk import HERE, Stack, client


@pytest.fixture(scope="module")
def metrics_stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("metrics"), "sdk.yaml", "sdk-providers.yaml", HERE)
    yield stack
    if stack.proxy.poll() is None:
        stack.stop()


def scrape(stack, key="sk-1234"):
    request = urllib.request.Request(f"{stack.url}/metrics")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.headers["content-type"], r.read().decode()


def drive(stack):
    c = client(stack)
    for _ in range(3):
        c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    for _ in c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], max_tokens=5, stream=True):
        pass
    c.chat.completions.create(model="flaky", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    for _ in range(2):
        with pytest.raises(openai.RateLimitError):
            c.chat.completions.create(model="busy", messages=[{"role": "user", "content": "hi"}])


def samples(families, name):
    return [s for f in families.values() for s in f.samples if s.name == name]


def total(families, name, **labels):
    return sum(s.value for s in samples(families, name) if all(s.labels.get(k) == v for k, v in labels.items()))


def test_the_reference_parser_reads_metrics_that_agree_with_the_log(metrics_stack):
    drive(metrics_stack)
    with pytest.raises(urllib.error.HTTPError) as refused:
        scrape(metrics_stack, key=None)
    assert refused.value.code == 401
    content_type, text = scrape(metrics_stack)
    assert content_type.startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    metrics_stack.stop()
    lines = [json.loads(l) for l in metrics_stack.log.read_text().splitlines()]

    assert families["litellm_proxy_total_requests_metric"].type == "counter"
    assert families["litellm_request_total_latency_metric"].type == "histogram"
    assert families["litellm_deployment_state"].type == "gauge"
    for f in families.values():
        if f.type != "histogram":
            continue
        series = {}
        for s in f.samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault(key, {})[s.name[len(f.name):]] = series.get(key, {}).get(s.name[len(f.name):], []) + [s]
        for parts in series.values():
            buckets = parts["_bucket"]
            counts = [b.value for b in buckets]
            assert counts == sorted(counts), f"{f.name}: cumulative"
            assert buckets[-1].labels["le"] == "+Inf"
            assert buckets[-1].value == parts["_count"][0].value

    for model in ("gpt-4o", "flaky", "busy"):
        mine = [l for l in lines if l["model"] == model]
        assert total(families, "litellm_proxy_total_requests_metric_total", requested_model=model) == len(mine)
        assert total(families, "litellm_request_total_latency_metric_count", requested_model=model) == len(mine)
        assert total(families, "switchyard_attempts_total", requested_model=model) == sum(len(l["attempts"]) for l in mine)
    assert total(families, "switchyard_request_failures_total", error_class="rate_limit") + total(
        families, "switchyard_request_failures_total", error_class="no_deployments_available") == 2
    assert total(families, "litellm_deployment_successful_fallbacks_total", requested_model="flaky", fallback_model="gpt-4o") == 1
    assert total(families, "litellm_llm_api_time_to_first_token_metric_count") == 1
    spend = sum(l["cost_usd"] for l in lines)
    assert spend > 0
    assert abs(total(families, "litellm_spend_metric_total") - spend) < 1e-12
