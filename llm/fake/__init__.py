"""The parts of the fake OpenAI-compatible server; `llm.fake_server` is its entry point.

`replies` holds what a test scripts (Reply) and what the server records, `wire` the OpenAI
wire shapes built from a reply, `demo` the plausible answers for demos and benchmarks.
"""
