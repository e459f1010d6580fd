"""Similar solved cases at 1 000 000 tickets: how long one lookup takes (the ticket's text
read into terms, the postings of its terms summed, the best 100 candidates picked — what the
ticket page's panel asks of the index before its one visibility query) and how large the
index is.

    .venv/bin/python tests/bench/bench_similar.py                  # 1 000 000 tickets
    .venv/bin/python tests/bench/bench_similar.py --tickets 200000 --queries 500

No database: the index is built in memory by `insights.training.similar.build_index` from
generated texts (Spanish and English words from a fixed vocabulary, each ticket about one of
a few hundred topics with a few topic words among common desk words, Zipf-distributed), and
--queries new texts of the same kind are looked up, after --warmup lookups that are not
timed: median and p95. See tests/bench/README.md.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from insights.training.similar import build_index, nearest, query_text, solved_text  # noqa: E402

SYLLABLES = "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo fu ga go gu la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu za zo".split()  # noqa: E501, SIM905
COMMON = {
    "es": "hola necesito ayuda con mi cuenta desde ayer gracias por favor el pedido no funciona".split(),  # noqa: E501, SIM905
    "en": "hello I need help with my account since yesterday thanks please the order does not work".split(),  # noqa: E501, SIM905
}


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


class Texts:
    """Tickets about `topics` topics: 4–8 of the topic's 25 words, 6–14 words of the desk's
    long tail (Zipf over `words`), a few common words of the ticket's language."""

    def __init__(self, seed: int, topics: int = 400, words: int = 30_000) -> None:
        self.rng = random.Random(seed)
        lexicon = vocabulary(self.rng, words)
        self.topics = [self.rng.sample(lexicon, 25) for _ in range(topics)]
        self.tail = lexicon
        weights = [1 / (rank + 1) for rank in range(len(lexicon))]
        total = sum(weights)
        self.cumulative = []
        running = 0.0
        for weight in weights:
            running += weight / total
            self.cumulative.append(running)

    def ticket(self) -> tuple[str, str, str]:
        rng = self.rng
        topic = rng.choice(self.topics)
        language = rng.choice(("es", "en"))
        about = rng.sample(topic, rng.randint(4, 8))
        tail = rng.choices(self.tail, cum_weights=self.cumulative, k=rng.randint(6, 14))
        common = rng.sample(COMMON[language], 5)
        words = about + tail + common
        rng.shuffle(words)
        subject = " ".join(about[:3])
        return subject, " ".join(words), " ".join(rng.sample(topic, 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    texts = Texts(args.seed)
    started = time.perf_counter()
    solved = [texts.ticket() for _ in range(args.tickets)]
    generated = time.perf_counter() - started
    started = time.perf_counter()
    index = build_index([solved_text(*t) for t in solved], range(1, args.tickets + 1))
    built = time.perf_counter() - started
    del solved
    postings = index["postings"]
    ids = index["ticket_ids"]
    megabytes = (postings.data.nbytes + postings.indices.nbytes + postings.indptr.nbytes) / 2**20
    vocabulary_size = len(index["vectorizer"].vocabulary_)

    queries = [query_text(*texts.ticket()[:2]) for _ in range(args.warmup + args.queries)]
    for text in queries[: args.warmup]:
        nearest(index, text, args.candidates)
    timings = []
    cpu = []
    found = []
    for text in queries[args.warmup :]:
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = nearest(index, text, args.candidates)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        found.append(len(answer))
    timings.sort()
    cpu.sort()
    median = statistics.median(timings) * 1000
    p95 = timings[int(0.95 * (len(timings) - 1))] * 1000
    print(f"tickets indexed        {args.tickets:,}")
    print(f"texts generated in     {generated:.1f} s; index built in {built:.1f} s")
    print(f"terms in the index     {vocabulary_size:,} (postings {postings.nnz:,})")
    print(f"index size             {megabytes:.1f} MB postings + {ids.nbytes / 2**20:.1f} MB ids")
    print(f"lookups                {len(timings)} (best {args.candidates} asked for, median")
    print(f"                       {statistics.median(found):.0f} found)")
    print(f"lookup time            median {median:.2f} ms, p95 {p95:.2f} ms")
    print(
        f"lookup CPU time        median {statistics.median(cpu) * 1000:.2f} ms, "
        f"p95 {cpu[int(0.95 * (len(cpu) - 1))] * 1000:.2f} ms (the same on a busy machine)"
    )


if __name__ == "__main__":
    main()
