"""Airflow DAG: load the ticketing warehouse with dla every morning.

docs/OPERATIONS.md explains it.  The task's first try runs `dla run` as of
the DAG run's logical time ({{ ts }}); every Airflow retry runs `dla retry`
for that same as-of, which re-runs only the nodes that failed, were skipped
or never started in the latest attempt - or the whole selection when no
attempt could record its run (the warehouse was down, another run held the
lock) - and says "nothing to retry" (exit 0) when the attempt succeeded.

dla exit codes: 0 success; 1 a node failed (the log says which; a retry
re-runs it); 2 usage error or invalid project (a retry will not help: fix
the project); 3 cannot connect, or another run holds the lock (a retry
later helps); 130 / 143 interrupted (SIGINT / SIGTERM, e.g. the task was
killed: running nodes were rolled back, the lock released).

tests/integration/test_scheduler.sh imports this file with a stub `airflow`
package and runs DLA_COMMAND exactly as BashOperator would.
"""
import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

DLA_BIN = os.environ.get("DLA_BIN", "dla")
DLA_PROJECT = os.environ.get("DLA_PROJECT", "/opt/dla/ticketing")
DLA_TARGET = os.environ.get("DLA_TARGET", "prod")

# One command for every try (Airflow renders the {{ }} parts): try 1 runs,
# later tries retry the same as-of.  --log-format json gives one JSON
# object per line in the task log.
DLA_COMMAND = (
    'if [ "{{ ti.try_number }}" -le 1 ]; then verb=run; else verb=retry; fi; '
    'exec "%s" --project "%s" --target "%s" "$verb" --as-of "{{ ts }}" --log-format json'
    % (DLA_BIN, DLA_PROJECT, DLA_TARGET)
)

default_args = {
    "owner": "analytics",
    "retries": 3,                          # each retry is `dla retry --as-of {{ ts }}`
    "retry_delay": timedelta(minutes=10),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(hours=2),   # Airflow then sends SIGTERM: dla rolls
}                                              # back, releases the lock, exits 143

with DAG(
    dag_id="dla_ticketing",
    description="dimensional loads of the ticketing warehouse (dla)",
    start_date=datetime(2026, 1, 1),
    schedule="0 5 * * *",
    catchup=False,
    max_active_runs=1,                     # dla's run lock would refuse a second one (exit 3)
    default_args=default_args,
    tags=["dla", "warehouse"],
) as dag:
    BashOperator(
        task_id="dla_run",
        bash_command=DLA_COMMAND,
    )
