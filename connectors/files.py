"""Read FHIR R4 from files: single resources and Bundles of any type in JSON or XML, NDJSON, and
folders of them.

`FileConnector(paths).read()` yields each resource (a dict, as it came apart from the reference
rewrite below) that passed `validate.check`, and a `Rejected` for each thing that could not be
imported, so one bad entry never stops the rest of a file.

In a Bundle, an entry whose resource has no id takes the UUID of its `urn:uuid:` fullUrl, and every
`reference` equal to an entry's fullUrl (`urn:uuid:...` or an absolute `http(s)://.../Type/id`) is
rewritten to that entry's `Type/id`, so what is stored links up without the Bundle around it;
each entry is given the Bundle's security labels, and a fullUrl that entries share is resolved to
none of them (connectors/bundle_rules.py). A .gz is read in a stream and refused once it expands
past a limit (MAX_EXPANDED_BYTES), and a fault in reading one file rejects that file alone.
FHIR XML (connectors/fhir_xml.py) is turned into the dicts FHIR JSON gives before anything else
reads it, so both go through the same checks. What a file holds is told by its first character
(`<` XML, else JSON), not by its name; a file that is neither is rejected by name, and so is every
file a folder holds that is not read (a hidden file or folder): a folder never skips one silently.
Positions count from 1: "entry 1" is the first entry, "line 1" the first line.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from connectors import bundle_rules, fhir_xml, validate
from connectors.base import NotFound, Rejected

_BOM = b"\xef\xbb\xbf"
_URN_UUID = "urn:uuid:"
_OUTCOME_TEXT_LIMIT = 120
# Bundle types whose entries are requests for a server to carry out.
_REQUEST_BUNDLES = frozenset({"transaction", "batch"})
_NOT_APPLIED = frozenset({"DELETE", "PATCH"})


class _NotJsonNumber(ValueError):
    """NaN or Infinity, which Python's json accepts but JSON does not."""


def _refuse_constant(name: str) -> float:
    raise _NotJsonNumber(name)


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)

FhirItem = dict | Rejected

# The most a .gz file may expand to. Decompressed in a stream, it is refused as soon as it passes
# this, so no more than this is ever held. The default is the app's upload limit
# (uploads.MAX_UPLOAD_BYTES, applied to what an upload expands to as well; tests/test_files_limits.py
# keeps the two equal); `ltc import`, for whoever runs the store, takes up to IMPORT_EXPANDED_BYTES.
MAX_EXPANDED_BYTES = 200 * 1024 * 1024
IMPORT_EXPANDED_BYTES = 1024 * 1024 * 1024
_CHUNK = 1024 * 1024


class _NotGzip(ValueError):
    """A .gz file that is not gzip, or is cut short."""


class _TooLarge(ValueError):
    """A .gz file expands past the limit."""


def _size(limit: int) -> str:
    for unit, size in (("GB", 1024 ** 3), ("MB", 1024 ** 2)):
        if limit >= size:
            return f"{limit / size:,.4g} {unit}"
    return f"{limit:,} bytes"


def _expanded(path: Path, limit: int) -> bytearray:
    """A .gz file's content, read in a stream; `_TooLarge` as soon as it passes `limit` bytes."""
    data = bytearray()
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                if len(data) + len(chunk) > limit:
                    raise _TooLarge
                data += chunk
    except (gzip.BadGzipFile, EOFError, zlib.error):
        raise _NotGzip from None
    return data


class FileConnector:
    """Reads resources from the given files and folders (folders recursively, sorted by path)."""

    def __init__(self, paths: Iterable[str | Path], max_expanded: int = MAX_EXPANDED_BYTES) -> None:
        self._paths = tuple(paths)
        self._max_expanded = max_expanded

    def read(self) -> Iterator[FhirItem]:
        """Yield checked resources and `Rejected` items; raise `NotFound` before yielding anything
        if a path given does not exist."""
        missing = [str(path) for path in self._paths if not Path(path).exists()]
        if missing:
            raise NotFound(f"no such file or folder: {', '.join(missing)}")
        for given in self._paths:
            path = Path(given)
            if path.is_dir():
                for file, hidden in _files_under(path):
                    if hidden:
                        what = "folder" if file.is_dir() else "file"
                        yield Rejected(str(file), "file", f"hidden {what}, not read")
                    else:
                        yield from _read_file(file, str(file), self._max_expanded)
            else:
                yield from _read_file(path, str(given), self._max_expanded)


def _files_under(folder: Path) -> list[tuple[Path, bool]]:
    """(path, hidden) of every file under `folder`, and of every hidden folder (not entered),
    sorted by path: the caller reads the files and names the hidden ones as not read."""
    found = []
    for root, dirs, files in os.walk(folder):
        found.extend((Path(root, name), True) for name in dirs if name.startswith("."))
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        found.extend((Path(root, name), name.startswith(".")) for name in files)
    return sorted(found, key=lambda item: item[0].parts)


def _read_file(path: Path, source: str, max_expanded: int = MAX_EXPANDED_BYTES) -> Iterator[FhirItem]:
    """What one file holds. Whatever goes wrong in reading it (a fault of this reader that no
    check foresaw) rejects that file, by name, and never stops the files after it."""
    try:
        yield from _file_contents(path, source, max_expanded)
    except Exception as error:  # fail closed: one file's fault rejects that file alone
        yield Rejected(source, "file", f"could not be read: an unexpected fault in the reader ({type(error).__name__})")


def _file_contents(path: Path, source: str, max_expanded: int) -> Iterator[FhirItem]:
    name = path.name.lower()
    try:
        data = _expanded(path, max_expanded) if name.endswith(".gz") else path.read_bytes()
    except OSError as error:
        yield Rejected(source, "file", f"could not be read: {error.strerror or 'unknown error'}")
        return
    except _NotGzip:
        yield Rejected(source, "file", "not a valid gzip file")
        return
    except _TooLarge:
        yield Rejected(source, "file", f"too large: it expands to more than {_size(max_expanded)} when"
                       f" uncompressed, the most one compressed file may hold")
        return
    name = name.removesuffix(".gz")
    if name.endswith(".ndjson"):
        yield from _read_ndjson(data, source)
        return
    start = len(_BOM) if data.startswith(_BOM) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = start + error.start
        yield Rejected(source, f"byte {offset}", f"invalid UTF-8 at byte {offset}")
        return
    del data
    if fhir_xml.looks_like_xml(text):
        try:
            parsed = fhir_xml.parse(text)
        except fhir_xml.XmlError as error:
            yield Rejected(source, "file", str(error))
            return
        yield from _file_items(parsed, source)
        return
    if text.lstrip()[:1] not in ("{", "["):
        yield Rejected(source, "file", "neither FHIR JSON nor FHIR XML")
        return
    try:
        parsed = _DECODER.decode(text)
    except json.JSONDecodeError as error:
        if _looks_like_ndjson(text, error):
            yield from _read_ndjson(text.encode("utf-8"), source, start)
        else:
            yield Rejected(source, f"line {error.lineno}", _json_reason(error, error.lineno))
        return
    except (ValueError, RecursionError) as error:
        yield Rejected(source, "file", _parse_failure(error))
        return
    yield from _file_items(parsed, source)


def _file_items(parsed: object, source: str) -> Iterator[FhirItem]:
    """What a whole file holds; a file holding an empty Bundle says so rather than pass in silence
    (a server's empty search page is no such file: it goes straight to `_items`)."""
    if isinstance(parsed, dict) and parsed.get("resourceType") == "Bundle" and parsed.get("entry") in (None, []):
        yield Rejected(source, "file", "an empty Bundle: nothing to import")
        return
    yield from _items(parsed, source, "file")


def _looks_like_ndjson(text: str, error: json.JSONDecodeError) -> bool:
    """True if the text held one whole JSON value and more after a line break: NDJSON in a .json."""
    if error.msg != "Extra data" or not text.lstrip().startswith("{"):
        return False
    before = text[: error.pos]
    return "\n" in before[len(before.rstrip()) :]


def _read_ndjson(data: bytes, source: str, offset: int = 0) -> Iterator[FhirItem]:
    """One resource (or Bundle) per line; each bad line is its own `Rejected`."""
    if offset == 0 and data.startswith(_BOM):
        offset, data = len(_BOM), data[len(_BOM) :]
    line_start = offset
    for number, raw in enumerate(data.split(b"\n"), start=1):
        line_offset, line_start = line_start, line_start + len(raw) + 1
        if not raw.strip():
            continue
        position = f"line {number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield Rejected(source, position, f"invalid UTF-8 at byte {line_offset + error.start}")
            continue
        try:
            parsed = _DECODER.decode(line)
        except json.JSONDecodeError as error:
            yield Rejected(source, position, _json_reason(error, number))
            continue
        except (ValueError, RecursionError) as error:
            yield Rejected(source, position, _parse_failure(error))
            continue
        yield from _items(parsed, source, position)


def _json_reason(error: json.JSONDecodeError, line: int) -> str:
    return f"invalid JSON at line {line} column {error.colno}: {error.msg}"


def _parse_failure(error: Exception) -> str:
    if isinstance(error, _NotJsonNumber):
        return f"invalid JSON: {error} is not a JSON number"
    if isinstance(error, RecursionError):
        return "invalid JSON: nested too deeply"
    return "invalid JSON: a number is too long"


def _items(parsed: object, source: str, position: str) -> Iterator[FhirItem]:
    """What one parsed document (a file, or an NDJSON line) holds."""
    if not isinstance(parsed, dict) or not isinstance(parsed.get("resourceType"), str):
        yield Rejected(source, position, "not a FHIR resource (no resourceType)")
        return
    resource_type = parsed["resourceType"]
    if resource_type == "Bundle":
        yield from _bundle_items(parsed, source, position)
    elif resource_type == "OperationOutcome":
        yield Rejected(source, position, _outcome_reason(parsed))
    elif "id" not in parsed:
        yield Rejected(source, position, "no id")
    else:
        yield _checked(parsed, source, position)


def _outcome_reason(outcome: dict) -> str:
    """The issue text of an OperationOutcome, cut short: it is a report, not data to import."""
    texts = []
    issues = outcome.get("issue")
    for issue in issues if isinstance(issues, list) else ():
        if not isinstance(issue, dict):
            continue
        details = issue.get("details")
        text = issue.get("diagnostics") or (details.get("text") if isinstance(details, dict) else None)
        text = text or issue.get("code")
        if isinstance(text, str) and text:
            texts.append(text)
    summary = "; ".join(texts) or "no details given"
    if len(summary) > _OUTCOME_TEXT_LIMIT:
        summary = summary[: _OUTCOME_TEXT_LIMIT - 3] + "..."
    return f"OperationOutcome, not imported: {validate.printable(summary)}"


def _checked(resource: dict, source: str, position: str) -> FhirItem:
    reason = validate.check(resource)
    return resource if reason is None else Rejected(source, position, reason)


def _bundle_items(bundle: dict, source: str, position: str, carried: tuple = ()) -> Iterator[FhirItem]:
    """Resolve ids and references within one Bundle, then yield its entries' resources in order,
    each given the Bundle's security labels and those `carried` from the Bundles around it."""
    entries = bundle.get("entry")
    if entries is None:
        return
    if not isinstance(entries, list):
        yield Rejected(source, position, "Bundle entry is not a list")
        return
    bundle_type = bundle.get("type")
    if bundle_type is not None and not isinstance(bundle_type, str):
        yield Rejected(source, position, "Bundle type is not a code (text)")
        return
    prefix = "" if position == "file" else f"{position} > "
    is_request = bundle_type in _REQUEST_BUNDLES
    claims: dict[str, list[dict]] = {}  # fullUrl -> the resources of the entries that give it
    named_by_url: set[int] = set()  # (id() of) the resources whose id is their fullUrl's UUID
    kept: list[tuple[str, dict] | Rejected] = []
    reads = 0  # requests to read, in a batch or transaction: nothing in them to import
    for number, entry in enumerate(entries, start=1):
        label = f"entry {number}"
        where = prefix + label
        if not isinstance(entry, dict):
            kept.append(Rejected(source, where, f"{label}: not a JSON object"))
            continue
        resource = entry.get("resource")
        if resource is None:
            method = _method(entry)
            if is_request and method in _NOT_APPLIED:
                kept.append(Rejected(source, where, f"{label}: {method} requests are not applied from files"))
            reads += is_request and method not in _NOT_APPLIED
            continue  # a read request, or a history or response entry with nothing to import
        if is_request and _method(entry) == "PATCH":
            kept.append(Rejected(source, where, f"{label}: PATCH requests are not applied from files"))
            continue
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            kept.append(Rejected(source, where, "not a FHIR resource (no resourceType)"))
            continue
        if resource["resourceType"] == "OperationOutcome":
            kept.append(Rejected(source, where, _outcome_reason(resource)))
            continue
        full_url = entry.get("fullUrl")
        if "id" not in resource and resource["resourceType"] != "Bundle":
            if isinstance(full_url, str) and full_url.startswith(_URN_UUID) and len(full_url) > len(_URN_UUID):
                resource["id"] = full_url[len(_URN_UUID) :]
                named_by_url.add(id(resource))
            else:
                kept.append(Rejected(source, where, f"{label}: no id and no urn:uuid fullUrl"))
                continue
        if isinstance(full_url, str):
            claims.setdefault(full_url, []).append(resource)
        kept.append((where, resource))
    shared = bundle_rules.shared_full_urls(claims, bundle_type)
    targets = {url: f"{found[0]['resourceType']}/{found[0]['id']}" for url, found in claims.items()
               if url not in shared and isinstance(found[0].get("id"), str)}
    refused_entries = {id(resource) for url in shared for resource in claims[url]} & named_by_url
    labels = bundle_rules.labels_of(bundle, carried)
    if reads and not kept:  # a file of read requests says so rather than import nothing in silence
        yield Rejected(source, position, f"a {bundle.get('type')} of {reads} read request(s) only: nothing to import")
    for item in kept:
        if isinstance(item, Rejected):
            yield item
            continue
        where, resource = item
        if id(resource) in refused_entries:
            yield Rejected(source, where, f"{where[len(prefix):]}: no id, and its fullUrl is another entry's"
                           f" too ({bundle_rules.BDL_7})")
            continue
        if resource["resourceType"] == "Bundle":
            yield from _bundle_items(resource, source, where, labels)
            continue
        refused = bundle_rules.names_a_shared_patient(resource, shared)
        if refused is not None:
            yield Rejected(source, where, refused)
            continue
        bundle_rules.with_labels(resource, labels)
        if targets:
            try:
                _rewrite_references(resource, targets)
            except RecursionError:
                yield Rejected(source, where, "structure nested too deeply")
                continue
        yield _checked(resource, source, where)


def _method(entry: dict) -> str | None:
    request = entry.get("request")
    method = request.get("method") if isinstance(request, dict) else None
    return method.upper() if isinstance(method, str) else None


def _rewrite_references(node: dict | list, targets: dict[str, str]) -> None:
    """Replace, in place, every `reference` that is a fullUrl in `targets` by its `Type/id`."""
    if type(node) is dict:
        reference = node.get("reference")
        if type(reference) is str:
            target = targets.get(reference)
            if target is not None:
                node["reference"] = target
        values = node.values()
    else:
        values = node
    for value in values:
        kind = type(value)
        if kind is dict or kind is list:
            _rewrite_references(value, targets)
