"""The write threads' queues (rooms/workers.py's db_write_batched): what arrives while a batch
runs goes as the next batch, in order, and each caller gets its own item's outcome."""

import asyncio
import threading
from dataclasses import dataclass, field

import pytest

from rooms.workers import db_write_batched

# The queues run their batches as the write threads do, with the database connection's upkeep
# around each batch.
pytestmark = pytest.mark.django_db

ROOM_ID = 1


@dataclass
class Batch:
    outcomes: list
    events: list = field(default_factory=list)


class Published(list):
    """The events the queue publishes, batch after batch."""

    def __call__(self, events: list) -> None:
        self.extend(events)


def submitter(func, *, max_items: int = 64, publish=None):
    return db_write_batched(
        func, room_id=ROOM_ID, max_items=max_items, publish=Published() if publish is None else publish
    )


class BlockingBatches:
    """A batch function that records each batch and holds the first one until released, so
    that a test can queue items behind a batch that is running."""

    def __init__(self) -> None:
        self.batches: list[list] = []
        self.running, self.release = threading.Event(), threading.Event()

    def __call__(self, items: list) -> Batch:
        self.batches.append(list(items))
        self.running.set()
        assert self.release.wait(5)
        outcomes = [ValueError(item) if item == "bad" else f"done {item}" for item in items]
        return Batch(outcomes, events=[f"event of {item}" for item in items if item != "bad"])


async def wait_until_running(batches: BlockingBatches) -> None:
    assert await asyncio.get_running_loop().run_in_executor(None, batches.running.wait, 5)


async def queue_behind_a_running_batch(submit, batches: BlockingBatches, count: int) -> list[asyncio.Future]:
    """Item 0 as the batch the thread is running, then items 1..count waiting behind it."""
    first = asyncio.ensure_future(submit(0))
    await wait_until_running(batches)
    return [first, *(asyncio.ensure_future(submit(i)) for i in range(1, count + 1))]


async def test_items_that_arrive_while_a_batch_runs_go_together_as_the_next_batch():
    batches = BlockingBatches()
    submit = submitter(batches)
    items = await queue_behind_a_running_batch(submit, batches, 5)
    await asyncio.sleep(0.05)
    assert batches.batches == [[0]]  # the others wait while the thread is busy
    batches.release.set()
    assert await asyncio.gather(*items) == [f"done {i}" for i in range(6)]
    assert batches.batches == [[0], [1, 2, 3, 4, 5]]


async def test_a_long_queue_goes_in_batches_of_at_most_max_items_in_order():
    batches = BlockingBatches()
    submit = submitter(batches, max_items=2)
    items = await queue_behind_a_running_batch(submit, batches, 5)
    batches.release.set()
    await asyncio.gather(*items)
    assert batches.batches == [[0], [1, 2], [3, 4], [5]]


async def test_an_outcome_that_is_an_error_is_raised_to_its_own_caller_only():
    batches = BlockingBatches()
    batches.release.set()
    submit = submitter(batches)
    outcomes = await asyncio.gather(submit("good"), submit("bad"), submit("fine"), return_exceptions=True)
    assert outcomes[0] == "done good" and outcomes[2] == "done fine"
    assert isinstance(outcomes[1], ValueError)


async def test_a_failing_batch_fails_each_of_its_callers_and_the_queue_goes_on():
    calls = []

    def flaky(items):
        calls.append(list(items))
        if len(calls) == 1:
            raise RuntimeError("the store is away")
        return Batch([f"done {item}" for item in items])

    submit = submitter(flaky)
    outcomes = await asyncio.gather(submit(1), submit(2), return_exceptions=True)
    assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
    assert await submit(3) == "done 3"


async def test_an_item_whose_caller_gave_up_waiting_still_runs_and_its_events_are_published():
    batches, published = BlockingBatches(), Published()
    submit = submitter(batches, publish=published)
    running = asyncio.ensure_future(submit(0))
    await wait_until_running(batches)
    abandoned = asyncio.ensure_future(submit("abandoned"))
    await asyncio.sleep(0.01)
    abandoned.cancel()  # as when the socket closes while its send waits
    batches.release.set()
    assert await running == "done 0"
    assert await submit("after") == "done after"
    assert ["abandoned"] in batches.batches
    assert published == ["event of 0", "event of abandoned", "event of after"]
    with pytest.raises(asyncio.CancelledError):
        await abandoned


async def test_a_batchs_events_are_published_in_order_before_any_of_its_callers_hears_of_it():
    batches, published = BlockingBatches(), Published()
    heard = []

    async def send(item):
        await submit(item)
        heard.append((item, list(published)))

    submit = submitter(batches, publish=published)
    first = asyncio.ensure_future(send(0))
    await wait_until_running(batches)
    rest = [asyncio.ensure_future(send(i)) for i in (1, 2, 3)]
    await asyncio.sleep(0.01)
    batches.release.set()
    await asyncio.gather(first, *rest)
    assert published == [f"event of {i}" for i in range(4)]
    # Each caller, on hearing its outcome, finds its whole batch already published.
    assert heard == [(0, ["event of 0"])] + [(i, published[:]) for i in (1, 2, 3)]
