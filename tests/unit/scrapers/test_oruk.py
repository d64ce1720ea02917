import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from navigator.errors import FetchError
from scrapers.oruk import OrukClient, service_to_document

FIXTURES = Path(__file__).parents[2] / "fixtures" / "scrape"
PAGES = {n: (FIXTURES / f"oruk_page{n}.json").read_bytes() for n in (1, 2)}


class _Handler(BaseHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (the timeout test)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        number = int(parse_qs(url.query).get("page", ["1"])[0])
        if url.path == "/api/services":
            self._send(200, PAGES[number]) if number in PAGES else self._send(404, b"{}")
        elif url.path == "/endless/services":  # never says it is the last page
            services = [{"id": f"s{number}", "name": f"Service {number}", "description": "A service."}]
            self._send(200, json.dumps({"totalPages": 99, "last": False, "content": services}).encode())
        elif url.path == "/stuck/services":  # ignores ?page= and repeats page 1
            self._send(200, PAGES[1].replace(b'"last": false', b'"last": null'))
        elif url.path == "/broken/services":
            self._send(500, b"Internal Server Error", "text/plain")
        elif url.path == "/html/services":
            self._send(200, b"<html><body>Maintenance</body></html>", "text/html")
        elif url.path == "/slow/services":
            time.sleep(1.0)
            self._send(200, PAGES[2])
        else:
            self._send(404, b"{}")


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd.requests  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_oruk_client_pages_through_services_until_the_last_page(server):
    base, requests = server
    services = list(OrukClient(f"{base}/api/", timeout=5, per_page=2).iter_services())
    assert [s["name"] for s in services] == [
        "Autism family support group",
        "Holiday play scheme for disabled children",
        "Parent carer forum drop-in",
    ]
    assert requests == ["/api/services?page=1&per_page=2", "/api/services?page=2&per_page=2"]


def test_oruk_documents_hold_description_eligibility_area_contacts_and_locations(server):
    base, _ = server
    documents = list(OrukClient(f"{base}/api", timeout=5).documents())
    assert len(documents) == 3
    first = documents[0]
    assert first.kind == "directory-service"
    assert first.title == "Autism family support group"
    assert first.url == "https://www.example-charity.org.uk/autism-family-group"
    assert first.published == "2025-01-20"
    sections = {s.heading_path[0]: s.text for s in first.sections}
    assert list(sections) == ["Description", "Eligibility", "Area", "Contacts", "Locations"]
    assert sections["Description"] == (
        "A monthly group for parents and carers of autistic children. "
        "Meet other families and get advice from a family support worker."
    )
    assert sections["Eligibility"] == "family\nAges 0 to 18"
    assert sections["Area"] == "Birmingham"
    assert sections["Contacts"] == (
        "Organisation: Example Autism Charity\n"
        "- Amina Begum, Family support worker: 0121 303 1234\n"
        "Email: families@example-charity.org.uk\n"
        "Website: https://www.example-charity.org.uk/autism-family-group"
    )
    assert sections["Locations"] == "- Small Heath Family Hub: 12 Coventry Road, Birmingham, West Midlands, B10 0AA"


def test_oruk_service_without_a_website_points_at_its_api_record_and_reads_service_ages():
    service = json.loads(PAGES[1])["content"][1]
    document = service_to_document(service, "https://api.example.org/oruk/")
    assert document.url == "https://api.example.org/oruk/services/7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"
    sections = {s.heading_path[0]: s.text for s in document.sections}
    assert sections["Eligibility"] == "Ages 5 to 17"
    assert sections["Area"] == "Erdington\nKingstanding"
    assert sections["Contacts"] == "Email: playscheme@example.org.uk"
    assert "Locations" not in sections


def test_oruk_missing_fields_are_left_out():
    service = json.loads(PAGES[2])["content"][0]
    document = service_to_document(service, "https://api.example.org")
    assert [s.heading_path for s in document.sections] == [("Description",), ("Eligibility",), ("Contacts",)]
    assert document.sections[2].text == "- Forum office: 0121 464 0000, 07700 900123"
    assert document.published is None
    assert service_to_document({"id": "x1", "name": "Empty"}, "https://api.example.org").sections == ()


def test_oruk_client_stops_at_the_page_cap_and_on_a_repeated_page(server):
    base, requests = server
    assert len(list(OrukClient(f"{base}/endless", timeout=5, max_pages=3).iter_services())) == 3
    assert len(requests) == 3
    assert len(list(OrukClient(f"{base}/stuck", timeout=5, max_pages=10).iter_services())) == 2
    assert len(requests) == 5


@pytest.mark.parametrize(
    ("path", "message"),
    [("broken", "HTTP 500"), ("html", "did not return JSON"), ("missing", "HTTP 404")],
)
def test_oruk_client_raises_fetch_error_on_bad_responses(server, path, message):
    base, _ = server
    with pytest.raises(FetchError, match=message):
        list(OrukClient(f"{base}/{path}", timeout=5).iter_services())


def test_oruk_client_times_out(server):
    base, _ = server
    with pytest.raises(FetchError, match="could not be fetched"):
        list(OrukClient(f"{base}/slow", timeout=0.2).iter_services())
