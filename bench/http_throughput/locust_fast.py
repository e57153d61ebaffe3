"""Locust FastHttpUser baseline: every user GETs / back to back and checks the status.

Run by bench/http_throughput/run.py from bench/.venv-locust (never from the project venv:
Locust monkey-patches the standard library with gevent).
"""

from locust import FastHttpUser, constant, task


class Fast(FastHttpUser):
    wait_time = constant(0)

    @task
    def get_root(self) -> None:
        with self.client.get("/", catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"status {resp.status_code}")
