"""The embedded broker (config/broker.py) with real processes on one folder: what kombu's own
file-system transport got wrong — a consumer reading a message file before its writer filled
it (the worker died on a JSON error), exchange tables truncated under a reader — must not
happen, and every message is delivered whole and exactly once."""

import json
import multiprocessing
import os
import time
from pathlib import Path
from queue import Empty

import kombu
import pytest
from django.conf import settings

from config import broker

broker.register()
QUEUE = kombu.Queue("soak", exchange=kombu.Exchange("soak"), routing_key="soak")
FORK = multiprocessing.get_context("fork")


def connection(folder: Path) -> kombu.Connection:
    return kombu.Connection(
        f"{broker.SCHEME}://",
        transport_options={
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
            "polling_interval": 0.001,
        },
    )


def publish(folder: Path, ids: list[str], blob_size: int = 0) -> None:
    with connection(folder) as conn:
        producer = conn.Producer(serializer="json")
        for message_id in ids:
            body = {"id": message_id, "blob": "x" * blob_size, "size": blob_size}
            producer.publish(
                body, exchange=QUEUE.exchange, routing_key="soak", declare=[QUEUE], retry=False
            )


def _write(folder: Path, writer: int, count: int, blob_size: int) -> None:
    publish(folder, [f"{writer}-{i}" for i in range(count)], blob_size)


def _consume(folder: Path, stop, results) -> None:
    """Consume until `stop` is set and the queue stays empty; report (ids, errors)."""
    received, errors = [], []

    def on_message(body, message):
        if len(body["blob"]) != body["size"]:
            errors.append(f"{body['id']}: {len(body['blob'])} of {body['size']} characters")
        received.append(body["id"])
        message.ack()

    with connection(folder) as conn, conn.Consumer([QUEUE], callbacks=[on_message]):
        idle_since = None
        while True:
            try:
                conn.drain_events(timeout=0.2)
                idle_since = None
            except TimeoutError:
                idle_since = idle_since or time.monotonic()
                if stop.is_set() and time.monotonic() - idle_since > 0.5:
                    break
            except Exception as error:  # what killed the worker: report it, keep consuming
                errors.append(repr(error))
    results.put((received, errors))


def run_consumers(folder: Path, count: int, while_running) -> tuple[list[str], list[str]]:
    stop, results = FORK.Event(), FORK.Queue()
    consumers = [FORK.Process(target=_consume, args=(folder, stop, results)) for _ in range(count)]
    for process in consumers:
        process.start()
    try:
        while_running()
    finally:
        stop.set()
        reports = [results.get(timeout=60) for _ in consumers]
        for process in consumers:
            process.join(10)
    received = [message_id for ids, _ in reports for message_id in ids]
    errors = [error for _, errs in reports for error in errs]
    return received, errors


def test_concurrent_writers_and_readers_get_every_message_whole_and_exactly_once(tmp_path):
    # Large messages take a while to write: kombu's own transport handed readers empty and
    # half-written files under this very load (JSONDecodeError in every consumer).
    writers, per_writer, blob = 3, 150, 200_000

    def write_all():
        processes = [
            FORK.Process(target=_write, args=(tmp_path, n, per_writer, blob))
            for n in range(writers)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(60)
            assert process.exitcode == 0

    received, errors = run_consumers(tmp_path, 3, write_all)

    assert errors == []
    expected = {f"{w}-{i}" for w in range(writers) for i in range(per_writer)}
    assert sorted(received) == sorted(expected)  # each once: no loss, no duplicate
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []


def test_consumers_racing_for_the_same_files_deliver_each_message_once(tmp_path):
    ids = [f"m{i}" for i in range(600)]
    publish(tmp_path, ids)

    received, errors = run_consumers(tmp_path, 4, lambda: None)

    assert errors == []
    assert sorted(received) == sorted(ids)


def test_a_message_being_written_is_not_visible_until_complete(tmp_path, monkeypatch):
    """The moment between writing a message's bytes and its publication: a consumer polling
    then finds nothing; right after, the whole message."""
    seen_during_write = []
    real_replace = os.replace

    def replace_after_a_poll(source, target):
        with connection(tmp_path) as conn:
            channel = conn.default_channel
            try:
                seen_during_write.append(channel._get("soak"))
            except Empty:
                seen_during_write.append(None)
            assert [p for p in os.listdir(tmp_path) if broker.is_message_of(p, "soak")] == []
        real_replace(source, target)

    with connection(tmp_path) as conn:
        conn.default_channel.queue_declare("soak")
        monkeypatch.setattr(broker.os, "replace", replace_after_a_poll)
        conn.default_channel._put("soak", {"body": "whole"})
        monkeypatch.undo()
        assert seen_during_write == [None]
        assert conn.default_channel._get("soak") == {"body": "whole"}
        with pytest.raises(Empty):
            conn.default_channel._get("soak")


def test_a_message_file_that_does_not_parse_is_set_aside_and_the_next_one_delivered(tmp_path):
    with connection(tmp_path) as conn:
        channel = conn.default_channel
        broken = tmp_path / f"{time.time_ns()}_x.soak.msg"
        broken.write_bytes(b'{"half": ')  # e.g. kombu's own writer, or a disk that filled up
        old = time.time() - 60
        os.utime(broken, (old, old))
        channel._put("soak", {"body": "next"})

        assert channel._get("soak") == {"body": "next"}
        assert not broken.exists()
        assert (tmp_path / broker.QUARANTINE / broken.name).read_bytes() == b'{"half": '
        with pytest.raises(Empty):
            channel._get("soak")


def test_json_that_is_not_a_message_is_set_aside_too(tmp_path):
    with connection(tmp_path) as conn:
        channel = conn.default_channel
        stray = tmp_path / f"{time.time_ns()}_z.soak.msg"
        stray.write_bytes(b"[1, 2]")
        old = time.time() - 60
        os.utime(stray, (old, old))
        with pytest.raises(Empty):
            channel._get("soak")
        assert (tmp_path / broker.QUARANTINE / stray.name).exists()


def test_a_fresh_unparsable_file_is_left_for_its_writer_to_finish(tmp_path):
    """A file of kombu's own writer (a process of an older Pulso) may still be filling up."""
    with connection(tmp_path) as conn:
        channel = conn.default_channel
        filling = tmp_path / f"{time.time_ns()}_y.soak.msg"
        filling.write_bytes(b"")
        with pytest.raises(Empty):
            channel._get("soak")
        filling.write_bytes(json.dumps({"body": "late"}).encode())
        assert channel._get("soak") == {"body": "late"}


def test_temporary_files_of_a_writer_that_died_are_never_delivered_and_are_cleaned_up(tmp_path):
    with connection(tmp_path) as conn:
        channel = conn.default_channel
        orphan = tmp_path / f"{broker.TEMP_PREFIX}dead-writer"
        orphan.write_bytes(b'{"partial')
        recent = tmp_path / f"{broker.TEMP_PREFIX}live-writer"
        recent.write_bytes(b'{"partial')
        stale = time.time() - broker.STALE_TEMP_SECONDS - 1
        os.utime(orphan, (stale, stale))

        with pytest.raises(Empty):
            channel._get("soak")
        assert not orphan.exists()
        assert recent.exists()  # a writer may be filling it right now


def _bind_many(folder: Path, start: int, count: int) -> None:
    with connection(folder) as conn:
        channel = conn.default_channel
        channel.exchange_declare("fan", type="fanout")
        for i in range(start, start + count):
            channel.queue_declare(f"q{i}")
            channel.queue_bind(f"q{i}", "fan", "")


def _read_tables(folder: Path, stop, results) -> None:
    errors, reads = [], 0
    with connection(folder) as conn:
        channel = conn.default_channel
        while not stop.is_set():
            try:
                channel.get_table("fan")
                reads += 1
            except Exception as error:
                errors.append(repr(error))
    results.put((reads, errors))


def test_exchange_tables_stay_whole_while_processes_bind_to_them(tmp_path):
    # Every publish reads its exchange's table; kombu's own writer truncated the file first.
    stop, results = FORK.Event(), FORK.Queue()
    reader = FORK.Process(target=_read_tables, args=(tmp_path, stop, results))
    reader.start()
    binders = [FORK.Process(target=_bind_many, args=(tmp_path, n * 40, 40)) for n in range(4)]
    for process in binders:
        process.start()
    for process in binders:
        process.join(60)
    stop.set()
    reads, errors = results.get(timeout=30)
    reader.join(10)

    assert errors == []
    assert reads > 0
    with connection(tmp_path) as conn:
        queues = {binding.queue for binding in conn.default_channel.get_table("fan")}
    assert queues == {f"q{i}" for i in range(160)}  # no binding lost to a concurrent writer


def test_the_embedded_mode_uses_this_broker_without_remote_control():
    if settings.REDIS_URL:
        pytest.skip("REDIS_URL set: the broker is Redis")
    assert settings.CELERY_BROKER_URL == "pulsofs://"
    assert settings.CELERY_WORKER_ENABLE_REMOTE_CONTROL is False
    from config.celery import app

    with app.connection_for_write() as conn:
        assert isinstance(conn.transport, broker.Transport)
