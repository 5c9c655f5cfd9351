"""The numpy dtypes derived from the layouts (q4py.layouts.dtypes) against the construct
models: the same size, the same values parsed from any bytes, the same bytes built."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_layouts import plain

from q4py.layouts import NARROW, WIDE, Layout, registry_for
from q4py.layouts.dtypes import (
    build_records,
    numeric_column,
    record_dtype,
    record_values,
    records_view,
)
from q4py.piles import field_value

LAYOUTS = [layout for abi in (NARROW, WIDE) for layout in registry_for(abi).layouts()]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return set(a) == {k for k in b if k != "_io"} and all(
            _same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


def test_every_layout_has_a_dtype_of_its_size() -> None:
    for layout in LAYOUTS:
        assert record_dtype(layout).itemsize == layout.size, layout.name


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layout=st.sampled_from(LAYOUTS), data=st.data())
def test_the_dtype_parses_and_builds_as_the_construct_model(layout: Layout,
                                                           data: st.DataObject) -> None:
    count = data.draw(st.integers(1, 3))
    blob = data.draw(st.binary(min_size=count * layout.size, max_size=count * layout.size))
    records = records_view(layout, blob)
    parsed = [layout.parse(blob[i * layout.size:(i + 1) * layout.size]) for i in range(count)]
    for record, value in zip(records, parsed, strict=True):
        assert _same(record_values(layout, record), value), layout.name
    # Building: the dtype writes what construct writes (padding zero) for the parsed values.
    values = [plain(value) for value in parsed]
    assert build_records(layout, values) == b"".join(layout.build(v) for v in values)
    # Integer columns, as keep compiles them: construct's value in 64 bits, sign kept.
    for member in layout.walk():
        if member.ctype.kind in ("int", "pointer", "bitfield"):
            column = numeric_column(layout, records, member.name)
            want = [field_value(value, member.name) for value in parsed]
            assert column.tolist() == want, member.name
            signed = member.ctype.signed and member.ctype.kind == "int"
            bits = 64 if signed or member.ctype.kind == "bitfield" else 8 * member.ctype.size
            assert column.dtype == np.dtype(f"{'i' if signed else 'u'}{bits // 8}")

