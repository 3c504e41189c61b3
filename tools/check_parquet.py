#!/usr/bin/env python3
"""Independent check of mmssr's Parquet files with pyarrow and duckdb.

  check_parquet.py read FILE            -> prints JSON {"schema": {...}, "rows": [...]} after checking that
                                           pyarrow and duckdb read identical rows; exit 1 if they disagree.
  check_parquet.py write IN.jsonl OUT   -> writes the score-table rows of IN.jsonl with pyarrow
                                           (uncompressed; --dictionary to dictionary-encode, --v2 for data page v2).
"""
import json
import math
import sys

import pyarrow as pa
import pyarrow.parquet as pq

CAPS = ["spatial", "attribute", "logical", "scene", "finegrained", "language", "incontext",
        "comparative", "activity", "causal", "humanities", "stem", "data", "ocr"]
STYLES = ["style_multichoice", "style_coordinate", "style_yesno", "style_short_phrase", "style_short_desc",
          "style_detailed_desc", "style_comparison", "style_cot", "style_specified"]


def normalise(v):
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    return v


def read(path):
    table = pq.read_table(path)
    schema = {f.name: str(f.type) + ("" if f.nullable else " not null") for f in table.schema}
    rows_pa = [{k: normalise(v) for k, v in r.items()} for r in table.to_pylist()]
    import duckdb
    con = duckdb.connect()
    rel = con.execute("SELECT * FROM read_parquet(?)", [path])
    names = [d[0] for d in rel.description]
    rows_db = [{k: normalise(v) for k, v in zip(names, r)} for r in rel.fetchall()]
    # duckdb reads FLOAT as float32 and returns Python floats of the same value, as does pyarrow.
    if rows_pa != rows_db:
        for i, (a, b) in enumerate(zip(rows_pa, rows_db)):
            if a != b:
                sys.exit(f"pyarrow and duckdb disagree at row {i}: {a} != {b}")
        sys.exit(f"pyarrow has {len(rows_pa)} rows, duckdb {len(rows_db)}")
    meta = pq.ParquetFile(path).metadata
    json.dump({"schema": schema, "rows": rows_pa, "num_row_groups": meta.num_row_groups}, sys.stdout)


def write(src, dst, dictionary, v2):
    rows = [json.loads(line) for line in open(src, encoding="utf-8") if line.strip()]
    fields = [("idx", pa.int64()), ("id", pa.string()), ("image", pa.string()), ("image_source", pa.string()),
              ("status", pa.string()), ("error", pa.string())]
    fields += [(k, pa.float32()) for k in CAPS + STYLES] + [("styles", pa.string())]
    schema = pa.schema(fields)
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, dst, compression="none", use_dictionary=dictionary,
                   data_page_version="2.0" if v2 else "1.0", row_group_size=3)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "read":
        read(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3], "--dictionary" in sys.argv, "--v2" in sys.argv)
    else:
        sys.exit(__doc__)
