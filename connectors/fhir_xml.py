"""Read FHIR R4 XML into the same dicts FHIR JSON gives, by the rules of the FHIR XML and JSON
formats (https://hl7.org/fhir/R4/xml.html, json.html).

Which elements repeat, and which hold a number or a true/false rather than text, is not written
out here: it is read from fhirclient's R4 models (each model's `elementProperties()` lists every
element with its JSON name, its type and whether it is a list), which the project already carries.
An element the models do not know (a later FHIR version's, or a misspelling) makes the resource
unreadable, with its name in the reason: guessing whether it repeats could turn one value into a
list, or a list into one value, in what the gate and the mapping read.

The XML is parsed by defusedxml: a document type declaration (and with it every entity, internal
or external) is refused, so a file can neither expand into gigabytes nor read another file.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
import copy
from xml.etree.ElementTree import Element, ParseError, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from fhirclient.models import fhirelementfactory
from fhirclient.models.extension import Extension
from fhirclient.models.resource import Resource

FHIR_NS = "http://hl7.org/fhir"
XHTML_NS = "http://www.w3.org/1999/xhtml"
_FHIR = "{" + FHIR_NS + "}"
_XHTML = "{" + XHTML_NS + "}"
# Nested deeper than this, a document is refused rather than walked (as the JSON reader refuses
# what Python's own parser cannot nest).
MAX_DEPTH = 200
# A narrative's XHTML nested deeper than this is refused (real narratives nest a table's cells a few
# levels deep); copying or writing it out would otherwise recurse past Python's limit.
MAX_XHTML_DEPTH = 100
# FHIR R4 integer, positiveInt and unsignedInt are 32-bit; a longer whole number is refused before
# Python is asked to read it (it refuses over 4,300 digits).
_INT_RANGE = (-(2 ** 31), 2 ** 31 - 1)
_INTEGER = re.compile(r"^[-+]?[0-9]+$")
_DECIMAL = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$")


class XmlError(ValueError):
    """A document is not FHIR XML this reader can turn into FHIR JSON; the message says why."""


def looks_like_xml(text: str) -> bool:
    """Whether a document's first character (after white space) opens an XML tag."""
    return text.lstrip()[:1] == "<"


def parse(text: str) -> dict:
    """The resource (or Bundle) an FHIR XML document holds, as FHIR JSON would give it."""
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise XmlError("XML with a document type declaration or entities is not read") from None
    except ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        raise XmlError(f"invalid XML at line {line} column {column + 1}") from None
    name = _local(root)
    if name is None:
        raise XmlError("not FHIR XML: the root element is not in the FHIR namespace")
    return _resource(root, name, 0)


def _local(element: Element) -> str | None:
    """The element's name in the FHIR namespace, or None for any other namespace."""
    tag = element.tag
    return tag[len(_FHIR):] if isinstance(tag, str) and tag.startswith(_FHIR) else None


@lru_cache(maxsize=None)
def _resource_class(name: str) -> type | None:
    found = fhirelementfactory.FHIRElementFactory.instantiate(name, None)
    cls = type(found)
    return cls if issubclass(cls, Resource) and cls.resource_type == name else None


@lru_cache(maxsize=None)
def _properties(cls: type) -> dict[str, tuple[type, bool]]:
    """JSON name -> (type, repeats) for every element of a model."""
    return {js: (kind, bool(is_list)) for _, js, kind, is_list, _, _ in cls().elementProperties()}


def _resource(element: Element, name: str, depth: int) -> dict:
    cls = _resource_class(name)
    if cls is None:
        raise XmlError(f"'{name:.60}' is not a FHIR R4 resource type")
    if set(element.attrib) - {"id"}:  # a resource's id is an element, never an attribute
        raise XmlError(f"{name}: unexpected attribute '{sorted(element.attrib)[0]:.40}'")
    out: dict = {"resourceType": name}
    _children(element, cls, out, name, depth + 1)
    return out


def _complex(element: Element, cls: type, path: str, depth: int) -> dict:
    out: dict = {}
    for attribute, value in element.attrib.items():
        if attribute == "id" or (attribute == "url" and "url" in _properties(cls)):
            out[attribute] = value
        else:
            raise XmlError(f"{path}: unexpected attribute '{attribute:.40}'")
    _children(element, cls, out, path, depth + 1)
    return out


def _children(element: Element, cls: type, out: dict, path: str, depth: int) -> None:
    """Each child element of `element` (a `cls`) into `out`, lists where the model says so."""
    if depth > MAX_DEPTH:
        raise XmlError(f"{path}: nested too deeply")
    properties = _properties(cls)
    primitive_extras: dict[str, list] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue  # a comment or processing instruction
        name = _local(child)
        if name is None:
            if child.tag == _XHTML + "div" and "div" in properties:
                out["div"] = _xhtml(child, f"{path}.div")
                continue
            raise XmlError(f"{path}: element '{child.tag:.60}' is outside the FHIR namespace")
        if name not in properties:
            raise XmlError(f"{path}: unknown element '{name:.60}'")
        kind, repeats = properties[name]
        where = f"{path}.{name}"
        if issubclass(kind, Resource):
            value, extra = _wrapped(child, where, depth), None
        elif hasattr(kind, "elementProperties"):
            value, extra = _complex(child, kind, where, depth), None
        else:
            value, extra = _primitive(child, kind, where, depth)
        if repeats:
            out.setdefault(name, []).append(value)
            primitive_extras.setdefault(name, []).append(extra)
        elif name in out or f"_{name}" in out:
            raise XmlError(f"{where}: appears more than once, but holds one value")
        else:
            if value is not None:
                out[name] = value
            if extra is not None:
                out[f"_{name}"] = extra
    for name, extras in primitive_extras.items():
        if any(extra is not None for extra in extras):
            out[f"_{name}"] = extras
        values = out.get(name)
        if isinstance(values, list) and all(v is None for v in values):
            del out[name]


def _wrapped(element: Element, path: str, depth: int) -> dict:
    """A resource held inside an element (`contained`, `Bundle.entry.resource` ...)."""
    inner = [child for child in element if isinstance(child.tag, str)]
    if len(inner) != 1 or _local(inner[0]) is None or element.attrib:
        raise XmlError(f"{path}: must hold exactly one resource")
    return _resource(inner[0], _local(inner[0]), depth)


def _primitive(element: Element, kind: type, path: str, depth: int) -> tuple[object, dict | None]:
    """(value, the `_name` object of its id and extensions or None) of a primitive element."""
    extra: dict = {}
    for attribute, value in element.attrib.items():
        if attribute == "id":
            extra["id"] = value
        elif attribute != "value":
            raise XmlError(f"{path}: unexpected attribute '{attribute:.40}'")
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if _local(child) != "extension":
            raise XmlError(f"{path}: a simple value holds only extensions")
        extra.setdefault("extension", []).append(_complex(child, Extension, f"{path}.extension", depth + 1))
    text = element.attrib.get("value")
    if text is None and not extra:
        raise XmlError(f"{path}: has no value")
    value = None if text is None else _typed(text, kind, path)
    return value, (extra or None)


def _typed(text: str, kind: type, path: str) -> object:
    """A primitive's XML text as the JSON value FHIR gives it: boolean, number or string."""
    if kind is bool:
        if text not in ("true", "false"):
            raise XmlError(f"{path}: '{text:.20}' is not true or false")
        return text == "true"
    if kind is int:
        if not _INTEGER.match(text):
            raise XmlError(f"{path}: '{text:.20}' is not a whole number")
        digits = text.lstrip("+-").lstrip("0") or "0"
        number = int(digits) * (-1 if text.startswith("-") else 1) if len(digits) <= 10 else None
        if number is None or not _INT_RANGE[0] <= number <= _INT_RANGE[1]:
            raise XmlError(f"{path}: '{text:.20}' is too large a whole number (FHIR's are 32-bit)")
        return number
    if kind is float:
        if not _DECIMAL.match(text.strip()):
            raise XmlError(f"{path}: '{text:.20}' is not a decimal number")
        number = float(text)
        if not math.isfinite(number):
            raise XmlError(f"{path}: '{text:.20}' is too large a number")
        return int(number) if _INTEGER.match(text.strip()) else number
    return text


def _xhtml(element: Element, path: str) -> str:
    """A narrative's XHTML `div`, as the text FHIR JSON holds it: the same markup, with the XHTML
    namespace declared once on the div (the mapping cleans it before anything shows it)."""
    todo = [(element, 0)]
    while todo:  # measured without recursion before anything recursive touches it
        node, depth = todo.pop()
        if depth > MAX_XHTML_DEPTH:
            raise XmlError(f"{path}: the narrative's XHTML is nested too deeply (more than {MAX_XHTML_DEPTH} levels)")
        todo.extend((child, depth + 1) for child in node)
    plain = copy.deepcopy(element)
    for node in plain.iter():
        if isinstance(node.tag, str) and node.tag.startswith(_XHTML):
            node.tag = node.tag[len(_XHTML):]
    plain.set("xmlns", XHTML_NS)
    plain.tail = None
    return tostring(plain, encoding="unicode")
