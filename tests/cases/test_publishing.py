"""The fast path after a commit (cases/publishing.py): one broker failure and the other
publishes of this process leave their work to the outbox sweep for a while, so a request never
waits on a sick broker once per e-mail; once the pause is over, publishing resumes."""

import pytest
from django.db import transaction

from cases import publishing


class Broker:
    def __init__(self) -> None:
        self.down = False
        self.published: list[int] = []
        self.attempts = 0

    def enqueue(self, pk: int) -> None:
        self.attempts += 1
        if self.down:
            raise ConnectionError("broker unreachable")
        self.published.append(pk)


def commit(*pks, broker):
    with transaction.atomic():
        for pk in pks:
            publishing.publish_on_commit(broker.enqueue, pk)


@pytest.mark.django_db(transaction=True)
def test_after_one_failed_publish_the_others_wait_for_the_sweep(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(publishing.time, "monotonic", lambda: clock[0])
    broker = Broker()

    commit(1, broker=broker)
    assert broker.published == [1]

    broker.down = True
    commit(2, 3, 4, broker=broker)  # a resolution: several e-mails in one request
    assert broker.attempts == 2  # one try for 2; 3 and 4 not even tried

    broker.down = False
    clock[0] += publishing.BROKER_RETRY_AFTER - 1
    commit(5, broker=broker)
    assert broker.published == [1]  # still within the pause

    clock[0] += 2
    commit(6, 7, broker=broker)
    assert broker.published == [1, 6, 7]  # the broker is tried again, and it is back


@pytest.mark.django_db(transaction=True)
def test_nothing_is_published_when_the_transaction_rolls_back():
    broker = Broker()
    with pytest.raises(RuntimeError), transaction.atomic():
        publishing.publish_on_commit(broker.enqueue, 1)
        raise RuntimeError("the request failed")
    assert broker.attempts == 0
