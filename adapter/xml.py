"""FHIR R4 XML <-> JSON conversion; re-exports the hardened parser of `adapter.safexml`
(`parse_xml_bytes`, `xhtml_fragment`, `safe_parser`), which reads every XML document.

Converting: `fhir_xml_to_json` follows https://hl7.org/fhir/R4/xml.html and
https://hl7.org/fhir/R4/json.html. Types and cardinality come from the `fhir.resources.R4B`
model classes, read once per class and cached. A value that does not convert to its JSON
type is kept as the raw string, and an element the model does not know is kept as it was
found, so that validation can report both instead of this module guessing. Decimals become
JSON numbers (int when written without a point or exponent, else float), as a JSON reader
would give them. `fhir_json_to_xml` is the reverse, in FHIR element order.
"""

from __future__ import annotations

import gc
import math
import re
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, Literal

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.constraints import FHIR_PRIMITIVES_MAPS
from fhir_core.types import FhirBase
from lxml import etree

from adapter.errors import TooLarge, UnreadableInput
from adapter.fhir import RESOURCE_TYPES
from adapter.limits import MAX_XML_ATTRIBUTES
from adapter.safexml import (
    DEFAULT_MAX_XML_BYTES,
    HOSTILE_MESSAGE,
    SAFE_PARSER,
    _fail,
    parse_xml_bytes,
    safe_parser,
    xhtml_fragment,
)
from adapter.version import STU3_ONLY, bundle_release, release_of

__all__ = [
    "DEFAULT_MAX_XML_BYTES",
    "FHIR_NS",
    "HOSTILE_MESSAGE",
    "SAFE_PARSER",
    "XHTML_NS",
    "fhir_json_to_xml",
    "fhir_xml_to_json",
    "fhir_xml_to_json_as_sent",
    "parse_xml_bytes",
    "safe_parser",
    "xhtml_fragment",
]

FHIR_NS: Final = "http://hl7.org/fhir"
XHTML_NS: Final = "http://www.w3.org/1999/xhtml"

Json = dict[str, Any]
Element = etree._Element


# ------------------------------------------------------------- model lookup tables

Kind = Literal["primitive", "complex", "resource", "xhtml"]


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    is_list: bool
    kind: Kind
    primitive: str
    model: type[Any] | None


@dataclass(frozen=True, slots=True)
class _Spec:
    fields: dict[str, _Field]
    position: dict[str, int]  # FHIR element order
    attributes: tuple[str, ...]  # elements written as XML attributes: `id`, an extension's `url`


_EMPTY_SPEC: Final = _Spec({}, {}, ())


def _unwrap(annotation: Any) -> tuple[bool, Any]:
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Union or origin is types.UnionType:
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif origin is list:
            is_list, annotation = True, typing.get_args(annotation)[0]
        else:
            return is_list, annotation


def _primitive_name(annotation: Any) -> str:
    try:
        name = FHIR_PRIMITIVES_MAPS.get(annotation)
    except TypeError:
        name = None
    for marker in getattr(annotation, "__metadata__", ()):
        name = name or FHIR_PRIMITIVES_MAPS.get(type(marker))
    return str(name or "string")


def _field(name: str, annotation: Any) -> _Field:
    is_list, inner = _unwrap(annotation)
    if isinstance(inner, type) and issubclass(inner, FhirBase):
        model = inner.get_model_klass()
        if model.__name__ == "Resource":
            return _Field(name, is_list, "resource", "", None)
        return _Field(name, is_list, "complex", "", model)
    primitive = _primitive_name(inner)
    kind: Kind = "xhtml" if primitive == "xhtml" else "primitive"
    return _Field(name, is_list, kind, primitive, None)


_SPECS: dict[type[Any], _Spec] = {}


def _spec(model: type[Any] | None) -> _Spec:
    """The JSON/XML names of a model's elements, their types and cardinality, in order;
    built once per model class."""
    if model is None:
        return _EMPTY_SPEC
    spec = _SPECS.get(model)
    if spec is None:
        spec = _SPECS[model] = _build_spec(model)
    return spec


def _build_spec(model: type[Any]) -> _Spec:
    attributes: tuple[str, ...] = ("id", "url") if model.__name__ == "Extension" else ("id",)
    if model.has_resource_base():
        attributes = ()  # a resource's id is an element
    fields: dict[str, _Field] = {}
    for key, info in model.model_fields.items():
        name = info.alias or key
        if not (name.startswith("_") or name == "fhir_comments" or name in attributes):
            fields[name] = _field(name, info.annotation)
    order = [n for n in model.elements_sequence() if n in fields]
    order += [n for n in fields if n not in order]
    return _Spec(fields, {n: i for i, n in enumerate(order)}, attributes)


_RESOURCE_MODELS: dict[tuple[str, str], type[Any]] = {}
# The release being converted: R4, or STU3 for a document read as STU3 (docs/contract.md §1).
_RELEASE: ContextVar[str] = ContextVar("fhir_release", default="R4")


def _resource_model(name: str, release: str = "R4") -> type[Any] | None:
    """The model class of a concrete resource type, or None for anything else."""
    found = _RESOURCE_MODELS.get((release, name))
    if found is not None or not name.isidentifier() or name in ("Resource", "DomainResource"):
        return found
    try:
        model = _model_class(name, release)
    except (ValueError, ImportError, AttributeError):
        return None
    if not model.has_resource_base() or model.__name__ != name:
        return None
    _RESOURCE_MODELS[release, name] = model
    return model


def _model_class(name: str, release: str) -> type[Any]:
    if release == "STU3":
        from fhir.resources.STU3 import get_fhir_model_class as stu3_model_class

        return stu3_model_class(name)
    return get_fhir_model_class(name)


@cache
def _r4_only(name: str) -> bool:
    """An R4 resource type that R4B dropped. Decided per type when first met: building all
    159 R4B models to list them took 2.7 s of CPU at import, paid by every process that
    imported this module (the service at start-up)."""
    return name in RESOURCE_TYPES - {"Resource", "DomainResource"} and _resource_model(name) is None


def _resource_spec(name: str) -> _Spec | None:
    """How to read a resource type: its R4B model, or no model for an R4 type that R4B
    dropped (read as found, so that it is still a resource with a known type)."""
    model = _resource_model(name, _RELEASE.get())
    if model is not None:
        return _spec(model)
    return _EMPTY_SPEC if _r4_only(name) else None


# ------------------------------------------------------------------ XML -> JSON

_FHIR: Final = "{" + FHIR_NS + "}"
_FHIR_LEN: Final = len(_FHIR)
_XHTML_DIV: Final = "{" + XHTML_NS + "}div"
_INTEGER: Final = re.compile(r"0|[-+]?[1-9][0-9]{0,30}")
_DECIMAL: Final = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_INTEGERS: Final = frozenset({"integer", "positiveInt", "unsignedInt", "integer64"})


def fhir_xml_to_json(source: bytes | Element, release: str = "R4") -> Json:
    """A FHIR R4 XML resource (document bytes or a parsed root) as FHIR JSON; with
    `release="STU3"`, read by the STU3 structure definitions instead."""
    token = _RELEASE.set(release)
    try:
        return _root_to_json(parse_xml_bytes(source) if isinstance(source, bytes) else source)
    finally:
        _RELEASE.reset(token)


def fhir_xml_to_json_as_sent(source: bytes | Element) -> Json:
    """FHIR XML as JSON in the release it was written in: by the STU3 definitions when the
    document is STU3 (its root is an STU3-only type, or its R4 reading shows an STU3 marker:
    docs/contract.md §1), else by R4."""
    root = parse_xml_bytes(source) if isinstance(source, bytes) else source
    if str(root.tag).rpartition("}")[2] in STU3_ONLY:
        return fhir_xml_to_json(root, release="STU3")
    value = fhir_xml_to_json(root)
    found = bundle_release(value) if value.get("resourceType") == "Bundle" else release_of(value)
    return fhir_xml_to_json(root, release="STU3") if found == "STU3" else value


def _root_to_json(root: Element) -> Json:
    tag = str(root.tag)
    spec = _resource_spec(tag[_FHIR_LEN:]) if tag.startswith(_FHIR) else None
    if spec is None:
        qname = etree.QName(tag)
        where = f"namespace {qname.namespace}" if qname.namespace else "no namespace"
        message = (
            f"the root element <{qname.localname}> ({where}) is not a FHIR R4 resource; "
            f'send a resource such as <Patient xmlns="{FHIR_NS}">'
        )
        raise _fail(UnreadableInput, "structure", message)
    with _no_cycle_collection():
        return _resource_to_json(root, tag[_FHIR_LEN:], spec)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector while building a large acyclic JSON tree: it would walk
    every dict made so far again and again (a quarter of the time on big Bundles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_XSI: Final = "{http://www.w3.org/2001/XMLSchema-instance}"


def _attributes(elem: Element, out: Json, spec: _Spec) -> None:
    """`id` (and an extension's `url`) as JSON; any other attribute is kept as `@name`,
    and text content (FHIR elements have none) as `@text`, so that validation reports
    them; `xsi:` schema hints are ignored."""
    text = elem.text
    if text and not text.isspace():
        out["@text"] = text.strip()
    if len(elem.attrib) > MAX_XML_ATTRIBUTES:  # counted in linear time; items() is not
        raise _fail(
            TooLarge,
            "too-costly",
            f"<{etree.QName(elem).localname}> has {len(elem.attrib)} attributes; a FHIR "
            f"element has at most value, id and url (the limit is {MAX_XML_ATTRIBUTES})",
        )
    for key, value in elem.items():
        attr = str(key)
        if attr in spec.attributes:
            out[attr] = str(value)
        elif not attr.startswith(_XSI):
            out["@" + attr] = str(value)


def _resource_to_json(elem: Element, name: str, spec: _Spec) -> Json:
    out: Json = {"resourceType": name}
    _attributes(elem, out, spec)
    _children_to_json(elem, spec, out)
    return out


def _complex_to_json(elem: Element, spec: _Spec) -> Json:
    out: Json = {}
    _attributes(elem, out, spec)
    _children_to_json(elem, spec, out)
    return out


def _children_to_json(elem: Element, spec: _Spec, out: Json) -> None:
    unknown: dict[str, list[Any]] | None = None
    primitive_lists: set[str] | None = None
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = tag[_FHIR_LEN:] if tag.startswith(_FHIR) else "div" if tag == _XHTML_DIV else tag
        field = spec.fields.get(name)
        if field is None:
            unknown = {} if unknown is None else unknown
            unknown.setdefault(name, []).append(_unknown_to_json(child))
        elif field.kind != "primitive":
            _put(out, field, _value_to_json(child, field))
        elif field.is_list:
            _primitive_to_json(child, field, out)
            primitive_lists = {name} if primitive_lists is None else primitive_lists | {name}
        elif (
            child.text is None and not len(child) and child.keys() == ["value"] and name not in out
        ):
            out[name] = _convert(field.primitive, child.get("value", ""))
        else:
            _primitive_to_json(child, field, out)
    for name, values in (unknown or {}).items():  # never in place of a known key
        taken = name in out or name in spec.attributes or name[:1] == "_" or name == "resourceType"
        key = f"<{name}>" if taken else name
        out[key] = values[0] if len(values) == 1 else values
    for name in primitive_lists or ():
        _square_primitive_list(out, name)


def _put(out: Json, field: _Field, value: Any) -> None:
    name = field.name
    if field.is_list:
        out.setdefault(name, []).append(value)
    elif name in out:  # a second value for a single element: kept, so validation rejects it
        held = out[name]
        out[name] = [*held, value] if isinstance(held, list) else [held, value]
    else:
        out[name] = value


def _value_to_json(child: Element, field: _Field) -> Any:
    if field.kind == "complex":
        return _complex_to_json(child, _spec(field.model))
    if field.kind == "xhtml":
        copy = deepcopy(child)
        copy.tail = None
        return etree.tostring(copy, encoding="unicode")
    inner = [c for c in child if isinstance(c.tag, str)]
    tag = str(inner[0].tag) if len(inner) == 1 else ""
    if not tag.startswith(_FHIR):
        return _unknown_to_json(child)
    name = tag[_FHIR_LEN:]
    # an unknown type is read as found, keeping its name for the rejection message
    return _resource_to_json(inner[0], name, _resource_spec(name) or _EMPTY_SPEC)


def _primitive_to_json(child: Element, field: _Field, out: Json) -> None:
    """Put a primitive's value under `name` and its id and extensions under `_name`."""
    raw = child.get("value")
    value = None if raw is None else _convert(field.primitive, raw)
    extra: Json | None = None
    if len(child) or child.text or len(child.attrib) > (raw is not None):  # more than a value
        extra = _complex_to_json(child, _element_spec())
        extra.pop("@value", None)
    name = field.name
    if field.is_list:
        out.setdefault(name, []).append(value)
        if extra:
            held = out.setdefault("_" + name, [])
            held.extend([None] * (len(out[name]) - 1 - len(held)))
            held.append(extra)
        return
    if value is not None:
        _put(out, field, value)
    if extra:
        _put(out, _Field("_" + name, False, "complex", "", None), extra)


@cache
def _element_spec() -> _Spec:
    """What a primitive element may hold besides its value: `id` and `extension`."""
    return _spec(get_fhir_model_class("Element"))


def _square_primitive_list(out: Json, name: str) -> None:
    """Pad `_name` to the length of `name`; drop `name` when no value is present."""
    values = out.get(name, [])
    extras = out.get("_" + name)
    if extras is not None:
        extras.extend([None] * (len(values) - len(extras)))
    if all(v is None for v in values):
        out.pop(name, None)


def _fits_64_bits(number: int) -> bool:
    """JSON integers this wide are what every reader (orjson, the store) can hold."""
    return -(2**63) <= number < 2**63


def _convert(primitive: str, raw: str) -> Any:
    """The JSON value of a primitive, or the raw string when it does not convert."""
    if primitive == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    if primitive in _INTEGERS:
        # outside 64 bits the raw string is kept, so validation reports it (issue 15)
        return int(raw) if _INTEGER.fullmatch(raw) and _fits_64_bits(int(raw)) else raw
    if primitive == "decimal" and _DECIMAL.fullmatch(raw):
        if _INTEGER.fullmatch(raw) and _fits_64_bits(int(raw)):
            return int(raw)
        number = float(raw)
        return number if math.isfinite(number) else raw
    return raw


def _unknown_to_json(elem: Element) -> Any:
    """An element the model does not know, kept as found (a value, or an object)."""
    children = [c for c in elem if isinstance(c.tag, str)]
    if not children and set(elem.attrib) <= {"value"}:
        return elem.get("value", (elem.text or "").strip())
    out: Json = {}
    _attributes(elem, out, _EMPTY_SPEC)
    _children_to_json(elem, _EMPTY_SPEC, out)
    return out


# ------------------------------------------------------------------ JSON -> XML


def fhir_json_to_xml(resource: Json) -> bytes:
    """A FHIR JSON resource as an indented FHIR XML document (UTF-8, with declaration)."""
    root = _resource_to_xml(resource, None)
    _indent(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _resource_to_xml(resource: Json, parent: Element | None) -> Element:
    name = resource.get("resourceType")
    spec = _resource_spec(name) if isinstance(name, str) else None
    if parent is None:
        if spec is None:
            raise ValueError(f"not a FHIR R4 resource: resourceType is {name!r}")
        nsmap: Any = {None: FHIR_NS}
        elem = etree.Element(_FHIR + str(name), nsmap=nsmap)
    else:  # a nested resource of an unknown type is written back as it was read
        elem = etree.SubElement(parent, _FHIR + str(name))
    _fill(elem, resource, spec or _EMPTY_SPEC)
    return elem


def _fill(elem: Element, obj: Json, spec: _Spec) -> None:
    attributes = spec.attributes
    for attr in attributes:
        value = obj.get(attr)
        if isinstance(value, str):
            elem.set(attr, _xml_text(value))
    position = spec.position
    names = {key[1:] if key[:1] == "_" else key for key in obj}
    names.difference_update(attributes)
    names.discard("resourceType")
    for name in sorted((n for n in names if n in position), key=position.__getitem__):
        _emit(elem, spec.fields[name], obj.get(name), obj.get("_" + name))
    for key, value in obj.items():  # what the model does not know, kept as found
        plain = key[1:] if key[:1] == "_" else key
        if key == "@text":
            elem.text = _xml_text(value)
        elif key[:1] == "@":
            elem.set(key[1:], _xml_text(value))
        elif plain not in position and plain in names and value is not None:
            name = key[1:-1] if key[:1] == "<" else key
            _emit(elem, _Field(name, False, "complex", "", None), value, None)


def _emit(parent: Element, field: _Field, value: Any, extra: Any) -> None:
    if field.kind == "primitive":
        values = value if isinstance(value, list) else [value]
        extras = extra if isinstance(extra, list) else [extra]
        for i in range(max(len(values), len(extras))):
            item = values[i] if i < len(values) else None
            more = extras[i] if i < len(extras) else None
            _primitive_to_xml(parent, field.name, item, more)
        return
    for item in value if isinstance(value, list) else [value]:
        _item_to_xml(parent, field, item)


def _item_to_xml(parent: Element, field: _Field, item: Any) -> None:
    if field.kind == "xhtml":
        parent.append(_narrative(str(item)))
    elif field.kind == "resource" and isinstance(item, dict) and _is_resource(item):
        _resource_to_xml(item, etree.SubElement(parent, _tag(field.name)))
    elif isinstance(item, dict):
        _fill(etree.SubElement(parent, _tag(field.name)), item, _spec(field.model))
    elif item is not None:
        _primitive_to_xml(parent, field.name, item, None)


def _tag(name: str) -> str:
    """The XML tag of a JSON name; a foreign element kept as `{namespace}name` stays so."""
    return name if name[:1] == "{" else _FHIR + name


def _is_resource(item: Json) -> bool:
    return isinstance(item.get("resourceType"), str)


def _narrative(div: str) -> Element:
    """A narrative string as an XHTML element; markup without a namespace is put in XHTML."""
    fragment = xhtml_fragment(div)
    if str(fragment.tag).startswith("{"):
        return fragment
    nsmap: Any = {None: XHTML_NS}
    root = etree.Element(_in_xhtml(str(fragment.tag)), nsmap=nsmap)
    _copy_into(fragment, root)
    return root


def _in_xhtml(tag: str) -> str:
    return tag if tag.startswith("{") else "{" + XHTML_NS + "}" + tag


def _copy_into(source: Element, target: Element) -> None:
    target.text = source.text
    for key, value in source.items():
        target.set(key, value)
    for child in source:
        copy = etree.SubElement(target, _in_xhtml(str(child.tag)))
        _copy_into(child, copy)
        copy.tail = child.tail


def _primitive_to_xml(parent: Element, name: str, value: Any, extra: Any) -> None:
    if value is None and not extra:
        return
    elem = etree.SubElement(parent, _tag(name))
    if isinstance(extra, dict):
        _fill(elem, extra, _element_spec())
    if value is not None:
        elem.set("value", _xml_text(value))


def _xml_text(value: Any) -> str:
    """A JSON value as XML text. Characters XML 1.0 cannot carry at all, not even as a
    character reference (control characters, lone surrogates), become U+FFFD: FHIR strings
    may not hold them either, and one stored ODS code "R\u0001" must not stop every report
    (issue 15)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return _NOT_XML.sub("\ufffd", text) if _NOT_XML.search(text) else text


_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _indent(root: Element) -> None:
    """Indent FHIR elements two spaces a level; XHTML narrative is left exactly as it is
    (it is taken out while lxml indents, then put back as the last element it always is)."""
    narratives = []
    for div in root.iter(_XHTML_DIV):
        parent = div.getparent()
        if parent is not None and str(parent.tag).startswith(_FHIR):
            narratives.append((parent, div))
    for parent, div in narratives:
        parent.remove(div)
    etree.indent(root, space="  ")
    for parent, div in narratives:
        closing = "\n" + "  " * sum(1 for _ in parent.iterancestors())
        if len(parent):
            parent[-1].tail = closing + "  "
        elif not (parent.text or "").strip():
            parent.text = closing + "  "
        parent.append(div)
        div.tail = closing
