"""The hardened XML reader and FHIR XML <-> JSON conversion, with the real lxml parser,
real files, a real socket on 127.0.0.1 and the real fhir.resources R4B models."""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from pydantic import ValidationError

from adapter.errors import HostileXml, TooLarge, UnreadableInput
from adapter.xml import (
    HOSTILE_MESSAGE,
    SAFE_PARSER,
    XHTML_NS,
    fhir_json_to_xml,
    fhir_xml_to_json,
    parse_xml_bytes,
    safe_parser,
    xhtml_fragment,
)

UK_CORE = Path(__file__).resolve().parents[2] / "shared" / "data" / "ukcore-r4-examples"
if not UK_CORE.is_dir():
    UK_CORE = Path("/work/shared/data/ukcore-r4-examples")
EXAMPLES = sorted(UK_CORE.glob("*.xml"))
FHIR = 'xmlns="http://hl7.org/fhir"'
SECRET = "TOP-SECRET-CONTENT-7f3a"


def patient(body: str) -> bytes:
    return f"<Patient {FHIR}>{body}</Patient>".encode()


def validate(resource: dict[str, Any]) -> Any:
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


# ------------------------------------------------------------------ hostile XML


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


class Listener:
    """A real TCP server socket on 127.0.0.1 that records whether anyone connected.

    The libxml2 under lxml 6 has no HTTP client at all, so these tests guard against a
    future build that has one: the parser is told `no_network=True` regardless."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def connections(self) -> int:
        self.sock.settimeout(0.3)
        count = 0
        try:
            while True:
                conn, _ = self.sock.accept()
                conn.close()
                count += 1
        except TimeoutError:
            return count


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.sock.close()


def billion_laughs() -> bytes:
    lines = ['<!ENTITY lol0 "lol">']
    lines += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    subset = "\n".join(lines)
    doctype = f"<!DOCTYPE Patient [\n{subset}\n]>"
    return f"<?xml version='1.0'?>\n{doctype}\n<Patient {FHIR}>&lol9;</Patient>".encode()


def test_billion_laughs_is_refused_as_hostile_without_expansion() -> None:
    with pytest.raises(HostileXml) as caught:
        parse_xml_bytes(billion_laughs())
    assert caught.value.message == HOSTILE_MESSAGE
    assert [i.code for i in caught.value.issues] == ["security"]


def test_external_file_entity_is_refused_and_the_file_is_never_read(secret_file: Path) -> None:
    doc = (
        f'<!DOCTYPE Patient [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'
        f"<Patient {FHIR}><id value='&xxe;'/>&xxe;</Patient>"
    ).encode()
    with pytest.raises(HostileXml) as caught:
        parse_xml_bytes(doc)
    assert SECRET not in str(caught.value)


def test_safe_parser_alone_never_expands_a_file_entity(secret_file: Path) -> None:
    doc = f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret_file}">]><r>&xxe;</r>'.encode()
    root = etree.fromstring(doc, safe_parser())
    assert SECRET not in etree.tostring(root, encoding="unicode")
    assert SECRET not in "".join(root.itertext())


def test_an_unhardened_parser_would_read_the_file_so_the_check_above_has_teeth(
    secret_file: Path,
) -> None:
    doc = f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret_file}">]><r>&xxe;</r>'.encode()
    unsafe = etree.XMLParser(resolve_entities=True, load_dtd=True)
    assert SECRET in "".join(etree.fromstring(doc, unsafe).itertext())


def test_utf16_document_with_external_entity_is_refused(secret_file: Path) -> None:
    doc = f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret_file}">]><r>&xxe;</r>'
    with pytest.raises(HostileXml):
        parse_xml_bytes(doc.encode("utf-16"))


def hostile_network_documents(port: int) -> dict[str, bytes]:
    url = f"http://127.0.0.1:{port}"
    return {
        "external entity": (
            f'<!DOCTYPE Patient [<!ENTITY net SYSTEM "{url}/entity">]>'
            f"<Patient {FHIR}>&net;</Patient>"
        ).encode(),
        "external DTD": f'<!DOCTYPE Patient SYSTEM "{url}/fhir.dtd"><Patient {FHIR}/>'.encode(),
        "parameter entity": (
            f'<!DOCTYPE Patient [<!ENTITY % remote SYSTEM "{url}/p.dtd"> %remote;]>'
            f"<Patient {FHIR}/>"
        ).encode(),
        "public DTD": (
            f'<!DOCTYPE Patient PUBLIC "-//X//Y//EN" "{url}/public.dtd"><Patient {FHIR}/>'
        ).encode(),
    }


@pytest.mark.parametrize(
    "kind", ["external entity", "external DTD", "parameter entity", "public DTD"]
)
def test_network_reference_is_refused_and_never_fetched(listener: Listener, kind: str) -> None:
    doc = hostile_network_documents(listener.port)[kind]
    with pytest.raises(HostileXml):
        parse_xml_bytes(doc)
    with pytest.raises(HostileXml):
        fhir_xml_to_json(doc)
    assert listener.connections() == 0


@pytest.mark.parametrize(
    "kind", ["external entity", "external DTD", "parameter entity", "public DTD"]
)
def test_safe_parser_alone_never_opens_a_connection(listener: Listener, kind: str) -> None:
    doc = hostile_network_documents(listener.port)[kind]
    with contextlib.suppress(etree.XMLSyntaxError):  # refusing is as good as not fetching
        etree.fromstring(doc, safe_parser())
    assert listener.connections() == 0


def test_listener_does_see_a_real_connection(listener: Listener) -> None:
    with socket.create_connection(("127.0.0.1", listener.port), timeout=1):
        pass
    assert listener.connections() == 1


@pytest.mark.parametrize(
    "doc",
    [
        f"<!DOCTYPE Patient><Patient {FHIR}/>",
        f"<?xml version='1.0'?>\n<!-- a comment -->\n<!DOCTYPE Patient []>\n<Patient {FHIR}/>",
        f"<!doctype Patient><Patient {FHIR}/>",
        f'<!ENTITY x "y"><Patient {FHIR}/>',
        f"\ufeff<!DOCTYPE Patient><Patient {FHIR}/>",
    ],
    ids=["doctype only", "after declaration and comment", "lower case", "bare entity", "bom"],
)
def test_any_doctype_is_refused_with_the_hostile_message(doc: str) -> None:
    with pytest.raises(HostileXml) as caught:
        parse_xml_bytes(doc.encode())
    assert caught.value.message == HOSTILE_MESSAGE


def test_doctype_text_inside_a_comment_in_the_body_is_only_a_comment() -> None:
    root = parse_xml_bytes(patient("<!-- <!DOCTYPE x> --><active value='true'/>"))
    assert fhir_xml_to_json(root) == {"resourceType": "Patient", "active": True}


def test_safe_parser_alone_never_expands_an_internal_entity() -> None:
    doc = b'<!DOCTYPE r [<!ENTITY e "expanded">]><r>&e;</r>'
    root = etree.fromstring(doc, SAFE_PARSER)
    assert "expanded" not in "".join(root.itertext())


# --------------------------------------------------------- malformed and oversize


def test_malformed_xml_is_unreadable_with_line_and_column() -> None:
    doc = f'<Patient {FHIR}>\n  <id value="x">\n</Patient>'.encode()
    with pytest.raises(UnreadableInput) as caught:
        parse_xml_bytes(doc)
    assert type(caught.value) is UnreadableInput
    assert caught.value.message == (
        "XML is not well-formed at line 3, column 11: "
        "Opening and ending tag mismatch: id line 2 and Patient"
    )
    assert isinstance(caught.value.__cause__, etree.XMLSyntaxError)


def test_empty_document_is_unreadable() -> None:
    with pytest.raises(UnreadableInput, match="line 1, column 1: Document is empty"):
        parse_xml_bytes(b"")


def test_html_entity_in_a_document_is_unreadable_not_expanded() -> None:
    with pytest.raises(UnreadableInput, match="Entity 'nbsp' not defined"):
        parse_xml_bytes(patient("&nbsp;"))


def test_document_over_the_size_limit_is_too_large() -> None:
    doc = patient("<active value='true'/>")
    with pytest.raises(TooLarge) as caught:
        parse_xml_bytes(doc, max_bytes=len(doc) - 1)
    assert caught.value.message == (
        f"XML document is {len(doc)} bytes; the limit is {len(doc) - 1} bytes; "
        "split it into smaller files"
    )
    assert parse_xml_bytes(doc, max_bytes=len(doc)) is not None


def test_excessive_nesting_is_unreadable() -> None:
    doc = b"<a>" * 300 + b"</a>" * 300
    with pytest.raises(UnreadableInput, match="Excessive depth"):
        parse_xml_bytes(doc)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            b'<Patient><id value="x"/></Patient>',
            "the root element <Patient> (no namespace) is not a FHIR R4 resource; "
            f"send a resource such as <Patient {FHIR}>",
        ),
        (
            f"<Coding {FHIR}/>".encode(),
            "the root element <Coding> (namespace http://hl7.org/fhir) is not a FHIR R4 "
            f"resource; send a resource such as <Patient {FHIR}>",
        ),
        (
            b'<x:Encounter xmlns:x="urn:other"/>',
            "the root element <Encounter> (namespace urn:other) is not a FHIR R4 resource; "
            f"send a resource such as <Patient {FHIR}>",
        ),
    ],
    ids=["no namespace", "datatype", "other namespace"],
)
def test_root_that_is_not_a_fhir_resource_is_unreadable(doc: bytes, message: str) -> None:
    with pytest.raises(UnreadableInput) as caught:
        fhir_xml_to_json(doc)
    assert caught.value.message == message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_reader(data: bytes) -> None:
    with contextlib.suppress(UnreadableInput):
        fhir_xml_to_json(data)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_random_text_in_a_patient_never_crashes_the_converter(text: str) -> None:
    doc = patient(f"<name><given value='{text.replace(chr(39), '')}'/></name>")
    try:
        resource = fhir_xml_to_json(doc)
    except UnreadableInput:
        return
    assert resource["resourceType"] == "Patient"


def test_parsing_is_safe_from_several_threads() -> None:
    docs = [patient(f"<id value='p{i}'/>") for i in range(200)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(lambda d: fhir_xml_to_json(d)["id"], docs))
    assert ids == [f"p{i}" for i in range(200)]


# ------------------------------------------------------------ UK Core examples


def test_uk_core_examples_are_present() -> None:
    assert len(EXAMPLES) >= 50


def without_comments(value: Any) -> Any:
    """fhir.resources keeps XML comments as `fhir_comments` and a div's trailing
    whitespace; FHIR JSON has neither, so both are dropped before comparing."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "fhir_comments":
                continue
            item = without_comments(item)
            if key == "div" and isinstance(item, str):
                item = item.rstrip()
            if item != {}:
                out[key] = item
        return out
    if isinstance(value, list):
        return [without_comments(v) for v in value]
    return value


def dump(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_uk_core_example_converts_to_json_that_r4b_validates_as_its_own_xml_reader_does(
    path: Path,
) -> None:
    data = path.read_bytes()
    resource = fhir_xml_to_json(data)
    model_class = get_fhir_model_class(resource["resourceType"])
    mine = dump(model_class.model_validate(resource))
    theirs = without_comments(dump(model_class.model_validate_xml(data)))
    assert mine == theirs


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_uk_core_example_round_trips_xml_json_xml_json(path: Path) -> None:
    first = fhir_xml_to_json(path.read_bytes())
    xml = fhir_json_to_xml(first)
    assert fhir_xml_to_json(xml) == first
    validate(fhir_xml_to_json(xml))


def test_uk_core_encounter_reads_as_fhir_json() -> None:
    resource = fhir_xml_to_json(
        (UK_CORE / "UKCore-Encounter-InpatientEncounter-Example.xml").read_bytes()
    )
    assert resource["resourceType"] == "Encounter"
    assert resource["id"] == "UKCore-Encounter-InpatientEncounter-Example"
    assert resource["status"] == "finished"
    assert resource["class"]["code"] == "IMP"
    assert isinstance(resource["identifier"], list)
    assert isinstance(resource["participant"], list)
    assert resource["period"] == {
        "start": "2019-12-10T13:00:00+00:00",
        "end": "2019-12-11T13:00:00+00:00",
    }
    assert resource["extension"][0]["url"].endswith("Extension-UKCore-DischargeMethod")


def test_bundle_entries_hold_nested_resources_with_their_own_type() -> None:
    resource = fhir_xml_to_json((UK_CORE / "UKCore-Bundle-BatchPOST-Example.xml").read_bytes())
    types = {entry["resource"]["resourceType"] for entry in resource["entry"]}
    assert types == {"Observation"}
    assert all(isinstance(entry["request"], dict) for entry in resource["entry"])


# ------------------------------------------------------- conversion rules


def test_element_that_may_repeat_is_a_list_even_when_it_occurs_once() -> None:
    resource = fhir_xml_to_json(
        patient("<name><family value='Smith'/><given value='Ann'/></name><gender value='female'/>")
    )
    assert resource == {
        "resourceType": "Patient",
        "name": [{"family": "Smith", "given": ["Ann"]}],
        "gender": "female",
    }


def test_class_element_keeps_its_fhir_name() -> None:
    body = "<status value='finished'/><class><code value='AMB'/></class>"
    doc = f"<Encounter {FHIR}>{body}</Encounter>"
    assert fhir_xml_to_json(doc.encode())["class"] == {"code": "AMB"}


def test_primitive_values_take_their_json_type() -> None:
    doc = (
        f"<Observation {FHIR}><status value='final'/><code><text value='123'/></code>"
        "<valueQuantity><value value='1.50'/><code value='10'/></valueQuantity>"
        "<referenceRange><low><value value='3'/></low></referenceRange>"
        "</Observation>"
    )
    resource = fhir_xml_to_json(doc.encode())
    assert resource["code"] == {"text": "123"}
    assert resource["valueQuantity"] == {"value": 1.5, "code": "10"}
    assert resource["referenceRange"][0]["low"]["value"] == 3
    assert type(resource["referenceRange"][0]["low"]["value"]) is int


def test_booleans_and_integers_become_json_booleans_and_numbers() -> None:
    doc = (
        f"<MedicationRequest {FHIR}><status value='active'/><intent value='order'/>"
        "<doNotPerform value='false'/>"
        "<dispenseRequest><numberOfRepeatsAllowed value='2'/></dispenseRequest>"
        "</MedicationRequest>"
    )
    resource = fhir_xml_to_json(doc.encode())
    assert resource["doNotPerform"] is False
    assert resource["dispenseRequest"] == {"numberOfRepeatsAllowed": 2}


def test_bad_boolean_is_kept_as_the_raw_string() -> None:
    assert fhir_xml_to_json(patient("<active value='yes'/>"))["active"] == "yes"


def test_bad_integer_and_decimal_are_kept_as_raw_strings() -> None:
    doc = (
        f"<MedicationRequest {FHIR}><status value='active'/><intent value='order'/>"
        "<dispenseRequest><numberOfRepeatsAllowed value='two'/>"
        "<quantity><value value='1,5'/></quantity></dispenseRequest></MedicationRequest>"
    )
    request = fhir_xml_to_json(doc.encode())["dispenseRequest"]
    assert request == {"numberOfRepeatsAllowed": "two", "quantity": {"value": "1,5"}}
    with pytest.raises(ValidationError):
        validate(fhir_xml_to_json(doc.encode()))


def test_primitive_id_and_extension_go_to_the_underscore_name() -> None:
    doc = patient(
        "<birthDate id='b1' value='2020-01-02'>"
        "<extension url='http://example.org/time'>"
        "<valueDateTime value='2020-01-02T03:04:00Z'/></extension>"
        "</birthDate>"
    )
    resource = fhir_xml_to_json(doc)
    assert resource["birthDate"] == "2020-01-02"
    assert resource["_birthDate"] == {
        "id": "b1",
        "extension": [{"url": "http://example.org/time", "valueDateTime": "2020-01-02T03:04:00Z"}],
    }
    validate(resource)


def test_repeated_primitives_with_extensions_use_parallel_arrays_with_nulls() -> None:
    ext = "<extension url='http://example.org/x'><valueString value='x'/></extension>"
    doc = patient(
        f"<name><given value='Ann'/><given value='Bea'>{ext}</given><given value='Cy'/></name>"
    )
    name = fhir_xml_to_json(doc)["name"][0]
    assert name["given"] == ["Ann", "Bea", "Cy"]
    assert name["_given"] == [
        None,
        {"extension": [{"url": "http://example.org/x", "valueString": "x"}]},
        None,
    ]
    assert fhir_xml_to_json(fhir_json_to_xml(fhir_xml_to_json(doc)))["name"][0] == name


def test_primitive_with_only_an_extension_has_no_value_key() -> None:
    ext = (
        "<extension url='http://hl7.org/fhir/StructureDefinition/data-absent-reason'>"
        "<valueCode value='unknown'/></extension>"
    )
    resource = fhir_xml_to_json(patient(f"<gender>{ext}</gender>"))
    assert "gender" not in resource
    assert resource["_gender"]["extension"][0]["valueCode"] == "unknown"
    validate(resource)
    assert fhir_xml_to_json(fhir_json_to_xml(resource)) == resource


def test_repeated_primitives_with_only_extensions_have_only_the_underscore_array() -> None:
    ext = "<extension url='http://example.org/x'><valueString value='x'/></extension>"
    resource = fhir_xml_to_json(patient(f"<name><given>{ext}</given><given>{ext}</given></name>"))
    extension = {"extension": [{"url": "http://example.org/x", "valueString": "x"}]}
    assert resource["name"] == [{"_given": [extension, extension]}]
    validate(resource)
    assert fhir_xml_to_json(fhir_json_to_xml(resource)) == resource


def test_narrative_div_becomes_an_xhtml_string_with_its_namespace() -> None:
    doc = patient(
        "<text><status value='generated'/>"
        f"<div xmlns='{XHTML_NS}'><p>Ann <b>Smith</b></p></div>  \n</text>"
    )
    text = fhir_xml_to_json(doc)["text"]
    assert text == {
        "status": "generated",
        "div": f'<div xmlns="{XHTML_NS}"><p>Ann <b>Smith</b></p></div>',
    }


def test_contained_resources_are_nested_json_resources() -> None:
    doc = patient(
        "<contained><Organization><id value='org1'/><name value='Practice'/></Organization>"
        "</contained>"
        "<managingOrganization><reference value='#org1'/></managingOrganization>"
    )
    resource = fhir_xml_to_json(doc)
    assert resource["contained"] == [
        {"resourceType": "Organization", "id": "org1", "name": "Practice"}
    ]
    validate(resource)


def test_unknown_nested_resource_type_keeps_its_name_so_the_rejection_can_say_it() -> None:
    doc = (
        f"<Bundle {FHIR}><type value='collection'/>"
        "<entry><resource><Gadget><id value='g1'/></Gadget></resource></entry>"
        "<entry><resource><x:Patient xmlns:x='urn:other'/></resource></entry></Bundle>"
    )
    entries = fhir_xml_to_json(doc.encode())["entry"]
    assert entries[0]["resource"] == {"resourceType": "Gadget", "id": "g1"}
    assert "resourceType" not in entries[1]["resource"]


def test_r4_resource_type_that_r4b_dropped_is_still_read_with_its_type() -> None:
    doc = f"<EffectEvidenceSynthesis {FHIR}><id value='e1'/><status value='draft'/>"
    resource = fhir_xml_to_json((doc + "</EffectEvidenceSynthesis>").encode())
    assert resource == {"resourceType": "EffectEvidenceSynthesis", "id": "e1", "status": "draft"}
    assert fhir_xml_to_json(fhir_json_to_xml(resource)) == resource


def test_parameters_resource_and_outcome_are_nested_resources() -> None:
    doc = (
        f"<Parameters {FHIR}><parameter><name value='p'/>"
        "<resource><Patient><id value='p1'/></Patient></resource></parameter></Parameters>"
    )
    resource = fhir_xml_to_json(doc.encode())
    assert resource["parameter"] == [
        {"name": "p", "resource": {"resourceType": "Patient", "id": "p1"}}
    ]
    validate(resource)


def test_schema_location_on_the_root_is_ignored() -> None:
    doc = (
        f'<Patient {FHIR} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://hl7.org/fhir patient.xsd"><active value="true"/></Patient>'
    )
    assert fhir_xml_to_json(doc.encode()) == {"resourceType": "Patient", "active": True}


def test_element_id_attribute_becomes_id() -> None:
    resource = fhir_xml_to_json(patient("<name id='n1'><family value='Smith'/></name>"))
    assert resource["name"] == [{"id": "n1", "family": "Smith"}]


def test_unknown_elements_are_kept_so_validation_reports_them() -> None:
    resource = fhir_xml_to_json(
        patient("<colour value='blue'/><pet><kind value='cat'/></pet><pet/>")
    )
    assert resource["colour"] == "blue"
    assert resource["pet"] == [{"kind": "cat"}, ""]
    with pytest.raises(ValidationError, match="colour"):
        validate(resource)


def test_unknown_element_never_replaces_the_resource_type_or_a_known_key() -> None:
    doc = patient("<resourceType value='Encounter'/><birthDate id='b'/><_birthDate value='x'/>")
    resource = fhir_xml_to_json(doc)
    assert resource["resourceType"] == "Patient"
    assert resource["<resourceType>"] == "Encounter"
    assert resource["_birthDate"] == {"id": "b"}
    assert resource["<_birthDate>"] == "x"
    with pytest.raises(ValidationError):
        validate(resource)
    assert fhir_xml_to_json(fhir_json_to_xml(resource)) == resource


def test_single_element_given_twice_is_kept_as_a_list_for_validation_to_reject() -> None:
    resource = fhir_xml_to_json(patient("<gender value='male'/><gender value='female'/>"))
    assert resource["gender"] == ["male", "female"]
    with pytest.raises(ValidationError):
        validate(resource)


def test_unknown_attribute_is_kept_with_an_at_sign() -> None:
    resource = fhir_xml_to_json(patient("<active value='true' colour='red'/>"))
    assert resource["_active"] == {"@colour": "red"}
    with pytest.raises(ValidationError, match="@colour"):
        validate(resource)
    assert fhir_xml_to_json(fhir_json_to_xml(resource)) == resource


def test_text_content_instead_of_a_value_attribute_is_kept_for_validation_to_reject() -> None:
    resource = fhir_xml_to_json(patient("<gender>female</gender><name>Ann</name>"))
    assert resource["_gender"] == {"@text": "female"}
    assert resource["name"] == [{"@text": "Ann"}]
    with pytest.raises(ValidationError, match="@text"):
        validate(resource)


# ------------------------------------------------------------ JSON -> XML


def test_json_to_xml_writes_elements_in_fhir_order() -> None:
    resource = {
        "subject": {"reference": "Patient/p1"},
        "class": {"code": "AMB", "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode"},
        "status": "finished",
        "id": "e1",
        "resourceType": "Encounter",
    }
    root = etree.fromstring(fhir_json_to_xml(resource))
    assert root.tag == "{http://hl7.org/fhir}Encounter"
    names = [etree.QName(child).localname for child in root]
    assert names == ["id", "status", "class", "subject"]
    assert [etree.QName(c).localname for c in root[2]] == ["system", "code"]


def test_json_to_xml_writes_attributes_and_values_as_fhir_xml() -> None:
    resource = {
        "resourceType": "Patient",
        "extension": [{"url": "http://example.org/e", "valueBoolean": True}],
        "active": False,
        "name": [{"id": "n1", "given": ["Ann"]}],
    }
    xml = fhir_json_to_xml(resource)
    assert xml.startswith(
        b"<?xml version='1.0' encoding='UTF-8'?>\n<Patient xmlns=\"http://hl7.org/fhir\">"
    )
    assert b'<extension url="http://example.org/e">' in xml
    assert b'<valueBoolean value="true"/>' in xml
    assert b'<active value="false"/>' in xml
    assert b'<name id="n1">' in xml


def test_json_to_xml_writes_the_div_as_real_xhtml() -> None:
    div = f'<div xmlns="{XHTML_NS}"><p>One</p><p>Two &amp; three</p></div>'
    resource = {"resourceType": "Patient", "text": {"status": "generated", "div": div}}
    root = etree.fromstring(fhir_json_to_xml(resource))
    found = root.find(f"{{http://hl7.org/fhir}}text/{{{XHTML_NS}}}div")
    assert found is not None
    assert [p.text for p in found] == ["One", "Two & three"]
    assert fhir_xml_to_json(fhir_json_to_xml(resource)) == resource


def test_json_to_xml_is_indented_but_leaves_the_narrative_markup_exactly_as_it_was() -> None:
    div = f'<div xmlns="{XHTML_NS}"><p>One</p><p>Two</p></div>'
    resource = {"resourceType": "Patient", "id": "p", "text": {"status": "generated", "div": div}}
    assert fhir_json_to_xml(resource).decode().splitlines()[1:] == [
        f"<Patient {FHIR}>",
        '  <id value="p"/>',
        "  <text>",
        '    <status value="generated"/>',
        f"    {div}",
        "  </text>",
        "</Patient>",
    ]


def test_json_to_xml_puts_a_div_without_namespace_into_xhtml() -> None:
    resource = {"resourceType": "Patient", "text": {"status": "generated", "div": "<div>Hi</div>"}}
    text = fhir_xml_to_json(fhir_json_to_xml(resource))["text"]
    assert text["div"] == f'<div xmlns="{XHTML_NS}">Hi</div>'


def test_json_to_xml_refuses_an_unknown_resource_type() -> None:
    with pytest.raises(ValueError, match="not a FHIR R4 resource: resourceType is 'Nope'"):
        fhir_json_to_xml({"resourceType": "Nope"})


def test_decimal_numbers_survive_json_to_xml_to_json() -> None:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "valueQuantity": {"value": 0.000125, "unit": "mg"},
    }
    assert fhir_xml_to_json(fhir_json_to_xml(resource)) == resource


# ------------------------------------------------------------------- XHTML


def test_xhtml_fragment_decodes_html_entities_without_a_dtd() -> None:
    div = xhtml_fragment(f'<div xmlns="{XHTML_NS}">Call&nbsp;01234&ndash;567 &amp; ask</div>')
    assert "".join(div.itertext()) == "Call\xa001234\u2013567 & ask"


def test_xhtml_fragment_refuses_a_doctype() -> None:
    with pytest.raises(HostileXml):
        xhtml_fragment('<!DOCTYPE div [<!ENTITY x "y">]><div>&x;</div>')


def test_xhtml_fragment_reports_malformed_markup() -> None:
    with pytest.raises(UnreadableInput, match="line 1, column"):
        xhtml_fragment("<div><p>open</div>")


def test_conversion_of_a_parsed_root_equals_conversion_of_bytes() -> None:
    data = (UK_CORE / "UKCore-Patient-RichardSmith-Example.xml").read_bytes()
    assert fhir_xml_to_json(parse_xml_bytes(data)) == fhir_xml_to_json(data)


def test_parsing_in_a_worker_thread_uses_its_own_parser() -> None:
    seen: list[Any] = []
    thread = threading.Thread(target=lambda: seen.append(parse_xml_bytes(patient(""))))
    thread.start()
    thread.join()
    assert etree.QName(seen[0]).localname == "Patient"


# ------------------------------------------------------- structured fuzzing

NAMES = [
    "name", "given", "family", "extension", "modifierExtension", "url", "id", "contained",
    "resource", "Patient", "Organization", "text", "div", "status", "value", "valueString",
    "valueBoolean", "active", "birthDate", "telecom", "rank", "_given", "resourceType",
    "photo", "link", "other", "p",
]  # fmt: skip
WORDS = st.text(st.characters(categories=["L", "N", "P", "Zs"]), max_size=8)
ATTRIBUTES = st.dictionaries(st.sampled_from(["value", "id", "url", "colour"]), WORDS, max_size=2)


def fuzz_element() -> st.SearchStrategy[Any]:
    leaf = st.tuples(st.sampled_from(NAMES), ATTRIBUTES, st.just([]), st.none() | WORDS)
    return st.recursive(
        leaf,
        lambda kids: st.tuples(
            st.sampled_from(NAMES), ATTRIBUTES, st.lists(kids, max_size=4), st.none()
        ),
        max_leaves=25,
    )


def build(parent: Any, node: Any) -> None:
    name, attributes, children, text = node
    namespace = XHTML_NS if name in ("div", "p") else "http://hl7.org/fhir"
    elem = etree.SubElement(parent, f"{{{namespace}}}{name}", attributes)
    elem.text = text
    for child in children:
        build(elem, child)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "80")), deadline=None)
@given(st.sampled_from(["Patient", "Bundle", "Encounter"]), st.lists(fuzz_element(), max_size=5))
def test_any_fhir_like_tree_converts_and_its_json_round_trips(root_name: str, nodes: Any) -> None:
    root = etree.Element(f"{{http://hl7.org/fhir}}{root_name}", nsmap={None: "http://hl7.org/fhir"})
    for node in nodes:
        build(root, node)
    first = fhir_xml_to_json(etree.tostring(root))
    assert first["resourceType"] == root_name
    assert fhir_xml_to_json(fhir_json_to_xml(first)) == first


def test_conversion_leaves_the_garbage_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    fhir_xml_to_json(patient("<active value='true'/>"))
    assert gc.isenabled()
    gc.disable()
    try:
        fhir_xml_to_json(patient("<active value='true'/>"))
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(UnreadableInput):
        fhir_xml_to_json(patient("<x/>").replace(b"Patient", b"Nope"))
    assert gc.isenabled()
