#!/usr/bin/env python3
"""Writes a text-only LLaVA pool of N items (JSON array, streamed out) for the bounded-memory check of
`mmssr score`: peak RSS must follow --batch, not the pool size.

    python3 tools/gen_text_pool.py 1000000 /tmp/text-1m.json
    /usr/bin/time -v mmssr score /tmp/text-1m.json --images /tmp -o /tmp/text-1m.parquet
"""
import json
import random
import sys

QUESTIONS = [
    "What is the capital of {c}?",
    "Explain why the sky looks {color} at {time}.",
    "Summarise the following paragraph in one sentence: {c} is known for its {thing} and long history of trade.",
    "Is {n} a prime number? Answer yes or no.",
    "Write a short poem about {thing} in {c}.",
]
ANSWERS = [
    "The answer is {c}.",
    "Light is scattered by the atmosphere; at {time} the path through the air is longer, so the sky looks {color}.",
    "{c} is a trading nation famous for {thing}.",
    "No",
    "Over the hills of {c} the {thing} sleeps, / the river hums, the evening keeps.",
]
WORDS = dict(
    c=["France", "Kenya", "Japan", "Peru", "Norway", "Vietnam", "Canada"],
    color=["red", "orange", "blue", "purple"],
    time=["sunset", "noon", "dawn"],
    thing=["tea", "bridges", "mountains", "coffee", "silk"],
)


def main() -> None:
    n, path = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(1)
    with open(path, "w", encoding="utf-8") as f:
        f.write("[\n")
        for i in range(n):
            k = rng.randrange(len(QUESTIONS))
            fill = {key: rng.choice(values) for key, values in WORDS.items()}
            fill["n"] = rng.randrange(2, 10_000)
            item = {
                "id": f"text-{i}",
                "conversations": [
                    {"from": "human", "value": QUESTIONS[k].format(**fill)},
                    {"from": "gpt", "value": ANSWERS[k].format(**fill)},
                ],
            }
            f.write(("" if i == 0 else ",\n") + json.dumps(item, ensure_ascii=False))
        f.write("\n]\n")


if __name__ == "__main__":
    main()
