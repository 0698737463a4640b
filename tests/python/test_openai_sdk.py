"""The live proxy against real clients: the OpenAI Python SDK and the routing article's curl
commands, with `switchyard mock-provider` as every upstream. Each test module starts the mock
and the proxy on free loopback ports and stops them; nothing leaves the machine.

SWITCHYARD_BIN names the binary (default: target/release/switchyard).
"""

import os
import pathlib
import socket
import subprocess
import time
import urllib.request

import httpx2
import openai
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
BIN = os.environ.get("SWITCHYARD_BIN", str(ROOT / "target" / "release" / "switchyard"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url, process, what):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {process.stderr.read().decode()}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up at {url}")


class Stack:
    """A mock provider serving `providers` and the proxy serving `config` against it."""

    def __init__(self, tmp, config, providers, cwd):
        self.mock_port, self.port = free_port(), free_port()
        self.log = tmp / "requests.jsonl"
        text = (cwd / config).read_text().replace("MOCK_PORT", str(self.mock_port)).replace("9100", str(self.mock_port))
        served = cwd / f".serve-{self.port}.yaml"
        served.write_text(text)
        self.served = served
        self.mock = subprocess.Popen(
            [BIN, "mock-provider", str(cwd / providers), "--port", str(self.mock_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until_up(f"http://127.0.0.1:{self.mock_port}/health", self.mock, "mock-provider")
        # The configs use the article's key, sk-1234: LiteLLM's publicly known default, which
        # the proxy (as LiteLLM's) refuses unless local development is declared.
        local = {**os.environ, "LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY": "true"}
        self.proxy = subprocess.Popen(
            [BIN, "serve", str(served), "--port", str(self.port), "--log", str(self.log), "--seed", "1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=local)
        wait_until_up(f"http://127.0.0.1:{self.port}/health/liveliness", self.proxy, "serve")
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        for p in (self.proxy, self.mock):
            p.terminate()
            p.wait(timeout=30)
        self.served.unlink()


@pytest.fixture(scope="module")
def sdk_stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("sdk"), "sdk.yaml", "sdk-providers.yaml", HERE)
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def article_stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("article"), "article.yaml", "article-providers.yaml", ROOT / "examples" / "live")
    yield stack
    stack.stop()


def client(stack, key="sk-1234"):
    return openai.OpenAI(base_url=stack.url, api_key=key, max_retries=0)


def test_a_chat_completion(sdk_stack):
    raw = client(sdk_stack).chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Say hello"}], max_tokens=8)
    completion = raw.parse()
    assert completion.choices[0].message.content
    assert completion.usage.completion_tokens == 8
    assert raw.headers["x-litellm-model-id"] in ("gpt-4o-a", "gpt-4o-b")
    assert raw.headers["x-litellm-model-group"] == "gpt-4o"
    assert float(raw.headers["x-litellm-response-cost"]) > 0


def test_an_azure_deployment_through_its_deployment_url(sdk_stack):
    raw = client(sdk_stack).chat.completions.with_raw_response.create(
        model="gpt-4o-azure", messages=[{"role": "user", "content": "hi"}], max_tokens=4)
    assert raw.parse().choices[0].message.content
    assert raw.headers["x-litellm-model-id"] == "azure-1"


def test_an_anthropic_deployment_serves_chat_through_the_messages_api(sdk_stack):
    raw = client(sdk_stack).chat.completions.with_raw_response.create(
        model="claude", messages=[{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Say hello"}],
        max_tokens=6, stop=["never"], temperature=0.2)
    completion = raw.parse()
    assert raw.headers["x-litellm-model-id"] == "claude-1"
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-msg_")
    assert completion.choices[0].finish_reason == "stop"
    assert len(completion.choices[0].message.content.split(" ")) == 6
    assert completion.usage.completion_tokens == 6
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + 6


def test_an_anthropic_deployment_streams_openai_chunks(sdk_stack):
    stream = client(sdk_stack).chat.completions.create(
        model="claude", messages=[{"role": "user", "content": "Count"}], max_tokens=20, stream=True,
        stream_options={"include_usage": True})
    chunks = [c for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(text.split(" ")) == 20
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert chunks[-1].usage.completion_tokens == 20


def test_embeddings(sdk_stack):
    c = client(sdk_stack)
    first = c.embeddings.create(model="text-embedding-3-large", input="bubble sort in Python")
    again = c.embeddings.create(model="text-embedding-3-large", input="bubble sort in Python")
    other = c.embeddings.create(model="text-embedding-3-large", input="a poem about spring")
    assert len(first.data[0].embedding) > 0
    assert first.data[0].embedding == again.data[0].embedding
    assert first.data[0].embedding != other.data[0].embedding


def test_a_streamed_completion(sdk_stack):
    stream = client(sdk_stack).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Count"}], max_tokens=20, stream=True)
    chunks = [c for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(chunks) > 1
    assert text


def test_a_bad_key_raises_authentication_error(sdk_stack):
    with pytest.raises(openai.AuthenticationError) as e:
        client(sdk_stack, key="sk-wrong").chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert e.value.status_code == 401
    assert "sk-wrong" not in str(e.value) and "sk-1234" not in str(e.value)


def test_rate_limit_error_with_retry_after_when_everything_is_cooling(sdk_stack):
    c = client(sdk_stack)
    with pytest.raises(openai.RateLimitError):
        c.chat.completions.create(model="busy", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.RateLimitError) as e:
        c.chat.completions.create(model="busy", messages=[{"role": "user", "content": "hi"}])
    retry_after = int(e.value.response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert "RateLimitError" in str(e.value)
    assert e.value.body["type"] == "all_deployments_in_cooldown", "LiteLLM's RouterRateLimitError type"


def test_out_of_deployments_is_a_rate_limit_error_the_sdk_retries(sdk_stack):
    # docs/litellm-compat.md §14: LiteLLM's proxy answers 429 for any error saying "No
    # deployments available": a deployment over its budget, and a 500 whose fallback group has
    # no deployment left. The SDK raises RateLimitError and, allowed retries, retries it.
    hi = [{"role": "user", "content": "hi"}]
    first = client(sdk_stack).chat.completions.create(model="capped", messages=hi, max_tokens=4)
    assert first.choices[0].message.content, "the first request spends past the tiny budget"
    with pytest.raises(openai.RateLimitError) as refused:
        client(sdk_stack).chat.completions.create(model="capped", messages=hi)
    assert refused.value.status_code == 429
    assert refused.value.body["type"] == "internal_server_error"
    assert "no deployments available" in refused.value.body["message"].lower()

    with pytest.raises(openai.RateLimitError) as fell_back:
        client(sdk_stack).chat.completions.create(model="broken", messages=hi)
    assert fell_back.value.body["type"] == "internal_server_error", "the primary's error, recoded"
    assert "fallbacks also failed: capped: budget_exceeded" in fell_back.value.body["message"]

    statuses = []
    counting = httpx2.Client(event_hooks={"response": [lambda r: statuses.append(r.status_code)]})
    retrying = openai.OpenAI(base_url=sdk_stack.url, api_key="sk-1234", max_retries=2, http_client=counting)
    with pytest.raises(openai.RateLimitError):
        retrying.chat.completions.create(model="capped", messages=hi)
    assert statuses == [429, 429, 429], "one request and the SDK's two retries"


def test_a_served_fallback_says_so_in_its_headers(sdk_stack):
    raw = client(sdk_stack).chat.completions.with_raw_response.create(
        model="flaky", messages=[{"role": "user", "content": "hi"}])
    assert raw.parse().choices[0].message.content
    assert raw.headers["x-litellm-model-group"] == "gpt-4o"
    assert raw.headers["x-litellm-attempted-fallbacks"] == "1"
    assert raw.headers["x-litellm-attempted-retries"] == "0"


def curl(stack, body):
    """The article's curl command, verbatim but for the port."""
    out = subprocess.run(
        ["curl", "-s", "-D", "-", "-X", "POST", f"{stack.url}/chat/completions",
         "-H", "Authorization: Bearer sk-1234", "-H", "Content-Type: application/json",
         "-d", body], capture_output=True, text=True, check=True).stdout
    head, _, payload = out.partition("\r\n\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in head.splitlines()[1:])}
    return int(head.split()[1]), headers, payload


def test_the_articles_tag_routing_curls(article_stack):
    status, headers, _ = curl(article_stack, '''{
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "Hello"}],
    "tags": ["free"]
  }''')
    assert status == 200 and headers["x-litellm-model-id"] == "gpt-4o-free"
    status, headers, _ = curl(article_stack, '''{
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "Hello"}],
    "tags": ["paid"]
  }''')
    assert status == 200 and headers["x-litellm-model-id"] == "gpt-4o-paid"


def test_the_articles_disable_fallbacks_curl(article_stack):
    status, headers, payload = curl(article_stack, '''{
    "model": "gpt-4o",
    "messages": [{"role": "user", "content": "Hello"}],
    "disable_fallbacks": true
  }''')
    assert status == 200, payload
    assert headers["x-litellm-model-id"] == "gpt-4o-default", "untagged traffic goes to the default-tagged deployment"
    assert headers["x-litellm-attempted-fallbacks"] == "0"


def test_the_articles_auto_router_curls(article_stack):
    _, headers, _ = curl(article_stack, '''{
    "model": "auto_router",
    "messages": [{"role": "user", "content": "写一首关于春天的诗"}]
  }''')
    assert headers["x-litellm-model-group"] == "gpt-4o"
    _, headers, _ = curl(article_stack, '''{
    "model": "auto_router",
    "messages": [{"role": "user", "content": "使用 Python 语言实现冒泡排序算法"}]
  }''')
    assert headers["x-litellm-model-group"] == "claude-sonnet-4"


def test_an_unknown_model_is_litellm_s_400_before_any_routing(sdk_stack):
    with pytest.raises(openai.BadRequestError) as refused:
        client(sdk_stack).chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    error = refused.value.body
    assert error["message"] == (
        "/chat/completions: Invalid model name passed in model=nope. "
        "Call `/v1/models` to view available models for your key.")
    assert error["type"] == "invalid_request_error"
    assert error["provider_specific_fields"] == {"error": error["message"]}


def test_a_litellm_params_model_routes_to_the_deployments_calling_it(sdk_stack):
    # LiteLLM's proxy routes a `litellm_params.model` (`specific_deployment`): both gpt-4o
    # deployments call openai/gpt-4o, and the name is the answer's model group.
    raw = client(sdk_stack).chat.completions.with_raw_response.create(
        model="openai/gpt-4o", messages=[{"role": "user", "content": "hi"}], max_tokens=4)
    assert raw.parse().choices[0].message.content
    assert raw.headers["x-litellm-model-id"] in ("gpt-4o-a", "gpt-4o-b")
    assert raw.headers["x-litellm-model-group"] == "openai/gpt-4o"
