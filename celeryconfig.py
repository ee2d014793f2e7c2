"""Celery settings of CaseConsultant.

The broker comes from CASECONSULTANT_BROKER_URL; without it the worker, beat and the
command line share a filesystem broker under the data folder, which needs no server.
"""

from consultant.config import get_settings

_settings = get_settings()

broker_url = _settings.resolved_broker_url
if broker_url.startswith("filesystem:"):
    _folder = _settings.broker_folder
    for _sub in ("queue", "processed", "control"):
        (_folder / _sub).mkdir(parents=True, exist_ok=True)
    broker_transport_options = {
        "data_folder_in": str(_folder / "queue"),
        "data_folder_out": str(_folder / "queue"),
        "processed_folder": str(_folder / "processed"),
        "store_processed": False,
        "control_folder": str(_folder / "control"),
    }
else:
    # Redis hands an unacknowledged task to another worker once it has waited this long.
    # That is how a task of a killed worker comes back, and also why a task that runs
    # (or waits for its countdown) longer than this runs twice.  Every task is
    # idempotent, and send retries with longer countdowns are left to the recovery
    # sweep, which also re-drives lost work sooner than a one-hour timeout would.
    broker_transport_options = {
        "visibility_timeout": _settings.visibility_timeout,
        # Scan for tasks past the visibility timeout about ten times per timeout, and at
        # least every 10 seconds.  Each scan is one Redis query.
        "unacked_restore_interval": max(1.0, min(10.0, _settings.visibility_timeout / 10)),
        "unacked_restore_throttle": 1,
        # Kombu keeps unacknowledged tasks and the lock of its restore scan under fixed
        # key names.  Naming them after the queue keeps installations on one Redis
        # database apart.  A worker killed during a scan holds that lock until it
        # expires, and no task is restored meanwhile, so the lock lasts 30 seconds
        # instead of kombu's 300 (a scan takes milliseconds).
        "unacked_key": f"{_settings.queue}.unacked",
        "unacked_index_key": f"{_settings.queue}.unacked_index",
        "unacked_mutex_key": f"{_settings.queue}.unacked_mutex",
        "unacked_mutex_expire": 30,
    }

broker_connection_retry_on_startup = True
task_default_queue = _settings.queue

# Results are kept in the database rows the tasks change, never in a result backend.
task_ignore_result = True

# A task is acknowledged only after it ran, so a worker killed mid-task leaves it queued.
# Every task is idempotent by the database ids it receives.
task_acks_late = True
task_reject_on_worker_lost = True
worker_prefetch_multiplier = 1

task_serializer = "json"
accept_content = ["json"]
timezone = "UTC"
enable_utc = True

worker_hijack_root_logger = False
worker_redirect_stdouts = False

beat_schedule = {
    "poll-mailbox": {
        "task": "workers.tasks.poll_mailbox",
        "schedule": _settings.poll_interval,
        # A poll that waited longer than one interval is stale; the next one replaces it.
        "options": {"expires": _settings.poll_interval},
    },
    "recover-stuck": {
        "task": "workers.tasks.recover_stuck",
        "schedule": _settings.recovery_interval,
        "options": {"expires": _settings.recovery_interval},
    },
}
