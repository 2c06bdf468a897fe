"""A local stand-in of PayFiP's two SOAP operations, served on loopback by the tests.

It records the operations created and answers ``recupererDetailPaiementSecurise`` as the
test says: a result code (P, V, R, Z, A), « pending » (the service's fault P5), or another
amount; an unknown idOp gets the fault P1. Its envelopes follow the service's shapes
(``return`` fields, ``FonctionnelleErreur`` faults), parsed with the standard library.
"""

from __future__ import annotations

import secrets
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIRequestHandler, make_server

ANSWER = """<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<ns2:{operation}Response xmlns:ns2="http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/contrat_paiement_securise/PaiementSecuriseService">
<return>{fields}</return></ns2:{operation}Response></soap:Body></soap:Envelope>"""
FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>
<faultcode>soap:Server</faultcode>
<faultstring>fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur</faultstring>
<detail><ns2:FonctionnelleErreur xmlns:ns2="http://securite.service.tpa.cp.finances.gouv.fr/reponse">
<code>{code}</code><descriptif>{text}</descriptif><libelle>{text}</libelle>
</ns2:FonctionnelleErreur></detail></soap:Fault></soap:Body></soap:Envelope>"""


@dataclass
class Standin:
    url: str = ""
    operations: dict[str, dict] = field(default_factory=dict)
    # idOp -> "P", "V", "R", "Z", "A" or "pending"; amounts to answer instead of the asked one
    results: dict[str, str] = field(default_factory=dict)
    amounts: dict[str, str] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def app(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        # The test's own client posts here, on loopback.
        root = ET.fromstring(environ["wsgi.input"].read(length))  # noqa: S314
        call = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]
        operation = call.tag.rsplit("}", 1)[-1]
        fields = {child.tag: child.text or "" for child in call.find("arg0")}
        self.calls.append(operation)
        status, body = "200 OK", ""
        if operation == "creerPaiementSecurise":
            idop = secrets.token_hex(16)
            self.operations[idop] = fields
            body = ANSWER.format(operation=operation, fields=f"<idOp>{idop}</idOp>")
        else:
            idop = fields.get("idOp", "")
            asked = self.operations.get(idop)
            result = self.results.get(idop, "pending")
            if asked is None:
                status, body = (
                    "500 Internal Server Error",
                    FAULT.format(code="P1", text="IdOp inconnu"),
                )
            elif result == "pending":
                status, body = "500 Internal Server Error", FAULT.format(code="P5", text="en cours")
            else:
                echo = {
                    **asked,
                    "idOp": idop,
                    "resultrans": result,
                    "montant": self.amounts.get(idop, asked["montant"]),
                    "dattrans": "12012026",
                    "heurtrans": "0905",
                    "numauto": "A1B2C3" if result in "PV" else "",
                }
                xml = "".join(
                    f"<{k}>{v}</{k}>"
                    for k, v in echo.items()
                    if k not in ("urlnotif", "urlredirect")
                )
                body = ANSWER.format(operation=operation, fields=xml)
        start_response(status, [("Content-Type", "text/xml; charset=utf-8")])
        return [body.encode()]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def start() -> tuple[Standin, callable]:
    standin = Standin()
    server = make_server("127.0.0.1", 0, standin.app, handler_class=_Quiet)
    standin.url = f"http://127.0.0.1:{server.server_port}/tpa/services/securite"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return standin, stop
