"""connectors/files.py's limits: what a .gz may expand to, and a fault in reading one file."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from connectors import files
from connectors.base import Rejected
from connectors.files import IMPORT_EXPANDED_BYTES, MAX_EXPANDED_BYTES, FileConnector
from ltc_dashboard.intake import uploads
from ltc_dashboard.intake.ingest import import_paths
from ltc_dashboard.store import Store

PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"text": "P One"}]}


def test_the_default_limit_is_the_upload_limit_and_ltc_import_takes_a_gigabyte():
    """An upload may expand to no more than it may be sent as; `ltc import` takes up to 1 GB."""
    assert MAX_EXPANDED_BYTES == uploads.MAX_UPLOAD_BYTES
    assert IMPORT_EXPANDED_BYTES == 1024 ** 3


@pytest.mark.parametrize("limit, refused", [(1000, False), (999, True)])
def test_a_gz_is_read_up_to_its_limit_and_refused_by_size_past_it(tmp_path, limit, refused):
    """A .gz that expands to exactly the limit is read; one byte more is refused, naming the limit."""
    text = json.dumps(PATIENT)
    path = tmp_path / "p.json.gz"
    path.write_bytes(gzip.compress((text + " " * (1000 - len(text))).encode()))
    items = list(FileConnector([path], max_expanded=limit).read())
    if refused:
        assert items == [Rejected(str(path), "file", "too large: it expands to more than 999 bytes when"
                                                     " uncompressed, the most one compressed file may hold")]
    else:
        assert items == [PATIENT]


def test_a_multi_member_gz_is_read_whole_and_a_cut_one_is_refused(tmp_path):
    """Two gzip members one after another are read as one file; a file cut short is not gzip."""
    first, second = json.dumps(PATIENT)[:20].encode(), json.dumps(PATIENT)[20:].encode()
    whole, cut = tmp_path / "whole.json.gz", tmp_path / "cut.json.gz"
    whole.write_bytes(gzip.compress(first) + gzip.compress(second))
    cut.write_bytes(gzip.compress(first + second)[:-12])
    assert list(FileConnector([whole, cut]).read()) == [PATIENT, Rejected(str(cut), "file", "not a valid gzip file")]


def test_ltc_import_refuses_a_gz_past_a_gigabyte_naming_the_limit(tmp_path, monkeypatch):
    """`ltc import` passes its own limit: a bomb is refused naming 1 GB (the chunk shrunk to keep the test quick)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(b"".join([packer.compress(b" " * (1 << 20)) for _ in range(8)] + [packer.flush()]))
    monkeypatch.setattr("ltc_dashboard.intake.ingest.IMPORT_EXPANDED_BYTES", 4 << 20)
    report = import_paths(Store(tmp_path / "t.db"), [bomb])
    assert [r.reason for r in report.rejected] == ["too large: it expands to more than 4 MB when uncompressed,"
                                                   " the most one compressed file may hold"]


def test_a_fault_in_reading_one_file_rejects_that_file_and_reads_the_next(tmp_path, monkeypatch):
    """An exception no check foresaw becomes a reject naming the file; the files after it are read."""
    bad, good = tmp_path / "a.json", tmp_path / "b.json"
    bad.write_text(json.dumps({**PATIENT, "id": "boom"}))
    good.write_text(json.dumps(PATIENT))
    real = files._checked

    def faulty(resource, source, position):
        if resource["id"] == "boom":
            raise KeyError("surprise")
        return real(resource, source, position)

    monkeypatch.setattr(files, "_checked", faulty)
    assert list(FileConnector([bad, good]).read()) == [
        Rejected(str(bad), "file", "could not be read: an unexpected fault in the reader (KeyError)"), PATIENT]
